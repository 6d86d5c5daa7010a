//! Objects added to an existing object group (a SIP's group standing for the group of an
//! existing unit declared with `UpdateOperation`): the ingest stores a new version of the
//! group's document — the existing objects, then the added ones — in its own pack, and the
//! catalog swaps the group's rows for it at the commit point. A rebuild keeps the latest
//! version of each group (packs are read in operation order).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Archive, lock};
use crate::catalog::{DocKind, IndexBatch, ObjectGroupRecord, PackRecord};
use crate::error::{Error, ErrorKind, Result};

impl Archive {
    /// The existing group `id` as the base of its new version: its catalog record and the
    /// SEDA its objects were ingested with (`seda.objects` of its stored document).
    pub(super) fn existing_group_base(
        &self,
        id: &str,
    ) -> Result<(ObjectGroupRecord, Map<String, Value>)> {
        let doc = lock(&self.catalog)
            .object_group_document(id)?
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Conflict,
                    format!("object group {id:?} to add objects to is not in the catalog"),
                )
                .with_id(id.to_string())
            })?;
        let rec = ObjectGroupRecord::from_document(&doc)?;
        let stored = self.read_stored_doc(DocKind::ObjectGroup, id)?;
        let kept = stored["seda"]["objects"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        Ok((rec, kept))
    }
}

/// Rebuild: a group stored in several versions (objects added later) keeps its latest one,
/// the last read (packs are listed in key order, i.e. operation order); the earlier lines
/// lose their location.
pub(super) fn keep_latest_groups(
    batch: &mut IndexBatch,
    packs_by_op: &mut BTreeMap<String, Vec<PackRecord>>,
) {
    let mut last: BTreeMap<String, usize> = BTreeMap::new();
    for (i, g) in batch.object_groups.iter().enumerate() {
        last.insert(g.id.clone(), i);
    }
    if last.len() == batch.object_groups.len() {
        return;
    }
    let mut i = 0;
    batch.object_groups.retain(|g| {
        let keep = last.get(&g.id) == Some(&i);
        i += 1;
        keep
    });
    let mut latest_pack: BTreeMap<String, String> = BTreeMap::new();
    for p in packs_by_op.values().flatten() {
        for e in p.entries.iter().filter(|e| e.kind == DocKind::ObjectGroup) {
            let slot = latest_pack.entry(e.id.clone()).or_default();
            if e.pack > *slot {
                *slot = e.pack.clone();
            }
        }
    }
    for p in packs_by_op.values_mut().flatten() {
        p.entries
            .retain(|e| e.kind != DocKind::ObjectGroup || latest_pack.get(&e.id) == Some(&e.pack));
    }
}
