//! CLI commands implemented in this file: `vas format identify`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use rayon::prelude::*;
use vas_core::Result;
use vas_core::format::FormatRegistry;

/// Arguments of `vas format identify`.
#[derive(clap::Args)]
pub struct FormatIdentifyArgs {
    /// Files to identify.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// DROID signature file (XML, optionally gzip) instead of the bundled one (V109).
    #[arg(long, value_name = "FILE")]
    signatures: Option<PathBuf>,
    /// DROID container-signature file (with --signatures; default: the bundled one).
    #[arg(long, value_name = "FILE")]
    container: Option<PathBuf>,
    /// Print one JSON array with, per file, path, puid, name, version, mime, basis, warning.
    #[arg(long)]
    json: bool,
}

/// `vas format identify`: prints the PRONOM identification of each file. Exit code 0 when
/// every file was read (even if some are `UNKNOWN`), 2 if a file could not be read.
pub fn format_identify(args: FormatIdentifyArgs) -> Result<ExitCode> {
    let reg: Arc<FormatRegistry> = match (&args.signatures, &args.container) {
        (None, None) => FormatRegistry::bundled()?,
        (Some(s), None) => Arc::new(FormatRegistry::from_droid_file(s)?),
        (Some(s), Some(c)) => Arc::new(FormatRegistry::from_droid_files(s, Some(c))?),
        (None, Some(c)) => {
            return Err(vas_core::Error::invalid(format!(
                "--container {} needs --signatures",
                c.display()
            )));
        }
    };
    let mut failed = false;
    if args.json {
        failed = print_json_rows(&reg, &args.files)?;
    } else {
        let results: Vec<_> = args
            .files
            .par_iter()
            .map(|p| (p, reg.identify_path(p)))
            .collect();
        for (p, r) in &results {
            match r {
                Ok(id) => {
                    let mut line = format!("{}\t{}", p.display(), id.puid);
                    if !id.is_unknown() {
                        line.push_str(&format!("\t{}", id.name));
                        if !id.version.is_empty() {
                            line.push_str(&format!(" {}", id.version));
                        }
                        if !id.mime.is_empty() {
                            line.push_str(&format!("\t{}", id.mime));
                        }
                    }
                    if !id.basis.is_empty() {
                        line.push_str(&format!("\t({})", id.basis));
                    }
                    if !id.warning.is_empty() {
                        line.push_str(&format!("\twarning: {}", id.warning));
                    }
                    println!("{line}");
                }
                Err(e) => {
                    failed = true;
                    eprintln!("vas: error: {}", crate::util::one_line(&e.chain()));
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(crate::util::EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// Files identified (in parallel) per batch of `--json` output: the rows of one batch are
/// written before the next is identified, so memory does not grow with the number of files.
const JSON_BATCH: usize = 512;

/// The JSON row of one file (keys in the order `serde_json` sorts them).
fn json_row(
    p: &std::path::Path,
    r: &Result<vas_core::format::Identification>,
) -> serde_json::Value {
    match r {
        Ok(id) => {
            let mut row = id.to_json();
            row["path"] = p.display().to_string().into();
            row
        }
        Err(e) => serde_json::json!({
            "path": p.display().to_string(),
            "puid": vas_core::format::UNKNOWN,
            "name": "",
            "version": "",
            "mime": "",
            "basis": "",
            "warning": "",
            "error": e.chain(),
        }),
    }
}

/// `--json`: identifies `files` batch by batch and prints one JSON array, the same bytes as
/// `util::print_json` of the whole array (pretty, two-space indent, newline at the end)
/// without holding every row and the whole text in memory. Returns whether a file could
/// not be read.
fn print_json_rows(reg: &FormatRegistry, files: &[PathBuf]) -> Result<bool> {
    use std::io::Write;
    let mut failed = false;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut write = |out: &mut std::io::BufWriter<std::io::StdoutLock<'_>>| -> std::io::Result<()> {
        out.write_all(b"[")?;
        for (b, batch) in files.chunks(JSON_BATCH).enumerate() {
            let rows: Vec<(bool, String)> = batch
                .par_iter()
                .map(|p| {
                    let r = reg.identify_path(p);
                    let text = serde_json::to_string_pretty(&json_row(p, &r)).unwrap_or_default();
                    (r.is_err(), text)
                })
                .collect();
            for (i, (err, text)) in rows.iter().enumerate() {
                failed |= err;
                out.write_all(if b == 0 && i == 0 { b"\n" } else { b",\n" })?;
                // Each line of the row indented by one level (strings hold no raw newline).
                for (k, line) in text.split('\n').enumerate() {
                    if k > 0 {
                        out.write_all(b"\n")?;
                    }
                    out.write_all(b"  ")?;
                    out.write_all(line.as_bytes())?;
                }
            }
        }
        out.write_all(if files.is_empty() { b"]\n" } else { b"\n]\n" })?;
        out.flush()
    };
    crate::util::stdout_written(write(&mut out))?;
    Ok(failed)
}
