//! Readers of The National Archives' XML files: the DROID signature file
//! (`FFSignatureFile`) and the DROID container-signature file (`ContainerSignatureMapping`).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::pattern::{self, Atom};
use crate::{Error, ErrorKind, Result};

/// Where a byte sequence is anchored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// From the beginning of the file.
    Bof,
    /// From the end of the file.
    Eof,
    /// Anywhere.
    Var,
}

/// A compiled byte sequence: a leading gap, then the subsequences (for `Eof`, reversed and in
/// order of distance from the end), each preceded by its own offset gap.
#[derive(Clone, Debug)]
pub(crate) struct Seq {
    pub anchor: Anchor,
    pub atoms: Vec<Atom>,
}

/// An internal signature: every sequence must match.
#[derive(Clone, Debug)]
pub(crate) struct RawSignature {
    pub id: u32,
    pub seqs: Vec<Seq>,
}

/// A format record.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawFormat {
    pub id: u32,
    pub puid: String,
    pub name: String,
    pub version: String,
    pub mimes: Vec<String>,
    pub extensions: Vec<String>,
    pub signature_ids: Vec<u32>,
    pub priority_over: Vec<u32>,
}

/// A parsed DROID signature file.
#[derive(Debug, Default)]
pub(crate) struct RawSignatureFile {
    pub version: String,
    pub signatures: Vec<RawSignature>,
    pub formats: Vec<RawFormat>,
}

/// The kind of container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ContainerKind {
    Zip,
    Ole2,
}

/// One file required inside a container, with optional signatures (any one must match).
#[derive(Clone, Debug)]
pub(crate) struct RawContainerFile {
    pub path: String,
    pub signatures: Vec<RawSignature>,
}

/// A container signature.
#[derive(Clone, Debug)]
pub(crate) struct RawContainerSig {
    pub id: u32,
    pub kind: ContainerKind,
    pub description: String,
    pub files: Vec<RawContainerFile>,
}

/// A parsed container-signature file.
#[derive(Debug, Default)]
pub(crate) struct RawContainerFileSet {
    pub version: String,
    pub signatures: Vec<RawContainerSig>,
    /// (container signature id, PUID)
    pub mappings: Vec<(u32, String)>,
    /// (kind, trigger PUID)
    pub triggers: Vec<(ContainerKind, String)>,
}

/// 1-based line and column of a byte position.
fn line_col(src: &str, pos: usize) -> (u64, u64) {
    let pos = pos.min(src.len());
    let before = &src.as_bytes()[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let col = (pos
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)) as u64
        + 1;
    (line, col)
}

struct Ctx<'a> {
    src: &'a str,
    what: &'static str,
}

impl Ctx<'_> {
    fn err(&self, pos: u64, msg: impl std::fmt::Display) -> Error {
        let (l, c) = line_col(self.src, pos as usize);
        Error::new(
            ErrorKind::InvalidInput,
            format!("{}: {msg} (line {l}, column {c})", self.what),
        )
        .at(l, c)
    }
}

fn attr(ctx: &Ctx, pos: u64, e: &BytesStart, name: &str) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a.map_err(|x| ctx.err(pos, format!("bad attribute: {x}")))?;
        if a.key.as_ref() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|x| ctx.err(pos, format!("bad attribute value: {x}")))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

fn num_attr<T: std::str::FromStr>(
    ctx: &Ctx,
    pos: u64,
    e: &BytesStart,
    name: &str,
) -> Result<Option<T>> {
    match attr(ctx, pos, e, name)? {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            ctx.err(
                pos,
                format!("attribute {name}={v:?} of <{}> is not a number", e.name().0),
            )
        }),
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// A subsequence being read.
#[derive(Default)]
struct SubSeqBuild {
    position: u32,
    min: usize,
    max: Option<usize>,
    seq: Option<Vec<Atom>>,
    /// (position, alternative atoms including their gap)
    left: Vec<(u32, Vec<Atom>)>,
    right: Vec<(u32, Vec<Atom>)>,
}

fn group(frags: Vec<(u32, Vec<Atom>)>) -> Vec<Atom> {
    let mut positions: Vec<u32> = frags.iter().map(|f| f.0).collect();
    positions.sort_unstable();
    positions.dedup();
    positions
        .into_iter()
        .map(|p| {
            let mut alts: Vec<Vec<Atom>> = frags
                .iter()
                .filter(|f| f.0 == p)
                .map(|f| f.1.clone())
                .collect();
            if alts.len() == 1 {
                Atom::Alt(vec![alts.remove(0)])
            } else {
                Atom::Alt(alts)
            }
        })
        .collect()
}

impl SubSeqBuild {
    /// Left-to-right atoms, preceded by the subsequence's offset gap.
    fn finish(self, anchor: Anchor) -> Vec<Atom> {
        let mut body: Vec<Atom> = Vec::new();
        // Left fragments: position 1 is next to the anchor sequence.
        let mut lefts = group(self.left);
        lefts.reverse();
        body.extend(lefts);
        body.extend(self.seq.unwrap_or_default());
        body.extend(group(self.right));
        let body = flatten_single_alts(body);
        let gap = Atom::Gap {
            min: self.min,
            max: self.max,
        };
        if anchor == Anchor::Eof {
            let mut v = vec![gap];
            v.extend(pattern::reverse_atoms(&body));
            v
        } else {
            let mut v = vec![gap];
            v.extend(body);
            v
        }
    }
}

fn flatten_single_alts(atoms: Vec<Atom>) -> Vec<Atom> {
    let mut out = Vec::with_capacity(atoms.len());
    for a in atoms {
        match a {
            Atom::Alt(mut alts) if alts.len() == 1 => out.extend(alts.remove(0)),
            other => out.push(other),
        }
    }
    out
}

/// State for reading `<InternalSignature>` elements (shared by both file kinds).
#[derive(Default)]
struct SigBuilder {
    sig: Option<RawSignature>,
    anchor: Option<Anchor>,
    subs: Vec<SubSeqBuild>,
    cur: Option<SubSeqBuild>,
    /// Fragment being read: (is_left, position, min, max)
    frag: Option<(bool, u32, usize, Option<usize>)>,
    in_sequence: bool,
    text: String,
}

impl SigBuilder {
    fn start(&mut self, ctx: &Ctx, pos: u64, e: &BytesStart, empty: bool) -> Result<bool> {
        let name = e.name();
        match local(name.0) {
            "InternalSignature" => {
                let id = num_attr(ctx, pos, e, "ID")?.unwrap_or(0);
                self.sig = Some(RawSignature {
                    id,
                    seqs: Vec::new(),
                });
                if empty {
                    return self.end(ctx, pos, "InternalSignature");
                }
            }
            "ByteSequence" if self.sig.is_some() => {
                let r = attr(ctx, pos, e, "Reference")?;
                self.anchor = Some(match r.as_deref().map(str::trim) {
                    Some("BOFoffset") => Anchor::Bof,
                    Some("EOFoffset") => Anchor::Eof,
                    None | Some("") | Some("Variable") | Some("IndirectBOFoffset") => Anchor::Var,
                    Some(other) => {
                        return Err(ctx.err(pos, format!("unknown Reference={other:?}")));
                    }
                });
                self.subs.clear();
                if empty {
                    return self.end(ctx, pos, "ByteSequence");
                }
            }
            "SubSequence" if self.anchor.is_some() => {
                self.cur = Some(SubSeqBuild {
                    position: num_attr(ctx, pos, e, "Position")?.unwrap_or(1),
                    min: num_attr(ctx, pos, e, "SubSeqMinOffset")?.unwrap_or(0),
                    max: num_attr(ctx, pos, e, "SubSeqMaxOffset")?,
                    ..Default::default()
                });
                if empty {
                    return self.end(ctx, pos, "SubSequence");
                }
            }
            "Sequence" if self.cur.is_some() => {
                self.in_sequence = true;
                self.text.clear();
                if empty {
                    return self.end(ctx, pos, "Sequence");
                }
            }
            n @ ("LeftFragment" | "RightFragment") if self.cur.is_some() => {
                let min = num_attr(ctx, pos, e, "MinOffset")?.unwrap_or(0);
                let max = num_attr(ctx, pos, e, "MaxOffset")?;
                self.frag = Some((
                    n == "LeftFragment",
                    num_attr(ctx, pos, e, "Position")?.unwrap_or(1),
                    min,
                    max,
                ));
                self.text.clear();
                if empty {
                    return self.end(ctx, pos, n);
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn text(&mut self, t: &str) {
        if self.in_sequence || self.frag.is_some() {
            self.text.push_str(t);
        }
    }

    /// Handles an end tag; returns whether it was ours.
    fn end(&mut self, ctx: &Ctx, pos: u64, name: &str) -> Result<bool> {
        match name {
            "Sequence" if self.in_sequence => {
                self.in_sequence = false;
                let atoms = pattern::parse(&self.text).map_err(|e| ctx.err(pos, e.0))?;
                if let Some(c) = self.cur.as_mut() {
                    c.seq = Some(atoms);
                }
            }
            "LeftFragment" | "RightFragment" if self.frag.is_some() => {
                let Some((left, p, min, max)) = self.frag.take() else {
                    return Ok(true);
                };
                let atoms = pattern::parse(&self.text).map_err(|e| ctx.err(pos, e.0))?;
                if atoms.is_empty() {
                    return Err(ctx.err(pos, format!("empty <{name}>")));
                }
                let gap = Atom::Gap {
                    min,
                    max: Some(max.unwrap_or(min).max(min)),
                };
                if let Some(c) = self.cur.as_mut() {
                    if left {
                        let mut v = atoms;
                        v.push(gap);
                        c.left.push((p, v));
                    } else {
                        let mut v = vec![gap];
                        v.extend(atoms);
                        c.right.push((p, v));
                    }
                }
            }
            "SubSequence" if self.cur.is_some() => {
                if let Some(c) = self.cur.take() {
                    if c.seq.is_none() {
                        return Err(ctx.err(pos, "<SubSequence> without <Sequence>"));
                    }
                    self.subs.push(c);
                }
            }
            "ByteSequence" if self.anchor.is_some() => {
                let anchor = self.anchor.take().unwrap_or(Anchor::Bof);
                let mut subs = std::mem::take(&mut self.subs);
                subs.sort_by_key(|s| s.position);
                if subs.is_empty() {
                    return Err(ctx.err(pos, "<ByteSequence> without <SubSequence>"));
                }
                let mut atoms = Vec::new();
                for (i, mut s) in subs.into_iter().enumerate() {
                    if anchor == Anchor::Var && i == 0 {
                        s.max = None;
                    }
                    atoms.extend(s.finish(anchor));
                }
                if let Some(sig) = self.sig.as_mut() {
                    sig.seqs.push(Seq { anchor, atoms });
                }
            }
            "InternalSignature" => {}
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn take_signature(&mut self) -> Option<RawSignature> {
        self.sig.take()
    }
}

fn read_events(
    src: &str,
    what: &'static str,
    mut on: impl FnMut(&Ctx, u64, Event) -> Result<()>,
) -> Result<()> {
    let ctx = Ctx { src, what };
    let mut reader = Reader::from_str(src);
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event().map_err(|e| {
            ctx.err(reader.error_position(), format!("malformed XML: {e}"))
                .with_source(e)
        })?;
        if matches!(ev, Event::Eof) {
            return Ok(());
        }
        on(&ctx, pos, ev)?;
    }
}

fn resolve_ref(ctx: &Ctx, pos: u64, r: &quick_xml::events::BytesRef) -> Result<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Ok(c.to_string());
    }
    Ok(match &**r {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        other => return Err(ctx.err(pos, format!("unknown entity &{other};"))),
    }
    .to_string())
}

/// Parses a DROID signature file.
pub(crate) fn parse_signature_file(src: &str) -> Result<RawSignatureFile> {
    let mut out = RawSignatureFile::default();
    let mut sb = SigBuilder::default();
    let mut fmt: Option<RawFormat> = None;
    let mut field: Option<&'static str> = None;
    let mut text = String::new();
    let mut depth = 0usize;
    let mut saw_root = false;
    read_events(src, "DROID signature file", |ctx, pos, ev| {
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.name();
                let lname = local(name.0);
                if depth == 0 {
                    if lname != "FFSignatureFile" {
                        return Err(ctx.err(
                            pos,
                            format!("root element is <{lname}>, expected <FFSignatureFile>"),
                        ));
                    }
                    saw_root = true;
                    out.version = attr(ctx, pos, e, "Version")?.unwrap_or_default();
                }
                if !empty {
                    depth += 1;
                }
                if sb.start(ctx, pos, e, empty)? {
                    if empty
                        && lname == "InternalSignature"
                        && let Some(s) = sb.take_signature()
                    {
                        out.signatures.push(s);
                    }
                    return Ok(());
                }
                match lname {
                    "FileFormat" => {
                        let mimes = attr(ctx, pos, e, "MIMEType")?.unwrap_or_default();
                        let f = RawFormat {
                            id: num_attr(ctx, pos, e, "ID")?
                                .ok_or_else(|| ctx.err(pos, "<FileFormat> without ID attribute"))?,
                            puid: attr(ctx, pos, e, "PUID")?.unwrap_or_default(),
                            name: attr(ctx, pos, e, "Name")?.unwrap_or_default(),
                            version: attr(ctx, pos, e, "Version")?.unwrap_or_default(),
                            mimes: mimes
                                .split(',')
                                .map(|m| m.trim().to_string())
                                .filter(|m| !m.is_empty())
                                .collect(),
                            ..Default::default()
                        };
                        if empty {
                            out.formats.push(f);
                        } else {
                            fmt = Some(f);
                        }
                    }
                    "InternalSignatureID" | "Extension" | "HasPriorityOverFileFormatID"
                        if fmt.is_some() =>
                    {
                        field = Some(match lname {
                            "InternalSignatureID" => "sig",
                            "Extension" => "ext",
                            _ => "prio",
                        });
                        text.clear();
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                sb.text(&t);
                if field.is_some() {
                    text.push_str(&t);
                }
            }
            Event::CData(t) => {
                let t: &str = &t;
                sb.text(t);
                if field.is_some() {
                    text.push_str(t);
                }
            }
            Event::GeneralRef(r) => {
                let s = resolve_ref(ctx, pos, &r)?;
                sb.text(&s);
                if field.is_some() {
                    text.push_str(&s);
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let name = e.name();
                let lname = local(name.0);
                if sb.end(ctx, pos, lname)? {
                    if lname == "InternalSignature"
                        && let Some(s) = sb.take_signature()
                    {
                        out.signatures.push(s);
                    }
                    return Ok(());
                }
                match lname {
                    "FileFormat" => {
                        if let Some(f) = fmt.take() {
                            out.formats.push(f);
                        }
                    }
                    "InternalSignatureID" | "Extension" | "HasPriorityOverFileFormatID" => {
                        if let (Some(k), Some(f)) = (field.take(), fmt.as_mut()) {
                            let v = text.trim();
                            match k {
                                "ext" => {
                                    if !v.is_empty() {
                                        f.extensions.push(v.to_ascii_lowercase());
                                    }
                                }
                                _ => {
                                    let n: u32 = v.parse().map_err(|_| {
                                        ctx.err(pos, format!("<{lname}> {v:?} is not a number"))
                                    })?;
                                    if k == "sig" {
                                        f.signature_ids.push(n);
                                    } else {
                                        f.priority_over.push(n);
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    if !saw_root {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "DROID signature file: no <FFSignatureFile> root element (empty or not XML)",
        ));
    }
    if depth != 0 {
        let (l, c) = line_col(src, src.len());
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("DROID signature file: truncated document (line {l})"),
        )
        .at(l, c));
    }
    Ok(out)
}

/// Parses a DROID container-signature file.
pub(crate) fn parse_container_file(src: &str) -> Result<RawContainerFileSet> {
    let mut out = RawContainerFileSet::default();
    let mut sb = SigBuilder::default();
    let mut cur: Option<RawContainerSig> = None;
    let mut file: Option<RawContainerFile> = None;
    let mut text = String::new();
    let mut in_text: Option<&'static str> = None;
    let mut depth = 0usize;
    let mut saw_root = false;
    read_events(src, "container signature file", |ctx, pos, ev| {
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.name();
                let lname = local(name.0);
                if depth == 0 {
                    if lname != "ContainerSignatureMapping" {
                        return Err(ctx.err(
                            pos,
                            format!(
                                "root element is <{lname}>, expected <ContainerSignatureMapping>"
                            ),
                        ));
                    }
                    saw_root = true;
                    out.version = attr(ctx, pos, e, "signatureVersion")?.unwrap_or_default();
                }
                if !empty {
                    depth += 1;
                }
                if file.is_some() && sb.start(ctx, pos, e, empty)? {
                    return Ok(());
                }
                let kind = |ctx: &Ctx, e: &BytesStart| -> Result<ContainerKind> {
                    match attr(ctx, pos, e, "ContainerType")?.as_deref() {
                        Some("ZIP") => Ok(ContainerKind::Zip),
                        Some("OLE2") => Ok(ContainerKind::Ole2),
                        other => Err(ctx.err(pos, format!("unknown ContainerType {other:?}"))),
                    }
                };
                match lname {
                    "ContainerSignature" => {
                        cur = Some(RawContainerSig {
                            id: num_attr(ctx, pos, e, "Id")?
                                .ok_or_else(|| ctx.err(pos, "<ContainerSignature> without Id"))?,
                            kind: kind(ctx, e)?,
                            description: String::new(),
                            files: Vec::new(),
                        });
                    }
                    "File" if cur.is_some() => {
                        file = Some(RawContainerFile {
                            path: String::new(),
                            signatures: Vec::new(),
                        });
                    }
                    "Path" if file.is_some() => {
                        in_text = Some("path");
                        text.clear();
                    }
                    "Description" if cur.is_some() => {
                        in_text = Some("desc");
                        text.clear();
                    }
                    "FileFormatMapping" => {
                        let id = num_attr(ctx, pos, e, "signatureId")?.ok_or_else(|| {
                            ctx.err(pos, "<FileFormatMapping> without signatureId")
                        })?;
                        let puid = attr(ctx, pos, e, "Puid")?
                            .ok_or_else(|| ctx.err(pos, "<FileFormatMapping> without Puid"))?;
                        out.mappings.push((id, puid));
                    }
                    "TriggerPuid" => {
                        let puid = attr(ctx, pos, e, "Puid")?
                            .ok_or_else(|| ctx.err(pos, "<TriggerPuid> without Puid"))?;
                        out.triggers.push((kind(ctx, e)?, puid));
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                sb.text(&t);
                if in_text.is_some() {
                    text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let s = resolve_ref(ctx, pos, &r)?;
                sb.text(&s);
                if in_text.is_some() {
                    text.push_str(&s);
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let name = e.name();
                let lname = local(name.0);
                if file.is_some() && sb.end(ctx, pos, lname)? {
                    if lname == "InternalSignature"
                        && let (Some(s), Some(f)) = (sb.take_signature(), file.as_mut())
                    {
                        f.signatures.push(s);
                    }
                    return Ok(());
                }
                match lname {
                    "Path" | "Description" => match in_text.take() {
                        Some("path") => {
                            if let Some(f) = file.as_mut() {
                                f.path = text.trim().to_string();
                            }
                        }
                        Some(_) => {
                            if let Some(c) = cur.as_mut() {
                                c.description = text.trim().to_string();
                            }
                        }
                        None => {}
                    },
                    "File" => {
                        if let (Some(f), Some(c)) = (file.take(), cur.as_mut()) {
                            if f.path.is_empty() {
                                return Err(ctx.err(pos, "container <File> without <Path>"));
                            }
                            c.files.push(f);
                        }
                    }
                    "ContainerSignature" => {
                        if let Some(c) = cur.take() {
                            out.signatures.push(c);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    if !saw_root {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "container signature file: no <ContainerSignatureMapping> root element",
        ));
    }
    if depth != 0 {
        let (l, c) = line_col(src, src.len());
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("container signature file: truncated document (line {l})"),
        )
        .at(l, c));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_columns() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 0), (1, 1));
    }

    #[test]
    fn minimal_file() {
        let x = r#"<?xml version="1.0"?>
<FFSignatureFile Version="1" xmlns="http://www.nationalarchives.gov.uk/pronom/SignatureFile">
 <InternalSignatureCollection>
  <InternalSignature ID="1" Specificity="Specific">
   <ByteSequence Reference="BOFoffset">
    <SubSequence Position="1" SubSeqMinOffset="0" SubSeqMaxOffset="0">
     <Sequence>474946</Sequence>
     <LeftFragment MinOffset="0" MaxOffset="0" Position="1">[!&amp;01]</LeftFragment>
    </SubSequence>
   </ByteSequence>
  </InternalSignature>
 </InternalSignatureCollection>
 <FileFormatCollection>
  <FileFormat ID="7" Name="X" PUID="fmt/x" MIMEType="a/b, c/d" Version="1">
   <InternalSignatureID>1</InternalSignatureID>
   <Extension>GIF</Extension>
   <HasPriorityOverFileFormatID>9</HasPriorityOverFileFormatID>
  </FileFormat>
 </FileFormatCollection>
</FFSignatureFile>"#;
        let f = parse_signature_file(x).unwrap();
        assert_eq!(f.version, "1");
        assert_eq!(f.signatures.len(), 1);
        assert_eq!(f.signatures[0].seqs.len(), 1);
        assert_eq!(f.formats[0].mimes, vec!["a/b", "c/d"]);
        assert_eq!(f.formats[0].extensions, vec!["gif"]);
        assert_eq!(f.formats[0].priority_over, vec![9]);
    }

    #[test]
    fn malformed_has_line() {
        let x = "<FFSignatureFile>\n<InternalSignatureCollection>\n<InternalSignature ID=\"1\">\n<ByteSequence Reference=\"BOFoffset\"><SubSequence Position=\"1\"><Sequence>4G</Sequence></SubSequence></ByteSequence></InternalSignature></InternalSignatureCollection></FFSignatureFile>";
        let e = parse_signature_file(x).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.message().contains("line 4"), "{}", e.message());
        let e = parse_signature_file("").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = parse_signature_file("<a><b></a>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = parse_signature_file("<FFSignatureFile><x>").unwrap_err();
        assert!(e.message().contains("truncated"), "{}", e.message());
    }
}
