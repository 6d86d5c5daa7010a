//! Validation speed: a large generated SEDA 2.3 manifest (many ArchiveUnits), vas vs
//! `xmllint --schema` (whole process, same file); schema-set compilation measured apart.
//!
//! `cargo bench -p vas-core --bench schema_validate` (set `VAS_BENCH_UNITS` to change
//! the number of ArchiveUnits, default 20 000).

use std::hint::black_box;
use std::io::Write;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use vas_core::schema::{SchemaSet, SedaVersion, ValidationOptions};

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");

fn manifest(units: usize) -> Vec<u8> {
    let mut s = Vec::new();
    let w = &mut s;
    let _ = write!(
        w,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3">
  <Comment>Benchmark transfer</Comment>
  <Date>2024-06-01T10:00:00</Date>
  <MessageIdentifier>BENCH-1</MessageIdentifier>
  <ArchivalAgreement>IC-000001</ArchivalAgreement>
  <CodeListVersions><ReplyCodeListVersion>R1</ReplyCodeListVersion></CodeListVersions>
  <DataObjectPackage>
"#
    );
    for i in 0..units {
        let _ = writeln!(
            w,
            r#"    <DataObjectGroup id="G{i}"><BinaryDataObject id="B{i}"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>content/f{i}.pdf</Uri><MessageDigest algorithm="SHA-512">e321b289f1800e5fa3be1b8d01687c8999ef3ecfec759bd0e19ccd92731036755c8f79cbd4af8f46fc5f4e14ad805f601fe2e9b58ad0b9f5a13695c0123e45b3</MessageDigest><Size>{}</Size><FormatIdentification><FormatLitteral>Acrobat PDF</FormatLitteral><MimeType>application/pdf</MimeType><FormatId>fmt/18</FormatId></FormatIdentification><FileInfo><Filename>f{i}.pdf</Filename><LastModified>2024-01-01T00:00:00</LastModified></FileInfo></BinaryDataObject></DataObjectGroup>"#,
            1000 + i
        );
    }
    let _ = writeln!(w, "    <DescriptiveMetadata>");
    for i in 0..units {
        let _ = writeln!(
            w,
            r#"      <ArchiveUnit id="AU{i}"><Management><AppraisalRule><Rule>APP-00001</Rule><StartDate>2020-01-01</StartDate><FinalAction>Keep</FinalAction></AppraisalRule></Management><Content><DescriptionLevel>Item</DescriptionLevel><Title>Document number {i}</Title><Description>A generated unit for benchmarking &amp; testing.</Description><Keyword><KeywordContent>bench</KeywordContent></Keyword><OriginatingAgency><Identifier>AG1</Identifier></OriginatingAgency><StartDate>2019-01-01</StartDate><EndDate>2019-12-31</EndDate></Content><DataObjectReference><DataObjectGroupReferenceId>G{i}</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>"#
        );
    }
    let _ = write!(
        w,
        r#"    </DescriptiveMetadata>
    <ManagementMetadata><AcquisitionInformation>Versement</AcquisitionInformation></ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>
"#
    );
    s
}

fn bench(c: &mut Criterion) {
    let units: usize = std::env::var("VAS_BENCH_UNITS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let doc = manifest(units);
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("manifest.xml");
    std::fs::write(&path, &doc).expect("write");
    let set = SchemaSet::seda(SedaVersion::V2_3).expect("compile");
    let r = set
        .validate_file(&path, &ValidationOptions::default())
        .expect("read");
    assert!(r.is_valid_with_references(), "{:?}", r.findings.first());
    eprintln!("manifest: {units} units, {} bytes", doc.len());

    // A direct, analysis-free comparison (best of 3), printed before criterion runs.
    let best = |f: &dyn Fn()| {
        (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let t_compile = best(&|| {
        black_box(
            SchemaSet::builder()
                .add_seda(SedaVersion::V2_3)
                .build()
                .expect("compile"),
        );
    });
    let t_vas = best(&|| {
        black_box(
            set.validate_file(&path, &ValidationOptions::default())
                .expect("read"),
        );
    });
    // Floor: quick-xml alone reading the same file (events only, nothing kept).
    let t_parse = best(&|| {
        let f = std::fs::File::open(&path).expect("open");
        let mut r = quick_xml::Reader::from_reader(std::io::BufReader::with_capacity(1 << 16, f));
        let mut buf = Vec::new();
        let mut n = 0u64;
        loop {
            match r.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                Ok(_) => n += 1,
            }
            buf.clear();
        }
        black_box(n);
    });
    eprintln!("quick-xml read only: {t_parse:?}");
    let main_xsd = format!("{SCHEMAS}/2.3/seda-2.3-main.xsd");
    let run_lint = || {
        Command::new("xmllint")
            .env("XML_CATALOG_FILES", format!("{SCHEMAS}/catalog.xml"))
            .args(["--noout", "--nonet", "--schema", &main_xsd])
            .arg(&path)
            .output()
    };
    if run_lint().is_ok() {
        let t_lint = best(&|| {
            black_box(run_lint().expect("xmllint"));
        });
        eprintln!(
            "best of 3: compile {t_compile:?}; vas validate {t_vas:?}; xmllint process {t_lint:?}; speed-up x{:.1}",
            t_lint.as_secs_f64() / t_vas.as_secs_f64()
        );
    }

    let mut g = c.benchmark_group("schema");
    g.sample_size(10);
    g.bench_function("compile SEDA 2.3 schema set", |b| {
        b.iter(|| {
            black_box(
                SchemaSet::builder()
                    .add_seda(SedaVersion::V2_3)
                    .build()
                    .expect("compile"),
            )
        })
    });
    g.bench_function(format!("vas validate {units} units"), |b| {
        b.iter(|| {
            black_box(
                set.validate_file(&path, &ValidationOptions::default())
                    .expect("read")
                    .is_valid(),
            )
        })
    });
    let main = format!("{SCHEMAS}/2.3/seda-2.3-main.xsd");
    let lint = || {
        Command::new("xmllint")
            .env("XML_CATALOG_FILES", format!("{SCHEMAS}/catalog.xml"))
            .args(["--noout", "--nonet", "--schema", &main])
            .arg(&path)
            .output()
    };
    if lint().is_ok() {
        g.bench_function(format!("xmllint --schema {units} units (process)"), |b| {
            b.iter(|| black_box(lint().expect("xmllint").status.success()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
