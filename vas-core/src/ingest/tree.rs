//! A compact read-only element tree of a manifest for the ingest checks.
//!
//! [`crate::xml::RawElement`] is lossless (namespaces, comments, every text node, owned
//! strings), which costs several allocations per element: on a manifest of 100 000 units
//! building and dropping it was a quarter of a metadata-only dry run. The checks only need
//! element names, a few attributes and the text of elements, so this tree borrows names and
//! unescaped text from the manifest bytes and allocates only for children lists, attributes
//! and text that had to be unescaped or spans several segments.

use std::borrow::Cow;

use crate::xml::{Attr, Limits, XEvent, XmlReader};
use crate::{ErrorKind, Result};

/// One element: qualified name, attributes, direct text and child elements.
#[derive(Debug, Default)]
pub(crate) struct Node<'a> {
    name: &'a str,
    attrs: Vec<Attr>,
    text: Cow<'a, str>,
    children: Vec<Node<'a>>,
}

impl<'a> Node<'a> {
    /// Local part of the name.
    pub(crate) fn local_name(&self) -> &'a str {
        match self.name.find(':') {
            Some(i) => &self.name[i + 1..],
            None => self.name,
        }
    }

    /// Value of the attribute with this qualified name.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The direct text and CDATA of the element, concatenated; once the element has a child
    /// element, whitespace-only text (indentation) is not kept.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// Child elements, in document order.
    pub(crate) fn elements(&self) -> std::slice::Iter<'_, Node<'a>> {
        self.children.iter()
    }

    fn push_text(&mut self, t: Cow<'a, str>) {
        if !self.children.is_empty() && t.trim().is_empty() {
            return;
        }
        if self.text.is_empty() {
            self.text = t;
        } else {
            self.text.to_mut().push_str(&t);
        }
    }
}

/// Parses the whole document into a tree borrowing from `bytes`.
pub(crate) fn parse(bytes: &[u8]) -> Result<Node<'_>> {
    let mut r = XmlReader::new(bytes, Limits::default());
    let mut stack: Vec<Node<'_>> = Vec::new();
    loop {
        match r.next()? {
            XEvent::Start(s) => {
                stack.push(Node {
                    name: s.qname(),
                    attrs: s.attrs()?,
                    text: Cow::Borrowed(""),
                    children: Vec::new(),
                });
            }
            XEvent::End => {
                let mut done = stack
                    .pop()
                    .ok_or_else(|| r.error(ErrorKind::Xml, "unbalanced end tag"))?;
                // The tree lives through the checks: give back what doubling reserved.
                done.children.shrink_to_fit();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            XEvent::Text(t) | XEvent::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.push_text(t);
                }
            }
            XEvent::Comment(_) | XEvent::Pi(_) => {}
            XEvent::Eof => {
                return Err(r.error(
                    ErrorKind::Xml,
                    if stack.is_empty() {
                        "no root element"
                    } else {
                        "unexpected end of document"
                    },
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_attributes_and_text() {
        let x = br#"<?xml version="1.0"?>
<!-- c --><s:a xmlns:s="urn:x" id="r">
  <s:b id="1">x &amp; <![CDATA[<y>]]> z</s:b>
  <c/>
  <d>  </d>
</s:a>"#;
        let t = parse(x).unwrap();
        assert_eq!(t.local_name(), "a");
        assert_eq!(t.attr("id"), Some("r"));
        assert_eq!(t.attr("xmlns:s"), Some("urn:x"));
        let kids: Vec<_> = t.elements().map(|e| e.local_name()).collect();
        assert_eq!(kids, ["b", "c", "d"]);
        let b = t.elements().next().unwrap();
        assert_eq!(b.text(), "x & <y> z");
        assert_eq!(b.attr("id"), Some("1"));
        assert_eq!(t.elements().nth(1).unwrap().text(), "");
        assert_eq!(t.elements().nth(2).unwrap().text(), "  ");
        // Indentation of a parent after its first child is not kept.
        assert_eq!(t.text(), "\n  ");
    }

    #[test]
    fn errors() {
        assert!(parse(b"").is_err());
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a>").is_err());
    }
}
