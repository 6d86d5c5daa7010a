//! Byte-level differential test against libxml2: the valid sample manifests are
//! damaged byte by byte (markup characters, quotes, entity starts, line ends, broken
//! UTF-8, whitespace inserted, replaced or deleted at random places, tags truncated),
//! then validated by vas (strict) and by `xmllint --schema`, and the verdicts must be
//! equal. Where `schema_mutants.rs` checks the schema engine on well-formed mutants,
//! this one checks the XML reader under the validator: well-formedness, namespaces,
//! references and names, as libxml2 judges them.
//!
//! `VAS_BYTE_MUTANTS` sets the number of mutants (default 600); the generator is a
//! fixed-seed PRNG, so a failure is reproducible.

use std::path::{Path, PathBuf};
use std::process::Command;

use vas_core::schema::{SchemaSet, SedaVersion, ValidationOptions};

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/seda/samples"
);
const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ALPHABET: &[&[u8]] = &[
    b"<",
    b">",
    b"&",
    b"/",
    b"\"",
    b"'",
    b"=",
    b"\n",
    b"\r",
    b"\t",
    b" ",
    b":",
    b";",
    b"#",
    b"x",
    b"a",
    b"-",
    b"?",
    b"!",
    b"[",
    b"]",
    b"\xC3",
    b"\xFF",
    b"\xC3\xA9",
    b"&amp;",
    b"&#",
    b"&#x41;",
    b"&lt;",
    b"<!--",
    b"-->",
    b"<![CDATA[",
    b"]]>",
    b"<?",
    b"?>",
    b"xmlns:p=\"\"",
    b" xmlns:q=\"urn:q\"",
    b"q:",
    b"1",
    b"\x01",
    b"\x1f",
    b"&#1;",
];

fn seeds() -> Vec<(SedaVersion, Vec<u8>)> {
    let text = std::fs::read_to_string(Path::new(SAMPLES).join("RESULTS.txt")).expect("RESULTS");
    let mut out = Vec::new();
    for l in text.lines().filter(|l| l.starts_with("PASS")) {
        let mut it = l.split_whitespace().skip(1);
        let v: SedaVersion = it.next().expect("v").parse().expect("version");
        let f = it.next().expect("file");
        out.push((v, std::fs::read(Path::new(SAMPLES).join(f)).expect("read")));
    }
    out
}

/// Damages `doc` with 1–3 edits, mostly near markup (where the reader's rules are).
fn damage(rng: &mut Rng, doc: &[u8]) -> Vec<u8> {
    let mut v = doc.to_vec();
    for _ in 0..1 + rng.below(3) {
        if v.is_empty() {
            break;
        }
        // Half of the edits land right next to a '<' or '>' or '&' or '"'.
        let mut at = rng.below(v.len());
        if rng.below(2) == 0 {
            let marks: Vec<usize> = v
                .iter()
                .enumerate()
                .filter(|(_, c)| matches!(c, b'<' | b'>' | b'"' | b'&' | b':'))
                .map(|(i, _)| i)
                .collect();
            if !marks.is_empty() {
                at = (marks[rng.below(marks.len())] + rng.below(3)).min(v.len());
            }
        }
        let ins = ALPHABET[rng.below(ALPHABET.len())];
        match rng.below(4) {
            0 => {
                v.splice(at..at, ins.iter().copied());
            }
            1 => {
                let del = (1 + rng.below(4)).min(v.len() - at.min(v.len()));
                v.splice(at..at + del, ins.iter().copied());
            }
            2 => {
                let del = (1 + rng.below(6)).min(v.len() - at.min(v.len()));
                v.drain(at..at + del);
            }
            _ => {
                // Truncate the document.
                v.truncate(at);
            }
        }
    }
    v
}

#[test]
fn byte_damaged_manifests_agree_with_xmllint() {
    if Command::new("xmllint").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("VAS_ALLOW_NO_XMLLINT").is_some(),
            "xmllint is required (scripts/setup installs it); set VAS_ALLOW_NO_XMLLINT=1 to skip"
        );
        return;
    }
    let n: usize = std::env::var("VAS_BYTE_MUTANTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let seeds = seeds();
    assert!(seeds.len() > 30);
    let mut rng = Rng(0x5eda_2024_0bad_f00d);
    let tmp = tempfile::tempdir().expect("tmp");
    let mut cases: Vec<(SedaVersion, PathBuf, usize)> = Vec::new();
    for i in 0..n {
        let s = rng.below(seeds.len());
        let (v, doc) = &seeds[s];
        let p = tmp.path().join(format!("damaged{i}.xml"));
        std::fs::write(&p, damage(&mut rng, doc)).expect("write");
        cases.push((*v, p, s));
    }
    let (mut agree, mut invalid) = (0, 0);
    let mut disagreements = Vec::new();
    for v in SedaVersion::ALL {
        let group: Vec<&(SedaVersion, PathBuf, usize)> =
            cases.iter().filter(|c| c.0 == v).collect();
        if group.is_empty() {
            continue;
        }
        let main = format!("{SCHEMAS}/{v}/seda-{v}-main.xsd", v = v.as_str());
        let mut stderr = String::new();
        for chunk in group.chunks(200) {
            let out = Command::new("xmllint")
                .env("XML_CATALOG_FILES", format!("{SCHEMAS}/catalog.xml"))
                .args(["--noout", "--nonet", "--schema", &main])
                .args(chunk.iter().map(|g| &g.1))
                .output()
                .expect("xmllint runs");
            stderr.push_str(&String::from_utf8_lossy(&out.stderr));
        }
        let set = SchemaSet::seda(v).expect("compile");
        for (_, p, seed) in group {
            let lint_ok = stderr.contains(&format!("{} validates\n", p.display()));
            let r = set
                .validate_file(p, &ValidationOptions::default())
                .expect("read");
            invalid += usize::from(!lint_ok);
            if r.is_valid() == lint_ok {
                agree += 1;
                continue;
            }
            let lint: Vec<&str> = stderr
                .lines()
                .filter(|l| l.starts_with(&p.display().to_string()))
                .take(2)
                .collect();
            disagreements.push(format!(
                "{} (seed {seed}, v{v}): xmllint {lint_ok} vas {}\n  vas: {:?}\n  xmllint: {lint:?}",
                p.display(),
                r.is_valid(),
                r.findings
                    .iter()
                    .take(2)
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>(),
            ));
        }
    }
    eprintln!("byte mutants: {n}, invalid per xmllint: {invalid}, agreement: {agree}/{n}");
    if !disagreements.is_empty() {
        let keep = tmp.keep();
        eprintln!("mutants kept in {}", keep.display());
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
