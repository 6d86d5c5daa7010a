//! Positions and the reader's fast paths (leaf text read in one step, indentation skipped,
//! end tags matched without the tokenizer, line numbers counted eight bytes at a time)
//! against independent oracles: a naive byte-by-byte scan of the source for every start
//! tag's line and column, and the generic event loop for the content of leaves.

mod seda_support;

use seda_support::*;
use vas_core::ErrorKind;
use vas_core::seda::{Document, Walk, Walkable};
use vas_core::xml::{Limits, Pos, XEvent, XmlReader};

/// Offsets of the start tags of `src`, found by a plain scan (comments, CDATA sections,
/// processing instructions and end tags skipped), with their line and column computed by
/// counting every byte before them.
fn naive_start_tags(src: &[u8]) -> Vec<Pos> {
    let find = |from: usize, pat: &[u8]| {
        src[from..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map_or(src.len(), |i| from + i + pat.len())
    };
    let mut out = Vec::new();
    let (mut line, mut line_start) = (1u32, 0usize);
    let mut counted = 0usize;
    let mut i = 0;
    while i < src.len() {
        if src[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &src[i..];
        if rest.starts_with(b"<!--") {
            i = find(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = find(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = find(i + 2, b"?>");
        } else if rest.starts_with(b"</") || rest.starts_with(b"<!") {
            i += 2;
        } else {
            for (k, &c) in src[counted..i].iter().enumerate() {
                if c == b'\n' {
                    line += 1;
                    line_start = counted + k + 1;
                }
            }
            counted = i;
            out.push(Pos {
                line,
                col: (i - line_start + 1) as u32,
            });
            i += 1;
        }
    }
    out
}

/// Start-tag positions reported by the reader, up to the end or the first error.
fn reader_start_tags(src: &[u8]) -> Vec<Pos> {
    let mut r = XmlReader::new(src, Limits::default());
    let mut v = Vec::new();
    while let Ok(ev) = r.next() {
        match ev {
            XEvent::Start(s) => v.push(s.pos),
            XEvent::Eof => break,
            _ => {}
        }
    }
    v
}

/// Positions of the typed elements of a parsed document, in document order.
fn model_positions(doc: &Document) -> Vec<Pos> {
    let mut v = Vec::new();
    doc.message.walk("ArchiveTransfer", &mut |w| {
        if let Walk::Enter { meta, .. } = w {
            v.push(meta.pos);
        }
    });
    v
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = sample_files()
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    // CRLF line ends, attributes over several lines, a multi-line comment and CDATA.
    let crlf = std::fs::read_to_string(fixture("seda/samples/ok-2.3.xml"))
        .unwrap()
        .replace('\n', "\r\n");
    v.push(("ok-2.3.xml with CRLF".into(), crlf.into_bytes()));
    v.push((
        "hand-written".into(),
        b"<?xml version='1.0'?>\n<!-- a\ncomment -->\n<ArchiveTransfer\n  xmlns='fr:gouv:culture:archivesdefrance:seda:v2.3'\n  id='x'>\n<Comment><![CDATA[a\n<b>]]></Comment><Comment>t\n\n</Comment\n><Date>2020</Date></ArchiveTransfer>\n"
            .to_vec(),
    ));
    v
}

#[test]
fn start_tag_positions_match_a_naive_count() {
    let mut checked = 0;
    for (name, src) in corpus() {
        let naive = naive_start_tags(&src);
        let got = reader_start_tags(&src);
        assert!(!got.is_empty(), "{name}: no start tag read");
        assert_eq!(got[..], naive[..got.len()], "{name}");
        checked += got.len();
        // The typed model keeps the position of every typed element: each one is the
        // position of a start tag, in document order.
        if let Ok(doc) = Document::from_slice(&src) {
            let model = model_positions(&doc);
            let mut it = naive.iter();
            for p in &model {
                assert!(
                    it.any(|q| q == p),
                    "{name}: model position {p:?} is not the next start tag"
                );
            }
        }
    }
    assert!(checked > 5_000, "only {checked} start tags checked");
}

/// Leaves in every form give the value the generic event loop gives (concatenated text
/// and CDATA, comments kept aside), and the model round-trips.
#[test]
fn leaf_forms_read_like_the_event_loop() {
    let ns = "fr:gouv:culture:archivesdefrance:seda:v2.3";
    let leaves = [
        "<Comment>plain</Comment>",
        "<Comment/>",
        "<Comment></Comment>",
        "<Comment >spaced</Comment >",
        "<Comment>a &amp; b &lt;c&gt; &#233;&#x41;</Comment>",
        "<Comment>line\r\nend\rcr</Comment>",
        "<Comment>a<!-- c -->b</Comment>",
        "<Comment>a<![CDATA[<x>]]>b</Comment>",
        "<Comment>x<?pi data?>y</Comment>",
        "<Comment xml:lang='fr'>attr</Comment>",
        "<Comment>  \n  </Comment>",
        "<s:Comment xmlns:s='fr:gouv:culture:archivesdefrance:seda:v2.3'>prefixed</s:Comment>",
    ];
    for leaf in leaves {
        let xml = format!(
            "<ArchiveTransfer xmlns='{ns}'>\n  {leaf}\n  <Date>2020</Date>\n</ArchiveTransfer>"
        );
        // The oracle: text and CDATA events of the generic reader, inside the leaf.
        let mut r = XmlReader::new(xml.as_bytes(), Limits::default());
        let mut depth = 0;
        let mut expected = String::new();
        loop {
            match r.next().unwrap() {
                XEvent::Start(_) => depth += 1,
                XEvent::End => {
                    depth -= 1;
                    if depth == 1 {
                        break;
                    }
                }
                XEvent::Text(t) | XEvent::CData(t) if depth == 2 => expected.push_str(&t),
                _ => {}
            }
        }
        let doc = Document::from_str(&xml).unwrap_or_else(|e| panic!("{leaf}: {e}"));
        assert_eq!(
            doc.message.text("Comment"),
            Some(expected.as_str()),
            "{leaf}"
        );
        assert_eq!(doc.message.text("Date"), Some("2020"), "{leaf}");
        let out = doc.to_string().unwrap();
        assert!(Document::from_str(&out).unwrap() == doc, "{leaf}:\n{out}");
    }
}

/// Errors met on the fast paths keep their kind, message and position.
#[test]
fn fast_path_errors_keep_line_and_column() {
    let ns = "fr:gouv:culture:archivesdefrance:seda:v2.3";
    for (body, msg, line, col) in [
        ("<Comment>a &bogus; b</Comment>", "undefined entity", 3, 14),
        ("<Comment>a & b</Comment>", "'&'", 3, 14),
        ("<Comment>x</Commentt>", "expected `</Comment>`", 3, 13),
        ("<Comment>x</Date>", "expected `</Comment>`", 3, 13),
        (
            "<Comment>x<Date>2020</Date></Comment>",
            "unexpected element <Date>",
            3,
            13,
        ),
    ] {
        let xml = format!(
            "<ArchiveTransfer xmlns='{ns}'>\n  <Date>2020</Date>\n  {body}\n</ArchiveTransfer>"
        );
        let e = Document::from_str(&xml).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Xml, "{body}: {e}");
        assert!(e.message().contains(msg), "{body}: {e}");
        let c = e.context();
        assert_eq!((c.line, c.column), (Some(line), Some(col)), "{body}: {e}");
    }
}
