//! One-call entry points: what the `vas` commands do, minus the printing.
//!
//! Applications and the three bindings (C, Python, Node) call these and only convert
//! arguments and results, so every language gets the same behaviour as the command line:
//! validate a manifest (strict or Vitam-lenient schema, optional RelaxNG profile), read its
//! statistics, rewrite it (optionally into another SEDA version), identify a format,
//! compute inherited rules, run the ingest controls (dry run).
//!
//! ```
//! use vas_core::api::{Input, ValidateOptions, validate_manifest};
//! let xml = br#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3"/>"#;
//! let v = validate_manifest(Input::Bytes(xml), &ValidateOptions::default()).unwrap();
//! assert!(!v.valid); // the header is missing
//! assert!(!v.findings.is_empty());
//! ```

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use crate::format::{FormatRegistry, Identification};
use crate::schema::{
    Finding, FindingKind, Mode, RelaxNg, SchemaSet, SedaVersion, ValidationOptions,
    detect_seda_version,
};
use crate::seda::{Document, Stats};
use crate::{Error, ErrorKind, Result};

/// A document to read: a file or bytes in memory.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A file path.
    Path(&'a Path),
    /// Bytes in memory.
    Bytes(&'a [u8]),
}

impl Input<'_> {
    fn open(&self) -> Result<Box<dyn BufRead + '_>> {
        match self {
            Input::Path(p) => {
                let f = std::fs::File::open(p).map_err(|e| Error::from(e).with_path(p))?;
                Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, f)))
            }
            Input::Bytes(b) => Ok(Box::new(*b)),
        }
    }

    fn path(&self) -> Option<PathBuf> {
        match self {
            Input::Path(p) => Some(p.to_path_buf()),
            Input::Bytes(_) => None,
        }
    }
}

/// Options of [`validate_manifest`] (those of `vas manifest check`).
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// `"strict"` (default: the official schemas, agrees with xmllint) or `"vitam"`.
    pub mode: Option<String>,
    /// A RelaxNG archival profile to check too.
    pub profile: Option<PathBuf>,
    /// Force the SEDA version (`"2.1"`, `"2.2"`, `"2.3"`) instead of detecting it.
    pub seda_version: Option<String>,
    /// Stop after this many findings (default 1000).
    pub max_findings: Option<usize>,
    /// Do not check that ID references (IDREF) resolve (libxml2 does not either).
    pub no_references: bool,
}

/// The verdict on a manifest.
#[derive(Debug, Clone)]
pub struct Validation {
    /// No finding.
    pub valid: bool,
    /// The SEDA version validated against (`None` when the root element is not SEDA or
    /// not well-formed).
    pub seda_version: Option<String>,
    /// `"strict"` or `"vitam"`.
    pub mode: &'static str,
    /// Every finding (schema, references, profile, XML).
    pub findings: Vec<Finding>,
    /// Whether findings were dropped because of `max_findings`.
    pub truncated: bool,
}

/// Validates a SEDA manifest as `vas manifest check` does: an unreadable file or a bad
/// option or profile is an error; a malformed or non-SEDA document is a verdict
/// (`valid == false` with one finding).
pub fn validate_manifest(input: Input<'_>, opts: &ValidateOptions) -> Result<Validation> {
    let mode: Mode = opts.mode.as_deref().unwrap_or("strict").parse()?;
    let mode_name = if mode == Mode::Strict {
        "strict"
    } else {
        "vitam"
    };
    let profile = match &opts.profile {
        Some(p) => Some(RelaxNg::from_file(p)?.with_processor(mode.profile_processor())),
        None => None,
    };
    let version = match &opts.seda_version {
        Some(v) => v.parse::<SedaVersion>()?,
        None => match detect_seda_version(input.open()?) {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::Io => {
                return Err(match input.path() {
                    Some(p) => e.with_path(p),
                    None => e,
                });
            }
            Err(e) => {
                let finding = Finding {
                    line: e.context().line.unwrap_or(0),
                    column: e.context().column.unwrap_or(0),
                    path: String::new(),
                    message: e.message().to_string(),
                    kind: match e.kind() {
                        ErrorKind::Unsafe => FindingKind::Unsafe,
                        ErrorKind::LimitExceeded => FindingKind::Limit,
                        ErrorKind::Unsupported => FindingKind::Schema,
                        _ => FindingKind::Xml,
                    },
                };
                return Ok(Validation {
                    valid: false,
                    seda_version: None,
                    mode: mode_name,
                    findings: vec![finding],
                    truncated: false,
                });
            }
        },
    };
    let set = SchemaSet::seda_mode(version, mode)?;
    let vopts = ValidationOptions {
        max_findings: opts.max_findings.unwrap_or(1000),
        check_references: !opts.no_references,
        ..ValidationOptions::default()
    };
    let report = set.validate_reader(input.open()?, &vopts);
    let mut findings: Vec<Finding> = report.all_findings().cloned().collect();
    let mut truncated = report.truncated;
    if let Some(p) = &profile
        && report.complete
    {
        let pr = p.validate_reader(input.open()?, &vopts);
        truncated |= pr.truncated;
        findings.extend(pr.findings);
    }
    Ok(Validation {
        valid: findings.is_empty() && !truncated,
        seda_version: Some(version.to_string()),
        mode: mode_name,
        findings,
        truncated,
    })
}

/// Parses a manifest (SEDA 2.1/2.2/2.3).
pub fn parse_manifest(input: Input<'_>) -> Result<Document> {
    match input {
        Input::Path(p) => Document::from_file(p),
        Input::Bytes(b) => Document::from_slice(b),
    }
}

/// Statistics of a manifest (`vas manifest stats`): version, root element, counts of
/// units / references / groups / objects, roots, max depth, cycle.
pub fn manifest_stats(input: Input<'_>) -> Result<Stats> {
    Ok(parse_manifest(input)?.stats())
}

/// Parses a manifest and serializes it again (`vas manifest rewrite`), in its own SEDA
/// version or in `seda_version`.
pub fn rewrite_manifest(input: Input<'_>, seda_version: Option<&str>) -> Result<Vec<u8>> {
    let doc = parse_manifest(input)?;
    let version = match seda_version {
        Some(v) => v.parse::<crate::seda::SedaVersion>()?,
        None => doc.version,
    };
    doc.write_as(version).map_err(|e| match input.path() {
        Some(p) => e.or_path(p),
        None => e,
    })
}

/// Identifies the format of a file or of bytes with the bundled PRONOM signatures
/// (`vas format identify`). `name_hint` (a file name) enables extension matching for
/// bytes.
pub fn identify(input: Input<'_>, name_hint: Option<&str>) -> Result<Identification> {
    let reg = FormatRegistry::bundled()?;
    match input {
        Input::Path(p) => reg.identify_path(p),
        Input::Bytes(b) => Ok(reg.identify_bytes(b, name_hint)),
    }
}

/// Options of [`compute_rules`] (those of `vas rules compute --json`).
#[derive(Debug, Clone, Default)]
pub struct RulesOptions {
    /// Only this unit (its manifest `id`); `None`: every unit.
    pub unit: Option<String>,
    /// Also give the decisions at this date (`YYYY-MM-DD`): communicable, disseminable,
    /// reusable, under hold, classification.
    pub at: Option<String>,
}

/// Computes the inherited rules of every unit of a manifest (or of a units JSON file,
/// `Input::Path` ending in `.json`) against `REFDIR/rules.csv`, as
/// `vas rules compute --json` prints them: `{"units":[{"id","title","inheritedRules",
/// "management","computedInheritedRules","decisions"?}…]}`. A rules error (unknown rule,
/// wrong category …) is an [`ErrorKind::InvalidInput`] error carrying Vitam's outcome code.
pub fn compute_rules(
    referentials: &Path,
    input: Input<'_>,
    opts: &RulesOptions,
) -> Result<serde_json::Value> {
    use crate::referential::RulesReferential;
    use crate::rules;
    use serde_json::{Value, json};
    if !referentials.is_dir() {
        return Err(
            Error::new(ErrorKind::NotFound, "referentials directory not found")
                .with_path(referentials),
        );
    }
    let at = opts
        .at
        .as_deref()
        .map(|a| {
            rules::parse_date(a)
                .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("at: {}", e.message())))
        })
        .transpose()?;
    let referential = RulesReferential::from_csv_path(referentials.join("rules.csv"))?;
    let with_path = |e: Error| match input.path() {
        Some(p) => e.or_path(p),
        None => e,
    };
    let is_json = input
        .path()
        .and_then(|p| p.extension().map(|e| e.eq_ignore_ascii_case("json")))
        .unwrap_or(false);
    let units = if is_json {
        let mut bytes = Vec::new();
        input
            .open()?
            .read_to_end(&mut bytes)
            .map_err(|e| with_path(Error::from(e)))?;
        rules::read_units_json(&bytes).map_err(with_path)?
    } else {
        let bytes = match input {
            Input::Path(p) => rules::manifest_bytes(p)?,
            Input::Bytes(b) => b.to_vec(),
        };
        let doc = Document::from_slice(&bytes).map_err(with_path)?;
        rules::units_from_seda(&doc).map_err(with_path)?
    };
    let computed = rules::compute_inherited_rules(&units.units, &referential).map_err(with_path)?;
    let selected: Vec<&str> = match &opts.unit {
        Some(id) => {
            if computed.unit(id).is_none() {
                return Err(
                    Error::new(ErrorKind::NotFound, format!("no unit {id} in the input"))
                        .with_id(id.clone()),
                );
            }
            vec![id.as_str()]
        }
        None => units.units.iter().map(|u| u.id.as_str()).collect(),
    };
    let mut out = Vec::with_capacity(selected.len());
    for id in &selected {
        let Some(r) = computed.unit(id) else { continue };
        let mut o = serde_json::Map::new();
        o.insert("id".into(), json!(id));
        o.insert("title".into(), json!(computed.title(id)));
        o.insert("inheritedRules".into(), r.to_json());
        o.insert(
            "management".into(),
            computed.management_json(id).unwrap_or_default(),
        );
        o.insert("computedInheritedRules".into(), r.summary());
        if let Some(at) = at
            && let Some(d) = computed.decisions(id, at)
        {
            o.insert("decisions".into(), d.to_json());
        }
        out.push(Value::Object(o));
    }
    Ok(json!({ "units": out }))
}

/// The result of [`dry_run_ingest`].
#[derive(Debug, Clone)]
pub struct IngestCheck {
    /// `true` when the SIP is accepted (OK or WARNING).
    pub accepted: bool,
    /// The operation report, as `vas ingest --dry-run --report` writes it.
    pub report: serde_json::Value,
    /// The ArchiveTransferReply (XML, in the SIP's SEDA version).
    pub atr: String,
}

/// Runs Vitam's ingest controls on a SIP without storing anything
/// (`vas ingest --dry-run --referentials DIR [--context ID]`). `referentials` is a
/// referentials directory (see [`crate::referential::Referentials::load_dir`]); `None`
/// skips the checks that need one.
pub fn dry_run_ingest(
    sip: &Path,
    referentials: Option<&Path>,
    context: Option<&str>,
) -> Result<IngestCheck> {
    dry_run_ingest_with_progress(sip, referentials, context, None, None)
}

/// [`dry_run_ingest`] calling `progress(bytes read, total bytes)` as the objects are read,
/// and stopping with [`Error::cancelled`](crate::Error::cancelled) at the next call once
/// `cancel` is true.
pub fn dry_run_ingest_with_progress(
    sip: &Path,
    referentials: Option<&Path>,
    context: Option<&str>,
    progress: Option<crate::ingest::Progress>,
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> Result<IngestCheck> {
    let refs = match referentials {
        Some(d) => crate::referential::Referentials::load_dir(d)?,
        None => crate::referential::Referentials::default(),
    };
    let mut opts = crate::ingest::DryRunOptions {
        context: context.map(str::to_string),
        progress,
        cancel,
        report_only: true,
        ..Default::default()
    };
    if let Some(d) = referentials {
        opts.load_from_referentials_dir(d)?;
    }
    let run = crate::ingest::dry_run(sip, &refs, &opts)?;
    Ok(IngestCheck {
        accepted: run.report.outcome.is_accepted(),
        report: run.report.to_json(),
        atr: run.atr,
    })
}

/// Options of [`inspect_sip`] (those of `vas sip inspect`).
#[derive(Debug, Clone)]
pub struct InspectOptions {
    /// Package reading limits (total size, entries, compression ratio …).
    pub limits: crate::sip::Limits,
    /// Re-compute every declared digest and size (default `true`); `false` checks the
    /// container rules and the declared files only.
    pub digests: bool,
    /// Add `entry_list`: every entry with its size and kind.
    pub entries: bool,
    /// Add `tree`: the archive-unit tree (`depth`, `id`, `title`).
    pub tree: bool,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            limits: crate::sip::Limits::default(),
            digests: true,
            entries: false,
            tree: false,
        }
    }
}

/// The result of [`inspect_sip`].
#[derive(Debug)]
pub struct SipInspection {
    /// The document `vas sip inspect --json` prints: `path`, `container`, `entries`,
    /// `files`, `size`, `manifest`, `manifest_sha512`, `header`, `counts`,
    /// `declared_files`, `present_files`, `digests_checked`, `digests_ok`, `violations`,
    /// `entry_list`, `tree` and `verdict` (`OK`, `WARNING`, `KO`); or, for a package that
    /// cannot be read safely, `{path, verdict: "REFUSED", error: {kind, message, entry, code}}`.
    pub json: serde_json::Value,
    /// Why the package was refused (unsafe names, bombs, corruption, not a package …),
    /// when `verdict` is `REFUSED`.
    pub refusal: Option<Error>,
}

/// Errors that make a package `REFUSED` rather than failing the inspection.
fn is_refusal(k: ErrorKind) -> bool {
    matches!(
        k,
        ErrorKind::Unsafe
            | ErrorKind::LimitExceeded
            | ErrorKind::Corrupt
            | ErrorKind::InvalidInput
            | ErrorKind::Unsupported
    )
}

/// (depth, id, title) lines of the unit DAG, depth-first from the roots (a cycle is cut;
/// at most 100 000 lines).
fn unit_tree(doc: &Document) -> Vec<(usize, String, String)> {
    let g = doc.unit_graph();
    let mut out = Vec::new();
    let mut stack: Vec<(usize, usize, Vec<usize>)> = g
        .roots()
        .into_iter()
        .rev()
        .map(|r| (r, 0, Vec::new()))
        .collect();
    while let Some((u, depth, path)) = stack.pop() {
        if path.contains(&u) || out.len() >= 100_000 {
            continue;
        }
        out.push((
            depth,
            g.id(u).to_string(),
            g.unit(u).title().unwrap_or("").to_string(),
        ));
        let mut p = path.clone();
        p.push(u);
        for c in g.children(u).iter().rev() {
            stack.push((*c, depth + 1, p.clone()));
        }
    }
    out
}

/// Inspects a package (zip, tar, tar.gz, tar.bz2 or a folder) as `vas sip inspect`
/// does: Vitam's container rules, the manifest's header and counts, declared vs present
/// files and (unless `digests` is off) every digest and size. A package that cannot be
/// read safely is a `REFUSED` verdict, not an error; an I/O error is an error.
pub fn inspect_sip(sip: &Path, opts: &InspectOptions) -> Result<SipInspection> {
    use crate::digest::{DigestAlgorithm, digest_bytes};
    use crate::sip::{SipReader, SipReport, scan_manifest};
    use serde_json::json;
    let mut r = match SipReader::open(sip, opts.limits.clone()) {
        Ok(r) => r,
        Err(e) if is_refusal(e.kind()) => {
            let json = json!({
                "path": sip.display().to_string(),
                "verdict": "REFUSED",
                "error": {
                    "kind": e.kind().name(),
                    "message": e.message(),
                    "entry": e.context().path.as_ref().map(|p| p.display().to_string()),
                    "code": e.context().code,
                }
            });
            return Ok(SipInspection {
                json,
                refusal: Some(e),
            });
        }
        Err(e) => return Err(e),
    };
    let report: SipReport = if !opts.digests {
        let mut check = r.check_container();
        let summary = match r.manifest_bytes() {
            Ok(b) => scan_manifest(&b).ok(),
            Err(_) => None,
        };
        if let Some(s) = &summary {
            let uris = r.check_uris(s.objects.iter().filter_map(|o| o.uri.as_deref()));
            check.violations.extend(uris.violations);
        }
        SipReport {
            summary,
            check,
            digests_ok: 0,
        }
    } else {
        r.verify()?
    };
    let tree = if opts.tree {
        r.manifest_bytes()
            .ok()
            .and_then(|b| Document::from_slice(&b).ok())
            .map(|doc| unit_tree(&doc))
    } else {
        None
    };
    let manifest_digest = r
        .manifest_bytes()
        .ok()
        .map(|b| digest_bytes(DigestAlgorithm::Sha512, &b));
    let files: Vec<_> = r.files().collect();
    let total: u64 = files.iter().map(|e| e.size).sum();
    let verdict = if !report.check.is_ok() {
        "KO"
    } else if report.check.violations.is_empty() {
        "OK"
    } else {
        "WARNING"
    };
    let s = report.summary.as_ref();
    let json = json!({
        "path": sip.display().to_string(),
        "container": r.container_kind().name(),
        "entries": r.entries().len(),
        "files": files.len(),
        "size": total,
        "manifest": r.manifest_name(),
        "manifest_sha512": manifest_digest,
        "header": s.map(|s| json!({
            "seda_version": s.seda_version,
            "namespace": s.namespace,
            "message_identifier": s.message_identifier,
            "archival_agreement": s.archival_agreement,
            "archival_agency": s.archival_agency,
            "transferring_agency": s.transferring_agency,
            "archival_profile": s.archival_profile,
            "originating_agency": s.originating_agency,
            "submission_agency": s.submission_agency,
            "comment": s.comment,
        })),
        "counts": s.map(|s| json!({
            "units": s.unit_count,
            "object_groups": s.object_group_count,
            "binary_objects": s.objects.len(),
            "physical_objects": s.physical_object_count,
        })),
        "declared_files": s.map(|s| s.objects.iter().filter(|o| o.uri.is_some()).count()),
        "present_files": files.len().saturating_sub(usize::from(r.manifest_name().is_some())),
        "digests_checked": opts.digests,
        "digests_ok": report.digests_ok,
        "violations": report.check.violations.iter().map(|v| json!({
            "code": v.code,
            "kind": v.kind.name(),
            "entry": v.entry,
            "id": v.id,
            "message": v.message,
            "warning": v.warning,
        })).collect::<Vec<_>>(),
        "entry_list": if opts.entries {
            Some(r.entries().iter().map(|e| json!({
                "name": e.name,
                "size": e.size,
                "kind": format!("{:?}", e.kind).to_lowercase(),
                "compressed_size": e.compressed_size,
            })).collect::<Vec<_>>())
        } else { None },
        "tree": tree.as_ref().map(|t| t.iter().map(|(d, id, title)| json!({
            "depth": d, "id": id, "title": title,
        })).collect::<Vec<_>>()),
        "verdict": verdict,
    });
    Ok(SipInspection {
        json,
        refusal: None,
    })
}
