//! Decisions at a reference date: communicability, dissemination, reuse, hold,
//! classification.

use serde_json::{Value, json};
use time::Date;

use super::compute::InheritedRules;
use super::dates::format_date;
use crate::referential::RuleCategory;

/// What the rules allow for a unit at a reference date.
///
/// A period rule (Access, Dissemination, Reuse) restricts the unit until its end date: it
/// is over when `EndDate <= date`. A rule without end date (no StartDate, or an
/// `unlimited` duration) never ends. A unit with no rule of the category is free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decisions {
    /// The reference date.
    pub at: Date,
    /// Every AccessRule has ended: freely communicable.
    pub communicable: bool,
    /// The AccessRules still running at the date.
    pub access_rules_running: Vec<String>,
    /// Every DisseminationRule has ended.
    pub disseminable: bool,
    /// Every ReuseRule has ended.
    pub reusable: bool,
    /// The HoldRules still active at the date (`EndDate` absent or after the date).
    pub active_holds: Vec<String>,
    /// `ClassificationLevel` values that apply.
    pub classification_levels: Vec<String>,
    /// `ClassificationOwner` values that apply.
    pub classification_owners: Vec<String>,
    /// Some unit on the way sets `NeedAuthorization=true`.
    pub need_authorization: bool,
}

impl Decisions {
    /// `true` when an active HoldRule freezes the unit.
    pub fn under_hold(&self) -> bool {
        !self.active_holds.is_empty()
    }

    /// The decisions as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "At": format_date(self.at),
            "Communicable": self.communicable,
            "AccessRulesRunning": self.access_rules_running,
            "Disseminable": self.disseminable,
            "Reusable": self.reusable,
            "UnderHold": self.under_hold(),
            "ActiveHoldRules": self.active_holds,
            "ClassificationLevel": self.classification_levels,
            "ClassificationOwner": self.classification_owners,
            "NeedAuthorization": self.need_authorization,
        })
    }
}

impl InheritedRules {
    fn running(&self, u: u32, c: RuleCategory, at: Date) -> Vec<String> {
        let mut v: Vec<String> = self
            .rules_of(u, c)
            .filter(|r| r.end_date().is_none_or(|e| at < e))
            .map(|r| r.rule_id().to_owned())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn texts(&self, u: u32, c: RuleCategory, name: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .props_of(u, Some(c))
            .filter(|p| p.name() == name)
            .filter_map(|p| p.value().as_str().map(str::to_owned))
            .collect();
        v.dedup();
        v
    }

    /// The decisions for a unit at a date; `None` for an unknown unit.
    ///
    /// ```
    /// use vas_core::referential::{RulesReferential, RuleCategory};
    /// use vas_core::rules::{compute_inherited_rules, parse_date, RuleRef, UnitRulesInput};
    ///
    /// let referential = RulesReferential::from_csv_bytes(
    ///     b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
    ///       ACC-00002,AccessRule,Secret,,25,YEAR\nHOL-1,HoldRule,Gel,,,\n")?;
    /// let mut u = UnitRulesInput { id: "u".into(), originating_agency: Some("SP".into()), ..Default::default() };
    /// u.management.category_mut(RuleCategory::Access).rules.push(RuleRef::new("ACC-00002", Some(parse_date("2000-01-01")?)));
    /// let computed = compute_inherited_rules(&[u], &referential)?;
    ///
    /// assert!(!computed.decisions("u", parse_date("2024-12-31")?).unwrap().communicable);
    /// assert!(computed.decisions("u", parse_date("2025-01-01")?).unwrap().communicable);
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn decisions(&self, id: &str, at: Date) -> Option<Decisions> {
        let u = self.index_of(id)?;
        let access = self.running(u, RuleCategory::Access, at);
        Some(Decisions {
            at,
            communicable: access.is_empty(),
            access_rules_running: access,
            disseminable: self.running(u, RuleCategory::Dissemination, at).is_empty(),
            reusable: self.running(u, RuleCategory::Reuse, at).is_empty(),
            active_holds: self.running(u, RuleCategory::Hold, at),
            classification_levels: self.texts(
                u,
                RuleCategory::Classification,
                "ClassificationLevel",
            ),
            classification_owners: self.texts(
                u,
                RuleCategory::Classification,
                "ClassificationOwner",
            ),
            need_authorization: self.props_of(u, None).any(|p| {
                p.name() == "NeedAuthorization" && *p.value() == super::PropertyValue::Bool(true)
            }),
        })
    }
}
