//! Ingest contracts (`IngestContractModel`) and application contexts, read from Vitam's own
//! JSON files (an array of objects, as Vitam imports them).
//!
//! ```
//! use vas_core::referential::{IngestContract, CheckParentLink};
//! let json = br#"[{"Identifier":"IC-1","Name":"Contrat","Status":"ACTIVE",
//!                  "ArchiveProfiles":["PR-1"],"FormatUnidentifiedAuthorized":true}]"#;
//! let contracts = IngestContract::load_json(json)?;
//! assert_eq!(contracts[0].identifier, "IC-1");
//! assert!(contracts[0].is_active());
//! assert!(contracts[0].master_mandatory); // Vitam's default
//! assert_eq!(contracts[0].check_parent_link, CheckParentLink::Authorized);
//! # Ok::<(), vas_core::Error>(())
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Error, ErrorKind, Result};

/// Whether a SIP may, must or must not attach its units to existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CheckParentLink {
    /// Attachments allowed (Vitam's default).
    #[default]
    Authorized,
    /// An attachment is required.
    Required,
    /// Attachments are forbidden.
    Unauthorized,
}

/// An ingest contract (Vitam's `IngestContractModel`), with Vitam's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IngestContract {
    /// `Identifier`.
    pub identifier: String,
    /// `Name`.
    pub name: String,
    /// `Description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `Status`: `ACTIVE` or `INACTIVE`.
    #[serde(default = "active")]
    pub status: String,
    /// `ArchiveProfiles`: archival profiles a SIP under this contract may declare.
    #[serde(default)]
    pub archive_profiles: Vec<String>,
    /// `LinkParentId`: unit every root unit is attached to.
    #[serde(default)]
    pub link_parent_id: Option<String>,
    /// `CheckParentLink`.
    #[serde(default)]
    pub check_parent_link: CheckParentLink,
    /// `CheckParentId`.
    #[serde(default)]
    pub check_parent_id: Vec<String>,
    /// `MasterMandatory` (default true): each object group needs a master.
    #[serde(default = "yes")]
    pub master_mandatory: bool,
    /// `EveryDataObjectVersion` (default false).
    #[serde(default)]
    pub every_data_object_version: bool,
    /// `DataObjectVersion`: usages that may be added to an existing group.
    #[serde(default)]
    pub data_object_version: Vec<String>,
    /// `FormatUnidentifiedAuthorized` (default false).
    #[serde(default)]
    pub format_unidentified_authorized: bool,
    /// `EveryFormatType` (default true).
    #[serde(default = "yes")]
    pub every_format_type: bool,
    /// `FormatType`: PUID whitelist when `EveryFormatType` is false.
    #[serde(default)]
    pub format_type: Vec<String>,
    /// `ComputeInheritedRulesAtIngest`.
    #[serde(default)]
    pub compute_inherited_rules_at_ingest: bool,
    /// `ManagementContractId`.
    #[serde(default)]
    pub management_contract_id: Option<String>,
}

fn active() -> String {
    "ACTIVE".to_string()
}
fn yes() -> bool {
    true
}

/// Reads a JSON array of objects (or a single object) as Vitam's import files are.
pub(crate) fn json_items(bytes: &[u8], what: &str) -> Result<Vec<Value>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("{what}: not valid JSON: {e}"),
        )
        .at(e.line() as u64, e.column() as u64)
    })?;
    match v {
        Value::Array(a) => Ok(a),
        o @ Value::Object(_) => Ok(vec![o]),
        _ => Err(Error::invalid(format!(
            "{what}: expected an array of objects"
        ))),
    }
}

/// Deserialises each item, naming the item index and identifier on error, and refuses
/// duplicate identifiers.
pub(crate) fn parse_items<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &str,
    id_of: impl Fn(&T) -> &str,
) -> Result<Vec<T>> {
    let mut out: Vec<T> = Vec::new();
    for (i, item) in json_items(bytes, what)?.into_iter().enumerate() {
        let ident = item
            .get("Identifier")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let t: T = serde_json::from_value(item).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("{what}: item {} ({ident:?}): {e}", i + 1),
            )
            .with_id(ident.clone())
        })?;
        let id = id_of(&t);
        if id.trim().is_empty() {
            return Err(Error::invalid(format!(
                "{what}: item {}: empty Identifier",
                i + 1
            )));
        }
        if out.iter().any(|o| id_of(o) == id) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("{what}: duplicate Identifier {id:?} (item {})", i + 1),
            )
            .with_id(id.to_string()));
        }
        out.push(t);
    }
    Ok(out)
}

pub(crate) fn check_status(what: &str, id: &str, status: &str) -> Result<()> {
    match status {
        "ACTIVE" | "INACTIVE" => Ok(()),
        o => Err(Error::invalid(format!(
            "{what} {id:?}: Status {o:?} is neither ACTIVE nor INACTIVE"
        ))
        .with_id(id.to_string())),
    }
}

impl IngestContract {
    /// Loads Vitam's ingest-contract JSON (an array), with Vitam's import checks: a
    /// non-empty unique `Identifier`, a `Name`, a valid `Status`, `FormatType` empty when
    /// `EveryFormatType` is true (`FORMAT_MUST_BE_EMPTY`).
    pub fn load_json(bytes: &[u8]) -> Result<Vec<IngestContract>> {
        let v: Vec<IngestContract> =
            parse_items(bytes, "ingest contracts", |c: &IngestContract| {
                &c.identifier
            })?;
        for c in &v {
            check_status("ingest contract", &c.identifier, &c.status)?;
            if c.every_format_type && !c.format_type.is_empty() {
                return Err(Error::invalid(format!(
                    "ingest contract {:?}: FormatType must be empty when EveryFormatType is true (FORMAT_MUST_BE_EMPTY)",
                    c.identifier
                ))
                .with_id(c.identifier.clone()));
            }
        }
        Ok(v)
    }

    /// True when `Status` is `ACTIVE`.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }

    /// True when this contract accepts the format `puid`.
    pub fn allows_format(&self, puid: &str) -> bool {
        self.every_format_type || self.format_type.iter().any(|f| f == puid)
    }
}

/// One tenant's permissions in a [`Context`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextPermission {
    /// The tenant.
    pub tenant: i64,
    /// Ingest contracts usable in this context.
    #[serde(rename = "IngestContracts", default)]
    pub ingest_contracts: Vec<String>,
    /// Access contracts usable in this context.
    #[serde(rename = "AccessContracts", default)]
    pub access_contracts: Vec<String>,
}

/// A Vitam application context (`contexts.json`).
///
/// ```
/// use vas_core::referential::Context;
/// let json = br#"[{"Identifier":"CT","Name":"c","Status":"ACTIVE","EnableControl":true,
///   "Permissions":[{"tenant":0,"IngestContracts":["IC-1"],"AccessContracts":[]}]}]"#;
/// let ctx = &Context::load_json(json)?[0];
/// assert!(ctx.allows_ingest_contract(0, "IC-1"));
/// assert!(!ctx.allows_ingest_contract(0, "IC-2"));
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Context {
    /// `Identifier`.
    pub identifier: String,
    /// `Name`.
    #[serde(default)]
    pub name: String,
    /// `Status`.
    #[serde(default = "active")]
    pub status: String,
    /// `EnableControl`: when false, every contract is allowed.
    #[serde(default)]
    pub enable_control: bool,
    /// `SecurityProfile`.
    #[serde(default)]
    pub security_profile: Option<String>,
    /// `Permissions`.
    #[serde(default)]
    pub permissions: Vec<ContextPermission>,
}

impl Context {
    /// Loads Vitam's `contexts.json`.
    pub fn load_json(bytes: &[u8]) -> Result<Vec<Context>> {
        let v: Vec<Context> = parse_items(bytes, "contexts", |c: &Context| &c.identifier)?;
        for c in &v {
            check_status("context", &c.identifier, &c.status)?;
        }
        Ok(v)
    }

    /// True when `Status` is `ACTIVE`.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }

    /// True when the ingest contract may be used on `tenant` in this context.
    pub fn allows_ingest_contract(&self, tenant: i64, contract: &str) -> bool {
        !self.enable_control
            || self
                .permissions
                .iter()
                .any(|p| p.tenant == tenant && p.ingest_contracts.iter().any(|c| c == contract))
    }
}
