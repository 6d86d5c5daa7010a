//! Agreement with Siegfried (the reference PRONOM identifier, through the PyPI package
//! `pygfried`, installed by `scripts/setup.d/format.sh`) on a generated corpus of many formats.
//!
//! Siegfried's embedded signatures (DROID V125, container 2026-01-19 in pygfried 2.2.0) are
//! newer than ours (DROID V109, container 2020-01-21). Every disagreement is listed in
//! [`KNOWN`] with its reason (also in `docs/format-identification.md`); every other file must
//! get the same PUID as Siegfried.

#[path = "format_corpus/mod.rs"]
mod format_corpus;

use std::collections::HashMap;
use std::process::Command;

use vas_core::format::FormatRegistry;

/// Known disagreements: (file, our PUID, reason).
const KNOWN: &[(&str, &str, &str)] = &[];

fn siegfried(paths: &[std::path::PathBuf]) -> Option<HashMap<String, String>> {
    let script = r#"
import json, sys
import pygfried
paths = [l.rstrip("\n") for l in sys.stdin if l.strip()]
out = {}
for p in paths:
    try:
        r = pygfried.identify(p, detailed=True)
        m = r["files"][0]["matches"][0]
        out[p] = m["id"]
    except Exception as e:
        out[p] = "ERROR " + str(e)
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut()?;
        for p in paths {
            writeln!(stdin, "{}", p.display()).ok()?;
        }
    }
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    serde_json::from_slice(&out.stdout).ok()
}

#[test]
fn agrees_with_siegfried_on_the_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let paths = format_corpus::write_corpus(dir.path());
    let reg = FormatRegistry::bundled().unwrap();
    let Some(sf) = siegfried(&paths) else {
        if std::env::var_os("VAS_SKIP_SIEGFRIED").is_some() {
            eprintln!("pygfried unavailable, skipped (VAS_SKIP_SIEGFRIED set)");
            return;
        }
        panic!("python3 with pygfried is required (scripts/setup.d/format.sh installs it)");
    };
    let mut agree = 0;
    let mut unexpected = Vec::new();
    let mut table = String::new();
    for p in &paths {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let ours = reg.identify_path(p).unwrap();
        let theirs = sf
            .get(&p.display().to_string())
            .cloned()
            .unwrap_or_default();
        let known = KNOWN.iter().find(|k| k.0 == name);
        let ok = ours.puid == theirs;
        table.push_str(&format!(
            "{}{name:<22} ours={:<12} sf={:<12} {} | {}\n",
            if ok { "  " } else { "≠ " },
            ours.puid,
            theirs,
            ours.basis,
            ours.warning
        ));
        if ok {
            agree += 1;
        } else if known.is_none_or(|k| k.1 != ours.puid) {
            unexpected.push(name);
        }
    }
    let pct = 100.0 * agree as f64 / paths.len() as f64;
    eprintln!(
        "{table}agreement with siegfried: {agree}/{} = {pct:.1}%",
        paths.len()
    );
    assert!(
        unexpected.is_empty(),
        "unexplained disagreements with siegfried: {unexpected:?}"
    );
}
