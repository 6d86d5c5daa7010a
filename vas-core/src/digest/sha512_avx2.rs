//! SHA-512 and SHA-384 with OpenSSL's AVX2 single-stream assembly.
//!
//! `sha512_avx2.S` is OpenSSL's `sha512_block_data_order_avx2` (AVX2 + BMI1 + BMI2: the
//! message schedules of two consecutive blocks computed side by side in the ymm registers,
//! `rorx` in the rounds) and `sha512_block_data_order_avx` (AVX + `shrd`, for CPUs with AVX
//! but not AVX2/BMI2), generated from OpenSSL's perlasm; the file's header says how, and
//! under which licence. It is assembled by `core::arch::global_asm!` (LLVM's integrated
//! assembler: no build script, no C compiler) on x86-64 Linux and FreeBSD only, with the
//! feature `openssl-avx2` (on by default); everywhere else, and on CPUs without AVX, [`Sha512Engine::Portable`] (the `sha2` crate's block
//! function) is the only engine.
//!
//! The engine is chosen once per process from the CPU's features ([`sha512_engine`]); the
//! environment variable `VAS_SHA512_ENGINE` (`avx2`, `avx` or `portable`, read once) forces
//! a slower one, so that every path can be tested and measured on one machine. An engine
//! the CPU cannot run is never used, whatever the variable says.
//!
//! This module is one of the few places of vas-core allowed `unsafe`: the calls into the
//! assembly, each guarded by the CPU-feature check of its engine.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicU8, Ordering};

#[cfg(all(
    feature = "openssl-avx2",
    target_arch = "x86_64",
    any(target_os = "linux", target_os = "freebsd")
))]
core::arch::global_asm!(include_str!("sha512_avx2.S"), options(att_syntax));

#[cfg(all(
    feature = "openssl-avx2",
    target_arch = "x86_64",
    any(target_os = "linux", target_os = "freebsd")
))]
unsafe extern "C" {
    /// OpenSSL's AVX2+BMI1+BMI2 SHA-512 block function: `n >= 1` blocks of 128 bytes.
    fn vas_sha512_block_data_order_avx2(state: *mut u64, blocks: *const u8, n: usize);
    /// OpenSSL's AVX+shrd SHA-512 block function: `n >= 1` blocks of 128 bytes.
    fn vas_sha512_block_data_order_avx(state: *mut u64, blocks: *const u8, n: usize);
}

/// Whether the assembly is compiled into this build (feature `openssl-avx2`, x86-64 Linux
/// or FreeBSD).
const ASM_BUILT: bool = cfg!(all(
    feature = "openssl-avx2",
    target_arch = "x86_64",
    any(target_os = "linux", target_os = "freebsd")
));

/// A SHA-512 block function ("compress": 80 rounds over each 128-byte block).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sha512Engine {
    /// OpenSSL's AVX2 code path (needs AVX2, BMI1 and BMI2; x86-64 Linux/FreeBSD builds).
    Avx2,
    /// OpenSSL's AVX code path (needs AVX; x86-64 Linux/FreeBSD builds).
    Avx,
    /// The `sha2` crate's block function (pure Rust, every target).
    Portable,
}

impl Sha512Engine {
    /// Every engine, fastest first.
    pub const ALL: &'static [Sha512Engine] = &[
        Sha512Engine::Avx2,
        Sha512Engine::Avx,
        Sha512Engine::Portable,
    ];

    /// The name `sha2_backend` reports for it: `"openssl-avx2"`, `"openssl-avx"` or `"sha2"`.
    pub fn name(self) -> &'static str {
        match self {
            Sha512Engine::Avx2 => "openssl-avx2",
            Sha512Engine::Avx => "openssl-avx",
            Sha512Engine::Portable => "sha2",
        }
    }

    /// True when this build contains the engine and this CPU can run it.
    pub fn is_available(self) -> bool {
        match self {
            Sha512Engine::Portable => true,
            Sha512Engine::Avx2 => ASM_BUILT && cpu_has_avx2_bmi(),
            Sha512Engine::Avx => ASM_BUILT && cpu_has_avx(),
        }
    }

    /// Hashes `blocks` (a whole number of 128-byte blocks) into `state`.
    ///
    /// # Panics
    /// When the engine is not [available](Self::is_available) (running it could fault), or
    /// when `blocks.len()` is not a multiple of 128.
    pub fn compress(self, state: &mut [u64; 8], blocks: &[u8]) {
        assert!(
            blocks.len().is_multiple_of(128),
            "SHA-512 compress: {} bytes is not a whole number of 128-byte blocks",
            blocks.len()
        );
        assert!(
            self.is_available(),
            "SHA-512 engine {} is not available on this CPU/build",
            self.name()
        );
        // SAFETY: the engine was checked to be available (CPU features present, code built).
        unsafe { self.compress_unchecked(state, blocks) }
    }

    /// [`compress`](Self::compress) without the checks.
    ///
    /// # Safety
    /// `self.is_available()` must be true and `blocks.len()` a multiple of 128.
    #[inline]
    unsafe fn compress_unchecked(self, state: &mut [u64; 8], blocks: &[u8]) {
        let n = blocks.len() / 128;
        if n == 0 {
            return;
        }
        match self {
            #[cfg(all(
                feature = "openssl-avx2",
                target_arch = "x86_64",
                any(target_os = "linux", target_os = "freebsd")
            ))]
            // SAFETY: the CPU has AVX2+BMI1+BMI2 (caller's contract); the function reads
            // exactly `n` blocks from `blocks` and writes the 8 words of `state`.
            Sha512Engine::Avx2 => unsafe {
                vas_sha512_block_data_order_avx2(state.as_mut_ptr(), blocks.as_ptr(), n)
            },
            #[cfg(all(
                feature = "openssl-avx2",
                target_arch = "x86_64",
                any(target_os = "linux", target_os = "freebsd")
            ))]
            // SAFETY: as above, with AVX.
            Sha512Engine::Avx => unsafe {
                vas_sha512_block_data_order_avx(state.as_mut_ptr(), blocks.as_ptr(), n)
            },
            _ => {
                let (chunks, _) = blocks.as_chunks::<128>();
                sha2::block_api::compress512(state, chunks);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_has_avx2_bmi() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("bmi1")
        && std::arch::is_x86_feature_detected!("bmi2")
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_has_avx2_bmi() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
fn cpu_has_avx() -> bool {
    std::arch::is_x86_feature_detected!("avx")
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_has_avx() -> bool {
    false
}

/// 0: not detected yet; otherwise 1 + index in `Sha512Engine::ALL`.
static ENGINE: AtomicU8 = AtomicU8::new(0);

fn detect() -> Sha512Engine {
    let best = Sha512Engine::ALL
        .iter()
        .copied()
        .find(|e| e.is_available())
        .unwrap_or(Sha512Engine::Portable);
    let forced = std::env::var("VAS_SHA512_ENGINE").ok().and_then(|v| {
        Sha512Engine::ALL
            .iter()
            .copied()
            .find(|e| v.eq_ignore_ascii_case(e.name()) || v.eq_ignore_ascii_case(short(*e)))
    });
    match forced {
        // A forced engine is honoured only when this CPU can run it.
        Some(f) if f.is_available() => f,
        _ => best,
    }
}

fn short(e: Sha512Engine) -> &'static str {
    match e {
        Sha512Engine::Avx2 => "avx2",
        Sha512Engine::Avx => "avx",
        Sha512Engine::Portable => "portable",
    }
}

/// The SHA-512 engine this process uses: the fastest one the CPU can run, unless
/// `VAS_SHA512_ENGINE` (`avx2`, `avx`, `portable`) names another available one.
/// Detected once, then cached.
pub fn sha512_engine() -> Sha512Engine {
    match ENGINE.load(Ordering::Relaxed) {
        0 => {
            let e = detect();
            let i = Sha512Engine::ALL.iter().position(|x| *x == e).unwrap_or(2);
            ENGINE.store(i as u8 + 1, Ordering::Relaxed);
            e
        }
        i => Sha512Engine::ALL[usize::from(i - 1)],
    }
}

/// Applies the SHA-512 compression function to `blocks` with the fastest available engine
/// ([`sha512_engine`]): OpenSSL's AVX2 assembly where the CPU has AVX2/BMI1/BMI2, else its
/// AVX assembly, else the `sha2` crate. `state` holds the eight 64-bit words `a..h` in host
/// order (the SHA-512 IV, or SHA-384's, to start).
///
/// ```
/// use vas_core::digest::sha512_compress;
/// // One padded block of "abc" (FIPS 180-4 example).
/// let mut block = [0u8; 128];
/// block[..3].copy_from_slice(b"abc");
/// block[3] = 0x80;
/// block[127] = 24; // bit length
/// let mut state = [
///     0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
///     0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179u64,
/// ];
/// sha512_compress(&mut state, &[block]);
/// assert_eq!(state[0], 0xddaf35a193617aba);
/// ```
pub fn sha512_compress(state: &mut [u64; 8], blocks: &[[u8; 128]]) {
    let engine = sha512_engine();
    // SAFETY: `sha512_engine` only returns available engines; the slice of arrays is a
    // whole number of 128-byte blocks.
    unsafe { engine.compress_unchecked(state, blocks.as_flattened()) }
}

const SHA512_IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

const SHA384_IV: [u64; 8] = [
    0xcbbb9d5dc1059ed8,
    0x629a292a367cd507,
    0x9159015a3070dd17,
    0x152fecd8f70e5939,
    0x67332667ffc00b31,
    0x8eb44a8768581511,
    0xdb0c2e0d64f98fa7,
    0x47b5481dbefa4fa4,
];

/// A streaming SHA-512 (or SHA-384) context over a [`Sha512Engine`]: state, a 128-byte
/// buffer for the partial block and the 128-bit message length. [`Hasher`](super::Hasher)
/// uses it for SHA-512 and SHA-384 when the engine is OpenSSL's assembly.
///
/// ```
/// use vas_core::digest::Sha512Avx2;
/// let mut h = Sha512Avx2::sha384();
/// h.update(b"ab");
/// h.update(b"c");
/// assert_eq!(&hex::encode(h.finalize())[..16], "cb00753f45a35e8b");
/// ```
#[derive(Clone)]
pub struct Sha512Avx2 {
    state: [u64; 8],
    buf: [u8; 128],
    buf_len: usize,
    len: u128,
    out_len: usize,
    engine: Sha512Engine,
}

impl std::fmt::Debug for Sha512Avx2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sha512Avx2")
            .field("engine", &self.engine)
            .field("out_len", &self.out_len)
            .field("len", &self.len)
            .finish()
    }
}

impl Sha512Avx2 {
    /// A SHA-512 context on the process's engine ([`sha512_engine`]).
    pub fn sha512() -> Self {
        Self::new(SHA512_IV, 64, sha512_engine())
    }

    /// A SHA-384 context on the process's engine ([`sha512_engine`]).
    pub fn sha384() -> Self {
        Self::new(SHA384_IV, 48, sha512_engine())
    }

    /// A SHA-512 (`sha384 == false`) or SHA-384 context on a given engine, or `None` when
    /// that engine is not available here (for tests and measurements of each path).
    pub fn with_engine(sha384: bool, engine: Sha512Engine) -> Option<Self> {
        if !engine.is_available() {
            return None;
        }
        Some(if sha384 {
            Self::new(SHA384_IV, 48, engine)
        } else {
            Self::new(SHA512_IV, 64, engine)
        })
    }

    fn new(state: [u64; 8], out_len: usize, engine: Sha512Engine) -> Self {
        Sha512Avx2 {
            state,
            buf: [0; 128],
            buf_len: 0,
            len: 0,
            out_len,
            engine,
        }
    }

    /// The engine this context runs on.
    pub fn engine(&self) -> Sha512Engine {
        self.engine
    }

    #[inline]
    fn compress(&mut self, blocks: &[u8]) {
        // SAFETY: contexts are only built on available engines (`with_engine`,
        // `sha512_engine`); callers pass whole blocks.
        unsafe { self.engine.compress_unchecked(&mut self.state, blocks) }
    }

    /// Feeds bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u128);
        if self.buf_len > 0 {
            let take = (128 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 128 {
                return;
            }
            let block = self.buf;
            self.compress(&block);
            self.buf_len = 0;
        }
        let whole = data.len() - data.len() % 128;
        if whole > 0 {
            self.compress(&data[..whole]);
        }
        let rest = &data[whole..];
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    /// The digest: 64 bytes for SHA-512, 48 for SHA-384.
    pub fn finalize(mut self) -> Vec<u8> {
        let bits = self.len.wrapping_mul(8);
        let mut tail = [0u8; 256];
        tail[..self.buf_len].copy_from_slice(&self.buf[..self.buf_len]);
        tail[self.buf_len] = 0x80;
        // The 0x80 byte and the 16-byte length must fit: one block or two.
        let n = if self.buf_len < 112 { 128 } else { 256 };
        tail[n - 16..n].copy_from_slice(&bits.to_be_bytes());
        self.compress(&tail[..n]);
        let mut out = Vec::with_capacity(64);
        for w in self.state {
            out.extend_from_slice(&w.to_be_bytes());
        }
        out.truncate(self.out_len);
        out
    }
}

#[cfg(test)]
#[path = "sha512_avx2_tests.rs"]
mod tests;
