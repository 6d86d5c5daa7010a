//! Platform settings Vitam takes from its deployment (`vitam_vars.yml`): allowed
//! classification levels and the platform digest algorithm.
//!
//! ```
//! use vas_core::referential::PlatformConfig;
//! let p = PlatformConfig::from_json(br#"{"classificationList":["Secret"],"classificationLevelOptional":false}"#)?;
//! assert!(!p.classification_level_optional);
//! assert_eq!(PlatformConfig::default().digest_algorithm.seda_name(), "SHA-512");
//! # Ok::<(), vas_core::Error>(())
//! ```

use serde::Deserialize;

use crate::digest::DigestAlgorithm;
use crate::{Error, ErrorKind, Result};

/// Platform settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformConfig {
    /// Allowed `ClassificationLevel` values (`classificationList`).
    pub classification_list: Vec<String>,
    /// When false, a unit with a ClassificationRule must give a level.
    pub classification_level_optional: bool,
    /// The platform digest algorithm (`SHA-512` by default).
    pub digest_algorithm: DigestAlgorithm,
    /// The tenant the context permissions are checked for (Vitam's tests use 0).
    pub tenant: i64,
}

impl Default for PlatformConfig {
    /// Vitam's default deployment values.
    fn default() -> Self {
        PlatformConfig {
            classification_list: vec![
                "Non protégé".into(),
                "Secret Défense".into(),
                "Confidentiel Défense".into(),
            ],
            classification_level_optional: true,
            digest_algorithm: DigestAlgorithm::Sha512,
            tenant: 0,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(rename = "classificationList", default)]
    classification_list: Option<Vec<String>>,
    #[serde(rename = "classificationLevelOptional", default)]
    classification_level_optional: Option<bool>,
    #[serde(rename = "digestAlgorithm", default)]
    digest_algorithm: Option<String>,
    #[serde(default)]
    tenant: Option<i64>,
}

impl PlatformConfig {
    /// Reads `platform.json`: `{"classificationList":[…],"classificationLevelOptional":bool,
    /// "digestAlgorithm":"SHA-512","tenant":0}`; missing keys keep Vitam's defaults,
    /// unknown keys are refused.
    pub fn from_json(bytes: &[u8]) -> Result<PlatformConfig> {
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| {
            Error::new(ErrorKind::InvalidInput, format!("platform.json: {e}"))
                .at(e.line() as u64, e.column() as u64)
        })?;
        let mut p = PlatformConfig::default();
        if let Some(l) = raw.classification_list {
            p.classification_list = l;
        }
        if let Some(o) = raw.classification_level_optional {
            p.classification_level_optional = o;
        }
        if let Some(a) = raw.digest_algorithm {
            p.digest_algorithm = a.parse()?;
        }
        if let Some(t) = raw.tenant {
            p.tenant = t;
        }
        Ok(p)
    }
}
