//! `vas manifest`: read, rewrite, inspect and validate seda manifests.

use std::process::ExitCode;

use clap::Subcommand;

use vas_core::Result;

/// Subcommands of `vas manifest`.
#[derive(Subcommand)]
pub enum Cmd {
    /// Validate a manifest against the official SEDA schemas (strict) or Vitam's rules (vitam), and optionally an archival profile.
    Check(crate::manifest_check::ManifestCheckArgs),
    /// Parse a manifest and serialize it again (lossless round-trip).
    Rewrite(crate::manifest_model::ManifestRewriteArgs),
    /// Print statistics about a manifest: version, counts, roots, depth.
    Stats(crate::manifest_model::ManifestStatsArgs),
}

/// Runs `vas manifest …`.
pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::Check(a) => crate::manifest_check::manifest_check(a),
        Cmd::Rewrite(a) => crate::manifest_model::manifest_rewrite(a),
        Cmd::Stats(a) => crate::manifest_model::manifest_stats(a),
    }
}
