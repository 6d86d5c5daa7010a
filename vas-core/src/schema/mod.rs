//! XSD 1.0 and RelaxNG validation, in pure Rust, with the official SEDA schemas bundled.
//!
//! # XSD
//!
//! [`SchemaSet`] is a compiled set of XSD 1.0 schema documents. The official SEDA 2.1,
//! 2.2 and 2.3 schemas (six files each, plus `xml.xsd` and `xlink.xsd`) are embedded in
//! the library and compiled once per process on first use ([`SchemaSet::seda`]); any
//! other schema, such as a user's extension schema declaring members of SEDA's abstract
//! substitution heads, is compiled with [`SchemaSet::builder`]. A compiled set is
//! `Send + Sync` and validates any number of documents, from any number of threads.
//!
//! The engine implements what the SEDA schemas use, in general form: sequence, choice
//! and all content models with occurrence bounds, complex type extension and restriction,
//! simple content, abstract elements and types, substitution groups, `xsi:type`,
//! `xsi:nil`, model and attribute groups, element and attribute wildcards with namespace
//! constraints and `processContents`, simple types with every XSD 1.0 facet (patterns
//! are translated from the XSD regular-expression dialect), lists, unions and the
//! built-in datatypes, and identity constraints (`xs:key`, `xs:keyref`, `xs:unique`)
//! with the XPath subset of XSD 1.0 (`.//`, child steps, `*`, `prefix:*`, a final
//! `@attribute` in fields, `|` alternatives); key-sequences compare numbers and
//! booleans by value and other types by their whitespace-normalised form, and a
//! keyref is resolved against the key declared on the same element (as the tests
//! against xmllint check; tables propagated from descendant elements are not).
//! It does not implement `redefine` or block/final checks; schemas using `redefine`
//! are refused, the others are accepted and block/final ignored.
//! Content models are Glushkov automata over position sets, so they also work for
//! schemas that break the Unique Particle Attribution rule (Vitam's own schemas).
//!
//! Validation is streaming: memory does not grow with the number of elements, only
//! with the nesting depth and the largest text node, both capped ([`ValidationOptions`]).
//! Documents with a DTD are refused (nothing is fetched, no entity is expanded);
//! only the five predefined entities and character references are accepted.
//!
//! ## The verdict, and references
//!
//! [`Report::findings`] is the XSD verdict and matches libxml2's (`xmllint --schema`):
//! same documents valid and invalid. Duplicate `xsd:ID` values are part of it.
//! libxml2 does not check that an `xsd:IDREF` points to an existing `ID`; vas does,
//! and reports dangling references apart, in [`Report::reference_findings`], so the
//! XSD verdict stays comparable with libxml2 ([`Report::is_valid`] vs
//! [`Report::is_valid_with_references`]).
//!
//! ## Agreement with libxml2
//!
//! The strict verdict is tested equal to `xmllint --schema` (libxml2 2.9.14) on every
//! sample manifest, every manifest of Vitam's test SIPs, thousands of generated
//! mutants, and a corpus of built-in datatype values. Where libxml2 departs from the
//! letter of XSD 1.0, vas follows libxml2 so that verdicts agree (with the default
//! [`Processor::Libxml2`]; [`Mode::VitamLenient`] follows Xerces): `base64Binary`
//! ignores characters outside the base64 alphabet (RFC 2045 decoding), `anyURI` is an
//! RFC 3986 URI-reference after replacing characters never allowed in URIs, decimals
//! are limited to 24 significant digits, unsigned integer types take no sign, empty
//! `IDREFS`/`NMTOKENS` are accepted, and a `complexContent` extension of a
//! simple-content type that adds no particle keeps the simple content (SEDA's
//! `CustodialHistoryItemType` relies on it).
//!
//! ## Modes
//!
//! [`Mode::Strict`] uses the official schemas unchanged. [`Mode::VitamLenient`] accepts
//! what Vitam's ingest accepts (tested: every manifest that Vitam 7.0.1's test suite
//! ingests with status OK or WARNING passes, 18 of them fail strict validation).
//! Its built-in datatypes are Xerces's ([`Processor::Xerces`]: Vitam validates with
//! Xerces 2.12 in XSD 1.1 mode), tested value by value against Xerces itself
//! (`tests/schema_xerces_oracle.rs`); strict mode's are libxml2's ([`Processor::Libxml2`]).
//! Vitam validates with its own "vitam-validation" schemas, which XSD 1.0 processors
//! cannot compile (they are not deterministic); vas reproduces them:
//! - SEDA 2.1 and 2.2: vas compiles sedatools' lenient variants (bundled from
//!   `schemas/{2.1,2.2}/vitam-sedatools/`) with its non-deterministic automata. Against
//!   the official schemas they differ by:
//!   - every abstract extension point becomes "any element, any namespace, lax", with
//!     the same occurrences: `ObjectGroupExtenstionAbstract` at the end of `Content`
//!     (so `TextContent` in 2.1, or any extra element after the known children of
//!     `Content`, is accepted — and, the wildcard being unordered, also a known optional
//!     element out of its place), `OtherManagementAbstract` at the end of
//!     `Management`, `EventAbstract` at the end of `Event`, `OtherCodeListAbstract` in
//!     `CodeListVersions`, `OtherDimensionsAbstract`, `OtherCoreTechnicalMetadataAbstract`;
//!   - `OpenType`'s wildcard accepts any namespace, so SEDA elements are allowed
//!     inside `OrganizationDescriptiveMetadata` and the like;
//!   - `Management` declares Vitam's `UpdateOperation` and `HoldRule`;
//!   - 2.2: `IdentifierType` is based on `xsd:token` (empty identifiers accepted) but
//!     `MessageIdentifier` must be non-empty; the unit-reference abstract point is a
//!     `DataObjectGroup` reference or any element;
//!   - elements accepted by a lax wildcard are validated against their global
//!     declaration when one exists, otherwise skipped.
//! - SEDA 2.3 (no lenient variant is published): the official schema is compiled with
//!   the same transformation applied generically: (1) an abstract element that has no
//!   concrete substitution-group member becomes an "any element, any namespace, lax"
//!   wildcard with the same occurrence bounds (this covers `UpdateOperation` in
//!   `Management` and extra `Content` children); (2) `##other` wildcards accept any
//!   namespace; (3) an abstract complex type whose content is only wildcards
//!   (`OpenType`) is usable without `xsi:type` (a bare `SigningInformation/Extended`).
//!
//! # RelaxNG
//!
//! [`RelaxNg`] validates a document against an archival profile in RelaxNG XML syntax
//! with the XSD datatype library, using James Clark's derivative algorithm, streaming.
//! Attributes typed `xsd:ID` must have unique values (RELAX NG DTD compatibility, as
//! libxml2 and Jing's command line enforce). Its verdict is tested equal to
//! `xmllint --relaxng` on the bundled profiles and on mutants of Vitam's checkProfil
//! manifest. With [`Processor::Jing`] ([`RelaxNg::with_processor`]) its datatypes are
//! Jing's — how Vitam checks profiles, through JAXP — tested against Jing on the datatype
//! corpus and the same mutants: equal but for ID uniqueness, which that path of Jing does
//! not check.
//!
//! ```
//! use vas_core::schema::{SchemaSet, SedaVersion};
//!
//! let xsd = SchemaSet::seda(SedaVersion::V2_3)?;
//! let manifest = br#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3">
//!   <Date>2024-06-01</Date></ArchiveTransfer>"#;
//! let report = xsd.validate_bytes(manifest);
//! assert!(!report.is_valid());
//! // a header Date needs a time, and the message is incomplete
//! assert!(report.findings[0].message.contains("xsd:dateTime"));
//! assert_eq!(report.findings[0].path, "/ArchiveTransfer/Date");
//! # Ok::<(), vas_core::Error>(())
//! ```

mod dom;
mod input;
mod regex_xsd;
mod rng;
mod types;
mod validate;
mod xsd;

use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

pub use rng::RelaxNg;

use crate::{Error, ErrorKind, Result};

/// A SEDA version with bundled schemas: the same type as [`crate::seda::SedaVersion`].
pub use crate::seda::SedaVersion;

/// Which flavour of the SEDA schemas to validate with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The official schemas, unchanged (the verdict agrees with `xmllint --schema`).
    #[default]
    Strict,
    /// What Vitam's ingest accepts (see the [module documentation](self)).
    VitamLenient,
}

impl Mode {
    /// The processor whose verdicts the mode reproduces: [`Processor::Libxml2`] for
    /// [`Mode::Strict`] (its verdict agrees with xmllint), [`Processor::Xerces`] for
    /// [`Mode::VitamLenient`] (Vitam validates with Xerces).
    pub fn processor(self) -> Processor {
        match self {
            Mode::Strict => Processor::Libxml2,
            Mode::VitamLenient => Processor::Xerces,
        }
    }

    /// The processor whose verdicts a RelaxNG archival profile reproduces in this mode:
    /// [`Processor::Libxml2`] in [`Mode::Strict`] (`xmllint --relaxng`),
    /// [`Processor::Jing`] in [`Mode::VitamLenient`] (Vitam checks profiles with Jing).
    pub fn profile_processor(self) -> Processor {
        match self {
            Mode::Strict => Processor::Libxml2,
            Mode::VitamLenient => Processor::Jing,
        }
    }
}

impl FromStr for Mode {
    type Err = Error;
    /// Accepts "strict", "vitam" or "vitam-lenient".
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strict" => Ok(Mode::Strict),
            "vitam" | "vitam-lenient" | "lenient" => Ok(Mode::VitamLenient),
            _ => Err(Error::invalid(format!(
                "unknown validation mode '{s}' (expected strict or vitam)"
            ))),
        }
    }
}

/// Which XSD processor's verdict to reproduce where processors differ.
///
/// The two reference processors of vas disagree on a few lexical corners of the built-in
/// types, and Xerces (in XSD 1.1 mode) checks one more rule on elements matched by a
/// wildcard; each variant reproduces one of them (tested against it: value by value for
/// the datatypes, on mutated manifests for the whole verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Processor {
    /// XSD 1.0 as libxml2 (`xmllint --schema`) checks it: `anyURI` must be an RFC 3986
    /// reference once characters never allowed in a URI are replaced; `base64Binary` ignores
    /// characters outside its alphabet; decimals and integers have at most 24 significant
    /// digits; the unsigned types take no sign; empty `NMTOKENS` and `IDREFS` are accepted;
    /// year 0000 is refused. The default, and [`Mode::Strict`]'s.
    #[default]
    Libxml2,
    /// XSD 1.1 as Xerces 2.12 checks it — the validator Vitam runs (`SchemaFactory` for
    /// `http://www.w3.org/XML/XMLSchema/v1.1`): any string is an `anyURI`; `base64Binary`
    /// admits only its alphabet, `=` and spaces; decimals and integers have any number of
    /// digits; `+1` and `-0` are unsigned integers; `+INF` is a float; year 0000 (and
    /// `-0000`) is a year but a year must fit in 32 bits; seconds may start with a point
    /// (`PT.5S`); `--MM--` is a `gMonth`; empty `NMTOKENS` and `IDREFS` are refused.
    /// And XSD 1.1's *Element Declarations Consistent* (`cos-element-consistent.4.a`): an
    /// element that a (lax or strict) wildcard matches, where the same content model
    /// declares an element of that name, must have a type derived from that declaration's
    /// (the type of its global declaration or `xsi:type`, else `anyType`): a known element
    /// out of its place is not accepted by a wildcard. [`Mode::VitamLenient`]'s.
    Xerces,
    /// Jing's XSD datatypes — the RelaxNG validator Vitam checks archival profiles with
    /// (through JAXP): like Xerces, strict `base64Binary`, any number of digits, a sign on
    /// unsigned integers, `PT.5S`, empty `NMTOKENS`/`IDREFS` refused; its own `anyURI`
    /// (RFC 2396-like: `%` escapes, one `#`, a lettered scheme, brackets only around a
    /// host or in the query and fragment); no hour 24 but a 60th second and `10:00:00.`;
    /// `PT1.S`; no year 0000 and none beyond its Java-millisecond range. For [`RelaxNg`]
    /// ([`RelaxNg::with_processor`]); the XSD-only rules of [`Processor::Xerces`] do not
    /// apply.
    Jing,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// The document is not well-formed XML.
    Xml,
    /// A refused construct (DTD, entity declaration).
    Unsafe,
    /// A configured limit (depth, text size) was exceeded; validation stopped.
    Limit,
    /// The document does not conform to the XSD schema.
    Schema,
    /// The document does not conform to a RelaxNG profile.
    Profile,
    /// A reference (`xsd:IDREF`) does not resolve: a vas check on top of XSD.
    Reference,
}

impl FindingKind {
    /// Lower-case name used in JSON output ("xml", "schema", "reference" …).
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::Xml => "xml",
            FindingKind::Unsafe => "unsafe",
            FindingKind::Limit => "limit",
            FindingKind::Schema => "schema",
            FindingKind::Profile => "profile",
            FindingKind::Reference => "reference",
        }
    }
}

/// One violation: where and what, in plain English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based line of the element (or of the XML error).
    pub line: u64,
    /// 1-based column (in bytes) of the element's `<`.
    pub column: u64,
    /// Element path, e.g. `/ArchiveTransfer/DataObjectPackage/DescriptiveMetadata/ArchiveUnit[@id='AU3']/Content/Title`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
    /// What kind of problem it is.
    pub kind: FindingKind,
}

impl fmt::Display for Finding {
    /// `LINE:COL: PATH: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, path, self.message
        )
    }
}

impl Finding {
    /// The finding as JSON: `{"line","column","path","message","kind"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "kind": self.kind.name(),
        })
    }

    /// The finding as a [`crate::Error`] of kind `Schema` (or `Xml`, `Unsafe`, `LimitExceeded`).
    pub fn to_error(&self) -> Error {
        let kind = match self.kind {
            FindingKind::Xml => ErrorKind::Xml,
            FindingKind::Unsafe => ErrorKind::Unsafe,
            FindingKind::Limit => ErrorKind::LimitExceeded,
            FindingKind::Reference => ErrorKind::InvalidInput,
            _ => ErrorKind::Schema,
        };
        Error::new(kind, self.message.clone())
            .with_element(self.path.clone())
            .at(self.line, self.column)
    }
}

/// The result of validating one document.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Violations of the schema (the verdict comparable with libxml2), and
    /// well-formedness, safety or limit problems.
    pub findings: Vec<Finding>,
    /// Dangling `xsd:IDREF` references: vas checks on top of XSD.
    pub reference_findings: Vec<Finding>,
    /// Whether findings were dropped because of [`ValidationOptions::max_findings`].
    pub truncated: bool,
    /// Namespace and local name of the root element, when one was read.
    pub root: Option<(String, String)>,
    /// Whether the whole document was read.
    pub complete: bool,
}

impl Report {
    /// Valid against the schema (no finding); references are not considered.
    pub fn is_valid(&self) -> bool {
        self.findings.is_empty() && !self.truncated
    }

    /// Valid against the schema and every reference resolves.
    pub fn is_valid_with_references(&self) -> bool {
        self.is_valid() && self.reference_findings.is_empty()
    }

    /// All findings, schema ones first.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().chain(self.reference_findings.iter())
    }

    /// The report as JSON: `{"valid", "valid_with_references", "truncated", "complete",
    /// "findings": [...], "reference_findings": [...]}`.
    ///
    /// ```
    /// use vas_core::schema::{SchemaSet, SedaVersion};
    /// let r = SchemaSet::seda(SedaVersion::V2_3)?.validate_bytes(b"<nope/>");
    /// let j = r.to_json();
    /// assert_eq!(j["valid"], false);
    /// assert_eq!(j["findings"][0]["kind"], "schema");
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "valid": self.is_valid(),
            "valid_with_references": self.is_valid_with_references(),
            "truncated": self.truncated,
            "complete": self.complete,
            "findings": self.findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
            "reference_findings": self.reference_findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        })
    }
}

/// Limits and switches of a validation.
#[derive(Debug, Clone)]
pub struct ValidationOptions {
    /// Stop after this many findings (default 1000).
    pub max_findings: usize,
    /// Maximum element nesting depth (default 512).
    pub max_depth: usize,
    /// Maximum size in bytes of one text node or tag (default 64 MiB).
    pub max_text: usize,
    /// Check that every `xsd:IDREF` resolves (default true).
    pub check_references: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            max_findings: 1000,
            max_depth: 512,
            max_text: 64 << 20,
            check_references: true,
        }
    }
}

/// A compiled set of XSD schemas. Cheap to share: `Send + Sync`.
pub struct SchemaSet {
    compiled: xsd::Compiled,
    label: String,
}

impl fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaSet")
            .field("label", &self.label)
            .field("types", &self.compiled.types.len())
            .field("elements", &self.compiled.elements.len())
            .finish()
    }
}

macro_rules! bundled {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/", $path)))),*]
    };
}

/// Every bundled schema file: (path under `schemas/`, text).
static BUNDLED: &[(&str, &str)] = bundled![
    "2.3/xml.xsd",
    "2.3/xlink.xsd",
    "2.1/seda-2.1-main.xsd",
    "2.1/seda-2.1-types.xsd",
    "2.1/seda-2.1-technical.xsd",
    "2.1/seda-2.1-management.xsd",
    "2.1/seda-2.1-ontology.xsd",
    "2.1/seda-2.1-descriptive.xsd",
    "2.2/seda-2.2-main.xsd",
    "2.2/seda-2.2-types.xsd",
    "2.2/seda-2.2-technical.xsd",
    "2.2/seda-2.2-management.xsd",
    "2.2/seda-2.2-ontology.xsd",
    "2.2/seda-2.2-descriptive.xsd",
    "2.3/seda-2.3-main.xsd",
    "2.3/seda-2.3-types.xsd",
    "2.3/seda-2.3-technical.xsd",
    "2.3/seda-2.3-management.xsd",
    "2.3/seda-2.3-ontology.xsd",
    "2.3/seda-2.3-descriptive.xsd",
    "2.1/vitam-sedatools/seda-vitam-2.1-main.xsd",
    "2.1/vitam-sedatools/seda-vitam-2.1-types.xsd",
    "2.1/vitam-sedatools/seda-vitam-2.1-technical.xsd",
    "2.1/vitam-sedatools/seda-vitam-2.1-management.xsd",
    "2.1/vitam-sedatools/seda-vitam-2.1-ontology.xsd",
    "2.1/vitam-sedatools/seda-vitam-2.1-descriptive.xsd",
    "2.2/vitam-sedatools/seda-vitam-2.2-main.xsd",
    "2.2/vitam-sedatools/seda-vitam-2.2-types.xsd",
    "2.2/vitam-sedatools/seda-vitam-2.2-technical.xsd",
    "2.2/vitam-sedatools/seda-vitam-2.2-management.xsd",
    "2.2/vitam-sedatools/seda-vitam-2.2-ontology.xsd",
    "2.2/vitam-sedatools/seda-vitam-2.2-descriptive.xsd",
];

/// The text of a bundled schema file, by its path under `schemas/`
/// (`2.3/seda-2.3-ontology.xsd`).
pub(crate) fn bundled_text(path: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

fn basename(s: &str) -> &str {
    s.rsplit(['/', '\\']).next().unwrap_or(s)
}

/// Finds a bundled schema by file name (or by namespace for xml/xlink).
fn bundled_source(loc: &str, ns: &str) -> Option<xsd::Source> {
    let bn = basename(loc);
    let by_ns = match ns {
        "http://www.w3.org/XML/1998/namespace" => Some("xml.xsd"),
        "http://www.w3.org/1999/xlink" => Some("xlink.xsd"),
        _ => None,
    };
    BUNDLED
        .iter()
        .find(|(p, _)| {
            (!bn.is_empty() && basename(p) == bn) || (bn.is_empty() && Some(basename(p)) == by_ns)
        })
        .map(|(p, t)| xsd::Source {
            location: p.to_string(),
            text: t.to_string(),
        })
}

/// Builds a [`SchemaSet`] from schema files or strings.
///
/// Includes and imports are resolved by file name: first among the added documents,
/// then next to the added files on disk, then among the bundled schemas (the SEDA
/// files of every version, `xml.xsd`, `xlink.xsd`). Nothing is ever downloaded.
///
/// ```
/// use vas_core::schema::SchemaSet;
///
/// let set = SchemaSet::builder()
///     .add_str("note.xsd", r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
///         <xs:element name="note">
///           <xs:complexType><xs:sequence>
///             <xs:element name="to" type="xs:NCName" maxOccurs="2"/>
///           </xs:sequence></xs:complexType>
///         </xs:element></xs:schema>"#)
///     .build()?;
/// assert!(set.validate_bytes(b"<note><to>a</to></note>").is_valid());
/// let r = set.validate_bytes(b"<note><to>a</to><to>b</to><to>c</to></note>");
/// assert_eq!(r.findings.len(), 1);
/// assert!(r.findings[0].message.contains("not expected"));
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct SchemaSetBuilder {
    files: Vec<PathBuf>,
    strings: Vec<(String, String)>,
    lenient: bool,
    processor: Option<Processor>,
}

impl SchemaSetBuilder {
    /// Adds a schema file (its includes/imports are followed).
    pub fn add_file(mut self, path: impl AsRef<Path>) -> Self {
        self.files.push(path.as_ref().to_path_buf());
        self
    }

    /// Adds a schema document given as text; `location` is its file name, used to
    /// resolve includes/imports that refer to it.
    pub fn add_str(mut self, location: &str, text: &str) -> Self {
        self.strings.push((location.to_string(), text.to_string()));
        self
    }

    /// Adds a bundled SEDA version's main schema (and, through it, the other files).
    pub fn add_seda(self, version: SedaVersion) -> Self {
        let loc = format!("seda-{}-main.xsd", version.as_str());
        self.add_bundled(&loc)
    }

    fn add_bundled(mut self, name: &str) -> Self {
        if let Some(s) = bundled_source(name, "") {
            self.strings.push((s.location, s.text));
        }
        self
    }

    /// Applies the Vitam-lenient transformation (see the [module documentation](self)),
    /// and, unless [`SchemaSetBuilder::processor`] says otherwise, Vitam's processor
    /// ([`Processor::Xerces`]).
    pub fn vitam_lenient(mut self, on: bool) -> Self {
        self.lenient = on;
        self
    }

    /// Which processor's verdict to reproduce (default: [`Processor::Libxml2`], or
    /// [`Processor::Xerces`] with [`SchemaSetBuilder::vitam_lenient`]).
    ///
    /// ```
    /// use vas_core::schema::{Processor, SchemaSet};
    /// let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
    ///   <xs:element name="n" type="xs:unsignedInt"/></xs:schema>"#;
    /// let libxml2 = SchemaSet::builder().add_str("n.xsd", xsd).build()?;
    /// let xerces = SchemaSet::builder().add_str("n.xsd", xsd).processor(Processor::Xerces).build()?;
    /// assert!(!libxml2.validate_bytes(b"<n>+1</n>").is_valid());
    /// assert!(xerces.validate_bytes(b"<n>+1</n>").is_valid());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn processor(mut self, p: Processor) -> Self {
        self.processor = Some(p);
        self
    }

    /// Compiles the set.
    pub fn build(self) -> Result<SchemaSet> {
        let mut sources = Vec::new();
        let mut dirs: Vec<PathBuf> = Vec::new();
        for f in &self.files {
            let text = std::fs::read_to_string(f).map_err(|e| Error::from(e).with_path(f))?;
            if let Some(d) = f.parent() {
                dirs.push(d.to_path_buf());
            }
            sources.push(xsd::Source {
                location: f.display().to_string(),
                text,
            });
        }
        for (l, t) in self.strings {
            sources.push(xsd::Source {
                location: l,
                text: t,
            });
        }
        let label = sources
            .first()
            .map(|s| basename(&s.location).to_string())
            .unwrap_or_default();
        let resolve = |loc: &str, ns: &str| -> Option<xsd::Source> {
            let bn = basename(loc);
            if !loc.contains("://") && !bn.is_empty() {
                for d in &dirs {
                    let p = d.join(loc);
                    if let Ok(text) = std::fs::read_to_string(&p) {
                        return Some(xsd::Source {
                            location: p.display().to_string(),
                            text,
                        });
                    }
                }
            }
            bundled_source(loc, ns)
        };
        let mut compiled = xsd::compile(
            sources,
            &resolve,
            xsd::CompileOptions {
                lenient: self.lenient,
            },
        )?;
        compiled.processor = self.processor.unwrap_or(if self.lenient {
            Processor::Xerces
        } else {
            Processor::Libxml2
        });
        Ok(SchemaSet { compiled, label })
    }
}

static SEDA_SETS: [OnceLock<std::result::Result<SchemaSet, (ErrorKind, String)>>; 6] = [
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
    OnceLock::new(),
];

impl SchemaSet {
    /// A builder for a schema set.
    pub fn builder() -> SchemaSetBuilder {
        SchemaSetBuilder::default()
    }

    /// The official SEDA schemas of `version` (strict), compiled once per process.
    ///
    /// ```
    /// use vas_core::schema::{SchemaSet, SedaVersion};
    /// let set = SchemaSet::seda(SedaVersion::V2_2)?;
    /// assert!(std::ptr::eq(set, SchemaSet::seda(SedaVersion::V2_2)?)); // cached
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn seda(version: SedaVersion) -> Result<&'static SchemaSet> {
        SchemaSet::seda_mode(version, Mode::Strict)
    }

    /// The SEDA schemas of `version` in `mode`, compiled once per process.
    ///
    /// ```
    /// use vas_core::schema::{Mode, SchemaSet, SedaVersion};
    /// // SEDA 2.1 has no TextContent; Vitam accepts it after the known Content children.
    /// let doc = br#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
    ///   <Date>2024-01-01T00:00:00</Date><MessageIdentifier>m</MessageIdentifier>
    ///   <ArchivalAgreement>a</ArchivalAgreement><CodeListVersions/>
    ///   <DataObjectPackage><DescriptiveMetadata><ArchiveUnit id="u">
    ///     <Content><Title>t</Title><TextContent>x</TextContent></Content>
    ///   </ArchiveUnit></DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>
    ///   <ArchivalAgency><Identifier>a</Identifier></ArchivalAgency>
    ///   <TransferringAgency><Identifier>t</Identifier></TransferringAgency>
    /// </ArchiveTransfer>"#;
    /// let strict = SchemaSet::seda_mode(SedaVersion::V2_1, Mode::Strict)?;
    /// let vitam = SchemaSet::seda_mode(SedaVersion::V2_1, Mode::VitamLenient)?;
    /// assert!(!strict.validate_bytes(doc).is_valid());
    /// assert!(vitam.validate_bytes(doc).is_valid());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn seda_mode(version: SedaVersion, mode: Mode) -> Result<&'static SchemaSet> {
        let idx = match version {
            SedaVersion::V2_1 => 0,
            SedaVersion::V2_2 => 1,
            SedaVersion::V2_3 => 2,
        } + if mode == Mode::VitamLenient { 3 } else { 0 };
        // The bundled sets are decoded from their precompiled form (what compiling the
        // bundled XSD texts gives, generated and checked by a test), not compiled.
        let r = SEDA_SETS[idx].get_or_init(|| {
            let key = xsd::precompiled::key(version.as_str(), mode == Mode::VitamLenient);
            xsd::precompiled::decode_bundled(&key)
                .map(|mut compiled| {
                    compiled.processor = mode.processor();
                    SchemaSet {
                        compiled,
                        label: format!("SEDA {version} ({mode:?})"),
                    }
                })
                .map_err(|e| (e.kind(), e.to_string()))
        });
        match r {
            Ok(s) => Ok(s),
            Err((k, m)) => Err(Error::new(*k, m.clone())),
        }
    }

    /// The SEDA schemas of `version` in `mode` compiled from the bundled XSD texts (what
    /// the precompiled sets of [`SchemaSet::seda_mode`] are generated from; not cached).
    #[cfg(test)]
    pub(crate) fn compile_bundled(version: SedaVersion, mode: Mode) -> Result<SchemaSet> {
        let b = SchemaSet::builder();
        let b = match (mode, version) {
            (Mode::VitamLenient, SedaVersion::V2_1) => b.add_bundled("seda-vitam-2.1-main.xsd"),
            (Mode::VitamLenient, SedaVersion::V2_2) => b.add_bundled("seda-vitam-2.2-main.xsd"),
            (Mode::VitamLenient, SedaVersion::V2_3) => b.add_seda(version).vitam_lenient(true),
            (Mode::Strict, _) => b.add_seda(version),
        };
        b.processor(mode.processor()).build().map(|mut s| {
            s.label = format!("SEDA {version} ({mode:?})");
            s
        })
    }

    /// A short description of the set ("SEDA 2.3 (Strict)" or the first file name).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The target namespaces of the compiled documents.
    pub fn target_namespaces(&self) -> Vec<String> {
        let mut v = self.compiled.target_namespaces.clone();
        v.sort();
        v.dedup();
        v
    }

    /// Validates a document held in memory, with default options.
    pub fn validate_bytes(&self, xml: &[u8]) -> Report {
        validate::Validator::new(&self.compiled, &ValidationOptions::default()).run(xml)
    }

    /// Validates a document from a buffered reader (streaming).
    pub fn validate_reader<R: BufRead>(&self, input: R, opts: &ValidationOptions) -> Report {
        validate::Validator::new(&self.compiled, opts).run(input)
    }

    /// Validates a file (streaming). I/O errors opening the file are `Err`.
    ///
    /// ```no_run
    /// use vas_core::schema::{SchemaSet, SedaVersion, ValidationOptions};
    /// let report = SchemaSet::seda(SedaVersion::V2_3)?
    ///     .validate_file("manifest.xml", &ValidationOptions::default())?;
    /// for f in &report.findings { println!("{f}"); }
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn validate_file(
        &self,
        path: impl AsRef<Path>,
        opts: &ValidationOptions,
    ) -> Result<Report> {
        let p = path.as_ref();
        let f = std::fs::File::open(p).map_err(|e| Error::from(e).with_path(p))?;
        Ok(self.validate_reader(std::io::BufReader::with_capacity(1 << 16, f), opts))
    }
}

/// Detects the SEDA version of a manifest from the namespace of its root element.
///
/// ```
/// use vas_core::schema::{detect_seda_version, SedaVersion};
/// let v = detect_seda_version(br#"<?xml version="1.0"?>
///   <ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2"/>"#.as_slice())?;
/// assert_eq!(v, SedaVersion::V2_2);
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn detect_seda_version<R: BufRead>(input: R) -> Result<SedaVersion> {
    let limits = input::Limits {
        max_depth: 512,
        max_text: 64 << 20,
    };
    let mut x = input::XmlInput::new(input, limits);
    loop {
        match x.next() {
            Ok(input::XEvent::Start {
                ns,
                local,
                line,
                col,
                ..
            }) => {
                return SedaVersion::from_namespace(&ns).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Unsupported,
                        format!(
                            "the root element <{local}> is in namespace '{ns}', which is not a supported SEDA version (2.1, 2.2, 2.3)"
                        ),
                    )
                    .at(line, col)
                });
            }
            Ok(input::XEvent::Eof) => {
                return Err(Error::new(
                    ErrorKind::Xml,
                    "the document has no root element",
                ));
            }
            Ok(_) => {}
            Err(p) => return Err(input::problem_to_error(p, "cannot read the document")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn schema_set_is_send_sync() {
        assert_send_sync::<SchemaSet>();
        assert_send_sync::<RelaxNg>();
    }

    /// The verdict cache of simple values answers exactly what an uncached check does,
    /// on the first (miss) and second (hit) look-up, for every simple type of SEDA 2.3.
    #[test]
    fn value_cache_agrees_with_the_uncached_check() {
        let set = SchemaSet::seda(SedaVersion::V2_3).unwrap();
        let c = &set.compiled;
        let values = [
            "",
            " ",
            "Item",
            "RecordGrp",
            "item",
            "1900-01-01",
            "1900-13-01",
            " 1900-01-01 ",
            "2020-01-01T00:00:00",
            "2020-01-01T25:00:00",
            "fr",
            "fr-FR",
            "f r",
            "123",
            "-1",
            "0",
            "+5",
            "1.5",
            "true",
            "false",
            "yes",
            "SHA-512",
            "MD5",
            "fmt/18",
            "application/pdf",
            "BinaryMaster_1",
            "BinaryMaster_x",
            "AU-0-1",
            "1AU",
            "a b",
            "P1Y",
            "Keep",
            "Destroy",
            "APP-00001",
            "abcdef0123",
            "Zm9v",
            "x\ty",
            "  a  b ",
        ];
        let mut cache = types::ValueCache::default();
        let mut hits = 0;
        for (ty, t) in c.types.iter().enumerate() {
            if !matches!(t, xsd::TypeDef::Simple(_)) {
                continue;
            }
            for v in values {
                let mut want_ids = types::ValueIds::default();
                let want = types::validate_into(c, ty, v, &mut want_ids);
                let want_ids: Vec<(bool, String)> =
                    want_ids.iter().map(|(b, s)| (b, s.to_string())).collect();
                for round in 0..2 {
                    let mut ids = types::ValueIds::default();
                    let got = cache.validate_into(c, ty, v, &mut ids);
                    let got_ids: Vec<(bool, String)> =
                        ids.iter().map(|(b, s)| (b, s.to_string())).collect();
                    assert_eq!(
                        got.is_ok(),
                        want.is_ok(),
                        "type {ty}, value {v:?}, round {round}"
                    );
                    if let (Err(a), Err(b)) = (&got, &want) {
                        assert_eq!(a, b, "type {ty}, value {v:?}");
                    }
                    assert_eq!(got_ids, want_ids, "type {ty}, value {v:?}, round {round}");
                    hits += usize::from(round == 1 && want.is_ok());
                }
            }
        }
        assert!(hits > 100, "too few valid values exercised: {hits}");
    }

    #[test]
    fn all_bundled_sets_compile() {
        for v in SedaVersion::ALL {
            for m in [Mode::Strict, Mode::VitamLenient] {
                let s = SchemaSet::seda_mode(v, m);
                assert!(s.is_ok(), "{v} {m:?}: {:?}", s.err());
            }
        }
    }
}
