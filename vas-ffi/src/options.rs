//! Versioned option structs and progress callbacks.
//!
//! # The option structs' ABI rule
//!
//! Every option struct (`vas_build_options`, `vas_object_options`, `vas_inspect_options`,
//! `vas_archive_init_options`, `vas_dry_run_options`) starts with `size_t struct_size`,
//! which the caller sets to `sizeof` the struct **as its own header declares it**:
//! `vas_build_options o = VAS_BUILD_OPTIONS_INIT;` (C99 designated initializer) or
//! `vas_build_options_init(&o, sizeof o)` (any language). Every field's zero value means
//! its default, and fields are only ever appended. libvas accepts exactly the sizes of the
//! layouts it has published (a program compiled against an older `vas.h` keeps working:
//! the fields it does not know keep their defaults) and refuses any other size, 0
//! included, with `VAS_RESULT_INVALID_INPUT` and a message naming the struct and the sizes
//! it knows. A NULL options pointer still means "all defaults".

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use vas_core::Error;

use crate::{Failure, boundary, vas_result};

/// An option struct of the versioned ABI (see the module documentation).
///
/// # Safety
/// Implementors are `#[repr(C)]`, start with a `usize` `struct_size`, and the all-zero bit
/// pattern is a valid value of every field (NULL pointers, `None` callbacks, 0, false).
pub unsafe trait VersionedOptions: Copy {
    /// The C name, e.g. `vas_build_options`.
    const NAME: &'static str;
    /// The macro that initialises it, e.g. `VAS_BUILD_OPTIONS_INIT`.
    const INIT_MACRO: &'static str;
    /// `sizeof` of every published layout, oldest first; the last is the current one.
    fn sizes() -> &'static [usize];
}

/// Checks a `struct_size` value against the published layouts of `T`.
fn check_size<T: VersionedOptions>(size: usize) -> Result<(), Failure> {
    let sizes = T::sizes();
    if sizes.contains(&size) {
        return Ok(());
    }
    let known = sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let name = T::NAME;
    let why = if size == 0 {
        format!(
            "{name}.struct_size is 0: initialise the struct with {} or {name}_init(&opts, sizeof opts)",
            T::INIT_MACRO
        )
    } else if size > *sizes.last().unwrap_or(&0) {
        format!(
            "{name}.struct_size is {size}, larger than any layout libvas {} knows ({known} bytes): \
             the program was compiled against a newer vas.h than the library it runs with",
            vas_core::VERSION
        )
    } else {
        format!(
            "{name}.struct_size is {size}, which is not the size of any published layout \
             ({known} bytes): set it to sizeof({name})"
        )
    };
    Err(Error::invalid(why).with_id(name).into())
}

/// Reads an option struct of the versioned ABI: `Ok(None)` for NULL, the struct with the
/// fields beyond its `struct_size` zeroed (their defaults), or `VAS_RESULT_INVALID_INPUT`
/// for a size libvas does not know.
///
/// # Safety
/// `p` is NULL or points to at least `struct_size` readable bytes, its first field being
/// `struct_size`.
pub unsafe fn read_options<T: VersionedOptions>(p: *const T) -> Result<Option<T>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: every layout starts with a `size_t`; `p` is valid per the contract.
    let size = unsafe { p.cast::<usize>().read_unaligned() };
    check_size::<T>(size)?;
    let mut v = MaybeUninit::<T>::zeroed();
    // SAFETY: `size` ≤ size_of::<T>() (checked: a published size) and the caller's struct
    // holds `size` readable bytes; all-zero is valid for the fields not copied.
    unsafe {
        std::ptr::copy_nonoverlapping(p.cast::<u8>(), v.as_mut_ptr().cast::<u8>(), size);
        Ok(Some(v.assume_init()))
    }
}

/// Zeroes the first `struct_size` bytes at `p` and sets `struct_size` (the body of the
/// `vas_<type>_options_init` functions).
///
/// # Safety
/// `p` is NULL or valid for writing `struct_size` bytes.
pub unsafe fn init_options<T: VersionedOptions>(p: *mut T, struct_size: usize) -> vas_result {
    boundary(|| {
        if p.is_null() {
            return Err(Failure::NullParameter("opts"));
        }
        check_size::<T>(struct_size)?;
        // SAFETY: `p` is valid for `struct_size` bytes per the contract.
        unsafe {
            std::ptr::write_bytes(p.cast::<u8>(), 0, struct_size);
            p.cast::<usize>().write_unaligned(struct_size);
        }
        Ok(())
    })
}

/// What a long operation is doing when it reports progress.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vas_progress_phase {
    /// Building a SIP: hashing the objects (first pass; `total` is the objects' size).
    Hashing = 0,
    /// Building a SIP: writing the objects into the package.
    Writing = 1,
    /// Ingest dry run: reading and hashing the package's objects.
    Reading = 2,
}

/// A progress callback: `progress(userdata, phase, done, total)` with `phase` a
/// `vas_progress_phase` and `done`/`total` bytes of that phase. Return 0 to go on, anything
/// else to cancel: the operation stops at its next step with `VAS_RESULT_CANCELLED`,
/// leaving nothing half-written, and the callback is not called again. Calls never overlap
/// but may come from a worker thread of libvas.
pub type vas_progress_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, phase: i32, done: u64, total: u64) -> i32>;

/// A C progress callback turned into vas-core's progress hook and cancel flag.
pub(crate) struct ProgressHook {
    cb: unsafe extern "C" fn(*mut c_void, i32, u64, u64) -> i32,
    userdata: *mut c_void,
    /// Serialises the calls (vas-core may report from several threads).
    calls: Mutex<()>,
    /// The callback's nonzero return value, once it asked to stop.
    stopped_with: AtomicI32,
    /// vas-core's cancel flag.
    pub(crate) cancel: Arc<AtomicBool>,
}

// SAFETY: the callback and its userdata may be called from libvas's worker threads, one
// call at a time (`calls`); the caller accepts this by passing them (documented on
// `vas_progress_callback`).
unsafe impl Send for ProgressHook {}
// SAFETY: as above; every call goes through the `calls` mutex.
unsafe impl Sync for ProgressHook {}

impl ProgressHook {
    /// A hook for `cb` (`None`: no progress wanted).
    pub(crate) fn new(cb: vas_progress_callback, userdata: *mut c_void) -> Option<Arc<Self>> {
        cb.map(|cb| {
            Arc::new(ProgressHook {
                cb,
                userdata,
                calls: Mutex::new(()),
                stopped_with: AtomicI32::new(0),
                cancel: Arc::new(AtomicBool::new(false)),
            })
        })
    }

    /// Reports `(phase, done, total)` unless the callback already asked to stop.
    pub(crate) fn report(&self, phase: vas_progress_phase, done: u64, total: u64) {
        let _one = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        if self.cancel.load(Ordering::Relaxed) {
            return;
        }
        // SAFETY: the callback's contract is the caller's (see `vas_progress_callback`).
        let rc = unsafe { (self.cb)(self.userdata, phase as i32, done, total) };
        if rc != 0 {
            self.stopped_with.store(rc, Ordering::Relaxed);
            self.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// The outcome of the operation: a failure after the callback asked to stop is
    /// `VAS_RESULT_CANCELLED`.
    pub(crate) fn outcome<T>(
        hook: Option<&Arc<Self>>,
        r: vas_core::Result<T>,
    ) -> Result<T, Failure> {
        match (r, hook) {
            (Err(_), Some(h)) if h.cancel.load(Ordering::Relaxed) => {
                Err(Failure::Cancelled(h.stopped_with.load(Ordering::Relaxed)))
            }
            (r, _) => r.map_err(Failure::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A struct with two published layouts, like `vas_build_options`.
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct opts {
        struct_size: usize,
        a: i32,
        b: *const u8,
        c: bool,
    }
    #[repr(C)]
    struct opts_v1 {
        struct_size: usize,
        a: i32,
    }
    // SAFETY: repr(C), struct_size first, all-zero valid.
    unsafe impl VersionedOptions for opts {
        const NAME: &'static str = "opts";
        const INIT_MACRO: &'static str = "OPTS_INIT";
        fn sizes() -> &'static [usize] {
            &[size_of::<opts_v1>(), size_of::<opts>()]
        }
    }

    #[test]
    fn old_layouts_read_with_defaults_and_unknown_sizes_are_refused() {
        let v1 = opts_v1 {
            struct_size: size_of::<opts_v1>(),
            a: 7,
        };
        // SAFETY: a valid v1 struct.
        let o = unsafe { read_options(std::ptr::from_ref(&v1).cast::<opts>()) }
            .unwrap()
            .unwrap();
        assert_eq!((o.a, o.b.is_null(), o.c), (7, true, false));
        let mut cur = opts {
            struct_size: 0,
            a: 1,
            b: std::ptr::null(),
            c: true,
        };
        // SAFETY: valid pointer and size.
        assert_eq!(
            unsafe { init_options(&mut cur, size_of::<opts>()) },
            vas_result::Ok
        );
        assert_eq!(
            (cur.struct_size, cur.a, cur.c),
            (size_of::<opts>(), 0, false)
        );
        for bad in [0, size_of::<opts_v1>() + 1, size_of::<opts>() + 8] {
            let mut o = cur;
            o.struct_size = bad;
            // SAFETY: valid pointer (the size is refused before anything is copied).
            let r = unsafe { read_options(&o) };
            let Err(Failure::Core(e)) = r else {
                panic!("size {bad} accepted")
            };
            assert!(e.message().contains("opts.struct_size is"), "{e}");
            // SAFETY: valid pointer.
            assert_eq!(
                unsafe { init_options(&mut o, bad) },
                vas_result::InvalidInput
            );
        }
        // SAFETY: NULL is accepted.
        assert!(
            unsafe { read_options::<opts>(std::ptr::null()) }
                .unwrap()
                .is_none()
        );
    }
}
