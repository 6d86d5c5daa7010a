//! Conventions every `vas` subcommand shares: exit codes, one-line errors, JSON output.
#![cfg(feature = "cli")]

use std::process::Command;

fn vas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vas"))
}

#[test]
fn errors_json_is_the_error_table() {
    let out = vas().args(["errors", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), vas_core::ErrorKind::ALL.len());
    for (row, kind) in rows.iter().zip(vas_core::ErrorKind::ALL) {
        assert_eq!(row["kind"], kind.name());
        assert_eq!(row["c_code"], kind.c_code());
        assert_eq!(row["js_code"], kind.js_code());
    }
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let out = vas().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.is_empty());
}

#[test]
fn help_works_for_every_group() {
    for g in ["manifest", "sip", "format", "rules", "offer", "errors"] {
        let out = vas().args([g, "--help"]).output().unwrap();
        assert!(out.status.success(), "{g} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{g}"
        );
    }
}

/// Output to a closed pipe (`vas errors | head -0`) ends the process by SIGPIPE, like
/// coreutils, not by a panic ("failed printing to stdout") with exit code 101.
#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_ends_quietly_by_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // closed before vas writes anything: deterministic
    let out = vas()
        .arg("errors")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.signal(),
        Some(13),
        "status {:?}, stderr {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
