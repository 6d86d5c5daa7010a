//! [`Json`]: a `serde_json::Value` that a `Promise` can resolve to (napi's `Value`
//! conversion lacks the `TypeName` an `AsyncTask` output needs). JSON results (reports,
//! unit documents, search results) reach JavaScript as plain objects.

use napi::bindgen_prelude::*;
use napi::sys;
use serde_json::Value;

/// A JSON value returned to JavaScript as a plain object, array or scalar.
pub struct Json(pub Value);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: forwarded as is to napi's own conversion of `Value`.
        unsafe { Value::to_napi_value(env, val.0) }
    }
}
