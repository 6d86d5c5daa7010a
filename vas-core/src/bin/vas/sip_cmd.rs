//! CLI commands implemented in this file: `vas sip build`, `vas sip inspect`.

use std::process::ExitCode;

use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas sip build`.
#[derive(clap::Args)]
pub struct SipBuildArgs {}

/// `vas sip build`.
pub fn sip_build(_args: SipBuildArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas sip build` is not implemented yet (issue 4)",
    ))
}

/// Arguments of `vas sip inspect`.
#[derive(clap::Args)]
pub struct SipInspectArgs {}

/// `vas sip inspect`.
pub fn sip_inspect(_args: SipInspectArgs) -> Result<ExitCode> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "`vas sip inspect` is not implemented yet (issue 4)",
    ))
}
