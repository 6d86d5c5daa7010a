//! Streaming package writer: zip (zip64 when needed) and tar / tar.gz.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::Path;

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use super::Limits;
use super::names::check_entry_name;
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
    for (i, c) in counts.iter_mut().enumerate() {
        *c = c4[0][i] + c4[1][i] + c4[2][i] + c4[3][i];
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
    /// in the same order give the same bytes.
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
    Zip(Box<ZipWriter<W>>),
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
    zip_time: zip::DateTime,
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
            PackageFormat::Zip => Inner::Zip(Box::new(ZipWriter::new(w))),
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
            zip_time,
            tar_mtime,
            buf: Vec::new(),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &WriterOptions {
        &self.opts
    }

    /// Every entry written so far.
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
    /// given the reader must yield exactly that many bytes (else [`ErrorKind::Conflict`]);
    /// a tar entry without a size is first spooled to a temporary file.
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
    /// carrying `digest` would lie.
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
        let tap = Tap::new(Exact::new(reader, Some(size)), None, true);
        let (_, got_crc) = self.add_entry_raw(name, tap, Some(size), c)?;
        if got_crc != Some(crc32) {
            return Err(Error::new(
                ErrorKind::Conflict,
                "source changed between hashing and writing (CRC-32 differs)",
            )
            .with_path(name));
        }
        let w = WrittenEntry {
            name: name.to_string(),
            digest: digest.to_string(),
            algorithm: self.opts.algorithm,
            size,
        };
        self.written.push(w.clone());
        Ok(w)
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

    /// Writes an entry without hashing it: the caller hashes the bytes it feeds (e.g. in
    /// other threads) and then records the entry with [`PackageWriter::record`]. The reader
    /// must yield exactly `size` bytes when given.
    pub(crate) fn add_reader_unhashed(
        &mut self,
        name: &str,
        reader: impl Read,
        size: Option<u64>,
        compression: Compression,
    ) -> Result<()> {
        let tap = Tap::new(Exact::new(reader, size), None, false);
        self.add_entry_raw(name, tap, size, compression)?;
        Ok(())
    }

    /// Records an entry written by [`PackageWriter::add_reader_unhashed`] once its digest is
    /// known.
    pub(crate) fn record(&mut self, entry: WrittenEntry) {
        self.written.push(entry);
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
        let w = WrittenEntry {
            name: name.to_string(),
            digest: hasher.finalize_hex(),
            algorithm: self.opts.algorithm,
            size: n,
        };
        self.written.push(w.clone());
        Ok(w)
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
        match &mut self.inner {
            Inner::Zip(z) => {
                // Auto: look at the first bytes (they go through the tap, hashed in order).
                let mut probe = Vec::new();
                let compression = match compression {
                    Compression::Auto(l) => {
                        (&mut src)
                            .take(PROBE as u64)
                            .read_to_end(&mut probe)
                            .map_err(|e| copy_err(e, name))?;
                        if looks_incompressible(&probe) {
                            Compression::Stored
                        } else {
                            Compression::Deflated(l)
                        }
                    }
                    c => c,
                };
                let method = match compression {
                    Compression::Stored => zip::CompressionMethod::Stored,
                    _ => zip::CompressionMethod::Deflated,
                };
                let level = match compression {
                    Compression::Stored => None,
                    Compression::Deflated(l) | Compression::Auto(l) => Some(l.min(9) as i64),
                };
                // Deflate can grow incompressible data a little: keep a margin.
                let large = size.is_none_or(|s| s >= 0xFFFF_FFFF - (64 << 20));
                let o = SimpleFileOptions::default()
                    .compression_method(method)
                    .compression_level(level)
                    .last_modified_time(self.zip_time)
                    .system(zip::System::Unix)
                    .unix_permissions(0o644)
                    .large_file(large);
                z.start_file(name, o).map_err(|e| zip_write_err(e, name))?;
                z.write_all(&probe).map_err(|e| copy_err(e, name))?;
                copy_with(&mut self.buf, &mut src, z.as_mut()).map_err(|e| copy_err(e, name))?;
            }
            Inner::Tar(b) => {
                tar_append(b, name, &mut src, size, self.tar_mtime)?;
            }
            Inner::TarGz(b) => {
                tar_append(b, name, &mut src, size, self.tar_mtime)?;
            }
            Inner::Done => return Err(Error::internal("writer already finished")),
        }
        let (exact, hasher, crc) = src.finish();
        exact.check_end().map_err(|e| e.with_path(name))?;
        Ok((hasher, crc))
    }

    /// Adds an explicit directory entry (not needed for files: readers create parents).
    pub fn add_dir(&mut self, name: &str) -> Result<()> {
        self.check_name(name, true)?;
        match &mut self.inner {
            Inner::Zip(z) => {
                let o = SimpleFileOptions::default()
                    .last_modified_time(self.zip_time)
                    .system(zip::System::Unix)
                    .unix_permissions(0o755);
                z.add_directory(name, o)
                    .map_err(|e| zip_write_err(e, name))?;
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
            Inner::Zip(z) => z.finish().map_err(|e| zip_write_err(e, ""))?,
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

fn zip_write_err(e: zip::result::ZipError, name: &str) -> Error {
    let err = match e {
        zip::result::ZipError::Io(io) => Error::from(io),
        other => Error::new(ErrorKind::Io, format!("zip writer: {other}")),
    };
    if name.is_empty() {
        err
    } else {
        err.with_path(name)
    }
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
const COPY_BUF: usize = 256 * 1024;

/// `io::copy` with a large reusable buffer.
fn copy_with(buf: &mut Vec<u8>, src: &mut impl Read, dst: &mut impl Write) -> io::Result<u64> {
    if buf.len() < COPY_BUF {
        buf.resize(COPY_BUF, 0);
    }
    let mut total = 0u64;
    loop {
        let n = match src.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(&buf[..n])?;
        total += n as u64;
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
struct Exact<R> {
    inner: R,
    expected: Option<u64>,
    got: u64,
}

impl<R: Read> Exact<R> {
    fn new(inner: R, expected: Option<u64>) -> Self {
        Exact {
            inner,
            expected,
            got: 0,
        }
    }

    fn check_end(mut self) -> Result<()> {
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
    }

    #[test]
    fn zip_time() {
        assert_eq!(zip_datetime(315_532_800).unwrap(), zip::DateTime::default());
        assert!(zip_datetime(0).is_ok()); // clamped to 1980
    }
}
