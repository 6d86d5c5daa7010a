//! Thin helpers over quick-xml: a pull reader with positions, element paths and limits,
//! a lossless raw subtree type, a small indenting writer, and escaping.
//!
//! Design:
//! - [`XmlReader`] wraps [`quick_xml::NsReader`] over an in-memory byte slice. Every start
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

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::{Error, ErrorKind, Result};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Qualified name, e.g. `xml:lang`, `xmlns:xsi`, `schemeID`.
    pub name: String,
    /// Unescaped value.
    pub value: String,
}

impl Attr {
    /// Creates an attribute.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Attr {
            name: name.into(),
            value: value.into(),
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
        let mut root = start.to_raw();
        let mut stack: Vec<RawElement> = Vec::new();
        loop {
            match r.next()? {
                XEvent::Start(s) => {
                    stack.push(std::mem::replace(&mut root, s.to_raw()));
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
}

impl StartTag<'_> {
    /// Local name (without prefix).
    pub fn local_name(&self) -> &str {
        let n = self.qname();
        match n.find(':') {
            Some(i) => &n[i + 1..],
            None => n,
        }
    }

    /// Qualified name as written.
    pub fn qname(&self) -> &str {
        self.tag.name().into_inner()
    }

    /// Prefix (`""` when unprefixed).
    pub fn prefix(&self) -> &str {
        let n = self.qname();
        match n.find(':') {
            Some(i) => &n[..i],
            None => "",
        }
    }

    /// Attributes in order, unescaped. Malformed attributes are an [`ErrorKind::Xml`] error.
    pub fn attrs(&self) -> Result<Vec<Attr>> {
        let mut out = Vec::new();
        if self.tag.attributes_raw().trim_ascii().is_empty() {
            return Ok(out);
        }
        for a in self.tag.attributes() {
            let a = a.map_err(|e| {
                Error::new(ErrorKind::Xml, format!("malformed attribute: {e}"))
                    .at(self.pos.line as u64, self.pos.col as u64)
            })?;
            let name = a.key.into_inner().to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Xml,
                        format!("bad attribute value of {name}: {e}"),
                    )
                    .at(self.pos.line as u64, self.pos.col as u64)
                })?
                .into_owned();
            out.push(Attr { name, value });
        }
        Ok(out)
    }

    fn to_raw(&self) -> RawElement {
        RawElement {
            name: self.qname().to_string(),
            namespace: self.namespace.clone(),
            attrs: self.attrs().unwrap_or_default(),
            children: Vec::new(),
            pos: self.pos,
        }
    }
}

/// An event of [`XmlReader`]. Empty elements are reported as `Start` then `End`.
#[derive(Debug)]
pub enum XEvent<'a> {
    /// A start tag.
    Start(StartTag<'a>),
    /// An end tag (names are checked to match by quick-xml).
    End,
    /// Character data, unescaped (entity and character references resolved).
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

/// A pull reader over an in-memory document with positions, paths and limits.
pub struct XmlReader<'a> {
    inner: NsReader<&'a [u8]>,
    src: &'a [u8],
    limits: Limits,
    target: Vec<u8>,
    /// (tag start, tag end) byte ranges of the open elements.
    open: Vec<(usize, usize)>,
    // incremental line counting
    lc_off: usize,
    lc_line: u32,
    lc_line_start: usize,
    last_pos: Pos,
    /// XML declaration content, if one was seen.
    pub decl: Option<String>,
}

impl<'a> XmlReader<'a> {
    /// Creates a reader over `src` (UTF-8).
    pub fn new(src: &'a [u8], limits: Limits) -> Self {
        let mut inner = NsReader::from_reader(src);
        let c = inner.config_mut();
        c.expand_empty_elements = true;
        c.check_end_names = true;
        c.check_comments = true;
        XmlReader {
            inner,
            src,
            limits,
            target: Vec::new(),
            open: Vec::new(),
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
    }

    /// Current element depth.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// Prefix of the parent of the element whose start tag was just read (`""` if none
    /// or unprefixed).
    pub fn parent_prefix(&self) -> &'a str {
        if self.open.len() < 2 {
            return "";
        }
        let (a, b) = self.open[self.open.len() - 2];
        let tag = &self.src[a + 1..b];
        let end = tag
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
            .unwrap_or(tag.len());
        let name = &tag[..end];
        match name.iter().position(|c| *c == b':') {
            Some(i) => std::str::from_utf8(&name[..i]).unwrap_or(""),
            None => "",
        }
    }

    /// Position of the last event.
    pub fn pos(&self) -> Pos {
        self.last_pos
    }

    fn pos_of(&mut self, off: usize) -> Pos {
        let off = off.min(self.src.len());
        if off < self.lc_off {
            // never happens with monotonic offsets; recompute from scratch
            self.lc_off = 0;
            self.lc_line = 1;
            self.lc_line_start = 0;
        }
        let chunk = &self.src[self.lc_off..off];
        if let Some(last) = memchr::memrchr(b'\n', chunk) {
            self.lc_line += memchr::memchr_iter(b'\n', chunk).count() as u32;
            self.lc_line_start = self.lc_off + last + 1;
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
        for &(a, b) in &self.open {
            s.push('/');
            let tag = &self.src[a..b];
            let inner = tag
                .strip_prefix(b"<")
                .unwrap_or(tag)
                .strip_suffix(b">")
                .unwrap_or(tag);
            let inner = inner.strip_suffix(b"/").unwrap_or(inner);
            let text = String::from_utf8_lossy(inner);
            let name_len = text.find(|c: char| c.is_whitespace()).unwrap_or(text.len());
            let name = &text[..name_len];
            let local = name.rsplit(':').next().unwrap_or(name);
            s.push_str(local);
            let bs = BytesStart::from_content(text.as_ref(), name_len);
            for a in bs.attributes().flatten() {
                let k = a.key.into_inner();
                if k == "id" || k == "xml:id" {
                    s.push_str(&format!("[@{}='{}']", k, a.value));
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

    /// Reads the next event.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<XEvent<'a>> {
        loop {
            let start = self.inner.buffer_position() as usize;
            let ev = self.inner.read_resolved_event();
            let (res, ev) = match ev {
                Ok(v) => v,
                Err(e) => {
                    let off = self.inner.error_position() as usize;
                    self.last_pos = self.pos_of(off);
                    return Err(self.error(ErrorKind::Xml, format!("not well-formed XML: {e}")));
                }
            };
            let in_ns = matches!(&res, ResolveResult::Bound(ns) if ns.into_inner().as_bytes() == self.target.as_slice());
            let ns_str = if in_ns {
                None
            } else {
                match &res {
                    ResolveResult::Bound(ns) => Some(ns.into_inner().to_string()),
                    ResolveResult::Unknown(p) if matches!(ev, Event::Start(_)) => {
                        let p = p.clone();
                        self.last_pos = self.pos_of(start);
                        return Err(self
                            .error(ErrorKind::Xml, format!("undeclared namespace prefix `{p}`")));
                    }
                    _ => None,
                }
            };
            match ev {
                Event::Start(tag) => {
                    let end = self.inner.buffer_position() as usize;
                    let pos = self.pos_of(start);
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
                    self.open.push((start, end));
                    return Ok(XEvent::Start(StartTag {
                        tag,
                        in_target_ns: in_ns,
                        namespace: ns_str,
                        pos,
                    }));
                }
                Event::End(_) => {
                    self.open.pop();
                    return Ok(XEvent::End);
                }
                Event::Empty(_) => unreachable_empty()?,
                Event::Text(t) => {
                    let s = t.xml10_content();
                    // The borrow is tied to 'a through the source slice.
                    return Ok(XEvent::Text(own_or_borrow(s)));
                }
                Event::CData(t) => {
                    return Ok(XEvent::CData(Cow::Owned(t.xml10_content().into_owned())));
                }
                Event::GeneralRef(r) => {
                    let name = r.xml10_content().into_owned();
                    let ch = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => match name.as_str() {
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "amp" => "&".into(),
                            "apos" => "'".into(),
                            "quot" => "\"".into(),
                            _ => {
                                self.last_pos = self.pos_of(start);
                                return Err(self.error(
                                    ErrorKind::Xml,
                                    format!(
                                        "undefined entity `&{name};` (entities are never expanded)"
                                    ),
                                ));
                            }
                        },
                        Err(e) => {
                            self.last_pos = self.pos_of(start);
                            return Err(self.error(
                                ErrorKind::Xml,
                                format!("bad character reference `&{name};`: {e}"),
                            ));
                        }
                    };
                    return Ok(XEvent::Text(Cow::Owned(ch)));
                }
                Event::Comment(c) => {
                    return Ok(XEvent::Comment(
                        String::from_utf8_lossy(c.into_inner().as_bytes()).into_owned(),
                    ));
                }
                Event::PI(p) => {
                    return Ok(XEvent::Pi(p.into_inner().into_owned()));
                }
                Event::Decl(d) => {
                    let raw = d.as_ref().to_string();
                    self.decl = Some(raw);
                    continue;
                }
                Event::DocType(_) => {
                    self.last_pos = self.pos_of(start);
                    return Err(self.error(
                        ErrorKind::Xml,
                        "DTDs are refused (<!DOCTYPE …>): entities are never declared, fetched or expanded",
                    ));
                }
                Event::Eof => {
                    if !self.open.is_empty() {
                        self.last_pos = self.pos_of(self.src.len());
                        return Err(self.error(ErrorKind::Xml, "unexpected end of document"));
                    }
                    return Ok(XEvent::Eof);
                }
            }
        }
    }
}

fn unreachable_empty() -> Result<()> {
    Err(Error::internal("empty element event despite expansion"))
}

fn own_or_borrow(s: Cow<'_, str>) -> Cow<'_, str> {
    s
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
        assert_eq!(
            all("<a>x&lt;&#65;</a>").unwrap(),
            vec!["<a", "x", "<", "A", ">"]
        );
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
