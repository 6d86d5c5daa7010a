//! Any text as the value of an element of each XSD built-in datatype (the first byte picks
//! the type): validation never panics. The corpus it grows is the input of the differential
//! check against xmllint (the `diff_datatypes` binary here), which judges the verdicts.
#![no_main]
use std::sync::OnceLock;
use libfuzzer_sys::fuzz_target;
use vas_core::schema::SchemaSet;

#[path = "../src/datatypes.rs"]
mod datatypes;
use datatypes::{TYPES, document};

fn schema() -> &'static SchemaSet {
    static SET: OnceLock<SchemaSet> = OnceLock::new();
    SET.get_or_init(|| {
        SchemaSet::builder().add_str("types.xsd", &datatypes::schema()).build().unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let doc = document(pick, text);
    let _ = schema().validate_bytes(doc.as_bytes());
});
