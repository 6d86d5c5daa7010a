//! Module `schema`: see the project issues; filled in by its own change.
