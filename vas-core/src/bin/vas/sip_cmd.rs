//! CLI commands implemented in this file: `vas sip build`, `vas sip inspect`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use vas_core::digest::DigestAlgorithm;
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    BuildOptions, Compression, CsvEncoding, CsvOptions, FolderImportOptions, Limits, PackageFormat,
    Progress, SipBuilder, SipReader, WriterOptions, csv_defines_tree,
};
use vas_core::{Error, Result};

use crate::util::{EXIT_INVALID, print_json};

/// Header options of `vas sip build`.
#[derive(clap::Args)]
pub struct HeaderArgs {
    /// ArchivalAgency identifier.
    #[arg(long, default_value = "ArchivalAgency")]
    agency: String,
    /// TransferringAgency identifier (default: the archival agency).
    #[arg(long)]
    transferring_agency: Option<String>,
    /// OriginatingAgencyIdentifier.
    #[arg(long)]
    originating_agency: Option<String>,
    /// SubmissionAgencyIdentifier.
    #[arg(long)]
    submission_agency: Option<String>,
    /// ArchivalAgreement (Vitam ingest contract).
    #[arg(long)]
    contract: Option<String>,
    /// ArchivalProfile.
    #[arg(long)]
    profile: Option<String>,
    /// Comment.
    #[arg(long)]
    comment: Option<String>,
    /// MessageIdentifier.
    #[arg(long)]
    message_id: Option<String>,
}

/// Arguments of `vas sip build`.
#[derive(clap::Args)]
pub struct SipBuildArgs {
    /// The folder to package (ReSIP conventions: `__USAGE_N__name` object files,
    /// `__ArchiveUnitMetadata.xml` sidecars, `##name##` object-group folders).
    dir: PathBuf,
    /// Output package (must not exist); the format follows the extension
    /// (.zip, .tar, .tar.gz/.tgz) unless --format is given.
    #[arg(short, long)]
    output: PathBuf,
    /// ReSIP metadata CSV: with an ID column (`ID;ParentID;File;Content.Title;…`) it defines
    /// the tree (File paths relative to DIR); with only File it is applied to the units
    /// imported from DIR.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also write the units' metadata as a ReSIP CSV (ID;ParentID;File;ObjectFiles;…), to
    /// edit and feed back with --csv.
    #[arg(long)]
    export_csv: Option<PathBuf>,
    /// CSV separator.
    #[arg(long, default_value = ";")]
    csv_separator: char,
    /// CSV encoding: utf-8 or windows-1252.
    #[arg(long, default_value = "utf-8")]
    csv_encoding: String,
    #[command(flatten)]
    header: Box<HeaderArgs>,
    /// Digest algorithm: md5, sha-1, sha-256, sha-384, sha-512.
    #[arg(long, default_value = "sha-512")]
    algorithm: String,
    /// SEDA version: 2.1, 2.2 or 2.3 (default 2.3, the current version).
    #[arg(long, default_value = "2.3")]
    seda: String,
    /// Container: zip, tar or tar.gz.
    #[arg(long)]
    format: Option<String>,
    /// Store zip entries without compression (by default an entry is deflated unless its
    /// first 16 KiB look incompressible, e.g. JPEG, ZIP or random data: then it is stored).
    #[arg(long, conflicts_with = "deflate")]
    stored: bool,
    /// Deflate every zip entry, even incompressible ones.
    #[arg(long)]
    deflate: bool,
    /// Deflate level of zip entries (and of a tar.gz), from 1 (fastest) to 9 (smallest).
    /// Level 6 is zlib's default; levels 1–5 trade size for speed.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=9))]
    level: u32,
    /// Deterministic output (fixed timestamps; Date and MessageIdentifier derived from content
    /// unless given).
    #[arg(long)]
    deterministic: bool,
    /// Do not identify formats (by default each object's PRONOM format, MIME type and name
    /// are identified with the bundled DROID signatures and written in the manifest).
    #[arg(long)]
    no_identify: bool,
    /// Include hidden files (names starting with a dot).
    #[arg(long)]
    include_hidden: bool,
    /// Write the objects first and the manifest last: one read of each file, hashed by
    /// other threads while written (the default; kept for compatibility).
    #[arg(long, conflicts_with = "manifest_first")]
    manifest_last: bool,
    /// Write the manifest first, as sedalib does: every file is read twice (hashed in a
    /// first pass, then copied).
    #[arg(long)]
    manifest_first: bool,
    /// Read the package back and check every container rule, digest and size.
    #[arg(long)]
    verify: bool,
    /// Threads reading, hashing, identifying and deflating the files: 1 runs the whole
    /// build on one thread. Default: one per core (`RAYON_NUM_THREADS` when set). The
    /// package is the same byte for byte whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
}

fn parse_version(s: &str) -> Result<SedaVersion> {
    match s.trim_start_matches('v') {
        "2.1" => Ok(SedaVersion::V2_1),
        "2.2" => Ok(SedaVersion::V2_2),
        "2.3" => Ok(SedaVersion::V2_3),
        other => Err(Error::invalid(format!(
            "SEDA version {other:?}: use 2.1, 2.2 or 2.3"
        ))),
    }
}

/// `vas sip build`.
pub fn sip_build(a: SipBuildArgs) -> Result<ExitCode> {
    if let Some(n) = a.threads {
        // The build sizes its hashing threads from rayon's pool (and `--verify` reads
        // with it): nothing has used the pool yet, so it can still be sized here.
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .map_err(|e| Error::invalid(format!("--threads {n}: {e}")))?;
    }
    vas_core::sip::trace_phase("start");
    let version = parse_version(&a.seda)?;
    let algorithm: DigestAlgorithm = a.algorithm.parse()?;
    let format = match a.format.as_deref() {
        None => PackageFormat::from_file_name(&a.output.to_string_lossy()),
        Some("zip") => PackageFormat::Zip,
        Some("tar") => PackageFormat::Tar,
        Some("tar.gz" | "tgz") => PackageFormat::TarGz,
        Some(f) => {
            return Err(Error::invalid(format!(
                "unknown format {f:?}: zip, tar, tar.gz"
            )));
        }
    };
    let mut b = SipBuilder::new(version);
    b.archival_agency(&a.header.agency).transferring_agency(
        a.header
            .transferring_agency
            .as_deref()
            .unwrap_or(&a.header.agency),
    );
    if let Some(v) = &a.header.originating_agency {
        b.originating_agency(v);
    }
    if let Some(v) = &a.header.submission_agency {
        b.submission_agency(v);
    }
    if let Some(v) = &a.header.contract {
        b.archival_agreement(v);
    }
    if let Some(v) = &a.header.profile {
        b.archival_profile(v);
    }
    if let Some(v) = &a.header.comment {
        b.comment(v);
    }
    if let Some(v) = &a.header.message_id {
        b.message_identifier(v);
    }
    // The bundled signatures load on another thread while the folder is walked (unless
    // the build runs on one thread); a walk's error still comes first.
    let identifier = (!a.no_identify && rayon::current_num_threads() > 1)
        .then(|| std::thread::spawn(vas_core::sip::bundled_format_identifier));
    let fopts = FolderImportOptions {
        skip_hidden: !a.include_hidden,
        ..FolderImportOptions::default()
    };
    match &a.csv {
        None => {
            b.import_folder(&a.dir, None, &fopts)?;
        }
        Some(csv) => {
            let opts = CsvOptions {
                separator: a.csv_separator,
                encoding: CsvEncoding::from_name(&a.csv_encoding)?,
            };
            let bytes = std::fs::read(csv).map_err(|e| Error::from(e).with_path(csv))?;
            if csv_defines_tree(&bytes, &opts).map_err(|e| e.or_path(csv))? {
                // ID/ParentID form: the CSV is the tree, files are relative to DIR.
                b.import_csv(&bytes[..], &a.dir, &opts)
                    .map_err(|e| e.or_path(csv))?;
            } else {
                let imported = b.import_folder(&a.dir, None, &fopts)?;
                b.apply_csv(&bytes[..], &imported, &opts)
                    .map_err(|e| e.or_path(csv))?;
            }
        }
    }
    vas_core::sip::trace_phase("folder imported");
    if let Some(path) = &a.export_csv {
        let opts = CsvOptions {
            separator: a.csv_separator,
            encoding: CsvEncoding::from_name(&a.csv_encoding)?,
        };
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Error::from(e).with_path(path))?;
        b.export_csv(std::io::BufWriter::new(f), &a.dir, &opts)
            .map_err(|e| e.or_path(path))?;
    }
    let mut wopts = WriterOptions::new(format)
        .algorithm(algorithm)
        .deterministic(a.deterministic);
    wopts = wopts.compression(if a.stored {
        Compression::Stored
    } else if a.deflate {
        Compression::Deflated(a.level)
    } else {
        Compression::Auto(a.level)
    });
    let mut bopts = BuildOptions::new(wopts);
    bopts.manifest_last = a.manifest_last || !a.manifest_first;
    if !a.no_identify {
        let loaded = match identifier {
            Some(h) => h
                .join()
                .map_err(|_| Error::internal("the signature loading thread panicked"))?,
            None => vas_core::sip::bundled_format_identifier(),
        };
        bopts.identify = Some(loaded?);
        vas_core::sip::trace_phase("identifier loaded");
    }
    let bar = if std::io::stderr().is_terminal() && !a.json {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:8} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .map_err(|e| Error::internal(e.to_string()))?
            .progress_chars("=> "),
        );
        let pb2 = pb.clone();
        bopts.progress = Some(Arc::new(move |p: Progress| {
            pb2.set_length(p.total);
            pb2.set_position(p.done);
            pb2.set_message(if p.phase == 0 { "hashing" } else { "writing" });
        }));
        Some(pb)
    } else {
        None
    };
    let units = b.unit_count();
    let report = b.write_to_file(&a.output, bopts)?;
    vas_core::sip::trace_phase("package written");
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    let verified = if a.verify {
        let mut r = SipReader::open(&a.output, Limits::unlimited())?;
        let rep = r.verify()?;
        Some((rep.digests_ok, rep.check))
    } else {
        None
    };
    if a.json {
        print_json(&json!({
            "output": a.output.display().to_string(),
            "format": format!("{format:?}").to_lowercase(),
            "seda_version": version.as_str(),
            "algorithm": report.algorithm.seda_name(),
            "units": units,
            "objects": report.objects.len(),
            "total_size": report.total_size,
            "manifest": report.manifest_name,
            "manifest_digest": report.manifest_digest,
            "verified": verified.as_ref().map(|(n, c)| json!({
                "digests_ok": n,
                "ok": c.is_ok(),
                "violations": c.violations.iter().map(|v| json!({
                    "code": v.code, "entry": v.entry, "message": v.message,
                })).collect::<Vec<_>>(),
            })),
        }))?;
    } else {
        println!(
            "{}: {} units, {} objects, {} bytes, SEDA {}, {} ({})",
            a.output.display(),
            units,
            report.objects.len(),
            report.total_size,
            version.as_str(),
            report.algorithm.seda_name(),
            format!("{format:?}").to_lowercase()
        );
    }
    if let Some((n, c)) = &verified {
        if !a.json {
            println!("verified: {n} digests; {} violations", c.violations.len());
            for v in &c.violations {
                println!("  {} {}", v.code, v.message);
            }
        }
        if !c.is_ok() {
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    }
    vas_core::sip::trace_phase("reported");
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `vas sip inspect`.
#[derive(clap::Args)]
pub struct SipInspectArgs {
    /// The package: zip, tar, tar.gz, tar.bz2 or a directory (detected from content).
    sip: PathBuf,
    /// Print one JSON document.
    #[arg(long)]
    json: bool,
    /// Skip the digest check (container rules and declared files only).
    #[arg(long)]
    no_digests: bool,
    /// List every entry.
    #[arg(long)]
    entries: bool,
    /// Print the archive-unit tree (a unit with several parents appears under each).
    #[arg(long)]
    tree: bool,
    /// Maximum total uncompressed size in bytes.
    #[arg(long)]
    max_total_size: Option<u64>,
    /// Maximum number of entries.
    #[arg(long)]
    max_entries: Option<u64>,
    /// Maximum compression ratio.
    #[arg(long)]
    max_ratio: Option<u64>,
}

/// `vas sip inspect`: [`vas_core::api::inspect_sip`], printed as JSON or as text.
pub fn sip_inspect(a: SipInspectArgs) -> Result<ExitCode> {
    let mut limits = Limits::default();
    if let Some(v) = a.max_total_size {
        limits.max_total_size = v;
    }
    if let Some(v) = a.max_entries {
        limits.max_entries = v;
    }
    if let Some(v) = a.max_ratio {
        limits.max_ratio = v;
    }
    let opts = vas_core::api::InspectOptions {
        limits,
        digests: !a.no_digests,
        entries: a.entries,
        tree: a.tree,
    };
    let ins = vas_core::api::inspect_sip(&a.sip, &opts)?;
    let v = &ins.json;
    if let Some(e) = &ins.refusal {
        if a.json {
            print_json(v)?;
        } else {
            println!("verdict: REFUSED");
            println!(
                "  {} {}",
                e.context().code.as_deref().unwrap_or(e.kind().name()),
                crate::util::one_line(&e.to_string())
            );
        }
        eprintln!("vas: error: {}", crate::util::one_line(&e.chain()));
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    if a.json {
        print_json(v)?;
    } else {
        print_inspection(&a, v);
    }
    Ok(if v["verdict"] == "KO" {
        ExitCode::from(EXIT_INVALID)
    } else {
        ExitCode::SUCCESS
    })
}

/// The text form of an inspection (the fields of its JSON document).
fn print_inspection(a: &SipInspectArgs, v: &serde_json::Value) {
    let str_of = |x: &serde_json::Value| x.as_str().map(str::to_string);
    println!(
        "package: {} ({}, {} entries, {} files, {} bytes)",
        a.sip.display(),
        v["container"].as_str().unwrap_or(""),
        v["entries"],
        v["files"],
        v["size"]
    );
    println!("manifest: {}", v["manifest"].as_str().unwrap_or("(none)"));
    if let Some(d) = v["manifest_sha512"].as_str() {
        println!("  SHA-512: {d}");
    }
    let h = &v["header"];
    if h.is_object() {
        for (k, field) in [
            ("SEDA version", "seda_version"),
            ("MessageIdentifier", "message_identifier"),
            ("ArchivalAgreement", "archival_agreement"),
            ("ArchivalAgency", "archival_agency"),
            ("TransferringAgency", "transferring_agency"),
            ("ArchivalProfile", "archival_profile"),
            ("OriginatingAgencyIdentifier", "originating_agency"),
            ("SubmissionAgencyIdentifier", "submission_agency"),
            ("Comment", "comment"),
        ] {
            if let Some(x) = str_of(&h[field]) {
                println!("  {k}: {x}");
            }
        }
        let c = &v["counts"];
        println!(
            "counts: {} units, {} object groups, {} binary objects, {} physical objects",
            c["units"], c["object_groups"], c["binary_objects"], c["physical_objects"]
        );
        println!(
            "files: {} declared, {} present",
            v["declared_files"], v["present_files"]
        );
    }
    if !a.no_digests {
        println!("digests: {} verified", v["digests_ok"]);
    }
    if let Some(t) = v["tree"].as_array() {
        println!("tree:");
        for n in t {
            let d = n["depth"].as_u64().unwrap_or(0) as usize;
            println!(
                "  {}{} [{}]",
                "  ".repeat(d),
                n["title"].as_str().unwrap_or(""),
                n["id"].as_str().unwrap_or("")
            );
        }
    }
    if let Some(es) = v["entry_list"].as_array() {
        for e in es {
            println!(
                "  {:>12}  {}",
                e["size"].as_u64().unwrap_or(0),
                e["name"].as_str().unwrap_or("")
            );
        }
    }
    for x in v["violations"].as_array().into_iter().flatten() {
        println!(
            "  {} {}{}: {}",
            if x["warning"] == true {
                "WARNING"
            } else {
                "KO"
            },
            x["code"].as_str().unwrap_or(""),
            x["entry"]
                .as_str()
                .map(|e| format!(" [{e}]"))
                .unwrap_or_default(),
            x["message"].as_str().unwrap_or("")
        );
    }
    println!("verdict: {}", v["verdict"].as_str().unwrap_or(""));
}
