//! `docs/cli.md` is the programs' own `--help` text: regenerate it with `scripts/gen-cli-doc`
//! when a command changes. This test fails when a section drifts from the binary.
#![cfg(feature = "cli")]

use std::process::Command;

#[test]
fn cli_reference_matches_the_binary() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli.md"))
        .expect("docs/cli.md");
    let mut sections = 0;
    for part in doc.split("\n## vas ").skip(1) {
        let (title, rest) = part.split_once('\n').unwrap();
        let body = rest
            .split_once("```text\n")
            .and_then(|(_, b)| b.split_once("```"))
            .map(|(b, _)| b)
            .unwrap_or_else(|| panic!("section {title} has no text block"));
        let mut args: Vec<&str> = title.split_whitespace().collect();
        args.push("--help");
        let out = Command::new(env!("CARGO_BIN_EXE_vas"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "vas {title} --help");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            body,
            "docs/cli.md section `vas {title}` is stale: run scripts/gen-cli-doc"
        );
        sections += 1;
    }
    assert!(sections >= 20, "only {sections} sections");
}
