//! Build script of vas-core: one link setting of the `vas` command-line binary, nothing for
//! the library (nor, through it, for the bindings' shared libraries).
//!
//! With glibc, the standard library links the unwinder dynamically (`libgcc_s.so.1`): one
//! more library for the loader to open, map and relocate in every process, and its
//! constructor (`__cpu_indicator_init`) runs `cpuid`, which traps in a virtual machine
//! (≈0.05–0.1 ms of a 1.5 ms `vas manifest check`, docs/performance.md, "floor11"). The
//! binary gets the same unwinder as a static archive (`libgcc_eh.a`, what `-static-libgcc`
//! and Rust's own `crt-static` builds use), so `libgcc_s` is no longer needed (`--as-needed`
//! drops it). Its objects come whole (`--whole-archive`): rustc puts extra link arguments
//! after the standard library's `-lgcc_s`, and only object files, not archive members,
//! override a shared library's definitions that came first. When the C compiler cannot name
//! the archive, nothing changes (the binary keeps `libgcc_s`).

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |k: &str| env::var(k).unwrap_or_default();
    let static_crt = var("CARGO_CFG_TARGET_FEATURE")
        .split(',')
        .any(|f| f == "crt-static");
    if env::var_os("CARGO_FEATURE_CLI").is_none()
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || static_crt
    {
        return;
    }
    if let Some(archive) = gcc_eh_archive() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--whole-archive,{},--no-whole-archive",
            archive.display()
        );
    }
}

/// The path of `libgcc_eh.a` as the linker driver (the C compiler rustc links with) knows
/// it, if it has one: `-print-file-name` answers the bare name when it finds no such file.
fn gcc_eh_archive() -> Option<PathBuf> {
    // Cross builds without a configured linker: `cc` would name the host's archive.
    let driver = match env::var("RUSTC_LINKER") {
        Ok(l) => l,
        Err(_) if env::var("TARGET").ok() == env::var("HOST").ok() => "cc".to_string(),
        Err(_) => return None,
    };
    let out = Command::new(driver)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // The archive path goes into a comma-separated `-Wl,` list: no commas in it.
    (path.is_absolute() && path.is_file() && !path.to_string_lossy().contains(',')).then_some(path)
}
