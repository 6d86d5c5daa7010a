//! `vas digest`: checked against coreutils (`sha512sum` & co. are the oracle, both ways:
//! vas's lists are accepted by `shaNsum -c`, coreutils' lists by `vas digest --check`).

use std::path::Path;
use std::process::{Command, Output};

fn vas(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vas"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn tool(dir: &Path, prog: &str, args: &[&str]) -> Output {
    Command::new(prog)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{prog} (coreutils) is needed by this test: {e}"))
}

/// Files of awkward sizes around buffer boundaries, deterministic pseudo-random bytes.
fn corpus(dir: &Path) -> Vec<String> {
    let sizes = [
        0usize, 1, 63, 64, 65, 127, 128, 4096, 262_143, 262_144, 262_145, 1_000_003,
    ];
    let mut names = Vec::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for (i, n) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..*n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let name = format!("f{i} with space.bin");
        std::fs::write(dir.join(&name), data).unwrap();
        names.push(name);
    }
    names
}

const ALGS: &[(&str, &str)] = &[
    ("md5", "md5sum"),
    ("sha-1", "sha1sum"),
    ("sha-256", "sha256sum"),
    ("sha-384", "sha384sum"),
    ("sha-512", "sha512sum"),
];

#[test]
fn every_algorithm_agrees_with_coreutils_byte_for_byte() {
    let d = tempfile::tempdir().unwrap();
    let names = corpus(d.path());
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    for (alg, prog) in ALGS {
        let mut a = vec!["digest", "--algorithm", alg];
        a.extend(&args);
        let ours = vas(d.path(), &a);
        assert!(ours.status.success(), "{alg}: {ours:?}");
        let theirs = tool(d.path(), prog, &args);
        assert!(theirs.status.success());
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
            "{alg} vs {prog}"
        );
    }
}

#[test]
fn lists_are_interchangeable_with_coreutils_and_a_change_is_caught() {
    let d = tempfile::tempdir().unwrap();
    let names = corpus(d.path());
    let mut a = vec!["digest"];
    a.extend(names.iter().map(String::as_str));
    let ours = vas(d.path(), &a);
    std::fs::write(d.path().join("vas.sums"), &ours.stdout).unwrap();
    // coreutils accepts vas's list…
    let c = tool(d.path(), "sha512sum", &["-c", "--strict", "vas.sums"]);
    assert!(c.status.success(), "{c:?}");
    // …and vas accepts coreutils' list (binary-mode `*` marker too).
    let mut b = vec!["-b"];
    b.extend(names.iter().map(String::as_str));
    let theirs = tool(d.path(), "sha512sum", &b);
    std::fs::write(d.path().join("coreutils.sums"), &theirs.stdout).unwrap();
    let ok = vas(d.path(), &["digest", "--check", "coreutils.sums"]);
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout)
            .matches(": OK\n")
            .count(),
        names.len()
    );

    // One flipped byte and one missing file: exit 1, both named, the others still OK.
    let victim = d.path().join(&names[5]);
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[17] ^= 1;
    std::fs::write(&victim, bytes).unwrap();
    std::fs::remove_file(d.path().join(&names[0])).unwrap();
    let ko = vas(d.path(), &["digest", "--check", "--json", "vas.sums"]);
    assert_eq!(ko.status.code(), Some(1), "{ko:?}");
    let rows: serde_json::Value = serde_json::from_slice(&ko.stdout).unwrap();
    let bad: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == false)
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(bad, [names[0].as_str(), names[5].as_str()]);
    // coreutils agrees that exactly these two fail.
    let c = tool(d.path(), "sha512sum", &["-c", "--quiet", "vas.sums"]);
    assert_eq!(c.status.code(), Some(1));
}

#[test]
fn awkward_names_are_escaped_as_coreutils_does() {
    let d = tempfile::tempdir().unwrap();
    let names = ["back\\slash", "new\nline", "plain"];
    for n in names {
        std::fs::write(d.path().join(n), n.as_bytes()).unwrap();
    }
    let mut a = vec!["digest"];
    a.extend(names);
    let ours = vas(d.path(), &a);
    let theirs = tool(d.path(), "sha512sum", &names);
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&theirs.stdout)
    );
    std::fs::write(d.path().join("sums"), &theirs.stdout).unwrap();
    let ok = vas(d.path(), &["digest", "--check", "--json", "sums"]);
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    let rows: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    let paths: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, names);
}

#[test]
fn json_rows_and_errors() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("abc"), b"abc").unwrap();
    let o = vas(
        d.path(),
        &["digest", "-a", "sha-256", "--json", "abc", "nope"],
    );
    assert_eq!(o.status.code(), Some(2), "an unreadable file is exit 2");
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows[0]["algorithm"], "SHA-256");
    assert_eq!(
        rows[0]["digest"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(rows[0]["size"], 3);
    assert!(rows[1]["error"].as_str().unwrap().contains("nope"));

    let bad_alg = vas(d.path(), &["digest", "-a", "crc32", "abc"]);
    assert_eq!(bad_alg.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_alg.stderr).contains("unknown digest algorithm"));

    std::fs::write(d.path().join("list"), "abc  not-a-digest\n").unwrap();
    let bad_list = vas(d.path(), &["digest", "--check", "list"]);
    assert_eq!(bad_list.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_list.stderr).contains("list:1"));
}
