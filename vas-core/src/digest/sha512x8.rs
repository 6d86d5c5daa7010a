//! Multi-buffer SHA-512 / SHA-384: eight independent inputs hashed side by side, one per
//! 64-bit lane of an AVX-512 register (the technique of Intel ISA-L's `sha512_mb`).
//!
//! Two layers:
//! - [`compress8`]: the SHA-512 compression function of FIPS 180-4 §6.4.2 run on 8 states at
//!   once, over `n` consecutive 128-byte blocks of each of 8 lanes. Rotations are
//!   `vprorq`, the three-input xors, Ch and Maj are one `vpternlogq` each, the big-endian
//!   words are loaded 8 rows at a time and transposed (or gathered, see [`Load`]).
//! - [`hash_many`]: the lane scheduler. The lanes advance together over as many full blocks
//!   as the shortest busy lane still has; a lane whose input has no full block left gets its
//!   padding block(s) (built in a per-lane scratch buffer) and, once those are compressed,
//!   its digest is written out and the lane takes the next input. When no input is waiting
//!   and fewer than [`SCALAR_BELOW`] lanes are still busy, those lanes are finished with the
//!   scalar compression function (one lane of 8 costs as much as 8 lanes).
//!
//! Every block the SIMD code reads comes from a slice whose length is checked (`assert!`)
//! to hold all the blocks asked for, so the raw loads never leave their input.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicU8, Ordering};

/// SHA-512 round constants (FIPS 180-4 §4.2.3).
const K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// Initial hash value of SHA-512 (FIPS 180-4 §5.3.5).
pub(crate) const IV_512: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// Initial hash value of SHA-384 (FIPS 180-4 §5.3.4).
pub(crate) const IV_384: [u64; 8] = [
    0xcbbb9d5dc1059ed8,
    0x629a292a367cd507,
    0x9159015a3070dd17,
    0x152fecd8f70e5939,
    0x67332667ffc00b31,
    0x8eb44a8768581511,
    0xdb0c2e0d64f98fa7,
    0x47b5481dbefa4fa4,
];

/// Block size of SHA-512 in bytes.
const BLOCK: usize = 128;

/// When no input is waiting and fewer lanes than this are busy, the scheduler finishes them
/// one by one with the scalar compression function (8 lanes cost the same time as 1).
///
/// Measured: the 8-lane engine runs ~4.5× one scalar stream, so two busy lanes still beat
/// the scalar code (2 × 4.5 / 8 > 1) and one does not.
pub(crate) const SCALAR_BELOW: usize = 2;

/// How the 16 message words of a block are brought from 8 lanes into 16 vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Load {
    /// 16 row loads (2 per lane) and two 8×8 transposes of 64-bit words.
    Transpose,
    /// 16 `vpgatherqq`, one per message word (measured a little slower than the transpose:
    /// kept for the tests and for re-measuring on other CPUs).
    #[cfg_attr(not(test), allow(dead_code))]
    Gather,
}

/// Whether this CPU runs the AVX-512 code (AVX-512 F and BW), detected once.
pub(crate) fn available() -> bool {
    // 0 = not yet known, 1 = no, 2 = yes
    static CACHE: AtomicU8 = AtomicU8::new(0);
    match CACHE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let yes = detect();
            CACHE.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn detect() -> bool {
    std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw")
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> bool {
    false
}

/// Compresses `n` blocks of each of the 8 lanes into `state` (`state[word][lane]`).
///
/// Panics if a lane holds fewer than `n * 128` bytes or if the CPU lacks AVX-512 F/BW
/// (callers check [`available`] first).
pub(crate) fn compress8(state: &mut [[u64; 8]; 8], lanes: [&[u8]; 8], n: usize, load: Load) {
    assert!(
        available(),
        "compress8 called on a CPU without AVX-512 F/BW"
    );
    for (i, l) in lanes.iter().enumerate() {
        assert!(
            l.len() >= n * BLOCK,
            "lane {i}: {} bytes for {n} blocks",
            l.len()
        );
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512 F and BW are present (asserted above) and every lane slice holds at
    // least `n` blocks (asserted above), which is all `x86::compress8` reads.
    unsafe {
        x86::compress8(state, lanes, n, load)
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("{state:?} {n} {load:?}")
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{BLOCK, K, Load};
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn xor3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        _mm512_ternarylogic_epi64::<0x96>(a, b, c)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi64(a, b)
    }

    /// Σ0(a) = ROTR28 ^ ROTR34 ^ ROTR39
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn big_sigma0(a: __m512i) -> __m512i {
        xor3(
            _mm512_ror_epi64::<28>(a),
            _mm512_ror_epi64::<34>(a),
            _mm512_ror_epi64::<39>(a),
        )
    }

    /// Σ1(e) = ROTR14 ^ ROTR18 ^ ROTR41
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn big_sigma1(e: __m512i) -> __m512i {
        xor3(
            _mm512_ror_epi64::<14>(e),
            _mm512_ror_epi64::<18>(e),
            _mm512_ror_epi64::<41>(e),
        )
    }

    /// Next schedule word into `w[j]` (`w` is the ring of the last 16 words):
    /// W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16].
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn schedule(w: &mut [__m512i; 16], j: usize) -> __m512i {
        let w2 = w[(j + 14) & 15];
        let w7 = w[(j + 9) & 15];
        let w15 = w[(j + 1) & 15];
        let s0 = xor3(
            _mm512_ror_epi64::<1>(w15),
            _mm512_ror_epi64::<8>(w15),
            _mm512_srli_epi64::<7>(w15),
        );
        let s1 = xor3(
            _mm512_ror_epi64::<19>(w2),
            _mm512_ror_epi64::<61>(w2),
            _mm512_srli_epi64::<6>(w2),
        );
        let v = add(add(s1, w7), add(s0, w[j]));
        w[j] = v;
        v
    }

    /// 8×8 transpose of 64-bit words: `out[j]` lane `i` = `rows[i]` lane `j`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn transpose8(r: [__m512i; 8]) -> [__m512i; 8] {
        // stage 1: pairs of rows interleaved
        let lo: [__m512i; 4] =
            std::array::from_fn(|k| _mm512_unpacklo_epi64(r[2 * k], r[2 * k + 1]));
        let hi: [__m512i; 4] =
            std::array::from_fn(|k| _mm512_unpackhi_epi64(r[2 * k], r[2 * k + 1]));
        // stage 2: 128-bit pieces of two pairs (4 rows)
        let i_even = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
        let i_odd = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
        // words 0|4, 2|6 of rows 0-3 and 4-7; words 1|5, 3|7 likewise
        let p04a = _mm512_permutex2var_epi64(lo[0], i_even, lo[1]);
        let p26a = _mm512_permutex2var_epi64(lo[0], i_odd, lo[1]);
        let p04b = _mm512_permutex2var_epi64(lo[2], i_even, lo[3]);
        let p26b = _mm512_permutex2var_epi64(lo[2], i_odd, lo[3]);
        let p15a = _mm512_permutex2var_epi64(hi[0], i_even, hi[1]);
        let p37a = _mm512_permutex2var_epi64(hi[0], i_odd, hi[1]);
        let p15b = _mm512_permutex2var_epi64(hi[2], i_even, hi[3]);
        let p37b = _mm512_permutex2var_epi64(hi[2], i_odd, hi[3]);
        // stage 3: 256-bit halves of rows 0-3 and rows 4-7
        let i_lo = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
        let i_hi = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
        [
            _mm512_permutex2var_epi64(p04a, i_lo, p04b),
            _mm512_permutex2var_epi64(p15a, i_lo, p15b),
            _mm512_permutex2var_epi64(p26a, i_lo, p26b),
            _mm512_permutex2var_epi64(p37a, i_lo, p37b),
            _mm512_permutex2var_epi64(p04a, i_hi, p04b),
            _mm512_permutex2var_epi64(p15a, i_hi, p15b),
            _mm512_permutex2var_epi64(p26a, i_hi, p26b),
            _mm512_permutex2var_epi64(p37a, i_hi, p37b),
        ]
    }

    /// One SHA-512 round; the caller rotates the roles of the 8 working variables.
    macro_rules! round {
        ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr, $f:expr, $g:expr, $h:expr, $kw:expr) => {{
            let t1 = add(
                add($h, big_sigma1($e)),
                add(_mm512_ternarylogic_epi64::<0xCA>($e, $f, $g), $kw),
            );
            let t2 = add(
                big_sigma0($a),
                _mm512_ternarylogic_epi64::<0xE8>($a, $b, $c),
            );
            $d = add($d, t1);
            $h = add(t1, t2);
        }};
    }

    /// 8 rounds starting at round `t` (a multiple of 8); `next(j)` yields W[t + j] + K[t + j].
    macro_rules! rounds8 {
        ($v:ident, $kw:expr) => {{
            let [a, b, c, d, e, f, g, h] = &mut $v;
            round!(*a, *b, *c, *d, *e, *f, *g, *h, $kw(0));
            round!(*h, *a, *b, *c, *d, *e, *f, *g, $kw(1));
            round!(*g, *h, *a, *b, *c, *d, *e, *f, $kw(2));
            round!(*f, *g, *h, *a, *b, *c, *d, *e, $kw(3));
            round!(*e, *f, *g, *h, *a, *b, *c, *d, $kw(4));
            round!(*d, *e, *f, *g, *h, *a, *b, *c, $kw(5));
            round!(*c, *d, *e, *f, *g, *h, *a, *b, $kw(6));
            round!(*b, *c, *d, *e, *f, *g, *h, *a, $kw(7));
        }};
    }

    /// # Safety
    /// The CPU must support AVX-512 F and BW, and every lane must hold `n * 128` bytes.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn compress8(
        state: &mut [[u64; 8]; 8],
        lanes: [&[u8]; 8],
        n: usize,
        load: Load,
    ) {
        // byte order: reverse the 8 bytes of each 64-bit word
        let bswap = _mm512_set_epi8(
            8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0,
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
            11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7,
        );
        let ptrs: [*const u8; 8] = std::array::from_fn(|i| lanes[i].as_ptr());
        // gather: byte offsets of each lane from lane 0 (addresses, not necessarily in one
        // allocation; the gather adds them to lane 0's pointer in hardware)
        let base = ptrs[0];
        let offs: [i64; 8] = std::array::from_fn(|i| (ptrs[i] as i64).wrapping_sub(base as i64));
        let offsets = _mm512_setr_epi64(
            offs[0], offs[1], offs[2], offs[3], offs[4], offs[5], offs[6], offs[7],
        );
        // SAFETY (for the loads below): `state` is 8 × 64 bytes; each lane slice holds
        // `n * BLOCK` bytes (caller's contract), and block `b < n` reads bytes
        // `b*128 .. b*128+128` of each lane.
        let mut s: [__m512i; 8] =
            std::array::from_fn(|w| unsafe { _mm512_loadu_si512(state[w].as_ptr().cast()) });
        for b in 0..n {
            let at = b * BLOCK;
            let mut w = [_mm512_setzero_si512(); 16];
            match load {
                Load::Transpose => {
                    for half in 0..2 {
                        let rows: [__m512i; 8] = std::array::from_fn(|i| unsafe {
                            _mm512_loadu_si512(ptrs[i].add(at + half * 64).cast())
                        });
                        let cols = transpose8(rows);
                        for j in 0..8 {
                            w[half * 8 + j] = _mm512_shuffle_epi8(cols[j], bswap);
                        }
                    }
                }
                Load::Gather => {
                    for (j, wj) in w.iter_mut().enumerate() {
                        let idx = _mm512_add_epi64(offsets, _mm512_set1_epi64((at + j * 8) as i64));
                        // SAFETY: lane i reads ptrs[i] + at + 8j .. +8, inside its slice.
                        let v = unsafe { _mm512_i64gather_epi64::<1>(idx, base.cast()) };
                        *wj = _mm512_shuffle_epi8(v, bswap);
                    }
                }
            }
            let mut v = s;
            // rounds 0..16: the message words themselves
            for r in 0..2 {
                let kw = |j: usize| add(w[r * 8 + j], _mm512_set1_epi64(K[r * 8 + j] as i64));
                rounds8!(v, kw);
            }
            // rounds 16..80: the schedule, 16 words at a time
            for t16 in 1..5 {
                for r in 0..2 {
                    let mut kw = |j: usize| {
                        let t = t16 * 16 + r * 8 + j;
                        add(schedule(&mut w, r * 8 + j), _mm512_set1_epi64(K[t] as i64))
                    };
                    rounds8!(v, kw);
                }
            }
            for i in 0..8 {
                s[i] = add(s[i], v[i]);
            }
        }
        for (w, sv) in s.iter().enumerate() {
            // SAFETY: state[w] is 64 bytes.
            unsafe { _mm512_storeu_si512(state[w].as_mut_ptr().cast(), *sv) };
        }
    }
}

/// Builds the padding of a message whose last `tail.len() < 128` bytes are `tail` and whose
/// total length is `total` bytes: returns the number of blocks (1 or 2) written to `buf`.
fn pad(tail: &[u8], total: u64, buf: &mut [u8; 2 * BLOCK]) -> usize {
    assert!(tail.len() < BLOCK);
    buf.fill(0);
    buf[..tail.len()].copy_from_slice(tail);
    buf[tail.len()] = 0x80;
    let blocks = if tail.len() < BLOCK - 16 { 1 } else { 2 };
    let bits = (total as u128) * 8;
    buf[blocks * BLOCK - 16..blocks * BLOCK].copy_from_slice(&bits.to_be_bytes());
    blocks
}

/// Scalar SHA-512 compression of whole blocks (the `sha2` crate's).
fn compress1(state: &mut [u64; 8], data: &[u8]) {
    let (blocks, rest) = data.as_chunks::<BLOCK>();
    assert!(rest.is_empty());
    sha2::block_api::compress512(state, blocks);
}

/// Where a lane stands.
#[derive(Clone, Copy)]
enum Phase {
    /// No input.
    Idle,
    /// Reading whole blocks of input `idx` from byte `pos`.
    Data { idx: usize, pos: usize },
    /// Compressing the `blocks` remaining padding blocks of input `idx` (from its scratch
    /// buffer, starting at block `from`).
    Pad {
        idx: usize,
        from: usize,
        blocks: usize,
    },
}

/// Writes the SHA-512 chaining values of every input (`out[i]` for `inputs[i]`), starting
/// from `iv`, with the 8-lane engine. The caller checks [`available`].
pub(crate) fn hash_many(iv: &[u64; 8], inputs: &[&[u8]], out: &mut [[u64; 8]], load: Load) {
    assert_eq!(inputs.len(), out.len());
    let mut state = [[0u64; 8]; 8];
    let mut phase = [Phase::Idle; 8];
    let mut scratch = [[0u8; 2 * BLOCK]; 8];
    // Longest inputs first: the long ones start together and the short ones fill the lanes
    // freed meanwhile, so few lanes are left busy alone at the end (the last inputs are
    // the shortest). Digests still go to `out[i]` for `inputs[i]`.
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(inputs[i].len()));
    let mut next = 0usize;

    // Puts lane `l` on the next input (Data, or directly its padding when it has no full block).
    let start = |l: usize,
                 idx: usize,
                 state: &mut [[u64; 8]; 8],
                 phase: &mut [Phase; 8],
                 scratch: &mut [[u8; 2 * BLOCK]; 8]| {
        for w in 0..8 {
            state[w][l] = iv[w];
        }
        phase[l] = data_or_pad(inputs, idx, 0, &mut scratch[l]);
    };

    loop {
        for l in 0..8 {
            if matches!(phase[l], Phase::Idle) && next < inputs.len() {
                start(l, order[next], &mut state, &mut phase, &mut scratch);
                next += 1;
            }
        }
        let busy = phase.iter().filter(|p| !matches!(p, Phase::Idle)).count();
        if busy == 0 {
            return;
        }
        if busy < SCALAR_BELOW && next == inputs.len() {
            for l in 0..8 {
                let mut s: [u64; 8] = std::array::from_fn(|w| state[w][l]);
                match phase[l] {
                    Phase::Idle => continue,
                    Phase::Data { idx, pos } => {
                        let data = inputs[idx];
                        let whole = (data.len() - pos) / BLOCK * BLOCK;
                        compress1(&mut s, &data[pos..pos + whole]);
                        let blocks = pad(&data[pos + whole..], data.len() as u64, &mut scratch[l]);
                        compress1(&mut s, &scratch[l][..blocks * BLOCK]);
                        out[idx] = s;
                    }
                    Phase::Pad { idx, from, blocks } => {
                        compress1(&mut s, &scratch[l][from * BLOCK..(from + blocks) * BLOCK]);
                        out[idx] = s;
                    }
                }
            }
            return;
        }
        // how many blocks every busy lane can take from its current source
        let avail = |p: &Phase| match *p {
            Phase::Idle => usize::MAX,
            Phase::Data { idx, pos } => (inputs[idx].len() - pos) / BLOCK,
            Phase::Pad { blocks, .. } => blocks,
        };
        let n = phase.iter().map(avail).min().unwrap_or(0);
        debug_assert!(n > 0);
        let sources: [&[u8]; 8] = std::array::from_fn(|l| match phase[l] {
            Phase::Idle => &[][..],
            Phase::Data { idx, pos } => &inputs[idx][pos..],
            Phase::Pad { from, .. } => &scratch[l][from * BLOCK..],
        });
        // idle lanes compute on a busy lane's blocks; their state is ignored
        let filler = sources
            .iter()
            .zip(&phase)
            .find(|(_, p)| !matches!(p, Phase::Idle))
            .map(|(s, _)| *s)
            .unwrap_or(&[]);
        let lanes: [&[u8]; 8] = std::array::from_fn(|l| match phase[l] {
            Phase::Idle => filler,
            _ => sources[l],
        });
        compress8(&mut state, lanes, n, load);
        for l in 0..8 {
            phase[l] = match phase[l] {
                Phase::Idle => Phase::Idle,
                Phase::Data { idx, pos } => {
                    data_or_pad(inputs, idx, pos + n * BLOCK, &mut scratch[l])
                }
                Phase::Pad { idx, from, blocks } => {
                    if blocks == n {
                        out[idx] = std::array::from_fn(|w| state[w][l]);
                        Phase::Idle
                    } else {
                        Phase::Pad {
                            idx,
                            from: from + n,
                            blocks: blocks - n,
                        }
                    }
                }
            };
        }
    }
}

/// The phase of a lane at byte `pos` of input `idx`: reading data while a whole block is
/// left, otherwise its padding (built into `scratch`).
fn data_or_pad(inputs: &[&[u8]], idx: usize, pos: usize, scratch: &mut [u8; 2 * BLOCK]) -> Phase {
    let data = inputs[idx];
    if data.len() - pos >= BLOCK {
        Phase::Data { idx, pos }
    } else {
        let blocks = pad(&data[pos..], data.len() as u64, scratch);
        Phase::Pad {
            idx,
            from: 0,
            blocks,
        }
    }
}

/// The scalar reference of [`hash_many`]: each input alone with the `sha2` crate's
/// compression function (a second oracle for the tests; CPUs without AVX-512 use the
/// single-stream `Hasher`, faster).
#[cfg(test)]
pub(crate) fn hash_many_scalar(iv: &[u64; 8], inputs: &[&[u8]], out: &mut [[u64; 8]]) {
    assert_eq!(inputs.len(), out.len());
    let mut scratch = [0u8; 2 * BLOCK];
    for (data, o) in inputs.iter().zip(out.iter_mut()) {
        let mut s = *iv;
        let whole = data.len() / BLOCK * BLOCK;
        compress1(&mut s, &data[..whole]);
        let blocks = pad(&data[whole..], data.len() as u64, &mut scratch);
        compress1(&mut s, &scratch[..blocks * BLOCK]);
        *o = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_and_gather_agree_with_one_lane_at_a_time() {
        if !available() {
            return;
        }
        let data: Vec<u8> = (0..8 * 3 * BLOCK).map(|i| (i * 7 + i / 5) as u8).collect();
        let lanes: [&[u8]; 8] = std::array::from_fn(|l| &data[l * 3 * BLOCK..(l + 1) * 3 * BLOCK]);
        for load in [Load::Transpose, Load::Gather] {
            let mut st = [[0u64; 8]; 8];
            for w in 0..8 {
                st[w] = [IV_512[w]; 8];
            }
            compress8(&mut st, lanes, 3, load);
            for (l, lane) in lanes.iter().enumerate() {
                let mut one = IV_512;
                compress1(&mut one, lane);
                let got: [u64; 8] = std::array::from_fn(|w| st[w][l]);
                assert_eq!(got, one, "{load:?} lane {l}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "lane 3")]
    fn compress8_refuses_a_short_lane() {
        if !available() {
            panic!("lane 3 (no AVX-512 here: nothing to check)");
        }
        let big = [0u8; 2 * BLOCK];
        let mut lanes: [&[u8]; 8] = [&big; 8];
        lanes[3] = &big[..BLOCK + 1];
        compress8(&mut [[0; 8]; 8], lanes, 2, Load::Transpose);
    }

    #[test]
    fn padding_takes_two_blocks_from_112_bytes() {
        let mut buf = [0u8; 2 * BLOCK];
        assert_eq!(pad(&[1; 111], 111, &mut buf), 1);
        assert_eq!(buf[111], 0x80);
        assert_eq!(&buf[120..128], &(111u64 * 8).to_be_bytes());
        assert_eq!(pad(&[1; 112], 1000, &mut buf), 2);
        assert_eq!(buf[112], 0x80);
        assert_eq!(&buf[248..256], &8000u64.to_be_bytes());
        assert!(buf[113..248].iter().all(|&b| b == 0));
    }
}
