//! Indexing one row at a time: the [`Indexer`] behind [`Catalog::index`] (whole batches,
//! ordered parents first here) and the ingest's [`IndexSession`], a transaction on its own
//! connection fed by another thread while the documents and packs are built, committed
//! only once the packs are on the offers.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use super::packs::insert_packs;
use super::{
    Catalog, ObjectGroupRecord, PackRecord, UnitRecord, db_err, exists_err, register_add,
    remove_group_rows, topo_order,
};
use crate::error::{Error, ErrorKind, Result};

/// The ancestors `(rid, depth)` of an indexed unit and their ids.
type Ancestry = (Vec<(i64, i64)>, Vec<String>);

/// An accession-register line: tenant, originating agency, operation.
type RegisterKey = (u32, Option<String>, Option<String>);

/// The state of one indexing transaction: what it indexed so far (groups, unit row ids and
/// their ancestry, so that a child under a unit of the same transaction needs no query)
/// and the units to add to the accession register.
#[derive(Default)]
pub(super) struct Indexer {
    group_ids: HashSet<String>,
    /// Unit id → (row id, tenant).
    rids: HashMap<String, (i64, u32)>,
    known: HashMap<i64, Ancestry>,
    /// Units per (tenant, agency, operation): one register upsert each at the end.
    registered: Vec<(RegisterKey, i64)>,
}

/// Whether `text` (a unit document serialised by `serde_json` with sorted keys) would have
/// `#allunitups` as its first member, so that it can be prepended without re-serialising.
fn allunitups_first(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("{\"") else {
        return false;
    };
    if rest.starts_with('}') {
        return false;
    }
    match rest.find('"') {
        Some(end) => {
            let key = &rest[..end];
            !key.contains('\\') && key > "#allunitups"
        }
        None => false,
    }
}

impl Indexer {
    /// Indexes object group `g`; `doc` is its document already serialised (the text of
    /// `g.to_document()`), when the caller has it.
    pub(super) fn group(
        &mut self,
        tx: &Connection,
        g: &ObjectGroupRecord,
        doc: Option<&str>,
    ) -> Result<()> {
        if g.id.is_empty() || g.metadata.keys().any(|k| k.starts_with('#')) {
            return Err(
                Error::invalid("object group without id or with a reserved # key")
                    .with_id(g.id.clone()),
            );
        }
        if !self.group_ids.insert(g.id.clone()) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("object group {:?} appears twice in the batch", g.id),
            ));
        }
        let owned;
        let doc = match doc {
            Some(d) => d,
            None => {
                owned = serde_json::to_string(&g.to_document())
                    .map_err(|e| Error::internal(e.to_string()))?;
                &owned
            }
        };
        tx.prepare_cached(
            "INSERT INTO object_group(id, tenant, originating_agency, opi, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db_err)?
        .execute(params![g.id, g.tenant, g.originating_agency, g.operation_id, doc])
        .map_err(|e| exists_err(e, "object group", &g.id))?;
        let rid = tx.last_insert_rowid();
        // Objects and bytes per register line: the group's operation first, then each
        // other operation that added objects to it (an attachment SIP).
        let mut lines: Vec<(Option<&str>, i64, i64)> = vec![(g.operation_id.as_deref(), 0, 0)];
        for o in &g.objects {
            let size = i64::try_from(o.size).unwrap_or(i64::MAX);
            let own = o
                .operation_id
                .as_deref()
                .filter(|p| Some(*p) != g.operation_id.as_deref());
            tx.prepare_cached(
                "INSERT INTO object(id, grp, usage, version, size, digest, algorithm, format, storage_key, opi)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(db_err)?
            .execute(params![
                o.id,
                rid,
                o.usage,
                o.version,
                size,
                o.digest,
                o.algorithm,
                o.format_id,
                o.storage_key,
                own
            ])
            .map_err(|e| exists_err(e, "object", &o.id))?;
            let line = match own {
                None => &mut lines[0],
                Some(p) => match lines.iter().position(|l| l.0 == Some(p)) {
                    Some(i) => &mut lines[i],
                    None => {
                        lines.push((Some(p), 0, 0));
                        lines.last_mut().expect("just pushed")
                    }
                },
            };
            line.1 += 1;
            line.2 = line.2.saturating_add(size);
        }
        for (i, (opi, objects, bytes)) in lines.into_iter().enumerate() {
            let groups = i64::from(i == 0);
            register_add(
                tx,
                g.tenant,
                g.originating_agency.as_deref(),
                opi,
                0,
                groups,
                objects,
                bytes,
            )?;
        }
        Ok(())
    }

    /// Checks that the object group of `u`, if any, is in this transaction or indexed.
    pub(super) fn check_group_of(&self, tx: &Connection, u: &UnitRecord) -> Result<()> {
        if let Some(g) = &u.object_group_id
            && !self.group_ids.contains(g)
        {
            let known: Option<i64> = tx
                .prepare_cached("SELECT rid FROM object_group WHERE id = ?1")
                .map_err(db_err)?
                .query_row(params![g], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            if known.is_none() {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "object group {g:?} of unit {:?} is neither indexed nor in the batch",
                        u.id
                    ),
                )
                .with_id(u.id.clone()));
            }
        }
        Ok(())
    }

    /// The row id of parent `p` of `u` (of this transaction or indexed, same tenant).
    fn parent_rid(&self, tx: &Connection, u: &UnitRecord, p: &str) -> Result<i64> {
        let found = match self.rids.get(p) {
            Some(&x) => Some(x),
            None => tx
                .prepare_cached("SELECT rid, tenant FROM unit WHERE id = ?1")
                .map_err(db_err)?
                .query_row(params![p], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(db_err)?,
        };
        match found {
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "parent {p:?} of unit {:?} is neither indexed nor in the batch",
                    u.id
                ),
            )
            .with_id(u.id.clone())),
            Some((_, t)) if t != u.tenant => Err(Error::invalid(format!(
                "parent {p:?} of unit {:?} belongs to tenant {t}, not {}",
                u.id, u.tenant
            ))
            .with_id(u.id.clone())),
            Some((rid, _)) => Ok(rid),
        }
    }

    /// Indexes unit `u`, whose parents must already be indexed (by this transaction or
    /// before). `doc` is its document already serialised (the text of `u.to_document()`,
    /// without `#allunitups`), when the caller has it.
    pub(super) fn unit(
        &mut self,
        tx: &Connection,
        u: &UnitRecord,
        doc: Option<&str>,
    ) -> Result<()> {
        if self.rids.contains_key(&u.id) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("unit {:?} appears twice in the batch", u.id),
            )
            .with_id(u.id.clone()));
        }
        // Ancestors: parents at distance 1 plus each parent's ancestors one further.
        let mut parent_rids = Vec::with_capacity(u.parents.len());
        let mut ancestors: BTreeSet<(i64, i64)> = BTreeSet::new(); // (ancestor rid, depth)
        let mut ancestor_ids: BTreeSet<&str> = BTreeSet::new();
        for p in &u.parents {
            let prid = self.parent_rid(tx, u, p)?;
            parent_rids.push(prid);
            ancestors.insert((prid, 1));
            if let std::collections::hash_map::Entry::Vacant(slot) = self.known.entry(prid) {
                let mut st = tx
                    .prepare_cached(
                        "SELECT a.ancestor, a.depth, u.id FROM unit_ancestor a JOIN unit u ON u.rid = a.ancestor WHERE a.unit = ?1",
                    )
                    .map_err(db_err)?;
                let rows = st
                    .query_map(params![prid], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    })
                    .map_err(db_err)?;
                let mut pairs = Vec::new();
                let mut ids = Vec::new();
                for row in rows {
                    let (a, d, id) = row.map_err(db_err)?;
                    pairs.push((a, d));
                    ids.push(id);
                }
                slot.insert((pairs, ids));
            }
        }
        for (p, prid) in u.parents.iter().zip(&parent_rids) {
            ancestor_ids.insert(p.as_str());
            let (pairs, ids) = &self.known[prid];
            ancestors.extend(pairs.iter().map(|&(a, d)| (a, d + 1)));
            ancestor_ids.extend(ids.iter().map(String::as_str));
        }
        // The stored document: the unit's, `#allunitups` first (keys are sorted).
        let mut doc_text = String::new();
        match doc {
            Some(d) if allunitups_first(d) => {
                doc_text.reserve(d.len() + 16 + ancestor_ids.len() * 40);
                doc_text.push_str("{\"#allunitups\":");
                doc_text.push_str(
                    &serde_json::to_string(&ancestor_ids)
                        .map_err(|e| Error::internal(e.to_string()))?,
                );
                doc_text.push(',');
                doc_text.push_str(&d[1..]);
            }
            _ => {
                let mut v = u.to_document();
                v["#allunitups"] = serde_json::json!(ancestor_ids);
                doc_text = serde_json::to_string(&v).map_err(|e| Error::internal(e.to_string()))?;
            }
        }
        let s = |k: &str| u.metadata.get(k).and_then(Value::as_str);
        let rules = u.computed_inherited_rules.as_ref().map(|r| r.to_string());
        tx.prepare_cached(
            "INSERT INTO unit(id, tenant, unit_type, originating_agency, opi, og, title, description,
                              description_level, start_date, end_date, rules)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .map_err(db_err)?
        .execute(params![
            u.id,
            u.tenant,
            u.unit_type.as_str(),
            u.originating_agency,
            u.operation_id,
            u.object_group_id,
            s("Title"),
            s("Description"),
            s("DescriptionLevel"),
            s("StartDate"),
            s("EndDate"),
            rules
        ])
        .map_err(|e| exists_err(e, "unit", &u.id))?;
        let rid = tx.last_insert_rowid();
        tx.prepare_cached("INSERT INTO unit_doc(rid, doc) VALUES (?1, ?2)")
            .map_err(db_err)?
            .execute(params![rid, doc_text])
            .map_err(db_err)?;
        for p in parent_rids {
            tx.prepare_cached("INSERT INTO unit_parent(unit, parent) VALUES (?1, ?2)")
                .map_err(db_err)?
                .execute(params![rid, p])
                .map_err(db_err)?;
        }
        for &(a, d) in &ancestors {
            tx.prepare_cached(
                "INSERT INTO unit_ancestor(unit, ancestor, depth) VALUES (?1, ?2, ?3)",
            )
            .map_err(db_err)?
            .execute(params![rid, a, d])
            .map_err(db_err)?;
        }
        let ids: Vec<String> = ancestor_ids.into_iter().map(str::to_string).collect();
        self.known
            .insert(rid, (ancestors.into_iter().collect(), ids));
        self.rids.insert(u.id.clone(), (rid, u.tenant));
        for (cat, end) in u.rule_end_dates() {
            tx.prepare_cached(
                "INSERT INTO unit_rule(unit, category, max_end_date) VALUES (?1, ?2, ?3)",
            )
            .map_err(db_err)?
            .execute(params![rid, cat, end])
            .map_err(db_err)?;
        }
        tx.prepare_cached(
            "INSERT INTO unit_fts(rowid, title, description, keywords) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(db_err)?
        .execute(params![
            rid,
            u.text_with_variants("Title"),
            u.text_with_variants("Description"),
            u.keywords()
        ])
        .map_err(db_err)?;
        let key = (
            u.tenant,
            u.originating_agency.as_deref(),
            u.operation_id.as_deref(),
        );
        match self
            .registered
            .iter_mut()
            .find(|(k, _)| (k.0, k.1.as_deref(), k.2.as_deref()) == key)
        {
            Some((_, n)) => *n += 1,
            None => self.registered.push((
                (
                    u.tenant,
                    u.originating_agency.clone(),
                    u.operation_id.clone(),
                ),
                1,
            )),
        }
        Ok(())
    }

    /// Adds the indexed units to the accession register (one upsert per tenant, agency
    /// and operation).
    pub(super) fn finish(mut self, tx: &Connection) -> Result<()> {
        self.registered.sort();
        for ((tenant, agency, opi), n) in &self.registered {
            register_add(tx, *tenant, agency.as_deref(), opi.as_deref(), *n, 0, 0, 0)?;
        }
        Ok(())
    }
}

/// An ingest's indexing transaction on a connection of its own (so that it can run on
/// another thread than the one building the documents, and readers of the catalog are not
/// held up), fed object groups first, then units with their parents before them, then
/// the packs; nothing is visible until [`commit`](Self::commit). Dropped without a commit,
/// it rolls back; a process killed before the commit leaves the catalog as it was (SQLite
/// WAL).
pub(crate) struct IndexSession {
    cat: Catalog,
    indexer: Option<Indexer>,
    open: bool,
}

impl IndexSession {
    /// Opens the catalog file at `path` on a new connection, begins the write transaction
    /// and removes the rows of the `replaced` groups (groups in the catalog whose new
    /// version this transaction indexes; one no longer there is a `Conflict`).
    pub(crate) fn begin(path: &Path, replaced: &[String]) -> Result<IndexSession> {
        let cat = Catalog::open(path)?;
        cat.conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err)?;
        let s = IndexSession {
            cat,
            indexer: Some(Indexer::default()),
            open: true,
        };
        for id in replaced {
            if remove_group_rows(&s.cat.conn, id)?.is_none() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!("object group {id:?} to add objects to is no longer in the catalog"),
                )
                .with_id(id.clone()));
            }
        }
        Ok(s)
    }

    fn indexer(&mut self) -> Result<&mut Indexer> {
        self.indexer
            .as_mut()
            .ok_or_else(|| Error::internal("index session already finished"))
    }

    /// Indexes object group `g` (`doc`: the text of `g.to_document()`, if already made).
    pub(crate) fn group(&mut self, g: &ObjectGroupRecord, doc: Option<&str>) -> Result<()> {
        let conn = &self.cat.conn;
        let ix = self
            .indexer
            .as_mut()
            .ok_or_else(|| Error::internal("index session already finished"))?;
        ix.group(conn, g, doc)
    }

    /// Indexes unit `u`, whose parents are indexed already (`doc`: the text of
    /// `u.to_document()`, if already made). Its object group must have been given first.
    pub(crate) fn unit(&mut self, u: &UnitRecord, doc: Option<&str>) -> Result<()> {
        u.validate()?;
        self.indexer()?;
        let conn = &self.cat.conn;
        let ix = self.indexer.as_mut().expect("checked above");
        ix.check_group_of(conn, u)?;
        ix.unit(conn, u, doc)
    }

    /// Indexes units in any order (sorted parents first here; duplicates, cycles and
    /// unknown parents refused), each with the text of its `to_document()`.
    pub(crate) fn units_unordered(&mut self, units: &[(UnitRecord, String)]) -> Result<()> {
        let owned: Vec<UnitRecord> = units.iter().map(|(u, _)| u.clone()).collect();
        let order = topo_order(&self.cat.conn, &owned)?;
        let pos: HashMap<&str, usize> = units
            .iter()
            .enumerate()
            .map(|(i, (u, _))| (u.id.as_str(), i))
            .collect();
        let idx: Vec<usize> = order.iter().map(|u| pos[u.id.as_str()]).collect();
        for i in idx {
            let (u, d) = &units[i];
            self.unit(u, Some(d))?;
        }
        Ok(())
    }

    /// Records the packs and where each document is in them.
    pub(crate) fn packs(&mut self, packs: &[PackRecord]) -> Result<()> {
        insert_packs(&self.cat.conn, packs)
    }

    /// Adds the units to the accession register and commits: the ingest's commit point.
    pub(crate) fn commit(mut self) -> Result<()> {
        let ix = self
            .indexer
            .take()
            .ok_or_else(|| Error::internal("index session already finished"))?;
        ix.finish(&self.cat.conn)?;
        self.cat.conn.execute_batch("COMMIT").map_err(db_err)?;
        self.open = false;
        self.cat.optimize()
    }
}

impl Drop for IndexSession {
    fn drop(&mut self) {
        if self.open {
            // Not committed: nothing of it becomes visible.
            let _ = self.cat.conn.execute_batch("ROLLBACK");
        }
    }
}

/// One reserved member of a unit document, borrowed from the record.
enum Part<'a> {
    Str(&'a str),
    Num(u32),
    Strs(&'a [String]),
    One(&'a str),
    Val(&'a Value),
}

impl serde::Serialize for Part<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Part::Str(x) => s.serialize_str(x),
            Part::Num(n) => s.serialize_u32(*n),
            Part::Strs(a) => a.serialize(s),
            Part::One(x) => [x].serialize(s),
            Part::Val(v) => v.serialize(s),
        }
    }
}

/// The text of `u.to_document()` (members in key order, as `serde_json` writes a map),
/// written straight from the record without building the document's map.
pub(crate) fn unit_document_text(u: &UnitRecord) -> Result<String> {
    // The reserved members, in key (byte) order.
    let mut res: Vec<(&str, Part<'_>)> = Vec::with_capacity(10);
    if let Some(r) = &u.computed_inherited_rules {
        res.push(("#computedInheritedRules", Part::Val(r)));
    }
    res.push(("#id", Part::Str(&u.id)));
    if let Some(m) = &u.management {
        res.push(("#management", Part::Val(m)));
    }
    if let Some(g) = &u.object_group_id {
        res.push(("#object", Part::Str(g)));
    }
    if let Some(o) = &u.operation_id {
        res.push(("#opi", Part::Str(o)));
    }
    if let Some(a) = &u.originating_agency {
        res.push(("#originating_agencies", Part::One(a)));
        res.push(("#originating_agency", Part::Str(a)));
    }
    res.push(("#tenant", Part::Num(u.tenant)));
    res.push(("#unitType", Part::Str(u.unit_type.as_str())));
    res.push(("#unitups", Part::Strs(&u.parents)));
    let err = |e: serde_json::Error| Error::internal(e.to_string());
    let mut out: Vec<u8> = Vec::with_capacity(512);
    out.push(b'{');
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !first {
            out.push(b',');
        }
        first = false;
    };
    let mut meta = u.metadata.iter().peekable();
    let mut reserved = res.iter().peekable();
    loop {
        let take_meta = match (meta.peek(), reserved.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((mk, _)), Some((rk, _))) => {
                if mk.as_str() == *rk {
                    // A reserved key overrides a metadata member of the same name.
                    meta.next();
                    continue;
                }
                mk.as_str() < *rk
            }
        };
        sep(&mut out);
        if take_meta {
            let (k, v) = meta.next().expect("peeked");
            serde_json::to_writer(&mut out, k).map_err(err)?;
            out.push(b':');
            serde_json::to_writer(&mut out, v).map_err(err)?;
        } else {
            let (k, v) = reserved.next().expect("peeked");
            serde_json::to_writer(&mut out, k).map_err(err)?;
            out.push(b':');
            serde_json::to_writer(&mut out, v).map_err(err)?;
        }
    }
    out.push(b'}');
    String::from_utf8(out).map_err(|e| Error::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unit_document_text_equals_the_documents_serialisation() {
        let mut u = UnitRecord::new("aeaq-unit", 3);
        let mut plain = u.clone();
        plain.metadata = json!({"Title": "t"}).as_object().unwrap().clone();
        u.metadata = json!({
            "Title": "Un \"titre\"\n", "Description": "d", "DescriptionLevel": "Item",
            "Keyword": [{"KeywordContent": "k1"}], "_odd": 1.5, "Zeta": null, "a": [1, 2],
        })
        .as_object()
        .unwrap()
        .clone();
        u.parents = vec!["p1".into(), "p\"2".into()];
        u.originating_agency = Some("AG".into());
        u.operation_id = Some("op".into());
        u.object_group_id = Some("og".into());
        u.management = Some(json!({"AccessRule": {"Rules": [{"Rule": "ACC-1"}]}}));
        u.computed_inherited_rules = Some(json!({"AccessRule": {"MaxEndDate": "2100-01-01"}}));
        for r in [&u, &plain, &UnitRecord::new("x", 0)] {
            let want = serde_json::to_string(&r.to_document()).unwrap();
            assert_eq!(unit_document_text(r).unwrap(), want);
            assert!(allunitups_first(&want), "{want}");
        }
    }

    #[test]
    fn allunitups_first_refuses_what_it_cannot_prove() {
        assert!(allunitups_first(r##"{"#id":"x"}"##));
        assert!(!allunitups_first("{}"));
        assert!(!allunitups_first(r##"{"#a":1}"##));
        assert!(!allunitups_first(r#"{"\"":1}"#));
        assert!(!allunitups_first("[]"));
    }
}
