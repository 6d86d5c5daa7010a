//! Object-group attachments: a SIP adding objects to an existing object group stores a new
//! version of the group's document; the catalog swaps the group's rows for it in the
//! ingest's transaction.

use super::packs::insert_packs;
use super::{Catalog, IndexBatch, PackRecord, db_err, index_in, remove_group_rows};
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
            if remove_group_rows(&tx, id)?.is_none() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("object group {id:?} to add objects to is no longer in the catalog"),
                )
                .with_id(id.clone()));
            }
        }
        index_in(&tx, batch)?;
        insert_packs(&tx, packs)?;
        tx.commit().map_err(db_err)?;
        self.optimize()
    }
}
