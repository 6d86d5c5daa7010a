//! Translation of XML Schema regular expressions (XSD 1.0 Part 2, appendix F) to the
//! `regex` crate's dialect.
//!
//! Differences handled: patterns are implicitly anchored; `^` and `$` are ordinary
//! characters; the multi-character escapes `\i \I \c \C` (XML name characters) and
//! `\d \D \w \W \s \S` have XML meanings; character-class subtraction `[a-z-[aeiou]]`
//! becomes `[a-z--[aeiou]]`; `\p{IsBlock}` names a Unicode block (a few common blocks
//! are mapped, others are refused with an error rather than guessed).

use crate::xml::lex::xsd_name_class;
use crate::{Error, ErrorKind, Result};

fn block(name: &str) -> Option<&'static str> {
    Some(match name {
        "IsBasicLatin" => r"\x00-\x7F",
        "IsLatin-1Supplement" => r"\u{80}-\u{FF}",
        "IsLatinExtended-A" => r"\u{100}-\u{17F}",
        "IsLatinExtended-B" => r"\u{180}-\u{24F}",
        "IsIPAExtensions" => r"\u{250}-\u{2AF}",
        "IsGreek" | "IsGreekandCoptic" => r"\u{370}-\u{3FF}",
        "IsCyrillic" => r"\u{400}-\u{4FF}",
        "IsGeneralPunctuation" => r"\u{2000}-\u{206F}",
        "IsCurrencySymbols" => r"\u{20A0}-\u{20CF}",
        _ => return None,
    })
}

/// Translates an XSD pattern to an anchored `regex` pattern.
pub(crate) fn translate(pat: &str) -> Result<String> {
    let chars: Vec<char> = pat.chars().collect();
    let mut out = String::from("^(?:");
    let mut i = 0;
    let err = |m: &str| {
        Error::new(
            ErrorKind::Schema,
            format!("unsupported or invalid XSD pattern '{pat}': {m}"),
        )
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (s, n) = escape(&chars, i, false).map_err(|m| err(&m))?;
                out.push_str(&s);
                i = n;
            }
            '[' => {
                let (s, n) = class(&chars, i).map_err(|m| err(&m))?;
                out.push_str(&s);
                i = n;
            }
            '^' | '$' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            '.' => {
                out.push_str(r"[^\n\r]");
                i += 1;
            }
            '(' => {
                out.push_str("(?:");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.push_str(")$");
    Ok(out)
}

/// Translates an escape starting at `chars[i] == '\\'`; returns the text and next index.
/// `in_class` selects the form usable inside a bracket expression.
fn escape(
    chars: &[char],
    i: usize,
    in_class: bool,
) -> std::result::Result<(String, usize), String> {
    let c = *chars.get(i + 1).ok_or("dangling backslash")?;
    let wrap = |body: &str, neg: bool| -> String {
        if in_class {
            if neg {
                format!("[^{body}]")
            } else {
                body.to_string()
            }
        } else if neg {
            format!("[^{body}]")
        } else {
            format!("[{body}]")
        }
    };
    let s = match c {
        'n' => r"\n".into(),
        'r' => r"\r".into(),
        't' => r"\t".into(),
        '\\' | '|' | '.' | '-' | '^' | '?' | '*' | '+' | '{' | '}' | '(' | ')' | '[' | ']' => {
            format!("\\{c}")
        }
        '$' => r"\$".into(),
        's' => wrap(r" \t\n\r", false),
        'S' => wrap(r" \t\n\r", true),
        // XML 1.0 Second Edition's name characters, as for the name datatypes.
        'i' => wrap(&xsd_name_class(true), false),
        'I' => wrap(&xsd_name_class(true), true),
        'c' => wrap(&xsd_name_class(false), false),
        'C' => wrap(&xsd_name_class(false), true),
        'd' => r"\p{Nd}".into(),
        'D' => r"\P{Nd}".into(),
        'w' => wrap(r"\p{P}\p{Z}\p{C}", true),
        'W' => wrap(r"\p{P}\p{Z}\p{C}", false),
        'p' | 'P' => {
            if chars.get(i + 2) != Some(&'{') {
                return Err("\\p without {name}".into());
            }
            let end = chars[i + 3..]
                .iter()
                .position(|&x| x == '}')
                .ok_or("unterminated \\p{")?
                + i
                + 3;
            let name: String = chars[i + 3..end].iter().collect();
            let neg = c == 'P';
            let body = if let Some(b) = block(&name) {
                b.to_string()
            } else if name.starts_with("Is") {
                return Err(format!("Unicode block {name} is not supported"));
            } else {
                format!("\\p{{{name}}}")
            };
            let s = if block(&name).is_some() {
                wrap(&body, neg)
            } else if neg {
                format!("\\P{{{name}}}")
            } else {
                body
            };
            return Ok((s, end + 1));
        }
        other => return Err(format!("unknown escape \\{other}")),
    };
    Ok((s, i + 2))
}

/// Translates a character class starting at `chars[i] == '['`.
fn class(chars: &[char], i: usize) -> std::result::Result<(String, usize), String> {
    let mut j = i + 1;
    let mut out = String::from("[");
    if chars.get(j) == Some(&'^') {
        out.push('^');
        j += 1;
    }
    let mut first = true;
    loop {
        let c = *chars.get(j).ok_or("unterminated character class")?;
        match c {
            ']' if !first => {
                out.push(']');
                return Ok((out, j + 1));
            }
            '-' if chars.get(j + 1) == Some(&'[') => {
                let (sub, n) = class(chars, j + 1)?;
                out.push_str("--");
                out.push_str(&sub);
                if chars.get(n) != Some(&']') {
                    return Err("subtraction must end the character class".into());
                }
                out.push(']');
                return Ok((out, n + 1));
            }
            '\\' => {
                let (s, n) = escape(chars, j, true)?;
                out.push_str(&s);
                j = n;
            }
            '[' => return Err("'[' must be escaped inside a character class".into()),
            '&' | '~' | '^' => {
                out.push('\\');
                out.push(c);
                j += 1;
            }
            _ => {
                out.push(c);
                j += 1;
            }
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn m(p: &str, s: &str) -> bool {
        regex::Regex::new(&translate(p).unwrap())
            .unwrap()
            .is_match(s)
    }

    #[test]
    fn anchoring_and_literals() {
        assert!(m("a+", "aaa"));
        assert!(!m("a+", "aaab"));
        assert!(m("a|b", "b"));
        assert!(!m("a|b", "ab"));
        assert!(m("^x$", "^x$"));
    }

    #[test]
    fn multi_char_escapes() {
        assert!(m(r"\i\c*", "_abc-1.2"));
        assert!(!m(r"\i\c*", "1abc"));
        assert!(m(r"\d{4}", "2024"));
        assert!(m(r"\d", "٣"));
        assert!(m(r"[\i-[:]][\c-[:]]*", "abc"));
        assert!(!m(r"[\i-[:]][\c-[:]]*", "a:b"));
    }

    #[test]
    fn subtraction() {
        assert!(m("[a-z-[aeiou]]+", "xyz"));
        assert!(!m("[a-z-[aeiou]]+", "xaz"));
    }

    #[test]
    fn blocks() {
        assert!(m(r"\p{IsBasicLatin}+", "abc"));
        assert!(!m(r"\p{IsBasicLatin}+", "é"));
        assert!(m(r"\p{Lu}", "É"));
        assert!(translate(r"\p{IsTibetan}").is_err());
        assert!(translate("[a").is_err());
    }
}
