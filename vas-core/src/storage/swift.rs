//! [`SwiftOffer`]: an OpenStack Swift offer (cargo feature `swift`), synchronous, on `ureq`.
//!
//! - **Authentication**: Swift's v1 protocol (TempAuth, SwiftStack auth, Keystone's v1
//!   compatibility): `GET auth_url` with `X-Auth-User`/`X-Auth-Key` answers `X-Storage-Url`
//!   and `X-Auth-Token`. The token is cached and renewed once when a request answers `401`.
//! - **Verified before commit.** Swift commits a `PUT` as soon as its body ends, so an object
//!   up to `large_object_threshold` is read and hashed in memory first and sent only if it
//!   matches the declared fixity, with its MD5 as `ETag`: the server checks the payload too
//!   (`422` on mismatch). Larger objects become a **Static Large Object**: segments of
//!   `segment_size` bytes (each in memory in turn, each with its MD5 `ETag`) go to the
//!   container `<container>_segments`; the manifest, which makes the object visible, is
//!   written only when the whole stream matched the declared fixity. On a mismatch or an
//!   error the uploaded segments are deleted and nothing becomes visible.
//! - **Recorded fixity.** The fixity goes into object metadata:
//!   `X-Object-Meta-Vas-Algorithm`, `X-Object-Meta-Vas-Digest`, `X-Object-Meta-Vas-Size`.
//! - **Write-once.** A `HEAD` before the write, and `If-None-Match: *` on the commit; a `412`
//!   is resolved like a concurrent writer: same fixity → already present, else conflict.
//! - `list` pages through the container listing (`format=json`, `prefix`, `marker`) and
//!   issues one `HEAD` per object to read the recorded fixity.
//! - `delete` of a large object removes its segments too (`multipart-manifest=delete`).
//! - `https://` URLs need the cargo feature `s3-tls` (rustls, shared with the S3 offer).

use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::digest::{DigestAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

use super::config::SwiftConfig;
use super::key::ObjectKey;
use super::offer::{
    ByteRange, Capabilities, Fixity, ObjectMeta, OfferStatus, PutOutcome, StorageOffer,
    check_written, not_found, stream_error, write_once_check,
};

const META_ALG: &str = "x-object-meta-vas-algorithm";
const META_DIGEST: &str = "x-object-meta-vas-digest";
const META_SIZE: &str = "x-object-meta-vas-size";
/// Smallest segment / threshold accepted in the configuration.
const MIN_SEGMENT: u64 = 1 << 20;
/// Swift's default `max_file_size`: a single object may not exceed it.
const MAX_SINGLE: u64 = 5 << 30;

static SEGMENT_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A Swift offer.
///
/// ```no_run
/// use vas_core::storage::config::StorageConfig;
///
/// // With VAS_SWIFT_USER / VAS_SWIFT_KEY set and a proxy listening:
/// let cfg = StorageConfig::from_toml_str(r#"
///     [[offer]]
///     id = "swift-1"
///     kind = "swift"
///     auth_url = "http://127.0.0.1:8080/auth/v1.0"
///     user_env = "VAS_SWIFT_USER"
///     key_env = "VAS_SWIFT_KEY"
///     container = "vas"
///     create_container = true
/// "#, ".").unwrap();
/// let offer = cfg.open_offer("swift-1").unwrap();
/// assert!(offer.status().unwrap().available);
/// ```
pub struct SwiftOffer {
    cfg: SwiftConfig,
    user: String,
    key: String,
    agent: ureq::Agent,
    session: Mutex<Option<Session>>,
}

impl std::fmt::Debug for SwiftOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwiftOffer")
            .field("cfg", &self.cfg)
            .field("user", &self.user)
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A storage URL and its token, from the auth endpoint.
#[derive(Clone)]
struct Session {
    storage_url: String,
    token: String,
}

type Response = ureq::http::Response<ureq::Body>;

/// One entry of a container listing.
#[derive(serde::Deserialize)]
struct ListEntry {
    name: Option<String>,
    #[serde(default)]
    bytes: u64,
    /// Pseudo-directories (`subdir`) appear only with a delimiter; never asked for.
    #[allow(dead_code)]
    subdir: Option<String>,
}

impl SwiftOffer {
    /// An offer from its configuration, reading the user and key from the environment
    /// variables named there. Creates the containers when `create_container` is set.
    pub fn from_config(cfg: &SwiftConfig) -> Result<SwiftOffer> {
        let env = |name: &str| {
            std::env::var(name).map_err(|_| {
                Error::invalid(format!(
                    "offer {}: environment variable {name} is not set",
                    cfg.id
                ))
            })
        };
        validate(cfg)?;
        let user = env(&cfg.user_env)?;
        let key = env(&cfg.key_env)?;
        SwiftOffer::new(cfg.clone(), user, key)
    }

    /// An offer from explicit settings and credentials (`user` is `account:user` for
    /// TempAuth).
    pub fn new(cfg: SwiftConfig, user: String, key: String) -> Result<SwiftOffer> {
        validate(&cfg)?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .build();
        let offer = SwiftOffer {
            cfg,
            user,
            key,
            agent: ureq::Agent::new_with_config(config),
            session: Mutex::new(None),
        };
        if offer.cfg.create_container {
            offer.ensure_container(&offer.cfg.container)?;
            offer.ensure_container(&offer.segments_container())?;
        }
        Ok(offer)
    }

    /// The container that holds the segments of large objects.
    pub fn segments_container(&self) -> String {
        format!("{}_segments", self.cfg.container)
    }

    fn ensure_container(&self, c: &str) -> Result<()> {
        let mut r = self.send("PUT", Some(c), None, &[], &[], Some(&[]))?;
        match r.status().as_u16() {
            201 | 202 | 204 => Ok(()),
            s => Err(self.http_error(&format!("create container {c}"), s, &mut r)),
        }
    }

    fn object_name(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.cfg.prefix, key.as_str())
    }

    fn unavailable(&self, what: &str, e: &dyn std::fmt::Display) -> Error {
        Error::new(
            ErrorKind::Unavailable,
            format!("offer {}: {what}: {e}", self.cfg.id),
        )
    }

    /// Authenticates (v1): a fresh storage URL and token.
    fn authenticate(&self) -> Result<Session> {
        let req = ureq::http::Request::builder()
            .method("GET")
            .uri(&self.cfg.auth_url)
            .header("x-auth-user", &self.user)
            .header("x-auth-key", &self.key)
            .body(())
            .map_err(|e| self.unavailable("authentication request", &e))?;
        let mut r = self
            .agent
            .run(req)
            .map_err(|e| self.unavailable(&format!("GET {}", self.cfg.auth_url), &e))?;
        let status = r.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(self.http_error(
                &format!("authentication at {} as {:?}", self.cfg.auth_url, self.user),
                status,
                &mut r,
            ));
        }
        let h = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (Some(url), Some(token)) = (
            h("x-storage-url"),
            h("x-auth-token").or_else(|| h("x-storage-token")),
        ) else {
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "offer {}: {} answered {status} without X-Storage-Url and X-Auth-Token",
                    self.cfg.id, self.cfg.auth_url
                ),
            ));
        };
        let storage_url = self
            .cfg
            .storage_url
            .clone()
            .unwrap_or(url)
            .trim_end_matches('/')
            .to_string();
        Ok(Session { storage_url, token })
    }

    fn session(&self, renew: bool) -> Result<Session> {
        let mut g = self
            .session
            .lock()
            .map_err(|_| Error::internal("swift session lock poisoned"))?;
        if !renew && let Some(s) = g.as_ref() {
            return Ok(s.clone());
        }
        let s = self.authenticate()?;
        *g = Some(s.clone());
        Ok(s)
    }

    /// The URL of an account (`container = None`), container or object.
    fn url(
        base: &str,
        container: Option<&str>,
        object: Option<&str>,
        query: &[(&str, &str)],
    ) -> String {
        let mut url = base.to_string();
        if let Some(c) = container {
            url.push('/');
            url.push_str(&encode(c, true));
            if let Some(o) = object {
                url.push('/');
                url.push_str(&encode(o, false));
            }
        }
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode(k, true));
            if !v.is_empty() {
                url.push('=');
                url.push_str(&encode(v, true));
            }
        }
        url
    }

    /// Sends a request with the session token, re-authenticating once on `401`.
    fn send(
        &self,
        method: &str,
        container: Option<&str>,
        object: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Response> {
        let mut renew = false;
        loop {
            let s = self.session(renew)?;
            let url = Self::url(&s.storage_url, container, object, query);
            let mut b = ureq::http::Request::builder()
                .method(method)
                .uri(&url)
                .header("x-auth-token", &s.token);
            for (k, v) in headers {
                b = b.header(k.as_str(), v.as_str());
            }
            let what = format!("{method} {url}");
            let r = match body {
                Some(data) => {
                    let req = b.body(data).map_err(|e| self.unavailable(&what, &e))?;
                    self.agent.run(req)
                }
                None => {
                    let req = b.body(()).map_err(|e| self.unavailable(&what, &e))?;
                    self.agent.run(req)
                }
            };
            let r = r.map_err(|e| self.unavailable(&what, &e))?;
            if r.status().as_u16() == 401 && !renew {
                renew = true; // expired token: authenticate again, once
                continue;
            }
            return Ok(r);
        }
    }

    fn http_error(&self, what: &str, status: u16, r: &mut Response) -> Error {
        let body = r
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let kind = match status {
            401 | 403 => ErrorKind::Denied,
            404 => ErrorKind::NotFound,
            409 | 412 => ErrorKind::Conflict,
            422 => ErrorKind::Integrity, // ETag mismatch
            400..=499 => ErrorKind::InvalidInput,
            _ => ErrorKind::Unavailable,
        };
        let body = body.trim();
        let body: String = body.chars().take(300).collect();
        Error::new(
            kind,
            format!("offer {}: {what}: HTTP {status} {body}", self.cfg.id),
        )
    }

    fn meta_from(&self, key: &ObjectKey, r: &Response) -> Result<Fixity> {
        let h = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let corrupt = |why: &str| {
            Error::new(
                ErrorKind::Corrupt,
                format!("object {key} on offer {}: {why}", self.cfg.id),
            )
            .with_id(key.as_str().to_string())
        };
        let (Some(alg), Some(digest), Some(size)) = (h(META_ALG), h(META_DIGEST), h(META_SIZE))
        else {
            return Err(corrupt(
                "no vas fixity metadata (object not written by vas?)",
            ));
        };
        let alg: DigestAlgorithm = alg.parse().map_err(|_| corrupt("bad algorithm metadata"))?;
        let size: u64 = size.parse().map_err(|_| corrupt("bad size metadata"))?;
        let fx = Fixity::new(alg, &digest, size).map_err(|_| corrupt("bad digest metadata"))?;
        if let Some(len) = h("content-length").and_then(|l| l.parse::<u64>().ok())
            && len != size
        {
            return Err(corrupt(&format!(
                "stored length {len} differs from the recorded size {size}"
            )));
        }
        Ok(fx)
    }

    fn meta_headers(fx: &Fixity) -> Vec<(String, String)> {
        vec![
            (META_ALG.into(), fx.algorithm.seda_name().into()),
            (META_DIGEST.into(), fx.digest.clone()),
            (META_SIZE.into(), fx.size.to_string()),
        ]
    }

    /// Resolves a `412 Precondition Failed` (someone committed the key meanwhile).
    fn resolve_race(&self, key: &ObjectKey, expected: &Fixity) -> Result<PutOutcome> {
        let existing = self.head(key)?;
        write_once_check(self, key, existing.as_ref().map(|m| &m.fixity), expected)?
            .ok_or_else(|| Error::new(ErrorKind::Conflict, format!("{key}: concurrent write")))
    }

    fn put_single(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        expected: &Fixity,
    ) -> Result<PutOutcome> {
        let mut buf = Vec::with_capacity(usize::try_from(expected.size).unwrap_or(0).min(64 << 20));
        // One byte more than the largest single upload: enough to see that a stream is
        // longer than declared without holding it all.
        read_up_to(data, &mut buf, self.cfg.large_object_threshold + 1)?;
        let mut h = Hasher::new(expected.algorithm);
        h.update(&buf);
        let size = h.len();
        check_written(&self.cfg.id, key, expected, &h.finalize_hex(), size)?;
        let mut headers = Self::meta_headers(expected);
        headers.push(("etag".into(), md5_hex(&buf)));
        headers.push(("if-none-match".into(), "*".into()));
        headers.push(("content-type".into(), "application/octet-stream".into()));
        let name = self.object_name(key);
        let mut r = self.send(
            "PUT",
            Some(&self.cfg.container),
            Some(&name),
            &[],
            &headers,
            Some(&buf),
        )?;
        match r.status().as_u16() {
            201 => Ok(PutOutcome::Created),
            412 => self.resolve_race(key, expected),
            s => Err(self.http_error(&format!("PUT {key}"), s, &mut r)),
        }
    }

    /// A Static Large Object: segments, then the manifest once the stream is verified.
    fn put_large(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        expected: &Fixity,
    ) -> Result<PutOutcome> {
        let name = self.object_name(key);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let unique = format!(
            "{nanos}-{}-{}",
            std::process::id(),
            SEGMENT_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let seg_prefix = format!("{name}/vas-slo/{unique}");
        let mut segments: Vec<(String, String, u64)> = Vec::new(); // name, md5, size
        let res = self.upload_segments(key, &seg_prefix, data, expected, &mut segments);
        let res = res.and_then(|()| self.put_manifest(key, &name, &segments, expected));
        match res {
            Ok(PutOutcome::Created) => Ok(PutOutcome::Created),
            other => {
                // Nothing of ours became visible: remove the segments (best effort; an
                // error here leaves unreferenced segments, never a visible object).
                let segc = self.segments_container();
                for (s, _, _) in &segments {
                    let _ = self.send("DELETE", Some(&segc), Some(s), &[], &[], None);
                }
                other
            }
        }
    }

    fn upload_segments(
        &self,
        key: &ObjectKey,
        seg_prefix: &str,
        data: &mut dyn Read,
        expected: &Fixity,
        segments: &mut Vec<(String, String, u64)>,
    ) -> Result<()> {
        let segc = self.segments_container();
        let mut h = Hasher::new(expected.algorithm);
        let seg_size = self.cfg.segment_size;
        let mut buf = Vec::with_capacity(usize::try_from(seg_size).unwrap_or(64 << 20));
        loop {
            buf.clear();
            read_up_to(data, &mut buf, seg_size)?;
            if buf.is_empty() {
                break;
            }
            h.update(&buf);
            if h.len() > expected.size {
                break; // longer than declared: refused below, before any manifest
            }
            let seg = format!("{seg_prefix}/{:08}", segments.len());
            let md5 = md5_hex(&buf);
            let headers = vec![("etag".to_string(), md5.clone())];
            let mut r = self.send("PUT", Some(&segc), Some(&seg), &[], &headers, Some(&buf))?;
            if r.status().as_u16() != 201 {
                let s = r.status().as_u16();
                return Err(self.http_error(
                    &format!("PUT segment {} of {key}", segments.len()),
                    s,
                    &mut r,
                ));
            }
            segments.push((seg, md5, buf.len() as u64));
            if (buf.len() as u64) < seg_size {
                break;
            }
        }
        let size = h.len();
        check_written(&self.cfg.id, key, expected, &h.finalize_hex(), size)
    }

    fn put_manifest(
        &self,
        key: &ObjectKey,
        name: &str,
        segments: &[(String, String, u64)],
        expected: &Fixity,
    ) -> Result<PutOutcome> {
        let segc = self.segments_container();
        let manifest: Vec<serde_json::Value> = segments
            .iter()
            .map(|(s, md5, size)| {
                serde_json::json!({
                    "path": format!("/{segc}/{s}"),
                    "etag": md5,
                    "size_bytes": size,
                })
            })
            .collect();
        let body = serde_json::to_vec(&manifest).map_err(|e| Error::internal(e.to_string()))?;
        let mut headers = Self::meta_headers(expected);
        headers.push(("if-none-match".into(), "*".into()));
        headers.push(("content-type".into(), "application/octet-stream".into()));
        let mut r = self.send(
            "PUT",
            Some(&self.cfg.container),
            Some(name),
            &[("multipart-manifest", "put")],
            &headers,
            Some(&body),
        )?;
        match r.status().as_u16() {
            201 => Ok(PutOutcome::Created),
            // Someone committed the key meanwhile: our segments are removed by the
            // caller (the outcome is not `Created`).
            412 => self.resolve_race(key, expected),
            s => Err(self.http_error(&format!("PUT manifest of {key}"), s, &mut r)),
        }
    }

    /// Every object name (with its listed size) under `prefix` in `container`.
    fn list_raw(&self, container: &str, prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut out: Vec<(String, u64)> = Vec::new();
        let page_size = self.cfg.list_page_size;
        let limit = page_size.to_string();
        loop {
            let marker = out.last().map(|(n, _)| n.clone()).unwrap_or_default();
            let mut q: Vec<(&str, &str)> =
                vec![("format", "json"), ("prefix", prefix), ("limit", &limit)];
            if !marker.is_empty() {
                q.push(("marker", &marker));
            }
            let mut r = self.send("GET", Some(container), None, &q, &[], None)?;
            let status = r.status().as_u16();
            if status == 204 {
                break; // empty listing
            }
            if status != 200 {
                return Err(self.http_error(
                    &format!("list container {container}"),
                    status,
                    &mut r,
                ));
            }
            let body = r
                .body_mut()
                .with_config()
                .limit(256 << 20)
                .read_to_vec()
                .map_err(|e| self.unavailable("container listing", &e))?;
            let page: Vec<ListEntry> = serde_json::from_slice(&body).map_err(|e| {
                self.unavailable("container listing", &format!("unreadable JSON: {e}"))
            })?;
            let n = page.len();
            out.extend(
                page.into_iter()
                    .filter_map(|e| e.name.map(|n| (n, e.bytes))),
            );
            if n < page_size {
                break;
            }
        }
        Ok(out)
    }

    fn container_usage(&self, container: &str) -> Result<(u64, u64)> {
        let mut r = self.send("HEAD", Some(container), None, &[], &[], None)?;
        let s = r.status().as_u16();
        if !(200..300).contains(&s) {
            return Err(self.http_error(&format!("HEAD container {container}"), s, &mut r));
        }
        let h = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok((h("x-container-object-count"), h("x-container-bytes-used")))
    }
}

impl StorageOffer for SwiftOffer {
    fn id(&self) -> &str {
        &self.cfg.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            write_once: true,
            ranged_reads: true,
            server_side_digest: true,
            durable: true,
            persistent: true,
        }
    }

    fn put(&self, key: &ObjectKey, data: &mut dyn Read, expected: &Fixity) -> Result<PutOutcome> {
        let existing = self.head(key)?;
        if let Some(o) =
            write_once_check(self, key, existing.as_ref().map(|m| &m.fixity), expected)?
        {
            return Ok(o);
        }
        if expected.size <= self.cfg.large_object_threshold {
            self.put_single(key, data, expected)
        } else {
            self.put_large(key, data, expected)
        }
    }

    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>> {
        let name = self.object_name(key);
        let mut headers = Vec::new();
        if let Some(rg) = range {
            let meta = self
                .head(key)?
                .ok_or_else(|| not_found(&self.cfg.id, key))?;
            let (start, len) = rg.resolve(meta.fixity.size)?;
            if len == 0 {
                return Ok(Box::new(io::empty()));
            }
            headers.push((
                "range".to_string(),
                format!("bytes={start}-{}", start + len - 1),
            ));
        }
        let mut r = self.send(
            "GET",
            Some(&self.cfg.container),
            Some(&name),
            &[],
            &headers,
            None,
        )?;
        match r.status().as_u16() {
            200 | 206 => {}
            404 => return Err(not_found(&self.cfg.id, key)),
            s => return Err(self.http_error(&format!("GET {key}"), s, &mut r)),
        }
        let reader = r.into_body().into_with_config().limit(u64::MAX).reader();
        Ok(Box::new(reader))
    }

    fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        let name = self.object_name(key);
        let mut r = self.send(
            "HEAD",
            Some(&self.cfg.container),
            Some(&name),
            &[],
            &[],
            None,
        )?;
        match r.status().as_u16() {
            200 => Ok(Some(ObjectMeta {
                key: key.clone(),
                fixity: self.meta_from(key, &r)?,
            })),
            404 => Ok(None),
            s => Err(self.http_error(&format!("HEAD {key}"), s, &mut r)),
        }
    }

    fn delete(&self, key: &ObjectKey) -> Result<bool> {
        let name = self.object_name(key);
        let c = &self.cfg.container;
        let mut r = self.send("HEAD", Some(c), Some(&name), &[], &[], None)?;
        let large = match r.status().as_u16() {
            404 => return Ok(false),
            200 => r
                .headers()
                .get("x-static-large-object")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            s => return Err(self.http_error(&format!("HEAD {key}"), s, &mut r)),
        };
        let q: &[(&str, &str)] = if large {
            &[("multipart-manifest", "delete")]
        } else {
            &[]
        };
        let headers = vec![("accept".to_string(), "application/json".to_string())];
        let mut r = self.send("DELETE", Some(c), Some(&name), q, &headers, None)?;
        let status = r.status().as_u16();
        match status {
            204 if !large => Ok(true),
            404 => Ok(false),
            200 if large => {
                // The bulk-delete answer: a JSON report whose status may be an error.
                let body = r
                    .body_mut()
                    .with_config()
                    .limit(16 << 20)
                    .read_to_string()
                    .unwrap_or_default();
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let st = v["Response Status"].as_str().unwrap_or("");
                if st.starts_with("200") || st.starts_with("204") {
                    Ok(true)
                } else {
                    Err(Error::new(
                        ErrorKind::Unavailable,
                        format!(
                            "offer {}: DELETE of large object {key}: {st} {}",
                            self.cfg.id, v["Errors"]
                        ),
                    ))
                }
            }
            s => Err(self.http_error(&format!("DELETE {key}"), s, &mut r)),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        let full = format!("{}{prefix}", self.cfg.prefix);
        for (name, _) in self.list_raw(&self.cfg.container, &full)? {
            let Some(k) = name.strip_prefix(&self.cfg.prefix) else {
                continue;
            };
            let Ok(key) = ObjectKey::new(k) else {
                continue; // not a vas key: `damaged` reports it
            };
            // Objects whose metadata is unreadable are skipped; `head` reports them.
            if let Ok(Some(m)) = self.head(&key) {
                out.push(m);
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    fn damaged(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (name, _) in self.list_raw(&self.cfg.container, &self.cfg.prefix)? {
            let Some(k) = name.strip_prefix(&self.cfg.prefix) else {
                continue;
            };
            let why = match ObjectKey::new(k) {
                Err(e) => e.message().to_string(),
                Ok(key) => match self.head(&key) {
                    Ok(_) => continue,
                    Err(e) if e.kind() == ErrorKind::Unavailable => return Err(e),
                    Err(e) => e.message().to_string(),
                },
            };
            out.push(format!("{}/{name}: {why}", self.cfg.container));
        }
        Ok(out)
    }

    fn status(&self) -> Result<OfferStatus> {
        let (count, bytes) = self.container_usage(&self.cfg.container)?;
        // Segments of large objects live in the segments container (absent until the
        // first large object when the containers are not created by vas).
        let seg_bytes = self
            .container_usage(&self.segments_container())
            .map(|(_, b)| b)
            .unwrap_or(0);
        Ok(OfferStatus {
            available: true,
            used_bytes: Some(bytes + seg_bytes),
            free_bytes: None,
            object_count: Some(count),
            detail: format!("{} container {}", self.cfg.auth_url, self.cfg.container),
        })
    }
}

/// Checks the settings that need no server.
fn validate(cfg: &SwiftConfig) -> Result<()> {
    let scheme = cfg.auth_url.split_once("://").map(|(s, _)| s);
    match scheme {
        Some("http") => {}
        Some("https") if cfg!(feature = "s3-tls") => {}
        Some("https") => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "offer {}: https auth URLs need vas-core built with the cargo feature \
                         `s3-tls`",
                    cfg.id
                ),
            ));
        }
        _ => {
            return Err(Error::invalid(format!(
                "offer {}: auth_url must start with http:// or https:// (got {:?})",
                cfg.id, cfg.auth_url
            )));
        }
    }
    if cfg.auth_url.contains("/v2.0") || cfg.auth_url.contains("/v3") {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "offer {}: auth_url {:?} looks like Keystone v2/v3; only Swift's v1 \
                     authentication (e.g. http://host:8080/auth/v1.0) is implemented",
                cfg.id, cfg.auth_url
            ),
        ));
    }
    if cfg.container.is_empty()
        || cfg.container.contains('/')
        || cfg.container.len() > 256 - "_segments".len()
    {
        return Err(Error::invalid(format!(
            "offer {}: invalid container name {:?} (non-empty, no '/', at most 247 bytes)",
            cfg.id, cfg.container
        )));
    }
    if cfg.segment_size < MIN_SEGMENT
        || cfg.large_object_threshold < MIN_SEGMENT
        || cfg.segment_size > MAX_SINGLE
        || cfg.large_object_threshold > MAX_SINGLE
    {
        return Err(Error::invalid(format!(
            "offer {}: segment_size and large_object_threshold must be between 1 MiB and \
                 5 GiB",
            cfg.id
        )));
    }
    Ok(())
}

fn md5_hex(data: &[u8]) -> String {
    let mut h = Hasher::new(DigestAlgorithm::Md5);
    h.update(data);
    h.finalize_hex()
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other.map_err(stream_error),
        }
    }
}

/// Appends up to `limit` bytes from `r` to `buf` (fewer only at EOF).
fn read_up_to(r: &mut dyn Read, buf: &mut Vec<u8>, limit: u64) -> Result<()> {
    let mut chunk = vec![0u8; 1 << 20];
    while (buf.len() as u64) < limit {
        let want = (limit - buf.len() as u64).min(chunk.len() as u64) as usize;
        let n = read_some(r, &mut chunk[..want])?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

/// Percent-encodes a path segment (`/` kept unless `encode_slash`) or query item:
/// unreserved characters kept, every other byte `%XX`.
pub fn encode(s: &str, encode_slash: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SwiftConfig {
        SwiftConfig {
            id: "sw".into(),
            auth_url: "http://127.0.0.1:1/auth/v1.0".into(),
            user_env: String::new(),
            key_env: String::new(),
            container: "vas".into(),
            prefix: String::new(),
            storage_url: None,
            segment_size: 64 << 20,
            large_object_threshold: 64 << 20,
            create_container: false,
            list_page_size: 10_000,
        }
    }

    #[test]
    fn urls_are_encoded() {
        let u = SwiftOffer::url(
            "http://h:8080/v1/AUTH_test",
            Some("vas"),
            Some("a b/é+x?"),
            &[("multipart-manifest", "put")],
        );
        assert_eq!(
            u,
            "http://h:8080/v1/AUTH_test/vas/a%20b/%C3%A9%2Bx%3F?multipart-manifest=put"
        );
        let u = SwiftOffer::url(
            "http://h/v1/A",
            Some("c"),
            None,
            &[("format", "json"), ("prefix", "a/b&c")],
        );
        assert_eq!(u, "http://h/v1/A/c?format=json&prefix=a%2Fb%26c");
    }

    #[test]
    fn refuses_bad_settings() {
        let mk = |f: &dyn Fn(&mut SwiftConfig)| {
            let mut c = cfg();
            f(&mut c);
            SwiftOffer::new(c, "u".into(), "k".into()).map(|_| ())
        };
        assert!(mk(&|_| ()).is_ok(), "nothing is contacted before use");
        assert!(mk(&|c| c.auth_url = "ftp://x".into()).is_err());
        assert_eq!(
            mk(&|c| c.auth_url = "http://keystone:5000/v3".into())
                .unwrap_err()
                .kind(),
            ErrorKind::Unsupported
        );
        assert!(mk(&|c| c.container = "a/b".into()).is_err());
        assert!(mk(&|c| c.container = String::new()).is_err());
        assert!(mk(&|c| c.segment_size = 1000).is_err());
        assert!(mk(&|c| c.large_object_threshold = 6 << 30).is_err());
    }

    #[test]
    fn unreachable_proxy_is_unavailable() {
        let o = SwiftOffer::new(cfg(), "u".into(), "k".into()).unwrap();
        let e = o.head(&ObjectKey::new("x").unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
        assert!(e.message().contains("offer sw"), "{e}");
    }
}
