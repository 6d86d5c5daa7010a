//! Building messages from code, with defaults that give a valid SEDA 2.3 document.

use crate::seda::core::{ElementMeta, SedaVersion, Text};
use crate::seda::document::{Document, MessageKind};
use crate::seda::model::*;
use crate::xml::Attr;
use crate::{Error, ErrorKind, Result};

/// Builds an `ArchiveTransfer`. Defaults: `Date` = now (UTC, `xsd:dateTime`),
/// `MessageIdentifier` = a time-based identifier, `CodeListVersions` = Vitam's usual
/// code-list versions, empty `ManagementMetadata`. Agencies are required.
///
/// ```
/// use vas_core::seda::{ArchiveTransfer, SedaVersion, ObjectSpec};
/// let mut b = ArchiveTransfer::builder(SedaVersion::V2_3)
///     .archival_agency("AG")
///     .transferring_agency("TA")
///     .archival_agreement("IC-1")
///     .message_identifier("MSG-1")
///     .originating_agency("OA");
/// b.binary_object("GOT1", ObjectSpec {
///     id: "BDO1".into(),
///     uri: Some("content/BDO1.pdf".into()),
///     digest: Some(("ab12".into(), "SHA-512".into())),
///     size: Some(4),
///     filename: Some("a.pdf".into()),
///     format_id: Some("fmt/18".into()),
///     ..ObjectSpec::default()
/// });
/// {
///     let mut u = b.unit("AU1");
///     u.content().title("Rapport").description_level("Item").start_date("2019");
///     u.rule("AccessRule", "ACC-00001", Some("2020-01-01")).object_group("GOT1");
/// }
/// let doc = b.build()?;
/// assert_eq!(doc.stats().binary_objects, 1);
/// assert!(doc.check_references().is_empty());
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TransferBuilder {
    version: SedaVersion,
    header: Message,
    package: DataObjectPackage,
    archival_agency: Option<String>,
    transferring_agency: Option<String>,
    /// group id -> index in `package.items` (stable: groups are inserted before
    /// `DescriptiveMetadata`, after the previous groups).
    groups: std::collections::HashMap<String, usize>,
}

impl Message {
    /// Starts building an `ArchiveTransfer` (see [`TransferBuilder`]).
    pub fn builder(version: SedaVersion) -> TransferBuilder {
        TransferBuilder::new(version)
    }
}

/// Vitam's usual `CodeListVersions` content.
const CODE_LISTS: &[(&str, &str)] = &[
    ("ReplyCodeListVersion", "ReplyCodeListVersion0"),
    (
        "MessageDigestAlgorithmCodeListVersion",
        "MessageDigestAlgorithmCodeListVersion0",
    ),
    ("MimeTypeCodeListVersion", "MimeTypeCodeListVersion0"),
    ("EncodingCodeListVersion", "EncodingCodeListVersion0"),
    ("FileFormatCodeListVersion", "FileFormatCodeListVersion0"),
    (
        "CompressionAlgorithmCodeListVersion",
        "CompressionAlgorithmCodeListVersion0",
    ),
    (
        "DataObjectVersionCodeListVersion",
        "DataObjectVersionCodeListVersion0",
    ),
    ("StorageRuleCodeListVersion", "StorageRuleCodeListVersion0"),
    (
        "AppraisalRuleCodeListVersion",
        "AppraisalRuleCodeListVersion0",
    ),
    ("AccessRuleCodeListVersion", "AccessRuleCodeListVersion0"),
    (
        "DisseminationRuleCodeListVersion",
        "DisseminationRuleCodeListVersion0",
    ),
    ("ReuseRuleCodeListVersion", "ReuseRuleCodeListVersion0"),
    (
        "ClassificationRuleCodeListVersion",
        "ClassificationRuleCodeListVersion0",
    ),
    (
        "AuthorizationReasonCodeListVersion",
        "AuthorizationReasonCodeListVersion0",
    ),
    (
        "RelationshipCodeListVersion",
        "RelationshipCodeListVersion0",
    ),
];

fn now_datetime() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

fn organization(id: &str) -> Organization {
    let mut o = Organization::default();
    o.add_text("Identifier", Text::new(id));
    o
}

impl TransferBuilder {
    /// A builder for `version` with the defaults above.
    pub fn new(version: SedaVersion) -> Self {
        let mut header = Message {
            meta: ElementMeta::new(
                None,
                vec![
                    Attr::new("xmlns", version.namespace()),
                    Attr::new("xmlns:xlink", "http://www.w3.org/1999/xlink"),
                ],
            ),
            items: Vec::new(),
        };
        header.add_text("Date", Text::new(now_datetime()));
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        header.add_text("MessageIdentifier", Text::new(format!("MSG-{nanos}")));
        let clv = header.code_list_versions_mut();
        for (k, v) in CODE_LISTS {
            clv.add_text(k, Text::new(*v));
        }
        let mut package = DataObjectPackage::default();
        package.descriptive_metadata_mut();
        package.management_metadata_mut();
        TransferBuilder {
            version,
            header,
            package,
            archival_agency: None,
            transferring_agency: None,
            groups: std::collections::HashMap::new(),
        }
    }

    /// `ArchivalAgency/Identifier` (required).
    pub fn archival_agency(mut self, id: &str) -> Self {
        self.archival_agency = Some(id.to_string());
        self
    }

    /// `TransferringAgency/Identifier` (required).
    pub fn transferring_agency(mut self, id: &str) -> Self {
        self.transferring_agency = Some(id.to_string());
        self
    }

    /// `ArchivalAgreement` (the ingest contract in Vitam).
    pub fn archival_agreement(mut self, id: &str) -> Self {
        self.header.set_text("ArchivalAgreement", id);
        self
    }

    /// `MessageIdentifier` (replaces the default).
    pub fn message_identifier(mut self, id: &str) -> Self {
        self.header.set_text("MessageIdentifier", id);
        self
    }

    /// `Date` (an `xsd:dateTime`; replaces the default).
    pub fn date(mut self, date_time: &str) -> Self {
        self.header.set_text("Date", date_time);
        self
    }

    /// Adds a `Comment`.
    pub fn comment(mut self, text: &str) -> Self {
        self.header.add_text("Comment", Text::new(text));
        self
    }

    /// `ManagementMetadata/ArchivalProfile`.
    pub fn archival_profile(mut self, id: &str) -> Self {
        self.package
            .management_metadata_mut()
            .set_text("ArchivalProfile", id);
        self
    }

    /// `ManagementMetadata/OriginatingAgencyIdentifier`.
    pub fn originating_agency(mut self, id: &str) -> Self {
        self.package
            .management_metadata_mut()
            .set_text("OriginatingAgencyIdentifier", id);
        self
    }

    /// `ManagementMetadata/SubmissionAgencyIdentifier`.
    pub fn submission_agency(mut self, id: &str) -> Self {
        self.package
            .management_metadata_mut()
            .set_text("SubmissionAgencyIdentifier", id);
        self
    }

    /// Adds a default rule to `ManagementMetadata` (`category` = `AccessRule`, …).
    pub fn default_rule(
        mut self,
        category: &str,
        rule_id: &str,
        start_date: Option<&str>,
    ) -> Result<Self> {
        let mm = self.package.management_metadata_mut();
        let g = rule_group_in(&mut mm.items, category, |g| {
            ManagementMetadataItem::from_group(category, g)
        })?;
        g.add_rule(rule_id, start_date);
        Ok(self)
    }

    /// Adds a top-level unit and returns a builder for it.
    pub fn unit(&mut self, id: &str) -> UnitBuilder<'_> {
        let mut u = ArchiveUnit::default();
        u.meta.set_attr("id", id);
        u.content_mut();
        // Looked up from the end: it follows every data object group, and a forward
        // search would make building n units with n groups quadratic.
        let has_dm = self
            .package
            .items
            .iter()
            .rev()
            .any(|i| matches!(i, DataObjectPackageItem::DescriptiveMetadata(_)));
        if !has_dm {
            self.package.descriptive_metadata_mut();
        }
        let dm = self
            .package
            .items
            .iter_mut()
            .rev()
            .find_map(|i| match i {
                DataObjectPackageItem::DescriptiveMetadata(d) => Some(d),
                _ => None,
            })
            .expect("just inserted");
        dm.insert(DescriptiveMetadataItem::ArchiveUnit(u));
        let unit = dm
            .items
            .iter_mut()
            .rev()
            .find_map(|i| match i {
                DescriptiveMetadataItem::ArchiveUnit(u) => Some(u),
                _ => None,
            })
            .expect("just inserted");
        UnitBuilder { unit }
    }

    /// Adds a binary object to group `group_id` (the group is created if needed, before
    /// `DescriptiveMetadata`).
    pub fn binary_object(&mut self, group_id: &str, spec: ObjectSpec) -> &mut Self {
        let bdo = spec.into_binary();
        self.group_mut(group_id)
            .insert(DataObjectGroupItem::BinaryDataObject(bdo));
        self
    }

    /// Adds a physical object (`PhysicalId`) to group `group_id`.
    pub fn physical_object(
        &mut self,
        group_id: &str,
        id: &str,
        version: &str,
        physical_id: &str,
    ) -> &mut Self {
        let mut p = PhysicalDataObject::default();
        p.meta.set_attr("id", id);
        p.add_text("DataObjectVersion", Text::new(version));
        p.add_text("PhysicalId", Text::new(physical_id));
        self.group_mut(group_id)
            .insert(DataObjectGroupItem::PhysicalDataObject(p));
        self
    }

    fn group_mut(&mut self, group_id: &str) -> &mut DataObjectGroup {
        let idx = match self.groups.get(group_id) {
            Some(&i) => i,
            None => {
                let mut g = DataObjectGroup::default();
                g.meta.set_attr("id", group_id);
                let before = self.package.items.len();
                self.package
                    .insert(DataObjectPackageItem::DataObjectGroup(g));
                debug_assert_eq!(self.package.items.len(), before + 1);
                let i = self
                    .package
                    .items
                    .iter()
                    .rposition(|it| matches!(it, DataObjectPackageItem::DataObjectGroup(g) if g.id() == Some(group_id)))
                    .unwrap_or(0);
                self.groups.insert(group_id.to_string(), i);
                i
            }
        };
        match &mut self.package.items[idx] {
            DataObjectPackageItem::DataObjectGroup(g) => g,
            _ => unreachable!("group index points to a group"),
        }
    }

    /// Builds the document (errors if an agency is missing).
    pub fn build(self) -> Result<Document> {
        let aa = self.archival_agency.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                "ArchiveTransfer needs an ArchivalAgency",
            )
        })?;
        let ta = self.transferring_agency.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                "ArchiveTransfer needs a TransferringAgency",
            )
        })?;
        let mut message = self.header;
        message.insert(MessageItem::DataObjectPackage(self.package));
        message.insert(MessageItem::ArchivalAgency(organization(&aa)));
        message.insert(MessageItem::TransferringAgency(organization(&ta)));
        Ok(Document {
            version: self.version,
            kind: MessageKind::ArchiveTransfer,
            prolog: Vec::new(),
            message,
            epilog: Vec::new(),
        })
    }
}

/// The data of a binary object for [`TransferBuilder::binary_object`].
#[derive(Debug, Clone, Default)]
pub struct ObjectSpec {
    /// `@id`.
    pub id: String,
    /// `DataObjectVersion` (default `BinaryMaster_1`).
    pub version: Option<String>,
    /// `Uri`.
    pub uri: Option<String>,
    /// `MessageDigest` value and `@algorithm` (e.g. `SHA-512`).
    pub digest: Option<(String, String)>,
    /// `Size`.
    pub size: Option<u64>,
    /// `FormatIdentification/FormatLitteral`.
    pub format_litteral: Option<String>,
    /// `FormatIdentification/MimeType`.
    pub mime_type: Option<String>,
    /// `FormatIdentification/FormatId` (PUID).
    pub format_id: Option<String>,
    /// `FileInfo/Filename`.
    pub filename: Option<String>,
    /// `FileInfo/LastModified`.
    pub last_modified: Option<String>,
}

impl ObjectSpec {
    /// The `BinaryDataObject`.
    pub fn into_binary(self) -> BinaryDataObject {
        let mut b = BinaryDataObject::default();
        b.meta.set_attr("id", &self.id);
        b.add_text(
            "DataObjectVersion",
            Text::new(self.version.unwrap_or_else(|| "BinaryMaster_1".into())),
        );
        if let Some(u) = self.uri {
            b.add_text("Uri", Text::new(u));
        }
        if let Some((d, a)) = self.digest {
            b.add_text("MessageDigest", Text::new(d).with_attr("algorithm", a));
        }
        if let Some(s) = self.size {
            b.add_text("Size", Text::new(s.to_string()));
        }
        if self.format_litteral.is_some() || self.mime_type.is_some() || self.format_id.is_some() {
            let mut f = FormatIdentification::default();
            if let Some(v) = self.format_litteral {
                f.add_text("FormatLitteral", Text::new(v));
            }
            if let Some(v) = self.mime_type {
                f.add_text("MimeType", Text::new(v));
            }
            if let Some(v) = self.format_id {
                f.add_text("FormatId", Text::new(v));
            }
            b.insert(BinaryDataObjectItem::FormatIdentification(f));
        }
        if self.filename.is_some() || self.last_modified.is_some() {
            let mut fi = FileInfo::default();
            fi.add_text(
                "Filename",
                Text::new(self.filename.unwrap_or_else(|| self.id.clone())),
            );
            if let Some(v) = self.last_modified {
                fi.add_text("LastModified", Text::new(v));
            }
            b.insert(BinaryDataObjectItem::FileInfo(fi));
        }
        b
    }
}

/// Builds one unit (see [`TransferBuilder::unit`]).
pub struct UnitBuilder<'b> {
    unit: &'b mut ArchiveUnit,
}

impl<'b> UnitBuilder<'b> {
    /// Wraps an existing unit.
    pub fn new(unit: &'b mut ArchiveUnit) -> Self {
        UnitBuilder { unit }
    }

    /// The unit being built.
    pub fn unit(&mut self) -> &mut ArchiveUnit {
        self.unit
    }

    /// The `Content` builder.
    pub fn content(&mut self) -> ContentBuilder<'_> {
        ContentBuilder {
            content: self.unit.content_mut(),
        }
    }

    /// Adds a management rule (`category` = `StorageRule`, `AppraisalRule`, `AccessRule`,
    /// `DisseminationRule`, `ReuseRule`, `ClassificationRule`, `HoldRule`).
    /// An unknown category is ignored with no effect; use [`try_rule`](Self::try_rule) to
    /// get an error.
    pub fn rule(&mut self, category: &str, rule_id: &str, start_date: Option<&str>) -> &mut Self {
        let _ = self.try_rule(category, rule_id, start_date);
        self
    }

    /// Like [`rule`](Self::rule), failing on an unknown category.
    pub fn try_rule(
        &mut self,
        category: &str,
        rule_id: &str,
        start_date: Option<&str>,
    ) -> Result<&mut Self> {
        let m = self.unit.management_mut();
        let g = rule_group_in(&mut m.items, category, |g| {
            ManagementItem::from_group(category, g)
        })?;
        g.add_rule(rule_id, start_date);
        Ok(self)
    }

    /// Sets the `FinalAction` of a `StorageRule` / `AppraisalRule`.
    pub fn final_action(&mut self, category: &str, action: &str) -> Result<&mut Self> {
        let m = self.unit.management_mut();
        let g = rule_group_in(&mut m.items, category, |g| {
            ManagementItem::from_group(category, g)
        })?;
        g.set_text("FinalAction", action);
        Ok(self)
    }

    /// Links the unit to a data object group (`DataObjectReference/DataObjectGroupReferenceId`).
    pub fn object_group(&mut self, group_id: &str) -> &mut Self {
        let mut r = DataObjectRef::default();
        r.add_text("DataObjectGroupReferenceId", Text::new(group_id));
        self.unit.insert(ArchiveUnitItem::DataObjectReference(r));
        self
    }

    /// Adds a nested child unit and returns its builder.
    pub fn child(&mut self, id: &str) -> UnitBuilder<'_> {
        let mut u = ArchiveUnit::default();
        u.meta.set_attr("id", id);
        u.content_mut();
        self.unit.insert(ArchiveUnitItem::ArchiveUnit(Box::new(u)));
        let unit = self
            .unit
            .items
            .iter_mut()
            .rev()
            .find_map(|i| match i {
                ArchiveUnitItem::ArchiveUnit(u) => Some(&mut **u),
                _ => None,
            })
            .expect("just inserted");
        UnitBuilder { unit }
    }

    /// Adds a reference stub child (`<ArchiveUnit id=…><ArchiveUnitRefId>target</…>`),
    /// making this unit a parent of `target` (flat form).
    pub fn child_ref(&mut self, stub_id: &str, target: &str) -> &mut Self {
        let mut u = ArchiveUnit::default();
        u.meta.set_attr("id", stub_id);
        u.add_text("ArchiveUnitRefId", Text::new(target));
        self.unit.insert(ArchiveUnitItem::ArchiveUnit(Box::new(u)));
        self
    }
}

fn rule_group_in<'m, I>(
    items: &'m mut Vec<I>,
    category: &str,
    make: impl Fn(RuleGroup) -> Option<I>,
) -> Result<&'m mut RuleGroup>
where
    I: RuleHolder,
{
    if !items.iter().any(|i| i.tag_name() == Some(category)) {
        let item = make(RuleGroup::default()).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("`{category}` is not a management rule category"),
            )
        })?;
        let ord = item.order_index();
        let mut at = 0;
        for (i, it) in items.iter().enumerate() {
            if it.order_index_opt().is_some_and(|o| o <= ord) {
                at = i + 1;
            }
        }
        items.insert(at, item);
    }
    items
        .iter_mut()
        .filter(|i| i.tag_name() == Some(category))
        .find_map(|i| i.group_mut())
        .ok_or_else(|| Error::internal("rule group vanished"))
}

/// Items that can hold rule groups (Management and ManagementMetadata children).
trait RuleHolder {
    fn tag_name(&self) -> Option<&'static str>;
    fn order_index(&self) -> u16;
    fn order_index_opt(&self) -> Option<u16>;
    fn group_mut(&mut self) -> Option<&mut RuleGroup>;
}

macro_rules! rule_holder {
    ($item:ident) => {
        impl RuleHolder for $item {
            fn tag_name(&self) -> Option<&'static str> {
                self.tag()
            }
            fn order_index(&self) -> u16 {
                self.order().unwrap_or(u16::MAX)
            }
            fn order_index_opt(&self) -> Option<u16> {
                self.order()
            }
            fn group_mut(&mut self) -> Option<&mut RuleGroup> {
                match self {
                    $item::StorageRule(g)
                    | $item::AppraisalRule(g)
                    | $item::AccessRule(g)
                    | $item::DisseminationRule(g)
                    | $item::ReuseRule(g)
                    | $item::ClassificationRule(g)
                    | $item::HoldRule(g) => Some(g),
                    _ => None,
                }
            }
        }

        impl $item {
            /// The rule-group child for `category`.
            pub fn from_group(category: &str, g: RuleGroup) -> Option<Self> {
                Some(match category {
                    "StorageRule" => $item::StorageRule(g),
                    "AppraisalRule" => $item::AppraisalRule(g),
                    "AccessRule" => $item::AccessRule(g),
                    "DisseminationRule" => $item::DisseminationRule(g),
                    "ReuseRule" => $item::ReuseRule(g),
                    "ClassificationRule" => $item::ClassificationRule(g),
                    "HoldRule" => $item::HoldRule(g),
                    _ => return None,
                })
            }
        }
    };
}

rule_holder!(ManagementItem);
rule_holder!(ManagementMetadataItem);

/// Chained setters over a unit's `Content` (each inserts at the canonical position).
pub struct ContentBuilder<'c> {
    content: &'c mut Content,
}

impl<'c> ContentBuilder<'c> {
    /// Wraps an existing `Content`.
    pub fn new(content: &'c mut Content) -> Self {
        ContentBuilder { content }
    }

    /// Sets `DescriptionLevel`.
    pub fn description_level(self, level: &str) -> Self {
        self.content.set_text("DescriptionLevel", level);
        self
    }

    /// Adds a `Title`.
    pub fn title(self, title: &str) -> Self {
        self.content.add_text("Title", Text::new(title));
        self
    }

    /// Adds a `Title` with `xml:lang`.
    pub fn title_lang(self, title: &str, lang: &str) -> Self {
        self.content
            .add_text("Title", Text::new(title).with_attr("xml:lang", lang));
        self
    }

    /// Adds a `Description`.
    pub fn description(self, text: &str) -> Self {
        self.content.add_text("Description", Text::new(text));
        self
    }

    /// Sets `StartDate` (any DateType lexical form).
    pub fn start_date(self, date: &str) -> Self {
        self.content.set_text("StartDate", date);
        self
    }

    /// Sets `EndDate`.
    pub fn end_date(self, date: &str) -> Self {
        self.content.set_text("EndDate", date);
        self
    }

    /// Adds a `Keyword` (`KeywordContent` and optional `KeywordType`).
    pub fn keyword(self, content: &str, kind: Option<&str>) -> Self {
        let mut k = Keyword::default();
        k.add_text("KeywordContent", Text::new(content));
        if let Some(t) = kind {
            k.add_text("KeywordType", Text::new(t));
        }
        self.content.insert(ContentItem::Keyword(k));
        self
    }

    /// Adds any leaf element of `Content` by name (e.g. `OriginatingSystemId`).
    /// Unknown names are ignored; see [`Content::add_text`].
    pub fn text(self, tag: &str, value: &str) -> Self {
        self.content.add_text(tag, Text::new(value));
        self
    }

    /// The `Content` being built.
    pub fn get(self) -> &'c mut Content {
        self.content
    }
}
