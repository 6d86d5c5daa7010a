//! CLI commands implemented in this file: `vas offer check`, `vas offer put`, `vas offer get`, `vas offer audit`.

use std::process::ExitCode;

use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas offer check`.
#[derive(clap::Args)]
pub struct OfferCheckArgs {}

/// `vas offer check`.
pub fn offer_check(_args: OfferCheckArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas offer check` is not implemented yet (issue 8)",
    ))
}

/// Arguments of `vas offer put`.
#[derive(clap::Args)]
pub struct OfferPutArgs {}

/// `vas offer put`.
pub fn offer_put(_args: OfferPutArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas offer put` is not implemented yet (issue 8)",
    ))
}

/// Arguments of `vas offer get`.
#[derive(clap::Args)]
pub struct OfferGetArgs {}

/// `vas offer get`.
pub fn offer_get(_args: OfferGetArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas offer get` is not implemented yet (issue 8)",
    ))
}

/// Arguments of `vas offer audit`.
#[derive(clap::Args)]
pub struct OfferAuditArgs {}

/// `vas offer audit`.
pub fn offer_audit(_args: OfferAuditArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas offer audit` is not implemented yet (issue 8)",
    ))
}
