//! An object group shared by an eliminated unit and a kept one is detached, not deleted
//! (Vitam's `PARTIAL_DETACHMENT` / `ELIMINATION_ACTION_DETACH_OBJECT_GROUP`): its objects
//! stay readable through the kept unit, its lifecycle records the detachment, the stored
//! report lists it, and `verify`, `audit` and `rebuild` agree.
#![cfg(feature = "cli")]

mod archive_support;

use archive_support::{create_archive, ingest_accepted, snapshot};
use std::path::Path;

use serde_json::json;
use vas_core::archive::EliminationOptions;
use vas_core::catalog::AccessContract;
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::logbook::LifecycleKind;
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

const RULES: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
APP-1,AppraisalRule,DUA 1 an,,1,YEAR\n\
APP-99,AppraisalRule,DUA 99 ans,,99,YEAR\n";

fn unit(id: &str, title: &str, rule: &str) -> String {
    format!(
        r#"<ArchiveUnit id="{id}"><Management><AppraisalRule><Rule>{rule}</Rule><StartDate>2000-01-01</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule></Management><Content><DescriptionLevel>Item</DescriptionLevel><Title>{title}</Title></Content><DataObjectReference><DataObjectGroupReferenceId>G</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>"#
    )
}

fn write_sip(path: &Path) {
    let data = b"shared content".to_vec();
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
 <Date>2024-01-01T00:00:00</Date><MessageIdentifier>DETACH-1</MessageIdentifier>
 <ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>
 <DataObjectGroup id="G"><BinaryDataObject id="B"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/b.txt</Uri><MessageDigest algorithm="SHA-512">{}</MessageDigest><Size>{}</Size></BinaryDataObject></DataObjectGroup>
 <DescriptiveMetadata>{}{}</DescriptiveMetadata>
 <ManagementMetadata><OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier></ManagementMetadata>
 </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
 <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#,
        digest_bytes(DigestAlgorithm::Sha512, &data),
        data.len(),
        unit("U1", "Expired", "APP-1"),
        unit("U2", "Running", "APP-99"),
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.add_bytes("Content/b.txt", &data).unwrap();
    w.finish().unwrap();
}

#[test]
fn a_shared_object_group_is_detached_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive(dir.path(), RULES, &[AccessContract::full_access("ALL")]);
    let sip = dir.path().join("sip.zip");
    write_sip(&sip);
    let ids = ingest_accepted(&a, &sip);
    let (u1, u2) = (&ids["U1"], &ids["U2"]);
    let g = a.get_unit("ALL", u1).unwrap()["#object"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(a.get_unit("ALL", u2).unwrap()["#object"], json!(g));

    let e = a
        .eliminate(
            "ALL",
            &json!({"$query": {}}),
            &EliminationOptions {
                date: Some("2026-06-01".into()),
                dry_run: false,
            },
        )
        .unwrap();
    assert_eq!(e.eliminated_units, vec![u1.to_string()]);
    assert!(e.eliminated_object_groups.is_empty());
    assert_eq!(e.detached_object_groups, vec![g.to_string()]);
    assert_eq!(e.deleted_objects, 0);
    assert_eq!(e.unit(u2).unwrap().status, "GLOBAL_STATUS_KEEP");
    // The kept unit still reads the shared object.
    assert_eq!(
        a.read_object("ALL", u2, "BinaryMaster").unwrap().1,
        b"shared content"
    );
    assert!(a.get_unit("ALL", u1).is_err());
    // The group's lifecycle, the operation's steps, the stored report.
    let op = e.operation_id.clone().unwrap();
    let lfc = a.lifecycle(LifecycleKind::ObjectGroup, &g).unwrap();
    assert!(
        lfc.iter().any(
            |ev| ev.ev_type == "LFC.ELIMINATION_ACTION_DETACH_OBJECT_GROUP" && ev.ev_id_proc == op
        ),
        "{lfc:?}"
    );
    let o = a.operation(&op).unwrap();
    assert!(
        o.events
            .iter()
            .any(|ev| ev.ev_type == "ELIMINATION_ACTION_DETACH_OBJECT_GROUP")
    );
    assert_eq!(
        o.event.ev_det_data.as_ref().unwrap()["DetachedObjectGroups"],
        json!([g])
    );
    let rep = a.elimination_report(&op).unwrap();
    let groups = rep["objectGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["id"], json!(g));
    assert_eq!(groups[0]["params"]["status"], json!("PARTIAL_DETACHMENT"));
    assert_eq!(groups[0]["params"]["detachedUnits"], json!([u1]));
    // Consistent everywhere, and a rebuild from the offers agrees.
    let v = a.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
    let au = a.audit(false).unwrap();
    assert!(au.findings.is_empty(), "{:?}", au.findings);
    let snap = snapshot(&a);
    a.rebuild().unwrap();
    assert_eq!(snapshot(&a), snap);
    assert_eq!(
        a.read_object("ALL", u2, "BinaryMaster").unwrap().1,
        b"shared content"
    );
    // `vas archive logbook --operation` lists the report's key.
    drop(a);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vas"))
        .args(["archive", "logbook"])
        .arg(dir.path().join("archive"))
        .args(["--operation", &op])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("report: reports/{op}.json")),
        "{text}"
    );
    assert!(
        text.contains("ELIMINATION_ACTION_DETACH_OBJECT_GROUP.OK"),
        "{text}"
    );
}
