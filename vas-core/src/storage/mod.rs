//! Storage offers, strategies, audit and repair (Vitam's storage engine, embedded).
//!
//! - [`StorageOffer`]: the small synchronous trait a backend implements (put a stream with
//!   its declared [`Fixity`], get a stream or a range, head, delete, list, status), with
//!   conveniences in [`StorageOfferExt`] (blanket implementation).
//! - Offers: [`FilesystemOffer`] (the embedded default, crash-safe), [`MemoryOffer`] (tests),
//!   `S3Offer` (S3-compatible, cargo feature `s3`), `SwiftOffer` (OpenStack Swift, cargo
//!   feature `swift`).
//! - [`Strategy`]: N offers with one referent; writes every copy or none, reads with
//!   verification and fallback, [`Strategy::audit`] and [`Strategy::repair`].
//! - Batch puts ([`Strategy::put_batch`], [`StorageOffer::put_batch`], [`BatchObject`]):
//!   many small in-memory objects hashed together once, then written with one durability
//!   pass per offer (the filesystem offer: all temporary files, one `fdatasync` pass, the
//!   links, one `fsync` per touched directory), with the guarantees of one put each.
//! - [`config`]: a TOML file describing offers and the strategy.
//! - [`conformance`]: the test suite every offer must pass.
//!
//! Objects are **write-once**: putting an existing key with other content is an
//! [`ErrorKind::Conflict`](crate::ErrorKind::Conflict); the same content is idempotent.
//!
//! ```
//! use vas_core::storage::{FilesystemOffer, ObjectKey, StorageOffer, StorageOfferExt};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let offer = FilesystemOffer::open("fs-1", dir.path()).unwrap();
//! let key = ObjectKey::new("objects/aeaaaa.pdf").unwrap();
//! offer.put_bytes(&key, b"content").unwrap();
//! assert_eq!(offer.verify(&key, None).unwrap().size, 7);
//! ```

pub mod config;
pub mod conformance;
mod fs;
#[cfg(any(feature = "s3", feature = "swift"))]
mod http;
mod key;
mod memory;
mod offer;
#[cfg(feature = "s3")]
pub mod s3;
mod strategy;
#[cfg(feature = "swift")]
pub mod swift;

pub use fs::{BATCH_FAILPOINT_ENV, BATCH_FAILPOINTS, FilesystemOffer, HEADER_LEN};
pub use key::{MAX_KEY_LEN, ObjectKey};
pub use memory::MemoryOffer;
pub use offer::{
    BatchObject, ByteRange, Capabilities, Declared, Fixity, ObjectMeta, OfferStatus, PutOutcome,
    SourceDigest, SourcePublisher, SourceSummary, StorageOffer, StorageOfferExt, VerifyingReader,
    integrity_error_of, stream_error,
};
#[cfg(feature = "s3")]
pub use s3::S3Offer;
pub use strategy::{
    AuditReport, Finding, Problem, PutReport, RepairAction, RepairReport, Strategy, expected_of,
};
#[cfg(feature = "swift")]
pub use swift::SwiftOffer;
