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

use crate::digest::{DigestAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

use super::config::SwiftConfig;
use super::http::{self, Client, FixityHeaders, Response};
use super::key::ObjectKey;
use super::offer::{
    ByteRange, Capabilities, Fixity, ObjectMeta, OfferStatus, PutOutcome, StorageOffer, not_found,
};

const FIXITY: FixityHeaders = FixityHeaders {
    algorithm: "x-object-meta-vas-algorithm",
    digest: "x-object-meta-vas-digest",
    size: "x-object-meta-vas-size",
};
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
    http: Client,
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
    /// When the token expires, if the authentication said so (Keystone does).
    expires: Option<time::OffsetDateTime>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("storage_url", &self.storage_url)
            .field("token", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

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
        let offer = SwiftOffer {
            http: Client::new(&cfg.id),
            cfg,
            user,
            key,
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
        self.http.unavailable(what, e)
    }

    /// Authenticates: a fresh storage URL and token.
    fn authenticate(&self) -> Result<Session> {
        if self.cfg.auth_version == 3 {
            return self.authenticate_v3();
        }
        let headers = [
            ("x-auth-user".to_string(), self.user.clone()),
            ("x-auth-key".to_string(), self.key.clone()),
        ];
        let mut r = self.http.send("GET", &self.cfg.auth_url, &headers, None)?;
        let status = r.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(self.http_error(
                &format!("authentication at {} as {:?}", self.cfg.auth_url, self.user),
                status,
                &mut r,
            ));
        }
        let h = |n: &str| http::header(&r, n);
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
        Ok(Session {
            storage_url,
            token,
            expires: None,
        })
    }

    /// Keystone v3 password authentication: `POST <auth_url>/auth/tokens` scoped to the
    /// project; the token is the `X-Subject-Token` header, the storage URL the catalog's
    /// `object-store` endpoint (unless `storage_url` is configured).
    fn authenticate_v3(&self) -> Result<Session> {
        let url = format!("{}/auth/tokens", self.cfg.auth_url.trim_end_matches('/'));
        let body = keystone_v3_request(&self.cfg, &self.user, &self.key);
        let headers = [("content-type".to_string(), "application/json".to_string())];
        let mut r = self
            .http
            .send("POST", &url, &headers, Some(body.as_bytes()))?;
        let status = r.status().as_u16();
        if status != 201 && status != 200 {
            return Err(self.http_error(
                &format!("Keystone v3 authentication at {url} as {:?}", self.user),
                status,
                &mut r,
            ));
        }
        let token = http::header(&r, "x-subject-token");
        let answer = self.http.text("Keystone token answer", &mut r, 16 << 20)?;
        keystone_v3_session(&self.cfg, token, &answer)
    }

    fn session(&self, renew: bool) -> Result<Session> {
        let mut g = self
            .session
            .lock()
            .map_err(|_| Error::internal("swift session lock poisoned"))?;
        if !renew && let Some(s) = g.as_ref() {
            // A token that expires within a minute is renewed before use.
            let fresh = s
                .expires
                .is_none_or(|t| t - time::OffsetDateTime::now_utc() > time::Duration::seconds(60));
            if fresh {
                return Ok(s.clone());
            }
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
            let mut all = Vec::with_capacity(headers.len() + 1);
            all.push(("x-auth-token".to_string(), s.token.clone()));
            all.extend_from_slice(headers);
            let r = self.http.send(method, &url, &all, body)?;
            if r.status().as_u16() == 401 && !renew {
                renew = true; // expired or revoked token: authenticate again, once
                continue;
            }
            return Ok(r);
        }
    }

    fn http_error(&self, what: &str, status: u16, r: &mut Response) -> Error {
        let body = http::error_body(r);
        let kind = (status == 422).then_some(ErrorKind::Integrity); // ETag mismatch
        let body: String = body.trim().chars().take(300).collect();
        self.http.status_error(what, status, kind, &body)
    }

    fn put_single(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        expected: &Fixity,
    ) -> Result<PutOutcome> {
        let buf = http::read_verified(
            &self.cfg.id,
            key,
            data,
            expected,
            self.cfg.large_object_threshold,
        )?;
        let mut headers = FIXITY.to_headers(expected);
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
            412 => http::resolve_race(self, key, expected),
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
        http::upload_in_parts(
            &self.cfg.id,
            key,
            data,
            expected,
            self.cfg.segment_size,
            |i, part| {
                let seg = format!("{seg_prefix}/{i:08}");
                let md5 = md5_hex(part);
                let headers = vec![("etag".to_string(), md5.clone())];
                let mut r = self.send("PUT", Some(&segc), Some(&seg), &[], &headers, Some(part))?;
                if r.status().as_u16() != 201 {
                    let s = r.status().as_u16();
                    return Err(self.http_error(&format!("PUT segment {i} of {key}"), s, &mut r));
                }
                segments.push((seg, md5, part.len() as u64));
                Ok(())
            },
        )
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
        let mut headers = FIXITY.to_headers(expected);
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
            412 => http::resolve_race(self, key, expected),
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
            let body = self.http.text("container listing", &mut r, 256 << 20)?;
            let page: Vec<ListEntry> = serde_json::from_str(&body).map_err(|e| {
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
        if let Some(o) = http::precheck(self, key, expected)? {
            return Ok(o);
        }
        if expected.size <= self.cfg.large_object_threshold {
            self.put_single(key, data, expected)
        } else {
            self.put_large(key, data, expected)
        }
    }

    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>> {
        let Ok(headers) = http::range_header(self, key, range)? else {
            return Ok(Box::new(io::empty()));
        };
        let name = self.object_name(key);
        let mut r = self.send(
            "GET",
            Some(&self.cfg.container),
            Some(&name),
            &[],
            &headers,
            None,
        )?;
        match r.status().as_u16() {
            200 | 206 => Ok(http::body_reader(r)),
            404 => Err(not_found(&self.cfg.id, key)),
            s => Err(self.http_error(&format!("GET {key}"), s, &mut r)),
        }
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
                fixity: FIXITY.read(&self.cfg.id, key, &r)?,
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
        let full = format!("{}{prefix}", self.cfg.prefix);
        let names = self.list_raw(&self.cfg.container, &full)?;
        Ok(http::list_by_head(self, names, &self.cfg.prefix))
    }

    fn damaged(&self) -> Result<Vec<String>> {
        let names = self.list_raw(&self.cfg.container, &self.cfg.prefix)?;
        http::damaged_by_head(self, names, &self.cfg.prefix, &self.cfg.container)
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
    match cfg.auth_version {
        1 if cfg.auth_url.contains("/v3") => {
            return Err(Error::invalid(format!(
                "offer {}: auth_url {:?} looks like Keystone v3: set auth_version = 3 (and \
                 project)",
                cfg.id, cfg.auth_url
            )));
        }
        1 if cfg.auth_url.contains("/v2.0") => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "offer {}: auth_url {:?} looks like Keystone v2.0, which is not \
                     implemented (use Keystone v3 with auth_version = 3, or Swift v1)",
                    cfg.id, cfg.auth_url
                ),
            ));
        }
        1 => {}
        3 => {
            if cfg.project.as_deref().is_none_or(str::is_empty) {
                return Err(Error::invalid(format!(
                    "offer {}: auth_version = 3 (Keystone) needs `project`",
                    cfg.id
                )));
            }
            if !matches!(cfg.interface.as_str(), "public" | "internal" | "admin") {
                return Err(Error::invalid(format!(
                    "offer {}: interface must be public, internal or admin (got {:?})",
                    cfg.id, cfg.interface
                )));
            }
        }
        v => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "offer {}: auth_version {v} is not supported (1: Swift v1, 3: Keystone v3)",
                    cfg.id
                ),
            ));
        }
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

/// The JSON body of a Keystone v3 password authentication scoped to the project.
fn keystone_v3_request(cfg: &SwiftConfig, user: &str, password: &str) -> String {
    serde_json::json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": user,
                        "domain": { "name": cfg.user_domain },
                        "password": password,
                    }
                }
            },
            "scope": {
                "project": {
                    "name": cfg.project.as_deref().unwrap_or_default(),
                    "domain": { "name": cfg.project_domain },
                }
            }
        }
    })
    .to_string()
}

/// The session from a Keystone v3 token answer: the `X-Subject-Token` header, the
/// `object-store` endpoint of the catalog with the configured interface (and region), and
/// the expiry.
fn keystone_v3_session(cfg: &SwiftConfig, token: Option<String>, answer: &str) -> Result<Session> {
    let bad = |why: String| {
        Error::new(
            ErrorKind::Unavailable,
            format!(
                "offer {}: Keystone v3 answer from {}: {why}",
                cfg.id, cfg.auth_url
            ),
        )
    };
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("no X-Subject-Token header".into()))?;
    let v: serde_json::Value =
        serde_json::from_str(answer).map_err(|e| bad(format!("unreadable JSON: {e}")))?;
    let t = &v["token"];
    let expires = t["expires_at"].as_str().and_then(|s| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    });
    let storage_url = match &cfg.storage_url {
        Some(u) => u.clone(),
        None => {
            let services = t["catalog"]
                .as_array()
                .ok_or_else(|| bad("no service catalog in the token (is it scoped?)".into()))?;
            let endpoint = services
                .iter()
                .filter(|s| s["type"] == "object-store")
                .flat_map(|s| s["endpoints"].as_array().into_iter().flatten())
                .find(|e| {
                    e["interface"] == cfg.interface.as_str()
                        && cfg.region.as_deref().is_none_or(|r| {
                            e["region_id"].as_str() == Some(r) || e["region"].as_str() == Some(r)
                        })
                })
                .and_then(|e| e["url"].as_str())
                .ok_or_else(|| {
                    bad(format!(
                        "no object-store endpoint with interface {:?}{} in the catalog",
                        cfg.interface,
                        cfg.region
                            .as_deref()
                            .map(|r| format!(" in region {r:?}"))
                            .unwrap_or_default()
                    ))
                })?;
            endpoint.to_string()
        }
    };
    Ok(Session {
        storage_url: storage_url.trim_end_matches('/').to_string(),
        token,
        expires,
    })
}

fn md5_hex(data: &[u8]) -> String {
    let mut h = Hasher::new(DigestAlgorithm::Md5);
    h.update(data);
    h.finalize_hex()
}

/// Percent-encodes a path segment (`/` kept unless `encode_slash`) or query item:
/// unreserved characters kept, every other byte `%XX`.
pub fn encode(s: &str, encode_slash: bool) -> String {
    http::percent_encode(s, encode_slash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SwiftConfig {
        SwiftConfig {
            id: "sw".into(),
            auth_url: "http://127.0.0.1:1/auth/v1.0".into(),
            auth_version: 1,
            user_env: String::new(),
            key_env: String::new(),
            project: None,
            user_domain: "Default".into(),
            project_domain: "Default".into(),
            region: None,
            interface: "public".into(),
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
        // A v3 URL with v1 authentication is a configuration mistake; v2.0 is not implemented.
        assert_eq!(
            mk(&|c| c.auth_url = "http://keystone:5000/v3".into())
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            mk(&|c| c.auth_url = "http://keystone:5000/v2.0".into())
                .unwrap_err()
                .kind(),
            ErrorKind::Unsupported
        );
        let v3 = |c: &mut SwiftConfig| {
            c.auth_url = "http://keystone:5000/v3".into();
            c.auth_version = 3;
        };
        assert!(mk(&v3).is_err(), "v3 needs a project");
        assert!(
            mk(&|c| {
                v3(c);
                c.project = Some("p".into());
            })
            .is_ok()
        );
        assert!(
            mk(&|c| {
                v3(c);
                c.project = Some("p".into());
                c.interface = "private".into();
            })
            .is_err()
        );
        assert!(mk(&|c| c.auth_version = 2).is_err());
        assert!(mk(&|c| c.container = "a/b".into()).is_err());
        assert!(mk(&|c| c.container = String::new()).is_err());
        assert!(mk(&|c| c.segment_size = 1000).is_err());
        assert!(mk(&|c| c.large_object_threshold = 6 << 30).is_err());
    }

    /// A real Keystone 22 answer (see tests/fixtures/keystone/README.md).
    const TOKEN: &str = include_str!("../../../tests/fixtures/keystone/token-v3-scoped.json");

    fn v3_cfg() -> SwiftConfig {
        SwiftConfig {
            auth_url: "http://127.0.0.1:35357/v3".into(),
            auth_version: 3,
            project: Some("admin".into()),
            ..cfg()
        }
    }

    #[test]
    fn keystone_v3_request_body() {
        let mut c = v3_cfg();
        c.user_domain = "Users".into();
        let v: serde_json::Value =
            serde_json::from_str(&keystone_v3_request(&c, "admin", "s3cret")).unwrap();
        let user = &v["auth"]["identity"]["password"]["user"];
        assert_eq!(v["auth"]["identity"]["methods"][0], "password");
        assert_eq!(user["name"], "admin");
        assert_eq!(user["password"], "s3cret");
        assert_eq!(user["domain"]["name"], "Users");
        assert_eq!(v["auth"]["scope"]["project"]["name"], "admin");
        assert_eq!(v["auth"]["scope"]["project"]["domain"]["name"], "Default");
    }

    #[test]
    fn keystone_v3_catalog_lookup_on_a_recorded_answer() {
        let s = keystone_v3_session(&v3_cfg(), Some("tok".into()), TOKEN).unwrap();
        assert_eq!(
            s.storage_url,
            "http://127.0.0.1:8080/v1/AUTH_07ccb773de3c40b4b251997620cde637"
        );
        assert_eq!(s.token, "tok");
        assert_eq!(
            s.expires.unwrap(),
            time::macros::datetime!(2026-11-28 20:39:57 UTC)
        );
        // The region filter: the recorded endpoints are in RegionOne only.
        let mut c = v3_cfg();
        c.region = Some("RegionOne".into());
        assert!(keystone_v3_session(&c, Some("t".into()), TOKEN).is_ok());
        c.region = Some("RegionTwo".into());
        let e = keystone_v3_session(&c, Some("t".into()), TOKEN).unwrap_err();
        assert!(e.message().contains("no object-store endpoint"), "{e}");
        // The recorded catalog has no internal object-store endpoint.
        let mut c = v3_cfg();
        c.interface = "internal".into();
        assert!(keystone_v3_session(&c, Some("t".into()), TOKEN).is_err());
        c.interface = "admin".into();
        assert!(keystone_v3_session(&c, Some("t".into()), TOKEN).is_ok());
        // A configured storage URL wins over the catalog.
        let mut c = v3_cfg();
        c.storage_url = Some("http://gw/v1/AUTH_x/".into());
        let s = keystone_v3_session(&c, Some("t".into()), TOKEN).unwrap();
        assert_eq!(s.storage_url, "http://gw/v1/AUTH_x");
        // No token header, or an unscoped token (no catalog): refused with a reason.
        let e = keystone_v3_session(&v3_cfg(), None, TOKEN).unwrap_err();
        assert!(e.message().contains("X-Subject-Token"), "{e}");
        let e = keystone_v3_session(&v3_cfg(), Some("t".into()), r#"{"token":{}}"#).unwrap_err();
        assert!(e.message().contains("catalog"), "{e}");
    }

    /// Serves the recorded Keystone answers on a local port: a `401` for a wrong password
    /// (as recorded), the scoped token otherwise; records the requests it got.
    fn fake_keystone(answers: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
        use std::io::{BufRead, BufReader, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v3", l.local_addr().unwrap());
        let h = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..answers {
                let (c, _) = l.accept().unwrap();
                let mut r = BufReader::new(c);
                let mut head = String::new();
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    r.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    head.push_str(&line);
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                }
                let mut body = vec![0u8; len];
                r.read_exact(&mut body).unwrap();
                let body = String::from_utf8(body).unwrap();
                let answer = if body.contains("\"wrong\"") {
                    let rec = include_str!(
                        "../../../tests/fixtures/keystone/token-v3-wrong-password.http"
                    );
                    let rec = rec.replace("\r\n", "\n");
                    let (h, b) = rec.split_once("\n\n").unwrap();
                    let h = h.replace("HTTP/1.0", "HTTP/1.1").replace('\n', "\r\n");
                    format!("{h}\r\n\r\n{b}")
                } else {
                    format!(
                        "HTTP/1.1 201 CREATED\r\nContent-Type: application/json\r\n\
                         X-Subject-Token: gAAAArecorded\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{TOKEN}",
                        TOKEN.len()
                    )
                };
                let mut c = r.into_inner();
                c.write_all(answer.as_bytes()).unwrap();
                seen.push(format!("{head}{body}"));
            }
            seen
        });
        (url, h)
    }

    #[test]
    fn keystone_v3_exchange_over_http() {
        let (url, server) = fake_keystone(2);
        let c = SwiftConfig {
            auth_url: url.clone(),
            ..v3_cfg()
        };
        let o = SwiftOffer::new(c.clone(), "admin".into(), "s3cret".into()).unwrap();
        let s = o.authenticate().unwrap();
        assert_eq!(s.token, "gAAAArecorded");
        assert!(
            s.storage_url
                .ends_with("/v1/AUTH_07ccb773de3c40b4b251997620cde637")
        );
        let bad = SwiftOffer::new(c, "admin".into(), "wrong".into()).unwrap();
        let e = bad.authenticate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Denied, "{e}");
        assert!(e.message().contains("Keystone v3 authentication"), "{e}");
        let seen = server.join().unwrap();
        assert!(
            seen[0].starts_with("POST /v3/auth/tokens HTTP/1.1"),
            "{}",
            seen[0]
        );
        assert!(
            seen[0]
                .to_ascii_lowercase()
                .contains("content-type: application/json")
        );
    }

    #[test]
    fn unreachable_proxy_is_unavailable() {
        let o = SwiftOffer::new(cfg(), "u".into(), "k".into()).unwrap();
        let e = o.head(&ObjectKey::new("x").unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
        assert!(e.message().contains("offer sw"), "{e}");
    }
}
