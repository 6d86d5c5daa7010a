//! Crash safety of the filesystem offer, for real: a child process (this test binary
//! re-executed) writes to the offer and is killed with SIGKILL mid-write; the offer is then
//! reopened and must show no partial object.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vas_core::digest::DigestAlgorithm;
use vas_core::storage::{
    BATCH_FAILPOINT_ENV, BATCH_FAILPOINTS, BatchObject, FilesystemOffer, Fixity, ObjectKey,
    PutOutcome, StorageOffer, StorageOfferExt,
};

const ENV_DIR: &str = "VAS_STORAGE_CRASH_CHILD_DIR";
const ENV_MODE: &str = "VAS_STORAGE_CRASH_CHILD_MODE";

/// A slow source: 64 KiB per read, pausing, so the parent can kill mid-write.
struct Slow {
    left: u64,
    delay: Duration,
}
impl Read for Slow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        std::thread::sleep(self.delay);
        let n = buf.len().min(65536).min(self.left as usize);
        buf[..n].fill(b'z');
        self.left -= n as u64;
        Ok(n)
    }
}

fn slow_fixity(size: u64) -> Fixity {
    Fixity::of_reader(
        DigestAlgorithm::Sha512,
        Slow {
            left: size,
            delay: Duration::ZERO,
        },
    )
    .unwrap()
}

/// The child's body; a no-op when run as an ordinary test.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(ENV_DIR) else {
        return;
    };
    let offer = FilesystemOffer::open("fs", &dir).unwrap();
    match std::env::var(ENV_MODE).as_deref() {
        Ok("slow") => {
            // One big object written slowly: killed while in tmp/.
            let size = 64 << 20;
            let fx = slow_fixity(size);
            let k = ObjectKey::new("big/object.bin").unwrap();
            offer
                .put(
                    &k,
                    &mut Slow {
                        left: size,
                        delay: Duration::from_millis(5),
                    },
                    &fx,
                )
                .unwrap();
        }
        Ok("batch") => {
            // One batch put (aborted by the failpoint the parent set).
            let (keys, data, fx) = batch_objects(0, BATCH);
            let objs: Vec<BatchObject> = (0..BATCH)
                .map(|i| BatchObject::new(&keys[i], &data[i], &fx[i]))
                .collect();
            offer.put_batch(&objs).unwrap();
        }
        Ok("batches") => {
            // Batch after batch, as fast as possible: killed at an arbitrary point.
            for round in 0.. {
                let (keys, data, fx) = batch_objects(round * BATCH, BATCH);
                let objs: Vec<BatchObject> = (0..BATCH)
                    .map(|i| BatchObject::new(&keys[i], &data[i], &fx[i]))
                    .collect();
                offer.put_batch(&objs).unwrap();
            }
        }
        _ => {
            // Many small objects as fast as possible: killed at an arbitrary point,
            // including between commit and cleanup.
            for i in 0.. {
                let data = format!("object number {i} ").repeat(200 + i % 1000);
                let k = ObjectKey::new(format!("many/{i:06}")).unwrap();
                offer.put_bytes(&k, data.as_bytes()).unwrap();
            }
        }
    }
}

const BATCH: usize = 24;

/// The content of batch object number `i`.
fn batch_data(i: usize) -> Vec<u8> {
    format!("batch object {i} ")
        .repeat(50 + i % 700)
        .into_bytes()
}

/// Objects `first..first + n` of the batch crash tests: keys, bytes, fixities.
fn batch_objects(first: usize, n: usize) -> (Vec<ObjectKey>, Vec<Vec<u8>>, Vec<Fixity>) {
    let keys = (first..first + n)
        .map(|i| ObjectKey::new(format!("batch/{i:06}")).unwrap())
        .collect();
    let data: Vec<Vec<u8>> = (first..first + n).map(batch_data).collect();
    let fx = data
        .iter()
        .map(|d| Fixity::of_bytes(DigestAlgorithm::Sha512, d))
        .collect();
    (keys, data, fx)
}

/// Every visible batch object is complete, with its own fixity; no temporary file is left
/// once the offer is reopened. Returns the number of visible objects.
fn check_batch_objects(dir: &Path) -> usize {
    let offer = FilesystemOffer::open("fs", dir).unwrap();
    let listed = offer.list("batch/").unwrap();
    for m in &listed {
        offer.verify(&m.key, None).unwrap();
        let i: usize = m.key.as_str()[6..].parse().unwrap();
        assert_eq!(
            m.fixity,
            Fixity::of_bytes(DigestAlgorithm::Sha512, &batch_data(i)),
            "{}",
            m.key
        );
    }
    assert!(offer.damaged().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.join("tmp")).unwrap().count(),
        0,
        "orphan temporary files not cleaned on open"
    );
    listed.len()
}

/// A batch put aborted (as abruptly as `kill -9`) at each of its steps: before the links
/// nothing is visible, after the first link that object only, after the last link all of
/// them — each complete — and the same batch can then be put again.
#[test]
fn batch_put_aborted_at_every_step_leaves_only_complete_objects() {
    for point in BATCH_FAILPOINTS {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(ENV_DIR, dir.path())
            .env(ENV_MODE, "batch")
            .env(BATCH_FAILPOINT_ENV, point)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{point}: the child did not abort");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("failpoint {point}")),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tmp_files = std::fs::read_dir(dir.path().join("tmp")).unwrap().count();
        let visible = check_batch_objects(dir.path());
        let want = match *point {
            "fs-batch-after-write" | "fs-batch-after-sync" => 0,
            "fs-batch-mid-link" => 1,
            _ => BATCH,
        };
        assert_eq!(visible, want, "{point}: visible objects");
        if *point != "fs-batch-after-link" {
            assert!(tmp_files > 0, "{point}: the temporary files were written");
        }
        // The batch again, completed: what was visible is already present.
        let offer = FilesystemOffer::open("fs", dir.path()).unwrap();
        let (keys, data, fx) = batch_objects(0, BATCH);
        let objs: Vec<BatchObject> = (0..BATCH)
            .map(|i| BatchObject::new(&keys[i], &data[i], &fx[i]))
            .collect();
        let outs = offer.put_batch(&objs).unwrap();
        let present = outs
            .iter()
            .filter(|o| **o == PutOutcome::AlreadyPresent)
            .count();
        assert_eq!(present, want, "{point}: {outs:?}");
        assert_eq!(check_batch_objects(dir.path()), BATCH, "{point}");
    }
}

#[test]
fn sigkill_during_batch_puts_leaves_only_complete_objects() {
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    for round in 0..5u64 {
        let mut child = spawn_child(dir.path(), "batches");
        std::thread::sleep(Duration::from_millis(120 + round * 89));
        child.kill().unwrap();
        child.wait().unwrap();
        total = check_batch_objects(dir.path());
    }
    assert!(total > 0, "the child wrote nothing in time");
    eprintln!("{total} batch objects committed across 5 SIGKILLed runs, all complete");
}

fn spawn_child(dir: &Path, mode: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(ENV_DIR, dir)
        .env(ENV_MODE, mode)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn tmp_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir.join("tmp"))
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn sigkill_during_a_large_write_leaves_no_visible_object() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_child(dir.path(), "slow");
    let start = Instant::now();
    // Wait until the temporary file holds some data, then SIGKILL.
    while tmp_bytes(dir.path()) < 1 << 20 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "child never wrote"
        );
        assert!(child.try_wait().unwrap().is_none(), "child exited early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        tmp_bytes(dir.path()) > 0,
        "a partial temporary file exists before reopening"
    );

    let offer = FilesystemOffer::open("fs", dir.path()).unwrap();
    let k = ObjectKey::new("big/object.bin").unwrap();
    assert!(offer.head(&k).unwrap().is_none());
    assert!(offer.list("").unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "orphan temporary file not cleaned on open"
    );
    // The key is still writable.
    let size = 1 << 20;
    let fx = slow_fixity(size);
    offer
        .put(
            &k,
            &mut Slow {
                left: size,
                delay: Duration::ZERO,
            },
            &fx,
        )
        .unwrap();
    offer.verify(&k, Some(&fx)).unwrap();
}

#[test]
fn sigkill_at_arbitrary_points_leaves_only_complete_objects() {
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    for round in 0..6u64 {
        let mut child = spawn_child(dir.path(), "many");
        // Let it write for a varying while.
        std::thread::sleep(Duration::from_millis(150 + round * 97));
        child.kill().unwrap();
        child.wait().unwrap();
        let offer = FilesystemOffer::open("fs", dir.path()).unwrap();
        let listed = offer.list("many/").unwrap();
        for m in &listed {
            // Every visible object is complete and matches its recorded fixity.
            offer.verify(&m.key, None).unwrap();
            let i: usize = m.key.as_str()[5..].parse().unwrap();
            let data = format!("object number {i} ").repeat(200 + i % 1000);
            assert_eq!(
                m.fixity,
                Fixity::of_bytes(DigestAlgorithm::Sha512, data.as_bytes())
            );
        }
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
        total = listed.len();
    }
    assert!(total > 0, "the child wrote nothing in time");
    eprintln!("{total} objects committed across 6 SIGKILLed runs, all complete");
}
