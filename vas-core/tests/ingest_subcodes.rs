//! One SIP per outcome sub-code of the ingest checks, built here, with the exact code the
//! dry run must report.

use std::path::{Path, PathBuf};

use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::format::FormatRegistry;
use vas_core::ingest::{DryRun, DryRunOptions, Status, dry_run};
use vas_core::referential::{
    AgenciesReferential, ArchivalProfile, ArchiveUnitProfile, Context, IngestContract,
    Referentials, RulesReferential,
};

const FILE: &[u8] = b"hello world\n";

#[derive(Clone)]
struct Spec {
    ns: &'static str,
    agreement: String,
    profile: String,
    agency: String,
    usage: String,
    algorithm: String,
    digest: Option<String>,
    size: String,
    uri: String,
    format: String,
    extra_objects: String,
    extra_groups: String,
    aup: String,
    management: String,
    title: String,
    dates: String,
    refs: String,
    extra_units: String,
    file_name: String,
    file: Vec<u8>,
    extra_files: Vec<(String, Vec<u8>)>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            ns: "fr:gouv:culture:archivesdefrance:seda:v2.1",
            agreement: "<ArchivalAgreement>IC-1</ArchivalAgreement>".into(),
            profile: String::new(),
            agency: "<OriginatingAgencyIdentifier>AG1</OriginatingAgencyIdentifier>".into(),
            usage: "BinaryMaster_1".into(),
            algorithm: "SHA-512".into(),
            digest: None,
            size: "<Size>12</Size>".into(),
            uri: "Content/a.txt".into(),
            format: String::new(),
            extra_objects: String::new(),
            extra_groups: String::new(),
            aup: String::new(),
            management: String::new(),
            title: "Dossier".into(),
            dates: String::new(),
            refs: "<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>".into(),
            extra_units: String::new(),
            file_name: "Content/a.txt".into(),
            file: FILE.to_vec(),
            extra_files: Vec::new(),
        }
    }
}

impl Spec {
    fn manifest(&self) -> String {
        let digest = self
            .digest
            .clone()
            .unwrap_or_else(|| digest_bytes(DigestAlgorithm::Sha512, FILE));
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="{ns}">
  <Date>2024-01-01T00:00:00</Date>
  <MessageIdentifier>MSG-1</MessageIdentifier>
  {agreement}
  <CodeListVersions/>
  <DataObjectPackage>
    <DataObjectGroup id="G1">
      <BinaryDataObject id="O1">
        <DataObjectVersion>{usage}</DataObjectVersion>
        <Uri>{uri}</Uri>
        <MessageDigest algorithm="{alg}">{digest}</MessageDigest>
        {size}{format}
      </BinaryDataObject>{extra_objects}
    </DataObjectGroup>{extra_groups}
    <DescriptiveMetadata>
      <ArchiveUnit id="U1">{aup}{management}
        <Content><DescriptionLevel>Item</DescriptionLevel><Title>{title}</Title>{dates}</Content>
        {refs}
      </ArchiveUnit>{extra_units}
    </DescriptiveMetadata>
    <ManagementMetadata>{profile}{agency}</ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>
"#,
            ns = self.ns,
            agreement = self.agreement,
            usage = self.usage,
            uri = self.uri,
            alg = self.algorithm,
            size = self.size,
            format = self.format,
            extra_objects = self.extra_objects,
            extra_groups = self.extra_groups,
            aup = self.aup,
            management = self.management,
            title = self.title,
            dates = self.dates,
            refs = self.refs,
            extra_units = self.extra_units,
            profile = self.profile,
            agency = self.agency,
        )
    }

    fn write(&self, root: &Path) -> PathBuf {
        let sip = root.join("sip");
        std::fs::create_dir_all(sip.join("Content")).unwrap();
        std::fs::write(sip.join("manifest.xml"), self.manifest()).unwrap();
        std::fs::write(sip.join(&self.file_name), &self.file).unwrap();
        for (n, b) in &self.extra_files {
            let p = sip.join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b).unwrap();
        }
        sip
    }
}

fn refs(dir: &Path) -> Referentials {
    let rng = dir.join("profiles");
    std::fs::create_dir_all(&rng).unwrap();
    // A profile requiring a root element the SIP does not have.
    std::fs::write(
        rng.join("PR-BAD.rng"),
        r#"<grammar xmlns="http://relaxng.org/ns/structure/1.0"><start><element name="Other"><empty/></element></start></grammar>"#,
    )
    .unwrap();
    let mut profiles = ArchivalProfile::load_json(
        br#"[{"Identifier":"PR-1","Name":"p","Status":"ACTIVE","Format":"RNG"},
             {"Identifier":"PR-BAD","Name":"p","Status":"ACTIVE","Format":"RNG"},
             {"Identifier":"PR-OFF","Name":"p","Status":"INACTIVE","Format":"RNG"}]"#,
    )
    .unwrap();
    profiles[1].file = Some(rng.join("PR-BAD.rng"));
    Referentials::builder()
        .agencies(
            AgenciesReferential::from_csv_bytes(b"Identifier,Name,Description\nAG1,Agence,\n")
                .unwrap(),
        )
        .rules(
            RulesReferential::from_csv_bytes(
                b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
                  ACC-00001,AccessRule,Acces,,10,YEAR\nAPP-00001,AppraisalRule,Dua,,5,YEAR\n",
            )
            .unwrap(),
        )
        .ingest_contracts(
            IngestContract::load_json(
                br#"[{"Identifier":"IC-1","Name":"c","ArchiveProfiles":["PR-BAD","PR-OFF"]},
                     {"Identifier":"IC-OFF","Name":"c","Status":"INACTIVE"},
                     {"Identifier":"IC-PDF","Name":"c","EveryFormatType":false,"FormatType":["fmt/18"]}]"#,
            )
            .unwrap(),
        )
        .archival_profiles(profiles)
        .archive_unit_profiles(
            ArchiveUnitProfile::load_json(
                br#"[{"Identifier":"AUP-1","Name":"a","Status":"ACTIVE","ControlSchema":"{\"type\":\"object\",\"required\":[\"Description\"]}"}]"#,
            )
            .unwrap(),
        )
        .contexts(
            Context::load_json(
                br#"[{"Identifier":"CT","Name":"c","Status":"ACTIVE","EnableControl":true,
                      "Permissions":[{"tenant":0,"IngestContracts":["IC-OTHER"]}]}]"#,
            )
            .unwrap(),
        )
        .formats(FormatRegistry::bundled().unwrap())
        .build()
}

fn run_spec(spec: &Spec, context: Option<&str>) -> DryRun {
    let dir = tempfile::tempdir().unwrap();
    let r = refs(dir.path());
    let sip = spec.write(dir.path());
    let opts = DryRunOptions {
        context: context.map(str::to_string),
        ..Default::default()
    };
    dry_run(&sip, &r, &opts).unwrap()
}

fn assert_code(name: &str, run: &DryRun, code: &str, status: Status) {
    let details = run.report.out_details();
    assert!(
        details.contains(&code),
        "{name}: expected {code}, got {:?}",
        run.report
            .problems()
            .map(|e| &e.out_detail)
            .collect::<Vec<_>>()
    );
    assert_eq!(run.report.outcome, status, "{name}");
}

#[test]
fn the_reference_sip_is_accepted() {
    let run = run_spec(&Spec::default(), None);
    assert_eq!(
        run.report.outcome,
        Status::Ok,
        "{:?}",
        run.report.problems().collect::<Vec<_>>()
    );
    let v = run.validated.expect("validated");
    assert_eq!(v.objects.len(), 1);
    let o = &v.objects[0];
    assert_eq!(o.size, Some(12));
    assert_eq!(
        o.digest.as_ref().unwrap().1,
        digest_bytes(DigestAlgorithm::Sha512, FILE)
    );
    assert_eq!(o.format.as_ref().unwrap().puid, "x-fmt/111");
    assert_eq!(v.units, ["U1"]);
    assert!(v.rules.is_some());
    assert_eq!(v.contract.unwrap().identifier, "IC-1");
    assert!(run.atr.contains("<ReplyCode>OK</ReplyCode>"));
    assert!(
        run.atr
            .contains("<MessageRequestIdentifier>MSG-1</MessageRequestIdentifier>")
    );
}

#[test]
fn md5_declared_also_gets_sha512() {
    let spec = Spec {
        algorithm: "MD5".into(),
        digest: Some(digest_bytes(DigestAlgorithm::Md5, FILE)),
        ..Default::default()
    };
    let run = run_spec(&spec, None);
    assert_eq!(run.report.outcome, Status::Ok);
    let v = run.validated.unwrap();
    let o = &v.objects[0];
    assert_eq!(o.declared_digest.as_ref().unwrap().0, DigestAlgorithm::Md5);
    assert_eq!(o.digest.as_ref().unwrap().0, DigestAlgorithm::Sha512);
}

#[test]
fn container_and_seda_codes() {
    let dir = tempfile::tempdir().unwrap();
    let r = refs(dir.path());
    let o = DryRunOptions::default();
    // not a container
    let f = dir.path().join("notasip.txt");
    std::fs::write(&f, b"just text").unwrap();
    let run = dry_run(&f, &r, &o).unwrap();
    assert_code("container", &run, "CHECK_CONTAINER.KO", Status::Ko);
    assert!(run.atr.contains("<ReplyCode>KO</ReplyCode>"));
    // no manifest
    let d = dir.path().join("nomanifest");
    std::fs::create_dir_all(d.join("Content")).unwrap();
    std::fs::write(d.join("Content/a.txt"), FILE).unwrap();
    let run = dry_run(&d, &r, &o).unwrap();
    assert_code("no manifest", &run, "CHECK_SEDA.NO_FILE.KO", Status::Ko);

    type Mutate = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Mutate, &str)> = vec![
        (
            "not xml",
            Box::new(|p: &Path| std::fs::write(p.join("manifest.xml"), b"<a><b></a>").unwrap()),
            "CHECK_SEDA.NOT_XML_FILE.KO",
        ),
        (
            "extra root file",
            Box::new(|p: &Path| std::fs::write(p.join("other.txt"), b"x").unwrap()),
            "CHECK_SEDA.CONTAINER_FORMAT.FILE.KO",
        ),
        (
            "extra root dir",
            Box::new(|p: &Path| {
                std::fs::create_dir_all(p.join("Other")).unwrap();
                std::fs::write(p.join("Other/x.txt"), b"x").unwrap()
            }),
            "CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO",
        ),
    ];
    for (i, (name, mutate, code)) in cases.into_iter().enumerate() {
        let sub = dir.path().join(format!("c{i}"));
        let sip = Spec::default().write(&sub);
        mutate(&sip);
        let run = dry_run(&sip, &r, &o).unwrap();
        assert_code(name, &run, code, Status::Ko);
    }
}

fn spec_cases() -> Vec<(
    &'static str,
    Spec,
    Option<&'static str>,
    &'static str,
    Status,
)> {
    let d = Spec::default;
    let ko = Status::Ko;
    vec![
        ("invalid xsd", Spec { title: "<Bad/>".into(), ..d() }, None, "CHECK_SEDA.NOT_XSD_VALID.KO", ko),
        ("unsupported version", Spec { ns: "fr:gouv:culture:archivesdefrance:seda:v1.0", ..d() }, None, "CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO", ko),
        ("unknown agency", Spec { agency: "<OriginatingAgencyIdentifier>AGX</OriginatingAgencyIdentifier>".into(), ..d() }, None, "CHECK_HEADER.CHECK_AGENT.UNKNOWN.KO", ko),
        ("no agency", Spec { agency: String::new(), ..d() }, None, "CHECK_HEADER.CHECK_AGENT.EMPTY_REQUIRED_FIELD.KO", ko),
        ("unknown contract", Spec { agreement: "<ArchivalAgreement>IC-X</ArchivalAgreement>".into(), ..d() }, None, "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_UNKNOWN.KO", ko),
        ("inactive contract", Spec { agreement: "<ArchivalAgreement>IC-OFF</ArchivalAgreement>".into(), ..d() }, None, "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_INACTIVE.KO", ko),
        ("no contract", Spec { agreement: String::new(), ..d() }, None, "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_NOT_IN_MANIFEST.KO", ko),
        ("not in context", d(), Some("CT"), "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTRACT_NOT_IN_CONTEXT.KO", ko),
        ("unknown context", d(), Some("CT-X"), "CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTEXT_UNKNOWN.KO", ko),
        ("unknown profile", Spec { profile: "<ArchivalProfile>PR-X</ArchivalProfile>".into(), ..d() }, None, "CHECK_HEADER.CHECK_IC_AP_RELATION.UNKNOWN.KO", ko),
        ("inactive profile", Spec { profile: "<ArchivalProfile>PR-OFF</ArchivalProfile>".into(), ..d() }, None, "CHECK_HEADER.CHECK_IC_AP_RELATION.INACTIVE.KO", ko),
        ("profile not in contract", Spec { profile: "<ArchivalProfile>PR-1</ArchivalProfile>".into(), ..d() }, None, "CHECK_HEADER.CHECK_IC_AP_RELATION.DIFF.KO", ko),
        ("profile refuses", Spec { profile: "<ArchivalProfile>PR-BAD</ArchivalProfile>".into(), ..d() }, None, "CHECK_HEADER.CHECK_ARCHIVEPROFILE.KO", ko),
        ("bad usage", Spec { usage: "Original_1".into(), ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALID_DATAOBJECTVERSION.KO", ko),
        ("binary physical master", Spec { usage: "PhysicalMaster_1".into(), ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.BDO_DATAOBJECTIONVERSION_PHYSICALMASTER.KO", ko),
        ("bad algorithm", Spec { algorithm: "SHA-999".into(), ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALIDE_ALGO.KO", ko),
        ("missing file", Spec { uri: "Content/missing.txt".into(), ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.INVALID_URI.KO", ko),
        ("undeclared file", Spec { extra_files: vec![("Content/extra.txt".into(), b"x".to_vec())], ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.MANIFEST_INFERIOR_BDO.KO", ko),
        ("cycle", Spec {
            refs: "<ArchiveUnit id=\"R1\"><ArchiveUnitRefId>U2</ArchiveUnitRefId></ArchiveUnit><DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>".into(),
            extra_units: "<ArchiveUnit id=\"U2\"><Content><DescriptionLevel>Item</DescriptionLevel><Title>b</Title></Content><ArchiveUnit id=\"R2\"><ArchiveUnitRefId>U1</ArchiveUnitRefId></ArchiveUnit></ArchiveUnit>".into(),
            ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.CHECK_MANIFEST_LOOP.KO", ko),
        ("unit points at object", Spec { refs: "<DataObjectReference><DataObjectReferenceId>O1</DataObjectReferenceId></DataObjectReference>".into(), ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.EXISTING_OG_NOT_DECLARED.KO", ko),
        ("two groups", Spec {
            extra_groups: format!("<DataObjectGroup id=\"G2\"><BinaryDataObject id=\"O2\"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/b.txt</Uri><MessageDigest algorithm=\"SHA-512\">{}</MessageDigest></BinaryDataObject></DataObjectGroup>", digest_bytes(DigestAlgorithm::Sha512, FILE)),
            refs: "<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference><DataObjectReference><DataObjectGroupReferenceId>G2</DataObjectGroupReferenceId></DataObjectReference>".into(),
            extra_files: vec![("Content/b.txt".into(), FILE.to_vec())],
            ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.ARCHIVEUNIT_REFERENCES_MULTIPLE_OBJECTGROUP.KO", ko),
        ("two masters 1", Spec {
            extra_objects: format!("<BinaryDataObject id=\"O2\"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/b.txt</Uri><MessageDigest algorithm=\"SHA-512\">{}</MessageDigest></BinaryDataObject>", digest_bytes(DigestAlgorithm::Sha512, FILE)),
            extra_files: vec![("Content/b.txt".into(), FILE.to_vec())],
            ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.TOO_MANY_VERSION_BY_USAGE.KO", ko),
        ("no master", Spec { usage: "Dissemination_1".into(), ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.MASTER_MANDATORY_REQUIRED.KO", ko),
        ("orphan group", Spec { refs: String::new(), ..d() }, None, "CHECK_DATAOBJECTPACKAGE.CHECK_CONSISTENCY.CHECK_CONSISTENCY_ORPHAN_OBJECT.KO", ko),
        ("wrong digest", Spec { digest: Some("00".repeat(64)), ..d() }, None, "CHECK_DIGEST.INVALID.KO", ko),
        ("wrong size", Spec { size: "<Size>99</Size>".into(), ..d() }, None, "CHECK_OBJECT_SIZE.WARNING", Status::Warning),
        ("unknown format", Spec { file: vec![0x00, 0x9f, 0x13, 0x37], file_name: "Content/a.zzq".into(), uri: "Content/a.zzq".into(), size: String::new(),
            digest: Some(digest_bytes(DigestAlgorithm::Sha512, &[0x00, 0x9f, 0x13, 0x37])), ..d() }, None, "OG_OBJECTS_FORMAT_CHECK.UNKNOWN.KO", ko),
        ("rejected format", Spec { agreement: "<ArchivalAgreement>IC-PDF</ArchivalAgreement>".into(), ..d() }, None, "OG_OBJECTS_FORMAT_CHECK.REJECTED_FORMAT.KO", ko),
        ("declared format differs", Spec { format: "<FormatIdentification><FormatId>fmt/18</FormatId></FormatIdentification>".into(), ..d() }, None, "OG_OBJECTS_FORMAT_CHECK.WARNING", Status::Warning),
        ("empty title", Spec { title: String::new(), ..d() }, None, "CHECK_UNIT_SCHEMA.INVALID_UNIT.KO", ko),
        ("end before start", Spec { dates: "<StartDate>2020-01-01</StartDate><EndDate>2019-01-01</EndDate>".into(), ..d() }, None, "CHECK_UNIT_SCHEMA.CONSISTENCY.KO", ko),
        ("date after 9000", Spec { dates: "<EndDate>9500-01-01</EndDate>".into(), ..d() }, None, "CHECK_UNIT_SCHEMA.RULE_DATE_THRESHOLD.KO", ko),
        ("unknown unit profile", Spec { aup: "<ArchiveUnitProfile>AUP-X</ArchiveUnitProfile>".into(), ..d() }, None, "CHECK_ARCHIVE_UNIT_PROFILE.PROFILE_NOT_FOUND.KO", ko),
        ("unit profile refuses", Spec { aup: "<ArchiveUnitProfile>AUP-1</ArchiveUnitProfile>".into(), ..d() }, None, "CHECK_ARCHIVE_UNIT_PROFILE.NOT_AU_JSON_VALID.KO", ko),
        ("bad classification", Spec { management: "<Management><ClassificationRule><ClassificationLevel>Top</ClassificationLevel><ClassificationOwner>X</ClassificationOwner></ClassificationRule></Management>".into(), ..d() }, None, "CHECK_CLASSIFICATION_LEVEL.KO", ko),
        ("unknown rule", Spec { management: "<Management><AccessRule><Rule>ACC-XXX</Rule><StartDate>2020-01-01</StartDate></AccessRule></Management>".into(), ..d() }, None, "UNITS_RULES_COMPUTE.UNKNOWN.KO", ko),
        ("rule in wrong category", Spec { management: "<Management><AccessRule><Rule>APP-00001</Rule><StartDate>2020-01-01</StartDate></AccessRule></Management>".into(), ..d() }, None, "UNITS_RULES_COMPUTE.CONSISTENCY.KO", ko),
        ("unknown RefNonRuleId", Spec { management: "<Management><AccessRule><RefNonRuleId>ACC-XXX</RefNonRuleId></AccessRule></Management>".into(), ..d() }, None, "UNITS_RULES_COMPUTE.REF_INCONSISTENCY.KO", ko),
    ]
}

#[test]
fn every_sub_code() {
    let mut failures = Vec::new();
    for (name, spec, ctx, code, status) in spec_cases() {
        let run = run_spec(&spec, ctx);
        let details = run.report.out_details();
        if !details.contains(&code) || run.report.outcome != status {
            failures.push(format!(
                "{name}: expected {code} / {status}, got {} {:?}",
                run.report.outcome,
                run.report
                    .problems()
                    .map(|e| e.out_detail.clone())
                    .collect::<Vec<_>>()
            ));
        }
        // a refused SIP has no validated package, an accepted one has
        assert_eq!(
            run.validated.is_some(),
            run.report.outcome.is_accepted(),
            "{name}"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
