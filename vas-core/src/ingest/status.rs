use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The outcome of an action, a step or a whole operation, ordered as Vitam orders them:
/// `OK < WARNING < KO < FATAL`.
///
/// ```
/// use vas_core::ingest::Status;
/// assert!(Status::Ok < Status::Warning && Status::Warning < Status::Ko && Status::Ko < Status::Fatal);
/// assert_eq!(Status::Ok.max(Status::Ko), Status::Ko);
/// assert_eq!("WARNING".parse::<Status>().unwrap(), Status::Warning);
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub enum Status {
    /// Success.
    #[default]
    #[serde(rename = "OK")]
    Ok,
    /// Success with something the producer should look at.
    #[serde(rename = "WARNING")]
    Warning,
    /// Refused.
    #[serde(rename = "KO")]
    Ko,
    /// Technical failure.
    #[serde(rename = "FATAL")]
    Fatal,
}

impl Status {
    /// `OK`, `WARNING`, `KO` or `FATAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Ko => "KO",
            Status::Fatal => "FATAL",
        }
    }

    /// True for `OK` and `WARNING`: the SIP is accepted.
    pub fn is_accepted(self) -> bool {
        self <= Status::Warning
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "OK" => Ok(Status::Ok),
            "WARNING" => Ok(Status::Warning),
            "KO" => Ok(Status::Ko),
            "FATAL" => Ok(Status::Fatal),
            _ => Err(Error::invalid(format!(
                "unknown status '{s}' (expected OK, WARNING, KO or FATAL)"
            ))),
        }
    }
}
