//! `vas format`: identify file formats (pronom puids).

use std::process::ExitCode;

use clap::Subcommand;

use vas_core::Result;

/// Subcommands of `vas format`.
#[derive(Subcommand)]
pub enum Cmd {
    /// Identify the PRONOM format of files.
    Identify(crate::format_cmd::FormatIdentifyArgs),
}

/// Runs `vas format …`.
pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::Identify(a) => crate::format_cmd::format_identify(a),
    }
}
