//! Object-group attachments (Vitam's `ArchiveUnitListener` and `ExtractSedaActionHandler`):
//! objects added to the object group of an existing unit, and units linked to an existing
//! object group with `DataObjectGroupExistingReferenceId`. Each case builds a SEDA 2.1 SIP
//! and asserts the exact outcome code.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vas_core::ingest::{
    DryRun, DryRunOptions, ExistingObjectGroup, ExistingUnit, ExistingUnits, KnownUnits, Status,
    dry_run,
};
use vas_core::referential::{IngestContract, Referentials};

mod attach_support;
use attach_support::{AttachSip, GROUP_REF, update_operation};

const FILE: &[u8] = b"an added version\n";
/// An existing unit that has an object group (of originating agency `AG1`).
const WITH_GROUP: &str = "aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq";
/// An existing unit without an object group.
const WITHOUT_GROUP: &str = "aeaqaaaaaagbcaacaang6ak4ts6paliaaabq";
/// An existing unit whose object group belongs to another originating agency.
const OTHER_SP: &str = "aeaqaaaaaagbcaacaang6ak4ts6paliaaacq";
const GROUP: &str = "aebaaaaaaagbcaacaang6ak4ts6paliaaaaq";
const GROUP_OTHER_SP: &str = "aebaaaaaaagbcaacaang6ak4ts6paliaaabq";

/// A SEDA 2.1 SIP: object group G1 with one binary object of usage `usage`; root unit U1 is
/// the existing unit `attach_to` (by `SystemId`) and references G1 when `u1_refs_group`,
/// else its new child U2 does. `extra_units` are added after U1.
struct Sip {
    agreement: &'static str,
    usage: &'static str,
    attach_to: Option<&'static str>,
    u1_refs_group: bool,
    extra_units: String,
}

impl Default for Sip {
    fn default() -> Self {
        Sip {
            agreement: "IC-EVERY",
            usage: "Dissemination_1",
            attach_to: Some(WITH_GROUP),
            u1_refs_group: true,
            extra_units: String::new(),
        }
    }
}

impl Sip {
    fn write(&self, root: &Path) -> PathBuf {
        let (u1_ref, u2_ref) = if self.u1_refs_group {
            (GROUP_REF, "")
        } else {
            ("", GROUP_REF)
        };
        AttachSip {
            message_id: "MSG-OG",
            agreement: self.agreement,
            usage: self.usage,
            u1_title: "Dossier existant",
            u1_management: self.attach_to.map(update_operation).unwrap_or_default(),
            u1_ref,
            u2_ref,
            extra_units: self.extra_units.clone(),
            file: FILE,
        }
        .write(root)
    }
}

fn refs() -> Referentials {
    Referentials::builder()
        .ingest_contracts(
            IngestContract::load_json(
                br#"[{"Identifier":"IC-EVERY","Name":"c","EveryDataObjectVersion":true},
                     {"Identifier":"IC-DEFAULT","Name":"c"},
                     {"Identifier":"IC-THUMBNAIL","Name":"c","EveryDataObjectVersion":false,"DataObjectVersion":["Thumbnail"]},
                     {"Identifier":"IC-DISSEMINATION","Name":"c","EveryDataObjectVersion":false,"DataObjectVersion":["Dissemination"]}]"#,
            )
            .unwrap(),
        )
        .build()
}

fn archive() -> Arc<dyn ExistingUnits> {
    let mut k = KnownUnits::default();
    for id in [WITH_GROUP, WITHOUT_GROUP, OTHER_SP] {
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
        Some(WITH_GROUP),
    );
    k.add_object_group(
        ExistingObjectGroup {
            system_id: GROUP_OTHER_SP.into(),
            originating_agency: Some("AG2".into()),
        },
        Some(OTHER_SP),
    );
    Arc::new(k)
}

fn run_with(sip: &Sip, existing: Option<Arc<dyn ExistingUnits>>) -> DryRun {
    let dir = tempfile::tempdir().unwrap();
    let p = sip.write(dir.path());
    let opts = DryRunOptions {
        existing_units: existing,
        ..Default::default()
    };
    dry_run(&p, &refs(), &opts).unwrap()
}

fn run(sip: &Sip) -> DryRun {
    run_with(sip, Some(archive()))
}

fn problems(r: &DryRun) -> Vec<String> {
    r.report.problems().map(|e| e.out_detail.clone()).collect()
}

fn assert_ko(name: &str, r: &DryRun, sub: &str) {
    let code = format!("CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.{sub}.KO");
    assert!(
        r.report.out_details().contains(&code.as_str()),
        "{name}: expected {code}, got {:?}",
        problems(r)
    );
    assert_eq!(r.report.outcome, Status::Ko, "{name}");
    assert!(r.validated.is_none(), "{name}");
    assert!(r.atr.contains("<ReplyCode>KO</ReplyCode>"), "{name}");
}

fn existing_group_unit(id: &str) -> String {
    format!(
        r#"
      <ArchiveUnit id="U3">
        <Content><DescriptionLevel>Item</DescriptionLevel><Title>Lien</Title></Content>
        <DataObjectGroup><DataObjectGroupExistingReferenceId>{id}</DataObjectGroupExistingReferenceId></DataObjectGroup>
      </ArchiveUnit>"#
    )
}

#[test]
fn objects_are_added_to_the_existing_units_group() {
    // Dissemination_1 only: the group has no master of its own, which MasterMandatory
    // allows for a group added to an existing one (its master is already there).
    let r = run(&Sip::default());
    assert_eq!(r.report.outcome, Status::Ok, "{:?}", problems(&r));
    let v = r.validated.unwrap();
    assert_eq!(
        v.attachments.get("U1").map(String::as_str),
        Some(WITH_GROUP)
    );
    assert_eq!(
        v.group_attachments.get("G1").map(String::as_str),
        Some(GROUP)
    );
    assert!(v.existing_group_links.is_empty());
}

#[test]
fn a_new_group_without_master_is_still_refused() {
    // The same group under a new unit is a new group: MasterMandatory applies.
    let r = run(&Sip {
        attach_to: None,
        ..Default::default()
    });
    assert_ko("new group", &r, "MASTER_MANDATORY_REQUIRED");
}

#[test]
fn object_group_attachment_sub_codes() {
    let d = Sip::default;
    let cases: Vec<(&str, Sip, &str)> = vec![
        (
            "existing unit without an object group",
            Sip {
                attach_to: Some(WITHOUT_GROUP),
                ..d()
            },
            "UNAUTHORIZED_ATTACHMENT",
        ),
        (
            "existing group of another originating agency",
            Sip {
                attach_to: Some(OTHER_SP),
                ..d()
            },
            "SUBTASK_UNAUTHORIZED_ATTACHMENT_BY_BAD_SP",
        ),
        (
            "contract without EveryDataObjectVersion nor DataObjectVersion",
            Sip {
                agreement: "IC-DEFAULT",
                ..d()
            },
            "ATTACHMENT_OBJECTGROUP",
        ),
        (
            "contract allowing only Thumbnail, Dissemination added",
            Sip {
                agreement: "IC-THUMBNAIL",
                ..d()
            },
            "ATTACHMENT_OBJECTGROUP",
        ),
        (
            // As Vitam: the contract check runs as soon as an attached unit has a group.
            "attached unit with a group, objects under a new child, restrictive contract",
            Sip {
                agreement: "IC-THUMBNAIL",
                u1_refs_group: false,
                usage: "BinaryMaster_1",
                ..d()
            },
            "ATTACHMENT_OBJECTGROUP",
        ),
        (
            "unknown DataObjectGroupExistingReferenceId",
            Sip {
                attach_to: None,
                u1_refs_group: false,
                usage: "BinaryMaster_1",
                extra_units: existing_group_unit("aebaaaaaaagbcaacaang6ak4ts6paliaaazq"),
                ..d()
            },
            "NOT_FOUND_ATTACHMENT",
        ),
    ];
    for (name, sip, sub) in cases {
        assert_ko(name, &run(&sip), sub);
    }
}

#[test]
fn a_contract_listing_the_added_usage_allows_it() {
    let r = run(&Sip {
        agreement: "IC-DISSEMINATION",
        ..Default::default()
    });
    assert_eq!(r.report.outcome, Status::Ok, "{:?}", problems(&r));
}

#[test]
fn a_unit_links_to_an_existing_object_group() {
    let sip = Sip {
        attach_to: None,
        u1_refs_group: false,
        usage: "BinaryMaster_1",
        extra_units: existing_group_unit(GROUP),
        ..Default::default()
    };
    let r = run(&sip);
    assert_eq!(r.report.outcome, Status::Ok, "{:?}", problems(&r));
    let v = r.validated.unwrap();
    assert_eq!(
        v.existing_group_links.get("U3").map(String::as_str),
        Some(GROUP)
    );
    assert!(v.group_attachments.is_empty());
    // Without an archive the link cannot be resolved: NOT_FOUND, with the reason.
    let r = run_with(&sip, None);
    assert_ko("no archive", &r, "NOT_FOUND_ATTACHMENT");
    let ev = r
        .report
        .problems()
        .find(|e| e.out_detail.contains("NOT_FOUND_ATTACHMENT"))
        .unwrap();
    assert!(
        ev.ev_det_data
            .as_ref()
            .is_some_and(|d| d["DataObjectGroupExistingReferenceId"] == GROUP),
        "{:?}",
        ev.ev_det_data
    );
}

/// An `ExistingUnits` written before the object-group methods existed: only the two
/// required methods. It still compiles, and refuses object-group attachments.
struct UnitsOnly;

impl ExistingUnits for UnitsOnly {
    fn by_system_id(&self, id: &str) -> Option<ExistingUnit> {
        (id == WITH_GROUP).then(|| ExistingUnit {
            system_id: id.into(),
            ..Default::default()
        })
    }
    fn by_metadata(&self, _name: &str, _value: &str) -> Vec<ExistingUnit> {
        Vec::new()
    }
}

#[test]
fn an_implementation_without_the_group_methods_still_works() {
    // Attaching a unit without adding objects: accepted as before.
    let r = run_with(
        &Sip {
            u1_refs_group: false,
            usage: "BinaryMaster_1",
            ..Default::default()
        },
        Some(Arc::new(UnitsOnly)),
    );
    assert_eq!(r.report.outcome, Status::Ok, "{:?}", problems(&r));
    // Adding objects to that unit: it has no object group as far as the archive says.
    let r = run_with(&Sip::default(), Some(Arc::new(UnitsOnly)));
    assert_ko("units only", &r, "UNAUTHORIZED_ATTACHMENT");
}
