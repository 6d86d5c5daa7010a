//! RelaxNG (XML syntax) validation with the XSD datatype library, by derivatives
//! (James Clark, "An algorithm for RELAX NG validation"), streaming.
//!
//! Supported: `grammar`, `start`, `define` (with `combine`), `ref`, `element`,
//! `attribute`, `group`, `interleave`, `choice`, `optional`, `zeroOrMore`,
//! `oneOrMore`, `mixed`, `list`, `empty`, `text`, `notAllowed`, `data` (with `param`
//! facets and `except`), `value`, name classes `name`, `anyName`, `nsName`, `choice`
//! and `except`, `ns` and `datatypeLibrary` inheritance; foreign elements and
//! attributes (annotations such as `a:documentation`) are ignored. Not supported
//! (refused with an error): `include`, `externalRef`, nested grammars / `parentRef`.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::rc::Rc;

use super::dom::Doc;
use super::input::{AttrRef, Ev, Limits, XmlInput};
use super::types::{
    self, Builtin, Facets, SimpleType, SimpleTypes, TypeId, ValueCache, ValueIds, Variety, Ws,
};
use super::xsd::FxBuild;
use super::{Finding, FindingKind, Report, ValidationOptions};
use crate::{Error, ErrorKind, Result};

const RNG: &str = "http://relaxng.org/ns/structure/1.0";
const XSD_DT: &str = "http://www.w3.org/2001/XMLSchema-datatypes";

type P = u32;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NameClass {
    Any,
    AnyExcept(Box<NameClass>),
    NsName(String),
    NsNameExcept(String, Box<NameClass>),
    Name(String, String),
    Choice(Box<NameClass>, Box<NameClass>),
}

impl NameClass {
    fn contains(&self, ns: &str, local: &str) -> bool {
        match self {
            NameClass::Any => true,
            NameClass::AnyExcept(e) => !e.contains(ns, local),
            NameClass::NsName(n) => n == ns,
            NameClass::NsNameExcept(n, e) => n == ns && !e.contains(ns, local),
            NameClass::Name(n, l) => n == ns && l == local,
            NameClass::Choice(a, b) => a.contains(ns, local) || b.contains(ns, local),
        }
    }

    fn describe(&self) -> String {
        match self {
            NameClass::Any | NameClass::AnyExcept(_) => "any element".into(),
            NameClass::NsName(n) | NameClass::NsNameExcept(n, _) => {
                format!("any element in namespace '{n}'")
            }
            NameClass::Name(_, l) => l.clone(),
            NameClass::Choice(a, b) => format!("{} or {}", a.describe(), b.describe()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Pat {
    Empty,
    NotAllowed,
    Text,
    Choice(P, P),
    Interleave(P, P),
    Group(P, P),
    OneOrMore(P),
    List(P),
    Element(u32, P),
    Attribute(u32, P),
    /// datatype (index into the type table), optional except pattern
    Data(TypeId, Option<P>),
    /// datatype, value (normalized); shared, so that cloning a pattern never allocates
    Value(TypeId, std::sync::Arc<str>),
    After(P, P),
    Ref(u32),
}

const EMPTY: P = 0;
const NOT_ALLOWED: P = 1;
const TEXT: P = 2;

/// A compiled RelaxNG schema (an archival profile). `Send + Sync`.
///
/// ```
/// use vas_core::schema::RelaxNg;
///
/// let rng = RelaxNg::from_str(r#"<grammar xmlns="http://relaxng.org/ns/structure/1.0"
///     datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
///   <start><element name="note">
///     <element name="to"><data type="NCName"/></element>
///     <optional><element name="body"><value>hello</value></element></optional>
///   </element></start></grammar>"#)?;
/// assert!(rng.validate_bytes(b"<note><to>me</to><body> hello </body></note>").is_valid());
/// let r = rng.validate_bytes(b"<note><to>me</to><body>bye</body></note>");
/// assert_eq!(r.findings[0].path, "/note/body");
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug)]
pub struct RelaxNg {
    pats: Vec<Pat>,
    index: HashMap<Pat, P, FxBuild>,
    names: Vec<NameClass>,
    defs: Vec<P>,
    start: P,
    types: Vec<SimpleType>,
    /// (element name class, attribute name class) pairs whose attribute is typed
    /// xsd:ID: their values must be unique in the document (RELAX NG DTD
    /// compatibility, enforced by libxml2 and Jing's command line).
    id_attrs: Vec<(u32, u32)>,
    /// Whose datatype verdicts to reproduce ([`RelaxNg::with_processor`]).
    processor: super::Processor,
}

struct TypeTable<'a>(&'a [SimpleType], super::Processor);
impl SimpleTypes for TypeTable<'_> {
    fn simple(&self, id: TypeId) -> Option<&SimpleType> {
        self.0.get(id)
    }

    fn processor(&self) -> super::Processor {
        self.1
    }
}

/// Pattern store: the compiled patterns plus those created during one validation.
struct Store<'a> {
    g: &'a RelaxNg,
    extra: Vec<Pat>,
    index: HashMap<Pat, P, FxBuild>,
    nullable_memo: HashMap<P, bool, FxBuild>,
    /// Derivatives already computed in this validation (they are pure functions of
    /// the interned patterns): start tag by (pattern, element name id), start-tag
    /// close and end tag by pattern. A document repeats the same few states, so most
    /// elements cost three lookups instead of three walks of the pattern.
    open_memo: HashMap<(P, u32), P, FxBuild>,
    close_memo: HashMap<P, P, FxBuild>,
    end_memo: HashMap<P, P, FxBuild>,
    /// Element and attribute names of the document, interned.
    names: DocNames,
    /// Per element name id: whether some `xsd:ID`-typed attribute is declared for it
    /// (0 = not known yet, 1 = no, 2 = yes).
    id_elem: Vec<u8>,
    /// (element name id, attribute name id) → whether the attribute is an `xsd:ID`.
    id_pair: HashMap<(u32, u32), bool, FxBuild>,
    /// Per pattern: the value tests (`data` and `value` leaves) that its text
    /// derivative can run, or `None` when it depends on more than their outcomes
    /// (a `list`, or more than 64 tests). See [`Store::text_deriv_memo`].
    text_plan: HashMap<P, Option<Rc<[P]>>, FxBuild>,
    /// (pattern, outcomes of its value tests as a bit set) → text derivative.
    text_memo: HashMap<(P, u64), P, FxBuild>,
    /// Per (pattern, attribute name id): the `attribute` leaves whose name class
    /// contains the name, as [`Store::att_deriv`] reaches them (`None`: more than 64).
    att_plan: HashMap<(P, u32), Option<Rc<[P]>>, FxBuild>,
    /// (pattern, attribute name id, outcomes of the leaves' value matches) → derivative.
    att_memo: HashMap<(P, u32, u64), P, FxBuild>,
    /// Recently valid values of the `data` leaves (repeated values are checked once).
    values: ValueCache,
    /// The identifiers of the value being checked (reused, not used further).
    vids: ValueIds,
}

/// The names of a document, interned by (namespace id of the input, local name):
/// an open-addressing table hashed once per lookup, no allocation once a name is known.
#[derive(Default)]
struct DocNames {
    keys: Vec<(u32, Box<str>)>,
    /// Name id + 1 (0 = empty); the length is 0 or a power of two.
    slots: Vec<u32>,
}

impl DocNames {
    #[inline]
    fn hash(ns: u32, local: &str) -> u64 {
        super::xsd::name_hash(ns, local.as_bytes())
    }

    /// The id of (`ns`, `local`), interning it on first sight.
    fn id(&mut self, ns: u32, local: &str) -> u32 {
        if self.slots.len() < 2 * (self.keys.len() + 1) {
            let n = (self.slots.len() * 2).max(64);
            let mut slots = vec![0u32; n];
            for (k, (kns, kl)) in self.keys.iter().enumerate() {
                let mut i = Self::hash(*kns, kl) as usize & (n - 1);
                while slots[i] != 0 {
                    i = (i + 1) & (n - 1);
                }
                slots[i] = k as u32 + 1;
            }
            self.slots = slots;
        }
        let mask = self.slots.len() - 1;
        let mut i = Self::hash(ns, local) as usize & mask;
        loop {
            match self.slots[i] {
                0 => {
                    self.keys.push((ns, local.into()));
                    self.slots[i] = self.keys.len() as u32;
                    return self.keys.len() as u32 - 1;
                }
                s => {
                    let (kns, kl) = &self.keys[s as usize - 1];
                    if *kns == ns && crate::xml::lex::bytes_eq(kl.as_bytes(), local.as_bytes()) {
                        return s - 1;
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }
}

impl<'a> Store<'a> {
    fn get(&self, p: P) -> &Pat {
        let i = p as usize;
        if i < self.g.pats.len() {
            &self.g.pats[i]
        } else {
            &self.extra[i - self.g.pats.len()]
        }
    }

    fn intern(&mut self, pat: Pat) -> P {
        if let Some(p) = self.g.index.get(&pat) {
            return *p;
        }
        if let Some(p) = self.index.get(&pat) {
            return *p;
        }
        let id = (self.g.pats.len() + self.extra.len()) as P;
        self.extra.push(pat.clone());
        self.index.insert(pat, id);
        id
    }

    fn deref(&self, mut p: P) -> P {
        for _ in 0..64 {
            match self.get(p) {
                Pat::Ref(i) => p = self.g.defs[*i as usize],
                _ => return p,
            }
        }
        NOT_ALLOWED
    }

    fn choice(&mut self, a: P, b: P) -> P {
        if a == NOT_ALLOWED {
            return b;
        }
        if b == NOT_ALLOWED || a == b {
            return a;
        }
        // keep choices flat-ish: if b already is a choice containing a, skip
        if let Pat::Choice(x, y) = self.get(b).clone()
            && (x == a || y == a)
        {
            return b;
        }
        self.intern(Pat::Choice(a, b))
    }

    fn group(&mut self, a: P, b: P) -> P {
        if a == NOT_ALLOWED || b == NOT_ALLOWED {
            return NOT_ALLOWED;
        }
        if a == EMPTY {
            return b;
        }
        if b == EMPTY {
            return a;
        }
        self.intern(Pat::Group(a, b))
    }

    fn interleave(&mut self, a: P, b: P) -> P {
        if a == NOT_ALLOWED || b == NOT_ALLOWED {
            return NOT_ALLOWED;
        }
        if a == EMPTY {
            return b;
        }
        if b == EMPTY {
            return a;
        }
        self.intern(Pat::Interleave(a, b))
    }

    fn after(&mut self, a: P, b: P) -> P {
        if a == NOT_ALLOWED || b == NOT_ALLOWED {
            return NOT_ALLOWED;
        }
        self.intern(Pat::After(a, b))
    }

    fn one_or_more(&mut self, a: P) -> P {
        if a == NOT_ALLOWED {
            return NOT_ALLOWED;
        }
        self.intern(Pat::OneOrMore(a))
    }

    fn nullable(&mut self, p: P) -> bool {
        self.nullable_d(p, 0)
    }

    fn nullable_d(&mut self, p: P, d: usize) -> bool {
        if d > 10_000 {
            return false;
        }
        if let Some(v) = self.nullable_memo.get(&p) {
            return *v;
        }
        let v = match self.get(p).clone() {
            Pat::Empty | Pat::Text => true,
            Pat::Group(a, b) | Pat::Interleave(a, b) => {
                self.nullable_d(a, d + 1) && self.nullable_d(b, d + 1)
            }
            Pat::Choice(a, b) => self.nullable_d(a, d + 1) || self.nullable_d(b, d + 1),
            Pat::OneOrMore(a) => self.nullable_d(a, d + 1),
            Pat::Ref(_) => {
                let q = self.deref(p);
                q != p && self.nullable_d(q, d + 1)
            }
            _ => false,
        };
        self.nullable_memo.insert(p, v);
        v
    }

    fn apply_after(&mut self, p: P, f: &mut dyn FnMut(&mut Self, P) -> P) -> P {
        match self.get(p).clone() {
            Pat::After(a, b) => {
                let nb = f(self, b);
                self.after(a, nb)
            }
            Pat::Choice(a, b) => {
                let x = self.apply_after(a, f);
                let y = self.apply_after(b, f);
                self.choice(x, y)
            }
            _ => NOT_ALLOWED,
        }
    }

    /// [`Store::start_tag_open`], memoised by (pattern, element name id `id`, see
    /// [`DocNames`]).
    fn start_tag_open_memo(&mut self, p: P, id: u32, ns: &str, local: &str) -> P {
        if let Some(q) = self.open_memo.get(&(p, id)) {
            return *q;
        }
        let q = self.start_tag_open(p, ns, local);
        self.open_memo.insert((p, id), q);
        q
    }

    /// Whether attribute `a` (name id `aid`) of element `ns`/`local` (name id `eid`) is
    /// typed `xsd:ID` by the profile, memoised by name ids.
    fn is_id_attr(&mut self, eid: u32, ns: &str, local: &str, aid: u32, a: &AttrRef<'_>) -> bool {
        let g = self.g;
        if g.id_attrs.is_empty() {
            return false;
        }
        let e = eid as usize;
        if self.id_elem.len() <= e {
            self.id_elem.resize(e + 1, 0);
        }
        if self.id_elem[e] == 0 {
            let any = g
                .id_attrs
                .iter()
                .any(|(en, _)| g.names[*en as usize].contains(ns, local));
            self.id_elem[e] = if any { 2 } else { 1 };
        }
        if self.id_elem[e] == 1 {
            return false;
        }
        *self.id_pair.entry((eid, aid)).or_insert_with(|| {
            g.id_attrs.iter().any(|(en, at)| {
                g.names[*en as usize].contains(ns, local)
                    && g.names[*at as usize].contains(a.ns, a.local)
            })
        })
    }

    /// The value tests reachable by [`Store::text_deriv`] from `p`, in a fixed order
    /// (`None`: not memoisable).
    fn plan_text(&mut self, p: P, out: &mut Vec<P>, seen: &mut Vec<P>) -> bool {
        let p = self.deref(p);
        if seen.contains(&p) {
            return true;
        }
        if seen.len() > 256 {
            return false;
        }
        seen.push(p);
        match self.get(p).clone() {
            Pat::Choice(x, y) | Pat::Interleave(x, y) | Pat::Group(x, y) => {
                self.plan_text(x, out, seen) && self.plan_text(y, out, seen)
            }
            Pat::After(x, _) | Pat::OneOrMore(x) => self.plan_text(x, out, seen),
            Pat::Value(..) | Pat::Data(_, None) => {
                out.push(p);
                out.len() <= 64
            }
            Pat::Data(_, Some(e)) => {
                out.push(p);
                out.len() <= 64 && self.plan_text(e, out, seen)
            }
            Pat::List(_) => false,
            _ => true,
        }
    }

    /// The outcome of the value test of leaf `p` (a `data` or `value` pattern) on `s`,
    /// as [`Store::text_deriv`] computes it.
    fn leaf_test(&mut self, p: P, s: &str) -> bool {
        let i = p as usize;
        let pat = if i < self.g.pats.len() {
            &self.g.pats[i]
        } else {
            &self.extra[i - self.g.pats.len()]
        };
        match pat {
            Pat::Value(t, v) => value_equal(&self.g.types, *t, v, s),
            Pat::Data(t, _) => {
                self.vids.clear();
                self.values
                    .validate_into(
                        &TypeTable(&self.g.types, self.g.processor),
                        *t,
                        s,
                        &mut self.vids,
                    )
                    .is_ok()
            }
            _ => false,
        }
    }

    /// [`Store::text_deriv`], memoised: the derivative is a function of the pattern and
    /// of the outcomes of the value tests it runs, so those are run first (each is a
    /// datatype check or a comparison) and the derivative is looked up by their bit
    /// set, instead of walking and re-interning the pattern for every text node.
    fn text_deriv_memo(&mut self, p: P, s: &str) -> P {
        let plan = match self.text_plan.get(&p) {
            Some(plan) => plan.clone(),
            None => {
                let mut out = Vec::new();
                let mut seen = Vec::new();
                let plan = if self.plan_text(p, &mut out, &mut seen) {
                    Some(Rc::from(out))
                } else {
                    None
                };
                self.text_plan.insert(p, plan.clone());
                plan
            }
        };
        let Some(plan) = plan else {
            return self.text_deriv(p, s);
        };
        let mut mask = 0u64;
        for (i, leaf) in plan.iter().enumerate() {
            if self.leaf_test(*leaf, s) {
                mask |= 1 << i;
            }
        }
        if let Some(q) = self.text_memo.get(&(p, mask)) {
            return *q;
        }
        let q = self.text_deriv(p, s);
        self.text_memo.insert((p, mask), q);
        q
    }

    /// The `attribute` leaves of `p` that [`Store::att_deriv`] reaches and whose name
    /// class contains `ns`/`local`.
    fn plan_att(
        &mut self,
        p: P,
        ns: &str,
        local: &str,
        out: &mut Vec<P>,
        seen: &mut Vec<P>,
    ) -> bool {
        let p = self.deref(p);
        if seen.contains(&p) {
            return true;
        }
        if seen.len() > 256 {
            return false;
        }
        seen.push(p);
        match self.get(p).clone() {
            Pat::Choice(x, y) | Pat::Interleave(x, y) | Pat::Group(x, y) => {
                self.plan_att(x, ns, local, out, seen) && self.plan_att(y, ns, local, out, seen)
            }
            Pat::After(x, _) | Pat::OneOrMore(x) => self.plan_att(x, ns, local, out, seen),
            Pat::Attribute(nc, _) => {
                if self.g.names[nc as usize].contains(ns, local) {
                    out.push(p);
                }
                out.len() <= 64
            }
            _ => true,
        }
    }

    /// [`Store::att_deriv`], memoised by (pattern, attribute name id `aid`, outcomes of
    /// the value matches of the attribute leaves with that name).
    fn att_deriv_memo(&mut self, p: P, aid: u32, a: &AttrRef<'_>) -> P {
        let plan = match self.att_plan.get(&(p, aid)) {
            Some(plan) => plan.clone(),
            None => {
                let mut out = Vec::new();
                let mut seen = Vec::new();
                let plan = if self.plan_att(p, a.ns, a.local, &mut out, &mut seen) {
                    Some(Rc::from(out))
                } else {
                    None
                };
                self.att_plan.insert((p, aid), plan.clone());
                plan
            }
        };
        let Some(plan) = plan else {
            return self.att_deriv(p, a);
        };
        let mut mask = 0u64;
        for (i, leaf) in plan.iter().enumerate() {
            let Pat::Attribute(_, c) = *self.get(*leaf) else {
                continue;
            };
            if self.value_match(c, a.value) {
                mask |= 1 << i;
            }
        }
        if let Some(q) = self.att_memo.get(&(p, aid, mask)) {
            return *q;
        }
        let q = self.att_deriv(p, a);
        self.att_memo.insert((p, aid, mask), q);
        q
    }

    /// [`Store::start_tag_close`], memoised.
    fn start_tag_close_memo(&mut self, p: P) -> P {
        if let Some(q) = self.close_memo.get(&p) {
            return *q;
        }
        let q = self.start_tag_close(p);
        self.close_memo.insert(p, q);
        q
    }

    /// [`Store::end_tag`], memoised.
    fn end_tag_memo(&mut self, p: P) -> P {
        if let Some(q) = self.end_memo.get(&p) {
            return *q;
        }
        let q = self.end_tag(p);
        self.end_memo.insert(p, q);
        q
    }

    fn start_tag_open(&mut self, p: P, ns: &str, local: &str) -> P {
        let p = self.deref(p);
        match self.get(p).clone() {
            Pat::Choice(a, b) => {
                let x = self.start_tag_open(a, ns, local);
                let y = self.start_tag_open(b, ns, local);
                self.choice(x, y)
            }
            Pat::Element(nc, c) => {
                if self.g.names[nc as usize].contains(ns, local) {
                    self.after(c, EMPTY)
                } else {
                    NOT_ALLOWED
                }
            }
            Pat::Interleave(a, b) => {
                let da = self.start_tag_open(a, ns, local);
                let x = self.apply_after(da, &mut |s, q| s.interleave(q, b));
                let db = self.start_tag_open(b, ns, local);
                let y = self.apply_after(db, &mut |s, q| s.interleave(a, q));
                self.choice(x, y)
            }
            Pat::OneOrMore(a) => {
                let da = self.start_tag_open(a, ns, local);
                self.apply_after(da, &mut |s, q| {
                    let om = s.one_or_more(a);
                    let opt = s.choice(om, EMPTY);
                    s.group(q, opt)
                })
            }
            Pat::Group(a, b) => {
                let da = self.start_tag_open(a, ns, local);
                let x = self.apply_after(da, &mut |s, q| s.group(q, b));
                if self.nullable(a) {
                    let y = self.start_tag_open(b, ns, local);
                    self.choice(x, y)
                } else {
                    x
                }
            }
            Pat::After(a, b) => {
                let da = self.start_tag_open(a, ns, local);
                self.apply_after(da, &mut |s, q| s.after(q, b))
            }
            _ => NOT_ALLOWED,
        }
    }

    fn att_deriv(&mut self, p: P, a: &AttrRef<'_>) -> P {
        let p = self.deref(p);
        match self.get(p).clone() {
            Pat::After(x, y) => {
                let dx = self.att_deriv(x, a);
                self.after(dx, y)
            }
            Pat::Choice(x, y) => {
                let dx = self.att_deriv(x, a);
                let dy = self.att_deriv(y, a);
                self.choice(dx, dy)
            }
            Pat::Group(x, y) => {
                let dx = self.att_deriv(x, a);
                let l = self.group(dx, y);
                let dy = self.att_deriv(y, a);
                let r = self.group(x, dy);
                self.choice(l, r)
            }
            Pat::Interleave(x, y) => {
                let dx = self.att_deriv(x, a);
                let l = self.interleave(dx, y);
                let dy = self.att_deriv(y, a);
                let r = self.interleave(x, dy);
                self.choice(l, r)
            }
            Pat::OneOrMore(x) => {
                let dx = self.att_deriv(x, a);
                let om = self.one_or_more(x);
                let opt = self.choice(om, EMPTY);
                self.group(dx, opt)
            }
            Pat::Attribute(nc, c) => {
                if self.g.names[nc as usize].contains(a.ns, a.local) && self.value_match(c, a.value)
                {
                    EMPTY
                } else {
                    NOT_ALLOWED
                }
            }
            _ => NOT_ALLOWED,
        }
    }

    fn value_match(&mut self, p: P, s: &str) -> bool {
        (self.nullable(p) && is_ws(s)) || {
            let d = self.text_deriv_memo(p, s);
            self.nullable(d)
        }
    }

    fn start_tag_close(&mut self, p: P) -> P {
        let p = self.deref(p);
        match self.get(p).clone() {
            Pat::After(x, y) => {
                let c = self.start_tag_close(x);
                self.after(c, y)
            }
            Pat::Choice(x, y) => {
                let a = self.start_tag_close(x);
                let b = self.start_tag_close(y);
                self.choice(a, b)
            }
            Pat::Group(x, y) => {
                let a = self.start_tag_close(x);
                let b = self.start_tag_close(y);
                self.group(a, b)
            }
            Pat::Interleave(x, y) => {
                let a = self.start_tag_close(x);
                let b = self.start_tag_close(y);
                self.interleave(a, b)
            }
            Pat::OneOrMore(x) => {
                let a = self.start_tag_close(x);
                self.one_or_more(a)
            }
            Pat::Attribute(..) => NOT_ALLOWED,
            _ => p,
        }
    }

    /// Like `start_tag_close`, but missing attributes are forgiven (error recovery).
    fn drop_attributes(&mut self, p: P) -> P {
        let p = self.deref(p);
        match self.get(p).clone() {
            Pat::After(x, y) => {
                let c = self.drop_attributes(x);
                self.after(c, y)
            }
            Pat::Choice(x, y) => {
                let a = self.drop_attributes(x);
                let b = self.drop_attributes(y);
                self.choice(a, b)
            }
            Pat::Group(x, y) => {
                let a = self.drop_attributes(x);
                let b = self.drop_attributes(y);
                self.group(a, b)
            }
            Pat::Interleave(x, y) => {
                let a = self.drop_attributes(x);
                let b = self.drop_attributes(y);
                self.interleave(a, b)
            }
            Pat::OneOrMore(x) => {
                let a = self.drop_attributes(x);
                self.one_or_more(a)
            }
            Pat::Attribute(..) => EMPTY,
            _ => p,
        }
    }

    fn text_deriv(&mut self, p: P, s: &str) -> P {
        let p = self.deref(p);
        match self.get(p).clone() {
            Pat::Choice(x, y) => {
                let a = self.text_deriv(x, s);
                let b = self.text_deriv(y, s);
                self.choice(a, b)
            }
            Pat::Interleave(x, y) => {
                let dx = self.text_deriv(x, s);
                let l = self.interleave(dx, y);
                let dy = self.text_deriv(y, s);
                let r = self.interleave(x, dy);
                self.choice(l, r)
            }
            Pat::Group(x, y) => {
                let dx = self.text_deriv(x, s);
                let g = self.group(dx, y);
                if self.nullable(x) {
                    let dy = self.text_deriv(y, s);
                    self.choice(g, dy)
                } else {
                    g
                }
            }
            Pat::After(x, y) => {
                let dx = self.text_deriv(x, s);
                self.after(dx, y)
            }
            Pat::OneOrMore(x) => {
                let dx = self.text_deriv(x, s);
                let om = self.one_or_more(x);
                let opt = self.choice(om, EMPTY);
                self.group(dx, opt)
            }
            Pat::Text => TEXT,
            Pat::Value(t, v) => {
                if value_equal(&self.g.types, t, &v, s) {
                    EMPTY
                } else {
                    NOT_ALLOWED
                }
            }
            Pat::Data(t, except) => {
                if types::validate(&TypeTable(&self.g.types, self.g.processor), t, s).is_err() {
                    return NOT_ALLOWED;
                }
                if let Some(e) = except {
                    let d = self.text_deriv(e, s);
                    if self.nullable(d) {
                        return NOT_ALLOWED;
                    }
                }
                EMPTY
            }
            Pat::List(x) => {
                let mut q = x;
                for w in s.split([' ', '\t', '\n', '\r']).filter(|w| !w.is_empty()) {
                    q = self.text_deriv(q, w);
                    if q == NOT_ALLOWED {
                        break;
                    }
                }
                if self.nullable(q) { EMPTY } else { NOT_ALLOWED }
            }
            _ => NOT_ALLOWED,
        }
    }

    fn end_tag(&mut self, p: P) -> P {
        match self.get(p).clone() {
            Pat::Choice(x, y) => {
                let a = self.end_tag(x);
                let b = self.end_tag(y);
                self.choice(a, b)
            }
            Pat::After(x, y) => {
                if self.nullable(x) {
                    y
                } else {
                    NOT_ALLOWED
                }
            }
            _ => NOT_ALLOWED,
        }
    }

    /// Recovery after an error at an end tag: what follows the element, whatever its content.
    fn force_end(&mut self, p: P) -> P {
        match self.get(p).clone() {
            Pat::Choice(x, y) => {
                let a = self.force_end(x);
                let b = self.force_end(y);
                self.choice(a, b)
            }
            Pat::After(_, y) => y,
            _ => NOT_ALLOWED,
        }
    }

    /// Names of the elements that may start here (for messages).
    fn expected(&mut self, p: P, out: &mut Vec<String>, seen: &mut Vec<P>, d: usize) {
        if d > 200 || out.len() > 30 || seen.contains(&p) {
            return;
        }
        seen.push(p);
        let p = self.deref(p);
        match self.get(p).clone() {
            Pat::Choice(a, b) | Pat::Interleave(a, b) => {
                self.expected(a, out, seen, d + 1);
                self.expected(b, out, seen, d + 1);
            }
            Pat::Group(a, b) => {
                self.expected(a, out, seen, d + 1);
                if self.nullable(a) {
                    self.expected(b, out, seen, d + 1);
                }
            }
            Pat::OneOrMore(a) => self.expected(a, out, seen, d + 1),
            Pat::After(a, _) => self.expected(a, out, seen, d + 1),
            Pat::Element(nc, _) => {
                let s = self.g.names[nc as usize].describe();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            Pat::Text | Pat::Data(..) | Pat::Value(..) | Pat::List(_) => {
                let s = match self.get(p) {
                    Pat::Value(_, v) => {
                        format!("the value '{}'", v.chars().take(80).collect::<String>())
                    }
                    Pat::Data(t, _) => format!("a value of type {}", self.g.types[*t].display),
                    _ => "text".to_string(),
                };
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            _ => {}
        }
    }

    fn describe_expected(&mut self, p: P) -> String {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        self.expected(p, &mut out, &mut seen, 0);
        if out.is_empty() {
            "no further child element".into()
        } else {
            out.join(", ")
        }
    }
}

fn is_ws(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Whether `s` equals the (normalised) value `v` of datatype `t`.
fn value_equal(types: &[SimpleType], t: TypeId, v: &str, s: &str) -> bool {
    let st = &types[t];
    let got = types::normalize(s, st.ws);
    match prim(types, t) {
        Some(b)
            if matches!(b, Builtin::Decimal) || b.base() == Some(Builtin::Decimal) || is_int(b) =>
        {
            types::dec_cmp(&got, v) == Some(std::cmp::Ordering::Equal)
        }
        _ => *got == *v,
    }
}

fn is_int(b: Builtin) -> bool {
    let mut x = Some(b);
    while let Some(y) = x {
        if y == Builtin::Integer {
            return true;
        }
        x = y.base();
    }
    false
}

fn prim(types: &[SimpleType], mut t: TypeId) -> Option<Builtin> {
    for _ in 0..32 {
        let st = types.get(t)?;
        match (&st.variety, st.base) {
            (_, Some(b)) => t = b,
            (Variety::Atomic(b), None) => return Some(*b),
            _ => return None,
        }
    }
    None
}

// ---------------------------------------------------------------------------------
// Compilation

struct Compiler {
    g: RelaxNg,
    doc: Doc,
    def_names: HashMap<String, u32>,
    def_bodies: Vec<Vec<(usize, Option<String>)>>,
}

fn rng_err(doc: &Doc, n: usize, msg: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Schema, format!("{}: {msg}", doc.at(n)))
}

impl RelaxNg {
    /// Compiles a RelaxNG schema from a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<RelaxNg> {
        let p = path.as_ref();
        let bytes = std::fs::read(p).map_err(|e| Error::from(e).with_path(p))?;
        let doc = Doc::parse(&bytes, &p.display().to_string())?;
        RelaxNg::compile(doc).map_err(|e| e.or_path(p))
    }

    /// Compiles a RelaxNG schema from text.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<RelaxNg> {
        let doc = Doc::parse(text.as_bytes(), "RelaxNG schema")?;
        RelaxNg::compile(doc)
    }

    /// The same schema judging datatype values as `p` does: [`super::Processor::Libxml2`]
    /// (the default, agrees with `xmllint --relaxng`) or [`super::Processor::Jing`] (what
    /// Vitam's profile check sees). [`super::Processor::Xerces`] gives Xerces's datatypes.
    ///
    /// ```
    /// use vas_core::schema::{Processor, RelaxNg};
    /// let rng = RelaxNg::from_str(r#"<element name="t" xmlns="http://relaxng.org/ns/structure/1.0"
    ///     datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes"><data type="time"/></element>"#)?;
    /// assert!(rng.validate_bytes(b"<t>24:00:00</t>").is_valid());
    /// let jing = rng.with_processor(Processor::Jing);
    /// assert!(!jing.validate_bytes(b"<t>24:00:00</t>").is_valid());
    /// assert!(jing.validate_bytes(b"<t>23:59:60</t>").is_valid());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn with_processor(mut self, p: super::Processor) -> RelaxNg {
        self.processor = p;
        self
    }

    fn compile(doc: Doc) -> Result<RelaxNg> {
        let mut g = RelaxNg {
            pats: Vec::new(),
            index: HashMap::default(),
            names: Vec::new(),
            defs: Vec::new(),
            start: NOT_ALLOWED,
            types: Vec::new(),
            id_attrs: Vec::new(),
            processor: super::Processor::Libxml2,
        };
        for p in [Pat::Empty, Pat::NotAllowed, Pat::Text] {
            g.intern(p);
        }
        for b in Builtin::ALL {
            g.types.push(SimpleType {
                display: format!("xsd:{}", b.name()).into(),
                base: None,
                variety: Variety::Atomic(*b),
                facets: Facets::default(),
                ws: b.ws(),
            });
        }
        let mut c = Compiler {
            g,
            doc,
            def_names: HashMap::new(),
            def_bodies: Vec::new(),
        };
        let root = c.doc.root();
        let ctx = Ctx {
            ns: c.doc.attr(root, "ns").unwrap_or("").to_string(),
            dtlib: c
                .doc
                .attr(root, "datatypeLibrary")
                .unwrap_or("")
                .to_string(),
        };
        if c.doc.nodes[root].ns != RNG {
            return Err(rng_err(
                &c.doc,
                root,
                "the root element is not in the RelaxNG namespace",
            ));
        }
        let start = if c.doc.nodes[root].local == "grammar" {
            c.grammar(root, &ctx)?
        } else {
            c.pattern(root, &ctx)?
        };
        c.g.start = start;
        c.g.collect_id_attrs();
        Ok(c.g)
    }

    fn collect_id_attrs(&mut self) {
        let mut pairs = Vec::new();
        for p in 0..self.pats.len() {
            if let Pat::Element(enc, content) = self.pats[p] {
                let mut stack = vec![content];
                let mut seen = Vec::new();
                while let Some(q) = stack.pop() {
                    if seen.contains(&q) || seen.len() > 10_000 {
                        continue;
                    }
                    seen.push(q);
                    match &self.pats[q as usize] {
                        Pat::Group(a, b)
                        | Pat::Choice(a, b)
                        | Pat::Interleave(a, b)
                        | Pat::After(a, b) => {
                            stack.push(*a);
                            stack.push(*b);
                        }
                        Pat::OneOrMore(a) => stack.push(*a),
                        Pat::Ref(i) => stack.push(self.defs[*i as usize]),
                        Pat::Attribute(anc, ac) => {
                            let is_id = match &self.pats[*ac as usize] {
                                Pat::Data(t, _) | Pat::Value(t, _) => {
                                    prim(&self.types, *t) == Some(Builtin::Id)
                                }
                                _ => false,
                            };
                            if is_id && !pairs.contains(&(enc, *anc)) {
                                pairs.push((enc, *anc));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        self.id_attrs = pairs;
    }

    fn intern(&mut self, p: Pat) -> P {
        if let Some(i) = self.index.get(&p) {
            return *i;
        }
        let id = self.pats.len() as P;
        self.pats.push(p.clone());
        self.index.insert(p, id);
        id
    }

    /// Validates a document held in memory.
    pub fn validate_bytes(&self, xml: &[u8]) -> Report {
        self.validate_reader(xml, &ValidationOptions::default())
    }

    /// Validates a document from a buffered reader (streaming).
    pub fn validate_reader<R: BufRead>(&self, input: R, opts: &ValidationOptions) -> Report {
        run(self, input, opts)
    }

    /// Validates a file.
    pub fn validate_file(
        &self,
        path: impl AsRef<Path>,
        opts: &ValidationOptions,
    ) -> Result<Report> {
        let p = path.as_ref();
        let f = std::fs::File::open(p).map_err(|e| Error::from(e).with_path(p))?;
        Ok(self.validate_reader(std::io::BufReader::with_capacity(1 << 16, f), opts))
    }
}

#[derive(Clone)]
struct Ctx {
    ns: String,
    dtlib: String,
}

impl Compiler {
    fn ctx_for(&self, n: usize, parent: &Ctx) -> Ctx {
        Ctx {
            ns: self
                .doc
                .attr(n, "ns")
                .map(|s| s.to_string())
                .unwrap_or_else(|| parent.ns.clone()),
            dtlib: self
                .doc
                .attr(n, "datatypeLibrary")
                .map(|s| s.to_string())
                .unwrap_or_else(|| parent.dtlib.clone()),
        }
    }

    fn rng_children(&self, n: usize) -> Vec<usize> {
        self.doc.children_in(n, RNG).collect()
    }

    fn grammar(&mut self, n: usize, ctx: &Ctx) -> Result<P> {
        // First pass: collect defines (with combine) and start.
        let mut starts: Vec<(usize, Option<String>)> = Vec::new();
        self.collect_grammar(n, &mut starts, 0)?;
        // allocate Ref ids
        for (name, idx) in self.def_names.clone() {
            let _ = name;
            let _ = idx;
        }
        self.g.defs = vec![NOT_ALLOWED; self.def_bodies.len()];
        let bodies = std::mem::take(&mut self.def_bodies);
        for (i, parts) in bodies.iter().enumerate() {
            let mut acc: Option<P> = None;
            for (node, combine) in parts {
                let c = self.ctx_for(*node, ctx);
                let p = self.group_children(*node, &c)?;
                acc = Some(match (acc, combine.as_deref()) {
                    (None, _) => p,
                    (Some(a), Some("interleave")) => self.g.intern(Pat::Interleave(a, p)),
                    (Some(a), _) => self.g.intern(Pat::Choice(a, p)),
                });
            }
            self.g.defs[i] = acc.unwrap_or(NOT_ALLOWED);
        }
        let mut acc: Option<P> = None;
        for (node, combine) in starts {
            let c = self.ctx_for(node, ctx);
            let p = self.group_children(node, &c)?;
            acc = Some(match (acc, combine.as_deref()) {
                (None, _) => p,
                (Some(a), Some("interleave")) => self.g.intern(Pat::Interleave(a, p)),
                (Some(a), _) => self.g.intern(Pat::Choice(a, p)),
            });
        }
        acc.ok_or_else(|| rng_err(&self.doc, n, "grammar without start"))
    }

    fn collect_grammar(
        &mut self,
        n: usize,
        starts: &mut Vec<(usize, Option<String>)>,
        d: usize,
    ) -> Result<()> {
        if d > 32 {
            return Err(rng_err(&self.doc, n, "divisions nested too deeply"));
        }
        for c in self.rng_children(n) {
            let local = self.doc.nodes[c].local.clone();
            let combine = self.doc.attr(c, "combine").map(|s| s.to_string());
            match local.as_str() {
                "start" => starts.push((c, combine)),
                "define" => {
                    let name = self
                        .doc
                        .attr(c, "name")
                        .ok_or_else(|| rng_err(&self.doc, c, "define without name"))?
                        .trim()
                        .to_string();
                    let idx = match self.def_names.get(&name) {
                        Some(i) => *i,
                        None => {
                            let i = self.def_bodies.len() as u32;
                            self.def_names.insert(name, i);
                            self.def_bodies.push(Vec::new());
                            i
                        }
                    };
                    self.def_bodies[idx as usize].push((c, combine));
                }
                "div" => self.collect_grammar(c, starts, d + 1)?,
                "include" => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("{}: rng:include is not supported", self.doc.at(c)),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The children patterns of `n` (skipping name-class children), grouped.
    fn group_children(&mut self, n: usize, ctx: &Ctx) -> Result<P> {
        let mut acc = EMPTY;
        let kids = self.rng_children(n);
        let mut first = true;
        for k in kids {
            let local = self.doc.nodes[k].local.as_str();
            if matches!(local, "name" | "anyName" | "nsName" | "param" | "except") {
                continue;
            }
            let p = self.pattern(k, ctx)?;
            acc = if first {
                p
            } else {
                self.g.intern(Pat::Group(acc, p))
            };
            first = false;
        }
        Ok(acc)
    }

    fn fold(&mut self, n: usize, ctx: &Ctx, f: fn(P, P) -> Pat) -> Result<P> {
        let kids = self.rng_children(n);
        let mut acc: Option<P> = None;
        for k in kids {
            let p = self.pattern(k, ctx)?;
            acc = Some(match acc {
                None => p,
                Some(a) => self.g.intern(f(a, p)),
            });
        }
        Ok(acc.unwrap_or(EMPTY))
    }

    fn pattern(&mut self, n: usize, parent: &Ctx) -> Result<P> {
        let ctx = self.ctx_for(n, parent);
        let local = self.doc.nodes[n].local.clone();
        Ok(match local.as_str() {
            "element" | "attribute" => {
                let is_attr = local == "attribute";
                let nc = match self.doc.attr(n, "name") {
                    Some(q) => {
                        let q = q.trim().to_string();
                        let (ns, l) = match q.split_once(':') {
                            Some(_) => self.doc.resolve_qname(n, &q).ok_or_else(|| {
                                rng_err(&self.doc, n, format!("undeclared prefix in '{q}'"))
                            })?,
                            None => (
                                if is_attr && self.doc.attr(n, "ns").is_none() {
                                    String::new()
                                } else {
                                    ctx.ns.clone()
                                },
                                q.clone(),
                            ),
                        };
                        NameClass::Name(ns, l)
                    }
                    None => {
                        let first = self.rng_children(n).into_iter().next().ok_or_else(|| {
                            rng_err(&self.doc, n, format!("{local} without a name"))
                        })?;
                        self.name_class(first, &ctx, is_attr)?
                    }
                };
                let nci = self.g.names.len() as u32;
                self.g.names.push(nc);
                let mut kids = self.rng_children(n);
                if self.doc.attr(n, "name").is_none() && !kids.is_empty() {
                    kids.remove(0);
                }
                let mut content = EMPTY;
                for (i, k) in kids.iter().enumerate() {
                    let p = self.pattern(*k, &ctx)?;
                    content = if i == 0 {
                        p
                    } else {
                        self.g.intern(Pat::Group(content, p))
                    };
                }
                if is_attr {
                    if kids.is_empty() {
                        content = TEXT;
                    }
                    self.g.intern(Pat::Attribute(nci, content))
                } else {
                    self.g.intern(Pat::Element(nci, content))
                }
            }
            "group" => self.fold(n, &ctx, Pat::Group)?,
            "interleave" => self.fold(n, &ctx, Pat::Interleave)?,
            "choice" => {
                let kids = self.rng_children(n);
                let mut acc: Option<P> = None;
                for k in kids {
                    let p = self.pattern(k, &ctx)?;
                    acc = Some(match acc {
                        None => p,
                        Some(a) => self.g.intern(Pat::Choice(a, p)),
                    });
                }
                acc.unwrap_or(NOT_ALLOWED)
            }
            "optional" => {
                let p = self.fold(n, &ctx, Pat::Group)?;
                self.g.intern(Pat::Choice(p, EMPTY))
            }
            "zeroOrMore" => {
                let p = self.fold(n, &ctx, Pat::Group)?;
                let o = self.g.intern(Pat::OneOrMore(p));
                self.g.intern(Pat::Choice(o, EMPTY))
            }
            "oneOrMore" => {
                let p = self.fold(n, &ctx, Pat::Group)?;
                self.g.intern(Pat::OneOrMore(p))
            }
            "mixed" => {
                let p = self.fold(n, &ctx, Pat::Group)?;
                self.g.intern(Pat::Interleave(p, TEXT))
            }
            "list" => {
                let p = self.fold(n, &ctx, Pat::Group)?;
                self.g.intern(Pat::List(p))
            }
            "empty" => EMPTY,
            "text" => TEXT,
            "notAllowed" => NOT_ALLOWED,
            "ref" => {
                let name = self.doc.attr(n, "name").unwrap_or("").trim().to_string();
                let i = *self.def_names.get(&name).ok_or_else(|| {
                    rng_err(
                        &self.doc,
                        n,
                        format!("reference to undefined pattern '{name}'"),
                    )
                })?;
                self.g.intern(Pat::Ref(i))
            }
            "data" | "value" => {
                let ty = self.doc.attr(n, "type").map(|s| s.trim().to_string());
                let (lib, ty) = match ty {
                    Some(t) => (ctx.dtlib.clone(), t),
                    None => (String::new(), "token".to_string()),
                };
                let b = if lib.is_empty() {
                    match ty.as_str() {
                        "string" => Builtin::String,
                        "token" => Builtin::Token,
                        _ => {
                            return Err(rng_err(
                                &self.doc,
                                n,
                                format!("unknown built-in datatype '{ty}'"),
                            ));
                        }
                    }
                } else if lib == XSD_DT {
                    Builtin::ALL
                        .iter()
                        .copied()
                        .find(|b| b.name() == ty)
                        .ok_or_else(|| {
                            rng_err(&self.doc, n, format!("unknown XSD datatype '{ty}'"))
                        })?
                } else {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "{}: datatype library '{lib}' is not supported",
                            self.doc.at(n)
                        ),
                    ));
                };
                let base = Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0);
                if local == "value" {
                    let v = types::normalize(&self.doc.nodes[n].text, b.ws()).into_owned();
                    self.g.intern(Pat::Value(base, v.into()))
                } else {
                    let t = self.data_type(n, base)?;
                    let except = match self
                        .rng_children(n)
                        .into_iter()
                        .find(|k| self.doc.nodes[*k].local == "except")
                    {
                        Some(e) => {
                            let kids = self.rng_children(e);
                            let mut acc: Option<P> = None;
                            for k in kids {
                                let p = self.pattern(k, &ctx)?;
                                acc = Some(match acc {
                                    None => p,
                                    Some(a) => self.g.intern(Pat::Choice(a, p)),
                                });
                            }
                            acc
                        }
                        None => None,
                    };
                    self.g.intern(Pat::Data(t, except))
                }
            }
            "grammar" | "parentRef" | "externalRef" => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("{}: rng:{local} here is not supported", self.doc.at(n)),
                ));
            }
            other => {
                return Err(rng_err(
                    &self.doc,
                    n,
                    format!("unknown RelaxNG pattern '{other}'"),
                ));
            }
        })
    }

    fn data_type(&mut self, n: usize, base: TypeId) -> Result<TypeId> {
        let params: Vec<usize> = self
            .rng_children(n)
            .into_iter()
            .filter(|k| self.doc.nodes[*k].local == "param")
            .collect();
        if params.is_empty() {
            return Ok(base);
        }
        let mut f = Facets::default();
        let mut ws = self.g.types[base].ws;
        for p in params {
            let name = self.doc.attr(p, "name").unwrap_or("").to_string();
            let val = self.doc.nodes[p].text.trim().to_string();
            let num = || -> Result<usize> {
                val.parse::<usize>()
                    .map_err(|_| rng_err(&self.doc, p, format!("bad value for param {name}")))
            };
            match name.as_str() {
                "length" => f.length = Some(num()?),
                "minLength" => f.min_length = Some(num()?),
                "maxLength" => f.max_length = Some(num()?),
                "totalDigits" => f.total_digits = Some(num()?),
                "fractionDigits" => f.fraction_digits = Some(num()?),
                "minInclusive" => f.min_inclusive = Some(val),
                "maxInclusive" => f.max_inclusive = Some(val),
                "minExclusive" => f.min_exclusive = Some(val),
                "maxExclusive" => f.max_exclusive = Some(val),
                "pattern" => {
                    let raw = self.doc.nodes[p].text.clone();
                    let t = super::regex_xsd::translate(&raw)?;
                    let re = regex::Regex::new(&t)
                        .map_err(|e| rng_err(&self.doc, p, format!("pattern '{raw}': {e}")))?;
                    f.patterns.push((re, raw));
                }
                "whiteSpace" => {
                    ws = match val.as_str() {
                        "preserve" => Ws::Preserve,
                        "replace" => Ws::Replace,
                        _ => Ws::Collapse,
                    }
                }
                other => {
                    return Err(rng_err(
                        &self.doc,
                        p,
                        format!("unknown datatype parameter '{other}'"),
                    ));
                }
            }
        }
        let display = self.g.types[base].display.clone();
        self.g.types.push(SimpleType {
            display,
            base: Some(base),
            variety: self.g.types[base].variety.clone(),
            facets: f,
            ws,
        });
        Ok(self.g.types.len() - 1)
    }

    fn name_class(&mut self, n: usize, parent: &Ctx, is_attr: bool) -> Result<NameClass> {
        let ctx = self.ctx_for(n, parent);
        let local = self.doc.nodes[n].local.clone();
        let except = |c: &mut Compiler| -> Result<Option<NameClass>> {
            let e = c
                .rng_children(n)
                .into_iter()
                .find(|k| c.doc.nodes[*k].local == "except");
            match e {
                None => Ok(None),
                Some(e) => {
                    let kids = c.rng_children(e);
                    let mut acc: Option<NameClass> = None;
                    for k in kids {
                        let x = c.name_class(k, &ctx, is_attr)?;
                        acc = Some(match acc {
                            None => x,
                            Some(a) => NameClass::Choice(Box::new(a), Box::new(x)),
                        });
                    }
                    Ok(acc)
                }
            }
        };
        Ok(match local.as_str() {
            "anyName" => match except(self)? {
                Some(e) => NameClass::AnyExcept(Box::new(e)),
                None => NameClass::Any,
            },
            "nsName" => match except(self)? {
                Some(e) => NameClass::NsNameExcept(ctx.ns.clone(), Box::new(e)),
                None => NameClass::NsName(ctx.ns.clone()),
            },
            "name" => {
                let q = self.doc.nodes[n].text.trim().to_string();
                match q.split_once(':') {
                    Some(_) => {
                        let (ns, l) = self.doc.resolve_qname(n, &q).ok_or_else(|| {
                            rng_err(&self.doc, n, format!("undeclared prefix in '{q}'"))
                        })?;
                        NameClass::Name(ns, l)
                    }
                    None => {
                        let ns = if is_attr && self.doc.attr(n, "ns").is_none() {
                            String::new()
                        } else {
                            ctx.ns.clone()
                        };
                        NameClass::Name(ns, q)
                    }
                }
            }
            "choice" => {
                let kids = self.rng_children(n);
                let mut acc: Option<NameClass> = None;
                for k in kids {
                    let x = self.name_class(k, &ctx, is_attr)?;
                    acc = Some(match acc {
                        None => x,
                        Some(a) => NameClass::Choice(Box::new(a), Box::new(x)),
                    });
                }
                acc.ok_or_else(|| rng_err(&self.doc, n, "empty name-class choice"))?
            }
            other => {
                return Err(rng_err(
                    &self.doc,
                    n,
                    format!("'{other}' is not a name class"),
                ));
            }
        })
    }
}

// ---------------------------------------------------------------------------------
// Validation

struct Open {
    /// Where the element's segment (`/local` or `/local[@id='…']`) starts in the path.
    seg: usize,
    line: u64,
    col: u64,
    had_child: bool,
}

fn run<R: BufRead>(g: &RelaxNg, input: R, opts: &ValidationOptions) -> Report {
    let mut s = Store {
        g,
        extra: Vec::new(),
        index: HashMap::default(),
        nullable_memo: HashMap::default(),
        open_memo: HashMap::default(),
        close_memo: HashMap::default(),
        end_memo: HashMap::default(),
        names: DocNames::default(),
        id_elem: Vec::new(),
        id_pair: HashMap::default(),
        text_plan: HashMap::default(),
        text_memo: HashMap::default(),
        att_plan: HashMap::default(),
        att_memo: HashMap::default(),
        values: ValueCache::default(),
        vids: ValueIds::default(),
    };
    let limits = Limits {
        max_depth: opts.max_depth,
        max_text: opts.max_text,
    };
    let mut xin = XmlInput::new(input, limits);
    let mut findings: Vec<Finding> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    // The path of the open elements (and, during a start tag, of the new one), and the
    // pending text of the innermost open element: one buffer each for the whole
    // document (only the innermost element collects text: its parent's text was
    // consumed when it started).
    let mut path = String::new();
    let mut text = String::new();
    let mut p = g.start;
    let mut skip_depth = 0usize;
    let mut root = None;
    let mut truncated = false;
    let mut ids = super::validate::IdTable::default();
    macro_rules! find {
        ($line:expr, $col:expr, $path:expr, $msg:expr) => {
            if findings.len() >= opts.max_findings {
                truncated = true;
            } else {
                findings.push(Finding {
                    line: $line,
                    column: $col,
                    path: $path,
                    message: $msg,
                    kind: FindingKind::Profile,
                });
            }
        };
    }
    loop {
        if truncated {
            break;
        }
        // Borrowed events: names, attributes and text are read from the input's window
        // (the owned `next` allocated every name, attribute and text node).
        let ev = match xin.advance() {
            Ok(ev) => ev,
            Err(pr) => {
                let kind = match pr.kind {
                    ErrorKind::LimitExceeded => FindingKind::Limit,
                    ErrorKind::Unsafe => FindingKind::Unsafe,
                    _ => FindingKind::Xml,
                };
                let end = stack.last().map(|_| path.len()).unwrap_or(0);
                findings.push(Finding {
                    line: pr.line,
                    column: pr.col,
                    path: path[..end].to_string(),
                    message: pr.message,
                    kind,
                });
                return Report {
                    findings,
                    reference_findings: Vec::new(),
                    truncated,
                    root,
                    complete: false,
                };
            }
        };
        match ev {
            Ev::Start => {
                if skip_depth > 0 {
                    skip_depth += 1;
                    continue;
                }
                let (line, col) = xin.elem_pos();
                let ns: &str = xin.elem_ns();
                let local: &str = xin.elem_local();
                if root.is_none() {
                    root = Some((ns.to_string(), local.to_string()));
                }
                // text before this child (mixed content)
                if let Some(top) = stack.last_mut() {
                    top.had_child = true;
                    if !is_ws(&text) {
                        let d = s.text_deriv_memo(p, &text);
                        if d == NOT_ALLOWED {
                            let (l, c) = (top.line, top.col);
                            find!(
                                l,
                                c,
                                path.clone(),
                                format!(
                                    "text '{}' is not allowed here by the profile",
                                    text.trim().chars().take(40).collect::<String>()
                                )
                            );
                        } else {
                            p = d;
                        }
                    }
                }
                text.clear();
                let seg = path.len();
                path.push('/');
                path.push_str(local);
                if let Some(a) = xin.attrs().find(|a| a.local == "id") {
                    path.push_str("[@id='");
                    path.push_str(a.value);
                    path.push_str("']");
                }
                let eid = s.names.id(xin.elem_ns_id(), local);
                let q = s.start_tag_open_memo(p, eid, ns, local);
                if q == NOT_ALLOWED {
                    let exp = s.describe_expected(p);
                    find!(
                        line,
                        col,
                        path.clone(),
                        format!(
                            "element {local} is not allowed here by the profile; expected: {exp}"
                        )
                    );
                    path.truncate(seg);
                    skip_depth = 1;
                    continue;
                }
                let mut q = q;
                for a in xin.attrs() {
                    if a.ns == "http://www.w3.org/2000/xmlns/" {
                        continue;
                    }
                    let aid = s.names.id(a.ns_id, a.local);
                    let d = s.att_deriv_memo(q, aid, &a);
                    if d != NOT_ALLOWED
                        && !g.id_attrs.is_empty()
                        && s.is_id_attr(eid, ns, local, aid, &a)
                    {
                        let v = a.value.trim();
                        if let Some(first) = ids.insert(v, line) {
                            find!(
                                line,
                                col,
                                path.clone(),
                                format!(
                                    "duplicate identifier '{v}' (already used at line {first})"
                                )
                            );
                        }
                    }
                    if d == NOT_ALLOWED {
                        let qn = a.qname.to_string();
                        find!(
                            line,
                            col,
                            path.clone(),
                            format!(
                                "attribute '{qn}' (value '{}') is not allowed by the profile",
                                a.value
                            )
                        );
                    } else {
                        q = d;
                    }
                }
                let c = s.start_tag_close_memo(q);
                let c = if c == NOT_ALLOWED {
                    find!(
                        line,
                        col,
                        path.clone(),
                        "a required attribute is missing (profile)".to_string()
                    );
                    // recover: forget the missing attributes
                    s.drop_attributes(q)
                } else {
                    c
                };
                p = c;
                stack.push(Open {
                    seg,
                    line,
                    col,
                    had_child: false,
                });
            }
            Ev::Text | Ev::End => {
                if ev == Ev::Text {
                    if skip_depth > 0 || stack.is_empty() {
                        continue;
                    }
                    let whole = text.is_empty() && xin.text_ends_element();
                    if !whole {
                        text.push_str(xin.text());
                        continue;
                    }
                    // The whole text of the element, followed by its end tag (already
                    // read): checked where the input holds it, and the end handled now.
                } else if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                let Some(top) = stack.pop() else { continue };
                let t: &str = if ev == Ev::Text { xin.text() } else { &text };
                let mut text_failed = false;
                // final text
                if !top.had_child {
                    let ws = is_ws(t);
                    let d = s.text_deriv_memo(p, t);
                    let d = if ws { s.choice(p, d) } else { d };
                    if d == NOT_ALLOWED {
                        let exp = s.describe_expected(p);
                        let shown: String = t.trim().chars().take(60).collect();
                        find!(
                            top.line,
                            top.col,
                            path.clone(),
                            format!(
                                "value '{shown}' is not allowed here by the profile; expected: {exp}"
                            )
                        );
                        text_failed = true;
                    } else {
                        p = d;
                    }
                } else if !is_ws(t) {
                    let d = s.text_deriv_memo(p, t);
                    if d != NOT_ALLOWED {
                        p = d;
                    } else {
                        find!(
                            top.line,
                            top.col,
                            path.clone(),
                            "text is not allowed here by the profile".to_string()
                        );
                        text_failed = true;
                    }
                }
                text.clear();
                let e = s.end_tag_memo(p);
                if e == NOT_ALLOWED {
                    if !text_failed {
                        let exp = s.describe_expected(p);
                        find!(
                            top.line,
                            top.col,
                            path.clone(),
                            format!("element is incomplete for the profile; expected: {exp}")
                        );
                    }
                    p = s.force_end(p);
                } else {
                    p = e;
                }
                path.truncate(top.seg);
                if ev == Ev::Text {
                    match xin.advance() {
                        Ok(Ev::End) => {}
                        other => unreachable!("the stashed end tag, not {other:?}"),
                    }
                }
            }
            Ev::Eof => break,
        }
    }
    Report {
        findings,
        reference_findings: Vec::new(),
        truncated,
        root,
        complete: !truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> RelaxNg {
        RelaxNg::from_str(s).expect("compiles")
    }

    #[test]
    fn interleave_and_attributes() {
        let r = g(
            r#"<element name="a" xmlns="http://relaxng.org/ns/structure/1.0">
            <attribute name="k"><choice><value>x</value><value>y</value></choice></attribute>
            <interleave><element name="b"><text/></element><element name="c"><empty/></element></interleave>
          </element>"#,
        );
        assert!(r.validate_bytes(b"<a k='x'><c/><b>t</b></a>").is_valid());
        assert!(r.validate_bytes(b"<a k='y'><b/><c/></a>").is_valid());
        assert!(!r.validate_bytes(b"<a k='z'><b/><c/></a>").is_valid());
        assert!(!r.validate_bytes(b"<a><b/><c/></a>").is_valid());
        assert!(!r.validate_bytes(b"<a k='x'><b/></a>").is_valid());
    }

    #[test]
    fn data_params_and_except() {
        let r = g(
            r#"<element name="a" xmlns="http://relaxng.org/ns/structure/1.0"
              datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">
            <oneOrMore><element name="n"><data type="integer"><param name="maxInclusive">10</param></data></element></oneOrMore>
            <zeroOrMore><element name="s"><data type="token"><except><value>no</value></except></data></element></zeroOrMore>
          </element>"#,
        );
        assert!(
            r.validate_bytes(b"<a><n>1</n><n> 10 </n><s>yes</s></a>")
                .is_valid()
        );
        assert!(!r.validate_bytes(b"<a><n>11</n></a>").is_valid());
        assert!(!r.validate_bytes(b"<a><n>1</n><s>no</s></a>").is_valid());
        assert!(!r.validate_bytes(b"<a/>").is_valid());
    }

    #[test]
    fn recursion_through_defines() {
        let r = g(r#"<grammar xmlns="http://relaxng.org/ns/structure/1.0">
            <start><ref name="node"/></start>
            <define name="node"><element name="n"><zeroOrMore><ref name="node"/></zeroOrMore></element></define>
          </grammar>"#);
        assert!(r.validate_bytes(b"<n><n><n/></n><n/></n>").is_valid());
        let bad = r.validate_bytes(b"<n><n><m/></n></n>");
        assert_eq!(bad.findings.len(), 1);
        assert_eq!(bad.findings[0].path, "/n/n/m");
    }
}
