//! CLI command implemented in this file: `vas digest` (fixity of loose files, in the
//! format of coreutils' `sha512sum`, so either tool can check the other's lists).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;
use vas_core::digest::{
    DigestAlgorithm, digest_file, digest_many_hex, is_hex_digest, preferred_batch,
};
use vas_core::{Error, ErrorKind, Result};

/// Arguments of `vas digest`.
#[derive(clap::Args)]
pub struct DigestArgs {
    /// Files to digest (with --check: the checksum lists to read; `-` is standard input).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Digest algorithm: md5, sha-1, sha-256, sha-384, sha-512.
    #[arg(long, short = 'a', default_value = "sha-512")]
    algorithm: String,
    /// Read `DIGEST  PATH` lines (as written by `vas digest` or `sha512sum`) from the
    /// files given and verify each listed file; exit code 1 if any differs.
    #[arg(long, short = 'c')]
    check: bool,
    /// Print one JSON array: per file, path, algorithm, digest and size (with --check:
    /// path, expected, digest, ok).
    #[arg(long)]
    json: bool,
    /// Number of threads hashing files (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

/// Files up to this size are read whole into memory and hashed in batches by
/// `digest_many` (the multi-buffer engine); bigger ones are streamed through one hasher.
const BATCH_FILE_MAX: u64 = 8 << 20;

/// Memory one batch may hold: once its files read reach this, the rest of the batch is
/// streamed (bounds the memory to this, plus one file, per thread).
const BATCH_BYTES_MAX: u64 = 64 << 20;

/// One computed digest (or the reason it could not be computed).
struct Computed {
    path: PathBuf,
    result: Result<(String, u64)>,
}

fn compute_all(algorithm: DigestAlgorithm, paths: Vec<PathBuf>) -> Vec<Computed> {
    let batch = preferred_batch(algorithm);
    if batch <= 1 {
        // Files are hashed in parallel (one file per task), results kept in input order.
        return paths
            .into_par_iter()
            .map(|path| {
                let result = digest_file(algorithm, &path);
                Computed { path, result }
            })
            .collect();
    }
    // Batches of `batch` files per task: the small ones read whole and hashed side by side
    // by `digest_many`, the big ones streamed; results kept in input order. Few files:
    // smaller batches, so every thread gets one.
    let batch = batch
        .min(paths.len().div_ceil(rayon::current_num_threads()))
        .max(1);
    let chunks: Vec<Vec<PathBuf>> = paths.chunks(batch).map(<[PathBuf]>::to_vec).collect();
    chunks
        .into_par_iter()
        .flat_map_iter(|chunk| compute_batch(algorithm, chunk))
        .collect()
}

/// The digests of one batch of files (see [`compute_all`]).
fn compute_batch(algorithm: DigestAlgorithm, paths: Vec<PathBuf>) -> Vec<Computed> {
    // per file: the result when already known, else its contents (to hash together)
    let mut results: Vec<Option<Result<(String, u64)>>> = Vec::with_capacity(paths.len());
    let mut contents: Vec<Vec<u8>> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    let mut held = 0u64;
    for (i, path) in paths.iter().enumerate() {
        if held >= BATCH_BYTES_MAX {
            results.push(Some(digest_file(algorithm, path)));
            continue;
        }
        match read_small(path) {
            Ok(Some(data)) => {
                held += data.len() as u64;
                results.push(None);
                contents.push(data);
                owner.push(i);
            }
            Ok(None) => results.push(Some(digest_file(algorithm, path))),
            Err(e) => results.push(Some(Err(e))),
        }
    }
    let refs: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
    let hexes = digest_many_hex(algorithm, &refs);
    for ((hex, data), i) in hexes.into_iter().zip(&contents).zip(owner) {
        results[i] = Some(Ok((hex, data.len() as u64)));
    }
    paths
        .into_iter()
        .zip(results)
        .map(|(path, result)| Computed {
            path,
            result: result.unwrap_or_else(|| unreachable!("every file of the batch has a result")),
        })
        .collect()
}

/// The contents of `path` when it is a file of at most [`BATCH_FILE_MAX`] bytes; `None`
/// for a bigger file or anything else (streamed by `digest_file`, which reports the error).
fn read_small(path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let f = std::fs::File::open(path).map_err(|e| Error::from(e).with_path(path))?;
    let meta = f.metadata().map_err(|e| Error::from(e).with_path(path))?;
    if !meta.is_file() || meta.len() > BATCH_FILE_MAX {
        return Ok(None);
    }
    let mut data = Vec::with_capacity(meta.len() as usize + 1);
    // read to the end (the file may have grown since the metadata; more than the limit
    // is still hashed correctly, only in memory)
    f.take(BATCH_FILE_MAX + 1)
        .read_to_end(&mut data)
        .map_err(|e| Error::from(e).with_path(path))?;
    if data.len() as u64 > BATCH_FILE_MAX {
        return Ok(None);
    }
    Ok(Some(data))
}

/// `vas digest`: the digest of each file, one `DIGEST  PATH` line each (`sha512sum`'s
/// format). Exit code 0 when every file was read (and, with `--check`, matched), 1 when a
/// checked file differs or is missing, 2 on a usage error or an unreadable file.
pub fn run(a: DigestArgs) -> Result<ExitCode> {
    let algorithm: DigestAlgorithm = a.algorithm.parse()?;
    if let Some(n) = a.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("--threads {n}: {e}")))?;
    }
    if a.check {
        return check(algorithm, &a.files, a.json);
    }
    let computed = compute_all(algorithm, a.files);
    let mut unreadable = false;
    if a.json {
        let rows: Vec<serde_json::Value> = computed
            .iter()
            .map(|c| match &c.result {
                Ok((hex, size)) => serde_json::json!({
                    "path": c.path.display().to_string(),
                    "algorithm": algorithm.seda_name(),
                    "digest": hex,
                    "size": size,
                }),
                Err(e) => {
                    unreadable = true;
                    serde_json::json!({
                        "path": c.path.display().to_string(),
                        "algorithm": algorithm.seda_name(),
                        "error": e.chain(),
                    })
                }
            })
            .collect();
        crate::util::print_json(&serde_json::Value::Array(rows))?;
    } else {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        for c in &computed {
            match &c.result {
                Ok((hex, _)) => {
                    let (prefix, name) = escape_name(&c.path.display().to_string());
                    writeln!(out, "{prefix}{hex}  {name}")?
                }
                Err(e) => {
                    unreadable = true;
                    out.flush()?;
                    eprintln!("vas: error: {}", crate::util::one_line(&e.chain()));
                }
            }
        }
        out.flush()?;
    }
    Ok(if unreadable {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// A file name as coreutils writes it: a name holding a backslash, a newline or a carriage
/// return is escaped (`\\`, `\n`, `\r`) and its line starts with a backslash.
fn escape_name(name: &str) -> (&'static str, String) {
    if !name.contains(['\\', '\n', '\r']) {
        return ("", name.to_owned());
    }
    let mut e = String::with_capacity(name.len() + 2);
    for ch in name.chars() {
        match ch {
            '\\' => e.push_str("\\\\"),
            '\n' => e.push_str("\\n"),
            '\r' => e.push_str("\\r"),
            c => e.push(c),
        }
    }
    ("\\", e)
}

/// The inverse of [`escape_name`] (`None` for an invalid escape).
fn unescape_name(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut it = name.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next()? {
            '\\' => out.push('\\'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            _ => return None,
        }
    }
    Some(out)
}

/// One line of a checksum list.
struct Listed {
    expected: String,
    path: PathBuf,
}

/// Parses a `DIGEST  PATH` list (coreutils format; `DIGEST *PATH` binary mode too).
/// Paths are relative to the current directory, as with `sha512sum -c`.
fn parse_list(algorithm: DigestAlgorithm, name: &Path, r: impl BufRead) -> Result<Vec<Listed>> {
    let mut out = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line.map_err(|e| Error::from(e).with_path(name))?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{}:{}: not a '{}  PATH' line: {line:?}",
                    name.display(),
                    i + 1,
                    algorithm.seda_name()
                ),
            )
        };
        let (escaped, body) = match line.strip_prefix('\\') {
            Some(b) => (true, b),
            None => (false, line),
        };
        let (hex, rest) = body.split_once(' ').ok_or_else(bad)?;
        let path = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .ok_or_else(bad)?;
        let path = if escaped {
            unescape_name(path).ok_or_else(bad)?
        } else {
            path.to_owned()
        };
        if !is_hex_digest(algorithm, hex) || path.is_empty() {
            return Err(bad());
        }
        out.push(Listed {
            expected: hex.to_ascii_lowercase(),
            path: PathBuf::from(path),
        });
    }
    Ok(out)
}

fn check(algorithm: DigestAlgorithm, lists: &[PathBuf], json: bool) -> Result<ExitCode> {
    let mut listed = Vec::new();
    for l in lists {
        if l.as_os_str() == "-" {
            listed.extend(parse_list(algorithm, l, std::io::stdin().lock())?);
        } else {
            let f = std::fs::File::open(l).map_err(|e| Error::from(e).with_path(l))?;
            listed.extend(parse_list(algorithm, l, BufReader::new(f))?);
        }
    }
    let computed = compute_all(algorithm, listed.iter().map(|l| l.path.clone()).collect());
    let mut failures = 0usize;
    let mut rows = Vec::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (l, c) in listed.iter().zip(&computed) {
        let (ok, digest, error) = match &c.result {
            Ok((hex, _)) => (*hex == l.expected, Some(hex.clone()), None),
            Err(e) => (false, None, Some(e.chain())),
        };
        if !ok {
            failures += 1;
        }
        if json {
            rows.push(serde_json::json!({
                "path": l.path.display().to_string(),
                "expected": l.expected,
                "digest": digest,
                "ok": ok,
                "error": error,
            }));
        } else {
            match (&error, ok) {
                (Some(e), _) => writeln!(
                    out,
                    "{}: FAILED open or read ({})",
                    l.path.display(),
                    crate::util::one_line(e)
                )?,
                (None, true) => writeln!(out, "{}: OK", l.path.display())?,
                (None, false) => writeln!(out, "{}: FAILED", l.path.display())?,
            }
        }
    }
    if json {
        drop(out);
        crate::util::print_json(&serde_json::Value::Array(rows))?;
    } else {
        out.flush()?;
        if failures > 0 {
            eprintln!(
                "vas: {failures} of {} listed files did NOT match",
                listed.len()
            );
        }
    }
    Ok(if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
