//! `rules::manifest_bytes` / `read_manifest_units` read a SIP through the hostile-safe
//! package reader: every container kind the SIP reader knows, the manifest only, and the
//! reader's refusals (path traversal, oversize manifest) apply to the rules input too.

use std::io::Write;

use vas_core::ErrorKind;
use vas_core::rules::{manifest_bytes, read_manifest_units};

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"><DataObjectPackage>
  <DescriptiveMetadata>
    <ArchiveUnit id="A"><Management><AppraisalRule><Rule>APP-1</Rule><StartDate>2000-01-01</StartDate>
      <FinalAction>Destroy</FinalAction></AppraisalRule></Management><Content><Title>Root</Title></Content>
      <ArchiveUnit id="B"><Content><Title>Child</Title></Content></ArchiveUnit>
    </ArchiveUnit>
  </DescriptiveMetadata>
  <ManagementMetadata><OriginatingAgencyIdentifier>AG</OriginatingAgencyIdentifier></ManagementMetadata>
</DataObjectPackage></ArchiveTransfer>
"#;

fn tar_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // set_path refuses `..`; write the raw name so hostile names can be built.
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_container_kind_yields_the_manifest_and_its_units() {
    let dir = tempfile::tempdir().unwrap();
    let entries: &[(&str, &[u8])] = &[
        ("manifest.xml", MANIFEST.as_bytes()),
        ("Content/a.txt", b"hello"),
    ];
    let cases = [
        ("sip.zip", zip_bytes(entries)),
        ("sip.tar", tar_bytes(entries)),
        ("sip.tar.gz", gz(&tar_bytes(entries))),
        ("manifest.xml", MANIFEST.as_bytes().to_vec()),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(manifest_bytes(&p).unwrap(), MANIFEST.as_bytes(), "{name}");
        let units = read_manifest_units(&p).unwrap();
        let ids: Vec<_> = units.units.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["A", "B"], "{name}");
        assert_eq!(units.originating_agency.as_deref(), Some("AG"), "{name}");
    }
}

#[test]
fn a_hostile_package_is_refused_by_the_rules_input_too() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("evil.tar");
    std::fs::write(
        &p,
        tar_bytes(&[
            ("manifest.xml", MANIFEST.as_bytes()),
            ("../../escape.txt", b"x"),
        ]),
    )
    .unwrap();
    let err = manifest_bytes(&p).unwrap_err();
    assert!(
        err.to_string().contains("escape.txt"),
        "the refusal names the entry: {err}"
    );
}

#[test]
fn a_package_without_manifest_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.zip");
    std::fs::write(&p, zip_bytes(&[("Content/a.txt", b"hello")])).unwrap();
    let err = manifest_bytes(&p).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
