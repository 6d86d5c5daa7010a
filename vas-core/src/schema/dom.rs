//! A minimal read-only tree for schema documents (XSD and RelaxNG), built with the safe
//! reader of [`super::input`].

use super::input::{Ev, Limits, XmlInput, problem_to_error, resolve_qname_in};
use crate::Result;

/// One element of a schema document.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub ns: String,
    pub local: String,
    /// (namespace, local name, value)
    pub attrs: Vec<(String, String, String)>,
    pub children: Vec<usize>,
    pub text: String,
    pub line: u64,
    /// Namespace bindings in scope at this element.
    pub scope: usize,
}

/// A parsed schema document.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub nodes: Vec<Node>,
    pub scopes: Vec<Vec<(String, String)>>,
    /// Where the document came from (file name or label), for messages.
    pub location: String,
}

impl Doc {
    /// Parses a schema document.
    pub fn parse(bytes: &[u8], location: &str) -> Result<Doc> {
        let limits = Limits {
            max_depth: 256,
            max_text: 16 << 20,
        };
        let mut input = XmlInput::new(bytes, limits);
        let mut doc = Doc {
            nodes: Vec::new(),
            scopes: Vec::new(),
            location: location.to_string(),
        };
        let mut stack: Vec<usize> = Vec::new();
        // The borrowing interface of the reader: names, attributes and text are copied
        // once into the node (the owned `next` adapter copied them twice), and the scope
        // is only snapshotted when it differs from the previous element's.
        loop {
            let ev = input
                .advance()
                .map_err(|p| problem_to_error(p, location).with_path(location))?;
            match ev {
                Ev::Start => {
                    let scope = match doc.scopes.last() {
                        Some(last) if input.scope_is(last) => doc.scopes.len() - 1,
                        _ => {
                            doc.scopes.push(input.scope_snapshot());
                            doc.scopes.len() - 1
                        }
                    };
                    let id = doc.nodes.len();
                    doc.nodes.push(Node {
                        ns: input.elem_ns().to_string(),
                        local: input.elem_local().to_string(),
                        attrs: input
                            .attrs()
                            .map(|a| (a.ns.to_string(), a.local.to_string(), a.value.to_string()))
                            .collect(),
                        children: Vec::new(),
                        text: String::new(),
                        line: input.elem_pos().0,
                        scope,
                    });
                    if let Some(&p) = stack.last() {
                        doc.nodes[p].children.push(id);
                    }
                    stack.push(id);
                }
                Ev::Text => {
                    if let Some(&p) = stack.last() {
                        doc.nodes[p].text.push_str(input.text());
                    }
                }
                Ev::End => {
                    stack.pop();
                }
                Ev::Eof => break,
            }
        }
        Ok(doc)
    }

    /// The root element (index 0).
    pub fn root(&self) -> usize {
        0
    }

    /// An unqualified attribute of a node.
    pub fn attr(&self, n: usize, name: &str) -> Option<&str> {
        self.nodes[n]
            .attrs
            .iter()
            .find(|(ns, l, _)| ns.is_empty() && l == name)
            .map(|(_, _, v)| v.as_str())
    }

    /// Resolves a QName-valued attribute value in the scope of node `n`.
    pub fn resolve_qname(&self, n: usize, q: &str) -> Option<(String, String)> {
        resolve_qname_in(&self.scopes[self.nodes[n].scope], q)
    }

    /// Children of `n` in namespace `ns`.
    pub fn children_in<'a>(&'a self, n: usize, ns: &'a str) -> impl Iterator<Item = usize> + 'a {
        self.nodes[n]
            .children
            .iter()
            .copied()
            .filter(move |&c| self.nodes[c].ns == ns)
    }

    /// `location:line` of node `n`, for error messages.
    pub fn at(&self, n: usize) -> String {
        format!("{}:{}", self.location, self.nodes[n].line)
    }
}
