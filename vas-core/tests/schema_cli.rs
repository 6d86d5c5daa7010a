//! `vas manifest check`: exit codes, line format and JSON output.
//! (Runs only when the `cli` feature builds the binary.)

use std::process::Command;

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/seda/samples"
);
const PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/profiles");

fn vas() -> Option<Command> {
    option_env!("CARGO_BIN_EXE_vas").map(Command::new)
}

#[test]
fn valid_manifest_exits_0() {
    let Some(mut c) = vas() else { return };
    let out = c
        .args(["manifest", "check", &format!("{SAMPLES}/ok-2.2.xml")])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn invalid_manifest_exits_1_with_one_line_per_finding() {
    let Some(mut c) = vas() else { return };
    let out = c
        .args([
            "manifest",
            "check",
            &format!("{SAMPLES}/f22-content-2.1.xml"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for l in lines {
        let mut parts = l.splitn(4, ':');
        let line: u64 = parts.next().expect("line").parse().expect("numeric line");
        let col: u64 = parts.next().expect("col").parse().expect("numeric col");
        assert!(line > 0 && col > 0);
        assert!(
            parts
                .next()
                .expect("path")
                .trim_start()
                .starts_with("/ArchiveTransfer"),
            "{l}"
        );
    }
}

#[test]
fn json_output_is_an_array_of_findings() {
    let Some(mut c) = vas() else { return };
    let out = c
        .args([
            "manifest",
            "check",
            "--json",
            &format!("{SAMPLES}/ko-idref-2.3.xml"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let arr = v.as_array().expect("array");
    assert_eq!(arr.len(), 1);
    assert_eq!(arr[0]["kind"], "reference");
    for k in ["line", "column", "path", "message", "kind"] {
        assert!(arr[0].get(k).is_some(), "{k}");
    }
    // --no-references: the XSD verdict alone (libxml2 accepts this file)
    let out = vas()
        .expect("bin")
        .args([
            "manifest",
            "check",
            "--no-references",
            &format!("{SAMPLES}/ko-idref-2.3.xml"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn modes_and_profiles() {
    let Some(mut c) = vas() else { return };
    let f = format!("{SAMPLES}/vitam-cookbook/cookbook8-manifest.xml");
    assert_eq!(
        c.args(["manifest", "check", &f])
            .output()
            .expect("run")
            .status
            .code(),
        Some(1)
    );
    let out = vas()
        .expect("bin")
        .args(["manifest", "check", "--mode", "vitam", &f])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let p = format!("{PROFILES}/vitam-checkProfil/Profil20.rng");
    let ok = format!("{PROFILES}/vitam-checkProfil/manifest_ok.xml");
    let ko = format!("{PROFILES}/vitam-checkProfil/manifest_ko.xml");
    let run = |m: &str| {
        vas()
            .expect("bin")
            .args(["manifest", "check", "--no-references", "--profile", &p, m])
            .output()
            .expect("run")
    };
    assert_eq!(run(&ok).status.code(), Some(0));
    let out = run(&ko);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/ArchiveTransfer/Comment"));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let Some(mut c) = vas() else { return };
    let out = c
        .args(["manifest", "check", "/nonexistent/manifest.xml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("vas: error:"));
    let out = vas()
        .expect("bin")
        .args([
            "manifest",
            "check",
            "--mode",
            "bogus",
            &format!("{SAMPLES}/ok-2.3.xml"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = vas()
        .expect("bin")
        .args([
            "manifest",
            "check",
            "--profile",
            "/nonexistent.rng",
            &format!("{SAMPLES}/ok-2.3.xml"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn malformed_or_foreign_documents_exit_1() {
    let Some(mut c) = vas() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("bad.xml");
    std::fs::write(
        &bad,
        "<ArchiveTransfer xmlns='fr:gouv:culture:archivesdefrance:seda:v2.3'><a></b>",
    )
    .expect("write");
    let out = c
        .args(["manifest", "check", bad.to_str().expect("utf8")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let other = tmp.path().join("other.xml");
    std::fs::write(&other, "<root xmlns='urn:x'/>").expect("write");
    let out = vas()
        .expect("bin")
        .args(["manifest", "check", "--json", other.to_str().expect("utf8")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v[0]["message"]
            .as_str()
            .expect("msg")
            .contains("not a supported SEDA version")
    );
}
