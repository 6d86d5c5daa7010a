//! [`Strategy`]: N offers with one referent; verified N-copy writes, verified reads with
//! fallback, [`audit`](Strategy::audit) and [`repair`](Strategy::repair).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

use super::key::ObjectKey;
use super::offer::{
    BatchObject, Declared, Fixity, ObjectMeta, PutOutcome, SourceDigest, SourceSummary,
    StorageOffer, StorageOfferExt, VerifyingReader, stream_error,
};
use crate::digest::{DigestAlgorithm, Hasher};

/// A set of offers that each hold a copy of every object; one of them is the referent.
///
/// ```
/// use std::sync::Arc;
/// use vas_core::digest::DigestAlgorithm;
/// use vas_core::storage::{Fixity, MemoryOffer, ObjectKey, Strategy, StorageOfferExt};
///
/// let a = Arc::new(MemoryOffer::new("a"));
/// let b = Arc::new(MemoryOffer::new("b"));
/// let s = Strategy::new(vec![a.clone(), b.clone()], "a").unwrap();
/// let key = ObjectKey::new("obj").unwrap();
/// let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, b"payload");
/// s.put(&key, &mut &b"payload"[..], &fx).unwrap();
/// assert!(b.exists(&key).unwrap());
///
/// a.corrupt(&key, 0).unwrap();                 // silent corruption on the referent
/// assert_eq!(s.get_bytes(&key, Some(&fx)).unwrap(), b"payload"); // read falls back to b
/// let report = s.audit(Some(&[(key.clone(), fx.clone())]), true).unwrap();
/// assert_eq!(report.corrupt().count(), 1);
/// let fixed = s.repair(&report).unwrap();
/// assert!(fixed.all_repaired());
/// assert!(s.audit(None, true).unwrap().is_clean());
/// ```
#[derive(Debug, Clone)]
pub struct Strategy {
    offers: Vec<Arc<dyn StorageOffer>>,
    referent: usize,
}

/// What a strategy `put` did on each offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutReport {
    /// `(offer id, outcome)`, referent first.
    pub outcomes: Vec<(String, PutOutcome)>,
}

impl Strategy {
    /// A strategy over `offers` (at least one, distinct ids) whose referent is `referent`.
    pub fn new(offers: Vec<Arc<dyn StorageOffer>>, referent: &str) -> Result<Strategy> {
        if offers.is_empty() {
            return Err(Error::invalid("a strategy needs at least one offer"));
        }
        let mut seen = BTreeSet::new();
        for o in &offers {
            if !seen.insert(o.id().to_string()) {
                return Err(Error::invalid(format!(
                    "offer {} appears twice in the strategy",
                    o.id()
                )));
            }
        }
        let referent = offers
            .iter()
            .position(|o| o.id() == referent)
            .ok_or_else(|| {
                Error::invalid(format!("referent offer {referent} is not in the strategy"))
            })?;
        Ok(Strategy { offers, referent })
    }

    /// The offers, in configuration order.
    pub fn offers(&self) -> &[Arc<dyn StorageOffer>] {
        &self.offers
    }

    /// The referent offer.
    pub fn referent(&self) -> &Arc<dyn StorageOffer> {
        &self.offers[self.referent]
    }

    /// The offer named `id`.
    pub fn offer(&self, id: &str) -> Option<&Arc<dyn StorageOffer>> {
        self.offers.iter().find(|o| o.id() == id)
    }

    /// Offers in write order: referent first, then the others in configuration order.
    fn write_order(&self) -> Vec<&Arc<dyn StorageOffer>> {
        let mut v = vec![&self.offers[self.referent]];
        v.extend(
            self.offers
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != self.referent)
                .map(|(_, o)| o),
        );
        v
    }

    /// Writes `data` (declared `expected`) to every offer.
    ///
    /// With one offer, the stream is handed to it ([`StorageOffer::put`]: it hashes what it
    /// writes and refuses to commit on a mismatch). With several, the stream is read **and
    /// hashed once**, here, and handed to every offer at the same time (one thread per
    /// offer, shared read-only chunks) through [`StorageOffer::put_with_source_digest`]: an
    /// offer that supports it (the filesystem offer) does not hash again, it writes, checks
    /// the CRC-32 and size of what it wrote against what was hashed and commits only once
    /// this hash is complete and matches `expected`; other offers hash what they receive
    /// themselves. The put succeeds only when every offer holds the object with the
    /// expected fixity and the stream hashed here matches it. On failure, copies *created
    /// by this call* are deleted (rolled back) and the error says which offers failed and
    /// whether the rollback left anything behind.
    pub fn put(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        expected: &Fixity,
    ) -> Result<PutReport> {
        let order = self.write_order();
        let digest = SourceDigest::new();
        let hash = (order.len() > 1).then_some((expected.algorithm, &digest));
        let (source, summary, results) = fan_out(data, &order, hash, |o, r| {
            if hash.is_some() {
                o.put_with_source_digest(key, r, Declared::Known(expected), &digest)
                    .map(|(o, _)| o)
            } else {
                o.put(key, r, expected)
            }
        });
        let done = self.settle(key, &order, source, results, |o| *o)?;
        if let Some(s) = summary
            && s.fixity != *expected
        {
            let rollback = self.rollback(key, &done);
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "put of {key}: the stream is {} but {expected} was declared; {rollback}",
                    s.fixity
                ),
            )
            .with_id(key.as_str().to_string())
            .with_code("CHECK_DIGEST.KO"));
        }
        self.confirm(key, &order, &done, expected)?;
        Ok(PutReport { outcomes: done })
    }

    /// Writes exactly `size` bytes of `data` to every offer and records the fixity
    /// (`algorithm`) computed while they are written: for a caller that does not know the
    /// digest, the source is read and hashed once rather than hashed first and then read
    /// again. With one offer, the offer computes it ([`StorageOffer::put_hashing`]); with
    /// several, the stream is hashed once here while the copies are written concurrently
    /// ([`StorageOffer::put_with_source_digest`], as [`Strategy::put`]). The put succeeds
    /// only when every offer records that same fixity. Returns the report and the fixity.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use vas_core::digest::DigestAlgorithm;
    /// use vas_core::storage::{Fixity, MemoryOffer, ObjectKey, StorageOffer, Strategy};
    ///
    /// let (a, b) = (Arc::new(MemoryOffer::new("a")), Arc::new(MemoryOffer::new("b")));
    /// let s = Strategy::new(vec![a.clone(), b.clone()], "a").unwrap();
    /// let k = ObjectKey::new("k").unwrap();
    /// let (_, fx) = s.put_hashing(&k, &mut &b"bytes"[..], 5, DigestAlgorithm::Sha512).unwrap();
    /// assert_eq!(fx, Fixity::of_bytes(DigestAlgorithm::Sha512, b"bytes"));
    /// assert_eq!(b.head(&k).unwrap().unwrap().fixity, fx);
    /// // A stream of another size than declared is refused everywhere.
    /// let k2 = ObjectKey::new("k2").unwrap();
    /// assert!(s.put_hashing(&k2, &mut &b"bytes"[..], 4, DigestAlgorithm::Sha512).is_err());
    /// assert!(a.head(&k2).unwrap().is_none() && b.head(&k2).unwrap().is_none());
    /// ```
    pub fn put_hashing(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        size: u64,
        algorithm: crate::digest::DigestAlgorithm,
    ) -> Result<(PutReport, Fixity)> {
        let order = self.write_order();
        let digest = SourceDigest::new();
        let hash = (order.len() > 1).then_some((algorithm, &digest));
        let declared = Declared::Computed { algorithm, size };
        let (source, summary, results) = fan_out(data, &order, hash, |o, r| {
            if hash.is_some() {
                o.put_with_source_digest(key, r, declared, &digest)
            } else {
                o.put_hashing(key, r, size, algorithm)
            }
        });
        let fixities: Vec<Option<Fixity>> = results
            .iter()
            .map(|r| r.as_ref().ok().map(|(_, f)| f.clone()))
            .collect();
        let done = self.settle(key, &order, source, results, |(o, _)| *o)?;
        // The fixity of the stream: hashed here (several offers) or by the only offer.
        let (fx, by) = match summary {
            Some(s) => (s.fixity, "the stream hashed once".to_string()),
            None => (
                fixities[0]
                    .clone()
                    .ok_or_else(|| Error::internal("no fixity"))?,
                format!("offer {}", order[0].id()),
            ),
        };
        let mismatch = if fx.size != size {
            Some(format!("{by} has {} bytes, {size} were declared", fx.size))
        } else {
            fixities
                .iter()
                .enumerate()
                .find(|(_, f)| f.as_ref() != Some(&fx))
                .map(|(i, other)| {
                    format!(
                        "{by} gave {fx} but offer {} recorded {}",
                        order[i].id(),
                        other
                            .as_ref()
                            .map_or("nothing".to_string(), |f| f.to_string())
                    )
                })
        };
        if let Some(why) = mismatch {
            let rollback = self.rollback(key, &done);
            return Err(Error::new(
                ErrorKind::Integrity,
                format!("put of {key}: {why}; {rollback}"),
            )
            .with_id(key.as_str().to_string())
            .with_code("CHECK_DIGEST.KO"));
        }
        self.confirm(key, &order, &done, &fx)?;
        Ok((PutReport { outcomes: done }, fx))
    }

    /// Writes a batch of in-memory objects to every offer, with the guarantees of one
    /// [`Strategy::put`] per object: each object's size and digest are checked against its
    /// declared fixity **once, here, for all offers** (many inputs hashed together with
    /// [`digest_many`](crate::digest::digest_many)) before anything is written, then every
    /// offer receives the whole batch at the same time (one thread per offer) through
    /// [`StorageOffer::put_batch`] — the filesystem offer writes the batch's temporary
    /// files, makes them durable in one pass, links them into place and syncs each touched
    /// directory once, instead of one full sync sequence per object. The batch succeeds only
    /// when every offer holds every object with its declared fixity (re-read with `head`
    /// afterwards). Returns one [`PutReport`] per object, in order.
    ///
    /// On failure, nothing of the batch is left visible: the copies created by this call
    /// are deleted from every offer, and the error names the offer and the key that failed
    /// (also as the error's id), with the cause's kind and code (`CHECK_DIGEST.KO` for a
    /// digest or size mismatch). A crash in the middle may leave some objects of the batch
    /// visible on some offers, each complete: the caller's journal removes them, as for
    /// the single put.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use vas_core::digest::DigestAlgorithm;
    /// use vas_core::storage::{BatchObject, Fixity, MemoryOffer, ObjectKey, Strategy, StorageOfferExt};
    ///
    /// let (a, b) = (Arc::new(MemoryOffer::new("a")), Arc::new(MemoryOffer::new("b")));
    /// let s = Strategy::new(vec![a.clone(), b.clone()], "a").unwrap();
    /// let keys = [ObjectKey::new("x").unwrap(), ObjectKey::new("y").unwrap()];
    /// let data: [&[u8]; 2] = [b"one", b"two"];
    /// let fx: Vec<Fixity> = data.iter().map(|d| Fixity::of_bytes(DigestAlgorithm::Sha512, d)).collect();
    /// let batch: Vec<BatchObject> = (0..2).map(|i| BatchObject::new(&keys[i], data[i], &fx[i])).collect();
    /// assert_eq!(s.put_batch(&batch).unwrap().len(), 2);
    /// assert_eq!(b.get_bytes(&keys[1]).unwrap(), b"two");
    /// // One wrong digest: the whole batch is refused, nothing new is written.
    /// let k3 = ObjectKey::new("z").unwrap();
    /// let bad = [BatchObject::new(&k3, b"three", &fx[0])];
    /// let e = s.put_batch(&bad).unwrap_err();
    /// assert_eq!(e.context().id.as_deref(), Some("z"));
    /// assert!(!a.exists(&k3).unwrap() && !b.exists(&k3).unwrap());
    /// ```
    pub fn put_batch(&self, objects: &[BatchObject<'_>]) -> Result<Vec<PutReport>> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let mut objs = objects.to_vec();
        BatchObject::verify_all(&mut objs)?;
        let objs = &objs[..];
        let order = self.write_order();
        let results: Vec<Result<Vec<PutOutcome>>> = if let [only] = order.as_slice() {
            vec![only.put_batch(objs)]
        } else {
            std::thread::scope(|s| {
                let others: Vec<_> = order[1..]
                    .iter()
                    .map(|o| s.spawn(move || o.put_batch(objs)))
                    .collect();
                let mut v = vec![order[0].put_batch(objs)];
                v.extend(others.into_iter().map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::internal("offer writer thread panicked")))
                }));
                v
            })
        };
        let mut done: Vec<(&Arc<dyn StorageOffer>, Vec<PutOutcome>)> = Vec::new();
        let mut failed = None;
        for (o, r) in order.iter().zip(results) {
            match r {
                Ok(out) if out.len() == objs.len() => done.push((o, out)),
                Ok(out) => {
                    failed.get_or_insert((
                        o,
                        Error::internal(format!(
                            "offer {} answered {} outcomes for a batch of {}",
                            o.id(),
                            out.len(),
                            objs.len()
                        )),
                    ));
                    done.push((o, out));
                }
                Err(e) => {
                    failed.get_or_insert((o, e));
                }
            }
        }
        if failed.is_none() {
            // Every offer must now record every object (as `confirm` for one put).
            'check: for o in &order {
                for b in objs {
                    let ok = matches!(o.head(b.key()), Ok(Some(m)) if !m.fixity.contradicts(b.expected()));
                    if !ok {
                        failed = Some((
                            o,
                            Error::new(
                                ErrorKind::Integrity,
                                format!(
                                    "offer {} does not record {} for {} after the write",
                                    o.id(),
                                    b.expected(),
                                    b.key()
                                ),
                            )
                            .with_id(b.key().as_str().to_string()),
                        ));
                        break 'check;
                    }
                }
            }
        }
        if let Some((o, e)) = failed {
            let mut removed = Vec::new();
            let mut left = Vec::new();
            for (off, outs) in &done {
                for (b, out) in objs.iter().zip(outs) {
                    if *out == PutOutcome::Created {
                        match off.delete(b.key()) {
                            Ok(_) => removed.push(off.id()),
                            Err(_) => left.push(format!("{} on {}", b.key(), off.id())),
                        }
                    }
                }
            }
            removed.dedup();
            let mut rollback = format!(
                "rolled back the batch's new copies on [{}]",
                removed.join(", ")
            );
            if !left.is_empty() {
                rollback.push_str(&format!(
                    "; COULD NOT remove [{}]: run an audit",
                    left.join(", ")
                ));
            }
            let mut err = Error::new(
                e.kind(),
                format!(
                    "batch put of {} objects failed on offer {}: {}; {rollback}",
                    objs.len(),
                    o.id(),
                    e.message()
                ),
            );
            if let Some(id) = e.context().id.clone() {
                err = err.with_id(id);
            }
            if let Some(code) = e.context().code.clone() {
                err = err.with_code(code);
            }
            return Err(err);
        }
        Ok((0..objs.len())
            .map(|i| PutReport {
                outcomes: done
                    .iter()
                    .map(|(o, outs)| (o.id().to_string(), outs[i]))
                    .collect(),
            })
            .collect())
    }

    /// The outcomes of a fan-out put, or (after rolling back the copies it created) the
    /// error of the source or of the first offer that failed.
    fn settle<T>(
        &self,
        key: &ObjectKey,
        order: &[&Arc<dyn StorageOffer>],
        source: Option<Error>,
        results: Vec<Result<T>>,
        outcome: impl Fn(&T) -> PutOutcome,
    ) -> Result<Vec<(String, PutOutcome)>> {
        let mut done = Vec::new();
        let mut failed = None;
        for (o, r) in order.iter().zip(results) {
            match r {
                Ok(t) => done.push((o.id().to_string(), outcome(&t))),
                Err(e) if failed.is_none() => failed = Some((o.id().to_string(), e)),
                Err(_) => {}
            }
        }
        if let Some(e) = source {
            let rollback = self.rollback(key, &done);
            return Err(Error::new(
                e.kind(),
                format!(
                    "put of {key}: reading the source failed: {}; {rollback}",
                    e.message()
                ),
            )
            .with_id(key.as_str().to_string()));
        }
        if let Some((id, e)) = failed {
            let rollback = self.rollback(key, &done);
            let mut err = Error::new(
                e.kind(),
                format!(
                    "put of {key} failed on offer {id}: {}; {rollback}",
                    e.message()
                ),
            )
            .with_id(key.as_str().to_string());
            if let Some(code) = e.context().code.clone() {
                err = err.with_code(code);
            }
            return Err(err);
        }
        Ok(done)
    }

    /// Every offer must now record the object with the expected fixity (guards against a
    /// backend that acknowledged a write it did not keep); rolls back otherwise.
    fn confirm(
        &self,
        key: &ObjectKey,
        order: &[&Arc<dyn StorageOffer>],
        done: &[(String, PutOutcome)],
        expected: &Fixity,
    ) -> Result<()> {
        for offer in order {
            let ok = matches!(offer.head(key), Ok(Some(m)) if !m.fixity.contradicts(expected));
            if !ok {
                let rollback = self.rollback(key, done);
                return Err(Error::new(
                    ErrorKind::Integrity,
                    format!(
                        "put of {key}: offer {} does not record {expected} after the write; \
                         {rollback}",
                        offer.id()
                    ),
                )
                .with_id(key.as_str().to_string()));
            }
        }
        Ok(())
    }

    fn rollback(&self, key: &ObjectKey, done: &[(String, PutOutcome)]) -> String {
        let mut removed = Vec::new();
        let mut left = Vec::new();
        for (id, o) in done {
            if *o != PutOutcome::Created {
                continue;
            }
            match self.offer(id).map(|off| off.delete(key)) {
                Some(Ok(_)) => removed.push(id.clone()),
                _ => left.push(id.clone()),
            }
        }
        let mut s = format!("rolled back the new copies on [{}]", removed.join(", "));
        if !left.is_empty() {
            s.push_str(&format!(
                "; COULD NOT remove the partial copies on [{}]: run an audit",
                left.join(", ")
            ));
        }
        s
    }

    /// Writes a file to every offer. With `expected`, the file must match it; without, the
    /// SHA-512 fixity is computed while the copies are written (the file is read once:
    /// [`Strategy::put_hashing`]).
    pub fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        expected: Option<&Fixity>,
    ) -> Result<PutReport> {
        self.put_file_hashing(key, path, expected, crate::digest::DigestAlgorithm::Sha512)
            .map(|(r, _)| r)
    }

    /// [`Strategy::put_file`] that also returns the fixity recorded, and computes it with
    /// `algorithm` when `expected` is `None`.
    pub fn put_file_hashing(
        &self,
        key: &ObjectKey,
        path: &Path,
        expected: Option<&Fixity>,
        algorithm: crate::digest::DigestAlgorithm,
    ) -> Result<(PutReport, Fixity)> {
        let mut f = std::fs::File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        super::fs::advise_sequential(&f);
        let r = match expected {
            Some(fx) => self.put(key, &mut f, fx).map(|r| (r, fx.clone())),
            None => {
                let size = f
                    .metadata()
                    .map_err(|e| Error::from(e).with_path(path))?
                    .len();
                self.put_hashing(key, &mut f, size, algorithm)
            }
        };
        r.map_err(|e| e.or_path(path))
    }

    /// Removes the object from every offer (e.g. after an elimination). Every offer is
    /// attempted; returns `(offer id, was present)` per offer, or an error naming the
    /// offers where the removal failed (the others are done: run it again, it is
    /// idempotent).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use vas_core::storage::{MemoryOffer, ObjectKey, StorageOfferExt, Strategy};
    ///
    /// let (a, b) = (Arc::new(MemoryOffer::new("a")), Arc::new(MemoryOffer::new("b")));
    /// let s = Strategy::new(vec![a.clone(), b.clone()], "a").unwrap();
    /// let k = ObjectKey::new("k").unwrap();
    /// a.put_bytes(&k, b"x").unwrap();
    /// assert_eq!(s.delete(&k).unwrap(), vec![("a".to_string(), true), ("b".to_string(), false)]);
    /// assert!(!a.exists(&k).unwrap());
    /// ```
    pub fn delete(&self, key: &ObjectKey) -> Result<Vec<(String, bool)>> {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for o in &self.offers {
            match o.delete(key) {
                Ok(present) => done.push((o.id().to_string(), present)),
                Err(e) => failed.push(format!("{}: {}", o.id(), e.message())),
            }
        }
        if failed.is_empty() {
            Ok(done)
        } else {
            Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "delete of {key} failed on [{}]; removed from the other offers",
                    failed.join("; ")
                ),
            )
            .with_id(key.as_str().to_string()))
        }
    }

    /// The fixity to read against: `expected`, else the referent's recorded fixity, else the
    /// first recorded fixity found on another offer.
    fn expected_for(&self, key: &ObjectKey, expected: Option<&Fixity>) -> Result<Fixity> {
        if let Some(f) = expected {
            return Ok(f.clone());
        }
        let mut last = None;
        for o in self.write_order() {
            match o.head(key) {
                Ok(Some(m)) => return Ok(m.fixity),
                Ok(None) => {}
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("object {key} is on no offer of the strategy"),
            )
            .with_id(key.as_str().to_string())
        }))
    }

    /// A verified stream from the first offer (configuration order) that is reachable,
    /// holds the key and records the expected fixity.
    ///
    /// Verification happens at EOF ([`VerifyingReader`]): a copy corrupted *without* its
    /// recorded fixity changing is detected only at the end of the stream, where the read
    /// fails with [`ErrorKind::Integrity`] before the final bytes are handed out — too late
    /// to switch offers. Use [`Strategy::get_to_path`] or [`Strategy::get_bytes`], which fall
    /// back to the next offer in that case too.
    pub fn get(
        &self,
        key: &ObjectKey,
        expected: Option<&Fixity>,
    ) -> Result<VerifyingReader<Box<dyn Read + Send>>> {
        let fx = self.expected_for(key, expected)?;
        let mut errors = Vec::new();
        for o in &self.offers {
            match o.head(key) {
                Ok(Some(m)) if !m.fixity.contradicts(&fx) => match o.get_verified(key, Some(&fx)) {
                    Ok(r) => return Ok(r),
                    Err(e) => errors.push((e.kind(), format!("{}: {}", o.id(), e.message()))),
                },
                Ok(Some(m)) => errors.push((
                    ErrorKind::Integrity,
                    format!("{}: records {}", o.id(), m.fixity),
                )),
                Ok(None) => errors.push((ErrorKind::NotFound, format!("{}: missing", o.id()))),
                Err(e) => errors.push((e.kind(), format!("{}: {}", o.id(), e.message()))),
            }
        }
        Err(no_good_copy(key, &errors))
    }

    /// Copies a verified copy into `out`, trying each offer in turn; returns the id of the
    /// offer read. `out` is called afresh for each attempt (so it can be truncated).
    fn read_with_fallback(
        &self,
        key: &ObjectKey,
        expected: Option<&Fixity>,
        mut sink: impl FnMut(&mut dyn Read) -> Result<()>,
    ) -> Result<String> {
        let fx = self.expected_for(key, expected)?;
        let mut errors = Vec::new();
        for o in &self.offers {
            let r = o
                .get_verified(key, Some(&fx))
                .and_then(|mut r| sink(&mut r));
            match r {
                Ok(()) => return Ok(o.id().to_string()),
                Err(e) => errors.push((e.kind(), format!("{}: {}", o.id(), e.message()))),
            }
        }
        Err(no_good_copy(key, &errors))
    }

    /// Reads the whole object into memory from the first offer whose copy verifies.
    pub fn get_bytes(&self, key: &ObjectKey, expected: Option<&Fixity>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_with_fallback(key, expected, |r| {
            out.clear();
            r.read_to_end(&mut out).map_err(stream_error)?;
            Ok(())
        })?;
        Ok(out)
    }

    /// Downloads the object to `dest` from the first offer whose copy verifies: the bytes go
    /// to a temporary file next to `dest`, renamed onto `dest` only once verified, so `dest`
    /// never holds bytes whose digest does not match. Returns the offer id read from.
    pub fn get_to_path(
        &self,
        key: &ObjectKey,
        expected: Option<&Fixity>,
        dest: &Path,
    ) -> Result<String> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let mut tmp =
            tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::from(e).with_path(&dir))?;
        let from = self.read_with_fallback(key, expected, |r| {
            let f = tmp.as_file_mut();
            f.set_len(0)?;
            io::Seek::seek(f, io::SeekFrom::Start(0))?;
            let mut w = io::BufWriter::with_capacity(1 << 20, f);
            io::copy(r, &mut w).map_err(stream_error)?;
            w.flush()?;
            Ok(())
        })?;
        tmp.as_file().sync_all()?;
        tmp.persist(dest)
            .map_err(|e| Error::from(e.error).with_path(dest))?;
        Ok(from)
    }

    /// Audits every copy on every offer.
    ///
    /// With `expected = Some(list)`, each listed object must be on every offer with that
    /// fixity; objects found on offers but not listed are *superfluous*. With `None`, the
    /// expected objects are the union of the offers' listings, each expected with the
    /// referent's recorded fixity (or, when the referent lacks it, the fixity most offers
    /// record). `deep = true` re-reads and hashes every copy; `false` only compares recorded
    /// fixities.
    pub fn audit(
        &self,
        expected: Option<&[(ObjectKey, Fixity)]>,
        deep: bool,
    ) -> Result<AuditReport> {
        let mut report = AuditReport::default();
        // Listings (an unreachable offer is a finding, not an error).
        let mut listings: BTreeMap<String, Option<BTreeMap<ObjectKey, Fixity>>> = BTreeMap::new();
        for o in &self.offers {
            match o.list("") {
                Ok(l) => {
                    listings.insert(
                        o.id().to_string(),
                        Some(l.into_iter().map(|m| (m.key, m.fixity)).collect()),
                    );
                }
                Err(e) => {
                    report.findings.push(Finding {
                        offer: o.id().to_string(),
                        key: None,
                        problem: Problem::Unreachable,
                        detail: e.to_string(),
                        expected: None,
                    });
                    listings.insert(o.id().to_string(), None);
                }
            }
        }
        let wanted: Vec<(ObjectKey, Fixity)> = match expected {
            Some(list) => list.to_vec(),
            None => self.expected_from_listings(&listings),
        };
        let wanted_keys: BTreeSet<&ObjectKey> = wanted.iter().map(|(k, _)| k).collect();
        for (key, fx) in &wanted {
            report.objects += 1;
            for o in &self.offers {
                if listings.get(o.id()).is_some_and(|l| l.is_none()) {
                    continue; // unreachable, reported once above
                }
                report.copies_checked += 1;
                match self.check_copy(o.as_ref(), key, fx, deep) {
                    Ok(()) => report.copies_ok += 1,
                    Err((problem, detail)) => report.findings.push(Finding {
                        offer: o.id().to_string(),
                        key: Some(key.clone()),
                        problem,
                        detail,
                        expected: Some(fx.clone()),
                    }),
                }
            }
        }
        if expected.is_some() {
            for (offer, l) in &listings {
                for key in l.iter().flat_map(|m| m.keys()) {
                    if !wanted_keys.contains(key) {
                        report.findings.push(Finding {
                            offer: offer.clone(),
                            key: Some(key.clone()),
                            problem: Problem::Superfluous,
                            detail: "present on the offer but not expected".into(),
                            expected: None,
                        });
                    }
                }
            }
        }
        // Entries an offer holds but cannot describe: reported, never silently skipped.
        for o in &self.offers {
            if listings.get(o.id()).is_some_and(|l| l.is_none()) {
                continue;
            }
            let damaged = match o.damaged() {
                Ok(d) => d,
                Err(e) => vec![format!("could not scan for damaged entries: {e}")],
            };
            for d in damaged {
                report.findings.push(Finding {
                    offer: o.id().to_string(),
                    key: None,
                    problem: Problem::Corrupt,
                    detail: format!("unreadable entry {d}"),
                    expected: None,
                });
            }
        }
        report.offers = self.offers.iter().map(|o| o.id().to_string()).collect();
        Ok(report)
    }

    fn expected_from_listings(
        &self,
        listings: &BTreeMap<String, Option<BTreeMap<ObjectKey, Fixity>>>,
    ) -> Vec<(ObjectKey, Fixity)> {
        let referent = self.referent().id();
        let mut all: BTreeMap<&ObjectKey, Vec<(&str, &Fixity)>> = BTreeMap::new();
        for (offer, l) in listings {
            for (k, f) in l.iter().flatten() {
                all.entry(k).or_default().push((offer.as_str(), f));
            }
        }
        all.into_iter()
            .map(|(k, copies)| {
                let fx = copies
                    .iter()
                    .find(|(o, _)| *o == referent)
                    .map(|(_, f)| (*f).clone())
                    .unwrap_or_else(|| {
                        let mut votes: BTreeMap<(&str, u64, String), usize> = BTreeMap::new();
                        for (_, f) in &copies {
                            *votes
                                .entry((f.digest.as_str(), f.size, f.algorithm.seda_name().into()))
                                .or_default() += 1;
                        }
                        let best = votes.iter().max_by_key(|(_, n)| **n).map(|(k, _)| k.0);
                        copies
                            .iter()
                            .find(|(_, f)| Some(f.digest.as_str()) == best)
                            .map(|(_, f)| (*f).clone())
                            .unwrap_or_else(|| copies[0].1.clone())
                    });
                (k.clone(), fx)
            })
            .collect()
    }

    fn check_copy(
        &self,
        offer: &dyn StorageOffer,
        key: &ObjectKey,
        fx: &Fixity,
        mut deep: bool,
    ) -> std::result::Result<(), (Problem, String)> {
        match offer.head(key) {
            Ok(None) => return Err((Problem::Missing, "no copy".into())),
            Ok(Some(m)) if m.fixity.contradicts(fx) => {
                return Err((
                    Problem::Corrupt,
                    format!("recorded fixity {} differs from expected {fx}", m.fixity),
                ));
            }
            // Another algorithm than expected: only hashing the bytes can tell.
            Ok(Some(m)) if m.fixity.algorithm != fx.algorithm => deep = true,
            Ok(Some(_)) => {}
            Err(e) if e.kind() == ErrorKind::Unavailable => {
                return Err((Problem::Unreachable, e.to_string()));
            }
            Err(e) => return Err((Problem::Corrupt, e.to_string())),
        }
        if deep {
            match offer.verify(key, Some(fx)) {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Unavailable => {
                    return Err((Problem::Unreachable, e.to_string()));
                }
                Err(e) => return Err((Problem::Corrupt, e.to_string())),
            }
        }
        Ok(())
    }

    /// Repairs the missing and corrupt copies of an audit report: each is (re)written from
    /// a copy on another offer that **verifies against the expected fixity** (re-hashed
    /// now), then re-verified on the repaired offer. A copy is never repaired from a
    /// source whose digest does not match; when no good source exists the finding stays
    /// unrepaired. Superfluous copies are left alone (reported only). Corrupt copies are
    /// deleted before being rewritten (offers are write-once).
    pub fn repair(&self, report: &AuditReport) -> Result<RepairReport> {
        let mut out = RepairReport::default();
        for f in &report.findings {
            let (Some(key), Some(fx)) = (&f.key, &f.expected) else {
                continue;
            };
            if !matches!(f.problem, Problem::Missing | Problem::Corrupt) {
                continue;
            }
            let Some(target) = self.offer(&f.offer) else {
                continue;
            };
            let r = self.repair_one(target.as_ref(), key, fx, f.problem);
            out.actions.push(RepairAction {
                offer: f.offer.clone(),
                key: key.clone(),
                problem: f.problem,
                source: r.as_ref().ok().cloned(),
                error: r.err().map(|e| e.to_string()),
            });
        }
        Ok(out)
    }

    fn repair_one(
        &self,
        target: &dyn StorageOffer,
        key: &ObjectKey,
        fx: &Fixity,
        problem: Problem,
    ) -> Result<String> {
        // A source whose copy verifies now.
        let mut tried = Vec::new();
        let source = self
            .offers
            .iter()
            .filter(|o| o.id() != target.id())
            .find(|o| match o.verify(key, Some(fx)) {
                Ok(_) => true,
                Err(e) => {
                    tried.push(format!("{}: {}", o.id(), e.message()));
                    false
                }
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Integrity,
                    format!(
                        "no offer holds a copy of {key} matching {fx}; not repaired ({})",
                        tried.join("; ")
                    ),
                )
            })?;
        if problem == Problem::Corrupt || target.head(key).ok().flatten().is_some() {
            target.delete(key)?;
        }
        let mut src = source.get_verified(key, Some(fx))?;
        target.put(key, &mut src, fx)?;
        target.verify(key, Some(fx))?;
        Ok(source.id().to_string())
    }
}

/// The error when no offer gave a verified copy: `NotFound` when every offer lacks the
/// object, `Unavailable` when the others were unreachable, `Integrity` as soon as a copy
/// was found damaged (or another error happened).
fn no_good_copy(key: &ObjectKey, errors: &[(ErrorKind, String)]) -> Error {
    let all = |f: &dyn Fn(ErrorKind) -> bool| errors.iter().all(|(k, _)| f(*k));
    let kind = if all(&|k| k == ErrorKind::NotFound) {
        ErrorKind::NotFound
    } else if all(&|k| matches!(k, ErrorKind::NotFound | ErrorKind::Unavailable)) {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Integrity
    };
    let msgs: Vec<&str> = errors.iter().map(|(_, m)| m.as_str()).collect();
    Error::new(
        kind,
        format!(
            "no offer returned a verified copy of {key} ({})",
            msgs.join("; ")
        ),
    )
    .with_id(key.as_str().to_string())
}

/// The kind of an audit finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The offer lacks a copy.
    Missing,
    /// The copy's recorded fixity or its bytes do not match the expected fixity.
    Corrupt,
    /// The offer holds an object that was not expected.
    Superfluous,
    /// The offer could not be reached.
    Unreachable,
}

/// One problem found by an audit.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The offer.
    pub offer: String,
    /// The object (`None` for an unreachable offer, or for an entry the offer cannot
    /// describe — see [`StorageOffer::damaged`]; such a file may also show up as the corrupt
    /// copy of its key, which repair then replaces).
    #[serde(serialize_with = "ser_key")]
    pub key: Option<ObjectKey>,
    /// What is wrong.
    pub problem: Problem,
    /// Details.
    pub detail: String,
    /// The fixity the copy should have.
    #[serde(serialize_with = "ser_fixity")]
    pub expected: Option<Fixity>,
}

fn ser_key<S: serde::Serializer>(
    k: &Option<ObjectKey>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match k {
        Some(k) => s.serialize_str(k.as_str()),
        None => s.serialize_none(),
    }
}

fn ser_fixity<S: serde::Serializer>(
    f: &Option<Fixity>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    match f {
        None => s.serialize_none(),
        Some(f) => {
            let mut m = s.serialize_map(Some(3))?;
            m.serialize_entry("algorithm", f.algorithm.seda_name())?;
            m.serialize_entry("digest", &f.digest)?;
            m.serialize_entry("size", &f.size)?;
            m.end()
        }
    }
}

/// The result of [`Strategy::audit`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    /// The offers audited.
    pub offers: Vec<String>,
    /// Objects expected.
    pub objects: usize,
    /// Copies checked (objects × reachable offers).
    pub copies_checked: usize,
    /// Copies present and intact.
    pub copies_ok: usize,
    /// Problems found.
    pub findings: Vec<Finding>,
}

impl AuditReport {
    /// True when every expected copy is present and intact on every offer, every offer was
    /// reachable and nothing superfluous was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// Findings of one kind.
    pub fn of(&self, p: Problem) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.problem == p)
    }

    /// Missing copies.
    pub fn missing(&self) -> impl Iterator<Item = &Finding> {
        self.of(Problem::Missing)
    }

    /// Corrupt copies.
    pub fn corrupt(&self) -> impl Iterator<Item = &Finding> {
        self.of(Problem::Corrupt)
    }

    /// Superfluous copies.
    pub fn superfluous(&self) -> impl Iterator<Item = &Finding> {
        self.of(Problem::Superfluous)
    }
}

/// One repair attempt.
#[derive(Debug, Clone, Serialize)]
pub struct RepairAction {
    /// The repaired offer.
    pub offer: String,
    /// The object.
    #[serde(serialize_with = "ser_key_plain")]
    pub key: ObjectKey,
    /// What was wrong.
    pub problem: Problem,
    /// The offer the good copy came from, on success.
    pub source: Option<String>,
    /// Why it failed, on failure.
    pub error: Option<String>,
}

fn ser_key_plain<S: serde::Serializer>(
    k: &ObjectKey,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

/// The result of [`Strategy::repair`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairReport {
    /// Every attempt.
    pub actions: Vec<RepairAction>,
}

impl RepairReport {
    /// True when every attempted repair succeeded.
    pub fn all_repaired(&self) -> bool {
        self.actions.iter().all(|a| a.error.is_none())
    }

    /// Number of successful repairs.
    pub fn repaired(&self) -> usize {
        self.actions.iter().filter(|a| a.error.is_none()).count()
    }
}

/// Makes `ObjectMeta` lists easy to feed to [`Strategy::audit`].
pub fn expected_of(metas: &[ObjectMeta]) -> Vec<(ObjectKey, Fixity)> {
    metas
        .iter()
        .map(|m| (m.key.clone(), m.fixity.clone()))
        .collect()
}

/// Chunk size of the fan-out of a strategy put.
const FAN_CHUNK: usize = 4 << 20;
/// Size of the first chunk of a fan-out; each next one doubles, up to [`FAN_CHUNK`], so a
/// small object does not cost two zeroed 4 MiB buffers (they were 23 % of the CPU of an
/// archive ingest of 100 KiB objects).
const FAN_FIRST_CHUNK: usize = 64 << 10;
/// Chunks queued per offer.
const FAN_DEPTH: usize = 4;

type Chunk = std::result::Result<Arc<Vec<u8>>, String>;

/// Runs `put` for every offer, each on its own thread reading the same stream, which is
/// read once here and handed out in shared chunks (with one offer and no `hash`: directly,
/// no thread). With `hash = Some((algorithm, cell))`, the stream is also hashed here, once,
/// chunk by chunk right after each chunk is handed out (the chunks are read-only, so the
/// offers write exactly the bytes hashed), with its CRC-32; the [`SourceSummary`] (or the
/// source's error) is published in `cell` when the stream ends, before the offers' threads
/// are joined. Returns the source's read error, if any, the summary, and each offer's
/// result in order.
fn fan_out<T: Send>(
    data: &mut dyn Read,
    offers: &[&Arc<dyn StorageOffer>],
    hash: Option<(DigestAlgorithm, &SourceDigest)>,
    put: impl Fn(&dyn StorageOffer, &mut dyn Read) -> Result<T> + Sync,
) -> (Option<Error>, Option<SourceSummary>, Vec<Result<T>>) {
    if let ([only], None) = (offers, hash) {
        return (None, None, vec![put(only.as_ref(), data)]);
    }
    std::thread::scope(|s| {
        // Declared inside the scope: dropped (publishing an error) before the scope joins
        // the offers' threads, even if this thread panics, so no offer waits forever.
        let publisher = hash.map(|(_, cell)| cell.publisher());
        let mut hasher = hash.map(|(alg, _)| (Hasher::new(alg), crc32fast::Hasher::new()));
        let mut txs = Vec::new();
        let mut handles = Vec::new();
        for o in offers {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(FAN_DEPTH);
            txs.push(Some(tx));
            let put = &put;
            handles.push(s.spawn(move || {
                let mut r = ChunkReader {
                    rx,
                    cur: None,
                    pos: 0,
                };
                put(o.as_ref(), &mut r)
            }));
        }
        let mut pool: Vec<Arc<Vec<u8>>> = Vec::new();
        let mut source_error = None;
        let mut complete = false;
        let mut want = FAN_FIRST_CHUNK;
        while txs.iter().any(Option::is_some) {
            // Reuse a chunk every offer is done with, else allocate one.
            let mut chunk = match pool.iter().position(|c| Arc::strong_count(c) == 1) {
                Some(i) => pool.swap_remove(i),
                None => Arc::new(Vec::new()),
            };
            let Some(buf) = Arc::get_mut(&mut chunk) else {
                break; // unreachable: the count was 1
            };
            buf.resize(want, 0);
            want = (want * 2).min(FAN_CHUNK);
            let n = match crate::io_util::read_full(data, buf) {
                Ok(n) => n,
                Err(e) => {
                    for tx in txs.iter().flatten() {
                        let _ = tx.send(Err(e.to_string()));
                    }
                    source_error = Some(stream_error(e));
                    break;
                }
            };
            if n == 0 {
                complete = true;
                break;
            }
            buf.truncate(n);
            for slot in txs.iter_mut() {
                // An offer that stopped reading (done, or failed) no longer receives.
                if let Some(tx) = slot
                    && tx.send(Ok(chunk.clone())).is_err()
                {
                    *slot = None;
                }
            }
            // Hash while the offers write this chunk (it is read-only from now on).
            if let Some((h, crc)) = hasher.as_mut() {
                h.update(&chunk);
                crc.update(&chunk);
            }
            if pool.len() < offers.len() * (FAN_DEPTH + 2) {
                pool.push(chunk);
            }
        }
        // A digest only of the whole stream: when every offer stopped reading before its
        // end (each failed, or already had the object), there is none, and none is needed.
        let summary = match (&source_error, hasher) {
            (None, Some((h, crc))) if complete => {
                let algorithm = h.algorithm();
                let size = h.len();
                Some(SourceSummary {
                    fixity: Fixity {
                        algorithm,
                        digest: h.finalize_hex(),
                        size,
                    },
                    crc32: crc.finalize(),
                })
            }
            _ => None,
        };
        if let Some(p) = &publisher {
            p.publish(match (&summary, &source_error) {
                (Some(s), _) => Ok(s.clone()),
                (None, Some(e)) => Err(Error::new(e.kind(), e.message().to_string())),
                (None, None) => Err(Error::internal(
                    "every offer stopped reading before the end of the stream",
                )),
            });
        }
        drop(txs);
        let results = handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::internal("offer writer thread panicked")))
            })
            .collect();
        drop(publisher);
        (source_error, summary, results)
    })
}

/// One offer's view of a fanned-out stream.
struct ChunkReader {
    rx: std::sync::mpsc::Receiver<Chunk>,
    cur: Option<Arc<Vec<u8>>>,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(c) = &self.cur
                && self.pos < c.len()
            {
                let n = out.len().min(c.len() - self.pos);
                out[..n].copy_from_slice(&c[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            self.cur = None;
            match self.rx.recv() {
                Ok(Ok(c)) => {
                    self.cur = Some(c);
                    self.pos = 0;
                }
                Ok(Err(msg)) => {
                    return Err(io::Error::other(format!("the source stream failed: {msg}")));
                }
                Err(_) => return Ok(0), // the source is done
            }
        }
    }
}
