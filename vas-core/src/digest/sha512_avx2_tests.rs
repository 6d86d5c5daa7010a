//! Tests of the SHA-512/SHA-384 engines against the `sha2` crate (an independent
//! implementation) and the FIPS 180-4 example vectors, on every engine this CPU can run.

use super::*;
use crate::digest::{DigestAlgorithm, Hasher, digest_bytes, sha2_backend};
use sha2::Digest as _;

/// The engines to test here; the AVX2 one must be among them on an x86-64 Linux build whose
/// CPU has AVX2/BMI1/BMI2 (so a broken detection cannot silently skip the assembly).
fn engines() -> Vec<Sha512Engine> {
    let v: Vec<_> = Sha512Engine::ALL
        .iter()
        .copied()
        .filter(|e| e.is_available())
        .collect();
    if ASM_BUILT && cpu_has_avx2_bmi() {
        assert!(v.contains(&Sha512Engine::Avx2) && v.contains(&Sha512Engine::Avx));
    }
    assert!(v.contains(&Sha512Engine::Portable));
    v
}

/// xorshift64*: reproducible pseudo-random bytes and split points.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn oracle(sha384: bool, data: &[u8]) -> Vec<u8> {
    if sha384 {
        sha2::Sha384::digest(data).to_vec()
    } else {
        sha2::Sha512::digest(data).to_vec()
    }
}

fn ctx(sha384: bool, e: Sha512Engine) -> Sha512Avx2 {
    Sha512Avx2::with_engine(sha384, e).expect("available engine")
}

#[test]
fn every_length_whole_and_split() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let data = rng.bytes(1100);
    for e in engines() {
        for sha384 in [false, true] {
            for n in 0..=1100 {
                let d = &data[..n];
                let want = oracle(sha384, d);
                let mut h = ctx(sha384, e);
                h.update(d);
                assert_eq!(h.finalize(), want, "{e:?} sha384={sha384} len {n} whole");
                // Random splits into 1 to 6 pieces, empty pieces included.
                let mut h = ctx(sha384, e);
                let mut at = 0;
                for _ in 0..rng.below(6) {
                    let to = at + rng.below(n - at + 1);
                    h.update(&d[at..to]);
                    at = to;
                }
                let h2 = h.clone();
                h.update(&d[at..]);
                assert_eq!(h.finalize(), want, "{e:?} sha384={sha384} len {n} split");
                let mut h2 = h2;
                h2.update(&d[at..]);
                assert_eq!(h2.finalize(), want, "{e:?} clone len {n}");
            }
        }
    }
}

#[test]
fn long_input_in_chunks() {
    let mut rng = Rng(42);
    let data = rng.bytes(16 << 20);
    let want512 = sha2::Sha512::digest(&data).to_vec();
    let want384 = sha2::Sha384::digest(&data).to_vec();
    for e in engines() {
        for chunk in [1usize, 127, 128, 129, 64 << 10] {
            let mut h = ctx(false, e);
            for c in data.chunks(chunk) {
                h.update(c);
            }
            assert_eq!(h.finalize(), want512, "{e:?} chunks of {chunk}");
        }
        let mut h = ctx(true, e);
        for c in data.chunks(129) {
            h.update(c);
        }
        assert_eq!(h.finalize(), want384, "{e:?} sha384 chunks of 129");
    }
}

/// FIPS 180-4 (and its example pages) vectors: "abc", the empty string, the two-block
/// 896-bit message and one million 'a'.
#[test]
fn fips_vectors() {
    let long = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    let million = vec![b'a'; 1_000_000];
    let cases: [(&[u8], &str, &str); 4] = [
        (
            b"abc",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            b"",
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
            "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
        ),
        (
            long,
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
            "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039",
        ),
        (
            &million,
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
            "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985",
        ),
    ];
    for e in engines() {
        for (msg, h512, h384) in cases {
            let mut h = ctx(false, e);
            h.update(msg);
            assert_eq!(hex::encode(h.finalize()), h512, "{e:?} len {}", msg.len());
            let mut h = ctx(true, e);
            h.update(msg);
            assert_eq!(hex::encode(h.finalize()), h384, "{e:?} len {}", msg.len());
        }
    }
    // And through the public entry points, on this process's engine.
    for (alg, msg, want) in [
        (DigestAlgorithm::Sha512, &b"abc"[..], cases[0].1),
        (DigestAlgorithm::Sha384, &b"abc"[..], cases[0].2),
        (DigestAlgorithm::Sha512, &long[..], cases[2].1),
        (DigestAlgorithm::Sha384, &long[..], cases[2].2),
    ] {
        assert_eq!(digest_bytes(alg, msg), want, "{alg}");
    }
}

#[test]
fn compress_matches_sha2_block_function() {
    let mut rng = Rng(7);
    let blocks: Vec<[u8; 128]> = (0..9).map(|_| rng.bytes(128).try_into().unwrap()).collect();
    let init: [u64; 8] = std::array::from_fn(|_| rng.next());
    for n in 0..=blocks.len() {
        let mut want = init;
        sha2::block_api::compress512(&mut want, &blocks[..n]);
        let mut got = init;
        sha512_compress(&mut got, &blocks[..n]);
        assert_eq!(got, want, "sha512_compress, {n} blocks");
        for e in engines() {
            let mut got = init;
            e.compress(&mut got, blocks[..n].as_flattened());
            assert_eq!(got, want, "{e:?}, {n} blocks");
        }
    }
}

#[test]
#[should_panic(expected = "not a whole number of 128-byte blocks")]
fn compress_refuses_partial_blocks() {
    let mut s = [0u64; 8];
    Sha512Engine::Portable.compress(&mut s, &[0u8; 130]);
}

/// The default engine is the fastest available one (unless the variable forces another).
#[test]
fn detection_picks_the_fastest() {
    if std::env::var_os("VAS_SHA512_ENGINE").is_none() {
        assert_eq!(sha512_engine(), engines()[0]);
    }
    assert!(sha512_engine().is_available());
}

/// Run in a child process by `forced_engine_drives_the_hasher`: the engine forced by
/// `VAS_SHA512_ENGINE` is the one `Hasher` uses, and it still gives the right digests.
#[test]
fn forced_engine_child() {
    let Some(expect) = std::env::var_os("VAS_SHA512_ENGINE_EXPECT") else {
        return;
    };
    assert_eq!(sha512_engine().name(), expect.to_str().unwrap());
    let backend = sha2_backend();
    if sha512_engine() == Sha512Engine::Portable || !cfg!(feature = "openssl-avx2") {
        assert!(backend == "ring" || backend == "sha2", "{backend}");
    } else {
        assert_eq!(backend, sha512_engine().name());
    }
    let mut rng = Rng(3);
    let data = rng.bytes(5000);
    for n in [0, 1, 111, 112, 127, 128, 129, 255, 256, 257, 4999, 5000] {
        for (alg, want) in [
            (DigestAlgorithm::Sha512, oracle(false, &data[..n])),
            (DigestAlgorithm::Sha384, oracle(true, &data[..n])),
        ] {
            let mut h = Hasher::new(alg);
            h.update(&data[..n / 2]);
            h.update(&data[n / 2..n]);
            assert_eq!(h.finalize_bytes(), want, "{alg} {n} on {backend}");
        }
    }
    println!("forced engine child ok: {backend}");
}

/// Every engine, forced through `VAS_SHA512_ENGINE` in a child test process, drives
/// `Hasher` (so the fallback paths are exercised on a CPU that has AVX2).
#[test]
fn forced_engine_drives_the_hasher() {
    if std::env::var_os("VAS_SHA512_ENGINE_EXPECT").is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for e in engines() {
        let short = match e {
            Sha512Engine::Avx2 => "avx2",
            Sha512Engine::Avx => "avx",
            Sha512Engine::Portable => "portable",
        };
        let out = std::process::Command::new(&exe)
            .args([
                "digest::sha512_avx2::tests::forced_engine_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("VAS_SHA512_ENGINE", short)
            .env("VAS_SHA512_ENGINE_EXPECT", e.name())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("forced engine child ok"),
            "{e:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
