//! SEDA messages the archive writes: the ArchiveTransferReply of an ingest and the
//! ArchiveDeliveryRequestReply (DIP) of an export.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::Archive;
use super::manifest::{MUnit, Manifest};
use crate::catalog::ObjectGroupRecord;
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{IdKind, format_ms};
use crate::ingest::Report;
use crate::sip::{PackageFormat, PackageWriter, WriterOptions};
use crate::xml::escape_text as esc;

const NS: &str = "fr:gouv:culture:archivesdefrance:seda:v2.1";

const LEVELS: &[&str] = &[
    "Fonds",
    "Subfonds",
    "Class",
    "Collection",
    "Series",
    "Subseries",
    "RecordGrp",
    "SubGrp",
    "File",
    "Item",
    "OtherLevel",
];

/// What [`Archive::dip`] wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DipSummary {
    /// The DIP's `MessageIdentifier` (a new operation id).
    pub message_identifier: String,
    /// Units exported.
    pub units: usize,
    /// Binary objects exported.
    pub objects: usize,
    /// Bytes of objects exported.
    pub bytes: u64,
}

fn first_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(first_string),
        _ => None,
    }
}

fn content_xml(out: &mut String, doc: &Value, system_id: Option<&str>, fallback_title: &str) {
    out.push_str("<Content>");
    if let Some(l) = doc.get("DescriptionLevel").and_then(first_string)
        && LEVELS.contains(&l.as_str())
    {
        let _ = write!(out, "<DescriptionLevel>{l}</DescriptionLevel>");
    }
    let title = doc
        .get("Title")
        .and_then(first_string)
        .or_else(|| {
            doc.get("Title_")
                .and_then(|t| t.as_object())
                .and_then(|o| o.values().find_map(first_string))
        })
        .unwrap_or_else(|| fallback_title.to_string());
    let _ = write!(out, "<Title>{}</Title>", esc(&title));
    if let Some(s) = system_id {
        let _ = write!(out, "<SystemId>{}</SystemId>", esc(s));
    }
    if let Some(d) = doc.get("Description").and_then(first_string) {
        let _ = write!(out, "<Description>{}</Description>", esc(&d));
    }
    out.push_str("</Content>");
}

/// The ArchiveTransferReply of an ingest (SEDA 2.1): reply code, the operation's events,
/// and, when accepted, each unit with its system id (`Content/SystemId`).
pub(crate) fn atr(
    m: Option<&Manifest>,
    report: &Report,
    op: &str,
    sys: &BTreeMap<String, String>,
    units: &[MUnit],
) -> String {
    let now = format_ms(crate::ids::global().clock().now_ms());
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransferReply xmlns="{NS}">
<Date>{now}</Date><MessageIdentifier>{op}</MessageIdentifier>"#
    );
    if let Some(a) = m.and_then(|m| m.archival_agreement.as_deref()) {
        let _ = write!(s, "<ArchivalAgreement>{}</ArchivalAgreement>", esc(a));
    }
    s.push_str("<CodeListVersions/>");
    if !sys.is_empty() {
        s.push_str("<DataObjectPackage><DescriptiveMetadata>");
        for u in units {
            if let Some(id) = sys.get(&u.id) {
                let _ = write!(
                    s,
                    r#"<ArchiveUnit id="{}">"#,
                    crate::xml::escape_attr(&u.id)
                );
                content_xml(&mut s, &Value::Object(u.content.clone()), Some(id), &u.id);
                s.push_str("</ArchiveUnit>");
            }
        }
        s.push_str("</DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>");
    }
    let code = if report.outcome.is_accepted() {
        "OK"
    } else {
        "KO"
    };
    let _ = write!(s, "<ReplyCode>{code}</ReplyCode><Operation>");
    for e in &report.events {
        let _ = write!(
            s,
            "<Event><EventTypeCode>{}</EventTypeCode><EventDateTime>{now}</EventDateTime><Outcome>{}</Outcome><OutcomeDetail>{}</OutcomeDetail><OutcomeDetailMessage>{}</OutcomeDetailMessage></Event>",
            esc(&e.ev_type),
            e.outcome.as_str(),
            esc(&e.out_detail),
            esc(&e.out_messg)
        );
    }
    s.push_str("</Operation>");
    let req = m
        .and_then(|m| m.message_identifier.clone())
        .unwrap_or_else(|| "unknown".into());
    let _ = write!(
        s,
        "<MessageRequestIdentifier>{}</MessageRequestIdentifier>",
        esc(&req)
    );
    let agency = |x: Option<&String>| {
        x.cloned()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".into())
    };
    let _ = writeln!(
        s,
        "<ArchivalAgency><Identifier>{}</Identifier></ArchivalAgency><TransferringAgency><Identifier>{}</Identifier></TransferringAgency></ArchiveTransferReply>",
        esc(&agency(m.and_then(|m| m.archival_agency.as_ref()))),
        esc(&agency(m.and_then(|m| m.transferring_agency.as_ref())))
    );
    s
}

fn file_name(id: &str, format_ext: &str) -> String {
    format!("Content/{id}{format_ext}")
}

/// Writes the DIP of the units `query` selects under `contract`.
pub(crate) fn export(a: &Archive, contract: &str, query: &Value, out: &Path) -> Result<DipSummary> {
    let c = a.contract(contract)?.clone();
    let answer = a.search(contract, query)?;
    let results = answer["$results"].as_array().cloned().unwrap_or_default();
    let msg = a.ids().generate_string(IdKind::Operation);
    let mut sum = DipSummary {
        message_identifier: msg.clone(),
        units: results.len(),
        ..Default::default()
    };
    // Groups, read through the contract.
    let mut groups: BTreeMap<String, ObjectGroupRecord> = BTreeMap::new();
    for u in &results {
        if let Some(g) = u["#object"].as_str()
            && !groups.contains_key(g)
        {
            let doc = {
                let cat = super::lock(&a.catalog);
                cat.view(a.config.tenant, &c)?.get_object_group(g)?
            };
            groups.insert(g.to_string(), ObjectGroupRecord::from_document(&doc)?);
        }
    }
    let tmp = out.with_extension("part");
    let mut w = PackageWriter::create(&tmp, WriterOptions::new(PackageFormat::Zip))?;
    let mut objects_xml = String::new();
    for (gid, g) in &groups {
        // Latest version of each allowed usage.
        let mut latest: BTreeMap<&str, &crate::catalog::ObjectRecord> = BTreeMap::new();
        for o in &g.objects {
            if !c.allows_usage(&o.usage) || o.storage_key.is_none() {
                continue;
            }
            match latest.get(o.usage.as_str()) {
                Some(p) if p.version >= o.version => {}
                _ => {
                    latest.insert(&o.usage, o);
                }
            }
        }
        if latest.is_empty() {
            continue;
        }
        let _ = write!(objects_xml, r#"<DataObjectGroup id="{gid}">"#);
        for o in latest.values() {
            let (k, fx) = Archive::fixity_of(o)?;
            let name = file_name(&o.id, "");
            let mut r = a.strategy.get(&k, Some(&fx))?;
            w.add_reader(&name, &mut r, Some(o.size))?;
            sum.objects += 1;
            sum.bytes += o.size;
            let _ = write!(
                objects_xml,
                r#"<BinaryDataObject id="{}"><DataObjectVersion>{}_{}</DataObjectVersion><Uri>{name}</Uri><MessageDigest algorithm="{}">{}</MessageDigest><Size>{}</Size>"#,
                o.id,
                esc(&o.usage),
                o.version,
                esc(&o.algorithm),
                o.digest,
                o.size
            );
            if let Some(f) = &o.format_id {
                let _ = write!(
                    objects_xml,
                    "<FormatIdentification><FormatId>{}</FormatId></FormatIdentification>",
                    esc(f)
                );
            }
            objects_xml.push_str("</BinaryDataObject>");
        }
        objects_xml.push_str("</DataObjectGroup>");
    }
    let now = format_ms(a.ids().clock().now_ms());
    let mut x = String::new();
    let _ = write!(
        x,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ArchiveDeliveryRequestReply xmlns="{NS}">
<Date>{now}</Date><MessageIdentifier>{msg}</MessageIdentifier><CodeListVersions/>
<DataObjectPackage>{objects_xml}<DescriptiveMetadata>"#
    );
    for u in &results {
        let id = u["#id"].as_str().unwrap_or_default();
        let _ = write!(x, r#"<ArchiveUnit id="{id}">"#);
        content_xml(&mut x, u, None, id);
        if let Some(g) = u["#object"].as_str()
            && groups.get(g).is_some_and(|gr| {
                gr.objects
                    .iter()
                    .any(|o| c.allows_usage(&o.usage) && o.storage_key.is_some())
            })
        {
            let _ = write!(
                x,
                "<DataObjectReference><DataObjectGroupReferenceId>{g}</DataObjectGroupReferenceId></DataObjectReference>"
            );
        }
        x.push_str("</ArchiveUnit>");
    }
    let _ = write!(
        x,
        "</DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>\n<ReplyCode>OK</ReplyCode><MessageRequestIdentifier>{}</MessageRequestIdentifier>",
        esc(contract)
    );
    for u in &results {
        let _ = write!(
            x,
            "<UnitIdentifier>{}</UnitIdentifier>",
            esc(u["#id"].as_str().unwrap_or_default())
        );
    }
    let _ = writeln!(
        x,
        "<ArchivalAgency><Identifier>vas</Identifier></ArchivalAgency><Requester><Identifier>{}</Identifier></Requester></ArchiveDeliveryRequestReply>",
        esc(contract)
    );
    w.add_bytes("manifest.xml", x.as_bytes())?;
    w.finish()?;
    std::fs::rename(&tmp, out).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot write the DIP: {e}")).with_path(out)
    })?;
    Ok(sum)
}
