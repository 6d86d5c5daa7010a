//! JSON values (reports, search results, unit documents) as native Python objects, and
//! Python objects (queries) as JSON.

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;

/// A JSON value as `None`, `bool`, `int`, `float`, `str`, `list` or `dict`.
pub fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_bound_py_any(py)?
            } else if let Some(u) = n.as_u64() {
                u.into_bound_py_any(py)?
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A query or document from Python: a `dict`/`list` (serialised with `json.dumps`) or a
/// `str` holding JSON text. Anything `json` cannot serialise is a `TypeError`; JSON text
/// that does not parse is an `InvalidInputError`.
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = obj.py();
    let text: String = if let Ok(s) = obj.cast::<PyString>() {
        s.extract::<String>()?
    } else {
        py.import("json")?
            .getattr("dumps")?
            .call1((obj,))?
            .extract()?
    };
    serde_json::from_str(&text).map_err(|e| {
        crate::errors::to_pyerr(
            py,
            vas_core::Error::invalid(format!("the query is not valid JSON: {e}")),
        )
    })
}
