//! The conformance suite every [`StorageOffer`] must pass.
//!
//! [`run`] exercises put/get/head/delete/list, write-once semantics, refusal of digest and
//! size mismatches, ranged reads, a large object streamed from a generator (never held in
//! memory by the suite), concurrent writers, Unicode keys, empty objects and batch puts
//! ([`StorageOffer::put_batch`]: all-or-nothing on a bad digest or a write-once conflict,
//! idempotent, duplicate keys in one batch). Each check
//! works under a fresh prefix and deletes what it wrote. A failed check returns an
//! [`ErrorKind::Internal`] error naming the check.
//!
//! ```
//! use vas_core::storage::{MemoryOffer, conformance};
//!
//! let opts = conformance::Options { large_object_size: 4 << 20, ..Default::default() };
//! let passed = conformance::run_with(&MemoryOffer::new("mem"), &opts).unwrap();
//! assert!(passed.contains(&"write_once"));
//! ```

use std::io::{self, Read};

use crate::digest::DigestAlgorithm;
use crate::error::{Error, ErrorKind, Result};

use super::key::ObjectKey;
use super::offer::{BatchObject, ByteRange, Fixity, PutOutcome, StorageOffer, StorageOfferExt};

/// Tunables of the suite.
#[derive(Debug, Clone)]
pub struct Options {
    /// Size of the large-object check, in bytes (default 101 MiB, above 100 MiB).
    pub large_object_size: u64,
    /// Number of concurrent writer threads.
    pub writers: usize,
    /// A prefix under which everything is written (a unique one is added below it).
    pub prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            large_object_size: 101 * 1024 * 1024,
            writers: 8,
            prefix: "vas-conformance".into(),
        }
    }
}

/// A deterministic pseudo-random byte stream of a given length, generated on the fly
/// (xorshift64*): large test objects without allocating them.
///
/// ```
/// use std::io::Read;
/// use vas_core::storage::conformance::PatternReader;
///
/// let mut a = Vec::new();
/// PatternReader::new(7, 1000).read_to_end(&mut a).unwrap();
/// let mut b = Vec::new();
/// PatternReader::new(7, 1000).read_to_end(&mut b).unwrap();
/// assert_eq!((a.len(), a == b), (1000, true));
/// ```
#[derive(Debug, Clone)]
pub struct PatternReader {
    state: u64,
    remaining: u64,
}

impl PatternReader {
    /// `len` bytes derived from `seed`.
    pub fn new(seed: u64, len: u64) -> PatternReader {
        PatternReader {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            remaining: len,
        }
    }
}

impl Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state >> 12;
            self.state ^= self.state << 25;
            self.state ^= self.state >> 27;
            let v = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn fail(check: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!("conformance check `{check}` failed: {msg}"),
    )
}

fn ensure(check: &str, cond: bool, msg: impl std::fmt::Display) -> Result<()> {
    if cond { Ok(()) } else { Err(fail(check, msg)) }
}

fn expect_kind<T: std::fmt::Debug>(check: &str, r: Result<T>, kind: ErrorKind) -> Result<()> {
    match r {
        Err(e) if e.kind() == kind => Ok(()),
        Err(e) => Err(fail(
            check,
            format!("expected {kind}, got {} ({e})", e.kind()),
        )),
        Ok(v) => Err(fail(check, format!("expected {kind}, got Ok({v:?})"))),
    }
}

fn key(base: &str, name: &str) -> Result<ObjectKey> {
    ObjectKey::new(format!("{base}/{name}"))
}

/// Runs the suite with default [`Options`]; returns the names of the checks passed.
pub fn run(offer: &dyn StorageOffer) -> Result<Vec<&'static str>> {
    run_with(offer, &Options::default())
}

/// Runs the suite; returns the names of the checks passed.
pub fn run_with(offer: &dyn StorageOffer, opts: &Options) -> Result<Vec<&'static str>> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let base = format!("{}/{}-{nanos}", opts.prefix, std::process::id());
    let checks: [(&'static str, CheckFn); 10] = [
        ("basic", basic),
        ("missing", missing),
        ("write_once", write_once),
        ("digest_mismatch_refused", mismatch),
        ("ranged_reads", ranges),
        ("empty_object", empty),
        ("unicode_keys", unicode),
        ("concurrent_writers", concurrent),
        ("large_object", large),
        ("batch_put", batch),
    ];
    let mut passed = Vec::new();
    for (name, f) in checks {
        let b = format!("{base}/{name}");
        f(offer, &b, opts)?;
        // Everything under the check's prefix must be deletable and then gone.
        for m in offer.list(&format!("{b}/"))? {
            offer.delete(&m.key)?;
        }
        ensure(
            name,
            offer.list(&format!("{b}/"))?.is_empty(),
            "objects left after cleanup",
        )?;
        passed.push(name);
    }
    Ok(passed)
}

type CheckFn = fn(&dyn StorageOffer, &str, &Options) -> Result<()>;

fn basic(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "basic";
    let k1 = key(b, "a/one.txt")?;
    let k2 = key(b, "a/two.txt")?;
    let k3 = key(b, "b/three.txt")?;
    for (k, d) in [(&k1, &b"one"[..]), (&k2, b"two two"), (&k3, b"three")] {
        let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, d);
        let r = o.put(k, &mut &d[..], &fx)?;
        ensure(C, r == PutOutcome::Created, format!("put {k}: {r:?}"))?;
    }
    ensure(
        C,
        o.get_bytes(&k2)? == b"two two",
        "get returned other bytes",
    )?;
    let h = o.head(&k2)?.ok_or_else(|| fail(C, "head: absent"))?;
    ensure(
        C,
        h.fixity == Fixity::of_bytes(DigestAlgorithm::Sha512, b"two two") && h.key == k2,
        format!("head: {h:?}"),
    )?;
    let all: Vec<_> = o
        .list(&format!("{b}/"))?
        .into_iter()
        .map(|m| m.key)
        .collect();
    ensure(
        C,
        all == vec![k1.clone(), k2.clone(), k3.clone()],
        format!("list: {all:?}"),
    )?;
    let a: Vec<_> = o
        .list(&format!("{b}/a/"))?
        .into_iter()
        .map(|m| m.key)
        .collect();
    ensure(
        C,
        a == vec![k1.clone(), k2.clone()],
        format!("list by prefix: {a:?}"),
    )?;
    ensure(C, o.delete(&k1)?, "delete returned false")?;
    ensure(C, o.head(&k1)?.is_none(), "deleted object still visible")?;
    ensure(C, !o.delete(&k1)?, "second delete returned true")?;
    // After delete, the key can be written again (delete is how repair replaces copies).
    o.put_bytes(&k1, b"one again")?;
    ensure(C, o.get_bytes(&k1)? == b"one again", "rewrite after delete")?;
    // A different algorithm is recorded as given.
    let k4 = key(b, "md5.bin")?;
    let fx = Fixity::of_bytes(DigestAlgorithm::Md5, b"x");
    o.put(&k4, &mut &b"x"[..], &fx)?;
    ensure(
        C,
        o.head_required(&k4)?.fixity == fx,
        "MD5 fixity not recorded",
    )?;
    ensure(C, o.status()?.available, "status: not available")?;
    Ok(())
}

fn missing(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "missing";
    let k = key(b, "nothing")?;
    ensure(C, o.head(&k)?.is_none(), "head of a missing key")?;
    expect_kind(C, o.get(&k, None).map(|_| ()), ErrorKind::NotFound)?;
    ensure(C, !o.delete(&k)?, "delete of a missing key returned true")?;
    ensure(C, o.list(&format!("{b}/"))?.is_empty(), "list not empty")
}

fn write_once(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "write_once";
    let k = key(b, "w")?;
    ensure(
        C,
        o.put_bytes(&k, b"first")? == PutOutcome::Created,
        "first put",
    )?;
    let again = o.put_bytes(&k, b"first")?;
    ensure(
        C,
        again == PutOutcome::AlreadyPresent,
        format!("same content: {again:?}"),
    )?;
    expect_kind(C, o.put_bytes(&k, b"second"), ErrorKind::Conflict)?;
    // Declared with another algorithm: the stored bytes are compared. Same content is
    // idempotent, other content (same size) a conflict — never an overwrite.
    let fx = Fixity::of_bytes(DigestAlgorithm::Sha256, b"first");
    let again = o.put(&k, &mut &b"first"[..], &fx)?;
    ensure(
        C,
        again == PutOutcome::AlreadyPresent,
        format!("same content, SHA-256: {again:?}"),
    )?;
    let fx = Fixity::of_bytes(DigestAlgorithm::Sha256, b"other");
    expect_kind(C, o.put(&k, &mut &b"other"[..], &fx), ErrorKind::Conflict)?;
    ensure(
        C,
        o.verify(&k, Some(&fx)).is_err(),
        "verify against other content",
    )?;
    o.verify(&k, Some(&Fixity::of_bytes(DigestAlgorithm::Md5, b"first")))?;
    ensure(
        C,
        o.get_bytes(&k)? == b"first",
        "content changed by a refused put",
    )?;
    Ok(())
}

fn mismatch(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "digest_mismatch_refused";
    let k = key(b, "m")?;
    let good = Fixity::of_bytes(DigestAlgorithm::Sha512, b"payload");
    // Wrong digest.
    let mut bad = Fixity::of_bytes(DigestAlgorithm::Sha512, b"PAYLOAD");
    bad.size = 7;
    expect_kind(
        C,
        o.put(&k, &mut &b"payload"[..], &bad),
        ErrorKind::Integrity,
    )?;
    ensure(
        C,
        o.head(&k)?.is_none(),
        "object visible after a refused put",
    )?;
    // Wrong size (stream shorter, then longer than declared).
    let mut short = good.clone();
    short.size = 6;
    expect_kind(
        C,
        o.put(&k, &mut &b"payload"[..], &short),
        ErrorKind::Integrity,
    )?;
    expect_kind(
        C,
        o.put(&k, &mut &b"payloa"[..], &good),
        ErrorKind::Integrity,
    )?;
    expect_kind(
        C,
        o.put(&k, &mut &b"payload!"[..], &good),
        ErrorKind::Integrity,
    )?;
    ensure(
        C,
        o.head(&k)?.is_none(),
        "object visible after a refused put",
    )?;
    ensure(
        C,
        o.list(&format!("{b}/"))?.is_empty(),
        "listed after refused puts",
    )?;
    // A failing stream commits nothing either.
    struct Failing(u32);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("source failed"));
            }
            self.0 -= 1;
            buf[0] = b'x';
            Ok(1)
        }
    }
    let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, b"xxxx");
    ensure(
        C,
        o.put(&k, &mut Failing(2), &fx).is_err(),
        "failing source accepted",
    )?;
    ensure(
        C,
        o.head(&k)?.is_none(),
        "object visible after a failing source",
    )?;
    // And the right one is accepted afterwards.
    o.put(&k, &mut &b"payload"[..], &good)?;
    Ok(())
}

fn ranges(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "ranged_reads";
    let k = key(b, "r")?;
    let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    o.put_bytes(&k, &data)?;
    for (start, len) in [
        (0u64, 1u64),
        (1, 10),
        (255, 300),
        (9_990, 10),
        (9_995, 100),
        (10_000, 5),
        (0, 10_000),
    ] {
        let got = o.get_range_bytes(&k, start, len)?;
        let end = (start + len).min(10_000) as usize;
        ensure(
            C,
            got == data[start as usize..end],
            format!("range {start}+{len}: {} bytes", got.len()),
        )?;
    }
    let mut tail = Vec::new();
    o.get(
        &k,
        Some(ByteRange {
            start: 9_000,
            len: None,
        }),
    )?
    .read_to_end(&mut tail)?;
    ensure(C, tail == data[9_000..], "open-ended range")?;
    expect_kind(
        C,
        o.get(
            &k,
            Some(ByteRange {
                start: 10_001,
                len: Some(1),
            }),
        )
        .map(|_| ()),
        ErrorKind::InvalidInput,
    )
}

fn empty(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "empty_object";
    let k = key(b, "empty")?;
    o.put_bytes(&k, b"")?;
    ensure(C, o.get_bytes(&k)?.is_empty(), "non-empty read")?;
    ensure(C, o.head_required(&k)?.fixity.size == 0, "size")?;
    Ok(())
}

fn unicode(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "unicode_keys";
    let names = [
        "été/résumé.pdf",
        "日本語/ファイル.txt",
        "файл с пробелами.bin",
        "emoji 🦀+=&?#%.bin",
        "e\u{301}té (decomposed).txt",
        "quote\"d 'name' <&>.txt",
    ];
    for (i, n) in names.iter().enumerate() {
        let k = key(b, n)?;
        o.put_bytes(&k, format!("content {i}").as_bytes())?;
    }
    for (i, n) in names.iter().enumerate() {
        let k = key(b, n)?;
        ensure(
            C,
            o.get_bytes(&k)? == format!("content {i}").as_bytes(),
            format!("{n}: wrong content"),
        )?;
    }
    ensure(
        C,
        o.list(&format!("{b}/"))?.len() == names.len(),
        "list count",
    )?;
    let jp = o.list(&format!("{b}/日本語/"))?;
    ensure(
        C,
        jp.len() == 1 && jp[0].key.as_str().ends_with("ファイル.txt"),
        "unicode prefix",
    )
}

fn concurrent(o: &dyn StorageOffer, b: &str, opts: &Options) -> Result<()> {
    const C: &str = "concurrent_writers";
    let n = opts.writers.max(2);
    let shared = key(b, "shared")?;
    let shared_data = vec![42u8; 256 * 1024];
    let results: Vec<Result<(PutOutcome, PutOutcome)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let shared = &shared;
                let shared_data = &shared_data;
                s.spawn(move || -> Result<(PutOutcome, PutOutcome)> {
                    let own = key(b, &format!("own-{i}"))?;
                    let fx = Fixity::of_reader(
                        DigestAlgorithm::Sha512,
                        PatternReader::new(i as u64, 300_000),
                    )?;
                    let a = o.put(&own, &mut PatternReader::new(i as u64, 300_000), &fx)?;
                    let c = o.put_bytes(shared, shared_data)?;
                    Ok((a, c))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(fail(C, "writer thread panicked")))
            })
            .collect()
    });
    let mut created = 0;
    for r in results {
        let (own, sh) = r?;
        ensure(C, own == PutOutcome::Created, "own key not created")?;
        created += usize::from(sh == PutOutcome::Created);
    }
    ensure(C, created >= 1, "shared key never created")?;
    ensure(C, o.get_bytes(&shared)? == shared_data, "shared content")?;
    for i in 0..n {
        let k = key(b, &format!("own-{i}"))?;
        let fx = Fixity::of_reader(
            DigestAlgorithm::Sha512,
            PatternReader::new(i as u64, 300_000),
        )?;
        o.verify(&k, Some(&fx))?;
    }
    ensure(C, o.list(&format!("{b}/"))?.len() == n + 1, "list count")
}

fn large(o: &dyn StorageOffer, b: &str, opts: &Options) -> Result<()> {
    const C: &str = "large_object";
    let size = opts.large_object_size;
    let k = key(b, "large.bin")?;
    let fx = Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(99, size))?;
    ensure(C, fx.size == size, "generator size")?;
    o.put(&k, &mut PatternReader::new(99, size), &fx)?;
    ensure(C, o.head_required(&k)?.fixity == fx, "recorded fixity")?;
    // Streamed verified read (not collected): the verifying reader fails on any difference.
    let mut r = o.get_verified(&k, Some(&fx))?;
    let n = io::copy(&mut r, &mut io::sink()).map_err(super::offer::stream_error)?;
    ensure(
        C,
        n == size && r.is_verified(),
        "streamed read not verified",
    )?;
    // A range near the end.
    let tail_len = size.min(1000);
    let mut expect = Vec::new();
    let mut g = PatternReader::new(99, size);
    io::copy(&mut (&mut g).take(size - tail_len), &mut io::sink())?;
    g.read_to_end(&mut expect)?;
    let tail = o.get_range_bytes(&k, size - tail_len, tail_len)?;
    ensure(C, tail == expect, "tail range")?;
    Ok(())
}

fn batch(o: &dyn StorageOffer, b: &str, _: &Options) -> Result<()> {
    const C: &str = "batch_put";
    let n = 40usize;
    let keys: Vec<ObjectKey> = (0..n)
        .map(|i| key(b, &format!("b/{i:03}")))
        .collect::<Result<_>>()?;
    // Sizes around the interesting boundaries, one empty object.
    let data: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let len = [0usize, 1, 127, 128, 4095, 4096, 4097, 70_000][i % 8] + i;
            let mut v = Vec::new();
            PatternReader::new(i as u64 + 11, len as u64)
                .read_to_end(&mut v)
                .map(|_| v)
        })
        .collect::<io::Result<_>>()?;
    let fx: Vec<Fixity> = data
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let alg = if i % 5 == 4 {
                DigestAlgorithm::Sha256
            } else {
                DigestAlgorithm::Sha512
            };
            Fixity::of_bytes(alg, d)
        })
        .collect();
    let batch: Vec<BatchObject<'_>> = (0..n)
        .map(|i| BatchObject::new(&keys[i], &data[i], &fx[i]))
        .collect();
    let out = o.put_batch(&batch)?;
    ensure(
        C,
        out.len() == n && out.iter().all(|x| *x == PutOutcome::Created),
        format!("first batch: {out:?}"),
    )?;
    for i in 0..n {
        let got = o.get_bytes(&keys[i])?;
        ensure(C, got == data[i], format!("{} read back differs", keys[i]))?;
        let m = o.head_required(&keys[i])?;
        ensure(
            C,
            m.fixity == fx[i],
            format!("{} recorded {}", keys[i], m.fixity),
        )?;
    }
    // The same batch again: idempotent.
    let out = o.put_batch(&batch)?;
    ensure(
        C,
        out.iter().all(|x| *x == PutOutcome::AlreadyPresent),
        format!("second batch: {out:?}"),
    )?;
    // New keys plus one wrong digest in the middle: refused, naming that key, and no
    // new key of the batch visible.
    let fresh: Vec<ObjectKey> = (0..6)
        .map(|i| key(b, &format!("c/{i}")))
        .collect::<Result<_>>()?;
    let wrong = Fixity::of_bytes(DigestAlgorithm::Sha512, b"not these bytes");
    let mut bad: Vec<BatchObject<'_>> = (0..6)
        .map(|i| BatchObject::new(&fresh[i], &data[i + 8], &fx[i + 8]))
        .collect();
    bad[3] = BatchObject::new(&fresh[3], &data[11], &wrong);
    let e = o.put_batch(&bad);
    let id = e.as_ref().err().and_then(|e| e.context().id.clone());
    expect_kind(C, e, ErrorKind::Integrity)?;
    ensure(
        C,
        id.as_deref() == Some(fresh[3].as_str()),
        format!("the error names {id:?}, not {}", fresh[3]),
    )?;
    for k in &fresh {
        ensure(
            C,
            o.head(k)?.is_none(),
            format!("{k} visible after a refused batch"),
        )?;
    }
    // A size mismatch: refused too.
    let short = Fixity {
        size: fx[9].size + 1,
        ..fx[9].clone()
    };
    bad[3] = BatchObject::new(&fresh[3], &data[9], &short);
    expect_kind(C, o.put_batch(&bad), ErrorKind::Integrity)?;
    // A write-once conflict on an existing key: refused, nothing new visible, the
    // existing object unchanged.
    let other = Fixity::of_bytes(DigestAlgorithm::Sha512, &data[12]);
    bad[3] = BatchObject::new(&keys[7], &data[12], &other);
    let e = o.put_batch(&bad);
    let id = e.as_ref().err().and_then(|e| e.context().id.clone());
    expect_kind(C, e, ErrorKind::Conflict)?;
    ensure(
        C,
        id.as_deref() == Some(keys[7].as_str()),
        format!("the conflict names {id:?}"),
    )?;
    for (i, k) in fresh.iter().enumerate() {
        ensure(
            C,
            i == 3 || o.head(k)?.is_none(),
            format!("{k} visible after a refused batch"),
        )?;
    }
    ensure(
        C,
        o.get_bytes(&keys[7])? == data[7],
        "existing object changed",
    )?;
    // The same key twice in one batch, same content: created once, then already present.
    let dup = [
        BatchObject::new(&fresh[0], &data[1], &fx[1]),
        BatchObject::new(&fresh[0], &data[1], &fx[1]),
    ];
    let out = o.put_batch(&dup)?;
    ensure(
        C,
        out == [PutOutcome::Created, PutOutcome::AlreadyPresent],
        format!("duplicate keys: {out:?}"),
    )?;
    ensure(
        C,
        o.get_bytes(&fresh[0])? == data[1],
        "duplicate key content",
    )?;
    // An empty batch does nothing.
    ensure(C, o.put_batch(&[])?.is_empty(), "empty batch")?;
    Ok(())
}
