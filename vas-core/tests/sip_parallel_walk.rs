//! The folder walk of `vas sip build` / `SipBuilder::import_folder` lists the folders on
//! several threads ahead of the walk when rayon's pool has more than one: the units come
//! in the same order, the package is the same byte for byte, and a folder that cannot be
//! imported gives the same error (the first one in the walk's order) as on one thread.
#![cfg(feature = "cli")]

use std::path::Path;
use std::process::Command;

use vas_core::seda::SedaVersion;
use vas_core::sip::{FolderImportOptions, SipBuilder};

fn vas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vas"))
}

/// A tree with awkward names (spaces, accents, case, punctuation that sorts between
/// letters, digits of several widths), deep folders, empty folders, hidden files and
/// folders, ReSIP objects (`__USAGE_N__`), a `##group##` folder, a sidecar and links.
fn awkward_tree(root: &Path) {
    let names = [
        "a", "a b", "a-b", "a.b", "a_b", "A", "B", "ab", "a0", "a10", "a9", "é", "e", "z", "Z é x",
        "~tilde", "(par)", "[br]", "x+y", "10", "9", "ÿ", "日本",
    ];
    for (i, d) in names.iter().enumerate() {
        let dir = root.join(d);
        std::fs::create_dir_all(&dir).unwrap();
        for (j, f) in names.iter().enumerate().filter(|(j, _)| (i + j) % 3 == 0) {
            let data = format!("<doc n=\"{i}-{j}\">{f} dans {d}</doc>\n").repeat(1 + j * 5);
            std::fs::write(dir.join(format!("{f}.xml")), data).unwrap();
        }
        if i % 4 == 0 {
            // Deeper folders.
            let deep = dir.join("sous dossier").join(d).join("n3");
            std::fs::create_dir_all(&deep).unwrap();
            std::fs::write(deep.join("fin.txt"), format!("{d} profond\n")).unwrap();
            std::fs::write(deep.join("Fin.txt"), format!("{d} PROFOND\n")).unwrap();
        }
        if i % 5 == 0 {
            std::fs::create_dir_all(dir.join("vide")).unwrap();
            std::fs::write(dir.join(".cache"), b"hidden").unwrap();
            std::fs::create_dir_all(dir.join(".git").join("objects")).unwrap();
            std::fs::write(dir.join(".git").join("objects").join("x"), b"h").unwrap();
        }
    }
    let minutes = root.join("a b").join("Minutes");
    std::fs::create_dir_all(minutes.join("##lettre##")).unwrap();
    std::fs::write(minutes.join("2024-01.pdf"), b"%PDF-1.4\n%%EOF\n").unwrap();
    std::fs::write(minutes.join("__Dissemination_1__minutes.txt"), b"text").unwrap();
    std::fs::write(minutes.join("##lettre##").join("p1.txt"), b"page 1").unwrap();
    std::fs::write(minutes.join("##lettre##").join("p2.txt"), b"page 2").unwrap();
    std::fs::write(
        minutes.join("__ArchiveUnitMetadata.xml"),
        "<ArchiveUnit><Content><DescriptionLevel>File</DescriptionLevel>\
         <Title>Procès-verbaux</Title></Content></ArchiveUnit>",
    )
    .unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../a b/Minutes", root.join("z").join("lien")).unwrap();
        std::os::unix::fs::symlink("../a/a.xml", root.join("e").join("lien.xml")).unwrap();
    }
}

/// `import_folder` in a pool of `threads` threads: the units (by path) and their count.
fn imported(root: &Path, threads: usize) -> (Vec<(String, String)>, usize, usize) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut b = SipBuilder::new(SedaVersion::V2_3);
        let imp = b
            .import_folder(root, None, &FolderImportOptions::default())
            .unwrap();
        let units = imp
            .units
            .iter()
            .map(|(path, id)| (path.clone(), format!("{id:?}")))
            .collect();
        (units, b.unit_count(), b.object_count())
    })
}

fn build(src: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    vas()
        .args(["sip", "build"])
        .arg(src)
        .arg("-o")
        .arg(out)
        .arg("--deterministic")
        .args(extra)
        .env_remove("RAYON_NUM_THREADS")
        .output()
        .unwrap()
}

#[test]
fn parallel_walk_gives_the_serial_order_and_package() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    awkward_tree(&src);
    let one = imported(&src, 1);
    assert!(
        one.1 > 200 && one.2 > 150,
        "{} units, {} objects",
        one.1,
        one.2
    );
    for threads in [2, 3, 8] {
        assert!(imported(&src, threads) == one, "{threads} threads");
    }
    for (k, extra) in [&[][..], &["--no-identify"][..], &["--include-hidden"][..]]
        .into_iter()
        .enumerate()
    {
        let mut first: Option<Vec<u8>> = None;
        for threads in ["1", "2", "3"] {
            let out = dir.path().join(format!("out-{k}-{threads}.zip"));
            let mut args = extra.to_vec();
            args.extend(["--threads", threads]);
            let r = build(&src, &out, &args);
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            let bytes = std::fs::read(&out).unwrap();
            match &first {
                None => first = Some(bytes),
                Some(f) => assert!(*f == bytes, "{extra:?} --threads {threads} differs"),
            }
        }
    }
}

/// Runs a build that must fail with `--threads 1` and `2`: the same exit code and message.
fn same_failure(src: &Path, out_dir: &Path, what: &str) -> String {
    let mut seen: Option<(Option<i32>, String)> = None;
    for threads in ["1", "2", "3"] {
        let out = out_dir.join(format!("fail-{what}-{threads}.zip"));
        let r = build(src, &out, &["--threads", threads]);
        assert!(
            !r.status.success(),
            "{what}: built with --threads {threads}"
        );
        assert!(!out.exists(), "{what}: a package was left behind");
        let got = (
            r.status.code(),
            String::from_utf8_lossy(&r.stderr).into_owned(),
        );
        match &seen {
            None => seen = Some(got),
            Some(s) => assert_eq!(*s, got, "{what}: --threads {threads} fails otherwise"),
        }
    }
    seen.unwrap().1
}

#[cfg(unix)]
#[test]
fn parallel_walk_reports_the_first_error_in_walk_order() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for d in ["a", "b", "c", "d", "e"] {
        let sub = src.join(d).join("inner");
        std::fs::create_dir_all(&sub).unwrap();
        for i in 0..30 {
            std::fs::write(sub.join(format!("f{i}.txt")), format!("{d}{i}\n")).unwrap();
        }
    }
    // A name that is not UTF-8 deep in `b`, a FIFO in `d`: the walk meets `b` first.
    std::fs::write(
        src.join("b")
            .join("inner")
            .join(std::ffi::OsStr::from_bytes(b"bad\xff.txt")),
        b"x",
    )
    .unwrap();
    let fifo = src.join("d").join("inner").join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let msg = same_failure(&src, dir.path(), "utf8");
    assert!(msg.contains("not valid UTF-8"), "{msg}");
    assert!(msg.contains("/b/inner/"), "{msg}");
    // Without the bad name, the FIFO is the first error.
    for e in std::fs::read_dir(src.join("b").join("inner")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().as_bytes().starts_with(b"bad") {
            std::fs::remove_file(p).unwrap();
        }
    }
    if made.is_ok_and(|s| s.success()) {
        let msg = same_failure(&src, dir.path(), "fifo");
        assert!(msg.contains("special file"), "{msg}");
        std::fs::remove_file(&fifo).unwrap();
    }
    // A dangling link in `c`.
    std::os::unix::fs::symlink("nowhere", src.join("c").join("inner").join("lost")).unwrap();
    let msg = same_failure(&src, dir.path(), "dangling");
    assert!(msg.contains("dangling link"), "{msg}");
    std::fs::remove_file(src.join("c").join("inner").join("lost")).unwrap();
    // A folder that cannot be listed (not when running as root, who reads it anyway).
    use std::os::unix::fs::PermissionsExt;
    let locked = src.join("e").join("inner");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_err() {
        let msg = same_failure(&src, dir.path(), "locked");
        assert!(msg.contains("/e/inner"), "{msg}");
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    // And the tree builds once nothing is wrong.
    let r = build(&src, &dir.path().join("ok.zip"), &["--threads", "2"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
}

/// A file removed between the walk and the writing: the same error whatever the number
/// of threads (the walk listed it ahead or not).
#[test]
fn file_gone_after_the_walk_fails_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for d in ["a", "b"] {
        std::fs::create_dir_all(src.join(d)).unwrap();
        for i in 0..40 {
            std::fs::write(
                src.join(d).join(format!("f{i:02}.txt")),
                vec![b'x'; 100 + i],
            )
            .unwrap();
        }
    }
    let mut errors = Vec::new();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let gone = src.join("b").join("f07.txt");
        let e = pool.install(|| {
            let mut b = SipBuilder::new(SedaVersion::V2_3);
            b.archival_agency("AA").transferring_agency("TA");
            b.import_folder(&src, None, &FolderImportOptions::default())
                .unwrap();
            let keep = std::fs::read(&gone).unwrap();
            std::fs::remove_file(&gone).unwrap();
            let out = dir.path().join(format!("gone-{threads}.zip"));
            let mut opts = vas_core::sip::BuildOptions::new(vas_core::sip::WriterOptions::new(
                vas_core::sip::PackageFormat::Zip,
            ));
            opts.manifest_last = true;
            let e = b.write_to_file(&out, opts).unwrap_err();
            std::fs::write(&gone, keep).unwrap();
            assert!(!out.exists());
            e
        });
        errors.push((e.kind(), e.to_string()));
    }
    assert_eq!(errors[0].0, vas_core::ErrorKind::NotFound, "{errors:?}");
    assert!(errors[0].1.contains("f07.txt"), "{errors:?}");
    assert!(errors.iter().all(|e| *e == errors[0]), "{errors:?}");
}

/// More entries than the lister holds ahead of the walk (it waits for the walk to take
/// listings), folders inside a `##group##` folder (listed by nobody: the walk ignores
/// them), and one folder larger than the limit on its own: the same units as on one
/// thread.
#[test]
fn parallel_walk_of_more_entries_than_listed_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    for d in 0..24 {
        let sub = src.join(format!("d{d:02}")).join(format!("s{}", d % 5));
        std::fs::create_dir_all(&sub).unwrap();
        let n = if d == 7 { 2600 } else { 110 };
        for i in 0..n {
            std::fs::write(sub.join(format!("f{i}.txt")), b"x").unwrap();
        }
        if d % 6 == 0 {
            let group = src.join(format!("d{d:02}")).join("##pièces##");
            std::fs::create_dir_all(group.join("ignoré").join("plus bas")).unwrap();
            std::fs::write(group.join("p1.txt"), b"page").unwrap();
            std::fs::write(group.join("ignoré").join("q.txt"), b"q").unwrap();
        }
    }
    let one = imported(&src, 1);
    assert!(one.1 > 5000, "{} units", one.1);
    for threads in [2, 4] {
        assert!(imported(&src, threads) == one, "{threads} threads");
    }
}
