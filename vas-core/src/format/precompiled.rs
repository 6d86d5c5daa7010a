//! The bundled signature files, parsed ahead of time: a compact binary form of the parsed
//! DROID signature file and container-signature file (`data/format/bundled.pronom`), decoded
//! by [`FormatRegistry::bundled`](super::FormatRegistry::bundled) in a fraction of the time
//! gunzipping and parsing the XML takes.
//!
//! The blob holds exactly what [`droid::parse_signature_file`] and
//! [`droid::parse_container_file`] return (format records, signatures as compiled byte
//! sequences, container signatures, mappings and triggers); the registry is then compiled from
//! it by the same code as from the XML (`FormatRegistry::from_raw`), so both give the same
//! registry. The file is generated from the bundled XML by the test
//! `format::precompiled::tests::bundled_blob_is_up_to_date` (`VAS_BLESS=1` rewrites it),
//! which fails when the blob no longer matches what the parsers give for the XML.
//!
//! Layout: the magic `VASPRONOM1\n`, then every field in order, integers as LEB128 varints,
//! byte strings and strings as a varint length followed by the bytes, lists as a varint
//! count followed by the items.

#[cfg(test)]
use super::droid;
use super::droid::{
    Anchor, ContainerKind, RawContainerFile, RawContainerFileSet, RawContainerSig, RawFormat,
    RawSignature, RawSignatureFile, Seq,
};
use super::pattern::{Atom, ByteSet};
use crate::blob::BlobReader as Reader;
#[cfg(test)]
use crate::blob::BlobWriter as Writer;
use crate::{Error, Result};

/// First bytes of the blob (a new layout gets a new magic).
const MAGIC: &[u8] = b"VASPRONOM1\n";

/// Deepest nesting of alternatives accepted when decoding (the parsers produce one or two
/// levels; a corrupt blob must not overflow the stack).
const MAX_DEPTH: u32 = 64;

#[cfg(test)]
/// Encodes the parsed signature files (see the module documentation for the layout).
pub(crate) fn encode(sig: &RawSignatureFile, con: Option<&RawContainerFileSet>) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1 << 19));
    w.0.extend_from_slice(MAGIC);
    w.str(&sig.version);
    w.uint(sig.formats.len() as u64);
    for f in &sig.formats {
        w.uint(f.id.into());
        w.str(&f.puid);
        w.str(&f.name);
        w.str(&f.version);
        w.strs(&f.mimes);
        w.strs(&f.extensions);
        w.ids(&f.signature_ids);
        w.ids(&f.priority_over);
    }
    w.sigs(&sig.signatures);
    match con {
        None => w.uint(0),
        Some(c) => {
            w.uint(1);
            w.str(&c.version);
            w.uint(c.signatures.len() as u64);
            for s in &c.signatures {
                w.uint(s.id.into());
                w.kind(s.kind);
                w.str(&s.description);
                w.uint(s.files.len() as u64);
                for f in &s.files {
                    w.str(&f.path);
                    w.sigs(&f.signatures);
                }
            }
            w.uint(c.mappings.len() as u64);
            for (id, puid) in &c.mappings {
                w.uint((*id).into());
                w.str(puid);
            }
            w.uint(c.triggers.len() as u64);
            for (k, puid) in &c.triggers {
                w.kind(*k);
                w.str(puid);
            }
        }
    }
    w.0
}

/// Decodes a blob made by [`encode`]. A blob that is not one (wrong magic, truncated,
/// trailing bytes, out-of-range values) is an [`ErrorKind::Internal`](crate::ErrorKind)
/// error naming the byte offset: the bundled blob is part of the library.
pub(crate) fn decode(blob: &[u8]) -> Result<(RawSignatureFile, Option<RawContainerFileSet>)> {
    let Some(rest) = blob.strip_prefix(MAGIC) else {
        return Err(Error::internal(
            "precompiled signature blob: wrong magic (not made by this version of vas)",
        ));
    };
    let mut r = Reader::new(rest, MAGIC.len(), "signature");
    let version = r.string()?;
    let n = r.count()?;
    let mut formats = Vec::with_capacity(n);
    for _ in 0..n {
        formats.push(RawFormat {
            id: r.u32()?,
            puid: r.string()?,
            name: r.string()?,
            version: r.string()?,
            mimes: r.strings()?,
            extensions: r.strings()?,
            signature_ids: r.u32s()?,
            priority_over: r.u32s()?,
        });
    }
    let signatures = r.sigs()?;
    let sig = RawSignatureFile {
        version,
        signatures,
        formats,
    };
    let con = match r.uint()? {
        0 => None,
        1 => {
            let version = r.string()?;
            let n = r.count()?;
            let mut signatures = Vec::with_capacity(n);
            for _ in 0..n {
                let id = r.u32()?;
                let kind = r.kind()?;
                let description = r.string()?;
                let nf = r.count()?;
                let mut files = Vec::with_capacity(nf);
                for _ in 0..nf {
                    files.push(RawContainerFile {
                        path: r.string()?,
                        signatures: r.sigs()?,
                    });
                }
                signatures.push(RawContainerSig {
                    id,
                    kind,
                    description,
                    files,
                });
            }
            let n = r.count()?;
            let mut mappings = Vec::with_capacity(n);
            for _ in 0..n {
                mappings.push((r.u32()?, r.string()?));
            }
            let n = r.count()?;
            let mut triggers = Vec::with_capacity(n);
            for _ in 0..n {
                triggers.push((r.kind()?, r.string()?));
            }
            Some(RawContainerFileSet {
                version,
                signatures,
                mappings,
                triggers,
            })
        }
        _ => return Err(r.bad("container flag")),
    };
    if !r.at_end() {
        return Err(r.bad("trailing bytes"));
    }
    Ok((sig, con))
}

#[cfg(test)]
/// Parses the two XML texts like [`FormatRegistry::from_xml`](super::FormatRegistry::from_xml)
/// does and encodes the result: what the bundled blob must contain.
pub(crate) fn encode_xml(signature_xml: &str, container_xml: Option<&str>) -> Result<Vec<u8>> {
    let sig = droid::parse_signature_file(signature_xml)?;
    let con = container_xml.map(droid::parse_container_file).transpose()?;
    Ok(encode(&sig, con.as_ref()))
}

#[cfg(test)]
impl Writer {
    fn kind(&mut self, k: ContainerKind) {
        self.0.push(match k {
            ContainerKind::Zip => 0,
            ContainerKind::Ole2 => 1,
        });
    }
    fn sigs(&mut self, sigs: &[RawSignature]) {
        self.uint(sigs.len() as u64);
        for s in sigs {
            self.uint(s.id.into());
            self.uint(s.seqs.len() as u64);
            for q in &s.seqs {
                self.0.push(match q.anchor {
                    Anchor::Bof => 0,
                    Anchor::Eof => 1,
                    Anchor::Var => 2,
                });
                self.atoms(&q.atoms);
            }
        }
    }
    fn atoms(&mut self, atoms: &[Atom]) {
        self.uint(atoms.len() as u64);
        for a in atoms {
            match a {
                Atom::Lit(v, _) => {
                    self.0.push(0);
                    self.bytes(v);
                }
                Atom::Class(c) => {
                    self.0.push(1);
                    for w in c.words() {
                        self.0.extend_from_slice(&w.to_le_bytes());
                    }
                }
                Atom::NotSeq(v) => {
                    self.0.push(2);
                    self.bytes(v);
                }
                Atom::Range { lo, hi, neg, rev } => {
                    self.0.push(3);
                    self.bytes(lo);
                    self.bytes(hi);
                    self.0.push(u8::from(*neg) | u8::from(*rev) << 1);
                }
                Atom::Alt(alts) => {
                    self.0.push(4);
                    self.uint(alts.len() as u64);
                    for alt in alts {
                        self.atoms(alt);
                    }
                }
                Atom::Gap { min, max } => {
                    self.0.push(5);
                    self.uint(*min as u64);
                    // 0: unbounded, n + 1: at most n.
                    self.uint(max.map_or(0, |m| m as u64 + 1));
                }
            }
        }
    }
}

impl Reader<'_> {
    fn kind(&mut self) -> Result<ContainerKind> {
        match self.byte()? {
            0 => Ok(ContainerKind::Zip),
            1 => Ok(ContainerKind::Ole2),
            _ => Err(self.bad("container kind")),
        }
    }
    fn sigs(&mut self) -> Result<Vec<RawSignature>> {
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let id = self.u32()?;
            let nq = self.count()?;
            let mut seqs = Vec::with_capacity(nq);
            for _ in 0..nq {
                let anchor = match self.byte()? {
                    0 => Anchor::Bof,
                    1 => Anchor::Eof,
                    2 => Anchor::Var,
                    _ => return Err(self.bad("anchor")),
                };
                seqs.push(Seq {
                    anchor,
                    atoms: self.atoms(0)?,
                });
            }
            out.push(RawSignature { id, seqs });
        }
        Ok(out)
    }
    fn atoms(&mut self, depth: u32) -> Result<Vec<Atom>> {
        if depth > MAX_DEPTH {
            return Err(self.bad("nesting of alternatives"));
        }
        let n = self.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(match self.byte()? {
                0 => Atom::lit(self.vec()?),
                1 => {
                    let mut w = [0u64; 4];
                    for x in &mut w {
                        let end = self.pos + 8;
                        let b = self
                            .data
                            .get(self.pos..end)
                            .ok_or_else(|| self.bad("byte class (truncated)"))?;
                        *x = u64::from_le_bytes(b.try_into().expect("8 bytes"));
                        self.pos = end;
                    }
                    Atom::Class(Box::new(ByteSet::from_words(w)))
                }
                2 => Atom::NotSeq(self.vec()?),
                3 => {
                    let lo = self.vec()?;
                    let hi = self.vec()?;
                    let f = self.byte()?;
                    if f > 3 {
                        return Err(self.bad("range flags"));
                    }
                    Atom::Range {
                        lo,
                        hi,
                        neg: f & 1 != 0,
                        rev: f & 2 != 0,
                    }
                }
                4 => {
                    let k = self.count()?;
                    let mut alts = Vec::with_capacity(k);
                    for _ in 0..k {
                        alts.push(self.atoms(depth + 1)?);
                    }
                    Atom::Alt(alts)
                }
                5 => {
                    let min = self.usize()?;
                    let max = match self.usize()? {
                        0 => None,
                        m => Some(m - 1),
                    };
                    Atom::Gap { min, max }
                }
                _ => return Err(self.bad("atom tag")),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BUNDLED_CONTAINERS, BUNDLED_PRECOMPILED, BUNDLED_SIGNATURES, to_text};
    use super::*;

    fn bundled_xml() -> (String, String) {
        let sig = to_text(BUNDLED_SIGNATURES.to_vec(), "bundled signature file").unwrap();
        let con = to_text(BUNDLED_CONTAINERS.to_vec(), "bundled container file").unwrap();
        (sig, con)
    }

    /// The committed blob is what the parsers give for the bundled XML files today. A change
    /// of the parsers, of the pattern compiler or of the bundled files makes it stale:
    /// `VAS_BLESS=1 cargo test -p vas-core --lib format::precompiled` rewrites it.
    #[test]
    fn bundled_blob_is_up_to_date() {
        let (sig, con) = bundled_xml();
        let fresh = encode_xml(&sig, Some(&con)).unwrap();
        if std::env::var_os("VAS_BLESS").is_some_and(|v| v == "1") {
            let p = concat!(env!("CARGO_MANIFEST_DIR"), "/data/format/bundled.pronom");
            std::fs::write(p, &fresh).unwrap();
            return;
        }
        assert!(
            fresh == BUNDLED_PRECOMPILED,
            "data/format/bundled.pronom is stale ({} bytes, the XML gives {}): run \
             VAS_BLESS=1 cargo test -p vas-core --lib format::precompiled",
            BUNDLED_PRECOMPILED.len(),
            fresh.len()
        );
    }

    /// Decoding then encoding gives the same bytes (nothing is lost on the way, e.g. a byte
    /// class, a range's flags, an unbounded gap, an empty container list).
    #[test]
    fn decode_then_encode_is_the_identity() {
        let (sig, con) = decode(BUNDLED_PRECOMPILED).unwrap();
        assert_eq!(sig.version, "109");
        let con = con.expect("the bundled blob has container signatures");
        assert_eq!(con.version, "25"); // the file is container-signature-20200121
        assert_eq!(encode(&sig, Some(&con)), BUNDLED_PRECOMPILED);
        // Every kind of atom is in the bundled signatures (so the identity covers them).
        fn kinds(atoms: &[Atom], seen: &mut [bool; 7]) {
            for a in atoms {
                let k = match a {
                    Atom::Lit(..) => 0,
                    Atom::Class(_) => 1,
                    Atom::NotSeq(_) => 2,
                    Atom::Range { .. } => 3,
                    Atom::Alt(alts) => {
                        alts.iter().for_each(|x| kinds(x, seen));
                        4
                    }
                    Atom::Gap { max: Some(_), .. } => 5,
                    Atom::Gap { max: None, .. } => 6,
                };
                seen[k] = true;
            }
        }
        let mut seen = [false; 7];
        for s in sig.signatures.iter().chain(
            con.signatures
                .iter()
                .flat_map(|c| &c.files)
                .flat_map(|f| &f.signatures),
        ) {
            for q in &s.seqs {
                kinds(&q.atoms, &mut seen);
            }
        }
        assert_eq!(seen, [true; 7], "atom kinds present");
        // Without containers.
        let blob = encode(&sig, None);
        let (sig2, con2) = decode(&blob).unwrap();
        assert!(con2.is_none());
        assert_eq!(encode(&sig2, None), blob);
    }

    /// A damaged blob is refused with an error naming the offset, never a panic nor a huge
    /// allocation: every truncation, and single-byte changes all along the blob.
    #[test]
    fn damaged_blobs_are_refused() {
        let blob = BUNDLED_PRECOMPILED;
        let e = decode(b"VASPRONOM0\n").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Internal);
        assert!(e.to_string().contains("magic"), "{e}");
        let step = (blob.len() / 150).max(1);
        for cut in (0..blob.len()).step_by(step) {
            let e = decode(&blob[..cut]).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Internal);
        }
        let mut long = blob.to_vec();
        long.push(0);
        let e = decode(&long).unwrap_err();
        assert!(e.to_string().contains("trailing"), "{e}");
        assert!(
            e.to_string().contains(&format!("byte {}", blob.len())),
            "{e}"
        );
        let mut bad = blob.to_vec();
        for (k, i) in (MAGIC.len()..blob.len()).step_by(step).enumerate() {
            let old = bad[i];
            bad[i] = [0xff, 0x80, 0x00, 0x7f][k % 4];
            // Either refused or decoded into something: no panic.
            let _ = decode(&bad);
            bad[i] = old;
        }
    }
}
