//! Object-group attachments: a SIP adding objects to an existing object group stores a new
//! version of the group's document; the catalog swaps the group's rows for it in the
//! ingest's transaction.

use rusqlite::{OptionalExtension, params};

use super::packs::insert_packs;
use super::{Catalog, IndexBatch, PackRecord, db_err, index_in, register_add};
use crate::error::{Error, ErrorKind, Result};

impl Catalog {
    /// [`index_with_packs`](Catalog::index_with_packs), the object groups `replaced` (ids
    /// of groups already in the catalog, whose new version `batch` holds) being removed
    /// first in the same transaction: their rows, objects and document locations, and their
    /// counts from the accession register (the new version's are added back, so the
    /// register line of the group's operation gains the added objects). All or nothing; a
    /// replaced group no longer in the catalog is a `Conflict`.
    pub fn index_with_packs_replacing(
        &self,
        batch: &IndexBatch,
        packs: &[PackRecord],
        replaced: &[String],
    ) -> Result<()> {
        if replaced.is_empty() {
            return self.index_with_packs(batch, packs);
        }
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        for id in replaced {
            let row: Option<(i64, u32, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT rid, tenant, originating_agency, opi FROM object_group WHERE id = ?1",
                    params![id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(db_err)?;
            let Some((rid, tenant, agency, opi)) = row else {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("object group {id:?} to add objects to is no longer in the catalog"),
                )
                .with_id(id.clone()));
            };
            let (n, bytes): (i64, i64) = tx
                .query_row(
                    "SELECT count(*), coalesce(sum(size), 0) FROM object WHERE grp = ?1",
                    params![rid],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(db_err)?;
            register_add(
                &tx,
                tenant,
                agency.as_deref(),
                opi.as_deref(),
                0,
                -1,
                -n,
                -bytes,
            )?;
            tx.execute("DELETE FROM object_group WHERE rid = ?1", params![rid])
                .map_err(db_err)?;
            tx.execute("DELETE FROM doc_location WHERE id = ?1", params![id])
                .map_err(db_err)?;
        }
        index_in(&tx, batch)?;
        insert_packs(&tx, packs)?;
        tx.commit().map_err(db_err)?;
        self.optimize()
    }
}
