//! Entry-name safety and Vitam's naming rules.

use std::sync::OnceLock;

use regex::Regex;

use super::Limits;
use super::codes;
use crate::error::{Error, ErrorKind, Result};

/// Vitam's manifest name rule (`MANIFEST_FILE_NAME_CHECK`): `manifest.xml`, `_manifest.xml`
/// or a prefix of 1 to 56 ASCII letters and digits followed by `_` or `-`.
///
/// ```
/// use vas_core::sip::is_valid_manifest_name;
///
/// assert!(is_valid_manifest_name("manifest.xml"));
/// assert!(is_valid_manifest_name("toto-manifest.xml"));
/// assert!(is_valid_manifest_name("_manifest.xml"));
/// assert!(!is_valid_manifest_name("$_manifest.xml"));
/// assert!(!is_valid_manifest_name("Content/manifest.xml"));
/// ```
pub fn is_valid_manifest_name(name: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^(([A-Za-z0-9]{1,56}[_-])?|_?)manifest\.xml$").expect("static regex")
    })
    .is_match(name)
}

/// Vitam's rule for every path component of a file unpacked into its workspace
/// (`SafeFileChecker`): ASCII letters, digits, `-`, `_` and `@`, with dots only between
/// such runs. Names breaking it make Vitam refuse the SIP with `STP_UPLOAD_SIP.KO`.
///
/// ```
/// use vas_core::sip::is_vitam_safe_component;
///
/// assert!(is_vitam_safe_component("ID@13.txt"));
/// assert!(is_vitam_safe_component("file.tar.gz"));
/// assert!(!is_vitam_safe_component("ID+13.txt"));
/// assert!(!is_vitam_safe_component("my file.pdf"));
/// assert!(!is_vitam_safe_component(".hidden"));
/// ```
pub fn is_vitam_safe_component(component: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-zA-Z0-9\-_@]+(\.[a-zA-Z0-9\-_@]+)*$").expect("static regex"))
        .is_match(component)
}

/// A checked entry name: `/`-separated, relative, no `.`/`..`/empty components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedName {
    /// The normalised name, without a trailing `/` and without leading `./`.
    pub name: String,
    /// True when the raw name ended with `/` (a directory marker).
    pub trailing_slash: bool,
}

/// Checks a raw entry name from an archive; `None` means "the root itself" (`./`).
pub(crate) fn check_entry_name(raw: &[u8], limits: &Limits) -> Result<Option<CheckedName>> {
    let lossy = String::from_utf8_lossy(raw).into_owned();
    let unsafe_name = |why: &str| {
        Error::new(
            ErrorKind::Unsafe,
            format!("unsafe entry name {lossy:?}: {why}"),
        )
        .with_path(&lossy)
        .with_code(codes::STP_UPLOAD_SIP_KO)
    };
    if raw.len() > limits.max_name_len {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "entry name is {} bytes long, the limit is {}",
                raw.len(),
                limits.max_name_len
            ),
        )
        .with_path(&lossy));
    }
    let name = std::str::from_utf8(raw).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("entry name {lossy:?} is not valid UTF-8"),
        )
        .with_path(&lossy)
        .with_code(codes::STP_UPLOAD_SIP_KO)
    })?;
    if name.is_empty() {
        return Err(unsafe_name("empty name"));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(unsafe_name("control character"));
    }
    if name.contains('\\') {
        return Err(unsafe_name("backslash"));
    }
    if name.starts_with('/') {
        return Err(unsafe_name("absolute path"));
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(unsafe_name("drive letter"));
    }
    let trailing_slash = name.ends_with('/');
    let body = name.strip_suffix('/').unwrap_or(name);
    let mut parts: Vec<&str> = body.split('/').collect();
    // Tools such as `tar -C dir -cf x.tar .` prefix every name with `./`.
    while parts.len() > 1 && parts[0] == "." {
        parts.remove(0);
    }
    if parts == ["."] {
        return Ok(None);
    }
    for p in &parts {
        match *p {
            "" => return Err(unsafe_name("empty path component")),
            "." => return Err(unsafe_name("`.` path component")),
            ".." => return Err(unsafe_name("`..` path component (path traversal)")),
            _ => {}
        }
        if p.contains(':') {
            return Err(unsafe_name("`:` in a path component"));
        }
    }
    if parts.len() > limits.max_depth {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "entry name has {} components, the limit is {}",
                parts.len(),
                limits.max_depth
            ),
        )
        .with_path(&lossy));
    }
    Ok(Some(CheckedName {
        name: parts.join("/"),
        trailing_slash,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        check_entry_name(s.as_bytes(), &Limits::default())
            .unwrap()
            .unwrap()
            .name
    }
    fn kind(s: &[u8]) -> ErrorKind {
        check_entry_name(s, &Limits::default()).unwrap_err().kind()
    }

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(ok("manifest.xml"), "manifest.xml");
        assert_eq!(ok("./Content/a.pdf"), "Content/a.pdf");
        assert_eq!(ok("Content/"), "Content");
        assert!(
            check_entry_name(b"./", &Limits::default())
                .unwrap()
                .is_none()
        );
        for bad in [
            &b"../x"[..],
            b"Content/../../x",
            b"/etc/passwd",
            b"C:/x",
            b"c:x",
            b"Content\\a",
            b"a//b",
            b"a/./b",
            b"",
            b"a\0b",
            b"Content/a:b",
        ] {
            assert_eq!(
                kind(bad),
                ErrorKind::Unsafe,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(kind(b"Content/\xff.txt"), ErrorKind::InvalidInput);
        let deep = "a/".repeat(100) + "f";
        assert_eq!(kind(deep.as_bytes()), ErrorKind::LimitExceeded);
        let e = check_entry_name(b"../../BadFile.txt", &Limits::default()).unwrap_err();
        assert_eq!(e.context().code.as_deref(), Some("STP_UPLOAD_SIP.KO"));
        assert_eq!(
            e.context().path.as_deref(),
            Some(std::path::Path::new("../../BadFile.txt"))
        );
    }

    #[test]
    fn manifest_names() {
        assert!(is_valid_manifest_name(&format!(
            "{}_manifest.xml",
            "a".repeat(56)
        )));
        assert!(!is_valid_manifest_name(&format!(
            "{}_manifest.xml",
            "a".repeat(57)
        )));
        assert!(!is_valid_manifest_name("manifest.xml.bak"));
        assert!(!is_valid_manifest_name("manifestXxml"));
        assert!(!is_valid_manifest_name("a_b_manifest.xml"));
    }
}
