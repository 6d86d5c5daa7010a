//! The DIP in the requested SEDA version: every accepted Vitam SIP is ingested, then
//! exported as an `ArchiveDeliveryRequestReply` in its own version and in 2.1, 2.2 and 2.3.
//! Each manifest is checked with the bundled XSDs through the schema engine *and* with
//! `xmllint --schema` (the oracle), and each unit's `Content`/`Management` is compared with
//! the SIP's own (typed SEDA model) when the versions agree.

#[allow(dead_code)]
mod archive_support;

use archive_support::setup::{OFFERS_NO_FSYNC, Setup, create_archive_with, zip_entry};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;
use vas_core::archive::{DipOptions, FULL_ACCESS, IngestOptions};
use vas_core::schema::{Mode, SchemaSet};
use vas_core::seda::{ArchiveUnit, Document, SedaVersion};

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

/// `xmllint --schema` of a DIP manifest against the official XSD of its SEDA version.
fn xmllint(xml: &[u8], version: SedaVersion, scratch: &Path) -> Result<(), String> {
    archive_support::setup::xmllint(xml, version.as_str(), scratch)
}

/// Units of a document by id (the unit itself without nested units / references).
fn units_by_id(doc: &Document) -> Vec<(String, ArchiveUnit)> {
    let mut out = Vec::new();
    let mut stack: Vec<&ArchiveUnit> = doc
        .package()
        .and_then(|p| p.descriptive_metadata())
        .map(|d| d.units().collect())
        .unwrap_or_default();
    while let Some(u) = stack.pop() {
        stack.extend(u.children());
        if let Some(id) = u.meta.id() {
            out.push((id.to_string(), u.clone()));
        }
    }
    out
}

#[test]
fn dip_in_every_seda_version_is_valid_and_carries_content_as_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive_with(
        dir.path(),
        &Setup {
            offers: Some(OFFERS_NO_FSYNC),
            ..Default::default()
        },
    );
    let (mut accepted, mut dips, mut compared, mut upgraded) = (0, 0, 0usize, 0);
    let mut with_package_rules = 0usize;
    let (mut official, mut lenient, mut lenient_sips) = (0, 0, 0);
    let mut failures: Vec<String> = Vec::new();
    for sip in sips() {
        let r = a.ingest(&sip, &IngestOptions::default()).unwrap();
        if !r.report.outcome.is_accepted() {
            continue;
        }
        accepted += 1;
        let rel = sip.strip_prefix(SIPS).unwrap().display().to_string();
        let sip_manifest = vas_core::sip::SipReader::open(&sip, Default::default())
            .unwrap()
            .manifest_bytes()
            .unwrap();
        let sip_doc = Document::from_slice(&sip_manifest).unwrap();
        let query =
            json!({"$query": {"$eq": {"#opi": r.operation_id}}, "$filter": {"$limit": 10000}});
        for requested in [
            None,
            Some(SedaVersion::V2_1),
            Some(SedaVersion::V2_2),
            Some(SedaVersion::V2_3),
        ] {
            let out = dir.path().join("dip.zip");
            let opts = DipOptions {
                version: requested,
                ..Default::default()
            };
            let s = match a.dip_with(FULL_ACCESS, &query, &out, &opts) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{rel} {requested:?}: {e}"));
                    continue;
                }
            };
            dips += 1;
            let xml = zip_entry(&out, "manifest.xml");
            let dip = Document::from_slice(&xml).unwrap();
            match requested {
                Some(v) => assert_eq!(dip.version, v, "{rel}"),
                None if dip.version == sip_doc.version || s.schema != "official" => {}
                None => {
                    // Vitam accepted later-version elements in this SIP: the default is
                    // then the first later version that holds them, and the SIP's own
                    // version is refused with the reason.
                    assert!(dip.version > sip_doc.version, "{rel}");
                    let e = a
                        .dip_with(
                            FULL_ACCESS,
                            &query,
                            &dir.path().join("x.zip"),
                            &DipOptions {
                                version: Some(sip_doc.version),
                                strict: true,
                            },
                        )
                        .unwrap_err();
                    assert_eq!(e.kind(), vas_core::ErrorKind::Unsupported, "{rel}: {e}");
                    assert!(!dir.path().join("x.zip").exists());
                    upgraded += 1;
                }
            }
            assert_eq!(dip.kind.as_str(), "ArchiveDeliveryRequestReply");
            assert_eq!(s.seda_version, dip.version.as_str());
            if s.schema == "official" {
                official += 1;
                let engine = SchemaSet::seda(dip.version).unwrap().validate_bytes(&xml);
                assert!(
                    engine.is_valid(),
                    "{rel} {requested:?}: schema engine: {engine:?}"
                );
                if let Err(e) = xmllint(&xml, dip.version, dir.path()) {
                    panic!("{rel} {requested:?}: xmllint: {e}");
                }
                assert!(s.official_finding.is_none());
            } else {
                // Content Vitam accepted but the official XSD forbids: valid against Vitam's
                // lenient variant, never against the official one, and the summary says why.
                assert_eq!(s.schema, "vitam-lenient");
                lenient += 1;
                let set = SchemaSet::seda_mode(dip.version, Mode::VitamLenient).unwrap();
                assert!(set.validate_bytes(&xml).is_valid(), "{rel}");
                assert!(
                    !SchemaSet::seda(dip.version)
                        .unwrap()
                        .validate_bytes(&xml)
                        .is_valid()
                );
                assert!(xmllint(&xml, dip.version, dir.path()).is_err(), "{rel}");
                assert!(s.official_finding.is_some());
                // With `strict`, the same export is refused.
                let e = a
                    .dip_with(
                        FULL_ACCESS,
                        &query,
                        &dir.path().join("x.zip"),
                        &DipOptions {
                            version: requested,
                            strict: true,
                        },
                    )
                    .unwrap_err();
                assert_eq!(e.kind(), vas_core::ErrorKind::Unsupported, "{rel}: {e}");
                if requested.is_none() {
                    lenient_sips += 1;
                }
            }
            let units = units_by_id(&dip);
            assert_eq!(units.len(), s.units, "{rel}");
            // Every binary object listed is in the zip with its declared size.
            if let Some(p) = dip.package() {
                for b in p.binary_objects() {
                    let uri = b.uri().unwrap();
                    let bytes = zip_entry(&out, uri);
                    assert_eq!(Some(bytes.len() as u64), b.size(), "{rel} {uri}");
                }
            }
            if dip.version != sip_doc.version {
                continue;
            }
            // Same version: each unit's Content and Management equal the SIP's; a root
            // unit of a SIP whose ManagementMetadata holds rules gets them folded into its
            // Management: the rules reader (the ingest's) must then see the same rules for
            // it in the DIP as in the SIP (with the SIP's ManagementMetadata applied).
            let sip_units = units_by_id(&sip_doc);
            let rules_of = |m: &[u8]| -> BTreeMap<String, vas_core::rules::Management> {
                vas_core::rules::read_manifest_units_bytes(m)
                    .unwrap()
                    .units
                    .into_iter()
                    .map(|u| (u.id, u.management))
                    .collect()
            };
            let (sip_rules, dip_rules) = (rules_of(&sip_manifest), rules_of(&xml));
            for (sys, du) in &units {
                let manifest_id = r
                    .system_ids
                    .iter()
                    .find(|(_, v)| *v == sys)
                    .map(|(k, _)| k.clone())
                    .unwrap();
                let (_, su) = sip_units.iter().find(|(id, _)| *id == manifest_id).unwrap();
                let strip = |u: &ArchiveUnit| {
                    let mut c = u.content().cloned();
                    let mut m = u.management().cloned();
                    if let Some(c) = c.as_mut() {
                        c.meta = Default::default();
                    }
                    if let Some(m) = m.as_mut() {
                        m.meta = Default::default();
                    }
                    (c, m)
                };
                let (dc, dm) = strip(du);
                let (sc, sm) = strip(su);
                assert_eq!(dc, sc, "{rel}: unit {manifest_id}");
                if dm != sm {
                    assert_eq!(
                        dip_rules[sys.as_str()],
                        sip_rules[&manifest_id],
                        "{rel}: unit {manifest_id}"
                    );
                    with_package_rules += 1;
                }
                compared += 1;
            }
        }
    }
    assert!(
        with_package_rules > 0,
        "Vitam's SIPs include root units under ManagementMetadata rules"
    );
    eprintln!(
        "dip: {accepted} accepted SIPs, {dips} DIPs valid (engine + xmllint), {compared} units equal to the SIP's ({with_package_rules} root units with their package's ManagementMetadata rules folded in), {upgraded} defaulted to a later version; {official} DIPs valid against the official XSD (engine + xmllint), {lenient} only against Vitam's lenient one ({lenient_sips} SIPs by default); refused exports: {}",
        failures.len()
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(accepted >= 40);
    // The default export never fails, and only a version lacking an element refuses.
    assert!(
        failures.iter().all(|f| !f.contains(" None:")),
        "{failures:#?}"
    );
    // Only an explicitly requested version lacking an element is refused, with the reason.
    assert!(
        failures
            .iter()
            .all(|f| f.contains(" Some(") && f.contains("cannot be written as valid SEDA")),
        "{failures:#?}"
    );
    assert!(failures.len() <= 5, "{failures:#?}");
    // Converted units put the elements their new version does not declare (a 2.1
    // `Signature` in 2.3) last in `Content`: before a declared one (their `Gps`), Xerces,
    // Vitam's validator, would refuse them (XSD 1.1, cos-element-consistent.4.a), and so
    // does the lenient mode, which reproduces it.
    assert!(
        failures
            .iter()
            .all(|f| !f.contains("cos-element-consistent")),
        "{failures:#?}"
    );
    assert!(
        official >= 2 * lenient,
        "{official} official, {lenient} lenient"
    );
    assert!(compared >= 100, "only {compared} units compared");
}
