//! Filling the engine's input from a SEDA manifest (or a SIP holding one) and from JSON.
//!
//! The manifest reader only extracts what the rules need: archive units with their ids,
//! nesting and `ArchiveUnitRefId` links, first `Title`, `Management` blocks, and the
//! `ManagementMetadata` defaults and originating agency. It does not validate the
//! manifest (that is the `seda` and `schema` modules' job).

use std::path::Path;

use quick_xml::events::Event;
use serde_json::Value;

use super::dates::parse_date;
use super::model::{CategoryRules, Management, PropertyValue, RuleRef, UnitRulesInput};
use crate::referential::RuleCategory;
use crate::{Error, ErrorKind, Result};

/// Largest manifest read from a SIP (bytes).
const MAX_MANIFEST: u64 = 1 << 30;

/// The rules-relevant content of a manifest.
#[derive(Debug, Clone, Default)]
pub struct ManifestUnits {
    /// The units, in document order, with `ManagementMetadata` defaults already applied
    /// to the root units and the originating agency set on every unit.
    pub units: Vec<UnitRulesInput>,
    /// `ManagementMetadata/OriginatingAgencyIdentifier`.
    pub originating_agency: Option<String>,
    /// The `ManagementMetadata` rule defaults.
    pub management_metadata: Management,
}

/// Reads a manifest file, a SIP (`.zip`: its root `.xml` file, `manifest.xml` first) or a
/// directory holding `manifest.xml`.
pub fn read_manifest_units(path: impl AsRef<Path>) -> Result<ManifestUnits> {
    let path = path.as_ref();
    let bytes = manifest_bytes(path)?;
    read_manifest_units_bytes(&bytes).map_err(|e| e.or_path(path))
}

/// The bytes of a manifest given as a file, a SIP (zip, tar, tar.gz or tar.bz2, read with
/// the hostile-safe [`SipReader`](crate::sip::SipReader): its `manifest.xml`; at most
/// 1 GiB) or a directory holding `manifest.xml`.
///
/// A package is streamed, never loaded whole: only the manifest entry is read.
pub fn manifest_bytes(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    if path.is_dir() {
        let m = path.join("manifest.xml");
        return std::fs::read(&m).map_err(|e| Error::from(e).or_path(&m));
    }
    if crate::sip::ContainerKind::detect(path).is_ok() {
        let limits = crate::sip::Limits {
            max_manifest_size: MAX_MANIFEST,
            ..crate::sip::Limits::default()
        };
        let mut reader = crate::sip::SipReader::open(path, limits)?;
        return reader.manifest_bytes().map_err(|e| e.or_path(path));
    }
    let len = std::fs::metadata(path)
        .map_err(|e| Error::from(e).or_path(path))?
        .len();
    if len > MAX_MANIFEST {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("the manifest is {len} bytes, the limit is {MAX_MANIFEST}"),
        )
        .with_path(path));
    }
    std::fs::read(path).map_err(|e| Error::from(e).or_path(path))
}

fn line_col(text: &str, offset: u64) -> (u64, u64) {
    let upto = &text.as_bytes()[..(offset as usize).min(text.len())];
    let line = upto.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
    (line, col)
}

struct UnitFrame {
    /// Index in `records`.
    record: usize,
}

struct Record {
    unit: UnitRulesInput,
    /// `Some(target)` for an `ArchiveUnitRefId` pointer element.
    reference: Option<String>,
    /// The enclosing unit record.
    enclosing: Option<usize>,
}

#[derive(Clone, Copy)]
enum Target {
    Unit(usize),
    Metadata,
}

fn category_of(name: &str) -> Option<RuleCategory> {
    name.parse().ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Reads the rules-relevant content of a SEDA 2.1/2.2/2.3 manifest.
///
/// ```
/// use vas_core::referential::RuleCategory;
/// use vas_core::rules::read_manifest_units_bytes;
///
/// let xml = r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"><DataObjectPackage>
///   <DescriptiveMetadata>
///     <ArchiveUnit id="A"><Content><Title>Root</Title></Content>
///       <ArchiveUnit id="B"><Management><AccessRule><Rule>ACC-1</Rule><StartDate>2000-01-01</StartDate>
///         <PreventInheritance>true</PreventInheritance></AccessRule></Management>
///         <Content><Title>Child</Title></Content></ArchiveUnit>
///       <ArchiveUnit id="ref"><ArchiveUnitRefId>C</ArchiveUnitRefId></ArchiveUnit>
///     </ArchiveUnit>
///     <ArchiveUnit id="C"><Content><Title>Shared</Title></Content></ArchiveUnit>
///   </DescriptiveMetadata>
///   <ManagementMetadata><OriginatingAgencyIdentifier>SP</OriginatingAgencyIdentifier>
///     <AppraisalRule><FinalAction>Keep</FinalAction></AppraisalRule></ManagementMetadata>
/// </DataObjectPackage></ArchiveTransfer>"#;
/// let m = read_manifest_units_bytes(xml.as_bytes())?;
/// let ids: Vec<_> = m.units.iter().map(|u| u.id.as_str()).collect();
/// assert_eq!(ids, ["A", "B", "C"]);
/// assert_eq!(m.units[1].parents, ["A"]);
/// assert_eq!(m.units[2].parents, ["A"]); // through ArchiveUnitRefId
/// assert!(m.units[1].management.category(RuleCategory::Access).unwrap().prevent_inheritance);
/// // ManagementMetadata defaults go to the root unit only
/// assert!(m.units[0].management.category(RuleCategory::Appraisal).is_some());
/// assert!(m.units[1].management.category(RuleCategory::Appraisal).is_none());
/// assert_eq!(m.units[2].originating_agency.as_deref(), Some("SP"));
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn read_manifest_units_bytes(bytes: &[u8]) -> Result<ManifestUnits> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|e| Error::new(ErrorKind::Xml, "the manifest is not UTF-8").with_source(e))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut units: Vec<UnitFrame> = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    let mut metadata = Management::default();
    let mut agency: Option<String> = None;
    let mut textbuf = String::new();
    let mut in_descriptive = false;
    let err_at = |reader: &quick_xml::Reader<&[u8]>, msg: String, stack: &[String]| {
        let (l, c) = line_col(text, reader.buffer_position());
        Error::new(ErrorKind::InvalidInput, msg)
            .at(l, c)
            .with_element(format!("/{}", stack.join("/")))
    };
    loop {
        let ev = reader.read_event().map_err(|e| {
            let (l, c) = line_col(text, reader.error_position());
            Error::new(ErrorKind::Xml, format!("malformed XML: {e}"))
                .at(l, c)
                .with_source(e)
        })?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let name = e.local_name().as_ref().to_owned();
                if name == "DescriptiveMetadata" {
                    in_descriptive = true;
                }
                if name == "ArchiveUnit" && in_descriptive {
                    let id = match e.try_get_attribute("id") {
                        Ok(Some(a)) => a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|x| err_at(&reader, format!("bad id attribute: {x}"), &stack))?
                            .into_owned(),
                        _ => return Err(err_at(&reader, "ArchiveUnit without id".into(), &stack)),
                    };
                    let enclosing = units.last().map(|f| f.record);
                    records.push(Record {
                        unit: UnitRulesInput {
                            id,
                            ..Default::default()
                        },
                        reference: None,
                        enclosing,
                    });
                    if !empty {
                        units.push(UnitFrame {
                            record: records.len() - 1,
                        });
                    }
                }
                if !empty {
                    stack.push(name);
                    textbuf.clear();
                } else {
                    // an empty leaf: handle as an empty value
                    stack.push(name);
                    textbuf.clear();
                    leaf(&stack, "", &mut records, &units, &mut metadata, &mut agency)
                        .map_err(|m| err_at(&reader, m, &stack))?;
                    stack.pop();
                }
            }
            Event::Text(t) => textbuf.push_str(&t.xml10_content()),
            Event::CData(t) => textbuf.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    match &*r {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    }
                };
                match c {
                    Some(c) => textbuf.push(c),
                    None => {
                        return Err(Error::new(
                            ErrorKind::Unsafe,
                            format!("entity reference &{}; refused", &*r),
                        ));
                    }
                }
            }
            Event::DocType(_) => {
                return Err(Error::new(
                    ErrorKind::Unsafe,
                    "DOCTYPE refused in a manifest",
                ));
            }
            Event::End(_) => {
                let value = std::mem::take(&mut textbuf);
                leaf(
                    &stack,
                    value.trim(),
                    &mut records,
                    &units,
                    &mut metadata,
                    &mut agency,
                )
                .map_err(|m| err_at(&reader, m, &stack))?;
                let name = stack.pop().unwrap_or_default();
                if name == "ArchiveUnit" && in_descriptive {
                    units.pop();
                }
                if name == "DescriptiveMetadata" {
                    in_descriptive = false;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // resolve references into parent links
    let mut out: Vec<UnitRulesInput> = Vec::new();
    let mut pos: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for r in &records {
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
    let pointers: std::collections::HashMap<&str, &String> = records
        .iter()
        .filter_map(|r| r.reference.as_ref().map(|t| (r.unit.id.as_str(), t)))
        .collect();
    for r in &records {
        let Some(parent) = r.enclosing.map(|e| records[e].unit.id.clone()) else {
            continue;
        };
        let mut child = r.reference.as_ref().unwrap_or(&r.unit.id);
        // a top-level ArchiveUnit may itself be a pointer (ArchiveUnitRefId): follow it
        let mut hops = 0;
        while let (None, Some(next)) = (pos.get(child), pointers.get(child.as_str())) {
            child = next;
            hops += 1;
            if hops > records.len() {
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

/// Handles the end of an element whose path is `stack` with text `value`.
fn leaf(
    stack: &[String],
    value: &str,
    records: &mut [Record],
    units: &[UnitFrame],
    metadata: &mut Management,
    agency: &mut Option<String>,
) -> std::result::Result<(), String> {
    let n = stack.len();
    let at = |k: usize| -> &str { if n > k { stack[n - 1 - k].as_str() } else { "" } };
    let name = at(0);
    // the unit's own elements: direct children of the current ArchiveUnit
    if at(1) == "ArchiveUnit" && name == "ArchiveUnitRefId" {
        if let Some(f) = units.last() {
            records[f.record].reference = Some(value.to_owned());
        }
        return Ok(());
    }
    if at(1) == "Content" && at(2) == "ArchiveUnit" && name == "Title" {
        if let Some(f) = units.last() {
            let t = &mut records[f.record].unit.title;
            if t.is_none() {
                *t = Some(value.to_owned());
            }
        }
        return Ok(());
    }
    if name == "OriginatingAgencyIdentifier" && at(1) == "ManagementMetadata" {
        *agency = Some(value.to_owned());
        return Ok(());
    }
    // Management blocks
    let target = |k: usize| -> Option<Target> {
        match at(k) {
            "Management" if at(k + 1) == "ArchiveUnit" => {
                units.last().map(|f| Target::Unit(f.record))
            }
            "ManagementMetadata" => Some(Target::Metadata),
            _ => None,
        }
    };
    let pick =
        |t: Target,
         records: &'_ mut [Record],
         metadata: &'_ mut Management,
         f: &mut dyn FnMut(&mut Management) -> std::result::Result<(), String>| match t {
            Target::Unit(r) => f(&mut records[r].unit.management),
            Target::Metadata => f(metadata),
        };
    if name == "NeedAuthorization" {
        if let Some(t) = target(1) {
            let b = parse_bool(value)
                .ok_or_else(|| format!("NeedAuthorization {value:?} is not a boolean"))?;
            return pick(t, records, metadata, &mut |m| {
                m.need_authorization = Some(b);
                Ok(())
            });
        }
        return Ok(());
    }
    if let (Some(c), Some(t)) = (category_of(name), target(1)) {
        // an empty category block (e.g. <AppraisalRule/> or only FinalAction) still counts
        return pick(t, records, metadata, &mut |m| {
            m.category_mut(c);
            Ok(())
        });
    }
    let (Some(c), Some(t)) = (category_of(at(1)), target(2)) else {
        return Ok(());
    };
    pick(t, records, metadata, &mut |m| {
        set_category_leaf(m.category_mut(c), name, value)
    })
}

/// Applies one child element of a category block (`Rule`, `StartDate`, `FinalAction`,
/// `RefNonRuleId` …) to the block; unknown names are ignored.
pub(crate) fn set_category_leaf(
    cat: &mut CategoryRules,
    name: &str,
    value: &str,
) -> std::result::Result<(), String> {
    let date = |v: &str| parse_date(v).map_err(|e| format!("{name}: {}", e.message()));
    {
        let last = cat.rules.last_mut();
        match name {
            "Rule" => cat.rules.push(RuleRef::new(value, None)),
            "StartDate" => {
                let d = date(value)?;
                last.ok_or("StartDate before any Rule")?.start_date = Some(d);
            }
            "HoldEndDate" => {
                let d = date(value)?;
                last.ok_or("HoldEndDate before any Rule")?
                    .hold
                    .hold_end_date = Some(d);
            }
            "HoldReassessingDate" => {
                let d = date(value)?;
                last.ok_or("HoldReassessingDate before any Rule")?
                    .hold
                    .hold_reassessing_date = Some(d);
            }
            "HoldOwner" => {
                last.ok_or("HoldOwner before any Rule")?.hold.hold_owner = Some(value.to_owned())
            }
            "HoldReason" => {
                last.ok_or("HoldReason before any Rule")?.hold.hold_reason = Some(value.to_owned())
            }
            "PreventRearrangement" => {
                let b = parse_bool(value)
                    .ok_or_else(|| format!("PreventRearrangement {value:?} is not a boolean"))?;
                last.ok_or("PreventRearrangement before any Rule")?
                    .hold
                    .prevent_rearrangement = Some(b);
            }
            "PreventInheritance" => {
                cat.prevent_inheritance = parse_bool(value)
                    .ok_or_else(|| format!("PreventInheritance {value:?} is not a boolean"))?;
            }
            "RefNonRuleId" => cat.ref_non_rule_ids.push(value.to_owned()),
            "NeedReassessingAuthorization" => {
                let b = parse_bool(value).ok_or_else(|| {
                    format!("NeedReassessingAuthorization {value:?} is not a boolean")
                })?;
                cat.set_property(name, PropertyValue::Bool(b));
            }
            "ClassificationReassessingDate" => {
                let d = date(value)?;
                cat.set_property(name, PropertyValue::Text(super::format_date(d)));
            }
            "FinalAction"
            | "ClassificationAudience"
            | "ClassificationLevel"
            | "ClassificationOwner" => {
                cat.set_property(name, PropertyValue::Text(value.to_owned()));
            }
            _ => {}
        }
        Ok(())
    }
}

/// Reads units from JSON:
///
/// ```json
/// {"managementMetadata": {"AccessRule": {"Rules": [{"Rule": "ACC-1", "StartDate": "2000-01-01"}]}},
///  "originatingAgency": "SP",
///  "units": [{"id": "A", "parents": [], "title": "…", "originatingAgency": "SP",
///             "management": {"AppraisalRule": {"Rules": [{"Rule": "APP-1", "StartDate": "2000-01-01"}],
///                                             "FinalAction": "Destroy",
///                                             "PreventInheritance": false, "RefNonRuleId": []},
///                            "NeedAuthorization": true}}]}
/// ```
///
/// Category blocks take `Rules` (each with `Rule`, `StartDate` and the HoldRule
/// attributes), `PreventInheritance`, `RefNonRuleId` and properties (any other key,
/// string or boolean). `managementMetadata` defaults apply to root units; a unit
/// without `originatingAgency` takes the top-level one.
///
/// ```
/// let m = vas_core::rules::read_units_json(br#"{"units":[{"id":"A","management":
///     {"AccessRule":{"Rules":[{"Rule":"ACC-1","StartDate":"2000-01-01"}]}}}]}"#)?;
/// assert_eq!(m.units[0].id, "A");
/// # Ok::<(), vas_core::Error>(())
/// ```
pub fn read_units_json(bytes: &[u8]) -> Result<ManifestUnits> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, format!("invalid JSON: {e}"))
            .at(e.line() as u64, e.column() as u64)
            .with_source(e)
    })?;
    let bad = |path: &str, msg: &str| {
        Error::new(ErrorKind::InvalidInput, format!("{path}: {msg}")).with_element(path.to_owned())
    };
    let metadata = match v.get("managementMetadata") {
        Some(m) => management_from_json(m, "managementMetadata")?,
        None => Management::default(),
    };
    let agency = match v.get("originatingAgency") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("originatingAgency", "must be a string")),
    };
    let list = v
        .get("units")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("units", "an array of units is required"))?;
    let mut units = Vec::with_capacity(list.len());
    for (i, u) in list.iter().enumerate() {
        let p = format!("units[{i}]");
        let id = u
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(&p, "`id` (string) is required"))?
            .to_owned();
        let parents = match u.get("parents") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| bad(&p, "`parents` must hold strings"))
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(bad(&p, "`parents` must be an array")),
        };
        let mut management = match u.get("management") {
            Some(m) => management_from_json(m, &format!("{p}.management"))?,
            None => Management::default(),
        };
        if parents.is_empty() {
            management.apply_defaults(&metadata);
        }
        let originating_agency = match u.get("originatingAgency") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => agency.clone(),
            Some(_) => return Err(bad(&p, "`originatingAgency` must be a string")),
        };
        units.push(UnitRulesInput {
            id,
            parents,
            originating_agency,
            management,
            title: u.get("title").and_then(Value::as_str).map(str::to_owned),
        });
    }
    Ok(ManifestUnits {
        units,
        originating_agency: agency,
        management_metadata: metadata,
    })
}

fn management_from_json(v: &Value, path: &str) -> Result<Management> {
    let bad = |p: &str, msg: &str| {
        Error::new(ErrorKind::InvalidInput, format!("{p}: {msg}")).with_element(p.to_owned())
    };
    let obj = v
        .as_object()
        .ok_or_else(|| bad(path, "must be an object"))?;
    let mut m = Management::default();
    for (k, val) in obj {
        let p = format!("{path}.{k}");
        if k == "NeedAuthorization" {
            m.need_authorization = Some(val.as_bool().ok_or_else(|| bad(&p, "must be a boolean"))?);
            continue;
        }
        let c: RuleCategory = k.parse().map_err(|_| bad(&p, "unknown rule category"))?;
        let cobj = val
            .as_object()
            .ok_or_else(|| bad(&p, "must be an object"))?;
        let cat = m.category_mut(c);
        for (ck, cv) in cobj {
            let cp = format!("{p}.{ck}");
            match ck.as_str() {
                "Rules" => {
                    let arr = cv.as_array().ok_or_else(|| bad(&cp, "must be an array"))?;
                    for (i, r) in arr.iter().enumerate() {
                        let rr: RuleRef = serde_json::from_value(r.clone())
                            .map_err(|e| bad(&format!("{cp}[{i}]"), &e.to_string()))?;
                        cat.rules.push(rr);
                    }
                }
                "PreventInheritance" => {
                    cat.prevent_inheritance =
                        cv.as_bool().ok_or_else(|| bad(&cp, "must be a boolean"))?;
                }
                "RefNonRuleId" | "PreventRulesId" => {
                    let arr = cv.as_array().ok_or_else(|| bad(&cp, "must be an array"))?;
                    for x in arr {
                        cat.ref_non_rule_ids.push(
                            x.as_str()
                                .ok_or_else(|| bad(&cp, "must hold strings"))?
                                .to_owned(),
                        );
                    }
                }
                _ => {
                    let pv = match cv {
                        Value::Bool(b) => PropertyValue::Bool(*b),
                        Value::String(s) => PropertyValue::Text(s.clone()),
                        _ => return Err(bad(&cp, "a property must be a string or a boolean")),
                    };
                    cat.set_property(ck.clone(), pv);
                }
            }
        }
    }
    Ok(m)
}
