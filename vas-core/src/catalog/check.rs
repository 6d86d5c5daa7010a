//! Agreement between the catalog's derived tables and its documents.
//!
//! Everything in the catalog but the unit and group documents is derived from them
//! ([`Catalog::rebuild`] recomputes it). [`Catalog::derived_problems`] checks, without
//! changing anything, that the derived rows still say what the documents say: the `unit`
//! columns that searches and the register use (originating agency, operation, object
//! group), the `object` rows (one per object of every group document, with the same
//! usage, version, size, digest, algorithm, format, storage key and adding operation),
//! and the accession register (recounted from the units, groups and objects).

use std::collections::BTreeMap;

use rusqlite::params;

use super::{Catalog, ObjectGroupRecord, UnitRecord, db_err};
use crate::error::Result;

/// An `object` row as the catalog stores it, keyed by object id.
#[derive(Debug, PartialEq)]
struct ObjectRow {
    group: String,
    usage: String,
    version: i64,
    size: i64,
    digest: String,
    algorithm: String,
    format: Option<String>,
    storage_key: Option<String>,
    /// The adding operation when it is not the group's own.
    opi: Option<String>,
}

/// One register line's counts: units, object groups, objects, bytes.
type Counts = [i64; 4];

impl Catalog {
    /// Where the catalog's derived rows of `tenant` disagree with its unit and group
    /// documents, one plain-English line per disagreement (empty when they agree).
    ///
    /// Checked: each unit's `originating_agency`, `opi` and `og` columns against its
    /// document; the `object` rows against the objects of the group documents (missing,
    /// extra or different rows, including the operation that added each object); and
    /// every accession-register line against the counts recomputed from the units,
    /// groups and objects (lines whose counts are all zero count as absent). A
    /// disagreement means the catalog was changed behind the library's back or a write
    /// was lost; [`Catalog::rebuild`] recomputes the derived rows from the documents.
    /// [`crate::archive::Archive::verify`] reports these lines among its problems.
    pub fn derived_problems(&self, tenant: u32) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut register: BTreeMap<(String, String), Counts> = BTreeMap::new();
        let mut count = |agency: &Option<String>, opi: &Option<String>, i: usize, n: i64| {
            let line = register
                .entry((
                    agency.clone().unwrap_or_default(),
                    opi.clone().unwrap_or_default(),
                ))
                .or_default();
            line[i] = line[i].saturating_add(n);
        };

        // Units: the indexed columns against the documents.
        let mut st = self
            .conn
            .prepare(
                "SELECT u.id, u.originating_agency, u.opi, u.og, d.doc FROM unit u
                 JOIN unit_doc d ON d.rid = u.rid WHERE u.tenant = ?1 ORDER BY u.id",
            )
            .map_err(db_err)?;
        type UnitRow = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<UnitRow> = st
            .query_map(params![tenant], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .and_then(|it| it.collect())
            .map_err(db_err)?;
        for (id, agency, opi, og, doc) in rows {
            let Some(rec) = parse(&doc, "unit", &id, UnitRecord::from_document, &mut problems)
            else {
                continue;
            };
            compare_columns(
                "unit",
                &id,
                &[
                    ("originating agency", &agency, &rec.originating_agency),
                    ("operation", &opi, &rec.operation_id),
                    ("object group", &og, &rec.object_group_id),
                ],
                &mut problems,
            );
            count(&rec.originating_agency, &rec.operation_id, 0, 1);
        }

        // Object rows of the tenant's groups.
        let mut st = self
            .conn
            .prepare(
                "SELECT o.id, g.id, o.usage, o.version, o.size, o.digest, o.algorithm, o.format,
                        o.storage_key, o.opi
                 FROM object o JOIN object_group g ON g.rid = o.grp WHERE g.tenant = ?1",
            )
            .map_err(db_err)?;
        let mut rows: BTreeMap<String, ObjectRow> = st
            .query_map(params![tenant], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    ObjectRow {
                        group: r.get(1)?,
                        usage: r.get(2)?,
                        version: r.get(3)?,
                        size: r.get(4)?,
                        digest: r.get(5)?,
                        algorithm: r.get(6)?,
                        format: r.get(7)?,
                        storage_key: r.get(8)?,
                        opi: r.get(9)?,
                    },
                ))
            })
            .and_then(|it| it.collect())
            .map_err(db_err)?;

        // Groups: the documents' objects against the rows.
        let mut st = self
            .conn
            .prepare("SELECT id, originating_agency, opi, doc FROM object_group WHERE tenant = ?1 ORDER BY id")
            .map_err(db_err)?;
        type GroupRow = (String, Option<String>, Option<String>, String);
        let groups: Vec<GroupRow> = st
            .query_map(params![tenant], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .and_then(|it| it.collect())
            .map_err(db_err)?;
        for (id, agency, opi, doc) in groups {
            let Some(g) = parse(
                &doc,
                "object group",
                &id,
                ObjectGroupRecord::from_document,
                &mut problems,
            ) else {
                continue;
            };
            compare_columns(
                "object group",
                &id,
                &[
                    ("originating agency", &agency, &g.originating_agency),
                    ("operation", &opi, &g.operation_id),
                ],
                &mut problems,
            );
            count(&g.originating_agency, &g.operation_id, 1, 1);
            for o in &g.objects {
                let own = o
                    .operation_id
                    .clone()
                    .filter(|p| Some(p) != g.operation_id.as_ref());
                let size = i64::try_from(o.size).unwrap_or(i64::MAX);
                let expected = ObjectRow {
                    group: g.id.clone(),
                    usage: o.usage.clone(),
                    version: i64::from(o.version),
                    size,
                    digest: o.digest.clone(),
                    algorithm: o.algorithm.clone(),
                    format: o.format_id.clone(),
                    storage_key: o.storage_key.clone(),
                    opi: own.clone(),
                };
                match rows.remove(&o.id) {
                    None => problems.push(format!(
                        "object {} of group {}: no row in the catalog's object index",
                        o.id, g.id
                    )),
                    Some(row) if row != expected => problems.push(format!(
                        "object {} of group {}: the catalog's object index says {row:?}, the group document {expected:?}",
                        o.id, g.id
                    )),
                    Some(_) => {}
                }
                let opi = own.or_else(|| g.operation_id.clone());
                count(&g.originating_agency, &opi, 2, 1);
                count(&g.originating_agency, &opi, 3, size);
            }
        }
        for (oid, row) in rows {
            problems.push(format!(
                "object {oid}: the catalog's object index lists it in group {}, whose document does not",
                row.group
            ));
        }

        // The accession register against the recount.
        let mut st = self
            .conn
            .prepare(
                "SELECT originating_agency, opi, units, object_groups, objects, bytes
                 FROM accession_register WHERE tenant = ?1",
            )
            .map_err(db_err)?;
        let stored: Vec<((String, String), Counts)> = st
            .query_map(params![tenant], |r| {
                Ok((
                    (r.get(0)?, r.get(1)?),
                    [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                ))
            })
            .and_then(|it| it.collect())
            .map_err(db_err)?;
        let mut stored: BTreeMap<(String, String), Counts> = stored.into_iter().collect();
        let describe = |c: &Counts| {
            format!(
                "{} units, {} object groups, {} objects, {} bytes",
                c[0], c[1], c[2], c[3]
            )
        };
        for (line, recount) in register {
            let have = stored.remove(&line).unwrap_or_default();
            if have != recount {
                problems.push(format!(
                    "accession register, agency {:?}, operation {:?}: it says {}, the documents give {}",
                    line.0,
                    line.1,
                    describe(&have),
                    describe(&recount)
                ));
            }
        }
        for (line, have) in stored {
            if have != Counts::default() {
                problems.push(format!(
                    "accession register, agency {:?}, operation {:?}: it says {}, the documents give nothing",
                    line.0,
                    line.1,
                    describe(&have)
                ));
            }
        }
        Ok(problems)
    }
}

/// A stored document read back as a record; `None` (and a problem) when it cannot be.
fn parse<T>(
    doc: &str,
    kind: &str,
    id: &str,
    from_document: impl Fn(&serde_json::Value) -> Result<T>,
    problems: &mut Vec<String>,
) -> Option<T> {
    let read = serde_json::from_str(doc)
        .map_err(|e| e.to_string())
        .and_then(|d| from_document(&d).map_err(|e| e.to_string()));
    read.map_err(|e| problems.push(format!("{kind} {id}: unreadable document: {e}")))
        .ok()
}

/// One problem per indexed column that differs from what the document says.
fn compare_columns(
    kind: &str,
    id: &str,
    columns: &[(&str, &Option<String>, &Option<String>)],
    problems: &mut Vec<String>,
) {
    for (what, column, document) in columns {
        if column != document {
            problems.push(format!(
                "{kind} {id}: the catalog's {what} column says {column:?}, its document {document:?}"
            ));
        }
    }
}
