# Hand-written stubs of the vas package, checked against the module by
# `python -m mypy.stubtest vas` (scripts/test.d/bindings.sh).
import os
from typing import BinaryIO, NamedTuple, Optional, Protocol, Tuple, Union, final


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...

_BytesLike = Union[bytes, bytearray, memoryview]
_Path = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]

__version__: str
VERSION: str
DIGEST_ALGORITHMS: Tuple[str, ...]
DEFAULT_DIGEST_ALGORITHM: str

class ErrorKindInfo(NamedTuple):
    name: str
    python_class: str
    python_builtin: Optional[str]
    js_code: str
    c_code: int

ERROR_KINDS: Tuple[ErrorKindInfo, ...]

def exception_class(kind: str) -> type[VasError]: ...
def digest(data: Union[_BytesLike, BinaryIO, _Readable], algorithm: str = "SHA-512") -> str: ...
def digest_file(path: _Path, algorithm: str = "SHA-512") -> Tuple[str, int]: ...

@final
class Hasher:
    def __new__(cls, algorithm: str = "SHA-512") -> Hasher: ...
    def update(self, data: _BytesLike) -> None: ...
    def hexdigest(self) -> str: ...
    def digest(self) -> bytes: ...
    def copy(self) -> Hasher: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def digest_size(self) -> int: ...
    @property
    def size(self) -> int: ...

class VasError(Exception):
    kind: Optional[str]
    message: Optional[str]
    path: Optional[str]
    element: Optional[str]
    line: Optional[int]
    column: Optional[int]
    id: Optional[str]
    code: Optional[str]

class InvalidInputError(VasError, ValueError): ...
class XmlError(VasError, ValueError): ...
class SchemaError(VasError, ValueError): ...
class IntegrityError(VasError): ...
class NotFoundError(VasError, FileNotFoundError): ...
class AlreadyExistsError(VasError, FileExistsError): ...
class ConflictError(VasError): ...
class UnsupportedError(VasError, NotImplementedError): ...
class IoError(VasError, OSError): ...
class CorruptError(VasError): ...
class DeniedError(VasError, PermissionError): ...
class UnsafeError(VasError): ...
class LimitExceededError(VasError): ...
class UnavailableError(VasError, ConnectionError): ...
class InternalError(VasError): ...

__all__ = [
    "DEFAULT_DIGEST_ALGORITHM",
    "DIGEST_ALGORITHMS",
    "ERROR_KINDS",
    "ErrorKindInfo",
    "Hasher",
    "VERSION",
    "VasError",
    "__version__",
    "digest",
    "digest_file",
    "exception_class",
    "InvalidInputError",
    "XmlError",
    "SchemaError",
    "IntegrityError",
    "NotFoundError",
    "AlreadyExistsError",
    "ConflictError",
    "UnsupportedError",
    "IoError",
    "CorruptError",
    "DeniedError",
    "UnsafeError",
    "LimitExceededError",
    "UnavailableError",
    "InternalError",
]
