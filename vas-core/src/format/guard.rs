//! Guards: cheap necessary conditions checked before a signature is matched.
//!
//! Most files match none of the ~275 signatures that have no literal at a fixed BOF offset
//! (those with one are indexed by it). Each of these signatures is compiled into guards: a
//! literal that every match must contain, with the range of offsets where it must start,
//! found by walking the sequence's atoms (a literal inside an alternative is not required;
//! gaps, classes and alternatives widen the range by their minimum and maximum lengths).
//!
//! - A literal whose range is narrow (a few KiB at most) is checked directly. When the range
//!   lies within the first or last 4 KiB of the file (all but a handful), the literal is one
//!   of the registry's direct literals, all found by one pass of an Aho-Corasick DFA over
//!   those ends of the file ([`Guard::passes_scanned`], from the first and last position of
//!   each literal); only the signatures whose first direct literal was found are looked at.
//!   The others are searched in their own slice of the window (one `memmem`).
//! - Otherwise the literal joins the registry's multi-literal prefilter, which scans each
//!   window once per file and records the first and last position of every literal; the
//!   guard then compares them with its range (and searches the range itself in the rare case
//!   where the literal occurs on both sides of it but maybe not inside).
//! - The scan is made only for the literals of the signatures that have no direct guard;
//!   for the others the direct guards are checked first and, when they pass, the scanned
//!   literal is searched in its own range ([`Guard::passes_by_search`]).
//! - A signature with no selective literal still gets its best narrow literal as a direct
//!   guard (e.g. MP3 frames: `FFFB` in the first 1 796 bytes), cheaper than the matcher.
//! - Alternatives give guards "one of these literals" ([`alt_needs`], [`Guard::AnyIn`]):
//!   each branch's leading literal, joined to the literal just before the alternative when
//!   there is one (LaTeX `{0-4096} 5C (begin{|chapter{|…)` needs `\begin{` or `\chapter{`
//!   … in the first 4 KiB, where the byte `5C` alone passed on every file), all searched
//!   at once by packed Teddy. A set anywhere in a window (BibTeX `40 (ARTICLE|BOOK|…)`) is
//!   used only when nothing else is selective, after the signature's narrow literals.
//!
//! A guard is a necessary condition, never a sufficient one: when it fails the signature
//! cannot match (the matcher only looks inside the windows), so skipping it changes no
//! result. The unit tests compare the guarded identification with an exhaustive one on the
//! format corpus and on random and mutated inputs.

use memchr::memmem;

use super::droid::{Anchor, Seq};
use super::pattern::Atom;
use super::prefilter::Occ;

/// Which window a literal is looked for in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The BOF window; `lo`/`hi` bound the literal's start offset.
    Bof,
    /// The EOF window; `lo`/`hi` bound the distance from the end of the file to the end
    /// of the literal.
    Eof,
    /// Anywhere in the BOF window, or in the EOF window when the file is larger than the
    /// BOF window (variable-position sequences).
    Any,
}

/// A literal every match of a sequence contains (bytes in file order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Need {
    pub place: Place,
    pub lit: Vec<u8>,
    pub lo: usize,
    /// `None`: unbounded.
    pub hi: Option<usize>,
}

/// The literals a match of `seq` must contain, with their ranges.
pub(crate) fn needs(seq: &Seq) -> Vec<Need> {
    let mut out = Vec::new();
    let Some((min, max, rest, place)) = gap_start(seq) else {
        return out;
    };
    let mut lo = min;
    let mut hi = max;
    for a in rest {
        if let Atom::Lit(v, _) = a
            && !v.is_empty()
        {
            let lit = if place == Place::Eof {
                // EOF sequences are reversed (matched on the reversed window).
                v.iter().rev().copied().collect()
            } else {
                v.clone()
            };
            out.push(Need { place, lit, lo, hi });
        }
        (lo, hi) = after(lo, hi, a);
    }
    out
}

/// Sets of literals of which every match of `seq` contains at least one, each within its
/// own range (as in [`Need`]): one set per alternative (`(a|b|c)`) whose branches all have a
/// literal preceded only by fixed- or bounded-length atoms. When the alternative follows a
/// literal directly and each branch starts with its literal, the set is made of that
/// literal joined to each branch's (e.g. LaTeX `5C (begin{|chapter{|…)` gives `\begin{`,
/// `\chapter{` … in the range of the `5C`): far more selective than the one byte alone.
pub(crate) fn alt_needs(seq: &Seq) -> Vec<Vec<Need>> {
    let mut out = Vec::new();
    let Some((min, max, rest, place)) = gap_start(seq) else {
        return out;
    };
    let file_order = |v: Vec<u8>| -> Vec<u8> {
        if place == Place::Eof {
            v.into_iter().rev().collect()
        } else {
            v
        }
    };
    let mut lo = min;
    let mut hi = max;
    // The literal just before the current atom (matching order) and its range.
    let mut prev: Option<(&[u8], usize, Option<usize>)> = None;
    for a in rest {
        if let Atom::Alt(alts) = a
            && let Some(heads) = alts
                .iter()
                .map(|b| leading_literal(b))
                .collect::<Option<Vec<_>>>()
        {
            let adjacent = heads.iter().all(|h| h.1 == 0 && h.2 == Some(0));
            let mut set: Vec<Need> = Vec::new();
            for (lit, alo, ahi) in heads {
                let need = match prev {
                    Some((p, plo, phi)) if adjacent => Need {
                        place,
                        lit: file_order([p, lit].concat()),
                        lo: plo,
                        hi: phi,
                    },
                    _ => Need {
                        place,
                        lit: file_order(lit.to_vec()),
                        lo: lo.saturating_add(alo),
                        hi: match (hi, ahi) {
                            (Some(h), Some(m)) => h.checked_add(m),
                            _ => None,
                        },
                    },
                };
                if !set.contains(&need) {
                    set.push(need);
                }
            }
            out.push(set);
        }
        prev = match a {
            Atom::Lit(v, _) if !v.is_empty() => Some((v.as_slice(), lo, hi)),
            _ => None,
        };
        (lo, hi) = after(lo, hi, a);
    }
    out
}

/// A sequence's leading gap (the offset range of what follows it), the atoms after it,
/// and where the sequence is anchored; `None` when it does not start with a gap.
fn gap_start(seq: &Seq) -> Option<(usize, Option<usize>, &[Atom], Place)> {
    let Some((Atom::Gap { min, max }, rest)) = seq.atoms.split_first() else {
        return None;
    };
    let place = match seq.anchor {
        Anchor::Bof => Place::Bof,
        Anchor::Eof => Place::Eof,
        Anchor::Var => Place::Any,
    };
    Some((*min, *max, rest, place))
}

/// The offset range just after atom `a`, from the range `lo..=hi` of its start
/// (`None`: unbounded).
fn after(lo: usize, hi: Option<usize>, a: &Atom) -> (usize, Option<usize>) {
    let hi = match (hi, a.max_len()) {
        (Some(h), Some(m)) => h.checked_add(m),
        _ => None,
    };
    (lo.saturating_add(a.min_len()), hi)
}

/// The first literal of an alternative's branch with the range of its offset from the
/// branch's start (`None`: unbounded), when only gaps, classes and ranges precede it.
fn leading_literal(atoms: &[Atom]) -> Option<(&[u8], usize, Option<usize>)> {
    let (mut lo, mut hi) = (0usize, Some(0usize));
    for a in atoms {
        match a {
            Atom::Lit(v, _) if !v.is_empty() => return Some((v.as_slice(), lo, hi)),
            Atom::Alt(_) => return None,
            _ => {
                lo = lo.saturating_add(a.min_len());
                hi = match (hi, a.max_len()) {
                    (Some(h), Some(m)) => h.checked_add(m),
                    _ => None,
                };
            }
        }
    }
    None
}

/// Information (in bits) a literal carries on typical data: bytes that fill binary files
/// (00, FF) and text (blanks, `0`) count for less, repeated bytes for half.
pub(crate) fn bits(lit: &[u8]) -> u32 {
    let mut seen = [false; 256];
    let mut total = 0u32;
    for &b in lit {
        let w = match b {
            0x00 | 0xFF => 1,
            0x01 | 0x20 | 0x0A | 0x0D | 0x30 => 4,
            _ => 8,
        };
        total += if seen[b as usize] { w / 2 } else { w };
        seen[b as usize] = true;
    }
    total
}

/// Start ranges of fewer positions than this are searched by a plain loop
/// ([`find_short`]) rather than by `memmem`, whose set-up (Rabin-Karp on haystacks this
/// short) costs more than comparing a byte at each of a few positions.
pub(crate) const SHORT_RANGE: usize = 48;

/// Whether `lit` (not empty) occurs in `hay`: the first byte compared at each start
/// position, the rest only where it matches. For short haystacks (see [`SHORT_RANGE`]).
#[inline]
fn find_short(hay: &[u8], lit: &[u8]) -> bool {
    let Some((&first, rest)) = lit.split_first() else {
        return true;
    };
    let Some(last) = hay.len().checked_sub(lit.len()) else {
        return false;
    };
    (0..=last).any(|p| hay[p] == first && hay[p + 1..p + lit.len()] == *rest)
}

/// Whether `lit` starts within `[lo, hi]` of its window (see [`Place`]; `place` is not
/// [`Place::Any`]): what a direct guard checks. A start range of fewer than
/// [`SHORT_RANGE`] positions is searched by [`find_short`], a wider one by `finder`
/// (which must search `lit`; `None` only when `hi - lo < SHORT_RANGE`).
#[inline]
pub(crate) fn direct_check(
    place: Place,
    lit: &[u8],
    lo: usize,
    hi: usize,
    finder: Option<&memmem::Finder<'_>>,
    s: &Seen,
) -> bool {
    let w = if place == Place::Bof { s.bof } else { s.eof };
    let len = lit.len();
    match range(place, w.len(), len, lo, Some(hi)) {
        Some((a, b)) => match finder {
            Some(f) if b - a >= SHORT_RANGE => f.find(slice(w, a, b + len)).is_some(),
            _ => find_short(slice(w, a, b + len), lit),
        },
        None => false,
    }
}

/// Widest range checked directly (bytes).
pub(crate) const DIRECT_SPAN: usize = 4096;

/// A guard of a signature.
#[derive(Debug)]
pub(crate) enum Guard {
    /// The literal must start in `[lo, hi]` (BOF) / end at a distance in `[lo, hi]` from
    /// the end (EOF): one search in that slice.
    Direct {
        place: Place,
        len: usize,
        lo: usize,
        hi: usize,
        finder: Box<memmem::Finder<'static>>,
        /// Index of the literal in the registry's direct-literal scan, when its whole
        /// range lies within that scan's reach ([`Guard::passes_scanned`]); `None`: only
        /// checked by a search of its range ([`Guard::passes`]).
        slot: Option<u32>,
    },
    /// One of several literals (a set from [`alt_needs`]) in a part of a window, found by
    /// one multi-literal search (`aho-corasick`, packed Teddy for these few literals) of
    /// `[lo, reach)` of the BOF window, of the EOF window's part ending `lo` bytes before
    /// its end and starting `reach` bytes before it, or of both windows for
    /// [`Place::Any`] (`reach` `None`: to the far end of the window). `lo` is the smallest
    /// of the literals' lower bounds and `reach` the largest of their upper bounds plus
    /// length: a necessary condition for one of them to lie in its own range.
    AnyIn {
        place: Place,
        lo: usize,
        reach: Option<usize>,
        /// The SIMD searcher, when the CPU has the instructions.
        teddy: Option<Box<aho_corasick::packed::Searcher>>,
        /// The automaton, when there is no SIMD searcher.
        searcher: Option<Box<aho_corasick::AhoCorasick>>,
    },
    /// Literal `index` of the prefilter, found by the per-file scan, within the range.
    Scanned {
        place: Place,
        index: usize,
        len: usize,
        lo: usize,
        hi: Option<usize>,
        finder: Box<memmem::Finder<'static>>,
    },
}

/// What a guard needs to know about the file: its windows and where the prefilter found
/// its literals (`eof_occ` is `None` when the EOF window was not scanned because the BOF
/// window holds the whole file).
pub(crate) struct Seen<'a> {
    pub bof: &'a [u8],
    pub eof: &'a [u8],
    /// The BOF window holds the whole file (the EOF window is then its last bytes).
    pub whole: bool,
    pub bof_occ: &'a [Occ],
    pub eof_occ: Option<&'a [Occ]>,
}

/// The slice `[a, b)` of `hay`, clipped; empty when out of range.
fn slice(hay: &[u8], a: usize, b: usize) -> &[u8] {
    let b = b.min(hay.len());
    if a >= b { &[] } else { &hay[a..b] }
}

/// The start range `[a, b]` (inclusive, in window coordinates) of a literal of `len` bytes
/// in a window of `n` bytes, or `None` when it cannot fit.
fn range(
    place: Place,
    n: usize,
    len: usize,
    lo: usize,
    hi: Option<usize>,
) -> Option<(usize, usize)> {
    let last = n.checked_sub(len)?;
    match place {
        Place::Bof => {
            let b = hi.map_or(last, |h| h.min(last));
            (lo <= b).then_some((lo, b))
        }
        Place::Eof => {
            // Start = n - len - distance.
            let b = last.checked_sub(lo)?;
            let a = hi.map_or(0, |h| last.saturating_sub(h));
            (a <= b).then_some((a, b))
        }
        Place::Any => Some((0, last)),
    }
}

/// Whether the literal occurs with a start in `[a, b]` of `hay`, knowing its first and last
/// start positions there.
fn occurs(
    occ: Occ,
    hay: &[u8],
    a: usize,
    b: usize,
    len: usize,
    finder: &memmem::Finder<'_>,
) -> bool {
    if !occ.seen() {
        return false;
    }
    let (f, l) = (occ.first as usize, occ.last as usize);
    if f > b || l < a {
        return false;
    }
    if f >= a || l <= b {
        return true;
    }
    finder.find(slice(hay, a, b + len)).is_some()
}

impl Guard {
    /// A direct guard for `n`, when its range is narrow enough.
    pub(crate) fn direct(n: &Need) -> Option<Guard> {
        let hi = n.hi?;
        if n.place == Place::Any || hi.saturating_sub(n.lo) > DIRECT_SPAN {
            return None;
        }
        Some(Guard::Direct {
            place: n.place,
            len: n.lit.len(),
            lo: n.lo,
            hi,
            finder: Box::new(memmem::Finder::new(&n.lit).into_owned()),
            slot: None,
        })
    }

    /// A guard "one of these literals" for a set from [`alt_needs`] (all of one place), or
    /// `None` when the set is empty or the literals cannot be searched together.
    pub(crate) fn any_in(set: &[Need]) -> Option<Guard> {
        let place = set.first()?.place;
        if set.iter().any(|n| n.place != place || n.lit.is_empty()) {
            return None;
        }
        let lo = set.iter().map(|n| n.lo).min()?;
        let reach = if place == Place::Any {
            None
        } else {
            set.iter()
                .map(|n| n.hi.and_then(|h| h.checked_add(n.lit.len())))
                .collect::<Option<Vec<usize>>>()
                .and_then(|v| v.into_iter().max())
        };
        // Teddy (the SIMD search of `aho-corasick`'s packed module) takes at most 64
        // literals: a larger set is cut to its literals' first `k` bytes (at least 3), the
        // longest `k` giving ≤ 64 distinct ones. Still a necessary condition: the searched
        // part of the window holds a literal whenever it holds a literal that starts with it.
        let cut = |k: usize| {
            let mut v: Vec<&[u8]> = set.iter().map(|n| &n.lit[..n.lit.len().min(k)]).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let longest = set.iter().map(|n| n.lit.len()).max()?;
        let lits = (3..=longest)
            .rev()
            .map(cut)
            .find(|v| v.len() <= 64)
            .unwrap_or_else(|| cut(longest));
        let teddy = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&lits)
            .build();
        let searcher = match teddy {
            Some(_) => None,
            None => Some(Box::new(
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                    .build(&lits)
                    .ok()?,
            )),
        };
        Some(Guard::AnyIn {
            place,
            lo,
            reach,
            teddy: teddy.map(Box::new),
            searcher,
        })
    }

    /// For a direct guard: its literal (file order), window and reach (how far from the
    /// start of the BOF window / the end of the EOF window the literal can lie).
    pub(crate) fn direct_literal(&self) -> Option<(Place, Vec<u8>, usize)> {
        match self {
            Guard::Direct {
                place,
                len,
                hi,
                finder,
                ..
            } => Some((*place, finder.needle().to_vec(), hi.saturating_add(*len))),
            Guard::AnyIn { .. } | Guard::Scanned { .. } => None,
        }
    }

    /// Whether `self` and `other` are the same direct guard (same literal, window, range
    /// and scan slot): one check answers for both. `false` for other guards.
    pub(crate) fn same_direct_check(&self, other: &Guard) -> bool {
        match (self, other) {
            (
                Guard::Direct {
                    place: p1,
                    len: n1,
                    lo: l1,
                    hi: h1,
                    finder: f1,
                    slot: s1,
                },
                Guard::Direct {
                    place: p2,
                    len: n2,
                    lo: l2,
                    hi: h2,
                    finder: f2,
                    slot: s2,
                },
            ) => (p1, n1, l1, h1, s1) == (p2, n2, l2, h2, s2) && f1.needle() == f2.needle(),
            _ => false,
        }
    }

    /// Makes a direct guard use slot `index` of the direct-literal scan.
    pub(crate) fn set_slot(&mut self, index: u32) {
        if let Guard::Direct { slot, .. } = self {
            *slot = Some(index);
        }
    }

    /// The slot of a direct guard in the direct-literal scan, if it has one.
    pub(crate) fn slot(&self) -> Option<u32> {
        match self {
            Guard::Direct { slot, .. } => *slot,
            Guard::AnyIn { .. } | Guard::Scanned { .. } => None,
        }
    }

    /// [`Guard::passes`] for a direct guard having a slot, from where the direct-literal
    /// scan found the literals (`s.bof_occ`/`s.eof_occ` indexed by slot): no search unless
    /// the literal occurs on both sides of the range but maybe not inside it. A guard
    /// without a slot is checked by [`Guard::passes`].
    #[inline]
    pub(crate) fn passes_scanned(&self, s: &Seen) -> bool {
        match self {
            Guard::Direct {
                place,
                len,
                lo,
                hi,
                finder,
                slot: Some(index),
            } => occ_check(*place, *index as usize, *len, *lo, Some(*hi), finder, s),
            _ => self.passes(s),
        }
    }

    /// A guard on prefilter literal `index` for `n`.
    pub(crate) fn scanned(n: &Need, index: usize) -> Guard {
        Guard::Scanned {
            place: n.place,
            index,
            len: n.lit.len(),
            lo: n.lo,
            hi: n.hi,
            finder: Box::new(memmem::Finder::new(&n.lit).into_owned()),
        }
    }

    /// For a scanned guard: its window and how far into it (from its start for
    /// [`Place::Bof`], from its end for [`Place::Eof`]) the literal can lie
    /// (`usize::MAX`: anywhere in the window). The prefilter scans no further.
    pub(crate) fn scan_reach(&self) -> Option<(Place, usize)> {
        match self {
            Guard::Direct { .. } | Guard::AnyIn { .. } => None,
            Guard::Scanned { place, len, hi, .. } => Some((
                *place,
                match place {
                    Place::Any => usize::MAX,
                    _ => hi.map_or(usize::MAX, |h| h.saturating_add(*len)),
                },
            )),
        }
    }

    /// For a direct guard: its window, literal (file order), range and searcher.
    pub(crate) fn direct_parts(
        &self,
    ) -> Option<(Place, &[u8], usize, usize, &memmem::Finder<'static>)> {
        match self {
            Guard::Direct {
                place,
                lo,
                hi,
                finder,
                ..
            } => Some((*place, finder.needle(), *lo, *hi, finder)),
            Guard::AnyIn { .. } | Guard::Scanned { .. } => None,
        }
    }

    /// Whether the guard is a direct one of a short range (searched by [`find_short`]).
    pub(crate) fn is_short(&self) -> bool {
        matches!(self, Guard::Direct { lo, hi, .. } if hi - lo < SHORT_RANGE)
    }

    /// Whether the guard is a direct one.
    pub(crate) fn is_direct(&self) -> bool {
        matches!(self, Guard::Direct { .. } | Guard::AnyIn { .. })
    }

    /// [`Guard::passes`] without the prefilter's scan: the literal is searched in its own
    /// range of the windows (`whole`: the BOF window holds the whole file, the EOF window
    /// being its last bytes). For the few signatures whose other guards passed.
    pub(crate) fn passes_by_search(&self, bof: &[u8], eof: &[u8], whole: bool) -> bool {
        match self {
            Guard::Direct { .. } | Guard::AnyIn { .. } => self.passes(&Seen {
                bof,
                eof,
                whole,
                bof_occ: &[],
                eof_occ: None,
            }),
            Guard::Scanned {
                place,
                len,
                lo,
                hi,
                finder,
                ..
            } => match place {
                Place::Bof | Place::Eof => {
                    let w = if *place == Place::Bof { bof } else { eof };
                    match range(*place, w.len(), *len, *lo, *hi) {
                        Some((a, b)) => finder.find(slice(w, a, b.saturating_add(*len))).is_some(),
                        None => false,
                    }
                }
                Place::Any => finder.find(bof).is_some() || (!whole && finder.find(eof).is_some()),
            },
        }
    }

    /// Whether a match is still possible.
    pub(crate) fn passes(&self, s: &Seen) -> bool {
        match self {
            Guard::Direct {
                place,
                len,
                lo,
                hi,
                finder,
                ..
            } => {
                debug_assert_eq!(*len, finder.needle().len());
                direct_check(*place, finder.needle(), *lo, *hi, Some(finder), s)
            }
            Guard::AnyIn {
                place,
                lo,
                reach,
                teddy,
                searcher,
            } => {
                let end = |n: usize| reach.map_or(n, |r| r.min(n));
                let hit = |hay: &[u8]| {
                    !hay.is_empty()
                        && match teddy {
                            Some(t) => t.find(hay).is_some(),
                            None => searcher.as_ref().is_some_and(|a| a.is_match(hay)),
                        }
                };
                match place {
                    Place::Bof => hit(slice(s.bof, *lo, end(s.bof.len()))),
                    Place::Eof => {
                        let n = s.eof.len();
                        hit(slice(s.eof, n - end(n), n.saturating_sub(*lo)))
                    }
                    Place::Any => hit(s.bof) || (!s.whole && hit(s.eof)),
                }
            }
            Guard::Scanned {
                place,
                index,
                len,
                lo,
                hi,
                finder,
            } => occ_check(*place, *index, *len, *lo, *hi, finder, s),
        }
    }
}

/// Whether literal `index` (of `len` bytes, searched by `finder`) occurs within its range
/// `lo..=hi` of its window, from the first and last positions a scan recorded in `s`.
#[inline]
fn occ_check(
    place: Place,
    index: usize,
    len: usize,
    lo: usize,
    hi: Option<usize>,
    finder: &memmem::Finder<'_>,
    s: &Seen,
) -> bool {
    match place {
        Place::Bof => match range(Place::Bof, s.bof.len(), len, lo, hi) {
            Some((a, b)) => occurs(s.bof_occ[index], s.bof, a, b, len, finder),
            None => false,
        },
        Place::Eof => {
            let Some((a, b)) = range(Place::Eof, s.eof.len(), len, lo, hi) else {
                return false;
            };
            match s.eof_occ {
                Some(occ) => occurs(occ[index], s.eof, a, b, len, finder),
                None => {
                    // The BOF window holds the whole file: the EOF window is its last
                    // `eof.len()` bytes.
                    let base = s.bof.len() - s.eof.len();
                    occurs(s.bof_occ[index], s.bof, a + base, b + base, len, finder)
                }
            }
        }
        Place::Any => s.bof_occ[index].seen() || s.eof_occ.is_some_and(|o| o[index].seen()),
    }
}

/// Estimated log2 of the probability that a direct guard passes on data that does not
/// contain the format (the literal's information against the number of start positions).
pub(crate) fn direct_log2_pass(n: &Need) -> i64 {
    let span = (n.hi.map_or(usize::MAX, |h| h.saturating_sub(n.lo)) as u64).saturating_add(1);
    (64 - span.leading_zeros()) as i64 - bits(&n.lit) as i64
}

/// Estimated log2 of the probability that a guard "one of these literals" passes on data
/// that does not contain the format: the sum over the literals, each against its range
/// (unbounded ranges and [`Place::Any`] count as a 64 KiB window).
pub(crate) fn set_log2_pass(set: &[Need]) -> i64 {
    let one = |n: &Need| {
        let span = match (n.place, n.hi) {
            (Place::Any, _) | (_, None) => 1u64 << 16,
            (_, Some(h)) => (h.saturating_sub(n.lo) as u64).saturating_add(1),
        };
        (64 - span.leading_zeros()) as i64 - bits(&n.lit) as i64
    };
    let worst = set.iter().map(one).max().unwrap_or(0);
    worst + (64 - (set.len() as u64).saturating_sub(1).leading_zeros()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::pattern;

    fn seq(anchor: Anchor, expr: &str) -> Seq {
        let mut atoms = vec![Atom::Gap {
            min: 2,
            max: Some(10),
        }];
        let body = pattern::parse(expr).unwrap();
        if anchor == Anchor::Eof {
            atoms.extend(pattern::reverse_atoms(&body));
        } else {
            atoms.extend(body);
        }
        Seq { anchor, atoms }
    }

    #[test]
    fn needs_and_ranges() {
        let n = needs(&seq(Anchor::Bof, "4142 [30:39] {3-5} 434445 (46|4748) 49"));
        assert_eq!(n.len(), 3);
        assert_eq!(
            (n[0].lit.as_slice(), n[0].lo, n[0].hi),
            (&b"AB"[..], 2, Some(10))
        );
        assert_eq!(
            (n[1].lit.as_slice(), n[1].lo, n[1].hi),
            (&b"CDE"[..], 8, Some(18))
        );
        assert_eq!(
            (n[2].lit.as_slice(), n[2].lo, n[2].hi),
            (&b"I"[..], 12, Some(23))
        );
        let n = needs(&seq(Anchor::Bof, "4142 * 4344"));
        assert_eq!((n[1].lo, n[1].hi), (4, None));
        // EOF: literals in file order, distances from the end to their end.
        let n = needs(&seq(Anchor::Eof, "4142 {1} 4344"));
        assert_eq!(n.len(), 2);
        assert_eq!(
            (n[0].lit.as_slice(), n[0].lo, n[0].hi),
            (&b"CD"[..], 2, Some(10))
        );
        assert_eq!(
            (n[1].lit.as_slice(), n[1].lo, n[1].hi),
            (&b"AB"[..], 5, Some(13))
        );
    }

    #[test]
    fn ranges_in_windows() {
        // BOF: starts 2..=10, clipped to the window.
        assert_eq!(range(Place::Bof, 100, 3, 2, Some(10)), Some((2, 10)));
        assert_eq!(range(Place::Bof, 8, 3, 2, Some(10)), Some((2, 5)));
        assert_eq!(range(Place::Bof, 4, 3, 2, Some(10)), None);
        // EOF: a 3-byte literal ending 2..=10 bytes before the end of a 100-byte window
        // starts at 87..=95.
        assert_eq!(range(Place::Eof, 100, 3, 2, Some(10)), Some((87, 95)));
        assert_eq!(range(Place::Eof, 4, 3, 2, Some(10)), None);
        assert_eq!(range(Place::Eof, 6, 3, 2, None), Some((0, 1)));
    }

    #[test]
    fn guards_agree_with_a_search() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = move || {
            crate::testutil::xorshift64(&mut seed);
            seed
        };
        let lits: [&[u8]; 4] = [b"xyz", b"x", b"yx", b"xyzzy"];
        for round in 0..6000 {
            // Short haystacks and ranges, then longer ones: direct guards of short ranges
            // (a plain loop) and of wider ones (`memmem`) on either side of `SHORT_RANGE`.
            let long = round >= 3000;
            let lit = lits[(rnd() % 4) as usize].to_vec();
            let n = 1 + (rnd() % if long { 400 } else { 64 }) as usize;
            let mut hay: Vec<u8> = (0..n).map(|_| b"xyz."[(rnd() % 4) as usize]).collect();
            if rnd() % 2 == 0 {
                let p = (rnd() as usize) % n;
                hay.splice(p..p, lit.iter().copied());
                hay.truncate(n.max(lit.len()));
            }
            let lo = (rnd() % if long { 120 } else { 20 }) as usize;
            let span = if long { 2 * SHORT_RANGE } else { 20 };
            let hi = if rnd() % 5 == 0 {
                None
            } else {
                Some(lo + (rnd() as usize) % span)
            };
            for place in [Place::Bof, Place::Eof] {
                let need = Need {
                    place,
                    lit: lit.clone(),
                    lo,
                    hi,
                };
                // Reference: every start position, from the definition.
                let want = (0..hay.len()).any(|s| {
                    hay[s..].starts_with(&lit)
                        && match place {
                            Place::Bof => s >= lo && hi.is_none_or(|h| s <= h),
                            _ => {
                                let d = hay.len() - s - lit.len();
                                d >= lo && hi.is_none_or(|h| d <= h)
                            }
                        }
                });
                let f = super::super::prefilter::LitFilter::new(vec![lit.clone()]);
                let mut occ = vec![Occ::NONE];
                f.scan_occ(&hay, &mut occ);
                let seen = Seen {
                    bof: &hay,
                    eof: &hay,
                    whole: false,
                    bof_occ: &occ,
                    eof_occ: Some(&occ),
                };
                assert_eq!(
                    Guard::scanned(&need, 0).passes(&seen),
                    want,
                    "{hay:?} {need:?}"
                );
                let seen_whole = Seen {
                    eof_occ: None,
                    whole: true,
                    ..seen
                };
                assert_eq!(Guard::scanned(&need, 0).passes(&seen_whole), want);
                // The search in the literal's range (no scan) agrees too.
                for whole in [false, true] {
                    assert_eq!(
                        Guard::scanned(&need, 0).passes_by_search(&hay, &hay, whole),
                        want,
                        "{hay:?} {need:?}"
                    );
                }
                if let Some(g) = Guard::direct(&need) {
                    assert_eq!(g.passes(&seen), want, "{hay:?} {need:?}");
                    assert_eq!(g.is_short(), hi.unwrap() - lo < SHORT_RANGE);
                    assert!(g.same_direct_check(&Guard::direct(&need).unwrap()));
                    let other = Need {
                        hi: hi.map(|h| h + 1),
                        ..need.clone()
                    };
                    assert!(!g.same_direct_check(&Guard::direct(&other).unwrap()));
                }
            }
        }
    }

    #[test]
    fn alternatives_joined_to_the_literal_before_them() {
        // LaTeX-like: `5C (begin{|chapter{)` in the first 4 KiB.
        let mut q = seq(Anchor::Bof, "5C ('begin{'|'chapter{')");
        q.atoms[0] = Atom::Gap {
            min: 0,
            max: Some(4096),
        };
        let sets = alt_needs(&q);
        assert_eq!(sets.len(), 1);
        let lits: Vec<&[u8]> = sets[0].iter().map(|n| n.lit.as_slice()).collect();
        assert_eq!(lits, [&b"\\begin{"[..], &b"\\chapter{"[..]]);
        assert!(sets[0].iter().all(|n| (n.lo, n.hi) == (0, Some(4096))));
        assert!(set_log2_pass(&sets[0]) < -30);
        // Branches starting with a gap: each literal in its own range, not joined.
        let q = seq(Anchor::Bof, "41 ({2} 4243|{1-3} 4445)");
        let sets = alt_needs(&q);
        assert_eq!(
            sets[0]
                .iter()
                .map(|n| (n.lit.clone(), n.lo, n.hi))
                .collect::<Vec<_>>(),
            [(b"BC".to_vec(), 5, Some(13)), (b"DE".to_vec(), 4, Some(14))]
        );
        // EOF: file order, the joined literal ends where the literal before it ends.
        let q = seq(Anchor::Eof, "(4243|4445) 46");
        let sets = alt_needs(&q);
        let lits: Vec<&[u8]> = sets[0].iter().map(|n| n.lit.as_slice()).collect();
        assert_eq!(lits, [&b"BCF"[..], &b"DEF"[..]]);
        assert!(sets[0].iter().all(|n| (n.lo, n.hi) == (2, Some(10))));
        // A branch without a literal: no set.
        assert!(alt_needs(&seq(Anchor::Bof, "41 (42|[30:39])")).is_empty());
    }

    /// A guard "one of these literals" never rejects data the sequence matches, at every
    /// anchor, on random data over a small alphabet carrying the literals near the edges of
    /// their ranges; and it does reject some.
    #[test]
    fn alternative_guards_never_reject_a_match() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move || {
            crate::testutil::xorshift64(&mut seed);
            seed
        };
        let exprs = [
            "5C ('ab'|'cd'|'e')",
            "41 ({2} 4243|{1-3} 4445) 46",
            "(6162|6364 {0-4}) 0A ('x'|'yz')",
            "[61:62] 43 (44|45 [!41] 46)",
        ];
        let (mut matched, mut rejected) = (0usize, 0usize);
        for expr in exprs {
            for anchor in [Anchor::Bof, Anchor::Eof, Anchor::Var] {
                for (min, max) in [(0, Some(0)), (2, Some(9)), (0, Some(40)), (3, None)] {
                    let mut q = seq(anchor, expr);
                    q.atoms[0] = Atom::Gap { min, max };
                    if anchor == Anchor::Var {
                        q.atoms[0] = Atom::Gap { min: 0, max: None };
                    }
                    let guards: Vec<Guard> = alt_needs(&q)
                        .iter()
                        .filter_map(|set| Guard::any_in(set))
                        .collect();
                    assert!(!guards.is_empty(), "{expr}");
                    let tokens: Vec<Vec<u8>> = alt_needs(&q)
                        .into_iter()
                        .flatten()
                        .map(|n| n.lit)
                        .chain(needs(&q).into_iter().map(|n| n.lit))
                        .collect();
                    for _ in 0..400 {
                        let n = (rnd() % 60) as usize;
                        let mut hay: Vec<u8> = (0..n)
                            .map(|_| b"\\abcdeABCDEFxyz\n"[(rnd() % 16) as usize])
                            .collect();
                        for _ in 0..rnd() % 4 {
                            let t = &tokens[(rnd() as usize) % tokens.len()];
                            let at = (rnd() as usize) % (hay.len() + 1);
                            hay.splice(at..at, t.iter().copied());
                        }
                        let rev: Vec<u8> = hay.iter().rev().copied().collect();
                        let mut budget = 1_000_000;
                        let Atom::Gap { min, max } = q.atoms[0] else {
                            unreachable!()
                        };
                        let m = match anchor {
                            Anchor::Eof => {
                                pattern::gap_then(min, max, &q.atoms[1..], &rev, 0, &mut budget)
                            }
                            _ => pattern::gap_then(min, max, &q.atoms[1..], &hay, 0, &mut budget),
                        };
                        let seen = Seen {
                            bof: &hay,
                            eof: &hay,
                            whole: true,
                            bof_occ: &[],
                            eof_occ: None,
                        };
                        let pass = guards.iter().all(|g| g.passes(&seen));
                        if m.is_some() {
                            matched += 1;
                            assert!(pass, "{expr} {anchor:?} {min} {max:?} {hay:?}");
                        } else {
                            rejected += usize::from(!pass);
                        }
                    }
                }
            }
        }
        assert!(
            matched > 200 && rejected > 1000,
            "{matched} matched, {rejected} rejected"
        );
    }
}
