//! The object-storing step of the archive ingest (`OBJ_STORAGE`): every binary object of
//! the SIP written to every offer of the strategy, its digest verified on each.
//!
//! A put of a small object costs little CPU but waits for its `fdatasync`s (one per offer,
//! plus the directory syncs of the filesystem offer): stored one at a time, 10 000 small
//! objects spend most of their time waiting for the disk. Here the SIP is still read once,
//! in container order, on the calling thread; objects of up to [`BUFFERED_MAX`] bytes are
//! read into memory and gathered into **batches** (up to [`BATCH_BYTES`] bytes or
//! [`BATCH_OBJECTS`] objects), which [`WORKERS`] threads store with
//! [`Strategy::put_batch`]: the batch is hashed once for all offers (many objects at a
//! time), then each offer writes all its temporary files, makes them durable in one pass,
//! links them into place and syncs each touched directory once. Larger objects are
//! streamed by the calling thread with [`Strategy::put`], as before. The durability of each
//! object is unchanged (every copy's bytes synced before it becomes visible, every entry
//! synced before the batch's put returns); only the order in which the objects of one
//! ingest complete changes, and the step returns only when every put has returned. The
//! first error stops the reading; batches already handed over finish, and their keys are
//! in the ingest's journal like every other key of the operation, so the caller's
//! roll-back removes them as before.

use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;

use crate::error::{Error, Result};
use crate::sip::SipReader;
use crate::storage::{BatchObject, Fixity, ObjectKey, Strategy};

/// Threads putting batches.
const WORKERS: usize = 4;
/// Objects up to this size are read into memory and put in batches by a worker thread.
const BUFFERED_MAX: u64 = 8 << 20;
/// A batch is handed over once it holds this many bytes (a batch never exceeds it, but
/// for a single object of up to [`BUFFERED_MAX`]).
const BATCH_BYTES: u64 = 16 << 20;
/// … or this many objects.
const BATCH_OBJECTS: usize = 256;
/// Batches waiting for a worker: at most `(QUEUE + WORKERS + 1) × 16 MiB` of object bytes
/// in memory.
const QUEUE: usize = 2;

type Batch = Vec<(ObjectKey, Fixity, Vec<u8>)>;

/// Puts every object of `reader` that `resolve` maps (from its entry name) to a key and
/// an expected fixity, on every offer of `strategy`. Returns the number of objects stored.
pub(super) fn store_objects<F>(
    strategy: &Strategy,
    reader: &mut SipReader,
    mut resolve: F,
) -> Result<usize>
where
    F: FnMut(&str) -> Result<Option<(ObjectKey, Fixity)>>,
{
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    let stored = AtomicUsize::new(0);
    let fail = |e: Error| {
        let mut f = failed.lock().unwrap_or_else(|p| p.into_inner());
        f.get_or_insert(e);
    };
    let has_failed = || failed.lock().unwrap_or_else(|p| p.into_inner()).is_some();
    let (tx, rx) = sync_channel::<Batch>(QUEUE);
    let rx = Mutex::new(rx);
    let read = std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(batch) = job else { break };
                    if has_failed() {
                        continue; // drain: nothing more is written after an error
                    }
                    let objects: Vec<BatchObject<'_>> = batch
                        .iter()
                        .map(|(k, fx, bytes)| BatchObject::new(k, bytes, fx))
                        .collect();
                    match strategy.put_batch(&objects) {
                        Ok(_) => {
                            stored.fetch_add(objects.len(), Ordering::Relaxed);
                        }
                        Err(e) => fail(e),
                    }
                }
            });
        }
        let mut batch: Batch = Vec::new();
        let mut batch_bytes = 0u64;
        let r = reader.for_each_object(|entry, r| {
            if has_failed() {
                return Err(Error::internal(
                    "object storage stopped by an earlier error",
                ));
            }
            let Some((k, fx)) = resolve(entry.name.as_str())? else {
                return Ok(());
            };
            if fx.size <= BUFFERED_MAX {
                if !batch.is_empty()
                    && (batch_bytes + fx.size > BATCH_BYTES || batch.len() >= BATCH_OBJECTS)
                {
                    tx.send(std::mem::take(&mut batch))
                        .map_err(|_| Error::internal("object storage workers stopped"))?;
                    batch_bytes = 0;
                }
                let mut bytes = Vec::with_capacity(fx.size as usize);
                // One byte more than declared is read, so that a longer entry is
                // refused by the batch's size check rather than silently truncated.
                Read::take(&mut *r, fx.size + 1).read_to_end(&mut bytes)?;
                batch_bytes += fx.size;
                batch.push((k, fx, bytes));
            } else {
                strategy.put(&k, r, &fx)?;
                stored.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        });
        let r = r.and_then(|()| {
            if batch.is_empty() || has_failed() {
                return Ok(());
            }
            tx.send(std::mem::take(&mut batch))
                .map_err(|_| Error::internal("object storage workers stopped"))
        });
        drop(tx);
        r
    });
    // A worker's error first: the reader's own "stopped" error only reports it.
    if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    read?;
    Ok(stored.into_inner())
}
