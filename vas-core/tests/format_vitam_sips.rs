//! Real-world corpus: every SIP of Vitam's test suite (`tests/fixtures/vitam/sips/`) and every
//! file inside them (PDF, images, office documents, XML, JSON, text …), identified by vas and
//! by Siegfried (`pygfried`). Agreement must be at least 99 %, and every disagreement must be
//! one of [`KNOWN`] (explained there and in `docs/format-identification.md`).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use vas_core::format::FormatRegistry;

const SIPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/vitam/sips");

/// Known disagreements: (content file name suffix, our PUID, Siegfried's PUID, reason).
const KNOWN: &[(&str, &str, &str, &str)] = &[
    (
        ".jsonl",
        "x-fmt/111",
        "fmt/2054",
        "JSON Lines (fmt/2054) was added to PRONOM after DROID V109: with V109 the file is \
         plain text, like Siegfried would say with V109",
    ),
    (
        ".jsonl",
        "UNKNOWN",
        "fmt/2054",
        "an empty .jsonl file: Siegfried's V125 knows the extension .jsonl, V109 does not",
    ),
    (
        "empty_zip.zip",
        "UNKNOWN",
        "x-fmt/263",
        "an empty ZIP (end-of-central-directory record only): V109's ZIP signature needs a \
         local file header; Siegfried's V125 signature also accepts the lone EOCD record",
    ),
];

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Copies the SIPs and extracts their entries into `dir`; returns the files.
fn build_corpus(dir: &Path) -> Vec<PathBuf> {
    let mut sips = Vec::new();
    collect(Path::new(SIPS), &mut sips);
    let mut out = Vec::new();
    let mut n = 0usize;
    let mut put = |name: &str, data: &[u8], out: &mut Vec<PathBuf>| {
        n += 1;
        let base = name.rsplit('/').next().unwrap_or(name);
        let safe: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let p = dir.join(format!("{n:04}-{safe}"));
        std::fs::write(&p, data).unwrap();
        out.push(p);
    };
    for sip in sips {
        let name = sip.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") || name == "EXPECTED.json" {
            continue;
        }
        let data = std::fs::read(&sip).unwrap();
        put(&name, &data, &mut out);
        if name.ends_with(".zip") {
            let Ok(mut z) = zip::ZipArchive::new(std::io::Cursor::new(&data)) else {
                continue;
            };
            for i in 0..z.len() {
                let Ok(mut f) = z.by_index(i) else { continue };
                if f.is_dir() {
                    continue;
                }
                let ename = f.name().map(|n| n.into_owned()).unwrap_or_default();
                let mut buf = Vec::new();
                if f.read_to_end(&mut buf).is_ok() {
                    put(&ename, &buf, &mut out);
                }
            }
        }
    }
    out
}

fn siegfried(paths: &[PathBuf], list: &Path) -> Option<HashMap<String, String>> {
    let script = r#"
import json, sys
import pygfried
s = pygfried.Scanner()
out = {}
for p in [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]:
    try:
        out[p] = s.identify(p) or "UNKNOWN"
    except pygfried.EmptySourceError:
        # Empty files: Siegfried still reports its extension-based identification.
        out[p] = s.identify(p, detailed=True)["files"][0]["matches"][0]["id"]
    except Exception:
        out[p] = "UNKNOWN"
print(json.dumps(out))
"#;
    let text: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(list, text).ok()?;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(list)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

#[test]
fn agrees_with_siegfried_on_vitam_sips() {
    let dir = tempfile::tempdir().unwrap();
    let files_dir = dir.path().join("files");
    std::fs::create_dir_all(&files_dir).unwrap();
    let paths = build_corpus(&files_dir);
    assert!(paths.len() > 300, "corpus too small: {}", paths.len());
    let reg = FormatRegistry::bundled().unwrap();
    let Some(sf) = siegfried(&paths, &dir.path().join("list")) else {
        if std::env::var_os("VAS_SKIP_SIEGFRIED").is_some() {
            eprintln!("pygfried unavailable, skipped (VAS_SKIP_SIEGFRIED set)");
            return;
        }
        panic!("python3 with pygfried is required (scripts/setup.d/format.sh installs it)");
    };
    let mut agree = 0usize;
    let mut unexpected = Vec::new();
    let mut by_puid: HashMap<String, usize> = HashMap::new();
    for p in &paths {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let ours = reg.identify_path(p).unwrap();
        *by_puid.entry(ours.puid.clone()).or_default() += 1;
        let theirs = sf
            .get(&p.display().to_string())
            .cloned()
            .unwrap_or_default();
        if ours.puid == theirs {
            agree += 1;
            continue;
        }
        let known = KNOWN
            .iter()
            .any(|k| name.ends_with(k.0) && k.1 == ours.puid && k.2 == theirs);
        eprintln!(
            "{} {name}: ours={} ({} | {}) sf={theirs}",
            if known { "known" } else { "UNEXPECTED" },
            ours.puid,
            ours.basis,
            ours.warning
        );
        if !known {
            unexpected.push(name);
        }
    }
    let pct = 100.0 * agree as f64 / paths.len() as f64;
    let mut counts: Vec<_> = by_puid.into_iter().collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    eprintln!("formats: {counts:?}");
    eprintln!(
        "agreement with siegfried on Vitam SIPs: {agree}/{} = {pct:.2}%",
        paths.len()
    );
    assert!(pct >= 99.0, "agreement {pct:.2}% < 99%");
    assert!(
        unexpected.is_empty(),
        "unexplained disagreements: {unexpected:?}"
    );
}
