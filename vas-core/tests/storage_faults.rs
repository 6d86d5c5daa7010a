//! Fault tests: corrupted, deleted and unreachable copies; audit finds each, repair fixes
//! each, and no read ever returns bytes whose digest does not match.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use vas_core::digest::DigestAlgorithm;
use vas_core::storage::{
    ByteRange, Capabilities, FilesystemOffer, Fixity, HEADER_LEN, ObjectKey, ObjectMeta,
    OfferStatus, Problem, PutOutcome, StorageOffer, StorageOfferExt, Strategy,
};
use vas_core::{Error, ErrorKind, Result};

/// Wraps an offer; can be switched off (every call → Unavailable) or made to fail a put
/// after `fail_put_after` bytes.
#[derive(Debug)]
struct Flaky {
    inner: Arc<dyn StorageOffer>,
    down: AtomicBool,
    fail_put_after: AtomicU64,
}

impl Flaky {
    fn new(inner: Arc<dyn StorageOffer>) -> Arc<Flaky> {
        Arc::new(Flaky {
            inner,
            down: AtomicBool::new(false),
            fail_put_after: AtomicU64::new(u64::MAX),
        })
    }
    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!("offer {} unreachable", self.id()),
            ));
        }
        Ok(())
    }
}

struct CutReader<'a> {
    inner: &'a mut dyn Read,
    left: u64,
}
impl Read for CutReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection lost mid-write",
            ));
        }
        let n = buf.len().min(self.left as usize);
        let n = self.inner.read(&mut buf[..n])?;
        self.left -= n as u64;
        Ok(n)
    }
}

impl StorageOffer for Flaky {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn put(&self, key: &ObjectKey, data: &mut dyn Read, expected: &Fixity) -> Result<PutOutcome> {
        self.check()?;
        let left = self.fail_put_after.load(Ordering::SeqCst);
        if left == u64::MAX {
            return self.inner.put(key, data, expected);
        }
        self.inner
            .put(key, &mut CutReader { inner: data, left }, expected)
    }
    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>> {
        self.check()?;
        self.inner.get(key, range)
    }
    fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        self.check()?;
        self.inner.head(key)
    }
    fn delete(&self, key: &ObjectKey) -> Result<bool> {
        self.check()?;
        self.inner.delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        self.check()?;
        self.inner.list(prefix)
    }
    fn status(&self) -> Result<OfferStatus> {
        self.check()?;
        self.inner.status()
    }
}

struct Setup {
    _dirs: Vec<tempfile::TempDir>,
    fs: Vec<Arc<FilesystemOffer>>,
    strategy: Strategy,
    objects: Vec<(ObjectKey, Fixity, Vec<u8>)>,
}

fn setup(n_offers: usize, n_objects: usize) -> Setup {
    let mut dirs = Vec::new();
    let mut fs = Vec::new();
    for i in 0..n_offers {
        let d = tempfile::tempdir().unwrap();
        fs.push(Arc::new(
            FilesystemOffer::open(format!("fs-{}", i + 1), d.path()).unwrap(),
        ));
        dirs.push(d);
    }
    let offers: Vec<Arc<dyn StorageOffer>> = fs.iter().map(|o| o.clone() as _).collect();
    let strategy = Strategy::new(offers, "fs-1").unwrap();
    let objects = put_objects(&strategy, n_objects);
    Setup {
        _dirs: dirs,
        fs,
        strategy,
        objects,
    }
}

fn put_objects(s: &Strategy, n: usize) -> Vec<(ObjectKey, Fixity, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let key = ObjectKey::new(format!("0_OBJECT/obj-{i:03}.bin")).unwrap();
            let data: Vec<u8> = (0..(1000 + i * 997)).map(|j| (j * 31 + i) as u8).collect();
            let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, &data);
            s.put(&key, &mut &data[..], &fx).unwrap();
            (key, fx, data)
        })
        .collect()
}

fn expected(objects: &[(ObjectKey, Fixity, Vec<u8>)]) -> Vec<(ObjectKey, Fixity)> {
    objects
        .iter()
        .map(|(k, f, _)| (k.clone(), f.clone()))
        .collect()
}

/// Flips one byte of the object's data in the offer's file (the recorded fixity stays).
fn corrupt_byte(offer: &FilesystemOffer, key: &ObjectKey, at: u64) {
    let p = offer.object_path(key);
    let mut raw = std::fs::read(&p).unwrap();
    raw[(HEADER_LEN + at) as usize] ^= 0x01;
    std::fs::write(&p, raw).unwrap();
}

#[test]
fn corrupt_and_missing_copies_are_found_and_repaired() {
    let s = setup(3, 12);
    let (k_c, fx_c, data_c) = s.objects[3].clone();
    let (k_m, _, data_m) = s.objects[7].clone();
    corrupt_byte(&s.fs[0], &k_c, 500); // on the referent, read first
    assert!(s.fs[2].delete(&k_m).unwrap());

    // Reads never return the corrupt bytes: fallback to the next offer.
    assert_eq!(s.strategy.get_bytes(&k_c, Some(&fx_c)).unwrap(), data_c);
    assert_eq!(s.strategy.get_bytes(&k_c, None).unwrap(), data_c);
    assert_eq!(s.strategy.get_bytes(&k_m, None).unwrap(), data_m);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("o.bin");
    let from = s.strategy.get_to_path(&k_c, None, &dest).unwrap();
    assert_eq!(from, "fs-2");
    assert_eq!(std::fs::read(&dest).unwrap(), data_c);
    // The plain streaming read from the referent fails at EOF, before the final bytes.
    let mut r = s.strategy.get(&k_c, Some(&fx_c)).unwrap();
    let mut got = Vec::new();
    let e = r.read_to_end(&mut got).unwrap_err();
    assert!(got.len() < data_c.len());
    assert_eq!(
        vas_core::storage::integrity_error_of(&e).unwrap().kind(),
        ErrorKind::Integrity
    );

    for report in [
        s.strategy.audit(Some(&expected(&s.objects)), true).unwrap(),
        s.strategy.audit(None, true).unwrap(),
    ] {
        assert_eq!(report.objects, 12);
        assert_eq!(report.copies_checked, 36);
        assert_eq!(report.copies_ok, 34);
        let c: Vec<_> = report.corrupt().collect();
        let m: Vec<_> = report.missing().collect();
        assert_eq!(
            (c.len(), m.len(), report.findings.len()),
            (1, 1, 2),
            "{report:#?}"
        );
        assert_eq!(
            (c[0].offer.as_str(), c[0].key.as_ref()),
            ("fs-1", Some(&k_c))
        );
        assert_eq!(
            (m[0].offer.as_str(), m[0].key.as_ref()),
            ("fs-3", Some(&k_m))
        );
    }
    // A shallow audit sees the missing copy but not the silent corruption.
    let shallow = s.strategy.audit(None, false).unwrap();
    assert_eq!(
        (shallow.missing().count(), shallow.corrupt().count()),
        (1, 0)
    );

    let report = s.strategy.audit(None, true).unwrap();
    let fixed = s.strategy.repair(&report).unwrap();
    assert!(fixed.all_repaired(), "{fixed:#?}");
    assert_eq!(fixed.repaired(), 2);
    let after = s.strategy.audit(Some(&expected(&s.objects)), true).unwrap();
    assert!(after.is_clean(), "{after:#?}");
    assert_eq!(s.fs[0].get_bytes(&k_c).unwrap(), data_c);
}

#[test]
fn tampered_recorded_fixity_is_corrupt() {
    let s = setup(2, 3);
    let (k, fx, _) = s.objects[1].clone();
    // Rewrite the header's digest (as if the metadata were damaged).
    let p = s.fs[1].object_path(&k);
    let raw = std::fs::read(&p).unwrap();
    let text = String::from_utf8_lossy(&raw[..HEADER_LEN as usize]).into_owned();
    let forged = text.replace(&fx.digest, &"0".repeat(fx.digest.len()));
    let mut out = forged.into_bytes();
    out.extend_from_slice(&raw[HEADER_LEN as usize..]);
    std::fs::write(&p, out).unwrap();
    let r = s.strategy.audit(None, false).unwrap();
    assert_eq!(r.corrupt().count(), 1);
    assert_eq!(r.corrupt().next().unwrap().offer, "fs-2");
    assert!(s.strategy.repair(&r).unwrap().all_repaired());
    assert!(s.strategy.audit(None, true).unwrap().is_clean());
}

#[test]
fn never_repairs_from_a_bad_copy() {
    let s = setup(2, 2);
    let (k, fx, data) = s.objects[0].clone();
    corrupt_byte(&s.fs[0], &k, 10);
    corrupt_byte(&s.fs[1], &k, 20);
    let report = s.strategy.audit(Some(&expected(&s.objects)), true).unwrap();
    assert_eq!(report.corrupt().count(), 2);
    let rep = s.strategy.repair(&report).unwrap();
    assert_eq!(rep.repaired(), 0);
    assert_eq!(rep.actions.len(), 2);
    // Nothing was rewritten: both copies still differ from the original in their own way.
    for (o, at) in [(&s.fs[0], 10usize), (&s.fs[1], 20)] {
        let raw = std::fs::read(o.object_path(&k)).unwrap();
        let body = &raw[HEADER_LEN as usize..];
        assert_eq!(body.len(), data.len());
        assert_ne!(body[at], data[at]);
    }
    // And no read hands out the bad bytes.
    let e = s.strategy.get_bytes(&k, Some(&fx)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("x");
    assert!(s.strategy.get_to_path(&k, None, &dest).is_err());
    assert!(!dest.exists());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn superfluous_copies_are_reported_not_removed() {
    let s = setup(2, 4);
    let stray = ObjectKey::new("stray/x").unwrap();
    s.fs[1].put_bytes(&stray, b"stray").unwrap();
    let r = s.strategy.audit(Some(&expected(&s.objects)), true).unwrap();
    let sup: Vec<_> = r.superfluous().collect();
    assert_eq!(sup.len(), 1);
    assert_eq!(sup[0].key.as_ref(), Some(&stray));
    s.strategy.repair(&r).unwrap();
    assert!(s.fs[1].exists(&stray).unwrap());
    // By listing, the stray object is expected everywhere: missing on fs-1, repaired.
    let r = s.strategy.audit(None, true).unwrap();
    assert_eq!(r.missing().count(), 1);
    assert!(s.strategy.repair(&r).unwrap().all_repaired());
    assert!(s.fs[0].exists(&stray).unwrap());
}

#[test]
fn unreachable_offer_mid_strategy() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let fs: Vec<Arc<FilesystemOffer>> = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| Arc::new(FilesystemOffer::open(format!("fs-{}", i + 1), d.path()).unwrap()))
        .collect();
    let flaky = Flaky::new(fs[1].clone());
    let offers: Vec<Arc<dyn StorageOffer>> = vec![fs[0].clone(), flaky.clone(), fs[2].clone()];
    let s = Strategy::new(offers, "fs-1").unwrap();
    let objects = put_objects(&s, 5);

    // The second offer dies in the middle of a write: the put fails, nothing is left.
    let key = ObjectKey::new("new/object").unwrap();
    let data = vec![7u8; 300_000];
    let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, &data);
    flaky.fail_put_after.store(100_000, Ordering::SeqCst);
    let e = s.put(&key, &mut &data[..], &fx).unwrap_err();
    assert!(e.message().contains("fs-2"), "{e}");
    assert!(e.message().contains("rolled back"), "{e}");
    for o in &fs {
        assert!(!o.exists(&key).unwrap(), "partial write left on {}", o.id());
    }
    flaky.fail_put_after.store(u64::MAX, Ordering::SeqCst);

    // Then it becomes unreachable: puts fail (rolled back), reads fall back, audit says so.
    flaky.down.store(true, Ordering::SeqCst);
    let e = s.put(&key, &mut &data[..], &fx).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(!fs[0].exists(&key).unwrap());
    // A copy missing on fs-3 while fs-2 is down.
    fs[2].delete(&objects[2].0).unwrap();
    corrupt_byte(&fs[0], &objects[4].0, 3);
    for (k, f, d) in &objects {
        assert_eq!(&s.get_bytes(k, Some(f)).unwrap(), d);
    }
    let r = s.audit(Some(&expected(&objects)), true).unwrap();
    assert_eq!(r.of(Problem::Unreachable).count(), 1, "{r:#?}");
    assert_eq!(r.missing().count(), 1);
    assert_eq!(r.corrupt().count(), 1);
    assert!(!r.is_clean());
    // Repair works with the remaining good copies (fs-1's corrupt copy from fs-3, fs-3's
    // missing copy from fs-1) …
    let rep = s.repair(&r).unwrap();
    assert!(rep.all_repaired(), "{rep:#?}");
    // … and once the offer is back, everything is clean.
    flaky.down.store(false, Ordering::SeqCst);
    let r = s.audit(Some(&expected(&objects)), true).unwrap();
    assert!(r.is_clean(), "{r:#?}");
    s.put(&key, &mut &data[..], &fx).unwrap();
    assert!(s.audit(None, true).unwrap().is_clean());
}

#[test]
fn strategy_put_is_idempotent_and_write_once() {
    let s = setup(2, 1);
    let (k, fx, data) = s.objects[0].clone();
    let again = s.strategy.put(&k, &mut &data[..], &fx).unwrap();
    assert!(
        again
            .outcomes
            .iter()
            .all(|(_, o)| *o == PutOutcome::AlreadyPresent)
    );
    let other = Fixity::of_bytes(DigestAlgorithm::Sha512, b"other");
    let e = s.strategy.put(&k, &mut &b"other"[..], &other).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    // A wrong declared digest is refused before anything is stored.
    let k2 = ObjectKey::new("k2").unwrap();
    let e = s.strategy.put(&k2, &mut &b"abc"[..], &other).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
    assert!(s.fs.iter().all(|o| !o.exists(&k2).unwrap()));
}
