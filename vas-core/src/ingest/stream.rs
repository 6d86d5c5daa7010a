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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use super::dry_run::{DryRunOptions, FormatHook};
use super::manifest::Manifest;
use crate::digest::{DigestAlgorithm, MultiHasher};
use crate::format::{FormatRegistry, Identification};
use crate::sip::SipReader;
use crate::{Error, Result};

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

/// Reads up to `buf.len()` bytes, fewer only at the end of the stream.
/// The algorithms to compute for each package entry: the platform's, plus each declared one.
fn algorithms_by_entry(
    m: &Manifest,
    platform_alg: DigestAlgorithm,
) -> HashMap<String, Vec<DigestAlgorithm>> {
    let mut algs_by_entry: HashMap<String, Vec<DigestAlgorithm>> = HashMap::new();
    for o in m.objects.iter().filter(|o| o.binary) {
        let Some(uri) = o.uri.as_deref() else {
            continue;
        };
        let e = algs_by_entry
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
    algs_by_entry
}

/// The number of hashing threads for these options: `opts.threads`, or rayon's pool size.
pub(crate) fn thread_count(opts: &DryRunOptions) -> usize {
    opts.threads
        .unwrap_or_else(rayon::current_num_threads)
        .clamp(1, 64)
}

/// Streams every object of the package once: size, digests (platform algorithm plus the
/// declared one) and, when a format referential is given, the identification.
pub(crate) fn stream_objects(
    reader: &mut SipReader,
    m: &Manifest,
    formats: Option<&Arc<FormatRegistry>>,
    platform_alg: DigestAlgorithm,
    opts: &DryRunOptions,
) -> Result<HashMap<String, Streamed>> {
    let algs_by_entry = algorithms_by_entry(m, platform_alg);
    let default_algs = vec![platform_alg];
    // The bytes this pass reads: every file but the manifest (read before, not streamed here),
    // so that `done` reaches `total` when the last object is read.
    let manifest = reader.manifest_name().map(str::to_owned);
    let total: u64 = reader
        .files()
        .filter(|e| Some(e.name.as_str()) != manifest.as_deref())
        .map(|e| e.size)
        .sum();
    let formats = formats.map(|f| &**f);
    let hook = opts.format_hook.as_ref();
    let threads = thread_count(opts);
    let mut done = 0u64;
    let mut progress = |n: usize| {
        done += n as u64;
        if let Some(p) = &opts.progress {
            p(done, total);
        }
        Error::check_cancel(opts.cancel.as_deref())
    };

    if threads == 1 {
        let mut out = HashMap::new();
        let mut buf = vec![0u8; CHUNK];
        let mut st = ObjectState::new(String::new(), &[], formats.is_some());
        reader.for_each_object(|entry, r| {
            let algs = algs_by_entry.get(&entry.name).unwrap_or(&default_algs);
            st.reset(entry.name.clone(), algs);
            loop {
                let n = crate::io_util::read_full(r, &mut buf)?;
                if n == 0 {
                    break;
                }
                st.update(&buf[..n]);
                progress(n)?;
            }
            let (name, s) = st.finish(formats, hook)?;
            out.insert(name, s);
            Ok(())
        })?;
        return Ok(out);
    }

    enum Msg {
        Start(String, Vec<DigestAlgorithm>),
        Data(Vec<u8>, usize),
        End,
    }
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..threads * BUFFERS_PER_WORKER {
        let _ = pool_tx.send(vec![0u8; CHUNK]);
    }
    let pending: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(threads);
        let mut handles = Vec::with_capacity(threads);
        for w in 0..threads {
            let (tx, rx) = mpsc::channel::<Msg>();
            senders.push(tx);
            let pool_tx = pool_tx.clone();
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
                    }
                }
                match err {
                    Some(e) => Err(e),
                    None => Ok(out),
                }
            }));
        }
        drop(pool_tx);
        let gone = || Error::internal("a hashing worker stopped");
        // A buffer taken from the pool but not sent (end of an object).
        let mut spare: Option<Vec<u8>> = None;
        let read = reader.for_each_object(|entry, r| {
            let w = (0..threads)
                .min_by_key(|&w| pending[w].load(Ordering::Relaxed))
                .unwrap_or(0);
            let algs = algs_by_entry
                .get(&entry.name)
                .unwrap_or(&default_algs)
                .clone();
            senders[w]
                .send(Msg::Start(entry.name.clone(), algs))
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
        });
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
}
