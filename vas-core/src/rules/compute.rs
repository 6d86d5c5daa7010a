//! End dates of declared rules (Vitam's `UnitsRulesComputePlugin`) and inherited rules over
//! the unit DAG (Vitam's `ComputeInheritedRuleService`), in a compact form that scales to
//! millions of units.

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::{Map, Value, json};
use time::Date;

use super::dates::{DATE_CEILING, add_duration, format_date};
use super::model::{HoldAttributes, PropertyValue, UnitRulesInput};
use crate::referential::{RuleCategory, RulesReferential};
use crate::{Error, ErrorKind, Result};

/// Vitam's outcome code when a declared rule is not in the referential (or a computed
/// end date reaches 9000-01-01).
pub const CODE_UNKNOWN: &str = "UNITS_RULES_COMPUTE.UNKNOWN.KO";
/// Vitam's outcome code when a rule is declared in the wrong category, or a HoldRule's
/// `HoldEndDate` is inconsistent.
pub const CODE_CONSISTENCY: &str = "UNITS_RULES_COMPUTE.CONSISTENCY.KO";
/// Vitam's outcome code when a `RefNonRuleId` names an unknown rule or a rule of
/// another category.
pub const CODE_REF_INCONSISTENCY: &str = "UNITS_RULES_COMPUTE.REF_INCONSISTENCY.KO";
/// Vitam's outcome code when a declared date is at or after 9000-01-01.
pub const CODE_DATE_THRESHOLD: &str = "CHECK_UNIT_SCHEMA.RULE_DATE_THRESHOLD.KO";

/// A small, fast, non-cryptographic hasher (FxHash) for the engine's internal maps; the
/// keys are ids from the input, and the maps live for one computation.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // final avalanche (murmur3 fmix64): FxHash alone leaves the low bits, which the
        // table uses, depending only on the first bytes of similar ids
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<FxHasher>>;

const NIL: u32 = u32::MAX;
/// Pseudo-category index of the global properties (`NeedAuthorization`).
const GLOBAL: u8 = 7;

/// A declared rule after end-date computation.
#[derive(Debug, Clone)]
struct LocalRule {
    cat: u8,
    rule: u32,
    start: Option<Date>,
    end: Option<Date>,
    hold: Option<Box<HoldAttributes>>,
}

/// A declared (or implicit) property.
#[derive(Debug, Clone, Copy)]
struct LocalProp {
    cat: u8,
    name: u32,
    value: u32,
}

/// An inherited rule or property: the origin unit, the item in the local arenas and the
/// paths (a range of `path_lists`).
#[derive(Debug, Clone, Copy)]
struct Entry {
    origin: u32,
    item: u32,
    paths_start: u32,
    paths_len: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Range {
    start: u32,
    end: u32,
}

impl Range {
    fn iter(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Per-unit category flags and filters, resolved.
#[derive(Debug, Clone, Default)]
struct UnitMeta {
    /// Bit `c` set: PreventInheritance on category `c`.
    prevent: u8,
    /// Interned RefNonRuleId per category (rare: a small vec).
    ref_non: Vec<(u8, u32)>,
    local_rules: Range,
    local_props: Range,
}

/// A string interner.
#[derive(Debug, Default)]
struct Interner {
    map: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn get_or_add(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.map.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_owned());
        self.map.insert(s.to_owned(), i);
        i
    }
    fn name(&self, i: u32) -> &str {
        &self.names[i as usize]
    }
}

/// The computed inherited rules of a set of units: what Vitam's `$computedInheritedRules`
/// projection returns for each of them. Built by [`compute_inherited_rules`].
#[derive(Debug)]
pub struct InheritedRules {
    ids: Vec<String>,
    titles: Vec<Option<String>>,
    index: HashMap<String, u32>,
    agencies: Vec<Option<u32>>,
    agency_names: Interner,
    rule_ids: Interner,
    prop_names: Interner,
    values: Vec<PropertyValue>,
    meta: Vec<UnitMeta>,
    local_rules: Vec<LocalRule>,
    local_props: Vec<LocalProp>,
    /// Topological order (parents first).
    order: Vec<u32>,
    /// Parents in CSR form: unit `u`'s parents are `parent_flat[parent_offsets[u]..parent_offsets[u + 1]]`.
    parent_offsets: Vec<u32>,
    parent_flat: Vec<u32>,
    /// Per unit: bit `c` set when some rule entry (resp. property entry, bit 7 = global)
    /// of category `c` applies.
    rule_mask: Vec<u8>,
    prop_mask: Vec<u8>,
    rule_entries: Vec<Entry>,
    prop_entries: Vec<Entry>,
    unit_rules: Vec<Range>,
    unit_props: Vec<Range>,
    /// Path nodes: (unit, next node) — a path reads unit → … → origin.
    path_nodes: Vec<(u32, u32)>,
    path_lists: Vec<u32>,
}

fn rule_error(code: &str, unit: &str, msg: String) -> Error {
    Error::new(ErrorKind::InvalidInput, format!("unit {unit}: {msg}"))
        .with_id(unit.to_owned())
        .with_code(code)
}

/// Checks every unit's declared rules against the referential and returns all the errors
/// (Vitam's ingest checks `UNITS_RULES_COMPUTE`), in unit order. An empty vector means
/// [`compute_inherited_rules`] will not fail on rules.
pub fn check_declared_rules(
    units: &[UnitRulesInput],
    referential: &RulesReferential,
) -> Vec<Error> {
    let mut errors = Vec::new();
    for u in units {
        if let Err(e) = resolve_unit(u, referential, &mut |_, _, _, _, _| {}) {
            errors.push(e);
        }
    }
    errors
}

/// Receives each resolved rule: category, rule id, start date, end date, hold attributes.
type RuleSink<'a> = dyn FnMut(RuleCategory, &str, Option<Date>, Option<Date>, &HoldAttributes) + 'a;

/// Resolves one unit's declared rules, calling `sink(category, rule_id, start, end, hold)`
/// for each rule, in Vitam's check order (RefNonRuleId first, then rules per category).
fn resolve_unit(
    u: &UnitRulesInput,
    referential: &RulesReferential,
    sink: &mut RuleSink<'_>,
) -> Result<()> {
    for c in RuleCategory::ALL {
        let Some(cat) = u.management.category(c) else {
            continue;
        };
        for id in &cat.ref_non_rule_ids {
            match referential.get(id) {
                None => {
                    return Err(rule_error(
                        CODE_REF_INCONSISTENCY,
                        &u.id,
                        format!("RefNonRuleId {id} in {c} is not in the rules referential"),
                    )
                    .with_element(format!("Management/{c}/RefNonRuleId")));
                }
                Some(r) if r.category != c => {
                    return Err(rule_error(
                        CODE_REF_INCONSISTENCY,
                        &u.id,
                        format!("RefNonRuleId {id} in {c} is a {}", r.category),
                    )
                    .with_element(format!("Management/{c}/RefNonRuleId")));
                }
                Some(_) => {}
            }
        }
    }
    for c in RuleCategory::ALL {
        let Some(cat) = u.management.category(c) else {
            continue;
        };
        for r in &cat.rules {
            let element = || format!("Management/{c}/Rule");
            let def = referential.get(&r.rule).ok_or_else(|| {
                rule_error(
                    CODE_UNKNOWN,
                    &u.id,
                    format!("rule {} declared in {c} does not exist", r.rule),
                )
                .with_element(element())
            })?;
            if def.category != c {
                return Err(rule_error(
                    CODE_CONSISTENCY,
                    &u.id,
                    format!(
                        "rule {} declared in {c} is a {} in the referential",
                        r.rule, def.category
                    ),
                )
                .with_element(element()));
            }
            for (what, d) in [
                ("StartDate", r.start_date),
                ("HoldEndDate", r.hold.hold_end_date),
                ("HoldReassessingDate", r.hold.hold_reassessing_date),
            ] {
                if d.is_some_and(|d| d >= DATE_CEILING) {
                    return Err(rule_error(
                        CODE_DATE_THRESHOLD,
                        &u.id,
                        format!("{what} of rule {} must be before 9000-01-01", r.rule),
                    )
                    .with_element(format!("Management/{c}/{what}")));
                }
            }
            let end = match (&def.duration, c) {
                (None, RuleCategory::Hold) => {
                    if let (Some(s), Some(h)) = (r.start_date, r.hold.hold_end_date)
                        && h < s
                    {
                        return Err(rule_error(
                            CODE_CONSISTENCY,
                            &u.id,
                            format!(
                                "HoldEndDate ({}) of rule {} is before its StartDate ({})",
                                format_date(h),
                                r.rule,
                                format_date(s)
                            ),
                        )
                        .with_element("Management/HoldRule/HoldEndDate"));
                    }
                    r.hold.hold_end_date
                }
                (duration, _) => {
                    if r.hold.hold_end_date.is_some() {
                        return Err(rule_error(
                            CODE_CONSISTENCY,
                            &u.id,
                            format!(
                                "HoldEndDate is not allowed for rule {} which has a duration",
                                r.rule
                            ),
                        )
                        .with_element(format!("Management/{c}/HoldEndDate")));
                    }
                    match (r.start_date, duration) {
                        (Some(s), Some(d)) => {
                            let end = add_duration(s, d).map_err(|_| {
                                rule_error(
                                    CODE_UNKNOWN,
                                    &u.id,
                                    format!("end date of rule {} is out of range", r.rule),
                                )
                            })?;
                            if end.is_some_and(|e| e >= DATE_CEILING) {
                                return Err(rule_error(
                                    CODE_UNKNOWN,
                                    &u.id,
                                    format!(
                                        "end date of rule {} ({} + {d}) is not before 9000-01-01",
                                        r.rule,
                                        format_date(s)
                                    ),
                                )
                                .with_element(element()));
                            }
                            end
                        }
                        _ => None,
                    }
                }
            };
            sink(c, &r.rule, r.start_date, end, &r.hold);
        }
    }
    Ok(())
}

/// Computes the end dates of every declared rule and the inherited rules of every unit,
/// exactly as Vitam's `ComputeInheritedRuleService`:
///
/// - a unit's own rules apply to it (path `[[unit]]`);
/// - it inherits every rule of every parent, unless the category has
///   `PreventInheritance`, the rule id is in its `RefNonRuleId`s, or it redeclares the
///   rule itself (its declaration, with its StartDate, replaces the inherited one);
/// - the same rule of the same origin reached through several parents is one entry with
///   every path;
/// - category properties (`FinalAction`, `ClassificationLevel` …) are inherited likewise,
///   conflicting values all kept; a non-holding unit without an explicit `FinalAction`
///   of its own originating agency gets an implicit `FinalAction=Keep`, which overrides
///   the inherited `FinalAction`s;
/// - `NeedAuthorization` is inherited as a global property.
///
/// Errors: a declared rule that is unknown, of the wrong category, with an inconsistent
/// HoldEndDate or a date beyond 9000-01-01 (with Vitam's outcome code in the context); a
/// duplicated unit id; a parent that is not in the set; a cycle.
///
/// ```
/// use vas_core::referential::{RulesReferential, RuleCategory};
/// use vas_core::rules::{compute_inherited_rules, parse_date, RuleRef, UnitRulesInput};
///
/// let referential = RulesReferential::from_csv_bytes(
///     b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
///       ACC-00002,AccessRule,Secret,,25,YEAR\n")?;
/// let mut root = UnitRulesInput { id: "root".into(), originating_agency: Some("SP".into()), ..Default::default() };
/// root.management.category_mut(RuleCategory::Access)
///     .rules.push(RuleRef::new("ACC-00002", Some(parse_date("2000-02-29")?)));
/// let child = UnitRulesInput { id: "child".into(), parents: vec!["root".into()], originating_agency: Some("SP".into()), ..Default::default() };
///
/// let computed = compute_inherited_rules(&[root, child], &referential)?;
/// let rules = computed.unit("child").unwrap();
/// let access = &rules.category(RuleCategory::Access).rules;
/// assert_eq!(access[0].rule, "ACC-00002");
/// assert_eq!(access[0].unit_id, "root");
/// assert_eq!(access[0].paths, vec![vec!["child".to_string(), "root".to_string()]]);
/// assert_eq!(access[0].end_date.map(vas_core::rules::format_date).as_deref(), Some("2025-02-28"));
/// // the implicit FinalAction=Keep of the root, inherited
/// assert_eq!(rules.category(RuleCategory::Appraisal).properties[0].value.as_str(), Some("Keep"));
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn compute_inherited_rules(
    units: &[UnitRulesInput],
    referential: &RulesReferential,
) -> Result<InheritedRules> {
    if units.len() >= (u32::MAX / 2) as usize {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("too many units: {}", units.len()),
        ));
    }
    let n = units.len();
    let mut index: HashMap<String, u32> = HashMap::with_capacity_and_hasher(n, Default::default());
    for (i, u) in units.iter().enumerate() {
        if index.insert(u.id.clone(), i as u32).is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("duplicated unit id {}", u.id),
            )
            .with_id(u.id.clone()));
        }
    }
    let mut parent_offsets: Vec<u32> = Vec::with_capacity(n + 1);
    let mut parent_flat: Vec<u32> = Vec::with_capacity(n + n / 8);
    parent_offsets.push(0);
    for u in units {
        let start = parent_flat.len();
        for p in &u.parents {
            let &pi = index.get(p).ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("unit {}: parent unit {p} is not part of the set", u.id),
                )
                .with_id(u.id.clone())
            })?;
            if !parent_flat[start..].contains(&pi) {
                parent_flat.push(pi);
            }
        }
        parent_offsets.push(parent_flat.len() as u32);
    }
    let order = topological_order(&parent_offsets, &parent_flat, units)?;

    let mut rule_ids = Interner::default();
    let mut prop_names = Interner::default();
    let mut agency_names = Interner::default();
    let mut value_index: HashMap<PropertyValue, u32> = HashMap::default();
    let mut values: Vec<PropertyValue> = Vec::new();
    let mut intern_value = |v: &PropertyValue, values: &mut Vec<PropertyValue>| -> u32 {
        if let Some(&i) = value_index.get(v) {
            return i;
        }
        let i = values.len() as u32;
        values.push(v.clone());
        value_index.insert(v.clone(), i);
        i
    };
    let keep = intern_value(&PropertyValue::Text("Keep".into()), &mut values);
    let final_action = prop_names.get_or_add("FinalAction");

    let mut meta = Vec::with_capacity(n);
    let mut local_rules: Vec<LocalRule> = Vec::new();
    let mut local_props: Vec<LocalProp> = Vec::new();
    let mut agencies = Vec::with_capacity(n);
    for u in units {
        let rstart = local_rules.len() as u32;
        resolve_unit(u, referential, &mut |c, id, start, end, hold| {
            local_rules.push(LocalRule {
                cat: c.index() as u8,
                rule: rule_ids.get_or_add(id),
                start,
                end,
                hold: (!hold.is_empty()).then(|| Box::new(hold.clone())),
            });
        })?;
        let pstart = local_props.len() as u32;
        let mut m = UnitMeta::default();
        for c in RuleCategory::ALL {
            let Some(cat) = u.management.category(c) else {
                continue;
            };
            if cat.prevent_inheritance {
                m.prevent |= 1 << c.index();
            }
            for id in &cat.ref_non_rule_ids {
                m.ref_non.push((c.index() as u8, rule_ids.get_or_add(id)));
            }
            for (name, value) in &cat.properties {
                local_props.push(LocalProp {
                    cat: c.index() as u8,
                    name: prop_names.get_or_add(name),
                    value: intern_value(value, &mut values),
                });
            }
        }
        if let Some(b) = u.management.need_authorization {
            local_props.push(LocalProp {
                cat: GLOBAL,
                name: prop_names.get_or_add("NeedAuthorization"),
                value: intern_value(&PropertyValue::Bool(b), &mut values),
            });
        }
        m.local_rules = Range {
            start: rstart,
            end: local_rules.len() as u32,
        };
        m.local_props = Range {
            start: pstart,
            end: local_props.len() as u32,
        };
        meta.push(m);
        agencies.push(
            u.originating_agency
                .as_deref()
                .map(|a| agency_names.get_or_add(a)),
        );
    }

    let mut out = InheritedRules {
        ids: units.iter().map(|u| u.id.clone()).collect(),
        titles: units.iter().map(|u| u.title.clone()).collect(),
        index,
        agencies,
        agency_names,
        rule_ids,
        prop_names,
        values,
        meta,
        local_rules,
        local_props,
        order,
        parent_offsets,
        parent_flat,
        rule_mask: vec![0; n],
        prop_mask: vec![0; n],
        rule_entries: Vec::with_capacity(n * 2),
        prop_entries: Vec::with_capacity(n * 2),
        unit_rules: vec![Range::default(); n],
        unit_props: vec![Range::default(); n],
        path_nodes: Vec::with_capacity(n * 3),
        path_lists: Vec::with_capacity(n * 3),
    };
    out.inherit(keep, final_action);
    Ok(out)
}

fn topological_order(
    parent_offsets: &[u32],
    parent_flat: &[u32],
    units: &[UnitRulesInput],
) -> Result<Vec<u32>> {
    // 0 = unvisited, 1 = in progress, 2 = done
    let n = units.len();
    let mut state = vec![0u8; n];
    let mut order = Vec::with_capacity(n);
    let mut stack: Vec<(u32, usize)> = Vec::new();
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        stack.push((start as u32, 0));
        state[start] = 1;
        while let Some(&mut (u, ref mut next)) = stack.last_mut() {
            let ps = &parent_flat
                [parent_offsets[u as usize] as usize..parent_offsets[u as usize + 1] as usize];
            if *next < ps.len() {
                let p = ps[*next];
                *next += 1;
                match state[p as usize] {
                    0 => {
                        state[p as usize] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        return Err(Error::new(
                            ErrorKind::InvalidInput,
                            format!(
                                "the unit graph has a cycle through units {} and {}",
                                units[u as usize].id, units[p as usize].id
                            ),
                        )
                        .with_id(units[p as usize].id.clone()));
                    }
                    _ => {}
                }
            } else {
                state[u as usize] = 2;
                order.push(u);
                stack.pop();
            }
        }
    }
    Ok(order)
}

impl InheritedRules {
    fn inherit(&mut self, keep: u32, final_action: u32) {
        let order = std::mem::take(&mut self.order);
        // scratch buffers: (origin, item, path node) and grouping
        let mut scratch: Vec<(u32, u32, u32, u32)> = Vec::new();
        let mut keys: Vec<(u32, u32, u32)> = Vec::new();
        for &u in &order {
            let ui = u as usize;
            let self_node = self.path_nodes.len() as u32;
            self.path_nodes.push((u, NIL));
            let rules_start = self.rule_entries.len() as u32;
            let props_start = self.prop_entries.len() as u32;
            let meta = &self.meta[ui];
            let (lr, lp, prevent) = (meta.local_rules, meta.local_props, meta.prevent);
            // only the categories present locally or above (bit 7 = global properties)
            let mut cats: u8 = 0;
            for item in lr.iter() {
                cats |= 1 << self.local_rules[item].cat;
            }
            for item in lp.iter() {
                cats |= 1 << self.local_props[item].cat;
            }
            for k in self.parent_offsets[ui]..self.parent_offsets[ui + 1] {
                let p = self.parent_flat[k as usize] as usize;
                cats |= self.rule_mask[p] | self.prop_mask[p];
            }
            if self.agencies[ui].is_some() {
                cats |= 1 << RuleCategory::Appraisal.index();
            }
            for cat in 0..8u8 {
                if cats & (1 << cat) == 0 {
                    continue;
                }
                // ---- rules (not for the global pseudo-category)
                if cat < GLOBAL {
                    for item in lr.iter() {
                        if self.local_rules[item].cat == cat {
                            self.push_rule_entry(u, item as u32, &[self_node]);
                        }
                    }
                    if prevent & (1 << cat) == 0 {
                        scratch.clear();
                        for k in self.parent_offsets[ui]..self.parent_offsets[ui + 1] {
                            let p = self.parent_flat[k as usize];
                            for e in self.unit_rules[p as usize].iter() {
                                let entry = self.rule_entries[e];
                                let lrule = &self.local_rules[entry.item as usize];
                                if lrule.cat != cat {
                                    continue;
                                }
                                let rid = lrule.rule;
                                let redeclared = lr.iter().any(|i| {
                                    self.local_rules[i].cat == cat
                                        && self.local_rules[i].rule == rid
                                });
                                let excluded = self.meta[ui]
                                    .ref_non
                                    .iter()
                                    .any(|&(c, r)| c == cat && r == rid);
                                if redeclared || excluded {
                                    continue;
                                }
                                for k in 0..entry.paths_len {
                                    let node = self.path_lists[(entry.paths_start + k) as usize];
                                    let new_node = self.path_nodes.len() as u32;
                                    self.path_nodes.push((u, node));
                                    scratch.push((entry.origin, rid, entry.item, new_node));
                                }
                            }
                        }
                        self.flush_merged(&scratch, &mut keys, true);
                    }
                }
                // ---- properties
                let explicit_start = self.prop_entries.len();
                for item in lp.iter() {
                    if self.local_props[item].cat == cat {
                        self.push_prop_entry(u, item as u32, &[self_node]);
                    }
                }
                let blocked = cat < GLOBAL && prevent & (1 << cat) != 0;
                if !blocked {
                    scratch.clear();
                    for k in self.parent_offsets[ui]..self.parent_offsets[ui + 1] {
                        let p = self.parent_flat[k as usize];
                        for e in self.unit_props[p as usize].iter() {
                            let entry = self.prop_entries[e];
                            let lprop = self.local_props[entry.item as usize];
                            if lprop.cat != cat {
                                continue;
                            }
                            let redefined = lp.iter().any(|i| {
                                self.local_props[i].cat == cat
                                    && self.local_props[i].name == lprop.name
                            });
                            if redefined {
                                continue;
                            }
                            for k in 0..entry.paths_len {
                                let node = self.path_lists[(entry.paths_start + k) as usize];
                                let new_node = self.path_nodes.len() as u32;
                                self.path_nodes.push((u, node));
                                scratch.push((entry.origin, lprop.name, entry.item, new_node));
                            }
                        }
                    }
                    self.flush_merged(&scratch, &mut keys, false);
                }
                // implicit FinalAction=Keep (AppraisalRule, non-holding units)
                if cat == RuleCategory::Appraisal.index() as u8
                    && let Some(agency) = self.agencies[ui]
                {
                    let has_own = self.prop_entries[explicit_start..].iter().any(|e| {
                        self.local_props[e.item as usize].name == final_action
                            && self.agencies[e.origin as usize] == Some(agency)
                    });
                    if !has_own {
                        // the implicit property replaces every explicit FinalAction
                        let kept: Vec<Entry> = self.prop_entries[explicit_start..]
                            .iter()
                            .copied()
                            .filter(|e| self.local_props[e.item as usize].name != final_action)
                            .collect();
                        self.prop_entries.truncate(explicit_start);
                        let item = self.local_props.len() as u32;
                        self.local_props.push(LocalProp {
                            cat,
                            name: final_action,
                            value: keep,
                        });
                        self.push_prop_entry(u, item, &[self_node]);
                        self.prop_entries.extend(kept);
                    }
                }
            }
            self.unit_rules[ui] = Range {
                start: rules_start,
                end: self.rule_entries.len() as u32,
            };
            let mut rm = 0u8;
            for e in &self.rule_entries[rules_start as usize..] {
                rm |= 1 << self.local_rules[e.item as usize].cat;
            }
            let mut pm = 0u8;
            for e in &self.prop_entries[props_start as usize..] {
                pm |= 1 << self.local_props[e.item as usize].cat;
            }
            self.rule_mask[ui] = rm;
            self.prop_mask[ui] = pm;
            self.unit_props[ui] = Range {
                start: props_start,
                end: self.prop_entries.len() as u32,
            };
        }
        self.order = order;
    }

    /// Groups `(origin, item, node)` triples by (origin, item) in first-appearance order
    /// and pushes one entry per group with all its paths.
    /// Groups `(origin, key, item, node)` by (origin, key) — key = rule id or property
    /// name, as Vitam's merge — in first-appearance order, and pushes one entry per group
    /// (the first item) with all its paths.
    fn flush_merged(
        &mut self,
        scratch: &[(u32, u32, u32, u32)],
        keys: &mut Vec<(u32, u32, u32)>,
        rules: bool,
    ) {
        keys.clear();
        for &(o, k, i, _) in scratch {
            if !keys.iter().any(|&(o2, k2, _)| (o2, k2) == (o, k)) {
                keys.push((o, k, i));
            }
        }
        for &(o, k, i) in keys.iter() {
            let start = self.path_lists.len() as u32;
            for &(o2, k2, _, node) in scratch {
                if (o2, k2) == (o, k) {
                    self.path_lists.push(node);
                }
            }
            let entry = Entry {
                origin: o,
                item: i,
                paths_start: start,
                paths_len: self.path_lists.len() as u32 - start,
            };
            if rules {
                self.rule_entries.push(entry);
            } else {
                self.prop_entries.push(entry);
            }
        }
    }

    fn push_rule_entry(&mut self, origin: u32, item: u32, nodes: &[u32]) {
        let start = self.path_lists.len() as u32;
        self.path_lists.extend_from_slice(nodes);
        self.rule_entries.push(Entry {
            origin,
            item,
            paths_start: start,
            paths_len: nodes.len() as u32,
        });
    }

    fn push_prop_entry(&mut self, origin: u32, item: u32, nodes: &[u32]) {
        let start = self.path_lists.len() as u32;
        self.path_lists.extend_from_slice(nodes);
        self.prop_entries.push(Entry {
            origin,
            item,
            paths_start: start,
            paths_len: nodes.len() as u32,
        });
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// `true` when there is no unit.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The unit ids, in input order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The title given for a unit in the input.
    pub fn title(&self, id: &str) -> Option<&str> {
        self.index
            .get(id)
            .and_then(|&i| self.titles[i as usize].as_deref())
    }

    /// The ids of the unit's parents.
    pub fn parents(&self, id: &str) -> Option<Vec<&str>> {
        let &i = self.index.get(id)?;
        Some(
            self.parent_indices(i)
                .iter()
                .map(|&p| self.ids[p as usize].as_str())
                .collect(),
        )
    }

    pub(crate) fn index_of(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    pub(crate) fn id(&self, u: u32) -> &str {
        &self.ids[u as usize]
    }

    pub(crate) fn agency(&self, u: u32) -> Option<&str> {
        self.agencies[u as usize].map(|a| self.agency_names.name(a))
    }

    pub(crate) fn parent_indices(&self, u: u32) -> &[u32] {
        &self.parent_flat
            [self.parent_offsets[u as usize] as usize..self.parent_offsets[u as usize + 1] as usize]
    }

    /// Topological order, parents first.
    pub(crate) fn order(&self) -> &[u32] {
        &self.order
    }

    fn path(&self, mut node: u32) -> Vec<String> {
        let mut out = Vec::new();
        while node != NIL {
            let (u, next) = self.path_nodes[node as usize];
            out.push(self.ids[u as usize].clone());
            node = next;
        }
        out
    }

    /// The direct parent on a path (second element), if the path has one.
    pub(crate) fn path_parent(&self, node: u32) -> Option<u32> {
        let (_, next) = self.path_nodes[node as usize];
        (next != NIL).then(|| self.path_nodes[next as usize].0)
    }

    /// Compact view of a unit's inherited rules of a category: (origin, end date,
    /// rule id, path nodes).
    pub(crate) fn rules_of(&self, u: u32, c: RuleCategory) -> impl Iterator<Item = RuleView<'_>> {
        self.unit_rules[u as usize]
            .iter()
            .map(move |e| self.rule_entries[e])
            .filter(move |e| self.local_rules[e.item as usize].cat == c.index() as u8)
            .map(move |e| RuleView {
                set: self,
                entry: e,
            })
    }

    /// Compact view of a unit's inherited properties of a category (`None` = global).
    pub(crate) fn props_of(
        &self,
        u: u32,
        c: Option<RuleCategory>,
    ) -> impl Iterator<Item = PropView<'_>> {
        let cat = c.map_or(GLOBAL, |c| c.index() as u8);
        self.unit_props[u as usize]
            .iter()
            .map(move |e| self.prop_entries[e])
            .filter(move |e| self.local_props[e.item as usize].cat == cat)
            .map(move |e| PropView {
                set: self,
                entry: e,
            })
    }

    /// The unit's own management with computed end dates, in the shape Vitam stores it
    /// (`#management`): per declared category `Rules` (`Rule`, `StartDate`, `EndDate`, hold
    /// attributes), the properties (`FinalAction` …), and `Inheritance`
    /// (`PreventInheritance`, `PreventRulesId`) when set; `NeedAuthorization` at the top.
    ///
    /// ```
    /// use vas_core::referential::{RulesReferential, RuleCategory};
    /// use vas_core::rules::{compute_inherited_rules, parse_date, RuleRef, UnitRulesInput};
    ///
    /// let referential = RulesReferential::from_csv_bytes(
    ///     b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
    ///       APP-2,AppraisalRule,v,,5,YEAR\n")?;
    /// let mut u = UnitRulesInput { id: "u".into(), originating_agency: Some("SP".into()), ..Default::default() };
    /// u.management.category_mut(RuleCategory::Appraisal).rules.push(RuleRef::new("APP-2", Some(parse_date("2000-01-01")?)));
    /// let m = compute_inherited_rules(&[u], &referential)?.management_json("u").unwrap();
    /// assert_eq!(m["AppraisalRule"]["Rules"][0]["EndDate"], "2005-01-01");
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn management_json(&self, id: &str) -> Option<Value> {
        let u = *self.index.get(id)? as usize;
        let meta = &self.meta[u];
        let mut m = Map::new();
        for c in RuleCategory::ALL {
            let ci = c.index() as u8;
            let rules: Vec<Value> = meta
                .local_rules
                .iter()
                .map(|i| &self.local_rules[i])
                .filter(|r| r.cat == ci)
                .map(|r| {
                    InheritedRule {
                        unit_id: String::new(),
                        originating_agency: None,
                        paths: Vec::new(),
                        rule: self.rule_ids.name(r.rule).to_owned(),
                        start_date: r.start,
                        end_date: r.end,
                        hold: r.hold.as_deref().cloned().unwrap_or_default(),
                    }
                    .to_json()
                })
                .map(|mut v| {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("UnitId");
                        o.remove("OriginatingAgency");
                        o.remove("Paths");
                    }
                    v
                })
                .collect();
            let props: Vec<(&str, Value)> = meta
                .local_props
                .iter()
                .map(|i| self.local_props[i])
                .filter(|p| p.cat == ci)
                .map(|p| {
                    (
                        self.prop_names.name(p.name),
                        self.values[p.value as usize].to_json(),
                    )
                })
                .collect();
            let prevent = meta.prevent & (1 << ci) != 0;
            let ref_non: Vec<&str> = meta
                .ref_non
                .iter()
                .filter(|(c2, _)| *c2 == ci)
                .map(|(_, r)| self.rule_ids.name(*r))
                .collect();
            if rules.is_empty() && props.is_empty() && !prevent && ref_non.is_empty() {
                continue;
            }
            let mut o = Map::new();
            if !rules.is_empty() {
                o.insert("Rules".into(), Value::Array(rules));
            }
            for (name, v) in props {
                o.insert(name.into(), v);
            }
            if prevent || !ref_non.is_empty() {
                let mut inh = Map::new();
                if prevent {
                    inh.insert("PreventInheritance".into(), json!(true));
                }
                inh.insert("PreventRulesId".into(), json!(ref_non));
                o.insert("Inheritance".into(), Value::Object(inh));
            }
            m.insert(c.name().into(), Value::Object(o));
        }
        for i in meta.local_props.iter() {
            let p = self.local_props[i];
            if p.cat == GLOBAL {
                m.insert(
                    self.prop_names.name(p.name).into(),
                    self.values[p.value as usize].to_json(),
                );
            }
        }
        Some(Value::Object(m))
    }

    /// The inherited rules of one unit, as owned data.
    pub fn unit(&self, id: &str) -> Option<UnitInheritedRules> {
        let u = *self.index.get(id)?;
        let mut categories = Vec::with_capacity(7);
        for c in RuleCategory::ALL {
            categories.push(InheritedCategory {
                rules: self.rules_of(u, c).map(|r| r.to_owned()).collect(),
                properties: self.props_of(u, Some(c)).map(|p| p.to_owned()).collect(),
            });
        }
        Some(UnitInheritedRules {
            unit_id: id.to_owned(),
            categories,
            global_properties: self.props_of(u, None).map(|p| p.to_owned()).collect(),
        })
    }
}

/// A borrowed inherited rule.
#[derive(Clone, Copy)]
pub(crate) struct RuleView<'a> {
    set: &'a InheritedRules,
    entry: Entry,
}

impl<'a> RuleView<'a> {
    pub fn end_date(&self) -> Option<Date> {
        self.set.local_rules[self.entry.item as usize].end
    }
    pub fn rule_id(&self) -> &'a str {
        self.set
            .rule_ids
            .name(self.set.local_rules[self.entry.item as usize].rule)
    }
    pub fn agency(&self) -> Option<&'a str> {
        self.set.agency(self.entry.origin)
    }
    pub fn path_nodes(&self) -> &'a [u32] {
        let s = self.entry.paths_start as usize;
        &self.set.path_lists[s..s + self.entry.paths_len as usize]
    }
    fn to_owned(self) -> InheritedRule {
        let l = &self.set.local_rules[self.entry.item as usize];
        InheritedRule {
            unit_id: self.set.ids[self.entry.origin as usize].clone(),
            originating_agency: self.agency().map(str::to_owned),
            paths: self
                .path_nodes()
                .iter()
                .map(|&n| self.set.path(n))
                .collect(),
            rule: self.rule_id().to_owned(),
            start_date: l.start,
            end_date: l.end,
            hold: l.hold.as_deref().cloned().unwrap_or_default(),
        }
    }
}

/// A borrowed inherited property.
#[derive(Clone, Copy)]
pub(crate) struct PropView<'a> {
    set: &'a InheritedRules,
    entry: Entry,
}

impl<'a> PropView<'a> {
    pub fn name(&self) -> &'a str {
        self.set
            .prop_names
            .name(self.set.local_props[self.entry.item as usize].name)
    }
    pub fn value(&self) -> &'a PropertyValue {
        &self.set.values[self.set.local_props[self.entry.item as usize].value as usize]
    }
    pub fn agency(&self) -> Option<&'a str> {
        self.set.agency(self.entry.origin)
    }
    pub fn path_nodes(&self) -> &'a [u32] {
        let s = self.entry.paths_start as usize;
        &self.set.path_lists[s..s + self.entry.paths_len as usize]
    }
    fn to_owned(self) -> InheritedProperty {
        InheritedProperty {
            unit_id: self.set.ids[self.entry.origin as usize].clone(),
            originating_agency: self.agency().map(str::to_owned),
            paths: self
                .path_nodes()
                .iter()
                .map(|&n| self.set.path(n))
                .collect(),
            name: self.name().to_owned(),
            value: self.value().clone(),
        }
    }
}

/// One rule applying to a unit (Vitam's `InheritedRuleResponseModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InheritedRule {
    /// The unit that declares the rule (`UnitId`).
    pub unit_id: String,
    /// The originating agency of that unit.
    pub originating_agency: Option<String>,
    /// Every path from the unit down to the declaring unit (`[unit, parent, …, origin]`).
    pub paths: Vec<Vec<String>>,
    /// The rule id.
    pub rule: String,
    /// `StartDate`.
    pub start_date: Option<Date>,
    /// The computed `EndDate`.
    pub end_date: Option<Date>,
    /// HoldRule attributes.
    pub hold: HoldAttributes,
}

/// One property applying to a unit (Vitam's `InheritedPropertyResponseModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InheritedProperty {
    /// The unit that declares the property.
    pub unit_id: String,
    /// The originating agency of that unit.
    pub originating_agency: Option<String>,
    /// Every path from the unit down to the declaring unit.
    pub paths: Vec<Vec<String>>,
    /// `PropertyName`.
    pub name: String,
    /// `PropertyValue`.
    pub value: PropertyValue,
}

/// The rules and properties of one category applying to a unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InheritedCategory {
    /// `Rules`.
    pub rules: Vec<InheritedRule>,
    /// `Properties`.
    pub properties: Vec<InheritedProperty>,
}

/// Everything that applies to one unit: Vitam's `UnitInheritedRulesResponseModel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInheritedRules {
    /// The unit.
    pub unit_id: String,
    /// Per category, indexed by [`RuleCategory::index`].
    pub categories: Vec<InheritedCategory>,
    /// `GlobalProperties` (`NeedAuthorization`).
    pub global_properties: Vec<InheritedProperty>,
}

fn paths_json(paths: &[Vec<String>]) -> Value {
    Value::Array(
        paths
            .iter()
            .map(|p| Value::Array(p.iter().cloned().map(Value::String).collect()))
            .collect(),
    )
}

impl InheritedRule {
    /// The rule as Vitam prints it: `UnitId`, `OriginatingAgency`, `Paths`, `Rule`,
    /// `StartDate`, `EndDate`, then the HoldRule attributes present.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("UnitId".into(), json!(self.unit_id));
        m.insert("OriginatingAgency".into(), json!(self.originating_agency));
        m.insert("Paths".into(), paths_json(&self.paths));
        m.insert("Rule".into(), json!(self.rule));
        if let Some(d) = self.start_date {
            m.insert("StartDate".into(), json!(format_date(d)));
        }
        if let Some(d) = self.end_date {
            m.insert("EndDate".into(), json!(format_date(d)));
        }
        let h = &self.hold;
        if let Some(d) = h.hold_end_date {
            m.insert("HoldEndDate".into(), json!(format_date(d)));
        }
        if let Some(s) = &h.hold_owner {
            m.insert("HoldOwner".into(), json!(s));
        }
        if let Some(s) = &h.hold_reason {
            m.insert("HoldReason".into(), json!(s));
        }
        if let Some(d) = h.hold_reassessing_date {
            m.insert("HoldReassessingDate".into(), json!(format_date(d)));
        }
        if let Some(b) = h.prevent_rearrangement {
            m.insert("PreventRearrangement".into(), json!(b));
        }
        Value::Object(m)
    }
}

impl InheritedProperty {
    /// The property as Vitam prints it: `UnitId`, `OriginatingAgency`, `Paths`,
    /// `PropertyName`, `PropertyValue`.
    pub fn to_json(&self) -> Value {
        json!({
            "UnitId": self.unit_id,
            "OriginatingAgency": self.originating_agency,
            "Paths": paths_json(&self.paths),
            "PropertyName": self.name,
            "PropertyValue": self.value.to_json(),
        })
    }
}

impl UnitInheritedRules {
    /// The rules and properties of a category.
    pub fn category(&self, c: RuleCategory) -> &InheritedCategory {
        &self.categories[c.index()]
    }

    /// The `$computedInheritedRules` document of the unit:
    /// `{"GlobalProperties":[…], "StorageRule":{"Rules":[…],"Properties":[…]}, …}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "GlobalProperties".into(),
            Value::Array(self.global_properties.iter().map(|p| p.to_json()).collect()),
        );
        for c in RuleCategory::ALL {
            let cat = self.category(c);
            m.insert(
                c.name().into(),
                json!({
                    "Rules": cat.rules.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
                    "Properties": cat.properties.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
                }),
            );
        }
        Value::Object(m)
    }

    /// The indexed summary (Vitam's `_computedInheritedRules`), per category:
    /// `MaxEndDate` (latest end date; rules without one are left out),
    /// `InheritanceOrigin` (`Local`, `Inherited`, `LocalAndInherited`),
    /// `InheritedRuleIds` (ids of the rules that come from an ancestor), `Rules`
    /// (`Rule` + `EndDate`, HoldRule only), `FinalAction` (Storage and Appraisal: every
    /// value, duplicates kept) and the classification property lists; plus
    /// `NeedAuthorization` at the top level when some unit on the way sets it.
    pub fn summary(&self) -> Value {
        let mut m = Map::new();
        for c in RuleCategory::ALL {
            let cat = self.category(c);
            let mut s = Map::new();
            if !cat.rules.is_empty() {
                if let Some(max) = cat.rules.iter().filter_map(|r| r.end_date).max() {
                    s.insert("MaxEndDate".into(), json!(format_date(max)));
                }
                let local = cat.rules.iter().any(|r| r.unit_id == self.unit_id);
                let inherited: Vec<&str> = {
                    let mut v: Vec<&str> = cat
                        .rules
                        .iter()
                        .filter(|r| r.unit_id != self.unit_id)
                        .map(|r| r.rule.as_str())
                        .collect();
                    v.sort_unstable();
                    v.dedup();
                    v
                };
                let origin = match (local, !inherited.is_empty()) {
                    (true, true) => "LocalAndInherited",
                    (true, false) => "Local",
                    _ => "Inherited",
                };
                s.insert("InheritanceOrigin".into(), json!(origin));
                if !inherited.is_empty() {
                    s.insert("InheritedRuleIds".into(), json!(inherited));
                }
                if c == RuleCategory::Hold {
                    s.insert(
                        "Rules".into(),
                        Value::Array(
                            cat.rules
                                .iter()
                                .map(|r| {
                                    let mut o = Map::new();
                                    o.insert("Rule".into(), json!(r.rule));
                                    if let Some(e) = r.end_date {
                                        o.insert("EndDate".into(), json!(format_date(e)));
                                    }
                                    Value::Object(o)
                                })
                                .collect(),
                        ),
                    );
                }
            }
            let values = |name: &str| -> Value {
                Value::Array(
                    cat.properties
                        .iter()
                        .filter(|p| p.name == name)
                        .map(|p| p.value.to_json())
                        .collect(),
                )
            };
            match c {
                RuleCategory::Storage | RuleCategory::Appraisal => {
                    s.insert("FinalAction".into(), values("FinalAction"));
                }
                RuleCategory::Classification => {
                    for name in [
                        "ClassificationAudience",
                        "ClassificationLevel",
                        "ClassificationOwner",
                        "ClassificationReassessingDate",
                        "NeedReassessingAuthorization",
                    ] {
                        s.insert(name.into(), values(name));
                    }
                }
                _ => {}
            }
            m.insert(c.name().into(), Value::Object(s));
        }
        let need: Vec<Value> = self
            .global_properties
            .iter()
            .filter(|p| p.name == "NeedAuthorization")
            .map(|p| p.value.to_json())
            .collect();
        if !need.is_empty() {
            m.insert("NeedAuthorization".into(), Value::Array(need));
        }
        Value::Object(m)
    }
}
