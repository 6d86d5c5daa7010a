//! The archive against Vitam's own SIPs: every SIP is ingested into one archive; accepted
//! ones are searched, read, exported and verified; refused ones leave only their logbook
//! operation. Then the catalog is rebuilt from the offers and compared with the original.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vas_core::archive::{Archive, FULL_ACCESS, IngestOptions, InitOptions};

const SIPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/vitam/sips");

fn sips() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(SIPS)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.ends_with(".zip") || n.ends_with(".tar") || n.ends_with(".tar.gz")
            }) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn expected() -> Vec<(String, Option<String>)> {
    let v: Value =
        serde_json::from_slice(&std::fs::read(Path::new(SIPS).join("EXPECTED.json")).unwrap())
            .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["sip"].as_str().unwrap().to_string(),
                e["final"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn all_units(a: &Archive) -> Vec<Value> {
    let r = a
        .search(FULL_ACCESS, &json!({"$query": {"$exists": "#id"}, "$filter": {"$limit": 10000, "$orderby": {"#id": 1}}}))
        .unwrap();
    let mut v = r["$results"].as_array().unwrap().clone();
    v.sort_by(|a, b| a["#id"].as_str().cmp(&b["#id"].as_str()));
    v
}

#[test]
fn vitam_sips_ingest_search_get_dip_verify_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    // Two filesystem offers without fsync (speed; durability is the crash test's business),
    // through an --offers file, as an application would configure them.
    let offers = dir.path().join("offers.toml");
    std::fs::write(
        &offers,
        "[[offer]]\nid = \"fs-1\"\nkind = \"filesystem\"\npath = \"o1\"\nfsync = false\n\
         [[offer]]\nid = \"fs-2\"\nkind = \"filesystem\"\npath = \"o2\"\nfsync = false\n",
    )
    .unwrap();
    let a = Archive::create(
        &root,
        &InitOptions {
            offers: Some(offers),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a.strategy().offers().len(), 2);
    let exp = expected();
    let (mut accepted, mut refused, mut agree, mut compared) = (0, 0, 0, 0);
    let mut total_units = 0u64;
    for sip in sips() {
        let before = a.counts().unwrap();
        let ops_before = a.operations().unwrap().len();
        let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
        if std::env::var("VAS_DEBUG").is_ok() {
            eprintln!(
                "{} {} {:?}",
                sip.display(),
                r.report.outcome,
                r.report
                    .problems()
                    .map(|e| (&e.out_detail, &e.ev_det_data))
                    .collect::<Vec<_>>()
            );
        }
        let ops = a.operations().unwrap();
        assert_eq!(
            ops.len(),
            ops_before + 1,
            "{}: one operation",
            sip.display()
        );
        assert_eq!(ops.last().unwrap().event.ev_id_proc, r.operation_id);
        let rel = sip
            .strip_prefix(SIPS)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let ok = r.report.outcome.is_accepted();
        if let Some((_, Some(f))) = exp.iter().find(|(s, _)| *s == rel) {
            compared += 1;
            if (f == "KO") != ok {
                agree += 1;
            }
        }
        if !ok {
            refused += 1;
            assert_eq!(a.counts().unwrap(), before, "{rel}: a KO leaves no unit");
            assert!(r.system_ids.is_empty());
            assert!(
                r.atr
                    .contains(&format!("<ReplyCode>{}</ReplyCode>", r.report.outcome)),
                "{rel}"
            );
            for e in [
                "<SystemId>",
                "<DataObjectSystemId>",
                "<DataObjectGroupSystemId>",
            ] {
                assert!(!r.atr.contains(e), "{rel}: a KO ATR has no system id");
            }
            continue;
        }
        accepted += 1;
        // Vitam's ReplyCode is the final status (OK or WARNING), and the ATR names the
        // system id of every unit, group and object stored.
        assert!(
            r.atr
                .contains(&format!("<ReplyCode>{}</ReplyCode>", r.report.outcome)),
            "{rel}"
        );
        for id in r.system_ids.values() {
            assert!(
                r.atr.contains(&format!(">{id}</")),
                "{rel}: {id} not in the ATR"
            );
        }
        for step in [
            "STP_STORAGE_AVAILABILITY_CHECK",
            "STP_OBJ_STORING",
            "STP_UNIT_METADATA",
            "STP_OG_STORING",
            "STP_UNIT_STORING",
            "STP_ACCESSION_REGISTRATION",
            "STP_INGEST_FINALISATION",
        ] {
            assert!(r.report.event(step).is_some(), "{rel}: {step} missing");
        }
        // The units this operation created (a unit the SIP attaches to keeps its id and
        // its own operation).
        let units: Vec<&String> = r
            .system_ids
            .values()
            .filter(|s| s.starts_with('u'))
            .filter(|s| a.get_unit(FULL_ACCESS, s).unwrap()["#opi"] == json!(r.operation_id))
            .collect();
        total_units += units.len() as u64;
        assert_eq!(
            a.counts().unwrap().0,
            before.0 + units.len() as u64,
            "{rel}"
        );
        let hits = a
            .search(
                FULL_ACCESS,
                &json!({"$query": {"$eq": {"#opi": r.operation_id}}, "$filter": {"$limit": 10000}}),
            )
            .unwrap();
        assert_eq!(hits["$hits"]["total"], json!(units.len()), "{rel}");
        for u in &units {
            let doc = a.get_unit(FULL_ACCESS, u).unwrap();
            assert_eq!(doc["#opi"], json!(r.operation_id));
            if doc["#object"].is_string()
                && let Ok(o) = a.object_of(FULL_ACCESS, u, "BinaryMaster")
                && o.storage_key.is_some()
            {
                let (_, bytes) = a.read_object(FULL_ACCESS, u, "BinaryMaster").unwrap();
                assert_eq!(bytes.len() as u64, o.size);
            }
        }
        // DIP of this operation's units.
        let dip = dir.path().join(format!("dip-{accepted}.zip"));
        let s = a
            .dip(
                FULL_ACCESS,
                &json!({"$query": {"$eq": {"#opi": r.operation_id}}, "$filter": {"$limit": 10000}}),
                &dip,
            )
            .unwrap();
        assert_eq!(s.units, units.len());
    }
    eprintln!(
        "archive: {accepted} accepted, {refused} refused, {total_units} units; agreement with Vitam's verdict (accepted vs KO) on {agree}/{compared}"
    );
    assert!(accepted >= 40, "only {accepted} SIPs accepted");
    assert!(refused >= 1);
    let v = a.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
    assert_eq!(v.units, total_units);
    let audit = a.audit(false).unwrap();
    assert!(audit.findings.is_empty(), "{:?}", audit.findings);

    // Rebuild from the offers alone gives the same catalog.
    let before = all_units(&a);
    let reg_before = a.accession_register(FULL_ACCESS).unwrap();
    std::fs::remove_file(root.join("catalog.sqlite")).ok();
    drop(a);
    for ext in ["-wal", "-shm"] {
        std::fs::remove_file(format!("{}{ext}", root.join("catalog.sqlite").display())).ok();
    }
    let a = Archive::open(&root).unwrap();
    assert_eq!(a.counts().unwrap(), (0, 0));
    let rep = a.rebuild().unwrap();
    assert_eq!(rep.units, total_units);
    assert_eq!(all_units(&a), before);
    assert_eq!(a.accession_register(FULL_ACCESS).unwrap(), reg_before);
    assert!(a.verify().unwrap().is_ok());
}
