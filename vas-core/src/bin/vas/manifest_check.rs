//! CLI commands implemented in this file: `vas manifest check`.

use std::process::ExitCode;

use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas manifest check`.
#[derive(clap::Args)]
pub struct ManifestCheckArgs {}

/// `vas manifest check`.
pub fn manifest_check(_args: ManifestCheckArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas manifest check` is not implemented yet (issue 3)",
    ))
}
