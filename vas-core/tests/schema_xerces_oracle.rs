//! Vitam's datatypes: vas with [`Processor::Xerces`] (what [`Mode::VitamLenient`] uses)
//! against Xerces 2.12 in XSD 1.1 mode — the validator Vitam runs — through
//! `tests/oracles/Validate.java`. Every built-in type of the shared corpus against
//! every value of the corpus plus the values where Xerces and libxml2 part ways; one
//! document per type, one value per line, verdicts compared line by line.
//!
//! The jars come from `scripts/setup.d/oracles.sh` (Maven); without them (or without
//! `java`) the test fails, unless `VAS_ALLOW_NO_JAVA_ORACLES=1`.
//!
//! [`Mode::VitamLenient`]: vas_core::schema::Mode::VitamLenient

use std::collections::BTreeSet;

use vas_core::schema::{Processor, SchemaSet, ValidationOptions};

mod datatype_support;
mod java_oracles;
use datatype_support::{DIVERGENT, TYPES, Tally, VALUES};

fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

#[test]
fn xerces_datatypes_agree_with_xerces() {
    let Some(jars) = java_oracles::jars() else {
        return;
    };
    let values: Vec<&str> = VALUES.iter().chain(DIVERGENT).copied().collect();
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
            .processor(d)
            .build()
            .expect("compile")
    };
    let (xerces, libxml2) = (build(Processor::Xerces), build(Processor::Libxml2));
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
    let oracle: Vec<BTreeSet<u64>> =
        java_oracles::validate(java_oracles::Lang::Xsd11, &jars, &xsd_path, &paths)
            .into_iter()
            .map(|v| v.lines)
            .collect();
    let opts = ValidationOptions {
        max_findings: usize::MAX,
        ..ValidationOptions::default()
    };
    let mut tally = Tally::default();
    for ((t, doc), lint) in TYPES.iter().zip(&docs).zip(&oracle) {
        let lines = |s: &SchemaSet| -> BTreeSet<u64> {
            let r = s.validate_reader(doc.as_bytes(), &opts);
            assert!(r.complete && !r.truncated);
            r.findings.iter().map(|f| f.line).collect()
        };
        let (vas, other) = (lines(&xerces), lines(&libxml2));
        for (i, v) in values.iter().enumerate() {
            let line = i as u64 + 2;
            let ok = !lint.contains(&line);
            let vas_ok = !vas.contains(&line);
            tally.add(ok, vas_ok, || {
                format!("xs:{t} {v:?}: Xerces {ok}, vas {vas_ok}")
            });
            tally.other(ok, !other.contains(&line));
        }
    }
    tally.check("Xerces datatypes", "Xerces", 1000, 500, Some(40));
}
