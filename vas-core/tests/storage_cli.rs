//! `vas offer check|put|get|audit` end to end, on a configuration with two filesystem
//! offers.
#![cfg(feature = "cli")]

use std::path::Path;
use std::process::{Command, Output};

use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::storage::{FilesystemOffer, HEADER_LEN, ObjectKey};

fn vas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vas"))
        .args(args)
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn setup(dir: &Path) -> String {
    let cfg = dir.join("storage.toml");
    std::fs::write(
        &cfg,
        r#"
[[offer]]
id = "fs-1"
kind = "filesystem"
path = "offers/fs-1"
[[offer]]
id = "fs-2"
kind = "filesystem"
path = "offers/fs-2"
[strategy]
offers = ["fs-1", "fs-2"]
referent = "fs-1"
"#,
    )
    .unwrap();
    cfg.to_str().unwrap().to_string()
}

#[test]
fn put_get_audit_repair_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = setup(dir.path());
    let src = dir.path().join("in.bin");
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&src, &data).unwrap();
    let src_s = src.to_str().unwrap();

    let o = vas(&["offer", "check", &cfg, "--json"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["offers"].as_array().unwrap().len(), 2);
    assert_eq!(v["offers"][0]["available"], true);

    let key = "0_OBJECT/données.bin";
    let o = vas(&["offer", "put", &cfg, key, src_s, "--json"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["digest"], digest_bytes(DigestAlgorithm::Sha512, &data));
    // Wrong declared digest: refused, exit 1; other content under the same key: exit 1.
    let wrong = digest_bytes(DigestAlgorithm::Sha256, b"nope");
    let o = vas(&[
        "offer",
        "put",
        &cfg,
        "k2",
        src_s,
        "--digest",
        &wrong,
        "--algorithm",
        "sha-256",
    ]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("vas: error: "));
    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"other").unwrap();
    assert_eq!(
        code(&vas(&["offer", "put", &cfg, key, other.to_str().unwrap()])),
        1
    );
    // Declared and right: accepted (idempotent).
    let right = digest_bytes(DigestAlgorithm::Sha256, &data);
    let o = vas(&[
        "offer",
        "put",
        &cfg,
        "k3",
        src_s,
        "--digest",
        &right,
        "--algorithm",
        "SHA-256",
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));

    let out = dir.path().join("out.bin");
    let out_s = out.to_str().unwrap();
    let o = vas(&["offer", "get", &cfg, key, "-o", out_s]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&out).unwrap(), data);
    // With the catalogue's digest (any algorithm recorded by the offers), with or without
    // the size; a digest the offers do not record is refused (exit 1).
    let sha512 = digest_bytes(DigestAlgorithm::Sha512, &data);
    let o = vas(&["offer", "get", &cfg, key, "-o", out_s, "--digest", &sha512]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let size = data.len().to_string();
    let o = vas(&[
        "offer", "get", &cfg, key, "-o", out_s, "--digest", &sha512, "--size", &size,
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let md5 = digest_bytes(DigestAlgorithm::Md5, &data);
    let o = vas(&[
        "offer",
        "get",
        &cfg,
        key,
        "-o",
        out_s,
        "--digest",
        &md5,
        "--algorithm",
        "MD5",
        "--size",
        &size,
    ]);
    assert_eq!(
        code(&o),
        0,
        "MD5 check of a SHA-512 copy: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = vas(&[
        "offer",
        "get",
        &cfg,
        key,
        "-o",
        out_s,
        "--digest",
        &wrong,
        "--algorithm",
        "SHA-256",
    ]);
    assert_eq!(code(&o), 1);

    let o = vas(&["offer", "audit", &cfg, "--json"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));

    // Damage: corrupt the referent's copy, delete fs-2's copy of k3.
    let fs1 = FilesystemOffer::open("fs-1", dir.path().join("offers/fs-1")).unwrap();
    let fs2 = FilesystemOffer::open("fs-2", dir.path().join("offers/fs-2")).unwrap();
    let k = ObjectKey::new(key).unwrap();
    let p = fs1.object_path(&k);
    let mut raw = std::fs::read(&p).unwrap();
    raw[HEADER_LEN as usize + 1234] ^= 0x80;
    std::fs::write(&p, raw).unwrap();
    std::fs::remove_file(fs2.object_path(&ObjectKey::new("k3").unwrap())).unwrap();

    // get falls back to fs-2 and writes the right bytes.
    std::fs::remove_file(&out).unwrap();
    let o = vas(&["offer", "get", &cfg, key, "-o", out_s, "--json"]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["offer"], "fs-2");
    assert_eq!(std::fs::read(&out).unwrap(), data);

    let o = vas(&["offer", "audit", &cfg, "--json"]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = v["audit"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{v:#}");
    let o = vas(&["offer", "audit", &cfg, "--repair"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("repaired"));
    assert_eq!(code(&vas(&["offer", "audit", &cfg])), 0);

    // An expected list: a listed but absent object is missing everywhere → exit 1.
    let exp = dir.path().join("expected.tsv");
    std::fs::write(
        &exp,
        format!(
            "{key}\tSHA-512\t{}\t{}\nabsent\tSHA-512\t{}\t1\n",
            digest_bytes(DigestAlgorithm::Sha512, &data),
            data.len(),
            digest_bytes(DigestAlgorithm::Sha512, b"x")
        ),
    )
    .unwrap();
    let o = vas(&[
        "offer",
        "audit",
        &cfg,
        "--expected",
        exp.to_str().unwrap(),
        "--repair",
    ]);
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("NOT repaired absent"));
}

#[test]
fn errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "[[offer]]\nid = 'x'\nkind = 'tape'\n").unwrap();
    let o = vas(&["offer", "check", cfg.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("vas: error: ") && err.lines().count() == 1,
        "{err}"
    );
    let good = setup(dir.path());
    let o = vas(&["offer", "get", &good, "../x", "-o", "/dev/null"]);
    assert_eq!(code(&o), 2);
    let o = vas(&[
        "offer",
        "get",
        &good,
        "absent",
        "-o",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(!dir.path().join("o").exists());
}

#[test]
fn check_reports_unsupported_and_unreachable_offers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("s.toml");
    // An S3 offer on a port nobody listens on (or a build without the `s3` feature), and a
    // Swift offer whose auth URL nobody listens on (or a build without the `swift` feature).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        &cfg,
        format!(
            r#"
[[offer]]
id = "fs-1"
kind = "filesystem"
path = "fs"
[[offer]]
id = "s3-1"
kind = "s3"
endpoint = "http://127.0.0.1:{port}"
bucket = "vas"
access_key_env = "PATH"
secret_key_env = "PATH"
[[offer]]
id = "sw"
kind = "swift"
auth_url = "http://127.0.0.1:1/auth/v1.0"
user_env = "PATH"
key_env = "PATH"
container = "c"
[strategy]
offers = ["fs-1"]
referent = "fs-1"
"#
        ),
    )
    .unwrap();
    let o = vas(&["offer", "check", cfg.to_str().unwrap(), "--json"]);
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let offers = v["offers"].as_array().unwrap();
    assert_eq!(offers[0]["available"], true);
    assert_eq!(offers[1]["available"], false);
    let s3_kind = if cfg!(feature = "s3") {
        "Unavailable"
    } else {
        "Unsupported"
    };
    assert_eq!(offers[1]["error_kind"], s3_kind, "{:#}", offers[1]);
    let swift_kind = if cfg!(feature = "swift") {
        "Unavailable"
    } else {
        "Unsupported"
    };
    assert_eq!(offers[2]["error_kind"], swift_kind, "{:#}", offers[2]);
    // The strategy itself (fs-1 only) works.
    let f = dir.path().join("f");
    std::fs::write(&f, b"x").unwrap();
    let o = vas(&[
        "offer",
        "put",
        cfg.to_str().unwrap(),
        "x",
        f.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
}
