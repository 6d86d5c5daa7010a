//! Ingest dry run and rules computation: thin wrappers over `vas_core::api`.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use std::sync::Arc;

use crate::args;
use crate::errors::{IntoPyResult, to_pyerr};
use crate::json;
use crate::ops;
use crate::progress::PyProgress;

/// The verdict of `dry_run_ingest`.
#[pyclass(module = "vas", frozen, get_all)]
pub struct IngestCheck {
    /// True when the SIP is accepted (outcome `OK` or `WARNING`).
    accepted: bool,
    /// `"OK"`, `"WARNING"`, `"KO"` or `"FATAL"`.
    outcome: String,
    /// The outcome code, e.g. `"PROCESS_SIP_UNITARY.OK"` or the first KO's code.
    out_detail: String,
    /// The operation report as `vas ingest --dry-run --report` writes it (a `dict`:
    /// `evType`, `outcome`, `outDetail`, `events` [...], …).
    report: Py<PyAny>,
    /// The ArchiveTransferReply (XML text, in the SIP's SEDA version).
    atr: String,
}

#[pymethods]
impl IngestCheck {
    fn __bool__(&self) -> bool {
        self.accepted
    }

    fn __repr__(&self) -> String {
        format!(
            "<vas.IngestCheck {} {} accepted={}>",
            self.outcome,
            self.out_detail,
            if self.accepted { "True" } else { "False" }
        )
    }
}

fn str_field(v: &serde_json::Value, k: &str) -> String {
    v.get(k)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Runs Vitam's ingest controls on a SIP without storing anything (`vas ingest --dry-run`):
/// container, manifest, header, contracts and profiles (against the `referentials`
/// folder; `None` skips the checks that need one), rules, digests. A refused SIP is a
/// verdict (`accepted` false), not an exception; a missing SIP or referentials folder
/// raises `NotFoundError`. The GIL is released while checking. `progress`, if given, is
/// called with `(done, total)` bytes as the objects are read; an exception it raises
/// cancels the run and propagates.
#[pyfunction]
#[pyo3(signature = (sip, referentials = None, *, context = None, progress = None))]
pub fn dry_run_ingest(
    py: Python<'_>,
    sip: &Bound<'_, PyAny>,
    referentials: Option<&Bound<'_, PyAny>>,
    context: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<IngestCheck> {
    let sip = args::path(sip)?;
    let refs = referentials.map(args::path).transpose()?;
    let hook = PyProgress::new(progress);
    let cb = hook.as_ref().map(|h| {
        let h = Arc::clone(h);
        Arc::new(move |done: u64, total: u64| h.call(&[done, total])) as vas_core::ingest::Progress
    });
    let cancel = hook.as_ref().map(|h| Arc::clone(&h.cancel));
    let r = py.detach(|| {
        ops::dry_run_ingest_with_progress(&sip, refs.as_deref(), context.as_deref(), cb, cancel)
    });
    let r = match r {
        Ok(r) => r,
        Err(e) => return Err(PyProgress::raised(hook.as_ref()).unwrap_or_else(|| to_pyerr(py, e))),
    };
    Ok(IngestCheck {
        accepted: r.accepted,
        outcome: str_field(&r.report, "outcome"),
        out_detail: str_field(&r.report, "outDetail"),
        report: json::to_py(py, &r.report)?.unbind(),
        atr: r.atr,
    })
}

/// Computes the inherited management rules of every unit of a manifest (a path, its
/// bytes, or a SIP's units JSON file) against `referentials/rules.csv`, as
/// `vas rules compute --json` prints them: `{"units": [{"id", "title", "inheritedRules",
/// "management", "computedInheritedRules", "decisions"?}, …]}`. `unit` keeps one unit
/// (`NotFoundError` if absent); `at` (a `datetime.date` or `YYYY-MM-DD`) adds the
/// decisions at that date (communicability …). A rules error (unknown rule, wrong
/// category) raises `InvalidInputError` carrying Vitam's code.
#[pyfunction]
#[pyo3(signature = (referentials, source, *, unit = None, at = None))]
pub fn compute_rules<'py>(
    py: Python<'py>,
    referentials: &Bound<'py, PyAny>,
    source: &Bound<'py, PyAny>,
    unit: Option<String>,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let refs = args::path(referentials)?;
    let at = args::opt_date_text(at)?;
    let (path, bytes) = if args::is_path(source) {
        (Some(args::path(source)?), None)
    } else {
        (None, Some(args::bytes(source)?.into_owned()))
    };
    let opts = ops::RulesOptions { unit, at };
    let v = py
        .detach(|| {
            let input = match (&path, &bytes) {
                (Some(p), _) => ops::Input::Path(p),
                (None, Some(b)) => ops::Input::Bytes(b),
                (None, None) => ops::Input::Bytes(&[]),
            };
            ops::compute_rules(&refs, input, &opts)
        })
        .py_err(py)?;
    Ok(json::to_py(py, &v)?.cast_into::<PyDict>()?)
}

/// Registers the functions and classes of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<IngestCheck>()?;
    m.add_function(wrap_pyfunction!(dry_run_ingest, m)?)?;
    m.add_function(wrap_pyfunction!(compute_rules, m)?)?;
    Ok(())
}
