//! Python progress callbacks for vas-core's long operations: called with the GIL
//! re-acquired (the operation itself runs with the GIL released); an exception raised by
//! the callback cancels the operation (vas-core's cancel flag) and is re-raised unchanged
//! once it has stopped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

/// A Python callable turned into a vas-core progress hook and cancel flag.
pub struct PyProgress {
    cb: Py<PyAny>,
    /// Set once the callback raised: vas-core stops at its next progress point.
    pub cancel: Arc<AtomicBool>,
    raised: Mutex<Option<PyErr>>,
}

impl PyProgress {
    /// A hook for `cb` (`None`: no progress wanted).
    pub fn new(cb: Option<Py<PyAny>>) -> Option<Arc<Self>> {
        cb.map(|cb| {
            Arc::new(PyProgress {
                cb,
                cancel: Arc::new(AtomicBool::new(false)),
                raised: Mutex::new(None),
            })
        })
    }

    /// Calls the callback with `args` unless it already raised; an exception is kept and
    /// cancels the operation.
    pub fn call(&self, args: &[u64]) {
        if self.cancel.load(Ordering::Relaxed) {
            return;
        }
        Python::attach(|py| {
            let r = pyo3::types::PyTuple::new(py, args).and_then(|t| self.cb.call1(py, t));
            if let Err(e) = r {
                let mut slot = self.raised.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert(e);
                self.cancel.store(true, Ordering::Relaxed);
            }
        });
    }

    /// The exception the callback raised, if it did (then the operation's error is only
    /// the consequence of the cancellation).
    pub fn raised(hook: Option<&Arc<Self>>) -> Option<PyErr> {
        hook.and_then(|h| h.raised.lock().unwrap_or_else(|p| p.into_inner()).take())
    }
}
