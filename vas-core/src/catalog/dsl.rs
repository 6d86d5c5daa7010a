//! A typed subset of Vitam's query DSL, parsed from JSON.
//!
//! # Request shape (multi-query select on units)
//!
//! ```json
//! {"$roots": ["u…"],
//!  "$query": [ {"$and": [ … ], "$depth": 2}, … ],
//!  "$filter": {"$offset": 0, "$limit": 100, "$orderby": {"Title": 1}},
//!  "$projection": {"$fields": {"#id": 1, "Title": 1}},
//!  "$facets": [ {"$name": "agencies", "$terms": {"$field": "#originating_agency", "$size": 10}} ]}
//! ```
//!
//! `$query` is one query object or an array of them, run in sequence: the results of one
//! become the roots of the next. A query object holds exactly one operator plus, optionally,
//! `$depth` (with roots: `0` = the roots themselves, `n` = their descendants at distance 1…n)
//! or `$exactdepth` (descendants at distance exactly `n` through some path). Without `$depth`,
//! a query under roots reaches every descendant (distance ≥ 1). An absent or empty `$query`
//! matches everything. `$limit` defaults to 10 000 and `$offset + $limit` must stay ≤ 10 000.
//!
//! # Operators
//! | operator | form | meaning |
//! |---|---|---|
//! | `$and` `$or` | `[q, …]` | all / any (empty `$and` is true, empty `$or` is false) |
//! | `$not` | `[q, …]` | none of them (Vitam's semantics) |
//! | `$eq` `$ne` | `{field: scalar}` | some value equals / no value equals (missing ⇒ `$ne` true) |
//! | `$lt` `$lte` `$gt` `$gte` | `{field: scalar}` | some value compares |
//! | `$range` | `{field: {"$gte"\|"$gt": a, "$lte"\|"$lt": b}}` | some value in the range |
//! | `$in` `$nin` | `{field: [scalar, …]}` | some value in / no value in |
//! | `$exists` | `"field"` or `{field: true}` | the field has a non-null value |
//! | `$match` `$match_all` `$match_phrase` | `{Title\|Description\|Keyword: "text"}` | full text (any word / all words / phrase), accent- and case-insensitive |
//! | `$wildcard` | `{field: "pat*ern?"}` | whole-value glob on some string value (`*`, `?`) |
//! | `$regex` | `{field: "re"}` | whole-value regular expression (Rust `regex` syntax) on some string value |
//!
//! Scalars are strings, numbers or booleans; a comparison only ever matches values of the
//! same type (a number never equals a string); booleans support `$eq $ne $in $nin` only.
//! A field holding an array matches when **some** element matches (as in Elasticsearch);
//! arrays met along a dotted path are traversed.
//!
//! # Fields
//! See [`Field`]: Vitam's special `#` fields ([`SPECIAL_FIELDS`]), SEDA descriptive fields
//! by their SEDA names ([`DESCRIPTIVE_FIELDS`], with any dotted sub-path and the `_` language
//! variants such as `Title_.fr`), and `#management.…` / `#computedInheritedRules.…` paths.
//! Anything else is an `InvalidInput` error naming the field.
//!
//! ```
//! use serde_json::json;
//! use vas_core::catalog::dsl::{Query, SelectQuery};
//!
//! let q = SelectQuery::parse(&json!({
//!     "$query": {"$and": [{"$match": {"Title": "épée"}}, {"$eq": {"DescriptionLevel": "Item"}}]},
//!     "$filter": {"$limit": 20}
//! })).unwrap();
//! assert_eq!(q.filter.limit, 20);
//! assert!(matches!(q.queries[0].query, Query::And(_)));
//! // Unknown fields and operators are refused, naming them.
//! let e = SelectQuery::parse(&json!({"$query": {"$eq": {"Titel": "x"}}})).unwrap_err();
//! assert!(e.to_string().contains("Titel"));
//! let e = SelectQuery::parse(&json!({"$query": {"$near": {"Title": "x"}}})).unwrap_err();
//! assert!(e.to_string().contains("$near"));
//! ```

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The maximum of `$offset + $limit`, as in Vitam.
pub const MAX_RESULT_WINDOW: u64 = 10_000;

/// The deepest nesting of `$and`/`$or`/`$not` accepted.
pub const MAX_QUERY_DEPTH: usize = 32;

/// The most values accepted in one `$in`/`$nin`, in `$roots`, and queries in one `$and`/`$or`/`$not`.
pub const MAX_VALUES: usize = 1_000;

fn too_much(what: &str) -> Error {
    Error::new(
        crate::error::ErrorKind::LimitExceeded,
        format!("{what} (see catalog::dsl limits)"),
    )
}

/// Vitam's special fields supported in unit queries, and where they live in a stored unit.
pub const SPECIAL_FIELDS: &[&str] = &[
    "#id",
    "#tenant",
    "#unitType",
    "#originating_agency",
    "#originating_agencies",
    "#opi",
    "#object",
    "#unitups",
    "#allunitups",
];

/// Top-level SEDA descriptive fields accepted in unit queries (any dotted sub-path is
/// accepted below them; `Name_` language variants such as `Title_` too).
pub const DESCRIPTIVE_FIELDS: &[&str] = &[
    "Title",
    "Description",
    "DescriptionLevel",
    "FilePlanPosition",
    "SystemId",
    "OriginatingSystemId",
    "ArchivalAgencyArchiveUnitIdentifier",
    "OriginatingAgencyArchiveUnitIdentifier",
    "TransferringAgencyArchiveUnitIdentifier",
    "CustodialHistory",
    "Type",
    "DocumentType",
    "Language",
    "DescriptionLanguage",
    "Status",
    "Version",
    "Tag",
    "Keyword",
    "Coverage",
    "OriginatingAgency",
    "SubmissionAgency",
    "AuthorizedAgent",
    "Writer",
    "Addressee",
    "Recipient",
    "Transmitter",
    "Sender",
    "Source",
    "RelatedObjectReference",
    "CreatedDate",
    "TransactedDate",
    "AcquiredDate",
    "SentDate",
    "ReceivedDate",
    "RegisteredDate",
    "StartDate",
    "EndDate",
    "DateLitteral",
    "Event",
    "Signature",
    "Gps",
    "TextContent",
    "ArchiveUnitProfile",
    "PersistentIdentifier",
    "OriginatingSystemIdReplyTo",
    "SigningInformation",
    "Agent",
];

/// Fields held in dedicated, indexed columns (fast filters, sort keys, facets).
pub const COLUMN_FIELDS: &[&str] = &[
    "#id",
    "#tenant",
    "#unitType",
    "#originating_agency",
    "#opi",
    "#object",
    "Title",
    "Description",
    "DescriptionLevel",
    "StartDate",
    "EndDate",
];

/// A field of a stored unit document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// One of [`COLUMN_FIELDS`]; its stored value is a single scalar or absent.
    Column(&'static str),
    /// `#unitups`: the unit's direct parents.
    UnitUps,
    /// `#allunitups`: every ancestor.
    AllUnitUps,
    /// Any other path, dotted, looked up in the stored JSON document
    /// (`#originating_agencies`, `Keyword.KeywordContent`, `#management.AccessRule.Rules.Rule` …).
    Path(String),
}

impl Field {
    /// Resolves a DSL field name; unknown names are `InvalidInput`.
    pub fn parse(name: &str) -> Result<Field> {
        if let Some(c) = COLUMN_FIELDS.iter().find(|c| **c == name) {
            return Ok(Field::Column(c));
        }
        match name {
            "#unitups" => return Ok(Field::UnitUps),
            "#allunitups" => return Ok(Field::AllUnitUps),
            "#originating_agencies" => return Ok(Field::Path(name.to_string())),
            _ => {}
        }
        let valid_segment = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        let (root, rest) = match name.split_once('.') {
            Some((r, rest)) => (r, Some(rest)),
            None => (name, None),
        };
        if let Some(rest) = rest
            && !rest.split('.').all(valid_segment)
        {
            return Err(Error::invalid(format!("invalid field path {name:?}")).with_element(name));
        }
        let base = root.strip_suffix('_').unwrap_or(root);
        let known = DESCRIPTIVE_FIELDS.contains(&base)
            || ((root == "#management" || root == "#computedInheritedRules") && rest.is_some());
        if known {
            Ok(Field::Path(name.to_string()))
        } else {
            Err(Error::invalid(format!(
                "unknown field {name:?} (supported: {}, SEDA descriptive fields, #management.…, #computedInheritedRules.…)",
                SPECIAL_FIELDS.join(", ")
            ))
            .with_element(name))
        }
    }

    /// The DSL name of this field.
    pub fn name(&self) -> &str {
        match self {
            Field::Column(c) => c,
            Field::UnitUps => "#unitups",
            Field::AllUnitUps => "#allunitups",
            Field::Path(p) => p,
        }
    }
}

/// A scalar operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A string.
    Str(String),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
}

impl Scalar {
    fn parse(v: &Value, field: &str) -> Result<Scalar> {
        match v {
            Value::String(s) => Ok(Scalar::Str(s.clone())),
            Value::Number(n) => n
                .as_f64()
                .map(Scalar::Num)
                .ok_or_else(|| Error::invalid(format!("number out of range for {field:?}"))),
            Value::Bool(b) => Ok(Scalar::Bool(*b)),
            other => Err(Error::invalid(format!(
                "value for {field:?} must be a string, number or boolean, not {other}"
            ))
            .with_element(field)),
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `$eq`
    Eq,
    /// `$lt`
    Lt,
    /// `$lte`
    Lte,
    /// `$gt`
    Gt,
    /// `$gte`
    Gte,
}

/// Full-text modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// `$match`: any of the words.
    Any,
    /// `$match_all`: all the words.
    All,
    /// `$match_phrase`: the words, adjacent, in order.
    Phrase,
}

/// The full-text indexed fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    /// `Title` (and `Title_` variants).
    Title,
    /// `Description` (and `Description_` variants).
    Description,
    /// `Keyword` (every `KeywordContent`).
    Keyword,
}

/// One query node.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Everything.
    All,
    /// `$and`
    And(Vec<Query>),
    /// `$or`
    Or(Vec<Query>),
    /// `$not`: none of them.
    Not(Vec<Query>),
    /// `$eq $lt $lte $gt $gte`; `$ne` is `Not([Compare{Eq}])`.
    Compare {
        /// Operator.
        op: CmpOp,
        /// Field.
        field: Field,
        /// Operand.
        value: Scalar,
    },
    /// `$in`; `$nin` is `Not([In])`.
    In {
        /// Field.
        field: Field,
        /// Operands.
        values: Vec<Scalar>,
    },
    /// `$range`: some value satisfies both bounds.
    Range {
        /// Field.
        field: Field,
        /// Lower bound (`$gt` = false, `$gte` = true).
        lower: Option<(Scalar, bool)>,
        /// Upper bound (`$lt` = false, `$lte` = true).
        upper: Option<(Scalar, bool)>,
    },
    /// `$exists`
    Exists(Field),
    /// `$match*`
    Match {
        /// Field.
        field: TextField,
        /// Words.
        text: String,
        /// Mode.
        mode: MatchMode,
    },
    /// `$wildcard`, compiled to an anchored regex.
    Wildcard {
        /// Field.
        field: Field,
        /// Pattern with `*` and `?`.
        pattern: String,
    },
    /// `$regex`, anchored.
    Regex {
        /// Field.
        field: Field,
        /// Pattern.
        pattern: String,
    },
}

/// How a sub-query relates to the current roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Descendants at any distance ≥ 1 (the default).
    Any,
    /// `$depth: 0`: the roots themselves.
    Roots,
    /// `$depth: n`: descendants at distance 1…n.
    UpTo(u32),
    /// `$exactdepth: n`: descendants at distance exactly n through some path.
    Exact(u32),
}

/// One element of `$query`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubQuery {
    /// The condition.
    pub query: Query,
    /// Its depth relative to the roots (ignored when there are no roots).
    pub depth: Depth,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// `$offset`.
    pub offset: u64,
    /// `$limit`.
    pub limit: u64,
    /// `$orderby`: column fields only; ties broken by `#id`.
    pub order_by: Vec<(&'static str, Order)>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            offset: 0,
            limit: MAX_RESULT_WINDOW,
            order_by: Vec::new(),
        }
    }
}

/// A date range bucket of a `$date_range` facet: `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRange {
    /// Lower bound, inclusive (ISO date or prefix such as `1900`).
    pub from: Option<String>,
    /// Upper bound, exclusive.
    pub to: Option<String>,
}

/// A facet request.
#[derive(Debug, Clone, PartialEq)]
pub enum Facet {
    /// `$terms` on a column field: most frequent values first.
    Terms {
        /// `$name`.
        name: String,
        /// Column field.
        field: &'static str,
        /// `$size` (default 10).
        size: u32,
    },
    /// `$date_range` on `StartDate` or `EndDate`.
    DateRange {
        /// `$name`.
        name: String,
        /// Column field.
        field: &'static str,
        /// Buckets.
        ranges: Vec<DateRange>,
    },
}

/// A parsed multi-query select.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SelectQuery {
    /// `$roots` (system ids).
    pub roots: Vec<String>,
    /// `$query`, in sequence.
    pub queries: Vec<SubQuery>,
    /// `$filter`.
    pub filter: Filter,
    /// `$projection.$fields`: top-level keys to keep; `None` keeps the whole document.
    pub projection: Option<Vec<String>>,
    /// `$facets`.
    pub facets: Vec<Facet>,
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| Error::invalid(format!("{what} must be a JSON object, not {v}")))
}

fn single<'a>(m: &'a Map<String, Value>, op: &str) -> Result<(&'a String, &'a Value)> {
    let mut it = m.iter();
    match (it.next(), it.next()) {
        (Some(kv), None) => Ok(kv),
        _ => Err(Error::invalid(format!(
            "{op} takes an object with exactly one field"
        ))),
    }
}

fn text_field(name: &str) -> Result<TextField> {
    match name {
        "Title" | "Title_" => Ok(TextField::Title),
        "Description" | "Description_" => Ok(TextField::Description),
        "Keyword" | "Keyword.KeywordContent" => Ok(TextField::Keyword),
        _ => Err(Error::invalid(format!(
            "field {name:?} is not full-text indexed (use Title, Description or Keyword)"
        ))
        .with_element(name)),
    }
}

impl Query {
    /// Parses one query object (one operator; `$depth` keys are not allowed here).
    pub fn parse(v: &Value) -> Result<Query> {
        Query::parse_at(v, 0)
    }

    fn parse_at(v: &Value, depth: usize) -> Result<Query> {
        if depth > MAX_QUERY_DEPTH {
            return Err(too_much(&format!(
                "query nested deeper than {MAX_QUERY_DEPTH}"
            )));
        }
        let m = obj(v, "a query")?;
        if m.is_empty() {
            return Ok(Query::All);
        }
        let (op, arg) = single(m, "a query")?;
        Query::parse_op(op, arg, depth)
    }

    fn parse_list(op: &str, arg: &Value, depth: usize) -> Result<Vec<Query>> {
        let arr = arg
            .as_array()
            .ok_or_else(|| Error::invalid(format!("{op} takes an array of queries")))?;
        if arr.len() > MAX_VALUES {
            return Err(too_much(&format!(
                "{op} with more than {MAX_VALUES} queries"
            )));
        }
        arr.iter().map(|q| Query::parse_at(q, depth + 1)).collect()
    }

    fn parse_op(op: &str, arg: &Value, depth: usize) -> Result<Query> {
        match op {
            "$and" => Ok(Query::And(Query::parse_list(op, arg, depth)?)),
            "$or" => Ok(Query::Or(Query::parse_list(op, arg, depth)?)),
            "$not" => Ok(Query::Not(Query::parse_list(op, arg, depth)?)),
            "$eq" | "$ne" | "$lt" | "$lte" | "$gt" | "$gte" => {
                let (f, v) = single(obj(arg, op)?, op)?;
                let field = Field::parse(f)?;
                let value = Scalar::parse(v, f)?;
                let cmp = match op {
                    "$eq" | "$ne" => CmpOp::Eq,
                    "$lt" => CmpOp::Lt,
                    "$lte" => CmpOp::Lte,
                    "$gt" => CmpOp::Gt,
                    _ => CmpOp::Gte,
                };
                if cmp != CmpOp::Eq && matches!(value, Scalar::Bool(_)) {
                    return Err(Error::invalid(format!("{op} cannot compare booleans ({f:?})")));
                }
                let q = Query::Compare {
                    op: cmp,
                    field,
                    value,
                };
                Ok(if op == "$ne" { Query::Not(vec![q]) } else { q })
            }
            "$in" | "$nin" => {
                let (f, v) = single(obj(arg, op)?, op)?;
                let field = Field::parse(f)?;
                let arr = v
                    .as_array()
                    .ok_or_else(|| Error::invalid(format!("{op} on {f:?} takes an array")))?;
                if arr.len() > MAX_VALUES {
                    return Err(too_much(&format!(
                        "{op} on {f:?} with more than {MAX_VALUES} values"
                    )));
                }
                let values = arr
                    .iter()
                    .map(|x| Scalar::parse(x, f))
                    .collect::<Result<Vec<_>>>()?;
                let q = Query::In { field, values };
                Ok(if op == "$nin" { Query::Not(vec![q]) } else { q })
            }
            "$range" => {
                let (f, v) = single(obj(arg, op)?, op)?;
                let field = Field::parse(f)?;
                let mut lower = None;
                let mut upper = None;
                for (k, b) in obj(v, "$range bounds")? {
                    let s = Scalar::parse(b, f)?;
                    if matches!(s, Scalar::Bool(_)) {
                        return Err(Error::invalid(format!("$range cannot bound booleans ({f:?})")));
                    }
                    match k.as_str() {
                        "$gt" | "$gte" if lower.is_none() => lower = Some((s, k == "$gte")),
                        "$lt" | "$lte" if upper.is_none() => upper = Some((s, k == "$lte")),
                        _ => {
                            return Err(Error::invalid(format!(
                                "bad $range bound {k:?} on {f:?} (one of $gt/$gte and one of $lt/$lte)"
                            )));
                        }
                    }
                }
                if lower.is_none() && upper.is_none() {
                    return Err(Error::invalid(format!("$range on {f:?} has no bound")));
                }
                Ok(Query::Range {
                    field,
                    lower,
                    upper,
                })
            }
            "$exists" => match arg {
                Value::String(f) => Ok(Query::Exists(Field::parse(f)?)),
                Value::Object(m) => {
                    let (f, v) = single(m, op)?;
                    let q = Query::Exists(Field::parse(f)?);
                    match v {
                        Value::Bool(true) => Ok(q),
                        Value::Bool(false) => Ok(Query::Not(vec![q])),
                        _ => Err(Error::invalid("$exists takes a field name or {field: bool}")),
                    }
                }
                _ => Err(Error::invalid("$exists takes a field name or {field: bool}")),
            },
            "$match" | "$match_all" | "$match_phrase" => {
                let (f, v) = single(obj(arg, op)?, op)?;
                let field = text_field(f)?;
                let text = v
                    .as_str()
                    .ok_or_else(|| Error::invalid(format!("{op} on {f:?} takes a string")))?
                    .to_string();
                let mode = match op {
                    "$match" => MatchMode::Any,
                    "$match_all" => MatchMode::All,
                    _ => MatchMode::Phrase,
                };
                Ok(Query::Match { field, text, mode })
            }
            "$wildcard" | "$regex" => {
                let (f, v) = single(obj(arg, op)?, op)?;
                let field = Field::parse(f)?;
                let pattern = v
                    .as_str()
                    .ok_or_else(|| Error::invalid(format!("{op} on {f:?} takes a string")))?
                    .to_string();
                if op == "$wildcard" {
                    Ok(Query::Wildcard { field, pattern })
                } else {
                    anchored_regex(&pattern).map_err(|e| {
                        Error::invalid(format!("invalid $regex on {f:?}: {e}")).with_element(f)
                    })?;
                    Ok(Query::Regex { field, pattern })
                }
            }
            other => Err(Error::invalid(format!(
                "unsupported query operator {other:?} (supported: $and $or $not $eq $ne $lt $lte $gt $gte $range $in $nin $exists $match $match_all $match_phrase $wildcard $regex)"
            ))
            .with_element(other)),
        }
    }
}

/// Compiles `pattern` anchored to the whole value, with limits against pathological input.
pub fn anchored_regex(pattern: &str) -> std::result::Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
}

/// The anchored regex equivalent to a `$wildcard` pattern (`*` any run, `?` one character).
pub fn wildcard_to_regex(pattern: &str) -> String {
    let mut out = String::new();
    let mut lit = String::new();
    for c in pattern.chars() {
        if c == '*' || c == '?' {
            out.push_str(&regex::escape(&lit));
            lit.clear();
            out.push_str(if c == '*' { ".*" } else { "." });
        } else {
            lit.push(c);
        }
    }
    out.push_str(&regex::escape(&lit));
    format!("(?s:{out})")
}

fn parse_u64(v: &Value, what: &str) -> Result<u64> {
    v.as_u64()
        .ok_or_else(|| Error::invalid(format!("{what} must be a non-negative integer, not {v}")))
}

fn column_field(name: &str, what: &str) -> Result<&'static str> {
    COLUMN_FIELDS
        .iter()
        .copied()
        .find(|c| *c == name)
        .ok_or_else(|| {
            Error::invalid(format!(
                "{what} supports only {} (not {name:?})",
                COLUMN_FIELDS.join(", ")
            ))
            .with_element(name)
        })
}

impl SelectQuery {
    /// Parses a multi-query select request.
    pub fn parse(v: &Value) -> Result<SelectQuery> {
        let m = obj(v, "a select request")?;
        let mut q = SelectQuery::default();
        for (k, val) in m {
            match k.as_str() {
                "$roots" => {
                    let arr = val
                        .as_array()
                        .ok_or_else(|| Error::invalid("$roots takes an array of ids"))?;
                    if arr.len() > MAX_VALUES {
                        return Err(too_much(&format!("more than {MAX_VALUES} $roots")));
                    }
                    for r in arr {
                        q.roots.push(
                            r.as_str()
                                .ok_or_else(|| Error::invalid(format!("$roots: {r} is not an id")))?
                                .to_string(),
                        );
                    }
                }
                "$query" => {
                    let items: Vec<&Value> = match val {
                        Value::Array(a) => a.iter().collect(),
                        Value::Object(_) => vec![val],
                        _ => return Err(Error::invalid("$query takes a query or an array")),
                    };
                    if items.len() > 16 {
                        return Err(too_much("more than 16 queries in $query"));
                    }
                    for item in items {
                        q.queries.push(parse_sub(item)?);
                    }
                }
                "$filter" => q.filter = parse_filter(val)?,
                "$projection" => {
                    let p = obj(val, "$projection")?;
                    for (pk, pv) in p {
                        if pk != "$fields" {
                            return Err(Error::invalid(format!(
                                "unsupported $projection key {pk:?} (only $fields)"
                            )));
                        }
                        let mut fields = Vec::new();
                        for (f, on) in obj(pv, "$fields")? {
                            match on {
                                Value::Bool(true) => fields.push(f.clone()),
                                Value::Number(n) if n.as_i64() == Some(1) => fields.push(f.clone()),
                                _ => {
                                    return Err(Error::invalid(format!(
                                        "$fields: only inclusion (1) is supported, not {on} for {f:?}"
                                    )));
                                }
                            }
                        }
                        q.projection = Some(fields);
                    }
                }
                "$facets" => {
                    let arr = val
                        .as_array()
                        .ok_or_else(|| Error::invalid("$facets takes an array"))?;
                    for f in arr {
                        q.facets.push(parse_facet(f)?);
                    }
                }
                other => {
                    return Err(Error::invalid(format!(
                        "unsupported request key {other:?} (supported: $roots $query $filter $projection $facets)"
                    )));
                }
            }
        }
        if q.queries.is_empty() {
            q.queries.push(SubQuery {
                query: Query::All,
                depth: Depth::Any,
            });
        }
        Ok(q)
    }
}

fn parse_sub(v: &Value) -> Result<SubQuery> {
    let m = obj(v, "a query")?;
    let mut depth = Depth::Any;
    let mut rest = Map::new();
    for (k, val) in m {
        match k.as_str() {
            "$depth" => {
                let n = val
                    .as_i64()
                    .ok_or_else(|| Error::invalid("$depth takes an integer"))?;
                depth = match n {
                    0 => Depth::Roots,
                    n if n > 0 => Depth::UpTo(n.min(u32::MAX as i64) as u32),
                    _ => {
                        return Err(Error::invalid(
                            "negative $depth (ancestors) is not supported",
                        ));
                    }
                };
            }
            "$exactdepth" => {
                let n = val
                    .as_u64()
                    .ok_or_else(|| Error::invalid("$exactdepth takes a non-negative integer"))?;
                depth = if n == 0 {
                    Depth::Roots
                } else {
                    Depth::Exact(n.min(u32::MAX as u64) as u32)
                };
            }
            _ => {
                rest.insert(k.clone(), val.clone());
            }
        }
    }
    Ok(SubQuery {
        query: Query::parse(&Value::Object(rest))?,
        depth,
    })
}

fn parse_filter(v: &Value) -> Result<Filter> {
    let mut f = Filter::default();
    for (k, val) in obj(v, "$filter")? {
        match k.as_str() {
            "$offset" => f.offset = parse_u64(val, "$offset")?,
            "$limit" => f.limit = parse_u64(val, "$limit")?,
            "$orderby" => {
                for (field, dir) in obj(val, "$orderby")? {
                    let c = column_field(field, "$orderby")?;
                    let o = match dir.as_i64() {
                        Some(1) => Order::Asc,
                        Some(-1) => Order::Desc,
                        _ => {
                            return Err(Error::invalid(format!(
                                "$orderby direction for {field:?} must be 1 or -1"
                            )));
                        }
                    };
                    f.order_by.push((c, o));
                }
            }
            other => {
                return Err(Error::invalid(format!(
                    "unsupported $filter key {other:?} (supported: $offset $limit $orderby)"
                )));
            }
        }
    }
    if f.offset.saturating_add(f.limit) > MAX_RESULT_WINDOW {
        return Err(Error::new(
            crate::error::ErrorKind::LimitExceeded,
            format!(
                "$offset + $limit = {} exceeds {MAX_RESULT_WINDOW}",
                f.offset.saturating_add(f.limit)
            ),
        ));
    }
    Ok(f)
}

fn parse_facet(v: &Value) -> Result<Facet> {
    let m = obj(v, "a facet")?;
    let name = m
        .get("$name")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("a facet needs a $name"))?
        .to_string();
    if let Some(t) = m.get("$terms") {
        let t = obj(t, "$terms")?;
        let field = t
            .get("$field")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("$terms needs a $field"))?;
        let field = column_field(field, "$terms")?;
        let size = match t.get("$size") {
            Some(s) => parse_u64(s, "$size")?.min(10_000) as u32,
            None => 10,
        };
        return Ok(Facet::Terms { name, field, size });
    }
    if let Some(d) = m.get("$date_range") {
        let d = obj(d, "$date_range")?;
        let field = d
            .get("$field")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid("$date_range needs a $field"))?;
        if field != "StartDate" && field != "EndDate" {
            return Err(Error::invalid(format!(
                "$date_range supports StartDate and EndDate, not {field:?}"
            ))
            .with_element(field));
        }
        let field = column_field(field, "$date_range")?;
        let mut ranges = Vec::new();
        for r in d
            .get("$ranges")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::invalid("$date_range needs $ranges"))?
        {
            let r = obj(r, "a range")?;
            let get = |k: &str| -> Result<Option<String>> {
                match r.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(Value::Number(n)) => Ok(Some(n.to_string())),
                    Some(o) => Err(Error::invalid(format!(
                        "{k} must be a date string, not {o}"
                    ))),
                }
            };
            ranges.push(DateRange {
                from: get("$from")?,
                to: get("$to")?,
            });
        }
        return Ok(Facet::DateRange {
            name,
            field,
            ranges,
        });
    }
    Err(Error::invalid(format!(
        "facet {name:?}: supported kinds are $terms and $date_range"
    )))
}

/// Splits text into the words given to the full-text index (letters and digits runs).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_operators() {
        let q = SelectQuery::parse(&json!({
            "$roots": ["a"],
            "$query": [{"$or": [{"$ne": {"Title": "x"}}, {"$nin": {"#id": ["a", 1]}}], "$depth": 2},
                       {"$range": {"StartDate": {"$gte": "2000", "$lt": "2010"}}, "$exactdepth": 1},
                       {"$exists": "Keyword.KeywordContent"},
                       {"$wildcard": {"#originating_agency": "FR*"}},
                       {"$regex": {"Title_.fr": "a.c"}}],
            "$filter": {"$offset": 5, "$limit": 10, "$orderby": {"Title": -1}},
            "$projection": {"$fields": {"#id": 1}},
            "$facets": [{"$name": "a", "$terms": {"$field": "#originating_agency"}},
                        {"$name": "d", "$date_range": {"$field": "StartDate", "$ranges": [{"$from": "1900", "$to": "2000"}]}}]
        }))
        .unwrap();
        assert_eq!(q.queries.len(), 5);
        assert_eq!(q.queries[0].depth, Depth::UpTo(2));
        assert_eq!(q.queries[1].depth, Depth::Exact(1));
        assert_eq!(q.filter.order_by, vec![("Title", Order::Desc)]);
        assert_eq!(q.facets.len(), 2);
    }

    #[test]
    fn rejects_bad_requests() {
        for bad in [
            json!({"$query": {"$eq": {"Title": null}}}),
            json!({"$query": {"$eq": {"Title": "a", "Description": "b"}}}),
            json!({"$query": {"$lt": {"Title": true}}}),
            json!({"$query": {"$regex": {"Title": "("}}}),
            json!({"$query": {"$match": {"#id": "x"}}}),
            json!({"$query": {"$eq": {"#foo": "x"}}}),
            json!({"$query": {"$eq": {"#management": "x"}}}),
            json!({"$query": {"$eq": {"Title.a b": "x"}}}),
            json!({"$query": {"$and": {}}}),
            json!({"$query": [{"$eq": {"Title": "x"}, "$depth": -1}]}),
            json!({"$filter": {"$limit": 10001}}),
            json!({"$filter": {"$orderby": {"Keyword": 1}}}),
            json!({"$projection": {"$fields": {"Title": 0}}}),
            json!({"$facets": [{"$name": "x", "$terms": {"$field": "Keyword"}}]}),
            json!({"$unknown": 1}),
            json!([1]),
            json!({"$query": {"$in": {"Title": vec![json!("a"); 1001]}}}),
            json!({"$query": (0..40).fold(json!({"$exists": "Title"}), |q, _| json!({"$not": [q]}))}),
        ] {
            assert!(SelectQuery::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcard_translation() {
        let r = anchored_regex(&wildcard_to_regex("a*b?.c")).unwrap();
        assert!(r.is_match("axxbz.c"));
        assert!(!r.is_match("axxbz-c"));
        assert!(!r.is_match("xaxxbz.c"));
    }
}
