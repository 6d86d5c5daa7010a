//! [`Json`]: a `serde_json::Value` that a `Promise` can resolve to (napi's `Value`
//! conversion lacks the `TypeName` an `AsyncTask` output needs). JSON results (reports,
//! unit documents, search results) reach JavaScript as plain objects.
//!
//! The value is serialized with `serde_json::to_string` and parsed by the engine's own
//! `JSON.parse`: napi's node-by-node conversion of a `Value` refuses documents of more than
//! 1,000,000 nodes or 128 levels, which large search results and reports can exceed.

use std::ptr;

use napi::bindgen_prelude::*;
use napi::{check_status, sys};
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
        let text = serde_json::to_string(&val.0).map_err(|e| {
            Error::from_reason(format!("vas: a JSON result did not serialize: {e}"))
        })?;
        // SAFETY: plain napi calls on the current env, each checked; the property names
        // are NUL-terminated literals.
        unsafe {
            let mut global = ptr::null_mut();
            check_status!(sys::napi_get_global(env, &mut global))?;
            let mut json = ptr::null_mut();
            check_status!(sys::napi_get_named_property(
                env,
                global,
                c"JSON".as_ptr(),
                &mut json
            ))?;
            let mut parse = ptr::null_mut();
            check_status!(sys::napi_get_named_property(
                env,
                json,
                c"parse".as_ptr(),
                &mut parse
            ))?;
            let arg = String::to_napi_value(env, text)?;
            let mut out = ptr::null_mut();
            check_status!(sys::napi_call_function(env, json, parse, 1, &arg, &mut out))?;
            Ok(out)
        }
    }
}
