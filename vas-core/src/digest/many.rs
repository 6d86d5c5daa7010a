//! Digests of many independent inputs computed together.
//!
//! Hashing one stream is serial: each SHA-512 block depends on the previous one, so a
//! single stream cannot use more than one core's scalar pipeline. A package or an ingest
//! hashes thousands of *independent* files, though, and those can be hashed side by side:
//! one SIMD lane per input ("multi-buffer" hashing, as in Intel's ISA-L). [`digest_many`]
//! is that entry point; callers that hold several small inputs in memory at once (the SIP
//! builder's batches of files, the ingest's batches of zip entries, the archive's object
//! batches) hand them over together, at most [`preferred_batch`] at a time.
//!
//! Engines:
//! - SHA-512 and SHA-384 on an x86-64 CPU with AVX-512 F and BW: the 8-lane engine of
//!   `sha512x8` (one input per 64-bit lane of a 512-bit register; a lane freed by a
//!   finished input takes the next one of the batch; the last one or two busy lanes are
//!   finished by the scalar compression; inputs are taken longest first). Measured at ~4× the CPU throughput of one
//!   single-stream hasher (ring's assembly) on the same inputs (docs/performance.md,
//!   "Multi-buffer SHA-512"). A single input goes through the `Hasher`.
//! - Everything else (other algorithms, other CPUs, or the environment variable
//!   `VAS_NO_MULTIBUFFER=1`, read once): each input through the single-stream [`Hasher`].
//!
//! The digests are exactly those of [`super::digest_bytes`] on each input whatever the
//! engine (the tests run every engine against the `sha2` crate on inputs of every length
//! up to 600 bytes, around the padding boundaries, on batches mixing 0 B and 3 MiB, on the
//! FIPS 180-4 vectors and on random batches).

use super::sha512x8::{self, IV_384, IV_512, Load};
use super::{DigestAlgorithm, Hasher};
use std::sync::atomic::{AtomicU8, Ordering};

/// Inputs per call below which the multi-buffer engine is not used: a single input is
/// hashed faster by the single-stream [`Hasher`] (ring's assembly with `asm-sha`).
const MIN_MULTI: usize = 2;

/// The engine [`digest_many`] uses for SHA-384/512.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    /// Each input alone with the single-stream [`Hasher`].
    OneByOne,
    /// Eight lanes of AVX-512 ([`sha512x8`]).
    Avx512(Load),
}

/// The engine chosen for this process: AVX-512 when the CPU has it (F and BW), unless the
/// environment variable `VAS_NO_MULTIBUFFER` is set to anything but `0` or empty (for
/// comparisons); decided once.
fn engine() -> Engine {
    // 0 = not yet known, 1 = one by one, 2 = AVX-512
    static CACHE: AtomicU8 = AtomicU8::new(0);
    match CACHE.load(Ordering::Relaxed) {
        1 => Engine::OneByOne,
        2 => Engine::Avx512(Load::Transpose),
        _ => {
            let off =
                std::env::var_os("VAS_NO_MULTIBUFFER").is_some_and(|v| !v.is_empty() && v != "0");
            let e = if !off && sha512x8::available() {
                Engine::Avx512(Load::Transpose)
            } else {
                Engine::OneByOne
            };
            CACHE.store(if e == Engine::OneByOne { 1 } else { 2 }, Ordering::Relaxed);
            e
        }
    }
}

/// How many inputs a caller should hand to [`digest_many`] at once for `algorithm` to
/// get its full speed on this CPU. 1 means "no gain from batching": callers may then hash
/// each input as it comes instead of buffering several.
///
/// SHA-512 and SHA-384 on a CPU with AVX-512 (F, BW): 64, eight inputs per lane. Inputs of
/// equal sizes reach full speed from 8 on, but with sizes spread from 1 KiB to 1 MiB the
/// longest input of a small batch ends up alone in its lane: measured, batches of 16 run at
/// ~2× one stream, of 64 at ~4.5× (docs/performance.md). Callers holding files in memory
/// should also bound a batch by bytes. Every other algorithm or CPU: 1.
pub fn preferred_batch(algorithm: DigestAlgorithm) -> usize {
    match (algorithm, engine()) {
        (DigestAlgorithm::Sha512 | DigestAlgorithm::Sha384, Engine::Avx512(_)) => 64,
        _ => 1,
    }
}

/// The digests (raw bytes) of each of `inputs`, in the same order.
///
/// SHA-512 and SHA-384 use the 8-lane AVX-512 engine when the CPU has it (see the module
/// documentation); the digests are the same either way.
///
/// ```
/// use vas_core::digest::{digest_bytes, digest_many, DigestAlgorithm};
/// let inputs: [&[u8]; 3] = [b"abc", b"", &[7u8; 1000]];
/// let d = digest_many(DigestAlgorithm::Sha512, &inputs);
/// assert_eq!(hex::encode(&d[0]), digest_bytes(DigestAlgorithm::Sha512, b"abc"));
/// assert_eq!(d.len(), 3);
/// ```
pub fn digest_many(algorithm: DigestAlgorithm, inputs: &[&[u8]]) -> Vec<Vec<u8>> {
    digest_many_with(engine(), algorithm, inputs)
}

/// [`digest_many`] with a given engine (the tests run every engine).
fn digest_many_with(engine: Engine, algorithm: DigestAlgorithm, inputs: &[&[u8]]) -> Vec<Vec<u8>> {
    let (iv, out_len) = match algorithm {
        DigestAlgorithm::Sha512 => (&IV_512, 64),
        DigestAlgorithm::Sha384 => (&IV_384, 48),
        _ => return one_by_one(algorithm, inputs),
    };
    let load = match engine {
        Engine::Avx512(load) if inputs.len() >= MIN_MULTI => load,
        _ => return one_by_one(algorithm, inputs),
    };
    let mut states = vec![[0u64; 8]; inputs.len()];
    sha512x8::hash_many(iv, inputs, &mut states, load);
    states
        .iter()
        .map(|s| {
            let mut d = Vec::with_capacity(64);
            for w in s {
                d.extend_from_slice(&w.to_be_bytes());
            }
            d.truncate(out_len);
            d
        })
        .collect()
}

fn one_by_one(algorithm: DigestAlgorithm, inputs: &[&[u8]]) -> Vec<Vec<u8>> {
    inputs
        .iter()
        .map(|data| {
            let mut h = Hasher::new(algorithm);
            h.update(data);
            h.finalize_bytes()
        })
        .collect()
}

/// The digests of each of `inputs` in lower-case hex, in the same order (see
/// [`digest_many`]).
pub fn digest_many_hex(algorithm: DigestAlgorithm, inputs: &[&[u8]]) -> Vec<String> {
    digest_many(algorithm, inputs)
        .into_iter()
        .map(hex::encode)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::digest_bytes;
    use proptest::prelude::*;
    use sha2::Digest as _;

    /// Every engine this machine can run (the one-by-one fallback always; AVX-512 with both
    /// ways of loading the message words when the CPU has it).
    fn engines() -> Vec<Engine> {
        let mut e = vec![Engine::OneByOne];
        if sha512x8::available() {
            e.push(Engine::Avx512(Load::Transpose));
            e.push(Engine::Avx512(Load::Gather));
        }
        e
    }

    /// Deterministic pseudo-random bytes.
    fn bytes(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                crate::testutil::xorshift64(&mut x);
                (x >> 24) as u8
            })
            .collect()
    }

    /// Checks every engine against the `sha2` crate (an independent oracle) on `inputs`.
    fn check(alg: DigestAlgorithm, inputs: &[&[u8]]) {
        let oracle: Vec<Vec<u8>> = inputs
            .iter()
            .map(|d| match alg {
                DigestAlgorithm::Sha384 => sha2::Sha384::digest(d).to_vec(),
                _ => sha2::Sha512::digest(d).to_vec(),
            })
            .collect();
        for e in engines() {
            let got = digest_many_with(e, alg, inputs);
            assert_eq!(got.len(), inputs.len());
            for (i, (g, o)) in got.iter().zip(&oracle).enumerate() {
                assert_eq!(
                    hex::encode(g),
                    hex::encode(o),
                    "{e:?} {alg} input {i} of {} ({} bytes)",
                    inputs.len(),
                    inputs[i].len()
                );
            }
        }
        let mut scalar = vec![[0u64; 8]; inputs.len()];
        let iv = if alg == DigestAlgorithm::Sha384 {
            &IV_384
        } else {
            &IV_512
        };
        sha512x8::hash_many_scalar(iv, inputs, &mut scalar);
        for (s, o) in scalar.iter().zip(&oracle) {
            let b: Vec<u8> = s.iter().flat_map(|w| w.to_be_bytes()).collect();
            assert_eq!(&b[..o.len()], &o[..]);
        }
    }

    #[test]
    fn many_equals_one_by_one_for_every_algorithm_and_length_mix() {
        let data: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for alg in [
            DigestAlgorithm::Md5,
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            // lengths around the 64- and 128-byte block and padding boundaries
            let lens = [
                0usize, 1, 55, 56, 63, 64, 111, 112, 127, 128, 129, 255, 256, 1000, 4096,
            ];
            let inputs: Vec<&[u8]> = lens.iter().map(|&n| &data[..n]).collect();
            let got = digest_many_hex(alg, &inputs);
            for (i, &n) in lens.iter().enumerate() {
                assert_eq!(got[i], digest_bytes(alg, &data[..n]), "{alg} len {n}");
            }
        }
        assert!(digest_many(DigestAlgorithm::Sha512, &[]).is_empty());
        assert!(preferred_batch(DigestAlgorithm::Sha512) >= 1);
        assert_eq!(preferred_batch(DigestAlgorithm::Md5), 1);
    }

    #[test]
    fn fips_180_4_vectors() {
        // FIPS 180-4 examples (NIST CSRC "SHA512.pdf" / "SHA384.pdf"): "abc", the 896-bit
        // two-block message, and one million 'a'.
        let two = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        let million = vec![b'a'; 1_000_000];
        let inputs: [&[u8]; 4] = [b"abc", two, &million, b""];
        let want512 = [
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        ];
        let want384 = [
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039",
            "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985",
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
        ];
        for e in engines() {
            let got: Vec<String> = digest_many_with(e, DigestAlgorithm::Sha512, &inputs)
                .into_iter()
                .map(hex::encode)
                .collect();
            assert_eq!(got, want512, "{e:?}");
            let got: Vec<String> = digest_many_with(e, DigestAlgorithm::Sha384, &inputs)
                .into_iter()
                .map(hex::encode)
                .collect();
            assert_eq!(got, want384, "{e:?}");
        }
        check(DigestAlgorithm::Sha512, &inputs);
    }

    #[test]
    fn every_length_up_to_600_in_mixed_batches() {
        let data = bytes(600, 1);
        // batches of 1..=13 consecutive lengths, in rising and in falling order
        let lens: Vec<usize> = (0..=600).collect();
        let mut k = 1;
        for chunk in lens.chunks(13) {
            for batch in chunk.chunks(k) {
                let up: Vec<&[u8]> = batch.iter().map(|&n| &data[..n]).collect();
                check(DigestAlgorithm::Sha512, &up);
                let down: Vec<&[u8]> = batch.iter().rev().map(|&n| &data[600 - n..]).collect();
                check(DigestAlgorithm::Sha384, &down);
            }
            k = k % 13 + 1;
        }
        // one batch holding every length: lanes refilled over and over
        let all: Vec<&[u8]> = lens.iter().map(|&n| &data[..n]).collect();
        check(DigestAlgorithm::Sha512, &all);
    }

    #[test]
    fn lengths_around_the_padding_boundaries() {
        let data = bytes(2000, 2);
        let mut lens = vec![];
        for b in [111usize, 112, 127, 128, 239, 240, 255, 256, 1023, 1024] {
            lens.extend([b - 1, b, b + 1]);
        }
        for rot in 0..lens.len() {
            let batch: Vec<&[u8]> = lens
                .iter()
                .cycle()
                .skip(rot)
                .take(9)
                .map(|&n| &data[..n])
                .collect();
            check(DigestAlgorithm::Sha512, &batch);
        }
    }

    #[test]
    fn batches_of_wildly_different_sizes() {
        let big = bytes(3 << 20, 3);
        let sizes = [
            0usize,
            3 << 20,
            1,
            200_000,
            127,
            5000,
            112,
            64 << 10,
            64,
            300_000,
        ];
        for n in 1..=20 {
            let batch: Vec<&[u8]> = (0..n)
                .map(|i| {
                    let s = sizes[(i * 7 + n) % sizes.len()];
                    &big[(i * 13) % 100..][..s.min(big.len() - (i * 13) % 100)]
                })
                .collect();
            check(DigestAlgorithm::Sha512, &batch);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn random_batches_match_the_oracle(
            lens in proptest::collection::vec(0usize..3000, 0..40),
            seed in any::<u64>(),
            sha384 in any::<bool>(),
        ) {
            let data = bytes(3000, seed);
            let batch: Vec<&[u8]> = lens.iter().map(|&n| &data[3000 - n..]).collect();
            let alg = if sha384 { DigestAlgorithm::Sha384 } else { DigestAlgorithm::Sha512 };
            check(alg, &batch);
        }
    }
}
