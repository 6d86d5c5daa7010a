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
    Progress, SipBuilder, SipReader, SipReport, WriterOptions, csv_defines_tree,
};
use vas_core::{Error, ErrorKind, Result};

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
    /// SEDA version: 2.1, 2.2 or 2.3.
    #[arg(long, default_value = "2.1")]
    seda: String,
    /// Container: zip, tar or tar.gz.
    #[arg(long)]
    format: Option<String>,
    /// Store zip entries without compression.
    #[arg(long)]
    stored: bool,
    /// Deterministic output (fixed timestamps; Date and MessageIdentifier derived from content
    /// unless given).
    #[arg(long)]
    deterministic: bool,
    /// Include hidden files (names starting with a dot).
    #[arg(long)]
    include_hidden: bool,
    /// Write the objects first and the manifest last (one read of each file instead of two).
    #[arg(long)]
    manifest_last: bool,
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
    let mut wopts = WriterOptions::new(format)
        .algorithm(algorithm)
        .deterministic(a.deterministic);
    if a.stored {
        wopts = wopts.compression(Compression::Stored);
    }
    let mut bopts = BuildOptions::new(wopts);
    bopts.manifest_last = a.manifest_last;
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
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
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

/// `vas sip inspect`.
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
    let mut r = match SipReader::open(&a.sip, limits) {
        Ok(r) => r,
        Err(e) if is_refusal(e.kind()) => {
            if a.json {
                print_json(&json!({
                    "path": a.sip.display().to_string(),
                    "verdict": "REFUSED",
                    "error": {
                        "kind": e.kind().name(),
                        "message": e.message(),
                        "entry": e.context().path.as_ref().map(|p| p.display().to_string()),
                        "code": e.context().code,
                    }
                }))?;
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
        Err(e) => return Err(e),
    };
    let report: SipReport = if a.no_digests {
        let mut check = r.check_container();
        let summary = match r.manifest_bytes() {
            Ok(b) => vas_core::sip::scan_manifest(&b).ok(),
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
    let tree: Option<Vec<(usize, String, String)>> = if a.tree {
        r.manifest_bytes()
            .ok()
            .and_then(|b| vas_core::seda::Document::from_slice(&b).ok())
            .map(|doc| unit_tree(&doc))
    } else {
        None
    };
    // What Vitam's MANIFEST_DIGEST_CHECK compares with the digest sent alongside the SIP.
    let manifest_digest = r
        .manifest_bytes()
        .ok()
        .map(|b| vas_core::digest::digest_bytes(DigestAlgorithm::Sha512, &b));
    let files: Vec<_> = r.files().collect();
    let total: u64 = files.iter().map(|e| e.size).sum();
    let verdict = if !report.check.is_ok() {
        "KO"
    } else if report.check.violations.is_empty() {
        "OK"
    } else {
        "WARNING"
    };
    if a.json {
        let s = report.summary.as_ref();
        let v = json!({
            "path": a.sip.display().to_string(),
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
            "digests_checked": !a.no_digests,
            "digests_ok": report.digests_ok,
            "violations": report.check.violations.iter().map(|v| json!({
                "code": v.code,
                "kind": v.kind.name(),
                "entry": v.entry,
                "id": v.id,
                "message": v.message,
                "warning": v.warning,
            })).collect::<Vec<_>>(),
            "entry_list": if a.entries {
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
        print_json(&v)?;
    } else {
        println!(
            "package: {} ({}, {} entries, {} files, {} bytes)",
            a.sip.display(),
            r.container_kind().name(),
            r.entries().len(),
            files.len(),
            total
        );
        println!("manifest: {}", r.manifest_name().unwrap_or("(none)"));
        if let Some(d) = &manifest_digest {
            println!("  SHA-512: {d}");
        }
        if let Some(s) = &report.summary {
            let show = |k: &str, v: &Option<String>| {
                if let Some(v) = v {
                    println!("  {k}: {v}");
                }
            };
            show("SEDA version", &s.seda_version);
            show("MessageIdentifier", &s.message_identifier);
            show("ArchivalAgreement", &s.archival_agreement);
            show("ArchivalAgency", &s.archival_agency);
            show("TransferringAgency", &s.transferring_agency);
            show("ArchivalProfile", &s.archival_profile);
            show("OriginatingAgencyIdentifier", &s.originating_agency);
            show("SubmissionAgencyIdentifier", &s.submission_agency);
            show("Comment", &s.comment);
            println!(
                "counts: {} units, {} object groups, {} binary objects, {} physical objects",
                s.unit_count,
                s.object_group_count,
                s.objects.len(),
                s.physical_object_count
            );
            println!(
                "files: {} declared, {} present",
                s.objects.iter().filter(|o| o.uri.is_some()).count(),
                files
                    .len()
                    .saturating_sub(usize::from(r.manifest_name().is_some()))
            );
        }
        if !a.no_digests {
            println!("digests: {} verified", report.digests_ok);
        }
        if let Some(t) = &tree {
            println!("tree:");
            for (d, id, title) in t {
                println!("  {}{} [{}]", "  ".repeat(*d), title, id);
            }
        }
        if a.entries {
            for e in r.entries() {
                println!("  {:>12}  {}", e.size, e.name);
            }
        }
        for v in &report.check.violations {
            println!(
                "  {} {}{}: {}",
                if v.warning { "WARNING" } else { "KO" },
                v.code,
                v.entry
                    .as_deref()
                    .map(|e| format!(" [{e}]"))
                    .unwrap_or_default(),
                v.message
            );
        }
        println!("verdict: {verdict}");
    }
    Ok(if report.check.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    })
}

/// (depth, id, title) lines of the unit DAG, depth-first from the roots.
fn unit_tree(doc: &vas_core::seda::Document) -> Vec<(usize, String, String)> {
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
            continue; // a cycle, or a runaway tree
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
