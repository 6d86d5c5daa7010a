//! The accession register per object operation (Vitam's): objects an attachment SIP adds
//! to an existing object group count under the attachment's operation, not under the
//! group's. The per-object `#opi` is kept in the group document (catalog and offers), so a
//! `rebuild` from the offers alone gives the same register, and an elimination or a
//! `PARTIAL_DETACHMENT` takes the right figures off the right lines.
#![cfg(feature = "cli")]

#[allow(dead_code)] // ingest_accepted: this file needs the operation ids too
mod archive_support;
mod attach_support;

use std::path::Path;

use archive_support::{create_archive, snapshot};
use attach_support::{AttachSip, GROUP_REF, update_operation};
use serde_json::json;
use vas_core::archive::{Archive, EliminationOptions, IngestOptions};
use vas_core::catalog::{AccessContract, AccessionRegisterLine};

const RULES: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
APP-1,AppraisalRule,DUA 1 an,,1,YEAR\n\
APP-99,AppraisalRule,DUA 99 ans,,99,YEAR\n";

const FIRST: &[u8] = b"the first master, ingested with its group\n";
const ADDED: &[u8] = b"a dissemination version added by the attachment SIP\n";

fn appraisal(rule: &str) -> String {
    format!(
        "<Management><AppraisalRule><Rule>{rule}</Rule><StartDate>2000-01-01</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule></Management>"
    )
}

/// A root unit `U3` (rule `rule`) that also references `G1`.
fn sharing_unit(rule: &str) -> String {
    format!(
        r#"<ArchiveUnit id="U3">{}<Content><DescriptionLevel>Item</DescriptionLevel><Title>Partage</Title></Content>{GROUP_REF}</ArchiveUnit>"#,
        appraisal(rule)
    )
}

/// First SIP: `U1` (rule APP-1, expired in 2026) holding `U2`, whose group `G1` has a
/// BinaryMaster; with `shared`, a root unit `U3` (APP-99) references `G1` too.
fn first_sip(root: &Path, shared: bool) -> std::path::PathBuf {
    AttachSip {
        message_id: "REG-1",
        agreement: "IC-1",
        usage: "BinaryMaster_1",
        u1_title: "Dossier",
        u1_management: appraisal("APP-1"),
        u1_ref: "",
        u2_ref: GROUP_REF,
        extra_units: if shared {
            sharing_unit("APP-99")
        } else {
            String::new()
        },
        file: FIRST,
    }
    .write(&root.join("first"))
}

/// Attachment SIP: its `U1` is the existing unit `existing` (which has `G1`'s group), `G1`
/// adds a Dissemination to that group, and its `U2` is a new child of `existing`.
fn attaching_sip(root: &Path, existing: &str) -> std::path::PathBuf {
    AttachSip {
        message_id: "REG-2",
        agreement: "IC-1",
        usage: "Dissemination_1",
        u1_title: "Existant",
        u1_management: update_operation(existing),
        u1_ref: GROUP_REF,
        u2_ref: "",
        extra_units: String::new(),
        file: ADDED,
    }
    .write(&root.join("second"))
}

fn line<'a>(reg: &'a [AccessionRegisterLine], op: &str) -> Option<&'a AccessionRegisterLine> {
    reg.iter().find(|l| l.operation_id == op)
}

fn figures(l: &AccessionRegisterLine) -> (i64, i64, i64, i64) {
    (l.units, l.object_groups, l.objects, l.bytes)
}

/// Ingests the first SIP then the attachment (onto the unit holding the group: `U3` when
/// shared, else `U2`); returns the two operation ids and the first ingest's ids.
fn ingest_both(
    a: &Archive,
    root: &Path,
    shared: bool,
) -> (String, String, std::collections::BTreeMap<String, String>) {
    let r1 = a
        .ingest(&first_sip(root, shared), &IngestOptions::default())
        .unwrap();
    assert!(
        r1.report.outcome.is_accepted(),
        "{:?}",
        r1.report.out_details()
    );
    let holder = if shared { "U3" } else { "U2" };
    let r2 = a
        .ingest(
            &attaching_sip(root, &r1.system_ids[holder]),
            &IngestOptions::default(),
        )
        .unwrap();
    assert!(
        r2.report.outcome.is_accepted(),
        "{:?}",
        r2.report.out_details()
    );
    // The attachment added its object to the existing group.
    assert_eq!(r2.system_ids["G1"], r1.system_ids["G1"]);
    (r1.operation_id, r2.operation_id, r1.system_ids)
}

#[test]
fn added_objects_count_under_the_adding_operation_and_survive_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive(dir.path(), RULES, &[AccessContract::full_access("ALL")]);
    let (op1, op2, ids1) = ingest_both(&a, dir.path(), false);
    let reg = a.accession_register("ALL").unwrap();
    assert_eq!(reg.len(), 2, "{reg:?}");
    // op1: U1, U2, the group and its master; op2: its new unit and the added object only.
    assert_eq!(
        figures(line(&reg, &op1).unwrap()),
        (2, 1, 1, FIRST.len() as i64)
    );
    assert_eq!(
        figures(line(&reg, &op2).unwrap()),
        (1, 0, 1, ADDED.len() as i64)
    );
    assert!(reg.iter().all(|l| l.originating_agency == "AG1"));
    // The catalog's objects carry the operation that added them (none: the group's).
    let u2 = &ids1["U2"];
    let master = a.object_of("ALL", u2, "BinaryMaster").unwrap();
    let added = a.object_of("ALL", u2, "Dissemination").unwrap();
    assert_eq!(master.operation_id, None);
    assert_eq!(added.operation_id.as_deref(), Some(op2.as_str()));
    let group = a.get_unit("ALL", u2).unwrap()["#object"].clone();
    assert_eq!(group, json!(ids1["G1"]));

    // A rebuild from the offers alone gives the same register (and catalog).
    let before = snapshot(&a);
    a.rebuild().unwrap();
    assert_eq!(snapshot(&a), before);
    assert_eq!(
        a.object_of("ALL", u2, "Dissemination")
            .unwrap()
            .operation_id
            .as_deref(),
        Some(op2.as_str())
    );
    let v = a.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);

    // Eliminating everything (APP-1 expired, inherited by every unit) removes the group with
    // both objects: each line loses its own figures, and empty lines go.
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
    assert_eq!(e.eliminated_units.len(), 3, "{e:?}");
    assert_eq!(e.eliminated_object_groups, vec![ids1["G1"].clone()]);
    assert_eq!(e.deleted_objects, 2);
    assert_eq!(e.deleted_bytes, (FIRST.len() + ADDED.len()) as u64);
    assert!(a.accession_register("ALL").unwrap().is_empty());
    a.rebuild().unwrap();
    assert!(a.accession_register("ALL").unwrap().is_empty());
}

#[test]
fn partial_detachment_keeps_both_operations_object_figures() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive(dir.path(), RULES, &[AccessContract::full_access("ALL")]);
    let (op1, op2, ids1) = ingest_both(&a, dir.path(), true);
    let reg = a.accession_register("ALL").unwrap();
    assert_eq!(
        figures(line(&reg, &op1).unwrap()),
        (3, 1, 1, FIRST.len() as i64)
    );
    assert_eq!(
        figures(line(&reg, &op2).unwrap()),
        (1, 0, 1, ADDED.len() as i64)
    );
    // U1 and U2 expire (APP-1); U3 (APP-99) and the attachment's unit under it stay, so the
    // group is detached from U2, not deleted.
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
    let mut gone = e.eliminated_units.clone();
    gone.sort();
    let mut expected = vec![ids1["U1"].clone(), ids1["U2"].clone()];
    expected.sort();
    assert_eq!(gone, expected);
    assert_eq!(e.detached_object_groups, vec![ids1["G1"].clone()]);
    assert_eq!(e.deleted_objects, 0);
    let reg = a.accession_register("ALL").unwrap();
    assert_eq!(reg.len(), 2, "{reg:?}");
    assert_eq!(
        figures(line(&reg, &op1).unwrap()),
        (1, 1, 1, FIRST.len() as i64)
    );
    assert_eq!(
        figures(line(&reg, &op2).unwrap()),
        (1, 0, 1, ADDED.len() as i64)
    );
    let before = snapshot(&a);
    a.rebuild().unwrap();
    assert_eq!(snapshot(&a), before);
    assert!(a.verify().unwrap().is_ok());
}

/// `verify` checks that the operation that added each object is an accepted operation of
/// the logbook: an object whose `#opi` names an operation the logbook never recorded is
/// reported.
#[test]
fn verify_reports_an_object_added_by_an_unknown_operation() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive(dir.path(), RULES, &[AccessContract::full_access("ALL")]);
    let (_op1, op2, ids1) = ingest_both(&a, dir.path(), false);
    assert!(a.verify().unwrap().is_ok());
    drop(a);
    // The catalog's group document now says another operation added the object.
    let unknown = "aeeaaaaaaaunknownoperationaaaaaaaaaa";
    let db = rusqlite::Connection::open(dir.path().join("archive/catalog.sqlite")).unwrap();
    let n = db
        .execute(
            "UPDATE object_group SET doc = replace(doc, ?1, ?2) WHERE id = ?3",
            rusqlite::params![op2, unknown, ids1["G1"]],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    let a = Archive::open(dir.path().join("archive")).unwrap();
    let v = a.verify().unwrap();
    assert!(
        v.problems.iter().any(|p| p.contains(&format!(
            "operation {unknown}, which added it, is not an accepted operation"
        ))),
        "{:?}",
        v.problems
    );
}

/// `verify` checks the catalog's derived rows against its documents: an object row whose
/// adding operation was changed, a missing object row, a unit column and a register line
/// edited behind the library's back are each reported, and a `rebuild` (which recomputes
/// them from the documents) clears every report.
#[test]
fn verify_reports_derived_rows_that_disagree_with_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive(dir.path(), RULES, &[AccessContract::full_access("ALL")]);
    let (op1, op2, ids1) = ingest_both(&a, dir.path(), false);
    assert!(a.verify().unwrap().is_ok());
    drop(a);
    let db_path = dir.path().join("archive/catalog.sqlite");
    let tamper = |sql: &str, params: &[&dyn rusqlite::ToSql]| {
        let db = rusqlite::Connection::open(&db_path).unwrap();
        let n = db.execute(sql, params).unwrap();
        assert_eq!(n, 1, "{sql}");
    };
    let problems = || {
        let a = Archive::open(dir.path().join("archive")).unwrap();
        let v = a.verify().unwrap();
        v.problems
    };
    let only = |problems: Vec<String>, needle: &str| {
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("catalog: ") && problems[0].contains(needle),
            "{problems:?}"
        );
    };

    // The added object's row forgets the operation that added it: the object index
    // disagrees with the group document (the register still agrees with the documents).
    tamper(
        "UPDATE object SET opi = NULL WHERE opi = ?1",
        &[&op2 as &dyn rusqlite::ToSql],
    );
    only(problems(), "the catalog's object index says");
    tamper(
        "UPDATE object SET opi = ?1 WHERE usage = 'Dissemination'",
        &[&op2 as &dyn rusqlite::ToSql],
    );
    assert!(problems().is_empty());

    // A row goes missing.
    let master = {
        let db = rusqlite::Connection::open(&db_path).unwrap();
        db.query_row(
            "SELECT id FROM object WHERE usage = 'BinaryMaster'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
    };
    tamper(
        "DELETE FROM object WHERE id = ?1",
        &[&master as &dyn rusqlite::ToSql],
    );
    only(
        problems(),
        &format!("object {master} of group {}", ids1["G1"]),
    );
    let a = Archive::open(dir.path().join("archive")).unwrap();
    a.rebuild().unwrap();
    assert!(a.verify().unwrap().is_ok());
    drop(a);

    // A unit's operation column and a register line are edited.
    tamper(
        "UPDATE unit SET opi = ?1 WHERE id = ?2",
        &[&op2 as &dyn rusqlite::ToSql, &ids1["U1"]],
    );
    let p = problems();
    // The unit column, and nothing else: the register is recounted from the documents.
    only(
        p,
        &format!("unit {}: the catalog's operation column", ids1["U1"]),
    );
    tamper(
        "UPDATE unit SET opi = ?1 WHERE id = ?2",
        &[&op1 as &dyn rusqlite::ToSql, &ids1["U1"]],
    );
    tamper(
        "UPDATE accession_register SET bytes = bytes + 1 WHERE opi = ?1",
        &[&op1 as &dyn rusqlite::ToSql],
    );
    only(
        problems(),
        &format!(
            "operation {op1:?}: it says 2 units, 1 object groups, 1 objects, {} bytes, the documents give 2 units, 1 object groups, 1 objects, {} bytes",
            FIRST.len() + 1,
            FIRST.len()
        ),
    );
    let a = Archive::open(dir.path().join("archive")).unwrap();
    a.rebuild().unwrap();
    let v = a.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
}
