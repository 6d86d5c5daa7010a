//! Search latency of the catalog: p50/p99 of a field query and a full-text query on a
//! generated catalog (default 1 000 000 units; `VAS_BENCH_UNITS` to change it).
//!
//! `cargo bench -p vas-core --bench catalog_search` builds the catalog once under
//! `target/tmp/vas-bench/` (reused by later runs) and prints one JSON line per measurement.
//! Run as a test (`cargo test --benches`), it checks itself on 2 000 units.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vas_core::catalog::{AccessContract, Catalog, IndexBatch, UnitRecord};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Skewed towards small values (a rough Zipf).
    fn skewed(&mut self, n: u64) -> u64 {
        let a = self.below(n) + 1;
        let b = self.below(n) + 1;
        (a * b) / (n + 1)
    }
}

const SYLLABLES: &[&str] = &[
    "ar", "bé", "cha", "do", "é", "fon", "gra", "hi", "in", "jou", "ka", "lé", "mar", "né", "or",
    "pè", "qui", "ré", "sol", "té", "ur", "vé", "xa", "yo", "zè",
];

fn vocabulary(n: usize) -> Vec<String> {
    let mut r = Rng(7);
    (0..n)
        .map(|i| {
            let k = 2 + (i % 3);
            let w: String = (0..k)
                .map(|_| SYLLABLES[r.below(SYLLABLES.len() as u64) as usize])
                .collect();
            format!("{w}{}", i % 10)
        })
        .collect()
}

fn sentence(r: &mut Rng, vocab: &[String], words: u64) -> String {
    (0..words)
        .map(|_| vocab[r.skewed(vocab.len() as u64) as usize].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn unit(
    r: &mut Rng,
    vocab: &[String],
    id: String,
    parents: Vec<String>,
    level: &str,
    agency: &str,
    op: &str,
) -> UnitRecord {
    let mut u = UnitRecord::new(id, 0);
    u.parents = parents;
    u.originating_agency = Some(agency.to_string());
    u.operation_id = Some(op.to_string());
    let tw = 3 + r.below(4);
    u.metadata
        .insert("Title".into(), json!(sentence(r, vocab, tw)));
    let dw = 8 + r.below(8);
    u.metadata
        .insert("Description".into(), json!(sentence(r, vocab, dw)));
    u.metadata.insert("DescriptionLevel".into(), json!(level));
    let y = 1800 + r.below(220);
    u.metadata
        .insert("StartDate".into(), json!(format!("{y}-01-01")));
    let e = y + r.below(10);
    u.metadata
        .insert("EndDate".into(), json!(format!("{e}-12-31")));
    u
}

/// One ingest of `per` units: a series, files under it, items under the files.
fn batch(r: &mut Rng, vocab: &[String], n: usize, per: usize) -> IndexBatch {
    let agency = format!("AG_{:03}", r.below(100));
    let op = format!("op{n}");
    let mut units = Vec::with_capacity(per);
    let series = format!("s{n:07}");
    units.push(unit(
        r,
        vocab,
        series.clone(),
        vec![],
        "Series",
        &agency,
        &op,
    ));
    let mut file = String::new();
    for i in 1..per {
        if i % 50 == 1 {
            file = format!("f{n:07}_{i:04}");
            units.push(unit(
                r,
                vocab,
                file.clone(),
                vec![series.clone()],
                "File",
                &agency,
                &op,
            ));
        } else {
            let id = format!("i{n:07}_{i:04}");
            units.push(unit(r, vocab, id, vec![file.clone()], "Item", &agency, &op));
        }
    }
    IndexBatch {
        units,
        object_groups: vec![],
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

type MakeQuery<'a> = Box<dyn Fn(&mut Rng) -> Value + 'a>;

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let n_units: usize = if bench_mode {
        std::env::var("VAS_BENCH_UNITS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000)
    } else {
        2_000
    };
    let per = 1000.min(n_units);
    let vocab = vocabulary(20_000);
    let tmp = tempfile::tempdir().unwrap();
    let path = if bench_mode {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("vas-bench");
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(format!("catalog-{n_units}.sqlite"))
    } else {
        tmp.path().join("c.sqlite")
    };
    let have = Catalog::open(&path).unwrap().counts().unwrap().0;
    if have as usize != n_units {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        let cat = Catalog::open(&path).unwrap();
        let t = Instant::now();
        let mut r = Rng(42);
        for b in 0..n_units / per {
            cat.index(&batch(&mut r, &vocab, b, per)).unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "{}",
            json!({"build": {"units": n_units, "seconds": secs,
                   "units_per_second": n_units as f64 / secs, "file_bytes": size}})
        );
    }
    let cat = Catalog::open(&path).unwrap();
    let contract = AccessContract::full_access("bench");
    let view = cat.view(0, &contract).unwrap();
    let runs = if bench_mode { 300 } else { 20 };
    let mut r = Rng(99);
    let v = &vocab;
    let kinds: Vec<(&str, MakeQuery<'_>)> = vec![
        (
            "field",
            Box::new(|r: &mut Rng| {
                json!({"$query": {"$and": [
                        {"$eq": {"#originating_agency": format!("AG_{:03}", r.below(100))}},
                        {"$eq": {"DescriptionLevel": "File"}}]},
                       "$filter": {"$limit": 20}})
            }),
        ),
        (
            "fulltext",
            Box::new(|r: &mut Rng| {
                let w = &v[r.skewed(v.len() as u64) as usize];
                json!({"$query": {"$match": {"Title": w}}, "$filter": {"$limit": 20}})
            }),
        ),
        (
            "fulltext_and_date_range",
            Box::new(|r: &mut Rng| {
                let w = &v[r.skewed(v.len() as u64) as usize];
                json!({"$query": {"$and": [{"$match": {"Description": w}},
                        {"$range": {"StartDate": {"$gte": "1900", "$lt": "1950"}}}]},
                       "$filter": {"$limit": 20}})
            }),
        ),
    ];
    for (name, make) in &kinds {
        let mut times = Vec::with_capacity(runs);
        let mut hits = 0u64;
        for i in 0..runs + 10 {
            let q = make(&mut r);
            let t = Instant::now();
            let a = view.search(&q).unwrap();
            let d = t.elapsed();
            assert!(a["$results"].as_array().unwrap().len() <= 20);
            if i >= 10 {
                times.push(d);
                hits += a["$hits"]["total"].as_u64().unwrap();
            }
        }
        times.sort();
        println!(
            "{}",
            json!({"query": name, "units": n_units, "runs": runs,
                   "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
                   "mean_total_hits": hits as f64 / runs as f64})
        );
    }
}
