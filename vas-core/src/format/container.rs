//! Container identification: ZIP- and OLE2-based formats (DOCX, ODT, XLS …) matched against the
//! DROID container-signature file.

use std::collections::HashMap;
use std::io::{Read, Seek};

use super::Engine;
use super::droid::{ContainerKind, Seq};

/// Largest entry prefix read for a container-file signature.
const ENTRY_LIMIT: u64 = 1 << 20;

/// A compiled container-file requirement.
#[derive(Debug)]
pub(crate) struct CFile {
    /// Path as written in the signature file.
    pub path: String,
    /// Alternative signatures (each: every sequence must match); empty = presence suffices.
    pub signatures: Vec<Vec<Seq>>,
}

/// A compiled container signature.
#[derive(Debug)]
pub(crate) struct CSig {
    pub id: u32,
    pub kind: ContainerKind,
    pub files: Vec<CFile>,
    /// Format indices this signature maps to.
    pub formats: Vec<usize>,
}

/// Normalises an OLE2 / ZIP path for comparison: OLE2 stream names lose their leading
/// control characters (`\u{1}CompObj` is written `CompObj` in the signature file).
/// Borrowed (no allocation) when there is nothing to remove, as for every ZIP path of the
/// bundled container signatures: `has` is called for each container signature of the
/// kind on every container file.
fn norm(p: &str) -> std::borrow::Cow<'_, str> {
    let plain = !p.starts_with('/')
        && p.split('/')
            .all(|c| !c.starts_with(|ch: char| ch.is_control()));
    if plain {
        return std::borrow::Cow::Borrowed(p);
    }
    std::borrow::Cow::Owned(
        p.trim_start_matches('/')
            .split('/')
            .map(|c| c.trim_start_matches(|ch: char| ch.is_control()))
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// Content of the entries a container holds, read lazily.
trait Container {
    fn has(&mut self, path: &str) -> bool;
    fn read(&mut self, path: &str) -> Option<Vec<u8>>;
}

struct ZipC<R: Read + Seek> {
    zip: zip::ZipArchive<R>,
    names: HashMap<String, usize>,
}

impl<R: Read + Seek> Container for ZipC<R> {
    fn has(&mut self, path: &str) -> bool {
        self.names.contains_key(norm(path).as_ref())
    }
    fn read(&mut self, path: &str) -> Option<Vec<u8>> {
        let i = *self.names.get(norm(path).as_ref())?;
        let f = self.zip.by_index(i).ok()?;
        let mut v = Vec::new();
        f.take(ENTRY_LIMIT).read_to_end(&mut v).ok()?;
        Some(v)
    }
}

struct OleC<R: Read + Seek> {
    cfb: cfb::CompoundFile<R>,
    names: HashMap<String, std::path::PathBuf>,
}

impl<R: Read + Seek> Container for OleC<R> {
    fn has(&mut self, path: &str) -> bool {
        self.names.contains_key(norm(path).as_ref())
    }
    fn read(&mut self, path: &str) -> Option<Vec<u8>> {
        let p = self.names.get(norm(path).as_ref())?.clone();
        let s = self.cfb.open_stream(&p).ok()?;
        let mut v = Vec::new();
        s.take(ENTRY_LIMIT).read_to_end(&mut v).ok()?;
        Some(v)
    }
}

fn open<'r, R: Read + Seek + 'r>(kind: ContainerKind, r: R) -> Option<Box<dyn Container + 'r>> {
    match kind {
        ContainerKind::Zip => {
            let zip = zip::ZipArchive::new(r).ok()?;
            let mut names = HashMap::new();
            for i in 0..zip.len() {
                if let Some(Ok(n)) = zip.name_for_index(i) {
                    names.entry(norm(&n).into_owned()).or_insert(i);
                }
            }
            Some(Box::new(ZipC { zip, names }))
        }
        ContainerKind::Ole2 => {
            let cfb = cfb::CompoundFile::open(r).ok()?;
            let mut names = HashMap::new();
            for e in cfb.walk() {
                let p = e.path().to_string_lossy().into_owned();
                names
                    .entry(norm(&p).into_owned())
                    .or_insert_with(|| e.path().to_path_buf());
            }
            Some(Box::new(OleC { cfb, names }))
        }
    }
}

/// Runs the container signatures of `kind` on the container read from `r`; returns
/// `(format index, container signature id, path of the first file)` for every match.
pub(crate) fn identify<R: Read + Seek>(
    engine: &Engine,
    sigs: &[CSig],
    kind: ContainerKind,
    r: R,
) -> Vec<(usize, u32, String)> {
    let Some(mut c) = open(kind, r) else {
        return Vec::new();
    };
    let mut cache: HashMap<String, Option<Vec<u8>>> = HashMap::new();
    let mut out = Vec::new();
    'sig: for s in sigs.iter().filter(|s| s.kind == kind) {
        for f in &s.files {
            if !c.has(&f.path) {
                continue 'sig;
            }
            if f.signatures.is_empty() {
                continue;
            }
            let data = cache
                .entry(f.path.clone())
                .or_insert_with(|| c.read(&f.path));
            let Some(data) = data.as_deref() else {
                continue 'sig;
            };
            let w = super::Windows::of_bytes(data, u64::MAX as usize);
            if !f
                .signatures
                .iter()
                .any(|seqs| engine.match_seqs(seqs, &w).is_some())
            {
                continue 'sig;
            }
        }
        let first = s.files.first().map(|f| f.path.clone()).unwrap_or_default();
        for &fi in &s.formats {
            out.push((fi, s.id, first.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::norm;

    #[test]
    fn normalised_paths() {
        assert_eq!(norm("\u{1}CompObj"), "CompObj");
        assert_eq!(
            norm("/Root Entry/\u{5}SummaryInformation"),
            "Root Entry/SummaryInformation"
        );
        assert_eq!(norm("META-INF/manifest.xml"), "META-INF/manifest.xml");
        assert!(matches!(
            norm("META-INF/manifest.xml"),
            std::borrow::Cow::Borrowed(_)
        ));
        // Every case agrees with the definition (leading `/` and the control characters
        // starting each component removed).
        for p in [
            "",
            "/",
            "//a",
            "a//b",
            "a/\u{1}b/c",
            "\u{5}x",
            "x/\u{7}",
            "a/b/",
            "\u{1}\u{2}y/z",
        ] {
            let want = p
                .trim_start_matches('/')
                .split('/')
                .map(|c| c.trim_start_matches(|ch: char| ch.is_control()))
                .collect::<Vec<_>>()
                .join("/");
            assert_eq!(norm(p), want, "{p:?}");
        }
    }
}
