//! The `vas` binary's global allocator: mimalloc or the system allocator, chosen once per
//! process before the first allocation.
//!
//! mimalloc makes the long commands faster (malloc/free were ~23 % of an archive ingest's CPU
//! with the system allocator), but its start-up — reserving a 1 GiB arena, initialising its
//! bitmaps, setting up the free lists of each fresh page — and its purge at exit are a fixed
//! cost of every process: ≈15 % of a `vas manifest check` of a small manifest, which runs once
//! per manifest. That command gets the system allocator; every other command keeps mimalloc.
//!
//! The choice is an atomic state, undecided → decided, set exactly once: by the pre-`main`
//! hook from the command line ([`Dispatch::prefer_system`]), or by the first allocation,
//! which decides mimalloc if nothing decided before it. A decided state never changes, so a
//! block is always freed by the allocator that gave it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

/// No allocator chosen yet.
const UNDECIDED: u8 = 0;
/// mimalloc serves every allocation of the process.
const MIMALLOC: u8 = 1;
/// The system allocator (glibc's malloc) serves every allocation of the process.
const SYSTEM: u8 = 2;

/// A global allocator that forwards every call to mimalloc or to [`System`], the same one for
/// the whole life of the process (see the module's documentation).
pub struct Dispatch {
    /// [`UNDECIDED`], [`MIMALLOC`] or [`SYSTEM`]; changes at most once, from [`UNDECIDED`].
    choice: AtomicU8,
}

impl Dispatch {
    /// An allocator whose choice is not made yet.
    pub const fn new() -> Self {
        Self {
            choice: AtomicU8::new(UNDECIDED),
        }
    }

    /// Chooses the system allocator if nothing has been allocated (nor chosen) yet; returns
    /// whether the system allocator is the choice. After the first allocation the choice is
    /// made (mimalloc, unless this was called before) and this changes nothing.
    pub fn prefer_system(&self) -> bool {
        self.decide(SYSTEM) == SYSTEM
    }

    /// Whether the system allocator serves this process (decides mimalloc if undecided).
    #[cfg(test)]
    pub fn is_system(&self) -> bool {
        self.current() == SYSTEM
    }

    /// Sets the choice to `want` if it is undecided; returns the choice in force.
    fn decide(&self, want: u8) -> u8 {
        // Relaxed is enough: the one variable's modification order is total, a decided value
        // is never replaced, and a block handed to another thread carries a happens-before
        // edge from the load that chose its allocator (read-read coherence).
        match self
            .choice
            .compare_exchange(UNDECIDED, want, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => want,
            Err(current) => current,
        }
    }

    /// The choice in force; the first call of an undecided allocator decides mimalloc.
    #[inline]
    fn current(&self) -> u8 {
        match self.choice.load(Ordering::Relaxed) {
            UNDECIDED => self.decide(MIMALLOC),
            c => c,
        }
    }
}

// SAFETY: every method forwards to one of two allocators that implement `GlobalAlloc`
// correctly, with the caller's arguments unchanged; the allocator is the same for every call
// of the process (the choice changes at most once, before the first allocation), so each
// block is reallocated and freed by the allocator that returned it.
unsafe impl GlobalAlloc for Dispatch {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.current() == SYSTEM {
            // SAFETY: the caller's guarantees on `layout` are passed on unchanged.
            unsafe { System.alloc(layout) }
        } else {
            // SAFETY: as above.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if self.current() == SYSTEM {
            // SAFETY: the caller's guarantees on `layout` are passed on unchanged.
            unsafe { System.alloc_zeroed(layout) }
        } else {
            // SAFETY: as above.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.current() == SYSTEM {
            // SAFETY: `ptr` was returned by this allocator, hence by `System` (the choice
            // never changes once made), with this `layout`.
            unsafe { System.dealloc(ptr, layout) }
        } else {
            // SAFETY: as above, by mimalloc.
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.current() == SYSTEM {
            // SAFETY: `ptr` was returned by `System` (see `dealloc`); the caller's guarantees
            // on `layout` and `new_size` are passed on unchanged.
            unsafe { System.realloc(ptr, layout, new_size) }
        } else {
            // SAFETY: as above, by mimalloc.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" {
        /// mimalloc's own test of whether `p` points into its heap (linked in with mimalloc).
        fn mi_is_in_heap_region(p: *const std::ffi::c_void) -> bool;
    }

    /// Whether mimalloc owns the block at `p`.
    fn in_mimalloc(p: *const u8) -> bool {
        // SAFETY: `mi_is_in_heap_region` only compares the address against mimalloc's
        // arenas; any pointer value is allowed.
        unsafe { mi_is_in_heap_region(p.cast()) }
    }

    /// Allocates, grows, reads back and frees blocks of several sizes and alignments through
    /// `a`; returns whether mimalloc owned each block.
    fn exercise(a: &Dispatch) -> Vec<bool> {
        let mut owners = Vec::new();
        for (size, align) in [(1, 1), (24, 8), (4096, 64), (1 << 20, 16), (100, 4096)] {
            let layout = Layout::from_size_align(size, align).unwrap();
            // SAFETY: `layout` has a non-zero size; every block is checked for null, written
            // and read within its size, and freed once with the layout it has.
            unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0);
                owners.push(in_mimalloc(p));
                for i in 0..size {
                    *p.add(i) = (i % 251) as u8;
                }
                let q = a.realloc(p, layout, size * 3);
                assert!(!q.is_null());
                assert_eq!(q as usize % align, 0);
                owners.push(in_mimalloc(q));
                for i in 0..size {
                    assert_eq!(*q.add(i), (i % 251) as u8);
                }
                a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                let z = a.alloc_zeroed(layout);
                assert!(!z.is_null());
                owners.push(in_mimalloc(z));
                assert!((0..size).all(|i| *z.add(i) == 0));
                a.dealloc(z, layout);
            }
        }
        owners
    }

    /// Chosen before any allocation, the system allocator serves every block (none is
    /// mimalloc's), and the choice stays.
    #[test]
    fn system_chosen_first_serves_everything() {
        let a = Dispatch::new();
        assert!(a.prefer_system());
        assert!(a.prefer_system());
        assert!(exercise(&a).iter().all(|&m| !m));
        assert!(a.is_system());
        assert!(a.prefer_system());
    }

    /// An allocation before any choice decides mimalloc; asking for the system allocator
    /// afterwards changes nothing, so no block is freed by the other allocator.
    #[test]
    fn first_allocation_decides_mimalloc_for_good() {
        let a = Dispatch::new();
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a non-zero layout; the block is freed once with the same layout.
        let p = unsafe { a.alloc(layout) };
        assert!(!p.is_null());
        assert!(in_mimalloc(p));
        assert!(!a.prefer_system());
        assert!(!a.is_system());
        assert!(exercise(&a).iter().all(|&m| m));
        // SAFETY: `p` came from `a` with `layout`.
        unsafe { a.dealloc(p, layout) };
        assert!(!a.prefer_system());
    }

    /// A first free (of a block the choice has to agree with) or a first query decides
    /// mimalloc as well, never the system allocator.
    #[test]
    fn undecided_query_decides_mimalloc() {
        let a = Dispatch::new();
        assert!(!a.is_system());
        assert!(!a.prefer_system());
    }

    /// Threads racing for the first decision all see one choice.
    #[test]
    fn racing_threads_see_one_choice() {
        for round in 0..50 {
            let a = std::sync::Arc::new(Dispatch::new());
            let seen: Vec<bool> = (0..4)
                .map(|i| {
                    let a = a.clone();
                    std::thread::spawn(move || {
                        if (i + round) % 2 == 0 {
                            a.prefer_system()
                        } else {
                            a.is_system()
                        }
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            assert!(
                seen.iter().all(|&s| s == seen[0]),
                "round {round}: {seen:?}"
            );
        }
    }

    /// The process's own allocator: the test harness allocated long before any test ran, so
    /// mimalloc was decided and a late preference for the system allocator is refused.
    #[test]
    fn the_global_allocator_of_the_tests_is_mimalloc() {
        let v = vec![7u8; 1000];
        assert!(in_mimalloc(v.as_ptr()));
        assert!(!crate::GLOBAL.prefer_system());
    }
}
