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

/// Whether `v` is an XML Name (`colon`) or NCName.
pub(crate) fn is_name(v: &str, colon: bool) -> bool {
    let b = v.as_bytes();
    // The usual identifier (`AU-12`, `GOT-3-4`): ASCII name characters without a colon,
    // one table look-up per byte and no branch; anything else takes the general check.
    if let Some(&first) = b.first()
        && NAME_ASCII_CLASS[first as usize] & 2 != 0
        && b.iter()
            .fold(1u8, |acc, &c| acc & NAME_ASCII_CLASS[c as usize])
            == 1
    {
        return true;
    }
    is_name_chars(v, colon)
}

/// [`is_name`] character by character (any name; the reference for the fast path).
fn is_name_chars(v: &str, colon: bool) -> bool {
    let mut it = v.chars();
    match it.next() {
        Some(c) if is_name_start(c, colon) => it.all(|c| (colon || c != ':') && is_name_char(c)),
        _ => false,
    }
}

/// Whether `s` is a name allowed by XML Namespaces (`NCName` or `NCName:NCName`): the
/// names of elements and attributes, and the lexical space of `xs:QName`. An unprefixed
/// ASCII name (every element name of a SEDA manifest) takes [`is_name`]'s one pass.
#[inline]
pub(crate) fn is_qname(s: &str) -> bool {
    is_name(s, false)
        || matches!(s.split_once(':'), Some((p, l)) if is_name(p, false) && is_name(l, false))
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
