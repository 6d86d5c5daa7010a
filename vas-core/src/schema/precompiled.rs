//! The bundled SEDA schema sets, compiled ahead of time: a compact binary form of each
//! compiled set (`data/schema/bundled.xsdc`), decoded by
//! [`SchemaSet::seda_mode`](super::super::SchemaSet::seda_mode) instead of parsing the
//! bundled XSD texts and compiling them at every process start.
//!
//! The blob holds exactly what [`compile`](super::compile) returns for each of the six
//! bundled sets (SEDA 2.1, 2.2 and 2.3, strict and Vitam-lenient): types (simple types
//! with their facets, complex types with attribute uses, wildcards and content), element
//! declarations, the content-model automata (leaves, first, follow and last positions),
//! the global type definitions by name (sorted), identity constraints and the interned element
//! names (with their global declarations).
//! Patterns are stored as their XSD source and compiled again when decoded (the bundled
//! sets have none). User schemas (e.g. extension schemas) are still compiled from text.
//! The file is generated from the bundled XSDs by the test
//! `schema::xsd::precompiled::tests::bundled_blob_is_up_to_date` (`VAS_BLESS=1` rewrites
//! it), which fails when the blob no longer matches what the compiler gives.
//!
//! Layout: the magic `VASXSDC2\n` and a count of sections; each section is its key
//! (`2.3 strict`), its length, its CRC-32 and its bytes. A section starts with its string
//! pool: the count of distinct strings, their bytes end to end (one UTF-8 check for all)
//! and the length of each; then every field follows in order, integers as LEB128
//! varints, strings as their index in the pool, lists as a varint count and the items,
//! options and enums as a tag byte. A damaged blob is refused with an error (the CRC, then
//! every count, tag and index — string indices and the pool's character boundaries
//! included — is checked against what it refers to), never a panic.

use regex::Regex;

use super::super::types::{Builtin, Facets, SimpleType, Variety, Ws};
use super::{
    AttrUse, Compiled, ComplexType, Content, ElemDecl, IcKind, IcPath, Identity, Leaf, Model,
    Models, NameIndex, NameTest, NsSet, Process, SortedNames, Text, TypeDef, Wildcard,
};
use crate::blob::BlobReader as Reader;
#[cfg(test)]
use crate::blob::BlobWriter as Writer;
use crate::{Error, Result};

/// First bytes of the blob (a new layout gets a new magic).
const MAGIC: &[u8] = b"VASXSDC2\n";

/// The committed blob.
pub(crate) static BUNDLED_BLOB: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/schema/bundled.xsdc"
));

/// The key of a bundled set in the blob: `2.3 strict`, `2.1 vitam`.
pub(crate) fn key(version: &str, lenient: bool) -> String {
    format!("{version} {}", if lenient { "vitam" } else { "strict" })
}

/// Encodes a whole blob from (key, compiled set) pairs.
#[cfg(test)]
pub(crate) fn encode_blob(sets: &[(String, &Compiled)]) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1 << 20));
    w.0.extend_from_slice(MAGIC);
    w.uint(sets.len() as u64);
    for (k, c) in sets {
        let body = encode(c);
        w.str(k);
        w.uint(body.len() as u64);
        w.0.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        w.0.extend_from_slice(&body);
    }
    w.0
}

/// The section of `blob` holding the set `key`, its CRC checked.
pub(crate) fn section<'b>(blob: &'b [u8], key: &str) -> Result<(&'b [u8], usize)> {
    let Some(rest) = blob.strip_prefix(MAGIC) else {
        return Err(Error::internal(
            "precompiled schema blob: wrong magic (not made by this version of vas)",
        ));
    };
    let mut r = Reader::new(rest, MAGIC.len(), "schema");
    let n = r.count()?;
    for _ in 0..n {
        let k = r.str()?;
        let len = r.count()?;
        let crc = r.fixed4()?;
        let at = r.pos;
        if r.data.len() - at < len {
            return Err(r.bad("section length (truncated)"));
        }
        r.pos += len;
        if k == key {
            let body = &r.data[at..at + len];
            if crc32fast::hash(body) != crc {
                return Err(Error::internal(format!(
                    "precompiled schema blob is corrupt: the checksum of section '{key}' \
                     (byte {}) does not match",
                    r.base + at
                )));
            }
            return Ok((body, r.base + at));
        }
    }
    if !r.at_end() {
        return Err(r.bad("end (trailing bytes)"));
    }
    Err(Error::internal(format!(
        "precompiled schema blob has no section '{key}'"
    )))
}

/// Decodes the set `key` of `blob` (e.g. a damaged one in the tests: they leak it).
#[cfg(test)]
pub(crate) fn decode_set(blob: &'static [u8], key: &str) -> Result<Compiled> {
    let (body, base) = section(blob, key)?;
    decode(body, base)
}

/// Decodes the set `key` of the bundled blob. Its names are borrowed from the blob, and
/// its content models are checked now but decoded on first use ([`LazyModels`]).
pub(crate) fn decode_bundled(key: &str) -> Result<Compiled> {
    let (body, base) = section(BUNDLED_BLOB, key)?;
    decode(body, base)
}

/// The content models of a decoded set: each record's offset in its section, decoded on
/// first use into its slot (`OnceLock`: the set stays `Send + Sync` and shared). Every
/// record was checked by [`skip_model`] when the set was decoded — the same reads and
/// checks as [`decode_model`], without building anything — so decoding it later cannot
/// fail; were it to fail all the same (it cannot), the model would match nothing rather
/// than panic.
pub(crate) struct LazyModels {
    body: &'static [u8],
    base: usize,
    pool: std::sync::Arc<[&'static str]>,
    /// Element declarations of the set (the bound of the indices in a model).
    ne: usize,
    at: Vec<usize>,
    slots: Vec<std::sync::OnceLock<Model>>,
}

impl std::fmt::Debug for LazyModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LazyModels({} at byte {})", self.at.len(), self.base)
    }
}

impl LazyModels {
    /// Model `i`, decoded now if it was not yet.
    pub(crate) fn get(&self, i: usize) -> &Model {
        self.slots[i].get_or_init(|| {
            self.try_decode(i).unwrap_or_else(|_| {
                Model::new(Vec::new(), Vec::new(), Vec::new(), Vec::new(), false, None)
            })
        })
    }
    /// Decodes model `i` from its record.
    fn try_decode(&self, i: usize) -> Result<Model> {
        let mut r = PoolReader {
            r: Reader::new(self.body, self.base, "schema"),
            pool: self.pool.clone(),
        };
        r.pos = self.at[i];
        decode_model(&mut r, self.ne)
    }
    /// How many models.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.at.len()
    }
}

// ----------------------------------------------------------------------------------------
// Encoding (tests only: the blob is generated by a test)

/// A section's writer: the primitives of [`Writer`], strings as indices into the pool of
/// the distinct strings met so far (written before the fields by [`PoolWriter::finish`]).
#[cfg(test)]
struct PoolWriter {
    w: Writer,
    ids: std::collections::HashMap<String, u64>,
    pool: Vec<String>,
}

#[cfg(test)]
impl std::ops::Deref for PoolWriter {
    type Target = Writer;
    fn deref(&self) -> &Writer {
        &self.w
    }
}

#[cfg(test)]
impl std::ops::DerefMut for PoolWriter {
    fn deref_mut(&mut self) -> &mut Writer {
        &mut self.w
    }
}

#[cfg(test)]
impl PoolWriter {
    fn new() -> Self {
        PoolWriter {
            w: Writer(Vec::with_capacity(1 << 18)),
            ids: std::collections::HashMap::new(),
            pool: Vec::new(),
        }
    }
    fn str(&mut self, s: &str) {
        let next = self.pool.len() as u64;
        let id = *self.ids.entry(s.to_owned()).or_insert_with(|| next);
        if id == next {
            self.pool.push(s.to_owned());
        }
        self.w.uint(id);
    }
    fn strs(&mut self, v: &[String]) {
        self.w.uint(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
    fn opt_str(&mut self, s: &Option<String>) {
        match s {
            None => self.w.0.push(0),
            Some(s) => {
                self.w.0.push(1);
                self.str(s);
            }
        }
    }
    /// The section: the pool, then the fields.
    fn finish(self) -> Vec<u8> {
        let mut out = Writer(Vec::with_capacity(self.w.0.len() + (1 << 14)));
        out.uint(self.pool.len() as u64);
        out.bytes(self.pool.concat().as_bytes());
        for s in &self.pool {
            out.uint(s.len() as u64);
        }
        out.0.extend_from_slice(&self.w.0);
        out.0
    }
    fn wildcard(&mut self, w: &Wildcard) {
        match &w.ns {
            NsSet::Any => self.0.push(0),
            NsSet::Not(v) => {
                self.0.push(1);
                self.strs(v);
            }
            NsSet::List(v) => {
                self.0.push(2);
                self.strs(v);
            }
        }
        self.0.push(match w.process {
            Process::Strict => 0,
            Process::Lax => 1,
            Process::Skip => 2,
        });
    }
    fn name_test(&mut self, t: &NameTest) {
        match t {
            NameTest::Any => self.0.push(0),
            NameTest::AnyIn(n) => {
                self.0.push(1);
                self.str(n);
            }
            NameTest::Name(n, l) => {
                self.0.push(2);
                self.str(n);
                self.str(l);
            }
        }
    }
    fn ic_paths(&mut self, v: &[IcPath]) {
        self.uint(v.len() as u64);
        for p in v {
            self.bool(p.descendant);
            self.uint(p.steps.len() as u64);
            for s in &p.steps {
                self.name_test(s);
            }
            match &p.attr {
                None => self.0.push(0),
                Some(t) => {
                    self.0.push(1);
                    self.name_test(t);
                }
            }
        }
    }
    fn sorted_names(&mut self, m: &SortedNames) {
        self.uint(m.0.len() as u64);
        for (ns, l, id) in &m.0 {
            self.str(ns);
            self.str(l);
            self.uint(*id as u64);
        }
    }
}

#[cfg(test)]
fn ws_tag(ws: Ws) -> u8 {
    match ws {
        Ws::Preserve => 0,
        Ws::Replace => 1,
        Ws::Collapse => 2,
    }
}

/// Encodes one compiled set (see the module documentation).
#[cfg(test)]
pub(crate) fn encode(c: &Compiled) -> Vec<u8> {
    let mut w = PoolWriter::new();
    w.uint(c.types.len() as u64);
    w.uint(c.elements.len() as u64);
    w.uint(c.models.len() as u64);
    w.uint(c.identities.len() as u64);
    w.uint(c.any_type as u64);
    w.strs(&c.target_namespaces);
    // Interned names first (element declarations refer to them).
    w.strs(&c.names.ns);
    w.uint(c.names.keys.len() as u64);
    for ((ns, l), g) in c.names.keys.iter().zip(&c.names.global) {
        w.uint((*ns).into());
        w.str(l);
        w.opt(*g);
    }
    for t in &c.types {
        match t {
            TypeDef::Simple(s) => {
                w.0.push(0);
                w.str(&s.display);
                w.opt(s.base);
                match &s.variety {
                    Variety::Atomic(b) => {
                        w.0.push(0);
                        let i = Builtin::ALL.iter().position(|x| x == b).unwrap_or(0);
                        w.uint(i as u64);
                    }
                    Variety::List(t) => {
                        w.0.push(1);
                        w.uint(*t as u64);
                    }
                    Variety::Union(v) => {
                        w.0.push(2);
                        w.ids(v);
                    }
                }
                let f = &s.facets;
                w.opt(f.length);
                w.opt(f.min_length);
                w.opt(f.max_length);
                w.uint(f.patterns.len() as u64);
                for (_, p) in &f.patterns {
                    w.str(p);
                }
                match &f.enumeration {
                    None => w.0.push(0),
                    Some(v) => {
                        w.0.push(1);
                        w.strs(v);
                    }
                }
                w.opt_str(&f.min_inclusive);
                w.opt_str(&f.max_inclusive);
                w.opt_str(&f.min_exclusive);
                w.opt_str(&f.max_exclusive);
                w.opt(f.total_digits);
                w.opt(f.fraction_digits);
                w.0.push(ws_tag(s.ws));
            }
            TypeDef::Complex(ct) => {
                assert!(ct.particle.is_none(), "a compiled type keeps no particle");
                w.0.push(1);
                w.str(&ct.display);
                w.bool(ct.abstract_);
                w.opt(ct.base);
                w.uint(ct.attrs.len() as u64);
                for a in &ct.attrs {
                    w.str(&a.ns);
                    w.str(&a.local);
                    w.uint(a.ty as u64);
                    w.bool(a.required);
                    w.opt_str(&a.fixed);
                }
                match &ct.attr_wc {
                    None => w.0.push(0),
                    Some(x) => {
                        w.0.push(1);
                        w.wildcard(x);
                    }
                }
                match &ct.content {
                    Content::Empty => w.0.push(0),
                    Content::Simple(t) => {
                        w.0.push(1);
                        w.uint(*t as u64);
                    }
                    Content::Model { model, mixed } => {
                        w.0.push(2);
                        w.uint(*model as u64);
                        w.bool(*mixed);
                    }
                    Content::Any => w.0.push(3),
                }
                w.bool(ct.mixed);
            }
        }
    }
    for e in &c.elements {
        w.str(&e.ns);
        w.str(&e.local);
        w.uint(e.ty as u64);
        w.bool(e.abstract_);
        w.bool(e.nillable);
        w.opt_str(&e.fixed);
        w.opt(e.subst_head);
        w.ids(&e.identity);
        w.uint(e.name_id.into());
    }
    for i in 0..c.models.len() {
        let m = c.model(i);
        w.uint(m.leaves.len() as u64);
        for l in &m.leaves {
            match l {
                Leaf::Elem { head, cands } => {
                    w.0.push(0);
                    w.uint(*head as u64);
                    w.ids(cands);
                }
                Leaf::Any(x) => {
                    w.0.push(1);
                    w.wildcard(x);
                }
            }
        }
        w.uint(m.follow.len() as u64);
        for f in &m.follow {
            w.ids(f);
        }
        w.ids(&m.first);
        w.bools(&m.last);
        w.bool(m.nullable);
        match &m.all {
            None => w.0.push(0),
            Some(v) => {
                w.0.push(1);
                w.bools(v);
            }
        }
    }
    w.sorted_names(&c.global_types);
    for ic in &c.identities {
        w.0.push(match ic.kind {
            IcKind::Unique => 0,
            IcKind::Key => 1,
            IcKind::KeyRef => 2,
        });
        w.str(&ic.ns);
        w.str(&ic.name);
        w.ic_paths(&ic.selector);
        w.uint(ic.fields.len() as u64);
        for f in &ic.fields {
            w.ic_paths(f);
        }
        w.opt(ic.refer);
    }
    w.finish()
}

// ----------------------------------------------------------------------------------------
// Decoding

/// A section's reader: the primitives of [`Reader`], strings looked up in the section's
/// pool (checked as UTF-8 once, then cut at checked character boundaries).
/// The blob is `'static` (the bundled one; the tests leak theirs): strings are borrowed.
struct PoolReader {
    r: Reader<'static>,
    pool: std::sync::Arc<[&'static str]>,
}

impl std::ops::Deref for PoolReader {
    type Target = Reader<'static>;
    fn deref(&self) -> &Reader<'static> {
        &self.r
    }
}

impl std::ops::DerefMut for PoolReader {
    fn deref_mut(&mut self) -> &mut Reader<'static> {
        &mut self.r
    }
}

impl PoolReader {
    /// Reads the pool at the start of `body` (a section found at offset `base`).
    fn new(body: &'static [u8], base: usize) -> Result<Self> {
        let mut r = Reader::new(body, base, "schema");
        let n = r.count()?;
        let all = r.str()?;
        let mut pool = Vec::with_capacity(n);
        let mut at = 0usize;
        for _ in 0..n {
            let len = r.usize()?;
            let Some(s) = at.checked_add(len).and_then(|end| all.get(at..end)) else {
                return Err(r.bad("string pool (length)"));
            };
            pool.push(s);
            at += len;
        }
        if at != all.len() {
            return Err(r.bad("string pool (unused bytes)"));
        }
        Ok(PoolReader {
            r,
            pool: pool.into(),
        })
    }
    #[inline]
    fn str(&mut self) -> Result<&'static str> {
        // Pool indices are one or two bytes (the pools have a few thousand strings).
        let d = self.r.data;
        let p = self.r.pos;
        if let Some(&b0) = d.get(p) {
            let (i, n) = if b0 < 0x80 {
                (usize::from(b0), 1)
            } else if let Some(&b1) = d.get(p + 1)
                && b1 < 0x80
            {
                (usize::from(b0 & 0x7f) | usize::from(b1) << 7, 2)
            } else {
                (usize::MAX, 0)
            };
            if let Some(&s) = self.pool.get(i) {
                self.r.pos += n;
                return Ok(s);
            }
        }
        let i = self.r.index(self.pool.len())?;
        Ok(self.pool[i])
    }
    fn string(&mut self) -> Result<String> {
        Ok(self.str()?.to_owned())
    }
    /// A pool string as a [`Text`] (borrowed: no allocation).
    fn text(&mut self) -> Result<Text> {
        Ok(Text::Borrowed(self.str()?))
    }
    fn strings(&mut self) -> Result<Vec<String>> {
        let n = self.r.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.string()?);
        }
        Ok(v)
    }
    fn opt_string(&mut self) -> Result<Option<String>> {
        Ok(match self.r.tag(1)? {
            0 => None,
            _ => Some(self.string()?),
        })
    }
    fn wildcard(&mut self) -> Result<Wildcard> {
        let ns = match self.tag(2)? {
            0 => NsSet::Any,
            1 => NsSet::Not(self.strings()?),
            _ => NsSet::List(self.strings()?),
        };
        let process = match self.tag(2)? {
            0 => Process::Strict,
            1 => Process::Lax,
            _ => Process::Skip,
        };
        Ok(Wildcard { ns, process })
    }
    fn name_test(&mut self) -> Result<NameTest> {
        Ok(match self.tag(2)? {
            0 => NameTest::Any,
            1 => NameTest::AnyIn(self.string()?),
            _ => NameTest::Name(self.string()?, self.string()?),
        })
    }
    fn ic_paths(&mut self) -> Result<Vec<IcPath>> {
        let n = self.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let descendant = self.bool()?;
            let k = self.count()?;
            let steps = (0..k)
                .map(|_| self.name_test())
                .collect::<Result<Vec<_>>>()?;
            let attr = match self.tag(1)? {
                0 => None,
                _ => Some(self.name_test()?),
            };
            v.push(IcPath {
                descendant,
                steps,
                attr,
            });
        }
        Ok(v)
    }
    /// Names sorted strictly increasing (so without duplicates), as looked up.
    fn sorted_names(&mut self, n: usize) -> Result<SortedNames> {
        let k = self.count()?;
        let mut v: Vec<(Text, Text, usize)> = Vec::with_capacity(k);
        for _ in 0..k {
            let ns = self.str()?;
            let l = self.str()?;
            if let Some((pn, pl, _)) = v.last()
                && (&**pn, &**pl) >= (ns, l)
            {
                return Err(self.bad("name list (not sorted)"));
            }
            let id = self.index(n)?;
            v.push((Text::Borrowed(ns), Text::Borrowed(l), id));
        }
        Ok(SortedNames(v))
    }
}

/// Decodes one content-model record (see [`skip_model`] for the same checks).
fn decode_model(r: &mut PoolReader, ne: usize) -> Result<Model> {
    let nl = r.count()?;
    let mut leaves = Vec::with_capacity(nl);
    for _ in 0..nl {
        leaves.push(match r.tag(1)? {
            0 => Leaf::Elem {
                head: r.index(ne)?,
                cands: r.indices(ne)?,
            },
            _ => Leaf::Any(r.wildcard()?),
        });
    }
    let nf = r.count()?;
    let mut follow = Vec::with_capacity(nf);
    for _ in 0..nf {
        follow.push(r.indices32(nl)?);
    }
    let first = r.indices32(nl)?;
    let last = r.bools()?;
    let nullable = r.bool()?;
    let all = match r.tag(1)? {
        0 => None,
        _ => Some(r.bools()?),
    };
    if follow.len() != nl || last.len() != nl || all.as_ref().is_some_and(|a| a.len() != nl) {
        return Err(r.bad("content model (sizes)"));
    }
    Ok(Model::new(leaves, follow, first, last, nullable, all))
}

/// Reads past one content-model record with every check of [`decode_model`] (counts,
/// tags, indices, string indices, sizes), building nothing.
fn skip_model(r: &mut PoolReader, ne: usize) -> Result<()> {
    /// A list of indices below `n`: the one-byte ones checked in a tight loop, any other
    /// by [`Reader::index`].
    fn indices(r: &mut PoolReader, n: usize) -> Result<usize> {
        let k = r.count()?;
        let data = r.data;
        // Below 128 every index is one byte: the whole list is checked at once.
        if n <= 0x80
            && let Some(b) = data.get(r.pos..r.pos + k)
            && b.iter().fold(true, |ok, &x| ok & (usize::from(x) < n))
        {
            r.pos += k;
            return Ok(k);
        }
        for _ in 0..k {
            match data.get(r.pos) {
                Some(&b) if b < 0x80 && usize::from(b) < n => r.pos += 1,
                _ => {
                    r.index(n)?;
                }
            }
        }
        Ok(k)
    }
    fn bools(r: &mut PoolReader) -> Result<usize> {
        let k = r.count()?;
        let data = r.data;
        if let Some(b) = data.get(r.pos..r.pos + k)
            && b.iter().fold(true, |ok, &x| ok & (x <= 1))
        {
            r.pos += k;
            return Ok(k);
        }
        for _ in 0..k {
            match data.get(r.pos) {
                Some(&b) if b <= 1 => r.pos += 1,
                _ => {
                    r.bool()?;
                }
            }
        }
        Ok(k)
    }
    let nl = r.count()?;
    for _ in 0..nl {
        match r.tag(1)? {
            0 => {
                r.index(ne)?;
                indices(r, ne)?;
            }
            _ => {
                if r.tag(2)? != 0 {
                    let k = r.count()?;
                    for _ in 0..k {
                        r.str()?;
                    }
                }
                r.tag(2)?;
            }
        }
    }
    let nf = r.count()?;
    for _ in 0..nf {
        indices(r, nl)?;
    }
    // The positions are u32 (`indices32`): as many as `nl` < the section's length.
    u32::try_from(nl).map_err(|_| r.bad("index"))?;
    indices(r, nl)?;
    let nlast = bools(r)?;
    r.bool()?;
    let nall = match r.tag(1)? {
        0 => None,
        _ => Some(bools(r)?),
    };
    if nf != nl || nlast != nl || nall.is_some_and(|a| a != nl) {
        return Err(r.bad("content model (sizes)"));
    }
    Ok(())
}

fn decode(body: &'static [u8], base: usize) -> Result<Compiled> {
    let mut r = PoolReader::new(body, base)?;
    let nt = r.count()?;
    let ne = r.count()?;
    let nm = r.count()?;
    let ni = r.count()?;
    let any_type = r.index(nt)?;
    let target_namespaces = r.strings()?;
    let mut names = NameIndex::default();
    let nns = r.count()?;
    for _ in 0..nns {
        names.ns.push(r.string()?);
    }
    let nk = r.count()?;
    names.reserve_for(nk);
    for k in 0..nk {
        let ns = r.index32(nns)?;
        let l = r.str()?;
        let g = r.opt_index(ne)?;
        if names.intern_id(ns, l) as usize != k {
            return Err(r.bad("interned name (duplicate)"));
        }
        names.global[k] = g;
    }
    let mut types = Vec::with_capacity(nt);
    for _ in 0..nt {
        let t = match r.tag(1)? {
            0 => {
                let display = r.text()?;
                let base = r.opt_index(nt)?;
                let variety = match r.tag(2)? {
                    0 => {
                        let i = r.index(Builtin::ALL.len())?;
                        Variety::Atomic(Builtin::ALL[i])
                    }
                    1 => Variety::List(r.index(nt)?),
                    _ => Variety::Union(r.indices(nt)?),
                };
                let mut f = Facets {
                    length: r.opt_usize()?,
                    min_length: r.opt_usize()?,
                    max_length: r.opt_usize()?,
                    ..Facets::default()
                };
                let np = r.count()?;
                for _ in 0..np {
                    let p = r.string()?;
                    let re = super::super::regex_xsd::translate(&p)
                        .ok()
                        .and_then(|t| Regex::new(&t).ok())
                        .ok_or_else(|| r.bad("pattern"))?;
                    f.patterns.push((re, p));
                }
                f.enumeration = match r.tag(1)? {
                    0 => None,
                    _ => Some(r.strings()?),
                };
                f.min_inclusive = r.opt_string()?;
                f.max_inclusive = r.opt_string()?;
                f.min_exclusive = r.opt_string()?;
                f.max_exclusive = r.opt_string()?;
                f.total_digits = r.opt_usize()?;
                f.fraction_digits = r.opt_usize()?;
                let ws = match r.tag(2)? {
                    0 => Ws::Preserve,
                    1 => Ws::Replace,
                    _ => Ws::Collapse,
                };
                TypeDef::Simple(SimpleType {
                    display,
                    base,
                    variety,
                    facets: f,
                    ws,
                })
            }
            _ => {
                let display = r.text()?;
                let abstract_ = r.bool()?;
                let base = r.opt_index(nt)?;
                let na = r.count()?;
                let mut attrs = Vec::with_capacity(na);
                for _ in 0..na {
                    attrs.push(AttrUse {
                        ns: r.string()?,
                        local: r.string()?,
                        ty: r.index(nt)?,
                        required: r.bool()?,
                        fixed: r.opt_string()?,
                    });
                }
                let attr_wc = match r.tag(1)? {
                    0 => None,
                    _ => Some(r.wildcard()?),
                };
                let content = match r.tag(3)? {
                    0 => Content::Empty,
                    1 => Content::Simple(r.index(nt)?),
                    2 => Content::Model {
                        model: r.index(nm)?,
                        mixed: r.bool()?,
                    },
                    _ => Content::Any,
                };
                let mixed = r.bool()?;
                TypeDef::Complex(ComplexType {
                    display,
                    abstract_,
                    base,
                    attrs,
                    attr_wc,
                    content,
                    particle: None,
                    mixed,
                })
            }
        };
        types.push(t);
    }
    // Simple-type references must name simple types (the validator relies on it).
    for t in &types {
        if let TypeDef::Simple(s) = t {
            let refs = s.base.into_iter().chain(match &s.variety {
                Variety::Atomic(_) => Vec::new(),
                Variety::List(t) => vec![*t],
                Variety::Union(v) => v.clone(),
            });
            for x in refs {
                if !matches!(types[x], TypeDef::Simple(_)) {
                    return Err(r.bad("simple type (base is complex)"));
                }
            }
        }
    }
    let mut elements = Vec::with_capacity(ne);
    for _ in 0..ne {
        elements.push(ElemDecl {
            ns: r.text()?,
            local: r.text()?,
            ty: r.index(nt)?,
            abstract_: r.bool()?,
            nillable: r.bool()?,
            fixed: r.opt_string()?,
            subst_head: r.opt_index(ne)?,
            identity: r.indices(ni)?,
            name_id: r.index32(nk)?,
        });
    }
    let mut at = Vec::with_capacity(nm);
    for _ in 0..nm {
        at.push(r.pos);
        skip_model(&mut r, ne)?;
    }
    let models = Models::Lazy(LazyModels {
        body,
        base,
        pool: r.pool.clone(),
        ne,
        slots: (0..nm).map(|_| std::sync::OnceLock::new()).collect(),
        at,
    });
    let global_types = r.sorted_names(nt)?;
    let mut identities = Vec::with_capacity(ni);
    for _ in 0..ni {
        let kind = match r.tag(2)? {
            0 => IcKind::Unique,
            1 => IcKind::Key,
            _ => IcKind::KeyRef,
        };
        let ns = r.string()?;
        let name = r.string()?;
        let selector = r.ic_paths()?;
        let nfl = r.count()?;
        let mut fields = Vec::with_capacity(nfl);
        for _ in 0..nfl {
            fields.push(r.ic_paths()?);
        }
        let refer = r.opt_index(ni)?;
        identities.push(Identity {
            kind,
            ns,
            name,
            selector,
            fields,
            refer,
        });
    }
    if !r.at_end() {
        return Err(r.bad("end (trailing bytes)"));
    }
    Ok(Compiled {
        types,
        elements,
        models,
        global_types,
        any_type,
        target_namespaces,
        identities,
        names,
        processor: super::super::Processor::Libxml2,
    })
}

#[cfg(test)]
mod tests {
    use super::super::super::{Mode, SchemaSet, SedaVersion};
    use super::*;

    /// Every bundled set compiled from the XSD texts, with its key.
    fn compiled_from_text() -> Vec<(String, SchemaSet)> {
        let mut v = Vec::new();
        for version in SedaVersion::ALL {
            for mode in [Mode::Strict, Mode::VitamLenient] {
                let set = SchemaSet::compile_bundled(version, mode).unwrap();
                v.push((key(version.as_str(), mode == Mode::VitamLenient), set));
            }
        }
        v
    }

    fn fresh_blob(sets: &[(String, SchemaSet)]) -> Vec<u8> {
        let refs: Vec<(String, &Compiled)> =
            sets.iter().map(|(k, s)| (k.clone(), &s.compiled)).collect();
        encode_blob(&refs)
    }

    /// The committed blob is what the compiler gives for the bundled XSDs today. A change
    /// of the compiler or of the bundled files makes it stale:
    /// `VAS_BLESS=1 cargo test -p vas-core --lib schema::xsd::precompiled` rewrites it.
    #[test]
    fn bundled_blob_is_up_to_date() {
        let sets = compiled_from_text();
        let fresh = fresh_blob(&sets);
        // The compiler is deterministic (ids in name order, not hash order).
        assert_eq!(fresh, fresh_blob(&compiled_from_text()));
        if std::env::var_os("VAS_BLESS").is_some_and(|v| v == "1") {
            let p = concat!(env!("CARGO_MANIFEST_DIR"), "/data/schema/bundled.xsdc");
            std::fs::write(p, &fresh).unwrap();
            return;
        }
        assert!(
            fresh == BUNDLED_BLOB,
            "data/schema/bundled.xsdc is stale ({} bytes, the XSDs give {}): run \
             VAS_BLESS=1 cargo test -p vas-core --lib schema::xsd::precompiled",
            BUNDLED_BLOB.len(),
            fresh.len()
        );
    }

    /// The decoded sets equal the compiled ones field for field (their debug forms, hash
    /// maps compared sorted), and encode back to the same bytes.
    #[test]
    fn decoded_sets_equal_the_compiled_ones() {
        for (k, set) in compiled_from_text() {
            let c = &set.compiled;
            let d = decode_bundled(&k).unwrap();
            // The models are decoded on first use: none is before.
            let Models::Lazy(lazy) = &d.models else {
                panic!("{k}: models decoded eagerly")
            };
            assert!(lazy.slots.iter().all(|s| s.get().is_none()), "{k}");
            assert_eq!(format!("{:?}", d.types), format!("{:?}", c.types), "{k}");
            assert_eq!(
                format!("{:?}", d.elements),
                format!("{:?}", c.elements),
                "{k}"
            );
            assert_eq!(d.models.len(), c.models.len(), "{k}");
            for i in 0..c.models.len() {
                assert_eq!(
                    format!("{:?}", d.model(i)),
                    format!("{:?}", c.model(i)),
                    "{k} model {i}"
                );
            }
            assert_eq!(
                format!("{:?}", d.identities),
                format!("{:?}", c.identities),
                "{k}"
            );
            assert_eq!(format!("{:?}", d.names), format!("{:?}", c.names), "{k}");
            assert_eq!(d.any_type, c.any_type);
            assert_eq!(d.target_namespaces, c.target_namespaces);
            assert_eq!(d.global_types.0, c.global_types.0, "{k}");
            assert_eq!(encode(&d), encode(c), "{k}");
            // Something real was compared.
            assert!(c.types.len() > 100 && c.models.len() > 50, "{k}");
        }
    }

    /// The bundled sets, as `SchemaSet::seda_mode` gives them (decoded), validate like
    /// the sets compiled from the XSD texts, finding for finding, on the test fixtures.
    #[test]
    fn decoded_sets_validate_like_the_compiled_ones() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
        let mut files = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "xml") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 20, "fixtures found: {}", files.len());
        let sets = compiled_from_text();
        let mut checked = 0;
        for f in &files {
            let xml = std::fs::read(f).unwrap();
            let Ok(v) = super::super::super::detect_seda_version(xml.as_slice()) else {
                continue;
            };
            for mode in [Mode::Strict, Mode::VitamLenient] {
                let k = key(v.as_str(), mode == Mode::VitamLenient);
                let text = &sets.iter().find(|(x, _)| *x == k).unwrap().1;
                let fast = SchemaSet::seda_mode(v, mode).unwrap();
                let a = text.validate_bytes(&xml);
                let b = fast.validate_bytes(&xml);
                assert_eq!(a.to_json(), b.to_json(), "{} {k}", f.display());
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }

    /// A damaged blob is refused with an error naming the offset, never a panic nor a
    /// huge allocation: wrong magic, every truncation (sampled), a changed byte anywhere
    /// (the checksum), and changed bytes inside a section decoded without the checksum.
    #[test]
    fn damaged_blobs_are_refused() {
        let blob = BUNDLED_BLOB;
        let k = key("2.3", false);
        let e = decode_set(b"VASXSDC0\n", &k).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Internal);
        assert!(e.to_string().contains("magic"), "{e}");
        assert!(decode_set(blob, "9.9 strict").is_err());
        let step = (blob.len() / 200).max(1);
        for cut in (0..blob.len()).step_by(step) {
            let e = decode_set(&blob[..cut], &key("2.3", true)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Internal);
        }
        let mut bad = blob.to_vec();
        let (body, at) = section(blob, &k).unwrap();
        let i = at + body.len() / 2;
        bad[i] ^= 0x55;
        let e = decode_set(bad.leak(), &k).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        // Behind the checksum: each change either decodes into something whose indices
        // are all in range, or is refused; never a panic. The content models of a decoded
        // set (checked when decoded, built on first use) then all decode.
        let mut body = body.to_vec();
        let step = (body.len() / 400).max(1);
        let (mut refused, mut models) = (0, 0);
        for (n, i) in (0..body.len()).step_by(step).enumerate() {
            let old = body[i];
            body[i] = [0xff, 0x80, 0x00, 0x7f, 0x03][n % 5];
            match decode(body.clone().leak(), at) {
                Err(_) => refused += 1,
                Ok(d) => {
                    let Models::Lazy(lazy) = &d.models else {
                        panic!("models decoded eagerly")
                    };
                    for m in 0..lazy.len() {
                        lazy.try_decode(m).unwrap();
                        models += 1;
                    }
                }
            }
            body[i] = old;
        }
        assert!(refused > 0 && models > 0, "{refused} {models}");
        let mut long = body.clone();
        long.push(0);
        let e = decode(long.leak(), at).unwrap_err();
        assert!(e.to_string().contains("trailing"), "{e}");
    }

    /// The string pool: strings cut at character boundaries, lengths adding up to the
    /// pool, string indices inside it; anything else refused.
    #[test]
    fn string_pool_is_checked() {
        let pool = |n: u64, all: &str, lens: &[u64], rest: &[u8]| {
            let mut w = Writer(Vec::new());
            w.uint(n);
            w.bytes(all.as_bytes());
            for &l in lens {
                w.uint(l);
            }
            w.0.extend_from_slice(rest);
            w.0
        };
        // "é" is two bytes: "aé" + "b".
        let ok = pool(2, "aéb", &[3, 1], &[1, 0]);
        let mut r = PoolReader::new(ok.leak(), 0).unwrap();
        assert_eq!(r.str().unwrap(), "b");
        assert_eq!(r.str().unwrap(), "aé");
        assert!(r.at_end());
        // A string index past the pool.
        let e = PoolReader::new(pool(2, "aéb", &[3, 1], &[2]).leak(), 0)
            .unwrap()
            .str()
            .unwrap_err();
        assert!(e.to_string().contains("bad index"), "{e}");
        // A cut inside "é", lengths past the pool, bytes left over, bad UTF-8.
        for (body, what) in [
            (pool(2, "aéb", &[2, 2], &[]), "string pool (length)"),
            (pool(2, "aéb", &[3, 5], &[]), "string pool (length)"),
            (pool(1, "aéb", &[3], &[]), "string pool (unused bytes)"),
            (pool(1, "ab", &[u64::MAX], &[]), "string pool (length)"),
        ] {
            let e = PoolReader::new(body.leak(), 7).err().expect(what);
            assert_eq!(e.kind(), crate::ErrorKind::Internal);
            assert!(e.to_string().contains(what), "{e} / {what}");
        }
        let mut bad = pool(1, "ab", &[2], &[]);
        bad[2] = 0xff;
        let e = PoolReader::new(bad.leak(), 0).err().unwrap();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }
}
