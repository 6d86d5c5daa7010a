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
    Fixity, ObjectMeta, PutOutcome, StorageOffer, StorageOfferExt, VerifyingReader, stream_error,
};

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
    /// The stream is read once, into the referent; the other copies are then made from the
    /// referent through a verified read, and every offer checks the fixity again while
    /// writing. The put succeeds only when every offer holds the object with the expected
    /// fixity. On failure, copies *created by this call* are deleted (rolled back) and the
    /// error says which offers failed and whether the rollback left anything behind.
    pub fn put(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        expected: &Fixity,
    ) -> Result<PutReport> {
        let order = self.write_order();
        let mut done: Vec<(String, PutOutcome)> = Vec::new();
        let referent = order[0];
        match referent.put(key, data, expected) {
            Ok(o) => done.push((referent.id().to_string(), o)),
            Err(e) => return Err(e),
        }
        for offer in &order[1..] {
            let r = referent
                .get_verified(key, Some(expected))
                .and_then(|mut src| offer.put(key, &mut src, expected));
            match r {
                Ok(o) => done.push((offer.id().to_string(), o)),
                Err(e) => {
                    let rollback = self.rollback(key, &done);
                    return Err(Error::new(
                        e.kind(),
                        format!(
                            "put of {key} failed on offer {}: {}; {rollback}",
                            offer.id(),
                            e.message()
                        ),
                    )
                    .with_id(key.as_str().to_string()));
                }
            }
        }
        Ok(PutReport { outcomes: done })
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

    /// Writes a file to every offer; the fixity is computed first when `expected` is `None`
    /// (SHA-512), otherwise the file must match it.
    pub fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        expected: Option<&Fixity>,
    ) -> Result<PutReport> {
        let fx = match expected {
            Some(f) => f.clone(),
            None => Fixity::of_file(crate::digest::DigestAlgorithm::Sha512, path)?,
        };
        let mut f = std::fs::File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        self.put(key, &mut f, &fx).map_err(|e| e.or_path(path))
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
                    Err(e) => errors.push(format!("{}: {}", o.id(), e.message())),
                },
                Ok(Some(m)) => errors.push(format!("{}: records {}", o.id(), m.fixity)),
                Ok(None) => errors.push(format!("{}: missing", o.id())),
                Err(e) => errors.push(format!("{}: {}", o.id(), e.message())),
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
                Err(e) => errors.push(format!("{}: {}", o.id(), e.message())),
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

fn no_good_copy(key: &ObjectKey, errors: &[String]) -> Error {
    let all_missing = errors.iter().all(|e| e.ends_with(": missing"));
    Error::new(
        if all_missing {
            ErrorKind::NotFound
        } else {
            ErrorKind::Integrity
        },
        format!(
            "no offer returned a verified copy of {key} ({})",
            errors.join("; ")
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
    /// The object (`None` for an unreachable offer).
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
