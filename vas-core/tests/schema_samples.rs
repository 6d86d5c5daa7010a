//! Differential tests: vas's XSD verdict (strict) against libxml2's on the sample
//! manifests (`RESULTS.txt`, recorded with xmllint 2.9.14) and, when `xmllint` is
//! installed, against a live run of xmllint on the same files.

use std::path::{Path, PathBuf};
use std::process::Command;

use vas_core::schema::{Mode, SchemaSet, SedaVersion, ValidationOptions};

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/seda/samples"
);
const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");

fn results() -> Vec<(bool, SedaVersion, PathBuf)> {
    let text =
        std::fs::read_to_string(Path::new(SAMPLES).join("RESULTS.txt")).expect("RESULTS.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let verdict = it.next().expect("verdict") == "PASS";
            let v: SedaVersion = it.next().expect("version").parse().expect("version");
            let f = Path::new(SAMPLES).join(it.next().expect("file"));
            (verdict, v, f)
        })
        .collect()
}

/// Runs xmllint on many files at once; returns the set of files it reported invalid,
/// or None when xmllint is not installed.
pub fn xmllint_fail_set(version: SedaVersion, files: &[PathBuf]) -> Option<Vec<PathBuf>> {
    let main = format!("{SCHEMAS}/{v}/seda-{v}-main.xsd", v = version.as_str());
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", format!("{SCHEMAS}/catalog.xml"))
        .args(["--noout", "--nonet", "--schema", &main])
        .args(files)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut failed = Vec::new();
    for f in files {
        let s = f.display().to_string();
        if !stderr.contains(&format!("{s} validates\n")) {
            failed.push(f.clone());
        }
    }
    Some(failed)
}

#[test]
fn strict_verdicts_match_recorded_xmllint_results() {
    let mut mismatches = Vec::new();
    let all = results();
    for (expected, v, f) in &all {
        let set = SchemaSet::seda(*v).expect("bundled schemas compile");
        let r = set
            .validate_file(f, &ValidationOptions::default())
            .expect("readable");
        if r.is_valid() != *expected {
            mismatches.push(format!(
                "{} v{v}: xmllint {} vas {}: {:?}",
                f.display(),
                if *expected { "PASS" } else { "FAIL" },
                if r.is_valid() { "PASS" } else { "FAIL" },
                r.findings.iter().map(|f| f.to_string()).collect::<Vec<_>>()
            ));
        }
    }
    assert!(all.len() >= 80, "expected the full sample corpus");
    assert!(
        mismatches.is_empty(),
        "{} of {} disagree:\n{}",
        mismatches.len(),
        all.len(),
        mismatches.join("\n")
    );
}

#[test]
fn strict_verdicts_match_live_xmllint() {
    let all = results();
    let mut compared = 0;
    for v in SedaVersion::ALL {
        let files: Vec<PathBuf> = all
            .iter()
            .filter(|(_, fv, _)| *fv == v)
            .map(|(_, _, f)| f.clone())
            .collect();
        let Some(failed) = xmllint_fail_set(v, &files) else {
            eprintln!("xmllint not installed: live comparison skipped");
            return;
        };
        let set = SchemaSet::seda(v).expect("compile");
        for f in &files {
            let r = set
                .validate_file(f, &ValidationOptions::default())
                .expect("read");
            assert_eq!(
                r.is_valid(),
                !failed.contains(f),
                "{} (v{v}): {:?}",
                f.display(),
                r.findings
            );
            compared += 1;
        }
    }
    assert!(compared >= 80);
}

#[test]
fn findings_have_paths_lines_and_plain_messages() {
    let set = SchemaSet::seda(SedaVersion::V2_3).expect("compile");
    let r = set
        .validate_file(
            Path::new(SAMPLES).join("ko-level-2.3.xml"),
            &ValidationOptions::default(),
        )
        .expect("read");
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = &r.findings[0];
    assert!(
        f.path.starts_with("/ArchiveTransfer[@id='msg1']/DataObjectPackage/DescriptiveMetadata/ArchiveUnit[@id='AU1']/ArchiveUnit[@id='AU2']"),
        "{}",
        f.path
    );
    assert!(f.path.ends_with("/Content/DescriptionLevel"), "{}", f.path);
    assert!(f.message.contains("allowed"), "{}", f.message);
    assert!(f.line > 1);

    let r = set
        .validate_file(
            Path::new(SAMPLES).join("ko-order-2.3.xml"),
            &ValidationOptions::default(),
        )
        .expect("read");
    assert!(
        r.findings[0].message.contains("not expected"),
        "{}",
        r.findings[0]
    );
    assert!(
        r.findings[0].message.contains("expected:"),
        "{}",
        r.findings[0]
    );
}

#[test]
fn dangling_idrefs_are_reported_apart_from_the_xsd_verdict() {
    // libxml2 accepts these (it does not resolve IDREFs): the XSD verdict stays valid,
    // the reference check flags them.
    for v in SedaVersion::ALL {
        let set = SchemaSet::seda(v).expect("compile");
        let f = Path::new(SAMPLES).join(format!("ko-idref-{v}.xml"));
        let r = set
            .validate_file(&f, &ValidationOptions::default())
            .expect("read");
        assert!(r.is_valid(), "{:?}", r.findings);
        assert!(!r.is_valid_with_references());
        assert!(
            r.reference_findings[0]
                .message
                .contains("does not match any identifier")
        );
    }
    // and valid manifests have no dangling references
    let r = SchemaSet::seda(SedaVersion::V2_3)
        .expect("compile")
        .validate_file(
            Path::new(SAMPLES).join("ok-2.3.xml"),
            &ValidationOptions::default(),
        )
        .expect("read");
    assert!(r.is_valid_with_references(), "{:?}", r.reference_findings);
}

#[test]
fn lenient_mode_accepts_what_vitam_accepts() {
    // Each of these fails strict validation only because of a Vitam extension.
    let cases = [
        (SedaVersion::V2_1, "SampleWithLinkFlatManifest.xml"),
        (SedaVersion::V2_1, "SampleWithLinkHierarchicalManifest.xml"),
        (SedaVersion::V2_3, "vitam-cookbook/cookbook7-manifest.xml"),
        (SedaVersion::V2_3, "vitam-cookbook/cookbook8-manifest.xml"),
    ];
    for (v, name) in cases {
        let f = Path::new(SAMPLES).join(name);
        let strict = SchemaSet::seda_mode(v, Mode::Strict).expect("compile");
        let vitam = SchemaSet::seda_mode(v, Mode::VitamLenient).expect("compile");
        let o = ValidationOptions::default();
        assert!(
            !strict.validate_file(&f, &o).expect("read").is_valid(),
            "{name} strict"
        );
        let r = vitam.validate_file(&f, &o).expect("read");
        assert!(r.is_valid(), "{name} vitam: {:?}", r.findings);
    }
    // Lenient is not lax: real errors are still errors.
    // (Out-of-order children are another matter: Vitam's trailing `any` wildcards
    // accept a misplaced optional element, so ko-order is not in this list.)
    for name in [
        "ko-level",
        "ko-size",
        "ko-date",
        "ko-dupid",
        "ko-noalgo",
        "ko-finalaction",
    ] {
        for v in SedaVersion::ALL {
            let f = Path::new(SAMPLES).join(format!("{name}-{v}.xml"));
            let vitam = SchemaSet::seda_mode(v, Mode::VitamLenient).expect("compile");
            let r = vitam
                .validate_file(&f, &ValidationOptions::default())
                .expect("read");
            assert!(!r.is_valid(), "{name}-{v} should fail in vitam mode too");
        }
    }
}

#[test]
fn user_extension_schema_with_substitution_group_members() {
    let ext = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
        xmlns:seda="fr:gouv:culture:archivesdefrance:seda:v2.3"
        targetNamespace="urn:example:ogext" xmlns="urn:example:ogext" elementFormDefault="qualified">
      <xs:import namespace="fr:gouv:culture:archivesdefrance:seda:v2.3" schemaLocation="seda-2.3-main.xsd"/>
      <xs:element name="Project" substitutionGroup="seda:ObjectGroupExtenstionAbstract">
        <xs:complexType><xs:sequence><xs:element name="Code" type="xs:NCName"/></xs:sequence></xs:complexType>
      </xs:element>
    </xs:schema>"#;
    let set = SchemaSet::builder()
        .add_str("ogext.xsd", ext)
        .build()
        .expect("extension compiles");
    let doc = |inner: &str| {
        format!(
            r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3" xmlns:x="urn:example:ogext">
  <Date>2024-06-01T10:00:00</Date><MessageIdentifier>M1</MessageIdentifier><CodeListVersions/>
  <DataObjectPackage><DescriptiveMetadata><ArchiveUnit id="AU1"><Content><Title>t</Title>{inner}</Content></ArchiveUnit></DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>
  <ArchivalAgency><Identifier>A</Identifier></ArchivalAgency><TransferringAgency><Identifier>T</Identifier></TransferringAgency>
</ArchiveTransfer>"#
        )
    };
    let ok = set.validate_bytes(doc("<x:Project><x:Code>P1</x:Code></x:Project>").as_bytes());
    assert!(ok.is_valid(), "{:?}", ok.findings);
    let bad = set.validate_bytes(doc("<x:Project><x:Code>1 2</x:Code></x:Project>").as_bytes());
    assert_eq!(bad.findings.len(), 1, "{:?}", bad.findings);
    assert!(
        bad.findings[0].path.ends_with("/Content/Project/Code"),
        "{}",
        bad.findings[0].path
    );
    // without the extension, the official schema refuses the element
    let strict = SchemaSet::seda(SedaVersion::V2_3).expect("compile");
    assert!(
        !strict
            .validate_bytes(doc("<x:Project><x:Code>P1</x:Code></x:Project>").as_bytes())
            .is_valid()
    );
}

#[test]
fn one_compiled_set_validates_from_many_threads() {
    let all = results();
    let set: &'static SchemaSet = SchemaSet::seda(SedaVersion::V2_3).expect("compile");
    let files: Vec<(bool, PathBuf)> = all
        .into_iter()
        .filter(|(_, v, _)| *v == SedaVersion::V2_3)
        .map(|(ok, _, f)| (ok, f))
        .collect();
    std::thread::scope(|s| {
        for chunk in files.chunks(files.len().div_ceil(4)) {
            s.spawn(move || {
                for (ok, f) in chunk {
                    let r = set
                        .validate_file(f, &ValidationOptions::default())
                        .expect("read");
                    assert_eq!(r.is_valid(), *ok, "{}", f.display());
                }
            });
        }
    });
}
