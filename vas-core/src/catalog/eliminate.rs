//! The catalog side of an elimination: the graph the rules engine analyses (the selected
//! units, their ancestors and their descendants) and the removal of units and object groups
//! in one transaction.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{OptionalExtension, params};

use super::{Catalog, db_err, refuse_group_in_use, register_add, remove_group_rows};
use crate::error::{Error, ErrorKind, Result};

/// A unit of the graph an elimination analyses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphUnit {
    /// System id.
    pub id: String,
    /// Direct parents' system ids.
    pub parents: Vec<String>,
    /// `#originating_agency`.
    pub originating_agency: Option<String>,
    /// `#object`.
    pub object_group_id: Option<String>,
    /// `#opi`.
    pub operation_id: Option<String>,
}

/// What [`Catalog::eliminate`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EliminatedCounts {
    /// Units removed.
    pub units: u64,
    /// Object groups removed.
    pub object_groups: u64,
    /// Objects removed (with their groups).
    pub objects: u64,
    /// Bytes of those objects.
    pub bytes: u64,
}

impl Catalog {
    /// The units of `tenant` an elimination of `ids` must look at: `ids` themselves, all
    /// their ancestors (whose rules they inherit) and all their descendants (a unit is
    /// eliminated only with all its children), each with its direct parents. Unknown ids
    /// are left out.
    pub fn elimination_graph(&self, tenant: u32, ids: &[String]) -> Result<Vec<GraphUnit>> {
        let mut rids: BTreeSet<i64> = BTreeSet::new();
        {
            let mut find = self
                .conn
                .prepare_cached("SELECT rid FROM unit WHERE id = ?1 AND tenant = ?2")
                .map_err(db_err)?;
            let mut anc = self
                .conn
                .prepare_cached("SELECT ancestor FROM unit_ancestor WHERE unit = ?1")
                .map_err(db_err)?;
            let mut desc = self
                .conn
                .prepare_cached("SELECT unit FROM unit_ancestor WHERE ancestor = ?1")
                .map_err(db_err)?;
            for id in ids {
                let Some(rid) = find
                    .query_row(params![id, tenant], |r| r.get::<_, i64>(0))
                    .optional()
                    .map_err(db_err)?
                else {
                    continue;
                };
                rids.insert(rid);
                for st in [&mut anc, &mut desc] {
                    let more = st
                        .query_map(params![rid], |r| r.get::<_, i64>(0))
                        .map_err(db_err)?
                        .collect::<rusqlite::Result<Vec<i64>>>()
                        .map_err(db_err)?;
                    rids.extend(more);
                }
            }
        }
        let mut row = self
            .conn
            .prepare_cached("SELECT id, originating_agency, og, opi FROM unit WHERE rid = ?1")
            .map_err(db_err)?;
        let mut parents = self
            .conn
            .prepare_cached(
                "SELECT u.id FROM unit_parent p JOIN unit u ON u.rid = p.parent WHERE p.unit = ?1 ORDER BY u.id",
            )
            .map_err(db_err)?;
        let mut out = Vec::with_capacity(rids.len());
        for rid in rids {
            let (id, originating_agency, object_group_id, operation_id) = row
                .query_row(params![rid], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(db_err)?;
            let parents = parents
                .query_map(params![rid], |r| r.get::<_, String>(0))
                .map_err(db_err)?
                .collect::<rusqlite::Result<Vec<String>>>()
                .map_err(db_err)?;
            out.push(GraphUnit {
                id,
                parents,
                originating_agency,
                object_group_id,
                operation_id,
            });
        }
        Ok(out)
    }

    /// The units (any tenant) whose object is group `group`.
    pub fn units_of_object_group(&self, group: &str) -> Result<Vec<String>> {
        self.conn
            .prepare_cached("SELECT id FROM unit WHERE og = ?1 ORDER BY id")
            .map_err(db_err)?
            .query_map(params![group], |r| r.get::<_, String>(0))
            .map_err(db_err)?
            .collect::<rusqlite::Result<Vec<String>>>()
            .map_err(db_err)
    }

    /// Removes units and object groups in one transaction (all or nothing): their rows,
    /// full-text entries, parent and ancestor links, rule end dates, objects, document
    /// locations, and their counts from the accession register (a register line left at
    /// zero is removed, as a rebuild would not recreate it). Ids no longer in the catalog
    /// are skipped (so that an interrupted elimination can be finished); a unit keeping a
    /// child outside `units`, or a group still the object of a unit outside `units`, is a
    /// `Conflict` and nothing is removed.
    pub fn eliminate(&self, units: &[String], groups: &[String]) -> Result<EliminatedCounts> {
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        let set: BTreeSet<&str> = units.iter().map(String::as_str).collect();
        let mut counts = EliminatedCounts::default();
        let mut touched: BTreeMap<(u32, String, String), ()> = BTreeMap::new();
        let mut present: Vec<i64> = Vec::new();
        for id in units {
            let row: Option<(i64, u32, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT rid, tenant, originating_agency, opi FROM unit WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(db_err)?;
            let Some((rid, tenant, agency, opi)) = row else {
                continue;
            };
            let children: Vec<String> = tx
                .prepare_cached(
                    "SELECT u.id FROM unit_parent p JOIN unit u ON u.rid = p.unit WHERE p.parent = ?1",
                )
                .map_err(db_err)?
                .query_map(params![rid], |r| r.get(0))
                .map_err(db_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err)?;
            if let Some(c) = children.iter().find(|c| !set.contains(c.as_str())) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("unit {id:?} still has child {c:?}, which is not eliminated"),
                )
                .with_id(id.clone()));
            }
            register_add(&tx, tenant, agency.as_deref(), opi.as_deref(), -1, 0, 0, 0)?;
            touched.insert(
                (tenant, agency.unwrap_or_default(), opi.unwrap_or_default()),
                (),
            );
            present.push(rid);
            counts.units += 1;
        }
        for rid in &present {
            tx.execute("DELETE FROM unit_parent WHERE parent = ?1", params![rid])
                .map_err(db_err)?;
            tx.execute(
                "DELETE FROM unit_ancestor WHERE ancestor = ?1",
                params![rid],
            )
            .map_err(db_err)?;
        }
        for rid in &present {
            tx.execute("DELETE FROM unit_fts WHERE rowid = ?1", params![rid])
                .map_err(db_err)?;
            tx.execute(
                "DELETE FROM doc_location WHERE id = (SELECT id FROM unit WHERE rid = ?1)",
                params![rid],
            )
            .map_err(db_err)?;
            tx.execute("DELETE FROM unit WHERE rid = ?1", params![rid])
                .map_err(db_err)?;
        }
        for id in groups {
            refuse_group_in_use(&tx, id)?;
            let Some(g) = remove_group_rows(&tx, id)? else {
                continue;
            };
            for o in &g.object_opis {
                touched.insert(
                    (g.tenant, g.agency.clone().unwrap_or_default(), o.clone()),
                    (),
                );
            }
            touched.insert(
                (
                    g.tenant,
                    g.agency.unwrap_or_default(),
                    g.opi.unwrap_or_default(),
                ),
                (),
            );
            counts.object_groups += 1;
            counts.objects += g.objects as u64;
            counts.bytes += g.bytes as u64;
        }
        for (tenant, agency, opi) in touched.keys() {
            tx.execute(
                "DELETE FROM accession_register WHERE tenant = ?1 AND originating_agency = ?2 AND opi = ?3
                   AND units = 0 AND object_groups = 0 AND objects = 0 AND bytes = 0",
                params![tenant, agency, opi],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(counts)
    }
}

impl Catalog {
    /// Whether unit `id` is in the catalog (any tenant).
    pub fn unit_exists(&self, id: &str) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM unit WHERE id = ?1)")
            .map_err(db_err)?
            .query_row(params![id], |r| r.get(0))
            .map_err(db_err)
    }

    /// The stored document of object group `id` (any tenant), bypassing access contracts:
    /// for the archive's own operations, never for a reader.
    pub fn object_group_document(&self, id: &str) -> Result<Option<serde_json::Value>> {
        let doc: Option<String> = self
            .conn
            .prepare_cached("SELECT doc FROM object_group WHERE id = ?1")
            .map_err(db_err)?
            .query_row(params![id], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        doc.map(|d| {
            serde_json::from_str(&d).map_err(|e| {
                Error::new(ErrorKind::Corrupt, format!("catalog document: {e}"))
                    .with_id(id.to_string())
            })
        })
        .transpose()
    }
}
