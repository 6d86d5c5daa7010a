//! The object-storing step of the archive ingest (`OBJ_STORAGE`): every binary object of
//! the SIP written to every offer of the strategy, its digest verified on each.
//!
//! A put of a small object costs little CPU but waits for its `fdatasync`s (one per offer,
//! plus the directory syncs of the filesystem offer): stored one after the other, 10 000
//! small objects spend most of their time waiting for the disk, one sync at a time. Here
//! the SIP is still read once, in container order, on the calling thread, but objects of up
//! to [`BUFFERED_MAX`] bytes are read into memory and handed to [`WORKERS`] threads that put
//! them concurrently, so their syncs overlap (a journalling filesystem commits them
//! together). Larger objects are streamed by the calling thread, as before. Each put is
//! still a full [`Strategy::put`] (hashed once, digest and size checked, every copy synced
//! before the put returns) — the durability of each object is unchanged; only the order in
//! which the puts of one ingest complete changes, and the step returns only when every put
//! has returned. The first error stops the reading; puts already handed over finish, and
//! their keys are in the ingest's journal like every other key of the operation, so the
//! caller's roll-back removes them as before.

use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;

use crate::error::{Error, Result};
use crate::sip::SipReader;
use crate::storage::{Fixity, ObjectKey, Strategy};

/// Threads putting buffered objects.
const WORKERS: usize = 4;
/// Objects up to this size are read into memory and put by a worker thread.
const BUFFERED_MAX: u64 = 8 << 20;
/// Buffered objects waiting for a worker (with [`BUFFERED_MAX`], at most
/// `(QUEUE + WORKERS) × 8 MiB` of object bytes in memory).
const QUEUE: usize = 2 * WORKERS;

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
    let (tx, rx) = sync_channel::<(ObjectKey, Fixity, Vec<u8>)>(QUEUE);
    let rx = Mutex::new(rx);
    let read = std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((k, fx, bytes)) = job else { break };
                    if has_failed() {
                        continue; // drain: nothing more is written after an error
                    }
                    match strategy.put(&k, &mut &bytes[..], &fx) {
                        Ok(_) => {
                            stored.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => fail(e),
                    }
                }
            });
        }
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
                let mut bytes = Vec::with_capacity(fx.size as usize);
                // One byte more than declared is read, so that a longer entry is
                // refused by the put's size check rather than silently truncated.
                Read::take(&mut *r, fx.size + 1).read_to_end(&mut bytes)?;
                tx.send((k, fx, bytes))
                    .map_err(|_| Error::internal("object storage workers stopped"))?;
            } else {
                strategy.put(&k, r, &fx)?;
                stored.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
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
