//! `inspect_sip`: what `vas sip inspect --json` prints, as a value.
//!
//! This one-call entry point is missing from `vas_core::api` (the CLI builds its JSON
//! inline in `vas-core/src/bin/vas/sip_cmd.rs`); it is written here, reproducing the CLI's
//! document field for field, until it moves into `vas_core::api`.

use std::path::Path;

use serde_json::{Value, json};
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::sip::{Limits, SipReader, SipReport, scan_manifest};
use vas_core::{ErrorKind, Result};

use crate::sip::vas_inspect_options;

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

/// (depth, id, title) lines of the unit DAG, depth-first from the roots (as the CLI).
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
            continue;
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

/// Inspects a package as `vas sip inspect --json` does.
pub(crate) fn inspect_sip(sip: &Path, o: &vas_inspect_options) -> Result<Value> {
    let mut limits = Limits::default();
    if o.max_total_size > 0 {
        limits.max_total_size = o.max_total_size;
    }
    if o.max_entries > 0 {
        limits.max_entries = o.max_entries;
    }
    if o.max_ratio > 0 {
        limits.max_ratio = o.max_ratio;
    }
    let mut r = match SipReader::open(sip, limits) {
        Ok(r) => r,
        Err(e) if is_refusal(e.kind()) => {
            return Ok(json!({
                "path": sip.display().to_string(),
                "verdict": "REFUSED",
                "error": {
                    "kind": e.kind().name(),
                    "message": e.message(),
                    "entry": e.context().path.as_ref().map(|p| p.display().to_string()),
                    "code": e.context().code,
                }
            }));
        }
        Err(e) => return Err(e),
    };
    let report: SipReport = if o.no_digests {
        let mut check = r.check_container();
        let summary = match r.manifest_bytes() {
            Ok(b) => scan_manifest(&b).ok(),
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
    let tree = if o.tree {
        r.manifest_bytes()
            .ok()
            .and_then(|b| vas_core::seda::Document::from_slice(&b).ok())
            .map(|doc| unit_tree(&doc))
    } else {
        None
    };
    let manifest_digest = r
        .manifest_bytes()
        .ok()
        .map(|b| digest_bytes(DigestAlgorithm::Sha512, &b));
    let files: Vec<_> = r.files().collect();
    let total: u64 = files.iter().map(|e| e.size).sum();
    let verdict = if !report.check.is_ok() {
        "KO"
    } else if report.check.violations.is_empty() {
        "OK"
    } else {
        "WARNING"
    };
    let s = report.summary.as_ref();
    Ok(json!({
        "path": sip.display().to_string(),
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
        "digests_checked": !o.no_digests,
        "digests_ok": report.digests_ok,
        "violations": report.check.violations.iter().map(|v| json!({
            "code": v.code,
            "kind": v.kind.name(),
            "entry": v.entry,
            "id": v.id,
            "message": v.message,
            "warning": v.warning,
        })).collect::<Vec<_>>(),
        "entry_list": if o.entries {
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
    }))
}
