//! Memory stays flat while building and verifying a SIP with a large object. Alone in
//! its own test binary so that no other test shares the process's peak memory.

use vas_core::digest::DigestAlgorithm;
use vas_core::seda::SedaVersion;
use vas_core::sip::{
    BuildOptions, Compression, FolderImportOptions, Limits, PackageFormat, SipBuilder, SipReader,
    WriterOptions,
};

/// Peak resident memory of this process, from /proc (Linux).
#[cfg(target_os = "linux")]
fn vm_hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn memory_stays_flat_whatever_the_file_size() {
    // A 96 MiB (sparse) file goes through hashing, writing and verification; the peak
    // resident memory of the process must not grow anywhere near the file size.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let big = std::fs::File::create(src.join("big.bin")).unwrap();
    big.set_len(96 << 20).unwrap();
    drop(big);
    let before = vm_hwm_kib();
    let mut b = SipBuilder::new(SedaVersion::V2_1);
    b.archival_agency("A").transferring_agency("T");
    b.import_folder(&src, None, &FolderImportOptions::default())
        .unwrap();
    let out = dir.path().join("big.zip");
    b.write_to_file(
        &out,
        BuildOptions::new(
            WriterOptions::new(PackageFormat::Zip)
                .algorithm(DigestAlgorithm::Md5)
                .compression(Compression::Stored),
        ),
    )
    .unwrap();
    let mut r = SipReader::open(&out, Limits::default()).unwrap();
    assert_eq!(r.verify().unwrap().digests_ok, 1);
    let grown = vm_hwm_kib().saturating_sub(before);
    assert!(grown < 48 * 1024, "peak memory grew by {grown} KiB");
}
