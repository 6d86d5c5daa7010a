//! The typed SEDA 2.1/2.2/2.3 element types, one table per complex type.
//!
//! Each type is an ordered list of typed children (see [`seda_complex!`]); the order index
//! is the position in the schema's `xsd:sequence`, and children sharing an index form a
//! repeated choice whose interleaving is data (e.g. `Rule`/`StartDate` pairs, the
//! `DataObjectGroup`/`BinaryDataObject` choice, nested units and references).
//! Abstract extension heads and Vitam extensions are not listed: they are kept as
//! `Other(RawElement)` at their position. `OpenType` slots (`OtherMetadata`,
//! `OrganizationDescriptiveMetadata`, `Metadata`, header `Signature`, `Extended`) are
//! typed as [`RawElement`].

use crate::seda::Text;
use crate::seda::core::seda_complex;
use crate::xml::RawElement;

seda_complex! {
    /// Any SEDA message (`ArchiveTransfer`, `ArchiveTransferReply`,
    /// `ArchiveDeliveryRequestReply`, …): the union of the children of every message type,
    /// in the order the message types share. The root name is in [`crate::seda::MessageKind`].
    Message, MessageItem {
        Comment: Text = (0, "Comment", V2_1, V2_3),
        Date: Text = (1, "Date", V2_1, V2_3),
        MessageIdentifier: Text = (2, "MessageIdentifier", V2_1, V2_3),
        Signature: Box<RawElement> = (3, "Signature", V2_1, V2_3),
        ArchivalAgreement: Text = (4, "ArchivalAgreement", V2_1, V2_3),
        CodeListVersions: CodeListVersions = (5, "CodeListVersions", V2_1, V2_3),
        DataObjectPackage: DataObjectPackage = (6, "DataObjectPackage", V2_1, V2_3),
        ReplyCode: Text = (7, "ReplyCode", V2_1, V2_3),
        Operation: Operation = (8, "Operation", V2_1, V2_3),
        MessageRequestIdentifier: Text = (9, "MessageRequestIdentifier", V2_1, V2_3),
        AuthorizationRequestContent: Box<RawElement> = (10, "AuthorizationRequestContent", V2_1, V2_3),
        RelatedTransferReference: Text = (11, "RelatedTransferReference", V2_1, V2_3),
        TransferRequestReplyIdentifier: Text = (12, "TransferRequestReplyIdentifier", V2_1, V2_3),
        TransferDate: Text = (13, "TransferDate", V2_1, V2_3),
        GrantDate: Text = (14, "GrantDate", V2_1, V2_3),
        Derogation: Text = (15, "Derogation", V2_1, V2_3),
        AuthorizationRequestReplyIdentifier: Text = (16, "AuthorizationRequestReplyIdentifier", V2_1, V2_3),
        UnitIdentifier: Text = (17, "UnitIdentifier", V2_1, V2_3),
        MessageReceivedIdentifier: Text = (18, "MessageReceivedIdentifier", V2_1, V2_3),
        Sender: Organization = (19, "Sender", V2_1, V2_3),
        Receiver: Organization = (20, "Receiver", V2_1, V2_3),
        ArchivalAgency: Organization = (21, "ArchivalAgency", V2_1, V2_3),
        TransferringAgency: Organization = (22, "TransferringAgency", V2_1, V2_3),
        Requester: Organization = (23, "Requester", V2_1, V2_3),
        OriginatingAgency: Organization = (24, "OriginatingAgency", V2_1, V2_3),
        ControlAuthority: Organization = (25, "ControlAuthority", V2_1, V2_3),
    }
}

seda_complex! {
    /// An organisation (`OrganizationWithIdType` / `OrganizationType`).
    Organization, OrganizationItem {
        Identifier: Text = (0, "Identifier", V2_1, V2_3),
        OrganizationDescriptiveMetadata: Box<RawElement> = (1, "OrganizationDescriptiveMetadata", V2_1, V2_3),
    }
}

seda_complex! {
    /// `Operation` of a reply: its events.
    Operation, OperationItem {
        Event: Event = (0, "Event", V2_1, V2_3),
    }
}

seda_complex! {
    /// `CodeListVersions`.
    CodeListVersions, CodeListVersionsItem {
        ReplyCodeListVersion: Text = (0, "ReplyCodeListVersion", V2_1, V2_3),
        MessageDigestAlgorithmCodeListVersion: Text = (1, "MessageDigestAlgorithmCodeListVersion", V2_1, V2_3),
        MimeTypeCodeListVersion: Text = (2, "MimeTypeCodeListVersion", V2_1, V2_3),
        EncodingCodeListVersion: Text = (3, "EncodingCodeListVersion", V2_1, V2_3),
        FileFormatCodeListVersion: Text = (4, "FileFormatCodeListVersion", V2_1, V2_3),
        CompressionAlgorithmCodeListVersion: Text = (5, "CompressionAlgorithmCodeListVersion", V2_1, V2_3),
        DataObjectVersionCodeListVersion: Text = (6, "DataObjectVersionCodeListVersion", V2_1, V2_3),
        StorageRuleCodeListVersion: Text = (7, "StorageRuleCodeListVersion", V2_1, V2_3),
        AppraisalRuleCodeListVersion: Text = (8, "AppraisalRuleCodeListVersion", V2_1, V2_3),
        AccessRuleCodeListVersion: Text = (9, "AccessRuleCodeListVersion", V2_1, V2_3),
        DisseminationRuleCodeListVersion: Text = (10, "DisseminationRuleCodeListVersion", V2_1, V2_3),
        ReuseRuleCodeListVersion: Text = (11, "ReuseRuleCodeListVersion", V2_1, V2_3),
        ClassificationRuleCodeListVersion: Text = (12, "ClassificationRuleCodeListVersion", V2_1, V2_3),
        HoldRuleCodeListVersion: Text = (13, "HoldRuleCodeListVersion", V2_2, V2_3),
        AcquisitionInformationCodeListVersion: Text = (14, "AcquisitionInformationCodeListVersion", V2_1, V2_3),
        AuthorizationReasonCodeListVersion: Text = (15, "AuthorizationReasonCodeListVersion", V2_1, V2_3),
        RelationshipCodeListVersion: Text = (16, "RelationshipCodeListVersion", V2_1, V2_3),
    }
}

seda_complex! {
    /// `DataObjectPackage`: groups and loose objects (interleaved), the units, the
    /// management metadata.
    DataObjectPackage, DataObjectPackageItem {
        DataObjectGroup: DataObjectGroup = (0, "DataObjectGroup", V2_1, V2_3),
        BinaryDataObject: BinaryDataObject = (0, "BinaryDataObject", V2_1, V2_3),
        PhysicalDataObject: PhysicalDataObject = (0, "PhysicalDataObject", V2_1, V2_3),
        DescriptiveMetadata: DescriptiveMetadata = (1, "DescriptiveMetadata", V2_1, V2_3),
        ManagementMetadata: ManagementMetadata = (2, "ManagementMetadata", V2_1, V2_3),
    }
}

seda_complex! {
    /// `DataObjectGroup`: binary and physical objects (interleaved), then `LogBook`.
    DataObjectGroup, DataObjectGroupItem {
        BinaryDataObject: BinaryDataObject = (0, "BinaryDataObject", V2_1, V2_3),
        PhysicalDataObject: PhysicalDataObject = (0, "PhysicalDataObject", V2_1, V2_3),
        LogBook: LogBook = (1, "LogBook", V2_1, V2_3),
    }
}

seda_complex! {
    /// `LogBook`: events.
    LogBook, LogBookItem {
        Event: Event = (0, "Event", V2_1, V2_3),
    }
}

seda_complex! {
    /// `BinaryDataObject`.
    BinaryDataObject, BinaryDataObjectItem {
        DataObjectProfile: Text = (0, "DataObjectProfile", V2_2, V2_3),
        DataObjectSystemId: Text = (1, "DataObjectSystemId", V2_1, V2_3),
        DataObjectGroupSystemId: Text = (2, "DataObjectGroupSystemId", V2_1, V2_3),
        Relationship: Text = (3, "Relationship", V2_1, V2_3),
        DataObjectGroupReferenceId: Text = (4, "DataObjectGroupReferenceId", V2_1, V2_3),
        DataObjectGroupId: Text = (4, "DataObjectGroupId", V2_1, V2_3),
        DataObjectVersion: Text = (5, "DataObjectVersion", V2_1, V2_3),
        PersistentIdentifier: PersistentIdentifier = (6, "PersistentIdentifier", V2_3, V2_3),
        DataObjectUse: Text = (7, "DataObjectUse", V2_3, V2_3),
        DataObjectNumber: Text = (8, "DataObjectNumber", V2_3, V2_3),
        Attachment: Text = (9, "Attachment", V2_1, V2_3),
        Uri: Text = (9, "Uri", V2_1, V2_3),
        MessageDigest: Text = (10, "MessageDigest", V2_1, V2_3),
        Size: Text = (11, "Size", V2_1, V2_3),
        Compressed: Text = (12, "Compressed", V2_1, V2_3),
        FormatIdentification: FormatIdentification = (13, "FormatIdentification", V2_1, V2_3),
        FileInfo: FileInfo = (14, "FileInfo", V2_1, V2_3),
        Metadata: Box<RawElement> = (15, "Metadata", V2_1, V2_3),
        OtherMetadata: Box<RawElement> = (16, "OtherMetadata", V2_1, V2_3),
    }
}

seda_complex! {
    /// `PhysicalDataObject`.
    PhysicalDataObject, PhysicalDataObjectItem {
        DataObjectProfile: Text = (0, "DataObjectProfile", V2_2, V2_3),
        DataObjectSystemId: Text = (1, "DataObjectSystemId", V2_1, V2_3),
        DataObjectGroupSystemId: Text = (2, "DataObjectGroupSystemId", V2_1, V2_3),
        Relationship: Text = (3, "Relationship", V2_1, V2_3),
        DataObjectGroupReferenceId: Text = (4, "DataObjectGroupReferenceId", V2_1, V2_3),
        DataObjectGroupId: Text = (4, "DataObjectGroupId", V2_1, V2_3),
        DataObjectVersion: Text = (5, "DataObjectVersion", V2_1, V2_3),
        PersistentIdentifier: PersistentIdentifier = (6, "PersistentIdentifier", V2_3, V2_3),
        DataObjectUse: Text = (7, "DataObjectUse", V2_3, V2_3),
        DataObjectNumber: Text = (8, "DataObjectNumber", V2_3, V2_3),
        PhysicalId: Text = (9, "PhysicalId", V2_1, V2_3),
        PhysicalDimensions: PhysicalDimensions = (10, "PhysicalDimensions", V2_1, V2_3),
    }
}

seda_complex! {
    /// `FormatIdentification`.
    FormatIdentification, FormatIdentificationItem {
        FormatLitteral: Text = (0, "FormatLitteral", V2_1, V2_3),
        MimeType: Text = (1, "MimeType", V2_1, V2_3),
        FormatId: Text = (2, "FormatId", V2_1, V2_3),
        Encoding: Text = (3, "Encoding", V2_1, V2_3),
    }
}

seda_complex! {
    /// `FileInfo`.
    FileInfo, FileInfoItem {
        Filename: Text = (0, "Filename", V2_1, V2_3),
        CreatingApplicationName: Text = (1, "CreatingApplicationName", V2_1, V2_3),
        CreatingApplicationVersion: Text = (2, "CreatingApplicationVersion", V2_1, V2_3),
        DateCreatedByApplication: Text = (3, "DateCreatedByApplication", V2_1, V2_3),
        CreatingOs: Text = (4, "CreatingOs", V2_1, V2_3),
        CreatingOsVersion: Text = (5, "CreatingOsVersion", V2_1, V2_3),
        LastModified: Text = (6, "LastModified", V2_1, V2_3),
    }
}

seda_complex! {
    /// `PhysicalDimensions` (measurements keep their `@unit` and decimal lexical form).
    PhysicalDimensions, PhysicalDimensionsItem {
        Width: Text = (0, "Width", V2_1, V2_3),
        Height: Text = (1, "Height", V2_1, V2_3),
        Depth: Text = (2, "Depth", V2_1, V2_3),
        Shape: Text = (3, "Shape", V2_1, V2_3),
        Diameter: Text = (4, "Diameter", V2_1, V2_3),
        Length: Text = (5, "Length", V2_1, V2_3),
        Thickness: Text = (6, "Thickness", V2_1, V2_3),
        Weight: Text = (7, "Weight", V2_1, V2_3),
        NumberOfPage: Text = (8, "NumberOfPage", V2_1, V2_3),
    }
}

seda_complex! {
    /// `PersistentIdentifier` (2.3).
    PersistentIdentifier, PersistentIdentifierItem {
        PersistentIdentifierType: Text = (0, "PersistentIdentifierType", V2_3, V2_3),
        PersistentIdentifierOrigin: Text = (1, "PersistentIdentifierOrigin", V2_3, V2_3),
        PersistentIdentifierReference: Text = (2, "PersistentIdentifierReference", V2_3, V2_3),
        PersistentIdentifierContent: Text = (3, "PersistentIdentifierContent", V2_3, V2_3),
    }
}

seda_complex! {
    /// `DescriptiveMetadata`: the top-level units (nested or flat form, as read).
    DescriptiveMetadata, DescriptiveMetadataItem {
        ArchiveUnit: ArchiveUnit = (0, "ArchiveUnit", V2_1, V2_3),
    }
}

seda_complex! {
    /// `ManagementMetadata`: package-level information and default rules.
    ManagementMetadata, ManagementMetadataItem {
        ArchivalProfile: Text = (0, "ArchivalProfile", V2_1, V2_3),
        ServiceLevel: Text = (1, "ServiceLevel", V2_1, V2_3),
        AcquisitionInformation: Text = (2, "AcquisitionInformation", V2_1, V2_3),
        LegalStatus: Text = (3, "LegalStatus", V2_1, V2_3),
        OriginatingAgencyIdentifier: Text = (4, "OriginatingAgencyIdentifier", V2_1, V2_3),
        SubmissionAgencyIdentifier: Text = (5, "SubmissionAgencyIdentifier", V2_1, V2_3),
        StorageRule: RuleGroup = (6, "StorageRule", V2_1, V2_3),
        AppraisalRule: RuleGroup = (7, "AppraisalRule", V2_1, V2_3),
        AccessRule: RuleGroup = (8, "AccessRule", V2_1, V2_3),
        DisseminationRule: RuleGroup = (9, "DisseminationRule", V2_1, V2_3),
        ReuseRule: RuleGroup = (10, "ReuseRule", V2_1, V2_3),
        ClassificationRule: RuleGroup = (11, "ClassificationRule", V2_1, V2_3),
        LogBook: LogBook = (12, "LogBook", V2_1, V2_3),
        NeedAuthorization: Text = (13, "NeedAuthorization", V2_1, V2_3),
        HoldRule: RuleGroup = (14, "HoldRule", V2_2, V2_3),
    }
}

seda_complex! {
    /// `Management` of a unit. Vitam's `UpdateOperation` is kept as `Other`.
    Management, ManagementItem {
        StorageRule: RuleGroup = (0, "StorageRule", V2_1, V2_3),
        AppraisalRule: RuleGroup = (1, "AppraisalRule", V2_1, V2_3),
        AccessRule: RuleGroup = (2, "AccessRule", V2_1, V2_3),
        DisseminationRule: RuleGroup = (3, "DisseminationRule", V2_1, V2_3),
        ReuseRule: RuleGroup = (4, "ReuseRule", V2_1, V2_3),
        ClassificationRule: RuleGroup = (5, "ClassificationRule", V2_1, V2_3),
        LogBook: LogBook = (6, "LogBook", V2_1, V2_3),
        NeedAuthorization: Text = (7, "NeedAuthorization", V2_1, V2_3),
        HoldRule: RuleGroup = (8, "HoldRule", V2_2, V2_3),
    }
}

seda_complex! {
    /// A management rule of any category (`StorageRule`, `AppraisalRule`, `AccessRule`,
    /// `DisseminationRule`, `ReuseRule`, `ClassificationRule`, `HoldRule`). `Rule` and
    /// `StartDate` (and the hold fields) are positional blocks: see [`RuleGroup::rules`].
    RuleGroup, RuleItem {
        Rule: Text = (0, "Rule", V2_1, V2_3),
        StartDate: Text = (0, "StartDate", V2_1, V2_3),
        HoldEndDate: Text = (0, "HoldEndDate", V2_2, V2_3),
        HoldOwner: Text = (0, "HoldOwner", V2_2, V2_3),
        HoldReassessingDate: Text = (0, "HoldReassessingDate", V2_2, V2_3),
        HoldReason: Text = (0, "HoldReason", V2_2, V2_3),
        PreventRearrangement: Text = (0, "PreventRearrangement", V2_2, V2_3),
        ClassificationAudience: Text = (1, "ClassificationAudience", V2_1, V2_3),
        PreventInheritance: Text = (2, "PreventInheritance", V2_1, V2_3),
        RefNonRuleId: Text = (2, "RefNonRuleId", V2_1, V2_3),
        ClassificationLevel: Text = (3, "ClassificationLevel", V2_1, V2_3),
        ClassificationOwner: Text = (4, "ClassificationOwner", V2_1, V2_3),
        ClassificationReassessingDate: Text = (5, "ClassificationReassessingDate", V2_1, V2_3),
        NeedReassessingAuthorization: Text = (6, "NeedReassessingAuthorization", V2_1, V2_3),
        FinalAction: Text = (7, "FinalAction", V2_1, V2_3),
    }
}

seda_complex! {
    /// `ArchiveUnit`: either a reference stub (`ArchiveUnitRefId`) or a full unit with its
    /// children (nested units and object references interleaved, as read).
    ArchiveUnit, ArchiveUnitItem {
        ArchiveUnitRefId: Text = (0, "ArchiveUnitRefId", V2_1, V2_3),
        ArchiveUnitProfile: Text = (1, "ArchiveUnitProfile", V2_1, V2_3),
        Management: Management = (2, "Management", V2_1, V2_3),
        Content: Box<Content> = (3, "Content", V2_1, V2_3),
        ArchiveUnit: Box<ArchiveUnit> = (4, "ArchiveUnit", V2_1, V2_3),
        DataObjectReference: DataObjectRef = (4, "DataObjectReference", V2_1, V2_3),
    }
}

seda_complex! {
    /// `DataObjectReference` / `CustodialHistoryFile` (`DataObjectRefType`).
    DataObjectRef, DataObjectRefItem {
        DataObjectReferenceId: Text = (0, "DataObjectReferenceId", V2_1, V2_3),
        DataObjectGroupReferenceId: Text = (0, "DataObjectGroupReferenceId", V2_1, V2_3),
    }
}

seda_complex! {
    /// `Content`: the descriptive metadata of a unit, every element of the schema.
    Content, ContentItem {
        DescriptionLevel: Text = (0, "DescriptionLevel", V2_1, V2_3),
        Title: Text = (1, "Title", V2_1, V2_3),
        FilePlanPosition: Text = (2, "FilePlanPosition", V2_1, V2_3),
        SystemId: Text = (3, "SystemId", V2_1, V2_3),
        OriginatingSystemId: Text = (4, "OriginatingSystemId", V2_1, V2_3),
        ArchivalAgencyArchiveUnitIdentifier: Text = (5, "ArchivalAgencyArchiveUnitIdentifier", V2_1, V2_3),
        OriginatingAgencyArchiveUnitIdentifier: Text = (6, "OriginatingAgencyArchiveUnitIdentifier", V2_1, V2_3),
        TransferringAgencyArchiveUnitIdentifier: Text = (7, "TransferringAgencyArchiveUnitIdentifier", V2_1, V2_3),
        Description: Text = (8, "Description", V2_1, V2_3),
        CustodialHistory: CustodialHistory = (9, "CustodialHistory", V2_1, V2_3),
        Type: Text = (10, "Type", V2_1, V2_3),
        DocumentType: Text = (11, "DocumentType", V2_1, V2_3),
        Language: Text = (12, "Language", V2_1, V2_3),
        DescriptionLanguage: Text = (13, "DescriptionLanguage", V2_1, V2_3),
        Status: Text = (14, "Status", V2_1, V2_3),
        Version: Text = (15, "Version", V2_1, V2_3),
        Tag: Text = (16, "Tag", V2_1, V2_3),
        Keyword: Keyword = (17, "Keyword", V2_1, V2_3),
        Coverage: Coverage = (18, "Coverage", V2_1, V2_3),
        OriginatingAgency: Organization = (19, "OriginatingAgency", V2_1, V2_3),
        SubmissionAgency: Organization = (20, "SubmissionAgency", V2_1, V2_3),
        Agent: Agent = (21, "Agent", V2_2, V2_3),
        AuthorizedAgent: Agent = (22, "AuthorizedAgent", V2_1, V2_3),
        Writer: Agent = (23, "Writer", V2_1, V2_3),
        Addressee: Agent = (24, "Addressee", V2_1, V2_3),
        Recipient: Agent = (25, "Recipient", V2_1, V2_3),
        Transmitter: Agent = (26, "Transmitter", V2_1, V2_3),
        Sender: Agent = (27, "Sender", V2_1, V2_3),
        Source: Text = (28, "Source", V2_1, V2_3),
        RelatedObjectReference: RelatedObjectReference = (29, "RelatedObjectReference", V2_1, V2_3),
        CreatedDate: Text = (30, "CreatedDate", V2_1, V2_3),
        TransactedDate: Text = (31, "TransactedDate", V2_1, V2_3),
        AcquiredDate: Text = (32, "AcquiredDate", V2_1, V2_3),
        SentDate: Text = (33, "SentDate", V2_1, V2_3),
        ReceivedDate: Text = (34, "ReceivedDate", V2_1, V2_3),
        RegisteredDate: Text = (35, "RegisteredDate", V2_1, V2_3),
        StartDate: Text = (36, "StartDate", V2_1, V2_3),
        EndDate: Text = (37, "EndDate", V2_1, V2_3),
        DateLitteral: Text = (38, "DateLitteral", V2_2, V2_3),
        Event: Event = (39, "Event", V2_1, V2_3),
        Signature: Signature = (40, "Signature", V2_1, V2_2),
        SigningInformation: SigningInformation = (40, "SigningInformation", V2_3, V2_3),
        Gps: Gps = (41, "Gps", V2_1, V2_3),
        OriginatingSystemIdReplyTo: Text = (42, "OriginatingSystemIdReplyTo", V2_2, V2_3),
        TextContent: Text = (43, "TextContent", V2_2, V2_3),
        PersistentIdentifier: PersistentIdentifier = (44, "PersistentIdentifier", V2_3, V2_3),
    }
}

seda_complex! {
    /// `CustodialHistory`.
    CustodialHistory, CustodialHistoryItem {
        CustodialHistoryItem: Text = (0, "CustodialHistoryItem", V2_1, V2_3),
        CustodialHistoryFile: DataObjectRef = (1, "CustodialHistoryFile", V2_1, V2_3),
    }
}

seda_complex! {
    /// `Keyword` (its optional `@id` is in `meta`).
    Keyword, KeywordItem {
        KeywordContent: Text = (0, "KeywordContent", V2_1, V2_3),
        KeywordReference: Text = (1, "KeywordReference", V2_1, V2_3),
        KeywordType: Text = (2, "KeywordType", V2_1, V2_3),
    }
}

seda_complex! {
    /// `Coverage`.
    Coverage, CoverageItem {
        Spatial: Text = (0, "Spatial", V2_1, V2_3),
        Temporal: Text = (1, "Temporal", V2_1, V2_3),
        Juridictional: Text = (2, "Juridictional", V2_1, V2_3),
    }
}

seda_complex! {
    /// An agent (`AgentType`; also `Signer`/`Validator`, which add `SigningTime` /
    /// `ValidationTime`). Person fields and `Corpname` are a choice.
    Agent, AgentItem {
        FirstName: Text = (0, "FirstName", V2_1, V2_3),
        BirthName: Text = (1, "BirthName", V2_1, V2_3),
        FullName: Text = (2, "FullName", V2_1, V2_3),
        GivenName: Text = (3, "GivenName", V2_1, V2_3),
        Gender: Text = (4, "Gender", V2_1, V2_3),
        BirthDate: Text = (5, "BirthDate", V2_1, V2_3),
        BirthPlace: Place = (6, "BirthPlace", V2_1, V2_3),
        DeathDate: Text = (7, "DeathDate", V2_1, V2_3),
        DeathPlace: Place = (8, "DeathPlace", V2_1, V2_3),
        Nationality: Text = (9, "Nationality", V2_1, V2_3),
        Corpname: Text = (0, "Corpname", V2_1, V2_3),
        Identifier: Text = (10, "Identifier", V2_1, V2_3),
        SigningTime: Text = (11, "SigningTime", V2_1, V2_3),
        ValidationTime: Text = (11, "ValidationTime", V2_1, V2_3),
        Function: Text = (12, "Function", V2_1, V2_3),
        Activity: Text = (13, "Activity", V2_1, V2_3),
        Position: Text = (14, "Position", V2_1, V2_3),
        Role: Text = (15, "Role", V2_1, V2_3),
        Mandate: Text = (16, "Mandate", V2_1, V2_3),
    }
}

seda_complex! {
    /// `BirthPlace` / `DeathPlace` (an `xsd:all`: document order is kept as read).
    Place, PlaceItem {
        Geogname: Text = (0, "Geogname", V2_1, V2_3),
        Address: Text = (1, "Address", V2_1, V2_3),
        PostalCode: Text = (2, "PostalCode", V2_1, V2_3),
        City: Text = (3, "City", V2_1, V2_3),
        Region: Text = (4, "Region", V2_1, V2_3),
        Country: Text = (5, "Country", V2_1, V2_3),
    }
}

seda_complex! {
    /// `RelatedObjectReference`.
    RelatedObjectReference, RelatedObjectReferenceItem {
        IsVersionOf: RelatedRef = (0, "IsVersionOf", V2_1, V2_3),
        Replaces: RelatedRef = (1, "Replaces", V2_1, V2_3),
        Requires: RelatedRef = (2, "Requires", V2_1, V2_3),
        IsPartOf: RelatedRef = (3, "IsPartOf", V2_1, V2_3),
        References: RelatedRef = (4, "References", V2_1, V2_3),
    }
}

seda_complex! {
    /// One related reference (`DataObjectOrArchiveUnitReferenceType`).
    RelatedRef, RelatedRefItem {
        ArchiveUnitRefId: Text = (0, "ArchiveUnitRefId", V2_1, V2_3),
        DataObjectReference: DataObjectRef = (0, "DataObjectReference", V2_1, V2_3),
        RepositoryArchiveUnitPID: Text = (0, "RepositoryArchiveUnitPID", V2_1, V2_3),
        RepositoryObjectPID: Text = (0, "RepositoryObjectPID", V2_1, V2_3),
        ExternalReference: Text = (0, "ExternalReference", V2_1, V2_3),
    }
}

seda_complex! {
    /// An event (`EventType`; in a group's `LogBook` it may end with
    /// `DataObjectReferenceId`).
    Event, EventItem {
        EventIdentifier: Text = (0, "EventIdentifier", V2_1, V2_3),
        EventTypeCode: Text = (1, "EventTypeCode", V2_1, V2_3),
        EventType: Text = (2, "EventType", V2_1, V2_3),
        EventDateTime: Text = (3, "EventDateTime", V2_1, V2_3),
        EventDetail: Text = (4, "EventDetail", V2_1, V2_3),
        Outcome: Text = (5, "Outcome", V2_1, V2_3),
        OutcomeDetail: Text = (6, "OutcomeDetail", V2_1, V2_3),
        OutcomeDetailMessage: Text = (7, "OutcomeDetailMessage", V2_1, V2_3),
        EventDetailData: Text = (8, "EventDetailData", V2_1, V2_3),
        LinkingAgentIdentifier: LinkingAgentIdentifier = (9, "LinkingAgentIdentifier", V2_2, V2_3),
        DataObjectReferenceId: Text = (10, "DataObjectReferenceId", V2_1, V2_3),
    }
}

seda_complex! {
    /// `LinkingAgentIdentifier` (2.2+).
    LinkingAgentIdentifier, LinkingAgentIdentifierItem {
        LinkingAgentIdentifierType: Text = (0, "LinkingAgentIdentifierType", V2_2, V2_3),
        LinkingAgentIdentifierValue: Text = (1, "LinkingAgentIdentifierValue", V2_2, V2_3),
        LinkingAgentRole: Text = (2, "LinkingAgentRole", V2_2, V2_3),
    }
}

seda_complex! {
    /// `Signature` of a unit (2.1/2.2).
    Signature, SignatureItem {
        Signer: Agent = (0, "Signer", V2_1, V2_2),
        Validator: Agent = (1, "Validator", V2_1, V2_2),
        Masterdata: Text = (2, "Masterdata", V2_1, V2_2),
        ReferencedObject: ReferencedObject = (3, "ReferencedObject", V2_1, V2_2),
    }
}

seda_complex! {
    /// `ReferencedObject` of a 2.1/2.2 signature.
    ReferencedObject, ReferencedObjectItem {
        SignedObjectId: Text = (0, "SignedObjectId", V2_1, V2_2),
        SignedObjectDigest: Text = (1, "SignedObjectDigest", V2_1, V2_2),
    }
}

seda_complex! {
    /// `SigningInformation` (2.3).
    SigningInformation, SigningInformationItem {
        SigningRole: Text = (0, "SigningRole", V2_3, V2_3),
        DetachedSigningRole: Text = (1, "DetachedSigningRole", V2_3, V2_3),
        SignedDocumentReferenceId: Text = (2, "SignedDocumentReferenceId", V2_3, V2_3),
        SignatureDescription: SignatureDescription = (3, "SignatureDescription", V2_3, V2_3),
        TimestampingInformation: TimestampingInformation = (4, "TimestampingInformation", V2_3, V2_3),
        AdditionalProof: AdditionalProof = (5, "AdditionalProof", V2_3, V2_3),
        Extended: Box<RawElement> = (6, "Extended", V2_3, V2_3),
    }
}

seda_complex! {
    /// `SignatureDescription` (2.3).
    SignatureDescription, SignatureDescriptionItem {
        Signer: Agent = (0, "Signer", V2_3, V2_3),
        Validator: Agent = (1, "Validator", V2_3, V2_3),
        SigningType: Text = (2, "SigningType", V2_3, V2_3),
    }
}

seda_complex! {
    /// `TimestampingInformation` (2.3).
    TimestampingInformation, TimestampingInformationItem {
        TimeStamp: Text = (0, "TimeStamp", V2_3, V2_3),
        AdditionalTimestampingInformation: Text = (1, "AdditionalTimestampingInformation", V2_3, V2_3),
    }
}

seda_complex! {
    /// `AdditionalProof` (2.3).
    AdditionalProof, AdditionalProofItem {
        AdditionalProofInformation: Text = (0, "AdditionalProofInformation", V2_3, V2_3),
    }
}

seda_complex! {
    /// `Gps`.
    Gps, GpsItem {
        GpsVersionID: Text = (0, "GpsVersionID", V2_1, V2_3),
        GpsAltitude: Text = (1, "GpsAltitude", V2_1, V2_3),
        GpsAltitudeRef: Text = (2, "GpsAltitudeRef", V2_1, V2_3),
        GpsLatitude: Text = (3, "GpsLatitude", V2_1, V2_3),
        GpsLatitudeRef: Text = (4, "GpsLatitudeRef", V2_1, V2_3),
        GpsLongitude: Text = (5, "GpsLongitude", V2_1, V2_3),
        GpsLongitudeRef: Text = (6, "GpsLongitudeRef", V2_1, V2_3),
        GpsDateStamp: Text = (7, "GpsDateStamp", V2_1, V2_3),
    }
}
