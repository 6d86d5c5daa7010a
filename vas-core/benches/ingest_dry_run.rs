//! Dry run of SIPs:
//! - `dry_run_1000_objects`: 1000 small objects, hashed (SHA-512) and identified, units checked;
//! - `objects_*`: 200 objects of ~256 KiB (50 MiB), hashed only, with 1 and 2 hashing
//!   threads, next to the SHA-512 floor over the same bytes in memory (`sha512_floor`);
//! - `units_10000`: 10 000 units and no object, with a rules referential (metadata only).
//!
//! Scale with `VAS_BENCH_SCALE` (e.g. 0.2).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::format::FormatRegistry;
use vas_core::ingest::{DryRunOptions, dry_run};
use vas_core::referential::{Referentials, RulesReferential};

fn scale(n: usize) -> usize {
    let s: f64 = std::env::var("VAS_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * s) as usize).max(2)
}

const HEAD: &str = "<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.1\"><Date>2024-01-01T00:00:00</Date><MessageIdentifier>M</MessageIdentifier><ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>";
const TAIL: &str = "<ManagementMetadata/></DataObjectPackage><ArchivalAgency><Identifier>A</Identifier></ArchivalAgency><TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>";

/// A directory SIP with `n` objects made by `data(i)`; returns the path and the bytes.
fn build_sip(
    dir: &std::path::Path,
    name: &str,
    n: usize,
    data: impl Fn(usize) -> Vec<u8>,
) -> (std::path::PathBuf, Vec<Vec<u8>>) {
    let sip = dir.join(name);
    std::fs::create_dir_all(sip.join("Content")).unwrap();
    let mut groups = String::new();
    let mut units = String::new();
    let mut all = Vec::new();
    for i in 0..n {
        let data = data(i);
        std::fs::write(sip.join(format!("Content/o{i}.txt")), &data).unwrap();
        groups.push_str(&format!(
            "<DataObjectGroup id=\"G{i}\"><BinaryDataObject id=\"O{i}\"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/o{i}.txt</Uri><MessageDigest algorithm=\"SHA-512\">{}</MessageDigest><Size>{}</Size></BinaryDataObject></DataObjectGroup>",
            digest_bytes(DigestAlgorithm::Sha512, &data),
            data.len()
        ));
        units.push_str(&format!(
            "<ArchiveUnit id=\"U{i}\"><Content><DescriptionLevel>Item</DescriptionLevel><Title>Item {i}</Title></Content><DataObjectReference><DataObjectGroupReferenceId>G{i}</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>"
        ));
        all.push(data);
    }
    std::fs::write(
        sip.join("manifest.xml"),
        format!("{HEAD}{groups}<DescriptiveMetadata>{units}</DescriptiveMetadata>{TAIL}"),
    )
    .unwrap();
    (sip, all)
}

/// A SIP of `n` units in series of 100 (a RecordGrp and its Items), with access and
/// appraisal rules on the series and on one item in ten, and no object.
fn build_units_sip(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let sip = dir.join("units");
    std::fs::create_dir_all(&sip).unwrap();
    let mut units = String::new();
    let mut made = 0;
    let mut s = 0;
    while made < n {
        units.push_str(&format!(
            "<ArchiveUnit id=\"S{s}\"><Management><AppraisalRule><Rule>APP-00001</Rule><StartDate>2000-01-01</StartDate><FinalAction>Keep</FinalAction></AppraisalRule><AccessRule><Rule>ACC-00001</Rule><StartDate>2000-01-01</StartDate></AccessRule></Management><Content><DescriptionLevel>RecordGrp</DescriptionLevel><Title>Series {s}</Title><StartDate>2000-01-01</StartDate><EndDate>2000-12-31</EndDate></Content>"
        ));
        made += 1;
        for i in 1..100 {
            if made >= n {
                break;
            }
            let mgmt = if i % 10 == 0 {
                "<Management><AccessRule><Rule>ACC-00001</Rule><StartDate>2001-06-01</StartDate></AccessRule></Management>"
            } else {
                ""
            };
            units.push_str(&format!(
                "<ArchiveUnit id=\"S{s}-{i}\">{mgmt}<Content><DescriptionLevel>Item</DescriptionLevel><Title>Document {i} de la série {s}</Title><Description>Pièce {i}</Description><StartDate>2000-03-{:02}</StartDate></Content></ArchiveUnit>",
                1 + i % 28
            ));
            made += 1;
        }
        units.push_str("</ArchiveUnit>");
        s += 1;
    }
    std::fs::write(
        sip.join("manifest.xml"),
        format!("{HEAD}<DescriptiveMetadata>{units}</DescriptiveMetadata>{TAIL}"),
    )
    .unwrap();
    sip
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);

    // 1000 small objects, identified.
    let (sip, _) = build_sip(dir.path(), "small", scale(1000), |i| {
        format!("object {i}\n").repeat(200).into_bytes()
    });
    let refs = Referentials::builder()
        .formats(FormatRegistry::bundled().unwrap())
        .build();
    let opts = DryRunOptions::default();
    let run = dry_run(&sip, &refs, &opts).unwrap();
    assert!(
        run.report.outcome.is_accepted(),
        "{:?}",
        run.report.problems().collect::<Vec<_>>()
    );
    g.bench_function("dry_run_1000_objects", |b| {
        b.iter(|| dry_run(&sip, &refs, &opts).unwrap())
    });

    // Objects of ~256 KiB: hashing dominates.
    let n = scale(200);
    let (sip, blobs) = build_sip(dir.path(), "objects", n, |i| {
        let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (0..(192 * 1024 + (i * 997) % (128 * 1024)))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    });
    let bytes: u64 = blobs.iter().map(|b| b.len() as u64).sum();
    g.throughput(Throughput::Bytes(bytes));
    let none = Referentials::default();
    g.bench_function("sha512_floor", |b| {
        b.iter(|| {
            for d in &blobs {
                std::hint::black_box(digest_bytes(DigestAlgorithm::Sha512, d));
            }
        })
    });
    for threads in [1usize, 2] {
        let opts = DryRunOptions {
            threads: Some(threads),
            ..Default::default()
        };
        let run = dry_run(&sip, &none, &opts).unwrap();
        assert!(run.report.outcome.is_accepted());
        g.bench_function(format!("objects_{threads}_threads"), |b| {
            b.iter(|| dry_run(&sip, &none, &opts).unwrap())
        });
    }

    // Metadata only.
    let n = scale(10_000);
    let sip = build_units_sip(dir.path(), n);
    let refs = Referentials::builder()
        .rules(
            RulesReferential::from_csv_bytes(
                b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
                  ACC-00001,AccessRule,Acces,,10,YEAR\nAPP-00001,AppraisalRule,Dua,,5,YEAR\n",
            )
            .unwrap(),
        )
        .build();
    let run = dry_run(&sip, &refs, &opts).unwrap();
    assert!(
        run.report.outcome.is_accepted(),
        "{:?}",
        run.report.problems().collect::<Vec<_>>()
    );
    assert_eq!(run.validated.unwrap().units.len(), n);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("units_{n}"), |b| {
        b.iter(|| dry_run(&sip, &refs, &opts).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
