//! Ingest dry run (`vas_dry_run_ingest`) and rule computation (`vas_compute_rules_*`),
//! over `vas_core::api`.

use std::ffi::c_char;

use crate::bytes::{self, vas_bytes};
use crate::{Failure, boundary, c_path, in_bytes, ops, opt_c_str, out, vas_result};

/// An optional path argument.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn opt_path(
    p: *const c_char,
    name: &'static str,
) -> Result<Option<std::path::PathBuf>, Failure> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { c_path(p, name) }.map(Some)
    }
}

/// Runs Vitam's ingest controls on the SIP at `sip` without storing anything
/// (`vas ingest --dry-run`): `referentials` is a referentials folder (NULL skips the
/// checks that need one), `context` an ingest context id (may be NULL). A refused SIP is a
/// verdict, not an error: `*out_accepted` is false and the report says why. Outputs:
/// `*out_accepted` (required), `*out_report` the operation report as JSON (`{"evType",
/// "outcome", "outDetail", "outMessg", "events": [...] …}`, may be NULL: not wanted),
/// `*out_atr` the ArchiveTransferReply XML (may be NULL).
///
/// # Safety
/// `sip` is NULL or NUL-terminated; `referentials` and `context` are NULL or
/// NUL-terminated; `out_accepted` is NULL or writable; `out_report` and `out_atr` are NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_dry_run_ingest(
    sip: *const c_char,
    referentials: *const c_char,
    context: *const c_char,
    out_accepted: *mut bool,
    out_report: *mut *mut vas_bytes,
    out_atr: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let sip = unsafe { c_path(sip, "sip") }?;
        // SAFETY: caller's contract.
        let refs = unsafe { opt_path(referentials, "referentials") }?;
        // SAFETY: caller's contract.
        let context = unsafe { opt_c_str(context, "context") }?;
        if out_accepted.is_null() {
            return Err(Failure::NullParameter("out_accepted"));
        }
        let check = ops::dry_run_ingest(&sip, refs.as_deref(), context.as_deref())?;
        // SAFETY: caller's contract.
        unsafe {
            bytes::store(out_report, bytes::json(&check.report));
            bytes::store(out_atr, check.atr.into_bytes());
            out(out_accepted, "out_accepted", check.accepted)
        }
    })
}

/// Computes the inherited management rules of every unit of the manifest (or SIP, or
/// units JSON file ending in `.json`) at `path` against `REFERENTIALS/rules.csv`, as
/// `vas rules compute --json` prints them, into `*out_json`:
/// `{"units": [{"id", "title", "inheritedRules", "management", "computedInheritedRules",
/// "decisions"?} …]}`. `unit` (may be NULL) keeps only that unit (`VAS_RESULT_NOT_FOUND`
/// if absent); `at` (`YYYY-MM-DD`, may be NULL) adds each unit's decisions at that date
/// (communicable, disseminable, reusable, under hold, classification). An unknown rule is
/// `VAS_RESULT_INVALID_INPUT` with Vitam's outcome code in the detail.
///
/// # Safety
/// `referentials` and `path` are NULL or NUL-terminated; `unit` and `at` are NULL or
/// NUL-terminated; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_compute_rules_json(
    referentials: *const c_char,
    path: *const c_char,
    unit: *const c_char,
    at: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let refs = unsafe { c_path(referentials, "referentials") }?;
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        // SAFETY: caller's contract.
        let opts = unsafe { rules_options(unit, at) }?;
        bytes::check_out(out_json, "out_json")?;
        let v = ops::compute_rules(&refs, ops::Input::Path(&path), &opts)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(bytes::json(&v))) }
    })
}

/// Like `vas_compute_rules_json`, for a manifest in memory `(data, len)`.
///
/// # Safety
/// `referentials` is NULL or NUL-terminated; `data` is NULL or valid for `len` bytes;
/// `unit` and `at` are NULL or NUL-terminated; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_compute_rules_bytes_json(
    referentials: *const c_char,
    data: *const u8,
    len: usize,
    unit: *const c_char,
    at: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let refs = unsafe { c_path(referentials, "referentials") }?;
        // SAFETY: caller's contract.
        let data = unsafe { in_bytes(data, len, "data") }?;
        // SAFETY: caller's contract.
        let opts = unsafe { rules_options(unit, at) }?;
        bytes::check_out(out_json, "out_json")?;
        let v = ops::compute_rules(&refs, ops::Input::Bytes(data), &opts)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(bytes::json(&v))) }
    })
}

/// # Safety
/// `unit` and `at` are NULL or NUL-terminated.
unsafe fn rules_options(
    unit: *const c_char,
    at: *const c_char,
) -> Result<ops::RulesOptions, Failure> {
    // SAFETY: forwarded contract.
    unsafe {
        Ok(ops::RulesOptions {
            unit: opt_c_str(unit, "unit")?,
            at: opt_c_str(at, "at")?,
        })
    }
}
