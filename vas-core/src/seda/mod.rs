//! Module `seda`: see the project issues; filled in by its own change.
