//! Property test: random valid models of each version, built with the builder API ->
//! serialize -> parse gives an equal model, and xmllint (official XSD) accepts every output.
//! Cases are generated with proptest's runner and validated in one xmllint run per version.
//!
//! Seeds: the runs are deterministic by default (CI always tests the same cases), with
//! the fixed seed [`DEFAULT_SEED`]. To explore other cases locally:
//! - `PROPTEST_RNG_SEED=12345 cargo test -p vas-core --test seda_proptest` runs seed 12345;
//! - `VAS_PROPTEST_RANDOM=1 cargo test -p vas-core --test seda_proptest` draws a random
//!   seed and prints it (`seda_proptest seed: N`), so that a failure can be replayed with
//!   `PROPTEST_RNG_SEED=N`.
//!
//! Failures of the `proptest!` tests are also saved by proptest in
//! `seda_proptest.proptest-regressions` (committed; replayed first on every run).

mod seda_support;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use seda_support::*;
use vas_core::seda::{
    Agent, ArchiveTransfer, BinaryDataObjectItem, ContentItem, Document, ObjectSpec,
    PersistentIdentifier, SedaVersion, Text, UnitBuilder,
};

const CASES: usize = 64;

/// The seed of every run unless `PROPTEST_RNG_SEED` or `VAS_PROPTEST_RANDOM` says otherwise.
const DEFAULT_SEED: u64 = 0x5EDA_2023;

/// The seed of this run (see the module documentation), chosen once per test process.
fn seed() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        let seed = if let Ok(s) = std::env::var("PROPTEST_RNG_SEED") {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("PROPTEST_RNG_SEED must be a u64, not `{s}`"))
        } else if std::env::var_os("VAS_PROPTEST_RANDOM").is_some() {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            (t.as_nanos() as u64) ^ ((std::process::id() as u64) << 32)
        } else {
            DEFAULT_SEED
        };
        eprintln!("seda_proptest seed: {seed} (replay with PROPTEST_RNG_SEED={seed})");
        seed
    })
}

/// A proptest configuration of `cases` cases with this run's seed, offset by `stream` so
/// that runners of the same process (one per SEDA version) draw different cases.
fn config(cases: u32, stream: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed().wrapping_add(stream)),
        ..Config::default()
    }
}

#[derive(Debug, Clone)]
struct UnitSpec {
    level: &'static str,
    titles: Vec<(String, Option<&'static str>)>,
    description: Option<String>,
    start: Option<String>,
    keywords: Vec<(String, Option<&'static str>)>,
    rules: Vec<(usize, String, Option<String>)>,
    agent: Option<String>,
    pid: Option<String>,
    object: Option<(String, u64)>,
    children: Vec<UnitSpec>,
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9éèàçÉ &<>'\"()._-]{1,24}"
}
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_-]{0,12}"
}
fn full_date() -> impl Strategy<Value = String> {
    "(19[5-9][0-9]|20[0-2][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
}
fn any_date() -> impl Strategy<Value = String> {
    prop_oneof![
        "(19[5-9][0-9]|20[0-2][0-9])",
        "(19[5-9][0-9]|20[0-2][0-9])-(0[1-9]|1[0-2])",
        full_date(),
        "(19[5-9][0-9]|20[0-2][0-9])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,3})?(Z|[+-]0[0-9]:00)?",
    ]
}

const LEVELS: &[&str] = &[
    "Fonds",
    "Subfonds",
    "Class",
    "Collection",
    "Series",
    "Subseries",
    "RecordGrp",
    "SubGrp",
    "File",
    "Item",
];
const KW: &[&str] = &[
    "corpname",
    "famname",
    "geogname",
    "name",
    "occupation",
    "persname",
    "subject",
    "genreform",
    "function",
];
const CATS: &[&str] = &[
    "StorageRule",
    "AppraisalRule",
    "AccessRule",
    "DisseminationRule",
    "ReuseRule",
    "HoldRule",
];

fn unit_leaf() -> impl Strategy<Value = UnitSpec> {
    (
        (
            prop::sample::select(LEVELS),
            prop::collection::vec(
                (
                    text(),
                    prop::option::of(prop::sample::select(&["fr", "en", "de-CH"][..])),
                ),
                1..3,
            ),
            prop::option::of(text()),
            prop::option::of(any_date()),
            prop::collection::vec((token(), prop::option::of(prop::sample::select(KW))), 0..3),
        ),
        (
            prop::collection::vec(
                (0..CATS.len(), token(), prop::option::of(full_date())),
                0..4,
            ),
            prop::option::of(text()),
            prop::option::of(token()),
            prop::option::of(("[0-9a-f]{128}", 1u64..10_000_000_000)),
        ),
    )
        .prop_map(
            |((level, titles, description, start, keywords), (rules, agent, pid, object))| {
                UnitSpec {
                    level,
                    titles,
                    description,
                    start,
                    keywords,
                    rules,
                    agent,
                    pid,
                    object,
                    children: vec![],
                }
            },
        )
}

fn unit_tree() -> impl Strategy<Value = UnitSpec> {
    unit_leaf().prop_recursive(3, 24, 4, |inner| {
        (unit_leaf(), prop::collection::vec(inner, 1..4)).prop_map(|(mut u, c)| {
            u.children = c;
            u
        })
    })
}

fn fill(
    mut b: UnitBuilder<'_>,
    u: &UnitSpec,
    v: SedaVersion,
    counter: &mut usize,
    groups: &mut Vec<(String, String, u64)>,
) {
    {
        let mut c = b.content().description_level(u.level);
        for (t, lang) in &u.titles {
            c = match lang {
                Some(l) => c.title_lang(t, l),
                None => c.title(t),
            };
        }
        if let Some(d) = &u.description {
            c = c.description(d);
        }
        for (k, t) in &u.keywords {
            c = c.keyword(k, *t);
        }
        if let Some(d) = &u.start {
            c = c.start_date(d);
        }
        let content = c.get();
        if v >= SedaVersion::V2_2 {
            if let Some(a) = &u.agent {
                let mut ag = Agent::default();
                ag.add_text("FullName", Text::new(a.clone()));
                content.insert(ContentItem::Agent(ag));
            }
        } else if let Some(a) = &u.agent {
            let mut ag = Agent::default();
            ag.add_text("FullName", Text::new(a.clone()));
            content.insert(ContentItem::Writer(ag));
        }
        if let Some(p) = u.pid.as_ref().filter(|_| v == SedaVersion::V2_3) {
            let mut pi = PersistentIdentifier::default();
            pi.add_text("PersistentIdentifierType", Text::new("ark"));
            pi.add_text("PersistentIdentifierContent", Text::new(p.clone()));
            content.insert(ContentItem::PersistentIdentifier(pi));
        }
    }
    for (cat, rule, start) in &u.rules {
        let cat = CATS[*cat];
        if cat == "HoldRule" && v < SedaVersion::V2_2 {
            continue;
        }
        b.try_rule(cat, rule, start.as_deref()).unwrap();
        match cat {
            "StorageRule" => {
                b.final_action(cat, "Copy").unwrap();
            }
            "AppraisalRule" => {
                b.final_action(cat, "Keep").unwrap();
            }
            _ => {}
        }
    }
    if let Some((digest, size)) = &u.object {
        *counter += 1;
        let g = format!("G{counter}");
        groups.push((g.clone(), digest.clone(), *size));
        b.object_group(&g);
    }
    for child in &u.children {
        *counter += 1;
        let id = format!("U{counter}");
        fill(b.child(&id), child, v, counter, groups);
    }
}

fn build(v: SedaVersion, units: &[UnitSpec]) -> Document {
    let mut b = ArchiveTransfer::builder(v)
        .archival_agency("AG")
        .transferring_agency("TA")
        .archival_agreement("IC-1")
        .originating_agency("OA");
    let mut counter = 0;
    let mut groups = Vec::new();
    for u in units {
        counter += 1;
        let id = format!("U{counter}");
        fill(b.unit(&id), u, v, &mut counter, &mut groups);
    }
    for (g, digest, size) in groups {
        b.binary_object(
            &g,
            ObjectSpec {
                id: format!("B{g}"),
                uri: Some(format!("content/{g}.bin")),
                digest: Some((digest, "SHA-512".into())),
                size: Some(size),
                filename: Some(format!("{g}.bin")),
                format_id: Some("fmt/18".into()),
                mime_type: Some("application/pdf".into()),
                ..ObjectSpec::default()
            },
        );
    }
    let mut d = b.build().unwrap();
    if v == SedaVersion::V2_3 {
        // 2.3-only object fields
        let p = d.message.package_mut();
        for item in p.items.iter_mut() {
            if let vas_core::seda::DataObjectPackageItem::DataObjectGroup(g) = item {
                for gi in g.items.iter_mut() {
                    if let vas_core::seda::DataObjectGroupItem::BinaryDataObject(bdo) = gi {
                        bdo.insert(BinaryDataObjectItem::DataObjectUse(Text::new(
                            "BinaryMaster",
                        )));
                        bdo.insert(BinaryDataObjectItem::DataObjectNumber(Text::new("1")));
                    }
                }
            }
        }
    }
    d
}

#[test]
fn random_models_roundtrip_and_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let strategy = prop::collection::vec(unit_tree(), 1..4);
    let mut total_units = 0;
    for (i, v) in SedaVersion::ALL.into_iter().enumerate() {
        let mut runner = TestRunner::new(config(CASES as u32, i as u64));
        let mut files = Vec::new();
        for n in 0..CASES {
            let units = strategy.new_tree(&mut runner).unwrap().current();
            let doc = build(v, &units);
            assert!(doc.check_references().is_empty());
            total_units += doc.stats().units;
            let xml = doc.to_string().unwrap();
            let back = Document::from_str(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
            assert!(back == doc, "model changed by round-trip:\n{xml}");
            assert_eq!(back.to_string().unwrap(), xml);
            let p = tmp.path().join(format!("{v}-{n}.xml"));
            std::fs::write(&p, &xml).unwrap();
            files.push(p);
        }
        if xmllint_available() {
            let ok = xmllint_validate(v.as_str(), &files);
            for (f, ok) in files.iter().zip(ok) {
                assert!(
                    ok,
                    "xmllint rejects {}:\n{}",
                    f.display(),
                    std::fs::read_to_string(f).unwrap()
                );
            }
        } else {
            eprintln!(
                "!!!!!!!! xmllint NOT FOUND: skipping XSD validation of generated models !!!!!!!!"
            );
        }
    }
    eprintln!(
        "proptest: {} models ({} units) round-tripped and XSD-valid",
        CASES * 3,
        total_units
    );
}

proptest! {
    #![proptest_config(config(256, 10))]

    /// Bad input never panics: random mutations of a real manifest either parse (and then
    /// round-trip to an equal model) or give a typed error.
    #[test]
    fn mutated_manifests_never_panic(
        ops in prop::collection::vec((0usize..100_000, 0usize..40, prop::collection::vec(any::<u8>(), 0..12)), 1..6)
    ) {
        let mut bytes = std::fs::read(fixture("seda/samples/ok-2.3.xml")).unwrap();
        for (at, del, ins) in ops {
            let at = at % (bytes.len() + 1);
            let end = (at + del).min(bytes.len());
            bytes.splice(at..end, ins);
        }
        match Document::from_slice(&bytes) {
            Ok(doc) => {
                let _ = doc.check_references();
                let _ = doc.stats();
                match doc.to_string() {
                    Ok(out) => {
                        let back = Document::from_str(&out).unwrap();
                        prop_assert!(back == doc);
                    }
                    Err(e) => prop_assert!(e.kind() == vas_core::ErrorKind::Unsupported, "{e}"),
                }
            }
            Err(e) => prop_assert!(matches!(
                e.kind(),
                vas_core::ErrorKind::Xml | vas_core::ErrorKind::Unsupported | vas_core::ErrorKind::LimitExceeded
            ), "{e}"),
        }
    }
}

proptest! {
    #![proptest_config(config(256, 20))]

    /// Typed views of leaf values never panic on arbitrary text.
    #[test]
    fn typed_views_never_panic(s in "\\PC{0,40}") {
        let t = Text::new(s.clone());
        let _ = (t.as_date(), t.as_u64(), t.as_bool(), t.token());
        if let Some(d) = t.as_date() {
            prop_assert_eq!(d.lexical, s);
        }
    }
}

/// Found by `mutated_manifests_never_panic`: stray text where only elements belong
/// (`<Width>…</Width>/Weight>` after a deletion) must round-trip to an equal model, and a
/// literal control character (U+000E between elements) is not well-formed.
#[test]
fn found_by_the_proptest() {
    let orig = std::fs::read(fixture("seda/samples/ok-2.3.xml")).unwrap();
    let mut stray = orig.clone();
    let at = 68041 % (stray.len() + 1);
    let end = (at + 36).min(stray.len());
    stray.splice(at..end, []);
    let doc = Document::from_slice(&stray).unwrap();
    let out = doc.to_string().unwrap();
    assert!(out.contains("/Weight&gt;"), "the stray text is kept");
    assert!(Document::from_str(&out).unwrap() == doc);

    let mut control = orig;
    let at = 13023 % (control.len() + 1);
    control.splice(at..at, [14u8]);
    let e = Document::from_slice(&control).unwrap_err();
    assert_eq!(e.kind(), vas_core::ErrorKind::Xml, "{e}");
}
