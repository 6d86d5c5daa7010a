//! Vitam's ontology (typed metadata fields) and the schema checks of units and object
//! groups that use it: `CHECK_OBJECT_GROUP_SCHEMA` and the parts of `CHECK_UNIT_SCHEMA`
//! that are not descriptive-date checks.
//!
//! Vitam stores every unit and object group as JSON and, before indexing, (1) runs its
//! `SanityChecker` on every text value (HTML tags, `<![CDATA[`, `<!ENTITY`, `<script`,
//! character-entity references, unprintable characters: `CHECK_UNIT_SCHEMA.INVALID_UNIT.KO`,
//! `CHECK_OBJECT_GROUP_SCHEMA.KO`) and (2) converts every field declared in the ontology to
//! its type, refusing values that do not convert (`ONTOLOGY_VALIDATION_FAILURE`, reported
//! as the same codes). vas reads the ontology in Vitam's import format (a JSON array of
//! `{"Identifier", "Type", "Collections"}`), e.g. the external additions a platform loads
//! (`addition_ext_ontology.json` in Vitam's tests).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::tree::Node;
use crate::schema::SedaVersion;
use crate::{Error, Result};

/// The type of an ontology field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OntologyType {
    /// Free text.
    Text,
    /// A keyword (exact string).
    Keyword,
    /// A date or date-time (`YYYY[-MM[-DD[Thh:mm[:ss[.f]]][zone]]]`).
    Date,
    /// A 64-bit integer.
    Long,
    /// A decimal number.
    Double,
    /// `true` or `false`.
    Boolean,
    /// A geographic point (`lat,lon`).
    GeoPoint,
    /// Anything else Vitam declares (`ENUM` …): not checked.
    Other,
}

impl OntologyType {
    fn parse(s: &str) -> OntologyType {
        match s.to_ascii_uppercase().as_str() {
            "TEXT" => OntologyType::Text,
            "KEYWORD" => OntologyType::Keyword,
            "DATE" => OntologyType::Date,
            "LONG" => OntologyType::Long,
            "DOUBLE" => OntologyType::Double,
            "BOOLEAN" => OntologyType::Boolean,
            "GEO_POINT" => OntologyType::GeoPoint,
            _ => OntologyType::Other,
        }
    }

    /// Why `value` is not of this type, if it is not.
    pub fn check(self, value: &str) -> Option<String> {
        let v = value.trim();
        let ok = match self {
            OntologyType::Text | OntologyType::Keyword | OntologyType::Other => true,
            OntologyType::Date => is_vitam_date(v),
            OntologyType::Long => v.parse::<i64>().is_ok(),
            OntologyType::Double => v.parse::<f64>().is_ok_and(f64::is_finite),
            OntologyType::Boolean => v == "true" || v == "false",
            OntologyType::GeoPoint => v.split_once(',').is_some_and(|(a, b)| {
                a.trim().parse::<f64>().is_ok() && b.trim().parse::<f64>().is_ok()
            }),
        };
        (!ok).then(|| format!("'{value}' is not a valid {self:?}"))
    }
}

fn is_vitam_date(v: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$",
        )
        .expect("static regex")
    })
    .is_match(v)
}

/// A metadata ontology: field name → type, per collection.
#[derive(Debug, Clone, Default)]
pub struct Ontology {
    unit: HashMap<String, OntologyType>,
    object_group: HashMap<String, OntologyType>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawField {
    identifier: String,
    #[serde(rename = "Type")]
    kind: String,
    #[serde(default)]
    collections: Vec<String>,
}

impl Ontology {
    /// Reads an ontology in Vitam's import format.
    ///
    /// ```
    /// use vas_core::ingest::{Ontology, OntologyType};
    /// let o = Ontology::load_json(br#"[{"Identifier":"MyDate","Type":"DATE","Collections":["Unit","ObjectGroup"]}]"#)?;
    /// assert_eq!(o.object_group_type("MyDate"), Some(OntologyType::Date));
    /// assert!(OntologyType::Date.check("Test").is_some());
    /// assert!(OntologyType::Date.check("2017-08-24T14:56:31").is_none());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn load_json(bytes: &[u8]) -> Result<Ontology> {
        let raw: Vec<RawField> = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(format!("invalid ontology JSON: {e}")))?;
        let mut o = Ontology::default();
        for f in raw {
            let t = OntologyType::parse(&f.kind);
            for c in &f.collections {
                match c.as_str() {
                    "Unit" => {
                        o.unit.insert(f.identifier.clone(), t);
                    }
                    "ObjectGroup" => {
                        o.object_group.insert(f.identifier.clone(), t);
                    }
                    _ => {}
                }
            }
        }
        Ok(o)
    }

    /// Reads an ontology file.
    pub fn load_file(path: impl AsRef<std::path::Path>) -> Result<Ontology> {
        let p = path.as_ref();
        let bytes = std::fs::read(p).map_err(|e| Error::from(e).with_path(p))?;
        Ontology::load_json(&bytes).map_err(|e| e.with_path(p))
    }

    /// The type of a unit field.
    pub fn unit_type(&self, field: &str) -> Option<OntologyType> {
        self.unit.get(field).copied()
    }

    /// The type of an object-group field.
    pub fn object_group_type(&self, field: &str) -> Option<OntologyType> {
        self.object_group.get(field).copied()
    }
}

/// Why a text value fails Vitam's `SanityChecker`, if it does: the forbidden markers
/// (`<![CDATA[`, `<!ENTITY`, `<script`), a character-entity reference left in the text
/// (`&apos;` after XML unescaping, i.e. double-escaped), or an unprintable control
/// character. Other angle brackets (`<https://…>` in a mail, which Vitam accepts) pass.
pub(crate) fn sanity_problem(v: &str) -> Option<&'static str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?i)<!\[CDATA\[|<!ENTITY|<script|&[a-z][a-z0-9]*;|&#[0-9]+;|&#x[0-9a-f]+;",
        )
        .expect("static regex")
    });
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Some("unprintable character");
    }
    re.is_match(v)
        .then_some("a forbidden marker or a character-entity reference in a value")
}

/// Every leaf `(name, text)` of `e`'s subtree, skipping nested elements named in `skip`.
fn leaves<'a>(e: &'a Node<'_>, skip: &[&str], out: &mut Vec<(&'a str, &'a str)>) {
    for c in e.elements() {
        if skip.contains(&c.local_name()) {
            continue;
        }
        if c.elements().next().is_none() {
            out.push((c.local_name(), c.text()));
        } else {
            leaves(c, skip, out);
        }
    }
}

/// The first schema problem of an object group (`DataObjectGroup` element, or a loose
/// SEDA 2.1 data object), as `evDetData`.
pub(crate) fn object_group_problem(
    elements: &[&Node<'_>],
    ontology: Option<&Ontology>,
) -> Option<Value> {
    let mut vals = Vec::new();
    for e in elements {
        leaves(e, &[], &mut vals);
    }
    for (k, v) in &vals {
        if let Some(p) = sanity_problem(v) {
            return Some(json!({"check": "OBJECT_GROUP_SANITIZE", "field": k,
                "evDetTechData": format!("Sanity Checker failed for Object Group: {p} in '{k}'")}));
        }
    }
    let o = ontology?;
    for (k, v) in &vals {
        if let Some(err) = o.object_group_type(k).and_then(|t| t.check(v)) {
            return Some(json!({"check": "ONTOLOGY_VALIDATION", "field": k,
                "evDetTechData": format!("metadata contains fields declared in ontology with a wrong format : {err} on field '{k}'")}));
        }
    }
    None
}

/// The ontology schema of each SEDA version as the dry run validates it: Vitam's lenient
/// schemas for 2.1 and 2.2, the official one for 2.3.
fn ontology_xsd(version: SedaVersion) -> &'static str {
    match version {
        SedaVersion::V2_1 => "2.1/vitam-sedatools/seda-vitam-2.1-ontology.xsd",
        SedaVersion::V2_2 => "2.2/vitam-sedatools/seda-vitam-2.2-ontology.xsd",
        SedaVersion::V2_3 => "2.3/seda-2.3-ontology.xsd",
    }
}

/// The elements a model group of the ontology schema declares, in order: the `element`
/// particles of its sequences and choices (not the elements nested in their types), the
/// groups it references expanded in place. An abstract head (`AgentAbstract`, in Vitam's
/// 2.1/2.2 schemas) stands for the element its name ends with (`Agent`), as in Vitam's
/// binding.
fn group_elements(
    groups: &HashMap<&str, &Node<'_>>,
    particle: &Node<'_>,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<()> {
    if depth > 32 {
        return Err(Error::internal(
            "ontology schema: model groups nest too deep",
        ));
    }
    for c in particle.elements() {
        match c.local_name() {
            "element" => {
                let name = c.attr("name").or_else(|| c.attr("ref")).unwrap_or("");
                let name = name.rsplit(':').next().unwrap_or(name);
                let name = name.strip_suffix("Abstract").unwrap_or(name);
                if !name.is_empty() && !out.iter().any(|n| n == name) {
                    out.push(name.to_string());
                }
            }
            "group" => {
                let r = c.attr("ref").unwrap_or("");
                let r = r.rsplit(':').next().unwrap_or(r);
                let g = groups.get(r).ok_or_else(|| {
                    Error::internal(format!("ontology schema: group {r} is not declared"))
                })?;
                group_elements(groups, g, depth + 1, out)?;
            }
            "sequence" | "choice" | "all" => group_elements(groups, c, depth + 1, out)?,
            _ => {}
        }
    }
    Ok(())
}

/// Derives the `Content` elements of a SEDA ontology schema: those of its
/// `BaseObjectGroup` (any other element of `Content` is matched by the extension wildcard
/// that follows it in `ObjectGroup`).
fn derive_content_elements(xsd: &str) -> Result<Vec<String>> {
    let root = super::tree::parse(xsd.as_bytes())?;
    let groups: HashMap<&str, &Node<'_>> = root
        .elements()
        .filter(|e| e.local_name() == "group")
        .filter_map(|e| e.attr("name").map(|n| (n, e)))
        .collect();
    let base = groups
        .get("BaseObjectGroup")
        .ok_or_else(|| Error::internal("ontology schema: no BaseObjectGroup"))?;
    let mut out = Vec::new();
    group_elements(&groups, base, 0, &mut out)?;
    Ok(out)
}

/// The `Content` elements `version` declares, derived once from the bundled schema.
pub(crate) fn content_elements(version: SedaVersion) -> &'static [String] {
    static LISTS: [std::sync::OnceLock<Vec<String>>; 3] = [
        std::sync::OnceLock::new(),
        std::sync::OnceLock::new(),
        std::sync::OnceLock::new(),
    ];
    let i = match version {
        SedaVersion::V2_1 => 0,
        SedaVersion::V2_2 => 1,
        SedaVersion::V2_3 => 2,
    };
    LISTS[i].get_or_init(|| {
        crate::schema::bundled_text(ontology_xsd(version))
            .ok_or_else(|| Error::internal("ontology schema not bundled"))
            .and_then(derive_content_elements)
            // The bundled schemas are fixed: a failure is a build defect the tests catch.
            .expect("the bundled SEDA ontology schema declares BaseObjectGroup")
    })
}

/// A declared `Content` element that comes after an extension element: the extension
/// wildcard ends `Content`'s sequence, so Vitam's SEDA binding reads it as extension
/// metadata, whose generic JSON form its internal unit schema refuses (a `Gps` after a
/// `SigningInformation` extension in SEDA 2.1/2.2, or after the obsolete `Signature` in 2.3,
/// makes Vitam's `Signature/KO_SEDA_*` SIPs KO). Extension elements at the end are accepted.
fn misplaced_after_extension(
    content: &Node<'_>,
    declared: &[String],
) -> Option<(&'static str, Value)> {
    let mut first_ext: Option<&str> = None;
    for c in content.elements() {
        let n = c.local_name();
        if !declared.iter().any(|d| d == n) {
            first_ext.get_or_insert(n);
        } else if let Some(x) = first_ext {
            return Some((
                "INVALID_UNIT",
                json!({"check": "UNIT_SCHEMA", "field": n, "after_extension": x,
                       "evDetTechData": format!("'{n}' comes after the extension element '{x}': read as extension metadata, it does not match the unit schema's '{n}'")}),
            ));
        }
    }
    None
}

/// The first schema problem of a unit beyond its descriptive dates: sanity of every value,
/// ontology types, and the dates of its `Management/LogBook` events (Vitam's internal
/// schema refuses years from 9000 on), as `(sub-code, evDetData)`.
pub(crate) fn unit_problem(
    unit: &Node<'_>,
    ontology: Option<&Ontology>,
    version: SedaVersion,
) -> Option<(&'static str, Value)> {
    let mut vals = Vec::new();
    leaves(unit, &["ArchiveUnit", "DataObjectReference"], &mut vals);
    for (k, v) in &vals {
        if let Some(p) = sanity_problem(v) {
            return Some((
                "INVALID_UNIT",
                json!({"field": k, "evDetTechData": format!("Sanity Checker failed for Archive Unit: {p} in '{k}'")}),
            ));
        }
    }
    if let Some(lb) = unit
        .elements()
        .find(|c| c.local_name() == "Management")
        .and_then(|m| m.elements().find(|c| c.local_name() == "LogBook"))
    {
        for ev in lb.elements() {
            for d in ev.elements().filter(|c| c.local_name() == "EventDateTime") {
                let t = d.text();
                let year = t.trim().get(..4).and_then(|y| y.parse::<i32>().ok());
                if !is_vitam_date(t.trim()) || year.is_some_and(|y| y >= 9000) {
                    return Some((
                        "INVALID_UNIT",
                        json!({"field": "LogBook.Event.EventDateTime", "value": t,
                               "evDetTechData": "invalid logbook event date"}),
                    ));
                }
            }
        }
    }
    if let Some(p) = unit
        .elements()
        .find(|c| c.local_name() == "Content")
        .and_then(|c| misplaced_after_extension(c, content_elements(version)))
    {
        return Some(p);
    }
    let o = ontology?;
    for (k, v) in &vals {
        if let Some(err) = o.unit_type(k).and_then(|t| t.check(v)) {
            return Some((
                "INVALID_UNIT",
                json!({"check": "ONTOLOGY_VALIDATION", "field": k,
                       "evDetTechData": format!("metadata contains fields declared in ontology with a wrong format : {err} on field '{k}'")}),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // The lists as they were copied by hand from the schemas (the `BaseObjectGroup` of
    // Vitam's lenient 2.1 and 2.2 schemas, where `AgentAbstract` stands for `Agent`, and of
    // the official 2.3 schema): the derivation must give exactly these, in this order.
    const CONTENT_2_1: &[&str] = &[
        "DescriptionLevel",
        "Title",
        "FilePlanPosition",
        "SystemId",
        "OriginatingSystemId",
        "ArchivalAgencyArchiveUnitIdentifier",
        "OriginatingAgencyArchiveUnitIdentifier",
        "TransferringAgencyArchiveUnitIdentifier",
        "Description",
        "CustodialHistory",
        "Type",
        "DocumentType",
        "Language",
        "DescriptionLanguage",
        "Status",
        "Version",
        "Tag",
        "Keyword",
        "Coverage",
        "OriginatingAgency",
        "SubmissionAgency",
        "Agent",
        "AuthorizedAgent",
        "Writer",
        "Addressee",
        "Recipient",
        "Transmitter",
        "Sender",
        "Source",
        "RelatedObjectReference",
        "CreatedDate",
        "TransactedDate",
        "AcquiredDate",
        "SentDate",
        "ReceivedDate",
        "RegisteredDate",
        "StartDate",
        "EndDate",
        "Event",
        "Signature",
        "Gps",
    ];
    const CONTENT_2_2: &[&str] = &[
        "DescriptionLevel",
        "Title",
        "FilePlanPosition",
        "SystemId",
        "OriginatingSystemId",
        "ArchivalAgencyArchiveUnitIdentifier",
        "OriginatingAgencyArchiveUnitIdentifier",
        "TransferringAgencyArchiveUnitIdentifier",
        "Description",
        "CustodialHistory",
        "Type",
        "DocumentType",
        "Language",
        "DescriptionLanguage",
        "Status",
        "Version",
        "Tag",
        "Keyword",
        "Coverage",
        "OriginatingAgency",
        "SubmissionAgency",
        "Agent",
        "AuthorizedAgent",
        "Writer",
        "Addressee",
        "Recipient",
        "Transmitter",
        "Sender",
        "Source",
        "RelatedObjectReference",
        "CreatedDate",
        "TransactedDate",
        "AcquiredDate",
        "SentDate",
        "ReceivedDate",
        "RegisteredDate",
        "StartDate",
        "EndDate",
        "DateLitteral",
        "Event",
        "Signature",
        "Gps",
        "OriginatingSystemIdReplyTo",
        "TextContent",
    ];
    const CONTENT_2_3: &[&str] = &[
        "DescriptionLevel",
        "Title",
        "FilePlanPosition",
        "SystemId",
        "OriginatingSystemId",
        "ArchivalAgencyArchiveUnitIdentifier",
        "OriginatingAgencyArchiveUnitIdentifier",
        "TransferringAgencyArchiveUnitIdentifier",
        "Description",
        "CustodialHistory",
        "Type",
        "DocumentType",
        "Language",
        "DescriptionLanguage",
        "Status",
        "Version",
        "Tag",
        "Keyword",
        "Coverage",
        "OriginatingAgency",
        "SubmissionAgency",
        "Agent",
        "AuthorizedAgent",
        "Writer",
        "Addressee",
        "Recipient",
        "Transmitter",
        "Sender",
        "Source",
        "RelatedObjectReference",
        "CreatedDate",
        "TransactedDate",
        "AcquiredDate",
        "SentDate",
        "ReceivedDate",
        "RegisteredDate",
        "StartDate",
        "EndDate",
        "DateLitteral",
        "Event",
        "SigningInformation",
        "Gps",
        "OriginatingSystemIdReplyTo",
        "TextContent",
        "PersistentIdentifier",
    ];

    #[test]
    fn content_elements_are_derived_from_the_bundled_schemas() {
        for (v, expected) in [
            (SedaVersion::V2_1, CONTENT_2_1),
            (SedaVersion::V2_2, CONTENT_2_2),
            (SedaVersion::V2_3, CONTENT_2_3),
        ] {
            let got: Vec<&str> = content_elements(v).iter().map(String::as_str).collect();
            assert_eq!(got, expected, "{v}");
        }
        // What differs between versions comes from the schemas.
        let has = |v, n: &str| content_elements(v).iter().any(|x| x == n);
        assert!(has(SedaVersion::V2_1, "Signature") && !has(SedaVersion::V2_1, "TextContent"));
        assert!(
            has(SedaVersion::V2_3, "SigningInformation") && !has(SedaVersion::V2_3, "Signature")
        );
        assert!(has(SedaVersion::V2_3, "PersistentIdentifier"));
    }

    #[test]
    fn derivation_follows_groups_and_skips_nested_elements() {
        let xsd = r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
          <xsd:group name="BaseObjectGroup"><xsd:sequence>
            <xsd:group ref="A"/><xsd:element ref="BAbstract"/>
            <xsd:choice><xsd:element name="C"/><xsd:element name="D"/></xsd:choice>
          </xsd:sequence></xsd:group>
          <xsd:group name="A"><xsd:sequence>
            <xsd:element name="E"><xsd:complexType><xsd:sequence><xsd:element name="Nested"/></xsd:sequence></xsd:complexType></xsd:element>
          </xsd:sequence></xsd:group>
        </xsd:schema>"#;
        assert_eq!(derive_content_elements(xsd).unwrap(), ["E", "B", "C", "D"]);
        let missing = r#"<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
          <xsd:group name="BaseObjectGroup"><xsd:sequence><xsd:group ref="Nope"/></xsd:sequence></xsd:group>
        </xsd:schema>"#;
        assert!(derive_content_elements(missing).is_err());
        assert!(derive_content_elements("<xsd:schema xmlns:xsd='x'/>").is_err());
    }

    #[test]
    fn declared_elements_after_an_extension() {
        let unit = |content: &str| {
            format!("<ArchiveUnit id='U'><Content>{content}</Content></ArchiveUnit>")
        };
        let check = |content: &str, v: SedaVersion| {
            let x = unit(content);
            let t = super::super::tree::parse(x.as_bytes()).unwrap();
            unit_problem(&t, None, v)
        };
        let gps = "<Gps><GpsLatitude>1</GpsLatitude></Gps>";
        let sign = "<SigningInformation><SigningRole>Signature</SigningRole></SigningInformation>";
        let head = "<DescriptionLevel>Item</DescriptionLevel><Title>t</Title>";
        // Extension last: accepted; a declared element after it: INVALID_UNIT naming both.
        assert!(check(&format!("{head}{gps}{sign}"), SedaVersion::V2_1).is_none());
        let p = check(&format!("{head}{sign}{gps}"), SedaVersion::V2_1).unwrap();
        assert_eq!(p.0, "INVALID_UNIT");
        assert_eq!(p.1["field"], "Gps");
        assert_eq!(p.1["after_extension"], "SigningInformation");
        // In SEDA 2.3 SigningInformation is declared: no extension there.
        assert!(check(&format!("{head}{sign}{gps}"), SedaVersion::V2_3).is_none());
        // …but the obsolete Signature is one.
        let p = check(
            &format!("{head}<Signature><Signer><FullName>x</FullName></Signer></Signature>{gps}"),
            SedaVersion::V2_3,
        )
        .unwrap();
        assert_eq!(p.1["after_extension"], "Signature");
        // Unknown elements one after another are all extension metadata.
        assert!(
            check(
                &format!("{head}<MyExt>1</MyExt><Other>2</Other>"),
                SedaVersion::V2_2
            )
            .is_none()
        );
    }

    #[test]
    fn types() {
        assert!(OntologyType::Long.check("12").is_none());
        assert!(OntologyType::Long.check("1.5").is_some());
        assert!(OntologyType::Double.check("1.5").is_none());
        assert!(OntologyType::Boolean.check("yes").is_some());
        assert!(OntologyType::Date.check("2017").is_none());
        assert!(OntologyType::Date.check("2017-13-01").is_some());
        assert!(
            OntologyType::Date
                .check("2017-04-04T08:07:06.487+02:00")
                .is_none()
        );
        assert!(OntologyType::GeoPoint.check("48.8,2.3").is_none());
    }

    #[test]
    fn sanity() {
        assert!(sanity_problem("Toto&apos;Titi").is_some());
        assert!(sanity_problem("a <script>x</script>").is_some());
        assert!(sanity_problem("Twitter <https://twitter.com/progvitam>").is_none());
        assert!(sanity_problem("x <![CDATA[ y").is_some());
        assert!(sanity_problem("Toto'Titi & co; 3 < 4 > 2").is_none());
        assert!(sanity_problem("D:\\Partage\\x.md").is_none());
    }
}
