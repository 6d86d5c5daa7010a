//! CLI commands implemented in this file: `vas rules compute`, `vas rules eliminable`, `vas rules import-check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};
use vas_core::referential::{AgenciesReferential, RuleCategory, RulesReferential};
use vas_core::rules::{self, InheritedRules, ManifestUnits};
use vas_core::{Error, ErrorKind, Result};

use crate::util::{self, EXIT_INVALID};

/// Arguments of `vas rules compute`.
#[derive(clap::Args)]
pub struct RulesComputeArgs {
    /// Directory holding the referentials: `rules.csv` (required), `agencies.csv` (optional).
    #[arg(long, value_name = "DIR")]
    referentials: PathBuf,
    /// A SIP (.zip), a manifest (.xml), a directory holding manifest.xml, or units as JSON (.json).
    #[arg(value_name = "SIP|MANIFEST")]
    input: PathBuf,
    /// Reference date (yyyy-MM-dd): also print what the rules allow at that date.
    #[arg(long, value_name = "DATE")]
    at: Option<String>,
    /// Only print this unit (manifest id).
    #[arg(long, value_name = "ID")]
    unit: Option<String>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

/// Arguments of `vas rules eliminable`.
#[derive(clap::Args)]
pub struct RulesEliminableArgs {
    /// Directory holding the referentials: `rules.csv` (required), `agencies.csv` (optional).
    #[arg(long, value_name = "DIR")]
    referentials: PathBuf,
    /// A SIP (.zip), a manifest (.xml), a directory holding manifest.xml, or units as JSON (.json).
    #[arg(value_name = "SIP|MANIFEST")]
    input: PathBuf,
    /// Reference date of the analysis (yyyy-MM-dd).
    #[arg(long, value_name = "DATE")]
    at: String,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

/// Arguments of `vas rules import-check`.
#[derive(clap::Args)]
pub struct RulesImportCheckArgs {
    /// The referential CSV to check (rules; an agencies CSV is recognised by its header).
    #[arg(value_name = "RULES.csv")]
    file: PathBuf,
    /// A tenant minimum duration, e.g. `AppraisalRule=6DAY` (repeatable; Vitam's
    /// `listMinimumRuleDuration`).
    #[arg(long = "minimum", value_name = "CATEGORY=DURATION")]
    minimums: Vec<String>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

/// Loads `DIR/rules.csv` and, when present, `DIR/agencies.csv`.
fn load_referentials(dir: &Path) -> Result<(RulesReferential, Option<AgenciesReferential>)> {
    if !dir.is_dir() {
        return Err(
            Error::new(ErrorKind::NotFound, "referentials directory not found").with_path(dir),
        );
    }
    let rules = RulesReferential::from_csv_path(dir.join("rules.csv"))?;
    let agencies_path = dir.join("agencies.csv");
    let agencies = if agencies_path.exists() {
        Some(AgenciesReferential::from_csv_path(&agencies_path)?)
    } else {
        None
    };
    Ok((rules, agencies))
}

fn load_units(input: &Path) -> Result<ManifestUnits> {
    let is_json = input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let bytes = std::fs::read(input).map_err(|e| Error::from(e).or_path(input))?;
        rules::read_units_json(&bytes).map_err(|e| e.or_path(input))
    } else {
        // the manifest goes through the typed SEDA model, then the rules adapter
        let bytes = rules::manifest_bytes(input)?;
        let doc = vas_core::seda::Document::from_slice(&bytes).map_err(|e| e.or_path(input))?;
        rules::units_from_seda(&doc).map_err(|e| e.or_path(input))
    }
}

fn warn_unknown_agencies(units: &ManifestUnits, agencies: Option<&AgenciesReferential>) {
    let Some(agencies) = agencies else { return };
    let mut seen = std::collections::BTreeSet::new();
    for u in &units.units {
        if let Some(a) = &u.originating_agency
            && !agencies.contains(a)
            && seen.insert(a.clone())
        {
            eprintln!("vas: warning: originating agency {a} is not in agencies.csv");
        }
    }
}

/// Loads everything and computes; a rules error (Vitam outcome code) becomes exit 1.
fn compute(
    referentials: &Path,
    input: &Path,
) -> Result<std::result::Result<(ManifestUnits, InheritedRules), ExitCode>> {
    let (referential, agencies) = load_referentials(referentials)?;
    let units = load_units(input)?;
    warn_unknown_agencies(&units, agencies.as_ref());
    match rules::compute_inherited_rules(&units.units, &referential) {
        Ok(c) => Ok(Ok((units, c))),
        Err(e) if e.context().code.is_some() => {
            eprintln!("vas: error: {}", util::one_line(&e.chain()));
            Ok(Err(ExitCode::from(EXIT_INVALID)))
        }
        Err(e) => Err(e.or_path(input)),
    }
}

fn parse_at(at: &str) -> Result<time::Date> {
    rules::parse_date(at)
        .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("--at: {}", e.message())))
}

fn date_str(d: Option<time::Date>) -> String {
    d.map(rules::format_date).unwrap_or_else(|| "-".into())
}

/// `vas rules compute`.
pub fn rules_compute(args: RulesComputeArgs) -> Result<ExitCode> {
    if args.json {
        // the same JSON as the bindings' `compute_rules`, from the one entry point
        let opts = vas_core::api::RulesOptions {
            unit: args.unit.clone(),
            at: args.at.clone(),
        };
        let v = match vas_core::api::compute_rules(
            &args.referentials,
            vas_core::api::Input::Path(&args.input),
            &opts,
        ) {
            Ok(v) => v,
            Err(e) if e.context().code.is_some() => {
                eprintln!("vas: error: {}", util::one_line(&e.chain()));
                return Ok(ExitCode::from(EXIT_INVALID));
            }
            Err(e) => return Err(e),
        };
        util::print_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    let at = args.at.as_deref().map(parse_at).transpose()?;
    let (units, computed) = match compute(&args.referentials, &args.input)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let selected: Vec<&str> = match &args.unit {
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
    for id in &selected {
        let Some(r) = computed.unit(id) else { continue };
        println!("unit {id}  {}", computed.title(id).unwrap_or(""));
        for c in RuleCategory::ALL {
            let cat = r.category(c);
            for rule in &cat.rules {
                let paths: Vec<String> = rule.paths.iter().map(|p| p.join(" < ")).collect();
                println!(
                    "  {:<18} {:<12} {} → {}  from {} ({})  via {}",
                    c.name(),
                    rule.rule,
                    date_str(rule.start_date),
                    date_str(rule.end_date),
                    rule.unit_id,
                    rule.originating_agency.as_deref().unwrap_or("-"),
                    paths.join(" | ")
                );
            }
            for p in &cat.properties {
                println!(
                    "  {:<18} {}={}  from {}",
                    c.name(),
                    p.name,
                    p.value.to_json(),
                    p.unit_id
                );
            }
        }
        for p in &r.global_properties {
            println!(
                "  {:<18} {}={}  from {}",
                "Global",
                p.name,
                p.value.to_json(),
                p.unit_id
            );
        }
        if let Some(at) = at
            && let Some(d) = computed.decisions(id, at)
        {
            println!(
                "  at {}: communicable={} disseminable={} reusable={} under_hold={}{}{}",
                rules::format_date(at),
                d.communicable,
                d.disseminable,
                d.reusable,
                d.under_hold(),
                if d.classification_levels.is_empty() {
                    String::new()
                } else {
                    format!(" classification={}", d.classification_levels.join("/"))
                },
                if d.need_authorization {
                    " need_authorization"
                } else {
                    ""
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `vas rules eliminable`.
pub fn rules_eliminable(args: RulesEliminableArgs) -> Result<ExitCode> {
    let at = parse_at(&args.at)?;
    let (_, computed) = match compute(&args.referentials, &args.input)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let analysis = computed.analyze_elimination(at);
    let action = computed.elimination_action(&analysis);
    let count = |s: rules::EliminationStatus| analysis.iter().filter(|a| a.status == s).count();
    let deleted = action
        .iter()
        .filter(|a| a.status == rules::EliminationActionStatus::Deleted)
        .count();
    if args.json {
        let units: Vec<Value> = analysis
            .iter()
            .zip(&action)
            .map(|(a, act)| {
                let mut v = a.to_json();
                v["Title"] = json!(computed.title(&a.unit_id));
                v["Action"] = json!(act.status.name());
                v
            })
            .collect();
        util::print_json(&json!({
            "at": rules::format_date(at),
            "summary": {
                "KEEP": count(rules::EliminationStatus::Keep),
                "DESTROY": count(rules::EliminationStatus::Destroy),
                "CONFLICT": count(rules::EliminationStatus::Conflict),
                "DELETED": deleted,
            },
            "units": units,
        }))?;
    } else {
        for (a, act) in analysis.iter().zip(&action) {
            let info: Vec<&str> = a.extended_info.iter().map(|i| i.type_name()).collect();
            println!(
                "{:<8} {:<32} {:<24} {}{}",
                a.status.name(),
                a.unit_id,
                act.status.name(),
                computed.title(&a.unit_id).unwrap_or(""),
                if info.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", info.join(", "))
                }
            );
        }
        println!(
            "at {}: {} KEEP, {} DESTROY, {} CONFLICT; an elimination would delete {}",
            rules::format_date(at),
            count(rules::EliminationStatus::Keep),
            count(rules::EliminationStatus::Destroy),
            count(rules::EliminationStatus::Conflict),
            deleted
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses `AppraisalRule=6DAY` / `AccessRule=5 year` / `HoldRule=unlimited`.
fn parse_minimum(s: &str) -> Result<(RuleCategory, vas_core::referential::RuleDuration)> {
    let bad = || {
        Error::invalid(format!(
            "--minimum {s:?}: expected CATEGORY=<n>YEAR|MONTH|DAY"
        ))
    };
    let (c, d) = s.split_once('=').ok_or_else(bad)?;
    let category: RuleCategory = c.trim().parse().map_err(|_| bad())?;
    let d = d.trim();
    let split = d.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(d.len());
    let (n, unit) = d.split_at(split);
    let duration = if n.is_empty() {
        vas_core::referential::RuleDuration::parse(unit.trim(), None)
    } else {
        vas_core::referential::RuleDuration::parse(n, Some(unit.trim()))
    }
    .map_err(|_| bad())?;
    Ok((category, duration))
}

/// One reported line error: line, column, value, code, message.
type LineError = (u64, Option<String>, String, String, String);

/// `vas rules import-check`.
pub fn rules_import_check(args: RulesImportCheckArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.file).map_err(|e| Error::from(e).or_path(&args.file))?;
    let header = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let is_agencies = header.starts_with(b"Identifier");
    let (kind, records, errors): (&str, Option<usize>, Vec<LineError>) = if is_agencies {
        match AgenciesReferential::check_csv(&bytes) {
            Ok(errs) => (
                "agencies",
                None,
                errs.into_iter()
                    .map(|e| {
                        (
                            e.line,
                            e.column,
                            e.value,
                            e.code.vitam_code().to_owned(),
                            e.message,
                        )
                    })
                    .collect(),
            ),
            Err(e) if e.context().code.is_some() => (
                "agencies",
                None,
                vec![(
                    e.context().line.unwrap_or(0),
                    None,
                    String::new(),
                    e.context().code.clone().unwrap_or_default(),
                    e.message().to_owned(),
                )],
            ),
            Err(e) => return Err(e.or_path(&args.file)),
        }
    } else {
        let minimums = args
            .minimums
            .iter()
            .map(|m| parse_minimum(m))
            .collect::<Result<Vec<_>>>()?;
        match RulesReferential::check_csv_with_minimums(&bytes, &minimums) {
            Ok(r) => (
                "rules",
                Some(r.records),
                r.errors
                    .into_iter()
                    .map(|e| {
                        (
                            e.line,
                            e.column,
                            e.value,
                            e.code.vitam_code().to_owned(),
                            e.message,
                        )
                    })
                    .collect(),
            ),
            Err(e) if e.context().code.is_some() => (
                "rules",
                None,
                vec![(
                    e.context().line.unwrap_or(0),
                    None,
                    String::new(),
                    e.context().code.clone().unwrap_or_default(),
                    e.message().to_owned(),
                )],
            ),
            Err(e) => return Err(e.or_path(&args.file)),
        }
    };
    let valid = errors.is_empty();
    if args.json {
        util::print_json(&json!({
            "file": args.file.display().to_string(),
            "referential": kind,
            "valid": valid,
            "records": records,
            "errors": errors.iter().map(|(line, col, value, code, msg)| json!({
                "line": line, "column": col, "value": value, "code": code, "message": msg,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        for (line, col, value, code, msg) in &errors {
            let col = col
                .as_deref()
                .map(|c| format!(", column {c}"))
                .unwrap_or_default();
            let value = if value.is_empty() {
                String::new()
            } else {
                format!(" (value {value:?})")
            };
            println!("{}:{line}{col}: {msg} [{code}]{value}", args.file.display());
        }
        if valid {
            println!(
                "{}: valid {kind} referential{}",
                args.file.display(),
                records.map(|n| format!(" ({n} rules)")).unwrap_or_default()
            );
        } else {
            println!(
                "{}: invalid {kind} referential, {} error(s)",
                args.file.display(),
                errors.len()
            );
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    })
}
