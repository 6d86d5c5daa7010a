//! XSD 1.0 schema compiler: schema documents → components → content-model automata.

use std::collections::HashMap;

use regex::Regex;

use super::dom::Doc;
use super::types::{Builtin, Facets, SimpleType, SimpleTypes, TypeId, Variety, Ws};
use crate::{Error, ErrorKind, Result};

#[path = "precompiled.rs"]
pub(crate) mod precompiled;

/// The XML Schema namespace.
pub(crate) const XS: &str = "http://www.w3.org/2001/XMLSchema";
/// `maxOccurs="unbounded"`.
pub(crate) const UNBOUNDED: u32 = u32::MAX;
/// Counted repetitions above this are approximated (min copies, then unbounded).
const MAX_EXPANSION: u32 = 256;

/// Index of an element declaration.
pub(crate) type ElemId = usize;

/// Two-level name map usable with borrowed `&str` keys.
#[derive(Debug, Default, Clone)]
pub(crate) struct NameMap<T>(HashMap<String, HashMap<String, T>>);

impl<T: Clone> NameMap<T> {
    pub fn get(&self, ns: &str, local: &str) -> Option<&T> {
        self.0.get(ns).and_then(|m| m.get(local))
    }
    pub fn insert(&mut self, ns: &str, local: &str, v: T) -> Option<T> {
        self.0
            .entry(ns.to_string())
            .or_default()
            .insert(local.to_string(), v)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &T)> {
        self.0
            .iter()
            .flat_map(|(ns, m)| m.iter().map(move |(l, v)| (ns.as_str(), l.as_str(), v)))
    }
}

/// Names of a compiled set sorted by (namespace, local name), found by binary search: built
/// once from a [`NameMap`] at compile time, or read in order from a precompiled set without
/// hashing anything.
#[derive(Debug, Default, Clone)]
pub(crate) struct SortedNames(pub Vec<(Text, Text, usize)>);

/// A name or label of a compiled set: owned when compiled from XSD text, borrowed from the
/// precompiled blob (which lives as long as the program) when decoded, so that decoding
/// allocates no string for it.
pub(crate) type Text = std::borrow::Cow<'static, str>;

impl SortedNames {
    /// The value of (`ns`, `local`), if the name is present.
    pub fn get(&self, ns: &str, local: &str) -> Option<&usize> {
        self.0
            .binary_search_by(|(n, l, _)| (&**n, &**l).cmp(&(ns, local)))
            .ok()
            .map(|i| &self.0[i].2)
    }

    fn from_map(m: &NameMap<usize>) -> SortedNames {
        let mut v: Vec<(Text, Text, usize)> = m
            .iter()
            .map(|(a, b, c)| (a.to_string().into(), b.to_string().into(), *c))
            .collect();
        v.sort_unstable();
        SortedNames(v)
    }
}

/// Namespace constraint of a wildcard.
#[derive(Debug, Clone)]
pub(crate) enum NsSet {
    Any,
    /// `##other`: any namespace except these (the target namespace and "no namespace").
    Not(Vec<String>),
    List(Vec<String>),
}

/// How a wildcard's matches are validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Process {
    Strict,
    Lax,
    Skip,
}

/// An `xsd:any` / `xsd:anyAttribute`.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    pub ns: NsSet,
    pub process: Process,
}

impl Wildcard {
    pub fn allows(&self, ns: &str) -> bool {
        match &self.ns {
            NsSet::Any => true,
            NsSet::Not(v) => !v.iter().any(|x| x == ns),
            NsSet::List(v) => v.iter().any(|x| x == ns),
        }
    }

    pub fn describe(&self) -> String {
        let p = match self.process {
            Process::Strict => "strict",
            Process::Lax => "lax",
            Process::Skip => "skip",
        };
        match &self.ns {
            NsSet::Any => format!("any element ({p})"),
            NsSet::Not(v) => {
                let named: Vec<String> = v
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| format!("'{s}'"))
                    .collect();
                let unqualified = if v.iter().any(|s| s.is_empty()) {
                    ", nor unqualified"
                } else {
                    ""
                };
                format!(
                    "any element from a namespace other than {}{unqualified} ({p})",
                    named.join(" or ")
                )
            }
            NsSet::List(v) => format!("any element in namespace {} ({p})", v.join(" or ")),
        }
    }
}

/// An element declaration.
#[derive(Debug, Clone)]
pub(crate) struct ElemDecl {
    pub ns: Text,
    pub local: Text,
    pub ty: TypeId,
    pub abstract_: bool,
    pub nillable: bool,
    pub fixed: Option<String>,
    pub subst_head: Option<ElemId>,
    /// Identity constraints declared on this element (indices into `Compiled::identities`).
    pub identity: Vec<usize>,
    /// Interned (namespace, local name) ([`Compiled::names`]).
    pub name_id: u32,
}

/// Kind of an identity constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IcKind {
    Unique,
    Key,
    KeyRef,
}

impl IcKind {
    pub fn name(self) -> &'static str {
        match self {
            IcKind::Unique => "unique",
            IcKind::Key => "key",
            IcKind::KeyRef => "keyref",
        }
    }
}

/// A name test of the XSD XPath subset: `*`, `prefix:*` or a (namespace, local) name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NameTest {
    Any,
    AnyIn(String),
    Name(String, String),
}

impl NameTest {
    pub fn matches(&self, ns: &str, local: &str) -> bool {
        match self {
            NameTest::Any => true,
            NameTest::AnyIn(n) => n == ns,
            NameTest::Name(n, l) => n == ns && l == local,
        }
    }
}

/// One alternative of a selector or field path: `(.//)? step/step… (/@attr)?`.
#[derive(Debug, Clone)]
pub(crate) struct IcPath {
    /// Starts with `.//`: the steps may start at any depth below the context element.
    pub descendant: bool,
    /// Child steps.
    pub steps: Vec<NameTest>,
    /// Final attribute step (fields only).
    pub attr: Option<NameTest>,
}

impl IcPath {
    /// Whether the element path `names` (relative to the context element, outermost
    /// first) is selected by this path's element steps.
    pub fn matches_elems<'n>(&self, names: &[(&'n str, &'n str)]) -> bool {
        let n = self.steps.len();
        if names.len() < n || (!self.descendant && names.len() != n) {
            return false;
        }
        let tail = &names[names.len() - n..];
        self.steps
            .iter()
            .zip(tail)
            .all(|(t, (ns, l))| t.matches(ns, l))
    }
}

/// An identity constraint (`xs:unique`, `xs:key`, `xs:keyref`).
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub kind: IcKind,
    /// Namespace and name (keyrefs refer to keys by this name).
    pub ns: String,
    pub name: String,
    pub selector: Vec<IcPath>,
    pub fields: Vec<Vec<IcPath>>,
    /// For keyrefs: the referenced key or unique constraint.
    pub refer: Option<usize>,
}

/// An attribute use.
#[derive(Debug, Clone)]
pub(crate) struct AttrUse {
    pub ns: String,
    pub local: String,
    pub ty: TypeId,
    pub required: bool,
    pub fixed: Option<String>,
}

/// Content type of a complex type.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    Empty,
    Simple(TypeId),
    Model {
        model: usize,
        mixed: bool,
    },
    /// `xsd:anyType`: any attributes, any content, validated laxly.
    Any,
}

/// A complex type.
#[derive(Debug, Clone)]
pub(crate) struct ComplexType {
    pub display: Text,
    pub abstract_: bool,
    pub base: Option<TypeId>,
    pub attrs: Vec<AttrUse>,
    pub attr_wc: Option<Wildcard>,
    pub content: Content,
    particle: Option<Particle>,
    mixed: bool,
}

/// A compiled type.
#[derive(Debug, Clone)]
pub(crate) enum TypeDef {
    Simple(SimpleType),
    Complex(ComplexType),
}

/// A particle of a content model, before automaton construction.
#[derive(Debug, Clone)]
pub(crate) struct Particle {
    term: Term,
    min: u32,
    max: u32,
}

#[derive(Debug, Clone)]
enum Term {
    Elem(ElemId),
    Any(Wildcard),
    Seq(Vec<Particle>),
    Choice(Vec<Particle>),
    All(Vec<Particle>),
}

/// A leaf of an automaton: what one child element may be.
#[derive(Debug, Clone)]
pub(crate) enum Leaf {
    /// An element declaration (head) and the declarations it stands for, keyed by name
    /// (itself unless abstract, plus its substitution-group members).
    Elem {
        head: ElemId,
        cands: Vec<ElemId>,
    },
    Any(Wildcard),
}

/// A content-model automaton (Glushkov positions; non-deterministic models allowed).
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub leaves: Vec<Leaf>,
    pub follow: Vec<Vec<u32>>,
    pub first: Vec<u32>,
    pub last: Vec<bool>,
    pub nullable: bool,
    /// `Some(required flags)` for an `xsd:all` model: leaves in any order, each at most once.
    pub all: Option<Vec<bool>>,
    /// Transitions by element name, built on first use ([`Model::dfa`]).
    dfa: std::sync::OnceLock<Dfa>,
}

/// A transition table over element names for the states of a model that hold one
/// position (or none: the start). Entries where several positions match a name
/// (non-deterministic models) are marked and left to the general automaton, as are
/// wildcards.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dfa {
    /// Name ids of the declarations the leaves stand for, sorted.
    names: Vec<u32>,
    /// Per name id (up to the largest in `names`): its column + 1, 0 = none (a direct
    /// index instead of a binary search of `names` on every child element).
    col: Vec<u32>,
    /// Row-major `(leaves + 1) × names`: next position + 1; 0 = no declared element
    /// of that name; [`Dfa::AMBIG`] = several positions.
    next: Vec<u32>,
    /// The matched declaration, same layout.
    elem: Vec<u32>,
}

impl Dfa {
    const AMBIG: u32 = u32::MAX;

    /// From the start (`at = None`) or from position `at`: the next position and the
    /// declaration matched by the element named `name`, when exactly one position has
    /// a declaration of that name.
    #[inline]
    pub fn step(&self, at: Option<u32>, name: u32) -> Option<(u32, ElemId)> {
        let k = match self.col.get(name as usize) {
            Some(&c) if c > 0 => (c - 1) as usize,
            _ => return None,
        };
        let row = at.map(|p| p as usize + 1).unwrap_or(0);
        let i = row * self.names.len() + k;
        match self.next[i] {
            0 | Dfa::AMBIG => None,
            v => Some((v - 1, self.elem[i] as ElemId)),
        }
    }
}

impl Model {
    fn new(
        leaves: Vec<Leaf>,
        follow: Vec<Vec<u32>>,
        first: Vec<u32>,
        last: Vec<bool>,
        nullable: bool,
        all: Option<Vec<bool>>,
    ) -> Model {
        Model {
            leaves,
            follow,
            first,
            last,
            nullable,
            all,
            dfa: std::sync::OnceLock::new(),
        }
    }

    /// The transition table of this model (built on first use; `elements` gives the
    /// name ids of the declarations).
    pub fn dfa(&self, elements: &[ElemDecl]) -> &Dfa {
        self.dfa.get_or_init(|| {
            let mut names: Vec<u32> = self
                .leaves
                .iter()
                .flat_map(|l| match l {
                    Leaf::Elem { cands, .. } => cands.as_slice(),
                    Leaf::Any(_) => &[],
                })
                .map(|e| elements[*e].name_id)
                .collect();
            names.sort_unstable();
            names.dedup();
            let k = names.len();
            let rows = self.leaves.len() + 1;
            let mut next = vec![0u32; rows * k];
            let mut elem = vec![0u32; rows * k];
            for row in 0..rows {
                let from = if row == 0 {
                    &self.first
                } else {
                    &self.follow[row - 1]
                };
                for &q in from {
                    let Leaf::Elem { cands, .. } = &self.leaves[q as usize] else {
                        continue;
                    };
                    for &e in cands {
                        let Ok(col) = names.binary_search(&elements[e].name_id) else {
                            continue;
                        };
                        let i = row * k + col;
                        if next[i] == 0 {
                            next[i] = q + 1;
                            elem[i] = e as u32;
                        } else if next[i] != q + 1 {
                            next[i] = Dfa::AMBIG;
                        }
                    }
                }
            }
            let mut col = vec![0u32; names.last().map(|n| *n as usize + 1).unwrap_or(0)];
            for (k, n) in names.iter().enumerate() {
                col[*n as usize] = k as u32 + 1;
            }
            Dfa {
                names,
                col,
                next,
                elem,
            }
        })
    }
}

/// The content models of a compiled set: built by the compiler, or decoded on first use
/// from the precompiled blob.
#[derive(Debug)]
pub(crate) enum Models {
    Built(Vec<Model>),
    Lazy(precompiled::LazyModels),
}

impl Models {
    /// Model `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &Model {
        match self {
            Models::Built(v) => &v[i],
            Models::Lazy(l) => l.get(i),
        }
    }
    /// How many models.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        match self {
            Models::Built(v) => v.len(),
            Models::Lazy(l) => l.len(),
        }
    }
}

/// A compiled schema set.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub types: Vec<TypeDef>,
    pub elements: Vec<ElemDecl>,
    /// Content models; [`Compiled::model`] gives one.
    pub models: Models,
    /// The global type definitions by name (`xsi:type`). The global element declarations
    /// are found through [`Compiled::names`] ([`NameIndex::global`]).
    pub global_types: SortedNames,
    pub any_type: TypeId,
    pub target_namespaces: Vec<String>,
    /// Identity constraints of every element declaration.
    pub identities: Vec<Identity>,
    /// Element names of the set interned to small integers, so that the validator
    /// compares integers, not strings, on its hot path.
    pub names: NameIndex,
    /// Whose verdict to reproduce (set by the schema set, not compiled).
    pub processor: super::Processor,
}

/// The little-endian 8-byte word of `b` at `at` (one unaligned load once inlined).
#[inline(always)]
fn w8(b: &[u8], at: usize) -> u64 {
    let w: [u8; 8] = b[at..at + 8].try_into().unwrap_or([0; 8]);
    u64::from_le_bytes(w)
}

/// The little-endian 4-byte word of `b` at `at`, widened.
#[inline(always)]
fn w4(b: &[u8], at: usize) -> u64 {
    let w: [u8; 4] = b[at..at + 4].try_into().unwrap_or([0; 4]);
    u64::from(u32::from_le_bytes(w))
}

/// A fast hasher for short keys (the FxHash mixing step, as in rustc, and a final
/// avalanche so that the low bits depend on every byte).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut c = bytes.chunks_exact(8);
        for w in &mut c {
            let w = w8(w, 0);
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        // The last 0–7 bytes without a byte loop: the slice's last word shifted (or, for
        // a slice shorter than a word, overlapping half-words / single bytes).
        let r = c.remainder().len();
        let n = bytes.len();
        let tail = if r == 0 {
            0
        } else if n >= 8 {
            w8(bytes, n - 8) >> (8 * (8 - r))
        } else if r >= 4 {
            w4(bytes, 0) | (w4(bytes, r - 4) << 32)
        } else {
            u64::from(bytes[0]) | (u64::from(bytes[r / 2]) << 8) | (u64::from(bytes[r - 1]) << 16)
        };
        h = (h.rotate_left(5) ^ tail ^ bytes.len() as u64).wrapping_mul(K);
        self.0 = h;
    }
    #[inline]
    fn write_u8(&mut self, _: u8) {
        // `str` hashing appends 0xFF; the length is already mixed in by `write`.
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply only mixes upwards: fold the high bits down (hash tables index
        // with the low bits), as MurmurHash3's finaliser does.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

/// `BuildHasher` of [`FxHasher`].
pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

/// The element names of a schema set, interned: namespace ids, then (namespace, local
/// name) ids, found with one hash and one memcmp-free comparison.
#[derive(Debug, Default)]
pub(crate) struct NameIndex {
    /// Namespace URIs by id.
    pub ns: Vec<String>,
    /// Per name id: (namespace id, local name).
    keys: Vec<(u32, Box<str>)>,
    /// Open-addressing table of name id + 1 (0 = empty); its length is a power of two.
    slots: Vec<u32>,
    /// Per name id: the global element declaration of that name.
    pub global: Vec<Option<ElemId>>,
}

/// Hash of a (namespace id, local name) key for the name tables of the validators.
///
/// Names are short: up to 16 bytes are read as two overlapping 8-byte (or 4-byte) words
/// instead of a byte loop; longer names mix their first and last 16 bytes and their length
/// (equal hashes are always confirmed by comparing the bytes, so this only decides the
/// probe sequence).
#[inline]
pub(crate) fn name_hash(ns: u32, local: &[u8]) -> u64 {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let n = local.len();
    let (a, z) = if n >= 16 {
        (
            w8(local, 0) ^ w8(local, 8).rotate_left(29),
            w8(local, n - 8) ^ w8(local, n - 16).rotate_left(37),
        )
    } else if n >= 8 {
        (w8(local, 0), w8(local, n - 8))
    } else if n >= 4 {
        (w4(local, 0), w4(local, n - 4))
    } else {
        let mut t = 0u64;
        for (i, b) in local.iter().enumerate() {
            t |= u64::from(*b) << (8 * i);
        }
        (t, 0)
    };
    let mut h = (a ^ (u64::from(ns) << 40) ^ n as u64).wrapping_mul(K1);
    h ^= z.wrapping_mul(K2).rotate_left(31);
    h = h.wrapping_mul(K1);
    h ^ (h >> 32)
}

impl NameIndex {
    /// The id of a namespace URI, if an element of the set is in it.
    pub fn ns_id(&self, uri: &str) -> Option<u32> {
        self.ns.iter().position(|n| n == uri).map(|i| i as u32)
    }

    /// The id of a (namespace id, local name), if an element of the set has that name.
    #[inline]
    pub fn get(&self, ns: u32, local: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = name_hash(ns, local.as_bytes()) as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            let (kns, k) = &self.keys[(s - 1) as usize];
            if *kns == ns && crate::xml::lex::bytes_eq(k.as_bytes(), local.as_bytes()) {
                return Some(s - 1);
            }
            i = (i + 1) & mask;
        }
    }

    fn intern(&mut self, ns: &str, local: &str) -> u32 {
        let ni = match self.ns_id(ns) {
            Some(i) => i,
            None => {
                self.ns.push(ns.to_string());
                (self.ns.len() - 1) as u32
            }
        };
        self.intern_id(ni, local)
    }

    /// Sizes the table for `n` names at once: the size [`NameIndex::intern`] reaches after
    /// `n` insertions, so that inserting the same names in the same order gives the same
    /// table (it is rebuilt in id order at each growth) without the intermediate rebuilds.
    fn reserve_for(&mut self, n: usize) {
        let mut size = self.slots.len();
        for k in self.keys.len() + 1..=n {
            if size < 2 * k {
                size = (4 * k).next_power_of_two();
            }
        }
        if size > self.slots.len() {
            self.slots = vec![0; size];
            for (k, (kns, l)) in self.keys.iter().enumerate() {
                let mut i = name_hash(*kns, l.as_bytes()) as usize & (size - 1);
                while self.slots[i] != 0 {
                    i = (i + 1) & (size - 1);
                }
                self.slots[i] = k as u32 + 1;
            }
        }
    }

    /// [`NameIndex::intern`] with the namespace given by its id (which must exist).
    fn intern_id(&mut self, ni: u32, local: &str) -> u32 {
        if let Some(id) = self.get(ni, local) {
            return id;
        }
        let id = self.keys.len() as u32;
        self.keys.push((ni, local.into()));
        self.global.push(None);
        if self.slots.len() < 2 * self.keys.len() {
            let n = (4 * self.keys.len()).next_power_of_two();
            self.slots = vec![0; n];
            for (k, (kns, l)) in self.keys.iter().enumerate() {
                let mut i = name_hash(*kns, l.as_bytes()) as usize & (n - 1);
                while self.slots[i] != 0 {
                    i = (i + 1) & (n - 1);
                }
                self.slots[i] = k as u32 + 1;
            }
        } else {
            let mask = self.slots.len() - 1;
            let mut i = name_hash(ni, local.as_bytes()) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = id + 1;
        }
        id
    }
}

impl Compiled {
    /// Content model `i` (decoded now if it comes from the precompiled blob and was not
    /// used yet).
    #[inline]
    pub fn model(&self, i: usize) -> &Model {
        self.models.get(i)
    }
}

impl SimpleTypes for Compiled {
    fn simple(&self, id: TypeId) -> Option<&SimpleType> {
        match self.types.get(id) {
            Some(TypeDef::Simple(s)) => Some(s),
            _ => None,
        }
    }

    fn processor(&self) -> super::Processor {
        self.processor
    }
}

impl Compiled {
    /// The type `id` is derived from (one step), following built-in derivations.
    pub fn parent(&self, id: TypeId) -> Option<TypeId> {
        match &self.types[id] {
            TypeDef::Complex(c) => c.base,
            TypeDef::Simple(s) => {
                if let Some(b) = s.base {
                    return Some(b);
                }
                match &s.variety {
                    Variety::Atomic(Builtin::AnySimple) => Some(self.any_type),
                    Variety::Atomic(b) => Some(b.base().map(builtin_id).unwrap_or(0)),
                    _ => Some(builtin_id(Builtin::AnySimple)),
                }
            }
        }
    }

    /// Whether `derived` is `base` or derived from it.
    pub fn derives_from(&self, derived: TypeId, base: TypeId) -> bool {
        let mut t = Some(derived);
        for _ in 0..128 {
            match t {
                Some(x) if x == base => return true,
                Some(x) => {
                    if x == self.any_type {
                        return base == self.any_type;
                    }
                    t = self.parent(x)
                }
                None => return false,
            }
        }
        false
    }

    pub fn type_display(&self, id: TypeId) -> String {
        match &self.types[id] {
            TypeDef::Simple(s) => s.display.to_string(),
            TypeDef::Complex(c) => c.display.to_string(),
        }
    }
}

fn builtin_id(b: Builtin) -> TypeId {
    Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0)
}

/// Options of the compiler.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompileOptions {
    /// Vitam-lenient transformation (see the module docs of `schema`).
    pub lenient: bool,
}

struct SchemaDoc {
    doc: Doc,
    tns: String,
    chameleon: bool,
    efd_qualified: bool,
    afd_qualified: bool,
}

type NodeRef = (usize, usize);

struct Compiler {
    docs: Vec<SchemaDoc>,
    elem_nodes: NameMap<NodeRef>,
    type_nodes: NameMap<NodeRef>,
    group_nodes: NameMap<NodeRef>,
    agroup_nodes: NameMap<NodeRef>,
    attr_nodes: NameMap<NodeRef>,
    types: Vec<Option<TypeDef>>,
    type_src: Vec<Option<NodeRef>>,
    type_busy: Vec<bool>,
    global_types: NameMap<TypeId>,
    elements: Vec<Option<ElemDecl>>,
    elem_src: Vec<Option<NodeRef>>,
    global_elems: NameMap<ElemId>,
    any_type: TypeId,
    depth: usize,
    identities: Vec<Identity>,
    /// Keyrefs waiting for their `refer` to be resolved: (identity index, node, QName).
    pending_refers: Vec<(usize, NodeRef, String)>,
}

/// A schema source: a location (used to resolve includes/imports by file name) and text.
pub(crate) struct Source {
    pub location: String,
    pub text: String,
}

fn basename(s: &str) -> &str {
    s.rsplit(['/', '\\']).next().unwrap_or(s)
}

/// Compiles schema sources. `resolve` is asked for include/import locations that are
/// not among `sources` (matched by file name).
pub(crate) fn compile(
    sources: Vec<Source>,
    resolve: &dyn Fn(&str, &str) -> Option<Source>,
    opts: CompileOptions,
) -> Result<Compiled> {
    let mut c = Compiler {
        docs: Vec::new(),
        elem_nodes: NameMap::default(),
        type_nodes: NameMap::default(),
        group_nodes: NameMap::default(),
        agroup_nodes: NameMap::default(),
        attr_nodes: NameMap::default(),
        types: Vec::new(),
        type_src: Vec::new(),
        type_busy: Vec::new(),
        global_types: NameMap::default(),
        elements: Vec::new(),
        elem_src: Vec::new(),
        global_elems: NameMap::default(),
        any_type: 0,
        depth: 0,
        identities: Vec::new(),
        pending_refers: Vec::new(),
    };
    // Built-in types.
    for b in Builtin::ALL {
        let id = c.push_type(Some(TypeDef::Simple(SimpleType {
            display: format!("xsd:{}", b.name()).into(),
            base: None,
            variety: Variety::Atomic(*b),
            facets: Facets::default(),
            ws: b.ws(),
        })));
        c.global_types.insert(XS, b.name(), id);
    }
    c.any_type = c.push_type(Some(TypeDef::Complex(ComplexType {
        display: "xsd:anyType".into(),
        abstract_: false,
        base: None,
        attrs: Vec::new(),
        attr_wc: Some(Wildcard {
            ns: NsSet::Any,
            process: Process::Lax,
        }),
        content: Content::Any,
        particle: None,
        mixed: true,
    })));
    c.global_types.insert(XS, "anyType", c.any_type);

    // Load documents (and what they include/import), breadth first.
    let mut queue: Vec<(Source, Option<String>)> = sources.into_iter().map(|s| (s, None)).collect();
    let mut loaded: Vec<String> = Vec::new();
    let mut qi = 0;
    while qi < queue.len() {
        let (src, chameleon_tns) = {
            let (s, t) = &queue[qi];
            (
                Source {
                    location: s.location.clone(),
                    text: String::new(),
                },
                t.clone(),
            )
        };
        let text = std::mem::take(&mut queue[qi].0.text);
        qi += 1;
        let key = basename(&src.location).to_string();
        if loaded.contains(&key) {
            continue;
        }
        loaded.push(key);
        let doc = Doc::parse(text.as_bytes(), &src.location)?;
        let root = doc.root();
        if doc.nodes[root].ns != XS || doc.nodes[root].local != "schema" {
            return Err(Error::new(
                ErrorKind::Schema,
                format!("{}: the root element is not xsd:schema", src.location),
            ));
        }
        let declared_tns = doc.attr(root, "targetNamespace").map(|s| s.to_string());
        let chameleon = declared_tns.is_none() && chameleon_tns.is_some();
        let tns = declared_tns.or(chameleon_tns).unwrap_or_default();
        let efd = doc.attr(root, "elementFormDefault") == Some("qualified");
        let afd = doc.attr(root, "attributeFormDefault") == Some("qualified");
        let di = c.docs.len();
        let children: Vec<usize> = doc.children_in(root, XS).collect();
        for n in children {
            let local = doc.nodes[n].local.clone();
            match local.as_str() {
                "include" | "import" => {
                    let loc = doc.attr(n, "schemaLocation").unwrap_or("").to_string();
                    let ns = doc.attr(n, "namespace").unwrap_or("").to_string();
                    if loc.is_empty() && ns.is_empty() {
                        continue;
                    }
                    let bn = basename(&loc).to_string();
                    if loaded.contains(&bn)
                        || queue[qi..].iter().any(|(s, _)| basename(&s.location) == bn)
                    {
                        continue;
                    }
                    match resolve(&loc, &ns) {
                        Some(s) => {
                            let cham = if local == "include" {
                                Some(tns.clone())
                            } else {
                                None
                            };
                            queue.push((s, cham));
                        }
                        None => {
                            if local == "import" && loc.is_empty() {
                                continue; // namespace-only import: components may come from elsewhere
                            }
                            return Err(Error::new(
                                ErrorKind::NotFound,
                                format!(
                                    "{}: cannot find the schema '{loc}' (add it to the schema set; nothing is downloaded)",
                                    doc.at(n)
                                ),
                            ));
                        }
                    }
                }
                "redefine" | "override" => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("{}: xsd:{local} is not supported", doc.at(n)),
                    ));
                }
                "element" | "complexType" | "simpleType" | "group" | "attributeGroup"
                | "attribute" => {
                    let Some(name) = doc.attr(n, "name") else {
                        return Err(Error::new(
                            ErrorKind::Schema,
                            format!("{}: top-level xsd:{local} without a name", doc.at(n)),
                        ));
                    };
                    let name = name.to_string();
                    let map = match local.as_str() {
                        "element" => &mut c.elem_nodes,
                        "complexType" | "simpleType" => &mut c.type_nodes,
                        "group" => &mut c.group_nodes,
                        "attributeGroup" => &mut c.agroup_nodes,
                        _ => &mut c.attr_nodes,
                    };
                    if map.insert(&tns, &name, (di, n)).is_some() {
                        return Err(Error::new(
                            ErrorKind::Schema,
                            format!("{}: {local} '{name}' is declared twice", doc.at(n)),
                        ));
                    }
                }
                _ => {}
            }
        }
        c.docs.push(SchemaDoc {
            doc,
            tns,
            chameleon,
            efd_qualified: efd,
            afd_qualified: afd,
        });
    }

    // Allocate ids for global types and elements.
    let tnodes: Vec<(String, String, NodeRef)> = c
        .type_nodes
        .iter()
        .map(|(a, b, r)| (a.to_string(), b.to_string(), *r))
        .collect();
    // Ids in name order, not in the hash maps' (random) order: the same schemas always
    // compile to the same set, which the precompiled bundled sets rely on.
    let mut tnodes = tnodes;
    tnodes.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (ns, l, r) in tnodes {
        let id = c.push_type(None);
        c.type_src[id] = Some(r);
        c.global_types.insert(&ns, &l, id);
    }
    let enodes: Vec<(String, String, NodeRef)> = c
        .elem_nodes
        .iter()
        .map(|(a, b, r)| (a.to_string(), b.to_string(), *r))
        .collect();
    let mut enodes = enodes;
    enodes.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (ns, l, r) in enodes {
        let id = c.elements.len();
        c.elements.push(None);
        c.elem_src.push(Some(r));
        c.global_elems.insert(&ns, &l, id);
    }
    // Compile everything.
    for id in 0..c.types.len() {
        c.ensure_type(id)?;
    }
    for id in 0..c.elements.len() {
        c.ensure_elem(id)?;
    }
    // Types created while compiling elements (anonymous) are compiled eagerly; check again.
    for id in 0..c.types.len() {
        c.ensure_type(id)?;
    }
    let mut identities = std::mem::take(&mut c.identities);
    for (i, r, q) in std::mem::take(&mut c.pending_refers) {
        let (ns, l) = c.qname(r, &q)?;
        let target = identities
            .iter()
            .position(|ic| ic.kind != IcKind::KeyRef && ic.ns == ns && ic.name == l)
            .ok_or_else(|| {
                c.err(
                    r,
                    format!("keyref refers to '{q}', which is not a key or unique constraint"),
                )
            })?;
        identities[i].refer = Some(target);
    }
    let types: Vec<TypeDef> = c
        .types
        .into_iter()
        .map(|t| t.ok_or_else(|| Error::internal("uncompiled type")))
        .collect::<Result<_>>()?;
    let elements: Vec<ElemDecl> = c
        .elements
        .into_iter()
        .map(|t| t.ok_or_else(|| Error::internal("uncompiled element")))
        .collect::<Result<_>>()?;
    let global_elems = SortedNames::from_map(&c.global_elems);
    let mut compiled = Compiled {
        types,
        elements,
        models: Models::Built(Vec::new()),
        global_types: SortedNames::from_map(&c.global_types),
        any_type: c.any_type,
        target_namespaces: c.docs.iter().map(|d| d.tns.clone()).collect(),
        identities,
        names: NameIndex::default(),
        processor: super::Processor::Libxml2,
    };
    build_models(&mut compiled, opts)?;
    let mut names = NameIndex::default();
    for e in compiled.elements.iter_mut() {
        e.name_id = names.intern(&e.ns, &e.local);
    }
    for (ns, l, e) in &global_elems.0 {
        let id = names.intern(ns, l);
        names.global[id as usize] = Some(*e);
    }
    compiled.names = names;
    Ok(compiled)
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("true") | Some("1"))
}

fn occurs(doc: &Doc, n: usize) -> Result<(u32, u32)> {
    let parse = |a: &str, d: u32| -> Result<u32> {
        match doc.attr(n, a) {
            None => Ok(d),
            Some("unbounded") if a == "maxOccurs" => Ok(UNBOUNDED),
            Some(v) => v.trim().parse::<u32>().map_err(|_| {
                Error::new(
                    ErrorKind::Schema,
                    format!("{}: bad {a} value '{v}'", doc.at(n)),
                )
            }),
        }
    };
    let min = parse("minOccurs", 1)?;
    let max = parse("maxOccurs", 1)?;
    if max < min {
        return Err(Error::new(
            ErrorKind::Schema,
            format!("{}: maxOccurs is smaller than minOccurs", doc.at(n)),
        ));
    }
    Ok((min, max))
}

impl Compiler {
    fn push_type(&mut self, t: Option<TypeDef>) -> TypeId {
        self.types.push(t);
        self.type_src.push(None);
        self.type_busy.push(false);
        self.types.len() - 1
    }

    fn sd(&self, d: usize) -> &SchemaDoc {
        &self.docs[d]
    }

    fn err(&self, r: NodeRef, msg: impl std::fmt::Display) -> Error {
        Error::new(
            ErrorKind::Schema,
            format!("{}: {msg}", self.docs[r.0].doc.at(r.1)),
        )
    }

    /// Resolves a QName attribute value of node `r`.
    fn qname(&self, r: NodeRef, v: &str) -> Result<(String, String)> {
        let sd = self.sd(r.0);
        let (ns, l) = sd
            .doc
            .resolve_qname(r.1, v)
            .ok_or_else(|| self.err(r, format!("undeclared prefix in '{v}'")))?;
        if ns.is_empty() && sd.chameleon {
            return Ok((sd.tns.clone(), l));
        }
        Ok((ns, l))
    }

    fn type_ref(&self, r: NodeRef, v: &str) -> Result<TypeId> {
        let (ns, l) = self.qname(r, v)?;
        self.global_types
            .get(&ns, &l)
            .copied()
            .ok_or_else(|| self.err(r, format!("type '{v}' is not declared")))
    }

    fn ensure_type(&mut self, id: TypeId) -> Result<()> {
        if self.types[id].is_some() {
            return Ok(());
        }
        let Some(r) = self.type_src[id] else {
            return Err(Error::internal("type without source"));
        };
        if self.type_busy[id] {
            return Err(self.err(r, "circular type derivation"));
        }
        self.type_busy[id] = true;
        self.depth += 1;
        if self.depth > 200 {
            return Err(self.err(r, "schema nesting too deep"));
        }
        let name = self.sd(r.0).doc.attr(r.1, "name").unwrap_or("").to_string();
        let local = self.sd(r.0).doc.nodes[r.1].local.clone();
        let def = if local == "complexType" {
            TypeDef::Complex(self.complex(r, name)?)
        } else {
            TypeDef::Simple(self.simple(r, name)?)
        };
        self.depth -= 1;
        self.types[id] = Some(def);
        self.type_busy[id] = false;
        Ok(())
    }

    fn ensure_elem(&mut self, id: ElemId) -> Result<()> {
        if self.elements[id].is_some() {
            return Ok(());
        }
        let Some(r) = self.elem_src[id].take() else {
            return Err(Error::internal("circular substitution group"));
        };
        let decl = self.element_decl(r, true)?;
        self.elements[id] = Some(decl);
        Ok(())
    }

    /// Compiles a (global or local, non-ref) element declaration.
    fn element_decl(&mut self, r: NodeRef, global: bool) -> Result<ElemDecl> {
        let doc = &self.sd(r.0).doc;
        let name = doc
            .attr(r.1, "name")
            .ok_or_else(|| self.err(r, "element without name or ref"))?
            .to_string();
        let qualified = global
            || match doc.attr(r.1, "form") {
                Some(f) => f == "qualified",
                None => self.sd(r.0).efd_qualified,
            };
        let ns = if qualified {
            self.sd(r.0).tns.clone()
        } else {
            String::new()
        };
        let abstract_ = truthy(doc.attr(r.1, "abstract"));
        let nillable = truthy(doc.attr(r.1, "nillable"));
        let fixed = doc.attr(r.1, "fixed").map(|s| s.to_string());
        let type_attr = doc.attr(r.1, "type").map(|s| s.to_string());
        let subst = doc.attr(r.1, "substitutionGroup").map(|s| s.to_string());
        let inline: Option<usize> = doc
            .children_in(r.1, XS)
            .find(|&c| matches!(doc.nodes[c].local.as_str(), "complexType" | "simpleType"));
        let subst_head = match &subst {
            Some(s) if global => {
                let (hns, hl) = self.qname(r, s)?;
                Some(*self.global_elems.get(&hns, &hl).ok_or_else(|| {
                    self.err(r, format!("substitution group head '{s}' is not declared"))
                })?)
            }
            _ => None,
        };
        let ty = if let Some(t) = type_attr {
            self.type_ref(r, &t)?
        } else if let Some(n) = inline {
            self.anonymous_type((r.0, n), &format!("type of element '{name}'"))?
        } else if let Some(h) = subst_head {
            self.ensure_elem(h)?;
            self.elements[h]
                .as_ref()
                .map(|e| e.ty)
                .unwrap_or(self.any_type)
        } else {
            self.any_type
        };
        let identity = self.identity_constraints(r)?;
        Ok(ElemDecl {
            ns: ns.into(),
            local: name.into(),
            ty,
            abstract_,
            nillable,
            fixed,
            subst_head,
            identity,
            name_id: 0,
        })
    }

    /// Compiles the `xs:unique`, `xs:key` and `xs:keyref` children of element node `r`.
    fn identity_constraints(&mut self, r: NodeRef) -> Result<Vec<usize>> {
        let doc = &self.sd(r.0).doc;
        let nodes: Vec<usize> = doc
            .children_in(r.1, XS)
            .filter(|&c| matches!(doc.nodes[c].local.as_str(), "unique" | "key" | "keyref"))
            .collect();
        let mut out = Vec::new();
        for n in nodes {
            let nr = (r.0, n);
            let doc = &self.sd(r.0).doc;
            let kind = match doc.nodes[n].local.as_str() {
                "unique" => IcKind::Unique,
                "key" => IcKind::Key,
                _ => IcKind::KeyRef,
            };
            let name = doc
                .attr(n, "name")
                .ok_or_else(|| self.err(nr, "identity constraint without a name"))?
                .to_string();
            let mut selector = None;
            let mut fields = Vec::new();
            for c in doc.children_in(n, XS).collect::<Vec<_>>() {
                let doc = &self.sd(r.0).doc;
                let local = doc.nodes[c].local.clone();
                let xp = doc
                    .attr(c, "xpath")
                    .ok_or_else(|| self.err((r.0, c), format!("{local} without xpath")))?
                    .to_string();
                let is_field = local == "field";
                if local != "selector" && !is_field {
                    continue;
                }
                let paths = self.ic_xpath((r.0, c), &xp, is_field)?;
                if is_field {
                    fields.push(paths);
                } else {
                    selector = Some(paths);
                }
            }
            let selector = selector
                .ok_or_else(|| self.err(nr, format!("{} '{name}' has no selector", kind.name())))?;
            if fields.is_empty() {
                return Err(self.err(nr, format!("{} '{name}' has no field", kind.name())));
            }
            let id = self.identities.len();
            if kind == IcKind::KeyRef {
                let refer = self
                    .sd(r.0)
                    .doc
                    .attr(n, "refer")
                    .ok_or_else(|| self.err(nr, format!("keyref '{name}' without refer")))?
                    .to_string();
                self.pending_refers.push((id, nr, refer));
            }
            self.identities.push(Identity {
                kind,
                ns: self.sd(r.0).tns.clone(),
                name,
                selector,
                fields,
                refer: None,
            });
            out.push(id);
        }
        Ok(out)
    }

    /// Parses the XPath subset of XSD 1.0 identity constraints (§3.11.6).
    fn ic_xpath(&self, r: NodeRef, xp: &str, field: bool) -> Result<Vec<IcPath>> {
        let bad = |why: &str| {
            self.err(
                r,
                format!("unsupported XPath '{xp}' in an identity constraint: {why}"),
            )
        };
        let mut out = Vec::new();
        for alt in xp.split('|') {
            let mut a = alt.trim();
            let mut descendant = false;
            if let Some(rest) = a.strip_prefix(".//") {
                descendant = true;
                a = rest.trim_start();
            }
            let mut steps = Vec::new();
            let mut attr = None;
            let parts: Vec<&str> = a.split('/').map(str::trim).collect();
            for (i, p) in parts.iter().enumerate() {
                let last = i + 1 == parts.len();
                if p.is_empty() {
                    return Err(bad("empty step"));
                }
                if *p == "." {
                    continue;
                }
                let (is_attr, name) = if let Some(x) = p.strip_prefix('@') {
                    (true, x.trim())
                } else if let Some(x) = p.strip_prefix("attribute::") {
                    (true, x.trim())
                } else if let Some(x) = p.strip_prefix("child::") {
                    (false, x.trim())
                } else {
                    (false, *p)
                };
                let test = if name == "*" {
                    NameTest::Any
                } else if let Some(pre) = name.strip_suffix(":*") {
                    let (ns, _) = self.qname(r, &format!("{pre}:x"))?;
                    NameTest::AnyIn(ns)
                } else if name.contains(':') {
                    let (ns, l) = self.qname(r, name)?;
                    NameTest::Name(ns, l)
                } else {
                    // Unprefixed names in these paths are in no namespace.
                    NameTest::Name(String::new(), name.to_string())
                };
                if is_attr {
                    if !field || !last {
                        return Err(bad("attribute step not at the end of a field"));
                    }
                    attr = Some(test);
                } else {
                    steps.push(test);
                }
            }
            out.push(IcPath {
                descendant,
                steps,
                attr,
            });
        }
        Ok(out)
    }

    fn anonymous_type(&mut self, r: NodeRef, display: &str) -> Result<TypeId> {
        let local = self.sd(r.0).doc.nodes[r.1].local.clone();
        let id = self.push_type(None);
        self.type_busy[id] = true;
        let def = if local == "complexType" {
            TypeDef::Complex(self.complex(r, display.to_string())?)
        } else {
            TypeDef::Simple(self.simple(r, display.to_string())?)
        };
        self.types[id] = Some(def);
        self.type_busy[id] = false;
        Ok(id)
    }

    fn simple(&mut self, r: NodeRef, name: String) -> Result<SimpleType> {
        let doc = &self.sd(r.0).doc;
        let Some(body) = doc.children_in(r.1, XS).find(|&c| {
            matches!(
                doc.nodes[c].local.as_str(),
                "restriction" | "list" | "union"
            )
        }) else {
            return Err(self.err(r, "simpleType without restriction, list or union"));
        };
        let kind = doc.nodes[body].local.clone();
        let display = if name.is_empty() {
            "anonymous simple type".to_string()
        } else {
            name
        };
        let br = (r.0, body);
        match kind.as_str() {
            "restriction" => {
                let base = self.restriction_base(br)?;
                self.restrict(br, base, display)
            }
            "list" => {
                let doc = &self.sd(r.0).doc;
                let item = match doc.attr(body, "itemType") {
                    Some(t) => {
                        let t = t.to_string();
                        self.type_ref(br, &t)?
                    }
                    None => {
                        let inner = doc
                            .children_in(body, XS)
                            .find(|&c| doc.nodes[c].local == "simpleType")
                            .ok_or_else(|| self.err(br, "list without item type"))?;
                        self.anonymous_type((r.0, inner), "list item type")?
                    }
                };
                Ok(SimpleType {
                    display: display.into(),
                    base: None,
                    variety: Variety::List(item),
                    facets: Facets::default(),
                    ws: Ws::Collapse,
                })
            }
            _ => {
                let doc = &self.sd(r.0).doc;
                let mut members = Vec::new();
                let names: Vec<String> = doc
                    .attr(body, "memberTypes")
                    .unwrap_or("")
                    .split_whitespace()
                    .map(|s| s.to_string())
                    .collect();
                let inner: Vec<usize> = doc
                    .children_in(body, XS)
                    .filter(|&c| doc.nodes[c].local == "simpleType")
                    .collect();
                for n in names {
                    members.push(self.type_ref(br, &n)?);
                }
                for n in inner {
                    members.push(self.anonymous_type((r.0, n), "union member type")?);
                }
                for m in &members {
                    self.ensure_type(*m)?;
                    if !matches!(self.types[*m], Some(TypeDef::Simple(_))) {
                        return Err(self.err(br, "union member is not a simple type"));
                    }
                }
                // A union has no whiteSpace of its own: each member normalizes the literal
                // as its type says (`xml:lang`'s `""` member is a string, so " " is
                // neither a language nor the empty string).
                Ok(SimpleType {
                    display: display.into(),
                    base: None,
                    variety: Variety::Union(members),
                    facets: Facets::default(),
                    ws: Ws::Preserve,
                })
            }
        }
    }

    /// Base type of a restriction/extension node: `base` attribute or inline simpleType.
    fn restriction_base(&mut self, br: NodeRef) -> Result<TypeId> {
        let doc = &self.sd(br.0).doc;
        if let Some(b) = doc.attr(br.1, "base") {
            let b = b.to_string();
            let id = self.type_ref(br, &b)?;
            self.ensure_type(id)?;
            return Ok(id);
        }
        let inner = doc
            .children_in(br.1, XS)
            .find(|&c| doc.nodes[c].local == "simpleType")
            .ok_or_else(|| self.err(br, "restriction without base"))?;
        self.anonymous_type((br.0, inner), "anonymous base type")
    }

    /// Builds a simple type restricting simple type `base` with the facets under `br`.
    fn restrict(&mut self, br: NodeRef, base: TypeId, display: String) -> Result<SimpleType> {
        let Some(TypeDef::Simple(bst)) = &self.types[base] else {
            return Err(self.err(
                br,
                "the base of a simple type restriction is not a simple type",
            ));
        };
        let variety = bst.variety.clone();
        let mut ws = bst.ws;
        let mut f = Facets::default();
        let doc = &self.sd(br.0).doc;
        for c in doc.children_in(br.1, XS) {
            let n = &doc.nodes[c];
            let val = doc.attr(c, "value").map(|s| s.to_string());
            let num = |v: &Option<String>| -> Result<usize> {
                v.as_deref()
                    .and_then(|s| s.trim().parse::<usize>().ok())
                    .ok_or_else(|| self.err((br.0, c), format!("bad {} value", n.local)))
            };
            match n.local.as_str() {
                "enumeration" => f
                    .enumeration
                    .get_or_insert_with(Vec::new)
                    .push(val.unwrap_or_default()),
                "pattern" => {
                    let p = val.unwrap_or_default();
                    let t = super::regex_xsd::translate(&p)
                        .map_err(|e| self.err((br.0, c), e.message()))?;
                    let re = Regex::new(&t)
                        .map_err(|e| self.err((br.0, c), format!("pattern '{p}': {e}")))?;
                    f.patterns.push((re, p));
                }
                "length" => f.length = Some(num(&val)?),
                "minLength" => f.min_length = Some(num(&val)?),
                "maxLength" => f.max_length = Some(num(&val)?),
                "totalDigits" => f.total_digits = Some(num(&val)?),
                "fractionDigits" => f.fraction_digits = Some(num(&val)?),
                "minInclusive" => f.min_inclusive = val,
                "maxInclusive" => f.max_inclusive = val,
                "minExclusive" => f.min_exclusive = val,
                "maxExclusive" => f.max_exclusive = val,
                "whiteSpace" => {
                    ws = match val.as_deref() {
                        Some("preserve") => Ws::Preserve,
                        Some("replace") => Ws::Replace,
                        _ => Ws::Collapse,
                    }
                }
                _ => {}
            }
        }
        // Enumerated values are compared with whitespace-normalised values: normalise
        // them once here rather than at every comparison.
        if let Some(en) = &mut f.enumeration {
            for e in en.iter_mut() {
                if let std::borrow::Cow::Owned(n) = super::types::normalize(e, ws) {
                    *e = n;
                }
            }
        }
        Ok(SimpleType {
            display: display.into(),
            base: Some(base),
            variety,
            facets: f,
            ws,
        })
    }

    fn complex(&mut self, r: NodeRef, name: String) -> Result<ComplexType> {
        let doc = &self.sd(r.0).doc;
        let abstract_ = truthy(doc.attr(r.1, "abstract"));
        let mixed_attr = truthy(doc.attr(r.1, "mixed"));
        let display = if name.is_empty() {
            "anonymous complex type".to_string()
        } else {
            name
        };
        let children: Vec<usize> = doc.children_in(r.1, XS).collect();
        let mut ct = ComplexType {
            display: display.into(),
            abstract_,
            base: Some(self.any_type),
            attrs: Vec::new(),
            attr_wc: None,
            content: Content::Empty,
            particle: None,
            mixed: mixed_attr,
        };
        for c in children {
            let local = self.sd(r.0).doc.nodes[c].local.clone();
            let cr = (r.0, c);
            match local.as_str() {
                "simpleContent" => self.simple_content(cr, &mut ct)?,
                "complexContent" => self.complex_content(cr, &mut ct, mixed_attr)?,
                "sequence" | "choice" | "all" | "group" => {
                    ct.particle = self.particle(cr)?;
                }
                "attribute" | "attributeGroup" | "anyAttribute" => {
                    let mut prohibited = Vec::new();
                    self.attribute_item(cr, &mut ct.attrs, &mut ct.attr_wc, &mut prohibited, 0)?;
                }
                _ => {}
            }
        }
        if !matches!(ct.content, Content::Simple(_)) && ct.particle.is_some() || ct.mixed {
            ct.content = Content::Model {
                model: usize::MAX,
                mixed: ct.mixed,
            };
        }
        Ok(ct)
    }

    fn simple_content(&mut self, r: NodeRef, ct: &mut ComplexType) -> Result<()> {
        let doc = &self.sd(r.0).doc;
        let Some(d) = doc
            .children_in(r.1, XS)
            .find(|&c| matches!(doc.nodes[c].local.as_str(), "extension" | "restriction"))
        else {
            return Err(self.err(r, "simpleContent without extension or restriction"));
        };
        let is_ext = doc.nodes[d].local == "extension";
        let dr = (r.0, d);
        let base_name = doc
            .attr(d, "base")
            .ok_or_else(|| self.err(dr, "missing base"))?
            .to_string();
        let base = self.type_ref(dr, &base_name)?;
        self.ensure_type(base)?;
        ct.base = Some(base);
        let (simple, base_attrs, base_wc) = match &self.types[base] {
            Some(TypeDef::Simple(_)) => (base, Vec::new(), None),
            Some(TypeDef::Complex(b)) => match b.content {
                Content::Simple(s) => (s, b.attrs.clone(), b.attr_wc.clone()),
                _ => {
                    if is_ext {
                        return Err(
                            self.err(dr, format!("base type '{base_name}' has no simple content"))
                        );
                    }
                    // restriction of a mixed/any type: needs an inline simpleType
                    (
                        builtin_id(Builtin::AnySimple),
                        b.attrs.clone(),
                        b.attr_wc.clone(),
                    )
                }
            },
            None => return Err(self.err(dr, "unresolved base type")),
        };
        ct.attrs = base_attrs;
        ct.attr_wc = base_wc;
        let content_type = if is_ext {
            simple
        } else {
            let doc = &self.sd(r.0).doc;
            let inline = doc
                .children_in(d, XS)
                .find(|&c| doc.nodes[c].local == "simpleType");
            let b = match inline {
                Some(n) => self.anonymous_type((r.0, n), "anonymous simple content")?,
                None => simple,
            };
            let st = self.restrict(dr, b, format!("{} content", ct.display))?;

            self.push_type(Some(TypeDef::Simple(st)))
        };
        ct.content = Content::Simple(content_type);
        let items: Vec<usize> = self.sd(r.0).doc.children_in(d, XS).collect();
        let mut prohibited = Vec::new();
        for c in items {
            let l = self.sd(r.0).doc.nodes[c].local.clone();
            if matches!(l.as_str(), "attribute" | "attributeGroup" | "anyAttribute") {
                self.attribute_item((r.0, c), &mut ct.attrs, &mut ct.attr_wc, &mut prohibited, 0)?;
            }
        }
        ct.attrs.retain(|a| {
            !prohibited
                .iter()
                .any(|(ns, l)| *ns == a.ns && *l == a.local)
        });
        Ok(())
    }

    fn complex_content(
        &mut self,
        r: NodeRef,
        ct: &mut ComplexType,
        mixed_attr: bool,
    ) -> Result<()> {
        let doc = &self.sd(r.0).doc;
        if let Some(m) = doc.attr(r.1, "mixed") {
            ct.mixed = m == "true" || m == "1";
        } else {
            ct.mixed = mixed_attr;
        }
        let Some(d) = doc
            .children_in(r.1, XS)
            .find(|&c| matches!(doc.nodes[c].local.as_str(), "extension" | "restriction"))
        else {
            return Err(self.err(r, "complexContent without extension or restriction"));
        };
        let is_ext = doc.nodes[d].local == "extension";
        let dr = (r.0, d);
        let base_name = doc
            .attr(d, "base")
            .ok_or_else(|| self.err(dr, "missing base"))?
            .to_string();
        let base = self.type_ref(dr, &base_name)?;
        self.ensure_type(base)?;
        ct.base = Some(base);
        let Some(TypeDef::Complex(b)) = &self.types[base] else {
            return Err(self.err(
                dr,
                format!("complexContent base '{base_name}' is a simple type"),
            ));
        };
        let (base_particle, base_mixed, base_attrs, base_wc) = (
            b.particle.clone(),
            b.mixed,
            b.attrs.clone(),
            b.attr_wc.clone(),
        );
        let base_simple = match b.content {
            Content::Simple(s) => Some(s),
            _ => None,
        };
        ct.attrs = base_attrs;
        ct.attr_wc = base_wc;
        let items: Vec<usize> = self.sd(r.0).doc.children_in(d, XS).collect();
        let mut own = None;
        let mut prohibited = Vec::new();
        for c in items {
            let l = self.sd(r.0).doc.nodes[c].local.clone();
            let cr = (r.0, c);
            match l.as_str() {
                "sequence" | "choice" | "all" | "group" => own = self.particle(cr)?,
                "attribute" | "attributeGroup" | "anyAttribute" => {
                    self.attribute_item(cr, &mut ct.attrs, &mut ct.attr_wc, &mut prohibited, 0)?
                }
                _ => {}
            }
        }
        if let (Some(s), true, None) = (base_simple, is_ext, &own) {
            // complexContent extending a simple-content type without adding
            // particles (not allowed by XSD 1.0, accepted by libxml2 and Xerces, used by
            // SEDA's CustodialHistoryItemType): keep the simple content.
            ct.content = Content::Simple(s);
            return Ok(());
        }
        if is_ext {
            ct.mixed = ct.mixed || base_mixed;
            ct.particle = match (base_particle, own) {
                (Some(a), Some(b)) => Some(Particle {
                    term: Term::Seq(vec![a, b]),
                    min: 1,
                    max: 1,
                }),
                (a, b) => a.or(b),
            };
        } else {
            ct.particle = own;
            ct.attrs.retain(|a| {
                !prohibited
                    .iter()
                    .any(|(ns, l)| *ns == a.ns && *l == a.local)
            });
        }
        Ok(())
    }

    /// Adds the attribute uses of an attribute / attributeGroup / anyAttribute node.
    fn attribute_item(
        &mut self,
        r: NodeRef,
        attrs: &mut Vec<AttrUse>,
        wc: &mut Option<Wildcard>,
        prohibited: &mut Vec<(String, String)>,
        depth: usize,
    ) -> Result<()> {
        if depth > 32 {
            return Err(self.err(r, "attribute groups nested too deeply (circular?)"));
        }
        let doc = &self.sd(r.0).doc;
        let local = doc.nodes[r.1].local.clone();
        match local.as_str() {
            "anyAttribute" => {
                *wc = Some(self.wildcard(r));
            }
            "attributeGroup" => {
                let rf = doc
                    .attr(r.1, "ref")
                    .ok_or_else(|| self.err(r, "attributeGroup without ref"))?
                    .to_string();
                let (ns, l) = self.qname(r, &rf)?;
                let g = *self.agroup_nodes.get(&ns, &l).ok_or_else(|| {
                    self.err(r, format!("attribute group '{rf}' is not declared"))
                })?;
                let items: Vec<usize> = self.sd(g.0).doc.children_in(g.1, XS).collect();
                for c in items {
                    self.attribute_item((g.0, c), attrs, wc, prohibited, depth + 1)?;
                }
            }
            "attribute" => {
                let use_ = doc.attr(r.1, "use").unwrap_or("optional").to_string();
                let mut au = if let Some(rf) = doc.attr(r.1, "ref") {
                    let rf = rf.to_string();
                    let (ns, l) = self.qname(r, &rf)?;
                    let g = *self
                        .attr_nodes
                        .get(&ns, &l)
                        .ok_or_else(|| self.err(r, format!("attribute '{rf}' is not declared")))?;
                    self.attribute_decl(g, true)?
                } else {
                    self.attribute_decl(r, false)?
                };
                let doc = &self.sd(r.0).doc;
                if let Some(f) = doc.attr(r.1, "fixed") {
                    au.fixed = Some(f.to_string());
                }
                au.required = use_ == "required";
                if use_ == "prohibited" {
                    prohibited.push((au.ns.clone(), au.local.clone()));
                    return Ok(());
                }
                attrs.retain(|a| !(a.ns == au.ns && a.local == au.local));
                attrs.push(au);
            }
            _ => {}
        }
        Ok(())
    }

    fn attribute_decl(&mut self, r: NodeRef, global: bool) -> Result<AttrUse> {
        let doc = &self.sd(r.0).doc;
        let name = doc
            .attr(r.1, "name")
            .ok_or_else(|| self.err(r, "attribute without name"))?
            .to_string();
        let qualified = global
            || match doc.attr(r.1, "form") {
                Some(f) => f == "qualified",
                None => self.sd(r.0).afd_qualified,
            };
        let ns = if qualified {
            self.sd(r.0).tns.clone()
        } else {
            String::new()
        };
        let fixed = doc.attr(r.1, "fixed").map(|s| s.to_string());
        let inline = doc
            .children_in(r.1, XS)
            .find(|&c| doc.nodes[c].local == "simpleType");
        let ty = if let Some(t) = doc.attr(r.1, "type") {
            let t = t.to_string();
            let id = self.type_ref(r, &t)?;
            self.ensure_type(id)?;
            id
        } else if let Some(n) = inline {
            self.anonymous_type((r.0, n), &format!("type of attribute '{name}'"))?
        } else {
            builtin_id(Builtin::AnySimple)
        };
        if !matches!(self.types[ty], Some(TypeDef::Simple(_))) {
            return Err(self.err(r, format!("attribute '{name}' has a complex type")));
        }
        Ok(AttrUse {
            ns,
            local: name,
            ty,
            required: false,
            fixed,
        })
    }

    fn wildcard(&self, r: NodeRef) -> Wildcard {
        let sd = self.sd(r.0);
        let tns = sd.tns.clone();
        let ns = match sd.doc.attr(r.1, "namespace").unwrap_or("##any").trim() {
            "##any" => NsSet::Any,
            "##other" => NsSet::Not(vec![tns, String::new()]),
            list => NsSet::List(
                list.split_whitespace()
                    .map(|s| match s {
                        "##targetNamespace" => tns.clone(),
                        "##local" => String::new(),
                        other => other.to_string(),
                    })
                    .collect(),
            ),
        };
        let process = match sd.doc.attr(r.1, "processContents") {
            Some("lax") => Process::Lax,
            Some("skip") => Process::Skip,
            _ => Process::Strict,
        };
        Wildcard { ns, process }
    }

    /// Compiles a particle node (sequence, choice, all, group ref, element, any).
    fn particle(&mut self, r: NodeRef) -> Result<Option<Particle>> {
        self.depth += 1;
        if self.depth > 200 {
            return Err(self.err(r, "content model nesting too deep (circular group?)"));
        }
        let res = self.particle_inner(r);
        self.depth -= 1;
        res
    }

    fn particle_inner(&mut self, r: NodeRef) -> Result<Option<Particle>> {
        let doc = &self.sd(r.0).doc;
        let local = doc.nodes[r.1].local.clone();
        let (min, max) = occurs(doc, r.1)?;
        let term =
            match local.as_str() {
                "sequence" | "choice" | "all" => {
                    let kids: Vec<usize> = doc.children_in(r.1, XS).collect();
                    let mut parts = Vec::new();
                    for k in kids {
                        if let Some(p) = self.particle((r.0, k))? {
                            parts.push(p);
                        }
                    }
                    match local.as_str() {
                        "sequence" => Term::Seq(parts),
                        "choice" => Term::Choice(parts),
                        _ => Term::All(parts),
                    }
                }
                "group" => {
                    let rf = doc
                        .attr(r.1, "ref")
                        .ok_or_else(|| self.err(r, "local group without ref"))?
                        .to_string();
                    let (ns, l) = self.qname(r, &rf)?;
                    let g = *self
                        .group_nodes
                        .get(&ns, &l)
                        .ok_or_else(|| self.err(r, format!("group '{rf}' is not declared")))?;
                    let gdoc = &self.sd(g.0).doc;
                    let Some(body) = gdoc.children_in(g.1, XS).find(|&c| {
                        matches!(gdoc.nodes[c].local.as_str(), "sequence" | "choice" | "all")
                    }) else {
                        return Ok(None);
                    };
                    match self.particle((g.0, body))? {
                        Some(p) => {
                            if min == 1 && max == 1 {
                                return Ok(Some(p));
                            }
                            Term::Seq(vec![p])
                        }
                        None => return Ok(None),
                    }
                }
                "element" => {
                    if let Some(rf) = doc.attr(r.1, "ref") {
                        let rf = rf.to_string();
                        let (ns, l) = self.qname(r, &rf)?;
                        Term::Elem(*self.global_elems.get(&ns, &l).ok_or_else(|| {
                            self.err(r, format!("element '{rf}' is not declared"))
                        })?)
                    } else {
                        let decl = self.element_decl(r, false)?;
                        let id = self.elements.len();
                        self.elements.push(Some(decl));
                        self.elem_src.push(None);
                        Term::Elem(id)
                    }
                }
                "any" => Term::Any(self.wildcard(r)),
                _ => return Ok(None),
            };
        if max == 0 {
            return Ok(None);
        }
        Ok(Some(Particle { term, min, max }))
    }
}

// ---------------------------------------------------------------------------------
// Automata

enum Rx {
    Pos(u32),
    Seq(Vec<Rx>),
    Alt(Vec<Rx>),
    Star(Box<Rx>),
    Opt(Box<Rx>),
}

struct Builder<'a> {
    c: &'a Compiled,
    members: &'a HashMap<ElemId, Vec<ElemId>>,
    leaves: Vec<Leaf>,
    lenient: bool,
}

impl Builder<'_> {
    fn leaf_for_elem(&self, e: ElemId) -> Leaf {
        let mut cands = Vec::new();
        let mut stack = vec![e];
        let mut seen = vec![e];
        while let Some(x) = stack.pop() {
            if !self.c.elements[x].abstract_ {
                cands.push(x);
            }
            if let Some(ms) = self.members.get(&x) {
                for m in ms {
                    if !seen.contains(m) {
                        seen.push(*m);
                        stack.push(*m);
                    }
                }
            }
        }
        if self.lenient && cands.is_empty() && self.c.elements[e].abstract_ {
            // Vitam: abstract extension points accept any element, laxly.
            return Leaf::Any(Wildcard {
                ns: NsSet::Any,
                process: Process::Lax,
            });
        }
        Leaf::Elem { head: e, cands }
    }

    fn lower_term(&mut self, t: &Term) -> Rx {
        match t {
            Term::Elem(e) => {
                let l = self.leaf_for_elem(*e);
                self.leaves.push(l);
                Rx::Pos(self.leaves.len() as u32 - 1)
            }
            Term::Any(w) => {
                let mut w = w.clone();
                if self.lenient && matches!(w.ns, NsSet::Not(_)) {
                    w.ns = NsSet::Any;
                }
                self.leaves.push(Leaf::Any(w));
                Rx::Pos(self.leaves.len() as u32 - 1)
            }
            Term::Seq(ps) => Rx::Seq(ps.iter().map(|p| self.lower(p)).collect()),
            Term::Choice(ps) => Rx::Alt(ps.iter().map(|p| self.lower(p)).collect()),
            // `all` below the top level (not valid XSD 1.0): approximated as (a|b|…)*
            Term::All(ps) => Rx::Star(Box::new(Rx::Alt(
                ps.iter().map(|p| self.lower(p)).collect(),
            ))),
        }
    }

    fn lower(&mut self, p: &Particle) -> Rx {
        let min = p.min.min(MAX_EXPANSION);
        let mut parts = Vec::new();
        for _ in 0..min {
            parts.push(self.lower_term(&p.term));
        }
        if p.max == UNBOUNDED || p.max - p.min > MAX_EXPANSION || p.min > MAX_EXPANSION {
            parts.push(Rx::Star(Box::new(self.lower_term(&p.term))));
        } else {
            let extra = p.max - p.min;
            let mut tail: Option<Rx> = None;
            for _ in 0..extra {
                let one = self.lower_term(&p.term);
                let inner = match tail.take() {
                    Some(t) => Rx::Seq(vec![one, t]),
                    None => one,
                };
                tail = Some(Rx::Opt(Box::new(inner)));
            }
            if let Some(t) = tail {
                parts.push(t);
            }
        }
        if parts.len() == 1 {
            parts.pop().unwrap_or(Rx::Seq(vec![]))
        } else {
            Rx::Seq(parts)
        }
    }
}

fn glushkov(rx: &Rx, follow: &mut Vec<Vec<u32>>) -> (bool, Vec<u32>, Vec<u32>) {
    match rx {
        Rx::Pos(p) => (false, vec![*p], vec![*p]),
        Rx::Seq(parts) => {
            let mut nullable = true;
            let mut first = Vec::new();
            let mut last: Vec<u32> = Vec::new();
            for part in parts {
                let (n, f, l) = glushkov(part, follow);
                for x in &last {
                    follow[*x as usize].extend_from_slice(&f);
                }
                if nullable {
                    first.extend_from_slice(&f);
                }
                if n {
                    last.extend_from_slice(&l);
                } else {
                    last = l;
                }
                nullable &= n;
            }
            (nullable, first, last)
        }
        Rx::Alt(parts) => {
            let mut nullable = parts.is_empty();
            let mut first = Vec::new();
            let mut last = Vec::new();
            for part in parts {
                let (n, f, l) = glushkov(part, follow);
                nullable |= n;
                first.extend(f);
                last.extend(l);
            }
            (nullable, first, last)
        }
        Rx::Star(x) => {
            let (_, f, l) = glushkov(x, follow);
            for p in &l {
                follow[*p as usize].extend_from_slice(&f);
            }
            (true, f, l)
        }
        Rx::Opt(x) => {
            let (_, f, l) = glushkov(x, follow);
            (true, f, l)
        }
    }
}

fn dedup(v: &mut Vec<u32>) {
    v.sort_unstable();
    v.dedup();
}

fn build_models(c: &mut Compiled, opts: CompileOptions) -> Result<()> {
    let mut members: HashMap<ElemId, Vec<ElemId>> = HashMap::new();
    for (i, e) in c.elements.iter().enumerate() {
        if let Some(h) = e.subst_head {
            members.entry(h).or_default().push(i);
        }
    }
    let mut models = Vec::new();
    let mut updates = Vec::new();
    for (tid, t) in c.types.iter().enumerate() {
        let TypeDef::Complex(ct) = t else { continue };
        if !matches!(ct.content, Content::Model { .. }) {
            continue;
        }
        let mut b = Builder {
            c,
            members: &members,
            leaves: Vec::new(),
            lenient: opts.lenient,
        };
        let model = match &ct.particle {
            Some(Particle {
                term: Term::All(items),
                min,
                ..
            }) => {
                let mut req = Vec::new();
                for it in items {
                    let leaf = match &it.term {
                        Term::Elem(e) => b.leaf_for_elem(*e),
                        Term::Any(w) => Leaf::Any(w.clone()),
                        _ => continue,
                    };
                    b.leaves.push(leaf);
                    req.push(it.min > 0 && *min > 0);
                }
                let n = b.leaves.len();
                Model::new(
                    b.leaves,
                    vec![Vec::new(); n],
                    Vec::new(),
                    vec![false; n],
                    *min == 0 || req.iter().all(|r| !r),
                    Some(req),
                )
            }
            Some(p) => {
                let rx = b.lower(p);
                let n = b.leaves.len();
                let mut follow = vec![Vec::new(); n];
                let (nullable, mut first, last_l) = glushkov(&rx, &mut follow);
                for f in follow.iter_mut() {
                    dedup(f);
                }
                dedup(&mut first);
                let mut last = vec![false; n];
                for l in last_l {
                    last[l as usize] = true;
                }
                Model::new(b.leaves, follow, first, last, nullable, None)
            }
            None => Model::new(Vec::new(), Vec::new(), Vec::new(), Vec::new(), true, None),
        };
        models.push(model);
        updates.push((tid, models.len() - 1));
    }
    for (tid, m) in updates {
        if let TypeDef::Complex(ct) = &mut c.types[tid] {
            if let Content::Model { model, .. } = &mut ct.content {
                *model = m;
            }
            ct.particle = None;
        }
    }
    if opts.lenient {
        // Vitam: abstract types whose content is only a wildcard (OpenType) are usable
        // directly, without xsi:type.
        for t in c.types.iter_mut() {
            if let TypeDef::Complex(ct) = t
                && ct.abstract_
                && let Content::Model { model, .. } = ct.content
                && models[model]
                    .leaves
                    .iter()
                    .all(|l| matches!(l, Leaf::Any(_)))
            {
                ct.abstract_ = false;
            }
        }
    }
    c.models = Models::Built(models);
    Ok(())
}
