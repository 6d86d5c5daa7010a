//! SEDA messages the archive writes: the ArchiveTransferReply of an ingest and the
//! ArchiveDeliveryRequestReply (DIP) of an export.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::Archive;
use super::manifest::Manifest;
use crate::catalog::{ObjectGroupRecord, ObjectRecord};
use crate::error::{Error, ErrorKind, Result};
use crate::ids::{IdKind, format_ms};
use crate::ingest::dry_run::{AtrInfo, ObjectUsage};
use crate::seda::{
    ArchiveUnit, ArchiveUnitItem, BinaryDataObject, BinaryDataObjectItem, ContentItem,
    DataObjectGroup, DataObjectGroupItem, DataObjectPackage, DataObjectPackageItem, DataObjectRef,
    DescriptiveMetadataItem, Document, Element, ElementMeta, FormatIdentification, Message,
    MessageItem, MessageKind, Organization, PhysicalDataObject, SedaReader, SedaVersion, Text,
};
use crate::sip::{PackageFormat, PackageWriter, WriterOptions};
use crate::xml::escape_text as esc;
use crate::xml::{Limits, XEvent, XmlReader};

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
    /// The SEDA version of the manifest (`2.1`, `2.2`, `2.3`).
    pub seda_version: String,
    /// The schema the manifest was checked against before the DIP was written: `official`
    /// (the official XSD of its version) or `vitam-lenient` (Vitam's variant, when some
    /// unit carries what Vitam accepted at ingest but the official schema forbids, e.g. an
    /// extension element in `Content`).
    pub schema: String,
    /// With `vitam-lenient`: the first element the official schema refused, and why.
    pub official_finding: Option<String>,
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

/// What the ATR of an archive ingest says of its SIP: the header (namespace of the SIP's
/// SEDA version, message identifier, agreement, agencies) and, with `content`, every
/// group with its objects and every unit, in manifest order (their system ids are given
/// to [`crate::ingest::atr::build_atr_with`]).
pub(crate) fn atr_info(m: &Manifest, content: bool) -> AtrInfo {
    let mut info = AtrInfo {
        namespace: m.version.namespace().to_string(),
        message_identifier: m.message_identifier.clone(),
        archival_agreement: m.archival_agreement.clone(),
        archival_agency: m.archival_agency.clone(),
        transferring_agency: m.transferring_agency.clone(),
        groups: Vec::new(),
        units: Vec::new(),
    };
    if content {
        let mut of_group: BTreeMap<&str, Vec<ObjectUsage>> = BTreeMap::new();
        for o in &m.objects {
            of_group.entry(o.group.as_str()).or_default().push((
                o.id.clone(),
                Some(o.version.clone()).filter(|v| !v.is_empty()),
                !o.physical,
            ));
        }
        info.groups = m
            .groups
            .iter()
            .map(|g| (g.clone(), of_group.remove(g.as_str()).unwrap_or_default()))
            .collect();
        info.units = m.units.iter().map(|u| u.id.clone()).collect();
    }
    info
}

fn file_name(id: &str, format_ext: &str) -> String {
    format!("Content/{id}{format_ext}")
}

/// Options of [`Archive::dip_with`](super::Archive::dip_with).
#[derive(Debug, Clone, Default)]
pub struct DipOptions {
    /// The SEDA version of the DIP manifest. Default: the version of the SIPs the exported
    /// units were ingested from (the highest one when they differ; 2.1 for units ingested
    /// before the archive kept it).
    pub version: Option<SedaVersion>,
    /// Refuse (`Unsupported`) rather than fall back to Vitam's lenient schema when the
    /// content as ingested is not valid against the official XSD of any tried version.
    pub strict: bool,
}

/// Parses a typed SEDA element from a fragment whose root declares the SEDA namespace of
/// `version`.
fn parse_fragment<T: Element>(xml: &str, version: SedaVersion) -> Result<T> {
    let mut r = SedaReader {
        xml: XmlReader::new(xml.as_bytes(), Limits { max_depth: 200 }),
        version,
    };
    r.xml.set_target_namespace(version.namespace().as_bytes());
    loop {
        match r.xml.next()? {
            XEvent::Start(s) => return T::parse(&mut r, &s),
            XEvent::Eof => {
                return Err(Error::new(ErrorKind::Corrupt, "empty stored SEDA fragment"));
            }
            _ => {}
        }
    }
}

/// A unit's stored SEDA (`seda` of its document on the offers): version and the
/// `ArchiveUnitProfile`/`Management`/`Content` children as ingested; a root unit of its
/// package with the package's `ManagementMetadata` rules folded into its `Management`
/// ([`super::manifest::with_management_metadata`]).
fn stored_unit(doc: &Value) -> Result<Option<(SedaVersion, String)>> {
    let Some(s) = doc.get("seda") else {
        return Ok(None);
    };
    let Some(v) = s
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| v.parse::<SedaVersion>().ok())
    else {
        return Ok(None);
    };
    let Some(xml) = s.get("xml").and_then(Value::as_str) else {
        return Ok(None);
    };
    Ok(Some(
        match s.get("management_metadata").and_then(Value::as_str) {
            Some(mm) => (v, super::manifest::with_management_metadata(xml, mm)?),
            None => (v, xml.to_string()),
        },
    ))
}

fn leaf(value: impl Into<String>) -> Text {
    Text::new(value)
}

fn organization(id: &str) -> Organization {
    let mut o = Organization::default();
    o.set_text("Identifier", id);
    o
}

/// Writes the DIP of the units `query` selects under `contract`.
pub(crate) fn export(
    a: &Archive,
    contract: &str,
    query: &Value,
    out: &Path,
    opts: &DipOptions,
) -> Result<DipSummary> {
    let c = a.contract(contract)?.clone();
    let answer = a.search(contract, query)?;
    let results = answer["$results"].as_array().cloned().unwrap_or_default();
    let msg = a.ids().generate_string(IdKind::Operation);
    let mut sum = DipSummary {
        message_identifier: msg.clone(),
        units: results.len(),
        ..Default::default()
    };
    // Each unit as ingested (from the offers, where its document is kept with its SEDA).
    let mut stored: Vec<(SedaVersion, String)> = Vec::with_capacity(results.len());
    for u in &results {
        let id = u["#id"].as_str().unwrap_or_default();
        let doc = a.read_stored_doc(crate::catalog::DocKind::Unit, id)?;
        stored.push(
            match stored_unit(&doc).map_err(|e| e.with_id(id.to_string()))? {
                Some(s) => s,
                None => {
                    // Ingested before the archive kept the SEDA: the catalog's Content.
                    let mut x = String::new();
                    content_xml(&mut x, u, None, id);
                    (SedaVersion::V2_1, x)
                }
            },
        );
    }
    let first = opts
        .version
        .or_else(|| stored.iter().map(|s| s.0).max())
        .unwrap_or(SedaVersion::V2_1);
    // Groups, read through the contract.
    let mut groups: BTreeMap<String, (ObjectGroupRecord, Value)> = BTreeMap::new();
    for u in &results {
        if let Some(g) = u["#object"].as_str()
            && !groups.contains_key(g)
        {
            let doc = {
                let cat = super::lock(&a.catalog);
                cat.view(a.tenant(), &c)?.get_object_group(g)?
            };
            let rec = ObjectGroupRecord::from_document(&doc)?;
            let seda = a
                .read_stored_doc(crate::catalog::DocKind::ObjectGroup, g)
                .map(|d| d["seda"].clone())
                .unwrap_or(Value::Null);
            groups.insert(g.to_string(), (rec, seda));
        }
    }
    // Latest version of each allowed usage, per group.
    let mut exported: Vec<(&str, Vec<(&ObjectRecord, String)>)> = Vec::new();
    for (gid, (g, seda)) in &groups {
        let mut latest: BTreeMap<&str, &ObjectRecord> = BTreeMap::new();
        for o in &g.objects {
            if !c.allows_usage(&o.usage) {
                continue;
            }
            match latest.get(o.usage.as_str()) {
                Some(p) if p.version >= o.version => {}
                _ => {
                    latest.insert(&o.usage, o);
                }
            }
        }
        if !latest.is_empty() {
            let objs = latest
                .into_values()
                .map(|o| {
                    let inner = seda["objects"][&o.id]["xml"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    (o, inner)
                })
                .collect();
            exported.push((gid, objs));
        }
    }
    // The manifest: in the requested version, or (by default) the units' SIP version, else
    // the first later version in which the content as ingested is valid (Vitam accepts
    // some later elements in older SIPs, e.g. `SigningInformation` in SEDA 2.1).
    let candidates: Vec<SedaVersion> = match opts.version {
        Some(v) => vec![v],
        None => SedaVersion::ALL
            .into_iter()
            .filter(|v| *v >= first)
            .collect(),
    };
    let mut manifest: Option<(SedaVersion, Vec<u8>)> = None;
    let mut refusal: Option<Error> = None;
    for v in candidates {
        let built = build_manifest(
            v,
            &msg,
            contract,
            a.ids().clock().now_ms(),
            &results,
            &stored,
            &exported,
        )
        .and_then(|x| check_manifest(v, &x).map(|()| x));
        match built {
            Ok(x) => {
                manifest = Some((v, x));
                break;
            }
            Err(e) => {
                refusal.get_or_insert(e);
            }
        }
    }
    let (version, xml) = match manifest {
        Some(m) => {
            sum.schema = "official".into();
            m
        }
        None if !opts.strict => {
            // What Vitam accepted at ingest: valid against its lenient variant.
            let v = opts.version.unwrap_or(first);
            let x = build_manifest(
                v,
                &msg,
                contract,
                a.ids().clock().now_ms(),
                &results,
                &stored,
                &exported,
            )?;
            check_manifest_mode(v, &x, crate::schema::Mode::VitamLenient)?;
            sum.schema = "vitam-lenient".into();
            sum.official_finding = refusal.map(|e| e.message().to_string());
            (v, x)
        }
        None => {
            return Err(refusal.unwrap_or_else(|| Error::internal("no SEDA version to try")));
        }
    };
    sum.seda_version = version.as_str().into();
    let tmp = out.with_extension("part");
    let mut w = PackageWriter::create(&tmp, WriterOptions::new(PackageFormat::Zip))?;
    for (_, objs) in &exported {
        for (o, _) in objs {
            if o.storage_key.is_none() {
                continue;
            }
            let (k, fx) = Archive::fixity_of(o)?;
            let mut r = a.strategy.get(&k, Some(&fx))?;
            w.add_reader(&file_name(&o.id, ""), &mut r, Some(o.size))?;
            sum.objects += 1;
            sum.bytes += o.size;
        }
    }
    w.add_bytes("manifest.xml", &xml)?;
    w.finish()?;
    std::fs::rename(&tmp, out).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot write the DIP: {e}")).with_path(out)
    })?;
    Ok(sum)
}

/// The manifest must be valid against the official XSD of its version (bundled schemas).
fn check_manifest(v: SedaVersion, xml: &[u8]) -> Result<()> {
    check_manifest_mode(v, xml, crate::schema::Mode::Strict)
}

fn check_manifest_mode(v: SedaVersion, xml: &[u8], mode: crate::schema::Mode) -> Result<()> {
    let report = crate::schema::SchemaSet::seda_mode(v, mode)?.validate_bytes(xml);
    match report.findings.first() {
        None if report.is_valid() => Ok(()),
        None => Err(Error::new(
            ErrorKind::Unsupported,
            format!("the DIP manifest is not valid SEDA {v}"),
        )),
        Some(f) => Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "the exported units cannot be written as valid SEDA {v}: {} ({})",
                f.message, f.path
            ),
        )
        .with_element(f.path.clone())),
    }
}

#[allow(clippy::too_many_arguments)]
/// Moves the `Content` children that `unit`'s version does not declare (read as raw
/// extension elements: a 2.1 `Signature` in 2.3, a 2.3 `SigningInformation` in 2.1) after
/// the declared ones, keeping their order. A converted unit keeps its source's order, but
/// in the target version such an element can only be extension content, which ends
/// `Content`; a declared element after it (its `Gps`, say) would be refused by Xerces,
/// Vitam's validator (XSD 1.1, Element Declarations Consistent).
fn extensions_last(unit: &mut ArchiveUnit) {
    for item in &mut unit.items {
        if let ArchiveUnitItem::Content(c) = item {
            let (raw, declared): (Vec<ContentItem>, Vec<ContentItem>) =
                std::mem::take(&mut c.items)
                    .into_iter()
                    .partition(|i| matches!(i, ContentItem::Other(_)));
            c.items = declared;
            c.items.extend(raw);
        }
    }
}

fn build_manifest(
    version: SedaVersion,
    msg: &str,
    contract: &str,
    now_ms: u64,
    results: &[Value],
    stored: &[(SedaVersion, String)],
    exported: &[(&str, Vec<(&ObjectRecord, String)>)],
) -> Result<Vec<u8>> {
    let ns = version.namespace();
    let mut pkg = DataObjectPackage::default();
    let mut exported_groups: BTreeSet<&str> = BTreeSet::new();
    for (gid, objs) in exported {
        let mut group = DataObjectGroup::default();
        group.meta.set_attr("id", *gid);
        for (o, inner) in objs {
            let dov = format!("{}_{}", o.usage, o.version);
            if o.storage_key.is_none() {
                let mut p: PhysicalDataObject = parse_fragment(
                    &format!(r#"<PhysicalDataObject xmlns="{ns}">{inner}</PhysicalDataObject>"#),
                    version,
                )?;
                p.meta = ElementMeta::default();
                p.meta.set_attr("id", o.id.as_str());
                p.set_text("DataObjectVersion", dov);
                group.insert(DataObjectGroupItem::PhysicalDataObject(p));
                continue;
            }
            let mut b: BinaryDataObject = parse_fragment(
                &format!(r#"<BinaryDataObject xmlns="{ns}">{inner}</BinaryDataObject>"#),
                version,
            )?;
            b.meta = ElementMeta::default();
            b.meta.set_attr("id", o.id.as_str());
            b.set_text("DataObjectVersion", dov);
            // The Content file of the DIP, with the digest and size the archive verified.
            for t in ["Attachment", "Uri", "MessageDigest", "Size"] {
                b.remove(t);
            }
            b.add_text("Uri", leaf(file_name(&o.id, "")));
            b.add_text(
                "MessageDigest",
                leaf(o.digest.clone()).with_attr("algorithm", o.algorithm.clone()),
            );
            b.add_text("Size", leaf(o.size.to_string()));
            if b.format_identification().is_none()
                && let Some(f) = &o.format_id
            {
                let mut fi = FormatIdentification::default();
                fi.set_text("FormatId", f.as_str());
                b.insert(BinaryDataObjectItem::FormatIdentification(fi));
            }
            group.insert(DataObjectGroupItem::BinaryDataObject(b));
        }
        exported_groups.insert(gid);
        pkg.insert(DataObjectPackageItem::DataObjectGroup(group));
    }
    let dm = pkg.descriptive_metadata_mut();
    for (u, (from, inner)) in results.iter().zip(stored) {
        let id = u["#id"].as_str().unwrap_or_default();
        let mut unit: ArchiveUnit = parse_fragment(
            &format!(r#"<ArchiveUnit xmlns="{ns}">{inner}</ArchiveUnit>"#),
            version,
        )
        .map_err(|e| e.with_id(id.to_string()))?;
        if *from != version {
            extensions_last(&mut unit);
        }
        unit.meta = ElementMeta::default();
        unit.meta.set_attr("id", id);
        if let Some(g) = u["#object"].as_str()
            && exported_groups.contains(g)
        {
            let mut r = DataObjectRef::default();
            r.add_text("DataObjectGroupReferenceId", leaf(g));
            unit.insert(ArchiveUnitItem::DataObjectReference(r));
        }
        dm.insert(DescriptiveMetadataItem::ArchiveUnit(unit));
    }
    // One originating agency for the package when the units share it (as Vitam's DIP).
    let agencies: BTreeSet<&str> = results
        .iter()
        .filter_map(|u| u["#originating_agency"].as_str())
        .collect();
    let mm = pkg.management_metadata_mut();
    if let (1, Some(a)) = (agencies.len(), agencies.iter().next()) {
        mm.set_text("OriginatingAgencyIdentifier", *a);
    }
    let mut m = Message::default();
    m.meta.set_attr("xmlns", ns);
    m.set_text("Date", format_ms(now_ms));
    m.set_text("MessageIdentifier", msg);
    m.code_list_versions_mut();
    m.insert(MessageItem::DataObjectPackage(pkg));
    m.set_text("ReplyCode", "OK");
    m.set_text("MessageRequestIdentifier", contract);
    for u in results {
        m.add_text(
            "UnitIdentifier",
            leaf(u["#id"].as_str().unwrap_or_default()),
        );
    }
    m.insert(MessageItem::ArchivalAgency(organization("vas")));
    m.insert(MessageItem::Requester(organization(contract)));
    let doc = Document {
        version,
        kind: MessageKind::ArchiveDeliveryRequestReply,
        prolog: Vec::new(),
        message: m,
        epilog: Vec::new(),
    };
    doc.write_as(version).map_err(|e| {
        Error::new(
            e.kind(),
            format!("cannot write the DIP in SEDA {version}: {e}"),
        )
    })
}
