//! SIP building ([`SipBuilder`], a JavaScript class over `vas_core::sip::SipBuilder`) and
//! SIP inspection (`inspectSip`, what `vas sip inspect --json` prints).
//!
//! Units are named by their manifest id (`AU1`, `AU2` … or the id given to `addUnit`):
//! `addUnit` returns it and every other method takes it. Writing consumes the builder.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use napi::Env;
use napi::bindgen_prelude::*;
use serde_json::{Value, json};
use vas_core::digest::DigestAlgorithm;
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    BuildOptions as CoreBuildOptions, BuildReport as CoreBuildReport, Compression, CsvEncoding,
    CsvOptions as CoreCsvOptions, FolderImportOptions, Limits, ObjectInput, PackageFormat, UnitId,
    WriterOptions, bundled_format_identifier,
};
use vas_core::{Error as VasError, ErrorKind};

use crate::errors::IntoJsResult;
use crate::json::Json;
use crate::task::VasTask;

/// The header of a SIP (`ArchiveTransfer`): every field is optional in this object;
/// `setHeader` sets the fields present and leaves the others as they are.
#[napi(object)]
#[derive(Default)]
pub struct SipHeader {
    /// `MessageIdentifier` (default: time-based, or content-based when deterministic).
    pub message_identifier: Option<String>,
    /// `Date` (`xsd:dateTime`; default now, or a fixed time when deterministic).
    pub date: Option<String>,
    /// `Comment`.
    pub comment: Option<String>,
    /// `ArchivalAgreement` (Vitam's ingest contract).
    pub archival_agreement: Option<String>,
    /// `ArchivalAgency/Identifier` (required by SEDA).
    pub archival_agency: Option<String>,
    /// `TransferringAgency/Identifier` (required by SEDA).
    pub transferring_agency: Option<String>,
    /// `ManagementMetadata/OriginatingAgencyIdentifier`.
    pub originating_agency: Option<String>,
    /// `ManagementMetadata/SubmissionAgencyIdentifier`.
    pub submission_agency: Option<String>,
    /// `ManagementMetadata/ArchivalProfile`.
    pub archival_profile: Option<String>,
}

/// A management rule of a unit.
#[napi(object)]
pub struct RuleInput {
    /// `AccessRule`, `AppraisalRule`, `StorageRule`, `DisseminationRule`, `ReuseRule`,
    /// `ClassificationRule`, `HoldRule`.
    pub category: String,
    /// The rule identifier in the rules referential, e.g. `ACC-00002`.
    pub rule: String,
    /// `StartDate` (`YYYY-MM-DD`).
    pub start_date: Option<String>,
}

/// The `FinalAction` of a category (`AppraisalRule`: `Keep`/`Destroy`; `StorageRule`:
/// `RestrictAccess`/`Transfer`/`Copy`).
#[napi(object)]
pub struct FinalActionInput {
    /// `AppraisalRule` or `StorageRule`.
    pub category: String,
    /// The action.
    pub action: String,
}

/// A `Content` field by ReSIP dotted path (`Keyword.0.KeywordContent`, `Writer.0.FullName`,
/// `OriginatingAgencyArchiveUnitIdentifier` …).
#[napi(object)]
pub struct FieldInput {
    /// Dotted path relative to `Content`.
    pub path: String,
    /// The value.
    pub value: String,
}

/// The metadata of a unit, for `addUnit` and `updateUnit`: scalar fields present replace
/// the unit's, `rules` and `fields` are appended, `finalActions` set their category.
#[napi(object)]
#[derive(Default)]
pub struct UnitOptions {
    /// The unit's manifest id (an XML NCName, unique in the SIP); only for `addUnit`
    /// (default `AU<n>`).
    pub id: Option<String>,
    /// `DescriptionLevel`: `Fonds`, `Series`, `File`, `Item`, `RecordGrp` …
    pub description_level: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `StartDate` (`YYYY-MM-DD` or a dateTime).
    pub start_date: Option<String>,
    /// `EndDate`.
    pub end_date: Option<String>,
    /// Management rules to add.
    pub rules: Option<Vec<RuleInput>>,
    /// Final actions to set.
    pub final_actions: Option<Vec<FinalActionInput>>,
    /// `Content` fields to add.
    pub fields: Option<Vec<FieldInput>>,
}

/// How an object is declared (`addObject`).
#[napi(object)]
#[derive(Default)]
pub struct ObjectOptions {
    /// `DataObjectVersion`: `BinaryMaster_1` (default), `Dissemination_1`, `Thumbnail_1`,
    /// `TextContent_1` …
    pub usage: Option<String>,
    /// `FileInfo/Filename`; required for a Buffer, default the file's name for a path.
    pub filename: Option<String>,
    /// PRONOM identifier (`FormatId`), when known (else identified at write time).
    pub format_id: Option<String>,
    /// `MimeType`, when known.
    pub mime_type: Option<String>,
    /// `FormatLitteral`.
    pub format_litteral: Option<String>,
    /// `FileInfo/LastModified` (`xsd:dateTime`); `false` leaves it out (a path's own
    /// modification time is declared by default).
    pub last_modified: Option<Either<String, bool>>,
}

/// Options of `importFolder`.
#[napi(object)]
#[derive(Default)]
pub struct FolderImportInput {
    /// The unit the folder's units go under (default: top level).
    pub parent: Option<String>,
    /// Include files and folders whose name starts with `.` (default false).
    pub include_hidden: Option<bool>,
    /// Maximum folder depth (default 256).
    pub max_depth: Option<u32>,
    /// Symbolic links inside the folder become extra parent links (default true); when
    /// false, links are refused.
    pub links_as_references: Option<bool>,
    /// A ReSIP metadata CSV (path) applied to the imported units, matched by its `File`
    /// column (paths relative to the folder).
    pub csv: Option<String>,
    /// Separator and encoding of `csv`.
    pub csv_options: Option<CsvOptions>,
}

/// Separator and encoding of a ReSIP CSV.
#[napi(object)]
#[derive(Default)]
pub struct CsvOptions {
    /// Field separator (default `;`).
    pub separator: Option<String>,
    /// `utf-8` (default) or `windows-1252`.
    pub encoding: Option<String>,
}

/// What `importFolder` created.
#[napi(object)]
pub struct FolderImportResult {
    /// The unit id created for each folder or file, by path relative to the folder
    /// (`/`-separated).
    pub units: HashMap<String, String>,
    /// Number of objects added.
    pub objects: u32,
    /// Number of CSV rows applied (0 without `csv`).
    pub csv_rows: u32,
}

/// Options of `write`, `writeSync`, `toBuffer`, `toBufferSync`.
#[napi(object)]
#[derive(Default)]
pub struct BuildOptions {
    /// `zip`, `tar` or `tar.gz` (default: from the output file name, zip for a Buffer).
    pub format: Option<String>,
    /// `MD5`, `SHA-1`, `SHA-256`, `SHA-384`, `SHA-512` (default).
    pub digest_algorithm: Option<String>,
    /// `deflate` (default) or `stored`.
    pub compression: Option<String>,
    /// Deflate level, 0 to 9 (default 6).
    pub compression_level: Option<u32>,
    /// Fixed timestamps and metadata: the same input gives the same bytes (default false).
    pub deterministic: Option<bool>,
    /// Write the objects first and the manifest last (one read of each file instead of two).
    pub manifest_last: Option<bool>,
    /// Identify each object's format with the bundled PRONOM signatures (default true).
    pub identify_formats: Option<bool>,
    /// The manifest's entry name (default `manifest.xml`).
    pub manifest_name: Option<String>,
    /// Modification time of every entry, as a Unix timestamp in seconds.
    pub mtime: Option<i64>,
}

/// One object as written.
#[napi(object)]
pub struct BuiltObject {
    /// `BinaryDataObject/@id`.
    pub id: String,
    /// `Uri` (the entry name in the package).
    pub uri: String,
    /// Lower-case hex digest.
    pub digest: String,
    /// Size in bytes.
    pub size: f64,
}

/// What a build produced.
#[napi(object)]
pub struct BuildReport {
    /// The manifest entry name.
    pub manifest_name: String,
    /// Digest of the manifest (same algorithm as the objects).
    pub manifest_digest: String,
    /// SEDA name of the digest algorithm.
    pub algorithm: String,
    /// Number of units.
    pub units: u32,
    /// The objects, in package order.
    pub objects: Vec<BuiltObject>,
    /// Sum of the object sizes.
    pub total_size: f64,
}

/// A package built in memory (`toBuffer`).
#[napi(object)]
pub struct BuiltPackage {
    /// The package bytes.
    pub data: Buffer,
    /// What was built.
    pub report: BuildReport,
}

fn report(r: CoreBuildReport) -> BuildReport {
    BuildReport {
        manifest_name: r.manifest_name,
        manifest_digest: r.manifest_digest,
        algorithm: r.algorithm.seda_name().to_string(),
        units: u32::try_from(r.units).unwrap_or(u32::MAX),
        objects: r
            .objects
            .into_iter()
            .map(|o| BuiltObject {
                id: o.id,
                uri: o.uri,
                digest: o.digest,
                size: o.size as f64,
            })
            .collect(),
        total_size: r.total_size as f64,
    }
}

fn package_format(name: &str) -> vas_core::Result<PackageFormat> {
    match name.to_ascii_lowercase().as_str() {
        "zip" => Ok(PackageFormat::Zip),
        "tar" => Ok(PackageFormat::Tar),
        "tar.gz" | "tgz" => Ok(PackageFormat::TarGz),
        other => Err(VasError::invalid(format!(
            "unknown package format {other:?}: zip, tar or tar.gz"
        ))),
    }
}

fn build_options(o: BuildOptions, output: Option<&Path>) -> vas_core::Result<CoreBuildOptions> {
    let format = match (&o.format, output) {
        (Some(f), _) => package_format(f)?,
        (None, Some(p)) => PackageFormat::from_file_name(&p.to_string_lossy()),
        (None, None) => PackageFormat::Zip,
    };
    let algorithm = match &o.digest_algorithm {
        Some(a) => a.parse::<DigestAlgorithm>()?,
        None => DigestAlgorithm::Sha512,
    };
    let level = o.compression_level.unwrap_or(6);
    if level > 9 {
        return Err(VasError::invalid(format!(
            "compressionLevel {level}: use 0 to 9"
        )));
    }
    let compression = match o.compression.as_deref() {
        None | Some("deflate") | Some("deflated") => Compression::Deflated(level),
        Some("stored") => Compression::Stored,
        Some(other) => {
            return Err(VasError::invalid(format!(
                "unknown compression {other:?}: deflate or stored"
            )));
        }
    };
    let mut w = WriterOptions::new(format)
        .algorithm(algorithm)
        .compression(compression)
        .deterministic(o.deterministic.unwrap_or(false));
    if let Some(t) = o.mtime {
        w = w.mtime(t);
    }
    let mut b = CoreBuildOptions::new(w);
    b.manifest_last = o.manifest_last.unwrap_or(false);
    if let Some(n) = o.manifest_name {
        b.manifest_name = n;
    }
    if o.identify_formats.unwrap_or(true) {
        b.identify = Some(bundled_format_identifier()?);
    }
    Ok(b)
}

fn csv_options(o: Option<CsvOptions>) -> vas_core::Result<CoreCsvOptions> {
    let o = o.unwrap_or_default();
    let mut c = CoreCsvOptions::default();
    if let Some(s) = o.separator {
        let mut it = s.chars();
        match (it.next(), it.next()) {
            (Some(ch), None) => c.separator = ch,
            _ => {
                return Err(VasError::invalid(format!(
                    "CSV separator {s:?}: one character"
                )));
            }
        }
    }
    if let Some(e) = o.encoding {
        c.encoding = CsvEncoding::from_name(&e)?;
    }
    Ok(c)
}

enum State {
    Ready(Box<Ready>),
    Busy,
    Written,
}

struct Ready {
    builder: vas_core::sip::SipBuilder,
    /// Manifest id → unit, filled as units are looked up.
    units: HashMap<String, UnitId>,
}

impl Ready {
    fn unit(&mut self, id: &str) -> vas_core::Result<UnitId> {
        if let Some(u) = self.units.get(id) {
            return Ok(*u);
        }
        let u = self.builder.unit_by_id(id).ok_or_else(|| {
            VasError::new(ErrorKind::NotFound, format!("no unit {id:?} in this SIP")).with_id(id)
        })?;
        self.units.insert(id.to_string(), u);
        Ok(u)
    }

    fn parent(&mut self, parent: Option<&str>) -> vas_core::Result<Option<UnitId>> {
        parent.map(|p| self.unit(p)).transpose()
    }

    fn xml_id(&mut self, u: UnitId) -> vas_core::Result<String> {
        let id = self.builder.unit_mut(u)?.xml_id().to_string();
        self.units.insert(id.clone(), u);
        Ok(id)
    }

    fn update(&mut self, u: UnitId, o: UnitOptions) -> vas_core::Result<()> {
        let data = self.builder.unit_mut(u)?;
        if let Some(v) = o.description_level {
            data.description_level = Some(v);
        }
        if let Some(v) = o.description {
            data.description = Some(v);
        }
        if let Some(v) = o.start_date {
            data.start_date = Some(v);
        }
        if let Some(v) = o.end_date {
            data.end_date = Some(v);
        }
        for r in o.rules.unwrap_or_default() {
            data.rule(&r.category, &r.rule, r.start_date.as_deref());
        }
        for f in o.final_actions.unwrap_or_default() {
            data.final_action(&f.category, &f.action);
        }
        for f in o.fields.unwrap_or_default() {
            data.field(&f.path, &f.value);
        }
        Ok(())
    }
}

/// Builds a SIP: header, a tree (or DAG) of archive units with metadata and management
/// rules, objects from files or Buffers, then writes the package (zip, tar, tar.gz) with
/// every digest and size in the manifest.
///
/// ```js
/// const b = new SipBuilder('2.3')
/// b.setHeader({ archivalAgency: 'AG', transferringAgency: 'SRV', archivalAgreement: 'IC-1' })
/// const folder = b.addUnit(null, 'Dossier', { descriptionLevel: 'File' })
/// const doc = b.addUnit(folder, 'Lettre')
/// b.addObject(doc, 'lettre.pdf')
/// const report = await b.write('sip.zip', { deterministic: true })
/// ```
#[napi]
pub struct SipBuilder {
    state: Arc<Mutex<State>>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why a builder that is not ready cannot be used.
fn not_ready(busy: bool) -> VasError {
    if busy {
        VasError::new(
            ErrorKind::Conflict,
            "this SipBuilder is busy (an asynchronous importFolder is running)",
        )
    } else {
        VasError::new(
            ErrorKind::InvalidInput,
            "this SipBuilder was already written; create a new one",
        )
    }
}

impl SipBuilder {
    /// Runs `f` on the ready builder (errors when written or busy).
    fn with<T>(&self, f: impl FnOnce(&mut Ready) -> vas_core::Result<T>) -> vas_core::Result<T> {
        match &mut *lock(&self.state) {
            State::Ready(r) => f(r),
            State::Busy => Err(not_ready(true)),
            State::Written => Err(not_ready(false)),
        }
    }

    /// Takes the builder out (for a write, or an asynchronous import).
    fn take(&self, then: State) -> vas_core::Result<Box<Ready>> {
        let mut st = lock(&self.state);
        match std::mem::replace(&mut *st, then) {
            State::Ready(r) => Ok(r),
            other => {
                let busy = matches!(other, State::Busy);
                *st = other;
                Err(not_ready(busy))
            }
        }
    }
}

fn import_folder(
    r: &mut Ready,
    dir: &Path,
    o: FolderImportInput,
) -> vas_core::Result<FolderImportResult> {
    let parent = r.parent(o.parent.as_deref())?;
    let fopts = FolderImportOptions {
        skip_hidden: !o.include_hidden.unwrap_or(false),
        max_depth: o.max_depth.map(|d| d as usize).unwrap_or(256),
        links_as_references: o.links_as_references.unwrap_or(true),
    };
    let copts = csv_options(o.csv_options)?;
    let imported = r.builder.import_folder(dir, parent, &fopts)?;
    let csv_rows = match &o.csv {
        Some(csv) => r.builder.apply_csv_file(csv, &imported, &copts)?,
        None => 0,
    };
    let mut units = HashMap::new();
    for (path, u) in &imported.units {
        units.insert(path.clone(), r.xml_id(*u)?);
    }
    Ok(FolderImportResult {
        units,
        objects: u32::try_from(imported.objects).unwrap_or(u32::MAX),
        csv_rows: u32::try_from(csv_rows).unwrap_or(u32::MAX),
    })
}

#[napi]
impl SipBuilder {
    /// An empty builder for SEDA `sedaVersion`: `"2.1"`, `"2.2"` or `"2.3"` (default).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, seda_version: Option<String>) -> Result<Self> {
        let version = match seda_version {
            Some(v) => v.parse::<SedaVersion>().js_err(&env)?,
            None => SedaVersion::V2_3,
        };
        Ok(SipBuilder {
            state: Arc::new(Mutex::new(State::Ready(Box::new(Ready {
                builder: vas_core::sip::SipBuilder::new(version),
                units: HashMap::new(),
            })))),
        })
    }

    /// The SEDA version written (`"2.3"` …).
    #[napi(getter, catch_unwind)]
    pub fn seda_version(&self, env: Env) -> Result<String> {
        self.with(|r| Ok(r.builder.version().as_str().to_string()))
            .js_err(&env)
    }

    /// Number of units.
    #[napi(getter, catch_unwind)]
    pub fn unit_count(&self, env: Env) -> Result<u32> {
        self.with(|r| Ok(r.builder.unit_count() as u32))
            .js_err(&env)
    }

    /// Number of objects.
    #[napi(getter, catch_unwind)]
    pub fn object_count(&self, env: Env) -> Result<u32> {
        self.with(|r| Ok(r.builder.object_count() as u32))
            .js_err(&env)
    }

    /// Sets the header fields present in `header`.
    #[napi(catch_unwind)]
    pub fn set_header(&self, env: Env, header: SipHeader) -> Result<()> {
        self.with(|r| {
            let b = &mut r.builder;
            if let Some(v) = &header.message_identifier {
                b.message_identifier(v);
            }
            if let Some(v) = &header.date {
                b.date(v);
            }
            if let Some(v) = &header.comment {
                b.comment(v);
            }
            if let Some(v) = &header.archival_agreement {
                b.archival_agreement(v);
            }
            if let Some(v) = &header.archival_agency {
                b.archival_agency(v);
            }
            if let Some(v) = &header.transferring_agency {
                b.transferring_agency(v);
            }
            if let Some(v) = &header.originating_agency {
                b.originating_agency(v);
            }
            if let Some(v) = &header.submission_agency {
                b.submission_agency(v);
            }
            if let Some(v) = &header.archival_profile {
                b.archival_profile(v);
            }
            Ok(())
        })
        .js_err(&env)
    }

    /// Adds a unit under `parent` (a unit id, or `null` for the top level) and returns its
    /// manifest id. An empty title, a bad or duplicate `id` or an unknown parent throw.
    #[napi(catch_unwind)]
    pub fn add_unit(
        &self,
        env: Env,
        parent: Option<String>,
        title: String,
        options: Option<UnitOptions>,
    ) -> Result<String> {
        self.with(|r| {
            let p = r.parent(parent.as_deref())?;
            let mut o = options.unwrap_or_default();
            let u = match o.id.take() {
                Some(id) => r.builder.add_unit_with_id(p, &id, &title)?,
                None => r.builder.add_unit(p, &title)?,
            };
            r.update(u, o)?;
            r.xml_id(u)
        })
        .js_err(&env)
    }

    /// Updates a unit's metadata (see `UnitOptions`; `id` is not allowed here).
    #[napi(catch_unwind)]
    pub fn update_unit(&self, env: Env, unit: String, options: UnitOptions) -> Result<()> {
        self.with(|r| {
            if options.id.is_some() {
                return Err(
                    VasError::invalid("updateUnit cannot change a unit's id").with_id(&unit)
                );
            }
            let u = r.unit(&unit)?;
            r.update(u, options)
        })
        .js_err(&env)
    }

    /// Adds a management rule to a unit, e.g. `addRule('AU2', 'AccessRule', 'ACC-00002',
    /// '2020-01-01')`.
    #[napi(catch_unwind)]
    pub fn add_rule(
        &self,
        env: Env,
        unit: String,
        category: String,
        rule: String,
        start_date: Option<String>,
    ) -> Result<()> {
        self.with(|r| {
            let u = r.unit(&unit)?;
            r.builder
                .unit_mut(u)?
                .rule(&category, &rule, start_date.as_deref());
            Ok(())
        })
        .js_err(&env)
    }

    /// Sets the `FinalAction` of a category (`AppraisalRule`, `StorageRule`) of a unit.
    #[napi(catch_unwind)]
    pub fn set_final_action(
        &self,
        env: Env,
        unit: String,
        category: String,
        action: String,
    ) -> Result<()> {
        self.with(|r| {
            let u = r.unit(&unit)?;
            r.builder.unit_mut(u)?.final_action(&category, &action);
            Ok(())
        })
        .js_err(&env)
    }

    /// Adds a `Content` field by dotted path (`Writer.0.FullName`, `Keyword.1.KeywordContent`).
    #[napi(catch_unwind)]
    pub fn add_field(&self, env: Env, unit: String, path: String, value: String) -> Result<()> {
        self.with(|r| {
            let u = r.unit(&unit)?;
            r.builder.unit_mut(u)?.field(&path, &value);
            Ok(())
        })
        .js_err(&env)
    }

    /// Makes `child` also a child of `parent` (units form a DAG); a cycle throws.
    #[napi(catch_unwind)]
    pub fn link(&self, env: Env, parent: String, child: String) -> Result<()> {
        self.with(|r| {
            let p = r.unit(&parent)?;
            let c = r.unit(&child)?;
            r.builder.link(p, c)
        })
        .js_err(&env)
    }

    /// Adds an object to a unit: a file (path, streamed at write time) or a Buffer (copied;
    /// `options.filename` required). All objects of a unit form its object group; each
    /// usage at most once per unit.
    #[napi(catch_unwind)]
    pub fn add_object(
        &self,
        env: Env,
        unit: String,
        source: Either<String, Buffer>,
        options: Option<ObjectOptions>,
    ) -> Result<()> {
        let o = options.unwrap_or_default();
        let input = match source {
            Either::A(path) => {
                let mut i = ObjectInput::path(PathBuf::from(path));
                if let Some(n) = &o.filename {
                    i = i.filename(n);
                }
                i
            }
            Either::B(data) => match &o.filename {
                Some(n) => ObjectInput::bytes(n, data.to_vec()),
                None => {
                    return Err(VasError::invalid(
                        "an object from a Buffer needs options.filename",
                    ))
                    .js_err(&env);
                }
            },
        };
        self.add_input(&env, &unit, input, o)
    }

    /// Adds a physical object (a paper record …) to a unit: `usage` is `PhysicalMaster(_N)`,
    /// `physicalId` its shelf mark.
    #[napi(catch_unwind)]
    pub fn add_physical_object(
        &self,
        env: Env,
        unit: String,
        usage: String,
        physical_id: String,
    ) -> Result<()> {
        self.with(|r| {
            let u = r.unit(&unit)?;
            r.builder.add_physical_object(u, &usage, &physical_id)
        })
        .js_err(&env)
    }

    /// Adds a spooled stream (see `addObjectStream` in `vas.js`) as an object.
    #[napi(js_name = "_addObjectSpool", catch_unwind)]
    pub fn add_object_spool(
        &self,
        env: Env,
        unit: String,
        spool: &mut crate::sip::ObjectSpool,
        options: ObjectOptions,
    ) -> Result<()> {
        let Some(name) = options.filename.clone() else {
            return Err(VasError::invalid(
                "an object from a stream needs options.filename",
            ))
            .js_err(&env);
        };
        let file = spool.finish().js_err(&env)?;
        self.add_input(&env, &unit, ObjectInput::reader(&name, file), options)
    }

    /// Imports a folder (ReSIP conventions: folders become `RecordGrp` units, files `Item`
    /// units with one `BinaryMaster_1` object, `__USAGE_N__name` files and `##name##`
    /// folders objects of the enclosing unit, `__ArchiveUnitMetadata.xml` sidecars), then
    /// applies `options.csv` if given.
    #[napi(catch_unwind)]
    pub fn import_folder_sync(
        &self,
        env: Env,
        dir: String,
        options: Option<FolderImportInput>,
    ) -> Result<FolderImportResult> {
        self.with(|r| import_folder(r, Path::new(&dir), options.unwrap_or_default()))
            .js_err(&env)
    }

    /// `importFolderSync` off the event loop (the builder is busy meanwhile).
    #[napi(ts_return_type = "Promise<FolderImportResult>", catch_unwind)]
    pub fn import_folder(
        &self,
        env: Env,
        dir: String,
        options: Option<FolderImportInput>,
    ) -> Result<AsyncTask<VasTask<FolderImportResult>>> {
        let mut ready = self.take(State::Busy).js_err(&env)?;
        let state = self.state.clone();
        let o = options.unwrap_or_default();
        Ok(AsyncTask::new(VasTask::new(move || {
            let res = import_folder(&mut ready, Path::new(&dir), o);
            *lock(&state) = State::Ready(ready);
            res
        })))
    }

    /// Builds units from a ReSIP CSV with `ID` and `ParentID` columns (a path or the CSV
    /// bytes); `File`/`ObjectFiles` name object files relative to `base`. Returns the unit
    /// id of each CSV `ID`.
    #[napi(catch_unwind)]
    pub fn import_csv(
        &self,
        env: Env,
        csv: Either<String, Buffer>,
        base: String,
        options: Option<CsvOptions>,
    ) -> Result<HashMap<String, String>> {
        self.with(|r| {
            let opts = csv_options(options)?;
            let map = match &csv {
                Either::A(p) => {
                    let f = std::fs::File::open(p).map_err(|e| VasError::from(e).with_path(p))?;
                    r.builder
                        .import_csv(f, &base, &opts)
                        .map_err(|e| e.or_path(p))?
                }
                Either::B(b) => r.builder.import_csv(&b[..], &base, &opts)?,
            };
            let mut out = HashMap::new();
            for (k, u) in map {
                out.insert(k, r.xml_id(u)?);
            }
            Ok(out)
        })
        .js_err(&env)
    }

    /// Writes the units' metadata as a ReSIP CSV to `path` (which must not exist); object
    /// files are written relative to `base`.
    #[napi(catch_unwind)]
    pub fn export_csv(
        &self,
        env: Env,
        path: String,
        base: String,
        options: Option<CsvOptions>,
    ) -> Result<()> {
        self.with(|r| {
            let opts = csv_options(options)?;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| VasError::from(e).with_path(&path))?;
            r.builder
                .export_csv(std::io::BufWriter::new(f), &base, &opts)
                .map_err(|e| e.or_path(&path))
        })
        .js_err(&env)
    }

    /// Writes the package to `path` (which must not exist) off the event loop; the builder
    /// is consumed. Identifies formats with the bundled signatures unless
    /// `identifyFormats: false`.
    #[napi(ts_return_type = "Promise<BuildReport>", catch_unwind)]
    pub fn write(
        &self,
        env: Env,
        path: String,
        options: Option<BuildOptions>,
    ) -> Result<AsyncTask<VasTask<BuildReport>>> {
        let path = PathBuf::from(path);
        let opts = build_options(options.unwrap_or_default(), Some(&path)).js_err(&env)?;
        let ready = self.take(State::Written).js_err(&env)?;
        Ok(AsyncTask::new(VasTask::new(move || {
            ready.builder.write_to_file(&path, opts).map(report)
        })))
    }

    /// `write` on the calling thread.
    #[napi(catch_unwind)]
    pub fn write_sync(
        &self,
        env: Env,
        path: String,
        options: Option<BuildOptions>,
    ) -> Result<BuildReport> {
        let path = PathBuf::from(path);
        let opts = build_options(options.unwrap_or_default(), Some(&path)).js_err(&env)?;
        let ready = self.take(State::Written).js_err(&env)?;
        ready
            .builder
            .write_to_file(&path, opts)
            .map(report)
            .js_err(&env)
    }

    /// Builds the package in memory (zip unless `options.format`), off the event loop; the
    /// builder is consumed.
    #[napi(ts_return_type = "Promise<BuiltPackage>", catch_unwind)]
    pub fn to_buffer(
        &self,
        env: Env,
        options: Option<BuildOptions>,
    ) -> Result<AsyncTask<VasTask<BuiltPackage>>> {
        let opts = build_options(options.unwrap_or_default(), None).js_err(&env)?;
        let ready = self.take(State::Written).js_err(&env)?;
        Ok(AsyncTask::new(VasTask::new(move || {
            build_in_memory(ready.builder, opts)
        })))
    }

    /// `toBuffer` on the calling thread.
    #[napi(catch_unwind)]
    pub fn to_buffer_sync(&self, env: Env, options: Option<BuildOptions>) -> Result<BuiltPackage> {
        let opts = build_options(options.unwrap_or_default(), None).js_err(&env)?;
        let ready = self.take(State::Written).js_err(&env)?;
        build_in_memory(ready.builder, opts).js_err(&env)
    }
}

impl SipBuilder {
    fn add_input(
        &self,
        env: &Env,
        unit: &str,
        mut input: ObjectInput,
        o: ObjectOptions,
    ) -> Result<()> {
        if let Some(u) = &o.usage {
            input = input.usage(u);
        }
        if o.format_id.is_some() || o.mime_type.is_some() {
            input = input.format(o.format_id.as_deref(), o.mime_type.as_deref());
        }
        if let Some(f) = &o.format_litteral {
            input = input.format_litteral(f);
        }
        match &o.last_modified {
            Some(Either::A(t)) => input = input.last_modified(Some(t)),
            Some(Either::B(false)) => input = input.last_modified(None),
            Some(Either::B(true)) | None => {}
        }
        self.with(|r| {
            let u = r.unit(unit)?;
            r.builder.add_object(u, input)
        })
        .js_err(env)
    }
}

fn build_in_memory(
    b: vas_core::sip::SipBuilder,
    opts: CoreBuildOptions,
) -> vas_core::Result<BuiltPackage> {
    let (cursor, r) = b.write(Cursor::new(Vec::new()), opts)?;
    Ok(BuiltPackage {
        data: cursor.into_inner().into(),
        report: report(r),
    })
}

/// Bytes of a stream being added to a SIP, spooled to an unlinked temporary file (used by
/// `SipBuilder.addObjectStream` in `vas.js`). Not part of the public API.
#[napi(js_name = "_ObjectSpool")]
pub struct ObjectSpool {
    file: Arc<Mutex<Option<std::fs::File>>>,
}

#[napi]
impl ObjectSpool {
    /// A new, empty spool.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env) -> Result<Self> {
        spool_file()
            .map(|f| ObjectSpool {
                file: Arc::new(Mutex::new(Some(f))),
            })
            .js_err(&env)
    }

    /// Appends a chunk, on the event loop.
    #[napi(catch_unwind)]
    pub fn write(&mut self, env: Env, chunk: Buffer) -> Result<()> {
        spool_write(&self.file, &chunk).js_err(&env)
    }

    /// Appends a chunk on the libuv thread pool (the event loop goes on); the chunk is not
    /// copied, and must not change until the promise settles. Await each call before the
    /// next.
    #[napi(js_name = "writeAsync", ts_return_type = "Promise<void>")]
    pub fn write_async(&self, chunk: Buffer) -> AsyncTask<SpoolWrite> {
        AsyncTask::new(SpoolWrite {
            file: Arc::clone(&self.file),
            chunk,
            error: None,
        })
    }
}

fn spool_write(file: &Mutex<Option<std::fs::File>>, chunk: &[u8]) -> vas_core::Result<()> {
    use std::io::Write;
    let mut guard = file.lock().unwrap_or_else(|e| e.into_inner());
    match guard.as_mut() {
        Some(f) => f
            .write_all(chunk)
            .map_err(|e| VasError::from(e).with_path(std::env::temp_dir())),
        None => Err(VasError::invalid("this spool was already added")),
    }
}

/// One chunk written to a spool on the libuv thread pool. The chunk (a reference to the JS
/// Buffer) is released with the task, on the event loop.
pub struct SpoolWrite {
    file: Arc<Mutex<Option<std::fs::File>>>,
    chunk: Buffer,
    error: Option<VasError>,
}

impl Task for SpoolWrite {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> Result<()> {
        spool_write(&self.file, &self.chunk).map_err(|e| {
            let reason = e.to_string();
            self.error = Some(e);
            Error::from_reason(reason)
        })
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<()> {
        match self.error.take() {
            Some(e) => Err(crate::errors::to_js_error(&env, &e)),
            None => Err(err),
        }
    }
}

impl ObjectSpool {
    fn finish(&mut self) -> vas_core::Result<std::fs::File> {
        use std::io::{Seek, SeekFrom};
        let mut f = self
            .file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| VasError::invalid("this spool was already added"))?;
        f.seek(SeekFrom::Start(0))?;
        Ok(f)
    }
}

/// A temporary file, already unlinked (it lives as long as its handle).
fn spool_file() -> vas_core::Result<std::fs::File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    for _ in 0..100 {
        let p = dir.join(format!(
            ".vas-node-spool-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&p)
        {
            Ok(f) => {
                let _ = std::fs::remove_file(&p);
                return Ok(f);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(VasError::from(e).with_path(&p)),
        }
    }
    Err(VasError::new(ErrorKind::Io, "could not create a spool file").with_path(dir))
}

/// Options of `inspectSip`.
#[napi(object)]
#[derive(Default)]
pub struct InspectOptions {
    /// Check every declared digest and size (default true).
    pub digests: Option<bool>,
    /// List every entry (`entryList`).
    pub entries: Option<bool>,
    /// Give the archive-unit tree (`tree`).
    pub tree: Option<bool>,
    /// Maximum total uncompressed size in bytes.
    pub max_total_size: Option<f64>,
    /// Maximum number of entries.
    pub max_entries: Option<f64>,
    /// Maximum compression ratio.
    pub max_ratio: Option<f64>,
}

/// One container or digest problem found by `inspectSip`. Type only.
#[napi(object, object_from_js = false)]
pub struct SipViolation {
    /// Vitam's outcome code, e.g. `CHECK_DIGEST.INVALID.KO`.
    pub code: String,
    /// The vas error kind, e.g. `Integrity`.
    pub kind: String,
    /// The package entry concerned.
    pub entry: Option<String>,
    /// The manifest id concerned.
    pub id: Option<String>,
    /// What is wrong.
    pub message: String,
    /// A warning (Vitam accepts the SIP) rather than a refusal.
    pub warning: bool,
}

/// The result of `inspectSip` (what `vas sip inspect --json` prints, camelCase). Type only.
#[napi(object, object_from_js = false)]
pub struct SipInspection {
    /// The package inspected.
    pub path: String,
    /// `OK`, `WARNING`, `KO`, or `REFUSED` (could not be opened safely: see `error`).
    pub verdict: String,
    /// Why the package was refused (`REFUSED` only).
    #[napi(
        ts_type = "{ kind: string; code: string; message: string; entry?: string | null; outcomeCode?: string | null }"
    )]
    pub error: Option<Value>,
    /// `zip`, `tar`, `tar.gz`, `tar.bz2` or `directory`.
    pub container: Option<String>,
    /// Number of entries.
    pub entries: Option<u32>,
    /// Number of files.
    pub files: Option<u32>,
    /// Total uncompressed size of the files.
    pub size: Option<f64>,
    /// The manifest's entry name.
    pub manifest: Option<String>,
    /// SHA-512 of the manifest (what Vitam's MANIFEST_DIGEST_CHECK compares).
    pub manifest_sha512: Option<String>,
    /// The manifest header.
    #[napi(
        ts_type = "{ sedaVersion: string | null; namespace: string | null; messageIdentifier: string | null; archivalAgreement: string | null; archivalAgency: string | null; transferringAgency: string | null; archivalProfile: string | null; originatingAgency: string | null; submissionAgency: string | null; comment: string | null } | null"
    )]
    pub header: Option<Value>,
    /// Counts declared in the manifest.
    #[napi(
        ts_type = "{ units: number; objectGroups: number; binaryObjects: number; physicalObjects: number } | null"
    )]
    pub counts: Option<Value>,
    /// Files the manifest declares.
    pub declared_files: Option<u32>,
    /// Files present besides the manifest.
    pub present_files: Option<u32>,
    /// Whether digests were checked.
    pub digests_checked: Option<bool>,
    /// Digests and sizes found right.
    pub digests_ok: Option<u32>,
    /// Container and digest problems.
    pub violations: Option<Vec<SipViolation>>,
    /// Every entry (with `entries: true`).
    #[napi(
        ts_type = "Array<{ name: string; size: number; kind: string; compressedSize: number | null }> | null"
    )]
    pub entry_list: Option<Value>,
    /// The unit tree, depth-first (with `tree: true`).
    #[napi(ts_type = "Array<{ depth: number; id: string; title: string }> | null")]
    pub tree: Option<Value>,
}

/// `snake_case` keys → `camelCase`, recursively.
fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let mut out = String::with_capacity(k.len());
                    let mut up = false;
                    for c in k.chars() {
                        if c == '_' {
                            up = true;
                        } else if up {
                            out.extend(c.to_uppercase());
                            up = false;
                        } else {
                            out.push(c);
                        }
                    }
                    (out, camel_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(camel_keys).collect()),
        v => v,
    }
}

/// [`vas_core::api::inspect_sip`]'s document with camelCase keys; a refusal's `error`
/// carries the JS `code` and Vitam's `outcomeCode`.
fn inspect(path: &Path, o: &InspectOptions) -> vas_core::Result<Value> {
    let mut limits = Limits::default();
    if let Some(v) = o.max_total_size {
        limits.max_total_size = v as u64;
    }
    if let Some(v) = o.max_entries {
        limits.max_entries = v as u64;
    }
    if let Some(v) = o.max_ratio {
        limits.max_ratio = v as u64;
    }
    let opts = vas_core::api::InspectOptions {
        limits,
        digests: o.digests.unwrap_or(true),
        entries: o.entries.unwrap_or(false),
        tree: o.tree.unwrap_or(false),
    };
    let ins = vas_core::api::inspect_sip(path, &opts)?;
    let mut v = camel_keys(ins.json);
    if let Some(e) = &ins.refusal {
        v["error"] = json!({
            "kind": e.kind().name(),
            "code": e.kind().js_code(),
            "message": e.message(),
            "entry": e.context().path.as_ref().map(|p| p.display().to_string()),
            "outcomeCode": e.context().code,
        });
    }
    Ok(v)
}

/// Inspects a SIP (zip, tar, tar.gz, tar.bz2 or a folder) without extracting it: header,
/// counts, declared vs present files, container rules, every digest and size; `verdict`
/// is `OK`, `WARNING`, `KO` (with `violations` carrying Vitam's codes) or `REFUSED` (the
/// package could not be opened safely: `error`). A missing file rejects with
/// `VAS_NOT_FOUND`.
#[napi(ts_return_type = "Promise<SipInspection>", catch_unwind)]
pub fn inspect_sip(path: String, options: Option<InspectOptions>) -> AsyncTask<VasTask<Json>> {
    let o = options.unwrap_or_default();
    AsyncTask::new(VasTask::new(move || {
        inspect(Path::new(&path), &o).map(Json)
    }))
}

/// `inspectSip` on the calling thread.
#[napi(ts_return_type = "SipInspection", catch_unwind)]
pub fn inspect_sip_sync(env: Env, path: String, options: Option<InspectOptions>) -> Result<Json> {
    inspect(Path::new(&path), &options.unwrap_or_default())
        .map(Json)
        .js_err(&env)
}
