//! RelaxNG validation.

/// A compiled RelaxNG schema.
#[derive(Debug)]
pub struct RelaxNg {}
impl RelaxNg {
    /// Placeholder.
    pub fn from_file(_p: impl AsRef<std::path::Path>) -> crate::Result<RelaxNg> {
        Err(crate::Error::new(
            crate::ErrorKind::Unsupported,
            "RelaxNG not implemented yet",
        ))
    }
    /// Placeholder.
    pub fn validate_reader<R: std::io::BufRead>(
        &self,
        _r: R,
        _o: &super::ValidationOptions,
    ) -> super::Report {
        super::Report::default()
    }
}
