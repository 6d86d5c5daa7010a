//! Hostile and broken input: never a panic, always a clear finding, bounded memory.

use std::io::{BufReader, Read};

use vas_core::schema::{FindingKind, RelaxNg, SchemaSet, SedaVersion, ValidationOptions};

fn set() -> &'static SchemaSet {
    SchemaSet::seda(SedaVersion::V2_3).expect("compile")
}

fn first_kind(xml: &[u8]) -> (FindingKind, String) {
    let r = set().validate_bytes(xml);
    assert!(!r.is_valid());
    let f = r.findings.last().expect("a finding").clone();
    (f.kind, f.message)
}

#[test]
fn malformed_xml_is_a_finding_with_a_position() {
    let cases: &[&[u8]] = &[
        b"",
        b"<a>",
        b"<a></b>",
        b"<a><b></a>",
        b"<a x='1' x='2'/>",
        b"<a/><b/>",
        b"text",
        b"<p:a/>",
        b"<a>&foo;</a>",
        b"<a>&#xFFFFFFFF;</a>",
        b"\xff\xfe<\x00a\x00/\x00>\x00",
        b"<a b='<'/>",
        b"<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
        b"<a>\n<b>caf\xe9</b>\n</a>",
        b"<a>\n<b x='caf\xe9'/>\n</a>",
        b"<a\xe9/>",
        b"<a>\n\n<b>\xff\xfe</b></a>",
    ];
    for c in cases {
        let r = set().validate_bytes(c);
        assert!(!r.is_valid(), "{:?}", String::from_utf8_lossy(c));
        let f = r.findings.last().expect("finding");
        assert!(f.line >= 1, "{f:?}");
        assert!(!f.message.is_empty());
    }
    let (k, m) = first_kind(b"<ArchiveTransfer xmlns='fr:gouv:culture:archivesdefrance:seda:v2.3'>\n  <Comment>x</Coment>");
    assert_eq!(k, FindingKind::Xml, "{m}");
}

#[test]
fn dtds_and_entities_are_refused_without_expansion() {
    let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3"><Comment>&lol3;</Comment></ArchiveTransfer>"#;
    let (k, m) = first_kind(bomb);
    assert_eq!(k, FindingKind::Unsafe);
    assert!(m.contains("DTD"), "{m}");
    let xxe = br#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#;
    assert_eq!(first_kind(xxe).0, FindingKind::Unsafe);
    // an undeclared entity without DTD is an XML error, not a fetch
    let (k, m) = first_kind(b"<a>&x;</a>");
    assert_eq!(k, FindingKind::Xml);
    assert!(m.contains("entity"), "{m}");
}

#[test]
fn ten_thousand_deep_nesting_is_refused_by_the_depth_limit() {
    let mut doc =
        String::from("<ArchiveTransfer xmlns='fr:gouv:culture:archivesdefrance:seda:v2.3'>");
    for _ in 0..10_000 {
        doc.push_str("<a>");
    }
    for _ in 0..10_000 {
        doc.push_str("</a>");
    }
    doc.push_str("</ArchiveTransfer>");
    let r = set().validate_bytes(doc.as_bytes());
    let f = r.findings.last().expect("finding");
    assert_eq!(f.kind, FindingKind::Limit, "{f:?}");
    assert!(f.message.contains("deeper than"), "{}", f.message);
    // RelaxNG goes through the same reader
    let rng = RelaxNg::from_str(
        r#"<element name="a" xmlns="http://relaxng.org/ns/structure/1.0"><text/></element>"#,
    )
    .expect("rng");
    let r = rng.validate_bytes(doc.as_bytes());
    assert_eq!(r.findings.last().expect("finding").kind, FindingKind::Limit);
}

/// A reader producing `<ArchiveTransfer ...><Comment>` + n bytes of text + the rest,
/// without ever holding the document in memory.
struct HugeText {
    head: Vec<u8>,
    remaining: u64,
    tail: Vec<u8>,
    pos: usize,
    stage: u8,
}

impl Read for HugeText {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.stage {
                0 => {
                    if self.pos < self.head.len() {
                        let n = buf.len().min(self.head.len() - self.pos);
                        buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
                        self.pos += n;
                        return Ok(n);
                    }
                    self.stage = 1;
                    self.pos = 0;
                }
                1 => {
                    if self.remaining > 0 {
                        let n = (buf.len() as u64).min(self.remaining) as usize;
                        buf[..n].fill(b'a');
                        self.remaining -= n as u64;
                        return Ok(n);
                    }
                    self.stage = 2;
                }
                2 => {
                    if self.pos < self.tail.len() {
                        let n = buf.len().min(self.tail.len() - self.pos);
                        buf[..n].copy_from_slice(&self.tail[self.pos..self.pos + n]);
                        self.pos += n;
                        return Ok(n);
                    }
                    return Ok(0);
                }
                _ => return Ok(0),
            }
        }
    }
}

#[test]
fn a_100_mb_text_node_stops_at_the_text_limit() {
    let src = HugeText {
        head: b"<ArchiveTransfer xmlns='fr:gouv:culture:archivesdefrance:seda:v2.3'><Comment>"
            .to_vec(),
        remaining: 100 << 20,
        tail: b"</Comment></ArchiveTransfer>".to_vec(),
        pos: 0,
        stage: 0,
    };
    let opts = ValidationOptions::default();
    let r = set().validate_reader(BufReader::new(src), &opts);
    let f = r.findings.last().expect("finding");
    assert_eq!(f.kind, FindingKind::Limit, "{f:?}");
    assert!(f.message.contains("limit"), "{}", f.message);
    assert!(!r.complete);
}

#[test]
fn findings_are_capped() {
    let mut doc = String::from(
        "<ArchiveTransfer xmlns='fr:gouv:culture:archivesdefrance:seda:v2.3'><Date>x</Date>",
    );
    for _ in 0..50 {
        doc.push_str("<Bogus/>");
    }
    doc.push_str("</ArchiveTransfer>");
    let opts = ValidationOptions {
        max_findings: 1,
        ..ValidationOptions::default()
    };
    let r = set().validate_reader(doc.as_bytes(), &opts);
    assert_eq!(r.findings.len(), 1);
    assert!(r.truncated);
    assert!(!r.is_valid());
}

#[test]
fn bad_schemas_are_errors_not_panics() {
    let cases = [
        "",
        "<notaschema/>",
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a" type="nope"/></xs:schema>"#,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:complexType name="t"><xs:complexContent><xs:extension base="t"/></xs:complexContent></xs:complexType></xs:schema>"#,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="[a"/></xs:restriction></xs:simpleType></xs:schema>"#,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="http://example.org/remote.xsd"/></xs:schema>"#,
        r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:group name="g"><xs:sequence><xs:group ref="g"/></xs:sequence></xs:group><xs:element name="a"><xs:complexType><xs:group ref="g"/></xs:complexType></xs:element></xs:schema>"#,
    ];
    for c in cases {
        let r = SchemaSet::builder().add_str("bad.xsd", c).build();
        assert!(r.is_err(), "{c}");
        assert!(
            !r.err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .is_empty()
        );
    }
    for c in [
        "",
        "<grammar xmlns='http://relaxng.org/ns/structure/1.0'/>",
        "<element xmlns='http://relaxng.org/ns/structure/1.0'/>",
        "<x/>",
    ] {
        assert!(RelaxNg::from_str(c).is_err(), "{c}");
    }
}

mod fuzz {
    use proptest::prelude::*;
    use vas_core::schema::{Mode, RelaxNg, SchemaSet, SedaVersion, ValidationOptions};

    const SAMPLE: &[u8] = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/seda/samples/ok-2.3.xml"
    ));
    const PROFILE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/profiles/vitam-checkProfil/Profil20.rng"
    ));

    fn mutate(base: &[u8], edits: &[(usize, usize, Vec<u8>)]) -> Vec<u8> {
        let mut v = base.to_vec();
        for (pos, del, ins) in edits {
            let p = pos % (v.len() + 1);
            let d = (*del).min(v.len() - p);
            v.splice(p..p + d, ins.iter().copied());
        }
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Byte-level damage never panics any validator; a finding always has a position.
        #[test]
        fn damaged_documents_never_panic(edits in prop::collection::vec(
            (0usize..20_000, 0usize..40, prop::collection::vec(prop_oneof![
                Just(b'<'), Just(b'>'), Just(b'&'), Just(b'/'), Just(b'"'), Just(b'\n'),
                Just(0xC3u8), Just(0xFFu8), Just(b'a'), Just(b':'), Just(b';'), Just(b'#'), Just(b'x'),
            ], 0..6)), 1..4)) {
            let doc = mutate(SAMPLE, &edits);
            let o = ValidationOptions::default();
            for m in [Mode::Strict, Mode::VitamLenient] {
                let r = SchemaSet::seda_mode(SedaVersion::V2_3, m).expect("compile").validate_reader(doc.as_slice(), &o);
                for f in &r.findings {
                    prop_assert!(f.line >= 1 && f.column >= 1, "{:?}", f);
                }
            }
            let rng = RelaxNg::from_str(PROFILE).expect("profile");
            let _ = rng.validate_reader(doc.as_slice(), &o);
        }

        /// Damaged schemas are errors or compile; never a panic.
        #[test]
        fn damaged_schemas_never_panic(edits in prop::collection::vec(
            (0usize..4_000, 0usize..30, prop::collection::vec(prop_oneof![
                Just(b'<'), Just(b'>'), Just(b'"'), Just(b'x'), Just(b':'), Just(b'['), Just(b'\\'),
            ], 0..4)), 1..3)) {
            let xsd = r###"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
              <xs:simpleType name="s"><xs:restriction base="xs:token"><xs:pattern value="[A-Z]{2}\d*"/></xs:restriction></xs:simpleType>
              <xs:element name="r"><xs:complexType><xs:sequence><xs:element name="a" type="s" maxOccurs="3"/>
              <xs:any namespace="##other" processContents="lax" minOccurs="0"/></xs:sequence>
              <xs:attribute name="id" type="xs:ID"/></xs:complexType></xs:element></xs:schema>"###;
            let text = String::from_utf8_lossy(&mutate(xsd.as_bytes(), &edits)).into_owned();
            if let Ok(set) = SchemaSet::builder().add_str("f.xsd", &text).build() {
                let _ = set.validate_bytes(b"<r id='a'><a>AB1</a></r>");
            }
            let rng = String::from_utf8_lossy(&mutate(PROFILE.as_bytes(), &edits)).into_owned();
            if let Ok(r) = RelaxNg::from_str(&rng) {
                let _ = r.validate_bytes(SAMPLE);
            }
        }
    }
}
