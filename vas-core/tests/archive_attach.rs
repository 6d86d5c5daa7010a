//! Attachments to units already in the archive (`UpdateOperation`), with Vitam's SIPs: the
//! ingest resolves them against the tenant's catalog, the new units get the existing unit as
//! parent (catalog graph, `$roots` searches, rebuild), and another tenant's units are never
//! found.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vas_core::archive::{Archive, FULL_ACCESS, IngestOptions, InitOptions};

const SIPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/vitam/sips");

fn sip(rel: &str) -> PathBuf {
    Path::new(SIPS).join(rel)
}

fn fast_archive(dir: &Path) -> Archive {
    let offers = dir.join("offers.toml");
    std::fs::write(
        &offers,
        "[[offer]]\nid = \"fs-1\"\nkind = \"filesystem\"\npath = \"o1\"\nfsync = false\n\
         [[offer]]\nid = \"fs-2\"\nkind = \"filesystem\"\npath = \"o2\"\nfsync = false\n",
    )
    .unwrap();
    Archive::create(
        dir.join("archive"),
        &InitOptions {
            offers: Some(offers),
            ..Default::default()
        },
    )
    .unwrap()
}

fn units_titled(a: &Archive, title: &str) -> Vec<Value> {
    let r = a
        .search(
            FULL_ACCESS,
            &json!({"$query": {"$eq": {"Title": title}}, "$filter": {"$limit": 100}}),
        )
        .unwrap();
    r["$results"].as_array().unwrap().clone()
}

/// Rewrites a zip SIP with `from` replaced by `to` in its manifest (other entries copied).
fn rewrite_manifest(src: &Path, dst: &Path, from: &str, to: &str) {
    let mut zin = zip::ZipArchive::new(std::fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        if f.is_dir() {
            continue;
        }
        if name.ends_with("manifest.xml") {
            b = String::from_utf8(b).unwrap().replace(from, to).into_bytes();
        }
        zout.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&b).unwrap();
    }
    zout.finish().unwrap();
}

#[test]
fn attachment_by_metadata_key_to_an_existing_unit() {
    let dir = tempfile::tempdir().unwrap();
    let a = fast_archive(dir.path());
    let attach = sip("integration-test_integration-ingest-internal/base_with_unit.zip");
    // Before its target exists: refused as Vitam refuses it, nothing stored.
    let r = a.ingest(&attach, &IngestOptions::default()).unwrap();
    assert!(!r.report.outcome.is_accepted());
    assert!(
        r.report
            .out_details()
            .iter()
            .any(|d| d.contains("NOT_FOUND_ATTACHMENT")),
        "{:?}",
        r.report.out_details()
    );
    assert_eq!(a.counts().unwrap().0, 0);

    // The SIP holding the unit titled "Annuaire_projet.pdf".
    let base = sip("integration-test_integration-ingest-internal/OK_OBJECT.zip");
    let r = a.ingest(&base, &IngestOptions::default()).unwrap();
    assert!(
        r.report.outcome.is_accepted(),
        "{:?}",
        r.report.out_details()
    );
    let target = units_titled(&a, "Annuaire_projet.pdf");
    assert_eq!(target.len(), 1);
    let target_id = target[0]["#id"].as_str().unwrap().to_string();
    let before = a.counts().unwrap().0;

    // Vitam's SIP as is: it only declares the existing unit, so it is accepted and creates
    // nothing (the declared unit is not created again).
    let r = a.ingest(&attach, &IngestOptions::default()).unwrap();
    assert!(
        r.report.outcome.is_accepted(),
        "{:?}",
        r.report.out_details()
    );
    assert_eq!(a.counts().unwrap().0, before);
    assert_eq!(r.system_ids.get("ID8"), Some(&target_id));
    assert!(units_titled(&a, "Title ID8").is_empty());
    // The same with a new unit under the declared one.
    let with_child = dir.path().join("with-child.zip");
    rewrite_manifest(
        &attach,
        &with_child,
        "</Content>",
        "</Content><ArchiveUnit id=\"CHILD\"><Content><DescriptionLevel>Item</DescriptionLevel>\
         <Title>Attached child</Title></Content></ArchiveUnit>",
    );
    let r = a.ingest(&with_child, &IngestOptions::default()).unwrap();
    assert!(
        r.report.outcome.is_accepted(),
        "{:?}",
        r.report.out_details()
    );
    // One new unit, under the target.
    assert_eq!(a.counts().unwrap().0, before + 1);
    let new = units_titled(&a, "Attached child");
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["#unitups"], json!([target_id]));
    assert!(
        new[0]["#allunitups"]
            .as_array()
            .unwrap()
            .contains(&json!(target_id))
    );
    assert_eq!(units_titled(&a, "Annuaire_projet.pdf").len(), 1);
    // The graph: a `$roots` search from the existing unit finds the attached one.
    let under = a
        .search(
            FULL_ACCESS,
            &json!({"$roots": [target_id], "$query": [{"$exists": "Title", "$depth": 1}]}),
        )
        .unwrap();
    let found: Vec<&str> = under["$results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["#id"].as_str().unwrap())
        .collect();
    assert!(
        found.contains(&new[0]["#id"].as_str().unwrap()),
        "{found:?}"
    );
    // The ATR names the existing unit by its system id.
    assert!(r.atr.contains(&target_id), "{}", r.atr);
    let v = a.verify().unwrap();
    assert!(v.is_ok(), "{:?}", v.problems);
    // Rebuilt from the offers alone, the attachment is still there.
    a.rebuild().unwrap();
    let again = units_titled(&a, "Attached child");
    assert_eq!(again[0]["#unitups"], json!([target_id]));
    assert!(a.verify().unwrap().is_ok());
}

#[test]
fn attachment_by_system_id_and_tenant_separation() {
    let dir = tempfile::tempdir().unwrap();
    let a = fast_archive(dir.path());
    let base = sip("integration-test_integration-ingest-internal/OK_OBJECT.zip");
    let r = a.ingest(&base, &IngestOptions::default()).unwrap();
    assert!(r.report.outcome.is_accepted());
    let target = units_titled(&a, "Annuaire_projet.pdf")[0]["#id"]
        .as_str()
        .unwrap()
        .to_string();
    // Vitam's SIP attaching two roots to one existing unit by SystemId, pointed at ours.
    let attach = dir.path().join("bug2721.zip");
    rewrite_manifest(
        &sip("integration-test_integration-processing/bug2721_2racines_meme_rattachement.zip"),
        &attach,
        "aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq",
        &target,
    );
    let before = a.counts().unwrap().0;
    let r = a.ingest(&attach, &IngestOptions::default()).unwrap();
    assert!(
        r.report.outcome.is_accepted(),
        "{:?}",
        r.report.out_details()
    );
    let children = a
        .search(
            FULL_ACCESS,
            &json!({"$roots": [target], "$query": [{"$exists": "Title", "$depth": 1}], "$filter": {"$limit": 100}}),
        )
        .unwrap();
    let titles: Vec<&str> = children["$results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["Title"].as_str().unwrap_or(""))
        .collect();
    assert!(titles.contains(&"Vers plan via contrat"), "{titles:?}");
    // The two declared existing units are not created.
    let created = a.counts().unwrap().0 - before;
    assert_eq!(
        created as usize,
        r.system_ids.len() - 2 - groups_and_objects(&r)
    );
    assert!(a.verify().unwrap().is_ok());
    let root = a.dir().to_path_buf();
    drop(a);

    // Another tenant does not see tenant 0's units: the same attachment is refused there.
    Archive::add_tenant(&root, 7, None).unwrap();
    let t7 = Archive::open_tenant(&root, Some(7)).unwrap();
    let r = t7.ingest(&attach, &IngestOptions::default()).unwrap();
    assert!(!r.report.outcome.is_accepted());
    assert!(
        r.report
            .out_details()
            .iter()
            .any(|d| d.contains("NOT_FOUND_ATTACHMENT")),
        "{:?}",
        r.report.out_details()
    );
    assert_eq!(t7.counts().unwrap(), (0, 0));
}

/// System ids the ingest gave to object groups and objects (those are not units).
fn groups_and_objects(r: &vas_core::archive::IngestResult) -> usize {
    r.system_ids
        .values()
        .filter(|id| {
            vas_core::ids::Id::parse(id)
                .map(|i| i.kind() != vas_core::ids::IdKind::Unit)
                .unwrap_or(false)
        })
        .count()
}
