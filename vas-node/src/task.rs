//! Running vas-core work off the event loop: [`VasTask`] wraps a closure as a napi
//! `AsyncTask` (libuv thread pool) whose rejection is the vas error mapped by
//! [`crate::errors::to_js_error`]. Binding an async function is one line:
//! `AsyncTask::new(VasTask::new(move || vas_core::…(…)))`.

use napi::bindgen_prelude::*;
use napi::{Env, Task};

use crate::errors::to_js_error;

type Job<T> = Box<dyn FnOnce() -> vas_core::Result<T> + Send>;

/// A vas-core call run on the libuv thread pool.
pub struct VasTask<T: Send + 'static> {
    job: Option<Job<T>>,
    error: Option<vas_core::Error>,
}

impl<T: Send + 'static> VasTask<T> {
    /// Wraps `job`, which runs on a worker thread.
    pub fn new(job: impl FnOnce() -> vas_core::Result<T> + Send + 'static) -> Self {
        VasTask {
            job: Some(Box::new(job)),
            error: None,
        }
    }
}

impl<T> Task for VasTask<T>
where
    T: ToNapiValue + TypeName + Send + 'static,
{
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> Result<T> {
        let job = self
            .job
            .take()
            .ok_or_else(|| Error::from_reason("vas task run twice"))?;
        // A panic in vas must not abort the process: it becomes an Internal error.
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or_else(|p| {
                let what = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic payload".into());
                Err(vas_core::Error::internal(format!(
                    "vas panicked (this is a bug, please report it): {what}"
                )))
            });
        result.map_err(|e| {
            let reason = e.to_string();
            self.error = Some(e);
            Error::from_reason(reason)
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<T> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<T> {
        match self.error.take() {
            Some(e) => Err(to_js_error(&env, &e)),
            None => Err(err),
        }
    }
}
