//! Safe, streaming XML input shared by the XSD and RelaxNG validators and by the
//! schema-document reader: namespace resolution, line/column tracking with bounded
//! memory, refusal of DTDs and entity declarations, depth and text-size limits.
//!
//! It runs the crate's `memchr` tokenizer ([`crate::xml::lex`]) over a window of the
//! input that is refilled in reads of up to 256 KiB, so memory does not grow with the document:
//! only with the largest tag (capped by [`Limits::max_text`]) and the largest text node
//! (streamed into the pending text, capped by the same limit). The hot interface,
//! [`XmlInput::advance`], reports events without allocating: names and attribute values
//! are borrowed from the window (values are copied only when they contain references or
//! line ends), namespaces are interned to small integers. [`XmlInput::next`] is an owned
//! adapter over it for the colder users (schema documents, RelaxNG).

use std::cell::RefCell;
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use crate::xml::lex::{self, Kind, LexErr, is_name, is_qname};
use crate::{Error, ErrorKind, Result};

/// The XML namespace, bound to the `xml` prefix by definition.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`, …).
pub(crate) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Interned id of "no namespace".
pub(crate) const NS_NONE: u32 = 0;
/// Interned id of [`XML_NS`].
pub(crate) const NS_XML: u32 = 1;
/// Interned id of the `xmlns` pseudo-namespace.
const NS_XMLNS: u32 = 2;
/// Interned id of [`XSI_NS`].
pub(crate) const NS_XSI: u32 = 3;

/// Bytes read from the source at a time, at most.
const CHUNK: usize = 256 << 10;
/// The first read's size: each read that fills its request doubles the next one, up to
/// [`CHUNK`]. A small document (or the version detection, which stops at the root's start
/// tag) then reads, zeroes and checks a buffer of its own size, not 256 KiB.
const FIRST_CHUNK: usize = 4 << 10;
/// A text run without `<` longer than this is delivered in pieces instead of growing
/// the window.
const TEXT_PIECE: usize = 64 << 10;

/// Limits applied while reading a document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_depth: usize,
    pub max_text: usize,
}

/// One attribute of a start tag, with its resolved namespace ("" = none).
// The owned adapter is read by the version detection (names only) and the tests; the
// schema documents use the borrowing interface.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, Clone)]
pub(crate) struct XAttr {
    pub ns: Arc<str>,
    pub local: String,
    pub value: String,
}

/// A simplified, owned XML event (see [`XmlInput::next`]).
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug)]
pub(crate) enum XEvent {
    /// A start tag (an empty-element tag is reported as `Start` then `End`).
    Start {
        ns: Arc<str>,
        local: String,
        attrs: Vec<XAttr>,
        line: u64,
        col: u64,
    },
    /// Character data (text, CDATA, character and predefined entity references).
    Text(String),
    /// An end tag.
    End,
    /// The end of the document.
    Eof,
}

/// What [`XmlInput::advance`] found; the data is read with the accessors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ev {
    /// A start tag: [`XmlInput::elem_local`], [`XmlInput::elem_ns`], [`XmlInput::attrs`] …
    Start,
    /// Character data: [`XmlInput::text`]. Whitespace-only text before a start tag is
    /// dropped (it never matters for validation); text before an end tag is always
    /// delivered. Adjacent text, CDATA and references are delivered together.
    Text,
    /// An end tag (also after the `Start` of an empty-element tag).
    End,
    /// The end of the document.
    Eof,
}

/// A well-formedness, safety or limit problem found while reading.
#[derive(Debug, Clone)]
pub(crate) struct ReadProblem {
    pub kind: ErrorKind,
    pub message: String,
    pub line: u64,
    pub col: u64,
}

/// Where an attribute value lives: in the window (no reference, no line end) or in
/// the value arena.
#[derive(Debug, Clone)]
enum Val {
    Buf(Range<usize>),
    Arena(Range<usize>),
}

/// An attribute of the current start tag (offsets into the window).
#[derive(Debug, Clone)]
struct RawAttr {
    ns: u32,
    /// The qualified name, in the window.
    qname: Range<usize>,
    /// Length of the prefix (0 = none), without the colon.
    plen: usize,
    value: Val,
}

/// A borrowed attribute of the current start tag.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttrRef<'a> {
    /// Interned namespace ([`NS_NONE`] when unprefixed).
    pub ns_id: u32,
    /// Namespace URI ("" when unprefixed).
    pub ns: &'a str,
    pub local: &'a str,
    /// The qualified name as written.
    pub qname: &'a str,
    /// The normalised value.
    pub value: &'a str,
}

/// What was read but not yet reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stash {
    None,
    Start,
    End,
}

/// Streaming reader with resolved namespaces.
pub(crate) struct XmlInput<R: Read> {
    src: R,
    /// The window, UTF-8 checked once when read: `buf[pos..]` is not consumed yet.
    buf: String,
    pos: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    /// Bytes read but not yet in the window: a character cut by the end of a read.
    stage: Vec<u8>,
    /// Read buffer.
    raw: Vec<u8>,
    /// The input is not UTF-8 right after the window.
    bad_utf8: bool,
    /// The forbidden control character that stopped the readable input, if that is why
    /// `bad_utf8` is set.
    bad_control: Option<u8>,
    src_eof: bool,
    /// Line counting, done lazily: only up to the offsets someone asks about.
    lines: RefCell<Lines>,
    limits: Limits,
    depth: usize,
    seen_root: bool,
    root_closed: bool,
    pending_end: bool,
    stash: Stash,
    /// Namespace URIs, interned (see the `NS_*` constants).
    namespaces: Vec<Arc<str>>,
    /// In-scope bindings: (prefix range in `prefixes`, namespace id), innermost last.
    bindings: Vec<(Range<usize>, u32)>,
    prefixes: String,
    /// Per open element: lengths of `bindings`, `prefixes` and `names` before it, and
    /// the default namespace of its parent.
    marks: Vec<(usize, usize, usize, u32)>,
    /// The default namespace in scope (the innermost `xmlns="…"` binding, else
    /// [`NS_NONE`]): unprefixed element names resolve without walking `bindings`.
    default_ns: u32,
    /// Qualified names of the open elements, concatenated (end-tag matching).
    names: Vec<u8>,
    // The current start tag.
    elem_ns: u32,
    elem_qname: Range<usize>,
    elem_plen: usize,
    /// Absolute offset of the current start tag's `<` (its line and column are counted
    /// only when asked for, see [`XmlInput::pos_at`]).
    elem_off: u64,
    attrs: Vec<RawAttr>,
    /// Attribute syntax of the current tag: (qualified name, raw value) ranges.
    items: Vec<(Range<usize>, Range<usize>)>,
    arena: String,
    // Pending character data: `text`, or while it is empty, the one window range
    // `text_win` (a text run without references, not copied until the window moves).
    text: String,
    text_win: Option<Range<usize>>,
    text_delivered: bool,
    /// Absolute offset of the start of the XML declaration allowed at the start.
    doc_start: u64,
    /// Size of the next read ([`FIRST_CHUNK`] doubling up to [`CHUNK`]).
    chunk: usize,
}

impl<R: Read> XmlInput<R> {
    /// Wraps a reader (it is read in large chunks; a `BufRead` adds nothing).
    pub fn new(src: R, limits: Limits) -> Self {
        let namespaces: Vec<Arc<str>> = vec![
            Arc::from(""),
            Arc::from(XML_NS),
            Arc::from(XMLNS_NS),
            Arc::from(XSI_NS),
        ];
        XmlInput {
            src,
            buf: String::new(),
            pos: 0,
            base: 0,
            stage: Vec::new(),
            raw: Vec::new(),
            bad_utf8: false,
            bad_control: None,
            src_eof: false,
            lines: RefCell::new(Lines::default()),
            limits,
            depth: 0,
            seen_root: false,
            root_closed: false,
            pending_end: false,
            stash: Stash::None,
            namespaces,
            bindings: Vec::new(),
            prefixes: String::new(),
            marks: Vec::new(),
            default_ns: NS_NONE,
            names: Vec::new(),
            elem_ns: 0,
            elem_qname: 0..0,
            elem_plen: 0,
            elem_off: 0,
            attrs: Vec::new(),
            items: Vec::new(),
            arena: String::new(),
            text: String::new(),
            text_win: None,
            text_delivered: false,
            doc_start: 0,
            chunk: FIRST_CHUNK,
        }
    }

    /// Current element depth (1 inside the root element).
    #[allow(dead_code)]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// A slice of the window (ranges start and end at ASCII delimiters).
    #[inline]
    fn s(&self, r: Range<usize>) -> &str {
        self.buf.get(r).unwrap_or("")
    }

    /// The namespace URI of an interned id.
    pub fn ns_str(&self, id: u32) -> &str {
        self.namespaces.get(id as usize).map(|s| &**s).unwrap_or("")
    }

    /// The number of interned namespaces (ids are below it).
    pub fn ns_count(&self) -> usize {
        self.namespaces.len()
    }

    fn intern_ns(&mut self, uri: &str) -> u32 {
        if let Some(i) = self.namespaces.iter().position(|n| **n == *uri) {
            return i as u32;
        }
        self.namespaces.push(Arc::from(uri));
        (self.namespaces.len() - 1) as u32
    }

    /// Resolves a prefix in the current scope to an interned id (`None` = default).
    pub fn resolve_prefix_id(&self, prefix: Option<&str>) -> Option<u32> {
        let p = prefix.unwrap_or("");
        if p.is_empty() {
            // Every unprefixed element name: kept up to date by `start_tag`/`close`.
            return Some(self.default_ns);
        }
        if p == "xml" {
            return Some(NS_XML);
        }
        let pb = p.as_bytes();
        let all = self.prefixes.as_bytes();
        for (r, id) in self.bindings.iter().rev() {
            // Lengths first, then bytes without a `memcmp` call (it was 5–8 % of the
            // validation profile: every unprefixed element name resolves "" here).
            if r.len() == pb.len() && lex::bytes_eq(&all[r.clone()], pb) {
                return Some(*id);
            }
        }
        None
    }

    /// Resolves a prefix in the current scope (`None` = default namespace).
    #[allow(dead_code)]
    pub fn resolve_prefix(&self, prefix: Option<&str>) -> Option<Arc<str>> {
        self.resolve_prefix_id(prefix)
            .map(|id| self.namespaces[id as usize].clone())
    }

    /// Resolves a QName-valued string in the scope of the current element.
    pub fn resolve_qname<'q>(&self, q: &'q str) -> Option<(&str, &'q str)> {
        let q = q.trim();
        let (p, l) = match q.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, q),
        };
        self.resolve_prefix_id(p).map(|id| (self.ns_str(id), l))
    }

    /// The namespace bindings in scope (innermost last), for QName-valued content.
    pub fn scope_snapshot(&self) -> Vec<(String, String)> {
        self.bindings
            .iter()
            .map(|(r, id)| {
                (
                    self.prefixes[r.clone()].to_string(),
                    self.ns_str(*id).to_string(),
                )
            })
            .collect()
    }

    /// Whether the namespace bindings in scope are `snap` (a [`XmlInput::scope_snapshot`]),
    /// compared without building a new snapshot.
    pub fn scope_is(&self, snap: &[(String, String)]) -> bool {
        snap.len() == self.bindings.len()
            && self
                .bindings
                .iter()
                .zip(snap)
                .all(|((r, id), (p, ns))| self.prefixes[r.clone()] == **p && self.ns_str(*id) == ns)
    }

    /// Interned namespace of the current start tag.
    pub fn elem_ns_id(&self) -> u32 {
        self.elem_ns
    }

    /// Namespace URI of the current start tag.
    pub fn elem_ns(&self) -> &str {
        self.ns_str(self.elem_ns)
    }

    /// Local name of the current start tag.
    pub fn elem_local(&self) -> &str {
        let r = self.elem_qname.clone();
        let skip = if self.elem_plen > 0 {
            self.elem_plen + 1
        } else {
            0
        };
        self.s(r.start + skip..r.end)
    }

    /// Line and column of the current start tag's `<` (counted now: a caller that needs
    /// them only for findings should keep [`XmlInput::elem_off`] and call
    /// [`XmlInput::pos_at`] when it reports).
    pub fn elem_pos(&self) -> (u64, u64) {
        self.pos_at(self.elem_off)
    }

    /// Absolute byte offset of the current start tag's `<`.
    pub fn elem_off(&self) -> u64 {
        self.elem_off
    }

    /// Line and column of absolute byte offset `off`, which must be in the window (any
    /// offset at or after the current event's start, or of an element opened since the
    /// window last moved), or the start of an open element, or of the element closed by
    /// the current event. Newlines are counted only up to the offsets asked for; the
    /// open elements' positions are resolved before the window moves past them.
    pub fn pos_at(&self, off: u64) -> (u64, u64) {
        let mut st = self.lines.borrow_mut();
        let buf = self.buf.as_bytes();
        let rel = off.saturating_sub(self.base) as usize;
        let in_window = off >= self.base && rel <= buf.len();
        if in_window && rel >= st.nl_done {
            st.count_to(buf, self.base, rel);
            return st.at(off);
        }
        if let Some(&(_, l, c)) = st.open[..st.resolved].iter().rev().find(|e| e.0 == off) {
            return (l, c);
        }
        if let Some((o, l, c)) = st.last_closed
            && o == off
        {
            return (l, c);
        }
        if in_window {
            return st.back(buf, self.base, rel);
        }
        st.at(off)
    }

    /// Attribute `i` of the current start tag.
    pub fn attr(&self, i: usize) -> AttrRef<'_> {
        let a = &self.attrs[i];
        let qname = self.s(a.qname.clone());
        let local = if a.plen > 0 {
            &qname[a.plen + 1..]
        } else {
            qname
        };
        let value = match &a.value {
            Val::Buf(r) => self.s(r.clone()),
            Val::Arena(r) => &self.arena[r.clone()],
        };
        AttrRef {
            ns_id: a.ns,
            ns: self.ns_str(a.ns),
            local,
            qname,
            value,
        }
    }

    /// The attributes of the current start tag.
    pub fn attrs(&self) -> impl Iterator<Item = AttrRef<'_>> + '_ {
        (0..self.attrs.len()).map(|i| self.attr(i))
    }

    /// Whether the character data just delivered ([`Ev::Text`]) is followed by an end
    /// tag (the next event is [`Ev::End`]): it is then the whole text of a leaf element
    /// when that element had no text before.
    pub fn text_ends_element(&self) -> bool {
        self.text_delivered && self.stash == Stash::End
    }

    /// The pending character data (after [`Ev::Text`]).
    pub fn text(&self) -> &str {
        match &self.text_win {
            Some(r) => self.s(r.clone()),
            None => &self.text,
        }
    }

    /// Copies the pending window range, if any, into `text` (before the window moves or
    /// more text is appended).
    #[inline]
    fn own_text(&mut self) {
        if let Some(r) = self.text_win.take() {
            self.text.push_str(&self.buf[r]);
        }
    }

    /// Forgets the pending character data.
    #[inline]
    fn clear_text(&mut self) {
        self.text.clear();
        self.text_win = None;
    }

    /// Whether no character data is pending.
    #[inline]
    fn no_text(&self) -> bool {
        self.text.is_empty() && self.text_win.as_ref().is_none_or(|r| r.is_empty())
    }

    fn problem(&mut self, kind: ErrorKind, message: impl Into<String>, off: u64) -> ReadProblem {
        let (line, col) = self.pos_at(off);
        ReadProblem {
            kind,
            message: message.into(),
            line,
            col,
        }
    }

    fn xml_problem(&mut self, message: impl Into<String>, off: u64) -> ReadProblem {
        self.problem(ErrorKind::Xml, message, off)
    }

    /// Reads more input into the window (keeping `buf[pos..]`). `Ok(false)` at the end
    /// of the input.
    fn fill(&mut self) -> std::result::Result<bool, ReadProblem> {
        if self.src_eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.own_text();
            let p = self.pos;
            {
                // Count the lines of what leaves the window (resolving the open elements
                // in it): offsets before the new window cannot be counted later.
                let st = self.lines.get_mut();
                st.count_to(self.buf.as_bytes(), self.base, p);
                st.base_last_nl = st.last_nl;
                st.nl_done -= p;
            }
            self.buf.replace_range(..p, "");
            self.base += p as u64;
            self.pos = 0;
        }
        if self.buf.len() > self.limits.max_text.saturating_add(CHUNK) {
            let max = self.limits.max_text;
            let off = self.base;
            return Err(self.problem(
                ErrorKind::LimitExceeded,
                format!("a text node or tag is longer than the limit of {max} bytes"),
                off,
            ));
        }
        // The read buffer keeps its length between reads: it is zeroed once, not before
        // every read.
        let mut raw = std::mem::take(&mut self.raw);
        let old = self.stage.len();
        let chunk = self.chunk;
        if raw.len() < old + chunk {
            // Its bytes are stale (the stage is copied in below): a fresh buffer rather
            // than a grown copy of the old one.
            raw = vec![0; old + chunk];
        }
        raw[..old].copy_from_slice(&self.stage);
        self.stage.clear();
        let n = loop {
            match self.src.read(&mut raw[old..old + chunk]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.raw = raw;
                    let off = self.base + self.buf.len() as u64;
                    return Err(self.problem(
                        ErrorKind::Io,
                        format!("cannot read the document: {e}"),
                        off,
                    ));
                }
            }
        };
        let len = old + n;
        if n == 0 {
            self.src_eof = true;
        }
        if n == chunk {
            self.chunk = (chunk * 2).min(CHUNK);
        }
        // Keep a character cut by the end of the read for the next one.
        let cut = if self.src_eof {
            len
        } else {
            utf8_cut(&raw[..len])
        };
        let valid = match std::str::from_utf8(&raw[..cut]) {
            Ok(text) => text,
            Err(e) => {
                self.bad_utf8 = true;
                std::str::from_utf8(&raw[..e.valid_up_to()]).unwrap_or_default()
            }
        };
        // A C0 control character other than tab, LF and CR is not an XML 1.0 `Char`
        // anywhere in a document (libxml2 refuses it): the readable input stops there.
        match crate::xml::first_forbidden_control(valid.as_bytes()) {
            Some(i) => {
                self.buf.push_str(&valid[..i]);
                self.bad_control = Some(valid.as_bytes()[i]);
                self.bad_utf8 = true;
            }
            None => self.buf.push_str(valid),
        }
        self.stage.extend_from_slice(&raw[cut..len]);
        self.raw = raw;
        if self.base == 0 && self.pos == 0 && self.buf.starts_with('\u{FEFF}') {
            // A UTF-8 byte order mark.
            self.pos = 3;
            self.doc_start = 3;
        }
        Ok(n > 0)
    }

    /// The tokenizer needs bytes past the valid window: read more, or fail.
    fn need_more(&mut self) -> std::result::Result<(), ReadProblem> {
        if self.bad_utf8 {
            let off = self.base + self.buf.len() as u64;
            let msg = match self.bad_control {
                Some(c) => format!(
                    "malformed XML: control character U+{c:04X} is not allowed in XML 1.0 (only tab, line feed and carriage return are)"
                ),
                None => "malformed XML: the document is not valid UTF-8 (only UTF-8 is supported)"
                    .to_owned(),
            };
            return Err(self.xml_problem(msg, off));
        }
        self.fill()?;
        Ok(())
    }

    /// Owned-event interface (schema documents, RelaxNG, version detection).
    pub fn next(&mut self) -> std::result::Result<XEvent, ReadProblem> {
        Ok(match self.advance()? {
            Ev::Start => XEvent::Start {
                ns: self.namespaces[self.elem_ns as usize].clone(),
                local: self.elem_local().to_string(),
                attrs: self
                    .attrs()
                    .map(|a| XAttr {
                        ns: self.namespaces[a.ns_id as usize].clone(),
                        local: a.local.to_string(),
                        value: a.value.to_string(),
                    })
                    .collect(),
                line: self.elem_pos().0,
                col: self.elem_pos().1,
            },
            Ev::Text => XEvent::Text(self.text().to_string()),
            Ev::End => XEvent::End,
            Ev::Eof => XEvent::Eof,
        })
    }

    /// Reads the next event.
    pub fn advance(&mut self) -> std::result::Result<Ev, ReadProblem> {
        if self.text_delivered {
            self.text_delivered = false;
            self.clear_text();
        }
        match std::mem::replace(&mut self.stash, Stash::None) {
            Stash::Start => return Ok(Ev::Start),
            Stash::End => return Ok(Ev::End),
            Stash::None => {}
        }
        if self.pending_end {
            self.pending_end = false;
            self.close();
            return Ok(Ev::End);
        }
        loop {
            let eof = self.src_eof && !self.bad_utf8 && self.stage.is_empty();
            let pos = self.pos;
            let avail = self.buf.as_bytes();
            if pos < avail.len() && avail[pos] != b'<' {
                // Character data, possibly longer than the window.
                let end = match memchr::memchr(b'<', &avail[pos..]) {
                    Some(i) => pos + i,
                    None if eof => avail.len(),
                    None if avail.len() - pos > TEXT_PIECE => safe_cut(avail, pos),
                    None => {
                        self.need_more()?;
                        continue;
                    }
                };
                self.pos = end;
                self.char_data(pos, end, false)?;
                continue;
            }
            // The end tag of the innermost element, written `</name>`: matched against
            // the open name without the tokenizer (which would search the `>`, check the
            // name's bytes and then compare them again).
            if avail.get(pos + 1) == Some(&b'/')
                && let Some(&(_, _, from, _)) = self.marks.last()
            {
                let open = &self.names[from..];
                let e = pos + 2 + open.len();
                if avail.get(e) == Some(&b'>') && lex::bytes_eq(&avail[pos + 2..e], open) {
                    self.pos = e + 1;
                    self.close();
                    if !self.no_text() {
                        self.stash = Stash::End;
                        self.text_delivered = true;
                        return Ok(Ev::Text);
                    }
                    return Ok(Ev::End);
                }
            }
            let tok = match lex::next(avail, pos, eof) {
                Ok(t) => t,
                Err(LexErr::Incomplete) => {
                    self.need_more()?;
                    continue;
                }
                Err(LexErr::Bad { at, msg }) => {
                    if !eof && self.bad_utf8 {
                        // The tokenizer stopped at the bad byte.
                        self.need_more()?;
                    }
                    let off = self.base + at as u64;
                    return Err(self.xml_problem(format!("malformed XML: {msg}"), off));
                }
            };
            self.pos = tok.end;
            let off = self.base + tok.start as u64;
            match tok.kind {
                Kind::Text => {
                    self.char_data(tok.start, tok.end, false)?;
                }
                Kind::CData => {
                    if self.depth == 0 {
                        return Err(
                            self.xml_problem("malformed XML: CDATA outside the root element", off)
                        );
                    }
                    self.char_data(tok.a, tok.b, true)?;
                }
                Kind::Comment => {}
                Kind::Pi => {
                    let content = &self.buf[tok.a..tok.b];
                    let target = content.split([' ', '\t', '\n', '\r']).next().unwrap_or("");
                    if target.eq_ignore_ascii_case("xml") || !is_name(target, false) {
                        let t = target.to_string();
                        return Err(self.xml_problem(
                            format!(
                                "malformed XML: '{t}' is not a valid processing-instruction target"
                            ),
                            off,
                        ));
                    }
                }
                Kind::Decl => {
                    if off != self.doc_start {
                        return Err(self.xml_problem(
                            "malformed XML: the XML declaration is only allowed at the very start of the document",
                            off,
                        ));
                    }
                    let decl = self.s(tok.a..tok.b).to_string();
                    match check_decl(&decl) {
                        Err(why) => {
                            return Err(
                                self.xml_problem(format!("malformed XML declaration: {why}"), off)
                            );
                        }
                        Ok(Some(enc)) => {
                            let enc = enc.to_ascii_lowercase();
                            if enc != "utf-8"
                                && enc != "utf8"
                                && enc != "us-ascii"
                                && enc != "ascii"
                            {
                                return Err(self.problem(
                                    ErrorKind::Unsupported,
                                    format!(
                                        "unsupported document encoding '{enc}' (only UTF-8 is supported)"
                                    ),
                                    off,
                                ));
                            }
                        }
                        Ok(None) => {}
                    }
                }
                Kind::DocType => {
                    return Err(self.problem(
                        ErrorKind::Unsafe,
                        "document type declarations (DTD) are refused: no DTD is read, no entity is expanded",
                        off,
                    ));
                }
                Kind::Start | Kind::Empty => {
                    if self.root_closed {
                        return Err(
                            self.xml_problem("malformed XML: more than one root element", off)
                        );
                    }
                    self.start_tag(tok.start, tok.a, tok.b)?;
                    if tok.kind == Kind::Empty {
                        self.pending_end = true;
                    }
                    if !self.no_text() {
                        if self
                            .text()
                            .bytes()
                            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                        {
                            self.clear_text();
                        } else {
                            self.stash = Stash::Start;
                            self.text_delivered = true;
                            return Ok(Ev::Text);
                        }
                    }
                    return Ok(Ev::Start);
                }
                Kind::End => {
                    self.end_tag(tok.start, tok.a)?;
                    self.close();
                    if !self.no_text() {
                        self.stash = Stash::End;
                        self.text_delivered = true;
                        return Ok(Ev::Text);
                    }
                    return Ok(Ev::End);
                }
                Kind::Eof => {
                    if self.depth > 0 {
                        return Err(self.xml_problem(
                            "malformed XML: unexpected end of document (unclosed elements)",
                            off,
                        ));
                    }
                    if !self.seen_root {
                        return Err(self
                            .xml_problem("malformed XML: the document has no root element", off));
                    }
                    return Ok(Ev::Eof);
                }
            }
        }
    }

    /// Character data `buf[from..to]` (CDATA content with `cdata`).
    fn char_data(
        &mut self,
        from: usize,
        to: usize,
        cdata: bool,
    ) -> std::result::Result<(), ReadProblem> {
        let off = self.base + from as u64;
        let raw = &self.buf[from..to];
        if self.depth == 0 {
            if cdata
                || !raw
                    .bytes()
                    .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                return Err(self.xml_problem("malformed XML: text outside the root element", off));
            }
            return Ok(());
        }
        let pending = self.text.len() + self.text_win.as_ref().map_or(0, |r| r.len());
        if pending + raw.len() > self.limits.max_text {
            let max = self.limits.max_text;
            return Err(self.problem(
                ErrorKind::LimitExceeded,
                format!("a text node is longer than the limit of {max} bytes"),
                off,
            ));
        }
        if cdata {
            self.own_text();
            let raw = &self.buf[from..to];
            if raw.contains('\r') {
                let s = raw.replace("\r\n", "\n").replace('\r', "\n");
                self.text.push_str(&s);
            } else {
                self.text.push_str(raw);
            }
            return Ok(());
        }
        if self.text.is_empty()
            && self.text_win.is_none()
            && memchr::memchr3(b'&', b'\r', b']', raw.as_bytes()).is_none()
        {
            // One scan instead of two for the usual run (no reference, no carriage
            // return, no `]`): kept in the window, never copied.
            self.text_win = Some(from..to);
            return Ok(());
        }
        if memchr::memchr(b']', raw.as_bytes()).is_some()
            && let Some(i) = memchr::memmem::find(raw.as_bytes(), b"]]>")
        {
            let bad = self.base + (from + i) as u64;
            return Err(self.xml_problem("malformed XML: ']]>' is not allowed in text", bad));
        }
        if memchr::memchr(b'&', raw.as_bytes()).is_none()
            && let Some(cr) = memchr::memchr(b'\r', raw.as_bytes())
        {
            // Line ends of a CRLF document, no reference: normalised straight into the
            // text (what `unescape` does, without its byte loop and its string).
            self.own_text();
            let raw = &self.buf[from..to];
            push_line_ends_normalised(&mut self.text, raw, cr);
            return Ok(());
        }
        match lex::unescape(raw, false) {
            Ok(std::borrow::Cow::Borrowed(_))
                if self.text.is_empty() && self.text_win.is_none() =>
            {
                // Kept in the window: the usual leaf value is never copied.
                self.text_win = Some(from..to);
                Ok(())
            }
            Ok(std::borrow::Cow::Borrowed(_)) => {
                self.own_text();
                self.text.push_str(&self.buf[from..to]);
                Ok(())
            }
            Ok(std::borrow::Cow::Owned(s)) => {
                self.own_text();
                self.text.push_str(&s);
                Ok(())
            }
            Err((at, msg)) => {
                let bad = self.base + (from + at) as u64;
                Err(self.xml_problem(format!("malformed XML: {msg}"), bad))
            }
        }
    }

    /// A start tag at `start`, name `start+1..a`, attributes `a..b`.
    fn start_tag(
        &mut self,
        start: usize,
        a: usize,
        b: usize,
    ) -> std::result::Result<(), ReadProblem> {
        let off = self.base + start as u64;
        self.elem_off = off;
        if self.depth >= self.limits.max_depth {
            let max = self.limits.max_depth;
            return Err(self.problem(
                ErrorKind::LimitExceeded,
                format!("elements are nested deeper than the limit of {max} levels"),
                off,
            ));
        }
        self.seen_root = true;
        self.marks.push((
            self.bindings.len(),
            self.prefixes.len(),
            self.names.len(),
            self.default_ns,
        ));
        {
            let base = self.base;
            let st = self.lines.get_mut();
            st.open.push((off, 0, 0));
            if st.resolved + 1 == st.open.len() && off < base + st.nl_done as u64 {
                // Already counted past it (a position further on was asked for).
                let (l, c) = st.back(self.buf.as_bytes(), base, start);
                st.open[st.resolved] = (off, l, c);
                st.resolved += 1;
            }
        }
        self.depth += 1;
        self.attrs.clear();
        self.arena.clear();
        let region = &self.buf[a..b];
        // First the syntax, as ranges of the window (the window is not borrowed while
        // namespaces are interned below).
        let mut items = std::mem::take(&mut self.items);
        items.clear();
        for item in lex::attrs(region) {
            match item {
                Ok((qname, raw)) => {
                    let q = a + (qname.as_ptr() as usize - region.as_ptr() as usize);
                    let v = a + (raw.as_ptr() as usize - region.as_ptr() as usize);
                    items.push((q..q + qname.len(), v..v + raw.len()));
                }
                Err((at, msg)) => {
                    self.items = items;
                    let o = self.base + (a + at) as u64;
                    return Err(self.xml_problem(format!("malformed XML: {msg}"), o));
                }
            }
        }
        let mut prefixed = false;
        for (qr, vr) in items.iter().cloned() {
            let value = match lex::unescape(self.s(vr.clone()), true) {
                Ok(std::borrow::Cow::Borrowed(_)) => Val::Buf(vr.clone()),
                Ok(std::borrow::Cow::Owned(s)) => {
                    let at = self.arena.len();
                    self.arena.push_str(&s);
                    Val::Arena(at..self.arena.len())
                }
                Err((at, msg)) => {
                    self.items = items;
                    let q = self.s(qr).to_string();
                    let o = self.base + (vr.start + at) as u64;
                    return Err(self.xml_problem(
                        format!("malformed XML: bad value of attribute '{q}': {msg}"),
                        o,
                    ));
                }
            };
            let qname = self.s(qr.clone());
            if !is_qname(qname) {
                let q = qname.to_string();
                self.items = items;
                return Err(self.xml_problem(
                    format!("malformed XML: '{q}' is not a valid attribute name"),
                    off,
                ));
            }
            if qname == "xmlns" || qname.starts_with("xmlns:") {
                let p = qname.strip_prefix("xmlns:").unwrap_or("").to_string();
                let v = match &value {
                    Val::Buf(r) => self.s(r.clone()).to_string(),
                    Val::Arena(r) => self.arena[r.clone()].to_string(),
                };
                if qr.len() > 5 && v.is_empty() {
                    self.items = items;
                    return Err(self.xml_problem(
                        format!("namespace error: prefix '{p}' bound to an empty namespace"),
                        off,
                    ));
                }
                let id = self.intern_ns(&v);
                let ps = self.prefixes.len();
                self.prefixes.push_str(&p);
                self.bindings.push((ps..self.prefixes.len(), id));
                if p.is_empty() {
                    self.default_ns = id;
                }
                continue;
            }
            let plen = memchr::memchr(b':', qname.as_bytes()).unwrap_or(0);
            prefixed |= plen > 0;
            self.attrs.push(RawAttr {
                ns: NS_NONE,
                qname: qr,
                plen,
                value,
            });
        }
        self.items = items;
        // The element name.
        let qname = &self.buf[start + 1..a];
        if !is_qname(qname) {
            let q = qname.to_string();
            return Err(self.xml_problem(
                format!("malformed XML: '{q}' is not a valid element name"),
                off,
            ));
        }
        let (plen, ns) = match memchr::memchr(b':', qname.as_bytes()) {
            Some(i) => (i, self.resolve_prefix_id(Some(&qname[..i]))),
            None => (0, self.resolve_prefix_id(None)),
        };
        let Some(ns) = ns else {
            let q = qname.to_string();
            return Err(self.xml_problem(
                format!("namespace error: undeclared prefix in element name '{q}'"),
                off,
            ));
        };
        self.elem_ns = ns;
        self.elem_qname = start + 1..a;
        self.elem_plen = plen;
        self.names
            .extend_from_slice(&self.buf.as_bytes()[start + 1..a]);
        if prefixed {
            for i in 0..self.attrs.len() {
                let plen = self.attrs[i].plen;
                if plen == 0 {
                    continue;
                }
                let r = self.attrs[i].qname.clone();
                let p = &self.buf[r.start..r.start + plen];
                let id = if p == "xmlns" {
                    Some(NS_XMLNS)
                } else {
                    self.resolve_prefix_id(Some(p))
                };
                match id {
                    Some(id) => self.attrs[i].ns = id,
                    None => {
                        let q = self.s(r).to_string();
                        return Err(self.xml_problem(
                            format!("namespace error: undeclared prefix in attribute name '{q}'"),
                            off,
                        ));
                    }
                }
            }
        }
        let n = self.attrs.len();
        if n > 1 {
            for i in 1..n {
                for j in 0..i {
                    let (x, y) = (self.attr(i), self.attr(j));
                    if x.ns_id == y.ns_id && x.local == y.local {
                        let q = x.qname.to_string();
                        return Err(self.xml_problem(
                            format!("malformed XML: attribute '{q}' is repeated"),
                            off,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// An end tag at `start`, name `start+2..a`: it must close the innermost element.
    fn end_tag(&mut self, start: usize, a: usize) -> std::result::Result<(), ReadProblem> {
        let off = self.base + start as u64;
        let Some(&(_, _, from, _)) = self.marks.last() else {
            let name = self.buf[start + 2..a].to_string();
            return Err(self.xml_problem(
                format!("malformed XML: end tag </{name}> without a matching start tag"),
                off,
            ));
        };
        let open = &self.names[from..];
        let name = &self.buf.as_bytes()[start + 2..a];
        if !lex::bytes_eq(open, name) {
            let msg = format!(
                "malformed XML: expected </{}>, found </{}>",
                String::from_utf8_lossy(open),
                String::from_utf8_lossy(name)
            );
            return Err(self.xml_problem(msg, off));
        }
        Ok(())
    }

    /// Closes the innermost element.
    fn close(&mut self) {
        if let Some((b, p, n, d)) = self.marks.pop() {
            self.default_ns = d;
            self.bindings.truncate(b);
            self.prefixes.truncate(p);
            self.names.truncate(n);
            let st = self.lines.get_mut();
            let e = st.open.pop();
            st.last_closed = if st.resolved > st.open.len() {
                st.resolved = st.open.len();
                e
            } else {
                None
            };
        }
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            self.root_closed = true;
        }
    }
}

/// Lazy line counting of a reader: newlines are counted up to the offsets asked for (a
/// finding's element, an `xsd:ID`'s element) and over what leaves the window, not from
/// one start tag to the next.
#[derive(Debug, Default)]
struct Lines {
    /// Newlines before `buf[nl_done]` are counted in `lines`; the last one is `last_nl`.
    nl_done: usize,
    lines: u64,
    last_nl: Option<u64>,
    /// `last_nl` when the window last moved: the last newline before `buf[0]`.
    base_last_nl: Option<u64>,
    /// Per open element: (offset of its `<`, line, column); the first `resolved`
    /// entries have their line and column, the others are at or after `nl_done`.
    open: Vec<(u64, u64, u64)>,
    resolved: usize,
    /// The element closed last, if its position was resolved.
    last_closed: Option<(u64, u64, u64)>,
}

impl Lines {
    /// Line and column of `off`, at or after the last counted newline.
    #[inline]
    fn at(&self, off: u64) -> (u64, u64) {
        match self.last_nl {
            Some(nl) if off > nl => (self.lines + 1, off - nl),
            Some(_) => (self.lines.max(1), 1),
            None => (self.lines + 1, off + 1),
        }
    }

    /// Counts up to `buf[to]` (window at absolute offset `base`), resolving the open
    /// elements on the way.
    fn count_to(&mut self, buf: &[u8], base: u64, to: usize) {
        while self.resolved < self.open.len() {
            let off = self.open[self.resolved].0;
            let rel = off.saturating_sub(base) as usize;
            if rel >= to {
                break;
            }
            self.count(buf, base, rel);
            let (l, c) = self.at(off);
            self.open[self.resolved] = (off, l, c);
            self.resolved += 1;
        }
        self.count(buf, base, to);
    }

    /// Counts the newlines of `buf[nl_done..to]`.
    fn count(&mut self, buf: &[u8], base: u64, to: usize) {
        if to <= self.nl_done {
            return;
        }
        let seg = &buf[self.nl_done..to];
        if seg.len() <= 256 {
            let (n, last) = lex::newlines(seg);
            if n > 0 {
                self.lines += u64::from(n);
                self.last_nl = Some(base + (self.nl_done + last - 1) as u64);
            }
        } else if let Some(last) = memchr::memrchr(b'\n', seg) {
            self.lines += memchr::memchr_iter(b'\n', seg).count() as u64;
            self.last_nl = Some(base + (self.nl_done + last) as u64);
        }
        self.nl_done = to;
    }

    /// Line and column of `buf[rel]`, behind `nl_done` (counted backwards).
    fn back(&self, buf: &[u8], base: u64, rel: usize) -> (u64, u64) {
        let rel = rel.min(self.nl_done);
        let after = memchr::memchr_iter(b'\n', &buf[rel..self.nl_done]).count() as u64;
        let lines = self.lines - after;
        let off = base + rel as u64;
        match memchr::memrchr(b'\n', &buf[..rel]) {
            Some(i) => (lines + 1, off - (base + i as u64)),
            None => match self.base_last_nl {
                Some(nl) => (lines + 1, off - nl),
                None => (lines + 1, off + 1),
            },
        }
    }
}

/// The length of `b` without a UTF-8 sequence cut by its end.
/// Appends `raw` to `out` with every CRLF and lone CR made LF (XML line-end handling);
/// `cr` is the offset of `raw`'s first CR.
fn push_line_ends_normalised(out: &mut String, raw: &str, cr: usize) {
    let b = raw.as_bytes();
    let mut run = 0;
    let mut i = cr;
    loop {
        out.push_str(&raw[run..i]);
        out.push('\n');
        i += 1;
        if b.get(i) == Some(&b'\n') {
            i += 1;
        }
        run = i;
        match memchr::memchr(b'\r', &b[i..]) {
            Some(k) => i += k,
            None => break,
        }
    }
    out.push_str(&raw[run..]);
}

fn utf8_cut(b: &[u8]) -> usize {
    let n = b.len();
    for k in 1..=n.min(4) {
        let c = b[n - k];
        if c & 0xC0 != 0x80 {
            let need = match c {
                0x00..=0x7F => 1,
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            return if need > k { n - k } else { n };
        }
    }
    n
}

/// Where to cut a long run of character data `avail[pos..]` (no `<` in it) so that the
/// piece does not end inside a reference or between `\r` and `\n`.
fn safe_cut(avail: &[u8], pos: usize) -> usize {
    let mut cut = avail.len();
    if let Some(amp) = memchr::memrchr(b'&', &avail[pos..cut]) {
        let amp = pos + amp;
        if memchr::memchr(b';', &avail[amp..cut]).is_none() {
            cut = amp;
        }
    }
    if cut > pos + 1 && avail[cut - 1] == b'\r' {
        cut -= 1;
    }
    cut.max(pos + 1)
}

/// Checks the content of an XML declaration (`xml version="1.0" encoding="…"
/// standalone="…"`, as libxml2 reads it) and returns its encoding, if declared.
fn check_decl(decl: &str) -> std::result::Result<Option<&str>, &'static str> {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let rest = decl.strip_prefix("xml").ok_or("'xml' expected")?;
    // One pseudo-attribute: blank, name, '=', quoted value.
    fn pseudo<'d>(
        rest: &'d str,
        name: &str,
        ws: &dyn Fn(char) -> bool,
    ) -> Option<(&'d str, &'d str)> {
        let t = rest.trim_start_matches(ws);
        if t.len() == rest.len() {
            return None;
        }
        let t = t.strip_prefix(name)?.trim_start_matches(ws);
        let t = t.strip_prefix('=')?.trim_start_matches(ws);
        let q = t.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let t = &t[1..];
        let e = t.find(q)?;
        Some((&t[..e], &t[e + 1..]))
    }
    let (version, mut rest) = pseudo(rest, "version", &ws).ok_or("'version' expected")?;
    let (major, minor) = version.split_once('.').ok_or("malformed version")?;
    if major.is_empty()
        || !major.bytes().all(|c| c.is_ascii_digit())
        || !minor.bytes().all(|c| c.is_ascii_digit())
    {
        return Err("malformed version");
    }
    let mut encoding = None;
    if let Some((e, r)) = pseudo(rest, "encoding", &ws) {
        let ok = e.starts_with(|c: char| c.is_ascii_alphabetic())
            && e.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
        if !ok {
            return Err("malformed encoding name");
        }
        encoding = Some(e);
        rest = r;
    }
    if let Some((v, r)) = pseudo(rest, "standalone", &ws) {
        if v != "yes" && v != "no" {
            return Err("standalone must be 'yes' or 'no'");
        }
        rest = r;
    }
    if !rest.trim_start_matches(ws).is_empty() {
        return Err("unexpected content (only version, encoding and standalone are allowed)");
    }
    Ok(encoding)
}

/// Resolves a QName-valued string against a namespace snapshot.
pub(crate) fn resolve_qname_in(scope: &[(String, String)], q: &str) -> Option<(String, String)> {
    let q = q.trim();
    let (p, l) = match q.split_once(':') {
        Some((p, l)) => (p, l),
        None => ("", q),
    };
    if p == "xml" {
        return Some((XML_NS.to_string(), l.to_string()));
    }
    for (k, v) in scope.iter().rev() {
        if k == p {
            return Some((v.clone(), l.to_string()));
        }
    }
    if p.is_empty() {
        Some((String::new(), l.to_string()))
    } else {
        None
    }
}

/// Converts a read problem into an error (for schema documents).
pub(crate) fn problem_to_error(p: ReadProblem, what: &str) -> Error {
    Error::new(p.kind, format!("{what}: {}", p.message)).at(p.line, p.col)
}

/// Reads a whole document into memory with the given limits (schema documents only).
#[allow(dead_code)]
pub(crate) fn read_all<R: Read>(mut r: R, max: u64) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    (&mut r).take(max + 1).read_to_end(&mut v)?;
    if v.len() as u64 > max {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("document larger than {max} bytes"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_normalised_like_unescape() {
        for raw in [
            "\r",
            "\r\n",
            "a\r\nb",
            "\r\n    ",
            "x\r\r\ny\rz\n\r",
            "é\r\nü\r",
            "]\r\n",
            "\n\r\n\r\n\t",
        ] {
            let cr = raw.find('\r').unwrap();
            let mut out = String::from("before ");
            push_line_ends_normalised(&mut out, raw, cr);
            let want = lex::unescape(raw, false).unwrap();
            assert_eq!(out, format!("before {want}"), "{raw:?}");
        }
    }

    fn events(doc: &[u8], chunk: usize) -> std::result::Result<Vec<String>, ReadProblem> {
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(b.len()).min(self.1);
                b[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut x = XmlInput::new(
            Slow(doc, chunk),
            Limits {
                max_depth: 100,
                max_text: 1 << 20,
            },
        );
        let mut v = vec![];
        loop {
            match x.next()? {
                XEvent::Start {
                    ns,
                    local,
                    attrs,
                    line,
                    col,
                } => {
                    let a: Vec<String> = attrs
                        .iter()
                        .map(|a| format!("{{{}}}{}={}", a.ns, a.local, a.value))
                        .collect();
                    v.push(format!("S {{{ns}}}{local} {} {line}:{col}", a.join(",")));
                }
                XEvent::Text(t) => v.push(format!("T {t}")),
                XEvent::End => v.push("E".into()),
                XEvent::Eof => return Ok(v),
            }
        }
    }

    #[test]
    fn events_do_not_depend_on_the_read_size() {
        let doc = "\u{FEFF}<?xml version='1.0' encoding='UTF-8'?>\n<!-- c -->\n<r xmlns='urn:a' xmlns:p='urn:p'>\n  <p:x p:k='1&amp;2' k='a\tb'>caf\u{e9} &lt;<![CDATA[x]]>y</p:x>\r\n  <e/>\n  <y>é&#233;</y> </r>\n";
        let want = events(doc.as_bytes(), 1 << 20).unwrap();
        assert_eq!(
            want,
            vec![
                "S {urn:a}r  3:1",
                "S {urn:p}x {urn:p}k=1&2,{}k=a b 4:3",
                "T café <xy",
                "E",
                "S {urn:a}e  5:3",
                "E",
                "S {urn:a}y  6:3",
                "T éé",
                "E",
                "T  ",
                "E"
            ]
        );
        for n in [1, 2, 3, 7, 64] {
            assert_eq!(events(doc.as_bytes(), n).unwrap(), want, "read size {n}");
        }
    }

    #[test]
    fn well_formedness_errors() {
        for bad in [
            &b"<a></b>"[..],
            b"<a><b></a>",
            b"<a x='1' x='2'/>",
            b"<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
            b"<a/><b/>",
            b"text<a/>",
            b"<p:a/>",
            b"<a>&foo;</a>",
            b"<a>\xff</a>",
            b"<a>caf\xc3</a>",
            b"<a/>\n<?xml version='1.0'?>",
            b"<?xml version='1.0' encoding='latin1'?><a/>",
            b"",
            b"<a>",
        ] {
            for n in [1, 5, 1 << 20] {
                assert!(
                    events(bad, n).is_err(),
                    "{} ({n})",
                    String::from_utf8_lossy(bad)
                );
            }
        }
    }

    #[test]
    fn long_text_is_streamed_and_capped() {
        let mut doc = b"<a>".to_vec();
        doc.extend(std::iter::repeat_n(b'x', 300_000));
        doc.extend(b"&amp;</a>");
        let ev = events(&doc, 1 << 20).unwrap();
        assert_eq!(ev[1].len(), 2 + 300_001);
        let mut x = XmlInput::new(
            doc.as_slice(),
            Limits {
                max_depth: 10,
                max_text: 100_000,
            },
        );
        let e = loop {
            match x.next() {
                Ok(XEvent::Eof) => panic!("no limit"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert_eq!(e.kind, ErrorKind::LimitExceeded);
    }
}
