//! Archival profiles (Vitam's `Profile`: JSON metadata plus a RelaxNG or XSD file) and
//! archive-unit profiles (JSON with a JSON-Schema `ControlSchema`).
//!
//! ```
//! use vas_core::referential::{ArchivalProfile, ProfileFormat};
//! let p = &ArchivalProfile::load_json(br#"[{"Identifier":"PR-1","Name":"p","Status":"ACTIVE","Format":"RNG"}]"#)?[0];
//! assert_eq!(p.format, ProfileFormat::Rng);
//! assert!(p.file.is_none());
//! # Ok::<(), vas_core::Error>(())
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::contracts::{check_status, parse_items};
use crate::{Error, ErrorKind, Result};

/// The schema language of an archival profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileFormat {
    /// RelaxNG (XML syntax).
    #[serde(rename = "RNG")]
    Rng,
    /// XML Schema.
    #[serde(rename = "XSD")]
    Xsd,
}

impl ProfileFormat {
    /// `rng` or `xsd`.
    pub fn extension(self) -> &'static str {
        match self {
            ProfileFormat::Rng => "rng",
            ProfileFormat::Xsd => "xsd",
        }
    }
}

/// An archival profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArchivalProfile {
    /// `Identifier`.
    pub identifier: String,
    /// `Name`.
    #[serde(default)]
    pub name: String,
    /// `Status`.
    #[serde(default = "active")]
    pub status: String,
    /// `Format`: RNG or XSD.
    pub format: ProfileFormat,
    /// The profile's schema file, when one was attached (Vitam's `Path`).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

fn active() -> String {
    "ACTIVE".to_string()
}

impl ArchivalProfile {
    /// Loads Vitam's profile JSON (files are attached by [`super::Referentials::load_dir`]).
    pub fn load_json(bytes: &[u8]) -> Result<Vec<ArchivalProfile>> {
        let v: Vec<ArchivalProfile> =
            parse_items(bytes, "archival profiles", |p: &ArchivalProfile| {
                &p.identifier
            })?;
        for p in &v {
            check_status("archival profile", &p.identifier, &p.status)?;
        }
        Ok(v)
    }

    /// True when `Status` is `ACTIVE`.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}

/// An archive-unit profile: a JSON Schema every unit declaring it must satisfy.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveUnitProfile {
    /// `Identifier`.
    pub identifier: String,
    /// `Name`.
    pub name: String,
    /// `Status`.
    pub status: String,
    /// The parsed `ControlSchema` (None when empty: `EMPTY_CONTROL_SCHEMA`).
    pub control_schema: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAup {
    identifier: String,
    #[serde(default)]
    name: String,
    #[serde(default = "active")]
    status: String,
    #[serde(default)]
    control_schema: Option<String>,
}

impl ArchiveUnitProfile {
    /// Loads Vitam's archive-unit-profile JSON (an array, or a single object as in
    /// Vitam's integration fixtures). The `ControlSchema` string must be JSON.
    ///
    /// ```
    /// use vas_core::referential::ArchiveUnitProfile;
    /// let j = br#"{"Identifier":"AUP-1","Status":"ACTIVE","ControlSchema":"{\"type\":\"object\"}"}"#;
    /// let p = &ArchiveUnitProfile::load_json(j)?[0];
    /// assert!(p.control_schema.is_some());
    /// # Ok::<(), vas_core::Error>(())
    /// ```
    pub fn load_json(bytes: &[u8]) -> Result<Vec<ArchiveUnitProfile>> {
        let raw: Vec<RawAup> =
            parse_items(bytes, "archive-unit profiles", |p: &RawAup| &p.identifier)?;
        let mut out = Vec::new();
        for r in raw {
            check_status("archive-unit profile", &r.identifier, &r.status)?;
            let control_schema = match r.control_schema.as_deref().map(str::trim) {
                None | Some("") | Some("{}") => None,
                Some(s) => Some(serde_json::from_str(s).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "archive-unit profile {:?}: ControlSchema is not JSON: {e}",
                            r.identifier
                        ),
                    )
                    .with_id(r.identifier.clone())
                })?),
            };
            out.push(ArchiveUnitProfile {
                identifier: r.identifier,
                name: r.name,
                status: r.status,
                control_schema,
            });
        }
        Ok(out)
    }

    /// True when `Status` is `ACTIVE`.
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
}
