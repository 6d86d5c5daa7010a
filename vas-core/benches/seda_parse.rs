//! Parse/serialize throughput of the typed SEDA model on a generated 2.3 manifest with
//! 100 000 units and 100 000 binary objects, against the raw quick-xml event loop (ceiling).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use vas_core::seda::Document;

/// A 2.3 manifest with `n` units (each with management rules, keywords, dates) and `n`
/// groups holding one binary object each.
pub fn generate(n: usize) -> String {
    generate_with(n, n)
}

/// `units` units and `objects` groups of one binary object each.
pub fn generate_with(units: usize, objects: usize) -> String {
    let n = units;
    let mut s = String::with_capacity(n * 1500);
    s.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3" xmlns:xlink="http://www.w3.org/1999/xlink">
  <Date>2024-06-01T10:00:00</Date>
  <MessageIdentifier>BENCH</MessageIdentifier>
  <ArchivalAgreement>IC-1</ArchivalAgreement>
  <CodeListVersions><ReplyCodeListVersion>ReplyCodeListVersion0</ReplyCodeListVersion></CodeListVersions>
  <DataObjectPackage>
"#);
    for i in 0..objects {
        s.push_str(&format!(r#"    <DataObjectGroup id="G{i}">
      <BinaryDataObject id="B{i}">
        <DataObjectVersion>BinaryMaster_1</DataObjectVersion>
        <Uri>content/B{i}.pdf</Uri>
        <MessageDigest algorithm="SHA-512">e321b289f1800e5fa3be1b8d01687c8999ef3ecfec759bd0e19ccd92731036755c8f79cbd4af8f46fc5f4e14ad805f601fe2e9b58ad0b9f5a13695c0123e{:05}</MessageDigest>
        <Size>{}</Size>
        <FormatIdentification><FormatLitteral>Acrobat PDF 1.4</FormatLitteral><MimeType>application/pdf</MimeType><FormatId>fmt/18</FormatId></FormatIdentification>
        <FileInfo><Filename>document-{i}.pdf</Filename><LastModified>2020-01-01T00:00:00</LastModified></FileInfo>
      </BinaryDataObject>
    </DataObjectGroup>
"#, i % 100000, 1000 + i));
    }
    s.push_str("    <DescriptiveMetadata>\n      <ArchiveUnit id=\"ROOT\"><Content><DescriptionLevel>Fonds</DescriptionLevel><Title>Root</Title></Content>\n");
    for i in 0..n {
        s.push_str(&format!(r#"        <ArchiveUnit id="U{i}">
          <Management><AccessRule><Rule>ACC-00002</Rule><StartDate>2020-01-01</StartDate></AccessRule></Management>
          <Content>
            <DescriptionLevel>Item</DescriptionLevel>
            <Title xml:lang="fr">Document n° {i} &amp; annexes</Title>
            <Description>Description of the document number {i}.</Description>
            <Keyword><KeywordContent>bench</KeywordContent><KeywordType>subject</KeywordType></Keyword>
            <StartDate>2019-01-01</StartDate>
            <EndDate>2019-12-31</EndDate>
          </Content>
          <DataObjectReference><DataObjectGroupReferenceId>G{g}</DataObjectGroupReferenceId></DataObjectReference>
        </ArchiveUnit>
"#, g = if objects > 0 { i % objects } else { 0 }));
    }
    s.push_str(r#"      </ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>OA</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AG</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>
"#);
    s
}

fn raw_event_loop(src: &[u8]) -> usize {
    let mut r = quick_xml::NsReader::from_reader(src);
    let mut n = 0usize;
    loop {
        match r.read_resolved_event() {
            Ok((_, quick_xml::events::Event::Eof)) => break,
            Ok(_) => n += 1,
            Err(e) => panic!("{e}"),
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let xml = generate(100_000);
    let bytes = xml.as_bytes();
    let doc = Document::from_slice(bytes).unwrap();
    let out = doc.to_string().unwrap();
    let mut g = c.benchmark_group("seda_100k_units");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("quick_xml_raw_event_loop", |b| {
        b.iter(|| raw_event_loop(black_box(bytes)))
    });
    g.bench_function("parse_typed_model", |b| {
        b.iter(|| Document::from_slice(black_box(bytes)).unwrap())
    });
    g.throughput(Throughput::Bytes(out.len() as u64));
    g.bench_function("serialize", |b| {
        b.iter(|| black_box(&doc).write_as(doc.version).unwrap())
    });
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("roundtrip_parse_serialize", |b| {
        b.iter(|| {
            Document::from_slice(black_box(bytes))
                .unwrap()
                .write_as(doc.version)
                .unwrap()
        })
    });
    g.bench_function("check_references", |b| {
        b.iter(|| black_box(&doc).check_references())
    });
    g.finish();
}

criterion_group!(benches, bench);

/// CPU seconds (user + system) of this process, from /proc/self/stat (Linux).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// `SEDA_BENCH_CPU=1 cargo bench --bench seda_parse`: CPU-time throughput (robust on a
/// loaded machine, where wall-clock numbers mostly measure the scheduler).
fn cpu_report() {
    let xml = generate(100_000);
    let bytes = xml.as_bytes();
    let mb = bytes.len() as f64 / (1024.0 * 1024.0);
    let reps = 5;
    let only = std::env::var("SEDA_BENCH_CPU").unwrap_or_default();
    let measure = |name: &str, f: &dyn Fn()| -> Option<f64> {
        if !only.is_empty() && only != "1" && !name.contains(only.as_str()) {
            return None;
        }
        f();
        let t0 = cpu_seconds().unwrap_or(0.0);
        let w0 = std::time::Instant::now();
        for _ in 0..reps {
            f();
        }
        let cpu = (cpu_seconds().unwrap_or(0.0) - t0) / reps as f64;
        let wall = w0.elapsed().as_secs_f64() / reps as f64;
        println!(
            "{name:<28} cpu {cpu:>7.3} s  {:>8.1} MiB/s   (wall {wall:.3} s)",
            mb / cpu.max(1e-9)
        );
        Some(cpu)
    };
    println!("input: {mb:.1} MiB, 100000 units, 100000 binary objects");
    println!(
        "sizes: Text {} ElementMeta {} ContentItem {} BinaryDataObjectItem {} ArchiveUnitItem {}",
        std::mem::size_of::<vas_core::seda::Text>(),
        std::mem::size_of::<vas_core::seda::ElementMeta>(),
        std::mem::size_of::<vas_core::seda::ContentItem>(),
        std::mem::size_of::<vas_core::seda::BinaryDataObjectItem>(),
        std::mem::size_of::<vas_core::seda::ArchiveUnitItem>()
    );
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS"))
                    .map(|l| l.to_string())
            })
            .unwrap_or_default()
    };
    let before = rss();
    let d = Document::from_slice(bytes).unwrap();
    println!("memory: before parse {before}; with the model {}", rss());
    drop(d);
    let raw = measure("quick_xml_raw_event_loop", &|| {
        black_box(raw_event_loop(bytes));
    });
    let parse = measure("parse_typed_model", &|| {
        black_box(Document::from_slice(bytes).unwrap());
    });
    if let (Some(raw), Some(parse)) = (raw, parse) {
        println!("parse / raw event loop (CPU time): {:.2}", parse / raw);
    }
    let doc = Document::from_slice(bytes).unwrap();
    let _ = measure("serialize", &|| {
        black_box(doc.write_as(doc.version).unwrap());
    });
    let _ = measure("check_references", &|| {
        black_box(doc.check_references());
    });
    let units_only = generate_with(100_000, 0);
    let ub = units_only.as_bytes();
    println!(
        "units-only input: {:.1} MiB, 100000 units",
        ub.len() as f64 / (1024.0 * 1024.0)
    );
    let _ = measure("parse_100k_units_only", &|| {
        black_box(Document::from_slice(ub).unwrap());
    });
}

fn main() {
    if std::env::var_os("SEDA_BENCH_CPU").is_some() {
        cpu_report();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
