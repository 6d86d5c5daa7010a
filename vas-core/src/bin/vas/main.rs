//! The `vas` command-line program (feature `cli`).
//!
//! Conventions shared by every subcommand:
//! - exit code 0 on success / valid / accepted, 1 when the subject was checked and found
//!   invalid or refused, 2 on usage or I/O errors (and FATAL outcomes);
//! - on failure, one line `vas: error: <reason>` on stderr;
//! - `--json` prints one machine-readable JSON document on stdout.

// With glibc the C `main` is ours (see [`main`]): the standard library's runtime set-up is
// work a `vas` process does not need.
#![cfg_attr(all(not(test), target_os = "linux", target_env = "gnu"), no_main)]

mod allocator;
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
/// CPU with the system allocator), except for `vas manifest check`, whose processes are too
/// short for mimalloc's start-up to pay off: the system allocator, chosen before `main` by
/// [`EARLY_START`] (see [`allocator`]). Only this binary uses mimalloc; the library and the
/// bindings keep the system allocator.
#[global_allocator]
static GLOBAL: allocator::Dispatch = allocator::Dispatch::new();

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

/// The `vas manifest …` branch of [`Cli`] alone, same attributes: `manifest` commands
/// (`vas manifest check` runs once per manifest, so its start-up counts) are parsed
/// without building the other groups' subcommands and arguments (≈0.5 ms of a process).
/// Only a successful parse is used; help, version and every usage error come from the
/// whole [`Cli`], so what is printed does not change.
#[derive(Parser)]
#[command(name = "vas", version, about, long_about = None, propagate_version = true)]
struct ManifestCli {
    #[command(subcommand)]
    command: ManifestOnly,
}

/// [`Command::Manifest`] alone.
#[derive(Subcommand)]
enum ManifestOnly {
    /// Read, rewrite, inspect and validate SEDA manifests.
    #[command(subcommand)]
    Manifest(group_manifest::Cmd),
}

/// `vas manifest check` alone (the one command run once per manifest), same attributes as
/// [`Cli`]; like [`ManifestCli`], only a successful parse is used.
#[derive(Parser)]
#[command(name = "vas", version, about, long_about = None, propagate_version = true)]
struct ManifestCheckCli {
    #[command(subcommand)]
    command: ManifestCheckOnly,
}

/// [`Command::Manifest`] with only its `check` subcommand.
#[derive(Subcommand)]
enum ManifestCheckOnly {
    /// Read, rewrite, inspect and validate SEDA manifests.
    #[command(subcommand)]
    Manifest(CheckOnly),
}

/// [`group_manifest::Cmd::Check`] alone.
#[derive(Subcommand)]
enum CheckOnly {
    /// Validate a manifest against the official SEDA schemas (strict) or Vitam's rules (vitam), and optionally an archival profile.
    Check(manifest_check::ManifestCheckArgs),
}

/// Parses the command line: `manifest check` alone, or the `manifest` branch alone, when
/// the first arguments name them and the line parses; else (and for every error, help and
/// version) the whole tree.
fn parse() -> Result<Cli, clap::Error> {
    let mut args = std::env::args_os().skip(1);
    let first = args.next();
    if let (Some(a), Some(b)) = (&first, args.next())
        && is_manifest_check(a.as_encoded_bytes(), b.as_encoded_bytes())
        && let Ok(m) = ManifestCheckCli::try_parse()
    {
        let ManifestCheckOnly::Manifest(CheckOnly::Check(a)) = m.command;
        return Ok(Cli {
            command: Command::Manifest(group_manifest::Cmd::Check(a)),
        });
    }
    if first.is_some_and(|a| a == "manifest")
        && let Ok(m) = ManifestCli::try_parse()
    {
        let ManifestOnly::Manifest(c) = m.command;
        return Ok(Cli {
            command: Command::Manifest(c),
        });
    }
    Cli::try_parse()
}

/// The process's entry point with glibc, instead of the standard library's runtime
/// (`lang_start`), whose set-up a `vas` process does not need: reading `/proc/self/maps`
/// (`pthread_getattr_np`) for the main thread's stack guard, the alternate signal stack and
/// the SIGSEGV/SIGBUS handlers that print "has overflowed its stack" (a stack overflow is
/// still a crash, by SIGSEGV instead of SIGABRT), naming the main thread (a panic message
/// says `<unnamed>` instead of `main`). What matters is kept: closed standard descriptors
/// are reopened on `/dev/null` ([`open_standard_fds`]), SIGPIPE gets its default action
/// ([`restore_sigpipe`]), a panic exits with code 101, stdout is flushed before the exit.
/// The arguments come from `std::env::args_os`, which glibc fills before `main` either way.
/// With the `_exit` below: 3–6 % of a `vas manifest check` of a small manifest
/// (docs/performance.md, "floor11").
#[cfg(all(not(test), target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    open_standard_fds();
    restore_sigpipe();
    let status = std::panic::catch_unwind(run).map_or(101, exit_status);
    // What the C runtime's `exit` would still do is not needed by a `vas` process: the
    // allocator's clean-up (mimalloc frees and purges its pages, which the kernel reclaims
    // anyway), the loaded libraries' destructors, the threads' locals. Only stdout's buffer
    // matters: flushed here, as `std::process::exit` does (an error is ignored there too).
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: `_exit` ends the process at once; nothing of this process runs afterwards.
    unsafe { libc::_exit(status) }
}

/// The entry point elsewhere: the standard library's runtime, then [`run`].
#[cfg(not(all(not(test), target_os = "linux", target_env = "gnu")))]
fn main() -> ExitCode {
    restore_sigpipe();
    run()
}

/// The process exit status of `code` (`ExitCode` has no stable accessor; every code `vas`
/// returns comes from a `u8`).
#[cfg(any(test, all(target_os = "linux", target_env = "gnu")))]
fn exit_status(code: ExitCode) -> i32 {
    (0..=u8::MAX)
        .find(|&c| ExitCode::from(c) == code)
        .map_or(1, i32::from)
}

/// Reopens on `/dev/null` the standard descriptors (0, 1, 2) the process was started without,
/// as the standard library's runtime does: a file the command opens must never become its
/// stdout or stderr.
#[cfg(all(not(test), target_os = "linux", target_env = "gnu"))]
fn open_standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of 3 `pollfd`s for the duration of the call; a zero
    // timeout returns at once.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
    for p in fds {
        let closed = if polled == -1 {
            // poll refused (EINVAL, ENOMEM…): test the descriptor with fcntl instead.
            // SAFETY: F_GETFD on an integer descriptor reads its flags only.
            unsafe { libc::fcntl(p.fd, libc::F_GETFD) == -1 }
        } else {
            p.revents & libc::POLLNVAL != 0
        };
        // SAFETY: open with a NUL-terminated path literal and plain flags; it returns the
        // lowest free descriptor, `p.fd` itself since the lower ones are open by now.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0) } == -1 {
            // As the runtime does: better no process than one writing into its own files.
            std::process::abort();
        }
    }
}

/// Parses the command line and runs the command; returns the process's exit code.
fn run() -> ExitCode {
    let cli = match parse() {
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
    // Huge pages were turned off before `main` (see [`EARLY_START`]): the commands that
    // run without them keep it so, the others get the process's default back.
    let without_thp = match &cli.command {
        Command::Manifest(c) => matches!(c, group_manifest::Cmd::Check(_)),
        Command::Sip(c) => matches!(c, group_sip::Cmd::Build(_)),
        _ => false,
    };
    if !without_thp {
        restore_transparent_huge_pages();
    }
    let result = match cli.command {
        Command::Manifest(c) => group_manifest::run(c),
        Command::Sip(c) => group_sip::run(c),
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

/// Whether transparent huge pages were allowed when the process started (before
/// [`EARLY_START`] turned them off).
static THP_WAS_ALLOWED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Runs before `main`, before the standard library's runtime set-up and its first allocation
/// (an entry of `.init_array`, which the C runtime calls before `main`, as the `ctor` crate
/// does):
/// - turns transparent huge pages off: the first allocation makes mimalloc reserve its arena
///   and touch its first pages, and with huge pages each touch zeroed 2 MiB (clap's command
///   tree grew the heap into another one), ≈0.7 ms of a 5 ms `vas manifest check` of a small
///   manifest (docs/performance.md, "xsd10"). `main` gives the default back to the commands
///   that run with huge pages ([`restore_transparent_huge_pages`]);
/// - chooses the system allocator for `vas manifest check` ([`allocator`]; glibc passes
///   `main`'s arguments to these entries, which the standard library's own argument capture
///   relies on too).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static EARLY_START: extern "C" fn(
    std::ffi::c_int,
    *const *const std::ffi::c_char,
    *const *const std::ffi::c_char,
) = early_start;

#[cfg(target_os = "linux")]
extern "C" fn early_start(
    argc: std::ffi::c_int,
    argv: *const *const std::ffi::c_char,
    _envp: *const *const std::ffi::c_char,
) {
    // SAFETY: prctl with PR_GET_THP_DISABLE takes integer arguments only and changes nothing.
    let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
    if disabled == 0 {
        THP_WAS_ALLOWED.store(true, std::sync::atomic::Ordering::Relaxed);
        no_transparent_huge_pages();
    }
    // Only glibc passes the arguments (musl calls the entries without any); the unit tests
    // keep mimalloc whatever their command line.
    #[cfg(all(target_env = "gnu", not(test)))]
    if argc >= 3 && !argv.is_null() {
        // SAFETY: glibc calls `.init_array` entries with `main`'s `argc` and `argv`: `argv`
        // holds `argc` pointers to NUL-terminated strings, valid for the whole process.
        let (first, second) = unsafe {
            (
                std::ffi::CStr::from_ptr(*argv.add(1)),
                std::ffi::CStr::from_ptr(*argv.add(2)),
            )
        };
        if is_manifest_check(first.to_bytes(), second.to_bytes()) {
            GLOBAL.prefer_system();
        }
    }
    #[cfg(not(all(target_env = "gnu", not(test))))]
    let _ = (argc, argv);
}

/// Whether a command line whose first two arguments are `first` and `second` is
/// `vas manifest check …` (the command run once per manifest, with the system allocator).
fn is_manifest_check(first: &[u8], second: &[u8]) -> bool {
    first == b"manifest" && second == b"check"
}

/// Allows transparent huge pages again if they were allowed when the process started (a
/// setting inherited from the parent process is kept).
fn restore_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if THP_WAS_ALLOWED.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and changes no
        // memory; a failure leaves huge pages off, which is harmless.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
        }
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
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments only and changes no
    // memory; a failure (old kernel) leaves the default, which is harmless.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The names of the subcommands matched, outermost first, and the innermost matches.
    fn leaf(m: &clap::ArgMatches) -> (Vec<String>, clap::ArgMatches) {
        let mut names = Vec::new();
        let mut m = m;
        while let Some((n, sub)) = m.subcommand() {
            names.push(n.to_string());
            m = sub;
        }
        (names, m.clone())
    }

    /// Wherever the `manifest` branch alone, or `manifest check` alone, parses a command line,
    /// the whole tree parses it too, into the same matches; where it does not (help, version, usage errors), the
    /// whole tree is used anyway.
    #[test]
    fn manifest_branch_parses_like_the_whole_tree() {
        Cli::command().debug_assert();
        ManifestCli::command().debug_assert();
        let lines: &[&[&str]] = &[
            &["manifest", "check", "m.xml"],
            &[
                "manifest",
                "check",
                "m.xml",
                "--json",
                "--max-findings",
                "100000",
            ],
            &["manifest", "check", "--mode", "vitam", "m.xml"],
            &[
                "manifest",
                "check",
                "m.xml",
                "--mode=strict",
                "--no-references",
            ],
            &[
                "manifest",
                "check",
                "m.xml",
                "--profile",
                "p.rng",
                "--profile-only",
            ],
            &["manifest", "check", "m.xml", "--profile-only"],
            &[
                "manifest",
                "check",
                "m.xml",
                "--seda-version",
                "2.2",
                "--json",
            ],
            &["manifest", "check", "m.xml", "--max-findings", "x"],
            &["manifest", "check", "--", "-m.xml"],
            &["manifest", "check"],
            &["manifest", "check", "a.xml", "b.xml"],
            &["manifest", "check", "m.xml", "--bogus"],
            &["manifest", "check", "--help"],
            &["manifest", "check", "-h"],
            &["manifest", "check", "--version"],
            &["manifest", "--version"],
            &["manifest", "-V"],
            &["manifest", "help", "check"],
            &["manifest", "help"],
            &["manifest"],
            &["manifest", "chekc", "m.xml"],
            &["manifest", "rewrite", "m.xml"],
            &["manifest", "stats", "m.xml", "--json"],
            &["manifest", "stats"],
        ];
        ManifestCheckCli::command().debug_assert();
        let mut parsed = [0, 0];
        for l in lines {
            let argv: Vec<&str> = std::iter::once("vas").chain(l.iter().copied()).collect();
            for (k, part) in [ManifestCli::command(), ManifestCheckCli::command()]
                .into_iter()
                .enumerate()
            {
                let full = Cli::command().try_get_matches_from(&argv);
                match (part.try_get_matches_from(&argv), full) {
                    (Ok(p), Ok(f)) => {
                        // The subcommand path and the innermost command's arguments (the
                        // levels above differ only in the list of subcommands they know).
                        assert_eq!(leaf(&p), leaf(&f), "{argv:?}");
                        parsed[k] += 1;
                    }
                    (Ok(_), Err(e)) => panic!("{argv:?}: only the branch parses ({e})"),
                    (Err(_), _) => {}
                }
            }
        }
        // The `check` lines that parse, and the other `manifest` commands for the branch.
        assert!(parsed[0] >= 8 && parsed[1] >= 6, "{parsed:?}");
    }

    /// Every code a command can return maps to its own exit status.
    #[test]
    fn exit_status_is_the_code() {
        for c in 0..=u8::MAX {
            assert_eq!(exit_status(ExitCode::from(c)), i32::from(c));
        }
        assert_eq!(exit_status(ExitCode::SUCCESS), 0);
        assert_eq!(exit_status(ExitCode::FAILURE), 1);
    }

    /// The pre-`main` choice of the system allocator (also `parse`'s test for the
    /// `manifest check` tree) takes exactly the command lines that tree can parse.
    #[test]
    fn system_allocator_only_for_manifest_check() {
        for (first, second, expected) in [
            ("manifest", "check", true),
            ("manifest", "checks", false),
            ("manifest", "chec", false),
            ("manifest", "stats", false),
            ("manifest", "--help", false),
            ("Manifest", "check", false),
            ("check", "manifest", false),
            ("sip", "build", false),
            ("", "", false),
        ] {
            assert_eq!(
                is_manifest_check(first.as_bytes(), second.as_bytes()),
                expected,
                "{first} {second}"
            );
            let argv = ["vas", first, second, "m.xml"];
            let parsed = ManifestCheckCli::command()
                .try_get_matches_from(argv)
                .is_ok();
            assert_eq!(parsed, expected, "{argv:?}");
        }
    }
}
