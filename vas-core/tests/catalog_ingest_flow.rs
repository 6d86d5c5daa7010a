//! The pieces together, as the archive will assemble them: system ids for an ingest, the
//! catalog indexed in one transaction, the logbook recording the report with the same ids,
//! everything reopened from disk and cross-checked.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use vas_core::catalog::{
    AccessContract, Catalog, IndexBatch, ObjectGroupRecord, ObjectRecord, UnitRecord,
};
use vas_core::ids::{FixedClock, Id, IdGenerator, IdKind};
use vas_core::ingest::workflow::Workflow;
use vas_core::ingest::{Event, Recorder, Status};
use vas_core::logbook::{LifecycleKind, Logbook, OperationContext};

#[test]
fn ingest_ids_catalog_and_logbook_agree_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(1_764_331_200_000));
    let ids = IdGenerator::deterministic(2, 5, clock.clone());

    // The report of an ingest of two units (manifest ids ID10, ID11) and one object group.
    let mut rec = Recorder::new(Workflow::blank_test());
    rec.begin_step("STP_UNIT_METADATA");
    rec.action("UNIT_METADATA_INDEXATION", Status::Ok, None, None);
    for m in ["ID10", "ID11"] {
        rec.unit_lifecycle(
            m,
            Event::new("LFC.CHECK_UNIT_SCHEMA", Status::Ok, None, None),
        );
    }
    rec.group_lifecycle(
        "ID20",
        Event::new("LFC.CHECK_DIGEST", Status::Ok, None, None),
    );
    rec.end_step();
    let report = rec.finish();

    // System ids.
    let op = ids.generate(IdKind::Operation);
    let mut system_ids = BTreeMap::new();
    for m in ["ID10", "ID11"] {
        system_ids.insert(m.to_string(), ids.generate_string(IdKind::Unit));
    }
    let group = ids.generate_string(IdKind::ObjectGroup);
    system_ids.insert("ID20".to_string(), group.clone());
    let root = system_ids["ID10"].clone();
    let child = system_ids["ID11"].clone();
    assert!(root < child, "ids sort in creation order");
    assert_eq!(Id::parse(&root).unwrap().tenant(), 2);

    // Catalog.
    let mut u1 = UnitRecord::new(&root, 2);
    u1.metadata.insert("Title".into(), json!("Dossier Épée"));
    u1.originating_agency = Some("FRAN_NP_009913".into());
    u1.operation_id = Some(op.to_string());
    let mut u2 = u1.clone();
    u2.id = child.clone();
    u2.parents = vec![root.clone()];
    u2.object_group_id = Some(group.clone());
    u2.metadata.insert("Title".into(), json!("Pièce 1"));
    let g = ObjectGroupRecord {
        id: group.clone(),
        tenant: 2,
        originating_agency: u1.originating_agency.clone(),
        operation_id: Some(op.to_string()),
        objects: vec![ObjectRecord {
            id: ids.generate_string(IdKind::Object),
            usage: "BinaryMaster".into(),
            version: 1,
            size: 42,
            digest: vas_core::digest::digest_bytes(vas_core::digest::DigestAlgorithm::Sha512, b"x"),
            algorithm: "SHA-512".into(),
            format_id: Some("fmt/18".into()),
            storage_key: Some(format!("objects/{group}")),
            operation_id: None,
        }],
        metadata: Default::default(),
    };
    let db = dir.path().join("catalog.sqlite");
    Catalog::open(&db)
        .unwrap()
        .index(&IndexBatch {
            units: vec![u2, u1],
            object_groups: vec![g],
        })
        .unwrap();

    // Logbook.
    let mut ctx = OperationContext::new(&ids, "INGEST");
    ctx.operation_id = Some(op.to_string());
    ctx.system_ids = system_ids;
    ctx.ob_id_in = Some("SIP-0001".into());
    ctx.ag_id_ext = Some(json!({"originatingAgency": "FRAN_NP_009913"}));
    {
        let mut lb = Logbook::open(dir.path().join("logbook")).unwrap();
        lb.record_report(&report, &ctx).unwrap();
        clock.advance(3_600_000);
        lb.secure(&ids).unwrap();
    }

    // Reopen both and cross-check.
    let cat = Catalog::open(&db).unwrap();
    let lb = Logbook::open(dir.path().join("logbook")).unwrap();
    assert!(lb.verify().unwrap().is_ok());
    let contract = AccessContract::full_access("all");
    let view = cat.view(2, &contract).unwrap();
    let by_op = view
        .search(&json!({"$query": {"$eq": {"#opi": op.as_str()}}}))
        .unwrap();
    assert_eq!(by_op["$hits"]["total"], 2);
    let operation = lb.operation(op.as_str()).unwrap();
    assert_eq!(operation.event.ob_id_in.as_deref(), Some("SIP-0001"));
    for r in by_op["$results"].as_array().unwrap() {
        let id = r["#id"].as_str().unwrap();
        let lfc = lb.lifecycle(LifecycleKind::Unit, id).unwrap();
        assert_eq!(lfc.len(), 1);
        assert_eq!(lfc[0].ev_id_proc, op.as_str());
    }
    let g = view.get_object_group(&group).unwrap();
    assert_eq!(g["#unitups"], json!([child]));
    assert_eq!(
        lb.lifecycle(LifecycleKind::ObjectGroup, &group).unwrap()[0].ev_type,
        "LFC.CHECK_DIGEST"
    );
    let hit = view
        .search(&json!({"$query": {"$match": {"Title": "epee"}}}))
        .unwrap();
    assert_eq!(hit["$results"][0]["#id"], root.as_str());
    // The seal is dated by the injected clock, an hour after the ingest.
    let seal = lb
        .operations()
        .unwrap()
        .into_iter()
        .find(|o| o.event.ev_type == "STP_OP_SECURISATION")
        .unwrap();
    assert_eq!(seal.event.ev_date_time, "2025-11-28T13:00:00.000");
    assert_eq!(operation.event.ev_date_time, "2025-11-28T12:00:00.000");
}
