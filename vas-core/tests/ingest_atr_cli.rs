//! The ATR is valid against the official SEDA XSD (checked with xmllint), the referential
//! directories load, and `vas ingest --dry-run` writes the report and the ATR with the
//! documented exit codes.

use std::path::Path;
use std::process::Command;

use vas_core::ingest::{DryRunOptions, Status, dry_run, vitam_test_format_mock};
use vas_core::referential::Referentials;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");

fn xmllint_valid(xml: &str, version: &str) -> Option<bool> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("atr.xml");
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", format!("{SCHEMAS}/catalog.xml"))
        .args(["--nonet", "--noout", "--schema"])
        .arg(format!("{SCHEMAS}/{version}/seda-{version}-main.xsd"))
        .arg(&f)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Some(out.status.success())
}

fn sip(name: &str) -> std::path::PathBuf {
    Path::new(FIX).join("vitam/sips").join(name)
}

#[test]
fn referential_directories_load() {
    for d in ["integration-processing", "integration-ingest-internal"] {
        let r = Referentials::load_dir(Path::new(FIX).join("referentials").join(d)).unwrap();
        assert!(!r.agencies.as_ref().unwrap().is_empty());
        assert!(r.rules.as_ref().unwrap().len() > 10);
        assert!(r.formats.is_some());
        assert!(r.ingest_contract("ArchivalAgreement0").is_some());
        assert!(r.access_contracts.as_ref().unwrap().len() > 1);
        let p = r.archival_profile("PR-000001").unwrap();
        assert!(p.file.as_ref().unwrap().is_file());
        assert!(r.archive_unit_profile("AUP-000001").is_some());
        assert!(r.context("Context_IT").is_some());
        assert_eq!(r.missing(), ["platform.json"]);
    }
}

#[test]
fn invalid_referential_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ingest-contracts.json"), b"[{\"Name\":1}]").unwrap();
    let e = Referentials::load_dir(dir.path()).unwrap_err();
    assert_eq!(e.kind(), vas_core::ErrorKind::InvalidInput);
    assert!(
        e.context()
            .path
            .as_ref()
            .unwrap()
            .ends_with("ingest-contracts.json")
    );
    std::fs::write(
        dir.path().join("ingest-contracts.json"),
        br#"[{"Identifier":"A","Name":"a"},{"Identifier":"A","Name":"b"}]"#,
    )
    .unwrap();
    let e = Referentials::load_dir(dir.path()).unwrap_err();
    assert_eq!(e.kind(), vas_core::ErrorKind::AlreadyExists);
}

#[test]
fn atr_is_xsd_valid_for_ok_warning_and_ko() {
    let processing =
        Referentials::load_dir(Path::new(FIX).join("referentials/integration-processing")).unwrap();
    let internal =
        Referentials::load_dir(Path::new(FIX).join("referentials/integration-ingest-internal"))
            .unwrap();
    let opts = DryRunOptions {
        format_hook: Some(vitam_test_format_mock()),
        ..Default::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for (name, version) in [
        (
            "integration-test_integration-processing/SIP_NO_FORMAT.zip",
            "2.1",
        ),
        (
            "integration-test_integration-processing/OK-registre-fonds.zip",
            "2.1",
        ),
        (
            "integration-test_integration-processing/SIP_INGEST_CONTRACT_UNKNOW.zip",
            "2.1",
        ),
        (
            "integration-test_Signature/OK_SEDA_2.3_SigningInformation.zip",
            "2.3",
        ),
        (
            "integration-test_Signature/OK_SEDA_2.2_Signature.zip",
            "2.2",
        ),
        (
            "integration-test_integration-ingest-internal/Photo-Objet-physique.zip",
            "2.1",
        ),
    ] {
        let refs = if name.contains("ingest-internal") {
            &internal
        } else {
            &processing
        };
        let run = dry_run(&sip(name), refs, &opts).unwrap();
        seen.insert(run.report.outcome);
        if name.contains("Physique") {
            assert!(run.report.outcome.is_accepted());
            assert!(run.atr.contains("<PhysicalDataObject id="));
        }
        assert!(
            run.atr
                .contains(&format!("<ReplyCode>{}</ReplyCode>", run.report.outcome)),
            "{name}"
        );
        if run.report.outcome == Status::Ko {
            assert!(run.atr.contains("<OutcomeDetail>CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_UNKNOWN.KO</OutcomeDetail>"));
            assert!(!run.atr.contains("<SystemId>"));
        } else {
            assert!(run.atr.contains("<SystemId>"));
            assert!(run.atr.contains("<DataObjectSystemId>"));
        }
        assert!(run.atr.contains(&format!(
            "xmlns=\"fr:gouv:culture:archivesdefrance:seda:v{version}\""
        )));
        match xmllint_valid(&run.atr, version) {
            Some(ok) => assert!(ok, "{name}: ATR not valid:\n{}", run.atr),
            None => eprintln!("xmllint not installed: XSD check skipped"),
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

#[test]
fn cli_dry_run_writes_report_and_atr() {
    let bin = env!("CARGO_BIN_EXE_vas");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let atr = dir.path().join("atr.xml");
    let refs = Path::new(FIX).join("referentials/integration-processing");
    let run = |s: &str| {
        Command::new(bin)
            .args(["ingest", "--dry-run", "--referentials"])
            .arg(&refs)
            .arg("--report")
            .arg(&report)
            .arg("--atr")
            .arg(&atr)
            .arg(sip(s))
            .output()
            .unwrap()
    };
    let out = run("integration-test_integration-processing/SIP_NO_FORMAT.zip");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["evType"], "PROCESS_SIP_UNITARY");
    assert_eq!(r["outcome"], "OK");
    assert!(r["events"].as_array().unwrap().len() > 10);
    assert!(r["lifecycles"]["units"].as_object().unwrap().len() > 1);
    assert!(
        std::fs::read_to_string(&atr)
            .unwrap()
            .contains("<ReplyCode>OK</ReplyCode>")
    );

    let out = run("integration-test_integration-processing/SIP_INGEST_CONTRACT_UNKNOW.zip");
    assert_eq!(out.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["outDetail"], "PROCESS_SIP_UNITARY.KO");

    // usage errors
    let out = Command::new(bin)
        .args(["ingest", "x.zip"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(bin)
        .args(["ingest", "--archive", "/nonexistent", "x.zip"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not an archive folder") && err.contains("/nonexistent"),
        "{err}"
    );
}
