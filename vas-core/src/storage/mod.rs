//! Module `storage`: see the project issues; filled in by its own change.
