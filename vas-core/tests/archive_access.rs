//! Access contracts on every read path (search, unit, object, DIP), DIP validity against the
//! official XSD (xmllint), all-or-nothing KO, and damage found by verify and repaired by audit.

#[allow(dead_code)]
mod archive_support;

use archive_support::ingest_accepted;
use archive_support::setup::{Setup, create_archive_with, sorted_ids as ids, xmllint, zip_entry};
use std::path::Path;

use serde_json::json;
use vas_core::ErrorKind;
use vas_core::archive::{Archive, IngestOptions};
use vas_core::catalog::AccessContract;
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};
use vas_core::storage::{FilesystemOffer, ObjectKey};

/// A SIP with one unit holding a BinaryMaster and a Dissemination object.
fn make_sip(path: &Path, agency: &str, title: &str, master: &[u8], bad_digest: bool) {
    let diss = [master, b" (diffusion)"].concat();
    let dm = if bad_digest {
        "0".repeat(128)
    } else {
        digest_bytes(DigestAlgorithm::Sha512, master)
    };
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
<Date>2024-01-01T00:00:00</Date><MessageIdentifier>{title}</MessageIdentifier><ArchivalAgreement>IC-TEST</ArchivalAgreement><CodeListVersions/>
<DataObjectPackage>
<DataObjectGroup id="G1">
<BinaryDataObject id="B1"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/master.txt</Uri><MessageDigest algorithm="SHA-512">{dm}</MessageDigest><Size>{}</Size></BinaryDataObject>
<BinaryDataObject id="B2"><DataObjectVersion>Dissemination_1</DataObjectVersion><Uri>Content/diss.txt</Uri><MessageDigest algorithm="SHA-512">{}</MessageDigest><Size>{}</Size></BinaryDataObject>
</DataObjectGroup>
<DescriptiveMetadata>
<ArchiveUnit id="U1"><Content><DescriptionLevel>File</DescriptionLevel><Title>{title}</Title></Content>
<ArchiveUnit id="U2"><Content><DescriptionLevel>Item</DescriptionLevel><Title>{title} item</Title></Content>
<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>
</ArchiveUnit>
</DescriptiveMetadata>
<ManagementMetadata><OriginatingAgencyIdentifier>{agency}</OriginatingAgencyIdentifier></ManagementMetadata>
</DataObjectPackage>
<ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency><TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>"#,
        master.len(),
        digest_bytes(DigestAlgorithm::Sha512, &diss),
        diss.len()
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.add_bytes("Content/master.txt", master).unwrap();
    w.add_bytes("Content/diss.txt", &diss).unwrap();
    w.finish().unwrap();
}

fn contracts() -> Vec<AccessContract> {
    let all = AccessContract::full_access("ALL");
    let mut a = AccessContract::full_access("A_ONLY");
    a.every_originating_agency = false;
    a.originating_agencies = vec!["FR_A".into()];
    let mut d = a.clone();
    d.identifier = "A_DISS".into();
    d.every_data_object_version = false;
    d.data_object_versions = vec!["Dissemination".into()];
    let mut off = AccessContract::full_access("OFF");
    off.status = vas_core::catalog::ContractStatus::Inactive;
    vec![all, a, d, off]
}

fn setup(dir: &Path) -> (Archive, Vec<String>, Vec<String>) {
    let contracts = contracts();
    let a = create_archive_with(
        dir,
        &Setup {
            contracts: Some(&contracts),
            ..Default::default()
        },
    );
    let mut units = Vec::new();
    for (agency, title, data) in [
        ("FR_A", "Alpha", b"alpha master".as_slice()),
        ("FR_B", "Beta", b"beta master"),
    ] {
        let sip = dir.join(format!("{title}.zip"));
        make_sip(&sip, agency, title, data, false);
        let ids = ingest_accepted(&a, &sip);
        units.push(vec![ids["U1"].clone(), ids["U2"].clone()]);
    }
    let b = units.pop().unwrap();
    let a_units = units.pop().unwrap();
    (a, a_units, b)
}

fn dip_manifest(p: &Path) -> String {
    String::from_utf8(zip_entry(p, "manifest.xml")).unwrap()
}

/// The DIP manifest `xml` is valid against the official SEDA 2.1 XSD (xmllint's messages
/// printed otherwise).
fn xmllint_ok(xml: &str, dir: &Path) -> bool {
    let r = xmllint(xml.as_bytes(), "2.1", dir);
    if let Err(e) = &r {
        eprintln!("{e}");
    }
    r.is_ok()
}

#[test]
fn contracts_are_enforced_on_every_read_path() {
    let dir = tempfile::tempdir().unwrap();
    let (a, ua, ub) = setup(dir.path());
    let everything = json!({"$query": {"$exists": "Title"}, "$filter": {"$limit": 100}});
    // Search.
    let mut all_ids: Vec<String> = ua.iter().chain(&ub).cloned().collect();
    all_ids.sort();
    assert_eq!(ids(&a.search("ALL", &everything).unwrap()), all_ids);
    let mut only_a = ua.clone();
    only_a.sort();
    assert_eq!(ids(&a.search("A_ONLY", &everything).unwrap()), only_a);
    assert_eq!(ids(&a.search("A_DISS", &everything).unwrap()), only_a);
    let by_id = json!({"$query": {"$eq": {"#id": ub[1]}}});
    assert_eq!(a.search("A_ONLY", &by_id).unwrap()["$hits"]["total"], 0);
    // Get unit.
    for u in &ub {
        assert_eq!(
            a.get_unit("A_ONLY", u).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert!(a.get_unit("ALL", u).is_ok());
    }
    assert_eq!(
        a.get_unit("A_ONLY", "u-nope").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Objects.
    assert_eq!(
        a.read_object("A_ONLY", &ub[1], "BinaryMaster")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        a.read_object("A_ONLY", &ua[1], "BinaryMaster").unwrap().1,
        b"alpha master"
    );
    assert_eq!(
        a.read_object("A_DISS", &ua[1], "BinaryMaster")
            .unwrap_err()
            .kind(),
        ErrorKind::Denied
    );
    assert_eq!(
        a.read_object("A_DISS", &ua[1], "Dissemination").unwrap().1,
        b"alpha master (diffusion)"
    );
    let out = dir.path().join("obj.bin");
    a.export_object("ALL", &ub[1], "BinaryMaster", &out)
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"beta master");
    // Inactive and unknown contracts.
    assert_eq!(
        a.search("OFF", &everything).unwrap_err().kind(),
        ErrorKind::Denied
    );
    assert_eq!(
        a.search("NOPE", &everything).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // DIP.
    let dip = dir.path().join("a.zip");
    let s = a.dip("A_DISS", &everything, &dip).unwrap();
    assert_eq!((s.units, s.objects), (2, 1));
    let m = dip_manifest(&dip);
    for u in &ub {
        assert!(!m.contains(u.as_str()), "unit of FR_B in a FR_A DIP");
    }
    assert!(m.contains("Dissemination_1") && !m.contains("BinaryMaster_1"));
    assert!(xmllint_ok(&m, dir.path()), "DIP manifest invalid");
    let dip_all = dir.path().join("all.zip");
    let s = a.dip("ALL", &everything, &dip_all).unwrap();
    assert_eq!((s.units, s.objects), (4, 4));
    let m = dip_manifest(&dip_all);
    assert!(xmllint_ok(&m, dir.path()), "DIP manifest invalid");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&dip_all).unwrap()).unwrap();
    assert_eq!(z.len(), 5);
    let mut found = false;
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut b).unwrap();
        found |= b == b"beta master";
    }
    assert!(found);
}

#[test]
fn ko_leaves_only_the_logbook_entry_and_damage_is_found_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let (a, ua, _) = setup(dir.path());
    let root = dir.path().join("archive");
    assert_eq!(
        Archive::open(&root).unwrap_err().kind(),
        ErrorKind::Conflict
    );
    let objects_before = a.strategy().referent().list("").unwrap().len();
    let counts = a.counts().unwrap();
    let sip = dir.path().join("bad.zip");
    make_sip(&sip, "FR_A", "Bad", b"bad", true);
    let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
    assert!(!r.report.outcome.is_accepted());
    assert!(r.report.out_details().contains(&"CHECK_DIGEST.INVALID.KO"));
    assert_eq!(a.counts().unwrap(), counts);
    for o in a.strategy().offers() {
        assert_eq!(o.list("").unwrap().len(), objects_before);
    }
    let last = a.operations().unwrap().pop().unwrap();
    assert_eq!(last.event.ev_id_proc, r.operation_id);
    assert_eq!(last.event.outcome, "KO");
    assert!(r.atr.contains("<ReplyCode>KO</ReplyCode>"));
    assert!(xmllint_ok(&r.atr, dir.path()), "KO ATR invalid: {}", r.atr);
    assert!(a.verify().unwrap().is_ok());

    // Corrupt the master's copy on fs-2 and delete a unit document on fs-1.
    let obj = a.object_of("ALL", &ua[1], "BinaryMaster").unwrap();
    let key = ObjectKey::new(obj.storage_key.clone().unwrap()).unwrap();
    let fs2 = FilesystemOffer::open("fs-2", root.join("offers/fs-2")).unwrap();
    let p = fs2.object_path(&key);
    let mut bytes = std::fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0x55;
    std::fs::write(&p, bytes).unwrap();
    // Damage the line of unit ua[0] in its metadata pack on fs-1 (one byte of its title).
    let fs1 = FilesystemOffer::open("fs-1", root.join("offers/fs-1")).unwrap();
    let needle = format!("{{\"#id\":\"{}\",\"kind\":\"unit\"", ua[0]);
    let mut damaged_pack = None;
    for m in a.strategy().offer("fs-1").unwrap().list("packs/").unwrap() {
        let p = fs1.object_path(&m.key);
        let mut bytes = std::fs::read(&p).unwrap();
        if let Some(i) = bytes
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
        {
            let t = i + bytes[i..]
                .windows(9)
                .position(|w| w == b"\"Title\":\"")
                .unwrap();
            bytes[t + 9] ^= 0x01;
            std::fs::write(&p, bytes).unwrap();
            damaged_pack = Some(m.key.as_str().to_string());
        }
    }
    let damaged_pack = damaged_pack.expect("the unit's line in a pack");
    let v = a.verify().unwrap();
    assert!(!v.is_ok());
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains(&obj.id) && p.contains("fs-2")),
        "{:?}",
        v.problems
    );
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains(&damaged_pack) && p.contains("fs-1")),
        "{:?}",
        v.problems
    );
    // The unit's document is still read (its line verified, from the good copy on fs-2):
    // a DIP of it holds its title.
    let dip = dir.path().join("damaged.zip");
    let s = a
        .dip("ALL", &json!({"$query": {"$eq": {"#id": ua[0]}}}), &dip)
        .unwrap();
    assert_eq!(s.units, 1);
    let title = a.get_unit("ALL", &ua[0]).unwrap()["Title"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(dip_manifest(&dip).contains(&title));
    // A read still succeeds (verified, from the good copy).
    assert_eq!(
        a.read_object("ALL", &ua[1], "BinaryMaster").unwrap().1,
        b"alpha master"
    );
    let audit = a.audit(false).unwrap();
    assert_eq!(audit.findings.len(), 2, "{:?}", audit.findings);
    let repaired = a.audit(true).unwrap();
    assert!(repaired.all_repaired);
    assert!(a.audit(false).unwrap().findings.is_empty());
    assert!(a.verify().unwrap().is_ok());

    // Tampering with the logbook is found.
    let ops = root.join("logbook/operations.jsonl");
    let text = std::fs::read_to_string(&ops).unwrap();
    std::fs::write(&ops, text.replacen("\"KO\"", "\"OK\"", 1)).unwrap();
    drop(a);
    let a = Archive::open(&root).unwrap();
    assert!(!a.verify().unwrap().is_ok());
}
