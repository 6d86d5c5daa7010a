//! The catalog on a real SQLite file: full text with accents, injection attempts, contracts
//! loaded from Vitam's fixtures, Vitam's computed-inherited-rules fixtures, elimination,
//! the accession register, object access by usage.

use serde_json::{Value, json};
use vas_core::ErrorKind;
use vas_core::catalog::{
    AccessContract, Catalog, ContractStatus, IndexBatch, ObjectGroupRecord, ObjectRecord,
    UnitRecord, UnitType,
};

const FIX: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/vitam/referentials/integration-processing/"
);

fn unit(id: &str, parents: &[&str], title: &str, agency: &str) -> UnitRecord {
    let mut u = UnitRecord::new(id, 0);
    u.parents = parents.iter().map(|p| p.to_string()).collect();
    u.metadata.insert("Title".into(), json!(title));
    u.originating_agency = Some(agency.into());
    u.operation_id = Some("op1".into());
    u
}

fn ids(answer: &Value) -> Vec<&str> {
    answer["$results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["#id"].as_str().unwrap())
        .collect()
}

fn sample() -> IndexBatch {
    let mut root = unit("root", &[], "Fonds du Château de l'Épée", "FR_ORG_AGEN");
    root.unit_type = UnitType::HoldingUnit;
    root.metadata
        .insert("DescriptionLevel".into(), json!("Fonds"));
    let mut a = unit("a", &["root"], "Lettre à Noël", "FR_ORG_AGEN");
    a.metadata
        .insert("Description".into(), json!("Une ÉPÉE forgée en 1914"));
    a.metadata.insert("DescriptionLevel".into(), json!("Item"));
    a.metadata.insert("StartDate".into(), json!("1914-08-01"));
    a.metadata.insert(
        "Keyword".into(),
        json!([{"KeywordType": "subject", "KeywordContent": "Armurerie"}]),
    );
    a.object_group_id = Some("ga".into());
    let mut b = unit("b", &["root", "a"], "Plan cadastral", "OTHER");
    b.metadata.insert("DescriptionLevel".into(), json!("Item"));
    b.metadata.insert("StartDate".into(), json!("1850-01-01"));
    let c = unit("c", &["b"], "Annexe", "OTHER");
    let ga = ObjectGroupRecord {
        id: "ga".into(),
        tenant: 0,
        originating_agency: Some("FR_ORG_AGEN".into()),
        operation_id: Some("op1".into()),
        objects: vec![
            ObjectRecord {
                id: "o1".into(),
                usage: "BinaryMaster".into(),
                version: 1,
                size: 1000,
                digest: "ab".into(),
                algorithm: "SHA-512".into(),
                format_id: Some("fmt/18".into()),
                storage_key: Some("k1".into()),
                operation_id: None,
            },
            ObjectRecord {
                id: "o2".into(),
                usage: "Dissemination".into(),
                version: 1,
                size: 200,
                digest: "cd".into(),
                algorithm: "SHA-512".into(),
                format_id: None,
                storage_key: Some("k2".into()),
                operation_id: None,
            },
        ],
        metadata: Default::default(),
    };
    IndexBatch {
        units: vec![c, b, a, root],
        object_groups: vec![ga],
    }
}

#[test]
fn real_file_reopened_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    {
        let cat = Catalog::open(&path).unwrap();
        cat.index(&sample()).unwrap();
    }
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(cat.counts().unwrap(), (4, 1));
    let mode: String = cat
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = cat
        .connection()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let all = AccessContract::full_access("all");
    let v = cat.view(0, &all).unwrap();
    let u = v.get_unit("c").unwrap();
    assert_eq!(u["#unitups"], json!(["b"]));
    assert_eq!(u["#allunitups"], json!(["a", "b", "root"]));
    assert_eq!(u["#originating_agency"], "OTHER");
    assert_eq!(u["#opi"], "op1");
    // DAG: b has two parents; depth 1 from root finds a and b, exact depth 2 finds b (via a) and c.
    let d1 = v
        .search(&json!({"$roots": ["root"], "$query": [{"$exists": "#id", "$depth": 1}]}))
        .unwrap();
    assert_eq!(ids(&d1), ["a", "b"]);
    let e2 = v
        .search(&json!({"$roots": ["root"], "$query": [{"$exists": "#id", "$exactdepth": 2}]}))
        .unwrap();
    assert_eq!(ids(&e2), ["b", "c"]);
    // Sequential queries: items under root, then their children.
    let seq = v.search(&json!({"$roots": ["root"], "$query": [{"$eq": {"DescriptionLevel": "Item"}}, {"$exists": "Title", "$depth": 1}]})).unwrap();
    assert_eq!(ids(&seq), ["b", "c"]);
    // Garbage is not a database.
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let e = Catalog::open(&junk).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::Internal),
        "{e}"
    );
}

#[test]
fn full_text_ignores_accents_and_case() {
    let cat = Catalog::open_in_memory().unwrap();
    cat.index(&sample()).unwrap();
    let all = AccessContract::full_access("all");
    let v = cat.view(0, &all).unwrap();
    let q = |f: &str, t: &str| {
        ids(&v.search(&json!({"$query": {"$match": {f: t}}})).unwrap())
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(q("Title", "epee"), ["root"]);
    assert_eq!(q("Title", "ÉPÉE"), ["root"]);
    assert_eq!(q("Title", "chateau"), ["root"]);
    assert_eq!(q("Title", "noel"), ["a"]);
    assert_eq!(q("Description", "epee forgee"), ["a"]);
    assert_eq!(q("Keyword", "armurerie"), ["a"]);
    assert_eq!(q("Title", "épée plan"), ["b", "root"]);
    let all_words = v
        .search(&json!({"$query": {"$match_all": {"Title": "plan cadastral"}}}))
        .unwrap();
    assert_eq!(ids(&all_words), ["b"]);
    let phrase = v
        .search(&json!({"$query": {"$match_phrase": {"Title": "cadastral plan"}}}))
        .unwrap();
    assert_eq!(ids(&phrase), Vec::<&str>::new());
    let phrase = v
        .search(&json!({"$query": {"$match_phrase": {"Title": "château de l'épée"}}}))
        .unwrap();
    assert_eq!(ids(&phrase), ["root"]);
}

#[test]
fn injection_attempts_are_inert() {
    let cat = Catalog::open_in_memory().unwrap();
    cat.index(&sample()).unwrap();
    let all = AccessContract::full_access("all");
    let v = cat.view(0, &all).unwrap();
    for evil in [
        "x' OR '1'='1",
        "\"); DROP TABLE unit; --",
        "%",
        "*",
        "title : * OR x",
        "NEAR(a b)",
        "\u{0}",
    ] {
        for op in ["$eq", "$match", "$wildcard", "$regex"] {
            let field = "Title";
            let r = v.search(&json!({"$query": {op: {field: evil}}}));
            match r {
                Ok(a) => assert!(a["$hits"]["total"].as_u64().unwrap() <= 4),
                Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{op} {evil}: {e}"),
            }
        }
        let e = v
            .search(&json!({"$query": {"$eq": {evil: "x"}}}))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(v.get_unit(evil).is_err());
    }
    assert_eq!(cat.counts().unwrap(), (4, 1));
    let e = v
        .search(&json!({"$query": {"$eq": {"Titel": "x"}}}))
        .unwrap_err();
    assert!(e.to_string().contains("Titel"));
    let e = v
        .search(&json!({"$filter": {"$offset": 9999, "$limit": 10}}))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn contracts_from_vitam_fixtures() {
    let contracts = AccessContract::load_all(format!("{FIX}access_contracts.json")).unwrap();
    assert_eq!(contracts.len(), 4);
    let cat = Catalog::open_in_memory().unwrap();
    cat.index(&sample()).unwrap();
    let by = |n: &str| {
        contracts
            .iter()
            .find(|c| c.identifier == n)
            .unwrap()
            .clone()
    };
    // EveryOriginatingAgency wins over the list.
    let a_name = by("aName");
    let v = cat.view(0, &a_name).unwrap();
    assert_eq!(v.search(&json!({})).unwrap()["$hits"]["total"], 4);
    // Restricted to FR_ORG_AGEN: OTHER's units vanish, answered NotFound like unknown ids.
    let mut only = by("aName");
    only.every_originating_agency = false;
    let v = cat.view(0, &only).unwrap();
    assert_eq!(ids(&v.search(&json!({})).unwrap()), ["a", "root"]);
    assert_eq!(v.get_unit("b").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(v.get_unit("nope").unwrap_err().kind(), ErrorKind::NotFound);
    assert!(
        v.accession_register()
            .unwrap()
            .iter()
            .all(|l| l.originating_agency == "FR_ORG_AGEN")
    );
    // DataObjectVersion: PhysicalMaster and BinaryMaster only.
    assert_eq!(
        v.object_for_read("ga", "BinaryMaster")
            .unwrap()
            .storage_key
            .as_deref(),
        Some("k1")
    );
    assert_eq!(
        v.object_for_read("ga", "Dissemination").unwrap_err().kind(),
        ErrorKind::Denied
    );
    // Holding units stay visible whatever the agencies.
    only.originating_agencies = vec!["NOBODY".into()];
    let v = cat.view(0, &only).unwrap();
    assert_eq!(ids(&v.search(&json!({})).unwrap()), ["root"]);
    assert_eq!(
        v.get_object_group("ga").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // RuleCategoryToFilter HoldRule: no unit has computed hold rules, so none is visible.
    let rule = by("contract_rule");
    let v = cat.view(0, &rule).unwrap();
    assert_eq!(v.search(&json!({})).unwrap()["$hits"]["total"], 0);
    // Roots and exclusions.
    let mut c = by("contract");
    c.root_units = vec!["b".into()];
    let v = cat.view(0, &c).unwrap();
    assert_eq!(ids(&v.search(&json!({})).unwrap()), ["b", "c"]);
    c.root_units = vec![];
    c.excluded_root_units = vec!["a".into()];
    let v = cat.view(0, &c).unwrap();
    assert_eq!(ids(&v.search(&json!({})).unwrap()), ["root"]);
    // Inactive: Denied. Another tenant: nothing.
    c.status = ContractStatus::Inactive;
    assert_eq!(cat.view(0, &c).unwrap_err().kind(), ErrorKind::Denied);
    let all = AccessContract::full_access("all");
    assert_eq!(
        cat.view(1, &all).unwrap().search(&json!({})).unwrap()["$hits"]["total"],
        0
    );
    // Unknown rule category is refused.
    let mut bad = by("contract");
    bad.rule_category_to_filter = vec!["NopeRule".into()];
    assert_eq!(
        cat.view(0, &bad).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn rule_filter_reads_vitam_computed_inherited_rules() {
    let cat = Catalog::open_in_memory().unwrap();
    let mut units = Vec::new();
    for name in ["Pereire", "Reaumur", "Republique"] {
        let text =
            std::fs::read_to_string(format!("{FIX}expected{name}ComputedInheritedRules.json"))
                .unwrap();
        let mut u = unit(name, &[], name, "X");
        u.computed_inherited_rules = Some(serde_json::from_str(&text).unwrap());
        units.push(u);
    }
    cat.index(&IndexBatch {
        units: units.clone(),
        ..Default::default()
    })
    .unwrap();
    for cat_name in ["AccessRule", "DisseminationRule", "HoldRule", "ReuseRule"] {
        let mut c = AccessContract::full_access("f");
        c.rule_category_to_filter = vec![cat_name.into()];
        for date in ["1999-12-31", "2000-01-02", "2026-01-01"] {
            let v = cat.view(0, &c).unwrap().at_date(date);
            let got = ids(&v.search(&json!({})).unwrap())
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>();
            // Expected from the fixtures' MaxEndDate, read here directly.
            let want: Vec<String> = units
                .iter()
                .filter(|u| {
                    u.computed_inherited_rules.as_ref().unwrap()[cat_name]["MaxEndDate"]
                        .as_str()
                        .is_some_and(|m| m < date)
                })
                .map(|u| u.id.clone())
                .collect();
            assert_eq!(got, want, "{cat_name} at {date}");
        }
    }
    // API form: Rules[] with EndDate; a rule without EndDate never ends.
    let mut u = unit("api", &[], "api", "X");
    u.computed_inherited_rules = Some(
        json!({"AccessRule": {"Rules": [{"Rule": "ACC-1", "EndDate": "2001-01-01"}, {"Rule": "ACC-2", "EndDate": "2003-01-01"}]},
                                               "ReuseRule": {"Rules": [{"Rule": "R-1", "EndDate": "2001-01-01"}, {"Rule": "R-2"}]}}),
    );
    cat.index(&IndexBatch {
        units: vec![u],
        ..Default::default()
    })
    .unwrap();
    let mut c = AccessContract::full_access("f");
    c.rule_category_to_filter = vec!["AccessRule".into()];
    let seen = |d: &str| cat.view(0, &c).unwrap().at_date(d).get_unit("api").is_ok();
    assert!(!seen("2002-01-01"));
    assert!(seen("2003-01-02"));
    c.rule_category_to_filter = vec!["ReuseRule".into()];
    assert!(
        cat.view(0, &c)
            .unwrap()
            .at_date("2999-01-01")
            .get_unit("api")
            .is_err()
    );
}

#[test]
fn elimination_register_projection_and_facets() {
    let cat = Catalog::open_in_memory().unwrap();
    cat.index(&sample()).unwrap();
    let all = AccessContract::full_access("all");
    {
        let v = cat.view(0, &all).unwrap();
        let reg = v.accession_register().unwrap();
        let fr = reg
            .iter()
            .find(|l| l.originating_agency == "FR_ORG_AGEN")
            .unwrap();
        assert_eq!(
            (fr.units, fr.object_groups, fr.objects, fr.bytes),
            (2, 1, 2, 1200)
        );
        let a = v
            .search(&json!({"$query": {"$exists": "Title"}, "$filter": {"$orderby": {"StartDate": -1}, "$limit": 2},
                "$projection": {"$fields": {"#id": 1, "Title": 1}},
                "$facets": [{"$name": "levels", "$terms": {"$field": "DescriptionLevel"}},
                            {"$name": "centuries", "$date_range": {"$field": "StartDate", "$format": "yyyy",
                              "$ranges": [{"$from": "1800", "$to": "1900"}, {"$from": "1900", "$to": "2000"}]}}]}))
            .unwrap();
        assert_eq!(
            a["$hits"],
            json!({"total": 4, "offset": 0, "limit": 2, "size": 2})
        );
        assert_eq!(
            a["$results"][0],
            json!({"#id": "a", "Title": "Lettre à Noël"})
        );
        assert_eq!(
            a["$facetResults"][0],
            json!({"name": "levels", "buckets": [{"value": "Item", "count": 2}, {"value": "Fonds", "count": 1}]})
        );
        assert_eq!(a["$facetResults"][1]["buckets"][0]["count"], 1);
        assert_eq!(a["$facetResults"][1]["buckets"][1]["count"], 1);
        let g = v.get_object_group("ga").unwrap();
        assert_eq!(g["#unitups"], json!(["a"]));
        assert_eq!(
            g["#qualifiers"][0]["versions"][0]["DataObjectVersion"],
            "BinaryMaster_1"
        );
    }
    // b still has child c.
    assert_eq!(
        cat.delete_units(&["b".into()]).unwrap_err().kind(),
        ErrorKind::Conflict
    );
    assert_eq!(
        cat.delete_object_groups(&["ga".into()]).unwrap_err().kind(),
        ErrorKind::Conflict
    );
    cat.delete_units(&["c".into(), "b".into()]).unwrap();
    assert_eq!(
        cat.delete_units(&["zz".into()]).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let v = cat.view(0, &all).unwrap();
    assert_eq!(ids(&v.search(&json!({})).unwrap()), ["a", "root"]);
    assert_eq!(
        v.search(&json!({"$query": {"$match": {"Title": "plan"}}}))
            .unwrap()["$hits"]["total"],
        0
    );
    let reg = v.accession_register().unwrap();
    assert_eq!(
        reg.iter()
            .find(|l| l.originating_agency == "OTHER")
            .unwrap()
            .units,
        0
    );
    cat.delete_units(&["a".into()]).unwrap();
    cat.delete_object_groups(&["ga".into()]).unwrap();
    assert_eq!(cat.counts().unwrap(), (1, 0));
    let reg = cat.view(0, &all).unwrap().accession_register().unwrap();
    let fr = reg
        .iter()
        .find(|l| l.originating_agency == "FR_ORG_AGEN")
        .unwrap();
    assert_eq!(
        (fr.units, fr.object_groups, fr.objects, fr.bytes),
        (1, 0, 0, 0)
    );
    // Rebuild keeps the same answers.
    assert_eq!(cat.rebuild().unwrap(), (1, 0));
    assert_eq!(
        ids(&cat
            .view(0, &all)
            .unwrap()
            .search(&json!({"$query": {"$match": {"Title": "epee"}}}))
            .unwrap()),
        ["root"]
    );
}

#[test]
fn bad_records_are_refused_with_their_id() {
    let cat = Catalog::open_in_memory().unwrap();
    let mut u = UnitRecord::new("x", 0);
    u.metadata
        .insert("Title".into(), json!(["not", "a", "string"]));
    let e = cat
        .index(&IndexBatch {
            units: vec![u],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(e.context().id.as_deref(), Some("x"));
    let mut u = UnitRecord::new("y", 0);
    u.metadata.insert("#id".into(), json!("z"));
    assert!(
        cat.index(&IndexBatch {
            units: vec![u],
            ..Default::default()
        })
        .is_err()
    );
    assert!(UnitRecord::from_document(&json!({"#id": 3})).is_err());
    assert!(UnitRecord::from_document(&json!({"#id": "a", "#unitups": "b"})).is_err());
    // A parent in another tenant, an unknown object group.
    let mut p = UnitRecord::new("p", 1);
    p.metadata.insert("Title".into(), json!("P"));
    let mut c = UnitRecord::new("c", 0);
    c.parents = vec!["p".into()];
    let e = cat
        .index(&IndexBatch {
            units: vec![p, c],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let mut g = UnitRecord::new("g", 0);
    g.object_group_id = Some("nowhere".into());
    let e = cat
        .index(&IndexBatch {
            units: vec![g],
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(cat.counts().unwrap(), (0, 0));
}

#[test]
fn computed_rules_updates_are_atomic_and_survive_rebuild() {
    let cat = Catalog::open_in_memory().unwrap();
    cat.index(&sample()).unwrap();
    let mut c = AccessContract::full_access("f");
    c.rule_category_to_filter = vec!["AccessRule".into()];
    let visible = |cat: &Catalog| {
        ids(&cat
            .view(0, &c)
            .unwrap()
            .at_date("2026-01-01")
            .search(&json!({}))
            .unwrap())
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    assert!(visible(&cat).is_empty());
    let ended = json!({"AccessRule": {"Rules": [{"Rule": "ACC-00001", "EndDate": "2020-01-01"}]}});
    // The second update is invalid: nothing is applied.
    let e = cat
        .update_computed_inherited_rules(&[
            ("a".into(), ended.clone()),
            ("zz".into(), ended.clone()),
        ])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(visible(&cat).is_empty());
    let e = cat
        .update_computed_inherited_rules(&[("a".into(), json!([1]))])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    cat.update_computed_inherited_rules(&[("a".into(), ended.clone()), ("b".into(), ended)])
        .unwrap();
    assert_eq!(visible(&cat), ["a", "b"]);
    let all = AccessContract::full_access("all");
    assert_eq!(
        cat.view(0, &all).unwrap().get_unit("a").unwrap()["#computedInheritedRules"]["AccessRule"]
            ["Rules"][0]["Rule"],
        "ACC-00001"
    );
    cat.rebuild().unwrap();
    assert_eq!(visible(&cat), ["a", "b"]);
}

/// A group of operation `op1` with one object of its own and one added by `op2`.
fn group_of_two_operations() -> ObjectGroupRecord {
    let obj = |id: &str, usage: &str, size: u64, opi: Option<&str>| ObjectRecord {
        id: id.into(),
        usage: usage.into(),
        version: 1,
        size,
        digest: "ab".into(),
        algorithm: "SHA-512".into(),
        format_id: None,
        storage_key: Some(format!("objects/{id}")),
        operation_id: opi.map(str::to_string),
    };
    ObjectGroupRecord {
        id: "g2".into(),
        tenant: 0,
        originating_agency: Some("FR_A".into()),
        operation_id: Some("op1".into()),
        objects: vec![
            obj("m", "BinaryMaster", 1000, None),
            obj("d", "Dissemination", 30, Some("op2")),
        ],
        metadata: Default::default(),
    }
}

fn register_of(cat: &Catalog) -> Vec<(String, i64, i64, i64, i64)> {
    let all = AccessContract::full_access("all");
    cat.view(0, &all)
        .unwrap()
        .accession_register()
        .unwrap()
        .into_iter()
        .map(|l| (l.operation_id, l.units, l.object_groups, l.objects, l.bytes))
        .collect()
}

#[test]
fn objects_count_under_the_operation_that_added_them() {
    let g = group_of_two_operations();
    // The document keeps the adding operation on the object's version only.
    let doc = g.to_document();
    assert_eq!(doc["#opi"], "op1");
    let versions: Vec<&Value> = doc["#qualifiers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| q["versions"].as_array().unwrap())
        .collect();
    let opi_of = |id: &str| {
        versions
            .iter()
            .find(|v| v["#id"] == id)
            .unwrap()
            .get("#opi")
            .cloned()
    };
    assert_eq!(opi_of("m"), None);
    assert_eq!(opi_of("d"), Some(json!("op2")));
    assert_eq!(ObjectGroupRecord::from_document(&doc).unwrap(), g);

    let cat = Catalog::open_in_memory().unwrap();
    cat.index(&IndexBatch {
        units: vec![],
        object_groups: vec![g],
    })
    .unwrap();
    assert_eq!(
        register_of(&cat),
        [
            ("op1".to_string(), 0, 1, 1, 1000),
            ("op2".to_string(), 0, 0, 1, 30)
        ]
    );
    // Removing the group takes each object off its own line.
    cat.delete_object_groups(&["g2".into()]).unwrap();
    assert_eq!(
        register_of(&cat),
        [
            ("op1".to_string(), 0, 0, 0, 0),
            ("op2".to_string(), 0, 0, 0, 0)
        ]
    );
}

#[test]
fn a_catalog_made_before_object_operations_gets_the_column_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    {
        let cat = Catalog::open(&path).unwrap();
        cat.index(&sample()).unwrap();
    }
    let before = {
        let cat = Catalog::open(&path).unwrap();
        register_of(&cat)
    };
    // The schema of a catalog written before objects kept their operation.
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch("ALTER TABLE object DROP COLUMN opi")
            .unwrap();
        assert!(db.prepare("SELECT opi FROM object").is_err());
    }
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(register_of(&cat), before);
    cat.index(&IndexBatch {
        units: vec![],
        object_groups: vec![group_of_two_operations()],
    })
    .unwrap();
    let after = register_of(&cat);
    assert!(
        after.contains(&("op2".to_string(), 0, 0, 1, 30)),
        "{after:?}"
    );
    cat.delete_object_groups(&["g2".into()]).unwrap();
    assert_eq!(
        register_of(&cat).iter().find(|l| l.0 == "op2").unwrap().3,
        0
    );
}
