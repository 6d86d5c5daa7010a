//! A referentials directory, loaded in one call, and its programmatic builder.
//!
//! The layout (see `docs/referentials.md`): `agencies.csv`, `rules.csv`, `formats.xml`
//! (DROID signature file), `ingest-contracts.json`, `access-contracts.json`,
//! `archival-profiles.json` with each profile's file at `profiles/<Identifier>.rng|.xsd`,
//! `archive-unit-profiles.json`, `contexts.json` and `platform.json`. Every file is
//! optional: an absent file leaves that referential `None` and the checks that need it are
//! skipped (the ingest report says so); a present but invalid file is an error naming the
//! file.
//!
//! ```
//! use vas_core::referential::{Referentials, IngestContract};
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(dir.path().join("agencies.csv"), "Identifier,Name,Description\nAG1,Agence,\n").unwrap();
//! let refs = Referentials::load_dir(dir.path())?;
//! assert!(refs.agencies.as_ref().unwrap().contains("AG1"));
//! assert!(refs.rules.is_none());
//!
//! let refs = Referentials::builder()
//!     .ingest_contracts(IngestContract::load_json(br#"[{"Identifier":"IC","Name":"n"}]"#)?)
//!     .build();
//! assert!(refs.ingest_contract("IC").is_some());
//! # Ok::<(), vas_core::Error>(())
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::contracts::{Context, IngestContract};
use super::platform::PlatformConfig;
use super::profiles::{ArchivalProfile, ArchiveUnitProfile};
use super::{AgenciesReferential, RulesReferential};
use crate::catalog::AccessContract;
use crate::format::FormatRegistry;
use crate::{Error, ErrorKind, Result};

/// Every referential an ingest may need. `None` means "not provided".
#[derive(Debug, Clone, Default)]
pub struct Referentials {
    /// `agencies.csv`.
    pub agencies: Option<AgenciesReferential>,
    /// `rules.csv`.
    pub rules: Option<RulesReferential>,
    /// `formats.xml` (DROID signature file).
    pub formats: Option<Arc<FormatRegistry>>,
    /// `ingest-contracts.json`.
    pub ingest_contracts: Option<Vec<IngestContract>>,
    /// `access-contracts.json`.
    pub access_contracts: Option<Vec<AccessContract>>,
    /// `archival-profiles.json` (+ `profiles/`).
    pub archival_profiles: Option<Vec<ArchivalProfile>>,
    /// `archive-unit-profiles.json`.
    pub archive_unit_profiles: Option<Vec<ArchiveUnitProfile>>,
    /// `contexts.json`.
    pub contexts: Option<Vec<Context>>,
    /// `platform.json`.
    pub platform: Option<PlatformConfig>,
    /// The directory loaded, if any.
    pub dir: Option<PathBuf>,
}

fn read_opt(dir: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    let p = dir.join(name);
    match std::fs::read(&p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::from(e).with_path(&p)),
    }
}

fn in_file<T>(dir: &Path, name: &str, r: Result<T>) -> Result<T> {
    r.map_err(|e| e.or_path(dir.join(name)))
}

impl Referentials {
    /// A builder for programmatic use.
    pub fn builder() -> ReferentialsBuilder {
        ReferentialsBuilder::default()
    }

    /// Loads a referentials directory (layout in [`crate::referential`]).
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Referentials> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(
                Error::new(ErrorKind::NotFound, "referentials directory not found").with_path(dir),
            );
        }
        let mut r = Referentials {
            dir: Some(dir.to_path_buf()),
            ..Default::default()
        };
        if let Some(b) = read_opt(dir, "agencies.csv")? {
            r.agencies = Some(in_file(
                dir,
                "agencies.csv",
                AgenciesReferential::from_csv_bytes(&b),
            )?);
        }
        if let Some(b) = read_opt(dir, "rules.csv")? {
            r.rules = Some(in_file(
                dir,
                "rules.csv",
                RulesReferential::from_csv_bytes(&b),
            )?);
        }
        if dir.join("formats.xml").is_file() {
            r.formats = Some(Arc::new(in_file(
                dir,
                "formats.xml",
                FormatRegistry::from_droid_file(dir.join("formats.xml")),
            )?));
        }
        if let Some(b) = read_opt(dir, "ingest-contracts.json")? {
            r.ingest_contracts = Some(in_file(
                dir,
                "ingest-contracts.json",
                IngestContract::load_json(&b),
            )?);
        }
        if dir.join("access-contracts.json").is_file() {
            r.access_contracts = Some(AccessContract::load_all(dir.join("access-contracts.json"))?);
        }
        if let Some(b) = read_opt(dir, "archival-profiles.json")? {
            let mut profiles = in_file(
                dir,
                "archival-profiles.json",
                ArchivalProfile::load_json(&b),
            )?;
            for p in &mut profiles {
                let f =
                    dir.join("profiles")
                        .join(format!("{}.{}", p.identifier, p.format.extension()));
                if f.is_file() {
                    p.file = Some(f);
                }
            }
            r.archival_profiles = Some(profiles);
        }
        if let Some(b) = read_opt(dir, "archive-unit-profiles.json")? {
            r.archive_unit_profiles = Some(in_file(
                dir,
                "archive-unit-profiles.json",
                ArchiveUnitProfile::load_json(&b),
            )?);
        }
        if let Some(b) = read_opt(dir, "contexts.json")? {
            r.contexts = Some(in_file(dir, "contexts.json", Context::load_json(&b))?);
        }
        if let Some(b) = read_opt(dir, "platform.json")? {
            r.platform = Some(in_file(
                dir,
                "platform.json",
                PlatformConfig::from_json(&b),
            )?);
        }
        Ok(r)
    }

    /// The ingest contract with this identifier.
    pub fn ingest_contract(&self, id: &str) -> Option<&IngestContract> {
        self.ingest_contracts
            .as_ref()?
            .iter()
            .find(|c| c.identifier == id)
    }

    /// The context with this identifier.
    pub fn context(&self, id: &str) -> Option<&Context> {
        self.contexts.as_ref()?.iter().find(|c| c.identifier == id)
    }

    /// The archival profile with this identifier.
    pub fn archival_profile(&self, id: &str) -> Option<&ArchivalProfile> {
        self.archival_profiles
            .as_ref()?
            .iter()
            .find(|c| c.identifier == id)
    }

    /// The archive-unit profile with this identifier.
    pub fn archive_unit_profile(&self, id: &str) -> Option<&ArchiveUnitProfile> {
        self.archive_unit_profiles
            .as_ref()?
            .iter()
            .find(|c| c.identifier == id)
    }

    /// The platform settings (Vitam's defaults when `platform.json` is absent).
    pub fn platform(&self) -> PlatformConfig {
        self.platform.clone().unwrap_or_default()
    }

    /// Names of the referential files that were not provided.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        let checks: [(bool, &'static str); 9] = [
            (self.agencies.is_none(), "agencies.csv"),
            (self.rules.is_none(), "rules.csv"),
            (self.formats.is_none(), "formats.xml"),
            (self.ingest_contracts.is_none(), "ingest-contracts.json"),
            (self.access_contracts.is_none(), "access-contracts.json"),
            (self.archival_profiles.is_none(), "archival-profiles.json"),
            (
                self.archive_unit_profiles.is_none(),
                "archive-unit-profiles.json",
            ),
            (self.contexts.is_none(), "contexts.json"),
            (self.platform.is_none(), "platform.json"),
        ];
        for (absent, name) in checks {
            if absent {
                m.push(name);
            }
        }
        m
    }
}

/// Builds [`Referentials`] from values.
#[derive(Debug, Default)]
pub struct ReferentialsBuilder {
    r: Referentials,
}

impl ReferentialsBuilder {
    /// Sets the agencies.
    pub fn agencies(mut self, a: AgenciesReferential) -> Self {
        self.r.agencies = Some(a);
        self
    }
    /// Sets the rules.
    pub fn rules(mut self, r: RulesReferential) -> Self {
        self.r.rules = Some(r);
        self
    }
    /// Sets the format registry.
    pub fn formats(mut self, f: Arc<FormatRegistry>) -> Self {
        self.r.formats = Some(f);
        self
    }
    /// Sets the ingest contracts.
    pub fn ingest_contracts(mut self, c: Vec<IngestContract>) -> Self {
        self.r.ingest_contracts = Some(c);
        self
    }
    /// Sets the access contracts.
    pub fn access_contracts(mut self, c: Vec<AccessContract>) -> Self {
        self.r.access_contracts = Some(c);
        self
    }
    /// Sets the archival profiles.
    pub fn archival_profiles(mut self, p: Vec<ArchivalProfile>) -> Self {
        self.r.archival_profiles = Some(p);
        self
    }
    /// Sets the archive-unit profiles.
    pub fn archive_unit_profiles(mut self, p: Vec<ArchiveUnitProfile>) -> Self {
        self.r.archive_unit_profiles = Some(p);
        self
    }
    /// Sets the contexts.
    pub fn contexts(mut self, c: Vec<Context>) -> Self {
        self.r.contexts = Some(c);
        self
    }
    /// Sets the platform settings.
    pub fn platform(mut self, p: PlatformConfig) -> Self {
        self.r.platform = Some(p);
        self
    }
    /// The referentials.
    pub fn build(self) -> Referentials {
        self.r
    }
}
