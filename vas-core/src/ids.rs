//! System identifiers: sortable, typed, tenant-aware ids for units, object groups, objects,
//! operations and events, from injectable time and randomness.
//!
//! # The scheme (`vas-id-v1`)
//!
//! An id is **32 characters** of lower-case Crockford base32
//! (`0123456789abcdefghjkmnpqrstvwxyz`):
//!
//! ```text
//!  u 01jf8zq3k2 m5x7c9v1b3n4d6f8g0 000a
//!  │ └─────────── 155 bits, big-endian, 31 chars ──────────┘
//!  └ kind letter: u unit, g object group, b object (binary), p operation (process), e event
//!
//!  155 bits = timestamp (48 bits, Unix milliseconds)
//!           ‖ sequence  (91 bits: random in each new millisecond, +1 within the same millisecond)
//!           ‖ tenant    (16 bits)
//! ```
//!
//! Ids of one kind sort, as plain strings, in creation order across milliseconds, and an
//! [`IdGenerator`] is strictly monotonic: two ids it makes in the same millisecond (or while
//! the clock goes backwards) differ by one in the sequence, so they sort in creation order.
//! The kind is the first character, so an id says what it identifies; the tenant and the
//! creation time can be read back with [`Id::tenant`] and [`Id::timestamp_ms`].
//!
//! Time comes from a [`Clock`] and randomness from a seedable generator: with
//! [`IdGenerator::deterministic`] and a [`FixedClock`], a run is exactly reproducible.
//!
//! ```
//! use std::sync::Arc;
//! use vas_core::ids::{FixedClock, Id, IdGenerator, IdKind};
//!
//! let clock = Arc::new(FixedClock::new(1_700_000_000_000));
//! let ids = IdGenerator::deterministic(2, 42, clock.clone());
//! let a = ids.generate(IdKind::Unit);
//! let b = ids.generate(IdKind::Unit);
//! assert!(a < b);                                // monotonic within a millisecond
//! assert_eq!(a.as_str().len(), 32);
//! assert_eq!(a.kind(), IdKind::Unit);
//! assert_eq!(a.tenant(), 2);
//! assert_eq!(a.timestamp_ms(), 1_700_000_000_000);
//! let parsed: Id = a.as_str().parse().unwrap();
//! assert_eq!(parsed, a);
//! assert!("u-not-an-id".parse::<Id>().is_err());
//! // Same seed, same clock: same ids.
//! let again = IdGenerator::deterministic(2, 42, Arc::new(FixedClock::new(1_700_000_000_000)));
//! assert_eq!(again.generate(IdKind::Unit), a);
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ErrorKind, Result};

/// Crockford's base32 alphabet, lower case.
pub const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// The length of every id, in characters.
pub const ID_LEN: usize = 32;

const SEQ_BITS: u32 = 91;
const TENANT_BITS: u32 = 16;
const SEQ_MASK: u128 = (1u128 << SEQ_BITS) - 1;

/// What an id identifies; its letter is the id's first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    /// An archive unit (`u`).
    Unit,
    /// An object group (`g`).
    ObjectGroup,
    /// A data object, one version of one usage (`b`, for binary).
    Object,
    /// An operation: ingest, elimination, securing … (`p`, for process).
    Operation,
    /// A logbook event (`e`).
    Event,
}

impl IdKind {
    /// Every kind.
    pub const ALL: [IdKind; 5] = [
        IdKind::Unit,
        IdKind::ObjectGroup,
        IdKind::Object,
        IdKind::Operation,
        IdKind::Event,
    ];

    /// The letter that starts ids of this kind.
    pub fn letter(self) -> char {
        match self {
            IdKind::Unit => 'u',
            IdKind::ObjectGroup => 'g',
            IdKind::Object => 'b',
            IdKind::Operation => 'p',
            IdKind::Event => 'e',
        }
    }

    /// The kind whose ids start with `letter`.
    pub fn from_letter(letter: char) -> Option<IdKind> {
        IdKind::ALL.into_iter().find(|k| k.letter() == letter)
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::Unit => "unit",
            IdKind::ObjectGroup => "object group",
            IdKind::Object => "object",
            IdKind::Operation => "operation",
            IdKind::Event => "event",
        })
    }
}

/// A validated system identifier (see the [module documentation](self) for the layout).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    /// Builds an id from its parts. `sequence` is truncated to 91 bits.
    pub fn from_parts(kind: IdKind, timestamp_ms: u64, sequence: u128, tenant: u16) -> Id {
        let mut bits = BitWriter::default();
        bits.push(u128::from(timestamp_ms & ((1u64 << 48) - 1)), 48);
        bits.push(sequence & SEQ_MASK, SEQ_BITS);
        bits.push(u128::from(tenant), TENANT_BITS);
        let mut s = String::with_capacity(ID_LEN);
        s.push(kind.letter());
        s.push_str(&bits.out);
        Id(s)
    }

    /// Parses and validates an id (case-insensitive; Crockford's `o`→0, `i`/`l`→1 accepted).
    pub fn parse(s: &str) -> Result<Id> {
        let err = |why: &str| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("invalid system id {s:?}: {why}"),
            )
            .with_id(s.to_string())
        };
        if s.chars().count() != ID_LEN {
            return Err(err(&format!("expected {ID_LEN} characters")));
        }
        let mut out = String::with_capacity(ID_LEN);
        let mut chars = s.chars();
        let first = chars.next().map(|c| c.to_ascii_lowercase());
        match first.and_then(IdKind::from_letter) {
            Some(k) => out.push(k.letter()),
            None => return Err(err("unknown kind letter (expected one of u g b p e)")),
        }
        for (i, c) in chars.enumerate() {
            let c = match c.to_ascii_lowercase() {
                'o' => '0',
                'i' | 'l' => '1',
                c => c,
            };
            if !ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
                return Err(err(&format!(
                    "character {c:?} at position {} is not Crockford base32",
                    i + 1
                )));
            }
            out.push(c);
        }
        Ok(Id(out))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What it identifies.
    pub fn kind(&self) -> IdKind {
        self.0
            .chars()
            .next()
            .and_then(IdKind::from_letter)
            .unwrap_or(IdKind::Event)
    }

    /// (timestamp, sequence, tenant)
    fn fields(&self) -> (u64, u128, u16) {
        let mut bits: Vec<u8> = Vec::with_capacity(155);
        for c in self.0.chars().skip(1) {
            let v = decode_symbol(c);
            for k in (0..5).rev() {
                bits.push((v >> k) & 1);
            }
        }
        let take = |from: usize, width: usize| {
            bits[from..from + width]
                .iter()
                .fold(0u128, |acc, &b| (acc << 1) | u128::from(b))
        };
        (
            take(0, 48) as u64,
            take(48, SEQ_BITS as usize),
            take(48 + SEQ_BITS as usize, TENANT_BITS as usize) as u16,
        )
    }

    /// Creation time, Unix milliseconds.
    pub fn timestamp_ms(&self) -> u64 {
        self.fields().0
    }

    /// The 91-bit sequence.
    pub fn sequence(&self) -> u128 {
        self.fields().1
    }

    /// The tenant.
    pub fn tenant(&self) -> u16 {
        self.fields().2
    }
}

/// Emits 5-bit Crockford symbols from bits pushed most-significant first.
#[derive(Default)]
struct BitWriter {
    acc: u8,
    n: u8,
    out: String,
}

impl BitWriter {
    fn push(&mut self, value: u128, width: u32) {
        for k in (0..width).rev() {
            self.acc = (self.acc << 1) | ((value >> k) & 1) as u8;
            self.n += 1;
            if self.n == 5 {
                self.out.push(ALPHABET[self.acc as usize] as char);
                self.acc = 0;
                self.n = 0;
            }
        }
    }
}

fn decode_symbol(c: char) -> u8 {
    ALPHABET.iter().position(|&a| a as char == c).unwrap_or(0) as u8
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl FromStr for Id {
    type Err = Error;
    fn from_str(s: &str) -> Result<Id> {
        Id::parse(s)
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Id, D::Error> {
        let s = String::deserialize(d)?;
        Id::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A source of time, in Unix milliseconds.
pub trait Clock: Send + Sync {
    /// Now, in milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> u64;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to (tests, deterministic runs).
///
/// ```
/// use vas_core::ids::{Clock, FixedClock};
/// let c = FixedClock::new(1000);
/// c.advance(5);
/// assert_eq!(c.now_ms(), 1005);
/// ```
#[derive(Debug, Default)]
pub struct FixedClock(AtomicU64);

impl FixedClock {
    /// A clock stopped at `ms`.
    pub fn new(ms: u64) -> FixedClock {
        FixedClock(AtomicU64::new(ms))
    }
    /// Moves it forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    /// Sets it to `ms` (may go backwards).
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now_ms(&self) -> u64 {
        (**self).now_ms()
    }
}

/// `ms` as Vitam's `evDateTime` form, UTC without zone: `2026-11-28T12:31:45.123`.
///
/// ```
/// assert_eq!(vas_core::ids::format_ms(0), "1970-01-01T00:00:00.000");
/// ```
pub fn format_ms(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        ),
        Err(_) => "9999-12-31T23:59:59.999".to_string(),
    }
}

/// `ms` as an ISO date `YYYY-MM-DD` (UTC), the form rules' end dates are compared with.
///
/// ```
/// assert_eq!(vas_core::ids::format_date(86_400_000), "1970-01-02");
/// ```
pub fn format_date(ms: u64) -> String {
    format_ms(ms)[..10].to_string()
}

/// SplitMix64: small, seedable, good enough to spread ids (not a cryptographic generator).
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn os_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::io::Read;
    let mut buf = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom")
        && f.read_exact(&mut buf).is_ok()
    {
        return u64::from_le_bytes(buf);
    }
    // Fallback: the standard library's per-process random hash keys, time and pid.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(SystemClock.now_ms());
    h.write_u32(std::process::id());
    h.finish()
}

#[derive(Debug)]
struct GenState {
    rng: SplitMix,
    last_ms: u64,
    last_seq: u128,
}

/// Makes ids: thread-safe, strictly monotonic, with injectable clock and seed.
pub struct IdGenerator {
    tenant: u16,
    clock: Arc<dyn Clock>,
    state: Mutex<GenState>,
}

impl fmt::Debug for IdGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdGenerator")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl IdGenerator {
    /// A generator for `tenant` on the system clock, seeded from the operating system.
    pub fn new(tenant: u16) -> IdGenerator {
        IdGenerator::with_clock(tenant, os_seed(), Arc::new(SystemClock))
    }

    /// A reproducible generator: same seed and same clock readings give the same ids.
    pub fn deterministic(tenant: u16, seed: u64, clock: Arc<dyn Clock>) -> IdGenerator {
        IdGenerator::with_clock(tenant, seed, clock)
    }

    fn with_clock(tenant: u16, seed: u64, clock: Arc<dyn Clock>) -> IdGenerator {
        IdGenerator {
            tenant,
            clock,
            state: Mutex::new(GenState {
                rng: SplitMix(seed),
                last_ms: 0,
                last_seq: 0,
            }),
        }
    }

    /// The tenant stamped in every id.
    pub fn tenant(&self) -> u16 {
        self.tenant
    }

    /// The clock this generator reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A new id of `kind`, greater than every id this generator made before.
    pub fn generate(&self, kind: IdKind) -> Id {
        let now = self.clock.now_ms() & ((1u64 << 48) - 1);
        let mut st = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (ms, seq) = if now > st.last_ms {
            // Fresh millisecond: random sequence with the top bit clear, leaving room to count.
            let r = (u128::from(st.rng.next()) << 64) | u128::from(st.rng.next());
            (now, r & (SEQ_MASK >> 1))
        } else if st.last_seq < SEQ_MASK {
            (st.last_ms, st.last_seq + 1)
        } else {
            (st.last_ms + 1, 0)
        };
        st.last_ms = ms;
        st.last_seq = seq;
        Id::from_parts(kind, ms, seq, self.tenant)
    }

    /// A new id as a `String`.
    pub fn generate_string(&self, kind: IdKind) -> String {
        self.generate(kind).0
    }
}

/// A process-wide generator for tenant 0 on the system clock.
pub fn global() -> &'static IdGenerator {
    static G: OnceLock<IdGenerator> = OnceLock::new();
    G.get_or_init(|| IdGenerator::new(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_parts() {
        for &(ts, seq, tenant) in &[
            (0u64, 0u128, 0u16),
            ((1u64 << 48) - 1, SEQ_MASK, u16::MAX),
            (
                1_700_000_000_123,
                0x0234_5678_9abc_def0_1234_5678u128 & SEQ_MASK,
                7,
            ),
        ] {
            for kind in IdKind::ALL {
                let id = Id::from_parts(kind, ts, seq, tenant);
                assert_eq!(id.as_str().len(), ID_LEN);
                assert_eq!(id.kind(), kind);
                assert_eq!(id.timestamp_ms(), ts);
                assert_eq!(id.sequence(), seq);
                assert_eq!(id.tenant(), tenant);
                assert_eq!(Id::parse(id.as_str()).unwrap(), id);
                assert_eq!(Id::parse(&id.as_str().to_uppercase()).unwrap(), id);
            }
        }
    }

    #[test]
    fn sortable_across_time_and_monotonic_within_ms() {
        let clock = Arc::new(FixedClock::new(1_000));
        let g = IdGenerator::deterministic(1, 9, clock.clone());
        let mut prev = g.generate(IdKind::Unit);
        for i in 0..2000 {
            if i % 7 == 0 {
                clock.advance(1);
            }
            if i == 1000 {
                clock.set(10); // clock goes backwards: still monotonic
            }
            let id = g.generate(IdKind::Unit);
            assert!(id > prev, "{id} !> {prev}");
            prev = id;
        }
    }

    #[test]
    fn parse_rejects_bad_input() {
        for bad in [
            "",
            "u",
            "x0000000000000000000000000000000",
            "u000000000000000000000000000000!",
            "u00000000000000000000000000000000",
            "ué00000000000000000000000000000",
        ] {
            let e = Id::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        }
        assert!(Id::parse("u0000000000000000000000000000000").is_ok());
        assert_eq!(
            Id::parse(&format!("uO{}IL", "0".repeat(28)))
                .unwrap()
                .as_str(),
            format!("u{}11", "0".repeat(29))
        );
    }

    proptest::proptest! {
        #[test]
        fn string_order_is_field_order(
            a in (0u64..(1 << 48), 0u128..(1u128 << 91), proptest::num::u16::ANY),
            b in (0u64..(1 << 48), 0u128..(1u128 << 91), proptest::num::u16::ANY),
        ) {
            let ia = Id::from_parts(IdKind::Object, a.0, a.1, a.2);
            let ib = Id::from_parts(IdKind::Object, b.0, b.1, b.2);
            proptest::prop_assert_eq!(ia.cmp(&ib), a.cmp(&b));
            proptest::prop_assert_eq!((ia.timestamp_ms(), ia.sequence(), ia.tenant()), a);
            proptest::prop_assert_eq!(Id::parse(ia.as_str()).unwrap(), ia);
        }
    }

    #[test]
    fn system_generator_is_unique() {
        let g = IdGenerator::new(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            assert!(seen.insert(g.generate(IdKind::Object)));
        }
        assert_eq!(format_date(0), "1970-01-01");
    }
}
