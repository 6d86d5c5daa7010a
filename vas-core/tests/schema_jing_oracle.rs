//! Jing's datatypes: vas's RelaxNG validator with [`Processor::Jing`] (what the Vitam mode
//! uses for archival profiles) against Jing itself through JAXP — how Vitam checks
//! profiles — via `tests/oracles/Validate.java rng`. Every built-in type of the shared
//! corpus against every value of the corpus, of the values where the processors part ways,
//! and of probes of Jing's `anyURI`, times and years; one document per (type, value).
//!
//! The jars come from `scripts/setup.d/oracles.sh` (Maven); without them (or `java`) the
//! test fails, unless `VAS_ALLOW_NO_JAVA_ORACLES=1`.

use vas_core::schema::{Processor, RelaxNg};

mod datatype_support;
mod java_oracles;
use datatype_support::{DIVERGENT, TYPES, Tally, VALUES};

/// Probes of Jing's own rules, beside the corpus and [`DIVERGENT`]: its `anyURI` (found
/// against Jing on 570 values, the fuzz corpus's included), and the boundaries of its
/// times and years.
const JING_PROBES: &[&str] = &[
    "PT1.S",
    "PT.S",
    "P1.Y",
    "P1DT.5S",
    "//host:x/p",
    "//h:/p",
    "http://a:b@h:x/",
    "a b",
    "é",
    "%41",
    "a#b",
    "http://[::1]/",
    "1:b",
    "a:b",
    "#",
    "?",
    "a?b?c",
    "a|b",
    "http:",
    "http://",
    "//",
    "///a",
    "a[b]",
    "a%",
    "#a#",
    "a#",
    "//T@[]",
    "?8[[",
    "#]a",
    "H5d:1]",
    "T2A:59o//5[",
    "x:?",
    "x:/",
    "x://",
    "http:/a[b]",
    "-:b",
    "a-:b",
    "http://u@[::1]:80/p",
    "http://[::1]x/",
    "24:00:00",
    "23:59:60",
    "10:00:00.",
    "12:30:60",
    "00:00:60.5",
    "23:60:00",
    "2024-06-01T24:00:00",
    "2024-06-01T23:59:60",
    "2024-06-01T10:00:00.",
    "2024-06-01T10:00:00.Z",
    "292278993",
    "292278995",
    "-292275055",
    "-292275056",
    "100000000",
    "999999999",
    "292278993-12-31",
    "292278995-01-01",
];

#[test]
fn jing_datatypes_agree_with_jing() {
    let Some(jars) = java_oracles::jars() else {
        return;
    };
    let values: Vec<&str> = VALUES
        .iter()
        .chain(DIVERGENT)
        .chain(JING_PROBES)
        .copied()
        .collect();
    let mut rng = String::from(
        r#"<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes"><start><choice>"#,
    );
    for t in TYPES {
        rng.push_str(&format!(
            r#"<element name="r_{t}"><data type="{t}"/></element>"#
        ));
    }
    rng.push_str("</choice></start></grammar>");
    let tmp = tempfile::tempdir().expect("tmp");
    let rng_path = tmp.path().join("types.rng");
    std::fs::write(&rng_path, &rng).expect("write");
    let libxml2 = RelaxNg::from_str(&rng).expect("compile");
    let jing = RelaxNg::from_str(&rng)
        .expect("compile")
        .with_processor(Processor::Jing);
    let mut docs = Vec::new();
    let mut paths = Vec::new();
    for t in TYPES {
        for (i, v) in values.iter().enumerate() {
            let doc = format!(
                "<r_{t}>{}</r_{t}>",
                v.replace('&', "&amp;").replace('<', "&lt;")
            );
            let p = tmp.path().join(format!("{t}-{i}.xml"));
            std::fs::write(&p, &doc).expect("write");
            docs.push((t, v, doc));
            paths.push(p);
        }
    }
    let oracle = java_oracles::validate(java_oracles::Lang::Rng, &jars, &rng_path, &paths);
    let mut tally = Tally::default();
    for ((t, v, doc), j) in docs.iter().zip(&oracle) {
        let vas_ok = jing.validate_bytes(doc.as_bytes()).is_valid();
        tally.add(j.ok, vas_ok, || {
            format!("xs:{t} {v:?}: Jing {}, vas {vas_ok}", j.ok)
        });
        tally.other(j.ok, libxml2.validate_bytes(doc.as_bytes()).is_valid());
    }
    tally.check("Jing datatypes", "Jing", 1000, 500, Some(40));
}
