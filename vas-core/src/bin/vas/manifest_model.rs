//! CLI commands implemented in this file: `vas manifest rewrite`, `vas manifest stats`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use vas_core::seda::{Document, SedaVersion};
use vas_core::{Error, Result};

/// Arguments of `vas manifest rewrite`.
#[derive(clap::Args)]
pub struct ManifestRewriteArgs {
    /// The manifest to read.
    input: PathBuf,
    /// Where to write the result (`-` for standard output).
    #[arg(short, long)]
    output: PathBuf,
    /// Write in another SEDA version (2.1, 2.2, 2.3); fails if an element does not exist there.
    #[arg(long = "seda-version")]
    seda_version: Option<String>,
}

/// `vas manifest rewrite`: parse, then serialize again (lossless round-trip).
pub fn manifest_rewrite(args: ManifestRewriteArgs) -> Result<ExitCode> {
    let doc = Document::from_file(&args.input)?;
    let version = match &args.seda_version {
        Some(v) => v.parse::<SedaVersion>()?,
        None => doc.version,
    };
    let bytes = doc.write_as(version).map_err(|e| e.or_path(&args.input))?;
    if args.output.as_os_str() == "-" {
        std::io::stdout().write_all(&bytes)?;
    } else {
        std::fs::write(&args.output, &bytes).map_err(|e| Error::from(e).with_path(&args.output))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `vas manifest stats`.
#[derive(clap::Args)]
pub struct ManifestStatsArgs {
    /// The manifest to read.
    input: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas manifest stats`: version, counts of units/groups/objects, roots, max depth, and
/// the reference findings (duplicate ids, dangling references, cycles).
pub fn manifest_stats(args: ManifestStatsArgs) -> Result<ExitCode> {
    let doc = Document::from_file(&args.input)?;
    let s = doc.stats();
    let findings = doc.check_references();
    if args.json {
        let mut v = serde_json::to_value(&s).map_err(|e| Error::internal(e.to_string()))?;
        v["findings"] = serde_json::Value::Array(
            findings
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "kind": f.kind.as_str(),
                        "message": f.message,
                        "element": f.element,
                        "line": f.line,
                        "column": f.column,
                        "id": f.id,
                    })
                })
                .collect(),
        );
        crate::util::print_json(&v)?;
    } else {
        println!("version           {}", s.version);
        println!("message           {}", s.kind);
        println!("units             {}", s.units);
        println!("unit references   {}", s.unit_references);
        println!("groups            {}", s.groups);
        println!("binary objects    {}", s.binary_objects);
        println!("physical objects  {}", s.physical_objects);
        println!("roots             {}", s.roots);
        println!("max depth         {}", s.max_depth);
        println!(
            "cycle             {}",
            if s.has_cycle { "yes" } else { "no" }
        );
        println!("findings          {}", findings.len());
        for f in &findings {
            println!(
                "  {} line {}: {} ({})",
                f.kind.as_str(),
                f.line,
                crate::util::one_line(&f.message),
                f.element
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
