//! The `vas rules` commands end to end: exit codes, JSON shape, and agreement with the
//! library on Vitam's SIPs.
#![cfg(feature = "cli")]

use std::process::Command;

use serde_json::Value;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/vitam");

fn vas(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vas"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn referentials(folder: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{FIX}/referentials/{folder}/jeu_donnees_OK_regles_CSV_regles.csv"),
        dir.path().join("rules.csv"),
    )
    .unwrap();
    std::fs::copy(
        format!("{FIX}/referentials/{folder}/agencies.csv"),
        dir.path().join("agencies.csv"),
    )
    .unwrap();
    dir
}

#[test]
fn compute_json_has_vitam_shape() {
    let r = referentials("integration-processing");
    let sip = format!(
        "{FIX}/sips/integration-test_integration-processing/OK_RULES_COMPLEXE_COMPLETE_V2.zip"
    );
    let (code, out, err) = vas(&[
        "rules",
        "compute",
        "--referentials",
        r.path().to_str().unwrap(),
        &sip,
        "--json",
        "--at",
        "2018-01-01",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let units = v["units"].as_array().unwrap();
    let pereire = units.iter().find(|u| u["title"] == "Pereire.txt").unwrap();
    assert_eq!(pereire["id"], "ID36");
    let ir = &pereire["inheritedRules"];
    assert!(ir["GlobalProperties"].is_array());
    for c in [
        "StorageRule",
        "AppraisalRule",
        "AccessRule",
        "DisseminationRule",
        "ReuseRule",
        "ClassificationRule",
        "HoldRule",
    ] {
        assert!(
            ir[c]["Rules"].is_array() && ir[c]["Properties"].is_array(),
            "{c}"
        );
    }
    let acc = &ir["AccessRule"]["Rules"][0];
    assert_eq!(acc["Rule"], "ACC-00001");
    assert_eq!(acc["UnitId"], "ID32");
    assert_eq!(acc["OriginatingAgency"], "RATP");
    assert_eq!(acc["Paths"], serde_json::json!([["ID36", "ID32"]]));
    assert_eq!(acc["StartDate"], "2000-01-01");
    assert_eq!(acc["EndDate"], "2000-01-01");
    // the indexed summary equals Vitam's expected file
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{FIX}/referentials/integration-processing/expectedPereireComputedInheritedRules.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(pereire["computedInheritedRules"], expected);
    assert_eq!(pereire["decisions"]["Communicable"], true);
    assert_eq!(pereire["decisions"]["Disseminable"], false);

    let (code, out, _) = vas(&[
        "rules",
        "compute",
        "--referentials",
        r.path().to_str().unwrap(),
        &sip,
        "--unit",
        "ID36",
        "--json",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["units"].as_array().unwrap().len(), 1);
    let (code, _, err) = vas(&[
        "rules",
        "compute",
        "--referentials",
        r.path().to_str().unwrap(),
        &sip,
        "--unit",
        "NOPE",
    ]);
    assert_eq!(code, 2);
    assert!(err.starts_with("vas: error: "), "{err}");
}

#[test]
fn compute_refuses_ko_sip_with_exit_1_and_code() {
    let r = referentials("integration-processing");
    let sip = format!(
        "{FIX}/sips/integration-test_integration-processing/SIP_KO_HoldRules_HoldEndDateForRuleWithDefinedDuration.zip"
    );
    let (code, out, err) = vas(&[
        "rules",
        "compute",
        "--referentials",
        r.path().to_str().unwrap(),
        &sip,
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1);
    assert!(err.contains("UNITS_RULES_COMPUTE.CONSISTENCY.KO"), "{err}");
    let (code, _, _) = vas(&[
        "rules",
        "compute",
        "--referentials",
        "/nonexistent-dir",
        &sip,
    ]);
    assert_eq!(code, 2);
}

#[test]
fn eliminable_json_matches_ingest_internal_it() {
    let r = referentials("integration-ingest-internal");
    let sip = format!(
        "{FIX}/sips/integration-test_integration-ingest-internal/1069_OK_RULES_COMPLEXE_COMPLETE_V2.zip"
    );
    let (code, out, err) = vas(&[
        "rules",
        "eliminable",
        "--referentials",
        r.path().to_str().unwrap(),
        &sip,
        "--at",
        "2018-01-01",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["summary"],
        serde_json::json!({"KEEP": 25, "DESTROY": 2, "CONFLICT": 1, "DELETED": 0})
    );
    let st = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["Title"] == "Stalingrad.txt")
        .unwrap();
    assert_eq!(st["GlobalStatus"], "CONFLICT");
    assert_eq!(
        st["ExtendedInfo"][0]["ExtendedInfoType"],
        "BLOCKED_BY_HOLD_RULE"
    );
    assert_eq!(
        st["ExtendedInfo"][0]["ExtendedInfoDetails"]["HoldRuleIds"],
        serde_json::json!(["HOL-00004"])
    );
    let (code, _, _) = vas(&[
        "rules",
        "eliminable",
        "--referentials",
        r.path().to_str().unwrap(),
        &sip,
        "--at",
        "18/01/2018",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn import_check_exit_codes() {
    let ok = format!("{FIX}/referentials/rules/jeu_donnees_OK_regles_CSV.csv");
    let (code, out, _) = vas(&["rules", "import-check", &ok]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("valid rules referential (25 rules)"));
    // tenant minimum durations (Vitam's listMinimumRuleDuration)
    let (code, out, _) = vas(&[
        "rules",
        "import-check",
        &ok,
        "--minimum",
        "AppraisalRule=7YEAR",
        "--json",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let lines: Vec<u64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [4, 10]); // APP-00002 (5 years) and APP-00005 (6 years)
    assert_eq!(
        v["errors"][0]["code"],
        "STP_IMPORT_RULES_RULEDURATION_EXCEED"
    );
    let (code, _, _) = vas(&[
        "rules",
        "import-check",
        &ok,
        "--minimum",
        "AppraisalRule=5YEAR",
    ]);
    assert_eq!(code, 0);
    let ko = format!(
        "{FIX}/referentials/rules/jeu_donnees_KO_regles_CSV_HoldRuleWithMeasureAndNoDuration.csv"
    );
    let (code, out, _) = vas(&["rules", "import-check", &ko, "--json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"][0]["line"], 2);
    assert_eq!(v["errors"][0]["column"], "RuleDuration");
    assert_eq!(v["errors"][0]["code"], "STP_IMPORT_RULES_NOT_CSV_FORMAT");
    let agencies = format!("{FIX}/referentials/agencies/agencies3.csv");
    let (code, out, _) = vas(&["rules", "import-check", &agencies]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(":4, column Name"), "{out}");
    let (code, _, err) = vas(&["rules", "import-check", "/nonexistent.csv"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("vas: error: "));
}

#[test]
fn compute_accepts_json_units_and_tar_sips() {
    let dir = referentials("integration-processing");
    let input = dir.path().join("units.json");
    std::fs::write(
        &input,
        r#"{"originatingAgency":"SP","managementMetadata":{"AccessRule":{"Rules":[{"Rule":"ACC-00002","StartDate":"2000-01-01"}]}},
            "units":[{"id":"root","title":"Root"},
                     {"id":"leaf","parents":["root"],"management":{"AccessRule":{"RefNonRuleId":["ACC-00002"]}}}]}"#,
    )
    .unwrap();
    let (code, out, err) = vas(&[
        "rules",
        "compute",
        "--referentials",
        dir.path().to_str().unwrap(),
        input.to_str().unwrap(),
        "--json",
        "--at",
        "2026-01-01",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let root = &v["units"][0];
    assert_eq!(
        root["inheritedRules"]["AccessRule"]["Rules"][0]["EndDate"],
        "2025-01-01"
    );
    assert_eq!(root["decisions"]["Communicable"], true);
    assert_eq!(
        v["units"][1]["inheritedRules"]["AccessRule"]["Rules"],
        serde_json::json!([])
    );

    let tar = format!("{FIX}/sips/integration-test_integration-processing/SIP.tar");
    let (code, out, err) = vas(&[
        "rules",
        "compute",
        "--referentials",
        dir.path().to_str().unwrap(),
        &tar,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("unit "), "{out}");
}
