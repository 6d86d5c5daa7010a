//! Calendar arithmetic identical to Java's `LocalDate.plusYears/plusMonths/plusDays`, and
//! the end-date computation of Vitam's `UnitsRulesComputePlugin`.

use time::{Date, Month};

use crate::referential::{RuleDuration, RuleMeasurement};
use crate::{Error, ErrorKind, Result};

/// Dates must stay strictly before this ceiling (Vitam's 9000-01-01 threshold).
pub const DATE_CEILING: Date = time::macros::date!(9000 - 01 - 01);

/// Parses a `yyyy-MM-dd` date. A time or time-zone suffix (`2000-01-01T10:00:00`,
/// `2000-01-01+01:00`, `2000-01-01Z`) is accepted and ignored, as xsd:date and
/// xsd:dateTime values may carry one.
///
/// ```
/// use vas_core::rules::{parse_date, format_date};
///
/// let d = parse_date("2024-02-29")?;
/// assert_eq!(format_date(d), "2024-02-29");
/// assert_eq!(parse_date("2017-04-04T08:07:06")?, parse_date("2017-04-04")?);
/// assert!(parse_date("2023-02-29").is_err());
/// assert!(parse_date("01/01/2000").is_err());
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn parse_date(s: &str) -> Result<Date> {
    let t = s.trim();
    let bad = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!("invalid date {s:?}: expected yyyy-MM-dd"),
        )
    };
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    if b.len() > 10 && !matches!(b[10], b'T' | b'Z' | b'+' | b'-') {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32> {
        let part = &t[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let month = Month::try_from(u8::try_from(m).map_err(|_| bad())?).map_err(|_| bad())?;
    Date::from_calendar_date(y as i32, month, d as u8).map_err(|_| bad())
}

/// Formats a date as `yyyy-MM-dd`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

fn overflow(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("date out of range while adding {what}"),
    )
}

/// Adds months like `LocalDate.plusMonths`: same day of month, clamped to the last day
/// of the target month (2024-01-31 + 1 month = 2024-02-29).
pub fn plus_months(d: Date, months: i64) -> Result<Date> {
    let total = d.year() as i64 * 12 + (d.month() as i64 - 1) + months;
    let year = i32::try_from(total.div_euclid(12)).map_err(|_| overflow("months"))?;
    let month =
        Month::try_from((total.rem_euclid(12) + 1) as u8).map_err(|_| overflow("months"))?;
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, d.day().min(last)).map_err(|_| overflow("months"))
}

/// Adds years like `LocalDate.plusYears`: Feb 29 becomes Feb 28 in a common year
/// (2024-02-29 + 10 years = 2034-02-28).
pub fn plus_years(d: Date, years: i64) -> Result<Date> {
    plus_months(d, years.checked_mul(12).ok_or_else(|| overflow("years"))?)
}

/// Adds days like `LocalDate.plusDays`.
pub fn plus_days(d: Date, days: i64) -> Result<Date> {
    d.checked_add(time::Duration::days(days))
        .ok_or_else(|| overflow("days"))
}

/// The end date of a rule with a duration: `start + duration`, `None` for `unlimited`.
///
/// ```
/// use vas_core::referential::{RuleDuration, RuleMeasurement};
/// use vas_core::rules::{add_duration, parse_date, format_date};
///
/// let ten_years = RuleDuration::Finite { value: 10, unit: RuleMeasurement::Year };
/// let end = add_duration(parse_date("2024-02-29")?, &ten_years)?.unwrap();
/// assert_eq!(format_date(end), "2034-02-28");
/// assert_eq!(add_duration(parse_date("2000-01-01")?, &RuleDuration::Unlimited)?, None);
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn add_duration(start: Date, duration: &RuleDuration) -> Result<Option<Date>> {
    match *duration {
        RuleDuration::Unlimited => Ok(None),
        RuleDuration::Finite { value, unit } => {
            let v = i64::from(value);
            match unit {
                RuleMeasurement::Year => plus_years(start, v),
                RuleMeasurement::Month => plus_months(start, v),
                RuleMeasurement::Day => plus_days(start, v),
            }
            .map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn java_semantics() {
        assert_eq!(plus_years(d("2024-02-29"), 1).unwrap(), d("2025-02-28"));
        assert_eq!(plus_years(d("2024-02-29"), 4).unwrap(), d("2028-02-29"));
        assert_eq!(plus_months(d("2023-01-31"), 1).unwrap(), d("2023-02-28"));
        assert_eq!(plus_months(d("2024-01-31"), 1).unwrap(), d("2024-02-29"));
        assert_eq!(plus_months(d("2024-03-31"), -1).unwrap(), d("2024-02-29"));
        assert_eq!(plus_months(d("2024-08-31"), 13).unwrap(), d("2025-09-30"));
        assert_eq!(plus_days(d("2023-12-31"), 1).unwrap(), d("2024-01-01"));
        assert_eq!(plus_days(d("2024-02-28"), 1).unwrap(), d("2024-02-29"));
    }

    #[test]
    fn parse_rejects_garbage() {
        for s in [
            "",
            "2000",
            "2000-1-01",
            "2000-13-01",
            "2000-00-10",
            "2000-01-32",
            "2000-01-01x",
            "２０００-01-01",
        ] {
            assert!(parse_date(s).is_err(), "{s}");
        }
        assert_eq!(parse_date("2000-01-01+02:00").unwrap(), d("2000-01-01"));
    }
}
