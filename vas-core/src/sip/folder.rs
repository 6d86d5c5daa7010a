//! Folder import in the manner of ReSIP (sedalib's `DiskToArchiveTransferImporter`).
//!
//! - each folder becomes a unit (`DescriptionLevel` `RecordGrp`), titled by its name;
//! - each file becomes a unit (`Item`) with one `BinaryMaster_1` object;
//! - `__USAGE_N__name` files (e.g. `__Dissemination_1__scan.jpg`) are objects of the
//!   enclosing folder's unit, with that usage and version, declared as `name`;
//! - a `##name##` folder holds the objects of the enclosing folder's unit (files without a
//!   usage prefix become `BinaryMaster_1`, `BinaryMaster_2` …);
//! - `__ArchiveUnitMetadata.xml` in a folder gives that unit's `ArchiveUnitProfile`,
//!   `Management` and `Content` (ReSIP "model V2"); its `Title` wins over the folder name;
//! - `__USAGE_N__BinaryDataObjectMetadata.xml` files are skipped (not imported);
//! - a symbolic link to a folder or file inside the imported folder makes the enclosing
//!   unit one more parent of the target's unit (ReSIP's multi-parent references; the units
//!   form a DAG); a link pointing outside, dangling, or creating a cycle is refused
//!   ([`ErrorKind::Unsafe`] / [`ErrorKind::InvalidInput`]); with
//!   [`FolderImportOptions::links_as_references`] off, every link is refused;
//! - hidden files (`.name`) are skipped unless asked for.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

use regex::Regex;

use super::builder::{ObjectInput, SipBuilder, UnitId};
use crate::error::{Error, ErrorKind, Result};

/// Options of [`SipBuilder::import_folder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderImportOptions {
    /// Skip files and folders whose name starts with `.` (default true).
    pub skip_hidden: bool,
    /// Maximum folder depth (default 256).
    pub max_depth: usize,
    /// Symbolic links inside the folder become extra parent links (default true); when
    /// false, links are refused.
    pub links_as_references: bool,
}

impl Default for FolderImportOptions {
    fn default() -> Self {
        FolderImportOptions {
            skip_hidden: true,
            max_depth: 256,
            links_as_references: true,
        }
    }
}

/// What a folder import created.
#[derive(Debug, Clone, Default)]
pub struct FolderImport {
    /// The unit created for each folder or file, by path relative to the imported folder
    /// (`/`-separated).
    pub units: BTreeMap<String, UnitId>,
    /// Number of objects added.
    pub objects: usize,
}

fn usage_file() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^__([A-Za-z]+)_([0-9]+)__(.+)$").expect("static regex"))
}

struct Ctx<'a> {
    opts: &'a FolderImportOptions,
    root: &'a Path,
    /// (enclosing unit, target path relative to the root, link path)
    links: &'a mut Vec<(UnitId, String, std::path::PathBuf)>,
    /// The folders listed ahead by [`Prefetch::run`], when the walk has several threads.
    listed: Option<&'a Prefetch>,
}

impl Ctx<'_> {
    /// The sorted entries of `dir`: listed ahead (waiting for its listing if need be),
    /// else now.
    fn entries(&mut self, dir: &Path) -> Listing {
        match self.listed.and_then(|p| p.take(dir)) {
            Some(l) => l,
            None => sorted_entries(dir),
        }
    }
}

/// A folder's entries (name, metadata not following links, path), sorted by name, or
/// the error listing it gave.
type Listing = Result<Vec<(String, fs::Metadata, PathBuf)>>;

/// Folders listed ahead of the walk of [`SipBuilder::import_folder`] by another thread,
/// in the walk's order (the same paths, the same `read_dir` and metadata calls as the
/// walk's), each handed to the walk when it reaches that folder: a folder's listing, or
/// its error, is used only then, so a build fails with the same error as a walk that
/// lists each folder when it gets there. The walk makes the units of the first folders
/// while the next ones are listed. Hidden folders are not listed when skipped, nor links
/// followed, nor folders deeper than the walk goes.
#[derive(Default)]
struct Prefetch {
    state: Mutex<PrefetchState>,
    listed: Condvar,
    /// The walk ended (on an error): list no further.
    stop: AtomicBool,
}

#[derive(Default)]
struct PrefetchState {
    /// Listings not yet taken, by path (as the walk spells it).
    ready: HashMap<PathBuf, Listing>,
    /// Entries in `ready`: the lister waits while there are [`PREFETCH_AHEAD`] or more,
    /// so that its memory does not grow with the tree.
    entries: usize,
    /// The lister waits for the walk to take listings.
    waiting: bool,
    /// Every folder that will be listed is (the others are listed by the walk itself).
    done: bool,
}

/// How many entries the lister may hold ahead of the walk (a few folders).
const PREFETCH_AHEAD: usize = 2048;

fn listing_len(l: &Listing) -> usize {
    l.as_ref().map_or(1, |v| v.len().max(1))
}

impl Prefetch {
    /// Lists `dir` and the folders under it in the walk's order, then marks the end.
    fn run(&self, dir: &Path, opts: &FolderImportOptions) {
        self.list(dir, 0, opts);
        if let Ok(mut st) = self.state.lock() {
            st.done = true;
        }
        self.listed.notify_all();
    }

    /// Lists `dir`, then the folders under it unless it is a `##group##` folder (the
    /// walk takes only the files of those).
    fn list(&self, dir: &Path, depth: usize, opts: &FolderImportOptions) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        while st.entries >= PREFETCH_AHEAD && !self.stop.load(Ordering::Relaxed) {
            st.waiting = true;
            self.listed.notify_all();
            st = match self.listed.wait(st) {
                Ok(st) => st,
                Err(_) => return,
            };
        }
        st.waiting = false;
        drop(st);
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let listing = sorted_entries(dir);
        let group = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(group_folder);
        let subdirs: Vec<PathBuf> = match (&listing, depth < opts.max_depth && !group) {
            (Ok(v), true) => v
                .iter()
                .filter(|(name, md, _)| md.is_dir() && !(opts.skip_hidden && name.starts_with('.')))
                .map(|(_, _, path)| path.clone())
                .collect(),
            _ => Vec::new(),
        };
        if let Ok(mut st) = self.state.lock() {
            st.entries += listing_len(&listing);
            st.ready.insert(dir.to_path_buf(), listing);
        }
        self.listed.notify_all();
        for d in &subdirs {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            self.list(d, depth + 1, opts);
        }
    }

    /// The listing of `dir`, once listed; `None` when it will not be, or not soon (the
    /// walk lists it itself).
    fn take(&self, dir: &Path) -> Option<Listing> {
        let mut st = self.state.lock().ok()?;
        loop {
            if let Some(l) = st.ready.remove(dir) {
                st.entries -= listing_len(&l);
                drop(st);
                self.listed.notify_all();
                return Some(l);
            }
            if st.done || st.waiting {
                return None;
            }
            st = self.listed.wait(st).ok()?;
        }
    }
}

/// `("BinaryMaster_1", "x.pdf")` for `__BinaryMaster_1__x.pdf`.
pub(crate) fn split_usage(name: &str) -> Option<(String, String)> {
    let c = usage_file().captures(name)?;
    Some((format!("{}_{}", &c[1], &c[2]), c[3].to_string()))
}

fn group_folder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("##") && name.ends_with("##")
}

fn sorted_entries(dir: &Path) -> Listing {
    let mut v = Vec::new();
    for de in fs::read_dir(dir).map_err(|e| Error::from(e).with_path(dir))? {
        let de = de.map_err(|e| Error::from(e).with_path(dir))?;
        let path = de.path();
        let name = de.file_name().into_string().map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "file name is not valid UTF-8").with_path(&path)
        })?;
        // `DirEntry::metadata` does not follow links and stats relative to the open folder.
        let md = de.metadata().map_err(|e| Error::from(e).with_path(&path))?;
        v.push((name, md, path));
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(v)
}

impl SipBuilder {
    /// Imports `dir`: its folders and files become units under `parent` (or top-level
    /// units), following ReSIP's conventions: folders become `RecordGrp` units, files
    /// `Item` units with one `BinaryMaster_1` object, `__USAGE_N__name` files and `##name##`
    /// folders objects of the enclosing unit, `__ArchiveUnitMetadata.xml` the unit's metadata.
    ///
    /// ```
    /// use vas_core::seda::SedaVersion;
    /// use vas_core::sip::{FolderImportOptions, SipBuilder};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let d = dir.path().join("Minutes");
    /// std::fs::create_dir(&d).unwrap();
    /// std::fs::write(d.join("2024-01.pdf"), b"%PDF-1.4").unwrap();
    /// std::fs::write(d.join("__Dissemination_1__minutes.txt"), b"text").unwrap();
    ///
    /// let mut b = SipBuilder::new(SedaVersion::V2_2);
    /// let imp = b.import_folder(dir.path(), None, &FolderImportOptions::default()).unwrap();
    /// assert_eq!(b.unit_count(), 2); // Minutes, 2024-01.pdf
    /// assert_eq!(imp.objects, 2);
    /// assert!(imp.units.contains_key("Minutes/2024-01.pdf"));
    /// ```
    pub fn import_folder(
        &mut self,
        dir: impl AsRef<Path>,
        parent: Option<UnitId>,
        opts: &FolderImportOptions,
    ) -> Result<FolderImport> {
        let dir = dir.as_ref();
        let md = fs::metadata(dir).map_err(|e| Error::from(e).with_path(dir))?;
        if !md.is_dir() {
            return Err(Error::invalid("not a folder").with_path(dir));
        }
        let mut out = FolderImport::default();
        let root = fs::canonicalize(dir).map_err(|e| Error::from(e).with_path(dir))?;
        let mut links = Vec::new();
        // On several threads, the folders are listed (and their entries' metadata read)
        // by another thread while this one walks them in order.
        let prefetch = Prefetch::default();
        let walked = std::thread::scope(|scope| {
            let listed = if rayon::current_num_threads() > 1 {
                let p = &prefetch;
                scope.spawn(move || p.run(dir, opts));
                Some(&prefetch)
            } else {
                None
            };
            let mut ctx = Ctx {
                opts,
                root: &root,
                links: &mut links,
                listed,
            };
            let r = self.import_dir(dir, "", parent, &mut ctx, 0, &mut out);
            prefetch.stop.store(true, Ordering::Relaxed);
            // Wakes the lister if it waits for room.
            if let Ok(_st) = prefetch.state.lock() {
                prefetch.listed.notify_all();
            }
            r
        });
        walked?;
        for (parent, target, link) in links {
            let child = *out.units.get(&target).ok_or_else(|| {
                Error::invalid(format!(
                    "link target {target:?} is not an imported unit (hidden, object or group file?)"
                ))
                .with_path(&link)
            })?;
            self.link(parent, child).map_err(|e| e.or_path(&link))?;
        }
        Ok(out)
    }

    fn import_dir(
        &mut self,
        abs: &Path,
        rel: &str,
        unit: Option<UnitId>,
        ctx: &mut Ctx<'_>,
        depth: usize,
        out: &mut FolderImport,
    ) -> Result<()> {
        let opts = ctx.opts;
        if depth > opts.max_depth {
            return Err(Error::new(
                ErrorKind::LimitExceeded,
                format!("folders nested deeper than {}", opts.max_depth),
            )
            .with_path(abs));
        }
        let entries = ctx.entries(abs)?;
        let join = |n: &str| {
            if rel.is_empty() {
                n.to_string()
            } else {
                format!("{rel}/{n}")
            }
        };
        for (name, md, path) in entries {
            if opts.skip_hidden && name.starts_with('.') {
                continue;
            }
            if name == "__ArchiveUnitMetadata.xml" {
                let Some(u) = unit else { continue };
                let xml = fs::read_to_string(&path).map_err(|e| Error::from(e).with_path(&path))?;
                let data = self.unit_mut(u)?;
                if let Some(t) = sidecar_title(&xml) {
                    data.title = t;
                }
                data.sidecar_xml = Some(xml);
                continue;
            }
            if md.file_type().is_symlink() {
                if !opts.links_as_references {
                    return Err(
                        Error::new(ErrorKind::Unsafe, "symbolic links are not imported")
                            .with_path(&path),
                    );
                }
                let Some(u) = unit else {
                    return Err(Error::invalid(
                        "a link at the top of the imported folder has no enclosing unit",
                    )
                    .with_path(&path));
                };
                let target = fs::canonicalize(&path).map_err(|e| {
                    Error::new(ErrorKind::InvalidInput, format!("dangling link: {e}"))
                        .with_path(&path)
                })?;
                let Ok(inside) = target.strip_prefix(ctx.root) else {
                    return Err(Error::new(
                        ErrorKind::Unsafe,
                        "link points outside the imported folder",
                    )
                    .with_path(&path));
                };
                let rel_target = inside
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                ctx.links.push((u, rel_target, path.clone()));
                continue;
            }
            if md.is_dir() {
                if group_folder(&name) {
                    let u = unit.ok_or_else(|| {
                        Error::invalid("a ##group## folder needs an enclosing unit folder")
                            .with_path(&path)
                    })?;
                    let mut n = 0;
                    for (fname, fmd, fpath) in ctx.entries(&path)? {
                        if fmd.file_type().is_symlink() {
                            return Err(Error::new(
                                ErrorKind::Unsafe,
                                "symbolic links are not imported in ##group## folders",
                            )
                            .with_path(&fpath));
                        }
                        if !fmd.is_file() || (opts.skip_hidden && fname.starts_with('.')) {
                            continue;
                        }
                        if fname.ends_with("DataObjectMetadata.xml") {
                            continue;
                        }
                        let obj = match split_usage(&fname) {
                            Some((usage, real)) => ObjectInput::path_with_metadata(&fpath, &fmd)
                                .usage(&usage)
                                .filename(&real),
                            None => {
                                n += 1;
                                ObjectInput::path_with_metadata(&fpath, &fmd)
                                    .usage(&format!("BinaryMaster_{n}"))
                            }
                        };
                        self.add_object(u, obj).map_err(|e| e.or_path(&fpath))?;
                        out.objects += 1;
                    }
                    continue;
                }
                let child = self.add_unit(unit, &name)?;
                self.unit_mut(child)?.description_level = Some("RecordGrp".into());
                let r = join(&name);
                out.units.insert(r.clone(), child);
                self.import_dir(&path, &r, Some(child), ctx, depth + 1, out)?;
            } else if md.is_file() {
                if let Some((usage, real)) = split_usage(&name) {
                    if real.ends_with("DataObjectMetadata.xml") {
                        continue;
                    }
                    let u = unit.ok_or_else(|| {
                        Error::invalid("a __USAGE_N__ object file needs an enclosing unit folder")
                            .with_path(&path)
                    })?;
                    self.add_object(
                        u,
                        ObjectInput::path_with_metadata(&path, &md)
                            .usage(&usage)
                            .filename(&real),
                    )
                    .map_err(|e| e.or_path(&path))?;
                    out.objects += 1;
                } else {
                    let child = self.add_unit(unit, &name)?;
                    self.unit_mut(child)?.description_level = Some("Item".into());
                    self.add_object(child, ObjectInput::path_with_metadata(&path, &md))?;
                    out.units.insert(join(&name), child);
                    out.objects += 1;
                }
            } else {
                return Err(Error::new(
                    ErrorKind::Unsafe,
                    "special file (device, fifo, socket) not imported",
                )
                .with_path(&path));
            }
        }
        Ok(())
    }
}

/// The first `Content/Title` text of a sidecar, if any (cheap scan).
fn sidecar_title(xml: &str) -> Option<String> {
    let start = xml.find("<Title")?;
    let gt = start + xml[start..].find('>')?;
    if xml[start..gt].ends_with('/') {
        return None;
    }
    let end = gt + xml[gt..].find("</Title>")?;
    let raw = &xml[gt + 1..end];
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_names() {
        assert_eq!(
            split_usage("__BinaryMaster_1__x.pdf"),
            Some(("BinaryMaster_1".into(), "x.pdf".into()))
        );
        assert_eq!(split_usage("__x.pdf"), None);
        assert!(group_folder("##lettre##"));
        assert!(!group_folder("####"));
        assert_eq!(
            sidecar_title("<Content><Title xml:lang=\"fr\">A &amp; B</Title></Content>").as_deref(),
            Some("A & B")
        );
    }
}
