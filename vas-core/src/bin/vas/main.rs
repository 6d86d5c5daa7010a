//! The `vas` command-line program (feature `cli`).
//!
//! Conventions shared by every subcommand:
//! - exit code 0 on success / valid / accepted, 1 when the subject was checked and found
//!   invalid or refused, 2 on usage or I/O errors (and FATAL outcomes);
//! - on failure, one line `vas: error: <reason>` on stderr;
//! - `--json` prints one machine-readable JSON document on stdout.

mod archive_cmd;
mod digest_cmd;
mod format_cmd;
mod group_format;
mod group_manifest;
mod group_offer;
mod group_rules;
mod group_sip;
mod ingest_cmd;
mod manifest_check;
mod manifest_model;
mod offer_cmd;
mod rules_cmd;
mod sip_cmd;
mod util;

use std::process::ExitCode;

/// The command line's allocator: mimalloc (malloc/free were ~23 % of an archive ingest's
/// CPU with the system allocator). Only this binary uses it; the library and the bindings
/// keep the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Read, rewrite, inspect and validate SEDA manifests.
    #[command(subcommand)]
    Manifest(group_manifest::Cmd),
    /// Build and inspect submission packages (SIPs).
    #[command(subcommand)]
    Sip(group_sip::Cmd),
    /// Identify file formats (PRONOM PUIDs).
    #[command(subcommand)]
    Format(group_format::Cmd),
    /// Management rules: inherited rules, elimination, referential checks.
    #[command(subcommand)]
    Rules(group_rules::Cmd),
    /// Storage offers: check, put, get, audit.
    #[command(subcommand)]
    Offer(group_offer::Cmd),
    /// Ingest a SIP with Vitam's controls (`--dry-run`: controls only, nothing stored).
    Ingest(ingest_cmd::IngestArgs),
    /// The embedded archive: init, ingest, search, get, DIP, logbook, verify, audit, rebuild.
    #[command(subcommand)]
    Archive(archive_cmd::Cmd),
    /// Digest files (`sha512sum`'s format, in parallel) or check a list of digests.
    Digest(digest_cmd::DigestArgs),
    /// Print the error kinds and their codes in every binding.
    Errors(util::ErrorsArgs),
}

fn main() -> ExitCode {
    restore_sigpipe();
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
        Command::Manifest(c) => group_manifest::run(c),
        Command::Sip(c) => {
            if matches!(c, group_sip::Cmd::Build(_)) {
                no_transparent_huge_pages();
            }
            group_sip::run(c)
        }
        Command::Format(c) => group_format::run(c),
        Command::Rules(c) => group_rules::run(c),
        Command::Offer(c) => group_offer::run(c),
        Command::Ingest(a) => ingest_cmd::run(a),
        Command::Archive(c) => archive_cmd::run(c),
        Command::Digest(a) => digest_cmd::run(a),
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

/// Rust ignores SIGPIPE, so `println!` to a closed pipe (`vas archive logbook DIR | head`)
/// panics. A command-line tool should end quietly instead, killed by SIGPIPE like
/// coreutils. Sockets are not concerned: the standard library sends with `MSG_NOSIGNAL`,
/// and what the archive writes survives a kill at any point (its crash tests).
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Turns transparent huge pages off for this process (`prctl(PR_SET_THP_DISABLE)`, what
/// `MIMALLOC_ALLOW_THP=0` does at start-up; it applies to every later page fault). mimalloc
/// asks for huge pages on its arenas, and each first touch then zeroes 2 MiB: for
/// `vas sip build` of small files that was 11 % of the CPU time (`clear_page_erms`), and
/// turning it off measured ~10 % less CPU and ~20 MiB less peak RSS (docs/performance.md,
/// "Packaging, sip8 branch"); for `vas manifest check` the clearing was 4–11 ms of a 100 ms
/// check ("XSD/RelaxNG, xsd8 branch"). Long commands (the archive ingest) keep huge pages:
/// they were faster with them.
pub(crate) fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and changes no
    // memory; a failure (old kernel) leaves the default, which is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
