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
//!
//! Object groups follow Vitam's `ArchiveUnitListener` and `ExtractSedaActionHandler`:
//! - a unit may link to an object group of the archive with Vitam's extension
//!   `DataObjectGroup/DataObjectGroupExistingReferenceId` (SEDA 2.1/2.2): the group must exist
//!   (`NOT_FOUND_ATTACHMENT`);
//! - an existing unit (`UpdateOperation`) that references a group of the SIP adds that group's
//!   objects to the unit's existing object group: the unit must have one
//!   (`UNAUTHORIZED_ATTACHMENT`, "linking object not allowed for unit without ObjectGroup"),
//!   the ingest contract must allow it (`EveryDataObjectVersion`, or every usage of its
//!   `DataObjectVersion` present among the added objects, else `ATTACHMENT_OBJECTGROUP`), and
//!   the existing group must belong to the SIP's originating agency
//!   (`SUBTASK_UNAUTHORIZED_ATTACHMENT_BY_BAD_SP`). Such a group is exempt from
//!   `MasterMandatory` (the master is already in the existing group).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Status;
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

/// An object group of an existing archive, as the attachment checks need it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExistingObjectGroup {
    /// Its system id.
    pub system_id: String,
    /// Its originating agency (`_sp`), if known. Objects may be added to it only by a SIP of
    /// the same originating agency.
    pub originating_agency: Option<String>,
}

/// The operation that created an existing unit or object group (Vitam's `#opi`), as
/// `CHECK_ATTACHEMENT` needs it: a SIP may only attach to what a completed, accepted ingest
/// created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingOperation {
    /// The operation id.
    pub id: String,
    /// True when the operation ran to its end (Vitam's `ProcessState.COMPLETED`, or a
    /// logbook whose last event closes the ingest workflow).
    pub completed: bool,
    /// Its outcome so far (the final one when completed).
    pub outcome: Status,
}

/// What the attachment checks may ask of an existing archive.
///
/// The object-group methods have defaults answering "no such group", so an implementation
/// written before them keeps compiling; it then refuses every object-group attachment, as
/// an archive without object groups would.
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
    /// The object group with this system id, if the archive has it
    /// (`DataObjectGroupExistingReferenceId`). Default: none.
    fn object_group_by_id(&self, system_id: &str) -> Option<ExistingObjectGroup> {
        let _ = system_id;
        None
    }
    /// The object group of the existing unit with this system id (Vitam's `#object`), if it
    /// has one. Default: none.
    fn object_group_of_unit(&self, unit_system_id: &str) -> Option<ExistingObjectGroup> {
        let _ = unit_system_id;
        None
    }
    /// The operation that created the existing unit or object group with this system id
    /// (Vitam's `#opi`), for `CHECK_ATTACHEMENT`. Default: unknown, which the check takes as
    /// a completed, accepted ingest (an archive that only keeps what succeeded).
    fn initial_operation(&self, system_id: &str) -> Option<ExistingOperation> {
        let _ = system_id;
        None
    }
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
    groups: Vec<(ExistingObjectGroup, Option<String>)>,
    operations: Vec<(String, ExistingOperation)>,
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

    /// Adds an object group, optionally as the object group of the existing unit
    /// `unit_system_id`.
    ///
    /// ```
    /// use vas_core::ingest::{ExistingObjectGroup, ExistingUnits, KnownUnits};
    /// let mut k = KnownUnits::default();
    /// let g = ExistingObjectGroup { system_id: "g1".into(), originating_agency: Some("SP".into()) };
    /// k.add_object_group(g.clone(), Some("u1"));
    /// assert_eq!(k.object_group_by_id("g1"), Some(g.clone()));
    /// assert_eq!(k.object_group_of_unit("u1"), Some(g));
    /// assert_eq!(k.object_group_of_unit("u2"), None);
    /// ```
    pub fn add_object_group(
        &mut self,
        group: ExistingObjectGroup,
        unit_system_id: Option<&str>,
    ) -> &mut Self {
        self.groups
            .push((group, unit_system_id.map(str::to_string)));
        self
    }

    /// Records the operation that created the unit or object group `system_id`.
    ///
    /// ```
    /// use vas_core::ingest::{ExistingOperation, ExistingUnits, KnownUnits, Status};
    /// let mut k = KnownUnits::default();
    /// let op = ExistingOperation { id: "op1".into(), completed: false, outcome: Status::Ok };
    /// k.set_initial_operation("u1", op.clone());
    /// assert_eq!(k.initial_operation("u1"), Some(op));
    /// assert_eq!(k.initial_operation("u2"), None);
    /// ```
    pub fn set_initial_operation(
        &mut self,
        system_id: &str,
        operation: ExistingOperation,
    ) -> &mut Self {
        self.operations.retain(|(id, _)| id != system_id);
        self.operations.push((system_id.to_string(), operation));
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

    fn object_group_by_id(&self, system_id: &str) -> Option<ExistingObjectGroup> {
        self.groups
            .iter()
            .find(|(g, _)| g.system_id == system_id)
            .map(|(g, _)| g.clone())
    }

    fn object_group_of_unit(&self, unit_system_id: &str) -> Option<ExistingObjectGroup> {
        self.groups
            .iter()
            .find(|(_, u)| u.as_deref() == Some(unit_system_id))
            .map(|(g, _)| g.clone())
    }

    fn initial_operation(&self, system_id: &str) -> Option<ExistingOperation> {
        self.operations
            .iter()
            .find(|(id, _)| id == system_id)
            .map(|(_, op)| op.clone())
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

/// The attachments a manifest declares, resolved against the archive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Attachments {
    /// Manifest unit id → system id of the existing unit it stands for.
    pub units: BTreeMap<String, String>,
    /// Manifest object-group id → system id of the existing object group its objects are
    /// added to (the group of an existing unit).
    pub groups: BTreeMap<String, String>,
    /// Manifest unit id → system id of the existing object group it links to
    /// (`DataObjectGroupExistingReferenceId`).
    pub unit_groups: BTreeMap<String, String>,
}

type Problem = (&'static str, Value);

/// The first attachment problem of a manifest, as `(sub-code, evDetData)`, or the resolved
/// attachments when there is none.
pub(crate) fn check_attachments(
    m: &Manifest,
    contract: Option<&IngestContract>,
    existing: Option<&dyn ExistingUnits>,
) -> Result<Attachments, Problem> {
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
    let mut out = Attachments::default();
    // Existing object groups the SIP adds objects to: manifest group → (existing group, unit).
    let mut added: Vec<(String, ExistingObjectGroup, String)> = Vec::new();
    // Attached existing units that have an object group.
    let mut with_group: Vec<String> = Vec::new();
    for u in &m.units {
        let uid = &u.id;
        if let Some(op) = &u.update_op {
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
            // Objects declared under an existing unit go into its existing object group.
            let unit_group = existing.object_group_of_unit(&found.system_id);
            if unit_group.is_some() {
                with_group.push(uid.clone());
            }
            if let Some(g) = u.object_refs.first() {
                let group = m
                    .objects
                    .iter()
                    .find(|o| &o.id == g)
                    .map(|o| o.group.clone())
                    .unwrap_or_else(|| g.clone());
                match unit_group {
                    None => {
                        return Err((
                            "UNAUTHORIZED_ATTACHMENT",
                            json!({"unit": uid, "SystemId": found.system_id,
                                   "DataObjectGroupReferenceId": group,
                                   "error": format!("Linking object ({group}) not allowed for unit ({}) without ObjectGroup", found.system_id)}),
                        ));
                    }
                    Some(og) => added.push((group, og, uid.clone())),
                }
            }
            out.units.insert(uid.clone(), found.system_id);
        }
        if let Some(gref) = &u.existing_group_ref {
            let Some(existing) = existing else {
                return Err((
                    "NOT_FOUND_ATTACHMENT",
                    json!({"unit": uid, "DataObjectGroupExistingReferenceId": gref,
                           "error": "no archive to resolve the attachment against (dry run without existing units)"}),
                ));
            };
            match existing.object_group_by_id(gref) {
                None => {
                    return Err((
                        "NOT_FOUND_ATTACHMENT",
                        json!({"unit": uid, "DataObjectGroupExistingReferenceId": gref}),
                    ));
                }
                Some(og) => {
                    out.unit_groups.insert(uid.clone(), og.system_id);
                }
            }
        }
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
    // As Vitam (`checkIngestContractForObjectGroupAttachment`): once an attached existing
    // unit has an object group, the contract must allow adding objects to existing groups:
    // every usage, or each usage of its `DataObjectVersion` present among the added objects.
    if !with_group.is_empty()
        && let Some(c) = contract.filter(|c| !c.every_data_object_version)
    {
        let present: std::collections::BTreeSet<&str> = m
            .objects
            .iter()
            .filter(|o| added.iter().any(|(g, _, _)| *g == o.group))
            .filter_map(|o| o.usage.as_deref())
            .map(|v| v.split('_').next().unwrap_or(v))
            .collect();
        let allowed = !c.data_object_version.is_empty()
            && c.data_object_version
                .iter()
                .all(|v| present.contains(v.as_str()));
        if !allowed {
            return Err((
                "ATTACHMENT_OBJECTGROUP",
                json!({"units": with_group,
                           "groups": added.iter().map(|a| &a.0).collect::<Vec<_>>(),
                           "ArchivalAgreement": c.identifier,
                           "EveryDataObjectVersion": false,
                           "DataObjectVersion": c.data_object_version}),
            ));
        }
    }
    if !added.is_empty() {
        // Objects may be added only to a group of the same originating agency.
        for (g, og, uid) in &added {
            if og.originating_agency.is_none() || og.originating_agency != m.originating_agency {
                return Err((
                    "SUBTASK_UNAUTHORIZED_ATTACHMENT_BY_BAD_SP",
                    json!({"unit": uid, "group": g, "ExistingObjectGroup": og.system_id,
                           "OriginatingAgency": og.originating_agency,
                           "OriginatingAgencyIdentifier": m.originating_agency}),
                ));
            }
        }
        for (g, og, _) in added {
            out.groups.insert(g, og.system_id);
        }
    }
    Ok(out)
}

/// Vitam's `CHECK_ATTACHEMENT` (`CheckAttachementActionHandler`): every existing object group
/// then every existing unit the SIP attaches to (the contract's `LinkParentId` included) must
/// come from an operation that completed without KO or FATAL; an attachment to what a
/// running, paused or failed ingest left behind is refused.
///
/// Returns `None` when the SIP attaches to nothing (no event: vas records the action only
/// when there is something to re-check), `Some(Ok(detail))` when every target passes, and
/// `Some(Err(detail))` for the first one that does not.
pub(crate) fn recheck_attachments(
    att: &Attachments,
    link_parent_id: Option<&str>,
    existing: Option<&dyn ExistingUnits>,
) -> Option<Result<Value, Value>> {
    let existing = existing?;
    let mut groups: Vec<&str> = att
        .groups
        .values()
        .chain(att.unit_groups.values())
        .map(String::as_str)
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let mut units: Vec<&str> = att
        .units
        .values()
        .map(String::as_str)
        .chain(link_parent_id.filter(|s| !s.is_empty()))
        .collect();
    units.sort_unstable();
    units.dedup();
    if groups.is_empty() && units.is_empty() {
        return None;
    }
    let targets = groups
        .iter()
        .map(|g| ("ObjectGroup", *g))
        .chain(units.iter().map(|u| ("Unit", *u)));
    for (kind, id) in targets {
        if let Some(op) = existing.initial_operation(id)
            && (!op.completed || op.outcome >= Status::Ko)
        {
            return Some(Err(json!({
                kind: id,
                "#opi": op.id,
                "completed": op.completed,
                "outcome": op.outcome.as_str(),
                "error": format!(
                    "the {} {id} comes from operation {} that {}",
                    if kind == "Unit" { "unit" } else { "object group" },
                    op.id,
                    if op.completed {
                        format!("ended {}", op.outcome.as_str())
                    } else {
                        "is not completed".to_string()
                    }
                ),
            })));
        }
    }
    Some(Ok(json!({"units": units, "objectGroups": groups})))
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
