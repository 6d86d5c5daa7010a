//! Identity, references and the unit DAG.

use std::collections::HashMap;

use crate::seda::core::{Walk, Walkable};
use crate::seda::document::Document;
use crate::seda::model::*;
use crate::{Error, ErrorKind};

/// What a [`Finding`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// Two elements carry the same id (one ID space per document).
    DuplicateId,
    /// An IDREF points to no element.
    DanglingReference,
    /// An IDREF points to an element of the wrong kind (e.g. `ArchiveUnitRefId` to an object).
    WrongTargetKind,
    /// The units form a cycle.
    Cycle,
}

impl FindingKind {
    /// A stable name (`duplicate_id`, `dangling_reference`, `wrong_target_kind`, `cycle`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::DuplicateId => "duplicate_id",
            FindingKind::DanglingReference => "dangling_reference",
            FindingKind::WrongTargetKind => "wrong_target_kind",
            FindingKind::Cycle => "cycle",
        }
    }
}

/// A reference-integrity problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What.
    pub kind: FindingKind,
    /// Plain-language message.
    pub message: String,
    /// Element path, e.g. `/ArchiveTransfer/DataObjectPackage/DescriptiveMetadata/ArchiveUnit[@id='AU1']/ArchiveUnitRefId`.
    pub element: String,
    /// 1-based line (0 for elements built from code).
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The id concerned (for cycles: the ids of the cycle joined by ` -> `).
    pub id: String,
}

impl Finding {
    /// As an [`ErrorKind::Integrity`] error.
    pub fn to_error(&self) -> Error {
        let mut e = Error::new(ErrorKind::Integrity, self.message.clone())
            .with_element(self.element.clone())
            .with_id(self.id.clone());
        if self.line > 0 {
            e = e.at(self.line as u64, self.column as u64);
        }
        e
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IdKind {
    Unit,
    Group,
    Object,
    Other,
}

impl IdKind {
    fn name(self) -> &'static str {
        match self {
            IdKind::Unit => "an ArchiveUnit",
            IdKind::Group => "a DataObjectGroup",
            IdKind::Object => "a data object",
            IdKind::Other => "an element",
        }
    }
}

struct Decl {
    kind: IdKind,
    path: String,
    line: u32,
    col: u32,
}

struct Use {
    target: String,
    expect: Option<IdKind>,
    tag: &'static str,
    path: String,
    line: u32,
    col: u32,
}

fn render_path(path: &[(&str, Option<&str>)]) -> String {
    let mut s = String::new();
    for (tag, id) in path {
        s.push('/');
        s.push_str(tag);
        if let Some(i) = id {
            s.push_str("[@id='");
            s.push_str(i);
            s.push_str("']");
        }
    }
    s
}

impl Document {
    /// Checks identity and references: duplicate ids, dangling IDREFs (`ArchiveUnitRefId`,
    /// `DataObjectReferenceId`, `DataObjectGroupReferenceId`, `Relationship/@target`,
    /// `SignedObjectId`, `SignedDocumentReferenceId`, LogBook `DataObjectReferenceId`),
    /// IDREFs to the wrong kind of element, and cycles among units.
    ///
    /// ```
    /// use vas_core::seda::{Document, FindingKind};
    /// let xml = r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3">
    /// <Date>2024-01-01T00:00:00</Date><MessageIdentifier>M</MessageIdentifier><CodeListVersions/>
    /// <DataObjectPackage><DescriptiveMetadata>
    ///   <ArchiveUnit id="A"><Content><Title>a</Title></Content>
    ///     <DataObjectReference><DataObjectGroupReferenceId>NOPE</DataObjectGroupReferenceId></DataObjectReference>
    ///   </ArchiveUnit>
    /// </DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>
    /// <ArchivalAgency><Identifier>AG</Identifier></ArchivalAgency>
    /// <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#;
    /// let f = Document::from_str(xml)?.check_references();
    /// assert_eq!(f.len(), 1);
    /// assert_eq!(f[0].kind, FindingKind::DanglingReference);
    /// assert_eq!(f[0].line, 5);
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn check_references(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut decls: HashMap<String, Decl> = HashMap::new();
        let mut uses: Vec<Use> = Vec::new();
        let mut path: Vec<(&'static str, Option<&str>)> = Vec::new();
        self.message.walk(self.kind.as_str(), &mut |w| match w {
            Walk::Enter { tag, meta, text } => {
                let id = meta.id();
                path.push((tag, id));
                let here = || render_path(&path);
                if let Some(id) = id {
                    let kind = match tag {
                        "ArchiveUnit" => IdKind::Unit,
                        "DataObjectGroup" => IdKind::Group,
                        "BinaryDataObject" | "PhysicalDataObject" => IdKind::Object,
                        _ => IdKind::Other,
                    };
                    declare(&mut decls, &mut findings, id, kind, here(), meta.pos);
                }
                if let Some(t) = text {
                    let v = t.value.trim();
                    let expect = match tag {
                        "ArchiveUnitRefId" => Some(Some(IdKind::Unit)),
                        "DataObjectReferenceId" => Some(Some(IdKind::Object)),
                        "DataObjectGroupReferenceId" => Some(Some(IdKind::Group)),
                        "SignedObjectId" | "SignedDocumentReferenceId" => Some(None),
                        "DataObjectGroupId" => {
                            // a loose object declaring its group (the group element is implicit)
                            declare(
                                &mut decls,
                                &mut findings,
                                v,
                                IdKind::Group,
                                here(),
                                meta.pos,
                            );
                            None
                        }
                        _ => None,
                    };
                    if let Some(expect) = expect {
                        uses.push(Use {
                            target: v.to_string(),
                            expect,
                            tag,
                            path: here(),
                            line: meta.pos.line,
                            col: meta.pos.col,
                        });
                    }
                    if let Some(target) = t.attr("target").filter(|_| tag == "Relationship") {
                        uses.push(Use {
                            target: target.trim().to_string(),
                            expect: None,
                            tag: "Relationship/@target",
                            path: here(),
                            line: meta.pos.line,
                            col: meta.pos.col,
                        });
                    }
                }
            }
            Walk::Leave { .. } => {
                path.pop();
            }
        });
        for u in uses {
            match decls.get(&u.target) {
                None => findings.push(Finding {
                    kind: FindingKind::DanglingReference,
                    message: format!(
                        "{} `{}` refers to no element of the document",
                        u.tag, u.target
                    ),
                    element: u.path,
                    line: u.line,
                    column: u.col,
                    id: u.target,
                }),
                Some(d) => {
                    if let Some(k) = u.expect {
                        // DataObjectReferenceId may name a group-less object only; a group
                        // reference must name a group.
                        if d.kind != k {
                            findings.push(Finding {
                                kind: FindingKind::WrongTargetKind,
                                message: format!(
                                    "{} `{}` must refer to {} but refers to {} ({})",
                                    u.tag,
                                    u.target,
                                    k.name(),
                                    d.kind.name(),
                                    d.path
                                ),
                                element: u.path,
                                line: u.line,
                                column: u.col,
                                id: u.target,
                            });
                        }
                    }
                }
            }
        }
        let g = self.unit_graph();
        if let Some(cycle) = g.find_cycle() {
            let ids: Vec<&str> = cycle.iter().map(|&i| g.id(i)).collect();
            let first = cycle[0];
            let mut text = ids.join(" -> ");
            text.push_str(" -> ");
            text.push_str(ids[0]);
            let d = decls.get(g.id(first));
            findings.push(Finding {
                kind: FindingKind::Cycle,
                message: format!("archive units form a cycle: {text}"),
                element: d.map(|d| d.path.clone()).unwrap_or_default(),
                line: d.map(|d| d.line).unwrap_or(0),
                column: d.map(|d| d.col).unwrap_or(0),
                id: text,
            });
        }
        findings
    }

    /// The unit DAG over `DescriptiveMetadata`.
    pub fn unit_graph(&self) -> UnitGraph<'_> {
        UnitGraph::build(self.package().and_then(|p| p.descriptive_metadata()))
    }

    /// Counts: version, units, groups, objects, roots, maximum depth.
    pub fn stats(&self) -> Stats {
        let g = self.unit_graph();
        let mut stats = Stats {
            version: self.version.as_str().to_string(),
            kind: self.kind.as_str().to_string(),
            units: g.len(),
            unit_references: g.stub_count,
            roots: g.roots().len(),
            max_depth: g.max_depth(),
            has_cycle: g.find_cycle().is_some(),
            ..Stats::default()
        };
        if let Some(p) = self.package() {
            stats.groups = p.groups().count();
            stats.binary_objects = p.binary_objects().len();
            stats.physical_objects = p.physical_objects().len();
        }
        stats
    }
}

fn declare(
    decls: &mut HashMap<String, Decl>,
    findings: &mut Vec<Finding>,
    id: &str,
    kind: IdKind,
    path: String,
    pos: crate::xml::Pos,
) {
    if let Some(prev) = decls.get(id) {
        findings.push(Finding {
            kind: FindingKind::DuplicateId,
            message: format!(
                "duplicate id `{id}` (first declared at {} line {})",
                prev.path, prev.line
            ),
            element: path,
            line: pos.line,
            column: pos.col,
            id: id.to_string(),
        });
        return;
    }
    decls.insert(
        id.to_string(),
        Decl {
            kind,
            path,
            line: pos.line,
            col: pos.col,
        },
    );
}

/// Statistics of a document (`vas manifest stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// `2.1`, `2.2` or `2.3`.
    pub version: String,
    /// Root element name.
    pub kind: String,
    /// Full units (reference stubs excluded).
    pub units: usize,
    /// `ArchiveUnitRefId` stubs.
    pub unit_references: usize,
    /// `DataObjectGroup` elements.
    pub groups: usize,
    /// Binary objects (in groups and loose).
    pub binary_objects: usize,
    /// Physical objects.
    pub physical_objects: usize,
    /// Units without parent.
    pub roots: usize,
    /// Longest root-to-leaf chain of units (1 = only roots; 0 = no unit or a cycle).
    pub max_depth: usize,
    /// Whether the units form a cycle.
    pub has_cycle: bool,
}

/// The arena DAG of archive units: one node per full unit (stubs become edges).
///
/// ```
/// use vas_core::seda::Document;
/// let xml = r#"<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.3">
/// <Date>2024-01-01T00:00:00</Date><MessageIdentifier>M</MessageIdentifier><CodeListVersions/>
/// <DataObjectPackage><DescriptiveMetadata>
///   <ArchiveUnit id="R1"><Content/><ArchiveUnit id="s1"><ArchiveUnitRefId>C</ArchiveUnitRefId></ArchiveUnit></ArchiveUnit>
///   <ArchiveUnit id="R2"><Content/><ArchiveUnit id="s2"><ArchiveUnitRefId>C</ArchiveUnitRefId></ArchiveUnit></ArchiveUnit>
///   <ArchiveUnit id="C"><Content/></ArchiveUnit>
/// </DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>
/// <ArchivalAgency><Identifier>AG</Identifier></ArchivalAgency>
/// <TransferringAgency><Identifier>TA</Identifier></TransferringAgency></ArchiveTransfer>"#;
/// let doc = Document::from_str(xml)?;
/// let g = doc.unit_graph();
/// let c = g.index_of("C").unwrap();
/// assert_eq!(g.parents(c).len(), 2);
/// assert_eq!(g.roots().len(), 2);
/// assert_eq!(g.max_depth(), 2);
/// assert!(g.find_cycle().is_none());
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct UnitGraph<'a> {
    units: Vec<&'a ArchiveUnit>,
    ids: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
    children: Vec<Vec<usize>>,
    parents: Vec<Vec<usize>>,
    stub_count: usize,
}

impl<'a> UnitGraph<'a> {
    /// Builds the graph of the units under `dm`.
    pub fn build(dm: Option<&'a DescriptiveMetadata>) -> UnitGraph<'a> {
        let mut g = UnitGraph {
            units: Vec::new(),
            ids: Vec::new(),
            index: HashMap::new(),
            children: Vec::new(),
            parents: Vec::new(),
            stub_count: 0,
        };
        let mut pending: Vec<(usize, &'a str)> = Vec::new();
        let mut stack: Vec<(&'a ArchiveUnit, Option<usize>)> = Vec::new();
        if let Some(dm) = dm {
            for u in dm.units().collect::<Vec<_>>().into_iter().rev() {
                stack.push((u, None));
            }
        }
        while let Some((u, parent)) = stack.pop() {
            if let Some(target) = u.ref_id() {
                g.stub_count += 1;
                if let Some(p) = parent {
                    pending.push((p, target.trim()));
                }
                continue;
            }
            let i = g.units.len();
            let id = u.id().unwrap_or("");
            g.units.push(u);
            g.ids.push(id);
            g.index.entry(id).or_insert(i);
            g.children.push(Vec::new());
            g.parents.push(Vec::new());
            if let Some(p) = parent {
                g.children[p].push(i);
                g.parents[i].push(p);
            }
            for c in u.children().collect::<Vec<_>>().into_iter().rev() {
                stack.push((c, Some(i)));
            }
        }
        for (p, target) in pending {
            if let Some(&c) = g.index.get(target) {
                g.children[p].push(c);
                g.parents[c].push(p);
            }
        }
        g
    }

    /// Number of (full) units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether there is no unit.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The unit of node `i`.
    pub fn unit(&self, i: usize) -> &'a ArchiveUnit {
        self.units[i]
    }

    /// The id of node `i`.
    pub fn id(&self, i: usize) -> &'a str {
        self.ids[i]
    }

    /// The node of unit `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Children of node `i` (nested units and resolved stubs, in document order of discovery).
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// Parents of node `i`.
    pub fn parents(&self, i: usize) -> &[usize] {
        &self.parents[i]
    }

    /// Nodes without parent.
    pub fn roots(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.parents[i].is_empty())
            .collect()
    }

    /// A cycle (node indices, in order) if there is one.
    pub fn find_cycle(&self) -> Option<Vec<usize>> {
        let n = self.len();
        let mut color = vec![0u8; n];
        let mut on_path: Vec<usize> = Vec::new();
        for s in 0..n {
            if color[s] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(s, 0)];
            color[s] = 1;
            on_path.push(s);
            while let Some(&mut (v, ref mut k)) = stack.last_mut() {
                if *k < self.children[v].len() {
                    let c = self.children[v][*k];
                    *k += 1;
                    match color[c] {
                        0 => {
                            color[c] = 1;
                            on_path.push(c);
                            stack.push((c, 0));
                        }
                        1 => {
                            let start = on_path.iter().position(|&x| x == c).unwrap_or(0);
                            return Some(on_path[start..].to_vec());
                        }
                        _ => {}
                    }
                } else {
                    color[v] = 2;
                    on_path.pop();
                    stack.pop();
                }
            }
        }
        None
    }

    /// A topological order (parents before children), or the cycle that prevents one.
    pub fn topological_order(&self) -> std::result::Result<Vec<usize>, Vec<usize>> {
        let n = self.len();
        let mut indeg: Vec<usize> = self.parents.iter().map(|p| p.len()).collect();
        let mut queue: std::collections::VecDeque<usize> =
            (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut out = Vec::with_capacity(n);
        while let Some(v) = queue.pop_front() {
            out.push(v);
            for &c in &self.children[v] {
                indeg[c] -= 1;
                if indeg[c] == 0 {
                    queue.push_back(c);
                }
            }
        }
        if out.len() == n {
            Ok(out)
        } else {
            Err(self.find_cycle().unwrap_or_default())
        }
    }

    /// Longest chain of units from a root (1 = roots only; 0 when empty or cyclic).
    pub fn max_depth(&self) -> usize {
        let Ok(order) = self.topological_order() else {
            return 0;
        };
        let mut depth = vec![1usize; self.len()];
        let mut best = 0;
        for v in order {
            best = best.max(depth[v]);
            for &c in &self.children[v] {
                depth[c] = depth[c].max(depth[v] + 1);
            }
        }
        best
    }
}

/// Lookup by id of units (nested ones included), groups and objects of a document.
///
/// ```
/// use vas_core::seda::{ArchiveTransfer, SedaVersion, ObjectSpec};
/// let mut b = ArchiveTransfer::builder(SedaVersion::V2_3).archival_agency("AG").transferring_agency("TA");
/// b.binary_object("G1", ObjectSpec { id: "B1".into(), ..ObjectSpec::default() });
/// b.unit("U1").child("U2").object_group("G1");
/// let doc = b.build()?;
/// let idx = doc.index();
/// assert_eq!(idx.unit("U2").and_then(|u| u.object_references().next()).and_then(|r| r.target()), Some("G1"));
/// assert!(idx.group("G1").is_some());
/// assert_eq!(idx.binary_object("B1").and_then(|b| b.data_object_version()), Some("BinaryMaster_1"));
/// # Ok::<(), vas_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct DocIndex<'a> {
    units: HashMap<&'a str, &'a ArchiveUnit>,
    groups: HashMap<&'a str, &'a DataObjectGroup>,
    binaries: HashMap<&'a str, &'a BinaryDataObject>,
    physicals: HashMap<&'a str, &'a PhysicalDataObject>,
}

impl<'a> DocIndex<'a> {
    /// A full unit (not a reference stub) by id.
    pub fn unit(&self, id: &str) -> Option<&'a ArchiveUnit> {
        self.units.get(id).copied()
    }
    /// A `DataObjectGroup` by id.
    pub fn group(&self, id: &str) -> Option<&'a DataObjectGroup> {
        self.groups.get(id).copied()
    }
    /// A `BinaryDataObject` by id.
    pub fn binary_object(&self, id: &str) -> Option<&'a BinaryDataObject> {
        self.binaries.get(id).copied()
    }
    /// A `PhysicalDataObject` by id.
    pub fn physical_object(&self, id: &str) -> Option<&'a PhysicalDataObject> {
        self.physicals.get(id).copied()
    }
}

impl Document {
    /// Builds the id index (first occurrence wins on duplicates; see
    /// [`check_references`](Self::check_references)).
    pub fn index(&self) -> DocIndex<'_> {
        let mut idx = DocIndex::default();
        let Some(p) = self.package() else {
            return idx;
        };
        for item in &p.items {
            match item {
                DataObjectPackageItem::DataObjectGroup(g) => {
                    if let Some(id) = g.id() {
                        idx.groups.entry(id).or_insert(g);
                    }
                    for b in g.binary_objects() {
                        if let Some(id) = b.id() {
                            idx.binaries.entry(id).or_insert(b);
                        }
                    }
                    for o in g.physical_objects() {
                        if let Some(id) = o.id() {
                            idx.physicals.entry(id).or_insert(o);
                        }
                    }
                }
                DataObjectPackageItem::BinaryDataObject(b) => {
                    if let Some(id) = b.id() {
                        idx.binaries.entry(id).or_insert(b);
                    }
                }
                DataObjectPackageItem::PhysicalDataObject(o) => {
                    if let Some(id) = o.id() {
                        idx.physicals.entry(id).or_insert(o);
                    }
                }
                _ => {}
            }
        }
        let g = self.unit_graph();
        for i in 0..g.len() {
            idx.units.entry(g.id(i)).or_insert(g.unit(i));
        }
        idx
    }
}
