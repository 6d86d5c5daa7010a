//! Digest throughput per algorithm, in memory (no I/O): the hot path of every fixity check.
//!
//! Each algorithm is measured through `vas_core::digest::Hasher` on 8 MiB and on 4 KiB
//! buffers (the per-call overhead matters for small files). For SHA-512 the pure-Rust `sha2`
//! crate is measured in the same run, so the gain of the assembly backend (feature
//! `asm-sha`, `cargo bench --features asm-sha --bench digest`) reads as a ratio. The
//! whole-process comparison with `openssl dgst` and coreutils is the `digest` group of
//! `benches/compare.py`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::Digest as _;
use vas_core::digest::{DigestAlgorithm, Hasher, sha2_backend};

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
    for (label, size) in [("8MiB", 8usize << 20), ("4KiB", 4096)] {
        let buf = data(size);
        let mut g = c.benchmark_group(format!("digest/{label}"));
        g.throughput(Throughput::Bytes(size as u64));
        g.sample_size(20);
        for alg in DigestAlgorithm::ALL {
            let name = match alg {
                DigestAlgorithm::Sha256 | DigestAlgorithm::Sha384 | DigestAlgorithm::Sha512 => {
                    format!("{} ({})", alg.seda_name(), sha2_backend())
                }
                _ => alg.seda_name().to_owned(),
            };
            g.bench_function(name, |b| {
                b.iter(|| {
                    let mut h = Hasher::new(*alg);
                    h.update(&buf);
                    h.finalize_bytes()
                })
            });
        }
        g.bench_function("SHA-512 (sha2 crate, pure Rust reference)", |b| {
            b.iter(|| sha2::Sha512::digest(&buf))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
