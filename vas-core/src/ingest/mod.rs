//! Ingest validation with Vitam's semantics.
//!
//! This module holds the vocabulary of Vitam's ingest workflow, shared by the dry run and by
//! the archive's real ingest:
//! - [`Status`]: the outcome lattice `OK < WARNING < KO < FATAL`;
//! - [`codes`]: Vitam's catalogue of event and outcome codes with their French labels
//!   (`outcome-codes_fr.properties`, embedded);
//! - [`workflow`]: the steps and actions of `DefaultIngestWorkflow` and of the blank-test
//!   (dry-run) workflow, in Vitam's order, with their blocking behaviour (embedded JSON);
//! - [`report`]: the operation report shaped like Vitam's operation logbook, and the
//!   [`report::Recorder`] that checks write their events into while enforcing the status rules
//!   (a step's status is the worst of its actions; a blocking KO/FATAL stops the run; the
//!   `FINALLY` step always runs);
//! - [`dry_run`]: every control step of Vitam's ingest on a SIP, nothing stored, giving the
//!   [`Report`], the ArchiveTransferReply and, when accepted, the [`ValidatedSip`] a real
//!   ingest continues from (see `docs/vitam-compatibility.md`).

pub mod codes;
pub mod report;
pub mod workflow;

pub(crate) mod atr;
mod attach;
pub(crate) mod dry_run;
mod manifest;
mod ontology;
mod status;
mod stream;
mod tree;
mod wellformed;

pub use attach::{ExistingObjectGroup, ExistingOperation, ExistingUnit, ExistingUnits, KnownUnits};
pub use dry_run::{
    DryRun, DryRunOptions, FormatHook, Progress, ValidatedObject, ValidatedSip, dry_run,
    vitam_test_format_mock,
};
pub use ontology::{Ontology, OntologyType};

pub use report::{Event, Recorder, Report};
pub use status::Status;
