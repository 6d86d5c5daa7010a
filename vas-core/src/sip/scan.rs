//! A light streaming scan of a manifest: header fields, counts and declared binary objects.
//!
//! This does not validate the manifest (that is the job of `schema` and `seda`); it only
//! extracts what the package checks need: each `BinaryDataObject`'s `Uri`, `MessageDigest`
//! and `Size`, plus the header fields Vitam reads in `CHECK_SEDA`.

use std::sync::OnceLock;

use quick_xml::Reader;
use quick_xml::events::Event;
use regex::Regex;

use super::codes;
use crate::error::{Error, ErrorKind, Result};

/// A binary object declared in a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredObject {
    /// The `id` attribute.
    pub id: String,
    /// `Uri`, relative to the package root.
    pub uri: Option<String>,
    /// `MessageDigest` text.
    pub digest: Option<String>,
    /// `MessageDigest/@algorithm`.
    pub algorithm: Option<String>,
    /// `Size`.
    pub size: Option<u64>,
    /// `DataObjectVersion`, e.g. `BinaryMaster_1`.
    pub version: Option<String>,
    /// `FileInfo/Filename`.
    pub filename: Option<String>,
}

/// A physical object declared in a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclaredPhysical {
    /// The `id` attribute.
    pub id: String,
    /// `DataObjectVersion`.
    pub version: Option<String>,
    /// `PhysicalId` (empty string when the element is empty).
    pub physical_id: Option<String>,
}

/// What [`scan_manifest`] extracts from a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestSummary {
    /// Local name of the root element (`ArchiveTransfer` for a SIP).
    pub root: String,
    /// Namespace of the root element.
    pub namespace: Option<String>,
    /// SEDA version from the namespace (`2.1` …), when it has Vitam's form.
    pub seda_version: Option<String>,
    /// `Comment` (the first one).
    pub comment: Option<String>,
    /// `MessageIdentifier`.
    pub message_identifier: Option<String>,
    /// `ArchivalAgreement`.
    pub archival_agreement: Option<String>,
    /// `ArchivalAgency/Identifier`.
    pub archival_agency: Option<String>,
    /// `TransferringAgency/Identifier`.
    pub transferring_agency: Option<String>,
    /// `ManagementMetadata/ArchivalProfile`.
    pub archival_profile: Option<String>,
    /// `ManagementMetadata/OriginatingAgencyIdentifier`.
    pub originating_agency: Option<String>,
    /// `ManagementMetadata/SubmissionAgencyIdentifier`.
    pub submission_agency: Option<String>,
    /// Number of `ArchiveUnit` elements, not counting `ArchiveUnitRefId` stubs.
    pub unit_count: usize,
    /// Number of `DataObjectGroup` elements.
    pub object_group_count: usize,
    /// Number of `PhysicalDataObject` elements.
    pub physical_object_count: usize,
    /// The `BinaryDataObject`s, in document order.
    pub objects: Vec<DeclaredObject>,
    /// The `PhysicalDataObject`s, in document order.
    pub physical_objects: Vec<DeclaredPhysical>,
}

impl ManifestSummary {
    /// True when the SEDA version is one Vitam supports (2.1, 2.2, 2.3).
    pub fn is_supported_version(&self) -> bool {
        matches!(self.seda_version.as_deref(), Some("2.1" | "2.2" | "2.3"))
    }

    /// An error with `CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO` when the namespace is not
    /// SEDA 2.1, 2.2 or 2.3.
    pub fn check_version(&self) -> Result<()> {
        if self.is_supported_version() {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "unsupported SEDA namespace {:?}",
                    self.namespace.as_deref().unwrap_or("")
                ),
            )
            .with_code(codes::UNSUPPORTED_SEDA_VERSION_KO))
        }
    }
}

fn seda_ns() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^fr:gouv:culture:archivesdefrance:seda:v([0-9]\.[0-9]+)$")
            .expect("static regex")
    })
}

fn line_col(bytes: &[u8], pos: u64) -> (u64, u64) {
    let pos = (pos as usize).min(bytes.len());
    let before = &bytes[..pos];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() as u64 + 1;
    (line, col)
}

/// Scans a manifest (streaming, no DTD, no external entity).
///
/// ```
/// use vas_core::sip::scan_manifest;
///
/// let xml = br#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
///   <MessageIdentifier>MSG1</MessageIdentifier>
///   <DataObjectPackage><DataObjectGroup id="G1">
///     <BinaryDataObject id="B1"><DataObjectVersion>BinaryMaster_1</DataObjectVersion>
///       <Uri>Content/a.txt</Uri>
///       <MessageDigest algorithm="SHA-512">ab12</MessageDigest><Size>3</Size>
///     </BinaryDataObject></DataObjectGroup>
///   <DescriptiveMetadata><ArchiveUnit id="U1"/></DescriptiveMetadata></DataObjectPackage>
/// </ArchiveTransfer>"#;
/// let s = scan_manifest(xml).unwrap();
/// assert_eq!(s.seda_version.as_deref(), Some("2.1"));
/// assert_eq!(s.message_identifier.as_deref(), Some("MSG1"));
/// assert_eq!(s.unit_count, 1);
/// assert_eq!(s.objects[0].uri.as_deref(), Some("Content/a.txt"));
/// assert_eq!(s.objects[0].size, Some(3));
/// ```
pub fn scan_manifest(bytes: &[u8]) -> Result<ManifestSummary> {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut s = ManifestSummary::default();
    let mut text = String::new();
    let mut cur: Option<DeclaredObject> = None;
    let mut refs = 0usize;
    let mut cur_phys: Option<DeclaredPhysical> = None;
    let xml_err = |msg: String, pos: u64| {
        let (l, c) = line_col(bytes, pos);
        Error::new(ErrorKind::Xml, msg)
            .at(l, c)
            .with_code(codes::NOT_XML_FILE_KO)
    };
    loop {
        let pos = reader.buffer_position();
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_err(format!("manifest is not well-formed XML: {e}"), pos))?;
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                if stack.is_empty() {
                    s.root = name.clone();
                    for a in e.attributes().flatten() {
                        if a.key.as_ref() == "xmlns" {
                            let v = a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| v.into_owned())
                                .unwrap_or_default();
                            s.seda_version = seda_ns()
                                .captures(&v)
                                .and_then(|c| c.get(1))
                                .map(|m| m.as_str().to_string());
                            s.namespace = Some(v);
                        }
                    }
                }
                match name.as_str() {
                    "ArchiveUnit" => s.unit_count += 1,
                    "DataObjectGroup" => s.object_group_count += 1,
                    "PhysicalDataObject" => {
                        s.physical_object_count += 1;
                        let mut p = DeclaredPhysical::default();
                        for a in e.attributes().flatten() {
                            if a.key.local_name().as_ref() == "id" {
                                p.id = a
                                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .map(|v| v.into_owned())
                                    .unwrap_or_default();
                            }
                        }
                        if empty {
                            s.physical_objects.push(p);
                        } else {
                            cur_phys = Some(p);
                        }
                    }
                    "BinaryDataObject" => {
                        let mut o = DeclaredObject::default();
                        for a in e.attributes().flatten() {
                            if a.key.local_name().as_ref() == "id" {
                                o.id = a
                                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .map(|v| v.into_owned())
                                    .unwrap_or_default();
                            }
                        }
                        if empty {
                            s.objects.push(o);
                        } else {
                            cur = Some(o);
                        }
                    }
                    "MessageDigest" => {
                        if let Some(o) = cur.as_mut() {
                            for a in e.attributes().flatten() {
                                if a.key.local_name().as_ref() == "algorithm" {
                                    o.algorithm = a
                                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                        .ok()
                                        .map(|v| v.into_owned());
                                }
                            }
                        }
                    }
                    _ => {}
                }
                if !empty {
                    stack.push(name);
                    text.clear();
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let c = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => r.resolve_char_ref().ok().flatten(),
                };
                match c {
                    Some(c) => text.push(c),
                    None => {
                        return Err(xml_err(format!("unknown entity &{name};"), pos));
                    }
                }
            }
            Event::DocType(_) => {
                return Err(xml_err("DTDs are refused in manifests".into(), pos));
            }
            Event::End(_) => {
                let Some(name) = stack.pop() else { break };
                let value = text.trim().to_string();
                let parent = stack.last().map(String::as_str).unwrap_or("");
                let depth = stack.len();
                if let Some(o) = cur.as_mut() {
                    match (parent, name.as_str()) {
                        ("BinaryDataObject", "Uri") => o.uri = Some(value.clone()),
                        ("BinaryDataObject", "MessageDigest") => o.digest = Some(value.clone()),
                        ("BinaryDataObject", "Size") => o.size = value.parse().ok(),
                        ("BinaryDataObject", "DataObjectVersion") => {
                            o.version = Some(value.clone())
                        }
                        ("FileInfo", "Filename") => o.filename = Some(value.clone()),
                        _ => {}
                    }
                    if name == "BinaryDataObject"
                        && let Some(o) = cur.take()
                    {
                        s.objects.push(o);
                    }
                }
                if let Some(p) = cur_phys.as_mut() {
                    match (parent, name.as_str()) {
                        ("PhysicalDataObject", "DataObjectVersion") => {
                            p.version = Some(value.clone())
                        }
                        ("PhysicalDataObject", "PhysicalId") => p.physical_id = Some(value.clone()),
                        _ => {}
                    }
                    if name == "PhysicalDataObject"
                        && let Some(p) = cur_phys.take()
                    {
                        s.physical_objects.push(p);
                    }
                }
                if name == "ArchiveUnitRefId" && parent == "ArchiveUnit" {
                    refs += 1;
                }
                let set = |slot: &mut Option<String>| {
                    if slot.is_none() {
                        *slot = Some(value.clone());
                    }
                };
                match (depth, parent, name.as_str()) {
                    (1, _, "Comment") => set(&mut s.comment),
                    (1, _, "MessageIdentifier") => set(&mut s.message_identifier),
                    (1, _, "ArchivalAgreement") => set(&mut s.archival_agreement),
                    (2, "ArchivalAgency", "Identifier") => set(&mut s.archival_agency),
                    (2, "TransferringAgency", "Identifier") => set(&mut s.transferring_agency),
                    (_, "ManagementMetadata", "ArchivalProfile") => set(&mut s.archival_profile),
                    (_, "ManagementMetadata", "OriginatingAgencyIdentifier") => {
                        set(&mut s.originating_agency)
                    }
                    (_, "ManagementMetadata", "SubmissionAgencyIdentifier") => {
                        set(&mut s.submission_agency)
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if s.root.is_empty() {
        return Err(xml_err("manifest has no root element".into(), 0));
    }
    // Reference stubs (`<ArchiveUnit><ArchiveUnitRefId>…`) are not units of their own.
    s.unit_count = s.unit_count.saturating_sub(refs);
    if !stack.is_empty() {
        return Err(xml_err(
            format!("manifest ends inside <{}>", stack.join("/")),
            bytes.len() as u64,
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_xml_and_dtd() {
        let e = scan_manifest(b"<a><b></a>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Xml);
        assert_eq!(
            e.context().code.as_deref(),
            Some("CHECK_SEDA.NOT_XML_FILE.KO")
        );
        let e =
            scan_manifest(b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>")
                .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Xml);
        assert!(scan_manifest(b"").is_err());
        assert!(scan_manifest(b"<a>").is_err());
    }

    #[test]
    fn entities_and_version() {
        let s = scan_manifest(
            br#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.0"><Comment>a &amp; b&#33;</Comment></ArchiveTransfer>"#,
        )
        .unwrap();
        assert_eq!(s.comment.as_deref(), Some("a & b!"));
        assert_eq!(s.seda_version.as_deref(), Some("2.0"));
        assert!(!s.is_supported_version());
        assert_eq!(
            s.check_version().unwrap_err().context().code.as_deref(),
            Some("CHECK_SEDA.UNSUPPORTED_SEDA_VERSION.KO")
        );
    }
}
