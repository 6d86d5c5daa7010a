//! Vitam's catalogue of event and outcome codes (`outcome-codes_fr.properties`), embedded.
//!
//! Keys are `KEY[.SUBCODE].STATUS` (e.g. `CHECK_DIGEST.KO`,
//! `CHECK_HEADER.CHECK_AGENT.UNKNOWN.KO`); a bare `KEY` is the event's name. Values are
//! Vitam's French labels, used as the `outMessg` of events exactly as Vitam writes them.
//!
//! ```
//! use vas_core::ingest::codes;
//! assert_eq!(codes::label("CHECK_DIGEST.KO").is_some(), true);
//! assert!(codes::label("PROCESS_SIP_UNITARY_TEST").unwrap().contains("entrée à blanc"));
//! assert!(codes::label("NO_SUCH_CODE.KO").is_none());
//! ```

use std::collections::HashMap;
use std::sync::OnceLock;

const CATALOGUE: &str = include_str!("../../data/vitam/outcome-codes_fr.properties");

fn table() -> &'static HashMap<&'static str, String> {
    static TABLE: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    TABLE.get_or_init(|| parse(CATALOGUE))
}

/// Parses a Java `.properties` file as Vitam writes its message catalogue: `key=value` lines,
/// `#`/`!` comments, `\uXXXX` escapes, and `''` standing for `'` (MessageFormat quoting).
fn parse(text: &'static str) -> HashMap<&'static str, String> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        map.insert(k.trim(), unescape(v.trim()));
    }
    map
}

fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) => out.push(ch),
                        None => {
                            out.push_str("\\u");
                            out.push_str(&hex);
                        }
                    }
                }
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            },
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
            }
            _ => out.push(c),
        }
    }
    out
}

/// The French label of a code, as Vitam prints it in `outMessg`.
pub fn label(code: &str) -> Option<&'static str> {
    table().get(code).map(String::as_str)
}

/// True when the catalogue knows `code`.
pub fn exists(code: &str) -> bool {
    table().contains_key(code)
}

/// Number of codes in the catalogue.
pub fn len() -> usize {
    table().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_complete_and_unescaped() {
        assert!(len() > 3000, "{}", len());
        let l = label("STP_IMPORT_RULES_BACKUP_CSV.FATAL").unwrap();
        assert!(l.contains("référentiel des règles"), "{l}");
        assert!(!l.contains("\\u"));
        let l = label("PROCESS_SIP_UNITARY_TEST").unwrap();
        assert_eq!(l, "Processus d'entrée à blanc du SIP");
        for code in [
            "CHECK_DIGEST.KO",
            "CHECK_SEDA.NOT_XSD_VALID.KO",
            "CHECK_HEADER.CHECK_AGENT.UNKNOWN.KO",
            "UNITS_RULES_COMPUTE.UNKNOWN.KO",
            "PROCESS_SIP_UNITARY.OK",
        ] {
            assert!(exists(code), "{code}");
        }
    }
}
