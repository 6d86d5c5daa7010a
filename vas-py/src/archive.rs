//! The embedded archive (`vas.Archive`): thin wrappers over `vas_core::archive::Archive`.
//! Every long call (ingest, search, reads, DIP, verify, audit, rebuild) releases the GIL.

use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyType};
use vas_core::archive::{self as core_archive, EliminationOptions, IngestOptions, InitOptions};
use vas_core::catalog::ObjectRecord;
use vas_core::logbook::LifecycleKind;
use vas_core::{Error, ErrorKind};

use crate::args;
use crate::errors::{IntoPyResult, to_pyerr};
use crate::json;

type Inner = Arc<core_archive::Archive>;

/// An embedded archive (a folder: storage offers, catalog, logbooks, access contracts).
///
/// `Archive(dir)` or `Archive.open(dir)` opens one, `Archive.create(dir, ...)` makes one.
/// Use it as a context manager (or call `close()`): the folder is locked while open and
/// a second opening (in any process) raises `ConflictError`. Every read takes an access
/// contract identifier (`"FULL_ACCESS"` in an archive created without referentials); a
/// unit outside the contract raises `NotFoundError` exactly like a missing one.
#[pyclass(module = "vas", frozen)]
pub struct Archive {
    inner: RwLock<Option<Inner>>,
    dir: String,
}

fn closed() -> Error {
    Error::new(ErrorKind::InvalidInput, "the archive is closed")
}

impl Archive {
    fn get(&self, py: Python<'_>) -> PyResult<Inner> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(closed)
            .py_err(py)
    }

    fn wrap(a: core_archive::Archive) -> Archive {
        Archive {
            dir: a.dir().to_string_lossy().into_owned(),
            inner: RwLock::new(Some(Arc::new(a))),
        }
    }

    /// Runs `f` on the archive with the GIL released.
    fn run<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&core_archive::Archive) -> Result<R, Error> + Send,
    ) -> PyResult<R> {
        let a = self.get(py)?;
        py.detach(|| f(&a)).py_err(py)
    }
}

fn lifecycle_kind(py: Python<'_>, kind: &str) -> PyResult<LifecycleKind> {
    match kind.to_ascii_lowercase().replace(['_', ' '], "").as_str() {
        "unit" => Ok(LifecycleKind::Unit),
        "objectgroup" | "group" => Ok(LifecycleKind::ObjectGroup),
        _ => Err(to_pyerr(
            py,
            Error::invalid(format!(
                "lifecycle kind {kind:?}: use \"unit\" or \"object_group\""
            )),
        )),
    }
}

fn internal(e: serde_json::Error) -> Error {
    Error::internal(e.to_string())
}

#[pymethods]
impl Archive {
    /// Opens the archive in `dir`, finishing or undoing any ingest a crash interrupted.
    #[new]
    fn new(py: Python<'_>, dir: &Bound<'_, PyAny>) -> PyResult<Self> {
        let dir = args::path(dir)?;
        let a = py.detach(|| core_archive::Archive::open(&dir)).py_err(py)?;
        Ok(Archive::wrap(a))
    }

    /// Opens the archive in `dir` (same as `Archive(dir)`).
    #[classmethod]
    fn open(_cls: &Bound<'_, PyType>, py: Python<'_>, dir: &Bound<'_, PyAny>) -> PyResult<Self> {
        Archive::new(py, dir)
    }

    /// Creates an archive in `dir` (which must not exist or be empty) and opens it.
    /// `referentials`: a folder whose access-contract files become the archive's contracts
    /// (and whose referentials the ingest checks); `offers`: a storage configuration (TOML)
    /// instead of the default two filesystem offers; `tenant` (default 0).
    #[classmethod]
    #[pyo3(signature = (dir, *, referentials = None, offers = None, tenant = 0))]
    fn create(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        dir: &Bound<'_, PyAny>,
        referentials: Option<&Bound<'_, PyAny>>,
        offers: Option<&Bound<'_, PyAny>>,
        tenant: u32,
    ) -> PyResult<Self> {
        let dir = args::path(dir)?;
        let opts = InitOptions {
            offers: offers.map(args::path).transpose()?,
            referentials: referentials.map(args::path).transpose()?,
            tenant,
        };
        let a = py
            .detach(|| core_archive::Archive::create(&dir, &opts))
            .py_err(py)?;
        Ok(Archive::wrap(a))
    }

    /// Closes the archive (releases its lock once no stream is reading from it). Further
    /// calls raise `InvalidInputError`; closing twice is harmless.
    fn close(&self) {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    /// The archive folder.
    #[getter]
    fn dir(&self) -> &str {
        &self.dir
    }

    /// The tenant ingests and reads use.
    #[getter]
    fn tenant(&self, py: Python<'_>) -> PyResult<u32> {
        Ok(self.get(py)?.config().tenant)
    }

    /// The access contract identifiers.
    #[getter]
    fn contracts(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        Ok(self
            .get(py)?
            .contracts()
            .iter()
            .map(|c| c.identifier.clone())
            .collect())
    }

    /// The storage offer identifiers of the strategy.
    #[getter]
    fn offers(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        Ok(self
            .get(py)?
            .strategy()
            .offers()
            .iter()
            .map(|o| o.id().to_string())
            .collect())
    }

    /// Ingests a SIP: Vitam's controls, then (only if accepted) storage on every offer,
    /// indexation and the logbook. A refused SIP is a result (`accepted` false, only its
    /// logbook operation is kept), not an exception.
    #[pyo3(signature = (sip, *, type_proc = None))]
    fn ingest(
        &self,
        py: Python<'_>,
        sip: &Bound<'_, PyAny>,
        type_proc: Option<String>,
    ) -> PyResult<IngestResult> {
        let sip = args::path(sip)?;
        let opts = IngestOptions { type_proc };
        let r = self.run(py, |a| a.ingest(&sip, &opts))?;
        let report = r.report.to_json();
        let ids = PyDict::new(py);
        for (k, v) in &r.system_ids {
            ids.set_item(k, v)?;
        }
        Ok(IngestResult {
            accepted: r.report.outcome.is_accepted(),
            outcome: r.report.outcome.as_str().to_string(),
            out_detail: r.report.out_detail.clone(),
            operation_id: r.operation_id,
            report: json::to_py(py, &report)?.unbind(),
            atr: r.atr,
            system_ids: ids.unbind(),
        })
    }

    /// Searches the units with Vitam's DSL (a `dict`, or JSON text) under `contract`;
    /// returns the response (`{"$hits": …, "$results": […]}`) as a `dict`.
    fn search<'py>(
        &self,
        py: Python<'py>,
        contract: &str,
        query: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let q = json::from_py(query)?;
        let v = self.run(py, |a| a.search(contract, &q))?;
        json::to_py(py, &v)
    }

    /// Eliminates the units `query` selects under `contract`, which needs writing
    /// permission (`DeniedError` otherwise), at `date` (`"YYYY-MM-DD"`, default today):
    /// Vitam's `ELIMINATION_ACTION`, all or nothing, with tombstones on the offers so that a
    /// rebuild does not bring the units back. With `dry_run=True` only the analysis
    /// (`ELIMINATION_ANALYSIS`) is returned and nothing is written. Returns the report as a
    /// `dict`: `operation_id`, `dry_run`, `date`, `units` (each with `UnitId`,
    /// `GlobalStatus` — `DESTROY`, `KEEP` or `CONFLICT` —, `Status`, `Reasons`, `Analysis`),
    /// `eliminated_units`, `eliminated_object_groups`, `deleted_objects`, `deleted_bytes`.
    #[pyo3(signature = (contract, query, *, date = None, dry_run = false))]
    fn eliminate<'py>(
        &self,
        py: Python<'py>,
        contract: &str,
        query: &Bound<'py, PyAny>,
        date: Option<String>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let q = json::from_py(query)?;
        let opts = EliminationOptions { date, dry_run };
        let v = self.run(py, |a| {
            serde_json::to_value(a.eliminate(contract, &q, &opts)?).map_err(internal)
        })?;
        json::to_py(py, &v)
    }

    /// The elimination report of operation `operation` (an `ELIMINATION_ACTION` made by
    /// `eliminate`), read back from the first offer whose copy matches the SHA-512 the
    /// operation recorded, as a `dict`: `operationSummary`, `reportSummary`, `context`,
    /// `units` (each `{"id", "params": {"status", "globalStatus", "reasons", "opi",
    /// "originatingAgency", "objectGroupId"}}`) and `objectGroups` (status `DELETED` or
    /// `PARTIAL_DETACHMENT`). `NotFoundError` for an unknown operation or one without a
    /// report (e.g. an ingest); `IntegrityError` when no offer holds a good copy;
    /// `CorruptError` for a copy that is not JSON.
    fn elimination_report<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self.run(py, |a| a.elimination_report(operation))?;
        json::to_py(py, &v)
    }

    /// A unit's document (a `dict`); `NotFoundError` when it does not exist or is outside
    /// the contract.
    fn get_unit<'py>(
        &self,
        py: Python<'py>,
        contract: &str,
        unit: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self.run(py, |a| a.get_unit(contract, unit))?;
        json::to_py(py, &v)
    }

    /// What the catalog records of the object of `unit` for `usage` (latest version).
    #[pyo3(signature = (contract, unit, usage = "BinaryMaster"))]
    fn object_info(
        &self,
        py: Python<'_>,
        contract: &str,
        unit: &str,
        usage: &str,
    ) -> PyResult<ObjectInfo> {
        let o = self.run(py, |a| a.object_of(contract, unit, usage))?;
        Ok(ObjectInfo::from(o))
    }

    /// The bytes of the object of `unit` for `usage`, digest verified
    /// (`IntegrityError` otherwise). For large objects use `open_object` or
    /// `export_object`.
    #[pyo3(signature = (contract, unit, usage = "BinaryMaster"))]
    fn read_object<'py>(
        &self,
        py: Python<'py>,
        contract: &str,
        unit: &str,
        usage: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (_, bytes) = self.run(py, |a| a.read_object(contract, unit, usage))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A binary file-like reader streaming the object of `unit` for `usage`; the digest is
    /// checked as it is read and a mismatch raises `IntegrityError` at the end. Use it as
    /// a context manager; `.info` describes the object.
    #[pyo3(signature = (contract, unit, usage = "BinaryMaster"))]
    fn open_object(
        &self,
        py: Python<'_>,
        contract: &str,
        unit: &str,
        usage: &str,
    ) -> PyResult<ObjectReader> {
        let (o, r) = self.run(py, |a| a.open_object(contract, unit, usage))?;
        Ok(ObjectReader {
            info: Py::new(py, ObjectInfo::from(o))?,
            reader: Mutex::new(Some(r)),
        })
    }

    /// Writes the object of `unit` for `usage` to `dest` (verified before `dest`
    /// appears) and returns its description.
    #[pyo3(signature = (contract, unit, dest, usage = "BinaryMaster"))]
    fn export_object(
        &self,
        py: Python<'_>,
        contract: &str,
        unit: &str,
        dest: &Bound<'_, PyAny>,
        usage: &str,
    ) -> PyResult<ObjectInfo> {
        let dest = args::path(dest)?;
        let o = self.run(py, |a| a.export_object(contract, unit, usage, &dest))?;
        Ok(ObjectInfo::from(o))
    }

    /// Exports the units matching `query` (under `contract`) as a SEDA
    /// `ArchiveDeliveryRequestReply` zip at `output`.
    fn dip(
        &self,
        py: Python<'_>,
        contract: &str,
        query: &Bound<'_, PyAny>,
        output: &Bound<'_, PyAny>,
    ) -> PyResult<DipSummary> {
        let q = json::from_py(query)?;
        let out = args::path(output)?;
        let s = self.run(py, |a| a.dip(contract, &q, &out))?;
        Ok(DipSummary {
            message_identifier: s.message_identifier,
            units: s.units,
            objects: s.objects,
            bytes: s.bytes,
            path: out.to_string_lossy().into_owned(),
        })
    }

    /// Every operation of the logbook, oldest first (`dict`s with Vitam's field names:
    /// `evId`, `evType`, `outcome`, `outDetail`, `events` …).
    fn operations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.run(py, |a| {
            serde_json::to_value(a.operations()?).map_err(internal)
        })?;
        json::to_py(py, &v)
    }

    /// One operation of the logbook; `NotFoundError` if unknown.
    fn operation<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        let v = self.run(py, |a| {
            serde_json::to_value(a.operation(id)?).map_err(internal)
        })?;
        json::to_py(py, &v)
    }

    /// The lifecycle events of a unit (`kind="unit"`) or object group
    /// (`kind="object_group"`), by system id.
    #[pyo3(signature = (id, kind = "unit"))]
    fn lifecycle<'py>(&self, py: Python<'py>, id: &str, kind: &str) -> PyResult<Bound<'py, PyAny>> {
        let k = lifecycle_kind(py, kind)?;
        let v = self.run(py, |a| {
            serde_json::to_value(a.lifecycle(k, id)?).map_err(internal)
        })?;
        json::to_py(py, &v)
    }

    /// The accession register lines the contract's agencies allow (`dict`s).
    fn accession_register<'py>(
        &self,
        py: Python<'py>,
        contract: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self.run(py, |a| {
            serde_json::to_value(a.accession_register(contract)?).map_err(internal)
        })?;
        json::to_py(py, &v)
    }

    /// Catalog counts: `(units, object groups)`.
    fn counts(&self, py: Python<'_>) -> PyResult<(u64, u64)> {
        self.run(py, |a| a.counts())
    }

    /// Re-checks the logbook chains, every object's digest on every offer, and the
    /// agreement of the catalog, the offers' documents and the logbook.
    fn verify(&self, py: Python<'_>) -> PyResult<Verification> {
        let v = self.run(py, |a| a.verify())?;
        Ok(Verification {
            ok: v.is_ok(),
            units: v.units,
            object_groups: v.object_groups,
            object_copies: v.object_copies,
            operations: v.operations,
            problems: v.problems,
        })
    }

    /// Audits every copy on every offer (re-read and hashed); with `repair=True`, missing
    /// or corrupt copies are restored from a good one.
    #[pyo3(signature = (repair = false))]
    fn audit(&self, py: Python<'_>, repair: bool) -> PyResult<AuditSummary> {
        let s = self.run(py, |a| a.audit(repair))?;
        Ok(AuditSummary {
            checked: s.checked,
            findings: s.findings,
            repaired: s.repaired,
            all_repaired: s.all_repaired,
        })
    }

    /// Rebuilds the catalog from the documents on the offers alone; returns
    /// `(units, object groups)` indexed.
    fn rebuild(&self, py: Python<'_>) -> PyResult<(u64, u64)> {
        let r = self.run(py, |a| a.rebuild())?;
        Ok((r.units, r.object_groups))
    }

    fn __repr__(&self) -> String {
        format!(
            "<vas.Archive {:?}{}>",
            self.dir,
            if self.closed() { " (closed)" } else { "" }
        )
    }
}

/// The outcome of `Archive.ingest`.
#[pyclass(module = "vas", frozen, get_all)]
pub struct IngestResult {
    /// True when the SIP was accepted and stored (`OK` or `WARNING`).
    accepted: bool,
    /// `"OK"`, `"WARNING"`, `"KO"` or `"FATAL"`.
    outcome: String,
    /// The operation's outcome code.
    out_detail: String,
    /// The operation's system id.
    operation_id: String,
    /// The operation report (a `dict`).
    report: Py<PyAny>,
    /// The ArchiveTransferReply (XML text).
    atr: String,
    /// Manifest id → system id, for units, object groups and objects (empty on KO).
    system_ids: Py<PyDict>,
}

#[pymethods]
impl IngestResult {
    fn __bool__(&self) -> bool {
        self.accepted
    }

    fn __repr__(&self) -> String {
        format!(
            "<vas.IngestResult {} {} operation={}>",
            self.outcome, self.out_detail, self.operation_id
        )
    }
}

/// An archived object, as the catalog records it.
#[pyclass(module = "vas", frozen, get_all)]
pub struct ObjectInfo {
    /// System id.
    id: String,
    /// Usage: `BinaryMaster`, `Dissemination` …
    usage: String,
    /// Version within the usage.
    version: u32,
    /// Size in bytes.
    size: u64,
    /// Lower-case hex digest.
    digest: String,
    /// Digest algorithm (`"SHA-512"`).
    algorithm: String,
    /// PRONOM format id, if known.
    format_id: Option<String>,
}

impl From<ObjectRecord> for ObjectInfo {
    fn from(o: ObjectRecord) -> Self {
        ObjectInfo {
            id: o.id,
            usage: o.usage,
            version: o.version,
            size: o.size,
            digest: o.digest,
            algorithm: o.algorithm,
            format_id: o.format_id,
        }
    }
}

#[pymethods]
impl ObjectInfo {
    fn __repr__(&self) -> String {
        format!(
            "<vas.ObjectInfo {} {}_{} {} bytes {}>",
            self.id,
            self.usage,
            self.version,
            self.size,
            self.format_id.as_deref().unwrap_or("")
        )
    }
}

/// A binary, read-only file-like stream of an archived object (`Archive.open_object`):
/// `read(size=-1)`, `readinto`, iteration by chunks, `close()`, context manager. The digest
/// is verified as the stream ends (`IntegrityError` on mismatch).
#[pyclass(module = "vas", frozen)]
pub struct ObjectReader {
    info: Py<ObjectInfo>,
    reader: Mutex<Option<Box<dyn Read + Send>>>,
}

const CHUNK: usize = 1 << 16;

impl ObjectReader {
    fn lock(&self) -> MutexGuard<'_, Option<Box<dyn Read + Send>>> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads up to `size` bytes (`None`: to the end) with the GIL released.
    fn read_some(&self, py: Python<'_>, size: Option<usize>) -> PyResult<Vec<u8>> {
        py.detach(|| -> Result<Vec<u8>, Error> {
            let mut g = self.lock();
            let r = g.as_mut().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    "I/O operation on a closed object stream",
                )
            })?;
            let mut out = Vec::new();
            match size {
                None => {
                    r.read_to_end(&mut out)
                        .map_err(vas_core::storage::stream_error)?;
                }
                Some(n) => {
                    out.resize(n, 0);
                    let mut filled = 0;
                    while filled < n {
                        let k = r
                            .read(&mut out[filled..])
                            .map_err(vas_core::storage::stream_error)?;
                        if k == 0 {
                            break;
                        }
                        filled += k;
                    }
                    out.truncate(filled);
                }
            }
            Ok(out)
        })
        .py_err(py)
    }
}

#[pymethods]
impl ObjectReader {
    /// What is being read.
    #[getter]
    fn info(&self, py: Python<'_>) -> Py<ObjectInfo> {
        self.info.clone_ref(py)
    }

    /// Reads up to `size` bytes (all that is left when `size` is -1 or `None`); `b""` at
    /// the end.
    #[pyo3(signature = (size = -1))]
    fn read<'py>(&self, py: Python<'py>, size: Option<i64>) -> PyResult<Bound<'py, PyBytes>> {
        let n = match size {
            Some(n) if n >= 0 => Some(n as usize),
            _ => None,
        };
        let data = self.read_some(py, n)?;
        Ok(PyBytes::new(py, &data))
    }

    /// Reads everything that is left.
    fn readall<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let data = self.read_some(py, None)?;
        Ok(PyBytes::new(py, &data))
    }

    /// Reads into a writable buffer (`bytearray`, `memoryview`); returns the count.
    fn readinto(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<usize> {
        let n: usize = buffer.len()?;
        let data = self.read_some(py, Some(n))?;
        let k = data.len();
        if k > 0 {
            buffer.set_item(
                pyo3::types::PySlice::new(py, 0, k as isize, 1),
                PyBytes::new(py, &data),
            )?;
        }
        Ok(k)
    }

    /// Always true.
    fn readable(&self) -> bool {
        true
    }

    /// Always false.
    fn writable(&self) -> bool {
        false
    }

    /// Always false.
    fn seekable(&self) -> bool {
        false
    }

    /// Closes the stream (without reading the rest).
    fn close(&self) {
        self.lock().take();
    }

    /// True once closed.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let data = self.read_some(py, Some(CHUNK))?;
        Ok((!data.is_empty()).then(|| PyBytes::new(py, &data)))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let i = self.info.bind(py).get();
        format!(
            "<vas.ObjectReader {} {}_{}{}>",
            i.id,
            i.usage,
            i.version,
            if self.closed() { " (closed)" } else { "" }
        )
    }
}

/// What `Archive.dip` wrote.
#[pyclass(module = "vas", frozen, get_all)]
pub struct DipSummary {
    /// The DIP's `MessageIdentifier`.
    message_identifier: String,
    /// Units exported.
    units: usize,
    /// Binary objects exported.
    objects: usize,
    /// Bytes of objects exported.
    bytes: u64,
    /// The zip written.
    path: String,
}

#[pymethods]
impl DipSummary {
    fn __repr__(&self) -> String {
        format!(
            "<vas.DipSummary {} units={} objects={} bytes={}>",
            self.message_identifier, self.units, self.objects, self.bytes
        )
    }
}

/// The outcome of `Archive.verify`.
#[pyclass(module = "vas", frozen, get_all)]
pub struct Verification {
    /// True when no problem was found.
    ok: bool,
    /// Units checked.
    units: u64,
    /// Object groups checked.
    object_groups: u64,
    /// Object copies checked (objects × offers).
    object_copies: u64,
    /// Logbook operations read.
    operations: u64,
    /// Every problem found, one sentence each.
    problems: Vec<String>,
}

#[pymethods]
impl Verification {
    fn __bool__(&self) -> bool {
        self.ok
    }

    fn __repr__(&self) -> String {
        format!(
            "<vas.Verification ok={} units={} object_groups={} object_copies={} operations={} problems={}>",
            if self.ok { "True" } else { "False" },
            self.units,
            self.object_groups,
            self.object_copies,
            self.operations,
            self.problems.len()
        )
    }
}

/// The outcome of `Archive.audit`.
#[pyclass(module = "vas", frozen, get_all)]
pub struct AuditSummary {
    /// Copies expected (keys × offers).
    checked: usize,
    /// Problems found: `(offer, key, problem)` tuples.
    findings: Vec<(String, String, String)>,
    /// Copies repaired (with `repair=True`).
    repaired: usize,
    /// True when every finding was repaired (or there was none).
    all_repaired: bool,
}

#[pymethods]
impl AuditSummary {
    fn __repr__(&self) -> String {
        format!(
            "<vas.AuditSummary checked={} findings={} repaired={}>",
            self.checked,
            self.findings.len(),
            self.repaired
        )
    }
}

/// Registers the classes of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Archive>()?;
    m.add_class::<IngestResult>()?;
    m.add_class::<ObjectInfo>()?;
    m.add_class::<ObjectReader>()?;
    m.add_class::<DipSummary>()?;
    m.add_class::<Verification>()?;
    m.add_class::<AuditSummary>()?;
    m.add("FULL_ACCESS", core_archive::FULL_ACCESS)?;
    Ok(())
}
