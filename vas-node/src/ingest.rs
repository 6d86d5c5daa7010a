//! Ingest dry run and rules computation: thin wrappers over `vas_core::api::dry_run_ingest`
//! and `vas_core::api::compute_rules`. JSON results become plain JavaScript objects.

use std::path::{Path, PathBuf};

use napi::Env;
use napi::bindgen_prelude::*;
use serde_json::Value;

use crate::errors::IntoJsResult;
use crate::json::Json;
use crate::ops;
use crate::task::VasTask;

/// One event of an operation report (Vitam's logbook fields). Type only: reports are
/// plain objects.
#[napi(object, object_from_js = false)]
pub struct ReportEvent {
    /// Step, action or `ACTION.SUBTASK`, e.g. `CHECK_HEADER.CHECK_AGENT`.
    pub ev_type: String,
    /// `OK`, `WARNING`, `KO`, `FATAL`.
    pub outcome: String,
    /// `<evType>[.<subcode>].<outcome>`, e.g. `CHECK_DIGEST.INVALID.KO`.
    pub out_detail: String,
    /// Vitam's French label.
    pub out_messg: String,
    /// Technical detail, or null.
    #[napi(ts_type = "any")]
    pub ev_det_data: Value,
}

/// An operation report, as `vas ingest --report` writes it. Type only.
#[napi(object, object_from_js = false)]
pub struct OperationReport {
    /// `PROCESS_SIP_UNITARY` (`PROCESS_SIP_UNITARY_TEST` for a dry run).
    pub ev_type: String,
    /// The final status: `OK`, `WARNING`, `KO`, `FATAL`.
    pub outcome: String,
    /// `<evType>.<outcome>`.
    pub out_detail: String,
    /// Vitam's label of the final status.
    pub out_messg: String,
    /// Step and action events, in execution order.
    pub events: Vec<ReportEvent>,
    /// Lifecycle events per unit and object group (by manifest id).
    #[napi(
        ts_type = "{ units: Record<string, ReportEvent[]>; objectGroups: Record<string, ReportEvent[]> }"
    )]
    pub lifecycles: Value,
}

/// The result of `dryRunIngest`.
#[napi(object)]
pub struct DryRunResult {
    /// The SIP would be accepted (`OK` or `WARNING`).
    pub accepted: bool,
    /// The operation report.
    #[napi(ts_type = "OperationReport")]
    pub report: Value,
    /// The ArchiveTransferReply (XML, in the SIP's SEDA version).
    pub atr: String,
}

/// Options of `dryRunIngest`.
#[napi(object)]
#[derive(Default)]
pub struct DryRunOptions {
    /// A referentials folder (rules, agencies, contracts, profiles …); without it the
    /// checks that need one are skipped.
    pub referentials: Option<String>,
    /// The ingest context (Vitam's `X-Context-Id`), e.g. `DEFAULT_WORKFLOW`.
    pub context: Option<String>,
}

fn dry_run(sip: &Path, o: &DryRunOptions) -> vas_core::Result<DryRunResult> {
    let r = ops::dry_run_ingest(
        sip,
        o.referentials.as_deref().map(Path::new),
        o.context.as_deref(),
    )?;
    Ok(DryRunResult {
        accepted: r.accepted,
        report: r.report,
        atr: r.atr,
    })
}

/// Runs Vitam's ingest controls on a SIP without storing anything (`vas ingest
/// --dry-run`). A refused SIP resolves with `accepted: false` (the report says why);
/// an unreadable file or referentials folder rejects.
#[napi(ts_return_type = "Promise<DryRunResult>", catch_unwind)]
pub fn dry_run_ingest(
    sip: String,
    options: Option<DryRunOptions>,
) -> AsyncTask<VasTask<DryRunResult>> {
    let o = options.unwrap_or_default();
    AsyncTask::new(VasTask::new(move || dry_run(Path::new(&sip), &o)))
}

/// `dryRunIngest` on the calling thread.
#[napi(catch_unwind)]
pub fn dry_run_ingest_sync(
    env: Env,
    sip: String,
    options: Option<DryRunOptions>,
) -> Result<DryRunResult> {
    dry_run(Path::new(&sip), &options.unwrap_or_default()).js_err(&env)
}

/// The rules of one unit, as `vas rules compute --json` prints them. Type only.
#[napi(object, object_from_js = false)]
pub struct UnitRules {
    /// The unit's manifest id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Vitam's `InheritedRules` (per category: rules with their origin and end date).
    #[napi(ts_type = "Record<string, any>")]
    pub inherited_rules: Value,
    /// The unit's own `Management` block.
    #[napi(ts_type = "Record<string, any>")]
    pub management: Value,
    /// Vitam's `computedInheritedRules` (max end dates, final actions …).
    #[napi(ts_type = "Record<string, any>")]
    pub computed_inherited_rules: Value,
    /// With `at`: communicable, disseminable, reusable, under hold, classification.
    #[napi(ts_type = "Record<string, any> | undefined")]
    pub decisions: Value,
}

/// The result of `computeRules`. Type only.
#[napi(object, object_from_js = false)]
pub struct RulesResult {
    /// Every unit (or the one asked for).
    pub units: Vec<UnitRules>,
}

/// Options of `computeRules`.
#[napi(object)]
#[derive(Default)]
pub struct RulesOptions {
    /// Only this unit (its manifest id); unknown → `VAS_NOT_FOUND`.
    pub unit: Option<String>,
    /// Also the decisions at this date (`YYYY-MM-DD`).
    pub at: Option<String>,
}

enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

fn rules(refs: &Path, src: &Source, o: &ops::RulesOptions) -> vas_core::Result<Value> {
    let input = match src {
        Source::Path(p) => ops::Input::Path(p),
        Source::Bytes(b) => ops::Input::Bytes(b),
    };
    ops::compute_rules(refs, input, o)
}

fn rules_args(
    input: Either<String, Buffer>,
    options: Option<RulesOptions>,
) -> (Source, ops::RulesOptions) {
    let src = match input {
        Either::A(p) => Source::Path(PathBuf::from(p)),
        Either::B(b) => Source::Bytes(b.to_vec()),
    };
    let o = options.unwrap_or_default();
    (
        src,
        ops::RulesOptions {
            unit: o.unit,
            at: o.at,
        },
    )
}

/// Computes the inherited management rules of every unit of a manifest, a SIP, or a
/// units JSON file (a path), or of a manifest's content (a Buffer), against
/// `referentials/rules.csv` (`vas rules compute --json`). A rules error (unknown rule,
/// wrong category …) rejects with `VAS_INVALID_INPUT` and the Vitam code in `outcomeCode`.
#[napi(ts_return_type = "Promise<RulesResult>", catch_unwind)]
pub fn compute_rules(
    referentials: String,
    input: Either<String, Buffer>,
    options: Option<RulesOptions>,
) -> AsyncTask<VasTask<Json>> {
    let (src, o) = rules_args(input, options);
    AsyncTask::new(VasTask::new(move || {
        rules(Path::new(&referentials), &src, &o).map(Json)
    }))
}

/// `computeRules` on the calling thread.
#[napi(ts_return_type = "RulesResult", catch_unwind)]
pub fn compute_rules_sync(
    env: Env,
    referentials: String,
    input: Either<String, Buffer>,
    options: Option<RulesOptions>,
) -> Result<crate::json::Json> {
    let (src, o) = rules_args(input, options);
    rules(Path::new(&referentials), &src, &o)
        .map(crate::json::Json)
        .js_err(&env)
}
