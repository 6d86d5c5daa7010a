//! The `CHECK_SEDA` pre-pass of the dry run: is the manifest well-formed XML, and what is the
//! namespace of its root element?
//!
//! [`crate::sip::scan_manifest`] answers both but also extracts every declared object, header
//! field and text (allocating for each), which the dry run does not use: its checks read the
//! compact tree of `tree.rs`. This pass runs the same quick-xml reader with the same
//! settings and refuses exactly what `scan_manifest` refuses, with the same messages and
//! positions (DTDs, unknown entities, a missing root, a document ending inside an element,
//! every quick-xml error), so that `CHECK_SEDA.NOT_XML_FILE` and the report's `evDetData`
//! do not change; the tests check it against `scan_manifest` as the oracle.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::error::{Error, ErrorKind, Result};

fn line_col(bytes: &[u8], pos: u64) -> (u64, u64) {
    let pos = (pos as usize).min(bytes.len());
    let before = &bytes[..pos];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let col = match memchr::memrchr(b'\n', before) {
        Some(i) => (before.len() - i) as u64,
        None => before.len() as u64 + 1,
    };
    (line, col)
}

/// Checks that `bytes` is well-formed XML as [`crate::sip::scan_manifest`] does, and returns
/// the `xmlns` of the root element (`None` when it has none).
pub(crate) fn root_namespace(bytes: &[u8]) -> Result<Option<String>> {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    // Local names of the open elements (for the message of a truncated document).
    let mut stack: Vec<String> = Vec::new();
    // Whether the last element met at the root level has a (non-empty) local name.
    let mut root_seen = false;
    let mut namespace = None;
    let xml_err = |msg: String, pos: u64| {
        let (l, c) = line_col(bytes, pos);
        Error::new(ErrorKind::Xml, msg)
            .at(l, c)
            .with_code("CHECK_SEDA.NOT_XML_FILE.KO")
    };
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_err(format!("manifest is not well-formed XML: {e}"), pos))?;
        let is_start = matches!(ev, Event::Start(_));
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    root_seen = !name.is_empty();
                    for a in e.attributes().flatten() {
                        if a.key.as_ref() == "xmlns" {
                            namespace = Some(
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .map(|v| v.into_owned())
                                    .unwrap_or_default(),
                            );
                        }
                    }
                }
                if is_start {
                    stack.push(name);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let known = matches!(name.as_ref(), "amp" | "lt" | "gt" | "quot" | "apos")
                    || r.resolve_char_ref().ok().flatten().is_some();
                if !known {
                    return Err(xml_err(format!("unknown entity &{name};"), pos));
                }
            }
            Event::DocType(_) => {
                return Err(xml_err("DTDs are refused in manifests".into(), pos));
            }
            // The pop happens either way; an end tag with nothing open ends the scan.
            Event::End(_) if stack.pop().is_none() => break,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err(xml_err("manifest has no root element".into(), 0));
    }
    if !stack.is_empty() {
        return Err(xml_err(
            format!("manifest ends inside <{}>", stack.join("/")),
            bytes.len() as u64,
        ));
    }
    Ok(namespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::scan_manifest;

    /// The oracle: `scan_manifest`'s verdict, message, code and position.
    fn same_as_scan(x: &[u8]) {
        let got = root_namespace(x);
        let want = scan_manifest(x);
        match (got, want) {
            (Ok(ns), Ok(s)) => assert_eq!(ns, s.namespace, "{}", String::from_utf8_lossy(x)),
            (Err(a), Err(b)) => {
                assert_eq!(
                    a.to_string(),
                    b.to_string(),
                    "{}",
                    String::from_utf8_lossy(x)
                );
                assert_eq!(a.kind(), b.kind());
                assert_eq!(a.context().code, b.context().code);
            }
            (a, b) => panic!(
                "{}: root_namespace {:?}, scan_manifest {:?}",
                String::from_utf8_lossy(x),
                a.map(|_| ()),
                b.map(|_| ())
            ),
        }
    }

    #[test]
    fn agrees_with_scan_manifest() {
        let good = br#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1" xmlns:x="urn:x">
  <Comment>a &amp; b &#33; &#x21; <![CDATA[<c>]]></Comment>
  <x:e a="&lt;1&gt;"/>
  <DataObjectPackage><BinaryDataObject id="B1"><Uri>Content/a.txt</Uri></BinaryDataObject></DataObjectPackage>
</ArchiveTransfer>
"#;
        let cases: Vec<&[u8]> = vec![
            good,
            b"",
            b"   ",
            b"<a>",
            b"<a><b></a>",
            b"<a></a></b>",
            b"<a/>",
            b"<a/><b xmlns='urn:second'/>",
            b"<a xmlns='urn:a'/>",
            b"<s:a xmlns:s='urn:a'/>",
            b"<a xmlns='urn:&amp;x'>t</a>",
            b"<a>&nope;</a>",
            b"<a>&#0;</a>",
            b"<a>&#xZZ;</a>",
            b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
            b"<a><b><c>text",
            b"<a attr=noquote/>",
            b"<a b='1' b='2'/>",
            b"<?xml version='1.0'?>\n<!-- c -->\n<a>\n<b>\n</a>",
            b"\xff\xfe<a/>",
            b"<a>\n<b x='1'>\n</c>\n</a>",
            b"text only",
            b"<a></a>trailing",
        ];
        for c in cases {
            same_as_scan(c);
        }
    }

    /// Every truncation and a byte flipped at every position of a real manifest: the same
    /// verdict and message as `scan_manifest`.
    #[test]
    fn agrees_with_scan_manifest_on_damaged_manifests() {
        let x = br#"<?xml version="1.0"?><ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2"><Comment>x &amp; y</Comment><DataObjectPackage><DataObjectGroup id="G"><BinaryDataObject id="B"><MessageDigest algorithm="SHA-512">ab</MessageDigest></BinaryDataObject></DataObjectGroup></DataObjectPackage></ArchiveTransfer>"#;
        for n in 0..=x.len() {
            same_as_scan(&x[..n]);
        }
        for i in 0..x.len() {
            for b in [b'<', b'>', b'&', b'/', b'"', b'\n', b'!', 0u8] {
                let mut y = x.to_vec();
                y[i] = b;
                same_as_scan(&y);
            }
        }
    }
}
