//! The dry run's progress: `done` grows monotonically and ends exactly at `total`, the sum
//! of the objects' sizes (the manifest is read before, not counted), on every thread count.

use std::path::Path;
use std::sync::{Arc, Mutex};

use vas_core::ingest::{DryRunOptions, dry_run};
use vas_core::referential::Referentials;
use vas_core::sip::{Limits, SipReader};

const SIPS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/vitam/sips/integration-test_integration-processing"
);

#[test]
fn progress_ends_at_the_objects_total() {
    for name in ["12_UNITS_12_GOTS.zip", "OK_ARBO_complexe.zip"] {
        let sip = Path::new(SIPS).join(name);
        let reader = SipReader::open(&sip, Limits::default()).unwrap();
        let manifest = reader.manifest_name().unwrap().to_owned();
        let objects: u64 = reader
            .files()
            .filter(|e| e.name != manifest)
            .map(|e| e.size)
            .sum();
        assert!(objects > 0, "{name} has objects");
        for threads in [1, 3] {
            let seen: Arc<Mutex<Vec<(u64, u64)>>> = Arc::default();
            let s = seen.clone();
            let opts = DryRunOptions {
                progress: Some(Arc::new(move |d, t| s.lock().unwrap().push((d, t)))),
                threads: Some(threads),
                ..Default::default()
            };
            dry_run(&sip, &Referentials::default(), &opts).unwrap();
            let seen = seen.lock().unwrap();
            assert!(!seen.is_empty(), "{name}: progress was reported");
            assert!(seen.iter().all(|&(_, t)| t == objects), "{name}: total");
            assert!(
                seen.windows(2).all(|w| w[0].0 <= w[1].0),
                "{name}: done never goes back"
            );
            assert_eq!(
                seen.last().unwrap().0,
                objects,
                "{name}/{threads}: done ends at total"
            );
        }
    }
}
