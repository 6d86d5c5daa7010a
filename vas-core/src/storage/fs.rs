//! [`FilesystemOffer`]: the embedded default offer, a hashed directory tree.
//!
//! Layout under the root folder:
//! ```text
//! <root>/VAS-OFFER                     marker: format version
//! <root>/objects/ab/cd/abcd…(64 hex)   one file per object, named by SHA-256(key)
//! <root>/tmp/                          uncommitted writes (same filesystem)
//! ```
//! Each object file starts with a fixed 4096-byte header — the magic `VASOBJ1\n`, then one
//! JSON line `{"key":…,"algorithm":"SHA-512","digest":…,"size":…}` padded with spaces — and
//! then the object's bytes, unchanged (`tail -c +4097 FILE` gives them back). Keeping the
//! key and fixity *inside* the object file (rather than in a second sidecar file) makes the
//! commit a single atomic step: an object is visible exactly when its file exists, and
//! then it is complete.
//!
//! A write goes to `tmp/`, is hashed while written, `fsync`ed, checked against the declared
//! fixity, then committed with `link(2)` (atomic, and fails if the key was committed
//! meanwhile: write-once without locks), the object's directory is `fsync`ed and the
//! temporary name removed. A `kill -9` at any point leaves either no object or the complete
//! object, plus possibly a temporary file that [`FilesystemOffer::open`] removes when its
//! writer process is gone.
//!
//! A **batch put** ([`StorageOffer::put_batch`]) keeps each of these steps per object but
//! runs each step for the whole batch before the next one: every temporary file is
//! written (its write-back started at once), then every one is `fdatasync`ed, then every
//! one is linked into place, then each touched directory is `fsync`ed once, then the
//! temporary names are removed. On a journalling filesystem the first `fdatasync` commits
//! the allocations of the whole batch and the following ones find their data already
//! written; the first directory `fsync` commits every link. No object is visible before
//! all the batch's bytes are durable, so a crash leaves visible objects complete.
//! `syncfs(2)` would replace the `fdatasync` pass by one call, but it flushes the whole
//! filesystem — other processes' data included, an unbounded wait on a shared disk — and
//! reports a write-back error without saying which file it hit: the per-file pass is kept.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::digest::{DigestAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

use super::key::ObjectKey;
use super::offer::{
    BatchObject, ByteRange, Capabilities, Declared, Fixity, ObjectMeta, OfferStatus, PutOutcome,
    SourceDigest, StorageOffer, batch_failed, check_written, not_found, size_refused, stream_error,
    write_once_check,
};

/// Size of the header that precedes the bytes in each object file.
pub const HEADER_LEN: u64 = 4096;
const MAGIC: &[u8] = b"VASOBJ1\n";
const MARKER: &str = "VAS-OFFER";
const MARKER_CONTENT: &str = "vas filesystem offer, layout 1\n";
const BUF_LEN: usize = 1024 * 1024;
/// Objects above this size are hashed and written on two threads.
const PIPELINE_MIN: u64 = 4 * BUF_LEN as u64;
/// Buffer size of the two-thread pipeline.
const PIPE_BUF_LEN: usize = 4 * BUF_LEN;
/// Write-back window of synced puts (see [`ObjectWriter`]).
const WINDOW: u64 = 16 * BUF_LEN as u64;

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The environment variable naming a failpoint of the filesystem offer's batch put
/// ([`StorageOffer::put_batch`]) at which the process aborts (no destructor, no flush: as
/// abrupt as `kill -9`), so that crash tests cover every step of a batch
/// deterministically. The points are [`BATCH_FAILPOINTS`].
pub const BATCH_FAILPOINT_ENV: &str = "VAS_STORAGE_FAILPOINT";

/// The failpoints of [`BATCH_FAILPOINT_ENV`], in the order a batch put passes them:
/// every temporary file written, every one synced, the first object linked into place,
/// every object linked (before the directory syncs).
pub const BATCH_FAILPOINTS: &[&str] = &[
    "fs-batch-after-write",
    "fs-batch-after-sync",
    "fs-batch-mid-link",
    "fs-batch-after-link",
];

fn storage_failpoint(name: &str) {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if WANTED
        .get_or_init(|| std::env::var(BATCH_FAILPOINT_ENV).ok())
        .as_deref()
        == Some(name)
    {
        eprintln!("vas: failpoint {name}: aborting");
        std::process::abort();
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    key: String,
    algorithm: String,
    digest: String,
    size: u64,
}

/// The filesystem offer (Vitam's `filesystem-hash` provider, in spirit).
///
/// ```
/// use vas_core::storage::{FilesystemOffer, ObjectKey, StorageOffer, StorageOfferExt};
///
/// let dir = tempfile::tempdir().unwrap();
/// let offer = FilesystemOffer::open("fs-1", dir.path()).unwrap();
/// let key = ObjectKey::new("0_OBJECT/doc.pdf").unwrap();
/// offer.put_bytes(&key, b"%PDF-1.7").unwrap();
/// let reopened = FilesystemOffer::open("fs-1", dir.path()).unwrap();
/// assert_eq!(reopened.get_bytes(&key).unwrap(), b"%PDF-1.7");
/// assert_eq!(reopened.list("0_OBJECT/").unwrap()[0].key, key);
/// ```
#[derive(Debug)]
pub struct FilesystemOffer {
    id: String,
    root: PathBuf,
    sync: bool,
}

impl FilesystemOffer {
    /// Opens (creating it if needed) the offer rooted at `root`, and removes the temporary
    /// files left by writers that no longer run (crash recovery).
    pub fn open(id: impl Into<String>, root: impl AsRef<Path>) -> Result<FilesystemOffer> {
        let root = root.as_ref().to_path_buf();
        let io_err = |e: io::Error, p: &Path| Error::from(e).with_path(p);
        fs::create_dir_all(&root).map_err(|e| io_err(e, &root))?;
        let marker = root.join(MARKER);
        if !marker.exists() {
            let non_empty = fs::read_dir(&root)
                .map_err(|e| io_err(e, &root))?
                .any(|e| e.is_ok());
            if non_empty && !root.join("objects").is_dir() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "folder is not empty and is not a vas filesystem offer",
                )
                .with_path(&root));
            }
            write_durably(&root, &marker, MARKER_CONTENT.as_bytes())?;
        }
        for d in ["objects", "tmp"] {
            let p = root.join(d);
            if !p.is_dir() {
                fs::create_dir_all(&p).map_err(|e| io_err(e, &p))?;
                sync_dir(&root)?;
            }
        }
        let offer = FilesystemOffer {
            id: id.into(),
            root,
            sync: true,
        };
        offer.clean_orphans()?;
        Ok(offer)
    }

    /// Disables `fsync` (tests and benchmarks only: writes are then not crash-safe).
    pub fn without_fsync(mut self) -> Self {
        self.sync = false;
        self
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds `key` (whether or not it exists). Exposed for audits by
    /// operators and for fault-injection tests.
    pub fn object_path(&self, key: &ObjectKey) -> PathBuf {
        let h = crate::digest::digest_bytes(DigestAlgorithm::Sha256, key.as_str().as_bytes());
        self.root
            .join("objects")
            .join(&h[0..2])
            .join(&h[2..4])
            .join(&h)
    }

    /// Removes temporary files whose writer process is gone; returns how many.
    /// Called by [`FilesystemOffer::open`].
    pub fn clean_orphans(&self) -> Result<usize> {
        let tmp = self.root.join("tmp");
        let mut n = 0;
        let rd = match fs::read_dir(&tmp) {
            Ok(rd) => rd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::from(e).with_path(&tmp)),
        };
        for entry in rd {
            let entry = entry.map_err(|e| Error::from(e).with_path(&tmp))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let pid = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if is_orphan(pid, &entry) {
                match fs::remove_file(entry.path()) {
                    Ok(()) => n += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::from(e).with_path(entry.path())),
                }
            }
        }
        Ok(n)
    }

    fn read_header(&self, key: &ObjectKey, f: &mut File, path: &Path) -> Result<Fixity> {
        let mut buf = vec![0u8; HEADER_LEN as usize];
        f.read_exact(&mut buf).map_err(|e| {
            Error::new(
                ErrorKind::Corrupt,
                format!("object {key} on offer {}: header unreadable: {e}", self.id),
            )
            .with_path(path)
        })?;
        let corrupt = |why: String| {
            Error::new(
                ErrorKind::Corrupt,
                format!("object {key} on offer {}: {why}", self.id),
            )
            .with_path(path)
            .with_id(key.as_str().to_string())
        };
        let (h, _) = parse_header(&buf).map_err(corrupt)?;
        if h.0 != key.as_str() {
            return Err(corrupt(format!("header names another key {:?}", h.0)));
        }
        Ok(h.1)
    }

    fn open_object(&self, key: &ObjectKey) -> Result<Option<(File, Fixity, PathBuf)>> {
        let path = self.object_path(key);
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::from(e).with_path(&path)),
        };
        let fx = self.read_header(key, &mut f, &path)?;
        Ok(Some((f, fx, path)))
    }

    fn tmp_path(&self) -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.root
            .join("tmp")
            .join(format!("{}-{nanos}-{n}.tmp", std::process::id()))
    }

    /// Writes the object file to `tmp`: header, then the bytes, hashed while written (or,
    /// with `source`, only CRC-32'd and checked against the caller's digest), then (when
    /// syncing) `fdatasync`. Returns the fixity of the bytes read, checked against what was
    /// declared: nothing is committed unless it matches.
    fn write_tmp(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        declared: Declared<'_>,
        source: Option<&SourceDigest>,
        tmp: &Path,
    ) -> Result<Fixity> {
        let (algorithm, size) = declared.algorithm_and_size();
        // The header is complete from the start when the fixity is declared; otherwise
        // a placeholder of the same length is overwritten once the bytes are hashed (the
        // key's length is checked now, before any byte is written).
        let header = match declared {
            Declared::Known(fx) => make_header(key, fx)?,
            Declared::Computed { .. } => {
                let widest = Fixity {
                    algorithm,
                    digest: "0".repeat(algorithm.output_len() * 2),
                    size: u64::MAX,
                };
                make_header(key, &widest)?;
                vec![b' '; HEADER_LEN as usize]
            }
        };
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .map_err(|e| Error::from(e).with_path(tmp))?;
        if self.sync && size > 0 {
            preallocate(&f, HEADER_LEN + size);
        }
        let mut w = ObjectWriter::new(f, self.sync);
        w.write(&header)
            .map_err(|e| Error::from(e).with_path(tmp))?;
        if let Some(source) = source {
            // The caller hashes: write, CRC-32 what was written, then wait for its digest.
            let (crc, got) = crc_and_write(data, &mut w, size, key, &self.id, tmp)?;
            return match declared {
                Declared::Known(_) => {
                    // The header is final: flush while the caller finishes hashing.
                    w.finish().map_err(|e| Error::from(e).with_path(tmp))?;
                    source.wait()?.check(&self.id, key, declared, got, crc)
                }
                Declared::Computed { .. } => {
                    let fx = source.wait()?.check(&self.id, key, declared, got, crc)?;
                    w.write_header(&make_header(key, &fx)?)
                        .map_err(|e| Error::from(e).with_path(tmp))?;
                    w.finish().map_err(|e| Error::from(e).with_path(tmp))?;
                    Ok(fx)
                }
            };
        }
        let (digest, got) = if size <= PIPELINE_MIN {
            hash_and_write(data, &mut w, algorithm, size, tmp)?
        } else {
            // Large objects: hash in this thread while another one writes (and starts the
            // disk's write-back), so that the put costs max(hashing, writing) rather than
            // their sum.
            pipelined_hash_and_write(data, &mut w, algorithm, size, tmp)?
        };
        let fx = match declared {
            Declared::Known(fx) => {
                check_written(&self.id, key, fx, &digest, got)?;
                fx.clone()
            }
            Declared::Computed { .. } => {
                if got != size {
                    return Err(Error::new(
                        ErrorKind::Integrity,
                        format!(
                            "put of {key} on offer {} refused: received {got} bytes, \
                             declared {size}",
                            self.id
                        ),
                    )
                    .with_id(key.as_str().to_string()));
                }
                let fx = Fixity {
                    algorithm,
                    digest,
                    size,
                };
                w.write_header(&make_header(key, &fx)?)
                    .map_err(|e| Error::from(e).with_path(tmp))?;
                fx
            }
        };
        w.finish().map_err(|e| Error::from(e).with_path(tmp))?;
        Ok(fx)
    }

    fn write_and_commit(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        declared: Declared<'_>,
        source: Option<&SourceDigest>,
    ) -> Result<(PutOutcome, Fixity)> {
        let tmp = self.tmp_path();
        // The object's fan-out directories are made now, before the bytes' `fdatasync`,
        // and their parents are `fsync`ed after it, in `commit`: on a journalling
        // filesystem the file's sync then also commits the `mkdir`s, and the directory
        // syncs that follow (all still made, in the same order with respect to the
        // `link(2)`) have nothing left to write, instead of one journal commit each.
        let r = self.make_fanout(key).and_then(|fresh| {
            let fx = self.write_tmp(key, data, declared, source, &tmp)?;
            let o = self.commit(key, &tmp, &fx, &fresh)?;
            Ok((o, fx))
        });
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        r
    }

    /// Creates the object's fan-out directories when missing (without syncing) and
    /// returns the directories whose entries changed, to be `fsync`ed before the commit.
    fn make_fanout(&self, key: &ObjectKey) -> Result<Vec<PathBuf>> {
        let dest = self.object_path(key);
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        let mut changed = Vec::new();
        if !dir.is_dir() {
            let l1 = dir.parent().unwrap_or(&self.root).to_path_buf();
            let l1_existed = l1.is_dir();
            fs::create_dir_all(&dir).map_err(|e| Error::from(e).with_path(&dir))?;
            changed.push(l1.clone());
            if !l1_existed {
                changed.push(l1.parent().unwrap_or(&self.root).to_path_buf());
            }
        }
        Ok(changed)
    }

    fn commit(
        &self,
        key: &ObjectKey,
        tmp: &Path,
        expected: &Fixity,
        fresh_dirs: &[PathBuf],
    ) -> Result<PutOutcome> {
        let dest = self.object_path(key);
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        // The fan-out directories made for this put (or, if one vanished meanwhile, now).
        let mut fresh = fresh_dirs.to_vec();
        if !dir.is_dir() {
            fresh.extend(self.make_fanout(key)?);
        }
        if self.sync {
            // Make the new fan-out directories durable: their parents' entries.
            for d in &fresh {
                sync_dir(d)?;
            }
        }
        if let Some(o) = self.link_into_place(key, tmp, expected)? {
            return Ok(o);
        }
        if self.sync {
            sync_dir(&dir)?;
        }
        match fs::remove_file(tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::from(e).with_path(tmp)),
        }
        Ok(PutOutcome::Created)
    }

    /// Makes the complete temporary file `tmp` visible as `key` (`link(2)`, or `rename(2)`
    /// where hard links are unsupported), without syncing anything. `Ok(None)`: linked
    /// (the caller syncs the directory, then removes `tmp`). `Ok(Some(outcome))`: the key
    /// was already there with the expected content (`tmp` is removed); a different content
    /// is an [`ErrorKind::Conflict`] (`tmp` removed too).
    fn link_into_place(
        &self,
        key: &ObjectKey,
        tmp: &Path,
        expected: &Fixity,
    ) -> Result<Option<PutOutcome>> {
        let dest = self.object_path(key);
        match fs::hard_link(tmp, &dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let existing = self.head(key)?;
                let _ = fs::remove_file(tmp);
                return write_once_check(
                    self,
                    key,
                    existing.as_ref().map(|m| &m.fixity),
                    expected,
                )?
                .ok_or_else(|| Error::internal("object vanished during a concurrent put"))
                .map(Some);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Unsupported | io::ErrorKind::PermissionDenied
                ) =>
            {
                // Filesystems without hard links: rename (the write-once check above
                // already ran; a concurrent writer of the same key could race here).
                if dest.exists() {
                    let _ = fs::remove_file(tmp);
                    let existing = self.head(key)?;
                    return write_once_check(
                        self,
                        key,
                        existing.as_ref().map(|m| &m.fixity),
                        expected,
                    )?
                    .ok_or_else(|| Error::internal("object vanished during a concurrent put"))
                    .map(Some);
                }
                fs::rename(tmp, &dest).map_err(|e| Error::from(e).with_path(&dest))?;
            }
            Err(e) => return Err(Error::from(e).with_path(&dest)),
        }
        Ok(None)
    }
}

impl FilesystemOffer {
    /// The batch put of the filesystem offer (see [`StorageOffer::put_batch`]): every
    /// object is checked (hashed unless already verified) and checked against what the
    /// offer holds before anything is written; then every temporary file is written with
    /// its write-back started at once, every one is `fdatasync`ed (the first sync commits
    /// the journal for all of them, the others find their data already on disk), each is
    /// `link`ed into place, and each touched directory is `fsync`ed once; the temporary
    /// names are removed last. Nothing of the batch is visible before all of its bytes are
    /// durable, and a failure before or during the links removes what this batch linked.
    fn put_batch_fs(&self, objects: &[BatchObject<'_>]) -> Result<Vec<PutOutcome>> {
        let n = objects.len();
        let mut objs = objects.to_vec();
        BatchObject::verify_all(&mut objs).map_err(|e| {
            let msg = format!("on offer {}: {}", self.id, e.message());
            let mut out = Error::new(e.kind(), msg);
            if let Some(id) = e.context().id.clone() {
                out = out.with_id(id);
            }
            if let Some(code) = e.context().code.clone() {
                out = out.with_code(code);
            }
            out
        })?;
        // Write-once checks and headers, before any byte is written.
        let mut outcomes: Vec<Option<PutOutcome>> = vec![None; n];
        let mut headers: Vec<Option<Vec<u8>>> = vec![None; n];
        for (i, o) in objs.iter().enumerate() {
            let r = self.head(o.key()).and_then(|existing| {
                write_once_check(
                    self,
                    o.key(),
                    existing.as_ref().map(|m| &m.fixity),
                    o.expected(),
                )
            });
            match r {
                Ok(Some(x)) => outcomes[i] = Some(x),
                Ok(None) => match make_header(o.key(), o.expected()) {
                    Ok(h) => headers[i] = Some(h),
                    Err(e) => return Err(batch_failed(&self.id, &objs, i, e, "nothing written")),
                },
                Err(e) => return Err(batch_failed(&self.id, &objs, i, e, "nothing written")),
            }
        }
        // Temporary files: (index, path, open file).
        let mut tmps: Vec<(usize, PathBuf, File)> = Vec::new();
        let remove_tmps = |tmps: &[(usize, PathBuf, File)]| {
            for (_, p, _) in tmps {
                let _ = fs::remove_file(p);
            }
        };
        let mut dirs: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
        for (i, o) in objs.iter().enumerate() {
            let Some(header) = headers[i].take() else {
                continue;
            };
            let tmp = self.tmp_path();
            let r = self.make_fanout(o.key()).and_then(|fresh| {
                dirs.extend(fresh);
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&tmp)
                    .map_err(|e| Error::from(e).with_path(&tmp))?;
                f.write_all(&header)
                    .and_then(|()| f.write_all(o.data()))
                    .map_err(|e| Error::from(e).with_path(&tmp))?;
                if self.sync {
                    // Start the write-back now: by the time the syncs below run, most
                    // of the batch is on its way to the disk.
                    start_writeback(&f, 0, HEADER_LEN + o.data().len() as u64);
                }
                Ok(f)
            });
            match r {
                Ok(f) => tmps.push((i, tmp, f)),
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    remove_tmps(&tmps);
                    return Err(batch_failed(&self.id, &objs, i, e, "nothing committed"));
                }
            }
        }
        storage_failpoint("fs-batch-after-write");
        if self.sync {
            for (i, tmp, f) in &tmps {
                if let Err(e) = f.sync_data() {
                    remove_tmps(&tmps);
                    let e = Error::from(e).with_path(tmp);
                    return Err(batch_failed(&self.id, &objs, *i, e, "nothing committed"));
                }
            }
        }
        storage_failpoint("fs-batch-after-sync");
        // Links: the objects become visible, each complete and durable.
        let mut linked: Vec<usize> = Vec::new();
        for (j, (i, tmp, _)) in tmps.iter().enumerate() {
            let o = &objs[*i];
            let dest = self.object_path(o.key());
            let r = match dest.parent() {
                Some(d) if !d.is_dir() => self.make_fanout(o.key()).map(|fresh| {
                    dirs.extend(fresh);
                }),
                _ => Ok(()),
            }
            .and_then(|()| self.link_into_place(o.key(), tmp, o.expected()));
            match r {
                Ok(None) => {
                    linked.push(*i);
                    if let Some(d) = dest.parent() {
                        dirs.insert(d.to_path_buf());
                    }
                    outcomes[*i] = Some(PutOutcome::Created);
                }
                Ok(Some(x)) => outcomes[*i] = Some(x),
                Err(e) => {
                    let undo = self.undo_links(&objs, &linked);
                    remove_tmps(&tmps);
                    return Err(batch_failed(&self.id, &objs, *i, e, &undo));
                }
            }
            if j == 0 {
                storage_failpoint("fs-batch-mid-link");
            }
        }
        storage_failpoint("fs-batch-after-link");
        if self.sync {
            for d in &dirs {
                if let Err(e) = sync_dir(d) {
                    // The links may not be durable: undo them rather than report
                    // objects that a crash could lose.
                    let undo = self.undo_links(&objs, &linked);
                    remove_tmps(&tmps);
                    let i = linked.first().copied().unwrap_or(0);
                    return Err(batch_failed(&self.id, &objs, i, e, &undo));
                }
            }
        }
        for (_, tmp, _) in &tmps {
            match fs::remove_file(tmp) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::from(e).with_path(tmp)),
            }
        }
        outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                o.ok_or_else(|| {
                    Error::internal(format!("batch put: no outcome for {}", objs[i].key()))
                })
            })
            .collect()
    }

    /// Removes the objects a failed batch linked; returns what was undone.
    fn undo_links(&self, objs: &[BatchObject<'_>], linked: &[usize]) -> String {
        let mut left = Vec::new();
        for &i in linked {
            if self.delete(objs[i].key()).is_err() {
                left.push(objs[i].key().as_str().to_string());
            }
        }
        let mut s = format!(
            "removed the {} objects this batch had linked",
            linked.len() - left.len()
        );
        if !left.is_empty() {
            s.push_str(&format!(
                "; COULD NOT remove [{}]: run an audit",
                left.join(", ")
            ));
        }
        s
    }
}

impl StorageOffer for FilesystemOffer {
    fn id(&self) -> &str {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            write_once: true,
            ranged_reads: true,
            server_side_digest: false,
            durable: self.sync,
            persistent: true,
        }
    }

    fn put(&self, key: &ObjectKey, data: &mut dyn Read, expected: &Fixity) -> Result<PutOutcome> {
        let existing = self.head(key)?;
        if let Some(o) =
            write_once_check(self, key, existing.as_ref().map(|m| &m.fixity), expected)?
        {
            return Ok(o);
        }
        self.write_and_commit(key, data, Declared::Known(expected), None)
            .map(|(o, _)| o)
    }

    fn put_hashing(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        size: u64,
        algorithm: DigestAlgorithm,
    ) -> Result<(PutOutcome, Fixity)> {
        if let Some(existing) = self.head(key)? {
            // Already there: hash the stream (nothing to write) and compare.
            let mut h = crate::digest::HashingWriter::new(io::sink(), algorithm);
            io::copy(&mut data.take(size.saturating_add(1)), &mut h).map_err(stream_error)?;
            let (_, digest, got) = h.finish();
            if got != size {
                return Err(size_refused(&self.id, key, got, size));
            }
            let fx = Fixity {
                algorithm,
                digest,
                size,
            };
            let o = write_once_check(self, key, Some(&existing.fixity), &fx)?
                .unwrap_or(PutOutcome::AlreadyPresent);
            return Ok((o, fx));
        }
        self.write_and_commit(key, data, Declared::Computed { algorithm, size }, None)
    }

    /// Does not hash: writes the bytes with their CRC-32, then commits only when the
    /// caller's published digest and CRC-32 agree with them and with `declared` (see the
    /// trait's documentation for what this guarantees and what it leaves to audits).
    fn put_with_source_digest(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        declared: Declared<'_>,
        source: &SourceDigest,
    ) -> Result<(PutOutcome, Fixity)> {
        let existing = self.head(key)?;
        match (declared, existing) {
            (_, None) => self.write_and_commit(key, data, declared, Some(source)),
            (Declared::Known(fx), Some(m)) => {
                let o = write_once_check(self, key, Some(&m.fixity), fx)?
                    .unwrap_or(PutOutcome::AlreadyPresent);
                Ok((o, fx.clone()))
            }
            (Declared::Computed { size, .. }, Some(m)) => {
                // Already there: count the stream (nothing to write), take the caller's
                // digest and compare.
                let got = io::copy(&mut data.take(size.saturating_add(1)), &mut io::sink())
                    .map_err(stream_error)?;
                if got != size {
                    return Err(size_refused(&self.id, key, got, size));
                }
                let summary = source.wait()?;
                if summary.fixity.size != got {
                    return Err(size_refused(&self.id, key, got, summary.fixity.size));
                }
                let o = write_once_check(self, key, Some(&m.fixity), &summary.fixity)?
                    .unwrap_or(PutOutcome::AlreadyPresent);
                Ok((o, summary.fixity))
            }
        }
    }

    /// Writes all temporary files, syncs them in one pass, links them, syncs each touched
    /// directory once (see the module documentation); does not hash objects that are
    /// already verified ([`BatchObject::verify_all`]).
    fn put_batch(&self, objects: &[BatchObject<'_>]) -> Result<Vec<PutOutcome>> {
        self.put_batch_fs(objects)
    }

    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>> {
        let (mut f, fx, path) = self
            .open_object(key)?
            .ok_or_else(|| not_found(&self.id, key))?;
        let (start, len) = match range {
            Some(r) => r.resolve(fx.size)?,
            None => (0, fx.size),
        };
        if start > 0 {
            f.seek(SeekFrom::Start(HEADER_LEN + start))
                .map_err(|e| Error::from(e).with_path(&path))?;
        }
        // `take` by the recorded size: extra bytes appended to the file are ignored by
        // ranged reads, but a whole-object verified read notices a wrong digest.
        let r: Box<dyn Read + Send> = if range.is_none() {
            Box::new(io::BufReader::with_capacity(BUF_LEN, f))
        } else {
            Box::new(io::BufReader::with_capacity(BUF_LEN, f).take(len))
        };
        Ok(r)
    }

    fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        Ok(self.open_object(key)?.map(|(_, fx, _)| ObjectMeta {
            key: key.clone(),
            fixity: fx,
        }))
    }

    fn delete(&self, key: &ObjectKey) -> Result<bool> {
        let path = self.object_path(key);
        match fs::remove_file(&path) {
            Ok(()) => {
                if self.sync
                    && let Some(d) = path.parent()
                {
                    sync_dir(d)?;
                }
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::from(e).with_path(&path)),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        for path in self.object_files()? {
            // Unreadable files are skipped here: `damaged` and `head` report them.
            if let Some(Ok(m)) = self.describe(&path)?
                && m.key.has_prefix(prefix)
            {
                out.push(m);
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    fn damaged(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for path in self.object_files()? {
            if let Some(Err(why)) = self.describe(&path)? {
                out.push(format!("{}: {why}", path.display()));
            }
        }
        Ok(out)
    }

    fn status(&self) -> Result<OfferStatus> {
        let files = self.object_files()?;
        let mut used = 0u64;
        for p in &files {
            if let Ok(m) = fs::metadata(p) {
                used += m.len().saturating_sub(HEADER_LEN);
            }
        }
        // Probe writability.
        let probe = self.tmp_path();
        fs::write(&probe, b"probe").map_err(|e| {
            Error::new(
                ErrorKind::Unavailable,
                format!("offer {} is not writable: {e}", self.id),
            )
            .with_path(&probe)
        })?;
        let _ = fs::remove_file(&probe);
        Ok(OfferStatus {
            available: true,
            used_bytes: Some(used),
            free_bytes: free_bytes(&self.root),
            object_count: Some(files.len() as u64),
            detail: self.root.display().to_string(),
        })
    }
}

impl FilesystemOffer {
    /// Reads the header of an object file: `None` if it vanished meanwhile,
    /// `Some(Err(why))` when it cannot be described (damaged header, misplaced file).
    fn describe(&self, path: &Path) -> Result<Option<std::result::Result<ObjectMeta, String>>> {
        let mut f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::from(e).with_path(path)),
        };
        let mut buf = vec![0u8; HEADER_LEN as usize];
        if let Err(e) = f.read_exact(&mut buf) {
            return Ok(Some(Err(format!("header unreadable: {e}"))));
        }
        let ((key, fixity), _) = match parse_header(&buf) {
            Ok(h) => h,
            Err(why) => return Ok(Some(Err(why))),
        };
        let key = match ObjectKey::new(key) {
            Ok(k) => k,
            Err(e) => return Ok(Some(Err(e.message().to_string()))),
        };
        if self.object_path(&key) != path {
            return Ok(Some(Err(format!(
                "file is not where key {key:?} belongs (misplaced or renamed)"
            ))));
        }
        Ok(Some(Ok(ObjectMeta { key, fixity })))
    }

    fn object_files(&self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        let objects = self.root.join("objects");
        for l1 in read_dir_sorted(&objects)? {
            for l2 in read_dir_sorted(&l1)? {
                for f in read_dir_sorted(&l2)? {
                    if f.is_file() {
                        out.push(f);
                    }
                }
            }
        }
        Ok(out)
    }
}

fn read_chunk(data: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    loop {
        match data.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(stream_error(e)),
        }
    }
}

/// The file being written: appends, starts the disk's write-back as it goes (when
/// syncing), and flushes it at the end.
///
/// Write-back strategy: every [`WINDOW`] bytes, the window just filled is handed to the
/// disk at once (see [`start_writeback`]) instead of waiting for the final `fdatasync`:
/// the disk works while the next bytes are read, hashed and copied, and the final flush
/// has at most one window left. (`dd conv=fsync` leaves the disk idle until its final
/// `fsync`, unless the kernel's own flusher starts earlier.) Measured against a periodic
/// blocking `fdatasync` and no hint at all: see docs/offers.md.
struct ObjectWriter {
    file: File,
    sync: bool,
    written: u64,
    started: u64,
}

impl ObjectWriter {
    fn new(file: File, sync: bool) -> Self {
        ObjectWriter {
            file,
            sync,
            written: 0,
            started: 0,
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)?;
        self.written += buf.len() as u64;
        if self.sync && self.written - self.started >= WINDOW {
            start_writeback(&self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(())
    }

    /// Overwrites the header placeholder at the start of the file.
    fn write_header(&mut self, header: &[u8]) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            self.file.write_all_at(header, 0)
        }
        #[cfg(not(unix))]
        {
            let pos = self.file.stream_position()?;
            self.file.seek(SeekFrom::Start(0))?;
            self.file.write_all(header)?;
            self.file.seek(SeekFrom::Start(pos)).map(|_| ())
        }
    }

    /// `fdatasync` (the bytes and the size: what a later read needs) when syncing.
    fn finish(self) -> io::Result<()> {
        if self.sync {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

/// Starts the write-back of `len` bytes at `offset` without waiting for it: on Linux,
/// `posix_fadvise(POSIX_FADV_DONTNEED)` on a dirty range starts its write-back (and drops
/// only pages already clean, so the object's pages mostly stay cached). The crate forbids
/// `unsafe`, which rules out a direct `sync_file_range(2)`, the other way to say it. A
/// scheduling hint only: durability comes from the final `fdatasync`. Elsewhere, nothing.
fn start_writeback(f: &File, offset: u64, len: u64) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = rustix::fs::fadvise(
            f,
            offset,
            std::num::NonZeroU64::new(len),
            rustix::fs::Advice::DontNeed,
        );
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (f, offset, len);
}

/// Reserves the file's blocks up front (`fallocate`, keeping the size): one allocation
/// instead of one per write, less fragmentation, an early `ENOSPC`. Best effort.
fn preallocate(f: &File, len: u64) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = rustix::fs::fallocate(f, rustix::fs::FallocateFlags::KEEP_SIZE, 0, len);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (f, len);
}

/// Tells the kernel a file is about to be read once from start to end (larger
/// read-ahead). Best effort.
pub(crate) fn advise_sequential(f: &File) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = rustix::fs::fadvise(f, 0, None, rustix::fs::Advice::Sequential);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = f;
}

/// Copies `data` to `w` while hashing; stops once more than `size` bytes were read (the
/// caller refuses the put then).
fn hash_and_write(
    data: &mut dyn Read,
    w: &mut ObjectWriter,
    algorithm: DigestAlgorithm,
    size: u64,
    tmp: &Path,
) -> Result<(String, u64)> {
    let mut h = Hasher::new(algorithm);
    let cap = usize::try_from(size.saturating_add(1)).unwrap_or(BUF_LEN);
    let mut buf = vec![0u8; BUF_LEN.min(cap).max(8192)];
    loop {
        let n = read_chunk(data, &mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        if h.len() > size {
            break; // longer than declared: refused by the caller
        }
        w.write(&buf[..n])
            .map_err(|e| Error::from(e).with_path(tmp))?;
    }
    let got = h.len();
    Ok((h.finalize_hex(), got))
}

/// Copies `data` to `w` without hashing, computing the CRC-32 of what is written (for a
/// put whose caller hashes the stream, [`StorageOffer::put_with_source_digest`]). A stream
/// longer than `size` is refused at once, without waiting for the caller's digest.
fn crc_and_write(
    data: &mut dyn Read,
    w: &mut ObjectWriter,
    size: u64,
    key: &ObjectKey,
    offer: &str,
    tmp: &Path,
) -> Result<(u32, u64)> {
    let mut crc = crc32fast::Hasher::new();
    let cap = usize::try_from(size.saturating_add(1)).unwrap_or(BUF_LEN);
    let mut buf = vec![0u8; BUF_LEN.min(cap).max(8192)];
    let mut got = 0u64;
    loop {
        let n = crate::io_util::read_full(data, &mut buf).map_err(stream_error)?;
        if n == 0 {
            break;
        }
        got += n as u64;
        if got > size {
            return Err(Error::new(
                ErrorKind::Integrity,
                format!(
                    "put of {key} on offer {offer} refused: received more than the declared \
                     {size} bytes"
                ),
            )
            .with_id(key.as_str().to_string())
            .with_code("CHECK_DIGEST.KO"));
        }
        crc.update(&buf[..n]);
        w.write(&buf[..n])
            .map_err(|e| Error::from(e).with_path(tmp))?;
    }
    Ok((crc.finalize(), got))
}

/// Same as [`hash_and_write`], with the writes on a second thread fed by a bounded queue
/// of recycled buffers: each buffer is read into, hashed here, then written there (no
/// copy in between).
fn pipelined_hash_and_write(
    data: &mut dyn Read,
    w: &mut ObjectWriter,
    algorithm: DigestAlgorithm,
    size: u64,
    tmp: &Path,
) -> Result<(String, u64)> {
    use std::sync::mpsc::{channel, sync_channel};
    const IN_FLIGHT: usize = 4;
    let (tx, rx) = sync_channel::<Vec<u8>>(IN_FLIGHT);
    let (back_tx, back_rx) = channel::<Vec<u8>>();
    std::thread::scope(|s| {
        let writer = s.spawn(move || -> io::Result<()> {
            for buf in rx {
                w.write(&buf)?;
                let _ = back_tx.send(buf);
            }
            Ok(())
        });
        let mut h = Hasher::new(algorithm);
        let mut allocated = 0;
        let read_result = loop {
            let mut buf = match back_rx.try_recv() {
                Ok(b) => b,
                Err(_) if allocated < IN_FLIGHT + 2 => {
                    allocated += 1;
                    vec![0u8; PIPE_BUF_LEN]
                }
                // All buffers in flight: wait for the writer to return one (or to fail).
                Err(_) => match back_rx.recv() {
                    Ok(b) => b,
                    Err(_) => break Ok(()),
                },
            };
            buf.resize(PIPE_BUF_LEN, 0);
            // Fill the buffer (a pipe or socket may return less per read).
            let n = match crate::io_util::read_full(data, &mut buf) {
                Ok(n) => n,
                Err(e) => break Err(stream_error(e)),
            };
            if n == 0 {
                break Ok(());
            }
            buf.truncate(n);
            h.update(&buf);
            if h.len() > size {
                break Ok(()); // longer than declared: refused by the caller
            }
            if tx.send(buf).is_err() {
                break Ok(()); // the writer failed: its error is reported below
            }
        };
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")));
        read_result?;
        written.map_err(|e| Error::from(e).with_path(tmp))?;
        let got = h.len();
        Ok((h.finalize_hex(), got))
    })
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => return Ok(Vec::new()),
        Err(e) => return Err(Error::from(e).with_path(dir)),
    };
    let mut v = Vec::new();
    for e in rd {
        v.push(e.map_err(|e| Error::from(e).with_path(dir))?.path());
    }
    v.sort();
    Ok(v)
}

fn make_header(key: &ObjectKey, fx: &Fixity) -> Result<Vec<u8>> {
    let h = Header {
        key: key.as_str().to_string(),
        algorithm: fx.algorithm.seda_name().to_string(),
        digest: fx.digest.clone(),
        size: fx.size,
    };
    let json = serde_json::to_vec(&h).map_err(|e| Error::internal(e.to_string()))?;
    let mut buf = Vec::with_capacity(HEADER_LEN as usize);
    buf.extend_from_slice(MAGIC);
    buf.extend_from_slice(&json);
    if buf.len() + 1 > HEADER_LEN as usize {
        return Err(Error::invalid("object key too long for the header"));
    }
    buf.resize(HEADER_LEN as usize - 1, b' ');
    buf.push(b'\n');
    Ok(buf)
}

type Parsed = ((String, Fixity), ());

fn parse_header(buf: &[u8]) -> std::result::Result<Parsed, String> {
    let body = buf
        .strip_prefix(MAGIC)
        .ok_or_else(|| "bad magic (not a vas object file)".to_string())?;
    let h: Header =
        serde_json::from_slice(body.trim_ascii_end()).map_err(|e| format!("bad header: {e}"))?;
    let alg: DigestAlgorithm = h
        .algorithm
        .parse()
        .map_err(|e: Error| format!("bad header: {}", e.message()))?;
    let fx =
        Fixity::new(alg, &h.digest, h.size).map_err(|e| format!("bad header: {}", e.message()))?;
    Ok(((h.key, fx), ()))
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::from(e).with_path(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn write_durably(dir: &Path, path: &Path, data: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| Error::from(e).with_path(path))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::from(e).with_path(path))?;
    sync_dir(dir)
}

fn is_orphan(pid: Option<u32>, entry: &fs::DirEntry) -> bool {
    let proc = Path::new("/proc/self");
    match pid {
        Some(p) if p == std::process::id() => false,
        Some(p) if proc.exists() => !Path::new(&format!("/proc/{p}")).exists(),
        _ => entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600)),
    }
}

#[cfg(unix)]
fn free_bytes(root: &Path) -> Option<u64> {
    rustix::fs::statvfs(root)
        .ok()
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_root: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StorageOfferExt;

    #[test]
    fn header_roundtrip_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let o = FilesystemOffer::open("t", dir.path()).unwrap();
        let k = ObjectKey::new("dir/été.txt").unwrap();
        o.put_bytes(&k, b"abc").unwrap();
        let p = o.object_path(&k);
        let raw = fs::read(&p).unwrap();
        assert_eq!(raw.len() as u64, HEADER_LEN + 3);
        assert_eq!(&raw[HEADER_LEN as usize..], b"abc");
        assert!(raw.starts_with(MAGIC));
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn refuses_foreign_folder() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("something"), b"x").unwrap();
        let e = FilesystemOffer::open("t", dir.path()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn orphan_of_dead_process_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let o = FilesystemOffer::open("t", dir.path()).unwrap();
        // pid 4194304 is above Linux's pid_max limit: never alive.
        let orphan = dir.path().join("tmp").join("4194304-1-0.tmp");
        fs::write(&orphan, b"partial").unwrap();
        let mine = o.tmp_path();
        fs::write(&mine, b"live").unwrap();
        assert_eq!(
            o.clean_orphans().unwrap(),
            usize::from(Path::new("/proc/self").exists())
        );
        assert!(mine.exists());
    }

    #[test]
    fn damaged_header_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let o = FilesystemOffer::open("t", dir.path()).unwrap();
        let k = ObjectKey::new("x").unwrap();
        o.put_bytes(&k, b"abc").unwrap();
        let p = o.object_path(&k);
        let mut raw = fs::read(&p).unwrap();
        raw[2] = b'#';
        fs::write(&p, raw).unwrap();
        assert_eq!(o.head(&k).unwrap_err().kind(), ErrorKind::Corrupt);
        assert!(o.list("").unwrap().is_empty());
        let d = o.damaged().unwrap();
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("bad magic"), "{d:?}");
        // A valid object file moved elsewhere in the tree is damaged too.
        let k2 = ObjectKey::new("y").unwrap();
        o.put_bytes(&k2, b"y").unwrap();
        let p2 = o.object_path(&k2);
        let other = o.root().join("objects/00/00");
        fs::create_dir_all(&other).unwrap();
        fs::rename(&p2, other.join("0000")).unwrap();
        assert_eq!(o.damaged().unwrap().len(), 2);
        assert!(o.list("").unwrap().is_empty());
    }
}
