//! The building blocks of the model: versions, element metadata, leaf text, the
//! [`Element`] trait, the reader/writer contexts and the table macro.

use std::io::Write;

use compact_str::CompactString;

use crate::xml::{Attr, Misc, Pos, RawElement, StartTag, XEvent, XmlReader, XmlWriter};
use crate::{Error, ErrorKind, Result};

/// A SEDA version. Ordered: `V2_1 < V2_2 < V2_3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum SedaVersion {
    /// SEDA 2.1 (2018).
    V2_1,
    /// SEDA 2.2 (2022).
    V2_2,
    /// SEDA 2.3 (2024), the default.
    #[default]
    V2_3,
}

impl SedaVersion {
    /// All supported versions.
    pub const ALL: [SedaVersion; 3] = [SedaVersion::V2_1, SedaVersion::V2_2, SedaVersion::V2_3];

    /// The namespace URI, e.g. `fr:gouv:culture:archivesdefrance:seda:v2.3`.
    ///
    /// ```
    /// use vas_core::seda::SedaVersion;
    /// assert_eq!(SedaVersion::V2_2.namespace(), "fr:gouv:culture:archivesdefrance:seda:v2.2");
    /// assert_eq!(SedaVersion::from_namespace("fr:gouv:culture:archivesdefrance:seda:v2.1"), Some(SedaVersion::V2_1));
    /// ```
    pub fn namespace(self) -> &'static str {
        match self {
            SedaVersion::V2_1 => "fr:gouv:culture:archivesdefrance:seda:v2.1",
            SedaVersion::V2_2 => "fr:gouv:culture:archivesdefrance:seda:v2.2",
            SedaVersion::V2_3 => "fr:gouv:culture:archivesdefrance:seda:v2.3",
        }
    }

    /// The version whose namespace is `ns`.
    pub fn from_namespace(ns: &str) -> Option<SedaVersion> {
        SedaVersion::ALL.into_iter().find(|v| v.namespace() == ns)
    }

    /// `"2.1"`, `"2.2"` or `"2.3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SedaVersion::V2_1 => "2.1",
            SedaVersion::V2_2 => "2.2",
            SedaVersion::V2_3 => "2.3",
        }
    }

    /// Whether `since <= self <= until`.
    pub fn between(self, since: SedaVersion, until: SedaVersion) -> bool {
        since <= self && self <= until
    }
}

impl std::fmt::Display for SedaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SedaVersion {
    type Err = Error;
    /// Accepts "2.1", "v2.2", "V2.3" or a SEDA namespace.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().trim_start_matches(['v', 'V']) {
            "2.1" => Ok(SedaVersion::V2_1),
            "2.2" => Ok(SedaVersion::V2_2),
            "2.3" => Ok(SedaVersion::V2_3),
            _ => SedaVersion::from_namespace(s.trim()).ok_or_else(|| {
                Error::new(
                    ErrorKind::Unsupported,
                    format!("unsupported SEDA version `{s}` (supported: 2.1, 2.2, 2.3)"),
                )
            }),
        }
    }
}

/// What every typed element keeps besides its content, for exact re-serialisation:
/// the prefix it was written with, and all its attributes in order (namespace
/// declarations, `xsi:schemaLocation`, `id`, `xml:lang`, `schemeID`, …).
///
/// Prefix ([`prefix`](Self::prefix)): `None` = same prefix as the parent element (the
/// usual case, and what builders produce), `Some("")` = unprefixed under a prefixed
/// parent, `Some("seda")` = `seda:Name` under a parent with another prefix.
/// The position is ignored by `==`. Compact: 16 bytes when there is no attribute and
/// no prefix change (the common case), so large manifests stay small in memory.
///
/// ```
/// use vas_core::seda::ElementMeta;
/// let mut m = ElementMeta::default();
/// m.set_attr("id", "AU1");
/// m.set_attr("xml:lang", "fr");
/// assert_eq!(m.id(), Some("AU1"));
/// assert_eq!(m.attrs().len(), 2);
/// assert_eq!(m.prefix(), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ElementMeta {
    extra: Option<Box<MetaExtra>>,
    /// Position of the start tag in the source (0:0 when built from code).
    pub pos: Pos,
}

/// The attributes of an element ([`ElementMeta::attrs_mut`]): a vector that keeps one
/// attribute inline (in the element's single metadata allocation) and spills to the heap
/// beyond. It has the `Vec` API (`push`, `insert`, `remove`, `retain`, slices, …).
pub type AttrList = smallvec::SmallVec<[Attr; 1]>;

#[derive(Debug, Clone, Default, PartialEq)]
struct MetaExtra {
    attrs: AttrList,
    prefix: Option<String>,
    /// Comments and PIs inside a leaf, with the byte offset in its text where they were.
    inner: Vec<(usize, Misc)>,
}

impl PartialEq for ElementMeta {
    fn eq(&self, o: &Self) -> bool {
        self.prefix() == o.prefix()
            && self.attrs() == o.attrs()
            && self.inner_misc() == o.inner_misc()
    }
}

impl ElementMeta {
    /// Metadata with a prefix and attributes.
    pub fn new(prefix: Option<String>, attrs: Vec<Attr>) -> Self {
        let extra = if prefix.is_none() && attrs.is_empty() {
            None
        } else {
            Some(Box::new(MetaExtra {
                prefix,
                attrs: AttrList::from_vec(attrs),
                inner: Vec::new(),
            }))
        };
        ElementMeta {
            extra,
            pos: Pos::default(),
        }
    }

    /// Reads the prefix and attributes of a start tag; the prefix is stored as `None`
    /// when it equals `parent_prefix` (the normal form, equal to elements built from code).
    /// One allocation at most for the usual element (one attribute or none, no prefix change).
    pub fn from_start(s: &StartTag<'_>, parent_prefix: &str) -> Result<Self> {
        let p = s.prefix();
        let prefix = if p.len() == parent_prefix.len() && (p.is_empty() || p == parent_prefix) {
            None
        } else {
            Some(p.to_string())
        };
        let extra = if prefix.is_none() && !s.has_attrs() {
            None
        } else {
            let mut e = Box::new(MetaExtra {
                attrs: AttrList::new(),
                prefix,
                inner: Vec::new(),
            });
            let attrs = &mut e.attrs;
            s.each_attr(|a| {
                if attrs.iter().any(|o| o.name == a.name) {
                    return false;
                }
                attrs.push(a);
                true
            })?;
            Some(e)
        };
        Ok(ElementMeta { extra, pos: s.pos })
    }

    /// The prefix (see the type docs).
    pub fn prefix(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|e| e.prefix.as_deref())
    }

    /// Sets the prefix.
    pub fn set_prefix(&mut self, prefix: Option<String>) {
        self.extra_mut().prefix = prefix;
    }

    /// Attributes in document order.
    pub fn attrs(&self) -> &[Attr] {
        self.extra
            .as_ref()
            .map(|e| e.attrs.as_slice())
            .unwrap_or(&[])
    }

    /// Mutable attributes.
    pub fn attrs_mut(&mut self) -> &mut AttrList {
        &mut self.extra_mut().attrs
    }

    fn extra_mut(&mut self) -> &mut MetaExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Value of an attribute (qualified name).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs()
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Sets (replaces in place, or appends) an attribute.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = CompactString::from(value.into());
        let attrs = self.attrs_mut();
        match attrs.iter_mut().find(|a| a.name == name) {
            Some(a) => a.value = value,
            None => attrs.push(Attr {
                name: name.into(),
                value,
            }),
        }
    }

    /// Removes an attribute; returns its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let attrs = self.attrs_mut();
        let i = attrs.iter().position(|a| a.name == name)?;
        Some(attrs.remove(i).value.into_string())
    }

    /// Comments and processing instructions found *inside a leaf element* (e.g.
    /// `<Title>a<!-- c -->b</Title>`), each with the byte offset in the leaf's text where
    /// it stood (`1` here: the text is `"ab"`). Written back at the same offsets; an offset
    /// past the end of a modified text (or not on a character boundary) puts the comment
    /// at the end of the text.
    ///
    /// ```
    /// use vas_core::seda::{Document, ContentItem};
    /// # let xml = r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3"><DataObjectPackage><DescriptiveMetadata><ArchiveUnit id="U"><Content><Title>a<!-- c -->b</Title></Content></ArchiveUnit></DescriptiveMetadata></DataObjectPackage></ArchiveTransfer>"#;
    /// let doc = Document::from_str(xml)?;
    /// let out = doc.to_string()?;
    /// assert!(out.contains("<Title>a<!-- c -->b</Title>"));
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn inner_misc(&self) -> &[(usize, Misc)] {
        self.extra
            .as_ref()
            .map(|e| e.inner.as_slice())
            .unwrap_or(&[])
    }

    /// Adds a comment or processing instruction inside a leaf, at byte offset `at` of
    /// its text (see [`inner_misc`](Self::inner_misc)).
    pub fn push_inner_misc(&mut self, at: usize, m: Misc) {
        self.extra_mut().inner.push((at, m));
    }

    /// `@id`, or `@xml:id` when there is no `@id`.
    pub fn id(&self) -> Option<&str> {
        self.attr("id").or_else(|| self.attr("xml:id"))
    }
}

/// A leaf element: its text exactly as read (unescaped; never trimmed or normalised) and
/// its attributes in order (`xml:lang`, `schemeID`, `listVersionID`, `algorithm`, `unit`, …).
///
/// The text is a [`CompactString`] (re-exported as [`crate::seda::CompactString`]): it
/// derefs to `&str` like a `String`, and values of up to 24 bytes (codes, dates, identifiers,
/// sizes: most SEDA leaves) are stored inline, without a heap allocation.
///
/// ```
/// use vas_core::seda::Text;
/// let t = Text::new("2019-05").with_attr("xml:lang", "fr");
/// assert_eq!(t.as_str(), "2019-05");
/// assert_eq!(t.lang(), Some("fr"));
/// assert_eq!(Text::new(" 42 ").as_u64(), Some(42));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Text {
    /// Prefix and attributes.
    pub meta: ElementMeta,
    /// Text content, exact.
    pub value: CompactString,
}

impl Text {
    /// A text leaf without attributes.
    pub fn new(value: impl Into<String>) -> Self {
        Text {
            meta: ElementMeta::default(),
            value: CompactString::from(value.into()),
        }
    }

    /// Adds or replaces an attribute.
    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.meta.set_attr(name, value);
        self
    }

    /// The exact text.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The whitespace-collapsed view (what `xsd:token` means).
    pub fn token(&self) -> String {
        self.value.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// An attribute value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.meta.attr(name)
    }

    /// `xml:lang`.
    pub fn lang(&self) -> Option<&str> {
        self.meta.attr("xml:lang")
    }

    /// The value as an unsigned integer (surrounding whitespace ignored).
    pub fn as_u64(&self) -> Option<u64> {
        self.value.trim().parse().ok()
    }

    /// The value as an `xsd:boolean`.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }

    /// The value as a SEDA `DateType` (lexical form preserved).
    pub fn as_date(&self) -> Option<SedaDate> {
        SedaDate::parse(&self.value)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::new(s)
    }
}

/// The lexical kind of a SEDA `DateType` value (a union of `gYear`, `gYearMonth`,
/// `date`, `dateTime`, …). The source string is kept untouched.
///
/// ```
/// use vas_core::seda::{SedaDate, DateKind};
/// assert_eq!(SedaDate::parse("2019").unwrap().kind, DateKind::Year);
/// assert_eq!(SedaDate::parse("2019-05").unwrap().kind, DateKind::YearMonth);
/// assert_eq!(SedaDate::parse("2019-05-02T10:00:00Z").unwrap().kind, DateKind::DateTime);
/// assert!(SedaDate::parse("2019-13").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SedaDate {
    /// The lexical form, exactly as written.
    pub lexical: String,
    /// Its kind.
    pub kind: DateKind,
}

/// Kinds of [`SedaDate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKind {
    /// `2019` (gYear, optional zone).
    Year,
    /// `2019-05` (gYearMonth).
    YearMonth,
    /// `2019-05-02` (date, optional zone).
    Date,
    /// `2019-05-02T10:00:00` with optional fraction and zone.
    DateTime,
}

impl SedaDate {
    /// Recognises a DateType lexical form (gMonth/gDay forms are not recognised).
    pub fn parse(s: &str) -> Option<SedaDate> {
        let t = s.trim();
        if !t.is_ascii() {
            return None;
        }
        let (body, _zone) = split_zone(t);
        let bytes = body.as_bytes();
        let digits = |r: std::ops::Range<usize>| {
            r.end <= bytes.len() && bytes[r].iter().all(|b| b.is_ascii_digit())
        };
        let kind = if body.len() == 4 && digits(0..4) {
            DateKind::Year
        } else if body.len() == 7 && digits(0..4) && bytes[4] == b'-' && digits(5..7) {
            DateKind::YearMonth
        } else if body.len() == 10
            && digits(0..4)
            && bytes[4] == b'-'
            && digits(5..7)
            && bytes[7] == b'-'
            && digits(8..10)
        {
            DateKind::Date
        } else if body.len() >= 19
            && digits(0..4)
            && bytes[4] == b'-'
            && bytes[10] == b'T'
            && digits(11..13)
            && bytes[13] == b':'
        {
            DateKind::DateTime
        } else {
            return None;
        };
        if body.len() >= 7 {
            let m: u32 = body[5..7].parse().ok()?;
            if !(1..=12).contains(&m) {
                return None;
            }
        }
        if body.len() >= 10 {
            let d: u32 = body[8..10].parse().ok()?;
            if !(1..=31).contains(&d) {
                return None;
            }
        }
        Some(SedaDate {
            lexical: s.to_string(),
            kind,
        })
    }
}

fn split_zone(t: &str) -> (&str, &str) {
    if let Some(b) = t.strip_suffix('Z') {
        return (b, "Z");
    }
    if t.len() > 10 {
        let tail = &t[t.len() - 6..];
        let tb = tail.as_bytes();
        if (tb[0] == b'+' || tb[0] == b'-') && tb[3] == b':' {
            return (&t[..t.len() - 6], tail);
        }
    }
    if t.len() == 10 && (t.as_bytes()[4] == b'+' || t.as_bytes()[4] == b'-') {
        // 2019+01:00 (gYear with zone)
        if t.as_bytes()[7] == b':' {
            return (&t[..4], &t[4..]);
        }
    }
    (t, "")
}

/// Reading context: the XML reader plus the document's SEDA version.
pub struct SedaReader<'a> {
    /// The underlying reader (target namespace = the SEDA namespace).
    pub xml: XmlReader<'a>,
    /// The document's version.
    pub version: SedaVersion,
}

/// Writing context: the XML writer, the target version, the prefix stack and the path.
pub struct SedaWriter<'m, W: Write> {
    /// The underlying writer.
    pub xml: XmlWriter<W>,
    /// The version written.
    pub version: SedaVersion,
    /// The version of the document written, when known (see
    /// [`SedaWriter::with_source_version`]).
    source: Option<SedaVersion>,
    prefixes: Vec<&'m str>,
    path: Vec<(&'static str, Option<&'m str>)>,
}

impl<'m, W: Write> SedaWriter<'m, W> {
    /// A writer for `version`.
    pub fn new(out: W, version: SedaVersion, indent: bool) -> Self {
        SedaWriter {
            xml: XmlWriter::new(out, indent),
            version,
            source: None,
            prefixes: Vec::new(),
            path: Vec::new(),
        }
    }

    /// Declares the version of the document being written. SEDA namespace declarations
    /// and `schemaLocation` values are rewritten to the target version only when it
    /// differs: a document written in its own version keeps them as they were read, so
    /// that reading it back gives the same document. Without this call they are always
    /// rewritten.
    pub fn with_source_version(mut self, source: SedaVersion) -> Self {
        self.source = Some(source);
        self
    }

    /// The current element path (for errors).
    pub fn path(&self) -> String {
        let mut s = String::new();
        for (p, id) in &self.path {
            s.push('/');
            s.push_str(p);
            if let Some(id) = id {
                s.push_str("[@id='");
                s.push_str(id);
                s.push_str("']");
            }
        }
        s
    }

    /// The error raised when `tag` does not exist in the target version.
    pub fn unsupported(&self, tag: &str, since: SedaVersion, until: SedaVersion) -> Error {
        let range = if since == until {
            format!("SEDA {since} only")
        } else if until == SedaVersion::V2_3 {
            format!("SEDA {since} and later")
        } else {
            format!("SEDA {since} to {until}")
        };
        Error::new(
            ErrorKind::Unsupported,
            format!(
                "element `{tag}` does not exist in SEDA {} ({range})",
                self.version
            ),
        )
        .with_element(format!("{}/{}", self.path(), tag))
    }

    fn write_qname(&mut self, prefix: &str, tag: &str) -> Result<()> {
        if !prefix.is_empty() {
            self.xml.raw_str(prefix)?;
            self.xml.raw_str(":")?;
        }
        self.xml.raw_str(tag)
    }

    fn write_attrs(&mut self, attrs: &[Attr]) -> Result<()> {
        let convert = self.source != Some(self.version);
        for a in attrs {
            let is_decl = a.name == "xmlns" || a.name.starts_with("xmlns:");
            if !convert {
                self.xml.write_attr(&a.name, &a.value)?;
            } else if is_decl && SedaVersion::from_namespace(&a.value).is_some() {
                self.xml.write_attr(&a.name, self.version.namespace())?;
            } else if a.name.ends_with("schemaLocation")
                && a.value
                    .contains("fr:gouv:culture:archivesdefrance:seda:v2.")
            {
                let mut v = a.value.to_string();
                for old in SedaVersion::ALL {
                    v = v.replace(old.namespace(), self.version.namespace());
                }
                self.xml.write_attr(&a.name, &v)?;
            } else {
                self.xml.write_attr(&a.name, &a.value)?;
            }
        }
        Ok(())
    }

    /// Starts a typed element: newline, indentation, `<prefix:tag attrs`.
    pub fn begin(&mut self, meta: &'m ElementMeta, tag: &'static str) -> Result<()> {
        let prefix: &'m str = match meta.prefix() {
            Some(p) => p,
            None => self.prefixes.last().copied().unwrap_or(""),
        };
        if !self.path.is_empty() {
            self.xml.newline()?;
        }
        self.xml.raw_str("<")?;
        self.write_qname(prefix, tag)?;
        self.write_attrs(meta.attrs())?;
        self.prefixes.push(prefix);
        self.path.push((tag, meta.attr("id")));
        Ok(())
    }

    /// Ends the element started by [`begin`](Self::begin); `had_children` tells whether
    /// [`open_content`](Self::open_content) was called.
    pub fn end(&mut self, tag: &'static str, had_children: bool) -> Result<()> {
        let prefix = self.prefixes.pop().unwrap_or("");
        self.path.pop();
        if had_children {
            self.xml.indent_out();
            self.xml.newline()?;
            self.xml.raw_str("</")?;
            self.write_qname(prefix, tag)?;
            self.xml.raw_str(">")
        } else {
            self.xml.raw_str("/>")
        }
    }

    /// Closes the start tag of a complex element that has children.
    pub fn open_content(&mut self) -> Result<()> {
        self.xml.raw_str(">")?;
        self.xml.indent_in();
        Ok(())
    }

    /// Writes a leaf element.
    pub fn leaf(&mut self, t: &'m Text, tag: &'static str) -> Result<()> {
        self.begin(&t.meta, tag)?;
        let inner = t.meta.inner_misc();
        if t.value.is_empty() && inner.is_empty() {
            return self.end(tag, false);
        }
        self.xml.raw_str(">")?;
        if inner.is_empty() {
            self.xml.text(&t.value)?;
        } else {
            let v = t.value.as_str();
            let mut prev = 0;
            for (off, m) in inner {
                let mut off = (*off).clamp(prev, v.len());
                if !v.is_char_boundary(off) {
                    off = v.len();
                }
                self.xml.text(&v[prev..off])?;
                prev = off;
                match m {
                    Misc::Comment(c) => {
                        self.xml.raw_str("<!--")?;
                        self.xml.raw_str(c)?;
                        self.xml.raw_str("-->")?;
                    }
                    Misc::Pi(p) => {
                        self.xml.raw_str("<?")?;
                        self.xml.raw_str(p)?;
                        self.xml.raw_str("?>")?;
                    }
                    Misc::Text(x) => self.xml.text(x)?,
                }
            }
            self.xml.text(&v[prev..])?;
        }
        let prefix = self.prefixes.pop().unwrap_or("");
        self.path.pop();
        self.xml.raw_str("</")?;
        self.write_qname(prefix, tag)?;
        self.xml.raw_str(">")
    }

    /// Writes a raw element at the current position.
    pub fn raw(&mut self, r: &RawElement) -> Result<()> {
        self.xml.newline()?;
        r.write(&mut self.xml)
    }
}

/// A SEDA element type: parsed from a start tag, written under a given tag name.
pub trait Element: Sized {
    /// Parses the element whose start tag was just read.
    fn parse(r: &mut SedaReader<'_>, start: &StartTag<'_>) -> Result<Self>;
    /// Writes the element as `tag`.
    fn write<'m, W: Write>(&'m self, w: &mut SedaWriter<'m, W>, tag: &'static str) -> Result<()>;
}

/// Conversion helpers used by the generic accessors of the generated types.
pub trait TextLike {
    /// `Some` for [`Text`].
    fn as_text(&self) -> Option<&Text>;
    /// Mutable variant of [`as_text`](Self::as_text).
    fn as_text_mut(&mut self) -> Option<&mut Text>;
    /// Builds the value from a text (only [`Text`]).
    fn from_text(t: Text) -> Option<Self>
    where
        Self: Sized;
}

impl TextLike for Text {
    fn as_text(&self) -> Option<&Text> {
        Some(self)
    }
    fn as_text_mut(&mut self) -> Option<&mut Text> {
        Some(self)
    }
    fn from_text(t: Text) -> Option<Self> {
        Some(t)
    }
}

impl TextLike for RawElement {
    fn as_text(&self) -> Option<&Text> {
        None
    }
    fn as_text_mut(&mut self) -> Option<&mut Text> {
        None
    }
    fn from_text(_: Text) -> Option<Self> {
        None
    }
}

impl<T: TextLike> TextLike for Box<T> {
    fn as_text(&self) -> Option<&Text> {
        None
    }
    fn as_text_mut(&mut self) -> Option<&mut Text> {
        None
    }
    fn from_text(_: Text) -> Option<Self> {
        None
    }
}

impl Element for Text {
    fn parse(r: &mut SedaReader<'_>, start: &StartTag<'_>) -> Result<Self> {
        let mut meta = ElementMeta::from_start(start, r.xml.parent_prefix())?;
        // The usual leaf, `<Tag>text</Tag>`, read in one step.
        if let Some(t) = r.xml.simple_text()? {
            return Ok(Text {
                meta,
                value: CompactString::from(t),
            });
        }
        let mut value = CompactString::const_new("");
        loop {
            match r.xml.next()? {
                XEvent::Text(t) | XEvent::CData(t) => {
                    if value.is_empty() {
                        // Short values are stored inline; a borrowed long one is copied once
                        // at its exact size, an unescaped one keeps its buffer.
                        value = CompactString::from(t);
                    } else {
                        value.push_str(&t)
                    }
                }
                XEvent::End => break,
                XEvent::Comment(c) => meta.push_inner_misc(value.len(), Misc::Comment(c)),
                XEvent::Pi(p) => meta.push_inner_misc(value.len(), Misc::Pi(p)),
                XEvent::Start(s) => {
                    return Err(r.xml.error(
                        ErrorKind::Xml,
                        format!(
                            "unexpected element <{}> inside a simple-content element",
                            s.qname()
                        ),
                    ));
                }
                XEvent::Eof => {
                    return Err(r.xml.error(ErrorKind::Xml, "unexpected end of document"));
                }
            }
        }
        Ok(Text { meta, value })
    }

    fn write<'m, W: Write>(&'m self, w: &mut SedaWriter<'m, W>, tag: &'static str) -> Result<()> {
        w.leaf(self, tag)
    }
}

impl Element for RawElement {
    fn parse(r: &mut SedaReader<'_>, start: &StartTag<'_>) -> Result<Self> {
        RawElement::capture(&mut r.xml, start)
    }
    fn write<'m, W: Write>(&'m self, w: &mut SedaWriter<'m, W>, _tag: &'static str) -> Result<()> {
        w.raw(self)
    }
}

impl<T: Element> Element for Box<T> {
    fn parse(r: &mut SedaReader<'_>, start: &StartTag<'_>) -> Result<Self> {
        T::parse(r, start).map(Box::new)
    }
    fn write<'m, W: Write>(&'m self, w: &mut SedaWriter<'m, W>, tag: &'static str) -> Result<()> {
        (**self).write(w, tag)
    }
}

/// One step of a depth-first walk over the typed model (see [`Walkable`]).
#[derive(Debug, Clone, Copy)]
pub enum Walk<'a> {
    /// Entering an element (`text` is set for leaves).
    Enter {
        /// Element name.
        tag: &'static str,
        /// Its metadata.
        meta: &'a ElementMeta,
        /// The leaf, for leaf elements.
        text: Option<&'a Text>,
    },
    /// Leaving an element.
    Leave {
        /// Element name.
        tag: &'static str,
    },
}

/// Depth-first traversal of typed elements (raw elements are not entered).
pub trait Walkable {
    /// Calls `f` on entering and leaving this element and every typed descendant.
    fn walk<'a>(&'a self, tag: &'static str, f: &mut dyn FnMut(Walk<'a>));
}

impl Walkable for Text {
    fn walk<'a>(&'a self, tag: &'static str, f: &mut dyn FnMut(Walk<'a>)) {
        f(Walk::Enter {
            tag,
            meta: &self.meta,
            text: Some(self),
        });
        f(Walk::Leave { tag });
    }
}

impl Walkable for RawElement {
    fn walk<'a>(&'a self, _tag: &'static str, _f: &mut dyn FnMut(Walk<'a>)) {}
}

impl<T: Walkable> Walkable for Box<T> {
    fn walk<'a>(&'a self, tag: &'static str, f: &mut dyn FnMut(Walk<'a>)) {
        (**self).walk(tag, f)
    }
}

/// A small name -> index map with a cheap hash, for child-element dispatch.
#[doc(hidden)]
pub struct TagMap {
    slots: Vec<Option<(&'static str, usize)>>,
    mask: usize,
}

impl TagMap {
    /// Builds the map of `tags` (open addressing, load factor <= 1/4).
    pub fn new(tags: &[&'static str]) -> Self {
        let mut cap = 16;
        while cap < tags.len() * 4 {
            cap *= 2;
        }
        let mut m = TagMap {
            slots: vec![None; cap],
            mask: cap - 1,
        };
        for (i, t) in tags.iter().enumerate() {
            let mut h = Self::hash(t) & m.mask;
            while m.slots[h].is_some() {
                h = (h + 1) & m.mask;
            }
            m.slots[h] = Some((t, i));
        }
        m
    }

    #[inline]
    fn hash(s: &str) -> usize {
        let b = s.as_bytes();
        let n = b.len();
        if n == 0 {
            return 0;
        }
        let x = (n as u64)
            ^ ((b[0] as u64) << 8)
            ^ ((b[n - 1] as u64) << 16)
            ^ ((b[n / 2] as u64) << 24)
            ^ ((b[n / 3] as u64) << 32);
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize
    }

    /// Index of `s`.
    #[inline]
    pub fn get(&self, s: &str) -> Option<usize> {
        let mut h = Self::hash(s) & self.mask;
        loop {
            match self.slots[h] {
                None => return None,
                Some((t, i)) if crate::xml::lex::bytes_eq(t.as_bytes(), s.as_bytes()) => {
                    return Some(i);
                }
                _ => h = (h + 1) & self.mask,
            }
        }
    }
}

/// Generates a complex element type as an ordered list of typed children: the struct,
/// its item enum, parse, write (with version gating), canonical-order insertion and
/// generic accessors. One line per child: `Variant: Type = (order, "Tag", since, until)`.
/// Children sharing an order index belong to the same repeated choice (interleaving kept).
macro_rules! seda_complex {
    (
        $(#[$m:meta])*
        $name:ident, $item:ident {
            $( $var:ident : $ty:ty = ($ord:expr, $tag:literal, $since:ident, $until:ident) ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            /// Prefix and attributes as read.
            pub meta: $crate::seda::ElementMeta,
            /// Children in document order.
            pub items: Vec<$item>,
        }

        #[doc = concat!("A child of [`", stringify!($name), "`], in document order.")]
        #[derive(Debug, Clone, PartialEq)]
        #[allow(missing_docs)]
        pub enum $item {
            $( $var($ty), )*
            /// An unknown, extension or version-foreign element, kept verbatim.
            Other(Box<$crate::xml::RawElement>),
            /// A comment, processing instruction or stray text at this position.
            Misc($crate::xml::Misc),
        }

        impl $item {
            /// Element name of this child (`None` for `Other`/`Misc`).
            pub fn tag(&self) -> Option<&'static str> {
                match self {
                    $( $item::$var(_) => Some($tag), )*
                    _ => None,
                }
            }

            /// Position of this child in the schema sequence (`None` for `Other`/`Misc`).
            pub fn order(&self) -> Option<u16> {
                match self {
                    $( $item::$var(_) => Some($ord), )*
                    _ => None,
                }
            }

            /// The versions that define this child: `(since, until)`.
            pub fn versions(&self) -> Option<($crate::seda::SedaVersion, $crate::seda::SedaVersion)> {
                match self {
                    $( $item::$var(_) => Some(($crate::seda::SedaVersion::$since, $crate::seda::SedaVersion::$until)), )*
                    _ => None,
                }
            }

            /// Schema order index of a child tag.
            pub fn order_of(tag: &str) -> Option<u16> {
                match tag {
                    $( $tag => Some($ord), )*
                    _ => None,
                }
            }

            /// The text of a leaf child.
            pub fn as_text(&self) -> Option<&$crate::seda::Text> {
                match self {
                    $( $item::$var(v) => $crate::seda::TextLike::as_text(v), )*
                    _ => None,
                }
            }

            /// Mutable text of a leaf child.
            pub fn as_text_mut(&mut self) -> Option<&mut $crate::seda::Text> {
                match self {
                    $( $item::$var(v) => $crate::seda::TextLike::as_text_mut(v), )*
                    _ => None,
                }
            }

            /// Builds a leaf child from its tag and text (`None` if `tag` is not a leaf here).
            pub fn from_text(tag: &str, t: $crate::seda::Text) -> Option<Self> {
                match tag {
                    $( $tag => <$ty as $crate::seda::TextLike>::from_text(t).map($item::$var), )*
                    _ => None,
                }
            }
        }

        impl $crate::seda::Walkable for $name {
            fn walk<'a>(&'a self, tag: &'static str, f: &mut dyn FnMut($crate::seda::Walk<'a>)) {
                f($crate::seda::Walk::Enter { tag, meta: &self.meta, text: None });
                for it in &self.items {
                    match it {
                        $( $item::$var(v) => $crate::seda::Walkable::walk(v, $tag, f), )*
                        _ => {}
                    }
                }
                f($crate::seda::Walk::Leave { tag });
            }
        }

        impl $crate::seda::TextLike for $name {
            fn as_text(&self) -> Option<&$crate::seda::Text> { None }
            fn as_text_mut(&mut self) -> Option<&mut $crate::seda::Text> { None }
            fn from_text(_: $crate::seda::Text) -> Option<Self> { None }
        }

        impl $name {
            /// The schema tags of this type's children, in schema order.
            pub const TAGS: &'static [&'static str] = &[$($tag),*];

            const VERSIONS: &'static [($crate::seda::SedaVersion, $crate::seda::SedaVersion)] =
                &[$(($crate::seda::SedaVersion::$since, $crate::seda::SedaVersion::$until)),*];

            #[allow(clippy::type_complexity)]
            const PARSERS: &'static [for<'x, 'y, 'z> fn(&'x mut $crate::seda::SedaReader<'y>, &'x $crate::xml::StartTag<'z>) -> $crate::Result<$item>] =
                &[$(|r, s| Ok($item::$var(<$ty as $crate::seda::Element>::parse(r, s)?))),*];

            /// Parses the children of this element into `items` (until its end tag).
            fn parse_children(r: &mut $crate::seda::SedaReader<'_>, items: &mut Vec<$item>) -> $crate::Result<()> {
                loop {
                    r.xml.skip_indentation();
                    match r.xml.next()? {
                        $crate::xml::XEvent::Start(s) => {
                            let v = r.version;
                            let known = if s.in_target_ns {
                                $name::lookup(s.local_name()).filter(|&i| {
                                    let (since, until) = $name::VERSIONS[i];
                                    v.between(since, until)
                                })
                            } else {
                                None
                            };
                            let item = match known {
                                Some(i) => ($name::PARSERS[i])(r, &s)?,
                                None => $item::Other(Box::new($crate::xml::RawElement::capture(&mut r.xml, &s)?)),
                            };
                            items.push(item);
                        }
                        $crate::xml::XEvent::End => break,
                        $crate::xml::XEvent::Text(t) | $crate::xml::XEvent::CData(t) => {
                            // Stray text where only elements belong (schema-invalid): kept
                            // without its surrounding whitespace, which the writer's own
                            // indentation replaces, so that it round-trips to an equal model.
                            // (Indentation, the common case, is recognised without `trim`.)
                            if t.bytes().all(|b| matches!(b, b' ' | b'\n' | b'\t' | b'\r')) {
                                continue;
                            }
                            let t = t.trim();
                            if !t.is_empty() {
                                items.push($item::Misc($crate::xml::Misc::Text(t.to_string())));
                            }
                        }
                        $crate::xml::XEvent::Comment(c) => items.push($item::Misc($crate::xml::Misc::Comment(c))),
                        $crate::xml::XEvent::Pi(p) => items.push($item::Misc($crate::xml::Misc::Pi(p))),
                        $crate::xml::XEvent::Eof => {
                            return Err(r.xml.error($crate::ErrorKind::Xml, "unexpected end of document"));
                        }
                    }
                }
                Ok(())
            }

            /// Index of a child tag in [`TAGS`](Self::TAGS).
            fn lookup(local: &str) -> Option<usize> {
                static MAP: std::sync::OnceLock<$crate::seda::core::TagMap> = std::sync::OnceLock::new();
                MAP.get_or_init(|| $crate::seda::core::TagMap::new(Self::TAGS)).get(local)
            }

            /// Inserts a child at its schema-canonical position (after every child whose
            /// order index is lower or equal), so that builders produce valid order.
            pub fn insert(&mut self, item: $item) -> &mut Self {
                let ord = item.order().unwrap_or(u16::MAX);
                // Fast path: appending in schema order (what builders do).
                if ord != u16::MAX && self.items.last().and_then(|l| l.order()).is_some_and(|o| o <= ord) {
                    self.items.push(item);
                    return self;
                }
                // After the last child that sorts before or with it: found from the end,
                // so inserting near the end (e.g. a group before DescriptiveMetadata) costs
                // O(1), not O(number of children).
                let at = self
                    .items
                    .iter()
                    .rposition(|it| match it.order() {
                        Some(o) => o <= ord,
                        None => ord == u16::MAX,
                    })
                    .map_or(0, |i| i + 1);
                self.items.insert(at, item);
                self
            }

            /// All leaf children named `tag`.
            pub fn texts<'s>(&'s self, tag: &'s str) -> impl Iterator<Item = &'s $crate::seda::Text> + 's {
                self.items.iter().filter(move |i| i.tag() == Some(tag)).filter_map(|i| i.as_text())
            }

            /// The first leaf child named `tag`, as a string.
            pub fn text<'s>(&'s self, tag: &'s str) -> Option<&'s str> {
                self.texts(tag).next().map(|t| t.value.as_str())
            }

            /// Sets the first leaf child named `tag` (or inserts it at its canonical position).
            /// Returns `false` if `tag` is not a leaf child of this type.
            pub fn set_text(&mut self, tag: &str, value: impl Into<String>) -> bool {
                let value = $crate::seda::CompactString::from(value.into());
                if let Some(t) = self.items.iter_mut().filter(|i| i.tag() == Some(tag)).find_map(|i| i.as_text_mut()) {
                    t.value = value;
                    return true;
                }
                self.add_text(tag, $crate::seda::Text { meta: Default::default(), value })
            }

            /// Adds a leaf child `tag` at its canonical position (after existing ones).
            /// Returns `false` if `tag` is not a leaf child of this type.
            pub fn add_text(&mut self, tag: &str, t: $crate::seda::Text) -> bool {
                match $item::from_text(tag, t) {
                    Some(item) => { self.insert(item); true }
                    None => false,
                }
            }

            /// Removes every child named `tag`; returns how many were removed.
            pub fn remove(&mut self, tag: &str) -> usize {
                let n = self.items.len();
                self.items.retain(|i| i.tag() != Some(tag));
                n - self.items.len()
            }

            /// Unknown/extension children kept verbatim.
            pub fn others(&self) -> impl Iterator<Item = &$crate::xml::RawElement> {
                self.items.iter().filter_map(|i| match i { $item::Other(r) => Some(&**r), _ => None })
            }

            /// `@id` (or `@xml:id`).
            pub fn id(&self) -> Option<&str> {
                self.meta.id()
            }
        }

        impl $crate::seda::Element for $name {
            fn parse(r: &mut $crate::seda::SedaReader<'_>, start: &$crate::xml::StartTag<'_>) -> $crate::Result<Self> {
                let meta = $crate::seda::ElementMeta::from_start(start, r.xml.parent_prefix())?;
                // Children are collected in a pooled scratch vector, then moved into an
                // exactly-sized vector: one allocation per element, no growth slack.
                thread_local! {
                    static POOL: std::cell::RefCell<Vec<Vec<$item>>> = const { std::cell::RefCell::new(Vec::new()) };
                }
                let mut items: Vec<$item> = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
                let result = Self::parse_children(r, &mut items);
                let exact: Vec<$item> = items.drain(..).collect();
                if items.capacity() <= 4096 {
                    POOL.with(|p| p.borrow_mut().push(items));
                }
                result?;
                Ok($name { meta, items: exact })
            }

            fn write<'m, W: std::io::Write>(&'m self, w: &mut $crate::seda::SedaWriter<'m, W>, tag: &'static str) -> $crate::Result<()> {
                w.begin(&self.meta, tag)?;
                if self.items.is_empty() {
                    return w.end(tag, false);
                }
                w.open_content()?;
                for it in &self.items {
                    match it {
                        $( $item::$var(v) => {
                            if !w.version.between($crate::seda::SedaVersion::$since, $crate::seda::SedaVersion::$until) {
                                return Err(w.unsupported($tag, $crate::seda::SedaVersion::$since, $crate::seda::SedaVersion::$until));
                            }
                            $crate::seda::Element::write(v, w, $tag)?;
                        } )*
                        $item::Other(raw) => w.raw(raw)?,
                        $item::Misc(m) => w.xml.misc(m)?,
                    }
                }
                w.end(tag, true)
            }
        }
    };
}

pub(crate) use seda_complex;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seda::model::{Content, ContentItem, RuleGroup, RuleItem};

    #[test]
    fn tag_map_finds_every_tag_and_nothing_else() {
        let m = TagMap::new(Content::TAGS);
        for (i, t) in Content::TAGS.iter().enumerate() {
            assert_eq!(m.get(t), Some(i), "{t}");
        }
        for t in ["", "title", "Titl", "Titles", "DescriptionLevelX", "X"] {
            assert_eq!(m.get(t), None, "{t}");
        }
    }

    #[test]
    fn insert_uses_canonical_order_and_keeps_interleaving() {
        let mut c = Content::default();
        c.add_text("EndDate", Text::new("2020"));
        c.add_text("Title", Text::new("b"));
        c.add_text("DescriptionLevel", Text::new("Item"));
        c.add_text("Title", Text::new("c"));
        c.insert(ContentItem::Misc(crate::xml::Misc::Comment("x".into())));
        let tags: Vec<Option<&str>> = c.items.iter().map(|i| i.tag()).collect();
        assert_eq!(
            tags,
            vec![
                Some("DescriptionLevel"),
                Some("Title"),
                Some("Title"),
                Some("EndDate"),
                None
            ]
        );
        assert_eq!(
            c.texts("Title").map(|t| t.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert!(c.set_text("Title", "a"));
        assert_eq!(c.text("Title"), Some("a"));
        assert!(!c.add_text("NoSuchElement", Text::new("x")));
        assert_eq!(c.remove("Title"), 2);

        let mut r = RuleGroup::default();
        r.add_rule("R1", Some("2020-01-01")).add_rule("R2", None);
        r.set_text("FinalAction", "Keep");
        r.add_rule("R3", Some("2021-01-01"));
        let seq: Vec<&str> = r
            .items
            .iter()
            .map(|i| i.as_text().unwrap().as_str())
            .collect();
        assert_eq!(seq, ["R1", "2020-01-01", "R2", "R3", "2021-01-01", "Keep"]);
        assert!(matches!(r.items.last(), Some(RuleItem::FinalAction(_))));
    }

    #[test]
    fn dates_keep_their_lexical_kind() {
        for (s, k) in [
            ("2019", DateKind::Year),
            ("2019+01:00", DateKind::Year),
            ("2019-05", DateKind::YearMonth),
            ("2019-05-02", DateKind::Date),
            ("2019-05-02Z", DateKind::Date),
            ("2019-05-02T10:11:12", DateKind::DateTime),
            ("2019-05-02T10:11:12.5-05:00", DateKind::DateTime),
        ] {
            let d = SedaDate::parse(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(d.kind, k, "{s}");
            assert_eq!(d.lexical, s);
        }
        for s in [
            "",
            "19",
            "2019-00",
            "2019-13-01",
            "2019-05-32",
            "hier",
            "2019/05/02",
        ] {
            assert!(SedaDate::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn versions_parse_and_compare() {
        assert!(SedaVersion::V2_1 < SedaVersion::V2_3);
        assert_eq!("2.2".parse::<SedaVersion>().unwrap(), SedaVersion::V2_2);
        assert_eq!(
            "2.0".parse::<SedaVersion>().unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        assert!(SedaVersion::V2_2.between(SedaVersion::V2_2, SedaVersion::V2_3));
        assert!(!SedaVersion::V2_1.between(SedaVersion::V2_2, SedaVersion::V2_3));
    }
}
