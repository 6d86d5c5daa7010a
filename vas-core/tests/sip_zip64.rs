//! Zip64 for an entry over 4 GiB, cheap enough for the suite: the package is written to a
//! *sparse* file (runs of zeros become holes), so a 4 GiB entry of zeros costs no disk and
//! only the hashing CPU. The full-size test on real data stays in `sip_builder.rs`
//! (`#[ignore]`, run with `cargo test -- --ignored`).
//!
//! Oracles: Python's `zipfile` (an independent zip64 reader) reads the central directory —
//! sizes over 4 GiB, a local-header offset over 4 GiB — and reads the small entry that
//! lies beyond 4 GiB (CRC-32 checked, SHA-256 by `hashlib`); vas's own reader then reads
//! the whole package back (CRC-32 of every entry checked) and must find the digests the
//! writer computed. Cost: two passes of SHA-256 + CRC-32 over 4 GiB, no disk.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::process::Command;

use vas_core::digest::DigestAlgorithm;
use vas_core::sip::{Compression, Limits, PackageFormat, PackageWriter, SipReader, WriterOptions};

/// A file writer that turns buffers of zeros into holes (seeks over them).
struct SparseFile {
    f: File,
    pos: u64,
    len: u64,
}

impl Write for SparseFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        static ZEROS: [u8; 1 << 16] = [0; 1 << 16];
        let n = buf.len().min(ZEROS.len());
        if buf[..n] == ZEROS[..n] {
            self.pos += n as u64;
            self.f.seek(SeekFrom::Start(self.pos))?;
        } else {
            let k = self.f.write(&buf[..n])?;
            self.pos += k as u64;
            self.len = self.len.max(self.pos);
            return Ok(k);
        }
        self.len = self.len.max(self.pos);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.f.metadata()?.len() < self.len {
            self.f.set_len(self.len)?; // a trailing hole
        }
        self.f.flush()
    }
}

impl Seek for SparseFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let p = match to {
            SeekFrom::End(d) => self.f.seek(SeekFrom::Start(self.len))? as i64 + d,
            SeekFrom::Start(p) => p as i64,
            SeekFrom::Current(d) => self.pos as i64 + d,
        };
        self.pos = self.f.seek(SeekFrom::Start(p as u64))?;
        Ok(self.pos)
    }
}

const PY_ORACLE: &str = r#"
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    infos = {i.filename: i for i in z.infolist()}
    out = {n: {"size": i.file_size, "compressed": i.compress_size, "offset": i.header_offset,
               "method": i.compress_type} for n, i in infos.items()}
    for n in infos:
        if infos[n].file_size > 1 << 20:
            continue  # vas's reader re-reads the big entry; one extra 4 GiB pass is enough
        h = hashlib.sha256()
        with z.open(n) as f:  # zipfile checks the CRC-32 at the end of the stream
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                h.update(b)
        out[n]["sha256"] = h.hexdigest()
print(json.dumps(out))
"#;

#[test]
fn zip64_entry_over_4_gib_in_a_sparse_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.zip");
    let size: u64 = (4 << 30) + 12_345;
    let f = File::create(&out).unwrap();
    let sink = SparseFile { f, pos: 0, len: 0 };
    let opts = WriterOptions::new(PackageFormat::Zip)
        .algorithm(DigestAlgorithm::Sha256)
        .compression(Compression::Stored)
        .deterministic(true);
    let mut w = PackageWriter::new(sink, opts).unwrap();
    w.add_bytes("manifest.xml", b"<x/>").unwrap();
    let big = w
        .add_reader("Content/big.bin", io::repeat(0).take(size), Some(size))
        .unwrap();
    // An entry after the big one: its local header lies beyond 4 GiB.
    let small = w
        .add_reader("Content/after.txt", &b"after the big one"[..], None)
        .unwrap();
    w.finish().unwrap();
    assert_eq!(big.size, size);

    let meta = std::fs::metadata(&out).unwrap();
    assert!(meta.len() > size, "apparent size {}", meta.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Sparse: far less than the apparent size is allocated (when the file system
        // supports holes; tmpfs and ext4 do).
        eprintln!("allocated: {} bytes", meta.blocks() * 512);
    }

    // Independent oracle: Python's zipfile.
    let py = Command::new("python3")
        .args(["-c", PY_ORACLE])
        .arg(&out)
        .output()
        .expect("python3 (installed by scripts/setup.d/sip.sh)");
    assert!(
        py.status.success(),
        "python zipfile: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&py.stdout).unwrap();
    let b = &v["Content/big.bin"];
    assert_eq!(b["size"].as_u64(), Some(size));
    assert_eq!(b["compressed"].as_u64(), Some(size), "stored");
    assert_eq!(b["method"].as_u64(), Some(0), "stored");
    let a = &v["Content/after.txt"];
    assert!(
        a["offset"].as_u64().unwrap() > 0xFFFF_FFFF,
        "local header offset needs zip64: {a}"
    );
    assert_eq!(a["sha256"].as_str(), Some(small.digest.as_str()));

    // vas's reader: every entry, sizes and digests.
    let mut r = SipReader::open(&out, Limits::default()).unwrap();
    let d = r.hash_all(DigestAlgorithm::Sha256).unwrap();
    let got: Vec<(&str, u64, &str)> = d
        .iter()
        .map(|o| (o.name.as_str(), o.size, o.digest.as_str()))
        .collect();
    assert!(
        got.contains(&("Content/big.bin", size, big.digest.as_str())),
        "{got:?}"
    );
    assert!(
        got.contains(&("Content/after.txt", 17, small.digest.as_str())),
        "{got:?}"
    );
}
