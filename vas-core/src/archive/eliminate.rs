//! Elimination through the archive (Vitam's `ELIMINATION_ACTION`, with its
//! `ELIMINATION_ANALYSIS` as the dry run).
//!
//! [`Archive::eliminate`] selects units with a DSL query under an access contract (with
//! writing permission unless it is a dry run), computes their inherited rules from the
//! catalog graph (each unit's own `Management` as ingested, its ancestors' rules inherited)
//! with the archive's rules referential, and asks the rules engine for Vitam's verdict at
//! the elimination date: `DESTROY` (every AppraisalRule ended, every FinalAction `Destroy`,
//! no hold in force), `KEEP` or `CONFLICT`. A `DESTROY` unit keeping a child that is not
//! eliminated too is not deleted (`NON_DESTROYABLE_HAS_CHILD_UNITS`). The object group of
//! a deleted unit is deleted (with its objects) when no remaining unit uses it.
//!
//! The action is all or nothing:
//! 1. the journal `journal/<operation>.elimination` names everything the operation will do;
//! 2. a **tombstone** `tombstones/<operation>.json` is written to every offer: one entry per
//!    eliminated unit and object group (with the deleted objects' keys) — the commit point:
//!    from here [`Archive::rebuild`] no longer brings them back, so the rest is rolled
//!    forward;
//! 3. the catalog rows go in one transaction (units, groups, objects, full text, links,
//!    document locations, accession register);
//! 4. the objects (and first-layout documents) are deleted from every offer, and the
//!    **report** `reports/<operation>.json` (Vitam's elimination report object: per
//!    selected unit its verdict, status and reasons, per deleted group its objects) is put
//!    on every offer (its key, SHA-512 and size are in the operation's `evDetData.Report`;
//!    [`Archive::elimination_report`] reads it back, `verify` checks every copy, `rebuild`
//!    ignores it);
//! 5. the lifecycles (`LFC.ELIMINATION_ACTION_DELETE_UNIT`,
//!    `LFC.ELIMINATION_ACTION_DELETE_OBJECT_GROUP`) and the `ELIMINATION_ACTION` operation
//!    (its `evDetData` lists each selected unit's verdict and reasons) are appended to the
//!    logbook; the journal is removed.
//!
//! Reopening after a crash: a journal whose tombstone is on every offer is finished (steps
//! 3–5, each idempotent); any other has its tombstone copies removed and a `FATAL`
//! operation logged: nothing was eliminated.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Archive, failpoint, group_key, io_at, key, lock, unit_key, write_atomic};
use crate::catalog::{DocKind, IndexBatch, ObjectGroupRecord, PackRecord};
use crate::digest::DigestAlgorithm;
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{IdKind, format_ms};
use crate::logbook::{Lifecycle, LifecycleKind, LogbookEvent, LogbookOperation};
use crate::referential::RuleCategory;
use crate::rules::{
    EliminationActionStatus, EliminationStatus, InheritedRules, Management, UnitRulesInput,
    compute_inherited_rules, format_date, parse_date, read_manifest_units_bytes,
};
use crate::storage::{Fixity, StorageOfferExt};

/// The failpoints of an elimination (see [`FAILPOINT_ENV`](super::FAILPOINT_ENV)), in the
/// order it passes them: after the journal, after the tombstones (the commit point), after
/// the catalog transaction, after the offers' deletions, after the logbook.
pub const ELIMINATION_FAILPOINTS: &[&str] = &[
    "elimination-after-journal",
    "elimination-after-tombstones",
    "elimination-after-catalog",
    "elimination-after-objects",
    "elimination-after-logbook",
];

/// The most units one elimination handles (Vitam's `ELIMINATION_ACTION_CHECK_DISTRIBUTION_THRESHOLD`;
/// also the DSL's result window).
pub const ELIMINATION_MAX_UNITS: u64 = 10_000;

const JOURNAL_EXT: &str = "elimination";

/// Options of [`Archive::eliminate`].
#[derive(Debug, Clone, Default)]
pub struct EliminationOptions {
    /// The elimination date (`YYYY-MM-DD`): rules must have ended by it. Default: today.
    pub date: Option<String>,
    /// Only analyse (Vitam's `ELIMINATION_ANALYSIS`): nothing is written.
    pub dry_run: bool,
}

/// The verdict for one selected unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitElimination {
    /// The unit.
    #[serde(rename = "UnitId")]
    pub unit_id: String,
    /// The analysis: `DESTROY`, `KEEP` or `CONFLICT`.
    #[serde(rename = "GlobalStatus")]
    pub global_status: String,
    /// The action: `DELETED`, `GLOBAL_STATUS_KEEP`, `GLOBAL_STATUS_CONFLICT` or
    /// `NON_DESTROYABLE_HAS_CHILD_UNITS`.
    #[serde(rename = "Status")]
    pub status: String,
    /// Why it is not deleted (empty when it is): `NON_DESTROYABLE_HAS_CHILD_UNITS`,
    /// `BLOCKED_BY_HOLD_RULE`, `APPRAISAL_RULE_NOT_EXPIRED`, `NO_APPRAISAL_RULE`,
    /// `FINAL_ACTION_KEEP`, and the analysis' extended information types
    /// (`KEEP_ACCESS_SP`, `ACCESS_LINK_INCONSISTENCY`, `FINAL_ACTION_INCONSISTENCY`).
    #[serde(rename = "Reasons")]
    pub reasons: Vec<String>,
    /// The rules engine's analysis (Vitam's `_elimination` entry).
    #[serde(rename = "Analysis")]
    pub analysis: Value,
}

/// What [`Archive::eliminate`] did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct EliminationReport {
    /// The operation (`None` in a dry run).
    pub operation_id: Option<String>,
    /// True for an analysis only.
    pub dry_run: bool,
    /// The elimination date (`YYYY-MM-DD`).
    pub date: String,
    /// Every unit the query selected, in id order.
    pub units: Vec<UnitElimination>,
    /// Units deleted (or to delete).
    pub eliminated_units: Vec<String>,
    /// Object groups deleted (or to delete).
    pub eliminated_object_groups: Vec<String>,
    /// Object groups of deleted units still used by a remaining unit: kept, detached from
    /// the deleted units (Vitam's `PARTIAL_DETACHMENT`,
    /// `ELIMINATION_ACTION_DETACH_OBJECT_GROUP`).
    pub detached_object_groups: Vec<String>,
    /// Objects deleted (or to delete) from every offer.
    pub deleted_objects: u64,
    /// Their bytes.
    pub deleted_bytes: u64,
}

impl EliminationReport {
    /// The verdict for `unit`, if the query selected it.
    pub fn unit(&self, unit: &str) -> Option<&UnitElimination> {
        self.units.iter().find(|u| u.unit_id == unit)
    }
}

/// One entry of a tombstone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TombstoneEntry {
    #[serde(rename = "#id")]
    pub id: String,
    pub kind: DocKind,
    /// The operation that had ingested it.
    #[serde(rename = "#opi", default, skip_serializing_if = "Option::is_none")]
    pub opi: Option<String>,
    /// For a group: the keys of its objects on the offers, deleted with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
}

/// A tombstone object on the offers (`tombstones/<operation>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tombstone {
    #[serde(rename = "vas-tombstones")]
    pub format: u32,
    pub operation: String,
    pub tenant: u32,
    #[serde(rename = "evDateTime")]
    pub date_time: String,
    pub entries: Vec<TombstoneEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ElimJournal {
    operation: String,
    tombstone_key: String,
    /// The tombstone's exact bytes (its SHA-512 is what every offer must hold).
    tombstone: String,
    units: Vec<String>,
    groups: Vec<String>,
    /// Objects and first-layout documents to delete from every offer.
    delete_keys: Vec<String>,
    lifecycles: Vec<Lifecycle>,
    entry: LogbookOperation,
    /// The report's key on the offers (empty in journals of older versions).
    #[serde(default)]
    report_key: String,
    /// The report's exact bytes (its SHA-512 is in the operation's `evDetData`).
    #[serde(default)]
    report: String,
}

fn tombstones_prefix(prefix: &str) -> String {
    format!("{prefix}tombstones/")
}

fn tombstone_key(prefix: &str, op: &str) -> String {
    format!("{}{op}.json", tombstones_prefix(prefix))
}

/// The key of the elimination report of operation `op` on the offers (Vitam's report
/// object of an `ELIMINATION_ACTION`, keyed by the operation id).
pub(super) fn report_key(prefix: &str, op: &str) -> String {
    format!("{prefix}reports/{op}.json")
}

/// Where an elimination operation's report is and what it must hash to: the `Report`
/// member of the operation's `evDetData` (`{"Key", "Digest" (SHA-512, hex), "Size"}`).
pub(super) fn report_reference(op: &LogbookOperation) -> Option<(String, String, u64)> {
    let r = op.event.ev_det_data.as_ref()?.get("Report")?;
    Some((
        r.get("Key")?.as_str()?.to_string(),
        r.get("Digest")?.as_str()?.to_string(),
        r.get("Size")?.as_u64()?,
    ))
}

/// The elimination report (JSON): the operation's summary, its context (date, contract,
/// query), and per selected unit its verdict, action status and reasons (with the
/// operation that ingested it, its originating agency and object group), per deleted
/// object group its status and deleted objects. The shape of Vitam's elimination report
/// (`operationSummary`, `reportSummary`, `context`, then one entry per unit and group).
#[allow(clippy::too_many_arguments)]
fn report_json(
    op: &str,
    tenant: u32,
    now: &str,
    outcome: &str,
    out_messg: &str,
    context: Value,
    report: &EliminationReport,
    graph: &BTreeMap<&str, &crate::catalog::GraphUnit>,
    groups: &[TombstoneEntry],
) -> Value {
    let units: Vec<Value> = report
        .units
        .iter()
        .map(|u| {
            let g = graph.get(u.unit_id.as_str());
            json!({
                "id": u.unit_id,
                "params": {
                    "id": u.unit_id,
                    "status": u.status,
                    "globalStatus": u.global_status,
                    "reasons": u.reasons,
                    "opi": g.and_then(|g| g.operation_id.clone()),
                    "originatingAgency": g.and_then(|g| g.originating_agency.clone()),
                    "objectGroupId": g.and_then(|g| g.object_group_id.clone()),
                },
            })
        })
        .collect();
    let mut object_groups: Vec<Value> = groups
        .iter()
        .filter(|e| e.kind == DocKind::ObjectGroup)
        .map(|e| {
            json!({
                "id": e.id,
                "params": {
                    "id": e.id,
                    "status": "DELETED",
                    "opi": e.opi,
                    "deletedObjects": e.objects,
                },
            })
        })
        .collect();
    object_groups.extend(report.detached_object_groups.iter().map(|g| {
        json!({
            "id": g,
            "params": {
                "id": g,
                "status": "PARTIAL_DETACHMENT",
                "detachedUnits": report
                    .eliminated_units
                    .iter()
                    .filter(|u| graph.get(u.as_str()).and_then(|n| n.object_group_id.as_deref()) == Some(g.as_str()))
                    .collect::<Vec<_>>(),
            },
        })
    }));
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for u in &report.units {
        *counts.entry(u.status.as_str()).or_default() += 1;
    }
    json!({
        "vas-report": 1,
        "operationSummary": {
            "tenant": tenant,
            "evId": op,
            "evType": "ELIMINATION_ACTION",
            "outcome": outcome,
            "outDetail": format!("ELIMINATION_ACTION.{outcome}"),
            "outMsg": out_messg,
            "evDateTime": now,
        },
        "reportSummary": {
            "evStartDateTime": now,
            "reportType": "ELIMINATION_ACTION",
            "extendedInfo": {
                "units": counts,
                "deletedObjectGroups": report.eliminated_object_groups.len(),
                "detachedObjectGroups": report.detached_object_groups.len(),
                "deletedObjects": report.deleted_objects,
                "deletedBytes": report.deleted_bytes,
            },
        },
        "context": context,
        "units": units,
        "objectGroups": object_groups,
    })
}

/// Why a unit the analysis keeps is kept, from its inherited appraisal and hold rules.
fn keep_reasons(computed: &InheritedRules, id: &str, at: time::Date) -> Vec<String> {
    let mut out = Vec::new();
    let Some(u) = computed.unit(id) else {
        return out;
    };
    let app = u.category(RuleCategory::Appraisal);
    if app.rules.is_empty() {
        out.push("NO_APPRAISAL_RULE".to_string());
    } else if app.rules.iter().any(|r| r.end_date.is_none_or(|e| at < e)) {
        out.push("APPRAISAL_RULE_NOT_EXPIRED".to_string());
    }
    let actions: Vec<&crate::rules::InheritedProperty> = app
        .properties
        .iter()
        .filter(|p| p.name == "FinalAction")
        .collect();
    if actions.is_empty()
        || actions
            .iter()
            .any(|p| p.value.to_json().as_str() != Some("Destroy"))
    {
        out.push("FINAL_ACTION_KEEP".to_string());
    }
    if u.category(RuleCategory::Hold)
        .rules
        .iter()
        .any(|r| r.end_date.is_none_or(|e| at < e))
    {
        out.push("BLOCKED_BY_HOLD_RULE".to_string());
    }
    out
}

impl Archive {
    /// Eliminates the units `query` selects under access contract `contract` (which must
    /// have writing permission), at `opts.date` (default today). Each unit's inherited
    /// rules are computed over the catalog graph with the archive's rules referential and
    /// the rules engine gives Vitam's verdict (`DESTROY` / `KEEP` / `CONFLICT`); `DESTROY`
    /// units whose children are all eliminated too are deleted, with the object groups no
    /// remaining unit uses. All or nothing: a tombstone per eliminated unit and group is
    /// written to every offer (the commit point, which `rebuild` honours), then the catalog
    /// rows, the objects on every offer and the logbook entries follow (finished when the
    /// archive is reopened after a crash). With `opts.dry_run`, only the analysis is
    /// returned and nothing is written.
    ///
    /// Errors: an unknown or inactive contract (`NotFound` / `Denied`), a contract without
    /// writing permission (`Denied`), no rules referential in the archive (`Unsupported`),
    /// more than [`ELIMINATION_MAX_UNITS`] units selected (`InvalidInput`), a bad date
    /// (`InvalidInput`); storage or catalog failures leave the archive as it was (before the
    /// tombstones) or are finished when it is reopened (after them).
    pub fn eliminate(
        &self,
        contract: &str,
        query: &Value,
        opts: &EliminationOptions,
    ) -> Result<EliminationReport> {
        let _guard = lock(&self.lock);
        let c = self.contract(contract)?;
        if !opts.dry_run && !c.writing_permission {
            return Err(Error::new(
                ErrorKind::Denied,
                format!(
                    "access contract {:?} has no writing permission: it cannot eliminate",
                    c.identifier
                ),
            )
            .with_id(c.identifier.clone()));
        }
        let date_text = match &opts.date {
            Some(d) => d.clone(),
            None => crate::ids::format_date(self.ids.clock().now_ms()),
        };
        let date = parse_date(&date_text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("elimination date {date_text:?}: {}", e.message()),
            )
        })?;
        let answer = {
            let cat = lock(&self.catalog);
            cat.view(self.tenant(), c)?.search(query)?
        };
        let selected: BTreeSet<String> = answer["$results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["#id"].as_str().map(str::to_string))
            .collect();
        let total = answer["$hits"]["total"]
            .as_u64()
            .unwrap_or(selected.len() as u64);
        if total > selected.len() as u64 || total > ELIMINATION_MAX_UNITS {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the query selects {total} units; an elimination takes at most {} at once, all in one answer (ELIMINATION_ACTION_CHECK_DISTRIBUTION_THRESHOLD): narrow the query",
                    selected.len().min(ELIMINATION_MAX_UNITS as usize)
                ),
            ));
        }
        let refs = match self.referentials_dir()? {
            Some(r) => crate::referential::Referentials::load_dir(r)?,
            None => crate::referential::Referentials::default(),
        };
        let Some(rules_ref) = refs.rules.as_ref() else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "the archive has no rules referential: appraisal rules' end dates cannot be computed, so nothing can be eliminated (create the archive with --referentials holding the rules)",
            ));
        };
        let sel_vec: Vec<String> = selected.iter().cloned().collect();
        let graph = lock(&self.catalog).elimination_graph(self.tenant(), &sel_vec)?;
        let members: BTreeSet<&str> = graph.iter().map(|g| g.id.as_str()).collect();
        // Ancestors of a selected unit pass their rules down; other members (descendants
        // not selected) are kept whatever their rules, so only their links matter.
        let mut needed: BTreeSet<&str> = BTreeSet::new();
        {
            let parents: BTreeMap<&str, &Vec<String>> =
                graph.iter().map(|g| (g.id.as_str(), &g.parents)).collect();
            let mut todo: Vec<&str> = selected.iter().map(String::as_str).collect();
            while let Some(u) = todo.pop() {
                if needed.insert(u)
                    && let Some(ps) = parents.get(u)
                {
                    todo.extend(ps.iter().map(String::as_str));
                }
            }
        }
        let mut inputs = Vec::with_capacity(graph.len());
        for g in &graph {
            let management = if needed.contains(g.id.as_str()) {
                self.stored_management(&g.id)?
            } else {
                Management::default()
            };
            inputs.push(UnitRulesInput {
                id: g.id.clone(),
                parents: g
                    .parents
                    .iter()
                    .filter(|p| members.contains(p.as_str()))
                    .cloned()
                    .collect(),
                originating_agency: g.originating_agency.clone(),
                management,
                title: None,
            });
        }
        let computed = compute_inherited_rules(&inputs, rules_ref)?;
        let mut analysis = computed.analyze_elimination(date);
        let verdicts: BTreeMap<String, crate::rules::EliminationResult> = analysis
            .iter()
            .filter(|a| selected.contains(&a.unit_id))
            .map(|a| (a.unit_id.clone(), a.clone()))
            .collect();
        for a in analysis.iter_mut() {
            if !selected.contains(&a.unit_id) {
                a.status = EliminationStatus::Keep;
            }
        }
        let action: BTreeMap<String, EliminationActionStatus> = computed
            .elimination_action(&analysis)
            .into_iter()
            .map(|a| (a.unit_id, a.status))
            .collect();
        let mut report = EliminationReport {
            dry_run: opts.dry_run,
            date: format_date(date),
            ..Default::default()
        };
        for id in &selected {
            let Some(a) = verdicts.get(id) else { continue };
            let st = action
                .get(id)
                .copied()
                .unwrap_or(EliminationActionStatus::GlobalStatusKeep);
            let mut reasons: Vec<String> = Vec::new();
            if st == EliminationActionStatus::NonDestroyableHasChildUnits {
                reasons.push(st.name().to_string());
            }
            match a.status {
                EliminationStatus::Keep => reasons.extend(keep_reasons(&computed, id, date)),
                EliminationStatus::Conflict => {
                    reasons.extend(a.extended_info.iter().map(|i| i.type_name().to_string()))
                }
                EliminationStatus::Destroy => {}
            }
            if st == EliminationActionStatus::Deleted {
                report.eliminated_units.push(id.clone());
            }
            report.units.push(UnitElimination {
                unit_id: id.clone(),
                global_status: a.status.name().to_string(),
                status: st.name().to_string(),
                reasons,
                analysis: a.to_json(),
            });
        }
        // Object groups whose every unit is eliminated go with them.
        let deleted: BTreeSet<&str> = report.eliminated_units.iter().map(String::as_str).collect();
        let mut groups: BTreeSet<String> = BTreeSet::new();
        let mut detached: BTreeSet<String> = BTreeSet::new();
        for g in &graph {
            if let Some(og) = &g.object_group_id
                && deleted.contains(g.id.as_str())
            {
                let users = lock(&self.catalog).units_of_object_group(og)?;
                if users.iter().all(|u| deleted.contains(u.as_str())) {
                    groups.insert(og.clone());
                } else {
                    detached.insert(og.clone());
                }
            }
        }
        report.detached_object_groups = detached.iter().cloned().collect();
        let mut entries: Vec<TombstoneEntry> = Vec::new();
        let mut delete_keys: Vec<String> = Vec::new();
        for g in &graph {
            if deleted.contains(g.id.as_str()) {
                entries.push(TombstoneEntry {
                    id: g.id.clone(),
                    kind: DocKind::Unit,
                    opi: g.operation_id.clone(),
                    objects: Vec::new(),
                });
                if lock(&self.catalog).doc_location(&g.id)?.is_none() {
                    delete_keys.push(unit_key(&self.prefix, &g.id));
                }
            }
        }
        for gid in &groups {
            let rec = self.group_record(gid)?;
            let objects: Vec<String> = rec
                .objects
                .iter()
                .filter_map(|o| o.storage_key.clone())
                .collect();
            report.deleted_objects += objects.len() as u64;
            report.deleted_bytes += rec
                .objects
                .iter()
                .filter(|o| o.storage_key.is_some())
                .map(|o| o.size)
                .sum::<u64>();
            delete_keys.extend(objects.iter().cloned());
            if lock(&self.catalog).doc_location(gid)?.is_none() {
                delete_keys.push(group_key(&self.prefix, gid));
            }
            entries.push(TombstoneEntry {
                id: gid.clone(),
                kind: DocKind::ObjectGroup,
                opi: rec.operation_id.clone(),
                objects,
            });
        }
        report.eliminated_object_groups = groups.iter().cloned().collect();
        if opts.dry_run {
            return Ok(report);
        }
        let op = self.ids.generate_string(IdKind::Operation);
        report.operation_id = Some(op.clone());
        let now = format_ms(self.ids.clock().now_ms());
        let ev = |ev_type: &str, outcome: &str, msg: &str| LogbookEvent {
            ev_id: self.ids.generate_string(IdKind::Event),
            ev_parent_id: Some(op.clone()),
            ev_type: ev_type.to_string(),
            ev_date_time: now.clone(),
            ev_id_proc: op.clone(),
            ev_type_proc: "ELIMINATION".into(),
            outcome: outcome.into(),
            out_detail: format!("{ev_type}.{outcome}"),
            out_messg: msg.into(),
            ..Default::default()
        };
        let lfc_msg = |id: &str, ev_type: &str, msg: &str| LogbookEvent {
            ev_id: self.ids.generate_string(IdKind::Event),
            ev_type: format!("LFC.{ev_type}"),
            ev_date_time: now.clone(),
            ev_id_proc: op.clone(),
            ev_type_proc: "ELIMINATION".into(),
            outcome: "OK".into(),
            out_detail: format!("LFC.{ev_type}.OK"),
            out_messg: msg.into(),
            ob_id: Some(id.to_string()),
            ..Default::default()
        };
        let lfc = |id: &str, ev_type: &str| lfc_msg(id, ev_type, "Élimination définitive");
        let mut lifecycles = Vec::new();
        for id in &report.eliminated_units {
            lifecycles.push(Lifecycle {
                id: id.clone(),
                kind: LifecycleKind::Unit,
                events: vec![lfc(id, "ELIMINATION_ACTION_DELETE_UNIT")],
            });
        }
        for id in &report.eliminated_object_groups {
            lifecycles.push(Lifecycle {
                id: id.clone(),
                kind: LifecycleKind::ObjectGroup,
                events: vec![lfc(id, "ELIMINATION_ACTION_DELETE_OBJECT_GROUP")],
            });
        }
        for id in &report.detached_object_groups {
            lifecycles.push(Lifecycle {
                id: id.clone(),
                kind: LifecycleKind::ObjectGroup,
                events: vec![lfc_msg(
                    id,
                    "ELIMINATION_ACTION_DETACH_OBJECT_GROUP",
                    "Détachement du groupe d'objets techniques de ses unités archivistiques éliminées",
                )],
            });
        }
        let nothing = report.eliminated_units.is_empty();
        let outcome = if nothing { "WARNING" } else { "OK" };
        let steps = vec![
            ev(
                "STP_ELIMINATION_ACTION_PREPARATION",
                "OK",
                "Préparation de l'élimination définitive",
            ),
            ev(
                "ELIMINATION_ACTION_CHECK_DISTRIBUTION_THRESHOLD",
                "OK",
                "Vérification des seuils de l'élimination définitive",
            ),
            ev(
                "ELIMINATION_ACTION_UNIT_PREPARATION",
                "OK",
                "Préparation de l'élimination définitive des unités archivistiques",
            ),
            ev(
                "STP_ELIMINATION_ACTION_DELETE_UNIT",
                outcome,
                "Élimination définitive des unités archivistiques éliminables",
            ),
            ev(
                "ELIMINATION_ACTION_DELETE_UNIT",
                outcome,
                "Élimination définitive des unités archivistiques éliminables",
            ),
            ev(
                "STP_ELIMINATION_ACTION_DELETE_OBJECT_GROUP",
                "OK",
                "Élimination définitive des groupes d'objets techniques dont les unités archivistiques parentes sont éliminées",
            ),
            ev(
                "ELIMINATION_ACTION_DELETE_OBJECT_GROUP",
                "OK",
                "Élimination définitive des groupes d'objets techniques dont les unités archivistiques parentes sont éliminées",
            ),
            ev(
                "STP_ELIMINATION_ACTION_DETACH_OBJECT_GROUP",
                "OK",
                "Détachement des groupes d'objets techniques dont certaines unités archivistiques parentes sont éliminées",
            ),
            ev(
                "ELIMINATION_ACTION_DETACH_OBJECT_GROUP",
                "OK",
                "Détachement des groupes d'objets techniques dont certaines unités archivistiques parentes sont éliminées",
            ),
            ev(
                "STP_ELIMINATION_ACTION_REPORT_GENERATION",
                "OK",
                "Génération du rapport d'élimination définitive des unités archivistiques",
            ),
            ev(
                "ELIMINATION_ACTION_REPORT_GENERATION",
                "OK",
                "Génération du rapport d'élimination définitive des unités archivistiques",
            ),
            ev(
                "STP_ELIMINATION_ACTION_ACCESSION_REGISTER_PREPARATION",
                "OK",
                "Mise à jour du registre des fonds",
            ),
            ev(
                "ELIMINATION_ACTION_ACCESSION_REGISTER_UPDATE",
                "OK",
                "Mise à jour du registre des fonds",
            ),
            ev(
                "STP_ELIMINATION_ACTION_FINALIZATION",
                "OK",
                "Finalisation de l'élimination définitive",
            ),
        ];
        let out_messg = if nothing {
            "Élimination définitive : aucune unité archivistique éliminable"
        } else {
            "Succès de l'élimination définitive"
        };
        // The report object, stored on every offer; the operation records its key and
        // SHA-512 (`verify` checks them).
        let rkey = report_key(&self.prefix, &op);
        let report_text = {
            let by_id: BTreeMap<&str, &crate::catalog::GraphUnit> =
                graph.iter().map(|g| (g.id.as_str(), g)).collect();
            let v = report_json(
                &op,
                self.tenant(),
                &now,
                outcome,
                out_messg,
                json!({
                    "EliminationDate": report.date,
                    "AccessContract": c.identifier,
                    "Query": query,
                }),
                &report,
                &by_id,
                &entries,
            );
            serde_json::to_string(&v).map_err(|e| Error::internal(e.to_string()))?
        };
        let report_fx = Fixity::of_bytes(DigestAlgorithm::Sha512, report_text.as_bytes());
        let entry = LogbookOperation {
            event: LogbookEvent {
                ev_id: op.clone(),
                ev_type: "ELIMINATION_ACTION".into(),
                ev_date_time: now.clone(),
                ev_id_proc: op.clone(),
                ev_type_proc: "ELIMINATION".into(),
                outcome: outcome.into(),
                out_detail: format!("ELIMINATION_ACTION.{outcome}"),
                out_messg: out_messg.into(),
                ev_det_data: Some(json!({
                    "EliminationDate": report.date,
                    "AccessContract": c.identifier,
                    "Query": query,
                    "Units": report.units.iter().map(|u| json!({
                        "UnitId": u.unit_id, "GlobalStatus": u.global_status,
                        "Status": u.status, "Reasons": u.reasons,
                    })).collect::<Vec<_>>(),
                    "DeletedUnits": report.eliminated_units,
                    "DeletedObjectGroups": report.eliminated_object_groups,
                    "DetachedObjectGroups": report.detached_object_groups,
                    "DeletedObjects": report.deleted_objects,
                    "DeletedBytes": report.deleted_bytes,
                    "Report": {
                        "Key": rkey,
                        "Digest": report_fx.digest,
                        "Size": report_fx.size,
                    },
                })),
                ag_id: Some(json!({"Name": "vas", "Version": crate::VERSION})),
                ..Default::default()
            },
            events: steps,
            tenant: self.tenant(),
        };
        if nothing {
            self.strategy
                .put(&key(&rkey)?, &mut report_text.as_bytes(), &report_fx)?;
            lock(&self.logbook).append_operation(&entry)?;
            return Ok(report);
        }
        let tomb = Tombstone {
            format: 1,
            operation: op.clone(),
            tenant: self.tenant(),
            date_time: now.clone(),
            entries,
        };
        let tomb_text = serde_json::to_string(&tomb).map_err(|e| Error::internal(e.to_string()))?;
        let j = ElimJournal {
            operation: op.clone(),
            tombstone_key: tombstone_key(&self.prefix, &op),
            tombstone: tomb_text,
            units: report.eliminated_units.clone(),
            groups: report.eliminated_object_groups.clone(),
            delete_keys,
            lifecycles,
            entry,
            report_key: rkey,
            report: report_text,
        };
        let jpath = self.elimination_journal_path(&op);
        write_atomic(
            &jpath,
            &serde_json::to_vec(&j).map_err(|e| Error::internal(e.to_string()))?,
        )?;
        failpoint("elimination-after-journal");
        let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, j.tombstone.as_bytes());
        if let Err(e) = self
            .strategy
            .put(&key(&j.tombstone_key)?, &mut j.tombstone.as_bytes(), &fx)
        {
            // Before the commit point: undo, log, and report.
            self.abandon_elimination(&j, &jpath, &e.to_string())?;
            return Err(e);
        }
        failpoint("elimination-after-tombstones");
        self.finish_elimination(&j)?;
        std::fs::remove_file(&jpath).map_err(|e| io_at(e, &jpath))?;
        Ok(report)
    }

    fn elimination_journal_path(&self, op: &str) -> PathBuf {
        self.home
            .join("journal")
            .join(format!("{op}.{JOURNAL_EXT}"))
    }

    /// Steps 3 to 5 of an elimination past its commit point (each idempotent).
    fn finish_elimination(&self, j: &ElimJournal) -> Result<()> {
        lock(&self.catalog).eliminate(&j.units, &j.groups)?;
        failpoint("elimination-after-catalog");
        for k in &j.delete_keys {
            let k = key(k)?;
            for o in self.strategy.offers() {
                o.delete(&k)?;
            }
        }
        failpoint("elimination-after-objects");
        if !j.report_key.is_empty() {
            let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, j.report.as_bytes());
            self.strategy
                .put(&key(&j.report_key)?, &mut j.report.as_bytes(), &fx)?;
        }
        let mut lb = lock(&self.logbook);
        if lb.operation(&j.operation).is_err() {
            let have_units = lb.lifecycle_batches(LifecycleKind::Unit)?;
            let have_groups = lb.lifecycle_batches(LifecycleKind::ObjectGroup)?;
            let missing: Vec<Lifecycle> = j
                .lifecycles
                .iter()
                .filter(|lc| {
                    let have = match lc.kind {
                        LifecycleKind::Unit => &have_units,
                        LifecycleKind::ObjectGroup => &have_groups,
                    };
                    !have.contains_key(&(lc.id.clone(), j.operation.clone()))
                })
                .cloned()
                .collect();
            lb.append_lifecycles(&missing)?;
            lb.append_operation(&j.entry)?;
        }
        drop(lb);
        failpoint("elimination-after-logbook");
        Ok(())
    }

    /// Undoes an elimination stopped before its commit point: tombstone copies removed,
    /// a `FATAL` operation logged, the journal removed.
    fn abandon_elimination(
        &self,
        j: &ElimJournal,
        jpath: &std::path::Path,
        why: &str,
    ) -> Result<()> {
        let k = key(&j.tombstone_key)?;
        for o in self.strategy.offers() {
            o.delete(&k)?;
        }
        let mut lb = lock(&self.logbook);
        if lb.operation(&j.operation).is_err() {
            let mut entry = j.entry.clone();
            entry.event.outcome = "FATAL".into();
            entry.event.out_detail = "ELIMINATION_ACTION.FATAL".into();
            entry.event.out_messg = format!(
                "Elimination stopped before its commit point; nothing was eliminated ({why})"
            );
            entry.events.clear();
            // No report was stored: the operation names none.
            if let Some(Value::Object(d)) = entry.event.ev_det_data.as_mut() {
                d.remove("Report");
            }
            lb.append_operation(&entry)?;
        }
        drop(lb);
        match std::fs::remove_file(jpath) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_at(e, jpath)),
        }
    }

    /// Finishes or undoes the eliminations a crash interrupted (called when the archive is
    /// opened, before the ingest journals are looked at).
    pub(super) fn recover_eliminations(&self) -> Result<()> {
        let jdir = self.home.join("journal");
        let Ok(rd) = std::fs::read_dir(&jdir) else {
            return Ok(());
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(JOURNAL_EXT))
            .collect();
        files.sort();
        for p in files {
            let j: ElimJournal = match std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
            {
                Some(j) => j,
                None => {
                    // Written atomically before anything else: an unreadable one did nothing.
                    let _ = std::fs::remove_file(&p);
                    continue;
                }
            };
            let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, j.tombstone.as_bytes());
            let k = key(&j.tombstone_key)?;
            let committed = self
                .strategy
                .offers()
                .iter()
                .all(|o| o.verify(&k, Some(&fx)).is_ok());
            if committed {
                self.finish_elimination(&j)?;
                std::fs::remove_file(&p).map_err(|e| io_at(e, &p))?;
            } else {
                self.abandon_elimination(
                    &j,
                    &p,
                    "interrupted before its tombstone was on every offer; undone when the archive was reopened",
                )?;
            }
        }
        Ok(())
    }

    /// The unit's own `Management` as ingested (from its stored SEDA), for the rules engine,
    /// with its package's `ManagementMetadata` rules applied when it was a root unit of it
    /// (as the ingest computed them: [`Management::apply_defaults`]).
    pub(super) fn stored_management(&self, id: &str) -> Result<Management> {
        let doc = self.read_stored_doc(DocKind::Unit, id)?;
        let Some(xml) = doc["seda"]["xml"].as_str() else {
            return Ok(Management::default());
        };
        // A root unit of its package keeps the package's `ManagementMetadata`: the
        // rules reader applies its rules to the (root) unit as the ingest did.
        let mm = doc["seda"]["management_metadata"]
            .as_str()
            .unwrap_or_default();
        let wrapped = format!(
            "<ArchiveTransfer><DataObjectPackage><DescriptiveMetadata><ArchiveUnit id=\"u\">{xml}</ArchiveUnit></DescriptiveMetadata><ManagementMetadata>{mm}</ManagementMetadata></DataObjectPackage></ArchiveTransfer>"
        );
        let m =
            read_manifest_units_bytes(wrapped.as_bytes()).map_err(|e| e.with_id(id.to_string()))?;
        Ok(m.units
            .into_iter()
            .next()
            .map(|u| u.management)
            .unwrap_or_default())
    }

    fn group_record(&self, id: &str) -> Result<ObjectGroupRecord> {
        let docs = lock(&self.catalog).object_group_document(id)?;
        match docs {
            Some(d) => ObjectGroupRecord::from_document(&d),
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!("no object group {id:?} in the catalog"),
            )
            .with_id(id.to_string())),
        }
    }

    /// Every tombstone of this tenant on the offers (read from the first offer whose copy
    /// verifies).
    pub(crate) fn tombstones(&self) -> Result<Vec<(String, Tombstone)>> {
        let referent = self.strategy.referent().clone();
        let mut out = Vec::new();
        for meta in referent.list(&tombstones_prefix(&self.prefix))? {
            let k = meta.key.as_str().to_string();
            if !k.ends_with(".json") {
                continue;
            }
            let bytes = self.strategy.get_bytes(&meta.key, None)?;
            let t: Tombstone = serde_json::from_slice(&bytes).map_err(|e| {
                Error::new(ErrorKind::Corrupt, format!("tombstone {k}: {e}")).with_id(k.clone())
            })?;
            out.push((k, t));
        }
        Ok(out)
    }

    /// The system ids the tombstones name.
    pub(crate) fn tombstoned_ids(&self) -> Result<BTreeSet<String>> {
        Ok(self
            .tombstones()?
            .into_iter()
            .flat_map(|(_, t)| t.entries.into_iter().map(|e| e.id))
            .collect())
    }

    /// Rebuild hook: drops what a tombstone names from the documents read from the packs.
    pub(super) fn drop_tombstoned(
        &self,
        batch: &mut IndexBatch,
        packs_by_op: &mut BTreeMap<String, Vec<PackRecord>>,
    ) -> Result<()> {
        let dead = self.tombstoned_ids()?;
        if dead.is_empty() {
            return Ok(());
        }
        batch.units.retain(|u| !dead.contains(&u.id));
        batch.object_groups.retain(|g| !dead.contains(&g.id));
        for packs in packs_by_op.values_mut() {
            for p in packs.iter_mut() {
                p.entries.retain(|e| !dead.contains(&e.id));
            }
        }
        Ok(())
    }

    /// Verify hook: every tombstone on every offer, nothing it names still in the catalog
    /// or on an offer.
    /// The elimination report of operation `op` (see [`Archive::eliminate`]): read from
    /// the first offer whose copy matches the SHA-512 the operation recorded.
    ///
    /// Errors: no such operation, or one without a report (`NotFound`); no offer holding
    /// a good copy (`Integrity` / `NotFound`); a copy that is not JSON (`Corrupt`).
    pub fn elimination_report(&self, op: &str) -> Result<Value> {
        let o = self.operation(op)?;
        let Some((k, digest, size)) = report_reference(&o) else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("operation {op} ({}) has no report", o.event.ev_type),
            )
            .with_id(op.to_string()));
        };
        let fx = Fixity::new(DigestAlgorithm::Sha512, &digest, size)?;
        let bytes = self.strategy.get_bytes(&key(&k)?, Some(&fx))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(ErrorKind::Corrupt, format!("{k}: not JSON: {e}")).with_id(k.clone())
        })
    }

    /// Every report an operation of the logbook names is on every offer with the SHA-512
    /// and size the operation recorded.
    pub(super) fn verify_reports(&self, ops: &[LogbookOperation], problems: &mut Vec<String>) {
        for o in ops {
            let Some((k, digest, size)) = report_reference(o) else {
                continue;
            };
            let checked = Fixity::new(DigestAlgorithm::Sha512, &digest, size)
                .and_then(|fx| Ok((key(&k)?, fx)));
            let (okey, fx) = match checked {
                Ok(x) => x,
                Err(e) => {
                    problems.push(format!(
                        "operation {}: report reference {k}: {}",
                        o.event.ev_id_proc,
                        e.message()
                    ));
                    continue;
                }
            };
            for off in self.strategy.offers() {
                if let Err(e) = off.verify(&okey, Some(&fx)) {
                    problems.push(format!(
                        "report {k} of operation {} on offer {}: {}",
                        o.event.ev_id_proc,
                        off.id(),
                        e.message()
                    ));
                }
            }
        }
    }

    pub(super) fn verify_tombstones(&self, problems: &mut Vec<String>) -> Result<()> {
        let tombs = match self.tombstones() {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("tombstones: {}", e.message()));
                return Ok(());
            }
        };
        let cat = lock(&self.catalog);
        for (k, t) in &tombs {
            self.check_doc_copies(k, problems);
            for e in &t.entries {
                let present = match e.kind {
                    DocKind::Unit => cat.unit_exists(&e.id)?,
                    DocKind::ObjectGroup => cat.object_group_document(&e.id)?.is_some(),
                };
                if present {
                    problems.push(format!(
                        "{} {}: eliminated by operation {} (tombstone {k}) but still in the catalog",
                        if e.kind == DocKind::Unit { "unit" } else { "object group" },
                        e.id,
                        t.operation
                    ));
                }
                for ok in &e.objects {
                    let okey = key(ok)?;
                    for o in self.strategy.offers() {
                        if matches!(o.head(&okey), Ok(Some(_))) {
                            problems.push(format!(
                                "object {ok} of eliminated group {} is still on offer {}",
                                e.id,
                                o.id()
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Audit hook: the tombstones' copies are expected on every offer.
    pub(super) fn tombstone_expectations(
        &self,
        expected: &mut Vec<(crate::storage::ObjectKey, Fixity)>,
    ) -> Result<()> {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for o in self.strategy.offers() {
            if let Ok(list) = o.list(&tombstones_prefix(&self.prefix)) {
                keys.extend(list.into_iter().map(|m| m.key.as_str().to_string()));
            }
        }
        for k in keys {
            let k = key(&k)?;
            if let Some(f) = self.doc_fixity(&k)? {
                expected.push((k, f));
            }
        }
        Ok(())
    }
}
