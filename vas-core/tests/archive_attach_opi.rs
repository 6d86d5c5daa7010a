//! `CHECK_ATTACHEMENT` through the real archive: a SIP may attach only to units created
//! by an ingest the operation logbook holds as finished OK or WARNING (the catalog's
//! `#opi` joined to the logbook by `CatalogUnits::initial_operation`).
#![cfg(feature = "cli")]

use std::path::Path;

use serde_json::json;
use vas_core::archive::{Archive, FULL_ACCESS, IngestOptions, InitOptions};
use vas_core::catalog::{Catalog, IndexBatch, UnitRecord};
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

fn write_sip(path: &Path, units: &str) {
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
 <Date>2024-01-01T00:00:00</Date><MessageIdentifier>OPI-1</MessageIdentifier>
 <ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>
 <DescriptiveMetadata>{units}</DescriptiveMetadata>
 <ManagementMetadata><OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier></ManagementMetadata>
 </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
 <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.finish().unwrap();
}

fn plain(title: &str) -> String {
    format!(
        r#"<ArchiveUnit id="U"><Content><DescriptionLevel>Item</DescriptionLevel><Title>{title}</Title></Content></ArchiveUnit>"#
    )
}

fn attaching(to: &str) -> String {
    format!(
        r#"<ArchiveUnit id="E"><Management><UpdateOperation><SystemId>{to}</SystemId></UpdateOperation></Management><Content><DescriptionLevel>Item</DescriptionLevel><Title>Existing</Title></Content><ArchiveUnit id="N"><Content><DescriptionLevel>Item</DescriptionLevel><Title>New</Title></Content></ArchiveUnit></ArchiveUnit>"#
    )
}

/// The outDetail of the `CHECK_ATTACHEMENT` action of an ingest of a SIP attaching to `to`.
fn attach(a: &Archive, dir: &Path, to: &str) -> (bool, Vec<String>) {
    let sip = dir.join(format!("attach-{to}.zip"));
    write_sip(&sip, &attaching(to));
    let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
    let details: Vec<String> = r
        .report
        .out_details()
        .into_iter()
        .filter(|d| d.starts_with("CHECK_ATTACHEMENT"))
        .map(str::to_string)
        .collect();
    (r.report.outcome.is_accepted(), details)
}

#[test]
fn attaching_to_a_unit_of_a_ko_or_unfinished_operation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::create(dir.path().join("archive"), &InitOptions::default()).unwrap();
    // An accepted ingest: attaching to its unit is fine.
    let sip = dir.path().join("base.zip");
    write_sip(&sip, &plain("Base"));
    let base = a.ingest(&sip, &IngestOptions::default()).unwrap();
    assert!(base.report.outcome.is_accepted());
    let base_unit = base.system_ids["U"].clone();
    assert_eq!(
        attach(&a, dir.path(), &base_unit),
        (true, vec!["CHECK_ATTACHEMENT.OK".to_string()])
    );
    // A refused ingest (not XSD-valid): in the logbook as KO, nothing in the catalog.
    let bad = dir.path().join("bad.zip");
    write_sip(&bad, "<ArchiveUnit id=\"U\"><Content/></ArchiveUnit>");
    let ko = a.ingest(&bad, &IngestOptions::default()).unwrap();
    assert!(!ko.report.outcome.is_accepted());
    assert_eq!(a.operation(&ko.operation_id).unwrap().event.outcome, "KO");
    // Units whose #opi is that KO operation, or an operation the logbook never recorded
    // (an ingest that never finished), put in the catalog behind the archive's back.
    let from_ko = "aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq";
    let unfinished = "aeaqaaaaaagbcaacaang6ak4ts6paliaabaq";
    {
        let cat = Catalog::open(dir.path().join("archive/catalog.sqlite")).unwrap();
        let mut u = UnitRecord::new(from_ko, 0);
        u.operation_id = Some(ko.operation_id.clone());
        u.metadata.insert("Title".into(), json!("FromKo"));
        let mut v = UnitRecord::new(unfinished, 0);
        v.operation_id = Some("aeeaaaaaaagbcaacaang6ak4ts6paliaaaaq".into());
        v.metadata.insert("Title".into(), json!("Unfinished"));
        cat.index(&IndexBatch {
            units: vec![u, v],
            ..Default::default()
        })
        .unwrap();
    }
    assert_eq!(
        attach(&a, dir.path(), from_ko),
        (false, vec!["CHECK_ATTACHEMENT.KO".to_string()])
    );
    assert_eq!(
        attach(&a, dir.path(), unfinished),
        (false, vec!["CHECK_ATTACHEMENT.KO".to_string()])
    );
    // Nothing was attached below them; the accepted attachment is there.
    let r = a
        .search(FULL_ACCESS, &json!({"$query": {"$eq": {"Title": "New"}}}))
        .unwrap();
    assert_eq!(r["$hits"]["total"], 1);
    assert_eq!(r["$results"][0]["#unitups"], json!([base_unit]));
}
