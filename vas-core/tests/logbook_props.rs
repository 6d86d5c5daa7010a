//! Property tests: any single tampering with a chain file is reported, at its position;
//! an untouched chain always verifies; deleting trailing entries is caught by an anchor.

use proptest::prelude::*;
use serde_json::{Value, json};
use vas_core::logbook::chain::{self, Chain, IssueKind, entry_hash};

#[derive(Debug, Clone)]
enum Tamper {
    Modify(usize),
    ModifyAndRehash(usize),
    Delete(usize),
    Swap(usize, usize),
    InsertForged(usize),
    DeleteTail(usize),
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(|i| Tamper::Modify(i.index(1 << 20))),
        any::<prop::sample::Index>().prop_map(|i| Tamper::ModifyAndRehash(i.index(1 << 20))),
        any::<prop::sample::Index>().prop_map(|i| Tamper::Delete(i.index(1 << 20))),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(a, b)| Tamper::Swap(a.index(1 << 20), b.index(1 << 20))),
        any::<prop::sample::Index>().prop_map(|i| Tamper::InsertForged(i.index(1 << 20))),
        (1usize..4).prop_map(Tamper::DeleteTail),
    ]
}

fn entry() -> impl Strategy<Value = Value> {
    (
        "[A-Z_]{3,12}",
        prop::sample::select(vec!["OK", "KO", "WARNING"]),
        any::<i32>(),
        "\\PC{0,12}",
    )
        .prop_map(|(t, o, n, s)| json!({"evType": t, "outcome": o, "evDetData": {"n": n, "s": s}}))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_tampering_is_reported(entries in prop::collection::vec(entry(), 3..25), t in tamper()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut c = Chain::open(&path).unwrap();
        for e in &entries {
            c.append(e).unwrap();
        }
        let anchor = c.head().clone();
        drop(c);
        prop_assert!(chain::verify_file(&path).unwrap().is_ok());
        let text = std::fs::read_to_string(&path).unwrap();
        let mut ls: Vec<String> = text.lines().map(String::from).collect();
        let n = ls.len();
        let mut expect_at: Option<(usize, bool)> = None; // (position, exact)
        match t.clone() {
            Tamper::Modify(i) => {
                let i = i % n;
                let mut e: Value = serde_json::from_str(&ls[i]).unwrap();
                e["entry"]["outcome"] = json!("FATAL");
                ls[i] = e.to_string();
                expect_at = Some((i, true));
            }
            Tamper::ModifyAndRehash(i) => {
                let i = i % (n - 1);
                let mut e: Value = serde_json::from_str(&ls[i]).unwrap();
                e["entry"]["outcome"] = json!("FATAL");
                e["hash"] = json!(entry_hash(i as u64, e["prev"].as_str().unwrap(), &e["entry"]));
                ls[i] = e.to_string();
                expect_at = Some((i + 1, true));
            }
            Tamper::Delete(i) => {
                let i = i % (n - 1);
                ls.remove(i);
                expect_at = Some((i, true));
            }
            Tamper::Swap(a, b) => {
                let (a, b) = (a % n, b % n);
                prop_assume!(a != b);
                ls.swap(a, b);
                expect_at = Some((a.min(b), false));
            }
            Tamper::InsertForged(i) => {
                let i = i % n;
                let mut e: Value = serde_json::from_str(&ls[i]).unwrap();
                e["entry"]["outcome"] = json!("FATAL");
                e["hash"] = json!(entry_hash(i as u64, e["prev"].as_str().unwrap(), &e["entry"]));
                ls.insert(i, e.to_string());
                expect_at = Some((i, false));
            }
            Tamper::DeleteTail(k) => {
                ls.truncate(n - k.min(n - 1));
            }
        }
        std::fs::write(&path, ls.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
        let report = chain::verify_file(&path).unwrap();
        let entries_now = chain::read_entries(&path).unwrap();
        let anchored = chain::check_anchor(&entries_now, &anchor);
        match t {
            Tamper::DeleteTail(_) => {
                // Invisible to the chain alone, caught by the anchor.
                prop_assert!(report.is_ok());
                prop_assert_eq!(anchored.map(|i| i.kind), Some(IssueKind::AnchorMismatch));
            }
            _ => {
                prop_assert!(!report.is_ok(), "{:?} not detected", t);
                let (pos, exact) = expect_at.unwrap();
                if exact {
                    prop_assert_eq!(report.issues[0].position as usize, pos, "{:?}: {:?}", t, report.issues);
                } else {
                    prop_assert!(report.issues.iter().all(|i| i.position as usize >= pos), "{:?}: {:?}", t, report.issues);
                }
            }
        }
    }
}
