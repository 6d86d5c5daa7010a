//! Integration tests of the safe package reader: hostile packages built here, and the
//! real SIPs of Vitam's test suite with the outcomes Vitam's tests assert.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::sip::{ContainerKind, Limits, SipReader};
use vas_core::{Error, ErrorKind};

const SIPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/vitam/sips");

// ---------- helpers that craft archives ----------

fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default().compression_method(method);
    for (n, d) in entries {
        z.start_file(*n, o).unwrap();
        z.write_all(d).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// Replaces every occurrence of `from` by `to` (same length) in `bytes`.
fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

fn tar_with(entries: &[(&[u8], tar::EntryType, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, ty, data) in entries {
        let mut h = tar::Header::new_gnu();
        {
            let g = h.as_gnu_mut().unwrap();
            g.name = [0; 100];
            g.name[..name.len()].copy_from_slice(name);
        }
        h.set_entry_type(*ty);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        if *ty == tar::EntryType::Symlink || *ty == tar::EntryType::Link {
            h.set_link_name("manifest.xml").unwrap();
        }
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn open(p: &Path) -> Result<SipReader, Error> {
    SipReader::open(p, Limits::default())
}

fn refused(p: &Path, limits: Limits) -> Error {
    match SipReader::open(p, limits) {
        Ok(mut r) => r
            .hash_all(DigestAlgorithm::Sha256)
            .err()
            .unwrap_or_else(|| panic!("{} was accepted", p.display())),
        Err(e) => e,
    }
}

const MANIFEST: &[u8] = b"<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.1\"/>";

// ---------- formats ----------

#[test]
fn reads_every_container_kind_alike() {
    let dir = tempfile::tempdir().unwrap();
    let files: &[(&str, &[u8])] = &[
        ("manifest.xml", MANIFEST),
        ("Content/a.txt", b"alpha"),
        ("Content/sub/b.bin", &[7u8; 10_000]),
    ];
    let tar = {
        let mut b = tar::Builder::new(Vec::new());
        for (n, d) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(d.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, format!("./{n}"), *d).unwrap();
        }
        b.into_inner().unwrap()
    };
    let tree = dir.path().join("tree");
    for (n, d) in files {
        let p = tree.join(n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, d).unwrap();
    }
    let cases = [
        (
            save(
                dir.path(),
                "a.bin",
                &zip_of(files, zip::CompressionMethod::Deflated),
            ),
            ContainerKind::Zip,
        ),
        (
            save(
                dir.path(),
                "b.zip",
                &zip_of(files, zip::CompressionMethod::Stored),
            ),
            ContainerKind::Zip,
        ),
        // The name lies: detection is by content.
        (save(dir.path(), "c.zip", &tar), ContainerKind::Tar),
        (save(dir.path(), "d.tar", &gz(&tar)), ContainerKind::TarGz),
        (save(dir.path(), "e", &bz2(&tar)), ContainerKind::TarBz2),
        (tree, ContainerKind::Directory),
    ];
    for (i, (p, kind)) in cases.into_iter().enumerate() {
        let mut r = open(&p).unwrap();
        assert_eq!(r.container_kind(), kind, "{}", p.display());
        assert_eq!(r.manifest_name(), Some("manifest.xml"));
        assert_eq!(r.manifest_bytes().unwrap(), MANIFEST);
        assert!(r.check_container().is_ok(), "{:?}", r.check_container());
        let mut names: Vec<_> = r.files().map(|e| e.name.clone()).collect();
        names.sort();
        assert_eq!(
            names,
            ["Content/a.txt", "Content/sub/b.bin", "manifest.xml"]
        );
        let mut got = r.hash_all(DigestAlgorithm::Sha512).unwrap();
        got.sort_by(|a, b| a.name.cmp(&b.name));
        for (d, (n, data)) in got.iter().zip([files[1], files[2], files[0]]) {
            assert_eq!(d.name, n);
            assert_eq!(d.size, data.len() as u64);
            assert_eq!(d.digest, digest_bytes(DigestAlgorithm::Sha512, data));
        }
        let mut seen = 0;
        r.for_each_object(|e, rd| {
            let mut v = Vec::new();
            rd.read_to_end(&mut v)?;
            assert_eq!(v.len() as u64, e.size);
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 2, "manifest excluded");
        let out = dir.path().join(format!("x-{i}"));
        r.extract_to(&out).unwrap();
        assert_eq!(std::fs::read(out.join("Content/a.txt")).unwrap(), b"alpha");
        // Extracting again into a non-empty destination is refused.
        assert_eq!(
            r.extract_to(&out).unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
    }
}

#[test]
fn zip_with_data_descriptors_reads() {
    // A streamed zip (no seek) uses data descriptors.
    let mut z = zip::ZipWriter::new_stream(Vec::new());
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("manifest.xml", o).unwrap();
    z.write_all(MANIFEST).unwrap();
    z.start_file("Content/x.txt", o).unwrap();
    z.write_all(&[b'x'; 5000]).unwrap();
    let bytes = z.finish().unwrap().into_inner();
    assert!(
        bytes.windows(4).any(|w| w == b"PK\x07\x08"),
        "has a data descriptor"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = save(dir.path(), "dd.zip", &bytes);
    let mut r = open(&p).unwrap();
    let d = r.hash_all(DigestAlgorithm::Md5).unwrap();
    assert_eq!(
        d[1].digest,
        digest_bytes(DigestAlgorithm::Md5, &[b'x'; 5000])
    );
}

// ---------- hostile packages ----------

#[test]
fn zip_slip_and_absolute_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (placeholder, evil) in [
        (&b"XX/evil.txt"[..], &b"../evil.txt"[..]),
        (b"Xetc/passwd", b"/etc/passwd"),
        (b"CX/win.txt", b"C:/win.txt"),
        (b"ContentXa.txt", b"Content\\a.txt"),
        (b"Content/XX/XX/x", b"Content/../../x"),
    ] {
        let name = std::str::from_utf8(placeholder).unwrap();
        let mut z = zip_of(
            &[("manifest.xml", MANIFEST), (name, b"pwned")],
            zip::CompressionMethod::Stored,
        );
        assert_eq!(
            patch(&mut z, placeholder, evil),
            2,
            "local + central header"
        );
        let p = save(dir.path(), "slip.zip", &z);
        let e = open(&p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsafe, "{e}");
        assert_eq!(
            e.context().path.as_deref(),
            Some(Path::new(std::str::from_utf8(evil).unwrap()))
        );
        assert_eq!(e.context().code.as_deref(), Some("STP_UPLOAD_SIP.KO"));
        std::fs::remove_file(&p).unwrap();
    }
    // Same in a tar.
    let t = tar_with(&[(b"../../evil.sh", tar::EntryType::Regular, b"x")]);
    let p = save(dir.path(), "slip.tar", &t);
    assert_eq!(open(&p).unwrap_err().kind(), ErrorKind::Unsafe);
    assert!(!dir.path().join("../evil.sh").exists());
}

#[test]
fn local_headers_must_agree_with_the_central_directory() {
    // Streaming readers see the local header's name: a zip whose local name escapes while
    // its central-directory name looks harmless is refused.
    let dir = tempfile::tempdir().unwrap();
    let mut z = zip_of(
        &[("manifest.xml", MANIFEST), ("Content/a.txt", b"x")],
        zip::CompressionMethod::Stored,
    );
    let at = z.windows(13).position(|w| w == b"Content/a.txt").unwrap();
    z[at..at + 13].copy_from_slice(b"../../evil.sh");
    let p = save(dir.path(), "mismatch.zip", &z);
    let e = open(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsafe, "{e}");
    assert_eq!(
        e.context().path.as_deref(),
        Some(Path::new("Content/a.txt")),
        "the central-directory name of the disagreeing entry"
    );
    // A local entry hidden outside the central directory.
    let hidden = zip_of(
        &[("hidden.sh", b"echo pwned")],
        zip::CompressionMethod::Stored,
    );
    let cd = hidden.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let visible = zip_of(
        &[("manifest.xml", MANIFEST)],
        zip::CompressionMethod::Stored,
    );
    let mut smuggled = hidden[..cd].to_vec();
    let base = smuggled.len() as u32;
    smuggled.extend_from_slice(&visible);
    // Shift the visible archive's offsets (central header and end record).
    let vcd = visible.windows(4).position(|w| w == b"PK\x01\x02").unwrap() + base as usize;
    let off = u32::from_le_bytes(smuggled[vcd + 42..vcd + 46].try_into().unwrap()) + base;
    smuggled[vcd + 42..vcd + 46].copy_from_slice(&off.to_le_bytes());
    let eocd = smuggled
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .unwrap();
    let cdo = u32::from_le_bytes(smuggled[eocd + 16..eocd + 20].try_into().unwrap()) + base;
    smuggled[eocd + 16..eocd + 20].copy_from_slice(&cdo.to_le_bytes());
    let p = save(dir.path(), "smuggled.zip", &smuggled);
    let e = open(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsafe, "{e}");
}

#[test]
fn links_and_devices_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (ty, what) in [
        (tar::EntryType::Symlink, "symbolic link"),
        (tar::EntryType::Link, "hard link"),
        (tar::EntryType::Fifo, "fifo"),
    ] {
        let t = tar_with(&[
            (b"manifest.xml", tar::EntryType::Regular, MANIFEST),
            (b"Content/link", ty, b""),
        ]);
        for (n, bytes) in [("l.tar", t.clone()), ("l.tgz", gz(&t))] {
            let p = save(dir.path(), n, &bytes);
            let e = open(&p).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsafe, "{what}: {e}");
            assert!(e.to_string().contains(what), "{e}");
            assert_eq!(e.context().path.as_deref(), Some(Path::new("Content/link")));
        }
    }
    // A symlink in a zip.
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("manifest.xml", o).unwrap();
    z.write_all(MANIFEST).unwrap();
    z.add_symlink("Content/passwd", "/etc/passwd", o).unwrap();
    let p = save(dir.path(), "link.zip", &z.finish().unwrap().into_inner());
    assert_eq!(open(&p).unwrap_err().kind(), ErrorKind::Unsafe);
    // A symlink in a directory package.
    #[cfg(unix)]
    {
        let tree = dir.path().join("tree");
        std::fs::create_dir_all(tree.join("Content")).unwrap();
        std::fs::write(tree.join("manifest.xml"), MANIFEST).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", tree.join("Content/passwd")).unwrap();
        let e = open(&tree).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsafe);
        assert_eq!(
            e.context().path.as_deref(),
            Some(Path::new("Content/passwd"))
        );
    }
}

#[test]
fn duplicate_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = zip_of(
        &[
            ("manifest.xml", MANIFEST),
            ("Content/a.txt", b"1"),
            ("Content/b.txt", b"2"),
        ],
        zip::CompressionMethod::Stored,
    );
    patch(&mut z, b"Content/b.txt", b"Content/a.txt");
    let p = save(dir.path(), "dup.zip", &z);
    let e = open(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsafe, "{e}");
    assert_eq!(
        e.context().path.as_deref(),
        Some(Path::new("Content/a.txt"))
    );

    let t = tar_with(&[
        (b"manifest.xml", tar::EntryType::Regular, MANIFEST),
        (b"Content/a.txt", tar::EntryType::Regular, b"1"),
        (b"Content/a.txt", tar::EntryType::Regular, b"2"),
    ]);
    let p = save(dir.path(), "dup.tar", &t);
    let e = open(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsafe);
    assert_eq!(
        e.context().path.as_deref(),
        Some(Path::new("Content/a.txt"))
    );

    // A file that is also used as a directory.
    let t = tar_with(&[
        (b"manifest.xml", tar::EntryType::Regular, MANIFEST),
        (b"Content/a", tar::EntryType::Regular, b"1"),
        (b"Content/a/b", tar::EntryType::Regular, b"2"),
    ]);
    let p = save(dir.path(), "fd.tar", &t);
    assert_eq!(open(&p).unwrap_err().kind(), ErrorKind::Unsafe);
}

#[test]
fn names_that_are_not_utf8_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let t = tar_with(&[
        (b"manifest.xml", tar::EntryType::Regular, MANIFEST),
        (b"Content/caf\xe9.txt", tar::EntryType::Regular, b"latin-1"),
    ]);
    let p = save(dir.path(), "latin1.tar", &t);
    let e = open(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("UTF-8"), "{e}");
    assert!(e.context().path.is_some());
    // A zip name in a legacy code page (no UTF-8 flag, bytes that are not UTF-8).
    let mut z = zip_of(
        &[("manifest.xml", MANIFEST), ("Content/cafX.txt", b"x")],
        zip::CompressionMethod::Stored,
    );
    assert_eq!(
        patch(&mut z, b"Content/cafX.txt", b"Content/caf\x82.txt"),
        2
    );
    let p = save(dir.path(), "cp850.zip", &z);
    let e = open(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

#[test]
fn decompression_bombs_are_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 8 << 20];
    let small = Limits {
        max_ratio: 100,
        ratio_threshold: 1 << 20,
        ..Limits::default()
    };
    // Zip: the declared ratio is refused at opening.
    let z = zip_of(
        &[("manifest.xml", MANIFEST), ("Content/zeros", &zeros)],
        zip::CompressionMethod::Deflated,
    );
    let p = save(dir.path(), "bomb.zip", &z);
    let e = refused(&p, small.clone());
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert_eq!(
        e.context().path.as_deref(),
        Some(Path::new("Content/zeros"))
    );
    // Total size.
    let e = refused(
        &p,
        Limits {
            max_total_size: 1 << 20,
            ..Limits::default()
        },
    );
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    // A zip whose headers lie about the size: caught on the bytes produced.
    let mut lying = z.clone();
    let real = (zeros.len() as u32).to_le_bytes();
    assert_eq!(patch(&mut lying, &real, &100u32.to_le_bytes()), 2);
    let p2 = save(dir.path(), "lying.zip", &lying);
    let e = refused(&p2, Limits::default());
    assert!(
        matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::LimitExceeded),
        "{e:?}"
    );
    // tar.gz: the stream ratio is checked while decompressing.
    let t = tar_with(&[
        (b"manifest.xml", tar::EntryType::Regular, MANIFEST),
        (b"Content/zeros", tar::EntryType::Regular, &zeros),
    ]);
    let p = save(dir.path(), "bomb.tgz", &gz(&t));
    assert_eq!(refused(&p, small.clone()).kind(), ErrorKind::LimitExceeded);
    let p = save(dir.path(), "bomb.tbz2", &bz2(&t));
    assert_eq!(refused(&p, small).kind(), ErrorKind::LimitExceeded);
    // Entry count.
    let many: Vec<(String, Vec<u8>)> = (0..50).map(|i| (format!("Content/{i}"), vec![])).collect();
    let refs: Vec<(&str, &[u8])> = many
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let p = save(
        dir.path(),
        "many.zip",
        &zip_of(&refs, zip::CompressionMethod::Stored),
    );
    let e = refused(
        &p,
        Limits {
            max_entries: 10,
            ..Limits::default()
        },
    );
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    // Manifest size.
    let z = zip_of(
        &[("manifest.xml", &[b' '; 5000])],
        zip::CompressionMethod::Stored,
    );
    let p = save(dir.path(), "bigmanifest.zip", &z);
    let mut r = SipReader::open(
        &p,
        Limits {
            max_manifest_size: 1000,
            ..Limits::default()
        },
    )
    .unwrap();
    assert_eq!(
        r.manifest_bytes().unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
}

#[test]
fn overlapping_zip_entries_are_refused() {
    // Two central-directory records pointing at the same local entry ("better zip bomb").
    let dir = tempfile::tempdir().unwrap();
    let z = zip_of(
        &[("manifest.xml", MANIFEST), ("Content/a.txt", b"aaaa")],
        zip::CompressionMethod::Stored,
    );
    // Rebuild the central directory with the second record duplicated under a new name.
    let cd = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    let eocd = z.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    let second = cd
        + z[cd..]
            .windows(4)
            .skip(4)
            .position(|w| w == b"PK\x01\x02")
            .unwrap()
        + 4;
    let mut rec = z[second..eocd].to_vec();
    patch(&mut rec, b"Content/a.txt", b"Content/b.txt");
    let mut out = z[..eocd].to_vec();
    out.extend_from_slice(&rec);
    let mut end = z[eocd..].to_vec();
    let n = u16::from_le_bytes([end[10], end[11]]) + 1;
    end[8..10].copy_from_slice(&n.to_le_bytes());
    end[10..12].copy_from_slice(&n.to_le_bytes());
    let size = u32::from_le_bytes([end[12], end[13], end[14], end[15]]) + rec.len() as u32;
    end[12..16].copy_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&end);
    let p = save(dir.path(), "overlap.zip", &out);
    let e = refused(&p, Limits::default());
    assert_eq!(e.kind(), ErrorKind::Unsafe, "{e:?}");
    let named = e.context().path.as_deref().unwrap();
    assert!(
        named == Path::new("Content/a.txt") || named == Path::new("Content/b.txt"),
        "{named:?}"
    );
}

#[test]
fn nested_archives_are_not_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 2 << 20];
    let inner = zip_of(&[("zeros", &zeros)], zip::CompressionMethod::Deflated);
    let outer = zip_of(
        &[("manifest.xml", MANIFEST), ("Content/inner.zip", &inner)],
        zip::CompressionMethod::Stored,
    );
    let p = save(dir.path(), "nested.zip", &outer);
    let mut r = open(&p).unwrap();
    let d = r.hash_all(DigestAlgorithm::Sha256).unwrap();
    assert_eq!(d[1].size, inner.len() as u64);
    assert_eq!(d[1].digest, digest_bytes(DigestAlgorithm::Sha256, &inner));
}

#[test]
fn truncated_and_damaged_archives_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let files: &[(&str, &[u8])] = &[("manifest.xml", MANIFEST), ("Content/d.bin", &data)];
    // Truncated zip: no end of central directory.
    let z = zip_of(files, zip::CompressionMethod::Deflated);
    let p = save(dir.path(), "trunc.zip", &z[..z.len() - 40]);
    assert_eq!(refused(&p, Limits::default()).kind(), ErrorKind::Corrupt);
    // Wrong CRC: one stored byte flipped; detected when the entry is read.
    let mut z = zip_of(files, zip::CompressionMethod::Stored);
    let at = z.windows(8).position(|w| w == &data[1000..1008]).unwrap();
    z[at] ^= 0xff;
    let p = save(dir.path(), "crc.zip", &z);
    let mut r = open(&p).unwrap();
    let e = r.hash_all(DigestAlgorithm::Sha512).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e:?}");
    assert_eq!(
        e.context().path.as_deref(),
        Some(Path::new("Content/d.bin"))
    );
    // Extracting it fails and leaves nothing behind.
    let out = dir.path().join("crc-out");
    assert_eq!(r.extract_to(&out).unwrap_err().kind(), ErrorKind::Corrupt);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    // Truncated tar (mid-entry), tar.gz and tar.bz2.
    let mut b = tar::Builder::new(Vec::new());
    for (n, d) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(d.len() as u64);
        b.append_data(&mut h, n, *d).unwrap();
    }
    let t = b.into_inner().unwrap();
    let p = save(dir.path(), "trunc.tar", &t[..t.len() / 2]);
    assert_eq!(refused(&p, Limits::default()).kind(), ErrorKind::Corrupt);
    let g = gz(&t);
    let p = save(dir.path(), "trunc.tgz", &g[..g.len() / 2]);
    assert_eq!(refused(&p, Limits::default()).kind(), ErrorKind::Corrupt);
    let mut g2 = g.clone();
    let n = g2.len();
    g2[n - 6] ^= 0xff; // gzip CRC32 trailer
    let p = save(dir.path(), "crc.tgz", &g2);
    assert_eq!(refused(&p, Limits::default()).kind(), ErrorKind::Corrupt);
    let bz = bz2(&t);
    let p = save(dir.path(), "trunc.tbz2", &bz[..bz.len() / 2]);
    assert_eq!(refused(&p, Limits::default()).kind(), ErrorKind::Corrupt);
    // gzip of something that is not a tar.
    let p = save(dir.path(), "notar.gz", &gz(b"hello world"));
    let e = refused(&p, Limits::default());
    assert_eq!(
        e.context().code.as_deref(),
        Some("CHECK_CONTAINER.KO"),
        "{e:?}"
    );
    // Random bytes.
    let p = save(dir.path(), "random.zip", b"this is not an archive");
    assert_eq!(
        refused(&p, Limits::default()).kind(),
        ErrorKind::Unsupported
    );
}

#[test]
fn container_rules_report_vitam_codes() {
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, files: &[(&str, &[u8])]| -> Vec<&'static str> {
        let p = save(
            dir.path(),
            name,
            &zip_of(files, zip::CompressionMethod::Stored),
        );
        open(&p).unwrap().check_container().codes()
    };
    assert!(case("ok.zip", &[("manifest.xml", MANIFEST), ("content/a", b"")]).is_empty());
    assert_eq!(
        case(
            "two.zip",
            &[("manifest.xml", MANIFEST), ("other.txt", b"x")]
        ),
        ["CHECK_SEDA.CONTAINER_FORMAT.FILE.KO"]
    );
    assert_eq!(
        case("dir.zip", &[("manifest.xml", MANIFEST), ("Data/a", b"x")]),
        ["CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO"]
    );
    assert_eq!(
        case(
            "name.zip",
            &[("bordereau.xml", MANIFEST), ("Content/a", b"x")]
        ),
        ["MANIFEST_FILE_NAME_CHECK.KO"]
    );
    assert_eq!(
        case("none.zip", &[("Content/a", b"x")]),
        ["CHECK_SEDA.NO_FILE.KO"]
    );
    assert_eq!(
        case(
            "space.zip",
            &[("manifest.xml", MANIFEST), ("Content/a b.pdf", b"x")]
        ),
        ["STP_UPLOAD_SIP.KO"]
    );
}

// ---------- Vitam's own SIPs ----------

/// What Vitam's tests assert for the container-level checks of each file.
enum Expect {
    /// Refused at opening with this code.
    Refused(&'static str),
    /// Opens; `verify` reports exactly these KO codes.
    Ko(&'static [&'static str]),
}

#[test]
fn vitam_sips_give_the_outcomes_vitam_asserts() {
    use Expect::*;
    let table: &[(&str, Expect)] = &[
        (
            "workspace_workspace-common/SIP_KO_PathTraversalInFileName.zip",
            Refused("STP_UPLOAD_SIP.KO"),
        ),
        (
            "workspace_workspace-common/SIP_KO_BackSlashInFileName.zip",
            Refused("STP_UPLOAD_SIP.KO"),
        ),
        (
            "workspace_workspace-common/SIP_KO_PlusSignInFileName.zip",
            Ko(&["STP_UPLOAD_SIP.KO"]),
        ),
        (
            "workspace_workspace-common/SIP_OK_AtSignInFileName.zip",
            Ko(&[]),
        ),
        ("workspace_workspace-common/SIP_OK_SubFolders.zip", Ko(&[])),
        (
            "workspace_workspace-common/empty_zip.zip",
            Refused("UPLOAD_SIP.KO"),
        ),
        (
            "ingest_ingest-external_ingest-external-core/$_manifest.xml_KO.zip",
            Ko(&["MANIFEST_FILE_NAME_CHECK.KO", "STP_UPLOAD_SIP.KO"]),
        ),
        (
            "ingest_ingest-external_ingest-external-core/toto_manifest.xml_OK.zip",
            Ko(&[]),
        ),
        (
            "ingest_ingest-external_ingest-external-core/toto-manifest.xml_OK.zip",
            Ko(&[]),
        ),
        (
            "ingest_ingest-external_ingest-external-core/_manifest.xml_OK.zip",
            Ko(&[]),
        ),
        (
            "integration-test_integration-processing/SIP_no_manifest.zip",
            Ko(&["CHECK_SEDA.NO_FILE.KO"]),
        ),
        (
            "integration-test_integration-processing/KO_SIP_INSUPPORTED_SEDA_VERSION.zip",
            Ko(&["CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO"]),
        ),
        (
            "integration-test_integration-processing/SIP_Conformity_KO.zip",
            Ko(&["CHECK_DIGEST.INVALID.KO"]),
        ),
        (
            "integration-test_integration-ingest-internal/SIP_Conformity_KO.zip",
            Ko(&["CHECK_DIGEST.INVALID.KO"]),
        ),
        (
            "integration-test_integration-ingest-internal/SIP-ingest-internal-Content-KO.zip",
            Ko(&[
                "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.INVALID_URI.KO",
                "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.MANIFEST_INFERIOR_BDO.KO",
                "CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO",
                "STP_UPLOAD_SIP.KO",
            ]),
        ),
        ("integration-test_integration-processing/SIP.tar", Ko(&[])),
        (
            "integration-test_integration-ingest-internal/SIP_INCORRECT_ALGORITHM.zip",
            Ko(&["CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALIDE_ALGO.KO"]),
        ),
        (
            "integration-test_integration-ingest-internal/KO_ArchivesPhysiques_BinaryInPhysical.zip",
            Ko(&[
                "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.PDO_DATAOBJECTIONVERSION_BINARYMASTER.KO",
            ]),
        ),
        (
            "integration-test_integration-ingest-internal/KO_ArchivesPhysiques_PhysicalInBinary.zip",
            Ko(&[
                "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.BDO_DATAOBJECTIONVERSION_PHYSICALMASTER.KO",
            ]),
        ),
        (
            "integration-test_integration-ingest-internal/KO_ArchivesPhysiques_EmptyPhysicalId.zip",
            Ko(&[
                "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.EMPTY_REQUIRED_FIELD.KO",
            ]),
        ),
    ];
    for (rel, expect) in table {
        let p = Path::new(SIPS).join(rel);
        match (SipReader::open(&p, Limits::default()), expect) {
            (Err(e), Refused(code)) => {
                assert_eq!(e.context().code.as_deref(), Some(*code), "{rel}: {e}");
            }
            (Ok(mut r), Ko(codes)) => {
                let rep = r.verify().unwrap();
                let got: Vec<_> = rep
                    .check
                    .errors()
                    .map(|v| v.code)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                assert_eq!(got, *codes, "{rel}");
            }
            (Ok(_), Refused(c)) => panic!("{rel}: opened, expected refusal {c}"),
            (Err(e), Ko(_)) => panic!("{rel}: refused: {e}"),
        }
    }
    // KO_SIP_INCORRECT_OBJECT_SIZE: Vitam asserts CHECK_OBJECT_SIZE.WARNING, and only that.
    let mut r = open(
        &Path::new(SIPS)
            .join("integration-test_integration-processing/KO_SIP_INCORRECT_OBJECT_SIZE.zip"),
    )
    .unwrap();
    let rep = r.verify().unwrap();
    assert!(rep.check.is_ok());
    assert_eq!(rep.check.codes(), ["CHECK_OBJECT_SIZE.WARNING"]);
}

#[test]
fn every_sip_vitam_ingests_passes_our_package_checks() {
    // Oracle: EXPECTED.json lists the SIPs Vitam's ingest tests end with OK or WARNING.
    // Every container, Uri and digest check of ours must pass on them.
    let exp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(SIPS).join("EXPECTED.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    let mut digests = 0;
    for item in exp.as_array().unwrap() {
        let wf = item["workflow"].as_str().unwrap_or("");
        let fin = item["final"].as_str().unwrap_or("");
        let ingest = wf.starts_with("DEFAULT_WORKFLOW")
            || wf.starts_with("HOLDING_SCHEME")
            || wf.starts_with("FILING_SCHEME");
        if !ingest || !(fin == "OK" || fin == "WARNING") {
            continue;
        }
        let rel = item["sip"].as_str().unwrap();
        let mut r = open(&Path::new(SIPS).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let rep = r.verify().unwrap();
        assert!(rep.check.is_ok(), "{rel}: {:?}", rep.check.violations);
        checked += 1;
        digests += rep.digests_ok;
    }
    assert!(checked >= 50, "only {checked} SIPs checked");
    assert!(digests >= 100, "only {digests} digests verified");
}

#[test]
fn every_vitam_sip_opens_or_is_refused_with_a_code() {
    let mut n = 0;
    for d in std::fs::read_dir(SIPS).unwrap() {
        let d = d.unwrap().path();
        if !d.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&d).unwrap() {
            let f = f.unwrap().path();
            n += 1;
            match SipReader::open(&f, Limits::default()) {
                Ok(mut r) => {
                    r.hash_all(DigestAlgorithm::Sha512).unwrap();
                }
                Err(e) => assert!(e.context().code.is_some(), "{}: {e}", f.display()),
            }
        }
    }
    assert!(n >= 130, "{n}");
}

#[test]
fn manifest_digest_matches_the_one_vitam_tests_send() {
    // IngestExternalImplTest uploads toto_manifest.xml_OK.zip with the manifest's SHA-512;
    // EXPECTED.json records it as "fcfa0fdd...4efa".
    let exp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(SIPS).join("EXPECTED.json")).unwrap())
            .unwrap();
    let item = exp
        .as_array()
        .unwrap()
        .iter()
        .find(|x| {
            x["sip"]
                .as_str()
                .unwrap()
                .ends_with("/toto_manifest.xml_OK.zip")
        })
        .unwrap();
    let notes = item["notes"].as_str().unwrap();
    let re = regex::Regex::new(r"SHA-512 digest ([0-9a-f]+)\.\.\.([0-9a-f]+)").unwrap();
    let c = re.captures(notes).unwrap();
    let mut r = open(&Path::new(SIPS).join(item["sip"].as_str().unwrap())).unwrap();
    let name = r.manifest_name().unwrap().to_string();
    let d = r.hash_all(DigestAlgorithm::Sha512).unwrap();
    let m = d.iter().find(|x| x.name == name).unwrap();
    assert!(
        m.digest.starts_with(&c[1]) && m.digest.ends_with(&c[2]),
        "{}",
        m.digest
    );
}
