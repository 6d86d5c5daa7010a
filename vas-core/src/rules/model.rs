//! The input of the rules engine: each archive unit's own management data, independent of
//! the SEDA model (an adapter fills it from a manifest, a catalog or JSON).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::referential::RuleCategory;

/// The HoldRule-specific attributes of one declared rule (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct HoldAttributes {
    /// `HoldEndDate`: the end of a hold whose rule has no duration.
    #[serde(default, with = "opt_date", skip_serializing_if = "Option::is_none")]
    pub hold_end_date: Option<Date>,
    /// `HoldOwner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_owner: Option<String>,
    /// `HoldReason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_reason: Option<String>,
    /// `HoldReassessingDate`.
    #[serde(default, with = "opt_date", skip_serializing_if = "Option::is_none")]
    pub hold_reassessing_date: Option<Date>,
    /// `PreventRearrangement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevent_rearrangement: Option<bool>,
}

impl HoldAttributes {
    /// `true` when no attribute is set.
    pub fn is_empty(&self) -> bool {
        *self == HoldAttributes::default()
    }
}

/// One rule declared by a unit: `Rule` + `StartDate?` (+ hold attributes for HoldRule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RuleRef {
    /// `Rule`: the rule id in the referential.
    pub rule: String,
    /// `StartDate`.
    #[serde(default, with = "opt_date", skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Date>,
    /// HoldRule attributes (flattened: `HoldEndDate`, `HoldOwner` …).
    #[serde(flatten, default)]
    pub hold: HoldAttributes,
}

impl RuleRef {
    /// A rule reference with an optional start date.
    pub fn new(rule: impl Into<String>, start_date: Option<Date>) -> Self {
        RuleRef {
            rule: rule.into(),
            start_date,
            hold: HoldAttributes::default(),
        }
    }
}

/// A category property value (`FinalAction`, `ClassificationLevel`,
/// `NeedReassessingAuthorization` …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropertyValue {
    /// A boolean (`NeedReassessingAuthorization`, `NeedAuthorization`).
    Bool(bool),
    /// Text (`FinalAction`, `ClassificationLevel`, dates as `yyyy-MM-dd` …).
    Text(String),
}

impl PropertyValue {
    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PropertyValue::Text(s) => Some(s),
            PropertyValue::Bool(_) => None,
        }
    }

    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            PropertyValue::Bool(b) => serde_json::Value::Bool(*b),
            PropertyValue::Text(s) => serde_json::Value::String(s.clone()),
        }
    }
}

/// One category block of a unit's `Management` (e.g. its `AccessRule` element).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CategoryRules {
    /// The declared rules, in document order.
    #[serde(default)]
    pub rules: Vec<RuleRef>,
    /// `PreventInheritance`: nothing of this category is inherited.
    #[serde(default)]
    pub prevent_inheritance: bool,
    /// `RefNonRuleId`s (Vitam's `PreventRulesId`): these rule ids are not inherited.
    #[serde(default)]
    pub ref_non_rule_ids: Vec<String>,
    /// Category properties in document order: `FinalAction`, `ClassificationAudience`,
    /// `ClassificationLevel`, `ClassificationOwner`, `ClassificationReassessingDate`,
    /// `NeedReassessingAuthorization`. A name appears at most once.
    #[serde(default)]
    pub properties: Vec<(String, PropertyValue)>,
}

impl CategoryRules {
    /// Sets a property, replacing a previous value of the same name.
    pub fn set_property(&mut self, name: impl Into<String>, value: PropertyValue) {
        let name = name.into();
        if let Some(p) = self.properties.iter_mut().find(|p| p.0 == name) {
            p.1 = value;
        } else {
            self.properties.push((name, value));
        }
    }

    /// The value of a property.
    pub fn property(&self, name: &str) -> Option<&PropertyValue> {
        self.properties.iter().find(|p| p.0 == name).map(|p| &p.1)
    }
}

/// A unit's `Management` block (or the `ManagementMetadata` defaults of a package).
///
/// ```
/// use vas_core::referential::RuleCategory;
/// use vas_core::rules::{Management, RuleRef, parse_date};
///
/// let mut m = Management::default();
/// m.category_mut(RuleCategory::Access).rules.push(RuleRef::new("ACC-00002", Some(parse_date("2000-01-01")?)));
/// m.category_mut(RuleCategory::Access).prevent_inheritance = true;
/// assert!(m.category(RuleCategory::Access).unwrap().prevent_inheritance);
/// assert!(m.category(RuleCategory::Storage).is_none());
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Management {
    categories: [Option<Box<CategoryRules>>; 7],
    /// `NeedAuthorization` (a property of the whole block).
    pub need_authorization: Option<bool>,
}

impl Management {
    /// The block of a category, when the unit declares one.
    pub fn category(&self, c: RuleCategory) -> Option<&CategoryRules> {
        self.categories[c.index()].as_deref()
    }

    /// The block of a category, created empty when absent.
    pub fn category_mut(&mut self, c: RuleCategory) -> &mut CategoryRules {
        self.categories[c.index()].get_or_insert_with(Box::default)
    }

    /// Replaces (or removes) the block of a category.
    pub fn set_category(&mut self, c: RuleCategory, rules: Option<CategoryRules>) {
        self.categories[c.index()] = rules.map(Box::new);
    }

    /// `true` when nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.categories.iter().all(Option::is_none) && self.need_authorization.is_none()
    }

    /// Applies the package's `ManagementMetadata` rules to a root unit, as Vitam's
    /// ingest does: they reach the root unit as if inherited from above, so a category
    /// with `PreventInheritance` takes none of them, a rule listed in the unit's
    /// `RefNonRuleId`s is not taken, and a rule the unit declares itself keeps the unit's
    /// declaration (its StartDate wins). Default properties (`FinalAction` …) the unit
    /// lacks are added under the same `PreventInheritance` condition; `NeedAuthorization`
    /// is taken when the unit has none.
    ///
    /// ```
    /// use vas_core::referential::RuleCategory;
    /// use vas_core::rules::{Management, RuleRef};
    ///
    /// let mut defaults = Management::default();
    /// defaults.category_mut(RuleCategory::Access).rules.push(RuleRef::new("ACC-2", None));
    /// let mut blocked = Management::default();
    /// blocked.category_mut(RuleCategory::Access).ref_non_rule_ids.push("ACC-2".into());
    /// blocked.apply_defaults(&defaults);
    /// assert!(blocked.category(RuleCategory::Access).unwrap().rules.is_empty());
    /// let mut open = Management::default();
    /// open.apply_defaults(&defaults);
    /// assert_eq!(open.category(RuleCategory::Access).unwrap().rules[0].rule, "ACC-2");
    /// ```
    pub fn apply_defaults(&mut self, defaults: &Management) {
        for c in RuleCategory::ALL {
            let Some(d) = defaults.category(c) else {
                continue;
            };
            if self.category(c).is_some_and(|own| own.prevent_inheritance) {
                continue;
            }
            let own = self.category_mut(c);
            for r in &d.rules {
                if !own.rules.iter().any(|o| o.rule == r.rule)
                    && !own.ref_non_rule_ids.contains(&r.rule)
                {
                    own.rules.push(r.clone());
                }
            }
            for (name, value) in &d.properties {
                if own.property(name).is_none() {
                    own.properties.push((name.clone(), value.clone()));
                }
            }
        }
        if self.need_authorization.is_none() {
            self.need_authorization = defaults.need_authorization;
        }
    }
}

/// The management data of one archive unit, input of [`crate::rules::compute_inherited_rules`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitRulesInput {
    /// The unit id (manifest id or system id); unique in a computation.
    pub id: String,
    /// The ids of its parent units (`_up`); every parent must be part of the computation.
    pub parents: Vec<String>,
    /// Its originating agency; `None` marks a holding-scheme unit (no implicit
    /// `FinalAction`, always destroyable, as in Vitam).
    pub originating_agency: Option<String>,
    /// Its own management data.
    pub management: Management,
    /// Its first title (for reports only).
    pub title: Option<String>,
}

/// Serde helper for `Option<Date>` as `yyyy-MM-dd`.
pub(crate) mod opt_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::super::format_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| super::super::parse_date(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
