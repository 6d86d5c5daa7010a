//! `vas manifest rewrite` and `vas manifest stats`.
#![cfg(feature = "cli")]

mod seda_support;

use std::process::Command;

use seda_support::*;

fn vas(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_vas"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn rewrite_roundtrips_and_converts() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixture("seda/samples/ok-2.3.xml");
    let out = tmp.path().join("o.xml");
    let (rc, _, err) = vas(&[
        "manifest",
        "rewrite",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{err}");
    let a = vas_core::seda::Document::from_file(&input).unwrap();
    let b = vas_core::seda::Document::from_file(&out).unwrap();
    assert_eq!(a, b);
    // down-conversion of a 2.3-only element fails with exit 2 and one error line
    let (rc, _, err) = vas(&[
        "manifest",
        "rewrite",
        fixture("seda/samples/f23-use-2.3.xml").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--seda-version",
        "2.1",
    ]);
    assert_eq!(rc, 2);
    assert!(
        err.starts_with("vas: error:") && err.contains("DataObjectUse"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1);
    // not a SEDA document
    let bad = tmp.path().join("bad.xml");
    std::fs::write(&bad, "<a/>").unwrap();
    let (rc, _, _) = vas(&["manifest", "rewrite", bad.to_str().unwrap(), "-o", "-"]);
    assert_eq!(rc, 2);
}

#[test]
fn stats_text_and_json() {
    let f = fixture("seda/samples/SampleWithLinkHierarchicalManifest.xml");
    let (rc, out, err) = vas(&["manifest", "stats", f.to_str().unwrap(), "--json"]);
    assert_eq!(rc, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let d = vas_core::seda::Document::from_file(&f).unwrap();
    let s = d.stats();
    assert_eq!(v["version"], "2.1");
    assert_eq!(v["units"], s.units);
    assert_eq!(v["groups"], s.groups);
    assert_eq!(v["binary_objects"], s.binary_objects);
    assert_eq!(v["physical_objects"], s.physical_objects);
    assert_eq!(v["roots"], s.roots);
    assert_eq!(v["max_depth"], s.max_depth);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    let (rc, out, _) = vas(&[
        "manifest",
        "stats",
        fixture("seda/samples/ko-idref-2.3.xml").to_str().unwrap(),
    ]);
    assert_eq!(rc, 0);
    assert!(out.contains("dangling_reference line 80"), "{out}");
}
