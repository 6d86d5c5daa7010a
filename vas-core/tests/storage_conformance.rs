//! The conformance suite against the in-memory and filesystem offers (S3: see
//! `storage_s3.rs`).

use vas_core::storage::{FilesystemOffer, MemoryOffer, conformance};

#[test]
fn memory_offer_conforms() {
    // Memory holds the large object in RAM: a smaller one is enough to exercise the path.
    let opts = conformance::Options {
        large_object_size: 8 << 20,
        ..Default::default()
    };
    let passed = conformance::run_with(&MemoryOffer::new("mem"), &opts).unwrap();
    assert_eq!(passed.len(), 10, "{passed:?}");
}

#[test]
fn filesystem_offer_conforms_with_101_mib_object() {
    let dir = tempfile::tempdir().unwrap();
    let offer = FilesystemOffer::open("fs", dir.path()).unwrap();
    let passed = conformance::run(&offer).unwrap();
    assert_eq!(passed.len(), 10, "{passed:?}");
    // Nothing left behind in tmp/.
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
}

#[test]
fn tiny_options_do_not_break_the_suite() {
    let opts = conformance::Options {
        large_object_size: 10,
        writers: 1,
        prefix: "p".into(),
    };
    let passed = conformance::run_with(&MemoryOffer::new("mem"), &opts).unwrap();
    assert_eq!(passed.len(), 10);
}
