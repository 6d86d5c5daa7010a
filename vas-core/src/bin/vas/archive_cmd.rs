//! `vas archive`: create an embedded archive, ingest, search, get, DIP, logbook, verify,
//! audit, rebuild.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use vas_core::archive::{Archive, DipOptions, EliminationOptions, IngestOptions, InitOptions};
use vas_core::{Error, ErrorKind, Result};

use crate::util::print_json;

/// Subcommands of `vas archive`.
#[derive(Subcommand)]
pub enum Cmd {
    /// Create an archive folder (default: two filesystem offers inside it, SQLite catalog).
    Init(InitArgs),
    /// Ingest a SIP into the archive (same as `vas ingest --archive DIR SIP`).
    Ingest(IngestArgs),
    /// Search units with Vitam's DSL under an access contract.
    Search(SearchArgs),
    /// Get a unit's document, or (with --usage) its object.
    Get(GetArgs),
    /// Export a DIP (ArchiveDeliveryRequestReply zip) for a query.
    Dip(DipArgs),
    /// Print the operation logbook, or one operation.
    Logbook(LogbookArgs),
    /// Check logbook chains, every object on every offer, and catalog/offers/logbook agreement.
    Verify(DirArgs),
    /// Audit every copy the catalog expects on every offer; --repair restores bad copies.
    Audit(AuditArgs),
    /// Rebuild the catalog from the offers alone.
    Rebuild(DirArgs),
    /// Add a tenant to an archive (its own catalog, logbook, contracts, referentials).
    AddTenant(AddTenantArgs),
    /// Eliminate the units a query selects whose appraisal rules allow it (tombstones on the
    /// offers); --dry-run only analyses (DESTROY / KEEP / CONFLICT and why).
    Eliminate(EliminateArgs),
}

/// `vas archive eliminate`.
#[derive(Args)]
pub struct EliminateArgs {
    /// The archive folder.
    dir: PathBuf,
    /// The access contract identifier (it needs writing permission, unless --dry-run).
    #[arg(long)]
    contract: String,
    /// The elimination date (YYYY-MM-DD): appraisal rules must have ended by it (default: today).
    #[arg(long)]
    date: Option<String>,
    /// Only analyse: report what would be eliminated and why the others are kept.
    #[arg(long)]
    dry_run: bool,
    /// A DSL query file (JSON) selecting the units, `-` for stdin.
    query: PathBuf,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas archive add-tenant`.
#[derive(Args)]
pub struct AddTenantArgs {
    /// The archive folder.
    dir: PathBuf,
    /// The tenant to add.
    #[arg(long)]
    tenant: u32,
    /// A referentials folder for this tenant (its access-contract files become its contracts).
    #[arg(long)]
    referentials: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas archive init`.
#[derive(Args)]
pub struct InitArgs {
    /// The archive folder (created; must be empty).
    dir: PathBuf,
    /// A referentials folder (its access-contract files become the archive's contracts).
    #[arg(long)]
    referentials: Option<PathBuf>,
    /// A storage configuration (TOML) instead of the two default filesystem offers.
    #[arg(long)]
    offers: Option<PathBuf>,
    /// The tenant.
    #[arg(long, default_value_t = 0)]
    tenant: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas archive ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// The archive folder.
    dir: PathBuf,
    /// The SIP (zip, tar, tar.gz, tar.bz2 or folder).
    sip: PathBuf,
    /// Write the ArchiveTransferReply here.
    #[arg(long)]
    atr: Option<PathBuf>,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas archive search`.
#[derive(Args)]
pub struct SearchArgs {
    /// The archive folder.
    dir: PathBuf,
    /// The access contract identifier.
    #[arg(long)]
    contract: String,
    /// A DSL query file (JSON), `-` for stdin.
    query: PathBuf,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON (the answer is always JSON; kept for symmetry).
    #[arg(long)]
    json: bool,
}

/// `vas archive get`.
#[derive(Args)]
pub struct GetArgs {
    /// The archive folder.
    dir: PathBuf,
    /// The access contract identifier.
    #[arg(long)]
    contract: String,
    /// The unit's system id.
    unit: String,
    /// Read the unit's object of this usage (BinaryMaster, Dissemination …).
    #[arg(long)]
    usage: Option<String>,
    /// Write the object to this file (default: stdout).
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas archive dip`.
#[derive(Args)]
pub struct DipArgs {
    /// The archive folder.
    dir: PathBuf,
    /// The access contract identifier.
    #[arg(long)]
    contract: String,
    /// A DSL query file (JSON).
    query: PathBuf,
    /// The DIP zip to write.
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// The SEDA version of the manifest (2.1, 2.2 or 2.3; default: that of the units' SIPs).
    #[arg(long)]
    seda_version: Option<vas_core::seda::SedaVersion>,
    /// Refuse the export when the units are not valid against the official XSD (instead of
    /// falling back to Vitam's lenient schema).
    #[arg(long)]
    strict: bool,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas archive logbook`.
#[derive(Args)]
pub struct LogbookArgs {
    /// The archive folder.
    dir: PathBuf,
    /// Only this operation (with its events).
    #[arg(long)]
    operation: Option<String>,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// An archive folder only.
#[derive(Args)]
pub struct DirArgs {
    /// The archive folder.
    dir: PathBuf,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas archive audit`.
#[derive(Args)]
pub struct AuditArgs {
    /// The archive folder.
    dir: PathBuf,
    /// Restore missing or corrupt copies from a good one.
    #[arg(long)]
    repair: bool,
    /// The tenant (default: the archive's own).
    #[arg(long)]
    tenant: Option<u32>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn read_query(p: &PathBuf) -> Result<Value> {
    let bytes = if p.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)?;
        b
    } else {
        std::fs::read(p).map_err(|e| Error::from(e).with_path(p))?
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the query is not JSON: {e}"),
        )
        .with_path(p)
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::internal(e.to_string()))
}

/// Runs `vas archive …`.
pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::AddTenant(a) => {
            Archive::add_tenant(&a.dir, a.tenant, a.referentials.as_deref())?;
            let ar = Archive::open_tenant(&a.dir, Some(a.tenant))?;
            let contracts: Vec<&str> = ar
                .contracts()
                .iter()
                .map(|c| c.identifier.as_str())
                .collect();
            if a.json {
                print_json(&json!({"archive": a.dir, "tenant": a.tenant, "contracts": contracts}))?;
            } else {
                println!(
                    "tenant {} added to {} (access contracts: {})",
                    a.tenant,
                    a.dir.display(),
                    contracts.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Init(a) => {
            let ar = Archive::create(
                &a.dir,
                &InitOptions {
                    offers: a.offers,
                    referentials: a.referentials,
                    tenant: a.tenant,
                },
            )?;
            let offers: Vec<&str> = ar.strategy().offers().iter().map(|o| o.id()).collect();
            let contracts: Vec<&str> = ar
                .contracts()
                .iter()
                .map(|c| c.identifier.as_str())
                .collect();
            if a.json {
                print_json(
                    &json!({"archive": a.dir, "offers": offers, "contracts": contracts, "tenant": a.tenant}),
                )?;
            } else {
                println!(
                    "archive created in {} (offers: {}; access contracts: {})",
                    a.dir.display(),
                    offers.join(", "),
                    contracts.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Ingest(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            let r = ar.ingest(&a.sip, &IngestOptions::default())?;
            if let Some(p) = &a.atr {
                std::fs::write(p, &r.atr).map_err(|e| Error::from(e).with_path(p))?;
            }
            let ok = r.report.outcome.is_accepted();
            if a.json {
                print_json(&json!({
                    "operation": r.operation_id,
                    "outcome": r.report.outcome.as_str(),
                    "report": r.report.to_json(),
                    "systemIds": r.system_ids,
                }))?;
            } else {
                let units = r.system_ids.values().filter(|s| s.starts_with('u')).count();
                println!(
                    "{}: {} (operation {}, {} units)",
                    a.sip.display(),
                    r.report.out_detail,
                    r.operation_id,
                    units
                );
                for e in r.report.problems() {
                    println!("  {} {}", e.out_detail, e.out_messg);
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Cmd::Search(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            let q = read_query(&a.query)?;
            let r = ar.search(&a.contract, &q)?;
            print_json(&r)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Get(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            match &a.usage {
                None => {
                    let d = ar.get_unit(&a.contract, &a.unit)?;
                    match &a.output {
                        Some(p) => std::fs::write(
                            p,
                            serde_json::to_vec_pretty(&d)
                                .map_err(|e| Error::internal(e.to_string()))?,
                        )
                        .map_err(|e| Error::from(e).with_path(p))?,
                        None => print_json(&d)?,
                    }
                }
                Some(usage) => match &a.output {
                    Some(p) => {
                        let o = ar.export_object(&a.contract, &a.unit, usage, p)?;
                        if a.json {
                            print_json(
                                &json!({"object": o.id, "usage": o.usage, "version": o.version, "size": o.size, "digest": o.digest, "algorithm": o.algorithm, "output": p}),
                            )?;
                        } else {
                            eprintln!(
                                "{} {}_{} ({} bytes, {} verified) -> {}",
                                o.id,
                                o.usage,
                                o.version,
                                o.size,
                                o.algorithm,
                                p.display()
                            );
                        }
                    }
                    None => {
                        let (_, mut r) = ar.open_object(&a.contract, &a.unit, usage)?;
                        let mut out = std::io::stdout().lock();
                        std::io::copy(&mut r, &mut out).map_err(vas_core::storage::stream_error)?;
                    }
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Dip(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            let q = read_query(&a.query)?;
            let s = ar.dip_with(
                &a.contract,
                &q,
                &a.output,
                &DipOptions {
                    version: a.seda_version,
                    strict: a.strict,
                },
            )?;
            if a.json {
                print_json(&to_json(&s)?)?;
            } else {
                println!(
                    "DIP {} written to {}: {} units, {} objects, {} bytes (SEDA {}, {} schema)",
                    s.message_identifier,
                    a.output.display(),
                    s.units,
                    s.objects,
                    s.bytes,
                    s.seda_version,
                    s.schema
                );
                if let Some(f) = &s.official_finding {
                    println!("  not valid against the official XSD: {f}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Logbook(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            match &a.operation {
                Some(id) => {
                    let op = ar.operation(id)?;
                    if a.json {
                        print_json(&to_json(&op)?)?;
                    } else {
                        println!(
                            "{} {} {} {}",
                            op.event.ev_date_time,
                            op.event.ev_id_proc,
                            op.event.out_detail,
                            op.event.out_messg
                        );
                        for e in &op.events {
                            println!("  {} {}", e.out_detail, e.out_messg);
                        }
                        // The operation's report object on the offers (eliminations).
                        if let Some(k) = op
                            .event
                            .ev_det_data
                            .as_ref()
                            .and_then(|d| d["Report"]["Key"].as_str())
                        {
                            println!("  report: {k}");
                        }
                    }
                }
                None => {
                    let ops = ar.operations()?;
                    if a.json {
                        print_json(&to_json(&ops)?)?;
                    } else {
                        for op in &ops {
                            println!(
                                "{} {} {} {}",
                                op.event.ev_date_time,
                                op.event.ev_id_proc,
                                op.event.out_detail,
                                op.event.ob_id_in.as_deref().unwrap_or("")
                            );
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Verify(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            let v = ar.verify()?;
            if a.json {
                let mut j = to_json(&v)?;
                j["ok"] = json!(v.is_ok());
                print_json(&j)?;
            } else {
                println!(
                    "{}: {} units, {} object groups, {} object copies, {} operations checked",
                    if v.is_ok() {
                        "archive OK"
                    } else {
                        "archive DAMAGED"
                    },
                    v.units,
                    v.object_groups,
                    v.object_copies,
                    v.operations
                );
                for p in &v.problems {
                    println!("  {p}");
                }
            }
            Ok(if v.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Cmd::Audit(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            let s = ar.audit(a.repair)?;
            if a.json {
                print_json(&to_json(&s)?)?;
            } else {
                println!(
                    "{} copies audited, {} problems, {} repaired",
                    s.checked,
                    s.findings.len(),
                    s.repaired
                );
                for (o, k, p) in &s.findings {
                    println!("  {o} {k}: {p}");
                }
            }
            Ok(if s.findings.is_empty() || (a.repair && s.all_repaired) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Cmd::Eliminate(a) => {
            let query = read_query(&a.query)?;
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            let r = ar.eliminate(
                &a.contract,
                &query,
                &EliminationOptions {
                    date: a.date,
                    dry_run: a.dry_run,
                },
            )?;
            if a.json {
                print_json(&to_json(&r)?)?;
            } else {
                println!(
                    "{} at {}: {} of {} selected units {}eliminated, {} object groups, {} objects ({} bytes){}",
                    if r.dry_run {
                        "elimination analysis"
                    } else {
                        "elimination"
                    },
                    r.date,
                    r.eliminated_units.len(),
                    r.units.len(),
                    if r.dry_run { "would be " } else { "" },
                    r.eliminated_object_groups.len(),
                    r.deleted_objects,
                    r.deleted_bytes,
                    r.operation_id
                        .as_ref()
                        .map(|o| format!(" (operation {o})"))
                        .unwrap_or_default()
                );
                for u in &r.units {
                    println!(
                        "  {} {} {} {}",
                        u.unit_id,
                        u.global_status,
                        u.status,
                        u.reasons.join(",")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Rebuild(a) => {
            let ar = Archive::open_tenant(&a.dir, a.tenant)?;
            let r = ar.rebuild()?;
            if a.json {
                print_json(&to_json(&r)?)?;
            } else {
                println!(
                    "catalog rebuilt from the offers: {} units, {} object groups",
                    r.units, r.object_groups
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
