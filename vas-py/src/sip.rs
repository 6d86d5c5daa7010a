//! SIP building (`SipBuilder`, `Unit` handles, folder and CSV import) and inspection
//! (`inspect_sip`): thin wrappers over `vas_core::sip`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    self as core_sip, BuildOptions, Compression, CsvEncoding, CsvOptions, FolderImportOptions,
    Limits, ObjectInput, PackageFormat, UnitData, UnitId, WriterOptions,
};
use vas_core::{Error, ErrorKind};

use crate::args;
use crate::errors::{IntoPyResult, python_cause, to_pyerr};
use crate::progress::PyProgress;

fn seda_version(py: Python<'_>, v: &str) -> PyResult<SedaVersion> {
    v.trim_start_matches('v').parse::<SedaVersion>().py_err(py)
}

/// The header fields, in the order of the keyword arguments.
const HEADER: [&str; 9] = [
    "archival_agency",
    "transferring_agency",
    "archival_agreement",
    "comment",
    "message_identifier",
    "date",
    "originating_agency",
    "submission_agency",
    "archival_profile",
];

/// Builds a SIP: a header, a DAG of archive units (`Unit` handles) with metadata, rules
/// and objects (files, bytes or binary file objects), written as a zip, tar or tar.gz
/// whose manifest carries every digest and size.
///
/// A builder is written once: `write()` / `to_bytes()` consume it (objects from file
/// objects are read then), and any later call raises `ConflictError`.
#[pyclass(module = "vas", frozen)]
pub struct SipBuilder {
    inner: Mutex<Option<core_sip::SipBuilder>>,
    version: &'static str,
}

fn spent() -> Error {
    Error::new(
        ErrorKind::Conflict,
        "this SipBuilder was already written (a builder is written once): create a new one",
    )
}

impl SipBuilder {
    fn lock(&self) -> MutexGuard<'_, Option<core_sip::SipBuilder>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the builder, mapping its error.
    fn with<R>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut core_sip::SipBuilder) -> Result<R, Error>,
    ) -> PyResult<R> {
        let mut g = self.lock();
        let b = g.as_mut().ok_or_else(spent).py_err(py)?;
        f(b).py_err(py)
    }

    fn take(&self, py: Python<'_>) -> PyResult<core_sip::SipBuilder> {
        self.lock().take().ok_or_else(spent).py_err(py)
    }

    fn set_header_fields(&self, py: Python<'_>, kw: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let Some(kw) = kw else { return Ok(()) };
        let mut values = Vec::new();
        for (k, v) in kw.iter() {
            let key: String = k.extract()?;
            if !HEADER.contains(&key.as_str()) {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "unknown header field {key:?} (expected one of {})",
                    HEADER.join(", ")
                )));
            }
            if v.is_none() {
                continue;
            }
            let text = if key == "date" {
                args::date_text(&v)?
            } else {
                v.extract::<String>()?
            };
            values.push((key, text));
        }
        self.with(py, |b| {
            for (k, v) in &values {
                match k.as_str() {
                    "archival_agency" => b.archival_agency(v),
                    "transferring_agency" => b.transferring_agency(v),
                    "archival_agreement" => b.archival_agreement(v),
                    "comment" => b.comment(v),
                    "message_identifier" => b.message_identifier(v),
                    "date" => b.date(v),
                    "originating_agency" => b.originating_agency(v),
                    "submission_agency" => b.submission_agency(v),
                    _ => b.archival_profile(v),
                };
            }
            Ok(())
        })
    }
}

/// Options of a build, from the keyword arguments of `write()` / `to_bytes()`.
#[allow(clippy::too_many_arguments)]
fn build_options(
    py: Python<'_>,
    format: Option<&str>,
    default_format: PackageFormat,
    digest_algorithm: &str,
    compression: &str,
    compression_level: u32,
    deterministic: bool,
    manifest_last: bool,
    identify_formats: bool,
    manifest_name: &str,
    mtime: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(BuildOptions, Option<Arc<PyProgress>>)> {
    let format = match format {
        None => default_format,
        Some("zip") => PackageFormat::Zip,
        Some("tar") => PackageFormat::Tar,
        Some("tar.gz" | "tgz") => PackageFormat::TarGz,
        Some(f) => {
            return Err(to_pyerr(
                py,
                Error::invalid(format!("unknown format {f:?}: zip, tar, tar.gz")),
            ));
        }
    };
    let compression = match compression {
        "deflate" | "deflated" => {
            if compression_level > 9 {
                return Err(to_pyerr(
                    py,
                    Error::invalid(format!("compression level {compression_level}: use 0 to 9")),
                ));
            }
            Compression::Deflated(compression_level)
        }
        "stored" => Compression::Stored,
        c => {
            return Err(to_pyerr(
                py,
                Error::invalid(format!("unknown compression {c:?}: deflate, stored")),
            ));
        }
    };
    let mut writer = WriterOptions::new(format)
        .algorithm(args::algorithm(py, digest_algorithm)?)
        .compression(compression)
        .deterministic(deterministic);
    if let Some(t) = mtime {
        writer = writer.mtime(t);
    }
    let mut opts = BuildOptions::new(writer);
    opts.manifest_last = manifest_last;
    opts.manifest_name = manifest_name.to_string();
    if identify_formats {
        opts.identify = Some(core_sip::bundled_format_identifier().py_err(py)?);
    }
    let hook = PyProgress::new(progress);
    if let Some(h) = &hook {
        let h2 = Arc::clone(h);
        opts.progress = Some(Arc::new(move |p: core_sip::Progress| {
            h2.call(&[u64::from(p.phase), p.done, p.total]);
        }));
        opts.cancel = Some(Arc::clone(&h.cancel));
    }
    Ok((opts, hook))
}

/// Maps a build error: the exception a Python file object raised, if it caused it.
fn build_err(py: Python<'_>, e: Error) -> PyErr {
    python_cause(py, &e).unwrap_or_else(|| to_pyerr(py, e))
}

#[pymethods]
impl SipBuilder {
    #[new]
    #[pyo3(signature = (seda_version = "2.3", **header))]
    fn new(
        py: Python<'_>,
        seda_version: &str,
        header: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let v = self::seda_version(py, seda_version)?;
        let b = SipBuilder {
            inner: Mutex::new(Some(core_sip::SipBuilder::new(v))),
            version: v.as_str(),
        };
        b.set_header_fields(py, header)?;
        Ok(b)
    }

    /// Sets header fields by keyword (`archival_agency`, `transferring_agency`,
    /// `archival_agreement`, `comment`, `message_identifier`, `date`, `originating_agency`,
    /// `submission_agency`, `archival_profile`); `None` leaves a field unchanged. Returns
    /// the builder.
    #[pyo3(signature = (**fields))]
    fn set_header<'py>(
        slf: Bound<'py, Self>,
        fields: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, Self>> {
        slf.get().set_header_fields(slf.py(), fields)?;
        Ok(slf)
    }

    /// The SEDA version written (`"2.1"`, `"2.2"` or `"2.3"`).
    #[getter]
    fn seda_version(&self) -> &'static str {
        self.version
    }

    /// Number of units.
    #[getter]
    fn unit_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, |b| Ok(b.unit_count()))
    }

    /// Number of binary objects.
    #[getter]
    fn object_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, |b| Ok(b.object_count()))
    }

    /// Adds a unit under `parent` (a `Unit`, or `None` for a top-level unit) and returns
    /// its handle. Its manifest id is `id`, or `AU<n>`.
    #[pyo3(signature = (title, parent = None, *, id = None, description_level = None, description = None, start_date = None, end_date = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_unit(
        slf: &Bound<'_, Self>,
        title: &str,
        parent: Option<&Bound<'_, Unit>>,
        id: Option<&str>,
        description_level: Option<String>,
        description: Option<String>,
        start_date: Option<&Bound<'_, PyAny>>,
        end_date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Unit> {
        let py = slf.py();
        let parent = parent.map(|p| p.get().of(slf)).transpose()?;
        let start = args::opt_date_text(start_date)?;
        let end = args::opt_date_text(end_date)?;
        let (uid, xml_id) = slf.get().with(py, |b| {
            let u = match id {
                Some(id) => b.add_unit_with_id(parent, id, title)?,
                None => b.add_unit(parent, title)?,
            };
            let d = b.unit_mut(u)?;
            d.description_level = description_level;
            d.description = description;
            d.start_date = start;
            d.end_date = end;
            Ok((u, d.xml_id().to_string()))
        })?;
        Ok(Unit {
            builder: slf.clone().unbind(),
            id: uid,
            xml_id,
        })
    }

    /// The unit whose manifest id is `id`; `NotFoundError` when there is none.
    fn unit(slf: &Bound<'_, Self>, id: &str) -> PyResult<Unit> {
        let uid = slf.get().with(slf.py(), |b| {
            b.unit_by_id(id).ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("no unit {id:?} in this builder"),
                )
                .with_id(id)
            })
        })?;
        Ok(Unit {
            builder: slf.clone().unbind(),
            id: uid,
            xml_id: id.to_string(),
        })
    }

    /// Imports a folder with ReSIP's conventions (folders become `RecordGrp` units, files
    /// `Item` units with a `BinaryMaster_1` object, `__USAGE_N__name` files and `##name##`
    /// folders objects of the enclosing unit, `__ArchiveUnitMetadata.xml` sidecars the
    /// unit's metadata) under `parent` or at the top.
    #[pyo3(signature = (folder, parent = None, *, include_hidden = false, max_depth = 256, links_as_references = true))]
    fn import_folder(
        slf: &Bound<'_, Self>,
        folder: &Bound<'_, PyAny>,
        parent: Option<&Bound<'_, Unit>>,
        include_hidden: bool,
        max_depth: usize,
        links_as_references: bool,
    ) -> PyResult<FolderImport> {
        let py = slf.py();
        let dir = args::path(folder)?;
        let parent = parent.map(|p| p.get().of(slf)).transpose()?;
        let opts = FolderImportOptions {
            skip_hidden: !include_hidden,
            max_depth,
            links_as_references,
        };
        let me = slf.get();
        let imp = py
            .detach(|| {
                let mut g = me.lock();
                let b = g.as_mut().ok_or_else(spent)?;
                b.import_folder(&dir, parent, &opts)
            })
            .py_err(py)?;
        FolderImport::new(slf, imp.units, imp.objects)
    }

    /// Builds units from a ReSIP CSV (a path, or its bytes) with `ID` and `ParentID`
    /// columns; `File`/`ObjectFiles` name object files relative to `base`. Returns the
    /// units by CSV identifier.
    #[pyo3(signature = (csv, base, *, separator = ';', encoding = "utf-8"))]
    fn import_csv(
        slf: &Bound<'_, Self>,
        csv: &Bound<'_, PyAny>,
        base: &Bound<'_, PyAny>,
        separator: char,
        encoding: &str,
    ) -> PyResult<BTreeMap<String, Unit>> {
        let py = slf.py();
        let (bytes, path) = csv_bytes(py, csv)?;
        let base = args::path(base)?;
        let opts = csv_options(py, separator, encoding)?;
        let me = slf.get();
        let units = py
            .detach(|| {
                let mut g = me.lock();
                let b = g.as_mut().ok_or_else(spent)?;
                b.import_csv(&bytes[..], &base, &opts)
                    .map_err(|e| match &path {
                        Some(p) => e.or_path(p),
                        None => e,
                    })
            })
            .py_err(py)?;
        units
            .into_iter()
            .map(|(k, u)| Ok((k, Unit::from_id(slf, u)?)))
            .collect()
    }

    /// Applies a ReSIP metadata CSV (a path, or its bytes) to the units of a folder
    /// import, matching rows by their `File` column. Returns the number of rows applied.
    #[pyo3(signature = (csv, imported, *, separator = ';', encoding = "utf-8"))]
    fn apply_csv(
        slf: &Bound<'_, Self>,
        csv: &Bound<'_, PyAny>,
        imported: &Bound<'_, FolderImport>,
        separator: char,
        encoding: &str,
    ) -> PyResult<usize> {
        let py = slf.py();
        let (bytes, path) = csv_bytes(py, csv)?;
        let opts = csv_options(py, separator, encoding)?;
        let imp = imported.get();
        if !imp.builder.bind(py).is(slf) {
            return Err(to_pyerr(
                py,
                Error::invalid("this folder import belongs to another SipBuilder"),
            ));
        }
        let core_imp = core_sip::FolderImport {
            units: imp.ids.clone(),
            objects: imp.objects,
        };
        let me = slf.get();
        py.detach(|| {
            let mut g = me.lock();
            let b = g.as_mut().ok_or_else(spent)?;
            b.apply_csv(&bytes[..], &core_imp, &opts)
                .map_err(|e| match &path {
                    Some(p) => e.or_path(p),
                    None => e,
                })
        })
        .py_err(py)
    }

    /// The units' metadata as a ReSIP CSV (`ID;ParentID;File;ObjectFiles;…`), object
    /// files relative to `base`; the reverse of `import_csv`.
    #[pyo3(signature = (base, *, separator = ';', encoding = "utf-8"))]
    fn export_csv<'py>(
        &self,
        py: Python<'py>,
        base: &Bound<'py, PyAny>,
        separator: char,
        encoding: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let base = args::path(base)?;
        let opts = csv_options(py, separator, encoding)?;
        let mut out = Vec::new();
        self.with(py, |b| b.export_csv(&mut out, &base, &opts))?;
        Ok(PyBytes::new(py, &out))
    }

    /// Writes the package to `path` (which must not exist) and returns the `BuildReport`.
    /// The format follows the extension (`.zip`, `.tar`, `.tar.gz`/`.tgz`) unless given.
    /// Objects are hashed, the manifest written first (or last with `manifest_last`),
    /// then the objects streamed and hashed again; formats are identified with the
    /// bundled PRONOM signatures unless `identify_formats=False`. `progress`, if given, is
    /// called with `(phase, done, total)` (phase 0 hashing, 1 writing); an exception it raises
    /// cancels the build (no file is left) and propagates. The GIL is released while
    /// building. Consumes the builder.
    #[pyo3(signature = (path, *, format = None, digest_algorithm = "SHA-512", compression = "deflate", compression_level = 6, deterministic = false, manifest_last = false, identify_formats = true, manifest_name = "manifest.xml", mtime = None, progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        format: Option<&str>,
        digest_algorithm: &str,
        compression: &str,
        compression_level: u32,
        deterministic: bool,
        manifest_last: bool,
        identify_formats: bool,
        manifest_name: &str,
        mtime: Option<i64>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<BuildReport> {
        let path = args::path(path)?;
        let default = PackageFormat::from_file_name(&path.to_string_lossy());
        let (opts, hook) = build_options(
            py,
            format,
            default,
            digest_algorithm,
            compression,
            compression_level,
            deterministic,
            manifest_last,
            identify_formats,
            manifest_name,
            mtime,
            progress,
        )?;
        let b = self.take(py)?;
        let report = py
            .detach(|| b.write_to_file(&path, opts))
            .map_err(|e| PyProgress::raised(hook.as_ref()).unwrap_or_else(|| build_err(py, e)))?;
        BuildReport::new(py, report, Some(path))
    }

    /// Builds the package in memory and returns its bytes (same options as `write()`,
    /// zip unless `format` says otherwise). Consumes the builder.
    #[pyo3(signature = (*, format = None, digest_algorithm = "SHA-512", compression = "deflate", compression_level = 6, deterministic = false, manifest_last = false, identify_formats = true, manifest_name = "manifest.xml", mtime = None, progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        format: Option<&str>,
        digest_algorithm: &str,
        compression: &str,
        compression_level: u32,
        deterministic: bool,
        manifest_last: bool,
        identify_formats: bool,
        manifest_name: &str,
        mtime: Option<i64>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let (opts, hook) = build_options(
            py,
            format,
            PackageFormat::Zip,
            digest_algorithm,
            compression,
            compression_level,
            deterministic,
            manifest_last,
            identify_formats,
            manifest_name,
            mtime,
            progress,
        )?;
        let b = self.take(py)?;
        let (cursor, _) = py
            .detach(|| b.write(std::io::Cursor::new(Vec::new()), opts))
            .map_err(|e| PyProgress::raised(hook.as_ref()).unwrap_or_else(|| build_err(py, e)))?;
        Ok(PyBytes::new(py, &cursor.into_inner()))
    }

    fn __repr__(&self) -> String {
        match self.lock().as_ref() {
            Some(b) => format!(
                "<vas.SipBuilder SEDA {} units={} objects={}>",
                self.version,
                b.unit_count(),
                b.object_count()
            ),
            None => format!("<vas.SipBuilder SEDA {} (written)>", self.version),
        }
    }
}

fn csv_options(py: Python<'_>, separator: char, encoding: &str) -> PyResult<CsvOptions> {
    Ok(CsvOptions {
        separator,
        encoding: CsvEncoding::from_name(encoding).py_err(py)?,
    })
}

/// A CSV argument: a path (read here) or bytes.
fn csv_bytes(py: Python<'_>, csv: &Bound<'_, PyAny>) -> PyResult<(Vec<u8>, Option<PathBuf>)> {
    if args::is_path(csv) {
        let p = args::path(csv)?;
        let bytes = py
            .detach(|| std::fs::read(&p).map_err(|e| Error::from(e).with_path(&p)))
            .py_err(py)?;
        Ok((bytes, Some(p)))
    } else {
        Ok((args::bytes(csv)?.into_owned(), None))
    }
}

/// A handle on one unit of a `SipBuilder`: its metadata (read and write properties),
/// rules, fields, child units and objects.
#[pyclass(module = "vas", frozen)]
pub struct Unit {
    builder: Py<SipBuilder>,
    id: UnitId,
    xml_id: String,
}

impl Unit {
    fn from_id(b: &Bound<'_, SipBuilder>, id: UnitId) -> PyResult<Unit> {
        let xml_id = b
            .get()
            .with(b.py(), |bb| Ok(bb.unit_mut(id)?.xml_id().to_string()))?;
        Ok(Unit {
            builder: b.clone().unbind(),
            id,
            xml_id,
        })
    }

    /// This unit's id, checked to belong to `b`.
    fn of(&self, b: &Bound<'_, SipBuilder>) -> PyResult<UnitId> {
        if !self.builder.bind(b.py()).is(b) {
            return Err(to_pyerr(
                b.py(),
                Error::invalid(format!(
                    "unit {} belongs to another SipBuilder",
                    self.xml_id
                ))
                .with_id(&self.xml_id),
            ));
        }
        Ok(self.id)
    }

    fn data<R>(&self, py: Python<'_>, f: impl FnOnce(&mut UnitData) -> R) -> PyResult<R> {
        let id = self.id;
        self.builder
            .bind(py)
            .get()
            .with(py, |b| Ok(f(b.unit_mut(id)?)))
    }
}

#[pymethods]
impl Unit {
    /// The unit's id in the manifest (`AU1` …).
    #[getter]
    fn id(&self) -> &str {
        &self.xml_id
    }

    /// The builder this unit belongs to.
    #[getter]
    fn builder(&self, py: Python<'_>) -> Py<SipBuilder> {
        self.builder.clone_ref(py)
    }

    /// `Content/Title`.
    #[getter]
    fn get_title(&self, py: Python<'_>) -> PyResult<String> {
        self.data(py, |d| d.title.clone())
    }

    #[setter]
    fn set_title(&self, py: Python<'_>, v: String) -> PyResult<()> {
        if v.trim().is_empty() {
            return Err(to_pyerr(
                py,
                Error::invalid("a unit needs a non-empty title").with_id(&self.xml_id),
            ));
        }
        self.data(py, |d| d.title = v)
    }

    /// `Content/DescriptionLevel` (`Item`, `File`, `RecordGrp` …).
    #[getter]
    fn get_description_level(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.data(py, |d| d.description_level.clone())
    }

    #[setter]
    fn set_description_level(&self, py: Python<'_>, v: Option<String>) -> PyResult<()> {
        self.data(py, |d| d.description_level = v)
    }

    /// `Content/Description`.
    #[getter]
    fn get_description(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.data(py, |d| d.description.clone())
    }

    #[setter]
    fn set_description(&self, py: Python<'_>, v: Option<String>) -> PyResult<()> {
        self.data(py, |d| d.description = v)
    }

    /// `Content/StartDate`: set a `datetime.date` (or an ISO `str`); read back as a
    /// `datetime.date` (a `str` when it is not a plain date).
    #[getter]
    fn get_start_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.data(py, |d| d.start_date.clone())?;
        args::date_out(py, v.as_deref())
    }

    #[setter]
    fn set_start_date(&self, py: Python<'_>, v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let v = args::opt_date_text(v)?;
        self.data(py, |d| d.start_date = v)
    }

    /// `Content/EndDate` (as `start_date`).
    #[getter]
    fn get_end_date<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.data(py, |d| d.end_date.clone())?;
        args::date_out(py, v.as_deref())
    }

    #[setter]
    fn set_end_date(&self, py: Python<'_>, v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let v = args::opt_date_text(v)?;
        self.data(py, |d| d.end_date = v)
    }

    /// A raw XML sidecar (ReSIP `__ArchiveUnitMetadata.xml`): `ArchiveUnitProfile`,
    /// `Management` and `Content` elements, or a whole `ArchiveUnit`.
    #[getter]
    fn get_sidecar_xml(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.data(py, |d| d.sidecar_xml.clone())
    }

    #[setter]
    fn set_sidecar_xml(&self, py: Python<'_>, v: Option<String>) -> PyResult<()> {
        self.data(py, |d| d.sidecar_xml = v)
    }

    /// The management rules: `(category, rule id, start date or None)` tuples.
    #[getter]
    fn rules(&self, py: Python<'_>) -> PyResult<Vec<(String, String, Option<String>)>> {
        self.data(py, |d| d.rules.clone())
    }

    /// The `FinalAction` per rule category: `(category, action)` tuples.
    #[getter]
    fn final_actions(&self, py: Python<'_>) -> PyResult<Vec<(String, String)>> {
        self.data(py, |d| d.final_actions.clone())
    }

    /// The further `Content` fields: `(dotted path, value)` tuples.
    #[getter]
    fn fields(&self, py: Python<'_>) -> PyResult<Vec<(String, String)>> {
        self.data(py, |d| {
            d.content_fields
                .iter()
                .map(|(p, v, _)| (p.clone(), v.clone()))
                .collect()
        })
    }

    /// Adds a management rule, e.g. `add_rule("AccessRule", "ACC-00002",
    /// datetime.date(2020, 1, 1))`. Returns the unit.
    #[pyo3(signature = (category, rule, start_date = None))]
    fn add_rule<'py>(
        slf: Bound<'py, Self>,
        category: &str,
        rule: &str,
        start_date: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let start = args::opt_date_text(start_date)?;
        slf.get().data(slf.py(), |d| {
            d.rule(category, rule, start.as_deref());
        })?;
        Ok(slf)
    }

    /// Sets the `FinalAction` of a category (`StorageRule`: `RestrictAccess`, `Transfer`,
    /// `Copy`; `AppraisalRule`: `Keep`, `Destroy`). Returns the unit.
    fn set_final_action<'py>(
        slf: Bound<'py, Self>,
        category: &str,
        action: &str,
    ) -> PyResult<Bound<'py, Self>> {
        slf.get().data(slf.py(), |d| {
            d.final_action(category, action);
        })?;
        Ok(slf)
    }

    /// Adds a `Content` field by ReSIP dotted path relative to `Content`
    /// (`Keyword.0.KeywordContent`, `Writer.0.FullName`,
    /// `OriginatingAgencyArchiveUnitIdentifier`), with optional raw XML attributes
    /// (`xml:lang="fr"`). Returns the unit.
    #[pyo3(signature = (path, value, attributes = None))]
    fn add_field<'py>(
        slf: Bound<'py, Self>,
        path: &str,
        value: &str,
        attributes: Option<String>,
    ) -> PyResult<Bound<'py, Self>> {
        slf.get().data(slf.py(), |d| {
            d.content_fields
                .push((path.to_string(), value.to_string(), attributes));
        })?;
        Ok(slf)
    }

    /// Adds a `Management` field by dotted path relative to `Management`. Returns the unit.
    fn add_management_field<'py>(
        slf: Bound<'py, Self>,
        path: &str,
        value: &str,
    ) -> PyResult<Bound<'py, Self>> {
        slf.get().data(slf.py(), |d| {
            d.management_fields
                .push((path.to_string(), value.to_string(), None));
        })?;
        Ok(slf)
    }

    /// Adds a child unit (see `SipBuilder.add_unit`).
    #[pyo3(signature = (title, *, id = None, description_level = None, description = None, start_date = None, end_date = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_unit(
        slf: &Bound<'_, Self>,
        title: &str,
        id: Option<&str>,
        description_level: Option<String>,
        description: Option<String>,
        start_date: Option<&Bound<'_, PyAny>>,
        end_date: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Unit> {
        let b = slf.get().builder.bind(slf.py()).clone();
        SipBuilder::add_unit(
            &b,
            title,
            Some(slf),
            id,
            description_level,
            description,
            start_date,
            end_date,
        )
    }

    /// Makes `child` also a child of this unit (the units form a DAG); a cycle raises
    /// `InvalidInputError`.
    fn link(&self, py: Python<'_>, child: &Bound<'_, Unit>) -> PyResult<()> {
        let b = self.builder.bind(py);
        let c = child.get().of(b)?;
        let me = self.id;
        b.get().with(py, |bb| bb.link(me, c))
    }

    /// Adds an object to the unit's object group. `source` is a path (`str` or
    /// `os.PathLike`, streamed), bytes, or a binary file object (read when the package is
    /// written). `filename` (`FileInfo/Filename`) is required for bytes and for file
    /// objects without a `name`. `usage` is `BinaryMaster_1` (default), `Dissemination_1`,
    /// `Thumbnail_1`, `TextContent_1` …; `format_id`/`mime_type`/`format_litteral` declare
    /// the format (otherwise identified when written); `last_modified` is
    /// `FileInfo/LastModified` (a `datetime` or `str`).
    #[pyo3(signature = (source, usage = "BinaryMaster_1", *, filename = None, format_id = None, mime_type = None, format_litteral = None, last_modified = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_object(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        usage: &str,
        filename: Option<String>,
        format_id: Option<String>,
        mime_type: Option<String>,
        format_litteral: Option<String>,
        last_modified: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let need_name = |what: &str| {
            to_pyerr(
                py,
                Error::invalid(format!("an object from {what} needs a filename=")),
            )
        };
        let mut input = if args::is_path(source) {
            let p = args::path(source)?;
            let o = ObjectInput::path(p);
            match &filename {
                Some(n) => o.filename(n),
                None => o,
            }
        } else if args::is_file_object(source) {
            let name = match &filename {
                Some(n) => n.clone(),
                None => source
                    .getattr("name")
                    .ok()
                    .and_then(|n| n.extract::<String>().ok())
                    .and_then(|n| {
                        std::path::Path::new(&n)
                            .file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                    })
                    .ok_or_else(|| need_name("a file object without a name"))?,
            };
            ObjectInput::reader(&name, args::PyReader::new(source))
        } else {
            let data = args::bytes(source)?.into_owned();
            let name = filename.clone().ok_or_else(|| need_name("bytes"))?;
            ObjectInput::bytes(&name, data)
        };
        input = input.usage(usage);
        if format_id.is_some() || mime_type.is_some() {
            input = input.format(format_id.as_deref(), mime_type.as_deref());
        }
        if let Some(f) = &format_litteral {
            input = input.format_litteral(f);
        }
        if let Some(lm) = last_modified {
            let t = args::date_text(lm)?;
            input = input.last_modified(Some(&t));
        }
        let me = self.id;
        self.builder
            .bind(py)
            .get()
            .with(py, |b| b.add_object(me, input))
    }

    /// Adds a physical object (a paper record, a box …): `physical_id` is its shelf mark,
    /// `usage` `PhysicalMaster_1` (default) or `PhysicalMaster_N`.
    #[pyo3(signature = (physical_id, usage = "PhysicalMaster_1"))]
    fn add_physical_object(&self, py: Python<'_>, physical_id: &str, usage: &str) -> PyResult<()> {
        let me = self.id;
        self.builder
            .bind(py)
            .get()
            .with(py, |b| b.add_physical_object(me, usage, physical_id))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let title = self.data(py, |d| d.title.clone()).unwrap_or_default();
        format!("<vas.Unit {} {:?}>", self.xml_id, title)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Unit>() {
            Ok(o) => o.get().id == self.id && o.get().builder.bind(py).is(self.builder.bind(py)),
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.xml_id.hash(&mut h);
        h.finish()
    }
}

/// What `SipBuilder.import_folder` created.
#[pyclass(module = "vas", frozen)]
pub struct FolderImport {
    builder: Py<SipBuilder>,
    ids: BTreeMap<String, UnitId>,
    units: Py<PyDict>,
    objects: usize,
}

impl FolderImport {
    fn new(
        b: &Bound<'_, SipBuilder>,
        ids: BTreeMap<String, UnitId>,
        objects: usize,
    ) -> PyResult<FolderImport> {
        let py = b.py();
        let d = PyDict::new(py);
        for (k, u) in &ids {
            d.set_item(k, Unit::from_id(b, *u)?)?;
        }
        Ok(FolderImport {
            builder: b.clone().unbind(),
            ids,
            units: d.unbind(),
            objects,
        })
    }
}

#[pymethods]
impl FolderImport {
    /// The unit created for each folder or file, by path relative to the imported folder
    /// (`/`-separated).
    #[getter]
    fn units(&self, py: Python<'_>) -> Py<PyDict> {
        self.units.clone_ref(py)
    }

    /// Number of objects added.
    #[getter]
    fn objects(&self) -> usize {
        self.objects
    }

    fn __repr__(&self) -> String {
        format!(
            "<vas.FolderImport units={} objects={}>",
            self.ids.len(),
            self.objects
        )
    }
}

/// One object as written.
#[pyclass(module = "vas", frozen, get_all)]
pub struct BuiltObject {
    /// `BinaryDataObject/@id`.
    id: String,
    /// `Uri` (the entry name in the package).
    uri: String,
    /// Lower-case hex digest.
    digest: String,
    /// Size in bytes.
    size: u64,
}

#[pymethods]
impl BuiltObject {
    fn __repr__(&self) -> String {
        format!(
            "<vas.BuiltObject {} {} {} bytes>",
            self.id, self.uri, self.size
        )
    }
}

/// What a build produced.
#[pyclass(module = "vas", frozen, get_all)]
pub struct BuildReport {
    /// The package written (`None` for `to_bytes()`).
    path: Option<String>,
    /// The manifest entry name.
    manifest_name: String,
    /// Digest of the manifest (same algorithm as the objects).
    manifest_digest: String,
    /// The digest algorithm (`"SHA-512"` …).
    algorithm: String,
    /// Number of units.
    units: usize,
    /// The objects, in package order.
    objects: Vec<Py<BuiltObject>>,
    /// Sum of the object sizes.
    total_size: u64,
}

impl BuildReport {
    fn new(py: Python<'_>, r: core_sip::BuildReport, path: Option<PathBuf>) -> PyResult<Self> {
        let objects = r
            .objects
            .into_iter()
            .map(|o| {
                Py::new(
                    py,
                    BuiltObject {
                        id: o.id,
                        uri: o.uri,
                        digest: o.digest,
                        size: o.size,
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        Ok(BuildReport {
            path: path.map(|p| p.to_string_lossy().into_owned()),
            manifest_name: r.manifest_name,
            manifest_digest: r.manifest_digest,
            algorithm: r.algorithm.seda_name().to_string(),
            units: r.units,
            objects,
            total_size: r.total_size,
        })
    }
}

#[pymethods]
impl BuildReport {
    fn __repr__(&self) -> String {
        format!(
            "<vas.BuildReport {} units={} objects={} total_size={} {}>",
            self.path.as_deref().unwrap_or("(bytes)"),
            self.units,
            self.objects.len(),
            self.total_size,
            self.algorithm
        )
    }
}

/// A violation of Vitam's container, file or digest rules found by `inspect_sip`.
#[pyclass(module = "vas", frozen, get_all)]
pub struct Violation {
    /// Vitam's outcome code, e.g. `CHECK_DIGEST.INVALID.KO`.
    code: String,
    /// The error kind name (`Integrity`, `InvalidInput` …).
    kind: String,
    /// The package entry concerned, if any.
    entry: Option<String>,
    /// The manifest id concerned, if any.
    id: Option<String>,
    /// What is wrong.
    message: String,
    /// A warning (Vitam accepts the SIP), not a refusal.
    warning: bool,
}

#[pymethods]
impl Violation {
    fn __repr__(&self) -> String {
        format!(
            "<vas.Violation {}{} {:?}>",
            self.code,
            self.entry
                .as_deref()
                .map(|e| format!(" [{e}]"))
                .unwrap_or_default(),
            self.message
        )
    }
}

/// One entry of a package.
#[pyclass(module = "vas", frozen, get_all)]
pub struct SipEntry {
    /// The entry name (`/`-separated, directories end without `/`).
    name: String,
    /// Uncompressed size in bytes.
    size: u64,
    /// `"file"` or `"dir"`.
    kind: String,
    /// Compressed size (zip only).
    compressed_size: Option<u64>,
}

#[pymethods]
impl SipEntry {
    fn __repr__(&self) -> String {
        format!(
            "<vas.SipEntry {} {} {} bytes>",
            self.kind, self.name, self.size
        )
    }
}

/// What `inspect_sip` found (the data of `vas sip inspect --json`).
#[pyclass(module = "vas", frozen, get_all)]
pub struct SipInspection {
    /// The package.
    path: String,
    /// `"zip"`, `"tar"`, `"tar.gz"`, `"tar.bz2"` or `"directory"`.
    container: String,
    /// `"OK"`, `"WARNING"` or `"KO"`.
    verdict: String,
    /// The manifest entry name, if any.
    manifest: Option<String>,
    /// SHA-512 of the manifest (what Vitam's `MANIFEST_DIGEST_CHECK` compares).
    manifest_sha512: Option<String>,
    /// Header fields (`seda_version`, `message_identifier`, `archival_agreement`,
    /// `archival_agency`, `transferring_agency`, `archival_profile`,
    /// `originating_agency`, `submission_agency`, `comment`, `namespace`), `None` when
    /// the manifest is missing or not XML.
    header: Option<Py<PyDict>>,
    /// Archive units declared.
    units: usize,
    /// Object groups declared.
    object_groups: usize,
    /// Binary objects declared.
    binary_objects: usize,
    /// Physical objects declared.
    physical_objects: usize,
    /// Files the manifest declares (`Uri`).
    declared_files: usize,
    /// Files present besides the manifest.
    present_files: usize,
    /// Whether digests were checked.
    digests_checked: bool,
    /// Objects whose digest and size matched.
    digests_ok: usize,
    /// Every violation found.
    violations: Vec<Py<Violation>>,
    /// Every entry of the package.
    entries: Vec<Py<SipEntry>>,
    /// Sum of the file sizes.
    size: u64,
}

#[pymethods]
impl SipInspection {
    /// True when the verdict is `OK` or `WARNING`.
    #[getter]
    fn ok(&self) -> bool {
        self.verdict != "KO"
    }

    fn __bool__(&self) -> bool {
        self.ok()
    }

    fn __repr__(&self) -> String {
        format!(
            "<vas.SipInspection {} {} units={} binary_objects={} digests_ok={} violations={}>",
            self.verdict,
            self.container,
            self.units,
            self.binary_objects,
            self.digests_ok,
            self.violations.len()
        )
    }
}

/// Inspects a package (zip, tar, tar.gz, tar.bz2 or a folder) as `vas sip inspect` does:
/// Vitam's container rules, the manifest's header and counts, declared vs present files
/// and (unless `digests=False`) every digest and size. Rule violations are in the result
/// (`verdict` `KO`); a package that cannot be read safely at all (unsafe names, bombs,
/// corruption) raises (`UnsafeError`, `LimitExceededError`, `CorruptError` …, with
/// Vitam's code in `.code`). The GIL is released while reading.
#[pyfunction]
#[pyo3(signature = (path, *, digests = true, max_total_size = None, max_entries = None, max_ratio = None))]
pub fn inspect_sip(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    digests: bool,
    max_total_size: Option<u64>,
    max_entries: Option<u64>,
    max_ratio: Option<u64>,
) -> PyResult<SipInspection> {
    let path = args::path(path)?;
    let mut limits = Limits::default();
    if let Some(v) = max_total_size {
        limits.max_total_size = v;
    }
    if let Some(v) = max_entries {
        limits.max_entries = v;
    }
    if let Some(v) = max_ratio {
        limits.max_ratio = v;
    }
    let opts = vas_core::api::InspectOptions {
        limits,
        digests,
        entries: true,
        tree: false,
    };
    let ins = py
        .detach(|| vas_core::api::inspect_sip(&path, &opts))
        .py_err(py)?;
    if let Some(e) = ins.refusal {
        return Err(e).py_err(py);
    }
    let v = ins.json;
    let text = |x: &serde_json::Value| x.as_str().map(str::to_string);
    let count = |x: &serde_json::Value| x.as_u64().unwrap_or(0) as usize;
    let header = match v["header"].as_object() {
        Some(h) => {
            let d = PyDict::new(py);
            for (k, x) in h {
                d.set_item(k, x.as_str().map(|t| PyString::new(py, t)))?;
            }
            Some(d.unbind())
        }
        None => None,
    };
    let violations = v["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            Py::new(
                py,
                Violation {
                    code: x["code"].as_str().unwrap_or("").to_string(),
                    kind: x["kind"].as_str().unwrap_or("").to_string(),
                    entry: text(&x["entry"]),
                    id: text(&x["id"]),
                    message: x["message"].as_str().unwrap_or("").to_string(),
                    warning: x["warning"] == true,
                },
            )
        })
        .collect::<PyResult<_>>()?;
    let entries = v["entry_list"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            Py::new(
                py,
                SipEntry {
                    name: e["name"].as_str().unwrap_or("").to_string(),
                    size: e["size"].as_u64().unwrap_or(0),
                    kind: e["kind"].as_str().unwrap_or("").to_string(),
                    compressed_size: e["compressed_size"].as_u64(),
                },
            )
        })
        .collect::<PyResult<_>>()?;
    let c = &v["counts"];
    Ok(SipInspection {
        path: path.to_string_lossy().into_owned(),
        container: v["container"].as_str().unwrap_or("").to_string(),
        verdict: v["verdict"].as_str().unwrap_or("").to_string(),
        manifest: text(&v["manifest"]),
        manifest_sha512: text(&v["manifest_sha512"]),
        header,
        units: count(&c["units"]),
        object_groups: count(&c["object_groups"]),
        binary_objects: count(&c["binary_objects"]),
        physical_objects: count(&c["physical_objects"]),
        declared_files: count(&v["declared_files"]),
        present_files: count(&v["present_files"]),
        digests_checked: digests,
        digests_ok: v["digests_ok"].as_u64().unwrap_or(0) as _,
        violations,
        entries,
        size: v["size"].as_u64().unwrap_or(0),
    })
}

/// Registers the classes and functions of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SipBuilder>()?;
    m.add_class::<Unit>()?;
    m.add_class::<FolderImport>()?;
    m.add_class::<BuildReport>()?;
    m.add_class::<BuiltObject>()?;
    m.add_class::<Violation>()?;
    m.add_class::<SipEntry>()?;
    m.add_class::<SipInspection>()?;
    m.add_function(wrap_pyfunction!(inspect_sip, m)?)?;
    Ok(())
}
