//! [`ObjectKey`]: the validated, normalised name of an object on an offer.

use std::fmt;

use crate::error::{Error, ErrorKind, Result};

/// Longest key accepted, in bytes of UTF-8 (the S3 limit).
pub const MAX_KEY_LEN: usize = 1024;

/// The name of an object on a storage offer: a `/`-separated relative path.
///
/// A key is non-empty UTF-8 of at most [`MAX_KEY_LEN`] bytes, has no leading or
/// trailing `/`, no empty, `.` or `..` segment, no backslash and no control
/// character. Any other Unicode character is allowed. Keys are compared byte for
/// byte (no Unicode normalisation is applied: `é` precomposed and decomposed are two
/// different keys, as on S3).
///
/// ```
/// use vas_core::storage::ObjectKey;
///
/// let k = ObjectKey::new("0_OBJECT/aeaaaaaaaaé.pdf").unwrap();
/// assert_eq!(k.as_str(), "0_OBJECT/aeaaaaaaaaé.pdf");
/// assert!(ObjectKey::new("../etc/passwd").is_err());
/// assert!(ObjectKey::new("/abs").is_err());
/// assert!(ObjectKey::new("a//b").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Validates `key`.
    pub fn new(key: impl Into<String>) -> Result<ObjectKey> {
        let key = key.into();
        validate(&key)?;
        Ok(ObjectKey(key))
    }

    /// The key as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the key starts with `prefix` (a plain string prefix, as in S3 listings).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.0.starts_with(prefix)
    }
}

fn validate(key: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("invalid object key {key:?}: {why}"),
        )
        .with_id(key.to_string()))
    };
    if key.is_empty() {
        return bad("empty");
    }
    if key.len() > MAX_KEY_LEN {
        return bad("longer than 1024 bytes");
    }
    if key.starts_with('/') {
        return bad("leading '/'");
    }
    if key.ends_with('/') {
        return bad("trailing '/'");
    }
    if let Some(c) = key.chars().find(|c| c.is_control() || *c == '\\') {
        return bad(&format!("forbidden character U+{:04X}", c as u32));
    }
    for seg in key.split('/') {
        match seg {
            "" => return bad("empty path segment"),
            "." | ".." => return bad("'.' or '..' segment"),
            _ => {}
        }
    }
    Ok(())
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectKey({:?})", self.0)
    }
}

impl std::str::FromStr for ObjectKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<ObjectKey> {
        ObjectKey::new(s)
    }
}

impl TryFrom<&str> for ObjectKey {
    type Error = Error;
    fn try_from(s: &str) -> Result<ObjectKey> {
        ObjectKey::new(s)
    }
}

impl AsRef<str> for ObjectKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_refuses() {
        for ok in [
            "a",
            "a/b/c",
            "日本/語.txt",
            "x..y",
            ".hidden",
            "a b",
            "ü/..ü",
        ] {
            assert!(ObjectKey::new(ok).is_ok(), "{ok}");
        }
        for ko in [
            "", "/a", "a/", "a//b", "./a", "a/./b", "..", "a/../b", "a\\b", "a\0b", "a\nb",
        ] {
            let e = ObjectKey::new(ko).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{ko:?}");
        }
        assert!(ObjectKey::new("x".repeat(1024)).is_ok());
        assert!(ObjectKey::new("x".repeat(1025)).is_err());
    }
}
