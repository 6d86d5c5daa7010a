//! The embedded archive: the `Archive` class over `vas_core::archive::Archive`. Every
//! long method returns a `Promise` (work on the libuv pool, the archive shared with the
//! worker) and has a `…Sync` twin. Reads take an access-contract identifier; a unit
//! outside the contract is `VAS_NOT_FOUND` exactly like a missing one.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use napi::Env;
use napi::bindgen_prelude::*;
use serde_json::Value;
use vas_core::archive::{self as varch, IngestOptions as CoreIngestOptions};
use vas_core::catalog::ObjectRecord;
use vas_core::logbook::LifecycleKind;
use vas_core::{Error as VasError, ErrorKind};

use crate::errors::IntoJsResult;
use crate::json::Json;
use crate::task::VasTask;

type Shared = Arc<varch::Archive>;

/// Options of `Archive.create`.
#[napi(object)]
#[derive(Default)]
pub struct InitOptions {
    /// A storage configuration (TOML) to copy into the archive; default: two filesystem
    /// offers inside the archive folder.
    pub offers: Option<String>,
    /// A referentials folder: its access-contract files become the archive's contracts
    /// (default: one contract, `FULL_ACCESS`).
    pub referentials: Option<String>,
    /// The tenant (default 0).
    pub tenant: Option<u32>,
}

/// Options of `ingest`.
#[napi(object)]
#[derive(Default)]
pub struct IngestOptions {
    /// `evTypeProc` of the operation (default `INGEST`).
    pub type_proc: Option<String>,
}

/// Options of `eliminate`.
#[napi(object)]
#[derive(Default)]
pub struct EliminationOptions {
    /// The elimination date (`YYYY-MM-DD`): appraisal rules must have ended by it
    /// (default: today).
    pub date: Option<String>,
    /// Only analyse (Vitam's `ELIMINATION_ANALYSIS`): nothing is written.
    pub dry_run: Option<bool>,
}

impl From<EliminationOptions> for varch::EliminationOptions {
    fn from(o: EliminationOptions) -> Self {
        varch::EliminationOptions {
            date: o.date,
            dry_run: o.dry_run.unwrap_or(false),
        }
    }
}

/// The result of `ingest`.
#[napi(object)]
pub struct IngestResult {
    /// The SIP was accepted and stored (`OK` or `WARNING`).
    pub accepted: bool,
    /// The operation's system id (in the logbook).
    pub operation_id: String,
    /// The operation report (Vitam's steps, storage and indexation included).
    #[napi(ts_type = "OperationReport")]
    pub report: Value,
    /// The ArchiveTransferReply (XML).
    pub atr: String,
    /// Manifest id → system id for units, object groups and objects (empty when refused).
    pub system_ids: HashMap<String, String>,
}

/// A stored object (one version of one usage) as the catalog records it.
#[napi(object)]
pub struct StoredObject {
    /// System id.
    pub id: String,
    /// `BinaryMaster`, `Dissemination`, `Thumbnail`, `TextContent`.
    pub usage: String,
    /// Version within the usage (1 …).
    pub version: u32,
    /// Size in bytes.
    pub size: f64,
    /// Lower-case hex digest.
    pub digest: String,
    /// SEDA name of the digest algorithm.
    pub algorithm: String,
    /// PRONOM format id, when identified.
    pub format_id: Option<String>,
}

fn stored(o: ObjectRecord) -> StoredObject {
    StoredObject {
        id: o.id,
        usage: o.usage,
        version: o.version,
        size: o.size as f64,
        digest: o.digest,
        algorithm: o.algorithm,
        format_id: o.format_id,
    }
}

/// An object read into memory (`readObject`).
#[napi(object)]
pub struct ObjectContent {
    /// The catalog record.
    pub object: StoredObject,
    /// The bytes, digest verified.
    pub data: Buffer,
}

/// What `dip` wrote.
#[napi(object)]
pub struct DipSummary {
    /// The DIP's `MessageIdentifier`.
    pub message_identifier: String,
    /// Units exported.
    pub units: u32,
    /// Binary objects exported.
    pub objects: u32,
    /// Bytes of objects exported.
    pub bytes: f64,
}

/// The outcome of `verify`.
#[napi(object)]
pub struct Verification {
    /// Nothing is wrong.
    pub ok: bool,
    /// Units checked.
    pub units: f64,
    /// Object groups checked.
    pub object_groups: f64,
    /// Object copies checked (objects × offers).
    pub object_copies: f64,
    /// Logbook operations read.
    pub operations: f64,
    /// Every problem found, one sentence each.
    pub problems: Vec<String>,
}

/// One problem found by `audit`.
#[napi(object)]
pub struct AuditFinding {
    /// The storage offer.
    pub offer: String,
    /// The storage key.
    pub key: String,
    /// What is wrong.
    pub problem: String,
}

/// The outcome of `audit`.
#[napi(object)]
pub struct AuditSummary {
    /// Copies expected (keys × offers).
    pub checked: u32,
    /// Problems found.
    pub findings: Vec<AuditFinding>,
    /// Copies repaired (with `repair`).
    pub repaired: u32,
    /// Every finding was repaired (or there was none).
    pub all_repaired: bool,
}

/// The outcome of `rebuild`.
#[napi(object)]
pub struct RebuildReport {
    /// Units indexed from the offers.
    pub units: f64,
    /// Object groups indexed from the offers.
    pub object_groups: f64,
}

/// Catalog counts.
#[napi(object)]
pub struct ArchiveCounts {
    /// Units.
    pub units: f64,
    /// Object groups.
    pub object_groups: f64,
}

/// The stored configuration of an archive.
#[napi(object)]
pub struct ArchiveConfig {
    /// The tenant ingests and reads use.
    pub tenant: u32,
    /// The storage configuration file, relative to the archive folder.
    pub offers: String,
    /// The referentials folder given at creation, if any.
    pub referentials: Option<String>,
}

fn n(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn query(q: Value) -> vas_core::Result<Value> {
    match q {
        Value::String(s) => serde_json::from_str(&s)
            .map_err(|e| VasError::invalid(format!("the query is not JSON: {e}"))),
        Value::Object(_) => Ok(q),
        _ => Err(VasError::invalid(
            "a query is a DSL object (or its JSON text)",
        )),
    }
}

/// A serializable vas value as JSON.
macro_rules! to_value {
    ($v:expr) => {
        serde_json::to_value($v).map_err(|e| VasError::internal(e.to_string()))
    };
}

fn lifecycle_kind(kind: &str) -> vas_core::Result<LifecycleKind> {
    match kind {
        "unit" | "UNIT" => Ok(LifecycleKind::Unit),
        "objectGroup" | "OBJECTGROUP" => Ok(LifecycleKind::ObjectGroup),
        other => Err(VasError::invalid(format!(
            "lifecycle kind {other:?}: unit or objectGroup"
        ))),
    }
}

const DEFAULT_USAGE: &str = "BinaryMaster";

fn create(dir: &Path, o: InitOptions) -> vas_core::Result<Archive> {
    let opts = varch::InitOptions {
        offers: o.offers.map(PathBuf::from),
        referentials: o.referentials.map(PathBuf::from),
        tenant: o.tenant.unwrap_or(0),
    };
    varch::Archive::create(dir, &opts).map(Archive::wrap)
}

fn ingest(a: &varch::Archive, sip: &Path, o: IngestOptions) -> vas_core::Result<IngestResult> {
    let r = a.ingest(
        sip,
        &CoreIngestOptions {
            type_proc: o.type_proc,
        },
    )?;
    Ok(IngestResult {
        accepted: r.report.outcome.is_accepted(),
        operation_id: r.operation_id,
        report: r.report.to_json(),
        atr: r.atr,
        system_ids: r.system_ids.into_iter().collect(),
    })
}

fn read_object(
    a: &varch::Archive,
    contract: &str,
    unit: &str,
    usage: &str,
) -> vas_core::Result<ObjectContent> {
    let (o, data) = a.read_object(contract, unit, usage)?;
    Ok(ObjectContent {
        object: stored(o),
        data: data.into(),
    })
}

fn dip(a: &varch::Archive, contract: &str, q: Value, out: &Path) -> vas_core::Result<DipSummary> {
    let s = a.dip(contract, &query(q)?, out)?;
    Ok(DipSummary {
        message_identifier: s.message_identifier,
        units: n(s.units),
        objects: n(s.objects),
        bytes: s.bytes as f64,
    })
}

fn verify(a: &varch::Archive) -> vas_core::Result<Verification> {
    let v = a.verify()?;
    Ok(Verification {
        ok: v.is_ok(),
        units: v.units as f64,
        object_groups: v.object_groups as f64,
        object_copies: v.object_copies as f64,
        operations: v.operations as f64,
        problems: v.problems,
    })
}

fn audit(a: &varch::Archive, repair: bool) -> vas_core::Result<AuditSummary> {
    let s = a.audit(repair)?;
    Ok(AuditSummary {
        checked: n(s.checked),
        findings: s
            .findings
            .into_iter()
            .map(|(offer, key, problem)| AuditFinding {
                offer,
                key,
                problem,
            })
            .collect(),
        repaired: n(s.repaired),
        all_repaired: s.all_repaired,
    })
}

fn rebuild(a: &varch::Archive) -> vas_core::Result<RebuildReport> {
    let r = a.rebuild()?;
    Ok(RebuildReport {
        units: r.units as f64,
        object_groups: r.object_groups as f64,
    })
}

/// An archive opened from its folder (`Archive.create`, `Archive.open`). The folder is
/// locked while open: a second open (even from another process) is `VAS_CONFLICT` until
/// `close()` (or garbage collection) releases it.
///
/// ```js
/// const archive = await Archive.create('my-archive', { referentials: 'referentials' })
/// const result = await archive.ingest('sip.zip')
/// const hits = await archive.search('FULL_ACCESS', { $query: { $match: { Title: 'mairie' } } })
/// const pdf = await archive.readObject('FULL_ACCESS', hits.$results[0]['#id'])
/// archive.close()
/// ```
#[napi]
pub struct Archive {
    inner: Option<Shared>,
}

impl Archive {
    fn wrap(a: varch::Archive) -> Archive {
        Archive {
            inner: Some(Arc::new(a)),
        }
    }

    fn get(&self) -> vas_core::Result<Shared> {
        self.inner
            .clone()
            .ok_or_else(|| VasError::invalid("this archive was closed"))
    }

    /// An `AsyncTask` running `f` on the archive in a worker.
    fn task<T, F>(&self, env: &Env, f: F) -> Result<AsyncTask<VasTask<T>>>
    where
        T: ToNapiValue + TypeName + Send + 'static,
        F: FnOnce(&varch::Archive) -> vas_core::Result<T> + Send + 'static,
    {
        let a = self.get().js_err(env)?;
        Ok(AsyncTask::new(VasTask::new(move || f(&a))))
    }

    /// `f` on the archive, on the calling thread.
    fn now<T>(
        &self,
        env: &Env,
        f: impl FnOnce(&varch::Archive) -> vas_core::Result<T>,
    ) -> Result<T> {
        self.get().and_then(|a| f(&a)).js_err(env)
    }
}

#[napi]
impl Archive {
    /// Creates an archive in `dir` (which must not exist or be empty) and opens it.
    #[napi(ts_return_type = "Promise<Archive>", catch_unwind)]
    pub fn create(dir: String, options: Option<InitOptions>) -> AsyncTask<VasTask<Archive>> {
        let o = options.unwrap_or_default();
        AsyncTask::new(VasTask::new(move || create(Path::new(&dir), o)))
    }

    /// `Archive.create` on the calling thread.
    #[napi(factory, catch_unwind)]
    pub fn create_sync(env: Env, dir: String, options: Option<InitOptions>) -> Result<Archive> {
        create(Path::new(&dir), options.unwrap_or_default()).js_err(&env)
    }

    /// Opens the archive in `dir`, finishing or undoing any ingest a crash interrupted.
    #[napi(ts_return_type = "Promise<Archive>", catch_unwind)]
    pub fn open(dir: String) -> AsyncTask<VasTask<Archive>> {
        AsyncTask::new(VasTask::new(move || {
            varch::Archive::open(&dir).map(Archive::wrap)
        }))
    }

    /// `Archive.open` on the calling thread.
    #[napi(factory, catch_unwind)]
    pub fn open_sync(env: Env, dir: String) -> Result<Archive> {
        varch::Archive::open(&dir).map(Archive::wrap).js_err(&env)
    }

    /// Releases the archive (and its lock) once the operations in flight are done; any
    /// later call throws `VAS_INVALID_INPUT`.
    #[napi(catch_unwind)]
    pub fn close(&mut self) {
        self.inner = None;
    }

    /// Whether `close()` was called.
    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        self.inner.is_none()
    }

    /// The archive folder.
    #[napi(getter, catch_unwind)]
    pub fn dir(&self, env: Env) -> Result<String> {
        self.now(&env, |a| Ok(a.dir().to_string_lossy().into_owned()))
    }

    /// The stored configuration.
    #[napi(getter, catch_unwind)]
    pub fn config(&self, env: Env) -> Result<ArchiveConfig> {
        self.now(&env, |a| {
            let c = a.config();
            Ok(ArchiveConfig {
                tenant: c.tenant,
                offers: c.offers.clone(),
                referentials: c.referentials.clone(),
            })
        })
    }

    /// The access contracts (Vitam's JSON shape: `Identifier`, `Name`, `Status`,
    /// `OriginatingAgencies`, `DataObjectVersion` …).
    #[napi(getter, ts_return_type = "Record<string, any>[]", catch_unwind)]
    pub fn contracts(&self, env: Env) -> Result<Json> {
        self.now(&env, |a| to_value!(&a.contracts()).map(Json))
    }

    /// Ingests a SIP: Vitam's controls, then (only if accepted) storage on every offer,
    /// indexation and the logbook. A refused SIP resolves with `accepted: false` and
    /// leaves only its logbook operation.
    #[napi(ts_return_type = "Promise<IngestResult>", catch_unwind)]
    pub fn ingest(
        &self,
        env: Env,
        sip: String,
        options: Option<IngestOptions>,
    ) -> Result<AsyncTask<VasTask<IngestResult>>> {
        let o = options.unwrap_or_default();
        self.task(&env, move |a| ingest(a, Path::new(&sip), o))
    }

    /// `ingest` on the calling thread.
    #[napi(catch_unwind)]
    pub fn ingest_sync(
        &self,
        env: Env,
        sip: String,
        options: Option<IngestOptions>,
    ) -> Result<IngestResult> {
        let o = options.unwrap_or_default();
        self.now(&env, |a| ingest(a, Path::new(&sip), o))
    }

    /// Searches the units with Vitam's DSL (an object, or its JSON text) under an access
    /// contract: `{ $hits: { total, … }, $results: [unit documents] }`.
    #[napi(ts_return_type = "Promise<Record<string, any>>", catch_unwind)]
    pub fn search(
        &self,
        env: Env,
        contract: String,
        #[napi(ts_arg_type = "Record<string, any> | string")] q: Value,
    ) -> Result<AsyncTask<VasTask<Json>>> {
        self.task(&env, move |a| a.search(&contract, &query(q)?).map(Json))
    }

    /// `search` on the calling thread.
    #[napi(ts_return_type = "Record<string, any>", catch_unwind)]
    pub fn search_sync(
        &self,
        env: Env,
        contract: String,
        #[napi(ts_arg_type = "Record<string, any> | string")] q: Value,
    ) -> Result<Json> {
        self.now(&env, |a| a.search(&contract, &query(q)?).map(Json))
    }

    /// Eliminates the units the query selects under an access contract with writing
    /// permission (`VAS_DENIED` otherwise), at `options.date` (default today): Vitam's
    /// `ELIMINATION_ACTION`, all or nothing, with tombstones on the offers. With
    /// `options.dryRun` only the analysis (`ELIMINATION_ANALYSIS`) is returned. Resolves
    /// with the report: `operation_id`, `dry_run`, `date`, `units` (each with `UnitId`,
    /// `GlobalStatus` — `DESTROY`, `KEEP`, `CONFLICT` —, `Status` and `Reasons`),
    /// `eliminated_units`, `eliminated_object_groups`, `deleted_objects`, `deleted_bytes`.
    #[napi(ts_return_type = "Promise<Record<string, any>>", catch_unwind)]
    pub fn eliminate(
        &self,
        env: Env,
        contract: String,
        #[napi(ts_arg_type = "Record<string, any> | string")] q: Value,
        options: Option<EliminationOptions>,
    ) -> Result<AsyncTask<VasTask<Json>>> {
        let o: varch::EliminationOptions = options.unwrap_or_default().into();
        self.task(&env, move |a| {
            to_value!(&a.eliminate(&contract, &query(q)?, &o)?).map(Json)
        })
    }

    /// `eliminate` on the calling thread.
    #[napi(ts_return_type = "Record<string, any>", catch_unwind)]
    pub fn eliminate_sync(
        &self,
        env: Env,
        contract: String,
        #[napi(ts_arg_type = "Record<string, any> | string")] q: Value,
        options: Option<EliminationOptions>,
    ) -> Result<Json> {
        let o: varch::EliminationOptions = options.unwrap_or_default().into();
        self.now(&env, |a| {
            to_value!(&a.eliminate(&contract, &query(q)?, &o)?).map(Json)
        })
    }

    /// The elimination report of an `ELIMINATION_ACTION` operation made by `eliminate`,
    /// read back from the first offer whose copy matches the SHA-512 the operation
    /// recorded: `operationSummary`, `reportSummary`, `context`, `units` (each
    /// `{id, params: {status, globalStatus, reasons, opi, originatingAgency,
    /// objectGroupId}}`) and `objectGroups` (status `DELETED` or `PARTIAL_DETACHMENT`).
    /// Rejects with `VAS_NOT_FOUND` for an unknown operation or one without a report (e.g.
    /// an ingest), `VAS_INTEGRITY` when no offer holds a good copy, `VAS_CORRUPT` for a
    /// copy that is not JSON.
    #[napi(ts_return_type = "Promise<Record<string, any>>", catch_unwind)]
    pub fn elimination_report(
        &self,
        env: Env,
        operation: String,
    ) -> Result<AsyncTask<VasTask<Json>>> {
        self.task(&env, move |a| a.elimination_report(&operation).map(Json))
    }

    /// `eliminationReport` on the calling thread.
    #[napi(ts_return_type = "Record<string, any>", catch_unwind)]
    pub fn elimination_report_sync(&self, env: Env, operation: String) -> Result<Json> {
        self.now(&env, |a| a.elimination_report(&operation).map(Json))
    }

    /// A unit's document (`#id`, `Title`, `#management`, `#object` …); `VAS_NOT_FOUND` when
    /// it does not exist or is outside the contract.
    #[napi(ts_return_type = "Promise<Record<string, any>>", catch_unwind)]
    pub fn get_unit(
        &self,
        env: Env,
        contract: String,
        unit: String,
    ) -> Result<AsyncTask<VasTask<Json>>> {
        self.task(&env, move |a| a.get_unit(&contract, &unit).map(Json))
    }

    /// `getUnit` on the calling thread.
    #[napi(ts_return_type = "Record<string, any>", catch_unwind)]
    pub fn get_unit_sync(&self, env: Env, contract: String, unit: String) -> Result<Json> {
        self.now(&env, |a| a.get_unit(&contract, &unit).map(Json))
    }

    /// The catalog record of a unit's object for `usage` (default `BinaryMaster`, latest
    /// version), checked against the contract (`VAS_DENIED` if it forbids the usage).
    #[napi(catch_unwind)]
    pub fn object_info(
        &self,
        env: Env,
        contract: String,
        unit: String,
        usage: Option<String>,
    ) -> Result<StoredObject> {
        let usage = usage.unwrap_or_else(|| DEFAULT_USAGE.into());
        self.now(&env, |a| a.object_of(&contract, &unit, &usage).map(stored))
    }

    /// Reads a unit's object into memory, digest verified.
    #[napi(ts_return_type = "Promise<ObjectContent>", catch_unwind)]
    pub fn read_object(
        &self,
        env: Env,
        contract: String,
        unit: String,
        usage: Option<String>,
    ) -> Result<AsyncTask<VasTask<ObjectContent>>> {
        let usage = usage.unwrap_or_else(|| DEFAULT_USAGE.into());
        self.task(&env, move |a| read_object(a, &contract, &unit, &usage))
    }

    /// `readObject` on the calling thread.
    #[napi(catch_unwind)]
    pub fn read_object_sync(
        &self,
        env: Env,
        contract: String,
        unit: String,
        usage: Option<String>,
    ) -> Result<ObjectContent> {
        let usage = usage.unwrap_or_else(|| DEFAULT_USAGE.into());
        self.now(&env, |a| read_object(a, &contract, &unit, &usage))
    }

    /// Opens a unit's object for streaming; `openObject` (in `vas.js`) wraps it in a
    /// `Readable`. The reader fails with `VAS_INTEGRITY` at its end if the digest does not
    /// match.
    #[napi(catch_unwind)]
    pub fn open_object_reader(
        &self,
        env: Env,
        contract: String,
        unit: String,
        usage: Option<String>,
    ) -> Result<ObjectReader> {
        let usage = usage.unwrap_or_else(|| DEFAULT_USAGE.into());
        self.now(&env, |a| {
            let (o, r) = a.open_object(&contract, &unit, &usage)?;
            Ok(ObjectReader {
                object: stored(o),
                reader: Arc::new(Mutex::new(Some(r))),
            })
        })
    }

    /// Writes a unit's object to `dest` (verified before `dest` appears).
    #[napi(ts_return_type = "Promise<StoredObject>", catch_unwind)]
    pub fn export_object(
        &self,
        env: Env,
        contract: String,
        unit: String,
        usage: String,
        dest: String,
    ) -> Result<AsyncTask<VasTask<StoredObject>>> {
        self.task(&env, move |a| {
            a.export_object(&contract, &unit, &usage, Path::new(&dest))
                .map(stored)
        })
    }

    /// `exportObject` on the calling thread.
    #[napi(catch_unwind)]
    pub fn export_object_sync(
        &self,
        env: Env,
        contract: String,
        unit: String,
        usage: String,
        dest: String,
    ) -> Result<StoredObject> {
        self.now(&env, |a| {
            a.export_object(&contract, &unit, &usage, Path::new(&dest))
                .map(stored)
        })
    }

    /// Exports the units matching `query` (under the contract) as a SEDA
    /// `ArchiveDeliveryRequestReply` zip at `out` (a DIP).
    #[napi(ts_return_type = "Promise<DipSummary>", catch_unwind)]
    pub fn dip(
        &self,
        env: Env,
        contract: String,
        #[napi(ts_arg_type = "Record<string, any> | string")] q: Value,
        out: String,
    ) -> Result<AsyncTask<VasTask<DipSummary>>> {
        self.task(&env, move |a| dip(a, &contract, q, Path::new(&out)))
    }

    /// `dip` on the calling thread.
    #[napi(catch_unwind)]
    pub fn dip_sync(
        &self,
        env: Env,
        contract: String,
        #[napi(ts_arg_type = "Record<string, any> | string")] q: Value,
        out: String,
    ) -> Result<DipSummary> {
        self.now(&env, |a| dip(a, &contract, q, Path::new(&out)))
    }

    /// Re-checks the logbook chains, every object on every offer, and the agreement
    /// between catalog, offers and logbook.
    #[napi(ts_return_type = "Promise<Verification>", catch_unwind)]
    pub fn verify(&self, env: Env) -> Result<AsyncTask<VasTask<Verification>>> {
        self.task(&env, verify)
    }

    /// `verify` on the calling thread.
    #[napi(catch_unwind)]
    pub fn verify_sync(&self, env: Env) -> Result<Verification> {
        self.now(&env, verify)
    }

    /// Audits every copy on every offer (re-reading and hashing each); with `repair`,
    /// missing or corrupt copies are restored from a good one.
    #[napi(ts_return_type = "Promise<AuditSummary>", catch_unwind)]
    pub fn audit(
        &self,
        env: Env,
        repair: Option<bool>,
    ) -> Result<AsyncTask<VasTask<AuditSummary>>> {
        let repair = repair.unwrap_or(false);
        self.task(&env, move |a| audit(a, repair))
    }

    /// `audit` on the calling thread.
    #[napi(catch_unwind)]
    pub fn audit_sync(&self, env: Env, repair: Option<bool>) -> Result<AuditSummary> {
        self.now(&env, |a| audit(a, repair.unwrap_or(false)))
    }

    /// Rebuilds the catalog from the documents on the offers.
    #[napi(ts_return_type = "Promise<RebuildReport>", catch_unwind)]
    pub fn rebuild(&self, env: Env) -> Result<AsyncTask<VasTask<RebuildReport>>> {
        self.task(&env, rebuild)
    }

    /// `rebuild` on the calling thread.
    #[napi(catch_unwind)]
    pub fn rebuild_sync(&self, env: Env) -> Result<RebuildReport> {
        self.now(&env, rebuild)
    }

    /// Catalog counts.
    #[napi(catch_unwind)]
    pub fn counts(&self, env: Env) -> Result<ArchiveCounts> {
        self.now(&env, |a| {
            let (units, groups) = a.counts()?;
            Ok(ArchiveCounts {
                units: units as f64,
                object_groups: groups as f64,
            })
        })
    }

    /// Every operation of the logbook, oldest first (Vitam's fields: `evId`, `evType`,
    /// `outcome`, `outDetail`, `events` …).
    #[napi(ts_return_type = "Promise<Record<string, any>[]>", catch_unwind)]
    pub fn operations(&self, env: Env) -> Result<AsyncTask<VasTask<Json>>> {
        self.task(&env, |a| to_value!(&a.operations()?).map(Json))
    }

    /// `operations` on the calling thread.
    #[napi(ts_return_type = "Record<string, any>[]", catch_unwind)]
    pub fn operations_sync(&self, env: Env) -> Result<Json> {
        self.now(&env, |a| to_value!(&a.operations()?).map(Json))
    }

    /// One logbook operation; `VAS_NOT_FOUND` if unknown.
    #[napi(ts_return_type = "Promise<Record<string, any>>", catch_unwind)]
    pub fn operation(&self, env: Env, id: String) -> Result<AsyncTask<VasTask<Json>>> {
        self.task(&env, move |a| to_value!(&a.operation(&id)?).map(Json))
    }

    /// `operation` on the calling thread.
    #[napi(ts_return_type = "Record<string, any>", catch_unwind)]
    pub fn operation_sync(&self, env: Env, id: String) -> Result<Json> {
        self.now(&env, |a| to_value!(&a.operation(&id)?).map(Json))
    }

    /// The lifecycle events of a unit (`kind` `unit`) or object group (`objectGroup`), by
    /// system id.
    #[napi(
        ts_args_type = "kind: 'unit' | 'objectGroup', id: string",
        ts_return_type = "Promise<Record<string, any>[]>",
        catch_unwind
    )]
    pub fn lifecycle(
        &self,
        env: Env,
        kind: String,
        id: String,
    ) -> Result<AsyncTask<VasTask<Json>>> {
        let kind = lifecycle_kind(&kind).js_err(&env)?;
        self.task(&env, move |a| to_value!(&a.lifecycle(kind, &id)?).map(Json))
    }

    /// `lifecycle` on the calling thread.
    #[napi(
        ts_args_type = "kind: 'unit' | 'objectGroup', id: string",
        ts_return_type = "Record<string, any>[]",
        catch_unwind
    )]
    pub fn lifecycle_sync(&self, env: Env, kind: String, id: String) -> Result<Json> {
        self.now(&env, |a| {
            to_value!(&a.lifecycle(lifecycle_kind(&kind)?, &id)?).map(Json)
        })
    }

    /// The accession register lines the contract's agencies allow.
    #[napi(ts_return_type = "Promise<Record<string, any>[]>", catch_unwind)]
    pub fn accession_register(
        &self,
        env: Env,
        contract: String,
    ) -> Result<AsyncTask<VasTask<Json>>> {
        self.task(&env, move |a| {
            to_value!(&a.accession_register(&contract)?).map(Json)
        })
    }

    /// `accessionRegister` on the calling thread.
    #[napi(ts_return_type = "Record<string, any>[]", catch_unwind)]
    pub fn accession_register_sync(&self, env: Env, contract: String) -> Result<Json> {
        self.now(&env, |a| {
            to_value!(&a.accession_register(&contract)?).map(Json)
        })
    }
}

/// A stream of an object's bytes (`Archive.openObjectReader`); `openObject` in `vas.js`
/// wraps it in a Node `Readable`.
#[napi]
pub struct ObjectReader {
    object: StoredObject,
    reader: Arc<Mutex<Option<Box<dyn Read + Send>>>>,
}

fn read_chunk(
    reader: &Mutex<Option<Box<dyn Read + Send>>>,
    size: usize,
) -> vas_core::Result<Option<Buffer>> {
    let mut guard = reader.lock().unwrap_or_else(|p| p.into_inner());
    let Some(r) = guard.as_mut() else {
        return Ok(None);
    };
    let mut buf = vec![0u8; size.clamp(1, 16 << 20)];
    let got = loop {
        match r.read(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                *guard = None;
                return Err(io_to_vas(e));
            }
        }
    };
    if got == 0 {
        *guard = None;
        return Ok(None);
    }
    buf.truncate(got);
    Ok(Some(buf.into()))
}

/// An I/O error from an object stream: a vas error carried inside (integrity …) keeps its
/// kind.
fn io_to_vas(e: std::io::Error) -> VasError {
    if e.get_ref().is_some_and(|i| i.is::<VasError>()) {
        match e.into_inner().map(|i| i.downcast::<VasError>()) {
            Some(Ok(v)) => *v,
            Some(Err(other)) => VasError::new(ErrorKind::Io, other.to_string()),
            None => VasError::new(ErrorKind::Io, "read error"),
        }
    } else {
        VasError::from(e)
    }
}

#[napi]
impl ObjectReader {
    /// The catalog record of the object.
    #[napi(getter, catch_unwind)]
    pub fn object(&self) -> StoredObject {
        StoredObject {
            id: self.object.id.clone(),
            usage: self.object.usage.clone(),
            version: self.object.version,
            size: self.object.size,
            digest: self.object.digest.clone(),
            algorithm: self.object.algorithm.clone(),
            format_id: self.object.format_id.clone(),
        }
    }

    /// The next chunk (at most `size` bytes, default 64 KiB), or `null` at the end, read
    /// off the event loop.
    #[napi(ts_return_type = "Promise<Buffer | null>", catch_unwind)]
    pub fn read(&self, size: Option<u32>) -> AsyncTask<VasTask<Option<Buffer>>> {
        let r = self.reader.clone();
        let size = size.unwrap_or(65536) as usize;
        AsyncTask::new(VasTask::new(move || read_chunk(&r, size)))
    }

    /// `read` on the calling thread.
    #[napi(catch_unwind)]
    pub fn read_sync(&self, env: Env, size: Option<u32>) -> Result<Option<Buffer>> {
        read_chunk(&self.reader, size.unwrap_or(65536) as usize).js_err(&env)
    }

    /// Stops reading and releases the object.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        *self.reader.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
