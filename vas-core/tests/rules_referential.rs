//! The rules and agencies referential checks against Vitam's own CSV fixtures: every OK
//! file accepted, every KO file refused for its reason, with the line and column.

use vas_core::referential::{
    AgenciesCsvErrorCode, AgenciesReferential, RuleCategory, RuleDuration, RulesCsvErrorCode,
    RulesReferential,
};

const REF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/vitam/referentials"
);

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{REF}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_ok_rules_file_is_accepted() {
    for f in [
        "rules/MGT_RULES_REF.csv",
        "rules/jeu_donnees_OK_regles_CSV.csv",
        "rules/jeu_donnees_OK_regles_CSV_delete_rule.csv",
        "rules/jeu_donnees_OK_regles_CSV_update_ruleDesc.csv",
        "rules/jeu_donnees_OK_regles_CSV_update_ruleDuration.csv",
        "rules/jeu_donnees_OK_regles_CSV_update_ruleType.csv",
        "rules/simple_rules_set_1.csv",
        "rules/simple_rules_set_2.csv",
        "integration-processing/jeu_donnees_OK_regles_CSV_regles.csv",
        "integration-ingest-internal/jeu_donnees_OK_regles_CSV_regles.csv",
    ] {
        let r = RulesReferential::from_csv_bytes(&read(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!r.is_empty(), "{f}");
        let report = RulesReferential::check_csv(&read(f)).unwrap();
        assert!(report.is_valid(), "{f}");
        assert_eq!(report.records, r.len(), "{f}");
    }
}

#[test]
fn ok_file_content_is_read_exactly() {
    let r = RulesReferential::from_csv_bytes(&read("rules/jeu_donnees_OK_regles_CSV.csv")).unwrap();
    // Vitam's RulesManagerFileImplTest: the OK file holds 25 rules…
    assert_eq!(r.len(), 25);
    // …HOL-00001 without duration nor measurement, HOL-00002 = 5 YEAR.
    let h1 = r.get("HOL-00001").unwrap();
    assert_eq!(h1.category, RuleCategory::Hold);
    assert_eq!(h1.duration, None);
    assert_eq!(
        r.get("HOL-00002").unwrap().duration,
        Some(RuleDuration::Finite {
            value: 5,
            unit: vas_core::referential::RuleMeasurement::Year
        })
    );
    // multi-line quoted descriptions are kept whole
    assert!(r.get("APP-00001").unwrap().description.contains('\n'));
    let p = RulesReferential::from_csv_bytes(&read(
        "integration-processing/jeu_donnees_OK_regles_CSV_regles.csv",
    ))
    .unwrap();
    assert_eq!(
        p.get("HOL-00004").unwrap().duration,
        Some(RuleDuration::Unlimited)
    );
    assert_eq!(
        p.get("ACC-00036").unwrap().duration,
        Some(RuleDuration::Finite {
            value: 999,
            unit: vas_core::referential::RuleMeasurement::Year
        })
    );
}

fn errors(f: &str) -> Vec<(u64, Option<String>, RulesCsvErrorCode)> {
    let report = RulesReferential::check_csv(&read(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    assert!(
        RulesReferential::from_csv_bytes(&read(f)).is_err(),
        "{f} must be refused"
    );
    report
        .errors
        .into_iter()
        .map(|e| (e.line, e.column, e.code))
        .collect()
}

#[test]
fn every_ko_rules_file_is_refused_for_its_reason() {
    use RulesCsvErrorCode::*;
    assert_eq!(
        errors("rules/jeu_donnees_KO_regles_CSV_DuplicatedReference.csv"),
        vec![(4, Some("RuleId".into()), RuleIdDuplication)]
    );
    assert_eq!(
        errors("rules/jeu_donnees_KO_regles_CSV_HoldRuleWithDurationAndNoMeasure.csv"),
        vec![(2, Some("RuleMeasurement".into()), NotCsvFormat)]
    );
    assert_eq!(
        errors("rules/jeu_donnees_KO_regles_CSV_HoldRuleWithMeasureAndNoDuration.csv"),
        vec![(2, Some("RuleDuration".into()), NotCsvFormat)]
    );
    let e = errors("rules/jeu_donnees_KO_regles_CSV_empty_line.csv");
    assert_eq!(e, vec![(12, None, NotCsvFormat)]);
    // the CLASS-00001 record lacks its RuleType column: 5 fields instead of 6
    assert_eq!(
        errors("rules/jeu_donnees_KO_regles_CSV_invalid_format.csv"),
        vec![(40, None, NotCsvFormat)]
    );
    let e = errors("rules/jeu_donnees_KO_regles_CSV_missing_column.csv");
    assert!(
        e.contains(&(1, Some("RuleType".into()), NotCsvFormat)),
        "{e:?}"
    );
    // "Année" is not a measurement: every such line is reported
    let e = errors("rules/jeu_donnees_KO_regles_CSV_test.csv");
    let measures: Vec<_> = e.iter().filter(|x| x.2 == WrongRuleMeasurement).collect();
    assert_eq!(measures.len(), 22, "{e:?}");
    assert!(
        measures
            .iter()
            .all(|x| x.1.as_deref() == Some("RuleMeasurement"))
    );
    // …and this file also repeats APP-00001 on line 17
    assert!(e.contains(&(17, Some("RuleId".into()), RuleIdDuplication)));
    assert_eq!(
        errors("rules/simple_rules_set_ko.csv"),
        vec![
            (2, Some("RuleType".into()), UnknownRuleType),
            (3, Some("RuleType".into()), UnknownRuleType)
        ]
    );
}

#[test]
fn latin1_file_is_refused_as_not_utf8() {
    // Vitam's test names it FILE_TO_TEST_KO_INVALID_ENCODING.
    let err = RulesReferential::from_csv_bytes(&read(
        "rules/jeu_donnees_OK_regles_CSV_regles_latin3-1.csv",
    ))
    .unwrap_err();
    assert_eq!(
        err.context().code.as_deref(),
        Some("INVALID_CSV_ENCODING_NOT_UTF_EIGHT")
    );
    assert_eq!(err.context().line, Some(2)); // "Dur\xe9e" on line 2
}

#[test]
fn agencies_files() {
    for f in [
        "agencies/agencies.csv",
        "agencies/agencies2.csv",
        "agencies/agencies-contract.csv",
        "integration-processing/agencies.csv",
        "integration-ingest-internal/agencies.csv",
    ] {
        let a =
            AgenciesReferential::from_csv_bytes(&read(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(!a.is_empty());
    }
    let a = AgenciesReferential::from_csv_bytes(&read("integration-ingest-internal/agencies.csv"))
        .unwrap();
    assert!(a.contains("RATP") && a.contains("Vitam"));
    let e = AgenciesReferential::check_csv(&read("agencies/agencies3.csv")).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].line, e[0].column.as_deref(), e[0].code),
        (4, Some("Name"), AgenciesCsvErrorCode::EmptyRequiredField)
    );
    let e = AgenciesReferential::check_csv(&read("agencies/agencies_empty_line.csv")).unwrap();
    assert_eq!(
        (e[0].line, e[0].code),
        (3, AgenciesCsvErrorCode::NotCsvFormat)
    );
    let e = AgenciesReferential::check_csv(b"Identifier,Name,Description\nA,a,\nA,b,\n").unwrap();
    assert_eq!(
        (e[0].line, e[0].code),
        (3, AgenciesCsvErrorCode::IdDuplication)
    );
}

mod no_panic {
    use proptest::prelude::*;
    use vas_core::referential::{AgenciesReferential, RulesReferential};

    const H: &str = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n";

    proptest! {
        /// Bad input never panics: arbitrary bytes, and CSV-like lines from a small alphabet.
        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = RulesReferential::check_csv(&bytes);
            let _ = RulesReferential::from_csv_bytes(&bytes);
            let _ = AgenciesReferential::check_csv(&bytes);
            let _ = vas_core::rules::read_manifest_units_bytes(&bytes);
            let _ = vas_core::rules::read_units_json(&bytes);
        }

        #[test]
        fn csv_like(body in "([A-Z0-9\",\\r\\n -]|Rule|YEAR|unlimited|HoldRule|AccessRule|999|\"\"){0,60}") {
            let text = format!("{H}{body}");
            if let Ok(report) = RulesReferential::check_csv(text.as_bytes()) {
                // a file is accepted exactly when the check reports nothing
                prop_assert_eq!(report.is_valid(), RulesReferential::from_csv_bytes(text.as_bytes()).is_ok());
            }
        }

        #[test]
        fn manifest_like(body in "(<ArchiveUnit id=\"[AB]\">|</ArchiveUnit>|<ArchiveUnitRefId>[AB]</ArchiveUnitRefId>|<Management>|</Management>|<AccessRule>|</AccessRule>|<Rule>R</Rule>|<StartDate>2000-0[1-2]-3[01]</StartDate>|<Title>t</Title>|&amp;|&x;){0,30}") {
            let xml = format!("<ArchiveTransfer><DataObjectPackage><DescriptiveMetadata>{body}</DescriptiveMetadata></DataObjectPackage></ArchiveTransfer>");
            if let Ok(m) = vas_core::rules::read_manifest_units_bytes(xml.as_bytes()) {
                let r = RulesReferential::from_csv_bytes(format!("{H}R,AccessRule,v,,1,YEAR\n").as_bytes()).unwrap();
                if let Ok(c) = vas_core::rules::compute_inherited_rules(&m.units, &r) {
                    let at = vas_core::rules::parse_date("2001-01-01").unwrap();
                    let _ = c.elimination_action(&c.analyze_elimination(at));
                    for u in &m.units {
                        let _ = c.unit(&u.id).unwrap().summary();
                        let _ = c.decisions(&u.id, at).unwrap();
                    }
                }
            }
        }
    }
}
