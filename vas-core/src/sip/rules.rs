//! Vitam's container rules, declared-vs-present files and digest checks.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::codes;
use super::names::{is_valid_manifest_name, is_vitam_safe_component};
use super::reader::{EntryKind, SipReader};
use super::scan::{ManifestSummary, scan_manifest};
use crate::digest::DigestAlgorithm;
use crate::error::{Error, ErrorKind, Result};

/// One broken rule, with Vitam's outcome code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The Vitam outcome code, e.g. `CHECK_SEDA.CONTAINER_FORMAT.FILE.KO`.
    pub code: &'static str,
    /// The error kind this violation maps to.
    pub kind: ErrorKind,
    /// The entry (or `Uri`) concerned, when there is one.
    pub entry: Option<String>,
    /// The manifest identifier concerned (object id), when there is one.
    pub id: Option<String>,
    /// A plain-language message.
    pub message: String,
    /// True for Vitam WARNINGs (the package is still accepted).
    pub warning: bool,
}

impl Violation {
    fn ko(code: &'static str, kind: ErrorKind, entry: Option<&str>, message: String) -> Self {
        Violation {
            code,
            kind,
            entry: entry.map(str::to_string),
            id: None,
            message,
            warning: false,
        }
    }

    /// This violation as an [`Error`].
    pub fn to_error(&self) -> Error {
        let mut e = Error::new(self.kind, self.message.clone()).with_code(self.code);
        if let Some(p) = &self.entry {
            e = e.with_path(p);
        }
        if let Some(id) = &self.id {
            e = e.with_id(id);
        }
        e
    }
}

/// The result of a check: the list of violations (empty when everything holds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerCheck {
    /// Every violation found, KOs and warnings.
    pub violations: Vec<Violation>,
}

impl ContainerCheck {
    /// True when no KO was found (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.violations.iter().all(|v| v.warning)
    }

    /// The KOs only.
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| !v.warning)
    }

    /// `Ok(())`, or the first KO as an error.
    pub fn into_result(self) -> Result<()> {
        match self.errors().next() {
            Some(v) => Err(v.to_error()),
            None => Ok(()),
        }
    }

    /// The distinct codes found, sorted.
    pub fn codes(&self) -> Vec<&'static str> {
        let s: BTreeSet<&'static str> = self.violations.iter().map(|v| v.code).collect();
        s.into_iter().collect()
    }

    fn push(&mut self, v: Violation) {
        self.violations.push(v);
    }

    fn extend(&mut self, other: ContainerCheck) {
        self.violations.extend(other.violations);
    }
}

/// Everything [`SipReader::verify`] found.
#[derive(Debug, Clone)]
pub struct SipReport {
    /// The manifest summary (None when the manifest is missing or not XML).
    pub summary: Option<ManifestSummary>,
    /// Violations of every check.
    pub check: ContainerCheck,
    /// Number of objects whose digest was verified and matched.
    pub digests_ok: usize,
}

fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = std::str::from_utf8(&b[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn usage_of(version: &str) -> Option<&str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"^(PhysicalMaster|BinaryMaster|Dissemination|Thumbnail|TextContent)(_[0-9]+)?$",
        )
        .expect("static regex")
    });
    re.captures(version.trim())
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

/// Vitam's `CHECK_MANIFEST_DATAOBJECT_VERSION`: usages and required fields of objects.
fn check_versions(s: &ManifestSummary) -> ContainerCheck {
    let mut c = ContainerCheck::default();
    let mk = |code, id: &str, msg: String| Violation {
        code,
        kind: ErrorKind::InvalidInput,
        entry: None,
        id: Some(id.to_string()),
        message: msg,
        warning: false,
    };
    for o in &s.objects {
        if let Some(v) = &o.version {
            match usage_of(v) {
                Some("PhysicalMaster") => c.push(mk(
                    codes::BDO_PHYSICALMASTER_KO,
                    &o.id,
                    "a binary object declares the PhysicalMaster usage".into(),
                )),
                Some(_) => {}
                None => c.push(mk(
                    codes::INVALID_DATAOBJECTVERSION_KO,
                    &o.id,
                    format!("invalid usage {v:?}"),
                )),
            }
        }
        if o.uri.as_deref().is_some_and(|u| u.trim().is_empty()) {
            c.push(mk(
                codes::EMPTY_REQUIRED_FIELD_KO,
                &o.id,
                "empty Uri".into(),
            ));
        }
    }
    for p in &s.physical_objects {
        if let Some(v) = &p.version {
            match usage_of(v) {
                Some("BinaryMaster") => c.push(mk(
                    codes::PDO_BINARYMASTER_KO,
                    &p.id,
                    "a physical object declares the BinaryMaster usage".into(),
                )),
                Some(_) => {}
                None => c.push(mk(
                    codes::INVALID_DATAOBJECTVERSION_KO,
                    &p.id,
                    format!("invalid usage {v:?}"),
                )),
            }
        }
        if p.physical_id
            .as_deref()
            .is_some_and(|x| x.trim().is_empty())
        {
            c.push(mk(
                codes::EMPTY_REQUIRED_FIELD_KO,
                &p.id,
                "empty PhysicalId".into(),
            ));
        }
    }
    c
}

impl SipReader {
    /// Checks Vitam's container rules: one manifest at the root with a valid name
    /// (`MANIFEST_FILE_NAME_CHECK.KO`, `CHECK_SEDA.NO_FILE.KO`), no other root file
    /// (`CHECK_SEDA.CONTAINER_FORMAT.FILE.KO`), `Content` as the only root folder, any case
    /// (`CHECK_SEDA.CONTAINER_FORMAT.DIRECTORY.KO`), and file names Vitam's workspace
    /// accepts (`STP_UPLOAD_SIP.KO`).
    pub fn check_container(&self) -> ContainerCheck {
        let mut c = ContainerCheck::default();
        let root_files: Vec<&str> = self
            .files()
            .filter(|e| e.is_root())
            .map(|e| e.name.as_str())
            .collect();
        let manifest = self.manifest_name();
        if root_files.is_empty() {
            c.push(Violation::ko(
                codes::CHECK_SEDA_NO_FILE_KO,
                ErrorKind::NotFound,
                None,
                "no manifest at the root of the package".into(),
            ));
        } else {
            let m = manifest.unwrap_or(root_files[0]);
            if !is_valid_manifest_name(m) {
                c.push(Violation::ko(
                    codes::MANIFEST_FILE_NAME_CHECK_KO,
                    ErrorKind::InvalidInput,
                    Some(m),
                    format!("manifest name {m:?} does not match Vitam's rule"),
                ));
            }
            for f in root_files.iter().filter(|f| **f != m) {
                c.push(Violation::ko(
                    codes::CHECK_SEDA_CONTAINER_FORMAT_FILE_KO,
                    ErrorKind::InvalidInput,
                    Some(f),
                    "more than one file at the root of the package".into(),
                ));
            }
        }
        let mut root_dirs: BTreeSet<&str> = BTreeSet::new();
        for e in self.entries() {
            match e.name.split_once('/') {
                Some((d, _)) => {
                    root_dirs.insert(d);
                }
                None if e.kind == EntryKind::Directory => {
                    root_dirs.insert(&e.name);
                }
                None => {}
            }
        }
        for d in &root_dirs {
            if !d.eq_ignore_ascii_case("content") {
                c.push(Violation::ko(
                    codes::CHECK_SEDA_CONTAINER_FORMAT_DIRECTORY_KO,
                    ErrorKind::InvalidInput,
                    Some(d),
                    format!("root folder {d:?} is not Content"),
                ));
            }
        }
        if root_dirs
            .iter()
            .filter(|d| d.eq_ignore_ascii_case("content"))
            .count()
            > 1
        {
            c.push(Violation::ko(
                codes::CHECK_SEDA_CONTAINER_FORMAT_DIRECTORY_KO,
                ErrorKind::InvalidInput,
                None,
                "more than one Content folder (different cases)".into(),
            ));
        }
        for e in self.files() {
            if let Some(bad) = e.name.split('/').find(|p| !is_vitam_safe_component(p)) {
                c.push(Violation::ko(
                    codes::STP_UPLOAD_SIP_KO,
                    ErrorKind::InvalidInput,
                    Some(&e.name),
                    format!("file name component {bad:?} has a character Vitam does not allow"),
                ));
            }
        }
        c
    }

    /// Compares the `Uri`s declared by the manifest with the files present: a `Uri` with
    /// no file, or used twice, gives `INVALID_URI.KO`; a file no `Uri` declares gives
    /// `MANIFEST_INFERIOR_BDO.KO`; more `Uri`s than files gives `MANIFEST_SUPERIOR_BDO.KO`.
    ///
    /// ```
    /// use vas_core::sip::{Limits, SipReader};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("manifest.xml"), b"<a/>").unwrap();
    /// std::fs::create_dir(dir.path().join("Content")).unwrap();
    /// std::fs::write(dir.path().join("Content/a.txt"), b"abc").unwrap();
    /// std::fs::write(dir.path().join("Content/extra.txt"), b"abc").unwrap();
    /// let r = SipReader::open(dir.path(), Limits::default()).unwrap();
    /// let c = r.check_uris(["Content/a.txt", "Content/missing.txt"]);
    /// assert_eq!(c.codes(), vec![
    ///     "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.INVALID_URI.KO",
    ///     "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_OBJECTNUMBER.MANIFEST_INFERIOR_BDO.KO",
    /// ]);
    /// ```
    pub fn check_uris<'a>(&self, uris: impl IntoIterator<Item = &'a str>) -> ContainerCheck {
        let mut c = ContainerCheck::default();
        let manifest = self.manifest_name().map(str::to_string);
        // Files in the package's folders (extra root files are CONTAINER_FORMAT.FILE).
        let present: BTreeSet<&str> = self
            .files()
            .filter(|e| !e.is_root())
            .map(|e| e.name.as_str())
            .filter(|n| Some(*n) != manifest.as_deref())
            .collect();
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut declared = 0usize;
        for uri in uris {
            declared += 1;
            let norm = uri.trim_start_matches("./");
            let resolved = if present.contains(norm) {
                Some(norm.to_string())
            } else {
                percent_decode(norm).filter(|d| present.contains(d.as_str()))
            };
            match resolved {
                None => c.push(Violation::ko(
                    codes::INVALID_URI_KO,
                    ErrorKind::NotFound,
                    Some(uri),
                    "no file in the package for this Uri".into(),
                )),
                Some(r) => {
                    if !used.insert(r) {
                        c.push(Violation::ko(
                            codes::INVALID_URI_KO,
                            ErrorKind::InvalidInput,
                            Some(uri),
                            "Uri used by more than one object".into(),
                        ));
                    }
                }
            }
        }
        for f in &present {
            if !used.contains(*f) {
                c.push(Violation::ko(
                    codes::MANIFEST_INFERIOR_BDO_KO,
                    ErrorKind::InvalidInput,
                    Some(f),
                    "file not declared by the manifest (superfluous)".into(),
                ));
            }
        }
        if declared > present.len() {
            c.push(Violation::ko(
                codes::MANIFEST_SUPERIOR_BDO_KO,
                ErrorKind::InvalidInput,
                None,
                format!(
                    "the manifest declares {declared} binary objects for {} files",
                    present.len()
                ),
            ));
        }
        c
    }

    /// Runs every package-level check: container rules, manifest scan (well-formed XML,
    /// supported SEDA version), object usages and required fields
    /// (`CHECK_MANIFEST_DATAOBJECT_VERSION`), declared vs present files, and each declared digest and
    /// size against the file (`CHECK_DIGEST.INVALID.KO`, `CHECK_DIGEST.EMPTY.KO`,
    /// `INVALIDE_ALGO.KO`, `CHECK_OBJECT_SIZE.WARNING`). Files are hashed in one pass per
    /// algorithm used.
    ///
    /// Schema validation is not part of this check (see the `schema` module).
    pub fn verify(&mut self) -> Result<SipReport> {
        let mut check = self.check_container();
        let mut report = SipReport {
            summary: None,
            check: ContainerCheck::default(),
            digests_ok: 0,
        };
        if self.manifest_name().is_none() {
            report.check = check;
            return Ok(report);
        }
        let bytes = self.manifest_bytes()?;
        let summary = match scan_manifest(&bytes) {
            Ok(s) => s,
            Err(e) => {
                check.push(Violation::ko(
                    codes::NOT_XML_FILE_KO,
                    ErrorKind::Xml,
                    self.manifest_name(),
                    e.to_string(),
                ));
                report.check = check;
                return Ok(report);
            }
        };
        if let Err(e) = summary.check_version() {
            check.push(Violation::ko(
                codes::UNSUPPORTED_SEDA_VERSION_KO,
                ErrorKind::Unsupported,
                self.manifest_name(),
                e.message().to_string(),
            ));
        }
        check.extend(check_versions(&summary));
        check.extend(self.check_uris(summary.objects.iter().filter_map(|o| o.uri.as_deref())));

        // Digests, grouped by algorithm.
        let mut by_alg: BTreeMap<DigestAlgorithm, Vec<usize>> = BTreeMap::new();
        for (i, o) in summary.objects.iter().enumerate() {
            let Some(uri) = &o.uri else { continue };
            let mk = |code, kind, msg: &str| Violation {
                code,
                kind,
                entry: Some(uri.clone()),
                id: Some(o.id.clone()),
                message: msg.to_string(),
                warning: false,
            };
            match (&o.digest, &o.algorithm) {
                (None, _) => check.push(mk(
                    codes::CHECK_DIGEST_EMPTY_KO,
                    ErrorKind::Integrity,
                    "object declares no digest",
                )),
                (Some(d), _) if d.is_empty() => check.push(mk(
                    codes::CHECK_DIGEST_EMPTY_KO,
                    ErrorKind::Integrity,
                    "object declares an empty digest",
                )),
                // Vitam wants the exact SEDA spelling (`SHA-512`, not `sha512`).
                (Some(_), alg) => match DigestAlgorithm::ALL
                    .iter()
                    .find(|a| Some(a.seda_name()) == alg.as_deref())
                {
                    Some(a) => by_alg.entry(*a).or_default().push(i),
                    None => check.push(mk(
                        codes::INVALIDE_ALGO_KO,
                        ErrorKind::InvalidInput,
                        &format!(
                            "unknown digest algorithm {:?}",
                            alg.as_deref().unwrap_or("")
                        ),
                    )),
                },
            }
        }
        for (alg, idxs) in by_alg {
            let digests = self.hash_all(alg)?;
            let map: HashMap<&str, (&str, u64)> = digests
                .iter()
                .map(|d| (d.name.as_str(), (d.digest.as_str(), d.size)))
                .collect();
            for i in idxs {
                let o = &summary.objects[i];
                let uri = o.uri.as_deref().unwrap_or("");
                let norm = uri.trim_start_matches("./");
                let found = map
                    .get(norm)
                    .or_else(|| percent_decode(norm).and_then(|d| map.get(d.as_str())));
                let Some((digest, size)) = found else {
                    continue; // already reported as INVALID_URI
                };
                let declared = o
                    .digest
                    .as_deref()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if declared != *digest {
                    check.push(Violation {
                        code: codes::CHECK_DIGEST_INVALID_KO,
                        kind: ErrorKind::Integrity,
                        entry: Some(uri.to_string()),
                        id: Some(o.id.clone()),
                        message: format!(
                            "{} digest mismatch: declared {declared}, computed {digest}",
                            alg.seda_name()
                        ),
                        warning: false,
                    });
                } else {
                    report.digests_ok += 1;
                }
                if let Some(ds) = o.size
                    && ds != *size
                {
                    check.push(Violation {
                        code: codes::CHECK_OBJECT_SIZE_WARNING,
                        kind: ErrorKind::Integrity,
                        entry: Some(uri.to_string()),
                        id: Some(o.id.clone()),
                        message: format!("declared size {ds}, actual size {size}"),
                        warning: true,
                    });
                }
            }
        }
        report.summary = Some(summary);
        report.check = check;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("ab"), None);
        assert_eq!(percent_decode("a%2"), Some("a%2".to_string()));
        assert_eq!(percent_decode("a%zz"), None);
    }
}
