//! Differential test of the built-in datatypes: every XSD 1.0 built-in type used by
//! the SEDA schemas (and the other common ones) against a corpus of tricky lexical
//! values, vas vs `xmllint --schema` (libxml2), one document per (type, value).

use std::collections::BTreeSet;
use std::process::Command;

use vas_core::schema::SchemaSet;

mod datatype_support;
use datatype_support::{TYPES, Tally, VALUES};

/// Whether xmllint runs; without it the tests fail unless `VAS_ALLOW_NO_XMLLINT=1`.
fn xmllint_available() -> bool {
    if Command::new("xmllint").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("VAS_ALLOW_NO_XMLLINT").is_some(),
        "xmllint is required (scripts/setup installs it); set VAS_ALLOW_NO_XMLLINT=1 to skip"
    );
    false
}

/// The lines xmllint reports an error on in document `path`, from its `stderr`.
fn xmllint_error_lines(stderr: &str, path: &std::path::Path) -> BTreeSet<u64> {
    let prefix = format!("{}:", path.display());
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|l| l.split(':').next()?.trim().parse().ok())
        .collect()
}

#[test]
fn builtin_datatypes_agree_with_xmllint() {
    if !xmllint_available() {
        return;
    }
    // One document per type, one value per line: libxml2 reports every invalid value
    // with its line, and so does vas.
    let mut xsd = String::from(r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">"#);
    for t in TYPES {
        xsd.push_str(&format!(
            r#"<xs:element name="r_{t}"><xs:complexType><xs:sequence><xs:element name="v" type="xs:{t}" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>"#
        ));
    }
    xsd.push_str("</xs:schema>");
    let tmp = tempfile::tempdir().expect("tmp");
    let xsd_path = tmp.path().join("types.xsd");
    std::fs::write(&xsd_path, &xsd).expect("write");
    let set = SchemaSet::builder()
        .add_str("types.xsd", &xsd)
        .build()
        .expect("compile");
    let mut docs = Vec::new();
    for (ti, t) in TYPES.iter().enumerate() {
        let mut doc = format!("<r_{t}>\n");
        for v in VALUES {
            let esc = v.replace('&', "&amp;").replace('<', "&lt;");
            doc.push_str(&format!("<v>{esc}</v>\n"));
        }
        doc.push_str(&format!("</r_{t}>\n"));
        let p = tmp.path().join(format!("t{ti}.xml"));
        std::fs::write(&p, &doc).expect("write");
        docs.push((t, p, doc));
    }
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(&xsd_path)
        .args(docs.iter().map(|d| &d.1))
        .output()
        .expect("xmllint");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut tally = Tally::default();
    for (t, p, doc) in &docs {
        let lint_lines = xmllint_error_lines(&stderr, p);
        let r = set.validate_bytes(doc.as_bytes());
        let vas_lines: BTreeSet<u64> = r.findings.iter().map(|f| f.line).collect();
        for (i, v) in VALUES.iter().enumerate() {
            let line = i as u64 + 2;
            let lint_ok = !lint_lines.contains(&line);
            let vas_ok = !vas_lines.contains(&line);
            tally.add(lint_ok, vas_ok, || {
                let msg = r
                    .findings
                    .iter()
                    .find(|f| f.line == line)
                    .map(|f| f.message.clone());
                format!("xs:{t} {v:?}: xmllint {lint_ok} vas {vas_ok} {msg:?}")
            });
        }
    }
    tally.check("datatype cases", "xmllint", 1000, 500, None);
}

/// Every character of the BMP (those XML allows in content), alone as an `xs:NCName`
/// (a name start character) and as an `xs:NMTOKEN` (a name character), as the second
/// character of an `xs:ID`, and alone against the patterns `\i` and `\c`: vas and
/// libxml2 agree on each. XSD 1.0 takes its name
/// characters from XML 1.0 Second Edition (Appendix B), as libxml2's and Xerces's schema
/// validators do, not from the Fifth Edition the parser uses (U+0372, U+FEFF, CJK
/// extension A and everything beyond the BMP are name characters only there).
#[test]
fn name_characters_of_the_whole_bmp_agree_with_xmllint() {
    if !xmllint_available() {
        return;
    }
    use vas_core::schema::ValidationOptions;
    // The built-in types, and the pattern escapes `\i` and `\c` (XSD 1.0 Part 2, F.3.2).
    let types = ["NCName", "NMTOKEN", "ID", "i", "c"];
    let mut xsd = String::from(r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">"#);
    for t in types {
        let ty = match t {
            "i" | "c" => format!(
                r#"<xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="\{t}"/></xs:restriction></xs:simpleType>"#
            ),
            _ => String::new(),
        };
        let attr = if ty.is_empty() {
            format!(r#" type="xs:{t}""#)
        } else {
            String::new()
        };
        xsd.push_str(&format!(
            r#"<xs:element name="r_{t}"><xs:complexType><xs:sequence><xs:element name="v"{attr} maxOccurs="unbounded">{ty}</xs:element></xs:sequence></xs:complexType></xs:element>"#
        ));
    }
    xsd.push_str("</xs:schema>");
    let tmp = tempfile::tempdir().expect("tmp");
    let xsd_path = tmp.path().join("names.xsd");
    std::fs::write(&xsd_path, &xsd).expect("write");
    let set = SchemaSet::builder()
        .add_str("names.xsd", &xsd)
        .build()
        .expect("compile");
    // XML Char in the BMP, minus markup and whitespace (collapsed away by the types). Inside
    // the three large uniform blocks (CJK ideographs and Hangul syllables: letters in both
    // editions; private use: in neither) only every 61st character, to keep xmllint's time
    // (≈ 0.1 ms per refused value) down.
    let uniform = |c: u32| {
        [(0x4E00, 0x9FA5), (0xAC00, 0xD7A3), (0xE000, 0xF8FF)]
            .iter()
            .any(|&(a, b)| c > a + 1 && c + 1 < b && !(c - a).is_multiple_of(61))
    };
    let chars: Vec<char> = (0x21..=0xFFFDu32)
        .filter(|&c| !(0xD800..=0xDFFF).contains(&c) && !uniform(c))
        .filter_map(char::from_u32)
        .filter(|c| !matches!(c, '<' | '&'))
        .collect();
    let opts = ValidationOptions {
        max_findings: usize::MAX,
        ..ValidationOptions::default()
    };
    // One document per type; the xmllint runs go in parallel (each writes its own file).
    let mut runs = Vec::new();
    for t in types {
        // IDs must be unique: the prefix `_` makes `_X` the value and keeps it unique.
        let value = |c: char| {
            if t == "ID" {
                format!("_{c}")
            } else {
                c.to_string()
            }
        };
        let mut doc = format!("<r_{t}>\n");
        for &c in &chars {
            doc.push_str(&format!("<v>{}</v>\n", value(c)));
        }
        doc.push_str(&format!("</r_{t}>\n"));
        let p = tmp.path().join(format!("{t}.xml"));
        std::fs::write(&p, &doc).expect("write");
        let log = tmp.path().join(format!("{t}.log"));
        let child = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&xsd_path)
            .arg(&p)
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("xmllint");
        runs.push((t, doc, p, log, child));
    }
    let mut tally = Tally::default();
    for (t, doc, p, log, mut child) in runs {
        let r = set.validate_reader(doc.as_bytes(), &opts);
        assert!(r.complete && !r.truncated);
        let vas_lines: BTreeSet<u64> = r.findings.iter().map(|f| f.line).collect();
        child.wait().expect("xmllint");
        let stderr = std::fs::read_to_string(&log).expect("log");
        let lint_lines = xmllint_error_lines(&stderr, &p);
        for (i, &c) in chars.iter().enumerate() {
            let line = i as u64 + 2;
            let lint_ok = !lint_lines.contains(&line);
            tally.add(lint_ok, !vas_lines.contains(&line), || {
                format!("xs:{t} U+{:04X}: xmllint {lint_ok}", c as u32)
            });
        }
    }
    tally.check("name characters", "xmllint", 40_000, 10_000, None);
}
