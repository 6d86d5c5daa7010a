//! The SIP of the attachment tests (`ingest_check_attachement.rs`, `ingest_og_attach.rs`):
//! SEDA 2.1, one object group `G1` whose object `O1` is `Content/a.txt`, and a unit `U1`
//! holding a unit `U2`; each test varies the contract, the usage, where `G1` is referenced,
//! `U1`'s `Management` and extra units.

use std::path::{Path, PathBuf};

use vas_core::digest::{DigestAlgorithm, digest_bytes};

/// A unit's reference to the SIP's group `G1`.
pub const GROUP_REF: &str = "<DataObjectReference><DataObjectGroupReferenceId>G1</DataObjectGroupReferenceId></DataObjectReference>";

/// `U1`'s `Management` attaching it to the existing unit `id` (`UpdateOperation/SystemId`).
pub fn update_operation(id: &str) -> String {
    format!("<Management><UpdateOperation><SystemId>{id}</SystemId></UpdateOperation></Management>")
}

/// The parts a test varies.
pub struct AttachSip<'a> {
    /// `MessageIdentifier`.
    pub message_id: &'a str,
    /// `ArchivalAgreement` (the ingest contract).
    pub agreement: &'a str,
    /// `O1`'s `DataObjectVersion`.
    pub usage: &'a str,
    /// `U1`'s title.
    pub u1_title: &'a str,
    /// `U1`'s `Management` (e.g. [`update_operation`]), or empty.
    pub u1_management: String,
    /// Appended to `U1` after `U2` ([`GROUP_REF`] or empty).
    pub u1_ref: &'a str,
    /// Appended to `U2`'s content ([`GROUP_REF`] or empty).
    pub u2_ref: &'a str,
    /// Units after `U1`.
    pub extra_units: String,
    /// The bytes of `Content/a.txt`.
    pub file: &'a [u8],
}

impl AttachSip<'_> {
    /// The manifest.
    pub fn manifest(&self) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
  <Date>2024-01-01T00:00:00</Date>
  <MessageIdentifier>{message_id}</MessageIdentifier>
  <ArchivalAgreement>{agreement}</ArchivalAgreement>
  <CodeListVersions/>
  <DataObjectPackage>
    <DataObjectGroup id="G1">
      <BinaryDataObject id="O1">
        <DataObjectVersion>{usage}</DataObjectVersion>
        <Uri>Content/a.txt</Uri>
        <MessageDigest algorithm="SHA-512">{digest}</MessageDigest>
        <Size>{size}</Size>
      </BinaryDataObject>
    </DataObjectGroup>
    <DescriptiveMetadata>
      <ArchiveUnit id="U1">{u1_management}
        <Content><DescriptionLevel>RecordGrp</DescriptionLevel><Title>{u1_title}</Title></Content>
        <ArchiveUnit id="U2">
          <Content><DescriptionLevel>Item</DescriptionLevel><Title>Pièce</Title></Content>{u2_ref}
        </ArchiveUnit>{u1_ref}
      </ArchiveUnit>{extra_units}
    </DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>AG1</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage>
  <ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
  <TransferringAgency><Identifier>TA</Identifier></TransferringAgency>
</ArchiveTransfer>
"#,
            message_id = self.message_id,
            agreement = self.agreement,
            usage = self.usage,
            digest = digest_bytes(DigestAlgorithm::Sha512, self.file),
            size = self.file.len(),
            u1_management = self.u1_management,
            u1_title = self.u1_title,
            u1_ref = self.u1_ref,
            u2_ref = self.u2_ref,
            extra_units = self.extra_units,
        )
    }

    /// Writes the SIP as a folder `root/sip` and returns its path.
    pub fn write(&self, root: &Path) -> PathBuf {
        let sip = root.join("sip");
        std::fs::create_dir_all(sip.join("Content")).unwrap();
        std::fs::write(sip.join("manifest.xml"), self.manifest()).unwrap();
        std::fs::write(sip.join("Content/a.txt"), self.file).unwrap();
        sip
    }
}
