//! Property tests of the inheritance engine on random DAGs, against a brute-force
//! reference that enumerates every upward path.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use vas_core::referential::{RuleCategory, RulesReferential};
use vas_core::rules::{self, PropertyValue, RuleRef, UnitRulesInput, compute_inherited_rules};

const RULES: [&str; 4] = ["R0", "R1", "R2", "R3"];

fn referential() -> RulesReferential {
    let mut csv =
        String::from("RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n");
    for r in RULES {
        csv.push_str(&format!("{r},AccessRule,v,,1,YEAR\n"));
    }
    RulesReferential::from_csv_bytes(csv.as_bytes()).unwrap()
}

#[derive(Debug, Clone)]
struct Spec {
    parents: Vec<usize>,
    rules: Vec<usize>,
    prevent: bool,
    ref_non: Vec<usize>,
    final_action: Option<bool>,
}

fn dag() -> impl Strategy<Value = Vec<Spec>> {
    (1usize..18).prop_flat_map(|n| {
        let specs: Vec<_> = (0..n)
            .map(|i| {
                (
                    proptest::collection::vec(0..i.max(1), 0..if i == 0 { 1 } else { 4 }),
                    proptest::collection::vec(0usize..4, 0..3),
                    proptest::bool::weighted(0.15),
                    proptest::collection::vec(0usize..4, 0..2),
                    proptest::option::of(any::<bool>()),
                )
                    .prop_map(move |(p, r, prevent, ref_non, fa)| Spec {
                        parents: if i == 0 { vec![] } else { p },
                        rules: r,
                        prevent,
                        ref_non,
                        final_action: fa,
                    })
            })
            .collect();
        specs
    })
}

fn id(i: usize) -> String {
    format!("U{i}")
}

fn inputs(specs: &[Spec]) -> Vec<UnitRulesInput> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut u = UnitRulesInput {
                id: id(i),
                parents: {
                    let mut p: Vec<String> = s.parents.iter().map(|&p| id(p)).collect();
                    p.dedup();
                    p
                },
                originating_agency: Some(if i % 3 == 0 { "A".into() } else { "B".into() }),
                ..Default::default()
            };
            let acc = u.management.category_mut(RuleCategory::Access);
            let mut seen = BTreeSet::new();
            for &r in &s.rules {
                if seen.insert(r) {
                    acc.rules.push(RuleRef::new(RULES[r], None));
                }
            }
            acc.prevent_inheritance = s.prevent;
            acc.ref_non_rule_ids = s.ref_non.iter().map(|&r| RULES[r].to_string()).collect();
            if let Some(destroy) = s.final_action {
                u.management
                    .category_mut(RuleCategory::Appraisal)
                    .set_property(
                        "FinalAction",
                        PropertyValue::Text(if destroy { "Destroy" } else { "Keep" }.into()),
                    );
            }
            u
        })
        .collect()
}

/// (origin, rule) → sorted paths, for a unit's AccessRule.
type Norm = BTreeMap<(String, String), BTreeSet<Vec<String>>>;

fn normalized(c: &rules::InheritedRules, unit: &str) -> (Norm, Vec<String>) {
    let r = c.unit(unit).unwrap();
    let mut out = Norm::new();
    for rule in &r.category(RuleCategory::Access).rules {
        let prev = out.insert(
            (rule.unit_id.clone(), rule.rule.clone()),
            rule.paths.iter().cloned().collect(),
        );
        assert!(
            prev.is_none(),
            "duplicate entry {} {}",
            rule.unit_id,
            rule.rule
        );
    }
    let mut props: Vec<String> = r
        .category(RuleCategory::Appraisal)
        .properties
        .iter()
        .map(|p| {
            format!("{}={:?}@{}:{:?}", p.name, p.value, p.unit_id, {
                let mut ps = p.paths.clone();
                ps.sort();
                ps
            })
        })
        .collect();
    props.sort();
    (out, props)
}

/// Brute force: every upward path from `u`; a rule declared at the end of a path applies
/// when no unit before the end blocks it.
fn reference(specs: &[Spec], u: usize) -> Norm {
    let inp = inputs(specs);
    let mut out = Norm::new();
    let mut stack = vec![vec![u]];
    while let Some(path) = stack.pop() {
        let last = *path.last().unwrap();
        // rules declared at `last`, reaching `u` through `path`
        for r in &inp[last]
            .management
            .category(RuleCategory::Access)
            .unwrap()
            .rules
        {
            let blocked = path[..path.len() - 1].iter().any(|&x| {
                let c = inp[x].management.category(RuleCategory::Access).unwrap();
                c.prevent_inheritance
                    || c.ref_non_rule_ids.contains(&r.rule)
                    || c.rules.iter().any(|o| o.rule == r.rule)
            });
            if !blocked {
                out.entry((id(last), r.rule.clone()))
                    .or_default()
                    .insert(path.iter().map(|&x| id(x)).collect());
            }
        }
        for p in &inp[last].parents {
            let pi: usize = p[1..].parse().unwrap();
            let mut next = path.clone();
            next.push(pi);
            stack.push(next);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Equal to the brute-force reference: PreventInheritance, RefNonRuleId and local
    /// redeclaration block exactly what they should, every path exists in the graph, and
    /// every path that should carry a rule does.
    #[test]
    fn equals_bruteforce_reference(specs in dag()) {
        let c = compute_inherited_rules(&inputs(&specs), &referential()).unwrap();
        for u in 0..specs.len() {
            let (got, _) = normalized(&c, &id(u));
            prop_assert_eq!(&got, &reference(&specs, u), "unit {}", u);
            // every path starts at the unit, ends at the origin and follows parent links
            for ((origin, _), paths) in &got {
                for p in paths {
                    prop_assert_eq!(&p[0], &id(u));
                    prop_assert_eq!(p.last().unwrap(), origin);
                    for w in p.windows(2) {
                        prop_assert!(c.parents(&w[0]).unwrap().contains(&w[1].as_str()));
                    }
                }
            }
        }
    }

    /// A category with PreventInheritance receives nothing from above; a rule blocked by
    /// it never reaches the descendants through it.
    #[test]
    fn prevent_inheritance_blocks(specs in dag()) {
        let inp = inputs(&specs);
        let c = compute_inherited_rules(&inp, &referential()).unwrap();
        for u in 0..specs.len() {
            let r = c.unit(&id(u)).unwrap();
            for rule in &r.category(RuleCategory::Access).rules {
                for p in &rule.paths {
                    for x in &p[..p.len() - 1] {
                        let i: usize = x[1..].parse().unwrap();
                        prop_assert!(!specs[i].prevent, "{} crosses {} which prevents inheritance", rule.rule, x);
                    }
                }
            }
        }
    }

    /// Results do not depend on the order the units are declared in.
    #[test]
    fn independent_of_declaration_order(specs in dag(), seed in any::<u64>()) {
        let inp = inputs(&specs);
        let mut shuffled = inp.clone();
        // deterministic Fisher-Yates from the seed
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let a = compute_inherited_rules(&inp, &referential()).unwrap();
        let b = compute_inherited_rules(&shuffled, &referential()).unwrap();
        for u in 0..specs.len() {
            prop_assert_eq!(normalized(&a, &id(u)), normalized(&b, &id(u)));
            prop_assert_eq!(a.unit(&id(u)).unwrap().summary(), b.unit(&id(u)).unwrap().summary());
        }
    }

    /// Adding an unrelated unit (a new root with its own rules, or a new leaf) changes
    /// nothing for the other units.
    #[test]
    fn unrelated_unit_changes_nothing(specs in dag(), leaf_parent in any::<prop::sample::Index>()) {
        let inp = inputs(&specs);
        let base = compute_inherited_rules(&inp, &referential()).unwrap();
        let mut more = inp.clone();
        let mut lonely = UnitRulesInput { id: "LONELY".into(), originating_agency: Some("A".into()), ..Default::default() };
        lonely.management.category_mut(RuleCategory::Access).rules.push(RuleRef::new("R0", None));
        more.push(lonely);
        let mut leaf = UnitRulesInput { id: "LEAF".into(), parents: vec![id(leaf_parent.index(specs.len()))], originating_agency: Some("C".into()), ..Default::default() };
        leaf.management.category_mut(RuleCategory::Access).rules.push(RuleRef::new("R1", None));
        more.push(leaf);
        let c = compute_inherited_rules(&more, &referential()).unwrap();
        for u in 0..specs.len() {
            prop_assert_eq!(normalized(&base, &id(u)), normalized(&c, &id(u)));
        }
    }

    /// The elimination action never deletes a unit with a child that is kept.
    #[test]
    fn elimination_action_never_orphans(specs in dag()) {
        let inp = inputs(&specs);
        let c = compute_inherited_rules(&inp, &referential()).unwrap();
        let at = rules::parse_date("2100-01-01").unwrap();
        let action = c.elimination_action(&c.analyze_elimination(at));
        let deleted: BTreeSet<&str> = action.iter()
            .filter(|a| a.status == rules::EliminationActionStatus::Deleted)
            .map(|a| a.unit_id.as_str()).collect();
        for u in &inp {
            if !deleted.contains(u.id.as_str()) {
                for p in &u.parents {
                    prop_assert!(!deleted.contains(p.as_str()), "{} deleted but its child {} is kept", p, u.id);
                }
            }
        }
    }
}

#[test]
fn cycles_and_missing_parents_are_errors() {
    let mk = |id: &str, parents: &[&str]| UnitRulesInput {
        id: id.into(),
        parents: parents.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let e =
        compute_inherited_rules(&[mk("A", &["B"]), mk("B", &["A"])], &referential()).unwrap_err();
    assert_eq!(e.kind(), vas_core::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("cycle"));
    let e = compute_inherited_rules(&[mk("A", &["A"])], &referential()).unwrap_err();
    assert!(e.to_string().contains("cycle"));
    let e = compute_inherited_rules(&[mk("A", &["Z"])], &referential()).unwrap_err();
    assert_eq!(e.kind(), vas_core::ErrorKind::NotFound);
    let e = compute_inherited_rules(&[mk("A", &[]), mk("A", &[])], &referential()).unwrap_err();
    assert!(e.to_string().contains("duplicated"));
}
