//! CLI commands implemented in this file: `vas offer check`, `vas offer put`, `vas offer get`, `vas offer audit`.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use vas_core::digest::DigestAlgorithm;
use vas_core::storage::config::StorageConfig;
use vas_core::storage::{AuditReport, Fixity, ObjectKey, Strategy};
use vas_core::{Error, ErrorKind, Result};

use crate::util::{EXIT_INVALID, one_line, print_json};

/// Arguments of `vas offer check`.
#[derive(clap::Args)]
pub struct OfferCheckArgs {
    /// The storage configuration (TOML).
    config: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas offer check`: reachability and capacity of every declared offer.
pub fn offer_check(args: OfferCheckArgs) -> Result<ExitCode> {
    let cfg = StorageConfig::from_file(&args.config)?;
    let mut rows = Vec::new();
    let mut all_ok = true;
    for oc in &cfg.offers {
        let id = oc.id();
        let in_strategy = cfg.strategy.offers.iter().any(|o| o == id);
        let status = cfg.open_offer(id).and_then(|o| o.status());
        match status {
            Ok(s) => {
                all_ok &= s.available;
                rows.push(json!({
                    "id": id, "kind": oc.kind(), "in_strategy": in_strategy,
                    "referent": cfg.strategy.referent == id,
                    "available": s.available, "objects": s.object_count,
                    "used_bytes": s.used_bytes, "free_bytes": s.free_bytes, "detail": s.detail,
                }));
            }
            Err(e) => {
                all_ok = false;
                rows.push(json!({
                    "id": id, "kind": oc.kind(), "in_strategy": in_strategy,
                    "referent": cfg.strategy.referent == id,
                    "available": false, "error": one_line(&e.to_string()),
                    "error_kind": e.kind().name(),
                }));
            }
        }
    }
    if args.json {
        print_json(&json!({ "ok": all_ok, "offers": rows }))?;
    } else {
        for r in &rows {
            let id = r["id"].as_str().unwrap_or("");
            let kind = r["kind"].as_str().unwrap_or("");
            if r["available"].as_bool() == Some(true) {
                println!(
                    "{id} ({kind}): OK, {} objects, {} bytes used, {} free — {}",
                    r["objects"],
                    r["used_bytes"],
                    r["free_bytes"],
                    r["detail"].as_str().unwrap_or("")
                );
            } else {
                println!(
                    "{id} ({kind}): UNAVAILABLE — {}",
                    r["error"].as_str().unwrap_or("")
                );
            }
        }
    }
    Ok(exit(all_ok))
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    }
}

/// Integrity and write-once refusals exit with 1 (checked and refused); the rest is an
/// error for `main` (exit 2).
fn refused(e: Error) -> Result<ExitCode> {
    if matches!(e.kind(), ErrorKind::Integrity | ErrorKind::Conflict) {
        eprintln!("vas: error: {}", one_line(&e.chain()));
        Ok(ExitCode::from(EXIT_INVALID))
    } else {
        Err(e)
    }
}

fn fixity_arg(digest: Option<&str>, algorithm: &str, size: Option<u64>) -> Result<Option<Fixity>> {
    let alg: DigestAlgorithm = algorithm.parse()?;
    match (digest, size) {
        (Some(d), Some(s)) => Ok(Some(Fixity::new(alg, d, s)?)),
        (Some(_), None) => Err(Error::invalid(
            "--digest needs the size (from the file or --size)",
        )),
        _ => Ok(None),
    }
}

/// Arguments of `vas offer put`.
#[derive(clap::Args)]
pub struct OfferPutArgs {
    /// The storage configuration (TOML).
    config: PathBuf,
    /// The object key (e.g. `0_OBJECT/aeaaaa….pdf`).
    key: String,
    /// The file to store.
    file: PathBuf,
    /// The expected digest (hex); the file must match it. Computed when absent.
    #[arg(long)]
    digest: Option<String>,
    /// The digest algorithm (MD5, SHA-1, SHA-256, SHA-384, SHA-512).
    #[arg(long, default_value = "SHA-512")]
    algorithm: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas offer put`: writes a file to every offer of the strategy.
pub fn offer_put(args: OfferPutArgs) -> Result<ExitCode> {
    let key = ObjectKey::new(args.key.clone())?;
    let size = std::fs::metadata(&args.file)
        .map_err(|e| Error::from(e).with_path(&args.file))?
        .len();
    let declared = fixity_arg(args.digest.as_deref(), &args.algorithm, Some(size))?;
    let strategy = StorageConfig::from_file(&args.config)?.build_strategy()?;
    // Without --digest, the digest is computed while the copies are written (the file is
    // read and hashed once); every offer hashes what it writes and they must agree.
    let alg: DigestAlgorithm = args.algorithm.parse()?;
    let (report, fx) = match strategy.put_file_hashing(&key, &args.file, declared.as_ref(), alg) {
        Ok(r) => r,
        Err(e) => return refused(e),
    };
    if args.json {
        let outcomes: Vec<_> = report
            .outcomes
            .iter()
            .map(|(o, r)| json!({"offer": o, "outcome": format!("{r:?}")}))
            .collect();
        print_json(&json!({
            "key": key.as_str(), "algorithm": fx.algorithm.seda_name(),
            "digest": fx.digest, "size": fx.size, "offers": outcomes,
        }))?;
    } else {
        for (o, r) in &report.outcomes {
            println!("{o}: {r:?}");
        }
        println!("{key}: {fx}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `vas offer get`.
#[derive(clap::Args)]
pub struct OfferGetArgs {
    /// The storage configuration (TOML).
    config: PathBuf,
    /// The object key.
    key: String,
    /// Where to write the object (written only once verified).
    #[arg(short, long)]
    output: PathBuf,
    /// The expected digest (hex), e.g. from the archive's catalogue; by default the
    /// referent offer's recorded digest.
    #[arg(long)]
    digest: Option<String>,
    /// The expected digest's algorithm.
    #[arg(long, default_value = "SHA-512")]
    algorithm: String,
    /// The expected size (with --digest; by default the recorded size).
    #[arg(long)]
    size: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas offer get`: verified read with fallback.
pub fn offer_get(args: OfferGetArgs) -> Result<ExitCode> {
    let key = ObjectKey::new(args.key.clone())?;
    let strategy = StorageConfig::from_file(&args.config)?.build_strategy()?;
    let expected = match (args.digest.as_deref(), args.size) {
        (Some(d), None) => {
            // --digest without --size: take the size the offers record for that digest.
            let alg: DigestAlgorithm = args.algorithm.parse()?;
            let size = match recorded_size(&strategy, &key, alg, d) {
                Ok(s) => s,
                Err(e) => return refused(e),
            };
            Some(Fixity::new(alg, d, size)?)
        }
        (d, size) => fixity_arg(d, &args.algorithm, size)?,
    };
    let from = match strategy.get_to_path(&key, expected.as_ref(), &args.output) {
        Ok(f) => f,
        Err(e) => return refused(e),
    };
    if args.json {
        print_json(&json!({"key": key.as_str(), "offer": from, "output": args.output}))?;
    } else {
        println!(
            "{key}: verified copy from offer {from} written to {}",
            args.output.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn recorded_size(s: &Strategy, key: &ObjectKey, alg: DigestAlgorithm, digest: &str) -> Result<u64> {
    let d = digest.to_ascii_lowercase();
    for o in s.offers() {
        if let Ok(Some(m)) = o.head(key)
            && m.fixity.algorithm == alg
            && m.fixity.digest == d
        {
            return Ok(m.fixity.size);
        }
    }
    Err(Error::new(
        ErrorKind::Integrity,
        format!("no offer records {key} with {} {d}", alg.seda_name()),
    ))
}

/// Arguments of `vas offer audit`.
#[derive(clap::Args)]
pub struct OfferAuditArgs {
    /// The storage configuration (TOML).
    config: PathBuf,
    /// Restore missing and corrupt copies from a verified copy, then audit again.
    #[arg(long)]
    repair: bool,
    /// Expected objects, one per line: `KEY<TAB>ALGORITHM<TAB>DIGEST<TAB>SIZE`
    /// (default: every object the offers list, expected with the referent's fixity).
    #[arg(long)]
    expected: Option<PathBuf>,
    /// Only compare recorded fixities (do not re-read and hash every copy).
    #[arg(long)]
    shallow: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn read_expected(path: &std::path::Path) -> Result<Vec<(ObjectKey, Fixity)>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).with_path(path))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |e: Error| e.with_path(path).at(i as u64 + 1, 1);
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 {
            return Err(at(Error::invalid(
                "expected KEY<TAB>ALGORITHM<TAB>DIGEST<TAB>SIZE",
            )));
        }
        let key = ObjectKey::new(f[0]).map_err(at)?;
        let alg: DigestAlgorithm = f[1].parse().map_err(at)?;
        let size: u64 = f[3]
            .trim()
            .parse()
            .map_err(|_| at(Error::invalid(format!("bad size {:?}", f[3]))))?;
        out.push((key, Fixity::new(alg, f[2].trim(), size).map_err(at)?));
    }
    Ok(out)
}

fn print_report(title: &str, r: &AuditReport) {
    println!(
        "{title}: {} objects, {} copies checked on [{}], {} intact, {} findings",
        r.objects,
        r.copies_checked,
        r.offers.join(", "),
        r.copies_ok,
        r.findings.len()
    );
    for f in &r.findings {
        println!(
            "  {:?} {} on {}: {}",
            f.problem,
            f.key.as_ref().map_or("-", |k| k.as_str()),
            f.offer,
            one_line(&f.detail)
        );
    }
}

/// `vas offer audit`: existence and integrity of every copy, optional repair.
pub fn offer_audit(args: OfferAuditArgs) -> Result<ExitCode> {
    let strategy = StorageConfig::from_file(&args.config)?.build_strategy()?;
    let expected = args.expected.as_deref().map(read_expected).transpose()?;
    let deep = !args.shallow;
    let before = strategy.audit(expected.as_deref(), deep)?;
    let mut repair = None;
    let mut after = None;
    if args.repair && !before.is_clean() {
        repair = Some(strategy.repair(&before)?);
        after = Some(strategy.audit(expected.as_deref(), deep)?);
    }
    let last = after.as_ref().unwrap_or(&before);
    // Superfluous copies are reported but do not make the copies "not intact".
    let ok = last
        .findings
        .iter()
        .all(|f| f.problem == vas_core::storage::Problem::Superfluous);
    if args.json {
        print_json(&json!({
            "ok": ok,
            "audit": before,
            "repair": repair,
            "after_repair": after,
        }))?;
    } else {
        print_report("audit", &before);
        if let Some(rep) = &repair {
            for a in &rep.actions {
                match (&a.source, &a.error) {
                    (Some(src), _) => {
                        println!("  repaired {} on {} from {src}", a.key, a.offer)
                    }
                    (_, Some(e)) => {
                        println!("  NOT repaired {} on {}: {}", a.key, a.offer, one_line(e))
                    }
                    _ => {}
                }
            }
        }
        if let Some(a) = &after {
            print_report("after repair", a);
        }
        println!("{}", if ok { "OK" } else { "KO" });
    }
    Ok(exit(ok))
}
