//! The typed SEDA 2.1 / 2.2 / 2.3 model with lossless round-trip.
//!
//! # Design
//! - **One model for the three versions.** The version is read from the root namespace
//!   (`fr:gouv:culture:archivesdefrance:seda:v2.1|v2.2|v2.3`; anything else is an
//!   [`ErrorKind::Unsupported`](crate::ErrorKind) error). Version-specific children are
//!   *gated*: each child of each type knows the versions that define it (`HoldRule`,
//!   `Agent`, `TextContent`, `DataObjectProfile` from 2.2; `SigningInformation`,
//!   `PersistentIdentifier`, `DataObjectUse`, `DataObjectNumber` from 2.3; `Signature` in
//!   `Content` until 2.2). When reading, a child that the document's version lacks is kept
//!   as a raw element (e.g. Vitam's `TextContent` in 2.1); when writing to a version that
//!   lacks a typed child, [`Document::write_to`] fails with `Unsupported` naming the element.
//! - **Ordered lists of typed children.** Every complex element is `{ meta, items }` where
//!   `items` is a `Vec` of a per-type enum (generated from a one-line-per-child table), so
//!   document order, interleavings (`Rule`/`StartDate` pairs, group/object choices, nested
//!   units vs references) and unknown or extension elements (`Other(RawElement)`), comments
//!   and PIs (`Misc`) stay exactly where they were. Setters insert at the schema-canonical
//!   position, so documents built from code come out in valid order.
//! - **Leaves** are [`Text`]: the exact lexical value (dates like `2019` or `2019-05`,
//!   digests in their case, decimals) plus every attribute in order.
//! - [`ElementMeta`] keeps the prefix and every attribute (namespace declarations,
//!   `xsi:schemaLocation`, `id`, …) of each typed element.
//! - Whitespace-only text between elements is not kept; output is re-indented.
//!   Comments and PIs *inside leaf elements* are kept with their offset in the text
//!   ([`ElementMeta::inner_misc`]).
//! - **Streaming**: parsing is a pull parse over quick-xml events (no DOM), building the
//!   typed model directly. [`Document::from_reader`] reads the bytes into memory first.
//! - **Identity and graph**: [`Document::check_references`] reports duplicate ids,
//!   dangling IDREFs and unit cycles with element path and line; [`UnitGraph`] is the
//!   arena DAG of units (parents, children, roots, topological order, cycle).
//!
//!
//! # Known limitations
//! - Input must be UTF-8 (the de-facto encoding of SEDA manifests); output is always UTF-8
//!   with an `<?xml version="1.0" encoding="UTF-8"?>` declaration.
//! - Whitespace-only text between elements is not kept (output is re-indented); attribute
//!   values are normalised as XML requires (a literal newline in an attribute becomes a
//!   space when read; it is written back as a character reference).
//! - Leaf values are not checked against their XSD simple types here (enumerations,
//!   `positiveInteger`, …): that is the `schema` module's job; [`Text::as_date`],
//!   [`Text::as_u64`] give typed views.
//! - The model is strict about structure only where it must be: a known SEDA element
//!   appearing at an unexpected place is still parsed (document order is kept), and an
//!   element of a leaf type containing child elements is an [`ErrorKind::Xml`](crate::ErrorKind)
//!   error.
//!
//! ```
//! use vas_core::seda::{ArchiveTransfer, SedaVersion, Document};
//! let mut b = ArchiveTransfer::builder(SedaVersion::V2_3)
//!     .archival_agency("AG")
//!     .transferring_agency("TA")
//!     .archival_agreement("IC-1");
//! let mut root = b.unit("AU1");
//! root.content().title("Dossier").description_level("File");
//! let doc = b.build()?;
//! let xml = doc.to_string()?;
//! assert!(xml.contains("<Title>Dossier</Title>"));
//! assert_eq!(Document::from_str(&xml)?, doc);
//! # Ok::<(), vas_core::Error>(())
//! ```

mod builder;
pub(crate) mod core;
mod document;
mod graph;
mod model;

/// The string type of leaf values ([`Text::value`]) and attributes ([`crate::xml::Attr`]):
/// derefs to `&str`, stores up to 24 bytes inline (re-exported from `compact_str`).
pub use compact_str::CompactString;

pub use self::builder::{ContentBuilder, ObjectSpec, TransferBuilder, UnitBuilder};
pub use self::core::{
    AttrList, DateKind, Element, ElementMeta, SedaDate, SedaReader, SedaVersion, SedaWriter, Text,
    TextLike, Walk, Walkable,
};
pub use self::document::{ArchiveTransfer, Document, MessageKind, ReadOptions, read};
pub use self::graph::{DocIndex, Finding, FindingKind, Stats, UnitGraph};
pub use self::model::*;
