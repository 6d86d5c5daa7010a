//! The dry run's ways of reading and hashing the objects give the same verdicts: objects
//! streamed one by one on the calling thread (the reference), small objects read whole and
//! hashed in batches (`DryRunOptions::batch`, forced here on whatever digest engine this CPU
//! has), several hashing threads with the objects read while the manifest is checked, and
//! the declared algorithms completed afterwards. Reports, ArchiveTransferReplies (but their
//! dates) and the validated objects must be identical; the digests are also checked against
//! `digest_bytes` of the files themselves.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::ingest::{DryRun, DryRunOptions, Status, dry_run};
use vas_core::referential::Referentials;
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    BuildOptions, Compression, FolderImportOptions, Limits, PackageFormat, SipBuilder, SipReader,
    WriterOptions,
};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

/// (threads, batch): the reference first.
const CONFIGS: [(usize, usize); 4] = [(1, 1), (1, 3), (2, 1), (2, 8)];

/// The ATR without what changes from run to run: its dates (`Date`, `GrantDate`,
/// `EventDateTime`), its own identifier and the system ids it gives units, groups and
/// objects.
fn atr_sans_dates(atr: &str) -> String {
    atr.lines()
        .filter(|l| {
            !["Date>", "DateTime>", "SystemId>", "<MessageIdentifier>"]
                .iter()
                .any(|t| l.contains(t))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(
    sip: &Path,
    refs: &Referentials,
    base: &DryRunOptions,
    threads: usize,
    batch: usize,
) -> DryRun {
    let opts = DryRunOptions {
        threads: Some(threads),
        batch: Some(batch),
        ..base.clone()
    };
    dry_run(sip, refs, &opts).unwrap()
}

/// Runs every configuration and compares each with the reference; returns the reference.
fn same_in_every_config(sip: &Path, refs: &Referentials, base: &DryRunOptions) -> DryRun {
    let (t0, b0) = CONFIGS[0];
    let want = run(sip, refs, base, t0, b0);
    let want_json = want.report.to_json();
    for &(threads, batch) in &CONFIGS[1..] {
        let got = run(sip, refs, base, threads, batch);
        let what = format!("{} threads={threads} batch={batch}", sip.display());
        assert_eq!(got.report.to_json(), want_json, "report of {what}");
        assert_eq!(
            atr_sans_dates(&got.atr),
            atr_sans_dates(&want.atr),
            "ATR of {what}"
        );
        assert_eq!(
            got.validated.as_ref().map(|v| &v.objects),
            want.validated.as_ref().map(|v| &v.objects),
            "validated objects of {what}"
        );
    }
    want
}

fn vitam_sips() -> Vec<(PathBuf, PathBuf)> {
    let expected: Vec<Value> =
        serde_json::from_slice(&std::fs::read(format!("{FIX}/vitam/sips/EXPECTED.json")).unwrap())
            .unwrap();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for e in &expected {
        let Some(first) = e["referentials"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let folder = first.split('/').next().unwrap();
        let rdir = Path::new(FIX).join("referentials").join(folder);
        let sip = Path::new(FIX)
            .join("vitam/sips")
            .join(e["sip"].as_str().unwrap());
        if rdir.is_dir() && sip.exists() && seen.insert((sip.clone(), rdir.clone())) {
            out.push((sip, rdir));
        }
    }
    out
}

/// Vitam's SIPs (OK and KO alike), with the referentials their tests load and Vitam's test
/// format mock, then with the real format engine (formats.xml): every configuration gives
/// the reference's report, ATR and objects.
#[test]
fn vitam_sips_give_the_same_report_however_objects_are_hashed() {
    let sips = vitam_sips();
    assert!(sips.len() >= 60, "{} SIPs", sips.len());
    let mut cache: std::collections::HashMap<PathBuf, Referentials> = Default::default();
    let mut outcomes = BTreeSet::new();
    for (sip, rdir) in &sips {
        let refs = cache
            .entry(rdir.clone())
            .or_insert_with(|| Referentials::load_dir(rdir).unwrap());
        for hook in [true, false] {
            let base = DryRunOptions {
                format_hook: hook.then(vas_core::ingest::vitam_test_format_mock),
                ..Default::default()
            };
            let r = same_in_every_config(sip, refs, &base);
            outcomes.insert(format!("{:?}", r.report.outcome));
        }
    }
    // Accepted and refused SIPs were both replayed.
    assert!(outcomes.len() >= 2, "{outcomes:?}");
}

/// Objects on both sides of the batching threshold (4 MiB) and of the identification window
/// (1 MiB), in every container kind, declared with SHA-256 (completed after the first pass
/// when threads run early) and SHA-512, identified by the real format engine.
#[test]
fn built_sips_of_every_container_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("big")).unwrap();
    std::fs::create_dir_all(src.join("small")).unwrap();
    const M: usize = 1 << 20;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut bytes = |n: usize, compressible: bool| -> Vec<u8> {
        (0..n)
            .map(|i| {
                if compressible {
                    (i % 61) as u8
                } else {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                }
            })
            .collect()
    };
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, n) in [0, 1, 1000, M - 1, M, M + 1, 4 * M, 4 * M + 1]
        .into_iter()
        .enumerate()
    {
        let mut d = b"%PDF-1.4\n".to_vec();
        d.extend(bytes(n, i % 2 == 0));
        d.extend_from_slice(b"\n%%EOF\n");
        files.push((format!("big/f{i}.pdf"), d));
    }
    for i in 0..37 {
        files.push((format!("small/s{i:02}.txt"), bytes(100 + 997 * i, true)));
    }
    for (name, d) in &files {
        std::fs::write(src.join(name), d).unwrap();
    }
    let by_sha512: std::collections::HashMap<String, (String, Vec<u8>)> = files
        .iter()
        .map(|(n, d)| {
            (
                digest_bytes(DigestAlgorithm::Sha512, d),
                (n.clone(), d.clone()),
            )
        })
        .collect();
    assert_eq!(by_sha512.len(), files.len(), "the source files differ");
    let formats_dir = dir.path().join("refs");
    std::fs::create_dir_all(&formats_dir).unwrap();
    std::fs::copy(
        Path::new(FIX).join("referentials/integration-ingest-internal/formats.xml"),
        formats_dir.join("formats.xml"),
    )
    .unwrap();
    let with_formats = Referentials::load_dir(&formats_dir).unwrap();
    assert!(with_formats.formats.is_some());
    let none = Referentials::default();

    let kinds = [
        ("stored.zip", PackageFormat::Zip, Compression::Stored),
        ("deflated.zip", PackageFormat::Zip, Compression::Deflated(1)),
        ("plain.tar", PackageFormat::Tar, Compression::Stored),
        ("packed.tar.gz", PackageFormat::TarGz, Compression::Stored),
    ];
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha512] {
        for (name, fmt, comp) in kinds {
            let out = dir.path().join(format!("{alg:?}-{name}"));
            let mut b = SipBuilder::new(SedaVersion::V2_3);
            b.archival_agency("AG-1")
                .transferring_agency("TA-1")
                .archival_agreement("IC-000001")
                .originating_agency("OA-1");
            b.import_folder(&src, None, &FolderImportOptions::default())
                .unwrap();
            let w = WriterOptions::new(fmt).algorithm(alg).compression(comp);
            b.write_to_file(&out, BuildOptions::new(w)).unwrap();
            let mut sips = vec![out.clone()];
            if name == "stored.zip" {
                // The same package unpacked: a directory SIP.
                let d = dir.path().join(format!("{alg:?}-unpacked"));
                SipReader::open(&out, Limits::default())
                    .unwrap()
                    .extract_to(&d)
                    .unwrap();
                sips.push(d);
            }
            for sip in sips {
                // Identification (slow in a debug build) once per container.
                let refs_list: &[&Referentials] = if alg == DigestAlgorithm::Sha512 {
                    &[&none, &with_formats]
                } else {
                    &[&none]
                };
                for &refs in refs_list {
                    let want = same_in_every_config(&sip, refs, &DryRunOptions::default());
                    assert_eq!(want.report.outcome, Status::Ok, "{}", sip.display());
                    let v = want.validated.as_ref().unwrap();
                    assert_eq!(v.objects.len(), files.len());
                    let mut seen = BTreeSet::new();
                    for o in &v.objects {
                        // The oracle: each source file's own bytes, hashed in one piece.
                        let (pa, pd) = o.digest.as_ref().unwrap();
                        assert_eq!(*pa, DigestAlgorithm::Sha512);
                        let (rel, data) = by_sha512
                            .get(pd)
                            .unwrap_or_else(|| panic!("{pd}: no source file has this digest"));
                        let (da, dd) = o.declared_digest.as_ref().unwrap();
                        assert_eq!((*da, dd.as_str()), (alg, digest_bytes(alg, data).as_str()));
                        assert_eq!(o.size, Some(data.len() as u64));
                        assert!(seen.insert(pd.clone()), "{rel} twice");
                        if refs.formats.is_some() {
                            let f = o.format.as_ref().unwrap();
                            if rel.ends_with(".pdf") {
                                assert!(f.mime.contains("pdf"), "{rel}: {f:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A zip entry whose stored bytes were changed after the fact: its CRC no longer matches,
/// and every configuration stops at the same point with the same report.
#[test]
fn a_corrupt_entry_is_refused_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let marker = b"THE-MARKER-0123456789";
    for i in 0..12 {
        let mut d = format!("object {i} ").repeat(50 + i).into_bytes();
        if i == 7 {
            d.extend_from_slice(marker);
        }
        std::fs::write(src.join(format!("o{i}.txt")), d).unwrap();
    }
    let sip = dir.path().join("sip.zip");
    let mut b = SipBuilder::new(SedaVersion::V2_2);
    b.archival_agency("AG-1")
        .transferring_agency("TA-1")
        .archival_agreement("IC-000001")
        .originating_agency("OA-1");
    b.import_folder(&src, None, &FolderImportOptions::default())
        .unwrap();
    let w = WriterOptions::new(PackageFormat::Zip).compression(Compression::Stored);
    b.write_to_file(&sip, BuildOptions::new(w)).unwrap();
    let mut zip = std::fs::read(&sip).unwrap();
    let at = zip.windows(marker.len()).position(|w| w == marker).unwrap();
    zip[at] ^= 0x20;
    std::fs::write(&sip, &zip).unwrap();
    let r = same_in_every_config(&sip, &Referentials::default(), &DryRunOptions::default());
    assert_eq!(r.report.outcome, Status::Fatal);
    assert!(
        r.report
            .out_details()
            .iter()
            .any(|d| d.starts_with("CHECK_DIGEST")),
        "{:?}",
        r.report.out_details()
    );
}
