//! CLI commands implemented in this file: `vas manifest rewrite`, `vas manifest stats`.

use std::process::ExitCode;

use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas manifest rewrite`.
#[derive(clap::Args)]
pub struct ManifestRewriteArgs {}

/// `vas manifest rewrite`.
pub fn manifest_rewrite(_args: ManifestRewriteArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas manifest rewrite` is not implemented yet (issue 2)",
    ))
}

/// Arguments of `vas manifest stats`.
#[derive(clap::Args)]
pub struct ManifestStatsArgs {}

/// `vas manifest stats`.
pub fn manifest_stats(_args: ManifestStatsArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas manifest stats` is not implemented yet (issue 2)",
    ))
}
