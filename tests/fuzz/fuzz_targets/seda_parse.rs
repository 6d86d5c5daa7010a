//! Any bytes as a manifest: the streaming scan never panics; a document that parses is
//! written in its own version and reads back as the same document (lossless round trip).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vas_core::seda::Document;

fuzz_target!(|data: &[u8]| {
    let _ = vas_core::sip::scan_manifest(data);
    if let Ok(doc) = Document::from_slice(data) {
        let mut out = Vec::new();
        if doc.write(&mut out).is_ok() {
            let again = Document::from_slice(&out)
                .unwrap_or_else(|e| panic!("written document does not parse back: {e}\n{}", String::from_utf8_lossy(&out)));
            assert!(again == doc, "round trip changed the document\n{}", String::from_utf8_lossy(&out));
        }
    }
});
