//! Safe package reader: zip, tar, tar.gz, tar.bz2 and directories.

use std::cell::Cell;
use std::collections::{BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rayon::prelude::*;
use zip::ZipArchive;

use super::Limits;
use super::codes;
use super::names::check_entry_name;
use crate::digest::{DigestAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

/// The kind of container a package comes in, detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// A zip archive (zip64 and data descriptors supported; stored or deflated entries).
    Zip,
    /// An uncompressed tar archive (ustar, GNU or PAX).
    Tar,
    /// A gzip-compressed tar archive.
    TarGz,
    /// A bzip2-compressed tar archive.
    TarBz2,
    /// An unpacked directory.
    Directory,
}

impl ContainerKind {
    /// The media type Vitam uses for this container (`CommonMediaType`); `None` for a
    /// directory.
    ///
    /// ```
    /// use vas_core::sip::ContainerKind;
    /// assert_eq!(ContainerKind::TarGz.media_type(), Some("application/gzip"));
    /// ```
    pub fn media_type(self) -> Option<&'static str> {
        match self {
            ContainerKind::Zip => Some("application/zip"),
            ContainerKind::Tar => Some("application/x-tar"),
            ContainerKind::TarGz => Some("application/gzip"),
            ContainerKind::TarBz2 => Some("application/x-bzip2"),
            ContainerKind::Directory => None,
        }
    }

    /// A short lower-case name: `zip`, `tar`, `tar.gz`, `tar.bz2`, `directory`.
    pub fn name(self) -> &'static str {
        match self {
            ContainerKind::Zip => "zip",
            ContainerKind::Tar => "tar",
            ContainerKind::TarGz => "tar.gz",
            ContainerKind::TarBz2 => "tar.bz2",
            ContainerKind::Directory => "directory",
        }
    }

    /// Detects the container kind of `path` from its first bytes (or its being a
    /// directory).
    ///
    /// ```
    /// use vas_core::sip::ContainerKind;
    /// let dir = tempfile::tempdir().unwrap();
    /// assert_eq!(ContainerKind::detect(dir.path()).unwrap(), ContainerKind::Directory);
    /// let f = dir.path().join("x.zip");
    /// std::fs::write(&f, b"not an archive at all").unwrap();
    /// let err = ContainerKind::detect(&f).unwrap_err();
    /// assert_eq!(err.context().code.as_deref(), Some("CHECK_CONTAINER.KO"));
    /// ```
    pub fn detect(path: impl AsRef<Path>) -> Result<ContainerKind> {
        let path = path.as_ref();
        let md = fs::metadata(path).map_err(|e| Error::from(e).with_path(path))?;
        if md.is_dir() {
            return Ok(ContainerKind::Directory);
        }
        let mut head = Vec::with_capacity(512);
        File::open(path)
            .and_then(|f| f.take(512).read_to_end(&mut head))
            .map_err(|e| Error::from(e).with_path(path))?;
        sniff(&head).ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                "not a zip, tar, tar.gz or tar.bz2 container",
            )
            .with_path(path)
            .with_code(codes::CHECK_CONTAINER_KO)
        })
    }
}

fn sniff(head: &[u8]) -> Option<ContainerKind> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(ContainerKind::Zip)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(ContainerKind::TarGz)
    } else if head.starts_with(b"BZh") {
        Some(ContainerKind::TarBz2)
    } else if is_tar_header(head) {
        Some(ContainerKind::Tar)
    } else {
        None
    }
}

/// True when `block` starts with a tar header: `ustar` magic, or a valid checksum.
fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < 512 {
        return false;
    }
    if &block[257..262] == b"ustar" {
        return true;
    }
    let stored = std::str::from_utf8(&block[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let Some(stored) = stored else { return false };
    let sum: u32 = block[..512]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                *b as u32
            }
        })
        .sum();
    sum == stored && block[0] != 0
}

/// The kind of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
}

/// One entry of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The normalised name: `/`-separated, relative, without `./` or a trailing `/`.
    pub name: String,
    /// The uncompressed size in bytes (0 for directories).
    pub size: u64,
    /// File or directory.
    pub kind: EntryKind,
    /// The compressed size for zip entries.
    pub compressed_size: Option<u64>,
}

impl Entry {
    /// True when the entry is at the root of the package (no `/` in its name).
    pub fn is_root(&self) -> bool {
        !self.name.contains('/')
    }
}

/// Digest and size of one file of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDigest {
    /// The entry name.
    pub name: String,
    /// Lower-case hex digest.
    pub digest: String,
    /// Size in bytes, as read.
    pub size: u64,
}

/// A submission package opened for reading, without extracting it.
///
/// See the [module documentation](super) for the checks made at opening.
///
/// ```
/// use vas_core::sip::{Limits, SipReader};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("manifest.xml"), b"<ArchiveTransfer/>").unwrap();
/// std::fs::create_dir(dir.path().join("Content")).unwrap();
/// std::fs::write(dir.path().join("Content/a.txt"), b"abc").unwrap();
///
/// let mut r = SipReader::open(dir.path(), Limits::default()).unwrap();
/// assert_eq!(r.manifest_bytes().unwrap(), b"<ArchiveTransfer/>");
/// let mut seen = Vec::new();
/// r.for_each_object(|entry, data| {
///     let mut s = String::new();
///     data.read_to_string(&mut s)?;
///     seen.push((entry.name.clone(), s));
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(seen, vec![("Content/a.txt".to_string(), "abc".to_string())]);
/// ```
pub struct SipReader {
    path: PathBuf,
    kind: ContainerKind,
    limits: Limits,
    entries: Vec<Entry>,
    /// For zip: the archive index of each entry.
    zip_index: Vec<usize>,
    zip: Option<ZipArchive<BufReader<File>>>,
    manifest: Option<usize>,
    manifest_cache: Option<Vec<u8>>,
    total: u64,
}

impl std::fmt::Debug for SipReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipReader")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("entries", &self.entries.len())
            .field("manifest", &self.manifest_name())
            .finish()
    }
}

impl SipReader {
    /// Opens a package, detects its container kind, lists and checks every entry.
    pub fn open(path: impl AsRef<Path>, limits: Limits) -> Result<SipReader> {
        let kind = ContainerKind::detect(path.as_ref())?;
        Self::open_detected(path, kind, limits)
    }

    /// [`SipReader::open`] for a caller that has just detected the container kind with
    /// [`ContainerKind::detect`] (the ingest's `CHECK_CONTAINER`): the head of the file is
    /// not read and sniffed a second time.
    pub(crate) fn open_detected(
        path: impl AsRef<Path>,
        kind: ContainerKind,
        limits: Limits,
    ) -> Result<SipReader> {
        let path = path.as_ref().to_path_buf();
        let mut r = SipReader {
            path,
            kind,
            limits,
            entries: Vec::new(),
            zip_index: Vec::new(),
            zip: None,
            manifest: None,
            manifest_cache: None,
            total: 0,
        };
        match kind {
            ContainerKind::Zip => r.open_zip()?,
            ContainerKind::Tar | ContainerKind::TarGz | ContainerKind::TarBz2 => r.open_tar()?,
            ContainerKind::Directory => r.open_dir()?,
        }
        r.check_structure()?;
        Ok(r)
    }

    /// The path the package was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The detected container kind.
    pub fn container_kind(&self) -> ContainerKind {
        self.kind
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Every entry, in container order (sorted by name for a directory).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The file entries, in container order.
    pub fn files(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.kind == EntryKind::File)
    }

    /// The name of the manifest: the first file at the root whose name ends with
    /// `manifest.xml` (whether Vitam accepts that name is checked by
    /// [`SipReader::check_container`]).
    pub fn manifest_name(&self) -> Option<&str> {
        self.manifest.map(|i| self.entries[i].name.as_str())
    }

    /// The manifest's bytes (read once, then cached).
    pub fn manifest_bytes(&mut self) -> Result<Vec<u8>> {
        if let Some(b) = &self.manifest_cache {
            return Ok(b.clone());
        }
        let buf = self.read_manifest_uncached()?;
        self.manifest_cache = Some(buf.clone());
        Ok(buf)
    }

    /// The manifest's bytes, handed over without a copy: the cached bytes when they were read
    /// already (a tar's are read while opening), else read now and not cached. A later
    /// [`SipReader::manifest_bytes`] reads a zip's or a directory's manifest again; a tar's
    /// is then no longer available (an error).
    pub fn take_manifest_bytes(&mut self) -> Result<Vec<u8>> {
        match self.manifest_cache.take() {
            Some(b) => Ok(b),
            None => self.read_manifest_uncached(),
        }
    }

    fn read_manifest_uncached(&mut self) -> Result<Vec<u8>> {
        let Some(mi) = self.manifest else {
            return Err(Error::new(
                ErrorKind::NotFound,
                "no manifest at the root of the package",
            )
            .with_path(&self.path)
            .with_code(codes::CHECK_SEDA_NO_FILE_KO));
        };
        let entry = self.entries[mi].clone();
        if entry.size > self.limits.max_manifest_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the manifest is {} bytes, the limit is {}",
                    entry.size, self.limits.max_manifest_size
                ),
            )
            .with_path(&entry.name));
        }
        let mut buf = Vec::with_capacity(entry.size.min(1 << 24) as usize);
        match self.kind {
            ContainerKind::Zip => {
                let zi = self.zip_index[mi];
                let limits = self.limits.clone();
                let ar = self.zip_archive()?;
                read_zip_entry(ar, zi, &entry, &limits, |r| {
                    r.read_to_end(&mut buf)?;
                    Ok(())
                })?;
            }
            ContainerKind::Directory => {
                let p = self.path.join(&entry.name);
                let f = File::open(&p).map_err(|e| Error::from(e).with_path(&p))?;
                f.take(self.limits.max_manifest_size.saturating_add(1))
                    .read_to_end(&mut buf)
                    .map_err(|e| Error::from(e).with_path(&p))?;
            }
            _ => {
                // Captured during the opening pass.
                return Err(Error::internal("tar manifest was not captured"));
            }
        }
        Ok(buf)
    }

    /// The manifest as a reader.
    pub fn read_manifest(&mut self) -> Result<impl Read> {
        Ok(Cursor::new(self.manifest_bytes()?))
    }

    /// Streams every file except the manifest, in container order, to `f`.
    ///
    /// The reader handed to `f` is bounded by the limits; reading it to the end also
    /// checks the archive's CRC (zip, gzip, bzip2) and the declared size.
    pub fn for_each_object<F>(&mut self, mut f: F) -> Result<()>
    where
        F: FnMut(&Entry, &mut dyn Read) -> Result<()>,
    {
        let manifest = self.manifest;
        self.for_each_file_inner(|i, e, r| {
            if Some(i) == manifest {
                return Ok(());
            }
            f(e, r)
        })
    }

    /// Digest and size of every file (the manifest included), in container order.
    ///
    /// Zip entries and directory files are hashed in parallel (rayon); tars are read in
    /// one sequential pass.
    pub fn hash_all(&mut self, algorithm: DigestAlgorithm) -> Result<Vec<ObjectDigest>> {
        match self.kind {
            ContainerKind::Zip => {
                let path = self.path.clone();
                let limits = self.limits.clone();
                let items: Vec<(usize, Entry)> = self
                    .entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.kind == EntryKind::File)
                    .map(|(i, e)| (self.zip_index[i], e.clone()))
                    .collect();
                items
                    .par_iter()
                    .map_init(
                        || open_zip_archive(&path),
                        |ar, (zi, entry)| {
                            let ar = ar.as_mut().map_err(|e| {
                                Error::new(e.kind(), e.message().to_string()).with_path(&path)
                            })?;
                            let mut out = None;
                            read_zip_entry(ar, *zi, entry, &limits, |r| {
                                out = Some(hash_stream(algorithm, r)?);
                                Ok(())
                            })?;
                            let (digest, size) = out.ok_or_else(|| Error::internal("no digest"))?;
                            Ok(ObjectDigest {
                                name: entry.name.clone(),
                                digest,
                                size,
                            })
                        },
                    )
                    .collect()
            }
            ContainerKind::Directory => {
                let root = self.path.clone();
                let limits = self.limits.clone();
                self.entries
                    .par_iter()
                    .filter(|e| e.kind == EntryKind::File)
                    .map(|e| {
                        let p = root.join(&e.name);
                        let f = open_regular(&p)?;
                        let mut g = EntryGuard::new(f, e, &limits, None);
                        let (digest, size) =
                            hash_stream(algorithm, &mut g).map_err(|x| x.or_path(&e.name))?;
                        g.finish()?;
                        Ok(ObjectDigest {
                            name: e.name.clone(),
                            digest,
                            size,
                        })
                    })
                    .collect()
            }
            _ => {
                let mut out = Vec::new();
                self.for_each_file_inner(|_, e, r| {
                    let (digest, size) = hash_stream(algorithm, r)?;
                    out.push(ObjectDigest {
                        name: e.name.clone(),
                        digest,
                        size,
                    });
                    Ok(())
                })?;
                Ok(out)
            }
        }
    }

    /// Extracts the package into `dest`, which must not exist or be an empty directory.
    /// On error (a damaged entry, a full disk) what was extracted is removed again.
    ///
    /// Nothing is ever written outside `dest`: names were checked at opening, files are
    /// created with `create_new` (an existing file or link is never followed nor
    /// overwritten), and every parent directory is created by this function.
    pub fn extract_to(&mut self, dest: impl AsRef<Path>) -> Result<()> {
        let dest = dest.as_ref().to_path_buf();
        match fs::symlink_metadata(&dest) {
            Ok(md) => {
                if !md.is_dir() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        "extraction destination exists and is not a directory",
                    )
                    .with_path(&dest));
                }
                if fs::read_dir(&dest)?.next().is_some() {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        "extraction destination is not empty",
                    )
                    .with_path(&dest));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(&dest).map_err(|e| Error::from(e).with_path(&dest))?;
            }
            Err(e) => return Err(Error::from(e).with_path(&dest)),
        }
        let res = self.extract_into(&dest);
        if res.is_err() {
            // Leave the destination as empty as it was: remove what was extracted.
            if let Ok(rd) = fs::read_dir(&dest) {
                for child in rd.flatten() {
                    let p = child.path();
                    let _ = match child.file_type() {
                        Ok(t) if t.is_dir() => fs::remove_dir_all(&p),
                        _ => fs::remove_file(&p),
                    };
                }
            }
        }
        res
    }

    fn extract_into(&mut self, dest: &Path) -> Result<()> {
        let dest = dest.to_path_buf();
        for e in self
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Directory)
        {
            make_dirs(&dest, &e.name)?;
        }
        self.for_each_file_inner(|_, e, r| {
            if let Some((parent, _)) = e.name.rsplit_once('/') {
                make_dirs(&dest, parent)?;
            }
            let target = dest.join(&e.name);
            let mut out = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&target)
                .map_err(|x| Error::from(x).with_path(&target))?;
            io::copy(r, &mut out).map_err(|x| from_io(x, &e.name))?;
            Ok(())
        })
    }

    // ----- internals -----

    fn zip_archive(&mut self) -> Result<&mut ZipArchive<BufReader<File>>> {
        if self.zip.is_none() {
            self.zip = Some(open_zip_archive(&self.path)?);
        }
        self.zip
            .as_mut()
            .ok_or_else(|| Error::internal("zip archive not open"))
    }

    fn for_each_file_inner<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(usize, &Entry, &mut dyn Read) -> Result<()>,
    {
        let mut s = self.object_stream();
        let r = s.for_each_file_inner(|_| true, f);
        // The open zip archive comes back for the next pass.
        self.zip = s.zip.take();
        r
    }

    /// Detaches what streaming the objects needs (the open zip archive moves along; this
    /// reader reopens it when it needs it again), so that the objects can be read on
    /// another thread while this reader still answers about names and the manifest.
    pub(crate) fn object_stream(&mut self) -> ObjectStream {
        ObjectStream {
            path: self.path.clone(),
            kind: self.kind,
            limits: self.limits.clone(),
            entries: self.entries.clone(),
            zip_index: self.zip_index.clone(),
            zip: self.zip.take(),
            manifest: self.manifest,
        }
    }

    fn push(&mut self, entry: Entry) -> Result<()> {
        if self.entries.len() as u64 >= self.limits.max_entries {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the package holds more than {} entries",
                    self.limits.max_entries
                ),
            )
            .with_path(&entry.name));
        }
        if entry.size > self.limits.max_entry_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "entry is {} bytes, the limit is {}",
                    entry.size, self.limits.max_entry_size
                ),
            )
            .with_path(&entry.name));
        }
        self.total = self.total.saturating_add(entry.size);
        self.entries.push(entry);
        if self.total > self.limits.max_total_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the package's uncompressed size exceeds {} bytes",
                    self.limits.max_total_size
                ),
            )
            .with_path(&self.entries[self.entries.len() - 1].name));
        }
        Ok(())
    }

    fn open_zip(&mut self) -> Result<()> {
        let mut ar = open_zip_archive(&self.path)?;
        if ar.len() as u64 > self.limits.max_entries {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the package holds {} entries, the limit is {}",
                    ar.len(),
                    self.limits.max_entries
                ),
            )
            .with_path(&self.path));
        }
        if ar.has_duplicate_names() {
            let dup = find_duplicate_zip_name(&self.path, &mut ar);
            let mut e = Error::new(ErrorKind::Unsafe, "duplicate entry names in the zip")
                .with_code(codes::UPLOAD_SIP_KO);
            if let Some(d) = dup {
                e = e.with_path(d);
            }
            return Err(e);
        }
        for i in 0..ar.len() {
            let d = ar.by_index_data(i).map_err(|e| zip_err(e, None))?;
            let raw = d.name_raw().to_vec();
            let checked = check_entry_name(&raw, &self.limits)?;
            let Some(checked) = checked else { continue };
            let name = checked.name;
            if d.is_symlink() {
                return Err(Error::new(ErrorKind::Unsafe, "symbolic link entry refused")
                    .with_path(&name)
                    .with_code(codes::STP_UPLOAD_SIP_KO));
            }
            if d.encrypted() {
                return Err(
                    Error::new(ErrorKind::Unsupported, "encrypted zip entry").with_path(&name)
                );
            }
            let is_dir = d.is_dir() || checked.trailing_slash;
            if !is_dir {
                match d.compression() {
                    zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated => {}
                    m => {
                        return Err(Error::new(
                            ErrorKind::Unsupported,
                            format!("zip compression method {m:?} is not supported"),
                        )
                        .with_path(&name));
                    }
                }
            }
            if let Some(mode) = d.unix_mode() {
                let ft = mode & 0o170000;
                if ft != 0 && ft != 0o100000 && ft != 0o040000 {
                    return Err(Error::new(
                        ErrorKind::Unsafe,
                        "special file (device, fifo, socket or link) refused",
                    )
                    .with_path(&name)
                    .with_code(codes::STP_UPLOAD_SIP_KO));
                }
            }
            let size = if is_dir { 0 } else { d.size() };
            let csize = d.compressed_size();
            if !is_dir && self.limits.ratio_exceeded(size, csize) {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "compression ratio {} exceeds the limit of {} (decompression bomb?)",
                        size / csize.max(1),
                        self.limits.max_ratio
                    ),
                )
                .with_path(&name));
            }
            self.push(Entry {
                name,
                size,
                kind: if is_dir {
                    EntryKind::Directory
                } else {
                    EntryKind::File
                },
                compressed_size: Some(csize),
            })?;
            self.zip_index.push(i);
        }
        if ar.has_overlapping_files().map_err(|e| zip_err(e, None))? {
            let which = overlapping_zip_entry(&mut ar);
            return Err(Error::new(
                ErrorKind::Unsafe,
                "zip entries share compressed data (overlapping-entry zip bomb)",
            )
            .with_path(which.unwrap_or_else(|| self.path.display().to_string()))
            .with_code(codes::UPLOAD_SIP_KO));
        }
        // Streaming readers (Vitam's among them) trust local headers: they must agree with
        // the central directory, and no local entry may hide outside it.
        if let Err(e) = ar.validate_header_consistency() {
            // Name the first entry whose local header disagrees, when there is one.
            let entry = (0..ar.len()).find_map(|i| {
                let name =
                    String::from_utf8_lossy(ar.by_index_data(i).ok()?.name_raw()).into_owned();
                let opts = zip::ZipReadOptions::new().enforce_header_consistency(true);
                ar.by_index_with_options(i, opts).err().map(|_| name)
            });
            return Err(Error::new(
                ErrorKind::Unsafe,
                format!("zip local headers disagree with the central directory: {e}"),
            )
            .with_path(entry.unwrap_or_else(|| self.path.display().to_string()))
            .with_code(codes::UPLOAD_SIP_KO));
        }
        self.zip = Some(ar);
        self.find_manifest();
        Ok(())
    }

    fn open_tar(&mut self) -> Result<()> {
        let path = self.path.clone();
        let kind = self.kind;
        let limits = self.limits.clone();
        let mut found: Vec<Entry> = Vec::new();
        let mut manifest: Option<(usize, Vec<u8>)> = None;
        let mut total = 0u64;
        walk_tar(&path, kind, &limits, |e, r| {
            // Refuse as soon as the declared sizes exceed the limit, before reading on.
            total = total.saturating_add(e.size);
            if total > limits.max_total_size {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "the package's uncompressed size exceeds {} bytes",
                        limits.max_total_size
                    ),
                )
                .with_path(&e.name));
            }
            if found.len() as u64 >= limits.max_entries {
                return Err(Error::new(
                    ErrorKind::LimitExceeded,
                    format!("the package holds more than {} entries", limits.max_entries),
                )
                .with_path(&e.name));
            }
            if let Some(r) = r
                && manifest.is_none()
                && e.is_root()
                && e.name.ends_with("manifest.xml")
            {
                if e.size > limits.max_manifest_size {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!(
                            "the manifest is {} bytes, the limit is {}",
                            e.size, limits.max_manifest_size
                        ),
                    )
                    .with_path(&e.name));
                }
                let mut buf = Vec::new();
                r.read_to_end(&mut buf).map_err(|x| from_io(x, &e.name))?;
                manifest = Some((found.len(), buf));
            }
            found.push(e.clone());
            Ok(())
        })?;
        for e in found {
            self.push(e)?;
        }
        if let Some((i, b)) = manifest {
            self.manifest = Some(i);
            self.manifest_cache = Some(b);
        }
        Ok(())
    }

    fn open_dir(&mut self) -> Result<()> {
        let root = self.path.clone();
        let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
        let mut found = Vec::new();
        while let Some(rel) = stack.pop() {
            let abs = root.join(&rel);
            let rd = fs::read_dir(&abs).map_err(|e| Error::from(e).with_path(&abs))?;
            for de in rd {
                let de = de.map_err(|e| Error::from(e).with_path(&abs))?;
                let fname = de.file_name();
                let Some(fname) = fname.to_str() else {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "file name is not valid UTF-8",
                    )
                    .with_path(de.path())
                    .with_code(codes::STP_UPLOAD_SIP_KO));
                };
                let rel_child = if rel.as_os_str().is_empty() {
                    fname.to_string()
                } else {
                    format!("{}/{}", rel.to_string_lossy(), fname)
                };
                let checked = check_entry_name(rel_child.as_bytes(), &self.limits)?
                    .ok_or_else(|| Error::internal("empty directory entry"))?;
                let md = fs::symlink_metadata(de.path())
                    .map_err(|e| Error::from(e).with_path(de.path()))?;
                let ft = md.file_type();
                if ft.is_symlink() {
                    return Err(Error::new(ErrorKind::Unsafe, "symbolic link refused")
                        .with_path(&checked.name)
                        .with_code(codes::STP_UPLOAD_SIP_KO));
                } else if ft.is_dir() {
                    stack.push(PathBuf::from(&checked.name));
                    found.push(Entry {
                        name: checked.name,
                        size: 0,
                        kind: EntryKind::Directory,
                        compressed_size: None,
                    });
                } else if ft.is_file() {
                    found.push(Entry {
                        name: checked.name,
                        size: md.len(),
                        kind: EntryKind::File,
                        compressed_size: None,
                    });
                } else {
                    return Err(Error::new(
                        ErrorKind::Unsafe,
                        "special file (device, fifo, socket) refused",
                    )
                    .with_path(&checked.name));
                }
                if found.len() as u64 > self.limits.max_entries {
                    return Err(Error::new(
                        ErrorKind::LimitExceeded,
                        format!(
                            "the package holds more than {} entries",
                            self.limits.max_entries
                        ),
                    )
                    .with_path(&root));
                }
            }
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        for e in found {
            self.push(e)?;
        }
        self.find_manifest();
        Ok(())
    }

    fn find_manifest(&mut self) {
        self.manifest = self.entries.iter().position(|e| {
            e.kind == EntryKind::File && e.is_root() && e.name.ends_with("manifest.xml")
        });
    }

    /// Duplicate names, files used as directories, empty packages.
    fn check_structure(&self) -> Result<()> {
        if !self.entries.iter().any(|e| e.kind == EntryKind::File) {
            return Err(
                Error::new(ErrorKind::InvalidInput, "the package holds no file")
                    .with_path(&self.path)
                    .with_code(codes::UPLOAD_SIP_KO),
            );
        }
        let mut seen: HashSet<&str> = HashSet::with_capacity(self.entries.len());
        let mut files: HashSet<&str> = HashSet::new();
        let mut parents: BTreeSet<&str> = BTreeSet::new();
        for e in &self.entries {
            if !seen.insert(&e.name) {
                return Err(Error::new(ErrorKind::Unsafe, "duplicate entry name")
                    .with_path(&e.name)
                    .with_code(codes::UPLOAD_SIP_KO));
            }
            if e.kind == EntryKind::File {
                files.insert(&e.name);
            }
            let mut rest = e.name.as_str();
            while let Some((p, _)) = rest.rsplit_once('/') {
                parents.insert(p);
                rest = p;
            }
        }
        for p in parents {
            if files.contains(p) {
                return Err(
                    Error::new(ErrorKind::Unsafe, "entry is both a file and a directory")
                        .with_path(p)
                        .with_code(codes::UPLOAD_SIP_KO),
                );
            }
        }
        Ok(())
    }
}

/// The objects of an opened package, detached from its [`SipReader`] by
/// `SipReader::object_stream`: the same checked entries and the same safe readers
/// (limits, CRCs, sizes), usable on another thread.
pub(crate) struct ObjectStream {
    path: PathBuf,
    kind: ContainerKind,
    limits: Limits,
    entries: Vec<Entry>,
    zip_index: Vec<usize>,
    zip: Option<ZipArchive<BufReader<File>>>,
    manifest: Option<usize>,
}

impl ObjectStream {
    /// The file entries but the manifest, in container order.
    pub(crate) fn objects(&self) -> impl Iterator<Item = &Entry> {
        let manifest = self.manifest;
        self.entries
            .iter()
            .enumerate()
            .filter(move |(i, e)| e.kind == EntryKind::File && Some(*i) != manifest)
            .map(|(_, e)| e)
    }

    /// Streams every file except the manifest for which `keep` is true, in container order,
    /// to `f`, as [`SipReader::for_each_object`] does. The others are not read from a zip or
    /// a directory (a tar is read through).
    pub(crate) fn for_each_object_where<K, F>(&mut self, keep: K, mut f: F) -> Result<()>
    where
        K: Fn(&Entry) -> bool,
        F: FnMut(&Entry, &mut dyn Read) -> Result<()>,
    {
        let manifest = self.manifest;
        self.for_each_file_inner(keep, |i, e, r| {
            if Some(i) == manifest {
                return Ok(());
            }
            f(e, r)
        })
    }

    fn for_each_file_inner<K, F>(&mut self, keep: K, mut f: F) -> Result<()>
    where
        K: Fn(&Entry) -> bool,
        F: FnMut(usize, &Entry, &mut dyn Read) -> Result<()>,
    {
        match self.kind {
            ContainerKind::Zip => {
                if self.zip.is_none() {
                    self.zip = Some(open_zip_archive(&self.path)?);
                }
                let ar = self
                    .zip
                    .as_mut()
                    .ok_or_else(|| Error::internal("zip archive not open"))?;
                for (i, e) in self.entries.iter().enumerate() {
                    if e.kind != EntryKind::File || !keep(e) {
                        continue;
                    }
                    read_zip_entry(ar, self.zip_index[i], e, &self.limits, |r| f(i, e, r))?;
                }
                Ok(())
            }
            ContainerKind::Directory => {
                for (i, e) in self.entries.iter().enumerate() {
                    if e.kind != EntryKind::File || !keep(e) {
                        continue;
                    }
                    let p = self.path.join(&e.name);
                    let file = open_regular(&p)?;
                    let mut g = EntryGuard::new(file, e, &self.limits, None);
                    f(i, e, &mut g).map_err(|x| x.or_path(&e.name))?;
                    drain(&mut g, &e.name)?;
                    g.finish()?;
                }
                Ok(())
            }
            _ => {
                let expected = &self.entries;
                let mut pos = 0usize;
                walk_tar(&self.path, self.kind, &self.limits, |e, r| {
                    match expected.get(pos) {
                        Some(x) if x.name == e.name && x.kind == e.kind => {}
                        _ => {
                            return Err(Error::new(
                                ErrorKind::Conflict,
                                "the package changed since it was opened",
                            )
                            .with_path(&e.name));
                        }
                    }
                    let idx = pos;
                    pos += 1;
                    if let Some(r) = r
                        && keep(e)
                    {
                        f(idx, e, r)?;
                    }
                    Ok(())
                })
            }
        }
    }
}

fn open_regular(p: &Path) -> Result<File> {
    let md = fs::symlink_metadata(p).map_err(|e| Error::from(e).with_path(p))?;
    if !md.file_type().is_file() {
        return Err(Error::new(
            ErrorKind::Conflict,
            "file changed into a non-regular file since the package was opened",
        )
        .with_path(p));
    }
    File::open(p).map_err(|e| Error::from(e).with_path(p))
}

fn make_dirs(dest: &Path, rel: &str) -> Result<()> {
    let mut cur = dest.to_path_buf();
    for part in rel.split('/') {
        cur.push(part);
        match fs::symlink_metadata(&cur) {
            Ok(md) if md.is_dir() => {}
            Ok(_) => {
                return Err(
                    Error::new(ErrorKind::Unsafe, "not a directory in the way").with_path(&cur)
                );
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&cur).map_err(|e| Error::from(e).with_path(&cur))?;
            }
            Err(e) => return Err(Error::from(e).with_path(&cur)),
        }
    }
    Ok(())
}

fn hash_stream(algorithm: DigestAlgorithm, r: &mut dyn Read) -> Result<(String, u64)> {
    let mut h = Hasher::new(algorithm);
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(from_io(e, "")),
        };
        h.update(&buf[..n]);
    }
    let len = h.len();
    Ok((h.finalize_hex(), len))
}

fn drain(r: &mut dyn Read, name: &str) -> Result<()> {
    io::copy(r, &mut io::sink()).map_err(|e| from_io(e, name))?;
    Ok(())
}

/// Converts an I/O error met while reading an archive; recovers our own errors that were
/// tunnelled through `io::Error`.
pub(crate) fn from_io(e: io::Error, entry: &str) -> Error {
    let kind = e.kind();
    let err = if e.get_ref().is_some_and(|x| x.is::<Error>()) {
        match e.into_inner().map(|b| b.downcast::<Error>()) {
            Some(Ok(b)) => *b,
            _ => Error::internal("lost error"),
        }
    } else {
        match kind {
            io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => Error::from(e),
            io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock => Error::from(e),
            _ => Error::new(ErrorKind::Corrupt, format!("damaged archive: {e}"))
                .with_code(codes::UPLOAD_SIP_KO)
                .with_source(e),
        }
    };
    if entry.is_empty() {
        err
    } else {
        err.or_path(entry)
    }
}

fn zip_err(e: zip::result::ZipError, entry: Option<&str>) -> Error {
    use zip::result::ZipError as Z;
    let err = match e {
        Z::Io(io) => return from_io(io, entry.unwrap_or("")),
        Z::InvalidArchive(m) => Error::new(ErrorKind::Corrupt, format!("damaged zip: {m}"))
            .with_code(codes::UPLOAD_SIP_KO),
        Z::UnsupportedArchive(m) => {
            Error::new(ErrorKind::Unsupported, format!("unsupported zip: {m}"))
        }
        other => Error::new(ErrorKind::Corrupt, format!("zip error: {other}"))
            .with_code(codes::UPLOAD_SIP_KO),
    };
    match entry {
        Some(n) => err.with_path(n),
        None => err,
    }
}

fn open_zip_archive(path: &Path) -> Result<ZipArchive<BufReader<File>>> {
    let f = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    ZipArchive::new(BufReader::new(f)).map_err(|e| zip_err(e, None).or_path(path))
}

fn read_zip_entry<R: Read + Seek>(
    ar: &mut ZipArchive<R>,
    zi: usize,
    entry: &Entry,
    limits: &Limits,
    f: impl FnOnce(&mut dyn Read) -> Result<()>,
) -> Result<()> {
    let zf = ar.by_index(zi).map_err(|e| zip_err(e, Some(&entry.name)))?;
    let mut g = EntryGuard::new(zf, entry, limits, entry.compressed_size);
    f(&mut g).map_err(|e| e.or_path(&entry.name))?;
    drain(&mut g, &entry.name)?;
    g.finish()
}

/// The name of an entry whose compressed data overlaps another's (for the error message).
fn overlapping_zip_entry<R: Read + Seek>(ar: &mut ZipArchive<R>) -> Option<String> {
    let mut ranges: Vec<(u64, u64, String)> = Vec::new();
    for i in 0..ar.len() {
        let f = ar.by_index_raw(i).ok()?;
        let start = f.data_start()?;
        if f.compressed_size() == 0 {
            continue;
        }
        let name = String::from_utf8_lossy(f.name_raw()).into_owned();
        ranges.push((start, start.saturating_add(f.compressed_size()), name));
    }
    ranges.sort();
    ranges
        .windows(2)
        .find(|w| w[1].0 < w[0].1)
        .map(|w| w[1].2.clone())
}

/// Scans the central directory for the first repeated name (for the error message).
fn find_duplicate_zip_name<R: Read + Seek>(path: &Path, ar: &mut ZipArchive<R>) -> Option<String> {
    let start = ar.central_directory_start();
    let f = File::open(path).ok()?;
    let mut r = BufReader::new(f);
    r.seek(SeekFrom::Start(start)).ok()?;
    let mut seen = HashSet::new();
    loop {
        let mut fixed = [0u8; 46];
        r.read_exact(&mut fixed).ok()?;
        if fixed[..4] != [0x50, 0x4b, 0x01, 0x02] {
            return None;
        }
        let n = u16::from_le_bytes([fixed[28], fixed[29]]) as usize;
        let x = u16::from_le_bytes([fixed[30], fixed[31]]) as i64;
        let c = u16::from_le_bytes([fixed[32], fixed[33]]) as i64;
        let mut name = vec![0u8; n];
        r.read_exact(&mut name).ok()?;
        r.seek(SeekFrom::Current(x + c)).ok()?;
        let s = String::from_utf8_lossy(&name).into_owned();
        if !seen.insert(s.clone()) {
            return Some(s);
        }
    }
}

/// Bounds an entry's reader: declared size, entry-size limit, ratio; checks the size at EOF.
struct EntryGuard<'a, R> {
    inner: R,
    entry: &'a Entry,
    limits: &'a Limits,
    compressed: Option<u64>,
    produced: u64,
}

impl<'a, R: Read> EntryGuard<'a, R> {
    fn new(inner: R, entry: &'a Entry, limits: &'a Limits, compressed: Option<u64>) -> Self {
        EntryGuard {
            inner,
            entry,
            limits,
            compressed,
            produced: 0,
        }
    }

    fn finish(self) -> Result<()> {
        if self.produced != self.entry.size {
            return Err(Error::new(
                ErrorKind::Corrupt,
                format!(
                    "entry declares {} bytes but holds {}",
                    self.entry.size, self.produced
                ),
            )
            .with_path(&self.entry.name)
            .with_code(codes::UPLOAD_SIP_KO));
        }
        Ok(())
    }
}

impl<R: Read> Read for EntryGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.entry.size {
            return Err(Error::new(
                ErrorKind::Corrupt,
                format!(
                    "entry holds more than the {} bytes it declares",
                    self.entry.size
                ),
            )
            .with_path(&self.entry.name)
            .with_code(codes::UPLOAD_SIP_KO)
            .into());
        }
        if self.produced > self.limits.max_entry_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("entry exceeds {} bytes", self.limits.max_entry_size),
            )
            .with_path(&self.entry.name)
            .into());
        }
        if let Some(c) = self.compressed
            && self.limits.ratio_exceeded(self.produced, c)
        {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "compression ratio exceeds the limit of {} (decompression bomb?)",
                    self.limits.max_ratio
                ),
            )
            .with_path(&self.entry.name)
            .into());
        }
        Ok(n)
    }
}

/// Counts bytes read from the compressed file.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Stops a compressed tar whose decompressed stream outgrows the limits.
struct StreamGuard<R> {
    inner: R,
    consumed: Option<Rc<Cell<u64>>>,
    produced: u64,
    max_stream: u64,
    limits: Limits,
}

impl<R: Read> Read for StreamGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.max_stream {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "the package's uncompressed size exceeds {} bytes",
                    self.limits.max_total_size
                ),
            )
            .into());
        }
        if let Some(c) = &self.consumed
            && self.limits.ratio_exceeded(self.produced, c.get())
        {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "compression ratio exceeds the limit of {} (decompression bomb?)",
                    self.limits.max_ratio
                ),
            )
            .into());
        }
        Ok(n)
    }
}

/// Streams a tar (plain or compressed) and hands each checked entry to `f`, with a
/// reader for files.
fn walk_tar<F>(path: &Path, kind: ContainerKind, limits: &Limits, mut f: F) -> Result<()>
where
    F: FnMut(&Entry, Option<&mut dyn Read>) -> Result<()>,
{
    let file = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    let count = Rc::new(Cell::new(0u64));
    let counting = Counting {
        inner: BufReader::with_capacity(256 * 1024, file),
        count: count.clone(),
    };
    let (stream, consumed): (Box<dyn Read>, Option<Rc<Cell<u64>>>) = match kind {
        ContainerKind::Tar => (Box::new(counting), None),
        ContainerKind::TarGz => (
            Box::new(flate2::read::MultiGzDecoder::new(counting)),
            Some(count),
        ),
        ContainerKind::TarBz2 => (
            Box::new(bzip2::read::MultiBzDecoder::new(counting)),
            Some(count),
        ),
        _ => return Err(Error::internal("walk_tar on a non-tar container")),
    };
    // Tar headers and padding add at most ~1 KiB per entry on top of the data.
    let overhead = limits
        .max_entries
        .saturating_mul(1536)
        .saturating_add(1 << 20);
    let mut guard = StreamGuard {
        inner: stream,
        consumed,
        produced: 0,
        max_stream: limits.max_total_size.saturating_add(overhead),
        limits: limits.clone(),
    };
    // Make sure a compressed stream really holds a tar.
    if kind != ContainerKind::Tar {
        let mut head = Vec::with_capacity(512);
        (&mut guard)
            .take(512)
            .read_to_end(&mut head)
            .map_err(|e| from_io(e, "").or_path(path))?;
        if !is_tar_header(&head) {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "compressed stream does not hold a tar archive",
            )
            .with_path(path)
            .with_code(codes::CHECK_CONTAINER_KO));
        }
        let chained = Cursor::new(head).chain(guard);
        return walk_tar_stream(chained, limits, path, &mut f);
    }
    walk_tar_stream(guard, limits, path, &mut f)
}

fn walk_tar_stream<R: Read, F>(stream: R, limits: &Limits, path: &Path, f: &mut F) -> Result<()>
where
    F: FnMut(&Entry, Option<&mut dyn Read>) -> Result<()>,
{
    use tar::EntryType as T;
    let mut ar = tar::Archive::new(stream);
    let entries = ar.entries().map_err(|e| from_io(e, "").or_path(path))?;
    for item in entries {
        let mut te = item.map_err(|e| from_io(e, "").or_path(path))?;
        let ty = te.header().entry_type();
        let raw = te.path_bytes().into_owned();
        if matches!(ty, T::XGlobalHeader) {
            continue;
        }
        let checked = check_entry_name(&raw, limits)?;
        let lossy = String::from_utf8_lossy(&raw).into_owned();
        let kind = match ty {
            T::Regular | T::Continuous => EntryKind::File,
            T::Directory => EntryKind::Directory,
            T::Symlink | T::Link => {
                return Err(Error::new(
                    ErrorKind::Unsafe,
                    if ty == T::Symlink {
                        "symbolic link entry refused"
                    } else {
                        "hard link entry refused"
                    },
                )
                .with_path(&lossy)
                .with_code(codes::STP_UPLOAD_SIP_KO));
            }
            T::Char | T::Block | T::Fifo => {
                return Err(
                    Error::new(ErrorKind::Unsafe, "device or fifo entry refused")
                        .with_path(&lossy)
                        .with_code(codes::STP_UPLOAD_SIP_KO),
                );
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("tar entry type {other:?} is not supported"),
                )
                .with_path(&lossy));
            }
        };
        let Some(checked) = checked else { continue };
        let size = if kind == EntryKind::File {
            te.size()
        } else {
            0
        };
        let entry = Entry {
            name: checked.name,
            size,
            kind,
            compressed_size: None,
        };
        if entry.size > limits.max_entry_size {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!(
                    "entry is {} bytes, the limit is {}",
                    entry.size, limits.max_entry_size
                ),
            )
            .with_path(&entry.name));
        }
        if kind == EntryKind::File {
            let mut g = EntryGuard::new(&mut te, &entry, limits, None);
            f(&entry, Some(&mut g)).map_err(|e| e.or_path(&entry.name))?;
            drain(&mut g, &entry.name)?;
            g.finish()?;
        } else {
            f(&entry, None)?;
        }
    }
    // Read to the end of the stream so that gzip/bzip2 trailers (CRC, size) are checked.
    let mut rest = ar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| from_io(e, "").or_path(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(ContainerKind::Zip));
        assert_eq!(sniff(b"PK\x05\x06"), Some(ContainerKind::Zip));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(ContainerKind::TarGz));
        assert_eq!(sniff(b"BZh91AY"), Some(ContainerKind::TarBz2));
        assert_eq!(sniff(b"hello"), None);
        let mut h = tar::Header::new_old();
        h.set_path("a.txt").unwrap();
        h.set_size(0);
        h.set_cksum();
        assert_eq!(sniff(h.as_bytes()), Some(ContainerKind::Tar));
        let mut bad = h.as_bytes().to_vec();
        bad[0] ^= 1;
        assert_eq!(sniff(&bad), None);
    }
}
