//! Ingest dry run (`vas_dry_run_ingest`) and rule computation (`vas_compute_rules_*`),
//! over `vas_core::api`.

use std::ffi::{c_char, c_void};

use crate::bytes::{self, vas_bytes};
use crate::options::{ProgressHook, vas_progress_callback, vas_progress_phase};
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

/// Options of `vas_dry_run_ingest_with_options` (versioned: set `struct_size`, e.g.
/// `vas_dry_run_options o = VAS_DRY_RUN_OPTIONS_INIT;`). The zero value of every other
/// field means its default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vas_dry_run_options {
    /// `sizeof` this struct as the caller's header declares it (see
    /// `VAS_DRY_RUN_OPTIONS_INIT`).
    pub struct_size: usize,
    /// A referentials folder (NULL skips the checks that need one).
    pub referentials: *const c_char,
    /// An ingest context id (NULL: no context check).
    pub context: *const c_char,
    /// Called as the package's objects are read and hashed (`VAS_PROGRESS_PHASE_READING`,
    /// bytes); returning nonzero cancels the run (`VAS_RESULT_CANCELLED`). NULL: none.
    pub progress: vas_progress_callback,
    /// Passed to `progress` as is.
    pub progress_userdata: *mut c_void,
}

/// Initialises `*opts` (`struct_size` bytes, normally `sizeof *opts`) to the defaults of
/// the layout of that size and sets its `struct_size`; the function form of
/// `VAS_DRY_RUN_OPTIONS_INIT`. An unknown size is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `opts` is NULL or valid for writing `struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_dry_run_options_init(
    opts: *mut vas_dry_run_options,
    struct_size: usize,
) -> vas_result {
    // SAFETY: caller's contract.
    unsafe { crate::options::init_options(opts, struct_size) }
}

// SAFETY: repr(C), `struct_size` first, all-zero is valid for every field.
unsafe impl crate::options::VersionedOptions for vas_dry_run_options {
    const NAME: &'static str = "vas_dry_run_options";
    const INIT_MACRO: &'static str = "VAS_DRY_RUN_OPTIONS_INIT";
    fn sizes() -> &'static [usize] {
        &[size_of::<vas_dry_run_options>()]
    }
}

/// `vas_dry_run_ingest` with options (NULL: the defaults), among them a progress callback
/// that can cancel the run.
///
/// # Safety
/// `sip` is NULL or NUL-terminated; `opts` is NULL or a `vas_dry_run_options`
/// (`struct_size` readable bytes) whose strings are NULL or NUL-terminated;
/// `out_accepted` is NULL or writable; `out_report` and `out_atr` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_dry_run_ingest_with_options(
    sip: *const c_char,
    opts: *const vas_dry_run_options,
    out_accepted: *mut bool,
    out_report: *mut *mut vas_bytes,
    out_atr: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let sip = unsafe { c_path(sip, "sip") }?;
        // SAFETY: caller's contract.
        let o = unsafe { crate::options::read_options(opts) }?;
        let (refs, context, hook) = match o {
            None => (None, None, None),
            // SAFETY: caller's contract on the strings.
            Some(o) => unsafe {
                (
                    opt_path(o.referentials, "referentials")?,
                    opt_c_str(o.context, "context")?,
                    ProgressHook::new(o.progress, o.progress_userdata),
                )
            },
        };
        if out_accepted.is_null() {
            return Err(Failure::NullParameter("out_accepted"));
        }
        let progress = hook.as_ref().map(|h| {
            let h = std::sync::Arc::clone(h);
            std::sync::Arc::new(move |done: u64, total: u64| {
                h.report(vas_progress_phase::Reading, done, total);
            }) as vas_core::ingest::Progress
        });
        let cancel = hook.as_ref().map(|h| std::sync::Arc::clone(&h.cancel));
        let check = ProgressHook::outcome(
            hook.as_ref(),
            ops::dry_run_ingest_with_progress(
                &sip,
                refs.as_deref(),
                context.as_deref(),
                progress,
                cancel,
            ),
        )?;
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
