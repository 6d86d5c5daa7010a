//! The operation report, shaped like Vitam's operation logbook, and the recorder that builds it.
//!
//! A report is `{"evType":"PROCESS_SIP_UNITARY","outcome":…,"outDetail":…,"outMessg":…,
//! "events":[{"evType","outcome","outDetail","outMessg","evDetData"},…],"lifecycles":{…}}`:
//! one event per action (and per sub-task, e.g. `CHECK_HEADER.CHECK_AGENT`), then one per step
//! closing it, in execution order, as in Vitam's logbook; per-unit and per-object-group
//! lifecycle events under `lifecycles`.
//!
//! The [`Recorder`] applies Vitam's status rules: an action's outcome is the worst of its items;
//! a step's outcome is the worst of its actions; a KO or FATAL from a blocking action stops the
//! step and every following blocking step; the `FINALLY` step always runs.
//!
//! ```
//! use vas_core::ingest::{Recorder, Status};
//! use vas_core::ingest::workflow::Workflow;
//!
//! let mut rec = Recorder::new(Workflow::blank_test());
//! rec.begin_step("STP_INGEST_CONTROL_SIP");
//! rec.action("CHECK_SEDA", Status::Ko, Some("NOT_XSD_VALID"), None);
//! assert!(rec.is_stopped());
//! rec.end_step();
//! let report = rec.finish();
//! assert_eq!(report.outcome, Status::Ko);
//! assert_eq!(report.out_detail, "PROCESS_SIP_UNITARY_TEST.KO");
//! assert!(report.out_details().contains(&"CHECK_SEDA.NOT_XSD_VALID.KO"));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Status;
use super::codes;
use super::workflow::{ActionBehavior, StepBehavior, Workflow};

/// One logbook event.
///
/// The fields are declared in the order of their JSON names, so that serialising the
/// event directly gives the bytes of its [`serde_json::Value`] form (whose keys are sorted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Technical detail (which object, which digest, which cycle), or null.
    #[serde(rename = "evDetData")]
    pub ev_det_data: Option<serde_json::Value>,
    /// Event type: a step, an action, `ACTION.SUBTASK`, or an `LFC.`-prefixed lifecycle key.
    #[serde(rename = "evType")]
    pub ev_type: String,
    /// `<KEY>[.<SUBCODE>].<STATUS>`, e.g. `CHECK_HEADER.CHECK_AGENT.UNKNOWN.KO`.
    #[serde(rename = "outDetail")]
    pub out_detail: String,
    /// Vitam's French label of `outDetail`, plus `Detail= …` counts for distributed actions.
    #[serde(rename = "outMessg")]
    pub out_messg: String,
    /// Outcome.
    pub outcome: Status,
}

impl Event {
    /// A new event; `outMessg` is looked up in Vitam's catalogue.
    pub fn new(
        ev_type: impl Into<String>,
        outcome: Status,
        subcode: Option<&str>,
        detail: Option<serde_json::Value>,
    ) -> Event {
        let ev_type = ev_type.into();
        let out_detail = out_detail(&ev_type, subcode, outcome);
        let out_messg = message(&ev_type, &out_detail, outcome);
        Event {
            ev_type,
            outcome,
            out_detail,
            out_messg,
            ev_det_data: detail,
        }
    }
}

/// `KEY[.SUBCODE].STATUS`.
pub fn out_detail(ev_type: &str, subcode: Option<&str>, outcome: Status) -> String {
    match subcode {
        Some(s) if !s.is_empty() => format!("{ev_type}.{s}.{outcome}"),
        _ => format!("{ev_type}.{outcome}"),
    }
}

fn message(ev_type: &str, out_detail: &str, outcome: Status) -> String {
    codes::label(out_detail)
        .or_else(|| codes::label(&format!("{ev_type}.{outcome}")))
        .or_else(|| codes::label(ev_type))
        .unwrap_or(out_detail)
        .to_string()
}

/// Lifecycle events per unit and per object group, keyed by manifest identifier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycles {
    /// Per object group.
    #[serde(rename = "objectGroups")]
    pub object_groups: BTreeMap<String, Vec<Event>>,
    /// Per archive unit.
    pub units: BTreeMap<String, Vec<Event>>,
}

/// The result of an ingest (or dry run): the operation event and every step/action event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `PROCESS_SIP_UNITARY` (or `PROCESS_SIP_UNITARY_TEST` for a dry run).
    #[serde(rename = "evType")]
    pub ev_type: String,
    /// Step and action events in execution order.
    pub events: Vec<Event>,
    /// Per-unit and per-group lifecycle events.
    pub lifecycles: Lifecycles,
    /// `PROCESS_SIP_UNITARY.<STATUS>`.
    #[serde(rename = "outDetail")]
    pub out_detail: String,
    /// Vitam's label of the final status.
    #[serde(rename = "outMessg")]
    pub out_messg: String,
    /// The final status.
    pub outcome: Status,
}

impl Report {
    /// Every `outDetail`, in order (operation last).
    pub fn out_details(&self) -> Vec<&str> {
        self.events
            .iter()
            .map(|e| e.out_detail.as_str())
            .chain(std::iter::once(self.out_detail.as_str()))
            .collect()
    }

    /// The last event of this type.
    pub fn event(&self, ev_type: &str) -> Option<&Event> {
        self.events.iter().rev().find(|e| e.ev_type == ev_type)
    }

    /// Events that are not OK (warnings and failures), in order.
    pub fn problems(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| e.outcome > Status::Ok)
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Writes the report as indented JSON, event by event, without building its
    /// [`serde_json::Value`] first: the bytes are those of
    /// `serde_json::to_vec_pretty(&report.to_json())` (keys sorted), at a fraction of the
    /// memory for a SIP of many units.
    ///
    /// ```
    /// use vas_core::ingest::{Event, Recorder, Status, workflow::Workflow};
    /// let mut rec = Recorder::new(Workflow::default_ingest());
    /// rec.begin_step("STP_UPLOAD_SIP");
    /// rec.action("UPLOAD_SIP", Status::Ok, None, None);
    /// rec.end_step();
    /// rec.unit_lifecycle("U1", Event::new("LFC.CHECK_UNIT", Status::Ok, None, None));
    /// let report = rec.finish();
    /// let mut out = Vec::new();
    /// report.write_json(&mut out)?;
    /// assert_eq!(out, serde_json::to_vec_pretty(&report.to_json()).unwrap());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn write_json<W: std::io::Write>(&self, w: W) -> crate::Result<()> {
        serde_json::to_writer_pretty(w, self).map_err(|e| {
            if e.is_io() {
                crate::Error::from(std::io::Error::from(e))
            } else {
                crate::Error::internal(format!("report serialisation: {e}"))
            }
        })
    }
}

#[derive(Debug, Default)]
struct Tally {
    worst: Status,
    counts: BTreeMap<Status, u64>,
    subcode: Option<String>,
    details: Vec<serde_json::Value>,
}

/// Builds a [`Report`] while the checks run, enforcing Vitam's status rules.
#[derive(Debug)]
pub struct Recorder {
    workflow: &'static Workflow,
    events: Vec<Event>,
    lifecycles: Lifecycles,
    step: Option<(String, Status)>,
    /// Distributed actions of the current step: (action key, tally), in first-seen order.
    tallies: Vec<(String, Tally)>,
    worst: Status,
    stopped: bool,
}

impl Recorder {
    /// A recorder for `workflow`.
    pub fn new(workflow: &'static Workflow) -> Recorder {
        Recorder {
            workflow,
            events: Vec::new(),
            lifecycles: Lifecycles::default(),
            step: None,
            tallies: Vec::new(),
            worst: Status::Ok,
            stopped: false,
        }
    }

    /// The workflow being recorded.
    pub fn workflow(&self) -> &'static Workflow {
        self.workflow
    }

    /// True once a blocking action failed: following blocking steps must not run.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The worst status so far.
    pub fn status(&self) -> Status {
        self.worst
    }

    /// True when the step should run now: always for the `FINALLY` step, otherwise only while
    /// nothing blocking failed. Unknown step names never run.
    pub fn should_run(&self, step: &str) -> bool {
        match self.workflow.step(step) {
            Some(s) if s.behavior == StepBehavior::Finally => true,
            Some(_) => !self.stopped,
            None => false,
        }
    }

    /// Opens a step. An open step is closed first.
    pub fn begin_step(&mut self, name: &str) {
        if self.step.is_some() {
            self.end_step();
        }
        self.step = Some((name.to_string(), Status::Ok));
    }

    fn is_blocking(&self, action: &str) -> bool {
        let step = self.step.as_ref().map(|(s, _)| s.as_str()).unwrap_or("");
        self.workflow
            .step(step)
            .and_then(|s| s.actions.iter().find(|a| a.key == action))
            .map(|a| a.behavior == ActionBehavior::Blocking)
            .unwrap_or(true)
    }

    fn note(&mut self, action: &str, outcome: Status) {
        if let Some((_, s)) = &mut self.step {
            *s = (*s).max(outcome);
        }
        self.worst = self.worst.max(outcome);
        if outcome >= Status::Ko && self.is_blocking(action) {
            self.stopped = true;
        }
    }

    /// Records an action that runs once (REF distribution), with an optional sub-code
    /// (`NOT_XSD_VALID`) and technical detail.
    pub fn action(
        &mut self,
        action: &str,
        outcome: Status,
        subcode: Option<&str>,
        detail: Option<serde_json::Value>,
    ) {
        self.events
            .push(Event::new(action, outcome, subcode, detail));
        self.note(action, outcome);
    }

    /// Records a sub-task event (`CHECK_HEADER.CHECK_AGENT`) of an action. Sub-task events
    /// precede their action's own event, as in Vitam's logbook.
    pub fn subtask(
        &mut self,
        action: &str,
        subtask: &str,
        outcome: Status,
        subcode: Option<&str>,
        detail: Option<serde_json::Value>,
    ) {
        self.events.push(Event::new(
            format!("{action}.{subtask}"),
            outcome,
            subcode,
            detail,
        ));
        self.note(action, outcome);
    }

    /// Records the outcome of a distributed action for one item (a unit or an object group).
    /// The action's event is emitted when the step ends, with the worst outcome, the sub-code
    /// of the first item that had it, and `Detail= OK:n KO:m` counts.
    pub fn item(
        &mut self,
        action: &str,
        outcome: Status,
        subcode: Option<&str>,
        detail: Option<serde_json::Value>,
    ) {
        let idx = match self.tallies.iter().position(|(a, _)| a == action) {
            Some(i) => i,
            None => {
                self.tallies.push((action.to_string(), Tally::default()));
                self.tallies.len() - 1
            }
        };
        let t = &mut self.tallies[idx].1;
        *t.counts.entry(outcome).or_default() += 1;
        if outcome > t.worst {
            t.worst = outcome;
            t.subcode = subcode.map(str::to_string);
        }
        if let (Some(d), true) = (detail, outcome > Status::Ok) {
            t.details.push(d);
        }
        self.note(action, outcome);
    }

    /// Appends events recorded elsewhere (e.g. the control steps of a [`dry_run`] that a real
    /// ingest continues), applying their outcomes to this recorder's status.
    ///
    /// [`dry_run`]: crate::ingest::dry_run
    pub fn replay(&mut self, events: &[Event]) {
        for e in events {
            self.worst = self.worst.max(e.outcome);
            if e.outcome >= Status::Ko {
                self.stopped = true;
            }
            self.events.push(e.clone());
        }
    }

    /// Adds lifecycle events recorded elsewhere.
    pub fn replay_lifecycles(&mut self, lifecycles: &Lifecycles) {
        for (id, evs) in &lifecycles.units {
            self.lifecycles
                .units
                .entry(id.clone())
                .or_default()
                .extend(evs.iter().cloned());
        }
        for (id, evs) in &lifecycles.object_groups {
            self.lifecycles
                .object_groups
                .entry(id.clone())
                .or_default()
                .extend(evs.iter().cloned());
        }
    }

    /// Adds a lifecycle event for a unit.
    pub fn unit_lifecycle(&mut self, unit_id: &str, event: Event) {
        self.lifecycles
            .units
            .entry(unit_id.to_string())
            .or_default()
            .push(event);
    }

    /// Adds a lifecycle event for an object group.
    pub fn group_lifecycle(&mut self, group_id: &str, event: Event) {
        self.lifecycles
            .object_groups
            .entry(group_id.to_string())
            .or_default()
            .push(event);
    }

    /// Raises the current step's status without an action event, as Vitam's engine does for
    /// a distributed step whose distribution is empty (`statusOnEmptyDistribution`,
    /// WARNING by default).
    pub fn empty_distribution(&mut self, status: Status) {
        if let Some((_, s)) = &mut self.step {
            *s = (*s).max(status);
        }
        self.worst = self.worst.max(status);
    }

    /// Closes the current step: emits the distributed actions' events, then the step's event.
    /// Returns the step's status.
    pub fn end_step(&mut self) -> Status {
        // Distributed actions are reported in the workflow's action order, whatever order
        // the checks recorded their items in.
        let mut tallies = std::mem::take(&mut self.tallies);
        if let Some(step) = self
            .step
            .as_ref()
            .and_then(|(name, _)| self.workflow.step(name))
        {
            tallies.sort_by_key(|(a, _)| {
                step.actions
                    .iter()
                    .position(|x| &x.key == a)
                    .unwrap_or(usize::MAX)
            });
        }
        for (action, t) in tallies {
            let mut ev = Event::new(&action, t.worst, t.subcode.as_deref(), None);
            let counts: Vec<String> = t
                .counts
                .iter()
                .rev()
                .map(|(s, n)| format!("{s}:{n}"))
                .collect();
            ev.out_messg = format!("{} Detail= {}", ev.out_messg, counts.join(" "));
            if !t.details.is_empty() {
                ev.ev_det_data = Some(serde_json::Value::Array(t.details));
            }
            self.events.push(ev);
        }
        match self.step.take() {
            Some((name, status)) => {
                self.events.push(Event::new(&name, status, None, None));
                status
            }
            None => Status::Ok,
        }
    }

    /// Closes any open step and returns the report.
    pub fn finish(mut self) -> Report {
        if self.step.is_some() {
            self.end_step();
        }
        let ev_type = self.workflow.identifier.clone();
        let out_detail = out_detail(&ev_type, None, self.worst);
        let out_messg = message(&ev_type, &out_detail, self.worst);
        Report {
            ev_type,
            outcome: self.worst,
            out_detail,
            out_messg,
            events: self.events,
            lifecycles: self.lifecycles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_ko_stops_and_finally_runs() {
        let mut rec = Recorder::new(Workflow::default_ingest());
        assert!(rec.should_run("STP_INGEST_CONTROL_SIP"));
        rec.begin_step("STP_INGEST_CONTROL_SIP");
        rec.action("CHECK_SEDA", Status::Ok, None, None);
        rec.subtask(
            "CHECK_HEADER",
            "CHECK_AGENT",
            Status::Ko,
            Some("UNKNOWN"),
            Some(serde_json::json!({"OriginatingAgencyIdentifier": "X"})),
        );
        rec.action("CHECK_HEADER", Status::Ko, None, None);
        assert_eq!(rec.end_step(), Status::Ko);
        assert!(!rec.should_run("STP_OG_CHECK_AND_TRANSFORME"));
        assert!(rec.should_run("STP_INGEST_FINALISATION"));
        rec.begin_step("STP_INGEST_FINALISATION");
        rec.action("ATR_NOTIFICATION", Status::Ok, None, None);
        rec.action("ROLL_BACK", Status::Ok, None, None);
        let r = rec.finish();
        assert_eq!(r.outcome, Status::Ko);
        assert_eq!(
            r.out_details(),
            [
                "CHECK_SEDA.OK",
                "CHECK_HEADER.CHECK_AGENT.UNKNOWN.KO",
                "CHECK_HEADER.KO",
                "STP_INGEST_CONTROL_SIP.KO",
                "ATR_NOTIFICATION.OK",
                "ROLL_BACK.OK",
                "STP_INGEST_FINALISATION.OK",
                "PROCESS_SIP_UNITARY.KO"
            ]
        );
        // Labels come from Vitam's catalogue.
        assert!(
            r.event("CHECK_HEADER.CHECK_AGENT")
                .unwrap()
                .out_messg
                .starts_with("Échec")
        );
        let json = r.to_json();
        assert_eq!(json["evType"], "PROCESS_SIP_UNITARY");
        assert_eq!(
            json["events"][1]["evDetData"]["OriginatingAgencyIdentifier"],
            "X"
        );
    }

    #[test]
    fn nonblocking_ko_does_not_stop() {
        let mut rec = Recorder::new(Workflow::default_ingest());
        rec.begin_step("STP_UNIT_CHECK_AND_PROCESS");
        rec.item(
            "CHECK_ARCHIVE_UNIT_PROFILE",
            Status::Ko,
            Some("NOT_FOUND"),
            None,
        );
        assert!(!rec.is_stopped());
        rec.item("CHECK_UNIT_SCHEMA", Status::Ok, None, None);
        rec.item("CHECK_UNIT_SCHEMA", Status::Ok, None, None);
        rec.end_step();
        let r = rec.finish();
        assert_eq!(r.outcome, Status::Ko);
        let e = r.event("CHECK_UNIT_SCHEMA").unwrap();
        assert!(e.out_messg.ends_with("Detail= OK:2"), "{}", e.out_messg);
        assert_eq!(
            r.event("CHECK_ARCHIVE_UNIT_PROFILE").unwrap().out_detail,
            "CHECK_ARCHIVE_UNIT_PROFILE.NOT_FOUND.KO"
        );
    }

    #[test]
    fn warnings_are_accepted() {
        let mut rec = Recorder::new(Workflow::default_ingest());
        rec.begin_step("STP_OG_CHECK_AND_TRANSFORME");
        rec.item("CHECK_OBJECT_SIZE", Status::Warning, None, None);
        rec.item("CHECK_OBJECT_SIZE", Status::Ok, None, None);
        rec.end_step();
        let r = rec.finish();
        assert_eq!(r.outcome, Status::Warning);
        assert!(r.outcome.is_accepted());
        assert_eq!(r.out_detail, "PROCESS_SIP_UNITARY.WARNING");
        assert!(
            r.event("CHECK_OBJECT_SIZE")
                .unwrap()
                .out_messg
                .ends_with("Detail= WARNING:1 OK:1")
        );
    }
}
