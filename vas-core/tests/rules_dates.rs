//! Date arithmetic against a table of tricky cases. The expected values were produced with
//! Python's `dateutil.relativedelta`, whose month/year clamping is the same as Java's
//! `LocalDate.plusYears/plusMonths` (Feb 29 → Feb 28, 31st → last day of month).

use proptest::prelude::*;
use vas_core::referential::{RuleCategory, RuleDuration, RuleMeasurement, RulesReferential};
use vas_core::rules::{
    self, RuleRef, UnitRulesInput, add_duration, format_date, parse_date, plus_months,
};

const TABLE: &[(&str, char, u32, &str)] = &[
    ("2024-02-29", 'Y', 10, "2034-02-28"),
    ("2024-02-29", 'Y', 1, "2025-02-28"),
    ("2024-02-29", 'Y', 4, "2028-02-29"),
    ("2024-02-29", 'Y', 100, "2124-02-29"),
    ("2000-02-29", 'Y', 100, "2100-02-28"),
    ("2000-02-29", 'Y', 400, "2400-02-29"),
    ("2023-01-31", 'M', 1, "2023-02-28"),
    ("2024-01-31", 'M', 1, "2024-02-29"),
    ("2024-01-31", 'M', 13, "2025-02-28"),
    ("2024-03-31", 'M', 6, "2024-09-30"),
    ("2024-05-31", 'M', 1, "2024-06-30"),
    ("2023-12-31", 'D', 1, "2024-01-01"),
    ("2024-02-28", 'D', 1, "2024-02-29"),
    ("2023-02-28", 'D', 1, "2023-03-01"),
    ("2000-01-01", 'D', 359640, "2984-08-29"),
    ("2000-01-01", 'Y', 999, "2999-01-01"),
    ("2000-01-01", 'M', 11988, "2999-01-01"),
    ("2024-02-29", 'M', 12, "2025-02-28"),
    ("2024-02-29", 'M', 0, "2024-02-29"),
    ("2024-02-29", 'Y', 0, "2024-02-29"),
    ("2024-02-29", 'D', 0, "2024-02-29"),
    ("1900-02-28", 'D', 1, "1900-03-01"),
    ("1999-12-31", 'Y', 1, "2000-12-31"),
    ("2024-08-31", 'M', 18, "2026-02-28"),
    ("8000-06-15", 'Y', 999, "8999-06-15"),
];

fn unit_of(c: char) -> RuleMeasurement {
    match c {
        'Y' => RuleMeasurement::Year,
        'M' => RuleMeasurement::Month,
        _ => RuleMeasurement::Day,
    }
}

#[test]
fn table_of_tricky_cases() {
    for &(start, u, n, want) in TABLE {
        let d = RuleDuration::Finite {
            value: n,
            unit: unit_of(u),
        };
        let got = add_duration(parse_date(start).unwrap(), &d)
            .unwrap()
            .unwrap();
        assert_eq!(format_date(got), want, "{start} + {n}{u}");
    }
    assert_eq!(
        add_duration(parse_date("2000-01-01").unwrap(), &RuleDuration::Unlimited).unwrap(),
        None
    );
}

fn one_rule(id: &str, cat: RuleCategory, start: Option<&str>) -> Vec<UnitRulesInput> {
    let mut u = UnitRulesInput {
        id: "U".into(),
        originating_agency: Some("SP".into()),
        ..Default::default()
    };
    u.management
        .category_mut(cat)
        .rules
        .push(RuleRef::new(id, start.map(|s| parse_date(s).unwrap())));
    vec![u]
}

fn end_of(
    units: &[UnitRulesInput],
    r: &RulesReferential,
    cat: RuleCategory,
) -> vas_core::Result<Option<String>> {
    let c = rules::compute_inherited_rules(units, r)?;
    Ok(c.unit("U").unwrap().category(cat).rules[0]
        .end_date
        .map(format_date))
}

#[test]
fn end_dates_through_the_engine() {
    let r = RulesReferential::from_csv_bytes(
        b"RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
          A10,AccessRule,v,,10,YEAR\nA0,AccessRule,v,,0,YEAR\nAU,AccessRule,v,,unlimited,YEAR\n\
          A999,AccessRule,v,,999,YEAR\nH,HoldRule,v,,,\nH1,HoldRule,v,,1,YEAR\n",
    )
    .unwrap();
    let acc = RuleCategory::Access;
    assert_eq!(
        end_of(&one_rule("A10", acc, Some("2024-02-29")), &r, acc)
            .unwrap()
            .as_deref(),
        Some("2034-02-28")
    );
    assert_eq!(
        end_of(&one_rule("A0", acc, Some("2024-02-29")), &r, acc)
            .unwrap()
            .as_deref(),
        Some("2024-02-29")
    );
    // no StartDate, or unlimited: no end date
    assert_eq!(end_of(&one_rule("A10", acc, None), &r, acc).unwrap(), None);
    assert_eq!(
        end_of(&one_rule("AU", acc, Some("2000-01-01")), &r, acc).unwrap(),
        None
    );
    // the 9000-01-01 ceiling
    assert_eq!(
        end_of(&one_rule("A999", acc, Some("8000-12-31")), &r, acc)
            .unwrap()
            .as_deref(),
        Some("8999-12-31")
    );
    let e = end_of(&one_rule("A999", acc, Some("8001-01-01")), &r, acc).unwrap_err();
    assert_eq!(e.context().code.as_deref(), Some(rules::CODE_UNKNOWN));
    let e = end_of(&one_rule("A0", acc, Some("9000-01-01")), &r, acc).unwrap_err();
    assert_eq!(
        e.context().code.as_deref(),
        Some(rules::CODE_DATE_THRESHOLD)
    );
    // HoldRule without duration: EndDate = HoldEndDate, never before StartDate
    let hold = RuleCategory::Hold;
    let mut units = one_rule("H", hold, Some("2020-01-01"));
    assert_eq!(end_of(&units, &r, hold).unwrap(), None);
    units[0].management.category_mut(hold).rules[0]
        .hold
        .hold_end_date = Some(parse_date("2020-01-01").unwrap());
    assert_eq!(
        end_of(&units, &r, hold).unwrap().as_deref(),
        Some("2020-01-01")
    );
    units[0].management.category_mut(hold).rules[0]
        .hold
        .hold_end_date = Some(parse_date("2019-12-31").unwrap());
    assert_eq!(
        end_of(&units, &r, hold)
            .unwrap_err()
            .context()
            .code
            .as_deref(),
        Some(rules::CODE_CONSISTENCY)
    );
    // HoldEndDate on a HoldRule with a duration: refused
    let mut units = one_rule("H1", hold, Some("2020-01-01"));
    assert_eq!(
        end_of(&units, &r, hold).unwrap().as_deref(),
        Some("2021-01-01")
    );
    units[0].management.category_mut(hold).rules[0]
        .hold
        .hold_end_date = Some(parse_date("2030-01-01").unwrap());
    assert_eq!(
        end_of(&units, &r, hold)
            .unwrap_err()
            .context()
            .code
            .as_deref(),
        Some(rules::CODE_CONSISTENCY)
    );
    // unknown rule, wrong category, bad RefNonRuleId
    let e = end_of(&one_rule("NOPE", acc, None), &r, acc).unwrap_err();
    assert_eq!(e.context().code.as_deref(), Some(rules::CODE_UNKNOWN));
    let e = end_of(&one_rule("H", acc, None), &r, acc).unwrap_err();
    assert_eq!(e.context().code.as_deref(), Some(rules::CODE_CONSISTENCY));
    let mut units = one_rule("A10", acc, None);
    units[0]
        .management
        .category_mut(RuleCategory::Storage)
        .ref_non_rule_ids
        .push("A10".into());
    let e = end_of(&units, &r, acc).unwrap_err();
    assert_eq!(
        e.context().code.as_deref(),
        Some(rules::CODE_REF_INCONSISTENCY)
    );
    assert_eq!(e.context().id.as_deref(), Some("U"));
}

proptest! {
    /// plusMonths as specified by Java: exactly n months later, same day when it exists,
    /// otherwise the last day of the month.
    #[test]
    fn plus_months_spec(y in 1i32..8000, m in 1u8..=12, d in 1u8..=31, n in 0i64..12000) {
        let month = time::Month::try_from(m).unwrap();
        let d = d.min(time::util::days_in_month(month, y));
        let start = time::Date::from_calendar_date(y, month, d).unwrap();
        let end = plus_months(start, n).unwrap();
        let months = |x: time::Date| x.year() as i64 * 12 + x.month() as i64;
        prop_assert_eq!(months(end) - months(start), n);
        let last = time::util::days_in_month(end.month(), end.year());
        prop_assert_eq!(end.day(), d.min(last));
    }

    /// Dates print and parse back.
    #[test]
    fn date_roundtrip(j in 0i32..3_000_000) {
        let d = time::Date::from_julian_day(j + 1_721_426).unwrap(); // from 0001-01-01
        prop_assume!(d.year() <= 9999);
        prop_assert_eq!(parse_date(&format_date(d)).unwrap(), d);
    }
}
