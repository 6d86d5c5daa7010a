//! The part of a SIP manifest the archive stores: units (with their `Content` as JSON,
//! `Management`, parents and object group), object groups and their objects.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};
use crate::seda::SedaVersion;
use crate::xml::{Limits, RawElement, RawNode, XEvent, XmlReader, escape_attr, escape_text};

/// A unit of the manifest.
#[derive(Debug, Clone, Default)]
pub(crate) struct MUnit {
    pub id: String,
    pub parents: Vec<String>,
    pub content: Map<String, Value>,
    pub management: Option<Value>,
    pub group: Option<String>,
    /// The unit's `ArchiveUnitProfile`, `Management` and `Content` as ingested (XML,
    /// unprefixed SEDA names, no namespace declaration): what a DIP gives back.
    pub xml: String,
}

/// An object of the manifest.
#[derive(Debug, Clone, Default)]
pub(crate) struct MObject {
    pub id: String,
    pub group: String,
    pub version: String,
    pub uri: Option<String>,
    pub digest: Option<String>,
    pub algorithm: Option<String>,
    pub size: Option<u64>,
    pub format_id: Option<String>,
    pub physical: bool,
    /// The object's children as ingested (XML, as [`MUnit::xml`]).
    pub xml: String,
}

/// The extracted manifest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    pub message_identifier: Option<String>,
    pub originating_agency: Option<String>,
    pub submission_agency: Option<String>,
    pub archival_agreement: Option<String>,
    pub archival_agency: Option<String>,
    pub transferring_agency: Option<String>,
    pub units: Vec<MUnit>,
    pub objects: Vec<MObject>,
    /// Group ids in document order.
    pub groups: Vec<String>,
    /// The SEDA version of the manifest (from its root namespace; 2.1 when unknown).
    pub version: SedaVersion,
    /// The children of `ManagementMetadata` (XML fragment, as [`MUnit::xml`]) when it
    /// holds more than the originating and submission agencies: management rules
    /// (`StorageRule` … `HoldRule`, `NeedAuthorization`), `AcquisitionInformation`,
    /// `LegalStatus`, … They apply to the package's root units (Vitam keeps them with
    /// those units); `None` otherwise.
    pub management_metadata: Option<String>,
}

const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

fn is_seda_ns(ns: Option<&str>) -> bool {
    ns.is_none_or(|n| n.is_empty() || SedaVersion::from_namespace(n).is_some())
}

/// Serialises `e` for a stand-alone fragment: SEDA elements by their local name (the
/// fragment is re-read under the default SEDA namespace), foreign elements with their
/// namespace declared on themselves, namespace declarations of the source dropped.
pub(crate) fn write_fragment(e: &RawElement, out: &mut String) {
    let seda = is_seda_ns(e.namespace.as_deref());
    let name = if seda {
        e.local_name()
    } else {
        e.name.as_str()
    };
    out.push('<');
    out.push_str(name);
    if !seda && let Some(ns) = &e.namespace {
        match e.name.split_once(':') {
            Some((p, _)) => out.push_str(&format!(" xmlns:{p}=\"{}\"", escape_attr(ns))),
            None => out.push_str(&format!(" xmlns=\"{}\"", escape_attr(ns))),
        }
    }
    for a in &e.attrs {
        if a.name == "xmlns" || a.name.starts_with("xmlns:") {
            continue;
        }
        if a.name.starts_with("xsi:") && !out.ends_with("XMLSchema-instance\"") {
            out.push_str(&format!(" xmlns:xsi=\"{XSI}\""));
        }
        out.push_str(&format!(" {}=\"{}\"", a.name, escape_attr(&a.value)));
    }
    if e.children.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for c in &e.children {
        match c {
            RawNode::Element(k) => write_fragment(k, out),
            RawNode::Text(t) | RawNode::CData(t) => out.push_str(&escape_text(t)),
            RawNode::Comment(c) => {
                out.push_str("<!--");
                out.push_str(c);
                out.push_str("-->");
            }
            RawNode::Pi(p) => {
                out.push_str("<?");
                out.push_str(p);
                out.push_str("?>");
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The children of `e` named in `keep` (or, with `keep` empty, all but those in `skip`),
/// serialised as a fragment in document order (comments between them kept).
fn children_fragment(e: &RawElement, keep: &[&str], skip: &[&str]) -> String {
    let mut out = String::new();
    for node in &e.children {
        let k = match node {
            RawNode::Element(k) => k,
            RawNode::Comment(c) => {
                out.push_str("<!--");
                out.push_str(c);
                out.push_str("-->");
                continue;
            }
            _ => continue,
        };
        let n = k.local_name();
        let wanted = if keep.is_empty() {
            !skip.contains(&n)
        } else {
            keep.contains(&n)
        };
        if wanted && is_seda_ns(k.namespace.as_deref()) {
            write_fragment(k, &mut out);
        }
    }
    out
}

fn child<'a>(e: &'a RawElement, name: &str) -> Option<&'a RawElement> {
    e.elements().find(|c| c.local_name() == name)
}

fn child_text(e: &RawElement, name: &str) -> Option<String> {
    child(e, name)
        .map(|c| c.text().trim().to_string())
        .filter(|s| !s.is_empty())
}

fn id_of(e: &RawElement) -> Option<String> {
    e.attrs
        .iter()
        .find(|a| a.name.rsplit(':').next() == Some("id"))
        .map(|a| a.value.trim().to_string())
}

/// An element as JSON: text for a leaf, an object of children otherwise (repeated names
/// become arrays); `xml:lang` variants of a leaf become `Name_: {lang: text}` as in Vitam.
pub(crate) fn to_json(e: &RawElement) -> Value {
    let kids: Vec<&RawElement> = e.elements().collect();
    if kids.is_empty() {
        return Value::String(e.text().trim().to_string());
    }
    let mut m = Map::new();
    for k in kids {
        let name = k.local_name().to_string();
        let v = to_json(k);
        let lang = k
            .attrs
            .iter()
            .find(|a| a.name == "xml:lang")
            .map(|a| a.value.clone());
        if let (Some(lang), Value::String(_)) = (lang, &v) {
            let entry = m
                .entry(format!("{name}_"))
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = entry {
                o.entry(lang).or_insert(v.clone());
            }
            if m.contains_key(&name) {
                continue;
            }
        }
        match m.get_mut(&name) {
            None => {
                m.insert(name, v);
            }
            Some(Value::Array(a)) => a.push(v),
            Some(old) => {
                let prev = old.take();
                *old = Value::Array(vec![prev, v]);
            }
        }
    }
    Value::Object(m)
}

fn parse_root(bytes: &[u8]) -> Result<RawElement> {
    let mut r = XmlReader::new(bytes, Limits { max_depth: 200 });
    loop {
        match r.next()? {
            XEvent::Start(s) => return RawElement::capture(&mut r, &s),
            XEvent::Eof => {
                return Err(Error::new(
                    ErrorKind::Xml,
                    "the manifest has no root element",
                ));
            }
            _ => {}
        }
    }
}

/// Reads the manifest. Errors carry Vitam's codes where one applies.
pub(crate) fn read(bytes: &[u8]) -> Result<Manifest> {
    let root = parse_root(bytes).map_err(|e| e.with_code("CHECK_SEDA.NOT_XML_FILE.KO"))?;
    if root.local_name() != "ArchiveTransfer" {
        return Err(Error::new(
            ErrorKind::Schema,
            format!(
                "the manifest root is {}, not ArchiveTransfer",
                root.local_name()
            ),
        )
        .with_code("CHECK_SEDA.NOT_XSD_VALID.KO"));
    }
    let mut m = Manifest {
        version: root
            .namespace
            .as_deref()
            .and_then(SedaVersion::from_namespace)
            .unwrap_or(SedaVersion::V2_1),
        message_identifier: child_text(&root, "MessageIdentifier"),
        archival_agreement: child_text(&root, "ArchivalAgreement"),
        archival_agency: child(&root, "ArchivalAgency").and_then(|a| child_text(a, "Identifier")),
        transferring_agency: child(&root, "TransferringAgency")
            .and_then(|a| child_text(a, "Identifier")),
        ..Default::default()
    };
    let pkg = child(&root, "DataObjectPackage").ok_or_else(|| {
        Error::new(ErrorKind::Schema, "the manifest has no DataObjectPackage")
            .with_code("CHECK_SEDA.NOT_XSD_VALID.KO")
    })?;
    if let Some(mm) = child(pkg, "ManagementMetadata") {
        m.originating_agency = child_text(mm, "OriginatingAgencyIdentifier");
        m.submission_agency = child_text(mm, "SubmissionAgencyIdentifier");
        if mm.elements().any(|e| {
            is_seda_ns(e.namespace.as_deref())
                && !matches!(
                    e.local_name(),
                    "OriginatingAgencyIdentifier" | "SubmissionAgencyIdentifier"
                )
        }) {
            m.management_metadata = Some(children_fragment(mm, &[], &[]));
        }
    }
    // Objects and groups.
    let mut object_group: HashMap<String, String> = HashMap::new();
    // The group ids already in `m.groups` (a linear search per object was quadratic).
    let mut seen_groups: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut push_object = |m: &mut Manifest, o: &RawElement, group: Option<String>| -> Result<()> {
        let id = id_of(o).ok_or_else(|| {
            Error::new(ErrorKind::Schema, "a data object has no id").with_element(o.name.clone())
        })?;
        let group = group
            .or_else(|| child_text(o, "DataObjectGroupId"))
            .or_else(|| child_text(o, "DataObjectGroupReferenceId"))
            .unwrap_or_else(|| format!("GOT_{id}"));
        if seen_groups.insert(group.clone()) {
            m.groups.push(group.clone());
        }
        let digest_el = child(o, "MessageDigest");
        let obj = MObject {
            id: id.clone(),
            group: group.clone(),
            version: child_text(o, "DataObjectVersion").unwrap_or_else(|| {
                if o.local_name() == "PhysicalDataObject" {
                    "PhysicalMaster_1".into()
                } else {
                    "BinaryMaster_1".into()
                }
            }),
            uri: child_text(o, "Uri"),
            digest: digest_el.map(|d| d.text().trim().to_string()),
            algorithm: digest_el.and_then(|d| d.attr("algorithm").map(str::to_string)),
            size: match child_text(o, "Size") {
                Some(s) => Some(s.parse::<u64>().map_err(|_| {
                    Error::new(
                        ErrorKind::Schema,
                        format!("object {id}: Size {s:?} is not a number"),
                    )
                    .with_id(id.clone())
                })?),
                None => None,
            },
            format_id: child(o, "FormatIdentification").and_then(|f| child_text(f, "FormatId")),
            physical: o.local_name() == "PhysicalDataObject",
            xml: children_fragment(o, &[], &["DataObjectGroupId", "DataObjectGroupReferenceId"]),
        };
        object_group.insert(id, group);
        m.objects.push(obj);
        Ok(())
    };
    for e in pkg.elements() {
        match e.local_name() {
            "DataObjectGroup" => {
                let gid = id_of(e)
                    .ok_or_else(|| Error::new(ErrorKind::Schema, "a DataObjectGroup has no id"))?;
                for o in e.elements() {
                    if matches!(o.local_name(), "BinaryDataObject" | "PhysicalDataObject") {
                        push_object(&mut m, o, Some(gid.clone()))?;
                    }
                }
                if !m.groups.contains(&gid) {
                    m.groups.push(gid);
                }
            }
            "BinaryDataObject" | "PhysicalDataObject" => push_object(&mut m, e, None)?,
            _ => {}
        }
    }
    // Units.
    let mut refs: Vec<(String, String)> = Vec::new();
    if let Some(dm) = child(pkg, "DescriptiveMetadata") {
        let mut stack: Vec<(&RawElement, Option<String>)> = dm
            .elements()
            .filter(|e| e.local_name() == "ArchiveUnit")
            .map(|e| (e, None))
            .collect();
        stack.reverse();
        while let Some((u, parent)) = stack.pop() {
            if let Some(target) = child_text(u, "ArchiveUnitRefId") {
                if let Some(p) = parent {
                    refs.push((target, p));
                }
                continue;
            }
            let id = id_of(u).ok_or_else(|| {
                Error::new(ErrorKind::Schema, "an ArchiveUnit has no id")
                    .with_code("CHECK_SEDA.NOT_XSD_VALID.KO")
            })?;
            let content = match child(u, "Content").map(to_json) {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            let group = child(u, "DataObjectReference").and_then(|r| {
                child_text(r, "DataObjectGroupReferenceId").or_else(|| {
                    child_text(r, "DataObjectReferenceId")
                        .and_then(|oid| object_group.get(&oid).cloned())
                })
            });
            let management = child(u, "Management").map(to_json);
            let mut kids: Vec<(&RawElement, Option<String>)> = u
                .elements()
                .filter(|e| e.local_name() == "ArchiveUnit")
                .map(|e| (e, Some(id.clone())))
                .collect();
            kids.reverse();
            stack.extend(kids);
            m.units.push(MUnit {
                id,
                parents: parent.into_iter().collect(),
                content,
                management: management.filter(|v| v.is_object()),
                group,
                xml: children_fragment(u, &["ArchiveUnitProfile", "Management", "Content"], &[]),
            });
        }
    }
    let index: BTreeMap<String, usize> = m
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id.clone(), i))
        .collect();
    if index.len() != m.units.len() {
        return Err(Error::new(ErrorKind::Schema, "duplicated ArchiveUnit id")
            .with_code("CHECK_SEDA.NOT_XSD_VALID.KO"));
    }
    for (target, parent) in refs {
        let i = *index.get(&target).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("ArchiveUnitRefId {target:?} names no unit of the manifest"),
            )
            .with_id(target.clone())
            .with_code("CHECK_DATAOBJECTPACKAGE.KO")
        })?;
        if !m.units[i].parents.contains(&parent) {
            m.units[i].parents.push(parent);
        }
    }
    let group_set: std::collections::HashSet<&str> = m.groups.iter().map(String::as_str).collect();
    for u in &m.units {
        if let Some(g) = &u.group
            && !group_set.contains(g.as_str())
        {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("unit {} references the unknown object group {g:?}", u.id),
            )
            .with_id(u.id.clone())
            .with_code("CHECK_DATAOBJECTPACKAGE.KO"));
        }
    }
    Ok(m)
}

/// The children of SEDA's `ManagementGroup` (in `Management` and `ManagementMetadata`),
/// in schema order (the same in SEDA 2.1, 2.2 and 2.3; `HoldRule` from 2.2 on).
const MANAGEMENT_GROUP: &[&str] = &[
    "StorageRule",
    "AppraisalRule",
    "AccessRule",
    "DisseminationRule",
    "ReuseRule",
    "ClassificationRule",
    "LogBook",
    "NeedAuthorization",
    "HoldRule",
];

/// Children of a rule category element that belong to the `Rule` before them.
const RULE_SCOPED: &[&str] = &[
    "StartDate",
    "HoldEndDate",
    "HoldOwner",
    "HoldReassessingDate",
    "HoldReason",
    "PreventRearrangement",
];

fn is_true(e: Option<&RawElement>) -> bool {
    e.is_some_and(|e| matches!(e.text().trim(), "true" | "1"))
}

/// One category of a root unit's `Management` with the package's `ManagementMetadata`
/// block of the same category applied (as [`crate::rules::Management::apply_defaults`]):
/// nothing when the unit prevents inheritance, else the package's rules the unit neither
/// declares nor refuses (`RefNonRuleId`), each with its `StartDate` (and hold fields),
/// after the unit's own, and the package's `FinalAction` when the unit has none.
fn merge_category(own: &RawElement, pkg: &RawElement, out: &mut String) {
    if is_true(child(own, "PreventInheritance")) {
        write_fragment(own, out);
        return;
    }
    let texts = |name: &str| -> Vec<String> {
        own.elements()
            .filter(|e| e.local_name() == name)
            .map(|e| e.text().trim().to_string())
            .collect()
    };
    let (have, refused) = (texts("Rule"), texts("RefNonRuleId"));
    // The package's rules to add, each with the elements scoped to it.
    let mut added: Vec<&RawElement> = Vec::new();
    let mut taking = false;
    for e in pkg.elements() {
        let n = e.local_name();
        if n == "Rule" {
            let r = e.text().trim().to_string();
            taking = !have.contains(&r) && !refused.contains(&r);
        } else if !RULE_SCOPED.contains(&n) {
            taking = false;
            continue;
        }
        if taking {
            added.push(e);
        }
    }
    let final_action = child(pkg, "FinalAction").filter(|_| child(own, "FinalAction").is_none());
    let kids: Vec<&RawElement> = own.elements().collect();
    // The added rules go after the unit's last rule (or first, without any).
    let at = kids
        .iter()
        .rposition(|e| e.local_name() == "Rule" || RULE_SCOPED.contains(&e.local_name()))
        .map_or(0, |i| i + 1);
    out.push('<');
    out.push_str(own.local_name());
    out.push('>');
    for (i, k) in kids.iter().enumerate() {
        if i == at {
            added.iter().for_each(|a| write_fragment(a, out));
        }
        write_fragment(k, out);
    }
    if at == kids.len() {
        added.iter().for_each(|a| write_fragment(a, out));
    }
    if let Some(f) = final_action {
        write_fragment(f, out);
    }
    out.push_str("</");
    out.push_str(own.local_name());
    out.push('>');
}

/// A root unit's stored fragment (`ArchiveUnitProfile`, `Management`, `Content`, as
/// [`MUnit::xml`]) with its package's `ManagementMetadata` rules (`mm`: the fragment of
/// [`Manifest::management_metadata`]) folded into its `Management`, as the rules engine
/// reads them: a category the unit lacks is taken whole, a category both declare is
/// merged by [`merge_category`], `NeedAuthorization` is taken when the unit has none.
/// The unit's other `Management` children (`UpdateOperation`, extensions) follow. What
/// a DIP gives back for a root unit, so that the rules it was archived under travel with
/// it.
pub(crate) fn with_management_metadata(unit_xml: &str, mm: &str) -> Result<String> {
    let unit = parse_root(format!("<ArchiveUnit>{unit_xml}</ArchiveUnit>").as_bytes())?;
    let pkg = parse_root(format!("<ManagementMetadata>{mm}</ManagementMetadata>").as_bytes())?;
    let defaults: Vec<&RawElement> = pkg
        .elements()
        .filter(|e| MANAGEMENT_GROUP.contains(&e.local_name()) && e.local_name() != "LogBook")
        .collect();
    if defaults.is_empty() {
        return Ok(unit_xml.to_string());
    }
    let own = child(&unit, "Management");
    let mut management = String::from("<Management>");
    for name in MANAGEMENT_GROUP {
        let o = own.and_then(|m| child(m, name));
        let d = defaults.iter().find(|e| e.local_name() == *name).copied();
        match (o, d) {
            (Some(o), Some(d)) if *name != "NeedAuthorization" => {
                merge_category(o, d, &mut management)
            }
            (Some(x), _) | (None, Some(x)) => write_fragment(x, &mut management),
            (None, None) => {}
        }
    }
    if let Some(m) = own {
        for e in m
            .elements()
            .filter(|e| !MANAGEMENT_GROUP.contains(&e.local_name()))
        {
            write_fragment(e, &mut management);
        }
    }
    management.push_str("</Management>");
    let mut out = String::with_capacity(unit_xml.len() + management.len());
    let mut placed = false;
    for e in unit.elements() {
        match e.local_name() {
            "ArchiveUnitProfile" => write_fragment(e, &mut out),
            "Management" => {
                out.push_str(&management);
                placed = true;
            }
            _ => {
                if !placed {
                    out.push_str(&management);
                    placed = true;
                }
                write_fragment(e, &mut out);
            }
        }
    }
    if !placed {
        out.push_str(&management);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_groups_and_refs() {
        let xml = br#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">
  <MessageIdentifier>M</MessageIdentifier>
  <DataObjectPackage>
    <BinaryDataObject id="B1"><DataObjectGroupId>G1</DataObjectGroupId><DataObjectVersion>BinaryMaster_1</DataObjectVersion><Uri>Content/a</Uri><MessageDigest algorithm="SHA-512">ab</MessageDigest><Size>3</Size></BinaryDataObject>
    <DescriptiveMetadata>
      <ArchiveUnit id="U1"><Content><Title>Root</Title><Title xml:lang="en">Root en</Title></Content>
        <ArchiveUnit id="U2"><Content><Title>Child</Title></Content><DataObjectReference><DataObjectReferenceId>B1</DataObjectReferenceId></DataObjectReference></ArchiveUnit>
      </ArchiveUnit>
      <ArchiveUnit id="U3"><Content><Title>Other</Title></Content><ArchiveUnit id="R"><ArchiveUnitRefId>U2</ArchiveUnitRefId></ArchiveUnit></ArchiveUnit>
    </DescriptiveMetadata>
    <ManagementMetadata><OriginatingAgencyIdentifier>FR_A</OriginatingAgencyIdentifier></ManagementMetadata>
  </DataObjectPackage></ArchiveTransfer>"#;
        let m = read(xml).unwrap();
        assert_eq!(m.units.len(), 3);
        assert_eq!(m.units[0].content["Title"], "Root");
        assert_eq!(m.units[0].content["Title_"]["en"], "Root en");
        let u2 = m.units.iter().find(|u| u.id == "U2").unwrap();
        assert_eq!(u2.parents, vec!["U1".to_string(), "U3".to_string()]);
        assert_eq!(u2.group.as_deref(), Some("G1"));
        assert_eq!(m.originating_agency.as_deref(), Some("FR_A"));
        assert_eq!(m.objects[0].size, Some(3));
        assert!(read(b"<a>").is_err());
        assert!(read(b"<ArchiveTransfer/>").is_err());
    }
}
