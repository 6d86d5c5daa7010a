//! Any bytes validated against the bundled SEDA 2.1 and 2.3 schemas: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vas_core::schema::SchemaSet;
use vas_core::seda::SedaVersion;

fuzz_target!(|data: &[u8]| {
    for v in [SedaVersion::V2_1, SedaVersion::V2_3] {
        let s = SchemaSet::seda(v).unwrap();
        let _ = s.validate_bytes(data);
    }
});
