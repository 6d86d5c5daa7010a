//! The one-call entry points of `vas_core::api` that the bindings call: they must give
//! exactly what the command line gives.

use std::path::{Path, PathBuf};
use std::process::Command;

use vas_core::ErrorKind;
use vas_core::api::{Input, RulesOptions, compute_rules, dry_run_ingest};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn compute_rules_equals_the_cli_json() {
    let refs = root().join("tests/fixtures/referentials/integration-processing");
    let sip = root()
        .join("tests/fixtures/vitam/sips/integration-test_integration-processing/SIP_INGEST_WRONG_DATE.zip");
    // a rules error carries Vitam's outcome code
    let ingest_internal = root().join("tests/fixtures/referentials/integration-ingest-internal");
    let err = compute_rules(
        &ingest_internal,
        Input::Path(&sip),
        &RulesOptions::default(),
    )
    .unwrap_err();
    assert!(err.context().code.is_some(), "{err}");

    let interop = root().join("tests/interop");
    let tmp = tempfile::tempdir().unwrap();
    // the interop SIP is built by tests/interop.rs; build a manifest-only input here instead
    let manifest = tmp.path().join("manifest.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_vas"))
        .args(["sip", "build", "--no-identify", "--deterministic", "-o"])
        .arg(tmp.path().join("demo.zip"))
        .arg(root().join("examples/demo"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let zip = std::fs::File::open(tmp.path().join("demo.zip")).unwrap();
    let mut z = zip::ZipArchive::new(zip).unwrap();
    std::io::copy(
        &mut z.by_name("manifest.xml").unwrap(),
        &mut std::fs::File::create(&manifest).unwrap(),
    )
    .unwrap();
    let refs_demo = root().join("examples/referentials");
    let opts = RulesOptions {
        unit: None,
        at: Some("2030-06-01".into()),
    };
    let api = compute_rules(&refs_demo, Input::Path(&manifest), &opts).unwrap();
    let bytes = std::fs::read(&manifest).unwrap();
    assert_eq!(
        api,
        compute_rules(&refs_demo, Input::Bytes(&bytes), &opts).unwrap()
    );
    let cli = Command::new(env!("CARGO_BIN_EXE_vas"))
        .args([
            "rules",
            "compute",
            "--json",
            "--at",
            "2030-06-01",
            "--referentials",
        ])
        .arg(&refs_demo)
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(api, cli);
    let units = api["units"].as_array().unwrap();
    assert!(units.len() > 1);
    assert!(units.iter().all(|u| u["decisions"].is_object()));

    let missing = compute_rules(&refs, Input::Path(&interop.join("nope.xml")), &opts).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    let unknown_unit = RulesOptions {
        unit: Some("NO-SUCH-UNIT".into()),
        at: None,
    };
    let e = compute_rules(&refs_demo, Input::Path(&manifest), &unknown_unit).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn dry_run_ingest_equals_the_cli_report() {
    let refs = root().join("tests/fixtures/referentials/integration-ingest-internal");
    for name in [
        "SIP_INCORRECT_ALGORITHM.zip",
        "SIP_arbre_without_ingest_contract.zip",
    ] {
        let sip = root().join("tests/interop/ko").join(name);
        let r = dry_run_ingest(&sip, Some(&refs), None).unwrap();
        assert!(!r.accepted);
        assert!(r.atr.contains("<ReplyCode>KO</ReplyCode>"), "{}", r.atr);
        let tmp = tempfile::tempdir().unwrap();
        let report = tmp.path().join("r.json");
        let out = Command::new(env!("CARGO_BIN_EXE_vas"))
            .args(["ingest", "--dry-run", "--referentials"])
            .arg(&refs)
            .arg("--report")
            .arg(&report)
            .arg(&sip)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let cli: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
        assert_eq!(r.report, cli, "{name}");
    }
    let e = dry_run_ingest(Path::new("/nonexistent.zip"), None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn inspect_sip_verdicts_and_refusals() {
    use vas_core::api::{InspectOptions, inspect_sip};
    let sips = root().join("tests/fixtures/vitam/sips");
    let ok = inspect_sip(
        &root().join("tests/interop/ko/SIP_INCORRECT_ALGORITHM.zip"),
        &InspectOptions {
            tree: true,
            entries: true,
            ..InspectOptions::default()
        },
    )
    .unwrap();
    assert!(ok.refusal.is_none());
    assert!(ok.json["tree"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        ok.json["entries"].as_u64().unwrap() as usize,
        ok.json["entry_list"].as_array().unwrap().len()
    );
    let bad = inspect_sip(
        &sips.join("workspace_workspace-common/SIP_KO_PathTraversalInFileName.zip"),
        &InspectOptions::default(),
    )
    .unwrap();
    assert_eq!(bad.json["verdict"], "REFUSED");
    let e = bad.refusal.unwrap();
    assert_eq!(bad.json["error"]["kind"], e.kind().name());
    let missing = inspect_sip(Path::new("/nonexistent.zip"), &InspectOptions::default());
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
}
