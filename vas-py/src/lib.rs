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

pub mod args;
pub mod errors;

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
#[pyclass(module = "vas")]
#[derive(Clone)]
struct Hasher {
    inner: core_digest::Hasher,
}

#[pymethods]
impl Hasher {
    #[new]
    #[pyo3(signature = (algorithm = "SHA-512"))]
    fn new(py: Python<'_>, algorithm: &str) -> PyResult<Self> {
        Ok(Hasher {
            inner: core_digest::Hasher::new(args::algorithm(py, algorithm)?),
        })
    }

    /// Feeds a bytes-like object.
    fn update(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = args::bytes(data)?;
        if bytes.len() >= args::DETACH_THRESHOLD {
            let inner = &mut self.inner;
            py.detach(|| inner.update(&bytes));
        } else {
            self.inner.update(&bytes);
        }
        Ok(())
    }

    /// The lower-case hex digest of everything fed so far (the hasher stays usable).
    fn hexdigest(&self) -> String {
        self.inner.clone().finalize_hex()
    }

    /// The raw digest of everything fed so far (the hasher stays usable).
    fn digest<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.clone().finalize_bytes())
    }

    /// An independent copy of the hasher's state.
    fn copy(&self) -> Self {
        self.clone()
    }

    /// The SEDA name of the algorithm, e.g. `"SHA-512"`.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().seda_name()
    }

    /// Size of the digest in bytes.
    #[getter]
    fn digest_size(&self) -> usize {
        self.inner.algorithm().output_len()
    }

    /// Number of bytes fed so far.
    #[getter]
    fn size(&self) -> u64 {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<vas.Hasher {} after {} bytes>",
            self.inner.algorithm().seda_name(),
            self.inner.len()
        )
    }
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
    Ok(())
}
