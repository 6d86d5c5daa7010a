//! XSD identity constraints (`xs:key`, `xs:keyref`, `xs:unique`): the fixtures of
//! `tests/fixtures/identity/` each violate one constraint (duplicate key, dangling
//! keyref, duplicate unique value — also after whitespace collapsing and by numeric
//! value —, missing key field). The vas verdict must equal the one recorded in
//! `EXPECTED.txt` and, when xmllint is installed, the one xmllint gives now.

use std::path::Path;
use std::process::Command;

use vas_core::schema::SchemaSet;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/identity");

fn expected() -> Vec<(String, bool)> {
    std::fs::read_to_string(Path::new(DIR).join("EXPECTED.txt"))
        .expect("EXPECTED.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let f = it.next().expect("file").to_string();
            let v = it.next().expect("verdict") == "valid";
            (f, v)
        })
        .collect()
}

fn xmllint_valid(file: &Path) -> Option<bool> {
    let out = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(Path::new(DIR).join("library.xsd"))
        .arg(file)
        .output()
        .ok()?;
    Some(out.status.success())
}

#[test]
fn identity_constraints_agree_with_xmllint() {
    let set = SchemaSet::builder()
        .add_file(Path::new(DIR).join("library.xsd"))
        .build()
        .expect("compile");
    let cases = expected();
    assert_eq!(cases.len(), 7);
    let mut bad = Vec::new();
    for (file, valid) in &cases {
        let p = Path::new(DIR).join(file);
        let r = set.validate_bytes(&std::fs::read(&p).expect("read"));
        if r.is_valid() != *valid {
            bad.push(format!(
                "{file}: expected valid={valid}, vas {:?}",
                r.findings
            ));
        }
        if let Some(lint) = xmllint_valid(&p)
            && lint != r.is_valid()
        {
            bad.push(format!(
                "{file}: xmllint valid={lint}, vas {:?}",
                r.findings
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn findings_name_the_constraint_and_the_element() {
    let set = SchemaSet::builder()
        .add_file(Path::new(DIR).join("library.xsd"))
        .build()
        .expect("compile");
    let read = |f: &str| std::fs::read(Path::new(DIR).join(f)).expect("read");
    let r = set.validate_bytes(&read("duplicate-key.xml"));
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = &r.findings[0];
    assert!(f.message.contains("duplicate key-sequence ['a1']"), "{f}");
    assert!(
        f.message.contains("key identity-constraint 'authorKey'"),
        "{f}"
    );
    assert_eq!((f.line, f.path.as_str()), (4, "/library/author[@id='a1']"));

    let r = set.validate_bytes(&read("dangling-keyref.xml"));
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = &r.findings[0];
    assert!(f.message.contains("['a9'] of keyref 'byRef'"), "{f}");
    assert_eq!((f.line, f.path.as_str()), (5, "/library/book/by"));

    let r = set.validate_bytes(&read("duplicate-unique-two-fields.xml"));
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert!(
        r.findings[0].message.contains("['3', '1']"),
        "{}",
        r.findings[0]
    );

    let r = set.validate_bytes(&read("key-field-missing.xml"));
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert!(
        r.findings[0].message.contains("not every field of key"),
        "{}",
        r.findings[0]
    );
}

#[test]
fn unsupported_xpath_is_a_compile_error() {
    let xsd = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:element name="r"><xs:complexType><xs:sequence><xs:element name="a" maxOccurs="9"/>
      </xs:sequence></xs:complexType>
      <xs:unique name="u"><xs:selector xpath="a/@x"/><xs:field xpath="."/></xs:unique>
      </xs:element></xs:schema>"#;
    let e = SchemaSet::builder()
        .add_str("u.xsd", xsd)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("unsupported XPath"), "{e}");
}
