//! `vas archive …` end to end: exit codes, JSON shapes, ingest of a refused SIP, audit
//! repair and rebuild through the CLI.
#![cfg(feature = "cli")]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SIPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/vitam/sips");

fn vas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vas"))
        .args(args)
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

fn p(x: &Path) -> &str {
    x.to_str().unwrap()
}

#[test]
fn archive_cli_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a");
    let o = vas(&["archive", "init", p(&root), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&o)["offers"], serde_json::json!(["fs-1", "fs-2"]));
    // A second init on a non-empty folder is refused as a usage error.
    assert_eq!(vas(&["archive", "init", p(&root)]).status.code(), Some(2));

    let ok = format!("{SIPS}/integration-test_integration-processing/OK_ARBO_complexe.zip");
    let o = vas(&["archive", "ingest", p(&root), &ok, "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let r = json(&o);
    let op = r["operation"].as_str().unwrap().to_string();
    let ko = format!("{SIPS}/workspace_workspace-common/sip.zip");
    let o = vas(&["archive", "ingest", p(&root), &ko]);
    assert_eq!(o.status.code(), Some(1));

    let q = dir.path().join("q.json");
    std::fs::write(
        &q,
        r#"{"$query": {"$exists": "Title"}, "$filter": {"$limit": 1000}}"#,
    )
    .unwrap();
    let o = vas(&[
        "archive",
        "search",
        p(&root),
        "--contract",
        "FULL_ACCESS",
        p(&q),
    ]);
    assert!(o.status.success());
    let ans = json(&o);
    let n = ans["$hits"]["total"].as_u64().unwrap();
    assert!(n > 0);
    let first = &ans["$results"][0];
    assert!(first["#id"].is_string() && first["Title"].is_string());
    assert!(first.get("#originating_agency").is_some());
    // Unknown contract: error exit 2, one line on stderr.
    let o = vas(&["archive", "search", p(&root), "--contract", "NOPE", p(&q)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("vas: error:"));

    // get: a unit with an object, to a file.
    let with_obj = ans["$results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["#object"].is_string())
        .expect("a unit with objects");
    let uid = with_obj["#id"].as_str().unwrap();
    let o = vas(&["archive", "get", p(&root), "--contract", "FULL_ACCESS", uid]);
    assert!(o.status.success());
    assert_eq!(json(&o)["#id"], uid);
    let out = dir.path().join("obj");
    let o = vas(&[
        "archive",
        "get",
        p(&root),
        "--contract",
        "FULL_ACCESS",
        uid,
        "--usage",
        "BinaryMaster",
        "-o",
        p(&out),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        json(&o)["size"].as_u64().unwrap(),
        std::fs::metadata(&out).unwrap().len()
    );

    let dip = dir.path().join("dip.zip");
    let o = vas(&[
        "archive",
        "dip",
        p(&root),
        "--contract",
        "FULL_ACCESS",
        p(&q),
        "-o",
        p(&dip),
        "--json",
    ]);
    assert!(o.status.success());
    assert_eq!(json(&o)["units"].as_u64().unwrap(), n);

    let o = vas(&["archive", "logbook", p(&root), "--json"]);
    let ops = json(&o);
    assert_eq!(ops.as_array().unwrap().len(), 2);
    let o = vas(&["archive", "logbook", p(&root), "--operation", &op, "--json"]);
    assert_eq!(json(&o)["evIdProc"], op);

    let o = vas(&["archive", "verify", p(&root), "--json"]);
    assert!(o.status.success());
    assert_eq!(json(&o)["ok"], true);

    // Delete a copy on fs-2: verify exits 1, audit finds it, audit --repair fixes it.
    let o = vas(&[
        "archive",
        "get",
        p(&root),
        "--contract",
        "FULL_ACCESS",
        uid,
        "--usage",
        "BinaryMaster",
        "-o",
        p(&out),
        "--json",
    ]);
    let obj_id = json(&o)["object"].as_str().unwrap().to_string();
    let fs2 = vas_core::storage::FilesystemOffer::open("fs-2", root.join("offers/fs-2")).unwrap();
    let victim =
        fs2.object_path(&vas_core::storage::ObjectKey::new(format!("objects/{obj_id}")).unwrap());
    drop(fs2);
    std::fs::remove_file(&victim).unwrap();
    assert_eq!(vas(&["archive", "verify", p(&root)]).status.code(), Some(1));
    assert_eq!(vas(&["archive", "audit", p(&root)]).status.code(), Some(1));
    let o = vas(&["archive", "audit", p(&root), "--repair", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(vas(&["archive", "verify", p(&root)]).status.success());

    let o = vas(&["archive", "rebuild", p(&root), "--json"]);
    assert!(o.status.success());
    assert_eq!(json(&o)["units"].as_u64().unwrap(), n);
    let o = vas(&[
        "archive",
        "search",
        p(&root),
        "--contract",
        "FULL_ACCESS",
        p(&q),
    ]);
    assert_eq!(json(&o)["$hits"]["total"].as_u64().unwrap(), n);
}
