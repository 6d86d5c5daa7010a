//! Limits that stop decompression bombs and oversized packages.

/// Limits applied while reading a package.
///
/// Every limit is checked on the bytes actually produced by the decompressor, not only on
/// the sizes an archive declares, so a lying header cannot get past them.
///
/// ```
/// use vas_core::sip::Limits;
///
/// let strict = Limits { max_entries: 10, ..Limits::default() };
/// assert_eq!(strict.max_entries, 10);
/// assert!(Limits::default().max_ratio >= 100);
/// assert!(Limits::unlimited().max_total_size == u64::MAX);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum sum of the uncompressed sizes of every entry (default 64 GiB).
    pub max_total_size: u64,
    /// Maximum uncompressed size of one entry (default 16 GiB).
    pub max_entry_size: u64,
    /// Maximum number of entries, directories included (default 500 000).
    pub max_entries: u64,
    /// Maximum compression ratio (uncompressed / compressed), per zip entry and for a whole
    /// compressed tar (default 1 000). Only applied once [`Limits::ratio_threshold`] bytes
    /// were produced, so tiny, very compressible files are not refused. Deflate cannot
    /// exceed about 1 032:1 in one layer, so for zip and gzip this catches near-maximal
    /// bombs, while bzip2 (whose run-length stage reaches ratios in the millions) is the
    /// main target; the total-size limit and the overlapping-entry check do the rest.
    /// Text, XML and logs stay well under 200:1.
    pub max_ratio: u64,
    /// Uncompressed size from which [`Limits::max_ratio`] applies (default 4 MiB).
    pub ratio_threshold: u64,
    /// Maximum size of the manifest, which is held in memory (default 1 GiB).
    pub max_manifest_size: u64,
    /// Maximum length in bytes of an entry name (default 4 096).
    pub max_name_len: usize,
    /// Maximum number of path components of an entry name (default 64).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_size: 64 << 30,
            max_entry_size: 16 << 30,
            max_entries: 500_000,
            max_ratio: 1_000,
            ratio_threshold: 4 << 20,
            max_manifest_size: 1 << 30,
            max_name_len: 4_096,
            max_depth: 64,
        }
    }
}

impl Limits {
    /// No limit at all (for trusted packages only).
    pub fn unlimited() -> Self {
        Limits {
            max_total_size: u64::MAX,
            max_entry_size: u64::MAX,
            max_entries: u64::MAX,
            max_ratio: u64::MAX,
            ratio_threshold: u64::MAX,
            max_manifest_size: u64::MAX,
            max_name_len: usize::MAX,
            max_depth: usize::MAX,
        }
    }

    /// True when `produced` bytes out of `consumed` compressed bytes exceed the ratio limit.
    pub(crate) fn ratio_exceeded(&self, produced: u64, consumed: u64) -> bool {
        produced > self.ratio_threshold && produced / consumed.max(1) > self.max_ratio
    }
}
