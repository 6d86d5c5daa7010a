//! Which of a set of literals occur in a buffer: the prefilter that lets the identifier skip
//! the signatures whose required literal is absent.
//!
//! It replaces an overlapping Aho-Corasick scan, which was the main cost of identifying a
//! file that no signature matches (62 % of `vas format identify` on random files): every
//! position of the windows went through the automaton's state machine. Here a position is
//! rejected by two bit tests — its first two bytes must start a literal and its bytes 1–2
//! must be bytes 1–2 of a literal (two 65 536-bit maps) — and only the rare survivors are
//! compared with the literals starting with those two bytes. On random data a few positions
//! per thousand survive the first test and almost none the second. The result is exactly
//! the set of literals occurring anywhere in the buffer (the unit tests compare it with
//! Aho-Corasick's overlapping search).

use std::collections::HashMap;

use memchr::memmem;

/// A set of literals and the bit maps used to find them.
#[derive(Debug)]
pub(crate) struct LitFilter {
    lits: Vec<Vec<u8>>,
    /// Bit `a << 8 | b` is set when some literal starts with bytes `a b`.
    first: Box<[u64; 1024]>,
    /// Bit `b << 8 | c` is set when some literal has `b c` as its bytes 1 and 2.
    second: Box<[u64; 1024]>,
    /// `first | second`: a pair of bytes absent from it starts no literal and is the second
    /// pair of none, which rules out two start positions with one test.
    either: Box<[u64; 1024]>,
    /// Literal indices by their first two bytes (`a << 8 | b`).
    buckets: HashMap<u16, Vec<u32>>,
    /// Literals shorter than three bytes, searched one by one.
    short: Vec<u32>,
    /// The overlapping Aho-Corasick automaton, for inputs on which the bit maps let too
    /// many positions through (e.g. long runs of zeros, which start several literals): its
    /// cost per byte does not depend on the data.
    dense: Option<aho_corasick::AhoCorasick>,
}

/// Candidate positions after which a scan switches to the automaton.
const DENSE_AFTER: usize = 2048;

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
    pub(crate) fn new(lits: Vec<Vec<u8>>) -> LitFilter {
        let mut first = Box::new([0u64; 1024]);
        let mut second = Box::new([0u64; 1024]);
        let mut buckets: HashMap<u16, Vec<u32>> = HashMap::new();
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
            buckets.entry(k1 as u16).or_default().push(i as u32);
        }
        let mut either = Box::new([0u64; 1024]);
        for (e, (a, b)) in either.iter_mut().zip(first.iter().zip(second.iter())) {
            *e = a | b;
        }
        let dense = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&lits)
            .ok();
        LitFilter {
            dense,
            lits,
            first,
            second,
            either,
            buckets,
            short,
        }
    }

    /// Number of literals.
    pub(crate) fn len(&self) -> usize {
        self.lits.len()
    }

    /// The literals, by index.
    #[cfg(test)]
    pub(crate) fn literals(&self) -> &[Vec<u8>] {
        &self.lits
    }

    /// Sets `present[i]` for every literal `i` occurring in `hay` (never clears).
    pub(crate) fn scan(&self, hay: &[u8], present: &mut [bool]) {
        for &i in &self.short {
            let l = &self.lits[i as usize];
            if !present[i as usize] && (l.is_empty() || memmem::find(hay, l).is_some()) {
                present[i as usize] = true;
            }
        }
        if hay.len() < 3 {
            return;
        }
        // Every other position i (1, 3, 5 …): if the pair at i is in no literal's first or
        // second pair, no literal starts at i - 1 (its second pair would be there) nor at i.
        let either = &*self.either;
        let n = hay.len();
        let mut i = 1;
        let mut hits = 0usize;
        while i + 1 < n {
            let k = (hay[i] as usize) << 8 | hay[i + 1] as usize;
            if bit(either, k) {
                hits += 1;
                if hits > DENSE_AFTER
                    && let Some(ac) = &self.dense
                {
                    // Dense input: finish (from the start: presence is idempotent) with the
                    // automaton.
                    for m in ac.find_overlapping_iter(hay) {
                        present[m.pattern().as_usize()] = true;
                    }
                    return;
                }
                self.check(hay, i - 1, present);
                self.check(hay, i, present);
            }
            i += 2;
        }
    }

    /// Records the literals starting at `s` in `hay`.
    #[inline]
    fn check(&self, hay: &[u8], s: usize, present: &mut [bool]) {
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
        if let Some(b) = self.buckets.get(&(k1 as u16)) {
            let rest = &hay[s..];
            for &l in b {
                if rest.starts_with(&self.lits[l as usize]) {
                    present[l as usize] = true;
                }
            }
        }
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

    #[test]
    fn agrees_with_aho_corasick() {
        let lits: Vec<Vec<u8>> = vec![
            b"abc".to_vec(),
            b"abcd".to_vec(),
            b"bcd".to_vec(),
            b"xy".to_vec(),
            b"\x00\x00\x01".to_vec(),
            b"zzzz".to_vec(),
            b"cab".to_vec(),
        ];
        let f = LitFilter::new(lits.clone());
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for len in [0usize, 1, 2, 3, 4, 5, 17, 300, 4096] {
            for _ in 0..20 {
                let hay: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        b"abcdxyz\x00\x01"[(seed % 9) as usize]
                    })
                    .collect();
                let mut got = vec![false; lits.len()];
                f.scan(&hay, &mut got);
                assert_eq!(got, reference(&lits, &hay), "{hay:?}");
            }
        }
        // Dense input (switches to the automaton).
        let mut hay = b"abc".repeat(5000);
        hay.extend(b"zzzz");
        let mut got = vec![false; lits.len()];
        f.scan(&hay, &mut got);
        assert_eq!(got, reference(&lits, &hay));
        // At the very end of the buffer.
        let mut got = vec![false; lits.len()];
        f.scan(b"....abcd", &mut got);
        assert_eq!(got, reference(&lits, b"....abcd"));
    }
}
