//! Ingest throughput of the embedded archive: one SIP of N metadata-only units (default
//! 100 000; `VAS_BENCH_UNITS` to change it) ingested into a fresh archive with the default
//! strategy (two filesystem offers; `VAS_BENCH_FSYNC=0` turns their fsync off). Every check
//! of the ingest controls runs, then each unit document (with its lifecycle) is written to
//! both offers, indexed in the catalog and logged.
//!
//! Peers in the same run: writing the same number of unit documents (same average size) as
//! one file each to two folders with the same fsync setting (the layout before metadata
//! packs), and writing the same bytes as one file per copy (the storage floor of packs).
//!
//! `cargo bench -p vas-core --bench archive_ingest` prints one JSON line per measurement.
//! Run as a test (`cargo test --benches`), it checks itself on 300 units without fsync.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use vas_core::archive::{Archive, FULL_ACCESS, IngestOptions, InitOptions};
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

fn make_sip(path: &Path, n: usize) -> usize {
    let mut units = String::with_capacity(n * 200);
    // A tree: 1 root, n/100 files, items below them.
    units.push_str(r#"<ArchiveUnit id="ROOT"><Content><DescriptionLevel>Fonds</DescriptionLevel><Title>Fonds de test</Title></Content>"#);
    let files = (n / 100).max(1);
    let mut made = 1;
    for f in 0..files {
        units.push_str(&format!(
            r#"<ArchiveUnit id="F{f}"><Content><DescriptionLevel>File</DescriptionLevel><Title>Dossier {f}</Title><StartDate>2001-01-01</StartDate><EndDate>2002-12-31</EndDate></Content>"#
        ));
        made += 1;
        let items = (n - 1) / files - 1;
        for i in 0..items {
            units.push_str(&format!(
                r#"<ArchiveUnit id="I{f}_{i}"><Content><DescriptionLevel>Item</DescriptionLevel><Title>Pièce {i} du dossier {f}</Title><Description>Courrier numéro {i}, classé au dossier {f}.</Description></Content></ArchiveUnit>"#
            ));
            made += 1;
        }
        units.push_str("</ArchiveUnit>");
    }
    units.push_str("</ArchiveUnit>");
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"><Date>2024-01-01T00:00:00</Date><MessageIdentifier>BENCH</MessageIdentifier><ArchivalAgreement>IC-BENCH</ArchivalAgreement><CodeListVersions/><DataObjectPackage><DescriptiveMetadata>{units}</DescriptiveMetadata><ManagementMetadata><OriginatingAgencyIdentifier>FR_BENCH</OriginatingAgencyIdentifier></ManagementMetadata></DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency><TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.finish().unwrap();
    made
}

/// User + system CPU time of this process so far (from `/proc/self/stat`), 0 when unknown.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold spaces).
    let Some(rest) = stat.rsplit_once(')').map(|x| x.1) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|i| f.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

fn main() {
    let test_mode = std::env::args().all(|a| a != "--bench");
    let n: usize = if test_mode {
        300
    } else {
        std::env::var("VAS_BENCH_UNITS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000)
    };
    // As a test: no fsync (a smoke check, not a measurement).
    let fsync = !test_mode && !matches!(std::env::var("VAS_BENCH_FSYNC").as_deref(), Ok("0"));
    let dir = tempfile::tempdir().unwrap();
    let sip = dir.path().join("sip.zip");
    let units = make_sip(&sip, n);
    let offers = dir.path().join("offers.toml");
    std::fs::write(
        &offers,
        format!(
            "[[offer]]\nid = \"fs-1\"\nkind = \"filesystem\"\npath = \"o1\"\nfsync = {fsync}\n\
             [[offer]]\nid = \"fs-2\"\nkind = \"filesystem\"\npath = \"o2\"\nfsync = {fsync}\n"
        ),
    )
    .unwrap();
    let a = Archive::create(
        dir.path().join("archive"),
        &InitOptions {
            offers: Some(offers),
            ..Default::default()
        },
    )
    .unwrap();
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    assert!(
        r.report.outcome.is_accepted(),
        "{:?}",
        r.report.out_details()
    );
    assert_eq!(a.counts().unwrap().0, units as u64);
    // The documents as stored: the operation's metadata packs (unit and group documents
    // with their lifecycles), for the peers.
    let hits = a
        .search(
            FULL_ACCESS,
            &json!({"$query": {"$exists": "#id"}, "$filter": {"$limit": 1}}),
        )
        .unwrap();
    assert_eq!(hits["$hits"]["total"], units);
    let packs = a.strategy().referent().list("packs/").unwrap();
    let pack_bytes: u64 = packs.iter().map(|m| m.fixity.size).sum();
    let doc_len = (pack_bytes as usize / units).max(1);
    // Peer 1 (the layout before packs): the same number of documents (same average size)
    // written as one file each to two folders, with the same fsync setting.
    // With fsync it runs at the disk's fsync rate: `VAS_BENCH_PEER_FILES` (default 10 000)
    // caps the files written, and the rate is reported per document.
    let peer_files = std::env::var("VAS_BENCH_PEER_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000usize)
        .min(units);
    let buf = vec![b'x'; doc_len];
    let peer_dir = dir.path().join("peer");
    let t = Instant::now();
    for copy in 0..2 {
        let d = peer_dir.join(format!("o{copy}"));
        std::fs::create_dir_all(&d).unwrap();
        for i in 0..peer_files {
            let p = d.join(format!("u{i}.json"));
            let mut f = std::fs::File::create(&p).unwrap();
            f.write_all(&buf).unwrap();
            if fsync {
                f.sync_all().unwrap();
            }
        }
    }
    // Scaled to the same number of documents.
    let peer = t.elapsed().as_secs_f64() * units as f64 / peer_files as f64;
    std::fs::remove_dir_all(&peer_dir).unwrap();
    // Peer 2 (the storage floor of packs): the same bytes written as one file per copy.
    let all = vec![b'x'; pack_bytes as usize];
    let t = Instant::now();
    for copy in 0..2 {
        let d = peer_dir.join(format!("p{copy}"));
        std::fs::create_dir_all(&d).unwrap();
        let mut f = std::fs::File::create(d.join("pack.jsonl")).unwrap();
        f.write_all(&all).unwrap();
        if fsync {
            f.sync_all().unwrap();
        }
    }
    let peer_packed = t.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "bench": "archive_ingest",
            "units": units,
            "fsync": fsync,
            "seconds": secs,
            "units_per_s": units as f64 / secs,
            "goal_units_per_s": 12_500,
            "peer_two_copies_seconds": peer,
            "peer_files_written": peer_files,
            "peer_units_per_s": units as f64 / peer,
            "ratio_vs_peer": secs / peer,
            "peer_one_file_per_copy_seconds": peer_packed,
            "ratio_vs_one_file_peer": secs / peer_packed,
            "unit_document_bytes": doc_len,
            "packs": packs.len(),
            "pack_bytes": pack_bytes,
            "cpu_seconds": cpu,
            "units_per_cpu_s": units as f64 / cpu.max(0.01),
        })
    );
}
