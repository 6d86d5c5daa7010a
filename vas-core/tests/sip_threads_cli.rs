//! `vas sip build --threads N`: the same package whatever the number of threads, the same
//! as `RAYON_NUM_THREADS=N`, and every entry readable by Python's `zipfile` with the
//! manifest's digest.
#![cfg(feature = "cli")]

use std::path::Path;
use std::process::Command;

fn vas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vas"))
}

/// Text, XML, random and empty files, one larger than a batch (streamed), in two folders.
fn corpus(dir: &Path) {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..150usize {
        let sub = dir.join(format!("d{}", i % 3));
        std::fs::create_dir_all(&sub).unwrap();
        let (name, data): (String, Vec<u8>) = match i % 5 {
            0 => (
                format!("f{i}.txt"),
                format!("ligne {i} du registre des délibérations\n")
                    .repeat(20 + i * 7)
                    .into_bytes(),
            ),
            1 => (
                format!("f{i}.xml"),
                format!("<r><n>{i}</n><t>fonds</t></r>\n")
                    .repeat(10 + i)
                    .into_bytes(),
            ),
            2 => (
                format!("f{i}.bin"),
                (0..(500 + i * 97)).map(|_| next() as u8).collect(),
            ),
            3 if i == 3 => (format!("f{i}.txt"), Vec::new()),
            _ => (
                format!("f{i}.dat"),
                (0..(3000 + i * 13))
                    .map(|k| (k % 7 + i % 11) as u8)
                    .collect(),
            ),
        };
        std::fs::write(sub.join(name), data).unwrap();
    }
    // Larger than a batch (4 MiB): streamed in chunks.
    let big: Vec<u8> = (0..(5 << 20) + 77)
        .map(|k: usize| {
            if k % 4096 < 2048 {
                next() as u8
            } else {
                (k % 13) as u8
            }
        })
        .collect();
    std::fs::write(dir.join("d1").join("big.bin"), big).unwrap();
}

fn build(src: &Path, out: &Path, extra: &[&str], env: Option<&str>) -> Vec<u8> {
    let mut c = vas();
    c.args(["sip", "build"])
        .arg(src)
        .arg("-o")
        .arg(out)
        .args(["--deterministic", "--no-identify"])
        .args(extra)
        .env_remove("RAYON_NUM_THREADS");
    if let Some(n) = env {
        c.env("RAYON_NUM_THREADS", n);
    }
    let r = c.output().unwrap();
    assert!(
        r.status.success(),
        "{extra:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    std::fs::read(out).unwrap()
}

#[test]
fn same_package_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    corpus(&src);
    for (ext, more) in [
        ("zip", &[][..]),
        ("zip", &["--manifest-first"][..]),
        ("tar", &[][..]),
    ] {
        let mut first: Option<Vec<u8>> = None;
        for (i, (threads, env)) in [
            (Some("1"), None),
            (Some("2"), None),
            (Some("3"), None),
            (None, Some("1")),
            (None, Some("2")),
            (Some("1"), Some("2")),
        ]
        .into_iter()
        .enumerate()
        {
            let out = dir
                .path()
                .join(format!("out-{ext}-{}-{i}.{ext}", more.len()));
            let mut args: Vec<&str> = more.to_vec();
            if let Some(n) = threads {
                args.extend(["--threads", n]);
            }
            let bytes = build(&src, &out, &args, env);
            match &first {
                None => first = Some(bytes),
                Some(f) => assert!(
                    *f == bytes,
                    "{ext} {more:?}: --threads {threads:?} RAYON_NUM_THREADS={env:?} differs"
                ),
            }
        }
    }
    // Python's zipfile reads every entry back; its SHA-512 is the manifest's.
    let zip = dir.path().join("out-zip-0-0.zip");
    let py = r#"
import hashlib, re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
m = z.read("manifest.xml").decode()
objs = re.findall(r"<Uri>([^<]+)</Uri>\s*<MessageDigest algorithm=\"SHA-512\">([0-9a-f]+)</MessageDigest>", m)
assert len(objs) == 151, len(objs)
for uri, d in objs:
    assert hashlib.sha512(z.read(uri)).hexdigest() == d, uri
print(len(objs))
"#;
    match Command::new("python3").arg("-c").arg(py).arg(&zip).output() {
        Ok(r) => assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr)),
        Err(e) => eprintln!("python3 not run: {e}"),
    }
}

#[test]
fn threads_must_be_a_positive_count() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), b"a").unwrap();
    for bad in ["0", "-1", "x"] {
        let r = vas()
            .args(["sip", "build"])
            .arg(&src)
            .arg("-o")
            .arg(dir.path().join("o.zip"))
            .args(["--threads", bad])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2), "--threads {bad}");
        assert!(!dir.path().join("o.zip").exists());
    }
    let help = vas().args(["sip", "build", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--threads <N>"));
}
