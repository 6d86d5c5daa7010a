//! `vas offer`: storage offers: check, put, get, audit.

use std::process::ExitCode;

use clap::Subcommand;

use vas_core::Result;

/// Subcommands of `vas offer`.
#[derive(Subcommand)]
pub enum Cmd {
    /// Check reachability and capacity of every offer of a configuration.
    Check(crate::offer_cmd::OfferCheckArgs),
    /// Write a file to every offer of the strategy.
    Put(crate::offer_cmd::OfferPutArgs),
    /// Read an object with digest verification and fallback.
    Get(crate::offer_cmd::OfferGetArgs),
    /// Audit (and optionally repair) every copy on every offer.
    Audit(crate::offer_cmd::OfferAuditArgs),
}

/// Runs `vas offer …`.
pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::Check(a) => crate::offer_cmd::offer_check(a),
        Cmd::Put(a) => crate::offer_cmd::offer_put(a),
        Cmd::Get(a) => crate::offer_cmd::offer_get(a),
        Cmd::Audit(a) => crate::offer_cmd::offer_audit(a),
    }
}
