//! Retention and access rules: end dates, inheritance over the archive-unit DAG,
//! decisions at a date (communicability, hold, classification) and elimination analysis,
//! with Vitam's semantics.
//!
//! The engine works on its own input, [`UnitRulesInput`] (one per unit: id, parents,
//! originating agency and its [`Management`] block), so it serves a manifest being
//! ingested as well as an archive catalog:
//!
//! 1. [`compute_inherited_rules`] checks the declared rules against the
//!    [`RulesReferential`](crate::referential::RulesReferential), computes their end
//!    dates ([`add_duration`], Java `LocalDate` arithmetic) and the inherited rules of
//!    every unit ([`InheritedRules`], Vitam's `$computedInheritedRules`);
//! 2. [`InheritedRules::decisions`] answers, at a reference date, whether a unit is
//!    freely communicable, disseminable, reusable, under hold, and its classification;
//! 3. [`InheritedRules::analyze_elimination`] gives Vitam's elimination verdict
//!    (`KEEP` / `DESTROY` / `CONFLICT` with the extended information) and
//!    [`InheritedRules::elimination_action`] the units an elimination may really delete.
//!
//! [`units_from_seda`] fills the input from the typed SEDA model ([`crate::seda`]);
//! [`read_manifest_units`] reads it straight from a manifest or SIP (a light reader of
//! the rules-relevant elements), and [`read_units_json`] from a JSON document.

mod compute;
mod dates;
mod decisions;
mod elimination;
mod input;
mod model;
mod seda_adapter;

pub use compute::{
    CODE_CONSISTENCY, CODE_DATE_THRESHOLD, CODE_REF_INCONSISTENCY, CODE_UNKNOWN, InheritedCategory,
    InheritedProperty, InheritedRule, InheritedRules, UnitInheritedRules, check_declared_rules,
    compute_inherited_rules,
};
pub use dates::{
    DATE_CEILING, add_duration, format_date, parse_date, plus_days, plus_months, plus_years,
};
pub use decisions::Decisions;
pub use elimination::{
    EliminationActionResult, EliminationActionStatus, EliminationResult, EliminationStatus,
    ExtendedInfo,
};
pub use input::{
    ManifestUnits, manifest_bytes, read_manifest_units, read_manifest_units_bytes, read_units_json,
};
pub use model::{
    CategoryRules, HoldAttributes, Management, PropertyValue, RuleRef, UnitRulesInput,
};
pub use seda_adapter::units_from_seda;
