//! The Java oracles of the tests, the validators Vitam runs: Xerces 2.12 in XSD 1.1 mode
//! (SEDA schemas) and Jing (RelaxNG profiles), driven through `tests/oracles/Validate.java`
//! (jars fetched into `target/oracles/java/` by `scripts/setup.d/oracles.sh`).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use vas_core::schema::{Mode, SchemaSet, SedaVersion, ValidationOptions};

/// Which validator.
#[derive(Debug, Clone, Copy)]
pub enum Lang {
    /// Xerces, XSD 1.1 mode.
    Xsd11,
    /// Jing, RelaxNG (XML syntax).
    Rng,
}

/// What the oracle says of one document.
#[derive(Debug, Default, Clone)]
pub struct Verdict {
    /// No error at all.
    pub ok: bool,
    /// The lines of its errors, without unresolved IDREFs (`cvc-id.1`).
    pub lines: BTreeSet<u64>,
    /// Its first two error messages.
    pub first: Vec<String>,
}

/// The folder of the oracles' jars, or `None` (after checking that skipping is allowed:
/// `VAS_ALLOW_NO_JAVA_ORACLES=1`) when they or `java` are missing.
pub fn jars() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/oracles/java");
    let have_jar = std::fs::read_dir(&dir).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("jing"))
    });
    let have_java = Command::new("java").arg("-version").output().is_ok();
    if have_jar && have_java {
        return Some(dir);
    }
    assert!(
        std::env::var_os("VAS_ALLOW_NO_JAVA_ORACLES").is_some(),
        "java and the oracles' jars in {} are required (scripts/setup.d/oracles.sh installs \
         them); set VAS_ALLOW_NO_JAVA_ORACLES=1 to skip",
        dir.display()
    );
    None
}

/// Validates `docs` against `schema` with the oracle of `lang` (one JVM per 2 000).
pub fn validate(lang: Lang, jars: &Path, schema: &Path, docs: &[PathBuf]) -> Vec<Verdict> {
    let java = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracles/Validate.java");
    let mut verdicts = vec![Verdict::default(); docs.len()];
    for (c, chunk) in docs.chunks(2000).enumerate() {
        let out = Command::new("java")
            .arg("-cp")
            .arg(format!("{}/*", jars.display()))
            .arg(&java)
            .arg(match lang {
                Lang::Xsd11 => "xsd11",
                Lang::Rng => "rng",
            })
            .arg(schema)
            .args(chunk)
            .output()
            .expect("java runs");
        assert!(
            out.status.success(),
            "oracle: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let index: std::collections::HashMap<&str, usize> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((d.to_str()?, c * 2000 + i)))
            .collect();
        let mut ended = 0;
        for l in stdout.lines() {
            let f: Vec<&str> = l.splitn(4, '\t').collect();
            let i = index[f[1]];
            match f[0] {
                "ERR" => {
                    if verdicts[i].first.len() < 2 {
                        verdicts[i].first.push(f[3].to_string());
                    }
                    if !f[3].starts_with("cvc-id.1") {
                        verdicts[i].lines.insert(f[2].parse().expect("line"));
                    }
                }
                "END" => {
                    verdicts[i].ok = f[2] == "OK";
                    ended += 1;
                }
                _ => {}
            }
        }
        assert_eq!(ended, chunk.len(), "the oracle ran every document");
    }
    verdicts
}

/// Copies the Vitam validation schemas of `version` ("2.1" or "2.2": sedatools'
/// `seda-vitam-*`, which vas's Vitam mode compiles) into `dir`, with their `xml.xsd` and
/// `xlink.xsd` imports made local (Xerces must fetch nothing); returns the main schema.
pub fn vitam_schemas(dir: &Path, version: &str) -> PathBuf {
    let schemas = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");
    let dst = dir.join(format!("vitam-{version}"));
    std::fs::create_dir_all(&dst).expect("dir");
    for e in std::fs::read_dir(format!("{schemas}/{version}/vitam-sedatools")).expect("schemas") {
        let p = e.expect("entry").path();
        let text = std::fs::read_to_string(&p)
            .expect("read")
            .replace(
                "schemaLocation=\"http://www.w3.org/2001/xml.xsd\"",
                "schemaLocation=\"xml.xsd\"",
            )
            .replace(
                "schemaLocation=\"http://www.w3.org/1999/xlink.xsd\"",
                "schemaLocation=\"xlink.xsd\"",
            );
        std::fs::write(dst.join(p.file_name().expect("name")), text).expect("write");
    }
    dst.join(format!("seda-vitam-{version}-main.xsd"))
}

/// One manifest as vas's Vitam mode and Xerces judge it.
pub struct Compared {
    /// The case's label.
    pub label: String,
    /// Xerces found no error.
    pub xerces_ok: bool,
    /// When vas's verdict differs: both verdicts and their first findings.
    pub disagreement: Option<String>,
}

/// Validates SEDA 2.1 and 2.2 manifests (version, path, label; other versions are left
/// out) with vas in [`Mode::VitamLenient`] and with Xerces against the same Vitam schemas
/// ([`vitam_schemas`], copied into `dir`). Xerces fails a document whose IDREF points
/// nowhere, which vas reports apart: the verdict compared is
/// `Report::is_valid_with_references`.
pub fn vitam_mode_vs_xerces(
    jars: &Path,
    dir: &Path,
    cases: &[(SedaVersion, PathBuf, String)],
) -> Vec<Compared> {
    let mut out = Vec::new();
    for v in [SedaVersion::V2_1, SedaVersion::V2_2] {
        let group: Vec<&(SedaVersion, PathBuf, String)> =
            cases.iter().filter(|c| c.0 == v).collect();
        let paths: Vec<PathBuf> = group.iter().map(|g| g.1.clone()).collect();
        let main = vitam_schemas(dir, v.as_str());
        let verdicts = validate(Lang::Xsd11, jars, &main, &paths);
        let set = SchemaSet::seda_mode(v, Mode::VitamLenient).expect("schemas");
        for ((_, p, label), x) in group.into_iter().zip(verdicts) {
            let r = set
                .validate_file(p, &ValidationOptions::default())
                .expect("read");
            let vas_ok = r.is_valid_with_references();
            let disagreement = (vas_ok != x.ok).then(|| {
                format!(
                    "{label} (v{v}): Xerces {} / vas {vas_ok}\n  vas: {:?}\n  Xerces: {:?}",
                    x.ok,
                    r.all_findings()
                        .take(2)
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>(),
                    x.first
                )
            });
            out.push(Compared {
                label: label.clone(),
                xerces_ok: x.ok,
                disagreement,
            });
        }
    }
    out
}
