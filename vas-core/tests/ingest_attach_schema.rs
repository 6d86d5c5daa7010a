//! Attachments to existing units (`UpdateOperation`), the object-group and unit schema checks
//! (sanity, ontology, logbook dates), and the parallel hashing of objects: each case builds a
//! SIP and asserts the exact outcome code.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::ingest::{
    DryRun, DryRunOptions, ExistingUnit, ExistingUnits, KnownUnits, Ontology, Status, dry_run,
};
use vas_core::referential::{IngestContract, Referentials};

const FILE: &[u8] = b"hello world\n";
const GUID: &str = "aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq";
const GUID2: &str = "aeaqaaaaaagbcaacaang6ak4ts6paliaaabq";

/// A SEDA 2.1 SIP: one object group G1 (one file), a root unit U1 with `management`, whose
/// child U2 references G1; `group_extra` goes inside the binary object, `u2_content` inside
/// U2's Content, `u2_management` before it.
#[derive(Clone, Default)]
struct Sip {
    agreement: Option<&'static str>,
    management: String,
    group_extra: String,
    u2_management: String,
    u2_title: String,
    u2_content: String,
    extra_units: String,
}

impl Sip {
    fn manifest(&self) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
  <Date>2024-01-01T00:00:00</Date>
  <MessageIdentifier>MSG-1</MessageIdentifier>
  <ArchivalAgreement>{agreement}</ArchivalAgreement>
  <CodeListVersions/>
  <DataObjectPackage>
    <DataObjectGroup id="G1">
      <BinaryDataObject id="O1">
        <DataObjectVersion>BinaryMaster_1</DataObjectVersion>
        <Uri>Content/a.txt</Uri>
        <MessageDigest algorithm="SHA-512">{digest}</MessageDigest>
        <Size>12</Size>{group_extra}
      </BinaryDataObject>
    </DataObjectGroup>
    <DescriptiveMetadata>
      <ArchiveUnit id="U1">{management}
        <Content><DescriptionLevel>RecordGrp</DescriptionLevel><Title>Racine</Title></Content>
        <ArchiveUnit id="U2">{u2_management}
          <Content><DescriptionLevel>Item</DescriptionLevel><Title>{u2_title}</Title>{u2_content}</Content>
          <DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>
        </ArchiveUnit>
      </ArchiveUnit>{extra_units}
    </DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>AG1</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>
"#,
            agreement = self.agreement.unwrap_or("IC-1"),
            digest = digest_bytes(DigestAlgorithm::Sha512, FILE),
            management = self.management,
            group_extra = self.group_extra,
            u2_management = self.u2_management,
            u2_title = if self.u2_title.is_empty() {
                "Pièce"
            } else {
                &self.u2_title
            },
            u2_content = self.u2_content,
            extra_units = self.extra_units,
        )
    }

    fn write(&self, root: &Path) -> PathBuf {
        let sip = root.join("sip");
        std::fs::create_dir_all(sip.join("Content")).unwrap();
        std::fs::write(sip.join("manifest.xml"), self.manifest()).unwrap();
        std::fs::write(sip.join("Content/a.txt"), FILE).unwrap();
        sip
    }
}

fn refs() -> Referentials {
    Referentials::builder()
        .ingest_contracts(
            IngestContract::load_json(
                br#"[{"Identifier":"IC-1","Name":"c"},
                     {"Identifier":"IC-NO-ATTACH","Name":"c","CheckParentLink":"UNAUTHORIZED"},
                     {"Identifier":"IC-REQUIRED","Name":"c","CheckParentLink":"REQUIRED"},
                     {"Identifier":"IC-PERIMETER","Name":"c","CheckParentId":["aeaqaaaaaagbcaacaang6ak4ts6paliaaacq"]},
                     {"Identifier":"IC-LINK","Name":"c","LinkParentId":"aeaqaaaaaagbcaacaang6ak4ts6paliaaadq"}]"#,
            )
            .unwrap(),
        )
        .build()
}

fn archive() -> Arc<dyn ExistingUnits> {
    let mut k = KnownUnits::default();
    k.add(
        ExistingUnit {
            system_id: GUID.into(),
            ancestors: vec!["aeaqaaaaaagbcaacaang6ak4ts6paliaaacq".into()],
            originating_agency: Some("AG1".into()),
        },
        &[("Title", "Plan"), ("FilePlanPosition", "A.1")],
    );
    k.add(
        ExistingUnit {
            system_id: GUID2.into(),
            ..Default::default()
        },
        &[("Title", "Plan")],
    );
    Arc::new(k)
}

fn run(sip: &Sip, opts: DryRunOptions) -> DryRun {
    let dir = tempfile::tempdir().unwrap();
    let p = sip.write(dir.path());
    dry_run(&p, &refs(), &opts).unwrap()
}

fn with_archive() -> DryRunOptions {
    DryRunOptions {
        existing_units: Some(archive()),
        ..Default::default()
    }
}

fn assert_code(name: &str, run: &DryRun, code: &str, status: Status) {
    assert!(
        run.report.out_details().contains(&code),
        "{name}: expected {code}, got {:?}",
        run.report
            .problems()
            .map(|e| &e.out_detail)
            .collect::<Vec<_>>()
    );
    assert_eq!(run.report.outcome, status, "{name}");
}

fn by_system_id(id: &str) -> String {
    format!("<Management><UpdateOperation><SystemId>{id}</SystemId></UpdateOperation></Management>")
}

fn by_key(name: &str, value: &str) -> String {
    format!(
        "<Management><UpdateOperation><ArchiveUnitIdentifierKey><MetadataName>{name}</MetadataName>\
         <MetadataValue>{value}</MetadataValue></ArchiveUnitIdentifierKey></UpdateOperation></Management>"
    )
}

#[test]
fn the_reference_sip_is_accepted() {
    let r = run(&Sip::default(), DryRunOptions::default());
    assert_eq!(
        r.report.outcome,
        Status::Ok,
        "{:?}",
        r.report.problems().collect::<Vec<_>>()
    );
    assert!(
        r.report
            .out_details()
            .contains(&"CHECK_OBJECT_GROUP_SCHEMA.OK")
    );
    assert!(r.validated.unwrap().attachments.is_empty());
}

#[test]
fn attachment_by_system_id_resolves() {
    let sip = Sip {
        management: by_system_id(GUID),
        ..Default::default()
    };
    let r = run(&sip, with_archive());
    assert_eq!(
        r.report.outcome,
        Status::Ok,
        "{:?}",
        r.report.problems().collect::<Vec<_>>()
    );
    let v = r.validated.unwrap();
    assert_eq!(v.attachments.get("U1").map(String::as_str), Some(GUID));
}

#[test]
fn attachment_by_key_resolves() {
    let sip = Sip {
        management: by_key("FilePlanPosition", "A.1"),
        ..Default::default()
    };
    let r = run(&sip, with_archive());
    assert_eq!(r.report.outcome, Status::Ok);
    assert_eq!(
        r.validated
            .unwrap()
            .attachments
            .get("U1")
            .map(String::as_str),
        Some(GUID)
    );
}

#[test]
fn attachment_sub_codes() {
    const P: &str = "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.";
    let d = Sip::default;
    let cases: Vec<(&str, Sip, DryRunOptions, &str)> = vec![
        (
            "no archive to resolve against",
            Sip {
                management: by_system_id(GUID),
                ..d()
            },
            DryRunOptions::default(),
            "NOT_FOUND_ATTACHMENT",
        ),
        (
            "unknown system id",
            Sip {
                management: by_system_id("aeaqaaaaaagbcaacaang6ak4ts6paliaaaza"),
                ..d()
            },
            with_archive(),
            "NOT_FOUND_ATTACHMENT",
        ),
        (
            "unknown key",
            Sip {
                management: by_key("Title", "Nothing"),
                ..d()
            },
            with_archive(),
            "NOT_FOUND_ATTACHMENT",
        ),
        (
            "ambiguous key",
            Sip {
                management: by_key("Title", "Plan"),
                ..d()
            },
            with_archive(),
            "TOO_MANY_FOUND_ATTACHMENT",
        ),
        (
            "not a guid",
            Sip {
                management: by_system_id("not-a-guid"),
                ..d()
            },
            with_archive(),
            "INVALID_GUID_ATTACHMENT",
        ),
        (
            "contract forbids attachments",
            Sip {
                agreement: Some("IC-NO-ATTACH"),
                management: by_system_id(GUID),
                ..d()
            },
            with_archive(),
            "UNAUTHORIZED_ATTACHMENT_BY_CONTRACT",
        ),
        (
            "contract requires one",
            Sip {
                agreement: Some("IC-REQUIRED"),
                ..d()
            },
            with_archive(),
            "NULL_LINK_PARENT_ID_ATTACHMENT",
        ),
        (
            "outside the contract's perimeter",
            Sip {
                agreement: Some("IC-PERIMETER"),
                management: by_system_id(GUID2),
                ..d()
            },
            with_archive(),
            "UNAUTHORIZED_ATTACHMENT",
        ),
        (
            "existing unit given a parent",
            Sip {
                u2_management: by_system_id(GUID),
                ..d()
            },
            with_archive(),
            "MODIFY_PARENT_EXISTING_UNIT_UNAUTHORIZED",
        ),
        (
            "contract's LinkParentId not in the archive",
            Sip {
                agreement: Some("IC-LINK"),
                ..d()
            },
            with_archive(),
            "NOT_FOUND_ATTACHMENT",
        ),
    ];
    for (name, sip, opts, sub) in cases {
        let r = run(&sip, opts);
        assert_code(name, &r, &format!("{P}{sub}.KO"), Status::Ko);
        assert!(r.validated.is_none(), "{name}");
        assert!(r.atr.contains("<ReplyCode>KO</ReplyCode>"), "{name}");
    }
    // Within the perimeter (an ancestor is the CheckParentId node): accepted.
    let sip = Sip {
        agreement: Some("IC-PERIMETER"),
        management: by_system_id(GUID),
        ..Default::default()
    };
    assert_eq!(run(&sip, with_archive()).report.outcome, Status::Ok);
}

fn ontology() -> Arc<Ontology> {
    Arc::new(
        Ontology::load_json(
            br#"[{"Identifier":"MyDate","Type":"DATE","Collections":["Unit","ObjectGroup"]},
                 {"Identifier":"OriginatingSystemId","Type":"LONG","Collections":["Unit"]}]"#,
        )
        .unwrap(),
    )
}

#[test]
fn object_group_schema() {
    let typed = Sip {
        group_extra: "<OtherMetadata><MyDate>Test</MyDate></OtherMetadata>".into(),
        ..Default::default()
    };
    // Without an ontology the extension is not typed.
    assert_eq!(
        run(&typed, DryRunOptions::default()).report.outcome,
        Status::Ok
    );
    let opts = DryRunOptions {
        ontology: Some(ontology()),
        ..Default::default()
    };
    let r = run(&typed, opts.clone());
    assert_code("ontology", &r, "CHECK_OBJECT_GROUP_SCHEMA.KO", Status::Ko);
    let ev = r
        .report
        .events
        .iter()
        .find(|e| e.ev_type == "CHECK_OBJECT_GROUP_SCHEMA")
        .unwrap();
    assert!(
        ev.ev_det_data
            .as_ref()
            .unwrap()
            .to_string()
            .contains("MyDate"),
        "{:?}",
        ev.ev_det_data
    );
    let good = Sip {
        group_extra: "<OtherMetadata><MyDate>2017-08-24</MyDate></OtherMetadata>".into(),
        ..Default::default()
    };
    assert_eq!(run(&good, opts).report.outcome, Status::Ok);
    // Sanity: a double-escaped entity in the file name.
    let sip = Sip {
        group_extra: "<FileInfo><Filename>a&amp;apos;b.txt</Filename></FileInfo>".into(),
        ..Default::default()
    };
    let r = run(&sip, DryRunOptions::default());
    assert_code("sanity", &r, "CHECK_OBJECT_GROUP_SCHEMA.KO", Status::Ko);
}

#[test]
fn unit_schema() {
    let cases: Vec<(&str, Sip, Option<Arc<Ontology>>)> = vec![
        (
            "double-escaped entity",
            Sip {
                u2_title: "Toto&amp;apos;Titi".into(),
                ..Default::default()
            },
            None,
        ),
        (
            "script marker",
            Sip {
                u2_content: "<Description>x &lt;script&gt;alert(1)</Description>".into(),
                ..Default::default()
            },
            None,
        ),
        (
            "ontology type",
            Sip {
                u2_content: "<OriginatingSystemId>abc</OriginatingSystemId>".into(),
                ..Default::default()
            },
            Some(ontology()),
        ),
        (
            "logbook date after 9000",
            Sip {
                u2_management: "<Management><LogBook><Event><EventIdentifier>e</EventIdentifier>\
                    <EventDateTime>9999-09-17T08:19:25.206</EventDateTime></Event></LogBook></Management>"
                    .into(),
                ..Default::default()
            },
            None,
        ),
    ];
    for (name, sip, ontology) in cases {
        let r = run(
            &sip,
            DryRunOptions {
                ontology,
                ..Default::default()
            },
        );
        assert_code(name, &r, "CHECK_UNIT_SCHEMA.INVALID_UNIT.KO", Status::Ko);
    }
    // A mail's "<https://…>" (escaped in the XML) is not markup for Vitam.
    let ok = Sip {
        u2_content: "<Description>Twitter &lt;https://twitter.com/progvitam&gt;</Description>"
            .into(),
        ..Default::default()
    };
    assert_eq!(
        run(&ok, DryRunOptions::default()).report.outcome,
        Status::Ok
    );
    let typed_ok = Sip {
        u2_content: "<OriginatingSystemId>42</OriginatingSystemId>".into(),
        ..Default::default()
    };
    let r = run(
        &typed_ok,
        DryRunOptions {
            ontology: Some(ontology()),
            ..Default::default()
        },
    );
    assert_eq!(r.report.outcome, Status::Ok);
}

/// Many objects of varied sizes, one with a wrong digest and one with a wrong size: the report
/// and the validated objects are the same whatever the number of hashing threads.
#[test]
fn parallel_hashing_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let sip = dir.path().join("sip");
    std::fs::create_dir_all(sip.join("Content")).unwrap();
    let mut groups = String::new();
    let mut units = String::new();
    for i in 0..60usize {
        // 0 bytes, exactly one chunk (256 KiB), and sizes around it.
        let len = match i {
            0 => 0,
            1 => 256 * 1024,
            2 => 2 * 256 * 1024,
            _ => (i * 7919 * 13) % 700_000,
        };
        let data: Vec<u8> = (0..len).map(|k| ((k * 31 + i) % 251) as u8).collect();
        std::fs::write(sip.join(format!("Content/o{i}.bin")), &data).unwrap();
        let digest = if i == 17 {
            digest_bytes(DigestAlgorithm::Sha512, b"other")
        } else {
            digest_bytes(DigestAlgorithm::Sha512, &data)
        };
        // SEDA's Size is a positive integer: the empty object declares none.
        let size = match i {
            0 => String::new(),
            23 => format!("<Size>{}</Size>", len + 1),
            _ => format!("<Size>{len}</Size>"),
        };
        groups.push_str(&format!(
            "<DataObjectGroup id=\"G{i}\"><BinaryDataObject id=\"O{i}\"><DataObjectVersion>BinaryMaster_1</DataObjectVersion>\
             <Uri>Content/o{i}.bin</Uri><MessageDigest algorithm=\"SHA-512\">{digest}</MessageDigest>{size}\
             </BinaryDataObject></DataObjectGroup>"
        ));
        units.push_str(&format!(
            "<ArchiveUnit id=\"U{i}\"><Content><DescriptionLevel>Item</DescriptionLevel><Title>T{i}</Title></Content>\
             <DataObjectReference><DataObjectGroupReferenceId>G{i}</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>"
        ));
    }
    std::fs::write(
        sip.join("manifest.xml"),
        format!(
            "<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.1\"><Date>2024-01-01T00:00:00</Date>\
             <MessageIdentifier>M</MessageIdentifier><ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/>\
             <DataObjectPackage>{groups}<DescriptiveMetadata>{units}</DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>\
             <ArchivalAgency><Identifier>A</Identifier></ArchivalAgency><TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>"
        ),
    )
    .unwrap();
    let r = Referentials::default();
    let runs: Vec<DryRun> = [1usize, 2, 5]
        .iter()
        .map(|&t| {
            dry_run(
                &sip,
                &r,
                &DryRunOptions {
                    threads: Some(t),
                    ..Default::default()
                },
            )
            .unwrap()
        })
        .collect();
    let first = &runs[0];
    assert_code("bad digest", first, "CHECK_DIGEST.INVALID.KO", Status::Ko);
    let det = first
        .report
        .events
        .iter()
        .find(|e| e.ev_type == "CHECK_DIGEST")
        .unwrap();
    assert!(
        det.ev_det_data
            .as_ref()
            .unwrap()
            .to_string()
            .contains("O17"),
        "{:?}",
        det.ev_det_data
    );
    assert!(
        first
            .report
            .out_details()
            .contains(&"CHECK_OBJECT_SIZE.WARNING")
    );
    for other in &runs[1..] {
        assert_eq!(first.report.to_json(), other.report.to_json());
    }
    // The same SIP without the bad digest is accepted, with the digests of the bytes.
    let m = std::fs::read_to_string(sip.join("manifest.xml")).unwrap();
    let data17: Vec<u8> = (0..(17 * 7919 * 13) % 700_000)
        .map(|k| ((k * 31 + 17) % 251) as u8)
        .collect();
    std::fs::write(
        sip.join("manifest.xml"),
        m.replace(
            &digest_bytes(DigestAlgorithm::Sha512, b"other"),
            &digest_bytes(DigestAlgorithm::Sha512, &data17),
        ),
    )
    .unwrap();
    let mut accepted = Vec::new();
    for t in [1usize, 3] {
        let run = dry_run(
            &sip,
            &r,
            &DryRunOptions {
                threads: Some(t),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(run.report.outcome, Status::Warning);
        accepted.push(run.validated.unwrap().objects);
    }
    assert_eq!(accepted[0], accepted[1]);
    let o1 = accepted[0].iter().find(|o| o.id == "O1").unwrap();
    assert_eq!(o1.size, Some(256 * 1024));
    let o0 = accepted[0].iter().find(|o| o.id == "O0").unwrap();
    assert_eq!(
        o0.digest.as_ref().unwrap().1,
        digest_bytes(DigestAlgorithm::Sha512, b"")
    );
}
