//! # vas-ffi — the C ABI of vas-core
//!
//! `libvas` (`cdylib` + `staticlib`), declared by the generated header `include/vas.h`.
//! The conventions are those of rustls-ffi:
//!
//! - every fallible function returns a [`vas_result`]: `VAS_RESULT_OK` (0), one value per
//!   [`vas_core::ErrorKind`] (exactly [`vas_core::ErrorKind::c_code`]), and the values
//!   ≥ 1000 of the ABI itself (`VAS_RESULT_NULL_PARAMETER`, `VAS_RESULT_BUFFER_TOO_SMALL`,
//!   `VAS_RESULT_PANIC`);
//! - outputs go through out-parameters that are written **only on success**;
//! - byte buffers are `(pointer, length)` pairs; text outputs are written NUL-terminated
//!   into a caller buffer `(buf, len, &written)` where `written` receives the length
//!   without the NUL. Passing `buf == NULL && len == 0` is a *size query*: the call
//!   succeeds and writes the buffer size needed (NUL included) to `written`;
//! - objects are opaque handles created by `vas_<type>_new(…, &out)` and released by
//!   `vas_<type>_free` (which accepts NULL);
//! - after a failure, `vas_last_error_message` and `vas_last_error_detail` (JSON) give the
//!   message and context of the last error **of the calling thread**;
//! - every entry point checks its pointers (`VAS_RESULT_NULL_PARAMETER`) and runs behind a
//!   panic boundary: a panic becomes `VAS_RESULT_PANIC`, never an abort.
//!
//! Adding a function is a few lines: convert the arguments with the helpers of this
//! crate ([`c_str`], [`c_path`], [`in_bytes`], [`write_str`], [`out`]) inside
//! [`boundary`], call vas-core, return its `Result`.
#![allow(non_camel_case_types)]
#![warn(missing_docs)]

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::LazyLock;

use vas_core::digest::{DigestAlgorithm, Hasher, digest_bytes, digest_file};
use vas_core::{Error, ErrorKind};

pub use vas_core::api as ops;

pub mod archive;
pub mod bytes;
pub mod ingest;
pub mod options;
pub mod sip;

/// The result of every fallible function of libvas.
///
/// `VAS_RESULT_OK` is 0; the values 1 to 999 are exactly the C codes of
/// `vas_core::ErrorKind` (one per kind, stable forever); the values from 1000 up belong
/// to the C ABI itself.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vas_result {
    /// Success.
    Ok = 0,
    /// An argument or an input document is not acceptable.
    InvalidInput = 1,
    /// A document is not well-formed XML, or uses a refused XML feature.
    Xml = 2,
    /// A document does not conform to its schema.
    Schema = 3,
    /// A digest or a size does not match what was declared.
    Integrity = 4,
    /// Something that was asked for does not exist.
    NotFound = 5,
    /// Something that must be created already exists.
    AlreadyExists = 6,
    /// A write-once object already exists with different content, or a concurrent change.
    Conflict = 7,
    /// A valid request for a feature, version or format vas does not support.
    Unsupported = 8,
    /// An operating-system I/O failure.
    Io = 9,
    /// Stored data is damaged.
    Corrupt = 10,
    /// The caller is not allowed to do this.
    Denied = 11,
    /// Hostile content was refused.
    Unsafe = 12,
    /// A configured limit was exceeded.
    LimitExceeded = 13,
    /// A remote service could not be reached or answered badly.
    Unavailable = 14,
    /// A bug in vas: an invariant was broken.
    Internal = 15,
    /// A required pointer argument was NULL.
    NullParameter = 1000,
    /// The caller's output buffer is too small (use a size query to learn the size needed).
    BufferTooSmall = 1001,
    /// vas panicked; the panic was caught at the boundary. Please report it.
    Panic = 1002,
    /// The operation was cancelled by its progress callback (which returned nonzero);
    /// nothing it was writing is left behind.
    Cancelled = 1003,
}

impl vas_result {
    /// Every value of the enum, in order.
    pub const ALL: &'static [vas_result] = &[
        vas_result::Ok,
        vas_result::InvalidInput,
        vas_result::Xml,
        vas_result::Schema,
        vas_result::Integrity,
        vas_result::NotFound,
        vas_result::AlreadyExists,
        vas_result::Conflict,
        vas_result::Unsupported,
        vas_result::Io,
        vas_result::Corrupt,
        vas_result::Denied,
        vas_result::Unsafe,
        vas_result::LimitExceeded,
        vas_result::Unavailable,
        vas_result::Internal,
        vas_result::NullParameter,
        vas_result::BufferTooSmall,
        vas_result::Panic,
        vas_result::Cancelled,
    ];

    /// The result value of an error kind: the one whose value is `kind.c_code()`.
    /// (A kind unknown to this build — impossible while the tests pass — maps to
    /// `Internal`.)
    pub fn from_kind(kind: ErrorKind) -> vas_result {
        Self::ALL
            .iter()
            .copied()
            .find(|r| *r as i32 == kind.c_code())
            .unwrap_or(vas_result::Internal)
    }

    /// The value with the given integer, if any.
    pub fn from_i32(value: i32) -> Option<vas_result> {
        Self::ALL.iter().copied().find(|r| *r as i32 == value)
    }

    /// The stable name: `"Ok"`, the `ErrorKind` name, or the ABI name (`"NullParameter"` …).
    pub fn name(self) -> &'static str {
        match ErrorKind::from_c_code(self as i32) {
            Some(k) => k.name(),
            None => match self {
                vas_result::Ok => "Ok",
                vas_result::NullParameter => "NullParameter",
                vas_result::BufferTooSmall => "BufferTooSmall",
                vas_result::Panic => "Panic",
                vas_result::Cancelled => "Cancelled",
                _ => "Internal",
            },
        }
    }
}

/// A digest algorithm. Functions take it as an `int32_t` and check it
/// (`VAS_RESULT_INVALID_INPUT` for an unknown value).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vas_digest_algorithm {
    /// MD5 (compatibility only).
    Md5 = 1,
    /// SHA-1 (compatibility only).
    Sha1 = 2,
    /// SHA-256.
    Sha256 = 3,
    /// SHA-384.
    Sha384 = 4,
    /// SHA-512, the default of vas.
    Sha512 = 5,
}

impl vas_digest_algorithm {
    fn to_core(self) -> DigestAlgorithm {
        match self {
            vas_digest_algorithm::Md5 => DigestAlgorithm::Md5,
            vas_digest_algorithm::Sha1 => DigestAlgorithm::Sha1,
            vas_digest_algorithm::Sha256 => DigestAlgorithm::Sha256,
            vas_digest_algorithm::Sha384 => DigestAlgorithm::Sha384,
            vas_digest_algorithm::Sha512 => DigestAlgorithm::Sha512,
        }
    }

    fn from_core(alg: DigestAlgorithm) -> Option<Self> {
        [
            vas_digest_algorithm::Md5,
            vas_digest_algorithm::Sha1,
            vas_digest_algorithm::Sha256,
            vas_digest_algorithm::Sha384,
            vas_digest_algorithm::Sha512,
        ]
        .into_iter()
        .find(|a| a.to_core() == alg)
    }
}

/// Checks an algorithm value coming from C.
fn algorithm(value: i32) -> Result<DigestAlgorithm, Failure> {
    [
        vas_digest_algorithm::Md5,
        vas_digest_algorithm::Sha1,
        vas_digest_algorithm::Sha256,
        vas_digest_algorithm::Sha384,
        vas_digest_algorithm::Sha512,
    ]
    .into_iter()
    .find(|a| *a as i32 == value)
    .map(vas_digest_algorithm::to_core)
    .ok_or_else(|| {
        Error::invalid(format!(
            "unknown digest algorithm value {value} (expected a vas_digest_algorithm)"
        ))
        .into()
    })
}

// ---------------------------------------------------------------------------------------
// The machinery: failures, the last error, the panic boundary, argument helpers.
// ---------------------------------------------------------------------------------------

/// Why an entry point failed.
#[derive(Debug)]
pub enum Failure {
    /// An error of vas-core.
    Core(Error),
    /// The named pointer argument was NULL.
    NullParameter(&'static str),
    /// The output buffer `given` bytes long needed `needed` bytes.
    BufferTooSmall {
        /// Bytes needed (NUL included for text).
        needed: usize,
        /// Bytes given.
        given: usize,
    },
    /// A panic, with its message.
    Panic(String),
    /// A progress callback asked to stop, returning this nonzero value.
    Cancelled(i32),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl Failure {
    fn result(&self) -> vas_result {
        match self {
            Failure::Core(e) => vas_result::from_kind(e.kind()),
            Failure::NullParameter(_) => vas_result::NullParameter,
            Failure::BufferTooSmall { .. } => vas_result::BufferTooSmall,
            Failure::Panic(_) => vas_result::Panic,
            Failure::Cancelled(_) => vas_result::Cancelled,
        }
    }

    fn record(self) -> LastError {
        let result = self.result();
        let mut detail = serde_json::Map::new();
        detail.insert("result".into(), result.name().into());
        detail.insert("code".into(), (result as i32).into());
        let message = match self {
            Failure::Core(e) => {
                let c = e.context();
                detail.insert("kind".into(), e.kind().name().into());
                detail.insert("message".into(), e.message().into());
                if let Some(p) = &c.path {
                    detail.insert("path".into(), p.to_string_lossy().into_owned().into());
                }
                if let Some(v) = &c.element {
                    detail.insert("element".into(), v.clone().into());
                }
                if let Some(v) = c.line {
                    detail.insert("line".into(), v.into());
                }
                if let Some(v) = c.column {
                    detail.insert("column".into(), v.into());
                }
                if let Some(v) = &c.id {
                    detail.insert("id".into(), v.clone().into());
                }
                if let Some(v) = &c.code {
                    detail.insert("outcome_code".into(), v.clone().into());
                }
                if let Some(n) = os_errno(&e) {
                    detail.insert("errno".into(), n.into());
                }
                e.chain()
            }
            Failure::NullParameter(name) => {
                detail.insert("parameter".into(), name.into());
                format!("parameter '{name}' must not be NULL")
            }
            Failure::BufferTooSmall { needed, given } => {
                detail.insert("needed".into(), needed.into());
                detail.insert("given".into(), given.into());
                format!("output buffer of {given} bytes is too small: {needed} bytes needed")
            }
            Failure::Panic(msg) => format!("vas panicked (this is a bug, please report it): {msg}"),
            Failure::Cancelled(rc) => {
                detail.insert("callback_result".into(), rc.into());
                format!(
                    "the operation was cancelled: its progress callback returned {rc}; nothing was written"
                )
            }
        };
        detail.insert("message_chain".into(), message.clone().into());
        LastError {
            result,
            message,
            detail: serde_json::Value::Object(detail).to_string(),
        }
    }
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

struct LastError {
    result: vas_result,
    message: String,
    detail: String,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// The panic boundary of every fallible entry point: runs `f`, turns its failure or its
/// panic into a [`vas_result`] and records it as the calling thread's last error.
/// Successful calls leave the last error untouched (like `errno`).
pub fn boundary(f: impl FnOnce() -> Result<(), Failure>) -> vas_result {
    let failure = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return vas_result::Ok,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::Panic(panic_message(&*payload)),
    };
    let last = failure.record();
    let result = last.result;
    LAST_ERROR.with(|l| *l.borrow_mut() = Some(last));
    result
}

/// Like [`boundary`] for functions that cannot report an error (`void`, or a sentinel
/// value): a panic returns `fallback`.
fn infallible<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// A required input pointer: `Err(NullParameter)` when NULL.
fn non_null<T>(p: *const T, name: &'static str) -> Result<*const T, Failure> {
    if p.is_null() {
        Err(Failure::NullParameter(name))
    } else {
        Ok(p)
    }
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn c_str<'a>(p: *const c_char, name: &'static str) -> Result<&'a str, Failure> {
    let p = non_null(p, name)?;
    // SAFETY: non-NULL and NUL-terminated per the contract.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|_| {
        Error::invalid(format!("parameter '{name}' is not valid UTF-8"))
            .with_id(name)
            .into()
    })
}

/// A NUL-terminated path argument (any bytes on Unix, UTF-8 elsewhere).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
pub unsafe fn c_path(p: *const c_char, name: &'static str) -> Result<PathBuf, Failure> {
    let p = non_null(p, name)?;
    // SAFETY: non-NULL and NUL-terminated per the contract.
    let s = unsafe { CStr::from_ptr(p) };
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(s.to_bytes())))
    }
    #[cfg(not(unix))]
    {
        Ok(PathBuf::from(s.to_str().map_err(|_| {
            Failure::from(Error::invalid(format!(
                "parameter '{name}' is not valid UTF-8"
            )))
        })?))
    }
}

/// An input byte buffer `(ptr, len)`; `ptr` may be NULL only when `len` is 0.
///
/// # Safety
/// When non-NULL, `p` points to `len` readable bytes valid for the call.
pub unsafe fn in_bytes<'a>(
    p: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    let p = non_null(p, name)?;
    // SAFETY: non-NULL, `len` readable bytes per the contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Writes `value` through a required out-pointer.
///
/// # Safety
/// `p` is NULL or valid for writing a `T`.
pub unsafe fn out<T>(p: *mut T, name: &'static str, value: T) -> Result<(), Failure> {
    if p.is_null() {
        return Err(Failure::NullParameter(name));
    }
    // SAFETY: non-NULL and writable per the contract.
    unsafe { p.write(value) };
    Ok(())
}

/// Checks a `(buf, len, &written)` output triple before any work is done, so that no
/// output is written when a later step fails.
fn check_out_buf<T>(buf: *mut T, len: usize, written: *mut usize) -> Result<(), Failure> {
    if written.is_null() {
        return Err(Failure::NullParameter("written"));
    }
    if buf.is_null() && len != 0 {
        return Err(Failure::NullParameter("buf"));
    }
    Ok(())
}

/// Writes `bytes` into the caller's buffer `(buf, len)`, plus a NUL when `nul`; stores the
/// number of bytes written (NUL excluded) in `written`. A size query (`buf == NULL`,
/// `len == 0`) stores the size needed instead.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes; `written` is NULL or writable.
unsafe fn write_out(
    bytes: &[u8],
    nul: bool,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> Result<(), Failure> {
    check_out_buf(buf, len, written)?;
    let needed = bytes.len() + usize::from(nul);
    if buf.is_null() {
        // SAFETY: checked non-NULL above.
        return unsafe { out(written, "written", needed) };
    }
    if len < needed {
        return Err(Failure::BufferTooSmall { needed, given: len });
    }
    // SAFETY: `buf` holds at least `needed` writable bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len());
        if nul {
            buf.add(bytes.len()).write(0);
        }
        out(written, "written", bytes.len())
    }
}

/// Writes a string NUL-terminated into `(buf, len)` and its length (NUL excluded) into
/// `written`; a size query (`buf == NULL`, `len == 0`) stores the size needed instead.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes; `written` is NULL or writable.
pub unsafe fn write_str(
    s: &str,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> Result<(), Failure> {
    // SAFETY: forwarded contract.
    unsafe { write_out(s.as_bytes(), true, buf.cast(), len, written) }
}

// ---------------------------------------------------------------------------------------
// Library information and errors.
// ---------------------------------------------------------------------------------------

static VERSION: LazyLock<CString> =
    LazyLock::new(|| CString::new(vas_core::VERSION).unwrap_or_default());

static KIND_NAMES: LazyLock<Vec<(vas_result, CString)>> = LazyLock::new(|| {
    vas_result::ALL
        .iter()
        .map(|r| (*r, CString::new(r.name()).unwrap_or_default()))
        .collect()
});

/// The version of vas, e.g. `"0.1.0"`: a static NUL-terminated string (never free it).
#[unsafe(no_mangle)]
pub extern "C" fn vas_version() -> *const c_char {
    infallible(c"?".as_ptr(), || VERSION.as_ptr())
}

/// The stable name of a result value (`"Ok"`, `"NotFound"`, `"NullParameter"` …), or
/// NULL for a value that is not a `vas_result`. Static string: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn vas_result_name(result: i32) -> *const c_char {
    infallible(std::ptr::null(), || {
        KIND_NAMES
            .iter()
            .find(|(r, _)| *r as i32 == result)
            .map_or(std::ptr::null(), |(_, n)| n.as_ptr())
    })
}

/// The result of the calling thread's last failed call, `VAS_RESULT_OK` if none failed.
#[unsafe(no_mangle)]
pub extern "C" fn vas_last_error_result() -> vas_result {
    infallible(vas_result::Panic, || {
        LAST_ERROR.with(|l| l.borrow().as_ref().map_or(vas_result::Ok, |e| e.result))
    })
}

fn read_last(
    pick: fn(&LastError) -> &str,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    // Reading the last error must not replace it: failures here are returned, not recorded.
    let r = catch_unwind(AssertUnwindSafe(|| {
        LAST_ERROR.with(|l| {
            let l = l.borrow();
            let s = l.as_ref().map_or("", pick);
            // SAFETY: the caller's contract on (buf, len, written).
            unsafe { write_str(s, buf, len, written) }
        })
    }));
    match r {
        Ok(Ok(())) => vas_result::Ok,
        Ok(Err(f)) => f.result(),
        Err(_) => vas_result::Panic,
    }
}

/// Copies the message of the calling thread's last error (with its context and cause
/// chain; empty if no call failed) into `(buf, len)`, NUL-terminated.
///
/// Does not change the last error, even when it fails (`VAS_RESULT_BUFFER_TOO_SMALL`).
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes; `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_last_error_message(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    read_last(|e| &e.message, buf, len, written)
}

/// Copies the detail of the calling thread's last error as a JSON object (`result`,
/// `code`, `message_chain`, and when known `kind`, `message`, `path`, `element`, `line`,
/// `column`, `id`, `outcome_code`, `errno`, `parameter`, `needed`, `given`) into `(buf, len)`,
/// NUL-terminated. Empty string if no call failed. Does not change the last error.
///
/// # Safety
/// `buf` is NULL or valid for writing `len` bytes; `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_last_error_detail(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    read_last(|e| &e.detail, buf, len, written)
}

// ---------------------------------------------------------------------------------------
// Digests.
// ---------------------------------------------------------------------------------------

/// Parses an algorithm name (`"SHA-256"`, `"sha256"`, `"MD5"` …) into `*out_alg`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `out_alg` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_digest_algorithm_from_name(
    name: *const c_char,
    out_alg: *mut vas_digest_algorithm,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let name = unsafe { c_str(name, "name") }?;
        let alg: DigestAlgorithm = name.parse()?;
        let alg = vas_digest_algorithm::from_core(alg)
            .ok_or_else(|| Error::internal(format!("algorithm {alg} has no C value")))?;
        // SAFETY: caller's contract.
        unsafe { out(out_alg, "out_alg", alg) }
    })
}

/// The SEDA name of an algorithm (`"SHA-512"` …) as a static string, or NULL for a value
/// that is not a `vas_digest_algorithm`.
#[unsafe(no_mangle)]
pub extern "C" fn vas_digest_algorithm_name(alg: i32) -> *const c_char {
    infallible(std::ptr::null(), || match algorithm(alg) {
        Ok(DigestAlgorithm::Md5) => c"MD5".as_ptr(),
        Ok(DigestAlgorithm::Sha1) => c"SHA-1".as_ptr(),
        Ok(DigestAlgorithm::Sha256) => c"SHA-256".as_ptr(),
        Ok(DigestAlgorithm::Sha384) => c"SHA-384".as_ptr(),
        Ok(DigestAlgorithm::Sha512) => c"SHA-512".as_ptr(),
        _ => std::ptr::null(),
    })
}

/// Length of the hex digest of `alg` in characters (NUL excluded), 0 for an unknown value.
#[unsafe(no_mangle)]
pub extern "C" fn vas_digest_hex_len(alg: i32) -> usize {
    infallible(0, || algorithm(alg).map_or(0, |a| a.output_len() * 2))
}

/// Lower-case hex digest of `(data, data_len)` (`data` may be NULL when `data_len` is 0),
/// written NUL-terminated into `(buf, len)`; `*written` receives the hex length.
///
/// # Safety
/// `data` is NULL or valid for `data_len` bytes; `buf` is NULL or valid for writing `len`
/// bytes; `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_digest_bytes(
    alg: i32,
    data: *const u8,
    data_len: usize,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        let alg = algorithm(alg)?;
        // SAFETY: caller's contract.
        let data = unsafe { in_bytes(data, data_len, "data") }?;
        check_out_buf(buf, len, written)?;
        let hex = digest_bytes(alg, data);
        // SAFETY: caller's contract.
        unsafe { write_str(&hex, buf, len, written) }
    })
}

/// Lower-case hex digest of the file at `path`, written NUL-terminated into `(buf, len)`;
/// `*written` receives the hex length and, when `size` is not NULL, `*size` the file size.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `buf` is NULL or valid for writing `len` bytes;
/// `written` is NULL or writable; `size` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_digest_file(
    alg: i32,
    path: *const c_char,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
    size: *mut u64,
) -> vas_result {
    boundary(|| {
        let alg = algorithm(alg)?;
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        check_out_buf(buf, len, written)?;
        if buf.is_null() {
            // Size query: no need to read the file.
            // SAFETY: caller's contract.
            return unsafe { out(written, "written", alg.output_len() * 2 + 1) };
        }
        if len < alg.output_len() * 2 + 1 {
            return Err(Failure::BufferTooSmall {
                needed: alg.output_len() * 2 + 1,
                given: len,
            });
        }
        let (hex, n) = digest_file(alg, &path)?;
        // SAFETY: caller's contract.
        unsafe { write_str(&hex, buf, len, written) }?;
        if !size.is_null() {
            // SAFETY: non-NULL, writable per the contract.
            unsafe { size.write(n) };
        }
        Ok(())
    })
}

/// A streaming hasher (opaque). Create with `vas_hasher_new`, release with
/// `vas_hasher_free`. Not thread-safe: use one hasher per thread at a time.
pub struct vas_hasher {
    inner: Hasher,
}

/// Creates a hasher for `alg` into `*out_hasher`; release it with `vas_hasher_free`.
///
/// # Safety
/// `out_hasher` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_hasher_new(alg: i32, out_hasher: *mut *mut vas_hasher) -> vas_result {
    boundary(|| {
        let alg = algorithm(alg)?;
        if out_hasher.is_null() {
            return Err(Failure::NullParameter("out_hasher"));
        }
        let h = Box::into_raw(Box::new(vas_hasher {
            inner: Hasher::new(alg),
        }));
        // SAFETY: non-NULL, writable per the contract.
        unsafe { out(out_hasher, "out_hasher", h) }
    })
}

/// Feeds `(data, len)` to the hasher (`data` may be NULL when `len` is 0).
///
/// # Safety
/// `hasher` is NULL or a live hasher from `vas_hasher_new`; `data` is NULL or valid for
/// `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_hasher_update(
    hasher: *mut vas_hasher,
    data: *const u8,
    len: usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let h = unsafe { hasher.as_mut() }.ok_or(Failure::NullParameter("hasher"))?;
        // SAFETY: caller's contract.
        let data = unsafe { in_bytes(data, len, "data") }?;
        h.inner.update(data);
        Ok(())
    })
}

/// Writes the lower-case hex digest of everything fed so far, NUL-terminated, into
/// `(buf, len)`. The hasher is not consumed: it can be updated further and must still be
/// freed.
///
/// # Safety
/// `hasher` is NULL or a live hasher; `buf` is NULL or valid for writing `len` bytes;
/// `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_hasher_finish(
    hasher: *const vas_hasher,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let h = unsafe { hasher.as_ref() }.ok_or(Failure::NullParameter("hasher"))?;
        let hex = h.inner.clone().finalize_hex();
        // SAFETY: caller's contract.
        unsafe { write_str(&hex, buf, len, written) }
    })
}

/// Writes the raw digest bytes (not NUL-terminated) into `(buf, len)`; `*written`
/// receives their number. The hasher is not consumed.
///
/// # Safety
/// `hasher` is NULL or a live hasher; `buf` is NULL or valid for writing `len` bytes;
/// `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_hasher_digest(
    hasher: *const vas_hasher,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let h = unsafe { hasher.as_ref() }.ok_or(Failure::NullParameter("hasher"))?;
        let bytes = h.inner.clone().finalize_bytes();
        // SAFETY: caller's contract.
        unsafe { write_out(&bytes, false, buf, len, written) }
    })
}

/// The number of bytes fed to the hasher so far, into `*out_size`.
///
/// # Safety
/// `hasher` is NULL or a live hasher; `out_size` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_hasher_size(
    hasher: *const vas_hasher,
    out_size: *mut u64,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let h = unsafe { hasher.as_ref() }.ok_or(Failure::NullParameter("hasher"))?;
        // SAFETY: caller's contract.
        unsafe { out(out_size, "out_size", h.inner.len()) }
    })
}

/// Releases a hasher. NULL is accepted and ignored.
///
/// # Safety
/// `hasher` is NULL or a live hasher from `vas_hasher_new`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_hasher_free(hasher: *mut vas_hasher) {
    infallible((), || {
        if !hasher.is_null() {
            // SAFETY: created by Box::into_raw in vas_hasher_new, freed once per contract.
            drop(unsafe { Box::from_raw(hasher) });
        }
    })
}

// ---------------------------------------------------------------------------------------
// Manifests: validation, statistics, round-trip; format identification.
// ---------------------------------------------------------------------------------------

/// An optional NUL-terminated string argument (NULL means "not given").
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the call.
unsafe fn opt_c_str(p: *const c_char, name: &'static str) -> Result<Option<String>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { c_str(p, name) }.map(|s| Some(s.to_string()))
}

/// The verdict on a manifest (opaque): create with `vas_validate_manifest_file` or
/// `vas_validate_manifest_bytes`, read with the `vas_validation_*` accessors, release
/// with `vas_validation_free`.
pub struct vas_validation {
    inner: ops::Validation,
}

/// Builds the options of a validation from the C arguments.
///
/// # Safety
/// Each pointer is NULL or NUL-terminated.
unsafe fn validate_options(
    mode: *const c_char,
    profile: *const c_char,
) -> Result<ops::ValidateOptions, Failure> {
    // SAFETY: forwarded contract.
    let mode = unsafe { opt_c_str(mode, "mode") }?;
    let profile = if profile.is_null() {
        None
    } else {
        // SAFETY: forwarded contract.
        Some(unsafe { c_path(profile, "profile") }?)
    };
    Ok(ops::ValidateOptions {
        mode,
        profile,
        ..ops::ValidateOptions::default()
    })
}

/// Stores a validation into `*out_validation`.
///
/// # Safety
/// `out_validation` is NULL or writable.
unsafe fn store_validation(
    out_validation: *mut *mut vas_validation,
    v: ops::Validation,
) -> Result<(), Failure> {
    let v = Box::into_raw(Box::new(vas_validation { inner: v }));
    // SAFETY: checked by the caller (non-NULL), writable per the contract.
    unsafe { out(out_validation, "out_validation", v) }
}

/// Validates the SEDA manifest at `path` (SEDA 2.1/2.2/2.3, detected from the root
/// namespace) against the official schemas (`mode` NULL or `"strict"`, the verdict of
/// xmllint) or what Vitam accepts (`"vitam"`), and against the RelaxNG profile at
/// `profile` when not NULL. A malformed or non-SEDA document is a verdict (not valid,
/// one finding), not an error; a missing file is `VAS_RESULT_NOT_FOUND`.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `mode` and `profile` are NULL or NUL-terminated;
/// `out_validation` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validate_manifest_file(
    path: *const c_char,
    mode: *const c_char,
    profile: *const c_char,
    out_validation: *mut *mut vas_validation,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        // SAFETY: caller's contract.
        let opts = unsafe { validate_options(mode, profile) }?;
        if out_validation.is_null() {
            return Err(Failure::NullParameter("out_validation"));
        }
        let v = ops::validate_manifest(ops::Input::Path(&path), &opts)?;
        // SAFETY: caller's contract.
        unsafe { store_validation(out_validation, v) }
    })
}

/// Like `vas_validate_manifest_file`, for a manifest in memory `(data, len)`.
///
/// # Safety
/// `data` is NULL or valid for `len` bytes; `mode` and `profile` are NULL or
/// NUL-terminated; `out_validation` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validate_manifest_bytes(
    data: *const u8,
    len: usize,
    mode: *const c_char,
    profile: *const c_char,
    out_validation: *mut *mut vas_validation,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let data = unsafe { in_bytes(data, len, "data") }?;
        // SAFETY: caller's contract.
        let opts = unsafe { validate_options(mode, profile) }?;
        if out_validation.is_null() {
            return Err(Failure::NullParameter("out_validation"));
        }
        let v = ops::validate_manifest(ops::Input::Bytes(data), &opts)?;
        // SAFETY: caller's contract.
        unsafe { store_validation(out_validation, v) }
    })
}

/// Whether the manifest is valid (no finding). NULL gives false.
///
/// # Safety
/// `validation` is NULL or a live validation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validation_valid(validation: *const vas_validation) -> bool {
    infallible(false, || {
        // SAFETY: caller's contract.
        unsafe { validation.as_ref() }.is_some_and(|v| v.inner.valid)
    })
}

/// The number of findings. NULL gives 0.
///
/// # Safety
/// `validation` is NULL or a live validation.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validation_finding_count(validation: *const vas_validation) -> usize {
    infallible(0, || {
        // SAFETY: caller's contract.
        unsafe { validation.as_ref() }.map_or(0, |v| v.inner.findings.len())
    })
}

/// The finding at `index` (`index` out of range is `VAS_RESULT_INVALID_INPUT`).
///
/// # Safety
/// `validation` is NULL or a live validation that outlives `'a`.
unsafe fn finding<'a>(
    validation: *const vas_validation,
    index: usize,
) -> Result<&'a vas_core::schema::Finding, Failure> {
    // SAFETY: caller's contract (a live validation, outliving the call).
    let v = unsafe { validation.as_ref() }.ok_or(Failure::NullParameter("validation"))?;
    v.inner.findings.get(index).ok_or_else(|| {
        Failure::from(Error::invalid(format!(
            "finding index {index} out of range (there are {})",
            v.inner.findings.len()
        )))
    })
}

/// The 1-based line and column of finding `index` into `*out_line` and `*out_column`
/// (0 when unknown).
///
/// # Safety
/// `validation` is NULL or a live validation; `out_line` and `out_column` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validation_finding_position(
    validation: *const vas_validation,
    index: usize,
    out_line: *mut u64,
    out_column: *mut u64,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let f = unsafe { finding(validation, index) }?;
        if out_column.is_null() {
            return Err(Failure::NullParameter("out_column"));
        }
        // SAFETY: caller's contract.
        unsafe { out(out_line, "out_line", f.line) }?;
        // SAFETY: caller's contract.
        unsafe { out(out_column, "out_column", f.column) }
    })
}

/// Which text of a finding `vas_validation_finding_text` returns.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vas_finding_field {
    /// What was expected and what was found.
    Message = 0,
    /// The element path, e.g. `/ArchiveTransfer/…/Title` (empty when unknown).
    Path = 1,
    /// The kind: `xml`, `unsafe`, `limit`, `schema`, `profile` or `reference`.
    Kind = 2,
}

/// Writes a text of finding `index` (`field`: 0 message, 1 path, 2 kind; see
/// `vas_finding_field`) NUL-terminated into `(buf, len)`.
///
/// # Safety
/// `validation` is NULL or a live validation; `buf` is NULL or valid for writing `len`
/// bytes; `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validation_finding_text(
    validation: *const vas_validation,
    index: usize,
    field: i32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let f = unsafe { finding(validation, index) }?;
        let text = match field {
            0 => f.message.as_str(),
            1 => f.path.as_str(),
            2 => f.kind.name(),
            _ => {
                return Err(Error::invalid(format!("unknown finding field {field}")).into());
            }
        };
        // SAFETY: caller's contract.
        unsafe { write_str(text, buf, len, written) }
    })
}

/// Writes the whole verdict as JSON, NUL-terminated, into `(buf, len)`:
/// `{"valid", "seda_version", "mode", "truncated", "findings": [{"line", "column",
/// "path", "message", "kind"}]}`.
///
/// # Safety
/// `validation` is NULL or a live validation; `buf` is NULL or valid for writing `len`
/// bytes; `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validation_json(
    validation: *const vas_validation,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let v = unsafe { validation.as_ref() }.ok_or(Failure::NullParameter("validation"))?;
        let v = &v.inner;
        let json = serde_json::json!({
            "valid": v.valid,
            "seda_version": v.seda_version,
            "mode": v.mode,
            "truncated": v.truncated,
            "findings": v.findings.iter().map(|f| f.to_json()).collect::<Vec<_>>(),
        });
        // SAFETY: caller's contract.
        unsafe { write_str(&json.to_string(), buf, len, written) }
    })
}

/// Releases a validation. NULL is accepted and ignored.
///
/// # Safety
/// `validation` is NULL or a live validation, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_validation_free(validation: *mut vas_validation) {
    infallible((), || {
        if !validation.is_null() {
            // SAFETY: created by Box::into_raw, freed once per contract.
            drop(unsafe { Box::from_raw(validation) });
        }
    })
}

/// Writes the statistics of the manifest at `path` as JSON, NUL-terminated, into
/// `(buf, len)`: `{"version", "kind", "units", "unit_references", "groups",
/// "binary_objects", "physical_objects", "roots", "max_depth", "has_cycle"}`. Malformed
/// XML is `VAS_RESULT_XML`, a non-SEDA root `VAS_RESULT_UNSUPPORTED`.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `buf` is NULL or valid for writing `len` bytes;
/// `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_manifest_stats_json(
    path: *const c_char,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        check_out_buf(buf, len, written)?;
        let stats = ops::manifest_stats(ops::Input::Path(&path))?;
        let json = serde_json::to_string(&stats).map_err(|e| Error::internal(e.to_string()))?;
        // SAFETY: caller's contract.
        unsafe { write_str(&json, buf, len, written) }
    })
}

/// Parses the manifest at `path` and serializes it again (lossless round-trip) into
/// `(buf, len)` (not NUL-terminated; `*written` receives the size), in its own SEDA
/// version or in `seda_version` (`"2.1"`, `"2.2"`, `"2.3"`) when not NULL. Use a size
/// query (`buf == NULL`, `len == 0`) first.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `seda_version` is NULL or NUL-terminated; `buf` is
/// NULL or valid for writing `len` bytes; `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_manifest_rewrite(
    path: *const c_char,
    seda_version: *const c_char,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        // SAFETY: caller's contract.
        let version = unsafe { opt_c_str(seda_version, "seda_version") }?;
        check_out_buf(buf, len, written)?;
        let bytes = ops::rewrite_manifest(ops::Input::Path(&path), version.as_deref())?;
        // SAFETY: caller's contract.
        unsafe { write_out(&bytes, false, buf, len, written) }
    })
}

fn identification_json(id: &vas_core::format::Identification) -> String {
    id.to_json().to_string()
}

/// Identifies the format of the file at `path` (bundled PRONOM signatures) and writes
/// `{"puid", "name", "version", "mime", "basis", "warning"}` as JSON, NUL-terminated,
/// into `(buf, len)`. An unidentified file has the PUID `"UNKNOWN"`.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `buf` is NULL or valid for writing `len` bytes;
/// `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_identify_file_json(
    path: *const c_char,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        check_out_buf(buf, len, written)?;
        let id = ops::identify(ops::Input::Path(&path), None)?;
        // SAFETY: caller's contract.
        unsafe { write_str(&identification_json(&id), buf, len, written) }
    })
}

/// Like `vas_identify_file_json`, for bytes `(data, data_len)`; `name_hint` (a file name,
/// may be NULL) enables matching on the extension.
///
/// # Safety
/// `data` is NULL or valid for `data_len` bytes; `name_hint` is NULL or NUL-terminated;
/// `buf` is NULL or valid for writing `len` bytes; `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_identify_bytes_json(
    data: *const u8,
    data_len: usize,
    name_hint: *const c_char,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let data = unsafe { in_bytes(data, data_len, "data") }?;
        // SAFETY: caller's contract.
        let hint = unsafe { opt_c_str(name_hint, "name_hint") }?;
        check_out_buf(buf, len, written)?;
        let id = ops::identify(ops::Input::Bytes(data), hint.as_deref())?;
        // SAFETY: caller's contract.
        unsafe { write_str(&identification_json(&id), buf, len, written) }
    })
}

/// Panics on purpose, to test the panic boundary. Only in builds with the `test-panic`
/// feature (header: defined when `VAS_TEST_PANIC` is).
#[cfg(feature = "test-panic")]
#[unsafe(no_mangle)]
pub extern "C" fn vas_test_panic() -> vas_result {
    boundary(|| panic!("deliberate panic from vas_test_panic"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_values_are_the_kinds_c_codes() {
        for k in ErrorKind::ALL {
            let r = vas_result::from_kind(*k);
            assert_eq!(r as i32, k.c_code(), "{k}");
            assert_eq!(format!("{r:?}"), k.name(), "variant named like the kind");
            assert_eq!(r.name(), k.name());
        }
        // Kinds + OK + the four ABI values, nothing else.
        assert_eq!(vas_result::ALL.len(), ErrorKind::ALL.len() + 5);
        for r in vas_result::ALL {
            let v = *r as i32;
            assert!(
                v == 0 || ErrorKind::from_c_code(v).is_some() || v >= 1000,
                "{r:?} = {v} is neither OK, a kind, nor an ABI value"
            );
            assert_eq!(vas_result::from_i32(v), Some(*r));
        }
    }

    #[test]
    fn boundary_catches_panics_and_records_them() {
        let r = boundary(|| panic!("boom"));
        assert_eq!(r, vas_result::Panic);
        assert_eq!(vas_last_error_result(), vas_result::Panic);
        let mut buf = [0 as c_char; 256];
        let mut n = 0usize;
        // SAFETY: valid buffer and out-pointer.
        let r = unsafe { vas_last_error_message(buf.as_mut_ptr(), buf.len(), &mut n) };
        assert_eq!(r, vas_result::Ok);
        // SAFETY: NUL-terminated by the call.
        let msg = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
        assert!(msg.contains("boom"), "{msg}");
        assert_eq!(n, msg.len());
    }

    #[test]
    fn digest_bytes_matches_core_and_checks_buffers() {
        let mut buf = [0 as c_char; 129];
        let mut n = 0usize;
        for alg in 1..=5 {
            // SAFETY: valid pointers.
            let r = unsafe {
                vas_digest_bytes(alg, b"abc".as_ptr(), 3, buf.as_mut_ptr(), buf.len(), &mut n)
            };
            assert_eq!(r, vas_result::Ok);
            let core = digest_bytes(algorithm(alg).unwrap(), b"abc");
            // SAFETY: NUL-terminated by the call.
            assert_eq!(
                unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap(),
                core
            );
            assert_eq!(n, core.len());
            assert_eq!(n, vas_digest_hex_len(alg));
        }
        // Too small: error, and `written` untouched.
        let mut n = 7usize;
        // SAFETY: valid pointers.
        let r = unsafe { vas_digest_bytes(5, b"abc".as_ptr(), 3, buf.as_mut_ptr(), 128, &mut n) };
        assert_eq!(r, vas_result::BufferTooSmall);
        assert_eq!(n, 7);
        // Size query.
        // SAFETY: valid pointers.
        let r = unsafe { vas_digest_bytes(5, b"abc".as_ptr(), 3, std::ptr::null_mut(), 0, &mut n) };
        assert_eq!(r, vas_result::Ok);
        assert_eq!(n, 129);
        // Bad algorithm.
        // SAFETY: valid pointers.
        let r = unsafe { vas_digest_bytes(0, b"abc".as_ptr(), 3, buf.as_mut_ptr(), 129, &mut n) };
        assert_eq!(r, vas_result::InvalidInput);
        // NULL data with a length.
        // SAFETY: NULL is checked.
        let r = unsafe { vas_digest_bytes(5, std::ptr::null(), 3, buf.as_mut_ptr(), 129, &mut n) };
        assert_eq!(r, vas_result::NullParameter);
    }
}
