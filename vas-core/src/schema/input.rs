//! Safe, streaming XML input shared by the XSD and RelaxNG validators and by the
//! schema-document reader: namespace resolution, line/column tracking with bounded
//! memory, refusal of DTDs and entity declarations, depth and text-size limits.

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::{Error, ErrorKind, Result};

/// The XML namespace, bound to the `xml` prefix by definition.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`, …).
pub(crate) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Limits applied while reading a document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_depth: usize,
    pub max_text: usize,
}

/// A `BufRead` wrapper that remembers newline offsets not yet queried (so that
/// line/column can be computed for positions handed out by quick-xml) and refuses
/// runs of more than `max_run` bytes without a `<` (huge text nodes or tags).
struct Counting<R> {
    inner: R,
    offset: u64,
    pending: VecDeque<u64>,
    history: VecDeque<u64>,
    lines_before: u64,
    last_nl: Option<u64>,
    run: usize,
    max_run: usize,
    overflow: bool,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // quick-xml only uses the BufRead interface; keep Read coherent anyway.
        let n = self.inner.read(buf)?;
        let copy = buf[..n].to_vec();
        self.account(&copy);
        Ok(n)
    }
}

impl<R> Counting<R> {
    fn account(&mut self, bytes: &[u8]) {
        scan(bytes, self.offset, &mut self.pending, &mut self.run);
        if self.run > self.max_run {
            self.overflow = true;
        }
        self.offset += bytes.len() as u64;
    }

    fn line_col(&mut self, off: u64) -> (u64, u64) {
        while let Some(&nl) = self.pending.front() {
            if nl < off {
                self.pending.pop_front();
                self.lines_before += 1;
                self.last_nl = Some(nl);
                self.history.push_back(nl);
                if self.history.len() > 4096 {
                    self.history.pop_front();
                }
            } else {
                break;
            }
        }
        match self.last_nl {
            Some(nl) if off <= nl => {
                // A position before the last counted newline (error positions can be
                // reported behind the last event): look back in the recent history.
                let after = self.history.iter().filter(|&&h| h >= off).count() as u64;
                let prev = self.history.iter().rev().find(|&&h| h < off).copied();
                let line = (self.lines_before + 1).saturating_sub(after).max(1);
                let col = match prev {
                    Some(p) => off - p,
                    None => off + 1,
                };
                (line, col.max(1))
            }
            Some(nl) => (self.lines_before + 1, off - nl),
            None => (self.lines_before + 1, off + 1),
        }
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.overflow {
            return Err(std::io::Error::other(LimitMarker(self.max_run)));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(b) = self.inner.fill_buf() {
            let bytes = &b[..amt.min(b.len())];
            scan(bytes, self.offset, &mut self.pending, &mut self.run);
            self.offset += bytes.len() as u64;
            if self.run > self.max_run {
                self.overflow = true;
            }
        }
        self.inner.consume(amt);
    }
}

fn scan(bytes: &[u8], offset: u64, pending: &mut VecDeque<u64>, run: &mut usize) {
    // Only the position of the last '<' and the newlines matter.
    match memchr::memrchr(b'<', bytes) {
        Some(p) => *run = bytes.len() - p - 1,
        None => *run += bytes.len(),
    }
    for i in memchr::memchr_iter(b'\n', bytes) {
        pending.push_back(offset + i as u64);
    }
}

#[derive(Debug)]
struct LimitMarker(usize);
impl std::fmt::Display for LimitMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a text node or tag is longer than the limit of {} bytes",
            self.0
        )
    }
}
impl std::error::Error for LimitMarker {}

/// One attribute of a start tag, with its resolved namespace ("" = none).
#[derive(Debug, Clone)]
pub(crate) struct XAttr {
    pub ns: Arc<str>,
    pub local: String,
    pub prefix: Option<String>,
    pub value: String,
}

/// A simplified XML event.
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

/// A well-formedness, safety or limit problem found while reading.
#[derive(Debug, Clone)]
pub(crate) struct ReadProblem {
    pub kind: ErrorKind,
    pub message: String,
    pub line: u64,
    pub col: u64,
}

/// Streaming reader producing [`XEvent`]s with resolved namespaces.
pub(crate) struct XmlInput<R: BufRead> {
    reader: Reader<Counting<R>>,
    buf: Vec<u8>,
    scopes: Vec<Vec<(String, Arc<str>)>>,
    no_ns: Arc<str>,
    xml_ns: Arc<str>,
    xmlns_ns: Arc<str>,
    pending_end: bool,
    depth: usize,
    seen_root: bool,
    root_closed: bool,
    limits: Limits,
    pending_text: String,
    last_pos: (u64, u64),
    stash: Option<XEvent>,
}

impl<R: BufRead> XmlInput<R> {
    /// Wraps a buffered reader.
    pub fn new(inner: R, limits: Limits) -> Self {
        let counting = Counting {
            inner,
            offset: 0,
            pending: VecDeque::new(),
            history: VecDeque::new(),
            lines_before: 0,
            last_nl: None,
            run: 0,
            max_run: limits.max_text,
            overflow: false,
        };
        let mut reader = Reader::from_reader(counting);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.expand_empty_elements = false;
        cfg.check_comments = true;
        XmlInput {
            reader,
            buf: Vec::new(),
            scopes: Vec::new(),
            no_ns: Arc::from(""),
            xml_ns: Arc::from(XML_NS),
            xmlns_ns: Arc::from(XMLNS_NS),
            pending_end: false,
            depth: 0,
            seen_root: false,
            root_closed: false,
            limits,
            pending_text: String::new(),
            last_pos: (1, 1),
            stash: None,
        }
    }

    /// Current element depth (1 inside the root element).
    #[allow(dead_code)]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Resolves a prefix in the current scope (`None` = default namespace).
    pub fn resolve_prefix(&self, prefix: Option<&str>) -> Option<Arc<str>> {
        let p = prefix.unwrap_or("");
        if p == "xml" {
            return Some(self.xml_ns.clone());
        }
        for scope in self.scopes.iter().rev() {
            for (k, v) in scope.iter().rev() {
                if k == p {
                    return Some(v.clone());
                }
            }
        }
        if p.is_empty() {
            Some(self.no_ns.clone())
        } else {
            None
        }
    }

    /// The namespace bindings in scope (innermost last), for QName-valued content.
    pub fn scope_snapshot(&self) -> Vec<(String, String)> {
        self.scopes
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect()
    }

    fn problem(&mut self, kind: ErrorKind, message: impl Into<String>, off: u64) -> ReadProblem {
        let (line, col) = self.reader.get_mut().line_col(off);
        ReadProblem {
            kind,
            message: message.into(),
            line,
            col,
        }
    }

    /// Reads the next event.
    pub fn next(&mut self) -> std::result::Result<XEvent, ReadProblem> {
        if let Some(ev) = self.stash.take() {
            return Ok(ev);
        }
        if self.pending_end {
            self.pending_end = false;
            self.scopes.pop();
            self.depth -= 1;
            if self.depth == 0 {
                self.root_closed = true;
            }
            return Ok(XEvent::End);
        }
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            let start = self.reader.buffer_position();
            let res = match self.reader.read_event_into(&mut buf) {
                Ok(ev) => self.handle(ev, start),
                Err(e) => {
                    let off = self.reader.error_position().max(start);
                    let msg = e.to_string();
                    if msg.contains("longer than the limit") {
                        Err(self.problem(ErrorKind::LimitExceeded, msg, off))
                    } else {
                        Err(self.problem(ErrorKind::Xml, format!("malformed XML: {msg}"), off))
                    }
                }
            };
            self.buf = buf;
            match res {
                Ok(Some(ev)) => return Ok(ev),
                Ok(None) => continue,
                Err(p) => return Err(p),
            }
        }
    }

    /// Handles one quick-xml event: `Ok(None)` means "nothing to report yet".
    fn handle(
        &mut self,
        ev: Event<'_>,
        start: u64,
    ) -> std::result::Result<Option<XEvent>, ReadProblem> {
        match ev {
            Event::Text(t) => {
                let s = t.xml10_content();
                if self.depth == 0 {
                    if !s.trim().is_empty() {
                        return Err(self.problem(
                            ErrorKind::Xml,
                            "malformed XML: text outside the root element",
                            start,
                        ));
                    }
                    return Ok(None);
                }
                self.append_text(&s, start)?;
                Ok(None)
            }
            Event::CData(t) => {
                if self.depth == 0 {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        "malformed XML: CDATA outside the root element",
                        start,
                    ));
                }
                let s = t.xml10_content();
                self.append_text(&s, start)?;
                Ok(None)
            }
            Event::GeneralRef(r) => {
                if self.depth == 0 {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        "malformed XML: entity reference outside the root element",
                        start,
                    ));
                }
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content().into_owned();
                        match name.as_str() {
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "amp" => "&".into(),
                            "apos" => "'".into(),
                            "quot" => "\"".into(),
                            _ => {
                                return Err(self.problem(
                                    ErrorKind::Xml,
                                    format!(
                                        "undefined entity reference &{name}; (entities are not supported)"
                                    ),
                                    start,
                                ))
                            }
                        }
                    }
                    Err(e) => {
                        return Err(self.problem(
                            ErrorKind::Xml,
                            format!("malformed XML: bad character reference: {e}"),
                            start,
                        ))
                    }
                };
                self.append_text(&resolved, start)?;
                Ok(None)
            }
            Event::Comment(_) | Event::PI(_) => Ok(None),
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = enc.to_ascii_lowercase();
                    if enc != "utf-8" && enc != "utf8" && enc != "us-ascii" && enc != "ascii" {
                        return Err(self.problem(
                            ErrorKind::Unsupported,
                            format!(
                                "unsupported document encoding '{enc}' (only UTF-8 is supported)"
                            ),
                            start,
                        ));
                    }
                }
                Ok(None)
            }
            Event::DocType(_) => Err(self.problem(
                ErrorKind::Unsafe,
                "document type declarations (DTD) are refused: no DTD is read, no entity is expanded",
                start,
            )),
            Event::Start(_) | Event::Empty(_) if self.root_closed => Err(self.problem(
                ErrorKind::Xml,
                "malformed XML: more than one root element",
                start,
            )),
            Event::Start(s) => self.start_event(&s, start, false),
            Event::Empty(s) => self.start_event(&s, start, true),
            Event::End(_) => {
                let end = self.end(start);
                if self.pending_text.is_empty() {
                    return Ok(Some(end));
                }
                let text = std::mem::take(&mut self.pending_text);
                self.stash = Some(end);
                Ok(Some(XEvent::Text(text)))
            }
            Event::Eof => {
                if self.depth > 0 {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        "malformed XML: unexpected end of document (unclosed elements)",
                        start,
                    ));
                }
                if !self.seen_root {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        "malformed XML: the document has no root element",
                        start,
                    ));
                }
                Ok(Some(XEvent::Eof))
            }
        }
    }

    /// A start tag: whitespace-only text before it is dropped (it never matters for
    /// validation), other text is delivered first.
    fn start_event(
        &mut self,
        s: &quick_xml::events::BytesStart<'_>,
        off: u64,
        empty: bool,
    ) -> std::result::Result<Option<XEvent>, ReadProblem> {
        let ev = self.start(s, off, empty)?;
        if self.pending_text.is_empty() {
            return Ok(Some(ev));
        }
        let text = std::mem::take(&mut self.pending_text);
        if text
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            return Ok(Some(ev));
        }
        self.stash = Some(ev);
        Ok(Some(XEvent::Text(text)))
    }

    fn append_text(&mut self, s: &str, off: u64) -> std::result::Result<(), ReadProblem> {
        if self.pending_text.len() + s.len() > self.limits.max_text {
            let max = self.limits.max_text;
            return Err(self.problem(
                ErrorKind::LimitExceeded,
                format!("a text node is longer than the limit of {max} bytes"),
                off,
            ));
        }
        self.pending_text.push_str(s);
        Ok(())
    }
}

// The stash lives outside the main struct definition for readability.
impl<R: BufRead> XmlInput<R> {
    fn start(
        &mut self,
        s: &quick_xml::events::BytesStart<'_>,
        off: u64,
        empty: bool,
    ) -> std::result::Result<XEvent, ReadProblem> {
        let (line, col) = self.reader.get_mut().line_col(off);
        self.last_pos = (line, col);
        if self.depth >= self.limits.max_depth {
            let max = self.limits.max_depth;
            return Err(self.problem(
                ErrorKind::LimitExceeded,
                format!("elements are nested deeper than the limit of {max} levels"),
                off,
            ));
        }
        self.seen_root = true;
        let mut decls = Vec::new();
        let mut raw = Vec::new();
        for a in s.attributes() {
            let a = match a {
                Ok(a) => a,
                Err(e) => {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        format!("malformed XML: bad attribute: {e}"),
                        off,
                    ));
                }
            };
            let qname: String = AsRef::<str>::as_ref(&a.key).to_string();
            let value = match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(e) => {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        format!("malformed XML: bad value of attribute '{qname}': {e}"),
                        off,
                    ));
                }
            };
            if qname == "xmlns" {
                decls.push((String::new(), Arc::from(value.as_str())));
            } else if let Some(p) = qname.strip_prefix("xmlns:") {
                if value.is_empty() {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        format!("namespace error: prefix '{p}' bound to an empty namespace"),
                        off,
                    ));
                }
                decls.push((p.to_string(), Arc::from(value.as_str())));
            } else {
                raw.push((qname, value));
            }
        }
        self.scopes.push(decls);
        self.depth += 1;
        let qn = s.name();
        let name: &str = qn.as_ref();
        let (ns, local) = match self.split(name, true) {
            Some(x) => x,
            None => {
                return Err(self.problem(
                    ErrorKind::Xml,
                    format!("namespace error: undeclared prefix in element name '{name}'"),
                    off,
                ));
            }
        };
        let mut attrs = Vec::with_capacity(raw.len());
        for (qname, value) in raw {
            let (ans, alocal) = match self.split(&qname, false) {
                Some(x) => x,
                None => {
                    return Err(self.problem(
                        ErrorKind::Xml,
                        format!("namespace error: undeclared prefix in attribute name '{qname}'"),
                        off,
                    ));
                }
            };
            if attrs
                .iter()
                .any(|a: &XAttr| a.ns == ans && a.local == alocal)
            {
                return Err(self.problem(
                    ErrorKind::Xml,
                    format!("malformed XML: attribute '{qname}' is repeated"),
                    off,
                ));
            }
            let prefix = qname.split_once(':').map(|(p, _)| p.to_string());
            attrs.push(XAttr {
                ns: ans,
                local: alocal,
                prefix,
                value,
            });
        }
        if empty {
            self.pending_end = true;
        }
        Ok(XEvent::Start {
            ns,
            local,
            attrs,
            line,
            col,
        })
    }

    fn end(&mut self, off: u64) -> XEvent {
        let (line, col) = self.reader.get_mut().line_col(off);
        self.last_pos = (line, col);
        self.scopes.pop();
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            self.root_closed = true;
        }
        XEvent::End
    }

    fn split(&self, qname: &str, use_default: bool) -> Option<(Arc<str>, String)> {
        match qname.split_once(':') {
            Some((p, l)) => {
                if p == "xmlns" {
                    return Some((self.xmlns_ns.clone(), l.to_string()));
                }
                self.resolve_prefix(Some(p)).map(|ns| (ns, l.to_string()))
            }
            None => {
                if use_default {
                    self.resolve_prefix(None).map(|ns| (ns, qname.to_string()))
                } else {
                    Some((self.no_ns.clone(), qname.to_string()))
                }
            }
        }
    }
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
