//! More of the shared archive set-up, for the tests that need other referentials or offers
//! than [`create_archive`](super::create_archive) gives (`archive_access.rs`,
//! `archive_dip.rs`, `archive_tenants.rs`): a [`Setup`] says what goes in the archive's
//! referentials folder and configuration; plus the helpers those files shared by copy
//! (sorted unit ids of a DSL answer, a zip entry, `xmllint` against the official SEDA XSD).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vas_core::archive::{Archive, IngestOptions, IngestResult, InitOptions};
use vas_core::catalog::AccessContract;

/// The official SEDA schemas bundled with vas-core (with their XML catalog).
pub const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");

/// Two filesystem offers `o1` and `o2` without fsync (fast tests; an offers TOML).
pub const OFFERS_NO_FSYNC: &str = "[[offer]]\nid = \"fs-1\"\nkind = \"filesystem\"\npath = \"o1\"\nfsync = false\n\
     [[offer]]\nid = \"fs-2\"\nkind = \"filesystem\"\npath = \"o2\"\nfsync = false\n";

/// What [`create_archive_with`] puts in an archive's referentials folder and
/// configuration. `Setup::default()` is an archive with the default offers and no
/// referentials (so only the `FULL_ACCESS` contract).
#[derive(Debug, Default, Clone, Copy)]
pub struct Setup<'a> {
    /// A referentials folder whose files (not its sub-folders) are copied first; its
    /// access-contract files are left out when `contracts` is given.
    pub base: Option<&'a Path>,
    /// The rules referential (CSV), written as `rules.csv`.
    pub rules: Option<&'a str>,
    /// The access contracts, written as `contracts_file`.
    pub contracts: Option<&'a [AccessContract]>,
    /// The contracts' file name: default `access_contracts.json` (the archive reads both
    /// spellings; the referentials loader only `access-contracts.json`).
    pub contracts_file: Option<&'a str>,
    /// A storage configuration (offers TOML), written as `offers.toml` beside the archive.
    pub offers: Option<&'a str>,
}

impl Setup<'_> {
    /// Whether this set-up has a referentials folder at all.
    pub fn has_referentials(&self) -> bool {
        self.base.is_some() || self.rules.is_some() || self.contracts.is_some()
    }
}

/// Writes the referentials of `setup` into the folder `refs` (created) and returns it.
pub fn write_referentials(refs: &Path, setup: &Setup) -> PathBuf {
    std::fs::create_dir_all(refs).unwrap();
    if let Some(base) = setup.base {
        for e in std::fs::read_dir(base).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_file() && !(setup.contracts.is_some() && name.contains("access")) {
                std::fs::copy(&p, refs.join(&name)).unwrap();
            }
        }
    }
    if let Some(rules) = setup.rules {
        std::fs::write(refs.join("rules.csv"), rules).unwrap();
    }
    if let Some(contracts) = setup.contracts {
        std::fs::write(
            refs.join(setup.contracts_file.unwrap_or("access_contracts.json")),
            serde_json::to_vec(contracts).unwrap(),
        )
        .unwrap();
    }
    refs.to_path_buf()
}

/// An archive in `dir/archive` set up as `setup` says: referentials in `dir/refs` (when
/// it has any), offers from `dir/offers.toml` (when it names some).
pub fn create_archive_with(dir: &Path, setup: &Setup) -> Archive {
    let referentials = setup
        .has_referentials()
        .then(|| write_referentials(&dir.join("refs"), setup));
    let offers = setup.offers.map(|toml| {
        let p = dir.join("offers.toml");
        std::fs::write(&p, toml).unwrap();
        p
    });
    Archive::create(
        dir.join("archive"),
        &InitOptions {
            referentials,
            offers,
            ..Default::default()
        },
    )
    .unwrap()
}

/// Ingests `sip` with the default options, asserts it was accepted, and returns the whole
/// result (operation id, system ids, report, ATR).
pub fn ingest_ok(a: &Archive, sip: &Path) -> IngestResult {
    let r = a.ingest(sip, &IngestOptions::default()).unwrap();
    assert!(
        r.report.outcome.is_accepted(),
        "{}: {:?}",
        sip.display(),
        r.report.out_details()
    );
    r
}

/// The `#id`s of a DSL answer's `$results`, sorted.
pub fn sorted_ids(answer: &Value) -> Vec<String> {
    let mut v: Vec<String> = answer["$results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["#id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// The bytes of entry `name` of the zip `p`.
pub fn zip_entry(p: &Path, name: &str) -> Vec<u8> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(p).unwrap()).unwrap();
    let mut v = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut v).unwrap();
    v
}

/// `xmllint --schema` of `xml` against the official SEDA `version` (`"2.1"`, `"2.2"`,
/// `"2.3"`) XSD, in `scratch`; `Err` holds xmllint's messages.
pub fn xmllint(xml: &[u8], version: &str, scratch: &Path) -> Result<(), String> {
    let f = scratch.join("dip-manifest.xml");
    std::fs::write(&f, xml).unwrap();
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", format!("{SCHEMAS}/catalog.xml"))
        .args(["--nonet", "--noout", "--schema"])
        .arg(format!("{SCHEMAS}/{version}/seda-{version}-main.xsd"))
        .arg(&f)
        .output()
        .expect("xmllint is installed (scripts/setup.d/archive2.sh)");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
