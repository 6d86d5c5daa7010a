//! Access contracts (Vitam's `AccessContractModel`), loadable from Vitam's JSON.
//!
//! ```
//! use vas_core::catalog::AccessContract;
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"),
//!     "/../tests/fixtures/vitam/referentials/integration-processing/access_contracts.json");
//! let contracts = AccessContract::load_all(path).unwrap();
//! let c = contracts.iter().find(|c| c.identifier == "contract_rule").unwrap();
//! assert!(c.is_active() && c.every_originating_agency);
//! assert_eq!(c.rule_category_to_filter, vec!["HoldRule".to_string()]);
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// The seven rule categories `RuleCategoryToFilter` may name.
pub const RULE_CATEGORIES: &[&str] = &[
    "AccessRule",
    "AppraisalRule",
    "StorageRule",
    "DisseminationRule",
    "ReuseRule",
    "ClassificationRule",
    "HoldRule",
];

/// `ACTIVE` / `INACTIVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ContractStatus {
    /// Usable.
    #[serde(rename = "ACTIVE")]
    #[default]
    Active,
    /// Refused on every read (`Denied`).
    #[serde(rename = "INACTIVE")]
    Inactive,
}

/// An access contract, with Vitam's JSON field names.
///
/// Enforcement (see [`crate::catalog`]): every read path ANDs the query with
/// - `RootUnits` (non-empty): the unit is one of them or descends from one;
/// - `ExcludedRootUnits`: the unit is none of them and descends from none;
/// - unless `EveryOriginatingAgency`: the unit's `#originating_agency` is listed, or the
///   unit is a `HOLDING_UNIT` (holding trees stay visible, as in Vitam);
/// - for each `RuleCategoryToFilter` category: the unit's computed inherited rules of that
///   category have all ended before the reference date (see [`crate::catalog::UnitRecord`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessContract {
    /// Identifier (`Identifier`).
    pub identifier: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default)]
    pub status: ContractStatus,
    /// Every agency's archives are visible.
    #[serde(default)]
    pub every_originating_agency: bool,
    /// Agencies whose archives are visible.
    #[serde(default)]
    pub originating_agencies: Vec<String>,
    /// Only these units and their descendants are visible (empty = no restriction).
    #[serde(default)]
    pub root_units: Vec<String>,
    /// These units and their descendants are hidden.
    #[serde(default)]
    pub excluded_root_units: Vec<String>,
    /// Every usage's binaries may be read.
    #[serde(default)]
    pub every_data_object_version: bool,
    /// Usages whose binaries may be read (`DataObjectVersion`).
    #[serde(default, rename = "DataObjectVersion")]
    pub data_object_versions: Vec<String>,
    /// Updates allowed.
    #[serde(default)]
    pub writing_permission: bool,
    /// Only descriptive metadata may be updated.
    #[serde(default)]
    pub writing_restricted_desc: bool,
    /// Rule categories whose computed end dates must be passed for a unit to be visible.
    #[serde(default)]
    pub rule_category_to_filter: Vec<String>,
    /// `ACTIVE`: binary reads are to be logged.
    #[serde(default)]
    pub access_log: Option<ContractStatus>,
    /// Every other field (`Description`, `CreationDate` …), kept as is.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl AccessContract {
    /// A contract that sees everything (administration, tests).
    pub fn full_access(identifier: impl Into<String>) -> AccessContract {
        AccessContract {
            identifier: identifier.into(),
            name: String::new(),
            status: ContractStatus::Active,
            every_originating_agency: true,
            originating_agencies: Vec::new(),
            root_units: Vec::new(),
            excluded_root_units: Vec::new(),
            every_data_object_version: true,
            data_object_versions: Vec::new(),
            writing_permission: true,
            writing_restricted_desc: false,
            rule_category_to_filter: Vec::new(),
            access_log: None,
            other: Map::new(),
        }
    }

    /// Parses one contract from Vitam's JSON.
    pub fn from_json(v: &Value) -> Result<AccessContract> {
        let c: AccessContract = serde_json::from_value(v.clone())
            .map_err(|e| Error::invalid(format!("invalid access contract: {e}")).with_source(e))?;
        c.validate()?;
        Ok(c)
    }

    /// Loads a Vitam access-contracts file (a JSON array, or a single object).
    pub fn load_all(path: impl AsRef<Path>) -> Result<Vec<AccessContract>> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).or_path(path))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("not JSON: {e}"))
                .with_path(path)
                .at(e.line() as u64, e.column() as u64)
        })?;
        match v {
            Value::Array(items) => items
                .iter()
                .map(|i| AccessContract::from_json(i).map_err(|e| e.or_path(path)))
                .collect(),
            single => Ok(vec![
                AccessContract::from_json(&single).map_err(|e| e.or_path(path))?,
            ]),
        }
    }

    /// Checks the rule categories.
    pub fn validate(&self) -> Result<()> {
        if self.identifier.is_empty() {
            return Err(Error::invalid("access contract without Identifier"));
        }
        for c in &self.rule_category_to_filter {
            if !RULE_CATEGORIES.contains(&c.as_str()) {
                return Err(Error::invalid(format!(
                    "access contract {:?}: unknown RuleCategoryToFilter {c:?} (expected one of {})",
                    self.identifier,
                    RULE_CATEGORIES.join(", ")
                ))
                .with_id(self.identifier.clone()));
            }
        }
        Ok(())
    }

    /// `Status` is `ACTIVE`.
    pub fn is_active(&self) -> bool {
        self.status == ContractStatus::Active
    }

    /// Whether binaries of `usage` (e.g. `BinaryMaster`) may be read under this contract.
    ///
    /// ```
    /// let mut c = vas_core::catalog::AccessContract::full_access("c");
    /// c.every_data_object_version = false;
    /// c.data_object_versions = vec!["Dissemination".into()];
    /// assert!(c.allows_usage("Dissemination") && !c.allows_usage("BinaryMaster"));
    /// ```
    pub fn allows_usage(&self, usage: &str) -> bool {
        self.every_data_object_version || self.data_object_versions.iter().any(|u| u == usage)
    }

    /// Whether units of `agency` are visible (holding units always are).
    pub fn allows_agency(&self, agency: Option<&str>) -> bool {
        self.every_originating_agency
            || agency.is_some_and(|a| self.originating_agencies.iter().any(|x| x == a))
    }
}
