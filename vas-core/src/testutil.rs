//! Helpers shared by the unit tests of several modules.

/// One step of Marsaglia's xorshift64 generator (shifts 13, 7, 17): advances `state` and
/// returns the new value. The tests' pseudo-random inputs all come from it, so a seed
/// always gives the same bytes.
pub(crate) fn xorshift64(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
