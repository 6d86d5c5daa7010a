//! One hash for N offers: a strategy of several offers hashes the stream once and the
//! filesystem offers write it without hashing again
//! ([`StorageOffer::put_with_source_digest`]). What must still hold: every copy is the
//! declared bytes (re-read and re-hashed here, independently of the put path), a byte
//! corrupted on the way to one offer (fault injection) is caught by the CRC-32 that offer
//! computes over what it writes, a wrong declared digest or size is refused, and on every
//! refusal no copy and no temporary file is left on any offer.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use vas_core::digest::DigestAlgorithm;
use vas_core::storage::conformance::PatternReader;
use vas_core::storage::{
    ByteRange, Capabilities, Declared, FilesystemOffer, Fixity, ObjectKey, ObjectMeta, OfferStatus,
    PutOutcome, SourceDigest, SourceSummary, StorageOffer, StorageOfferExt, Strategy,
};
use vas_core::{ErrorKind, Result};

fn fixity_of(seed: u64, len: u64) -> Fixity {
    Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(seed, len)).unwrap()
}

fn tmp_is_empty(o: &FilesystemOffer) -> bool {
    std::fs::read_dir(o.root().join("tmp")).unwrap().count() == 0
}

/// Flips one byte of the stream at offset `at` (`u64::MAX`: never).
struct FlipReader<'a> {
    inner: &'a mut dyn Read,
    pos: u64,
    at: u64,
}

impl Read for FlipReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let end = self.pos + n as u64;
        if self.at >= self.pos && self.at < end {
            buf[(self.at - self.pos) as usize] ^= 0x20;
        }
        self.pos = end;
        Ok(n)
    }
}

/// A filesystem offer whose write path corrupts byte `flip_at` of what it receives (a bad
/// buffer, a faulty copy), for puts of either kind; counts which put method the strategy
/// called.
#[derive(Debug)]
struct Corrupting {
    inner: Arc<FilesystemOffer>,
    flip_at: AtomicU64,
    plain_puts: AtomicUsize,
    source_puts: AtomicUsize,
}

impl Corrupting {
    fn new(inner: Arc<FilesystemOffer>) -> Arc<Corrupting> {
        Arc::new(Corrupting {
            inner,
            flip_at: AtomicU64::new(u64::MAX),
            plain_puts: AtomicUsize::new(0),
            source_puts: AtomicUsize::new(0),
        })
    }
    fn reader<'a>(&self, data: &'a mut dyn Read) -> FlipReader<'a> {
        FlipReader {
            inner: data,
            pos: 0,
            at: self.flip_at.load(Ordering::SeqCst),
        }
    }
}

impl StorageOffer for Corrupting {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn put(&self, key: &ObjectKey, data: &mut dyn Read, expected: &Fixity) -> Result<PutOutcome> {
        self.plain_puts.fetch_add(1, Ordering::SeqCst);
        self.inner.put(key, &mut self.reader(data), expected)
    }
    fn put_with_source_digest(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        declared: Declared<'_>,
        source: &SourceDigest,
    ) -> Result<(PutOutcome, Fixity)> {
        self.source_puts.fetch_add(1, Ordering::SeqCst);
        self.inner
            .put_with_source_digest(key, &mut self.reader(data), declared, source)
    }
    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>> {
        self.inner.get(key, range)
    }
    fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        self.inner.head(key)
    }
    fn delete(&self, key: &ObjectKey) -> Result<bool> {
        self.inner.delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        self.inner.list(prefix)
    }
    fn status(&self) -> Result<OfferStatus> {
        self.inner.status()
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    a: Arc<FilesystemOffer>,
    b: Arc<FilesystemOffer>,
    bad: Arc<Corrupting>,
    s: Strategy,
}

/// fs-a and fs-b (behind the corrupting wrapper), fs-a the referent.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let a = Arc::new(FilesystemOffer::open("fs-a", dir.path().join("a")).unwrap());
    let b = Arc::new(FilesystemOffer::open("fs-b", dir.path().join("b")).unwrap());
    let bad = Corrupting::new(b.clone());
    let s = Strategy::new(vec![a.clone(), bad.clone()], "fs-a").unwrap();
    Setup {
        _dir: dir,
        a,
        b,
        bad,
        s,
    }
}

fn nothing_left(st: &Setup, k: &ObjectKey) {
    for o in [&st.a, &st.b] {
        assert!(
            o.head(k).unwrap().is_none(),
            "a copy was left on {}",
            o.id()
        );
        assert!(tmp_is_empty(o), "a temporary file was left on {}", o.id());
    }
}

#[test]
fn several_offers_use_the_callers_hash_and_every_copy_verifies() {
    let st = setup();
    // Small (one chunk), exactly one fan-out chunk, and large (several chunks, past the
    // offer's write-back window) objects, declared and computed.
    for (i, len) in [0u64, 1, 4 << 20, (37 << 20) + 5].into_iter().enumerate() {
        let seed = i as u64;
        let k = ObjectKey::new(format!("declared/{i}")).unwrap();
        let fx = fixity_of(seed, len);
        let rep =
            st.s.put(&k, &mut PatternReader::new(seed, len), &fx)
                .unwrap();
        assert!(rep.outcomes.iter().all(|(_, o)| *o == PutOutcome::Created));
        let k2 = ObjectKey::new(format!("computed/{i}")).unwrap();
        let (_, got) =
            st.s.put_hashing(
                &k2,
                &mut PatternReader::new(seed, len),
                len,
                DigestAlgorithm::Sha512,
            )
            .unwrap();
        assert_eq!(got, fx, "the fixity computed once is the stream's");
        for o in [&st.a, &st.b] {
            // Re-read and re-hashed: the oracle is independent of the put path.
            assert_eq!(o.verify(&k, Some(&fx)).unwrap(), fx);
            assert_eq!(o.verify(&k2, Some(&fx)).unwrap(), fx);
            assert_eq!(o.head(&k2).unwrap().unwrap().fixity, fx);
        }
    }
    // The strategy called the offer's source-digest put, never its hashing put.
    assert_eq!(st.bad.plain_puts.load(Ordering::SeqCst), 0);
    assert_eq!(st.bad.source_puts.load(Ordering::SeqCst), 8);
    assert!(tmp_is_empty(&st.a) && tmp_is_empty(&st.b));
    // Again: idempotent, for both kinds of put (the existing copies are kept).
    let fx = fixity_of(3, (37 << 20) + 5);
    let k = ObjectKey::new("declared/3").unwrap();
    let rep =
        st.s.put(&k, &mut PatternReader::new(3, (37 << 20) + 5), &fx)
            .unwrap();
    assert!(
        rep.outcomes
            .iter()
            .all(|(_, o)| *o == PutOutcome::AlreadyPresent)
    );
    let k2 = ObjectKey::new("computed/3").unwrap();
    let (rep, got) =
        st.s.put_hashing(
            &k2,
            &mut PatternReader::new(3, (37 << 20) + 5),
            (37 << 20) + 5,
            DigestAlgorithm::Sha512,
        )
        .unwrap();
    assert_eq!(got, fx);
    assert!(
        rep.outcomes
            .iter()
            .all(|(_, o)| *o == PutOutcome::AlreadyPresent)
    );
    // Other content under an existing key: write-once, for the computed put too.
    let e =
        st.s.put_hashing(
            &k2,
            &mut PatternReader::new(9, (37 << 20) + 5),
            (37 << 20) + 5,
            DigestAlgorithm::Sha512,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
}

#[test]
fn a_byte_corrupted_on_the_way_to_one_offer_is_caught_and_every_copy_rolled_back() {
    let st = setup();
    let len = (21 << 20) + 3;
    for (i, at) in [0u64, 1 << 20, len - 1].into_iter().enumerate() {
        st.bad.flip_at.store(at, Ordering::SeqCst);
        let k = ObjectKey::new(format!("k{i}")).unwrap();
        let fx = fixity_of(1, len);
        let e =
            st.s.put(&k, &mut PatternReader::new(1, len), &fx)
                .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
        assert!(e.message().contains("fs-b"), "{e}");
        assert!(e.message().contains("CRC-32"), "{e}");
        nothing_left(&st, &k);
        // The same with a computed fixity.
        let e =
            st.s.put_hashing(
                &k,
                &mut PatternReader::new(1, len),
                len,
                DigestAlgorithm::Sha512,
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
        assert!(e.message().contains("CRC-32"), "{e}");
        nothing_left(&st, &k);
    }
    // A small object (one read, one chunk) too.
    st.bad.flip_at.store(2, Ordering::SeqCst);
    let k = ObjectKey::new("small").unwrap();
    let e =
        st.s.put(
            &k,
            &mut &b"0123456789"[..],
            &Fixity::of_bytes(DigestAlgorithm::Sha512, b"0123456789"),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    nothing_left(&st, &k);
    // Without the fault, the same puts succeed.
    st.bad.flip_at.store(u64::MAX, Ordering::SeqCst);
    let fx = fixity_of(1, len);
    st.s.put(&k, &mut PatternReader::new(1, len), &fx).unwrap();
    assert_eq!(st.b.verify(&k, Some(&fx)).unwrap(), fx);
}

#[test]
fn wrong_declared_digest_or_size_is_refused_with_no_copy_left() {
    let st = setup();
    let len = 9 << 20;
    let k = ObjectKey::new("k").unwrap();
    // Same size, other digest.
    let e =
        st.s.put(&k, &mut PatternReader::new(1, len), &fixity_of(2, len))
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    nothing_left(&st, &k);
    // Streams shorter and longer than declared, both kinds of put.
    for (actual, declared) in [(len - 1, len), (len + 1, len), (10, 11), (11, 10)] {
        let fx = Fixity {
            size: declared,
            ..fixity_of(1, actual)
        };
        let e =
            st.s.put(&k, &mut PatternReader::new(1, actual), &fx)
                .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Integrity,
            "{actual} vs {declared}: {e}"
        );
        nothing_left(&st, &k);
        let e =
            st.s.put_hashing(
                &k,
                &mut PatternReader::new(1, actual),
                declared,
                DigestAlgorithm::Sha512,
            )
            .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Integrity,
            "{actual} vs {declared}: {e}"
        );
        nothing_left(&st, &k);
    }
}

#[test]
fn the_filesystem_offer_commits_only_what_the_callers_summary_confirms() {
    let dir = tempfile::tempdir().unwrap();
    let o = FilesystemOffer::open("fs", dir.path()).unwrap();
    let data = vec![7u8; 5 << 20];
    let good = SourceSummary::of_bytes(DigestAlgorithm::Sha512, &data);
    let k = ObjectKey::new("k").unwrap();
    // A summary whose CRC-32 disagrees with the bytes: refused.
    let cell = SourceDigest::new();
    cell.publish(Ok(SourceSummary {
        crc32: good.crc32 ^ 1,
        ..good.clone()
    }));
    let e = o
        .put_with_source_digest(&k, &mut &data[..], Declared::Known(&good.fixity), &cell)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    // A summary whose digest is not the declared one: refused.
    let other = Fixity::of_bytes(DigestAlgorithm::Sha512, b"other");
    let cell = SourceDigest::new();
    cell.publish(Ok(good.clone()));
    let declared = Fixity {
        size: good.fixity.size,
        ..other
    };
    let e = o
        .put_with_source_digest(&k, &mut &data[..], Declared::Known(&declared), &cell)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    // A caller that stops without publishing: refused, not a hang.
    let cell = SourceDigest::new();
    drop(cell.publisher());
    let e = o
        .put_with_source_digest(
            &k,
            &mut &data[..],
            Declared::Computed {
                algorithm: DigestAlgorithm::Sha512,
                size: data.len() as u64,
            },
            &cell,
        )
        .unwrap_err();
    assert!(e.message().contains("without publishing"), "{e}");
    assert!(o.head(&k).unwrap().is_none() && tmp_is_empty(&o));
    // The summary published by another thread after the bytes were written: committed,
    // with the caller's digest recorded in the header.
    let cell = SourceDigest::new();
    let publisher = cell.publisher();
    let (out, fx) = std::thread::scope(|s| {
        let w = s.spawn(|| {
            o.put_with_source_digest(
                &k,
                &mut &data[..],
                Declared::Computed {
                    algorithm: DigestAlgorithm::Sha512,
                    size: data.len() as u64,
                },
                &cell,
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        publisher.publish(Ok(good.clone()));
        w.join().unwrap().unwrap()
    });
    assert_eq!(out, PutOutcome::Created);
    assert_eq!(fx, good.fixity);
    let reopened = FilesystemOffer::open("fs", dir.path()).unwrap();
    assert_eq!(reopened.verify(&k, None).unwrap(), good.fixity);
    assert!(tmp_is_empty(&o));
}
