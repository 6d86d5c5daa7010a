//! Throughput of `digest_many` (the multi-buffer SHA-512: 8 inputs side by side in the
//! lanes of AVX-512 registers) against one stream, in memory (no I/O).
//!
//! For each input size (4 KiB, 100 KiB, 1 MiB) and count (8 … 1 000 inputs), three rows:
//! - `one stream`: each input through `Hasher` (ring's assembly with `--features asm-sha`,
//!   else the `sha2` crate), one after the other: what callers did before;
//! - `digest_many`: the same inputs in one call (the engine the CPU supports);
//! - `digest_many, batches of preferred_batch`: the same inputs handed over
//!   `preferred_batch(Sha512)` at a time, as the SIP builder and the ingest do.
//!
//! Run: `cargo bench -p vas-core --features asm-sha --bench digest_many`. Set
//! `VAS_NO_MULTIBUFFER=1` to see the one-by-one engine behind `digest_many`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vas_core::digest::{DigestAlgorithm, Hasher, digest_many, preferred_batch, sha2_backend};

fn data(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let alg = DigestAlgorithm::Sha512;
    let batch = preferred_batch(alg);
    for (label, size, counts) in [
        ("4KiB", 4096usize, &[8usize, 64, 1000][..]),
        ("100KiB", 100 << 10, &[8, 64, 1000][..]),
        ("1MiB", 1 << 20, &[8, 64][..]),
    ] {
        let max = *counts.iter().max().unwrap_or(&8);
        let buf = data(size * max);
        for &n in counts {
            let inputs: Vec<&[u8]> = buf.chunks(size).take(n).collect();
            let mut g = c.benchmark_group(format!("digest_many/{n}x{label}"));
            g.throughput(Throughput::Bytes((size * n) as u64));
            g.sample_size(10);
            g.bench_function(format!("one stream ({})", sha2_backend()), |b| {
                b.iter(|| {
                    inputs
                        .iter()
                        .map(|d| {
                            let mut h = Hasher::new(alg);
                            h.update(d);
                            h.finalize_bytes()
                        })
                        .collect::<Vec<_>>()
                })
            });
            g.bench_function("digest_many", |b| b.iter(|| digest_many(alg, &inputs)));
            g.bench_function(format!("digest_many, batches of {batch}"), |b| {
                b.iter(|| {
                    inputs
                        .chunks(batch)
                        .flat_map(|c| digest_many(alg, c))
                        .collect::<Vec<_>>()
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
