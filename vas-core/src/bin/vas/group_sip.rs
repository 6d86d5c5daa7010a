//! `vas sip`: build and inspect submission packages (sips).

use std::process::ExitCode;

use clap::Subcommand;

use vas_core::Result;

/// Subcommands of `vas sip`.
#[derive(Subcommand)]
pub enum Cmd {
    /// Build a SIP from a folder (and optionally a ReSIP-style CSV).
    Build(crate::sip_cmd::SipBuildArgs),
    /// Inspect a SIP: header, counts, tree, declared vs present files, digests.
    Inspect(crate::sip_cmd::SipInspectArgs),
}

/// Runs `vas sip …`.
pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::Build(a) => crate::sip_cmd::sip_build(a),
        Cmd::Inspect(a) => crate::sip_cmd::sip_inspect(a),
    }
}
