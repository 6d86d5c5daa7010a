//! Any bytes as a package: opening (format detected from content), reading the manifest,
//! hashing every entry, Vitam's container checks and extraction never panic, and nothing
//! is ever written outside the extraction folder.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vas_core::digest::DigestAlgorithm;
use vas_core::sip::{Limits, SipReader};

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("vas-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("x");
    std::fs::write(&p, data).unwrap();
    let mut lim = Limits::default();
    lim.max_total_size = 8 << 20;
    lim.max_entry_size = 4 << 20;
    if let Ok(mut r) = SipReader::open(&p, lim) {
        let _ = r.manifest_bytes();
        let _ = r.hash_all(DigestAlgorithm::Sha512);
        let _ = r.verify();
        let _ = r.extract_to(dir.join("out"));
    }
    for e in std::fs::read_dir(&dir).unwrap() {
        let n = e.unwrap().file_name();
        assert!(n == "x" || n == "out", "{n:?} written outside the destination");
    }
    let _ = std::fs::remove_dir_all(&dir);
});
