//! Inherited-rules computation and elimination analysis on a generated DAG of 1 000 000
//! units (depth 10, 5% with two parents, rules declared at 10% of the units).
//!
//! Run: `cargo bench -p vas-core --bench rules_inherit` (optional argument: unit count).
//! Prints wall times (single-threaded) and the peak resident memory.

use std::time::Instant;

use vas_core::referential::{RuleCategory, RulesReferential};
use vas_core::rules::{self, PropertyValue, RuleRef, UnitRulesInput};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn vm(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".into())
}

/// User + system CPU time of this process, in seconds (from /proc/self/stat, 100 Hz ticks).
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f[11].parse::<f64>().ok()? + f[12].parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

fn generate(n: usize) -> Vec<UnitRulesInput> {
    const DEPTH: usize = 10;
    let per_level = n.div_ceil(DEPTH);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = rules::parse_date("2000-01-01").unwrap();
    let mut units = Vec::with_capacity(n);
    for i in 0..n {
        let level = i / per_level;
        let mut u = UnitRulesInput {
            id: format!("u{i:07}"),
            originating_agency: Some(if rng.below(50) == 0 {
                "SP2".into()
            } else {
                "SP1".into()
            }),
            ..Default::default()
        };
        if level > 0 {
            let base = (level - 1) * per_level;
            let p = base + rng.below(per_level as u64) as usize;
            u.parents.push(format!("u{p:07}"));
            if rng.below(100) < 5 {
                let q = base + rng.below(per_level as u64) as usize;
                if q != p {
                    u.parents.push(format!("u{q:07}"));
                }
            }
        }
        if rng.below(10) == 0 {
            let (cat, rule) = match rng.below(5) {
                0 => (RuleCategory::Appraisal, format!("APP-{}", rng.below(20))),
                1 => (
                    RuleCategory::Dissemination,
                    format!("DIS-{}", rng.below(20)),
                ),
                2 => (RuleCategory::Hold, format!("HOL-{}", rng.below(5))),
                _ => (RuleCategory::Access, format!("ACC-{}", rng.below(20))),
            };
            let c = u.management.category_mut(cat);
            c.rules.push(RuleRef::new(
                rule,
                Some(rules::plus_days(start, rng.below(3650) as i64).unwrap()),
            ));
            if cat == RuleCategory::Appraisal {
                c.set_property(
                    "FinalAction",
                    PropertyValue::Text(if rng.below(2) == 0 { "Destroy" } else { "Keep" }.into()),
                );
            }
            if rng.below(10) == 0 {
                c.prevent_inheritance = true;
            }
        }
        units.push(u);
    }
    units
}

fn referential() -> RulesReferential {
    let mut csv =
        String::from("RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n");
    for i in 0..20 {
        csv.push_str(&format!("APP-{i},AppraisalRule,v,,{},YEAR\n", i + 1));
        csv.push_str(&format!("DIS-{i},DisseminationRule,v,,{},MONTH\n", i * 6));
        csv.push_str(&format!("ACC-{i},AccessRule,v,,{},YEAR\n", i * 5));
    }
    for i in 0..5 {
        csv.push_str(&format!("HOL-{i},HoldRule,v,,{},YEAR\n", i + 1));
    }
    RulesReferential::from_csv_bytes(csv.as_bytes()).unwrap()
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let referential = referential();
    let t = Instant::now();
    let units = generate(n);
    eprintln!(
        "generated {n} units in {:.2?} (VmRSS {})",
        t.elapsed(),
        vm("VmRSS:")
    );
    let rss_before = vm("VmRSS:");

    let t = Instant::now();
    let c0 = cpu();
    let computed = rules::compute_inherited_rules(&units, &referential).unwrap();
    let compute_time = t.elapsed();
    eprintln!(
        "compute_inherited_rules: {compute_time:.2?} wall, {:.2} s CPU, for {n} units (VmRSS {rss_before} → {}, VmHWM {})",
        cpu() - c0,
        vm("VmRSS:"),
        vm("VmHWM:")
    );

    let at = rules::parse_date("2020-01-01").unwrap();
    let t = Instant::now();
    let c0 = cpu();
    let analysis = computed.analyze_elimination(at);
    let analysis_time = t.elapsed();
    let analysis_cpu = cpu() - c0;
    let t = Instant::now();
    let action = computed.elimination_action(&analysis);
    let action_time = t.elapsed();
    let count = |s: rules::EliminationStatus| analysis.iter().filter(|a| a.status == s).count();
    let deleted = action
        .iter()
        .filter(|a| a.status == rules::EliminationActionStatus::Deleted)
        .count();
    eprintln!(
        "analyze_elimination: {analysis_time:.2?} wall, {analysis_cpu:.2} s CPU (KEEP {}, DESTROY {}, CONFLICT {}); elimination_action: {action_time:.2?} (deleted {deleted}); VmHWM {}",
        count(rules::EliminationStatus::Keep),
        count(rules::EliminationStatus::Destroy),
        count(rules::EliminationStatus::Conflict),
        vm("VmHWM:")
    );
    let sample = computed.unit(&units[n - 1].id).unwrap();
    eprintln!(
        "sample leaf: {} access rules, {} appraisal properties",
        sample.category(RuleCategory::Access).rules.len(),
        sample.category(RuleCategory::Appraisal).properties.len()
    );
}
