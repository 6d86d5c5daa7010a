//! SIP build and read benchmarks.
//!
//! Default sizes keep `cargo bench` short on a shared machine: 2 000 files × 4 KiB and
//! 64 files × 1 MiB. Set `VAS_BENCH_FULL=1` for the sizes (20 000 × 4 KiB and
//! 10 000 files / 1 GiB), to compare with `bagit.py --sha512 --processes 2` and
//! `openssl dgst -sha512` on the same trees.
//!
//! Cases: the two-pass build (manifest first, every file read twice), the one-read build
//! (`manifest_last`, the CLI default) and the one-read build with small files hashed in
//! batches of 8 (`BuildOptions::batch`, forced even where `preferred_batch` is 1), all
//! stored zips with SHA-512, then the verification of the package.
//!
//! The table that stood here (session 2, stored zips, load ≈ 10) predates the one-read
//! pipeline, the `Auto` compression and the 2-thread batches: it is gone. Current
//! figures, measured with the release `vas` binary against main's binary, `openssl dgst
//! -sha512` and `bagit.py` in the same minutes, are in `docs/performance.md`, section
//! "Packaging, sip7 branch (2026-11-29)"; e.g. 2 000 random files / 205 MiB, one thread,
//! CLI default: ≈1.0–1.3 s of CPU vs openssl's 0.54–0.62 s (load 20–25, CPU time).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vas_core::digest::DigestAlgorithm;
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    BuildOptions, Compression, FolderImportOptions, Limits, PackageFormat, SipBuilder, SipReader,
    WriterOptions,
};

fn make_tree(root: &Path, files: usize, size: usize) {
    for i in 0..files {
        let d = root.join(format!("d{}", i % 100));
        std::fs::create_dir_all(&d).unwrap();
        let data: Vec<u8> = (0..size).map(|j| ((i * 31 + j * 7) % 251) as u8).collect();
        std::fs::write(d.join(format!("f{i}.bin")), data).unwrap();
    }
}

fn build(src: &Path, out: &Path, manifest_last: bool) {
    build_with(src, out, manifest_last, None)
}

fn build_with(src: &Path, out: &Path, manifest_last: bool, batch: Option<usize>) {
    let _ = std::fs::remove_file(out);
    let mut b = SipBuilder::new(SedaVersion::V2_1);
    b.archival_agency("A").transferring_agency("T");
    b.import_folder(src, None, &FolderImportOptions::default())
        .unwrap();
    let w = WriterOptions::new(PackageFormat::Zip)
        .algorithm(DigestAlgorithm::Sha512)
        .compression(Compression::Stored);
    let mut o = BuildOptions::new(w);
    o.manifest_last = manifest_last;
    o.batch = batch;
    b.write_to_file(out, o).unwrap();
}

fn bench(c: &mut Criterion) {
    let full = std::env::var_os("VAS_BENCH_FULL").is_some();
    let cases: &[(&str, usize, usize)] = if full {
        &[
            ("20000x4KiB", 20_000, 4096),
            ("10000x100KiB", 10_000, 107_374),
        ]
    } else {
        &[("2000x4KiB", 2_000, 4096), ("64x1MiB", 64, 1 << 20)]
    };
    let mut g = c.benchmark_group("sip");
    g.sample_size(10);
    for (name, files, size) in cases {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        make_tree(&src, *files, *size);
        let out = dir.path().join("sip.zip");
        g.throughput(Throughput::Bytes((*files * *size) as u64));
        g.bench_function(format!("build/{name}"), |b| {
            b.iter(|| build(&src, &out, false))
        });
        g.bench_function(format!("build-manifest-last/{name}"), |b| {
            b.iter(|| build(&src, &out, true))
        });
        // Small files read whole and hashed 8 at a time (`digest_many`), forced even where
        // `preferred_batch` is 1.
        g.bench_function(format!("build-manifest-last-batch8/{name}"), |b| {
            b.iter(|| build_with(&src, &out, true, Some(8)))
        });
        build(&src, &out, false);
        g.bench_function(format!("verify/{name}"), |b| {
            b.iter(|| {
                let mut r = SipReader::open(&out, Limits::default()).unwrap();
                let v = r.verify().unwrap();
                assert_eq!(v.digests_ok, *files);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
