//! `vas rules`: management rules: compute inherited rules, elimination, check referentials.

use std::process::ExitCode;

use clap::Subcommand;

use vas_core::Result;

/// Subcommands of `vas rules`.
#[derive(Subcommand)]
pub enum Cmd {
    /// Compute the inherited rules of every unit of a SIP or manifest.
    Compute(crate::rules_cmd::RulesComputeArgs),
    /// Elimination analysis of every unit at a date.
    Eliminable(crate::rules_cmd::RulesEliminableArgs),
    /// Validate a rules referential CSV and report line errors.
    ImportCheck(crate::rules_cmd::RulesImportCheckArgs),
}

/// Runs `vas rules …`.
pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::Compute(a) => crate::rules_cmd::rules_compute(a),
        Cmd::Eliminable(a) => crate::rules_cmd::rules_eliminable(a),
        Cmd::ImportCheck(a) => crate::rules_cmd::rules_import_check(a),
    }
}
