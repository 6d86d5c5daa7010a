//! Building SIPs: a DAG of archive units with metadata and objects, written as a package
//! whose manifest carries every digest and size.
//!
//! # Two passes (default) or manifest last
//!
//! The manifest must carry the digests, and Vitam (like sedalib) expects it first in the
//! package. [`SipBuilder`] therefore hashes every object in a first pass (in parallel, with
//! rayon; readers are spooled to temporary files while hashed), builds the manifest, then
//! streams the manifest and the objects into the package. Each object is hashed once: the
//! second pass only copies it and checks its size and CRC-32 (a cheap checksum computed in
//! the first pass too) — if a file changed between the two passes the build fails with
//! [`ErrorKind::Conflict`] instead of producing a package whose manifest lies.
//!
//! With [`BuildOptions::manifest_last`], objects are read once: the calling thread reads
//! each file while hashing threads (as many as rayon's pool, i.e. `RAYON_NUM_THREADS`)
//! work on what it read, memory bounded by a fixed number of buffers, and the manifest is
//! written at the end. The manifest is the same byte for byte. Files of up to
//! [`BATCH_FILE_MAX`] are read whole, one after the other, into batches of up to 4 MiB or
//! 64 files; the hashing threads hash them (8 side by side with the multi-buffer
//! SHA-512), identify them and deflate their zip entries, and the calling thread writes
//! the batches in order: deflate, the bulk of the work on compressible files, runs on
//! every thread. Larger files stream in 1 MiB chunks, each written from the buffer it was
//! read into and hashed by another thread. With one thread, each chunk is hashed right
//! after it is read, while it is still in the cache. The second pass of a manifest-first
//! build on several threads uses the same batches (CRC-32 checked instead of hashed).
//!
//! Format identification ([`BuildOptions::registry`], or the callback returned by
//! [`bundled_format_identifier`]) uses the first and last bytes the hashing pass read: a
//! file is not opened again, except ZIP and OLE2 containers, whose directory is read.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};

use rayon::prelude::*;
use regex::Regex;

use super::writer::{Chunks, Exact, PackageWriter, PreparedEntry, WriterOptions, fill};
use crate::digest::{
    DigestAlgorithm, Hasher, digest_file_crc32, digest_many_hex, digest_reader_crc32,
};
use crate::error::{Error, ErrorKind, Result};
use crate::seda::{ArchiveTransfer, ArchiveUnit, Document, ObjectSpec, SedaVersion};

/// A unit of a [`SipBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitId(usize);

enum Source {
    Path(PathBuf),
    Bytes(Arc<Vec<u8>>),
    Reader(Box<dyn Read + Send>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Path(p) => write!(f, "Path({})", p.display()),
            Source::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Source::Reader(_) => f.write_str("Reader"),
        }
    }
}

/// An object to add to a unit: its data (a file, bytes or a reader), its usage and
/// version, and what is known of its format.
///
/// ```
/// use vas_core::sip::ObjectInput;
/// let o = ObjectInput::bytes("note.txt", b"hello".to_vec())
///     .usage("Dissemination_1")
///     .format(Some("x-fmt/111"), Some("text/plain"));
/// assert_eq!(o.usage_name(), "Dissemination_1");
/// ```
#[derive(Debug)]
pub struct ObjectInput {
    source: Source,
    usage: String,
    filename: String,
    format_id: Option<String>,
    mime_type: Option<String>,
    format_litteral: Option<String>,
    last_modified: Option<String>,
    /// The file's size when it was listed (progress totals only: the size written is the
    /// one of the opened file).
    size_hint: Option<u64>,
    /// The metadata taken when the object was made said it is a regular file:
    /// [`SipBuilder::add_object`] need not `stat` it again.
    regular_file: bool,
}

impl ObjectInput {
    fn new(source: Source, filename: String) -> Self {
        ObjectInput {
            source,
            usage: "BinaryMaster_1".into(),
            filename,
            format_id: None,
            mime_type: None,
            format_litteral: None,
            last_modified: None,
            size_hint: None,
            regular_file: false,
        }
    }

    /// A file on disk (streamed, never loaded in memory). `FileInfo/Filename` is its name
    /// and `FileInfo/LastModified` its modification time.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let md = std::fs::metadata(&path).ok();
        ObjectInput::from_path(path, md.as_ref())
    }

    /// [`ObjectInput::path`] with the metadata the caller already has (a folder walk): no
    /// second `stat` of the file.
    pub(crate) fn path_with_metadata(path: impl Into<PathBuf>, md: &std::fs::Metadata) -> Self {
        ObjectInput::from_path(path.into(), Some(md))
    }

    fn from_path(path: PathBuf, md: Option<&std::fs::Metadata>) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut o = ObjectInput::new(Source::Path(path), name);
        o.size_hint = md.map(|m| m.len());
        o.regular_file = md.is_some_and(|m| m.is_file());
        o.last_modified = md.and_then(|m| m.modified().ok()).map(|t| {
            let t: time::OffsetDateTime = t.into();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        });
        o
    }

    /// Bytes in memory, with the file name to declare.
    pub fn bytes(filename: &str, data: Vec<u8>) -> Self {
        ObjectInput::new(Source::Bytes(Arc::new(data)), filename.to_string())
    }

    /// Any reader (spooled to a temporary file during the hashing pass).
    pub fn reader(filename: &str, reader: impl Read + Send + 'static) -> Self {
        ObjectInput::new(Source::Reader(Box::new(reader)), filename.to_string())
    }

    /// Sets the usage and version (`BinaryMaster_1` by default; `Dissemination_1`,
    /// `Thumbnail_1`, `TextContent_1` …).
    pub fn usage(mut self, usage: &str) -> Self {
        self.usage = usage.to_string();
        self
    }

    /// The usage and version.
    pub fn usage_name(&self) -> &str {
        &self.usage
    }

    /// Sets the format: PRONOM identifier and MIME type, when known.
    pub fn format(mut self, puid: Option<&str>, mime_type: Option<&str>) -> Self {
        self.format_id = puid.map(str::to_string);
        self.mime_type = mime_type.map(str::to_string);
        self
    }

    /// Sets `FormatIdentification/FormatLitteral`.
    pub fn format_litteral(mut self, name: &str) -> Self {
        self.format_litteral = Some(name.to_string());
        self
    }

    /// Sets the declared file name (`FileInfo/Filename`).
    pub fn filename(mut self, name: &str) -> Self {
        self.filename = name.to_string();
        self
    }

    /// Sets `FileInfo/LastModified` (`xsd:dateTime`), or removes it.
    pub fn last_modified(mut self, date_time: Option<&str>) -> Self {
        self.last_modified = date_time.map(str::to_string);
        self
    }
}

/// The metadata of one unit, editable through [`SipBuilder::unit_mut`].
#[derive(Debug, Default)]
pub struct UnitData {
    id: String,
    /// `Content/Title`.
    pub title: String,
    /// `Content/DescriptionLevel` (`Item`, `File`, `RecordGrp` …).
    pub description_level: Option<String>,
    /// `Content/Description`.
    pub description: Option<String>,
    /// `Content/StartDate`.
    pub start_date: Option<String>,
    /// `Content/EndDate`.
    pub end_date: Option<String>,
    /// Further `Content` fields as ReSIP dotted paths relative to `Content`
    /// (`Writer.0.FullName`, `Keyword.1.KeywordContent`, `OriginatingAgencyArchiveUnitIdentifier`),
    /// with optional raw attributes (`xml:lang="fr"`).
    pub content_fields: Vec<(String, String, Option<String>)>,
    /// Further `Management` fields as dotted paths relative to `Management`
    /// (`AppraisalRule.Rule`, `AppraisalRule.FinalAction`).
    pub management_fields: Vec<(String, String, Option<String>)>,
    /// Management rules: (category, rule id, start date).
    pub rules: Vec<(String, String, Option<String>)>,
    /// `FinalAction` per category (`StorageRule`: `RestrictAccess`, `Transfer`, `Copy`;
    /// `AppraisalRule`: `Keep`, `Destroy`); required by SEDA for those two categories.
    pub final_actions: Vec<(String, String)>,
    /// A raw XML sidecar (ReSIP `__ArchiveUnitMetadata.xml`): `ArchiveUnitProfile`,
    /// `Management` and `Content` elements, or a whole `ArchiveUnit`.
    pub sidecar_xml: Option<String>,
    children: Vec<usize>,
    parents: Vec<usize>,
    objects: Vec<ObjectInput>,
    /// (usage, PhysicalId)
    physical: Vec<(String, String)>,
}

impl UnitData {
    /// The unit's `id` in the manifest.
    pub fn xml_id(&self) -> &str {
        &self.id
    }

    /// Adds a management rule, e.g. `("AccessRule", "ACC-00002", Some("2020-01-01"))`.
    pub fn rule(&mut self, category: &str, rule_id: &str, start_date: Option<&str>) -> &mut Self {
        self.rules.push((
            category.to_string(),
            rule_id.to_string(),
            start_date.map(str::to_string),
        ));
        self
    }

    /// Sets the `FinalAction` of a `StorageRule` or `AppraisalRule`.
    pub fn final_action(&mut self, category: &str, action: &str) -> &mut Self {
        self.final_actions.retain(|(c, _)| c != category);
        self.final_actions
            .push((category.to_string(), action.to_string()));
        self
    }

    /// Adds a `Content` field by dotted path (see [`UnitData::content_fields`]).
    pub fn field(&mut self, path: &str, value: &str) -> &mut Self {
        self.content_fields
            .push((path.to_string(), value.to_string(), None));
        self
    }
}

/// Progress of a build, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// `0` while hashing (first pass), `1` while writing (second pass).
    pub phase: u8,
    /// Bytes done in this phase.
    pub done: u64,
    /// Bytes to do in this phase.
    pub total: u64,
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Options of [`SipBuilder::write_to_file`] / [`SipBuilder::write`].
#[derive(Clone)]
pub struct BuildOptions {
    /// Container, digest algorithm, compression, determinism.
    pub writer: WriterOptions,
    /// The manifest's entry name (`manifest.xml`).
    pub manifest_name: String,
    /// Called as bytes are hashed and written.
    pub progress: Option<ProgressFn>,
    /// When it becomes true, the build stops at its next progress point with
    /// [`Error::cancelled`] ([`SipBuilder::write_to_file`] then removes its file).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Identifies the format of file objects that declare none (called in parallel during
    /// the hashing pass), e.g. with `vas_core::format`'s registry.
    pub identify: Option<IdentifyFn>,
    /// Write the objects first, hashed while written, and the manifest last: one read of
    /// each object instead of two (Vitam accepts the manifest anywhere at the root). The
    /// default, `false`, writes the manifest first as sedalib does.
    pub manifest_last: bool,
    /// Identifies the format of file objects that declare none with this registry, from the
    /// bytes the hashing pass reads (no second read of the file); used instead of
    /// [`BuildOptions::identify`] when set. [`bundled_format_identifier`]'s callback is
    /// recognised and handled the same way with the bundled registry.
    pub registry: Option<Arc<crate::format::FormatRegistry>>,
    /// How many small files (up to [`BATCH_FILE_MAX`] bytes) the one-read build
    /// ([`BuildOptions::manifest_last`]) reads whole and hashes together with
    /// [`digest_many`](crate::digest::digest_many) before writing them from the same
    /// buffers. `None` (the default) uses [`preferred_batch`](crate::digest::preferred_batch)
    /// for the algorithm: 1 on CPUs where batching gains nothing, and then each file is
    /// hashed as it is written, without extra buffering. Values above 1 force batching
    /// (the output bytes are the same either way; tests use this to check it). The
    /// environment variable `VAS_SIP_BATCH` sets it for builds that leave it `None`.
    pub batch: Option<usize>,
}

/// A format found by an [`IdentifyFn`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormatGuess {
    /// PRONOM identifier (`FormatId`), e.g. `fmt/18`.
    pub puid: Option<String>,
    /// `MimeType`.
    pub mime_type: Option<String>,
    /// `FormatLitteral`, e.g. `Acrobat PDF 1.4 - Portable Document Format`.
    pub name: Option<String>,
}

/// A format-identification callback for [`BuildOptions::identify`].
pub type IdentifyFn = Arc<dyn Fn(&Path) -> Option<FormatGuess> + Send + Sync>;

impl std::fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("writer", &self.writer)
            .field("manifest_name", &self.manifest_name)
            .finish()
    }
}

impl BuildOptions {
    /// Defaults: `writer`, `manifest.xml`, no progress.
    pub fn new(writer: WriterOptions) -> Self {
        BuildOptions {
            writer,
            manifest_name: "manifest.xml".into(),
            progress: None,
            cancel: None,
            identify: None,
            manifest_last: false,
            registry: None,
            batch: None,
        }
    }
}

/// One object as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltObject {
    /// `BinaryDataObject/@id`.
    pub id: String,
    /// `Uri` (the entry name in the package).
    pub uri: String,
    /// Lower-case hex digest.
    pub digest: String,
    /// Size in bytes.
    pub size: u64,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The manifest entry name.
    pub manifest_name: String,
    /// Digest of the manifest (same algorithm as the objects).
    pub manifest_digest: String,
    /// The digest algorithm.
    pub algorithm: DigestAlgorithm,
    /// Number of units.
    pub units: usize,
    /// The objects, in package order.
    pub objects: Vec<BuiltObject>,
    /// Sum of the object sizes.
    pub total_size: u64,
    /// Bytes held at the peak by the buffers of batch hashing ([`BuildOptions::batch`]):
    /// on one thread at most the batch size times [`BATCH_FILE_MAX`], on `t` threads (where
    /// files up to [`BATCH_FILE_MAX`] are read whole in batches of up to 4 MiB or 64 files,
    /// hashed, identified and deflated by the other threads) at most `t + 2` times
    /// [`BATCH_FILE_MAX`], whatever the file sizes; 0 when the build did not batch.
    pub batch_buffer_peak: u64,
}

#[derive(Debug, Default, Clone)]
struct Header {
    archival_agency: Option<String>,
    transferring_agency: Option<String>,
    archival_agreement: Option<String>,
    comment: Option<String>,
    message_identifier: Option<String>,
    date: Option<String>,
    originating_agency: Option<String>,
    submission_agency: Option<String>,
    archival_profile: Option<String>,
}

fn usage_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(BinaryMaster|Dissemination|Thumbnail|TextContent)(_[0-9]+)?$")
            .expect("static regex")
    })
}

fn ncname_ok(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_.\-]*$").expect("static regex"))
        .is_match(s)
}

/// Builds a SIP: header, a DAG of archive units with descriptive metadata and management
/// rules, objects from files, bytes or readers; then writes the package.
///
/// ```
/// use vas_core::seda::SedaVersion;
/// use vas_core::sip::{BuildOptions, Limits, ObjectInput, PackageFormat, SipBuilder, SipReader, WriterOptions};
///
/// let mut b = SipBuilder::new(SedaVersion::V2_1);
/// b.archival_agency("Vitam").transferring_agency("Producer").archival_agreement("IC-000001");
/// let folder = b.add_unit(None, "Correspondence").unwrap();
/// let letter = b.add_unit(Some(folder), "Letter to the mayor").unwrap();
/// b.unit_mut(letter).unwrap().rule("AccessRule", "ACC-00002", Some("2020-01-01"));
/// b.add_object(letter, ObjectInput::bytes("letter.txt", b"Dear mayor".to_vec())).unwrap();
///
/// let dir = tempfile::tempdir().unwrap();
/// let out = dir.path().join("sip.zip");
/// let report = b.write_to_file(&out, BuildOptions::new(WriterOptions::new(PackageFormat::Zip))).unwrap();
/// assert_eq!(report.objects.len(), 1);
///
/// let mut r = SipReader::open(&out, Limits::default()).unwrap();
/// let check = r.verify().unwrap();
/// assert!(check.check.is_ok(), "{:?}", check.check);
/// assert_eq!(check.digests_ok, 1);
/// ```
#[derive(Debug)]
pub struct SipBuilder {
    version: SedaVersion,
    header: Header,
    units: Vec<UnitData>,
    ids: HashSet<String>,
}

impl SipBuilder {
    /// An empty builder for SEDA `version`.
    pub fn new(version: SedaVersion) -> Self {
        SipBuilder {
            version,
            header: Header::default(),
            units: Vec::new(),
            ids: HashSet::new(),
        }
    }

    /// The SEDA version written.
    pub fn version(&self) -> SedaVersion {
        self.version
    }

    /// `ArchivalAgency/Identifier` (required).
    pub fn archival_agency(&mut self, id: &str) -> &mut Self {
        self.header.archival_agency = Some(id.to_string());
        self
    }

    /// `TransferringAgency/Identifier` (required).
    pub fn transferring_agency(&mut self, id: &str) -> &mut Self {
        self.header.transferring_agency = Some(id.to_string());
        self
    }

    /// `ArchivalAgreement` (Vitam's ingest contract).
    pub fn archival_agreement(&mut self, id: &str) -> &mut Self {
        self.header.archival_agreement = Some(id.to_string());
        self
    }

    /// `Comment`.
    pub fn comment(&mut self, text: &str) -> &mut Self {
        self.header.comment = Some(text.to_string());
        self
    }

    /// `MessageIdentifier` (default: time-based, or content-based when deterministic).
    pub fn message_identifier(&mut self, id: &str) -> &mut Self {
        self.header.message_identifier = Some(id.to_string());
        self
    }

    /// `Date` (`xsd:dateTime`; default now, or the writer's fixed time when deterministic).
    pub fn date(&mut self, date_time: &str) -> &mut Self {
        self.header.date = Some(date_time.to_string());
        self
    }

    /// `ManagementMetadata/OriginatingAgencyIdentifier`.
    pub fn originating_agency(&mut self, id: &str) -> &mut Self {
        self.header.originating_agency = Some(id.to_string());
        self
    }

    /// `ManagementMetadata/SubmissionAgencyIdentifier`.
    pub fn submission_agency(&mut self, id: &str) -> &mut Self {
        self.header.submission_agency = Some(id.to_string());
        self
    }

    /// `ManagementMetadata/ArchivalProfile`.
    pub fn archival_profile(&mut self, id: &str) -> &mut Self {
        self.header.archival_profile = Some(id.to_string());
        self
    }

    /// Adds a unit under `parent` (or at the top when `None`) with its title; its id is
    /// `AU<n>`.
    pub fn add_unit(&mut self, parent: Option<UnitId>, title: &str) -> Result<UnitId> {
        let id = format!("AU{}", self.units.len() + 1);
        self.add_unit_with_id(parent, &id, title)
    }

    /// Adds a unit with an explicit manifest id (an NCName, unique in the package).
    pub fn add_unit_with_id(
        &mut self,
        parent: Option<UnitId>,
        id: &str,
        title: &str,
    ) -> Result<UnitId> {
        if let Some(p) = parent {
            self.check_unit(p)?;
        }
        if title.trim().is_empty() {
            return Err(Error::invalid("a unit needs a non-empty title").with_id(id));
        }
        if !ncname_ok(id) {
            return Err(
                Error::invalid(format!("{id:?} is not a valid XML identifier")).with_id(id),
            );
        }
        if !self.ids.insert(id.to_string()) {
            return Err(Error::new(ErrorKind::AlreadyExists, "duplicate unit id").with_id(id));
        }
        let n = self.units.len();
        self.units.push(UnitData {
            id: id.to_string(),
            title: title.to_string(),
            ..UnitData::default()
        });
        if let Some(p) = parent {
            self.units[p.0].children.push(n);
            self.units[n].parents.push(p.0);
        }
        Ok(UnitId(n))
    }

    /// Makes `child` also a child of `parent` (the units form a DAG); cycles are refused.
    pub fn link(&mut self, parent: UnitId, child: UnitId) -> Result<()> {
        self.check_unit(parent)?;
        self.check_unit(child)?;
        if self.units[parent.0].children.contains(&child.0) {
            return Ok(());
        }
        // Refuse a cycle: `parent` must not be reachable from `child`.
        let mut stack = vec![child.0];
        let mut seen = HashSet::new();
        while let Some(u) = stack.pop() {
            if u == parent.0 {
                return Err(Error::invalid(format!(
                    "linking {} under {} would create a cycle",
                    self.units[child.0].id, self.units[parent.0].id
                ))
                .with_id(&self.units[child.0].id)
                .with_code("CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.CHECK_MANIFEST_LOOP.KO"));
            }
            if seen.insert(u) {
                stack.extend(self.units[u].children.iter().copied());
            }
        }
        self.units[parent.0].children.push(child.0);
        self.units[child.0].parents.push(parent.0);
        Ok(())
    }

    /// The metadata of a unit, for editing.
    pub fn unit_mut(&mut self, unit: UnitId) -> Result<&mut UnitData> {
        self.check_unit(unit)?;
        Ok(&mut self.units[unit.0])
    }

    /// Finds a unit by manifest id.
    pub fn unit_by_id(&self, id: &str) -> Option<UnitId> {
        self.units.iter().position(|u| u.id == id).map(UnitId)
    }

    /// Number of units.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// Number of objects.
    pub fn object_count(&self) -> usize {
        self.units.iter().map(|u| u.objects.len()).sum()
    }

    /// Adds an object to a unit (all objects of a unit form its one object group). The
    /// usage must be one Vitam accepts and not already used in this unit.
    pub fn add_object(&mut self, unit: UnitId, object: ObjectInput) -> Result<()> {
        self.check_unit(unit)?;
        if !usage_re().is_match(&object.usage) {
            return Err(Error::invalid(format!(
                "usage {:?} is not BinaryMaster, Dissemination, Thumbnail or TextContent (_N)",
                object.usage
            ))
            .with_code("CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALID_DATAOBJECTVERSION.KO"));
        }
        let u = &mut self.units[unit.0];
        if u.objects.iter().any(|o| o.usage == object.usage) {
            return Err(Error::invalid(format!(
                "unit {} already has a {} object",
                u.id, object.usage
            ))
            .with_id(&u.id)
            .with_code("CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.TOO_MANY_VERSION_BY_USAGE.KO"));
        }
        if let Source::Path(p) = &object.source
            && !object.regular_file
        {
            let md = std::fs::metadata(p).map_err(|e| Error::from(e).with_path(p))?;
            if !md.is_file() {
                return Err(Error::invalid("object source is not a regular file").with_path(p));
            }
        }
        // Most units have one object: a `Vec`'s first push would reserve room for four.
        u.objects.reserve_exact(1);
        u.objects.push(object);
        Ok(())
    }

    /// Rows for the CSV export: (ID, ParentID, File, ObjectFiles, DescriptionLevel, Title) and the
    /// other metadata as (column, value).
    #[allow(clippy::type_complexity)]
    pub(crate) fn csv_rows(&self, base: &Path) -> Vec<(Vec<String>, Vec<(String, String)>)> {
        self.units
            .iter()
            .map(|u| {
                let parent = u
                    .parents
                    .first()
                    .map(|p| self.units[*p].id.clone())
                    .unwrap_or_default();
                let paths: Vec<String> = u
                    .objects
                    .iter()
                    .filter_map(|o| match &o.source {
                        Source::Path(p) => p
                            .strip_prefix(base)
                            .ok()
                            .map(|r| r.to_string_lossy().replace('\\', "/")),
                        _ => None,
                    })
                    .collect();
                // One object: `File`; several: `ObjectFiles` (`|`-joined).
                let (file, object_files) = match paths.len() {
                    0 => (String::new(), String::new()),
                    1 => (paths[0].clone(), String::new()),
                    _ => (String::new(), paths.join("|")),
                };
                let fixed = vec![
                    u.id.clone(),
                    parent,
                    file,
                    object_files,
                    u.description_level.clone().unwrap_or_default(),
                    u.title.clone(),
                ];
                let mut meta: Vec<(String, String)> = Vec::new();
                if let Some(d) = &u.description {
                    meta.push(("Content.Description".into(), d.clone()));
                }
                if let Some(d) = &u.start_date {
                    meta.push(("Content.StartDate".into(), d.clone()));
                }
                if let Some(d) = &u.end_date {
                    meta.push(("Content.EndDate".into(), d.clone()));
                }
                for (k, v, _) in u.content_fields.iter().filter(|f| f.0 != "Title") {
                    meta.push((format!("Content.{k}"), v.clone()));
                }
                for (k, v, _) in &u.management_fields {
                    meta.push((format!("Management.{k}"), v.clone()));
                }
                let mut count: BTreeMap<&str, usize> = BTreeMap::new();
                for (cat, rule, start) in &u.rules {
                    let k = count.entry(cat.as_str()).or_insert(0);
                    meta.push((format!("Management.{cat}.Rule.{k}"), rule.clone()));
                    if let Some(sd) = start {
                        meta.push((format!("Management.{cat}.StartDate.{k}"), sd.clone()));
                    }
                    *k += 1;
                }
                for (cat, action) in &u.final_actions {
                    meta.push((format!("Management.{cat}.FinalAction"), action.clone()));
                }
                (fixed, meta)
            })
            .collect()
    }

    /// Adds a physical object (a paper record, a box …) to a unit's object group:
    /// `usage` is `PhysicalMaster` or `PhysicalMaster_N`, `physical_id` its shelf mark.
    ///
    /// ```
    /// use vas_core::seda::SedaVersion;
    /// use vas_core::sip::SipBuilder;
    /// let mut b = SipBuilder::new(SedaVersion::V2_1);
    /// let u = b.add_unit(None, "Registre 1912").unwrap();
    /// b.add_physical_object(u, "PhysicalMaster_1", "3 E 12/4").unwrap();
    /// assert!(b.add_physical_object(u, "BinaryMaster_1", "x").is_err());
    /// ```
    pub fn add_physical_object(
        &mut self,
        unit: UnitId,
        usage: &str,
        physical_id: &str,
    ) -> Result<()> {
        self.check_unit(unit)?;
        static RE: OnceLock<Regex> = OnceLock::new();
        let re =
            RE.get_or_init(|| Regex::new(r"^PhysicalMaster(_[0-9]+)?$").expect("static regex"));
        if !re.is_match(usage) {
            let code = if usage.starts_with("BinaryMaster") {
                super::codes::PDO_BINARYMASTER_KO
            } else {
                super::codes::INVALID_DATAOBJECTVERSION_KO
            };
            return Err(Error::invalid(format!(
                "a physical object's usage must be PhysicalMaster(_N), not {usage:?}"
            ))
            .with_code(code));
        }
        if physical_id.trim().is_empty() {
            return Err(
                Error::invalid("empty PhysicalId").with_code(super::codes::EMPTY_REQUIRED_FIELD_KO)
            );
        }
        let u = &mut self.units[unit.0];
        if u.physical.iter().any(|(us, _)| us == usage) {
            return Err(
                Error::invalid(format!("unit {} already has a {usage} object", u.id))
                    .with_id(&u.id)
                    .with_code(
                        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.TOO_MANY_VERSION_BY_USAGE.KO",
                    ),
            );
        }
        u.physical
            .push((usage.to_string(), physical_id.to_string()));
        Ok(())
    }

    fn check_unit(&self, u: UnitId) -> Result<()> {
        if u.0 < self.units.len() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::NotFound,
                format!("unknown unit #{}", u.0),
            ))
        }
    }

    /// Builds the package into a new file (which must not exist).
    pub fn write_to_file(self, path: impl AsRef<Path>, opts: BuildOptions) -> Result<BuildReport> {
        let path = path.as_ref();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::from(e).with_path(path))?;
        // The zip writer buffers its output itself (and patches local headers in its
        // buffer); tar writes 512-byte headers and needs a buffer.
        let res = match opts.writer.format {
            super::writer::PackageFormat::Zip => self.write(f, opts).map(|(_, r)| r),
            _ => self
                .write(BufWriter::with_capacity(256 * 1024, f), opts)
                .map(|(_, r)| r),
        };
        match res {
            Ok(r) => Ok(r),
            Err(e) => {
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }

    /// Builds the package into `w`; returns `w` and the report.
    pub fn write<W: Write + Seek>(mut self, w: W, opts: BuildOptions) -> Result<(W, BuildReport)> {
        let alg = opts.writer.algorithm;
        if self.units.is_empty() {
            return Err(Error::invalid("a SIP needs at least one archive unit"));
        }
        if !super::names::is_valid_manifest_name(&opts.manifest_name) {
            return Err(Error::invalid(format!(
                "manifest name {:?} does not match Vitam's rule",
                opts.manifest_name
            ))
            .with_code(super::codes::MANIFEST_FILE_NAME_CHECK_KO));
        }
        if opts.manifest_last {
            return self.write_manifest_last(w, opts);
        }
        // Pass 0: spool readers to temporary files (hashing happens in pass 1).
        let mut spooled: Vec<tempfile::NamedTempFile> = Vec::new();
        for u in &mut self.units {
            for o in &mut u.objects {
                if let Source::Reader(r) = &mut o.source {
                    let mut tmp = tempfile::NamedTempFile::new()?;
                    std::io::copy(r, tmp.as_file_mut())?;
                    tmp.as_file_mut().flush()?;
                    o.source = Source::Path(tmp.path().to_path_buf());
                    spooled.push(tmp);
                }
            }
        }
        // Pass 1: hash every object in parallel.
        let flat: Vec<(usize, usize)> = self
            .units
            .iter()
            .enumerate()
            .flat_map(|(ui, u)| (0..u.objects.len()).map(move |oi| (ui, oi)))
            .collect();
        let sizes: Vec<u64> = flat
            .iter()
            .map(|(ui, oi)| expected_size(&self.units[*ui].objects[*oi]))
            .collect();
        let total: u64 = sizes.iter().sum();
        let done = AtomicU64::new(0);
        let progress = opts.progress.clone();
        let jobs: Vec<Option<Job<'_>>> = flat
            .iter()
            .map(|(ui, oi)| match &self.units[*ui].objects[*oi].source {
                Source::Path(p) => Some(Job::Path(p)),
                Source::Bytes(b) => Some(Job::Bytes(b)),
                Source::Reader(_) => None,
            })
            .collect();
        let wants_format: Vec<bool> = flat
            .iter()
            .map(|(ui, oi)| {
                let o = &self.units[*ui].objects[*oi];
                o.format_id.is_none() && o.mime_type.is_none() && o.format_litteral.is_none()
            })
            .collect();
        let identify = opts.identify.clone();
        let registry = identification_registry(&opts);
        let hashed: Vec<(String, u64, u32, Option<FormatGuess>)> = jobs
            .par_iter()
            .zip(wants_format.par_iter())
            .map(|(job, wants)| {
                let r = match job {
                    Some(Job::Path(p)) if *wants && registry.is_some() => {
                        let reg = registry.as_deref().expect("checked");
                        hash_file_and_identify(alg, p, reg)
                    }
                    Some(Job::Path(p)) => {
                        let (d, n, crc) = digest_file_crc32(alg, p)?;
                        let g = match (&identify, wants) {
                            (Some(f), true) => f(p),
                            _ => None,
                        };
                        Ok((d, n, crc, g))
                    }
                    Some(Job::Bytes(b)) => {
                        let (d, n, crc) = digest_reader_crc32(alg, *b)?;
                        Ok((d, n, crc, None))
                    }
                    None => Err(Error::internal("reader not spooled")),
                }?;
                let d = done.fetch_add(r.1, Ordering::Relaxed) + r.1;
                if let Some(p) = &progress {
                    p(Progress {
                        phase: 0,
                        done: d,
                        total,
                    });
                }
                Error::check_cancel(opts.cancel.as_deref())?;
                Ok(r)
            })
            .collect::<Result<_>>()?;

        // Object ids and URIs.
        let mut objects: Vec<BuiltObject> = Vec::with_capacity(flat.len());
        for (n, ((ui, oi), (digest, size, _, guess))) in flat.iter().zip(&hashed).enumerate() {
            if let Some(g) = guess {
                let o = &mut self.units[*ui].objects[*oi];
                o.format_id = g.puid.clone();
                o.mime_type = g.mime_type.clone();
                o.format_litteral = g.name.clone();
            }
            let o = &self.units[*ui].objects[*oi];
            let id = format!("BDO{}", n + 1);
            let uri = format!("Content/{id}{}", safe_extension(&o.filename));
            objects.push(BuiltObject {
                id,
                uri,
                digest: digest.clone(),
                size: *size,
            });
        }
        let doc = self.document(&flat, &objects, &opts)?;

        // Pass 2: write the manifest, then stream the objects. They are not hashed again:
        // their size and CRC-32 must equal those of pass 1, else the object changed in
        // between and the build fails instead of writing a manifest that lies.
        let mut pw = PackageWriter::new(w, opts.writer.clone())?;
        let m = write_manifest(&mut pw, &opts.manifest_name, doc)?;
        let hashers = rayon::current_num_threads().max(1);
        let mut batch_buffer_peak = 0;
        if hashers > 1 {
            batch_buffer_peak = self.write_prehashed_batched(
                &mut pw, &flat, &objects, &hashed, &opts, total, hashers,
            )?;
        } else {
            let done = AtomicU64::new(0);
            for (((ui, oi), bo), (_, _, crc, _)) in flat.iter().zip(&objects).zip(&hashed) {
                let o = &self.units[*ui].objects[*oi];
                let res = match &o.source {
                    Source::Path(p) => pw.add_file_prehashed(&bo.uri, p, &bo.digest, bo.size, *crc),
                    Source::Bytes(b) => {
                        pw.add_reader_prehashed(&bo.uri, &b[..], &bo.digest, bo.size, *crc)
                    }
                    Source::Reader(_) => return Err(Error::internal("reader not spooled")),
                };
                if let Err(err) = res {
                    if err.kind() != ErrorKind::Conflict {
                        return Err(err);
                    }
                    let mut e = Error::new(
                        ErrorKind::Conflict,
                        format!("object changed between hashing and writing: {err}"),
                    )
                    .with_id(&bo.id);
                    if let Source::Path(p) = &o.source {
                        e = e.with_path(p);
                    }
                    return Err(e);
                }
                let d = done.fetch_add(bo.size, Ordering::Relaxed) + bo.size;
                if let Some(p) = &opts.progress {
                    p(Progress {
                        phase: 1,
                        done: d,
                        total,
                    });
                }
                Error::check_cancel(opts.cancel.as_deref())?;
            }
        }
        let w = pw.finish()?;
        drop(spooled);
        Ok((
            w,
            BuildReport {
                manifest_name: opts.manifest_name.clone(),
                manifest_digest: m.digest,
                algorithm: alg,
                units: self.units.len(),
                total_size: objects.iter().map(|o| o.size).sum(),
                objects,
                batch_buffer_peak,
            },
        ))
    }

    /// The second pass of a manifest-first build on several threads: files up to
    /// [`BATCH_FILE_MAX`] are read whole in batches (one `open` and one read each, the size
    /// from the first pass), their CRC-32 checked against the first pass's and their zip
    /// entries deflated by `hashers` threads, then written in order here; larger objects
    /// are copied as on one thread. The same bytes as on one thread. Returns the bytes of
    /// the batch buffers.
    #[allow(clippy::too_many_arguments)]
    fn write_prehashed_batched<W: Write + Seek>(
        &self,
        pw: &mut PackageWriter<W>,
        flat: &[(usize, usize)],
        objects: &[BuiltObject],
        hashed: &[(String, u64, u32, Option<FormatGuess>)],
        opts: &BuildOptions,
        total: u64,
        hashers: usize,
    ) -> Result<u64> {
        let alg = opts.writer.algorithm;
        let compression = opts.writer.compression;
        let zip = pw.prepares_entries();
        let (job_tx, job_rx) = mpsc::channel::<Job2>();
        let job_rx = Mutex::new(job_rx);
        let mut scratch: Vec<Option<Hashed>> = (0..flat.len()).map(|_| None).collect();
        let mut scratch_uris = Vec::with_capacity(flat.len());
        let mut done = 0u64;
        let mut peak = 0;
        let changed = |err: Error, bo: &BuiltObject, path: Option<&Path>| -> Error {
            if err.kind() != ErrorKind::Conflict {
                return err;
            }
            let mut e = Error::new(
                ErrorKind::Conflict,
                format!("object changed between hashing and writing: {err}"),
            )
            .with_id(&bo.id);
            if let Some(p) = path {
                e = e.with_path(p);
            }
            e
        };
        std::thread::scope(|scope| -> Result<()> {
            for _ in 0..hashers {
                let job_rx = &job_rx;
                scope.spawn(move || {
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(Job2::Prep(j)) => {
                                prepare_batch(j, alg, compression, zip, 1, None);
                            }
                            Ok(Job2::Stream(_)) | Err(_) => return,
                        }
                    }
                });
            }
            let mut ctx = BatchCtx {
                pw,
                alg,
                compression,
                registry: None,
                results: &mut scratch,
                uris: &mut scratch_uris,
                done: &mut done,
                total,
                opts,
            };
            let mut prep = PrepPipeline::new(hashers, false);
            let mut run = || -> Result<()> {
                for (n, (((ui, oi), bo), (_, _, crc, _))) in
                    flat.iter().zip(objects).zip(hashed).enumerate()
                {
                    let o = &self.units[*ui].objects[*oi];
                    let path = match &o.source {
                        Source::Path(p) => Some(p.as_path()),
                        _ => None,
                    };
                    if bo.size <= BATCH_FILE_MAX {
                        let src: Box<dyn Read + Send + '_> = match &o.source {
                            Source::Path(p) => Box::new(
                                std::fs::File::open(p).map_err(|e| Error::from(e).with_path(p))?,
                            ),
                            Source::Bytes(b) => Box::new(&b[..]),
                            Source::Reader(_) => return Err(Error::internal("reader not spooled")),
                        };
                        prep.push(
                            src,
                            bo.size as usize,
                            n,
                            bo.uri.clone(),
                            path.map(Path::to_path_buf),
                            false,
                            Some(*crc),
                            &job_tx,
                            &mut ctx,
                        )
                        .map_err(|e| changed(e, bo, path))?;
                        continue;
                    }
                    prep.drain(&job_tx, &mut ctx)?;
                    let res = match &o.source {
                        Source::Path(p) => ctx
                            .pw
                            .add_file_prehashed(&bo.uri, p, &bo.digest, bo.size, *crc),
                        Source::Bytes(b) => {
                            ctx.pw
                                .add_reader_prehashed(&bo.uri, &b[..], &bo.digest, bo.size, *crc)
                        }
                        Source::Reader(_) => return Err(Error::internal("reader not spooled")),
                    };
                    res.map_err(|e| changed(e, bo, path))?;
                    ctx.record(
                        n,
                        String::new(),
                        Hashed {
                            digest: String::new(),
                            size: bo.size,
                            guess: None,
                        },
                    )?;
                }
                prep.drain(&job_tx, &mut ctx)
            };
            let r = run();
            drop(job_tx);
            peak = prep.peak;
            r
        })?;
        Ok(peak)
    }

    /// One pass: objects streamed first (hashed by other threads), manifest last.
    fn write_manifest_last<W: Write + Seek>(
        mut self,
        w: W,
        opts: BuildOptions,
    ) -> Result<(W, BuildReport)> {
        let alg = opts.writer.algorithm;
        let flat: Vec<(usize, usize)> = self
            .units
            .iter()
            .enumerate()
            .flat_map(|(ui, u)| (0..u.objects.len()).map(move |oi| (ui, oi)))
            .collect();
        let total: u64 = flat
            .iter()
            .map(|(ui, oi)| expected_size(&self.units[*ui].objects[*oi]))
            .sum();
        let registry = identification_registry(&opts);
        let hashers = rayon::current_num_threads().max(1);
        let mut pw = PackageWriter::new(w, opts.writer.clone())?;
        let compression = opts.writer.compression;
        let n_obj = flat.len();
        let mut uris: Vec<String> = Vec::with_capacity(n_obj);
        let mut results: Vec<Option<Hashed>> = (0..n_obj).map(|_| None).collect();
        let batch_n = opts
            .batch
            .or_else(batch_from_env)
            .unwrap_or_else(|| crate::digest::preferred_batch(alg))
            .max(1);
        let mut batch_buffer_peak = 0u64;

        if hashers == 1 && batch_n > 1 {
            // One thread, batches: small files are read whole, `batch_n` at a time, hashed
            // together, then identified and written from the same buffers.
            let mut b = OneThreadBatch::new(batch_n);
            let mut done = 0u64;
            let mut buf = Vec::new();
            let mut dirs = DirCache::default();
            let mut ctx = BatchCtx {
                pw: &mut pw,
                alg,
                compression,
                registry: registry.as_deref(),
                results: &mut results,
                uris: &mut uris,
                done: &mut done,
                total,
                opts: &opts,
            };
            for (n, (ui, oi)) in flat.iter().enumerate() {
                let o = &mut self.units[*ui].objects[*oi];
                let uri = format!("Content/BDO{}{}", n + 1, safe_extension(&o.filename));
                let identify =
                    registry.is_some() && matches!(o.source, Source::Path(_)) && wants_format(o);
                custom_identify(&opts, o);
                let (src, size, path) = open_source(&mut o.source, &mut dirs)?;
                match size {
                    Some(k) if k <= BATCH_FILE_MAX => {
                        if !b.fits(k as usize) {
                            b.flush(&mut ctx)?;
                        }
                        b.push(src, k as usize, n, uri, path, identify)?;
                        if b.is_full() {
                            b.flush(&mut ctx)?;
                        }
                    }
                    _ => {
                        b.flush(&mut ctx)?;
                        let sampler = match (&registry, identify) {
                            (Some(reg), true) => Some(crate::format::WindowSampler::new(reg)),
                            _ => None,
                        };
                        ctx.stream(n, uri, src, size, path, sampler, &mut buf)?;
                    }
                }
            }
            b.flush(&mut ctx)?;
            batch_buffer_peak = b.peak;
        } else if hashers == 1 {
            // One thread: hash while writing, no hand-over.
            let mut done = 0u64;
            let mut buf = Vec::new();
            let mut dirs = DirCache::default();
            let mut ctx = BatchCtx {
                pw: &mut pw,
                alg,
                compression,
                registry: registry.as_deref(),
                results: &mut results,
                uris: &mut uris,
                done: &mut done,
                total,
                opts: &opts,
            };
            for (n, (ui, oi)) in flat.iter().enumerate() {
                let o = &mut self.units[*ui].objects[*oi];
                let uri = format!("Content/BDO{}{}", n + 1, safe_extension(&o.filename));
                let sampler = match (&registry, &o.source) {
                    (Some(reg), Source::Path(_)) if wants_format(o) => {
                        Some(crate::format::WindowSampler::new(reg))
                    }
                    _ => None,
                };
                custom_identify(&opts, o);
                let (src, size, path) = open_source(&mut o.source, &mut dirs)?;
                ctx.stream(n, uri, src, size, path, sampler, &mut buf)?;
            }
        } else {
            let pool_size = 3 * (hashers + 1);
            let (pool_tx, pool_rx) = mpsc::sync_channel::<Vec<u8>>(pool_size);
            for _ in 0..pool_size {
                pool_tx
                    .send(vec![0u8; CHUNK])
                    .map_err(|_| Error::internal("buffer pool"))?;
            }
            let (job_tx, job_rx) = mpsc::channel::<Job2>();
            let job_rx = Mutex::new(job_rx);
            let (res_tx, res_rx) = mpsc::channel::<(usize, Hashed)>();
            let units = &mut self.units;
            let zip = pw.prepares_entries();
            let written: Result<()> = std::thread::scope(|scope| {
                for _ in 0..hashers {
                    let pool_tx = pool_tx.clone();
                    let res_tx = res_tx.clone();
                    let job_rx = &job_rx;
                    let registry = registry.clone();
                    scope.spawn(move || {
                        loop {
                            let job = match job_rx.lock() {
                                Ok(rx) => rx.recv(),
                                Err(_) => return,
                            };
                            let Ok(job) = job else { return };
                            let job = match job {
                                Job2::Stream(j) => j,
                                Job2::Prep(job) => {
                                    prepare_batch(
                                        job,
                                        alg,
                                        compression,
                                        zip,
                                        batch_n,
                                        registry.as_deref(),
                                    );
                                    continue;
                                }
                            };
                            let mut h = Hasher::new(alg);
                            let mut sampler = match (&registry, job.identify) {
                                (Some(reg), true) => Some(crate::format::WindowSampler::new(reg)),
                                _ => None,
                            };
                            // The first chunk is kept while it may be the only one: a
                            // file read in one chunk is identified from it, without
                            // copying its windows into the sampler.
                            let mut held: Option<(Vec<u8>, usize)> = None;
                            let mut chunks = 0usize;
                            for (buf, len) in job.chunks.iter() {
                                if len == 0 {
                                    // The end of the file (the read that returned 0).
                                    let _ = pool_tx.send(buf);
                                    continue;
                                }
                                h.update(&buf[..len]);
                                chunks += 1;
                                let Some(s) = &mut sampler else {
                                    let _ = pool_tx.send(buf);
                                    continue;
                                };
                                if let Some((b, l)) = held.take() {
                                    s.feed(&b[..l]);
                                    let _ = pool_tx.send(b);
                                }
                                if chunks == 1 {
                                    held = Some((buf, len));
                                } else {
                                    s.feed(&buf[..len]);
                                    let _ = pool_tx.send(buf);
                                }
                            }
                            let name = job.path.as_deref().and_then(file_name);
                            let guess = match (sampler, &registry) {
                                (Some(s), Some(reg)) => {
                                    let id = match &held {
                                        Some((b, l)) => reg.identify_head_tail(
                                            &b[..*l],
                                            &b[..*l],
                                            *l as u64,
                                            job.path.as_deref(),
                                            name.as_deref(),
                                        ),
                                        None => {
                                            s.identify(reg, job.path.as_deref(), name.as_deref())
                                        }
                                    };
                                    guess_of(&id)
                                }
                                _ => None,
                            };
                            if let Some((b, _)) = held {
                                let _ = pool_tx.send(b);
                            }
                            let size = h.len();
                            let _ = res_tx.send((
                                job.index,
                                Hashed {
                                    digest: h.finalize_hex(),
                                    size,
                                    guess,
                                },
                            ));
                        }
                    });
                }
                let mut done = 0u64;
                let mut ctx = BatchCtx {
                    pw: &mut pw,
                    alg,
                    compression,
                    registry: registry.as_deref(),
                    results: &mut results,
                    uris: &mut uris,
                    done: &mut done,
                    total,
                    opts: &opts,
                };
                let mut prep = PrepPipeline::new(hashers, true);
                let mut dirs = DirCache::default();
                let mut run = || -> Result<()> {
                    // Files up to BATCH_FILE_MAX are read whole into a batch buffer, one
                    // after the other; each batch is hashed, identified and deflated by
                    // the hashing threads while this thread reads the next ones, then
                    // written here in order. Larger files stream through the pool.
                    for (n, (ui, oi)) in flat.iter().enumerate() {
                        let o = &mut units[*ui].objects[*oi];
                        let uri = format!("Content/BDO{}{}", n + 1, safe_extension(&o.filename));
                        let identify = matches!(o.source, Source::Path(_)) && wants_format(o);
                        custom_identify(&opts, o);
                        let (src, size, path) = open_source(&mut o.source, &mut dirs)?;
                        match size {
                            Some(k) if k <= BATCH_FILE_MAX => {
                                prep.push(
                                    src, k as usize, n, uri, path, identify, None, &job_tx,
                                    &mut ctx,
                                )?;
                            }
                            _ => {
                                prep.drain(&job_tx, &mut ctx)?;
                                let (tx, rx) = mpsc::channel();
                                job_tx
                                    .send(Job2::Stream(HashJob {
                                        index: n,
                                        chunks: rx,
                                        path: path.clone(),
                                        identify,
                                    }))
                                    .map_err(|_| Error::internal("hashing threads stopped"))?;
                                let mut chunks = ChannelChunks::new(src, size, &pool_rx, tx);
                                ctx.pw
                                    .add_chunks(&uri, size, compression, &mut chunks)
                                    .map_err(|e| with_source_path(e, path.as_deref()))?;
                                chunks.finish();
                                *ctx.done += size.unwrap_or(0);
                                if let Some(p) = &opts.progress {
                                    p(Progress {
                                        phase: 1,
                                        done: *ctx.done,
                                        total: total.max(*ctx.done),
                                    });
                                }
                                Error::check_cancel(opts.cancel.as_deref())?;
                                ctx.uris.push(uri);
                            }
                        }
                    }
                    prep.drain(&job_tx, &mut ctx)?;
                    Ok(())
                };
                let r = run();
                drop(job_tx);
                batch_buffer_peak = prep.peak;
                r
            });
            drop(res_tx);
            written?;
            for (i, h) in res_rx.iter() {
                results[i] = Some(h);
            }
        }

        super::trace_phase("objects written");
        let mut objects: Vec<BuiltObject> = Vec::with_capacity(n_obj);
        for (n, ((ui, oi), uri)) in flat.iter().zip(uris).enumerate() {
            let h = results[n]
                .take()
                .ok_or_else(|| Error::internal(format!("object {} was not hashed", n + 1)))?;
            let o = &mut self.units[*ui].objects[*oi];
            if let Some(g) = h.guess {
                o.format_id = g.puid;
                o.mime_type = g.mime_type;
                o.format_litteral = g.name;
            }
            objects.push(BuiltObject {
                id: format!("BDO{}", n + 1),
                uri,
                digest: h.digest,
                size: h.size,
            });
        }
        drop(results);
        let units = self.units.len();
        let doc = self.document(&flat, &objects, &opts)?;
        super::trace_phase("document built");
        // The units are in the document now: their memory goes before the document is
        // serialised (the peak of a build of many small files), and the document's
        // before the manifest is written.
        self.units = Vec::new();
        self.ids = HashSet::new();
        drop(flat);
        super::trace_phase("units dropped");
        let m = write_manifest(&mut pw, &opts.manifest_name, doc)?;
        super::trace_phase("manifest written");
        let w = pw.finish()?;
        super::trace_phase("package finished");
        Ok((
            w,
            BuildReport {
                manifest_name: opts.manifest_name.clone(),
                manifest_digest: m.digest,
                algorithm: alg,
                units,
                total_size: objects.iter().map(|o| o.size).sum(),
                objects,
                batch_buffer_peak,
            },
        ))
    }

    /// Builds the manifest document (flat form: every unit in `DescriptiveMetadata`,
    /// parents pointing at children with `ArchiveUnitRefId`).
    fn document(
        &self,
        flat: &[(usize, usize)],
        objects: &[BuiltObject],
        opts: &BuildOptions,
    ) -> Result<Document> {
        let h = &self.header;
        let aa = h.archival_agency.as_deref().ok_or_else(|| {
            Error::invalid("the SIP needs an archival agency (ArchivalAgency/Identifier)")
        })?;
        let ta = h.transferring_agency.as_deref().ok_or_else(|| {
            Error::invalid("the SIP needs a transferring agency (TransferringAgency/Identifier)")
        })?;
        let mut b = ArchiveTransfer::builder(self.version)
            .archival_agency(aa)
            .transferring_agency(ta);
        if let Some(v) = &h.comment {
            b = b.comment(v);
        }
        let det = opts.writer.deterministic;
        match (&h.date, det) {
            (Some(d), _) => b = b.date(d),
            (None, true) => {
                let t = time::OffsetDateTime::from_unix_timestamp(
                    opts.writer.mtime.unwrap_or(315_532_800),
                )
                .map_err(|e| Error::invalid(format!("bad mtime: {e}")))?;
                b = b.date(&format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                    t.year(),
                    t.month() as u8,
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ));
            }
            (None, false) => {}
        }
        match (&h.message_identifier, det) {
            (Some(m), _) => b = b.message_identifier(m),
            (None, true) => {
                let mut hs = Hasher::new(DigestAlgorithm::Sha256);
                for o in objects {
                    hs.update(o.digest.as_bytes());
                }
                for u in &self.units {
                    hs.update(u.id.as_bytes());
                    hs.update(u.title.as_bytes());
                }
                b = b.message_identifier(&format!("SIP-{}", &hs.finalize_hex()[..16]));
            }
            (None, false) => {}
        }
        if let Some(v) = &h.archival_agreement {
            b = b.archival_agreement(v);
        }
        if let Some(v) = &h.archival_profile {
            b = b.archival_profile(v);
        }
        if let Some(v) = &h.originating_agency {
            b = b.originating_agency(v);
        }
        if let Some(v) = &h.submission_agency {
            b = b.submission_agency(v);
        }
        // Objects, one group per unit that has objects (binary or physical). Groups and
        // units are assembled here and spliced into the package in one go: inserting them
        // one by one through the generic builder costs a scan per insertion (quadratic).
        use crate::seda::{
            DataObjectGroup, DataObjectGroupItem, DataObjectPackageItem, DescriptiveMetadataItem,
            PhysicalDataObject, Text, UnitBuilder,
        };
        let mut group_of: BTreeMap<usize, usize> = BTreeMap::new();
        let mut groups: Vec<DataObjectGroup> = Vec::new();
        for (ui, u) in self.units.iter().enumerate() {
            if !u.objects.is_empty() || !u.physical.is_empty() {
                let mut g = DataObjectGroup::default();
                g.meta.set_attr("id", format!("GOT{}", groups.len() + 1));
                group_of.insert(ui, groups.len());
                groups.push(g);
            }
        }
        for ((ui, oi), bo) in flat.iter().zip(objects) {
            let o = &self.units[*ui].objects[*oi];
            let gi = *group_of
                .get(ui)
                .ok_or_else(|| Error::internal("object group missing"))?;
            let spec = ObjectSpec {
                id: bo.id.clone(),
                version: Some(o.usage.clone()),
                uri: Some(bo.uri.clone()),
                digest: Some((bo.digest.clone(), opts.writer.algorithm.seda_name().into())),
                // SEDA's Size is a positiveInteger: left out for empty files.
                size: (bo.size > 0).then_some(bo.size),
                format_litteral: o.format_litteral.clone(),
                mime_type: o.mime_type.clone(),
                format_id: o.format_id.clone(),
                filename: Some(o.filename.clone()),
                last_modified: if det { None } else { o.last_modified.clone() },
            };
            groups[gi].insert(DataObjectGroupItem::BinaryDataObject(spec.into_binary()));
        }
        let mut pdo = 0usize;
        for (ui, u) in self.units.iter().enumerate() {
            for (usage, physical_id) in &u.physical {
                pdo += 1;
                let gi = *group_of
                    .get(&ui)
                    .ok_or_else(|| Error::internal("object group missing"))?;
                let mut p = PhysicalDataObject::default();
                p.meta.set_attr("id", format!("PDO{pdo}"));
                p.add_text("DataObjectVersion", Text::new(usage.clone()));
                p.add_text("PhysicalId", Text::new(physical_id.clone()));
                groups[gi].insert(DataObjectGroupItem::PhysicalDataObject(p));
            }
        }
        let mut stub = 0usize;
        let mut units: Vec<ArchiveUnit> = Vec::with_capacity(self.units.len());
        for (ui, u) in self.units.iter().enumerate() {
            let mut unit = match unit_from_fields(self.version, u)? {
                Some(p) => p,
                None => {
                    let mut a = ArchiveUnit::default();
                    a.meta.set_attr("id", u.id.clone());
                    a.content_mut();
                    a
                }
            };
            let mut ub = UnitBuilder::new(&mut unit);
            {
                let has_title = ub.unit().content_mut().text("Title").is_some();
                let has_level = ub.unit().content_mut().text("DescriptionLevel").is_some();
                let mut c = ub.content();
                if !has_level {
                    let lvl = u.description_level.clone().unwrap_or_else(|| {
                        if u.children.is_empty() {
                            "Item".into()
                        } else {
                            "RecordGrp".into()
                        }
                    });
                    c = c.description_level(&lvl);
                }
                if !has_title {
                    c = c.title(&u.title);
                }
                if let Some(d) = &u.description {
                    c = c.description(d);
                }
                if let Some(d) = &u.start_date {
                    c = c.start_date(d);
                }
                if let Some(d) = &u.end_date {
                    let _ = c.end_date(d);
                }
            }
            for (cat, rule, start) in &u.rules {
                ub.try_rule(cat, rule, start.as_deref())
                    .map_err(|e| e.with_id(&u.id))?;
            }
            for (cat, action) in &u.final_actions {
                ub.final_action(cat, action).map_err(|e| e.with_id(&u.id))?;
            }
            for cat in ["StorageRule", "AppraisalRule"] {
                let used = u.rules.iter().any(|r| r.0 == cat)
                    || u.final_actions.iter().any(|f| f.0 == cat);
                let has_action = u.final_actions.iter().any(|f| f.0 == cat)
                    || u.management_fields
                        .iter()
                        .any(|f| f.0 == format!("{cat}.FinalAction"))
                    || u.sidecar_xml
                        .as_deref()
                        .is_some_and(|x| x.contains("FinalAction"));
                if used && !has_action {
                    return Err(Error::invalid(format!(
                        "{cat} of unit {} needs a FinalAction",
                        u.id
                    ))
                    .with_id(&u.id));
                }
            }
            for c in &u.children {
                stub += 1;
                ub.child_ref(&format!("{}_REF{stub}", u.id), &self.units[*c].id);
            }
            if let Some(gi) = group_of.get(&ui) {
                ub.object_group(&format!("GOT{}", gi + 1));
            }
            units.push(unit);
        }
        let mut doc = b.build()?;
        let pkg = doc.message.package_mut();
        let pos = pkg
            .items
            .iter()
            .position(|i| matches!(i, DataObjectPackageItem::DescriptiveMetadata(_)))
            .unwrap_or(pkg.items.len());
        pkg.items.splice(
            pos..pos,
            groups
                .into_iter()
                .map(DataObjectPackageItem::DataObjectGroup),
        );
        pkg.descriptive_metadata_mut()
            .items
            .extend(units.into_iter().map(DescriptiveMetadataItem::ArchiveUnit));
        Ok(doc)
    }
}

/// Size of the chunks handed from the writing thread to the hashing threads.
const CHUNK: usize = 1024 * 1024;

/// Writes the manifest entry from the document, then drops the document. A deflated zip
/// entry is serialised straight into the package ([`PackageWriter::add_produced`]: only
/// its deflated stream is held, ~10 % of the XML); a tar entry needs its size first and a
/// stored one has nothing to gain, so their XML is held in pieces ([`ManifestBytes`]).
fn write_manifest<W: Write + Seek>(
    pw: &mut PackageWriter<W>,
    name: &str,
    doc: Document,
) -> Result<super::writer::WrittenEntry> {
    let stored = matches!(pw.options().compression, super::writer::Compression::Stored);
    if pw.prepares_entries() && !stored {
        // Serialised here while two other threads deflate and hash, unless the build
        // runs on one thread.
        let threads = rayon::current_num_threads() > 1;
        // The document is dropped (20 000 units: tens of milliseconds) while the other
        // threads deflate and hash the last chunks.
        return pw.add_produced(name, threads, move |w| {
            doc.write(w)?;
            Ok(doc)
        });
    }
    let manifest = ManifestBytes::of(doc)?;
    let len = manifest.len;
    pw.add_reader(name, manifest, Some(len))
}

/// Size of the pieces of [`ManifestBytes`].
const MANIFEST_PIECE: usize = 1 << 20;

/// A serialised manifest, held in pieces of [`MANIFEST_PIECE`] bytes instead of one
/// doubling `Vec` (a 19 MB manifest, 20 000 objects, held 32 MiB, and 48 MiB while it was
/// copied into a larger one), read back as the manifest entry's source, each piece freed
/// once read. The entry's bytes do not depend on how its source is split.
#[derive(Default)]
struct ManifestBytes {
    pieces: std::collections::VecDeque<Vec<u8>>,
    /// Bytes already read from the first piece.
    pos: usize,
    /// Total bytes written.
    len: u64,
}

impl ManifestBytes {
    /// Serialises `doc` (in its own version, as `Document::to_string` does), then drops it.
    fn of(doc: Document) -> Result<Self> {
        let mut m = ManifestBytes::default();
        doc.write(&mut m)?;
        Ok(m)
    }
}

impl Write for ManifestBytes {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.pieces.back().is_none_or(|p| p.len() == p.capacity()) {
            self.pieces.push_back(Vec::with_capacity(MANIFEST_PIECE));
        }
        let Some(last) = self.pieces.back_mut() else {
            return Ok(0);
        };
        let k = b.len().min(last.capacity() - last.len());
        last.extend_from_slice(&b[..k]);
        self.len += k as u64;
        Ok(k)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Read for ManifestBytes {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while let Some(first) = self.pieces.front() {
            if self.pos == first.len() {
                self.pieces.pop_front();
                self.pos = 0;
                continue;
            }
            let k = out.len().min(first.len() - self.pos);
            out[..k].copy_from_slice(&first[self.pos..self.pos + k]);
            self.pos += k;
            return Ok(k);
        }
        Ok(0)
    }
}

/// What the hashing of one object gave.
struct Hashed {
    digest: String,
    size: u64,
    guess: Option<FormatGuess>,
}

/// One object to hash: its chunks arrive on `chunks` (each `(buffer, length)`; the buffer
/// goes back to the pool once hashed).
struct HashJob {
    index: usize,
    chunks: mpsc::Receiver<(Vec<u8>, usize)>,
    path: Option<PathBuf>,
    identify: bool,
}

/// An object's size as known before it is read (progress totals): the size listed when
/// the object was added, else a `stat`.
fn expected_size(o: &ObjectInput) -> u64 {
    match &o.source {
        Source::Path(p) => o
            .size_hint
            .unwrap_or_else(|| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)),
        Source::Bytes(b) => b.len() as u64,
        Source::Reader(_) => 0,
    }
}

/// A job of the hashing threads.
enum Job2 {
    /// One object whose chunks arrive on a channel.
    Stream(HashJob),
    /// Small objects read whole, one after the other, into one buffer: hashed,
    /// identified and deflated ([`prepare_batch`]).
    Prep(PrepJob),
}

/// A batch of the multi-thread build is sent to the hashing threads once it holds this
/// many bytes: at least 8 files of up to 512 KiB, so the multi-buffer SHA-512 hashes 8
/// side by side (batches of 256 KiB held two or three 100 KiB files and made the
/// 2 000 × 100 KiB build ~1.7× slower in CPU).
const PREP_BATCH_BYTES: usize = 4 << 20;

/// … or this many objects.
const PREP_BATCH_ITEMS: usize = 64;

/// One object of a [`PrepJob`]: its bytes are `buf[start..start + len]`.
struct PrepItem {
    index: usize,
    start: usize,
    len: usize,
    uri: String,
    path: Option<PathBuf>,
    identify: bool,
    /// The CRC-32 the first pass of a manifest-first build found (the object is not
    /// hashed again; a different CRC-32 means it changed in between).
    crc: Option<u32>,
}

/// Small objects for the hashing threads; the result comes back on `done`.
struct PrepJob {
    buf: Vec<u8>,
    items: Vec<PrepItem>,
    /// Whether to hash the objects (not in the second pass of a manifest-first build).
    hash: bool,
    done: mpsc::Sender<PrepDone>,
}

/// What the hashing threads made of a [`PrepJob`]: for each item its digest and format,
/// and its deflated zip entry when it is deflated (else it is written from `buf`).
struct PrepDone {
    buf: Vec<u8>,
    items: Vec<PrepItem>,
    outs: Result<Vec<(Hashed, Option<PreparedEntry>)>>,
}

/// Hashes a batch `batch_n` objects at a time ([`digest_many_hex`]), identifies them and
/// deflates those a zip package deflates (`zip` is false for tar: nothing is compressed
/// per entry), then sends the result back.
fn prepare_batch(
    job: PrepJob,
    alg: DigestAlgorithm,
    compression: super::writer::Compression,
    zip: bool,
    batch_n: usize,
    registry: Option<&crate::format::FormatRegistry>,
) {
    let PrepJob {
        buf,
        items,
        hash,
        done,
    } = job;
    let mut outs = Vec::with_capacity(items.len());
    let mut failed = None;
    'groups: for group in items.chunks(batch_n) {
        let inputs: Vec<&[u8]> = group
            .iter()
            .map(|it| &buf[it.start..it.start + it.len])
            .collect();
        let digests = if hash {
            digest_many_hex(alg, &inputs)
        } else {
            vec![String::new(); inputs.len()]
        };
        for ((it, data), digest) in group.iter().zip(&inputs).zip(digests) {
            if let Some(crc) = it.crc
                && crc32fast::hash(data) != crc
            {
                failed = Some(with_source_path(
                    Error::new(
                        ErrorKind::Conflict,
                        "object changed between hashing and writing (CRC-32 differs)",
                    ),
                    it.path.as_deref(),
                ));
                break 'groups;
            }
            let guess = match (registry, it.identify) {
                (Some(reg), true) => identify_bytes(reg, data, it.path.as_deref()),
                _ => None,
            };
            let entry = if zip {
                match super::writer::prepare_zip_entry(&it.uri, data, compression) {
                    Ok(e) => e,
                    Err(e) => {
                        failed = Some(with_source_path(e, it.path.as_deref()));
                        break 'groups;
                    }
                }
            } else {
                None
            };
            outs.push((
                Hashed {
                    digest,
                    size: it.len as u64,
                    guess,
                },
                entry,
            ));
        }
    }
    let outs = match failed {
        Some(e) => Err(e),
        None => Ok(outs),
    };
    let _ = done.send(PrepDone { buf, items, outs });
}

/// The writing thread's side of the batches of the multi-thread build: the batch being
/// filled, the batches in flight (written in order as they come back), the free buffers.
/// Memory: at most `threads + 2` buffers (`threads + 1` in flight, one being filled) of
/// at most `PREP_BATCH_BYTES` (4 MiB, also [`BATCH_FILE_MAX`]) bytes, whatever the file
/// sizes.
struct PrepPipeline {
    /// Whether the hashing threads hash the objects.
    hash: bool,
    buf: Vec<u8>,
    used: usize,
    items: Vec<PrepItem>,
    in_flight: std::collections::VecDeque<mpsc::Receiver<PrepDone>>,
    max_in_flight: usize,
    free: Vec<Vec<u8>>,
    /// Bytes of all the batch buffers (they only grow and are reused: the peak).
    peak: u64,
}

impl PrepPipeline {
    fn new(threads: usize, hash: bool) -> Self {
        PrepPipeline {
            hash,
            buf: Vec::new(),
            used: 0,
            items: Vec::new(),
            in_flight: std::collections::VecDeque::new(),
            max_in_flight: threads + 1,
            free: Vec::new(),
            peak: 0,
        }
    }

    /// Reads the `k` bytes of `src` whole into the batch (sending the batch first when
    /// they would not fit, and after them when it is full).
    #[allow(clippy::too_many_arguments)]
    fn push<W: Write + Seek>(
        &mut self,
        src: impl Read,
        k: usize,
        index: usize,
        uri: String,
        path: Option<PathBuf>,
        identify: bool,
        crc: Option<u32>,
        jobs: &mpsc::Sender<Job2>,
        cx: &mut BatchCtx<'_, W>,
    ) -> Result<()> {
        if self.used > 0 && self.used + k > PREP_BATCH_BYTES {
            self.send(jobs, cx)?;
        }
        let start = self.used;
        if self.buf.len() < start + k {
            // Buffers only grow (zeroed once) and are reused: no memset per file.
            let grow = start + k - self.buf.len();
            self.buf.resize(start + k, 0);
            self.peak += grow as u64;
        }
        read_whole(src, &mut self.buf[start..start + k], path.as_deref())?;
        self.used += k;
        self.items.push(PrepItem {
            index,
            start,
            len: k,
            uri,
            path,
            identify,
            crc,
        });
        if self.used >= PREP_BATCH_BYTES || self.items.len() >= PREP_BATCH_ITEMS {
            self.send(jobs, cx)?;
        }
        Ok(())
    }

    /// Hands the batch being filled to the hashing threads, then writes the oldest
    /// batches back while too many are in flight.
    fn send<W: Write + Seek>(
        &mut self,
        jobs: &mpsc::Sender<Job2>,
        cx: &mut BatchCtx<'_, W>,
    ) -> Result<()> {
        if self.items.is_empty() {
            return Ok(());
        }
        let (tx, rx) = mpsc::channel();
        let buf = std::mem::replace(&mut self.buf, self.free.pop().unwrap_or_default());
        let items = std::mem::take(&mut self.items);
        self.used = 0;
        jobs.send(Job2::Prep(PrepJob {
            buf,
            items,
            hash: self.hash,
            done: tx,
        }))
        .map_err(|_| Error::internal("hashing threads stopped"))?;
        self.in_flight.push_back(rx);
        while self.in_flight.len() > self.max_in_flight {
            self.write_oldest(cx)?;
        }
        Ok(())
    }

    /// Sends the batch being filled and writes every batch in flight (before an object
    /// that is streamed, and at the end), so objects are written in order.
    fn drain<W: Write + Seek>(
        &mut self,
        jobs: &mpsc::Sender<Job2>,
        cx: &mut BatchCtx<'_, W>,
    ) -> Result<()> {
        self.send(jobs, cx)?;
        while !self.in_flight.is_empty() {
            self.write_oldest(cx)?;
        }
        Ok(())
    }

    /// Waits for the oldest batch in flight and writes its objects, in order.
    fn write_oldest<W: Write + Seek>(&mut self, cx: &mut BatchCtx<'_, W>) -> Result<()> {
        let Some(rx) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let done = rx
            .recv()
            .map_err(|_| Error::internal("hashing threads stopped"))?;
        let outs = done.outs?;
        for (it, (hashed, entry)) in done.items.into_iter().zip(outs) {
            let written = match entry {
                Some(e) => cx.pw.add_prepared(&it.uri, e),
                None => {
                    let mut chunks = SliceChunks(Some(&done.buf[it.start..it.start + it.len]));
                    // Not prepared: stored (zip, decided by the hashing thread), or tar.
                    let stored = super::writer::Compression::Stored;
                    cx.pw
                        .add_chunks(&it.uri, Some(it.len as u64), stored, &mut chunks)
                }
            };
            written.map_err(|e| with_source_path(e, it.path.as_deref()))?;
            cx.record(it.index, it.uri, hashed)?;
        }
        self.free.push(done.buf);
        Ok(())
    }
}

/// Files up to this size are read whole and hashed in batches by the one-thread build when
/// batching pays ([`BuildOptions::batch`]); larger files are streamed in chunks.
pub const BATCH_FILE_MAX: u64 = 4 << 20;

/// The batch size forced by the environment variable `VAS_SIP_BATCH` (a test and
/// benchmark knob, like [`BuildOptions::batch`], for builds made by the CLI or the
/// bindings), when set to a number.
fn batch_from_env() -> Option<usize> {
    std::env::var("VAS_SIP_BATCH").ok()?.trim().parse().ok()
}

/// The format of an object identified from all its bytes in memory (an empty object goes
/// through the empty sampler, as a streamed one does).
fn identify_bytes(
    reg: &crate::format::FormatRegistry,
    data: &[u8],
    path: Option<&Path>,
) -> Option<FormatGuess> {
    let name = path.and_then(file_name);
    let id = if data.is_empty() {
        crate::format::WindowSampler::new(reg).identify(reg, path, name.as_deref())
    } else {
        reg.identify_head_tail(data, data, data.len() as u64, path, name.as_deref())
    };
    guess_of(&id)
}

/// The bytes of one batch of the one-thread build are also capped: a batch is hashed as
/// soon as the next file would take its buffer past this size (with the
/// [`BATCH_FILE_MAX`] of a single file, the buffer never exceeds 36 MiB, whatever the
/// batch size and the file sizes).
const BATCH_BYTES_MAX: usize = 32 << 20;

/// One object waiting in a [`OneThreadBatch`]: its bytes are `arena[start..start + len]`.
struct Pending {
    index: usize,
    start: usize,
    len: usize,
    uri: String,
    path: Option<PathBuf>,
    identify: bool,
}

/// What [`OneThreadBatch::flush`] writes into.
struct BatchCtx<'a, W: Write + Seek> {
    pw: &'a mut PackageWriter<W>,
    alg: DigestAlgorithm,
    compression: super::writer::Compression,
    registry: Option<&'a crate::format::FormatRegistry>,
    results: &'a mut [Option<Hashed>],
    uris: &'a mut Vec<String>,
    done: &'a mut u64,
    total: u64,
    opts: &'a BuildOptions,
}

/// The one-thread batch: up to `max` small files read whole, one after the other, into
/// one reused buffer (memory: at most the batch size times [`BATCH_FILE_MAX`], and at
/// most [`BATCH_BYTES_MAX`] plus one file).
struct OneThreadBatch {
    arena: Vec<u8>,
    used: usize,
    max: usize,
    pending: Vec<Pending>,
    /// The buffer's length (it only grows, so this is the peak).
    peak: u64,
}

impl OneThreadBatch {
    fn new(n: usize) -> Self {
        OneThreadBatch {
            arena: Vec::new(),
            used: 0,
            max: n,
            pending: Vec::with_capacity(n),
            peak: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.pending.len() == self.max
    }

    /// Whether a file of `k` bytes may join the waiting ones (an empty batch takes any
    /// file up to [`BATCH_FILE_MAX`]).
    fn fits(&self, k: usize) -> bool {
        self.pending.is_empty() || self.used + k <= BATCH_BYTES_MAX
    }

    /// Reads the `k` bytes of `src` whole after the waiting ones.
    fn push(
        &mut self,
        src: impl Read,
        k: usize,
        index: usize,
        uri: String,
        path: Option<PathBuf>,
        identify: bool,
    ) -> Result<()> {
        let start = self.used;
        if self.arena.len() < start + k {
            // The buffer only grows (zeroed once), so reusing it costs no memset.
            self.arena.resize(start + k, 0);
            self.peak = self.arena.len() as u64;
        }
        read_whole(src, &mut self.arena[start..start + k], path.as_deref())?;
        self.used += k;
        self.pending.push(Pending {
            index,
            start,
            len: k,
            uri,
            path,
            identify,
        });
        Ok(())
    }

    /// Hashes the waiting objects together, then identifies and writes each from its
    /// buffer, in order.
    fn flush<W: Write + Seek>(&mut self, cx: &mut BatchCtx<'_, W>) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let arena = &self.arena;
        let inputs: Vec<&[u8]> = self
            .pending
            .iter()
            .map(|p| &arena[p.start..p.start + p.len])
            .collect();
        let digests = digest_many_hex(cx.alg, &inputs);
        self.used = 0;
        for ((p, data), digest) in self.pending.drain(..).zip(inputs).zip(digests) {
            let guess = match (cx.registry, p.identify) {
                (Some(reg), true) => identify_bytes(reg, data, p.path.as_deref()),
                _ => None,
            };
            let mut chunks = SliceChunks(Some(data));
            cx.pw
                .add_chunks(&p.uri, Some(p.len as u64), cx.compression, &mut chunks)
                .map_err(|e| with_source_path(e, p.path.as_deref()))?;
            let size = p.len as u64;
            cx.record(
                p.index,
                p.uri,
                Hashed {
                    digest,
                    size,
                    guess,
                },
            )?;
        }
        Ok(())
    }
}

impl<W: Write + Seek> BatchCtx<'_, W> {
    /// Streams one object into the package, hashing (and sampling for identification)
    /// each chunk on this thread, then records it.
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &mut self,
        index: usize,
        uri: String,
        src: impl Read,
        size: Option<u64>,
        path: Option<PathBuf>,
        sampler: Option<crate::format::WindowSampler>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        let mut chunks = InlineChunks::new(src, size, buf, Hasher::new(self.alg), sampler);
        self.pw
            .add_chunks(&uri, size, self.compression, &mut chunks)
            .map_err(|e| with_source_path(e, path.as_deref()))?;
        let (h, sampler) = (chunks.hasher, chunks.sampler);
        let guess = match (sampler, self.registry) {
            (Some(s), Some(reg)) => guess_of(&s.identify(
                reg,
                path.as_deref(),
                path.as_deref().and_then(file_name).as_deref(),
            )),
            _ => None,
        };
        let size = h.len();
        let digest = h.finalize_hex();
        self.record(
            index,
            uri,
            Hashed {
                digest,
                size,
                guess,
            },
        )
    }

    /// Records a written object: its result, the progress, a cancellation check, its URI.
    fn record(&mut self, index: usize, uri: String, hashed: Hashed) -> Result<()> {
        *self.done += hashed.size;
        self.results[index] = Some(hashed);
        if let Some(f) = &self.opts.progress {
            f(Progress {
                phase: 1,
                done: *self.done,
                total: self.total.max(*self.done),
            });
        }
        Error::check_cancel(self.opts.cancel.as_deref())?;
        self.uris.push(uri);
        Ok(())
    }
}

/// A chunk source of bytes already in memory.
struct SliceChunks<'a>(Option<&'a [u8]>);

impl Chunks for SliceChunks<'_> {
    fn next_chunk(&mut self) -> std::io::Result<&[u8]> {
        Ok(self.0.take().unwrap_or(&[]))
    }
}

/// Whether an object declares no format (identification wanted).
fn wants_format(o: &ObjectInput) -> bool {
    o.format_id.is_none() && o.mime_type.is_none() && o.format_litteral.is_none()
}

/// A caller's own identification callback (not the bundled one, which is handled from the
/// hashed bytes), called on the path before the object is written.
fn custom_identify(opts: &BuildOptions, o: &mut ObjectInput) {
    if let (Some(f), Source::Path(p)) = (&opts.identify, &o.source)
        && opts.registry.is_none()
        && !is_bundled_identifier(f)
        && wants_format(o)
        && let Some(g) = f(p)
    {
        o.format_id = g.puid;
        o.mime_type = g.mime_type;
        o.format_litteral = g.name;
    }
}

/// The file name of a path, as the name hint of identification.
fn file_name(p: &Path) -> Option<String> {
    p.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// An object's data as a reader, its size when known and its path.
type OpenedSource<'a> = (Box<dyn Read + Send + 'a>, Option<u64>, Option<PathBuf>);

/// Opens files relative to their folder, kept open from one file to the next: the
/// files of a folder walk come folder by folder, and `openat` on the folder spares the
/// kernel the lookup of every component of each file's path. Any failure falls back to
/// [`std::fs::File::open`] on the whole path, so errors are those of a plain open.
#[derive(Default)]
struct DirCache {
    #[cfg(target_os = "linux")]
    dir: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl DirCache {
    /// Opens `p` for reading (as `File::open`).
    fn open(&mut self, p: &Path) -> std::io::Result<std::fs::File> {
        #[cfg(target_os = "linux")]
        if let Some(f) = self.open_at(p) {
            return Ok(f);
        }
        std::fs::File::open(p)
    }

    #[cfg(target_os = "linux")]
    fn open_at(&mut self, p: &Path) -> Option<std::fs::File> {
        use rustix::fs::{Mode, OFlags};
        let parent = p.parent().filter(|d| !d.as_os_str().is_empty())?;
        let name = p.file_name()?;
        if !matches!(&self.dir, Some((d, _)) if d == parent) {
            self.dir = None;
            let fd = rustix::fs::open(
                parent,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .ok()?;
            self.dir = Some((parent.to_path_buf(), fd));
        }
        let (_, dir) = self.dir.as_ref()?;
        let fd =
            rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
        Some(std::fs::File::from(fd))
    }
}

/// An object's data as a reader, its size when known and its path.
fn open_source<'a>(source: &'a mut Source, dirs: &mut DirCache) -> Result<OpenedSource<'a>> {
    match source {
        Source::Path(p) => {
            let f = dirs.open(p).map_err(|e| Error::from(e).with_path(&*p))?;
            let size = f
                .metadata()
                .map_err(|e| Error::from(e).with_path(&*p))?
                .len();
            advise_sequential(&f, size);
            let path = p.clone();
            Ok((Box::new(f), Some(size), Some(path)))
        }
        Source::Bytes(b) => {
            let size = b.len() as u64;
            Ok((
                Box::new(std::io::Cursor::new(b.as_slice())),
                Some(size),
                None,
            ))
        }
        Source::Reader(r) => Ok((Box::new(r), None, None)),
    }
}

fn with_source_path(e: Error, path: Option<&Path>) -> Error {
    match path {
        Some(p) => e.or_path(p),
        None => e,
    }
}

/// Size of the read buffer of the one-thread path (the hashed bytes are still in the
/// cache when the zip writer takes its CRC-32 and copies them out).
const INLINE_CHUNK: usize = 512 * 1024;

/// The one-thread source: each chunk is read, hashed (and sampled for identification) on
/// this thread, then handed to the package writer without a copy.
struct InlineChunks<'a, R: Read> {
    src: Exact<R>,
    buf: &'a mut Vec<u8>,
    hasher: Hasher,
    sampler: Option<crate::format::WindowSampler>,
    ended: bool,
}

impl<'a, R: Read> InlineChunks<'a, R> {
    fn new(
        src: R,
        size: Option<u64>,
        buf: &'a mut Vec<u8>,
        hasher: Hasher,
        sampler: Option<crate::format::WindowSampler>,
    ) -> Self {
        if buf.len() < INLINE_CHUNK {
            buf.resize(INLINE_CHUNK, 0);
        }
        InlineChunks {
            src: Exact::new(src, size),
            buf,
            hasher,
            sampler,
            ended: false,
        }
    }
}

impl<R: Read> Chunks for InlineChunks<'_, R> {
    fn next_chunk(&mut self) -> std::io::Result<&[u8]> {
        if self.ended {
            return Ok(&[]);
        }
        let n = fill(&mut self.src, self.buf)?;
        if n < self.buf.len() {
            // A short fill is the end of the source: check nothing follows.
            self.ended = true;
            self.src.check_end()?;
        }
        let chunk = &self.buf[..n];
        self.hasher.update(chunk);
        if let Some(s) = &mut self.sampler {
            s.feed(chunk);
        }
        Ok(chunk)
    }
}

/// The source of the multi-thread path: each chunk is read into a buffer of the pool,
/// written from it, then sent to the hashing thread of its object, which hands the buffer
/// back to the pool (memory bounded by the pool, whatever the file sizes).
struct ChannelChunks<'a, R: Read> {
    src: Exact<R>,
    pool: &'a mpsc::Receiver<Vec<u8>>,
    tx: Option<mpsc::Sender<(Vec<u8>, usize)>>,
    /// The chunk being written, sent to the hasher on the next call.
    cur: Option<(Vec<u8>, usize)>,
    ended: bool,
}

impl<'a, R: Read> ChannelChunks<'a, R> {
    fn new(
        src: R,
        size: Option<u64>,
        pool: &'a mpsc::Receiver<Vec<u8>>,
        tx: mpsc::Sender<(Vec<u8>, usize)>,
    ) -> Self {
        ChannelChunks {
            src: Exact::new(src, size),
            pool,
            tx: Some(tx),
            cur: None,
            ended: false,
        }
    }

    /// Hands the last chunk over and closes the object's channel.
    fn finish(mut self) {
        if let (Some(c), Some(tx)) = (self.cur.take(), self.tx.take()) {
            let _ = tx.send(c);
        }
    }
}

impl<R: Read> Chunks for ChannelChunks<'_, R> {
    fn next_chunk(&mut self) -> std::io::Result<&[u8]> {
        if let (Some(c), Some(tx)) = (self.cur.take(), self.tx.as_ref()) {
            let _ = tx.send(c);
        }
        if self.ended {
            return Ok(&[]);
        }
        let mut b = self
            .pool
            .recv()
            .map_err(|_| std::io::Error::other("hashing threads stopped"))?;
        let n = fill(&mut self.src, &mut b)?;
        if n < b.len() {
            self.ended = true;
            self.src.check_end()?;
        }
        if n == 0 {
            // Back to the pool through the hasher, which skips empty chunks.
            if let Some(tx) = self.tx.as_ref() {
                let _ = tx.send((b, 0));
            }
            return Ok(&[]);
        }
        let (b, _) = self.cur.insert((b, n));
        Ok(&b[..n])
    }
}

/// Asks the kernel for a larger read-ahead on a large file read from start to end.
fn advise_sequential(f: &std::fs::File, size: u64) {
    #[cfg(unix)]
    if size >= 4 << 20 {
        let _ = rustix::fs::fadvise(f, 0, None, rustix::fs::Advice::Sequential);
    }
    #[cfg(not(unix))]
    let _ = (f, size);
}

/// Digest, size and CRC-32 of a file, and its format identified from the bytes read.
fn hash_file_and_identify(
    alg: DigestAlgorithm,
    p: &Path,
    reg: &crate::format::FormatRegistry,
) -> Result<(String, u64, u32, Option<FormatGuess>)> {
    let mut f = std::fs::File::open(p).map_err(|e| Error::from(e).with_path(p))?;
    let mut h = Hasher::new(alg);
    let mut crc = crc32fast::Hasher::new();
    let mut s = crate::format::WindowSampler::new(reg);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::from(e).with_path(p)),
        };
        h.update(&buf[..n]);
        crc.update(&buf[..n]);
        s.feed(&buf[..n]);
    }
    let guess = guess_of(&s.identify(reg, Some(p), file_name(p).as_deref()));
    let n = h.len();
    Ok((h.finalize_hex(), n, crc.finalize(), guess))
}

/// The guess an identification gives (none when unknown).
fn guess_of(id: &crate::format::Identification) -> Option<FormatGuess> {
    if id.is_unknown() {
        return None;
    }
    Some(FormatGuess {
        puid: Some(id.puid.clone()),
        mime_type: (!id.mime.is_empty()).then(|| id.mime.clone()),
        name: Some(id.name.clone()),
    })
}

/// The registry to identify with from hashed bytes: [`BuildOptions::registry`], or the
/// bundled one when [`BuildOptions::identify`] is [`bundled_format_identifier`]'s callback.
fn identification_registry(opts: &BuildOptions) -> Option<Arc<crate::format::FormatRegistry>> {
    if let Some(r) = &opts.registry {
        return Some(r.clone());
    }
    match &opts.identify {
        Some(f) if is_bundled_identifier(f) => crate::format::FormatRegistry::bundled().ok(),
        _ => None,
    }
}

static BUNDLED_IDENTIFIER: OnceLock<IdentifyFn> = OnceLock::new();

fn is_bundled_identifier(f: &IdentifyFn) -> bool {
    BUNDLED_IDENTIFIER.get().is_some_and(|b| Arc::ptr_eq(b, f))
}

enum Job<'a> {
    Path(&'a Path),
    Bytes(&'a [u8]),
}

/// `.ext` when the file name has a short alphanumeric extension, else nothing (so URIs
/// always pass Vitam's file-name rule).
fn safe_extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 10
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

// ----- dotted paths → XML → typed unit -----

#[derive(Debug, Default)]
struct Node {
    tag: String,
    idx: usize,
    text: Option<String>,
    attrs: Option<String>,
    children: Vec<Node>,
}

impl Node {
    fn insert(&mut self, segs: &[&str], value: &str, attrs: Option<&str>) -> Result<()> {
        let Some((tag, rest)) = segs.split_first() else {
            self.text = Some(value.to_string());
            self.attrs = attrs.map(str::to_string);
            return Ok(());
        };
        if !ncname_ok(tag) || tag.contains('.') {
            return Err(Error::invalid(format!("{tag:?} is not an element name")));
        }
        let (idx, rest) = match rest.first().and_then(|s| s.parse::<usize>().ok()) {
            Some(i) => (i, &rest[1..]),
            None => (0, rest),
        };
        let pos = self
            .children
            .iter()
            .position(|c| c.tag == *tag && c.idx == idx);
        let child = match pos {
            Some(p) => &mut self.children[p],
            None => {
                self.children.push(Node {
                    tag: tag.to_string(),
                    idx,
                    ..Node::default()
                });
                self.children.last_mut().expect("just pushed")
            }
        };
        child.insert(rest, value, attrs)
    }

    fn write(&self, out: &mut String) -> Result<()> {
        // ReSIP exports extension elements as raw XML in the cell: keep them when the cell
        // is exactly one well-formed element of this name.
        if let Some(t) = &self.text {
            let t = t.trim();
            if self.children.is_empty() && self.attrs.is_none() && single_element(t, &self.tag) {
                out.push_str(t);
                return Ok(());
            }
        }
        out.push('<');
        out.push_str(&self.tag);
        if let Some(a) = &self.attrs {
            out.push_str(&safe_attrs(a)?);
        }
        out.push('>');
        if let Some(t) = &self.text {
            out.push_str(&crate::xml::escape_text(t));
        }
        for c in &self.children {
            c.write(out)?;
        }
        out.push_str("</");
        out.push_str(&self.tag);
        out.push('>');
        Ok(())
    }
}

/// True when `s` is exactly one well-formed XML element named `tag` (no DTD, no PI, no
/// entity other than the predefined ones and character references).
fn single_element(s: &str, tag: &str) -> bool {
    use quick_xml::events::Event;
    if !s.starts_with('<') {
        return false;
    }
    let mut r = quick_xml::Reader::from_str(s);
    let mut depth = 0usize;
    let mut closed = false;
    loop {
        let ev = match r.read_event() {
            Ok(ev) => ev,
            Err(_) => return false,
        };
        match ev {
            Event::Start(e) | Event::Empty(e) if closed => {
                let _ = e;
                return false;
            }
            Event::Start(e) => {
                if depth == 0 && e.name().as_ref() != tag {
                    return false;
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 0 => {
                if e.name().as_ref() != tag {
                    return false;
                }
                closed = true;
            }
            Event::End(_) => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
                if depth == 0 {
                    closed = true;
                }
            }
            Event::Text(t) if depth == 0 && !t.xml10_content().trim().is_empty() => {
                return false;
            }
            Event::CData(_) if depth == 0 => return false,
            Event::GeneralRef(g) => {
                let n = g.xml10_content();
                let ok = matches!(n.as_ref(), "lt" | "gt" | "amp" | "quot" | "apos")
                    || g.resolve_char_ref().ok().flatten().is_some();
                if !ok || depth == 0 {
                    return false;
                }
            }
            Event::DocType(_) | Event::PI(_) | Event::Decl(_) => return false,
            Event::Eof => return closed && depth == 0,
            _ => {}
        }
    }
}

/// Re-serialises ReSIP's raw `attr` cells (`xml:lang="fr" a='b'`) safely.
fn safe_attrs(raw: &str) -> Result<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"\s*([A-Za-z_][A-Za-z0-9_.:\-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')"#)
            .expect("static regex")
    });
    let mut out = String::new();
    let mut end = 0;
    for c in re.captures_iter(raw) {
        let m = c.get(0).expect("group 0");
        if raw[end..m.start()].trim().is_empty() {
            end = m.end();
        } else {
            break;
        }
        let v = c
            .get(2)
            .or_else(|| c.get(3))
            .map(|m| m.as_str())
            .unwrap_or("");
        out.push_str(&format!(" {}=\"{}\"", &c[1], crate::xml::escape_attr(v)));
    }
    if !raw[end..].trim().is_empty() {
        return Err(Error::invalid(format!("cannot read attributes {raw:?}")));
    }
    Ok(out)
}

fn fields_xml(
    wrapper: &str,
    fields: &[(String, String, Option<String>)],
    order: impl Fn(&str) -> Option<u16>,
) -> Result<String> {
    let mut root = Node::default();
    for (path, value, attrs) in fields {
        let segs: Vec<&str> = path.split('.').collect();
        root.insert(&segs, value, attrs.as_deref())
            .map_err(|e| e.with_element(path.clone()))?;
    }
    // Top-level children in schema order (stable; unknown names last).
    root.children
        .sort_by_key(|c| (order(&c.tag).unwrap_or(u16::MAX), c.idx));
    let mut out = format!("<{wrapper}>");
    for c in &root.children {
        c.write(&mut out)?;
    }
    out.push_str(&format!("</{wrapper}>"));
    Ok(out)
}

fn strip_decl(s: &str) -> &str {
    let t = s.trim_start_matches('\u{feff}').trim();
    if t.starts_with("<?xml") {
        match t.find("?>") {
            Some(i) => t[i + 2..].trim(),
            None => t,
        }
    } else {
        t
    }
}

/// Builds the typed unit from sidecar XML and dotted fields, when there are any.
fn unit_from_fields(version: SedaVersion, u: &UnitData) -> Result<Option<ArchiveUnit>> {
    if u.sidecar_xml.is_none() && u.content_fields.is_empty() && u.management_fields.is_empty() {
        return Ok(None);
    }
    let mut inner = String::new();
    if let Some(s) = &u.sidecar_xml {
        let s = strip_decl(s);
        if s.starts_with("<ArchiveUnit") {
            // A whole unit: keep its children.
            let open_end = s.find('>').ok_or_else(|| Error::invalid("bad sidecar"))?;
            let close = s
                .rfind("</ArchiveUnit>")
                .ok_or_else(|| Error::invalid("sidecar ArchiveUnit is not closed"))?;
            inner.push_str(&s[open_end + 1..close]);
        } else {
            inner.push_str(s);
        }
    }
    if !u.management_fields.is_empty() {
        if inner.contains("<Management") {
            return Err(
                Error::invalid("Management given both by a sidecar and by fields").with_id(&u.id),
            );
        }
        inner.push_str(&fields_xml(
            "Management",
            &u.management_fields,
            crate::seda::ManagementItem::order_of,
        )?);
    }
    if !u.content_fields.is_empty() {
        if inner.contains("<Content") {
            return Err(
                Error::invalid("Content given both by a sidecar and by fields").with_id(&u.id),
            );
        }
        inner.push_str(&fields_xml(
            "Content",
            &u.content_fields,
            crate::seda::ContentItem::order_of,
        )?);
    }
    let xml = format!(
        "<ArchiveTransfer xmlns=\"{}\"><DataObjectPackage><DescriptiveMetadata><ArchiveUnit id=\"{}\">{}</ArchiveUnit></DescriptiveMetadata></DataObjectPackage></ArchiveTransfer>",
        version.namespace(),
        u.id,
        inner
    );
    let doc = Document::from_str(&xml).map_err(|e| e.with_id(&u.id))?;
    let unit = doc
        .package()
        .and_then(|p| p.top_units().into_iter().next().cloned())
        .ok_or_else(|| Error::internal("unit vanished while parsing metadata"))?;
    Ok(Some(unit))
}

/// A format-identification callback backed by the bundled PRONOM registry
/// ([`crate::format::FormatRegistry::bundled`]), for [`BuildOptions::identify`]: each object
/// gets its `FormatId` (PUID), `MimeType` and `FormatLitteral`; files nothing matches get no
/// `FormatIdentification`.
///
/// ```
/// let identify = vas_core::sip::bundled_format_identifier().unwrap();
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("a.pdf");
/// std::fs::write(&p, b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n").unwrap();
/// let guess = identify(&p).unwrap();
/// assert_eq!(guess.puid.as_deref(), Some("fmt/18"));
/// assert_eq!(guess.mime_type.as_deref(), Some("application/pdf"));
/// ```
pub fn bundled_format_identifier() -> crate::Result<IdentifyFn> {
    let registry = crate::format::FormatRegistry::bundled()?;
    Ok(BUNDLED_IDENTIFIER
        .get_or_init(|| {
            Arc::new(move |path: &Path| {
                let id = registry.identify_path(path).ok()?;
                guess_of(&id)
            })
        })
        .clone())
}

/// Reads `src` whole into `dst`, whose length is the size the scan announced: fewer or
/// more bytes is an error (through [`Exact`]) naming `path`.
fn read_whole(src: impl Read, dst: &mut [u8], path: Option<&Path>) -> Result<()> {
    let k = dst.len();
    let mut exact = Exact::new(src, Some(k as u64));
    fill(&mut exact, dst)
        .map_err(Error::from)
        .and_then(|got| {
            if got < k {
                // Exact reports the early end; not reached.
                return Err(Error::internal("short read"));
            }
            exact.check_end()
        })
        .map_err(|e| with_source_path(e, path))
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Writes of every size, across piece boundaries, read back in reads of every size:
    /// the same bytes, and each piece is let go once read.
    #[test]
    fn manifest_bytes_read_back_what_was_written() {
        let mut m = ManifestBytes::default();
        let mut want = Vec::new();
        let mut k = 0usize;
        while want.len() < 3 * MANIFEST_PIECE + 12_345 {
            k = (k * 7919 + 13) % 70_001;
            let part: Vec<u8> = (0..k).map(|i| (i * 31 + want.len()) as u8).collect();
            m.write_all(&part).unwrap();
            want.extend_from_slice(&part);
        }
        assert_eq!(m.len, want.len() as u64);
        assert_eq!(m.pieces.len(), want.len().div_ceil(MANIFEST_PIECE));
        let mut got = Vec::new();
        let mut buf = vec![0u8; 100_000];
        let mut step = 1usize;
        loop {
            step = (step * 13 + 7) % buf.len() + 1;
            let n = m.read(&mut buf[..step]).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            assert!(m.pieces.len() <= (want.len() - got.len()).div_ceil(MANIFEST_PIECE) + 1);
        }
        assert!(got == want);
        assert!(m.pieces.is_empty());
    }

    #[test]
    fn extensions_and_attrs() {
        assert_eq!(safe_extension("a.PDF"), ".pdf");
        assert_eq!(safe_extension("archive.tar.gz"), ".gz");
        assert_eq!(safe_extension(".bashrc"), "");
        assert_eq!(safe_extension("a.b c"), "");
        assert_eq!(safe_extension("noext"), "");
        assert_eq!(safe_attrs(r#"xml:lang="fr""#).unwrap(), r#" xml:lang="fr""#);
        assert_eq!(safe_attrs("a='<&'").unwrap(), " a=\"&lt;&amp;\"");
        assert!(safe_attrs("a=\"x\" junk").is_err());
        assert!(safe_attrs("\"><evil/>").is_err());
    }

    #[test]
    fn fields_in_schema_order() {
        let f = |p: &str, v: &str| (p.to_string(), v.to_string(), None);
        let xml = fields_xml(
            "Content",
            &[
                f("Description", "d"),
                f("Writer.1.FullName", "B"),
                f("Title", "t"),
                f("Writer.0.FullName", "A"),
                f("DescriptionLevel", "Item"),
            ],
            crate::seda::ContentItem::order_of,
        )
        .unwrap();
        assert_eq!(
            xml,
            "<Content><DescriptionLevel>Item</DescriptionLevel><Title>t</Title><Description>d</Description><Writer><FullName>A</FullName></Writer><Writer><FullName>B</FullName></Writer></Content>"
        );
        assert!(fields_xml("Content", &[f("Bad Name", "x")], |_| None).is_err());
        // Raw extension elements are kept only when they are one well-formed element.
        assert!(single_element("<Ext><A>1</A><B/></Ext>", "Ext"));
        assert!(single_element("<Ext/>", "Ext"));
        assert!(!single_element(
            "<Ext></Ext></Content><Content><Ext/>",
            "Ext"
        ));
        assert!(!single_element("<Ext>&xxe;</Ext>", "Ext"));
        assert!(!single_element("<Other/>", "Ext"));
        assert!(!single_element("<Ext>", "Ext"));
        assert!(!single_element("plain text", "Ext"));
        let xml = fields_xml(
            "Content",
            &[f("Ext", "<Ext><A>1</A></Ext>"), f("Title", "a <b> & c")],
            crate::seda::ContentItem::order_of,
        )
        .unwrap();
        assert_eq!(
            xml,
            "<Content><Title>a &lt;b&gt; &amp; c</Title><Ext><A>1</A></Ext></Content>"
        );
    }

    #[test]
    fn refuses_bad_usage_cycles_unknown_units() {
        let mut b = SipBuilder::new(SedaVersion::V2_1);
        let a = b.add_unit(None, "a").unwrap();
        let c = b.add_unit(Some(a), "c").unwrap();
        assert!(b.link(c, a).is_err());
        assert!(b.link(c, c).is_err());
        assert_eq!(
            b.add_unit(Some(UnitId(99)), "x").unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert!(
            b.add_object(a, ObjectInput::bytes("x", vec![1]).usage("Master_1"))
                .is_err()
        );
        b.add_object(a, ObjectInput::bytes("x", vec![1])).unwrap();
        assert!(b.add_object(a, ObjectInput::bytes("y", vec![2])).is_err());
        assert!(b.add_unit_with_id(None, "AU1", "dup").is_err());
        assert!(b.add_unit_with_id(None, "1bad", "x").is_err());
        // SEDA requires a FinalAction for appraisal and storage rules.
        b.unit_mut(c).unwrap().rule("AppraisalRule", "APP-1", None);
        b.archival_agency("A").transferring_agency("T");
        let e = b
            .write(
                std::io::Cursor::new(Vec::new()),
                BuildOptions::new(WriterOptions::new(super::super::PackageFormat::Zip)),
            )
            .unwrap_err();
        assert!(e.to_string().contains("FinalAction"), "{e}");
    }
}
