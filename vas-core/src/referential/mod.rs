//! Vitam's referentials: the management-rules referential and the agencies referential.
//!
//! Both are imported from CSV files exactly as Vitam imports them, with every check Vitam
//! applies, and a clear error per line (line number, column, offending value):
//!
//! - [`RulesReferential`] reads `RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement`;
//!   the seven rule categories ([`RuleCategory`]), durations in years/months/days or
//!   `unlimited` ([`RuleDuration`]);
//! - [`AgenciesReferential`] reads `Identifier,Name,Description`.
//!
//! Files may start with a UTF-8 byte-order mark, use CRLF line ends and quoted fields
//! (with commas and line breaks inside). A file that is not valid UTF-8 is read as
//! ISO-8859-1, as Vitam's own `…_latin3-1.csv` fixture requires.
//!
//! ```
//! use vas_core::referential::{RulesReferential, RuleCategory};
//!
//! let csv = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n\
//!            APP-00001,AppraisalRule,Dossier,\"Conservation, 80 ans\",80,YEAR\n";
//! let referential = RulesReferential::from_csv_bytes(csv.as_bytes())?;
//! assert_eq!(referential.get("APP-00001").unwrap().category, RuleCategory::Appraisal);
//! # Ok::<(), vas_core::Error>(())
//! ```

mod agencies;
mod csv_read;
mod rules;

pub use agencies::{AgenciesCsvErrorCode, AgenciesReferential, Agency, AgencyCsvLineError};
pub use rules::{
    CsvCheckReport, RuleCategory, RuleDefinition, RuleDuration, RuleMeasurement, RulesCsvErrorCode,
    RulesCsvLineError, RulesReferential,
};

mod contracts;
mod dir;
mod platform;
mod profiles;

pub use contracts::{CheckParentLink, Context, ContextPermission, IngestContract};
pub use dir::{Referentials, ReferentialsBuilder};
pub use platform::PlatformConfig;
pub use profiles::{ArchivalProfile, ArchiveUnitProfile, ProfileFormat};
