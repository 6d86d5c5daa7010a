//! Vitam's ingest workflows: steps and actions in order, with their behaviour.
//!
//! The definitions are Vitam's own JSON files (`DefaultIngestWorkflow.json` and
//! `DefaultIngestBlankTestWorkflow.json`), embedded and read at first use, so vas follows
//! exactly Vitam's order and names.
//!
//! ```
//! use vas_core::ingest::workflow::{Workflow, StepBehavior};
//! let wf = Workflow::blank_test();
//! assert_eq!(wf.identifier, "PROCESS_SIP_UNITARY_TEST");
//! let names: Vec<&str> = wf.steps.iter().map(|s| s.name.as_str()).collect();
//! assert_eq!(names.first(), Some(&"STP_SANITY_CHECK_SIP"));
//! assert_eq!(wf.steps.last().unwrap().behavior, StepBehavior::Finally);
//! ```

use std::sync::OnceLock;

use serde::Deserialize;

/// How a step behaves when one of its actions fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepBehavior {
    /// A KO or FATAL stops the workflow after this step.
    Blocking,
    /// Always runs, even after a blocking failure (the finalisation step).
    Finally,
}

/// How an action behaves when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionBehavior {
    /// A KO or FATAL stops the step (and the workflow).
    Blocking,
    /// The failure is recorded but the following actions still run.
    NoBlocking,
}

/// What a step runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Once.
    Ref,
    /// Once per object group.
    ListInDirectory,
    /// Once per unit, parents before children.
    ListOrderingInFile,
    /// Once per item of a list file.
    ListInFile,
}

/// An action of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The action key, which is also the event type (`CHECK_DIGEST`).
    pub key: String,
    /// Blocking or not.
    pub behavior: ActionBehavior,
}

/// A step of a workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step name, which is also the event type (`STP_INGEST_CONTROL_SIP`).
    pub name: String,
    /// Blocking or finally.
    pub behavior: StepBehavior,
    /// What the step runs over.
    pub distribution: Distribution,
    /// The actions, in order.
    pub actions: Vec<Action>,
}

/// A workflow definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    /// Vitam's workflow id (`DEFAULT_WORKFLOW`).
    pub id: String,
    /// The operation's event type (`PROCESS_SIP_UNITARY`).
    pub identifier: String,
    /// The logbook process type (`INGEST`, `INGEST_TEST`).
    pub type_proc: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
struct RawWorkflow {
    id: String,
    identifier: String,
    #[serde(rename = "typeProc")]
    type_proc: String,
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
struct RawStep {
    #[serde(rename = "stepName")]
    step_name: String,
    behavior: String,
    distribution: RawDistribution,
    actions: Vec<RawActionWrapper>,
}

#[derive(Deserialize)]
struct RawDistribution {
    kind: String,
}

#[derive(Deserialize)]
struct RawActionWrapper {
    action: RawAction,
}

#[derive(Deserialize)]
struct RawAction {
    #[serde(rename = "actionKey")]
    action_key: String,
    behavior: String,
}

impl Workflow {
    /// Parses a Vitam workflow JSON definition.
    pub fn from_json(json: &str) -> crate::Result<Workflow> {
        let raw: RawWorkflow = serde_json::from_str(json)
            .map_err(|e| crate::Error::invalid(format!("invalid workflow definition: {e}")))?;
        let mut steps = Vec::new();
        for s in raw.steps {
            let behavior = match s.behavior.as_str() {
                "BLOCKING" => StepBehavior::Blocking,
                "FINALLY" => StepBehavior::Finally,
                o => {
                    return Err(crate::Error::invalid(format!(
                        "step {}: unknown behavior {o}",
                        s.step_name
                    )));
                }
            };
            let distribution = match s.distribution.kind.as_str() {
                "REF" => Distribution::Ref,
                "LIST_IN_DIRECTORY" => Distribution::ListInDirectory,
                "LIST_ORDERING_IN_FILE" => Distribution::ListOrderingInFile,
                "LIST_IN_FILE" => Distribution::ListInFile,
                o => {
                    return Err(crate::Error::invalid(format!(
                        "step {}: unknown distribution {o}",
                        s.step_name
                    )));
                }
            };
            let mut actions = Vec::new();
            for a in s.actions {
                let behavior = match a.action.behavior.as_str() {
                    "BLOCKING" => ActionBehavior::Blocking,
                    "NOBLOCKING" => ActionBehavior::NoBlocking,
                    o => {
                        return Err(crate::Error::invalid(format!(
                            "action {}: unknown behavior {o}",
                            a.action.action_key
                        )));
                    }
                };
                actions.push(Action {
                    key: a.action.action_key,
                    behavior,
                });
            }
            steps.push(Step {
                name: s.step_name,
                behavior,
                distribution,
                actions,
            });
        }
        Ok(Workflow {
            id: raw.id,
            identifier: raw.identifier,
            type_proc: raw.type_proc,
            steps,
        })
    }

    /// Vitam's `DefaultIngestWorkflow` (`PROCESS_SIP_UNITARY`).
    pub fn default_ingest() -> &'static Workflow {
        static W: OnceLock<Workflow> = OnceLock::new();
        W.get_or_init(|| {
            Workflow::from_json(include_str!("../../data/vitam/DefaultIngestWorkflow.json"))
                .expect("embedded DefaultIngestWorkflow.json is valid")
        })
    }

    /// Vitam's blank-test (dry run) workflow (`PROCESS_SIP_UNITARY_TEST`), which stops
    /// before storage.
    pub fn blank_test() -> &'static Workflow {
        static W: OnceLock<Workflow> = OnceLock::new();
        W.get_or_init(|| {
            Workflow::from_json(include_str!(
                "../../data/vitam/DefaultIngestBlankTestWorkflow.json"
            ))
            .expect("embedded DefaultIngestBlankTestWorkflow.json is valid")
        })
    }

    /// The step with this name.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::codes;

    #[test]
    fn default_ingest_has_vitams_steps_in_order() {
        let wf = Workflow::default_ingest();
        assert_eq!(wf.identifier, "PROCESS_SIP_UNITARY");
        assert_eq!(wf.type_proc, "INGEST");
        let names: Vec<&str> = wf.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "STP_SANITY_CHECK_SIP",
                "STP_UPLOAD_SIP",
                "STP_INGEST_CONTROL_SIP",
                "STP_OG_CHECK_AND_TRANSFORME",
                "STP_UNIT_CHECK_AND_PROCESS",
                "STP_STORAGE_AVAILABILITY_CHECK",
                "STP_OBJ_STORING",
                "STP_UNIT_METADATA",
                "STP_OG_STORING",
                "STP_UNIT_STORING",
                "STP_UPDATE_OBJECT_GROUP",
                "STP_ACCESSION_REGISTRATION",
                "STP_INGEST_FINALISATION"
            ]
        );
        let og = wf.step("STP_OG_CHECK_AND_TRANSFORME").unwrap();
        assert_eq!(og.distribution, Distribution::ListInDirectory);
        let keys: Vec<&str> = og.actions.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "CHECK_DIGEST",
                "CHECK_OBJECT_SIZE",
                "OG_OBJECTS_FORMAT_CHECK",
                "CHECK_OBJECT_GROUP_SCHEMA"
            ]
        );
        let unit = wf.step("STP_UNIT_CHECK_AND_PROCESS").unwrap();
        assert_eq!(unit.actions[1].key, "CHECK_ARCHIVE_UNIT_PROFILE");
        assert_eq!(unit.actions[1].behavior, ActionBehavior::NoBlocking);
    }

    #[test]
    fn every_step_and_action_has_a_label() {
        for wf in [Workflow::default_ingest(), Workflow::blank_test()] {
            assert!(codes::exists(&wf.identifier), "{}", wf.identifier);
            for s in &wf.steps {
                assert!(codes::exists(&s.name), "{}", s.name);
                for a in &s.actions {
                    assert!(codes::exists(&a.key), "{}", a.key);
                }
            }
        }
    }

    #[test]
    fn blank_test_stops_before_storage() {
        let wf = Workflow::blank_test();
        assert!(wf.step("STP_OBJ_STORING").is_none());
        assert!(wf.step("STP_STORAGE_AVAILABILITY_CHECK").is_some());
        assert_eq!(wf.steps.last().unwrap().name, "STP_INGEST_FINALISATION");
    }
}
