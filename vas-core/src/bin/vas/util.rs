//! Shared helpers of the CLI: JSON output, one-line errors, exit codes.

use std::process::ExitCode;

use vas_core::{ErrorKind, Result};

/// Exit code when the subject was checked and found invalid / refused.
#[allow(dead_code)]
pub const EXIT_INVALID: u8 = 1;
/// Exit code for usage and I/O errors.
#[allow(dead_code)]
pub const EXIT_ERROR: u8 = 2;

/// Collapses a message onto one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints a JSON value on stdout, pretty.
#[allow(dead_code)]
pub fn print_json(v: &serde_json::Value) -> Result<()> {
    use std::io::Write;
    let text =
        serde_json::to_string_pretty(v).map_err(|e| vas_core::Error::internal(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    stdout_written(writeln!(out, "{text}").and_then(|_| out.flush()))
}

/// The outcome of writing to stdout: a closed pipe (`vas … --json | head`) is not an error
/// worth a panic, any other failure is an I/O error.
pub fn stdout_written(r: std::io::Result<()>) -> Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(vas_core::Error::from),
    }
}

/// Arguments of `vas errors`.
#[derive(clap::Args)]
pub struct ErrorsArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `vas errors`: the error-kind table shared by the bindings.
pub fn errors(a: ErrorsArgs) -> Result<ExitCode> {
    if a.json {
        let rows: Vec<_> = ErrorKind::ALL
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kind": k.name(),
                    "c_code": k.c_code(),
                    "js_code": k.js_code(),
                    "python_class": k.python_class(),
                    "python_builtin": k.python_builtin(),
                })
            })
            .collect();
        print_json(&serde_json::Value::Array(rows))?;
    } else {
        for k in ErrorKind::ALL {
            println!(
                "{:>3}  {:<14} {:<20} {}",
                k.c_code(),
                k.name(),
                k.js_code(),
                k.python_class()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
