//! Attachments of new units under units that already exist in an archive.
//!
//! A SEDA manifest attaches new units to an existing one by declaring that unit with
//! `Management/UpdateOperation`, either by its system id (`SystemId`) or by a metadata
//! key-value pair (`ArchiveUnitIdentifierKey` = `MetadataName`, `MetadataValue`); the units
//! nested under it (or referenced from it with `ArchiveUnitRefId`) are created as its
//! children. An ingest contract may also attach every root unit under a fixed unit
//! (`LinkParentId`), forbid or require attachments (`CheckParentLink`) and restrict them to
//! a perimeter (`CheckParentId`).
//!
//! A dry run knows no archive: it asks an [`ExistingUnits`] implementation given in
//! [`DryRunOptions::existing_units`](super::DryRunOptions::existing_units). Without one,
//! every declared attachment is reported as Vitam reports an attachment to a unit that is not
//! in the archive (`CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST.NOT_FOUND_ATTACHMENT.KO`), with
//! the reason in `evDetData`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::manifest::{Manifest, UpdateOp};
use crate::referential::{CheckParentLink, IngestContract};

/// A unit of an existing archive, as the attachment checks need it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExistingUnit {
    /// Its system id.
    pub system_id: String,
    /// The system ids of all its ancestors (any depth; Vitam's `_us`).
    pub ancestors: Vec<String>,
    /// Its originating agency (`_sp`), if known.
    pub originating_agency: Option<String>,
}

/// What the attachment checks may ask of an existing archive.
///
/// ```
/// use vas_core::ingest::{ExistingUnit, ExistingUnits};
/// struct One;
/// impl ExistingUnits for One {
///     fn by_system_id(&self, id: &str) -> Option<ExistingUnit> {
///         (id == "aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq").then(|| ExistingUnit {
///             system_id: id.to_string(),
///             ..Default::default()
///         })
///     }
///     fn by_metadata(&self, _name: &str, _value: &str) -> Vec<ExistingUnit> {
///         Vec::new()
///     }
/// }
/// assert!(One.by_system_id("aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq").is_some());
/// ```
pub trait ExistingUnits: Send + Sync {
    /// The unit with this system id, if the archive has it.
    fn by_system_id(&self, system_id: &str) -> Option<ExistingUnit>;
    /// The units whose metadata `name` (a `Content` field such as `Title`, or a
    /// field of the archive's own index) equals `value`.
    fn by_metadata(&self, name: &str, value: &str) -> Vec<ExistingUnit>;
}

/// An in-memory [`ExistingUnits`]: a list of units with their metadata, for tests and for
/// callers that know the units they attach to.
///
/// ```
/// use vas_core::ingest::{ExistingUnit, ExistingUnits, KnownUnits};
/// let mut k = KnownUnits::default();
/// k.add(ExistingUnit { system_id: "u1".into(), ..Default::default() }, &[("Title", "RATP 1")]);
/// assert_eq!(k.by_metadata("Title", "RATP 1").len(), 1);
/// assert!(k.by_system_id("u2").is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct KnownUnits {
    units: Vec<(ExistingUnit, Vec<(String, String)>)>,
}

impl KnownUnits {
    /// Adds a unit with `(name, value)` metadata pairs.
    pub fn add(&mut self, unit: ExistingUnit, metadata: &[(&str, &str)]) -> &mut Self {
        let md = metadata
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.units.push((unit, md));
        self
    }
}

impl ExistingUnits for KnownUnits {
    fn by_system_id(&self, system_id: &str) -> Option<ExistingUnit> {
        self.units
            .iter()
            .find(|(u, _)| u.system_id == system_id)
            .map(|(u, _)| u.clone())
    }

    fn by_metadata(&self, name: &str, value: &str) -> Vec<ExistingUnit> {
        self.units
            .iter()
            .filter(|(_, md)| md.iter().any(|(k, v)| k == name && v == value))
            .map(|(u, _)| u.clone())
            .collect()
    }
}

/// True for a Vitam GUID (36 characters of lower-case base32, `a-z2-7`) or a vas unit id
/// (see [`crate::ids`]).
pub(crate) fn is_valid_system_id(s: &str) -> bool {
    let vitam = s.len() == 36
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    vitam
        || crate::ids::Id::parse(s)
            .map(|id| id.kind() == crate::ids::IdKind::Unit)
            .unwrap_or(false)
}

/// The first attachment problem of a manifest, as `(sub-code, evDetData)`, and the resolved
/// attachments (manifest unit id → existing system id) when there is none.
pub(crate) fn check_attachments(
    m: &Manifest,
    contract: Option<&IngestContract>,
    existing: Option<&dyn ExistingUnits>,
) -> Result<BTreeMap<String, String>, (&'static str, Value)> {
    let declared: Vec<(usize, &UpdateOp)> = m
        .units
        .iter()
        .enumerate()
        .filter_map(|(i, u)| u.update_op.as_ref().map(|op| (i, op)))
        .collect();
    let link = contract.map(|c| c.check_parent_link);
    if !declared.is_empty() && link == Some(CheckParentLink::Unauthorized) {
        let (i, _) = declared[0];
        return Err((
            "UNAUTHORIZED_ATTACHMENT_BY_CONTRACT",
            json!({"unit": m.units[i].id, "CheckParentLink": "UNAUTHORIZED"}),
        ));
    }
    if declared.is_empty()
        && link == Some(CheckParentLink::Required)
        && contract.is_some_and(|c| c.link_parent_id.as_deref().is_none_or(str::is_empty))
    {
        return Err((
            "NULL_LINK_PARENT_ID_ATTACHMENT",
            json!({"CheckParentLink": "REQUIRED", "LinkParentId": null}),
        ));
    }
    // An existing unit cannot be given a new parent by the SIP.
    for (i, _) in &declared {
        let id = &m.units[*i].id;
        if let Some(p) = m.units.iter().find(|p| p.children.iter().any(|c| c == id)) {
            return Err((
                "MODIFY_PARENT_EXISTING_UNIT_UNAUTHORIZED",
                json!({"unit": id, "parent": p.id}),
            ));
        }
    }
    let perimeter: &[String] = contract.map(|c| &c.check_parent_id[..]).unwrap_or(&[]);
    let mut resolved = BTreeMap::new();
    for (i, op) in declared {
        let uid = &m.units[i].id;
        let Some(existing) = existing else {
            return Err((
                "NOT_FOUND_ATTACHMENT",
                json!({"unit": uid, "attachment": op.to_json(),
                       "error": "no archive to resolve the attachment against (dry run without existing units)"}),
            ));
        };
        let found = match op {
            UpdateOp::SystemId(id) => {
                if !is_valid_system_id(id) {
                    return Err((
                        "INVALID_GUID_ATTACHMENT",
                        json!({"unit": uid, "SystemId": id}),
                    ));
                }
                existing.by_system_id(id)
            }
            UpdateOp::Key(name, value) => {
                let mut all = existing.by_metadata(name, value);
                if all.len() > 1 {
                    return Err((
                        "TOO_MANY_FOUND_ATTACHMENT",
                        json!({"unit": uid, "MetadataName": name, "MetadataValue": value,
                               "found": all.len()}),
                    ));
                }
                all.pop()
            }
        };
        let Some(found) = found else {
            return Err((
                "NOT_FOUND_ATTACHMENT",
                json!({"unit": uid, "attachment": op.to_json()}),
            ));
        };
        if !perimeter.is_empty()
            && !perimeter
                .iter()
                .any(|p| *p == found.system_id || found.ancestors.contains(p))
        {
            return Err((
                "UNAUTHORIZED_ATTACHMENT",
                json!({"unit": uid, "SystemId": found.system_id, "CheckParentId": perimeter}),
            ));
        }
        resolved.insert(uid.clone(), found.system_id);
    }
    // The contract's automatic attachment node must exist.
    if let (Some(e), Some(lp)) = (
        existing,
        contract
            .and_then(|c| c.link_parent_id.as_deref())
            .filter(|s| !s.is_empty()),
    ) && e.by_system_id(lp).is_none()
    {
        return Err(("NOT_FOUND_ATTACHMENT", json!({"LinkParentId": lp})));
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_ids() {
        assert!(is_valid_system_id("aeaqaaaaaagbcaacaang6ak4ts6paliaaaaq"));
        assert!(!is_valid_system_id("aeaqaaaaaagbcaacaang6ak4ts6paliaaaa1"));
        assert!(!is_valid_system_id("not-a-guid"));
        assert!(!is_valid_system_id(""));
    }
}
