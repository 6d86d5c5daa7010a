//! The one error type of vas-core.
//!
//! Every fallible function of vas-core returns [`Result<T>`], whose error is [`Error`]: a
//! flat [`ErrorKind`] (the contract with the bindings), a human message, a [`Context`]
//! (file path, element path, line/column, identifier, Vitam outcome code) and an optional
//! source error.
//!
//! [`ErrorKind`] is the single table from which the bindings derive their error surface:
//! [`ErrorKind::python_class`] (all subclasses of `vas.VasError`),
//! [`ErrorKind::js_code`] (`err.code` in Node) and [`ErrorKind::c_code`] (the stable
//! `vas_result` value of the C ABI). Those three mappings are part of the public contract:
//! a kind's values never change and are never reused.
//!
//! ```
//! use vas_core::error::{Error, ErrorKind};
//!
//! let err = Error::new(ErrorKind::Integrity, "digest mismatch")
//!     .with_path("Content/a.pdf")
//!     .with_id("BDO1");
//! assert_eq!(err.kind(), ErrorKind::Integrity);
//! assert_eq!(err.kind().js_code(), "VAS_INTEGRITY");
//! assert!(err.to_string().contains("Content/a.pdf"));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// The result type of vas-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a flat list shared with every binding.
///
/// New kinds may be added (hence `#[non_exhaustive]`); existing kinds keep their name,
/// Python class, JS code and C code forever.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// An argument or an input document is not acceptable (bad value, missing field,
    /// wrong reference, malformed CSV line …).
    InvalidInput,
    /// A document is not well-formed XML, or uses a refused XML feature (DTD, entities).
    Xml,
    /// A document does not conform to its schema (XSD, RelaxNG profile, SEDA version).
    Schema,
    /// A digest or a size does not match what was declared.
    Integrity,
    /// Something that was asked for does not exist (file, entry, unit, object, rule).
    NotFound,
    /// Something that must be created already exists.
    AlreadyExists,
    /// A write-once object already exists with different content, or a concurrent
    /// change conflicts with this one.
    Conflict,
    /// A valid request for a feature, version or format vas does not support.
    Unsupported,
    /// An operating-system I/O failure.
    Io,
    /// Stored data is damaged (truncated archive, broken chain, corrupt copy).
    Corrupt,
    /// The caller is not allowed to do this (access contract, permissions).
    Denied,
    /// Hostile content was refused (path traversal, link entries, absolute paths).
    Unsafe,
    /// A configured limit was exceeded (sizes, ratios, entry counts, nesting depth).
    LimitExceeded,
    /// A remote service (storage offer) could not be reached or answered badly.
    Unavailable,
    /// A bug in vas: an invariant was broken. Please report it.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the order of their C codes.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::InvalidInput,
        ErrorKind::Xml,
        ErrorKind::Schema,
        ErrorKind::Integrity,
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::Conflict,
        ErrorKind::Unsupported,
        ErrorKind::Io,
        ErrorKind::Corrupt,
        ErrorKind::Denied,
        ErrorKind::Unsafe,
        ErrorKind::LimitExceeded,
        ErrorKind::Unavailable,
        ErrorKind::Internal,
    ];

    fn row(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static str,
        i32,
        Option<&'static str>,
    ) {
        // (name, python class, js code, c code, python builtin base)
        match self {
            ErrorKind::InvalidInput => (
                "InvalidInput",
                "InvalidInputError",
                "VAS_INVALID_INPUT",
                1,
                Some("ValueError"),
            ),
            ErrorKind::Xml => ("Xml", "XmlError", "VAS_XML", 2, Some("ValueError")),
            ErrorKind::Schema => ("Schema", "SchemaError", "VAS_SCHEMA", 3, Some("ValueError")),
            ErrorKind::Integrity => ("Integrity", "IntegrityError", "VAS_INTEGRITY", 4, None),
            ErrorKind::NotFound => (
                "NotFound",
                "NotFoundError",
                "VAS_NOT_FOUND",
                5,
                Some("FileNotFoundError"),
            ),
            ErrorKind::AlreadyExists => (
                "AlreadyExists",
                "AlreadyExistsError",
                "VAS_ALREADY_EXISTS",
                6,
                Some("FileExistsError"),
            ),
            ErrorKind::Conflict => ("Conflict", "ConflictError", "VAS_CONFLICT", 7, None),
            ErrorKind::Unsupported => (
                "Unsupported",
                "UnsupportedError",
                "VAS_UNSUPPORTED",
                8,
                Some("NotImplementedError"),
            ),
            ErrorKind::Io => ("Io", "IoError", "VAS_IO", 9, Some("OSError")),
            ErrorKind::Corrupt => ("Corrupt", "CorruptError", "VAS_CORRUPT", 10, None),
            ErrorKind::Denied => (
                "Denied",
                "DeniedError",
                "VAS_DENIED",
                11,
                Some("PermissionError"),
            ),
            ErrorKind::Unsafe => ("Unsafe", "UnsafeError", "VAS_UNSAFE", 12, None),
            ErrorKind::LimitExceeded => (
                "LimitExceeded",
                "LimitExceededError",
                "VAS_LIMIT_EXCEEDED",
                13,
                None,
            ),
            ErrorKind::Unavailable => (
                "Unavailable",
                "UnavailableError",
                "VAS_UNAVAILABLE",
                14,
                Some("ConnectionError"),
            ),
            ErrorKind::Internal => ("Internal", "InternalError", "VAS_INTERNAL", 15, None),
        }
    }

    /// The kind's stable name, e.g. `"NotFound"`.
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// The Python exception class of this kind (a subclass of `vas.VasError`).
    pub fn python_class(self) -> &'static str {
        self.row().1
    }

    /// The Python builtin exception the class also derives from, when there is a natural
    /// one (e.g. `FileNotFoundError` for [`ErrorKind::NotFound`]).
    pub fn python_builtin(self) -> Option<&'static str> {
        self.row().4
    }

    /// The Node `err.code` of this kind, e.g. `"VAS_NOT_FOUND"`.
    pub fn js_code(self) -> &'static str {
        self.row().2
    }

    /// The stable C result code (`vas_result`) of this kind. `0` is reserved for success.
    pub fn c_code(self) -> i32 {
        self.row().3
    }

    /// The kind with the given C code.
    pub fn from_c_code(code: i32) -> Option<ErrorKind> {
        Self::ALL.iter().copied().find(|k| k.c_code() == code)
    }

    /// The kind with the given stable name.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where an error happened. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// A file path, or an entry name inside a package.
    pub path: Option<PathBuf>,
    /// The element path inside an XML document, e.g.
    /// `/ArchiveTransfer/DataObjectPackage/DescriptiveMetadata/ArchiveUnit[@id='AU3']/Content/Title`.
    pub element: Option<String>,
    /// 1-based line in the document.
    pub line: Option<u64>,
    /// 1-based column in the document.
    pub column: Option<u64>,
    /// An identifier: a manifest id, a system id, a key, a rule id.
    pub id: Option<String>,
    /// A Vitam outcome code when the error corresponds to one, e.g. `CHECK_DIGEST.KO`.
    pub code: Option<String>,
}

impl Context {
    fn is_empty(&self) -> bool {
        *self == Context::default()
    }
}

/// The error of vas-core: a kind, a message, a context and an optional source.
pub struct Error {
    kind: ErrorKind,
    message: String,
    context: Box<Context>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a plain-language `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            context: Box::default(),
            source: None,
        }
    }

    /// Shorthand for `Error::new(ErrorKind::InvalidInput, message)`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for `Error::new(ErrorKind::Internal, message)`.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// The error of an operation its caller asked to stop through a cancel flag (e.g.
    /// `BuildOptions::cancel`): kind `Io`, like an interrupted system call. Nothing the
    /// operation was writing is left behind.
    pub fn cancelled() -> Self {
        Error::new(ErrorKind::Io, "the operation was cancelled by its caller")
    }

    /// `Err(Error::cancelled())` when `flag` is set and true.
    pub fn check_cancel(flag: Option<&std::sync::atomic::AtomicBool>) -> Result<()> {
        match flag {
            Some(f) if f.load(std::sync::atomic::Ordering::Relaxed) => Err(Error::cancelled()),
            _ => Ok(()),
        }
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The context of this error.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Sets the file path or package entry name.
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Self {
        self.context.path = Some(path.as_ref().to_path_buf());
        self
    }

    /// Sets the element path inside an XML document.
    pub fn with_element(mut self, element: impl Into<String>) -> Self {
        self.context.element = Some(element.into());
        self
    }

    /// Sets the 1-based line and column.
    pub fn at(mut self, line: u64, column: u64) -> Self {
        self.context.line = Some(line);
        self.context.column = Some(column);
        self
    }

    /// Sets the identifier the error is about.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.context.id = Some(id.into());
        self
    }

    /// Sets the Vitam outcome code the error corresponds to.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.context.code = Some(code.into());
        self
    }

    /// Sets the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Sets the path only when none is set yet (used when an error bubbles up through
    /// a layer that knows the file).
    pub fn or_path(mut self, path: impl AsRef<Path>) -> Self {
        if self.context.path.is_none() {
            self.context.path = Some(path.as_ref().to_path_buf());
        }
        self
    }

    /// The message (with its context) followed by the cause chain, each cause once: a cause
    /// whose text is already said (an I/O error wrapped with its own text) is not repeated.
    /// This is the message every binding shows.
    pub fn chain(&self) -> String {
        let mut s = self.to_string();
        let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(self);
        while let Some(e) = cur {
            let text = e.to_string();
            if !text.is_empty() && !s.contains(&text) {
                s.push_str(": ");
                s.push_str(&text);
            }
            cur = e.source();
        }
        s
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if !self.context.is_empty() {
            d.field("context", &self.context);
        }
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let c = &*self.context;
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = &c.path {
            let mut s = p.display().to_string();
            if let Some(l) = c.line {
                s.push_str(&format!(":{l}"));
                if let Some(col) = c.column {
                    s.push_str(&format!(":{col}"));
                }
            }
            parts.push(s);
        } else if let Some(l) = c.line {
            match c.column {
                Some(col) => parts.push(format!("line {l}, column {col}")),
                None => parts.push(format!("line {l}")),
            }
        }
        if let Some(e) = &c.element {
            parts.push(e.clone());
        }
        if let Some(id) = &c.id {
            parts.push(format!("id {id}"));
        }
        if let Some(code) = &c.code {
            parts.push(code.clone());
        }
        if !parts.is_empty() {
            write!(f, " (at {})", parts.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
            std::io::ErrorKind::PermissionDenied => ErrorKind::Denied,
            std::io::ErrorKind::InvalidData => ErrorKind::Corrupt,
            std::io::ErrorKind::UnexpectedEof => ErrorKind::Corrupt,
            _ => ErrorKind::Io,
        };
        let message = e.to_string();
        Error::new(kind, message).with_source(e)
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        let kind = match e.kind {
            ErrorKind::NotFound => std::io::ErrorKind::NotFound,
            ErrorKind::AlreadyExists => std::io::ErrorKind::AlreadyExists,
            ErrorKind::Denied => std::io::ErrorKind::PermissionDenied,
            ErrorKind::Integrity | ErrorKind::Corrupt => std::io::ErrorKind::InvalidData,
            ErrorKind::InvalidInput => std::io::ErrorKind::InvalidInput,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_stable() {
        let mut c = HashSet::new();
        let mut js = HashSet::new();
        let mut py = HashSet::new();
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(k.c_code(), i as i32 + 1, "C codes follow ALL's order");
            assert!(c.insert(k.c_code()));
            assert!(js.insert(k.js_code()));
            assert!(py.insert(k.python_class()));
            assert!(k.python_class().ends_with("Error"));
            assert!(k.js_code().starts_with("VAS_"));
            assert_eq!(ErrorKind::from_c_code(k.c_code()), Some(*k));
            assert_eq!(ErrorKind::from_name(k.name()), Some(*k));
        }
        assert_eq!(ErrorKind::from_c_code(0), None);
        // Pin a few values: they are a public contract.
        assert_eq!(ErrorKind::NotFound.c_code(), 5);
        assert_eq!(ErrorKind::Internal.c_code(), 15);
        assert_eq!(ErrorKind::Integrity.js_code(), "VAS_INTEGRITY");
        assert_eq!(
            ErrorKind::NotFound.python_builtin(),
            Some("FileNotFoundError")
        );
    }

    #[test]
    fn display_includes_context() {
        let e = Error::new(ErrorKind::Schema, "unexpected element Foo")
            .with_path("manifest.xml")
            .at(12, 5)
            .with_element("/ArchiveTransfer/Foo");
        assert_eq!(
            e.to_string(),
            "unexpected element Foo (at manifest.xml:12:5, /ArchiveTransfer/Foo)"
        );
        let e = Error::new(ErrorKind::Xml, "bad").at(3, 4);
        assert_eq!(e.to_string(), "bad (at line 3, column 4)");
    }

    #[test]
    fn io_errors_map_to_kinds() {
        let e: Error = std::io::Error::new(std::io::ErrorKind::NotFound, "nope").into();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.chain().contains("nope"));
        assert_eq!(e.chain().matches("nope").count(), 1, "{}", e.chain());
        let e = Error::new(ErrorKind::Io, "cannot read").with_source(std::io::Error::other("disk"));
        assert_eq!(e.chain(), "cannot read: disk");
        let e: Error = std::io::Error::other("x").into();
        assert_eq!(e.kind(), ErrorKind::Io);
    }
}
