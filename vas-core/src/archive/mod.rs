//! The embedded archive: a folder holding a configuration, storage offers, a SQLite catalog
//! and hash-chained logbooks, with Vitam's ingest, access, verification, audit and rebuild.
//!
//! # Layout of an archive folder
//! - `vas-archive.toml`: `tenant`, `offers` (a [storage configuration](crate::storage::config)
//!   file, relative to the folder), optional `referentials` (a folder);
//! - `offers.toml` and `offers/fs-1`, `offers/fs-2`: the default strategy of two filesystem
//!   offers (an `--offers` file may name S3 offers instead);
//! - `catalog.sqlite`: the [catalog](crate::catalog) (WAL mode);
//! - `logbook/`: the operation and lifecycle [logbooks](crate::logbook);
//! - `access-contracts.json`: the access contracts every read is checked against;
//! - `journal/`: one file per ingest in progress (crash recovery);
//! - `lock`: locked by the process that has the archive open (a second [`Archive::open`]
//!   answers `Conflict`);
//! - `tenants/<N>/`: an added tenant (its own contracts, referentials, catalog, logbooks,
//!   journal and lock; its keys on the shared offers under `tenants/<N>/`), opened with
//!   [`Archive::open_tenant`].
//!
//! # Ingest, all or nothing
//! [`Archive::ingest`] validates the SIP (container, manifest, declared digests streamed from
//! the package); only when every check passes does it write, in this order: the objects to
//! every offer (`objects/<object id>`, fixity verified by each offer), the object-group and
//! unit documents *with their lifecycles* (`objectgroups/<id>.json`, `units/<id>.json`, so
//! the catalog can be rebuilt from the offers alone), then the catalog in one transaction —
//! the commit point — then the operation and lifecycles in the logbook. An operation
//! journal written before the first byte lets [`Archive::open`] finish or undo an ingest
//! interrupted by a crash: committed ones get their logbook entry, the others have their
//! offer objects deleted and a `FATAL` operation logged. A KO leaves only its logbook entry.
//!
//! # Reads
//! Every read path (search, unit, object, DIP) takes an access-contract identifier and goes
//! through a [`CatalogView`](crate::catalog::CatalogView) of that contract: a unit outside
//! the contract answers `NotFound` exactly like a missing one. Objects are streamed from the
//! strategy with their digest verified.
//!
//! ```
//! use vas_core::archive::{Archive, InitOptions, IngestOptions};
//! use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};
//! use vas_core::digest::{digest_bytes, DigestAlgorithm};
//! use serde_json::json;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let sip = dir.path().join("sip.zip");
//! let data = b"hello";
//! let manifest = format!(r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
//!  <Date>2024-01-01T00:00:00</Date><MessageIdentifier>M1</MessageIdentifier>
//!  <ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>
//!  <DataObjectGroup id="G"><BinaryDataObject id="B"><DataObjectVersion>BinaryMaster_1</DataObjectVersion>
//!  <Uri>Content/a.txt</Uri><MessageDigest algorithm="SHA-512">{}</MessageDigest><Size>5</Size>
//!  </BinaryDataObject></DataObjectGroup>
//!  <DescriptiveMetadata><ArchiveUnit id="U"><Content><DescriptionLevel>Item</DescriptionLevel>
//!  <Title>Bonjour</Title></Content><DataObjectReference><DataObjectGroupReferenceId>G</DataObjectGroupReferenceId>
//!  </DataObjectReference></ArchiveUnit></DescriptiveMetadata>
//!  <ManagementMetadata><OriginatingAgencyIdentifier>FR_X</OriginatingAgencyIdentifier></ManagementMetadata>
//!  </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
//!  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#,
//!  digest_bytes(DigestAlgorithm::Sha512, data));
//! let mut w = PackageWriter::create(&sip, WriterOptions::new(PackageFormat::Zip)).unwrap();
//! w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
//! w.add_bytes("Content/a.txt", data).unwrap();
//! w.finish().unwrap();
//!
//! let archive = Archive::create(dir.path().join("archive"), &InitOptions::default()).unwrap();
//! let result = archive.ingest(&sip, &IngestOptions::default()).unwrap();
//! assert!(result.report.outcome.is_accepted());
//! let hits = archive.search("FULL_ACCESS", &json!({"$query": {"$match": {"Title": "bonjour"}}})).unwrap();
//! assert_eq!(hits["$hits"]["total"], 1);
//! let unit = hits["$results"][0]["#id"].as_str().unwrap();
//! assert_eq!(archive.read_object("FULL_ACCESS", unit, "BinaryMaster").unwrap().1, data);
//! assert!(archive.verify().unwrap().is_ok());
//! ```

mod attach;
mod dip;
mod eliminate;
mod inherit;
mod manifest;
mod pack;
mod store_objects;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::catalog::{
    AccessContract, Catalog, DocKind, DocLocation, IndexBatch, ObjectGroupRecord, ObjectRecord,
    PackRecord, UnitRecord, UnitType,
};
use crate::digest::{DigestAlgorithm, MultiHasher};
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{IdGenerator, IdKind, format_ms};
use crate::ingest::workflow::Workflow;
use crate::ingest::{Event, Recorder, Report, Status};
use crate::logbook::{
    Lifecycle, LifecycleKind, Logbook, LogbookEvent, LogbookOperation, OperationContext,
};
use crate::sip::{Limits, SipReader};
use crate::storage::config::StorageConfig;
use crate::storage::{Fixity, ObjectKey, StorageOfferExt, Strategy};

pub use dip::{DipOptions, DipSummary};
pub use eliminate::{
    ELIMINATION_FAILPOINTS, ELIMINATION_MAX_UNITS, EliminationOptions, EliminationReport,
    UnitElimination,
};

const CONFIG_FILE: &str = "vas-archive.toml";
const CONTRACTS_FILE: &str = "access-contracts.json";
const REFERENTIALS_DIR: &str = "referentials";
const TENANTS_DIR: &str = "tenants";
const TENANT_FILE: &str = "tenant.toml";

fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst).map_err(|e| io_at(e, dst))?;
    for e in std::fs::read_dir(src).map_err(|e| io_at(e, src))? {
        let e = e.map_err(|e| io_at(e, src))?;
        let from = e.path();
        let to = dst.join(e.file_name());
        let ft = e.file_type().map_err(|e| io_at(e, &from))?;
        if ft.is_dir() {
            copy_dir(&from, &to)?;
        } else if ft.is_file() {
            std::fs::copy(&from, &to).map_err(|e| io_at(e, &from))?;
        }
    }
    Ok(())
}
/// The access contract an archive created without referentials holds: every agency, every
/// usage.
pub const FULL_ACCESS: &str = "FULL_ACCESS";

/// The stored configuration of an archive (`vas-archive.toml`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ArchiveConfig {
    /// Configuration format version (1).
    pub format: u32,
    /// The archive's own tenant (what [`Archive::open`] opens); added tenants live in
    /// `tenants/<N>/` (see [`Archive::add_tenant`]).
    pub tenant: u32,
    /// The storage configuration file, relative to the archive folder.
    pub offers: String,
    /// A referentials folder (informational; checks against it belong to the ingest
    /// validation).
    #[serde(default)]
    pub referentials: Option<String>,
}

/// Options of [`Archive::create`].
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// A storage configuration (TOML) to copy into the archive; default: two filesystem
    /// offers inside the archive folder.
    pub offers: Option<PathBuf>,
    /// A referentials folder: its access-contract files (`*access_contract*.json`) become
    /// the archive's contracts.
    pub referentials: Option<PathBuf>,
    /// The tenant (default 0).
    pub tenant: u32,
}

/// Options of [`Archive::ingest`].
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// `evTypeProc` of the operation (default `INGEST`).
    pub type_proc: Option<String>,
}

/// What [`Archive::ingest`] returns: the report (Vitam's operation, storage and indexation
/// steps included) and the ArchiveTransferReply.
#[derive(Debug, Clone)]
pub struct IngestResult {
    /// The operation report.
    pub report: Report,
    /// The ArchiveTransferReply (XML).
    pub atr: String,
    /// The operation's system id.
    pub operation_id: String,
    /// Manifest id → system id, for units, object groups and objects (empty on KO).
    pub system_ids: BTreeMap<String, String>,
}

/// The outcome of [`Archive::verify`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    /// Units checked.
    pub units: u64,
    /// Object groups checked.
    pub object_groups: u64,
    /// Object copies checked (objects × offers).
    pub object_copies: u64,
    /// Logbook operations read.
    pub operations: u64,
    /// Metadata packs checked (each on every offer).
    pub packs: u64,
    /// Every problem found, one sentence each.
    pub problems: Vec<String>,
}

impl Verification {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The outcome of [`Archive::audit`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditSummary {
    /// Copies expected (keys × offers).
    pub checked: usize,
    /// Problems found: `(offer, key, problem)`.
    pub findings: Vec<(String, String, String)>,
    /// Copies repaired (with `repair`).
    pub repaired: usize,
    /// True when every finding was repaired (or there was none).
    pub all_repaired: bool,
}

/// The outcome of [`Archive::rebuild`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct RebuildReport {
    /// Units indexed from the offers.
    pub units: u64,
    /// Object groups indexed from the offers.
    pub object_groups: u64,
    /// Metadata packs read.
    pub packs: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    operation: String,
    keys: Vec<String>,
    units: Vec<String>,
    groups: Vec<String>,
    #[serde(default)]
    message_identifier: Option<String>,
}

/// An archive opened from its folder.
#[derive(Debug)]
pub struct Archive {
    dir: PathBuf,
    /// The folder of the opened tenant's catalog, logbook, contracts and journal: `dir`
    /// for the archive's own tenant, `dir/tenants/<N>` for an added one.
    home: PathBuf,
    /// The opened tenant.
    tenant: u32,
    /// Prefix of this tenant's keys on the offers (`""` for the archive's own tenant,
    /// `tenants/<N>/` for an added one).
    prefix: String,
    config: ArchiveConfig,
    strategy: Strategy,
    catalog: Mutex<Catalog>,
    logbook: Arc<Mutex<Logbook>>,
    contracts: Vec<AccessContract>,
    ids: IdGenerator,
    lock: Mutex<()>,
    /// Held (exclusive OS lock on `DIR/lock`) while the archive is open, so that a second
    /// process never mistakes an ingest in progress for a crashed one.
    _process_lock: std::fs::File,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn io_at(e: std::io::Error, p: &Path) -> Error {
    Error::from(e).with_path(p)
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io_at(e, &tmp))?;
        f.write_all(data).map_err(|e| io_at(e, &tmp))?;
        f.sync_all().map_err(|e| io_at(e, &tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| io_at(e, path))?;
    if let Some(d) = path.parent()
        && let Ok(f) = std::fs::File::open(d)
    {
        let _ = f.sync_all();
    }
    Ok(())
}

const DEFAULT_OFFERS: &str = r#"# The default strategy: two filesystem offers inside the archive folder.
[[offer]]
id = "fs-1"
kind = "filesystem"
path = "offers/fs-1"

[[offer]]
id = "fs-2"
kind = "filesystem"
path = "offers/fs-2"

[strategy]
offers = ["fs-1", "fs-2"]
referent = "fs-1"
"#;

/// The environment variable naming a failpoint of [`Archive::ingest`] at which the
/// process aborts (no destructor, no flush: as abrupt as `kill -9`), so that crash tests
/// cover every window deterministically. Points, in order: `after-journal`,
/// `after-objects`, `after-documents` (the last before the catalog commit),
/// `after-catalog-commit`, `after-lifecycles`, `after-logbook`.
pub const FAILPOINT_ENV: &str = "VAS_ARCHIVE_FAILPOINT";

/// The failpoints of [`FAILPOINT_ENV`], in the order an ingest passes them.
pub const FAILPOINTS: &[&str] = &[
    "after-journal",
    "after-objects",
    "after-documents",
    "after-catalog-commit",
    "after-lifecycles",
    "after-logbook",
];

fn failpoint(name: &str) {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if WANTED
        .get_or_init(|| std::env::var(FAILPOINT_ENV).ok())
        .as_deref()
        == Some(name)
    {
        eprintln!("vas: failpoint {name}: aborting");
        std::process::abort();
    }
}

fn key(s: &str) -> Result<ObjectKey> {
    ObjectKey::new(s)
}

fn unit_key(prefix: &str, id: &str) -> String {
    format!("{prefix}units/{id}.json")
}
fn group_key(prefix: &str, id: &str) -> String {
    format!("{prefix}objectgroups/{id}.json")
}
fn object_key(prefix: &str, id: &str) -> String {
    format!("{prefix}objects/{id}")
}

/// The folder of tenant `t` when it is not the archive's own tenant.
fn tenant_dir(dir: &Path, t: u32) -> PathBuf {
    dir.join(TENANTS_DIR).join(t.to_string())
}

/// The configuration of an added tenant (`tenants/<N>/tenant.toml`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct TenantConfig {
    tenant: u32,
    #[serde(default)]
    referentials: Option<String>,
}

fn access_contracts_of(referentials: Option<&Path>) -> Result<Vec<AccessContract>> {
    let mut contracts = Vec::new();
    if let Some(refs) = referentials {
        for e in std::fs::read_dir(refs).map_err(|e| io_at(e, refs))? {
            let p = e.map_err(|e| io_at(e, refs))?.path();
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let is_contract = name.contains("access_contract") || name.contains("access-contract");
            if is_contract && name.ends_with(".json") {
                contracts.extend(AccessContract::load_all(&p)?);
            }
        }
    }
    if contracts.is_empty() {
        contracts.push(AccessContract::full_access(FULL_ACCESS));
    }
    Ok(contracts)
}

/// `ACTION.SUB.KO` → `SUB` for `action`.
fn subcode<'a>(code: &'a str, action: &str) -> Option<&'a str> {
    let rest = code.strip_prefix(action)?.strip_prefix('.')?;
    let rest = rest
        .strip_suffix(".KO")
        .or_else(|| rest.strip_suffix(".WARNING"))
        .or_else(|| rest.strip_suffix(".FATAL"))
        .unwrap_or(rest);
    if rest.is_empty() || rest == "KO" {
        None
    } else {
        Some(rest)
    }
}

struct Validated {
    manifest: manifest::Manifest,
    /// Object id → (sha-512 fixity).
    fixities: BTreeMap<String, Fixity>,
    /// Manifest unit id → its computed inherited rules in Vitam's indexed form
    /// (`#computedInheritedRules`); empty without a rules referential.
    rules: BTreeMap<String, Value>,
    /// Manifest units standing for existing units of the archive (`UpdateOperation`):
    /// manifest id → existing system id. They are not created; their children are
    /// attached under the existing unit.
    attachments: BTreeMap<String, String>,
    /// Manifest groups whose objects are added to an existing object group: manifest id →
    /// existing group system id (a new version of that group's document is stored).
    group_attachments: BTreeMap<String, String>,
    /// New units linked to an existing object group: manifest unit id → group system id.
    existing_group_links: BTreeMap<String, String>,
}

impl Archive {
    /// Creates an archive in `dir` (which must not exist or be empty) and opens it.
    pub fn create(dir: impl AsRef<Path>, opts: &InitOptions) -> Result<Archive> {
        let dir = dir.as_ref();
        if dir.exists() {
            let mut it = std::fs::read_dir(dir).map_err(|e| io_at(e, dir))?;
            if it.next().is_some() {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    "the archive folder exists and is not empty",
                )
                .with_path(dir));
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| io_at(e, dir))?;
        let offers_text = match &opts.offers {
            Some(p) => std::fs::read_to_string(p).map_err(|e| io_at(e, p))?,
            None => DEFAULT_OFFERS.to_string(),
        };
        // Relative offer paths of a given file stay relative to *its* folder: check it
        // parses there, then store it with its base made absolute through `base_dir`.
        let base = match &opts.offers {
            Some(p) => p
                .parent()
                .map(|d| {
                    if d.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        d
                    }
                })
                .unwrap_or(Path::new("."))
                .canonicalize()
                .map_err(|e| io_at(e, p))?,
            None => dir.to_path_buf(),
        };
        StorageConfig::from_toml_str(&offers_text, &base)?;
        let contracts = access_contracts_of(opts.referentials.as_deref())?;
        let offers_name = "offers.toml";
        let stored_offers = match &opts.offers {
            Some(_) => format!(
                "# copied from the --offers file; relative paths resolve against:\n# base = {:?}\n{offers_text}",
                base
            ),
            None => offers_text,
        };
        write_atomic(&dir.join(offers_name), stored_offers.as_bytes())?;
        if opts.offers.is_some() {
            write_atomic(&dir.join("offers.base"), base.to_string_lossy().as_bytes())?;
        }
        let cfg = ArchiveConfig {
            format: 1,
            tenant: opts.tenant,
            offers: offers_name.into(),
            referentials: match &opts.referentials {
                // The archive keeps its own copy, so that it stays self-contained.
                Some(src) => {
                    // Loading first refuses an invalid referential before anything is copied.
                    crate::referential::Referentials::load_dir(src)?;
                    copy_dir(src, &dir.join(REFERENTIALS_DIR))?;
                    Some(REFERENTIALS_DIR.to_string())
                }
                None => None,
            },
        };
        let cfg_text = toml::to_string(&cfg).map_err(|e| Error::internal(e.to_string()))?;
        write_atomic(
            &dir.join(CONTRACTS_FILE),
            &serde_json::to_vec_pretty(&contracts).map_err(|e| Error::internal(e.to_string()))?,
        )?;
        write_atomic(&dir.join(CONFIG_FILE), cfg_text.as_bytes())?;
        Archive::open(dir)
    }

    /// Opens the archive in `dir` (its own tenant, `tenant` of its configuration),
    /// finishing or undoing any ingest a crash interrupted.
    pub fn open(dir: impl AsRef<Path>) -> Result<Archive> {
        Self::open_tenant(dir, None)
    }

    /// Adds tenant `tenant` to the archive in `dir`: its own catalog, logbook, access
    /// contracts (from `referentials`, else one `FULL_ACCESS` contract), referentials and
    /// keys on the shared offers (`tenants/<N>/…`), in `dir/tenants/<N>/`. Nothing is
    /// shared with another tenant but the offers' storage.
    pub fn add_tenant(
        dir: impl AsRef<Path>,
        tenant: u32,
        referentials: Option<&Path>,
    ) -> Result<()> {
        let dir = dir.as_ref();
        let config = Self::read_config(dir)?;
        u16::try_from(tenant)
            .map_err(|_| Error::invalid(format!("tenant {tenant} is out of range (0-65535)")))?;
        let home = tenant_dir(dir, tenant);
        if tenant == config.tenant || home.join(TENANT_FILE).exists() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("tenant {tenant} already exists in this archive"),
            )
            .with_path(dir));
        }
        if let Some(r) = referentials {
            crate::referential::Referentials::load_dir(r)?;
        }
        let contracts = access_contracts_of(referentials)?;
        std::fs::create_dir_all(&home).map_err(|e| io_at(e, &home))?;
        let refs = match referentials {
            Some(src) => {
                let dst = home.join(REFERENTIALS_DIR);
                if dst.exists() {
                    std::fs::remove_dir_all(&dst).map_err(|e| io_at(e, &dst))?;
                }
                copy_dir(src, &dst)?;
                Some(REFERENTIALS_DIR.to_string())
            }
            None => None,
        };
        write_atomic(
            &home.join(CONTRACTS_FILE),
            &serde_json::to_vec_pretty(&contracts).map_err(|e| Error::internal(e.to_string()))?,
        )?;
        let t = TenantConfig {
            tenant,
            referentials: refs,
        };
        let text = toml::to_string(&t).map_err(|e| Error::internal(e.to_string()))?;
        // Written last: a tenant exists once its configuration does.
        write_atomic(&home.join(TENANT_FILE), text.as_bytes())
    }

    /// The tenants of the archive in `dir`: its own, then the added ones in order.
    pub fn tenants(dir: impl AsRef<Path>) -> Result<Vec<u32>> {
        let dir = dir.as_ref();
        let config = Self::read_config(dir)?;
        let mut out = vec![config.tenant];
        let tdir = dir.join(TENANTS_DIR);
        let mut added = Vec::new();
        if tdir.is_dir() {
            for e in std::fs::read_dir(&tdir).map_err(|e| io_at(e, &tdir))? {
                let p = e.map_err(|e| io_at(e, &tdir))?.path();
                if let Some(t) = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.parse::<u32>().ok())
                    && p.join(TENANT_FILE).is_file()
                {
                    added.push(t);
                }
            }
        }
        added.sort_unstable();
        out.extend(added);
        Ok(out)
    }

    fn read_config(dir: &Path) -> Result<ArchiveConfig> {
        let cfg_path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&cfg_path).map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::NotFound {
                ErrorKind::NotFound
            } else {
                ErrorKind::Io
            };
            Error::new(kind, format!("not an archive folder: {e}")).with_path(&cfg_path)
        })?;
        let config: ArchiveConfig = toml::from_str(&text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("bad archive configuration: {e}"),
            )
            .with_path(&cfg_path)
        })?;
        if config.format != 1 {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("archive format {} is not supported", config.format),
            )
            .with_path(&cfg_path));
        }
        Ok(config)
    }

    /// Opens tenant `tenant` of the archive in `dir` (`None`: the archive's own tenant).
    /// Every read and write of the returned handle stays inside that tenant; an unknown
    /// tenant is `NotFound`.
    pub fn open_tenant(dir: impl AsRef<Path>, tenant: Option<u32>) -> Result<Archive> {
        let dir = dir.as_ref().to_path_buf();
        let config = Self::read_config(&dir)?;
        let tenant = tenant.unwrap_or(config.tenant);
        let (home, prefix) = if tenant == config.tenant {
            (dir.clone(), String::new())
        } else {
            let home = tenant_dir(&dir, tenant);
            if !home.join(TENANT_FILE).is_file() {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "tenant {tenant} does not exist in this archive (its tenant is {}; add one with `vas archive add-tenant`)",
                        config.tenant
                    ),
                )
                .with_path(&dir));
            }
            (home, format!("{TENANTS_DIR}/{tenant}/"))
        };
        let offers_path = dir.join(&config.offers);
        let offers_text =
            std::fs::read_to_string(&offers_path).map_err(|e| io_at(e, &offers_path))?;
        let base = match std::fs::read_to_string(dir.join("offers.base")) {
            Ok(b) => PathBuf::from(b.trim()),
            Err(_) => dir.clone(),
        };
        let strategy = StorageConfig::from_toml_str(&offers_text, &base)
            .map_err(|e| e.with_path(&offers_path))?
            .build_strategy()?;
        let lock_path = home.join("lock");
        let process_lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_at(e, &lock_path))?;
        match process_lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "the archive is open in another process",
                )
                .with_path(&dir));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_at(e, &lock_path)),
        }
        let contracts_path = home.join(CONTRACTS_FILE);
        let contracts = AccessContract::load_all(&contracts_path)?;
        let catalog = Catalog::open(home.join("catalog.sqlite"))?;
        let logbook = Logbook::open(home.join("logbook"))?;
        std::fs::create_dir_all(home.join("journal")).map_err(|e| io_at(e, &home))?;
        let id_tenant = u16::try_from(tenant)
            .map_err(|_| Error::invalid(format!("tenant {tenant} is out of range")))?;
        let a = Archive {
            dir,
            home,
            tenant,
            prefix,
            strategy,
            catalog: Mutex::new(catalog),
            logbook: Arc::new(Mutex::new(logbook)),
            contracts,
            ids: IdGenerator::new(id_tenant),
            config,
            lock: Mutex::new(()),
            _process_lock: process_lock,
        };
        a.recover()?;
        Ok(a)
    }

    /// The archive folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration.
    pub fn config(&self) -> &ArchiveConfig {
        &self.config
    }

    /// The storage strategy.
    pub fn strategy(&self) -> &Strategy {
        &self.strategy
    }

    /// The access contracts.
    pub fn contracts(&self) -> &[AccessContract] {
        &self.contracts
    }

    /// The access contract `id`: `NotFound` if unknown.
    pub fn contract(&self, id: &str) -> Result<&AccessContract> {
        self.contracts
            .iter()
            .find(|c| c.identifier == id)
            .ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("no access contract {id:?}")).with_id(id)
            })
    }

    /// Whether `k` is a key of this tenant on the offers.
    fn owns_key(&self, k: &str) -> bool {
        if self.prefix.is_empty() {
            !k.starts_with(&format!("{TENANTS_DIR}/"))
        } else {
            k.starts_with(&self.prefix)
        }
    }

    /// The tenant this handle reads and writes.
    pub fn tenant(&self) -> u32 {
        self.tenant
    }

    /// The referentials folder of this tenant, if it has one.
    fn referentials_dir(&self) -> Result<Option<PathBuf>> {
        if self.prefix.is_empty() {
            return Ok(self.config.referentials.as_ref().map(|r| self.dir.join(r)));
        }
        let p = self.home.join(TENANT_FILE);
        let text = std::fs::read_to_string(&p).map_err(|e| io_at(e, &p))?;
        let t: TenantConfig = toml::from_str(&text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("bad tenant configuration: {e}"),
            )
            .with_path(&p)
        })?;
        Ok(t.referentials.map(|r| self.home.join(r)))
    }

    fn committed(&self, op: &str) -> Result<bool> {
        let cat = lock(&self.catalog);
        cat.connection()
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM unit WHERE opi = ?1) OR EXISTS(SELECT 1 FROM object_group WHERE opi = ?1) OR EXISTS(SELECT 1 FROM pack WHERE opi = ?1)",
                [op],
                |r| r.get::<_, bool>(0),
            )
            .map_err(|e| Error::new(ErrorKind::Io, format!("catalog: {e}")))
    }

    fn recover(&self) -> Result<()> {
        // Interrupted eliminations first (their journals are not ingest journals).
        self.recover_eliminations()?;
        let jdir = self.home.join("journal");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&jdir)
            .map_err(|e| io_at(e, &jdir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for p in files {
            if p.extension().and_then(|e| e.to_str()) != Some("json") {
                let _ = std::fs::remove_file(&p);
                continue;
            }
            let j: Journal = match std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
            {
                Some(j) => j,
                None => {
                    // Torn journal: written before any offer write, nothing to undo.
                    let _ = std::fs::remove_file(&p);
                    continue;
                }
            };
            let has_op = lock(&self.logbook).operation(&j.operation).is_ok();
            if self.committed(&j.operation)? {
                if !has_op {
                    let lcs = self.journal_lifecycles(&j);
                    let mut lb = lock(&self.logbook);
                    // Lifecycles the interrupted ingest already wrote (all or a prefix of
                    // them) are not written a second time.
                    let have_units = lb.lifecycle_batches(LifecycleKind::Unit)?;
                    let have_groups = lb.lifecycle_batches(LifecycleKind::ObjectGroup)?;
                    let missing: Vec<Lifecycle> = lcs
                        .into_iter()
                        .filter(|lc| {
                            let have = match lc.kind {
                                LifecycleKind::Unit => &have_units,
                                LifecycleKind::ObjectGroup => &have_groups,
                            };
                            !have.contains_key(&(lc.id.clone(), j.operation.clone()))
                        })
                        .collect();
                    lb.append_lifecycles(&missing)?;
                    let op = self.simple_operation(
                        &j.operation,
                        Status::Ok,
                        "Ingest committed; its logbook entry was written when the archive was reopened after an interruption",
                        j.message_identifier.clone(),
                    );
                    lb.append_operation(&op)?;
                }
            } else {
                for k in &j.keys {
                    let k = key(k)?;
                    for o in self.strategy.offers() {
                        o.delete(&k)?;
                    }
                }
                if !has_op {
                    let op = self.simple_operation(
                        &j.operation,
                        Status::Fatal,
                        "Ingest interrupted before its commit; its stored objects were removed when the archive was reopened",
                        j.message_identifier.clone(),
                    );
                    lock(&self.logbook).append_operation(&op)?;
                }
            }
            std::fs::remove_file(&p).map_err(|e| io_at(e, &p))?;
        }
        Ok(())
    }

    /// The lifecycles an interrupted ingest stored on the offers with its documents (from
    /// its packs, or from its per-document objects in the first layout); unreadable ones
    /// are skipped (verify reports the damaged copies).
    fn journal_lifecycles(&self, j: &Journal) -> Vec<Lifecycle> {
        let to_lc = |kind: DocKind, id: String, doc: &Value| {
            serde_json::from_value::<Vec<LogbookEvent>>(doc["lifecycle"].clone())
                .ok()
                .map(|events| Lifecycle {
                    id,
                    kind: match kind {
                        DocKind::Unit => LifecycleKind::Unit,
                        DocKind::ObjectGroup => LifecycleKind::ObjectGroup,
                    },
                    events,
                })
        };
        let pack_prefix = pack::packs_prefix(&self.prefix);
        let pack_keys: Vec<&String> = j
            .keys
            .iter()
            .filter(|k| k.starts_with(&pack_prefix))
            .collect();
        let mut out = Vec::new();
        if !pack_keys.is_empty() {
            for k in pack_keys {
                let Ok(ok) = key(k) else { continue };
                if let Ok(bytes) = self.strategy.get_bytes(&ok, None)
                    && let Ok((_, lines)) = pack::parse_pack(k, &bytes)
                {
                    out.extend(
                        lines
                            .into_iter()
                            .filter_map(|l| to_lc(l.kind, l.id, &l.doc)),
                    );
                }
            }
            return out;
        }
        for (kind, ids) in [(DocKind::ObjectGroup, &j.groups), (DocKind::Unit, &j.units)] {
            for id in ids {
                let k = match kind {
                    DocKind::Unit => unit_key(&self.prefix, id),
                    DocKind::ObjectGroup => group_key(&self.prefix, id),
                };
                if let Ok(doc) = self.read_doc(&k)
                    && let Some(lc) = to_lc(kind, id.clone(), &doc)
                {
                    out.push(lc);
                }
            }
        }
        out
    }

    fn simple_operation(
        &self,
        op: &str,
        status: Status,
        msg: &str,
        ob_id_in: Option<String>,
    ) -> LogbookOperation {
        let ev = LogbookEvent {
            ev_id: op.to_string(),
            ev_type: "PROCESS_SIP_UNITARY".into(),
            ev_date_time: format_ms(self.ids.clock().now_ms()),
            ev_id_proc: op.to_string(),
            ev_type_proc: "INGEST".into(),
            outcome: status.as_str().into(),
            out_detail: format!("PROCESS_SIP_UNITARY.{}", status.as_str()),
            out_messg: msg.into(),
            ob_id_in,
            ag_id: Some(json!({"Name": "vas", "Version": crate::VERSION})),
            ..Default::default()
        };
        LogbookOperation {
            event: ev,
            events: Vec::new(),
            tenant: self.tenant(),
        }
    }

    fn lfc(&self, op: &str, ob_id: &str, ev_type: &str) -> LogbookEvent {
        LogbookEvent {
            ev_id: self.ids.generate_string(IdKind::Event),
            ev_type: format!("LFC.{ev_type}"),
            ev_date_time: format_ms(self.ids.clock().now_ms()),
            ev_id_proc: op.to_string(),
            ev_type_proc: "INGEST".into(),
            outcome: "OK".into(),
            out_detail: format!("LFC.{ev_type}.OK"),
            out_messg: crate::ingest::report::out_detail(ev_type, None, Status::Ok),
            ob_id: Some(ob_id.to_string()),
            ..Default::default()
        }
    }

    /// The archive's own pass over an accepted package (after [`crate::ingest::dry_run`]):
    /// container rules, manifest in the archive's shape, declared objects present, every
    /// declared digest re-verified and the SHA-512 fixity each offer will check.
    fn validate(&self, sip: &Path, rec: &mut Recorder) -> Option<Validated> {
        rec.begin_step("STP_SANITY_CHECK_SIP");
        rec.action("SANITY_CHECK_SIP", Status::Ok, None, None);
        let mut reader = match SipReader::open(sip, Limits::default()) {
            Ok(r) => r,
            Err(e) => {
                let code = e.context().code.clone().unwrap_or_default();
                rec.action(
                    "CHECK_CONTAINER",
                    Status::Ko,
                    subcode(&code, "CHECK_CONTAINER"),
                    Some(json!({"Error": e.to_string()})),
                );
                rec.end_step();
                return None;
            }
        };
        rec.action("CHECK_CONTAINER", Status::Ok, None, None);
        let cc = reader.check_container();
        if let Some(v) = cc.errors().next() {
            let action = if v.code.starts_with("MANIFEST_FILE_NAME_CHECK") {
                "MANIFEST_FILE_NAME_CHECK"
            } else {
                "CHECK_CONTAINER"
            };
            rec.action(
                action,
                Status::Ko,
                subcode(v.code, action),
                Some(json!({"Error": v.message, "Code": v.code})),
            );
            rec.end_step();
            return None;
        }
        rec.action("MANIFEST_FILE_NAME_CHECK", Status::Ok, None, None);
        rec.end_step();
        rec.begin_step("STP_UPLOAD_SIP");
        rec.action("UPLOAD_SIP", Status::Ok, None, None);
        rec.end_step();
        rec.begin_step("STP_INGEST_CONTROL_SIP");
        let parsed = reader.manifest_bytes().and_then(|b| manifest::read(&b));
        let m = match parsed {
            Ok(m) => m,
            Err(e) => {
                let code = e.context().code.clone().unwrap_or_default();
                rec.action(
                    "CHECK_SEDA",
                    Status::Ko,
                    subcode(&code, "CHECK_SEDA").or(Some("NOT_XSD_VALID")),
                    Some(json!({"Error": e.to_string()})),
                );
                rec.end_step();
                return None;
            }
        };
        rec.action("CHECK_SEDA", Status::Ok, None, None);
        rec.action("CHECK_HEADER", Status::Ok, None, None);
        let uris: Vec<&str> = m.objects.iter().filter_map(|o| o.uri.as_deref()).collect();
        let cu = reader.check_uris(uris.iter().copied());
        let bad_binary = m.objects.iter().find(|o| !o.physical && o.uri.is_none());
        if let Some(v) = cu.errors().next() {
            rec.action(
                "CHECK_DATAOBJECTPACKAGE",
                Status::Ko,
                subcode(v.code, "CHECK_DATAOBJECTPACKAGE"),
                Some(json!({"Error": v.message, "Code": v.code})),
            );
            rec.end_step();
            return None;
        }
        if let Some(o) = bad_binary {
            rec.action(
                "CHECK_DATAOBJECTPACKAGE",
                Status::Ko,
                Some("CHECK_MANIFEST_DATAOBJECT_VERSION.EMPTY_REQUIRED_FIELD"),
                Some(json!({"Error": format!("binary object {} has no Uri", o.id)})),
            );
            rec.end_step();
            return None;
        }
        rec.action("CHECK_DATAOBJECTPACKAGE", Status::Ok, None, None);
        rec.end_step();
        // Digests, streamed.
        rec.begin_step("STP_OG_CHECK_AND_TRANSFORME");
        let by_uri: BTreeMap<&str, &manifest::MObject> = m
            .objects
            .iter()
            .filter_map(|o| o.uri.as_deref().map(|u| (u, o)))
            .collect();
        let mut fixities = BTreeMap::new();
        let mut problems: Vec<(String, Status, &'static str, String)> = Vec::new();
        let res = reader.for_each_object(|entry, r| {
            let Some(o) = by_uri.get(entry.name.as_str()) else {
                return Ok(());
            };
            let declared = o
                .algorithm
                .as_deref()
                .and_then(|a| a.parse::<DigestAlgorithm>().ok());
            let mut algs = vec![DigestAlgorithm::Sha512];
            if let Some(d) = declared
                && d != DigestAlgorithm::Sha512
            {
                algs.push(d);
            }
            let mut h = MultiHasher::new(&algs);
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = r
                    .read(&mut buf)
                    .map_err(|e| Error::from(e).with_path(&entry.name))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            let size = h.len();
            let out = h.finalize();
            let sha = out
                .iter()
                .find(|(a, _)| *a == DigestAlgorithm::Sha512)
                .map(|x| x.1.clone())
                .unwrap_or_default();
            fixities.insert(
                o.id.clone(),
                Fixity::new(DigestAlgorithm::Sha512, &sha, size)?,
            );
            match (declared, o.digest.as_deref()) {
                (_, None) | (_, Some("")) => problems.push((
                    o.id.clone(),
                    Status::Ko,
                    "EMPTY",
                    "no digest declared".into(),
                )),
                (None, Some(_)) => problems.push((
                    o.id.clone(),
                    Status::Ko,
                    "INVALID",
                    format!("unsupported algorithm {:?}", o.algorithm),
                )),
                (Some(d), Some(dg)) => {
                    let got = &out
                        .iter()
                        .find(|(a, _)| *a == d)
                        .map(|x| x.1.clone())
                        .unwrap_or_default();
                    if !got.eq_ignore_ascii_case(dg.trim()) {
                        problems.push((
                            o.id.clone(),
                            Status::Ko,
                            "INVALID",
                            format!("declared {dg}, computed {got}"),
                        ));
                    }
                }
            }
            if let Some(s) = o.size
                && s != size
            {
                problems.push((
                    o.id.clone(),
                    Status::Warning,
                    "SIZE",
                    format!("declared size {s}, actual {size}"),
                ));
            }
            Ok(())
        });
        if let Err(e) = res {
            rec.action(
                "CHECK_DIGEST",
                Status::Ko,
                None,
                Some(json!({"Error": e.to_string()})),
            );
            rec.end_step();
            return None;
        }
        for o in m.objects.iter().filter(|o| !o.physical) {
            let mine: Vec<_> = problems.iter().filter(|p| p.0 == o.id).collect();
            match mine.iter().find(|p| p.2 != "SIZE") {
                Some(p) => rec.item(
                    "CHECK_DIGEST",
                    p.1,
                    Some(p.2),
                    Some(json!({"Object": o.id, "Error": p.3})),
                ),
                None => rec.item("CHECK_DIGEST", Status::Ok, None, None),
            }
            match mine.iter().find(|p| p.2 == "SIZE") {
                Some(p) => rec.item(
                    "CHECK_OBJECT_SIZE",
                    Status::Warning,
                    None,
                    Some(json!({"Object": o.id, "Error": p.3})),
                ),
                None => rec.item("CHECK_OBJECT_SIZE", Status::Ok, None, None),
            }
        }
        if rec.end_step() >= Status::Ko {
            return None;
        }
        rec.begin_step("STP_UNIT_CHECK_AND_PROCESS");
        for _ in &m.units {
            rec.item("CHECK_UNIT_SCHEMA", Status::Ok, None, None);
        }
        rec.end_step();
        Some(Validated {
            manifest: m,
            fixities,
            rules: BTreeMap::new(),
            attachments: BTreeMap::new(),
            group_attachments: BTreeMap::new(),
            existing_group_links: BTreeMap::new(),
        })
    }

    /// Ingests the SIP at `sip`: validation, then (only if accepted) storage on every offer,
    /// metadata and lifecycles on the offers, indexation (the commit point) and the
    /// logbook. A refused SIP leaves only its logbook operation.
    pub fn ingest(&self, sip: &Path, opts: &IngestOptions) -> Result<IngestResult> {
        let _guard = lock(&self.lock);
        let op = self.ids.generate_string(IdKind::Operation);
        let type_proc = opts.type_proc.clone().unwrap_or_else(|| "INGEST".into());
        let mut rec = Recorder::new(Workflow::default_ingest());
        // Every check of Vitam's ingest workflow (ingest::dry_run) decides first; the
        // archive's own pass then re-reads the package for what storage needs (SHA-512 of
        // each object, manifest in the archive's shape) and re-verifies every digest.
        let refs = match self.referentials_dir()? {
            Some(r) => crate::referential::Referentials::load_dir(r)?,
            None => crate::referential::Referentials::default(),
        };
        // Attachments (`UpdateOperation`) resolve against this tenant's catalog.
        let dry_opts = crate::ingest::DryRunOptions {
            existing_units: Some(Arc::new(
                crate::catalog::CatalogUnits::open(self.home.join("catalog.sqlite"), self.tenant)?
                    .with_operations({
                        // `CHECK_ATTACHEMENT`: what created the unit or group attached to
                        // must be an operation of the logbook that ended OK or WARNING.
                        let lb = Arc::clone(&self.logbook);
                        Arc::new(move |op: &str| {
                            let o = lock(&lb).operation(op).ok()?;
                            Some(crate::ingest::ExistingOperation {
                                id: op.to_string(),
                                completed: true,
                                outcome: serde_json::from_value(json!(o.event.outcome))
                                    .unwrap_or(Status::Fatal),
                            })
                        })
                    }),
            )),
            ..Default::default()
        };
        // The archive's own reading of the manifest (units in the archive's shape) runs on a
        // second thread while the controls run; it is used only if the controls accept the
        // package and it read the very bytes they validated.
        let (dry, early) = std::thread::scope(|s| {
            let early = s.spawn(|| -> Option<(Vec<u8>, manifest::Manifest)> {
                let bytes = SipReader::open(sip, Limits::default())
                    .ok()?
                    .manifest_bytes()
                    .ok()?;
                let m = manifest::read(&bytes).ok()?;
                Some((bytes, m))
            });
            let dry = crate::ingest::dry_run(sip, &refs, &dry_opts);
            (dry, early.join().ok().flatten())
        });
        let dry = dry?;
        // The ATR header (the SIP's SEDA version) for a refusal, before `early` is consumed;
        // without a readable manifest, the default header. Either way its
        // `MessageIdentifier` is the operation.
        let header = early.as_ref().map(|(_, m)| dip::atr_info(m, false));
        let refused_atr = |report: &Report| -> String {
            crate::ingest::atr::build_atr_with(
                report,
                header.as_ref(),
                false,
                Some(&crate::ingest::atr::AtrIds {
                    operation: &op,
                    system_ids: None,
                }),
            )
        };
        let controls: Vec<_> = dry
            .report
            .events
            .iter()
            .take_while(|e| !is_finalisation_event(&e.ev_type))
            .cloned()
            .collect();
        rec.replay(&controls);
        rec.replay_lifecycles(&dry.report.lifecycles);
        let validated = if dry.report.outcome.is_accepted() {
            // The dry run already streamed and hashed every object: reuse its SHA-512
            // fixities (each offer re-verifies them on put). Re-read the package only if the
            // dry run could not give them.
            let mut scratch = Recorder::new(Workflow::default_ingest());
            let v = match dry
                .validated
                .as_ref()
                .and_then(|d| from_dry_run(d, early).ok())
            {
                Some(v) => Some(v),
                None => self.validate(sip, &mut scratch),
            };
            if v.is_none() {
                // The archive's own re-verification disagrees with the controls (e.g. the
                // package changed in between): its events explain why.
                rec.replay(
                    &scratch
                        .finish()
                        .events
                        .into_iter()
                        .filter(|e| e.outcome > Status::Ok)
                        .collect::<Vec<_>>(),
                );
            }
            v
        } else {
            None
        };
        let Some(v) = validated else {
            if !dry.report.outcome.is_accepted() {
                // Refused by the controls: the dry run's report and ATR are Vitam's answer.
                rec.begin_step("STP_INGEST_FINALISATION");
                rec.action("ATR_NOTIFICATION", Status::Ok, None, None);
                rec.action("ROLL_BACK", Status::Ok, None, None);
                rec.end_step();
                let report = rec.finish();
                let mut ctx = OperationContext::new(&self.ids, type_proc);
                ctx.operation_id = Some(op.clone());
                lock(&self.logbook).record_report(&report, &ctx)?;
                return Ok(IngestResult {
                    atr: refused_atr(&report),
                    report,
                    operation_id: op,
                    system_ids: BTreeMap::new(),
                });
            }
            rec.begin_step("STP_INGEST_FINALISATION");
            rec.action("ATR_NOTIFICATION", Status::Ok, None, None);
            rec.end_step();
            let report = rec.finish();
            let mut ctx = OperationContext::new(&self.ids, type_proc);
            ctx.operation_id = Some(op.clone());
            lock(&self.logbook).record_report(&report, &ctx)?;
            let atr = refused_atr(&report);
            return Ok(IngestResult {
                report,
                atr,
                operation_id: op,
                system_ids: BTreeMap::new(),
            });
        };
        // Units below an attached existing unit inherit its rules too (catalog graph).
        let mut v = v;
        if let Some(d) = dry.validated.as_ref() {
            self.attached_inherited_rules(&d.manifest_bytes, &v.attachments, &mut v.rules)?;
        }
        // The controls' typed model and manifest bytes are no longer needed: not held
        // during storage and indexation (peak memory).
        drop(dry);
        let m = &v.manifest;
        // System ids (a unit standing for an existing one keeps that one's id).
        let mut sys: BTreeMap<String, String> = BTreeMap::new();
        for u in &m.units {
            let id = match v.attachments.get(&u.id) {
                Some(existing) => existing.clone(),
                None => self.ids.generate_string(IdKind::Unit),
            };
            sys.insert(u.id.clone(), id);
        }
        for g in &m.groups {
            let id = match v.group_attachments.get(g) {
                Some(existing) => existing.clone(),
                None => self.ids.generate_string(IdKind::ObjectGroup),
            };
            sys.insert(g.clone(), id);
        }
        for o in &m.objects {
            sys.insert(o.id.clone(), self.ids.generate_string(IdKind::Object));
        }
        let jpath = self.home.join("journal").join(format!("{op}.json"));
        // The keys the journal lists once written (what a failure must delete).
        let mut written: Vec<String> = Vec::new();
        let mut stage = "STORAGE_AVAILABILITY_CHECK";
        let result = self.store_and_index(
            sip,
            &v,
            &sys,
            &op,
            &jpath,
            &mut written,
            &mut rec,
            &mut stage,
        );
        if let Err(e) = &result {
            if rec.status() < Status::Ko {
                rec.action(
                    stage,
                    Status::Fatal,
                    None,
                    Some(json!({"Error": e.to_string()})),
                );
            }
            rec.end_step();
            // Undo what was written; the journal is removed only once that succeeded.
            let mut clean = true;
            for k in &written {
                if let Ok(k) = key(k) {
                    for o in self.strategy.offers() {
                        if o.delete(&k).is_err() {
                            clean = false;
                        }
                    }
                }
            }
            rec.action(
                "ROLL_BACK",
                if clean { Status::Ok } else { Status::Fatal },
                None,
                Some(json!({"Error": e.to_string()})),
            );
        }
        rec.begin_step("STP_INGEST_FINALISATION");
        rec.action("ATR_NOTIFICATION", Status::Ok, None, None);
        rec.end_step();
        let report = rec.finish();
        let mut ctx = OperationContext::new(&self.ids, type_proc);
        ctx.operation_id = Some(op.clone());
        ctx.ob_id_in = m.message_identifier.clone();
        ctx.ag_id_ext = Some(json!({
            "originatingAgency": m.originating_agency,
            "submissionAgency": m.submission_agency,
            "TransferringAgency": m.transferring_agency,
            "ArchivalAgency": m.archival_agency,
        }));
        ctx.rights_statement_identifier = m
            .archival_agreement
            .as_ref()
            .map(|a| json!({"ArchivalAgreement": a}));
        {
            let mut lb = lock(&self.logbook);
            if let Ok(lcs) = &result {
                lb.append_canonical_lifecycles(lcs)?;
                failpoint("after-lifecycles");
            }
            lb.append_operation(&crate::logbook::from_report(&report, &ctx).0)?;
        }
        if result.is_ok() {
            failpoint("after-logbook");
        }
        match std::fs::remove_file(&jpath) {
            Ok(()) => {}
            // Failed before the journal was written: nothing to remove.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && result.is_err() => {}
            Err(e) => return Err(io_at(e, &jpath)),
        }
        let ok = result.is_ok();
        let atr = crate::ingest::atr::build_atr_with(
            &report,
            Some(&dip::atr_info(m, ok)),
            false,
            Some(&crate::ingest::atr::AtrIds {
                operation: &op,
                system_ids: ok.then_some(&sys),
            }),
        );
        Ok(IngestResult {
            report,
            atr,
            operation_id: op,
            system_ids: if ok { sys } else { BTreeMap::new() },
        })
    }

    /// Stores and indexes an accepted package; returns the canonical texts of its
    /// lifecycles `(units, groups)`, to append to the logbook after the commit.
    #[allow(clippy::too_many_arguments)]
    fn store_and_index(
        &self,
        sip: &Path,
        v: &Validated,
        sys: &BTreeMap<String, String>,
        op: &str,
        jpath: &Path,
        written: &mut Vec<String>,
        rec: &mut Recorder,
        stage: &mut &'static str,
    ) -> Result<(Vec<String>, Vec<String>)> {
        // The catalog transaction runs on its own thread and connection while the
        // documents, packs and lifecycles are built and the packs stored; it is committed
        // only once the packs are on every offer (dropped before that, it rolls back).
        let path = self.home.join("catalog.sqlite");
        let replaced: Vec<String> = v.group_attachments.values().cloned().collect();
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<CatalogMsg>(8);
            let handle = s.spawn(move || catalog_line(&path, &replaced, rx));
            let mut line = CatalogLine {
                tx: Some(tx),
                handle: Some(handle),
            };
            self.store_and_index_on(sip, v, sys, op, jpath, written, rec, stage, &mut line)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn store_and_index_on(
        &self,
        sip: &Path,
        v: &Validated,
        sys: &BTreeMap<String, String>,
        op: &str,
        jpath: &Path,
        written: &mut Vec<String>,
        rec: &mut Recorder,
        stage: &mut &'static str,
        line: &mut CatalogLine<'_>,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let m = &v.manifest;
        let tenant = self.tenant();
        rec.begin_step("STP_STORAGE_AVAILABILITY_CHECK");
        for o in self.strategy.offers() {
            let st = o.status()?;
            if !st.available {
                rec.action("STORAGE_AVAILABILITY_CHECK", Status::Fatal, None, None);
                rec.end_step();
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!("offer {} is unavailable", o.id()),
                ));
            }
        }
        rec.action("STORAGE_AVAILABILITY_CHECK", Status::Ok, None, None);
        rec.end_step();
        rec.begin_step("STP_OBJ_STORING");
        // The documents and lifecycles of the operation, packed in memory first (no I/O),
        // so that the journal can name every key before the first byte is written.
        *stage = "OG_METADATA_INDEXATION";
        let mut packs = pack::PackBuilder::new(&self.prefix, op, tenant);
        let mut group_ids: Vec<String> = Vec::with_capacity(m.groups.len());
        let mut group_chunk: Vec<(ObjectGroupRecord, String)> = Vec::new();
        let new_units = m
            .units
            .iter()
            .filter(|u| !v.attachments.contains_key(&u.id))
            .count();
        let mut lifecycles: Vec<Lifecycle> = Vec::with_capacity(m.groups.len() + new_units);
        let mut objects_of: BTreeMap<&str, Vec<&manifest::MObject>> = BTreeMap::new();
        for o in &m.objects {
            objects_of.entry(o.group.as_str()).or_default().push(o);
        }
        for g in &m.groups {
            let gid = &sys[g];
            let mine = objects_of.get(g.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let mut rec_g = ObjectGroupRecord {
                id: gid.clone(),
                tenant,
                originating_agency: m.originating_agency.clone(),
                operation_id: Some(op.to_string()),
                objects: Vec::new(),
                metadata: Default::default(),
            };
            // Objects added to an existing group: its record and kept SEDA are the base.
            let mut kept_before = serde_json::Map::new();
            if v.group_attachments.contains_key(g) {
                (rec_g, kept_before) = self.existing_group_base(gid)?;
            }
            for o in mine {
                let (usage, version) = match o.version.rsplit_once('_') {
                    Some((u, n)) if n.parse::<u32>().is_ok() => {
                        (u.to_string(), n.parse().unwrap_or(1))
                    }
                    _ => (o.version.clone(), 1),
                };
                let (size, digest) = match v.fixities.get(&o.id) {
                    Some(f) => (f.size, f.digest.clone()),
                    None => (0, String::new()),
                };
                rec_g.objects.push(ObjectRecord {
                    id: sys[&o.id].clone(),
                    usage,
                    version,
                    size,
                    digest,
                    algorithm: if o.physical {
                        String::new()
                    } else {
                        "SHA-512".into()
                    },
                    format_id: o.format_id.clone(),
                    storage_key: (!o.physical).then(|| object_key(&self.prefix, &sys[&o.id])),
                    // Added to a group of another operation: counted under this one.
                    operation_id: (rec_g.operation_id.as_deref() != Some(op))
                        .then(|| op.to_string()),
                });
            }
            let events = vec![
                self.lfc(op, gid, "CHECK_DIGEST"),
                self.lfc(op, gid, "OBJ_STORAGE"),
                self.lfc(op, gid, "OG_METADATA_STORAGE"),
            ];
            let mut kept: serde_json::Map<String, Value> = mine
                .iter()
                .map(|o| (sys[&o.id].clone(), json!({"xml": o.xml})))
                .collect();
            kept.extend(kept_before);
            // One serialisation of the document, for the pack line and the catalog row.
            let gdoc = serde_json::to_string(&rec_g.to_document())
                .map_err(|e| Error::internal(e.to_string()))?;
            packs.push(DocKind::ObjectGroup, gid, |out| {
                pack::member_raw(out, true, "document", &gdoc);
                pack::member(out, false, "lifecycle", &events)?;
                pack::member(
                    out,
                    false,
                    "seda",
                    &json!({"version": m.version.as_str(), "objects": kept}),
                )
            })?;
            lifecycles.push(Lifecycle {
                id: gid.clone(),
                kind: LifecycleKind::ObjectGroup,
                events,
            });
            group_ids.push(rec_g.id.clone());
            group_chunk.push((rec_g, gdoc));
            if group_chunk.len() >= CATALOG_CHUNK {
                line.send(CatalogMsg::Groups(std::mem::take(&mut group_chunk)));
            }
        }
        if !group_chunk.is_empty() {
            line.send(CatalogMsg::Groups(group_chunk));
        }
        *stage = "UNIT_METADATA_INDEXATION";
        // Units go to the catalog as they are made when every parent in the package comes
        // before its children (the usual nesting); otherwise all at once, to be ordered.
        let in_order = {
            let new: std::collections::HashSet<&str> = m
                .units
                .iter()
                .filter(|u| !v.attachments.contains_key(&u.id))
                .map(|u| u.id.as_str())
                .collect();
            let mut seen: std::collections::HashSet<&str> =
                std::collections::HashSet::with_capacity(new.len());
            m.units
                .iter()
                .filter(|u| !v.attachments.contains_key(&u.id))
                .all(|u| {
                    let ok = u
                        .parents
                        .iter()
                        .all(|p| !new.contains(p.as_str()) || seen.contains(p.as_str()));
                    seen.insert(u.id.as_str());
                    ok
                })
        };
        let mut unit_ids: Vec<String> = Vec::with_capacity(new_units);
        let mut unit_chunk: Vec<(UnitRecord, String)> = Vec::new();
        for u in m
            .units
            .iter()
            .filter(|u| !v.attachments.contains_key(&u.id))
        {
            let uid = &sys[&u.id];
            let mut r = UnitRecord::new(uid.clone(), tenant);
            r.unit_type = UnitType::default();
            r.originating_agency = m.originating_agency.clone();
            r.parents = u.parents.iter().map(|p| sys[p].clone()).collect();
            r.operation_id = Some(op.to_string());
            r.object_group_id = u
                .group
                .as_ref()
                .map(|g| sys[g].clone())
                .or_else(|| v.existing_group_links.get(&u.id).cloned());
            r.metadata = u.content.clone();
            r.management = u.management.clone();
            r.computed_inherited_rules = v.rules.get(&u.id).cloned();
            r.validate()?;
            let events = vec![
                self.lfc(op, uid, "CHECK_UNIT_SCHEMA"),
                self.lfc(op, uid, "UNIT_METADATA_STORAGE"),
            ];
            // One serialisation of the document (straight from the record), for the pack
            // line and the catalog row.
            let doc = crate::catalog::unit_document_text(&r)?;
            packs.push(DocKind::Unit, uid, |out| {
                pack::member_raw(out, true, "document", &doc);
                pack::member(out, false, "lifecycle", &events)?;
                // Members in name order, as `json!` wrote them, without copying the XML.
                // A root unit keeps the package's `ManagementMetadata` (its rules apply
                // to it: the rules engine, the elimination, the DIP and `rebuild` read
                // them from here).
                #[derive(serde::Serialize)]
                struct Seda<'a> {
                    #[serde(skip_serializing_if = "Option::is_none")]
                    management_metadata: Option<&'a str>,
                    version: &'a str,
                    xml: &'a str,
                }
                pack::member(
                    out,
                    false,
                    "seda",
                    &Seda {
                        management_metadata: if u.parents.is_empty() {
                            m.management_metadata.as_deref()
                        } else {
                            None
                        },
                        version: m.version.as_str(),
                        xml: &u.xml,
                    },
                )
            })?;
            lifecycles.push(Lifecycle {
                id: uid.clone(),
                kind: LifecycleKind::Unit,
                events,
            });
            unit_ids.push(r.id.clone());
            unit_chunk.push((r, doc));
            if in_order && unit_chunk.len() >= CATALOG_CHUNK {
                line.send(CatalogMsg::Units(std::mem::take(&mut unit_chunk)));
            }
        }
        if in_order {
            if !unit_chunk.is_empty() {
                line.send(CatalogMsg::Units(unit_chunk));
            }
        } else {
            line.send(CatalogMsg::UnitsUnordered(unit_chunk));
        }
        let (pack_records, pack_bytes): (Vec<PackRecord>, Vec<Vec<u8>>) =
            packs.finish().into_iter().unzip();
        let pack_fixities: Vec<(String, Fixity)> = pack_records
            .iter()
            .map(|p| {
                Ok((
                    p.key.clone(),
                    Fixity::new(DigestAlgorithm::Sha512, &p.digest, p.size)?,
                ))
            })
            .collect::<Result<_>>()?;
        // The catalog records where each document is (uncommitted until the packs are on
        // the offers).
        line.send(CatalogMsg::Packs(pack_records));
        // The lifecycles' canonical texts (most of the cost of appending them), while the
        // catalog indexes; the events themselves are not kept.
        let canonical = Logbook::canonical_lifecycles(&lifecycles)?;
        drop(lifecycles);
        // The journal: every key about to be written, before the first of them.
        let mut keys: Vec<String> = Vec::new();
        for o in m.objects.iter().filter(|o| !o.physical) {
            keys.push(object_key(&self.prefix, &sys[&o.id]));
        }
        keys.extend(pack_fixities.iter().map(|(k, _)| k.clone()));
        let n_units = unit_ids.len();
        let n_groups = group_ids.len();
        let journal = Journal {
            operation: op.to_string(),
            keys,
            units: unit_ids,
            groups: group_ids,
            message_identifier: m.message_identifier.clone(),
        };
        *stage = "STORAGE_AVAILABILITY_CHECK";
        write_atomic(
            jpath,
            &serde_json::to_vec(&journal).map_err(|e| Error::internal(e.to_string()))?,
        )?;
        *written = journal.keys;
        failpoint("after-journal");
        // Objects.
        *stage = "OBJ_STORAGE";
        let by_uri: BTreeMap<&str, &manifest::MObject> = m
            .objects
            .iter()
            .filter(|o| !o.physical)
            .filter_map(|o| o.uri.as_deref().map(|u| (u, o)))
            .collect();
        let mut stored = 0usize;
        if !by_uri.is_empty() {
            let mut reader = SipReader::open(sip, Limits::default())?;
            // Small objects are put by several threads so that their syncs overlap
            // (store_objects.rs).
            stored = store_objects::store_objects(&self.strategy, &mut reader, |name| {
                let Some(o) = by_uri.get(name) else {
                    return Ok(None);
                };
                let fx = v.fixities.get(&o.id).ok_or_else(|| {
                    Error::internal(format!("no fixity computed for object {}", o.id))
                })?;
                Ok(Some((
                    key(&object_key(&self.prefix, &sys[&o.id]))?,
                    fx.clone(),
                )))
            })?;
        }
        for _ in 0..stored {
            rec.item("OBJ_STORAGE", Status::Ok, None, None);
        }
        failpoint("after-objects");
        for _ in 0..n_groups {
            rec.item("OG_METADATA_INDEXATION", Status::Ok, None, None);
        }
        rec.end_step();
        rec.begin_step("STP_UNIT_METADATA");
        // The documents: one write (and one fsync) per pack and offer, each offer checking
        // the pack's SHA-512.
        *stage = "UNIT_METADATA_INDEXATION";
        for ((k, fx), bytes) in pack_fixities.iter().zip(pack_bytes) {
            self.strategy.put(&key(k)?, &mut &bytes[..], fx)?;
        }
        failpoint("after-documents");
        // The commit point.
        if let Err(e) = line.commit() {
            rec.action(
                "UNIT_METADATA_INDEXATION",
                Status::Ko,
                None,
                Some(json!({"Error": e.to_string()})),
            );
            rec.end_step();
            return Err(e);
        }
        failpoint("after-catalog-commit");
        for _ in 0..n_units {
            rec.item("UNIT_METADATA_INDEXATION", Status::Ok, None, None);
        }
        rec.end_step();
        rec.begin_step("STP_OG_STORING");
        for _ in 0..n_groups {
            rec.item("COMMIT_LIFE_CYCLE_OBJECT_GROUP", Status::Ok, None, None);
            rec.item("OG_METADATA_STORAGE", Status::Ok, None, None);
        }
        rec.end_step();
        rec.begin_step("STP_UNIT_STORING");
        for _ in 0..n_units {
            rec.item("COMMIT_LIFE_CYCLE_UNIT", Status::Ok, None, None);
            rec.item("UNIT_METADATA_STORAGE", Status::Ok, None, None);
        }
        rec.end_step();
        rec.begin_step("STP_ACCESSION_REGISTRATION");
        rec.action("ACCESSION_REGISTRATION", Status::Ok, None, None);
        rec.end_step();
        Ok(canonical)
    }

    fn read_doc(&self, k: &str) -> Result<Value> {
        let bytes = self.strategy.get_bytes(&key(k)?, None)?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::new(ErrorKind::Corrupt, format!("{k}: not JSON: {e}")).with_id(k))
    }

    /// The stored document (`{"document", "lifecycle", "seda"}`) of unit or group `id`:
    /// its line of a pack, read by offset and length and checked against the catalog's
    /// SHA-512, from the first offer whose copy verifies; or, for a unit or group of the
    /// first layout (no location in the catalog), its own object on the offers.
    fn read_stored_doc(&self, kind: DocKind, id: &str) -> Result<Value> {
        let loc = lock(&self.catalog).doc_location(id)?;
        match loc {
            Some(l) => self.read_located(&l),
            None => self.read_doc(&match kind {
                DocKind::Unit => unit_key(&self.prefix, id),
                DocKind::ObjectGroup => group_key(&self.prefix, id),
            }),
        }
    }

    fn read_located(&self, l: &DocLocation) -> Result<Value> {
        let k = key(&l.pack)?;
        let mut errors = Vec::new();
        let referent = self.strategy.referent().clone();
        let others = self
            .strategy
            .offers()
            .iter()
            .filter(|o| o.id() != referent.id())
            .cloned();
        for off in std::iter::once(referent.clone()).chain(others) {
            match off.get_range_bytes(&k, l.offset, l.length) {
                Ok(b) if crate::digest::digest_bytes(DigestAlgorithm::Sha512, &b) == l.digest => {
                    return Ok(pack::parse_line(&l.pack, &b, l.offset)?.doc);
                }
                Ok(_) => errors.push(format!(
                    "{}: the line at byte {} does not match its SHA-512",
                    off.id(),
                    l.offset
                )),
                Err(e) => errors.push(format!("{}: {}", off.id(), e.message())),
            }
        }
        Err(Error::new(
            ErrorKind::Integrity,
            format!(
                "document {} in pack {}: no offer holds a good copy ({})",
                l.id,
                l.pack,
                errors.join("; ")
            ),
        )
        .with_id(l.id.clone()))
    }

    /// Searches the units with Vitam's DSL under the access contract `contract`.
    pub fn search(&self, contract: &str, query: &Value) -> Result<Value> {
        let c = self.contract(contract)?;
        let cat = lock(&self.catalog);
        cat.view(self.tenant(), c)?.search(query)
    }

    /// A unit's document, `NotFound` when it does not exist or is outside the contract.
    pub fn get_unit(&self, contract: &str, unit: &str) -> Result<Value> {
        let c = self.contract(contract)?;
        let cat = lock(&self.catalog);
        cat.view(self.tenant(), c)?.get_unit(unit)
    }

    /// The object of `unit` for `usage` (latest version) as the catalog records it, checked
    /// against the contract.
    pub fn object_of(&self, contract: &str, unit: &str, usage: &str) -> Result<ObjectRecord> {
        let c = self.contract(contract)?;
        let cat = lock(&self.catalog);
        let view = cat.view(self.tenant(), c)?;
        let doc = view.get_unit(unit)?;
        let g = doc["#object"].as_str().ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("unit {unit:?} has no object group"),
            )
            .with_id(unit)
        })?;
        view.object_for_read(g, usage)
    }

    fn fixity_of(o: &ObjectRecord) -> Result<(ObjectKey, Fixity)> {
        let k = o.storage_key.as_deref().ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("object {} is not stored (physical)", o.id),
            )
            .with_id(o.id.clone())
        })?;
        let alg: DigestAlgorithm = o.algorithm.parse()?;
        Ok((key(k)?, Fixity::new(alg, &o.digest, o.size)?))
    }

    /// Reads the object of `unit` for `usage` into memory, digest verified.
    pub fn read_object(
        &self,
        contract: &str,
        unit: &str,
        usage: &str,
    ) -> Result<(ObjectRecord, Vec<u8>)> {
        let o = self.object_of(contract, unit, usage)?;
        let (k, fx) = Self::fixity_of(&o)?;
        let bytes = self.strategy.get_bytes(&k, Some(&fx))?;
        Ok((o, bytes))
    }

    /// Streams the object of `unit` for `usage`; the stream fails with `Integrity` at its
    /// end if the digest does not match.
    pub fn open_object(
        &self,
        contract: &str,
        unit: &str,
        usage: &str,
    ) -> Result<(ObjectRecord, Box<dyn Read + Send>)> {
        let o = self.object_of(contract, unit, usage)?;
        let (k, fx) = Self::fixity_of(&o)?;
        let r = self.strategy.get(&k, Some(&fx))?;
        Ok((o, Box::new(r)))
    }

    /// Writes the object of `unit` for `usage` to `dest` (verified before `dest` appears).
    pub fn export_object(
        &self,
        contract: &str,
        unit: &str,
        usage: &str,
        dest: &Path,
    ) -> Result<ObjectRecord> {
        let o = self.object_of(contract, unit, usage)?;
        let (k, fx) = Self::fixity_of(&o)?;
        self.strategy.get_to_path(&k, Some(&fx), dest)?;
        Ok(o)
    }

    /// Exports the units matching `query` (under the contract) as a SEDA
    /// `ArchiveDeliveryRequestReply` zip: manifest plus `Content/` with, for each unit's
    /// group, the latest version of each usage the contract allows.
    ///
    /// Each unit carries its `Content` and `Management` as ingested; the manifest is written
    /// in the SEDA version of the units' SIPs (see [`dip_with`](Self::dip_with)).
    pub fn dip(&self, contract: &str, query: &Value, out: &Path) -> Result<DipSummary> {
        dip::export(self, contract, query, out, &DipOptions::default())
    }

    /// [`dip`](Self::dip) with options, e.g. the SEDA version of the manifest. Writing a
    /// unit holding an element the requested version lacks is an `Unsupported` error naming
    /// it.
    pub fn dip_with(
        &self,
        contract: &str,
        query: &Value,
        out: &Path,
        opts: &DipOptions,
    ) -> Result<DipSummary> {
        dip::export(self, contract, query, out, opts)
    }

    /// Every operation of the logbook, oldest first.
    pub fn operations(&self) -> Result<Vec<LogbookOperation>> {
        lock(&self.logbook).operations()
    }

    /// One operation.
    pub fn operation(&self, id: &str) -> Result<LogbookOperation> {
        lock(&self.logbook).operation(id)
    }

    /// The lifecycle events of a unit or object group.
    pub fn lifecycle(&self, kind: LifecycleKind, id: &str) -> Result<Vec<LogbookEvent>> {
        lock(&self.logbook).lifecycle(kind, id)
    }

    fn all_groups(&self) -> Result<Vec<ObjectGroupRecord>> {
        lock(&self.catalog)
            .object_group_documents(self.tenant())?
            .iter()
            .map(ObjectGroupRecord::from_document)
            .collect()
    }

    fn all_unit_docs(&self) -> Result<Vec<Value>> {
        lock(&self.catalog).unit_documents(self.tenant())
    }

    /// Re-checks the logbook chains, every object's digest on every offer, and the
    /// agreement between the catalog, the documents on the offers and the logbook (the
    /// operation of every unit, group and object — `#opi` — is an accepted one of the
    /// logbook; the catalog's derived rows — unit columns, object index, accession
    /// register — agree with its documents: [`crate::catalog::Catalog::derived_problems`]).
    pub fn verify(&self) -> Result<Verification> {
        let mut v = Verification::default();
        let lbv = lock(&self.logbook).verify()?;
        if !lbv.is_ok() {
            for (name, r) in &lbv.chains {
                for i in &r.issues {
                    v.problems.push(format!(
                        "logbook {name}: {:?} at {}: {}",
                        i.kind, i.position, i.detail
                    ));
                }
            }
            for (name, i) in &lbv.seals {
                v.problems
                    .push(format!("logbook seal {name}: {}", i.detail));
            }
        }
        let ops = self.operations()?;
        v.operations = ops.len() as u64;
        let accepted: BTreeSet<&str> = ops
            .iter()
            .filter(|o| o.event.outcome == "OK" || o.event.outcome == "WARNING")
            .map(|o| o.event.ev_id_proc.as_str())
            .collect();
        // Lifecycles written twice (e.g. by an interrupted ingest finished twice).
        for (kind, id, op, n) in lock(&self.logbook).duplicate_lifecycles()? {
            v.problems.push(format!(
                "logbook: the {} lifecycle of {id} for operation {op} is written {n} times",
                match kind {
                    LifecycleKind::Unit => "unit",
                    LifecycleKind::ObjectGroup => "object group",
                }
            ));
        }
        let groups = self.all_groups()?;
        let unit_docs = self.all_unit_docs()?;
        // Catalog records by id, each checked against its document on the offers.
        let mut pending_groups: BTreeMap<&str, &ObjectGroupRecord> = BTreeMap::new();
        let mut pending_units: BTreeMap<String, UnitRecord> = BTreeMap::new();
        for g in &groups {
            v.object_groups += 1;
            for o in &g.objects {
                let Some(_) = &o.storage_key else { continue };
                let (k, fx) = Self::fixity_of(o)?;
                for off in self.strategy.offers() {
                    v.object_copies += 1;
                    if let Err(e) = off.verify(&k, Some(&fx)) {
                        v.problems.push(format!(
                            "object {} on offer {}: {}",
                            o.id,
                            off.id(),
                            e.message()
                        ));
                    }
                }
            }
            if let Some(op) = &g.operation_id
                && !accepted.contains(op.as_str())
            {
                v.problems.push(format!(
                    "object group {}: operation {op} is not an accepted operation of the logbook",
                    g.id
                ));
            }
            // Objects added to the group by another operation (an attachment SIP): that
            // operation too must be an accepted one of the logbook.
            for o in &g.objects {
                if let Some(op) = &o.operation_id
                    && !accepted.contains(op.as_str())
                {
                    v.problems.push(format!(
                        "object {} of group {}: operation {op}, which added it, is not an accepted operation of the logbook",
                        o.id, g.id
                    ));
                }
            }
            pending_groups.insert(g.id.as_str(), g);
        }
        for doc in &unit_docs {
            v.units += 1;
            let rec = UnitRecord::from_document(doc)?;
            if let Some(op) = &rec.operation_id
                && !accepted.contains(op.as_str())
            {
                v.problems.push(format!(
                    "unit {}: operation {op} is not an accepted operation of the logbook",
                    rec.id
                ));
            }
            pending_units.insert(rec.id.clone(), rec);
        }
        // Packs: every copy verified against the catalog's SHA-512, then each line the
        // catalog locates compared with the catalog's record.
        let packs = lock(&self.catalog).packs(self.tenant())?;
        v.packs = packs.len() as u64;
        for p in &packs {
            let k = key(&p.key)?;
            let fx = Fixity::new(DigestAlgorithm::Sha512, &p.digest, p.size)?;
            for off in self.strategy.offers() {
                if let Err(e) = off.verify(&k, Some(&fx)) {
                    v.problems.push(format!(
                        "pack {} on offer {}: {}",
                        p.key,
                        off.id(),
                        e.message()
                    ));
                }
            }
            let lines = match self
                .strategy
                .get_bytes(&k, Some(&fx))
                .and_then(|b| pack::parse_pack(&p.key, &b))
            {
                Ok((_, lines)) => lines,
                Err(e) => {
                    v.problems
                        .push(format!("pack {}: no readable copy: {}", p.key, e.message()));
                    for l in &p.entries {
                        pending_units.remove(&l.id);
                        pending_groups.remove(l.id.as_str());
                    }
                    continue;
                }
            };
            let by_offset: BTreeMap<u64, &pack::PackLine> =
                lines.iter().map(|l| (l.offset, l)).collect();
            for l in &p.entries {
                let Some(line) = by_offset
                    .get(&l.offset)
                    .filter(|x| x.length == l.length && x.digest == l.digest && x.id == l.id)
                else {
                    v.problems.push(format!(
                        "{} {}: pack {} has no line matching the catalog's location (offset {})",
                        l.kind.as_str(),
                        l.id,
                        p.key,
                        l.offset
                    ));
                    pending_units.remove(&l.id);
                    pending_groups.remove(l.id.as_str());
                    continue;
                };
                let same = match l.kind {
                    DocKind::Unit => pending_units.remove(&l.id).map(|rec| {
                        UnitRecord::from_document(&line.doc["document"]).is_ok_and(|d| d == rec)
                    }),
                    DocKind::ObjectGroup => pending_groups.remove(l.id.as_str()).map(|rec| {
                        ObjectGroupRecord::from_document(&line.doc["document"])
                            .is_ok_and(|d| d == *rec)
                    }),
                };
                match same {
                    Some(true) => {}
                    Some(false) => v.problems.push(format!(
                        "{} {}: the offers' document (pack {}) differs from the catalog",
                        if l.kind == DocKind::Unit {
                            "unit"
                        } else {
                            "object group"
                        },
                        l.id,
                        p.key
                    )),
                    // Located but no longer in the catalog (eliminated): nothing to compare.
                    None => {}
                }
            }
        }
        // The catalog's derived rows (unit columns, object index, accession register)
        // against its documents.
        let derived = lock(&self.catalog).derived_problems(self.tenant())?;
        v.problems
            .extend(derived.into_iter().map(|p| format!("catalog: {p}")));
        // Eliminations: tombstones on every offer, nothing they name left.
        self.verify_tombstones(&mut v.problems)?;
        // Reports (eliminations): on every offer, as their operation recorded them.
        self.verify_reports(&ops, &mut v.problems);
        // The rest: first layout, one object per document.
        for g in pending_groups.values() {
            self.check_doc_copies(&group_key(&self.prefix, &g.id), &mut v.problems);
            match self.read_doc(&group_key(&self.prefix, &g.id)) {
                Ok(d) => match ObjectGroupRecord::from_document(&d["document"]) {
                    Ok(stored) if stored == **g => {}
                    _ => v.problems.push(format!(
                        "object group {}: the offers' document differs from the catalog",
                        g.id
                    )),
                },
                Err(e) => {
                    v.problems
                        .push(format!("object group {}: document: {}", g.id, e.message()))
                }
            }
        }
        for rec in pending_units.values() {
            self.check_doc_copies(&unit_key(&self.prefix, &rec.id), &mut v.problems);
            match self.read_doc(&unit_key(&self.prefix, &rec.id)) {
                Ok(d) => match UnitRecord::from_document(&d["document"]) {
                    Ok(stored) if stored == *rec => {}
                    _ => v.problems.push(format!(
                        "unit {}: the offers' document differs from the catalog",
                        rec.id
                    )),
                },
                Err(e) => v
                    .problems
                    .push(format!("unit {}: document: {}", rec.id, e.message())),
            }
        }
        Ok(v)
    }

    /// Every offer holds the document, its content matching its recorded fixity, and all
    /// offers record the same fixity.
    fn check_doc_copies(&self, k: &str, problems: &mut Vec<String>) {
        let Ok(key) = key(k) else {
            problems.push(format!("{k}: not a valid key"));
            return;
        };
        let mut seen: Option<Fixity> = None;
        for off in self.strategy.offers() {
            match off.verify(&key, None) {
                Ok(f) => {
                    if let Some(s) = &seen
                        && s != &f
                    {
                        problems.push(format!("{k}: offer {} holds another version", off.id()));
                    }
                    seen = Some(f);
                }
                Err(e) => problems.push(format!("{k} on offer {}: {}", off.id(), e.message())),
            }
        }
    }

    /// Audits every copy the catalog expects (objects and documents) on every offer,
    /// re-reading and hashing each; with `repair`, copies missing or corrupt are restored
    /// from a good one.
    pub fn audit(&self, repair: bool) -> Result<AuditSummary> {
        let mut expected: Vec<(ObjectKey, Fixity)> = Vec::new();
        // Packs, with the SHA-512 the catalog keeps; documents they hold need no other copy.
        let mut located: BTreeSet<String> = BTreeSet::new();
        for p in lock(&self.catalog).packs(self.tenant())? {
            expected.push((
                key(&p.key)?,
                Fixity::new(DigestAlgorithm::Sha512, &p.digest, p.size)?,
            ));
            located.extend(p.entries.into_iter().map(|e| e.id));
        }
        for g in self.all_groups()? {
            for o in &g.objects {
                if o.storage_key.is_some() {
                    expected.push(Self::fixity_of(o)?);
                }
            }
            if located.contains(&g.id) {
                continue;
            }
            let k = key(&group_key(&self.prefix, &g.id))?;
            if let Some(f) = self.doc_fixity(&k)? {
                expected.push((k, f));
            }
        }
        for d in self.all_unit_docs()? {
            let id = d["#id"].as_str().unwrap_or_default().to_string();
            if located.contains(&id) {
                continue;
            }
            let k = key(&unit_key(&self.prefix, &id))?;
            if let Some(f) = self.doc_fixity(&k)? {
                expected.push((k, f));
            }
        }
        self.tombstone_expectations(&mut expected)?;
        // The reports the logbook's operations name (eliminations), with their digests.
        for o in self.operations()? {
            if let Some((k, digest, size)) = eliminate::report_reference(&o) {
                expected.push((
                    key(&k)?,
                    Fixity::new(DigestAlgorithm::Sha512, &digest, size)?,
                ));
            }
        }
        let mut report = self.strategy.audit(Some(&expected), true)?;
        // The offers are shared by the tenants: another tenant's keys are not this one's
        // business (neither superfluous nor to repair).
        report
            .findings
            .retain(|f| f.key.as_ref().is_none_or(|k| self.owns_key(k.as_str())));
        let mut s = AuditSummary {
            checked: expected.len() * self.strategy.offers().len(),
            findings: report
                .findings
                .iter()
                .map(|f| {
                    (
                        f.offer.clone(),
                        f.key
                            .as_ref()
                            .map(|k| k.as_str().to_string())
                            .unwrap_or_default(),
                        format!("{:?}", f.problem),
                    )
                })
                .collect(),
            repaired: 0,
            all_repaired: report.is_clean(),
        };
        if repair && !report.is_clean() {
            let r = self.strategy.repair(&report)?;
            s.repaired = r.repaired();
            s.all_repaired = r.all_repaired();
        }
        Ok(s)
    }

    /// The fixity most offers record for a document.
    fn doc_fixity(&self, k: &ObjectKey) -> Result<Option<Fixity>> {
        let mut votes: BTreeMap<(String, u64), usize> = BTreeMap::new();
        let mut by: BTreeMap<(String, u64), Fixity> = BTreeMap::new();
        for o in self.strategy.offers() {
            if let Ok(Some(m)) = o.head(k) {
                let kk = (m.fixity.digest.clone(), m.fixity.size);
                *votes.entry(kk.clone()).or_default() += 1;
                by.insert(kk, m.fixity);
            }
        }
        Ok(votes
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .and_then(|(k, _)| by.remove(&k)))
    }

    /// Rebuilds the catalog from the documents on the offers alone (the accession
    /// register is recomputed by the catalog from the documents).
    pub fn rebuild(&self) -> Result<RebuildReport> {
        let _guard = lock(&self.lock);
        let referent = self.strategy.referent().clone();
        let mut batch = IndexBatch::default();
        // Packs: each read verified (against the fixity its offer recorded, from the first
        // offer whose copy verifies), its documents and their locations recomputed.
        let mut packs_by_op: BTreeMap<String, Vec<PackRecord>> = BTreeMap::new();
        for meta in referent.list(&pack::packs_prefix(&self.prefix))? {
            let k = meta.key.as_str();
            if !k.ends_with(".jsonl") {
                continue;
            }
            let bytes = self.strategy.get_bytes(&meta.key, None)?;
            let (header, lines) = pack::parse_pack(k, &bytes)?;
            let op = header["operation"].as_str().unwrap_or_default().to_string();
            let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, &bytes);
            let mut rec = PackRecord {
                key: k.to_string(),
                tenant: self.tenant(),
                operation_id: op.clone(),
                size: fx.size,
                digest: fx.digest,
                entries: Vec::with_capacity(lines.len()),
            };
            for l in lines {
                match l.kind {
                    DocKind::Unit => batch
                        .units
                        .push(UnitRecord::from_document(&l.doc["document"])?),
                    DocKind::ObjectGroup => batch
                        .object_groups
                        .push(ObjectGroupRecord::from_document(&l.doc["document"])?),
                }
                rec.entries.push(DocLocation {
                    id: l.id,
                    kind: l.kind,
                    pack: k.to_string(),
                    offset: l.offset,
                    length: l.length,
                    digest: l.digest,
                });
            }
            packs_by_op.entry(op).or_default().push(rec);
        }
        for meta in referent.list(&format!("{}objectgroups/", self.prefix))? {
            let d = self.read_doc(meta.key.as_str())?;
            batch
                .object_groups
                .push(ObjectGroupRecord::from_document(&d["document"])?);
        }
        for meta in referent.list(&format!("{}units/", self.prefix))? {
            let d = self.read_doc(meta.key.as_str())?;
            batch.units.push(UnitRecord::from_document(&d["document"])?);
        }
        // Eliminated units and groups (tombstones on the offers) are not brought back.
        self.drop_tombstoned(&mut batch, &mut packs_by_op)?;
        // A group with objects added later is stored in several versions: the latest counts.
        attach::keep_latest_groups(&mut batch, &mut packs_by_op);
        let path = self.home.join("catalog.sqlite");
        let tmp = self.home.join("catalog.rebuild.sqlite");
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", tmp.display()));
        }
        // Catalog::index takes one operation's batch; index per operation so the
        // accession register lines are per operation as at ingest.
        let fresh = Catalog::open(&tmp)?;
        let mut by_op: BTreeMap<String, IndexBatch> = BTreeMap::new();
        for g in batch.object_groups.drain(..) {
            by_op
                .entry(g.operation_id.clone().unwrap_or_default())
                .or_default()
                .object_groups
                .push(g);
        }
        for u in batch.units.drain(..) {
            by_op
                .entry(u.operation_id.clone().unwrap_or_default())
                .or_default()
                .units
                .push(u);
        }
        for op in packs_by_op.keys() {
            by_op.entry(op.clone()).or_default();
        }
        let mut rep = RebuildReport::default();
        for (op, b) in by_op {
            rep.units += b.units.len() as u64;
            rep.object_groups += b.object_groups.len() as u64;
            let packs = packs_by_op.remove(&op).unwrap_or_default();
            rep.packs += packs.len() as u64;
            fresh.index_with_packs(&b, &packs)?;
        }
        drop(fresh);
        let mut cat = lock(&self.catalog);
        let placeholder = Catalog::open_in_memory()?;
        drop(std::mem::replace(&mut *cat, placeholder));
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
        std::fs::rename(&tmp, &path).map_err(|e| io_at(e, &path))?;
        *cat = Catalog::open(&path)?;
        Ok(rep)
    }

    /// Catalog counts `(units, object groups)`.
    pub fn counts(&self) -> Result<(u64, u64)> {
        lock(&self.catalog).counts()
    }

    /// The accession register (every line of this tenant the contract's agencies allow).
    pub fn accession_register(
        &self,
        contract: &str,
    ) -> Result<Vec<crate::catalog::AccessionRegisterLine>> {
        let c = self.contract(contract)?;
        let cat = lock(&self.catalog);
        cat.view(self.tenant(), c)?.accession_register()
    }

    pub(crate) fn ids(&self) -> &IdGenerator {
        &self.ids
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Archive>();
    let _ = Arc::new(0);
    let _ = Event::new("X", Status::Ok, None, None);
}

fn is_finalisation_event(ev_type: &str) -> bool {
    matches!(
        ev_type,
        "ATR_NOTIFICATION" | "ROLL_BACK" | "STP_INGEST_FINALISATION"
    )
}

/// The archive's view of a package the ingest controls accepted, without reading it again:
/// the manifest in the archive's shape and the SHA-512 fixity of every binary object.
/// `early` is the manifest as read while the controls ran: used when its bytes are the ones
/// the controls validated, else the validated bytes are read again.
fn from_dry_run(
    d: &crate::ingest::ValidatedSip,
    early: Option<(Vec<u8>, manifest::Manifest)>,
) -> Result<Validated> {
    let manifest = match early {
        Some((bytes, m)) if bytes == d.manifest_bytes => m,
        _ => manifest::read(&d.manifest_bytes)?,
    };
    let mut fixities = BTreeMap::new();
    for o in d.objects.iter().filter(|o| o.binary) {
        let (Some((DigestAlgorithm::Sha512, hex)), Some(size)) = (&o.digest, o.size) else {
            return Err(Error::internal(format!(
                "object {} has no SHA-512 digest from the controls",
                o.id
            )));
        };
        fixities.insert(
            o.id.clone(),
            Fixity::new(DigestAlgorithm::Sha512, hex, size)?,
        );
    }
    let binaries = manifest.objects.iter().filter(|o| !o.physical).count();
    if binaries != fixities.len() {
        return Err(Error::internal(format!(
            "{} binary objects in the manifest, {} verified by the controls",
            binaries,
            fixities.len()
        )));
    }
    let mut rules = BTreeMap::new();
    if let Some(r) = &d.rules {
        for u in &manifest.units {
            if let Some(ur) = r.unit(&u.id) {
                rules.insert(u.id.clone(), ur.summary());
            }
        }
    }
    Ok(Validated {
        manifest,
        fixities,
        rules,
        attachments: d.attachments.clone(),
        group_attachments: d.group_attachments.clone(),
        existing_group_links: d.existing_group_links.clone(),
    })
}

/// Object groups or units sent to the catalog thread at a time.
const CATALOG_CHUNK: usize = 512;

/// What the ingest sends to its catalog thread, in this order: groups, units, packs, commit.
enum CatalogMsg {
    /// Object groups with their document's text.
    Groups(Vec<(ObjectGroupRecord, String)>),
    /// Units, parents before children, with their document's text.
    Units(Vec<(UnitRecord, String)>),
    /// All the units, in any order (sorted by the catalog).
    UnitsUnordered(Vec<(UnitRecord, String)>),
    /// The packs and where each document is.
    Packs(Vec<PackRecord>),
    /// Commit (the packs are on every offer).
    Commit,
}

/// The catalog thread: one transaction on its own connection, committed on
/// [`CatalogMsg::Commit`]; `Ok(false)` (rolled back) when the sender went away first.
fn catalog_line(
    path: &Path,
    replaced: &[String],
    rx: std::sync::mpsc::Receiver<CatalogMsg>,
) -> Result<bool> {
    let mut s = crate::catalog::IndexSession::begin(path, replaced)?;
    for msg in rx {
        match msg {
            CatalogMsg::Groups(gs) => {
                for (g, d) in &gs {
                    s.group(g, Some(d))?;
                }
            }
            CatalogMsg::Units(us) => {
                for (u, d) in &us {
                    s.unit(u, Some(d))?;
                }
            }
            CatalogMsg::UnitsUnordered(us) => s.units_unordered(&us)?,
            CatalogMsg::Packs(p) => s.packs(&p)?,
            CatalogMsg::Commit => {
                s.commit()?;
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The ingest's end of its catalog thread.
struct CatalogLine<'scope> {
    tx: Option<std::sync::mpsc::SyncSender<CatalogMsg>>,
    handle: Option<std::thread::ScopedJoinHandle<'scope, Result<bool>>>,
}

impl CatalogLine<'_> {
    /// Sends `msg`; if the thread stopped on an error, the error is reported by
    /// [`commit`](Self::commit) (where an indexation failure has always been reported).
    fn send(&mut self, msg: CatalogMsg) {
        if let Some(tx) = &self.tx
            && tx.send(msg).is_err()
        {
            self.tx = None;
        }
    }

    /// Commits the transaction (waits for the thread): the ingest's commit point.
    fn commit(&mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            // A failed send means the thread stopped: its error is in the join below.
            let _ = tx.send(CatalogMsg::Commit);
        }
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(Ok(true))) => Ok(()),
            Some(Ok(Ok(false))) | None => Err(Error::internal("catalog indexation stopped")),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(Error::internal("catalog indexation thread panicked")),
        }
    }
}
