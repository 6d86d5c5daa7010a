//! Inherited rules of units attached under existing units: the ingest controls compute
//! `#computedInheritedRules` from the SIP alone; a unit of the SIP below a unit standing
//! for an existing one (`UpdateOperation`) must also inherit what that existing unit and
//! its ancestors pass down. The archive recomputes those units' rules over the catalog
//! graph (the existing ancestors with their own `Management` as ingested) joined to the
//! SIP's units.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Archive, lock};
use crate::error::Result;
use crate::rules::{UnitRulesInput, compute_inherited_rules, read_manifest_units_bytes};

/// The name a SIP unit takes in the joined graph (never a system id: those have no `:`).
fn sip_name(id: &str) -> String {
    format!("sip:{id}")
}

impl Archive {
    /// Replaces in `rules` (manifest unit id → computed inherited rules, Vitam's indexed
    /// form) the entries of the SIP units below an attached existing unit by their rules
    /// computed over the existing ancestors and the SIP together. Nothing changes without
    /// attachments or without a rules referential.
    pub(super) fn attached_inherited_rules(
        &self,
        manifest_bytes: &[u8],
        attachments: &BTreeMap<String, String>,
        rules: &mut BTreeMap<String, Value>,
    ) -> Result<()> {
        if attachments.is_empty() {
            return Ok(());
        }
        let refs = match self.referentials_dir()? {
            Some(r) => crate::referential::Referentials::load_dir(r)?,
            None => return Ok(()),
        };
        let Some(rules_ref) = refs.rules.as_ref() else {
            return Ok(());
        };
        let sip = read_manifest_units_bytes(manifest_bytes)?;
        // SIP units below an attached one (any depth).
        let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for u in &sip.units {
            for p in &u.parents {
                children.entry(p.as_str()).or_default().push(u.id.as_str());
            }
        }
        let mut below: BTreeSet<&str> = BTreeSet::new();
        let mut todo: Vec<&str> = attachments.keys().map(String::as_str).collect();
        while let Some(u) = todo.pop() {
            for &c in children.get(u).into_iter().flatten() {
                if !attachments.contains_key(c) && below.insert(c) {
                    todo.push(c);
                }
            }
        }
        if below.is_empty() {
            return Ok(());
        }
        // The existing units and their ancestors, from the catalog.
        let existing: Vec<String> = attachments
            .values()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let graph = lock(&self.catalog).elimination_graph(self.tenant(), &existing)?;
        let parents_of: BTreeMap<&str, &Vec<String>> =
            graph.iter().map(|g| (g.id.as_str(), &g.parents)).collect();
        let mut needed: BTreeSet<&str> = BTreeSet::new();
        let mut todo: Vec<&str> = existing.iter().map(String::as_str).collect();
        while let Some(u) = todo.pop() {
            if needed.insert(u)
                && let Some(ps) = parents_of.get(u)
            {
                todo.extend(ps.iter().map(String::as_str));
            }
        }
        let mut inputs: Vec<UnitRulesInput> = Vec::new();
        for g in graph.iter().filter(|g| needed.contains(g.id.as_str())) {
            inputs.push(UnitRulesInput {
                id: g.id.clone(),
                parents: g
                    .parents
                    .iter()
                    .filter(|p| needed.contains(p.as_str()))
                    .cloned()
                    .collect(),
                originating_agency: g.originating_agency.clone(),
                management: self.stored_management(&g.id)?,
                title: None,
            });
        }
        let name = |id: &str| match attachments.get(id) {
            Some(sys) => sys.clone(),
            None => sip_name(id),
        };
        for u in sip
            .units
            .iter()
            .filter(|u| !attachments.contains_key(&u.id))
        {
            let mut x = u.clone();
            x.id = sip_name(&u.id);
            x.parents = u.parents.iter().map(|p| name(p)).collect();
            inputs.push(x);
        }
        let computed = compute_inherited_rules(&inputs, rules_ref)?;
        for id in below {
            if let Some(r) = computed.unit(&sip_name(id)) {
                rules.insert(id.to_string(), r.summary());
            }
        }
        Ok(())
    }
}
