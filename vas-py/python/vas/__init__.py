"""vas — embeddable electronic archiving with Vitam's semantics (Python bindings).

The native module ``vas._vas`` does the work (in Rust, vas-core); this package re-exports
it. Every error raised by vas is a :class:`VasError`; there is one subclass per error kind
(``vas.ERROR_KINDS``), which also derives from the natural builtin exception when there is
one (``NotFoundError`` is a ``FileNotFoundError``).

>>> import vas
>>> vas.digest(b"abc", "SHA-256")[:16]
'ba7816bf8f01cfea'
"""

from typing import NamedTuple, Optional, Tuple

from . import _vas
from ._vas import (
    DEFAULT_DIGEST_ALGORITHM,
    DIGEST_ALGORITHMS,
    FULL_ACCESS,
    VERSION,
    Archive,
    AuditSummary,
    BuildReport,
    BuiltObject,
    DipSummary,
    Finding,
    FolderImport,
    Hasher,
    Identification,
    IngestCheck,
    IngestResult,
    ManifestStats,
    ManifestValidation,
    ObjectInfo,
    ObjectReader,
    SipBuilder,
    SipEntry,
    SipInspection,
    Unit,
    VasError,
    Verification,
    Violation,
    __version__,
    compute_rules,
    digest,
    digest_file,
    dry_run_ingest,
    identify,
    inspect_sip,
    manifest_stats,
    rewrite_manifest,
    validate_manifest,
)


class ErrorKindInfo(NamedTuple):
    """One row of the error table shared by every binding."""

    name: str
    """Stable kind name, e.g. ``"NotFound"``."""
    python_class: str
    """Exception class in this package, e.g. ``"NotFoundError"``."""
    python_builtin: Optional[str]
    """Builtin exception the class also derives from, if any."""
    js_code: str
    """``err.code`` in the Node binding."""
    c_code: int
    """``vas_result`` value in the C binding."""


ERROR_KINDS: Tuple[ErrorKindInfo, ...] = tuple(ErrorKindInfo(*row) for row in _vas.ERROR_KINDS)
"""The error table, in the order of the C codes."""

# One exception class per kind, created by the native module from the table.
for _info in ERROR_KINDS:
    globals()[_info.python_class] = getattr(_vas, _info.python_class)
del _info


def exception_class(kind: str) -> "type[VasError]":
    """The exception class of an error kind name (``"NotFound"`` → ``NotFoundError``)."""
    for info in ERROR_KINDS:
        if info.name == kind:
            cls: "type[VasError]" = getattr(_vas, info.python_class)
            return cls
    raise KeyError(kind)


__all__ = [
    "Archive",
    "AuditSummary",
    "BuildReport",
    "BuiltObject",
    "DEFAULT_DIGEST_ALGORITHM",
    "DIGEST_ALGORITHMS",
    "DipSummary",
    "ERROR_KINDS",
    "ErrorKindInfo",
    "FULL_ACCESS",
    "Finding",
    "FolderImport",
    "Hasher",
    "Identification",
    "IngestCheck",
    "IngestResult",
    "ManifestStats",
    "ManifestValidation",
    "ObjectInfo",
    "ObjectReader",
    "SipBuilder",
    "SipEntry",
    "SipInspection",
    "Unit",
    "VERSION",
    "VasError",
    "Verification",
    "Violation",
    "__version__",
    "compute_rules",
    "digest",
    "digest_file",
    "dry_run_ingest",
    "exception_class",
    "identify",
    "inspect_sip",
    "manifest_stats",
    "rewrite_manifest",
    "validate_manifest",
    *(info.python_class for info in ERROR_KINDS),
]
