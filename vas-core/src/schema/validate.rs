//! Streaming XSD instance validation.

use std::collections::HashMap;
use std::io::BufRead;

use super::input::{Limits, XAttr, XEvent, XML_NS, XSI_NS, XmlInput, resolve_qname_in};
use super::types::{self, ValueInfo};
use super::xsd::{Compiled, Content, ElemId, IcKind, Leaf, Model, Process, TypeDef, Wildcard};
use super::{Finding, FindingKind, Report, ValidationOptions};

/// Automaton state of one open element.
enum State {
    Nfa { cur: Vec<u32>, start: bool },
    All { seen: Vec<bool> },
    None,
}

enum FrameKind {
    Typed {
        ty: usize,
        state: State,
        text: Option<String>,
        nil: bool,
        text_reported: bool,
        failed: bool,
        has_children: bool,
        fixed: Option<String>,
    },
    Lax,
    Skip,
}

/// Path segment of an open element: its local name and `id` attribute, if any.
struct Seg {
    local: String,
    id: Option<String>,
}

impl std::fmt::Display for Seg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{}[@id='{id}']", self.local),
            None => f.write_str(&self.local),
        }
    }
}

struct Frame {
    seg: Seg,
    line: u64,
    col: u64,
    kind: FrameKind,
}

enum Match<'a> {
    Elem(ElemId),
    Any(&'a Wildcard),
}

pub(crate) struct Validator<'a> {
    c: &'a Compiled,
    opts: &'a ValidationOptions,
    frames: Vec<Frame>,
    findings: Vec<Finding>,
    refs: Vec<Finding>,
    ids: HashMap<String, u64>,
    idrefs: Vec<(String, u64, u64, String)>,
    truncated: bool,
    scratch: Vec<u32>,
    /// Identity constraints (only used when the schema set declares some).
    ic: IcState,
}

/// Names of the open elements and the live tables of identity constraints.
#[derive(Default)]
struct IcState {
    names: Vec<(std::sync::Arc<str>, String)>,
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

impl<'a> Validator<'a> {
    pub fn new(c: &'a Compiled, opts: &'a ValidationOptions) -> Self {
        Validator {
            c,
            opts,
            frames: Vec::new(),
            findings: Vec::new(),
            refs: Vec::new(),
            ids: HashMap::new(),
            idrefs: Vec::new(),
            truncated: false,
            scratch: Vec::new(),
            ic: IcState::default(),
        }
    }

    fn path(&self) -> String {
        let mut s = String::new();
        for f in &self.frames {
            use std::fmt::Write as _;
            let _ = write!(s, "/{}", f.seg);
        }
        s
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

    pub fn run<R: BufRead>(mut self, input: R) -> Report {
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
            match xin.next() {
                Ok(XEvent::Start {
                    ns,
                    local,
                    attrs,
                    line,
                    col,
                }) => {
                    if root.is_none() {
                        root = Some((ns.to_string(), local.clone()));
                    }
                    self.start(&xin, ns, local, attrs, line, col);
                }
                Ok(XEvent::Text(t)) => self.text(t),
                Ok(XEvent::End) => self.end(),
                Ok(XEvent::Eof) => break,
                Err(p) => {
                    let kind = match p.kind {
                        crate::ErrorKind::LimitExceeded => FindingKind::Limit,
                        crate::ErrorKind::Unsafe => FindingKind::Unsafe,
                        _ => FindingKind::Xml,
                    };
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
            for (r, line, col, path) in std::mem::take(&mut self.idrefs) {
                if !self.ids.contains_key(&r) {
                    self.refs.push(Finding {
                        line,
                        column: col,
                        path,
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
            d.local.clone()
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

    /// Steps the automaton of the innermost frame with a child element.
    fn step(&mut self, ns: &str, local: &str) -> Result<Option<Match<'a>>, String> {
        let c = self.c;
        let Some(frame) = self.frames.last_mut() else {
            return Ok(None);
        };
        let FrameKind::Typed { ty, state, .. } = &mut frame.kind else {
            return Ok(None);
        };
        let TypeDef::Complex(ct) = &c.types[*ty] else {
            return Ok(None);
        };
        let Content::Model { model, .. } = ct.content else {
            return Ok(None);
        };
        let model = &c.models[model];
        let matches_elem = |e: ElemId| {
            let d = &c.elements[e];
            d.local == local && d.ns == ns
        };
        match state {
            State::Nfa { cur, start } => {
                self.scratch.clear();
                if *start {
                    self.scratch.extend_from_slice(&model.first);
                } else {
                    for p in cur.iter() {
                        self.scratch.extend_from_slice(&model.follow[*p as usize]);
                    }
                    if cur.len() > 1 {
                        self.scratch.sort_unstable();
                        self.scratch.dedup();
                    }
                }
                // Declared elements win over wildcards (matters only for schemas that
                // break UPA, like Vitam's). `cur` is only replaced on a match.
                let mut elem_hit: Option<ElemId> = None;
                for &q in &self.scratch {
                    if let Leaf::Elem { cands, .. } = &model.leaves[q as usize]
                        && let Some(e) = cands.iter().copied().find(|e| matches_elem(*e))
                    {
                        if elem_hit.is_none() {
                            cur.clear();
                        }
                        elem_hit.get_or_insert(e);
                        cur.push(q);
                    }
                }
                if let Some(e) = elem_hit {
                    *start = false;
                    return Ok(Some(Match::Elem(e)));
                }
                let mut any_hit: Option<&'a Wildcard> = None;
                for &q in &self.scratch {
                    if let Leaf::Any(w) = &model.leaves[q as usize]
                        && w.allows(ns)
                    {
                        if any_hit.is_none() {
                            cur.clear();
                        }
                        any_hit.get_or_insert(w);
                        cur.push(q);
                    }
                }
                if let Some(w) = any_hit {
                    *start = false;
                    return Ok(Some(Match::Any(w)));
                }
                let accepting = if *start {
                    model.nullable
                } else {
                    cur.iter().any(|p| model.last[*p as usize])
                };
                let exp = self.describe_expected(model, &self.scratch.clone(), accepting, ns);
                Err(exp)
            }
            State::All { seen } => {
                for (i, leaf) in model.leaves.iter().enumerate() {
                    let hit = match leaf {
                        Leaf::Elem { cands, .. } => cands
                            .iter()
                            .copied()
                            .find(|e| matches_elem(*e))
                            .map(Match::Elem),
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

    /// Finds a declaration for `ns:local` among the leaves of the innermost model
    /// (used to keep validating children after a content-model error).
    fn find_in_model(&self, ns: &str, local: &str) -> Option<ElemId> {
        let f = self.frames.last()?;
        let FrameKind::Typed { ty, .. } = &f.kind else {
            return None;
        };
        let TypeDef::Complex(ct) = &self.c.types[*ty] else {
            return None;
        };
        let Content::Model { model, .. } = ct.content else {
            return None;
        };
        self.c.models[model].leaves.iter().find_map(|l| match l {
            Leaf::Elem { cands, .. } => cands
                .iter()
                .copied()
                .find(|e| self.c.elements[*e].local == local && self.c.elements[*e].ns == ns),
            _ => None,
        })
    }

    fn start<R: BufRead>(
        &mut self,
        xin: &XmlInput<R>,
        ns: std::sync::Arc<str>,
        local: String,
        attrs: Vec<XAttr>,
        line: u64,
        col: u64,
    ) {
        if self.c.identities.is_empty() {
            self.start_inner(xin, ns, local, &attrs, line, col);
            return;
        }
        let name = (ns.clone(), local.clone());
        let decl = self.start_inner(xin, ns, local, &attrs, line, col);
        self.ic_start(name, decl, &attrs, line, col);
    }

    fn start_inner<R: BufRead>(
        &mut self,
        xin: &XmlInput<R>,
        ns: std::sync::Arc<str>,
        local: String,
        attrs: &[XAttr],
        line: u64,
        col: u64,
    ) -> Option<ElemId> {
        let c = self.c;
        // 1. Which declaration applies?
        enum Decision {
            Decl(ElemId),
            Lax,
            Skip,
        }
        let display = |ns: &str, local: &str, parent_ns: &str| {
            if ns == parent_ns || ns.is_empty() {
                local.to_string()
            } else {
                format!("{{{ns}}}{local}")
            }
        };
        // Path segment of the new element.
        let seg = Seg {
            id: attrs
                .iter()
                .find(|a| a.local == "id" && (a.ns.is_empty() || &*a.ns == XML_NS))
                .map(|a| a.value.clone()),
            local,
        };
        let local: &str = &seg.local;
        let decision = match self.frames.last().map(|f| &f.kind) {
            None => match c.global_elems.get(&ns, local) {
                Some(e) => Decision::Decl(*e),
                None => {
                    self.report(
                        FindingKind::Schema,
                        line,
                        col,
                        format!(
                            "no declaration for the root element {} in the schema set",
                            display(&ns, local, "")
                        ),
                    );
                    Decision::Lax
                }
            },
            Some(FrameKind::Skip) => Decision::Skip,
            Some(FrameKind::Lax) => match c.global_elems.get(&ns, local) {
                Some(e) => Decision::Decl(*e),
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
                        display(&ns, local, &ns)
                    ));
                }
                match content {
                    Content::Any => match c.global_elems.get(&ns, local) {
                        Some(e) => Decision::Decl(*e),
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
                                display(&ns, local, &ns)
                            ));
                            self.set_failed();
                        }
                        Decision::Lax
                    }
                    Content::Model { .. } => {
                        if failed {
                            match self.find_in_model(&ns, local) {
                                Some(e) => Decision::Decl(e),
                                None => match c.global_elems.get(&ns, local) {
                                    Some(e) => Decision::Decl(*e),
                                    None => Decision::Lax,
                                },
                            }
                        } else {
                            match self.step(&ns, local) {
                                Ok(Some(Match::Elem(e))) => Decision::Decl(e),
                                Ok(Some(Match::Any(w))) => match w.process {
                                    Process::Skip => Decision::Skip,
                                    Process::Lax => match c.global_elems.get(&ns, local) {
                                        Some(e) => Decision::Decl(*e),
                                        None => Decision::Lax,
                                    },
                                    Process::Strict => match c.global_elems.get(&ns, local) {
                                        Some(e) => Decision::Decl(*e),
                                        None => {
                                            self.report(
                                                FindingKind::Schema,
                                                line,
                                                col,
                                                format!(
                                                    "element {} matches a strict wildcard but no global declaration exists for it",
                                                    display(&ns, local, "")
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
                                        .map(|f| f.seg.to_string())
                                        .unwrap_or_default();
                                    self.report_path(
                                        FindingKind::Schema,
                                        line,
                                        col,
                                        format!("{}/{}", self.path(), seg),
                                        format!(
                                            "element {} is not expected here in {parent}; expected: {expected}",
                                            display(&ns, local, &ns)
                                        ),
                                    );
                                    self.set_failed();
                                    match self.find_in_model(&ns, local) {
                                        Some(e) => Decision::Decl(e),
                                        None => match c.global_elems.get(&ns, local) {
                                            Some(e) => Decision::Decl(*e),
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
        let decl = match decision {
            Decision::Skip => {
                self.frames.push(Frame {
                    seg,
                    line,
                    col,
                    kind: FrameKind::Skip,
                });
                return None;
            }
            Decision::Lax => {
                // xsi:type can still give a lax element a type.
                if let Some(t) = attrs.iter().find(|a| &*a.ns == XSI_NS && a.local == "type")
                    && let Some((tns, tl)) = resolve_qname_in(&xin.scope_snapshot(), &t.value)
                    && let Some(tid) = c.global_types.get(&tns, &tl).copied()
                {
                    self.push_typed(seg, line, col, tid, None, attrs, false);
                    return None;
                }
                self.frames.push(Frame {
                    seg,
                    line,
                    col,
                    kind: FrameKind::Lax,
                });
                return None;
            }
            Decision::Decl(e) => e,
        };
        let d = &c.elements[decl];
        self.frames.push(Frame {
            seg,
            line,
            col,
            kind: FrameKind::Lax,
        });
        if d.abstract_ {
            self.report_here(format!(
                "element {} is abstract: use an element of its substitution group instead",
                d.local
            ));
        }
        let mut ty = d.ty;
        if let Some(t) = attrs.iter().find(|a| &*a.ns == XSI_NS && a.local == "type") {
            match resolve_qname_in(&xin.scope_snapshot(), &t.value) {
                Some((tns, tl)) => match c.global_types.get(&tns, &tl).copied() {
                    Some(tid) => {
                        if c.derives_from(tid, ty) {
                            ty = tid;
                        } else {
                            self.report_here(format!(
                                "xsi:type '{}' is not derived from the declared type {}",
                                t.value,
                                c.type_display(ty)
                            ));
                        }
                    }
                    None => self.report_here(format!(
                        "xsi:type '{}' does not name a type of the schema set",
                        t.value
                    )),
                },
                None => self.report_here(format!(
                    "xsi:type '{}' uses an undeclared namespace prefix",
                    t.value
                )),
            }
        }
        let mut nil = false;
        if let Some(n) = attrs.iter().find(|a| &*a.ns == XSI_NS && a.local == "nil") {
            let v = n.value.trim();
            if v == "true" || v == "1" {
                if d.nillable {
                    nil = true;
                } else {
                    self.report_here(format!("element {} is not nillable", d.local));
                }
            }
        }
        let fixed = d.fixed.clone();
        let frame = self.frames.pop()?;
        self.push_typed(frame.seg, line, col, ty, fixed, attrs, nil);
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

    #[allow(clippy::too_many_arguments)]
    fn push_typed(
        &mut self,
        seg: Seg,
        line: u64,
        col: u64,
        ty: usize,
        fixed: Option<String>,
        attrs: &[XAttr],
        nil: bool,
    ) {
        let c = self.c;
        let state = match &c.types[ty] {
            TypeDef::Complex(ct) => match ct.content {
                Content::Model { model, .. } => {
                    if c.models[model].all.is_some() {
                        State::All {
                            seen: vec![false; c.models[model].leaves.len()],
                        }
                    } else {
                        State::Nfa {
                            cur: Vec::new(),
                            start: true,
                        }
                    }
                }
                _ => State::None,
            },
            _ => State::None,
        };
        let text = match &c.types[ty] {
            TypeDef::Simple(_) => Some(String::new()),
            TypeDef::Complex(ct) if matches!(ct.content, Content::Simple(_)) => Some(String::new()),
            _ => None,
        };
        self.frames.push(Frame {
            seg,
            line,
            col,
            kind: FrameKind::Typed {
                ty,
                state,
                text,
                nil,
                text_reported: false,
                failed: false,
                has_children: false,
                fixed,
            },
        });
        if let TypeDef::Complex(ct) = &c.types[ty]
            && ct.abstract_
        {
            self.report_here(format!(
                    "type {} is abstract: the element needs an xsi:type naming a concrete type derived from it",
                    ct.display
                ));
        }
        self.attributes(ty, attrs, line, col);
    }

    fn record(&mut self, info: ValueInfo, line: u64, col: u64, what: &str) {
        if let Some(id) = info.id {
            if let Some(first) = self.ids.get(&id) {
                let first = *first;
                self.report(
                    FindingKind::Schema,
                    line,
                    col,
                    format!("{what}: duplicate identifier '{id}' (already used at line {first})"),
                );
            } else {
                self.ids.insert(id, line);
            }
        }
        if self.opts.check_references && !info.idrefs.is_empty() {
            let path = self.path();
            for r in info.idrefs {
                self.idrefs.push((r, line, col, path.clone()));
            }
        }
    }

    fn attributes(&mut self, ty: usize, attrs: &[XAttr], line: u64, col: u64) {
        let c = self.c;
        let ct = match &c.types[ty] {
            TypeDef::Complex(ct) => Some(ct),
            TypeDef::Simple(_) => None,
        };
        for a in attrs {
            if &*a.ns == XSI_NS {
                continue;
            }
            let qn = match &a.prefix {
                Some(p) => format!("{p}:{}", a.local),
                None => a.local.clone(),
            };
            let use_ = ct.and_then(|ct| {
                ct.attrs
                    .iter()
                    .find(|u| u.local == a.local && *u.ns == *a.ns)
            });
            match use_ {
                Some(u) => match types::validate(c, u.ty, &a.value) {
                    Ok(info) => {
                        if let Some(f) = &u.fixed {
                            let ws = c.simple_ws(u.ty);
                            if types::normalize(&a.value, ws) != types::normalize(f, ws) {
                                self.report(
                                    FindingKind::Schema,
                                    line,
                                    col,
                                    format!("attribute '{qn}' must have the fixed value '{f}'"),
                                );
                            }
                        }
                        self.record(info, line, col, &format!("attribute '{qn}'"));
                    }
                    Err(e) => self.report(
                        FindingKind::Schema,
                        line,
                        col,
                        format!("attribute '{qn}': {e}"),
                    ),
                },
                None => {
                    let allowed = ct
                        .and_then(|ct| ct.attr_wc.as_ref())
                        .map(|w| w.allows(&a.ns))
                        .unwrap_or(false);
                    if !allowed {
                        self.report(
                            FindingKind::Schema,
                            line,
                            col,
                            format!("attribute '{qn}' is not allowed here"),
                        );
                    }
                }
            }
        }
        if let Some(ct) = ct {
            for u in ct.attrs.iter().filter(|u| u.required) {
                if !attrs.iter().any(|a| a.local == u.local && *a.ns == *u.ns) {
                    let name = if u.ns == XML_NS {
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

    fn text(&mut self, t: String) {
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
        if let Some(buf) = text {
            if buf.is_empty() {
                *buf = t;
            } else {
                buf.push_str(&t);
            }
            return;
        }
        let blank = t.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
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

    fn end(&mut self) {
        if !self.c.identities.is_empty() {
            self.ic_end();
        }
        let c = self.c;
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
            let ty = *ty;
            let mut msgs: Vec<String> = Vec::new();
            let mut value: Option<(usize, String)> = None;
            if *nil {
                if text.as_ref().is_some_and(|t| !t.is_empty()) {
                    msgs.push("text is not allowed: the element has xsi:nil=\"true\"".into());
                }
            } else if !*failed {
                if let TypeDef::Complex(ct) = &c.types[ty]
                    && let Content::Model { model, .. } = ct.content
                {
                    let m = &c.models[model];
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
                        let (cands, acc): (Vec<u32>, bool) = match state {
                            State::Nfa { cur, start } => {
                                if *start {
                                    (m.first.clone(), false)
                                } else {
                                    let mut v: Vec<u32> = cur
                                        .iter()
                                        .flat_map(|p| m.follow[*p as usize].iter().copied())
                                        .collect();
                                    v.sort_unstable();
                                    v.dedup();
                                    (v, false)
                                }
                            }
                            State::All { seen } => (
                                (0..m.leaves.len() as u32)
                                    .filter(|i| {
                                        !seen[*i as usize]
                                            && m.all.as_ref().is_some_and(|r| r[*i as usize])
                                    })
                                    .collect(),
                                false,
                            ),
                            State::None => (Vec::new(), false),
                        };
                        let ns = c.elements.first().map(|_| "").unwrap_or("");
                        let _ = ns;
                        let exp = self.describe_expected(m, &cands, acc, self.ctx_ns(ty));
                        msgs.push(format!(
                            "element {} is incomplete: missing child element; expected: {exp}",
                            frame.seg
                        ));
                    }
                }
                if let Some(t) = text {
                    let st = match &c.types[ty] {
                        TypeDef::Simple(_) => Some(ty),
                        TypeDef::Complex(ct) => match ct.content {
                            Content::Simple(s) => Some(s),
                            _ => None,
                        },
                    };
                    if let Some(st) = st {
                        if *has_children {
                            // already reported at the child
                        } else {
                            value = Some((st, t.clone()));
                        }
                    }
                }
            }
            let fixed = fixed.clone();
            for m in msgs {
                self.report(FindingKind::Schema, line, col, m);
            }
            if let Some((st, v)) = value {
                match types::validate(c, st, &v) {
                    Ok(info) => {
                        if let Some(f) = fixed {
                            let ws = c.simple_ws(st);
                            if types::normalize(&v, ws) != types::normalize(&f, ws) {
                                self.report(
                                    FindingKind::Schema,
                                    line,
                                    col,
                                    format!("the value must be the fixed value '{f}'"),
                                );
                            }
                        }
                        self.record(info, line, col, "element value");
                    }
                    Err(e) => self.report(FindingKind::Schema, line, col, e),
                }
            }
        }
        self.frames.pop();
    }

    /// The whitespace-normalised value of attribute `a` of the innermost element.
    fn ic_attr_value(&self, a: &XAttr) -> String {
        let ty = match self.frames.last().map(|f| &f.kind) {
            Some(FrameKind::Typed { ty, .. }) => match &self.c.types[*ty] {
                TypeDef::Complex(ct) => ct
                    .attrs
                    .iter()
                    .find(|u| u.local == a.local && *u.ns == *a.ns)
                    .map(|u| u.ty),
                _ => None,
            },
            _ => None,
        };
        match ty {
            Some(t) => {
                let v = types::normalize(&a.value, self.c.simple_ws(t));
                types::key_value(self.c, t, &v)
            }
            None => types::normalize(&a.value, types::Ws::Collapse).into_owned(),
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
    fn ic_start(
        &mut self,
        name: (std::sync::Arc<str>, String),
        decl: Option<ElemId>,
        attrs: &[XAttr],
        line: u64,
        col: u64,
    ) {
        let c = self.c;
        self.ic.names.push(name);
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
                .map(|(n, l)| (&**n, l.as_str()))
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
                            if let Some(a) = attrs.iter().find(|a| t.matches(&a.ns, &a.local)) {
                                let v = self.ic_attr_value(a);
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
                    .map(|(n, l)| (&**n, l.as_str()))
                    .collect();
                ic.fields
                    .iter()
                    .enumerate()
                    .flat_map(|(fi, f)| f.iter().map(move |p| (fi, p)))
                    .filter(|(_, p)| !p.steps.is_empty() && p.matches_elems(&rel))
                    .collect()
            };
            for (fi, p) in hits {
                {
                    match &p.attr {
                        Some(t) => {
                            if let Some(a) = attrs.iter().find(|a| t.matches(&a.ns, &a.local)) {
                                let v = self.ic_attr_value(a);
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
            let value: Result<String, ()> = match self.frames.last().map(|f| &f.kind) {
                Some(FrameKind::Typed {
                    ty, text: Some(t), ..
                }) => {
                    let st = match &c.types[*ty] {
                        TypeDef::Complex(ct) => match ct.content {
                            Content::Simple(s) => s,
                            _ => *ty,
                        },
                        _ => *ty,
                    };
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

    fn ctx_ns(&self, _ty: usize) -> &str {
        self.c
            .target_namespaces
            .first()
            .map(|s| s.as_str())
            .unwrap_or("")
    }
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
