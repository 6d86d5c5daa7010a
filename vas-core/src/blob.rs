//! The byte format of the precompiled blobs bundled with the library — the format
//! registry's `data/format/bundled.pronom` and the SEDA schema sets'
//! `data/schema/bundled.xsdc`: unsigned LEB128 integers, length-prefixed byte strings and
//! counted lists. Each blob's own module (`format::precompiled`, `schema::xsd::precompiled`)
//! adds the readers and writers of its records to [`BlobReader`] and [`BlobWriter`].
//!
//! A damaged blob is an [`ErrorKind::Internal`](crate::ErrorKind) error naming the byte
//! offset, never a panic: every count is bounded by the bytes left (so a corrupt count
//! cannot make a huge allocation), every read is checked.

use crate::{Error, Result};

/// Reads the primitives of a blob, keeping its position for the error messages.
pub(crate) struct BlobReader<'a> {
    /// The bytes read (a blob after its magic, or one of its sections).
    pub(crate) data: &'a [u8],
    /// Position in `data`.
    pub(crate) pos: usize,
    /// Offset of `data` in the blob (for the messages).
    pub(crate) base: usize,
    /// What the blob holds, for the messages ("schema", "signature").
    what: &'static str,
}

impl<'a> BlobReader<'a> {
    /// A reader of `data`, found at offset `base` of a blob of `what`.
    pub(crate) fn new(data: &'a [u8], base: usize, what: &'static str) -> Self {
        BlobReader {
            data,
            pos: 0,
            base,
            what,
        }
    }
    /// The error for a bad `item` at the current position.
    pub(crate) fn bad(&self, item: &str) -> Error {
        Error::internal(format!(
            "precompiled {} blob is corrupt at byte {}: bad {item}",
            self.what,
            self.base + self.pos
        ))
    }
    /// Whether every byte was read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }
    #[inline]
    pub(crate) fn byte(&mut self) -> Result<u8> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated()),
        }
    }
    /// The error for a read past the end (kept out of line: the readers are inlined).
    #[cold]
    #[inline(never)]
    fn truncated(&self) -> Error {
        self.bad("length (truncated)")
    }
    /// Four bytes, little-endian (a checksum).
    pub(crate) fn fixed4(&mut self) -> Result<u32> {
        let b = self
            .data
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.bad("checksum (truncated)"))?;
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A tag byte, at most `max`.
    #[inline(always)]
    pub(crate) fn tag(&mut self, max: u8) -> Result<u8> {
        let t = self.byte()?;
        if t > max {
            self.pos -= 1;
            return Err(self.bad("tag"));
        }
        Ok(t)
    }
    #[inline(always)]
    pub(crate) fn bool(&mut self) -> Result<bool> {
        Ok(self.tag(1)? == 1)
    }
    #[inline(always)]
    pub(crate) fn uint(&mut self) -> Result<u64> {
        // One byte (below 128) is by far the most common: no loop.
        if let Some(&b) = self.data.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Ok(u64::from(b));
        }
        self.uint_long()
    }
    /// [`uint`](Self::uint) of more than one byte (or past the end).
    #[inline(never)]
    fn uint_long(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.bad("integer"))
    }
    #[inline]
    pub(crate) fn u32(&mut self) -> Result<u32> {
        u32::try_from(self.uint()?).map_err(|_| self.bad("32-bit integer"))
    }
    #[inline(always)]
    pub(crate) fn usize(&mut self) -> Result<usize> {
        usize::try_from(self.uint()?).map_err(|_| self.bad("size"))
    }
    /// An index below `n` (of a table the blob declared before).
    #[inline(always)]
    pub(crate) fn index(&mut self, n: usize) -> Result<usize> {
        let v = self.usize()?;
        if v >= n {
            return Err(self.bad("index"));
        }
        Ok(v)
    }
    #[inline]
    pub(crate) fn index32(&mut self, n: usize) -> Result<u32> {
        let v = self.index(n)?;
        u32::try_from(v).map_err(|_| self.bad("index"))
    }
    /// A count of items, each at least one byte long (bounds the allocations of a corrupt
    /// blob by its size).
    #[inline(always)]
    pub(crate) fn count(&mut self) -> Result<usize> {
        let n = self.usize()?;
        if n > self.data.len() - self.pos {
            return Err(self.bad("count"));
        }
        Ok(n)
    }
    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.count()?;
        let data: &'a [u8] = self.data;
        let b = &data[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }
    pub(crate) fn vec(&mut self) -> Result<Vec<u8>> {
        Ok(self.bytes()?.to_vec())
    }
    /// A length-prefixed UTF-8 string (the error names the string's first byte).
    #[inline]
    pub(crate) fn str(&mut self) -> Result<&'a str> {
        let n = self.count()?;
        let data: &'a [u8] = self.data;
        match std::str::from_utf8(&data[self.pos..self.pos + n]) {
            Ok(s) => {
                self.pos += n;
                Ok(s)
            }
            Err(_) => Err(self.bad("UTF-8 string")),
        }
    }
    pub(crate) fn string(&mut self) -> Result<String> {
        Ok(self.str()?.to_owned())
    }
    /// A count, then that many items read by `item`, in a list of exactly that capacity.
    #[inline(always)]
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let n = self.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(item(self)?);
        }
        Ok(v)
    }
    pub(crate) fn strings(&mut self) -> Result<Vec<String>> {
        self.list(Self::string)
    }
    pub(crate) fn u32s(&mut self) -> Result<Vec<u32>> {
        self.list(Self::u32)
    }
    pub(crate) fn opt_usize(&mut self) -> Result<Option<usize>> {
        Ok(match self.tag(1)? {
            0 => None,
            _ => Some(self.usize()?),
        })
    }
    #[inline]
    pub(crate) fn opt_index(&mut self, n: usize) -> Result<Option<usize>> {
        Ok(match self.tag(1)? {
            0 => None,
            _ => Some(self.index(n)?),
        })
    }
    pub(crate) fn indices(&mut self, n: usize) -> Result<Vec<usize>> {
        self.list(|r| r.small_index(n))
    }
    pub(crate) fn indices32(&mut self, n: usize) -> Result<Vec<u32>> {
        let k = self.count()?;
        // Below 128 every index is one byte: the whole list is checked and widened at once.
        if n <= 0x80
            && let Some(b) = self.data.get(self.pos..self.pos + k)
            && b.iter().fold(true, |ok, &x| ok & (usize::from(x) < n))
        {
            self.pos += k;
            return Ok(b.iter().map(|&x| u32::from(x)).collect());
        }
        let mut v = Vec::with_capacity(k);
        for _ in 0..k {
            // An index below `n` fits in 32 bits when `n` does (the tables are small).
            let i = self.small_index(n)?;
            v.push(u32::try_from(i).map_err(|_| self.bad("index"))?);
        }
        Ok(v)
    }
    /// [`index`](Self::index) with the one-byte case first (the lists of positions and
    /// declarations are long runs of small indices).
    #[inline(always)]
    fn small_index(&mut self, n: usize) -> Result<usize> {
        if let Some(&b) = self.data.get(self.pos)
            && b < 0x80
            && usize::from(b) < n
        {
            self.pos += 1;
            return Ok(usize::from(b));
        }
        self.index(n)
    }
    pub(crate) fn bools(&mut self) -> Result<Vec<bool>> {
        self.list(Self::bool)
    }
}

/// Writes the primitives [`BlobReader`] reads (tests only: the blobs are generated by
/// the tests that check them, `VAS_BLESS=1`).
#[cfg(test)]
pub(crate) struct BlobWriter(pub(crate) Vec<u8>);

#[cfg(test)]
impl BlobWriter {
    pub(crate) fn uint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    pub(crate) fn bool(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.uint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub(crate) fn strs(&mut self, v: &[String]) {
        self.uint(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
    pub(crate) fn opt(&mut self, v: Option<usize>) {
        match v {
            None => self.0.push(0),
            Some(x) => {
                self.0.push(1);
                self.uint(x as u64);
            }
        }
    }
    /// A counted list of integers (`u32` ids, `usize` positions …).
    pub(crate) fn ids<T: Copy + TryInto<u64>>(&mut self, v: &[T]) {
        self.uint(v.len() as u64);
        for &x in v {
            self.uint(x.try_into().unwrap_or(u64::MAX));
        }
    }
    pub(crate) fn bools(&mut self, v: &[bool]) {
        self.uint(v.len() as u64);
        for &b in v {
            self.bool(b);
        }
    }
}
