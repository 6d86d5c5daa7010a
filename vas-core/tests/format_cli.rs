//! `vas format identify` end to end (needs feature `cli`).
#![cfg(feature = "cli")]

#[path = "format_corpus/mod.rs"]
mod format_corpus;

use std::process::Command;

const V94: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/vitam/referentials/formats/DROID_SignatureFile_V94.xml"
);

fn vas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vas"))
}

#[test]
fn json_output_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let paths = format_corpus::write_corpus(dir.path());
    let pick = |n: &str| {
        paths
            .iter()
            .find(|p| p.file_name().unwrap() == n)
            .unwrap()
            .clone()
    };
    let files = [
        pick("doc-1.4.pdf"),
        pick("word.docx"),
        pick("random.bin"),
        pick("notes.txt"),
    ];
    let out = vas()
        .args(["format", "identify", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 4);
    for (row, f) in a.iter().zip(&files) {
        assert_eq!(row["path"], f.display().to_string());
        for k in ["puid", "name", "version", "mime", "basis", "warning"] {
            assert!(row[k].is_string(), "{k} in {row}");
        }
    }
    assert_eq!(a[0]["puid"], "fmt/18");
    assert_eq!(a[0]["mime"], "application/pdf");
    assert_eq!(a[0]["version"], "1.4");
    assert_eq!(a[1]["puid"], "fmt/412");
    assert_eq!(a[2]["puid"], "fmt/208"); // "Binary File", on its extension only
    assert_eq!(a[2]["warning"], "match on extension only");
    assert_eq!(a[3]["puid"], "x-fmt/111");
}

#[test]
fn text_output_custom_signatures_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.gif");
    std::fs::write(&p, b"GIF87a\x01\x00\x01\x00;").unwrap();
    let out = vas()
        .args(["format", "identify", "--signatures", V94])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("fmt/3"), "{s}");
    assert!(s.contains("image/gif"), "{s}");
    // Unknown content without extension.
    let u = dir.path().join("mystery");
    std::fs::write(&u, [0u8, 0x9f, 0x13, 0x37, 0xee]).unwrap();
    let out = vas()
        .args(["format", "identify", "--json"])
        .arg(&u)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["puid"], "UNKNOWN");
    assert_eq!(v[0]["warning"], "no match");
    // Missing file: exit 2, one error line.
    let out = vas()
        .args(["format", "identify"])
        .arg(dir.path().join("missing.pdf"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("vas: error: "), "{err}");
    // Malformed signature file: exit 2 with the line.
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        "<FFSignatureFile>\n<InternalSignatureCollection>\n<oops",
    )
    .unwrap();
    let out = vas()
        .args(["format", "identify", "--signatures"])
        .arg(&bad)
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line"), "{err}");
    // No file: usage error.
    let out = vas().args(["format", "identify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
