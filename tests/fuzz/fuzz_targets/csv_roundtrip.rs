//! Any bytes as a ReSIP metadata CSV (UTF-8 and Windows-1252, `;` and `,`): importing never
//! panics, and exporting what was imported is a fixed point (import → export → import →
//! export gives the same CSV).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vas_core::seda::SedaVersion;
use vas_core::sip::{CsvEncoding, CsvOptions, SipBuilder};

fuzz_target!(|data: &[u8]| {
    let base = std::env::temp_dir().join("vas-fuzz-csv-empty");
    let _ = std::fs::create_dir_all(&base);
    for (sep, enc) in [(';', CsvEncoding::Utf8), (',', CsvEncoding::Windows1252)] {
        let opts = CsvOptions { separator: sep, encoding: enc };
        let mut b = SipBuilder::new(SedaVersion::V2_3);
        if b.import_csv(data, &base, &opts).is_err() {
            continue;
        }
        let mut first = Vec::new();
        if b.export_csv(&mut first, &base, &opts).is_err() {
            continue;
        }
        let mut b2 = SipBuilder::new(SedaVersion::V2_3);
        b2.import_csv(&first[..], &base, &opts).unwrap_or_else(|e| {
            panic!("exported CSV does not import back: {e}\n{}", String::from_utf8_lossy(&first))
        });
        let mut second = Vec::new();
        b2.export_csv(&mut second, &base, &opts).unwrap();
        assert!(
            first == second,
            "export is not a fixed point\n{}\n---\n{}",
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second)
        );
    }
});
