//! Streaming package writer: zip (zip64 when needed) and tar / tar.gz.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::Path;
use std::sync::{Arc, mpsc};

use super::Limits;
use super::names::check_entry_name;
use super::zipout::{Deflated, Deflater, ZipOut};
use crate::digest::{DigestAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

/// The container written by [`PackageWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PackageFormat {
    /// Zip, with zip64 records when an entry or the archive needs them.
    #[default]
    Zip,
    /// Uncompressed tar (GNU headers for long names).
    Tar,
    /// Gzip-compressed tar.
    TarGz,
}

impl PackageFormat {
    /// Guesses the format from an output file name: `.tar`, `.tar.gz`/`.tgz`, else zip.
    ///
    /// ```
    /// use vas_core::sip::PackageFormat;
    /// assert_eq!(PackageFormat::from_file_name("out.tgz"), PackageFormat::TarGz);
    /// assert_eq!(PackageFormat::from_file_name("out.zip"), PackageFormat::Zip);
    /// ```
    pub fn from_file_name(name: &str) -> PackageFormat {
        let n = name.to_ascii_lowercase();
        if n.ends_with(".tar.gz") || n.ends_with(".tgz") {
            PackageFormat::TarGz
        } else if n.ends_with(".tar") {
            PackageFormat::Tar
        } else {
            PackageFormat::Zip
        }
    }
}

/// How a zip entry's data is stored (the whole stream is compressed for tar.gz).
///
/// A deflated zip entry of at most 1 MiB is compressed whole by libdeflate at the level
/// given (about 1.4–1.8× faster than zlib at the same level, and as small or smaller); a
/// longer one is streamed through zlib-rs in fixed pieces, with flat memory. Which one
/// depends only on the entry's length, so the bytes depend only on the data, whichever
/// way it was added and however many threads wrote the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// No compression.
    Stored,
    /// Deflate, with a level from 0 to 9.
    Deflated(u32),
    /// Deflate with this level, unless the entry's first 16 KiB look incompressible (order-0
    /// entropy of at least 7.8 bits per byte: JPEG, PNG, ZIP, video, encrypted or random
    /// data), in which case the entry is stored: deflating such data costs several times the
    /// hashing and gains nothing. The decision depends only on the data, so deterministic
    /// output stays deterministic.
    Auto(u32),
}

/// Bytes looked at by [`Compression::Auto`].
const PROBE: usize = 16 * 1024;

/// The fewest distinct byte values whose entropy can reach 7.8 bits (2^7.8 = 222.9).
const ENTROPY_MIN_DISTINCT: usize = 223;

/// Whether `data` looks incompressible (order-0 entropy ≥ 7.8 bits per byte; empty or tiny
/// samples, below 1 KiB, are deflated).
pub(crate) fn looks_incompressible(data: &[u8]) -> bool {
    if data.len() < 1024 {
        return false;
    }
    // Four histograms: no store-to-load dependency between consecutive bytes.
    let mut c4 = [[0u32; 256]; 4];
    let mut it = data.chunks_exact(4);
    for q in &mut it {
        c4[0][q[0] as usize] += 1;
        c4[1][q[1] as usize] += 1;
        c4[2][q[2] as usize] += 1;
        c4[3][q[3] as usize] += 1;
    }
    for &b in it.remainder() {
        c4[0][b as usize] += 1;
    }
    let mut counts = [0u32; 256];
    let mut distinct = 0usize;
    for (i, c) in counts.iter_mut().enumerate() {
        *c = c4[0][i] + c4[1][i] + c4[2][i] + c4[3][i];
        distinct += usize::from(*c > 0);
    }
    // The entropy of `k` distinct values is at most log2(k), and log2(222) = 7.794 < 7.8:
    // below 223 distinct bytes (text, XML, most documents) the answer is known without the
    // logarithms.
    if distinct < ENTROPY_MIN_DISTINCT {
        return false;
    }
    let n = data.len() as f64;
    let h: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    h >= 7.8
}

impl Default for Compression {
    fn default() -> Self {
        Compression::Deflated(6)
    }
}

/// Options of a [`PackageWriter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    /// The container format.
    pub format: PackageFormat,
    /// The digest algorithm computed for every entry while it is written (SHA-512).
    pub algorithm: DigestAlgorithm,
    /// Default compression of zip entries (deflate level 6); tar.gz uses its level for the
    /// stream.
    pub compression: Compression,
    /// Fixed timestamps (1980-01-01 for zip, the Unix epoch for tar unless
    /// [`WriterOptions::mtime`] is set), fixed permissions and owners: the same entries
    /// in the same order give the same bytes (with the same version of vas: another
    /// version may compress differently).
    pub deterministic: bool,
    /// The modification time written on every entry, as a Unix timestamp; `None` means
    /// now (or the fixed time when deterministic).
    pub mtime: Option<i64>,
}

impl WriterOptions {
    /// Defaults for `format`: SHA-512, deflate level 6, not deterministic.
    pub fn new(format: PackageFormat) -> Self {
        WriterOptions {
            format,
            algorithm: DigestAlgorithm::Sha512,
            compression: Compression::default(),
            deterministic: false,
            mtime: None,
        }
    }

    /// Sets the digest algorithm.
    pub fn algorithm(mut self, algorithm: DigestAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Sets the default compression.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Makes the output deterministic.
    pub fn deterministic(mut self, yes: bool) -> Self {
        self.deterministic = yes;
        self
    }

    /// Sets the modification time of every entry (Unix timestamp).
    pub fn mtime(mut self, unix: i64) -> Self {
        self.mtime = Some(unix);
        self
    }
}

/// What was written for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenEntry {
    /// Entry name.
    pub name: String,
    /// Lower-case hex digest of the data, with [`WrittenEntry::algorithm`].
    pub digest: String,
    /// The algorithm of [`WrittenEntry::digest`].
    pub algorithm: DigestAlgorithm,
    /// Size in bytes.
    pub size: u64,
}

enum Inner<W: Write + Seek> {
    Zip(Box<ZipOut<W>>),
    Tar(tar::Builder<W>),
    TarGz(Box<tar::Builder<flate2::write::GzEncoder<W>>>),
    Done,
}

/// A streaming package writer. Entries are written in the order they are added; each is
/// hashed while written, and memory use does not depend on entry sizes.
///
/// ```
/// use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};
///
/// let opts = WriterOptions::new(PackageFormat::Zip).deterministic(true);
/// let build = || {
///     let mut w = PackageWriter::new(std::io::Cursor::new(Vec::new()), opts.clone()).unwrap();
///     w.add_bytes("manifest.xml", b"<ArchiveTransfer/>").unwrap();
///     let e = w.add_reader("Content/a.txt", &b"hello"[..], Some(5)).unwrap();
///     assert_eq!(e.size, 5);
///     w.finish().unwrap().into_inner()
/// };
/// assert_eq!(build(), build()); // same input, same bytes
/// ```
pub struct PackageWriter<W: Write + Seek> {
    inner: Inner<W>,
    opts: WriterOptions,
    names: HashSet<String>,
    written: Vec<WrittenEntry>,
    tar_mtime: u64,
    /// The copy buffer, reused for every entry (large reads and writes: fewer syscalls
    /// than `io::copy`'s 8 KiB).
    buf: Vec<u8>,
}

impl PackageWriter<BufWriter<File>> {
    /// Creates `path` (which must not exist) and writes a package into it.
    pub fn create(path: impl AsRef<Path>, opts: WriterOptions) -> Result<Self> {
        let path = path.as_ref();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::from(e).with_path(path))?;
        PackageWriter::new(BufWriter::with_capacity(256 * 1024, f), opts)
    }
}

impl<W: Write + Seek> PackageWriter<W> {
    /// Writes a package into `w`.
    pub fn new(w: W, opts: WriterOptions) -> Result<Self> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let unix = match (opts.mtime, opts.deterministic) {
            (Some(t), _) => t,
            (None, true) => 315_532_800, // 1980-01-01T00:00:00Z, the zip epoch
            (None, false) => now,
        };
        let zip_time = zip_datetime(unix)?;
        let tar_mtime = if opts.deterministic && opts.mtime.is_none() {
            0
        } else {
            unix.max(0) as u64
        };
        let level = match opts.compression {
            Compression::Stored => 0,
            Compression::Deflated(l) | Compression::Auto(l) => l.min(9),
        };
        let inner = match opts.format {
            PackageFormat::Zip => Inner::Zip(Box::new(ZipOut::new(w, zip_time))),
            PackageFormat::Tar => {
                let mut b = tar::Builder::new(w);
                b.mode(tar::HeaderMode::Deterministic);
                Inner::Tar(b)
            }
            PackageFormat::TarGz => {
                let gz = flate2::write::GzEncoder::new(w, flate2::Compression::new(level));
                let mut b = tar::Builder::new(gz);
                b.mode(tar::HeaderMode::Deterministic);
                Inner::TarGz(Box::new(b))
            }
        };
        Ok(PackageWriter {
            inner,
            opts,
            names: HashSet::new(),
            written: Vec::new(),
            tar_mtime,
            buf: Vec::new(),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &WriterOptions {
        &self.opts
    }

    /// Every entry written so far through the public `add_*` methods.
    pub fn written(&self) -> &[WrittenEntry] {
        &self.written
    }

    /// Adds an entry from memory.
    pub fn add_bytes(&mut self, name: &str, data: &[u8]) -> Result<WrittenEntry> {
        self.add_reader(name, data, Some(data.len() as u64))
    }

    /// Adds a file from disk, streamed.
    pub fn add_file(&mut self, name: &str, path: impl AsRef<Path>) -> Result<WrittenEntry> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        let size = f
            .metadata()
            .map_err(|e| Error::from(e).with_path(path))?
            .len();
        self.add_reader(name, f, Some(size))
            .map_err(|e| e.or_path(path))
    }

    /// Adds an entry streamed from `reader` with the default compression. When `size` is
    /// given the reader must yield exactly that many bytes (else [`ErrorKind::Conflict`],
    /// and a zip package goes on without the entry; a tar stream cannot take an entry
    /// back: do not use it after such an error); a tar entry without a size is first
    /// spooled to a temporary file.
    pub fn add_reader(
        &mut self,
        name: &str,
        reader: impl Read,
        size: Option<u64>,
    ) -> Result<WrittenEntry> {
        let c = self.opts.compression;
        self.add_reader_with(name, reader, size, c)
    }

    /// Like [`PackageWriter::add_reader`] with an explicit compression for this entry
    /// (zip only; ignored for tar).
    pub fn add_reader_with(
        &mut self,
        name: &str,
        reader: impl Read,
        size: Option<u64>,
        compression: Compression,
    ) -> Result<WrittenEntry> {
        let tap = Tap::new(
            Exact::new(reader, size),
            Some(Hasher::new(self.opts.algorithm)),
            false,
        );
        self.add_entry(name, tap, size, compression)
    }

    /// Adds an entry whose digest the caller already computed (e.g. in a parallel hashing
    /// pass, to write the manifest first): the data is copied without being hashed again,
    /// and its size and CRC-32 must equal `size` and `crc32` (from
    /// [`crate::digest::digest_file_crc32`]) or the entry fails with
    /// [`ErrorKind::Conflict`] — the source changed since it was hashed, and a manifest
    /// carrying `digest` would lie (a zip package goes on without the entry).
    ///
    /// ```
    /// use vas_core::digest::{DigestAlgorithm, digest_reader_crc32};
    /// use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};
    ///
    /// let mut w = PackageWriter::new(
    ///     std::io::Cursor::new(Vec::new()),
    ///     WriterOptions::new(PackageFormat::Zip),
    /// )
    /// .unwrap();
    /// let (digest, size, crc) = digest_reader_crc32(DigestAlgorithm::Sha512, &b"hello"[..]).unwrap();
    /// let e = w.add_reader_prehashed("Content/a", &b"hello"[..], &digest, size, crc).unwrap();
    /// assert_eq!(e.digest, digest);
    /// // Different bytes than those hashed: refused.
    /// let err = w.add_reader_prehashed("Content/b", &b"hellO"[..], &digest, size, crc);
    /// assert_eq!(err.unwrap_err().kind(), vas_core::ErrorKind::Conflict);
    /// ```
    pub fn add_reader_prehashed(
        &mut self,
        name: &str,
        reader: impl Read,
        digest: &str,
        size: u64,
        crc32: u32,
    ) -> Result<WrittenEntry> {
        let c = self.opts.compression;
        // A zip entry's CRC-32 comes from the zip writer (computed once).
        let zip = matches!(self.inner, Inner::Zip(_));
        let tap = Tap::new(Exact::new(reader, Some(size)), None, !zip);
        let (_, got_crc) = self.add_entry_raw(name, tap, Some(size), c)?;
        if got_crc != Some(crc32) {
            self.drop_last_zip_entry()?;
            return Err(Error::new(
                ErrorKind::Conflict,
                "source changed between hashing and writing (CRC-32 differs)",
            )
            .with_path(name));
        }
        Ok(self.record(name, digest.to_string(), size))
    }

    /// [`PackageWriter::add_reader_prehashed`] for a file on disk.
    pub fn add_file_prehashed(
        &mut self,
        name: &str,
        path: impl AsRef<Path>,
        digest: &str,
        size: u64,
        crc32: u32,
    ) -> Result<WrittenEntry> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        self.add_reader_prehashed(name, f, digest, size, crc32)
            .map_err(|e| e.or_path(path))
    }

    /// Writes an entry from `src` chunk by chunk (zip: each chunk goes to the zip writer
    /// without a copy), without hashing it; the source checks its own size, and the entry
    /// is not listed in [`PackageWriter::written`] (the caller keeps its digest). `size`, when known, is the
    /// size the source will yield (it decides zip64 and the tar header).
    pub(crate) fn add_chunks(
        &mut self,
        name: &str,
        size: Option<u64>,
        compression: Compression,
        src: &mut dyn Chunks,
    ) -> Result<()> {
        self.check_name(name, false)?;
        match &mut self.inner {
            Inner::Zip(z) => zip_entry(z, name, size, compression, src).map(|_| ()),
            Inner::Tar(b) => {
                let mut r = ChunkReader {
                    src,
                    pending: Vec::new(),
                    pos: 0,
                };
                tar_append(b, name, &mut r, size, self.tar_mtime)
            }
            Inner::TarGz(b) => {
                let mut r = ChunkReader {
                    src,
                    pending: Vec::new(),
                    pos: 0,
                };
                tar_append(b, name, &mut r, size, self.tar_mtime)
            }
            Inner::Done => Err(Error::internal("writer already finished")),
        }
    }

    /// Whether entries are deflated ahead of writing ([`prepare_zip_entry`]): zip packages
    /// only (a tar entry is never compressed on its own).
    pub(crate) fn prepares_entries(&self) -> bool {
        matches!(self.inner, Inner::Zip(_))
    }

    /// Adds a zip entry whose bytes `produce` writes (a manifest serialised straight into
    /// the package): they are hashed and deflated as they come, and only the deflated
    /// stream is held until the entry is written — the bytes [`PackageWriter::add_bytes`]
    /// writes for the same data. A stored entry (the data looks incompressible, or the
    /// compression is [`Compression::Stored`]) is held as is. Zip packages only
    /// ([`PackageWriter::prepares_entries`]): a tar header needs the size first.
    ///
    /// With `threads`, `produce` runs on this thread while two other threads deflate and
    /// hash what it wrote (the same bytes). What `produce` returns (e.g. the document it
    /// serialised) is dropped once its bytes are all written, while the other threads
    /// finish.
    pub(crate) fn add_produced<L>(
        &mut self,
        name: &str,
        threads: bool,
        produce: impl FnOnce(&mut dyn Write) -> Result<L>,
    ) -> Result<WrittenEntry> {
        if !self.prepares_entries() {
            return Err(Error::internal("a produced entry needs a zip package"));
        }
        let (compression, algorithm) = (self.opts.compression, self.opts.algorithm);
        let (body, crc, hasher) = if threads {
            PipelinedSink::run(compression, algorithm, name, produce)?
        } else {
            DeflatingSink::run(compression, algorithm, name, produce)?
        };
        self.check_name(name, false)?;
        let Inner::Zip(z) = &mut self.inner else {
            return Err(Error::internal("a produced entry needs a zip package"));
        };
        let size = hasher.len();
        match body {
            ProducedData::Deflated(data) => z.add_deflated(
                name,
                Deflated {
                    data,
                    crc,
                    size,
                    large: is_large(Some(size)),
                },
            )?,
            ProducedData::Stored(data) => {
                let mut chunks = SliceChunks(Some(&data));
                zip_entry(z, name, Some(size), Compression::Stored, &mut chunks)?;
            }
        }
        Ok(self.record(name, hasher.finalize_hex(), size))
    }

    /// Writes a zip entry deflated ahead of writing by [`prepare_zip_entry`] (possibly on
    /// another thread): the same bytes as [`PackageWriter::add_chunks`] gives for the same
    /// data, without the deflate work on this thread. Not listed in
    /// [`PackageWriter::written`], like [`PackageWriter::add_chunks`].
    pub(crate) fn add_prepared(&mut self, name: &str, entry: PreparedEntry) -> Result<()> {
        self.check_name(name, false)?;
        match &mut self.inner {
            Inner::Zip(z) => z.add_deflated(name, entry.0),
            _ => Err(Error::internal("a prepared entry needs a zip package")),
        }
    }

    /// Lists the entry `name` in [`PackageWriter::written`] and returns its record.
    fn record(&mut self, name: &str, digest: String, size: u64) -> WrittenEntry {
        let w = WrittenEntry {
            name: name.to_string(),
            digest,
            algorithm: self.opts.algorithm,
            size,
        };
        self.written.push(w.clone());
        w
    }

    fn add_entry<R: Read>(
        &mut self,
        name: &str,
        src: Tap<R>,
        size: Option<u64>,
        compression: Compression,
    ) -> Result<WrittenEntry> {
        let (hasher, _) = self.add_entry_raw(name, src, size, compression)?;
        let hasher = hasher.ok_or_else(|| Error::internal("entry written without a hasher"))?;
        let n = hasher.len();
        Ok(self.record(name, hasher.finalize_hex(), n))
    }

    /// Writes one entry from `src`; returns the tap's hasher and CRC-32 (when it had them).
    fn add_entry_raw<R: Read>(
        &mut self,
        name: &str,
        mut src: Tap<R>,
        size: Option<u64>,
        compression: Compression,
    ) -> Result<(Option<Hasher>, Option<u32>)> {
        self.check_name(name, false)?;
        let mut zip_crc = None;
        match &mut self.inner {
            Inner::Zip(z) => {
                let mut chunks = ReadChunks {
                    src: &mut src,
                    buf: &mut self.buf,
                };
                zip_crc = Some(zip_entry(z, name, size, compression, &mut chunks)?);
            }
            Inner::Tar(b) => {
                tar_append(b, name, &mut src, size, self.tar_mtime)?;
            }
            Inner::TarGz(b) => {
                tar_append(b, name, &mut src, size, self.tar_mtime)?;
            }
            Inner::Done => return Err(Error::internal("writer already finished")),
        }
        let (mut exact, hasher, crc) = src.finish();
        if let Err(e) = exact.check_end() {
            self.drop_last_zip_entry()?;
            return Err(e.with_path(name));
        }
        Ok((hasher, zip_crc.or(crc)))
    }

    /// Drops the zip entry just written (its source had more bytes than announced, or not
    /// the bytes hashed): the package goes on without it. A tar entry stays (the stream
    /// cannot go back): the error tells the caller not to use the package.
    fn drop_last_zip_entry(&mut self) -> Result<()> {
        if let Inner::Zip(z) = &mut self.inner {
            z.drop_last()?;
        }
        Ok(())
    }

    /// Adds an explicit directory entry (not needed for files: readers create parents).
    pub fn add_dir(&mut self, name: &str) -> Result<()> {
        self.check_name(name, true)?;
        match &mut self.inner {
            Inner::Zip(z) => {
                let n = format!("{}/", name.trim_end_matches('/'));
                z.add_dir(&n)?;
            }
            Inner::Tar(b) => tar_dir(b, name, self.tar_mtime)?,
            Inner::TarGz(b) => tar_dir(b, name, self.tar_mtime)?,
            Inner::Done => return Err(Error::internal("writer already finished")),
        }
        Ok(())
    }

    /// Writes the central directory / end-of-archive blocks and returns the inner writer
    /// (flushed).
    pub fn finish(mut self) -> Result<W> {
        let inner = std::mem::replace(&mut self.inner, Inner::Done);
        let mut w = match inner {
            Inner::Zip(z) => z.finish()?,
            Inner::Tar(b) => b.into_inner()?,
            Inner::TarGz(b) => b.into_inner()?.finish()?,
            Inner::Done => return Err(Error::internal("writer already finished")),
        };
        w.flush()?;
        Ok(w)
    }

    fn check_name(&mut self, name: &str, dir: bool) -> Result<()> {
        if !dir && name.ends_with('/') {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a file entry name cannot end with `/`",
            )
            .with_path(name));
        }
        let checked = check_entry_name(name.as_bytes(), &Limits::default())?;
        match checked {
            Some(c) if c.name == name.trim_end_matches('/') && !name.starts_with("./") => {}
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "entry names must be relative, normalised, `/`-separated",
                )
                .with_path(name));
            }
        }
        if !self.names.insert(name.trim_end_matches('/').to_string()) {
            return Err(
                Error::new(ErrorKind::AlreadyExists, "entry already written").with_path(name),
            );
        }
        Ok(())
    }
}

fn zip_datetime(unix: i64) -> Result<zip::DateTime> {
    let t = time::OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|e| Error::invalid(format!("bad timestamp {unix}: {e}")))?;
    let t = t.max(time::macros::datetime!(1980-01-01 0:00 UTC));
    zip::DateTime::from_date_and_time(
        t.year().min(2107) as u16,
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .map_err(|e| Error::invalid(format!("bad timestamp {unix}: {e}")))
}

fn copy_err(e: io::Error, name: &str) -> Error {
    super::reader::from_io(e, name)
}

fn tar_header(size: u64, mtime: u64, dir: bool) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(if dir { 0o755 } else { 0o644 });
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.set_entry_type(if dir {
        tar::EntryType::Directory
    } else {
        tar::EntryType::Regular
    });
    h
}

fn tar_append<T: Write>(
    b: &mut tar::Builder<T>,
    name: &str,
    src: &mut dyn Read,
    size: Option<u64>,
    mtime: u64,
) -> Result<()> {
    match size {
        Some(n) => {
            let mut h = tar_header(n, mtime, false);
            b.append_data(&mut h, name, src)
                .map_err(|e| copy_err(e, name))?;
        }
        None => {
            // The header needs the size first: spool to a temporary file.
            let mut tmp = tempfile::tempfile()?;
            let n = io::copy(src, &mut tmp).map_err(|e| copy_err(e, name))?;
            tmp.seek(io::SeekFrom::Start(0))?;
            let mut h = tar_header(n, mtime, false);
            b.append_data(&mut h, name, tmp.take(n))
                .map_err(|e| copy_err(e, name))?;
        }
    }
    Ok(())
}

fn tar_dir<T: Write>(b: &mut tar::Builder<T>, name: &str, mtime: u64) -> Result<()> {
    let mut h = tar_header(0, mtime, true);
    let n = format!("{}/", name.trim_end_matches('/'));
    b.append_data(&mut h, n, io::empty())?;
    Ok(())
}

/// Size of the copy buffer of [`PackageWriter`].
const COPY_BUF: usize = 512 * 1024;

/// Entry bytes handed to the package writer chunk by chunk, without a copy between the
/// buffer they were read into and the zip writer.
pub(crate) trait Chunks {
    /// The next bytes of the entry; empty at the end. The first call returns at least
    /// `min(16 KiB, entry size)` bytes: [`Compression::Auto`] decides from them, so the
    /// decision, hence the output, depends only on the data.
    fn next_chunk(&mut self) -> io::Result<&[u8]>;
}

/// Reads from `src` until `buf` is full or the source ends (short reads retried).
pub(crate) fn fill(src: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// [`Chunks`] over any reader, through a reusable buffer.
struct ReadChunks<'a, R> {
    src: &'a mut R,
    buf: &'a mut Vec<u8>,
}

impl<R: Read> Chunks for ReadChunks<'_, R> {
    fn next_chunk(&mut self) -> io::Result<&[u8]> {
        if self.buf.len() < COPY_BUF {
            self.buf.resize(COPY_BUF, 0);
        }
        let n = fill(self.src, self.buf)?;
        Ok(&self.buf[..n])
    }
}

/// A reader over [`Chunks`] (for tar entries).
struct ChunkReader<'a> {
    src: &'a mut dyn Chunks,
    /// A chunk not yet fully read: its bytes are copied out in `pending`.
    pending: Vec<u8>,
    pos: usize,
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.pending.len() {
            let c = self.src.next_chunk()?;
            self.pending.clear();
            self.pending.extend_from_slice(c);
            self.pos = 0;
        }
        let k = out.len().min(self.pending.len() - self.pos);
        out[..k].copy_from_slice(&self.pending[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

/// The compression of an entry whose data starts with `first` (at least the probe's
/// 16 KiB, or the whole entry): [`Compression::Auto`] becomes stored or deflated.
pub(crate) fn resolve_compression(compression: Compression, first: &[u8]) -> Compression {
    match compression {
        Compression::Auto(l) => {
            if looks_incompressible(&first[..first.len().min(PROBE)]) {
                Compression::Stored
            } else {
                Compression::Deflated(l)
            }
        }
        c => c,
    }
}

/// The input offset where deflated data is cut next (see [`zip_entry`]), after `written`
/// bytes: the probe (when the compression was [`Compression::Auto`]), then 256 KiB steps.
pub(crate) fn next_cut(written: u64, auto: bool) -> u64 {
    let first_cut = if auto { PROBE as u64 } else { DEFLATE_STEP };
    if written < first_cut {
        first_cut
    } else {
        first_cut + ((written - first_cut) / DEFLATE_STEP + 1) * DEFLATE_STEP
    }
}

/// A zip entry deflated ahead of writing (see [`prepare_zip_entry`]).
pub(crate) struct PreparedEntry(Deflated);

/// Deflates the whole entry `data` in memory, on the calling thread, as
/// [`PackageWriter::add_chunks`] would with `compression` (the same compressor for the
/// same length, the same pieces for a streamed one), so [`PackageWriter::add_prepared`]
/// writes the same bytes as a build on one thread. `None` when the entry is stored
/// (`compression` is [`Compression::Stored`], or [`Compression::Auto`] and the data looks
/// incompressible): write it with [`PackageWriter::add_chunks`] and
/// [`Compression::Stored`].
pub(crate) fn prepare_zip_entry(
    name: &str,
    data: &[u8],
    compression: Compression,
) -> Result<Option<PreparedEntry>> {
    let auto = matches!(compression, Compression::Auto(_));
    let resolved = resolve_compression(compression, data);
    let level = match resolved {
        Compression::Stored => return Ok(None),
        Compression::Deflated(l) | Compression::Auto(l) => l,
    };
    thread_local! {
        /// The deflaters of this thread, reused from entry to entry.
        static DEFLATER: std::cell::RefCell<Deflater> = std::cell::RefCell::new(Deflater::default());
    }
    DEFLATER.with(|d| {
        let r = d
            .borrow_mut()
            .deflate(level, auto, data)
            .map_err(|e| e.or_path(name));
        let size = data.len() as u64;
        Ok(Some(PreparedEntry(Deflated {
            data: r?,
            crc: crc32fast::hash(data),
            size,
            large: is_large(Some(size)),
        })))
    })
}

/// The compression side of a produced entry ([`PackageWriter::add_produced`]): the first
/// chunk decides [`Compression::Auto`], and the chunks go to a [`Deflater`] as in
/// [`zip_entry`]: the deflated stream is the one a streamed entry gets for the same data.
struct ProducedBody {
    compression: Compression,
    /// `None` until the first chunk decided; then the deflate level, `None` when stored.
    level: Option<Option<u32>>,
    auto: bool,
    deflater: Deflater,
    /// The deflated stream so far, or the data itself when stored.
    held: Vec<u8>,
}

impl ProducedBody {
    fn new(compression: Compression) -> Self {
        ProducedBody {
            compression,
            level: None,
            auto: matches!(compression, Compression::Auto(_)),
            deflater: Deflater::default(),
            held: Vec::new(),
        }
    }

    /// Whether a chunk was fed (the compression is decided).
    fn started(&self) -> bool {
        self.level.is_some()
    }

    /// Feeds one chunk (the first one decides the compression).
    fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        let level = match self.level {
            Some(l) => l,
            None => {
                let l = match resolve_compression(self.compression, chunk) {
                    Compression::Stored => None,
                    Compression::Deflated(l) | Compression::Auto(l) => Some(l),
                };
                if let Some(l) = l {
                    self.deflater.begin(l, self.auto, None)?;
                }
                self.level = Some(l);
                l
            }
        };
        let held = &mut self.held;
        if level.is_none() {
            held.extend_from_slice(chunk);
            return Ok(());
        }
        // The deflated output so far joins the held stream.
        self.deflater.feed(chunk, &mut |b: &[u8]| {
            held.extend_from_slice(b);
            Ok(())
        })?;
        Ok(())
    }

    /// Ends the stream: the deflated stream, or the data itself when stored.
    fn finish(&mut self, name: &str) -> Result<ProducedData> {
        match self.level {
            Some(Some(_)) => {
                let mut data = std::mem::take(&mut self.held);
                self.deflater
                    .end(&mut |b: &[u8]| {
                        data.extend_from_slice(b);
                        Ok(())
                    })
                    .map_err(|e| copy_err(e, name))?;
                Ok(ProducedData::Deflated(data))
            }
            _ => Ok(ProducedData::Stored(std::mem::take(&mut self.held))),
        }
    }
}

/// The body of a produced entry: its deflated stream, or its data when stored.
enum ProducedData {
    Deflated(Vec<u8>),
    Stored(Vec<u8>),
}

/// What a produced entry gave: its body, CRC-32 and hasher (the size is the hasher's).
type Produced = (ProducedData, u32, Hasher);

/// The sink of [`PackageWriter::add_produced`] on one thread: what is written is cut
/// into the chunks [`PackageWriter::add_reader`] reads ([`COPY_BUF`] bytes), each hashed,
/// CRC'd and fed to a [`ProducedBody`].
struct DeflatingSink {
    /// The chunk being filled.
    chunk: Vec<u8>,
    crc: crc32fast::Hasher,
    hasher: Hasher,
    body: ProducedBody,
}

impl DeflatingSink {
    fn new(compression: Compression, algorithm: crate::digest::DigestAlgorithm) -> Self {
        DeflatingSink {
            chunk: Vec::with_capacity(COPY_BUF),
            crc: crc32fast::Hasher::new(),
            hasher: Hasher::new(algorithm),
            body: ProducedBody::new(compression),
        }
    }

    /// Feeds the chunk being filled.
    fn feed_chunk(&mut self) -> Result<()> {
        self.crc.update(&self.chunk);
        self.hasher.update(&self.chunk);
        let r = self.body.feed(&self.chunk);
        self.chunk.clear();
        r
    }

    /// Feeds the last chunk and ends the stream.
    fn finish(mut self, name: &str) -> Result<Produced> {
        if !self.chunk.is_empty() || !self.body.started() {
            self.feed_chunk().map_err(|e| e.or_path(name))?;
        }
        let data = self.body.finish(name)?;
        Ok((data, self.crc.finalize(), self.hasher))
    }

    /// Produces the entry on this thread.
    fn run<L>(
        compression: Compression,
        algorithm: crate::digest::DigestAlgorithm,
        name: &str,
        produce: impl FnOnce(&mut dyn Write) -> Result<L>,
    ) -> Result<Produced> {
        let mut sink = DeflatingSink::new(compression, algorithm);
        match produce(&mut sink) {
            Ok(leftover) => {
                drop(leftover);
                sink.finish(name)
            }
            Err(e) => {
                sink.body.deflater.discard();
                Err(e)
            }
        }
    }
}

impl Write for DeflatingSink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = b.len().min(COPY_BUF - self.chunk.len());
        self.chunk.extend_from_slice(&b[..k]);
        if self.chunk.len() == COPY_BUF {
            self.feed_chunk().map_err(io::Error::from)?;
        }
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Chunks queued per worker of [`PipelinedSink`]: one, the deflate (the slowest stage)
/// always has the next chunk ready, and at most four [`COPY_BUF`] buffers exist (one
/// being filled, one queued and one being worked on per worker).
const PIPELINE_DEPTH: usize = 1;

/// The sink of [`PackageWriter::add_produced`] on three threads: the calling thread
/// produces the bytes and cuts them into the chunks of [`DeflatingSink`]; one thread
/// deflates them ([`ProducedBody`], the same calls in the same order, hence the same
/// bytes), another hashes and CRCs them. A manifest of 20 000 objects (23 MB) is
/// serialised, deflated and hashed side by side instead of one after the other.
struct PipelinedSink {
    chunk: Vec<u8>,
    /// Whether a chunk was sent.
    sent: bool,
    to_body: mpsc::SyncSender<Arc<Vec<u8>>>,
    to_hash: mpsc::SyncSender<Arc<Vec<u8>>>,
    /// Chunks both workers are done with, to fill again: the same few buffers go round
    /// instead of one fresh allocation per chunk, freed on another thread.
    recycled: mpsc::Receiver<Vec<u8>>,
}

/// Hands `chunk` back to the producer once the last worker is done with it.
fn recycle(chunk: Arc<Vec<u8>>, to: &mpsc::Sender<Vec<u8>>) {
    if let Ok(mut v) = Arc::try_unwrap(chunk) {
        v.clear();
        let _ = to.send(v);
    }
}

impl PipelinedSink {
    fn send(&mut self) -> io::Result<()> {
        let next = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(COPY_BUF));
        let chunk = Arc::new(std::mem::replace(&mut self.chunk, next));
        self.sent = true;
        let stopped = || io::Error::other("the deflating thread stopped");
        self.to_hash.send(chunk.clone()).map_err(|_| stopped())?;
        self.to_body.send(chunk).map_err(|_| stopped())
    }

    /// Produces the entry: `produce` runs on this thread, the deflate and the hash on two
    /// scoped threads. What `produce` returns is dropped here once its last bytes are
    /// sent, while the other threads finish.
    fn run<L>(
        compression: Compression,
        algorithm: crate::digest::DigestAlgorithm,
        name: &str,
        produce: impl FnOnce(&mut dyn Write) -> Result<L>,
    ) -> Result<Produced> {
        std::thread::scope(|scope| {
            let (to_body, body_rx) = mpsc::sync_channel::<Arc<Vec<u8>>>(PIPELINE_DEPTH);
            let (to_hash, hash_rx) = mpsc::sync_channel::<Arc<Vec<u8>>>(PIPELINE_DEPTH);
            let (recycle_tx, recycled) = mpsc::channel::<Vec<u8>>();
            let back = recycle_tx.clone();
            let body = scope.spawn(move || -> Result<ProducedData> {
                let mut body = ProducedBody::new(compression);
                for chunk in body_rx {
                    if let Err(e) = body.feed(&chunk) {
                        body.deflater.discard();
                        return Err(e.or_path(name));
                    }
                    recycle(chunk, &back);
                }
                body.finish(name)
            });
            let back = recycle_tx;
            let hashed = scope.spawn(move || {
                let mut crc = crc32fast::Hasher::new();
                let mut hasher = Hasher::new(algorithm);
                for chunk in hash_rx {
                    crc.update(&chunk);
                    hasher.update(&chunk);
                    recycle(chunk, &back);
                }
                (crc.finalize(), hasher)
            });
            let mut sink = PipelinedSink {
                chunk: Vec::with_capacity(COPY_BUF),
                sent: false,
                to_body,
                to_hash,
                recycled,
            };
            let produced = produce(&mut sink).and_then(|leftover| {
                if !sink.chunk.is_empty() || !sink.sent {
                    sink.send()?;
                }
                Ok(leftover)
            });
            // Closing the channels ends the workers; what the producer left goes while
            // they finish.
            drop(sink);
            let produced = produced.map(drop);
            let body = body
                .join()
                .map_err(|_| Error::internal("the deflating thread panicked"))?;
            let (crc, hasher) = hashed
                .join()
                .map_err(|_| Error::internal("the hashing thread panicked"))?;
            // The producer's error first; a worker's error explains a send that failed.
            match (produced, body) {
                (Ok(()), Ok(data)) => Ok((data, crc, hasher)),
                (_, Err(e)) => Err(e),
                (Err(e), Ok(_)) => Err(e),
            }
        })
    }
}

impl Write for PipelinedSink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = b.len().min(COPY_BUF - self.chunk.len());
        self.chunk.extend_from_slice(&b[..k]);
        if self.chunk.len() == COPY_BUF {
            self.send()?;
        }
        Ok(k)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A chunk source of bytes already in memory.
struct SliceChunks<'a>(Option<&'a [u8]>);

impl Chunks for SliceChunks<'_> {
    fn next_chunk(&mut self) -> io::Result<&[u8]> {
        Ok(self.0.take().unwrap_or(&[]))
    }
}

/// Whether an entry of `size` bytes (`None`: unknown) gets zip64 fields from the start.
/// Deflate can grow incompressible data a little: keep a margin below 4 GiB.
fn is_large(size: Option<u64>) -> bool {
    size.is_none_or(|s| s >= 0xFFFF_FFFF - (64 << 20))
}

/// Writes one zip entry from `src`: the first chunk decides [`Compression::Auto`], then
/// every chunk goes straight to the zip writer (through the writer's reused [`Deflater`]
/// when deflated). Returns the entry's CRC-32.
fn zip_entry<W: Write + Seek>(
    z: &mut ZipOut<W>,
    name: &str,
    size: Option<u64>,
    compression: Compression,
    src: &mut dyn Chunks,
) -> Result<u32> {
    let first = src.next_chunk().map_err(|e| copy_err(e, name))?;
    let auto = matches!(compression, Compression::Auto(_));
    let compression = resolve_compression(compression, first);
    let level = match compression {
        Compression::Stored => None,
        Compression::Deflated(l) | Compression::Auto(l) => Some(l),
    };
    if let Some(l) = level {
        // Checked before the header is written.
        z.deflater.begin(l, auto, size)?;
    }
    let open = z.begin(name, level.is_some(), is_large(size))?;
    let mut crc = crc32fast::Hasher::new();
    let mut total = 0u64;
    // Deflate's output depends on how its input is split: an entry of at most
    // WHOLE_DEFLATE_MAX bytes is deflated whole at its end, a longer one in the same
    // pieces whatever the chunks (the probe, then 256 KiB steps, as earlier versions did),
    // so the bytes depend neither on the thread count nor on the buffer sizes.
    let mut chunk = first;
    let mut failed = None;
    while !chunk.is_empty() {
        crc.update(chunk);
        if let Err(e) = zip_piece(z, name, level.is_some(), chunk, &mut total) {
            failed = Some(e);
            break;
        }
        chunk = match src.next_chunk() {
            Ok(c) => c,
            Err(e) => {
                failed = Some(copy_err(e, name));
                break;
            }
        };
    }
    if failed.is_none()
        && level.is_some()
        && let Err(e) = z.deflate_end()
    {
        failed = Some(copy_err(e, name));
    }
    if let Some(e) = failed {
        z.deflater.discard();
        let _ = z.abort(open);
        return Err(e);
    }
    let crc = crc.finalize();
    z.end(open, crc, total)?;
    Ok(crc)
}

/// Writes `chunk` of a streamed entry: through the writer's deflater (begun with the
/// entry's level) when `deflated`, else as is; `total` counts the input bytes.
fn zip_piece<W: Write + Seek>(
    z: &mut ZipOut<W>,
    name: &str,
    deflated: bool,
    chunk: &[u8],
    total: &mut u64,
) -> Result<()> {
    *total += chunk.len() as u64;
    if !deflated {
        return z.data(chunk).map_err(|e| copy_err(e, name));
    }
    // What the deflater produces goes out as it comes: memory stays flat.
    z.deflate_data(chunk).map_err(|e| copy_err(e, name))
}

/// The pieces deflated data is fed in (see [`zip_entry`]).
const DEFLATE_STEP: u64 = 256 * 1024;

/// Capacity of [`SeekBuf`].
const SEEK_BUF: usize = 1 << 20;

/// Writes of at least this size go straight to the inner writer (with the pending bytes,
/// in one `writev`): copying them into the buffer costs more than the seek out and back
/// that patching their entry's header then needs.
const DIRECT_WRITE: usize = 32 * 1024;

/// A buffered writer whose seeks stay in memory while they land within the bytes not yet
/// written out: the zip writer asks for its position and goes back to patch each local
/// header (CRC-32, sizes) after the entry's data, which with `BufWriter` costs a flush and
/// two `lseek`s per entry. Here a small entry is patched in the buffer, and a large one
/// (written straight through, with the pending bytes in the same `writev`) needs one
/// seek out and back. The bytes written are exactly those of an unbuffered writer.
pub(crate) struct SeekBuf<W: Write + Seek> {
    inner: W,
    /// Pending bytes, at file offsets `base..base + buf.len()`.
    buf: Vec<u8>,
    /// The file offset of `buf[0]`; the inner writer's position when `buf` is empty or
    /// about to be written.
    base: u64,
    /// The logical position, within `base..=base + buf.len()`.
    pos: u64,
}

impl<W: Write + Seek> SeekBuf<W> {
    /// Wraps `inner`, positioned at its current offset.
    pub(crate) fn new(mut inner: W) -> Self {
        let base = inner.stream_position().unwrap_or(0);
        SeekBuf {
            inner,
            buf: Vec::with_capacity(SEEK_BUF),
            base,
            pos: base,
        }
    }

    /// Writes the pending bytes out and leaves the inner writer at the logical position.
    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.inner.write_all(&self.buf)?;
            self.base += self.buf.len() as u64;
            self.buf.clear();
        }
        if self.pos != self.base {
            self.inner.seek(io::SeekFrom::Start(self.pos))?;
            self.base = self.pos;
        }
        Ok(())
    }

    /// The logical position (where the next byte goes).
    pub(crate) fn position(&self) -> u64 {
        self.pos
    }

    /// Flushes and returns the inner writer.
    pub(crate) fn into_inner(mut self) -> io::Result<W> {
        self.flush_buf()?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write + Seek> Write for SeekBuf<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let off = (self.pos - self.base) as usize;
        let end = self.buf.len();
        if off < end {
            // Patching bytes still in the buffer.
            let k = data.len().min(end - off);
            self.buf[off..off + k].copy_from_slice(&data[..k]);
            self.pos += k as u64;
            return Ok(k);
        }
        if data.len() < DIRECT_WRITE && end + data.len() <= SEEK_BUF {
            self.buf.extend_from_slice(data);
            self.pos += data.len() as u64;
            return Ok(data.len());
        }
        if data.len() < DIRECT_WRITE {
            self.flush_buf()?;
            self.buf.extend_from_slice(data);
            self.pos += data.len() as u64;
            return Ok(data.len());
        }
        // A large write: the pending bytes and the data in one system call, no copy.
        let mut pending = std::mem::take(&mut self.buf);
        let mut done = 0usize;
        let result = (|| {
            while !pending.is_empty() {
                let n = self.inner.write_vectored(&[
                    io::IoSlice::new(&pending),
                    io::IoSlice::new(&data[done..]),
                ])?;
                if n == 0 {
                    return Err(io::Error::from(io::ErrorKind::WriteZero));
                }
                let p = n.min(pending.len());
                self.base += p as u64;
                pending.drain(..p);
                done += n - p;
            }
            Ok(())
        })();
        pending.clear();
        self.buf = pending;
        result?;
        if done == 0 {
            done = self.inner.write(data)?;
        }
        self.base += done as u64;
        self.pos = self.base;
        Ok(done)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.inner.flush()
    }
}

impl<W: Write + Seek> Seek for SeekBuf<W> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(t) => Some(t),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            io::SeekFrom::End(_) => None,
        };
        if let Some(t) = target
            && t >= self.base
            && t <= self.base + self.buf.len() as u64
        {
            self.pos = t;
            return Ok(t);
        }
        self.flush_buf()?;
        let p = self.inner.seek(to)?;
        self.base = p;
        self.pos = p;
        Ok(p)
    }
}

/// A reader that feeds what it yields to a hasher and/or a CRC-32.
struct Tap<R> {
    inner: Exact<R>,
    hasher: Option<Hasher>,
    crc: Option<crc32fast::Hasher>,
}

impl<R: Read> Tap<R> {
    fn new(inner: Exact<R>, hasher: Option<Hasher>, crc: bool) -> Self {
        Tap {
            inner,
            hasher,
            crc: crc.then(crc32fast::Hasher::new),
        }
    }

    fn finish(self) -> (Exact<R>, Option<Hasher>, Option<u32>) {
        (self.inner, self.hasher, self.crc.map(|c| c.finalize()))
    }
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        if let Some(c) = &mut self.crc {
            c.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Makes sure a reader yields exactly the announced number of bytes.
pub(crate) struct Exact<R> {
    inner: R,
    expected: Option<u64>,
    got: u64,
}

impl<R: Read> Exact<R> {
    pub(crate) fn new(inner: R, expected: Option<u64>) -> Self {
        Exact {
            inner,
            expected,
            got: 0,
        }
    }

    /// Checks, once the reader returned 0, that the source has no byte beyond the
    /// announced size (one more read of one byte).
    pub(crate) fn check_end(&mut self) -> Result<()> {
        if let Some(n) = self.expected {
            let mut one = [0u8; 1];
            let extra = loop {
                match self.inner.read(&mut one) {
                    Ok(k) => break k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                }
            };
            if extra != 0 || self.got != n {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("source announced {n} bytes but changed size while being written"),
                ));
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let cap = match self.expected {
            Some(n) => {
                let left = n.saturating_sub(self.got);
                if left == 0 {
                    return Ok(0);
                }
                buf.len().min(left.min(usize::MAX as u64) as usize)
            }
            None => buf.len(),
        };
        let k = self.inner.read(&mut buf[..cap])?;
        if k == 0
            && let Some(n) = self.expected
            && self.got < n
        {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "source announced {n} bytes but ended after {} (changed while being written?)",
                    self.got
                ),
            )
            .into());
        }
        self.got += k as u64;
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_names_and_duplicates() {
        let mut w = PackageWriter::new(
            io::Cursor::new(Vec::new()),
            WriterOptions::new(PackageFormat::Zip),
        )
        .unwrap();
        for bad in ["../x", "/abs", "a\\b", "./a", "a//b", "", "dir/"] {
            assert!(w.add_bytes(bad, b"x").is_err(), "{bad}");
        }
        w.add_bytes("a", b"x").unwrap();
        assert_eq!(
            w.add_bytes("a", b"y").unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
    }

    #[test]
    fn size_must_match() {
        for fmt in [PackageFormat::Zip, PackageFormat::Tar] {
            let mut w =
                PackageWriter::new(io::Cursor::new(Vec::new()), WriterOptions::new(fmt)).unwrap();
            let e = w.add_reader("short", &b"abc"[..], Some(5)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Conflict, "{fmt:?}");
        }
        let mut w = PackageWriter::new(
            io::Cursor::new(Vec::new()),
            WriterOptions::new(PackageFormat::Zip),
        )
        .unwrap();
        let e = w.add_reader("long", &b"abcdef"[..], Some(5)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        // Deflated, announced longer or shorter than the whole-entry limit, the source
        // empty, cut short or too long: the same size conflict, and the package goes on
        // without the entry.
        let max = super::super::zipout::WHOLE_DEFLATE_MAX as u64;
        let text = vec![b'a'; 5000];
        for (i, c) in [Compression::Deflated(6), Compression::Auto(6)]
            .into_iter()
            .enumerate()
        {
            for (j, (src, size)) in [
                (&text[..0], max + 1),
                (&text[..], max + 1),
                (&text[..0], 10),
                (&text[..], 6000),
                (&text[..], 4000),
            ]
            .into_iter()
            .enumerate()
            {
                let name = format!("cut{i}{j}");
                let e = w.add_reader_with(&name, src, Some(size), c).unwrap_err();
                assert_eq!(
                    e.kind(),
                    ErrorKind::Conflict,
                    "{c:?} {} of {size}",
                    src.len()
                );
            }
        }
        // Prehashed, but the bytes changed since: refused and dropped too.
        let (digest, size, crc) =
            crate::digest::digest_reader_crc32(crate::digest::DigestAlgorithm::Sha512, &text[..])
                .unwrap();
        let mut changed = text.clone();
        changed[10] = b'b';
        let e = w
            .add_reader_prehashed("changed", &changed[..], &digest, size, crc)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        w.add_bytes("after", &text).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let mut z = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..z.len())
            .map(|i| z.by_index(i).unwrap().name().unwrap().to_string())
            .collect();
        assert_eq!(names, ["after"]);
        let mut back = Vec::new();
        z.by_name("after").unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back, text);
    }

    /// The same writes and seeks on a `SeekBuf` and on a plain cursor give the same bytes:
    /// patches inside and outside the buffer, large writes straight through, seeks from
    /// the end.
    #[test]
    fn seek_buf_writes_what_a_plain_writer_writes() {
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |m: u64| {
            crate::testutil::xorshift64(&mut rng);
            rng % m
        };
        for round in 0..50 {
            let mut plain = io::Cursor::new(Vec::new());
            let mut buffered = SeekBuf::new(io::Cursor::new(Vec::new()));
            for _ in 0..40 {
                let len = plain.get_ref().len() as u64;
                match next(5) {
                    0 | 1 => {
                        // Append: small, or large enough to go straight through.
                        let n = if next(3) == 0 {
                            DIRECT_WRITE + next(SEEK_BUF as u64) as usize
                        } else {
                            next(5000) as usize
                        };
                        let data: Vec<u8> = (0..n).map(|i| (i as u64 + round) as u8).collect();
                        plain.seek(io::SeekFrom::End(0)).unwrap();
                        buffered.seek(io::SeekFrom::End(0)).unwrap();
                        plain.write_all(&data).unwrap();
                        buffered.write_all(&data).unwrap();
                    }
                    2 if len > 16 => {
                        // Patch 12 bytes somewhere, then go back to the end.
                        let at = next(len - 12);
                        let end = plain.stream_position().unwrap();
                        assert_eq!(buffered.stream_position().unwrap(), end);
                        for w in [&mut plain as &mut dyn WriteSeek, &mut buffered] {
                            w.seek(io::SeekFrom::Start(at)).unwrap();
                            w.write_all(&[0xAB; 12]).unwrap();
                            w.seek(io::SeekFrom::Start(end)).unwrap();
                        }
                    }
                    3 => {
                        plain.flush().unwrap();
                        buffered.flush().unwrap();
                    }
                    _ => {
                        let p = plain.stream_position().unwrap();
                        assert_eq!(buffered.stream_position().unwrap(), p);
                    }
                }
            }
            let got = buffered.into_inner().unwrap().into_inner();
            assert_eq!(got, plain.into_inner(), "round {round}");
        }
    }

    trait WriteSeek: Write + Seek {}
    impl<T: Write + Seek> WriteSeek for T {}

    /// An entry written through [`PackageWriter::add_produced`] (in pieces of any size)
    /// has the bytes and digest of [`PackageWriter::add_bytes`] with the same data: sizes
    /// around the probe and the 512 KiB chunks, text and random data, every compression.
    #[test]
    fn produced_entry_gives_the_bytes_of_add_bytes() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for (i, len) in [0usize, 1, 5000, PROBE, PROBE + 1, COPY_BUF - 1, COPY_BUF]
            .into_iter()
            .chain([COPY_BUF + 1, 3 * COPY_BUF + 12_345])
            .enumerate()
        {
            for random in [false, true] {
                let data: Vec<u8> = (0..len)
                    .map(|k| {
                        if random {
                            crate::testutil::xorshift64(&mut x);
                            x as u8
                        } else {
                            b"<Unit><Title>fonds</Title></Unit>\n"[(k + i) % 33]
                        }
                    })
                    .collect();
                for c in [
                    Compression::Auto(6),
                    Compression::Deflated(1),
                    Compression::Deflated(9),
                    Compression::Stored,
                ] {
                    let opts = WriterOptions::new(PackageFormat::Zip)
                        .compression(c)
                        .deterministic(true);
                    let mut pw =
                        PackageWriter::new(io::Cursor::new(Vec::new()), opts.clone()).unwrap();
                    pw.add_bytes("Content/a", b"before").unwrap();
                    let want_entry = pw.add_bytes("manifest.xml", &data).unwrap();
                    pw.add_bytes("Content/b", b"after").unwrap();
                    let want = pw.finish().unwrap().into_inner();
                    // On this thread, and serialised here while two threads deflate
                    // and hash.
                    for threads in [false, true] {
                        let mut pw =
                            PackageWriter::new(io::Cursor::new(Vec::new()), opts.clone()).unwrap();
                        pw.add_bytes("Content/a", b"before").unwrap();
                        let got_entry = pw
                            .add_produced("manifest.xml", threads, |w| {
                                for piece in data.chunks(7919) {
                                    w.write_all(piece)?;
                                }
                                Ok(())
                            })
                            .unwrap();
                        pw.add_bytes("Content/b", b"after").unwrap();
                        let got = pw.finish().unwrap().into_inner();
                        let what = format!("{len} bytes, random {random}, {c:?}, {threads}");
                        assert_eq!(got_entry, want_entry, "{what}");
                        assert!(got == want, "{what}");
                    }
                }
            }
        }
        // Tar: refused (the header needs the size first).
        let mut pw = PackageWriter::new(
            io::Cursor::new(Vec::new()),
            WriterOptions::new(PackageFormat::Tar),
        )
        .unwrap();
        assert!(pw.add_produced("m", false, |_| Ok(())).is_err());
        assert!(pw.add_produced("m", true, |_| Ok(())).is_err());
        // A producer that fails after a few chunks: its error, on one thread or three,
        // and the package goes on without the entry.
        for threads in [false, true] {
            let mut pw = PackageWriter::new(
                io::Cursor::new(Vec::new()),
                WriterOptions::new(PackageFormat::Zip).deterministic(true),
            )
            .unwrap();
            let e = pw
                .add_produced("manifest.xml", threads, |w| {
                    for _ in 0..(PIPELINE_DEPTH + 3) * COPY_BUF / 1000 {
                        w.write_all(&[b'x'; 1000])?;
                    }
                    Err::<(), _>(Error::invalid("producer failed"))
                })
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{threads}");
            assert!(e.to_string().contains("producer failed"), "{e}");
            pw.add_bytes("Content/a", b"after").unwrap();
            assert_eq!(pw.written().len(), 1);
            pw.finish().unwrap();
        }
    }

    /// The probe's answer computed in full: order-0 entropy of at least 7.8 bits per byte.
    fn entropy_at_least_7_8(data: &[u8]) -> bool {
        if data.len() < 1024 {
            return false;
        }
        let mut counts = [0u64; 256];
        for &b in data {
            counts[b as usize] += 1;
        }
        let n = data.len() as f64;
        let h: f64 = counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| -(c as f64 / n) * (c as f64 / n).log2())
            .sum();
        h >= 7.8
    }

    /// The probe skips the logarithms below 223 distinct bytes: same answer as the full
    /// entropy on text, random data, and data made to sit at the limit (222 and 223 values
    /// equally frequent: 7.794 and 7.801 bits).
    #[test]
    fn probe_shortcut_gives_the_full_answer() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            crate::testutil::xorshift64(&mut x);
            x
        };
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for distinct in [1usize, 64, 200, 221, 222, 223, 224, 240, 256] {
            for len in [1023usize, 1024, 4096, 16_384] {
                cases.push((0..len).map(|i| (i % distinct) as u8).collect());
                cases.push((0..len).map(|_| (next() % distinct as u64) as u8).collect());
            }
        }
        for k in 0..200 {
            // Random bytes with some values forced to a few: entropies around 7.8.
            let keep = 150 + (k % 107) as u64;
            cases.push(
                (0..4096)
                    .map(|_| {
                        let v = next();
                        (if v % 256 < keep { v >> 8 } else { v % 3 }) as u8
                    })
                    .collect(),
            );
        }
        cases.push(b"archive record fonds series ".repeat(200));
        let mut both = [0usize; 2];
        for (i, c) in cases.iter().enumerate() {
            let want = entropy_at_least_7_8(c);
            assert_eq!(looks_incompressible(c), want, "case {i}, {} bytes", c.len());
            both[usize::from(want)] += 1;
        }
        assert!(both[0] > 20 && both[1] > 20, "{both:?}");
    }

    #[test]
    fn zip_time() {
        assert_eq!(zip_datetime(315_532_800).unwrap(), zip::DateTime::default());
        assert!(zip_datetime(0).is_ok()); // clamped to 1980
    }
}
