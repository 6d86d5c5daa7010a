//! ReSIP's metadata CSV: import (tree and metadata) and export.
//!
//! The header starts with identification columns — `File`; `File`+`ParentFile`;
//! `ID`+`File`+`ParentFile`; `ID`+`ParentID`+`File`; `ID`+`ParentID`+`ObjectFiles`; or the
//! export form `Id;ParentId;File;ObjectFiles` — followed by dotted metadata paths: a path
//! without prefix or with `Content.` goes to `Content`, one with `Management.` to
//! `Management`; a numeric segment indexes repeated elements (`Writer.1.FullName`); a
//! column literally named `attr` holds raw attributes of the previous column
//! (`xml:lang="fr"`). The separator (`;` by default) and the encoding (UTF-8 or
//! Windows-1252) are configurable.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use super::builder::{ObjectInput, SipBuilder, UnitId};
use super::folder::FolderImport;
use crate::error::{Error, ErrorKind, Result};

/// Text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvEncoding {
    /// UTF-8 (a byte-order mark is skipped).
    #[default]
    Utf8,
    /// Windows-1252 (`Cp1252`), as ReSIP's test files.
    Windows1252,
}

impl CsvEncoding {
    /// Parses `utf-8`, `utf8`, `windows-1252`, `cp1252`.
    ///
    /// ```
    /// use vas_core::sip::CsvEncoding;
    /// assert_eq!(CsvEncoding::from_name("Cp1252").unwrap(), CsvEncoding::Windows1252);
    /// assert!(CsvEncoding::from_name("ebcdic").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<CsvEncoding> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(CsvEncoding::Utf8),
            "windows-1252" | "cp1252" | "cp-1252" | "win1252" => Ok(CsvEncoding::Windows1252),
            other => Err(Error::invalid(format!(
                "CSV encoding {other:?}: use utf-8 or windows-1252"
            ))),
        }
    }
}

/// Options of the CSV import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Field separator (`;`).
    pub separator: char,
    /// Encoding.
    pub encoding: CsvEncoding,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            separator: ';',
            encoding: CsvEncoding::Utf8,
        }
    }
}

const CP1252: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}', '\u{017D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{9D}', '\u{017E}', '\u{0178}',
];

fn decode(bytes: &[u8], enc: CsvEncoding) -> Result<String> {
    match enc {
        CsvEncoding::Utf8 => {
            let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            String::from_utf8(b.to_vec()).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "CSV is not valid UTF-8 at byte {} (try windows-1252)",
                        e.utf8_error().valid_up_to()
                    ),
                )
            })
        }
        CsvEncoding::Windows1252 => Ok(bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => CP1252[(b - 0x80) as usize],
                _ => b as char,
            })
            .collect()),
    }
}

fn encode(s: &str, enc: CsvEncoding) -> Result<Vec<u8>> {
    match enc {
        CsvEncoding::Utf8 => Ok(s.as_bytes().to_vec()),
        CsvEncoding::Windows1252 => s
            .chars()
            .map(|c| {
                let u = c as u32;
                if let Some(i) = CP1252.iter().position(|x| *x == c) {
                    Ok(0x80 + i as u8)
                } else if u < 0x80 || (0xA0..=0xFF).contains(&u) {
                    Ok(u as u8)
                } else {
                    Err(Error::invalid(format!(
                        "character {c:?} cannot be written in windows-1252"
                    )))
                }
            })
            .collect(),
    }
}

/// Splits CSV text into records (quotes, doubled quotes, separators and newlines inside
/// quotes). Returns each record with its 1-based line number.
fn parse_records(text: &str, sep: char) -> Result<Vec<(u64, Vec<String>)>> {
    let mut out = Vec::new();
    let mut rec: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_q = false;
    let mut line = 1u64;
    let mut rec_line = 1u64;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_q {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_q = false;
                }
            } else {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        } else if c == '"' && field.is_empty() {
            in_q = true;
        } else if c == sep {
            rec.push(std::mem::take(&mut field));
        } else if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        } else if c == '\n' {
            rec.push(std::mem::take(&mut field));
            if !(rec.len() == 1 && rec[0].is_empty()) {
                out.push((rec_line, std::mem::take(&mut rec)));
            } else {
                rec.clear();
            }
            line += 1;
            rec_line = line;
            any = false;
        } else {
            field.push(c);
        }
    }
    if in_q {
        return Err(Error::invalid("CSV ends inside a quoted field").at(rec_line, 1));
    }
    if any {
        rec.push(field);
        if !(rec.len() == 1 && rec[0].is_empty()) {
            out.push((rec_line, rec));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Content,
    Management,
}

#[derive(Debug)]
struct Header {
    id: Option<usize>,
    parent_id: Option<usize>,
    file: Option<usize>,
    parent_file: Option<usize>,
    object_files: Option<usize>,
    /// (column, target, dotted path, attr column)
    meta: Vec<(usize, Target, String, Option<usize>)>,
}

fn parse_header(cols: &[String]) -> Result<Header> {
    let mut h = Header {
        id: None,
        parent_id: None,
        file: None,
        parent_file: None,
        object_files: None,
        meta: Vec::new(),
    };
    for (i, c) in cols.iter().enumerate() {
        let c = c.trim();
        match c.to_ascii_lowercase().as_str() {
            "id" => h.id = Some(i),
            "parentid" => h.parent_id = Some(i),
            "file" => h.file = Some(i),
            "parentfile" => h.parent_file = Some(i),
            "objectfiles" => h.object_files = Some(i),
            "attr" => match h.meta.last_mut() {
                Some(m) if m.0 + 1 == i => m.3 = Some(i),
                _ => {
                    return Err(
                        Error::invalid("an `attr` column must follow a metadata column")
                            .at(1, i as u64 + 1),
                    );
                }
            },
            "" => {
                return Err(Error::invalid("empty CSV column name").at(1, i as u64 + 1));
            }
            _ => {
                let (t, p) = if let Some(p) = c.strip_prefix("Management.") {
                    (Target::Management, p)
                } else if let Some(p) = c.strip_prefix("Content.") {
                    (Target::Content, p)
                } else {
                    (Target::Content, c)
                };
                h.meta.push((i, t, p.to_string(), None));
            }
        }
    }
    if h.file.is_none() && h.id.is_none() {
        return Err(
            Error::invalid("the CSV header needs a File or an ID column (ReSIP format)").at(1, 1),
        );
    }
    Ok(h)
}

/// ReSIP cells may carry XML-escaped text (`&lt;`, `&apos;`, `&#233;`): decode it.
fn unescape_xml(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn cell(rec: &[String], i: Option<usize>) -> &str {
    i.and_then(|i| rec.get(i)).map(|s| s.trim()).unwrap_or("")
}

fn norm_path(p: &str) -> String {
    p.replace('\\', "/")
        .trim_start_matches("./")
        .trim_matches('/')
        .to_string()
}

/// True when a ReSIP CSV defines its own tree (an `ID` column): build it with
/// [`SipBuilder::import_csv`]; otherwise apply it to a folder import with
/// [`SipBuilder::apply_csv`].
///
/// ```
/// use vas_core::sip::{csv_defines_tree, CsvOptions};
/// assert!(csv_defines_tree(b"Id;File;ParentId\n", &CsvOptions::default()).unwrap());
/// assert!(!csv_defines_tree(b"File;Title\n", &CsvOptions::default()).unwrap());
/// ```
pub fn csv_defines_tree(csv: &[u8], opts: &CsvOptions) -> Result<bool> {
    let text = decode(csv, opts.encoding)?;
    let first = text.lines().next().unwrap_or("");
    let recs = parse_records(first, opts.separator)?;
    let Some((_, head)) = recs.first() else {
        return Err(Error::invalid("empty CSV"));
    };
    Ok(parse_header(head)?.id.is_some())
}

impl SipBuilder {
    fn apply_row(&mut self, u: UnitId, h: &Header, rec: &[String]) -> Result<()> {
        let data = self.unit_mut(u)?;
        for (col, target, path, attr) in &h.meta {
            let raw = cell(rec, Some(*col));
            if raw.is_empty() {
                continue;
            }
            let v = unescape_xml(raw);
            let v = v.as_str();
            let a = attr
                .map(|a| cell(rec, Some(a)).to_string())
                .filter(|s| !s.is_empty());
            match (target, path.as_str()) {
                (Target::Content, "Title") => {
                    data.title = v.to_string();
                    if a.is_some() {
                        data.content_fields.push((path.clone(), v.to_string(), a));
                    }
                }
                (Target::Content, "DescriptionLevel") => {
                    data.description_level = Some(v.to_string())
                }
                (Target::Content, _) => data.content_fields.push((path.clone(), v.to_string(), a)),
                (Target::Management, _) => {
                    data.management_fields
                        .push((path.clone(), v.to_string(), a))
                }
            }
        }
        Ok(())
    }

    /// Applies a ReSIP metadata CSV to units created by [`SipBuilder::import_folder`]:
    /// rows are matched by their `File` column (path relative to the imported folder).
    pub fn apply_csv<R: Read>(
        &mut self,
        mut csv: R,
        imported: &FolderImport,
        opts: &CsvOptions,
    ) -> Result<usize> {
        let mut bytes = Vec::new();
        csv.read_to_end(&mut bytes)?;
        let text = decode(&bytes, opts.encoding)?;
        let recs = parse_records(&text, opts.separator)?;
        let Some(((_, head), rows)) = recs.split_first() else {
            return Err(Error::invalid("empty CSV"));
        };
        let h = parse_header(head)?;
        let Some(fcol) = h.file else {
            return Err(Error::invalid(
                "applying a CSV to a folder import needs a File column",
            ));
        };
        let mut n = 0;
        for (line, rec) in rows {
            let f = norm_path(cell(rec, Some(fcol)));
            if f.is_empty() {
                continue;
            }
            let u = *imported.units.get(&f).ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("CSV names {f:?}, which the folder does not hold"),
                )
                .at(*line, fcol as u64 + 1)
            })?;
            self.apply_row(u, &h, rec).map_err(|e| e.at(*line, 1))?;
            n += 1;
        }
        Ok(n)
    }

    /// [`SipBuilder::apply_csv`] on a file.
    pub fn apply_csv_file(
        &mut self,
        path: impl AsRef<Path>,
        imported: &FolderImport,
        opts: &CsvOptions,
    ) -> Result<usize> {
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|e| Error::from(e).with_path(path))?;
        self.apply_csv(f, imported, opts)
            .map_err(|e| e.or_path(path))
    }

    /// Builds units from a ReSIP CSV with `ID` and `ParentID` columns (parents must come
    /// before their children); `File`/`ObjectFiles` name the object files (relative to
    /// `base`, `|`-separated for `ObjectFiles`; a folder gives no object). Returns the units
    /// by CSV identifier.
    ///
    /// ```
    /// use vas_core::seda::SedaVersion;
    /// use vas_core::sip::{CsvOptions, SipBuilder};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("a.txt"), b"A").unwrap();
    /// let csv = "ID;ParentID;File;Content.Title;Writer.0.FullName;Management.AccessRule.Rule\n\
    ///            1;;;Fonds;;\n\
    ///            2;1;a.txt;Piece A;Jean Dupont;ACC-00002\n";
    /// let mut b = SipBuilder::new(SedaVersion::V2_1);
    /// let units = b.import_csv(csv.as_bytes(), dir.path(), &CsvOptions::default()).unwrap();
    /// assert_eq!(units.len(), 2);
    /// assert_eq!(b.object_count(), 1);
    /// ```
    pub fn import_csv<R: Read>(
        &mut self,
        mut csv: R,
        base: impl AsRef<Path>,
        opts: &CsvOptions,
    ) -> Result<BTreeMap<String, UnitId>> {
        let base = base.as_ref();
        let mut bytes = Vec::new();
        csv.read_to_end(&mut bytes)?;
        let text = decode(&bytes, opts.encoding)?;
        let recs = parse_records(&text, opts.separator)?;
        let Some(((_, head), rows)) = recs.split_first() else {
            return Err(Error::invalid("empty CSV"));
        };
        let h = parse_header(head)?;
        if h.id.is_none() {
            return Err(Error::invalid(
                "building units from a CSV needs an ID column",
            ));
        }
        let mut by_id: BTreeMap<String, UnitId> = BTreeMap::new();
        for (line, rec) in rows {
            let at = |e: Error| e.at(*line, 1);
            let id = cell(rec, h.id).to_string();
            if id.is_empty() {
                return Err(at(Error::invalid("empty ID")));
            }
            if by_id.contains_key(&id) {
                return Err(at(
                    Error::new(ErrorKind::AlreadyExists, "duplicate ID").with_id(&id)
                ));
            }
            let parent = match cell(rec, h.parent_id) {
                // ReSIP writes a root's own ID as its ParentId.
                "" => None,
                p if p == id => None,
                p => Some(*by_id.get(p).ok_or_else(|| {
                    at(Error::new(
                        ErrorKind::NotFound,
                        format!("ParentID {p:?} is not defined on an earlier line"),
                    )
                    .with_id(&id))
                })?),
            };
            let mut files: Vec<String> = Vec::new();
            let f = cell(rec, h.file);
            if !f.is_empty() {
                files.push(norm_path(f));
            }
            for f in cell(rec, h.object_files).split('|') {
                let f = f.trim();
                if !f.is_empty() {
                    files.push(norm_path(f));
                }
            }
            let title = files
                .first()
                .and_then(|f| f.rsplit('/').next())
                .unwrap_or(&id)
                .to_string();
            let u = self.add_unit(parent, &title).map_err(at)?;
            self.apply_row(u, &h, rec).map_err(at)?;
            let mut n = 0;
            for f in files {
                if f.split('/').any(|p| p == "..") {
                    return Err(at(
                        Error::new(ErrorKind::Unsafe, "`..` in a CSV file path").with_path(&f)
                    ));
                }
                let p = base.join(&f);
                if p.is_dir() {
                    continue;
                }
                let name = f.rsplit('/').next().unwrap_or(&f);
                let obj = match super::folder::split_usage(name) {
                    Some((usage, real)) => ObjectInput::path(&p).usage(&usage).filename(&real),
                    None => {
                        n += 1;
                        ObjectInput::path(&p).usage(&format!("BinaryMaster_{n}"))
                    }
                };
                self.add_object(u, obj).map_err(|e| at(e.or_path(&p)))?;
            }
            by_id.insert(id, u);
        }
        Ok(by_id)
    }

    /// Exports the units as a ReSIP CSV (`ID;ParentID;File;ObjectFiles;…` then one column
    /// per metadata path used); the reverse of [`SipBuilder::import_csv`]. A unit's object
    /// file (relative to `base`) goes to `File`, several go to `ObjectFiles` (`|`-joined);
    /// objects from bytes or readers, extra parents of a DAG and `attr` cells are not
    /// exported.
    pub fn export_csv<W: Write>(
        &self,
        mut w: W,
        base: impl AsRef<Path>,
        opts: &CsvOptions,
    ) -> Result<()> {
        let base = base.as_ref();
        let rows = self.csv_rows(base);
        let mut cols: Vec<String> = vec![
            "ID".into(),
            "ParentID".into(),
            "File".into(),
            "ObjectFiles".into(),
            "Content.DescriptionLevel".into(),
            "Content.Title".into(),
        ];
        for r in &rows {
            for (k, _) in &r.1 {
                if !cols.contains(k) {
                    cols.push(k.clone());
                }
            }
        }
        let sep = opts.separator;
        let quote = |s: &str| {
            if s.contains(sep) || s.contains('"') || s.contains('\n') || s.contains('\r') {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::new();
        out.push_str(
            &cols
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(&sep.to_string()),
        );
        out.push('\n');
        for (fixed, meta) in &rows {
            let mut line: Vec<String> = fixed.iter().map(|s| quote(s)).collect();
            for c in &cols[6..] {
                let v = meta
                    .iter()
                    .find(|(k, _)| k == c)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("");
                line.push(quote(v));
            }
            out.push_str(&line.join(&sep.to_string()));
            out.push('\n');
        }
        w.write_all(&encode(&out, opts.encoding)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_and_lines() {
        let r = parse_records("a;\"b;c\";\"d\"\"e\"\r\n\n\"multi\nline\";x\n", ';').unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].1, ["a", "b;c", "d\"e"]);
        assert_eq!(r[1].0, 3);
        assert_eq!(r[1].1, ["multi\nline", "x"]);
        assert!(parse_records("\"open", ';').is_err());
    }

    #[test]
    fn cp1252_round_trip() {
        let s = decode(b"caf\xe9 \x80 \x9c", CsvEncoding::Windows1252).unwrap();
        assert_eq!(s, "café € œ");
        assert_eq!(
            encode(&s, CsvEncoding::Windows1252).unwrap(),
            b"caf\xe9 \x80 \x9c"
        );
        assert!(encode("漢", CsvEncoding::Windows1252).is_err());
        assert!(decode(b"caf\xe9", CsvEncoding::Utf8).is_err());
    }

    #[test]
    fn unescapes_cells() {
        assert_eq!(
            unescape_xml("l&apos;&#233;t&#xE9; &lt;a&gt; &amp; &bogus; &"),
            "l'été <a> & &bogus; &"
        );
    }

    #[test]
    fn header_rules() {
        let h = parse_header(&["File".into(), "Title".into(), "attr".into()]).unwrap();
        assert_eq!(h.meta[0].3, Some(2));
        assert!(parse_header(&["attr".into()]).is_err());
        assert!(parse_header(&["Title".into()]).is_err());
    }
}
