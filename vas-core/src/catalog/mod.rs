//! The catalog (in progress).
