//! The cross-language interop fixture (`tests/interop/`), Rust side.
//!
//! `tests/interop/spec.json` describes one SIP (header, units, rules, objects from files
//! and from bytes). Rust, Python, Node and C each build it with their own builder API in
//! deterministic mode; all four must produce the same bytes, whose SHA-256 is recorded in
//! `tests/interop/expected.json`, and the same dry-run verdict. The same file records the
//! dry-run report (event types, outcomes, outcome codes and messages) of the KO SIPs in
//! `tests/interop/ko/`, which every language must reproduce exactly.
//!
//! `VAS_BLESS=1 cargo test -p vas-core --test interop` rewrites `expected.json` (review the
//! diff: it is the contract the three bindings are held to).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vas_core::digest::{DigestAlgorithm, Hasher};
use vas_core::ingest::{DryRunOptions, dry_run};
use vas_core::referential::Referentials;
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    BuildOptions, Compression, ObjectInput, PackageFormat, SipBuilder, WriterOptions,
    bundled_format_identifier,
};

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Builds the spec's SIP with the Rust builder, returns the package bytes.
fn build_from_spec(spec: &Value, dir: &Path) -> Vec<u8> {
    let version = match s(spec, "seda_version").unwrap() {
        "2.1" => SedaVersion::V2_1,
        "2.2" => SedaVersion::V2_2,
        _ => SedaVersion::V2_3,
    };
    let mut b = SipBuilder::new(version);
    let h = &spec["header"];
    b.message_identifier(s(h, "message_identifier").unwrap())
        .date(s(h, "date").unwrap())
        .comment(s(h, "comment").unwrap())
        .archival_agreement(s(h, "archival_agreement").unwrap())
        .archival_agency(s(h, "archival_agency").unwrap())
        .transferring_agency(s(h, "transferring_agency").unwrap())
        .originating_agency(s(h, "originating_agency").unwrap())
        .submission_agency(s(h, "submission_agency").unwrap());
    let mut keys = std::collections::HashMap::new();
    for u in spec["units"].as_array().unwrap() {
        let parent = s(u, "parent").map(|p| keys[p]);
        let id = b.add_unit(parent, s(u, "title").unwrap()).unwrap();
        keys.insert(s(u, "key").unwrap().to_string(), id);
        let data = b.unit_mut(id).unwrap();
        data.description_level = s(u, "description_level").map(str::to_string);
        data.description = s(u, "description").map(str::to_string);
        data.start_date = s(u, "start_date").map(str::to_string);
        data.end_date = s(u, "end_date").map(str::to_string);
        for r in u["rules"].as_array().unwrap() {
            data.rule(
                s(r, "category").unwrap(),
                s(r, "rule").unwrap(),
                s(r, "start_date"),
            );
        }
        for f in u["final_actions"].as_array().unwrap() {
            data.final_action(s(f, "category").unwrap(), s(f, "action").unwrap());
        }
        for f in u["fields"].as_array().unwrap() {
            data.field(s(f, "path").unwrap(), s(f, "value").unwrap());
        }
        for o in u["objects"].as_array().unwrap() {
            let input = if let Some(p) = s(o, "path") {
                ObjectInput::path(dir.join(p))
            } else {
                ObjectInput::bytes(
                    s(o, "filename").unwrap(),
                    s(o, "bytes_utf8").unwrap().as_bytes().to_vec(),
                )
            };
            b.add_object(id, input.usage(s(o, "usage").unwrap()))
                .unwrap();
        }
    }
    let o = &spec["options"];
    assert_eq!(s(o, "format"), Some("zip"));
    assert_eq!(s(o, "digest_algorithm"), Some("SHA-512"));
    let writer = WriterOptions::new(PackageFormat::Zip)
        .algorithm(DigestAlgorithm::Sha512)
        .compression(match s(o, "compression") {
            Some("stored") => Compression::Stored,
            _ => Compression::Deflated(o["compression_level"].as_u64().unwrap() as u32),
        })
        .deterministic(o["deterministic"].as_bool().unwrap());
    let mut opts = BuildOptions::new(writer);
    opts.manifest_last = o["manifest_last"].as_bool().unwrap();
    if o["identify_formats"].as_bool().unwrap() {
        opts.identify = Some(bundled_format_identifier().unwrap());
    }
    let (cursor, _report) = b.write(std::io::Cursor::new(Vec::new()), opts).unwrap();
    cursor.into_inner()
}

/// The part of a dry-run report every language must reproduce: no paths, no timings.
fn project(report: &Value) -> Value {
    let events: Vec<Value> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["evType"], e["outcome"], e["outDetail"], e["outMessg"]]))
        .collect();
    json!({"outcome": report["outcome"], "outDetail": report["outDetail"], "events": events})
}

fn dry_run_projection(sip: &Path, refs: &Path) -> Value {
    let refs = Referentials::load_dir(refs).unwrap();
    let run = dry_run(sip, &refs, &DryRunOptions::default()).unwrap();
    project(&run.report.to_json())
}

#[test]
fn rust_builds_the_interop_sip_and_reports_as_recorded() {
    let dir = interop_dir();
    let spec: Value =
        serde_json::from_slice(&std::fs::read(dir.join("spec.json")).unwrap()).unwrap();
    let bytes = build_from_spec(&spec, &dir);
    // deterministic: a second build gives the same bytes
    assert_eq!(bytes, build_from_spec(&spec, &dir));
    let mut h = Hasher::new(DigestAlgorithm::Sha256);
    h.update(&bytes);
    let sha = h.finalize_hex();

    let tmp = tempfile::tempdir().unwrap();
    let sip = tmp.path().join("interop.zip");
    std::fs::write(&sip, &bytes).unwrap();
    let refs_ok = dir.join(s(&spec, "ok_referentials").unwrap_or("../../examples/referentials"));
    let ok = dry_run_projection(&sip, &refs_ok);
    assert!(
        matches!(ok["outcome"].as_str(), Some("OK" | "WARNING")),
        "the interop SIP must be accepted: {ok:#}"
    );

    let refs_ko = dir.join(s(&spec, "ko_referentials").unwrap());
    let mut ko = serde_json::Map::new();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("ko"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for name in names {
        let p = dry_run_projection(&dir.join("ko").join(&name), &refs_ko);
        assert_eq!(p["outcome"], "KO", "{name} must be refused: {p:#}");
        ko.insert(name, p);
    }

    let actual = json!({
        "comment": "Written by `VAS_BLESS=1 cargo test -p vas-core --test interop`; checked by the Rust, Python, Node and C interop tests.",
        "sip": {"sha256": sha, "size": bytes.len(), "dry_run": ok},
        "ko": Value::Object(ko),
    });
    let path = dir.join("expected.json");
    if std::env::var_os("VAS_BLESS").is_some() {
        let mut text = serde_json::to_string_pretty(&actual).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
    }
    let expected: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        actual["sip"], expected["sip"],
        "the interop SIP changed; if intended, re-bless"
    );
    assert_eq!(actual["ko"], expected["ko"]);
}
