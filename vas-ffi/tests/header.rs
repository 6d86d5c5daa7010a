//! The committed header `include/vas.h` is exactly what cbindgen generates from the
//! sources (`VAS_BLESS=1` rewrites it), and its result values are the error kinds' C codes.

use std::collections::BTreeMap;
use std::path::Path;

use vas_core::ErrorKind;

const HEADER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/include/vas.h");

fn generate() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let config = cbindgen::Config::from_file(Path::new(dir).join("cbindgen.toml"))
        .expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(Path::new(dir).join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let fresh = generate();
    if std::env::var_os("VAS_BLESS").is_some() {
        std::fs::write(HEADER, &fresh).expect("write header");
        return;
    }
    let committed = std::fs::read_to_string(HEADER).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/vas.h is stale: regenerate it with `VAS_BLESS=1 cargo test -p vas-ffi --test header`"
    );
}

/// `VAS_RESULT_<NAME> = <value>` lines of the header.
fn header_results() -> BTreeMap<String, i32> {
    // Parse what cbindgen generates (equal to the committed file, see above).
    let text = generate();
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim().trim_end_matches(',');
        if let Some((name, value)) = line.split_once(" = ")
            && let Some(name) = name.strip_prefix("VAS_RESULT_")
        {
            map.insert(name.to_string(), value.trim().parse().expect("integer"));
        }
    }
    map
}

fn screaming_snake(name: &str) -> String {
    let mut s = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_uppercase());
    }
    s
}

#[test]
fn header_result_values_are_the_kinds_c_codes() {
    let results = header_results();
    assert_eq!(results.get("OK"), Some(&0));
    for k in ErrorKind::ALL {
        let name = screaming_snake(k.name());
        assert_eq!(
            results.get(&name),
            Some(&k.c_code()),
            "VAS_RESULT_{name} must equal ErrorKind::{k:?}.c_code()"
        );
    }
    for (name, v) in [
        ("NULL_PARAMETER", 1000),
        ("BUFFER_TOO_SMALL", 1001),
        ("PANIC", 1002),
        ("CANCELLED", 1003),
    ] {
        assert_eq!(results.get(name), Some(&v), "VAS_RESULT_{name}");
    }
    assert_eq!(
        results.len(),
        ErrorKind::ALL.len() + 5,
        "no other values: {results:?}"
    );
}
