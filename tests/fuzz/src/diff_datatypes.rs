//! Differential check of the `xsd_datatypes` corpus: every input's document validated by
//! vas and by `xmllint --schema` (libxml2); prints each disagreement as
//! `xs:TYPE "value": xmllint VERDICT vas VERDICT (vas's message)`, then a summary line,
//! and exits 1 when there is any. A disagreement is a lead, not a verdict: judge it against
//! XSD 1.0 Part 2 (libxml2 has its own deviations).
//!
//! Usage: `cargo +nightly run --release --manifest-path tests/fuzz/Cargo.toml --bin diff_datatypes -- CORPUS_DIR`
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use vas_core::schema::{Processor, SchemaSet};

mod datatypes;
use datatypes::{document, schema, type_of};

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: diff_datatypes CORPUS_DIR"));
    let xsd = schema();
    // Against the Xerces oracle, vas's Xerces datatypes; against xmllint, libxml2's.
    let dt = if std::env::var_os("VAS_ORACLE_JDK").is_some() {
        Processor::Xerces
    } else {
        Processor::Libxml2
    };
    let set = SchemaSet::builder().add_str("types.xsd", &xsd).processor(dt).build().expect("schema");
    let tmp = std::env::temp_dir().join(format!("vas-diff-datatypes-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let xsd_path = tmp.join("types.xsd");
    std::fs::write(&xsd_path, &xsd).expect("write");
    // One document per input, deduplicated by content.
    let mut docs: BTreeMap<String, (&'static str, String)> = BTreeMap::new();
    for e in std::fs::read_dir(&dir).expect("corpus") {
        let data = std::fs::read(e.expect("entry").path()).expect("read");
        let Some((&pick, rest)) = data.split_first() else { continue };
        let Ok(text) = std::str::from_utf8(rest) else { continue };
        docs.insert(document(pick, text), (type_of(pick), text.to_string()));
    }
    let docs: Vec<_> = docs.into_iter().collect();
    let mut paths = Vec::new();
    for (i, (doc, _)) in docs.iter().enumerate() {
        let p = tmp.join(format!("d{i}.xml"));
        std::fs::write(&p, doc).expect("write");
        paths.push(p);
    }
    let mut lint_ok = vec![false; docs.len()];
    // With VAS_ORACLE_JDK=vas-core/tests/oracles/Validate.java (and CLASSPATH naming the
    // jars of target/oracles/java): Xerces, which Vitam runs, instead of xmllint; it
    // prints "END\tFILE\tOK|KO" per file.
    if let Some(java) = std::env::var_os("VAS_ORACLE_JDK") {
        for chunk in paths.chunks(2000) {
            let out = Command::new("java").arg(&java).arg("xsd11").arg(&xsd_path).args(chunk).output().expect("java");
            for l in String::from_utf8_lossy(&out.stdout).lines() {
                if let Some(name) = l.strip_prefix("END\t").and_then(|r| r.strip_suffix("\tOK")) {
                    let i: usize = name.rsplit('/').next().unwrap().trim_start_matches('d')
                        .trim_end_matches(".xml").parse().expect("index");
                    lint_ok[i] = true;
                }
            }
        }
    }
    // xmllint prints "FILE validates" or "FILE fails to validate" (or a parser error) per file.
    for (c, chunk) in paths.chunks(500).enumerate().filter(|_| std::env::var_os("VAS_ORACLE_JDK").is_none()) {
        let out = Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(&xsd_path)
            .args(chunk)
            .output()
            .expect("xmllint");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for l in stderr.lines() {
            if let Some(name) = l.strip_suffix(" validates") {
                let i: usize = name.rsplit('/').next().unwrap().trim_start_matches('d')
                    .trim_end_matches(".xml").parse().expect("index");
                lint_ok[i] = true;
            }
        }
        let _ = c;
    }
    let (mut bad, mut invalid) = (0, 0);
    for (i, (doc, (t, text))) in docs.iter().enumerate() {
        let r = set.validate_bytes(doc.as_bytes());
        let vas_ok = r.is_valid();
        if !lint_ok[i] {
            invalid += 1;
        }
        if vas_ok != lint_ok[i] {
            bad += 1;
            let msg = r.findings.first().map(|f| f.message.clone());
            println!("xs:{t} {text:?}: xmllint {} vas {vas_ok} {msg:?}", lint_ok[i]);
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!("{} documents, {invalid} invalid per xmllint, {bad} disagreements", docs.len());
    std::process::exit(i32::from(bad > 0));
}
