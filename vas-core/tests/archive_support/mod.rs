//! The archive set-up shared by the archive test files (`archive_eliminate.rs`,
//! `archive_mm_rules.rs`, `archive_eliminate_detach.rs`): an archive created with a rules
//! referential and access contracts, an ingest that must be accepted, and a snapshot of what
//! the catalog answers (to compare across a rebuild).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};
use vas_core::archive::{Archive, IngestOptions, InitOptions};
use vas_core::catalog::AccessContract;

/// An archive in `dir/archive` whose referentials (in `dir/refs`) are the rules CSV
/// `rules` and the access contracts `contracts`.
pub fn create_archive(dir: &Path, rules: &str, contracts: &[AccessContract]) -> Archive {
    let refs = dir.join("refs");
    std::fs::create_dir_all(&refs).unwrap();
    std::fs::write(refs.join("rules.csv"), rules).unwrap();
    std::fs::write(
        refs.join("access_contracts.json"),
        serde_json::to_vec(contracts).unwrap(),
    )
    .unwrap();
    Archive::create(
        dir.join("archive"),
        &InitOptions {
            referentials: Some(refs),
            ..Default::default()
        },
    )
    .unwrap()
}

/// Ingests `sip`, asserts it was accepted, and returns the system ids by manifest id.
pub fn ingest_accepted(a: &Archive, sip: &Path) -> BTreeMap<String, String> {
    let r = a.ingest(sip, &IngestOptions::default()).unwrap();
    assert!(
        r.report.outcome.is_accepted(),
        "{:?}",
        r.report.out_details()
    );
    r.system_ids
}

/// What the catalog answers under the contract `ALL`, for comparisons across a rebuild:
/// the units in `#id` order and the accession register.
pub fn snapshot(a: &Archive) -> (Value, Value) {
    let r = a
        .search(
            "ALL",
            &json!({"$query": {}, "$filter": {"$orderby": {"#id": 1}}}),
        )
        .unwrap();
    let reg = serde_json::to_value(a.accession_register("ALL").unwrap()).unwrap();
    (r["$results"].clone(), reg)
}

/// Other referentials and offers, and the helpers `archive_access.rs`, `archive_dip.rs` and
/// `archive_tenants.rs` shared by copy.
#[allow(dead_code)]
pub mod setup;
