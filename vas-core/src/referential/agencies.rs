//! The agencies referential (Vitam's `Agencies`): `Identifier,Name,Description` (extra
//! columns, as newer Vitam versions allow, are accepted and ignored).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use super::csv_read;
use crate::{Error, ErrorKind, Result};

/// One agency (service producteur / versant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    /// `Identifier`, e.g. `FRAN_NP_005568`.
    pub identifier: String,
    /// `Name` (mandatory).
    pub name: String,
    /// `Description` (may be empty).
    pub description: String,
}

/// What is wrong on a line of an agencies CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AgenciesCsvErrorCode {
    /// Header, field count or empty line.
    NotCsvFormat,
    /// A mandatory value (`Identifier`, `Name`) is empty.
    EmptyRequiredField,
    /// The same `Identifier` appears twice.
    IdDuplication,
}

impl AgenciesCsvErrorCode {
    /// Vitam's code in the import report (`FileAgenciesErrorCode`).
    pub fn vitam_code(self) -> &'static str {
        match self {
            AgenciesCsvErrorCode::NotCsvFormat => "STP_IMPORT_AGENCIES_NOT_CSV_FORMAT",
            AgenciesCsvErrorCode::EmptyRequiredField => "STP_IMPORT_AGENCIES_MISSING_INFORMATIONS",
            AgenciesCsvErrorCode::IdDuplication => "STP_IMPORT_AGENCIES_ID_DUPLICATION",
        }
    }
}

/// One error found on a line of an agencies CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyCsvLineError {
    /// The 1-based physical line (the header is line 1).
    pub line: u64,
    /// The column concerned, if any.
    pub column: Option<String>,
    /// The offending value.
    pub value: String,
    /// What is wrong.
    pub code: AgenciesCsvErrorCode,
    /// A human explanation.
    pub message: String,
}

impl fmt::Display for AgencyCsvLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {} [{}]", self.message, self.code.vitam_code())?;
        if !self.value.is_empty() {
            write!(f, " (value {:?})", self.value)?;
        }
        Ok(())
    }
}

/// The agencies referential of a tenant.
///
/// ```
/// use vas_core::referential::AgenciesReferential;
///
/// let a = AgenciesReferential::from_csv_bytes(
///     "Identifier,Name,Description\nRATP,Régie,\"transports, Paris\"\n".as_bytes())?;
/// assert_eq!(a.get("RATP").unwrap().description, "transports, Paris");
///
/// let errors = AgenciesReferential::check_csv(b"Identifier,Name,Description\nA,,x\n")?;
/// assert_eq!(errors[0].line, 2);
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct AgenciesReferential {
    agencies: Vec<Agency>,
    index: HashMap<String, usize>,
}

const HEADER: [&str; 3] = ["Identifier", "Name", "Description"];

impl AgenciesReferential {
    /// Reads and checks an agencies CSV file; any line error refuses the file.
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::from(e).or_path(path))?;
        Self::from_csv_bytes(&bytes).map_err(|e| e.or_path(path))
    }

    /// Reads and checks an agencies CSV from bytes.
    pub fn from_csv_bytes(bytes: &[u8]) -> Result<Self> {
        let (agencies, errors) = parse(bytes)?;
        if let Some(first) = errors.first() {
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("invalid agencies referential: {}", all.join("; ")),
            )
            .at(first.line, 0)
            .with_code(first.code.vitam_code()));
        }
        let index = agencies
            .iter()
            .enumerate()
            .map(|(i, a)| (a.identifier.clone(), i))
            .collect();
        Ok(AgenciesReferential { agencies, index })
    }

    /// Checks an agencies CSV and returns every line error (empty when valid).
    pub fn check_csv(bytes: &[u8]) -> Result<Vec<AgencyCsvLineError>> {
        Ok(parse(bytes)?.1)
    }

    /// The agency with this identifier.
    pub fn get(&self, identifier: &str) -> Option<&Agency> {
        self.index.get(identifier).map(|&i| &self.agencies[i])
    }

    /// `true` when the identifier is known.
    pub fn contains(&self, identifier: &str) -> bool {
        self.index.contains_key(identifier)
    }

    /// Number of agencies.
    pub fn len(&self) -> usize {
        self.agencies.len()
    }

    /// `true` when there is no agency.
    pub fn is_empty(&self) -> bool {
        self.agencies.is_empty()
    }

    /// The agencies in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Agency> {
        self.agencies.iter()
    }
}

fn parse(bytes: &[u8]) -> Result<(Vec<Agency>, Vec<AgencyCsvLineError>)> {
    // newer Vitam versions accept optional extra columns (EntityType, AlternativeForm …)
    let table = csv_read::read_table(bytes, &HEADER, true)?;
    let mut errors: Vec<AgencyCsvLineError> = table
        .errors
        .iter()
        .map(|e| AgencyCsvLineError {
            line: e.line,
            column: e.column.clone(),
            value: e.value.clone(),
            code: AgenciesCsvErrorCode::NotCsvFormat,
            message: e.message.clone(),
        })
        .collect();
    let cols: Option<Vec<usize>> = HEADER.iter().map(|h| table.column(h)).collect();
    let mut out = Vec::new();
    if let Some(cols) = cols {
        let mut seen: HashMap<String, u64> = HashMap::new();
        for rec in &table.records {
            if rec.fields.len() != table.header.len() {
                continue;
            }
            let id = rec.fields[cols[0]].trim();
            let name = rec.fields[cols[1]].trim();
            let description = rec.fields[cols[2]].trim();
            let before = errors.len();
            for (col, v) in [("Identifier", id), ("Name", name)] {
                if v.is_empty() {
                    errors.push(AgencyCsvLineError {
                        line: rec.line,
                        column: Some(col.into()),
                        value: String::new(),
                        code: AgenciesCsvErrorCode::EmptyRequiredField,
                        message: format!("{col} is mandatory"),
                    });
                }
            }
            if !id.is_empty() {
                if let Some(prev) = seen.get(id) {
                    errors.push(AgencyCsvLineError {
                        line: rec.line,
                        column: Some("Identifier".into()),
                        value: id.into(),
                        code: AgenciesCsvErrorCode::IdDuplication,
                        message: format!("Identifier {id} already defined at line {prev}"),
                    });
                } else {
                    seen.insert(id.into(), rec.line);
                }
            }
            if errors.len() == before {
                out.push(Agency {
                    identifier: id.into(),
                    name: name.into(),
                    description: description.into(),
                });
            }
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok((out, errors))
}
