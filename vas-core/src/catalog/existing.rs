//! The catalog as the ingest checks' [`ExistingUnits`]: the units of one tenant that a SIP
//! may attach to (`UpdateOperation` by `SystemId` or by metadata key and value).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::db_err;
use crate::error::Result;
use crate::ingest::{ExistingObjectGroup, ExistingOperation, ExistingUnit, ExistingUnits, Status};

/// What the archive's operation logbook says of an operation (by id): `Some` for an
/// operation it holds (finished, with its outcome), `None` for one it does not.
pub type OperationLookup = Arc<dyn Fn(&str) -> Option<ExistingOperation> + Send + Sync>;

/// A read-only connection to a catalog file answering for the units of one tenant (units of
/// another tenant are never found).
///
/// ```
/// use vas_core::catalog::{Catalog, CatalogUnits, IndexBatch, UnitRecord};
/// use vas_core::ingest::ExistingUnits;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("c.sqlite");
/// let cat = Catalog::open(&path).unwrap();
/// let mut u = UnitRecord::new("u1", 3);
/// u.metadata.insert("Title".into(), serde_json::json!("RATP 1"));
/// cat.index(&IndexBatch { units: vec![u], ..Default::default() }).unwrap();
/// let units = CatalogUnits::open(&path, 3).unwrap();
/// assert_eq!(units.by_metadata("Title", "RATP 1")[0].system_id, "u1");
/// assert!(CatalogUnits::open(&path, 4).unwrap().by_system_id("u1").is_none());
/// ```
pub struct CatalogUnits {
    conn: Mutex<Connection>,
    tenant: u32,
    operations: Option<OperationLookup>,
}

impl std::fmt::Debug for CatalogUnits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogUnits")
            .field("tenant", &self.tenant)
            .field("operations", &self.operations.is_some())
            .finish_non_exhaustive()
    }
}

impl CatalogUnits {
    /// Opens the catalog file at `path` read-only for `tenant`.
    pub fn open(path: impl AsRef<Path>, tenant: u32) -> Result<CatalogUnits> {
        let path = path.as_ref();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_err(e).or_path(path))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_err)?;
        Ok(CatalogUnits {
            conn: Mutex::new(conn),
            tenant,
            operations: None,
        })
    }

    /// Answers [`ExistingUnits::initial_operation`] (for `CHECK_ATTACHEMENT`) from each
    /// unit's or group's `#opi` in the catalog and `lookup` (the archive's operation
    /// logbook): an operation the logbook holds is completed with its outcome; one it does
    /// not hold (an ingest that never finished) is not completed, so attaching to what it
    /// created is refused. Without a lookup, the initial operation is unknown (accepted).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use vas_core::catalog::{Catalog, CatalogUnits, IndexBatch, UnitRecord};
    /// use vas_core::ingest::{ExistingOperation, ExistingUnits, Status};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("c.sqlite");
    /// let cat = Catalog::open(&path).unwrap();
    /// let mut u = UnitRecord::new("u1", 0);
    /// u.operation_id = Some("op-ko".into());
    /// let mut v = UnitRecord::new("u2", 0);
    /// v.operation_id = Some("op-lost".into());
    /// cat.index(&IndexBatch { units: vec![u, v], ..Default::default() }).unwrap();
    /// let units = CatalogUnits::open(&path, 0).unwrap().with_operations(Arc::new(|op: &str| {
    ///     (op == "op-ko").then(|| ExistingOperation { id: op.into(), completed: true, outcome: Status::Ko })
    /// }));
    /// assert_eq!(units.initial_operation("u1").unwrap().outcome, Status::Ko);
    /// assert!(!units.initial_operation("u2").unwrap().completed);
    /// assert!(units.initial_operation("u3").is_none());
    /// ```
    pub fn with_operations(mut self, lookup: OperationLookup) -> CatalogUnits {
        self.operations = Some(lookup);
        self
    }

    fn opi_of(&self, id: &str) -> rusqlite::Result<Option<String>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.prepare_cached(
            "SELECT opi FROM unit WHERE id = ?1 AND tenant = ?2
             UNION ALL SELECT opi FROM object_group WHERE id = ?1 AND tenant = ?2 LIMIT 1",
        )?
        .query_row(params![id, self.tenant], |r| r.get::<_, Option<String>>(0))
        .optional()
        .map(Option::flatten)
    }

    fn unit(&self, conn: &Connection, rid: i64, id: String) -> rusqlite::Result<ExistingUnit> {
        let agency: Option<String> = conn
            .prepare_cached("SELECT originating_agency FROM unit WHERE rid = ?1")?
            .query_row(params![rid], |r| r.get(0))?;
        let mut st = conn.prepare_cached(
            "SELECT DISTINCT u.id FROM unit_ancestor a JOIN unit u ON u.rid = a.ancestor WHERE a.unit = ?1 ORDER BY u.id",
        )?;
        let ancestors = st
            .query_map(params![rid], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ExistingUnit {
            system_id: id,
            ancestors,
            originating_agency: agency,
        })
    }

    fn lookup_id(&self, id: &str) -> rusqlite::Result<Option<ExistingUnit>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let rid: Option<i64> = conn
            .prepare_cached("SELECT rid FROM unit WHERE id = ?1 AND tenant = ?2")?
            .query_row(params![id, self.tenant], |r| r.get(0))
            .optional()?;
        rid.map(|rid| self.unit(&conn, rid, id.to_string()))
            .transpose()
    }

    fn lookup_metadata(&self, name: &str, value: &str) -> rusqlite::Result<Vec<ExistingUnit>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        // A top-level field of the unit document (a `Content` field such as `Title`, or an
        // index field such as `#id`); a list matches when one of its values does.
        let path = format!("$.\"{}\"", name.replace('"', ""));
        let found: Vec<(i64, String)> = conn
            .prepare_cached(
                "SELECT u.rid, u.id FROM unit u JOIN unit_doc d ON d.rid = u.rid
                 WHERE u.tenant = ?1
                   AND EXISTS (SELECT 1 FROM json_each(d.doc, ?2) j WHERE j.value = ?3)
                 ORDER BY u.rid",
            )?
            .query_map(params![self.tenant, path, value], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        found
            .into_iter()
            .map(|(rid, id)| self.unit(&conn, rid, id))
            .collect()
    }
}

impl CatalogUnits {
    fn lookup_group(&self, sql: &str, id: &str) -> rusqlite::Result<Option<ExistingObjectGroup>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.prepare_cached(sql)?
            .query_row(params![id, self.tenant], |r| {
                Ok(ExistingObjectGroup {
                    system_id: r.get(0)?,
                    originating_agency: r.get(1)?,
                })
            })
            .optional()
    }
}

impl ExistingUnits for CatalogUnits {
    fn object_group_by_id(&self, system_id: &str) -> Option<ExistingObjectGroup> {
        // As for units, a database error reads as "not found" (the SIP is then refused).
        self.lookup_group(
            "SELECT id, originating_agency FROM object_group WHERE id = ?1 AND tenant = ?2",
            system_id,
        )
        .ok()
        .flatten()
    }

    fn object_group_of_unit(&self, unit_system_id: &str) -> Option<ExistingObjectGroup> {
        self.lookup_group(
            "SELECT g.id, g.originating_agency FROM unit u JOIN object_group g ON g.id = u.og
             WHERE u.id = ?1 AND u.tenant = ?2 AND g.tenant = u.tenant",
            unit_system_id,
        )
        .ok()
        .flatten()
    }

    fn by_system_id(&self, system_id: &str) -> Option<ExistingUnit> {
        // A database error reads as "not found": the ingest is then refused with
        // NOT_FOUND_ATTACHMENT, never accepted on a guess.
        self.lookup_id(system_id).ok().flatten()
    }

    fn by_metadata(&self, name: &str, value: &str) -> Vec<ExistingUnit> {
        self.lookup_metadata(name, value).unwrap_or_default()
    }

    fn initial_operation(&self, system_id: &str) -> Option<ExistingOperation> {
        let lookup = self.operations.as_ref()?;
        // A database error reads as "created by an unknown, unfinished operation": the
        // attachment is then refused, never accepted on a guess.
        let opi = match self.opi_of(system_id) {
            Ok(o) => o?,
            Err(_) => {
                return Some(ExistingOperation {
                    id: String::new(),
                    completed: false,
                    outcome: Status::Fatal,
                });
            }
        };
        Some(lookup(&opi).unwrap_or(ExistingOperation {
            id: opi,
            completed: false,
            outcome: Status::Ok,
        }))
    }
}
