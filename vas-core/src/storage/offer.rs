//! The [`StorageOffer`] trait, what it exchanges ([`Fixity`], [`ObjectMeta`],
//! [`Capabilities`], [`OfferStatus`]) and the [`StorageOfferExt`] conveniences.

use std::fmt;
use std::io::{self, Read, Seek};

use crate::digest::{DigestAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

use super::key::ObjectKey;

/// What a copy must be: digest algorithm, lower-case hex digest and size in bytes.
///
/// ```
/// use vas_core::digest::DigestAlgorithm;
/// use vas_core::storage::Fixity;
///
/// let f = Fixity::of_bytes(DigestAlgorithm::Sha256, b"abc");
/// assert_eq!(f.size, 3);
/// assert!(f.digest.starts_with("ba7816bf"));
/// // Upper-case input is normalised, bad hex refused.
/// let g = Fixity::new(DigestAlgorithm::Sha256, &f.digest.to_uppercase(), 3).unwrap();
/// assert_eq!(f, g);
/// assert!(Fixity::new(DigestAlgorithm::Sha256, "xyz", 3).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fixity {
    /// The digest algorithm.
    pub algorithm: DigestAlgorithm,
    /// The digest, lower-case hex.
    pub digest: String,
    /// The size in bytes.
    pub size: u64,
}

impl Fixity {
    /// A fixity from a hex digest (any case), checked against the algorithm's length.
    pub fn new(algorithm: DigestAlgorithm, digest: &str, size: u64) -> Result<Fixity> {
        if !crate::digest::is_hex_digest(algorithm, digest) {
            return Err(Error::invalid(format!(
                "{digest:?} is not a {} digest ({} hex digits expected)",
                algorithm.seda_name(),
                algorithm.output_len() * 2
            )));
        }
        Ok(Fixity {
            algorithm,
            digest: digest.to_ascii_lowercase(),
            size,
        })
    }

    /// The fixity of a byte slice.
    pub fn of_bytes(algorithm: DigestAlgorithm, data: &[u8]) -> Fixity {
        Fixity {
            algorithm,
            digest: crate::digest::digest_bytes(algorithm, data),
            size: data.len() as u64,
        }
    }

    /// The fixity of everything `reader` yields.
    pub fn of_reader(algorithm: DigestAlgorithm, reader: impl Read) -> Result<Fixity> {
        let (digest, size) = crate::digest::digest_reader(algorithm, reader)?;
        Ok(Fixity {
            algorithm,
            digest,
            size,
        })
    }

    /// The fixity of a file.
    pub fn of_file(
        algorithm: DigestAlgorithm,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Fixity> {
        let (digest, size) = crate::digest::digest_file(algorithm, path)?;
        Ok(Fixity {
            algorithm,
            digest,
            size,
        })
    }
}

impl Fixity {
    /// True when `self` and `other` cannot describe the same bytes: sizes differ, or the
    /// algorithms are the same and the digests differ. (With different algorithms and equal
    /// sizes, only hashing the bytes can tell.)
    pub fn contradicts(&self, other: &Fixity) -> bool {
        self.size != other.size
            || (self.algorithm == other.algorithm && self.digest != other.digest)
    }
}

impl fmt::Display for Fixity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} ({} bytes)",
            self.algorithm.seda_name(),
            self.digest,
            self.size
        )
    }
}

/// What an offer knows about a stored object, without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The key.
    pub key: ObjectKey,
    /// The fixity recorded by the offer when the object was written.
    pub fixity: Fixity,
}

/// The outcome of a successful [`StorageOffer::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The object was written.
    Created,
    /// The object was already there with the same fixity (write-once, idempotent).
    AlreadyPresent,
}

/// A byte range of an object: `start..start+len` (`len = None`: to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Number of bytes; `None` means up to the end of the object.
    pub len: Option<u64>,
}

impl ByteRange {
    /// Clamps the range to an object of `size` bytes: returns `(start, len)`;
    /// fails with `InvalidInput` when `start > size`.
    pub fn resolve(&self, size: u64) -> Result<(u64, u64)> {
        if self.start > size {
            return Err(Error::invalid(format!(
                "range starts at {} beyond the object's {} bytes",
                self.start, size
            )));
        }
        let avail = size - self.start;
        Ok((self.start, self.len.map_or(avail, |l| l.min(avail))))
    }
}

/// What a backend can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Objects cannot be overwritten (always true for vas offers: enforced by the offer).
    pub write_once: bool,
    /// `get` honours ranges without reading the whole object.
    pub ranged_reads: bool,
    /// The backend itself checks a digest on upload (not only vas).
    pub server_side_digest: bool,
    /// Writes are durable when `put` returns (fsync or equivalent).
    pub durable: bool,
    /// Data survives the process (false for the in-memory offer).
    pub persistent: bool,
}

/// Reachability and capacity of an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferStatus {
    /// The offer answered.
    pub available: bool,
    /// Bytes used by objects, when known.
    pub used_bytes: Option<u64>,
    /// Free bytes, when known.
    pub free_bytes: Option<u64>,
    /// Number of objects, when known.
    pub object_count: Option<u64>,
    /// A human-readable detail (e.g. the root folder or endpoint).
    pub detail: String,
}

/// A storage offer: the minimum a backend implements.
///
/// Every implementation guarantees:
/// - **write-once**: `put` of an existing key with the same fixity is a no-op
///   ([`PutOutcome::AlreadyPresent`]), with another fixity an [`ErrorKind::Conflict`];
/// - **verified writes**: `put` hashes the stream while writing and commits nothing if the
///   digest or size differs from `expected` ([`ErrorKind::Integrity`]);
/// - **recorded fixity**: the fixity is stored with the object, so `head` answers it and
///   audits need no database;
/// - `get` of a missing key and `head`/`delete` report absence as documented below;
///   an unreachable backend answers [`ErrorKind::Unavailable`].
///
/// ```
/// use vas_core::digest::DigestAlgorithm;
/// use vas_core::storage::{Fixity, MemoryOffer, ObjectKey, PutOutcome, StorageOffer, StorageOfferExt};
///
/// let offer = MemoryOffer::new("mem-1");
/// let key = ObjectKey::new("a/b.txt").unwrap();
/// let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, b"hello");
/// assert_eq!(offer.put(&key, &mut &b"hello"[..], &fx).unwrap(), PutOutcome::Created);
/// assert_eq!(offer.put_bytes(&key, b"hello").unwrap(), PutOutcome::AlreadyPresent);
/// assert!(offer.put_bytes(&key, b"HELLO").is_err()); // write-once
/// assert_eq!(offer.get_bytes(&key).unwrap(), b"hello");
/// assert_eq!(offer.head(&key).unwrap().unwrap().fixity, fx);
/// ```
pub trait StorageOffer: Send + Sync + fmt::Debug {
    /// The offer's identifier (as in the configuration).
    fn id(&self) -> &str;

    /// What the backend can do.
    fn capabilities(&self) -> Capabilities;

    /// Writes `data` under `key`; `expected` is the fixity the caller declares.
    /// Nothing is committed unless the bytes read match it.
    fn put(&self, key: &ObjectKey, data: &mut dyn Read, expected: &Fixity) -> Result<PutOutcome>;

    /// Writes exactly `size` bytes of `data` under `key`, computing their fixity with
    /// `algorithm` **while** writing, and records that fixity; returns the outcome and the
    /// fixity. For callers that do not know the digest beforehand: the source is read and
    /// hashed once instead of twice (hash first, then a verified `put`). Write-once as
    /// [`put`](StorageOffer::put): an existing key is [`PutOutcome::AlreadyPresent`] when
    /// its content has the computed fixity, an [`ErrorKind::Conflict`] otherwise; a stream
    /// of another size than `size` is refused ([`ErrorKind::Integrity`]) and nothing is
    /// committed.
    ///
    /// The default implementation spools the stream into a temporary file (in the system's
    /// temporary folder) while hashing it, then calls `put` with the computed fixity, so it
    /// is correct for every offer; an offer that can record a fixity after writing the
    /// bytes (the filesystem offer) overrides it without the spool.
    fn put_hashing(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        size: u64,
        algorithm: DigestAlgorithm,
    ) -> Result<(PutOutcome, Fixity)> {
        let mut spool = tempfile::tempfile().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot spool {key} for offer {}: {e}", self.id()),
            )
        })?;
        let mut w = crate::digest::HashingWriter::new(&mut spool, algorithm);
        let got = io::copy(&mut data.take(size.saturating_add(1)), &mut w).map_err(stream_error)?;
        let (_, digest, _) = w.finish();
        let fx = Fixity {
            algorithm,
            digest,
            size: got,
        };
        if got != size {
            return Err(size_refused(self.id(), key, got, size));
        }
        spool.seek(io::SeekFrom::Start(0)).map_err(Error::from)?;
        let outcome = self.put(key, &mut spool, &fx)?;
        Ok((outcome, fx))
    }

    /// Writes `data` under `key` while the **caller** computes the stream's fixity: the
    /// put of a [`Strategy`](super::Strategy) that hashes the stream once and hands the same
    /// bytes to several offers (one SHA-512 pass for N copies instead of N).
    ///
    /// `declared` is what the caller declares up front: the whole fixity
    /// ([`Declared::Known`]) or only the algorithm and size ([`Declared::Computed`]). The
    /// caller publishes the fixity it computed over exactly the bytes it handed out, with
    /// their CRC-32, in `source` once the stream has ended ([`SourceDigest::publish`]). An
    /// offer that overrides this method (the filesystem offer) does not hash: it writes the
    /// bytes and a CRC-32 of what it wrote, waits for the caller's [`SourceSummary`], and
    /// commits only when the size it wrote, the CRC-32 of what it wrote and the caller's
    /// digest all agree with each other and with `declared`; otherwise nothing is committed
    /// ([`ErrorKind::Integrity`]). Returns the outcome and the fixity recorded.
    ///
    /// What this guarantees: the bytes written are the bytes the caller hashed (same length,
    /// same CRC-32, so a corruption between the caller's buffer and the offer's writes is
    /// caught), their digest is the declared one, and they were flushed (`fdatasync`) before
    /// the commit. It does **not** re-read the stored bytes: a copy damaged by the storage
    /// itself after `write(2)` is found by [`StorageOfferExt::verify`] and the strategy's
    /// deep audit, not by the put.
    ///
    /// The default implementation ignores `source` and does what [`put`](Self::put) (or
    /// [`put_hashing`](Self::put_hashing) for [`Declared::Computed`]) does: it hashes the
    /// stream itself, which is correct for every offer, and the caller still compares its
    /// own digest with what the offer recorded. It must not be called with a `source` the
    /// caller never publishes: an overriding offer waits for it (a dropped
    /// [`SourceDigest`] publisher publishes an error, so the wait always ends).
    fn put_with_source_digest(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        declared: Declared<'_>,
        source: &SourceDigest,
    ) -> Result<(PutOutcome, Fixity)> {
        let _ = source;
        match declared {
            Declared::Known(fx) => Ok((self.put(key, data, fx)?, fx.clone())),
            Declared::Computed { algorithm, size } => self.put_hashing(key, data, size, algorithm),
        }
    }

    /// Writes a batch of in-memory objects, with the same guarantees as one
    /// [`put`](StorageOffer::put) per object (write-once, every object checked against its
    /// declared fixity before it is made visible, durable when the call returns on a
    /// durable offer) but free to share the costly steps between them — the filesystem
    /// offer writes every temporary file, then makes them durable in one pass, then links
    /// them all into place and syncs each touched directory once.
    ///
    /// Returns one [`PutOutcome`] per object, in order (a key already stored with the same
    /// fixity, or repeated in the batch, is [`PutOutcome::AlreadyPresent`]). On error, the
    /// error names the key that failed (also as the id of its [`Error::context`]) and keeps the
    /// kind and code of the cause; the objects this call had already created are removed
    /// again (best effort: the message says when some could not be), so a failed batch
    /// leaves no object of its own visible. A crash (`kill -9`) in the middle may leave
    /// some objects of the batch visible, each complete and durable, never a partial one.
    ///
    /// Objects whose bytes were already checked ([`BatchObject::verify_all`]) are not
    /// hashed again by offers that trust that check (the filesystem offer); the default
    /// implementation puts each object with [`put`](StorageOffer::put), in order, which
    /// hashes it again, and is correct for every offer.
    fn put_batch(&self, objects: &[BatchObject<'_>]) -> Result<Vec<PutOutcome>> {
        let mut done = Vec::with_capacity(objects.len());
        for (i, o) in objects.iter().enumerate() {
            match self.put(o.key, &mut &o.data[..], o.expected) {
                Ok(x) => done.push(x),
                Err(e) => {
                    let undo = undo_batch(self, &objects[..i], &done);
                    return Err(batch_failed(self.id(), objects, i, e, &undo));
                }
            }
        }
        Ok(done)
    }

    /// Opens the object (or a range of it) for reading. The bytes are **not** verified:
    /// use [`StorageOfferExt::get_verified`] for a verified stream.
    /// A missing key is an [`ErrorKind::NotFound`] error.
    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>>;

    /// The recorded size and fixity, `None` when the key is absent.
    fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>>;

    /// Removes the object; `false` when it was absent.
    fn delete(&self, key: &ObjectKey) -> Result<bool>;

    /// Every object whose key starts with `prefix` (`""`: all), sorted by key.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>>;

    /// Reachability and capacity.
    fn status(&self) -> Result<OfferStatus>;

    /// Entries the offer holds but cannot describe (for instance an object file whose
    /// header is unreadable), as human-readable locations, so that audits report them
    /// instead of silently skipping them. The default says there are none.
    fn damaged(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

/// One object of a batch put ([`StorageOffer::put_batch`],
/// [`Strategy::put_batch`](super::Strategy::put_batch)): its key, its bytes (in memory) and
/// the fixity its caller declares.
///
/// It also records whether its bytes were checked against that fixity
/// ([`BatchObject::verify_all`], which hashes many objects at once with
/// [`digest_many`](crate::digest::digest_many)). The bytes are borrowed immutably for the
/// object's whole life, so a checked object stays checked: a strategy hashes a batch once
/// and hands it to every offer, and an offer that trusts the check does not hash again.
///
/// ```
/// use vas_core::digest::DigestAlgorithm;
/// use vas_core::storage::{BatchObject, Fixity, ObjectKey};
///
/// let k = ObjectKey::new("a").unwrap();
/// let good = Fixity::of_bytes(DigestAlgorithm::Sha512, b"abc");
/// let mut batch = [BatchObject::new(&k, b"abc", &good)];
/// BatchObject::verify_all(&mut batch).unwrap();
/// assert!(batch[0].is_verified());
/// let bad = Fixity::of_bytes(DigestAlgorithm::Sha512, b"abd");
/// let mut batch = [BatchObject::new(&k, b"abc", &bad)];
/// assert!(BatchObject::verify_all(&mut batch).is_err());
/// assert!(!batch[0].is_verified());
/// ```
#[derive(Clone, Copy)]
pub struct BatchObject<'a> {
    key: &'a ObjectKey,
    data: &'a [u8],
    expected: &'a Fixity,
    verified: bool,
}

impl fmt::Debug for BatchObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchObject")
            .field("key", &self.key.as_str())
            .field("len", &self.data.len())
            .field("expected", &self.expected)
            .field("verified", &self.verified)
            .finish()
    }
}

impl<'a> BatchObject<'a> {
    /// An object of a batch, not yet checked.
    pub fn new(key: &'a ObjectKey, data: &'a [u8], expected: &'a Fixity) -> Self {
        BatchObject {
            key,
            data,
            expected,
            verified: false,
        }
    }

    /// The key.
    pub fn key(&self) -> &'a ObjectKey {
        self.key
    }

    /// The bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The declared fixity.
    pub fn expected(&self) -> &'a Fixity {
        self.expected
    }

    /// True once [`BatchObject::verify_all`] found the bytes to match the declared fixity.
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// Checks the size and digest of every object not checked yet against its declared
    /// fixity, hashing them together ([`digest_many`](crate::digest::digest_many), grouped
    /// by algorithm), and marks those that match. Fails with [`ErrorKind::Integrity`] (code
    /// `CHECK_DIGEST.KO`) naming the first object, in batch order, that does not match.
    pub fn verify_all(objects: &mut [BatchObject<'_>]) -> Result<()> {
        let mut first_bad: Option<(usize, String)> = None;
        let mut note = |i: usize, why: String| {
            if first_bad.as_ref().is_none_or(|(j, _)| i < *j) {
                first_bad = Some((i, why));
            }
        };
        let mut algorithms: Vec<DigestAlgorithm> = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            if o.verified {
                continue;
            }
            if o.data.len() as u64 != o.expected.size {
                note(
                    i,
                    format!("received {} bytes, declared {}", o.data.len(), o.expected),
                );
            } else if !algorithms.contains(&o.expected.algorithm) {
                algorithms.push(o.expected.algorithm);
            }
        }
        for alg in algorithms {
            let idx: Vec<usize> = (0..objects.len())
                .filter(|&i| {
                    let o = &objects[i];
                    !o.verified
                        && o.expected.algorithm == alg
                        && o.data.len() as u64 == o.expected.size
                })
                .collect();
            let inputs: Vec<&[u8]> = idx.iter().map(|&i| objects[i].data).collect();
            let digests = crate::digest::digest_many_hex(alg, &inputs);
            for (&i, d) in idx.iter().zip(digests) {
                if d == objects[i].expected.digest {
                    objects[i].verified = true;
                } else {
                    note(
                        i,
                        format!(
                            "received {} {d}, declared {}",
                            alg.seda_name(),
                            objects[i].expected
                        ),
                    );
                }
            }
        }
        match first_bad {
            None => Ok(()),
            Some((i, why)) => {
                let k = objects[i].key;
                Err(Error::new(
                    ErrorKind::Integrity,
                    format!(
                        "put of {k} refused (object {} of a batch of {}): {why}",
                        i + 1,
                        objects.len()
                    ),
                )
                .with_id(k.as_str().to_string())
                .with_code("CHECK_DIGEST.KO"))
            }
        }
    }
}

/// Removes the objects a failed batch put created (those whose outcome is
/// [`PutOutcome::Created`]); returns a sentence saying what was undone.
pub(crate) fn undo_batch<O: StorageOffer + ?Sized>(
    offer: &O,
    objects: &[BatchObject<'_>],
    outcomes: &[PutOutcome],
) -> String {
    let mut removed = 0usize;
    let mut left = Vec::new();
    for (o, out) in objects.iter().zip(outcomes) {
        if *out != PutOutcome::Created {
            continue;
        }
        match offer.delete(o.key) {
            Ok(_) => removed += 1,
            Err(_) => left.push(o.key.as_str().to_string()),
        }
    }
    let mut s = format!("removed the {removed} objects this batch had created");
    if !left.is_empty() {
        s.push_str(&format!(
            "; COULD NOT remove [{}]: run an audit",
            left.join(", ")
        ));
    }
    s
}

/// The error of a batch put that failed at object `i`: the cause's kind and code, the
/// key as the error's id, and what was undone.
pub(crate) fn batch_failed(
    offer: &str,
    objects: &[BatchObject<'_>],
    i: usize,
    cause: Error,
    undo: &str,
) -> Error {
    let k = objects[i].key;
    let mut e = Error::new(
        cause.kind(),
        format!(
            "batch put on offer {offer} failed at {k} (object {} of {}): {}; {undo}",
            i + 1,
            objects.len(),
            cause.message()
        ),
    )
    .with_id(k.as_str().to_string());
    if let Some(code) = cause.context().code.clone() {
        e = e.with_code(code);
    }
    e
}

/// What the writer of a stream declares before the bytes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared<'a> {
    /// The whole fixity: the bytes must match it.
    Known(&'a Fixity),
    /// Only the algorithm and the size: the fixity recorded is the one computed over the
    /// bytes (which must have that size).
    Computed {
        /// The digest algorithm.
        algorithm: DigestAlgorithm,
        /// The size in bytes.
        size: u64,
    },
}

impl Declared<'_> {
    /// The algorithm and size declared.
    pub fn algorithm_and_size(&self) -> (DigestAlgorithm, u64) {
        match *self {
            Declared::Known(fx) => (fx.algorithm, fx.size),
            Declared::Computed { algorithm, size } => (algorithm, size),
        }
    }
}

/// What the caller of [`StorageOffer::put_with_source_digest`] computed over the whole
/// stream it handed out: its fixity and its CRC-32 (IEEE, as `crc32fast` computes it), the
/// cheap checksum an offer compares with the CRC-32 of what it wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSummary {
    /// The fixity of the bytes handed out.
    pub fixity: Fixity,
    /// Their CRC-32.
    pub crc32: u32,
}

impl SourceSummary {
    /// The summary of a byte slice (digest and CRC-32).
    pub fn of_bytes(algorithm: DigestAlgorithm, data: &[u8]) -> SourceSummary {
        SourceSummary {
            fixity: Fixity::of_bytes(algorithm, data),
            crc32: crc32fast::hash(data),
        }
    }

    /// Checks what an offer wrote (`written` bytes with CRC-32 `crc32`) against this summary
    /// and against `declared`; returns the fixity to record. The error names `offer` and
    /// `key` and says which of size, CRC-32 or digest differed.
    pub fn check(
        &self,
        offer: &str,
        key: &ObjectKey,
        declared: Declared<'_>,
        written: u64,
        crc32: u32,
    ) -> Result<Fixity> {
        let refuse = |why: String| {
            Err(Error::new(
                ErrorKind::Integrity,
                format!("put of {key} on offer {offer} refused: {why}"),
            )
            .with_id(key.as_str().to_string())
            .with_code("CHECK_DIGEST.KO"))
        };
        let (algorithm, size) = declared.algorithm_and_size();
        if written != self.fixity.size {
            return refuse(format!(
                "wrote {written} bytes but the source handed out {}",
                self.fixity.size
            ));
        }
        if crc32 != self.crc32 {
            return refuse(format!(
                "the bytes written (CRC-32 {crc32:08x}) differ from the bytes hashed by the \
                 caller (CRC-32 {:08x}): corrupted on the way to the offer",
                self.crc32
            ));
        }
        if self.fixity.algorithm != algorithm {
            return refuse(format!(
                "the caller hashed with {} but {} was declared",
                self.fixity.algorithm.seda_name(),
                algorithm.seda_name()
            ));
        }
        if let Declared::Known(fx) = declared
            && self.fixity.digest != fx.digest
        {
            return refuse(format!(
                "received {written} bytes with {} {}, declared {} bytes with {}",
                algorithm.seda_name(),
                self.fixity.digest,
                fx.size,
                fx.digest
            ));
        }
        if written != size {
            return refuse(format!("received {written} bytes, declared {size}"));
        }
        Ok(self.fixity.clone())
    }
}

type Published = Option<std::result::Result<SourceSummary, (ErrorKind, String)>>;

/// A one-shot cell through which the caller of [`StorageOffer::put_with_source_digest`]
/// publishes the [`SourceSummary`] of the stream (or why there is none) to the offers
/// writing it, which wait for it before committing. Clones share the cell. The first
/// publication wins; when the last clone held by a publisher ([`SourceDigest::publisher`])
/// is dropped unpublished, an error is published, so a waiting offer never hangs.
///
/// ```
/// use vas_core::digest::DigestAlgorithm;
/// use vas_core::storage::{SourceDigest, SourceSummary};
///
/// let cell = SourceDigest::new();
/// let publisher = cell.publisher();
/// let waiter = std::thread::spawn({
///     let cell = cell.clone();
///     move || cell.wait()
/// });
/// publisher.publish(Ok(SourceSummary::of_bytes(DigestAlgorithm::Sha512, b"abc")));
/// assert_eq!(waiter.join().unwrap().unwrap().fixity.size, 3);
/// // A publisher dropped without publishing publishes an error.
/// let cell = SourceDigest::new();
/// drop(cell.publisher());
/// assert!(cell.wait().is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct SourceDigest {
    cell: std::sync::Arc<(std::sync::Mutex<Published>, std::sync::Condvar)>,
}

impl SourceDigest {
    /// An empty cell.
    pub fn new() -> SourceDigest {
        SourceDigest::default()
    }

    /// The publishing side: publishes an error when dropped unpublished.
    pub fn publisher(&self) -> SourcePublisher {
        SourcePublisher { cell: self.clone() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Published> {
        self.cell.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes the summary, or the error that ended the stream. Only the first
    /// publication counts.
    pub fn publish(&self, summary: Result<SourceSummary>) {
        let mut g = self.lock();
        if g.is_none() {
            *g = Some(summary.map_err(|e| (e.kind(), e.message().to_string())));
            self.cell.1.notify_all();
        }
    }

    /// Waits for the publication; an error published by the caller comes back as an error
    /// of the same kind.
    pub fn wait(&self) -> Result<SourceSummary> {
        let mut g = self.lock();
        loop {
            if let Some(r) = g.as_ref() {
                return r.clone().map_err(|(kind, msg)| {
                    Error::new(kind, format!("the source stream failed: {msg}"))
                });
            }
            g = self.cell.1.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The publication, if there was one yet.
    pub fn get(&self) -> Option<Result<SourceSummary>> {
        self.lock().as_ref().map(|r| {
            r.clone()
                .map_err(|(kind, msg)| Error::new(kind, format!("the source stream failed: {msg}")))
        })
    }
}

/// The publishing side of a [`SourceDigest`]: publishes an error when dropped without
/// having published (a panicking or returning caller never leaves an offer waiting).
#[derive(Debug)]
pub struct SourcePublisher {
    cell: SourceDigest,
}

impl SourcePublisher {
    /// Publishes the summary or the error (see [`SourceDigest::publish`]).
    pub fn publish(&self, summary: Result<SourceSummary>) {
        self.cell.publish(summary);
    }
}

impl Drop for SourcePublisher {
    fn drop(&mut self) {
        self.cell.publish(Err(Error::new(
            ErrorKind::Internal,
            "the writer of the stream stopped without publishing its digest",
        )));
    }
}

/// Conveniences over any [`StorageOffer`] (blanket implementation).
pub trait StorageOfferExt: StorageOffer {
    /// Puts a byte slice, with a SHA-512 fixity computed here.
    fn put_bytes(&self, key: &ObjectKey, data: &[u8]) -> Result<PutOutcome> {
        let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, data);
        self.put(key, &mut &data[..], &fx)
    }

    /// Puts a file, computing its SHA-512 fixity first (two reads of the file).
    fn put_file(&self, key: &ObjectKey, path: &std::path::Path) -> Result<PutOutcome> {
        let fx = Fixity::of_file(DigestAlgorithm::Sha512, path)?;
        let mut f = std::fs::File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        self.put(key, &mut f, &fx)
    }

    /// True when the key is present.
    fn exists(&self, key: &ObjectKey) -> Result<bool> {
        Ok(self.head(key)?.is_some())
    }

    /// The recorded metadata; a missing key is an [`ErrorKind::NotFound`] error.
    fn head_required(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        self.head(key)?.ok_or_else(|| not_found(self.id(), key))
    }

    /// A stream verified against `expected` (or, when `None`, the offer's recorded
    /// fixity): see [`VerifyingReader`] for when the check happens.
    fn get_verified(
        &self,
        key: &ObjectKey,
        expected: Option<&Fixity>,
    ) -> Result<VerifyingReader<Box<dyn Read + Send>>> {
        let fx = match expected {
            Some(f) => f.clone(),
            None => self.head_required(key)?.fixity,
        };
        let r = self.get(key, None)?;
        Ok(VerifyingReader::new(r, fx).with_label(format!("{key} on offer {}", self.id())))
    }

    /// Reads the whole object into memory, verified against its recorded fixity.
    fn get_bytes(&self, key: &ObjectKey) -> Result<Vec<u8>> {
        let mut r = self.get_verified(key, None)?;
        let mut v = Vec::new();
        r.read_to_end(&mut v).map_err(Error::from)?;
        Ok(v)
    }

    /// Reads a range into memory (not verified: a range cannot be checked against a
    /// whole-object digest).
    fn get_range_bytes(&self, key: &ObjectKey, start: u64, len: u64) -> Result<Vec<u8>> {
        let mut r = self.get(
            key,
            Some(ByteRange {
                start,
                len: Some(len),
            }),
        )?;
        let mut v = Vec::new();
        r.read_to_end(&mut v)?;
        Ok(v)
    }

    /// Re-reads the whole object and checks it against `expected` (or the recorded
    /// fixity): the "deep" integrity check of audits. Returns the fixity actually read.
    /// Fails with [`ErrorKind::Integrity`] on mismatch (including a recorded fixity that
    /// differs from `expected`).
    fn verify(&self, key: &ObjectKey, expected: Option<&Fixity>) -> Result<Fixity> {
        let meta = self.head_required(key)?;
        let want = expected.cloned().unwrap_or_else(|| meta.fixity.clone());
        if meta.fixity.contradicts(&want) {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "{key} on offer {}: recorded fixity {} differs from expected {}",
                    self.id(),
                    meta.fixity,
                    want
                ),
            )
            .with_id(key.as_str().to_string()));
        }
        let got = Fixity::of_reader(want.algorithm, self.get(key, None)?)?;
        if got != want {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "{key} on offer {}: content is {} but {} was expected",
                    self.id(),
                    got,
                    want
                ),
            )
            .with_id(key.as_str().to_string())
            .with_code("CHECK_DIGEST.KO"));
        }
        Ok(got)
    }
}

impl<T: StorageOffer + ?Sized> StorageOfferExt for T {}

pub(crate) fn not_found(offer: &str, key: &ObjectKey) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("object {key} not found on offer {offer}"),
    )
    .with_id(key.as_str().to_string())
}

/// Checks a write-once `put` against what is already stored: `Ok(None)` when absent,
/// `Ok(Some(AlreadyPresent))` when the stored object has the declared content, `Conflict`
/// otherwise. When the stored fixity uses another algorithm than the declared one, the
/// stored bytes are re-read and hashed with both algorithms: same content is idempotent,
/// and a stored copy that does not match its own recorded fixity is reported `Corrupt`.
pub(crate) fn write_once_check(
    offer: &dyn StorageOffer,
    key: &ObjectKey,
    existing: Option<&Fixity>,
    expected: &Fixity,
) -> Result<Option<PutOutcome>> {
    let conflict = |f: &Fixity| {
        Error::new(
            ErrorKind::Conflict,
            format!(
                "object {key} already exists on offer {} with {f}; objects are write-once \
                 (refusing {expected})",
                offer.id()
            ),
        )
        .with_id(key.as_str().to_string())
    };
    let Some(f) = existing else {
        return Ok(None);
    };
    if f == expected {
        return Ok(Some(PutOutcome::AlreadyPresent));
    }
    if f.algorithm == expected.algorithm || f.size != expected.size {
        return Err(conflict(f));
    }
    let mut mh = crate::digest::MultiHasher::new(&[f.algorithm, expected.algorithm]);
    let mut r = offer.get(key, None)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(stream_error(e)),
        };
        mh.update(&buf[..n]);
    }
    let size = mh.len();
    let digests = mh.finalize();
    let of = |a: DigestAlgorithm| {
        digests
            .iter()
            .find(|(x, _)| *x == a)
            .map(|(_, d)| d.as_str())
    };
    if size != f.size || of(f.algorithm) != Some(f.digest.as_str()) {
        return Err(Error::new(
            ErrorKind::Corrupt,
            format!(
                "object {key} on offer {}: stored bytes do not match the recorded {f}",
                offer.id()
            ),
        )
        .with_id(key.as_str().to_string()));
    }
    if of(expected.algorithm) == Some(expected.digest.as_str()) {
        Ok(Some(PutOutcome::AlreadyPresent))
    } else {
        Err(conflict(f))
    }
}

/// The error of a [`StorageOffer::put_hashing`] whose stream had another size than declared.
pub(crate) fn size_refused(offer: &str, key: &ObjectKey, got: u64, size: u64) -> Error {
    Error::new(
        ErrorKind::Integrity,
        format!("put of {key} on offer {offer} refused: received {got} bytes, declared {size}"),
    )
    .with_id(key.as_str().to_string())
    .with_code("CHECK_DIGEST.KO")
}

/// Checks what was read during a put against the declared fixity.
pub(crate) fn check_written(
    offer: &str,
    key: &ObjectKey,
    expected: &Fixity,
    digest: &str,
    size: u64,
) -> Result<()> {
    if size != expected.size || digest != expected.digest {
        return Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "put of {key} on offer {offer} refused: received {size} bytes with {} {digest}, \
                 declared {} bytes with {}",
                expected.algorithm.seda_name(),
                expected.size,
                expected.digest
            ),
        )
        .with_id(key.as_str().to_string())
        .with_code("CHECK_DIGEST.KO"));
    }
    Ok(())
}

/// A reader that checks size and digest of what it yields against a [`Fixity`].
///
/// **Choice: verify at EOF, holding back the final bytes.** Bytes are handed out as
/// they come, but the read that would hand out the last byte(s) first hashes them, checks
/// that the inner stream is really at its end and that size and digest match; on mismatch
/// it fails with an `io::Error` wrapping an [`ErrorKind::Integrity`] [`Error`] and the
/// final bytes are never delivered. A consumer therefore never sees a *complete* object
/// whose digest does not match; it must treat a failed read as a failed download (e.g.
/// write to a temporary file and rename only on success, as
/// [`Strategy::get_to_path`](super::Strategy::get_to_path) does). A stream longer or
/// shorter than declared fails too.
///
/// ```
/// use std::io::Read;
/// use vas_core::digest::DigestAlgorithm;
/// use vas_core::storage::{Fixity, VerifyingReader};
///
/// let fx = Fixity::of_bytes(DigestAlgorithm::Sha256, b"hello");
/// let mut ok = String::new();
/// VerifyingReader::new(&b"hello"[..], fx.clone()).read_to_string(&mut ok).unwrap();
/// assert_eq!(ok, "hello");
/// let mut out = Vec::new();
/// let err = VerifyingReader::new(&b"hellO"[..], fx).read_to_end(&mut out).unwrap_err();
/// assert!(out.len() < 5, "the final bytes were held back");
/// let e = vas_core::storage::integrity_error_of(&err).unwrap();
/// assert_eq!(e.kind(), vas_core::ErrorKind::Integrity);
/// ```
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    expected: Fixity,
    seen: u64,
    label: String,
    failed: bool,
}

impl<R> fmt::Debug for VerifyingReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingReader")
            .field("label", &self.label)
            .field("expected", &self.expected)
            .field("seen", &self.seen)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, which must yield exactly the bytes described by `expected`.
    pub fn new(inner: R, expected: Fixity) -> Self {
        VerifyingReader {
            inner,
            hasher: Some(Hasher::new(expected.algorithm)),
            expected,
            seen: 0,
            label: "stream".into(),
            failed: false,
        }
    }

    /// Names the stream in error messages.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The fixity being checked.
    pub fn expected(&self) -> &Fixity {
        &self.expected
    }

    /// True once the whole stream was read and verified.
    pub fn is_verified(&self) -> bool {
        self.hasher.is_none() && !self.failed
    }

    fn fail(&mut self, msg: String) -> io::Error {
        self.failed = true;
        io::Error::other(
            Error::new(ErrorKind::Integrity, format!("{}: {msg}", self.label))
                .with_code("CHECK_DIGEST.KO"),
        )
    }

    fn finish(&mut self) -> io::Result<()> {
        // Confirm the end of the inner stream.
        let mut probe = [0u8; 1];
        loop {
            match self.inner.read(&mut probe) {
                Ok(0) => break,
                Ok(_) => {
                    return Err(self.fail(format!(
                        "longer than the expected {} bytes",
                        self.expected.size
                    )));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let Some(h) = self.hasher.take() else {
            return Ok(());
        };
        let got = h.finalize_hex();
        if got != self.expected.digest {
            return Err(self.fail(format!(
                "digest mismatch: read {} {got}, expected {}",
                self.expected.algorithm.seda_name(),
                self.expected.digest
            )));
        }
        Ok(())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(io::Error::other(Error::new(
                ErrorKind::Integrity,
                format!("{}: verification already failed", self.label),
            )));
        }
        if self.hasher.is_none() {
            return Ok(0);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let remaining = self.expected.size - self.seen;
        if remaining == 0 {
            self.finish()?;
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = loop {
            match self.inner.read(&mut buf[..want]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        if n == 0 {
            return Err(self.fail(format!(
                "truncated: {} bytes read, {} expected",
                self.seen, self.expected.size
            )));
        }
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        self.seen += n as u64;
        if self.seen == self.expected.size {
            // Hold back these final bytes until the whole stream is verified.
            self.finish()?;
        }
        Ok(n)
    }
}

/// Extracts the vas [`Error`] wrapped in an `io::Error` by [`VerifyingReader`] or an offer's
/// stream, when there is one.
pub fn integrity_error_of(e: &io::Error) -> Option<&Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Error>())
}

/// Converts an `io::Error` from a stream into a vas [`Error`], keeping the wrapped kind
/// (e.g. `Integrity`) when the stream produced one.
pub fn stream_error(e: io::Error) -> Error {
    if let Some(inner) = integrity_error_of(&e) {
        let mut out = Error::new(inner.kind(), inner.message().to_string());
        if let Some(code) = inner.context().code.clone() {
            out = out.with_code(code);
        }
        return out;
    }
    Error::from(e)
}
