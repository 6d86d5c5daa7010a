//! The BOF prefixes of the signatures, as one byte trie per offset.
//!
//! Most signatures (1 647 of the 1 940 of V109) start with a literal at a fixed offset from
//! the beginning of the file (1 568 of them at offset 0). Their prefixes are compiled once
//! into a trie per offset: a file's bytes from that offset are walked once, down to the
//! longest prefix they start with, and every node passed on the way gives the signatures
//! whose whole prefix is there. The result is exactly the set of signatures whose prefix
//! matches, found in time proportional to the length of the longest matching prefix, instead
//! of one comparison per signature sharing the first byte.

/// A node of a [`PrefixTrie`].
#[derive(Debug, Default)]
struct Node {
    /// Signatures whose prefix ends at this node.
    sigs: Vec<u32>,
    /// Children, sorted by byte.
    next: Vec<(u8, u32)>,
}

/// The prefixes at one offset.
#[derive(Debug)]
pub(crate) struct PrefixTrie {
    offset: usize,
    /// Children of the root by byte (`u32::MAX`: none).
    root: Box<[u32; 256]>,
    /// Node 0 is the root (no signature ends there: prefixes are not empty).
    nodes: Vec<Node>,
}

impl PrefixTrie {
    fn new(offset: usize) -> PrefixTrie {
        PrefixTrie {
            offset,
            root: Box::new([u32::MAX; 256]),
            nodes: vec![Node::default()],
        }
    }

    /// Adds signature `sig`, whose prefix is `lit` (not empty) at this trie's offset.
    fn insert(&mut self, lit: &[u8], sig: u32) {
        let mut at = 0u32;
        for (k, &b) in lit.iter().enumerate() {
            let child = if k == 0 {
                self.root[b as usize]
            } else {
                let n = &self.nodes[at as usize];
                match n.next.binary_search_by_key(&b, |c| c.0) {
                    Ok(i) => n.next[i].1,
                    Err(_) => u32::MAX,
                }
            };
            at = if child != u32::MAX {
                child
            } else {
                let id = self.nodes.len() as u32;
                self.nodes.push(Node::default());
                if k == 0 {
                    self.root[b as usize] = id;
                } else {
                    let n = &mut self.nodes[at as usize];
                    let i = n.next.partition_point(|c| c.0 < b);
                    n.next.insert(i, (b, id));
                }
                id
            };
        }
        self.nodes[at as usize].sigs.push(sig);
    }

    /// Calls `f` with every signature whose prefix `bof` holds at this trie's offset.
    #[inline]
    pub(crate) fn matches(&self, bof: &[u8], mut f: impl FnMut(u32)) {
        let Some(rest) = bof.get(self.offset..) else {
            return;
        };
        let Some((&b0, tail)) = rest.split_first() else {
            return;
        };
        let mut at = self.root[b0 as usize];
        if at == u32::MAX {
            return;
        }
        let mut node = &self.nodes[at as usize];
        for &s in &node.sigs {
            f(s);
        }
        for &b in tail {
            if node.next.is_empty() {
                return;
            }
            at = match node.next.binary_search_by_key(&b, |c| c.0) {
                Ok(i) => node.next[i].1,
                Err(_) => return,
            };
            node = &self.nodes[at as usize];
            for &s in &node.sigs {
                f(s);
            }
        }
    }

    /// Number of signatures in the trie.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.iter().map(|n| n.sigs.len()).sum()
    }
}

/// The tries of every offset.
#[derive(Debug, Default)]
pub(crate) struct PrefixIndex {
    tries: Vec<PrefixTrie>,
}

impl PrefixIndex {
    /// Compiles the index from `(signature, offset, prefix)` (empty prefixes are ignored).
    pub(crate) fn new<'a>(prefixes: impl IntoIterator<Item = (u32, usize, &'a [u8])>) -> Self {
        let mut tries: Vec<PrefixTrie> = Vec::new();
        for (sig, off, lit) in prefixes {
            if lit.is_empty() {
                continue;
            }
            let k = match tries.iter().position(|t| t.offset == off) {
                Some(k) => k,
                None => {
                    tries.push(PrefixTrie::new(off));
                    tries.len() - 1
                }
            };
            tries[k].insert(lit, sig);
        }
        tries.sort_by_key(|t| t.offset);
        PrefixIndex { tries }
    }

    /// Calls `f` with every signature whose prefix `bof` holds at its offset.
    #[inline]
    pub(crate) fn matches(&self, bof: &[u8], mut f: impl FnMut(u32)) {
        for t in &self.tries {
            t.matches(bof, &mut f);
        }
    }

    /// The tries, by offset.
    #[cfg(test)]
    pub(crate) fn tries(&self) -> &[PrefixTrie] {
        &self.tries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_matching_prefixes() {
        let prefixes: Vec<(u32, usize, Vec<u8>)> = vec![
            (0, 0, b"%PDF".to_vec()),
            (1, 0, b"%PDF-1.4".to_vec()),
            (2, 0, b"%".to_vec()),
            (3, 0, b"%PS".to_vec()),
            (4, 2, b"DF".to_vec()),
            (5, 0, b"%PDF".to_vec()),
            (6, 8, b"x".to_vec()),
            (7, 0, b"".to_vec()),
        ];
        let idx = PrefixIndex::new(prefixes.iter().map(|(s, o, l)| (*s, *o, l.as_slice())));
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut hays: Vec<Vec<u8>> = vec![
            b"%PDF-1.4 x".to_vec(),
            b"%PDF-1.3".to_vec(),
            b"%P".to_vec(),
            b"".to_vec(),
            b"%PDF-1.4".to_vec(),
            b"abDFabcdx".to_vec(),
        ];
        for _ in 0..2000 {
            let n = (seed % 12) as usize;
            hays.push(
                (0..n)
                    .map(|_| {
                        crate::testutil::xorshift64(&mut seed);
                        b"%PDFS-1.4x"[(seed % 10) as usize]
                    })
                    .collect(),
            );
        }
        for hay in &hays {
            let mut got = Vec::new();
            idx.matches(hay, |s| got.push(s));
            got.sort_unstable();
            let want: Vec<u32> = prefixes
                .iter()
                .filter(|(_, o, l)| !l.is_empty() && hay.get(*o..o + l.len()) == Some(l))
                .map(|p| p.0)
                .collect();
            assert_eq!(got, want, "{hay:?}");
        }
        assert_eq!(idx.tries().iter().map(PrefixTrie::len).sum::<usize>(), 7);
    }
}
