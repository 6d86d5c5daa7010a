//! `vas digest` over many files, where files up to 8 MiB are read whole and hashed in
//! batches by `digest_many` (the multi-buffer SHA-512 on a CPU with AVX-512): the output
//! must be `sha512sum`'s / `sha384sum`'s byte for byte, in the order given, whatever the
//! thread count, with the multi-buffer engine on or off, and with unreadable paths and
//! files bigger than 8 MiB mixed in.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, prog: &str, args: &[String], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(prog);
    c.current_dir(dir).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
        .unwrap_or_else(|e| panic!("{prog} is needed by this test: {e}"))
}

/// 70 files of sizes around the 128-byte block and the padding boundaries, a few large
/// ones, one of 9 MiB (streamed, not batched), in a shuffled order.
fn corpus(dir: &Path) -> Vec<String> {
    let mut sizes: Vec<usize> = vec![0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 241, 4096];
    sizes.extend((0..50).map(|i| (i * 7919) % 3000));
    sizes.extend([
        100 << 10,
        1 << 20,
        (3 << 20) + 5,
        (9 << 20) + 1,
        17,
        0,
        255,
        256,
    ]);
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut names = Vec::new();
    for (i, n) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..*n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let name = format!("d{}/f{i}.bin", i % 3);
        std::fs::create_dir_all(dir.join(format!("d{}", i % 3))).unwrap();
        std::fs::write(dir.join(&name), data).unwrap();
        names.push(name);
    }
    // an order that is neither by size nor by name
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| (i * 37) % names.len());
    order.into_iter().map(|i| names[i].clone()).collect()
}

#[test]
fn batches_give_coreutils_output_in_order_for_every_thread_count_and_engine() {
    let d = tempfile::tempdir().unwrap();
    let names = corpus(d.path());
    let vas = env!("CARGO_BIN_EXE_vas");
    for (alg, tool) in [("sha-512", "sha512sum"), ("sha-384", "sha384sum")] {
        let theirs = run(d.path(), tool, &names, &[]);
        assert!(theirs.status.success());
        for threads in [None, Some("1"), Some("3")] {
            for env in [&[][..], &[("VAS_NO_MULTIBUFFER", "1")][..]] {
                let mut args = vec!["digest".to_owned(), "-a".to_owned(), alg.to_owned()];
                if let Some(t) = threads {
                    args.extend(["--threads".to_owned(), t.to_owned()]);
                }
                args.extend(names.iter().cloned());
                let ours = run(d.path(), vas, &args, env);
                assert!(ours.status.success(), "{ours:?}");
                assert_eq!(
                    String::from_utf8_lossy(&ours.stdout),
                    String::from_utf8_lossy(&theirs.stdout),
                    "{alg} threads {threads:?} env {env:?}"
                );
            }
        }
    }
}

#[test]
fn unreadable_entries_inside_a_batch_keep_their_place() {
    let d = tempfile::tempdir().unwrap();
    let mut names = corpus(d.path());
    names.insert(3, "missing-file".to_owned());
    names.insert(10, "d1".to_owned()); // a directory
    let vas = env!("CARGO_BIN_EXE_vas");
    let mut args = vec!["digest".to_owned(), "--json".to_owned()];
    args.extend(names.iter().cloned());
    let o = run(d.path(), vas, &args, &[]);
    assert_eq!(o.status.code(), Some(2), "an unreadable file is exit 2");
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), names.len());
    for (row, name) in rows.iter().zip(&names) {
        assert_eq!(row["path"], name.as_str());
    }
    assert!(rows[3]["error"].as_str().unwrap().contains("missing-file"));
    assert!(rows[10]["error"].is_string(), "{}", rows[10]);
    let good: Vec<String> = names
        .iter()
        .filter(|n| *n != "missing-file" && *n != "d1")
        .cloned()
        .collect();
    let theirs = run(d.path(), "sha512sum", &good, &[]);
    let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
    let ours: Vec<String> = rows
        .iter()
        .filter(|r| r["digest"].is_string())
        .map(|r| {
            format!(
                "{}  {}",
                r["digest"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(ours.join("\n") + "\n", theirs);
    let sizes_ok = rows.iter().filter(|r| r["digest"].is_string()).all(|r| {
        let p = d.path().join(r["path"].as_str().unwrap());
        r["size"] == std::fs::metadata(p).unwrap().len()
    });
    assert!(sizes_ok);

    let zero = run(
        d.path(),
        vas,
        &["digest".into(), "--threads".into(), "0".into(), "x".into()],
        &[],
    );
    assert_eq!(zero.status.code(), Some(2), "--threads 0 is a usage error");
}
