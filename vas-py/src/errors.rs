//! The Python error surface, derived from `vas_core::ErrorKind::ALL` in one loop.
//!
//! `vas.VasError` (a subclass of `Exception`) and one subclass per kind, named by
//! `ErrorKind::python_class()`, which also derives from `ErrorKind::python_builtin()`
//! when there is one (`NotFoundError` is a `FileNotFoundError`). Instances carry the
//! error's `kind`, `message` and context (`path`, `element`, `line`, `column`, `id`,
//! `code`). A Python exception raised by a callback (e.g. a file object's `read`) that
//! caused the error is chained as `__cause__`.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use vas_core::{Error, ErrorKind};

/// `VasError`, and one class per kind in the order of `ErrorKind::ALL`.
type Classes = (Py<PyType>, Vec<(ErrorKind, Py<PyType>)>);

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

const ATTRS: [&str; 8] = [
    "message", "path", "element", "line", "column", "id", "code", "kind",
];

fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: Vec<Bound<'py, PyAny>>,
    doc: String,
    kind: Option<&str>,
) -> PyResult<Bound<'py, PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "vas")?;
    dict.set_item("__doc__", doc)?;
    for a in ATTRS {
        dict.set_item(a, py.None())?;
    }
    dict.set_item("kind", kind)?;
    if kind.is_none() {
        // str(e) is vas's message for every class, also those deriving from OSError
        // (whose own __str__ would format errno/strerror/filename instead).
        let to_str = py.eval(
            c"lambda self: str(self.args[0]) if self.args else ''",
            None,
            None,
        )?;
        dict.set_item("__str__", to_str)?;
    }
    let builtins = py.import("builtins")?;
    let ty = builtins
        .getattr("type")?
        .call1((name, PyTuple::new(py, bases)?, dict))?;
    Ok(ty.cast_into::<PyType>()?)
}

/// Creates the exception classes (once) and adds them to the module `m`; also adds
/// `ERROR_KINDS`, the table itself: `(name, python_class, python_builtin, js_code,
/// c_code)` per kind.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let (base, classes) = CLASSES.get_or_try_init(py, || -> PyResult<_> {
        let builtins = py.import("builtins")?;
        let base = new_class(
            py,
            "VasError",
            vec![builtins.getattr("Exception")?],
            "Base class of every error raised by vas. Attributes: kind, message, path, \
             element, line, column, id, code (None when unknown)."
                .to_string(),
            None,
        )?;
        let mut classes = Vec::new();
        for kind in ErrorKind::ALL {
            let mut bases = vec![base.clone().into_any()];
            if let Some(b) = kind.python_builtin() {
                bases.push(builtins.getattr(b)?);
            }
            let doc = format!(
                "vas error of kind {} (Node err.code {}, C result {}).",
                kind.name(),
                kind.js_code(),
                kind.c_code()
            );
            let cls = new_class(py, kind.python_class(), bases, doc, Some(kind.name()))?;
            classes.push((*kind, cls.unbind()));
        }
        Ok((base.unbind(), classes))
    })?;
    m.add("VasError", base.bind(py))?;
    let mut table = Vec::new();
    for (kind, cls) in classes {
        m.add(kind.python_class(), cls.bind(py))?;
        table.push((
            kind.name(),
            kind.python_class(),
            kind.python_builtin(),
            kind.js_code(),
            kind.c_code(),
        ));
    }
    m.add("ERROR_KINDS", PyTuple::new(py, table)?)?;
    Ok(())
}

/// A Python exception travelling through Rust code (e.g. inside an `io::Error` from a
/// Python file object), re-attached as `__cause__` when the vas error reaches Python.
#[derive(Debug)]
pub struct PythonCause(pub PyErr);

impl std::fmt::Display for PythonCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::error::Error for PythonCause {}

/// The Python exception that caused `e`, if one is in its source chain.
pub fn python_cause(py: Python<'_>, e: &Error) -> Option<PyErr> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = cur {
        if let Some(p) = err.downcast_ref::<PythonCause>() {
            return Some(p.0.clone_ref(py));
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(p) = io.get_ref().and_then(|i| i.downcast_ref::<PythonCause>())
        {
            return Some(p.0.clone_ref(py));
        }
        cur = err.source();
    }
    None
}

/// The OS error number of the I/O error behind `e`, if any.
fn os_errno(e: &Error) -> Option<i32> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = cur {
        if let Some(n) = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error)
        {
            return Some(n);
        }
        cur = err.source();
    }
    None
}

/// Converts a vas-core error into the Python exception of its kind, with its context.
pub fn to_pyerr(py: Python<'_>, e: Error) -> PyErr {
    match build(py, &e) {
        Ok(err) => err,
        // Building the exception failed (out of memory …): still raise something useful.
        Err(fallback) => {
            let err = PyRuntimeError::new_err(e.chain());
            err.set_cause(py, Some(fallback));
            err
        }
    }
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let (_, classes) = CLASSES
        .get(py)
        .ok_or_else(|| PyRuntimeError::new_err("vas exception classes are not initialised"))?;
    let cls = classes
        .iter()
        .find(|(k, _)| *k == e.kind())
        .or_else(|| classes.iter().find(|(k, _)| *k == ErrorKind::Internal))
        .map(|(_, c)| c.bind(py))
        .ok_or_else(|| PyValueError::new_err("unknown error kind"))?;
    let inst = cls.call1((e.chain(),))?;
    let c = e.context();
    let path = c.path.as_ref().map(|p| p.to_string_lossy().into_owned());
    inst.setattr("message", e.message())?;
    inst.setattr("path", path.clone())?;
    inst.setattr("element", c.element.clone())?;
    inst.setattr("line", c.line)?;
    inst.setattr("column", c.column)?;
    inst.setattr("id", c.id.clone())?;
    inst.setattr("code", c.code.clone())?;
    if inst.is_instance_of::<pyo3::exceptions::PyOSError>() {
        if path.is_some() {
            inst.setattr("filename", path)?;
        }
        if let Some(errno) = os_errno(e) {
            inst.setattr("errno", errno)?;
        }
        inst.setattr("strerror", e.message())?;
    }
    let err = PyErr::from_value(inst);
    if let Some(cause) = python_cause(py, e) {
        err.set_cause(py, Some(cause));
    }
    Ok(err)
}

/// `Result<T, vas_core::Error>` → `PyResult<T>`: the one line every binding function ends
/// with (`vas_core_call(...).py_err(py)?`).
pub trait IntoPyResult<T> {
    /// Maps the error with [`to_pyerr`].
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, e))
    }
}
