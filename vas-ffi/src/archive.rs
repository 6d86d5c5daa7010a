//! The embedded archive (`vas_archive_*`, over `vas_core::archive::Archive`) and object
//! streaming (`vas_object_reader_*`).

use std::ffi::c_char;
use std::io::Read;

use serde_json::{Value, json};
use vas_core::archive::{Archive, EliminationOptions, IngestOptions, InitOptions};
use vas_core::logbook::LifecycleKind;
use vas_core::{Error, ErrorKind};

use crate::bytes::{self, vas_bytes};
use crate::{Failure, boundary, c_path, c_str, infallible, opt_c_str, out, vas_result};

/// An open archive (opaque): `vas_archive_create` or `vas_archive_open`, then the
/// `vas_archive_*` functions, then `vas_archive_free` (which releases the folder's lock).
/// Thread-safe: one handle may be used from several threads at once.
pub struct vas_archive {
    inner: Archive,
}

/// A stream over one archived object (opaque): `vas_archive_open_object`, then
/// `vas_object_reader_read` until it reads 0 bytes, then `vas_object_reader_free`. The
/// digest is verified at the end of the stream (`VAS_RESULT_INTEGRITY` from the last read
/// if the bytes do not match). Use a reader from one thread at a time.
pub struct vas_object_reader {
    inner: Box<dyn Read + Send>,
    info: Vec<u8>,
}

/// Options of `vas_archive_create` (versioned: set `struct_size`, e.g.
/// `vas_archive_init_options o = VAS_ARCHIVE_INIT_OPTIONS_INIT;`). The zero value of every
/// other field means its default: two filesystem offers inside the archive folder, the
/// `FULL_ACCESS` contract, tenant 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vas_archive_init_options {
    /// `sizeof` this struct as the caller's header declares it (see `VAS_ARCHIVE_INIT_OPTIONS_INIT`).
    pub struct_size: usize,
    /// A storage configuration (TOML) to copy into the archive (NULL: two filesystem
    /// offers inside the archive folder).
    pub offers: *const c_char,
    /// A referentials folder whose access-contract files become the archive's contracts
    /// (NULL: only `FULL_ACCESS`).
    pub referentials: *const c_char,
    /// The tenant.
    pub tenant: u32,
}

/// Initialises `*opts` (`struct_size` bytes, normally `sizeof *opts`) to the defaults of
/// the layout of that size and sets its `struct_size`; the function form of
/// `VAS_ARCHIVE_INIT_OPTIONS_INIT`. An unknown size is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `opts` is NULL or valid for writing `struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_init_options_init(
    opts: *mut vas_archive_init_options,
    struct_size: usize,
) -> vas_result {
    // SAFETY: caller's contract.
    unsafe { crate::options::init_options(opts, struct_size) }
}

// SAFETY: repr(C), `struct_size` first, all-zero is valid for every field.
unsafe impl crate::options::VersionedOptions for vas_archive_init_options {
    const NAME: &'static str = "vas_archive_init_options";
    const INIT_MACRO: &'static str = "VAS_ARCHIVE_INIT_OPTIONS_INIT";
    fn sizes() -> &'static [usize] {
        &[size_of::<vas_archive_init_options>()]
    }
}

/// # Safety
/// `a` is NULL or a live archive that outlives `'a`.
unsafe fn archive<'a>(a: *const vas_archive) -> Result<&'a Archive, Failure> {
    // SAFETY: caller's contract.
    unsafe { a.as_ref() }
        .map(|a| &a.inner)
        .ok_or(Failure::NullParameter("archive"))
}

/// A JSON query argument.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn query(p: *const c_char) -> Result<Value, Failure> {
    // SAFETY: forwarded contract.
    let text = unsafe { c_str(p, "query_json") }?;
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the query is not JSON: {e}"),
        )
        .into()
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, Failure> {
    serde_json::to_vec(v).map_err(|e| Error::internal(e.to_string()).into())
}

/// Stores a new archive handle.
///
/// # Safety
/// `p` is NULL or writable.
unsafe fn store_archive(p: *mut *mut vas_archive, a: Archive) -> Result<(), Failure> {
    let h = Box::into_raw(Box::new(vas_archive { inner: a }));
    // SAFETY: caller's contract (checked non-NULL before the work).
    unsafe { out(p, "out_archive", h) }
}

/// Creates an archive in the folder `dir` (which must not exist or be empty:
/// `VAS_RESULT_ALREADY_EXISTS` otherwise) with `opts` (NULL: the defaults) and opens it
/// into `*out_archive`.
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `opts` is NULL or a `vas_archive_init_options` whose
/// `struct_size` bytes are readable; `out_archive` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_create(
    dir: *const c_char,
    opts: *const vas_archive_init_options,
    out_archive: *mut *mut vas_archive,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let dir = unsafe { c_path(dir, "dir") }?;
        let mut init = InitOptions::default();
        // SAFETY: caller's contract.
        if let Some(o) = unsafe { crate::options::read_options(opts) }? {
            // SAFETY: caller's contract on the strings.
            unsafe {
                init.offers = opt_c_str(o.offers, "offers")?.map(Into::into);
                init.referentials = opt_c_str(o.referentials, "referentials")?.map(Into::into);
            }
            init.tenant = o.tenant;
        }
        bytes::check_out(out_archive, "out_archive")?;
        let a = Archive::create(&dir, &init)?;
        // SAFETY: caller's contract.
        unsafe { store_archive(out_archive, a) }
    })
}

/// Opens the archive in the folder `dir` into `*out_archive`, finishing or undoing any
/// ingest a crash interrupted. A folder that is not an archive is `VAS_RESULT_NOT_FOUND`;
/// an archive another handle or process holds open is `VAS_RESULT_CONFLICT`.
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `out_archive` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_open(
    dir: *const c_char,
    out_archive: *mut *mut vas_archive,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let dir = unsafe { c_path(dir, "dir") }?;
        bytes::check_out(out_archive, "out_archive")?;
        let a = Archive::open(&dir)?;
        // SAFETY: caller's contract.
        unsafe { store_archive(out_archive, a) }
    })
}

/// Closes an archive. NULL is accepted and ignored.
///
/// # Safety
/// `archive` is NULL or a live archive, not used afterwards (by any thread).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_free(archive: *mut vas_archive) {
    infallible((), || {
        if !archive.is_null() {
            // SAFETY: created by Box::into_raw in store_archive, freed once.
            drop(unsafe { Box::from_raw(archive) });
        }
    })
}

/// Describes the archive as JSON into `*out_json`: `{"dir", "tenant", "offers": [ids],
/// "contracts": [ids], "units", "object_groups"}`.
///
/// # Safety
/// `archive` is NULL or a live archive; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_info_json(
    archive: *const vas_archive,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        bytes::check_out(out_json, "out_json")?;
        let (units, groups) = a.counts()?;
        let offers: Vec<&str> = a.strategy().offers().iter().map(|o| o.id()).collect();
        let contracts: Vec<&str> = a
            .contracts()
            .iter()
            .map(|c| c.identifier.as_str())
            .collect();
        let v = json!({
            "dir": a.dir().display().to_string(),
            "tenant": a.config().tenant,
            "offers": offers,
            "contracts": contracts,
            "units": units,
            "object_groups": groups,
        });
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(bytes::json(&v))) }
    })
}

/// Ingests the SIP at `sip`: Vitam's controls, then (only if accepted) storage on every
/// offer, indexation and the logbook. A refused SIP is a verdict, not an error
/// (`*out_accepted` false; only its logbook operation is kept). Outputs: `*out_accepted`
/// (required); `*out_result` (may be NULL) `{"operation", "outcome", "report",
/// "systemIds": {manifest id: system id}}` as `vas archive ingest --json`; `*out_atr`
/// (may be NULL) the ArchiveTransferReply XML. `type_proc` (may be NULL) is the
/// operation's `evTypeProc` (default `INGEST`).
///
/// # Safety
/// `archive` is NULL or a live archive; `sip` is NULL or NUL-terminated; `type_proc` is
/// NULL or NUL-terminated; the out-pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_ingest(
    archive: *const vas_archive,
    sip: *const c_char,
    type_proc: *const c_char,
    out_accepted: *mut bool,
    out_result: *mut *mut vas_bytes,
    out_atr: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let sip = unsafe { c_path(sip, "sip") }?;
        // SAFETY: caller's contract.
        let type_proc = unsafe { opt_c_str(type_proc, "type_proc") }?;
        if out_accepted.is_null() {
            return Err(Failure::NullParameter("out_accepted"));
        }
        let r = a.ingest(&sip, &IngestOptions { type_proc })?;
        let result = json!({
            "operation": r.operation_id,
            "outcome": r.report.outcome.as_str(),
            "report": r.report.to_json(),
            "systemIds": r.system_ids,
        });
        // SAFETY: caller's contract.
        unsafe {
            bytes::store(out_result, bytes::json(&result));
            bytes::store(out_atr, r.atr.into_bytes());
            out(out_accepted, "out_accepted", r.report.outcome.is_accepted())
        }
    })
}

/// Searches the units with Vitam's DSL (`query_json`, e.g.
/// `{"$query": {"$match": {"Title": "budget"}}}`) under the access contract `contract`
/// (`VAS_RESULT_NOT_FOUND` if unknown) into `*out_json`:
/// `{"$hits": {"total" …}, "$results": [unit documents]}`. A query that is not JSON or
/// not valid DSL is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `archive` is NULL or a live archive; `contract` and `query_json` are NULL or
/// NUL-terminated; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_search_json(
    archive: *const vas_archive,
    contract: *const c_char,
    query_json: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let contract = unsafe { c_str(contract, "contract") }?;
        // SAFETY: caller's contract.
        let q = unsafe { query(query_json) }?;
        bytes::check_out(out_json, "out_json")?;
        let v = a.search(contract, &q)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(bytes::json(&v))) }
    })
}

/// The document of the unit with system id `unit` into `*out_json`;
/// `VAS_RESULT_NOT_FOUND` when it does not exist or is outside the contract.
///
/// # Safety
/// `archive` is NULL or a live archive; `contract` and `unit` are NULL or NUL-terminated;
/// `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_get_unit_json(
    archive: *const vas_archive,
    contract: *const c_char,
    unit: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let (contract, unit) = unsafe { (c_str(contract, "contract")?, c_str(unit, "unit")?) };
        bytes::check_out(out_json, "out_json")?;
        let v = a.get_unit(contract, unit)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(bytes::json(&v))) }
    })
}

/// # Safety
/// The three pointers are NULL or NUL-terminated.
unsafe fn object_args<'a>(
    contract: *const c_char,
    unit: *const c_char,
    usage: *const c_char,
) -> Result<(&'a str, &'a str, &'a str), Failure> {
    // SAFETY: forwarded contract.
    unsafe {
        Ok((
            c_str(contract, "contract")?,
            c_str(unit, "unit")?,
            c_str(usage, "usage")?,
        ))
    }
}

/// Reads the object of `unit` for `usage` (`BinaryMaster`, `Dissemination` …, latest
/// version) into memory, digest verified: `*out_data` the bytes, `*out_info` (may be NULL)
/// the object's record as JSON (`{"#id", "usage", "version", "Size", "MessageDigest",
/// "Algorithm", "FormatId"?, "StorageKey"?}`). An unknown unit or usage, or a unit outside
/// the contract, is `VAS_RESULT_NOT_FOUND`. Prefer `vas_archive_open_object` for large
/// objects.
///
/// # Safety
/// `archive` is NULL or a live archive; the strings are NULL or NUL-terminated; the
/// out-pointers are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_read_object(
    archive: *const vas_archive,
    contract: *const c_char,
    unit: *const c_char,
    usage: *const c_char,
    out_data: *mut *mut vas_bytes,
    out_info: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let (contract, unit, usage) = unsafe { object_args(contract, unit, usage) }?;
        bytes::check_out(out_data, "out_data")?;
        let (record, data) = a.read_object(contract, unit, usage)?;
        let info = to_json(&record)?;
        // SAFETY: caller's contract.
        unsafe {
            bytes::store(out_info, info);
            out(out_data, "out_data", vas_bytes::boxed(data))
        }
    })
}

/// Opens a stream over the object of `unit` for `usage` into `*out_reader` (see
/// `vas_archive_read_object` for the arguments and errors). The reader does not borrow
/// the archive handle.
///
/// # Safety
/// `archive` is NULL or a live archive; the strings are NULL or NUL-terminated;
/// `out_reader` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_open_object(
    archive: *const vas_archive,
    contract: *const c_char,
    unit: *const c_char,
    usage: *const c_char,
    out_reader: *mut *mut vas_object_reader,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let (contract, unit, usage) = unsafe { object_args(contract, unit, usage) }?;
        bytes::check_out(out_reader, "out_reader")?;
        let (record, r) = a.open_object(contract, unit, usage)?;
        let info = to_json(&record)?;
        let h = Box::into_raw(Box::new(vas_object_reader { inner: r, info }));
        // SAFETY: caller's contract.
        unsafe { out(out_reader, "out_reader", h) }
    })
}

/// Reads up to `len` bytes of the object into `buf`; `*out_n` receives the number read,
/// 0 at the end. A digest mismatch is reported at the end as `VAS_RESULT_INTEGRITY`.
///
/// # Safety
/// `reader` is NULL or a live reader; `buf` is NULL or valid for writing `len` bytes;
/// `out_n` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_object_reader_read(
    reader: *mut vas_object_reader,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let r = unsafe { reader.as_mut() }.ok_or(Failure::NullParameter("reader"))?;
        if out_n.is_null() {
            return Err(Failure::NullParameter("out_n"));
        }
        if len == 0 {
            // SAFETY: caller's contract.
            return unsafe { out(out_n, "out_n", 0) };
        }
        if buf.is_null() {
            return Err(Failure::NullParameter("buf"));
        }
        // SAFETY: non-NULL, `len` writable bytes per the contract.
        let slice = unsafe { std::slice::from_raw_parts_mut(buf, len) };
        let n = loop {
            match r.inner.read(slice) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(vas_core::storage::stream_error(e).into()),
            }
        };
        // SAFETY: caller's contract.
        unsafe { out(out_n, "out_n", n) }
    })
}

/// The object's record as JSON (see `vas_archive_read_object`) into `*out_json`.
///
/// # Safety
/// `reader` is NULL or a live reader; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_object_reader_info_json(
    reader: *const vas_object_reader,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let r = unsafe { reader.as_ref() }.ok_or(Failure::NullParameter("reader"))?;
        bytes::check_out(out_json, "out_json")?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(r.info.clone())) }
    })
}

/// Releases a reader (read to the end or not). NULL is accepted and ignored.
///
/// # Safety
/// `reader` is NULL or a live reader, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_object_reader_free(reader: *mut vas_object_reader) {
    infallible((), || {
        if !reader.is_null() {
            // SAFETY: created by Box::into_raw in vas_archive_open_object, freed once.
            drop(unsafe { Box::from_raw(reader) });
        }
    })
}

/// Writes the object of `unit` for `usage` to the file `dest` (verified before `dest`
/// appears); `*out_info` (may be NULL) receives the object's record as JSON.
///
/// # Safety
/// `archive` is NULL or a live archive; the strings are NULL or NUL-terminated;
/// `out_info` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_export_object(
    archive: *const vas_archive,
    contract: *const c_char,
    unit: *const c_char,
    usage: *const c_char,
    dest: *const c_char,
    out_info: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let (contract, unit, usage) = unsafe { object_args(contract, unit, usage) }?;
        // SAFETY: caller's contract.
        let dest = unsafe { c_path(dest, "dest") }?;
        let record = a.export_object(contract, unit, usage, &dest)?;
        let info = to_json(&record)?;
        // SAFETY: caller's contract.
        unsafe { bytes::store(out_info, info) };
        Ok(())
    })
}

/// Exports the units matching `query_json` (under `contract`) as a SEDA
/// ArchiveDeliveryRequestReply zip written to `out_path`; `*out_summary` (may be NULL)
/// receives `{"message_identifier", "units", "objects", "bytes"}`.
///
/// # Safety
/// `archive` is NULL or a live archive; the strings are NULL or NUL-terminated;
/// `out_summary` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_dip(
    archive: *const vas_archive,
    contract: *const c_char,
    query_json: *const c_char,
    out_path: *const c_char,
    out_summary: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let contract = unsafe { c_str(contract, "contract") }?;
        // SAFETY: caller's contract.
        let q = unsafe { query(query_json) }?;
        // SAFETY: caller's contract.
        let path = unsafe { c_path(out_path, "out_path") }?;
        let s = a.dip(contract, &q, &path)?;
        let summary = to_json(&s)?;
        // SAFETY: caller's contract.
        unsafe { bytes::store(out_summary, summary) };
        Ok(())
    })
}

/// Re-checks the logbook chains, every object on every offer, and the agreement between
/// catalog, offers and logbook. `*out_ok` (required) is true when nothing is wrong;
/// `*out_json` (may be NULL) receives `{"units", "object_groups", "object_copies",
/// "operations", "problems": [sentences], "ok"}`. A damaged archive is a verdict, not an
/// error.
///
/// # Safety
/// `archive` is NULL or a live archive; `out_ok` is NULL or writable; `out_json` is NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_verify(
    archive: *const vas_archive,
    out_ok: *mut bool,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        if out_ok.is_null() {
            return Err(Failure::NullParameter("out_ok"));
        }
        let v = a.verify()?;
        let mut j = serde_json::to_value(&v).map_err(|e| Error::internal(e.to_string()))?;
        j["ok"] = json!(v.is_ok());
        // SAFETY: caller's contract.
        unsafe {
            bytes::store(out_json, bytes::json(&j));
            out(out_ok, "out_ok", v.is_ok())
        }
    })
}

/// Eliminates the units `query_json` selects under the access contract `contract`, which
/// needs writing permission (`VAS_RESULT_DENIED` otherwise), at `date` (`"YYYY-MM-DD"`;
/// NULL means today): Vitam's `ELIMINATION_ACTION`, all or nothing, with tombstones on the
/// offers so that a rebuild does not bring the units back. With `dry_run`, only the
/// analysis (`ELIMINATION_ANALYSIS`) is made and nothing is written. `*out_json` receives
/// the report: `{"operation_id", "dry_run", "date", "units": [{"UnitId", "GlobalStatus",
/// "Status", "Reasons", "Analysis"}], "eliminated_units", "eliminated_object_groups",
/// "deleted_objects", "deleted_bytes"}`. An archive without a rules referential is
/// `VAS_RESULT_UNSUPPORTED`; a bad date or query is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `archive` is NULL or a live archive; `contract`, `query_json` and `date` are NULL or
/// NUL-terminated; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_eliminate_json(
    archive: *const vas_archive,
    contract: *const c_char,
    query_json: *const c_char,
    date: *const c_char,
    dry_run: bool,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let contract = unsafe { c_str(contract, "contract") }?;
        // SAFETY: caller's contract.
        let q = unsafe { query(query_json) }?;
        // SAFETY: caller's contract.
        let date = unsafe { opt_c_str(date, "date") }?;
        bytes::check_out(out_json, "out_json")?;
        let r = a.eliminate(contract, &q, &EliminationOptions { date, dry_run })?;
        let j = to_json(&r)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(j)) }
    })
}

/// The elimination report of operation `operation` (an `ELIMINATION_ACTION` made by
/// `vas_archive_eliminate_json`), read back from the first offer whose copy matches the
/// SHA-512 the operation recorded, as JSON into `*out_json` (written only on success;
/// release it with `vas_bytes_free`): `{"operationSummary", "reportSummary", "context",
/// "units": [{"id", "params": {"status", "globalStatus", "reasons", "opi",
/// "originatingAgency", "objectGroupId"}}], "objectGroups": [{"id", "params": {"status"
/// (`DELETED` or `PARTIAL_DETACHMENT`), …}}]}`. An unknown operation, or one without a
/// report (e.g. an ingest), is `VAS_RESULT_NOT_FOUND`; no offer holding a good copy is
/// `VAS_RESULT_INTEGRITY` (or `VAS_RESULT_NOT_FOUND`); a copy that is not JSON is
/// `VAS_RESULT_CORRUPT`.
///
/// # Safety
/// `archive` is NULL or a live archive; `operation` is NULL or NUL-terminated; `out_json`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_elimination_report_json(
    archive: *const vas_archive,
    operation: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let id = unsafe { c_str(operation, "operation") }?;
        bytes::check_out(out_json, "out_json")?;
        let v = a.elimination_report(id)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(bytes::json(&v))) }
    })
}

/// Audits every copy the catalog expects on every offer (re-reading and hashing each);
/// with `repair`, missing or corrupt copies are restored from a good one. `*out_json`
/// receives `{"checked", "findings": [[offer, key, problem]], "repaired",
/// "all_repaired"}`.
///
/// # Safety
/// `archive` is NULL or a live archive; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_audit_json(
    archive: *const vas_archive,
    repair: bool,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        bytes::check_out(out_json, "out_json")?;
        let s = a.audit(repair)?;
        let j = to_json(&s)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(j)) }
    })
}

/// Rebuilds the catalog from the documents on the offers alone; `*out_json` (may be
/// NULL) receives `{"units", "object_groups"}`.
///
/// # Safety
/// `archive` is NULL or a live archive; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_rebuild(
    archive: *const vas_archive,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        let r = a.rebuild()?;
        let j = to_json(&r)?;
        // SAFETY: caller's contract.
        unsafe { bytes::store(out_json, j) };
        Ok(())
    })
}

/// Every operation of the logbook, oldest first, as a JSON array into `*out_json`
/// (Vitam's logbook field names: `evId`, `evType`, `evDateTime`, `outcome`, `outDetail`,
/// `outMessg`, `events` …).
///
/// # Safety
/// `archive` is NULL or a live archive; `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_operations_json(
    archive: *const vas_archive,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        bytes::check_out(out_json, "out_json")?;
        let j = to_json(&a.operations()?)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(j)) }
    })
}

/// One logbook operation (with its events) as JSON into `*out_json`;
/// `VAS_RESULT_NOT_FOUND` for an unknown id.
///
/// # Safety
/// `archive` is NULL or a live archive; `operation` is NULL or NUL-terminated; `out_json`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_operation_json(
    archive: *const vas_archive,
    operation: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let id = unsafe { c_str(operation, "operation") }?;
        bytes::check_out(out_json, "out_json")?;
        let j = to_json(&a.operation(id)?)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(j)) }
    })
}

/// The lifecycle events of a unit (`kind` `"UNIT"`) or object group (`"OBJECTGROUP"`)
/// with system id `id`, as a JSON array into `*out_json`.
///
/// # Safety
/// `archive` is NULL or a live archive; `kind` and `id` are NULL or NUL-terminated;
/// `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_lifecycle_json(
    archive: *const vas_archive,
    kind: *const c_char,
    id: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let (kind, id) = unsafe { (c_str(kind, "kind")?, c_str(id, "id")?) };
        let kind = match kind {
            "UNIT" => LifecycleKind::Unit,
            "OBJECTGROUP" => LifecycleKind::ObjectGroup,
            k => {
                return Err(Error::invalid(format!(
                    "lifecycle kind {k:?}: \"UNIT\" or \"OBJECTGROUP\""
                ))
                .into());
            }
        };
        bytes::check_out(out_json, "out_json")?;
        let j = to_json(&a.lifecycle(kind, id)?)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(j)) }
    })
}

/// The accession register lines the contract's agencies allow, as a JSON array into
/// `*out_json`.
///
/// # Safety
/// `archive` is NULL or a live archive; `contract` is NULL or NUL-terminated; `out_json`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_archive_accession_register_json(
    archive: *const vas_archive,
    contract: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let a = unsafe { self::archive(archive) }?;
        // SAFETY: caller's contract.
        let contract = unsafe { c_str(contract, "contract") }?;
        bytes::check_out(out_json, "out_json")?;
        let j = to_json(&a.accession_register(contract)?)?;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(j)) }
    })
}
