//! Replays Vitam's own test SIPs (`tests/fixtures/vitam/sips/EXPECTED.json`) through
//! `ingest::dry_run` with the referentials Vitam's test loaded, and compares the final
//! status and the asserted outcome codes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use std::sync::Arc;

use vas_core::ingest::{
    DryRunOptions, ExistingObjectGroup, ExistingUnit, ExistingUnits, KnownUnits, Ontology, Status,
    dry_run,
};
use vas_core::referential::Referentials;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

/// Entries where vas deliberately or knowingly differs from Vitam; each one is explained
/// in docs/vitam-compatibility.md.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "integration-test_integration-ingest-internal/OK_OBJECT.zip",
        "the asserted code belongs to a follow-up SIP attaching to this one",
    ),
    (
        "integration-test_integration-ingest-internal/OK_SIPwithProfilRNG.zip",
        "the Vitam test unsets the profile file first; vas's fixture keeps it",
    ),
];

/// Keys (event types) the dry run executes: expected codes about other steps (storage,
/// indexation, accession register) are not comparable.
fn comparable(code: &str) -> bool {
    const KEYS: &[&str] = &[
        "STP_SANITY_CHECK_SIP",
        "CHECK_CONTAINER",
        "MANIFEST_FILE_NAME_CHECK",
        "STP_UPLOAD_SIP",
        "UPLOAD_SIP",
        "STP_INGEST_CONTROL_SIP",
        "CHECK_SEDA",
        "CHECK_HEADER",
        "CHECK_DATAOBJECTPACKAGE",
        "STP_OG_CHECK_AND_TRANSFORME",
        "CHECK_DIGEST",
        "CHECK_OBJECT_SIZE",
        "OG_OBJECTS_FORMAT_CHECK",
        "STP_UNIT_CHECK_AND_PROCESS",
        "CHECK_UNIT_SCHEMA",
        "CHECK_ARCHIVE_UNIT_PROFILE",
        "CHECK_CLASSIFICATION_LEVEL",
        "UNITS_RULES_COMPUTE",
        "PROCESS_SIP_UNITARY",
    ];
    let key = code.split('.').next().unwrap_or("");
    KEYS.contains(&key)
}

/// The units Vitam's test inserted into the archive before ingesting this SIP (the
/// attachment targets of its `UpdateOperation`s), as its notes in EXPECTED.json say.
fn existing_units_for(sip: &str) -> Option<Arc<dyn ExistingUnits>> {
    let units: &[(&str, &[(&str, &str)])] = match sip {
        // "2 existing units pre-inserted before ingest": both roots attach to this one.
        "integration-test_integration-processing/bug2721_2racines_meme_rattachement.zip" => {
            &[("aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq", &[])]
        }
        // "ingested after OK_SIP_MULTIPLE_USAGES", whose unit it finds by FilePlanPosition.
        "integration-test_integration-processing_add_objects_to_gots/OK_ADD_OBJECTS.zip" => &[(
            "aeaqaaaaaagbcaacaang6ak4ts6paliaaaab",
            &[("FilePlanPosition", "COMPLET.03.003.02.02")],
        )],
        _ => return None,
    };
    let mut k = KnownUnits::default();
    for (id, md) in units {
        k.add(
            ExistingUnit {
                system_id: id.to_string(),
                ..Default::default()
            },
            md,
        );
    }
    if sip.ends_with("/OK_ADD_OBJECTS.zip") {
        // OK_SIP_MULTIPLE_USAGES (originating agency "Vitam") gave that unit an object group,
        // to which OK_ADD_OBJECTS adds its objects ("still 1 GOT, BinaryMaster _nbc=3").
        k.add_object_group(
            ExistingObjectGroup {
                system_id: "aebaaaaaaagbcaacaang6ak4ts6paliaaaaq".into(),
                originating_agency: Some("Vitam".into()),
            },
            Some("aeaqaaaaaagbcaacaang6ak4ts6paliaaaab"),
        );
    }
    Some(Arc::new(k))
}

fn refs_for(entry: &Value) -> Option<PathBuf> {
    let first = entry["referentials"].as_array()?.first()?.as_str()?;
    let folder = first.split('/').next()?;
    let p = Path::new(FIX).join("referentials").join(folder);
    p.is_dir().then_some(p)
}

#[test]
fn vitam_expected_outcomes() {
    let expected: Vec<Value> =
        serde_json::from_slice(&std::fs::read(format!("{FIX}/vitam/sips/EXPECTED.json")).unwrap())
            .unwrap();
    let mut cache: std::collections::HashMap<PathBuf, Referentials> = Default::default();
    let (mut applicable, mut agree) = (0, 0);
    let mut unexpected = Vec::new();
    let mut differing = BTreeSet::new();
    for e in &expected {
        let wf = e["workflow"].as_str().unwrap_or("");
        if !wf.starts_with("DEFAULT_WORKFLOW (PROCESS_SIP_UNITARY)") {
            continue;
        }
        let Some(rdir) = refs_for(e) else { continue };
        let sip_name = e["sip"].as_str().unwrap();
        let sip = Path::new(FIX).join("vitam/sips").join(sip_name);
        if !sip.exists() {
            continue;
        }
        let refs = cache
            .entry(rdir.clone())
            .or_insert_with(|| Referentials::load_dir(&rdir).unwrap());
        let notes = e["notes"].as_str().unwrap_or("");
        let ontology = rdir.join("ontology.json");
        let opts = DryRunOptions {
            ontology: ontology
                .is_file()
                .then(|| Arc::new(Ontology::load_file(&ontology).unwrap())),
            existing_units: existing_units_for(sip_name),
            context: notes
                .contains("Context_IT")
                .then(|| "Context_IT".to_string()),
            format_hook: Some(vas_core::ingest::vitam_test_format_mock()),
            ..Default::default()
        };
        applicable += 1;
        let run = dry_run(&sip, refs, &opts).unwrap();
        let got: BTreeSet<&str> = run.report.out_details().into_iter().collect();
        let mut why = Vec::new();
        if let Some(f) = e["final"].as_str() {
            let f: Status = f.parse().unwrap();
            if f != run.report.outcome {
                why.push(format!("final {} != expected {f}", run.report.outcome));
            }
        }
        for c in e["outDetails"].as_array().into_iter().flatten() {
            let c = c.as_str().unwrap();
            if comparable(c) && !got.contains(c) {
                why.push(format!("missing {c}"));
            }
        }
        if why.is_empty() {
            agree += 1;
        } else {
            let problems: Vec<&str> = run
                .report
                .problems()
                .map(|e| e.out_detail.as_str())
                .collect();
            println!("DIFF {sip_name}: {} (got {:?})", why.join("; "), problems);
            differing.insert(sip_name.to_string());
            if !KNOWN_DIFFERENCES.iter().any(|(s, _)| *s == sip_name) {
                unexpected.push(sip_name.to_string());
            }
        }
    }
    println!("Vitam conformance: {agree} agree / {applicable} applicable");
    assert!(applicable >= 70, "{applicable}");
    assert!(
        unexpected.is_empty(),
        "{} undocumented differences: {unexpected:?}",
        unexpected.len()
    );
    let stale: Vec<&str> = KNOWN_DIFFERENCES
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| !differing.contains(*s))
        .collect();
    assert!(
        stale.is_empty(),
        "listed as differences but now agree (update the list and docs/vitam-compatibility.md): {stale:?}"
    );
}
