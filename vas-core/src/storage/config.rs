//! Offers and strategy from a small TOML file, so an application moves from a folder to a
//! cluster without code changes.
//!
//! ```toml
//! [[offer]]
//! id = "fs-1"
//! kind = "filesystem"
//! path = "offers/fs-1"          # relative to the file's folder
//! # fsync = true                # default
//!
//! [[offer]]
//! id = "s3-1"
//! kind = "s3"                   # needs the cargo feature `s3`
//! endpoint = "http://127.0.0.1:8333"
//! bucket = "vas"
//! region = "us-east-1"
//! access_key_env = "VAS_S3_ACCESS_KEY"
//! secret_key_env = "VAS_S3_SECRET_KEY"
//! # path_style = true           # false: virtual-host addressing (bucket.host)
//! # prefix = "archive/"         # optional key prefix inside the bucket
//!
//! [[offer]]
//! id = "mem"
//! kind = "memory"               # for tests
//!
//! [strategy]                    # optional: all offers, the first one referent
//! offers = ["fs-1", "s3-1"]
//! referent = "fs-1"
//! ```
//! ```toml
//! [[offer]]
//! id = "swift-1"
//! kind = "swift"                # needs the cargo feature `swift`
//! auth_url = "http://127.0.0.1:8080/auth/v1.0"   # v1 auth (TempAuth)
//! user_env = "VAS_SWIFT_USER"   # holds e.g. "account:user"
//! key_env = "VAS_SWIFT_KEY"
//! container = "vas"
//! # prefix = "archive/"         # optional key prefix inside the container
//! # large_object_threshold = 67108864   # above: Static Large Object
//! # segment_size = 67108864
//! # create_container = false
//! ```
//! Opening an `s3` or `swift` offer in a build without its feature answers
//! [`ErrorKind::Unsupported`].
//!
//! ```
//! use vas_core::storage::config::StorageConfig;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let cfg = StorageConfig::from_toml_str(
//!     r#"
//!     [[offer]]
//!     id = "fs-1"
//!     kind = "filesystem"
//!     path = "offers/fs-1"
//!     [[offer]]
//!     id = "mem"
//!     kind = "memory"
//!     [strategy]
//!     offers = ["fs-1", "mem"]
//!     referent = "fs-1"
//!     "#,
//!     dir.path(),
//! )
//! .unwrap();
//! let strategy = cfg.build_strategy().unwrap();
//! assert_eq!(strategy.referent().id(), "fs-1");
//! assert!(dir.path().join("offers/fs-1/VAS-OFFER").exists());
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};

use super::fs::FilesystemOffer;
use super::memory::MemoryOffer;
use super::offer::StorageOffer;
use super::strategy::Strategy;

/// A parsed configuration file.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The offers, in file order.
    pub offers: Vec<OfferConfig>,
    /// The strategy (defaults to every offer, the first one referent).
    pub strategy: StrategyConfig,
    /// The folder relative paths are resolved against.
    pub base_dir: PathBuf,
}

/// The `[strategy]` table.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfig {
    /// Offer ids, in read order.
    pub offers: Vec<String>,
    /// The referent offer's id.
    pub referent: String,
}

/// One `[[offer]]` table.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum OfferConfig {
    /// A [`FilesystemOffer`].
    Filesystem {
        /// Offer id.
        id: String,
        /// Root folder (relative to the configuration file's folder).
        path: PathBuf,
        /// `fsync` files and directories (default true; false only for tests).
        #[serde(default = "yes")]
        fsync: bool,
    },
    /// A [`MemoryOffer`] (tests).
    Memory {
        /// Offer id.
        id: String,
    },
    /// An S3-compatible offer (cargo feature `s3`).
    S3(S3Config),
    /// An OpenStack Swift offer (cargo feature `swift`).
    Swift(SwiftConfig),
}

fn yes() -> bool {
    true
}

/// Settings of an S3-compatible offer.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// Offer id.
    pub id: String,
    /// `http(s)://host[:port]`.
    pub endpoint: String,
    /// Bucket (created if missing when `create_bucket` is true).
    pub bucket: String,
    /// Signing region (default `us-east-1`).
    #[serde(default = "default_region")]
    pub region: String,
    /// Environment variable holding the access key id.
    pub access_key_env: String,
    /// Environment variable holding the secret key.
    pub secret_key_env: String,
    /// Path-style (`host/bucket/key`, default) or virtual-host (`bucket.host/key`) URLs.
    #[serde(default = "yes")]
    pub path_style: bool,
    /// Prefix prepended to every key in the bucket.
    #[serde(default)]
    pub prefix: String,
    /// Objects larger than this use multipart upload (default 64 MiB; at least 5 MiB).
    #[serde(default = "default_part")]
    pub multipart_threshold: u64,
    /// Part size of multipart uploads (default 64 MiB; at least 5 MiB).
    #[serde(default = "default_part")]
    pub part_size: u64,
    /// Create the bucket when it does not exist (default false).
    #[serde(default)]
    pub create_bucket: bool,
}

/// Settings of an OpenStack Swift offer: Swift's v1 authentication (TempAuth and
/// compatibles, `auth_version = 1`, the default) or Keystone v3 password authentication
/// (`auth_version = 3`, with `project` and the domains).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SwiftConfig {
    /// Offer id.
    pub id: String,
    /// The authentication URL: v1, e.g. `http://127.0.0.1:8080/auth/v1.0`; Keystone v3,
    /// e.g. `http://keystone:5000/v3` (tokens are asked at `<auth_url>/auth/tokens`).
    pub auth_url: String,
    /// `1` (default): Swift v1 authentication; `3`: Keystone v3.
    #[serde(default = "default_auth_version")]
    pub auth_version: u8,
    /// Environment variable holding the user (`account:user` for TempAuth; the user name
    /// for Keystone).
    pub user_env: String,
    /// Environment variable holding the key (password).
    pub key_env: String,
    /// Keystone v3: the project the token is scoped to (by name; required).
    #[serde(default)]
    pub project: Option<String>,
    /// Keystone v3: the user's domain, by name (default `Default`).
    #[serde(default = "default_domain")]
    pub user_domain: String,
    /// Keystone v3: the project's domain, by name (default `Default`).
    #[serde(default = "default_domain")]
    pub project_domain: String,
    /// Keystone v3: region of the `object-store` endpoint in the service catalog
    /// (default: the first endpoint with the interface).
    #[serde(default)]
    pub region: Option<String>,
    /// Keystone v3: interface of the catalog endpoint: `public` (default), `internal`
    /// or `admin`.
    #[serde(default = "default_interface")]
    pub interface: String,
    /// Container (large objects' segments go to `<container>_segments`).
    pub container: String,
    /// Prefix prepended to every key in the container.
    #[serde(default)]
    pub prefix: String,
    /// Storage URL to use instead of the one the auth answer gives (a proxy behind a
    /// gateway that announces an unreachable address).
    #[serde(default)]
    pub storage_url: Option<String>,
    /// Objects larger than this become Static Large Objects (default 64 MiB; between
    /// 1 MiB and 5 GiB).
    #[serde(default = "default_part")]
    pub large_object_threshold: u64,
    /// Segment size of large objects, held in memory one at a time (default 64 MiB;
    /// between 1 MiB and 5 GiB).
    #[serde(default = "default_part")]
    pub segment_size: u64,
    /// Create the container and the segments container when missing (default false).
    #[serde(default)]
    pub create_container: bool,
    /// Objects asked per listing request (default 10000, Swift's own limit); the listing
    /// pages on with `marker`.
    #[serde(default = "default_page")]
    pub list_page_size: usize,
}

fn default_auth_version() -> u8 {
    1
}

fn default_domain() -> String {
    "Default".into()
}

fn default_interface() -> String {
    "public".into()
}

fn default_page() -> usize {
    10_000
}

fn default_region() -> String {
    "us-east-1".into()
}

fn default_part() -> u64 {
    64 << 20
}

impl OfferConfig {
    /// The offer's id.
    pub fn id(&self) -> &str {
        match self {
            OfferConfig::Filesystem { id, .. } | OfferConfig::Memory { id } => id,
            OfferConfig::S3(c) => &c.id,
            OfferConfig::Swift(c) => &c.id,
        }
    }

    /// The `kind` value.
    pub fn kind(&self) -> &'static str {
        match self {
            OfferConfig::Filesystem { .. } => "filesystem",
            OfferConfig::Memory { .. } => "memory",
            OfferConfig::S3(_) => "s3",
            OfferConfig::Swift(_) => "swift",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    offer: Vec<OfferConfig>,
    strategy: Option<StrategyConfig>,
}

impl StorageConfig {
    /// Reads and validates a configuration file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<StorageConfig> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).with_path(path))?;
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        StorageConfig::from_toml_str(&text, &base).map_err(|e| e.or_path(path))
    }

    /// Parses and validates a configuration; relative paths resolve against `base_dir`.
    pub fn from_toml_str(text: &str, base_dir: impl AsRef<Path>) -> Result<StorageConfig> {
        let f: File = toml::from_str(text).map_err(|e| {
            let mut err = Error::new(
                ErrorKind::InvalidInput,
                format!("invalid storage configuration: {}", e.message()),
            );
            if let Some(span) = e.span() {
                let before = text.get(..span.start).unwrap_or(text);
                let line = before.matches('\n').count() as u64 + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
                err = err.at(line, col);
            }
            err
        })?;
        if f.offer.is_empty() {
            return Err(Error::invalid("the configuration declares no [[offer]]"));
        }
        let mut ids = std::collections::BTreeSet::new();
        for o in &f.offer {
            if o.id().is_empty() || !ids.insert(o.id().to_string()) {
                return Err(Error::invalid(format!(
                    "offer id {:?} is empty or declared twice",
                    o.id()
                )));
            }
        }
        let strategy = match f.strategy {
            Some(s) => s,
            None => StrategyConfig {
                offers: f.offer.iter().map(|o| o.id().to_string()).collect(),
                referent: f.offer[0].id().to_string(),
            },
        };
        for id in strategy.offers.iter().chain([&strategy.referent]) {
            if !ids.contains(id) {
                return Err(Error::invalid(format!(
                    "the strategy names offer {id:?}, which is not declared"
                )));
            }
        }
        if !strategy.offers.contains(&strategy.referent) {
            return Err(Error::invalid(format!(
                "the referent {:?} is not one of the strategy's offers",
                strategy.referent
            )));
        }
        Ok(StorageConfig {
            offers: f.offer,
            strategy,
            base_dir: base_dir.as_ref().to_path_buf(),
        })
    }

    /// The configuration of offer `id`.
    pub fn offer_config(&self, id: &str) -> Option<&OfferConfig> {
        self.offers.iter().find(|o| o.id() == id)
    }

    /// Opens offer `id` (creating a filesystem offer's folder when needed).
    pub fn open_offer(&self, id: &str) -> Result<Arc<dyn StorageOffer>> {
        let cfg = self
            .offer_config(id)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("no offer {id:?}")))?;
        match cfg {
            OfferConfig::Filesystem { id, path, fsync } => {
                let root = if path.is_absolute() {
                    path.clone()
                } else {
                    self.base_dir.join(path)
                };
                let o = FilesystemOffer::open(id.clone(), root)?;
                Ok(Arc::new(if *fsync { o } else { o.without_fsync() }))
            }
            OfferConfig::Memory { id } => Ok(Arc::new(MemoryOffer::new(id.clone()))),
            OfferConfig::S3(c) => open_s3(c),
            OfferConfig::Swift(c) => open_swift(c),
        }
    }

    /// Opens every offer of the strategy and builds it.
    pub fn build_strategy(&self) -> Result<Strategy> {
        let offers = self
            .strategy
            .offers
            .iter()
            .map(|id| self.open_offer(id))
            .collect::<Result<Vec<_>>>()?;
        Strategy::new(offers, &self.strategy.referent)
    }
}

#[cfg(feature = "s3")]
fn open_s3(c: &S3Config) -> Result<Arc<dyn StorageOffer>> {
    Ok(Arc::new(super::s3::S3Offer::from_config(c)?))
}

#[cfg(not(feature = "s3"))]
fn open_s3(c: &S3Config) -> Result<Arc<dyn StorageOffer>> {
    Err(Error::new(
        ErrorKind::Unsupported,
        format!(
            "offer {}: kind \"s3\" needs vas-core built with the cargo feature `s3`",
            c.id
        ),
    ))
}

#[cfg(feature = "swift")]
fn open_swift(c: &SwiftConfig) -> Result<Arc<dyn StorageOffer>> {
    Ok(Arc::new(super::swift::SwiftOffer::from_config(c)?))
}

#[cfg(not(feature = "swift"))]
fn open_swift(c: &SwiftConfig) -> Result<Arc<dyn StorageOffer>> {
    Err(Error::new(
        ErrorKind::Unsupported,
        format!(
            "offer {}: kind \"swift\" needs vas-core built with the cargo feature `swift`",
            c.id
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[offer]]
id = "fs-1"
kind = "filesystem"
path = "offers/fs-1"          # relative to the file's folder
[[offer]]
id = "s3-1"
kind = "s3"
endpoint = "http://127.0.0.1:8333"
bucket = "vas"
region = "us-east-1"
access_key_env = "VAS_S3_ACCESS_KEY"
secret_key_env = "VAS_S3_SECRET_KEY"
[[offer]]
id = "sw"
kind = "swift"
auth_url = "http://keystone/v3"
user_env = "U"
key_env = "K"
container = "c"
[strategy]
offers = ["fs-1", "s3-1"]
referent = "fs-1"
"#;

    #[test]
    fn parses_the_issue_sample() {
        let c = StorageConfig::from_toml_str(SAMPLE, "/base").unwrap();
        assert_eq!(c.offers.len(), 3);
        assert_eq!(
            c.offers[0],
            OfferConfig::Filesystem {
                id: "fs-1".into(),
                path: "offers/fs-1".into(),
                fsync: true
            }
        );
        let OfferConfig::S3(s3) = &c.offers[1] else {
            panic!("not s3")
        };
        assert_eq!((s3.bucket.as_str(), s3.path_style), ("vas", true));
        assert_eq!(c.strategy.referent, "fs-1");
        let e = c.open_offer("sw").unwrap_err();
        // Without the feature: unsupported; with it, a v3 URL needs `auth_version = 3`.
        let want = if cfg!(feature = "swift") {
            ErrorKind::InvalidInput
        } else {
            ErrorKind::Unsupported
        };
        assert_eq!(e.kind(), want, "{e}");
    }

    #[test]
    fn refuses_bad_configs() {
        for (bad, why) in [
            ("", "no offer"),
            ("[[offer]]\nid='a'\nkind='tape'\n", "unknown kind"),
            (
                "[[offer]]\nid='a'\nkind='memory'\ncolour='x'\n",
                "unknown field",
            ),
            (
                "[[offer]]\nid='a'\nkind='memory'\n[[offer]]\nid='a'\nkind='memory'\n",
                "dup",
            ),
            (
                "[[offer]]\nid='a'\nkind='memory'\n[strategy]\noffers=['a']\nreferent='b'\n",
                "ref",
            ),
            (
                "[[offer]]\nid='a'\nkind='memory'\n[strategy]\noffers=['a','z']\nreferent='a'\n",
                "z",
            ),
            ("[[offer]\n", "syntax"),
        ] {
            let e = StorageConfig::from_toml_str(bad, ".").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{why}: {e}");
        }
        let e = StorageConfig::from_toml_str("[[offer]]\nid='a'\nkind='tape'\n", ".").unwrap_err();
        assert_eq!(e.context().line, Some(3));
    }
}
