//! The datatype corpus shared by the differential tests (`schema_datatypes.rs` against
//! libxml2, `schema_xerces_oracle.rs` against Xerces): the built-in types, and tricky
//! lexical values tried against each.
#![allow(dead_code)]

/// The XSD built-in types used by the SEDA schemas, and the other common ones.
pub const TYPES: &[&str] = &[
    "string",
    "normalizedString",
    "token",
    "language",
    "Name",
    "NCName",
    "ID",
    "IDREF",
    "IDREFS",
    "NMTOKEN",
    "NMTOKENS",
    "anyURI",
    "boolean",
    "decimal",
    "integer",
    "nonPositiveInteger",
    "negativeInteger",
    "long",
    "int",
    "short",
    "byte",
    "nonNegativeInteger",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
    "positiveInteger",
    "float",
    "double",
    "duration",
    "dateTime",
    "time",
    "date",
    "gYearMonth",
    "gYear",
    "gMonthDay",
    "gDay",
    "gMonth",
    "hexBinary",
    "base64Binary",
];

/// Lexical values, each tried against every type.
pub const VALUES: &[&str] = &[
    "",
    " ",
    "a",
    "abc",
    " a  b ",
    "x y",
    "_x",
    "1a",
    "a:b",
    "a-b.c",
    "é",
    "AU 3",
    "fr",
    "fr-FR",
    "en-GB-oed",
    "toolongtag",
    "0",
    "00",
    "-0",
    "+0",
    "1",
    "+1",
    "-1",
    "1.",
    ".5",
    "1.5",
    "-1.50",
    "1e3",
    "1E-3",
    "INF",
    "-INF",
    "+INF",
    "NaN",
    "nan",
    "127",
    "128",
    "-128",
    "-129",
    "255",
    "256",
    "32767",
    "32768",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "true",
    "false",
    "TRUE",
    "yes",
    "P1Y",
    "P1Y2M3DT4H5M6.7S",
    "PT",
    "P",
    "-P1D",
    "P1.5Y",
    "2024-06-01",
    "2024-6-1",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-06-31",
    "0000-01-01",
    "-0001-01-01",
    "12024-01-01",
    "02024-01-01",
    "2024-06-01Z",
    "2024-06-01+02:00",
    "2024-06-01+14:00",
    "2024-06-01+14:01",
    "2024-06-01+15:00",
    "2024-06-01T10:00:00",
    "2024-06-01T10:00",
    "2024-06-01T24:00:00",
    "2024-06-01T23:59:60",
    "2024-06-01T10:00:00.5Z",
    "2024-06-01T10:00:00.",
    "2024-06-01 10:00:00",
    "10:00:00",
    "24:00:00",
    "10:00:00+01:00",
    "2024",
    "24",
    "-2024",
    "2024-06",
    "2024-6",
    "--06",
    "--13",
    "--06-15",
    "--02-29",
    "--02-30",
    "--04-31",
    "---15",
    "---32",
    "---00",
    "0a0B",
    "0a0",
    "zz",
    "AAEC",
    "AAE=",
    "AAF=",
    "AA==",
    "AB==",
    "A===",
    "AAECAw==",
    "2024-06-01T10:00:00Z",
    "http://example.org/a b",
    "urn:x",
    "a%20b",
    "a%2",
    "%zz",
    "#frag",
    "a#b#c",
    "//host:80/p",
    "//host:x/p",
    "[::1]",
    "http://[::1]:80/",
    "mailto:a@b",
    "a:b:c",
    "1:b",
    "?q",
    "é/ü",
    "AAA AAA=",
    "A B C D",
];

/// Values where the processors part ways (Xerces, XSD 1.1, and libxml2, XSD 1.0, at least),
/// found by replaying the `xsd_datatypes` fuzz corpus against them (`tests/fuzz`).
pub const DIVERGENT: &[&str] = &[
    "%zz",
    "::",
    "[x]",
    "a#b#c",
    "a%2",
    "http://[::1",
    "#AAAA",
    "AAAA#",
    "AA#AA",
    "+INF",
    "-INF",
    "0000-01-01",
    "-0000-01-01",
    "0000",
    "-0000",
    "0000-01",
    "0000-01-01T00:00:00",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "2147483648-01-01",
    "-2147483649-01-01",
    "2147483647-01",
    "99999999999",
    "123456789012345678901234567890",
    "0.0000000000000000000000000001",
    "+1",
    "-0",
    "+0",
    "PT.5S",
    "PT0.S",
    "P.5Y",
    "--01--",
    "--13--",
    "--01--Z",
    "2E+",
    "0e",
];

/// The verdicts of a datatype comparison: vas against an oracle, value by value (and,
/// optionally, vas with another processor's datatypes against the same oracle).
#[derive(Default)]
pub struct Tally {
    /// Values compared.
    pub cases: usize,
    /// Values the oracle refuses.
    pub invalid: usize,
    /// The disagreements, described.
    pub bad: Vec<String>,
    /// Values on which the other processor's datatypes would disagree with the oracle.
    pub other_differs: usize,
}

impl Tally {
    /// Counts one value: the oracle's verdict and vas's; `label` describes a disagreement.
    pub fn add(&mut self, oracle_ok: bool, vas_ok: bool, label: impl FnOnce() -> String) {
        self.cases += 1;
        if !oracle_ok {
            self.invalid += 1;
        }
        if oracle_ok != vas_ok {
            self.bad.push(label());
        }
    }

    /// Counts whether vas with the other processor's datatypes agrees with the oracle.
    pub fn other(&mut self, oracle_ok: bool, other_ok: bool) {
        if oracle_ok != other_ok {
            self.other_differs += 1;
        }
    }

    /// Prints the summary, then asserts that the corpus has both verdicts (more than
    /// `min_invalid` invalid, more than `min_valid` valid), that the other processor
    /// differs on at least `min_other` values when given, and that vas agrees everywhere.
    pub fn check(
        &self,
        what: &str,
        oracle: &str,
        min_invalid: usize,
        min_valid: usize,
        min_other: Option<usize>,
    ) {
        let other = match min_other {
            Some(_) => format!(
                ", the other processor's datatypes would differ on {}",
                self.other_differs
            ),
            None => String::new(),
        };
        eprintln!(
            "{what}: {} cases ({} invalid per {oracle}), disagreements: {}{other}",
            self.cases,
            self.invalid,
            self.bad.len()
        );
        assert!(
            self.invalid > min_invalid && self.invalid < self.cases - min_valid,
            "the corpus must have both verdicts"
        );
        if let Some(m) = min_other {
            // The values that set the processors apart do: the choice is not a no-op.
            assert!(self.other_differs >= m, "{}", self.other_differs);
        }
        assert!(
            self.bad.is_empty(),
            "{} of {} disagree (first 40):\n{}",
            self.bad.len(),
            self.cases,
            self.bad
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
