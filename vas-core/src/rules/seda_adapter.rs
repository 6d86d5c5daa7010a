//! Adapter from the typed SEDA model ([`crate::seda::Document`]) to the rules engine's
//! input.
//!
//! A 2.1 manifest carries Vitam's `HoldRule` as an extension: the SEDA model keeps it as
//! a raw element, which is read here like the typed 2.2/2.3 element.

use std::collections::HashMap;

use super::input::{ManifestUnits, set_category_leaf};
use super::model::{CategoryRules, Management, UnitRulesInput};
use crate::referential::RuleCategory;
use crate::seda::{
    ArchiveUnit, ArchiveUnitItem, DescriptiveMetadataItem, Document, ManagementItem,
    ManagementMetadataItem, RuleGroup,
};
use crate::xml::RawElement;
use crate::{Error, ErrorKind, Result};

fn from_group(group: &RuleGroup, cat: &mut CategoryRules, unit: &str) -> Result<()> {
    for item in &group.items {
        if let (Some(tag), Some(t)) = (item.tag(), item.as_text()) {
            set_category_leaf(cat, tag, t.as_str().trim()).map_err(|m| bad(unit, m))?;
        }
    }
    Ok(())
}

fn from_raw(raw: &RawElement, cat: &mut CategoryRules, unit: &str) -> Result<()> {
    for child in raw.elements() {
        set_category_leaf(cat, child.local_name(), child.text().trim())
            .map_err(|m| bad(unit, m))?;
    }
    Ok(())
}

fn bad(unit: &str, msg: String) -> Error {
    Error::new(ErrorKind::InvalidInput, format!("unit {unit}: {msg}")).with_id(unit.to_owned())
}

fn parse_bool(s: &str, unit: &str) -> Result<bool> {
    match s.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(bad(
            unit,
            format!("NeedAuthorization {other:?} is not a boolean"),
        )),
    }
}

/// Reads one `Management`-like list of children: typed rule groups, `NeedAuthorization`,
/// and raw extension elements named like a category (Vitam's 2.1 `HoldRule`).
fn management<'a>(children: impl Iterator<Item = Child<'a>>, unit: &str) -> Result<Management> {
    let mut m = Management::default();
    for child in children {
        match child {
            Child::Group(c, g) => from_group(g, m.category_mut(c), unit)?,
            Child::Raw(raw) => {
                if let Ok(c) = raw.local_name().parse::<RuleCategory>() {
                    from_raw(raw, m.category_mut(c), unit)?;
                }
            }
            Child::NeedAuthorization(v) => m.need_authorization = Some(parse_bool(v, unit)?),
        }
    }
    Ok(m)
}

enum Child<'a> {
    Group(RuleCategory, &'a RuleGroup),
    Raw(&'a RawElement),
    NeedAuthorization(&'a str),
}

fn unit_children(items: &[ManagementItem]) -> impl Iterator<Item = Child<'_>> {
    items.iter().filter_map(|i| match i {
        ManagementItem::StorageRule(g) => Some(Child::Group(RuleCategory::Storage, g)),
        ManagementItem::AppraisalRule(g) => Some(Child::Group(RuleCategory::Appraisal, g)),
        ManagementItem::AccessRule(g) => Some(Child::Group(RuleCategory::Access, g)),
        ManagementItem::DisseminationRule(g) => Some(Child::Group(RuleCategory::Dissemination, g)),
        ManagementItem::ReuseRule(g) => Some(Child::Group(RuleCategory::Reuse, g)),
        ManagementItem::ClassificationRule(g) => {
            Some(Child::Group(RuleCategory::Classification, g))
        }
        ManagementItem::HoldRule(g) => Some(Child::Group(RuleCategory::Hold, g)),
        ManagementItem::NeedAuthorization(t) => Some(Child::NeedAuthorization(t.as_str())),
        ManagementItem::Other(r) => Some(Child::Raw(r)),
        _ => None,
    })
}

fn metadata_children(items: &[ManagementMetadataItem]) -> impl Iterator<Item = Child<'_>> {
    items.iter().filter_map(|i| match i {
        ManagementMetadataItem::StorageRule(g) => Some(Child::Group(RuleCategory::Storage, g)),
        ManagementMetadataItem::AppraisalRule(g) => Some(Child::Group(RuleCategory::Appraisal, g)),
        ManagementMetadataItem::AccessRule(g) => Some(Child::Group(RuleCategory::Access, g)),
        ManagementMetadataItem::DisseminationRule(g) => {
            Some(Child::Group(RuleCategory::Dissemination, g))
        }
        ManagementMetadataItem::ReuseRule(g) => Some(Child::Group(RuleCategory::Reuse, g)),
        ManagementMetadataItem::ClassificationRule(g) => {
            Some(Child::Group(RuleCategory::Classification, g))
        }
        ManagementMetadataItem::HoldRule(g) => Some(Child::Group(RuleCategory::Hold, g)),
        ManagementMetadataItem::NeedAuthorization(t) => Some(Child::NeedAuthorization(t.as_str())),
        ManagementMetadataItem::Other(r) => Some(Child::Raw(r)),
        _ => None,
    })
}

struct Rec {
    unit: UnitRulesInput,
    reference: Option<String>,
    enclosing: Option<usize>,
}

fn walk(u: &ArchiveUnit, enclosing: Option<usize>, recs: &mut Vec<Rec>) -> Result<()> {
    let id = u.id().unwrap_or_default().to_owned();
    let mut rec = Rec {
        unit: UnitRulesInput {
            id: id.clone(),
            ..Default::default()
        },
        reference: None,
        enclosing,
    };
    for item in &u.items {
        match item {
            ArchiveUnitItem::ArchiveUnitRefId(t) => {
                rec.reference = Some(t.as_str().trim().to_owned())
            }
            ArchiveUnitItem::Management(m) => {
                rec.unit.management = management(unit_children(&m.items), &id)?
            }
            ArchiveUnitItem::Content(c) if rec.unit.title.is_none() => {
                rec.unit.title = c.text("Title").map(|t| t.trim().to_owned());
            }
            _ => {}
        }
    }
    recs.push(rec);
    let me = recs.len() - 1;
    for item in &u.items {
        if let ArchiveUnitItem::ArchiveUnit(child) = item {
            walk(child, Some(me), recs)?;
        }
    }
    Ok(())
}

/// The rules engine's input from a parsed SEDA document (an `ArchiveTransfer`): units with
/// their parents (nesting and `ArchiveUnitRefId`), first titles, management, and the
/// `ManagementMetadata` rules applied to the root units (see
/// [`Management::apply_defaults`]) and originating agency set on every unit.
///
/// ```
/// use vas_core::referential::RuleCategory;
/// use vas_core::seda::Document;
/// use vas_core::rules::units_from_seda;
///
/// let doc = Document::from_str(r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2">
///   <Date>2024-01-01T00:00:00</Date><MessageIdentifier>M</MessageIdentifier><ArchivalAgreement>IC</ArchivalAgreement>
///   <CodeListVersions/><DataObjectPackage><DescriptiveMetadata>
///     <ArchiveUnit id="A"><Management><HoldRule><Rule>HOL-1</Rule><HoldOwner>me</HoldOwner></HoldRule></Management>
///       <Content><Title>Root</Title></Content>
///       <ArchiveUnit id="B"><Content><Title>Child</Title></Content></ArchiveUnit></ArchiveUnit>
///   </DescriptiveMetadata><ManagementMetadata><OriginatingAgencyIdentifier>SP</OriginatingAgencyIdentifier></ManagementMetadata>
///   </DataObjectPackage><ArchivalAgency><Identifier>AA</Identifier></ArchivalAgency>
///   <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#)?;
/// let m = units_from_seda(&doc)?;
/// assert_eq!(m.units[1].parents, ["A"]);
/// let hold = m.units[0].management.category(RuleCategory::Hold).unwrap();
/// assert_eq!(hold.rules[0].hold.hold_owner.as_deref(), Some("me"));
/// assert_eq!(m.units[1].originating_agency.as_deref(), Some("SP"));
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn units_from_seda(doc: &Document) -> Result<ManifestUnits> {
    let mut recs: Vec<Rec> = Vec::new();
    let package = doc.package();
    if let Some(dm) = package.and_then(|p| p.descriptive_metadata()) {
        for item in &dm.items {
            if let DescriptiveMetadataItem::ArchiveUnit(u) = item {
                walk(u, None, &mut recs)?;
            }
        }
    }
    let (metadata, agency) = match package.and_then(|p| p.management_metadata()) {
        Some(mm) => (
            management(metadata_children(&mm.items), "ManagementMetadata")?,
            mm.text("OriginatingAgencyIdentifier")
                .map(|s| s.trim().to_owned()),
        ),
        None => (Management::default(), None),
    };
    let mut out: Vec<UnitRulesInput> = Vec::new();
    let mut pos: HashMap<String, usize> = HashMap::new();
    for r in &recs {
        if r.reference.is_none() {
            if pos.insert(r.unit.id.clone(), out.len()).is_some() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("duplicated ArchiveUnit id {}", r.unit.id),
                )
                .with_id(r.unit.id.clone()));
            }
            out.push(r.unit.clone());
        }
    }
    let pointers: HashMap<&str, &String> = recs
        .iter()
        .filter_map(|r| r.reference.as_ref().map(|t| (r.unit.id.as_str(), t)))
        .collect();
    for r in &recs {
        let Some(parent) = r.enclosing.map(|e| recs[e].unit.id.clone()) else {
            continue;
        };
        let mut child = r.reference.as_ref().unwrap_or(&r.unit.id);
        let mut hops = 0;
        while let (None, Some(next)) = (pos.get(child), pointers.get(child.as_str())) {
            child = next;
            hops += 1;
            if hops > recs.len() {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("ArchiveUnitRefId loop through {child}"),
                ));
            }
        }
        let &ci = pos.get(child).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("ArchiveUnitRefId {child} (in unit {parent}) points to no ArchiveUnit"),
            )
            .with_id(child.clone())
        })?;
        if !out[ci].parents.contains(&parent) {
            out[ci].parents.push(parent);
        }
    }
    for u in &mut out {
        if u.parents.is_empty() {
            u.management.apply_defaults(&metadata);
        }
        u.originating_agency = agency.clone();
    }
    Ok(ManifestUnits {
        units: out,
        originating_agency: agency,
        management_metadata: metadata,
    })
}
