//! Vitam's `CHECK_ATTACHEMENT` (`CheckAttachementActionHandler`, the last action of
//! `STP_INGEST_CONTROL_SIP`): the existing units and object groups a SIP attaches to must come
//! from an ingest that completed without KO or FATAL. The operation that created each target
//! (Vitam's `#opi`) comes from `ExistingUnits::initial_operation`. One test per outcome, and
//! the legacy `CHECK_MANIFEST_WRONG_ATTACHMENT*` cases with the codes Vitam answers today.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vas_core::ingest::{
    DryRun, DryRunOptions, ExistingObjectGroup, ExistingOperation, ExistingUnit, ExistingUnits,
    KnownUnits, Status, dry_run,
};
use vas_core::referential::{IngestContract, Referentials};

mod attach_support;
use attach_support::{AttachSip, GROUP_REF, update_operation};

const FILE: &[u8] = b"a file\n";
/// An existing unit (with object group `GROUP`).
const UNIT: &str = "aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq";
/// Another existing unit, outside `UNIT`.
const OTHER: &str = "aeaqaaaaaagbcaacaang6ak4ts6paliaaabq";
/// The object group of `UNIT`.
const GROUP: &str = "aebaaaaaaagbcaacaang6ak4ts6paliaaaaq";

/// How the SIP attaches.
#[derive(Clone, Copy)]
enum Attach {
    /// No attachment: a plain SIP.
    Nothing,
    /// Root unit U1 is the existing unit `UNIT` (`UpdateOperation/SystemId`); its new child U2
    /// holds the new object group.
    Unit(&'static str),
    /// The existing unit `UNIT` references the SIP's group: its objects go into `GROUP`.
    UnitGroup,
    /// A new unit links to the existing group (`DataObjectGroupExistingReferenceId`).
    ExistingGroup(&'static str),
}

fn write(root: &Path, attach: Attach, agreement: &str) -> PathBuf {
    let (u1_management, u1_ref, u2_ref, extra_units) = match attach {
        Attach::Nothing => (String::new(), "", GROUP_REF, String::new()),
        Attach::Unit(id) => (update_operation(id), "", GROUP_REF, String::new()),
        Attach::UnitGroup => (update_operation(UNIT), GROUP_REF, "", String::new()),
        Attach::ExistingGroup(id) => (
            String::new(),
            "",
            GROUP_REF,
            format!(
                "<ArchiveUnit id=\"U3\"><Content><DescriptionLevel>Item</DescriptionLevel><Title>Lien</Title></Content>\
                 <DataObjectGroup><DataObjectGroupExistingReferenceId>{id}</DataObjectGroupExistingReferenceId></DataObjectGroup></ArchiveUnit>"
            ),
        ),
    };
    // A master when the group is new; a dissemination version added to an existing group.
    let usage = match attach {
        Attach::UnitGroup => "Dissemination_1",
        _ => "BinaryMaster_1",
    };
    AttachSip {
        message_id: "MSG-ATT",
        agreement,
        usage,
        u1_title: "Dossier",
        u1_management,
        u1_ref,
        u2_ref,
        extra_units,
        file: FILE,
    }
    .write(root)
}

fn refs() -> Referentials {
    Referentials::builder()
        .ingest_contracts(
            IngestContract::load_json(
                format!(
                    r#"[{{"Identifier":"IC","Name":"c","EveryDataObjectVersion":true}},
                        {{"Identifier":"IC-LINK","Name":"c","EveryDataObjectVersion":true,"LinkParentId":"{OTHER}"}}]"#
                )
                .as_bytes(),
            )
            .unwrap(),
        )
        .build()
}

fn op(completed: bool, outcome: Status) -> ExistingOperation {
    ExistingOperation {
        id: "aeeaaaaaaghduohdabjwgalufvl2ezqaaaaq".into(),
        completed,
        outcome,
    }
}

/// An archive with `UNIT` (and its group `GROUP`) and `OTHER`; `ops` gives the operation
/// that created some of them (the others: unknown, i.e. accepted).
fn archive(ops: &[(&str, ExistingOperation)]) -> Arc<dyn ExistingUnits> {
    let mut k = KnownUnits::default();
    for id in [UNIT, OTHER] {
        k.add(
            ExistingUnit {
                system_id: id.into(),
                ..Default::default()
            },
            &[],
        );
    }
    k.add_object_group(
        ExistingObjectGroup {
            system_id: GROUP.into(),
            originating_agency: Some("AG1".into()),
        },
        Some(UNIT),
    );
    for (id, o) in ops {
        k.set_initial_operation(id, o.clone());
    }
    Arc::new(k)
}

fn run(attach: Attach, agreement: &str, ops: &[(&str, ExistingOperation)]) -> DryRun {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), attach, agreement);
    let opts = DryRunOptions {
        existing_units: Some(archive(ops)),
        ..Default::default()
    };
    dry_run(&p, &refs(), &opts).unwrap()
}

fn details(r: &DryRun) -> Vec<&str> {
    r.report.out_details()
}

fn event<'a>(r: &'a DryRun, ev_type: &str) -> Option<&'a vas_core::ingest::Event> {
    r.report.events.iter().find(|e| e.ev_type == ev_type)
}

fn assert_refused(name: &str, r: &DryRun, target_kind: &str, target: &str) {
    assert_eq!(r.report.outcome, Status::Ko, "{name}: {:?}", details(r));
    assert!(
        details(r).contains(&"CHECK_ATTACHEMENT.KO"),
        "{name}: {:?}",
        details(r)
    );
    assert!(
        details(r).contains(&"STP_INGEST_CONTROL_SIP.KO"),
        "{name}: {:?}",
        details(r)
    );
    // Blocking: the object-group step does not run.
    assert!(event(r, "CHECK_DIGEST").is_none(), "{name}");
    assert!(r.validated.is_none(), "{name}");
    assert!(r.atr.contains("<ReplyCode>KO</ReplyCode>"), "{name}");
    let d = event(r, "CHECK_ATTACHEMENT")
        .and_then(|e| e.ev_det_data.as_ref())
        .expect("evDetData");
    assert_eq!(d[target_kind], target, "{name}: {d}");
    assert_eq!(d["#opi"], "aeeaaaaaaghduohdabjwgalufvl2ezqaaaaq", "{name}");
}

#[test]
fn attachments_to_accepted_ingests_pass() {
    for (name, attach, agreement, ops) in [
        ("unknown operation", Attach::Unit(UNIT), "IC", vec![]),
        (
            "completed OK",
            Attach::Unit(UNIT),
            "IC",
            vec![(UNIT, op(true, Status::Ok))],
        ),
        (
            "completed WARNING",
            Attach::Unit(UNIT),
            "IC",
            vec![(UNIT, op(true, Status::Warning))],
        ),
        (
            "existing group, completed OK",
            Attach::ExistingGroup(GROUP),
            "IC",
            vec![(GROUP, op(true, Status::Ok))],
        ),
        (
            "objects added to the unit's group",
            Attach::UnitGroup,
            "IC",
            vec![(GROUP, op(true, Status::Warning))],
        ),
    ] {
        let r = run(attach, agreement, &ops);
        assert!(r.report.outcome.is_accepted(), "{name}: {:?}", details(&r));
        let e = event(&r, "CHECK_ATTACHEMENT").expect(name);
        assert_eq!(e.outcome, Status::Ok, "{name}");
        assert_eq!(e.out_detail, "CHECK_ATTACHEMENT.OK", "{name}");
        // Recorded after CHECK_DATAOBJECTPACKAGE, before the object-group step.
        let pos = |t: &str| r.report.events.iter().position(|e| e.ev_type == t).unwrap();
        assert!(
            pos("CHECK_DATAOBJECTPACKAGE") < pos("CHECK_ATTACHEMENT"),
            "{name}"
        );
        assert!(
            pos("CHECK_ATTACHEMENT") < pos("STP_INGEST_CONTROL_SIP"),
            "{name}"
        );
        assert!(r.validated.is_some(), "{name}");
    }
}

#[test]
fn no_attachment_no_recheck() {
    let r = run(Attach::Nothing, "IC", &[(UNIT, op(false, Status::Ok))]);
    assert_eq!(r.report.outcome, Status::Ok, "{:?}", details(&r));
    assert!(event(&r, "CHECK_ATTACHEMENT").is_none());
}

#[test]
fn unit_of_an_incomplete_ingest() {
    let r = run(Attach::Unit(UNIT), "IC", &[(UNIT, op(false, Status::Ok))]);
    assert_refused("incomplete", &r, "Unit", UNIT);
    let d = event(&r, "CHECK_ATTACHEMENT")
        .unwrap()
        .ev_det_data
        .clone()
        .unwrap();
    assert_eq!(d["completed"], false);
}

#[test]
fn unit_of_a_failed_ingest() {
    for st in [Status::Ko, Status::Fatal] {
        let r = run(Attach::Unit(UNIT), "IC", &[(UNIT, op(true, st))]);
        assert_refused("failed", &r, "Unit", UNIT);
        let d = event(&r, "CHECK_ATTACHEMENT")
            .unwrap()
            .ev_det_data
            .clone()
            .unwrap();
        assert_eq!(d["outcome"], st.as_str());
    }
}

#[test]
fn existing_group_of_a_failed_ingest() {
    let r = run(
        Attach::ExistingGroup(GROUP),
        "IC",
        &[(GROUP, op(true, Status::Ko))],
    );
    assert_refused("linked group", &r, "ObjectGroup", GROUP);
}

#[test]
fn group_objects_are_added_to_from_an_incomplete_ingest() {
    let r = run(
        Attach::UnitGroup,
        "IC",
        &[(GROUP, op(false, Status::Warning))],
    );
    assert_refused("added-to group", &r, "ObjectGroup", GROUP);
}

#[test]
fn groups_are_checked_before_units() {
    // Both targets fail: Vitam checks the object groups first.
    let r = run(
        Attach::UnitGroup,
        "IC",
        &[(UNIT, op(false, Status::Ok)), (GROUP, op(true, Status::Ko))],
    );
    assert_refused("both", &r, "ObjectGroup", GROUP);
}

#[test]
fn contract_link_parent_of_a_failed_ingest() {
    // The contract's LinkParentId is an attachment target too.
    let r = run(Attach::Nothing, "IC-LINK", &[(OTHER, op(true, Status::Ko))]);
    assert_refused("LinkParentId", &r, "Unit", OTHER);
    let ok = run(Attach::Nothing, "IC-LINK", &[]);
    assert_eq!(ok.report.outcome, Status::Ok, "{:?}", details(&ok));
    assert_eq!(
        event(&ok, "CHECK_ATTACHEMENT").map(|e| e.outcome),
        Some(Status::Ok)
    );
}

/// Vitam's catalogue still has `CHECK_MANIFEST.CHECK_MANIFEST_WRONG_ATTACHMENT` (attachment to
/// elements that do not exist) and `..._LINK` (outside the contract's perimeter), from its
/// first attachment implementation (US 2754); its current `ExtractSedaActionHandler` answers
/// those cases with `NOT_FOUND_ATTACHMENT` and `UNAUTHORIZED_ATTACHMENT`, which vas follows.
#[test]
fn legacy_wrong_attachment_cases_answer_todays_codes() {
    let missing = "aeaqaaaaaagbcaacaang6ak4ts6paliaaazq";
    let r = run(Attach::Unit(missing), "IC", &[]);
    assert!(
        details(&r).contains(&"CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.NOT_FOUND_ATTACHMENT.KO"),
        "{:?}",
        details(&r)
    );
    let r = run(Attach::ExistingGroup(missing), "IC", &[]);
    assert!(
        details(&r).contains(&"CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.NOT_FOUND_ATTACHMENT.KO"),
        "{:?}",
        details(&r)
    );
    // No re-check once CHECK_MANIFEST refused.
    assert!(event(&r, "CHECK_ATTACHEMENT").is_none());
    // The legacy codes keep their labels in the embedded catalogue.
    for code in [
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.CHECK_MANIFEST_WRONG_ATTACHMENT.KO",
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.CHECK_MANIFEST_WRONG_ATTACHMENT_LINK.KO",
        "CHECK_ATTACHEMENT.KO",
    ] {
        assert!(vas_core::ingest::codes::label(code).is_some(), "{code}");
    }
}

/// `Report::write_json` (what the CLI writes) gives the bytes of the pretty-printed JSON
/// value, evDetData and lifecycles included.
#[test]
fn streamed_report_is_the_json_value() {
    for r in [
        run(Attach::Unit(UNIT), "IC", &[(UNIT, op(true, Status::Ko))]),
        run(Attach::UnitGroup, "IC", &[]),
    ] {
        assert!(!r.report.lifecycles.units.is_empty() || r.report.outcome == Status::Ko);
        let mut out = Vec::new();
        r.report.write_json(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string_pretty(&r.report.to_json()).unwrap()
        );
    }
}

/// `vas ingest --dry-run --threads N`: one thread gives the report two threads give (bytes),
/// and the option is checked.
#[test]
fn cli_threads_option() {
    let bin = env!("CARGO_BIN_EXE_vas");
    let dir = tempfile::tempdir().unwrap();
    let sip = write(dir.path(), Attach::Nothing, "IC");
    let report = |threads: &str| {
        let r = dir.path().join(format!("r{threads}.json"));
        let out = std::process::Command::new(bin)
            .args([
                "ingest",
                "--dry-run",
                "--quiet",
                "--threads",
                threads,
                "--report",
            ])
            .arg(&r)
            .arg(&sip)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(r).unwrap()
    };
    let one = report("1");
    assert_eq!(one, report("2"));
    let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(v["outcome"], "OK");
    for bad in [
        vec!["ingest", "--dry-run", "--threads", "0"],
        vec!["ingest", "--archive", "/nonexistent", "--threads", "2"],
    ] {
        let out = std::process::Command::new(bin)
            .args(&bad)
            .arg(&sip)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--threads"), "{bad:?}: {err}");
    }
}
