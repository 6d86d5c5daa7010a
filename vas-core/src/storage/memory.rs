//! [`MemoryOffer`]: an in-memory offer, for tests and examples.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::digest::Hasher;
use crate::error::{Error, Result};

use super::key::ObjectKey;
use super::offer::{
    ByteRange, Capabilities, Fixity, ObjectMeta, OfferStatus, PutOutcome, StorageOffer,
    check_written, not_found, write_once_check,
};

type Objects = BTreeMap<ObjectKey, (Fixity, Arc<Vec<u8>>)>;

/// An offer that keeps objects in memory. Same semantics as every offer (write-once,
/// verified puts). [`MemoryOffer::corrupt`] lets tests damage a copy.
///
/// ```
/// use vas_core::storage::{MemoryOffer, ObjectKey, StorageOffer, StorageOfferExt};
///
/// let m = MemoryOffer::new("mem");
/// let k = ObjectKey::new("k").unwrap();
/// m.put_bytes(&k, b"data").unwrap();
/// assert_eq!(m.list("").unwrap().len(), 1);
/// m.corrupt(&k, 0).unwrap();
/// assert!(m.verify(&k, None).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct MemoryOffer {
    id: String,
    objects: Arc<Mutex<Objects>>,
}

impl MemoryOffer {
    /// An empty offer named `id`.
    pub fn new(id: impl Into<String>) -> MemoryOffer {
        MemoryOffer {
            id: id.into(),
            objects: Arc::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Objects> {
        // A panic while holding the lock cannot leave a half-inserted object: recover.
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Flips the bits of byte `offset` of the stored bytes (the recorded fixity is kept):
    /// simulates silent corruption.
    pub fn corrupt(&self, key: &ObjectKey, offset: u64) -> Result<()> {
        let mut objs = self.lock();
        let (_, data) = objs.get_mut(key).ok_or_else(|| not_found(&self.id, key))?;
        let mut v = data.as_ref().clone();
        let i = usize::try_from(offset)
            .ok()
            .filter(|i| *i < v.len())
            .ok_or_else(|| Error::invalid("offset beyond the object"))?;
        v[i] ^= 0xff;
        *data = Arc::new(v);
        Ok(())
    }
}

impl StorageOffer for MemoryOffer {
    fn id(&self) -> &str {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            write_once: true,
            ranged_reads: true,
            server_side_digest: false,
            durable: false,
            persistent: false,
        }
    }

    fn put(&self, key: &ObjectKey, data: &mut dyn Read, expected: &Fixity) -> Result<PutOutcome> {
        let existing = self.lock().get(key).map(|(f, _)| f.clone());
        if let Some(o) = write_once_check(self, key, existing.as_ref(), expected)? {
            return Ok(o);
        }
        let mut h = Hasher::new(expected.algorithm);
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = match data.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(super::offer::stream_error(e)),
            };
            h.update(&chunk[..n]);
            buf.extend_from_slice(&chunk[..n]);
        }
        let size = h.len();
        check_written(&self.id, key, expected, &h.finalize_hex(), size)?;
        let mut objs = self.lock();
        // A concurrent writer may have won the race meanwhile.
        if let Some((f, _)) = objs.get(key) {
            let f = f.clone();
            drop(objs);
            return write_once_check(self, key, Some(&f), expected)?
                .ok_or_else(|| Error::internal("object vanished during a concurrent put"));
        }
        objs.insert(key.clone(), (expected.clone(), Arc::new(buf)));
        Ok(PutOutcome::Created)
    }

    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>> {
        let data = self
            .lock()
            .get(key)
            .map(|(_, d)| Arc::clone(d))
            .ok_or_else(|| not_found(&self.id, key))?;
        let (start, len) = match range {
            Some(r) => r.resolve(data.len() as u64)?,
            None => (0, data.len() as u64),
        };
        let mut c = Cursor::new(ArcBytes(data));
        c.set_position(start);
        Ok(Box::new(c.take(len)))
    }

    fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        Ok(self.lock().get(key).map(|(f, _)| ObjectMeta {
            key: key.clone(),
            fixity: f.clone(),
        }))
    }

    fn delete(&self, key: &ObjectKey) -> Result<bool> {
        Ok(self.lock().remove(key).is_some())
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        Ok(self
            .lock()
            .iter()
            .filter(|(k, _)| k.has_prefix(prefix))
            .map(|(k, (f, _))| ObjectMeta {
                key: k.clone(),
                fixity: f.clone(),
            })
            .collect())
    }

    fn status(&self) -> Result<OfferStatus> {
        let objs = self.lock();
        Ok(OfferStatus {
            available: true,
            used_bytes: Some(objs.values().map(|(f, _)| f.size).sum()),
            free_bytes: None,
            object_count: Some(objs.len() as u64),
            detail: "in memory".into(),
        })
    }
}

struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
