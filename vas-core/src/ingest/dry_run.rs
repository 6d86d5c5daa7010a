//! The dry run: every control step of Vitam's ingest workflow, without storing anything.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use super::attach::{Attachments, ExistingUnits, check_attachments, recheck_attachments};
use super::manifest::{Manifest, child, kids, text};
use super::ontology::{Ontology, object_group_problem, unit_problem};
use super::stream::{AlgPlan, Streamed, complete_digests, stream_objects, thread_count};
use super::tree::Node;
use super::workflow::Workflow;
use super::{Recorder, Report, Status};
use crate::digest::DigestAlgorithm;
use crate::format::Identification;
use crate::referential::{IngestContract, ProfileFormat, Referentials};
use crate::rules::{
    InheritedRules, check_declared_rules, compute_inherited_rules, units_from_seda,
};
use crate::schema::{Mode, RelaxNg, SchemaSet, SedaVersion};
use crate::sip::{ContainerKind, Limits, ObjectStream, SipReader};
use crate::{Error, ErrorKind, Result};

/// A progress callback: `(bytes read so far, total bytes of the objects)`.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A format identifier replacing the format referential's engine: given the entry name,
/// the first bytes (up to 1 MiB) and the size, returns the identification.
pub type FormatHook = Arc<dyn Fn(&str, &[u8], u64) -> Identification + Send + Sync>;

/// Vitam's `FormatIdentifierMock`, which Vitam's integration tests use instead of
/// Siegfried: every file is `x-fmt/111` (Plain Text File, text/plain), except zip files,
/// which are `x-fmt/263` (Zip File, application/zip). Use it to replay Vitam's tests.
///
/// ```
/// let mock = vas_core::ingest::vitam_test_format_mock();
/// assert_eq!(mock("Content/a.pdf", b"%PDF-1.4", 8).puid, "x-fmt/111");
/// assert_eq!(mock("Content/a.zip", b"PK\x03\x04", 4).puid, "x-fmt/263");
/// ```
pub fn vitam_test_format_mock() -> FormatHook {
    Arc::new(|name: &str, _head: &[u8], _size: u64| {
        let zip = name.to_ascii_lowercase().ends_with(".zip");
        let (puid, fname, mime) = if zip {
            ("x-fmt/263", "Zip File", "application/zip")
        } else {
            ("x-fmt/111", "Plain Text File", "text/plain")
        };
        Identification {
            puid: puid.into(),
            name: fname.into(),
            version: String::new(),
            mime: mime.into(),
            basis: "FormatIdentifierMock".into(),
            warning: String::new(),
            matches: Vec::new(),
        }
    })
}

/// Options of [`dry_run`].
#[derive(Clone, Default)]
pub struct DryRunOptions {
    /// Replaces the format engine of the referentials (e.g. [`vitam_test_format_mock`]);
    /// the format referential still decides `UNCHARTED`.
    pub format_hook: Option<FormatHook>,
    /// The application context (Vitam's `X-Context-Id` security context) whose permissions
    /// must allow the manifest's ingest contract (`CONTRACT_NOT_IN_CONTEXT`). `None`: no
    /// context check.
    pub context: Option<String>,
    /// Package reading limits.
    pub limits: Limits,
    /// Called while objects are read.
    pub progress: Option<Progress>,
    /// When it becomes true, the run stops at its next progress point with
    /// [`Error::cancelled`](crate::Error::cancelled).
    pub cancel: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Threads hashing objects (each object is hashed by one thread, several objects at
    /// once). `None`: rayon's pool size (`RAYON_NUM_THREADS`, else one per core); `Some(1)`:
    /// everything on the calling thread.
    pub threads: Option<usize>,
    /// The units of the archive the SIP may attach to (`UpdateOperation`, the contract's
    /// `LinkParentId`). `None`: no archive, and any declared attachment is
    /// `CHECK_MANIFEST.NOT_FOUND_ATTACHMENT.KO`, as in an archive without that unit.
    pub existing_units: Option<Arc<dyn ExistingUnits>>,
    /// The metadata ontology (Vitam's typed fields, e.g. a platform's external additions):
    /// values of declared fields must convert to their type (`CHECK_UNIT_SCHEMA`,
    /// `CHECK_OBJECT_GROUP_SCHEMA`). `None`: only the sanity checks run.
    pub ontology: Option<Arc<Ontology>>,
    /// Only the report and the ArchiveTransferReply are wanted (the CLI's `--dry-run`): the
    /// SEDA model of the manifest and the per-object results that make a [`ValidatedSip`]
    /// are not built (the model is still parsed when a rules referential needs it), and
    /// [`DryRun::validated`] is `None` even for an accepted SIP — read the verdict from
    /// [`Report::outcome`]. Default `false`.
    pub report_only: bool,
    /// How many small objects (up to 4 MiB) are read whole and hashed together
    /// ([`crate::digest::digest_many`]). `None`: what the digest engine prefers on this CPU
    /// ([`crate::digest::preferred_batch`]; 1 means every object is streamed and hashed as
    /// it is read). Results do not depend on it; tests set it to exercise batching where the
    /// engine gains nothing from it.
    pub batch: Option<usize>,
}

impl DryRunOptions {
    /// Loads what the options take from a referentials directory: the ontology
    /// (`ontology.json`, Vitam's import format) when the file is there.
    pub fn load_from_referentials_dir(&mut self, dir: &Path) -> Result<()> {
        let f = dir.join("ontology.json");
        if f.is_file() {
            self.ontology = Some(Arc::new(Ontology::load_file(&f)?));
        }
        Ok(())
    }
}

impl std::fmt::Debug for DryRunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DryRunOptions")
            .field("context", &self.context)
            .field("limits", &self.limits)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("format_hook", &self.format_hook.is_some())
            .field("threads", &self.threads)
            .field("existing_units", &self.existing_units.is_some())
            .field("ontology", &self.ontology.is_some())
            .field("report_only", &self.report_only)
            .field("batch", &self.batch)
            .finish()
    }
}

/// One data object of a validated SIP.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedObject {
    /// The manifest `id`.
    pub id: String,
    /// The manifest id of its object group.
    pub group_id: String,
    /// True for a `BinaryDataObject`, false for a `PhysicalDataObject`.
    pub binary: bool,
    /// `DataObjectVersion` (`BinaryMaster_1` …).
    pub usage: Option<String>,
    /// The package entry holding the binary (`Content/…`).
    pub entry: Option<String>,
    /// Declared digest algorithm and digest (lower case).
    pub declared_digest: Option<(DigestAlgorithm, String)>,
    /// The platform digest (SHA-512 by default) computed from the bytes.
    pub digest: Option<(DigestAlgorithm, String)>,
    /// Real size in bytes (the declared one when it differs is in the report).
    pub size: Option<u64>,
    /// Declared `Size`.
    pub declared_size: Option<u64>,
    /// The identified format (PUID, MIME type, name), when a format referential was given.
    pub format: Option<Identification>,
}

/// What a real ingest needs after a successful dry run. Stable API: the archive's ingest
/// continues from here with storage and indexation.
#[derive(Debug)]
pub struct ValidatedSip {
    /// The package file or directory.
    pub package: PathBuf,
    /// The package's container kind.
    pub container: ContainerKind,
    /// The manifest entry name.
    pub manifest_name: String,
    /// The manifest bytes, unchanged.
    pub manifest_bytes: Vec<u8>,
    /// The parsed manifest.
    pub manifest: crate::seda::Document,
    /// Every file entry of the package.
    pub entries: Vec<String>,
    /// Object-group ids, in manifest order.
    pub object_groups: Vec<String>,
    /// Every data object, with digests, sizes and formats.
    pub objects: Vec<ValidatedObject>,
    /// Unit ids, parents before children.
    pub units: Vec<String>,
    /// The units' computed rules (None without a rules referential).
    pub rules: Option<InheritedRules>,
    /// The ingest contract used.
    pub contract: Option<IngestContract>,
    /// Units of the manifest that stand for existing units of the archive
    /// (`UpdateOperation`): manifest id → existing system id. They are not new units: their
    /// children are attached under the existing one.
    pub attachments: BTreeMap<String, String>,
    /// Object groups of the manifest whose objects are added to an existing object group (the
    /// group of an existing unit declared with `UpdateOperation`): manifest group id →
    /// existing group system id. They are not new groups.
    pub group_attachments: BTreeMap<String, String>,
    /// Units linked to an existing object group with
    /// `DataObjectGroup/DataObjectGroupExistingReferenceId`: manifest unit id → existing group
    /// system id.
    pub existing_group_links: BTreeMap<String, String>,
}

/// The result of [`dry_run`].
#[derive(Debug)]
pub struct DryRun {
    /// The operation report.
    pub report: Report,
    /// The ArchiveTransferReply, XML.
    pub atr: String,
    /// Present when the SIP was accepted (OK or WARNING).
    pub validated: Option<ValidatedSip>,
}

fn skipped(what: &str) -> Option<Value> {
    Some(json!({ "skipped": format!("{what} not provided") }))
}

/// Splits a Vitam outcome code `A[.B…].STATUS` into (key, rest, status).
fn split_code(code: &str) -> (&str, Option<&str>, Status) {
    let (body, status) = match code.rsplit_once('.') {
        Some((b, s)) => match s.parse::<Status>() {
            Ok(st) => (b, st),
            Err(_) => (code, Status::Ko),
        },
        None => (code, Status::Ko),
    };
    match body.split_once('.') {
        Some((k, r)) => (k, Some(r), status),
        None => (body, None, status),
    }
}

fn usage_ok(v: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^(PhysicalMaster|BinaryMaster|Dissemination|Thumbnail|TextContent)(_[0-9]+)?$",
        )
        .expect("static regex")
    })
    .is_match(v)
}

fn year_of(d: &str) -> Option<i64> {
    let d = d.trim();
    let (neg, rest) = match d.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, d),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() < 4 {
        return None;
    }
    let y: i64 = digits.parse().ok()?;
    Some(if neg { -y } else { y })
}

/// Runs Vitam's ingest controls on a SIP without storing anything.
///
/// The steps are those of Vitam's `DefaultIngestWorkflow`, in its order, up to the unit
/// checks, then the finalisation: `STP_SANITY_CHECK_SIP` (`CHECK_CONTAINER`,
/// `MANIFEST_FILE_NAME_CHECK`), `STP_UPLOAD_SIP`, `STP_INGEST_CONTROL_SIP` (`CHECK_SEDA`,
/// `CHECK_HEADER` and its sub-tasks, `CHECK_DATAOBJECTPACKAGE` and its sub-tasks),
/// `STP_OG_CHECK_AND_TRANSFORME` (`CHECK_DIGEST`, `CHECK_OBJECT_SIZE`,
/// `OG_OBJECTS_FORMAT_CHECK` per object group), `STP_UNIT_CHECK_AND_PROCESS`
/// (`CHECK_UNIT_SCHEMA`, `CHECK_ARCHIVE_UNIT_PROFILE`, `CHECK_CLASSIFICATION_LEVEL`,
/// `UNITS_RULES_COMPUTE` per unit, parents first) and `STP_INGEST_FINALISATION`. A
/// blocking KO stops the run; the finalisation always runs. Nothing is extracted to disk:
/// objects are hashed (declared algorithm and SHA-512) and identified while streamed.
///
/// Returns an error only when the SIP path does not exist; every problem of the package
/// itself is in the report.
///
/// ```
/// use vas_core::ingest::{dry_run, DryRunOptions, Status};
/// use vas_core::referential::Referentials;
/// let dir = tempfile::tempdir().unwrap();
/// let sip = dir.path().join("sip");
/// std::fs::create_dir_all(sip.join("Content")).unwrap();
/// std::fs::write(sip.join("manifest.xml"), b"<ArchiveTransfer xmlns='fr:gouv:culture:archivesdefrance:seda:v2.1'/>").unwrap();
/// let run = dry_run(&sip, &Referentials::default(), &DryRunOptions::default())?;
/// assert_eq!(run.report.outcome, Status::Ko);
/// assert!(run.report.out_details().contains(&"CHECK_SEDA.NOT_XSD_VALID.KO"));
/// assert!(run.atr.contains("<ReplyCode>KO</ReplyCode>"));
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn dry_run(sip: &Path, refs: &Referentials, opts: &DryRunOptions) -> Result<DryRun> {
    if std::fs::symlink_metadata(sip).is_err() {
        return Err(Error::new(ErrorKind::NotFound, "SIP not found").with_path(sip));
    }
    let mut rec = Recorder::new(Workflow::default_ingest());
    let validated = run(sip, refs, opts, &mut rec);
    // A cancelled run stopped reading at a progress point: no verdict, the caller's error.
    Error::check_cancel(opts.cancel.as_deref())?;
    rec.begin_step("STP_INGEST_FINALISATION");
    rec.action("ATR_NOTIFICATION", Status::Ok, None, None);
    rec.action("ROLL_BACK", Status::Ok, None, None);
    rec.end_step();
    let report = rec.finish();
    let info = validated.as_ref().map(|v| v.1.clone());
    let atr = super::atr::build_atr(&report, info.as_ref(), false);
    let validated = if report.outcome.is_accepted() {
        validated.and_then(|v| v.0)
    } else {
        None
    };
    Ok(DryRun {
        report,
        atr,
        validated,
    })
}

/// An object id, its usage, and whether it is binary.
pub(crate) type ObjectUsage = (String, Option<String>, bool);

/// Header information the ATR needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct AtrInfo {
    pub namespace: String,
    pub message_identifier: Option<String>,
    pub archival_agreement: Option<String>,
    pub archival_agency: Option<String>,
    pub transferring_agency: Option<String>,
    pub groups: Vec<(String, Vec<ObjectUsage>)>,
    pub units: Vec<String>,
}

type RunOut = Option<(Option<ValidatedSip>, AtrInfo)>;

type EarlyResult = (ObjectStream, Result<HashMap<String, Streamed>>);

/// The objects' pass started on its own thread before the manifest is checked. Dropped
/// without [`EarlyObjects::finish`] (the run stopped earlier), it stops the pass and waits
/// for it: nothing outlives the run.
struct EarlyObjects {
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// The running pass, or why it could not start.
    pass: Option<Result<std::thread::JoinHandle<EarlyResult>>>,
}

impl EarlyObjects {
    /// Starts reading and hashing every object with the platform algorithm and the
    /// algorithms `manifest` (its bytes, not yet parsed) declares
    /// ([`AlgPlan::platform_and_declared`]).
    fn start(
        mut objects: ObjectStream,
        refs: &Referentials,
        opts: &DryRunOptions,
        alg: DigestAlgorithm,
        manifest: &[u8],
    ) -> EarlyObjects {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (formats, opts, s) = (refs.formats.clone(), opts.clone(), stop.clone());
        let plan = AlgPlan::platform_and_declared(alg, manifest);
        let pass = std::thread::Builder::new()
            .name("vas-ingest-objects".into())
            .spawn(move || {
                let r = stream_objects(&mut objects, &plan, formats.as_ref(), alg, &opts, Some(&s));
                (objects, r)
            })
            // No thread to be had: a pass that fails at CHECK_DIGEST, as any other.
            .map_err(|e| Error::internal(format!("cannot start the objects' thread: {e}")));
        EarlyObjects {
            stop,
            pass: Some(pass),
        }
    }

    /// Waits for the pass, then computes what `plan` asks for and the pass did not (a
    /// declared algorithm its byte scan missed); also returns the bytes read again for it.
    fn finish(
        mut self,
        plan: &AlgPlan,
        opts: &DryRunOptions,
    ) -> Result<(HashMap<String, Streamed>, u64)> {
        let h = self
            .pass
            .take()
            .ok_or_else(|| Error::internal("the objects' pass was already waited for"))??;
        let (mut objects, r) = h
            .join()
            .map_err(|_| Error::internal("the objects' thread panicked"))?;
        let mut streamed = r?;
        let reread = complete_digests(&mut objects, plan, &mut streamed, opts)?;
        Ok((streamed, reread))
    }
}

impl Drop for EarlyObjects {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(Ok(h)) = self.pass.take() {
            let _ = h.join();
        }
    }
}

fn run(sip: &Path, refs: &Referentials, opts: &DryRunOptions, rec: &mut Recorder) -> RunOut {
    // STP_SANITY_CHECK_SIP
    rec.begin_step("STP_SANITY_CHECK_SIP");
    let kind = match ContainerKind::detect(sip) {
        Ok(k) => {
            rec.action(
                "CHECK_CONTAINER",
                Status::Ok,
                None,
                Some(json!({"container": k.name()})),
            );
            k
        }
        Err(e) => {
            rec.action(
                "CHECK_CONTAINER",
                Status::Ko,
                None,
                Some(json!({"error": e.to_string()})),
            );
            rec.end_step();
            return None;
        }
    };
    // The kind just detected is not detected a second time by the reader.
    let mut reader = match SipReader::open_detected(sip, kind, opts.limits.clone()) {
        Ok(r) => r,
        Err(e) => {
            rec.end_step();
            rec.begin_step("STP_UPLOAD_SIP");
            rec.action(
                "UPLOAD_SIP",
                Status::Ko,
                None,
                Some(json!({"error": e.to_string()})),
            );
            rec.end_step();
            return None;
        }
    };
    let container = reader.check_container();
    let mut seda_violation = None;
    let mut name_ko = None;
    for v in &container.violations {
        let (key, rest, st) = split_code(v.code);
        let d = json!({"entry": v.entry, "message": v.message});
        match key {
            "MANIFEST_FILE_NAME_CHECK" if name_ko.is_none() => name_ko = Some(d),
            "CHECK_SEDA" if seda_violation.is_none() => {
                seda_violation = Some((rest.map(str::to_string), st, d))
            }
            _ => {}
        }
    }
    match name_ko {
        Some(d) => rec.action("MANIFEST_FILE_NAME_CHECK", Status::Ko, None, Some(d)),
        None if reader.manifest_name().is_some() => {
            rec.action("MANIFEST_FILE_NAME_CHECK", Status::Ok, None, None)
        }
        None => {}
    }
    rec.end_step();
    if rec.is_stopped() {
        return None;
    }
    rec.begin_step("STP_UPLOAD_SIP");
    rec.action("UPLOAD_SIP", Status::Ok, None, None);
    rec.end_step();

    // STP_INGEST_CONTROL_SIP
    rec.begin_step("STP_INGEST_CONTROL_SIP");
    if let Some((sub, st, d)) = seda_violation {
        rec.action("CHECK_SEDA", st, sub.as_deref(), Some(d));
        rec.end_step();
        return None;
    }
    let manifest_name = reader.manifest_name().map(str::to_string);
    let Some(manifest_name) = manifest_name else {
        rec.action("CHECK_SEDA", Status::Ko, Some("NO_FILE"), None);
        rec.end_step();
        return None;
    };
    // The reader's own copy is handed over, not cloned.
    let bytes = match reader.take_manifest_bytes() {
        Ok(b) => b,
        Err(e) => {
            rec.action(
                "CHECK_SEDA",
                Status::Ko,
                Some("NOT_XML_FILE"),
                Some(json!({"error": e.to_string()})),
            );
            rec.end_step();
            return None;
        }
    };
    // With more than one thread, the objects are read and hashed (platform algorithm) while
    // the manifest is checked below; the declared algorithms, known once it is parsed, are
    // completed afterwards. Dropped early (the run stops before CHECK_DIGEST), the pass is
    // stopped and its result dropped.
    let platform = refs.platform();
    let early = (thread_count(opts) > 1).then(|| {
        EarlyObjects::start(
            reader.object_stream(),
            refs,
            opts,
            platform.digest_algorithm,
            &bytes,
        )
    });
    // Well-formedness and the root's namespace, as `scan_manifest` decides them.
    let ns = match super::wellformed::root_namespace(&bytes) {
        Ok(ns) => ns.unwrap_or_default(),
        Err(e) => {
            rec.action(
                "CHECK_SEDA",
                Status::Ko,
                Some("NOT_XML_FILE"),
                Some(json!({"error": e.to_string()})),
            );
            rec.end_step();
            return None;
        }
    };
    let Some(version) = SedaVersion::from_namespace(&ns) else {
        rec.action(
            "CHECK_SEDA",
            Status::Ko,
            Some("UNSUPPORTED_SEDA_VERSION"),
            Some(json!({"namespace": ns})),
        );
        rec.end_step();
        return None;
    };
    let xsd = match SchemaSet::seda_mode(version, Mode::VitamLenient) {
        Ok(x) => x,
        Err(e) => {
            rec.action(
                "CHECK_SEDA",
                Status::Fatal,
                None,
                Some(json!({"error": e.to_string()})),
            );
            rec.end_step();
            return None;
        }
    };
    // The XSD validation and the two parses are independent passes over the same bytes:
    // with a second thread, the parses run while the schema validates (their result is
    // dropped when the manifest is not valid).
    // The SEDA model is for the ValidatedSip and the rules; a report-only run without rules
    // does not parse the manifest a second time.
    let need_doc = !opts.report_only || refs.rules.is_some();
    let parse = || {
        super::tree::parse(&bytes).and_then(|t| {
            let doc = if need_doc {
                Some(crate::seda::Document::from_slice(&bytes)?)
            } else {
                None
            };
            Ok((t, doc))
        })
    };
    let (vr, parsed) = if opts.threads == Some(1) {
        let vr = xsd.validate_bytes(&bytes);
        let parsed = if vr.is_valid_with_references() {
            parse()
        } else {
            Err(Error::invalid("not XSD-valid"))
        };
        (vr, parsed)
    } else {
        rayon::join(|| xsd.validate_bytes(&bytes), parse)
    };
    // Xerces, which Vitam runs, also fails an IDREF that points nowhere (cvc-id.1).
    let parsed = if vr.is_valid_with_references() {
        parsed
    } else {
        Err(Error::invalid("not XSD-valid"))
    };
    let (tree, doc) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let findings: Vec<Value> = vr.all_findings().take(20).map(|f| f.to_json()).collect();
            rec.action(
                "CHECK_SEDA",
                Status::Ko,
                Some("NOT_XSD_VALID"),
                Some(if findings.is_empty() {
                    json!({"error": e.to_string()})
                } else {
                    json!({"findings": findings})
                }),
            );
            rec.end_step();
            return None;
        }
    };
    rec.action(
        "CHECK_SEDA",
        Status::Ok,
        None,
        Some(json!({"version": version.as_str()})),
    );
    let m = Manifest::from_tree(&tree);
    let info = AtrInfo {
        namespace: ns.clone(),
        message_identifier: m.message_identifier.clone(),
        archival_agreement: m.archival_agreement.clone(),
        archival_agency: m.archival_agency.clone(),
        transferring_agency: m.transferring_agency.clone(),
        groups: Vec::new(),
        units: Vec::new(),
    };

    // CHECK_HEADER
    let contract = check_header(rec, refs, opts, &m, &bytes);
    if rec.is_stopped() {
        rec.end_step();
        return Some((None, info));
    }
    // CHECK_DATAOBJECTPACKAGE
    let attachments = check_package(
        rec,
        &reader,
        &m,
        contract.as_ref(),
        opts.existing_units.as_deref(),
    );
    // CHECK_ATTACHEMENT: what the SIP attaches to must come from a completed, accepted ingest.
    if !rec.is_stopped()
        && let Some(r) = recheck_attachments(
            &attachments,
            contract.as_ref().and_then(|c| c.link_parent_id.as_deref()),
            opts.existing_units.as_deref(),
        )
    {
        match r {
            Ok(d) => rec.action("CHECK_ATTACHEMENT", Status::Ok, None, Some(d)),
            Err(d) => rec.action("CHECK_ATTACHEMENT", Status::Ko, None, Some(d)),
        }
    }
    rec.end_step();
    if rec.is_stopped() {
        return Some((None, info));
    }

    // STP_OG_CHECK_AND_TRANSFORME
    rec.begin_step("STP_OG_CHECK_AND_TRANSFORME");
    if m.groups.is_empty() {
        rec.empty_distribution(Status::Warning);
    }
    let plan = AlgPlan::from_manifest(&m, platform.digest_algorithm);
    let streamed = match early {
        Some(early) => early.finish(&plan, opts).map(|(s, _)| s),
        None => stream_objects(
            &mut reader.object_stream(),
            &plan,
            refs.formats.as_ref(),
            platform.digest_algorithm,
            opts,
            None,
        ),
    };
    let streamed = match streamed {
        Ok(s) => s,
        Err(e) => {
            rec.action(
                "CHECK_DIGEST",
                Status::Fatal,
                None,
                Some(json!({"error": e.to_string()})),
            );
            rec.end_step();
            return Some((None, info));
        }
    };
    let og_problems = group_problems(&tree, opts.ontology.as_deref());
    let objects = check_objects(
        rec,
        refs,
        &m,
        &og_problems,
        contract.as_ref(),
        &streamed,
        !opts.report_only,
    );
    // Every object's result is in `objects` and in the report.
    drop(streamed);
    rec.end_step();
    if rec.is_stopped() {
        return Some((None, info));
    }

    // STP_UNIT_CHECK_AND_PROCESS
    rec.begin_step("STP_UNIT_CHECK_AND_PROCESS");
    let order = m.parents_first();
    if order.is_empty() {
        rec.empty_distribution(Status::Warning);
    }
    let unit_problems = unit_problems(&tree, opts.ontology.as_deref(), version);
    let computed = check_units(rec, refs, &m, doc.as_ref(), &order, &unit_problems);
    rec.end_step();
    let mut info = info;
    info.units = order.iter().map(|&i| m.units[i].id.clone()).collect();
    // One pass over the objects (not one per group: 10 000 groups would make it quadratic).
    let mut per_group: HashMap<&str, Vec<ObjectUsage>> = HashMap::with_capacity(m.groups.len());
    for o in &m.objects {
        per_group.entry(o.group.as_str()).or_default().push((
            o.id.clone(),
            o.usage.clone(),
            o.binary,
        ));
    }
    info.groups = m
        .groups
        .iter()
        .map(|g| (g.clone(), per_group.remove(g.as_str()).unwrap_or_default()))
        .collect();
    if rec.is_stopped() {
        return Some((None, info));
    }
    // The tree borrows the manifest bytes, which the validated SIP keeps.
    drop(tree);
    let (Some(doc), false) = (doc, opts.report_only) else {
        return Some((None, info));
    };
    let validated = ValidatedSip {
        package: sip.to_path_buf(),
        container: kind,
        manifest_name,
        manifest_bytes: bytes,
        manifest: doc,
        entries: reader.files().map(|e| e.name.clone()).collect(),
        object_groups: m.groups.clone(),
        objects,
        units: info.units.clone(),
        rules: computed,
        contract,
        attachments: attachments.units,
        group_attachments: attachments.groups,
        existing_group_links: attachments.unit_groups,
    };
    Some((Some(validated), info))
}

fn check_header(
    rec: &mut Recorder,
    refs: &Referentials,
    opts: &DryRunOptions,
    m: &Manifest,
    bytes: &[u8],
) -> Option<IngestContract> {
    let mut worst = Status::Ok;
    let mut first_code: Option<String> = None;
    let mut sub =
        |rec: &mut Recorder, t: &str, st: Status, code: Option<&str>, d: Option<Value>| {
            if st > worst {
                first_code = code.map(str::to_string);
            }
            worst = worst.max(st);
            rec.subtask("CHECK_HEADER", t, st, code, d);
            st >= Status::Ko
        };
    // CHECK_AGENT
    let stop = match &refs.agencies {
        None => sub(
            rec,
            "CHECK_AGENT",
            Status::Ok,
            None,
            skipped("agencies.csv"),
        ),
        Some(ag) => match m.originating_agency.as_deref() {
            None | Some("") => sub(
                rec,
                "CHECK_AGENT",
                Status::Ko,
                Some("EMPTY_REQUIRED_FIELD"),
                Some(json!({"missing": "OriginatingAgencyIdentifier"})),
            ),
            Some(o) if !ag.contains(o) => sub(
                rec,
                "CHECK_AGENT",
                Status::Ko,
                Some("UNKNOWN"),
                Some(json!({"OriginatingAgencyIdentifier": o})),
            ),
            Some(_) => match m.submission_agency.as_deref() {
                Some(s) if !s.is_empty() && !ag.contains(s) => sub(
                    rec,
                    "CHECK_AGENT",
                    Status::Ko,
                    Some("UNKNOWN"),
                    Some(json!({"SubmissionAgencyIdentifier": s})),
                ),
                _ => sub(rec, "CHECK_AGENT", Status::Ok, None, None),
            },
        },
    };
    let mut contract = None;
    if !stop {
        // CHECK_CONTRACT_INGEST
        let r: (Status, Option<&str>, Option<Value>) = match (
            m.archival_agreement.as_deref().filter(|s| !s.is_empty()),
            &refs.ingest_contracts,
        ) {
            (None, _) => (Status::Ko, Some("CONTRACT_NOT_IN_MANIFEST"), None),
            (Some(_), None) => (Status::Ok, None, skipped("ingest-contracts.json")),
            (Some(id), Some(_)) => match refs.ingest_contract(id) {
                None => (
                    Status::Ko,
                    Some("CONTRACT_UNKNOWN"),
                    Some(json!({"ArchivalAgreement": id})),
                ),
                Some(c) if !c.is_active() => (
                    Status::Ko,
                    Some("CONTRACT_INACTIVE"),
                    Some(json!({"ArchivalAgreement": id})),
                ),
                Some(c) => {
                    contract = Some(c.clone());
                    match opts.context.as_deref() {
                        None => (Status::Ok, None, None),
                        Some(ctx) => match (&refs.contexts, refs.context(ctx)) {
                            (None, _) => (Status::Ok, None, skipped("contexts.json")),
                            (Some(_), None) => (
                                Status::Ko,
                                Some("CONTEXT_UNKNOWN"),
                                Some(json!({"Context": ctx})),
                            ),
                            (Some(_), Some(cx)) if !cx.is_active() => (
                                Status::Ko,
                                Some("CONTEXT_INACTIVE"),
                                Some(json!({"Context": ctx})),
                            ),
                            (Some(_), Some(cx)) => {
                                if cx.allows_ingest_contract(refs.platform().tenant, id) {
                                    (Status::Ok, None, None)
                                } else {
                                    (
                                        Status::Ko,
                                        Some("CONTRACT_NOT_IN_CONTEXT"),
                                        Some(json!({"Context": ctx, "ArchivalAgreement": id})),
                                    )
                                }
                            }
                        },
                    }
                }
            },
        };
        let stop = sub(rec, "CHECK_CONTRACT_INGEST", r.0, r.1, r.2);
        // CHECK_IC_AP_RELATION and CHECK_ARCHIVEPROFILE
        if !stop && let Some(pid) = m.archival_profile.as_deref() {
            let rel: (Status, Option<&str>, Option<Value>) = match &refs.archival_profiles {
                None => (Status::Ok, None, skipped("archival-profiles.json")),
                Some(_) => match refs.archival_profile(pid) {
                    None => (
                        Status::Ko,
                        Some("UNKNOWN"),
                        Some(json!({"ArchivalProfile": pid})),
                    ),
                    Some(p) if !p.is_active() => (
                        Status::Ko,
                        Some("INACTIVE"),
                        Some(json!({"ArchivalProfile": pid})),
                    ),
                    Some(_) => match &contract {
                        Some(c) if !c.archive_profiles.iter().any(|a| a == pid) => (
                            Status::Ko,
                            Some("DIFF"),
                            Some(
                                json!({"ArchivalProfile": pid, "ArchivalAgreement": c.identifier}),
                            ),
                        ),
                        _ => (Status::Ok, None, None),
                    },
                },
            };
            let stop = sub(rec, "CHECK_IC_AP_RELATION", rel.0, rel.1, rel.2);
            if !stop && let Some(p) = refs.archival_profile(pid) {
                let res: Result<(bool, Vec<Value>)> = match &p.file {
                    None => Err(Error::new(
                        ErrorKind::NotFound,
                        format!("profile {pid} has no schema file"),
                    )),
                    Some(f) => match p.format {
                        // Vitam checks profiles with Jing (RelaxNG) and Xerces (XSD 1.1).
                        ProfileFormat::Rng => RelaxNg::from_file(f).map(|r| {
                            let r = r.with_processor(Mode::VitamLenient.profile_processor());
                            let rep = r.validate_bytes(bytes);
                            (
                                rep.is_valid(),
                                rep.findings.iter().take(10).map(|f| f.to_json()).collect(),
                            )
                        }),
                        ProfileFormat::Xsd => SchemaSet::builder()
                            .add_file(f)
                            .processor(Mode::VitamLenient.processor())
                            .build()
                            .map(|s| {
                                let rep = s.validate_bytes(bytes);
                                (
                                    rep.is_valid(),
                                    rep.findings.iter().take(10).map(|f| f.to_json()).collect(),
                                )
                            }),
                    },
                };
                match res {
                    Ok((true, _)) => {
                        sub(rec, "CHECK_ARCHIVEPROFILE", Status::Ok, None, None);
                    }
                    Ok((false, f)) => {
                        sub(
                            rec,
                            "CHECK_ARCHIVEPROFILE",
                            Status::Ko,
                            None,
                            Some(json!({"ArchivalProfile": pid, "findings": f})),
                        );
                    }
                    Err(e) => {
                        sub(
                            rec,
                            "CHECK_ARCHIVEPROFILE",
                            Status::Ko,
                            None,
                            Some(json!({"ArchivalProfile": pid, "error": e.to_string()})),
                        );
                    }
                }
            }
        }
    }
    let code = first_code.clone();
    rec.action("CHECK_HEADER", worst, code.as_deref(), None);
    contract
}

fn check_package(
    rec: &mut Recorder,
    reader: &SipReader,
    m: &Manifest,
    contract: Option<&IngestContract>,
    existing: Option<&dyn ExistingUnits>,
) -> Attachments {
    let mut attachments = Attachments::default();
    let mut worst = Status::Ok;
    let sub = |rec: &mut Recorder,
               worst: &mut Status,
               t: &str,
               st: Status,
               code: Option<&str>,
               d: Option<Value>| {
        *worst = (*worst).max(st);
        rec.subtask("CHECK_DATAOBJECTPACKAGE", t, st, code, d);
        st >= Status::Ko
    };
    // CHECK_MANIFEST_DATAOBJECT_VERSION
    let mut ver: Option<(&str, Value)> = None;
    for o in &m.objects {
        let usage = o.usage.as_deref().unwrap_or("");
        let d = json!({"object": o.id, "DataObjectVersion": o.usage});
        let bad = if !o.usage.as_deref().is_none_or(usage_ok) {
            Some("INVALID_DATAOBJECTVERSION")
        } else if o.binary && usage.starts_with("PhysicalMaster") {
            Some("BDO_DATAOBJECTIONVERSION_PHYSICALMASTER")
        } else if !o.binary && usage.starts_with("BinaryMaster") {
            Some("PDO_DATAOBJECTIONVERSION_BINARYMASTER")
        } else if (o.binary && o.uri.as_deref() == Some(""))
            || (!o.binary && o.physical_id.as_deref().is_none_or(str::is_empty))
        {
            Some("EMPTY_REQUIRED_FIELD")
        } else if o.binary
            && o.algorithm.is_some()
            && !DigestAlgorithm::ALL
                .iter()
                .any(|a| Some(a.seda_name()) == o.algorithm.as_deref())
        {
            Some("INVALIDE_ALGO")
        } else {
            None
        };
        if let Some(b) = bad {
            ver = Some((b, d));
            break;
        }
    }
    let stop = match ver {
        Some((c, d)) => sub(
            rec,
            &mut worst,
            "CHECK_MANIFEST_DATAOBJECT_VERSION",
            Status::Ko,
            Some(c),
            Some(d),
        ),
        None => sub(
            rec,
            &mut worst,
            "CHECK_MANIFEST_DATAOBJECT_VERSION",
            Status::Ok,
            None,
            None,
        ),
    };
    if stop {
        rec.action("CHECK_DATAOBJECTPACKAGE", worst, None, None);
        return attachments;
    }
    // CHECK_MANIFEST_OBJECTNUMBER
    let uris = reader.check_uris(
        m.objects
            .iter()
            .filter(|o| o.binary)
            .filter_map(|o| o.uri.as_deref()),
    );
    let stop = match uris.errors().next() {
        Some(v) => {
            let (_, rest, st) = split_code(v.code);
            let code = rest.and_then(|r| r.split_once('.')).map(|(_, c)| c);
            sub(
                rec,
                &mut worst,
                "CHECK_MANIFEST_OBJECTNUMBER",
                st,
                code,
                Some(json!({"entry": v.entry, "message": v.message})),
            )
        }
        None => sub(
            rec,
            &mut worst,
            "CHECK_MANIFEST_OBJECTNUMBER",
            Status::Ok,
            None,
            None,
        ),
    };
    if stop {
        rec.action("CHECK_DATAOBJECTPACKAGE", worst, None, None);
        return attachments;
    }
    // CHECK_MANIFEST
    let object_ids: HashMap<&str, &str> = m
        .objects
        .iter()
        .map(|o| (o.id.as_str(), o.group.as_str()))
        .collect();
    let group_ids: HashSet<&str> = m.groups.iter().map(String::as_str).collect();
    let mut problem: Option<(&str, Value)> = None;
    if let Some(c) = m.find_cycle() {
        problem = Some((
            "CHECK_MANIFEST_LOOP",
            json!({"evDetTechData": format!("Cycle : [{}]", c.join(", ")), "cycle": c}),
        ));
    }
    if problem.is_none() {
        for u in &m.units {
            let mut groups: Vec<&str> = Vec::new();
            for r in &u.object_refs {
                if group_ids.contains(r.as_str()) && !object_ids.contains_key(r.as_str()) {
                    groups.push(r);
                } else if let Some(g) = object_ids.get(r.as_str()) {
                    if *g != r.as_str() {
                        // a unit pointing at an object inside a declared group
                        problem = Some((
                            "EXISTING_OG_NOT_DECLARED",
                            json!({"unit": u.id, "object": r, "group": g}),
                        ));
                        break;
                    }
                    groups.push(g);
                }
            }
            if problem.is_some() {
                break;
            }
            groups.sort_unstable();
            groups.dedup();
            if groups.len() > 1 {
                problem = Some((
                    "ARCHIVEUNIT_REFERENCES_MULTIPLE_OBJECTGROUP",
                    json!({"unit": u.id, "groups": groups}),
                ));
                break;
            }
        }
    }
    // Attachments (Vitam resolves them while reading the manifest, so their problems rank
    // before the per-group checks that follow; a group added to an existing group needs no
    // master of its own).
    if problem.is_none() {
        match check_attachments(m, contract, existing) {
            Ok(a) => attachments = a,
            Err(p) => problem = Some(p),
        }
    }
    let added_to_existing = |g: &str| attachments.groups.contains_key(g);
    if problem.is_none() {
        for (g, idxs) in m.by_group() {
            let mut seen: HashSet<(String, String)> = HashSet::new();
            let mut has_master = false;
            for &i in &idxs {
                let o = &m.objects[i];
                let u = o.usage.clone().unwrap_or_default();
                let (usage, n) = match u.split_once('_') {
                    Some((a, b)) => (a.to_string(), b.to_string()),
                    None => (u.clone(), "1".to_string()),
                };
                if usage == "BinaryMaster" || usage == "PhysicalMaster" {
                    has_master = true;
                }
                if !usage.is_empty() && !seen.insert((usage.clone(), n)) {
                    problem = Some((
                        "TOO_MANY_VERSION_BY_USAGE",
                        json!({"group": g, "DataObjectVersion": u}),
                    ));
                }
            }
            if problem.is_some() {
                break;
            }
            if !has_master && contract.is_none_or(|c| c.master_mandatory) && !added_to_existing(g) {
                problem = Some(("MASTER_MANDATORY_REQUIRED", json!({"group": g})));
                break;
            }
        }
    }

    let stop = match problem {
        Some((c, d)) => sub(
            rec,
            &mut worst,
            "CHECK_MANIFEST",
            Status::Ko,
            Some(c),
            Some(d),
        ),
        None => sub(rec, &mut worst, "CHECK_MANIFEST", Status::Ok, None, None),
    };
    if stop {
        rec.action("CHECK_DATAOBJECTPACKAGE", worst, None, None);
        return attachments;
    }
    // CHECK_CONSISTENCY: every group is referenced by a unit.
    let mut referenced: HashSet<&str> = HashSet::new();
    for u in &m.units {
        for r in &u.object_refs {
            referenced.insert(r);
            if let Some(g) = object_ids.get(r.as_str()) {
                referenced.insert(g);
            }
        }
    }
    let orphans: Vec<&str> = m
        .groups
        .iter()
        .map(String::as_str)
        .filter(|g| !referenced.contains(g))
        .collect();
    if orphans.is_empty() {
        sub(rec, &mut worst, "CHECK_CONSISTENCY", Status::Ok, None, None);
    } else {
        sub(
            rec,
            &mut worst,
            "CHECK_CONSISTENCY",
            Status::Ko,
            Some("CHECK_CONSISTENCY_ORPHAN_OBJECT"),
            Some(json!({"orphans": orphans})),
        );
    }
    rec.action("CHECK_DATAOBJECTPACKAGE", worst, None, None);
    attachments
}

fn check_objects(
    rec: &mut Recorder,
    refs: &Referentials,
    m: &Manifest,
    og_problems: &HashMap<String, Value>,
    contract: Option<&IngestContract>,
    streamed: &HashMap<String, Streamed>,
    keep: bool,
) -> Vec<ValidatedObject> {
    let platform_alg = refs.platform().digest_algorithm;
    let mut validated = Vec::new();
    for (g, idxs) in m.by_group() {
        let mut dig = (Status::Ok, None::<&str>, Vec::new());
        let mut size = (Status::Ok, Vec::new());
        let mut fmt = (Status::Ok, None::<&str>, Vec::new());
        for i in idxs {
            let o = &m.objects[i];
            let s = o
                .uri
                .as_deref()
                .and_then(|u| streamed.get(u.trim_start_matches("./")));
            let declared_alg = DigestAlgorithm::ALL
                .iter()
                .find(|a| Some(a.seda_name()) == o.algorithm.as_deref())
                .copied();
            let declared_size = o.size.as_deref().and_then(|s| s.trim().parse::<u64>().ok());
            let mut v = ValidatedObject {
                id: o.id.clone(),
                group_id: g.to_string(),
                binary: o.binary,
                usage: o.usage.clone(),
                entry: o
                    .uri
                    .as_ref()
                    .map(|u| u.trim_start_matches("./").to_string()),
                declared_digest: declared_alg
                    .zip(o.digest.as_ref().map(|d| d.trim().to_ascii_lowercase())),
                digest: None,
                size: s.map(|s| s.size),
                declared_size,
                format: None,
            };
            if let (true, Some(s)) = (o.binary, s) {
                let computed = |a: DigestAlgorithm| {
                    s.digests
                        .iter()
                        .find(|(x, _)| *x == a)
                        .map(|(_, d)| d.clone())
                };
                v.digest = computed(platform_alg).map(|d| (platform_alg, d));
                match (&v.declared_digest, o.digest.as_deref()) {
                    (_, None) | (_, Some("")) => {
                        dig.0 = dig.0.max(Status::Ko);
                        dig.1.get_or_insert("EMPTY");
                        dig.2.push(json!({"object": o.id}));
                    }
                    (Some((a, d)), _) => {
                        let c = computed(*a).unwrap_or_default();
                        if &c != d {
                            dig.0 = dig.0.max(Status::Ko);
                            dig.1.get_or_insert("INVALID");
                            dig.2.push(json!({"object": o.id, "MessageDigest": d,
                                "Algorithm": a.seda_name(), "ComputedMessageDigest": c}));
                        }
                    }
                    (None, Some(_)) => {}
                }
                if let Some(ds) = declared_size
                    && ds != s.size
                {
                    size.0 = Status::Warning;
                    size.1
                        .push(json!({"object": o.id, "declared": ds, "actual": s.size}));
                }
                if let (Some(id), Some(reg)) = (&s.format, &refs.formats) {
                    v.format = Some(id.clone());
                    let allowed_unknown =
                        contract.is_some_and(|c| c.format_unidentified_authorized);
                    if id.is_unknown() {
                        if allowed_unknown {
                            fmt.0 = fmt.0.max(Status::Warning);
                            fmt.2.push(json!({"object": o.id, "FormatId": "unknown"}));
                        } else {
                            fmt.0 = fmt.0.max(Status::Ko);
                            fmt.1.get_or_insert("UNKNOWN");
                            fmt.2.push(json!({"object": o.id}));
                        }
                    } else if reg.format(&id.puid).is_none() {
                        fmt.0 = fmt.0.max(Status::Ko);
                        fmt.1.get_or_insert("UNCHARTED");
                        fmt.2.push(json!({"object": o.id, "FormatId": id.puid}));
                    } else if contract.is_some_and(|c| !c.allows_format(&id.puid)) {
                        fmt.0 = fmt.0.max(Status::Ko);
                        fmt.1.get_or_insert("REJECTED_FORMAT");
                        fmt.2.push(json!({"object": o.id, "FormatId": id.puid}));
                    } else if o.format_id.as_deref().is_some_and(|d| d != id.puid) {
                        fmt.0 = fmt.0.max(Status::Warning);
                        fmt.2.push(
                            json!({"object": o.id, "declared": o.format_id, "identified": id.puid}),
                        );
                    }
                }
            }
            if keep {
                validated.push(v);
            }
        }
        let d = |v: Vec<Value>| {
            if v.is_empty() {
                None
            } else {
                Some(json!({"group": g, "objects": v}))
            }
        };
        rec.item(
            "CHECK_DIGEST",
            dig.0,
            if dig.0 >= Status::Ko { dig.1 } else { None },
            d(dig.2),
        );
        rec.item("CHECK_OBJECT_SIZE", size.0, None, d(size.1));
        if refs.formats.is_some() {
            rec.item(
                "OG_OBJECTS_FORMAT_CHECK",
                fmt.0,
                if fmt.0 >= Status::Ko { fmt.1 } else { None },
                d(fmt.2),
            );
        }
        let ogs = match og_problems.get(g) {
            Some(d) => {
                rec.item(
                    "CHECK_OBJECT_GROUP_SCHEMA",
                    Status::Ko,
                    None,
                    Some(d.clone()),
                );
                Status::Ko
            }
            None => {
                rec.item("CHECK_OBJECT_GROUP_SCHEMA", Status::Ok, None, None);
                Status::Ok
            }
        };
        let worst = dig.0.max(size.0).max(fmt.0).max(ogs);
        rec.group_lifecycle(g, super::Event::new("LFC.CHECK_OBJECTS", worst, None, None));
    }
    if refs.formats.is_none() {
        rec.action(
            "OG_OBJECTS_FORMAT_CHECK",
            Status::Ok,
            None,
            skipped("formats.xml"),
        );
    }
    validated
}

/// The `CHECK_OBJECT_GROUP_SCHEMA` problem of each object group that has one.
fn group_problems(tree: &Node<'_>, ontology: Option<&Ontology>) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    let Some(pkg) = child(tree, "DataObjectPackage") else {
        return out;
    };
    let mut loose: Vec<(String, Vec<&Node<'_>>)> = Vec::new();
    for e in pkg.elements() {
        match e.local_name() {
            "DataObjectGroup" => {
                let gid = e.attr("id").unwrap_or("").to_string();
                if let Some(p) = object_group_problem(&[e], ontology) {
                    out.entry(gid).or_insert(p);
                }
            }
            "BinaryDataObject" | "PhysicalDataObject" => {
                let gid = text(e, "DataObjectGroupId")
                    .or_else(|| text(e, "DataObjectGroupReferenceId"))
                    .unwrap_or_else(|| e.attr("id").unwrap_or("").to_string());
                match loose.iter_mut().find(|(g, _)| *g == gid) {
                    Some((_, v)) => v.push(e),
                    None => loose.push((gid, vec![e])),
                }
            }
            _ => {}
        }
    }
    for (gid, els) in loose {
        if let Some(p) = object_group_problem(&els, ontology) {
            out.entry(gid).or_insert(p);
        }
    }
    out
}

/// The schema problem of each unit that has one (beyond its descriptive dates).
fn unit_problems(
    tree: &Node<'_>,
    ontology: Option<&Ontology>,
    version: SedaVersion,
) -> HashMap<String, (&'static str, Value)> {
    fn walk(
        e: &Node<'_>,
        ontology: Option<&Ontology>,
        version: SedaVersion,
        out: &mut HashMap<String, (&'static str, Value)>,
    ) {
        for u in kids(e, "ArchiveUnit") {
            if child(u, "ArchiveUnitRefId").is_some() {
                continue;
            }
            if let Some(p) = unit_problem(u, ontology, version) {
                out.entry(u.attr("id").unwrap_or("").to_string())
                    .or_insert(p);
            }
            walk(u, ontology, version, out);
        }
    }
    let mut out = HashMap::new();
    if let Some(dm) = child(tree, "DataObjectPackage").and_then(|p| child(p, "DescriptiveMetadata"))
    {
        walk(dm, ontology, version, &mut out);
    }
    out
}

fn check_units(
    rec: &mut Recorder,
    refs: &Referentials,
    m: &Manifest,
    doc: Option<&crate::seda::Document>,
    order: &[usize],
    unit_problems: &HashMap<String, (&'static str, Value)>,
) -> Option<InheritedRules> {
    // Rules of every unit, checked once.
    let mut rule_errors: HashMap<String, (String, String)> = HashMap::new();
    let mut rules_input = None;
    if let (Some(rr), Some(doc)) = (&refs.rules, doc) {
        match units_from_seda(doc) {
            Ok(mu) => {
                for e in check_declared_rules(&mu.units, rr) {
                    let id = e.context().id.clone().unwrap_or_default();
                    let code = e
                        .context()
                        .code
                        .clone()
                        .unwrap_or_else(|| "UNITS_RULES_COMPUTE.KO".into());
                    rule_errors
                        .entry(id)
                        .or_insert((code, e.message().to_string()));
                }
                rules_input = Some(mu);
            }
            Err(e) => {
                let id = e.context().id.clone().unwrap_or_default();
                rule_errors.insert(
                    id,
                    (
                        "CHECK_UNIT_SCHEMA.INVALID_UNIT.KO".into(),
                        e.message().to_string(),
                    ),
                );
            }
        }
    }
    let platform = refs.platform();
    let mm_levels = &m.mm_classification_levels;
    for &i in order {
        let u = &m.units[i];
        // CHECK_UNIT_SCHEMA
        let mut schema: (Status, Option<String>, Option<Value>) = (Status::Ok, None, None);
        if u.titles.iter().all(|t| t.is_empty()) {
            schema = (
                Status::Ko,
                Some("INVALID_UNIT".into()),
                Some(json!({"unit": u.id, "error": "empty Title"})),
            );
        }
        if schema.0 == Status::Ok {
            for (k, v) in &u.dates {
                match year_of(v) {
                    None => {
                        schema = (
                            Status::Ko,
                            Some("DATE_FORMAT".into()),
                            Some(json!({"unit": u.id, k.as_str(): v})),
                        );
                        break;
                    }
                    Some(y) if y >= 9000 => {
                        schema = (
                            Status::Ko,
                            Some("RULE_DATE_THRESHOLD".into()),
                            Some(json!({"unit": u.id, k.as_str(): v})),
                        );
                        break;
                    }
                    _ => {}
                }
            }
        }
        if schema.0 == Status::Ok {
            let get = |n: &str| {
                u.dates
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.as_str())
            };
            if let (Some(s), Some(e)) = (get("StartDate"), get("EndDate"))
                && e.get(..10).unwrap_or(e) < s.get(..10).unwrap_or(s)
            {
                schema = (
                    Status::Ko,
                    Some("CONSISTENCY".into()),
                    Some(json!({"unit": u.id, "StartDate": s, "EndDate": e})),
                );
            }
        }
        if schema.0 == Status::Ok
            && let Some((code, msg)) = rule_errors.get(&u.id)
            && code.starts_with("CHECK_UNIT_SCHEMA.")
        {
            let (_, rest, st) = split_code(code);
            schema = (
                st,
                rest.map(str::to_string),
                Some(json!({"unit": u.id, "error": msg})),
            );
        }
        if schema.0 == Status::Ok
            && let Some((code, d)) = unit_problems.get(&u.id)
        {
            let mut d = d.clone();
            d["unit"] = json!(u.id);
            schema = (Status::Ko, Some(code.to_string()), Some(d));
        }
        rec.item("CHECK_UNIT_SCHEMA", schema.0, schema.1.as_deref(), schema.2);
        // CHECK_ARCHIVE_UNIT_PROFILE
        let aup: (Status, Option<&str>, Option<Value>) = match (&u.aup, &refs.archive_unit_profiles)
        {
            (None, _) => (Status::Ok, None, None),
            (Some(_), None) => (Status::Ok, None, skipped("archive-unit-profiles.json")),
            (Some(p), Some(_)) => match refs.archive_unit_profile(p) {
                None => (
                    Status::Ko,
                    Some("PROFILE_NOT_FOUND"),
                    Some(json!({"unit": u.id, "ArchiveUnitProfile": p})),
                ),
                Some(a) if !a.is_active() => (
                    Status::Ko,
                    Some("INACTIVE_STATUS"),
                    Some(json!({"unit": u.id, "ArchiveUnitProfile": p})),
                ),
                Some(a) => match &a.control_schema {
                    None => (
                        Status::Ko,
                        Some("EMPTY_CONTROL_SCHEMA"),
                        Some(json!({"unit": u.id, "ArchiveUnitProfile": p})),
                    ),
                    Some(s) => {
                        let missing: Vec<&str> = s
                            .get("required")
                            .and_then(Value::as_array)
                            .map(|r| {
                                r.iter()
                                    .filter_map(Value::as_str)
                                    .filter(|k| !u.content_keys.iter().any(|c| c == k))
                                    .collect()
                            })
                            .unwrap_or_default();
                        if missing.is_empty() {
                            (Status::Ok, None, None)
                        } else {
                            (
                                Status::Ko,
                                Some("NOT_AU_JSON_VALID"),
                                Some(json!({"unit": u.id, "missing": missing})),
                            )
                        }
                    }
                },
            },
        };
        rec.item("CHECK_ARCHIVE_UNIT_PROFILE", aup.0, aup.1, aup.2);
        // CHECK_CLASSIFICATION_LEVEL
        let levels = if u.classification_levels.is_empty() {
            mm_levels
        } else {
            &u.classification_levels
        };
        let bad = levels
            .iter()
            .find(|l| !platform.classification_list.iter().any(|a| a == *l));
        let cl = match bad {
            Some(l) => (
                Status::Ko,
                Some(json!({"unit": u.id, "ClassificationLevel": l})),
            ),
            None if !platform.classification_level_optional
                && (u.has_classification_rule || m.mm_has_classification_rule)
                && levels.is_empty() =>
            {
                (
                    Status::Ko,
                    Some(json!({"unit": u.id, "missing": "ClassificationLevel"})),
                )
            }
            None => (Status::Ok, None),
        };
        rec.item("CHECK_CLASSIFICATION_LEVEL", cl.0, None, cl.1);
        // UNITS_RULES_COMPUTE
        if refs.rules.is_some() {
            match rule_errors.get(&u.id) {
                Some((code, msg)) if code.starts_with("UNITS_RULES_COMPUTE.") => {
                    let (_, rest, st) = split_code(code);
                    rec.item(
                        "UNITS_RULES_COMPUTE",
                        st,
                        rest,
                        Some(json!({"unit": u.id, "error": msg})),
                    );
                }
                _ => rec.item("UNITS_RULES_COMPUTE", Status::Ok, None, None),
            }
        }
        let worst = schema.0.max(aup.0).max(cl.0);
        rec.unit_lifecycle(
            &u.id,
            super::Event::new("LFC.CHECK_UNIT", worst, None, None),
        );
    }
    if refs.rules.is_none() {
        rec.action(
            "UNITS_RULES_COMPUTE",
            Status::Ok,
            None,
            skipped("rules.csv"),
        );
    }
    match (&refs.rules, rules_input) {
        (Some(rr), Some(mu)) if !rec.is_stopped() => compute_inherited_rules(&mu.units, rr).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_codes() {
        assert_eq!(
            split_code("CHECK_SEDA.CONTAINER_FORMAT.FILE.KO"),
            ("CHECK_SEDA", Some("CONTAINER_FORMAT.FILE"), Status::Ko)
        );
        assert_eq!(
            split_code("CHECK_OBJECT_SIZE.WARNING"),
            ("CHECK_OBJECT_SIZE", None, Status::Warning)
        );
    }

    #[test]
    fn years() {
        assert_eq!(year_of("2019-05-01"), Some(2019));
        assert_eq!(year_of("9001"), Some(9001));
        assert_eq!(year_of("x"), None);
    }
}
