//! Elimination analysis and action, as Vitam's `EliminationAnalysisService` and
//! `ELIMINATION_ACTION` workflow.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use time::Date;

use super::compute::{InheritedRules, PropView, RuleView};
use crate::referential::RuleCategory;

/// The global verdict of the analysis for a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EliminationStatus {
    /// The unit must be kept.
    Keep,
    /// The unit may be destroyed: every AppraisalRule has ended and every FinalAction is
    /// `Destroy`, for every originating agency, and no hold is active.
    Destroy,
    /// Agencies, final actions, links or holds disagree.
    Conflict,
}

impl EliminationStatus {
    /// Vitam's name: `KEEP`, `DESTROY`, `CONFLICT`.
    pub fn name(self) -> &'static str {
        match self {
            EliminationStatus::Keep => "KEEP",
            EliminationStatus::Destroy => "DESTROY",
            EliminationStatus::Conflict => "CONFLICT",
        }
    }
}

/// Vitam's `ExtendedInfo` entries explaining a `DESTROY`/`CONFLICT` verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtendedInfo {
    /// `KEEP_ACCESS_SP`: the unit's own agency would destroy, another agency keeps.
    KeepAccessSp,
    /// `ACCESS_LINK_INCONSISTENCY`: through this parent, some agencies destroy and
    /// others keep, so the link cannot be cut for one and not the other.
    AccessLinkInconsistency {
        /// `ParentUnitId`.
        parent_unit_id: String,
        /// Agencies for which the unit is destroyable through that parent.
        destroyable_originating_agencies: BTreeSet<String>,
        /// Agencies for which it must be kept.
        non_destroyable_originating_agencies: BTreeSet<String>,
    },
    /// `FINAL_ACTION_INCONSISTENCY`: for these agencies the rules have ended but the
    /// inherited FinalActions mix `Keep` and `Destroy`.
    FinalActionInconsistency {
        /// `OriginatingAgenciesInConflict`.
        originating_agencies_in_conflict: BTreeSet<String>,
    },
    /// `BLOCKED_BY_HOLD_RULE`: active hold rules.
    BlockedByHoldRule {
        /// `HoldRuleIds`.
        hold_rule_ids: BTreeSet<String>,
    },
}

impl ExtendedInfo {
    /// Vitam's `ExtendedInfoType`.
    pub fn type_name(&self) -> &'static str {
        match self {
            ExtendedInfo::KeepAccessSp => "KEEP_ACCESS_SP",
            ExtendedInfo::AccessLinkInconsistency { .. } => "ACCESS_LINK_INCONSISTENCY",
            ExtendedInfo::FinalActionInconsistency { .. } => "FINAL_ACTION_INCONSISTENCY",
            ExtendedInfo::BlockedByHoldRule { .. } => "BLOCKED_BY_HOLD_RULE",
        }
    }

    /// The entry as Vitam indexes it.
    pub fn to_json(&self) -> Value {
        match self {
            ExtendedInfo::KeepAccessSp => json!({"ExtendedInfoType": self.type_name()}),
            ExtendedInfo::AccessLinkInconsistency {
                parent_unit_id,
                destroyable_originating_agencies,
                non_destroyable_originating_agencies,
            } => json!({
                "ExtendedInfoType": self.type_name(),
                "ExtendedInfoDetails": {
                    "ParentUnitId": parent_unit_id,
                    "DestroyableOriginatingAgencies": destroyable_originating_agencies,
                    "NonDestroyableOriginatingAgencies": non_destroyable_originating_agencies,
                }
            }),
            ExtendedInfo::FinalActionInconsistency {
                originating_agencies_in_conflict,
            } => json!({
                "ExtendedInfoType": self.type_name(),
                "ExtendedInfoDetails": {"OriginatingAgenciesInConflict": originating_agencies_in_conflict}
            }),
            ExtendedInfo::BlockedByHoldRule { hold_rule_ids } => json!({
                "ExtendedInfoType": self.type_name(),
                "ExtendedInfoDetails": {"HoldRuleIds": hold_rule_ids}
            }),
        }
    }
}

/// The analysis of one unit (Vitam's `_elimination` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EliminationResult {
    /// The unit.
    pub unit_id: String,
    /// `GlobalStatus`.
    pub status: EliminationStatus,
    /// `DestroyableOriginatingAgencies`.
    pub destroyable_originating_agencies: BTreeSet<String>,
    /// `NonDestroyableOriginatingAgencies`.
    pub non_destroyable_originating_agencies: BTreeSet<String>,
    /// `ExtendedInfo` (only for DESTROY and CONFLICT).
    pub extended_info: Vec<ExtendedInfo>,
}

impl EliminationResult {
    /// The result as JSON (Vitam's field names).
    pub fn to_json(&self) -> Value {
        json!({
            "UnitId": self.unit_id,
            "GlobalStatus": self.status.name(),
            "DestroyableOriginatingAgencies": self.destroyable_originating_agencies,
            "NonDestroyableOriginatingAgencies": self.non_destroyable_originating_agencies,
            "ExtendedInfo": self.extended_info.iter().map(ExtendedInfo::to_json).collect::<Vec<_>>(),
        })
    }
}

/// What an elimination action does with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EliminationActionStatus {
    /// The unit is deleted.
    Deleted,
    /// Not deleted: the analysis says KEEP (`GLOBAL_STATUS_KEEP`).
    GlobalStatusKeep,
    /// Not deleted: the analysis says CONFLICT (`GLOBAL_STATUS_CONFLICT`).
    GlobalStatusConflict,
    /// Not deleted although DESTROY: a child unit is kept
    /// (`NON_DESTROYABLE_HAS_CHILD_UNITS`).
    NonDestroyableHasChildUnits,
}

impl EliminationActionStatus {
    /// Vitam's report code.
    pub fn name(self) -> &'static str {
        match self {
            EliminationActionStatus::Deleted => "DELETED",
            EliminationActionStatus::GlobalStatusKeep => "GLOBAL_STATUS_KEEP",
            EliminationActionStatus::GlobalStatusConflict => "GLOBAL_STATUS_CONFLICT",
            EliminationActionStatus::NonDestroyableHasChildUnits => {
                "NON_DESTROYABLE_HAS_CHILD_UNITS"
            }
        }
    }
}

/// The action's decision for one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EliminationActionResult {
    /// The unit.
    pub unit_id: String,
    /// What happens to it.
    pub status: EliminationActionStatus,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AgencyStatus {
    Destroy,
    Keep,
    Inconsistent,
}

fn end_dates_reached<'a>(rules: impl Iterator<Item = RuleView<'a>>, at: Date) -> bool {
    let mut any = false;
    for r in rules {
        any = true;
        match r.end_date() {
            None => return false,
            Some(e) if at < e => return false,
            Some(_) => {}
        }
    }
    any
}

/// Per agency status from a unit's appraisal rules and properties (one agency's view).
fn status_by_agency<'a>(
    rules: &[RuleView<'a>],
    props: &[PropView<'a>],
    at: Date,
) -> BTreeMap<&'a str, AgencyStatus> {
    let mut agencies: BTreeSet<&str> = BTreeSet::new();
    agencies.extend(rules.iter().filter_map(|r| r.agency()));
    agencies.extend(props.iter().filter_map(|p| p.agency()));
    let mut out = BTreeMap::new();
    for a in agencies {
        let rules_a = || rules.iter().copied().filter(move |r| r.agency() == Some(a));
        let actions: Vec<&str> = props
            .iter()
            .filter(|p| p.agency() == Some(a) && p.name() == "FinalAction")
            .map(|p| p.value().as_str().unwrap_or(""))
            .collect();
        // only Destroy (a missing or unknown FinalAction keeps)
        let all_destroy = !actions.is_empty() && actions.iter().all(|v| *v == "Destroy");
        let reached = end_dates_reached(rules_a(), at);
        let destroyable = all_destroy && reached;
        let conflict = !destroyable && actions.contains(&"Destroy") && reached;
        out.insert(
            a,
            if destroyable {
                AgencyStatus::Destroy
            } else if conflict {
                AgencyStatus::Inconsistent
            } else {
                AgencyStatus::Keep
            },
        );
    }
    out
}

fn with_status(m: &BTreeMap<&str, AgencyStatus>, s: AgencyStatus) -> BTreeSet<String> {
    m.iter()
        .filter(|(_, v)| **v == s)
        .map(|(k, _)| (*k).to_owned())
        .collect()
}

impl InheritedRules {
    fn analyze_unit(&self, u: u32, at: Date) -> EliminationResult {
        let unit_id = self.id(u).to_owned();
        let Some(sp) = self.agency(u) else {
            // holding units have no rules and are always destroyable
            return EliminationResult {
                unit_id,
                status: EliminationStatus::Destroy,
                destroyable_originating_agencies: BTreeSet::new(),
                non_destroyable_originating_agencies: BTreeSet::new(),
                extended_info: Vec::new(),
            };
        };
        let holds: BTreeSet<String> = self
            .rules_of(u, RuleCategory::Hold)
            .filter(|r| r.end_date().is_none_or(|e| at < e))
            .map(|r| r.rule_id().to_owned())
            .collect();
        let rules: Vec<RuleView<'_>> = self.rules_of(u, RuleCategory::Appraisal).collect();
        let props: Vec<PropView<'_>> = self.props_of(u, Some(RuleCategory::Appraisal)).collect();
        let by_agency = status_by_agency(&rules, &props, at);
        let destroyable = with_status(&by_agency, AgencyStatus::Destroy);
        let non_destroyable = with_status(&by_agency, AgencyStatus::Keep);
        let conflicting = with_status(&by_agency, AgencyStatus::Inconsistent);
        let status = if !conflicting.is_empty() {
            EliminationStatus::Conflict
        } else if destroyable.is_empty() {
            EliminationStatus::Keep
        } else if !holds.is_empty() || !non_destroyable.is_empty() {
            EliminationStatus::Conflict
        } else {
            EliminationStatus::Destroy
        };
        let mut info = Vec::new();
        if status != EliminationStatus::Keep {
            if !conflicting.is_empty() {
                info.push(ExtendedInfo::FinalActionInconsistency {
                    originating_agencies_in_conflict: conflicting,
                });
            }
            if destroyable.contains(sp) && !non_destroyable.is_empty() {
                info.push(ExtendedInfo::KeepAccessSp);
            }
            // group by direct parent (second element of each path)
            let mut parents: BTreeMap<u32, (Vec<RuleView<'_>>, Vec<PropView<'_>>)> =
                BTreeMap::new();
            for r in &rules {
                let mut seen = BTreeSet::new();
                for &n in r.path_nodes() {
                    if let Some(p) = self.path_parent(n)
                        && seen.insert(p)
                    {
                        parents.entry(p).or_default().0.push(*r);
                    }
                }
            }
            for pv in &props {
                let mut seen = BTreeSet::new();
                for &n in pv.path_nodes() {
                    if let Some(p) = self.path_parent(n)
                        && seen.insert(p)
                    {
                        parents.entry(p).or_default().1.push(*pv);
                    }
                }
            }
            let mut links: Vec<ExtendedInfo> = parents
                .iter()
                .filter_map(|(&p, (r, pr))| {
                    let s = status_by_agency(r, pr, at);
                    let d = with_status(&s, AgencyStatus::Destroy);
                    let k = with_status(&s, AgencyStatus::Keep);
                    (!d.is_empty() && !k.is_empty()).then(|| {
                        ExtendedInfo::AccessLinkInconsistency {
                            parent_unit_id: self.id(p).to_owned(),
                            destroyable_originating_agencies: d,
                            non_destroyable_originating_agencies: k,
                        }
                    })
                })
                .collect();
            links.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            info.extend(links);
            if !holds.is_empty() {
                info.push(ExtendedInfo::BlockedByHoldRule {
                    hold_rule_ids: holds,
                });
            }
        }
        EliminationResult {
            unit_id,
            status,
            destroyable_originating_agencies: destroyable,
            non_destroyable_originating_agencies: non_destroyable,
            extended_info: info,
        }
    }

    /// Elimination analysis of one unit at a reference date (Vitam's
    /// `EliminationAnalysisService`); `None` for an unknown unit.
    ///
    /// ```
    /// use vas_core::referential::{RulesReferential, RuleCategory};
    /// use vas_core::rules::{compute_inherited_rules, parse_date, PropertyValue, RuleRef, UnitRulesInput, EliminationStatus};
    ///
    /// let referential = RulesReferential::from_csv_bytes(
    ///     b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
    ///       APP-1,AppraisalRule,DUA,,5,YEAR\n")?;
    /// let mut u = UnitRulesInput { id: "u".into(), originating_agency: Some("SP".into()), ..Default::default() };
    /// let app = u.management.category_mut(RuleCategory::Appraisal);
    /// app.rules.push(RuleRef::new("APP-1", Some(parse_date("2000-01-01")?)));
    /// app.set_property("FinalAction", PropertyValue::Text("Destroy".into()));
    /// let computed = compute_inherited_rules(&[u], &referential)?;
    ///
    /// assert_eq!(computed.analyze_unit_elimination("u", parse_date("2004-12-31")?).unwrap().status, EliminationStatus::Keep);
    /// assert_eq!(computed.analyze_unit_elimination("u", parse_date("2005-01-01")?).unwrap().status, EliminationStatus::Destroy);
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn analyze_unit_elimination(&self, id: &str, at: Date) -> Option<EliminationResult> {
        self.index_of(id).map(|u| self.analyze_unit(u, at))
    }

    /// Elimination analysis of every unit at a reference date, in input order.
    pub fn analyze_elimination(&self, at: Date) -> Vec<EliminationResult> {
        (0..self.len() as u32)
            .map(|u| self.analyze_unit(u, at))
            .collect()
    }

    /// Elimination action over the analysis of every unit: only `DESTROY` units whose
    /// children are all deleted too are deleted; a `DESTROY` unit with a kept child is
    /// `NON_DESTROYABLE_HAS_CHILD_UNITS` (never orphan a kept unit). `analysis` must
    /// come from [`InheritedRules::analyze_elimination`] on this set (input order).
    ///
    /// ```
    /// use vas_core::referential::{RulesReferential, RuleCategory};
    /// use vas_core::rules::*;
    ///
    /// let referential = RulesReferential::from_csv_bytes(
    ///     b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
    ///       APP-1,AppraisalRule,DUA,,5,YEAR\n")?;
    /// let mut parent = UnitRulesInput { id: "p".into(), originating_agency: Some("SP".into()), ..Default::default() };
    /// let app = parent.management.category_mut(RuleCategory::Appraisal);
    /// app.rules.push(RuleRef::new("APP-1", Some(parse_date("2000-01-01")?)));
    /// app.set_property("FinalAction", PropertyValue::Text("Destroy".into()));
    /// let mut child = UnitRulesInput { id: "c".into(), parents: vec!["p".into()], originating_agency: Some("SP".into()), ..Default::default() };
    /// child.management.category_mut(RuleCategory::Appraisal).set_property("FinalAction", PropertyValue::Text("Keep".into()));
    ///
    /// let computed = compute_inherited_rules(&[parent, child], &referential)?;
    /// let analysis = computed.analyze_elimination(parse_date("2030-01-01")?);
    /// let action = computed.elimination_action(&analysis);
    /// assert_eq!(action[0].status, EliminationActionStatus::NonDestroyableHasChildUnits);
    /// assert_eq!(action[1].status, EliminationActionStatus::GlobalStatusKeep);
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn elimination_action(
        &self,
        analysis: &[EliminationResult],
    ) -> Vec<EliminationActionResult> {
        let n = self.len();
        let mut status: Vec<EliminationActionStatus> = (0..n)
            .map(|u| match analysis.get(u).map(|a| a.status) {
                Some(EliminationStatus::Destroy) => EliminationActionStatus::Deleted,
                Some(EliminationStatus::Conflict) => EliminationActionStatus::GlobalStatusConflict,
                // a missing analysis keeps (safety first)
                _ => EliminationActionStatus::GlobalStatusKeep,
            })
            .collect();
        // children first: a unit is deleted only if every child is deleted
        for &u in self.order().iter().rev() {
            if status[u as usize] != EliminationActionStatus::Deleted {
                for &p in self.parent_indices(u) {
                    if status[p as usize] == EliminationActionStatus::Deleted {
                        status[p as usize] = EliminationActionStatus::NonDestroyableHasChildUnits;
                    }
                }
            }
        }
        status
            .into_iter()
            .enumerate()
            .map(|(u, s)| EliminationActionResult {
                unit_id: self.id(u as u32).to_owned(),
                status: s,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::referential::RulesReferential;
    use crate::rules::{
        PropertyValue, RuleRef, UnitRulesInput, compute_inherited_rules, parse_date,
    };

    fn referential() -> RulesReferential {
        RulesReferential::from_csv_bytes(
            b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
              APP-1,AppraisalRule,v,,1,YEAR\nAPP-9,AppraisalRule,v,,90,YEAR\nHOL-1,HoldRule,v,,,\n",
        )
        .unwrap()
    }

    /// A unit of `agency` with parents, optionally an APP-1 rule (2000) and a FinalAction.
    fn unit(
        id: &str,
        parents: &[&str],
        agency: &str,
        rule: bool,
        fa: Option<&str>,
    ) -> UnitRulesInput {
        let mut u = UnitRulesInput {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            originating_agency: Some(agency.into()),
            ..Default::default()
        };
        if rule || fa.is_some() {
            let c = u.management.category_mut(RuleCategory::Appraisal);
            if rule {
                c.rules.push(RuleRef::new(
                    "APP-1",
                    Some(parse_date("2000-01-01").unwrap()),
                ));
            }
            if let Some(fa) = fa {
                c.set_property("FinalAction", PropertyValue::Text(fa.into()));
            }
        }
        u
    }

    fn analyze(units: &[UnitRulesInput], id: &str) -> EliminationResult {
        let c = compute_inherited_rules(units, &referential()).unwrap();
        c.analyze_unit_elimination(id, parse_date("2020-01-01").unwrap())
            .unwrap()
    }

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keep_without_rules_or_with_implicit_keep() {
        // no rule: keep; a Destroy without any rule: keep (no end date reached)
        assert_eq!(
            analyze(&[unit("u", &[], "A", false, None)], "u").status,
            EliminationStatus::Keep
        );
        assert_eq!(
            analyze(&[unit("u", &[], "A", false, Some("Destroy"))], "u").status,
            EliminationStatus::Keep
        );
        // an expired rule with the implicit Keep: keep
        assert_eq!(
            analyze(&[unit("u", &[], "A", true, None)], "u").status,
            EliminationStatus::Keep
        );
        // a rule still running: keep
        let mut u = unit("u", &[], "A", false, Some("Destroy"));
        u.management
            .category_mut(RuleCategory::Appraisal)
            .rules
            .push(RuleRef::new(
                "APP-9",
                Some(parse_date("2000-01-01").unwrap()),
            ));
        assert_eq!(analyze(&[u], "u").status, EliminationStatus::Keep);
    }

    #[test]
    fn destroy_and_hold() {
        let r = analyze(&[unit("u", &[], "A", true, Some("Destroy"))], "u");
        assert_eq!(r.status, EliminationStatus::Destroy);
        assert_eq!(r.destroyable_originating_agencies, set(&["A"]));
        assert!(r.extended_info.is_empty());
        let mut u = unit("u", &[], "A", true, Some("Destroy"));
        u.management
            .category_mut(RuleCategory::Hold)
            .rules
            .push(RuleRef::new("HOL-1", None));
        let r = analyze(&[u], "u");
        assert_eq!(r.status, EliminationStatus::Conflict);
        assert_eq!(
            r.extended_info,
            vec![ExtendedInfo::BlockedByHoldRule {
                hold_rule_ids: set(&["HOL-1"])
            }]
        );
    }

    #[test]
    fn local_final_action_hides_inherited_ones() {
        // Vitam filters inherited properties the unit redefines, whatever their agency:
        // B's Keep does not reach u, which is then destroyable for A alone
        let units = [
            unit("p", &[], "B", false, Some("Keep")),
            unit("u", &["p"], "A", true, Some("Destroy")),
        ];
        let r = analyze(&units, "u");
        assert_eq!(r.status, EliminationStatus::Destroy);
        assert_eq!(r.destroyable_originating_agencies, set(&["A"]));
        assert!(r.non_destroyable_originating_agencies.is_empty());
    }

    #[test]
    fn keep_access_sp() {
        // u (agency A) inherits A's expired rule and Destroy through pa, and B's Keep
        // through pb: A destroys, B keeps
        let units = [
            unit("pa", &[], "A", true, Some("Destroy")),
            unit("pb", &[], "B", false, Some("Keep")),
            unit("u", &["pa", "pb"], "A", false, None),
        ];
        let r = analyze(&units, "u");
        assert_eq!(r.status, EliminationStatus::Conflict);
        assert_eq!(r.destroyable_originating_agencies, set(&["A"]));
        assert_eq!(r.non_destroyable_originating_agencies, set(&["B"]));
        // each direct parent carries one agency only: no link inconsistency
        assert_eq!(r.extended_info, vec![ExtendedInfo::KeepAccessSp]);
    }

    #[test]
    fn access_link_inconsistency() {
        // p gathers A's Destroy (from ga) and B's Keep (from gb); u below p receives both
        // through the same parent, so the link to p cannot be cut for A only
        let units = [
            unit("ga", &[], "A", true, Some("Destroy")),
            unit("gb", &[], "B", false, Some("Keep")),
            unit("p", &["ga", "gb"], "A", false, None),
            unit("u", &["p"], "A", false, None),
        ];
        let r = analyze(&units, "u");
        assert_eq!(r.status, EliminationStatus::Conflict);
        assert_eq!(
            r.extended_info,
            vec![
                ExtendedInfo::KeepAccessSp,
                ExtendedInfo::AccessLinkInconsistency {
                    parent_unit_id: "p".into(),
                    destroyable_originating_agencies: set(&["A"]),
                    non_destroyable_originating_agencies: set(&["B"]),
                }
            ]
        );
        let j = r.to_json();
        assert_eq!(
            j["ExtendedInfo"][1]["ExtendedInfoDetails"]["ParentUnitId"],
            "p"
        );
        // an implicit Keep of the unit's own agency overrides everything inherited
        let units = [
            unit("g", &[], "A", true, Some("Destroy")),
            unit("u", &["g"], "B", false, None),
        ];
        let r = analyze(&units, "u");
        assert_eq!(r.status, EliminationStatus::Keep);
    }

    #[test]
    fn final_action_inconsistency() {
        // one agency, rules ended, Keep through one parent and Destroy through another
        let units = [
            unit("k", &[], "A", true, Some("Keep")),
            unit("d", &[], "A", true, Some("Destroy")),
            unit("u", &["k", "d"], "A", false, None),
        ];
        let r = analyze(&units, "u");
        assert_eq!(r.status, EliminationStatus::Conflict);
        assert_eq!(
            r.extended_info[0],
            ExtendedInfo::FinalActionInconsistency {
                originating_agencies_in_conflict: set(&["A"])
            }
        );
        assert_eq!(
            r.to_json()["ExtendedInfo"][0]["ExtendedInfoType"],
            "FINAL_ACTION_INCONSISTENCY"
        );
    }

    #[test]
    fn holding_units_are_destroyable() {
        let mut u = unit("h", &[], "A", false, None);
        u.originating_agency = None;
        let r = analyze(&[u], "h");
        assert_eq!(r.status, EliminationStatus::Destroy);
    }
}
