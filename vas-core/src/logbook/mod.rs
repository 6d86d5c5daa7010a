//! Logbooks: the operation logbook and the lifecycle logbooks of units and object groups,
//! with Vitam's event fields, hash-chained, verifiable and periodically secured.
//!
//! # Storage
//! A logbook is a directory of three append-only [hash chains](chain) (JSON Lines, one
//! fsync per append, see [`chain`] for the exact format and canonical hashing):
//! - `operations.jsonl`: one entry per operation ([`LogbookOperation`]: the operation event
//!   and its `events[]`), including the securing operations;
//! - `unit-lifecycles.jsonl` / `objectgroup-lifecycles.jsonl`: one entry per lifecycle
//!   batch ([`Lifecycle`]: the events one operation added to one unit or object group).
//!   The lifecycle of a unit is the concatenation of its batches, in chain order.
//!
//! # Securing
//! [`Logbook::secure`] seals, for each chain with new entries since its last seal, the range
//! of new entries into a new operation of the operation chain: `STP_OP_SECURISATION` for
//! operations, `LOGBOOK_UNIT_LFC_TRACEABILITY` and `LOGBOOK_OBJECTGROUP_LFC_TRACEABILITY`
//! for lifecycles (Vitam's names), `evTypeProc` `TRACEABILITY`. Its `evDetData` holds
//! `LogType`, `Chain`, `FirstSeq`, `LastSeq`, `FirstId`, `LastId`, `NumberOfElements`,
//! `StartDate`, `EndDate` (first/last `evDateTime`), `HeadHash` (the hash of entry
//! `LastSeq`), `Hash` (the [Merkle root](chain::merkle_root) of the range's entry hashes),
//! `DigestAlgorithm` `SHA-512`, `PreviousSecuringSeq`. A seal is itself chained, so it
//! anchors everything before it: [`Logbook::verify`] checks every seal against its chain,
//! which detects truncated or rewritten ranges that the chain alone could not.
//!
//! ```
//! use std::sync::Arc;
//! use vas_core::ids::{FixedClock, IdGenerator};
//! use vas_core::ingest::{Recorder, Status};
//! use vas_core::ingest::workflow::Workflow;
//! use vas_core::logbook::{Logbook, OperationContext};
//!
//! let mut rec = Recorder::new(Workflow::blank_test());
//! rec.begin_step("STP_INGEST_CONTROL_SIP");
//! rec.action("CHECK_SEDA", Status::Ok, None, None);
//! rec.end_step();
//! let report = rec.finish();
//!
//! let dir = tempfile::tempdir().unwrap();
//! let ids = IdGenerator::deterministic(0, 7, Arc::new(FixedClock::new(1_700_000_000_000)));
//! let mut logbook = Logbook::open(dir.path()).unwrap();
//! let op = logbook.record_report(&report, &OperationContext::new(&ids, "INGEST_TEST")).unwrap();
//! assert_eq!(op.event.ev_type, report.ev_type);
//! assert_eq!(logbook.operation(&op.event.ev_id_proc).unwrap(), op);
//! let seals = logbook.secure(&ids).unwrap();
//! assert_eq!(seals[0].event.ev_type, "STP_OP_SECURISATION");
//! assert!(logbook.verify().unwrap().is_ok());
//! ```

pub mod chain;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};
use crate::ids::{IdGenerator, IdKind, format_ms};
use crate::ingest::report::Report;

use chain::{Chain, ChainEntry, ChainHead, Issue, IssueKind, VerifyReport};

/// One logbook event, with Vitam's field names (`LogbookMongoDbName`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LogbookEvent {
    /// Event id.
    #[serde(rename = "evId")]
    pub ev_id: String,
    /// Parent event id (the operation for a step, the step for an action).
    #[serde(rename = "evParentId", default)]
    pub ev_parent_id: Option<String>,
    /// Event type: `PROCESS_SIP_UNITARY`, `CHECK_DIGEST`, `LFC.CHECK_DIGEST` …
    #[serde(rename = "evType")]
    pub ev_type: String,
    /// When, UTC, `YYYY-MM-DDTHH:MM:SS.mmm`.
    #[serde(rename = "evDateTime")]
    pub ev_date_time: String,
    /// The operation id.
    #[serde(rename = "evIdProc")]
    pub ev_id_proc: String,
    /// The process type (`INGEST`, `TRACEABILITY`, `ELIMINATION` …).
    #[serde(rename = "evTypeProc")]
    pub ev_type_proc: String,
    /// `STARTED`, `OK`, `WARNING`, `KO`, `FATAL`.
    pub outcome: String,
    /// `<evType>[.<subcode>].<outcome>`.
    #[serde(rename = "outDetail")]
    pub out_detail: String,
    /// The label.
    #[serde(rename = "outMessg")]
    pub out_messg: String,
    /// Technical detail.
    #[serde(rename = "evDetData", default)]
    pub ev_det_data: Option<Value>,
    /// Agent (the software).
    #[serde(rename = "agId", default)]
    pub ag_id: Option<Value>,
    /// Application agent.
    #[serde(rename = "agIdApp", default)]
    pub ag_id_app: Option<String>,
    /// External agents (originating and submission agencies).
    #[serde(rename = "agIdExt", default)]
    pub ag_id_ext: Option<Value>,
    /// Request id.
    #[serde(rename = "evIdReq", default)]
    pub ev_id_req: Option<String>,
    /// Contracts used.
    #[serde(rename = "rightsStatementIdentifier", default)]
    pub rights_statement_identifier: Option<Value>,
    /// Object concerned (a unit or group id in lifecycles).
    #[serde(rename = "obId", default)]
    pub ob_id: Option<String>,
    /// Object request.
    #[serde(rename = "obIdReq", default)]
    pub ob_id_req: Option<String>,
    /// External object id (the SIP's `MessageIdentifier`).
    #[serde(rename = "obIdIn", default)]
    pub ob_id_in: Option<String>,
}

/// An operation: its own event, and the step and action events.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LogbookOperation {
    /// The operation event (`evId = evIdProc` = the operation id).
    #[serde(flatten)]
    pub event: LogbookEvent,
    /// Steps and actions, in order.
    #[serde(default)]
    pub events: Vec<LogbookEvent>,
    /// Tenant.
    #[serde(rename = "#tenant", default)]
    pub tenant: u32,
}

/// Unit or object group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LifecycleKind {
    /// `LogbookLifeCycleUnit`.
    #[serde(rename = "UNIT")]
    Unit,
    /// `LogbookLifeCycleObjectGroup`.
    #[serde(rename = "OBJECTGROUP")]
    ObjectGroup,
}

/// The lifecycle events one operation added to one unit or object group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// The unit or group's system id.
    #[serde(rename = "#id")]
    pub id: String,
    /// Which.
    pub kind: LifecycleKind,
    /// `LFC.`-prefixed events, each with `obId` = `id` and `evIdProc` = the operation.
    pub events: Vec<LogbookEvent>,
}

/// What an operation's record needs besides a report.
#[derive(Debug)]
pub struct OperationContext<'a> {
    /// Makes the operation and event ids; its clock dates the events.
    pub ids: &'a IdGenerator,
    /// `evTypeProc` (`INGEST`, `INGEST_TEST` …).
    pub type_proc: String,
    /// The operation id, if already allocated (else a new one).
    pub operation_id: Option<String>,
    /// `agIdExt` (originating/submission agencies).
    pub ag_id_ext: Option<Value>,
    /// `rightsStatementIdentifier` (contracts).
    pub rights_statement_identifier: Option<Value>,
    /// `obIdIn` (the SIP's `MessageIdentifier`).
    pub ob_id_in: Option<String>,
    /// Manifest identifier → system id, for the lifecycles (unmapped ids are kept).
    pub system_ids: BTreeMap<String, String>,
}

impl<'a> OperationContext<'a> {
    /// A context with only ids and process type.
    pub fn new(ids: &'a IdGenerator, type_proc: impl Into<String>) -> OperationContext<'a> {
        OperationContext {
            ids,
            type_proc: type_proc.into(),
            operation_id: None,
            ag_id_ext: None,
            rights_statement_identifier: None,
            ob_id_in: None,
            system_ids: BTreeMap::new(),
        }
    }
}

fn status_str(s: crate::ingest::Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| s.to_string())
}

/// Turns an ingest [`Report`] into an operation and its lifecycle batches.
///
/// Steps (`STP_…` events) get the operation as `evParentId`; an action gets the step that
/// closes it (the next `STP_…` event in the report's order). Every event is dated by the
/// context's clock when the record is made (a report carries no times), gets a new event id,
/// and the operation's id as `evIdProc`; lifecycle events also get `obId` = the unit's or
/// group's system id (mapped through `system_ids`).
pub fn from_report(
    report: &Report,
    ctx: &OperationContext<'_>,
) -> (LogbookOperation, Vec<Lifecycle>) {
    let now = format_ms(ctx.ids.clock().now_ms());
    let op_id = ctx
        .operation_id
        .clone()
        .unwrap_or_else(|| ctx.ids.generate_string(IdKind::Operation));
    let base =
        |ev_type: &str, outcome: String, out_detail: &str, out_messg: &str, det: Option<Value>| {
            LogbookEvent {
                ev_id: ctx.ids.generate_string(IdKind::Event),
                ev_parent_id: None,
                ev_type: ev_type.to_string(),
                ev_date_time: now.clone(),
                ev_id_proc: op_id.clone(),
                ev_type_proc: ctx.type_proc.clone(),
                outcome,
                out_detail: out_detail.to_string(),
                out_messg: out_messg.to_string(),
                ev_det_data: det,
                ..Default::default()
            }
        };
    let mut top = base(
        &report.ev_type,
        status_str(report.outcome),
        &report.out_detail,
        &report.out_messg,
        None,
    );
    top.ev_id = op_id.clone();
    top.ag_id_ext = ctx.ag_id_ext.clone();
    top.rights_statement_identifier = ctx.rights_statement_identifier.clone();
    top.ob_id_in = ctx.ob_id_in.clone();
    top.ag_id = Some(json!({"Name": "vas", "Version": crate::VERSION}));
    let mut events: Vec<LogbookEvent> = report
        .events
        .iter()
        .map(|e| {
            base(
                &e.ev_type,
                status_str(e.outcome),
                &e.out_detail,
                &e.out_messg,
                e.ev_det_data.clone(),
            )
        })
        .collect();
    let mut step: Option<String> = None;
    for e in events.iter_mut().rev() {
        if e.ev_type.starts_with("STP_") {
            e.ev_parent_id = Some(op_id.clone());
            step = Some(e.ev_id.clone());
        } else {
            e.ev_parent_id = Some(step.clone().unwrap_or_else(|| op_id.clone()));
        }
    }
    let mut lifecycles = Vec::new();
    for (kind, map) in [
        (LifecycleKind::Unit, &report.lifecycles.units),
        (LifecycleKind::ObjectGroup, &report.lifecycles.object_groups),
    ] {
        for (mid, evs) in map {
            let id = ctx
                .system_ids
                .get(mid)
                .cloned()
                .unwrap_or_else(|| mid.clone());
            let events = evs
                .iter()
                .map(|e| {
                    let mut le = base(
                        &e.ev_type,
                        status_str(e.outcome),
                        &e.out_detail,
                        &e.out_messg,
                        e.ev_det_data.clone(),
                    );
                    le.ob_id = Some(id.clone());
                    le.ev_parent_id = None;
                    le
                })
                .collect();
            lifecycles.push(Lifecycle { id, kind, events });
        }
    }
    (
        LogbookOperation {
            event: top,
            events: std::mem::take(&mut events),
            tenant: u32::from(ctx.ids.tenant()),
        },
        lifecycles,
    )
}

/// The verification of a whole logbook.
#[derive(Debug, Clone, Serialize)]
pub struct LogbookVerification {
    /// Per chain (`operations`, `unit-lifecycles`, `objectgroup-lifecycles`).
    pub chains: BTreeMap<String, VerifyReport>,
    /// Seals that do not match their chain (`AnchorMismatch` issues, with the seal's chain).
    pub seals: Vec<(String, Issue)>,
    /// Number of seals checked.
    pub seals_checked: u64,
}

impl LogbookVerification {
    /// No issue anywhere.
    pub fn is_ok(&self) -> bool {
        self.seals.is_empty() && self.chains.values().all(VerifyReport::is_ok)
    }
}

const CHAINS: [(&str, &str, &str); 3] = [
    ("operations", "OPERATION", "STP_OP_SECURISATION"),
    (
        "unit-lifecycles",
        "UNIT_LIFECYCLE",
        "LOGBOOK_UNIT_LFC_TRACEABILITY",
    ),
    (
        "objectgroup-lifecycles",
        "OBJECTGROUP_LIFECYCLE",
        "LOGBOOK_OBJECTGROUP_LFC_TRACEABILITY",
    ),
];

/// A logbook directory (see the [module documentation](self)).
#[derive(Debug)]
pub struct Logbook {
    dir: PathBuf,
    operations: Chain,
    units: Chain,
    groups: Chain,
}

impl Logbook {
    /// Opens (creating) the logbook in `dir`; torn tails are repaired (see [`Logbook::recovered`]).
    pub fn open(dir: impl AsRef<Path>) -> Result<Logbook> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| Error::from(e).or_path(&dir))?;
        Ok(Logbook {
            operations: Chain::open(dir.join("operations.jsonl"))?,
            units: Chain::open(dir.join("unit-lifecycles.jsonl"))?,
            groups: Chain::open(dir.join("objectgroup-lifecycles.jsonl"))?,
            dir,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Torn tails removed on open, per chain name.
    pub fn recovered(&self) -> Vec<(&'static str, &chain::TornTail)> {
        [
            ("operations", &self.operations),
            ("unit-lifecycles", &self.units),
            ("objectgroup-lifecycles", &self.groups),
        ]
        .into_iter()
        .filter_map(|(n, c)| c.recovered().map(|t| (n, t)))
        .collect()
    }

    fn chain(&self, name: &str) -> &Chain {
        match name {
            "operations" => &self.operations,
            "unit-lifecycles" => &self.units,
            _ => &self.groups,
        }
    }

    /// Appends an operation.
    pub fn append_operation(&mut self, op: &LogbookOperation) -> Result<ChainEntry> {
        if op.event.ev_id_proc.is_empty() {
            return Err(Error::invalid("operation without evIdProc"));
        }
        let v = serde_json::to_value(op).map_err(|e| Error::internal(e.to_string()))?;
        self.operations.append(&v)
    }

    /// Appends a lifecycle batch.
    pub fn append_lifecycle(&mut self, lc: &Lifecycle) -> Result<ChainEntry> {
        let v = serde_json::to_value(lc).map_err(|e| Error::internal(e.to_string()))?;
        match lc.kind {
            LifecycleKind::Unit => self.units.append(&v),
            LifecycleKind::ObjectGroup => self.groups.append(&v),
        }
    }

    /// Appends lifecycle batches (units and groups in their own chains), with one write and
    /// one fsync per chain instead of one per batch.
    pub fn append_lifecycles(&mut self, lcs: &[Lifecycle]) -> Result<()> {
        let c = Logbook::canonical_lifecycles(lcs)?;
        self.append_canonical_lifecycles(&c)
    }

    /// The canonical texts of lifecycle batches, computed on every core (it is most of the
    /// cost of appending them, and needs no lock on the logbook): `(units, groups)`, each
    /// in the order of `lcs`.
    pub(crate) fn canonical_lifecycles(lcs: &[Lifecycle]) -> Result<(Vec<String>, Vec<String>)> {
        use rayon::prelude::*;
        let texts: Vec<String> = lcs
            .par_iter()
            .map(|lc| {
                serde_json::to_value(lc)
                    .map(|v| chain::canonical_json(&v))
                    .map_err(|e| Error::internal(e.to_string()))
            })
            .collect::<Result<_>>()?;
        let mut units = Vec::new();
        let mut groups = Vec::new();
        for (lc, t) in lcs.iter().zip(texts) {
            match lc.kind {
                LifecycleKind::Unit => units.push(t),
                LifecycleKind::ObjectGroup => groups.push(t),
            }
        }
        Ok((units, groups))
    }

    /// Appends lifecycle batches made by [`Logbook::canonical_lifecycles`]: one write and
    /// one fsync per chain (groups, then units).
    pub(crate) fn append_canonical_lifecycles(
        &mut self,
        (units, groups): &(Vec<String>, Vec<String>),
    ) -> Result<()> {
        self.groups.append_all_canonical(groups)?;
        self.units.append_all_canonical(units)?;
        Ok(())
    }

    /// The `(system id, operation)` of every lifecycle batch of `kind` in the logbook, with
    /// how many times it was written (more than once is a duplicate: see
    /// [`duplicate_lifecycles`](Self::duplicate_lifecycles)).
    pub fn lifecycle_batches(
        &self,
        kind: LifecycleKind,
    ) -> Result<BTreeMap<(String, String), u32>> {
        let chain = match kind {
            LifecycleKind::Unit => &self.units,
            LifecycleKind::ObjectGroup => &self.groups,
        };
        let mut out: BTreeMap<(String, String), u32> = BTreeMap::new();
        for e in chain.entries()? {
            let id = e.entry.get("#id").and_then(Value::as_str).unwrap_or("");
            let op = e.entry["events"][0]
                .get("evIdProc")
                .and_then(Value::as_str)
                .unwrap_or("");
            *out.entry((id.to_string(), op.to_string())).or_default() += 1;
        }
        Ok(out)
    }

    /// Lifecycle batches written more than once for the same unit or group and operation
    /// (e.g. by a recovery that did not see they were already there): `(kind, id, operation,
    /// times)`.
    pub fn duplicate_lifecycles(&self) -> Result<Vec<(LifecycleKind, String, String, u32)>> {
        let mut out = Vec::new();
        for kind in [LifecycleKind::Unit, LifecycleKind::ObjectGroup] {
            for ((id, op), n) in self.lifecycle_batches(kind)? {
                if n > 1 {
                    out.push((kind, id, op, n));
                }
            }
        }
        Ok(out)
    }

    /// Records an ingest report: lifecycles first, then the operation (the commit point).
    pub fn record_report(
        &mut self,
        report: &Report,
        ctx: &OperationContext<'_>,
    ) -> Result<LogbookOperation> {
        let (op, lcs) = from_report(report, ctx);
        for lc in &lcs {
            self.append_lifecycle(lc)?;
        }
        self.append_operation(&op)?;
        Ok(op)
    }

    /// Every operation, in order (entries that do not read as operations are `Corrupt`).
    pub fn operations(&self) -> Result<Vec<LogbookOperation>> {
        self.operations
            .entries()?
            .into_iter()
            .map(|e| {
                serde_json::from_value(e.entry).map_err(|x| {
                    Error::new(
                        ErrorKind::Corrupt,
                        format!("operation entry seq {}: {x}", e.seq),
                    )
                    .with_path(self.operations.path())
                })
            })
            .collect()
    }

    /// One operation by id.
    pub fn operation(&self, id: &str) -> Result<LogbookOperation> {
        self.operations()?
            .into_iter()
            .find(|o| o.event.ev_id_proc == id)
            .ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("no operation {id:?}")).with_id(id)
            })
    }

    /// The lifecycle of a unit or object group: all its events, in order.
    pub fn lifecycle(&self, kind: LifecycleKind, id: &str) -> Result<Vec<LogbookEvent>> {
        let chain = match kind {
            LifecycleKind::Unit => &self.units,
            LifecycleKind::ObjectGroup => &self.groups,
        };
        let mut out = Vec::new();
        for e in chain.entries()? {
            if e.entry.get("#id").and_then(Value::as_str) != Some(id) {
                continue;
            }
            let lc: Lifecycle = serde_json::from_value(e.entry).map_err(|x| {
                Error::new(
                    ErrorKind::Corrupt,
                    format!("lifecycle entry seq {}: {x}", e.seq),
                )
                .with_path(chain.path())
            })?;
            out.extend(lc.events);
        }
        Ok(out)
    }

    /// Verifies the three chains and every seal.
    pub fn verify(&self) -> Result<LogbookVerification> {
        let mut chains = BTreeMap::new();
        let mut entries = BTreeMap::new();
        for (name, _, _) in CHAINS {
            let c = self.chain(name);
            chains.insert(name.to_string(), chain::verify_file(c.path())?);
            entries.insert(name, chain::read_entries(c.path())?);
        }
        let mut seals = Vec::new();
        let mut checked = 0;
        for e in &entries["operations"] {
            let Some(d) = seal_data(&e.entry) else {
                continue;
            };
            checked += 1;
            let name = d.get("Chain").and_then(Value::as_str).unwrap_or("");
            let Some(target) = entries.get(name) else {
                seals.push((
                    name.to_string(),
                    Issue {
                        position: e.seq,
                        seq: Some(e.seq),
                        kind: IssueKind::AnchorMismatch,
                        detail: format!("seal names an unknown chain {name:?}"),
                    },
                ));
                continue;
            };
            let first = d.get("FirstSeq").and_then(Value::as_u64).unwrap_or(0);
            let last = d.get("LastSeq").and_then(Value::as_u64).unwrap_or(0);
            if first > last {
                seals.push((
                    name.to_string(),
                    Issue {
                        position: e.seq,
                        seq: Some(e.seq),
                        kind: IssueKind::AnchorMismatch,
                        detail: format!("seal in operation seq {} has an empty range", e.seq),
                    },
                ));
                continue;
            }
            let head = ChainHead {
                count: last.saturating_add(1),
                hash: d
                    .get("HeadHash")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            };
            if let Some(issue) = chain::check_anchor(target, &head) {
                seals.push((name.to_string(), issue));
                continue;
            }
            let hashes = range_hashes(target, first, last);
            let root = hashes.as_deref().map(chain::merkle_root);
            if root.as_deref() != d.get("Hash").and_then(Value::as_str) {
                seals.push((
                    name.to_string(),
                    Issue {
                        position: first,
                        seq: Some(first),
                        kind: IssueKind::AnchorMismatch,
                        detail: format!(
                            "entries seq {first}..={last} no longer match the seal in operation seq {}",
                            e.seq
                        ),
                    },
                ));
            }
        }
        Ok(LogbookVerification {
            chains,
            seals,
            seals_checked: checked,
        })
    }

    /// Seals every chain's new entries (see the module docs); returns the seal operations
    /// appended (none if nothing changed since the last seals).
    pub fn secure(&mut self, ids: &IdGenerator) -> Result<Vec<LogbookOperation>> {
        let mut out = Vec::new();
        let ops = chain::read_entries(self.operations.path())?;
        for (name, log_type, ev_type) in CHAINS {
            let previous = ops
                .iter()
                .filter_map(|e| seal_data(&e.entry))
                .filter(|d| d.get("Chain").and_then(Value::as_str) == Some(name))
                .filter_map(|d| d.get("LastSeq").and_then(Value::as_u64))
                .max();
            let entries = if name == "operations" {
                ops.clone()
            } else {
                chain::read_entries(self.chain(name).path())?
            };
            let first = previous.map_or(0, |p| p + 1);
            let head = self.chain(name).head().clone();
            if head.count == 0 || head.count <= first {
                continue;
            }
            let last = head.count - 1;
            let Some(hashes) = range_hashes(&entries, first, last) else {
                return Err(Error::new(
                    ErrorKind::Integrity,
                    format!(
                        "chain {name} has gaps between seq {first} and {last}: verify it before securing"
                    ),
                ));
            };
            let in_range: Vec<&ChainEntry> = entries
                .iter()
                .filter(|e| e.seq >= first && e.seq <= last)
                .collect();
            let id_of = |e: &ChainEntry| {
                e.entry
                    .get("evIdProc")
                    .or_else(|| e.entry.get("#id"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let date_of = |e: &ChainEntry| {
                e.entry
                    .get("evDateTime")
                    .or_else(|| e.entry.pointer("/events/0/evDateTime"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let now = format_ms(ids.clock().now_ms());
            let op_id = ids.generate_string(IdKind::Operation);
            let det = json!({
                "LogType": log_type,
                "Chain": name,
                "FirstSeq": first,
                "LastSeq": last,
                "FirstId": in_range.first().and_then(|e| id_of(e)),
                "LastId": in_range.last().and_then(|e| id_of(e)),
                "NumberOfElements": last - first + 1,
                "StartDate": in_range.first().and_then(|e| date_of(e)),
                "EndDate": in_range.last().and_then(|e| date_of(e)),
                "HeadHash": head.hash,
                "Hash": chain::merkle_root(&hashes),
                "DigestAlgorithm": "SHA-512",
                "PreviousSecuringSeq": previous,
                "SecurisationVersion": "vas-1",
            });
            let event = LogbookEvent {
                ev_id: op_id.clone(),
                ev_type: ev_type.to_string(),
                ev_date_time: now,
                ev_id_proc: op_id.clone(),
                ev_type_proc: "TRACEABILITY".into(),
                outcome: "OK".into(),
                out_detail: format!("{ev_type}.OK"),
                out_messg: "Succès de la sécurisation du journal".into(),
                ev_det_data: Some(det),
                ag_id: Some(json!({"Name": "vas", "Version": crate::VERSION})),
                ..Default::default()
            };
            let op = LogbookOperation {
                event,
                events: Vec::new(),
                tenant: u32::from(ids.tenant()),
            };
            self.append_operation(&op)?;
            out.push(op);
        }
        Ok(out)
    }

    /// The current heads of the three chains (to keep as external anchors).
    pub fn heads(&self) -> BTreeMap<&'static str, ChainHead> {
        CHAINS
            .iter()
            .map(|(n, _, _)| (*n, self.chain(n).head().clone()))
            .collect()
    }
}

fn seal_data(entry: &Value) -> Option<&Value> {
    let t = entry.get("evType").and_then(Value::as_str)?;
    if CHAINS.iter().any(|(_, _, ev)| *ev == t) {
        entry.get("evDetData")
    } else {
        None
    }
}

/// The hashes of entries `first..=last` (exactly one each, in seq order), or None.
fn range_hashes(entries: &[ChainEntry], first: u64, last: u64) -> Option<Vec<String>> {
    if first > last {
        return None;
    }
    let mut by: BTreeMap<u64, &ChainEntry> = BTreeMap::new();
    for e in entries {
        if e.seq >= first && e.seq <= last && by.insert(e.seq, e).is_some() {
            return None;
        }
    }
    if by.len() as u64 != (last - first).saturating_add(1) {
        return None;
    }
    Some(by.values().map(|e| e.hash.clone()).collect())
}
