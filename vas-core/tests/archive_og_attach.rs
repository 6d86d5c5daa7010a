//! Adding objects to an existing unit's object group through the archive: a first SIP
//! stores a unit with a BinaryMaster; a second SIP declares that unit (`UpdateOperation`)
//! with a new group holding a Dissemination: the archive accepts it, stores a new version
//! of the group's document (both objects, the lifecycle of the second operation), and the
//! catalog, a DIP, verify and a rebuild all see both objects.

use std::path::Path;

use serde_json::json;
use vas_core::archive::{Archive, FULL_ACCESS, IngestOptions, InitOptions};
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::logbook::LifecycleKind;
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

const MASTER: &[u8] = b"the master\n";
const ADDED: &[u8] = b"an added dissemination version\n";

fn sip(path: &Path, unit: &str, usage: &str, data: &[u8]) {
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
 <Date>2024-01-01T00:00:00</Date><MessageIdentifier>M</MessageIdentifier>
 <ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>
 <DataObjectGroup id="G1"><BinaryDataObject id="O1"><DataObjectVersion>{usage}</DataObjectVersion>
 <Uri>Content/a.txt</Uri><MessageDigest algorithm="SHA-512">{}</MessageDigest><Size>{}</Size>
 <FileInfo><Filename>a.txt</Filename></FileInfo></BinaryDataObject></DataObjectGroup>
 <DescriptiveMetadata><ArchiveUnit id="U1">{unit}<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit></DescriptiveMetadata>
 <ManagementMetadata><OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier></ManagementMetadata>
 </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
 <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#,
        digest_bytes(DigestAlgorithm::Sha512, data),
        data.len()
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.add_bytes("Content/a.txt", data).unwrap();
    w.finish().unwrap();
}

#[test]
fn objects_added_to_an_existing_object_group() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::create(dir.path().join("archive"), &InitOptions::default()).unwrap();
    let s1 = dir.path().join("first.zip");
    sip(
        &s1,
        "<Content><DescriptionLevel>Item</DescriptionLevel><Title>Original</Title></Content>",
        "BinaryMaster_1",
        MASTER,
    );
    let r1 = a.ingest(&s1, &IngestOptions::default()).unwrap();
    assert!(r1.report.outcome.is_accepted());
    let unit = r1.system_ids["U1"].clone();
    let group = r1.system_ids["G1"].clone();
    let reg1 = a.accession_register(FULL_ACCESS).unwrap();

    let s2 = dir.path().join("attach.zip");
    sip(
        &s2,
        &format!(
            "<Management><UpdateOperation><SystemId>{unit}</SystemId></UpdateOperation></Management><Content><DescriptionLevel>Item</DescriptionLevel><Title>Original</Title></Content>"
        ),
        "Dissemination_1",
        ADDED,
    );
    let r2 = a.ingest(&s2, &IngestOptions::default()).unwrap();
    assert!(
        r2.report.outcome.is_accepted(),
        "{:?}",
        r2.report.out_details()
    );
    // The SIP's group is the existing one; no unit or group was created.
    assert_eq!(r2.system_ids["G1"], group);
    assert_eq!(r2.system_ids["U1"], unit);
    assert_eq!(a.counts().unwrap(), (1, 1));
    // Both objects, each read back verified.
    assert_eq!(
        a.read_object(FULL_ACCESS, &unit, "BinaryMaster").unwrap().1,
        MASTER
    );
    let (o, bytes) = a.read_object(FULL_ACCESS, &unit, "Dissemination").unwrap();
    assert_eq!(bytes, ADDED);
    assert_eq!(o.id, r2.system_ids["O1"]);
    // The group keeps its operation and its register line; the added object counts under
    // the operation that added it, as Vitam counts it.
    let reg2 = a.accession_register(FULL_ACCESS).unwrap();
    assert_eq!(reg1.len(), 1);
    assert_eq!(reg2.len(), 2, "{reg2:?}");
    assert_eq!(reg2[0], reg1[0]);
    assert_eq!(reg2[0].operation_id, r1.operation_id);
    assert_eq!(
        (
            reg2[0].units,
            reg2[0].object_groups,
            reg2[0].objects,
            reg2[0].bytes
        ),
        (1, 1, 1, MASTER.len() as i64)
    );
    assert_eq!(reg2[1].operation_id, r2.operation_id);
    assert_eq!(
        (
            reg2[1].units,
            reg2[1].object_groups,
            reg2[1].objects,
            reg2[1].bytes
        ),
        (0, 0, 1, ADDED.len() as i64)
    );
    // The group's lifecycle has the second operation's events.
    let lfc = a.lifecycle(LifecycleKind::ObjectGroup, &group).unwrap();
    assert!(lfc.iter().any(|e| e.ev_id_proc == r2.operation_id));
    assert!(lfc.iter().any(|e| e.ev_id_proc == r1.operation_id));
    // A DIP holds both objects, with their own SEDA.
    let dip = dir.path().join("dip.zip");
    let s = a.dip(FULL_ACCESS, &json!({"$query": {}}), &dip).unwrap();
    let summary = serde_json::to_value(&s).unwrap().to_string();
    let manifest = String::from_utf8(
        vas_core::sip::SipReader::open(&dip, Default::default())
            .unwrap()
            .manifest_bytes()
            .unwrap(),
    )
    .unwrap();
    assert!(manifest.contains("BinaryMaster_1"), "{summary}");
    assert!(manifest.contains("Dissemination_1"), "{summary}");
    assert_eq!(manifest.matches("<Filename>a.txt</Filename>").count(), 2);
    // Verify, audit and rebuild agree.
    let v = a.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
    assert!(a.audit(false).unwrap().findings.is_empty());
    let before = a.get_unit(FULL_ACCESS, &unit).unwrap();
    let og_before = a.object_of(FULL_ACCESS, &unit, "Dissemination").unwrap();
    a.rebuild().unwrap();
    assert_eq!(a.get_unit(FULL_ACCESS, &unit).unwrap(), before);
    assert_eq!(
        a.object_of(FULL_ACCESS, &unit, "Dissemination").unwrap(),
        og_before
    );
    assert_eq!(a.accession_register(FULL_ACCESS).unwrap(), reg2);
    assert!(a.verify().unwrap().is_ok());
}
