//! The error table in `docs/errors.md` must match `ErrorKind` exactly (no drift between the
//! documented contract and the code).

use vas_core::ErrorKind;

#[test]
fn docs_error_table_matches_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/errors.md"))
        .expect("docs/errors.md");
    let rows: Vec<Vec<String>> = doc
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), ErrorKind::ALL.len(), "one row per kind");
    for (row, kind) in rows.iter().zip(ErrorKind::ALL) {
        assert_eq!(row[0], kind.name());
        assert_eq!(row[1], kind.c_code().to_string(), "{kind}");
        assert_eq!(row[2], kind.js_code(), "{kind}");
        assert_eq!(row[3], format!("vas.{}", kind.python_class()), "{kind}");
        let builtin = if row[4] == "—" {
            None
        } else {
            Some(row[4].as_str())
        };
        assert_eq!(builtin, kind.python_builtin(), "{kind}");
    }
}
