//! SIP building (`vas_sip_builder_*`, over `vas_core::sip::SipBuilder`) and inspection
//! (`vas_sip_inspect_json`).

use std::ffi::{c_char, c_void};
use std::io::Read;
use std::sync::Arc;

use vas_core::Error;
use vas_core::digest::DigestAlgorithm;
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    BuildOptions, BuildReport, Compression, CsvEncoding, CsvOptions, FolderImport,
    FolderImportOptions, ObjectInput, PackageFormat, SipBuilder, UnitData, UnitId, WriterOptions,
};

use crate::bytes::{self, vas_bytes};
use crate::options::{ProgressHook, vas_progress_callback, vas_progress_phase};
use crate::{Failure, algorithm, boundary, c_path, c_str, in_bytes, infallible, opt_c_str, out};

/// A SIP under construction (opaque): create with `vas_sip_builder_new`, fill with the
/// `vas_sip_builder_*` functions, write once with `vas_sip_builder_write_to_file` or
/// `vas_sip_builder_write_to_bytes`, release with `vas_sip_builder_free`. Units are named
/// by handles (`size_t`, from 1; 0 means "no unit", e.g. no parent). Not thread-safe: use
/// a builder from one thread at a time.
pub struct vas_sip_builder {
    /// `None` once written.
    inner: Option<SipBuilder>,
    /// Handle `h` is `units[h - 1]`.
    units: Vec<UnitId>,
    /// The last folder import, for `vas_sip_builder_apply_csv`.
    last_import: Option<FolderImport>,
}

impl vas_sip_builder {
    fn builder(&mut self) -> Result<&mut SipBuilder, Failure> {
        self.inner.as_mut().ok_or_else(|| {
            Error::invalid("this SIP builder was already written; create a new one").into()
        })
    }

    fn unit(&self, handle: usize) -> Result<UnitId, Failure> {
        handle
            .checked_sub(1)
            .and_then(|i| self.units.get(i).copied())
            .ok_or_else(|| {
                Error::new(
                    vas_core::ErrorKind::NotFound,
                    format!(
                        "unknown unit handle {handle} (this builder has {} units)",
                        self.units.len()
                    ),
                )
                .into()
            })
    }

    fn parent(&self, handle: usize) -> Result<Option<UnitId>, Failure> {
        if handle == 0 {
            Ok(None)
        } else {
            self.unit(handle).map(Some)
        }
    }

    fn handle_of(&mut self, id: UnitId) -> usize {
        match self.units.iter().position(|u| *u == id) {
            Some(i) => i + 1,
            None => {
                self.units.push(id);
                self.units.len()
            }
        }
    }

    fn unit_data(&mut self, handle: usize) -> Result<&mut UnitData, Failure> {
        let id = self.unit(handle)?;
        Ok(self.builder()?.unit_mut(id)?)
    }
}

/// The builder behind a handle.
///
/// # Safety
/// `b` is NULL or a live builder, not used elsewhere during the call.
unsafe fn builder<'a>(b: *mut vas_sip_builder) -> Result<&'a mut vas_sip_builder, Failure> {
    // SAFETY: caller's contract.
    unsafe { b.as_mut() }.ok_or(Failure::NullParameter("builder"))
}

fn seda_version(v: Option<&str>) -> Result<SedaVersion, Failure> {
    match v.map(|v| v.trim_start_matches('v')) {
        None | Some("2.3") => Ok(SedaVersion::V2_3),
        Some("2.2") => Ok(SedaVersion::V2_2),
        Some("2.1") => Ok(SedaVersion::V2_1),
        Some(other) => Err(Error::invalid(format!(
            "SEDA version {other:?}: use \"2.1\", \"2.2\" or \"2.3\""
        ))
        .into()),
    }
}

/// Creates an empty SIP builder for SEDA `seda_version` (`"2.1"`, `"2.2"`, `"2.3"`; NULL
/// means 2.3) into `*out_builder`.
///
/// # Safety
/// `seda_version` is NULL or NUL-terminated; `out_builder` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_new(
    seda_version: *const c_char,
    out_builder: *mut *mut vas_sip_builder,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let v = unsafe { opt_c_str(seda_version, "seda_version") }?;
        let version = self::seda_version(v.as_deref())?;
        bytes::check_out(out_builder, "out_builder")?;
        let b = Box::into_raw(Box::new(vas_sip_builder {
            inner: Some(SipBuilder::new(version)),
            units: Vec::new(),
            last_import: None,
        }));
        // SAFETY: caller's contract.
        unsafe { out(out_builder, "out_builder", b) }
    })
}

/// Releases a builder (written or not). NULL is accepted and ignored.
///
/// # Safety
/// `builder` is NULL or a live builder, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_free(builder: *mut vas_sip_builder) {
    infallible((), || {
        if !builder.is_null() {
            // SAFETY: created by Box::into_raw in vas_sip_builder_new, freed once.
            drop(unsafe { Box::from_raw(builder) });
        }
    })
}

use crate::vas_result;

/// Sets one header field from a C string.
///
/// # Safety
/// `b` is NULL or a live builder; `value` is NULL or NUL-terminated.
unsafe fn set_header(
    b: *mut vas_sip_builder,
    value: *const c_char,
    set: fn(&mut SipBuilder, &str),
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { builder(b) }?;
        // SAFETY: caller's contract.
        let v = unsafe { c_str(value, "value") }?;
        set(b.builder()?, v);
        Ok(())
    })
}

/// Sets `MessageIdentifier` (default: time-based, or content-based when deterministic).
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_message_identifier(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.message_identifier(v);
        })
    }
}

/// Sets `Date` (`xsd:dateTime`; default now, or a fixed time when deterministic).
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_date(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.date(v);
        })
    }
}

/// Sets `Comment`.
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_comment(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.comment(v);
        })
    }
}

/// Sets `ArchivalAgreement` (Vitam's ingest contract).
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_archival_agreement(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.archival_agreement(v);
        })
    }
}

/// Sets `ArchivalAgency/Identifier` (required by SEDA).
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_archival_agency(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.archival_agency(v);
        })
    }
}

/// Sets `TransferringAgency/Identifier` (required by SEDA).
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_transferring_agency(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.transferring_agency(v);
        })
    }
}

/// Sets `ManagementMetadata/OriginatingAgencyIdentifier`.
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_originating_agency(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.originating_agency(v);
        })
    }
}

/// Sets `ManagementMetadata/SubmissionAgencyIdentifier`.
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_submission_agency(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.submission_agency(v);
        })
    }
}

/// Sets `ManagementMetadata/ArchivalProfile`.
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_archival_profile(
    builder: *mut vas_sip_builder,
    value: *const c_char,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_header(builder, value, |b, v| {
            b.archival_profile(v);
        })
    }
}

/// Adds a unit titled `title` under the unit `parent` (0: a top-level unit); its manifest
/// id is `AU<n>`. Writes its handle into `*out_unit`. An unknown parent handle is
/// `VAS_RESULT_NOT_FOUND`, an empty title `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `builder` is NULL or a live builder; `title` is NULL or NUL-terminated; `out_unit` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_unit(
    builder: *mut vas_sip_builder,
    parent: usize,
    title: *const c_char,
    out_unit: *mut usize,
) -> vas_result {
    // SAFETY: forwarded contract.
    unsafe { vas_sip_builder_add_unit_with_id(builder, parent, std::ptr::null(), title, out_unit) }
}

/// Like `vas_sip_builder_add_unit`, with an explicit manifest id `id` (an XML NCName,
/// unique in the package; NULL: `AU<n>`). A duplicate id is `VAS_RESULT_ALREADY_EXISTS`.
///
/// # Safety
/// `builder` is NULL or a live builder; `id` is NULL or NUL-terminated; `title` is NULL
/// or NUL-terminated; `out_unit` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_unit_with_id(
    builder: *mut vas_sip_builder,
    parent: usize,
    id: *const c_char,
    title: *const c_char,
    out_unit: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let id = unsafe { opt_c_str(id, "id") }?;
        // SAFETY: caller's contract.
        let title = unsafe { c_str(title, "title") }?;
        if out_unit.is_null() {
            return Err(Failure::NullParameter("out_unit"));
        }
        let parent = b.parent(parent)?;
        let sb = b.builder()?;
        let u = match id {
            Some(id) => sb.add_unit_with_id(parent, &id, title)?,
            None => sb.add_unit(parent, title)?,
        };
        let h = b.handle_of(u);
        // SAFETY: caller's contract.
        unsafe { out(out_unit, "out_unit", h) }
    })
}

/// Finds the unit whose manifest id is `id` (`VAS_RESULT_NOT_FOUND` if none) and writes
/// its handle into `*out_unit`.
///
/// # Safety
/// `builder` is NULL or a live builder; `id` is NULL or NUL-terminated; `out_unit` is NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_find_unit(
    builder: *mut vas_sip_builder,
    id: *const c_char,
    out_unit: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let id = unsafe { c_str(id, "id") }?;
        let u = b.builder()?.unit_by_id(id).ok_or_else(|| {
            Error::new(
                vas_core::ErrorKind::NotFound,
                format!("no unit with id {id:?}"),
            )
            .with_id(id)
        })?;
        let h = b.handle_of(u);
        // SAFETY: caller's contract.
        unsafe { out(out_unit, "out_unit", h) }
    })
}

/// Writes the manifest id of `unit` (`AU1` …), NUL-terminated, into `(buf, len)`.
///
/// # Safety
/// `builder` is NULL or a live builder; `buf` is NULL or valid for writing `len` bytes;
/// `written` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_unit_id(
    builder: *mut vas_sip_builder,
    unit: usize,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        let id = b.unit_data(unit)?.xml_id().to_string();
        // SAFETY: caller's contract.
        unsafe { crate::write_str(&id, buf, len, written) }
    })
}

/// Makes `child` also a child of `parent` (the units form a DAG). A link that would make
/// a cycle is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `builder` is NULL or a live builder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_link(
    builder: *mut vas_sip_builder,
    parent: usize,
    child: usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        let (p, c) = (b.unit(parent)?, b.unit(child)?);
        b.builder()?.link(p, c)?;
        Ok(())
    })
}

/// The number of units (0 for NULL or a written builder).
///
/// # Safety
/// `builder` is NULL or a live builder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_unit_count(builder: *const vas_sip_builder) -> usize {
    infallible(0, || {
        // SAFETY: caller's contract.
        unsafe { builder.as_ref() }
            .and_then(|b| b.inner.as_ref())
            .map_or(0, SipBuilder::unit_count)
    })
}

/// The number of objects added so far (0 for NULL or a written builder).
///
/// # Safety
/// `builder` is NULL or a live builder.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_object_count(builder: *const vas_sip_builder) -> usize {
    infallible(0, || {
        // SAFETY: caller's contract.
        unsafe { builder.as_ref() }
            .and_then(|b| b.inner.as_ref())
            .map_or(0, SipBuilder::object_count)
    })
}

/// Which descriptive field of a unit `vas_sip_builder_set_unit_text` sets.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vas_unit_field {
    /// `Content/Title` (never empty).
    Title = 0,
    /// `Content/DescriptionLevel` (`Item`, `File`, `RecordGrp` …).
    DescriptionLevel = 1,
    /// `Content/Description`.
    Description = 2,
    /// `Content/StartDate`.
    StartDate = 3,
    /// `Content/EndDate`.
    EndDate = 4,
}

/// Sets a descriptive field of `unit` (`field`: a `vas_unit_field`) to `value`; NULL
/// removes it (except the title, which is required).
///
/// # Safety
/// `builder` is NULL or a live builder; `value` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_unit_text(
    builder: *mut vas_sip_builder,
    unit: usize,
    field: i32,
    value: *const c_char,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let value = unsafe { opt_c_str(value, "value") }?;
        let d = b.unit_data(unit)?;
        match field {
            0 => match value {
                Some(t) if !t.trim().is_empty() => d.title = t,
                _ => return Err(Error::invalid("a unit needs a non-empty title").into()),
            },
            1 => d.description_level = value,
            2 => d.description = value,
            3 => d.start_date = value,
            4 => d.end_date = value,
            _ => {
                return Err(Error::invalid(format!(
                    "unknown unit field {field} (expected a vas_unit_field)"
                ))
                .into());
            }
        }
        Ok(())
    })
}

/// Adds a management rule to `unit`: `category` (`AccessRule`, `AppraisalRule` …),
/// `rule` (its identifier, e.g. `ACC-00002`) and `start_date` (`YYYY-MM-DD`, may be NULL).
///
/// # Safety
/// `builder` is NULL or a live builder; the strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_rule(
    builder: *mut vas_sip_builder,
    unit: usize,
    category: *const c_char,
    rule: *const c_char,
    start_date: *const c_char,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (category, rule, start) = unsafe {
            (
                c_str(category, "category")?,
                c_str(rule, "rule")?,
                opt_c_str(start_date, "start_date")?,
            )
        };
        b.unit_data(unit)?.rule(category, rule, start.as_deref());
        Ok(())
    })
}

/// Sets the `FinalAction` of a category of `unit` (`AppraisalRule`: `Keep`/`Destroy`;
/// `StorageRule`: `RestrictAccess`/`Transfer`/`Copy`).
///
/// # Safety
/// `builder` is NULL or a live builder; the strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_set_final_action(
    builder: *mut vas_sip_builder,
    unit: usize,
    category: *const c_char,
    action: *const c_char,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (category, action) =
            unsafe { (c_str(category, "category")?, c_str(action, "action")?) };
        b.unit_data(unit)?.final_action(category, action);
        Ok(())
    })
}

/// Adds a `Content` field of `unit` by ReSIP dotted path relative to `Content`
/// (`Keyword.0.KeywordContent`, `Writer.0.FullName`,
/// `OriginatingAgencyArchiveUnitIdentifier` …).
///
/// # Safety
/// `builder` is NULL or a live builder; the strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_field(
    builder: *mut vas_sip_builder,
    unit: usize,
    path: *const c_char,
    value: *const c_char,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (path, value) = unsafe { (c_str(path, "path")?, c_str(value, "value")?) };
        b.unit_data(unit)?.field(path, value);
        Ok(())
    })
}

/// Adds a `Management` field of `unit` by dotted path relative to `Management`
/// (`AppraisalRule.Rule`, `AccessRule.PreventInheritance` …).
///
/// # Safety
/// `builder` is NULL or a live builder; the strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_management_field(
    builder: *mut vas_sip_builder,
    unit: usize,
    path: *const c_char,
    value: *const c_char,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (path, value) = unsafe { (c_str(path, "path")?, c_str(value, "value")?) };
        b.unit_data(unit)?
            .management_fields
            .push((path.to_string(), value.to_string(), None));
        Ok(())
    })
}

/// What is declared about an object besides its data (versioned: set `struct_size`, e.g.
/// `vas_object_options o = VAS_OBJECT_OPTIONS_INIT;`). Every pointer may be NULL ("not
/// given"); the zero value of every other field means its default.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vas_object_options {
    /// `sizeof` this struct as the caller's header declares it (see `VAS_OBJECT_OPTIONS_INIT`).
    pub struct_size: usize,
    /// Usage and version: `BinaryMaster_1` (NULL), `Dissemination_1`, `Thumbnail_1`,
    /// `TextContent_1` …
    pub usage: *const c_char,
    /// `FileInfo/Filename` (default: the file's name, or the name given with the data).
    pub filename: *const c_char,
    /// PRONOM identifier (`FormatId`, e.g. `fmt/18`); when NULL the format may be
    /// identified at build time (`vas_build_options.identify_formats`).
    pub format_id: *const c_char,
    /// `MimeType`.
    pub mime_type: *const c_char,
    /// `FormatLitteral`.
    pub format_litteral: *const c_char,
    /// `FileInfo/LastModified` (`xsd:dateTime`); default: the file's modification time
    /// for a path, none for data.
    pub last_modified: *const c_char,
    /// Declare no `LastModified` at all (wins over `last_modified`).
    pub no_last_modified: bool,
}

/// Initialises `*opts` (`struct_size` bytes, normally `sizeof *opts`) to the defaults of
/// the layout of that size and sets its `struct_size`; the function form of
/// `VAS_OBJECT_OPTIONS_INIT`. An unknown size is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `opts` is NULL or valid for writing `struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_object_options_init(
    opts: *mut vas_object_options,
    struct_size: usize,
) -> vas_result {
    // SAFETY: caller's contract.
    unsafe { crate::options::init_options(opts, struct_size) }
}

// SAFETY: repr(C), `struct_size` first, all-zero is valid for every field.
unsafe impl crate::options::VersionedOptions for vas_object_options {
    const NAME: &'static str = "vas_object_options";
    const INIT_MACRO: &'static str = "VAS_OBJECT_OPTIONS_INIT";
    fn sizes() -> &'static [usize] {
        &[size_of::<vas_object_options>()]
    }
}

/// Applies C object options to an input.
///
/// # Safety
/// `opts` is NULL or points to a `vas_object_options` of `struct_size` readable bytes
/// whose strings are NULL or NUL-terminated.
unsafe fn apply_object_options(
    mut o: ObjectInput,
    opts: *const vas_object_options,
) -> Result<ObjectInput, Failure> {
    // SAFETY: caller's contract.
    let Some(opts) = (unsafe { crate::options::read_options(opts) })? else {
        return Ok(o);
    };
    // SAFETY: caller's contract on each string.
    unsafe {
        if let Some(u) = opt_c_str(opts.usage, "usage")? {
            o = o.usage(&u);
        }
        if let Some(f) = opt_c_str(opts.filename, "filename")? {
            o = o.filename(&f);
        }
        let puid = opt_c_str(opts.format_id, "format_id")?;
        let mime = opt_c_str(opts.mime_type, "mime_type")?;
        if puid.is_some() || mime.is_some() {
            o = o.format(puid.as_deref(), mime.as_deref());
        }
        if let Some(l) = opt_c_str(opts.format_litteral, "format_litteral")? {
            o = o.format_litteral(&l);
        }
        if opts.no_last_modified {
            o = o.last_modified(None);
        } else if let Some(l) = opt_c_str(opts.last_modified, "last_modified")? {
            o = o.last_modified(Some(&l));
        }
    }
    Ok(o)
}

/// Adds the file at `path` as an object of `unit` (streamed at build time, never loaded
/// in memory). A missing file is `VAS_RESULT_NOT_FOUND`; a usage Vitam refuses or already
/// used in this unit `VAS_RESULT_INVALID_INPUT` (the detail carries Vitam's code).
///
/// # Safety
/// `builder` is NULL or a live builder; `path` is NULL or NUL-terminated; `opts` is NULL
/// or a `vas_object_options` (`struct_size` readable bytes).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_object_path(
    builder: *mut vas_sip_builder,
    unit: usize,
    path: *const c_char,
    opts: *const vas_object_options,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        // SAFETY: caller's contract.
        let input = unsafe { apply_object_options(ObjectInput::path(path), opts) }?;
        let u = b.unit(unit)?;
        b.builder()?.add_object(u, input)?;
        Ok(())
    })
}

/// Adds `(data, len)` (copied) as an object of `unit`, declared with the file name
/// `filename`.
///
/// # Safety
/// `builder` is NULL or a live builder; `filename` is NULL or NUL-terminated; `data` is
/// NULL or valid for `len` bytes; `opts` is NULL or a `vas_object_options` (`struct_size` readable bytes).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_object_bytes(
    builder: *mut vas_sip_builder,
    unit: usize,
    filename: *const c_char,
    data: *const u8,
    len: usize,
    opts: *const vas_object_options,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let filename = unsafe { c_str(filename, "filename") }?;
        // SAFETY: caller's contract.
        let data = unsafe { in_bytes(data, len, "data") }?;
        // SAFETY: caller's contract.
        let input =
            unsafe { apply_object_options(ObjectInput::bytes(filename, data.to_vec()), opts) }?;
        let u = b.unit(unit)?;
        b.builder()?.add_object(u, input)?;
        Ok(())
    })
}

/// A read callback: fills `buf` (`len` bytes available) and writes the number of bytes
/// read into `*out_n` (0 at the end of the data); returns 0 on success, anything else on
/// failure (e.g. an `errno` value).
pub type vas_read_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, buf: *mut u8, len: usize, out_n: *mut usize) -> i32,
>;

struct CallbackReader {
    cb: unsafe extern "C" fn(*mut c_void, *mut u8, usize, *mut usize) -> i32,
    userdata: *mut c_void,
}

// SAFETY: the caller of vas_sip_builder_add_object_reader promises the callback and its
// userdata may be used from another thread (documented there).
unsafe impl Send for CallbackReader {}

impl Read for CallbackReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0usize;
        // SAFETY: `buf` is valid for `buf.len()` bytes; the callback's contract is the
        // caller's.
        let rc = unsafe { (self.cb)(self.userdata, buf.as_mut_ptr(), buf.len(), &mut n) };
        if rc != 0 {
            return Err(std::io::Error::other(format!(
                "the object's read callback failed (returned {rc})"
            )));
        }
        if n > buf.len() {
            return Err(std::io::Error::other(format!(
                "the object's read callback claimed {n} bytes for a {}-byte buffer",
                buf.len()
            )));
        }
        Ok(n)
    }
}

/// Adds an object of `unit` whose data comes from `read(userdata, buf, len, &n)`, declared
/// with the file name `filename`. The callback is called later, during
/// `vas_sip_builder_write_*` (possibly from another thread, never from two at once), until
/// it reports the end (`n == 0`): `userdata` must stay valid until the builder is written
/// or freed. A callback failure fails the build (`VAS_RESULT_IO`).
///
/// # Safety
/// `builder` is NULL or a live builder; `filename` is NULL or NUL-terminated; `read` and
/// `userdata` follow the contract above; `opts` is NULL or a `vas_object_options` (`struct_size` readable bytes).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_object_reader(
    builder: *mut vas_sip_builder,
    unit: usize,
    filename: *const c_char,
    read: vas_read_callback,
    userdata: *mut c_void,
    opts: *const vas_object_options,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let filename = unsafe { c_str(filename, "filename") }?;
        let cb = read.ok_or(Failure::NullParameter("read"))?;
        let reader = CallbackReader { cb, userdata };
        // SAFETY: caller's contract.
        let input = unsafe { apply_object_options(ObjectInput::reader(filename, reader), opts) }?;
        let u = b.unit(unit)?;
        b.builder()?.add_object(u, input)?;
        Ok(())
    })
}

/// Adds a physical object (a paper record, a box …) to `unit`: `usage` is
/// `PhysicalMaster` or `PhysicalMaster_N`, `physical_id` its shelf mark.
///
/// # Safety
/// `builder` is NULL or a live builder; the strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_add_physical_object(
    builder: *mut vas_sip_builder,
    unit: usize,
    usage: *const c_char,
    physical_id: *const c_char,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (usage, pid) = unsafe { (c_str(usage, "usage")?, c_str(physical_id, "physical_id")?) };
        let u = b.unit(unit)?;
        b.builder()?.add_physical_object(u, usage, pid)?;
        Ok(())
    })
}

/// `{"units": {"relative/path": handle …}, "objects": n}` of an import.
fn import_json(b: &mut vas_sip_builder, units: &[(String, UnitId)], objects: usize) -> Vec<u8> {
    let mut map = serde_json::Map::new();
    for (k, u) in units {
        map.insert(k.clone(), b.handle_of(*u).into());
    }
    bytes::json(&serde_json::json!({"units": map, "objects": objects}))
}

/// Imports the folder `dir` following ReSIP's conventions (folders become `RecordGrp`
/// units, files `Item` units with one `BinaryMaster_1` object, `__USAGE_N__name` files and
/// `##name##` folders objects of the enclosing unit, `__ArchiveUnitMetadata.xml` sidecars
/// the unit's metadata) under `parent` (0: top level). Hidden files are skipped unless
/// `include_hidden`. When `out_json` is not NULL it receives
/// `{"units": {"relative/path": unit handle …}, "objects": n}`.
///
/// # Safety
/// `builder` is NULL or a live builder; `dir` is NULL or NUL-terminated; `out_json` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_import_folder(
    builder: *mut vas_sip_builder,
    dir: *const c_char,
    parent: usize,
    include_hidden: bool,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let dir = unsafe { c_path(dir, "dir") }?;
        let parent = b.parent(parent)?;
        let opts = FolderImportOptions {
            skip_hidden: !include_hidden,
            ..FolderImportOptions::default()
        };
        let imported = b.builder()?.import_folder(&dir, parent, &opts)?;
        let units: Vec<(String, UnitId)> = imported
            .units
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let json = import_json(b, &units, imported.objects);
        b.last_import = Some(imported);
        // SAFETY: caller's contract.
        unsafe { bytes::store(out_json, json) };
        Ok(())
    })
}

fn csv_options(sep: Option<String>, enc: Option<String>) -> Result<CsvOptions, Failure> {
    let mut o = CsvOptions::default();
    if let Some(s) = sep {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => o.separator = c,
            _ => {
                return Err(
                    Error::invalid(format!("CSV separator {s:?} must be one character")).into(),
                );
            }
        }
    }
    if let Some(e) = enc {
        o.encoding = CsvEncoding::from_name(&e)?;
    }
    Ok(o)
}

/// Builds units from a ReSIP metadata CSV with `ID` and `ParentID` columns (`File` /
/// `ObjectFiles` name object files relative to `base_dir`). `separator` (one character,
/// NULL: `;`) and `encoding` (`utf-8` (NULL) or `windows-1252`). When `out_json` is not
/// NULL it receives `{"units": {"csv id": unit handle …}, "objects": n}` (`objects`: the
/// builder's object count).
///
/// # Safety
/// `builder` is NULL or a live builder; the strings are NULL or NUL-terminated;
/// `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_import_csv(
    builder: *mut vas_sip_builder,
    csv_path: *const c_char,
    base_dir: *const c_char,
    separator: *const c_char,
    encoding: *const c_char,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (csv, base, sep, enc) = unsafe {
            (
                c_path(csv_path, "csv_path")?,
                c_path(base_dir, "base_dir")?,
                opt_c_str(separator, "separator")?,
                opt_c_str(encoding, "encoding")?,
            )
        };
        let opts = csv_options(sep, enc)?;
        let f = std::fs::File::open(&csv).map_err(|e| Error::from(e).with_path(&csv))?;
        let sb = b.builder()?;
        let units = sb
            .import_csv(std::io::BufReader::new(f), &base, &opts)
            .map_err(|e| e.or_path(&csv))?;
        let objects = sb.object_count();
        let units: Vec<(String, UnitId)> = units.into_iter().collect();
        let json = import_json(b, &units, objects);
        // SAFETY: caller's contract.
        unsafe { bytes::store(out_json, json) };
        Ok(())
    })
}

/// Applies a ReSIP metadata CSV (rows matched by their `File` column, relative to the
/// imported folder) to the units of the last `vas_sip_builder_import_folder` of this
/// builder (`VAS_RESULT_INVALID_INPUT` if there was none). `*out_rows` (may be NULL)
/// receives the number of rows applied.
///
/// # Safety
/// `builder` is NULL or a live builder; the strings are NULL or NUL-terminated;
/// `out_rows` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_apply_csv(
    builder: *mut vas_sip_builder,
    csv_path: *const c_char,
    separator: *const c_char,
    encoding: *const c_char,
    out_rows: *mut usize,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (csv, sep, enc) = unsafe {
            (
                c_path(csv_path, "csv_path")?,
                opt_c_str(separator, "separator")?,
                opt_c_str(encoding, "encoding")?,
            )
        };
        let opts = csv_options(sep, enc)?;
        let imported = b.last_import.take().ok_or_else(|| {
            Error::invalid(
                "applying a CSV needs a folder imported first (vas_sip_builder_import_folder)",
            )
        })?;
        let r = b
            .builder()
            .and_then(|sb| Ok(sb.apply_csv_file(&csv, &imported, &opts)?));
        b.last_import = Some(imported);
        let n = r?;
        if !out_rows.is_null() {
            // SAFETY: non-NULL, writable per the contract.
            unsafe { out_rows.write(n) };
        }
        Ok(())
    })
}

/// How to write a package (versioned: set `struct_size`, e.g.
/// `vas_build_options o = VAS_BUILD_OPTIONS_INIT;`). The zero value of every other field
/// means its default: a zip, SHA-512, deflate level 6, manifest first, not deterministic,
/// no format identification, no progress.
///
/// Published layouts: up to `manifest_name`, and the current one (with `progress`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct vas_build_options {
    /// `sizeof` this struct as the caller's header declares it (see `VAS_BUILD_OPTIONS_INIT`).
    pub struct_size: usize,
    /// `"zip"` (NULL), `"tar"` or `"tar.gz"`.
    pub format: *const c_char,
    /// A `vas_digest_algorithm`; 0 means SHA-512.
    pub digest_algorithm: i32,
    /// Zip entries: 0 the default (deflate level 6), 1–9 a deflate level, -1 stored
    /// (no compression). For tar.gz: the gzip level.
    pub compression_level: i32,
    /// Fixed timestamps and metadata: the same input gives the same bytes.
    pub deterministic: bool,
    /// Write the objects first and the manifest last (one read of each object).
    pub manifest_last: bool,
    /// Identify the format of every object that declares none, with the bundled PRONOM
    /// signatures (what `vas sip build` does by default).
    pub identify_formats: bool,
    /// The manifest entry name (NULL: `manifest.xml`).
    pub manifest_name: *const c_char,
    /// Called as the objects are hashed (`VAS_PROGRESS_PHASE_HASHING`) and written
    /// (`VAS_PROGRESS_PHASE_WRITING`); returning nonzero cancels the build
    /// (`VAS_RESULT_CANCELLED`, no file left behind, the builder spent). NULL: none.
    pub progress: vas_progress_callback,
    /// Passed to `progress` as is.
    pub progress_userdata: *mut c_void,
}

/// The first published layout of `vas_build_options` (without the progress fields): its
/// `sizeof` is accepted as `struct_size`.
#[repr(C)]
#[allow(dead_code)]
struct vas_build_options_v1 {
    struct_size: usize,
    format: *const c_char,
    digest_algorithm: i32,
    compression_level: i32,
    deterministic: bool,
    manifest_last: bool,
    identify_formats: bool,
    manifest_name: *const c_char,
}

/// Initialises `*opts` (`struct_size` bytes, normally `sizeof *opts`) to the defaults of
/// the layout of that size and sets its `struct_size`; the function form of
/// `VAS_BUILD_OPTIONS_INIT`. An unknown size is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `opts` is NULL or valid for writing `struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_build_options_init(
    opts: *mut vas_build_options,
    struct_size: usize,
) -> vas_result {
    // SAFETY: caller's contract.
    unsafe { crate::options::init_options(opts, struct_size) }
}

// SAFETY: repr(C), `struct_size` first, all-zero is valid for every field.
unsafe impl crate::options::VersionedOptions for vas_build_options {
    const NAME: &'static str = "vas_build_options";
    const INIT_MACRO: &'static str = "VAS_BUILD_OPTIONS_INIT";
    fn sizes() -> &'static [usize] {
        &[
            size_of::<vas_build_options_v1>(),
            size_of::<vas_build_options>(),
        ]
    }
}

/// Converts C build options.
///
/// # Safety
/// `opts` is NULL or a `vas_build_options` (`struct_size` readable bytes) whose strings are NULL or NUL-terminated.
unsafe fn build_options(
    opts: *const vas_build_options,
) -> Result<(BuildOptions, Option<Arc<ProgressHook>>), Failure> {
    let zero = vas_build_options {
        struct_size: size_of::<vas_build_options>(),
        format: std::ptr::null(),
        digest_algorithm: 0,
        compression_level: 0,
        deterministic: false,
        manifest_last: false,
        identify_formats: false,
        manifest_name: std::ptr::null(),
        progress: None,
        progress_userdata: std::ptr::null_mut(),
    };
    // SAFETY: caller's contract.
    let o = unsafe { crate::options::read_options(opts) }?.unwrap_or(zero);
    // SAFETY: caller's contract.
    let format = match unsafe { opt_c_str(o.format, "format") }?.as_deref() {
        None | Some("zip") => PackageFormat::Zip,
        Some("tar") => PackageFormat::Tar,
        Some("tar.gz" | "tgz") => PackageFormat::TarGz,
        Some(f) => {
            return Err(Error::invalid(format!(
                "unknown package format {f:?}: \"zip\", \"tar\" or \"tar.gz\""
            ))
            .into());
        }
    };
    let alg = if o.digest_algorithm == 0 {
        DigestAlgorithm::Sha512
    } else {
        algorithm(o.digest_algorithm)?
    };
    let compression = match o.compression_level {
        0 => Compression::default(),
        -1 => Compression::Stored,
        n @ 1..=9 => Compression::Deflated(n as u32),
        n => {
            return Err(Error::invalid(format!(
                "compression level {n}: use 0 (default), 1 to 9, or -1 (stored)"
            ))
            .into());
        }
    };
    let writer = WriterOptions::new(format)
        .algorithm(alg)
        .compression(compression)
        .deterministic(o.deterministic);
    let mut b = BuildOptions::new(writer);
    b.manifest_last = o.manifest_last;
    // SAFETY: caller's contract.
    if let Some(n) = unsafe { opt_c_str(o.manifest_name, "manifest_name") }? {
        b.manifest_name = n;
    }
    if o.identify_formats {
        b.identify = Some(vas_core::sip::bundled_format_identifier()?);
    }
    let hook = ProgressHook::new(o.progress, o.progress_userdata);
    if let Some(h) = &hook {
        let h2 = Arc::clone(h);
        b.progress = Some(Arc::new(move |p: vas_core::sip::Progress| {
            let phase = if p.phase == 0 {
                vas_progress_phase::Hashing
            } else {
                vas_progress_phase::Writing
            };
            h2.report(phase, p.done, p.total);
        }));
        b.cancel = Some(Arc::clone(&h.cancel));
    }
    Ok((b, hook))
}

fn report_json(r: &BuildReport) -> Vec<u8> {
    bytes::json(&serde_json::json!({
        "manifest_name": r.manifest_name,
        "manifest_digest": r.manifest_digest,
        "algorithm": r.algorithm.seda_name(),
        "units": r.units,
        "objects": r.objects.iter().map(|o| serde_json::json!({
            "id": o.id, "uri": o.uri, "digest": o.digest, "size": o.size,
        })).collect::<Vec<_>>(),
        "total_size": r.total_size,
    }))
}

/// Writes the package into a new file `path` (which must not exist:
/// `VAS_RESULT_ALREADY_EXISTS`, the builder stays usable) with `opts` (NULL: the
/// defaults). Once the write has started the builder is spent (further calls fail with `VAS_RESULT_INVALID_INPUT`) but must still be
/// freed. When `out_report` is not NULL it receives the build report as JSON:
/// `{"manifest_name", "manifest_digest", "algorithm", "units", "objects": [{"id", "uri",
/// "digest", "size"}], "total_size"}`. On failure no file is left behind.
///
/// # Safety
/// `builder` is NULL or a live builder; `path` is NULL or NUL-terminated; `opts` is NULL
/// or a `vas_build_options` (`struct_size` readable bytes); `out_report` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_write_to_file(
    builder: *mut vas_sip_builder,
    path: *const c_char,
    opts: *const vas_build_options,
    out_report: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        // SAFETY: caller's contract.
        let (opts, hook) = unsafe { build_options(opts) }?;
        b.builder()?;
        // Refuse an existing output before the builder is consumed, so the caller can
        // retry with another path (the write itself still refuses to replace a file).
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(Error::new(
                vas_core::ErrorKind::AlreadyExists,
                "the output file already exists",
            )
            .with_path(&path)
            .into());
        }
        let sb = b.inner.take().expect("checked above");
        let report = ProgressHook::outcome(hook.as_ref(), sb.write_to_file(&path, opts))?;
        // SAFETY: caller's contract.
        unsafe { bytes::store(out_report, report_json(&report)) };
        Ok(())
    })
}

/// Like `vas_sip_builder_write_to_file`, into memory: `*out_package` receives the whole
/// package (release it with `vas_bytes_free`).
///
/// # Safety
/// `builder` is NULL or a live builder; `opts` is NULL or a `vas_build_options` (`struct_size` readable bytes);
/// `out_package` is NULL or writable; `out_report` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_builder_write_to_bytes(
    builder: *mut vas_sip_builder,
    opts: *const vas_build_options,
    out_package: *mut *mut vas_bytes,
    out_report: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let b = unsafe { self::builder(builder) }?;
        // SAFETY: caller's contract.
        let (opts, hook) = unsafe { build_options(opts) }?;
        bytes::check_out(out_package, "out_package")?;
        b.builder()?;
        let sb = b.inner.take().expect("checked above");
        let (cursor, report) = ProgressHook::outcome(
            hook.as_ref(),
            sb.write(std::io::Cursor::new(Vec::new()), opts),
        )?;
        // SAFETY: caller's contract.
        unsafe {
            bytes::store(out_report, report_json(&report));
            out(
                out_package,
                "out_package",
                vas_bytes::boxed(cursor.into_inner()),
            )
        }
    })
}

/// What `vas_sip_inspect_json` checks and lists (versioned: set `struct_size`, e.g.
/// `vas_inspect_options o = VAS_INSPECT_OPTIONS_INIT;`). The zero value of every other
/// field means the defaults of `vas sip inspect`: digests checked, default limits, no entry
/// list, no tree.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct vas_inspect_options {
    /// `sizeof` this struct as the caller's header declares it (see `VAS_INSPECT_OPTIONS_INIT`).
    pub struct_size: usize,
    /// Skip the digest check (container rules and declared files only).
    pub no_digests: bool,
    /// Add `entry_list`: every entry with its size.
    pub entries: bool,
    /// Add `tree`: the archive-unit tree (`depth`, `id`, `title`).
    pub tree: bool,
    /// Maximum total uncompressed size in bytes (0: the default limit).
    pub max_total_size: u64,
    /// Maximum number of entries (0: the default limit).
    pub max_entries: u64,
    /// Maximum compression ratio (0: the default limit).
    pub max_ratio: u64,
}

/// Initialises `*opts` (`struct_size` bytes, normally `sizeof *opts`) to the defaults of
/// the layout of that size and sets its `struct_size`; the function form of
/// `VAS_INSPECT_OPTIONS_INIT`. An unknown size is `VAS_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `opts` is NULL or valid for writing `struct_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_inspect_options_init(
    opts: *mut vas_inspect_options,
    struct_size: usize,
) -> vas_result {
    // SAFETY: caller's contract.
    unsafe { crate::options::init_options(opts, struct_size) }
}

// SAFETY: repr(C), `struct_size` first, all-zero is valid for every field.
unsafe impl crate::options::VersionedOptions for vas_inspect_options {
    const NAME: &'static str = "vas_inspect_options";
    const INIT_MACRO: &'static str = "VAS_INSPECT_OPTIONS_INIT";
    fn sizes() -> &'static [usize] {
        &[size_of::<vas_inspect_options>()]
    }
}

/// Inspects the package at `path` (zip, tar, tar.gz, tar.bz2 or a folder) as
/// `vas sip inspect --json` does and writes that JSON document into `*out_json`:
/// `{"path", "container", "entries", "files", "size", "manifest", "manifest_sha512",
/// "header", "counts", "declared_files", "present_files", "digests_checked",
/// "digests_ok", "violations": [{"code", "kind", "entry", "id", "message", "warning"}],
/// "entry_list", "tree", "verdict"}` with `verdict` `OK`, `WARNING` or `KO`. A package
/// refused on opening (unsafe names, bombs, corrupt, not a package) is a verdict too:
/// `{"path", "verdict": "REFUSED", "error": {"kind", "message", "entry", "code"}}`. A
/// missing file is `VAS_RESULT_NOT_FOUND`.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `opts` is NULL or a `vas_inspect_options` (`struct_size` readable bytes);
/// `out_json` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vas_sip_inspect_json(
    path: *const c_char,
    opts: *const vas_inspect_options,
    out_json: *mut *mut vas_bytes,
) -> vas_result {
    boundary(|| {
        // SAFETY: caller's contract.
        let path = unsafe { c_path(path, "path") }?;
        // SAFETY: caller's contract.
        let o = unsafe { crate::options::read_options(opts) }?.unwrap_or_default();
        bytes::check_out(out_json, "out_json")?;
        let mut limits = vas_core::sip::Limits::default();
        if o.max_total_size > 0 {
            limits.max_total_size = o.max_total_size;
        }
        if o.max_entries > 0 {
            limits.max_entries = o.max_entries;
        }
        if o.max_ratio > 0 {
            limits.max_ratio = o.max_ratio;
        }
        let opts = vas_core::api::InspectOptions {
            limits,
            digests: !o.no_digests,
            entries: o.entries,
            tree: o.tree,
        };
        let v = vas_core::api::inspect_sip(&path, &opts)?.json;
        // SAFETY: caller's contract.
        unsafe { out(out_json, "out_json", vas_bytes::boxed(bytes::json(&v))) }
    })
}
