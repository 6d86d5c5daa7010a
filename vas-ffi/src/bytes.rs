//! Owned results: `vas_bytes`, a buffer libvas allocates and the caller releases.
//!
//! Functions whose output size is not known in advance (JSON documents, an ATR, a whole
//! package or object in memory) return a `vas_bytes *` through an out-parameter instead of
//! filling a caller buffer: read it with `vas_bytes_data`/`vas_bytes_len` (or
//! `vas_bytes_str` for text), release it with `vas_bytes_free`.

use std::ffi::c_char;

use crate::Failure;

/// Bytes owned by libvas (opaque): a JSON document, an XML document, a package or an
/// object. The data is always followed by one NUL byte (not counted by `vas_bytes_len`),
/// so text results can be used directly as C strings. Release with `vas_bytes_free`.
pub struct vas_bytes {
    /// The data plus one trailing NUL.
    data: Vec<u8>,
}

impl vas_bytes {
    /// A new heap handle holding `data`.
    pub(crate) fn boxed(mut data: Vec<u8>) -> *mut vas_bytes {
        data.push(0);
        Box::into_raw(Box::new(vas_bytes { data }))
    }
}

/// Checks a required `vas_bytes **` out-pointer before any work is done.
pub(crate) fn check_out<T>(p: *mut *mut T, name: &'static str) -> Result<(), Failure> {
    if p.is_null() {
        Err(Failure::NullParameter(name))
    } else {
        Ok(())
    }
}

/// Stores `data` as a new `vas_bytes` into `*p` when `p` is not NULL (optional outputs).
///
/// # Safety
/// `p` is NULL or writable.
pub(crate) unsafe fn store(p: *mut *mut vas_bytes, data: Vec<u8>) {
    if !p.is_null() {
        // SAFETY: non-NULL and writable per the contract.
        unsafe { p.write(vas_bytes::boxed(data)) };
    }
}

/// A JSON value serialized compactly.
pub(crate) fn json(v: &serde_json::Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

/// A pointer to the data (followed by a NUL byte), valid until `vas_bytes_free`; NULL for
/// a NULL handle.
///
/// # Safety
/// `bytes` is NULL or a live `vas_bytes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_bytes_data(bytes: *const vas_bytes) -> *const u8 {
    crate::infallible(std::ptr::null(), || {
        // SAFETY: caller's contract.
        unsafe { bytes.as_ref() }.map_or(std::ptr::null(), |b| b.data.as_ptr())
    })
}

/// The data as a NUL-terminated string (same pointer as `vas_bytes_data`), for text
/// results (JSON, XML); NULL for a NULL handle.
///
/// # Safety
/// `bytes` is NULL or a live `vas_bytes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_bytes_str(bytes: *const vas_bytes) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { vas_bytes_data(bytes) }.cast()
}

/// The number of bytes (the trailing NUL excluded); 0 for a NULL handle.
///
/// # Safety
/// `bytes` is NULL or a live `vas_bytes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_bytes_len(bytes: *const vas_bytes) -> usize {
    crate::infallible(0, || {
        // SAFETY: caller's contract.
        unsafe { bytes.as_ref() }.map_or(0, |b| b.data.len() - 1)
    })
}

/// Releases bytes returned by libvas. NULL is accepted and ignored.
///
/// # Safety
/// `bytes` is NULL or a live `vas_bytes`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_bytes_free(bytes: *mut vas_bytes) {
    crate::infallible((), || {
        if !bytes.is_null() {
            // SAFETY: created by Box::into_raw in vas_bytes::boxed, freed once per contract.
            drop(unsafe { Box::from_raw(bytes) });
        }
    })
}
