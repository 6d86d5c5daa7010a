//! PRONOM format identification driven by DROID signature files.
//!
//! A pure-Rust engine in the spirit of DROID and Siegfried:
//! - loads a DROID signature file (`FFSignatureFile`, as published by The National Archives)
//!   and a DROID container-signature file, or uses the pair bundled with the library
//!   (DROID signature file V109 and container signatures 20200121, embedded parsed ahead
//!   of time, so that a process has the registry in a few milliseconds): see
//!   [`FormatRegistry::bundled`];
//! - compiles every internal signature once (byte sequences anchored at BOF, EOF or
//!   variable position, offsets and maximum offsets, subsequences, left/right fragments,
//!   wildcards, alternatives, ranges, negations and bit masks) into a backtracking matcher
//!   accelerated by `memchr`'s substring search, with a step budget so that no
//!   signature can blow up;
//! - identifies a path, a `Read + Seek` stream or a byte slice by reading only a window at
//!   the beginning and one at the end (64 KiB each by default, like DROID's default "max
//!   bytes to scan", widened when a signature needs a larger fixed offset): identifying a
//!   10 GiB file costs the same as a 10 KiB one;
//! - resolves `HasPriorityOverFileFormatID` relations like DROID and Siegfried, opens ZIP and
//!   OLE2 containers to tell DOCX, ODT, XLS … from plain ZIP / OLE2, falls back to
//!   extension-only matches (marked as such) and to plain-text detection like Siegfried, and
//!   otherwise says `UNKNOWN`.
//!
//! A [`FormatRegistry`] is immutable, `Send + Sync`, and can be shared through an `Arc`.
//!
//! ```
//! use vas_core::format::FormatRegistry;
//!
//! let reg = FormatRegistry::bundled()?;
//! let id = reg.identify_bytes(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n%%EOF\n", Some("a.pdf"));
//! assert_eq!(id.puid, "fmt/18");
//! assert_eq!(id.mime, "application/pdf");
//! assert!(id.warning.is_empty());
//! # Ok::<(), vas_core::Error>(())
//! ```
//!
//! # Agreement with Siegfried
//!
//! Siegfried (through PyPI `pygfried` 2.2.0, Siegfried 1.11.9, signatures DROID V125 and
//! container 2026-01-19) is the oracle of the tests:
//! - `tests/format_siegfried.rs`: 96 generated files (PDF 1.0–2.0, PDF/A-1a/1b/2b/2u/3b,
//!   PNG, JPEG JFIF 1.00–1.02 / Exif, TIFF LE/BE, GIF 87a/89a, BMP v3–v5, WAV, MP3, ODF
//!   1.0–1.2 text/spreadsheet/presentation, DOCX/XLSX/PPTX/DOCM, EPUB, DOC 6/97 and XLS
//!   (OLE2), XML, HTML 4/5, XHTML, SVG, text ASCII/UTF-8, CSV, RTF, TAR, GZIP, BZIP2,
//!   PostScript, EPS, MIDI, Ogg, FLAC, SQLite, 7z, Java class, PSD, WebP, AVI, MP4, JSON,
//!   ICO, text in ASCII/UTF-8/UTF-8 BOM/UTF-16 LE and BE/ISO-8859/CRLF, control characters,
//!   plus mismatched or missing extensions, truncated, empty and random files):
//!   **96/96 identical PUIDs**;
//! - `tests/format_vitam_sips.rs`: the 131 SIP files of Vitam's test suite and the 546 files
//!   inside them: **672/677 identical PUIDs (99.3 %)**. The 5 differences all come from the
//!   signature versions: JSON Lines (`fmt/2054`, 4 files) and the `.jsonl` extension do not
//!   exist in V109, and V125 added a ZIP signature matching a lone end-of-central-directory
//!   record (an empty ZIP, 1 file).
//!
//! Siegfried's behaviours reproduced here:
//! - priorities (`HasPriorityOverFileFormatID`) among byte matches; when several remain, the
//!   one whose extension matches the file name is preferred;
//! - ZIP / OLE2 containers are opened whenever ZIP or OLE2 matched, even when a more specific
//!   byte signature (e.g. ODF's `mimetype` entry) outranks it, and a container match replaces
//!   the byte matches;
//! - with no byte match, an extension is only trusted for formats that have no byte or
//!   container signature (`match on extension only`); several such candidates give
//!   `UNKNOWN` with `no match; possibilities based on extension are …`;
//! - text detection (`text match ASCII`, `UTF-8 Unicode` …) reports `x-fmt/111` when the
//!   extension is unknown or is a plain-text extension;
//! - empty files are identified on their extension only.
//!
//! Load a newer signature file with [`FormatRegistry::from_droid_files`] (or
//! `vas format identify --signatures`) to follow PRONOM releases.

mod container;
mod droid;
mod guard;
mod pattern;
mod precompiled;
mod prefilter;
mod prefix;

/// The generated corpus of the integration tests, for the unit tests comparing the
/// optimised paths with the reference ones.
#[cfg(test)]
#[allow(dead_code, clippy::all)]
#[path = "../../tests/format_corpus/mod.rs"]
mod format_corpus;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::{Error, ErrorKind, Result};
use container::{CFile, CSig};
use droid::{Anchor, ContainerKind, Seq};

/// The DROID signature file bundled with the library (gzip). The registry of
/// [`FormatRegistry::bundled`] is decoded from [`BUNDLED_PRECOMPILED`], its parsed form; the
/// XML is kept for the tests that check the two agree.
#[cfg(test)]
const BUNDLED_SIGNATURES: &[u8] =
    include_bytes!("../../data/format/DROID_SignatureFile_V109.xml.gz");
/// The DROID container-signature file bundled with the library (gzip).
const BUNDLED_CONTAINERS: &[u8] =
    include_bytes!("../../data/format/container-signature-20200121.xml.gz");
/// The two bundled files above, parsed at development time (see `precompiled`): what
/// [`FormatRegistry::bundled`] decodes instead of gunzipping and parsing the XML.
const BUNDLED_PRECOMPILED: &[u8] = include_bytes!("../../data/format/bundled.pronom");

/// Default size of the windows read at the beginning and at the end of a file.
pub const DEFAULT_WINDOW: usize = 64 * 1024;
/// Largest window a signature with a large fixed offset may widen the reads to.
const MAX_WINDOW: usize = 1 << 20;
/// Largest reach (from the start of the BOF window or the end of the EOF window) of a
/// direct guard served by the one direct-literal scan; a direct guard lying further is
/// checked by a search of its own range.
///
/// History: with every direct literal in the scan (228 literals of 1 byte and more, which
/// only an overlapping DFA takes), the DFA pass was measured *slower* than the per-guard
/// `memmem` calls on 4 KiB office-like files (ident8: short literals hit text often, and a
/// DFA walks one byte at a time). The scan now takes only the literals of three bytes or
/// more of the guards of a wide range (at most [`DIRECT_SCAN_LITERALS`]): packed Teddy
/// finds them all in one pass. Measured (ident10, `vas format identify`, 20 000 files of
/// 4 KiB): with the 64 literals fat Teddy takes, the scan cost as much as the `memmem`
/// calls it replaced; with the 32 literals of the widest ranges (slim Teddy, 8 buckets)
/// 2–3 % less CPU than without the scan, and no difference on random files.
const DIRECT_SCAN_REACH: usize = 4096 + 256;
/// Most literals in the direct-literal scan: the 32 of the widest ranges, what slim Teddy
/// takes (more would switch it to fat Teddy, as slow as the `memmem` calls it replaces).
const DIRECT_SCAN_LITERALS: usize = 32;
/// Work budget (matcher steps) for one byte sequence.
const SEQ_BUDGET: u32 = 200_000;

/// The PUID reported when nothing matches.
pub const UNKNOWN: &str = "UNKNOWN";
/// PUID of "Plain Text File", reported by text detection.
pub const PLAIN_TEXT: &str = "x-fmt/111";

/// A format record of the signature file (the format referential).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FormatInfo {
    /// PRONOM unique identifier, e.g. `fmt/18`.
    pub puid: String,
    /// Format name, e.g. `Acrobat PDF 1.4 - Portable Document Format`.
    pub name: String,
    /// Version (may be empty).
    pub version: String,
    /// MIME types (may be empty).
    pub mimes: Vec<String>,
    /// Extensions, lower case, without the dot.
    pub extensions: Vec<String>,
    /// PUIDs of the formats this one has priority over.
    pub has_priority_over: Vec<String>,
    /// Whether the format has at least one internal (byte) signature.
    pub has_signature: bool,
}

/// How a match was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// An internal (byte) signature matched.
    Signature,
    /// A container signature matched (ZIP or OLE2 content).
    Container,
    /// Only the file extension matched.
    Extension,
    /// Text detection (plain text, no signature).
    Text,
}

/// One candidate format found for a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Match {
    /// PUID.
    pub puid: String,
    /// Format name.
    pub name: String,
    /// Format version.
    pub version: String,
    /// First MIME type (may be empty).
    pub mime: String,
    /// How it matched.
    pub kind: MatchKind,
    /// Internal or container signature id, when `kind` is `Signature` or `Container`.
    pub signature_id: Option<u32>,
    /// `(offset, length)` of each matched byte sequence (signature matches).
    pub offsets: Vec<(u64, u64)>,
    /// Whether the name hint's extension is one of the format's extensions.
    pub extension_match: bool,
    /// PUID of a matched format having priority over this one (then not selected).
    pub outranked_by: Option<String>,
}

/// The result of identifying one file.
///
/// For a SEDA `FormatIdentification`: `FormatLitteral` = [`name`](Self::name), `MimeType` =
/// [`mime`](Self::mime), `FormatId` = [`puid`](Self::puid) (Vitam writes `Unknown` /
/// `UNKNOWN` when nothing matched).
///
/// ```
/// let reg = vas_core::format::FormatRegistry::bundled()?;
/// let id = reg.identify_bytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", Some("logo.gif"));
/// assert_eq!((id.name.as_str(), id.mime.as_str(), id.puid.as_str()),
///            ("Graphics Interchange Format", "image/gif", "fmt/4"));
/// assert_eq!(id.version, "89a");
/// let m = id.selected().unwrap();
/// assert_eq!(m.kind, vas_core::format::MatchKind::Signature);
/// assert_eq!(m.offsets[0], (0, 6)); // "GIF89a" at offset 0
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Identification {
    /// Selected PUID, or [`UNKNOWN`].
    pub puid: String,
    /// Name of the selected format (empty when unknown).
    pub name: String,
    /// Version of the selected format.
    pub version: String,
    /// First MIME type of the selected format.
    pub mime: String,
    /// Why, in Siegfried's style, e.g. `extension match pdf; byte match at [[0 8] [9 5]]`.
    pub basis: String,
    /// Warning, e.g. `extension mismatch`, `match on extension only`, `no match` (empty if
    /// none).
    pub warning: String,
    /// Every candidate (selected first), including outranked ones.
    pub matches: Vec<Match>,
}

impl Identification {
    /// Whether nothing matched.
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// assert!(reg.identify_bytes(&[0x00, 0x9f, 0x13, 0x37], None).is_unknown());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn is_unknown(&self) -> bool {
        self.puid == UNKNOWN
    }

    /// The selected match, if any.
    pub fn selected(&self) -> Option<&Match> {
        if self.is_unknown() {
            None
        } else {
            self.matches.first()
        }
    }

    /// The summary as a JSON object: `puid`, `name`, `version`, `mime`, `basis` and
    /// `warning` (not the candidates). One row of `vas format identify --json` (which adds
    /// the file's `path`), and what the C binding returns.
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// let j = reg.identify_bytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", Some("a.gif")).to_json();
    /// assert_eq!(j["puid"], "fmt/4");
    /// assert!(j.get("matches").is_none());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "puid": self.puid,
            "name": self.name,
            "version": self.version,
            "mime": self.mime,
            "basis": self.basis,
            "warning": self.warning,
        })
    }
}

/// Collects the first and last bytes of a stream fed chunk by chunk (e.g. by a hasher), for
/// [`FormatRegistry::identify_head_tail`]: identification then costs no second read.
/// Memory: at most the two windows (plus one chunk while feeding).
#[derive(Debug, Clone)]
pub struct WindowSampler {
    bof: usize,
    eof: usize,
    head: Vec<u8>,
    /// The last bytes fed, once the stream is longer than the BOF window (until then they
    /// are the end of `head`, not copied).
    tail: Vec<u8>,
    /// Whether the stream went past the BOF window (`tail` is in use).
    spilled: bool,
    size: u64,
}

impl WindowSampler {
    /// A sampler for the windows of `registry`.
    pub fn new(registry: &FormatRegistry) -> Self {
        let (bof, eof) = registry.window_sizes();
        WindowSampler {
            bof,
            eof,
            head: Vec::new(),
            tail: Vec::new(),
            spilled: false,
            size: 0,
        }
    }

    /// Feeds the next bytes of the stream.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        self.size += chunk.len() as u64;
        if !self.spilled {
            let k = (self.bof - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..k]);
            chunk = &chunk[k..];
            if chunk.is_empty() {
                return;
            }
            // Past the BOF window: the tail starts with the end of the head.
            self.spilled = true;
            let n = self.head.len();
            self.tail
                .extend_from_slice(&self.head[n - n.min(self.eof)..]);
        }
        if chunk.len() >= self.eof {
            self.tail.clear();
            self.tail
                .extend_from_slice(&chunk[chunk.len() - self.eof..]);
        } else {
            self.tail.extend_from_slice(chunk);
            if self.tail.len() > 2 * self.eof.max(1 << 16) {
                let cut = self.tail.len() - self.eof;
                self.tail.drain(..cut);
            }
        }
    }

    /// Bytes fed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Identifies what was fed (see [`FormatRegistry::identify_head_tail`]; `container` is
    /// the path of the file, read again only for ZIP / OLE2 containers).
    pub fn identify(
        &self,
        registry: &FormatRegistry,
        container: Option<&Path>,
        name_hint: Option<&str>,
    ) -> Identification {
        let t = if self.spilled { &self.tail } else { &self.head };
        let tail = &t[t.len() - t.len().min(self.eof)..];
        registry.identify_head_tail(&self.head, tail, self.size, container, name_hint)
    }
}

#[derive(Debug)]
struct CompiledSig {
    id: u32,
    seqs: Vec<Seq>,
    formats: Vec<usize>,
    /// Quick reject: a literal that must appear at a fixed BOF offset.
    bof_prefix: Option<(usize, Vec<u8>)>,
    /// Quick reject (signatures without a BOF prefix): literals a match must contain in a
    /// given range, checked directly or through the registry's prefilter (see `guard`).
    guards: Vec<guard::Guard>,
    /// Order in which to evaluate the sequences (cheapest first).
    order: Vec<usize>,
}

/// A compiled set of PRONOM signatures and format records. Immutable, `Send + Sync`.
#[derive(Debug)]
pub struct FormatRegistry {
    formats: Vec<FormatInfo>,
    by_puid: HashMap<String, usize>,
    by_ext: HashMap<String, Vec<usize>>,
    sigs: Vec<CompiledSig>,
    priority: Vec<Vec<usize>>,
    containers: Vec<CSig>,
    triggers: Vec<(usize, ContainerKind)>,
    /// Per format: whether a container signature maps to it.
    has_container: Vec<bool>,
    /// Signatures with a BOF prefix: one trie of the prefixes per offset, giving exactly
    /// the signatures whose prefix a file starts with.
    prefix_index: prefix::PrefixIndex,
    /// Multi-literal prefilter over the scanned guard literals of signatures without a BOF
    /// prefix (the tests' reference: the scans use `core` and `direct_scan`).
    #[cfg(test)]
    prefilter: prefilter::LitFilter,
    /// How far from the start of the BOF window the scanned literals can lie (the largest
    /// reach of a scanned guard; `usize::MAX`: the whole window): a scan with `prefilter`
    /// covers `[0, scan_bof_reach)` and nothing beyond (the tests' reference scan).
    #[cfg_attr(not(test), allow(dead_code))]
    scan_bof_reach: usize,
    /// The same from the end of the EOF window.
    #[cfg_attr(not(test), allow(dead_code))]
    scan_eof_reach: usize,
    /// Bit set of the signatures without a BOF prefix (indices in `sigs`).
    unprefixed_bits: Vec<u64>,
    /// Signatures without a BOF prefix nor guard: always matched.
    unguarded: Vec<u32>,
    /// Signatures without a BOF prefix having at least one direct guard (the union of
    /// `direct_users` and `direct_always`, for the tests): their direct guards are checked
    /// first (see [`FormatRegistry::byte_matches`]), their scanned guard, if any, only when
    /// those pass.
    #[cfg_attr(not(test), allow(dead_code))]
    direct_guarded: Vec<u32>,
    /// Signatures without a BOF prefix whose guards are all scanned: only these need the
    /// per-file scan.
    scan_guarded: Vec<u32>,
    /// The prefilter restricted to the literals of `scan_guarded` (recording them at their
    /// index in `prefilter`): the one scan a file always gets, over the reach of these
    /// literals only (`core_bof_reach`, `core_eof_reach`).
    core: prefilter::LitFilter,
    core_bof_reach: usize,
    core_eof_reach: usize,
    /// The literals of the direct guards lying within [`DIRECT_SCAN_REACH`] of an end of
    /// the file (indexed by the guards' slots), found in one pass over that reach.
    direct_scan: prefilter::LitFilter,
    direct_bof_reach: usize,
    direct_eof_reach: usize,
    /// Per slot of `direct_scan`: the signatures of `direct_guarded` whose first direct
    /// guard uses it (checked only when the scan found the literal).
    direct_users: Vec<Vec<u32>>,
    /// The signatures of `direct_guarded` whose first direct guard has no slot (checked on
    /// every file, through `direct_groups`).
    #[cfg_attr(not(test), allow(dead_code))]
    direct_always: Vec<u32>,
    /// `direct_always` grouped by first guard: the signatures of a group have the same
    /// first guard (same literal, window and range: e.g. the eleven PDF/A signatures and
    /// `%PDF-1.` in the first 151 bytes), checked once per file for the whole group (163
    /// checks instead of 258 with V109).
    #[cfg_attr(not(test), allow(dead_code))]
    direct_groups: Vec<Vec<u32>>,
    /// The first guards of `direct_groups`, in one contiguous table read once per file (no
    /// pointer chasing through each signature's guards).
    group_checks: Vec<GroupCheck>,
    /// The literals of `group_checks`, end to end.
    group_lits: Vec<u8>,
    /// The searchers of the `group_checks` of a wide range.
    group_finders: Vec<memchr::memmem::Finder<'static>>,
    /// The signatures of the groups, group after group.
    group_members: Vec<u32>,
    bof_window: usize,
    eof_window: usize,
    signature_version: String,
    container_version: String,
}

pub(crate) type Engine = FormatRegistry;

/// The shared first guard of a group of signatures (see `FormatRegistry::direct_groups`).
#[derive(Debug)]
struct GroupCheck {
    /// A direct guard's window (`Bof` or `Eof`); `Any` for another kind of guard, checked
    /// through the first member's own guard.
    place: guard::Place,
    lo: usize,
    hi: usize,
    /// The literal: `group_lits[lit.0 as usize..lit.1 as usize]`.
    lit: (u32, u32),
    /// Index in `group_finders` (a wide range); `u32::MAX`: a short range, searched by a
    /// plain loop.
    finder: u32,
    /// The group's signatures: `group_members[members.0 as usize..members.1 as usize]`.
    members: (u32, u32),
}

/// Per-thread buffers of [`FormatRegistry::byte_matches`], reused from file to file.
#[derive(Default)]
struct Scratch {
    bof_occ: Vec<prefilter::Occ>,
    eof_occ: Vec<prefilter::Occ>,
    /// Bit set of the signatures to try.
    todo: Vec<u64>,
    /// Signatures whose direct guards passed and whose scanned guard remains to check.
    pending: Vec<u32>,
    /// Where the direct-literal scan found its literals.
    direct_bof_occ: Vec<prefilter::Occ>,
    direct_eof_occ: Vec<prefilter::Occ>,
}

/// The windows of a file the matcher sees.
pub(crate) struct Windows<'a> {
    size: u64,
    bof: &'a [u8],
    eof: &'a [u8],
    /// The EOF window reversed, made on first use (only EOF sequences need it).
    eof_rev: std::cell::OnceCell<Vec<u8>>,
}

impl<'a> Windows<'a> {
    pub(crate) fn of_bytes(data: &'a [u8], window: usize) -> Windows<'a> {
        Self::of_bytes2(data, window, window)
    }
    fn of_bytes2(data: &'a [u8], bof_w: usize, eof_w: usize) -> Windows<'a> {
        let n = data.len();
        let bof = &data[..n.min(bof_w)];
        let eof = &data[n - n.min(eof_w)..];
        Windows::new(n as u64, bof, eof)
    }

    fn new(size: u64, bof: &'a [u8], eof: &'a [u8]) -> Windows<'a> {
        Windows {
            size,
            bof,
            eof,
            eof_rev: std::cell::OnceCell::new(),
        }
    }

    /// The EOF window, last byte first.
    fn eof_rev(&self) -> &[u8] {
        self.eof_rev
            .get_or_init(|| self.eof.iter().rev().copied().collect())
    }
}

/// Fills `buf` from `r` (fewer bytes only at the end of the stream); returns how many were
/// read. No probe read after the last byte.
fn read_into<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn gunzip_if_needed(data: Vec<u8>) -> Result<Vec<u8>> {
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(data)
    }
}

fn to_text(data: Vec<u8>, what: &str) -> Result<String> {
    let data = gunzip_if_needed(data)?;
    String::from_utf8(data).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, format!("{what} is not UTF-8 text"))
            .with_source(e.utf8_error())
    })
}

fn extension_of(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = base.rsplit_once('.')?;
    if stem.is_empty() && !base[1..].contains('.') && base.starts_with('.') {
        // ".bashrc": hidden file with no extension
        return None;
    }
    if ext.is_empty() {
        None
    } else {
        Some(ext.to_ascii_lowercase())
    }
}

/// Fixed BOF extent (offset + length) a sequence needs, if bounded.
fn bof_extent(seq: &Seq) -> Option<usize> {
    pattern::max_len(&seq.atoms)
}

fn bof_prefix(seqs: &[Seq]) -> Option<(usize, Vec<u8>)> {
    for s in seqs {
        if s.anchor != Anchor::Bof {
            continue;
        }
        let mut off = 0usize;
        for a in &s.atoms {
            match a {
                pattern::Atom::Gap { min, max } if *max == Some(*min) => off += *min,
                pattern::Atom::Lit(v, _) => return Some((off, v.clone())),
                other => {
                    if other.max_len() == Some(other.min_len()) {
                        off += other.min_len();
                    } else {
                        break;
                    }
                }
            }
        }
    }
    None
}

/// Rough cost estimate of a sequence: fixed BOF first, then bounded, then unbounded searches;
/// within a class, wider gaps and more alternatives cost more.
fn seq_cost(seq: &Seq) -> u64 {
    fn atoms_cost(atoms: &[pattern::Atom]) -> u64 {
        atoms
            .iter()
            .map(|a| match a {
                pattern::Atom::Gap { min, max } => {
                    max.map_or(1 << 20, |m| (m.saturating_sub(*min) as u64).min(1 << 20))
                }
                pattern::Atom::Alt(alts) => {
                    16 * alts.len() as u64 + alts.iter().map(|a| atoms_cost(a)).sum::<u64>()
                }
                _ => 1,
            })
            .sum()
    }
    let bounded = pattern::max_len(&seq.atoms).is_some();
    let class: u64 = match (seq.anchor, bounded) {
        (Anchor::Bof, true) => 0,
        (Anchor::Eof, true) => 1,
        (Anchor::Bof, false) => 2,
        (Anchor::Eof, false) => 3,
        (Anchor::Var, _) => 4,
    };
    (class << 40) + atoms_cost(&seq.atoms)
}

/// How selective a literal is as a prefilter: bytes that fill binary files (00, FF) and
/// blanks count for little, so that a prefilter hit is rare.
fn literal_score(v: &[u8]) -> u32 {
    let mut seen = [false; 256];
    let mut score = 0u32;
    for &b in v {
        let w = match b {
            0x00 | 0xFF => 0,
            0x01 | 0x20 | 0x0A | 0x0D | 0x30 => 1,
            _ => 2,
        };
        score += if seen[b as usize] { w / 2 } else { w };
        seen[b as usize] = true;
    }
    score
}

/// The guards of a signature without a BOF prefix: up to two literals checked directly in
/// a narrow range, then, unless they are selective enough, the most selective literal any
/// match must contain (added to `literals`, the prefilter's, shared between signatures).
fn choose_guards(seqs: &[Seq], literals: &mut Vec<Vec<u8>>) -> Vec<guard::Guard> {
    let needs: Vec<guard::Need> = seqs.iter().flat_map(guard::needs).collect();
    let mut direct: Vec<(i64, &guard::Need)> = needs
        .iter()
        .filter(|n| {
            n.hi.is_some_and(|h| h.saturating_sub(n.lo) <= guard::DIRECT_SPAN)
                && n.place != guard::Place::Any
        })
        .map(|n| (guard::direct_log2_pass(n), n))
        .filter(|d| d.0 < 0)
        .collect();
    direct.sort_by_key(|d| d.0);
    let mut guards = Vec::new();
    let mut log2_pass = 0i64;
    let mut first_lp = 0i64;
    for (lp, n) in direct.into_iter().take(2) {
        if let Some(g) = guard::Guard::direct(n) {
            if guards.is_empty() {
                first_lp = lp;
            }
            guards.push(g);
            log2_pass += lp;
        }
    }
    // The literals of alternatives, joined to the literal before them: one of them must be
    // there (e.g. LaTeX `{0-4096} 5C (begin{|chapter{|…)`, whose single byte `5C` is found in
    // almost every file). A set in narrow ranges is used when no single literal is
    // selective (only then: each set costs a searcher built at start-up).
    let sets: Vec<Vec<guard::Need>> = if guards.is_empty() {
        seqs.iter().flat_map(guard::alt_needs).collect()
    } else {
        Vec::new()
    };
    let narrow = |n: &guard::Need| {
        n.place != guard::Place::Any
            && n.hi
                .is_some_and(|h| h.saturating_sub(n.lo) <= guard::DIRECT_SPAN)
    };
    if log2_pass > -16
        && let Some((lp, g)) = sets
            .iter()
            .filter(|set| set.iter().all(narrow))
            .map(|set| (guard::set_log2_pass(set), set))
            .filter(|(lp, _)| *lp < 0 && *lp < log2_pass)
            .min_by_key(|(lp, _)| *lp)
            .and_then(|(lp, set)| Some((lp, guard::Guard::any_in(set)?)))
    {
        if lp < first_lp {
            guards.insert(0, g);
        } else {
            guards.push(g);
        }
        log2_pass += lp;
    }
    if log2_pass > -16 {
        let best = needs
            .iter()
            .filter(|n| literal_score(&n.lit) >= 6)
            .max_by_key(|n| {
                let span = match (n.place, n.hi) {
                    (guard::Place::Any, _) | (_, None) => usize::MAX,
                    (_, Some(h)) => h.saturating_sub(n.lo),
                };
                (literal_score(&n.lit), std::cmp::Reverse(span))
            });
        if let Some(n) = best {
            let index = literals
                .iter()
                .position(|l| *l == n.lit)
                .unwrap_or_else(|| {
                    literals.push(n.lit.clone());
                    literals.len() - 1
                });
            guards.push(guard::Guard::scanned(n, index));
        }
    }
    if guards.is_empty() {
        // Nothing selective: still, a literal in a narrow range is a necessary condition
        // far cheaper to check than the matcher (e.g. MP3 frames `{0-1795} FFFB [10:EB]
        // {46-1439} FFFB …`, whose first `FFFB` must start in the first 1 796 bytes).
        let mut weak: Vec<&guard::Need> = needs
            .iter()
            .filter(|n| {
                n.place != guard::Place::Any
                    && n.hi
                        .is_some_and(|h| h.saturating_sub(n.lo) <= guard::DIRECT_SPAN)
            })
            .collect();
        weak.sort_by_key(|n| guard::direct_log2_pass(n));
        // A selective set of alternatives anywhere in a window (BibTeX `40 (ARTICLE|
        // Article|BOOK|…)` in a variable-position sequence): one multi-literal search of the
        // window instead of the matcher trying every `@`. It costs a pass over the window,
        // so the two best narrow literals are checked before it.
        let wide = sets
            .iter()
            .map(|set| (guard::set_log2_pass(set), set))
            .filter(|(lp, _)| *lp < -8)
            .min_by_key(|(lp, _)| *lp)
            .and_then(|(_, set)| guard::Guard::any_in(set));
        let take = if wide.is_some() { 2 } else { 1 };
        guards.extend(weak.into_iter().take(take).filter_map(guard::Guard::direct));
        guards.extend(wide);
    }
    guards
}

/// How far from the start of the BOF window and from the end of the EOF window the scanned
/// literals of `sigs` can lie (`usize::MAX`: anywhere): the union of their reaches.
fn scan_reach<'a>(sigs: impl Iterator<Item = &'a CompiledSig>) -> (usize, usize) {
    let (mut bof, mut eof) = (0usize, 0usize);
    for g in sigs.flat_map(|s| &s.guards) {
        match g.scan_reach() {
            Some((guard::Place::Bof, r)) => bof = bof.max(r),
            Some((guard::Place::Eof, r)) => eof = eof.max(r),
            Some((guard::Place::Any, _)) => {
                bof = usize::MAX;
                eof = usize::MAX;
            }
            None => {}
        }
    }
    (bof, eof)
}

/// Siegfried-style text detection on a window: `Some("ASCII")`, `Some("UTF-8 Unicode")`,
/// `Some("Little-endian UTF-16 Unicode")`, `Some("ISO-8859")` … or `None` for binary data.
fn text_kind(bof: &[u8], truncated: bool) -> Option<&'static str> {
    if bof.is_empty() {
        return None;
    }
    if bof.starts_with(&[0xFF, 0xFE]) {
        return Some("Little-endian UTF-16 Unicode");
    }
    if bof.starts_with(&[0xFE, 0xFF]) {
        return Some("Big-endian UTF-16 Unicode");
    }
    let body = bof.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bof);
    let ascii_text = |b: u8| matches!(b, 7..=13 | 27 | 0x20..=0x7e);
    if body.iter().all(|&b| ascii_text(b)) {
        return Some(if body.len() < bof.len() {
            "UTF-8 Unicode (with BOM)"
        } else {
            "ASCII"
        });
    }
    let utf8_ok = match std::str::from_utf8(body) {
        Ok(s) => s
            .chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace() || matches!(c as u32, 7..=13 | 27)),
        Err(e) => truncated && e.error_len().is_none() && body.len() - e.valid_up_to() < 4,
    };
    if utf8_ok {
        return Some("UTF-8 Unicode");
    }
    if body.iter().all(|&b| ascii_text(b) || b >= 0xa0) {
        return Some("ISO-8859");
    }
    None
}

impl FormatRegistry {
    /// The registry compiled from the signature files bundled with the library (DROID
    /// signature file V109 and container signatures 20200121). Decoded once from their
    /// precompiled form (`data/format/bundled.pronom`: the XML files' parsed signatures, no
    /// gunzip nor XML parse at run time; the same registry as [`FormatRegistry::from_xml`]
    /// gives for them, which the tests check), then cached.
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// assert_eq!(reg.signature_version(), "109");
    /// assert!(reg.format("fmt/412").is_some()); // DOCX
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn bundled() -> Result<Arc<FormatRegistry>> {
        static CELL: OnceLock<std::result::Result<Arc<FormatRegistry>, String>> = OnceLock::new();
        CELL.get_or_init(|| {
            let (sig, con) = precompiled::decode(BUNDLED_PRECOMPILED).map_err(|e| e.chain())?;
            FormatRegistry::from_raw(sig, con)
                .map(Arc::new)
                .map_err(|e| e.chain())
        })
        .clone()
        .map_err(Error::internal)
    }

    /// Loads a DROID signature file (XML, optionally gzip-compressed), with the bundled
    /// container signatures (mapped onto the PUIDs this file defines).
    ///
    /// Errors: [`ErrorKind::Io`] / [`ErrorKind::NotFound`] if unreadable,
    /// [`ErrorKind::InvalidInput`] (with line and column) if malformed.
    ///
    /// ```
    /// let p = concat!(env!("CARGO_MANIFEST_DIR"),
    ///     "/../tests/fixtures/vitam/referentials/formats/DROID_SignatureFile_V94.xml");
    /// let reg = vas_core::format::FormatRegistry::from_droid_file(p)?;
    /// assert_eq!(reg.signature_version(), "94");
    /// assert_eq!(reg.identify_bytes(b"GIF89a\x01\x00;", None).puid, "fmt/4");
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn from_droid_file(path: impl AsRef<Path>) -> Result<FormatRegistry> {
        let path = path.as_ref();
        let data = std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?;
        let sig = to_text(data, "signature file").map_err(|e| e.with_path(path))?;
        let con = to_text(BUNDLED_CONTAINERS.to_vec(), "bundled container file")?;
        FormatRegistry::from_xml(&sig, Some(&con)).map_err(|e| e.with_path(path))
    }

    /// Loads a DROID signature file and a container-signature file (either may be gzip).
    ///
    /// ```no_run
    /// let reg = vas_core::format::FormatRegistry::from_droid_files(
    ///     "DROID_SignatureFile_V120.xml",
    ///     Some(std::path::Path::new("container-signature-20240715.xml")),
    /// )?;
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn from_droid_files(
        signature_file: impl AsRef<Path>,
        container_file: Option<&Path>,
    ) -> Result<FormatRegistry> {
        let p = signature_file.as_ref();
        let data = std::fs::read(p).map_err(|e| Error::from(e).with_path(p))?;
        let sig = to_text(data, "signature file").map_err(|e| e.with_path(p))?;
        let con = match container_file {
            Some(c) => {
                let data = std::fs::read(c).map_err(|e| Error::from(e).with_path(c))?;
                Some(to_text(data, "container file").map_err(|e| e.with_path(c))?)
            }
            None => None,
        };
        FormatRegistry::from_xml(&sig, con.as_deref())
    }

    /// Compiles a registry from the XML texts of a DROID signature file and, optionally, a
    /// container-signature file.
    ///
    /// ```
    /// let e = vas_core::format::FormatRegistry::from_xml("<FFSignatureFile>\n<oops>", None)
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), vas_core::ErrorKind::InvalidInput);
    /// ```
    pub fn from_xml(signature_xml: &str, container_xml: Option<&str>) -> Result<FormatRegistry> {
        let raw = droid::parse_signature_file(signature_xml)?;
        let con = container_xml.map(droid::parse_container_file).transpose()?;
        Self::from_raw(raw, con)
    }

    /// Compiles a registry from parsed signature files (the XML's, or the bundled
    /// precompiled form's).
    fn from_raw(
        raw: droid::RawSignatureFile,
        container: Option<droid::RawContainerFileSet>,
    ) -> Result<FormatRegistry> {
        let mut formats = Vec::with_capacity(raw.formats.len());
        let mut by_puid = HashMap::new();
        let mut by_id = HashMap::new();
        for (i, f) in raw.formats.iter().enumerate() {
            by_id.insert(f.id, i);
            by_puid.entry(f.puid.clone()).or_insert(i);
            formats.push(FormatInfo {
                puid: f.puid.clone(),
                name: f.name.clone(),
                version: f.version.clone(),
                mimes: f.mimes.clone(),
                extensions: f.extensions.clone(),
                has_priority_over: Vec::new(),
                has_signature: !f.signature_ids.is_empty(),
            });
        }
        let mut priority = vec![Vec::new(); formats.len()];
        for (i, f) in raw.formats.iter().enumerate() {
            for p in &f.priority_over {
                if let Some(&j) = by_id.get(p) {
                    priority[i].push(j);
                    let puid = formats[j].puid.clone();
                    formats[i].has_priority_over.push(puid);
                }
            }
        }
        let mut sig_formats: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, f) in raw.formats.iter().enumerate() {
            for s in &f.signature_ids {
                sig_formats.entry(*s).or_default().push(i);
            }
        }
        let mut by_ext: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in formats.iter().enumerate() {
            for e in &f.extensions {
                let v = by_ext.entry(e.clone()).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            }
        }
        let mut bof_window = DEFAULT_WINDOW;
        let mut eof_window = DEFAULT_WINDOW;
        let mut sigs = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        for s in raw.signatures {
            let Some(fmts) = sig_formats.get(&s.id) else {
                continue;
            };
            // A signature without byte sequence would match everything: ignore it.
            if s.seqs.is_empty() {
                continue;
            }
            for q in &s.seqs {
                if let Some(ext) = bof_extent(q) {
                    match q.anchor {
                        Anchor::Bof => bof_window = bof_window.max(ext.min(MAX_WINDOW)),
                        Anchor::Eof => eof_window = eof_window.max(ext.min(MAX_WINDOW)),
                        Anchor::Var => {}
                    }
                }
            }
            let bof_prefix = bof_prefix(&s.seqs);
            let mut guards = if bof_prefix.is_none() {
                choose_guards(&s.seqs, &mut literals)
            } else {
                Vec::new()
            };
            // Among the direct guards (checked first, all of them needed), those of a short
            // range come first: a few byte comparisons, where a wide range costs a `memmem`
            // of up to 4 KiB; the wide one is then searched only when the short one passed.
            let run = guards.iter().take_while(|g| g.is_direct()).count();
            guards[..run].sort_by_key(|g| !g.is_short());
            let mut order: Vec<usize> = (0..s.seqs.len()).collect();
            order.sort_by_key(|&i| seq_cost(&s.seqs[i]));
            sigs.push(CompiledSig {
                id: s.id,
                bof_prefix,
                guards,
                order,
                seqs: s.seqs,
                formats: fmts.clone(),
            });
        }
        // The signatures without a BOF prefix, by the guards they have.
        let (mut unguarded, mut direct_guarded, mut scan_guarded) = (vec![], vec![], vec![]);
        for (i, s) in sigs.iter().enumerate() {
            if s.bof_prefix.is_some() {
                continue;
            }
            match s.guards.first() {
                None => unguarded.push(i as u32),
                Some(g) if g.is_direct() => direct_guarded.push(i as u32),
                Some(_) => scan_guarded.push(i as u32),
            }
        }
        // The direct guards of a wide range near the ends of the file: their literals of
        // three bytes or more found in one pass (the widest ranges first, at most
        // `DIRECT_SCAN_LITERALS` literals); the short ranges are cheaper to check directly.
        let scannable = |g: &guard::Guard| {
            g.direct_literal().filter(|(place, lit, reach)| {
                !g.is_short()
                    && lit.len() >= 3
                    && *reach <= DIRECT_SCAN_REACH
                    && *place != guard::Place::Any
            })
        };
        let mut widest: Vec<(usize, Vec<u8>)> = Vec::new();
        for &si in &direct_guarded {
            for g in &sigs[si as usize].guards {
                if let (Some((_, lit, _)), Some((_, _, lo, hi, _))) =
                    (scannable(g), g.direct_parts())
                {
                    let span = hi - lo;
                    match widest.iter_mut().find(|w| w.1 == lit) {
                        Some(w) => w.0 = w.0.max(span),
                        None => widest.push((span, lit)),
                    }
                }
            }
        }
        widest.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        widest.truncate(DIRECT_SCAN_LITERALS);
        let mut direct_lits: Vec<Vec<u8>> = Vec::new();
        let (mut direct_bof_reach, mut direct_eof_reach) = (0usize, 0usize);
        for &si in &direct_guarded {
            for g in sigs[si as usize].guards.iter_mut() {
                let Some((place, lit, reach)) = scannable(g) else {
                    continue;
                };
                if !widest.iter().any(|w| w.1 == lit) {
                    continue;
                }
                let k = match direct_lits.iter().position(|l| *l == lit) {
                    Some(k) => k,
                    None => {
                        direct_lits.push(lit);
                        direct_lits.len() - 1
                    }
                };
                g.set_slot(k as u32);
                if place == guard::Place::Bof {
                    direct_bof_reach = direct_bof_reach.max(reach);
                } else {
                    direct_eof_reach = direct_eof_reach.max(reach);
                }
            }
        }
        let mut direct_users: Vec<Vec<u32>> = vec![Vec::new(); direct_lits.len()];
        let mut direct_always = Vec::new();
        for &si in &direct_guarded {
            match sigs[si as usize]
                .guards
                .first()
                .and_then(guard::Guard::slot)
            {
                Some(k) => direct_users[k as usize].push(si),
                None => direct_always.push(si),
            }
        }
        let mut direct_groups: Vec<Vec<u32>> = Vec::new();
        for &si in &direct_always {
            let first = sigs[si as usize].guards.first();
            match direct_groups.iter_mut().find(|g| {
                let other = sigs[g[0] as usize].guards.first();
                matches!((first, other), (Some(a), Some(b)) if a.same_direct_check(b))
            }) {
                Some(g) => g.push(si),
                None => direct_groups.push(vec![si]),
            }
        }
        let (mut group_checks, mut group_lits, mut group_finders, mut group_members) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for g in &direct_groups {
            let start = group_members.len() as u32;
            group_members.extend_from_slice(g);
            let members = (start, group_members.len() as u32);
            let first = sigs[g[0] as usize]
                .guards
                .first()
                .and_then(|f| f.direct_parts());
            group_checks.push(match first {
                Some((place, lit, lo, hi, finder)) => {
                    let l0 = group_lits.len() as u32;
                    group_lits.extend_from_slice(lit);
                    let finder = if hi - lo < guard::SHORT_RANGE {
                        u32::MAX
                    } else {
                        group_finders.push(finder.clone());
                        group_finders.len() as u32 - 1
                    };
                    GroupCheck {
                        place,
                        lo,
                        hi,
                        lit: (l0, group_lits.len() as u32),
                        finder,
                        members,
                    }
                }
                None => GroupCheck {
                    place: guard::Place::Any,
                    lo: 0,
                    hi: 0,
                    lit: (0, 0),
                    finder: u32::MAX,
                    members,
                },
            });
        }
        let direct_ids = (0..direct_lits.len() as u32).collect();
        let direct_scan = prefilter::LitFilter::with_ids(direct_lits, direct_ids);
        // The literals every file is scanned for: those of the signatures guarded by
        // scanned literals only.
        let mut core_ids: Vec<u32> = Vec::new();
        for &si in &scan_guarded {
            for g in &sigs[si as usize].guards {
                if let guard::Guard::Scanned { index, .. } = g
                    && !core_ids.contains(&(*index as u32))
                {
                    core_ids.push(*index as u32);
                }
            }
        }
        core_ids.sort_unstable();
        let core = prefilter::LitFilter::with_ids(
            core_ids
                .iter()
                .map(|&i| literals[i as usize].clone())
                .collect(),
            core_ids,
        );
        // Only the tests' reference scan uses it: not built at every start-up.
        #[cfg(test)]
        let prefilter = prefilter::LitFilter::new(literals);
        // The reach of the scans: the union of the windows where a scanned literal can lie,
        // computed once here (a file is never scanned beyond it).
        let (scan_bof_reach, scan_eof_reach) = scan_reach(sigs.iter());
        let (core_bof_reach, core_eof_reach) =
            scan_reach(scan_guarded.iter().map(|&i| &sigs[i as usize]));
        let n = formats.len();
        let mut unprefixed = Vec::new();
        for (i, sig) in sigs.iter().enumerate() {
            if !matches!(&sig.bof_prefix, Some((_, lit)) if !lit.is_empty()) {
                unprefixed.push(i as u32);
            }
        }
        let prefix_index =
            prefix::PrefixIndex::new(sigs.iter().enumerate().filter_map(|(i, s)| {
                let (off, lit) = s.bof_prefix.as_ref()?;
                Some((i as u32, *off, lit.as_slice()))
            }));
        let mut unprefixed_bits = vec![0u64; sigs.len().div_ceil(64)];
        for &i in &unprefixed {
            unprefixed_bits[i as usize / 64] |= 1 << (i % 64);
        }
        let mut reg = FormatRegistry {
            formats,
            by_puid,
            by_ext,
            sigs,
            priority,
            containers: Vec::new(),
            triggers: Vec::new(),
            has_container: vec![false; n],
            prefix_index,
            #[cfg(test)]
            prefilter,
            scan_bof_reach,
            scan_eof_reach,
            unprefixed_bits,
            unguarded,
            direct_guarded,
            scan_guarded,
            core,
            core_bof_reach,
            core_eof_reach,
            direct_scan,
            direct_bof_reach,
            direct_eof_reach,
            direct_users,
            direct_always,
            direct_groups,
            group_checks,
            group_lits,
            group_finders,
            group_members,
            bof_window,
            eof_window,
            signature_version: raw.version,
            container_version: String::new(),
        };
        if let Some(c) = container {
            reg.add_containers(c);
        }
        Ok(reg)
    }

    fn add_containers(&mut self, raw: droid::RawContainerFileSet) {
        let mut map: HashMap<u32, Vec<usize>> = HashMap::new();
        for (id, puid) in &raw.mappings {
            if let Some(&i) = self.by_puid.get(puid) {
                map.entry(*id).or_default().push(i);
            }
        }
        for s in raw.signatures {
            let Some(fmts) = map.get(&s.id) else {
                continue;
            };
            self.containers.push(CSig {
                id: s.id,
                kind: s.kind,
                files: s
                    .files
                    .into_iter()
                    .map(|f| CFile {
                        path: f.path,
                        signatures: f.signatures.into_iter().map(|s| s.seqs).collect(),
                    })
                    .collect(),
                formats: fmts.clone(),
            });
        }
        self.has_container = vec![false; self.formats.len()];
        for c in &self.containers {
            for &fi in &c.formats {
                self.has_container[fi] = true;
            }
        }
        for (k, puid) in raw.triggers {
            if let Some(&i) = self.by_puid.get(&puid) {
                self.triggers.push((i, k));
            }
        }
        self.container_version = raw.version;
    }

    /// Version of the DROID signature file (e.g. `"109"`).
    pub fn signature_version(&self) -> &str {
        &self.signature_version
    }

    /// Version of the container-signature file (empty if none).
    pub fn container_version(&self) -> &str {
        &self.container_version
    }

    /// Looks a format up by PUID.
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// let f = reg.format("fmt/18").unwrap();
    /// assert_eq!(f.mimes, vec!["application/pdf"]);
    /// assert!(f.extensions.contains(&"pdf".to_string()));
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn format(&self, puid: &str) -> Option<&FormatInfo> {
        self.by_puid.get(puid).map(|&i| &self.formats[i])
    }

    /// Every format record, in signature-file order.
    pub fn formats(&self) -> &[FormatInfo] {
        &self.formats
    }

    /// Formats declaring this extension (case-insensitive, without the dot).
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// assert!(reg.formats_by_extension("PDF").iter().any(|f| f.puid == "fmt/18"));
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn formats_by_extension(&self, ext: &str) -> Vec<&FormatInfo> {
        self.by_ext
            .get(&ext.to_ascii_lowercase())
            .map(|v| v.iter().map(|&i| &self.formats[i]).collect())
            .unwrap_or_default()
    }

    /// Identifies a file on disk, reading only its first and last windows (and, for ZIP / OLE2
    /// containers, the directory and the few entries the container signatures need).
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// let dir = tempfile::tempdir()?;
    /// let p = dir.path().join("x.png");
    /// std::fs::write(&p, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\0IEND\xaeB`\x82")?;
    /// assert_eq!(reg.identify_path(&p)?.puid, "fmt/11");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn identify_path(&self, path: impl AsRef<Path>) -> Result<Identification> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        self.identify_reader(f, name.as_deref())
            .map_err(|e| e.or_path(path))
    }

    /// Identifies a stream (seeking to read the end window); `name_hint` gives the file name
    /// (or just its extension as `"x.ext"`) for extension checks.
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// let id = reg.identify_reader(std::io::Cursor::new(b"GIF87a\x01\x00\x01\x00;"), Some("a.gif"))?;
    /// assert_eq!(id.puid, "fmt/3");
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn identify_reader<R: Read + Seek>(
        &self,
        r: R,
        name_hint: Option<&str>,
    ) -> Result<Identification> {
        thread_local! {
            static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        // The windows are read into the calling thread's buffer, reused from file to file
        // (zeroed once when it grows, not per file: no fresh pages to fault in and clear).
        READ_BUF.with(|c| match c.try_borrow_mut() {
            Ok(mut buf) => self.identify_reader_in(r, name_hint, &mut buf),
            Err(_) => self.identify_reader_in(r, name_hint, &mut Vec::new()),
        })
    }

    /// [`FormatRegistry::identify_reader`] reading the windows into `buf`.
    fn identify_reader_in<R: Read + Seek>(
        &self,
        mut r: R,
        name_hint: Option<&str>,
        buf: &mut Vec<u8>,
    ) -> Result<Identification> {
        let size = r.seek(SeekFrom::End(0))?;
        r.seek(SeekFrom::Start(0))?;
        let whole = size <= (self.bof_window + self.eof_window) as u64;
        let need = if whole {
            size as usize
        } else {
            self.bof_window + self.eof_window
        };
        if buf.len() < need {
            buf.resize(need, 0);
        }
        let w = if whole {
            let n = read_into(&mut r, &mut buf[..need])?;
            Windows::of_bytes2(&buf[..n], self.bof_window, self.eof_window)
        } else {
            let (bof, eof) = buf[..need].split_at_mut(self.bof_window);
            let nb = read_into(&mut r, bof)?;
            r.seek(SeekFrom::Start(size - self.eof_window as u64))?;
            let ne = read_into(&mut r, eof)?;
            Windows::new(size, &bof[..nb], &eof[..ne])
        };
        let mut opener = |kind: ContainerKind| {
            if r.seek(SeekFrom::Start(0)).is_err() {
                return Vec::new();
            }
            container::identify(self, &self.containers, kind, &mut r)
        };
        Ok(self.identify_windows(&w, name_hint, &mut opener))
    }

    /// Identifies bytes held in memory.
    ///
    /// ```
    /// let reg = vas_core::format::FormatRegistry::bundled()?;
    /// let id = reg.identify_bytes(b"hello, world\n", Some("notes.txt"));
    /// assert_eq!(id.puid, "x-fmt/111");
    /// assert_eq!(id.basis, "extension match txt; text match ASCII");
    /// let id = reg.identify_bytes(b"", None);
    /// assert!(id.is_unknown());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn identify_bytes(&self, data: &[u8], name_hint: Option<&str>) -> Identification {
        let w = Windows::of_bytes2(data, self.bof_window, self.eof_window);
        let mut opener = |kind: ContainerKind| {
            container::identify(self, &self.containers, kind, std::io::Cursor::new(data))
        };
        self.identify_windows(&w, name_hint, &mut opener)
    }

    /// The sizes `(bof, eof)` of the windows the matcher reads at the beginning and at the
    /// end of a file (64 KiB each unless a signature needs a larger fixed offset), for
    /// [`FormatRegistry::identify_head_tail`] and [`WindowSampler`].
    pub fn window_sizes(&self) -> (usize, usize) {
        (self.bof_window, self.eof_window)
    }

    /// Identifies a file from bytes already read, e.g. by a hasher streaming the whole file:
    /// `head` must be its first `min(size, bof)` bytes and `tail` its last `min(size, eof)`
    /// bytes, with `(bof, eof)` from [`FormatRegistry::window_sizes`] (a [`WindowSampler`]
    /// collects them). The result is the one [`FormatRegistry::identify_path`] gives, without
    /// opening the file again — except for ZIP and OLE2 files, whose directory is read from
    /// `container` (the file's path) when given, from `head` when it holds the whole file.
    ///
    /// ```
    /// use vas_core::format::{FormatRegistry, WindowSampler};
    /// let reg = FormatRegistry::bundled()?;
    /// let data = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    /// let mut s = WindowSampler::new(&reg);
    /// for chunk in data.chunks(7) {
    ///     s.feed(chunk);
    /// }
    /// let id = s.identify(&reg, None, Some("a.pdf"));
    /// assert_eq!(id, reg.identify_bytes(data, Some("a.pdf")));
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn identify_head_tail(
        &self,
        head: &[u8],
        tail: &[u8],
        size: u64,
        container: Option<&Path>,
        name_hint: Option<&str>,
    ) -> Identification {
        let head = &head[..head.len().min(self.bof_window)];
        let tail = &tail[tail.len() - tail.len().min(self.eof_window)..];
        let whole = head.len() as u64 == size;
        let w = Windows::new(size, head, tail);
        let mut opener = |kind: ContainerKind| {
            if whole {
                return container::identify(
                    self,
                    &self.containers,
                    kind,
                    std::io::Cursor::new(head),
                );
            }
            match container.map(File::open) {
                Some(Ok(f)) => {
                    container::identify(self, &self.containers, kind, std::io::BufReader::new(f))
                }
                _ => Vec::new(),
            }
        };
        self.identify_windows(&w, name_hint, &mut opener)
    }

    /// Matches one compiled byte sequence; returns (offset, length).
    fn match_seq(&self, seq: &Seq, w: &Windows) -> Option<(u64, u64)> {
        let pattern::Atom::Gap { min, max } = seq.atoms.first()? else {
            return None;
        };
        let rest = &seq.atoms[1..];
        let mut budget = SEQ_BUDGET;
        match seq.anchor {
            Anchor::Bof => {
                let (s, e) = pattern::gap_then(*min, *max, rest, w.bof, 0, &mut budget)?;
                Some((s as u64, (e - s) as u64))
            }
            Anchor::Eof => {
                let (s, e) = pattern::gap_then(*min, *max, rest, w.eof_rev(), 0, &mut budget)?;
                Some((w.size - e as u64, (e - s) as u64))
            }
            Anchor::Var => {
                if let Some((s, e)) = pattern::gap_then(*min, *max, rest, w.bof, 0, &mut budget) {
                    return Some((s as u64, (e - s) as u64));
                }
                if w.size > w.bof.len() as u64 {
                    let mut budget = SEQ_BUDGET;
                    let (s, e) = pattern::gap_then(*min, *max, rest, w.eof, 0, &mut budget)?;
                    let base = w.size - w.eof.len() as u64;
                    return Some((base + s as u64, (e - s) as u64));
                }
                None
            }
        }
    }

    /// Matches every sequence of a signature.
    pub(crate) fn match_seqs(&self, seqs: &[Seq], w: &Windows) -> Option<Vec<(u64, u64)>> {
        let mut out = Vec::with_capacity(seqs.len());
        for s in seqs {
            out.push(self.match_seq(s, w)?);
        }
        Some(out)
    }

    /// Matches a compiled signature, cheapest sequences first; offsets in file order
    /// (allocated only on a match).
    fn match_sig(&self, sig: &CompiledSig, w: &Windows) -> Option<Vec<(u64, u64)>> {
        let k = sig.seqs.len();
        if k > 8 {
            let mut out = vec![(0u64, 0u64); k];
            for &i in &sig.order {
                out[i] = self.match_seq(&sig.seqs[i], w)?;
            }
            return Some(out);
        }
        let mut out = [(0u64, 0u64); 8];
        for &i in &sig.order {
            out[i] = self.match_seq(&sig.seqs[i], w)?;
        }
        Some(out[..k].to_vec())
    }

    /// Where the literals of `filter` occur in the BOF window and, when the file is larger
    /// than it, in the EOF window (into `bof`/`eof`, indexed like `self.prefilter`; returns
    /// whether the EOF window was scanned). Only the parts of the windows where these
    /// literals can lie are looked at: `[0, bof_reach)` of the BOF window and the last
    /// `eof_reach` bytes of the EOF window (of the BOF window when it holds the whole file).
    fn scan_literals(
        &self,
        filter: &prefilter::LitFilter,
        (bof_reach, eof_reach): (usize, usize),
        w: &Windows,
        bof: &mut Vec<prefilter::Occ>,
        eof: &mut Vec<prefilter::Occ>,
    ) -> bool {
        let n = filter.out_len();
        bof.clear();
        bof.resize(n, prefilter::Occ::NONE);
        let nb = w.bof.len();
        let whole = w.size <= nb as u64;
        let front = bof_reach.min(nb);
        let back = if whole {
            nb.saturating_sub(eof_reach)
        } else {
            nb
        };
        if back <= front {
            filter.scan_occ_range(w.bof, 0, nb, bof);
        } else {
            filter.scan_occ_range(w.bof, 0, front, bof);
            filter.scan_occ_range(w.bof, back, nb, bof);
        }
        if whole {
            return false;
        }
        eof.clear();
        eof.resize(n, prefilter::Occ::NONE);
        let ne = w.eof.len();
        filter.scan_occ_range(w.eof, ne.saturating_sub(eof_reach), ne, eof);
        true
    }

    /// The internal signatures matching the windows (indices in `sigs`, in order) and their
    /// offsets. Only these signatures are matched: those whose BOF prefix is there (found
    /// by walking the prefix tries once), the unguarded ones, those whose direct guards pass
    /// (found by one pass over the ends of the file; then their scanned guard, searched in
    /// its range only), and
    /// those whose scanned literals the one scan of the file found within their reach. On
    /// data that looks like no format, the cost is that scan plus a fixed number of short
    /// comparisons. Uses the calling thread's scratch buffers: nothing is allocated per
    /// file unless a signature matches.
    fn byte_matches(&self, w: &Windows) -> Vec<(u32, Vec<(u64, u64)>)> {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
        }
        SCRATCH.with(|c| match c.try_borrow_mut() {
            Ok(mut s) => self.byte_matches_in(w, &mut s),
            Err(_) => self.byte_matches_in(w, &mut Scratch::default()),
        })
    }

    fn byte_matches_in(&self, w: &Windows, sc: &mut Scratch) -> Vec<(u32, Vec<(u64, u64)>)> {
        self.candidates_in(w, sc);
        let mut out = Vec::new();
        for (wi, &word) in sc.todo.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let si = (wi * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                if let Some(m) = self.try_sig(si, w) {
                    out.push((si, m));
                }
            }
        }
        out
    }

    /// The signatures to match on the windows (into `sc.todo`, a bit set over `sigs`):
    /// those whose BOF prefix is there, the unguarded ones and those whose guards pass.
    fn candidates_in(&self, w: &Windows, sc: &mut Scratch) {
        let Scratch {
            bof_occ,
            eof_occ,
            todo,
            pending,
            direct_bof_occ,
            direct_eof_occ,
        } = sc;
        let set = |todo: &mut Vec<u64>, i: u32| todo[i as usize / 64] |= 1 << (i % 64);
        todo.clear();
        todo.resize(self.unprefixed_bits.len(), 0);
        self.prefix_index.matches(w.bof, |i| set(todo, i));
        for &i in &self.unguarded {
            set(todo, i);
        }
        // Direct guards first: the one pass over the ends of the file finds their
        // literals, and only the signatures whose first direct literal is there (plus the
        // few whose literal lies further) are checked.
        let reach = (self.direct_bof_reach, self.direct_eof_reach);
        let scanned_eof = !self.direct_scan.is_empty()
            && self.scan_literals(&self.direct_scan, reach, w, direct_bof_occ, direct_eof_occ);
        let whole = w.size <= w.bof.len() as u64;
        let direct_seen = guard::Seen {
            bof: w.bof,
            eof: w.eof,
            whole,
            bof_occ: direct_bof_occ,
            eof_occ: scanned_eof.then_some(direct_eof_occ.as_slice()),
        };
        pending.clear();
        // The direct guards of signature `si` from its guard `from` on (the ones before
        // passed).
        let mut check_direct = |si: u32, from: usize, todo: &mut Vec<u64>| {
            let s = &self.sigs[si as usize];
            let direct = s.guards.iter().skip(from).take_while(|g| g.is_direct());
            if direct.clone().all(|g| g.passes_scanned(&direct_seen)) {
                if s.guards.iter().all(|g| g.is_direct()) {
                    set(todo, si);
                } else {
                    pending.push(si);
                }
            }
        };
        for c in &self.group_checks {
            // The group's shared first guard, once.
            let members = &self.group_members[c.members.0 as usize..c.members.1 as usize];
            let passed = if c.place == guard::Place::Any {
                self.sigs[members[0] as usize].guards[0].passes_scanned(&direct_seen)
            } else {
                let lit = &self.group_lits[c.lit.0 as usize..c.lit.1 as usize];
                let finder = self.group_finders.get(c.finder as usize);
                guard::direct_check(c.place, lit, c.lo, c.hi, finder, &direct_seen)
            };
            if passed {
                for &si in members {
                    check_direct(si, 1, todo);
                }
            }
        }
        for (k, users) in self.direct_users.iter().enumerate() {
            if direct_bof_occ[k].seen() || (scanned_eof && direct_eof_occ[k].seen()) {
                for &si in users {
                    check_direct(si, 0, todo);
                }
            }
        }
        // The one scan, for the signatures guarded by scanned literals only.
        if !self.core.is_empty() {
            let reach = (self.core_bof_reach, self.core_eof_reach);
            let scanned_eof = self.scan_literals(&self.core, reach, w, bof_occ, eof_occ);
            let seen = guard::Seen {
                bof: w.bof,
                eof: w.eof,
                whole,
                bof_occ,
                eof_occ: scanned_eof.then_some(eof_occ.as_slice()),
            };
            for &si in &self.scan_guarded {
                if self.sigs[si as usize]
                    .guards
                    .iter()
                    .all(|g| g.passes(&seen))
                {
                    set(todo, si);
                }
            }
        }
        // The scanned guards of the signatures whose direct guards passed: a search of the
        // literal in its own range.
        for &si in pending.iter() {
            let s = &self.sigs[si as usize];
            if s.guards
                .iter()
                .filter(|g| !g.is_direct())
                .all(|g| g.passes_by_search(w.bof, w.eof, whole))
            {
                set(todo, si);
            }
        }
    }

    /// Matches signature `si` if its BOF prefix is there (its guards, if any, were checked
    /// by the caller).
    #[inline]
    fn try_sig(&self, si: u32, w: &Windows) -> Option<Vec<(u64, u64)>> {
        let s = &self.sigs[si as usize];
        if let Some((off, lit)) = &s.bof_prefix
            && w.bof.get(*off..off + lit.len()) != Some(lit.as_slice())
        {
            return None;
        }
        self.match_sig(s, w)
    }

    /// The signatures without a BOF prefix (always considered), from their bit set.
    #[cfg(test)]
    fn unprefixed(&self) -> Vec<u32> {
        (0..self.sigs.len() as u32)
            .filter(|&i| self.unprefixed_bits[i as usize / 64] & (1 << (i % 64)) != 0)
            .collect()
    }

    /// [`FormatRegistry::byte_matches`] without any shortcut: every signature is matched
    /// (the reference of the tests).
    #[cfg(test)]
    fn byte_matches_exhaustive(&self, w: &Windows) -> Vec<(u32, Vec<(u64, u64)>)> {
        (0..self.sigs.len() as u32)
            .filter_map(|si| Some((si, self.match_sig(&self.sigs[si as usize], w)?)))
            .collect()
    }

    fn make_match(&self, fi: usize, kind: MatchKind, ext: Option<&str>) -> Match {
        let f = &self.formats[fi];
        Match {
            puid: f.puid.clone(),
            name: f.name.clone(),
            version: f.version.clone(),
            mime: f.mimes.first().cloned().unwrap_or_default(),
            kind,
            signature_id: None,
            offsets: Vec::new(),
            extension_match: ext.is_some_and(|e| f.extensions.iter().any(|x| x == e)),
            outranked_by: None,
        }
    }

    /// Marks outranked candidates (`HasPriorityOverFileFormatID`).
    fn apply_priorities(&self, cands: &mut [(usize, Match)]) {
        let idx: Vec<usize> = cands.iter().map(|c| c.0).collect();
        for c in cands.iter_mut() {
            if let Some(&w) = idx
                .iter()
                .find(|&&j| j != c.0 && self.priority[j].contains(&c.0))
            {
                c.1.outranked_by = Some(self.formats[w].puid.clone());
            }
        }
    }

    fn identify_windows(
        &self,
        w: &Windows,
        name_hint: Option<&str>,
        open_container: &mut dyn FnMut(ContainerKind) -> Vec<(usize, u32, String)>,
    ) -> Identification {
        let ext = name_hint.and_then(extension_of);
        let ext = ext.as_deref();
        // 1. internal signatures
        let mut cands: Vec<(usize, Match)> = Vec::new();
        for (si, offsets) in self.byte_matches(w) {
            let s = &self.sigs[si as usize];
            {
                for &fi in &s.formats {
                    if cands.iter().any(|c| c.0 == fi) {
                        continue;
                    }
                    let mut m = self.make_match(fi, MatchKind::Signature, ext);
                    m.signature_id = Some(s.id);
                    m.offsets = offsets.clone();
                    cands.push((fi, m));
                }
            }
        }
        self.apply_priorities(&mut cands);
        // 2. containers
        let mut kinds: Vec<ContainerKind> = Vec::new();
        // Like Siegfried, a container is opened whenever a trigger format (ZIP, OLE2) matched,
        // even if a more specific byte signature outranks it (e.g. ODF's `mimetype`).
        for (fi, _) in &cands {
            for (t, k) in &self.triggers {
                if t == fi && !kinds.contains(k) {
                    kinds.push(*k);
                }
            }
        }
        let mut container_basis = HashMap::new();
        if !kinds.is_empty() {
            let mut found: Vec<(usize, Match)> = Vec::new();
            for k in kinds {
                for (fi, id, path) in open_container(k) {
                    if found.iter().any(|c| c.0 == fi) {
                        continue;
                    }
                    let mut m = self.make_match(fi, MatchKind::Container, ext);
                    m.signature_id = Some(id);
                    container_basis.insert(fi, path);
                    found.push((fi, m));
                }
            }
            if !found.is_empty() {
                self.apply_priorities(&mut found);
                cands = found;
            }
        }
        let ext_prefix = |m: &Match| {
            if m.extension_match {
                format!("extension match {}; ", ext.unwrap_or_default())
            } else {
                String::new()
            }
        };
        if !cands.is_empty() {
            // Selected: not outranked, extension match first, then file order.
            cands.sort_by_key(|(fi, m)| (m.outranked_by.is_some(), !m.extension_match, *fi));
            let (fi, sel) = &cands[0];
            let basis = match sel.kind {
                MatchKind::Container => format!(
                    "{}container match with signature {} ({})",
                    ext_prefix(sel),
                    sel.signature_id.unwrap_or(0),
                    container_basis.get(fi).map(String::as_str).unwrap_or("")
                ),
                _ => {
                    let o = &sel.offsets;
                    let at = if o.len() == 1 {
                        format!("{}, {}", o[0].0, o[0].1)
                    } else {
                        format!(
                            "[{}]",
                            o.iter()
                                .map(|(a, b)| format!("[{a} {b}]"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    };
                    format!("{}byte match at {at}", ext_prefix(sel))
                }
            };
            let f = &self.formats[*fi];
            let mut warning = String::new();
            if name_hint.is_some() && !sel.extension_match && !f.extensions.is_empty() {
                warning = "extension mismatch".to_string();
            }
            return Identification {
                puid: sel.puid.clone(),
                name: sel.name.clone(),
                version: sel.version.clone(),
                mime: sel.mime.clone(),
                basis,
                warning,
                matches: cands.into_iter().map(|c| c.1).collect(),
            };
        }
        // 3. text and extension fall-backs
        let ext_all: Vec<usize> = ext
            .and_then(|e| self.by_ext.get(e))
            .cloned()
            .unwrap_or_default();
        // Like Siegfried, a format that has a byte or container signature is not proposed on
        // its extension alone: its signature did not match.
        let ext_cands: Vec<usize> = ext_all
            .iter()
            .copied()
            .filter(|&fi| !self.formats[fi].has_signature && !self.has_container[fi])
            .collect();
        let text_fi = self.by_puid.get(PLAIN_TEXT).copied();
        let text = text_kind(w.bof, w.size > w.bof.len() as u64);
        if let (Some(t), Some(tfi)) = (text, text_fi) {
            let ext_has_text = ext_all.contains(&tfi);
            if ext_all.is_empty() || ext_has_text {
                let m = self.make_match(tfi, MatchKind::Text, ext);
                let basis = format!("{}text match {t}", ext_prefix(&m));
                let warning = if ext_has_text {
                    String::new()
                } else if name_hint.is_some() {
                    "match on text only; extension mismatch".to_string()
                } else {
                    "match on text only".to_string()
                };
                return Identification {
                    puid: m.puid.clone(),
                    name: m.name.clone(),
                    version: m.version.clone(),
                    mime: m.mime.clone(),
                    basis,
                    warning,
                    matches: vec![m],
                };
            }
        }
        if ext_cands.len() == 1 {
            let m = self.make_match(ext_cands[0], MatchKind::Extension, ext);
            return Identification {
                puid: m.puid.clone(),
                name: m.name.clone(),
                version: m.version.clone(),
                mime: m.mime.clone(),
                basis: format!("extension match {}", ext.unwrap_or_default()),
                warning: "match on extension only".to_string(),
                matches: vec![m],
            };
        }
        let matches: Vec<Match> = ext_all
            .iter()
            .map(|&fi| self.make_match(fi, MatchKind::Extension, ext))
            .collect();
        let warning = if matches.is_empty() {
            "no match".to_string()
        } else {
            format!(
                "no match; possibilities based on extension are {}",
                matches
                    .iter()
                    .map(|m| m.puid.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Identification {
            puid: UNKNOWN.to_string(),
            name: String::new(),
            version: String::new(),
            mime: String::new(),
            basis: String::new(),
            warning,
            matches,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert_eq!(extension_of("a/b/c.PDF").as_deref(), Some("pdf"));
        assert_eq!(extension_of("noext"), None);
        assert_eq!(extension_of(".bashrc"), None);
        assert_eq!(extension_of("x.tar.gz").as_deref(), Some("gz"));
        assert_eq!(extension_of("dir.d/file"), None);
    }

    #[test]
    fn text_detection() {
        assert_eq!(text_kind(b"hello\n", false), Some("ASCII"));
        assert_eq!(text_kind("héllo".as_bytes(), false), Some("UTF-8 Unicode"));
        assert_eq!(text_kind(b"\x00\x01", false), None);
        assert_eq!(text_kind(b"", false), None);
    }

    #[test]
    fn registry_is_send_sync() {
        fn f<T: Send + Sync>() {}
        f::<FormatRegistry>();
        f::<Arc<FormatRegistry>>();
    }

    use super::format_corpus;

    /// The literal prefilter finds exactly what the overlapping Aho-Corasick scan it replaced
    /// found, with the bundled literals, on the format corpus, on random bytes and on
    /// buffers made of the literals themselves.
    #[test]
    fn prefilter_agrees_with_aho_corasick_on_the_corpus() {
        let r = FormatRegistry::bundled().unwrap();
        let lits = r.prefilter.literals().to_vec();
        assert!(lits.len() > 20, "{} literals", lits.len());
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&lits)
            .unwrap();
        let pairs = prefilter::LitFilter::new(lits.clone()).without_simd();
        let check = |hay: &[u8]| {
            let mut want = vec![false; lits.len()];
            for m in ac.find_overlapping_iter(hay) {
                want[m.pattern().as_usize()] = true;
            }
            let mut got = vec![false; lits.len()];
            r.prefilter.scan(hay, &mut got);
            assert_eq!(got, want);
            let mut got = vec![false; lits.len()];
            pairs.scan(hay, &mut got);
            assert_eq!(got, want, "bit-map scan");
            want.iter().filter(|&&b| b).count()
        };
        for (_, data) in format_corpus::corpus() {
            check(&data);
        }
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let random: Vec<u8> = (0..200_000)
            .map(|_| {
                crate::testutil::xorshift64(&mut seed);
                seed as u8
            })
            .collect();
        check(&random);
        let all: Vec<u8> = lits.iter().flat_map(|l| l.iter().copied()).collect();
        assert_eq!(check(&all), lits.len());
    }

    /// Identification from a head and a tail (as collected while hashing) gives the same
    /// result as identifying the file, on the format corpus (with and without a
    /// large random padding in the middle, so that the windows do not overlap).
    #[test]
    fn head_tail_identification_agrees_with_paths() {
        let r = FormatRegistry::bundled().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for (name, data) in format_corpus::corpus() {
            let mut padded = data.clone();
            if data.len() > 8 {
                let pad: Vec<u8> = (0..200_000)
                    .map(|_| {
                        crate::testutil::xorshift64(&mut seed);
                        seed as u8
                    })
                    .collect();
                padded.splice(8..8, pad);
            }
            for (k, bytes) in [data, padded].into_iter().enumerate() {
                let p = dir.path().join(format!("{k}-{name}"));
                std::fs::write(&p, &bytes).unwrap();
                let want = r.identify_path(&p).unwrap();
                for chunk in [1000usize, 65_536, 300_000] {
                    let mut s = WindowSampler::new(&r);
                    for c in bytes.chunks(chunk) {
                        s.feed(c);
                    }
                    assert_eq!(s.size(), bytes.len() as u64);
                    let name_hint = p.file_name().unwrap().to_string_lossy().into_owned();
                    let got = s.identify(&r, Some(&p), Some(&name_hint));
                    assert_eq!(got, want, "{name} (padded: {k}, chunks of {chunk})");
                }
            }
        }
    }

    /// The sampler keeps exactly the first `bof` and the last `eof` bytes of the stream,
    /// whatever the lengths and the chunks (the tail copied only once the stream is longer
    /// than the BOF window).
    #[test]
    fn sampler_windows_are_the_ends_of_the_stream() {
        let r = FormatRegistry::bundled().unwrap();
        let (bof, eof) = r.window_sizes();
        let mut rng = Rng(7);
        for len in [
            0,
            1,
            100,
            bof - 1,
            bof,
            bof + 1,
            bof + eof - 1,
            bof + eof,
            bof + eof + 1,
            3 * bof + 17,
        ] {
            let data = rng.bytes(len);
            for chunk in [1usize, 7, 4096, bof - 1, bof, bof + 1, 1 << 20] {
                let mut s = WindowSampler::new(&r);
                for c in data.chunks(chunk) {
                    s.feed(c);
                }
                assert_eq!(s.spilled, len > bof, "{len} by {chunk}");
                let t = if s.spilled { &s.tail } else { &s.head };
                let tail = &t[t.len() - t.len().min(eof)..];
                assert_eq!(s.head, data[..len.min(bof)], "{len} by {chunk}");
                assert_eq!(tail, &data[len - len.min(eof)..], "{len} by {chunk}");
            }
        }
    }

    /// The signatures checked on every file by their direct guards are grouped by first
    /// guard (each checked once per file for its group), and each signature's direct guards
    /// of a short range come before the wider ones.
    #[test]
    fn direct_groups_share_their_first_guard() {
        let r = FormatRegistry::bundled().unwrap();
        let mut grouped: Vec<u32> = r.direct_groups.iter().flatten().copied().collect();
        grouped.sort_unstable();
        let mut always = r.direct_always.clone();
        always.sort_unstable();
        assert_eq!(grouped, always);
        for g in &r.direct_groups {
            let first = &r.sigs[g[0] as usize].guards[0];
            for &si in &g[1..] {
                assert!(r.sigs[si as usize].guards[0].same_direct_check(first));
            }
        }
        // The table the per-file loop reads holds the same first guards.
        assert_eq!(r.group_checks.len(), r.direct_groups.len());
        for (c, g) in r.group_checks.iter().zip(&r.direct_groups) {
            let members = &r.group_members[c.members.0 as usize..c.members.1 as usize];
            assert_eq!(members, g.as_slice());
            match r.sigs[g[0] as usize].guards[0].direct_parts() {
                Some((place, lit, lo, hi, _)) => {
                    assert_eq!((c.place, c.lo, c.hi), (place, lo, hi));
                    assert_eq!(&r.group_lits[c.lit.0 as usize..c.lit.1 as usize], lit);
                    assert_eq!(c.finder == u32::MAX, hi - lo < guard::SHORT_RANGE);
                    if let Some(f) = r.group_finders.get(c.finder as usize) {
                        assert_eq!(f.needle(), lit);
                    }
                }
                None => assert_eq!(c.place, guard::Place::Any),
            }
        }
        // V109: 258 signatures, 163 distinct first guards.
        assert!(
            r.direct_groups.len() * 4 < r.direct_always.len() * 3,
            "{} groups for {} signatures",
            r.direct_groups.len(),
            r.direct_always.len()
        );
        for s in &r.sigs {
            let run = s.guards.iter().take_while(|g| g.is_direct()).count();
            let short: Vec<bool> = s.guards[..run].iter().map(|g| g.is_short()).collect();
            assert!(short.windows(2).all(|w| w[0] || !w[1]), "sig {}", s.id);
        }
    }

    /// A small xorshift generator for the differential tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            crate::testutil::xorshift64(&mut self.0);
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// Checks that the guarded matching finds exactly what matching every signature finds,
    /// on `data` seen whole and through head/tail windows.
    fn assert_same_matches(r: &FormatRegistry, data: &[u8], what: &str) {
        let w = Windows::of_bytes2(data, r.bof_window, r.eof_window);
        assert_eq!(
            r.byte_matches(&w),
            r.byte_matches_exhaustive(&w),
            "{what} ({} bytes)",
            data.len()
        );
    }

    /// The guards, the BOF-prefix index and the prefilter never change a result: on the
    /// format corpus, on mutations of it (bytes changed, truncated, spliced into random
    /// data at random offsets) and on random data carrying the literals of the signatures
    /// at the edges of the ranges where they must start, the guarded matching finds
    /// exactly the signatures that matching every signature finds.
    #[test]
    fn guarded_matching_agrees_with_exhaustive_matching() {
        let r = FormatRegistry::bundled().unwrap();
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let corpus = format_corpus::corpus();
        let mut matched = 0usize;
        for (name, data) in &corpus {
            let w = Windows::of_bytes2(data, r.bof_window, r.eof_window);
            matched += r.byte_matches_exhaustive(&w).len();
            assert_same_matches(&r, data, name);
            for k in 0..4 {
                let mut m = data.clone();
                match k {
                    0 => {
                        for _ in 0..1 + rng.below(8) {
                            let i = rng.below(m.len());
                            if let Some(b) = m.get_mut(i) {
                                *b = rng.next() as u8;
                            }
                        }
                    }
                    1 => m.truncate(rng.below(m.len() + 1)),
                    2 => {
                        let k = rng.below(200_000);
                        let mut pad = rng.bytes(k);
                        let at = rng.below(pad.len() + 1);
                        pad.splice(at..at, m.iter().copied());
                        m = pad;
                    }
                    _ => {
                        let cut = rng.below(m.len() + 1);
                        let k = 70_000 + rng.below(70_000);
                        m.splice(cut..cut, rng.bytes(k));
                    }
                }
                assert_same_matches(&r, &m, &format!("{name} mutation {k}"));
            }
        }
        assert!(
            matched >= corpus.len() / 2,
            "{matched} matches on the corpus"
        );
        // Random data carrying every guarded signature's needed literals at the edges of
        // their ranges (and one byte outside).
        let mut guarded = 0usize;
        for sig in r.sigs.iter().filter(|s| !s.guards.is_empty()) {
            let needs: Vec<guard::Need> = sig.seqs.iter().flat_map(guard::needs).collect();
            guarded += 1;
            for shift in [0isize, 1, -1] {
                let size = [300usize, 5_000, 70_000, 140_000][rng.below(4)];
                let mut data = rng.bytes(size);
                for n in &needs {
                    let d = match (n.hi, rng.below(2)) {
                        (Some(h), 0) => h as isize,
                        _ => n.lo as isize,
                    } + shift;
                    let Ok(d) = usize::try_from(d) else { continue };
                    let at = match n.place {
                        guard::Place::Bof => d,
                        guard::Place::Eof => match size.checked_sub(d + n.lit.len()) {
                            Some(a) => a,
                            None => continue,
                        },
                        guard::Place::Any => rng.below(size),
                    };
                    if at + n.lit.len() <= size {
                        data[at..at + n.lit.len()].copy_from_slice(&n.lit);
                    }
                }
                assert_same_matches(&r, &data, &format!("signature {} shift {shift}", sig.id));
            }
        }
        assert!(guarded > 200, "{guarded} guarded signatures");
        // Plain random data of every size class.
        for size in [
            0usize, 1, 7, 100, 4096, 65_535, 65_537, 131_072, 150_000, 400_000,
        ] {
            let data = rng.bytes(size);
            assert_same_matches(&r, &data, "random");
        }
    }

    /// Bytes matching `atoms` (one choice per alternative, short gaps), appended to `out`;
    /// `false` when no sample could be made.
    fn sample_atoms(atoms: &[pattern::Atom], rng: &mut Rng, out: &mut Vec<u8>) -> bool {
        sample_atoms_far(atoms, rng, out, false)
    }

    /// [`sample_atoms`]; with `far`, every bounded gap takes its largest length (unbounded
    /// ones 100 000 bytes), so that the match lies as far from its anchor as it may.
    fn sample_atoms_far(
        atoms: &[pattern::Atom],
        rng: &mut Rng,
        out: &mut Vec<u8>,
        far: bool,
    ) -> bool {
        use pattern::Atom;
        for a in atoms {
            if out.len() > 2 << 20 {
                return false;
            }
            match a {
                Atom::Lit(v, _) => out.extend_from_slice(v),
                Atom::Class(set) => {
                    let start = rng.below(256);
                    match (0..256)
                        .map(|k| ((start + k) % 256) as u8)
                        .find(|&b| set.contains(b))
                    {
                        Some(b) => out.push(b),
                        None => return false,
                    }
                }
                Atom::NotSeq(v) => {
                    let mut x = rng.bytes(v.len());
                    if !x.is_empty() && x == *v {
                        x[0] = x[0].wrapping_add(1);
                    }
                    out.extend(x);
                }
                Atom::Range { lo, hi, neg, rev } => {
                    let mut x = if !neg {
                        if rng.below(2) == 0 {
                            lo.clone()
                        } else {
                            hi.clone()
                        }
                    } else if lo.iter().any(|&b| b != 0) {
                        vec![0; lo.len()]
                    } else if hi.iter().any(|&b| b != 0xFF) {
                        vec![0xFF; hi.len()]
                    } else {
                        return false;
                    };
                    if *rev {
                        x.reverse();
                    }
                    out.extend(x);
                }
                Atom::Alt(alts) => {
                    let k = rng.below(alts.len());
                    if !sample_atoms_far(&alts[k], rng, out, far) {
                        return false;
                    }
                }
                Atom::Gap { min, max } if far => {
                    let n = max.unwrap_or(min + 100_000);
                    if n > 2 << 20 {
                        return false;
                    }
                    out.extend(rng.bytes(n));
                }
                Atom::Gap { min, max } => {
                    let span = max.map_or(64, |m| m.saturating_sub(*min)).min(64);
                    let n = *min + rng.below(span + 1);
                    out.extend(rng.bytes(n));
                }
            }
        }
        true
    }

    /// A guard never rejects a file a signature matches: for every signature, files made
    /// from its own sequences (BOF, variable and EOF parts around random bytes) that the
    /// exhaustive matcher matches are matched by the guarded one too.
    #[test]
    fn guards_never_reject_a_matching_signature() {
        let r = FormatRegistry::bundled().unwrap();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut positives = 0usize;
        let mut guarded_positives = 0usize;
        for (si, sig) in r.sigs.iter().enumerate() {
            for trial in 0..3 {
                let mut parts: [Vec<u8>; 3] = Default::default();
                let mut ok = true;
                for q in &sig.seqs {
                    let k = match q.anchor {
                        Anchor::Bof => 0,
                        Anchor::Var => 1,
                        Anchor::Eof => 2,
                    };
                    if !parts[k].is_empty() {
                        continue;
                    }
                    let mut v = Vec::new();
                    ok &= sample_atoms(&q.atoms, &mut rng, &mut v);
                    if q.anchor == Anchor::Eof {
                        v.reverse();
                    }
                    parts[k] = v;
                }
                if !ok {
                    continue;
                }
                let [bof, var, eof] = parts;
                let mut data = bof;
                let pad = [0usize, 100, 70_000][trial];
                let k = rng.below(pad + 1);
                data.extend(rng.bytes(k));
                data.extend(var);
                let k = rng.below(pad + 1);
                data.extend(rng.bytes(k));
                data.extend(eof);
                let w = Windows::of_bytes2(&data, r.bof_window, r.eof_window);
                if r.match_sig(sig, &w).is_some() {
                    positives += 1;
                    guarded_positives += usize::from(!sig.guards.is_empty());
                    assert!(
                        r.byte_matches(&w).iter().any(|m| m.0 == si as u32),
                        "signature {} matches its sample but the guarded matching misses it",
                        sig.id
                    );
                }
                if si % 8 == 0 || !sig.guards.is_empty() {
                    assert_same_matches(&r, &data, &format!("sample of signature {}", sig.id));
                }
            }
        }
        assert!(positives > 3000, "{positives} samples matched");
        assert!(
            guarded_positives > 300,
            "{guarded_positives} guarded samples matched"
        );
    }

    /// The capped scan (only the reach of the scanned literals) never changes a result:
    /// files whose sizes lie just around the windows and the scan reaches, with every
    /// signature's own bytes placed as far from their anchor as the signature allows (the
    /// BOF part at its largest offset, the EOF part at its largest distance from the end)
    /// and with the scanned literals at the very edge of their reach (and one byte past
    /// it); plus files far larger than both windows, whose middle is never looked at.
    #[test]
    fn capped_scan_agrees_at_window_edges_and_far_offsets() {
        let r = FormatRegistry::bundled().unwrap();
        let (bw, ew) = r.window_sizes();
        assert!(r.scan_bof_reach <= bw || r.scan_bof_reach == usize::MAX);
        let mut sizes = vec![
            bw - 1,
            bw,
            bw + 1,
            bw + ew - 1,
            bw + ew,
            bw + ew + 1,
            3 << 20,
        ];
        for reach in [r.scan_bof_reach, r.scan_eof_reach] {
            if reach < bw {
                sizes.extend([reach.saturating_sub(1).max(1), reach, reach + 1]);
            }
        }
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        let mut positives = 0usize;
        // Every eighth signature and every one with a scanned literal (all of them would
        // take minutes in a debug build).
        let chosen = r
            .sigs
            .iter()
            .enumerate()
            .filter(|(k, s)| k % 8 == 0 || s.guards.iter().any(|g| g.scan_reach().is_some()));
        for (k, sig) in chosen {
            let size = sizes[k % sizes.len()];
            // The signature's own bytes, far from their anchors.
            let mut parts: [Vec<u8>; 3] = Default::default();
            let mut ok = true;
            for q in &sig.seqs {
                let i = match q.anchor {
                    Anchor::Bof => 0,
                    Anchor::Var => 1,
                    Anchor::Eof => 2,
                };
                if parts[i].is_empty() {
                    let mut v = Vec::new();
                    ok &= sample_atoms_far(&q.atoms, &mut rng, &mut v, true);
                    if q.anchor == Anchor::Eof {
                        v.reverse();
                    }
                    parts[i] = v;
                }
            }
            if ok {
                let [bof, var, eof] = parts;
                let fill = size.saturating_sub(bof.len() + var.len() + eof.len());
                let mut data = bof;
                let cut = rng.below(fill + 1);
                data.extend(rng.bytes(cut));
                data.extend(var);
                data.extend(rng.bytes(fill - cut));
                data.extend(eof);
                let w = Windows::of_bytes2(&data, bw, ew);
                if r.match_sig(sig, &w).is_some() {
                    positives += 1;
                    assert!(
                        r.byte_matches(&w).iter().any(|m| m.0 == k as u32),
                        "signature {} matches its far sample ({} bytes) but the capped \
                         matching misses it: {:?} vs {:?}",
                        sig.id,
                        data.len(),
                        r.byte_matches(&w).iter().map(|m| m.0).collect::<Vec<_>>(),
                        r.byte_matches_exhaustive(&w)
                            .iter()
                            .map(|m| m.0)
                            .collect::<Vec<_>>()
                    );
                }
                // Every signature on some of them (matching all of them is slow).
                if k % 64 == 0 {
                    assert_same_matches(&r, &data, &format!("far sample of signature {}", sig.id));
                }
            }
            // The scanned literals at the edge of their reach, and one byte past it.
            for g in &sig.guards {
                let guard::Guard::Scanned {
                    place,
                    index,
                    hi: Some(hi),
                    ..
                } = g
                else {
                    continue;
                };
                let lit = &r.prefilter.literals()[*index];
                for past in [0usize, 1] {
                    let mut data = rng.bytes(size);
                    let at = match place {
                        guard::Place::Bof => Some(hi + past),
                        guard::Place::Eof => size.checked_sub(hi + past + lit.len()),
                        guard::Place::Any => None,
                    };
                    let Some(at) = at.filter(|a| a + lit.len() <= size) else {
                        continue;
                    };
                    data[at..at + lit.len()].copy_from_slice(lit);
                    assert_same_matches(&r, &data, &format!("reach of signature {}", sig.id));
                }
            }
        }
        assert!(positives > 20, "{positives} far samples matched");
    }

    /// The direct guards lie near the ends of the file: almost all of them are served by
    /// the one direct-literal scan (the others are searched in their own range), and the
    /// BOF prefixes are all in the tries. Prints the figures (run with `--nocapture`).
    #[test]
    fn direct_scan_serves_most_direct_guards() {
        let r = FormatRegistry::bundled().unwrap();
        let mut spans = std::collections::BTreeMap::new();
        let (mut slotted, mut total) = (0usize, 0usize);
        for &si in &r.direct_guarded {
            for g in &r.sigs[si as usize].guards {
                if let guard::Guard::Direct {
                    place,
                    lo,
                    hi,
                    slot,
                    ..
                } = g
                {
                    let b = match hi - lo {
                        0 => 0,
                        1..=15 => 15,
                        16..=255 => 255,
                        256..=1023 => 1023,
                        _ => 4096,
                    };
                    *spans.entry((format!("{place:?}"), b)).or_insert(0) += 1;
                    total += 1;
                    slotted += usize::from(slot.is_some());
                }
            }
        }
        let mut offs = std::collections::BTreeMap::new();
        for s in &r.sigs {
            if let Some((off, _)) = &s.bof_prefix {
                *offs.entry(*off).or_insert(0) += 1;
            }
        }
        eprintln!(
            "direct guards by (place, span) {spans:?}; {slotted}/{total} in the one scan \
             ({} literals, reach {} / {}), {} signatures checked on every file; BOF prefixes \
             by offset {offs:?}",
            r.direct_users.len(),
            r.direct_bof_reach,
            r.direct_eof_reach,
            r.direct_always.len()
        );
        assert!(r.direct_bof_reach <= DIRECT_SCAN_REACH && r.direct_eof_reach <= DIRECT_SCAN_REACH);
        // The scan holds what slim Teddy takes: at most 32 literals, all of three bytes or
        // more, of direct guards of a wide range only.
        assert!(r.direct_users.len() <= DIRECT_SCAN_LITERALS);
        assert!(
            slotted >= DIRECT_SCAN_LITERALS,
            "{slotted}/{total} direct guards scanned"
        );
        for &si in &r.direct_guarded {
            for g in &r.sigs[si as usize].guards {
                if g.slot().is_some() {
                    let (_, lit, _) = g.direct_literal().unwrap();
                    assert!(
                        !g.is_short() && lit.len() >= 3,
                        "sig {}",
                        r.sigs[si as usize].id
                    );
                }
            }
        }
        // Each signature is checked either when the scan found its first literal, or on
        // every file.
        let users: usize = r.direct_users.iter().map(Vec::len).sum();
        assert_eq!(users + r.direct_always.len(), r.direct_guarded.len());
        let prefixed = r
            .sigs
            .iter()
            .filter(|s| s.bof_prefix.as_ref().is_some_and(|p| !p.1.is_empty()))
            .count();
        let in_tries: usize = r.prefix_index.tries().iter().map(|t| t.len()).sum();
        assert_eq!(in_tries, prefixed);
    }

    /// The literals of the shortcuts (BOF prefixes, direct-guard literals of the
    /// one-pass scan, scanned literals), file order, with where they go: `(place, lit, lo,
    /// hi)` as in [`guard::Need`] (prefixes: `lo == hi`, the prefix's offset).
    fn shortcut_literals(r: &FormatRegistry) -> Vec<(guard::Place, Vec<u8>, usize, usize)> {
        let mut out = Vec::new();
        for s in &r.sigs {
            if let Some((off, lit)) = &s.bof_prefix {
                out.push((guard::Place::Bof, lit.clone(), *off, *off));
            }
            for q in &s.seqs {
                // The single literals and those of the guards "one of these literals".
                for n in guard::needs(q)
                    .into_iter()
                    .chain(guard::alt_needs(q).into_iter().flatten())
                {
                    let hi = n.hi.unwrap_or(n.lo + 70_000).min(n.lo + 70_000);
                    out.push((n.place, n.lit, n.lo, hi));
                }
            }
        }
        out
    }

    /// The files of the census tests: every file under the folders of `VAS_CENSUS_DIRS`
    /// (`:`-separated, read recursively), sorted; `None` when it is not set.
    fn census_files() -> Option<Vec<std::path::PathBuf>> {
        let dirs = std::env::var("VAS_CENSUS_DIRS").ok()?;
        let mut files = Vec::new();
        let mut stack: Vec<std::path::PathBuf> = dirs.split(':').map(Into::into).collect();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        Some(files)
    }

    /// The contents of [`census_files`], read once (the timing tests loop over them).
    fn census_data() -> Option<Vec<Vec<u8>>> {
        let files = census_files()?;
        Some(files.iter().map(|f| std::fs::read(f).unwrap()).collect())
    }

    /// Census of the signatures that reach the matcher (`VAS_CENSUS_DIRS`: folders,
    /// `:`-separated, read recursively): per signature, how many files pass its shortcuts
    /// (prefix or guards), how many it matches and the time `try_sig` took on them. Prints
    /// the most expensive ones; run in release with `--ignored --nocapture`.
    #[test]
    #[ignore]
    fn candidate_census() {
        let Some(files) = census_files() else {
            return;
        };
        let r = FormatRegistry::bundled().unwrap();
        let n = r.sigs.len();
        let (mut reach, mut hits, mut nanos) = (vec![0u64; n], vec![0u64; n], vec![0u128; n]);
        let mut guard_nanos = 0u128;
        let mut sc = Scratch::default();
        for f in &files {
            let data = std::fs::read(f).unwrap();
            let w = Windows::of_bytes2(&data, r.bof_window, r.eof_window);
            let t = std::time::Instant::now();
            r.candidates_in(&w, &mut sc);
            guard_nanos += t.elapsed().as_nanos();
            for si in 0..n {
                if sc.todo[si / 64] & (1 << (si % 64)) != 0 {
                    let t = std::time::Instant::now();
                    let m = r.try_sig(si as u32, &w);
                    nanos[si] += t.elapsed().as_nanos();
                    reach[si] += 1;
                    hits[si] += u64::from(m.is_some());
                }
            }
        }
        let mut order: Vec<usize> = (0..n).filter(|&i| reach[i] > 0).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(nanos[i]));
        let total: u128 = nanos.iter().sum();
        eprintln!(
            "{} files: candidates {} µs/file, matcher {} µs/file, {} signature tries/file",
            files.len(),
            guard_nanos / 1000 / files.len() as u128,
            total / 1000 / files.len() as u128,
            reach.iter().sum::<u64>() as f64 / files.len() as f64
        );
        for &i in order.iter().take(25) {
            let s = &r.sigs[i];
            let kind = match (&s.bof_prefix, s.guards.first()) {
                (Some(_), _) => "prefix",
                (None, None) => "unguarded",
                (None, Some(g)) if g.is_direct() => "direct",
                _ => "scanned",
            };
            eprintln!(
                "sig {:5} {:9} reached {:5} matched {:5} {:8} µs total  guards {:?}",
                s.id,
                kind,
                reach[i],
                hits[i],
                nanos[i] / 1000,
                s.guards
                    .iter()
                    .map(|g| match (g.direct_literal(), g) {
                        (Some((p, l, reach)), _) => format!("{p:?} {l:02X?} reach {reach}"),
                        (
                            None,
                            guard::Guard::AnyIn {
                                place, lo, reach, ..
                            },
                        ) => {
                            format!("any-of {place:?} {lo}..{reach:?}")
                        }
                        _ => format!("scanned {:?}", g.scan_reach()),
                    })
                    .collect::<Vec<_>>()
            );
        }
    }

    /// Census of the direct guards (`VAS_CENSUS_DIRS` as for `candidate_census`): per
    /// signature checked on every file, the time its direct guards took, how often they
    /// passed, and its first guard's literal and range. Run in release with `--ignored
    /// --nocapture`.
    #[test]
    #[ignore]
    fn direct_guard_census() {
        let Some(datas) = census_data() else {
            return;
        };
        let r = FormatRegistry::bundled().unwrap();
        let n = r.sigs.len();
        let (mut nanos, mut passed) = (vec![0u128; n], vec![0u64; n]);
        let mut sc = Scratch::default();
        let t0 = std::time::Instant::now();
        for data in &datas {
            let w = Windows::of_bytes2(data, r.bof_window, r.eof_window);
            r.candidates_in(&w, &mut sc);
        }
        let cand = t0.elapsed().as_nanos();
        for data in &datas {
            let w = Windows::of_bytes2(data, r.bof_window, r.eof_window);
            let whole = w.size <= w.bof.len() as u64;
            let seen = guard::Seen {
                bof: w.bof,
                eof: w.eof,
                whole,
                bof_occ: &[],
                eof_occ: None,
            };
            for &si in &r.direct_always {
                let s = &r.sigs[si as usize];
                let t = std::time::Instant::now();
                let ok = s
                    .guards
                    .iter()
                    .take_while(|g| g.is_direct())
                    .all(|g| g.passes(&seen));
                nanos[si as usize] += t.elapsed().as_nanos();
                passed[si as usize] += u64::from(ok);
            }
        }
        let total: u128 = nanos.iter().sum();
        let nf = datas.len() as u128;
        eprintln!(
            "{} files: candidates_in {} ns/file; direct guards (timed one by one) {} ns/file over {} signatures",
            nf,
            cand / nf,
            total / nf,
            r.direct_always.len()
        );
        let mut order: Vec<u32> = r.direct_always.clone();
        order.sort_by_key(|&i| std::cmp::Reverse(nanos[i as usize]));
        // Every direct guard of these signatures on its own: time and passes.
        let describe = |g: &guard::Guard| match g {
            guard::Guard::Direct {
                place,
                lo,
                hi,
                finder,
                ..
            } => format!("{place:?} {:02X?} {lo}..={hi}", finder.needle()),
            guard::Guard::AnyIn {
                place, lo, reach, ..
            } => format!("any-of {place:?} {lo}..{reach:?}"),
            _ => "scanned".into(),
        };
        let wins: Vec<Windows> = datas
            .iter()
            .map(|d| Windows::of_bytes2(d, r.bof_window, r.eof_window))
            .collect();
        let seens: Vec<guard::Seen> = wins
            .iter()
            .map(|w| guard::Seen {
                bof: w.bof,
                eof: w.eof,
                whole: w.size <= w.bof.len() as u64,
                bof_occ: &[],
                eof_occ: None,
            })
            .collect();
        let mut each: Vec<(u32, usize, u128, u64)> = Vec::new();
        for &si in &r.direct_always {
            for (gi, g) in r.sigs[si as usize].guards.iter().enumerate() {
                if !g.is_direct() {
                    continue;
                }
                let mut pass = 0u64;
                let t = std::time::Instant::now();
                for seen in &seens {
                    pass += u64::from(g.passes(seen));
                }
                each.push((si, gi, t.elapsed().as_nanos(), pass));
            }
        }
        let first_cost = |si: u32| each.iter().find(|e| e.0 == si).map_or(0, |e| e.2);
        order.sort_by_key(|&si| std::cmp::Reverse(first_cost(si)));
        eprintln!(
            "sum of first guards {} ns/file",
            order.iter().map(|&si| first_cost(si)).sum::<u128>() / nf
        );
        for &si in order.iter() {
            let s = &r.sigs[si as usize];
            let gs: Vec<String> = each
                .iter()
                .filter(|e| e.0 == si)
                .map(|e| {
                    format!(
                        "[{} {} ns pass {}]",
                        describe(&s.guards[e.1]),
                        e.2 / nf,
                        e.3
                    )
                })
                .collect();
            eprintln!(
                "sig {:5} {:6} ns/file passed {:5} ({} guards) {}",
                s.id,
                nanos[si as usize] / nf,
                passed[si as usize],
                s.guards.len(),
                gs.join(" ")
            );
        }
    }

    /// Experiment (`VAS_CENSUS_DIRS`): the wide group checks by `memmem`, against one
    /// Teddy scan of their literals of three bytes or more.
    #[test]
    #[ignore]
    fn wide_check_experiment() {
        let Some(datas) = census_data() else {
            return;
        };
        let r = FormatRegistry::bundled().unwrap();
        let wide: Vec<&GroupCheck> = r
            .group_checks
            .iter()
            .filter(|c| c.finder != u32::MAX)
            .collect();
        let lit = |c: &GroupCheck| r.group_lits[c.lit.0 as usize..c.lit.1 as usize].to_vec();
        let mut lits: Vec<Vec<u8>> = wide
            .iter()
            .map(|c| lit(c))
            .filter(|l| l.len() >= 3)
            .collect();
        lits.sort();
        lits.dedup();
        eprintln!(
            "{} wide checks, {} literals of 3 bytes or more",
            wide.len(),
            lits.len()
        );
        for rep in 0..3 {
            let t = std::time::Instant::now();
            let mut pass = 0usize;
            for d in &datas {
                let w = Windows::of_bytes2(d, r.bof_window, r.eof_window);
                let seen = guard::Seen {
                    bof: w.bof,
                    eof: w.eof,
                    whole: w.size <= w.bof.len() as u64,
                    bof_occ: &[],
                    eof_occ: None,
                };
                for c in &wide {
                    let l = lit(c);
                    pass += usize::from(guard::direct_check(
                        c.place,
                        &l,
                        c.lo,
                        c.hi,
                        r.group_finders.get(c.finder as usize),
                        &seen,
                    ));
                }
            }
            let memmem_ns = t.elapsed().as_nanos() / datas.len() as u128;
            let mut times = Vec::new();
            for k in [32usize, 64, lits.len()] {
                let sub: Vec<Vec<u8>> = lits.iter().take(k).cloned().collect();
                let n = sub.len();
                let f = prefilter::LitFilter::with_ids(sub, (0..n as u32).collect());
                let mut occ = vec![prefilter::Occ::NONE; n];
                let t = std::time::Instant::now();
                let mut seen = 0usize;
                for d in &datas {
                    occ.fill(prefilter::Occ::NONE);
                    f.scan_occ_range(d, 0, 4600, &mut occ);
                    seen += occ.iter().filter(|o| o.seen()).count();
                }
                times.push((k, t.elapsed().as_nanos() / datas.len() as u128, seen));
            }
            eprintln!(
                "rep {rep}: memmem of the wide checks {memmem_ns} ns/file ({pass} passes); scans (literals, ns/file, seen) {times:?}"
            );
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 48,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]
            /// The optimised matching (prefix tries, one-pass direct-guard scan, core scan,
            /// guards) finds exactly what matching every signature finds, on random files
            /// carrying several signatures' literals (prefixes, guard literals, scanned
            /// literals, the literals of alternatives joined to the literal before them) at
            /// the edges of their ranges, one byte outside them and inside: hits happen, near
            /// misses too.
            #[test]
            fn shortcuts_agree_with_every_signature(
                seed in any::<u64>(),
                size in prop_oneof![0usize..600, 600usize..5000, 60_000usize..140_000],
                picks in proptest::collection::vec(
                    (any::<proptest::sample::Index>(), 0usize..5, any::<proptest::sample::Index>()),
                    1..12,
                ),
            ) {
                let r = FormatRegistry::bundled().unwrap();
                let lits = shortcut_literals(&r);
                let mut rng = Rng(seed | 1);
                let mut data = rng.bytes(size);
                for (which, edge, at) in picks {
                    let (place, lit, lo, hi) = &lits[which.index(lits.len())];
                    let d = match edge {
                        0 => *lo,
                        1 => *hi,
                        2 => hi + 1,
                        3 => lo.saturating_sub(1),
                        _ => lo + at.index(hi - lo + 1),
                    };
                    let n = data.len();
                    let start = match place {
                        guard::Place::Bof => Some(d),
                        guard::Place::Eof => n.checked_sub(d + lit.len()),
                        guard::Place::Any => Some(at.index(n.max(1))),
                    };
                    if let Some(a) = start.filter(|a| a + lit.len() <= n) {
                        data[a..a + lit.len()].copy_from_slice(lit);
                    }
                }
                assert_same_matches(&r, &data, "proptest");
            }
        }
    }

    /// Most signatures without a BOF prefix get a guard; prints the figures (run with
    /// `--nocapture`).
    #[test]
    fn most_unprefixed_signatures_are_guarded() {
        let r = FormatRegistry::bundled().unwrap();
        let mut direct_only = 0;
        let mut scanned = 0;
        let mut none = Vec::new();
        for &si in &r.unprefixed() {
            let s = &r.sigs[si as usize];
            if s.guards.is_empty() {
                none.push(s.id);
            } else if s.guards.iter().all(|g| g.is_direct()) {
                direct_only += 1;
            } else {
                scanned += 1;
            }
        }
        let lens: Vec<usize> = r.prefilter.literals().iter().map(Vec::len).collect();
        eprintln!(
            "{} signatures, {} without BOF prefix: {direct_only} direct guards only, {scanned} \
             with a scanned literal, {} unguarded {:?}; {} scanned literals (lengths {:?}), \
             windows {:?}",
            r.sigs.len(),
            r.unprefixed().len(),
            none.len(),
            none,
            lens.len(),
            lens,
            r.window_sizes()
        );
        assert!(
            none.len() * 5 < r.unprefixed().len(),
            "{} unguarded",
            none.len()
        );
    }

    /// The registry decoded from the precompiled blob (`bundled`) is the one compiled from the
    /// bundled XML files: every field (the debug form of the whole registry, hash maps
    /// compared sorted), and the same identification of the format corpus.
    #[test]
    fn precompiled_registry_equals_the_xml_one() {
        let sig = to_text(BUNDLED_SIGNATURES.to_vec(), "bundled signature file").unwrap();
        let con = to_text(BUNDLED_CONTAINERS.to_vec(), "bundled container file").unwrap();
        let mut x = FormatRegistry::from_xml(&sig, Some(&con)).unwrap();
        let (s, c) = precompiled::decode(BUNDLED_PRECOMPILED).unwrap();
        let mut b = FormatRegistry::from_raw(s, c).unwrap();
        fn sorted<V: Clone + Ord>(m: &HashMap<String, V>) -> Vec<(String, V)> {
            let mut v: Vec<_> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            v.sort();
            v
        }
        assert_eq!(sorted(&x.by_puid), sorted(&b.by_puid));
        assert_eq!(sorted(&x.by_ext), sorted(&b.by_ext));
        assert!(x.by_puid.len() > 1500 && x.by_ext.len() > 1000);
        let bundled = FormatRegistry::bundled().unwrap();
        for (name, data) in format_corpus::corpus() {
            let want = serde_json::to_string(&x.identify_bytes(&data, Some(&name))).unwrap();
            let got = serde_json::to_string(&bundled.identify_bytes(&data, Some(&name))).unwrap();
            assert_eq!(got, want, "{name}");
        }
        for r in [&mut x, &mut b] {
            r.by_puid.clear();
            r.by_ext.clear();
        }
        let (dx, db) = (format!("{x:?}"), format!("{b:?}"));
        assert!(dx.len() > 1_000_000, "{} bytes of debug output", dx.len());
        assert!(dx == db, "the precompiled registry differs from the XML's");
        assert_eq!(format!("{:?}", bundled.sigs), format!("{:?}", x.sigs));
    }

    #[test]
    fn bundled_loads() {
        let r = FormatRegistry::bundled().unwrap();
        assert!(r.formats().len() > 1500);
        assert!(!r.containers.is_empty());
        assert!(!r.triggers.is_empty());
    }
}
