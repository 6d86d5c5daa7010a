//! Property tests: arbitrary bytes and names never make the reader panic or accept an
//! escaping name; whatever the writer accepts, the reader reads back identically.

use std::io::Cursor;

use proptest::prelude::*;
use vas_core::ErrorKind;
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::sip::{Limits, PackageFormat, PackageWriter, SipReader, WriterOptions};

fn name_strategy() -> impl Strategy<Value = String> {
    // Mostly plausible names, with the characters that matter for safety mixed in.
    proptest::collection::vec(
        prop_oneof![
            "[A-Za-z0-9_@-]{1,8}",
            Just("..".to_string()),
            Just(".".to_string()),
            Just("".to_string()),
            Just("C:".to_string()),
            Just("a\\b".to_string()),
            Just("é ü".to_string()),
        ],
        1..5,
    )
    .prop_map(|parts| parts.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Random bytes (possibly starting with an archive magic) never panic the reader.
    #[test]
    fn random_bytes_never_panic(
        magic in prop_oneof![
            Just(b"PK\x03\x04".to_vec()),
            Just(vec![0x1f, 0x8b]),
            Just(b"BZh9".to_vec()),
            Just(Vec::new()),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        let mut bytes = magic;
        bytes.extend_from_slice(&body);
        std::fs::write(&p, &bytes).unwrap();
        if let Ok(mut r) = SipReader::open(&p, Limits::default()) {
            let _ = r.hash_all(DigestAlgorithm::Md5);
            let _ = r.verify();
        }
    }

    /// Valid packages with random bytes flipped never panic the reader, and whatever it
    /// accepts it reads within the limits.
    #[test]
    fn damaged_packages_never_panic(
        fmt in prop_oneof![Just(PackageFormat::Zip), Just(PackageFormat::Tar), Just(PackageFormat::TarGz)],
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut w = PackageWriter::new(Cursor::new(Vec::new()), WriterOptions::new(fmt)).unwrap();
        w.add_bytes("manifest.xml", b"<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.1\"><DataObjectPackage><BinaryDataObject id=\"B\"><Uri>Content/a.txt</Uri><MessageDigest algorithm=\"SHA-512\">00</MessageDigest></BinaryDataObject></DataObjectPackage></ArchiveTransfer>").unwrap();
        w.add_bytes("Content/a.txt", &[b'a'; 3000]).unwrap();
        w.add_bytes("Content/b/c.txt", b"c").unwrap();
        let mut bytes = w.finish().unwrap().into_inner();
        for (i, v) in flips {
            let at = i.index(bytes.len());
            bytes[at] ^= v | 1;
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, &bytes).unwrap();
        if let Ok(mut r) = SipReader::open(&p, Limits::default()) {
            let _ = r.hash_all(DigestAlgorithm::Sha512);
            let _ = r.verify();
            let _ = r.extract_to(dir.path().join("out"));
        }
        // Nothing was written outside the temporary directory's own subfolders.
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let n = e.unwrap().file_name();
            prop_assert!(n == "x" || n == "out", "{:?}", n);
        }
    }

    /// A name the writer accepts is read back unchanged and never escapes; a name with a
    /// `..`, `.` or empty component, a drive letter or a backslash is refused.
    #[test]
    fn names_round_trip_or_are_refused(name in name_strategy(), data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let parts: Vec<&str> = name.split('/').collect();
        let hostile = parts.iter().any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains(':'))
            || name.contains('\\');
        for fmt in [PackageFormat::Zip, PackageFormat::Tar] {
            let mut w = PackageWriter::new(Cursor::new(Vec::new()), WriterOptions::new(fmt)).unwrap();
            let res = w.add_bytes(&name, &data);
            if hostile {
                prop_assert!(res.is_err(), "{name:?} accepted");
                continue;
            }
            let written = res.unwrap();
            let bytes = w.finish().unwrap().into_inner();
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("pkg");
            std::fs::write(&p, &bytes).unwrap();
            let mut r = SipReader::open(&p, Limits::default()).unwrap();
            let d = r.hash_all(DigestAlgorithm::Sha256).unwrap();
            prop_assert_eq!(d.len(), 1);
            prop_assert_eq!(&d[0].name, &name);
            prop_assert_eq!(d[0].size, data.len() as u64);
            prop_assert_eq!(&d[0].digest, &digest_bytes(DigestAlgorithm::Sha256, &data));
            prop_assert_eq!(written.size, data.len() as u64);
            // Extraction stays inside the destination.
            let out = dir.path().join("out");
            r.extract_to(&out).unwrap();
            prop_assert!(out.join(&name).is_file());
        }
    }

    /// Tar entries with hostile names are refused whatever the rest of the name.
    #[test]
    fn hostile_tar_names_are_refused(suffix in "[a-z]{0,5}", evil in prop_oneof![
        Just("../x"), Just("/abs"), Just("a/../../x"), Just("C:/x"), Just("a\\..\\x"),
    ]) {
        let name = format!("{evil}{suffix}");
        let mut h = tar::Header::new_gnu();
        {
            let g = h.as_gnu_mut().unwrap();
            g.name = [0; 100];
            g.name[..name.len()].copy_from_slice(name.as_bytes());
        }
        h.set_size(1);
        h.set_mode(0o644);
        h.set_cksum();
        let mut b = tar::Builder::new(Vec::new());
        b.append(&h, &b"x"[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.tar");
        std::fs::write(&p, &bytes).unwrap();
        let e = SipReader::open(&p, Limits::default()).unwrap_err();
        prop_assert_eq!(e.kind(), ErrorKind::Unsafe, "{}: {}", name, e);
    }
}
