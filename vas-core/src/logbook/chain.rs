//! Append-only hash-chained JSON Lines files.
//!
//! # File format (`vas-logbook-chain-v1`)
//! One entry per line, UTF-8, each line ending with `\n`:
//! `{"seq":N,"prev":"<hex>","hash":"<hex>","entry":{…}}`
//! - `seq`: 0, 1, 2 … in file order;
//! - `prev`: the `hash` of entry `seq - 1`, or 128 `0`s for entry 0;
//! - `hash`: lower-case hex of
//!   `SHA-512("vas-logbook-chain-v1\n" ‖ seq in decimal ‖ "\n" ‖ prev ‖ "\n" ‖ canonical(entry))`.
//!
//! `canonical(entry)` is the entry's JSON with no insignificant white space, object members
//! sorted by their names compared as UTF-16 code units (as RFC 8785, JCS), strings escaped
//! minimally (`\"`, `\\`, `\b \f \n \r \t`, other controls as `\u00xx` lower-case, nothing
//! else escaped), integers in plain decimal, other numbers in the shortest form that reads
//! back the same (what serde_json writes; equal to JCS for every integer and most decimals).
//! See [`canonical_json`]. Any implementation can re-verify a chain from this paragraph.
//!
//! # Crash safety
//! An append writes the whole line with one `write` call and then `fsync`s the file; a
//! writer holds an exclusive lock on the file. A crash can leave at most a torn last line
//! (no final `\n`, or not a valid entry): [`Chain::open`] detects it, moves its bytes to
//! `<file>.torn-<offset>` and truncates the file to the last complete entry, and reports it
//! through [`Chain::recovered`]. [`verify_file`] (read-only) reports it as an issue.
//!
//! ```
//! use serde_json::json;
//! use vas_core::logbook::chain::{Chain, verify_file};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("operations.jsonl");
//! let mut chain = Chain::open(&path).unwrap();
//! chain.append(&json!({"evType": "PROCESS_SIP_UNITARY", "outcome": "OK"})).unwrap();
//! chain.append(&json!({"evType": "ELIMINATION_ACTION", "outcome": "OK"})).unwrap();
//! drop(chain);
//! let report = verify_file(&path).unwrap();
//! assert!(report.is_ok());
//! assert_eq!(report.entries, 2);
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha512};

use crate::error::{Error, ErrorKind, Result};

/// The `prev` of the first entry.
pub const GENESIS: &str = "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

const DOMAIN: &[u8] = b"vas-logbook-chain-v1\n";

/// Writes `v` in the canonical form described in the [module documentation](self).
///
/// ```
/// use serde_json::json;
/// let v = json!({"b": 1, "a": [true, null, "é\n"], "A": {"z": 1.5, "y": -2}});
/// assert_eq!(vas_core::logbook::chain::canonical_json(&v),
///            r#"{"A":{"y":-2,"z":1.5},"a":[true,null,"é\n"],"b":1}"#);
/// ```
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(&m[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The hash of an entry at `seq` after `prev` (see the [module documentation](self)).
pub fn entry_hash(seq: u64, prev: &str, entry: &Value) -> String {
    canonical_hash(seq, prev, &canonical_json(entry))
}

/// [`entry_hash`] of an entry given as its [`canonical_json`] text.
fn canonical_hash(seq: u64, prev: &str, canonical: &str) -> String {
    let mut h = Sha512::new();
    h.update(DOMAIN);
    h.update(seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

/// One line of a chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainEntry {
    /// Position in the chain, from 0.
    pub seq: u64,
    /// Hash of the previous entry.
    pub prev: String,
    /// Hash of this entry.
    pub hash: String,
    /// The entry.
    pub entry: Value,
}

impl ChainEntry {
    /// Whether `hash` is the hash of (`seq`, `prev`, `entry`).
    pub fn self_consistent(&self) -> bool {
        entry_hash(self.seq, &self.prev, &self.entry) == self.hash
    }
}

/// The last entry of a chain: what an external anchor records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// Number of entries (the next `seq`).
    pub count: u64,
    /// Hash of the last entry ([`GENESIS`] when empty).
    pub hash: String,
}

/// A torn last line removed on open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Byte offset where it started (the file's new length).
    pub offset: u64,
    /// Its length in bytes.
    pub bytes: u64,
    /// Where its bytes were saved.
    pub saved_to: Option<PathBuf>,
}

/// What is wrong with one place of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IssueKind {
    /// The line is not a chain entry (not JSON, or missing fields).
    Malformed,
    /// The entry's content does not match its hash: it was altered after being written.
    Altered,
    /// The entry does not link to the hash of the entry before it: its predecessor was
    /// replaced (altered and re-hashed), or this entry was forged.
    BrokenLink,
    /// Entries with these `seq` are missing (deleted).
    Missing {
        /// First missing seq.
        from: u64,
        /// Last missing seq.
        to: u64,
    },
    /// The entry is not at its place in the file (entries were moved).
    Reordered,
    /// An entry that is not part of the chain (a duplicate `seq` nobody links to).
    Inserted,
    /// The last line is incomplete (a crash during an append).
    TornTail,
    /// The chain does not contain an anchored or sealed entry (truncated or rewritten).
    AnchorMismatch,
}

/// One problem found by verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Line index in the file, from 0 (for `Missing`: where the entries should be).
    pub position: u64,
    /// The entry's `seq`, when readable.
    pub seq: Option<u64>,
    /// What.
    pub kind: IssueKind,
    /// Human-readable detail.
    pub detail: String,
}

/// The result of [`verify_file`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Lines read.
    pub entries: u64,
    /// Problems, by position.
    pub issues: Vec<Issue>,
    /// The head as found in the file (last readable entry).
    #[serde(skip)]
    pub head: ChainHead,
}

impl VerifyReport {
    /// No issue.
    pub fn is_ok(&self) -> bool {
        self.issues.is_empty()
    }
}

/// A chain file open for appending.
#[derive(Debug)]
pub struct Chain {
    path: PathBuf,
    file: File,
    head: ChainHead,
    recovered: Option<TornTail>,
}

fn io_err(e: std::io::Error, path: &Path) -> Error {
    Error::from(e).or_path(path)
}

/// Splits file bytes into lines: (start offset, bytes without `\n`, complete?).
fn lines(data: &[u8]) -> Vec<(u64, &[u8], bool)> {
    let mut out = Vec::new();
    let mut start = 0usize;
    while start < data.len() {
        match data[start..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                out.push((start as u64, &data[start..start + i], true));
                start += i + 1;
            }
            None => {
                out.push((start as u64, &data[start..], false));
                break;
            }
        }
    }
    out
}

fn parse_line(bytes: &[u8]) -> Option<ChainEntry> {
    let e: ChainEntry = serde_json::from_slice(bytes).ok()?;
    let hex_ok = |s: &str| s.len() == 128 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_ok(&e.prev) && hex_ok(&e.hash)).then_some(e)
}

impl Chain {
    /// Opens (creating) a chain for appending; repairs a torn last line (see the module docs).
    /// Another writer holding the file is a `Conflict`.
    pub fn open(path: impl AsRef<Path>) -> Result<Chain> {
        let path = path.as_ref().to_path_buf();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| io_err(e, &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "the logbook chain is open for writing by another process",
                )
                .with_path(&path));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e, &path)),
        }
        let mut data = Vec::new();
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.read_to_end(&mut data))
            .map_err(|e| io_err(e, &path))?;
        let ls = lines(&data);
        let mut recovered = None;
        let mut head = ChainHead {
            count: 0,
            hash: GENESIS.to_string(),
        };
        if let Some(&(offset, bytes, complete)) = ls.last() {
            let last_ok = complete && parse_line(bytes).is_some();
            if !last_ok {
                let saved = path.with_file_name(format!(
                    "{}.torn-{offset}",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                ));
                let saved_to = std::fs::write(&saved, &data[offset as usize..])
                    .ok()
                    .map(|_| saved);
                file.set_len(offset).map_err(|e| io_err(e, &path))?;
                file.sync_all().map_err(|e| io_err(e, &path))?;
                recovered = Some(TornTail {
                    offset,
                    bytes: data.len() as u64 - offset,
                    saved_to,
                });
            }
        }
        // Head: the last complete, parseable entry.
        let complete: Vec<_> = match &recovered {
            Some(_) => ls[..ls.len().saturating_sub(1)].to_vec(),
            None => ls,
        };
        if let Some(e) = complete.iter().rev().find_map(|(_, b, _)| parse_line(b)) {
            head = ChainHead {
                count: e.seq + 1,
                hash: e.hash,
            };
        }
        Ok(Chain {
            path,
            file,
            head,
            recovered,
        })
    }

    /// The torn tail removed when opening, if any.
    pub fn recovered(&self) -> Option<&TornTail> {
        self.recovered.as_ref()
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current head.
    pub fn head(&self) -> &ChainHead {
        &self.head
    }

    /// Appends `entry`, durably (written in one call, then fsync'ed).
    pub fn append(&mut self, entry: &Value) -> Result<ChainEntry> {
        let seq = self.head.count;
        let prev = self.head.hash.clone();
        let hash = entry_hash(seq, &prev, entry);
        let e = ChainEntry {
            seq,
            prev,
            hash,
            entry: entry.clone(),
        };
        let mut line = serde_json::to_vec(&e).map_err(|x| Error::internal(x.to_string()))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|_| self.file.sync_data())
            .map_err(|x| io_err(x, &self.path))?;
        self.head = ChainHead {
            count: seq + 1,
            hash: e.hash.clone(),
        };
        Ok(e)
    }

    /// Appends `entries` in order, durably, with one write and one fsync for all of them
    /// (a crash may leave a prefix of them, the last line possibly torn: reopening removes a
    /// torn line, so the chain stays valid). Returns the new head.
    pub fn append_all(&mut self, entries: &[Value]) -> Result<ChainHead> {
        if entries.is_empty() {
            return Ok(self.head.clone());
        }
        let mut buf = Vec::with_capacity(entries.len() * 512);
        let mut head = self.head.clone();
        for entry in entries {
            let hash = entry_hash(head.count, &head.hash, entry);
            // Serialised field by field (as `ChainEntry`) without cloning the entry.
            line_start(&mut buf, &head, &hash);
            serde_json::to_writer(&mut buf, entry).map_err(|x| Error::internal(x.to_string()))?;
            buf.extend_from_slice(b"}\n");
            head = ChainHead {
                count: head.count + 1,
                hash,
            };
        }
        self.write_lines(&buf, head)
    }

    /// Writes `buf` (whole lines) with one write and one fsync, then makes `head` the head.
    fn write_lines(&mut self, buf: &[u8], head: ChainHead) -> Result<ChainHead> {
        self.file
            .write_all(buf)
            .and_then(|_| self.file.sync_data())
            .map_err(|x| io_err(x, &self.path))?;
        self.head = head;
        Ok(self.head.clone())
    }

    /// [`append_all`](Self::append_all) for entries already in their canonical form (each
    /// the [`canonical_json`] of an entry, computed by the caller, e.g. on several threads):
    /// each is hashed as is and written as the line's `entry` (canonical JSON is JSON, and
    /// reads back as the same value). Same crash guarantees: one write, one fsync.
    pub(crate) fn append_all_canonical(&mut self, entries: &[String]) -> Result<ChainHead> {
        if entries.is_empty() {
            return Ok(self.head.clone());
        }
        let total: usize = entries.iter().map(|e| e.len() + 320).sum();
        let mut buf = Vec::with_capacity(total);
        let mut head = self.head.clone();
        for entry in entries {
            let hash = canonical_hash(head.count, &head.hash, entry);
            line_start(&mut buf, &head, &hash);
            buf.extend_from_slice(entry.as_bytes());
            buf.extend_from_slice(b"}\n");
            head = ChainHead {
                count: head.count + 1,
                hash,
            };
        }
        self.write_lines(&buf, head)
    }

    /// Every readable entry, in file order (use [`verify_file`] to check them).
    pub fn entries(&self) -> Result<Vec<ChainEntry>> {
        read_entries(&self.path)
    }
}

/// Every readable entry of a chain file, in file order; unreadable lines are skipped.
pub fn read_entries(path: impl AsRef<Path>) -> Result<Vec<ChainEntry>> {
    let path = path.as_ref();
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(e, path)),
    };
    Ok(lines(&data)
        .into_iter()
        .filter(|(_, _, complete)| *complete)
        .filter_map(|(_, b, _)| parse_line(b))
        .collect())
}

/// Re-checks a chain file without modifying it, reporting every altered, missing,
/// reordered, inserted or malformed entry with its position.
pub fn verify_file(path: impl AsRef<Path>) -> Result<VerifyReport> {
    let path = path.as_ref();
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_err(e, path)),
    };
    Ok(verify_bytes(&data))
}

/// [`verify_file`] on bytes.
pub fn verify_bytes(data: &[u8]) -> VerifyReport {
    let ls = lines(data);
    let mut issues = Vec::new();
    // (position, entry, self-consistent)
    let mut parsed: Vec<(u64, ChainEntry, bool)> = Vec::new();
    let n = ls.len();
    for (pos, (_, bytes, complete)) in ls.into_iter().enumerate() {
        let pos = pos as u64;
        if !complete {
            issues.push(Issue {
                position: pos,
                seq: None,
                kind: IssueKind::TornTail,
                detail: format!("incomplete last line ({} bytes)", bytes.len()),
            });
            continue;
        }
        match parse_line(bytes) {
            Some(e) => {
                let ok = e.self_consistent();
                if !ok {
                    issues.push(Issue {
                        position: pos,
                        seq: Some(e.seq),
                        kind: IssueKind::Altered,
                        detail: format!("entry seq {} does not match its hash", e.seq),
                    });
                }
                parsed.push((pos, e, ok));
            }
            None => issues.push(Issue {
                position: pos,
                seq: None,
                kind: IssueKind::Malformed,
                detail: "not a chain entry".into(),
            }),
        }
    }
    let mut by_seq: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, (_, e, _)) in parsed.iter().enumerate() {
        by_seq.entry(e.seq).or_default().push(i);
    }
    // Duplicates: the genuine one is linked to by a successor; the others are inserted.
    let mut inserted: BTreeSet<usize> = BTreeSet::new();
    for (seq, idxs) in &by_seq {
        if idxs.len() < 2 {
            continue;
        }
        let succ_prevs: BTreeSet<&str> = by_seq
            .get(&(seq + 1))
            .into_iter()
            .flatten()
            .map(|&j| parsed[j].1.prev.as_str())
            .collect();
        let genuine = idxs
            .iter()
            .copied()
            .find(|&i| succ_prevs.contains(parsed[i].1.hash.as_str()))
            .unwrap_or(idxs[0]);
        for &i in idxs {
            if i != genuine {
                inserted.insert(i);
                issues.push(Issue {
                    position: parsed[i].0,
                    seq: Some(*seq),
                    kind: IssueKind::Inserted,
                    detail: format!("a second entry with seq {seq}, not part of the chain"),
                });
            }
        }
    }
    // Links.
    for (i, (pos, e, _)) in parsed.iter().enumerate() {
        if inserted.contains(&i) {
            continue;
        }
        let ok = if e.seq == 0 {
            e.prev == GENESIS
        } else {
            match by_seq.get(&(e.seq - 1)) {
                None => true, // reported as Missing
                Some(preds) => preds
                    .iter()
                    .any(|&j| !inserted.contains(&j) && parsed[j].1.hash == e.prev),
            }
        };
        if !ok {
            issues.push(Issue {
                position: *pos,
                seq: Some(e.seq),
                kind: IssueKind::BrokenLink,
                detail: format!(
                    "entry seq {} does not link to the entry seq {} before it (replaced?)",
                    e.seq,
                    e.seq.saturating_sub(1)
                ),
            });
        }
    }
    // Missing seqs.
    if let Some((&max, _)) = by_seq.iter().next_back() {
        let mut s = 0u64;
        while s <= max {
            if !by_seq.contains_key(&s) {
                let from = s;
                while s <= max && !by_seq.contains_key(&s) {
                    s += 1;
                }
                let position = parsed
                    .iter()
                    .find(|(_, e, _)| e.seq > from)
                    .map(|(p, _, _)| *p)
                    .unwrap_or(0);
                issues.push(Issue {
                    position,
                    seq: Some(from),
                    kind: IssueKind::Missing { from, to: s - 1 },
                    detail: format!("entries seq {from}..={} are missing", s - 1),
                });
            } else {
                s += 1;
            }
        }
    }
    // Order: entries outside a longest increasing run of seq were moved.
    let order: Vec<(usize, u64)> = parsed
        .iter()
        .enumerate()
        .filter(|(i, _)| !inserted.contains(i))
        .map(|(i, (_, e, _))| (i, e.seq))
        .collect();
    let keep = lis(&order.iter().map(|(_, s)| *s).collect::<Vec<_>>());
    for (k, (i, seq)) in order.iter().enumerate() {
        if !keep.contains(&k) {
            issues.push(Issue {
                position: parsed[*i].0,
                seq: Some(*seq),
                kind: IssueKind::Reordered,
                detail: format!("entry seq {seq} is out of place"),
            });
        }
    }
    issues.sort_by_key(|i| (i.position, i.seq));
    let head = parsed
        .iter()
        .enumerate()
        .filter(|(i, _)| !inserted.contains(i))
        .map(|(_, p)| p)
        .max_by_key(|(_, e, _)| e.seq)
        .map(|(_, e, _)| ChainHead {
            count: e.seq + 1,
            hash: e.hash.clone(),
        })
        .unwrap_or(ChainHead {
            count: 0,
            hash: GENESIS.to_string(),
        });
    VerifyReport {
        entries: n as u64,
        issues,
        head,
    }
}

/// Indices of one longest strictly increasing subsequence.
fn lis(xs: &[u64]) -> BTreeSet<usize> {
    let mut tails: Vec<usize> = Vec::new(); // indices
    let mut prev: Vec<Option<usize>> = vec![None; xs.len()];
    for i in 0..xs.len() {
        let k = tails.partition_point(|&t| xs[t] < xs[i]);
        if k > 0 {
            prev[i] = Some(tails[k - 1]);
        }
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut out = BTreeSet::new();
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.insert(i);
        cur = prev[i];
    }
    out
}

/// Checks that the chain file holds the entry an anchor (a seal, a head saved elsewhere)
/// recorded: detects truncation and rewriting up to that point.
pub fn check_anchor(entries: &[ChainEntry], anchor: &ChainHead) -> Option<Issue> {
    if anchor.count == 0 {
        return None;
    }
    let seq = anchor.count - 1;
    match entries
        .iter()
        .find(|e| e.seq == seq && e.hash == anchor.hash)
    {
        Some(_) => None,
        None => Some(Issue {
            position: entries.len() as u64,
            seq: Some(seq),
            kind: IssueKind::AnchorMismatch,
            detail: format!(
                "the anchored entry seq {seq} with hash {}… is not in the chain",
                anchor.hash.chars().take(16).collect::<String>()
            ),
        }),
    }
}

/// Merkle root (hex) over entry hashes, Vitam-style: leaves are the 64-byte entry hashes,
/// padded with empty leaves to a power of two; a parent is `SHA-512(left ‖ right)`.
///
/// ```
/// use vas_core::logbook::chain::merkle_root;
/// assert_eq!(merkle_root(&[]).len(), 128);
/// assert_ne!(merkle_root(&["00".repeat(64)]), merkle_root(&["11".repeat(64)]));
/// ```
pub fn merkle_root(hashes: &[String]) -> String {
    let mut level: Vec<Vec<u8>> = hashes
        .iter()
        .map(|h| hex::decode(h).unwrap_or_else(|_| h.as_bytes().to_vec()))
        .collect();
    if level.is_empty() {
        return hex::encode(Sha512::digest(b""));
    }
    let size = level.len().next_power_of_two();
    level.resize(size, Vec::new());
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| {
                let mut h = Sha512::new();
                h.update(&p[0]);
                h.update(&p[1]);
                h.finalize().to_vec()
            })
            .collect();
    }
    hex::encode(&level[0])
}

/// The start of a chain line, as [`ChainEntry`] serialises it, up to its `entry` member:
/// `{"seq":N,"prev":"…","hash":"…","entry":` (the caller writes the entry and `}\n`).
fn line_start(buf: &mut Vec<u8>, head: &ChainHead, hash: &str) {
    buf.extend_from_slice(b"{\"seq\":");
    buf.extend_from_slice(head.count.to_string().as_bytes());
    buf.extend_from_slice(b",\"prev\":\"");
    buf.extend_from_slice(head.hash.as_bytes());
    buf.extend_from_slice(b"\",\"hash\":\"");
    buf.extend_from_slice(hash.as_bytes());
    buf.extend_from_slice(b"\",\"entry\":");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_is_stable() {
        let a = json!({"z": {"b": 2, "a": 1}, "\u{e9}": "\u{1}\"\\/"});
        let b: Value = serde_json::from_str(r#"{"é":"\u0001\"\\/","z":{"a":1,"b":2}}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            "{\"z\":{\"a\":1,\"b\":2},\"é\":\"\\u0001\\\"\\\\/\"}"
        );
        // UTF-16 order: U+FF61 sorts after U+1F600 in UTF-16 (surrogates D83D < FF61)
        let c = json!({"\u{ff61}": 1, "\u{1f600}": 2});
        assert_eq!(canonical_json(&c), "{\"\u{1f600}\":2,\"\u{ff61}\":1}");
        assert_eq!(entry_hash(0, GENESIS, &a), entry_hash(0, GENESIS, &b));
        assert_ne!(entry_hash(1, GENESIS, &a), entry_hash(0, GENESIS, &a));
    }

    #[test]
    fn lis_finds_moved_entries() {
        assert_eq!(lis(&[0, 1, 2, 3]).len(), 4);
        let k = lis(&[0, 1, 3, 2, 4]);
        assert_eq!(k.len(), 4);
        let k = lis(&[0, 5, 1, 2, 3, 4]);
        assert!(!k.contains(&1));
    }
}
