//! Tenants: several tenants in one archive folder, strictly separated (contracts, catalog,
//! logbook, keys on the shared offers), checked on every read path; and the computed
//! inherited rules stored per unit at ingest, shown by `get_unit` and used by an access
//! contract's `RuleCategoryToFilter`.

#[allow(dead_code)]
mod archive_support;

use archive_support::setup::{
    Setup, create_archive_with, ingest_ok, sorted_ids as ids, write_referentials, zip_entry,
};
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use vas_core::ErrorKind;
use vas_core::archive::{Archive, FULL_ACCESS};
use vas_core::catalog::AccessContract;
use vas_core::digest::{DigestAlgorithm, digest_bytes};
use vas_core::logbook::LifecycleKind;
use vas_core::sip::{PackageFormat, PackageWriter, WriterOptions};

const REFS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/referentials/integration-processing"
);

/// A SIP: unit U1 (with U2 below it) holding an object, plus roots U3 and U4; `management`
/// gives U1's and U3's `Management` XML.
fn make_sip(path: &Path, title: &str, agreement: &str, agency: &str, m1: &str, m3: &str) {
    let data = format!("{title} master").into_bytes();
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
<Date>2024-01-01T00:00:00</Date><MessageIdentifier>{title}</MessageIdentifier><ArchivalAgreement>{agreement}</ArchivalAgreement><CodeListVersions/>
<DataObjectPackage>
<DataObjectGroup id="G1">
<BinaryDataObject id="B1"><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/master.txt</Uri><MessageDigest algorithm="SHA-512">{}</MessageDigest><Size>{}</Size></BinaryDataObject>
</DataObjectGroup>
<DescriptiveMetadata>
<ArchiveUnit id="U1">{m1}<Content><DescriptionLevel>File</DescriptionLevel><Title>{title}</Title></Content>
<ArchiveUnit id="U2"><Content><DescriptionLevel>Item</DescriptionLevel><Title>{title} item</Title></Content>
<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference></ArchiveUnit>
</ArchiveUnit>
<ArchiveUnit id="U3">{m3}<Content><DescriptionLevel>File</DescriptionLevel><Title>{title} closed</Title></Content></ArchiveUnit>
<ArchiveUnit id="U4"><Content><DescriptionLevel>File</DescriptionLevel><Title>{title} unruled</Title></Content></ArchiveUnit>
</DescriptiveMetadata>
<ManagementMetadata><OriginatingAgencyIdentifier>{agency}</OriginatingAgencyIdentifier></ManagementMetadata>
</DataObjectPackage>
<ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency><TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>"#,
        digest_bytes(DigestAlgorithm::Sha512, &data),
        data.len()
    );
    let mut w = PackageWriter::create(path, WriterOptions::new(PackageFormat::Zip)).unwrap();
    w.add_bytes("manifest.xml", manifest.as_bytes()).unwrap();
    w.add_bytes("Content/master.txt", &data).unwrap();
    w.finish().unwrap();
}

fn everything() -> Value {
    json!({"$query": {"$exists": "#id"}, "$filter": {"$limit": 1000}})
}

#[test]
fn tenants_are_strictly_separated_on_every_read_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    let t0 = create_archive_with(dir.path(), &Setup::default());
    assert_eq!(t0.dir(), root);
    assert_eq!(t0.tenant(), 0);
    // Tenant 1, with its own contract set.
    let refs1 = write_referentials(
        &dir.path().join("refs1"),
        &Setup {
            contracts: Some(&[AccessContract::full_access("T1_ALL")]),
            ..Default::default()
        },
    );
    Archive::add_tenant(&root, 1, Some(&refs1)).unwrap();
    assert_eq!(
        Archive::add_tenant(&root, 1, None).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        Archive::add_tenant(&root, 0, None).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(Archive::tenants(&root).unwrap(), vec![0, 1]);
    assert_eq!(
        Archive::open_tenant(&root, Some(7)).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Both tenants open at once (separate locks).
    let t1 = Archive::open_tenant(&root, Some(1)).unwrap();
    assert_eq!(t1.tenant(), 1);
    // Contracts are the tenant's own.
    assert!(t1.contract(FULL_ACCESS).is_err());
    assert!(t0.contract("T1_ALL").is_err());

    let (sa, sb) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
    make_sip(&sa, "Alpha", "IC-1", "FR_A", "", "");
    make_sip(&sb, "Beta", "IC-1", "FR_B", "", "");
    let ra = ingest_ok(&t0, &sa);
    let rb = ingest_ok(&t1, &sb);
    let (a_units, b_units): (Vec<&String>, Vec<&String>) = (
        ["U1", "U2", "U3", "U4"]
            .iter()
            .map(|u| &ra.system_ids[*u])
            .collect(),
        ["U1", "U2", "U3", "U4"]
            .iter()
            .map(|u| &rb.system_ids[*u])
            .collect(),
    );
    // Search: each tenant sees its own units only.
    let mut want_a: Vec<String> = a_units.iter().map(|s| s.to_string()).collect();
    want_a.sort();
    let mut want_b: Vec<String> = b_units.iter().map(|s| s.to_string()).collect();
    want_b.sort();
    assert_eq!(ids(&t0.search(FULL_ACCESS, &everything()).unwrap()), want_a);
    assert_eq!(ids(&t1.search("T1_ALL", &everything()).unwrap()), want_b);
    let ft = json!({"$query": {"$match": {"Title": "Beta"}}});
    assert_eq!(t0.search(FULL_ACCESS, &ft).unwrap()["$hits"]["total"], 0);
    // Unit, object and lifecycle reads across tenants: NotFound.
    for u in &b_units {
        assert_eq!(
            t0.get_unit(FULL_ACCESS, u).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert!(
            t0.lifecycle(LifecycleKind::Unit, u)
                .unwrap_or_default()
                .is_empty()
        );
    }
    assert_eq!(
        t0.read_object(FULL_ACCESS, b_units[1], "BinaryMaster")
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        t1.read_object("T1_ALL", b_units[1], "BinaryMaster")
            .unwrap()
            .1,
        b"Beta master"
    );
    for u in &a_units {
        assert_eq!(
            t1.get_unit("T1_ALL", u).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    // Logbooks.
    let ops0: Vec<String> = t0
        .operations()
        .unwrap()
        .iter()
        .map(|o| o.event.ev_id_proc.clone())
        .collect();
    let ops1: Vec<String> = t1
        .operations()
        .unwrap()
        .iter()
        .map(|o| o.event.ev_id_proc.clone())
        .collect();
    assert_eq!(ops0, vec![ra.operation_id.clone()]);
    assert_eq!(ops1, vec![rb.operation_id.clone()]);
    assert!(t0.operation(&rb.operation_id).is_err());
    assert!(t1.operations().unwrap().iter().all(|o| o.tenant == 1));
    // Accession register.
    let reg0 = t0.accession_register(FULL_ACCESS).unwrap();
    let reg1 = t1.accession_register("T1_ALL").unwrap();
    let s0 = serde_json::to_string(&reg0).unwrap();
    let s1 = serde_json::to_string(&reg1).unwrap();
    assert!(s0.contains("FR_A") && !s0.contains("FR_B"), "{s0}");
    assert!(s1.contains("FR_B") && !s1.contains("FR_A"), "{s1}");
    // DIP.
    let dip = dir.path().join("t0.zip");
    let s = t0.dip(FULL_ACCESS, &everything(), &dip).unwrap();
    assert_eq!(s.units, 4);
    let m = String::from_utf8(zip_entry(&dip, "manifest.xml")).unwrap();
    assert!(m.contains("Alpha") && !m.contains("Beta"));
    // Verify, audit and rebuild each see their own tenant only.
    let (v0, v1) = (t0.verify().unwrap(), t1.verify().unwrap());
    assert!(
        v0.is_ok() && v1.is_ok(),
        "{:?} {:?}",
        v0.problems,
        v1.problems
    );
    assert_eq!((v0.units, v1.units), (4, 4));
    assert!(t0.audit(false).unwrap().findings.is_empty());
    assert!(t1.audit(false).unwrap().findings.is_empty());
    assert_eq!(t0.rebuild().unwrap().units, 4);
    assert_eq!(t1.rebuild().unwrap().units, 4);
    assert_eq!(ids(&t0.search(FULL_ACCESS, &everything()).unwrap()), want_a);
    assert_eq!(ids(&t1.search("T1_ALL", &everything()).unwrap()), want_b);
    // Tenant 1's keys on the shared offers live under tenants/1/.
    let k = t1
        .object_of("T1_ALL", b_units[1], "BinaryMaster")
        .unwrap()
        .storage_key
        .unwrap();
    assert!(k.starts_with("tenants/1/objects/"), "{k}");
    drop((t0, t1));

    // The CLI: add-tenant and --tenant on the commands.
    let vas = env!("CARGO_BIN_EXE_vas");
    let out = Command::new(vas)
        .args(["archive", "add-tenant"])
        .arg(&root)
        .args(["--tenant", "2", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `vas ingest --archive DIR --tenant 2`: into tenant 2 only; a dry run takes no tenant.
    let out = Command::new(vas)
        .args(["ingest", "--archive"])
        .arg(&root)
        .args(["--tenant", "2", "--quiet"])
        .arg(&sb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(vas)
        .args(["ingest", "--dry-run", "--tenant", "2"])
        .arg(&sb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(vas)
        .args(["ingest", "--archive"])
        .arg(&root)
        .args(["--tenant", "9", "--quiet"])
        .arg(&sb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "tenant 9 does not exist");
    assert!(String::from_utf8_lossy(&out.stderr).contains("tenant 9"));
    let q = dir.path().join("q.json");
    std::fs::write(&q, everything().to_string()).unwrap();
    for (t, contract, want) in [
        ("0", FULL_ACCESS, 4),
        ("1", "T1_ALL", 4),
        ("2", FULL_ACCESS, 4),
    ] {
        let out = Command::new(vas)
            .args(["archive", "search"])
            .arg(&root)
            .args(["--tenant", t, "--contract", contract])
            .arg(&q)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["$hits"]["total"], want, "tenant {t}");
    }
    let out = Command::new(vas)
        .args(["archive", "get"])
        .arg(&root)
        .args(["--tenant", "1", "--contract", "T1_ALL"])
        .arg(a_units[0])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "tenant 1 must not read tenant 0's unit"
    );
}

#[test]
fn computed_inherited_rules_are_stored_and_filter_reads() {
    let dir = tempfile::tempdir().unwrap();
    // Vitam's integration referentials, with two access contracts of our own.
    let mut filtered = AccessContract::full_access("ACCESS_FILTER");
    filtered.rule_category_to_filter = vec!["AccessRule".into()];
    let a = create_archive_with(
        dir.path(),
        &Setup {
            base: Some(Path::new(REFS)),
            contracts: Some(&[AccessContract::full_access("ALL"), filtered]),
            contracts_file: Some("access-contracts.json"),
            ..Default::default()
        },
    );
    let sip = dir.path().join("r.zip");
    // U1: free access since 2000 (ACC-00001, 0 years), inherited by U2; U3: ACC-00003
    // (25 years) from 2020, closed; U4: no access rule.
    make_sip(
        &sip,
        "Rules",
        "ArchivalAgreement0",
        "FR_ORG_AGEN",
        "<Management><AccessRule><Rule>ACC-00001</Rule><StartDate>2000-01-01</StartDate></AccessRule></Management>",
        "<Management><AccessRule><Rule>ACC-00003</Rule><StartDate>2020-01-01</StartDate></AccessRule></Management>",
    );
    let r = ingest_ok(&a, &sip);
    let u = |k: &str| r.system_ids[k].clone();
    let d1 = a.get_unit("ALL", &u("U1")).unwrap();
    let d2 = a.get_unit("ALL", &u("U2")).unwrap();
    let d3 = a.get_unit("ALL", &u("U3")).unwrap();
    assert_eq!(
        d1["#computedInheritedRules"]["AccessRule"]["MaxEndDate"], "2000-01-01",
        "{d1}"
    );
    assert_eq!(
        d2["#computedInheritedRules"]["AccessRule"]["MaxEndDate"], "2000-01-01",
        "{d2}"
    );
    assert_eq!(
        d2["#computedInheritedRules"]["AccessRule"]["InheritanceOrigin"],
        "Inherited"
    );
    assert_eq!(
        d3["#computedInheritedRules"]["AccessRule"]["MaxEndDate"], "2045-01-01",
        "{d3}"
    );
    // RuleCategoryToFilter AccessRule: only units whose access rules have ended.
    let hits = a.search("ACCESS_FILTER", &everything()).unwrap();
    let mut want = vec![u("U1"), u("U2")];
    want.sort();
    assert_eq!(ids(&hits), want);
    assert_eq!(ids(&a.search("ALL", &everything()).unwrap()).len(), 4);
    for k in ["U3", "U4"] {
        assert_eq!(
            a.get_unit("ACCESS_FILTER", &u(k)).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    // Stored with the unit on the offers: a rebuild keeps them.
    a.rebuild().unwrap();
    assert_eq!(
        a.get_unit("ALL", &u("U3")).unwrap()["#computedInheritedRules"],
        d3["#computedInheritedRules"]
    );
    assert_eq!(
        ids(&a.search("ACCESS_FILTER", &everything()).unwrap()),
        want
    );
    assert!(a.verify().unwrap().is_ok());
}
