//! Arbitrary JSON requests never panic the DSL parser or the search: each is answered or
//! refused with `InvalidInput` / `LimitExceeded`.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vas_core::ErrorKind;
use vas_core::catalog::{AccessContract, Catalog, IndexBatch, UnitRecord};

const KEYS: &[&str] = &[
    "$and",
    "$or",
    "$not",
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$range",
    "$in",
    "$nin",
    "$exists",
    "$match",
    "$match_all",
    "$match_phrase",
    "$wildcard",
    "$regex",
    "$depth",
    "$exactdepth",
    "$roots",
    "$query",
    "$filter",
    "$limit",
    "$offset",
    "$orderby",
    "$projection",
    "$fields",
    "$facets",
    "$name",
    "$terms",
    "$field",
    "$size",
    "$date_range",
    "$ranges",
    "$from",
    "$to",
    "Title",
    "Description",
    "#id",
    "#unitups",
    "#allunitups",
    "StartDate",
    "Keyword",
    "Keyword.KeywordContent",
    "#management.AccessRule.Rules.Rule",
    "#tenant",
    "bogus",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-zA-Z0-9 *?()\\[\\]'\"%._\\\\-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec!["u1", "u2", "Item", "1900", "(", "*", "a{1000000}"])
            .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..4).prop_map(
                |kv| {
                    let mut m = Map::new();
                    for (k, v) in kv {
                        m.insert(k.to_string(), v);
                    }
                    Value::Object(m)
                }
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn any_request_is_answered_or_refused(req in json_value()) {
        thread_local! {
            static CAT: Catalog = {
                let cat = Catalog::open_in_memory().unwrap();
                let mut a = UnitRecord::new("u1", 0);
                a.metadata.insert("Title".into(), json!("Épée"));
                let mut b = UnitRecord::new("u2", 0);
                b.parents = vec!["u1".into()];
                b.metadata.insert("Keyword".into(), json!([{"KeywordContent": "x"}]));
                cat.index(&IndexBatch { units: vec![a, b], ..Default::default() }).unwrap();
                cat
            };
        }
        let contract = AccessContract::full_access("all");
        CAT.with(|cat| {
            let view = cat.view(0, &contract).unwrap();
            match view.search(&req) {
                Ok(a) => {
                    assert!(a["$hits"]["total"].as_u64().unwrap() <= 2);
                }
                Err(e) => assert!(
                    matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::LimitExceeded),
                    "{req}: {e} ({:?})", e.kind()
                ),
            }
        });
    }
}
