//! Units attached under an existing unit (`UpdateOperation`) inherit the existing unit's
//! rules: their stored `#computedInheritedRules` equal what the rules engine computes for
//! the same tree ingested in one SIP, and an elimination sees the inherited appraisal rule.

use std::path::Path;

use serde_json::{Value, json};
use vas_core::archive::{Archive, EliminationOptions, IngestOptions, InitOptions};
use vas_core::rules::{compute_inherited_rules, read_manifest_units_bytes};
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

const RULES: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
APP-1,AppraisalRule,DUA 1 an,,1,YEAR\n\
ACC-10,AccessRule,Communicable 10 ans,,10,YEAR\n\
DIS-1,DisseminationRule,Diffusion,,5,YEAR\n";

const ROOT_MGMT: &str = "<Management><AppraisalRule><Rule>APP-1</Rule><StartDate>2000-01-01</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule><AccessRule><Rule>ACC-10</Rule><StartDate>2001-01-01</StartDate></AccessRule></Management>";
/// The grandchild's own rule, so the computation mixes local and inherited rules.
const Y_MGMT: &str = "<Management><DisseminationRule><Rule>DIS-1</Rule><StartDate>2002-01-01</StartDate></DisseminationRule></Management>";

fn manifest(units: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
 <Date>2024-01-01T00:00:00</Date><MessageIdentifier>M</MessageIdentifier>
 <ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>
 <DescriptiveMetadata>{units}</DescriptiveMetadata>
 <ManagementMetadata><OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier></ManagementMetadata>
 </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
 <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#
    )
}

fn unit(id: &str, title: &str, mgmt: &str, kids: &str) -> String {
    format!(
        r#"<ArchiveUnit id="{id}">{mgmt}<Content><DescriptionLevel>RecordGrp</DescriptionLevel><Title>{title}</Title></Content>{kids}</ArchiveUnit>"#
    )
}

/// X ("Attached", no rules) with child Y ("AttachedChild", its own DisseminationRule).
fn x_and_y() -> String {
    unit("X", "Attached", "", &unit("Y", "AttachedChild", Y_MGMT, ""))
}

fn write_sip(path: &Path, manifest: &str) {
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.finish().unwrap();
}

fn rules_of(a: &Archive, title: &str) -> Value {
    let r = a
        .search("FULL_ACCESS", &json!({"$query": {"$eq": {"Title": title}}}))
        .unwrap();
    assert_eq!(r["$hits"]["total"], 1, "{title}");
    let id = r["$results"][0]["#id"].as_str().unwrap().to_string();
    a.get_unit("FULL_ACCESS", &id).unwrap()["#computedInheritedRules"].clone()
}

#[test]
fn attached_units_inherit_the_existing_parents_rules() {
    let dir = tempfile::tempdir().unwrap();
    let refs = dir.path().join("refs");
    std::fs::create_dir_all(&refs).unwrap();
    std::fs::write(refs.join("rules.csv"), RULES).unwrap();
    let a = Archive::create(
        dir.path().join("archive"),
        &InitOptions {
            referentials: Some(refs),
            ..Default::default()
        },
    )
    .unwrap();
    // 1. The existing fonds, with the rules.
    let sip1 = dir.path().join("fonds.zip");
    write_sip(&sip1, &manifest(&unit("R", "Fonds", ROOT_MGMT, "")));
    let r1 = a.ingest(&sip1, &IngestOptions::default()).unwrap();
    assert!(
        r1.report.outcome.is_accepted(),
        "{:?}",
        r1.report.out_details()
    );
    let fonds = r1.system_ids["R"].clone();
    // 2. X and Y attached under it.
    let sip2 = dir.path().join("attach.zip");
    write_sip(
        &sip2,
        &manifest(&unit(
            "U",
            "Fonds",
            &format!(
                "<Management><UpdateOperation><SystemId>{fonds}</SystemId></UpdateOperation></Management>"
            ),
            &x_and_y(),
        )),
    );
    let r2 = a.ingest(&sip2, &IngestOptions::default()).unwrap();
    assert!(
        r2.report.outcome.is_accepted(),
        "{:?}",
        r2.report.out_details()
    );
    assert_eq!(r2.system_ids["U"], fonds);

    // The oracle: the rules engine on the same tree in one SIP.
    let whole = manifest(&unit("R", "Fonds", ROOT_MGMT, &x_and_y()));
    let m = read_manifest_units_bytes(whole.as_bytes()).unwrap();
    let referential =
        vas_core::referential::RulesReferential::from_csv_bytes(RULES.as_bytes()).unwrap();
    let computed = compute_inherited_rules(&m.units, &referential).unwrap();
    for (id, title) in [("X", "Attached"), ("Y", "AttachedChild")] {
        let expected = computed.unit(id).unwrap().summary();
        let got = rules_of(&a, title);
        assert_eq!(got, expected, "{title}");
    }
    // Not trivially equal: X inherits the fonds' appraisal and access rules.
    let x = rules_of(&a, "Attached");
    assert_eq!(x["AppraisalRule"]["InheritedRuleIds"], json!(["APP-1"]));
    assert_eq!(x["AppraisalRule"]["MaxEndDate"], "2001-01-01");
    assert_eq!(x["AppraisalRule"]["FinalAction"], json!(["Destroy"]));
    assert_eq!(x["AccessRule"]["MaxEndDate"], "2011-01-01");
    let y = rules_of(&a, "AttachedChild");
    assert_eq!(y["DisseminationRule"]["InheritanceOrigin"], "Local");
    assert_eq!(y["AppraisalRule"]["InheritanceOrigin"], "Inherited");

    // A rebuild keeps them (they are in the documents on the offers).
    a.rebuild().unwrap();
    assert_eq!(rules_of(&a, "Attached"), x);
    // The elimination analysis follows the catalog graph: X and Y inherit APP-1 + Destroy.
    let el = a
        .eliminate(
            "FULL_ACCESS",
            &json!({"$query": {"$in": {"Title": ["Attached", "AttachedChild"]}}}),
            &EliminationOptions {
                date: Some("2026-01-01".into()),
                dry_run: true,
            },
        )
        .unwrap();
    assert_eq!(el.eliminated_units.len(), 2, "{:?}", el.units);
    assert!(a.verify().unwrap().is_ok());
}
