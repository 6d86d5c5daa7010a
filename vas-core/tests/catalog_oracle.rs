//! Property tests: the SQL-compiled DSL agrees with a naive in-memory evaluator written here
//! from the documented semantics, on random DAGs, documents, contracts and queries; and no
//! read path ever returns a unit outside the contract.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proptest::prelude::*;
use serde_json::{Value, json};
use vas_core::ErrorKind;
use vas_core::catalog::dsl::{
    CmpOp, Depth, Field, MatchMode, Order, Query, Scalar, SelectQuery, TextField,
};
use vas_core::catalog::{
    AccessContract, Catalog, IndexBatch, ObjectGroupRecord, ObjectRecord, UnitRecord, UnitType,
};

// ---------------------------------------------------------------- the oracle

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        c => c,
    }
}

fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().map(fold).collect())
        .collect()
}

fn values<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    fn flat<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| flat(x, out)),
            Value::Null => {}
            o => out.push(o),
        }
    }
    let mut cur = Vec::new();
    flat(doc, &mut cur);
    for seg in path.split('.') {
        let mut next = Vec::new();
        for v in cur {
            if let Some(x) = v.get(seg) {
                flat(x, &mut next);
            }
        }
        cur = next;
    }
    cur
}

fn cmp_val(v: &Value, s: &Scalar) -> Option<std::cmp::Ordering> {
    match (v, s) {
        (Value::String(a), Scalar::Str(b)) => Some(a.as_str().cmp(b.as_str())),
        (Value::Number(a), Scalar::Num(b)) => a.as_f64()?.partial_cmp(b),
        (Value::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

struct World {
    docs: BTreeMap<String, Value>,
    recs: BTreeMap<String, UnitRecord>,
    /// unit -> ancestor -> set of distances
    anc: BTreeMap<String, BTreeMap<String, BTreeSet<u32>>>,
}

impl World {
    fn new(units: &[UnitRecord]) -> World {
        let recs: BTreeMap<String, UnitRecord> =
            units.iter().map(|u| (u.id.clone(), u.clone())).collect();
        let mut anc = BTreeMap::new();
        for id in recs.keys() {
            // BFS over all paths (DAG, small).
            let mut m: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
            let mut frontier = vec![(id.clone(), 0u32)];
            while let Some((u, d)) = frontier.pop() {
                for p in &recs[&u].parents {
                    m.entry(p.clone()).or_default().insert(d + 1);
                    frontier.push((p.clone(), d + 1));
                }
            }
            anc.insert(id.clone(), m);
        }
        let mut docs = BTreeMap::new();
        for (id, r) in &recs {
            let mut d = r.to_document();
            d["#allunitups"] = json!(anc[id].keys().collect::<Vec<_>>());
            docs.insert(id.clone(), d);
        }
        World { docs, recs, anc }
    }

    fn eval(&self, id: &str, q: &Query) -> bool {
        let doc = &self.docs[id];
        match q {
            Query::All => true,
            Query::And(qs) => qs.iter().all(|q| self.eval(id, q)),
            Query::Or(qs) => qs.iter().any(|q| self.eval(id, q)),
            Query::Not(qs) => !qs.iter().any(|q| self.eval(id, q)),
            Query::Compare { op, field, value } => values(doc, field.name()).iter().any(|v| {
                matches!(
                    (op, cmp_val(v, value)),
                    (CmpOp::Eq, Some(std::cmp::Ordering::Equal))
                        | (CmpOp::Lt, Some(std::cmp::Ordering::Less))
                        | (CmpOp::Gt, Some(std::cmp::Ordering::Greater))
                        | (
                            CmpOp::Lte,
                            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
                        )
                        | (
                            CmpOp::Gte,
                            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
                        )
                )
            }),
            Query::In { field, values: vs } => values(doc, field.name()).iter().any(|v| {
                vs.iter()
                    .any(|s| cmp_val(v, s) == Some(std::cmp::Ordering::Equal))
            }),
            Query::Range {
                field,
                lower,
                upper,
            } => values(doc, field.name()).iter().any(|v| {
                let lo = lower.as_ref().is_none_or(|(s, incl)| match cmp_val(v, s) {
                    Some(std::cmp::Ordering::Greater) => true,
                    Some(std::cmp::Ordering::Equal) => *incl,
                    _ => false,
                });
                let hi = upper.as_ref().is_none_or(|(s, incl)| match cmp_val(v, s) {
                    Some(std::cmp::Ordering::Less) => true,
                    Some(std::cmp::Ordering::Equal) => *incl,
                    _ => false,
                });
                lo && hi
            }),
            Query::Exists(field) => !values(doc, field.name()).is_empty(),
            Query::Match { field, text, mode } => {
                let r = &self.recs[id];
                let hay = match field {
                    TextField::Title => r
                        .metadata
                        .get("Title")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    TextField::Description => r
                        .metadata
                        .get("Description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    TextField::Keyword => values(doc, "Keyword.KeywordContent")
                        .iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                let hay = tokens(&hay);
                let needle = tokens(text);
                if needle.is_empty() {
                    return false;
                }
                match mode {
                    MatchMode::Any => needle.iter().any(|w| hay.contains(w)),
                    MatchMode::All => needle.iter().all(|w| hay.contains(w)),
                    MatchMode::Phrase => hay.windows(needle.len()).any(|w| w == needle.as_slice()),
                }
            }
            Query::Wildcard { field, pattern } => {
                let re = regex::Regex::new(&format!("^{}$", glob_to_re(pattern))).unwrap();
                values(doc, field.name())
                    .iter()
                    .any(|v| v.as_str().is_some_and(|s| re.is_match(s)))
            }
            Query::Regex { field, pattern } => {
                let re = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
                values(doc, field.name())
                    .iter()
                    .any(|v| v.as_str().is_some_and(|s| re.is_match(s)))
            }
        }
    }

    fn visible(&self, id: &str, tenant: u32, c: &AccessContract, today: &str) -> bool {
        let r = &self.recs[id];
        let under = |set: &[String]| {
            set.iter().any(|s| s == id) || self.anc[id].keys().any(|a| set.contains(a))
        };
        r.tenant == tenant
            && (c.root_units.is_empty() || under(&c.root_units))
            && !under(&c.excluded_root_units)
            && (c.every_originating_agency
                || r.unit_type == UnitType::HoldingUnit
                || r.originating_agency
                    .as_ref()
                    .is_some_and(|a| c.originating_agencies.contains(a)))
            && c.rule_category_to_filter.iter().all(|cat| {
                matches!(r.rule_end_dates().get(cat), Some(Some(end)) if end.as_str() < today)
            })
    }

    fn select(
        &self,
        q: &SelectQuery,
        tenant: u32,
        c: &AccessContract,
        today: &str,
    ) -> (usize, Vec<String>) {
        let mut roots: Option<BTreeSet<String>> = if q.roots.is_empty() {
            None
        } else {
            Some(
                q.roots
                    .iter()
                    .filter(|r| self.recs.contains_key(*r))
                    .cloned()
                    .collect(),
            )
        };
        let mut current: Vec<String> = Vec::new();
        for sub in &q.queries {
            current = self
                .recs
                .keys()
                .filter(|id| self.visible(id, tenant, c, today))
                .filter(|id| match &roots {
                    None => true,
                    Some(rs) => match sub.depth {
                        Depth::Roots => rs.contains(*id),
                        Depth::Any => self.anc[*id].keys().any(|a| rs.contains(a)),
                        Depth::UpTo(n) => self.anc[*id]
                            .iter()
                            .any(|(a, ds)| rs.contains(a) && ds.iter().any(|d| *d <= n)),
                        Depth::Exact(n) => self.anc[*id]
                            .iter()
                            .any(|(a, ds)| rs.contains(a) && ds.contains(&n)),
                    },
                })
                .filter(|id| self.eval(id, &sub.query))
                .cloned()
                .collect();
            roots = Some(current.iter().cloned().collect());
        }
        // Sort: order_by keys (None first ascending), then id.
        let key = |id: &String, f: &str| -> Option<String> {
            self.docs[id]
                .get(f)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        current.sort_by(|a, b| {
            for (f, o) in &q.filter.order_by {
                let (ka, kb) = (key(a, f), key(b, f));
                let ord = match o {
                    Order::Asc => ka.cmp(&kb),
                    Order::Desc => kb.cmp(&ka),
                };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            a.cmp(b)
        });
        let total = current.len();
        let page = current
            .into_iter()
            .skip(q.filter.offset as usize)
            .take(q.filter.limit as usize)
            .collect();
        (total, page)
    }
}

fn glob_to_re(p: &str) -> String {
    let mut s = String::new();
    for c in p.chars() {
        match c {
            '*' => s.push_str(".*"),
            '?' => s.push('.'),
            c => s.push_str(&regex::escape(&c.to_string())),
        }
    }
    format!("(?s:{s})")
}

// ---------------------------------------------------------------- generators

const WORDS: &[&str] = &[
    "Épée", "epee", "lettre", "Lettré", "château", "chateau", "été", "acte", "ACTE", "Noël",
    "plan", "1914",
];
const LEVELS: &[&str] = &["Item", "File", "Series", "RecordGrp"];
const DATES: &[&str] = &[
    "1900-01-01",
    "1950-06-15",
    "2000-12-31",
    "2020-01-01",
    "2030-05-05",
];
const AGENCIES: &[&str] = &["A", "B", "C"];
const RULES: &[&str] = &["ACC-00001", "ACC-00002", "ACC-00003"];

fn text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0..WORDS.len(), 1..4),
        prop::sample::select(vec![" ", ", ", "'", " - "]),
    )
        .prop_map(|(ws, sep)| ws.iter().map(|i| WORDS[*i]).collect::<Vec<_>>().join(sep))
}

#[derive(Debug, Clone)]
struct UnitSpec {
    parents: Vec<usize>,
    title: Option<String>,
    desc: Option<String>,
    level: Option<usize>,
    start: Option<usize>,
    agency: Option<usize>,
    holding: bool,
    sysid: Option<Value>,
    keywords: Vec<String>,
    rules: Vec<usize>,
    hold: Option<Vec<Option<usize>>>,
    group: bool,
}

fn unit_spec() -> impl Strategy<Value = UnitSpec> {
    (
        (
            prop::collection::vec(any::<prop::sample::Index>(), 0..3),
            prop::option::weighted(0.9, text()),
            prop::option::of(text()),
            prop::option::of(0..LEVELS.len()),
            prop::option::of(0..DATES.len()),
            prop::option::weighted(0.9, 0..AGENCIES.len()),
        ),
        (
            prop::bool::weighted(0.15),
            prop::option::of(prop_oneof![
                (0i64..5).prop_map(|n| json!(n)),
                prop::sample::select(vec!["1", "2", "x"]).prop_map(|s| json!(s)),
                Just(json!(true)),
            ]),
            prop::collection::vec(
                prop::sample::select(WORDS.to_vec()).prop_map(String::from),
                0..3,
            ),
            prop::collection::vec(0..RULES.len(), 0..3),
            prop::option::of(prop::collection::vec(
                prop::option::weighted(0.8, 0..DATES.len()),
                0..3,
            )),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (p, title, desc, level, start, agency),
                (holding, sysid, keywords, rules, hold, group),
            )| {
                UnitSpec {
                    parents: p.iter().map(|i| i.index(usize::MAX)).collect(),
                    title,
                    desc,
                    level,
                    start,
                    agency,
                    holding,
                    sysid,
                    keywords,
                    rules,
                    hold,
                    group,
                }
            },
        )
}

fn build(specs: &[UnitSpec]) -> (Vec<UnitRecord>, Vec<ObjectGroupRecord>) {
    let mut units = Vec::new();
    let mut groups = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let id = format!("u{i:02}");
        let mut u = UnitRecord::new(&id, if i % 11 == 10 { 1 } else { 0 });
        if u.tenant == 0 && i > 0 {
            let mut ps: Vec<String> = s.parents.iter().map(|p| format!("u{:02}", p % i)).collect();
            ps.sort();
            ps.dedup();
            ps.retain(|p| {
                let j: usize = p[1..].parse().unwrap();
                j % 11 != 10
            });
            u.parents = ps;
        }
        if let Some(t) = &s.title {
            u.metadata.insert("Title".into(), json!(t));
        }
        if let Some(t) = &s.desc {
            u.metadata.insert("Description".into(), json!(t));
        }
        if let Some(l) = s.level {
            u.metadata
                .insert("DescriptionLevel".into(), json!(LEVELS[l]));
        }
        if let Some(d) = s.start {
            u.metadata.insert("StartDate".into(), json!(DATES[d]));
        }
        if let Some(v) = &s.sysid {
            u.metadata.insert("OriginatingSystemId".into(), v.clone());
        }
        if !s.keywords.is_empty() {
            u.metadata.insert(
                "Keyword".into(),
                Value::Array(
                    s.keywords
                        .iter()
                        .map(|k| json!({"KeywordContent": k}))
                        .collect(),
                ),
            );
        }
        u.originating_agency = s.agency.map(|a| AGENCIES[a].to_string());
        u.unit_type = if s.holding {
            UnitType::HoldingUnit
        } else {
            UnitType::Ingest
        };
        u.operation_id = Some(format!("op{}", i % 3));
        if !s.rules.is_empty() {
            u.management = Some(
                json!({"AccessRule": {"Rules": s.rules.iter().map(|r| json!({"Rule": RULES[*r]})).collect::<Vec<_>>()}}),
            );
        }
        if let Some(h) = &s.hold {
            let rules: Vec<Value> = h
                .iter()
                .map(|d| match d {
                    Some(d) => json!({"Rule": "HOL-1", "EndDate": DATES[*d]}),
                    None => json!({"Rule": "HOL-2"}),
                })
                .collect();
            u.computed_inherited_rules = Some(if rules.is_empty() {
                json!({"HoldRule": {"MaxEndDate": "1999-01-01"}})
            } else {
                json!({"HoldRule": {"Rules": rules}})
            });
        }
        if s.group {
            let gid = format!("g{i:02}");
            u.object_group_id = Some(gid.clone());
            groups.push(ObjectGroupRecord {
                id: gid.clone(),
                tenant: u.tenant,
                originating_agency: u.originating_agency.clone(),
                operation_id: u.operation_id.clone(),
                objects: vec![ObjectRecord {
                    id: format!("b{i:02}"),
                    usage: "BinaryMaster".into(),
                    version: 1,
                    size: 10 + i as u64,
                    digest: "00".into(),
                    algorithm: "SHA-512".into(),
                    format_id: None,
                    storage_key: None,
                    operation_id: None,
                }],
                metadata: Default::default(),
            });
        }
        units.push(u);
    }
    (units, groups)
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        prop::sample::select(WORDS.to_vec()).prop_map(|s| Scalar::Str(s.into())),
        prop::sample::select(LEVELS.to_vec()).prop_map(|s| Scalar::Str(s.into())),
        prop::sample::select(DATES.to_vec()).prop_map(|s| Scalar::Str(s.into())),
        prop::sample::select(AGENCIES.to_vec()).prop_map(|s| Scalar::Str(s.into())),
        prop::sample::select(RULES.to_vec()).prop_map(|s| Scalar::Str(s.into())),
        (0u32..25).prop_map(|i| Scalar::Str(format!("u{i:02}"))),
        prop::sample::select(vec!["1", "x", "g03", "op1"]).prop_map(|s| Scalar::Str(s.into())),
        (0i64..5).prop_map(|n| Scalar::Num(n as f64)),
        any::<bool>().prop_map(Scalar::Bool),
        // injection attempts: must be inert
        Just(Scalar::Str("x' OR '1'='1".into())),
        Just(Scalar::Str("\"); DROP TABLE unit; --".into())),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop::sample::select(vec![
        "#id",
        "#tenant",
        "#unitType",
        "#originating_agency",
        "#originating_agencies",
        "#opi",
        "#object",
        "#unitups",
        "#allunitups",
        "Title",
        "Description",
        "DescriptionLevel",
        "StartDate",
        "EndDate",
        "OriginatingSystemId",
        "Keyword.KeywordContent",
        "#management.AccessRule.Rules.Rule",
    ])
    .prop_map(|f| Field::parse(f).unwrap())
}

fn strs(v: Vec<String>) -> BoxedStrategy<Scalar> {
    prop::sample::select(v).prop_map(Scalar::Str).boxed()
}

/// A field with a value of its own domain (85%) or any value (type mismatches, injections).
fn field_value() -> impl Strategy<Value = (Field, Scalar)> {
    let ids: Vec<String> = (0..25).map(|i| format!("u{i:02}")).collect();
    let gids: Vec<String> = (0..25).map(|i| format!("g{i:02}")).collect();
    let own = prop_oneof![
        strs(ids.clone()).prop_map(|v| (Field::parse("#id").unwrap(), v)),
        strs(ids.clone()).prop_map(|v| (Field::parse("#unitups").unwrap(), v)),
        strs(ids).prop_map(|v| (Field::parse("#allunitups").unwrap(), v)),
        (0i64..2).prop_map(|n| (Field::parse("#tenant").unwrap(), Scalar::Num(n as f64))),
        strs(vec!["INGEST".into(), "HOLDING_UNIT".into()])
            .prop_map(|v| (Field::parse("#unitType").unwrap(), v)),
        strs(AGENCIES.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("#originating_agency").unwrap(), v)),
        strs(AGENCIES.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("#originating_agencies").unwrap(), v)),
        strs(vec!["op0".into(), "op1".into(), "op2".into()])
            .prop_map(|v| (Field::parse("#opi").unwrap(), v)),
        strs(gids).prop_map(|v| (Field::parse("#object").unwrap(), v)),
        strs(WORDS.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("Title").unwrap(), v)),
        strs(WORDS.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("Description").unwrap(), v)),
        strs(LEVELS.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("DescriptionLevel").unwrap(), v)),
        strs(DATES.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("StartDate").unwrap(), v)),
        strs(DATES.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("EndDate").unwrap(), v)),
        prop_oneof![
            (0i64..5).prop_map(|n| Scalar::Num(n as f64)),
            strs(vec!["1".into(), "x".into()]),
            any::<bool>().prop_map(Scalar::Bool)
        ]
        .prop_map(|v| (Field::parse("OriginatingSystemId").unwrap(), v)),
        strs(WORDS.iter().map(|s| s.to_string()).collect())
            .prop_map(|v| (Field::parse("Keyword.KeywordContent").unwrap(), v)),
        strs(RULES.iter().map(|s| s.to_string()).collect()).prop_map(|v| (
            Field::parse("#management.AccessRule.Rules.Rule").unwrap(),
            v
        )),
    ];
    prop_oneof![85 => own, 15 => (field(), scalar())]
}

fn leaf() -> impl Strategy<Value = Query> {
    prop_oneof![
        (
            field_value(),
            prop::sample::select(vec![
                CmpOp::Eq,
                CmpOp::Eq,
                CmpOp::Lt,
                CmpOp::Lte,
                CmpOp::Gt,
                CmpOp::Gte
            ])
        )
            .prop_map(|((field, value), op)| {
                let op = if matches!(value, Scalar::Bool(_)) {
                    CmpOp::Eq
                } else {
                    op
                };
                Query::Compare { op, field, value }
            }),
        (field_value(), prop::collection::vec(scalar(), 0..3)).prop_map(
            |((field, v), mut values)| {
                values.push(v);
                Query::In { field, values }
            }
        ),
        (
            field_value(),
            field_value(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>()
        )
            .prop_filter_map("no bool ranges", |((field, a), (_, b), ia, ib, same)| {
                let b = if same { a.clone() } else { b };
                if matches!(a, Scalar::Bool(_)) || matches!(b, Scalar::Bool(_)) {
                    return None;
                }
                let (lower, upper) = match (ia, ib) {
                    (true, true) => (Some((a, ia)), None),
                    _ => (Some((a, ia)), Some((b, ib))),
                };
                Some(Query::Range {
                    field,
                    lower,
                    upper,
                })
            }),
        field().prop_map(Query::Exists),
        (
            prop::sample::select(vec![
                TextField::Title,
                TextField::Description,
                TextField::Keyword
            ]),
            text(),
            prop::sample::select(vec![MatchMode::Any, MatchMode::All, MatchMode::Phrase]),
        )
            .prop_map(|(field, text, mode)| Query::Match { field, text, mode }),
        (
            field(),
            prop::sample::select(vec![
                "*",
                "u0?",
                "A*",
                "É*",
                "*tre",
                "?",
                "x' OR 1=1 --",
                "*.*",
                "op*",
                "Ite?"
            ])
        )
            .prop_map(|(field, p)| Query::Wildcard {
                field,
                pattern: p.into()
            }),
        (
            field(),
            prop::sample::select(vec![
                "u0[0-5]",
                "(?i)epee.*",
                ".*",
                "[A-B]",
                "Item|File",
                "19.*",
                "ACC-0000[12]"
            ])
        )
            .prop_map(|(field, p)| Query::Regex {
                field,
                pattern: p.into()
            }),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Query::And),
            prop::collection::vec(inner.clone(), 1..4).prop_map(Query::Or),
            prop::collection::vec(inner, 1..3).prop_map(Query::Not),
        ]
    })
}

fn contract() -> impl Strategy<Value = AccessContract> {
    (
        prop::bool::weighted(0.6),
        prop::collection::vec(0..AGENCIES.len(), 0..3),
        prop::option::weighted(0.25, prop::collection::vec(0u32..25, 1..4)),
        prop::option::weighted(0.25, prop::collection::vec(0u32..25, 1..2)),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(every, ags, roots, excl, hold)| {
            let roots = roots.unwrap_or_default();
            let excl = excl.unwrap_or_default();
            let mut c = AccessContract::full_access("c");
            c.every_originating_agency = every;
            c.originating_agencies = ags.iter().map(|a| AGENCIES[*a].to_string()).collect();
            c.root_units = roots.iter().map(|i| format!("u{i:02}")).collect();
            c.excluded_root_units = excl.iter().map(|i| format!("u{i:02}")).collect();
            if hold {
                c.rule_category_to_filter = vec!["HoldRule".into()];
            }
            c
        })
}

fn depth() -> impl Strategy<Value = Depth> {
    prop_oneof![
        Just(Depth::Any),
        Just(Depth::Roots),
        (1u32..4).prop_map(Depth::UpTo),
        (1u32..4).prop_map(Depth::Exact),
    ]
}

fn select() -> impl Strategy<Value = SelectQuery> {
    (
        prop::option::weighted(0.35, prop::collection::vec(0u32..25, 1..4)).prop_map(Option::unwrap_or_default),
        prop_oneof![3 => prop::collection::vec((query(), depth()), 1..2), 1 => prop::collection::vec((query(), depth()), 2..3)],
        0u64..5,
        1u64..30,
        prop::option::of((
            prop::sample::select(vec!["Title", "StartDate", "DescriptionLevel", "#originating_agency"]),
            any::<bool>(),
        )),
    )
        .prop_map(|(roots, qs, offset, limit, ob)| {
            let mut s = SelectQuery {
                roots: roots.iter().map(|i| format!("u{i:02}")).collect(),
                ..Default::default()
            };
            for (query, depth) in qs {
                s.queries.push(vas_core::catalog::dsl::SubQuery { query, depth });
            }
            s.filter.offset = offset;
            s.filter.limit = limit;
            if let Some((f, asc)) = ob {
                s.filter.order_by = vec![(f, if asc { Order::Asc } else { Order::Desc })];
            }
            s
        })
}

fn ids_of(answer: &Value) -> Vec<String> {
    answer["$results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["#id"].as_str().unwrap().to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn sql_agrees_with_the_naive_evaluator_and_contracts_hold(
        specs in prop::collection::vec(unit_spec(), 3..25),
        selects in prop::collection::vec(select(), 1..6),
        contract in contract(),
        today in prop::sample::select(DATES.to_vec()),
        tenant in prop::sample::select(vec![0u32, 0, 0, 1]),
    ) {
        let (mut units, groups) = build(&specs);
        let world = World::new(&units);
        units.reverse(); // children before parents: the catalog must order them
        let cat = Catalog::open_in_memory().unwrap();
        cat.index(&IndexBatch { units, object_groups: groups.clone() }).unwrap();
        let view = cat.view(tenant, &contract).unwrap().at_date(today);

        for sel in &selects {
            let answer = view.search_parsed(sel).unwrap();
            let (total, page) = world.select(sel, tenant, &contract, today);
            prop_assert_eq!(answer["$hits"]["total"].as_u64().unwrap() as usize, total, "query {:?}", sel);
            prop_assert_eq!(ids_of(&answer), page, "query {:?}", sel);
        }

        // No read path returns a unit outside the contract.
        for (id, rec) in &world.recs {
            let visible = world.visible(id, tenant, &contract, today);
            match view.get_unit(id) {
                Ok(doc) => { prop_assert!(visible, "{} returned", id); prop_assert_eq!(&doc["#id"], &json!(id)); }
                Err(e) => { prop_assert!(!visible, "{} hidden", id); prop_assert_eq!(e.kind(), ErrorKind::NotFound); }
            }
            if let Some(g) = &rec.object_group_id {
                let r = view.get_object_group(g);
                prop_assert_eq!(r.is_ok(), visible);
                if let Err(e) = r { prop_assert_eq!(e.kind(), ErrorKind::NotFound); }
            }
        }
        let all = view.search(&json!({"$query": {}, "$facets": [
            {"$name": "ag", "$terms": {"$field": "#originating_agency", "$size": 10}},
            {"$name": "d", "$date_range": {"$field": "StartDate", "$ranges": [{"$from": "1900", "$to": "2000"}, {"$from": "2000"}]}}]})).unwrap();
        let expected: Vec<String> = world.recs.keys().filter(|id| world.visible(id, tenant, &contract, today)).cloned().collect();
        prop_assert_eq!(ids_of(&all), expected.clone());
        // Facets agree with counting by hand.
        let mut by_agency: HashMap<String, u64> = HashMap::new();
        let mut in_20c = 0u64;
        let mut after = 0u64;
        for id in &expected {
            let r = &world.recs[id];
            if let Some(a) = &r.originating_agency { *by_agency.entry(a.clone()).or_default() += 1; }
            if let Some(d) = r.metadata.get("StartDate").and_then(Value::as_str) {
                if ("1900"..).contains(&d) && d < "2000" { in_20c += 1; }
                if d >= "2000" { after += 1; }
            }
        }
        for b in all["$facetResults"][0]["buckets"].as_array().unwrap() {
            prop_assert_eq!(b["count"].as_u64(), by_agency.get(b["value"].as_str().unwrap()).copied());
        }
        prop_assert_eq!(all["$facetResults"][0]["buckets"].as_array().unwrap().len(), by_agency.len());
        prop_assert_eq!(all["$facetResults"][1]["buckets"][0]["count"].as_u64(), Some(in_20c));
        prop_assert_eq!(all["$facetResults"][1]["buckets"][1]["count"].as_u64(), Some(after));

        // The accession register agrees with counting by hand.
        let mut reg: BTreeMap<(String, String), (i64, i64, i64, i64)> = BTreeMap::new();
        for r in world.recs.values().filter(|r| r.tenant == tenant) {
            let k = (r.originating_agency.clone().unwrap_or_default(), r.operation_id.clone().unwrap_or_default());
            reg.entry(k).or_default().0 += 1;
        }
        for g in groups.iter().filter(|g| g.tenant == tenant) {
            let k = (g.originating_agency.clone().unwrap_or_default(), g.operation_id.clone().unwrap_or_default());
            let e = reg.entry(k).or_default();
            e.1 += 1;
            e.2 += g.objects.len() as i64;
            e.3 += g.objects.iter().map(|o| o.size as i64).sum::<i64>();
        }
        reg.retain(|(a, _), _| contract.every_originating_agency || contract.originating_agencies.contains(a));
        let got: BTreeMap<(String, String), (i64, i64, i64, i64)> = view
            .accession_register()
            .unwrap()
            .into_iter()
            .map(|l| ((l.originating_agency, l.operation_id), (l.units, l.object_groups, l.objects, l.bytes)))
            .collect();
        prop_assert_eq!(got, reg);

        // Rebuild from the stored documents changes no answer.
        cat.rebuild().unwrap();
        let view = cat.view(tenant, &contract).unwrap().at_date(today);
        for sel in &selects {
            let (total, page) = world.select(sel, tenant, &contract, today);
            let answer = view.search_parsed(sel).unwrap();
            prop_assert_eq!(answer["$hits"]["total"].as_u64().unwrap() as usize, total);
            prop_assert_eq!(ids_of(&answer), page);
        }
    }
}
