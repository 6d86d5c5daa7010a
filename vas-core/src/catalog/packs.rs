//! Where the documents of units and object groups are on the offers: the metadata packs of
//! each operation (see `archive::pack`) and, per document, its pack, byte offset, length
//! and SHA-512. Units and groups without a location are in the first per-document layout
//! (`units/<id>.json`, `objectgroups/<id>.json`).

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Catalog, IndexBatch, db_err, index_in};
use crate::error::{Error, Result};

/// The extra tables (created with the others; additive, so older catalogs gain them empty).
pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS pack (
  key TEXT PRIMARY KEY,
  tenant INTEGER NOT NULL,
  opi TEXT NOT NULL,
  size INTEGER NOT NULL,
  digest TEXT NOT NULL,
  entries INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pack_opi ON pack(opi);
CREATE TABLE IF NOT EXISTS doc_location (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  pack TEXT NOT NULL REFERENCES pack(key),
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  digest TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_location_pack ON doc_location(pack, offset);
"#;

/// Whether a packed document is a unit's or an object group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DocKind {
    /// A unit document.
    #[serde(rename = "unit")]
    Unit,
    /// An object-group document.
    #[serde(rename = "objectgroup")]
    ObjectGroup,
}

impl DocKind {
    /// `unit` or `objectgroup` (the pack line's `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Unit => "unit",
            DocKind::ObjectGroup => "objectgroup",
        }
    }

    fn parse(s: &str) -> Result<DocKind> {
        match s {
            "unit" => Ok(DocKind::Unit),
            "objectgroup" => Ok(DocKind::ObjectGroup),
            _ => Err(Error::invalid(format!("unknown document kind {s:?}"))),
        }
    }
}

/// Where one document is: a line of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLocation {
    /// The unit or group system id.
    pub id: String,
    /// Unit or group.
    pub kind: DocKind,
    /// The pack's key on the offers.
    pub pack: String,
    /// Byte offset of the line in the pack.
    pub offset: u64,
    /// Length of the line, without its `\n`.
    pub length: u64,
    /// SHA-512 of the line (hex), checked on every read.
    pub digest: String,
}

/// A metadata pack of one operation, as the catalog records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackRecord {
    /// Its key on the offers.
    pub key: String,
    /// Its tenant.
    pub tenant: u32,
    /// The operation that wrote it.
    pub operation_id: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-512 (hex) of the whole pack, which every offer checks.
    pub digest: String,
    /// Its documents, in pack order.
    pub entries: Vec<DocLocation>,
}

pub(super) fn insert_packs(tx: &Connection, packs: &[PackRecord]) -> Result<()> {
    let mut p = tx
        .prepare_cached(
            "INSERT INTO pack(key, tenant, opi, size, digest, entries) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db_err)?;
    let mut l = tx
        .prepare_cached(
            "INSERT INTO doc_location(id, kind, pack, offset, length, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db_err)?;
    for pk in packs {
        p.execute(params![
            pk.key,
            pk.tenant,
            pk.operation_id,
            pk.size as i64,
            pk.digest,
            pk.entries.len() as i64
        ])
        .map_err(|e| db_err(e).with_id(pk.key.clone()))?;
        for e in &pk.entries {
            l.execute(params![
                e.id,
                e.kind.as_str(),
                e.pack,
                e.offset as i64,
                e.length as i64,
                e.digest
            ])
            .map_err(|x| db_err(x).with_id(e.id.clone()))?;
        }
    }
    Ok(())
}

impl Catalog {
    /// Indexes one batch and records where its documents are (`packs`), in one
    /// transaction: all or nothing.
    pub fn index_with_packs(&self, batch: &IndexBatch, packs: &[PackRecord]) -> Result<()> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        index_in(&tx, batch)?;
        insert_packs(&tx, packs)?;
        tx.commit().map_err(db_err)?;
        self.optimize()
    }

    /// Where the document of unit or group `id` is, `None` when it has no pack location
    /// (first layout, or unknown id).
    pub fn doc_location(&self, id: &str) -> Result<Option<DocLocation>> {
        self.conn
            .prepare_cached(
                "SELECT kind, pack, offset, length, digest FROM doc_location WHERE id = ?1",
            )
            .map_err(db_err)?
            .query_row(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()
            .map_err(db_err)?
            .map(|(kind, pack, offset, length, digest)| {
                Ok(DocLocation {
                    id: id.to_string(),
                    kind: DocKind::parse(&kind)?,
                    pack,
                    offset: offset as u64,
                    length: length as u64,
                    digest,
                })
            })
            .transpose()
    }

    /// Every pack of `tenant` with its documents, in key order.
    pub fn packs(&self, tenant: u32) -> Result<Vec<PackRecord>> {
        let mut out: Vec<PackRecord> = Vec::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT key, opi, size, digest FROM pack WHERE tenant = ?1 ORDER BY key")
                .map_err(db_err)?;
            let rows = st
                .query_map(params![tenant], |r| {
                    Ok(PackRecord {
                        key: r.get(0)?,
                        tenant,
                        operation_id: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                        digest: r.get(3)?,
                        entries: Vec::new(),
                    })
                })
                .map_err(db_err)?;
            for r in rows {
                out.push(r.map_err(db_err)?);
            }
        }
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, kind, offset, length, digest FROM doc_location WHERE pack = ?1 ORDER BY offset",
            )
            .map_err(db_err)?;
        for p in &mut out {
            let rows = st
                .query_map(params![p.key], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(db_err)?;
            for r in rows {
                let (id, kind, offset, length, digest) = r.map_err(db_err)?;
                p.entries.push(DocLocation {
                    id,
                    kind: DocKind::parse(&kind)?,
                    pack: p.key.clone(),
                    offset: offset as u64,
                    length: length as u64,
                    digest,
                });
            }
        }
        Ok(out)
    }
}
