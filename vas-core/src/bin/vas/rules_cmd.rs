//! CLI commands implemented in this file: `vas rules compute`, `vas rules eliminable`, `vas rules import-check`.

use std::process::ExitCode;

use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas rules compute`.
#[derive(clap::Args)]
pub struct RulesComputeArgs {}

/// `vas rules compute`.
pub fn rules_compute(_args: RulesComputeArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas rules compute` is not implemented yet (issue 6)",
    ))
}

/// Arguments of `vas rules eliminable`.
#[derive(clap::Args)]
pub struct RulesEliminableArgs {}

/// `vas rules eliminable`.
pub fn rules_eliminable(_args: RulesEliminableArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas rules eliminable` is not implemented yet (issue 6)",
    ))
}

/// Arguments of `vas rules import-check`.
#[derive(clap::Args)]
pub struct RulesImportCheckArgs {}

/// `vas rules import-check`.
pub fn rules_import_check(_args: RulesImportCheckArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas rules import-check` is not implemented yet (issue 6)",
    ))
}
