//! Where a set of literals occurs in a buffer: the prefilter that lets the identifier skip
//! the signatures whose needed literal is absent (or outside its range, see `guard`).
//!
//! It replaces an overlapping Aho-Corasick scan, which was the main cost of identifying a
//! file that no signature matches (62 % of `vas format identify` on random files): every
//! position of the windows went through the automaton's state machine. Here one position in
//! `stride` (up to 4, the shortest literal's length minus one) is tested: the byte pair
//! there must be one of the first `stride` pairs of some literal (one bit of a 65 536-bit
//! map), and only the rare survivors are compared, at the `stride` start positions that pair
//! could belong to, with two more bit maps (first pair, second pair) and then with the
//! literals starting with that pair. On random data about one position in a hundred survives
//! the first test and almost none the second. The result is exactly the first and last
//! start position of every literal in the buffer (the unit tests compare it with a search
//! at every position and with Aho-Corasick's overlapping search).

use memchr::memmem;

/// A set of literals and the bit maps used to find them.
#[derive(Debug)]
pub(crate) struct LitFilter {
    lits: Vec<Vec<u8>>,
    /// Where each literal's occurrences are recorded in the caller's `occ` array (the
    /// identity unless built by [`LitFilter::with_ids`]).
    ids: Vec<u32>,
    /// Bit `a << 8 | b` is set when some literal starts with bytes `a b`.
    first: Box<[u64; 1024]>,
    /// Bit `b << 8 | c` is set when some literal has `b c` as its bytes 1 and 2.
    second: Box<[u64; 1024]>,
    /// Union of the pairs at offsets `0 .. stride` of every literal (bytes `j, j + 1`): a
    /// pair of bytes absent from it rules out `stride` start positions with one test.
    any: Box<[u64; 1024]>,
    /// One position in `stride` is tested (2 to 4: the shortest literal of the maps,
    /// minus one).
    stride: usize,
    /// `(first two bytes as a << 8 | b, literal index)`, sorted: the literals starting with
    /// a pair are a contiguous run (no hashing on the scan's path).
    buckets: Vec<(u16, u32)>,
    /// Literals shorter than three bytes, searched one by one.
    short: Vec<u32>,
    /// A SIMD multi-literal searcher (Teddy, from `aho-corasick`'s packed module) over the
    /// literals of three bytes or more, when the CPU has the instructions: it finds every
    /// position where one of them starts about twice as fast as the bit maps (restarted one
    /// byte after each hit, so that overlapping occurrences are all seen).
    teddy: Option<aho_corasick::packed::Searcher>,
    /// The overlapping Aho-Corasick automaton, for inputs on which the bit maps let too
    /// many positions through (e.g. long runs of zeros, which start several literals): its
    /// cost per byte does not depend on the data.
    dense: Option<aho_corasick::AhoCorasick>,
    /// Every scan is made with `dense` alone (see [`LitFilter::dfa_with_ids`]).
    dfa_only: bool,
}

/// Candidate positions after which a scan switches to the automaton.
const DENSE_AFTER: usize = 2048;

/// Largest stride of the scan.
const MAX_STRIDE: usize = 4;

#[inline]
fn bit(map: &[u64; 1024], k: usize) -> bool {
    map[k >> 6] & (1u64 << (k & 63)) != 0
}

#[inline]
fn set(map: &mut [u64; 1024], k: usize) {
    map[k >> 6] |= 1u64 << (k & 63);
}

impl LitFilter {
    /// Compiles the filter for `lits` (the index of a literal is its position in `lits`).
    #[cfg(test)]
    pub(crate) fn new(lits: Vec<Vec<u8>>) -> LitFilter {
        let ids = (0..lits.len() as u32).collect();
        Self::with_ids(lits, ids)
    }

    /// Compiles the filter for `lits`, recording the occurrences of `lits[i]` in
    /// `occ[ids[i]]` (a filter over a subset of a larger literal set, sharing its indices).
    pub(crate) fn with_ids(lits: Vec<Vec<u8>>, ids: Vec<u32>) -> LitFilter {
        assert_eq!(lits.len(), ids.len(), "one output index per literal");
        let mut first = Box::new([0u64; 1024]);
        let mut second = Box::new([0u64; 1024]);
        let mut buckets: Vec<(u16, u32)> = Vec::new();
        let mut short = Vec::new();
        for (i, l) in lits.iter().enumerate() {
            if l.len() < 3 {
                short.push(i as u32);
                continue;
            }
            let k1 = (l[0] as usize) << 8 | l[1] as usize;
            let k2 = (l[1] as usize) << 8 | l[2] as usize;
            set(&mut first, k1);
            set(&mut second, k2);
            buckets.push((k1 as u16, i as u32));
        }
        buckets.sort_unstable();
        let stride = lits
            .iter()
            .filter(|l| l.len() >= 3)
            .map(|l| l.len() - 1)
            .min()
            .unwrap_or(2)
            .clamp(2, MAX_STRIDE);
        let mut any = Box::new([0u64; 1024]);
        for l in lits.iter().filter(|l| l.len() >= 3) {
            for j in 0..stride {
                set(&mut any, (l[j] as usize) << 8 | l[j + 1] as usize);
            }
        }
        let teddy = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(lits.iter().filter(|l| l.len() >= 3))
            .build();
        let dense = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&lits)
            .ok();
        LitFilter {
            ids,
            teddy,
            dense,
            lits,
            first,
            second,
            any,
            stride,
            buckets,
            short,
            dfa_only: false,
        }
    }

    /// A filter over literals of any length (one byte and more, hundreds of them) that
    /// scans with the overlapping Aho-Corasick DFA only: one pass whose cost per byte does
    /// not depend on the number of literals nor on the data (no per-literal search for the
    /// short ones, no SIMD searcher, which is limited to a few dozen literals of three bytes
    /// or more). Records like [`LitFilter::with_ids`].
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn dfa_with_ids(lits: Vec<Vec<u8>>, ids: Vec<u32>) -> LitFilter {
        assert_eq!(lits.len(), ids.len(), "one output index per literal");
        let dense = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&lits)
            .ok();
        assert!(
            dense.is_some() || lits.is_empty(),
            "the literal automaton could not be built"
        );
        LitFilter {
            ids,
            teddy: None,
            dense,
            lits,
            first: Box::new([0u64; 1024]),
            second: Box::new([0u64; 1024]),
            any: Box::new([0u64; 1024]),
            stride: 2,
            buckets: Vec::new(),
            short: Vec::new(),
            dfa_only: true,
        }
    }

    /// The same filter without its SIMD searcher (the bit-map scan only), for the tests.
    #[cfg(test)]
    pub(crate) fn without_simd(mut self) -> LitFilter {
        self.teddy = None;
        self
    }

    /// Number of literals.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lits.len()
    }

    /// Whether the filter has no literal (a scan then finds nothing and costs nothing).
    pub(crate) fn is_empty(&self) -> bool {
        self.lits.is_empty()
    }

    /// Size of the `occ` arrays the scans write into (the largest output index plus one).
    pub(crate) fn out_len(&self) -> usize {
        self.ids.iter().map(|&i| i as usize + 1).max().unwrap_or(0)
    }

    /// The literals, by index.
    #[cfg(test)]
    pub(crate) fn literals(&self) -> &[Vec<u8>] {
        &self.lits
    }

    /// Sets `present[i]` for every literal `i` occurring in `hay` (never clears).
    #[cfg(test)]
    pub(crate) fn scan(&self, hay: &[u8], present: &mut [bool]) {
        let mut occ = vec![Occ::NONE; self.lits.len()];
        self.scan_occ(hay, &mut occ);
        for (p, o) in present.iter_mut().zip(&occ) {
            *p |= o.seen();
        }
    }

    /// Records in `occ[i]` the first and last start positions of literal `i` in `hay`
    /// (`occ` must start as [`Occ::NONE`]; `hay` shorter than 4 GiB).
    #[cfg(test)]
    pub(crate) fn scan_occ(&self, hay: &[u8], occ: &mut [Occ]) {
        self.scan_occ_range(hay, 0, hay.len(), occ);
    }

    /// [`LitFilter::scan_occ`] restricted to the literals lying entirely inside
    /// `hay[from..to]`, positions still counted from the start of `hay` (several calls on
    /// increasing, disjoint ranges accumulate into the same `occ`).
    pub(crate) fn scan_occ_range(&self, hay: &[u8], from: usize, to: usize, occ: &mut [Occ]) {
        let to = to.min(hay.len());
        if from >= to {
            return;
        }
        self.scan_part(&hay[from..to], from as u32, occ);
    }

    /// Scans `hay`, recording positions shifted by `base`.
    fn scan_part(&self, hay: &[u8], base: u32, occ: &mut [Occ]) {
        if self.dfa_only {
            if let Some(ac) = &self.dense {
                for m in ac.find_overlapping_iter(hay) {
                    occ[self.ids[m.pattern().as_usize()] as usize].add(base + m.start() as u32);
                }
            }
            return;
        }
        for &i in &self.short {
            let l = &self.lits[i as usize];
            let o = &mut occ[self.ids[i as usize] as usize];
            if l.is_empty() {
                o.add(base);
                continue;
            }
            if let Some(a) = memmem::find(hay, l) {
                o.add(base + a as u32);
                if let Some(b) = memmem::rfind(hay, l) {
                    o.add(base + b as u32);
                }
            }
        }
        if hay.len() < 3 {
            return;
        }
        if let Some(t) = &self.teddy {
            // Leftmost-first: each hit is the first position at or after `at` where some
            // literal starts; every literal starting there is then recorded.
            let mut at = 0usize;
            let mut hits = 0usize;
            while let Some(m) = t.find_in(hay, aho_corasick::Span::from(at..hay.len())) {
                hits += 1;
                if hits > DENSE_AFTER
                    && let Some(ac) = &self.dense
                {
                    for m in ac.find_overlapping_iter(hay) {
                        occ[self.ids[m.pattern().as_usize()] as usize].add(base + m.start() as u32);
                    }
                    return;
                }
                self.check(hay, m.start(), base, occ);
                at = m.start() + 1;
            }
            return;
        }
        self.scan_pairs(hay, base, occ);
    }

    /// The bit-map scan (without SIMD searcher, and the reference of the tests).
    fn scan_pairs(&self, hay: &[u8], base: u32, occ: &mut [Occ]) {
        // One position i in `stride` (s): a literal starting at p has its pairs 0 .. s at
        // p .. p + s, one of which is tested; if the pair at i is none of the first s pairs
        // of any literal, no literal starts at i - s + 1 ..= i.
        let any = &*self.any;
        let s = self.stride;
        let n = hay.len();
        let mut i = s - 1;
        let mut hits = 0usize;
        while i + 1 < n {
            let k = (hay[i] as usize) << 8 | hay[i + 1] as usize;
            if bit(any, k) {
                hits += 1;
                if hits > DENSE_AFTER
                    && let Some(ac) = &self.dense
                {
                    // Dense input: finish (from the start: first/last are idempotent) with
                    // the automaton.
                    for m in ac.find_overlapping_iter(hay) {
                        occ[self.ids[m.pattern().as_usize()] as usize].add(base + m.start() as u32);
                    }
                    return;
                }
                for start in i + 1 - s..=i {
                    self.check(hay, start, base, occ);
                }
            }
            i += s;
        }
    }

    /// Records the literals starting at `s` in `hay`.
    #[inline]
    fn check(&self, hay: &[u8], s: usize, base: u32, occ: &mut [Occ]) {
        if s + 3 > hay.len() {
            return;
        }
        let k1 = (hay[s] as usize) << 8 | hay[s + 1] as usize;
        if !bit(&self.first, k1) {
            return;
        }
        let k2 = (hay[s + 1] as usize) << 8 | hay[s + 2] as usize;
        if !bit(&self.second, k2) {
            return;
        }
        let k1 = k1 as u16;
        let from = self.buckets.partition_point(|b| b.0 < k1);
        let rest = &hay[s..];
        for &(k, l) in &self.buckets[from..] {
            if k != k1 {
                break;
            }
            if rest.starts_with(&self.lits[l as usize]) {
                occ[self.ids[l as usize] as usize].add(base + s as u32);
            }
        }
    }
}

/// Where a literal occurs in a scanned buffer: its first and last start positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Occ {
    /// First start position (`u32::MAX`: none).
    pub first: u32,
    /// Last start position.
    pub last: u32,
}

impl Occ {
    /// Not seen.
    pub(crate) const NONE: Occ = Occ {
        first: u32::MAX,
        last: 0,
    };

    /// Whether the literal was seen.
    #[inline]
    pub(crate) fn seen(&self) -> bool {
        self.first != u32::MAX
    }

    #[inline]
    fn add(&mut self, p: u32) {
        self.first = self.first.min(p);
        self.last = self.last.max(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(lits: &[Vec<u8>], hay: &[u8]) -> Vec<bool> {
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(lits)
            .unwrap();
        let mut present = vec![false; lits.len()];
        for m in ac.find_overlapping_iter(hay) {
            present[m.pattern().as_usize()] = true;
        }
        present
    }

    /// First and last start of each literal, from every overlapping match.
    fn reference_occ(lits: &[Vec<u8>], hay: &[u8]) -> Vec<Occ> {
        let mut occ = vec![Occ::NONE; lits.len()];
        for (i, l) in lits.iter().enumerate() {
            for s in 0..hay.len() {
                if hay[s..].starts_with(l) {
                    occ[i].add(s as u32);
                }
            }
        }
        occ
    }

    fn occ_of(f: &LitFilter, hay: &[u8]) -> Vec<Occ> {
        let mut occ = vec![Occ::NONE; f.len()];
        f.scan_occ(hay, &mut occ);
        occ
    }

    #[test]
    fn agrees_with_aho_corasick() {
        let sets: [Vec<Vec<u8>>; 3] = [
            // Stride 2 (three-byte literals), with short ones.
            vec![
                b"abc".to_vec(),
                b"abcd".to_vec(),
                b"bcd".to_vec(),
                b"xy".to_vec(),
                b"\x00\x00\x01".to_vec(),
                b"zzzz".to_vec(),
                b"cab".to_vec(),
            ],
            // Stride 3.
            vec![
                b"abcd".to_vec(),
                b"dcba".to_vec(),
                b"zzzz".to_vec(),
                b"abcdxy".to_vec(),
            ],
            // Stride 4.
            vec![
                b"abcdx".to_vec(),
                b"xyzab".to_vec(),
                b"\x00\x00\x01\x00\x00".to_vec(),
                b"cabcabca".to_vec(),
                b"z".to_vec(),
            ],
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let runs = sets
            .iter()
            .enumerate()
            .flat_map(|(k, l)| [(k, l, false), (k, l, true)]);
        for (k, lits, simd) in runs {
            let f = LitFilter::new(lits.clone());
            // Both scans: the SIMD searcher and the bit maps.
            let f = if simd { f } else { f.without_simd() };
            assert_eq!(f.stride, k + 2);
            for len in [0usize, 1, 2, 3, 4, 5, 6, 7, 8, 17, 300, 4096] {
                for _ in 0..40 {
                    let hay: Vec<u8> = (0..len)
                        .map(|_| {
                            crate::testutil::xorshift64(&mut seed);
                            b"abcdxyz\x00\x01"[(seed % 9) as usize]
                        })
                        .collect();
                    let mut got = vec![false; lits.len()];
                    f.scan(&hay, &mut got);
                    assert_eq!(got, reference(lits, &hay), "{hay:?}");
                    assert_eq!(occ_of(&f, &hay), reference_occ(lits, &hay), "{hay:?}");
                }
            }
            // The DFA-only filter over the same literals.
            let d = LitFilter::dfa_with_ids(lits.clone(), (0..lits.len() as u32).collect());
            for len in [0usize, 1, 2, 3, 5, 300] {
                let hay: Vec<u8> = (0..len)
                    .map(|_| {
                        crate::testutil::xorshift64(&mut seed);
                        b"abcdxyz\x00\x01"[(seed % 9) as usize]
                    })
                    .collect();
                assert_eq!(occ_of(&d, &hay), reference_occ(lits, &hay), "dfa {hay:?}");
            }
            // Dense input (switches to the automaton).
            let mut hay = b"abcd".repeat(5000);
            hay.extend(b"zzzz");
            let mut got = vec![false; lits.len()];
            f.scan(&hay, &mut got);
            assert_eq!(got, reference(lits, &hay));
            assert_eq!(occ_of(&f, &hay), reference_occ(lits, &hay));
            // At the very beginning and end of the buffer.
            for hay in [
                &b"....abcdx"[..],
                &b"abcdx...."[..],
                &b"abcdx"[..],
                &b"xyzabcdx"[..],
            ] {
                assert_eq!(occ_of(&f, hay), reference_occ(lits, hay), "{hay:?}");
            }
        }
    }
}
