//! CLI commands implemented in this file: `vas format identify`.

use std::process::ExitCode;

use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas format identify`.
#[derive(clap::Args)]
pub struct FormatIdentifyArgs {}

/// `vas format identify`.
pub fn format_identify(_args: FormatIdentifyArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas format identify` is not implemented yet (issue 5)",
    ))
}
