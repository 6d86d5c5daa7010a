//! # vas-core
//!
//! Embeddable electronic archiving with the semantics of Vitam, the French State's
//! archiving software: the SEDA 2.1/2.2/2.3 exchange standard, submission packages
//! (SIPs), schema and profile validation, format identification, retention and access
//! rules, storage offers, and the archive itself.
//!
//! Every fallible function returns [`Result`], whose [`Error`] carries a flat
//! [`ErrorKind`] shared with the Python, Node and C bindings.
//!
//! Modules, from the bottom up (arrows point downwards only):
//! - [`error`]: the one error type;
//! - [`api`]: one-call entry points shared by the CLI and the bindings;
//! - [`digest`]: digest algorithms and streaming hashers;
//! - [`xml`]: helpers over quick-xml (positions, raw-node capture, escaping);
//! - [`seda`]: the typed SEDA model, read/write, identifiers and the unit DAG;
//! - [`schema`]: XSD 1.0 and RelaxNG validation with the bundled official schemas;
//! - [`format`](mod@format): PRONOM format identification from DROID signature files;
//! - [`sip`]: submission packages: safe reading, streaming writing, building;
//! - [`referential`]: Vitam's referentials (rules, agencies, contracts …);
//! - [`rules`]: end dates, inheritance, communicability, elimination;
//! - [`ingest`]: Vitam's ingest workflow: statuses, outcome codes, the report;
//! - [`storage`]: storage offers, strategies, audit and repair;
//! - [`ids`]: sortable typed system identifiers from injectable clock and randomness;
//! - [`logbook`]: operation and lifecycle logbooks, hash-chained, verified and secured;
//! - [`catalog`]: the SQLite metadata index, Vitam's query DSL and access-contract filters;
//! - [`archive`]: the embedded archive: ingest into offers, catalog and logbooks, access, DIP, verify, audit, rebuild.
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod api;
pub mod archive;
mod blob;
pub mod catalog;
pub mod digest;
pub mod error;
pub mod format;
pub mod ids;
pub mod ingest;
mod io_util;
pub mod logbook;
pub mod referential;
pub mod rules;
pub mod schema;
pub mod seda;
pub mod sip;
pub mod storage;
#[cfg(test)]
mod testutil;
pub mod xml;

pub use error::{Error, ErrorKind, Result};

/// The version of vas-core.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The examples of the README, compiled as doc tests so that they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
