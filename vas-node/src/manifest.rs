//! Manifests (validate, stats, rewrite) and format identification: thin wrappers over
//! the operations shared with the other bindings ([`crate::ops`]). Each function returns
//! a `Promise` (work on the libuv pool) and has a `…Sync` twin.

use std::path::PathBuf;

use napi::Env;
use napi::bindgen_prelude::*;

use crate::errors::IntoJsResult;
use crate::ops;
use crate::task::VasTask;

/// A document argument: a path (string) or its content (Buffer).
enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

impl Source {
    fn new(source: Either<String, Buffer>) -> Source {
        match source {
            Either::A(p) => Source::Path(PathBuf::from(p)),
            Either::B(b) => Source::Bytes(b.to_vec()),
        }
    }

    fn input(&self) -> ops::Input<'_> {
        match self {
            Source::Path(p) => ops::Input::Path(p),
            Source::Bytes(b) => ops::Input::Bytes(b),
        }
    }
}

/// Options of `validateManifest`.
#[napi(object)]
#[derive(Default)]
pub struct ValidateOptions {
    /// `"strict"` (default: the official schemas, the verdict of xmllint) or `"vitam"`.
    pub mode: Option<String>,
    /// Path of a RelaxNG archival profile to check too.
    pub profile: Option<String>,
    /// Force the SEDA version (`"2.1"`, `"2.2"`, `"2.3"`) instead of detecting it.
    pub seda_version: Option<String>,
    /// Stop after this many findings (default 1000).
    pub max_findings: Option<u32>,
    /// Check that ID references resolve (default true; xmllint does not).
    pub check_references: Option<bool>,
}

/// One validation finding.
#[napi(object)]
pub struct Finding {
    /// 1-based line (0 when unknown).
    pub line: f64,
    /// 1-based column (0 when unknown).
    pub column: f64,
    /// Element path, e.g. `/ArchiveTransfer/…/Title` (empty when unknown).
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
    /// `xml`, `unsafe`, `limit`, `schema`, `profile` or `reference`.
    pub kind: String,
}

/// The verdict on a manifest.
#[napi(object)]
pub struct ManifestValidation {
    /// No finding.
    pub valid: bool,
    /// `"2.1"`, `"2.2"` or `"2.3"`; absent when the root is not SEDA or not well-formed.
    pub seda_version: Option<String>,
    /// `"strict"` or `"vitam"`.
    pub mode: String,
    /// Whether findings were dropped (`maxFindings`).
    pub truncated: bool,
    /// The findings, in document order.
    pub findings: Vec<Finding>,
}

fn validate(src: &Source, opts: &ops::ValidateOptions) -> vas_core::Result<ManifestValidation> {
    let v = ops::validate_manifest(src.input(), opts)?;
    Ok(ManifestValidation {
        valid: v.valid,
        seda_version: v.seda_version,
        mode: v.mode.to_string(),
        truncated: v.truncated,
        findings: v
            .findings
            .into_iter()
            .map(|f| Finding {
                line: f.line as f64,
                column: f.column as f64,
                path: f.path,
                message: f.message,
                kind: f.kind.name().to_string(),
            })
            .collect(),
    })
}

fn validate_options(o: Option<ValidateOptions>) -> ops::ValidateOptions {
    let o = o.unwrap_or_default();
    ops::ValidateOptions {
        mode: o.mode,
        profile: o.profile.map(PathBuf::from),
        seda_version: o.seda_version,
        max_findings: o.max_findings.map(|n| n as usize),
        no_references: o.check_references == Some(false),
    }
}

/// Validates a SEDA 2.1/2.2/2.3 manifest (a path, or its content as a Buffer). A
/// malformed or non-SEDA document is a verdict (`valid: false`), not a rejection; a
/// missing file rejects with `code: 'VAS_NOT_FOUND'`.
#[napi(ts_return_type = "Promise<ManifestValidation>", catch_unwind)]
pub fn validate_manifest(
    source: Either<String, Buffer>,
    options: Option<ValidateOptions>,
) -> AsyncTask<VasTask<ManifestValidation>> {
    let src = Source::new(source);
    let opts = validate_options(options);
    AsyncTask::new(VasTask::new(move || validate(&src, &opts)))
}

/// `validateManifest` on the calling thread.
#[napi(catch_unwind)]
pub fn validate_manifest_sync(
    env: Env,
    source: Either<String, Buffer>,
    options: Option<ValidateOptions>,
) -> Result<ManifestValidation> {
    validate(&Source::new(source), &validate_options(options)).js_err(&env)
}

/// Statistics of a manifest.
#[napi(object)]
pub struct ManifestStats {
    /// `"2.1"`, `"2.2"` or `"2.3"`.
    pub version: String,
    /// Root element, e.g. `"ArchiveTransfer"`.
    pub kind: String,
    /// Full archive units (reference stubs excluded).
    pub units: u32,
    /// `ArchiveUnitRefId` stubs.
    pub unit_references: u32,
    /// `DataObjectGroup` elements.
    pub groups: u32,
    /// Binary objects.
    pub binary_objects: u32,
    /// Physical objects.
    pub physical_objects: u32,
    /// Units without parent.
    pub roots: u32,
    /// Longest root-to-leaf chain of units.
    pub max_depth: u32,
    /// Whether the units form a cycle.
    pub has_cycle: bool,
}

fn stats(src: &Source) -> vas_core::Result<ManifestStats> {
    let s = ops::manifest_stats(src.input())?;
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Ok(ManifestStats {
        version: s.version,
        kind: s.kind,
        units: n(s.units),
        unit_references: n(s.unit_references),
        groups: n(s.groups),
        binary_objects: n(s.binary_objects),
        physical_objects: n(s.physical_objects),
        roots: n(s.roots),
        max_depth: n(s.max_depth),
        has_cycle: s.has_cycle,
    })
}

/// Parses a manifest (path or Buffer) and returns its statistics. Malformed XML rejects
/// with `VAS_XML`, a non-SEDA document with `VAS_UNSUPPORTED`.
#[napi(ts_return_type = "Promise<ManifestStats>", catch_unwind)]
pub fn manifest_stats(source: Either<String, Buffer>) -> AsyncTask<VasTask<ManifestStats>> {
    let src = Source::new(source);
    AsyncTask::new(VasTask::new(move || stats(&src)))
}

/// `manifestStats` on the calling thread.
#[napi(catch_unwind)]
pub fn manifest_stats_sync(env: Env, source: Either<String, Buffer>) -> Result<ManifestStats> {
    stats(&Source::new(source)).js_err(&env)
}

/// Parses a manifest and serializes it again (lossless round-trip), in its own SEDA
/// version or in `sedaVersion`; resolves to a Buffer.
#[napi(ts_return_type = "Promise<Buffer>", catch_unwind)]
pub fn rewrite_manifest(
    source: Either<String, Buffer>,
    seda_version: Option<String>,
) -> AsyncTask<VasTask<Buffer>> {
    let src = Source::new(source);
    AsyncTask::new(VasTask::new(move || {
        ops::rewrite_manifest(src.input(), seda_version.as_deref()).map(Buffer::from)
    }))
}

/// `rewriteManifest` on the calling thread.
#[napi(catch_unwind)]
pub fn rewrite_manifest_sync(
    env: Env,
    source: Either<String, Buffer>,
    seda_version: Option<String>,
) -> Result<Buffer> {
    ops::rewrite_manifest(Source::new(source).input(), seda_version.as_deref())
        .map(Buffer::from)
        .js_err(&env)
}

/// The PRONOM identification of a file or of bytes.
#[napi(object)]
pub struct Identification {
    /// PRONOM identifier, e.g. `"fmt/18"`, or `"UNKNOWN"`.
    pub puid: String,
    /// Format name.
    pub name: String,
    /// Format version.
    pub version: String,
    /// MIME type.
    pub mime: String,
    /// Why this format (signature offsets, extension match).
    pub basis: String,
    /// Warning (e.g. extension mismatch), empty when none.
    pub warning: String,
}

fn identification(src: &Source, hint: Option<&str>) -> vas_core::Result<Identification> {
    let id = ops::identify(src.input(), hint)?;
    Ok(Identification {
        puid: id.puid,
        name: id.name,
        version: id.version,
        mime: id.mime,
        basis: id.basis,
        warning: id.warning,
    })
}

/// Identifies the format of a file (path) or a Buffer with the bundled PRONOM
/// signatures; `nameHint` (a file name) enables extension matching for a Buffer.
#[napi(ts_return_type = "Promise<Identification>", catch_unwind)]
pub fn identify(
    source: Either<String, Buffer>,
    name_hint: Option<String>,
) -> AsyncTask<VasTask<Identification>> {
    let src = Source::new(source);
    AsyncTask::new(VasTask::new(move || {
        identification(&src, name_hint.as_deref())
    }))
}

/// `identify` on the calling thread.
#[napi(catch_unwind)]
pub fn identify_sync(
    env: Env,
    source: Either<String, Buffer>,
    name_hint: Option<String>,
) -> Result<Identification> {
    identification(&Source::new(source), name_hint.as_deref()).js_err(&env)
}
