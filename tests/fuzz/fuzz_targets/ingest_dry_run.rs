//! Any bytes as a SIP through the whole ingest dry run (container, manifest, XSD, Vitam's
//! checks, digests, the reply message), with the integration referentials of
//! `tests/fixtures`: never a panic, in the full and in the report-only mode.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vas_core::ingest::{DryRunOptions, dry_run, vitam_test_format_mock};
use vas_core::referential::Referentials;

static REFS: OnceLock<Referentials> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let refs = REFS.get_or_init(|| {
        Referentials::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/referentials/integration-ingest-internal")).unwrap()
    });
    let dir = std::env::temp_dir().join(format!("vas-fuzz-ingest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("sip.zip");
    std::fs::write(&p, data).unwrap();
    let mut opts = DryRunOptions { threads: Some(1), format_hook: Some(vitam_test_format_mock()), ..Default::default() };
    opts.limits.max_total_size = 8 << 20;
    opts.limits.max_entry_size = 4 << 20;
    let _ = dry_run(&p, refs, &opts);
    opts.report_only = true;
    let _ = dry_run(&p, refs, &opts);
    let _ = std::fs::remove_dir_all(&dir);
});
