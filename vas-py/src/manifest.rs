//! Manifests (validate, stats, rewrite) and format identification: thin wrappers over
//! the operations shared with the other bindings ([`crate::ops`]).

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::args;
use crate::errors::IntoPyResult;
use crate::ops;

/// A document argument: a path (`str` or `os.PathLike`) or its content (bytes-like).
enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

impl Source {
    fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
        if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__").unwrap_or(false) {
            return Ok(Source::Path(args::path(obj)?));
        }
        Ok(Source::Bytes(args::bytes(obj)?.into_owned()))
    }

    fn input(&self) -> ops::Input<'_> {
        match self {
            Source::Path(p) => ops::Input::Path(p),
            Source::Bytes(b) => ops::Input::Bytes(b),
        }
    }
}

/// One validation finding: where (line, column, element path) and what.
#[pyclass(module = "vas", frozen, get_all)]
pub struct Finding {
    /// 1-based line (0 when unknown).
    line: u64,
    /// 1-based column (0 when unknown).
    column: u64,
    /// Element path, e.g. `/ArchiveTransfer/…/Title` (empty when unknown).
    path: String,
    /// What was expected and what was found.
    message: String,
    /// `xml`, `unsafe`, `limit`, `schema`, `profile` or `reference`.
    kind: String,
}

#[pymethods]
impl Finding {
    fn __repr__(&self) -> String {
        format!(
            "<vas.Finding {} {}:{} {}: {:?}>",
            self.kind, self.line, self.column, self.path, self.message
        )
    }
}

/// The verdict on a manifest.
#[pyclass(module = "vas", frozen, get_all)]
pub struct ManifestValidation {
    /// No finding.
    valid: bool,
    /// `"2.1"`, `"2.2"` or `"2.3"`; `None` when the document is not SEDA or not well-formed.
    seda_version: Option<String>,
    /// `"strict"` or `"vitam"`.
    mode: String,
    /// Whether findings were dropped (`max_findings`).
    truncated: bool,
    /// The findings, in document order.
    findings: Vec<Py<Finding>>,
}

#[pymethods]
impl ManifestValidation {
    fn __repr__(&self) -> String {
        format!(
            "<vas.ManifestValidation valid={} seda_version={} mode={} findings={}>",
            if self.valid { "True" } else { "False" },
            self.seda_version.as_deref().unwrap_or("None"),
            self.mode,
            self.findings.len()
        )
    }

    fn __bool__(&self) -> bool {
        self.valid
    }
}

/// Validates a SEDA 2.1/2.2/2.3 manifest (a path, or its content as bytes) against the
/// official schemas (`mode="strict"`, the verdict of xmllint) or what Vitam accepts
/// (`mode="vitam"`), and against a RelaxNG `profile` when given. A malformed or non-SEDA
/// document is a verdict (`valid` false), not an exception; a missing file raises
/// `NotFoundError`. `check_references=False` skips the IDREF check (as xmllint). The GIL is released while validating.
#[pyfunction]
#[pyo3(signature = (source, mode = "strict", profile = None, *, seda_version = None, max_findings = 1000, check_references = true))]
pub fn validate_manifest(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    mode: &str,
    profile: Option<&Bound<'_, PyAny>>,
    seda_version: Option<String>,
    max_findings: usize,
    check_references: bool,
) -> PyResult<ManifestValidation> {
    let src = Source::from_py(source)?;
    let opts = ops::ValidateOptions {
        mode: Some(mode.to_string()),
        profile: profile.map(args::path).transpose()?,
        seda_version,
        max_findings: Some(max_findings),
        no_references: !check_references,
    };
    let v = py
        .detach(|| ops::validate_manifest(src.input(), &opts))
        .py_err(py)?;
    let findings = v
        .findings
        .into_iter()
        .map(|f| {
            Py::new(
                py,
                Finding {
                    line: f.line,
                    column: f.column,
                    path: f.path,
                    message: f.message,
                    kind: f.kind.name().to_string(),
                },
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(ManifestValidation {
        valid: v.valid,
        seda_version: v.seda_version,
        mode: v.mode.to_string(),
        truncated: v.truncated,
        findings,
    })
}

/// Statistics of a manifest.
#[pyclass(module = "vas", frozen, get_all)]
pub struct ManifestStats {
    /// `"2.1"`, `"2.2"` or `"2.3"`.
    version: String,
    /// Root element, e.g. `"ArchiveTransfer"`.
    kind: String,
    /// Full archive units (reference stubs excluded).
    units: usize,
    /// `ArchiveUnitRefId` stubs.
    unit_references: usize,
    /// `DataObjectGroup` elements.
    groups: usize,
    /// Binary objects.
    binary_objects: usize,
    /// Physical objects.
    physical_objects: usize,
    /// Units without parent.
    roots: usize,
    /// Longest root-to-leaf chain of units.
    max_depth: usize,
    /// Whether the units form a cycle.
    has_cycle: bool,
}

#[pymethods]
impl ManifestStats {
    fn __repr__(&self) -> String {
        format!(
            "<vas.ManifestStats SEDA {} {} units={} groups={} binary_objects={} physical_objects={} roots={} max_depth={}>",
            self.version,
            self.kind,
            self.units,
            self.groups,
            self.binary_objects,
            self.physical_objects,
            self.roots,
            self.max_depth
        )
    }
}

/// Parses a manifest (path or bytes) and returns its statistics. Malformed XML raises
/// `XmlError`; a document that is not SEDA 2.1/2.2/2.3 raises `UnsupportedError`.
#[pyfunction]
pub fn manifest_stats(py: Python<'_>, source: &Bound<'_, PyAny>) -> PyResult<ManifestStats> {
    let src = Source::from_py(source)?;
    let s = py.detach(|| ops::manifest_stats(src.input())).py_err(py)?;
    Ok(ManifestStats {
        version: s.version,
        kind: s.kind,
        units: s.units,
        unit_references: s.unit_references,
        groups: s.groups,
        binary_objects: s.binary_objects,
        physical_objects: s.physical_objects,
        roots: s.roots,
        max_depth: s.max_depth,
        has_cycle: s.has_cycle,
    })
}

/// Parses a manifest (path or bytes) and serializes it again (lossless round-trip), in
/// its own SEDA version or in `seda_version` (`"2.1"`, `"2.2"`, `"2.3"`).
#[pyfunction]
#[pyo3(signature = (source, seda_version = None))]
pub fn rewrite_manifest<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    seda_version: Option<String>,
) -> PyResult<Bound<'py, PyBytes>> {
    let src = Source::from_py(source)?;
    let out = py
        .detach(|| ops::rewrite_manifest(src.input(), seda_version.as_deref()))
        .py_err(py)?;
    Ok(PyBytes::new(py, &out))
}

/// The PRONOM identification of a file or of bytes.
#[pyclass(module = "vas", frozen, get_all)]
pub struct Identification {
    /// PRONOM identifier, e.g. `"fmt/18"`, or `"UNKNOWN"`.
    puid: String,
    /// Format name.
    name: String,
    /// Format version.
    version: String,
    /// MIME type.
    mime: String,
    /// Why this format (signature offsets, extension match).
    basis: String,
    /// Warning (e.g. extension mismatch), empty when none.
    warning: String,
}

#[pymethods]
impl Identification {
    fn __repr__(&self) -> String {
        format!(
            "<vas.Identification {} {:?} {:?} {:?}>",
            self.puid, self.name, self.version, self.mime
        )
    }
}

/// Identifies the format of a file (path) or of bytes with the bundled PRONOM
/// signatures; `name_hint` (a file name) enables extension matching for bytes.
#[pyfunction]
#[pyo3(signature = (source, name_hint = None))]
pub fn identify(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    name_hint: Option<String>,
) -> PyResult<Identification> {
    let src = Source::from_py(source)?;
    let id = py
        .detach(|| ops::identify(src.input(), name_hint.as_deref()))
        .py_err(py)?;
    Ok(Identification {
        puid: id.puid,
        name: id.name,
        version: id.version,
        mime: id.mime,
        basis: id.basis,
        warning: id.warning,
    })
}

/// Registers the functions and classes of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Finding>()?;
    m.add_class::<ManifestValidation>()?;
    m.add_class::<ManifestStats>()?;
    m.add_class::<Identification>()?;
    m.add_function(wrap_pyfunction!(validate_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(manifest_stats, m)?)?;
    m.add_function(wrap_pyfunction!(rewrite_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(identify, m)?)?;
    Ok(())
}
