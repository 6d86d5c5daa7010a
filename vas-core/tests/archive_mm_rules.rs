//! Management rules declared in a SIP's `ManagementMetadata` (they apply to the package's
//! root units, as in Vitam) are kept by the archive: the elimination analysis, the access
//! contract's `RuleCategoryToFilter`, units attached later below a root unit, the DIP and
//! `rebuild` (from the offers alone) all see them. For SEDA 2.1, 2.2 and 2.3.
#![cfg(feature = "cli")]

mod archive_support;

use archive_support::{create_archive, ingest_accepted, snapshot};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use vas_core::archive::{Archive, EliminationOptions, IngestOptions};
use vas_core::catalog::AccessContract;
use vas_core::seda::SedaVersion;
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");

const RULES: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
APP-1,AppraisalRule,DUA 1 an,,1,YEAR\n\
APP-99,AppraisalRule,DUA 99 ans,,99,YEAR\n\
ACC-1,AccessRule,Communicable après 1 an,,1,YEAR\n";

/// The package's rules: an expired appraisal rule with `Destroy`, an expired access rule.
const MM_RULES: &str = "<AcquisitionInformation>Versement</AcquisitionInformation>\
<LegalStatus>Public Archive</LegalStatus>\
<OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier>\
<SubmissionAgencyIdentifier>FR_S</SubmissionAgencyIdentifier>\
<AppraisalRule><Rule>APP-1</Rule><StartDate>2000-01-01</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>\
<AccessRule><Rule>ACC-1</Rule><StartDate>2000-01-01</StartDate></AccessRule>";

fn unit(id: &str, title: &str, management: &str, children: &str) -> String {
    let m = if management.is_empty() {
        String::new()
    } else {
        format!("<Management>{management}</Management>")
    };
    format!(
        r#"<ArchiveUnit id="{id}">{m}<Content><DescriptionLevel>Item</DescriptionLevel><Title>{title}</Title></Content>{children}</ArchiveUnit>"#
    )
}

fn write_sip(path: &Path, version: SedaVersion, units: &str, mm: &str) {
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="{ns}">
 <Date>2024-01-01T00:00:00</Date><MessageIdentifier>MM-1</MessageIdentifier>
 <ArchivalAgreement>IC-1</ArchivalAgreement><CodeListVersions/><DataObjectPackage>
 <DescriptiveMetadata>{units}</DescriptiveMetadata>
 <ManagementMetadata>{mm}</ManagementMetadata>
 </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
 <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#,
        ns = version.namespace()
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.finish().unwrap();
}

/// The SIP's units: `R` (no rules of its own) over `C`; `K` (its own appraisal rule, not
/// expired, which the package's is added to); `P` (prevents appraisal inheritance: the
/// package's appraisal rule does not reach it); `X` (prevents access inheritance).
fn units() -> String {
    [
        unit("R", "Root", "", &unit("C", "Child", "", "")),
        unit(
            "K",
            "OwnRule",
            "<AppraisalRule><Rule>APP-99</Rule><StartDate>2000-01-01</StartDate><FinalAction>Destroy</FinalAction></AppraisalRule>",
            "",
        ),
        unit(
            "P",
            "Prevented",
            "<AppraisalRule><PreventInheritance>true</PreventInheritance><FinalAction>Destroy</FinalAction></AppraisalRule>",
            "",
        ),
        unit(
            "X",
            "NoAccess",
            "<AccessRule><PreventInheritance>true</PreventInheritance></AccessRule>",
            "",
        ),
    ]
    .concat()
}

fn setup(dir: &Path, version: SedaVersion) -> (Archive, BTreeMap<String, String>) {
    let all = AccessContract::full_access("ALL");
    let mut filter = AccessContract::full_access("FILTER");
    filter.rule_category_to_filter = vec!["AccessRule".into()];
    let a = create_archive(dir, RULES, &[all, filter]);
    let sip = dir.join("sip.zip");
    write_sip(&sip, version, &units(), MM_RULES);
    let ids = ingest_accepted(&a, &sip);
    (a, ids)
}

fn by_title() -> Value {
    json!({"$query": {"$in": {"Title": ["Root", "Child", "OwnRule", "Prevented", "NoAccess"]}}})
}

fn analysis(a: &Archive) -> vas_core::archive::EliminationReport {
    a.eliminate(
        "ALL",
        &by_title(),
        &EliminationOptions {
            date: Some("2026-06-01".into()),
            dry_run: true,
        },
    )
    .unwrap()
}

fn titles(a: &Archive, contract: &str) -> Vec<String> {
    let r = a.search(contract, &json!({"$query": {}})).unwrap();
    let mut v: Vec<String> = r["$results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["Title"].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

fn xmllint(xml: &[u8], version: SedaVersion, scratch: &Path) -> Result<(), String> {
    let f = scratch.join("dip-manifest.xml");
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", format!("{SCHEMAS}/catalog.xml"))
        .args(["--nonet", "--noout", "--schema"])
        .arg(format!(
            "{SCHEMAS}/{v}/seda-{v}-main.xsd",
            v = version.as_str()
        ))
        .arg(&f)
        .output()
        .expect("xmllint is installed (scripts/setup.d/archive2.sh)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The `<Management>` of unit `id` in a DIP manifest (empty when it has none).
fn dip_management(manifest: &str, id: &str) -> String {
    let start = manifest
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("unit {id} in the DIP"));
    let rest = &manifest[start..];
    let content = rest.find("<Content").unwrap();
    match rest[..content].find("<Management") {
        Some(m) => rest[m..content].to_string(),
        None => String::new(),
    }
}

fn check_version(version: SedaVersion) {
    let dir = tempfile::tempdir().unwrap();
    let (a, ids) = setup(dir.path(), version);
    let v = version.as_str();

    // The elimination sees the package's appraisal rule on the root units and below.
    let r = analysis(&a);
    let st = |m: &str| {
        let u = r.unit(&ids[m]).unwrap();
        (u.global_status.clone(), u.status.clone(), u.reasons.clone())
    };
    assert_eq!(st("R").0, "DESTROY", "{v}: {:?}", st("R"));
    assert_eq!(st("R").1, "DELETED", "{v}");
    assert_eq!(st("C").1, "DELETED", "{v}: the child inherits it");
    assert_eq!(st("X").1, "DELETED", "{v}");
    assert_eq!(
        (st("K").0.as_str(), st("K").2.clone()),
        ("KEEP", vec!["APPRAISAL_RULE_NOT_EXPIRED".to_string()]),
        "{v}: its own APP-99 is not over, the package's APP-1 is"
    );
    assert_eq!(
        st("P").2,
        ["NO_APPRAISAL_RULE"],
        "{v}: PreventInheritance keeps the package's rule out"
    );

    // RuleCategoryToFilter: the units whose access rule (the package's) is over.
    assert_eq!(
        titles(&a, "FILTER"),
        ["Child", "OwnRule", "Prevented", "Root"],
        "{v}"
    );
    assert_eq!(titles(&a, "ALL").len(), 5);

    // The DIP gives the root units their package rules in their Management.
    let dip = dir.path().join("dip.zip");
    a.dip("ALL", &json!({"$query": {}}), &dip).unwrap();
    let mut z = zip::ZipArchive::new(std::fs::File::open(&dip).unwrap()).unwrap();
    let mut manifest = String::new();
    z.by_name("manifest.xml")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    if let Err(e) = xmllint(manifest.as_bytes(), version, dir.path()) {
        panic!("{v}: the DIP is not valid: {e}\n{manifest}");
    }
    let m = dip_management(&manifest, &ids["R"]);
    assert!(
        m.contains("<Rule>APP-1</Rule>") && m.contains("<Rule>ACC-1</Rule>"),
        "{v}: {m}"
    );
    assert_eq!(dip_management(&manifest, &ids["C"]), "", "{v}");
    let m = dip_management(&manifest, &ids["K"]);
    let (own, pkg) = (
        m.find("<Rule>APP-99</Rule>").unwrap(),
        m.find("<Rule>APP-1</Rule>").unwrap(),
    );
    assert!(own < pkg, "{v}: {m}");
    assert_eq!(m.matches("<FinalAction>").count(), 1, "{v}: {m}");
    let m = dip_management(&manifest, &ids["P"]);
    assert!(!m.contains("APP-1") && m.contains("ACC-1"), "{v}: {m}");
    let m = dip_management(&manifest, &ids["X"]);
    assert!(m.contains("APP-1") && !m.contains("ACC-1"), "{v}: {m}");

    // Rebuilt from the offers alone: the same catalog, the same analysis.
    let snap = snapshot(&a);
    std::fs::remove_file(dir.path().join("archive/catalog.sqlite")).ok();
    drop(a);
    let a = Archive::open(dir.path().join("archive")).unwrap();
    a.rebuild().unwrap();
    assert_eq!(snapshot(&a), snap, "{v}");
    assert_eq!(analysis(&a).units, r.units, "{v}");
    assert_eq!(
        titles(&a, "FILTER"),
        ["Child", "OwnRule", "Prevented", "Root"]
    );
    assert!(a.verify().unwrap().is_ok());

    // A unit attached later below the root unit inherits the package's rules too.
    let sip2 = dir.path().join("attach.zip");
    let stand_in = format!(
        r#"<ArchiveUnit id="E"><Management><UpdateOperation><SystemId>{}</SystemId></UpdateOperation></Management><Content><DescriptionLevel>Item</DescriptionLevel><Title>Existing</Title></Content>{}</ArchiveUnit>"#,
        ids["R"],
        unit("N", "Attached", "", "")
    );
    write_sip(
        &sip2,
        version,
        &stand_in,
        "<OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier>",
    );
    let r2 = a.ingest(&sip2, &IngestOptions::default()).unwrap();
    assert!(
        r2.report.outcome.is_accepted(),
        "{v}: {:?}",
        r2.report.out_details()
    );
    let n = &r2.system_ids["N"];
    let got = a.get_unit("ALL", n).unwrap();
    assert_eq!(
        got["#computedInheritedRules"]["AppraisalRule"]["FinalAction"],
        json!(["Destroy"]),
        "{v}: {got}"
    );
    let an = a
        .eliminate(
            "ALL",
            &json!({"$query": {"$eq": {"Title": "Attached"}}}),
            &EliminationOptions {
                date: Some("2026-06-01".into()),
                dry_run: true,
            },
        )
        .unwrap();
    assert_eq!(an.unit(n).unwrap().global_status, "DESTROY", "{v}");
}

#[test]
fn management_metadata_rules_reach_root_units_in_every_seda_version() {
    for v in [SedaVersion::V2_1, SedaVersion::V2_2, SedaVersion::V2_3] {
        check_version(v);
    }
}

/// Without the package's rules, the same units are kept: the rules above are what made
/// them eliminable.
#[test]
fn without_management_metadata_rules_root_units_have_no_appraisal_rule() {
    let dir = tempfile::tempdir().unwrap();
    let a = create_archive(dir.path(), RULES, &[AccessContract::full_access("ALL")]);
    let sip = dir.path().join("sip.zip");
    write_sip(
        &sip,
        SedaVersion::V2_2,
        &units(),
        "<OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier>",
    );
    let ids = ingest_accepted(&a, &sip);
    let r = analysis(&a);
    assert!(
        r.unit(&ids["R"])
            .unwrap()
            .reasons
            .contains(&"NO_APPRAISAL_RULE".to_string())
    );
    assert!(r.eliminated_units.is_empty());
}
