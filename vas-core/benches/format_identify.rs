//! Throughput of PRONOM identification (files/s) on the generated corpus and on 20 000 small
//! files, against Siegfried (PyPI `pygfried`) and fido (PyPI `opf-fido`) in the same run.
//!
//! Run: `cargo bench -p vas-core --bench format_identify` (needs `scripts/setup.d/format.sh`
//! for the comparisons; set `VAS_BENCH_FILES=N` to change the 20 000).
//! Each tool is timed in-process after loading its signatures (interpreter start-up and
//! signature loading excluded); all run single-threaded, and vas is also timed with rayon.
//!
//! Measured on the shared 2-core development machine (load average ≈ 10, so ±50 % noise;
//! 5 runs on 2026-11-28, last one):
//! - corpus (96 files): vas 6 480 files/s, Siegfried 510 files/s (12.7×), fido 26 files/s
//!   (253×); PUID agreement with Siegfried 96/96;
//! - 20 000 small files: vas 6 380 files/s (7 200 with rayon), Siegfried 1 748 files/s
//!   (3.7×), fido 25 files/s on a 1 000-file sample (252×); agreement 20 000/20 000.
//!   The least favourable run measured vas 7 005 vs Siegfried 6 867 files/s (1.0×).
//! - fido (V109 too) agrees on ~75 %: it applies no container-over-byte replacement for ODF
//!   and reports extension-only matches for formats that have a signature.

#[path = "../tests/format_corpus/mod.rs"]
mod format_corpus;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rayon::prelude::*;
use vas_core::format::FormatRegistry;

const PY_SF: &str = r#"
import json, sys, time
import pygfried
paths = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
s = pygfried.Scanner()
s.identify(paths[0])
out = {}
t = time.perf_counter()
for p in paths:
    try:
        out[p] = s.identify(p) or "UNKNOWN"
    except pygfried.EmptySourceError:
        out[p] = s.identify(p, detailed=True)["files"][0]["matches"][0]["id"]
    except Exception:
        out[p] = "UNKNOWN"
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "puids": out}))
"#;

const PY_FIDO: &str = r#"
import json, sys, time, io, contextlib
from fido.fido import Fido
paths = [l.rstrip("\n") for l in open(sys.argv[1]) if l.strip()]
res = {}
cur = {}
def handle(fullname, matches, delta_t, matchtype=''):
    res[fullname] = matches[0][0].find('puid').text if matches else "UNKNOWN"
f = Fido(quiet=True, handle_matches=handle, format_files=['formats-v109.xml', 'format_extensions.xml'])
t = time.perf_counter()
with contextlib.redirect_stderr(io.StringIO()):
    for p in paths:
        f.identify_file(p)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "puids": res}))
"#;

fn python(script: &str, list: &Path) -> Option<(f64, HashMap<String, String>)> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(list)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let secs = v["seconds"].as_f64()?;
    let puids = v["puids"]
        .as_object()?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    Some((secs, puids))
}

fn run(label: &str, paths: &[PathBuf], reg: &FormatRegistry, dir: &Path) {
    println!("== {label}: {} files", paths.len());
    let t = Instant::now();
    let ours: Vec<String> = paths
        .iter()
        .map(|p| reg.identify_path(p).map(|i| i.puid).unwrap_or_default())
        .collect();
    let dt = t.elapsed().as_secs_f64();
    let ours_rate = paths.len() as f64 / dt;
    println!("vas (1 thread)      {:>10.0} files/s", ours_rate);
    let t = Instant::now();
    let _par: Vec<String> = paths
        .par_iter()
        .map(|p| reg.identify_path(p).map(|i| i.puid).unwrap_or_default())
        .collect();
    let dt = t.elapsed().as_secs_f64();
    println!(
        "vas (rayon, {} thr) {:>10.0} files/s",
        rayon::current_num_threads(),
        paths.len() as f64 / dt
    );
    // fido is ~100x slower: it gets a sample of at most VAS_BENCH_FIDO_FILES (1000) files.
    let fido_n: usize = std::env::var("VAS_BENCH_FIDO_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    for (name, script) in [("siegfried (pygfried)", PY_SF), ("fido", PY_FIDO)] {
        let sample = if name == "fido" {
            &paths[..paths.len().min(fido_n)]
        } else {
            paths
        };
        let list = dir.join(format!("{label}-{}.list", sample.len()));
        let text: String = sample
            .iter()
            .map(|p| format!("{}\n", p.display()))
            .collect();
        std::fs::write(&list, text).expect("list");
        match python(script, &list) {
            Some((secs, puids)) => {
                let rate = sample.len() as f64 / secs;
                let paths = sample;
                let agree = paths
                    .iter()
                    .zip(&ours)
                    .filter(|(p, o)| puids.get(&p.display().to_string()) == Some(*o))
                    .count();
                for (p, o) in paths.iter().zip(&ours).take(100) {
                    let t = puids.get(&p.display().to_string());
                    if t != Some(o) && name != "fido" {
                        println!("  differs: {} vas={o} {name}={t:?}", p.display());
                    }
                }
                println!(
                    "{name:<19} {rate:>10.0} files/s   vas is {:.1}x faster; PUID agreement {agree}/{} ({:.1}%)",
                    ours_rate / rate,
                    paths.len(),
                    100.0 * agree as f64 / paths.len() as f64
                );
            }
            None => println!("{name:<19} unavailable (run scripts/setup.d/format.sh)"),
        }
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing special: keep it
    // cheap there.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::var("VAS_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 200 } else { 20_000 });
    let reg = FormatRegistry::bundled().expect("bundled signatures");
    let dir = tempfile::tempdir().expect("tempdir");
    let cdir = dir.path().join("corpus");
    std::fs::create_dir_all(&cdir).expect("mkdir");
    let corpus = format_corpus::write_corpus(&cdir);
    let mem = format_corpus::corpus();
    let t = Instant::now();
    let rounds = if quick { 2 } else { 50 };
    for _ in 0..rounds {
        for (n, d) in &mem {
            std::hint::black_box(reg.identify_bytes(d, Some(n)));
        }
    }
    println!(
        "== in memory (identify_bytes, 1 thread): {:.0} files/s",
        (rounds * mem.len()) as f64 / t.elapsed().as_secs_f64()
    );
    let mut slow: Vec<(f64, &str)> = mem
        .iter()
        .map(|(n, d)| {
            let t = Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(reg.identify_bytes(d, Some(n)));
            }
            (t.elapsed().as_secs_f64() * 1e6 / rounds as f64, n.as_str())
        })
        .collect();
    slow.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("slowest (µs): {:?}", &slow[..5.min(slow.len())]);
    run("corpus", &corpus, &reg, dir.path());

    let sdir = dir.path().join("small");
    std::fs::create_dir_all(&sdir).expect("mkdir");
    let files = format_corpus::corpus();
    let small: Vec<PathBuf> = (0..n)
        .map(|i| {
            let (name, data) = &files[i % files.len()];
            let p = sdir.join(format!("{i:05}-{name}"));
            std::fs::write(&p, data).expect("write");
            p
        })
        .collect();
    run("small", &small, &reg, dir.path());
}
