//! Shared CSV reading for the referential imports: decoding (BOM, strict UTF-8),
//! header mapping, blank-line detection and per-record physical line numbers.

use crate::{Error, ErrorKind, Result};

/// One CSV record with the physical line (1-based) where it starts.
pub(crate) struct Record {
    pub line: u64,
    pub fields: Vec<String>,
}

/// A structural problem found while reading the file (before field checks).
pub(crate) struct StructuralError {
    pub line: u64,
    pub column: Option<String>,
    pub value: String,
    pub message: String,
}

/// The decoded content: header, records and structural errors.
pub(crate) struct CsvTable {
    pub header: Vec<String>,
    pub records: Vec<Record>,
    pub errors: Vec<StructuralError>,
}

/// Decodes bytes as UTF-8 (BOM stripped). Like Vitam (`INVALID_CSV_ENCODING_NOT_UTF_EIGHT`),
/// any other encoding is refused, with the line and column of the first invalid byte.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let col = valid.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the file is not UTF-8 (INVALID_CSV_ENCODING_NOT_UTF_EIGHT): invalid byte 0x{:02X} at line {line}, byte column {col}",
                bytes[e.valid_up_to()]
            ),
        )
        .at(line, col)
        .with_code("INVALID_CSV_ENCODING_NOT_UTF_EIGHT")
        .with_source(e)
    })
}

/// Physical line numbers of blank lines outside quoted fields (a final line end is fine).
fn blank_lines(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut line: u64 = 1;
    let mut line_has_content = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                line_has_content = true;
            }
            '\n' => {
                if !in_quotes && !line_has_content {
                    out.push(line);
                }
                line += 1;
                line_has_content = false;
            }
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    if !in_quotes && !line_has_content {
                        out.push(line);
                    }
                    line += 1;
                    line_has_content = false;
                }
            }
            c if c.is_whitespace() => {}
            _ => line_has_content = true,
        }
    }
    out
}

/// Reads a CSV table whose header must hold every column of `expected` (any order); other
/// columns are refused unless `allow_extra`.
pub(crate) fn read_table(bytes: &[u8], expected: &[&str], allow_extra: bool) -> Result<CsvTable> {
    let text = decode(bytes)?;
    let mut errors = Vec::new();
    for line in blank_lines(text) {
        errors.push(StructuralError {
            line,
            column: None,
            value: String::new(),
            message: "empty line".into(),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let fields: Vec<String> = record.iter().map(str::to_owned).collect();
                if header.is_none() {
                    header = Some(fields.iter().map(|f| f.trim().to_owned()).collect());
                    continue;
                }
                records.push(Record { line, fields });
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("malformed CSV at line {line}: {e}"),
                )
                .at(line, 0)
                .with_source(e));
            }
        }
    }
    let header = header.ok_or_else(|| Error::invalid("empty CSV file: no header line"))?;
    for name in expected {
        if !header.iter().any(|h| h == name) {
            errors.push(StructuralError {
                line: 1,
                column: Some((*name).to_owned()),
                value: header.join(","),
                message: format!("missing column {name} in the header"),
            });
        }
    }
    for h in &header {
        if !allow_extra && !expected.contains(&h.as_str()) {
            errors.push(StructuralError {
                line: 1,
                column: Some(h.clone()),
                value: h.clone(),
                message: format!("unknown column {h:?} in the header"),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for h in &header {
        if !seen.insert(h.as_str()) {
            errors.push(StructuralError {
                line: 1,
                column: Some(h.clone()),
                value: h.clone(),
                message: format!("duplicated column {h:?} in the header"),
            });
        }
    }
    for r in &records {
        if r.fields.len() != header.len() {
            errors.push(StructuralError {
                line: r.line,
                column: None,
                value: r.fields.join(","),
                message: format!("expected {} fields, found {}", header.len(), r.fields.len()),
            });
        }
    }
    Ok(CsvTable {
        header,
        records,
        errors,
    })
}

impl CsvTable {
    /// The column index of a header name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_outside_quotes_only() {
        assert_eq!(blank_lines("a\n\"x\n\ny\"\nb\n"), Vec::<u64>::new());
        assert_eq!(blank_lines("a\n\nb\n"), vec![2]);
        assert_eq!(blank_lines("a\r\n\r\nb\r\n"), vec![2]);
        assert_eq!(blank_lines("a\nb"), Vec::<u64>::new());
    }

    #[test]
    fn bom_stripped_and_latin1_refused() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc").unwrap(), "abc");
        let err = decode(b"ab\nd\xe9j\xe0").unwrap_err();
        assert_eq!(err.context().line, Some(2));
        assert_eq!(
            err.context().code.as_deref(),
            Some("INVALID_CSV_ENCODING_NOT_UTF_EIGHT")
        );
    }
}
