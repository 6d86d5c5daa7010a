//! Streaming XSD instance validation.
//!
//! The hot path allocates nothing per element once warmed up: element names are
//! looked up once per start tag as interned ids ([`super::xsd::NameIndex`]) and the
//! content-model automata compare integers; the element path is one string that grows
//! and shrinks with the open elements; automaton states and text buffers are pooled per
//! depth; simple-type checks run on borrowed text.

use std::collections::HashMap;
use std::io::Read;

use super::input::{AttrRef, Ev, Limits, NS_XML, NS_XSI, XmlInput};
use super::types::{self, ValueCache, ValueIds};
use super::xsd::{
    Compiled, Content, ElemId, FxHasher, IcKind, Leaf, Model, Process, TypeDef, Wildcard,
};
use super::{Finding, FindingKind, Processor, Report, ValidationOptions};

/// Automaton state of one open element.
enum State {
    Nfa { cur: Vec<u32>, start: bool },
    All { seen: Vec<bool> },
    None,
}

enum FrameKind<'a> {
    Typed {
        ty: usize,
        state: State,
        /// Whether the element's text is collected (simple content).
        text: bool,
        nil: bool,
        text_reported: bool,
        failed: bool,
        has_children: bool,
        fixed: Option<&'a str>,
    },
    Lax,
    Skip,
}

struct Frame<'a> {
    /// `path[seg_start..seg_end]` is `/local` or `/local[@id='…']`.
    seg_start: usize,
    seg_end: usize,
    line: u64,
    col: u64,
    kind: FrameKind<'a>,
}

enum Match<'a> {
    Elem(ElemId),
    Any(&'a Wildcard),
}

/// Marks a position not counted yet: `line` holds `UNRESOLVED | offset` (the absolute byte
/// offset of the element's `<`) and `col` 0 until the reader resolves it after the event
/// (see `Validator::resolve_positions`): lines are only counted for findings and IDs.
const UNRESOLVED: u64 = 1 << 63;
/// Stands for the line number of a duplicate identifier's first use when that use is in
/// the same event (so not counted yet); replaced by the finding's own line.
const FIRST_LINE: &str = "\u{0}";

/// A name-id lookup that found nothing: no element of the schema set has this name.
const NO_NAME: u32 = u32::MAX;
/// A namespace of the document not yet mapped to the schema's ids.
const NS_UNMAPPED: u32 = u32::MAX - 1;

pub(crate) struct Validator<'a> {
    c: &'a Compiled,
    opts: &'a ValidationOptions,
    frames: Vec<Frame<'a>>,
    /// The path of the open elements, segment by segment.
    path: String,
    /// Per depth: collected text (reused).
    texts: Vec<String>,
    /// Spare automaton position sets and `all` flags (reused).
    cur_pool: Vec<Vec<u32>>,
    seen_pool: Vec<Vec<bool>>,
    findings: Vec<Finding>,
    refs: Vec<Finding>,
    /// The `xsd:ID` values seen so far.
    ids: IdTable,
    /// The `xsd:IDREF` values seen so far, resolved at the end of the document.
    idrefs: RefList,
    /// The identifiers and references of the value being validated (reused).
    vids: ValueIds,
    /// Recently valid simple values per type (repeated values are checked once).
    values: ValueCache,
    truncated: bool,
    scratch: Vec<u32>,
    /// Document namespace id → schema namespace id (`NO_NAME`: none of the set's
    /// elements is in it).
    ns_map: Vec<u32>,
    /// Identity constraints (only used when the schema set declares some).
    ic: IcState,
    /// Findings, identifiers and references before these indexes have their lines.
    fixed: (usize, usize, usize),
}

/// Names of the open elements and the live tables of identity constraints.
#[derive(Default)]
struct IcState {
    names: Vec<(String, String)>,
    scopes: Vec<IcScope>,
    rows: Vec<IcRow>,
    /// Per open element: the (row, field) values its text provides when it ends.
    caps: Vec<Vec<(usize, usize)>>,
}

/// The table of one identity constraint under one instance of its element.
struct IcScope {
    ic: usize,
    depth: usize,
    table: HashMap<Vec<String>, u64>,
    refs: Vec<(Vec<String>, u64, u64, String)>,
}

/// The key-sequence of one selected element, being filled.
struct IcRow {
    scope: usize,
    depth: usize,
    values: Vec<Option<String>>,
    line: u64,
    col: u64,
    path: String,
}

/// The start tag being validated.
struct Tag<'x> {
    ns: &'x str,
    local: &'x str,
    /// Schema name id (`NO_NAME` when no element of the set has this name).
    name: u32,
    line: u64,
    col: u64,
}

fn display(ns: &str, local: &str, parent_ns: &str) -> String {
    if ns == parent_ns || ns.is_empty() {
        local.to_string()
    } else {
        format!("{{{ns}}}{local}")
    }
}

impl<'a> Validator<'a> {
    pub fn new(c: &'a Compiled, opts: &'a ValidationOptions) -> Self {
        Validator {
            c,
            opts,
            frames: Vec::new(),
            path: String::new(),
            texts: Vec::new(),
            cur_pool: Vec::new(),
            seen_pool: Vec::new(),
            findings: Vec::new(),
            refs: Vec::new(),
            ids: IdTable::default(),
            idrefs: RefList::default(),
            vids: ValueIds::default(),
            values: ValueCache::default(),
            truncated: false,
            scratch: Vec::new(),
            ns_map: Vec::new(),
            ic: IcState::default(),
            fixed: (0, 0, 0),
        }
    }

    /// The path of the open elements.
    fn path(&self) -> String {
        let end = self.frames.last().map(|f| f.seg_end).unwrap_or(0);
        self.path[..end].to_string()
    }

    fn report(&mut self, kind: FindingKind, line: u64, col: u64, message: String) {
        if self.findings.len() >= self.opts.max_findings {
            self.truncated = true;
            return;
        }
        let path = self.path();
        self.findings.push(Finding {
            line,
            column: col,
            path,
            message,
            kind,
        });
    }

    fn report_path(
        &mut self,
        kind: FindingKind,
        line: u64,
        col: u64,
        path: String,
        message: String,
    ) {
        if self.findings.len() >= self.opts.max_findings {
            self.truncated = true;
            return;
        }
        self.findings.push(Finding {
            line,
            column: col,
            path,
            message,
            kind,
        });
    }

    /// Reports at the position of the innermost open element.
    fn report_here(&mut self, message: String) {
        let (l, c) = self
            .frames
            .last()
            .map(|f| (f.line, f.col))
            .unwrap_or((1, 1));
        self.report(FindingKind::Schema, l, c, message);
    }

    /// The schema name id of the current start tag.
    fn name_id<R: Read>(&mut self, xin: &XmlInput<R>) -> u32 {
        let d = xin.elem_ns_id() as usize;
        if d >= self.ns_map.len() {
            self.ns_map.resize(xin.ns_count().max(d + 1), NS_UNMAPPED);
        }
        if self.ns_map[d] == NS_UNMAPPED {
            self.ns_map[d] = self.c.names.ns_id(xin.elem_ns()).unwrap_or(NO_NAME);
        }
        match self.ns_map[d] {
            NO_NAME => NO_NAME,
            n => self.c.names.get(n, xin.elem_local()).unwrap_or(NO_NAME),
        }
    }

    fn global(&self, name: u32) -> Option<ElemId> {
        if name == NO_NAME {
            return None;
        }
        self.c.names.global.get(name as usize).copied().flatten()
    }

    pub fn run<R: Read>(mut self, input: R) -> Report {
        let limits = Limits {
            max_depth: self.opts.max_depth,
            max_text: self.opts.max_text,
        };
        let mut xin = XmlInput::new(input, limits);
        let mut root = None;
        loop {
            if self.truncated {
                break;
            }
            match xin.advance() {
                Ok(Ev::Start) => {
                    if root.is_none() {
                        root = Some((xin.elem_ns().to_string(), xin.elem_local().to_string()));
                    }
                    self.start(&xin);
                    self.resolve_positions(&xin);
                }
                Ok(Ev::Text) => {
                    if xin.text_ends_element() && self.takes_whole_text() {
                        // The usual leaf `<Title>…</Title>`: its text is all there is and
                        // the end tag is already read, so the value is checked where the
                        // reader holds it (no copy into the element's buffer).
                        self.end_with(Some(xin.text()));
                        self.resolve_positions(&xin);
                        match xin.advance() {
                            Ok(Ev::End) => {}
                            other => unreachable!("the stashed end tag, not {other:?}"),
                        }
                    } else {
                        self.text(xin.text());
                        self.resolve_positions(&xin);
                    }
                }
                Ok(Ev::End) => {
                    self.end();
                    self.resolve_positions(&xin);
                }
                Ok(Ev::Eof) => break,
                Err(p) => {
                    let kind = match p.kind {
                        crate::ErrorKind::LimitExceeded => FindingKind::Limit,
                        crate::ErrorKind::Unsafe => FindingKind::Unsafe,
                        _ => FindingKind::Xml,
                    };
                    self.resolve_positions(&xin);
                    // Report even past the cap: the document was not fully read.
                    let path = self.path();
                    self.findings.push(Finding {
                        line: p.line,
                        column: p.col,
                        path,
                        message: p.message,
                        kind,
                    });
                    return Report {
                        findings: self.findings,
                        reference_findings: self.refs,
                        truncated: self.truncated,
                        root,
                        complete: false,
                    };
                }
            }
        }
        if self.opts.check_references && !self.truncated {
            let refs = std::mem::take(&mut self.idrefs);
            for (r, line, col, path) in refs.iter() {
                if !self.ids.contains(r) {
                    self.refs.push(Finding {
                        line,
                        column: col,
                        path: path.to_string(),
                        message: format!(
                            "reference '{r}' does not match any identifier (ID) in the document"
                        ),
                        kind: FindingKind::Reference,
                    });
                }
            }
        }
        Report {
            findings: self.findings,
            reference_findings: self.refs,
            truncated: self.truncated,
            root,
            complete: !self.truncated,
        }
    }

    fn elem_name(&self, e: ElemId, ctx_ns: &str) -> String {
        let d = &self.c.elements[e];
        if d.ns == ctx_ns || d.ns.is_empty() {
            d.local.to_string()
        } else {
            format!("{{{}}}{}", d.ns, d.local)
        }
    }

    fn describe_expected(&self, model: &Model, cands: &[u32], accepting: bool, ns: &str) -> String {
        let mut names: Vec<String> = Vec::new();
        for &q in cands {
            let s = match &model.leaves[q as usize] {
                Leaf::Elem { head, cands } => {
                    if cands.is_empty() {
                        format!(
                            "a member of the substitution group of {}",
                            self.elem_name(*head, ns)
                        )
                    } else if cands.len() == 1 {
                        self.elem_name(cands[0], ns)
                    } else {
                        cands
                            .iter()
                            .map(|c| self.elem_name(*c, ns))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                }
                Leaf::Any(w) => w.describe(),
            };
            if !names.contains(&s) {
                names.push(s);
            }
        }
        if names.is_empty() {
            return "no further child element (the element must end here)".into();
        }
        if accepting {
            names.push("the end of the element".into());
        }
        names.join(", ")
    }

    /// The content model of the innermost frame, if it is a typed element with one.
    fn top_model(&self) -> Option<&'a Model> {
        let c = self.c;
        let FrameKind::Typed { ty, .. } = &self.frames.last()?.kind else {
            return None;
        };
        let TypeDef::Complex(ct) = &c.types[*ty] else {
            return None;
        };
        let Content::Model { model, .. } = ct.content else {
            return None;
        };
        Some(c.model(model))
    }

    /// Steps the automaton of the innermost frame with a child element.
    fn step(&mut self, ns: &str, name: u32) -> Result<Option<Match<'a>>, String> {
        let c = self.c;
        let Some(model) = self.top_model() else {
            return Ok(None);
        };
        let Some(frame) = self.frames.last_mut() else {
            return Ok(None);
        };
        let FrameKind::Typed { state, .. } = &mut frame.kind else {
            return Ok(None);
        };
        let matching = |cands: &[ElemId]| -> Option<ElemId> {
            if name == NO_NAME {
                return None;
            }
            cands
                .iter()
                .copied()
                .find(|e| c.elements[*e].name_id == name)
        };
        match state {
            State::Nfa { cur, start } => {
                // Fast path: one current position (deterministic models) and one
                // position with a declared element of this name.
                if name != NO_NAME && (*start || cur.len() == 1) {
                    let at = if *start { None } else { Some(cur[0]) };
                    if let Some((q, e)) = model.dfa(&c.elements).step(at, name) {
                        cur.clear();
                        cur.push(q);
                        *start = false;
                        return Ok(Some(Match::Elem(e)));
                    }
                }
                let follow: &[u32] = if *start {
                    &model.first
                } else if cur.len() == 1 {
                    &model.follow[cur[0] as usize]
                } else {
                    self.scratch.clear();
                    for p in cur.iter() {
                        self.scratch.extend_from_slice(&model.follow[*p as usize]);
                    }
                    self.scratch.sort_unstable();
                    self.scratch.dedup();
                    &self.scratch
                };
                // Declared elements win over wildcards (matters only for schemas that
                // break UPA, like Vitam's). `cur` is only replaced on a match.
                let mut elem_hit: Option<ElemId> = None;
                let mut hits = 0usize;
                let mut first_hit = 0u32;
                for &q in follow {
                    if let Leaf::Elem { cands, .. } = &model.leaves[q as usize]
                        && let Some(e) = matching(cands)
                    {
                        if hits == 0 {
                            first_hit = q;
                        }
                        hits += 1;
                        elem_hit.get_or_insert(e);
                    }
                }
                if let Some(e) = elem_hit {
                    if hits == 1 {
                        cur.clear();
                        cur.push(first_hit);
                    } else {
                        let positions: Vec<u32> = follow
                            .iter()
                            .copied()
                            .filter(|q| {
                                matches!(&model.leaves[*q as usize],
                                    Leaf::Elem { cands, .. } if matching(cands).is_some())
                            })
                            .collect();
                        cur.clear();
                        cur.extend(positions);
                    }
                    *start = false;
                    return Ok(Some(Match::Elem(e)));
                }
                let mut any_hit: Option<&'a Wildcard> = None;
                let mut positions: Vec<u32> = Vec::new();
                for &q in follow {
                    if let Leaf::Any(w) = &model.leaves[q as usize]
                        && w.allows(ns)
                    {
                        any_hit.get_or_insert(w);
                        positions.push(q);
                    }
                }
                if let Some(w) = any_hit {
                    cur.clear();
                    cur.extend(positions);
                    *start = false;
                    return Ok(Some(Match::Any(w)));
                }
                let accepting = if *start {
                    model.nullable
                } else {
                    cur.iter().any(|p| model.last[*p as usize])
                };
                let follow = follow.to_vec();
                Err(self.describe_expected(model, &follow, accepting, ns))
            }
            State::All { seen } => {
                for (i, leaf) in model.leaves.iter().enumerate() {
                    let hit = match leaf {
                        Leaf::Elem { cands, .. } => matching(cands).map(Match::Elem),
                        Leaf::Any(w) => {
                            if w.allows(ns) {
                                Some(Match::Any(w))
                            } else {
                                None
                            }
                        }
                    };
                    if let Some(m) = hit {
                        if seen[i] {
                            return Err(
                                "each child of this element at most once (it is already present)"
                                    .into(),
                            );
                        }
                        seen[i] = true;
                        return Ok(Some(m));
                    }
                }
                let rest: Vec<u32> = (0..model.leaves.len() as u32)
                    .filter(|i| !seen[*i as usize])
                    .collect();
                Err(self.describe_expected(model, &rest, false, ns))
            }
            State::None => Ok(None),
        }
    }

    /// Finds a declaration for the name among the leaves of the innermost model
    /// (used to keep validating children after a content-model error).
    /// XSD 1.1's *Element Declarations Consistent* for an element a (lax or strict)
    /// wildcard of the current content model matched, as Xerces checks it
    /// (`cos-element-consistent.4.a`): when the model also declares an element of that
    /// name, the element's type — of its global declaration, or its `xsi:type`, else
    /// `anyType` — must be that declaration's or derived from it. Reports and returns
    /// `false` when it is not.
    fn consistent_with_local<R: Read>(&mut self, xin: &XmlInput<R>, tag: &Tag<'_>) -> bool {
        let c = self.c;
        let Some(local) = self.find_in_model(tag.name) else {
            return true;
        };
        let want = c.elements[local].ty;
        let have = self
            .xsi_type(xin)
            .or_else(|| self.global(tag.name).map(|g| c.elements[g].ty))
            .unwrap_or(c.any_type);
        if have == want || c.derives_from(have, want) {
            return true;
        }
        self.report(
            FindingKind::Schema,
            tag.line,
            tag.col,
            format!(
                "element {} is matched by a wildcard, but its type {} is not derived from {}, the type of the element of that name declared in the same content model (XSD 1.1 cos-element-consistent.4.a)",
                display(tag.ns, tag.local, ""),
                c.type_display(have),
                c.type_display(want)
            ),
        );
        false
    }

    /// The global type the element's `xsi:type` names, if it names one.
    fn xsi_type<R: Read>(&self, xin: &XmlInput<R>) -> Option<usize> {
        let t = xin
            .attrs()
            .find(|a| a.ns_id == NS_XSI && a.local == "type")?;
        let (tns, tl) = xin.resolve_qname(t.value)?;
        self.c.global_types.get(tns, tl).copied()
    }

    fn find_in_model(&self, name: u32) -> Option<ElemId> {
        if name == NO_NAME {
            return None;
        }
        let c = self.c;
        self.top_model()?.leaves.iter().find_map(|l| match l {
            Leaf::Elem { cands, .. } => cands
                .iter()
                .copied()
                .find(|e| c.elements[*e].name_id == name),
            _ => None,
        })
    }

    /// Gives the positions recorded during the last event their line and column (the
    /// reader has not moved since, so every offset is still resolvable).
    #[inline]
    fn resolve_positions<R: Read>(&mut self, xin: &XmlInput<R>) {
        if self.fixed != (self.findings.len(), self.ids.len(), self.idrefs.len()) {
            self.resolve_new_positions(xin);
        }
    }

    #[inline(never)]
    fn resolve_new_positions<R: Read>(&mut self, xin: &XmlInput<R>) {
        let (f, i, r) = self.fixed;
        if f < self.findings.len() {
            for x in &mut self.findings[f..] {
                if x.line & UNRESOLVED != 0 {
                    let (l, c) = xin.pos_at(x.line & !UNRESOLVED);
                    x.line = l;
                    x.column = c;
                    if x.message.contains(FIRST_LINE) {
                        x.message = x.message.replace(FIRST_LINE, &l.to_string());
                    }
                }
            }
        }
        self.ids.resolve_from(i, |o| xin.pos_at(o).0);
        self.idrefs.resolve_from(r, |o| xin.pos_at(o));
        self.fixed = (self.findings.len(), self.ids.len(), self.idrefs.len());
    }

    fn start<R: Read>(&mut self, xin: &XmlInput<R>) {
        let name = self.name_id(xin);
        let (line, col) = if self.c.identities.is_empty() {
            (UNRESOLVED | xin.elem_off(), 0)
        } else {
            // Identity constraints keep positions in their tables: counted now.
            xin.elem_pos()
        };
        let tag = Tag {
            ns: xin.elem_ns(),
            local: xin.elem_local(),
            name,
            line,
            col,
        };
        if self.c.identities.is_empty() {
            self.start_inner(xin, &tag);
            return;
        }
        let decl = self.start_inner(xin, &tag);
        self.ic_start(xin, &tag, decl);
    }

    /// Appends the path segment of the new element; returns where it starts.
    fn push_segment<R: Read>(&mut self, xin: &XmlInput<R>, local: &str) -> usize {
        let start = self.path.len();
        self.path.push('/');
        self.path.push_str(local);
        if let Some(a) = xin
            .attrs()
            .find(|a| str_eq(a.local, "id") && (a.ns_id == 0 || a.ns_id == NS_XML))
        {
            self.path.push_str("[@id='");
            self.path.push_str(a.value);
            self.path.push_str("']");
        }
        start
    }

    fn start_inner<R: Read>(&mut self, xin: &XmlInput<R>, tag: &Tag<'_>) -> Option<ElemId> {
        let c = self.c;
        // 1. Which declaration applies?
        enum Decision {
            Decl(ElemId),
            Lax,
            Skip,
        }
        let (ns, local, line, col) = (tag.ns, tag.local, tag.line, tag.col);
        // Path segment of the new element (the frame is pushed below).
        let seg_start = self.push_segment(xin, local);
        let seg_end = self.path.len();
        let decision = match self.frames.last().map(|f| &f.kind) {
            None => match self.global(tag.name) {
                Some(e) => Decision::Decl(e),
                None => {
                    self.report(
                        FindingKind::Schema,
                        line,
                        col,
                        format!(
                            "no declaration for the root element {} in the schema set",
                            display(ns, local, "")
                        ),
                    );
                    Decision::Lax
                }
            },
            Some(FrameKind::Skip) => Decision::Skip,
            Some(FrameKind::Lax) => match self.global(tag.name) {
                Some(e) => Decision::Decl(e),
                None => Decision::Lax,
            },
            Some(FrameKind::Typed {
                ty, failed, nil, ..
            }) => {
                let (ty, failed, nil) = (*ty, *failed, *nil);
                if let Some(FrameKind::Typed { has_children, .. }) =
                    self.frames.last_mut().map(|f| &mut f.kind)
                {
                    *has_children = true;
                }
                let content = match &c.types[ty] {
                    TypeDef::Complex(ct) => ct.content.clone(),
                    TypeDef::Simple(_) => Content::Simple(ty),
                };
                if nil {
                    self.report_here(format!(
                        "element {} is not allowed: the parent has xsi:nil=\"true\" and must be empty",
                        display(ns, local, ns)
                    ));
                }
                match content {
                    Content::Any => match self.global(tag.name) {
                        Some(e) => Decision::Decl(e),
                        None => Decision::Lax,
                    },
                    Content::Empty | Content::Simple(_) => {
                        if !failed {
                            let why = if matches!(content, Content::Empty) {
                                "its type allows no content"
                            } else {
                                "its type only allows text"
                            };
                            self.report_here(format!(
                                "child element {} is not allowed: {why}",
                                display(ns, local, ns)
                            ));
                            self.set_failed();
                        }
                        Decision::Lax
                    }
                    Content::Model { .. } => {
                        if failed {
                            match self.find_in_model(tag.name) {
                                Some(e) => Decision::Decl(e),
                                None => match self.global(tag.name) {
                                    Some(e) => Decision::Decl(e),
                                    None => Decision::Lax,
                                },
                            }
                        } else {
                            match self.step(ns, tag.name) {
                                Ok(Some(Match::Elem(e))) => Decision::Decl(e),
                                Ok(Some(Match::Any(w))) => match w.process {
                                    Process::Skip => Decision::Skip,
                                    _ if c.processor == Processor::Xerces
                                        && !self.consistent_with_local(xin, tag) =>
                                    {
                                        Decision::Lax
                                    }
                                    Process::Lax => match self.global(tag.name) {
                                        Some(e) => Decision::Decl(e),
                                        None => Decision::Lax,
                                    },
                                    Process::Strict => match self.global(tag.name) {
                                        Some(e) => Decision::Decl(e),
                                        None => {
                                            self.report(
                                                FindingKind::Schema,
                                                line,
                                                col,
                                                format!(
                                                    "element {} matches a strict wildcard but no global declaration exists for it",
                                                    display(ns, local, "")
                                                ),
                                            );
                                            Decision::Lax
                                        }
                                    },
                                },
                                Ok(None) => Decision::Lax,
                                Err(expected) => {
                                    let parent = self
                                        .frames
                                        .last()
                                        .map(|f| self.path[f.seg_start + 1..f.seg_end].to_string())
                                        .unwrap_or_default();
                                    self.report_path(
                                        FindingKind::Schema,
                                        line,
                                        col,
                                        self.path[..seg_end].to_string(),
                                        format!(
                                            "element {} is not expected here in {parent}; expected: {expected}",
                                            display(ns, local, ns)
                                        ),
                                    );
                                    self.set_failed();
                                    match self.find_in_model(tag.name) {
                                        Some(e) => Decision::Decl(e),
                                        None => match self.global(tag.name) {
                                            Some(e) => Decision::Decl(e),
                                            None => Decision::Lax,
                                        },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        let plain = |kind| Frame {
            seg_start,
            seg_end,
            line,
            col,
            kind,
        };
        let decl = match decision {
            Decision::Skip => {
                self.frames.push(plain(FrameKind::Skip));
                return None;
            }
            Decision::Lax => {
                // xsi:type can still give a lax element a type.
                if let Some(tid) = self.xsi_type(xin) {
                    self.push_typed(plain(FrameKind::Lax), tid, None, xin, false);
                    return None;
                }
                self.frames.push(plain(FrameKind::Lax));
                return None;
            }
            Decision::Decl(e) => e,
        };
        let d = &c.elements[decl];
        // A provisional frame, so that findings about the element carry its path.
        self.frames.push(plain(FrameKind::Lax));
        if d.abstract_ {
            self.report_here(format!(
                "element {} is abstract: use an element of its substitution group instead",
                d.local
            ));
        }
        let mut ty = d.ty;
        let mut nil = false;
        for a in xin.attrs().filter(|a| a.ns_id == NS_XSI) {
            match a.local {
                "type" => match xin.resolve_qname(a.value) {
                    Some((tns, tl)) => match c.global_types.get(tns, tl).copied() {
                        Some(tid) => {
                            if c.derives_from(tid, ty) {
                                ty = tid;
                            } else {
                                self.report_here(format!(
                                    "xsi:type '{}' is not derived from the declared type {}",
                                    a.value,
                                    c.type_display(ty)
                                ));
                            }
                        }
                        None => self.report_here(format!(
                            "xsi:type '{}' does not name a type of the schema set",
                            a.value
                        )),
                    },
                    None => self.report_here(format!(
                        "xsi:type '{}' uses an undeclared namespace prefix",
                        a.value
                    )),
                },
                "nil" => {
                    let v = a.value.trim();
                    if v == "true" || v == "1" {
                        if d.nillable {
                            nil = true;
                        } else {
                            self.report_here(format!("element {} is not nillable", d.local));
                        }
                    }
                }
                _ => {}
            }
        }
        let frame = self.frames.pop()?;
        self.push_typed(frame, ty, d.fixed.as_deref(), xin, nil);
        Some(decl)
    }

    fn set_failed(&mut self) {
        if let Some(Frame {
            kind: FrameKind::Typed { failed, .. },
            ..
        }) = self.frames.last_mut()
        {
            *failed = true;
        }
    }

    /// Pushes `frame` as a typed element of type `ty` and checks its attributes.
    fn push_typed<R: Read>(
        &mut self,
        mut frame: Frame<'a>,
        ty: usize,
        fixed: Option<&'a str>,
        xin: &XmlInput<R>,
        nil: bool,
    ) {
        let c = self.c;
        let state = match &c.types[ty] {
            TypeDef::Complex(ct) => match ct.content {
                Content::Model { model, .. } => {
                    let m = c.model(model);
                    if m.all.is_some() {
                        let mut seen = self.seen_pool.pop().unwrap_or_default();
                        seen.clear();
                        seen.resize(m.leaves.len(), false);
                        State::All { seen }
                    } else {
                        let mut cur = self.cur_pool.pop().unwrap_or_default();
                        cur.clear();
                        State::Nfa { cur, start: true }
                    }
                }
                _ => State::None,
            },
            _ => State::None,
        };
        let text = match &c.types[ty] {
            TypeDef::Simple(_) => true,
            TypeDef::Complex(ct) => matches!(ct.content, Content::Simple(_)),
        };
        if text {
            let d = self.frames.len();
            if self.texts.len() <= d {
                self.texts.resize_with(d + 1, String::new);
            }
            self.texts[d].clear();
        }
        let (line, col) = (frame.line, frame.col);
        frame.kind = FrameKind::Typed {
            ty,
            state,
            text,
            nil,
            text_reported: false,
            failed: false,
            has_children: false,
            fixed,
        };
        self.frames.push(frame);
        if let TypeDef::Complex(ct) = &c.types[ty]
            && ct.abstract_
        {
            self.report_here(format!(
                    "type {} is abstract: the element needs an xsi:type naming a concrete type derived from it",
                    ct.display
                ));
        }
        self.attributes(ty, xin, line, col);
    }

    /// Records the IDs and IDREFs of the value just validated (in `self.vids`); `what`
    /// names the value for the duplicate-identifier message.
    fn record(&mut self, line: u64, col: u64, what: &dyn Fn() -> String) {
        if self.vids.is_empty() {
            return;
        }
        let vids = std::mem::take(&mut self.vids);
        for (is_id, v) in vids.iter() {
            if is_id {
                if let Some(first) = self.ids.insert(v, line) {
                    let first = if first & UNRESOLVED != 0 {
                        // First used by the same element, in this event.
                        FIRST_LINE.to_string()
                    } else {
                        first.to_string()
                    };
                    self.report(
                        FindingKind::Schema,
                        line,
                        col,
                        format!(
                            "{}: duplicate identifier '{v}' (already used at line {first})",
                            what()
                        ),
                    );
                }
            } else if self.opts.check_references {
                let end = self.frames.last().map(|f| f.seg_end).unwrap_or(0);
                self.idrefs.push(v, line, col, &self.path[..end]);
            }
        }
        self.vids = vids;
    }

    /// Validates `v` against simple type `ty`; its IDs and IDREFs go to `self.vids`.
    fn check_value(&mut self, ty: usize, v: &str) -> Result<(), String> {
        self.vids.clear();
        self.values.validate_into(self.c, ty, v, &mut self.vids)
    }

    fn attributes<R: Read>(&mut self, ty: usize, xin: &XmlInput<R>, line: u64, col: u64) {
        let c = self.c;
        let ct = match &c.types[ty] {
            TypeDef::Complex(ct) => Some(ct),
            TypeDef::Simple(_) => None,
        };
        for a in xin.attrs() {
            // The four attributes of the xsi namespace are built in (XSD 1.0 §3.2.7); any
            // other xsi: attribute is validated like any attribute, so refused unless a
            // wildcard admits it (as libxml2 does).
            if a.ns_id == NS_XSI
                && matches!(
                    a.local,
                    "type" | "nil" | "schemaLocation" | "noNamespaceSchemaLocation"
                )
            {
                continue;
            }
            let use_ = ct.and_then(|ct| {
                ct.attrs
                    .iter()
                    .find(|u| str_eq(&u.local, a.local) && str_eq(&u.ns, a.ns))
            });
            match use_ {
                Some(u) => match self.check_value(u.ty, a.value) {
                    Ok(()) => {
                        if let Some(f) = &u.fixed {
                            let ws = c.simple_ws(u.ty);
                            if types::normalize(a.value, ws) != types::normalize(f, ws) {
                                self.report(
                                    FindingKind::Schema,
                                    line,
                                    col,
                                    format!(
                                        "attribute '{}' must have the fixed value '{f}'",
                                        a.qname
                                    ),
                                );
                            }
                        }
                        self.record(line, col, &|| format!("attribute '{}'", a.qname));
                    }
                    Err(e) => self.report(
                        FindingKind::Schema,
                        line,
                        col,
                        format!("attribute '{}': {e}", a.qname),
                    ),
                },
                None => {
                    let allowed = ct
                        .and_then(|ct| ct.attr_wc.as_ref())
                        .map(|w| w.allows(a.ns))
                        .unwrap_or(false);
                    if !allowed {
                        self.report(
                            FindingKind::Schema,
                            line,
                            col,
                            format!("attribute '{}' is not allowed here", a.qname),
                        );
                    }
                }
            }
        }
        if let Some(ct) = ct {
            for u in ct.attrs.iter().filter(|u| u.required) {
                if !xin
                    .attrs()
                    .any(|a| str_eq(a.local, &u.local) && str_eq(a.ns, &u.ns))
                {
                    let name = if u.ns == super::input::XML_NS {
                        format!("xml:{}", u.local)
                    } else {
                        u.local.clone()
                    };
                    self.report(
                        FindingKind::Schema,
                        line,
                        col,
                        format!("required attribute '{name}' is missing"),
                    );
                }
            }
        }
    }

    fn text(&mut self, t: &str) {
        let depth = self.frames.len().wrapping_sub(1);
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        let FrameKind::Typed {
            ty,
            text,
            text_reported,
            nil,
            ..
        } = &mut frame.kind
        else {
            return;
        };
        if *text {
            self.texts[depth].push_str(t);
            return;
        }
        let blank = t.bytes().all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
        if blank || *text_reported {
            return;
        }
        let mixed = match &self.c.types[*ty] {
            TypeDef::Complex(ct) => match ct.content {
                Content::Model { mixed, .. } => mixed,
                Content::Any => true,
                _ => false,
            },
            _ => false,
        };
        if mixed && !*nil {
            return;
        }
        *text_reported = true;
        let msg = if *nil {
            "text is not allowed: the element has xsi:nil=\"true\"".to_string()
        } else {
            let snippet: String = t.trim().chars().take(40).collect();
            format!(
                "text '{snippet}' is not allowed here: this element may only contain child elements"
            )
        };
        self.report_here(msg);
    }

    /// Whether the innermost element collects its text and has none yet, so that a text
    /// run followed by its end tag can be checked in place ([`Validator::end_with`]).
    fn takes_whole_text(&self) -> bool {
        if !self.c.identities.is_empty() {
            return false;
        }
        let depth = self.frames.len().wrapping_sub(1);
        matches!(
            self.frames.last().map(|f| &f.kind),
            Some(FrameKind::Typed { text: true, .. })
        ) && self.texts.get(depth).is_some_and(|t| t.is_empty())
    }

    fn end(&mut self) {
        self.end_with(None);
    }

    /// Ends the innermost element; `given` is its whole text when the caller holds it
    /// (see [`Validator::takes_whole_text`]), else the text collected by
    /// [`Validator::text`] is used.
    fn end_with(&mut self, given: Option<&str>) {
        if !self.c.identities.is_empty() {
            self.ic_end();
        }
        let c = self.c;
        let depth = self.frames.len().wrapping_sub(1);
        let Some(frame) = self.frames.last() else {
            return;
        };
        let (line, col) = (frame.line, frame.col);
        if let FrameKind::Typed {
            ty,
            state,
            text,
            nil,
            failed,
            fixed,
            has_children,
            ..
        } = &frame.kind
        {
            let (ty, fixed, text, has_children) = (*ty, *fixed, *text, *has_children);
            let mut msg: Option<String> = None;
            let mut check_value: Option<usize> = None;
            if *nil {
                if text && !given.map_or_else(|| self.texts[depth].is_empty(), str::is_empty) {
                    msg = Some("text is not allowed: the element has xsi:nil=\"true\"".into());
                }
            } else if !*failed {
                if let TypeDef::Complex(ct) = &c.types[ty]
                    && let Content::Model { model, .. } = ct.content
                {
                    let m = c.model(model);
                    let ok = match state {
                        State::Nfa { cur, start } => {
                            if *start {
                                m.nullable
                            } else {
                                cur.iter().any(|p| m.last[*p as usize])
                            }
                        }
                        State::All { seen } => m
                            .all
                            .as_ref()
                            .map(|req| {
                                req.iter().zip(seen).all(|(r, s)| !*r || *s)
                                    || (!seen.iter().any(|s| *s) && m.nullable)
                            })
                            .unwrap_or(true),
                        State::None => true,
                    };
                    if !ok {
                        let cands: Vec<u32> = match state {
                            State::Nfa { cur, start } => {
                                if *start {
                                    m.first.clone()
                                } else {
                                    let mut v: Vec<u32> = cur
                                        .iter()
                                        .flat_map(|p| m.follow[*p as usize].iter().copied())
                                        .collect();
                                    v.sort_unstable();
                                    v.dedup();
                                    v
                                }
                            }
                            State::All { seen } => (0..m.leaves.len() as u32)
                                .filter(|i| {
                                    !seen[*i as usize]
                                        && m.all.as_ref().is_some_and(|r| r[*i as usize])
                                })
                                .collect(),
                            State::None => Vec::new(),
                        };
                        let exp = self.describe_expected(m, &cands, false, self.ctx_ns());
                        msg = Some(format!(
                            "element {} is incomplete: missing child element; expected: {exp}",
                            &self.path[frame.seg_start + 1..frame.seg_end]
                        ));
                    }
                }
                if text && !has_children {
                    check_value = match &c.types[ty] {
                        TypeDef::Simple(_) => Some(ty),
                        TypeDef::Complex(ct) => match ct.content {
                            Content::Simple(s) => Some(s),
                            _ => None,
                        },
                    };
                }
            }
            if let Some(m) = msg {
                self.report(FindingKind::Schema, line, col, m);
            }
            if let Some(st) = check_value {
                let owned = match given {
                    Some(_) => String::new(),
                    None => std::mem::take(&mut self.texts[depth]),
                };
                let v: &str = given.unwrap_or(&owned);
                self.vids.clear();
                match self.values.validate_into(c, st, v, &mut self.vids) {
                    Ok(()) => {
                        if let Some(f) = fixed {
                            let ws = c.simple_ws(st);
                            if types::normalize(v, ws) != types::normalize(f, ws) {
                                self.report(
                                    FindingKind::Schema,
                                    line,
                                    col,
                                    format!("the value must be the fixed value '{f}'"),
                                );
                            }
                        }
                        self.record(line, col, &|| "element value".to_string());
                    }
                    Err(e) => self.report(FindingKind::Schema, line, col, e),
                }
                if given.is_none() {
                    self.texts[depth] = owned;
                }
            }
        }
        if let Some(f) = self.frames.pop() {
            self.path.truncate(f.seg_start);
            if let FrameKind::Typed { state, .. } = f.kind {
                match state {
                    State::Nfa { cur, .. } => self.cur_pool.push(cur),
                    State::All { seen } => self.seen_pool.push(seen),
                    State::None => {}
                }
            }
        }
    }

    /// The whitespace-normalised value of attribute `a` of the innermost element.
    fn ic_attr_value(&self, a: &AttrRef<'_>) -> String {
        let ty = match self.frames.last().map(|f| &f.kind) {
            Some(FrameKind::Typed { ty, .. }) => match &self.c.types[*ty] {
                TypeDef::Complex(ct) => ct
                    .attrs
                    .iter()
                    .find(|u| u.local == a.local && u.ns == a.ns)
                    .map(|u| u.ty),
                _ => None,
            },
            _ => None,
        };
        match ty {
            Some(t) => {
                let v = types::normalize(a.value, self.c.simple_ws(t));
                types::key_value(self.c, t, &v)
            }
            None => types::normalize(a.value, types::Ws::Collapse).into_owned(),
        }
    }

    fn ic_set(&mut self, ri: usize, fi: usize, v: String) {
        let row = &mut self.ic.rows[ri];
        if row.values[fi].is_some() {
            let ic = &self.c.identities[self.ic.scopes[row.scope].ic];
            let msg = format!(
                "field {} of {} identity-constraint '{}' selects more than one value",
                fi + 1,
                ic.kind.name(),
                ic.name
            );
            let (l, c, p) = (row.line, row.col, row.path.clone());
            self.report_path(FindingKind::Schema, l, c, p, msg);
            return;
        }
        row.values[fi] = Some(v);
    }

    /// An element started: selects rows, fills attribute fields, opens the scopes of
    /// the element's own identity constraints.
    fn ic_start<R: Read>(&mut self, xin: &XmlInput<R>, tag: &Tag<'_>, decl: Option<ElemId>) {
        let c = self.c;
        let (line, col) = (tag.line, tag.col);
        self.ic
            .names
            .push((tag.ns.to_string(), tag.local.to_string()));
        self.ic.caps.push(Vec::new());
        let depth = self.ic.names.len();
        // Selectors of the open scopes.
        for si in 0..self.ic.scopes.len() {
            let sc = &self.ic.scopes[si];
            if depth <= sc.depth {
                continue;
            }
            let ic = &c.identities[sc.ic];
            let rel: Vec<(&str, &str)> = self.ic.names[sc.depth..depth]
                .iter()
                .map(|(n, l)| (n.as_str(), l.as_str()))
                .collect();
            if !ic.selector.iter().any(|p| p.matches_elems(&rel)) {
                continue;
            }
            let ri = self.ic.rows.len();
            let path = self.path();
            self.ic.rows.push(IcRow {
                scope: si,
                depth,
                values: vec![None; ic.fields.len()],
                line,
                col,
                path,
            });
            for (fi, f) in ic.fields.iter().enumerate() {
                for p in f.iter().filter(|p| p.steps.is_empty() && !p.descendant) {
                    match &p.attr {
                        Some(t) => {
                            if let Some(a) = xin.attrs().find(|a| t.matches(a.ns, a.local)) {
                                let v = self.ic_attr_value(&a);
                                self.ic_set(ri, fi, v);
                            }
                        }
                        None => {
                            if let Some(caps) = self.ic.caps.last_mut() {
                                caps.push((ri, fi));
                            }
                        }
                    }
                }
            }
        }
        // Fields of the rows selected above this element.
        for ri in 0..self.ic.rows.len() {
            let row = &self.ic.rows[ri];
            if depth <= row.depth {
                continue;
            }
            let ic = &c.identities[self.ic.scopes[row.scope].ic];
            let hits: Vec<(usize, &super::xsd::IcPath)> = {
                let rel: Vec<(&str, &str)> = self.ic.names[row.depth..depth]
                    .iter()
                    .map(|(n, l)| (n.as_str(), l.as_str()))
                    .collect();
                ic.fields
                    .iter()
                    .enumerate()
                    .flat_map(|(fi, f)| f.iter().map(move |p| (fi, p)))
                    .filter(|(_, p)| !p.steps.is_empty() && p.matches_elems(&rel))
                    .collect()
            };
            for (fi, p) in hits {
                match &p.attr {
                    Some(t) => {
                        if let Some(a) = xin.attrs().find(|a| t.matches(a.ns, a.local)) {
                            let v = self.ic_attr_value(&a);
                            self.ic_set(ri, fi, v);
                        }
                    }
                    None => {
                        if let Some(caps) = self.ic.caps.last_mut() {
                            caps.push((ri, fi));
                        }
                    }
                }
            }
        }
        // The element's own constraints.
        if let Some(d) = decl {
            for &ic in &c.elements[d].identity {
                self.ic.scopes.push(IcScope {
                    ic,
                    depth,
                    table: HashMap::new(),
                    refs: Vec::new(),
                });
            }
        }
    }

    /// The innermost element ends: its text fills fields; rows and scopes it owns are
    /// checked (duplicates, missing key fields, dangling keyrefs).
    fn ic_end(&mut self) {
        let c = self.c;
        let depth = self.ic.names.len();
        if depth == 0 {
            return;
        }
        let caps = self.ic.caps.pop().unwrap_or_default();
        if !caps.is_empty() {
            let fdepth = self.frames.len().wrapping_sub(1);
            let value: Result<String, ()> = match self.frames.last().map(|f| &f.kind) {
                Some(FrameKind::Typed { ty, text: true, .. }) => {
                    let st = match &c.types[*ty] {
                        TypeDef::Complex(ct) => match ct.content {
                            Content::Simple(s) => s,
                            _ => *ty,
                        },
                        _ => *ty,
                    };
                    let t = &self.texts[fdepth];
                    Ok(types::key_value(
                        c,
                        st,
                        &types::normalize(t, c.simple_ws(st)),
                    ))
                }
                Some(FrameKind::Typed { .. }) => Err(()),
                _ => Ok(String::new()),
            };
            for (ri, fi) in caps {
                match &value {
                    Ok(v) => self.ic_set(ri, fi, v.clone()),
                    Err(()) => {
                        let row = &self.ic.rows[ri];
                        let ic = &c.identities[self.ic.scopes[row.scope].ic];
                        let msg = format!(
                            "field {} of {} identity-constraint '{}' selects an element that has no simple content",
                            fi + 1,
                            ic.kind.name(),
                            ic.name
                        );
                        let (l, co, p) = (row.line, row.col, row.path.clone());
                        self.report_path(FindingKind::Schema, l, co, p, msg);
                    }
                }
            }
        }
        while self.ic.rows.last().is_some_and(|r| r.depth == depth) {
            let Some(row) = self.ic.rows.pop() else { break };
            let ic = &c.identities[self.ic.scopes[row.scope].ic];
            if row.values.iter().any(|v| v.is_none()) {
                if ic.kind == IcKind::Key {
                    let msg = format!(
                        "not every field of key identity-constraint '{}' has a value",
                        ic.name
                    );
                    self.report_path(FindingKind::Schema, row.line, row.col, row.path, msg);
                }
                continue;
            }
            let vals: Vec<String> = row.values.into_iter().flatten().collect();
            let sc = &mut self.ic.scopes[row.scope];
            match ic.kind {
                IcKind::KeyRef => sc.refs.push((vals, row.line, row.col, row.path)),
                _ => {
                    if let Some(first) = sc.table.get(&vals) {
                        let msg = format!(
                            "duplicate key-sequence [{}] in {} identity-constraint '{}' (first at line {first})",
                            seq(&vals),
                            ic.kind.name(),
                            ic.name
                        );
                        self.report_path(FindingKind::Schema, row.line, row.col, row.path, msg);
                    } else {
                        sc.table.insert(vals, row.line);
                    }
                }
            }
        }
        let first = self
            .ic
            .scopes
            .iter()
            .position(|s| s.depth >= depth)
            .unwrap_or(self.ic.scopes.len());
        let ended: Vec<IcScope> = self.ic.scopes.split_off(first);
        for k in &ended {
            let ic = &c.identities[k.ic];
            if ic.kind != IcKind::KeyRef || k.refs.is_empty() {
                continue;
            }
            let target = ic.refer.map(|r| &c.identities[r]);
            let table = target.and_then(|t| {
                ended.iter().find(|s| {
                    let o = &c.identities[s.ic];
                    o.kind != IcKind::KeyRef && o.ns == t.ns && o.name == t.name
                })
            });
            for (vals, line, col, path) in &k.refs {
                if !table.is_some_and(|t| t.table.contains_key(vals)) {
                    let msg = format!(
                        "no match found for key-sequence [{}] of keyref '{}'",
                        seq(vals),
                        ic.name
                    );
                    self.report_path(FindingKind::Schema, *line, *col, path.clone(), msg);
                }
            }
        }
        self.ic.names.pop();
    }

    fn ctx_ns(&self) -> &str {
        self.c
            .target_namespaces
            .first()
            .map(|s| s.as_str())
            .unwrap_or("")
    }
}

/// String equality without a `memcmp` call (names are short).
#[inline]
fn str_eq(a: &str, b: &str) -> bool {
    crate::xml::lex::bytes_eq(a.as_bytes(), b.as_bytes())
}

fn seq(vals: &[String]) -> String {
    vals.iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Compiled {
    /// Whitespace facet of a simple type.
    pub(crate) fn simple_ws(&self, id: usize) -> types::Ws {
        match &self.types[id] {
            TypeDef::Simple(s) => s.ws,
            _ => types::Ws::Preserve,
        }
    }
}

/// The `xsd:ID` values of a document: their text in one buffer and an open-addressing
/// index over it (no allocation per identifier; the table was one `String` each).
#[derive(Default)]
pub(crate) struct IdTable {
    text: String,
    /// Per identifier: (start in `text`, end, line of its first use).
    entries: Vec<(usize, usize, u64)>,
    /// High 32 bits: the hash's high bits; low 32 bits: entry index + 1 (0 = empty).
    /// Probes compare the stored hash bits before touching an entry, so a new
    /// identifier usually costs one cache miss. The length is 0 or a power of two.
    slots: Vec<u64>,
}

impl IdTable {
    #[inline]
    fn hash(v: &[u8]) -> u64 {
        use std::hash::Hasher;
        let mut h = FxHasher::default();
        h.write(v);
        h.finish()
    }

    /// The slot of `v` (hash `h`): where it is, or the empty slot where it would go.
    #[inline]
    fn find(&self, v: &[u8], h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let tag = h >> 32;
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return i;
            }
            if s >> 32 == tag {
                let (a, b, _) = self.entries[(s as u32 - 1) as usize];
                if crate::xml::lex::bytes_eq(&self.text.as_bytes()[a..b], v) {
                    return i;
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `v` first used at `line`; when it is already there, returns the line of
    /// its first use instead.
    pub(crate) fn insert(&mut self, v: &str, line: u64) -> Option<u64> {
        if self.slots.len() < 2 * (self.entries.len() + 1) {
            self.grow();
        }
        let h = Self::hash(v.as_bytes());
        let i = self.find(v.as_bytes(), h);
        match self.slots[i] {
            0 => {
                let a = self.text.len();
                self.text.push_str(v);
                self.entries.push((a, self.text.len(), line));
                self.slots[i] = (h >> 32 << 32) | self.entries.len() as u64;
                None
            }
            s => Some(self.entries[(s as u32 - 1) as usize].2),
        }
    }

    /// Number of identifiers.
    #[inline]
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// Replaces the unresolved lines of entries `from..` (see `UNRESOLVED`).
    fn resolve_from(&mut self, from: usize, line: impl Fn(u64) -> u64) {
        for e in self.entries.iter_mut().skip(from) {
            if e.2 & UNRESOLVED != 0 {
                e.2 = line(e.2 & !UNRESOLVED);
            }
        }
    }

    pub(crate) fn contains(&self, v: &str) -> bool {
        !self.slots.is_empty() && {
            let h = Self::hash(v.as_bytes());
            self.slots[self.find(v.as_bytes(), h)] != 0
        }
    }

    fn grow(&mut self) {
        let n = (self.slots.len() * 2).max(1024);
        let mask = n - 1;
        let mut slots = vec![0u64; n];
        for (k, &(a, b, _)) in self.entries.iter().enumerate() {
            let h = Self::hash(&self.text.as_bytes()[a..b]);
            let mut i = h as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (h >> 32 << 32) | (k as u64 + 1);
        }
        self.slots = slots;
    }
}

/// The `xsd:IDREF` values of a document with where they were found, packed in two
/// buffers (the path is not copied again when consecutive references share it).
#[derive(Default)]
struct RefList {
    text: String,
    paths: String,
    /// (value range in `text`, line, column, path range in `paths`).
    refs: Vec<(std::ops::Range<usize>, u64, u64, std::ops::Range<usize>)>,
}

impl RefList {
    fn push(&mut self, v: &str, line: u64, col: u64, path: &str) {
        let a = self.text.len();
        self.text.push_str(v);
        let pr = match self.refs.last() {
            Some((_, _, _, p)) if &self.paths[p.clone()] == path => p.clone(),
            _ => {
                let p = self.paths.len();
                self.paths.push_str(path);
                p..self.paths.len()
            }
        };
        self.refs.push((a..self.text.len(), line, col, pr));
    }

    #[inline]
    fn len(&self) -> usize {
        self.refs.len()
    }

    /// Replaces the unresolved positions of references `from..` (see `UNRESOLVED`).
    fn resolve_from(&mut self, from: usize, pos: impl Fn(u64) -> (u64, u64)) {
        for r in self.refs.iter_mut().skip(from) {
            if r.1 & UNRESOLVED != 0 {
                (r.1, r.2) = pos(r.1 & !UNRESOLVED);
            }
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&str, u64, u64, &str)> + '_ {
        self.refs
            .iter()
            .map(|(v, l, c, p)| (&self.text[v.clone()], *l, *c, &self.paths[p.clone()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_table_finds_duplicates_across_growth() {
        let mut t = IdTable::default();
        for i in 0..5000u64 {
            assert_eq!(t.insert(&format!("AU-{i}"), i + 1), None);
        }
        for i in (0..5000u64).step_by(7) {
            assert_eq!(t.insert(&format!("AU-{i}"), 99_999), Some(i + 1));
            assert!(t.contains(&format!("AU-{i}")));
        }
        assert!(!t.contains("AU-5000"));
        assert!(!t.contains(""));
        assert_eq!(t.insert("", 7), None);
        assert!(t.contains(""));
    }

    #[test]
    fn ref_list_shares_paths() {
        let mut r = RefList::default();
        r.push("a", 1, 2, "/x/y");
        r.push("b", 1, 3, "/x/y");
        r.push("c", 2, 1, "/x/z");
        let v: Vec<_> = r.iter().collect();
        assert_eq!(
            v,
            vec![
                ("a", 1, 2, "/x/y"),
                ("b", 1, 3, "/x/y"),
                ("c", 2, 1, "/x/z")
            ]
        );
        assert_eq!(r.paths, "/x/y/x/z");
    }
}
