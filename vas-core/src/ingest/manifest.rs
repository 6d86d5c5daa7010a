//! A light view of a manifest for the ingest checks: header, object groups and objects,
//! units with their links, read from the compact element tree of [`super::tree`].

use std::collections::{BTreeMap, HashMap};

use super::tree::Node;

pub(crate) fn child<'a, 'x>(e: &'a Node<'x>, name: &str) -> Option<&'a Node<'x>> {
    e.elements().find(|c| c.local_name() == name)
}

pub(crate) fn kids<'a, 'x>(e: &'a Node<'x>, name: &'a str) -> impl Iterator<Item = &'a Node<'x>> {
    e.elements().filter(move |c| c.local_name() == name)
}

pub(crate) fn text(e: &Node<'_>, name: &str) -> Option<String> {
    child(e, name).map(|c| c.text().trim().to_string())
}

/// One declared data object.
#[derive(Debug, Clone, Default)]
pub(crate) struct MObject {
    pub id: String,
    pub group: String,
    pub binary: bool,
    pub usage: Option<String>,
    pub uri: Option<String>,
    pub physical_id: Option<String>,
    pub digest: Option<String>,
    pub algorithm: Option<String>,
    pub size: Option<String>,
    pub format_id: Option<String>,
}

/// How a unit names the existing unit it stands for (`Management/UpdateOperation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UpdateOp {
    /// `SystemId`.
    SystemId(String),
    /// `ArchiveUnitIdentifierKey` (`MetadataName`, `MetadataValue`).
    Key(String, String),
}

impl UpdateOp {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            UpdateOp::SystemId(s) => serde_json::json!({ "SystemId": s }),
            UpdateOp::Key(n, v) => serde_json::json!({ "MetadataName": n, "MetadataValue": v }),
        }
    }
}

/// One archive unit (not the `ArchiveUnitRefId` stubs).
#[derive(Debug, Clone, Default)]
pub(crate) struct MUnit {
    pub id: String,
    pub children: Vec<String>,
    /// `DataObjectGroupReferenceId` / `DataObjectReferenceId` targets.
    pub object_refs: Vec<String>,
    pub titles: Vec<String>,
    pub dates: Vec<(String, String)>,
    pub aup: Option<String>,
    pub classification_levels: Vec<String>,
    pub has_classification_rule: bool,
    pub content_keys: Vec<String>,
    /// `Management/UpdateOperation`: this unit is an existing unit of the archive.
    pub update_op: Option<UpdateOp>,
    /// `DataObjectGroup/DataObjectGroupExistingReferenceId` (Vitam's extension of SEDA 2.1
    /// and 2.2): the unit links to an object group that already exists in the archive.
    pub existing_group_ref: Option<String>,
}

/// What the checks need from a manifest.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    pub message_identifier: Option<String>,
    pub archival_agreement: Option<String>,
    pub archival_agency: Option<String>,
    pub transferring_agency: Option<String>,
    pub archival_profile: Option<String>,
    pub originating_agency: Option<String>,
    pub submission_agency: Option<String>,
    /// Group ids in document order.
    pub groups: Vec<String>,
    pub objects: Vec<MObject>,
    pub units: Vec<MUnit>,
    /// Classification levels of `ManagementMetadata`.
    pub mm_classification_levels: Vec<String>,
    /// Whether `ManagementMetadata` has a ClassificationRule.
    pub mm_has_classification_rule: bool,
}

const DATES: [&str; 8] = [
    "StartDate",
    "EndDate",
    "CreatedDate",
    "TransactedDate",
    "AcquiredDate",
    "SentDate",
    "ReceivedDate",
    "RegisteredDate",
];

fn object(e: &Node<'_>, group: String, binary: bool) -> MObject {
    let id = e.attr("id").unwrap_or("").to_string();
    let md = child(e, "MessageDigest");
    let fi = child(e, "FormatIdentification");
    MObject {
        id,
        group,
        binary,
        usage: text(e, "DataObjectVersion"),
        uri: text(e, "Uri"),
        physical_id: text(e, "PhysicalId"),
        digest: md.map(|m| m.text().trim().to_string()),
        algorithm: md.and_then(|m| m.attr("algorithm")).map(str::to_string),
        size: text(e, "Size"),
        format_id: fi.and_then(|f| text(f, "FormatId")),
    }
}

fn management_classification(m: &Node<'_>, levels: &mut Vec<String>, has: &mut bool) {
    for c in kids(m, "ClassificationRule") {
        *has = true;
        if let Some(l) = text(c, "ClassificationLevel") {
            levels.push(l);
        }
    }
}

fn unit(e: &Node<'_>, out: &mut Vec<MUnit>) -> String {
    let id = e.attr("id").unwrap_or("").to_string();
    let mut u = MUnit {
        id: id.clone(),
        ..Default::default()
    };
    u.aup = text(e, "ArchiveUnitProfile").filter(|s| !s.is_empty());
    if let Some(m) = child(e, "Management") {
        management_classification(
            m,
            &mut u.classification_levels,
            &mut u.has_classification_rule,
        );
        if let Some(op) = child(m, "UpdateOperation") {
            u.update_op = match (text(op, "SystemId"), child(op, "ArchiveUnitIdentifierKey")) {
                (Some(id), _) => Some(UpdateOp::SystemId(id)),
                (None, Some(k)) => Some(UpdateOp::Key(
                    text(k, "MetadataName").unwrap_or_default(),
                    text(k, "MetadataValue").unwrap_or_default(),
                )),
                (None, None) => None,
            };
        }
    }
    if let Some(c) = child(e, "Content") {
        for t in kids(c, "Title") {
            u.titles.push(t.text().trim().to_string());
        }
        for d in DATES {
            if let Some(v) = text(c, d) {
                u.dates.push((d.to_string(), v));
            }
        }
        for k in c.elements() {
            let n = k.local_name().to_string();
            if !u.content_keys.contains(&n) {
                u.content_keys.push(n);
            }
        }
    }
    for r in kids(e, "DataObjectReference") {
        for n in ["DataObjectGroupReferenceId", "DataObjectReferenceId"] {
            if let Some(t) = text(r, n) {
                u.object_refs.push(t);
            }
        }
    }
    u.existing_group_ref = kids(e, "DataObjectGroup")
        .find_map(|g| text(g, "DataObjectGroupExistingReferenceId"))
        .filter(|s| !s.is_empty());
    let idx = out.len();
    out.push(u);
    let mut children = Vec::new();
    for c in kids(e, "ArchiveUnit") {
        if let Some(r) = text(c, "ArchiveUnitRefId") {
            children.push(r);
        } else {
            children.push(unit(c, out));
        }
    }
    out[idx].children = children;
    id
}

impl Manifest {
    /// Reads the checks' view of a manifest tree.
    pub(crate) fn from_tree(root: &Node<'_>) -> Manifest {
        let mut m = Manifest {
            message_identifier: text(root, "MessageIdentifier"),
            archival_agreement: text(root, "ArchivalAgreement"),
            archival_agency: child(root, "ArchivalAgency").and_then(|a| text(a, "Identifier")),
            transferring_agency: child(root, "TransferringAgency")
                .and_then(|a| text(a, "Identifier")),
            ..Default::default()
        };
        let Some(pkg) = child(root, "DataObjectPackage") else {
            return m;
        };
        // Loose objects (SEDA 2.1 style): group by DataObjectGroupId / ReferenceId.
        for e in pkg.elements() {
            match e.local_name() {
                "DataObjectGroup" => {
                    let gid = e.attr("id").unwrap_or("").to_string();
                    m.groups.push(gid.clone());
                    for o in e.elements() {
                        match o.local_name() {
                            "BinaryDataObject" => m.objects.push(object(o, gid.clone(), true)),
                            "PhysicalDataObject" => m.objects.push(object(o, gid.clone(), false)),
                            _ => {}
                        }
                    }
                }
                n @ ("BinaryDataObject" | "PhysicalDataObject") => {
                    let gid = text(e, "DataObjectGroupId")
                        .or_else(|| text(e, "DataObjectGroupReferenceId"))
                        .unwrap_or_else(|| e.attr("id").unwrap_or("").to_string());
                    if !m.groups.contains(&gid) {
                        m.groups.push(gid.clone());
                    }
                    m.objects.push(object(e, gid, n == "BinaryDataObject"));
                }
                _ => {}
            }
        }
        if let Some(dm) = child(pkg, "DescriptiveMetadata") {
            // A top-level `ArchiveUnitRefId` stub declares nothing new.
            for u in kids(dm, "ArchiveUnit").filter(|u| child(u, "ArchiveUnitRefId").is_none()) {
                unit(u, &mut m.units);
            }
        }
        if let Some(mm) = child(pkg, "ManagementMetadata") {
            m.archival_profile = text(mm, "ArchivalProfile").filter(|s| !s.is_empty());
            m.originating_agency = text(mm, "OriginatingAgencyIdentifier");
            m.submission_agency = text(mm, "SubmissionAgencyIdentifier");
            management_classification(
                mm,
                &mut m.mm_classification_levels,
                &mut m.mm_has_classification_rule,
            );
        }
        m
    }

    /// Unit index by id.
    pub(crate) fn unit_index(&self) -> HashMap<&str, usize> {
        self.units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.as_str(), i))
            .collect()
    }

    /// A cycle among units (ids, first repeated at the end), if any.
    pub(crate) fn find_cycle(&self) -> Option<Vec<String>> {
        let idx = self.unit_index();
        // 0 = white, 1 = grey, 2 = black
        let mut color = vec![0u8; self.units.len()];
        let mut path: Vec<usize> = Vec::new();
        for start in 0..self.units.len() {
            if color[start] != 0 {
                continue;
            }
            // iterative DFS: (node, next child index)
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            color[start] = 1;
            path.push(start);
            while let Some((n, ci)) = stack.pop() {
                let kids = &self.units[n].children;
                if ci < kids.len() {
                    stack.push((n, ci + 1));
                    if let Some(&c) = idx.get(kids[ci].as_str()) {
                        match color[c] {
                            0 => {
                                color[c] = 1;
                                path.push(c);
                                stack.push((c, 0));
                            }
                            1 => {
                                let pos = path.iter().position(|&p| p == c).unwrap_or(0);
                                let mut cyc: Vec<String> = path[pos..]
                                    .iter()
                                    .map(|&i| self.units[i].id.clone())
                                    .collect();
                                cyc.push(self.units[c].id.clone());
                                return Some(cyc);
                            }
                            _ => {}
                        }
                    }
                } else {
                    color[n] = 2;
                    path.pop();
                }
            }
        }
        None
    }

    /// Units parents first (Kahn's order; units in a cycle are left out).
    pub(crate) fn parents_first(&self) -> Vec<usize> {
        let idx = self.unit_index();
        let mut indeg = vec![0usize; self.units.len()];
        for u in &self.units {
            for c in &u.children {
                if let Some(&i) = idx.get(c.as_str()) {
                    indeg[i] += 1;
                }
            }
        }
        let mut queue: std::collections::VecDeque<usize> =
            (0..self.units.len()).filter(|&i| indeg[i] == 0).collect();
        let mut out = Vec::with_capacity(self.units.len());
        while let Some(n) = queue.pop_front() {
            out.push(n);
            for c in &self.units[n].children {
                if let Some(&i) = idx.get(c.as_str()) {
                    indeg[i] -= 1;
                    if indeg[i] == 0 {
                        queue.push_back(i);
                    }
                }
            }
        }
        out
    }

    /// Objects per group, in document order.
    pub(crate) fn by_group(&self) -> BTreeMap<&str, Vec<usize>> {
        let mut m: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, o) in self.objects.iter().enumerate() {
            m.entry(o.group.as_str()).or_default().push(i);
        }
        m
    }
}
