//! The documents of the `xsd_datatypes` target, shared with `diff_datatypes`: one element
//! per XSD built-in type, and an input's first byte picking the type of its value.
#![allow(dead_code)]

/// The built-in types (XSD 1.0 Part 2) that the SEDA schemas and common profiles use.
pub const TYPES: &[&str] = &[
    "string", "normalizedString", "token", "language", "Name", "NCName", "ID", "IDREF",
    "IDREFS", "NMTOKEN", "NMTOKENS", "anyURI", "boolean", "decimal", "integer",
    "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte",
    "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
    "positiveInteger", "float", "double", "duration", "dateTime", "time", "date",
    "gYearMonth", "gYear", "gMonthDay", "gDay", "gMonth", "hexBinary", "base64Binary",
    "QName",
];

/// A schema with one global element `r_T` of each type `xs:T`.
pub fn schema() -> String {
    let mut xsd = String::from(r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">"#);
    for t in TYPES {
        xsd.push_str(&format!(r#"<xs:element name="r_{t}" type="xs:{t}"/>"#));
    }
    xsd.push_str("</xs:schema>");
    xsd
}

/// The type an input's first byte picks.
pub fn type_of(pick: u8) -> &'static str {
    TYPES[pick as usize % TYPES.len()]
}

/// The document holding `text` (`&` and `<` escaped) as the value of the picked type.
pub fn document(pick: u8, text: &str) -> String {
    let t = type_of(pick);
    let esc = text.replace('&', "&amp;").replace('<', "&lt;");
    format!("<r_{t}>{esc}</r_{t}>")
}
