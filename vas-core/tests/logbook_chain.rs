//! Logbooks on real files: Vitam's event fields, conversion from an ingest report, and
//! tampering with the files in every way (altered, re-hashed, missing, reordered, inserted,
//! malformed, torn, truncated after a seal), plus a real `kill -9` during appends.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use vas_core::ErrorKind;
use vas_core::ids::{FixedClock, IdGenerator};
use vas_core::ingest::workflow::Workflow;
use vas_core::ingest::{Event, Recorder, Status};
use vas_core::logbook::chain::{self, IssueKind, entry_hash};
use vas_core::logbook::{LifecycleKind, Logbook, OperationContext};

fn ids() -> IdGenerator {
    IdGenerator::deterministic(3, 11, Arc::new(FixedClock::new(1_764_000_000_000)))
}

fn report(i: usize) -> vas_core::ingest::Report {
    let mut rec = Recorder::new(Workflow::blank_test());
    rec.begin_step("STP_INGEST_CONTROL_SIP");
    rec.action("CHECK_SEDA", Status::Ok, None, None);
    rec.unit_lifecycle(
        "ID1",
        Event::new("LFC.CHECK_UNIT_SCHEMA", Status::Ok, None, None),
    );
    rec.group_lifecycle(
        "ID2",
        Event::new("LFC.CHECK_DIGEST", Status::Ok, None, Some(json!({"n": i}))),
    );
    rec.end_step();
    rec.finish()
}

/// A logbook with 6 operations; returns the operations file path.
fn build(dir: &Path) -> std::path::PathBuf {
    let ids = ids();
    let mut lb = Logbook::open(dir).unwrap();
    for i in 0..6 {
        let mut ctx = OperationContext::new(&ids, "INGEST");
        ctx.system_ids.insert("ID1".into(), format!("unit-{i}"));
        lb.record_report(&report(i), &ctx).unwrap();
    }
    assert!(lb.verify().unwrap().is_ok());
    dir.join("operations.jsonl")
}

fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(p: &Path, ls: &[String]) {
    std::fs::write(p, ls.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

fn kinds(p: &Path) -> Vec<(u64, IssueKind)> {
    chain::verify_file(p)
        .unwrap()
        .issues
        .into_iter()
        .map(|i| (i.position, i.kind))
        .collect()
}

#[test]
fn report_becomes_operation_and_lifecycles_with_vitam_fields() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let lb = Logbook::open(dir.path()).unwrap();
    let ops = lb.operations().unwrap();
    assert_eq!(ops.len(), 6);
    let op = &ops[0];
    assert_eq!(op.event.ev_type, "PROCESS_SIP_UNITARY_TEST");
    assert_eq!(op.event.ev_id, op.event.ev_id_proc);
    assert_eq!(op.event.ev_type_proc, "INGEST");
    assert_eq!(op.event.ev_date_time, "2025-11-24T16:00:00.000");
    assert_eq!(op.tenant, 3);
    let step = op
        .events
        .iter()
        .find(|e| e.ev_type == "STP_INGEST_CONTROL_SIP")
        .unwrap();
    let action = op
        .events
        .iter()
        .find(|e| e.ev_type == "CHECK_SEDA")
        .unwrap();
    assert_eq!(step.ev_parent_id.as_deref(), Some(op.event.ev_id.as_str()));
    assert_eq!(action.ev_parent_id.as_deref(), Some(step.ev_id.as_str()));
    assert_eq!(action.out_detail, "CHECK_SEDA.OK");
    // JSON names are Vitam's.
    let line: Value =
        serde_json::from_str(&lines(&dir.path().join("operations.jsonl"))[0]).unwrap();
    for k in [
        "evId",
        "evParentId",
        "evType",
        "evDateTime",
        "evIdProc",
        "evTypeProc",
        "outcome",
        "outDetail",
        "outMessg",
        "evDetData",
        "agId",
        "agIdExt",
        "obId",
        "obIdIn",
        "rightsStatementIdentifier",
        "events",
    ] {
        assert!(line["entry"].get(k).is_some(), "{k}");
    }
    let lfc = lb.lifecycle(LifecycleKind::Unit, "unit-2").unwrap();
    assert_eq!(lfc.len(), 1);
    assert_eq!(lfc[0].ev_type, "LFC.CHECK_UNIT_SCHEMA");
    assert_eq!(lfc[0].ob_id.as_deref(), Some("unit-2"));
    assert_eq!(lfc[0].ev_id_proc, ops[2].event.ev_id_proc);
    // Unmapped group id kept as is; its lifecycle accumulates across operations.
    assert_eq!(
        lb.lifecycle(LifecycleKind::ObjectGroup, "ID2")
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        lb.operation("nope").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn altered_entry_is_reported_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let mut ls = lines(&p);
    ls[2] = ls[2].replacen("\"outcome\":\"OK\"", "\"outcome\":\"KO\"", 1);
    write_lines(&p, &ls);
    assert_eq!(kinds(&p), vec![(2, IssueKind::Altered)]);
}

#[test]
fn altered_and_rehashed_entry_breaks_the_next_link() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let mut ls = lines(&p);
    let mut e: Value = serde_json::from_str(&ls[2]).unwrap();
    e["entry"]["outcome"] = json!("KO");
    e["hash"] = json!(entry_hash(2, e["prev"].as_str().unwrap(), &e["entry"]));
    ls[2] = e.to_string();
    write_lines(&p, &ls);
    assert_eq!(kinds(&p), vec![(3, IssueKind::BrokenLink)]);
}

#[test]
fn missing_entry_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let mut ls = lines(&p);
    ls.remove(2);
    write_lines(&p, &ls);
    assert_eq!(kinds(&p), vec![(2, IssueKind::Missing { from: 2, to: 2 })]);
}

#[test]
fn reordered_entries_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let mut ls = lines(&p);
    ls.swap(2, 3);
    write_lines(&p, &ls);
    let k = kinds(&p);
    assert_eq!(k.len(), 1, "{k:?}");
    assert!(
        k[0] == (2, IssueKind::Reordered) || k[0] == (3, IssueKind::Reordered),
        "{k:?}"
    );
    // Moving one entry far away flags that entry.
    let dir2 = tempfile::tempdir().unwrap();
    let p2 = build(dir2.path());
    let mut ls = lines(&p2);
    let moved = ls.remove(1);
    ls.push(moved);
    write_lines(&p2, &ls);
    assert_eq!(kinds(&p2), vec![(5, IssueKind::Reordered)]);
}

#[test]
fn inserted_forged_entry_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let mut ls = lines(&p);
    let genuine: Value = serde_json::from_str(&ls[2]).unwrap();
    // A forger who knows the algorithm: valid self-hash, valid link to entry 1.
    let mut forged = genuine.clone();
    forged["entry"]["outMessg"] = json!("forged");
    forged["hash"] = json!(entry_hash(
        2,
        forged["prev"].as_str().unwrap(),
        &forged["entry"]
    ));
    ls.insert(2, forged.to_string());
    write_lines(&p, &ls);
    assert_eq!(kinds(&p), vec![(2, IssueKind::Inserted)]);
}

#[test]
fn malformed_line_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let mut ls = lines(&p);
    ls[4] = "{not json".into();
    write_lines(&p, &ls);
    // The unreadable line is reported, and so is the entry it held, now missing.
    assert_eq!(
        kinds(&p),
        vec![
            (4, IssueKind::Malformed),
            (5, IssueKind::Missing { from: 4, to: 4 })
        ]
    );
}

#[test]
fn torn_tail_is_detected_then_truncated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let good_len = std::fs::metadata(&p).unwrap().len();
    let ls = lines(&p);
    let mut data = std::fs::read(&p).unwrap();
    data.extend_from_slice(&ls[5].as_bytes()[..40]); // half a line, as after kill -9
    std::fs::write(&p, &data).unwrap();
    assert_eq!(kinds(&p), vec![(6, IssueKind::TornTail)]);
    let mut lb = Logbook::open(dir.path()).unwrap();
    let rec = lb.recovered();
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].0, "operations");
    assert_eq!(rec[0].1.offset, good_len);
    assert_eq!(rec[0].1.bytes, 40);
    assert!(rec[0].1.saved_to.as_ref().unwrap().exists());
    assert_eq!(std::fs::metadata(&p).unwrap().len(), good_len);
    // The chain goes on from the last complete entry.
    let ids = ids();
    lb.record_report(&report(9), &OperationContext::new(&ids, "INGEST"))
        .unwrap();
    assert!(lb.verify().unwrap().is_ok());
    assert_eq!(lb.operations().unwrap().len(), 7);
    // A complete line without its newline is torn as well.
    drop(lb);
    let mut data = std::fs::read(&p).unwrap();
    data.pop();
    std::fs::write(&p, &data).unwrap();
    assert_eq!(kinds(&p).last().unwrap().1, IssueKind::TornTail);
}

#[test]
fn seals_detect_truncation_and_rewriting() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let ids = ids();
    {
        let mut lb = Logbook::open(dir.path()).unwrap();
        let seals = lb.secure(&ids).unwrap();
        assert_eq!(seals.len(), 3);
        let d = seals[0].event.ev_det_data.as_ref().unwrap();
        assert_eq!(seals[0].event.ev_type, "STP_OP_SECURISATION");
        assert_eq!(
            (
                d["FirstSeq"].as_u64(),
                d["LastSeq"].as_u64(),
                d["NumberOfElements"].as_u64()
            ),
            (Some(0), Some(5), Some(6))
        );
        assert_eq!(d["DigestAlgorithm"], "SHA-512");
        assert_eq!(seals[1].event.ev_type, "LOGBOOK_UNIT_LFC_TRACEABILITY");
        assert_eq!(
            seals[2].event.ev_type,
            "LOGBOOK_OBJECTGROUP_LFC_TRACEABILITY"
        );
        // Nothing new but the seals themselves: only the operations chain is sealed again.
        let again = lb.secure(&ids).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            again[0].event.ev_det_data.as_ref().unwrap()["PreviousSecuringSeq"],
            5
        );
        assert!(lb.secure(&ids).unwrap().len() == 1); // the previous seal is new again
        let v = lb.verify().unwrap();
        assert!(v.is_ok(), "{v:?}");
        assert_eq!(v.seals_checked, 5);
    }
    // Truncating the unit lifecycles (undetectable by the chain alone) breaks their seal.
    let lfc = dir.path().join("unit-lifecycles.jsonl");
    let mut ls = lines(&lfc);
    ls.truncate(4);
    write_lines(&lfc, &ls);
    assert!(chain::verify_file(&lfc).unwrap().is_ok());
    let lb = Logbook::open(dir.path()).unwrap();
    let v = lb.verify().unwrap();
    assert!(!v.is_ok());
    assert_eq!(v.seals.len(), 1);
    assert_eq!(v.seals[0].0, "unit-lifecycles");
    assert_eq!(v.seals[0].1.kind, IssueKind::AnchorMismatch);
    drop(lb);
    // Rewriting the whole operations prefix consistently (re-chained) breaks the seal too.
    let mut ls = lines(&p);
    let mut prev = chain::GENESIS.to_string();
    for (i, l) in ls.iter_mut().enumerate().take(6) {
        let mut e: Value = serde_json::from_str(l).unwrap();
        if i == 1 {
            e["entry"]["outcome"] = json!("WARNING");
        }
        e["prev"] = json!(prev);
        e["hash"] = json!(entry_hash(i as u64, &prev, &e["entry"]));
        prev = e["hash"].as_str().unwrap().to_string();
        *l = e.to_string();
    }
    write_lines(&p, &ls);
    let v = Logbook::open(dir.path()).unwrap().verify().unwrap();
    assert!(
        v.seals
            .iter()
            .any(|(c, i)| c == "operations" && i.kind == IssueKind::AnchorMismatch),
        "{v:?}"
    );
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _lb = Logbook::open(dir.path()).unwrap();
    let e = Logbook::open(dir.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
}

/// Child half of `kill_9_during_appends`: appends until killed.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var("VAS_LOGBOOK_CHILD_DIR") else {
        return;
    };
    let ids = IdGenerator::new(0);
    let mut lb = Logbook::open(&dir).unwrap();
    let big = json!({"pad": "x".repeat(20_000)});
    loop {
        let mut r = report(0);
        r.events[0].ev_det_data = Some(big.clone());
        lb.record_report(&r, &OperationContext::new(&ids, "INGEST"))
            .unwrap();
    }
}

#[test]
fn kill_9_during_appends() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    for round in 0..3 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "crash_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("VAS_LOGBOOK_CHILD_DIR", dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(400 + 150 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let lb = Logbook::open(dir.path()).unwrap();
        let v = lb.verify().unwrap();
        assert!(
            v.is_ok(),
            "round {round}: {v:?} (recovered {:?})",
            lb.recovered()
        );
        assert!(!lb.operations().unwrap().is_empty());
    }
}

#[test]
fn forged_seal_values_are_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = build(dir.path());
    let ids = ids();
    Logbook::open(dir.path()).unwrap().secure(&ids).unwrap();
    let base = lines(&p);
    for (first, last, head) in [
        (json!(0), json!(u64::MAX), json!("é".repeat(40))),
        (json!(9), json!(2), json!("00")),
        (json!("x"), json!(null), json!(17)),
    ] {
        let mut ls = base.clone();
        let mut e: Value = serde_json::from_str(&ls[6]).unwrap();
        e["entry"]["evDetData"]["FirstSeq"] = first;
        e["entry"]["evDetData"]["LastSeq"] = last;
        e["entry"]["evDetData"]["HeadHash"] = head;
        ls[6] = e.to_string();
        write_lines(&p, &ls);
        let v = Logbook::open(dir.path()).unwrap().verify().unwrap();
        assert!(!v.is_ok());
        assert!(!v.seals.is_empty(), "{v:?}");
        assert_eq!(v.chains["operations"].issues[0].kind, IssueKind::Altered);
    }
}
