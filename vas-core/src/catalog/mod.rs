//! The catalog: the archive's metadata index in one SQLite file, searched with a subset of
//! Vitam's DSL, with access contracts enforced on every read.
//!
//! # Storage
//! One SQLite file (WAL journal, foreign keys on, 5 s busy timeout):
//! - `unit`: system id, tenant, unit type, originating agency, ingest operation (`#opi`),
//!   object group (`#object`), title, description, description level, start/end dates and
//!   computed inherited rules, each indexed; `unit_doc`: the unit's full JSON document (kept
//!   apart so that filtering and sorting never drag documents along);
//! - `unit_parent` (the DAG: several parents allowed) and `unit_ancestor` (the closure:
//!   every (unit, ancestor, distance) triple, one row per distinct distance);
//! - `unit_rule`: per unit and rule category, the latest end date of its computed inherited
//!   rules (the `RuleCategoryToFilter` key);
//! - `object_group` and `object` (usage, version, size, digest, algorithm, format, storage key);
//! - `accession_register`: per tenant, originating agency and operation, the counts and
//!   sizes of units, object groups and objects;
//! - `unit_fts`: FTS5 over title, description and keywords, tokenizer
//!   `unicode61 remove_diacritics 2` (case- and accent-insensitive: `epee` finds `Épée`).
//! - `pack` and `doc_location`: the metadata packs of each operation on the offers (key,
//!   size, SHA-512) and, per unit and group document, its pack, offset, length and SHA-512
//!   ([`Catalog::index_with_packs`], [`Catalog::doc_location`], [`Catalog::packs`]).
//!
//! Everything but the documents is derived: [`Catalog::rebuild`] recomputes it from the
//! stored unit and group documents ([`UnitRecord::from_document`]).
//!
//! # Performance
//! Measured by `benches/catalog_search.rs` (release build, 2 shared cores under a load
//! average of about 11, so upper bounds): on **1 000 000 units** (1.3 GB file, built at
//! about 3 100 units/s in batches of 1 000), p50 / p99 of a search returning 20 results:
//! field query (agency = X ∧ level = File, ~200 hits) 11–16 ms / 220–450 ms; full-text
//! `$match` on Title (~500 hits) 7–11 ms / 29–58 ms; full text ∧ date range 18–24 ms /
//! 64–66 ms. On 100 000 units: 0.7 ms / 13–20 ms for each. Column fields
//! ([`dsl::COLUMN_FIELDS`]) and full text use indexes; other paths are evaluated on the
//! stored documents and scan the candidates left by the other conditions.
//!
//! # Writing
//! [`Catalog::index`] inserts an [`IndexBatch`] (one ingest) in one transaction, all or
//! nothing; parents must exist already or be in the batch; cycles and duplicates are refused.
//! [`Catalog::delete_units`] / [`Catalog::delete_object_groups`] serve elimination.
//!
//! # Reading
//! Every read goes through a [`CatalogView`] made by [`Catalog::view`] for one tenant and one
//! [`AccessContract`]: an inactive contract is `Denied`; a unit (or a group none of whose
//! units is) outside the contract is never returned, and `get` answers `NotFound` exactly as
//! for an id that does not exist, so the contract does not leak existence.
//!
//! Search answers look like Vitam's:
//! `{"$hits":{"total","offset","limit","size"},"$results":[unit documents],"$facetResults":[…]}`,
//! each unit carrying `#id`, `#tenant`, `#unitType`, `#originating_agency`,
//! `#originating_agencies`, `#unitups`, `#allunitups`, `#opi`, `#object`, `#management`,
//! `#computedInheritedRules` and its descriptive fields (`Title`, `Description`, …).
//!
//! ```
//! use serde_json::json;
//! use vas_core::catalog::{AccessContract, Catalog, IndexBatch, UnitRecord};
//!
//! let cat = Catalog::open_in_memory().unwrap();
//! let mut root = UnitRecord::new("u-root", 0);
//! root.metadata.insert("Title".into(), json!("Fonds Épée"));
//! root.originating_agency = Some("FR_AD".into());
//! let mut leaf = UnitRecord::new("u-leaf", 0);
//! leaf.metadata.insert("Title".into(), json!("Lettre"));
//! leaf.originating_agency = Some("FR_AD".into());
//! leaf.parents = vec!["u-root".into()];
//! cat.index(&IndexBatch { units: vec![leaf, root], ..Default::default() }).unwrap();
//!
//! let all = AccessContract::full_access("all");
//! let view = cat.view(0, &all).unwrap();
//! let answer = view.search(&json!({"$query": {"$match": {"Title": "epee"}}})).unwrap();
//! assert_eq!(answer["$hits"]["total"], 1);
//! assert_eq!(answer["$results"][0]["#id"], "u-root");
//! let under = view.search(&json!({"$roots": ["u-root"], "$query": [{"$exists": "Title", "$depth": 1}]})).unwrap();
//! assert_eq!(under["$results"][0]["#id"], "u-leaf");
//!
//! let mut other = AccessContract::full_access("other");
//! other.every_originating_agency = false;
//! other.originating_agencies = vec!["FR_XX".into()];
//! let err = cat.view(0, &other).unwrap().get_unit("u-leaf").unwrap_err();
//! assert_eq!(err.kind(), vas_core::ErrorKind::NotFound);
//! ```

mod attach;
mod check;
pub mod contract;
pub mod dsl;
mod eliminate;
mod existing;
mod packs;
mod sql;
mod stream;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use contract::{AccessContract, ContractStatus, RULE_CATEGORIES};
pub use dsl::SelectQuery;
pub use eliminate::{EliminatedCounts, GraphUnit};
pub use existing::{CatalogUnits, OperationLookup};
pub use packs::{DocKind, DocLocation, PackRecord};
pub(crate) use stream::{IndexSession, unit_document_text};

use crate::error::{Error, ErrorKind, Result};
use crate::ids::{Clock, SystemClock};

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unit (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant INTEGER NOT NULL,
  unit_type TEXT NOT NULL,
  originating_agency TEXT,
  opi TEXT,
  og TEXT,
  title TEXT,
  description TEXT,
  description_level TEXT,
  start_date TEXT,
  end_date TEXT,
  rules TEXT
);
CREATE TABLE IF NOT EXISTS unit_doc (
  rid INTEGER PRIMARY KEY REFERENCES unit(rid) ON DELETE CASCADE,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS unit_agency ON unit(originating_agency);
CREATE INDEX IF NOT EXISTS unit_opi ON unit(opi);
CREATE INDEX IF NOT EXISTS unit_og ON unit(og);
CREATE INDEX IF NOT EXISTS unit_title ON unit(title);
CREATE INDEX IF NOT EXISTS unit_level ON unit(description_level);
CREATE INDEX IF NOT EXISTS unit_start ON unit(start_date);
CREATE INDEX IF NOT EXISTS unit_end ON unit(end_date);
CREATE TABLE IF NOT EXISTS unit_parent (
  unit INTEGER NOT NULL REFERENCES unit(rid) ON DELETE CASCADE,
  parent INTEGER NOT NULL REFERENCES unit(rid),
  PRIMARY KEY (unit, parent)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unit_parent_p ON unit_parent(parent);
CREATE TABLE IF NOT EXISTS unit_ancestor (
  unit INTEGER NOT NULL REFERENCES unit(rid) ON DELETE CASCADE,
  ancestor INTEGER NOT NULL REFERENCES unit(rid),
  depth INTEGER NOT NULL,
  PRIMARY KEY (unit, ancestor, depth)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unit_ancestor_a ON unit_ancestor(ancestor, depth);
CREATE TABLE IF NOT EXISTS unit_rule (
  unit INTEGER NOT NULL REFERENCES unit(rid) ON DELETE CASCADE,
  category TEXT NOT NULL,
  max_end_date TEXT,
  PRIMARY KEY (unit, category)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_group (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant INTEGER NOT NULL,
  originating_agency TEXT,
  opi TEXT,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS object (
  id TEXT PRIMARY KEY,
  grp INTEGER NOT NULL REFERENCES object_group(rid) ON DELETE CASCADE,
  usage TEXT NOT NULL,
  version INTEGER NOT NULL,
  size INTEGER NOT NULL,
  digest TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  format TEXT,
  storage_key TEXT,
  opi TEXT
);
CREATE INDEX IF NOT EXISTS object_grp ON object(grp);
CREATE INDEX IF NOT EXISTS object_digest ON object(digest);
CREATE TABLE IF NOT EXISTS accession_register (
  tenant INTEGER NOT NULL,
  originating_agency TEXT NOT NULL,
  opi TEXT NOT NULL,
  units INTEGER NOT NULL DEFAULT 0,
  object_groups INTEGER NOT NULL DEFAULT 0,
  objects INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, originating_agency, opi)
);
CREATE VIRTUAL TABLE IF NOT EXISTS unit_fts USING fts5(
  title, description, keywords, tokenize = 'unicode61 remove_diacritics 2'
);
"#;

/// Vitam's unit types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum UnitType {
    /// A unit taken in by an ingest (`INGEST`).
    #[serde(rename = "INGEST")]
    #[default]
    Ingest,
    /// A node of a holding scheme (`HOLDING_UNIT`): visible whatever the agency filter.
    #[serde(rename = "HOLDING_UNIT")]
    HoldingUnit,
    /// A node of a filing scheme (`FILING_UNIT`).
    #[serde(rename = "FILING_UNIT")]
    FilingUnit,
}

impl UnitType {
    /// Vitam's name.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitType::Ingest => "INGEST",
            UnitType::HoldingUnit => "HOLDING_UNIT",
            UnitType::FilingUnit => "FILING_UNIT",
        }
    }

    fn parse(s: &str) -> Result<UnitType> {
        match s {
            "INGEST" => Ok(UnitType::Ingest),
            "HOLDING_UNIT" => Ok(UnitType::HoldingUnit),
            "FILING_UNIT" => Ok(UnitType::FilingUnit),
            _ => Err(Error::invalid(format!("unknown #unitType {s:?}"))),
        }
    }
}

/// An archive unit to index.
///
/// `computed_inherited_rules` is, per rule category, either Vitam's indexed form
/// (`{"AccessRule": {"MaxEndDate": "2030-01-01", …}}`) or the API form
/// (`{"AccessRule": {"Rules": [{"Rule": "ACC-00002", "EndDate": "2030-01-01", …}]}}`).
/// A category's end is the latest `EndDate` of its `Rules` (never, if one rule has none),
/// else its `MaxEndDate`; a category absent or with neither has no end, so a contract
/// filtering on it hides the unit (Vitam's behaviour).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitRecord {
    /// System id (`#id`).
    pub id: String,
    /// Tenant (`#tenant`).
    pub tenant: u32,
    /// `#unitType`.
    pub unit_type: UnitType,
    /// `#originating_agency`.
    pub originating_agency: Option<String>,
    /// Direct parents' system ids (`#unitups`).
    pub parents: Vec<String>,
    /// Ingest operation id (`#opi`).
    pub operation_id: Option<String>,
    /// Object group id (`#object`).
    pub object_group_id: Option<String>,
    /// Descriptive metadata in SEDA's JSON form (`Title`, `Description`, `Keyword` …);
    /// keys starting with `#` are reserved.
    pub metadata: Map<String, Value>,
    /// Management metadata (`#management`: `AccessRule`, `AppraisalRule` …).
    pub management: Option<Value>,
    /// Computed inherited rules (`#computedInheritedRules`).
    pub computed_inherited_rules: Option<Value>,
}

const STRING_COLUMNS: &[&str] = &[
    "Title",
    "Description",
    "DescriptionLevel",
    "StartDate",
    "EndDate",
];

fn opt_str(doc: &Map<String, Value>, key: &str, id: &str) -> Result<Option<String>> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(
            Error::invalid(format!("{key} must be a string, not {other}"))
                .with_id(id.to_string())
                .with_element(key),
        ),
    }
}

impl UnitRecord {
    /// A unit with no metadata.
    pub fn new(id: impl Into<String>, tenant: u32) -> UnitRecord {
        UnitRecord {
            id: id.into(),
            tenant,
            ..Default::default()
        }
    }

    /// The unit's document (without `#allunitups`, which the catalog adds).
    pub fn to_document(&self) -> Value {
        let mut m = self.metadata.clone();
        m.insert("#id".into(), json!(self.id));
        m.insert("#tenant".into(), json!(self.tenant));
        m.insert("#unitType".into(), json!(self.unit_type.as_str()));
        if let Some(a) = &self.originating_agency {
            m.insert("#originating_agency".into(), json!(a));
            m.insert("#originating_agencies".into(), json!([a]));
        }
        m.insert("#unitups".into(), json!(self.parents));
        if let Some(o) = &self.operation_id {
            m.insert("#opi".into(), json!(o));
        }
        if let Some(g) = &self.object_group_id {
            m.insert("#object".into(), json!(g));
        }
        if let Some(x) = &self.management {
            m.insert("#management".into(), x.clone());
        }
        if let Some(x) = &self.computed_inherited_rules {
            m.insert("#computedInheritedRules".into(), x.clone());
        }
        Value::Object(m)
    }

    /// Reads a unit back from its document (the inverse of [`UnitRecord::to_document`];
    /// `#allunitups` and `#originating_agencies` are derived and ignored).
    pub fn from_document(doc: &Value) -> Result<UnitRecord> {
        let m = doc
            .as_object()
            .ok_or_else(|| Error::invalid("a unit document must be a JSON object"))?;
        let id = match m.get("#id") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(Error::invalid("unit document without a string #id")),
        };
        let tenant = match m.get("#tenant") {
            None => 0,
            Some(t) => t
                .as_u64()
                .and_then(|t| u32::try_from(t).ok())
                .ok_or_else(|| Error::invalid(format!("bad #tenant {t}")).with_id(id.clone()))?,
        };
        let unit_type = match opt_str(m, "#unitType", &id)? {
            Some(s) => UnitType::parse(&s).map_err(|e| e.with_id(id.clone()))?,
            None => UnitType::Ingest,
        };
        let parents = match m.get("#unitups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|p| {
                    p.as_str().map(str::to_string).ok_or_else(|| {
                        Error::invalid(format!("#unitups holds a non-string {p}"))
                            .with_id(id.clone())
                    })
                })
                .collect::<Result<_>>()?,
            Some(o) => {
                return Err(
                    Error::invalid(format!("#unitups must be an array, not {o}"))
                        .with_id(id.clone()),
                );
            }
        };
        let metadata: Map<String, Value> = m
            .iter()
            .filter(|(k, _)| !k.starts_with('#'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let rec = UnitRecord {
            originating_agency: opt_str(m, "#originating_agency", &id)?,
            operation_id: opt_str(m, "#opi", &id)?,
            object_group_id: opt_str(m, "#object", &id)?,
            management: m.get("#management").filter(|v| !v.is_null()).cloned(),
            computed_inherited_rules: m
                .get("#computedInheritedRules")
                .filter(|v| !v.is_null())
                .cloned(),
            id,
            tenant,
            unit_type,
            parents,
            metadata,
        };
        rec.validate()?;
        Ok(rec)
    }

    /// Checks what the catalog relies on.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::invalid(msg).with_id(self.id.clone()));
        if self.id.is_empty() || self.id.len() > 256 {
            return bad(format!("unit id must have 1 to 256 bytes: {:?}", self.id));
        }
        for k in self.metadata.keys() {
            if k.starts_with('#') {
                return bad(format!("metadata key {k:?} is reserved (starts with #)"));
            }
        }
        for k in STRING_COLUMNS {
            opt_str(&self.metadata, k, &self.id)?;
        }
        let mut seen = HashSet::new();
        for p in &self.parents {
            if p == &self.id {
                return bad("a unit cannot be its own parent".into());
            }
            if !seen.insert(p) {
                return bad(format!("parent {p:?} listed twice"));
            }
        }
        if let Some(r) = &self.computed_inherited_rules
            && !r.is_object()
        {
            return bad("#computedInheritedRules must be an object".into());
        }
        Ok(())
    }

    /// Per rule category: the latest end date (None = never ends) — see the type's docs.
    pub fn rule_end_dates(&self) -> BTreeMap<String, Option<String>> {
        let mut out = BTreeMap::new();
        let Some(Value::Object(cats)) = &self.computed_inherited_rules else {
            return out;
        };
        for (cat, v) in cats {
            let rules = v.get("Rules").and_then(Value::as_array);
            let end = match rules {
                Some(rules) if !rules.is_empty() => {
                    let mut max: Option<String> = None;
                    let mut all = true;
                    for r in rules {
                        match r.get("EndDate").and_then(Value::as_str) {
                            Some(e) => {
                                if max.as_deref().is_none_or(|m| e > m) {
                                    max = Some(e.to_string());
                                }
                            }
                            None => all = false,
                        }
                    }
                    if all { max } else { None }
                }
                _ => match v.get("MaxEndDate").and_then(Value::as_str) {
                    Some(m) => Some(m.to_string()),
                    None => continue,
                },
            };
            out.insert(cat.clone(), end);
        }
        out
    }

    fn keywords(&self) -> String {
        let mut out = Vec::new();
        if let Some(k) = self.metadata.get("Keyword") {
            let items: Vec<&Value> = match k {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for it in items {
                match it.get("KeywordContent") {
                    Some(Value::String(s)) => out.push(s.clone()),
                    Some(Value::Array(a)) => {
                        out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)))
                    }
                    _ => {}
                }
            }
        }
        out.join(" ")
    }

    fn text_with_variants(&self, key: &str) -> String {
        let mut parts = Vec::new();
        if let Some(Value::String(s)) = self.metadata.get(key) {
            parts.push(s.clone());
        }
        if let Some(Value::Object(langs)) = self.metadata.get(&format!("{key}_")) {
            parts.extend(
                langs
                    .values()
                    .filter_map(|v| v.as_str().map(str::to_string)),
            );
        }
        parts.join(" ")
    }
}

/// One data object (one version of one usage) of an object group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// System id (`#id`).
    #[serde(rename = "#id")]
    pub id: String,
    /// Usage: `BinaryMaster`, `Dissemination`, `Thumbnail`, `TextContent`, `PhysicalMaster`.
    pub usage: String,
    /// Version number within the usage (1 …).
    pub version: u32,
    /// Size in bytes.
    #[serde(rename = "Size")]
    pub size: u64,
    /// Lower-case hex digest.
    #[serde(rename = "MessageDigest")]
    pub digest: String,
    /// Digest algorithm, SEDA name (`SHA-512`).
    #[serde(rename = "Algorithm")]
    pub algorithm: String,
    /// PRONOM format id (`fmt/18`).
    #[serde(rename = "FormatId", default, skip_serializing_if = "Option::is_none")]
    pub format_id: Option<String>,
    /// Where the storage offers keep the bytes.
    #[serde(
        rename = "StorageKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_key: Option<String>,
    /// The operation that added this object to its group (`#opi` of the version in the
    /// group document) when it is not the group's own (`None`): objects an attachment SIP
    /// adds to an existing group count in the accession register under that attachment's
    /// operation, as Vitam counts them.
    #[serde(rename = "#opi", default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
}

/// An object group to index.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectGroupRecord {
    /// System id.
    pub id: String,
    /// Tenant.
    pub tenant: u32,
    /// Originating agency.
    pub originating_agency: Option<String>,
    /// Ingest operation id.
    pub operation_id: Option<String>,
    /// Its objects.
    pub objects: Vec<ObjectRecord>,
    /// Other metadata kept in the document (`FileInfo` …); keys starting with `#` reserved.
    pub metadata: Map<String, Value>,
}

impl ObjectGroupRecord {
    /// The group's document, shaped like Vitam's:
    /// `{"#id", "#tenant", "#originating_agency", "#opi", "#nbobjects",
    ///   "#qualifiers": [{"qualifier": usage, "#nbc": n, "versions": [{"#id",
    ///   "DataObjectVersion": "BinaryMaster_1", "Size", "MessageDigest", "Algorithm",
    ///   "FormatIdentification": {"FormatId"}, "#storage": {"key"}}]}]}`.
    pub fn to_document(&self) -> Value {
        let mut m = self.metadata.clone();
        m.insert("#id".into(), json!(self.id));
        m.insert("#tenant".into(), json!(self.tenant));
        if let Some(a) = &self.originating_agency {
            m.insert("#originating_agency".into(), json!(a));
        }
        if let Some(o) = &self.operation_id {
            m.insert("#opi".into(), json!(o));
        }
        m.insert("#nbobjects".into(), json!(self.objects.len()));
        let mut by_usage: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for o in &self.objects {
            let mut v = json!({
                "#id": o.id,
                "DataObjectVersion": format!("{}_{}", o.usage, o.version),
                "Size": o.size,
                "MessageDigest": o.digest,
                "Algorithm": o.algorithm,
            });
            if let Some(f) = &o.format_id {
                v["FormatIdentification"] = json!({"FormatId": f});
            }
            if let Some(k) = &o.storage_key {
                v["#storage"] = json!({"key": k});
            }
            if let Some(opi) = o
                .operation_id
                .as_ref()
                .filter(|p| Some(*p) != self.operation_id.as_ref())
            {
                v["#opi"] = json!(opi);
            }
            by_usage.entry(&o.usage).or_default().push(v);
        }
        let quals: Vec<Value> = by_usage
            .into_iter()
            .map(|(u, vs)| json!({"qualifier": u, "#nbc": vs.len(), "versions": vs}))
            .collect();
        m.insert("#qualifiers".into(), Value::Array(quals));
        Value::Object(m)
    }

    /// Reads a group back from its document.
    pub fn from_document(doc: &Value) -> Result<ObjectGroupRecord> {
        let m = doc
            .as_object()
            .ok_or_else(|| Error::invalid("an object group document must be a JSON object"))?;
        let id = match m.get("#id") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(Error::invalid("object group document without a string #id")),
        };
        let mut objects = Vec::new();
        if let Some(q) = m.get("#qualifiers") {
            let quals = q.as_array().ok_or_else(|| {
                Error::invalid("#qualifiers must be an array").with_id(id.clone())
            })?;
            for q in quals {
                let usage = q.get("qualifier").and_then(Value::as_str).ok_or_else(|| {
                    Error::invalid("qualifier without a name").with_id(id.clone())
                })?;
                for v in q
                    .get("versions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
                    let dov = s("DataObjectVersion").unwrap_or_default();
                    let version = dov
                        .rsplit_once('_')
                        .and_then(|(_, n)| n.parse().ok())
                        .unwrap_or(1);
                    objects.push(ObjectRecord {
                        id: s("#id").ok_or_else(|| {
                            Error::invalid("object version without #id").with_id(id.clone())
                        })?,
                        usage: usage.to_string(),
                        version,
                        size: v.get("Size").and_then(Value::as_u64).unwrap_or(0),
                        digest: s("MessageDigest").unwrap_or_default(),
                        algorithm: s("Algorithm").unwrap_or_default(),
                        format_id: v
                            .pointer("/FormatIdentification/FormatId")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        storage_key: v
                            .pointer("/#storage/key")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        operation_id: s("#opi"),
                    });
                }
            }
        }
        let tenant = m
            .get("#tenant")
            .and_then(Value::as_u64)
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or(0);
        Ok(ObjectGroupRecord {
            originating_agency: opt_str(m, "#originating_agency", &id)?,
            operation_id: opt_str(m, "#opi", &id)?,
            metadata: m
                .iter()
                .filter(|(k, _)| !k.starts_with('#'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            id,
            tenant,
            objects,
        })
    }
}

/// What one ingest adds to the catalog, indexed all or nothing.
#[derive(Debug, Clone, Default)]
pub struct IndexBatch {
    /// Units, in any order (parents are indexed before children).
    pub units: Vec<UnitRecord>,
    /// Object groups.
    pub object_groups: Vec<ObjectGroupRecord>,
}

/// One line of the accession register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessionRegisterLine {
    /// Tenant.
    #[serde(rename = "#tenant")]
    pub tenant: u32,
    /// Originating agency (empty when none was given).
    #[serde(rename = "OriginatingAgency")]
    pub originating_agency: String,
    /// Operation.
    #[serde(rename = "Opi")]
    pub operation_id: String,
    /// Units.
    #[serde(rename = "TotalUnits")]
    pub units: i64,
    /// Object groups.
    #[serde(rename = "TotalObjectGroups")]
    pub object_groups: i64,
    /// Objects.
    #[serde(rename = "TotalObjects")]
    pub objects: i64,
    /// Bytes of the objects.
    #[serde(rename = "ObjectSize")]
    pub bytes: i64,
}

/// The catalog: one SQLite file, through one connection.
///
/// A `Catalog` is `Send` but not `Sync`: open one per thread for concurrent reads (WAL lets
/// readers proceed while one writer indexes; writers wait up to the 5 s busy timeout).
pub struct Catalog {
    conn: Connection,
    path: Option<PathBuf>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("path", &self.path).finish()
    }
}

fn db_err(e: rusqlite::Error) -> Error {
    let kind = match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                ErrorKind::Unavailable
            }
            rusqlite::ErrorCode::ConstraintViolation => ErrorKind::Conflict,
            rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase => {
                ErrorKind::Corrupt
            }
            rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::SystemIoFailure => ErrorKind::Io,
            rusqlite::ErrorCode::DiskFull => ErrorKind::Io,
            _ => ErrorKind::Internal,
        },
        rusqlite::Error::UserFunctionError(_) => ErrorKind::InvalidInput,
        _ => ErrorKind::Internal,
    };
    Error::new(kind, format!("catalog database: {e}")).with_source(e)
}

/// `vas_path(doc, path)`: every non-null value at the dotted `path` of the JSON `doc`,
/// arrays met on the way or at the end being flattened, as a JSON array.
pub fn path_values<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
            Value::Null => {}
            other => out.push(other),
        }
    }
    let mut cur: Vec<&Value> = Vec::new();
    flatten(doc, &mut cur);
    for seg in path.split('.') {
        let mut next = Vec::new();
        for v in cur {
            if let Some(x) = v.as_object().and_then(|o| o.get(seg)) {
                flatten(x, &mut next);
            }
        }
        cur = next;
    }
    cur
}

fn register_functions(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("vas_regexp", 2, flags, |ctx| {
        let re = ctx.get_or_create_aux(0, |v| -> std::result::Result<regex::Regex, Error> {
            let p = v
                .as_str()
                .map_err(|_| Error::invalid("regular expression must be text"))?;
            dsl::anchored_regex(p).map_err(|e| Error::invalid(format!("bad regex: {e}")))
        })?;
        Ok(match ctx.get_raw(1) {
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                .map(|s| re.is_match(s))
                .unwrap_or(false),
            _ => false,
        })
    })
    .map_err(db_err)?;
    conn.create_scalar_function("vas_path", 2, flags, |ctx| {
        let doc = ctx.get::<String>(0)?;
        let path = ctx.get::<String>(1)?;
        let doc: Value = serde_json::from_str(&doc)
            .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))?;
        let vals = path_values(&doc, &path);
        Ok(serde_json::to_string(&vals).unwrap_or_else(|_| "[]".into()))
    })
    .map_err(db_err)?;
    Ok(())
}

impl Catalog {
    /// Opens (creating if needed) the catalog file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Catalog> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| db_err(e).or_path(path))?;
        let mut c = Catalog::setup(conn)?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    /// A catalog in memory (tests, dry runs).
    pub fn open_in_memory() -> Result<Catalog> {
        Catalog::setup(Connection::open_in_memory().map_err(db_err)?)
    }

    fn setup(conn: Connection) -> Result<Catalog> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db_err)?;
        // FULL: a committed ingest survives a power cut (one fsync per transaction).
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        // 32 MiB page cache per connection (the default is 2 MiB).
        conn.pragma_update(None, "cache_size", -32768)
            .map_err(db_err)?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        conn.execute_batch(packs::SCHEMA).map_err(db_err)?;
        // A catalog made before objects kept the operation that added them: the column is
        // added (NULL = the group's operation, which is what those objects had).
        if conn.prepare("SELECT opi FROM object LIMIT 0").is_err() {
            conn.execute_batch("ALTER TABLE object ADD COLUMN opi TEXT")
                .map_err(db_err)?;
        }
        let v: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        match v {
            None => {
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema_version', ?1)",
                    params![SCHEMA_VERSION.to_string()],
                )
                .map_err(db_err)?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("catalog schema version {v}, this vas reads {SCHEMA_VERSION}"),
                ));
            }
        }
        register_functions(&conn)?;
        Ok(Catalog {
            conn,
            path: None,
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` for the reference date of rule filters (default: the system clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Catalog {
        self.clock = clock;
        self
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Indexes one batch in one transaction: all or nothing.
    pub fn index(&self, batch: &IndexBatch) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        index_in(&tx, batch)?;
        tx.commit().map_err(db_err)?;
        self.optimize()
    }

    /// Refreshes the query planner's statistics when they are stale (`PRAGMA optimize=0x10002`,
    /// cheap when nothing changed much; run after every [`Catalog::index`]).
    pub fn optimize(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA optimize=0x10002")
            .map_err(db_err)
    }

    /// Number of units and object groups.
    pub fn counts(&self) -> Result<(u64, u64)> {
        let u: i64 = self
            .conn
            .query_row("SELECT count(*) FROM unit", [], |r| r.get(0))
            .map_err(db_err)?;
        let g: i64 = self
            .conn
            .query_row("SELECT count(*) FROM object_group", [], |r| r.get(0))
            .map_err(db_err)?;
        Ok((u as u64, g as u64))
    }

    /// Deletes units (elimination), all or nothing. A unit that keeps a child outside the
    /// set is a `Conflict`; an unknown id is `NotFound`.
    pub fn delete_units(&self, ids: &[String]) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        let set: HashSet<&String> = ids.iter().collect();
        for id in ids {
            let row: Option<(i64, u32, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT rid, tenant, originating_agency, opi FROM unit WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(db_err)?;
            let Some((rid, tenant, agency, opi)) = row else {
                return Err(
                    Error::new(ErrorKind::NotFound, format!("no unit {id:?}")).with_id(id.clone())
                );
            };
            let mut st = tx
                .prepare_cached(
                    "SELECT u.id FROM unit_parent p JOIN unit u ON u.rid = p.unit WHERE p.parent = ?1",
                )
                .map_err(db_err)?;
            let children: Vec<String> = st
                .query_map(params![rid], |r| r.get(0))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)?;
            if let Some(c) = children.iter().find(|c| !set.contains(c)) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("unit {id:?} still has child {c:?}"),
                )
                .with_id(id.clone()));
            }
            register_add(&tx, tenant, agency.as_deref(), opi.as_deref(), -1, 0, 0, 0)?;
        }
        // Children first is not needed: drop all links of the set, then the rows.
        for id in ids {
            tx.execute(
                "DELETE FROM unit_parent WHERE parent = (SELECT rid FROM unit WHERE id = ?1)",
                params![id],
            )
            .map_err(db_err)?;
            tx.execute(
                "DELETE FROM unit_ancestor WHERE ancestor = (SELECT rid FROM unit WHERE id = ?1)",
                params![id],
            )
            .map_err(db_err)?;
        }
        for id in ids {
            tx.execute(
                "DELETE FROM unit_fts WHERE rowid = (SELECT rid FROM unit WHERE id = ?1)",
                params![id],
            )
            .map_err(db_err)?;
            tx.execute("DELETE FROM unit WHERE id = ?1", params![id])
                .map_err(db_err)?;
            tx.execute("DELETE FROM doc_location WHERE id = ?1", params![id])
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    /// Replaces the computed inherited rules of units (after the rules engine recomputed
    /// them), all or nothing: the stored document, the rule end dates used by
    /// `RuleCategoryToFilter`, and the rebuild source change together. An unknown id is
    /// `NotFound`; a value that is not a JSON object is `InvalidInput`.
    ///
    /// ```
    /// use serde_json::json;
    /// use vas_core::catalog::{AccessContract, Catalog, IndexBatch, UnitRecord};
    ///
    /// let cat = Catalog::open_in_memory().unwrap();
    /// cat.index(&IndexBatch { units: vec![UnitRecord::new("u1", 0)], ..Default::default() }).unwrap();
    /// let mut c = AccessContract::full_access("c");
    /// c.rule_category_to_filter = vec!["AccessRule".into()];
    /// assert!(cat.view(0, &c).unwrap().get_unit("u1").is_err());
    /// cat.update_computed_inherited_rules(&[("u1".into(),
    ///     json!({"AccessRule": {"Rules": [{"Rule": "ACC-00001", "EndDate": "2000-01-01"}]}}))]).unwrap();
    /// assert!(cat.view(0, &c).unwrap().get_unit("u1").is_ok());
    /// ```
    pub fn update_computed_inherited_rules(&self, updates: &[(String, Value)]) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        for (id, rules) in updates {
            if !rules.is_object() {
                return Err(
                    Error::invalid("#computedInheritedRules must be an object").with_id(id.clone())
                );
            }
            let row: Option<(i64, String)> = tx
                .query_row(
                    "SELECT u.rid, d.doc FROM unit u JOIN unit_doc d ON d.rid = u.rid WHERE u.id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_err)?;
            let Some((rid, doc)) = row else {
                return Err(
                    Error::new(ErrorKind::NotFound, format!("no unit {id:?}")).with_id(id.clone())
                );
            };
            let mut doc: Value = serde_json::from_str(&doc).map_err(|e| {
                Error::new(ErrorKind::Corrupt, format!("stored unit is not JSON: {e}"))
                    .with_id(id.clone())
            })?;
            doc["#computedInheritedRules"] = rules.clone();
            let mut rec = UnitRecord::from_document(&doc)?;
            rec.computed_inherited_rules = Some(rules.clone());
            tx.execute(
                "UPDATE unit SET rules = ?1 WHERE rid = ?2",
                params![rules.to_string(), rid],
            )
            .map_err(db_err)?;
            tx.execute(
                "UPDATE unit_doc SET doc = ?1 WHERE rid = ?2",
                params![doc.to_string(), rid],
            )
            .map_err(db_err)?;
            tx.execute("DELETE FROM unit_rule WHERE unit = ?1", params![rid])
                .map_err(db_err)?;
            for (cat, end) in rec.rule_end_dates() {
                tx.prepare_cached(
                    "INSERT INTO unit_rule(unit, category, max_end_date) VALUES (?1, ?2, ?3)",
                )
                .map_err(db_err)?
                .execute(params![rid, cat, end])
                .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }

    /// Deletes object groups, all or nothing; one still referenced by a unit is a `Conflict`.
    pub fn delete_object_groups(&self, ids: &[String]) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        for id in ids {
            refuse_group_in_use(&tx, id)?;
            if remove_group_rows(&tx, id)?.is_none() {
                return Err(
                    Error::new(ErrorKind::NotFound, format!("no object group {id:?}"))
                        .with_id(id.clone()),
                );
            }
        }
        tx.commit().map_err(db_err)
    }

    /// Recomputes every derived table from the stored unit and group documents.
    /// Returns the number of units and groups re-indexed.
    pub fn rebuild(&self) -> Result<(u64, u64)> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        let units: Vec<String> = {
            let mut st = tx
                .prepare("SELECT doc FROM unit_doc ORDER BY rid")
                .map_err(db_err)?;
            st.query_map([], |r| r.get(0))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)?
        };
        let groups: Vec<String> = {
            let mut st = tx.prepare("SELECT doc FROM object_group").map_err(db_err)?;
            st.query_map([], |r| r.get(0))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)?
        };
        let parse = |s: &String| {
            serde_json::from_str::<Value>(s).map_err(|e| {
                Error::new(
                    ErrorKind::Corrupt,
                    format!("stored document is not JSON: {e}"),
                )
            })
        };
        let mut batch = IndexBatch::default();
        for u in &units {
            batch.units.push(UnitRecord::from_document(&parse(u)?)?);
        }
        for g in &groups {
            batch
                .object_groups
                .push(ObjectGroupRecord::from_document(&parse(g)?)?);
        }
        tx.execute_batch(
            "DELETE FROM unit_fts; DELETE FROM unit_rule; DELETE FROM unit_ancestor; DELETE FROM unit_doc;
             DELETE FROM unit_parent; DELETE FROM unit; DELETE FROM object;
             DELETE FROM object_group; DELETE FROM accession_register;",
        )
        .map_err(db_err)?;
        index_in(&tx, &batch)?;
        tx.commit().map_err(db_err)?;
        Ok((units.len() as u64, groups.len() as u64))
    }

    /// A read view for `tenant` under `contract`; an inactive contract is `Denied`.
    pub fn view<'a>(
        &'a self,
        tenant: u32,
        contract: &'a AccessContract,
    ) -> Result<CatalogView<'a>> {
        contract.validate()?;
        if !contract.is_active() {
            return Err(Error::new(
                ErrorKind::Denied,
                format!("access contract {:?} is inactive", contract.identifier),
            )
            .with_id(contract.identifier.clone()));
        }
        let today = crate::ids::format_date(self.clock.now_ms());
        Ok(CatalogView {
            cat: self,
            access: sql::Access {
                tenant,
                contract,
                today,
            },
        })
    }

    /// Every stored unit document of `tenant`, by id, bypassing access contracts: for the
    /// archive's own verification, audit and rebuild, never for a reader.
    pub fn unit_documents(&self, tenant: u32) -> Result<Vec<serde_json::Value>> {
        self.documents(
            "SELECT d.doc FROM unit u JOIN unit_doc d ON d.rid = u.rid WHERE u.tenant = ?1 ORDER BY u.id",
            tenant,
        )
    }

    /// Every stored object-group document of `tenant`, by id, bypassing access contracts
    /// (see [`Catalog::unit_documents`]).
    pub fn object_group_documents(&self, tenant: u32) -> Result<Vec<serde_json::Value>> {
        self.documents(
            "SELECT doc FROM object_group WHERE tenant = ?1 ORDER BY id",
            tenant,
        )
    }

    fn documents(&self, sql: &str, tenant: u32) -> Result<Vec<serde_json::Value>> {
        let mut st = self.conn.prepare(sql).map_err(db_err)?;
        let docs: Vec<String> = st
            .query_map([tenant], |r| r.get(0))
            .and_then(|it| it.collect())
            .map_err(db_err)?;
        docs.iter()
            .map(|d| {
                serde_json::from_str(d)
                    .map_err(|e| Error::new(ErrorKind::Corrupt, format!("catalog document: {e}")))
            })
            .collect()
    }

    /// The raw connection, for diagnostics only (`PRAGMA`, `EXPLAIN QUERY PLAN` …): it
    /// bypasses access contracts, so it is hidden from the documentation.
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// What [`remove_group_rows`] took off the catalog.
pub(super) struct RemovedGroup {
    pub tenant: u32,
    pub agency: Option<String>,
    pub opi: Option<String>,
    /// Its objects (removed with it by the schema's cascade) and their bytes.
    pub objects: i64,
    pub bytes: i64,
    /// Operations other than the group's that added some of its objects (their register
    /// lines lost those objects too).
    pub object_opis: Vec<String>,
}

/// A `Conflict` naming the unit when some unit still has `id` as its object group.
pub(super) fn refuse_group_in_use(tx: &Connection, id: &str) -> Result<()> {
    let user: Option<String> = tx
        .query_row(
            "SELECT id FROM unit WHERE og = ?1 LIMIT 1",
            params![id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    match user {
        Some(u) => Err(Error::new(
            ErrorKind::Conflict,
            format!("object group {id:?} is still the object of unit {u:?}"),
        )
        .with_id(id.to_string())),
        None => Ok(()),
    }
}

/// Removes the row of object group `id` (its objects go with it by cascade) and its
/// document location, and takes the group off its accession-register line and each object
/// (and its bytes) off the line of the operation that added it. `None` when the catalog
/// has no such group. Whether a unit still uses the group is the caller's check
/// ([`refuse_group_in_use`]).
pub(super) fn remove_group_rows(tx: &Connection, id: &str) -> Result<Option<RemovedGroup>> {
    let row: Option<(i64, u32, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT rid, tenant, originating_agency, opi FROM object_group WHERE id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db_err)?;
    let Some((rid, tenant, agency, opi)) = row else {
        return Ok(None);
    };
    // Objects and bytes per adding operation (NULL: the group's own).
    let per_opi: Vec<(Option<String>, i64, i64)> = tx
        .prepare_cached(
            "SELECT opi, count(*), coalesce(sum(size), 0) FROM object WHERE grp = ?1 GROUP BY opi",
        )
        .map_err(db_err)?
        .query_map(params![rid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(db_err)?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err)?;
    let (mut objects, mut bytes) = (0i64, 0i64);
    let (mut own_objects, mut own_bytes) = (0i64, 0i64);
    let mut object_opis = Vec::new();
    for (o, n, b) in per_opi {
        objects += n;
        bytes = bytes.saturating_add(b);
        match o.filter(|o| Some(o) != opi.as_ref()) {
            Some(o) => {
                register_add(tx, tenant, agency.as_deref(), Some(&o), 0, 0, -n, -b)?;
                object_opis.push(o);
            }
            None => {
                own_objects += n;
                own_bytes = own_bytes.saturating_add(b);
            }
        }
    }
    register_add(
        tx,
        tenant,
        agency.as_deref(),
        opi.as_deref(),
        0,
        -1,
        -own_objects,
        -own_bytes,
    )?;
    tx.execute("DELETE FROM object_group WHERE rid = ?1", params![rid])
        .map_err(db_err)?;
    tx.execute("DELETE FROM doc_location WHERE id = ?1", params![id])
        .map_err(db_err)?;
    Ok(Some(RemovedGroup {
        tenant,
        agency,
        opi,
        objects,
        bytes,
        object_opis,
    }))
}

#[allow(clippy::too_many_arguments)]
fn register_add(
    tx: &Connection,
    tenant: u32,
    agency: Option<&str>,
    opi: Option<&str>,
    units: i64,
    groups: i64,
    objects: i64,
    bytes: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO accession_register(tenant, originating_agency, opi, units, object_groups, objects, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(tenant, originating_agency, opi) DO UPDATE SET
           units = units + excluded.units, object_groups = object_groups + excluded.object_groups,
           objects = objects + excluded.objects, bytes = bytes + excluded.bytes",
    )
    .map_err(db_err)?
    .execute(params![
        tenant,
        agency.unwrap_or(""),
        opi.unwrap_or(""),
        units,
        groups,
        objects,
        bytes
    ])
    .map_err(db_err)?;
    Ok(())
}

fn unit_tenant(tx: &Connection, id: &str) -> Result<Option<u32>> {
    tx.prepare_cached("SELECT tenant FROM unit WHERE id = ?1")
        .map_err(db_err)?
        .query_row(params![id], |r| r.get(0))
        .optional()
        .map_err(db_err)
}

/// Orders the batch parents-first; refuses duplicates, cycles and unknown parents.
fn topo_order<'a>(tx: &Connection, units: &'a [UnitRecord]) -> Result<Vec<&'a UnitRecord>> {
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        u.validate()?;
        if by_id.insert(u.id.as_str(), i).is_some() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("unit {:?} appears twice in the batch", u.id),
            )
            .with_id(u.id.clone()));
        }
    }
    for u in units {
        for p in &u.parents {
            let parent_tenant = match by_id.get(p.as_str()) {
                Some(&j) => Some(units[j].tenant),
                None => unit_tenant(tx, p)?,
            };
            match parent_tenant {
                None => {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!(
                            "parent {p:?} of unit {:?} is neither indexed nor in the batch",
                            u.id
                        ),
                    )
                    .with_id(u.id.clone()));
                }
                Some(t) if t != u.tenant => {
                    return Err(Error::invalid(format!(
                        "parent {p:?} of unit {:?} belongs to tenant {t}, not {}",
                        u.id, u.tenant
                    ))
                    .with_id(u.id.clone()));
                }
                Some(_) => {}
            }
        }
    }
    // Iterative DFS with colours.
    let mut state = vec![0u8; units.len()]; // 0 new, 1 on stack, 2 done
    let mut out = Vec::with_capacity(units.len());
    for start in 0..units.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (i, ref mut k)) = stack.last_mut() {
            let parents = &units[i].parents;
            if *k < parents.len() {
                let p = &parents[*k];
                *k += 1;
                if let Some(&j) = by_id.get(p.as_str()) {
                    match state[j] {
                        0 => {
                            state[j] = 1;
                            stack.push((j, 0));
                        }
                        1 => {
                            return Err(Error::invalid(format!(
                                "cycle in the unit graph through {:?} and {p:?}",
                                units[i].id
                            ))
                            .with_id(units[i].id.clone()));
                        }
                        _ => {}
                    }
                }
            } else {
                state[i] = 2;
                out.push(&units[i]);
                stack.pop();
            }
        }
    }
    Ok(out)
}

fn index_in(tx: &Connection, batch: &IndexBatch) -> Result<()> {
    let mut ix = stream::Indexer::default();
    for g in &batch.object_groups {
        ix.group(tx, g, None)?;
    }
    for u in &batch.units {
        ix.check_group_of(tx, u)?;
    }
    for u in topo_order(tx, &batch.units)? {
        ix.unit(tx, u, None)?;
    }
    ix.finish(tx)
}

fn exists_err(e: rusqlite::Error, what: &str, id: &str) -> Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        return Error::new(
            ErrorKind::AlreadyExists,
            format!("{what} {id:?} is already indexed"),
        )
        .with_id(id.to_string());
    }
    db_err(e)
}

/// A read view of the catalog for one tenant under one access contract.
pub struct CatalogView<'a> {
    cat: &'a Catalog,
    access: sql::Access<'a>,
}

impl std::fmt::Debug for CatalogView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogView")
            .field("tenant", &self.access.tenant)
            .field("contract", &self.access.contract.identifier)
            .field("today", &self.access.today)
            .finish()
    }
}

impl<'a> CatalogView<'a> {
    /// Sets the reference date (`YYYY-MM-DD`) of `RuleCategoryToFilter` (default: today).
    pub fn at_date(mut self, date: impl Into<String>) -> CatalogView<'a> {
        self.access.today = date.into();
        self
    }

    /// Runs a DSL select request (JSON) on units.
    pub fn search(&self, request: &Value) -> Result<Value> {
        let q = SelectQuery::parse(request)?;
        self.search_parsed(&q)
    }

    /// Runs a parsed select on units.
    pub fn search_parsed(&self, q: &SelectQuery) -> Result<Value> {
        let c = sql::Compiler::new().select(q, &self.access);
        let conn = &self.cat.conn;
        let a = &c.alias;
        let w = &c.where_sql;
        let total: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM unit {a} WHERE {w}"))
            .map_err(db_err)?
            .query_row(params_from_iter(c.params.iter()), |r| r.get(0))
            .map_err(db_err)?;
        let mut order = Vec::new();
        for (f, o) in &q.filter.order_by {
            let (col, _) = sql::column(f);
            order.push(format!(
                "{a}.{col} {}",
                if *o == dsl::Order::Asc { "ASC" } else { "DESC" }
            ));
        }
        order.push(format!("{a}.id ASC"));
        let n = c.params.len();
        // Page of row ids first, documents after: documents are never carried through a sort.
        let sql_text = format!(
            "SELECT {a}.rid FROM unit {a} WHERE {w} ORDER BY {} LIMIT ?{} OFFSET ?{}",
            order.join(", "),
            n + 1,
            n + 2
        );
        let mut ps = c.params.clone();
        ps.push((q.filter.limit as i64).into());
        ps.push((q.filter.offset as i64).into());
        let mut st = conn.prepare_cached(&sql_text).map_err(db_err)?;
        let rids: Vec<i64> = st
            .query_map(params_from_iter(ps.iter()), |r| r.get(0))
            .map_err(db_err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err)?;
        let mut results = Vec::with_capacity(rids.len());
        let mut doc_st = conn
            .prepare_cached("SELECT doc FROM unit_doc WHERE rid = ?1")
            .map_err(db_err)?;
        for rid in rids {
            let d: String = doc_st
                .query_row(params![rid], |r| r.get(0))
                .map_err(db_err)?;
            let v: Value = serde_json::from_str(&d).map_err(|e| {
                Error::new(ErrorKind::Corrupt, format!("stored unit is not JSON: {e}"))
            })?;
            results.push(project(v, q.projection.as_deref()));
        }
        let mut facets = Vec::new();
        for f in &q.facets {
            facets.push(self.facet(&c, f)?);
        }
        Ok(json!({
            "$hits": {"total": total, "offset": q.filter.offset, "limit": q.filter.limit, "size": results.len()},
            "$results": results,
            "$facetResults": facets,
        }))
    }

    fn facet(&self, c: &sql::Compiled, f: &dsl::Facet) -> Result<Value> {
        let conn = &self.cat.conn;
        let a = &c.alias;
        let w = &c.where_sql;
        let n = c.params.len();
        match f {
            dsl::Facet::Terms { name, field, size } => {
                let (col, _) = sql::column(field);
                let sql_text = format!(
                    "SELECT {a}.{col}, count(*) AS n FROM unit {a} WHERE {w} AND {a}.{col} IS NOT NULL
                     GROUP BY {a}.{col} ORDER BY n DESC, {a}.{col} ASC LIMIT ?{}",
                    n + 1
                );
                let mut ps = c.params.clone();
                ps.push(i64::from(*size).into());
                let mut st = conn.prepare_cached(&sql_text).map_err(db_err)?;
                let rows = st
                    .query_map(params_from_iter(ps.iter()), |r| {
                        let v: rusqlite::types::Value = r.get(0)?;
                        let n: i64 = r.get(1)?;
                        Ok((v, n))
                    })
                    .map_err(db_err)?;
                let mut buckets = Vec::new();
                for row in rows {
                    let (v, n) = row.map_err(db_err)?;
                    let v = match v {
                        rusqlite::types::Value::Integer(i) => json!(i),
                        rusqlite::types::Value::Text(t) => json!(t),
                        _ => Value::Null,
                    };
                    buckets.push(json!({"value": v, "count": n}));
                }
                Ok(json!({"name": name, "buckets": buckets}))
            }
            dsl::Facet::DateRange {
                name,
                field,
                ranges,
            } => {
                let (col, _) = sql::column(field);
                let mut buckets = Vec::new();
                for r in ranges {
                    let mut cond = vec![format!("{a}.{col} IS NOT NULL")];
                    let mut ps = c.params.clone();
                    if let Some(from) = &r.from {
                        ps.push(from.clone().into());
                        cond.push(format!("{a}.{col} >= ?{}", ps.len()));
                    }
                    if let Some(to) = &r.to {
                        ps.push(to.clone().into());
                        cond.push(format!("{a}.{col} < ?{}", ps.len()));
                    }
                    let sql_text = format!(
                        "SELECT count(*) FROM unit {a} WHERE {w} AND {}",
                        cond.join(" AND ")
                    );
                    let count: i64 = conn
                        .prepare_cached(&sql_text)
                        .map_err(db_err)?
                        .query_row(params_from_iter(ps.iter()), |row| row.get(0))
                        .map_err(db_err)?;
                    buckets.push(json!({"from": r.from, "to": r.to, "count": count}));
                }
                Ok(json!({"name": name, "buckets": buckets}))
            }
        }
    }

    fn visible_rid(&self, id: &str) -> Result<Option<(i64, String)>> {
        let mut c = sql::Compiler::new();
        let cond = c.access("u", &self.access);
        c.params.push(id.to_string().into());
        let sql_text = format!(
            "SELECT u.rid, (SELECT d.doc FROM unit_doc d WHERE d.rid = u.rid) FROM unit u WHERE u.id = ?{} AND {cond}",
            c.params.len()
        );
        self.cat
            .conn
            .prepare_cached(&sql_text)
            .map_err(db_err)?
            .query_row(params_from_iter(c.params.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db_err)
    }

    /// A unit's document. `NotFound` if it does not exist **or** is outside the contract.
    pub fn get_unit(&self, id: &str) -> Result<Value> {
        match self.visible_rid(id)? {
            Some((_, doc)) => serde_json::from_str(&doc).map_err(|e| {
                Error::new(ErrorKind::Corrupt, format!("stored unit is not JSON: {e}"))
            }),
            None => {
                Err(Error::new(ErrorKind::NotFound, format!("no unit {id:?}"))
                    .with_id(id.to_string()))
            }
        }
    }

    /// An object group's document, with `#unitups` (its visible units). `NotFound` if it does
    /// not exist or none of the units holding it is visible under the contract.
    pub fn get_object_group(&self, id: &str) -> Result<Value> {
        let mut c = sql::Compiler::new();
        let cond = c.access("u", &self.access);
        c.params.push(id.to_string().into());
        let sql_text = format!(
            "SELECT u.id FROM unit u WHERE u.og = ?{} AND {cond} ORDER BY u.id",
            c.params.len()
        );
        let units: Vec<String> = {
            let mut st = self.cat.conn.prepare_cached(&sql_text).map_err(db_err)?;
            st.query_map(params_from_iter(c.params.iter()), |r| r.get(0))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)?
        };
        let not_found = || {
            Error::new(ErrorKind::NotFound, format!("no object group {id:?}"))
                .with_id(id.to_string())
        };
        if units.is_empty() {
            return Err(not_found());
        }
        let doc: Option<String> = self
            .cat
            .conn
            .prepare_cached("SELECT doc FROM object_group WHERE id = ?1 AND tenant = ?2")
            .map_err(db_err)?
            .query_row(params![id, self.access.tenant], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        let doc = doc.ok_or_else(not_found)?;
        let mut v: Value = serde_json::from_str(&doc).map_err(|e| {
            Error::new(
                ErrorKind::Corrupt,
                format!("stored object group is not JSON: {e}"),
            )
        })?;
        v["#unitups"] = json!(units);
        Ok(v)
    }

    /// The object to read for `usage` (latest version) of a visible group: `NotFound` as
    /// [`CatalogView::get_object_group`]; `Denied` if the contract does not allow the usage.
    pub fn object_for_read(&self, group_id: &str, usage: &str) -> Result<ObjectRecord> {
        let g = ObjectGroupRecord::from_document(&self.get_object_group(group_id)?)?;
        if !self.access.contract.allows_usage(usage) {
            return Err(Error::new(
                ErrorKind::Denied,
                format!(
                    "access contract {:?} does not allow usage {usage:?}",
                    self.access.contract.identifier
                ),
            ));
        }
        g.objects
            .into_iter()
            .filter(|o| o.usage == usage)
            .max_by_key(|o| o.version)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("object group {group_id:?} has no {usage:?} object"),
                )
            })
    }

    /// The accession register lines of this tenant that the contract's agencies allow.
    pub fn accession_register(&self) -> Result<Vec<AccessionRegisterLine>> {
        let mut st = self
            .cat
            .conn
            .prepare_cached(
                "SELECT tenant, originating_agency, opi, units, object_groups, objects, bytes
                 FROM accession_register WHERE tenant = ?1 ORDER BY originating_agency, opi",
            )
            .map_err(db_err)?;
        let rows = st
            .query_map(params![self.access.tenant], |r| {
                Ok(AccessionRegisterLine {
                    tenant: r.get(0)?,
                    originating_agency: r.get(1)?,
                    operation_id: r.get(2)?,
                    units: r.get(3)?,
                    object_groups: r.get(4)?,
                    objects: r.get(5)?,
                    bytes: r.get(6)?,
                })
            })
            .map_err(db_err)?;
        let mut out = Vec::new();
        for r in rows {
            let r = r.map_err(db_err)?;
            if self
                .access
                .contract
                .allows_agency(Some(r.originating_agency.as_str()))
            {
                out.push(r);
            }
        }
        Ok(out)
    }
}

/// Keeps only the `fields` (top-level keys) of a document.
fn project(doc: Value, fields: Option<&[String]>) -> Value {
    match (fields, doc) {
        (Some(fields), Value::Object(mut m)) => {
            let mut out = Map::new();
            for f in fields {
                if let Some(v) = m.remove(f) {
                    out.insert(f.clone(), v);
                }
            }
            Value::Object(out)
        }
        (_, doc) => doc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, parents: &[&str], title: &str, agency: &str) -> UnitRecord {
        let mut u = UnitRecord::new(id, 0);
        u.parents = parents.iter().map(|p| p.to_string()).collect();
        u.metadata.insert("Title".into(), json!(title));
        u.originating_agency = Some(agency.into());
        u
    }

    #[test]
    fn index_is_all_or_nothing() {
        let cat = Catalog::open_in_memory().unwrap();
        let ok = unit("a", &[], "A", "X");
        let dangling = unit("b", &["nope"], "B", "X");
        let e = cat
            .index(&IndexBatch {
                units: vec![ok.clone(), dangling],
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(cat.counts().unwrap(), (0, 0));
        let cyc = vec![unit("c", &["d"], "C", "X"), unit("d", &["c"], "D", "X")];
        let e = cat
            .index(&IndexBatch {
                units: cyc,
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        cat.index(&IndexBatch {
            units: vec![ok.clone()],
            ..Default::default()
        })
        .unwrap();
        let e = cat
            .index(&IndexBatch {
                units: vec![ok],
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert_eq!(cat.counts().unwrap(), (1, 0));
    }

    #[test]
    fn path_values_flatten_arrays() {
        let d = json!({"Keyword": [{"KeywordContent": "a"}, {"KeywordContent": ["b", null]}], "x": null});
        let v = path_values(&d, "Keyword.KeywordContent");
        assert_eq!(v, vec![&json!("a"), &json!("b")]);
        assert!(path_values(&d, "x").is_empty());
        assert!(path_values(&d, "Keyword.nope").is_empty());
    }
}
