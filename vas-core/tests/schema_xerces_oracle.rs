//! Vitam's datatypes: vas with [`Datatypes::Xerces`] (what [`Mode::VitamLenient`] uses)
//! against Xerces 2.12 in XSD 1.1 mode — the validator Vitam runs — through
//! `tests/oracles/XsdValidate.java`. Every built-in type of the shared corpus against
//! every value of the corpus plus the values where Xerces and libxml2 part ways; one
//! document per type, one value per line, verdicts compared line by line.
//!
//! The jars come from `scripts/setup.d/xerces.sh` (Maven); without them (or without
//! `java`) the test fails, unless `VAS_ALLOW_NO_XERCES=1`.
//!
//! [`Mode::VitamLenient`]: vas_core::schema::Mode::VitamLenient

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use vas_core::schema::{Datatypes, SchemaSet, ValidationOptions};

mod datatype_support;
use datatype_support::{TYPES, VALUES};

/// Values where Xerces (XSD 1.1) and libxml2 (XSD 1.0) differ, found by replaying the
/// `xsd_datatypes` fuzz corpus against both (`tests/fuzz`).
const XERCES_VALUES: &[&str] = &[
    "%zz",
    "::",
    "[x]",
    "a#b#c",
    "a%2",
    "http://[::1",
    "#AAAA",
    "AAAA#",
    "AA#AA",
    "+INF",
    "-INF",
    "0000-01-01",
    "-0000-01-01",
    "0000",
    "-0000",
    "0000-01",
    "0000-01-01T00:00:00",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "2147483648-01-01",
    "-2147483649-01-01",
    "2147483647-01",
    "99999999999",
    "123456789012345678901234567890",
    "0.0000000000000000000000000001",
    "+1",
    "-0",
    "+0",
    "PT.5S",
    "PT0.S",
    "P.5Y",
    "--01--",
    "--13--",
    "--01--Z",
    "2E+",
    "0e",
];

fn jars() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/oracles/xerces");
    let have_jar = std::fs::read_dir(&dir).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("xercesImpl"))
    });
    let have_java = Command::new("java").arg("-version").output().is_ok();
    if have_jar && have_java {
        return Some(dir);
    }
    assert!(
        std::env::var_os("VAS_ALLOW_NO_XERCES").is_some(),
        "java and the Xerces jars in {} are required (scripts/setup.d/xerces.sh installs \
         them); set VAS_ALLOW_NO_XERCES=1 to skip",
        dir.display()
    );
    None
}

/// Runs the oracle on `docs`: for each, the set of lines Xerces reports an error on
/// (unresolved IDREFs, `cvc-id.1`, left out: vas reports them apart, as references).
fn xerces_error_lines(jars: &Path, xsd: &Path, docs: &[PathBuf]) -> Vec<BTreeSet<u64>> {
    let java = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/XsdValidate.java");
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", jars.display()))
        .arg(&java)
        .arg(xsd)
        .args(docs)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "oracle: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = vec![BTreeSet::new(); docs.len()];
    let mut ended = 0;
    for l in stdout.lines() {
        let f: Vec<&str> = l.splitn(4, '\t').collect();
        let i = docs
            .iter()
            .position(|d| d.to_str() == Some(f[1]))
            .expect("a document of the run");
        match f[0] {
            "ERR" if !f[3].starts_with("cvc-id.1") => {
                lines[i].insert(f[2].parse().expect("line"));
            }
            "END" => ended += 1,
            _ => {}
        }
    }
    assert_eq!(ended, docs.len(), "the oracle ran every document");
    lines
}

fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

#[test]
fn xerces_datatypes_agree_with_xerces() {
    let Some(jars) = jars() else { return };
    let values: Vec<&str> = VALUES.iter().chain(XERCES_VALUES).copied().collect();
    // Each type is the content of `v`; `ID` is also an attribute (`w/@id`): Xerces's XSD
    // 1.1 mode counts an element's own ID content twice (a duplicate), a quirk of no
    // consequence for SEDA, whose IDs are attributes.
    let mut xsd = String::from(r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">"#);
    for t in TYPES {
        xsd.push_str(&format!(
            r#"<xs:element name="r_{t}"><xs:complexType><xs:sequence><xs:element name="v" type="xs:{t}" minOccurs="0" maxOccurs="unbounded"/><xs:element name="w" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:attribute name="id" type="xs:{t}"/></xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>"#
        ));
    }
    xsd.push_str("</xs:schema>");
    let tmp = tempfile::tempdir().expect("tmp");
    let xsd_path = tmp.path().join("types.xsd");
    std::fs::write(&xsd_path, &xsd).expect("write");
    let build = |d| {
        SchemaSet::builder()
            .add_str("types.xsd", &xsd)
            .datatypes(d)
            .build()
            .expect("compile")
    };
    let (xerces, libxml2) = (build(Datatypes::Xerces), build(Datatypes::Libxml2));
    let mut docs = Vec::new();
    let mut paths = Vec::new();
    for t in TYPES {
        let mut doc = format!("<r_{t}>\n");
        for v in &values {
            if *t == "ID" {
                doc.push_str(&format!("<w id=\"{}\"/>\n", escape(v)));
            } else {
                doc.push_str(&format!("<v>{}</v>\n", escape(v)));
            }
        }
        doc.push_str(&format!("</r_{t}>\n"));
        let p = tmp.path().join(format!("{t}.xml"));
        std::fs::write(&p, &doc).expect("write");
        docs.push(doc);
        paths.push(p);
    }
    let oracle = xerces_error_lines(&jars, &xsd_path, &paths);
    let opts = ValidationOptions {
        max_findings: usize::MAX,
        ..ValidationOptions::default()
    };
    let (mut cases, mut invalid, mut bad, mut libxml2_differs) = (0, 0, Vec::new(), 0);
    for ((t, doc), lint) in TYPES.iter().zip(&docs).zip(&oracle) {
        let lines = |s: &SchemaSet| -> BTreeSet<u64> {
            let r = s.validate_reader(doc.as_bytes(), &opts);
            assert!(r.complete && !r.truncated);
            r.findings.iter().map(|f| f.line).collect()
        };
        let (vas, other) = (lines(&xerces), lines(&libxml2));
        for (i, v) in values.iter().enumerate() {
            let line = i as u64 + 2;
            cases += 1;
            let ok = !lint.contains(&line);
            if !ok {
                invalid += 1;
            }
            if ok == vas.contains(&line) {
                bad.push(format!("xs:{t} {v:?}: Xerces {ok}, vas {}", !ok));
            }
            if ok == other.contains(&line) {
                libxml2_differs += 1;
            }
        }
    }
    eprintln!(
        "Xerces datatypes: {cases} cases ({invalid} invalid per Xerces), disagreements: {}, \
         libxml2's datatypes would differ on {libxml2_differs}",
        bad.len()
    );
    assert!(invalid > 1000 && invalid < cases - 500, "both verdicts");
    // The values that set the two processors apart do: the flavour is not a no-op.
    assert!(libxml2_differs >= 40, "{libxml2_differs}");
    assert!(
        bad.is_empty(),
        "{} of {cases} disagree:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
