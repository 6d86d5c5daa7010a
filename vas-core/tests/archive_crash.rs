//! Crash test: `vas archive ingest` is killed (SIGKILL) at random points over several runs;
//! after each kill the archive reopens, verifies clean, holds no partial ingest (every
//! operation has all of its units or none) and loses no committed one; the same SIP is then
//! ingested again successfully.
#![cfg(feature = "cli")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use vas_core::archive::{Archive, FULL_ACCESS, IngestOptions, InitOptions};
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::logbook::{Lifecycle, LifecycleKind, Logbook};
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

const UNITS: usize = 40;

fn make_sip(path: &Path) {
    let mut objs = String::new();
    let mut units = String::new();
    let mut files = Vec::new();
    for i in 0..UNITS {
        let data: Vec<u8> = (0..20_000u32)
            .map(|x| (x.wrapping_mul(31).wrapping_add(i as u32)) as u8)
            .collect();
        objs.push_str(&format!(
            r#"<DataObjectGroup id="G{i}"><BinaryDataObject id="B{i}"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/f{i}.bin</Uri><MessageDigest algorithm="SHA-512">{}</MessageDigest><Size>{}</Size></BinaryDataObject></DataObjectGroup>"#,
            digest_bytes(DigestAlgorithm::Sha512, &data),
            data.len()
        ));
        units.push_str(&format!(
            r#"<ArchiveUnit id="U{i}"><Content><DescriptionLevel>Item</DescriptionLevel><Title>Item {i}</Title></Content><DataObjectReference><DataObjectGroupReferenceId>G{i}</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>"#
        ));
        files.push((format!("Content/f{i}.bin"), data));
    }
    let manifest = format!(
        r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"><Date>2024-01-01T00:00:00</Date><MessageIdentifier>CRASH</MessageIdentifier><ArchivalAgreement>IC-CRASH</ArchivalAgreement><CodeListVersions/><DataObjectPackage>{objs}<DescriptiveMetadata><ArchiveUnit id="ROOT"><Content><DescriptionLevel>Fonds</DescriptionLevel><Title>Root</Title></Content>{units}</ArchiveUnit></DescriptiveMetadata><ManagementMetadata><OriginatingAgencyIdentifier>FR_C</OriginatingAgencyIdentifier></ManagementMetadata></DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency><TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    for (n, d) in files {
        w.add_bytes(&n, &d).unwrap();
    }
    w.finish().unwrap();
}

/// Units per operation id.
fn units_by_op(a: &Archive) -> BTreeMap<String, usize> {
    let r = a
        .search(
            FULL_ACCESS,
            &json!({"$query": {"$exists": "#id"}, "$filter": {"$limit": 10000}}),
        )
        .unwrap();
    let mut m = BTreeMap::new();
    for u in r["$results"].as_array().unwrap() {
        *m.entry(u["#opi"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    m
}

#[test]
fn kill_minus_nine_at_random_points() {
    let vas = env!("CARGO_BIN_EXE_vas");
    let dir = tempfile::tempdir().unwrap();
    let sip = dir.path().join("sip.zip");
    make_sip(&sip);
    let root = dir.path().join("archive");
    drop(Archive::create(&root, &InitOptions::default()).unwrap());
    // One uninterrupted run to time an ingest.
    let t = Instant::now();
    let st = Command::new(vas)
        .args(["archive", "ingest"])
        .arg(&root)
        .arg(&sip)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let full = t.elapsed();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut committed = 1usize;
    let runs = 8;
    let mut killed_midway = 0;
    for run in 0..runs {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_micros(seed % (full.as_micros() as u64 + 1));
        let mut child = Command::new(vas)
            .args(["archive", "ingest"])
            .arg(&root)
            .arg(&sip)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        if status.success() {
            committed += 1;
        } else {
            killed_midway += 1;
        }
        let a = Archive::open(&root).unwrap();
        let v = a.verify().unwrap();
        assert!(
            v.is_ok(),
            "run {run} (killed after {delay:?}): {:?}",
            v.problems
        );
        let by_op = units_by_op(&a);
        for (op, n) in &by_op {
            assert_eq!(*n, UNITS + 1, "run {run}: operation {op} is partial");
        }
        // A killed ingest may have committed just before the kill: never fewer than the
        // ones that reported success.
        assert!(
            by_op.len() >= committed,
            "run {run}: a committed ingest was lost"
        );
        committed = by_op.len();
        assert!(
            std::fs::read_dir(root.join("journal"))
                .unwrap()
                .next()
                .is_none(),
            "journal left behind"
        );
        // Every object on the offers belongs to a committed unit: orphans were removed.
        let objects = a.strategy().referent().list("objects/").unwrap().len();
        assert_eq!(objects, committed * UNITS, "run {run}: orphan objects");
        // One metadata pack per committed operation, no orphan one.
        let packs = a.strategy().referent().list("packs/").unwrap().len();
        assert_eq!(packs, committed, "run {run}: orphan packs");
    }
    eprintln!(
        "crash test: {runs} runs, {killed_midway} killed before completion, {committed} ingests committed"
    );
    let a = Archive::open(&root).unwrap();
    let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
    assert!(r.report.outcome.is_accepted());
    assert_eq!(units_by_op(&a).len(), committed + 1);
    assert!(a.verify().unwrap().is_ok());
}

/// Runs `vas archive ingest` with the failpoint `point` set in `env` and asserts that the
/// process stopped there.
fn ingest_stopped_at(vas: &str, root: &Path, sip: &Path, env: &str, point: &str) {
    let out = Command::new(vas)
        .args(["archive", "ingest", "--json"])
        .arg(root)
        .arg(sip)
        .env(env, point)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{point}: the ingest did not stop");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("failpoint {point}")),
        "{point}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deterministic coverage of every window: the ingest aborts at each named failpoint (the
/// windows before *and after* the catalog commit); the archive reopens clean, the
/// operation is all there (committed: with its logbook entry) or not at all, and the SIP
/// can be ingested again.
#[test]
fn abort_at_every_failpoint() {
    use vas_core::archive::{FAILPOINT_ENV, FAILPOINTS};
    let vas = env!("CARGO_BIN_EXE_vas");
    let dir = tempfile::tempdir().unwrap();
    let sip = dir.path().join("sip.zip");
    make_sip(&sip);
    let root = dir.path().join("archive");
    drop(Archive::create(&root, &InitOptions::default()).unwrap());
    let mut committed = 0usize;
    for (i, point) in FAILPOINTS.iter().enumerate() {
        ingest_stopped_at(vas, &root, &sip, FAILPOINT_ENV, point);
        let after_commit = i
            >= FAILPOINTS
                .iter()
                .position(|p| *p == "after-catalog-commit")
                .unwrap();
        if after_commit {
            committed += 1;
        }
        let a = Archive::open(&root).unwrap();
        let v = a.verify().unwrap();
        assert!(v.is_ok(), "{point}: {:?}", v.problems);
        let by_op = units_by_op(&a);
        assert_eq!(by_op.len(), committed, "{point}: committed operations");
        for (op, n) in &by_op {
            assert_eq!(*n, UNITS + 1, "{point}: operation {op} is partial");
            // Every committed operation has its (accepted) logbook entry.
            let o = a.operation(op).unwrap();
            assert!(
                matches!(o.event.outcome.as_str(), "OK" | "WARNING"),
                "{point}: {op}"
            );
        }
        // One logbook operation per attempt: refused/undone ones are FATAL.
        let ops = a.operations().unwrap();
        assert_eq!(ops.len(), i + 1, "{point}: logbook operations");
        if !after_commit {
            assert_eq!(ops.last().unwrap().event.outcome, "FATAL", "{point}");
        }
        assert!(
            std::fs::read_dir(root.join("journal"))
                .unwrap()
                .next()
                .is_none(),
            "{point}: journal left behind"
        );
        let objects = a.strategy().referent().list("objects/").unwrap().len();
        assert_eq!(objects, committed * UNITS, "{point}: orphan objects");
        // The unit and group documents are in one metadata pack per operation.
        let packs = a.strategy().referent().list("packs/").unwrap().len();
        assert_eq!(packs, committed, "{point}: orphan packs");
        assert!(
            a.strategy().referent().list("units/").unwrap().is_empty(),
            "{point}: documents outside packs"
        );
        // Each committed unit's lifecycle holds its ingest events once, even when the
        // ingest stopped after writing lifecycles and the reopening finished it.
        let hits = a
            .search(
                FULL_ACCESS,
                &json!({"$query": {"$exists": "#id"}, "$filter": {"$limit": 10000}}),
            )
            .unwrap();
        for u in hits["$results"].as_array().unwrap() {
            let lc = a
                .lifecycle(LifecycleKind::Unit, u["#id"].as_str().unwrap())
                .unwrap();
            assert_eq!(lc.len(), 2, "{point}: lifecycle of {}: {lc:?}", u["#id"]);
        }
    }
    let a = Archive::open(&root).unwrap();
    let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
    assert!(r.report.outcome.is_accepted());
    assert_eq!(units_by_op(&a).len(), committed + 1);
    assert!(a.verify().unwrap().is_ok());
}

/// An ingest that stops after writing its lifecycles but before its operation entry is
/// finished by the next opening without writing them again (opening twice changes
/// nothing more), and `verify` reports lifecycles written twice.
#[test]
fn lifecycles_are_not_duplicated_by_recovery() {
    use vas_core::archive::FAILPOINT_ENV;
    let vas = env!("CARGO_BIN_EXE_vas");
    let dir = tempfile::tempdir().unwrap();
    let sip = dir.path().join("sip.zip");
    make_sip(&sip);
    let root = dir.path().join("archive");
    drop(Archive::create(&root, &InitOptions::default()).unwrap());
    let out = Command::new(vas)
        .args(["archive", "ingest", "--json"])
        .arg(&root)
        .arg(&sip)
        .env(FAILPOINT_ENV, "after-lifecycles")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let lines = |name: &str| {
        std::fs::read_to_string(root.join("logbook").join(name))
            .unwrap()
            .lines()
            .count()
    };
    // Written before the abort: 40 group lifecycles and 41 unit lifecycles.
    assert_eq!(lines("unit-lifecycles.jsonl"), UNITS + 1);
    assert_eq!(lines("objectgroup-lifecycles.jsonl"), UNITS);
    for _ in 0..2 {
        let a = Archive::open(&root).unwrap();
        let v = a.verify().unwrap();
        assert!(v.is_ok(), "{:?}", v.problems);
        assert_eq!(units_by_op(&a).values().sum::<usize>(), UNITS + 1);
        assert_eq!(a.operations().unwrap().len(), 1);
        assert_eq!(a.operations().unwrap()[0].event.outcome, "OK");
    }
    assert_eq!(lines("unit-lifecycles.jsonl"), UNITS + 1);
    assert_eq!(lines("objectgroup-lifecycles.jsonl"), UNITS);

    // A lifecycle written a second time (by hand) is reported by verify.
    let unit = {
        let a = Archive::open(&root).unwrap();
        let hits = a
            .search(FULL_ACCESS, &json!({"$query": {"$exists": "#id"}}))
            .unwrap();
        hits["$results"][0]["#id"].as_str().unwrap().to_string()
    };
    {
        let mut lb = Logbook::open(root.join("logbook")).unwrap();
        let events = lb.lifecycle(LifecycleKind::Unit, &unit).unwrap();
        lb.append_lifecycle(&Lifecycle {
            id: unit.clone(),
            kind: LifecycleKind::Unit,
            events,
        })
        .unwrap();
    }
    let a = Archive::open(&root).unwrap();
    let v = a.verify().unwrap();
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains(&unit) && p.contains("written 2 times")),
        "{:?}",
        v.problems
    );
}

/// The object batches of an ingest (`Strategy::put_batch` on the filesystem offers) aborted
/// at each step of the offer's batch put: the archive reopens clean, holds nothing of the
/// operation but its refused logbook entry (no unit, no object, no journal), and the same
/// SIP is then ingested.
#[test]
fn abort_at_every_step_of_an_object_batch() {
    use vas_core::storage::{BATCH_FAILPOINT_ENV, BATCH_FAILPOINTS};
    let vas = env!("CARGO_BIN_EXE_vas");
    let dir = tempfile::tempdir().unwrap();
    let sip = dir.path().join("sip.zip");
    make_sip(&sip);
    let root = dir.path().join("archive");
    drop(Archive::create(&root, &InitOptions::default()).unwrap());
    for (i, point) in BATCH_FAILPOINTS.iter().enumerate() {
        ingest_stopped_at(vas, &root, &sip, BATCH_FAILPOINT_ENV, point);
        let a = Archive::open(&root).unwrap();
        let v = a.verify().unwrap();
        assert!(v.is_ok(), "{point}: {:?}", v.problems);
        assert!(units_by_op(&a).is_empty(), "{point}: units after the abort");
        let ops = a.operations().unwrap();
        assert_eq!(ops.len(), i + 1, "{point}: logbook operations");
        assert_eq!(ops.last().unwrap().event.outcome, "FATAL", "{point}");
        for offer in a.strategy().offers() {
            assert!(
                offer.list("objects/").unwrap().is_empty(),
                "{point}: orphan objects on {}",
                offer.id()
            );
        }
        assert!(
            std::fs::read_dir(root.join("journal"))
                .unwrap()
                .next()
                .is_none(),
            "{point}: journal left behind"
        );
    }
    let a = Archive::open(&root).unwrap();
    let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
    assert!(r.report.outcome.is_accepted());
    assert_eq!(units_by_op(&a).values().sum::<usize>(), UNITS + 1);
    assert_eq!(
        a.strategy().referent().list("objects/").unwrap().len(),
        UNITS
    );
    assert!(a.verify().unwrap().is_ok());
}
