//! A small, fast XML tokenizer shared by [`XmlReader`](super::XmlReader) (whole
//! documents in memory) and the schema validator (streaming, over a refilled buffer).
//!
//! It splits a byte buffer into tokens described by offsets (no allocation, no copy),
//! with `memchr` scans, and checks the well-formedness rules a tokenizer can check:
//! tag and markup syntax, comments without `--`, attribute syntax (quoted values, no
//! `<` in values, `=` present, separated attributes), character and predefined entity
//! references. Matching end tags, namespaces and the document structure are the
//! caller's job (it knows its element stack).
//!
//! In streaming use the caller passes `eof = false` while more input may come: a token
//! that runs past the end of the buffer is then [`LexErr::Incomplete`] and the caller
//! refills the buffer and retries from the same offset.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memchr3, memmem};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `<name attrs>`: name is `start+1..a`, attributes `a..b`.
    Start,
    /// `<name attrs/>`: like `Start`.
    Empty,
    /// `</name>`: name is `start+2..a`.
    End,
    /// Character data `start..end` (raw: references not resolved).
    Text,
    /// `<![CDATA[…]]>`: content `a..b`.
    CData,
    /// `<!--…-->`: content `a..b`.
    Comment,
    /// `<?…?>`: content `a..b` (target and data).
    Pi,
    /// `<?xml …?>`: content `a..b` (after `<?`).
    Decl,
    /// `<!DOCTYPE`: only its start is reported (callers refuse DTDs).
    DocType,
    /// End of input (only with `eof = true`).
    Eof,
}

/// One token: its kind and offsets into the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok {
    pub kind: Kind,
    /// Offset of the first byte (`<` or the first text byte).
    pub start: usize,
    /// Offset just past the token.
    pub end: usize,
    /// Kind-dependent offset (see [`Kind`]).
    pub a: usize,
    /// Kind-dependent offset (see [`Kind`]).
    pub b: usize,
}

/// Why no token was produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LexErr {
    /// The token runs past the end of the buffer and more input may come.
    Incomplete,
    /// Not well-formed at offset `at`.
    Bad { at: usize, msg: &'static str },
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

#[inline]
fn bad(at: usize, msg: &'static str) -> LexErr {
    LexErr::Bad { at, msg }
}

/// Classes of the bytes of a start tag's name: `0` continues the name, `1` ends it
/// (whitespace, `/`, `>`), `2` is not allowed there (`<`, `"`, `'`, `=`).
static NAME_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = 1;
    t[b'\t' as usize] = 1;
    t[b'\n' as usize] = 1;
    t[b'\r' as usize] = 1;
    t[b'/' as usize] = 1;
    t[b'>' as usize] = 1;
    t[b'<' as usize] = 2;
    t[b'"' as usize] = 2;
    t[b'\'' as usize] = 2;
    t[b'=' as usize] = 2;
    t
};

/// Reads the token at `pos`. `eof` tells whether `buf` holds the rest of the input.
pub(crate) fn next(buf: &[u8], pos: usize, eof: bool) -> Result<Tok, LexErr> {
    let more = |at: usize, msg: &'static str| {
        if eof {
            bad(at, msg)
        } else {
            LexErr::Incomplete
        }
    };
    if pos >= buf.len() {
        if eof {
            return Ok(Tok {
                kind: Kind::Eof,
                start: pos,
                end: pos,
                a: pos,
                b: pos,
            });
        }
        return Err(LexErr::Incomplete);
    }
    if buf[pos] != b'<' {
        let end = match memchr(b'<', &buf[pos..]) {
            Some(i) => pos + i,
            None if eof => buf.len(),
            None => return Err(LexErr::Incomplete),
        };
        return Ok(Tok {
            kind: Kind::Text,
            start: pos,
            end,
            a: pos,
            b: end,
        });
    }
    let Some(&c) = buf.get(pos + 1) else {
        return Err(more(pos, "unexpected end of input after '<'"));
    };
    match c {
        b'/' => {
            let Some(gt) = memchr(b'>', &buf[pos + 2..]).map(|i| pos + 2 + i) else {
                return Err(more(pos, "unclosed end tag"));
            };
            let mut ne = gt;
            while ne > pos + 2 && is_ws(buf[ne - 1]) {
                ne -= 1;
            }
            let name = &buf[pos + 2..ne];
            if name.is_empty() || name.iter().any(|&b| is_ws(b) || b == b'<') {
                return Err(bad(pos, "malformed end tag"));
            }
            Ok(Tok {
                kind: Kind::End,
                start: pos,
                end: gt + 1,
                a: ne,
                b: ne,
            })
        }
        b'!' => {
            let rest = &buf[pos..];
            if rest.starts_with(b"<!--") {
                let from = pos + 4;
                let Some(i) = memmem::find(&buf[from..], b"-->") else {
                    return Err(more(pos, "unclosed comment"));
                };
                let content = &buf[from..from + i];
                if memmem::find(content, b"--").is_some() || content.last() == Some(&b'-') {
                    return Err(bad(pos, "'--' is not allowed inside a comment"));
                }
                Ok(Tok {
                    kind: Kind::Comment,
                    start: pos,
                    end: from + i + 3,
                    a: from,
                    b: from + i,
                })
            } else if rest.starts_with(b"<![CDATA[") {
                let from = pos + 9;
                let Some(i) = memmem::find(&buf[from..], b"]]>") else {
                    return Err(more(pos, "unclosed CDATA section"));
                };
                Ok(Tok {
                    kind: Kind::CData,
                    start: pos,
                    end: from + i + 3,
                    a: from,
                    b: from + i,
                })
            } else if rest.starts_with(b"<!DOCTYPE") {
                Ok(Tok {
                    kind: Kind::DocType,
                    start: pos,
                    end: pos + 9,
                    a: pos,
                    b: pos,
                })
            } else if rest.len() < 9
                && (b"<!DOCTYPE".starts_with(rest)
                    || b"<![CDATA[".starts_with(rest)
                    || b"<!--".starts_with(rest))
            {
                Err(more(pos, "unexpected end of input in markup"))
            } else {
                Err(bad(pos, "unknown markup declaration after '<!'"))
            }
        }
        b'?' => {
            let from = pos + 2;
            let Some(i) = memmem::find(&buf[from..], b"?>") else {
                return Err(more(pos, "unclosed processing instruction"));
            };
            let content = &buf[from..from + i];
            let tlen = content
                .iter()
                .position(|&b| is_ws(b))
                .unwrap_or(content.len());
            if tlen == 0 {
                return Err(bad(pos, "processing instruction without a target"));
            }
            let kind = if &content[..tlen] == b"xml" {
                Kind::Decl
            } else {
                Kind::Pi
            };
            Ok(Tok {
                kind,
                start: pos,
                end: from + i + 2,
                a: from,
                b: from + i,
            })
        }
        _ => {
            // Start tag: the name, then everything up to the '>' outside quotes.
            let from = pos + 1;
            let mut ne = from;
            // One table look-up per name byte: ends the name, is not allowed, or continues it.
            while ne < buf.len() {
                match NAME_BYTE[buf[ne] as usize] {
                    0 => ne += 1,
                    1 => break,
                    _ => return Err(bad(pos, "malformed start tag")),
                }
            }
            if ne == from {
                return Err(bad(pos, "a tag must start with a name after '<'"));
            }
            // `<Name>`, the most common tag: no attribute region to search.
            if buf.get(ne) == Some(&b'>') {
                return Ok(Tok {
                    kind: Kind::Start,
                    start: pos,
                    end: ne + 1,
                    a: ne,
                    b: ne,
                });
            }
            let mut i = ne;
            let gt = loop {
                match memchr3(b'>', b'"', b'\'', &buf[i..]) {
                    None => return Err(more(pos, "unclosed start tag")),
                    Some(k) => {
                        let at = i + k;
                        let q = buf[at];
                        if q == b'>' {
                            break at;
                        }
                        match memchr(q, &buf[at + 1..]) {
                            Some(k2) => i = at + 1 + k2 + 1,
                            None => return Err(more(pos, "unclosed attribute value")),
                        }
                    }
                }
            };
            let empty = gt > ne && buf[gt - 1] == b'/';
            let b = if empty { gt - 1 } else { gt };
            Ok(Tok {
                kind: if empty { Kind::Empty } else { Kind::Start },
                start: pos,
                end: gt + 1,
                a: ne,
                b,
            })
        }
    }
}

/// Iterates over the attributes of a start tag's attribute region: `(qname, raw value)`.
pub(crate) struct Attrs<'a> {
    s: &'a str,
    i: usize,
}

/// The attributes of the region `s` (the text between a tag's name and its `>`/`/>`).
pub(crate) fn attrs(s: &str) -> Attrs<'_> {
    Attrs { s, i: 0 }
}

impl<'a> Iterator for Attrs<'a> {
    /// `Ok((qualified name, raw value))`, or `Err((offset in the region, reason))`.
    type Item = Result<(&'a str, &'a str), (usize, &'static str)>;

    fn next(&mut self) -> Option<Self::Item> {
        let b = self.s.as_bytes();
        let n = b.len();
        let mut i = self.i;
        let had_ws = i == 0 || i < n && is_ws(b[i]);
        while i < n && is_ws(b[i]) {
            i += 1;
        }
        if i >= n {
            self.i = n;
            return None;
        }
        // A failed item ends the iteration.
        self.i = n;
        if !had_ws {
            return Some(Err((i, "attributes must be separated by whitespace")));
        }
        let ns = i;
        while i < n && !is_ws(b[i]) && b[i] != b'=' {
            if matches!(b[i], b'"' | b'\'' | b'<' | b'>' | b'/') {
                return Some(Err((i, "malformed attribute name")));
            }
            i += 1;
        }
        let name = &self.s[ns..i];
        if name.is_empty() {
            return Some(Err((i, "attribute without a name")));
        }
        while i < n && is_ws(b[i]) {
            i += 1;
        }
        if i >= n || b[i] != b'=' {
            return Some(Err((i, "attribute without a value ('=' expected)")));
        }
        i += 1;
        while i < n && is_ws(b[i]) {
            i += 1;
        }
        if i >= n || (b[i] != b'"' && b[i] != b'\'') {
            return Some(Err((i, "attribute value must be quoted")));
        }
        let q = b[i];
        let vs = i + 1;
        let Some(k) = memchr(q, &b[vs..]) else {
            return Some(Err((i, "unclosed attribute value")));
        };
        let value = &self.s[vs..vs + k];
        if memchr(b'<', value.as_bytes()).is_some() {
            return Some(Err((vs, "'<' is not allowed in an attribute value")));
        }
        self.i = vs + k + 1;
        Some(Ok((name, value)))
    }
}

/// Byte-slice equality without a call to `memcmp` (names and namespace URIs are short;
/// on the reference machine the libc call dominated the cost of parsing).
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        let x = u64::from_ne_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]);
        let y = u64::from_ne_bytes([y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]]);
        if x != y {
            return false;
        }
    }
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut d = 0u8;
    for i in 0..ra.len() {
        d |= ra[i] ^ rb[i];
    }
    d == 0
}

/// The number of line feeds in `b` and the offset just past the last one (`0` when there
/// is none). Eight bytes at a time with an exact per-byte zero test (no carry between
/// bytes), so short spans (the text between two start tags) cost no library call.
#[inline]
pub(crate) fn newlines(b: &[u8]) -> (u32, usize) {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut n = 0u32;
    let mut last = 0usize;
    let mut words = b.chunks_exact(8);
    let mut base = 0;
    for w in &mut words {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ NL;
        // The high bit of a byte is set iff that byte of `x` is zero (a line feed).
        let z = !((x & LO7).wrapping_add(LO7) | x | LO7);
        if z != 0 {
            n += z.count_ones();
            last = base + (63 - z.leading_zeros() as usize) / 8 + 1;
        }
        base += 8;
    }
    for (i, &c) in words.remainder().iter().enumerate() {
        if c == b'\n' {
            n += 1;
            last = base + i + 1;
        }
    }
    (n, last)
}

/// Whether an attribute region contains `xmlns` (a namespace declaration may be there).
/// Cheaper than a substring search on the short regions of most tags.
#[inline]
pub(crate) fn has_xmlns(b: &[u8]) -> bool {
    memchr::memchr_iter(b'x', b).any(|i| b[i..].starts_with(b"xmlns"))
}

/// Resolves a reference body (between `&` and `;`).
fn resolve_ref(name: &str) -> Result<char, Cow<'static, str>> {
    match name {
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "amp" => return Ok('&'),
        "apos" => return Ok('\''),
        "quot" => return Ok('"'),
        _ => {}
    }
    let code = if let Some(h) = name.strip_prefix("#x") {
        u32::from_str_radix(h, 16)
            .ok()
            .filter(|_| !h.starts_with('+'))
    } else if let Some(d) = name.strip_prefix('#') {
        d.parse::<u32>().ok().filter(|_| !d.starts_with('+'))
    } else {
        return Err(format!("undefined entity `&{name};` (entities are never expanded)").into());
    };
    let ok = |c: u32| matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
    match code.filter(|c| ok(*c)).and_then(char::from_u32) {
        Some(c) => Ok(c),
        None => Err(format!("bad character reference `&{name};`").into()),
    }
}

/// Unescapes character data: resolves references and normalises line ends (`\r\n` and
/// `\r` become `\n`). With `attr`, also applies attribute-value normalisation (literal
/// tab, newline and carriage return become spaces; references are not normalised).
/// `Err((offset in raw, reason))`.
pub(crate) fn unescape(raw: &str, attr: bool) -> Result<Cow<'_, str>, (usize, Cow<'static, str>)> {
    let b = raw.as_bytes();
    let first = if attr {
        b.iter()
            .position(|&c| matches!(c, b'&' | b'\r' | b'\n' | b'\t'))
    } else {
        memchr2(b'&', b'\r', b)
    };
    let Some(first) = first else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut i = first;
    let mut run = first;
    while i < b.len() {
        let c = b[i];
        match c {
            b'&' => {
                out.push_str(&raw[run..i]);
                let Some(k) = memchr(b';', &b[i + 1..]) else {
                    return Err((i, "'&' not followed by a reference ending in ';'".into()));
                };
                let name = &raw[i + 1..i + 1 + k];
                match resolve_ref(name) {
                    Ok(ch) => out.push(ch),
                    Err(e) => return Err((i, e)),
                }
                i += k + 2;
                run = i;
            }
            b'\r' => {
                out.push_str(&raw[run..i]);
                out.push(if attr { ' ' } else { '\n' });
                i += 1;
                if b.get(i) == Some(&b'\n') {
                    i += 1;
                }
                run = i;
            }
            b'\n' | b'\t' if attr => {
                out.push_str(&raw[run..i]);
                out.push(' ');
                i += 1;
                run = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&raw[run..]);
    Ok(Cow::Owned(out))
}

/// XML 1.0 (5th edition) NameStartChar.
pub(crate) fn is_name_start(c: char, colon: bool) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
        || (colon && c == ':')
}

/// XML 1.0 (5th edition) NameChar (with ':').
pub(crate) fn is_name_char(c: char) -> bool {
    is_name_start(c, true)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// ASCII classes for [`is_name`]: bit 0 = `NameChar` without the colon, bit 1 =
/// `NameStartChar` without the colon; 0 for the colon and any non-ASCII byte.
static NAME_ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() || b == b'_' {
            3
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            1
        } else {
            0
        };
        c += 1;
    }
    t
};

/// The usual identifier (`AU-12`, `GOT-3-4`): ASCII name characters without a colon, one
/// table look-up per byte and no branch. The ASCII name characters are the same in every
/// edition of XML 1.0; `false` sends the value to the general check.
#[inline]
fn is_ascii_ncname(b: &[u8]) -> bool {
    b.first()
        .is_some_and(|&first| NAME_ASCII_CLASS[first as usize] & 2 != 0)
        && b.iter()
            .fold(1u8, |acc, &c| acc & NAME_ASCII_CLASS[c as usize])
            == 1
}

/// Whether `v` is an XML Name (`colon`) or NCName.
pub(crate) fn is_name(v: &str, colon: bool) -> bool {
    is_ascii_ncname(v.as_bytes()) || is_name_chars(v, colon)
}

/// [`is_name`] character by character (any name; the reference for the fast path).
fn is_name_chars(v: &str, colon: bool) -> bool {
    name_by(v, colon, is_name_start, is_name_char)
}

/// A name (`colon`) or NCName, character by character, with an edition's start and name
/// characters.
#[inline]
fn name_by(
    v: &str,
    colon: bool,
    start: impl Fn(char, bool) -> bool,
    name_char: impl Fn(char) -> bool,
) -> bool {
    let mut it = v.chars();
    match it.next() {
        Some(c) if start(c, colon) => it.all(|c| (colon || c != ':') && name_char(c)),
        _ => false,
    }
}

/// `NCName` or `NCName:NCName`, with `ncname` deciding what an NCName is.
#[inline]
fn qname_by(s: &str, ncname: impl Fn(&str) -> bool) -> bool {
    ncname(s) || matches!(s.split_once(':'), Some((p, l)) if ncname(p) && ncname(l))
}

/// Whether `s` is a name allowed by XML Namespaces (`NCName` or `NCName:NCName`): the
/// names of elements and attributes, and the lexical space of `xs:QName`. An unprefixed
/// ASCII name (every element name of a SEDA manifest) takes [`is_name`]'s one pass.
#[inline]
pub(crate) fn is_qname(s: &str) -> bool {
    qname_by(s, |n| is_name(n, false))
}

// XSD 1.0's names. The parser above takes names with the Fifth Edition's characters (as
// libxml2's parser does). XSD 1.0 Part 2 defines its name datatypes (`Name`, `NCName`,
// `ID`, `IDREF(S)`, `ENTITY`, `NMTOKEN(S)`, `QName`) and its regular expressions' `\i` and
// `\c` by XML 1.0 *Second* Edition, whose Appendix B lists the characters: fewer letters
// (Unicode 2.0's), nothing beyond the BMP, no U+FEFF. Xerces (the JDK's validator, which
// Vitam runs) and libxml2's schema validator both check these, so a value such as an `ID`
// with U+0372 or U+10400 is refused by both, and by vas.

/// `Letter` (`BaseChar | Ideographic`), XML 1.0 Second Edition, Appendix B: sorted, disjoint.
#[rustfmt::skip]
const LETTER_2E: &[(u16, u16)] = &[
    (0x0041, 0x005A), (0x0061, 0x007A), (0x00C0, 0x00D6), (0x00D8, 0x00F6), (0x00F8, 0x0131),
    (0x0134, 0x013E), (0x0141, 0x0148), (0x014A, 0x017E), (0x0180, 0x01C3), (0x01CD, 0x01F0),
    (0x01F4, 0x01F5), (0x01FA, 0x0217), (0x0250, 0x02A8), (0x02BB, 0x02C1), (0x0386, 0x0386),
    (0x0388, 0x038A), (0x038C, 0x038C), (0x038E, 0x03A1), (0x03A3, 0x03CE), (0x03D0, 0x03D6),
    (0x03DA, 0x03DA), (0x03DC, 0x03DC), (0x03DE, 0x03DE), (0x03E0, 0x03E0), (0x03E2, 0x03F3),
    (0x0401, 0x040C), (0x040E, 0x044F), (0x0451, 0x045C), (0x045E, 0x0481), (0x0490, 0x04C4),
    (0x04C7, 0x04C8), (0x04CB, 0x04CC), (0x04D0, 0x04EB), (0x04EE, 0x04F5), (0x04F8, 0x04F9),
    (0x0531, 0x0556), (0x0559, 0x0559), (0x0561, 0x0586), (0x05D0, 0x05EA), (0x05F0, 0x05F2),
    (0x0621, 0x063A), (0x0641, 0x064A), (0x0671, 0x06B7), (0x06BA, 0x06BE), (0x06C0, 0x06CE),
    (0x06D0, 0x06D3), (0x06D5, 0x06D5), (0x06E5, 0x06E6), (0x0905, 0x0939), (0x093D, 0x093D),
    (0x0958, 0x0961), (0x0985, 0x098C), (0x098F, 0x0990), (0x0993, 0x09A8), (0x09AA, 0x09B0),
    (0x09B2, 0x09B2), (0x09B6, 0x09B9), (0x09DC, 0x09DD), (0x09DF, 0x09E1), (0x09F0, 0x09F1),
    (0x0A05, 0x0A0A), (0x0A0F, 0x0A10), (0x0A13, 0x0A28), (0x0A2A, 0x0A30), (0x0A32, 0x0A33),
    (0x0A35, 0x0A36), (0x0A38, 0x0A39), (0x0A59, 0x0A5C), (0x0A5E, 0x0A5E), (0x0A72, 0x0A74),
    (0x0A85, 0x0A8B), (0x0A8D, 0x0A8D), (0x0A8F, 0x0A91), (0x0A93, 0x0AA8), (0x0AAA, 0x0AB0),
    (0x0AB2, 0x0AB3), (0x0AB5, 0x0AB9), (0x0ABD, 0x0ABD), (0x0AE0, 0x0AE0), (0x0B05, 0x0B0C),
    (0x0B0F, 0x0B10), (0x0B13, 0x0B28), (0x0B2A, 0x0B30), (0x0B32, 0x0B33), (0x0B36, 0x0B39),
    (0x0B3D, 0x0B3D), (0x0B5C, 0x0B5D), (0x0B5F, 0x0B61), (0x0B85, 0x0B8A), (0x0B8E, 0x0B90),
    (0x0B92, 0x0B95), (0x0B99, 0x0B9A), (0x0B9C, 0x0B9C), (0x0B9E, 0x0B9F), (0x0BA3, 0x0BA4),
    (0x0BA8, 0x0BAA), (0x0BAE, 0x0BB5), (0x0BB7, 0x0BB9), (0x0C05, 0x0C0C), (0x0C0E, 0x0C10),
    (0x0C12, 0x0C28), (0x0C2A, 0x0C33), (0x0C35, 0x0C39), (0x0C60, 0x0C61), (0x0C85, 0x0C8C),
    (0x0C8E, 0x0C90), (0x0C92, 0x0CA8), (0x0CAA, 0x0CB3), (0x0CB5, 0x0CB9), (0x0CDE, 0x0CDE),
    (0x0CE0, 0x0CE1), (0x0D05, 0x0D0C), (0x0D0E, 0x0D10), (0x0D12, 0x0D28), (0x0D2A, 0x0D39),
    (0x0D60, 0x0D61), (0x0E01, 0x0E2E), (0x0E30, 0x0E30), (0x0E32, 0x0E33), (0x0E40, 0x0E45),
    (0x0E81, 0x0E82), (0x0E84, 0x0E84), (0x0E87, 0x0E88), (0x0E8A, 0x0E8A), (0x0E8D, 0x0E8D),
    (0x0E94, 0x0E97), (0x0E99, 0x0E9F), (0x0EA1, 0x0EA3), (0x0EA5, 0x0EA5), (0x0EA7, 0x0EA7),
    (0x0EAA, 0x0EAB), (0x0EAD, 0x0EAE), (0x0EB0, 0x0EB0), (0x0EB2, 0x0EB3), (0x0EBD, 0x0EBD),
    (0x0EC0, 0x0EC4), (0x0F40, 0x0F47), (0x0F49, 0x0F69), (0x10A0, 0x10C5), (0x10D0, 0x10F6),
    (0x1100, 0x1100), (0x1102, 0x1103), (0x1105, 0x1107), (0x1109, 0x1109), (0x110B, 0x110C),
    (0x110E, 0x1112), (0x113C, 0x113C), (0x113E, 0x113E), (0x1140, 0x1140), (0x114C, 0x114C),
    (0x114E, 0x114E), (0x1150, 0x1150), (0x1154, 0x1155), (0x1159, 0x1159), (0x115F, 0x1161),
    (0x1163, 0x1163), (0x1165, 0x1165), (0x1167, 0x1167), (0x1169, 0x1169), (0x116D, 0x116E),
    (0x1172, 0x1173), (0x1175, 0x1175), (0x119E, 0x119E), (0x11A8, 0x11A8), (0x11AB, 0x11AB),
    (0x11AE, 0x11AF), (0x11B7, 0x11B8), (0x11BA, 0x11BA), (0x11BC, 0x11C2), (0x11EB, 0x11EB),
    (0x11F0, 0x11F0), (0x11F9, 0x11F9), (0x1E00, 0x1E9B), (0x1EA0, 0x1EF9), (0x1F00, 0x1F15),
    (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57), (0x1F59, 0x1F59),
    (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC),
    (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3), (0x1FD6, 0x1FDB),
    (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2126, 0x2126), (0x212A, 0x212B),
    (0x212E, 0x212E), (0x2180, 0x2182), (0x3007, 0x3007), (0x3021, 0x3029), (0x3041, 0x3094),
    (0x30A1, 0x30FA), (0x3105, 0x312C), (0x4E00, 0x9FA5), (0xAC00, 0xD7A3),
];

/// The other `NameChar`s of the same edition (`Digit | CombiningChar | Extender | '.' | '-'`;
/// `_` and `:` are tested apart): sorted, disjoint, and disjoint from [`LETTER_2E`].
#[rustfmt::skip]
const NAME_OTHER_2E: &[(u16, u16)] = &[
    (0x002D, 0x002E), (0x0030, 0x0039), (0x00B7, 0x00B7), (0x02D0, 0x02D1), (0x0300, 0x0345),
    (0x0360, 0x0361), (0x0387, 0x0387), (0x0483, 0x0486), (0x0591, 0x05A1), (0x05A3, 0x05B9),
    (0x05BB, 0x05BD), (0x05BF, 0x05BF), (0x05C1, 0x05C2), (0x05C4, 0x05C4), (0x0640, 0x0640),
    (0x064B, 0x0652), (0x0660, 0x0669), (0x0670, 0x0670), (0x06D6, 0x06E4), (0x06E7, 0x06E8),
    (0x06EA, 0x06ED), (0x06F0, 0x06F9), (0x0901, 0x0903), (0x093C, 0x093C), (0x093E, 0x094D),
    (0x0951, 0x0954), (0x0962, 0x0963), (0x0966, 0x096F), (0x0981, 0x0983), (0x09BC, 0x09BC),
    (0x09BE, 0x09C4), (0x09C7, 0x09C8), (0x09CB, 0x09CD), (0x09D7, 0x09D7), (0x09E2, 0x09E3),
    (0x09E6, 0x09EF), (0x0A02, 0x0A02), (0x0A3C, 0x0A3C), (0x0A3E, 0x0A42), (0x0A47, 0x0A48),
    (0x0A4B, 0x0A4D), (0x0A66, 0x0A71), (0x0A81, 0x0A83), (0x0ABC, 0x0ABC), (0x0ABE, 0x0AC5),
    (0x0AC7, 0x0AC9), (0x0ACB, 0x0ACD), (0x0AE6, 0x0AEF), (0x0B01, 0x0B03), (0x0B3C, 0x0B3C),
    (0x0B3E, 0x0B43), (0x0B47, 0x0B48), (0x0B4B, 0x0B4D), (0x0B56, 0x0B57), (0x0B66, 0x0B6F),
    (0x0B82, 0x0B83), (0x0BBE, 0x0BC2), (0x0BC6, 0x0BC8), (0x0BCA, 0x0BCD), (0x0BD7, 0x0BD7),
    (0x0BE7, 0x0BEF), (0x0C01, 0x0C03), (0x0C3E, 0x0C44), (0x0C46, 0x0C48), (0x0C4A, 0x0C4D),
    (0x0C55, 0x0C56), (0x0C66, 0x0C6F), (0x0C82, 0x0C83), (0x0CBE, 0x0CC4), (0x0CC6, 0x0CC8),
    (0x0CCA, 0x0CCD), (0x0CD5, 0x0CD6), (0x0CE6, 0x0CEF), (0x0D02, 0x0D03), (0x0D3E, 0x0D43),
    (0x0D46, 0x0D48), (0x0D4A, 0x0D4D), (0x0D57, 0x0D57), (0x0D66, 0x0D6F), (0x0E31, 0x0E31),
    (0x0E34, 0x0E3A), (0x0E46, 0x0E4E), (0x0E50, 0x0E59), (0x0EB1, 0x0EB1), (0x0EB4, 0x0EB9),
    (0x0EBB, 0x0EBC), (0x0EC6, 0x0EC6), (0x0EC8, 0x0ECD), (0x0ED0, 0x0ED9), (0x0F18, 0x0F19),
    (0x0F20, 0x0F29), (0x0F35, 0x0F35), (0x0F37, 0x0F37), (0x0F39, 0x0F39), (0x0F3E, 0x0F3F),
    (0x0F71, 0x0F84), (0x0F86, 0x0F8B), (0x0F90, 0x0F95), (0x0F97, 0x0F97), (0x0F99, 0x0FAD),
    (0x0FB1, 0x0FB7), (0x0FB9, 0x0FB9), (0x20D0, 0x20DC), (0x20E1, 0x20E1), (0x3005, 0x3005),
    (0x302A, 0x302F), (0x3031, 0x3035), (0x3099, 0x309A), (0x309D, 0x309E), (0x30FC, 0x30FE),
];

fn in_ranges(t: &[(u16, u16)], c: char) -> bool {
    let c = c as u32;
    c <= 0xFFFF
        && t.binary_search_by(|&(a, b)| {
            if (b as u32) < c {
                std::cmp::Ordering::Less
            } else if (a as u32) > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// XSD 1.0 name start character: `Letter | '_' | ':'` (XML 1.0 Second Edition, production
/// 5); the colon only with `colon`.
pub(crate) fn is_xsd_name_start(c: char, colon: bool) -> bool {
    c == '_' || (colon && c == ':') || in_ranges(LETTER_2E, c)
}

/// XSD 1.0 name character (with `:`): `Letter | Digit | '.' | '-' | '_' | ':' |
/// CombiningChar | Extender` (XML 1.0 Second Edition, production 4).
pub(crate) fn is_xsd_name_char(c: char) -> bool {
    is_xsd_name_start(c, true) || in_ranges(NAME_OTHER_2E, c)
}

/// Whether `v` is an XSD 1.0 `Name` (`colon`) or `NCName`.
pub(crate) fn is_xsd_name(v: &str, colon: bool) -> bool {
    is_ascii_ncname(v.as_bytes()) || name_by(v, colon, is_xsd_name_start, is_xsd_name_char)
}

/// Whether `v` is in the lexical space of XSD 1.0's `QName`: `NCName` or `NCName:NCName`.
pub(crate) fn is_xsd_qname(v: &str) -> bool {
    qname_by(v, |n| is_xsd_name(n, false))
}

/// The XSD name characters as the body of a `regex` character class: the start characters
/// (`\i`), or all name characters (`\c`).
pub(crate) fn xsd_name_class(start_only: bool) -> String {
    let mut out = String::from(":_");
    let mut push = |t: &[(u16, u16)]| {
        for &(a, b) in t {
            if a == b {
                out.push_str(&format!("\\u{{{a:X}}}"));
            } else {
                out.push_str(&format!("\\u{{{a:X}}}-\\u{{{b:X}}}"));
            }
        }
    };
    push(LETTER_2E);
    if !start_only {
        push(NAME_OTHER_2E);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_fast_path_agrees_with_the_character_check() {
        // Every string of one and two bytes from a set covering each class, plus longer
        // and non-ASCII names.
        let alphabet = [
            "a", "Z", "_", "-", ".", "0", "9", ":", " ", "\t", "/", "@", "\u{7F}", "é", "\u{B7}",
        ];
        let mut names: Vec<String> = vec![String::new()];
        for x in alphabet {
            names.push(x.to_string());
            for y in alphabet {
                names.push(format!("{x}{y}"));
            }
        }
        for n in [
            "AU-12", "GOT-3-4", "BDO-0-8", "a:b", "_x.y-z", "1abc", "ab c", "Aé", "x\u{300}",
        ] {
            names.push(n.to_string());
        }
        for n in &names {
            for colon in [false, true] {
                assert_eq!(is_name(n, colon), is_name_chars(n, colon), "{n:?} {colon}");
            }
        }
    }

    #[test]
    fn second_edition_tables_are_sorted_and_disjoint() {
        for t in [LETTER_2E, NAME_OTHER_2E] {
            assert!(t.iter().all(|(a, b)| a <= b));
            assert!(
                t.windows(2).all(|w| w[0].1 + 1 < w[1].0),
                "sorted, not adjacent"
            );
        }
        for c in (0..=0xFFFFu32).filter_map(char::from_u32) {
            assert!(
                !(in_ranges(LETTER_2E, c) && in_ranges(NAME_OTHER_2E, c)),
                "{c:?}"
            );
        }
    }

    #[test]
    fn xsd_names_use_the_second_edition() {
        // Letters of both editions, and the edges of Appendix B's ranges.
        for n in [
            "a",
            "Zé",
            "\u{3007}",
            "\u{4E00}\u{9FA5}",
            "\u{AC00}",
            "\u{D7A3}",
            "_x",
        ] {
            assert!(is_xsd_name(n, false) && is_name(n, false), "{n:?}");
        }
        // Fifth-Edition letters that Appendix B does not list: U+0372 (Greek, Unicode 5.1),
        // U+0132 (Latin ligature IJ), U+4316 (CJK extension A), U+FEFF, U+10400 (Deseret,
        // beyond the BMP), U+02C6 (modifier letter).
        for n in [
            "\u{372}",
            "\u{132}",
            "a\u{4316}",
            "a\u{FEFF}",
            "\u{10400}",
            "a\u{2C6}",
        ] {
            assert!(!is_xsd_name(n, false) && is_name(n, false), "{n:?}");
        }
        // Combining characters and extenders: name characters, not start characters.
        for c in ['\u{300}', '\u{B7}', '\u{3005}', '\u{660}', '-', '.', '0'] {
            assert!(is_xsd_name_char(c) && !is_xsd_name_start(c, true), "{c:?}");
        }
        assert!(is_xsd_name("a:b", true) && !is_xsd_name("a:b", false));
        assert!(is_xsd_qname("a:b") && !is_xsd_qname("a:\u{372}") && !is_xsd_qname(":b"));
        // The regex classes hold the same characters.
        let start = regex::Regex::new(&format!("^[{}]$", xsd_name_class(true))).unwrap();
        let any = regex::Regex::new(&format!("^[{}]$", xsd_name_class(false))).unwrap();
        for c in (0..=0x10FFFFu32).step_by(7).filter_map(char::from_u32) {
            let s = c.to_string();
            assert_eq!(start.is_match(&s), is_xsd_name_start(c, true), "{c:?}");
            assert_eq!(any.is_match(&s), is_xsd_name_char(c), "{c:?}");
        }
    }

    #[test]
    fn qname_fast_path_agrees_with_the_general_check() {
        for n in [
            "a",
            "Title",
            "xml:lang",
            "xlink:href",
            "a1",
            "_x",
            "a-b.c",
            ":a",
            "a:",
            "a::b",
            "a:b:c",
            "a:1",
            "a:-b",
            "a:.b",
            "1a",
            "-a",
            ".a",
            "a b",
            "",
            "a:_b",
            "é",
            "a:é",
            "éa:b",
            "a\u{B7}",
            "A:B",
            "a/b",
            "a:b",
            "p:local-name.2",
            "_",
            "Z",
            "a.b-c_d9",
            "ArchiveUnit",
            "a\u{7F}",
            "a\tb",
            "9",
        ] {
            let by_chars = match n.split_once(':') {
                Some((p, l)) => is_name_chars(p, false) && is_name_chars(l, false),
                None => is_name_chars(n, false),
            };
            assert_eq!(is_qname(n), by_chars, "{n:?}");
        }
    }

    fn kinds(s: &str) -> Vec<Kind> {
        let b = s.as_bytes();
        let mut p = 0;
        let mut v = vec![];
        loop {
            let t = next(b, p, true).unwrap();
            v.push(t.kind);
            if t.kind == Kind::Eof {
                return v;
            }
            p = t.end;
        }
    }

    #[test]
    fn tokens() {
        use Kind::*;
        assert_eq!(
            kinds("<?xml version='1.0'?><a x='>'><!--c--><b/>t<![CDATA[<]]><?p d?></a>"),
            vec![Decl, Start, Comment, Empty, Text, CData, Pi, End, Eof]
        );
        let t = next(b"<a  k = \"v\" />", 0, true).unwrap();
        assert_eq!((t.kind, t.a, t.b), (Kind::Empty, 2, 12));
        assert_eq!(next(b"<a k='v'", 0, false).unwrap_err(), LexErr::Incomplete);
        assert!(matches!(
            next(b"<a k='v'", 0, true),
            Err(LexErr::Bad { .. })
        ));
        assert!(matches!(
            next(b"<!-- a -- b -->", 0, true),
            Err(LexErr::Bad { .. })
        ));
        assert!(matches!(next(b"<!FOO>", 0, true), Err(LexErr::Bad { .. })));
        assert_eq!(next(b"<!DOC", 0, false).unwrap_err(), LexErr::Incomplete);
        assert_eq!(next(b"<!-", 0, false).unwrap_err(), LexErr::Incomplete);
    }

    #[test]
    fn attributes() {
        let v: Vec<_> = attrs(" a='1' b:c = \"x&amp;y\"").collect();
        assert_eq!(v, vec![Ok(("a", "1")), Ok(("b:c", "x&amp;y"))]);
        for badattr in [" a", " a=1", " a='1'b='2'", " a='<'", " ='1'", " a='1"] {
            assert!(attrs(badattr).any(|r| r.is_err()), "{badattr}");
        }
    }

    #[test]
    fn newline_counts_match_a_byte_loop() {
        let doc = "<a>\n  <b x='1'\n y='2'>t\r\n</b>\n\n<c/>\n</a>\nend";
        let b = doc.as_bytes();
        for i in 0..b.len() {
            for j in i..=b.len() {
                let s = &b[i..j];
                let n = s.iter().filter(|&&c| c == b'\n').count() as u32;
                let last = s.iter().rposition(|&c| c == b'\n').map_or(0, |k| k + 1);
                assert_eq!(newlines(s), (n, last), "{i}..{j}");
            }
        }
        // a line feed next to bytes 0x0b/0x09/0x8a (carries and high bits do not count)
        assert_eq!(
            newlines(&[0x0b, 0x0a, 0x09, 0x8a, 0x0a, 0x00, 0xff, 0x0a, 0x0a]),
            (4, 9)
        );
        assert!(has_xmlns(b" xmlns='u'") && has_xmlns(b" a='x' xmlns:p='u'"));
        assert!(!has_xmlns(b" xml:lang='fr'") && !has_xmlns(b" id='x1'") && !has_xmlns(b""));
    }

    #[test]
    fn unescaping() {
        assert_eq!(
            unescape("a&lt;&#65;&#x42;\r\nc\rd", false).unwrap(),
            "a<AB\nc\nd"
        );
        assert_eq!(unescape("a\tb\nc&#10;", true).unwrap(), "a b c\n");
        assert!(matches!(unescape("x", false), Ok(Cow::Borrowed(_))));
        assert!(unescape("&x;", false).is_err());
        assert!(unescape("&#0;", false).is_err());
        assert!(unescape("& b", false).is_err());
    }
}
