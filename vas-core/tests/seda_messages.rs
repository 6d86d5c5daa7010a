//! Other message types: Vitam ATRs (ArchiveTransferReply) and DIP manifests
//! (ArchiveDeliveryRequestReply) parse, expose their header and round-trip.

mod seda_support;

use seda_support::*;
use vas_core::seda::{Document, MessageKind, SedaVersion};

fn check_xmllint_agrees(version: &str, input: &str, output: &str) {
    if !xmllint_available() {
        eprintln!("!!!!!!!! xmllint NOT FOUND: skipping !!!!!!!!");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("in.xml");
    let b = tmp.path().join("out.xml");
    std::fs::write(&a, input).unwrap();
    std::fs::write(&b, output).unwrap();
    let v = xmllint_validate(version, &[a, b]);
    assert_eq!(v[0], v[1], "xmllint verdicts differ");
}

#[test]
fn vitam_atrs_parse_and_roundtrip() {
    for (name, code) in [
        ("sedaArchiveTransferReply.xml", "OK"),
        ("sedaArchiveTransferReplyKO.xml", "KO"),
        ("ATR_KO_DEFAULT.xml", "#OUTCOME#"), // a template with placeholders
    ] {
        let src = std::fs::read_to_string(fixture(&format!("vitam/examples/{name}"))).unwrap();
        let d = Document::from_str(&src).unwrap();
        assert_eq!(d.kind, MessageKind::ArchiveTransferReply, "{name}");
        assert_eq!(d.version, SedaVersion::V2_1);
        assert_eq!(d.message.reply_code(), Some(code), "{name}");
        assert!(d.message.message_request_identifier().is_some(), "{name}");
        assert!(!d.message.operation_events().is_empty() || name == "sedaArchiveTransferReply.xml");
        let out = d.to_string().unwrap();
        assert_eq!(Document::from_str(&out).unwrap(), d, "{name}");
        if let Some(loc) = d.message.meta.attr("xsi:schemaLocation") {
            assert!(
                out.contains(&format!("xsi:schemaLocation=\"{loc}\"")),
                "{name}"
            );
        }
        check_xmllint_agrees("2.1", &src, &out);
    }
    let d = Document::from_file(fixture("vitam/examples/sedaArchiveTransferReply.xml")).unwrap();
    let s = d.stats();
    assert!(s.groups > 0 && s.units > 0, "{s:?}");
    assert!(
        d.check_references().is_empty(),
        "{:?}",
        d.check_references()
    );
}

#[test]
fn dip_manifest_parses_and_roundtrips() {
    let src = r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveDeliveryRequestReply xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2" xmlns:xlink="http://www.w3.org/1999/xlink">
  <Date>2024-03-01T12:00:00</Date>
  <MessageIdentifier>DIP-1</MessageIdentifier>
  <CodeListVersions/>
  <DataObjectPackage>
    <DataObjectGroup id="G1">
      <BinaryDataObject id="B1">
        <DataObjectSystemId>aeaaaa</DataObjectSystemId>
        <DataObjectVersion>BinaryMaster_1</DataObjectVersion>
        <Uri>Content/aeaaaa.pdf</Uri>
        <MessageDigest algorithm="SHA-512">00ff</MessageDigest>
        <Size>2</Size>
      </BinaryDataObject>
    </DataObjectGroup>
    <DescriptiveMetadata>
      <ArchiveUnit id="U1">
        <Management><HoldRule><Rule>HOL-1</Rule><StartDate>2020-01-01</StartDate><HoldReason>litige</HoldReason></HoldRule></Management>
        <Content><DescriptionLevel>Item</DescriptionLevel><Title>Pièce</Title><SystemId>aeaqaa</SystemId><TextContent>full text</TextContent></Content>
        <DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>
      </ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>OA</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage>
  <ReplyCode>OK</ReplyCode>
  <MessageRequestIdentifier>REQ-1</MessageRequestIdentifier>
  <UnitIdentifier>aeaqaa</UnitIdentifier>
  <ArchivalAgency><Identifier>AG</Identifier></ArchivalAgency>
  <Requester><Identifier>REQ</Identifier></Requester>
</ArchiveDeliveryRequestReply>
"#;
    let d = Document::from_str(src).unwrap();
    assert_eq!(d.kind, MessageKind::ArchiveDeliveryRequestReply);
    assert_eq!(d.version, SedaVersion::V2_2);
    assert_eq!(d.message.unit_identifiers(), vec!["aeaqaa"]);
    assert_eq!(d.message.agency("Requester"), Some("REQ"));
    assert_eq!(d.message.reply_code(), Some("OK"));
    assert_eq!(d.stats().binary_objects, 1);
    assert!(d.check_references().is_empty());
    let out = d.to_string().unwrap();
    assert_eq!(Document::from_str(&out).unwrap(), d);
    check_xmllint_agrees("2.2", src, &out);
    if xmllint_available() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("dip.xml");
        std::fs::write(&p, &out).unwrap();
        assert_eq!(xmllint_validate("2.2", &[p]), vec![true], "{out}");
    }
}

#[test]
fn every_message_kind_parses_header_and_units() {
    for k in MessageKind::ALL {
        let xml = format!(
            "<{k} xmlns='fr:gouv:culture:archivesdefrance:seda:v2.3'><Comment>c</Comment><Date>2024-01-01T00:00:00</Date><MessageIdentifier>X-{k}</MessageIdentifier><UnitIdentifier>u1</UnitIdentifier><UnitIdentifier>u2</UnitIdentifier><ArchivalAgency><Identifier>AG</Identifier></ArchivalAgency></{k}>"
        );
        let d = Document::from_str(&xml).unwrap();
        assert_eq!(d.kind, *k);
        assert_eq!(
            d.message.message_identifier(),
            Some(format!("X-{k}").as_str())
        );
        assert_eq!(d.message.unit_identifiers(), vec!["u1", "u2"]);
        assert_eq!(d.message.archival_agency(), Some("AG"));
        let out = d.to_string().unwrap();
        assert!(out.contains(&format!("<{k} ")));
        assert_eq!(Document::from_str(&out).unwrap(), d);
    }
}
