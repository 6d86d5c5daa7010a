//! Whole documents: version detection, the message kind, prolog/epilog, read and write.

use std::io::{Read, Write};
use std::path::Path;

use crate::seda::core::{Element, SedaReader, SedaVersion, SedaWriter};
use crate::seda::model::*;
use crate::xml::{Limits, Misc, XEvent, XmlReader};
use crate::{Error, ErrorKind, Result};

macro_rules! kinds {
    ($($v:ident = $s:literal),* $(,)?) => {
        /// The root element of a SEDA message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum MessageKind { $($v,)* }
        impl MessageKind {
            /// All message kinds.
            pub const ALL: &'static [MessageKind] = &[$(MessageKind::$v,)*];
            /// The root element name.
            pub fn as_str(self) -> &'static str {
                match self { $(MessageKind::$v => $s,)* }
            }
            /// The kind named `s`.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($s => Some(MessageKind::$v),)* _ => None }
            }
        }
    };
}

kinds! {
    Acknowledgement = "Acknowledgement",
    ArchiveTransfer = "ArchiveTransfer",
    ArchiveTransferRequest = "ArchiveTransferRequest",
    ArchiveTransferReply = "ArchiveTransferReply",
    ArchiveTransferRequestReply = "ArchiveTransferRequestReply",
    ArchiveDeliveryRequest = "ArchiveDeliveryRequest",
    ArchiveDeliveryRequestReply = "ArchiveDeliveryRequestReply",
    ArchiveRestitutionRequest = "ArchiveRestitutionRequest",
    ArchiveRestitutionRequestReply = "ArchiveRestitutionRequestReply",
    AuthorizationControlAuthorityRequest = "AuthorizationControlAuthorityRequest",
    AuthorizationControlAuthorityRequestReply = "AuthorizationControlAuthorityRequestReply",
    AuthorizationOriginatingAgencyRequest = "AuthorizationOriginatingAgencyRequest",
    AuthorizationOriginatingAgencyRequestReply = "AuthorizationOriginatingAgencyRequestReply",
    ArchiveDestructionNotification = "ArchiveDestructionNotification",
    ArchiveModificationNotification = "ArchiveModificationNotification",
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options of [`Document::parse_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// XML limits (maximum depth).
    pub limits: Limits,
}

/// A SEDA document: version, message kind, the message, and the comments and processing
/// instructions before and after the root. Output always starts with
/// `<?xml version="1.0" encoding="UTF-8"?>` (the declaration is not part of the model).
///
/// ```
/// use vas_core::seda::{Document, SedaVersion, MessageKind};
/// let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
/// <!-- made by hand -->
/// <ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3">
///   <Date>2024-01-01T00:00:00</Date><MessageIdentifier>M1</MessageIdentifier>
///   <CodeListVersions/>
///   <ArchivalAgency><Identifier>AG</Identifier></ArchivalAgency>
///   <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
/// </ArchiveTransfer>"#;
/// let doc = Document::from_str(xml)?;
/// assert_eq!(doc.version, SedaVersion::V2_3);
/// assert_eq!(doc.kind, MessageKind::ArchiveTransfer);
/// assert_eq!(doc.message.text("MessageIdentifier"), Some("M1"));
/// let again = Document::from_str(&doc.to_string()?)?;
/// assert_eq!(again, doc);
/// // 2.1 has no `HoldRuleCodeListVersion`, so it cannot be written as 2.1 once set:
/// let mut doc = doc;
/// doc.message.code_list_versions_mut().set_text("HoldRuleCodeListVersion", "HoldRuleCodeListVersion0");
/// assert_eq!(doc.write_as(SedaVersion::V2_1).unwrap_err().kind(), vas_core::ErrorKind::Unsupported);
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The version (from the root namespace).
    pub version: SedaVersion,
    /// The root element name.
    pub kind: MessageKind,
    /// Comments/PIs before the root.
    pub prolog: Vec<Misc>,
    /// The message.
    pub message: Message,
    /// Comments/PIs after the root.
    pub epilog: Vec<Misc>,
}

/// The ArchiveTransfer message (an alias of the generic [`Message`]).
pub type ArchiveTransfer = Message;

/// Reads a SEDA document from a reader (the whole input is read into memory first; the
/// parse itself is a streaming pull parse).
pub fn read<R: Read>(r: R) -> Result<Document> {
    Document::from_reader(r)
}

impl Document {
    /// Parses a document from bytes (UTF-8).
    pub fn from_slice(src: &[u8]) -> Result<Document> {
        Self::parse_with(src, ReadOptions::default())
    }

    /// Parses a document from a string.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(src: &str) -> Result<Document> {
        Self::from_slice(src.as_bytes())
    }

    /// Parses a document from a reader.
    pub fn from_reader<R: Read>(mut r: R) -> Result<Document> {
        let mut buf = Vec::new();
        r.read_to_end(&mut buf)?;
        Self::from_slice(&buf)
    }

    /// Parses a document from a file (errors carry the path).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Document> {
        let path = path.as_ref();
        let buf = std::fs::read(path).map_err(|e| Error::from(e).with_path(path))?;
        Self::from_slice(&buf).map_err(|e| e.or_path(path))
    }

    /// Parses with options.
    pub fn parse_with(src: &[u8], opts: ReadOptions) -> Result<Document> {
        let mut xml = XmlReader::new(src, opts.limits);
        let mut prolog = Vec::new();
        let start = loop {
            match xml.next()? {
                XEvent::Start(s) => break s,
                XEvent::Comment(c) => prolog.push(Misc::Comment(c)),
                XEvent::Pi(p) => prolog.push(Misc::Pi(p)),
                XEvent::Text(t) | XEvent::CData(t) => {
                    if !t.trim().is_empty() {
                        return Err(xml.error(ErrorKind::Xml, "text before the root element"));
                    }
                }
                XEvent::End => return Err(xml.error(ErrorKind::Xml, "unexpected end tag")),
                XEvent::Eof => return Err(xml.error(ErrorKind::Xml, "no root element")),
            }
        };
        let ns = start.namespace.clone().unwrap_or_default();
        let version = match SedaVersion::from_namespace(&ns) {
            Some(v) => v,
            None => {
                let what = if ns.is_empty() {
                    "the root element has no namespace".to_string()
                } else {
                    format!("unsupported namespace `{ns}`")
                };
                return Err(xml.error(
                    ErrorKind::Unsupported,
                    format!(
                        "not a SEDA 2.1/2.2/2.3 message: {what} (expected fr:gouv:culture:archivesdefrance:seda:v2.1, v2.2 or v2.3)"
                    ),
                ));
            }
        };
        let kind = match MessageKind::from_name(start.local_name()) {
            Some(k) => k,
            None => {
                return Err(xml.error(
                    ErrorKind::Unsupported,
                    format!(
                        "`{}` is not a SEDA message root element",
                        start.local_name()
                    ),
                ));
            }
        };
        xml.set_target_namespace(version.namespace().as_bytes());
        let mut r = SedaReader { xml, version };
        let message = Message::parse(&mut r, &start)?;
        let mut epilog = Vec::new();
        loop {
            match r.xml.next()? {
                XEvent::Eof => break,
                XEvent::Comment(c) => epilog.push(Misc::Comment(c)),
                XEvent::Pi(p) => epilog.push(Misc::Pi(p)),
                XEvent::Text(t) | XEvent::CData(t) if t.trim().is_empty() => {}
                _ => {
                    return Err(r
                        .xml
                        .error(ErrorKind::Xml, "content after the root element"));
                }
            }
        }
        Ok(Document {
            version,
            kind,
            prolog,
            message,
            epilog,
        })
    }

    /// Writes the document in its own version (indented, UTF-8).
    pub fn write<W: Write>(&self, w: W) -> Result<()> {
        self.write_to(w, self.version)
    }

    /// Writes the document in another version. Every namespace declaration of a SEDA
    /// namespace (and `xsi:schemaLocation`) is rewritten to the target namespace (in the
    /// document's own version they are written as read); a child that the target version
    /// lacks is an [`ErrorKind::Unsupported`] error naming it. Unknown (raw) elements are
    /// written as they are.
    pub fn write_to<W: Write>(&self, w: W, version: SedaVersion) -> Result<()> {
        let mut sw = SedaWriter::new(std::io::BufWriter::new(w), version, true)
            .with_source_version(self.version);
        sw.xml
            .raw_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        for m in &self.prolog {
            sw.xml.misc(m)?;
        }
        sw.xml.raw_str("\n")?;
        self.message.write(&mut sw, self.kind.as_str())?;
        for m in &self.epilog {
            sw.xml.misc(m)?;
        }
        sw.xml.raw_str("\n")?;
        sw.xml.flush()
    }

    /// Serialises to a string in the document's version.
    pub fn to_string(&self) -> Result<String> {
        self.to_string_as(self.version)
    }

    /// Serialises to bytes in `version` (see [`write_to`](Self::write_to)).
    pub fn write_as(&self, version: SedaVersion) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_to(&mut out, version)?;
        Ok(out)
    }

    /// Serialises to a string in `version`.
    pub fn to_string_as(&self, version: SedaVersion) -> Result<String> {
        let v = self.write_as(version)?;
        String::from_utf8(v).map_err(|e| Error::internal(e.to_string()))
    }

    /// Writes to a file.
    pub fn to_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let f = std::fs::File::create(path).map_err(|e| Error::from(e).with_path(path))?;
        self.write(f).map_err(|e| e.or_path(path))
    }

    /// The `DataObjectPackage`, if any.
    pub fn package(&self) -> Option<&DataObjectPackage> {
        self.message.package()
    }
}

impl Message {
    /// `DataObjectPackage`.
    pub fn package(&self) -> Option<&DataObjectPackage> {
        self.items.iter().find_map(|i| match i {
            MessageItem::DataObjectPackage(p) => Some(p),
            _ => None,
        })
    }

    /// `DataObjectPackage`, created (empty, at its canonical position) when absent.
    pub fn package_mut(&mut self) -> &mut DataObjectPackage {
        if self.package().is_none() {
            self.insert(MessageItem::DataObjectPackage(DataObjectPackage::default()));
        }
        self.items
            .iter_mut()
            .find_map(|i| match i {
                MessageItem::DataObjectPackage(p) => Some(p),
                _ => None,
            })
            .expect("just inserted")
    }

    /// `CodeListVersions`.
    pub fn code_list_versions(&self) -> Option<&CodeListVersions> {
        self.items.iter().find_map(|i| match i {
            MessageItem::CodeListVersions(p) => Some(p),
            _ => None,
        })
    }

    /// `CodeListVersions`, created when absent.
    pub fn code_list_versions_mut(&mut self) -> &mut CodeListVersions {
        if self.code_list_versions().is_none() {
            self.insert(MessageItem::CodeListVersions(CodeListVersions::default()));
        }
        self.items
            .iter_mut()
            .find_map(|i| match i {
                MessageItem::CodeListVersions(p) => Some(p),
                _ => None,
            })
            .expect("just inserted")
    }

    /// `MessageIdentifier`.
    pub fn message_identifier(&self) -> Option<&str> {
        self.text("MessageIdentifier")
    }

    /// `Date`.
    pub fn date(&self) -> Option<&str> {
        self.text("Date")
    }

    /// `ArchivalAgreement`.
    pub fn archival_agreement(&self) -> Option<&str> {
        self.text("ArchivalAgreement")
    }

    /// `Comment`s.
    pub fn comments(&self) -> Vec<&str> {
        self.texts("Comment").map(|t| t.as_str()).collect()
    }

    /// The identifier of the organisation child `tag` (`ArchivalAgency`, …).
    pub fn agency(&self, tag: &str) -> Option<&str> {
        self.items.iter().find_map(|i| match i {
            MessageItem::Sender(o)
            | MessageItem::Receiver(o)
            | MessageItem::ArchivalAgency(o)
            | MessageItem::TransferringAgency(o)
            | MessageItem::Requester(o)
            | MessageItem::OriginatingAgency(o)
            | MessageItem::ControlAuthority(o)
                if i.tag() == Some(tag) =>
            {
                o.text("Identifier")
            }
            _ => None,
        })
    }

    /// `ArchivalAgency/Identifier`.
    pub fn archival_agency(&self) -> Option<&str> {
        self.agency("ArchivalAgency")
    }

    /// `TransferringAgency/Identifier`.
    pub fn transferring_agency(&self) -> Option<&str> {
        self.agency("TransferringAgency")
    }

    /// `UnitIdentifier`s (delivery replies, notifications).
    pub fn unit_identifiers(&self) -> Vec<&str> {
        self.texts("UnitIdentifier").map(|t| t.as_str()).collect()
    }

    /// `ReplyCode` (replies).
    pub fn reply_code(&self) -> Option<&str> {
        self.text("ReplyCode")
    }

    /// `MessageRequestIdentifier` (replies).
    pub fn message_request_identifier(&self) -> Option<&str> {
        self.text("MessageRequestIdentifier")
    }

    /// `Operation` events (replies).
    pub fn operation_events(&self) -> Vec<&Event> {
        self.items
            .iter()
            .filter_map(|i| match i {
                MessageItem::Operation(o) => Some(o),
                _ => None,
            })
            .flat_map(|o| {
                o.items.iter().filter_map(|i| match i {
                    OperationItem::Event(e) => Some(e),
                    _ => None,
                })
            })
            .collect()
    }
}

impl DataObjectPackage {
    /// `DescriptiveMetadata`.
    pub fn descriptive_metadata(&self) -> Option<&DescriptiveMetadata> {
        self.items.iter().find_map(|i| match i {
            DataObjectPackageItem::DescriptiveMetadata(d) => Some(d),
            _ => None,
        })
    }

    /// `DescriptiveMetadata`, created when absent.
    pub fn descriptive_metadata_mut(&mut self) -> &mut DescriptiveMetadata {
        if self.descriptive_metadata().is_none() {
            self.insert(DataObjectPackageItem::DescriptiveMetadata(
                DescriptiveMetadata::default(),
            ));
        }
        self.items
            .iter_mut()
            .find_map(|i| match i {
                DataObjectPackageItem::DescriptiveMetadata(d) => Some(d),
                _ => None,
            })
            .expect("just inserted")
    }

    /// `ManagementMetadata`.
    pub fn management_metadata(&self) -> Option<&ManagementMetadata> {
        self.items.iter().find_map(|i| match i {
            DataObjectPackageItem::ManagementMetadata(d) => Some(d),
            _ => None,
        })
    }

    /// `ManagementMetadata`, created when absent.
    pub fn management_metadata_mut(&mut self) -> &mut ManagementMetadata {
        if self.management_metadata().is_none() {
            self.insert(DataObjectPackageItem::ManagementMetadata(
                ManagementMetadata::default(),
            ));
        }
        self.items
            .iter_mut()
            .find_map(|i| match i {
                DataObjectPackageItem::ManagementMetadata(d) => Some(d),
                _ => None,
            })
            .expect("just inserted")
    }

    /// Groups declared as `DataObjectGroup` elements.
    pub fn groups(&self) -> impl Iterator<Item = &DataObjectGroup> {
        self.items.iter().filter_map(|i| match i {
            DataObjectPackageItem::DataObjectGroup(g) => Some(g),
            _ => None,
        })
    }

    /// Every binary object (in groups and loose).
    pub fn binary_objects(&self) -> Vec<&BinaryDataObject> {
        let mut v = Vec::new();
        for i in &self.items {
            match i {
                DataObjectPackageItem::BinaryDataObject(b) => v.push(b),
                DataObjectPackageItem::DataObjectGroup(g) => v.extend(g.binary_objects()),
                _ => {}
            }
        }
        v
    }

    /// Every physical object (in groups and loose).
    pub fn physical_objects(&self) -> Vec<&PhysicalDataObject> {
        let mut v = Vec::new();
        for i in &self.items {
            match i {
                DataObjectPackageItem::PhysicalDataObject(b) => v.push(b),
                DataObjectPackageItem::DataObjectGroup(g) => v.extend(g.physical_objects()),
                _ => {}
            }
        }
        v
    }

    /// The top-level units of `DescriptiveMetadata`.
    pub fn top_units(&self) -> Vec<&ArchiveUnit> {
        self.descriptive_metadata()
            .map(|d| d.units().collect())
            .unwrap_or_default()
    }
}

impl DescriptiveMetadata {
    /// Top-level units.
    pub fn units(&self) -> impl Iterator<Item = &ArchiveUnit> {
        self.items.iter().filter_map(|i| match i {
            DescriptiveMetadataItem::ArchiveUnit(u) => Some(u),
            _ => None,
        })
    }
}

impl DataObjectGroup {
    /// Binary objects of the group.
    pub fn binary_objects(&self) -> impl Iterator<Item = &BinaryDataObject> {
        self.items.iter().filter_map(|i| match i {
            DataObjectGroupItem::BinaryDataObject(b) => Some(b),
            _ => None,
        })
    }

    /// Physical objects of the group.
    pub fn physical_objects(&self) -> impl Iterator<Item = &PhysicalDataObject> {
        self.items.iter().filter_map(|i| match i {
            DataObjectGroupItem::PhysicalDataObject(b) => Some(b),
            _ => None,
        })
    }
}

impl BinaryDataObject {
    /// `DataObjectVersion`.
    pub fn data_object_version(&self) -> Option<&str> {
        self.text("DataObjectVersion")
    }
    /// `Uri`.
    pub fn uri(&self) -> Option<&str> {
        self.text("Uri")
    }
    /// `MessageDigest` (value exactly as written) and its `@algorithm`.
    pub fn message_digest(&self) -> Option<(&str, Option<&str>)> {
        self.texts("MessageDigest")
            .next()
            .map(|t| (t.as_str(), t.attr("algorithm")))
    }
    /// `Size`.
    pub fn size(&self) -> Option<u64> {
        self.texts("Size").next().and_then(|t| t.as_u64())
    }
    /// `FormatIdentification`.
    pub fn format_identification(&self) -> Option<&FormatIdentification> {
        self.items.iter().find_map(|i| match i {
            BinaryDataObjectItem::FormatIdentification(f) => Some(f),
            _ => None,
        })
    }
    /// `FileInfo`.
    pub fn file_info(&self) -> Option<&FileInfo> {
        self.items.iter().find_map(|i| match i {
            BinaryDataObjectItem::FileInfo(f) => Some(f),
            _ => None,
        })
    }
}

impl ArchiveUnit {
    /// Whether this unit is a reference stub (`ArchiveUnitRefId`).
    pub fn is_reference(&self) -> bool {
        self.ref_id().is_some()
    }

    /// The `ArchiveUnitRefId` of a stub.
    pub fn ref_id(&self) -> Option<&str> {
        self.text("ArchiveUnitRefId")
    }

    /// `Content`.
    pub fn content(&self) -> Option<&Content> {
        self.items.iter().find_map(|i| match i {
            ArchiveUnitItem::Content(c) => Some(&**c),
            _ => None,
        })
    }

    /// `Content`, created when absent.
    pub fn content_mut(&mut self) -> &mut Content {
        if self.content().is_none() {
            self.insert(ArchiveUnitItem::Content(Box::default()));
        }
        self.items
            .iter_mut()
            .find_map(|i| match i {
                ArchiveUnitItem::Content(c) => Some(&mut **c),
                _ => None,
            })
            .expect("just inserted")
    }

    /// `Management`.
    pub fn management(&self) -> Option<&Management> {
        self.items.iter().find_map(|i| match i {
            ArchiveUnitItem::Management(c) => Some(c),
            _ => None,
        })
    }

    /// `Management`, created when absent.
    pub fn management_mut(&mut self) -> &mut Management {
        if self.management().is_none() {
            self.insert(ArchiveUnitItem::Management(Management::default()));
        }
        self.items
            .iter_mut()
            .find_map(|i| match i {
                ArchiveUnitItem::Management(c) => Some(c),
                _ => None,
            })
            .expect("just inserted")
    }

    /// Nested units (full units and stubs).
    pub fn children(&self) -> impl Iterator<Item = &ArchiveUnit> {
        self.items.iter().filter_map(|i| match i {
            ArchiveUnitItem::ArchiveUnit(u) => Some(&**u),
            _ => None,
        })
    }

    /// `DataObjectReference`s.
    pub fn object_references(&self) -> impl Iterator<Item = &DataObjectRef> {
        self.items.iter().filter_map(|i| match i {
            ArchiveUnitItem::DataObjectReference(r) => Some(r),
            _ => None,
        })
    }

    /// The title (first `Title` of `Content`).
    pub fn title(&self) -> Option<&str> {
        self.content().and_then(|c| c.text("Title"))
    }
}

impl Content {
    /// First `Title`.
    pub fn title(&self) -> Option<&str> {
        self.text("Title")
    }
    /// All `Title`s (with their `xml:lang`).
    pub fn titles(&self) -> Vec<&crate::seda::Text> {
        self.texts("Title").collect()
    }
    /// `DescriptionLevel`.
    pub fn description_level(&self) -> Option<&str> {
        self.text("DescriptionLevel")
    }
    /// Keywords.
    pub fn keywords(&self) -> impl Iterator<Item = &Keyword> {
        self.items.iter().filter_map(|i| match i {
            ContentItem::Keyword(k) => Some(k),
            _ => None,
        })
    }
}

impl RuleGroup {
    /// The `(Rule, StartDate)` pairs, positionally (a `StartDate` belongs to the `Rule`
    /// before it).
    pub fn rules(&self) -> Vec<(&crate::seda::Text, Option<&crate::seda::Text>)> {
        let mut out: Vec<(&crate::seda::Text, Option<&crate::seda::Text>)> = Vec::new();
        for i in &self.items {
            match i {
                RuleItem::Rule(r) => out.push((r, None)),
                RuleItem::StartDate(d) => {
                    if let Some(last) = out.last_mut().filter(|l| l.1.is_none()) {
                        last.1 = Some(d);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Appends a `Rule` (and its `StartDate`) after the existing rule blocks.
    pub fn add_rule(&mut self, rule: &str, start_date: Option<&str>) -> &mut Self {
        self.insert(RuleItem::Rule(crate::seda::Text::new(rule)));
        if let Some(d) = start_date {
            self.insert(RuleItem::StartDate(crate::seda::Text::new(d)));
        }
        self
    }

    /// `FinalAction`.
    pub fn final_action(&self) -> Option<&str> {
        self.text("FinalAction")
    }
}

impl DataObjectRef {
    /// The referenced id (`DataObjectReferenceId` or `DataObjectGroupReferenceId`).
    pub fn target(&self) -> Option<&str> {
        self.text("DataObjectGroupReferenceId")
            .or_else(|| self.text("DataObjectReferenceId"))
    }
}
