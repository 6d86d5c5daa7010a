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

//! # Fidelity to Vitam
//!
//! Checked against Vitam's own answers (see `vas-core/tests/rules_vitam.rs`): the three
//! expected `_computedInheritedRules` of `OK_RULES_COMPLEXE_COMPLETE_V2`, every assertion
//! of `IngestInternalIT` on Buttes-Chaumont and on the elimination analysis at 2018-01-01,
//! the stored management of `SIP_OK_HoldRules`, the example answer
//! `accessUnitWithInheritedRulesResponse.json`, the outcome of the HoldRule KO SIPs and
//! of the 44 SIPs Vitam accepts. Choices where Vitam's sources were not conclusive:
//!
//! - `ManagementMetadata` rules reach root units like inherited ones: `PreventInheritance`
//!   and `RefNonRuleId` on the root unit block them (`6_Pré Saint Gervais` in
//!   `OK_RULES_COMPLEXE_COMPLETE_V2` relies on it);
//! - in the indexed summary, `InheritedRuleIds` are sorted and deduplicated, `MaxEndDate`
//!   ignores rules without an end date, and `HoldRule` also lists its `Rules`
//!   (`Rule` + `EndDate`);
//! - a declared date at or after 9000-01-01 is `CHECK_UNIT_SCHEMA.RULE_DATE_THRESHOLD.KO`;
//!   a computed end date at or after it is `UNITS_RULES_COMPUTE.UNKNOWN.KO` (whose Vitam
//!   message covers that case);
//! - rules and properties of a unit come local first, then inherited in the order of the
//!   parents (Vitam's order comes from a hash map and is unspecified).

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
