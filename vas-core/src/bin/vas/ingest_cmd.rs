//! `vas ingest`: Vitam's ingest controls on a SIP (`--dry-run`), or an ingest into an
//! archive (`--archive DIR`, issue 9).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use vas_core::ingest::{DryRunOptions, Status, dry_run};
use vas_core::referential::Referentials;
use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas ingest`.
#[derive(clap::Args)]
pub struct IngestArgs {
    /// Run every control of Vitam's ingest workflow without storing anything.
    #[arg(long)]
    dry_run: bool,
    /// The referentials directory (agencies.csv, rules.csv, formats.xml,
    /// ingest-contracts.json, …; see docs/referentials.md).
    #[arg(long, value_name = "DIR")]
    referentials: Option<PathBuf>,
    /// The application context whose permissions must allow the ingest contract.
    #[arg(long, value_name = "ID")]
    context: Option<String>,
    /// The archive directory to ingest into (without --dry-run).
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// The tenant of the archive to ingest into (default: the archive's own; see
    /// `vas archive add-tenant`). Only with --archive.
    #[arg(long, value_name = "N")]
    tenant: Option<u32>,
    /// Write the operation report (JSON) here.
    #[arg(long, value_name = "REPORT.json")]
    report: Option<PathBuf>,
    /// Write the ArchiveTransferReply (XML) here.
    #[arg(long, value_name = "ATR.xml")]
    atr: Option<PathBuf>,
    /// Print the report on stdout as JSON.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Threads of the dry run (object hashing, and the schema validation beside the
    /// manifest parse); 1 runs everything on one thread. Default: one per core
    /// (`RAYON_NUM_THREADS` when set).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: Option<u16>,
    /// The SIP: zip, tar, tar.gz, tar.bz2 or a directory.
    sip: PathBuf,
}

fn write(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::from(e).with_path(path))
}

/// Runs `vas ingest`.
pub fn run(a: IngestArgs) -> Result<ExitCode> {
    if a.dry_run && a.tenant.is_some() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "--tenant goes with --archive (a dry run stores nothing)",
        ));
    }
    if !a.dry_run {
        if a.archive.is_none() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "give --dry-run, or --archive DIR to ingest into an archive",
            ));
        }
        if a.threads.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "--threads goes with --dry-run",
            ));
        }
        let dir = a.archive.as_ref().expect("checked above");
        if a.referentials.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "--referentials goes with --dry-run; an archive uses the referentials it was initialised with",
            ));
        }
        let archive = vas_core::archive::Archive::open_tenant(dir, a.tenant)?;
        let res = archive.ingest(&a.sip, &vas_core::archive::IngestOptions::default())?;
        return finish(&a, &res.report, &res.atr);
    }
    let refs = match &a.referentials {
        Some(d) => Referentials::load_dir(d)?,
        None => Referentials::default(),
    };
    let mut opts = DryRunOptions {
        context: a.context.clone(),
        // The CLI writes the report and the ATR; it needs no ValidatedSip.
        report_only: true,
        threads: a.threads.map(usize::from),
        ..Default::default()
    };
    if let Some(d) = &a.referentials {
        opts.load_from_referentials_dir(d)?;
    }
    let bar = {
        use std::io::IsTerminal;
        let big = std::fs::metadata(&a.sip)
            .map(|m| m.len() > 64 << 20)
            .unwrap_or(false);
        if !a.quiet && big && std::io::stderr().is_terminal() {
            let pb = indicatif::ProgressBar::new(0);
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let p2 = pb.clone();
            opts.progress = Some(Arc::new(move |done, total| {
                p2.set_length(total);
                p2.set_position(done);
            }));
            Some(pb)
        } else {
            None
        }
    };
    let run = dry_run(&a.sip, &refs, &opts)?;
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    finish(&a, &run.report, &run.atr)
}

/// Writes the report and ATR where asked, prints the verdict, and maps it to the exit code.
fn finish(a: &IngestArgs, report: &vas_core::ingest::Report, atr: &str) -> Result<ExitCode> {
    if let Some(p) = &a.report {
        // Streamed event by event (the same bytes as the report's JSON value, pretty-printed).
        let f = std::fs::File::create(p).map_err(|e| Error::from(e).with_path(p))?;
        let mut w = std::io::BufWriter::new(f);
        report.write_json(&mut w).map_err(|e| e.or_path(p))?;
        std::io::Write::flush(&mut w).map_err(|e| Error::from(e).with_path(p))?;
    }
    if let Some(p) = &a.atr {
        write(p, atr.as_bytes())?;
    }
    if a.json {
        crate::util::print_json(&report.to_json())?;
    } else {
        println!("{}", report.out_detail);
        for e in report.problems() {
            println!(
                "  {}  {}",
                e.out_detail,
                crate::util::one_line(&e.out_messg)
            );
        }
    }
    Ok(match report.outcome {
        Status::Ok | Status::Warning => ExitCode::SUCCESS,
        Status::Ko => ExitCode::from(crate::util::EXIT_INVALID),
        Status::Fatal => ExitCode::from(crate::util::EXIT_ERROR),
    })
}
