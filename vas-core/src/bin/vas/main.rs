//! The `vas` command-line program (feature `cli`).
//!
//! Conventions shared by every subcommand:
//! - exit code 0 on success / valid / accepted, 1 when the subject was checked and found
//!   invalid or refused, 2 on usage or I/O errors (and FATAL outcomes);
//! - on failure, one line `vas: error: <reason>` on stderr;
//! - `--json` prints one machine-readable JSON document on stdout.

mod util;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// vas: embeddable electronic archiving with Vitam's semantics (SEDA 2.1/2.2/2.3).
#[derive(Parser)]
#[command(name = "vas", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the error kinds and their codes in every binding.
    Errors(util::ErrorsArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Errors(a) => util::errors(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vas: error: {}", util::one_line(&e.chain()));
            ExitCode::from(2)
        }
    }
}
