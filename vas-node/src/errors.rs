//! The Node error surface, derived from `vas_core::ErrorKind`: every vas error reaches
//! JavaScript as an `Error` whose `code` is `ErrorKind::js_code()` (`VAS_NOT_FOUND` …),
//! whose message carries the context and the cause chain, and whose `kind`, `path`,
//! `element`, `line`, `column`, `id` and `outcomeCode` (the Vitam outcome code) properties
//! carry the error's context when known (`errno` too when an OS error is the cause).

use napi::bindgen_prelude::*;
use napi::{Env, JsValue, Status};
use vas_core::{Error as VasError, ErrorKind};

/// The OS error number of the I/O error behind `e`, if any.
fn os_errno(e: &VasError) -> Option<i32> {
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

/// Builds the JavaScript error of a vas error.
pub fn to_js_error(env: &Env, e: &VasError) -> napi::Error {
    match build(env, e) {
        Ok(err) => err,
        // Could not build the object (exception pending …): a plain error with the code.
        Err(_) => napi::Error::new(
            Status::GenericFailure,
            format!("{}: {}", e.kind().js_code(), e.chain()),
        ),
    }
}

fn build(env: &Env, e: &VasError) -> Result<napi::Error> {
    let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.chain()))?;
    obj.set("code", e.kind().js_code())?;
    obj.set("kind", e.kind().name())?;
    let c = e.context();
    if let Some(p) = &c.path {
        obj.set("path", p.to_string_lossy().into_owned())?;
    }
    if let Some(v) = &c.element {
        obj.set("element", v.as_str())?;
    }
    if let Some(v) = c.line {
        obj.set("line", v as f64)?;
    }
    if let Some(v) = c.column {
        obj.set("column", v as f64)?;
    }
    if let Some(v) = &c.id {
        obj.set("id", v.as_str())?;
    }
    if let Some(v) = &c.code {
        obj.set("outcomeCode", v.as_str())?;
    }
    if let Some(n) = os_errno(e) {
        obj.set("errno", n)?;
    }
    Ok(napi::Error::from(obj.to_unknown()))
}

/// `Result<T, vas_core::Error>` → `napi::Result<T>`: the one call every synchronous
/// binding function ends with (`vas_core_call(...).js_err(env)`).
pub trait IntoJsResult<T> {
    /// Maps the error with [`to_js_error`].
    fn js_err(self, env: &Env) -> Result<T>;
}

impl<T> IntoJsResult<T> for std::result::Result<T, VasError> {
    fn js_err(self, env: &Env) -> Result<T> {
        self.map_err(|e| to_js_error(env, &e))
    }
}

/// One row of the error table shared by every binding.
#[napi(object)]
pub struct ErrorKindInfo {
    /// Stable kind name, e.g. `NotFound`.
    pub name: String,
    /// `err.code` in this binding, e.g. `VAS_NOT_FOUND`.
    pub js_code: String,
    /// `vas_result` value in the C binding.
    pub c_code: i32,
    /// Exception class in the Python binding.
    pub python_class: String,
    /// Builtin exception the Python class also derives from, if any.
    pub python_builtin: Option<String>,
}

/// The error table: one row per error kind, in the order of the C codes.
#[napi(catch_unwind)]
pub fn error_kinds() -> Vec<ErrorKindInfo> {
    ErrorKind::ALL
        .iter()
        .map(|k| ErrorKindInfo {
            name: k.name().to_string(),
            js_code: k.js_code().to_string(),
            c_code: k.c_code(),
            python_class: k.python_class().to_string(),
            python_builtin: k.python_builtin().map(str::to_string),
        })
        .collect()
}

/// The properties vas sets on the `Error`s it throws (for TypeScript:
/// `catch (e) { const v = e as Error & VasErrorFields }`). Never returned by a function.
#[napi(object, object_from_js = false)]
pub struct VasErrorFields {
    /// Stable code of the error kind, e.g. `VAS_NOT_FOUND` (see `errorKinds()`).
    pub code: String,
    /// The kind name, e.g. `NotFound`.
    pub kind: String,
    /// File path or package entry name.
    pub path: Option<String>,
    /// Element path inside an XML document.
    pub element: Option<String>,
    /// 1-based line in the document.
    pub line: Option<f64>,
    /// 1-based column in the document.
    pub column: Option<f64>,
    /// Identifier the error is about.
    pub id: Option<String>,
    /// Vitam outcome code, e.g. `CHECK_DIGEST.KO`.
    pub outcome_code: Option<String>,
    /// OS error number when an OS error is the cause.
    pub errno: Option<i32>,
}

/// Context of an error raised on purpose by `_raiseError`.
#[napi(object)]
pub struct ErrorContextForTest {
    /// File path.
    pub path: Option<String>,
    /// Element path.
    pub element: Option<String>,
    /// Line (with `column`).
    pub line: Option<u32>,
    /// Column (with `line`).
    pub column: Option<u32>,
    /// Identifier.
    pub id: Option<String>,
    /// Vitam outcome code.
    pub outcome_code: Option<String>,
}

/// Throws the vas error described by the arguments: for the tests of the error mapping
/// (every kind, every context field). Not part of the public API.
#[napi(js_name = "_raiseError", catch_unwind)]
pub fn raise_error(
    env: Env,
    kind: String,
    message: String,
    context: Option<ErrorContextForTest>,
) -> Result<()> {
    let kind = ErrorKind::from_name(&kind)
        .ok_or_else(|| napi::Error::new(Status::InvalidArg, format!("unknown kind {kind}")))?;
    let mut e = VasError::new(kind, message);
    if let Some(c) = context {
        if let Some(v) = c.path {
            e = e.with_path(v);
        }
        if let Some(v) = c.element {
            e = e.with_element(v);
        }
        if let (Some(l), Some(col)) = (c.line, c.column) {
            e = e.at(l.into(), col.into());
        }
        if let Some(v) = c.id {
            e = e.with_id(v);
        }
        if let Some(v) = c.outcome_code {
            e = e.with_code(v);
        }
    }
    Err(e).js_err(&env)
}
