//! The `vas` process itself (glibc Linux): the allocator chosen per command before `main`, the
//! binary's own C `main` (closed standard descriptors, flushed stdout), the libraries it loads.
#![cfg(all(feature = "cli", target_os = "linux", target_env = "gnu"))]

use std::path::PathBuf;
use std::process::{Command, Output};

fn vas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vas"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/seda/samples")
        .join(name)
}

/// Runs `vas ARGS` with mimalloc's verbose messages on (its constructor runs in every `vas`
/// process and says so; reserving its arena, at its first allocation, says so too).
fn verbose(args: &[&str]) -> Output {
    vas()
        .args(args)
        .env("MIMALLOC_VERBOSE", "1")
        .output()
        .unwrap()
}

/// `vas manifest check` allocates with the system allocator: mimalloc is linked in and
/// initialised, but never reserves an arena; its verdict and output are unchanged.
#[test]
fn manifest_check_never_reserves_a_mimalloc_arena() {
    let file = fixture("loose-2.3.xml");
    let file = file.to_str().unwrap();
    for args in [
        &["manifest", "check", file][..],
        &["manifest", "check", file, "--json"],
        &["manifest", "check", "--mode", "vitam", file],
    ] {
        let out = verbose(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("mimalloc: process init"), "{args:?}: {err}");
        assert!(!err.contains("mimalloc: reserved"), "{args:?}: {err}");
        let quiet = vas()
            .args(args)
            .env_remove("MIMALLOC_VERBOSE")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(out.stdout, quiet.stdout, "{args:?}");
    }
}

/// Every other command keeps mimalloc: its first allocation reserves the arena.
#[test]
fn other_commands_allocate_with_mimalloc() {
    let file = fixture("loose-2.3.xml");
    let file = file.to_str().unwrap();
    for args in [
        &["manifest", "stats", file][..],
        &["digest", file],
        &["--version"],
        // Not `manifest check` (the first two arguments decide).
        &["manifest", "stats", "check"],
    ] {
        let out = verbose(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("mimalloc: reserved"), "{args:?}: {err}");
    }
}

/// Started with stdout closed, `vas` reopens it on `/dev/null` before anything else: the
/// manifest it opens must not become descriptor 1 (the JSON report would then go to a
/// read-only descriptor and the command fail with exit code 2 instead of giving its verdict).
#[test]
fn a_closed_stdout_is_reopened_on_dev_null() {
    let file = fixture("loose-2.3.xml");
    for (redirect, code) in [(">&-", 0), ("<&- >&-", 0), (">&- 2>&-", 0), ("", 0)] {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "exec \"$0\" manifest check --json \"$1\" {redirect}"
            ))
            .arg(env!("CARGO_BIN_EXE_vas"))
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{redirect}: {out:?}");
    }
}

/// The report reaches a pipe whole: stdout is flushed before the process ends, on success
/// and on a finding (exit code 1) alike.
#[test]
fn stdout_is_flushed_before_the_exit() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.xml");
    let text = std::fs::read_to_string(fixture("loose-2.3.xml")).unwrap();
    // One element renamed: one finding (the schema expects `MessageIdentifier` there).
    let text = text.replacen("MessageIdentifier>", "MessageIdentifer>", 2);
    assert!(text.contains("<MessageIdentifer>M1</MessageIdentifer>"));
    std::fs::write(&bad, text).unwrap();
    for (file, code) in [(fixture("loose-2.3.xml"), 0), (bad, 1)] {
        let out = vas()
            .args(["manifest", "check", "--json"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v.as_array().unwrap().is_empty(), code == 0, "{v}");
        assert!(out.stdout.ends_with(b"]\n"));
    }
}

/// The binary does not load `libgcc_s`: the unwinder is linked in (see `build.rs`) when the
/// C compiler finds `libgcc_eh.a`, as it does wherever these tests run.
#[test]
fn the_binary_does_not_need_libgcc_s() {
    let Ok(out) = Command::new("ldd").arg(env!("CARGO_BIN_EXE_vas")).output() else {
        return; // no ldd here: nothing to check
    };
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(libs.contains("libc.so"), "{libs}");
    assert!(!libs.contains("libgcc_s"), "{libs}");
}
