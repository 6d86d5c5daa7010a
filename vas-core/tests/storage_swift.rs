//! The Swift offer against a real single-node OpenStack Swift started by the test: Debian's
//! `swift-proxy`, `swift-account`, `swift-container`, `swift-object` (and `memcached`,
//! which TempAuth keeps its tokens in), installed by `scripts/setup.d/storage.sh`. The
//! rings are built in a temporary folder, every server is bound to 127.0.0.1 on free ports
//! with `mount_check = false` and TempAuth, and everything is killed on drop. Skips LOUDLY
//! when the servers are absent, unless `VAS_REQUIRE_SWIFT=1`, which turns the skip into a
//! failure.
#![cfg(feature = "swift")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vas_core::ErrorKind;
use vas_core::digest::DigestAlgorithm;
use vas_core::storage::config::{StorageConfig, SwiftConfig};
use vas_core::storage::conformance::{self, PatternReader};
use vas_core::storage::{
    FilesystemOffer, Fixity, HEADER_LEN, ObjectKey, Problem, StorageOffer, StorageOfferExt,
    Strategy, SwiftOffer,
};

const USER: &str = "test:tester";
const KEY: &str = "testing";

fn find(bin: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

/// A single-node Swift (proxy, account, container, object servers) and its memcached.
struct Saio {
    children: Vec<(String, Child)>,
    dir: tempfile::TempDir,
    proxy_port: u16,
    memcached_port: u16,
    user: String,
}

impl Drop for Saio {
    fn drop(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    // Hold all listeners at once so the ports are distinct.
    let ls: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    ls.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

fn run(cmd: &Path, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().expect("run");
    // `rebalance` exits 1 with a warning on a one-device ring; the ring file is what counts.
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{} {args:?}: {}",
        cmd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_saio() -> Option<Saio> {
    let bins = [
        "swift-proxy-server",
        "swift-account-server",
        "swift-container-server",
        "swift-object-server",
        "swift-ring-builder",
        "memcached",
    ];
    let found: Vec<Option<PathBuf>> = bins.iter().map(|b| find(b)).collect();
    if found.iter().any(Option::is_none) {
        let missing: Vec<_> = bins
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(b, _)| *b)
            .collect();
        if std::env::var("VAS_REQUIRE_SWIFT").as_deref() == Ok("1") {
            panic!("{missing:?} not found and VAS_REQUIRE_SWIFT=1");
        }
        eprintln!(
            "\n\n*** SKIPPED: Swift tests need {missing:?} (apt-get install swift swift-proxy \
             swift-account swift-container swift-object memcached; see \
             scripts/setup.d/storage.sh) ***\n\n"
        );
        return None;
    }
    let bin = |name: &str| {
        found[bins.iter().position(|b| *b == name).unwrap()]
            .clone()
            .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    let node = dir.path().join("node");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::create_dir_all(node.join("d1")).unwrap();
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let p = free_ports(5);
    let (proxy_port, memcached_port) = (p[0], p[4]);
    let mut saio = Saio {
        children: Vec::new(),
        dir,
        proxy_port,
        memcached_port,
        user: user.clone(),
    };
    saio.start_memcached(&bin("memcached"));
    let ring_builder = bin("swift-ring-builder");
    for (name, port) in [("account", p[1]), ("container", p[2]), ("object", p[3])] {
        let builder = etc.join(format!("{name}.builder"));
        let b = builder.to_str().unwrap();
        run(&ring_builder, &[b, "create", "8", "1", "1"]);
        run(
            &ring_builder,
            &[b, "add", &format!("r1z1-127.0.0.1:{port}/d1"), "100"],
        );
        run(&ring_builder, &[b, "rebalance"]);
        assert!(etc.join(format!("{name}.ring.gz")).is_file(), "{name} ring");
        let conf = etc.join(format!("{name}-server.conf"));
        std::fs::write(
            &conf,
            format!(
                "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\n\
                 user = {user}\nswift_dir = {etc}\ndevices = {node}\nmount_check = false\n\
                 log_level = WARNING\n\n[pipeline:main]\npipeline = {name}-server\n\n\
                 [app:{name}-server]\nuse = egg:swift#{name}\n\n[{name}-replicator]\n\n\
                 [{name}-auditor]\n\n[{name}-updater]\n",
                etc = etc.display(),
                node = node.display()
            ),
        )
        .unwrap();
        saio.spawn(name, &bin(&format!("swift-{name}-server")), &conf);
    }
    // (section name in the pipeline, entry point)
    let filters = [
        ("catch_errors", "catch_errors"),
        ("gatekeeper", "gatekeeper"),
        ("healthcheck", "healthcheck"),
        ("proxy-logging", "proxy_logging"),
        ("listing_formats", "listing_formats"),
        ("bulk", "bulk"),
        ("copy", "copy"),
        ("slo", "slo"),
        ("dlo", "dlo"),
    ];
    let mut proxy = format!(
        "[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {proxy_port}\nworkers = 0\nuser = {user}\n\
         swift_dir = {}\nlog_level = WARNING\n\n[pipeline:main]\npipeline = catch_errors \
         gatekeeper healthcheck proxy-logging cache listing_formats bulk tempauth copy slo dlo \
         proxy-logging proxy-server\n\n[app:proxy-server]\nuse = egg:swift#proxy\n\
         allow_account_management = true\naccount_autocreate = true\n\n[filter:tempauth]\n\
         use = egg:swift#tempauth\nuser_test_tester = {KEY} .admin\n\n[filter:cache]\n\
         use = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{memcached_port}\n",
        etc.display()
    );
    for (section, egg) in filters {
        proxy.push_str(&format!("\n[filter:{section}]\nuse = egg:swift#{egg}\n"));
    }
    let conf = etc.join("proxy-server.conf");
    std::fs::write(&conf, proxy).unwrap();
    saio.spawn("proxy", &bin("swift-proxy-server"), &conf);
    Some(saio)
}

impl Saio {
    fn spawn(&mut self, name: &str, bin: &Path, conf: &Path) {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let child = Command::new(bin)
            .arg(conf)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        self.children.push((name.to_string(), child));
    }

    fn start_memcached(&mut self, bin: &Path) {
        let log = std::fs::File::create(self.dir.path().join("memcached.log")).unwrap();
        let child = Command::new(bin)
            .args([
                "-l",
                "127.0.0.1",
                "-p",
                &self.memcached_port.to_string(),
                "-U",
                "0",
                "-m",
                "16",
                "-u",
                &self.user,
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start memcached");
        self.children.push(("memcached".into(), child));
    }

    /// Restarts memcached: every TempAuth token is forgotten.
    fn restart_memcached(&mut self) {
        let i = self
            .children
            .iter()
            .position(|(n, _)| n == "memcached")
            .unwrap();
        let (_, mut c) = self.children.remove(i);
        c.kill().unwrap();
        c.wait().unwrap();
        self.start_memcached(&find("memcached").unwrap());
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.memcached_port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "memcached restart"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn auth_url(&self) -> String {
        format!("http://127.0.0.1:{}/auth/v1.0", self.proxy_port)
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for n in ["proxy", "account", "container", "object", "memcached"] {
            let s = std::fs::read_to_string(self.dir.path().join(format!("{n}.log")))
                .unwrap_or_default();
            let tail: Vec<_> = s.lines().rev().take(15).collect();
            out.push_str(&format!("--- {n}.log\n"));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    /// Opens the offer, waiting for the servers to be ready (Python start-up is slow on a
    /// loaded machine).
    fn open(&mut self, cfg: SwiftConfig) -> SwiftOffer {
        let start = Instant::now();
        loop {
            let r = SwiftOffer::new(cfg.clone(), USER.into(), KEY.into())
                .and_then(|o| o.status().map(|_| o));
            match r {
                Ok(o) => return o,
                Err(e) => {
                    let dead = self
                        .children
                        .iter_mut()
                        .find_map(|(n, c)| c.try_wait().ok().flatten().map(|st| (n.clone(), st)));
                    if let Some((n, st)) = dead {
                        panic!("{n} exited ({st}):\n{}", self.logs());
                    }
                    if start.elapsed() > Duration::from_secs(180) {
                        panic!("Swift not ready after 180 s: {e}\n{}", self.logs());
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
        }
    }

    fn config(&self, container: &str) -> SwiftConfig {
        SwiftConfig {
            id: "swift-1".into(),
            auth_url: self.auth_url(),
            auth_version: 1,
            user_env: "VAS_SWIFT_USER".into(),
            key_env: "VAS_SWIFT_KEY".into(),
            project: None,
            user_domain: "Default".into(),
            project_domain: "Default".into(),
            region: None,
            interface: "public".into(),
            container: container.into(),
            prefix: String::new(),
            storage_url: None,
            // Small segments so that Static Large Objects are exercised by modest objects.
            large_object_threshold: 3 << 20,
            segment_size: 2 << 20,
            create_container: true,
            // Tiny listing pages: every listing below goes through the `marker` paging.
            list_page_size: 2,
        }
    }

    /// A raw request with curl (to act behind vas's back); `None` when curl is absent.
    fn curl(&self, args: &[&str]) -> Option<(u16, String)> {
        let auth = Command::new("curl")
            .args([
                "-s",
                "-D",
                "-",
                "-o",
                "/dev/null",
                "-H",
                &format!("X-Auth-User: {USER}"),
                "-H",
                &format!("X-Auth-Key: {KEY}"),
                &self.auth_url(),
            ])
            .output()
            .ok()?;
        let headers = String::from_utf8_lossy(&auth.stdout).to_string();
        let get = |name: &str| {
            headers.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
        };
        let (url, token) = (get("x-storage-url")?, get("x-auth-token")?);
        let mut full: Vec<String> = vec![
            "-s".into(),
            "-o".into(),
            "/dev/null".into(),
            "-w".into(),
            "%{http_code}".into(),
            "-H".into(),
            format!("X-Auth-Token: {token}"),
        ];
        for a in args {
            full.push(a.replace("{URL}", &url));
        }
        let out = Command::new("curl").args(&full).output().ok()?;
        let code = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
        Some((code, url))
    }
}

#[allow(unused_unsafe)]
fn set_env() {
    // Edition 2024: set_var is unsafe; this test binary has a single test using it.
    unsafe {
        std::env::set_var("VAS_SWIFT_USER", USER);
        std::env::set_var("VAS_SWIFT_KEY", KEY);
    }
}

// One Swift for the whole file: the checks below run in one #[test] to start it once.
#[test]
fn swift_offer_against_a_real_swift() {
    let Some(mut saio) = start_saio() else { return };
    let offer = saio.open(saio.config("vas-conformance"));
    eprintln!("Swift proxy on 127.0.0.1:{}", saio.proxy_port);
    // An offer over the segments container: it sees segments as foreign objects, so its
    // `damaged` list is the list of segments (to check that none is left behind).
    let mut seg_cfg = saio.config("vas-conformance_segments");
    seg_cfg.create_container = false;
    let segments = SwiftOffer::new(seg_cfg, USER.into(), KEY.into()).unwrap();

    // 1. The conformance suite (a 101 MiB object as a Static Large Object of 2 MiB
    // segments). `VAS_SWIFT_LARGE_MIB` shrinks it for quick local runs.
    let large_mib: u64 = std::env::var("VAS_SWIFT_LARGE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(101);
    let opts = conformance::Options {
        large_object_size: large_mib << 20,
        writers: 4,
        ..Default::default()
    };
    let t = Instant::now();
    let passed = conformance::run_with(&offer, &opts).unwrap();
    assert_eq!(passed.len(), 10, "{passed:?}");
    eprintln!("conformance passed in {:.1} s", t.elapsed().as_secs_f64());
    assert!(
        segments.damaged().unwrap().is_empty(),
        "deleting large objects removes their segments"
    );

    // 2. A large object refused on a digest mismatch: no manifest, no segment left.
    let k = ObjectKey::new("slo/bad.bin").unwrap();
    let size = (7 << 20) + 12_345;
    let good = Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(5, size)).unwrap();
    let mut bad = good.clone();
    bad.digest = format!(
        "{}{}",
        if &bad.digest[..2] == "00" { "11" } else { "00" },
        &bad.digest[2..]
    );
    let e = offer
        .put(&k, &mut PatternReader::new(5, size), &bad)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(offer.head(&k).unwrap().is_none());
    assert!(segments.damaged().unwrap().is_empty(), "segments left");
    // A stream longer than declared is refused too.
    let mut short = good.clone();
    short.size -= 1;
    let e = offer
        .put(&k, &mut PatternReader::new(5, size), &short)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(offer.head(&k).unwrap().is_none());
    // The right one: 4 segments, ranges across their boundaries, the recorded fixity.
    offer
        .put(&k, &mut PatternReader::new(5, size), &good)
        .unwrap();
    assert_eq!(segments.damaged().unwrap().len(), 4);
    assert_eq!(offer.head(&k).unwrap().unwrap().fixity, good);
    offer.verify(&k, Some(&good)).unwrap();
    let mut all = Vec::new();
    std::io::Read::read_to_end(&mut PatternReader::new(5, size), &mut all).unwrap();
    for (start, len) in [
        ((2 << 20) - 3, 6),
        ((4 << 20) - 1, (2 << 20) + 2),
        (size - 5, 5),
    ] {
        assert_eq!(
            offer.get_range_bytes(&k, start, len).unwrap(),
            &all[start as usize..(start + len) as usize],
            "range {start}+{len}"
        );
    }
    // Write-once holds for large objects (same content: idempotent, else conflict).
    assert_eq!(
        offer
            .put(&k, &mut PatternReader::new(5, size), &good)
            .unwrap(),
        vas_core::storage::PutOutcome::AlreadyPresent
    );
    let other = Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(6, size)).unwrap();
    let e = offer
        .put(&k, &mut PatternReader::new(6, size), &other)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert_eq!(segments.damaged().unwrap().len(), 4, "no segment added");
    assert!(offer.delete(&k).unwrap());
    assert!(segments.damaged().unwrap().is_empty());

    // 3. Listing: order, prefix filter, and paging with markers (pages of 2 objects).
    let names = ["p/b", "p/a", "p/é", "p/a/b", "q/x"];
    for n in names {
        offer
            .put_bytes(&ObjectKey::new(n).unwrap(), n.as_bytes())
            .unwrap();
    }
    let listed: Vec<String> = offer
        .list("p/")
        .unwrap()
        .into_iter()
        .map(|m| m.key.as_str().to_string())
        .collect();
    assert_eq!(listed, ["p/a", "p/a/b", "p/b", "p/é"]);
    for n in names {
        assert!(offer.delete(&ObjectKey::new(n).unwrap()).unwrap());
    }

    // 4. A key prefix inside the container.
    let mut pc = saio.config("vas-prefixed");
    pc.prefix = "tenant0/".into();
    let prefixed = saio.open(pc);
    let k = ObjectKey::new("x/y.txt").unwrap();
    prefixed.put_bytes(&k, b"prefixed").unwrap();
    assert_eq!(prefixed.list("x/").unwrap()[0].key, k);
    assert_eq!(prefixed.get_bytes(&k).unwrap(), b"prefixed");

    // 5. An object written behind vas's back (no vas metadata) is not listed, and is
    // reported by `damaged`; `head` says Corrupt (curl needed; skipped loudly otherwise).
    match saio.curl(&[
        "-X",
        "PUT",
        "--data-binary",
        "foreign",
        "{URL}/vas-prefixed/tenant0/foreign.bin",
    ]) {
        Some((201, _)) => {
            let d = prefixed.damaged().unwrap();
            assert_eq!(d.len(), 1, "{d:?}");
            assert!(d[0].contains("foreign.bin"), "{d:?}");
            assert_eq!(prefixed.list("").unwrap().len(), 1);
            let fk = ObjectKey::new("foreign.bin").unwrap();
            assert_eq!(prefixed.head(&fk).unwrap_err().kind(), ErrorKind::Corrupt);
        }
        other => eprintln!("\n*** SKIPPED the foreign-object check (curl: {other:?}) ***\n"),
    }

    // 6. Wrong key: Denied, not a panic.
    let e =
        SwiftOffer::new(saio.config("vas-conformance"), USER.into(), "wrong".into()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Denied, "{e}");

    // 7. Tokens forgotten by the server (memcached restarted): the offer authenticates
    // again by itself.
    saio.restart_memcached();
    assert_eq!(prefixed.get_bytes(&k).unwrap(), b"prefixed");

    // 8. A strategy filesystem + Swift from a TOML file, with faults on both sides.
    set_env();
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
id = "swift-1"
kind = "swift"
auth_url = "{}"
user_env = "VAS_SWIFT_USER"
key_env = "VAS_SWIFT_KEY"
container = "vas-strategy"
create_container = true
large_object_threshold = 3145728
segment_size = 2097152
list_page_size = 3
[strategy]
offers = ["fs-1", "swift-1"]
referent = "fs-1"
"#,
            saio.auth_url()
        ),
    )
    .unwrap();
    let strategy = StorageConfig::from_file(&toml)
        .unwrap()
        .build_strategy()
        .unwrap();
    strategy_faults(&mut saio, &strategy, &root.path().join("offers/fs-1"));
}

fn strategy_faults(saio: &mut Saio, s: &Strategy, fs_root: &Path) {
    let fs = FilesystemOffer::open("fs-1", fs_root).unwrap();
    let sw: &Arc<dyn StorageOffer> = s.offer("swift-1").unwrap();
    let mut objs = Vec::new();
    for i in 0..6u64 {
        let k = ObjectKey::new(format!("0_OBJECT/été-{i}.bin")).unwrap();
        let size = 10_000 * (i + 1) + if i == 5 { 5 << 20 } else { 0 }; // one large
        let fx = Fixity::of_reader(DigestAlgorithm::Sha512, PatternReader::new(i, size)).unwrap();
        s.put(&k, &mut PatternReader::new(i, size), &fx).unwrap();
        objs.push((k, fx));
    }
    assert!(s.audit(Some(&objs), true).unwrap().is_clean());
    // Corrupt the fs copy of #1, delete the Swift copy of #5 (the large one), and replace
    // the Swift copy of #2 behind vas's back by other bytes carrying the same metadata
    // (bit rot as an audit sees it).
    let p = fs.object_path(&objs[1].0);
    let mut raw = std::fs::read(&p).unwrap();
    raw[HEADER_LEN as usize + 77] ^= 0xff;
    std::fs::write(&p, raw).unwrap();
    assert!(sw.delete(&objs[5].0).unwrap());
    let fx2 = &objs[2].1;
    let rot = saio.curl(&[
        "-X",
        "PUT",
        "--data-binary",
        &"x".repeat(fx2.size as usize),
        "-H",
        "X-Object-Meta-Vas-Algorithm: SHA-512",
        "-H",
        &format!("X-Object-Meta-Vas-Digest: {}", fx2.digest),
        "-H",
        &format!("X-Object-Meta-Vas-Size: {}", fx2.size),
        "{URL}/vas-strategy/0_OBJECT/%C3%A9t%C3%A9-2.bin",
    ]);
    let rotted = matches!(rot, Some((201, _)));
    if !rotted {
        eprintln!("\n*** SKIPPED the bit-rot check (curl: {rot:?}) ***\n");
    }
    // Reads are right anyway.
    for (k, fx) in &objs {
        let got = s.get_bytes(k, Some(fx)).unwrap();
        assert_eq!(Fixity::of_bytes(DigestAlgorithm::Sha512, &got), *fx);
    }
    let r = s.audit(Some(&objs), true).unwrap();
    let want_corrupt = if rotted { 2 } else { 1 };
    assert_eq!(
        (r.corrupt().count(), r.missing().count()),
        (want_corrupt, 1),
        "{r:#?}"
    );
    assert_eq!(r.missing().next().unwrap().offer, "swift-1");
    let rep = s.repair(&r).unwrap();
    assert!(rep.all_repaired(), "{rep:#?}");
    assert!(s.audit(Some(&objs), true).unwrap().is_clean());
    assert!(s.audit(None, true).unwrap().is_clean());

    // The Swift proxy goes down: puts fail (nothing left on the filesystem offer), reads
    // fall back to the filesystem copy, the audit reports the offer unreachable.
    let i = saio
        .children
        .iter()
        .position(|(n, _)| n == "proxy")
        .unwrap();
    let (_, mut proxy) = saio.children.remove(i);
    proxy.kill().unwrap();
    proxy.wait().unwrap();
    let k = ObjectKey::new("new/while-down").unwrap();
    let e = s.put_bytes_for_test(&k);
    assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    assert!(
        !fs.exists(&k).unwrap(),
        "rolled back on the filesystem offer"
    );
    for (k, fx) in &objs {
        assert_eq!(
            Fixity::of_bytes(DigestAlgorithm::Sha512, &s.get_bytes(k, Some(fx)).unwrap()),
            *fx
        );
    }
    let r = s.audit(Some(&objs), true).unwrap();
    assert_eq!(r.of(Problem::Unreachable).count(), 1, "{r:#?}");
    assert!(!r.is_clean());
}

trait PutForTest {
    fn put_bytes_for_test(&self, k: &ObjectKey) -> vas_core::Error;
}

impl PutForTest for Strategy {
    fn put_bytes_for_test(&self, k: &ObjectKey) -> vas_core::Error {
        let data = vec![9u8; 4321];
        let fx = Fixity::of_bytes(DigestAlgorithm::Sha512, &data);
        self.put(k, &mut &data[..], &fx).unwrap_err()
    }
}
