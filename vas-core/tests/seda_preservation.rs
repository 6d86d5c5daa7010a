//! What a round-trip must keep: comments/PIs at position, prefixes, namespace declarations,
//! xsi:schemaLocation, lexical dates, digest case, attributes, unknown elements, unit forms.

mod seda_support;

use seda_support::*;
use vas_core::seda::{ArchiveUnitItem, ContentItem, Document, ManagementItem, SedaVersion};
use vas_core::xml::Misc;

const NS: &str = "fr:gouv:culture:archivesdefrance:seda:v2.3";

fn wrap(units: &str, prefix: &str) -> String {
    let p = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}:")
    };
    let decl = if prefix.is_empty() {
        format!("xmlns=\"{NS}\"")
    } else {
        format!("xmlns:{prefix}=\"{NS}\"")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- before root --><?app go?>
<{p}ArchiveTransfer {decl} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{NS} seda-2.3-main.xsd">
  <{p}Date>2024-01-01T00:00:00</{p}Date>
  <{p}MessageIdentifier>M1</{p}MessageIdentifier>
  <{p}CodeListVersions/>
  <{p}DataObjectPackage>
    <{p}DataObjectGroup id="G1">
      <{p}BinaryDataObject id="B1">
        <{p}DataObjectVersion>BinaryMaster_1</{p}DataObjectVersion>
        <{p}Uri>content/a.pdf</{p}Uri>
        <{p}MessageDigest algorithm="SHA-256">ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789</{p}MessageDigest>
        <{p}Size>12</{p}Size>
      </{p}BinaryDataObject>
    </{p}DataObjectGroup>
    <{p}DescriptiveMetadata>{units}</{p}DescriptiveMetadata>
    <{p}ManagementMetadata/>
  </{p}DataObjectPackage>
  <{p}ArchivalAgency><{p}Identifier schemeID="SIREN" schemeAgencyName="INSEE">AG</{p}Identifier></{p}ArchivalAgency>
  <{p}TransferringAgency><{p}Identifier>TA</{p}Identifier></{p}TransferringAgency>
</{p}ArchiveTransfer>
<!-- after root -->
"#
    )
}

fn rt(xml: &str) -> (Document, String) {
    let doc = Document::from_str(xml).unwrap();
    let out = doc.to_string().unwrap();
    let again = Document::from_str(&out).unwrap();
    assert_eq!(again, doc, "model changed:\n{out}");
    (doc, out)
}

fn in_order(hay: &str, needles: &[&str]) {
    let mut at = 0;
    for n in needles {
        let i = hay[at..]
            .find(n)
            .unwrap_or_else(|| panic!("`{n}` missing or out of order in\n{hay}"));
        at += i + n.len();
    }
}

const UNITS: &str = r#"
<ArchiveUnit id="AU1">
  <Management>
    <AccessRule><Rule>ACC-1</Rule><StartDate>2020-01-01</StartDate><Rule id="r2">ACC-2</Rule><Rule>ACC-3</Rule><StartDate>2021-02-03</StartDate></AccessRule>
    <?mgmt pi?>
    <UpdateOperation><SystemId>GUID-1</SystemId></UpdateOperation>
  </Management>
  <Content>
    <DescriptionLevel>File</DescriptionLevel>
    <Title xml:lang="fr">Titre</Title>
    <!-- between titles -->
    <Title xml:lang="en">Title &amp; &lt;more&gt;</Title>
    <Description>  spaced
  text  </Description>
    <Keyword id="k1"><KeywordContent>x</KeywordContent><KeywordType listVersionID="edition 2009">subject</KeywordType></Keyword>
    <StartDate>2019</StartDate>
    <EndDate>2019-05</EndDate>
    <CreatedDate>2019-05-02+01:00</CreatedDate>
    <ReceivedDate>2019-05-02T10:11:12.345Z</ReceivedDate>
    <SentDate>2019-05-02T10:11:12</SentDate>
    <ext:Custom xmlns:ext="urn:ext" a="1"><ext:v>kept</ext:v></ext:Custom>
  </Content>
  <DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>
  <ArchiveUnit id="AU2"><Content><Title>child</Title></Content></ArchiveUnit>
</ArchiveUnit>"#;

#[test]
fn comments_pis_and_unknown_elements_stay_in_place() {
    let (doc, out) = rt(&wrap(UNITS, ""));
    assert_eq!(
        doc.prolog,
        vec![
            Misc::Comment(" before root ".into()),
            Misc::Pi("app go".into())
        ]
    );
    assert_eq!(doc.epilog, vec![Misc::Comment(" after root ".into())]);
    in_order(
        &out,
        &[
            "<!-- before root -->",
            "<?app go?>",
            "<ArchiveTransfer",
            "<AccessRule>",
            "</AccessRule>",
            "<?mgmt pi?>",
            "<UpdateOperation>",
            "<SystemId>GUID-1</SystemId>",
            "</Management>",
            "<Title xml:lang=\"fr\">Titre</Title>",
            "<!-- between titles -->",
            "<Title xml:lang=\"en\">Title &amp; &lt;more&gt;</Title>",
            "<ext:Custom xmlns:ext=\"urn:ext\" a=\"1\"><ext:v>kept</ext:v></ext:Custom>",
            "</Content>",
            "</ArchiveTransfer>",
            "<!-- after root -->",
        ],
    );
    let au = doc.package().unwrap().top_units()[0];
    let m = au.management().unwrap();
    assert!(matches!(&m.items[2], ManagementItem::Other(r) if r.local_name() == "UpdateOperation"));
    let c = au.content().unwrap();
    assert!(
        matches!(c.items.last(), Some(ContentItem::Other(r)) if r.namespace.as_deref() == Some("urn:ext"))
    );
    assert_eq!(c.titles()[1].as_str(), "Title & <more>");
}

#[test]
fn rules_are_positional_pairs() {
    let (doc, _) = rt(&wrap(UNITS, ""));
    let au = doc.package().unwrap().top_units()[0];
    let ManagementItem::AccessRule(g) = &au.management().unwrap().items[0] else {
        panic!()
    };
    let pairs: Vec<(String, Option<String>)> = g
        .rules()
        .iter()
        .map(|(r, d)| (r.value.to_string(), d.map(|d| d.value.to_string())))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("ACC-1".into(), Some("2020-01-01".into())),
            ("ACC-2".into(), None),
            ("ACC-3".into(), Some("2021-02-03".into())),
        ]
    );
    assert_eq!(g.rules()[1].0.attr("id"), Some("r2"));
}

#[test]
fn lexical_forms_digests_and_attributes_are_exact() {
    let (doc, out) = rt(&wrap(UNITS, ""));
    for s in [
        "<StartDate>2019</StartDate>",
        "<EndDate>2019-05</EndDate>",
        "<CreatedDate>2019-05-02+01:00</CreatedDate>",
        "<ReceivedDate>2019-05-02T10:11:12.345Z</ReceivedDate>",
        "<SentDate>2019-05-02T10:11:12</SentDate>",
        "<MessageDigest algorithm=\"SHA-256\">ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789</MessageDigest>",
        "<Identifier schemeID=\"SIREN\" schemeAgencyName=\"INSEE\">AG</Identifier>",
        "<KeywordType listVersionID=\"edition 2009\">subject</KeywordType>",
        "<Keyword id=\"k1\">",
        "<Description>  spaced\n  text  </Description>",
        "xsi:schemaLocation=\"fr:gouv:culture:archivesdefrance:seda:v2.3 seda-2.3-main.xsd\"",
    ] {
        assert!(out.contains(s), "missing {s:?} in\n{out}");
    }
    let c = doc.package().unwrap().top_units()[0].content().unwrap();
    assert_eq!(
        c.texts("StartDate").next().unwrap().as_date().unwrap().kind,
        vas_core::seda::DateKind::Year
    );
    let b = doc.package().unwrap().binary_objects()[0];
    assert_eq!(
        b.message_digest(),
        Some((
            "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789",
            Some("SHA-256")
        ))
    );
}

#[test]
fn prefixed_documents_keep_their_prefix() {
    let units = UNITS
        .replace('<', "<seda:")
        .replace("<seda:/", "</seda:")
        .replace("<seda:!--", "<!--")
        .replace("<seda:?", "<?")
        .replace("seda:ext:", "ext:")
        .replace("</seda:ext:", "</ext:");
    let xml = wrap(&units, "seda");
    let (doc, out) = rt(&xml);
    assert!(out.contains(
        "<seda:ArchiveTransfer xmlns:seda=\"fr:gouv:culture:archivesdefrance:seda:v2.3\""
    ));
    assert!(out.contains("<seda:Title xml:lang=\"fr\">Titre</seda:Title>"));
    assert!(!out.contains("<Title"), "unprefixed element in\n{out}");
    assert_eq!(doc.stats().units, 2);
    // Same model content as the unprefixed document apart from metadata.
    let plain = Document::from_str(&wrap(UNITS, "")).unwrap();
    assert_eq!(plain.stats(), doc.stats());
    // Valid per the XSD when the unprefixed form is (the unknown ext element is allowed? no: check both agree)
    if xmllint_available() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a.xml");
        let b = tmp.path().join("b.xml");
        std::fs::write(&a, &xml).unwrap();
        std::fs::write(&b, &out).unwrap();
        let v = xmllint_validate("2.3", &[a, b]);
        assert_eq!(v[0], v[1]);
    }
}

#[test]
fn mixed_prefixes_are_kept_per_element() {
    let xml = format!(
        r#"<s:ArchiveTransfer xmlns:s="{NS}"><s:Date>2024-01-01T00:00:00</s:Date><MessageIdentifier xmlns="{NS}">M</MessageIdentifier><s:CodeListVersions/><s:ArchivalAgency><s:Identifier>A</s:Identifier></s:ArchivalAgency><s:TransferringAgency><t:Identifier xmlns:t="{NS}">T</t:Identifier></s:TransferringAgency></s:ArchiveTransfer>"#
    );
    let (doc, out) = rt(&xml);
    assert_eq!(doc.message.message_identifier(), Some("M"));
    assert_eq!(doc.message.transferring_agency(), Some("T"));
    assert!(out.contains(&format!(
        "<MessageIdentifier xmlns=\"{NS}\">M</MessageIdentifier>"
    )));
    assert!(out.contains(&format!("<t:Identifier xmlns:t=\"{NS}\">T</t:Identifier>")));
}

#[test]
fn flat_and_nested_forms_are_kept_and_equivalent() {
    let flat = Document::from_file(fixture("seda/samples/SampleWithLinkFlatManifest.xml")).unwrap();
    let nested = Document::from_file(fixture(
        "seda/samples/SampleWithLinkHierarchicalManifest.xml",
    ))
    .unwrap();
    let fo = flat.to_string().unwrap();
    let no = nested.to_string().unwrap();
    assert_eq!(fo.matches("<ArchiveUnitRefId>").count(), 25);
    assert_eq!(no.matches("<ArchiveUnitRefId>").count(), 4);
    // Same DAG: compare edges as (parent title, child title) multisets.
    fn edges(d: &Document) -> Vec<(String, String)> {
        let g = d.unit_graph();
        let mut v = Vec::new();
        for i in 0..g.len() {
            for &c in g.children(i) {
                v.push((
                    g.unit(i).title().unwrap_or("").to_string(),
                    g.unit(c).title().unwrap_or("").to_string(),
                ));
            }
        }
        v.sort();
        v
    }
    assert_eq!(flat.stats().units, nested.stats().units);
    assert_eq!(flat.stats().roots, nested.stats().roots);
    assert_eq!(flat.stats().max_depth, nested.stats().max_depth);
    assert_eq!(edges(&flat), edges(&nested));
    assert!(flat.check_references().is_empty());
    assert!(nested.check_references().is_empty());
    // the flat form keeps every real unit at the top level
    let top = flat.package().unwrap().top_units();
    assert!(top.iter().all(|u| !u.is_reference()));
    assert!(top.iter().any(|u| {
        u.items
            .iter()
            .any(|i| matches!(i, ArchiveUnitItem::ArchiveUnit(c) if c.is_reference()))
    }));
}

#[test]
fn version_foreign_elements_are_kept_raw() {
    // sedatools' 2.1 samples use TextContent, a Vitam extension in 2.1: kept as raw, round-trips.
    let d = Document::from_file(fixture("seda/samples/SampleWithLinkFlatManifest.xml")).unwrap();
    assert_eq!(d.version, SedaVersion::V2_1);
    let has_raw_text_content = d.package().unwrap().top_units().iter().any(|u| {
        u.content()
            .is_some_and(|c| c.others().any(|r| r.local_name() == "TextContent"))
    });
    assert!(has_raw_text_content);
}

#[test]
fn comments_and_pis_inside_leaves_are_kept_at_their_offset() {
    let units = r#"<ArchiveUnit id="AU1"><Content>
    <DescriptionLevel><!-- lead -->Item</DescriptionLevel>
    <Title>a<!-- c -->b<?p x?>c&amp;d<!--end--></Title>
    <Description><!--only--></Description>
  </Content></ArchiveUnit>"#;
    let (doc, out) = rt(&wrap(units, ""));
    in_order(
        &out,
        &[
            "<DescriptionLevel><!-- lead -->Item</DescriptionLevel>",
            "<Title>a<!-- c -->b<?p x?>c&amp;d<!--end--></Title>",
            "<Description><!--only--></Description>",
        ],
    );
    let c = doc.package().unwrap().top_units()[0].content().unwrap();
    let t = &c.titles()[0];
    // The text is the character data alone; the comments sit at byte offsets in it.
    assert_eq!(t.as_str(), "abc&d");
    assert_eq!(
        t.meta.inner_misc(),
        &[
            (1, Misc::Comment(" c ".into())),
            (2, Misc::Pi("p x".into())),
            (5, Misc::Comment("end".into()))
        ]
    );
    // A model without the comments differs: they are part of equality.
    let plain = Document::from_str(&wrap(
        r#"<ArchiveUnit id="AU1"><Content><DescriptionLevel>Item</DescriptionLevel><Title>abc&amp;d</Title><Description/></Content></ArchiveUnit>"#,
        "",
    ))
    .unwrap();
    assert_ne!(doc, plain);
    // Still valid against the official XSD (comments are allowed anywhere).
    if xmllint_available() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("leaf-comments.xml");
        std::fs::write(&p, &out).unwrap();
        assert_eq!(xmllint_validate("2.3", &[p]), vec![true]);
    }
}

/// Found by fuzzing the parser (parse, write, parse again): a SEDA 2.1 document whose
/// `schemaLocation` or a secondary namespace declaration names another SEDA version was
/// written with them rewritten to 2.1, so reading the output back gave another document.
/// Written in its own version a document keeps them as read; written in another version
/// (a conversion) they are rewritten to the target.
#[test]
fn other_version_namespaces_are_kept_unless_converting() {
    let v21 = "fr:gouv:culture:archivesdefrance:seda:v2.1";
    let v22 = "fr:gouv:culture:archivesdefrance:seda:v2.2";
    let v23 = "fr:gouv:culture:archivesdefrance:seda:v2.3";
    let xml = format!(
        r#"<ArchiveTransferReply xmlns="{v21}" xmlns:old="{v22}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="{v22} seda-2.2-main.xsd"></ArchiveTransferReply>"#
    );
    let (doc, out) = rt(&xml);
    assert_eq!(doc.version, SedaVersion::V2_1);
    assert!(out.contains(&format!(r#"xmlns:old="{v22}""#)), "{out}");
    assert!(
        out.contains(&format!(r#"xsi:schemaLocation="{v22} seda-2.2-main.xsd""#)),
        "{out}"
    );
    // The fuzzer's own input: a carriage return before the attribute, no prefix, a
    // fragment of a file name.
    let fuzzed = format!(
        "<?x?>\n<ArchiveTransferReply xmlns=\"{v21}\"\rschemaLocation=\"{v22}sd\"></ArchiveTransferReply>"
    );
    let (_, out) = rt(&fuzzed);
    assert!(
        out.contains(&format!(r#"schemaLocation="{v22}sd""#)),
        "{out}"
    );
    // A conversion rewrites every SEDA namespace to the target's.
    let up = doc.to_string_as(SedaVersion::V2_3).unwrap();
    assert!(up.contains(&format!(r#"xmlns="{v23}""#)), "{up}");
    assert!(up.contains(&format!(r#"xmlns:old="{v23}""#)), "{up}");
    assert!(
        up.contains(&format!(r#"xsi:schemaLocation="{v23} seda-2.2-main.xsd""#)),
        "{up}"
    );
    assert!(!up.contains(v21) && !up.contains(v22), "{up}");
}
