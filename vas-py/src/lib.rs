//! # vas-py — the Python bindings of vas-core (`vas._vas`)
//!
//! Thin by design: every function converts its arguments ([`args`]), calls vas-core
//! (with the GIL released for long work) and maps the error ([`errors`]). The pure-Python
//! package `vas` (`python/vas/__init__.py`) re-exports this module.
//!
//! Adding a function is a few lines:
//!
//! ```ignore
//! #[pyfunction]
//! fn validate(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Report> {
//!     let path = args::path(path)?;
//!     py.detach(|| vas_core::schema::validate_file(&path)).py_err(py).map(Report::from)
//! }
//! ```
#![warn(missing_docs)]

pub mod archive;
pub mod args;
pub mod errors;
pub mod ingest;
pub mod json;
pub mod manifest;
pub mod progress;
pub mod sip;
pub use vas_core::api as ops;

use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use vas_core::digest::{self as core_digest, DigestAlgorithm};

use crate::errors::IntoPyResult;

/// Hex digest (lower case) of a bytes-like object or of a binary file object read to
/// its end.
#[pyfunction]
#[pyo3(signature = (data, algorithm = "SHA-512"))]
fn digest(py: Python<'_>, data: &Bound<'_, PyAny>, algorithm: &str) -> PyResult<String> {
    let alg = args::algorithm(py, algorithm)?;
    if args::is_file_object(data) {
        let mut reader = args::PyReader::new(data);
        let result = py.detach(|| core_digest::digest_reader(alg, &mut reader));
        return reader.finish(py, result).map(|(hex, _)| hex);
    }
    let bytes = args::bytes(data)?;
    if bytes.len() >= args::DETACH_THRESHOLD {
        Ok(py.detach(|| core_digest::digest_bytes(alg, &bytes)))
    } else {
        Ok(core_digest::digest_bytes(alg, &bytes))
    }
}

/// `(hex digest, size in bytes)` of a file; the GIL is released while reading.
#[pyfunction]
#[pyo3(signature = (path, algorithm = "SHA-512"))]
fn digest_file(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    algorithm: &str,
) -> PyResult<(String, u64)> {
    let alg = args::algorithm(py, algorithm)?;
    let path = args::path(path)?;
    py.detach(|| core_digest::digest_file(alg, &path))
        .py_err(py)
}

/// A streaming hasher, in the manner of `hashlib`: `update()` then `hexdigest()`.
///
/// Safe to share between threads: updates are serialised by a lock, taken with the GIL
/// released when it is contended or when the data is large.
#[pyclass(module = "vas", frozen)]
struct Hasher {
    inner: Mutex<core_digest::Hasher>,
}

impl Hasher {
    /// Locks the state, releasing the GIL while waiting if another thread holds it.
    fn with<R: Send>(
        &self,
        py: Python<'_>,
        detach: bool,
        f: impl FnOnce(&mut core_digest::Hasher) -> R + Send,
    ) -> R {
        fn lock(m: &Mutex<core_digest::Hasher>) -> MutexGuard<'_, core_digest::Hasher> {
            // A panic while holding the lock cannot leave a hasher half-updated in a way
            // that matters more than the panic itself: keep going.
            m.lock().unwrap_or_else(|e| e.into_inner())
        }
        if !detach && let Ok(mut g) = self.inner.try_lock() {
            return f(&mut g);
        }
        py.detach(|| f(&mut lock(&self.inner)))
    }

    fn snapshot(&self, py: Python<'_>) -> core_digest::Hasher {
        self.with(py, false, |h| h.clone())
    }
}

#[pymethods]
impl Hasher {
    #[new]
    #[pyo3(signature = (algorithm = "SHA-512"))]
    fn new(py: Python<'_>, algorithm: &str) -> PyResult<Self> {
        Ok(Hasher {
            inner: Mutex::new(core_digest::Hasher::new(args::algorithm(py, algorithm)?)),
        })
    }

    /// Feeds a bytes-like object.
    fn update(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = args::bytes(data)?;
        let large = bytes.len() >= args::DETACH_THRESHOLD;
        let bytes: &[u8] = &bytes;
        self.with(py, large, |h| h.update(bytes));
        Ok(())
    }

    /// The lower-case hex digest of everything fed so far (the hasher stays usable).
    fn hexdigest(&self, py: Python<'_>) -> String {
        self.snapshot(py).finalize_hex()
    }

    /// The raw digest of everything fed so far (the hasher stays usable).
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.snapshot(py).finalize_bytes())
    }

    /// An independent copy of the hasher's state.
    fn copy(&self, py: Python<'_>) -> Self {
        Hasher {
            inner: Mutex::new(self.snapshot(py)),
        }
    }

    /// The SEDA name of the algorithm, e.g. `"SHA-512"`.
    #[getter]
    fn algorithm(&self, py: Python<'_>) -> &'static str {
        self.with(py, false, |h| h.algorithm().seda_name())
    }

    /// Size of the digest in bytes.
    #[getter]
    fn digest_size(&self, py: Python<'_>) -> usize {
        self.with(py, false, |h| h.algorithm().output_len())
    }

    /// Number of bytes fed so far.
    #[getter]
    fn size(&self, py: Python<'_>) -> u64 {
        self.with(py, false, |h| h.len())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let (alg, len) = self.with(py, false, |h| (h.algorithm().seda_name(), h.len()));
        format!("<vas.Hasher {alg} after {len} bytes>")
    }
}

/// Raises the vas error described by the arguments: for the tests of the error mapping
/// (every kind, every context field). Not part of the public API.
#[pyfunction]
#[pyo3(signature = (kind, message, *, path = None, element = None, line = None, column = None, id = None, code = None))]
#[allow(clippy::too_many_arguments)]
fn _raise_error(
    py: Python<'_>,
    kind: &str,
    message: &str,
    path: Option<&Bound<'_, PyAny>>,
    element: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
    id: Option<String>,
    code: Option<String>,
) -> PyResult<()> {
    let kind = vas_core::ErrorKind::from_name(kind)
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("unknown kind {kind}")))?;
    let mut e = vas_core::Error::new(kind, message);
    if let Some(p) = path {
        e = e.with_path(args::path(p)?);
    }
    if let Some(v) = element {
        e = e.with_element(v);
    }
    if let (Some(l), Some(c)) = (line, column) {
        e = e.at(l, c);
    }
    if let Some(v) = id {
        e = e.with_id(v);
    }
    if let Some(v) = code {
        e = e.with_code(v);
    }
    Err(errors::to_pyerr(py, e))
}

/// The native module `vas._vas`.
#[pymodule]
fn _vas(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", vas_core::VERSION)?;
    m.add("VERSION", vas_core::VERSION)?;
    let algs: Vec<&str> = DigestAlgorithm::ALL.iter().map(|a| a.seda_name()).collect();
    m.add("DIGEST_ALGORITHMS", PyTuple::new(py, algs)?)?;
    m.add(
        "DEFAULT_DIGEST_ALGORITHM",
        DigestAlgorithm::default().seda_name(),
    )?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(digest, m)?)?;
    m.add_function(wrap_pyfunction!(digest_file, m)?)?;
    m.add_class::<Hasher>()?;
    manifest::register(m)?;
    sip::register(m)?;
    ingest::register(m)?;
    archive::register(m)?;
    m.add_function(wrap_pyfunction!(_raise_error, m)?)?;
    Ok(())
}
