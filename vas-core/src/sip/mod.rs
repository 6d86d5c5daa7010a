//! Submission packages (SIPs): safe reading, streaming writing, building.
//!
//! # Reading
//!
//! [`SipReader::open`] reads a zip (zip64 and data-descriptor entries included), a tar, a
//! tar.gz, a tar.bz2 or an unpacked directory. The format is detected from the content
//! (magic bytes), never from the file name. Opening a package lists and checks every
//! entry without extracting anything to disk:
//!
//! - names that could escape the package (absolute paths, `..`, drive letters,
//!   backslashes, control characters) are refused with [`ErrorKind::Unsafe`](crate::ErrorKind::Unsafe);
//!   names that are not UTF-8 with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput);
//! - symbolic and hard links, devices and FIFOs are refused ([`ErrorKind::Unsafe`](crate::ErrorKind::Unsafe));
//! - duplicate entry names and zip entries sharing compressed bytes (overlapping "better
//!   zip bombs") are refused ([`ErrorKind::Unsafe`](crate::ErrorKind::Unsafe));
//! - [`Limits`] (total size, entry size, ratio, entry count, manifest size, name length,
//!   depth) stop decompression bombs with [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded),
//!   checked on the bytes actually produced;
//! - truncated archives and wrong CRCs give [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt).
//!
//! Each error names the entry (`context().path`) and carries the Vitam outcome code when
//! there is one (`context().code`, see [`codes`]).
//!
//! Vitam's container rules (manifest name, one file at the root, only a `Content`
//! folder, Vitam-safe file names, declared vs present files) are reported by
//! [`SipReader::check_container`] and [`SipReader::check_uris`] as a list of
//! [`Violation`]s carrying Vitam's codes.
//!
//! Zip local headers must agree with the central directory (streaming readers such as
//! Vitam's trust local headers), and no local entry may hide outside it.
//! [`SipReader::verify`] runs every package-level check Vitam makes before storing
//! anything — container rules, manifest well-formedness and SEDA version, object usages,
//! declared vs present files, each digest and size — without extracting the package.
//!
//! # Building
//!
//! [`SipBuilder`] holds a header, a DAG of archive units (descriptive metadata, dotted
//! ReSIP-style fields, management rules, raw sidecars) and objects from files, bytes or
//! readers. [`SipBuilder::import_folder`] follows ReSIP's on-disk conventions;
//! [`SipBuilder::import_csv`], [`SipBuilder::apply_csv`] and [`SipBuilder::export_csv`]
//! speak ReSIP's metadata CSV. Building hashes every object first (in parallel), writes the
//! manifest first, then streams the objects, re-hashing them to catch files changed in
//! between (see the `builder` notes on [`SipBuilder`]).
//!
//! # Writing
//!
//! [`PackageWriter`] streams entries into a zip (zip64 when needed) or a tar, hashing each
//! entry while it is written; memory stays flat whatever the file sizes. With
//! [`WriterOptions::deterministic`], timestamps and metadata are fixed so the same input
//! gives the same bytes.
//!
//! ```
//! use vas_core::digest::DigestAlgorithm;
//! use vas_core::sip::{ContainerKind, Limits, PackageFormat, PackageWriter, SipReader, WriterOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("sip.zip");
//! let mut w = PackageWriter::create(&path, WriterOptions::new(PackageFormat::Zip)).unwrap();
//! w.add_bytes("manifest.xml", b"<ArchiveTransfer/>").unwrap();
//! let written = w.add_bytes("Content/a.txt", b"hello").unwrap();
//! w.finish().unwrap();
//!
//! let mut r = SipReader::open(&path, Limits::default()).unwrap();
//! assert_eq!(r.container_kind(), ContainerKind::Zip);
//! assert_eq!(r.manifest_name(), Some("manifest.xml"));
//! assert!(r.check_container().is_ok());
//! let digests = r.hash_all(DigestAlgorithm::Sha512).unwrap();
//! assert_eq!(digests[1].name, "Content/a.txt");
//! assert_eq!(digests[1].digest, written.digest);
//! ```

mod builder;
mod csv;
mod folder;
mod limits;
mod names;
mod reader;
mod rules;
mod scan;
mod writer;
mod zipout;

pub use builder::{
    BATCH_FILE_MAX, BuildOptions, BuildReport, BuiltObject, FormatGuess, IdentifyFn, ObjectInput,
    Progress, ProgressFn, SipBuilder, UnitData, UnitId, bundled_format_identifier,
};
pub use csv::{CsvEncoding, CsvOptions, csv_defines_tree};
pub use folder::{FolderImport, FolderImportOptions};
pub use limits::Limits;
pub use names::{is_valid_manifest_name, is_vitam_safe_component};
pub(crate) use reader::ObjectStream;
pub use reader::{ContainerKind, Entry, EntryKind, ObjectDigest, SipReader};
pub use rules::{ContainerCheck, SipReport, Violation};
pub use scan::{DeclaredObject, ManifestSummary, scan_manifest};
pub use writer::{Compression, PackageFormat, PackageWriter, WriterOptions, WrittenEntry};

/// Prints `label` with the time since the first call (and since the previous one) on
/// standard error when the environment variable `VAS_SIP_TIMES` is set: a profiling aid
/// marking the phases of `vas sip build` (folder walk, objects, document, manifest, end).
/// Does nothing otherwise.
#[doc(hidden)]
pub fn trace_phase(label: &str) {
    use std::sync::{Mutex, OnceLock};
    use std::time::Instant;
    static ON: OnceLock<bool> = OnceLock::new();
    static LAST: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);
    if !*ON.get_or_init(|| std::env::var_os("VAS_SIP_TIMES").is_some()) {
        return;
    }
    let now = Instant::now();
    let Ok(mut last) = LAST.lock() else { return };
    let (start, prev) = last.unwrap_or((now, now));
    eprintln!(
        "[sip] {:8.1} ms (+{:7.1}) {label}",
        (now - start).as_secs_f64() * 1e3,
        (now - prev).as_secs_f64() * 1e3
    );
    *last = Some((start, now));
}

/// The Vitam outcome codes used by this module (`outDetail` values of Vitam's logbook).
pub mod codes {
    /// The container is not a zip, tar, tar.gz or tar.bz2.
    pub const CHECK_CONTAINER_KO: &str = "CHECK_CONTAINER.KO";
    /// The container could not be unpacked (corrupt, truncated, empty).
    pub const UPLOAD_SIP_KO: &str = "UPLOAD_SIP.KO";
    /// A file name contains a character Vitam does not allow (or escapes the package).
    pub const STP_UPLOAD_SIP_KO: &str = "STP_UPLOAD_SIP.KO";
    /// The manifest name does not match Vitam's rule.
    pub const MANIFEST_FILE_NAME_CHECK_KO: &str = "MANIFEST_FILE_NAME_CHECK.KO";
    /// No manifest at the root.
    pub const CHECK_SEDA_NO_FILE_KO: &str = "CHECK_SEDA.NO_FILE.KO";
    /// More than one file at the root.
    pub const CHECK_SEDA_CONTAINER_FORMAT_FILE_KO: &str = "CHECK_SEDA.CONTAINER_FORMAT.FILE.KO";
    /// A root folder other than `Content`, or more than one root folder.
    pub const CHECK_SEDA_CONTAINER_FORMAT_DIRECTORY_KO: &str =
        "CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO";
    /// An object's `Uri` names no file, or a file already used by another object.
    pub const INVALID_URI_KO: &str =
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.INVALID_URI.KO";
    /// The manifest declares fewer binary objects than there are files in `Content`.
    pub const MANIFEST_INFERIOR_BDO_KO: &str =
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.MANIFEST_INFERIOR_BDO.KO";
    /// The manifest declares more binary objects than there are files in `Content`.
    pub const MANIFEST_SUPERIOR_BDO_KO: &str =
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.MANIFEST_SUPERIOR_BDO.KO";
    /// A declared digest does not match the file.
    pub const CHECK_DIGEST_INVALID_KO: &str = "CHECK_DIGEST.INVALID.KO";
    /// An object declares no digest.
    pub const CHECK_DIGEST_EMPTY_KO: &str = "CHECK_DIGEST.EMPTY.KO";
    /// A declared size does not match the file (a warning in Vitam).
    pub const CHECK_OBJECT_SIZE_WARNING: &str = "CHECK_OBJECT_SIZE.WARNING";
    /// A binary object declares the `PhysicalMaster` usage.
    pub const BDO_PHYSICALMASTER_KO: &str = "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.BDO_DATAOBJECTIONVERSION_PHYSICALMASTER.KO";
    /// A physical object declares the `BinaryMaster` usage.
    pub const PDO_BINARYMASTER_KO: &str = "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.PDO_DATAOBJECTIONVERSION_BINARYMASTER.KO";
    /// A usage is not `PhysicalMaster`, `BinaryMaster`, `Dissemination`, `Thumbnail` or
    /// `TextContent` (optionally `_N`).
    pub const INVALID_DATAOBJECTVERSION_KO: &str =
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALID_DATAOBJECTVERSION.KO";
    /// An empty `Uri` or `PhysicalId`.
    pub const EMPTY_REQUIRED_FIELD_KO: &str =
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.EMPTY_REQUIRED_FIELD.KO";
    /// The digest algorithm is not one Vitam accepts.
    pub const INVALIDE_ALGO_KO: &str =
        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALIDE_ALGO.KO";
    /// The SEDA namespace is not 2.1, 2.2 or 2.3.
    pub const UNSUPPORTED_SEDA_VERSION_KO: &str = "CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO";
    /// The manifest is not well-formed XML.
    pub const NOT_XML_FILE_KO: &str = "CHECK_SEDA.NOT_XML_FILE.KO";
}
