//! Streaming the objects of a package once, hashing them in parallel across objects.
//!
//! The package is read sequentially through [`SipReader::for_each_object`] (which keeps every
//! safety check of the reader: limits, CRCs, sizes, no link followed) and each object's
//! bytes are handed, in fixed-size chunks taken from a bounded pool of buffers, to one of
//! `threads` hashing workers. All the chunks of one object go to the same worker, in order
//! (a digest is sequential); a new object goes to the worker with the fewest pending bytes.
//! Nothing is written to disk, and the memory in use is bounded by the pool
//! (`threads × BUFFERS_PER_WORKER × CHUNK`) plus the format windows, whatever the sizes of
//! the objects. Results are keyed by entry name, so what the report says does not depend on
//! thread scheduling.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use super::dry_run::{DryRunOptions, FormatHook};
use super::manifest::Manifest;
use crate::digest::{DigestAlgorithm, MultiHasher};
use crate::format::{FormatRegistry, Identification};
use crate::sip::ObjectStream;
use crate::{Error, ErrorKind, Result};

/// Bytes of the beginning and of the end of an object kept for format identification.
pub(crate) const WINDOW: usize = 1 << 20;
/// Size of one chunk handed to a worker.
const CHUNK: usize = 256 * 1024;
/// Buffers in the pool per worker.
const BUFFERS_PER_WORKER: usize = 4;

/// What streaming one object gave.
#[derive(Debug, Clone)]
pub(crate) struct Streamed {
    /// Bytes read.
    pub size: u64,
    /// Every requested digest, lower-case hex.
    pub digests: Vec<(DigestAlgorithm, String)>,
    /// The identification, when a format referential was given.
    pub format: Option<Identification>,
}

/// A Read + Seek over the head and tail windows of a file, reading zeros in between: the
/// format engine only reads those windows (and the whole object when it is small, in which
/// case `head` holds all of it).
pub(crate) struct Sparse<'a> {
    pub head: &'a [u8],
    pub tail: &'a [u8],
    pub len: u64,
    pub pos: u64,
}

impl Read for Sparse<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let n = buf.len().min((self.len - self.pos) as usize);
        let out = &mut buf[..n];
        let tail_start = self.len - self.tail.len() as u64;
        // Whole runs at a time: head bytes, then zeros, then tail bytes.
        let mut done = 0usize;
        while done < n {
            let p = self.pos + done as u64;
            let left = n - done;
            let k = if p < self.head.len() as u64 {
                let k = left.min(self.head.len() - p as usize);
                out[done..done + k].copy_from_slice(&self.head[p as usize..p as usize + k]);
                k
            } else if p >= tail_start {
                let t = (p - tail_start) as usize;
                let k = left.min(self.tail.len() - t);
                out[done..done + k].copy_from_slice(&self.tail[t..t + k]);
                k
            } else {
                let k = left.min((tail_start - p) as usize);
                out[done..done + k].fill(0);
                k
            };
            done += k;
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Sparse<'_> {
    fn seek(&mut self, s: SeekFrom) -> std::io::Result<u64> {
        let p = match s {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
        };
        if p < 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        self.pos = p as u64;
        Ok(self.pos)
    }
}

/// The digests, size and format windows of one object being streamed. One state is reused
/// from object to object (per hashing thread), so that the window buffers are allocated once.
struct ObjectState {
    name: String,
    hasher: MultiHasher,
    windows: bool,
    /// The first `WINDOW` bytes (all of them for a small object).
    head: Vec<u8>,
    /// The bytes after `head`, trimmed to their last `WINDOW` once twice that is held.
    tail: Vec<u8>,
}

impl ObjectState {
    fn new(name: String, algs: &[DigestAlgorithm], windows: bool) -> Self {
        ObjectState {
            name,
            hasher: MultiHasher::new(algs),
            windows,
            head: Vec::new(),
            tail: Vec::new(),
        }
    }

    /// Starts the next object, keeping the buffers.
    fn reset(&mut self, name: String, algs: &[DigestAlgorithm]) {
        self.name = name;
        self.hasher = MultiHasher::new(algs);
        self.head.clear();
        self.tail.clear();
    }

    fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        if self.windows {
            let take = (WINDOW - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            // Only what the head does not hold goes to the tail (a small object is copied
            // once); append, and trim once twice the window is held, so that every byte is
            // copied a bounded number of times.
            let rest = &chunk[take..];
            if rest.len() >= WINDOW {
                self.tail.clear();
                self.tail.extend_from_slice(&rest[rest.len() - WINDOW..]);
            } else if !rest.is_empty() {
                self.tail.extend_from_slice(rest);
                if self.tail.len() >= 2 * WINDOW {
                    let cut = self.tail.len() - WINDOW;
                    self.tail.drain(..cut);
                }
            }
        }
    }

    /// The last `min(WINDOW, size)` bytes of the object (`head` and `tail` are contiguous
    /// until the tail is first trimmed, after which it holds at least `WINDOW` bytes).
    fn last_window(&mut self) -> &[u8] {
        if self.tail.len() < WINDOW {
            let k = (WINDOW - self.tail.len()).min(self.head.len());
            let from = &self.head[self.head.len() - k..];
            self.tail.splice(0..0, from.iter().copied());
        }
        let n = self.tail.len();
        &self.tail[n - n.min(WINDOW)..]
    }

    /// The object's results; the state can then be [`reset`](Self::reset) for the next one.
    fn finish(
        &mut self,
        formats: Option<&FormatRegistry>,
        hook: Option<&FormatHook>,
    ) -> Result<(String, Streamed)> {
        let name = std::mem::take(&mut self.name);
        let hasher = std::mem::replace(&mut self.hasher, MultiHasher::new(&[]));
        let size = hasher.len();
        let format = match (formats, hook) {
            (Some(_), Some(hook)) => Some(hook(&name, &self.head, size)),
            (Some(f), None) => {
                let hint = name.rsplit('/').next();
                if size <= self.head.len() as u64 {
                    // The whole object is in memory: identify it from there, no reader.
                    Some(f.identify_bytes(&self.head, hint))
                } else {
                    self.last_window();
                    let n = self.tail.len();
                    let sparse = Sparse {
                        head: &self.head,
                        tail: &self.tail[n - n.min(WINDOW)..],
                        len: size,
                        pos: 0,
                    };
                    Some(
                        f.identify_reader(sparse, hint)
                            .map_err(|e| e.or_path(&name))?,
                    )
                }
            }
            (None, _) => None,
        };
        Ok((
            name,
            Streamed {
                size,
                digests: hasher.finalize(),
                format,
            },
        ))
    }
}

/// The algorithms to compute for each package entry: the platform's, plus each declared one.
pub(crate) struct AlgPlan {
    by_entry: HashMap<String, Vec<DigestAlgorithm>>,
    default: Vec<DigestAlgorithm>,
}

impl AlgPlan {
    /// The platform algorithm for every entry, plus the algorithm the manifest declares for
    /// each of its binary objects.
    pub(crate) fn from_manifest(m: &Manifest, platform_alg: DigestAlgorithm) -> AlgPlan {
        let mut by_entry: HashMap<String, Vec<DigestAlgorithm>> = HashMap::new();
        for o in m.objects.iter().filter(|o| o.binary) {
            let Some(uri) = o.uri.as_deref() else {
                continue;
            };
            let e = by_entry
                .entry(uri.trim_start_matches("./").to_string())
                .or_insert_with(|| vec![platform_alg]);
            if let Some(a) = DigestAlgorithm::ALL
                .iter()
                .find(|a| Some(a.seda_name()) == o.algorithm.as_deref())
                && !e.contains(a)
            {
                e.push(*a);
            }
        }
        // Sorted and without repeats, the order of `MultiHasher::finalize`.
        for v in by_entry.values_mut() {
            v.sort();
            v.dedup();
        }
        AlgPlan {
            by_entry,
            default: vec![platform_alg],
        }
    }

    /// The platform algorithm only, for every entry (what the early pass computed before
    /// [`AlgPlan::platform_and_declared`]; the tests compare the two).
    #[cfg(test)]
    pub(crate) fn platform_only(platform_alg: DigestAlgorithm) -> AlgPlan {
        AlgPlan {
            by_entry: HashMap::new(),
            default: vec![platform_alg],
        }
    }

    /// For every entry, the platform algorithm plus every algorithm the manifest's bytes
    /// declare (`algorithm="…"` with a SEDA name, wherever it appears): what the early pass
    /// of the dry run can compute before the manifest is parsed, so that a SIP declaring
    /// another algorithm than the platform's (SHA-256, MD5 …) is read once, not twice. A
    /// byte scan, not a parse: an algorithm seen outside a `MessageDigest` only costs its
    /// hashing; one it misses is completed by [`complete_digests`].
    pub(crate) fn platform_and_declared(platform_alg: DigestAlgorithm, manifest: &[u8]) -> AlgPlan {
        let mut default = vec![platform_alg];
        let key = b"algorithm=";
        for i in memchr::memmem::find_iter(manifest, key) {
            let v = i + key.len();
            let Some(&q) = manifest.get(v) else { break };
            if q != b'"' && q != b'\'' {
                continue;
            }
            let Some(len) = manifest[v + 1..].iter().take(16).position(|&c| c == q) else {
                continue;
            };
            let value = &manifest[v + 1..v + 1 + len];
            if let Some(a) = DigestAlgorithm::ALL
                .iter()
                .find(|a| a.seda_name().as_bytes() == value)
                && !default.contains(a)
            {
                default.push(*a);
            }
        }
        // Sorted, the order of `MultiHasher::finalize`.
        default.sort();
        AlgPlan {
            by_entry: HashMap::new(),
            default,
        }
    }

    fn get(&self, name: &str) -> &[DigestAlgorithm] {
        self.by_entry.get(name).unwrap_or(&self.default)
    }
}

/// The number of hashing threads for these options: `opts.threads`, or rayon's pool size.
pub(crate) fn thread_count(opts: &DryRunOptions) -> usize {
    opts.threads
        .unwrap_or_else(rayon::current_num_threads)
        .clamp(1, 64)
}

/// Entries of at most this many bytes are read whole and hashed in batches (when batching
/// pays, see [`batch_size`]); bigger ones are streamed in chunks.
pub(crate) const SMALL: u64 = 4 << 20;
/// A batch is handed over once it holds this many bytes (or `batch_size` entries): with the
/// largest small entry, one batch buffer never exceeds `BATCH_BYTES + SMALL`.
const BATCH_BYTES: usize = 8 << 20;

/// How many small entries are hashed together: `opts.batch` when set (tests force batching
/// on the scalar path with it), else what the digest engine prefers for the platform
/// algorithm on this CPU. 1: no batching, every entry is streamed.
pub(crate) fn batch_size(opts: &DryRunOptions, platform_alg: DigestAlgorithm) -> usize {
    opts.batch
        .unwrap_or_else(|| crate::digest::preferred_batch(platform_alg))
        .clamp(1, 64)
}

/// Small entries read whole, one after the other in one buffer, waiting to be hashed
/// together.
#[derive(Default)]
struct Batch {
    /// The entries' bytes, back to back (`used` of them are meaningful; the rest is kept
    /// allocated for the next batch).
    data: Vec<u8>,
    used: usize,
    items: Vec<(String, Vec<DigestAlgorithm>, std::ops::Range<usize>)>,
}

impl Batch {
    /// Reads the whole entry (at most `size` bytes: the reader refuses an entry holding
    /// more than it declares) into the batch, `CHUNK` at a time.
    fn read_entry(
        &mut self,
        name: &str,
        algs: &[DigestAlgorithm],
        size: u64,
        r: &mut dyn Read,
        progress: &mut dyn FnMut(usize) -> Result<()>,
    ) -> Result<()> {
        let start = self.used;
        let end = start + size as usize;
        if self.data.len() < end {
            // Grows (and zeroes) only past the high-water mark of earlier batches.
            self.data.resize(end, 0);
        }
        let mut at = start;
        while at < end {
            let k = (end - at).min(CHUNK);
            let n = crate::io_util::read_full(r, &mut self.data[at..at + k])?;
            at += n;
            progress(n)?;
            if n < k {
                // Shorter than declared: the reader reports it when the entry ends.
                break;
            }
        }
        if at == end {
            // One more read, as streaming does: it meets the end of the entry there (where a
            // zip entry's CRC is checked), so that a damaged entry fails the same way.
            let mut probe = [0u8; 1];
            let n = crate::io_util::read_full(r, &mut probe)?;
            if n > 0 {
                return Err(Error::new(
                    ErrorKind::Corrupt,
                    format!("entry holds more than the {size} bytes it declares"),
                )
                .with_path(name));
            }
        }
        self.used = at;
        self.items
            .push((name.to_string(), algs.to_vec(), start..at));
        Ok(())
    }

    fn is_full(&self, batch: usize) -> bool {
        self.items.len() >= batch || self.used >= BATCH_BYTES
    }

    fn clear(&mut self) {
        self.used = 0;
        self.items.clear();
    }

    /// Hashes the entries together ([`crate::digest::digest_many_hex`], one call per
    /// algorithm) and identifies each from its bytes; the batch is then empty.
    fn hash(
        &mut self,
        formats: Option<&FormatRegistry>,
        hook: Option<&FormatHook>,
        out: &mut Vec<(String, Streamed)>,
    ) -> Result<()> {
        let mut digests: Vec<Vec<(DigestAlgorithm, String)>> = vec![Vec::new(); self.items.len()];
        let mut algs: Vec<DigestAlgorithm> = self
            .items
            .iter()
            .flat_map(|(_, a, _)| a.iter().copied())
            .collect();
        algs.sort();
        algs.dedup();
        // Ascending algorithms: each entry's list ends up sorted, as `MultiHasher` gives it.
        for alg in algs {
            let which: Vec<usize> = (0..self.items.len())
                .filter(|&i| self.items[i].1.contains(&alg))
                .collect();
            let inputs: Vec<&[u8]> = which
                .iter()
                .map(|&i| &self.data[self.items[i].2.clone()])
                .collect();
            for (i, d) in which
                .iter()
                .zip(crate::digest::digest_many_hex(alg, &inputs))
            {
                digests[*i].push((alg, d));
            }
        }
        for ((name, _, range), digests) in self.items.drain(..).zip(digests) {
            let bytes = &self.data[range];
            let format = identify_whole(&name, bytes, formats, hook)?;
            out.push((
                name,
                Streamed {
                    size: bytes.len() as u64,
                    digests,
                    format,
                },
            ));
        }
        self.used = 0;
        Ok(())
    }
}

/// The identification of an object held whole in memory, the same as
/// `ObjectState::finish` gives from the windows it keeps while streaming: the whole object
/// when it fits the head window, else its first and last `WINDOW` bytes.
fn identify_whole(
    name: &str,
    bytes: &[u8],
    formats: Option<&FormatRegistry>,
    hook: Option<&FormatHook>,
) -> Result<Option<Identification>> {
    let size = bytes.len() as u64;
    let head = &bytes[..bytes.len().min(WINDOW)];
    Ok(match (formats, hook) {
        (Some(_), Some(hook)) => Some(hook(name, head, size)),
        (Some(f), None) => {
            let hint = name.rsplit('/').next();
            if bytes.len() <= WINDOW {
                Some(f.identify_bytes(bytes, hint))
            } else {
                let sparse = Sparse {
                    head,
                    tail: &bytes[bytes.len() - WINDOW..],
                    len: size,
                    pos: 0,
                };
                Some(
                    f.identify_reader(sparse, hint)
                        .map_err(|e| e.or_path(name))?,
                )
            }
        }
        (None, _) => None,
    })
}

/// Streams every object of the package once: size, digests (the algorithms of `plan`)
/// and, when a format referential is given, the identification. Entries up to [`SMALL`]
/// bytes are read whole and hashed [`batch_size`] at a time when that is more than one.
/// `stop`, when it becomes true, ends the pass early with an error (its result is then not
/// wanted).
pub(crate) fn stream_objects(
    stream: &mut ObjectStream,
    plan: &AlgPlan,
    formats: Option<&Arc<FormatRegistry>>,
    platform_alg: DigestAlgorithm,
    opts: &DryRunOptions,
    stop: Option<&AtomicBool>,
) -> Result<HashMap<String, Streamed>> {
    // The bytes this pass reads: every file but the manifest (read before, not streamed here),
    // so that `done` reaches `total` when the last object is read.
    let total: u64 = stream.objects().map(|e| e.size).sum();
    let formats = formats.map(|f| &**f);
    let hook = opts.format_hook.as_ref();
    let threads = thread_count(opts);
    let batch = batch_size(opts, platform_alg);
    let mut done = 0u64;
    let mut progress = |n: usize| {
        done += n as u64;
        if let Some(p) = &opts.progress {
            p(done, total);
        }
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return Err(Error::internal("object streaming abandoned"));
        }
        Error::check_cancel(opts.cancel.as_deref())
    };

    if threads == 1 {
        let mut out = Vec::new();
        let mut buf = vec![0u8; CHUNK];
        let mut st = ObjectState::new(String::new(), &[], formats.is_some());
        let mut b = Batch::default();
        stream.for_each_object_where(
            |_| true,
            |entry, r| {
                let algs = plan.get(&entry.name);
                if batch > 1 && entry.size <= SMALL {
                    b.read_entry(&entry.name, algs, entry.size, r, &mut progress)?;
                    if b.is_full(batch) {
                        b.hash(formats, hook, &mut out)?;
                    }
                    return Ok(());
                }
                st.reset(entry.name.clone(), algs);
                loop {
                    let n = crate::io_util::read_full(r, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    st.update(&buf[..n]);
                    progress(n)?;
                }
                out.push(st.finish(formats, hook)?);
                Ok(())
            },
        )?;
        b.hash(formats, hook, &mut out)?;
        return Ok(out.into_iter().collect());
    }

    enum Msg {
        Start(String, Vec<DigestAlgorithm>),
        Data(Vec<u8>, usize),
        End,
        Batch(Batch),
    }
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..threads * BUFFERS_PER_WORKER {
        let _ = pool_tx.send(vec![0u8; CHUNK]);
    }
    // Batch buffers: one being filled while one per worker is hashed; each grows to what
    // its batches hold, at most `BATCH_BYTES + SMALL`.
    let (batch_tx, batch_rx) = mpsc::channel::<Batch>();
    if batch > 1 {
        for _ in 0..threads {
            let _ = batch_tx.send(Batch::default());
        }
    }
    let pending: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(threads);
        let mut handles = Vec::with_capacity(threads);
        for w in 0..threads {
            let (tx, rx) = mpsc::channel::<Msg>();
            senders.push(tx);
            let pool_tx = pool_tx.clone();
            let batch_tx = batch_tx.clone();
            let pending = &pending[w];
            handles.push(scope.spawn(move || {
                let mut out: Vec<(String, Streamed)> = Vec::new();
                let mut err: Option<Error> = None;
                let mut st = ObjectState::new(String::new(), &[], formats.is_some());
                let mut open = false;
                for msg in rx {
                    match msg {
                        Msg::Start(name, algs) => {
                            st.reset(name, &algs);
                            open = true;
                        }
                        Msg::Data(buf, n) => {
                            if open {
                                st.update(&buf[..n]);
                            }
                            pending.fetch_sub(n as u64, Ordering::Relaxed);
                            let _ = pool_tx.send(buf);
                        }
                        Msg::End => {
                            if std::mem::take(&mut open) && err.is_none() {
                                match st.finish(formats, hook) {
                                    Ok(r) => out.push(r),
                                    Err(e) => err = Some(e),
                                }
                            }
                        }
                        Msg::Batch(mut b) => {
                            let n = b.used as u64;
                            if err.is_none()
                                && let Err(e) = b.hash(formats, hook, &mut out)
                            {
                                err = Some(e);
                            }
                            b.clear();
                            pending.fetch_sub(n, Ordering::Relaxed);
                            let _ = batch_tx.send(b);
                        }
                    }
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(out),
                }
            }));
        }
        drop(pool_tx);
        drop(batch_tx);
        let gone = || Error::internal("a hashing worker stopped");
        let least_pending = || {
            (0..threads)
                .min_by_key(|&w| pending[w].load(Ordering::Relaxed))
                .unwrap_or(0)
        };
        // A buffer taken from the pool but not sent (end of an object).
        let mut spare: Option<Vec<u8>> = None;
        // The batch being filled.
        let mut filling: Option<Batch> = None;
        let send_batch = |b: Batch| -> Result<()> {
            let w = least_pending();
            pending[w].fetch_add(b.used as u64, Ordering::Relaxed);
            senders[w].send(Msg::Batch(b)).map_err(|_| gone())
        };
        let read = stream.for_each_object_where(
            |_| true,
            |entry, r| {
                let algs = plan.get(&entry.name);
                if batch > 1 && entry.size <= SMALL {
                    let mut b = match filling.take() {
                        Some(b) => b,
                        None => batch_rx.recv().map_err(|_| gone())?,
                    };
                    b.read_entry(&entry.name, algs, entry.size, r, &mut progress)?;
                    if b.is_full(batch) {
                        send_batch(b)?;
                    } else {
                        filling = Some(b);
                    }
                    return Ok(());
                }
                let w = least_pending();
                senders[w]
                    .send(Msg::Start(entry.name.clone(), algs.to_vec()))
                    .map_err(|_| gone())?;
                loop {
                    let mut buf = match spare.take() {
                        Some(b) => b,
                        None => pool_rx.recv().map_err(|_| gone())?,
                    };
                    let n = crate::io_util::read_full(r, &mut buf)?;
                    if n == 0 {
                        spare = Some(buf);
                        break;
                    }
                    pending[w].fetch_add(n as u64, Ordering::Relaxed);
                    senders[w].send(Msg::Data(buf, n)).map_err(|_| gone())?;
                    progress(n)?;
                    if n < CHUNK {
                        break;
                    }
                }
                senders[w].send(Msg::End).map_err(|_| gone())
            },
        );
        let read = match (read, filling.take()) {
            (Ok(()), Some(b)) if !b.items.is_empty() => send_batch(b),
            (r, _) => r,
        };
        drop(senders);
        let mut out = HashMap::new();
        let mut first_err = read.err();
        for h in handles {
            match h.join() {
                Ok(Ok(v)) => out.extend(v),
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(_) => {
                    first_err.get_or_insert_with(|| Error::internal("a hashing worker panicked"));
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    })
}

/// Adds to `streamed` the digests that `plan` asks for and that a first pass computed
/// without (it ran before the manifest was parsed): only the entries concerned are read
/// again, on this thread. The sizes and identifications of the first pass are kept.
/// Returns the bytes read again (0 when the first pass computed everything).
pub(crate) fn complete_digests(
    stream: &mut ObjectStream,
    plan: &AlgPlan,
    streamed: &mut HashMap<String, Streamed>,
    opts: &DryRunOptions,
) -> Result<u64> {
    let missing = |name: &str| -> Vec<DigestAlgorithm> {
        let have = streamed.get(name);
        plan.get(name)
            .iter()
            .copied()
            .filter(|a| have.is_some_and(|s| !s.digests.iter().any(|(h, _)| h == a)))
            .collect()
    };
    let todo: HashMap<String, Vec<DigestAlgorithm>> = stream
        .objects()
        .map(|e| (e.name.clone(), missing(&e.name)))
        .filter(|(_, m)| !m.is_empty())
        .collect();
    if todo.is_empty() {
        return Ok(0);
    }
    let mut found: Vec<(String, Vec<(DigestAlgorithm, String)>)> = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    let mut reread = 0u64;
    stream.for_each_object_where(
        |e| todo.contains_key(&e.name),
        |entry, r| {
            let Some(algs) = todo.get(&entry.name) else {
                return Ok(());
            };
            let mut h = MultiHasher::new(algs);
            loop {
                let n = crate::io_util::read_full(r, &mut buf)?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
                reread += n as u64;
                Error::check_cancel(opts.cancel.as_deref())?;
            }
            found.push((entry.name.clone(), h.finalize()));
            Ok(())
        },
    )?;
    for (name, more) in found {
        if let Some(s) = streamed.get_mut(&name) {
            s.digests.extend(more);
            s.digests.sort_by_key(|(a, _)| *a);
        }
    }
    Ok(reread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_reader_reads_windows() {
        let mut s = Sparse {
            head: b"ab",
            tail: b"yz",
            len: 6,
            pos: 0,
        };
        let mut v = Vec::new();
        s.read_to_end(&mut v).unwrap();
        assert_eq!(v, b"ab\0\0yz");
        s.seek(SeekFrom::End(-1)).unwrap();
        let mut b = [0u8; 4];
        assert_eq!(s.read(&mut b).unwrap(), 1);
        assert_eq!(b[0], b'z');
        // Reads that straddle the runs, one byte at a time and in odd sizes.
        for step in [1, 3, 5, 7] {
            s.seek(SeekFrom::Start(1)).unwrap();
            let mut got = Vec::new();
            let mut b = vec![0u8; step];
            loop {
                let n = s.read(&mut b).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&b[..n]);
            }
            assert_eq!(got, b"b\0\0yz", "step {step}");
        }
        // Overlapping windows (a whole small object in both) read the object itself.
        let data = b"hello world";
        let mut s = Sparse {
            head: data,
            tail: &data[4..],
            len: data.len() as u64,
            pos: 0,
        };
        let mut v = Vec::new();
        s.read_to_end(&mut v).unwrap();
        assert_eq!(v, data);
    }

    #[test]
    fn windows_keep_the_first_and_last_bytes() {
        for len in [
            0,
            10,
            WINDOW - 1,
            WINDOW,
            WINDOW + 1,
            WINDOW + 777,
            2 * WINDOW - 3,
            2 * WINDOW + 5,
            3 * WINDOW + 12345,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            // One state reused across lengths and chunkings, as the hashing threads do.
            let mut st = ObjectState::new(String::new(), &[], true);
            for chunk in [1000, CHUNK, WINDOW, 2 * WINDOW + 7] {
                st.reset("x".into(), &[DigestAlgorithm::Sha256]);
                for c in data.chunks(chunk) {
                    st.update(c);
                }
                let h = len.min(WINDOW);
                assert_eq!(st.head, &data[..h], "len {len} chunk {chunk}");
                if len > WINDOW {
                    assert!(st.tail.len() < 2 * WINDOW + chunk);
                    let tail = st.last_window().to_vec();
                    assert_eq!(tail, &data[len - WINDOW..], "len {len} chunk {chunk}");
                } else {
                    assert!(st.tail.is_empty(), "a small object is held once");
                }
                let (name, s) = st.finish(None, None).unwrap();
                assert_eq!((name.as_str(), s.size), ("x", len as u64));
                assert_eq!(
                    s.digests[0].1,
                    crate::digest::digest_bytes(DigestAlgorithm::Sha256, &data)
                );
            }
        }
    }

    /// Identification from the windows kept while hashing is the identification of the
    /// whole object held in memory (the oracle), small and large objects alike.
    #[test]
    fn identification_from_windows_equals_whole_object() {
        let reg = FormatRegistry::bundled().unwrap();
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n".to_vec();
        let mut big_pdf = pdf.clone();
        big_pdf.resize(3 * WINDOW + 99, b' ');
        big_pdf.extend_from_slice(b"\n%%EOF\n");
        pdf.extend_from_slice(b"%%EOF\n");
        let mut png =
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde".to_vec();
        png.resize(WINDOW + 5000, 7);
        png.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
        let text = b"plain text, nothing else\n".repeat(100);
        let mut st = ObjectState::new(String::new(), &[], true);
        for (name, data) in [
            ("Content/a.pdf", &pdf),
            ("Content/b.pdf", &big_pdf),
            ("Content/c.png", &png),
            ("Content/d.txt", &text),
        ] {
            st.reset(name.into(), &[DigestAlgorithm::Sha512]);
            for c in data.chunks(CHUNK) {
                st.update(c);
            }
            let (_, s) = st.finish(Some(&reg), None).unwrap();
            let hint = name.rsplit('/').next();
            let mut want = reg.identify_bytes(data, hint);
            if data.len() > 2 * WINDOW {
                // The large objects' middle is not kept: the oracle sees zeros there too.
                let mut sparse = data.clone();
                sparse[WINDOW..data.len() - WINDOW].fill(0);
                want = reg.identify_bytes(&sparse, hint);
            }
            assert_eq!(s.format.as_ref(), Some(&want), "{name}");
            assert!(!want.is_unknown(), "{name}: {want:?}");
        }
    }

    /// The early pass of the dry run (before the manifest is parsed) hashes with the
    /// algorithms the manifest's bytes declare, so that completing the digests the parsed
    /// manifest asks for reads nothing again; with the platform algorithm only (as before),
    /// every declared-elsewhere entry was read twice. Oracle: `digest_bytes`.
    #[test]
    fn early_pass_hashes_declared_algorithms_in_one_read() {
        use crate::digest::digest_bytes;
        use crate::sip::{Limits, PackageFormat, PackageWriter, SipReader, WriterOptions};
        let dir = tempfile::tempdir().unwrap();
        let small = b"a small object, hashed in a batch".to_vec();
        // Larger than SMALL: streamed in chunks through the workers.
        let big: Vec<u8> = (0..SMALL as usize + 12_345)
            .map(|i| (i % 251) as u8)
            .collect();
        let platform = DigestAlgorithm::Sha512;
        // SHA-256 (double quotes) for one, MD5 (single quotes) for the other.
        let manifest = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"><DataObjectPackage>
<DataObjectGroup id="G1">
<BinaryDataObject id="B1"><Uri>Content/small.txt</Uri><MessageDigest algorithm="SHA-256">{}</MessageDigest></BinaryDataObject>
<BinaryDataObject id="B2"><Uri>Content/big.bin</Uri><MessageDigest algorithm='MD5'>{}</MessageDigest></BinaryDataObject>
</DataObjectGroup></DataObjectPackage></ArchiveTransfer>"#,
            digest_bytes(DigestAlgorithm::Sha256, &small),
            digest_bytes(DigestAlgorithm::Md5, &big),
        );
        let sip = dir.path().join("sip.zip");
        let mut w = PackageWriter::create(&sip, WriterOptions::new(PackageFormat::Zip)).unwrap();
        w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
        w.add_bytes("Content/small.txt", &small).unwrap();
        w.add_bytes("Content/big.bin", &big).unwrap();
        w.finish().unwrap();
        // What the parsed manifest asks for (`AlgPlan::from_manifest`'s shape).
        let full = AlgPlan {
            by_entry: HashMap::from([
                (
                    "Content/small.txt".to_string(),
                    vec![DigestAlgorithm::Sha256, platform],
                ),
                (
                    "Content/big.bin".to_string(),
                    vec![DigestAlgorithm::Md5, platform],
                ),
            ]),
            default: vec![platform],
        };
        let early = AlgPlan::platform_and_declared(platform, manifest.as_bytes());
        assert_eq!(
            early.default,
            vec![DigestAlgorithm::Md5, DigestAlgorithm::Sha256, platform]
        );
        for threads in [1, 2] {
            let opts = DryRunOptions {
                threads: Some(threads),
                ..Default::default()
            };
            let mut reader = SipReader::open(&sip, Limits::default()).unwrap();
            let mut stream = reader.object_stream();
            // Before: the platform algorithm only, then every entry read again.
            let only = AlgPlan::platform_only(platform);
            let mut before =
                stream_objects(&mut stream, &only, None, platform, &opts, None).unwrap();
            let reread = complete_digests(&mut stream, &full, &mut before, &opts).unwrap();
            assert_eq!(
                reread,
                (small.len() + big.len()) as u64,
                "threads {threads}"
            );
            // Now: one read.
            let mut after =
                stream_objects(&mut stream, &early, None, platform, &opts, None).unwrap();
            let reread = complete_digests(&mut stream, &full, &mut after, &opts).unwrap();
            assert_eq!(reread, 0, "threads {threads}");
            for (name, data, declared) in [
                ("Content/small.txt", &small, DigestAlgorithm::Sha256),
                ("Content/big.bin", &big, DigestAlgorithm::Md5),
            ] {
                for got in [&before[name], &after[name]] {
                    assert_eq!(got.size, data.len() as u64);
                    for alg in [declared, platform] {
                        let d = got.digests.iter().find(|(a, _)| *a == alg);
                        assert_eq!(
                            d.map(|(_, d)| d.clone()),
                            Some(digest_bytes(alg, data)),
                            "{name} {alg}"
                        );
                    }
                }
            }
        }
        // A manifest declaring only the platform algorithm (or an unknown spelling) adds
        // nothing to hash.
        let plain = AlgPlan::platform_and_declared(
            platform,
            br#"<M algorithm="SHA-512">x</M><M algorithm="sha256">y</M><M algorithm=>"#,
        );
        assert_eq!(plain.default, vec![platform]);
    }
}
