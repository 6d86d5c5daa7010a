//! Thin helpers over quick-xml: a pull reader with positions, element paths and limits,
//! a lossless raw subtree type, a small indenting writer, and escaping.
//!
//! Design:
//! - [`XmlReader`] tokenises an in-memory byte slice with the crate's own tokenizer. Every start
//!   tag is reported with its line and column (computed incrementally, one pass over the
//!   bytes), whether its namespace is the *target* namespace set by the caller, and the
//!   element path is tracked as byte ranges (no allocation per element) so that errors
//!   can name `/ArchiveTransfer/…/ArchiveUnit[@id='AU3']/Content/Title`.
//! - DTDs (`<!DOCTYPE …>`) are refused with [`ErrorKind::Xml`]: no entity is ever declared,
//!   fetched or expanded. Only the five predefined entities and character references are
//!   resolved. The maximum element depth is configuration ([`Limits`]).
//! - [`RawElement`] keeps an unknown subtree exactly enough to write it back: qualified
//!   names, attributes (namespace declarations included) in order, text, CDATA, comments
//!   and processing instructions.
//! - [`XmlWriter`] writes indented XML; [`escape_text`] / [`escape_attr`] escape.
//!
//! ```
//! use vas_core::xml::{XmlReader, XEvent, Limits};
//! let mut r = XmlReader::new(b"<a xmlns='urn:x'>\n  <b>t&amp;</b></a>", Limits::default());
//! r.set_target_namespace(b"urn:x");
//! let mut names = vec![];
//! loop {
//!     match r.next().unwrap() {
//!         XEvent::Start(s) => names.push((s.local_name().to_string(), s.in_target_ns, s.pos.line)),
//!         XEvent::Eof => break,
//!         _ => {}
//!     }
//! }
//! assert_eq!(names, vec![("a".into(), true, 1), ("b".into(), true, 2)]);
//! ```

use std::borrow::Cow;
use std::io::Write;

use quick_xml::events::BytesStart;

use crate::{Error, ErrorKind, Result};

pub(crate) mod lex;

/// Parser limits. They are configuration, not magic numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum element nesting depth (default 1000).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 1000 }
    }
}

/// A 1-based line and column in the source document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Pos {
    /// 1-based line (0 when unknown, e.g. for elements built from code).
    pub line: u32,
    /// 1-based column in bytes (0 when unknown).
    pub col: u32,
}

/// An attribute as written: qualified name and unescaped value.
///
/// Both are [`CompactString`](compact_str::CompactString)s (they deref to `&str`): names
/// and values of up to 24 bytes, nearly all of them in SEDA, are stored inline without a
/// heap allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Qualified name, e.g. `xml:lang`, `xmlns:xsi`, `schemeID`.
    pub name: compact_str::CompactString,
    /// Unescaped value.
    pub value: compact_str::CompactString,
}

impl Attr {
    /// Creates an attribute.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Attr {
            name: name.into().into(),
            value: value.into().into(),
        }
    }
}

/// A comment, processing instruction or stray text kept at its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misc {
    /// `<!--…-->` (content between the markers).
    Comment(String),
    /// `<?target content?>` (everything between `<?` and `?>`).
    Pi(String),
    /// Non-whitespace character data where only elements are expected.
    Text(String),
}

/// One node of a raw subtree.
#[derive(Debug, Clone, PartialEq)]
pub enum RawNode {
    /// A child element.
    Element(RawElement),
    /// Character data (unescaped), whitespace included.
    Text(String),
    /// A CDATA section.
    CData(String),
    /// A comment.
    Comment(String),
    /// A processing instruction.
    Pi(String),
}

/// A lossless generic XML element: qualified name, resolved namespace, attributes in order
/// (namespace declarations included) and children.
#[derive(Debug, Clone)]
pub struct RawElement {
    /// Qualified name as written (`prefix:local` or `local`).
    pub name: String,
    /// Namespace URI the name resolved to (`None` if unbound).
    pub namespace: Option<String>,
    /// Attributes in document order, namespace declarations included.
    pub attrs: Vec<Attr>,
    /// Children in document order.
    pub children: Vec<RawNode>,
    /// Position of the start tag (ignored by equality).
    pub pos: Pos,
}

impl PartialEq for RawElement {
    fn eq(&self, o: &Self) -> bool {
        self.name == o.name
            && self.namespace == o.namespace
            && self.attrs == o.attrs
            && self.children == o.children
    }
}

impl RawElement {
    /// Creates an empty element with the given qualified name.
    pub fn new(name: impl Into<String>) -> Self {
        RawElement {
            name: name.into(),
            namespace: None,
            attrs: Vec::new(),
            children: Vec::new(),
            pos: Pos::default(),
        }
    }

    /// Local part of the name.
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// Value of the attribute with this qualified name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Concatenated text of the direct text/CDATA children.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            match c {
                RawNode::Text(t) | RawNode::CData(t) => s.push_str(t),
                _ => {}
            }
        }
        s
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &RawElement> {
        self.children.iter().filter_map(|c| match c {
            RawNode::Element(e) => Some(e),
            _ => None,
        })
    }

    /// Captures the subtree whose start tag was just returned by `r.next()`.
    pub fn capture(r: &mut XmlReader<'_>, start: &StartTag<'_>) -> Result<RawElement> {
        let mut root = start.to_raw()?;
        let mut stack: Vec<RawElement> = Vec::new();
        loop {
            match r.next()? {
                XEvent::Start(s) => {
                    stack.push(std::mem::replace(&mut root, s.to_raw()?));
                }
                XEvent::End => match stack.pop() {
                    Some(mut parent) => {
                        parent.children.push(RawNode::Element(root));
                        root = parent;
                    }
                    None => return Ok(root),
                },
                XEvent::Text(t) => push_text(&mut root.children, t),
                XEvent::CData(t) => root.children.push(RawNode::CData(t.into_owned())),
                XEvent::Comment(c) => root.children.push(RawNode::Comment(c)),
                XEvent::Pi(p) => root.children.push(RawNode::Pi(p)),
                XEvent::Eof => return Err(r.error(ErrorKind::Xml, "unexpected end of document")),
            }
        }
    }

    /// Writes this element (and its subtree) exactly as kept.
    pub fn write<W: Write>(&self, w: &mut XmlWriter<W>) -> Result<()> {
        w.open_tag(&self.name, &self.attrs)?;
        if self.children.is_empty() {
            return w.raw_str("/>");
        }
        w.raw_str(">")?;
        for c in &self.children {
            match c {
                RawNode::Element(e) => e.write(w)?,
                RawNode::Text(t) => w.raw_str(&escape_text(t))?,
                RawNode::CData(t) => {
                    w.raw_str("<![CDATA[")?;
                    w.raw_str(t)?;
                    w.raw_str("]]>")?
                }
                RawNode::Comment(t) => {
                    w.raw_str("<!--")?;
                    w.raw_str(t)?;
                    w.raw_str("-->")?
                }
                RawNode::Pi(t) => {
                    w.raw_str("<?")?;
                    w.raw_str(t)?;
                    w.raw_str("?>")?
                }
            }
        }
        w.raw_str("</")?;
        w.raw_str(&self.name)?;
        w.raw_str(">")
    }
}

fn push_text(children: &mut Vec<RawNode>, t: Cow<'_, str>) {
    if let Some(RawNode::Text(prev)) = children.last_mut() {
        prev.push_str(&t);
    } else {
        children.push(RawNode::Text(t.into_owned()));
    }
}

/// Offset of the first `:` of a (short) qualified name: a byte loop, cheaper than
/// `str::find` on names of a few bytes.
#[inline]
fn colon(n: &str) -> Option<usize> {
    n.bytes().position(|b| b == b':')
}

/// A start tag returned by [`XmlReader::next`].
#[derive(Debug)]
pub struct StartTag<'a> {
    /// The quick-xml start event (borrowing the source).
    pub tag: BytesStart<'a>,
    /// Whether the element's namespace is the reader's target namespace.
    pub in_target_ns: bool,
    /// Namespace the element resolved to (only filled outside the target namespace).
    pub namespace: Option<String>,
    /// Position of `<`.
    pub pos: Pos,
    name: &'a str,
    raw_attrs: &'a str,
}

impl<'a> StartTag<'a> {
    /// Local name (without prefix).
    pub fn local_name(&self) -> &'a str {
        let n = self.name;
        match colon(n) {
            Some(i) => &n[i + 1..],
            None => n,
        }
    }

    /// Qualified name as written.
    pub fn qname(&self) -> &'a str {
        self.name
    }

    /// Prefix (`""` when unprefixed).
    pub fn prefix(&self) -> &'a str {
        let n = self.name;
        match colon(n) {
            Some(i) => &n[..i],
            None => "",
        }
    }

    /// Whether the tag has at least one attribute.
    pub fn has_attrs(&self) -> bool {
        !self.raw_attrs.trim_ascii().is_empty()
    }

    /// Attributes in order, unescaped. Malformed attributes are an [`ErrorKind::Xml`] error.
    pub fn attrs(&self) -> Result<Vec<Attr>> {
        if !self.has_attrs() {
            return Ok(Vec::new());
        }
        // Sized for the common case in one allocation: one attribute per `=` (an upper
        // bound, exact unless a value contains `=`).
        let mut out: Vec<Attr> =
            Vec::with_capacity(memchr::memchr_iter(b'=', self.raw_attrs.as_bytes()).count());
        self.each_attr(|a| {
            if out.iter().any(|o| o.name == a.name) {
                return false;
            }
            out.push(a);
            true
        })?;
        Ok(out)
    }

    /// Calls `push` with each attribute in order, unescaped (what [`attrs`](Self::attrs)
    /// collects, for callers with their own container). `push` returns `false` when the
    /// name is already in its container: a duplicate attribute, reported as an error.
    pub(crate) fn each_attr(&self, mut push: impl FnMut(Attr) -> bool) -> Result<()> {
        for a in lex::attrs(self.raw_attrs) {
            let (name, raw) = a.map_err(|(_, msg)| {
                Error::new(ErrorKind::Xml, format!("malformed attribute: {msg}"))
                    .at(self.pos.line as u64, self.pos.col as u64)
            })?;
            if !lex::is_qname(name) {
                return Err(Error::new(
                    ErrorKind::Xml,
                    format!("malformed XML: '{name}' is not a valid attribute name"),
                )
                .at(self.pos.line as u64, self.pos.col as u64));
            }
            let value = lex::unescape(raw, true).map_err(|(_, e)| {
                Error::new(
                    ErrorKind::Xml,
                    format!("bad attribute value of {name}: {e}"),
                )
                .at(self.pos.line as u64, self.pos.col as u64)
            })?;
            let attr = Attr {
                name: name.into(),
                value: value.into(),
            };
            if !push(attr) {
                return Err(Error::new(
                    ErrorKind::Xml,
                    format!("malformed attribute: duplicate attribute `{name}`"),
                )
                .at(self.pos.line as u64, self.pos.col as u64));
            }
        }
        Ok(())
    }

    /// The element as kept raw; a malformed attribute is an error (not dropped).
    fn to_raw(&self) -> Result<RawElement> {
        Ok(RawElement {
            name: self.qname().to_string(),
            namespace: self.namespace.clone(),
            attrs: self.attrs()?,
            children: Vec::new(),
            pos: self.pos,
        })
    }
}

/// An event of [`XmlReader`]. Empty elements are reported as `Start` then `End`.
#[derive(Debug)]
pub enum XEvent<'a> {
    /// A start tag.
    Start(StartTag<'a>),
    /// An end tag (names are checked to match the start tag).
    End,
    /// Character data, unescaped (entity and character references resolved, line ends
    /// normalised).
    Text(Cow<'a, str>),
    /// A CDATA section.
    CData(Cow<'a, str>),
    /// A comment (content between `<!--` and `-->`).
    Comment(String),
    /// A processing instruction (content between `<?` and `?>`).
    Pi(String),
    /// End of input.
    Eof,
}

/// An open element: offset of `<`, end of the name, end of the attribute region.
#[derive(Debug, Clone, Copy)]
struct Open {
    start: usize,
    name_end: usize,
    attrs_end: usize,
}

/// A namespace binding in scope.
#[derive(Debug)]
struct NsBind<'a> {
    prefix: &'a str,
    uri: Cow<'a, str>,
    depth: usize,
}

const XML_NS_URI: &str = "http://www.w3.org/XML/1998/namespace";

/// A pull reader over an in-memory document with positions, paths and limits.
///
/// Tokenising is done by the crate's own `memchr`-based tokenizer (no copy of names or
/// unescaped text); namespaces are resolved with a small binding stack.
pub struct XmlReader<'a> {
    src: &'a str,
    bytes: &'a [u8],
    at: usize,
    limits: Limits,
    target: Vec<u8>,
    open: Vec<Open>,
    ns: Vec<NsBind<'a>>,
    pending_end: bool,
    bad_utf8: Option<(usize, BadInput)>,
    /// Cached resolution of the default namespace: (binding generation, in target ns).
    default_ns: Option<(u32, bool)>,
    ns_gen: u32,
    // incremental line counting
    lc_off: usize,
    lc_line: u32,
    lc_line_start: usize,
    last_pos: Pos,
    /// XML declaration content, if one was seen.
    pub decl: Option<String>,
}

/// Why the input stops being readable at an offset.
#[derive(Debug, Clone, Copy)]
enum BadInput {
    /// Not UTF-8 from there.
    Utf8,
    /// A C0 control character other than tab, line feed and carriage return (not an XML
    /// 1.0 `Char`), literally in the document.
    Control(u8),
}

/// The offset of the first byte below 0x20 other than tab, LF and CR. Scans 64-byte
/// blocks with a branch-free test first (vectorised), then locates the byte.
pub(crate) fn first_forbidden_control(b: &[u8]) -> Option<usize> {
    let bad = |c: u8| c < 0x20 && c != b'\t' && c != b'\n' && c != b'\r';
    let mut base = 0;
    for chunk in b.chunks(64) {
        if chunk.iter().fold(false, |acc, &c| acc | bad(c)) {
            return chunk.iter().position(|&c| bad(c)).map(|i| base + i);
        }
        base += chunk.len();
    }
    None
}

impl<'a> XmlReader<'a> {
    /// Creates a reader over `src` (UTF-8; a byte-order mark is skipped).
    pub fn new(src: &'a [u8], limits: Limits) -> Self {
        let (s, bad) = match std::str::from_utf8(src) {
            Ok(s) => match first_forbidden_control(s.as_bytes()) {
                // not well-formed: refused before any event, like invalid UTF-8
                Some(at) => (s, Some((at, BadInput::Control(s.as_bytes()[at])))),
                None => (s, None),
            },
            Err(e) => ("", Some((e.valid_up_to(), BadInput::Utf8))),
        };
        let at = if s.starts_with('\u{feff}') { 3 } else { 0 };
        XmlReader {
            src: s,
            bytes: s.as_bytes(),
            at,
            limits,
            target: Vec::new(),
            open: Vec::new(),
            ns: Vec::new(),
            pending_end: false,
            bad_utf8: bad,
            default_ns: None,
            ns_gen: 0,
            lc_off: 0,
            lc_line: 1,
            lc_line_start: 0,
            last_pos: Pos { line: 1, col: 1 },
            decl: None,
        }
    }

    /// Sets the namespace URI reported as `in_target_ns`.
    pub fn set_target_namespace(&mut self, ns: &[u8]) {
        self.target = ns.to_vec();
        self.default_ns = None;
    }

    /// Current element depth.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    fn name_of(&self, o: Open) -> &'a str {
        &self.src[o.start + 1..o.name_end]
    }

    /// Prefix of the parent of the element whose start tag was just read (`""` if none
    /// or unprefixed).
    pub fn parent_prefix(&self) -> &'a str {
        if self.open.len() < 2 {
            return "";
        }
        let o = self.open[self.open.len() - 2];
        // Found on the bytes: the (checked) `str` slice is only taken for a prefixed name.
        match memchr::memchr(b':', &self.bytes[o.start + 1..o.name_end]) {
            Some(i) => &self.src[o.start + 1..o.start + 1 + i],
            None => "",
        }
    }

    /// Position of the last event.
    pub fn pos(&self) -> Pos {
        self.last_pos
    }

    fn pos_of(&mut self, off: usize) -> Pos {
        let off = off.min(self.bytes.len());
        if off < self.lc_off {
            // never happens with monotonic offsets; recompute from scratch
            self.lc_off = 0;
            self.lc_line = 1;
            self.lc_line_start = 0;
        }
        let (n, last) = lex::newlines(&self.bytes[self.lc_off..off]);
        if n > 0 {
            self.lc_line += n;
            self.lc_line_start = self.lc_off + last;
        }
        self.lc_off = off;
        Pos {
            line: self.lc_line,
            col: (off - self.lc_line_start + 1) as u32,
        }
    }

    /// The element path of the current position, e.g. `/A/B[@id='x']/C`.
    pub fn path(&self) -> String {
        let mut s = String::new();
        for &o in &self.open {
            s.push('/');
            let name = self.name_of(o);
            let local = name.rsplit(':').next().unwrap_or(name);
            s.push_str(local);
            for (k, v) in lex::attrs(&self.src[o.name_end..o.attrs_end]).flatten() {
                if k == "id" || k == "xml:id" {
                    s.push_str(&format!("[@{}='{}']", k, v));
                }
            }
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }

    /// An error of `kind` at the current element path and position.
    pub fn error(&self, kind: ErrorKind, msg: impl Into<String>) -> Error {
        Error::new(kind, msg)
            .with_element(self.path())
            .at(self.last_pos.line as u64, self.last_pos.col as u64)
    }

    fn fail(&mut self, at: usize, msg: impl std::fmt::Display) -> Error {
        self.last_pos = self.pos_of(at);
        self.error(ErrorKind::Xml, format!("not well-formed XML: {msg}"))
    }

    /// Resolves the namespace of a prefix (`""` = default namespace); `None` = no namespace.
    fn resolve(&self, prefix: &str) -> Option<Option<&str>> {
        if prefix == "xml" {
            return Some(Some(XML_NS_URI));
        }
        for b in self.ns.iter().rev() {
            if b.prefix == prefix {
                return Some(if b.uri.is_empty() {
                    None
                } else {
                    Some(b.uri.as_ref())
                });
            }
        }
        if prefix.is_empty() { Some(None) } else { None }
    }

    /// The length of the end tag of the innermost open element if it is written exactly
    /// `</name>` at `at` (the common case, checked without the tokenizer).
    #[inline]
    fn matching_end_at(&self, at: usize) -> Option<usize> {
        let b = self.bytes;
        if b.get(at + 1) != Some(&b'/') || b[at] != b'<' {
            return None;
        }
        let o = *self.open.last()?;
        let n = o.name_end - o.start - 1;
        let close = at + 2 + n;
        (b.get(close) == Some(&b'>')
            && lex::bytes_eq(&b[at + 2..close], &b[o.start + 1..o.name_end]))
        .then_some(n + 3)
    }

    /// Reads the content of the element whose start tag was just returned when it is only
    /// character data followed by its end tag (`<a>text</a>`, `<a></a>`, `<a/>`): returns
    /// the text, unescaped as [`next`](Self::next) would, and the element is closed.
    /// Returns `None`, consuming nothing, when the content holds anything else (a child,
    /// comment, CDATA section, processing instruction): read it with `next`.
    pub(crate) fn simple_text(&mut self) -> Result<Option<Cow<'a, str>>> {
        if self.bad_utf8.is_some() {
            return Ok(None);
        }
        if self.pending_end {
            self.pending_end = false;
            self.close();
            return Ok(Some(Cow::Borrowed("")));
        }
        let at = self.at;
        let Some(end) =
            memchr::memchr(b'<', self.bytes.get(at..).unwrap_or_default()).map(|i| at + i)
        else {
            return Ok(None);
        };
        let Some(len) = self.matching_end_at(end) else {
            return Ok(None);
        };
        let text = match lex::unescape(&self.src[at..end], false) {
            Ok(t) => t,
            Err((off, e)) => return Err(self.fail(at + off, e)),
        };
        self.at = end + len;
        self.close();
        Ok(Some(text))
    }

    /// Skips whitespace that runs up to a `<` (indentation between elements, which
    /// [`next`](Self::next) would return as a whitespace-only text event), for callers
    /// that ignore such text.
    pub(crate) fn skip_indentation(&mut self) {
        if self.pending_end || self.bad_utf8.is_some() {
            return;
        }
        let b = self.bytes;
        let mut i = self.at;
        while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\t' | b'\r') {
            i += 1;
        }
        if i < b.len() && b[i] == b'<' {
            self.at = i;
        }
    }

    /// Reads the next event.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<XEvent<'a>> {
        if self.pending_end {
            self.pending_end = false;
            self.close();
            return Ok(XEvent::End);
        }
        match self.bad_utf8 {
            Some((off, BadInput::Utf8)) => {
                self.bad_utf8 = None;
                self.bytes = b"";
                return Err(self.fail(off, "invalid UTF-8"));
            }
            Some((off, BadInput::Control(c))) => {
                self.bad_utf8 = None;
                let e = self.fail(
                    off,
                    format!(
                        "control character U+{c:04X} is not allowed in XML 1.0 (only tab, line feed and carriage return are)"
                    ),
                );
                self.bytes = b"";
                return Err(e);
            }
            None => {}
        }
        loop {
            if let Some(len) = self.matching_end_at(self.at) {
                self.at += len;
                self.close();
                return Ok(XEvent::End);
            }
            let tok = match lex::next(self.bytes, self.at, true) {
                Ok(t) => t,
                Err(lex::LexErr::Bad { at, msg }) => return Err(self.fail(at, msg)),
                Err(lex::LexErr::Incomplete) => {
                    return Err(self.fail(self.bytes.len(), "unexpected end of document"));
                }
            };
            let src = self.src;
            self.at = tok.end;
            match tok.kind {
                lex::Kind::Start | lex::Kind::Empty => {
                    let pos = self.pos_of(tok.start);
                    self.last_pos = pos;
                    if self.open.len() >= self.limits.max_depth {
                        return Err(self.error(
                            ErrorKind::LimitExceeded,
                            format!(
                                "element nesting deeper than the limit of {}",
                                self.limits.max_depth
                            ),
                        ));
                    }
                    let name = &src[tok.start + 1..tok.a];
                    if !lex::is_qname(name) {
                        return Err(self.error(
                            ErrorKind::Xml,
                            format!("malformed XML: '{name}' is not a valid element name"),
                        ));
                    }
                    let raw_attrs = &src[tok.a..tok.b];
                    self.open.push(Open {
                        start: tok.start,
                        name_end: tok.a,
                        attrs_end: tok.b,
                    });
                    let depth = self.open.len();
                    if tok.a < tok.b && lex::has_xmlns(raw_attrs.as_bytes()) {
                        for a in lex::attrs(raw_attrs) {
                            let (k, v) = a.map_err(|(_, m)| {
                                self.error(ErrorKind::Xml, format!("malformed attribute: {m}"))
                            })?;
                            let prefix = if k == "xmlns" {
                                ""
                            } else if let Some(p) = k.strip_prefix("xmlns:") {
                                p
                            } else {
                                // Checked with the others when the attributes are read.
                                continue;
                            };
                            // A declaration binds its prefix here: `xmlns:9a` is refused
                            // before it is bound.
                            if !lex::is_qname(k) {
                                return Err(self.error(
                                    ErrorKind::Xml,
                                    format!("malformed XML: '{k}' is not a valid attribute name"),
                                ));
                            }
                            let uri = lex::unescape(v, true).map_err(|(_, e)| {
                                self.error(ErrorKind::Xml, format!("bad namespace URI: {e}"))
                            })?;
                            self.ns.push(NsBind { prefix, uri, depth });
                            self.ns_gen = self.ns_gen.wrapping_add(1);
                        }
                    }
                    let prefix = match memchr::memchr(b':', name.as_bytes()) {
                        Some(i) => &name[..i],
                        None => "",
                    };
                    // Unprefixed names in the target namespace (the common case) are
                    // answered from a cache valid until the bindings change: no string
                    // comparison per element.
                    let cached = match self.default_ns {
                        Some((g, true)) if prefix.is_empty() && g == self.ns_gen => Some(true),
                        _ => None,
                    };
                    let (in_ns, namespace) = if cached == Some(true) {
                        (true, None)
                    } else {
                        match self.resolve(prefix) {
                            Some(Some(uri)) if lex::bytes_eq(uri.as_bytes(), &self.target) => {
                                (true, None)
                            }
                            Some(Some(uri)) => (false, Some(uri.to_string())),
                            Some(None) => (false, None),
                            None => {
                                return Err(self.error(
                                    ErrorKind::Xml,
                                    format!("undeclared namespace prefix `{prefix}`"),
                                ));
                            }
                        }
                    };
                    if prefix.is_empty() && cached.is_none() {
                        self.default_ns = Some((self.ns_gen, in_ns));
                    }
                    if tok.kind == lex::Kind::Empty {
                        self.pending_end = true;
                    }
                    return Ok(XEvent::Start(StartTag {
                        tag: BytesStart::from_content(
                            &src[tok.start + 1..tok.b],
                            tok.a - tok.start - 1,
                        ),
                        in_target_ns: in_ns,
                        namespace,
                        pos,
                        name,
                        raw_attrs,
                    }));
                }
                lex::Kind::End => {
                    let name = &src[tok.start + 2..tok.a];
                    match self.open.last() {
                        Some(&o) if lex::bytes_eq(self.name_of(o).as_bytes(), name.as_bytes()) => {}
                        Some(&o) => {
                            let expected = self.name_of(o);
                            return Err(self.fail(
                                tok.start,
                                format!("expected `</{expected}>`, found `</{name}>`"),
                            ));
                        }
                        None => {
                            return Err(self.fail(
                                tok.start,
                                format!("end tag `</{name}>` without a start tag"),
                            ));
                        }
                    }
                    self.close();
                    return Ok(XEvent::End);
                }
                lex::Kind::Text => {
                    let raw = &src[tok.start..tok.end];
                    return match lex::unescape(raw, false) {
                        Ok(t) => Ok(XEvent::Text(t)),
                        Err((off, e)) => Err(self.fail(tok.start + off, e)),
                    };
                }
                lex::Kind::CData => {
                    let c = &src[tok.a..tok.b];
                    let c = if c.contains('\r') {
                        Cow::Owned(c.replace("\r\n", "\n").replace('\r', "\n"))
                    } else {
                        Cow::Borrowed(c)
                    };
                    return Ok(XEvent::CData(c));
                }
                lex::Kind::Comment => {
                    return Ok(XEvent::Comment(src[tok.a..tok.b].to_string()));
                }
                lex::Kind::Pi => {
                    return Ok(XEvent::Pi(src[tok.a..tok.b].to_string()));
                }
                lex::Kind::Decl => {
                    self.decl = Some(src[tok.a..tok.b].to_string());
                    continue;
                }
                lex::Kind::DocType => {
                    self.last_pos = self.pos_of(tok.start);
                    return Err(self.error(
                        ErrorKind::Xml,
                        "DTDs are refused (<!DOCTYPE …>): entities are never declared, fetched or expanded",
                    ));
                }
                lex::Kind::Eof => {
                    if !self.open.is_empty() {
                        self.last_pos = self.pos_of(self.bytes.len());
                        return Err(self.error(ErrorKind::Xml, "unexpected end of document"));
                    }
                    return Ok(XEvent::Eof);
                }
            }
        }
    }

    fn close(&mut self) {
        let depth = self.open.len();
        while self.ns.last().is_some_and(|b| b.depth >= depth) {
            self.ns.pop();
            self.ns_gen = self.ns_gen.wrapping_add(1);
        }
        self.open.pop();
    }
}

/// Escapes character data (`&`, `<`, `>`; `\r` as a character reference).
pub fn escape_text(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| matches!(b, b'&' | b'<' | b'>' | b'\r')) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '\r' => o.push_str("&#13;"),
            c => o.push(c),
        }
    }
    Cow::Owned(o)
}

/// Escapes an attribute value for double quotes (`&`, `<`, `"`, and whitespace controls
/// as character references so that they survive attribute-value normalisation).
pub fn escape_attr(s: &str) -> Cow<'_, str> {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\n' | b'\r' | b'\t'))
    {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\n' => o.push_str("&#10;"),
            '\r' => o.push_str("&#13;"),
            '\t' => o.push_str("&#9;"),
            c => o.push(c),
        }
    }
    Cow::Owned(o)
}

/// A minimal indenting XML writer (two spaces per level).
pub struct XmlWriter<W: Write> {
    out: W,
    depth: usize,
    indent: bool,
}

impl<W: Write> XmlWriter<W> {
    /// Creates a writer; `indent` puts each element on its own line.
    pub fn new(out: W, indent: bool) -> Self {
        XmlWriter {
            out,
            depth: 0,
            indent,
        }
    }

    /// Returns the inner writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes a string verbatim.
    pub fn raw_str(&mut self, s: &str) -> Result<()> {
        self.out.write_all(s.as_bytes())?;
        Ok(())
    }

    /// Writes a newline and the indentation of the current depth (if indenting).
    pub fn newline(&mut self) -> Result<()> {
        if self.indent {
            self.out.write_all(b"\n")?;
            for _ in 0..self.depth {
                self.out.write_all(b"  ")?;
            }
        }
        Ok(())
    }

    /// Writes `<name attrs` (without closing `>`).
    pub fn open_tag(&mut self, name: &str, attrs: &[Attr]) -> Result<()> {
        self.out.write_all(b"<")?;
        self.out.write_all(name.as_bytes())?;
        for a in attrs {
            self.write_attr(&a.name, &a.value)?;
        }
        Ok(())
    }

    /// Writes ` name="value"` (escaped).
    pub fn write_attr(&mut self, name: &str, value: &str) -> Result<()> {
        self.out.write_all(b" ")?;
        self.out.write_all(name.as_bytes())?;
        self.out.write_all(b"=\"")?;
        self.out.write_all(escape_attr(value).as_bytes())?;
        self.out.write_all(b"\"")?;
        Ok(())
    }

    /// Writes escaped text.
    pub fn text(&mut self, s: &str) -> Result<()> {
        self.out.write_all(escape_text(s).as_bytes())?;
        Ok(())
    }

    /// Increments the indentation depth.
    pub fn indent_in(&mut self) {
        self.depth += 1;
    }

    /// Decrements the indentation depth.
    pub fn indent_out(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Writes a comment, PI or text at the current position (on its own line).
    pub fn misc(&mut self, m: &Misc) -> Result<()> {
        match m {
            Misc::Comment(c) => {
                self.newline()?;
                self.raw_str("<!--")?;
                self.raw_str(c)?;
                self.raw_str("-->")
            }
            Misc::Pi(p) => {
                self.newline()?;
                self.raw_str("<?")?;
                self.raw_str(p)?;
                self.raw_str("?>")
            }
            Misc::Text(t) => self.text(t),
        }
    }

    /// Flushes the inner writer.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(src: &str) -> Result<Vec<String>> {
        let mut r = XmlReader::new(src.as_bytes(), Limits::default());
        let mut v = vec![];
        loop {
            match r.next()? {
                XEvent::Start(s) => v.push(format!("<{}", s.qname())),
                XEvent::End => v.push(">".into()),
                XEvent::Text(t) => v.push(t.into_owned()),
                XEvent::Eof => return Ok(v),
                _ => {}
            }
        }
    }

    #[test]
    fn refs_resolved_and_dtd_refused() {
        // One text event per run of character data, references resolved.
        assert_eq!(all("<a>x&lt;&#65;</a>").unwrap(), vec!["<a", "x<A", ">"]);
        let e = all("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Xml);
        assert!(e.message().contains("DTD"));
        let e = all("<a>&x;</a>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Xml);
    }

    #[test]
    fn depth_limit_and_path() {
        let mut r = XmlReader::new(b"<a><b id='x'><c><d/></c></b></a>", Limits { max_depth: 3 });
        let mut err = None;
        loop {
            match r.next() {
                Ok(XEvent::Eof) => break,
                Ok(_) => {}
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let e = err.unwrap();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded);
        assert_eq!(e.context().element.as_deref(), Some("/a/b[@id='x']/c"));
    }

    #[test]
    fn raw_roundtrip() {
        let src = "<x:a xmlns:x='u' k=\"v&amp;\"><!--c--><?p q?><b>t</b> <![CDATA[<z>]]></x:a>";
        let mut r = XmlReader::new(src.as_bytes(), Limits::default());
        let XEvent::Start(s) = r.next().unwrap() else {
            panic!()
        };
        let raw = RawElement::capture(&mut r, &s).unwrap();
        assert_eq!(raw.namespace.as_deref(), Some("u"));
        let mut w = XmlWriter::new(Vec::new(), false);
        raw.write(&mut w).unwrap();
        let out = String::from_utf8(w.into_inner()).unwrap();
        assert_eq!(
            out,
            "<x:a xmlns:x=\"u\" k=\"v&amp;\"><!--c--><?p q?><b>t</b> <![CDATA[<z>]]></x:a>"
        );
    }
}

#[cfg(test)]
mod control_char_tests {
    use super::*;

    #[test]
    fn literal_control_characters_are_not_well_formed() {
        for (doc, line, col) in [
            (&b"<a>\n  <b>x</b>\x0e\n</a>"[..], 2, 11),
            (&b"<a x=\"\x01\"/>"[..], 1, 7),
            (&b"<a><!-- \x1f --></a>"[..], 1, 9),
        ] {
            let mut r = XmlReader::new(doc, Limits::default());
            let e = loop {
                match r.next() {
                    Ok(XEvent::Eof) => panic!("accepted {doc:?}"),
                    Ok(_) => {}
                    Err(e) => break e,
                }
            };
            assert_eq!(e.kind(), ErrorKind::Xml, "{e}");
            assert!(e.message().contains("control character"), "{e}");
            assert_eq!(
                (e.context().line, e.context().column),
                (Some(line), Some(col)),
                "{e}"
            );
        }
        // tab, LF, CR are characters; a reference to them is fine too
        let mut r = XmlReader::new(b"<a>\t\r\n&#9;</a>", Limits::default());
        while !matches!(r.next().unwrap(), XEvent::Eof) {}
    }
}
