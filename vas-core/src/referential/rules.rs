//! The management-rules referential (Vitam's `FileRules`) and its CSV import checks.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::csv_read::{self, CsvTable};
use crate::{Error, ErrorKind, Result};

/// The seven categories of management rules, in Vitam's order.
///
/// ```
/// use vas_core::referential::RuleCategory;
///
/// let c: RuleCategory = "HoldRule".parse()?;
/// assert_eq!(c, RuleCategory::Hold);
/// assert_eq!(c.name(), "HoldRule");
/// assert!("holdrule".parse::<RuleCategory>().is_err()); // exact spelling, as Vitam
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleCategory {
    /// `StorageRule`: current-use period (DUC); FinalAction RestrictAccess/Transfer/Copy.
    Storage,
    /// `AppraisalRule`: administrative-use period (DUA); FinalAction Keep/Destroy.
    Appraisal,
    /// `AccessRule`: communicability period.
    Access,
    /// `DisseminationRule`: dissemination period.
    Dissemination,
    /// `ReuseRule`: reuse period.
    Reuse,
    /// `ClassificationRule`: defence classification.
    Classification,
    /// `HoldRule`: legal hold.
    Hold,
}

impl RuleCategory {
    /// Every category, in Vitam's order (also the order of the SEDA `Management` block,
    /// HoldRule last).
    pub const ALL: [RuleCategory; 7] = [
        RuleCategory::Storage,
        RuleCategory::Appraisal,
        RuleCategory::Access,
        RuleCategory::Dissemination,
        RuleCategory::Reuse,
        RuleCategory::Classification,
        RuleCategory::Hold,
    ];

    /// The SEDA / Vitam name, e.g. `AccessRule`.
    pub fn name(self) -> &'static str {
        match self {
            RuleCategory::Storage => "StorageRule",
            RuleCategory::Appraisal => "AppraisalRule",
            RuleCategory::Access => "AccessRule",
            RuleCategory::Dissemination => "DisseminationRule",
            RuleCategory::Reuse => "ReuseRule",
            RuleCategory::Classification => "ClassificationRule",
            RuleCategory::Hold => "HoldRule",
        }
    }

    /// The position of the category in [`RuleCategory::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for RuleCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RuleCategory {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        RuleCategory::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| Error::invalid(format!("unknown rule category {s:?}")))
    }
}

/// The unit of a rule duration (`RuleMeasurement`, case-insensitive in the CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleMeasurement {
    /// `YEAR`.
    Year,
    /// `MONTH`.
    Month,
    /// `DAY`.
    Day,
}

impl RuleMeasurement {
    /// The canonical upper-case name (`YEAR`, `MONTH`, `DAY`).
    pub fn name(self) -> &'static str {
        match self {
            RuleMeasurement::Year => "YEAR",
            RuleMeasurement::Month => "MONTH",
            RuleMeasurement::Day => "DAY",
        }
    }

    /// The largest duration Vitam accepts in this unit: 999 years, i.e. 999 YEAR,
    /// 11 988 MONTH, 359 640 DAY (Vitam counts a year as 12 × 30 days here).
    pub fn limit(self) -> u32 {
        match self {
            RuleMeasurement::Year => 999,
            RuleMeasurement::Month => 999 * 12,
            RuleMeasurement::Day => 999 * 12 * 30,
        }
    }
}

impl FromStr for RuleMeasurement {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "YEAR" => Ok(RuleMeasurement::Year),
            "MONTH" => Ok(RuleMeasurement::Month),
            "DAY" => Ok(RuleMeasurement::Day),
            _ => Err(Error::invalid(format!(
                "unknown rule measurement {s:?} (YEAR, MONTH or DAY)"
            ))),
        }
    }
}

/// The duration of a rule: `unlimited`, or a number of years, months or days.
///
/// ```
/// use vas_core::referential::{RuleDuration, RuleMeasurement};
///
/// let d = RuleDuration::parse("10", Some("year"))?;
/// assert_eq!(d, RuleDuration::Finite { value: 10, unit: RuleMeasurement::Year });
/// assert_eq!(RuleDuration::parse("UnLimited", Some("YEAR"))?, RuleDuration::Unlimited);
/// assert!(RuleDuration::parse("1000", Some("YEAR")).is_err()); // more than 999 years
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleDuration {
    /// `unlimited` (case-insensitive): the rule never ends.
    Unlimited,
    /// A finite duration.
    Finite {
        /// The number of units (≥ 0).
        value: u32,
        /// The unit.
        unit: RuleMeasurement,
    },
}

impl RuleDuration {
    /// Parses a `RuleDuration` and `RuleMeasurement` pair with Vitam's checks: an
    /// integer ≥ 0 or `unlimited`, a known unit, and a total of at most 999 years. The
    /// measurement is required for a finite duration, and checked (but unused) for
    /// `unlimited`.
    pub fn parse(duration: &str, measurement: Option<&str>) -> Result<Self> {
        let unit = measurement.map(RuleMeasurement::from_str).transpose()?;
        if duration.eq_ignore_ascii_case("unlimited") {
            return Ok(RuleDuration::Unlimited);
        }
        let value: u32 = duration
            .parse()
            .ok()
            .filter(|_| duration.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "rule duration {duration:?} is neither an integer ≥ 0 nor `unlimited`"
                ))
            })?;
        let unit = unit.ok_or_else(|| Error::invalid("a rule duration needs a RuleMeasurement"))?;
        if value > unit.limit() {
            return Err(Error::invalid(format!(
                "rule duration {value} {} exceeds 999 years (at most {} {})",
                unit.name(),
                unit.limit(),
                unit.name()
            )));
        }
        Ok(RuleDuration::Finite { value, unit })
    }
}

impl fmt::Display for RuleDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleDuration::Unlimited => f.write_str("unlimited"),
            RuleDuration::Finite { value, unit } => write!(f, "{value} {}", unit.name()),
        }
    }
}

/// One rule of the referential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDefinition {
    /// `RuleId`, e.g. `ACC-00002`.
    pub id: String,
    /// `RuleType`.
    pub category: RuleCategory,
    /// `RuleValue` (the short label).
    pub value: String,
    /// `RuleDescription` (may be empty).
    pub description: String,
    /// `RuleDuration` + `RuleMeasurement`; `None` only for a HoldRule without duration.
    pub duration: Option<RuleDuration>,
}

/// What is wrong on a line of a rules CSV; [`RulesCsvErrorCode::vitam_code`] gives Vitam's
/// report code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RulesCsvErrorCode {
    /// A structural problem: header, field count, empty line, missing mandatory value.
    NotCsvFormat,
    /// The same `RuleId` appears twice.
    RuleIdDuplication,
    /// `RuleId` holds characters other than letters, digits, `_` and `-` (vas's own
    /// code `STP_IMPORT_RULES_WRONG_RULEID`: Vitam's report has no dedicated one).
    InvalidRuleId,
    /// `RuleType` is not one of the seven categories (exact spelling).
    UnknownRuleType,
    /// `RuleDuration` is neither an integer ≥ 0 nor `unlimited`.
    WrongRuleDuration,
    /// `RuleMeasurement` is not YEAR, MONTH or DAY.
    WrongRuleMeasurement,
    /// The duration exceeds 999 years.
    WrongTotalDuration,
    /// The duration is below the tenant's minimum for the category.
    DurationBelowMinimum,
}

impl RulesCsvErrorCode {
    /// Vitam's code in the import report (`FileRulesErrorCode`); see
    /// [`RulesCsvErrorCode::InvalidRuleId`] for the one vas addition.
    pub fn vitam_code(self) -> &'static str {
        match self {
            RulesCsvErrorCode::NotCsvFormat => "STP_IMPORT_RULES_NOT_CSV_FORMAT",
            RulesCsvErrorCode::RuleIdDuplication => "STP_IMPORT_RULES_RULEID_DUPLICATION",
            RulesCsvErrorCode::InvalidRuleId => "STP_IMPORT_RULES_WRONG_RULEID",
            RulesCsvErrorCode::UnknownRuleType => "STP_IMPORT_RULES_WRONG_RULETYPE_UNKNOW",
            RulesCsvErrorCode::WrongRuleDuration => "STP_IMPORT_RULES_WRONG_RULEDURATION",
            RulesCsvErrorCode::WrongRuleMeasurement => "STP_IMPORT_RULES_WRONG_RULEMEASUREMENT",
            RulesCsvErrorCode::WrongTotalDuration => "STP_IMPORT_RULES_WRONG_TOTALDURATION",
            RulesCsvErrorCode::DurationBelowMinimum => "STP_IMPORT_RULES_RULEDURATION_EXCEED",
        }
    }
}

/// One error found on a line of a rules CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesCsvLineError {
    /// The 1-based physical line where the record starts (the header is line 1).
    pub line: u64,
    /// The column concerned, when there is one (`RuleId`, `RuleDuration` …).
    pub column: Option<String>,
    /// The offending value.
    pub value: String,
    /// What is wrong.
    pub code: RulesCsvErrorCode,
    /// A human explanation.
    pub message: String,
}

impl fmt::Display for RulesCsvLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {} [{}]", self.message, self.code.vitam_code())?;
        if !self.value.is_empty() {
            write!(f, " (value {:?})", self.value)?;
        }
        Ok(())
    }
}

/// The result of checking a rules CSV without failing: the rules read and the line errors.
#[derive(Debug, Clone)]
pub struct CsvCheckReport {
    /// Number of data records read (header excluded).
    pub records: usize,
    /// Every error found, in line order.
    pub errors: Vec<RulesCsvLineError>,
}

impl CsvCheckReport {
    /// `true` when the file can be imported.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The management-rules referential of a tenant.
///
/// ```
/// use vas_core::referential::{RulesReferential, RuleDuration};
///
/// let csv = "\u{feff}RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\r\n\
///            HOL-00001,HoldRule,Gel,\"sans durée\",,\r\n\
///            ACC-00001,AccessRule,Libre,,0,Year\r\n";
/// let r = RulesReferential::from_csv_bytes(csv.as_bytes())?;
/// assert_eq!(r.len(), 2);
/// assert_eq!(r.get("HOL-00001").unwrap().duration, None);
/// assert!(matches!(r.get("ACC-00001").unwrap().duration, Some(RuleDuration::Finite { value: 0, .. })));
///
/// let report = RulesReferential::check_csv(b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\nX,Bad,v,,1,YEAR\n")?;
/// assert_eq!(report.errors[0].line, 2);
/// assert_eq!(report.errors[0].code.vitam_code(), "STP_IMPORT_RULES_WRONG_RULETYPE_UNKNOW");
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct RulesReferential {
    rules: Vec<RuleDefinition>,
    index: HashMap<String, usize>,
}

/// The exact header of a rules CSV.
const HEADER: [&str; 6] = [
    "RuleId",
    "RuleType",
    "RuleValue",
    "RuleDescription",
    "RuleDuration",
    "RuleMeasurement",
];

fn valid_rule_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl RulesReferential {
    /// Builds a referential from definitions (ids must be unique).
    pub fn from_rules(rules: Vec<RuleDefinition>) -> Result<Self> {
        let mut index = HashMap::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            if index.insert(r.id.clone(), i).is_some() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("duplicated rule id {}", r.id),
                )
                .with_id(r.id.clone()));
            }
        }
        Ok(RulesReferential { rules, index })
    }

    /// Reads and checks a rules CSV file; any line error refuses the whole file (the
    /// error lists every line error, the first one's line in its context).
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::from(e).or_path(path))?;
        Self::from_csv_bytes(&bytes).map_err(|e| e.or_path(path))
    }

    /// Reads and checks a rules CSV from bytes; see [`RulesReferential::from_csv_path`].
    pub fn from_csv_bytes(bytes: &[u8]) -> Result<Self> {
        let (rules, errors, _) = parse(bytes)?;
        if let Some(first) = errors.first() {
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            let mut err = Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "invalid rules referential ({} error{}): {}",
                    errors.len(),
                    if errors.len() > 1 { "s" } else { "" },
                    all.join("; ")
                ),
            )
            .at(first.line, 0)
            .with_code(first.code.vitam_code());
            if let Some(c) = &first.column {
                err = err.with_element(c.clone());
            }
            return Err(err);
        }
        Self::from_rules(rules)
    }

    /// Checks a rules CSV and reports every line error without failing on them (fails
    /// only when the bytes are not UTF-8 or not CSV at all).
    pub fn check_csv(bytes: &[u8]) -> Result<CsvCheckReport> {
        let (_, errors, records) = parse(bytes)?;
        Ok(CsvCheckReport { records, errors })
    }

    /// [`RulesReferential::check_csv`] plus the tenant's minimum durations per category
    /// (Vitam's `listMinimumRuleDuration`): a rule shorter than its category's minimum is
    /// a `STP_IMPORT_RULES_RULEDURATION_EXCEED` error. Durations compare as Vitam does,
    /// in days with a year of 365 days and a month of 30; `unlimited` is never too short.
    ///
    /// ```
    /// use vas_core::referential::{RulesReferential, RuleCategory, RuleDuration, RuleMeasurement};
    ///
    /// let csv = b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
    ///             APP-1,AppraisalRule,v,,5,DAY\nAPP-2,AppraisalRule,v,,6,DAY\n";
    /// let six_days = RuleDuration::Finite { value: 6, unit: RuleMeasurement::Day };
    /// let report = RulesReferential::check_csv_with_minimums(csv, &[(RuleCategory::Appraisal, six_days)])?;
    /// assert_eq!(report.errors.len(), 1);
    /// assert_eq!(report.errors[0].line, 2);
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn check_csv_with_minimums(
        bytes: &[u8],
        minimums: &[(RuleCategory, RuleDuration)],
    ) -> Result<CsvCheckReport> {
        let (rules, mut errors, records) = parse(bytes)?;
        let days = |d: &RuleDuration| -> u64 {
            match *d {
                RuleDuration::Unlimited => u64::MAX,
                RuleDuration::Finite { value, unit } => {
                    u64::from(value)
                        * match unit {
                            RuleMeasurement::Year => 365,
                            RuleMeasurement::Month => 30,
                            RuleMeasurement::Day => 1,
                        }
                }
            }
        };
        let table = csv_read::read_table(bytes, &HEADER, false)?;
        for r in &rules {
            let (Some(d), Some((_, min))) =
                (&r.duration, minimums.iter().find(|(c, _)| *c == r.category))
            else {
                continue;
            };
            if days(d) < days(min) {
                let line = table
                    .column("RuleId")
                    .and_then(|c| {
                        table
                            .records
                            .iter()
                            .find(|rec| rec.fields.get(c).map(|f| f.trim()) == Some(r.id.as_str()))
                    })
                    .map_or(0, |rec| rec.line);
                errors.push(RulesCsvLineError {
                    line,
                    column: Some("RuleDuration".into()),
                    value: d.to_string(),
                    code: RulesCsvErrorCode::DurationBelowMinimum,
                    message: format!(
                        "{} of rule {} is below the minimum {} for {}",
                        d, r.id, min, r.category
                    ),
                });
            }
        }
        errors.sort_by_key(|e| e.line);
        Ok(CsvCheckReport { records, errors })
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&RuleDefinition> {
        self.index.get(id).map(|&i| &self.rules[i])
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// `true` when there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &RuleDefinition> {
        self.rules.iter()
    }
}

type Parsed = (Vec<RuleDefinition>, Vec<RulesCsvLineError>, usize);

fn parse(bytes: &[u8]) -> Result<Parsed> {
    let table: CsvTable = csv_read::read_table(bytes, &HEADER, false)?;
    let mut errors: Vec<RulesCsvLineError> = table
        .errors
        .iter()
        .map(|e| RulesCsvLineError {
            line: e.line,
            column: e.column.clone(),
            value: e.value.clone(),
            code: RulesCsvErrorCode::NotCsvFormat,
            message: e.message.clone(),
        })
        .collect();
    let cols: Option<Vec<usize>> = HEADER.iter().map(|h| table.column(h)).collect();
    let Some(cols) = cols else {
        errors.sort_by_key(|e| e.line);
        return Ok((Vec::new(), errors, table.records.len()));
    };
    let mut rules = Vec::with_capacity(table.records.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for rec in &table.records {
        if rec.fields.len() != table.header.len() {
            continue; // already reported as a structural error
        }
        let get = |i: usize| rec.fields[cols[i]].trim();
        let line = rec.line;
        let mut line_errors = Vec::new();
        let mut err = |column: &str, value: &str, code, message: String| {
            line_errors.push(RulesCsvLineError {
                line,
                column: Some(column.to_owned()),
                value: value.to_owned(),
                code,
                message,
            });
        };
        let (id, rtype, value, description, duration, measurement) =
            (get(0), get(1), get(2), get(3), get(4), get(5));
        let duration = (!duration.is_empty()).then_some(duration);
        let measurement = (!measurement.is_empty()).then_some(measurement);
        for (name, v) in [("RuleId", id), ("RuleType", rtype), ("RuleValue", value)] {
            if v.is_empty() {
                err(
                    name,
                    v,
                    RulesCsvErrorCode::NotCsvFormat,
                    format!("{name} is mandatory"),
                );
            }
        }
        if !id.is_empty() {
            if !valid_rule_id(id) {
                err(
                    "RuleId",
                    id,
                    RulesCsvErrorCode::InvalidRuleId,
                    "RuleId may only hold letters, digits, '_' and '-'".into(),
                );
            }
            if let Some(prev) = seen.get(id) {
                err(
                    "RuleId",
                    id,
                    RulesCsvErrorCode::RuleIdDuplication,
                    format!("RuleId {id} already defined at line {prev}"),
                );
            } else {
                seen.insert(id.to_owned(), line);
            }
        }
        let category = if rtype.is_empty() {
            None
        } else {
            match rtype.parse::<RuleCategory>() {
                Ok(c) => Some(c),
                Err(_) => {
                    err(
                        "RuleType",
                        rtype,
                        RulesCsvErrorCode::UnknownRuleType,
                        "unknown RuleType (expected one of StorageRule, AppraisalRule, AccessRule, DisseminationRule, ReuseRule, ClassificationRule, HoldRule)".into(),
                    );
                    None
                }
            }
        };
        let is_hold = category == Some(RuleCategory::Hold);
        match (duration, measurement) {
            (None, None) if is_hold => {}
            (None, None) => err(
                "RuleDuration",
                "",
                RulesCsvErrorCode::NotCsvFormat,
                "RuleDuration and RuleMeasurement are mandatory".into(),
            ),
            (None, _) => err(
                "RuleDuration",
                "",
                RulesCsvErrorCode::NotCsvFormat,
                if is_hold {
                    "a HoldRule with a RuleMeasurement needs a RuleDuration".into()
                } else {
                    "RuleDuration is mandatory".into()
                },
            ),
            (Some(d), None) => err(
                "RuleMeasurement",
                d,
                RulesCsvErrorCode::NotCsvFormat,
                if is_hold {
                    "a HoldRule with a RuleDuration needs a RuleMeasurement".into()
                } else {
                    "RuleMeasurement is mandatory".into()
                },
            ),
            _ => {}
        }
        let mut parsed_duration = None;
        let unit = match measurement.map(RuleMeasurement::from_str) {
            Some(Err(_)) => {
                err(
                    "RuleMeasurement",
                    measurement.unwrap_or_default(),
                    RulesCsvErrorCode::WrongRuleMeasurement,
                    "RuleMeasurement must be YEAR, MONTH or DAY (case-insensitive)".into(),
                );
                None
            }
            Some(Ok(u)) => Some(u),
            None => None,
        };
        if let Some(d) = duration {
            if d.eq_ignore_ascii_case("unlimited") {
                parsed_duration = Some(RuleDuration::Unlimited);
            } else if !d.bytes().all(|b| b.is_ascii_digit()) || d.parse::<u32>().is_err() {
                err(
                    "RuleDuration",
                    d,
                    RulesCsvErrorCode::WrongRuleDuration,
                    "RuleDuration must be an integer ≥ 0 or `unlimited`".into(),
                );
            } else if let Some(unit) = unit {
                match RuleDuration::parse(d, Some(unit.name())) {
                    Ok(x) => parsed_duration = Some(x),
                    Err(_) => err(
                        "RuleDuration",
                        d,
                        RulesCsvErrorCode::WrongTotalDuration,
                        format!(
                            "{d} {} exceeds the maximum of 999 years ({} {})",
                            unit.name(),
                            unit.limit(),
                            unit.name()
                        ),
                    ),
                }
            }
        }
        if let (true, Some(category)) = (line_errors.is_empty(), category) {
            rules.push(RuleDefinition {
                id: id.to_owned(),
                category,
                value: value.to_owned(),
                description: description.to_owned(),
                duration: parsed_duration,
            });
        }
        errors.extend(line_errors);
    }
    errors.sort_by_key(|e| e.line);
    Ok((rules, errors, table.records.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n";

    fn check(body: &str) -> Vec<(u64, RulesCsvErrorCode)> {
        RulesReferential::check_csv(format!("{H}{body}").as_bytes())
            .unwrap()
            .errors
            .into_iter()
            .map(|e| (e.line, e.code))
            .collect()
    }

    #[test]
    fn every_check() {
        use RulesCsvErrorCode::*;
        assert!(check("A,AccessRule,v,,0,day\n").is_empty());
        assert!(check("A,AccessRule,v,,unLimiTEd,YEAR\n").is_empty());
        assert!(check("A,AccessRule,v,,999,YEAR\nB,AccessRule,v,,11988,MONTH\nC,AccessRule,v,,359640,DAY\n").is_empty());
        assert_eq!(
            check("A,AccessRule,v,,1000,YEAR\n"),
            vec![(2, WrongTotalDuration)]
        );
        assert_eq!(
            check("A,AccessRule,v,,370000,DAY\n"),
            vec![(2, WrongTotalDuration)]
        );
        assert_eq!(
            check("A,AccessRule,v,,-1,YEAR\n"),
            vec![(2, WrongRuleDuration)]
        );
        assert_eq!(
            check("A,AccessRule,v,,1.5,YEAR\n"),
            vec![(2, WrongRuleDuration)]
        );
        assert_eq!(
            check("A,AccessRule,v,,1,Année\n"),
            vec![(2, WrongRuleMeasurement)]
        );
        assert_eq!(
            check("A,accessRule,v,,1,YEAR\n"),
            vec![(2, UnknownRuleType)]
        );
        assert_eq!(
            check("A,AccessRule,v,,1,YEAR\nA,AccessRule,v,,1,YEAR\n"),
            vec![(3, RuleIdDuplication)]
        );
        assert_eq!(
            check("A B,AccessRule,v,,1,YEAR\n"),
            vec![(2, InvalidRuleId)]
        );
        assert_eq!(check("A,AccessRule,,,1,YEAR\n"), vec![(2, NotCsvFormat)]);
        assert_eq!(check("A,AccessRule,v,,,\n"), vec![(2, NotCsvFormat)]);
        assert!(check("H,HoldRule,v,,,\n").is_empty());
        assert_eq!(check("H,HoldRule,v,,9,\n"), vec![(2, NotCsvFormat)]);
        assert_eq!(check("H,HoldRule,v,,,YEAR\n"), vec![(2, NotCsvFormat)]);
        assert_eq!(
            check("A,AccessRule,v,,1,YEAR\n\nB,AccessRule,v,,1,YEAR\n"),
            vec![(3, NotCsvFormat)]
        );
        assert_eq!(check("A,AccessRule,v,1,YEAR\n"), vec![(2, NotCsvFormat)]);
        // quoted multi-line description: the next record starts on line 4
        assert_eq!(
            check("A,AccessRule,v,\"a,\nb\",1,YEAR\nB,Nope,v,,1,YEAR\n"),
            vec![(4, UnknownRuleType)]
        );
    }

    #[test]
    fn header_must_have_every_column() {
        let r = RulesReferential::check_csv(
            b"RuleId,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\nA,v,,1,YEAR\n",
        )
        .unwrap();
        assert!(
            r.errors
                .iter()
                .any(|e| e.line == 1 && e.column.as_deref() == Some("RuleType"))
        );
    }

    #[test]
    fn refused_file_error_carries_line_and_code() {
        let e = RulesReferential::from_csv_bytes(
            format!("{H}A,AccessRule,v,,1,YEAR\nA,AccessRule,v,,1,YEAR\n").as_bytes(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.context().line, Some(3));
        assert_eq!(
            e.context().code.as_deref(),
            Some("STP_IMPORT_RULES_RULEID_DUPLICATION")
        );
    }
}
