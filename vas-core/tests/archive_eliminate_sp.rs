//! Elimination of a unit held by several originating agencies (Vitam's `KEEP_ACCESS_SP`):
//! agency `SP1` attaches its unit under a unit of agency `SP2`. The attached unit inherits
//! `SP2`'s appraisal rule (tagged with `SP2`) on top of its own (`SP1`): when its own rule
//! has expired but `SP2`'s has not, the analysis is `CONFLICT` with `KEEP_ACCESS_SP` (its own
//! agency would destroy, another keeps) and nothing is deleted — neither the unit nor, once
//! `SP2`'s rule has ended too, `SP2`'s parent unit (`NON_DESTROYABLE_HAS_CHILD_UNITS`).

#[allow(dead_code)]
mod archive_support;

use std::path::{Path, PathBuf};

use archive_support::{create_archive, ingest_accepted};
use serde_json::json;
use vas_core::archive::EliminationOptions;
use vas_core::catalog::AccessContract;

const RULES: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
APP-1,AppraisalRule,DUA 1 an,,1,YEAR\n\
APP-30,AppraisalRule,DUA 30 ans,,30,YEAR\n";

fn appraisal(rule: &str) -> String {
    format!(
        "<Management><AppraisalRule><Rule>{rule}</Rule><StartDate>2000-01-01</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule></Management>"
    )
}

/// A SEDA 2.1 SIP (folder `root/name`) of `agency` with the given units, no objects.
fn sip(root: &Path, name: &str, agency: &str, units: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("Content")).unwrap();
    std::fs::write(
        dir.join("manifest.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
  <Date>2024-01-01T00:00:00</Date>
  <MessageIdentifier>{name}</MessageIdentifier>
  <ArchivalAgreement>IC-1</ArchivalAgreement>
  <CodeListVersions/>
  <DataObjectPackage>
    <DescriptiveMetadata>{units}</DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>{agency}</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>
"#
        ),
    )
    .unwrap();
    dir
}

#[test]
fn a_unit_another_agency_still_keeps_is_in_conflict_with_keep_access_sp() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive(dir.path(), RULES, &[AccessContract::full_access("ALL")]);
    // SP2's unit P: kept until 2030 (APP-30 from 2000).
    let first = sip(
        dir.path(),
        "SP2-P",
        "SP2",
        &format!(
            r#"<ArchiveUnit id="P">{}<Content><DescriptionLevel>RecordGrp</DescriptionLevel><Title>Dossier SP2</Title></Content></ArchiveUnit>"#,
            appraisal("APP-30")
        ),
    );
    let p = ingest_accepted(&a, &first)["P"].clone();
    // SP1 attaches its unit X (APP-1: expired since 2001) under P.
    let second = sip(
        dir.path(),
        "SP1-X",
        "SP1",
        &format!(
            r#"<ArchiveUnit id="U1"><Management><UpdateOperation><SystemId>{p}</SystemId></UpdateOperation></Management>
  <Content><DescriptionLevel>RecordGrp</DescriptionLevel><Title>Dossier SP2</Title></Content>
  <ArchiveUnit id="X">{}<Content><DescriptionLevel>Item</DescriptionLevel><Title>Pièce SP1</Title></Content></ArchiveUnit>
</ArchiveUnit>"#,
            appraisal("APP-1")
        ),
    );
    let x = ingest_accepted(&a, &second)["X"].clone();
    assert_eq!(a.counts().unwrap().0, 2);

    let select_x = json!({"$query": {"$eq": {"#id": x}}});
    let in_2026 = EliminationOptions {
        date: Some("2026-06-01".into()),
        dry_run: false,
    };
    let r = a.eliminate("ALL", &select_x, &in_2026).unwrap();
    let v = r.unit(&x).expect("X is selected");
    assert_eq!(v.global_status, "CONFLICT", "{v:?}");
    assert_eq!(v.status, "GLOBAL_STATUS_CONFLICT", "{v:?}");
    assert!(v.reasons.iter().any(|r| r == "KEEP_ACCESS_SP"), "{v:?}");
    let analysis = v.analysis.to_string();
    assert!(
        analysis.contains("\"SP1\"") && analysis.contains("\"SP2\""),
        "{analysis}"
    );
    assert_eq!(
        v.analysis["DestroyableOriginatingAgencies"],
        json!(["SP1"]),
        "{analysis}"
    );
    assert_eq!(
        v.analysis["NonDestroyableOriginatingAgencies"],
        json!(["SP2"]),
        "{analysis}"
    );
    assert!(r.eliminated_units.is_empty(), "{r:?}");
    assert_eq!(a.counts().unwrap().0, 2);

    // In 2031 SP2's own rule has ended too, yet X stays: X declares its own FinalAction,
    // which replaces the one it would inherit from P, so for SP2 X has an ended rule and no
    // FinalAction — a keep (Vitam's inheritance: a declared property is not merged with
    // the inherited ones). P, now destroyable for SP2, cannot go either: its child X stays.
    let everything = json!({"$query": {}});
    let in_2031 = EliminationOptions {
        date: Some("2031-01-01".into()),
        dry_run: false,
    };
    let r = a.eliminate("ALL", &everything, &in_2031).unwrap();
    let v = r.unit(&x).unwrap();
    assert_eq!(v.global_status, "CONFLICT", "{v:?}");
    assert!(v.reasons.iter().any(|r| r == "KEEP_ACCESS_SP"), "{v:?}");
    let vp = r.unit(&p).expect("P is selected");
    assert_eq!(vp.global_status, "DESTROY", "{vp:?}");
    assert_eq!(vp.status, "NON_DESTROYABLE_HAS_CHILD_UNITS", "{vp:?}");
    assert!(r.eliminated_units.is_empty(), "{r:?}");
    assert_eq!(a.counts().unwrap().0, 2);
    let ver = a.verify().unwrap();
    assert!(ver.is_ok(), "{:?}", ver.problems);
}
