//! Byte patterns of PRONOM signatures: parsing of the DROID/PRONOM byte-sequence syntax and a
//! backtracking matcher with a step budget.
//!
//! The syntax accepted is the union of what appears in compiled DROID signature files (hex pairs,
//! `[00:1F]` ranges, `[!00]` negations, `[&01]`/`[~01]` bit masks, multi-byte `[!0000]`) and in
//! container signature files and PRONOM expressions (`'text'`, `['6'-'7']`, `[22 27]` sets,
//! `(a|b)` alternatives, `??`, `{n}`, `{n-m}`, `{n-*}` and `*` gaps, blanks between tokens).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use memchr::memmem;

/// A set of byte values (256-bit map).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    fn empty() -> Self {
        ByteSet([0; 4])
    }
    fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1u64 << (b & 63);
    }
    pub(crate) fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1u64 << (b & 63)) != 0
    }
    /// The 256-bit map as four words (bit `b & 63` of word `b >> 6`), for the precompiled
    /// registry.
    #[cfg(test)]
    pub(crate) fn words(&self) -> [u64; 4] {
        self.0
    }
    /// The set whose map is `w` (the inverse of [`ByteSet::words`]).
    pub(crate) fn from_words(w: [u64; 4]) -> Self {
        ByteSet(w)
    }
    fn complement(&self) -> Self {
        ByteSet([!self.0[0], !self.0[1], !self.0[2], !self.0[3]])
    }
    fn from_fn(f: impl Fn(u8) -> bool) -> Self {
        let mut s = ByteSet::empty();
        for b in 0..=255u8 {
            if f(b) {
                s.insert(b);
            }
        }
        s
    }
}

/// One element of a pattern.
#[derive(Clone, Debug)]
pub(crate) enum Atom {
    /// A literal byte string (with its pre-built searcher).
    Lit(Vec<u8>, Box<memmem::Finder<'static>>),
    /// One byte from a set.
    Class(Box<ByteSet>),
    /// `n` bytes different from this string (`[!0000]`).
    NotSeq(Vec<u8>),
    /// `n` bytes lexicographically within `[lo, hi]` (or outside when negated); `rev` when
    /// matched on a reversed buffer (the window is compared re-reversed).
    Range {
        lo: Vec<u8>,
        hi: Vec<u8>,
        neg: bool,
        rev: bool,
    },
    /// Alternatives.
    Alt(Vec<Vec<Atom>>),
    /// Any `min..=max` bytes (`None`: unbounded).
    Gap { min: usize, max: Option<usize> },
}

impl Atom {
    pub(crate) fn lit(v: Vec<u8>) -> Atom {
        let f = Box::new(memmem::Finder::new(&v).into_owned());
        Atom::Lit(v, f)
    }

    /// The same atom for matching on a reversed buffer.
    pub(crate) fn reversed(&self) -> Atom {
        match self {
            Atom::Lit(v, _) => Atom::lit(v.iter().rev().copied().collect()),
            Atom::Class(c) => Atom::Class(c.clone()),
            Atom::NotSeq(v) => Atom::NotSeq(v.iter().rev().copied().collect()),
            // A reversed multi-byte range is no longer a lexicographic range: the window is
            // compared re-reversed.
            Atom::Range { lo, hi, neg, rev } => Atom::Range {
                lo: lo.clone(),
                hi: hi.clone(),
                neg: *neg,
                rev: !rev,
            },
            Atom::Alt(alts) => Atom::Alt(alts.iter().map(|a| reverse_atoms(a)).collect()),
            Atom::Gap { min, max } => Atom::Gap {
                min: *min,
                max: *max,
            },
        }
    }

    /// Minimum length in bytes.
    pub(crate) fn min_len(&self) -> usize {
        match self {
            Atom::Lit(v, _) | Atom::NotSeq(v) => v.len(),
            Atom::Class(_) => 1,
            Atom::Range { lo, .. } => lo.len(),
            Atom::Alt(alts) => alts
                .iter()
                .map(|a| a.iter().map(Atom::min_len).sum())
                .min()
                .unwrap_or(0),
            Atom::Gap { min, .. } => *min,
        }
    }

    /// Maximum length in bytes (`None`: unbounded).
    pub(crate) fn max_len(&self) -> Option<usize> {
        match self {
            Atom::Gap { max, .. } => *max,
            Atom::Alt(alts) => {
                let mut m = 0usize;
                for a in alts {
                    m = m.max(max_len(a)?);
                }
                Some(m)
            }
            other => Some(other.min_len()),
        }
    }
}

/// Maximum length of a list of atoms.
pub(crate) fn max_len(atoms: &[Atom]) -> Option<usize> {
    let mut t = 0usize;
    for a in atoms {
        t = t.checked_add(a.max_len()?)?;
    }
    Some(t)
}

/// Reverses a list of atoms (order and content), for matching from the end of a file.
pub(crate) fn reverse_atoms(atoms: &[Atom]) -> Vec<Atom> {
    atoms.iter().rev().map(Atom::reversed).collect()
}

/// A parse error in a byte-sequence expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError(pub String);

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl<'a> Parser<'a> {
    fn err<T>(&self, msg: &str) -> Result<T, PatternError> {
        Err(PatternError(format!(
            "{msg} at character {} of byte sequence {:?}",
            self.i + 1,
            String::from_utf8_lossy(self.s)
        )))
    }
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn hex_byte(&mut self) -> Result<u8, PatternError> {
        let (Some(a), Some(b)) = (
            self.s.get(self.i).copied().and_then(hexval),
            self.s.get(self.i + 1).copied().and_then(hexval),
        ) else {
            return self.err("expected two hexadecimal digits");
        };
        self.i += 2;
        Ok(a * 16 + b)
    }
    fn quoted(&mut self) -> Result<Vec<u8>, PatternError> {
        // at '\''
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != b'\'' {
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return self.err("unterminated quoted string");
        }
        let v = self.s[start..self.i].to_vec();
        self.i += 1;
        Ok(v)
    }
    fn number(&mut self) -> Result<usize, PatternError> {
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()
            .and_then(|t| t.parse().ok())
            .map_or_else(|| self.err("expected a number"), Ok)
    }

    /// A value inside brackets: hex bytes or a quoted string (possibly mixed, no blanks).
    fn value(&mut self) -> Result<Vec<u8>, PatternError> {
        let mut v = Vec::new();
        loop {
            match self.peek() {
                Some(b'\'') => v.extend(self.quoted()?),
                Some(c) if hexval(c).is_some() => v.push(self.hex_byte()?),
                _ => break,
            }
        }
        if v.is_empty() {
            return self.err("expected a value in brackets");
        }
        Ok(v)
    }

    fn bracket(&mut self) -> Result<Atom, PatternError> {
        self.i += 1; // '['
        self.skip_ws();
        let mut neg = false;
        if self.peek() == Some(b'!') {
            neg = true;
            self.i += 1;
            self.skip_ws();
        }
        let atom = match self.peek() {
            Some(m @ (b'&' | b'~')) => {
                self.i += 1;
                let mask = self.hex_byte()?;
                let set = if m == b'&' {
                    ByteSet::from_fn(|b| b & mask == mask)
                } else {
                    ByteSet::from_fn(|b| b & mask != 0)
                };
                Atom::Class(Box::new(if neg { set.complement() } else { set }))
            }
            _ => {
                let first = self.value()?;
                self.skip_ws();
                match self.peek() {
                    Some(b':' | b'-') => {
                        self.i += 1;
                        self.skip_ws();
                        let hi = self.value()?;
                        if hi.len() != first.len() {
                            return self.err("range bounds of different lengths");
                        }
                        if first.len() == 1 {
                            let (lo, hi) = (first[0], hi[0]);
                            let set = ByteSet::from_fn(|b| b >= lo && b <= hi);
                            Atom::Class(Box::new(if neg { set.complement() } else { set }))
                        } else {
                            Atom::Range {
                                lo: first,
                                hi,
                                neg,
                                rev: false,
                            }
                        }
                    }
                    Some(b']') => {
                        if first.len() == 1 {
                            let mut set = ByteSet::empty();
                            set.insert(first[0]);
                            Atom::Class(Box::new(if neg { set.complement() } else { set }))
                        } else if neg {
                            Atom::NotSeq(first)
                        } else {
                            Atom::lit(first)
                        }
                    }
                    _ => {
                        // A set of single bytes: [22 27]
                        let mut set = ByteSet::empty();
                        let mut vals = vec![first];
                        while self.peek() != Some(b']') {
                            if self.peek().is_none() {
                                return self.err("unterminated bracket");
                            }
                            vals.push(self.value()?);
                            self.skip_ws();
                        }
                        for v in vals {
                            if v.len() != 1 {
                                return self.err("multi-byte value in a byte set");
                            }
                            set.insert(v[0]);
                        }
                        Atom::Class(Box::new(if neg { set.complement() } else { set }))
                    }
                }
            }
        };
        self.skip_ws();
        if self.peek() != Some(b']') {
            return self.err("expected ']'");
        }
        self.i += 1;
        Ok(atom)
    }

    fn gap(&mut self) -> Result<Atom, PatternError> {
        self.i += 1; // '{'
        self.skip_ws();
        let min = self.number()?;
        self.skip_ws();
        let max = match self.peek() {
            Some(b'-') => {
                self.i += 1;
                self.skip_ws();
                if self.peek() == Some(b'*') {
                    self.i += 1;
                    None
                } else {
                    let m = self.number()?;
                    if m < min {
                        return self.err("gap maximum below minimum");
                    }
                    Some(m)
                }
            }
            _ => Some(min),
        };
        self.skip_ws();
        if self.peek() != Some(b'}') {
            return self.err("expected '}'");
        }
        self.i += 1;
        Ok(Atom::Gap { min, max })
    }

    /// Parses atoms until end of input or one of `stops` (not consumed).
    fn seq(&mut self, stops: &[u8]) -> Result<Vec<Atom>, PatternError> {
        let mut out: Vec<Atom> = Vec::new();
        let mut lit: Vec<u8> = Vec::new();
        let flush = |lit: &mut Vec<u8>, out: &mut Vec<Atom>| {
            if !lit.is_empty() {
                out.push(Atom::lit(std::mem::take(lit)));
            }
        };
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else { break };
            if stops.contains(&c) {
                break;
            }
            match c {
                b'\'' => lit.extend(self.quoted()?),
                b'[' => {
                    let a = self.bracket()?;
                    match a {
                        Atom::Lit(v, _) => lit.extend(v),
                        a => {
                            flush(&mut lit, &mut out);
                            out.push(a);
                        }
                    }
                }
                b'(' => {
                    flush(&mut lit, &mut out);
                    self.i += 1;
                    let mut alts = Vec::new();
                    loop {
                        alts.push(self.seq(b"|)")?);
                        match self.peek() {
                            Some(b'|') => self.i += 1,
                            Some(b')') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err("unterminated alternative"),
                        }
                    }
                    out.push(Atom::Alt(alts));
                }
                b'?' => {
                    if self.s.get(self.i + 1) != Some(&b'?') {
                        return self.err("expected '??'");
                    }
                    self.i += 2;
                    flush(&mut lit, &mut out);
                    out.push(Atom::Class(Box::new(ByteSet::empty().complement())));
                }
                b'{' => {
                    flush(&mut lit, &mut out);
                    out.push(self.gap()?);
                }
                b'*' => {
                    self.i += 1;
                    flush(&mut lit, &mut out);
                    out.push(Atom::Gap { min: 0, max: None });
                }
                c if hexval(c).is_some() => lit.push(self.hex_byte()?),
                _ => return self.err("unexpected character"),
            }
        }
        flush(&mut lit, &mut out);
        Ok(out)
    }
}

/// Parses a byte-sequence expression into atoms.
pub(crate) fn parse(expr: &str) -> Result<Vec<Atom>, PatternError> {
    let mut p = Parser {
        s: expr.as_bytes(),
        i: 0,
    };
    let atoms = p.seq(b"")?;
    if p.i < p.s.len() {
        return p.err("unexpected character");
    }
    Ok(atoms)
}

/// The rest of a pattern after an alternative: a chain of atom slices.
#[derive(Clone, Copy)]
struct Cont<'a> {
    atoms: &'a [Atom],
    next: Option<&'a Cont<'a>>,
}

/// First atom of `atoms` followed by the continuation chain.
fn peek<'a>(atoms: &'a [Atom], next: Option<&'a Cont<'a>>) -> Option<&'a Atom> {
    if let Some(a) = atoms.first() {
        return Some(a);
    }
    let mut c = next;
    while let Some(k) = c {
        if let Some(a) = k.atoms.first() {
            return Some(a);
        }
        c = k.next;
    }
    None
}

/// A multiplicative hasher for the matcher's memo keys (two machine words): SipHash's
/// cost per insertion showed in the profiles of gap scans.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(b as u64);
        }
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The failure memo: (atoms, position) pairs known not to match.
type Memo = HashSet<(usize, usize), BuildHasherDefault<FxHasher>>;

/// Matcher state: remaining work budget and failure memo.
pub(crate) struct State {
    budget: u32,
    memo: Memo,
}

/// Matches `atoms` at `pos` in `buf`; returns the end offset. `budget` bounds the work.
#[cfg(test)]
pub(crate) fn match_at(atoms: &[Atom], buf: &[u8], pos: usize, budget: &mut u32) -> Option<usize> {
    let mut st = State {
        budget: *budget,
        memo: Memo::default(),
    };
    let r = step(atoms, None, buf, pos, &mut st);
    *budget = st.budget;
    r
}

fn step(
    atoms: &[Atom],
    next: Option<&Cont>,
    buf: &[u8],
    pos: usize,
    st: &mut State,
) -> Option<usize> {
    let Some((first, rest)) = atoms.split_first() else {
        return match next {
            Some(c) => step(c.atoms, c.next, buf, pos, st),
            None => Some(pos),
        };
    };
    if st.budget == 0 {
        return None;
    }
    st.budget -= 1;
    match first {
        Atom::Lit(v, _) => {
            if buf.len() >= pos + v.len() && &buf[pos..pos + v.len()] == v.as_slice() {
                step(rest, next, buf, pos + v.len(), st)
            } else {
                None
            }
        }
        Atom::Class(c) => {
            if pos < buf.len() && c.contains(buf[pos]) {
                step(rest, next, buf, pos + 1, st)
            } else {
                None
            }
        }
        Atom::NotSeq(v) => {
            if buf.len() >= pos + v.len() && &buf[pos..pos + v.len()] != v.as_slice() {
                step(rest, next, buf, pos + v.len(), st)
            } else {
                None
            }
        }
        Atom::Range { lo, hi, neg, rev } => {
            let n = lo.len();
            if buf.len() < pos + n {
                return None;
            }
            let w = &buf[pos..pos + n];
            let inside = if *rev {
                let w: Vec<u8> = w.iter().rev().copied().collect();
                w.as_slice() >= lo.as_slice() && w.as_slice() <= hi.as_slice()
            } else {
                w >= lo.as_slice() && w <= hi.as_slice()
            };
            if inside != *neg {
                step(rest, next, buf, pos + n, st)
            } else {
                None
            }
        }
        Atom::Alt(alts) => {
            let cont = Cont { atoms: rest, next };
            for a in alts {
                if let Some(e) = step(a, Some(&cont), buf, pos, st) {
                    return Some(e);
                }
                if st.budget == 0 {
                    return None;
                }
            }
            None
        }
        Atom::Gap { min, max } => gap(*min, *max, rest, next, buf, pos, st).map(|(_, e)| e),
    }
}

/// Tries every start in `pos+min ..= pos+max` for `rest`; returns (start, end) of the first
/// success.
pub(crate) fn gap_then(
    min: usize,
    max: Option<usize>,
    rest: &[Atom],
    buf: &[u8],
    pos: usize,
    budget: &mut u32,
) -> Option<(usize, usize)> {
    let mut st = State {
        budget: *budget,
        memo: Memo::default(),
    };
    let r = gap(min, max, rest, None, buf, pos, &mut st);
    *budget = st.budget;
    r
}

fn gap(
    min: usize,
    max: Option<usize>,
    rest: &[Atom],
    next: Option<&Cont>,
    buf: &[u8],
    pos: usize,
    st: &mut State,
) -> Option<(usize, usize)> {
    let lo = pos.checked_add(min)?;
    if lo > buf.len() {
        return None;
    }
    let hi = match max {
        Some(mx) => pos.saturating_add(mx).min(buf.len()),
        None => buf.len(),
    };
    if lo == hi || (max.is_some() && max == Some(min)) {
        return step(rest, next, buf, lo, st).map(|e| (lo, e));
    }
    if peek(rest, next).is_none() {
        return Some((lo, lo));
    }
    // Anchor the search on the first literal at a fixed distance `d` from the gap's end
    // (e.g. `{7-500} [10:EB] FFFB`): only its occurrences are candidates.
    if let Some((d, v, finder)) = fixed_literal(rest, next) {
        let from = lo + d;
        let end = hi.saturating_add(d).saturating_add(v.len()).min(buf.len());
        if from > end || end - from < v.len() {
            return None;
        }
        for off in finder.find_iter(&buf[from..end]) {
            let p = from + off - d;
            if let Some(e) = memo_step(rest, next, buf, p, st) {
                return Some((p, e));
            }
            if st.budget == 0 {
                return None;
            }
        }
        return None;
    }
    for p in lo..=hi {
        if let Some(e) = memo_step(rest, next, buf, p, st) {
            return Some((p, e));
        }
        if st.budget == 0 {
            return None;
        }
        st.budget -= 1;
    }
    None
}

/// The first literal of `rest` (or, if `rest` is empty, of the continuation) preceded only by
/// fixed-length atoms: (distance, bytes, searcher).
fn fixed_literal<'a>(
    rest: &'a [Atom],
    next: Option<&'a Cont<'a>>,
) -> Option<(usize, &'a [u8], &'a memmem::Finder<'static>)> {
    let atoms = if rest.is_empty() {
        let mut c = next;
        loop {
            let k = c?;
            if !k.atoms.is_empty() {
                break k.atoms;
            }
            c = k.next;
        }
    } else {
        rest
    };
    let mut d = 0usize;
    for a in atoms {
        match a {
            Atom::Lit(v, f) => return Some((d, v.as_slice(), f)),
            Atom::Class(_) => d += 1,
            Atom::NotSeq(v) => d += v.len(),
            Atom::Range { lo, .. } => d += lo.len(),
            Atom::Alt(_) | Atom::Gap { .. } => return None,
        }
    }
    None
}

/// `step` with a failure memo for top-level continuations (no pending alternative): whether
/// `rest` matches at `p` does not depend on how `p` was reached, so each (atoms, position)
/// pair is tried once. This keeps chains of gaps (MP3 frame signatures) polynomial.
fn memo_step(
    rest: &[Atom],
    next: Option<&Cont>,
    buf: &[u8],
    p: usize,
    st: &mut State,
) -> Option<usize> {
    if next.is_some() {
        return step(rest, next, buf, p, st);
    }
    let key = (rest.as_ptr() as usize, p);
    if st.memo.contains(&key) {
        return None;
    }
    let r = step(rest, None, buf, p, st);
    if r.is_none() && st.budget > 0 {
        st.memo.insert(key);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(expr: &str, buf: &[u8]) -> Option<usize> {
        let atoms = parse(expr).unwrap();
        let mut budget = 100_000;
        match_at(&atoms, buf, 0, &mut budget)
    }

    #[test]
    fn hex_and_text() {
        assert_eq!(m("255044462D", b"%PDF-1.4"), Some(5));
        assert_eq!(m("'%PDF-' 31", b"%PDF-1.4"), Some(6));
        assert_eq!(m("255044462D", b"%PDX-1.4"), None);
    }

    #[test]
    fn classes() {
        assert_eq!(m("[30:37][20:37]", b"7 "), Some(2));
        assert_eq!(m("[30:37]", b"8"), None);
        assert_eq!(m("[!00]", b"\x00"), None);
        assert_eq!(m("[!00]", b"\x01"), Some(1));
        assert_eq!(m("['6'-'7']", b"7"), Some(1));
        assert_eq!(m("[22 27]", b"'"), Some(1));
        assert_eq!(m("[22 27]", b"x"), None);
        assert_eq!(m("[&01]", b"\x03"), Some(1));
        assert_eq!(m("[&01]", b"\x02"), None);
        assert_eq!(m("[!&01]", b"\x02"), Some(1));
        assert_eq!(m("[~03]", b"\x02"), Some(1));
        assert_eq!(m("[!0000]", b"\x00\x00"), None);
        assert_eq!(m("[!0000]", b"\x00\x01"), Some(2));
        assert_eq!(m("[0010:0020]", b"\x00\x15"), Some(2));
        assert_eq!(m("[0010:0020]", b"\x01\x15"), None);
    }

    #[test]
    fn gaps_and_alternatives() {
        assert_eq!(m("41{2}42", b"AxxB"), Some(4));
        assert_eq!(m("41{1-3}42", b"AxxxB"), Some(5));
        assert_eq!(m("41{1-3}42", b"AxxxxB"), None);
        assert_eq!(m("41*42", b"A..........B"), Some(12));
        assert_eq!(m("41{2-*}42", b"AxB"), None);
        assert_eq!(m("41??42", b"A.B"), Some(3));
        assert_eq!(m("(4142|43)44", b"CD"), Some(2));
        assert_eq!(m("(4142|43)44", b"ABD"), Some(3));
        assert_eq!(m("(4142|43)44", b"AD"), None);
    }

    #[test]
    fn gaps_inside_alternatives_backtrack() {
        // The gap inside the alternative must be able to grow for what follows.
        assert_eq!(m("(41{0-5}|5A)42", b"Axx B"), Some(5));
        assert_eq!(m("(41{0-5}|5A)42", b"ZB"), Some(2));
        assert_eq!(m("(41{0-2}|5A)42", b"AxxxB"), None);
    }

    #[test]
    fn reversed_matching() {
        let atoms = reverse_atoms(&parse("'%%EOF'{0-2}").unwrap());
        let buf: Vec<u8> = b"...%%EOF\n".iter().rev().copied().collect();
        let mut budget = 1000;
        // Leading gap first in reversed order.
        assert!(match_at(&atoms, &buf, 0, &mut budget).is_some());
    }

    #[test]
    fn bad_expressions() {
        for e in [
            "4",
            "[30:",
            "'abc",
            "(41|42",
            "{3",
            "ZZ",
            "[0010:20]",
            "41{5-2}",
        ] {
            assert!(parse(e).is_err(), "{e}");
        }
    }

    #[test]
    fn anchored_on_a_later_literal() {
        assert_eq!(m("41{0-10}[30:39]42", b"A....7B"), Some(7));
        assert_eq!(m("41{0-10}[30:39]42", b"A....xB"), None);
        assert_eq!(m("41{0-10}[!30]4243", b"A..0BCxBC"), Some(9));
    }

    #[test]
    fn budget_bounds_backtracking() {
        let atoms = parse("*41*41*41*41*42").unwrap();
        let buf = vec![b'A'; 4000];
        let mut budget = 10_000;
        assert_eq!(match_at(&atoms, &buf, 0, &mut budget), None);
    }
}
