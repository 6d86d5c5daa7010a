//! The ArchiveTransferReply of an archive ingest, for each SEDA version: it is in the SIP's
//! namespace, valid against the official XSD of that version (xmllint), its
//! `MessageIdentifier` is the operation, and every system id in it (`Content/SystemId` of
//! each unit, `DataObjectSystemId` / `DataObjectGroupSystemId` of each object) is the
//! catalog's `#id` of that unit, group or object. A KO ATR carries no system id and is
//! valid too.

#[allow(dead_code)]
mod archive_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use archive_support::setup::xmllint;
use vas_core::archive::{Archive, FULL_ACCESS, IngestOptions, InitOptions};
use vas_core::digest::{DigestAlgorithm, digest_bytes};

const MASTER: &[u8] = b"the master\n";
const DISSEM: &[u8] = b"a dissemination copy\n";

fn namespace(version: &str) -> String {
    format!("fr:gouv:culture:archivesdefrance:seda:v{version}")
}

/// A SIP (folder) of `version`: unit `U1` (group `G1`: a BinaryMaster and a
/// Dissemination) holding unit `U2` (group `G2`: a PhysicalMaster). `digest_ok = false`
/// declares a wrong digest for the master (a KO at `CHECK_DIGEST`).
fn write_sip(root: &Path, version: &str, digest_ok: bool) -> std::path::PathBuf {
    let sip = root.join(format!("sip-{version}-{digest_ok}"));
    std::fs::create_dir_all(sip.join("Content")).unwrap();
    std::fs::write(sip.join("Content/a.txt"), MASTER).unwrap();
    std::fs::write(sip.join("Content/b.txt"), DISSEM).unwrap();
    let master_digest = if digest_ok {
        digest_bytes(DigestAlgorithm::Sha512, MASTER)
    } else {
        digest_bytes(DigestAlgorithm::Sha512, b"something else")
    };
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="{ns}">
  <Date>2024-01-01T00:00:00</Date>
  <MessageIdentifier>ATR-{version}</MessageIdentifier>
  <ArchivalAgreement>IC-1</ArchivalAgreement>
  <CodeListVersions/>
  <DataObjectPackage>
    <DataObjectGroup id="G1">
      <BinaryDataObject id="O1">
        <DataObjectVersion>BinaryMaster_1</DataObjectVersion>
        <Uri>Content/a.txt</Uri>
        <MessageDigest algorithm="SHA-512">{master_digest}</MessageDigest>
        <Size>{master_size}</Size>
      </BinaryDataObject>
      <BinaryDataObject id="O2">
        <DataObjectVersion>Dissemination_1</DataObjectVersion>
        <Uri>Content/b.txt</Uri>
        <MessageDigest algorithm="SHA-512">{dissem_digest}</MessageDigest>
        <Size>{dissem_size}</Size>
      </BinaryDataObject>
    </DataObjectGroup>
    <DataObjectGroup id="G2">
      <PhysicalDataObject id="P1">
        <DataObjectVersion>PhysicalMaster_1</DataObjectVersion>
        <PhysicalId>BOX-12</PhysicalId>
      </PhysicalDataObject>
    </DataObjectGroup>
    <DescriptiveMetadata>
      <ArchiveUnit id="U1">
        <Content><DescriptionLevel>RecordGrp</DescriptionLevel><Title>Dossier {version}</Title></Content>
        <ArchiveUnit id="U2">
          <Content><DescriptionLevel>Item</DescriptionLevel><Title>Boîte {version}</Title></Content>
          <DataObjectReference><DataObjectGroupReferenceId>G2</DataObjectGroupReferenceId></DataObjectReference>
        </ArchiveUnit>
        <DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>
      </ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>
"#,
        ns = namespace(version),
        dissem_digest = digest_bytes(DigestAlgorithm::Sha512, DISSEM),
        master_size = MASTER.len(),
        dissem_size = DISSEM.len(),
    );
    std::fs::write(sip.join("manifest.xml"), manifest).unwrap();
    sip
}

/// What the ATR maps: unit SIP id → `SystemId`; object SIP id → (object system id, group
/// system id, the `DataObjectGroup` SIP id around it).
struct AtrIds {
    units: BTreeMap<String, String>,
    objects: BTreeMap<String, (String, String, String)>,
    system_id_elements: usize,
}

fn atr_ids(atr: &str) -> AtrIds {
    let unit = regex::Regex::new(
        r#"(?s)<ArchiveUnit id="([^"]+)">\s*<Content>\s*<SystemId>([^<]+)</SystemId>"#,
    )
    .unwrap();
    let group =
        regex::Regex::new(r#"(?s)<DataObjectGroup id="([^"]+)">(.*?)</DataObjectGroup>"#).unwrap();
    let object = regex::Regex::new(
        r#"(?s)<(?:Binary|Physical)DataObject id="([^"]+)">\s*<DataObjectSystemId>([^<]+)</DataObjectSystemId>\s*<DataObjectGroupSystemId>([^<]+)</DataObjectGroupSystemId>"#,
    )
    .unwrap();
    let mut ids = AtrIds {
        units: BTreeMap::new(),
        objects: BTreeMap::new(),
        system_id_elements: atr.matches("SystemId>").count() / 2,
    };
    for c in unit.captures_iter(atr) {
        ids.units.insert(c[1].to_string(), c[2].to_string());
    }
    for g in group.captures_iter(atr) {
        for c in object.captures_iter(&g[2]) {
            ids.objects.insert(
                c[1].to_string(),
                (c[2].to_string(), c[3].to_string(), g[1].to_string()),
            );
        }
    }
    ids
}

fn message_identifier(atr: &str) -> String {
    let re = regex::Regex::new(r"<MessageIdentifier>([^<]+)</MessageIdentifier>").unwrap();
    re.captures(atr).unwrap()[1].to_string()
}

#[test]
fn archive_atr_of_each_version_is_valid_and_names_the_catalog_ids() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::create(dir.path().join("archive"), &InitOptions::default()).unwrap();
    for version in ["2.1", "2.2", "2.3"] {
        let sip = write_sip(dir.path(), version, true);
        let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
        assert!(
            r.report.outcome.is_accepted(),
            "{version}: {:?}",
            r.report.out_details()
        );
        let atr = &r.atr;
        assert!(
            atr.contains(&format!(
                "<ArchiveTransferReply xmlns=\"{}\"",
                namespace(version)
            )),
            "{version}: not in the SIP's namespace: {atr}"
        );
        assert!(atr.contains("<ReplyCode>OK</ReplyCode>"), "{atr}");
        assert_eq!(message_identifier(atr), r.operation_id);
        if let Err(e) = xmllint(atr.as_bytes(), version, dir.path()) {
            panic!("{version}: ATR not valid against the official XSD: {e}\n{atr}");
        }
        let ids = atr_ids(atr);
        // Every unit, group and object of the SIP, each with one system id.
        assert_eq!(ids.units.keys().collect::<Vec<_>>(), ["U1", "U2"], "{atr}");
        assert_eq!(
            ids.objects.keys().collect::<Vec<_>>(),
            ["O1", "O2", "P1"],
            "{atr}"
        );
        // 2 units + 3 objects × (object + group) system ids, nothing else.
        assert_eq!(ids.system_id_elements, 2 + 3 * 2, "{atr}");
        // The units: the catalog's #id, with the SIP's title (not swapped).
        let mut group_of_unit = BTreeMap::new();
        for (sip_id, title) in [("U1", "Dossier"), ("U2", "Boîte")] {
            let sys = &ids.units[sip_id];
            let unit = a.get_unit(FULL_ACCESS, sys).unwrap();
            assert_eq!(unit["#id"], sys.as_str());
            assert_eq!(unit["Title"], format!("{title} {version}"), "{unit}");
            group_of_unit.insert(sip_id, unit["#object"].as_str().unwrap().to_string());
        }
        // The groups and objects: the catalog's group of each unit and its objects' #id.
        for (obj, unit, usage, group) in [
            ("O1", "U1", "BinaryMaster", "G1"),
            ("O2", "U1", "Dissemination", "G1"),
            ("P1", "U2", "PhysicalMaster", "G2"),
        ] {
            let (osys, gsys, in_group) = &ids.objects[obj];
            assert_eq!(in_group, group);
            assert_eq!(gsys, &group_of_unit[unit], "{obj}: group system id");
            let rec = a.object_of(FULL_ACCESS, &ids.units[unit], usage).unwrap();
            assert_eq!(&rec.id, osys, "{obj}: object system id");
        }
        // The same mapping as the API's.
        for (k, v) in &ids.units {
            assert_eq!(&r.system_ids[k], v);
        }
        for (k, (o, g, sip_group)) in &ids.objects {
            assert_eq!(&r.system_ids[k], o);
            assert_eq!(&r.system_ids[sip_group], g);
        }
    }
}

#[test]
fn archive_ko_atr_of_each_version_is_valid_and_has_no_system_id() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::create(dir.path().join("archive"), &InitOptions::default()).unwrap();
    for version in ["2.1", "2.2", "2.3"] {
        let sip = write_sip(dir.path(), version, false);
        let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
        assert!(!r.report.outcome.is_accepted(), "{version}");
        let atr = &r.atr;
        assert!(
            atr.contains(&format!(
                "<ArchiveTransferReply xmlns=\"{}\"",
                namespace(version)
            )),
            "{atr}"
        );
        assert!(atr.contains("<ReplyCode>KO</ReplyCode>"), "{atr}");
        assert!(atr.contains("CHECK_DIGEST"), "{atr}");
        for e in [
            "<SystemId>",
            "<DataObjectSystemId>",
            "<DataObjectGroupSystemId>",
        ] {
            assert!(!atr.contains(e), "a KO ATR has no system id: {atr}");
        }
        assert_eq!(message_identifier(atr), r.operation_id);
        if let Err(e) = xmllint(atr.as_bytes(), version, dir.path()) {
            panic!("{version}: KO ATR not valid: {e}\n{atr}");
        }
    }
    assert_eq!(a.counts().unwrap(), (0, 0));
}

/// A SIP refused before its manifest can be read (not well-formed; no manifest at all) still
/// gets an ATR whose `MessageIdentifier` is the archive's operation (not a fresh id), valid
/// against the SEDA 2.1 XSD (the default header), with no system id.
#[test]
fn archive_atr_of_an_unreadable_manifest_names_the_operation() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::create(dir.path().join("archive"), &InitOptions::default()).unwrap();
    let broken = dir.path().join("broken");
    std::fs::create_dir_all(broken.join("Content")).unwrap();
    std::fs::write(broken.join("Content/a.txt"), MASTER).unwrap();
    std::fs::write(
        broken.join("manifest.xml"),
        "<?xml version=\"1.0\"?>\n<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.2\"><Date>",
    )
    .unwrap();
    let missing = dir.path().join("missing");
    std::fs::create_dir_all(missing.join("Content")).unwrap();
    std::fs::write(missing.join("Content/a.txt"), MASTER).unwrap();
    let mut operations = Vec::new();
    for sip in [&broken, &missing] {
        let r = a.ingest(sip, &IngestOptions::default()).unwrap();
        assert!(!r.report.outcome.is_accepted(), "{}", sip.display());
        let atr = &r.atr;
        assert_eq!(message_identifier(atr), r.operation_id, "{atr}");
        assert!(atr.contains("<ReplyCode>KO</ReplyCode>"), "{atr}");
        assert!(!atr.contains("<SystemId>"), "{atr}");
        if let Err(e) = xmllint(atr.as_bytes(), "2.1", dir.path()) {
            panic!("{}: ATR not valid: {e}\n{atr}", sip.display());
        }
        // The operation is the logbook's.
        assert!(
            a.operations()
                .unwrap()
                .iter()
                .any(|o| o.event.ev_id_proc == r.operation_id)
        );
        operations.push(r.operation_id.clone());
    }
    assert_ne!(operations[0], operations[1]);
    assert_eq!(a.counts().unwrap(), (0, 0));
}

/// `vas archive ingest DIR SIP --atr ATR.xml` and `vas ingest --archive DIR --atr ATR.xml SIP`
/// write the archive's ATR: valid, with the operation and the system ids of the catalog.
#[cfg(feature = "cli")]
#[test]
fn cli_writes_the_archive_atr() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("archive");
    let vas = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_vas"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    vas(&["archive".as_ref(), "init".as_ref(), arch.as_os_str()]);
    for (i, version) in ["2.2", "2.3"].into_iter().enumerate() {
        let sip = write_sip(dir.path(), version, true);
        let atr_path = dir.path().join(format!("atr-cli-{i}.xml"));
        if i == 0 {
            vas(&[
                "archive".as_ref(),
                "ingest".as_ref(),
                arch.as_os_str(),
                sip.as_os_str(),
                "--atr".as_ref(),
                atr_path.as_os_str(),
            ]);
        } else {
            vas(&[
                "ingest".as_ref(),
                "--archive".as_ref(),
                arch.as_os_str(),
                "--atr".as_ref(),
                atr_path.as_os_str(),
                sip.as_os_str(),
            ]);
        }
        let atr = std::fs::read_to_string(&atr_path).unwrap();
        assert!(atr.contains(&namespace(version)), "{atr}");
        if let Err(e) = xmllint(atr.as_bytes(), version, dir.path()) {
            panic!("{e}\n{atr}");
        }
        let ids = atr_ids(&atr);
        assert_eq!(ids.units.len(), 2, "{atr}");
        assert_eq!(ids.objects.len(), 3, "{atr}");
        // The operation is in the logbook and the units in the catalog.
        let a = Archive::open(&arch).unwrap();
        let op = message_identifier(&atr);
        assert!(a.operation(&op).is_ok(), "{op} not in the logbook");
        for sys in ids.units.values() {
            assert_eq!(a.get_unit(FULL_ACCESS, sys).unwrap()["#id"], sys.as_str());
        }
    }
}
