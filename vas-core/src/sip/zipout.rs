//! The zip container written by [`super::PackageWriter`]: local headers, entry data, the
//! central directory and the zip64 records when needed.
//!
//! Its container bytes (headers, central directory, zip64 records) are those the `zip`
//! crate's `ZipWriter` (9.8.x) wrote for the same entries and options, and so is the whole
//! package when every entry is streamed through zlib-rs (checked byte for byte by the tests
//! below). It also takes entries that were deflated beforehand by a [`Deflater`] — one
//! reused per thread, instead of a fresh encoder per entry: a fresh zlib-rs encoder
//! allocates and zeroes ~300 KiB of state (window, hash chains, pending buffer), which for a
//! 4 KiB file costs more than compressing it. Entries of at most [`WHOLE_DEFLATE_MAX`]
//! bytes are deflated whole by libdeflate instead (faster, and as small or smaller).

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::writer::SeekBuf;
use crate::error::{Error, ErrorKind, Result};

/// Sizes and offsets from this value on need zip64 fields (`u32::MAX`).
const ZIP64_BYTES_THR: u64 = u32::MAX as u64;
/// More entries than this need the zip64 end of central directory record.
const ZIP64_ENTRY_THR: usize = u16::MAX as usize;
/// Unix file type bits of a regular file and of a directory.
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
/// "Version made by": Unix (3) in the high byte.
const MADE_BY_UNIX: u16 = 3 << 8;
/// General purpose flag: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;

/// One entry, as the central directory describes it.
struct CdEntry {
    name: Box<[u8]>,
    method: u16,
    flags: u16,
    version_needed: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
    large: bool,
    external: u32,
}

/// An entry deflated ahead of writing, possibly on another thread (see [`Deflater`]).
pub(crate) struct Deflated {
    /// The raw deflate stream.
    pub(crate) data: Vec<u8>,
    /// CRC-32 of the uncompressed bytes.
    pub(crate) crc: u32,
    /// Uncompressed size.
    pub(crate) size: u64,
    /// Whether the entry was announced as possibly ≥ 4 GiB (zip64 fields in its local
    /// header), as the streamed entry would have been.
    pub(crate) large: bool,
}

/// Entries of at most this many bytes are deflated whole, in one call to libdeflate
/// (≈1.4× faster than zlib-rs at the same level on small files, and a few percent smaller);
/// larger ones are streamed through zlib-rs in the fixed pieces of
/// [`super::writer::next_cut`], with flat memory. The choice depends only on the entry's
/// length, so an entry gets the same bytes whichever way it is written (streamed, deflated
/// ahead of writing on another thread, produced).
pub(crate) const WHOLE_DEFLATE_MAX: usize = 1 << 20;

/// The raw deflate stream of no data: one final block with the fixed Huffman codes and
/// only its end-of-block code (what zlib writes at every level).
const EMPTY_DEFLATE: [u8; 2] = [0x03, 0x00];

/// The deflate compressors of one thread, kept from entry to entry, and the entry being
/// deflated ([`Deflater::begin`], [`Deflater::feed`], [`Deflater::end`]).
///
/// An entry of at most [`WHOLE_DEFLATE_MAX`] bytes is held until its end, then deflated
/// whole by libdeflate; a longer one goes through a raw zlib-rs encoder in the pieces of
/// [`super::writer::next_cut`]. The zlib-rs encoder is reset between entries (a clear of
/// the hash heads, 128 KiB) where a fresh one allocates and zeroes its whole state; its
/// bytes are those of a fresh `flate2` `DeflateEncoder` fed the same pieces (the `zip`
/// crate's own encoder cache relies on the same property).
pub(crate) struct Deflater {
    enc: Option<(u32, flate2::write::DeflateEncoder<Vec<u8>>)>,
    whole: Option<(u32, libdeflater::Compressor)>,
    /// The entry being deflated.
    cur: Option<EntryState>,
    /// The input of the current entry while it may still be deflated whole.
    pending: Vec<u8>,
    /// The start of the streaming encoder's next piece, until its cut is reached.
    piece: Vec<u8>,
    /// [`WHOLE_DEFLATE_MAX`]; in unit tests, the test thread's `tests::WHOLE_MAX` when the
    /// deflater was made (0: every entry streamed, as the `zip` crate does).
    whole_max: usize,
}

/// The entry a [`Deflater`] is deflating.
#[derive(Clone, Copy)]
struct EntryState {
    level: u32,
    auto: bool,
    /// Input bytes given to the streaming encoder so far.
    total: u64,
    /// Whether the entry goes through the streaming encoder (it is, or is announced,
    /// longer than the whole-entry limit).
    streaming: bool,
}

impl Default for Deflater {
    fn default() -> Self {
        #[cfg(not(test))]
        let whole_max = WHOLE_DEFLATE_MAX;
        #[cfg(test)]
        let whole_max = tests::WHOLE_MAX.get();
        Deflater {
            enc: None,
            whole: None,
            cur: None,
            pending: Vec::new(),
            piece: Vec::new(),
            whole_max,
        }
    }
}

/// Where a [`Deflater`] puts the deflated bytes of an entry, as they come.
pub(crate) type DeflateOut<'a> = dyn FnMut(&[u8]) -> io::Result<()> + 'a;

impl Deflater {
    fn check_level(level: u32) -> Result<()> {
        if !(1..=9).contains(&level) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("unsupported deflate level {level} (1 to 9)"),
            ));
        }
        Ok(())
    }

    /// Starts an entry deflated at `level` (1–9); `auto` when its compression was
    /// [`super::writer::Compression::Auto`] (the first piece of a streamed entry is then
    /// the probe); `size` is its announced length, if known (an entry announced longer
    /// than the whole-entry limit streams from its first byte).
    pub(crate) fn begin(&mut self, level: u32, auto: bool, size: Option<u64>) -> Result<()> {
        Self::check_level(level)?;
        self.pending.clear();
        self.piece.clear();
        let streaming = size.is_some_and(|s| s > self.whole_max as u64);
        self.cur = Some(EntryState {
            level,
            auto,
            total: 0,
            streaming,
        });
        Ok(())
    }

    /// Deflates the next bytes of the entry begun with [`Deflater::begin`]; what is ready
    /// goes to `out`. After an error, call [`Deflater::discard`].
    pub(crate) fn feed(&mut self, data: &[u8], out: &mut DeflateOut<'_>) -> io::Result<()> {
        let Some(e) = &mut self.cur else {
            return Err(io::Error::other("deflater: no entry begun"));
        };
        if !e.streaming {
            if self.pending.len() + data.len() <= self.whole_max {
                self.pending.extend_from_slice(data);
                return Ok(());
            }
            // Longer than the limit: what was held goes first, through the stream.
            e.streaming = true;
            let held = std::mem::take(&mut self.pending);
            let r = self.stream(&held, out);
            self.pending = held;
            self.pending.clear();
            r?;
        }
        self.stream(data, out)
    }

    /// The streaming encoder in `slot` at `level`, made (or remade at another level) if
    /// needed.
    fn encoder_in(
        slot: &mut Option<(u32, flate2::write::DeflateEncoder<Vec<u8>>)>,
        level: u32,
    ) -> &mut flate2::write::DeflateEncoder<Vec<u8>> {
        if !matches!(slot, Some((l, _)) if *l == level) {
            *slot = Some((
                level,
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level)),
            ));
        }
        &mut slot.as_mut().expect("just set").1
    }

    /// Feeds `data` to the streaming encoder in the pieces of `next_cut`, whatever the
    /// cuts of `data`: a piece that `data` ends before its cut waits in `piece` for the
    /// rest (zlib-rs's output depends on how its input is split).
    fn stream(&mut self, data: &[u8], out: &mut DeflateOut<'_>) -> io::Result<()> {
        let Some(e) = &mut self.cur else {
            return Err(io::Error::other("deflater: no entry begun"));
        };
        let enc = Self::encoder_in(&mut self.enc, e.level);
        let mut c = data;
        while !c.is_empty() {
            let left = (super::writer::next_cut(e.total, e.auto) - e.total) as usize;
            let k = c.len().min(left);
            e.total += k as u64;
            if k < left {
                // The piece goes on in the next data.
                self.piece.extend_from_slice(&c[..k]);
                break;
            }
            if self.piece.is_empty() {
                enc.write_all(&c[..k])?;
            } else {
                self.piece.extend_from_slice(&c[..k]);
                enc.write_all(&self.piece)?;
                self.piece.clear();
            }
            c = &c[k..];
            // What the encoder produced goes out now: its buffer stays small.
            let buf = enc.get_mut();
            if !buf.is_empty() {
                out(buf)?;
                buf.clear();
            }
        }
        Ok(())
    }

    /// Ends the entry: its last deflated bytes go to `out`. After an error, call
    /// [`Deflater::discard`].
    pub(crate) fn end(&mut self, out: &mut DeflateOut<'_>) -> io::Result<()> {
        let Some(e) = self.cur.take() else {
            return Err(io::Error::other("deflater: no entry begun"));
        };
        if e.streaming {
            // (An entry announced long that brought no data still ends a stream at its
            // level; the caller reports the size that did not match.)
            let enc = Self::encoder_in(&mut self.enc, e.level);
            if !self.piece.is_empty() {
                enc.write_all(&self.piece)?;
                self.piece.clear();
            }
            let tail = enc.reset(Vec::new())?;
            return out(&tail);
        }
        let r = Self::whole_in(&mut self.whole, e.level, &self.pending).and_then(|d| out(&d));
        self.pending.clear();
        r
    }

    /// The raw deflate stream of the whole entry `data` at `level` (1–9; `auto` as for
    /// [`Deflater::begin`]), in one call: the bytes [`Deflater::begin`], [`Deflater::feed`]
    /// and [`Deflater::end`] give for the same entry, however it is cut.
    pub(crate) fn deflate(&mut self, level: u32, auto: bool, data: &[u8]) -> Result<Vec<u8>> {
        Self::check_level(level)?;
        if data.len() <= self.whole_max {
            return Ok(Self::whole_in(&mut self.whole, level, data)?);
        }
        let mut v = Vec::new();
        let r = (|| -> Result<()> {
            self.begin(level, auto, Some(data.len() as u64))?;
            let mut push = |b: &[u8]| -> io::Result<()> {
                v.extend_from_slice(b);
                Ok(())
            };
            self.feed(data, &mut push)?;
            self.end(&mut push)?;
            Ok(())
        })();
        if r.is_err() {
            self.discard();
        }
        r.map(|()| v)
    }

    /// libdeflate's raw deflate stream of `data` at `level`; for no data, zlib's (one empty
    /// final block with the fixed codes, 2 bytes, where libdeflate writes a stored block of
    /// 5).
    /// (`slot` keeps the compressor, made or remade for `level`.)
    fn whole_in(
        slot: &mut Option<(u32, libdeflater::Compressor)>,
        level: u32,
        data: &[u8],
    ) -> io::Result<Vec<u8>> {
        if data.is_empty() {
            return Ok(EMPTY_DEFLATE.to_vec());
        }
        if !matches!(slot, Some((l, _)) if *l == level) {
            let lvl = libdeflater::CompressionLvl::new(level as i32)
                .map_err(|_| io::Error::other(format!("bad deflate level {level}")))?;
            *slot = Some((level, libdeflater::Compressor::new(lvl)));
        }
        let (_, c) = slot.as_mut().expect("just set");
        let mut buf = vec![0u8; c.deflate_compress_bound(data.len())];
        let n = c
            .deflate_compress(data, &mut buf)
            .map_err(|e| io::Error::other(format!("libdeflate: {e:?}")))?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Drops the entry and the streaming encoder after an error: their state is unknown.
    pub(crate) fn discard(&mut self) {
        self.enc = None;
        self.cur = None;
        self.pending.clear();
        self.piece.clear();
    }
}

/// A zip package being written: entries in the order they come, then the central
/// directory.
pub(crate) struct ZipOut<W: Write + Seek> {
    out: SeekBuf<W>,
    entries: Vec<CdEntry>,
    time: u16,
    date: u16,
    /// The end of the furthest bytes ever written: an entry that failed half-way is
    /// dropped and the next one written over it, and [`ZipOut::finish`] zeroes what is left
    /// of it.
    high_water: u64,
    /// The encoder of streamed deflated entries.
    pub(crate) deflater: Deflater,
}

/// An entry being streamed ([`ZipOut::begin`] … [`ZipOut::end`]).
pub(crate) struct Open {
    header_start: u64,
    data_start: u64,
    entry: CdEntry,
}

impl<W: Write + Seek> ZipOut<W> {
    /// Writes a package into `w` (at its current position), every entry stamped `time`.
    pub(crate) fn new(w: W, time: zip::DateTime) -> Self {
        let out = SeekBuf::new(w);
        let pos = out.position();
        ZipOut {
            out,
            entries: Vec::new(),
            time: time.timepart(),
            date: time.datepart(),
            high_water: pos,
            deflater: Deflater::default(),
        }
    }

    fn entry(name: &str, method: u16, large: bool, dir: bool) -> CdEntry {
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let method_version = if method == METHOD_DEFLATED { 20 } else { 10 };
        let misc = if large {
            45
        } else if dir {
            20
        } else {
            10
        };
        let mode = if dir {
            S_IFDIR | 0o755
        } else {
            S_IFREG | 0o644
        };
        CdEntry {
            name: name.as_bytes().into(),
            method,
            flags,
            version_needed: method_version.max(misc),
            crc: 0,
            compressed: 0,
            uncompressed: 0,
            offset: 0,
            large,
            external: mode << 16,
        }
    }

    /// The fields the local header and the central-directory entry of `e` share, in their
    /// order: version needed, flags, method, time, date, CRC-32, compressed and
    /// uncompressed sizes (`0xFFFFFFFF` each when `sizes64`: in the zip64 extra field),
    /// name length, extra field length.
    fn shared_fields(&self, h: &mut Vec<u8>, e: &CdEntry, sizes64: bool, extra_len: u16) {
        let (c32, u32_) = if sizes64 {
            (u32::MAX, u32::MAX)
        } else {
            (e.compressed as u32, e.uncompressed as u32)
        };
        h.extend_from_slice(&e.version_needed.to_le_bytes());
        h.extend_from_slice(&e.flags.to_le_bytes());
        h.extend_from_slice(&e.method.to_le_bytes());
        h.extend_from_slice(&self.time.to_le_bytes());
        h.extend_from_slice(&self.date.to_le_bytes());
        h.extend_from_slice(&e.crc.to_le_bytes());
        h.extend_from_slice(&c32.to_le_bytes());
        h.extend_from_slice(&u32_.to_le_bytes());
        h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        h.extend_from_slice(&extra_len.to_le_bytes());
    }

    /// Writes the local header of `e` at the current position (sizes and CRC-32 as `e`
    /// has them: zero while streaming, patched by [`ZipOut::end`]).
    fn local_header(&mut self, e: &CdEntry) -> io::Result<()> {
        let extra_len: u16 = if e.large { 20 } else { 0 };
        let mut h = Vec::with_capacity(30 + e.name.len() + extra_len as usize);
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        self.shared_fields(&mut h, e, e.large, extra_len);
        h.extend_from_slice(&e.name);
        if e.large {
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&e.uncompressed.to_le_bytes());
            h.extend_from_slice(&e.compressed.to_le_bytes());
        }
        self.out.write_all(&h)
    }

    fn check_name(name: &str) -> Result<()> {
        // 30-byte header + name must fit the 16-bit lengths of the format.
        if name.len() > u16::MAX as usize - 30 - 20 {
            return Err(
                Error::new(ErrorKind::InvalidInput, "entry name too long for zip").with_path(name),
            );
        }
        Ok(())
    }

    /// Starts a streamed file entry: `deflated` (else stored); `large` when it may reach
    /// 4 GiB (zip64 fields in its local header).
    pub(crate) fn begin(&mut self, name: &str, deflated: bool, large: bool) -> Result<Open> {
        Self::check_name(name)?;
        let method = if deflated {
            METHOD_DEFLATED
        } else {
            METHOD_STORED
        };
        let mut entry = Self::entry(name, method, large, false);
        let header_start = self.out.position();
        entry.offset = header_start;
        self.local_header(&entry)
            .map_err(|e| Error::from(e).with_path(name))?;
        let data_start = self.out.position();
        self.bump();
        Ok(Open {
            header_start,
            data_start,
            entry,
        })
    }

    /// Entry data of the entry begun with [`ZipOut::begin`] (already compressed when the
    /// entry is deflated).
    pub(crate) fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        Ok(())
    }

    /// Entry data of a deflated entry begun with [`ZipOut::begin`], through
    /// [`ZipOut::deflater`] (begun for it): what is deflated goes out as it comes.
    pub(crate) fn deflate_data(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.deflater
            .feed(bytes, &mut |b: &[u8]| self.out.write_all(b))
    }

    /// Ends the deflated entry's stream (its last bytes go out).
    pub(crate) fn deflate_end(&mut self) -> io::Result<()> {
        self.deflater.end(&mut |b: &[u8]| self.out.write_all(b))
    }

    /// Ends the entry: patches its local header with its CRC-32 and sizes.
    pub(crate) fn end(&mut self, mut open: Open, crc: u32, uncompressed: u64) -> Result<()> {
        let name = String::from_utf8_lossy(&open.entry.name).into_owned();
        let end = self.out.position();
        self.bump();
        let compressed = end - open.data_start;
        if !open.entry.large && (compressed >= ZIP64_BYTES_THR || uncompressed >= ZIP64_BYTES_THR) {
            // Dropped like a failed entry: the next one is written over it.
            let _ = self.out.seek(SeekFrom::Start(open.header_start));
            return Err(Error::new(
                ErrorKind::Io,
                "zip writer: entry reached 4 GiB but was not announced as large",
            )
            .with_path(&name));
        }
        open.entry.crc = crc;
        open.entry.compressed = compressed;
        open.entry.uncompressed = uncompressed;
        let r = (|| -> io::Result<()> {
            self.out.seek(SeekFrom::Start(open.header_start + 14))?;
            self.out.write_all(&crc.to_le_bytes())?;
            if open.entry.large {
                self.out.seek(SeekFrom::Start(
                    open.header_start + 30 + open.entry.name.len() as u64 + 4,
                ))?;
                self.out.write_all(&uncompressed.to_le_bytes())?;
                self.out.write_all(&compressed.to_le_bytes())?;
            } else {
                self.out.write_all(&(compressed as u32).to_le_bytes())?;
                self.out.write_all(&(uncompressed as u32).to_le_bytes())?;
            }
            self.out.seek(SeekFrom::Start(end))?;
            Ok(())
        })();
        r.map_err(|e| Error::from(e).with_path(&name))?;
        self.entries.push(open.entry);
        Ok(())
    }

    /// Drops an entry that failed half-way: the next entry is written over it.
    pub(crate) fn abort(&mut self, open: Open) -> io::Result<()> {
        self.bump();
        self.out.seek(SeekFrom::Start(open.header_start))?;
        Ok(())
    }

    /// Drops the last entry written, after all (its source turned out to differ from what
    /// was announced): the next entry is written over it.
    pub(crate) fn drop_last(&mut self) -> io::Result<()> {
        if let Some(e) = self.entries.pop() {
            self.bump();
            self.out.seek(SeekFrom::Start(e.offset))?;
        }
        Ok(())
    }

    /// Writes an entry deflated beforehand.
    pub(crate) fn add_deflated(&mut self, name: &str, d: Deflated) -> Result<()> {
        Self::check_name(name)?;
        let compressed = d.data.len() as u64;
        let large = d.large || compressed >= ZIP64_BYTES_THR || d.size >= ZIP64_BYTES_THR;
        let mut entry = Self::entry(name, METHOD_DEFLATED, large, false);
        entry.offset = self.out.position();
        entry.crc = d.crc;
        entry.compressed = compressed;
        entry.uncompressed = d.size;
        let r = (|| -> io::Result<()> {
            self.local_header(&entry)?;
            self.out.write_all(&d.data)
        })();
        self.bump();
        if let Err(e) = r {
            let _ = self.out.seek(SeekFrom::Start(entry.offset));
            return Err(Error::from(e).with_path(name));
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Adds a directory entry (`name` ends with `/`).
    pub(crate) fn add_dir(&mut self, name: &str) -> Result<()> {
        Self::check_name(name)?;
        let mut entry = Self::entry(name, METHOD_STORED, false, true);
        entry.offset = self.out.position();
        self.local_header(&entry)
            .map_err(|e| Error::from(e).with_path(name))?;
        self.bump();
        self.entries.push(entry);
        Ok(())
    }

    fn bump(&mut self) {
        self.high_water = self.high_water.max(self.out.position());
    }

    /// Writes the central directory and the end records; returns the inner writer
    /// (flushed).
    pub(crate) fn finish(mut self) -> Result<W> {
        self.bump();
        let mut start = self.out.position();
        if self.high_water > start {
            // Leftovers of an entry that failed: zeroed, so no reader takes them for an
            // entry, and the central directory goes after them.
            io::copy(
                &mut io::repeat(0).take(self.high_water - start),
                &mut self.out,
            )?;
            start = self.high_water;
        }
        let mut cd = Vec::with_capacity(self.entries.len() * 64);
        let mut version_needed = 10u16;
        for e in &self.entries {
            version_needed = version_needed.max(e.version_needed);
            let sizes64 =
                e.large || e.uncompressed >= ZIP64_BYTES_THR || e.compressed >= ZIP64_BYTES_THR;
            let offset64 = e.offset != 0 && e.offset >= ZIP64_BYTES_THR;
            let extra_len: u16 = match (sizes64, offset64) {
                (false, false) => 0,
                (true, false) => 20,
                (false, true) => 12,
                (true, true) => 28,
            };
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            // Made by Unix, with the version the entry needs.
            cd.extend_from_slice(&(MADE_BY_UNIX | e.version_needed).to_le_bytes());
            self.shared_fields(&mut cd, e, sizes64, extra_len);
            cd.extend_from_slice(&0u16.to_le_bytes()); // comment
            cd.extend_from_slice(&0u16.to_le_bytes()); // disk
            cd.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            cd.extend_from_slice(&e.external.to_le_bytes());
            cd.extend_from_slice(&(e.offset.min(ZIP64_BYTES_THR) as u32).to_le_bytes());
            cd.extend_from_slice(&e.name);
            if extra_len > 0 {
                cd.extend_from_slice(&1u16.to_le_bytes());
                cd.extend_from_slice(&(extra_len - 4).to_le_bytes());
                if sizes64 {
                    cd.extend_from_slice(&e.uncompressed.to_le_bytes());
                    cd.extend_from_slice(&e.compressed.to_le_bytes());
                }
                if offset64 {
                    cd.extend_from_slice(&e.offset.to_le_bytes());
                }
            }
            if cd.len() >= 1 << 20 {
                self.out.write_all(&cd)?;
                cd.clear();
            }
        }
        self.out.write_all(&cd)?;
        let size = self.out.position() - start;
        let n = self.entries.len();
        let is64 = n > ZIP64_ENTRY_THR || size.max(start) > ZIP64_BYTES_THR;
        let mut f = Vec::with_capacity(98);
        if is64 {
            let end64 = start + size;
            f.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            f.extend_from_slice(&44u64.to_le_bytes());
            f.extend_from_slice(&version_needed.to_le_bytes());
            f.extend_from_slice(&version_needed.to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
            f.extend_from_slice(&(n as u64).to_le_bytes());
            f.extend_from_slice(&(n as u64).to_le_bytes());
            f.extend_from_slice(&size.to_le_bytes());
            f.extend_from_slice(&start.to_le_bytes());
            f.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
            f.extend_from_slice(&end64.to_le_bytes());
            f.extend_from_slice(&1u32.to_le_bytes());
        }
        let n16 = n.min(ZIP64_ENTRY_THR) as u16;
        let size32 = if is64 {
            u32::MAX
        } else {
            size.min(ZIP64_BYTES_THR) as u32
        };
        f.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        f.extend_from_slice(&0u16.to_le_bytes());
        f.extend_from_slice(&0u16.to_le_bytes());
        f.extend_from_slice(&n16.to_le_bytes());
        f.extend_from_slice(&n16.to_le_bytes());
        f.extend_from_slice(&size32.to_le_bytes());
        f.extend_from_slice(&(start.min(ZIP64_BYTES_THR) as u32).to_le_bytes());
        f.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&f)?;
        Ok(self.out.into_inner()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::writer::{Compression, PackageFormat, PackageWriter, WriterOptions};
    use std::io::Cursor;
    use zip::write::SimpleFileOptions;

    thread_local! {
        /// The whole-entry limit of the deflaters made on this test thread.
        pub(crate) static WHOLE_MAX: std::cell::Cell<usize> =
            const { std::cell::Cell::new(WHOLE_DEFLATE_MAX) };
    }

    /// A writer whose first byte sits at file offset `base` (to reach the zip64 offsets
    /// without writing 4 GiB).
    struct Offset {
        base: u64,
        buf: Cursor<Vec<u8>>,
    }

    impl Write for Offset {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.buf.write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Offset {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            let p = match to {
                SeekFrom::Start(p) => self.buf.seek(SeekFrom::Start(p - self.base))?,
                other => self.buf.seek(other)?,
            };
            Ok(p + self.base)
        }
    }

    fn sample(i: usize, n: usize) -> Vec<u8> {
        // Text-like (deflates well) or pseudo-random (does not), by index.
        let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (0..n)
            .map(|k| {
                if i.is_multiple_of(3) {
                    crate::testutil::xorshift64(&mut x);
                    x as u8
                } else {
                    b"archive record fonds series "[(k * 7 + i) % 28]
                }
            })
            .collect()
    }

    /// The entries of one test package: (name, data, compression, size announced).
    type Spec = Vec<(String, Vec<u8>, Compression, bool)>;

    fn specs(n: usize) -> Spec {
        (0..n)
            .map(|i| {
                let len = [0, 1, 100, 4096, 20_000, 300_000][i % 6];
                let c = match i % 4 {
                    0 => Compression::Stored,
                    1 => Compression::Deflated(6),
                    2 => Compression::Auto(6),
                    _ => Compression::Deflated(1 + (i % 9) as u32),
                };
                let name = if i % 5 == 4 {
                    format!("Content/dossier é{i}/fichier_ü{i}.txt")
                } else {
                    format!("Content/d{}/f{i}.bin", i % 7)
                };
                (name, sample(i, len), c, i % 7 != 3)
            })
            .collect()
    }

    /// The bytes the `zip` crate writes for `spec` (what `PackageWriter` wrote before it
    /// had its own container code).
    fn with_zip_crate<W: Write + Seek>(w: W, spec: &Spec, dirs: &[&str]) -> W {
        let t = zip::DateTime::default();
        let mut z = zip::ZipWriter::new(w);
        for d in dirs {
            let o = SimpleFileOptions::default()
                .last_modified_time(t)
                .system(zip::System::Unix)
                .unix_permissions(0o755);
            z.add_directory(*d, o).unwrap();
        }
        for (name, data, c, sized) in spec {
            let auto = matches!(c, Compression::Auto(_));
            let c = crate::sip::writer::resolve_compression(*c, data);
            let (method, level) = match c {
                Compression::Stored => (zip::CompressionMethod::Stored, None),
                Compression::Deflated(l) | Compression::Auto(l) => {
                    (zip::CompressionMethod::Deflated, Some(l as i64))
                }
            };
            let size = sized.then_some(data.len() as u64);
            let o = SimpleFileOptions::default()
                .compression_method(method)
                .compression_level(level)
                .last_modified_time(t)
                .system(zip::System::Unix)
                .unix_permissions(0o644)
                .large_file(size.is_none_or(|s| s >= 0xFFFF_FFFF - (64 << 20)));
            z.start_file(name.as_str(), o).unwrap();
            let mut written = 0u64;
            let mut rest = &data[..];
            while !rest.is_empty() {
                let k = if level.is_some() {
                    rest.len()
                        .min((crate::sip::writer::next_cut(written, auto) - written) as usize)
                } else {
                    rest.len()
                };
                z.write_all(&rest[..k]).unwrap();
                written += k as u64;
                rest = &rest[k..];
            }
        }
        z.finish().unwrap()
    }

    fn with_package_writer<W: Write + Seek>(w: W, spec: &Spec, dirs: &[&str], prepared: bool) -> W {
        let opts = WriterOptions::new(PackageFormat::Zip).deterministic(true);
        let mut pw = PackageWriter::new(w, opts).unwrap();
        for d in dirs {
            pw.add_dir(d).unwrap();
        }
        for (name, data, c, sized) in spec {
            let size = sized.then_some(data.len() as u64);
            let p = if prepared && size.is_some() {
                crate::sip::writer::prepare_zip_entry(name, data, *c).unwrap()
            } else {
                None
            };
            match p {
                Some(p) => pw.add_prepared(name, p).unwrap(),
                None => {
                    pw.add_reader_with(name, &data[..], size, *c).unwrap();
                }
            }
        }
        pw.finish().unwrap()
    }

    /// Byte for byte what the `zip` crate wrote: stored, deflated at every level, auto,
    /// empty, unknown sizes (zip64 local fields), UTF-8 names, directories; streamed and
    /// deflated ahead of writing. Every entry streamed through zlib-rs, as the `zip` crate
    /// does (whole-entry limit 0; see `whole_entries_are_libdeflate_streams` for the rest).
    #[test]
    fn same_bytes_as_the_zip_crate() {
        WHOLE_MAX.set(0);
        let spec = specs(60);
        let dirs = ["Content/", "Content/vide/"];
        let want = with_zip_crate(Cursor::new(Vec::new()), &spec, &dirs).into_inner();
        for prepared in [false, true] {
            let got =
                with_package_writer(Cursor::new(Vec::new()), &spec, &dirs, prepared).into_inner();
            assert_eq!(got.len(), want.len(), "prepared: {prepared}");
            let first = got.iter().zip(&want).position(|(a, b)| a != b);
            assert!(
                first.is_none(),
                "prepared: {prepared}: bytes differ from offset {first:?}: {:02x?} vs {:02x?}",
                &got[first.unwrap_or(0)..(first.unwrap_or(0) + 16).min(got.len())],
                &want[first.unwrap_or(0)..(first.unwrap_or(0) + 16).min(got.len())]
            );
        }
    }

    /// Offsets past 4 GiB (zip64 offset fields, zip64 end records) and more than 65 535
    /// entries (zip64 end records): the same bytes as the `zip` crate.
    #[test]
    fn same_zip64_records_as_the_zip_crate() {
        WHOLE_MAX.set(0);
        let spec = specs(24);
        let base = 5 << 30;
        let want = with_zip_crate(
            Offset {
                base,
                buf: Cursor::new(Vec::new()),
            },
            &spec,
            &[],
        );
        let got = with_package_writer(
            Offset {
                base,
                buf: Cursor::new(Vec::new()),
            },
            &spec,
            &[],
            true,
        );
        assert!(got.buf.into_inner() == want.buf.into_inner());

        let many: Spec = (0..70_000)
            .map(|i| {
                (
                    format!("e{i}"),
                    vec![(i % 251) as u8; i % 3],
                    Compression::Stored,
                    true,
                )
            })
            .collect();
        let want = with_zip_crate(Cursor::new(Vec::new()), &many, &[]).into_inner();
        let got = with_package_writer(Cursor::new(Vec::new()), &many, &[], false).into_inner();
        assert!(got == want);
        let mut z = zip::ZipArchive::new(Cursor::new(got)).unwrap();
        assert_eq!(z.len(), 70_000);
        let mut s = Vec::new();
        z.by_name("e69998").unwrap().read_to_end(&mut s).unwrap();
        assert_eq!(s, vec![(69_998 % 251) as u8; 2]);
    }

    /// An entry that fails half-way (its source ends early) is dropped: the package
    /// still opens, with every other entry intact.
    #[test]
    fn failed_entry_is_dropped() {
        let mut pw = PackageWriter::new(
            Cursor::new(Vec::new()),
            WriterOptions::new(PackageFormat::Zip),
        )
        .unwrap();
        pw.add_bytes("a", &sample(1, 5000)).unwrap();
        let long = sample(2, 100_000);
        let e = pw.add_reader("broken", &long[..50_000], Some(100_000));
        assert_eq!(e.unwrap_err().kind(), ErrorKind::Conflict);
        pw.add_bytes("b", b"short").unwrap();
        let bytes = pw.finish().unwrap().into_inner();
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(z.len(), 2);
        let mut s = Vec::new();
        z.by_name("a").unwrap().read_to_end(&mut s).unwrap();
        assert_eq!(s, sample(1, 5000));
        s.clear();
        z.by_name("b").unwrap().read_to_end(&mut s).unwrap();
        assert_eq!(s, b"short");
        assert!(z.by_name("broken").is_err());
    }

    /// A reused streaming encoder gives the bytes of a fresh one, whatever came before.
    #[test]
    fn reused_deflater_matches_a_fresh_encoder() {
        WHOLE_MAX.set(0);
        let mut d = Deflater::default();
        for i in 0..40 {
            let data = sample(i, [10, 4096, 70_000][i % 3]);
            let level = 1 + (i as u32 % 9);
            let mut fresh =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
            fresh.write_all(&data).unwrap();
            let want = fresh.finish().unwrap();
            assert_eq!(d.deflate(level, false, &data).unwrap(), want, "entry {i}");
        }
        assert!(d.deflate(0, false, b"x").is_err());
        assert!(d.deflate(10, false, b"x").is_err());
        assert!(d.begin(0, false, None).is_err());
    }

    /// libdeflate's stream of `data` at `level`, straight from the library.
    fn libdeflate(level: u32, data: &[u8]) -> Vec<u8> {
        let lvl = libdeflater::CompressionLvl::new(level as i32).unwrap();
        let mut c = libdeflater::Compressor::new(lvl);
        let mut out = vec![0u8; c.deflate_compress_bound(data.len())];
        let n = c.deflate_compress(data, &mut out).unwrap();
        out.truncate(n);
        out
    }

    /// zlib-rs's stream of `data` at `level`, fed in the pieces of `next_cut`.
    fn streamed(level: u32, auto: bool, data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
        let mut written = 0u64;
        let mut rest = data;
        while !rest.is_empty() {
            let k = rest
                .len()
                .min((crate::sip::writer::next_cut(written, auto) - written) as usize);
            e.write_all(&rest[..k]).unwrap();
            written += k as u64;
            rest = &rest[k..];
        }
        e.finish().unwrap()
    }

    fn inflate(d: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(d)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Around the whole-entry limit (a small one here), however the entry is cut and
    /// whether its size is announced or not, the stream is libdeflate's whole-entry stream
    /// up to the limit and zlib-rs's stream in `next_cut` pieces beyond it — the same
    /// bytes as `Deflater::deflate` — and it inflates back to the entry. Reuse across
    /// levels and after a discarded entry changes nothing.
    #[test]
    fn whole_or_streamed_by_length_only() {
        let max = 40_000;
        WHOLE_MAX.set(max);
        let mut d = Deflater::default();
        let mut one = Deflater::default();
        for (i, len) in [0, 1, 4096, max - 1, max, max + 1, 3 * max, 300_000]
            .into_iter()
            .enumerate()
        {
            let data = sample(i + 1, len);
            for level in [1, 6, 9] {
                for auto in [false, true] {
                    let want = if len == 0 {
                        streamed(level, auto, &data)
                    } else if len <= max {
                        libdeflate(level, &data)
                    } else {
                        streamed(level, auto, &data)
                    };
                    assert_eq!(one.deflate(level, auto, &data).unwrap(), want, "len {len}");
                    assert_eq!(inflate(&want), data, "len {len}");
                    for cut in [1usize, 7_001, 65_536, usize::MAX] {
                        if cut == 1 && len > 5000 {
                            continue;
                        }
                        for size in [None, Some(len as u64)] {
                            let mut got = Vec::new();
                            let mut push = |b: &[u8]| -> io::Result<()> {
                                got.extend_from_slice(b);
                                Ok(())
                            };
                            d.begin(level, auto, size).unwrap();
                            for piece in data.chunks(cut.min(len.max(1))) {
                                d.feed(piece, &mut push).unwrap();
                            }
                            d.end(&mut push).unwrap();
                            assert!(got == want, "len {len} level {level} cut {cut} {size:?}");
                        }
                    }
                    // An entry abandoned half-way leaves nothing behind.
                    d.begin(level, auto, None).unwrap();
                    d.feed(&sample(99, max + 5), &mut |_: &[u8]| Ok(()))
                        .unwrap();
                    d.discard();
                }
            }
        }
    }

    /// With the default limit, every deflated entry of a package up to the limit holds
    /// libdeflate's stream of its data (read raw from the archive), whichever way it was
    /// written (streamed with or without its size, deflated ahead of writing): the
    /// packages are identical, and they open with the `zip` crate.
    #[test]
    fn whole_entries_are_libdeflate_streams() {
        let spec = specs(60);
        let dirs = ["Content/"];
        let streamed_pkg = with_package_writer(Cursor::new(Vec::new()), &spec, &dirs, false);
        let prepared_pkg = with_package_writer(Cursor::new(Vec::new()), &spec, &dirs, true);
        let bytes = streamed_pkg.into_inner();
        assert!(bytes == prepared_pkg.into_inner());
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut deflated = 0;
        for (name, data, c, _) in &spec {
            let mut got = Vec::new();
            z.by_name(name).unwrap().read_to_end(&mut got).unwrap();
            assert!(&got == data, "{name}");
            let resolved = crate::sip::writer::resolve_compression(*c, data);
            if let Compression::Deflated(l) | Compression::Auto(l) = resolved {
                let mut raw = Vec::new();
                let mut f = z.by_name_raw(name.as_bytes()).unwrap();
                assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
                f.read_to_end(&mut raw).unwrap();
                if data.is_empty() {
                    assert_eq!(raw, [3, 0]);
                } else {
                    assert!(raw == libdeflate(l, data), "{name}");
                }
                deflated += 1;
            }
        }
        assert!(deflated > 20);
    }
}
