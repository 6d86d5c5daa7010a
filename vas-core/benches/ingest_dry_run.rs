//! Dry run of a SIP with many objects: container checks, XSD validation, every object hashed
//! (SHA-512) and identified, units checked.

use criterion::{Criterion, criterion_group, criterion_main};
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::format::FormatRegistry;
use vas_core::ingest::{DryRunOptions, dry_run};
use vas_core::referential::Referentials;

fn build_sip(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let sip = dir.join("sip");
    std::fs::create_dir_all(sip.join("Content")).unwrap();
    let mut groups = String::new();
    let mut units = String::new();
    for i in 0..n {
        let data = format!("object {i}\n").repeat(200);
        std::fs::write(sip.join(format!("Content/o{i}.txt")), &data).unwrap();
        groups.push_str(&format!(
            "<DataObjectGroup id=\"G{i}\"><BinaryDataObject id=\"O{i}\"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/o{i}.txt</Uri><MessageDigest algorithm=\"SHA-512\">{}</MessageDigest><Size>{}</Size></BinaryDataObject></DataObjectGroup>",
            digest_bytes(DigestAlgorithm::Sha512, data.as_bytes()),
            data.len()
        ));
        units.push_str(&format!(
            "<ArchiveUnit id=\"U{i}\"><Content><DescriptionLevel>Item</DescriptionLevel><Title>Item {i}</Title></Content><DataObjectReference><DataObjectGroupReferenceId>G{i}</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>"
        ));
    }
    let manifest = format!(
        "<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.1\"><Date>2024-01-01T00:00:00</Date><MessageIdentifier>M</MessageIdentifier><CodeListVersions/><DataObjectPackage>{groups}<DescriptiveMetadata>{units}</DescriptiveMetadata><ManagementMetadata/></DataObjectPackage><ArchivalAgency><Identifier>A</Identifier></ArchivalAgency><TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>"
    );
    std::fs::write(sip.join("manifest.xml"), manifest).unwrap();
    sip
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let sip = build_sip(dir.path(), 1000);
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
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.bench_function("dry_run_1000_objects", |b| {
        b.iter(|| dry_run(&sip, &refs, &opts).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
