//! Argument conversions shared by every function of the module: algorithms, byte
//! buffers, paths and binary file objects (as a `std::io::Read`).

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use vas_core::digest::DigestAlgorithm;
use vas_core::{Error, ErrorKind};

use crate::errors::{IntoPyResult, PythonCause, python_cause, to_pyerr};

/// Buffers at least this large are processed with the GIL released.
pub const DETACH_THRESHOLD: usize = 64 * 1024;

/// An algorithm name (`"SHA-512"`, `"sha256"` …); unknown names raise `InvalidInputError`.
pub fn algorithm(py: Python<'_>, name: &str) -> PyResult<DigestAlgorithm> {
    name.parse::<DigestAlgorithm>().py_err(py)
}

/// A path: `str`, `bytes` or any `os.PathLike` (through `os.fspath`).
pub fn path(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let py = obj.py();
    let fspath = py
        .import("os")?
        .getattr("fspath")?
        .call1((obj,))
        .map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "expected a path (str, bytes or os.PathLike), got {}",
                type_name(obj)
            ))
        })?;
    if let Ok(b) = fspath.cast::<PyBytes>() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            return Ok(PathBuf::from(std::ffi::OsStr::from_bytes(b.as_bytes())));
        }
        #[cfg(not(unix))]
        {
            let s = std::str::from_utf8(b.as_bytes())
                .map_err(|_| pyo3::exceptions::PyValueError::new_err("bytes path is not UTF-8"))?;
            return Ok(PathBuf::from(s));
        }
    }
    fspath.extract::<PathBuf>()
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// True when `obj` looks like a binary file object (has a callable `read`) and is not a
/// bytes-like object.
pub fn is_file_object(obj: &Bound<'_, PyAny>) -> bool {
    !obj.is_instance_of::<PyBytes>()
        && !obj.is_instance_of::<PyByteArray>()
        && obj.hasattr("read").unwrap_or(false)
}

/// The bytes of a bytes-like object: `bytes` without a copy; `bytearray`, `memoryview`
/// and any other buffer with one copy (the stable ABI of Python 3.9 has no buffer
/// protocol). `str` is refused: encode it first.
pub fn bytes<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    if obj.is_instance_of::<PyString>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "expected a bytes-like object, got str (encode it first; for a path use digest_file)",
        ));
    }
    let py = obj.py();
    // memoryview() accepts exactly the buffer-protocol objects (not ints, unlike bytes()).
    let copied = py
        .import("builtins")?
        .getattr("memoryview")?
        .call1((obj,))
        .and_then(|mv| mv.call_method0("tobytes"))
        .map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "expected a bytes-like object (bytes, bytearray, memoryview) or a binary file, got {}",
                type_name(obj)
            ))
        })?;
    let b = copied.cast::<PyBytes>()?;
    Ok(Cow::Owned(b.as_bytes().to_vec()))
}

/// A binary Python file object seen as a `std::io::Read`. Each `read` re-acquires the GIL,
/// so a function can read it with the GIL released (`py.detach`). End with
/// [`PyReader::finish`], which raises the right exception: the file object's own
/// exception unchanged if its `read` raised, the vas error otherwise.
pub struct PyReader {
    file: Py<PyAny>,
    failure: Option<Error>,
}

impl PyReader {
    /// Wraps a binary file object (anything with `read(n) -> bytes`).
    pub fn new(file: &Bound<'_, PyAny>) -> Self {
        PyReader {
            file: file.clone().unbind(),
            failure: None,
        }
    }

    /// Converts the result of the vas-core call that read from this reader.
    pub fn finish<T>(self, py: Python<'_>, result: Result<T, Error>) -> PyResult<T> {
        match result {
            Ok(v) => Ok(v),
            Err(e) => match python_cause(py, &e) {
                Some(original) => Err(original),
                None => Err(to_pyerr(py, self.failure.unwrap_or(e))),
            },
        }
    }

    fn fail(&mut self, e: Error) -> io::Error {
        let msg = e.to_string();
        self.failure = Some(e);
        io::Error::other(msg)
    }
}

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let chunk = self
                .file
                .bind(py)
                .call_method1("read", (buf.len(),))
                .map_err(|e| io::Error::other(PythonCause(e)))?;
            if chunk.is_none() {
                return Err(self.fail(Error::new(
                    ErrorKind::Unsupported,
                    "the file object returned None (non-blocking streams are not supported)",
                )));
            }
            let data = match chunk.cast::<PyBytes>() {
                Ok(b) => Cow::Borrowed(b.as_bytes()),
                Err(_) if chunk.is_instance_of::<PyString>() => {
                    return Err(self.fail(Error::invalid(
                        "the file object returned str: open it in binary mode ('rb')",
                    )));
                }
                Err(_) => bytes(&chunk).map_err(|e| io::Error::other(PythonCause(e)))?,
            };
            if data.len() > buf.len() {
                return Err(self.fail(Error::invalid(format!(
                    "the file object returned {} bytes when at most {} were asked",
                    data.len(),
                    buf.len()
                ))));
            }
            buf[..data.len()].copy_from_slice(&data);
            Ok(data.len())
        })
    }
}

/// A date argument as ISO 8601 text: a `datetime.date` or `datetime.datetime` (through
/// `isoformat()`) or a `str`, passed as is (vas-core checks it where it is used).
pub fn date_text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s.extract::<String>();
    }
    let py = obj.py();
    let date_type = py.import("datetime")?.getattr("date")?;
    if obj.is_instance(&date_type)? {
        return obj.call_method0("isoformat")?.extract();
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "expected a date (datetime.date, datetime.datetime or an ISO 8601 str), got {}",
        type_name(obj)
    )))
}

/// [`date_text`] of an optional argument.
pub fn opt_date_text(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    obj.filter(|o| !o.is_none()).map(date_text).transpose()
}

/// A date read back from vas: a `datetime.date` when the text is a plain `YYYY-MM-DD`
/// date, the text itself otherwise (a `dateTime`, or a value vas will refuse at build).
pub fn date_out<'py>(py: Python<'py>, text: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
    let Some(t) = text else {
        return Ok(py.None().into_bound(py));
    };
    if t.len() == 10
        && let Ok(d) = py
            .import("datetime")?
            .getattr("date")?
            .call_method1("fromisoformat", (t,))
    {
        return Ok(d);
    }
    Ok(PyString::new(py, t).into_any())
}

/// True when `obj` is a path (`str` or `os.PathLike`) rather than content.
pub fn is_path(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__").unwrap_or(false)
}
