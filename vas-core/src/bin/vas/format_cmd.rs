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
    let results: Vec<_> = args
        .files
        .par_iter()
        .map(|p| (p, reg.identify_path(p)))
        .collect();
    let mut failed = false;
    if args.json {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|(p, r)| match r {
                Ok(id) => serde_json::json!({
                    "path": p.display().to_string(),
                    "puid": id.puid,
                    "name": id.name,
                    "version": id.version,
                    "mime": id.mime,
                    "basis": id.basis,
                    "warning": id.warning,
                }),
                Err(e) => {
                    failed = true;
                    serde_json::json!({
                        "path": p.display().to_string(),
                        "puid": vas_core::format::UNKNOWN,
                        "name": "",
                        "version": "",
                        "mime": "",
                        "basis": "",
                        "warning": "",
                        "error": e.chain(),
                    })
                }
            })
            .collect();
        crate::util::print_json(&serde_json::Value::Array(rows))?;
    } else {
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
