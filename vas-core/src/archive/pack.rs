//! Metadata packs: the unit and object-group documents of one ingest, with their lifecycles,
//! written as a few JSON-Lines objects per operation instead of one object per document.
//!
//! A pack is the key `<prefix>packs/<operation>/<part>.jsonl` (`part` from `0000`) on every
//! offer. Its first line is a header, `{"vas-pack":1,"operation":…,"tenant":…,"part":…}`;
//! each following line is one document:
//! `{"#id":…,"kind":"unit"|"objectgroup","document":…,"lifecycle":[…],"seda":{…}}` (the
//! same `document`, `lifecycle` and `seda` members a per-document object of the first layout
//! held). Lines never contain a raw newline (JSON escapes them), so a line is found by its
//! byte offset and length, which the catalog keeps with its SHA-512; the catalog also keeps
//! each pack's SHA-512 and size, which every offer verifies on write and audit.

use serde_json::Value;

use crate::catalog::{DocKind, DocLocation, PackRecord};
use crate::digest::{DigestAlgorithm, digest_bytes};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::Fixity;

/// The pack format version written in each header.
pub(crate) const PACK_FORMAT: u64 = 1;

/// A pack is closed once it holds this many bytes (a few packs per large operation keep
/// memory bounded; each costs one write and one fsync per offer).
pub(crate) const PACK_MAX_BYTES: usize = 32 << 20;

/// The key of part `part` of operation `op`'s pack.
pub(crate) fn pack_key(prefix: &str, op: &str, part: usize) -> String {
    format!("{prefix}packs/{op}/{part:04}.jsonl")
}

/// The listing prefix of every pack of a tenant.
pub(crate) fn packs_prefix(prefix: &str) -> String {
    format!("{prefix}packs/")
}

/// A pack being filled, then closed into bytes and the catalog's record of them.
pub(crate) struct PackBuilder {
    prefix: String,
    op: String,
    tenant: u32,
    done: Vec<(PackRecord, Vec<u8>)>,
    buf: Vec<u8>,
    entries: Vec<DocLocation>,
}

impl PackBuilder {
    pub(crate) fn new(prefix: &str, op: &str, tenant: u32) -> PackBuilder {
        let mut b = PackBuilder {
            prefix: prefix.to_string(),
            op: op.to_string(),
            tenant,
            done: Vec::new(),
            buf: Vec::new(),
            entries: Vec::new(),
        };
        b.start();
        b
    }

    fn start(&mut self) {
        let header = serde_json::json!({
            "vas-pack": PACK_FORMAT,
            "operation": self.op,
            "tenant": self.tenant,
            "part": self.done.len(),
        });
        self.buf.clear();
        self.buf.extend_from_slice(
            serde_json::to_string(&header)
                .unwrap_or_default()
                .as_bytes(),
        );
        self.buf.push(b'\n');
    }

    /// Appends one document line; `write` writes its members after `"kind":…,` (the
    /// `document`, `lifecycle` and `seda` members, comma-separated, no trailing comma).
    pub(crate) fn push(
        &mut self,
        kind: DocKind,
        id: &str,
        write: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let start = self.buf.len();
        self.buf.extend_from_slice(b"{\"#id\":");
        serde_json::to_writer(&mut self.buf, id).map_err(|e| Error::internal(e.to_string()))?;
        self.buf.extend_from_slice(b",\"kind\":\"");
        self.buf.extend_from_slice(kind.as_str().as_bytes());
        self.buf.extend_from_slice(b"\",");
        write(&mut self.buf)?;
        self.buf.push(b'}');
        let end = self.buf.len();
        if self.buf[start..end].contains(&b'\n') {
            return Err(Error::internal(format!(
                "document {id}: a pack line would contain a newline"
            )));
        }
        self.buf.push(b'\n');
        self.entries.push(DocLocation {
            id: id.to_string(),
            kind,
            pack: pack_key(&self.prefix, &self.op, self.done.len()),
            offset: start as u64,
            length: (end - start) as u64,
            digest: digest_bytes(DigestAlgorithm::Sha512, &self.buf[start..end]),
        });
        if self.buf.len() >= PACK_MAX_BYTES {
            self.close();
        }
        Ok(())
    }

    fn close(&mut self) {
        if self.entries.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.buf);
        let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, &bytes);
        let rec = PackRecord {
            key: pack_key(&self.prefix, &self.op, self.done.len()),
            tenant: self.tenant,
            operation_id: self.op.clone(),
            size: fx.size,
            digest: fx.digest,
            entries: std::mem::take(&mut self.entries),
        };
        self.done.push((rec, bytes));
        self.start();
    }

    /// The keys the packs will have once [`finish`](Self::finish)ed (for the journal,
    /// written before any of them).
    pub(crate) fn finish(mut self) -> Vec<(PackRecord, Vec<u8>)> {
        self.close();
        self.done
    }
}

/// Writes a `"name":value` member (and the comma before it unless `first`).
pub(crate) fn member(
    out: &mut Vec<u8>,
    first: bool,
    name: &str,
    value: &impl serde::Serialize,
) -> Result<()> {
    if !first {
        out.push(b',');
    }
    serde_json::to_writer(&mut *out, name).map_err(|e| Error::internal(e.to_string()))?;
    out.push(b':');
    serde_json::to_writer(&mut *out, value).map_err(|e| Error::internal(e.to_string()))
}

/// Writes a `"name":text` member whose value `text` is already JSON (and the comma before
/// it unless `first`).
pub(crate) fn member_raw(out: &mut Vec<u8>, first: bool, name: &str, text: &str) {
    if !first {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(text.as_bytes());
}

/// One document line read back from a pack.
#[derive(Debug)]
pub(crate) struct PackLine {
    pub kind: DocKind,
    pub id: String,
    /// `{"document", "lifecycle", "seda"}` (the per-document layout's object).
    pub doc: Value,
    pub offset: u64,
    pub length: u64,
    pub digest: String,
}

fn corrupt(key: &str, msg: String) -> Error {
    Error::new(ErrorKind::Corrupt, format!("pack {key}: {msg}")).with_id(key.to_string())
}

/// Parses a whole pack (header checked against `op` when given).
pub(crate) fn parse_pack(key: &str, bytes: &[u8]) -> Result<(Value, Vec<PackLine>)> {
    let mut lines = Vec::new();
    let mut header = None;
    let mut start = 0usize;
    while start < bytes.len() {
        let end = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start + i,
            None => return Err(corrupt(key, format!("unterminated line at byte {start}"))),
        };
        let line = &bytes[start..end];
        if header.is_none() {
            let h: Value =
                serde_json::from_slice(line).map_err(|e| corrupt(key, format!("header: {e}")))?;
            if h.get("vas-pack").and_then(Value::as_u64) != Some(PACK_FORMAT) {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("pack {key}: not a vas pack of format {PACK_FORMAT}: {h}"),
                )
                .with_id(key.to_string()));
            }
            header = Some(h);
        } else {
            lines.push(parse_line(key, line, start as u64)?);
        }
        start = end + 1;
    }
    let header = header.ok_or_else(|| corrupt(key, "empty".into()))?;
    Ok((header, lines))
}

/// Parses one document line found at `offset`.
pub(crate) fn parse_line(key: &str, line: &[u8], offset: u64) -> Result<PackLine> {
    let mut v: Value = serde_json::from_slice(line)
        .map_err(|e| corrupt(key, format!("line at byte {offset}: {e}")))?;
    let m = v
        .as_object_mut()
        .ok_or_else(|| corrupt(key, format!("line at byte {offset} is not an object")))?;
    let id = match m.remove("#id") {
        Some(Value::String(s)) => s,
        _ => return Err(corrupt(key, format!("line at byte {offset} has no #id"))),
    };
    let kind = match m.remove("kind").as_ref().and_then(Value::as_str) {
        Some("unit") => DocKind::Unit,
        Some("objectgroup") => DocKind::ObjectGroup,
        other => {
            return Err(corrupt(
                key,
                format!("line at byte {offset}: unknown kind {other:?}"),
            ));
        }
    };
    Ok(PackLine {
        kind,
        id,
        doc: v,
        offset,
        length: line.len() as u64,
        digest: digest_bytes(DigestAlgorithm::Sha512, line),
    })
}
