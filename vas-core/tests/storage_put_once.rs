//! Puts that read and hash the source once: `put_hashing` (the fixity computed while
//! writing), and strategy puts that write every copy concurrently from one read of the
//! stream. Oracles: the digest computed independently of the put path, `sha512sum` for
//! the command line, and the bytes read back from every copy.

use std::io::{self, Read};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use vas_core::ErrorKind;
use vas_core::digest::DigestAlgorithm;
use vas_core::storage::conformance::PatternReader;
use vas_core::storage::{
    FilesystemOffer, Fixity, HEADER_LEN, MemoryOffer, ObjectKey, PutOutcome, StorageOffer,
    StorageOfferExt, Strategy,
};

/// Counts the bytes handed out, and can fail after `fail_after` bytes.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
    fail_after: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let done = self.read.load(Ordering::SeqCst);
        if done >= self.fail_after {
            return Err(io::Error::other("source disk failed"));
        }
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

fn counting(seed: u64, len: u64, fail_after: u64) -> (Counting<PatternReader>, Arc<AtomicU64>) {
    let read = Arc::new(AtomicU64::new(0));
    (
        Counting {
            inner: PatternReader::new(seed, len),
            read: read.clone(),
            fail_after,
        },
        read,
    )
}

fn fixity_of(seed: u64, len: u64) -> Fixity {
    Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(seed, len)).unwrap()
}

fn two_fs(dir: &Path) -> (Arc<FilesystemOffer>, Arc<FilesystemOffer>, Strategy) {
    let a = Arc::new(FilesystemOffer::open("fs-a", dir.join("a")).unwrap());
    let b = Arc::new(FilesystemOffer::open("fs-b", dir.join("b")).unwrap());
    let s = Strategy::new(vec![a.clone(), b.clone()], "fs-a").unwrap();
    (a, b, s)
}

fn tmp_is_empty(o: &FilesystemOffer) -> bool {
    std::fs::read_dir(o.root().join("tmp")).unwrap().count() == 0
}

#[test]
fn filesystem_put_hashing_records_the_digest_of_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let o = FilesystemOffer::open("fs", dir.path()).unwrap();
    // Small (one thread) and large (two threads, past the write-back window) objects.
    for (i, len) in [0u64, 1, 4096, 5 << 20, 40 << 20].into_iter().enumerate() {
        let k = ObjectKey::new(format!("obj/{i}")).unwrap();
        let (mut r, read) = counting(i as u64, len, u64::MAX);
        let (out, fx) = o
            .put_hashing(&k, &mut r, len, DigestAlgorithm::Sha512)
            .unwrap();
        assert_eq!(out, PutOutcome::Created);
        assert_eq!(read.load(Ordering::SeqCst), len, "the source is read once");
        assert_eq!(fx, fixity_of(i as u64, len));
        // Recorded in the header, and the bytes verify against it after a reopen.
        let again = FilesystemOffer::open("fs", dir.path()).unwrap();
        assert_eq!(again.head(&k).unwrap().unwrap().fixity, fx);
        assert_eq!(again.verify(&k, None).unwrap(), fx);
        let file_len = std::fs::metadata(o.object_path(&k)).unwrap().len();
        assert_eq!(file_len, HEADER_LEN + len, "no preallocated tail left");
        // Same content again: idempotent; other content under the key: write-once.
        let (out, _) = o
            .put_hashing(
                &k,
                &mut PatternReader::new(i as u64, len),
                len,
                DigestAlgorithm::Sha512,
            )
            .unwrap();
        assert_eq!(out, PutOutcome::AlreadyPresent);
        if len > 0 {
            let e = o
                .put_hashing(
                    &k,
                    &mut PatternReader::new(99, len),
                    len,
                    DigestAlgorithm::Sha512,
                )
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        }
    }
    assert!(tmp_is_empty(&o));
}

#[test]
fn filesystem_put_hashing_refuses_another_size_and_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = FilesystemOffer::open("fs", dir.path()).unwrap();
    let k = ObjectKey::new("k").unwrap();
    for (actual, declared) in [
        (10u64, 11u64),
        (11, 10),
        (9 << 20, 8 << 20),
        (8 << 20, 9 << 20),
    ] {
        let e = o
            .put_hashing(
                &k,
                &mut PatternReader::new(1, actual),
                declared,
                DigestAlgorithm::Sha512,
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
        assert!(o.head(&k).unwrap().is_none());
        assert!(tmp_is_empty(&o));
    }
    // A source that fails mid-way: nothing committed either.
    let (mut r, _) = counting(1, 20 << 20, 7 << 20);
    assert!(
        o.put_hashing(&k, &mut r, 20 << 20, DigestAlgorithm::Sha512)
            .is_err()
    );
    assert!(o.head(&k).unwrap().is_none());
    assert!(tmp_is_empty(&o));
}

#[test]
fn strategy_writes_both_copies_from_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, s) = two_fs(dir.path());
    let len = 30 << 20;
    // Declared fixity: each offer checks what it receives.
    let k = ObjectKey::new("declared").unwrap();
    let fx = fixity_of(5, len);
    let (mut r, read) = counting(5, len, u64::MAX);
    let rep = s.put(&k, &mut r, &fx).unwrap();
    assert_eq!(read.load(Ordering::SeqCst), len, "one read of the source");
    assert_eq!(rep.outcomes.len(), 2);
    for o in [&a, &b] {
        assert_eq!(o.verify(&k, Some(&fx)).unwrap(), fx);
    }
    // Computed fixity: both offers hash what they write and must agree.
    let k2 = ObjectKey::new("computed").unwrap();
    let (mut r, read) = counting(6, len, u64::MAX);
    let (rep, got) = s
        .put_hashing(&k2, &mut r, len, DigestAlgorithm::Sha512)
        .unwrap();
    assert_eq!(read.load(Ordering::SeqCst), len);
    assert_eq!(got, fixity_of(6, len));
    assert!(rep.outcomes.iter().all(|(_, o)| *o == PutOutcome::Created));
    for o in [&a, &b] {
        assert_eq!(o.verify(&k2, None).unwrap(), got);
    }
    // A declared fixity that does not match: refused by both, nothing visible anywhere.
    let k3 = ObjectKey::new("wrong").unwrap();
    let e = s
        .put(&k3, &mut PatternReader::new(7, len), &fixity_of(8, len))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    for o in [&a, &b] {
        assert!(o.head(&k3).unwrap().is_none());
        assert!(tmp_is_empty(o));
    }
}

#[test]
fn a_failing_source_leaves_no_copy_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, s) = two_fs(dir.path());
    let len = 24 << 20;
    let k = ObjectKey::new("k").unwrap();
    let (mut r, _) = counting(1, len, 9 << 20);
    let e = s.put(&k, &mut r, &fixity_of(1, len)).unwrap_err();
    assert!(e.message().contains("reading the source failed"), "{e}");
    let (mut r, _) = counting(1, len, 9 << 20);
    assert!(
        s.put_hashing(&k, &mut r, len, DigestAlgorithm::Sha512)
            .is_err()
    );
    for o in [&a, &b] {
        assert!(o.head(&k).unwrap().is_none());
        assert!(tmp_is_empty(o));
    }
}

#[test]
fn an_existing_copy_is_kept_and_the_missing_one_written() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, s) = two_fs(dir.path());
    let k = ObjectKey::new("k").unwrap();
    let data = vec![42u8; 3 << 20];
    b.put_bytes(&k, &data).unwrap();
    let (rep, fx) = s
        .put_hashing(
            &k,
            &mut &data[..],
            data.len() as u64,
            DigestAlgorithm::Sha512,
        )
        .unwrap();
    assert_eq!(
        rep.outcomes,
        vec![
            ("fs-a".to_string(), PutOutcome::Created),
            ("fs-b".to_string(), PutOutcome::AlreadyPresent)
        ]
    );
    assert_eq!(a.get_bytes(&k).unwrap(), data);
    assert_eq!(fx, Fixity::of_bytes(DigestAlgorithm::Sha512, &data));
    // Other content under the key on one offer: conflict, and the copy this put created
    // on the other offer is rolled back.
    let k2 = ObjectKey::new("k2").unwrap();
    b.put_bytes(&k2, b"other").unwrap();
    let e = s.put_bytes_hashing(&k2, b"mine!").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(
        e.message().contains("rolled back the new copies on [fs-a]"),
        "{e}"
    );
    assert!(a.head(&k2).unwrap().is_none());
    assert_eq!(b.get_bytes(&k2).unwrap(), b"other");
}

trait PutBytesHashing {
    fn put_bytes_hashing(&self, k: &ObjectKey, d: &[u8]) -> vas_core::Result<()>;
}

impl PutBytesHashing for Strategy {
    fn put_bytes_hashing(&self, k: &ObjectKey, d: &[u8]) -> vas_core::Result<()> {
        self.put_hashing(k, &mut &d[..], d.len() as u64, DigestAlgorithm::Sha512)
            .map(|_| ())
    }
}

#[test]
fn default_put_hashing_spools_for_other_offers() {
    // The memory offer uses the trait's default implementation (spool, then `put`).
    let m = MemoryOffer::new("m");
    let k = ObjectKey::new("k").unwrap();
    let (o, fx) = m
        .put_hashing(&k, &mut &b"spooled"[..], 7, DigestAlgorithm::Sha256)
        .unwrap();
    assert_eq!(o, PutOutcome::Created);
    assert_eq!(fx, Fixity::of_bytes(DigestAlgorithm::Sha256, b"spooled"));
    assert_eq!(m.head(&k).unwrap().unwrap().fixity, fx);
    let e = m
        .put_hashing(
            &ObjectKey::new("k2").unwrap(),
            &mut &b"spooled"[..],
            8,
            DigestAlgorithm::Sha256,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity);
}

#[test]
fn cli_put_without_digest_records_the_files_sha512() {
    let Some(vas) = option_env!("CARGO_BIN_EXE_vas") else {
        eprintln!("SKIPPED: the vas binary is built only with the feature `cli`");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob.bin");
    let mut f = std::fs::File::create(&file).unwrap();
    io::copy(&mut PatternReader::new(3, (6 << 20) + 17), &mut f).unwrap();
    drop(f);
    let cfg = dir.path().join("storage.toml");
    std::fs::write(
        &cfg,
        "[[offer]]\nid = \"fs-1\"\nkind = \"filesystem\"\npath = \"o1\"\n\
         [[offer]]\nid = \"fs-2\"\nkind = \"filesystem\"\npath = \"o2\"\n",
    )
    .unwrap();
    let out = Command::new(vas)
        .args(["offer", "put", "--json"])
        .arg(&cfg)
        .arg("0_OBJECT/blob.bin")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Oracle: coreutils' sha512sum, when present; else the library's own digest.
    let want = match Command::new("sha512sum").arg(&file).output() {
        Ok(o) if o.status.success() => String::from_utf8(o.stdout).unwrap()[..128].to_string(),
        _ => {
            Fixity::of_file(DigestAlgorithm::Sha512, &file)
                .unwrap()
                .digest
        }
    };
    assert_eq!(v["digest"], want.as_str());
    assert_eq!(v["size"], (6 << 20) + 17);
    assert_eq!(v["offers"].as_array().unwrap().len(), 2);
    for o in ["o1", "o2"] {
        let off = FilesystemOffer::open(o, dir.path().join(o)).unwrap();
        let k = ObjectKey::new("0_OBJECT/blob.bin").unwrap();
        assert_eq!(off.verify(&k, None).unwrap().digest, want);
    }
}
