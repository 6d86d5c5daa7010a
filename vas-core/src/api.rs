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
        Some(p) => Some(RelaxNg::from_file(p)?),
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
    let refs = match referentials {
        Some(d) => crate::referential::Referentials::load_dir(d)?,
        None => crate::referential::Referentials::default(),
    };
    let mut opts = crate::ingest::DryRunOptions {
        context: context.map(str::to_string),
        ..Default::default()
    };
    if let Some(d) = referentials {
        opts.load_from_referentials_dir(d)?;
    }
    let run = crate::ingest::dry_run(sip, &refs, &opts)?;
    Ok(IngestCheck {
        accepted: run.validated.is_some(),
        report: run.report.to_json(),
        atr: run.atr,
    })
}
