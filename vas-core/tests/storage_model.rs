//! Differential property test: random sequences of operations give the same observable
//! results on the filesystem offer as on the in-memory offer (the model), including
//! write-once conflicts, refused mismatches, deletes, listings and ranges.

use proptest::prelude::*;

use vas_core::digest::DigestAlgorithm;
use vas_core::storage::{
    FilesystemOffer, Fixity, MemoryOffer, ObjectKey, StorageOffer, StorageOfferExt,
};

#[derive(Debug, Clone)]
enum Op {
    Put { key: usize, content: u8, lie: bool },
    Delete { key: usize },
    Get { key: usize },
    Range { key: usize, start: u64, len: u64 },
    List { prefix: usize },
}

const KEYS: [&str; 6] = ["a", "a/b", "a/b/c", "é/ü", "日本/x", "b"];
const PREFIXES: [&str; 5] = ["", "a", "a/", "é", "z"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..KEYS.len(), 0u8..3, proptest::bool::weighted(0.2))
            .prop_map(|(key, content, lie)| Op::Put { key, content, lie }),
        (0..KEYS.len()).prop_map(|key| Op::Delete { key }),
        (0..KEYS.len()).prop_map(|key| Op::Get { key }),
        (0..KEYS.len(), 0u64..3000, 0u64..3000).prop_map(|(key, start, len)| Op::Range {
            key,
            start,
            len
        }),
        (0..PREFIXES.len()).prop_map(|prefix| Op::List { prefix }),
    ]
}

fn content(c: u8) -> Vec<u8> {
    (0..(c as usize * 1000 + 7))
        .map(|i| (i * 7 + c as usize) as u8)
        .collect()
}

/// One operation, as an observable string (kind of error or result).
fn apply(o: &dyn StorageOffer, op: &Op) -> String {
    let k = |i: usize| ObjectKey::new(KEYS[i]).unwrap();
    match op {
        Op::Put {
            key,
            content: c,
            lie,
        } => {
            let data = content(*c);
            let mut fx = Fixity::of_bytes(DigestAlgorithm::Sha256, &data);
            if *lie {
                fx.digest = Fixity::of_bytes(DigestAlgorithm::Sha256, b"lie").digest;
            }
            format!(
                "{:?}",
                o.put(&k(*key), &mut &data[..], &fx).map_err(|e| e.kind())
            )
        }
        Op::Delete { key } => format!("{:?}", o.delete(&k(*key)).map_err(|e| e.kind())),
        Op::Get { key } => format!("{:?}", o.get_bytes(&k(*key)).map_err(|e| e.kind())),
        Op::Range { key, start, len } => format!(
            "{:?}",
            o.get_range_bytes(&k(*key), *start, *len)
                .map_err(|e| e.kind())
        ),
        Op::List { prefix } => format!(
            "{:?}",
            o.list(PREFIXES[*prefix]).map(|v| v
                .into_iter()
                .map(|m| (m.key.to_string(), m.fixity))
                .collect::<Vec<_>>())
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
    #[test]
    fn filesystem_offer_behaves_like_the_model(ops in proptest::collection::vec(op(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        let fs = FilesystemOffer::open("fs", dir.path()).unwrap().without_fsync();
        let mem = MemoryOffer::new("mem");
        for (i, op) in ops.iter().enumerate() {
            let a = apply(&mem, op);
            let b = apply(&fs, op);
            prop_assert_eq!(a, b, "step {}: {:?}", i, op);
        }
        // And a reopened offer sees the same state.
        let again = FilesystemOffer::open("fs", dir.path()).unwrap();
        prop_assert_eq!(apply(&mem, &Op::List { prefix: 0 }), apply(&again, &Op::List { prefix: 0 }));
    }
}
