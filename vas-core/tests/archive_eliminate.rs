//! Elimination through the archive: the rules engine's verdict on units ingested with real
//! appraisal and hold rules (the archive's rules referential), tombstones on the offers so
//! that `rebuild` does not bring eliminated units back, `verify` clean after it and flagging
//! a tombstoned unit put back, and the all-or-nothing guarantee at every failpoint.
#![cfg(feature = "cli")]

mod archive_support;

use archive_support::{create_archive, ingest_accepted, snapshot};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use vas_core::ErrorKind;
use vas_core::archive::{Archive, ELIMINATION_FAILPOINTS, EliminationOptions, FAILPOINT_ENV};
use vas_core::catalog::{AccessContract, Catalog, IndexBatch, UnitRecord};
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::logbook::LifecycleKind;
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};
use vas_core::storage::StorageOfferExt;

const RULES: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
APP-1,AppraisalRule,DUA 1 an,,1,YEAR\n\
APP-99,AppraisalRule,DUA 99 ans,,99,YEAR\n\
HOL-1,HoldRule,Gel,,,\n";

fn appraisal(rule: &str, fa: &str) -> String {
    format!(
        "<AppraisalRule><Rule>{rule}</Rule><StartDate>2000-01-01</StartDate><FinalAction>{fa}</FinalAction></AppraisalRule>"
    )
}

/// One SIP (SEDA 2.2, agency FR_A): a root holding units with various appraisal rules.
/// `(manifest id, title, management, parent, object data)`.
fn units() -> Vec<(
    &'static str,
    &'static str,
    String,
    Option<&'static str>,
    bool,
)> {
    vec![
        ("R", "Racine", String::new(), None, false),
        (
            "A",
            "Expired",
            appraisal("APP-1", "Destroy"),
            Some("R"),
            true,
        ),
        (
            "H",
            "Held",
            format!(
                "{}<HoldRule><Rule>HOL-1</Rule><StartDate>2000-01-01</StartDate></HoldRule>",
                appraisal("APP-1", "Destroy")
            ),
            Some("R"),
            true,
        ),
        (
            "P",
            "Parent",
            appraisal("APP-1", "Destroy"),
            Some("R"),
            false,
        ),
        (
            "C",
            "KeptChild",
            appraisal("APP-1", "Keep"),
            Some("P"),
            true,
        ),
        (
            "N",
            "NotExpired",
            appraisal("APP-99", "Destroy"),
            Some("R"),
            false,
        ),
        (
            "D",
            "DestroyParent",
            appraisal("APP-1", "Destroy"),
            Some("R"),
            true,
        ),
        ("E", "DestroyChild", String::new(), Some("D"), true),
    ]
}

fn make_sip(path: &Path) {
    let us = units();
    let mut groups = String::new();
    let mut files = Vec::new();
    for (id, title, _, _, obj) in &us {
        if !obj {
            continue;
        }
        let data = format!("content of {title}").into_bytes();
        groups.push_str(&format!(
            r#"<DataObjectGroup id="G{id}"><BinaryDataObject id="B{id}"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/{id}.txt</Uri><MessageDigest algorithm="SHA-512">{}</MessageDigest><Size>{}</Size></BinaryDataObject></DataObjectGroup>"#,
            digest_bytes(DigestAlgorithm::Sha512, &data),
            data.len()
        ));
        files.push((format!("Content/{id}.txt"), data));
    }
    fn unit_xml(
        us: &[(
            &'static str,
            &'static str,
            String,
            Option<&'static str>,
            bool,
        )],
        i: usize,
    ) -> String {
        let (id, title, mgmt, _, obj) = &us[i];
        let mut s = format!(r#"<ArchiveUnit id="{id}">"#);
        if !mgmt.is_empty() {
            s.push_str(&format!("<Management>{mgmt}</Management>"));
        }
        s.push_str(&format!(
            "<Content><DescriptionLevel>Item</DescriptionLevel><Title>{title}</Title></Content>"
        ));
        for (j, (_, _, _, parent, _)) in us.iter().enumerate() {
            if *parent == Some(*id) {
                s.push_str(&unit_xml(us, j));
            }
        }
        if *obj {
            s.push_str(&format!(
                "<DataObjectReference><DataObjectGroupReferenceId>G{id}</DataObjectGroupReferenceId></DataObjectReference>"
            ));
        }
        s.push_str("</ArchiveUnit>");
        s
    }
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2">
 <Date>2024-01-01T00:00:00</Date><MessageIdentifier>ELIM-1</MessageIdentifier>
 <ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>{groups}
 <DescriptiveMetadata>{}</DescriptiveMetadata>
 <ManagementMetadata><OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier></ManagementMetadata>
 </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
 <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#,
        unit_xml(&us, 0)
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    for (name, data) in &files {
        w.add_bytes(name, data).unwrap();
    }
    w.finish().unwrap();
}

/// An archive with the rules referential and two contracts (`ALL` may write, `READER`
/// may not), the test SIP ingested; returns manifest id → system id.
fn setup(dir: &Path) -> (Archive, BTreeMap<String, String>) {
    let all = AccessContract::full_access("ALL");
    let mut reader = AccessContract::full_access("READER");
    reader.writing_permission = false;
    let a = create_archive(dir, RULES, &[all, reader]);
    let sip = dir.join("sip.zip");
    make_sip(&sip);
    let ids = ingest_accepted(&a, &sip);
    (a, ids)
}

/// Every unit but the root.
fn query() -> Value {
    json!({"$query": {"$in": {"Title": ["Expired", "Held", "Parent", "KeptChild", "NotExpired", "DestroyParent", "DestroyChild"]}}})
}

fn opts(dry_run: bool) -> EliminationOptions {
    EliminationOptions {
        date: Some("2026-06-01".into()),
        dry_run,
    }
}

fn all_ids(a: &Archive) -> Vec<String> {
    let r = a.search("ALL", &json!({"$query": {}})).unwrap();
    let mut v: Vec<String> = r["$results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["#id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// Binary objects (`objects/…` keys) on offer `offer` (0 or 1).
fn objects_on(a: &Archive, offer: usize) -> usize {
    a.strategy().offers()[offer].list("objects/").unwrap().len()
}

#[test]
fn eliminate_keeps_what_rules_protect_and_rebuild_does_not_resurrect() {
    let dir = tempfile::tempdir().unwrap();
    let (a, ids) = setup(dir.path());
    let before_ops = a.operations().unwrap().len();
    let before_units = all_ids(&a);
    assert_eq!(before_units.len(), 8);
    let objects_before = objects_on(&a, 0);
    assert_eq!(objects_before, 5);

    // The analysis (dry run) writes nothing and gives each unit's verdict and reasons.
    let dry = a.eliminate("READER", &query(), &opts(true)).unwrap();
    assert!(dry.dry_run && dry.operation_id.is_none());
    assert_eq!(dry.units.len(), 7);
    let v = |m: &str| dry.unit(&ids[m]).unwrap().clone();
    assert_eq!(
        (v("A").global_status.as_str(), v("A").status.as_str()),
        ("DESTROY", "DELETED")
    );
    assert!(v("A").reasons.is_empty());
    assert_eq!(v("H").global_status, "CONFLICT");
    assert_eq!(v("H").status, "GLOBAL_STATUS_CONFLICT");
    assert!(v("H").reasons.contains(&"BLOCKED_BY_HOLD_RULE".to_string()));
    assert_eq!(v("P").global_status, "DESTROY");
    assert_eq!(v("P").status, "NON_DESTROYABLE_HAS_CHILD_UNITS");
    assert_eq!(v("P").reasons, ["NON_DESTROYABLE_HAS_CHILD_UNITS"]);
    assert_eq!(v("C").global_status, "KEEP");
    assert!(v("C").reasons.contains(&"FINAL_ACTION_KEEP".to_string()));
    assert_eq!(v("N").global_status, "KEEP");
    assert_eq!(v("N").reasons, ["APPRAISAL_RULE_NOT_EXPIRED"]);
    // E inherits D's expired rule and Destroy; both go.
    assert_eq!(v("D").status, "DELETED");
    assert_eq!(v("E").status, "DELETED");
    let mut expect: Vec<String> = ["A", "D", "E"].iter().map(|m| ids[*m].clone()).collect();
    expect.sort();
    assert_eq!(dry.eliminated_units, expect);
    assert_eq!(dry.eliminated_object_groups.len(), 3);
    assert_eq!(dry.deleted_objects, 3);
    assert_eq!(a.operations().unwrap().len(), before_ops);
    assert_eq!(all_ids(&a), before_units);
    // At an earlier date, A's rule has not ended (2000 + 1 year): nothing is eliminable.
    let early = a
        .eliminate(
            "READER",
            &query(),
            &EliminationOptions {
                date: Some("2000-06-01".into()),
                dry_run: true,
            },
        )
        .unwrap();
    assert!(early.eliminated_units.is_empty());
    assert_eq!(
        early.unit(&ids["A"]).unwrap().reasons,
        ["APPRAISAL_RULE_NOT_EXPIRED"]
    );

    // A contract without writing permission cannot eliminate.
    let e = a.eliminate("READER", &query(), &opts(false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Denied);

    let register_before = serde_json::to_value(a.accession_register("ALL").unwrap()).unwrap();
    let r = a.eliminate("ALL", &query(), &opts(false)).unwrap();
    let op = r.operation_id.clone().unwrap();
    assert_eq!(r.eliminated_units, dry.eliminated_units);
    assert_eq!(r.units, dry.units);
    // Gone from every read path.
    for m in ["A", "D", "E"] {
        assert_eq!(
            a.get_unit("ALL", &ids[m]).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert!(a.read_object("ALL", &ids[m], "BinaryMaster").is_err());
    }
    let left = all_ids(&a);
    assert_eq!(left.len(), 5);
    for m in ["R", "H", "P", "C", "N"] {
        assert!(left.contains(&ids[m]), "{m} kept");
    }
    let hits = a
        .search("ALL", &json!({"$query": {"$match": {"Title": "Expired"}}}))
        .unwrap();
    assert_eq!(hits["$hits"]["total"], 0);
    let dip = dir.path().join("dip.zip");
    a.dip("ALL", &json!({"$query": {}}), &dip).unwrap();
    let manifest = String::from_utf8(
        vas_core::sip::SipReader::open(&dip, Default::default())
            .unwrap()
            .manifest_bytes()
            .unwrap(),
    )
    .unwrap();
    for t in ["Expired", "DestroyParent", "DestroyChild"] {
        assert!(
            !manifest.contains(&format!(">{t}<")),
            "DIP holds eliminated {t}"
        );
    }
    for t in ["Held", "Parent", "KeptChild", "NotExpired"] {
        assert!(manifest.contains(&format!(">{t}<")), "DIP lacks kept {t}");
    }
    // Objects deleted from both offers; the kept units' objects still there.
    assert_eq!(objects_on(&a, 0), objects_before - 3);
    assert_eq!(objects_on(&a, 1), objects_before - 3);
    assert_eq!(
        a.read_object("ALL", &ids["C"], "BinaryMaster").unwrap().1,
        b"content of KeptChild"
    );
    // Accession register: the ingest's line lost 3 units, 3 groups, 3 objects.
    let reg_after = serde_json::to_value(a.accession_register("ALL").unwrap()).unwrap();
    assert_eq!(
        reg_after[0]["TotalUnits"].as_i64().unwrap(),
        register_before[0]["TotalUnits"].as_i64().unwrap() - 3
    );
    assert_eq!(
        reg_after[0]["TotalObjects"].as_i64().unwrap(),
        register_before[0]["TotalObjects"].as_i64().unwrap() - 3
    );
    // The logbook: the operation, its evDetData, the lifecycles.
    let o = a.operation(&op).unwrap();
    assert_eq!(o.event.ev_type, "ELIMINATION_ACTION");
    assert_eq!(o.event.outcome, "OK");
    let det = o.event.ev_det_data.clone().unwrap();
    assert_eq!(det["DeletedUnits"], json!(r.eliminated_units));
    assert_eq!(det["Units"].as_array().unwrap().len(), 7);
    assert!(
        o.events
            .iter()
            .any(|e| e.ev_type == "ELIMINATION_ACTION_DELETE_UNIT")
    );
    // The report object on the offers, named by the operation.
    let rep = a.elimination_report(&op).unwrap();
    let rkey = det["Report"]["Key"].as_str().unwrap().to_string();
    assert_eq!(rkey, format!("reports/{op}.json"));
    assert_eq!(rep["operationSummary"]["evId"], json!(op));
    assert_eq!(rep["context"]["EliminationDate"], json!("2026-06-01"));
    let rep_units = rep["units"].as_array().unwrap();
    assert_eq!(rep_units.len(), r.units.len());
    for u in &r.units {
        let e = rep_units
            .iter()
            .find(|e| e["id"] == json!(u.unit_id))
            .unwrap();
        assert_eq!(e["params"]["status"], json!(u.status));
        assert_eq!(e["params"]["reasons"], json!(u.reasons));
        assert_eq!(e["params"]["originatingAgency"], json!("FR_A"));
    }
    assert_eq!(rep["objectGroups"].as_array().unwrap().len(), 3);
    let rk = vas_core::storage::ObjectKey::new(rkey.clone()).unwrap();
    for off in a.strategy().offers() {
        let bytes = off.get_bytes(&rk).unwrap();
        assert_eq!(
            digest_bytes(DigestAlgorithm::Sha512, &bytes),
            det["Report"]["Digest"].as_str().unwrap()
        );
    }
    let lfc = a.lifecycle(LifecycleKind::Unit, &ids["A"]).unwrap();
    assert!(
        lfc.iter()
            .any(|e| e.ev_type == "LFC.ELIMINATION_ACTION_DELETE_UNIT" && e.ev_id_proc == op)
    );
    // Verify and audit are clean (tombstoned ids are not "missing").
    let ver = a.verify().unwrap();
    assert!(ver.is_ok(), "{:?}", ver.problems);
    let au = a.audit(false).unwrap();
    assert!(au.findings.is_empty(), "{:?}", au.findings);
    // A rebuild from the offers gives the post-elimination catalog.
    let snap = snapshot(&a);
    a.rebuild().unwrap();
    assert_eq!(snapshot(&a), snap);
    assert_eq!(all_ids(&a), left);
    assert!(a.verify().unwrap().is_ok());
    // Eliminating again: nothing left to eliminate, logged as a WARNING.
    let again = a.eliminate("ALL", &query(), &opts(false)).unwrap();
    assert!(again.eliminated_units.is_empty());
    assert_eq!(
        a.operation(again.operation_id.as_ref().unwrap())
            .unwrap()
            .event
            .outcome,
        "WARNING"
    );

    // A report missing from an offer, or altered on another, is flagged.
    a.strategy().offers()[1].delete(&rk).unwrap();
    let ver = a.verify().unwrap();
    assert!(
        ver.problems
            .iter()
            .any(|p| p.contains(&rkey) && p.contains(a.strategy().offers()[1].id())),
        "{:?}",
        ver.problems
    );
    let forged = b"{}".to_vec();
    let ffx = vas_core::storage::Fixity::of_bytes(DigestAlgorithm::Sha512, &forged);
    a.strategy().offers()[1]
        .put(&rk, &mut &forged[..], &ffx)
        .unwrap();
    assert!(
        a.verify()
            .unwrap()
            .problems
            .iter()
            .any(|p| p.contains(&rkey))
    );
    assert!(a.elimination_report(&op).is_ok(), "the good copy is read");

    // A tombstoned unit put back in the catalog is flagged.
    let cat = Catalog::open(dir.path().join("archive/catalog.sqlite")).unwrap();
    let mut back = UnitRecord::new(ids["A"].clone(), 0);
    back.metadata.insert("Title".into(), json!("Expired"));
    cat.index(&IndexBatch {
        units: vec![back],
        ..Default::default()
    })
    .unwrap();
    let ver = a.verify().unwrap();
    assert!(
        ver.problems
            .iter()
            .any(|p| p.contains(&ids["A"]) && p.contains("still in the catalog")),
        "{:?}",
        ver.problems
    );
}

#[test]
fn an_interrupted_elimination_is_all_or_nothing() {
    let vas = env!("CARGO_BIN_EXE_vas");
    for (i, point) in ELIMINATION_FAILPOINTS.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let (a, ids) = setup(dir.path());
        let expected = a.eliminate("ALL", &query(), &opts(true)).unwrap();
        let before = all_ids(&a);
        drop(a);
        let qf = dir.path().join("q.json");
        std::fs::write(&qf, query().to_string()).unwrap();
        let st = Command::new(vas)
            .args(["archive", "eliminate"])
            .arg(dir.path().join("archive"))
            .args(["--contract", "ALL", "--date", "2026-06-01"])
            .arg(&qf)
            .env(FAILPOINT_ENV, point)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!st.success(), "{point}: the process should have aborted");
        let a = Archive::open(dir.path().join("archive")).unwrap();
        let after = all_ids(&a);
        let gone: Vec<String> = before
            .iter()
            .filter(|u| !after.contains(u))
            .cloned()
            .collect();
        if i == 0 {
            assert!(gone.is_empty(), "{point}: {gone:?} eliminated");
            assert_eq!(objects_on(&a, 0), 5, "{point}");
            let ops = a.operations().unwrap();
            assert_eq!(ops.last().unwrap().event.outcome, "FATAL", "{point}");
        } else {
            assert_eq!(gone, expected.eliminated_units, "{point}");
            assert_eq!(objects_on(&a, 0), 2, "{point}");
            assert_eq!(objects_on(&a, 1), 2, "{point}");
            let ops = a.operations().unwrap();
            let elim: Vec<_> = ops
                .iter()
                .filter(|o| o.event.ev_type == "ELIMINATION_ACTION")
                .collect();
            assert_eq!(elim.len(), 1, "{point}: one operation logged");
            assert_eq!(elim[0].event.outcome, "OK", "{point}");
            assert!(a.get_unit("ALL", &ids["A"]).is_err());
        }
        let ver = a.verify().unwrap();
        assert!(ver.is_ok(), "{point}: {:?}", ver.problems);
        let snap = snapshot(&a);
        a.rebuild().unwrap();
        assert_eq!(snapshot(&a), snap, "{point}: rebuild differs");
        // The archive works on: the elimination can be run (again) to completion.
        let r = a.eliminate("ALL", &query(), &opts(false)).unwrap();
        if i == 0 {
            assert_eq!(r.eliminated_units, expected.eliminated_units);
        } else {
            assert!(r.eliminated_units.is_empty());
        }
        assert!(a.verify().unwrap().is_ok(), "{point}");
    }
}
