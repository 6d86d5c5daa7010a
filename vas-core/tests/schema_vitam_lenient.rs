//! The Vitam-lenient mode against Vitam's own verdicts: every SIP that Vitam 7.0.1's
//! test suite ingests successfully (final status OK or WARNING in
//! `tests/fixtures/vitam/sips/EXPECTED.json`, i.e. its manifest passed Vitam's
//! CHECK_SEDA against the vitam-validation schemas) must be accepted by
//! `Mode::VitamLenient`; the strict mode's verdict on the same manifests is reported.

use std::io::Read;
use std::path::Path;

use vas_core::schema::{Mode, SchemaSet, ValidationOptions, detect_seda_version};

const SIPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/vitam/sips");

fn manifest_of(zip_path: &Path) -> Option<Vec<u8>> {
    let f = std::fs::File::open(zip_path).ok()?;
    let mut z = zip::ZipArchive::new(f).ok()?;
    for i in 0..z.len() {
        let mut e = z.by_index(i).ok()?;
        let name = e.name().ok()?.to_string();
        if name
            .rsplit('/')
            .next()
            .is_some_and(|b| b.eq_ignore_ascii_case("manifest.xml"))
        {
            let mut v = Vec::new();
            (&mut e).take(64 << 20).read_to_end(&mut v).ok()?;
            return Some(v);
        }
    }
    None
}

#[test]
fn lenient_mode_accepts_every_manifest_vitam_ingests() {
    let text =
        std::fs::read_to_string(Path::new(SIPS).join("EXPECTED.json")).expect("EXPECTED.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut checked = 0;
    let mut strict_rejects = 0;
    let mut failures = Vec::new();
    for e in v.as_array().expect("array") {
        let wf = e["workflow"].as_str().unwrap_or("");
        let fin = e["final"].as_str().unwrap_or("");
        let ingest = wf.contains("PROCESS_SIP_UNITARY")
            || wf.contains("HOLDING_SCHEME")
            || wf.contains("FILING_SCHEME");
        if !ingest || !(fin == "OK" || fin == "WARNING") {
            continue;
        }
        let sip = e["sip"].as_str().unwrap_or("");
        let Some(bytes) = manifest_of(&Path::new(SIPS).join(sip)) else {
            continue;
        };
        let Ok(version) = detect_seda_version(bytes.as_slice()) else {
            continue;
        };
        let lenient = SchemaSet::seda_mode(version, Mode::VitamLenient).expect("compile");
        let strict = SchemaSet::seda_mode(version, Mode::Strict).expect("compile");
        let opts = ValidationOptions::default();
        let r = lenient.validate_reader(bytes.as_slice(), &opts);
        if !strict.validate_reader(bytes.as_slice(), &opts).is_valid() {
            strict_rejects += 1;
        }
        checked += 1;
        if !r.is_valid() {
            failures.push(format!(
                "{sip} (SEDA {version}, Vitam: {fin}): {:?}",
                r.findings
                    .iter()
                    .take(3)
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
            ));
        }
    }
    eprintln!(
        "Vitam-ingested manifests: {checked}; accepted by vitam mode: {}; rejected by strict mode: {strict_rejects}",
        checked - failures.len()
    );
    assert!(checked >= 40, "only {checked} manifests checked");
    assert!(
        failures.is_empty(),
        "{} rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
