//! Shared helpers of the seda integration tests: fixtures, SIP manifest extraction, xmllint.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(ROOT).join("tests/fixtures").join(rel)
}

/// Sample manifests (samples/*.xml and samples/vitam-cookbook/*.xml).
pub fn sample_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["seda/samples", "seda/samples/vitam-cookbook"] {
        for e in std::fs::read_dir(fixture(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "xml") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// Verdicts of RESULTS.txt: file name -> (version, pass).
pub fn sample_results() -> std::collections::HashMap<String, bool> {
    let txt = std::fs::read_to_string(fixture("seda/samples/RESULTS.txt")).unwrap();
    let mut m = std::collections::HashMap::new();
    for l in txt.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() == 3 && (f[0] == "PASS" || f[0] == "FAIL") {
            m.insert(f[2].to_string(), f[0] == "PASS");
        }
    }
    m
}

/// All SIP containers under vitam/sips.
pub fn sip_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    fn walk(d: &Path, v: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, v);
            } else {
                let n = p.file_name().unwrap().to_string_lossy().to_string();
                if n.ends_with(".zip") || n.ends_with(".tar") || n.ends_with(".tar.gz") {
                    v.push(p);
                }
            }
        }
    }
    walk(&fixture("vitam/sips"), &mut v);
    v.sort();
    v
}

/// Vitam's manifest name rule, at the container root.
pub fn is_manifest_name(name: &str) -> bool {
    let name = name.trim_start_matches("./");
    if name.contains('/') {
        return false;
    }
    let re = regex::Regex::new(r"^([a-zA-Z0-9_\-]{0,56}[_\-]){0,1}manifest.xml$").unwrap();
    re.is_match(name)
}

pub enum Extract {
    /// (entry name, bytes)
    Manifest(String, Vec<u8>),
    NoManifest,
    Unreadable(String),
}

/// Reads the root manifest of a SIP container.
pub fn extract_manifest(p: &Path) -> Extract {
    let name = p.to_string_lossy().to_string();
    if name.ends_with(".zip") {
        let f = std::fs::File::open(p).unwrap();
        let mut z = match zip::ZipArchive::new(f) {
            Ok(z) => z,
            Err(e) => return Extract::Unreadable(e.to_string()),
        };
        for i in 0..z.len() {
            let mut e = match z.by_index(i) {
                Ok(e) => e,
                Err(e) => return Extract::Unreadable(e.to_string()),
            };
            let n = match e.name() {
                Ok(n) => n.to_string(),
                Err(err) => return Extract::Unreadable(err.to_string()),
            };
            if is_manifest_name(&n) {
                let mut b = Vec::new();
                if let Err(err) = e.read_to_end(&mut b) {
                    return Extract::Unreadable(err.to_string());
                }
                return Extract::Manifest(n, b);
            }
        }
        Extract::NoManifest
    } else {
        let f = std::fs::File::open(p).unwrap();
        let r: Box<dyn Read> = if name.ends_with(".gz") {
            Box::new(flate2::read::GzDecoder::new(f))
        } else {
            Box::new(f)
        };
        let mut a = tar::Archive::new(r);
        let entries = match a.entries() {
            Ok(e) => e,
            Err(e) => return Extract::Unreadable(e.to_string()),
        };
        for e in entries {
            let mut e = match e {
                Ok(e) => e,
                Err(e) => return Extract::Unreadable(e.to_string()),
            };
            let n = e.path().unwrap().to_string_lossy().to_string();
            if is_manifest_name(&n) {
                let mut b = Vec::new();
                if let Err(err) = e.read_to_end(&mut b) {
                    return Extract::Unreadable(err.to_string());
                }
                return Extract::Manifest(n, b);
            }
        }
        Extract::NoManifest
    }
}

pub fn xmllint_available() -> bool {
    Command::new("xmllint").arg("--version").output().is_ok()
}

/// Validates files against the official XSD of `version` in one xmllint run.
/// Returns, per file, whether it validates.
pub fn xmllint_validate(version: &str, files: &[PathBuf]) -> Vec<bool> {
    if files.is_empty() {
        return vec![];
    }
    let schema = format!("{ROOT}/vas-core/schemas/{version}/seda-{version}-main.xsd");
    let out = Command::new("xmllint")
        .env(
            "XML_CATALOG_FILES",
            format!("{ROOT}/vas-core/schemas/catalog.xml"),
        )
        .args(["--nonet", "--noout", "--schema", &schema])
        .args(files)
        .output()
        .expect("xmllint runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    files
        .iter()
        .map(|f| {
            let line = format!("{} validates", f.display());
            stderr.lines().any(|l| l == line)
        })
        .collect()
}
