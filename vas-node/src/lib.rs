//! # vas-node — the Node bindings of vas-core (napi-rs)
//!
//! Thin by design: every function converts its arguments, calls vas-core and maps the
//! error ([`errors`]); long work runs off the event loop ([`task`]) and returns a
//! `Promise`, with a `…Sync` twin. Bytes are `Buffer`s; `vas.js` adds the Node streams
//! (`Archive#openObject` → `Readable`, `SipBuilder#addObjectStream`).
#![warn(missing_docs)]
#![deny(clippy::all)]

#[macro_use]
extern crate napi_derive;

pub mod archive;
pub mod errors;
pub mod ingest;
pub mod json;
pub mod manifest;
pub mod sip;
pub use vas_core::api as ops;
pub mod task;

use napi::Env;
use napi::bindgen_prelude::*;
use vas_core::digest::{self as core_digest, DigestAlgorithm};

use crate::errors::IntoJsResult;
use crate::task::VasTask;

/// The version of vas.
#[napi(catch_unwind)]
pub fn version() -> String {
    vas_core::VERSION.to_string()
}

/// The digest algorithms, by SEDA name: `MD5`, `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512`.
#[napi(catch_unwind)]
pub fn digest_algorithms() -> Vec<String> {
    DigestAlgorithm::ALL
        .iter()
        .map(|a| a.seda_name().to_string())
        .collect()
}

/// Parses an optional algorithm name (default SHA-512).
fn algorithm(env: &Env, name: Option<String>) -> Result<DigestAlgorithm> {
    match name {
        None => Ok(DigestAlgorithm::default()),
        Some(n) => n.parse::<DigestAlgorithm>().js_err(env),
    }
}

/// Digest and size of a file.
#[napi(object)]
pub struct FileDigest {
    /// Lower-case hex digest.
    pub digest: String,
    /// Size in bytes.
    pub size: f64,
    /// SEDA name of the algorithm.
    pub algorithm: String,
}

fn file_digest(alg: DigestAlgorithm, path: &str) -> vas_core::Result<FileDigest> {
    let (digest, size) = core_digest::digest_file(alg, path)?;
    Ok(FileDigest {
        digest,
        size: size as f64,
        algorithm: alg.seda_name().to_string(),
    })
}

/// Lower-case hex digest of a Buffer (default algorithm SHA-512), computed off the
/// event loop.
#[napi(ts_return_type = "Promise<string>", catch_unwind)]
pub fn digest(
    env: Env,
    data: Buffer,
    algorithm: Option<String>,
) -> Result<AsyncTask<VasTask<String>>> {
    let alg = crate::algorithm(&env, algorithm)?;
    Ok(AsyncTask::new(VasTask::new(move || {
        Ok(core_digest::digest_bytes(alg, &data))
    })))
}

/// Lower-case hex digest of a Buffer, on the calling thread.
#[napi(catch_unwind)]
pub fn digest_sync(env: Env, data: Buffer, algorithm: Option<String>) -> Result<String> {
    let alg = crate::algorithm(&env, algorithm)?;
    Ok(core_digest::digest_bytes(alg, &data))
}

/// Digest and size of a file, computed off the event loop.
#[napi(ts_return_type = "Promise<FileDigest>", catch_unwind)]
pub fn digest_file(
    env: Env,
    path: String,
    algorithm: Option<String>,
) -> Result<AsyncTask<VasTask<FileDigest>>> {
    let alg = crate::algorithm(&env, algorithm)?;
    Ok(AsyncTask::new(VasTask::new(move || {
        file_digest(alg, &path)
    })))
}

/// Digest and size of a file, on the calling thread.
#[napi(catch_unwind)]
pub fn digest_file_sync(env: Env, path: String, algorithm: Option<String>) -> Result<FileDigest> {
    let alg = crate::algorithm(&env, algorithm)?;
    file_digest(alg, &path).js_err(&env)
}

/// Panics on purpose (synchronously, or in the worker of the returned promise when
/// `asynchronous`): for the tests of the panic boundary. Not part of the public API.
#[napi(
    js_name = "_panicForTest",
    catch_unwind,
    ts_return_type = "Promise<void> | void"
)]
pub fn panic_for_test(asynchronous: bool) -> Option<AsyncTask<VasTask<()>>> {
    if asynchronous {
        Some(AsyncTask::new(VasTask::new(|| {
            panic!("deliberate panic in a worker")
        })))
    } else {
        panic!("deliberate panic on the JS thread")
    }
}

/// A streaming hasher: `update()` then `hexdigest()`.
#[napi]
pub struct Hasher {
    inner: core_digest::Hasher,
}

#[napi]
impl Hasher {
    /// A hasher for `algorithm` (default SHA-512).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, algorithm: Option<String>) -> Result<Self> {
        Ok(Hasher {
            inner: core_digest::Hasher::new(crate::algorithm(&env, algorithm)?),
        })
    }

    /// Feeds bytes.
    #[napi(catch_unwind)]
    pub fn update(&mut self, data: Buffer) {
        self.inner.update(&data);
    }

    /// Lower-case hex digest of everything fed so far (the hasher stays usable).
    #[napi(catch_unwind)]
    pub fn hexdigest(&self) -> String {
        self.inner.clone().finalize_hex()
    }

    /// Raw digest of everything fed so far (the hasher stays usable).
    #[napi(catch_unwind)]
    pub fn digest(&self) -> Buffer {
        self.inner.clone().finalize_bytes().into()
    }

    /// An independent copy of the hasher's state.
    #[napi(catch_unwind)]
    pub fn copy(&self) -> Hasher {
        Hasher {
            inner: self.inner.clone(),
        }
    }

    /// SEDA name of the algorithm.
    #[napi(getter, catch_unwind)]
    pub fn algorithm(&self) -> String {
        self.inner.algorithm().seda_name().to_string()
    }

    /// Size of the digest in bytes.
    #[napi(getter, catch_unwind)]
    pub fn digest_size(&self) -> u32 {
        self.inner.algorithm().output_len() as u32
    }

    /// Number of bytes fed so far.
    #[napi(getter, catch_unwind)]
    pub fn size(&self) -> f64 {
        self.inner.len() as f64
    }
}
