//! Compiles the DSL AST and an access contract to parameterised SQL.
//!
//! Every user value becomes a numbered parameter (`?N`); the SQL text is assembled only from
//! fixed fragments, column names from a fixed table and generated aliases.

use rusqlite::types::Value as SqlValue;

use super::AccessContract;
use super::dsl::{CmpOp, Depth, Field, MatchMode, Query, Scalar, SelectQuery, TextField};

/// A WHERE clause over alias `alias` of table `unit`, with its parameters.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub alias: String,
    pub where_sql: String,
    pub params: Vec<SqlValue>,
}

/// Column name and kind of a column field.
pub(crate) fn column(field: &str) -> (&'static str, bool) {
    // (column, is_integer)
    match field {
        "#id" => ("id", false),
        "#tenant" => ("tenant", true),
        "#unitType" => ("unit_type", false),
        "#originating_agency" => ("originating_agency", false),
        "#opi" => ("opi", false),
        "#object" => ("og", false),
        "Title" => ("title", false),
        "Description" => ("description", false),
        "DescriptionLevel" => ("description_level", false),
        "StartDate" => ("start_date", false),
        _ => ("end_date", false),
    }
}

#[derive(Clone, Copy)]
enum Kind<'a> {
    Text,
    Int,
    Json(&'a str),
}

enum Pred<'a> {
    Cmp(CmpOp, &'a Scalar),
    In(&'a [Scalar]),
    Range(Option<&'a (Scalar, bool)>, Option<&'a (Scalar, bool)>),
    Regex(String),
    Exists,
}

/// The reading context: contract, tenant and the reference date for rule filters.
pub(crate) struct Access<'a> {
    pub tenant: u32,
    pub contract: &'a AccessContract,
    pub today: String,
}

pub(crate) struct Compiler {
    pub params: Vec<SqlValue>,
    next_alias: usize,
}

impl Compiler {
    pub fn new() -> Compiler {
        Compiler {
            params: Vec::new(),
            next_alias: 0,
        }
    }

    fn p(&mut self, v: impl Into<SqlValue>) -> String {
        self.params.push(v.into());
        format!("?{}", self.params.len())
    }

    fn scalar(&mut self, s: &Scalar) -> String {
        match s {
            Scalar::Str(x) => self.p(x.clone()),
            Scalar::Num(n) => self.p(*n),
            Scalar::Bool(b) => self.p(i64::from(*b)),
        }
    }

    fn alias(&mut self, prefix: &str) -> String {
        self.next_alias += 1;
        format!("{prefix}{}", self.next_alias)
    }

    /// Guard making sure `v` has the scalar's type: None = impossible, Some("") = no guard.
    fn guard(kind: Kind<'_>, s: &Scalar) -> Option<String> {
        match (kind, s) {
            (Kind::Text, Scalar::Str(_)) | (Kind::Int, Scalar::Num(_)) => Some(String::new()),
            (Kind::Json(t), Scalar::Str(_)) => Some(format!("{t} = 'text'")),
            (Kind::Json(t), Scalar::Num(_)) => Some(format!("{t} IN ('integer','real')")),
            (Kind::Json(t), Scalar::Bool(b)) => {
                Some(format!("{t} = '{}'", if *b { "true" } else { "false" }))
            }
            _ => None,
        }
    }

    fn and(parts: &[String]) -> String {
        let parts: Vec<&String> = parts.iter().filter(|p| !p.is_empty()).collect();
        match parts.len() {
            0 => "1".into(),
            1 => parts[0].clone(),
            _ => format!(
                "({})",
                parts
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ),
        }
    }

    /// A predicate on one non-null value `v` of kind `kind`.
    fn pred(&mut self, v: &str, kind: Kind<'_>, pred: &Pred<'_>) -> String {
        match pred {
            Pred::Exists => "1".into(),
            Pred::Cmp(op, s) => {
                let Some(g) = Self::guard(kind, s) else {
                    return "0".into();
                };
                if let Scalar::Bool(_) = s {
                    // the type guard alone decides (booleans only support equality)
                    return if g.is_empty() {
                        "1".into()
                    } else {
                        format!("({g})")
                    };
                }
                let o = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Lt => "<",
                    CmpOp::Lte => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Gte => ">=",
                };
                let ph = self.scalar(s);
                Self::and(&[g, format!("{v} {o} {ph}")])
            }
            Pred::In(values) => {
                let mut alts = Vec::new();
                for s in values.iter() {
                    alts.push(self.pred(v, kind, &Pred::Cmp(CmpOp::Eq, s)));
                }
                alts.retain(|a| a != "0");
                if alts.is_empty() {
                    "0".into()
                } else {
                    format!("({})", alts.join(" OR "))
                }
            }
            Pred::Range(lo, hi) => {
                let mut parts = Vec::new();
                let mut guard_from: Option<&Scalar> = None;
                for (b, is_lower) in [(lo, true), (hi, false)] {
                    if let Some((s, incl)) = b {
                        if let Some(prev) = guard_from
                            && std::mem::discriminant(prev) != std::mem::discriminant(s)
                        {
                            return "0".into();
                        }
                        guard_from = Some(s);
                        let op = match (is_lower, incl) {
                            (true, true) => ">=",
                            (true, false) => ">",
                            (false, true) => "<=",
                            (false, false) => "<",
                        };
                        let ph = self.scalar(s);
                        parts.push(format!("{v} {op} {ph}"));
                    }
                }
                let Some(s) = guard_from else {
                    return "0".into();
                };
                let Some(g) = Self::guard(kind, s) else {
                    return "0".into();
                };
                parts.insert(0, g);
                Self::and(&parts)
            }
            Pred::Regex(re) => {
                let Some(g) = Self::guard(kind, &Scalar::Str(String::new())) else {
                    return "0".into();
                };
                let ph = self.p(re.clone());
                Self::and(&[g, format!("vas_regexp({ph}, {v})")])
            }
        }
    }

    fn on_field(&mut self, a: &str, field: &Field, pred: &Pred<'_>) -> String {
        match field {
            Field::Column(name) => {
                let (col, int) = column(name);
                let v = format!("{a}.{col}");
                let kind = if int { Kind::Int } else { Kind::Text };
                if let Pred::Exists = pred {
                    return format!("{v} IS NOT NULL");
                }
                // A NULL column makes the comparison NULL, which counts as false: in a WHERE,
                // under AND/OR, and under NOT thanks to the COALESCE there. No IS NOT NULL
                // guard here, so that the planner uses the column's index.
                self.pred(&v, kind, pred)
            }
            Field::UnitUps | Field::AllUnitUps => {
                let (x, y) = (self.alias("x"), self.alias("y"));
                let (table, col) = if *field == Field::UnitUps {
                    ("unit_parent", "parent")
                } else {
                    ("unit_ancestor", "ancestor")
                };
                let inner = self.pred(&format!("{y}.id"), Kind::Text, pred);
                if inner == "0" {
                    return "0".into();
                }
                format!(
                    "EXISTS (SELECT 1 FROM {table} {x} JOIN unit {y} ON {y}.rid = {x}.{col} WHERE {x}.unit = {a}.rid AND {inner})"
                )
            }
            Field::Path(path) => {
                let j = self.alias("j");
                let ph = self.p(path.clone());
                let ty = format!("{j}.type");
                let inner = self.pred(&format!("{j}.value"), Kind::Json(&ty), pred);
                if inner == "0" {
                    return "0".into();
                }
                format!(
                    "EXISTS (SELECT 1 FROM json_each(vas_path((SELECT doc FROM unit_doc WHERE rid = {a}.rid), {ph})) {j} WHERE {inner})"
                )
            }
        }
    }

    /// Compiles a query node over alias `a`.
    pub fn query(&mut self, a: &str, q: &Query) -> String {
        match q {
            Query::All => "1".into(),
            Query::And(qs) => {
                if qs.is_empty() {
                    return "1".into();
                }
                let parts: Vec<String> = qs.iter().map(|q| self.query(a, q)).collect();
                format!("({})", parts.join(" AND "))
            }
            Query::Or(qs) => {
                if qs.is_empty() {
                    return "0".into();
                }
                let parts: Vec<String> = qs.iter().map(|q| self.query(a, q)).collect();
                format!("({})", parts.join(" OR "))
            }
            Query::Not(qs) => {
                if qs.is_empty() {
                    return "1".into();
                }
                let parts: Vec<String> = qs.iter().map(|q| self.query(a, q)).collect();
                // NULL (a comparison with a missing column) must read as false.
                format!("(NOT COALESCE(({}), 0))", parts.join(" OR "))
            }
            Query::Compare { op, field, value } => self.on_field(a, field, &Pred::Cmp(*op, value)),
            Query::In { field, values } => self.on_field(a, field, &Pred::In(values)),
            Query::Range {
                field,
                lower,
                upper,
            } => self.on_field(a, field, &Pred::Range(lower.as_ref(), upper.as_ref())),
            Query::Exists(field) => self.on_field(a, field, &Pred::Exists),
            Query::Regex { field, pattern } => {
                self.on_field(a, field, &Pred::Regex(pattern.clone()))
            }
            Query::Wildcard { field, pattern } => self.on_field(
                a,
                field,
                &Pred::Regex(super::dsl::wildcard_to_regex(pattern)),
            ),
            Query::Match { field, text, mode } => {
                let words = super::dsl::words(text);
                if words.is_empty() {
                    return "0".into();
                }
                let col = match field {
                    TextField::Title => "title",
                    TextField::Description => "description",
                    TextField::Keyword => "keywords",
                };
                // Words hold only letters and digits, so quoting them is safe.
                let fts = match mode {
                    MatchMode::Phrase => format!("{col} : \"{}\"", words.join(" ")),
                    MatchMode::Any | MatchMode::All => words
                        .iter()
                        .map(|w| format!("{col} : \"{w}\""))
                        .collect::<Vec<_>>()
                        .join(if *mode == MatchMode::Any {
                            " OR "
                        } else {
                            " AND "
                        }),
                };
                let ph = self.p(fts);
                format!("{a}.rid IN (SELECT rowid FROM unit_fts WHERE unit_fts MATCH {ph})")
            }
        }
    }

    fn id_list(&mut self, ids: &[String]) -> String {
        ids.iter()
            .map(|i| self.p(i.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The unit `a` is one of `ids` or descends from one.
    fn under(&mut self, a: &str, ids: &[String]) -> String {
        let l1 = self.id_list(ids);
        let (x, y) = (self.alias("x"), self.alias("y"));
        let l2 = self.id_list(ids);
        format!(
            "({a}.id IN ({l1}) OR EXISTS (SELECT 1 FROM unit_ancestor {x} JOIN unit {y} ON {y}.rid = {x}.ancestor WHERE {x}.unit = {a}.rid AND {y}.id IN ({l2})))"
        )
    }

    /// The access restrictions on unit alias `a`.
    pub fn access(&mut self, a: &str, acc: &Access<'_>) -> String {
        let mut parts = Vec::new();
        let t = self.p(i64::from(acc.tenant));
        // Unary plus: the tenant never drives the plan (it selects nearly everything).
        parts.push(format!("+{a}.tenant = {t}"));
        let c = acc.contract;
        if !c.root_units.is_empty() {
            parts.push(self.under(a, &c.root_units));
        }
        if !c.excluded_root_units.is_empty() {
            let u = self.under(a, &c.excluded_root_units);
            parts.push(format!("(NOT {u})"));
        }
        if !c.every_originating_agency {
            let mut s = format!("({a}.unit_type = 'HOLDING_UNIT'");
            if !c.originating_agencies.is_empty() {
                let l = self.id_list(&c.originating_agencies);
                s.push_str(&format!(" OR {a}.originating_agency IN ({l})"));
            }
            s.push(')');
            parts.push(s);
        }
        for cat in &c.rule_category_to_filter {
            let r = self.alias("r");
            let pc = self.p(cat.clone());
            let pd = self.p(acc.today.clone());
            parts.push(format!(
                "EXISTS (SELECT 1 FROM unit_rule {r} WHERE {r}.unit = {a}.rid AND {r}.category = {pc} AND {r}.max_end_date IS NOT NULL AND {r}.max_end_date < {pd})"
            ));
        }
        Self::and(&parts)
    }

    fn depth(&mut self, a: &str, roots: &Option<String>, depth: Depth) -> String {
        let Some(s) = roots else {
            return String::new();
        };
        let x = self.alias("x");
        match depth {
            Depth::Roots => format!("{a}.rid IN ({s})"),
            Depth::Any => format!(
                "EXISTS (SELECT 1 FROM unit_ancestor {x} WHERE {x}.unit = {a}.rid AND {x}.ancestor IN ({s}))"
            ),
            Depth::UpTo(n) => {
                let ph = self.p(i64::from(n));
                format!(
                    "EXISTS (SELECT 1 FROM unit_ancestor {x} WHERE {x}.unit = {a}.rid AND {x}.depth <= {ph} AND {x}.ancestor IN ({s}))"
                )
            }
            Depth::Exact(n) => {
                let ph = self.p(i64::from(n));
                format!(
                    "EXISTS (SELECT 1 FROM unit_ancestor {x} WHERE {x}.unit = {a}.rid AND {x}.depth = {ph} AND {x}.ancestor IN ({s}))"
                )
            }
        }
    }

    /// Compiles a whole select (sub-queries in sequence) with the access restrictions
    /// applied at every level.
    pub fn select(mut self, q: &SelectQuery, acc: &Access<'_>) -> Compiled {
        let mut roots: Option<String> = if q.roots.is_empty() {
            None
        } else {
            let l = self.id_list(&q.roots);
            Some(format!("SELECT rid FROM unit WHERE id IN ({l})"))
        };
        let mut last = (String::from("u0"), String::from("1"));
        for (i, sub) in q.queries.iter().enumerate() {
            let a = format!("u{i}");
            let cq = self.query(&a, &sub.query);
            let ca = self.access(&a, acc);
            let cd = self.depth(&a, &roots, sub.depth);
            let w = Self::and(&[cq, ca, cd]);
            roots = Some(format!("SELECT {a}.rid FROM unit {a} WHERE {w}"));
            last = (a, w);
        }
        Compiled {
            alias: last.0,
            where_sql: last.1,
            params: self.params,
        }
    }
}
