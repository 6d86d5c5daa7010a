//! Logbooks (in progress).
