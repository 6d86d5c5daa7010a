//! RelaxNG validation (placeholder, replaced below).

/// A compiled RelaxNG schema.
#[derive(Debug)]
pub struct RelaxNg {}
