//! What the HTTP offers ([`S3Offer`](super::S3Offer), [`SwiftOffer`](super::SwiftOffer))
//! share: one `ureq` client per offer with the same timeouts, sending with retries of
//! transient failures, the mapping of HTTP statuses to [`ErrorKind`]s, the fixity kept in
//! object metadata headers, the "verify in memory, then send" single upload, the
//! part-by-part upload of large objects, ranged reads, and the listing helpers.
//!
//! Each protocol keeps only what is its own: signing (S3's SigV4) or tokens (Swift),
//! URLs, and the commit of a large object (S3 multipart, Swift SLO manifest).

use std::io::{self, Read};
use std::time::Duration;

use crate::digest::{DigestAlgorithm, Hasher};
use crate::error::{Error, ErrorKind, Result};

use super::key::ObjectKey;
use super::offer::{
    ByteRange, Fixity, ObjectMeta, PutOutcome, StorageOffer, check_written, not_found,
    stream_error, write_once_check,
};

/// A response whose body is still to be read.
pub(crate) type Response = ureq::http::Response<ureq::Body>;

/// Attempts of a request that failed in transit or answered `503` (the first included).
const ATTEMPTS: u32 = 3;

/// The HTTP client of one offer.
#[derive(Debug)]
pub(crate) struct Client {
    offer: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client for offer `offer` (named in every error): statuses are answers, not
    /// errors; 10 s to connect, 120 s for a response.
    pub(crate) fn new(offer: &str) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .build();
        Client {
            offer: offer.to_string(),
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// An `Unavailable` error naming the offer and what failed.
    pub(crate) fn unavailable(&self, what: &str, e: &dyn std::fmt::Display) -> Error {
        Error::new(
            ErrorKind::Unavailable,
            format!("offer {}: {what}: {e}", self.offer),
        )
    }

    /// Sends one request. A request that fails in transit (connection refused or reset,
    /// timeout) or answers `503 Service Unavailable` is sent again, up to [`ATTEMPTS`]
    /// times with a growing pause, unless it is a `POST` (not idempotent). Every vas
    /// request is safe to repeat otherwise: bodies are in memory, and commits carry
    /// `If-None-Match: *`, so a repeated commit that had succeeded answers `412`, which the
    /// offers resolve as "already present".
    pub(crate) fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Response> {
        let retry = method != "POST";
        let mut attempt = 1;
        loop {
            let what = format!("{method} {url}");
            let mut b = ureq::http::Request::builder().method(method).uri(url);
            for (k, v) in headers {
                b = b.header(k.as_str(), v.as_str());
            }
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
            let transient = match &r {
                Err(_) => true,
                Ok(resp) => resp.status().as_u16() == 503,
            };
            if transient && retry && attempt < ATTEMPTS {
                std::thread::sleep(Duration::from_millis(200 * 4u64.pow(attempt - 1)));
                attempt += 1;
                continue;
            }
            return r.map_err(|e| self.unavailable(&what, &e));
        }
    }

    /// The error for an unexpected status: the kind from [`status_kind`] (or `kind` when
    /// given), the offer, what was attempted, and `detail` (the answer's explanation).
    pub(crate) fn status_error(
        &self,
        what: &str,
        status: u16,
        kind: Option<ErrorKind>,
        detail: &str,
    ) -> Error {
        Error::new(
            kind.unwrap_or_else(|| status_kind(status)),
            format!("offer {}: {what}: HTTP {status} {detail}", self.offer),
        )
    }

    /// Reads a whole (small) answer body as text, up to `limit` bytes.
    pub(crate) fn text(&self, what: &str, r: &mut Response, limit: u64) -> Result<String> {
        r.body_mut()
            .with_config()
            .limit(limit)
            .read_to_string()
            .map_err(|e| self.unavailable(what, &e))
    }
}

/// The [`ErrorKind`] of an HTTP status that is not a success.
pub(crate) fn status_kind(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Denied,
        404 => ErrorKind::NotFound,
        409 | 412 => ErrorKind::Conflict,
        400..=499 => ErrorKind::InvalidInput,
        _ => ErrorKind::Unavailable,
    }
}

/// The body of an error answer (at most 64 KiB; empty if unreadable).
pub(crate) fn error_body(r: &mut Response) -> String {
    r.body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default()
}

/// A header's value as text.
pub(crate) fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The names of the metadata headers that carry an object's fixity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FixityHeaders {
    /// Algorithm (SEDA name).
    pub algorithm: &'static str,
    /// Lower-case hex digest.
    pub digest: &'static str,
    /// Size in bytes.
    pub size: &'static str,
}

impl FixityHeaders {
    /// The headers to send with an object (or manifest) to record `fx`.
    pub(crate) fn to_headers(self, fx: &Fixity) -> Vec<(String, String)> {
        vec![
            (self.algorithm.into(), fx.algorithm.seda_name().into()),
            (self.digest.into(), fx.digest.clone()),
            (self.size.into(), fx.size.to_string()),
        ]
    }

    /// The fixity recorded in a `HEAD` answer; `Corrupt` when missing or inconsistent with
    /// the stored length.
    pub(crate) fn read(self, offer: &str, key: &ObjectKey, r: &Response) -> Result<Fixity> {
        let corrupt = |why: &str| {
            Error::new(
                ErrorKind::Corrupt,
                format!("object {key} on offer {offer}: {why}"),
            )
            .with_id(key.as_str().to_string())
        };
        let (Some(alg), Some(digest), Some(size)) = (
            header(r, self.algorithm),
            header(r, self.digest),
            header(r, self.size),
        ) else {
            return Err(corrupt(
                "no vas fixity metadata (object not written by vas?)",
            ));
        };
        let alg: DigestAlgorithm = alg.parse().map_err(|_| corrupt("bad algorithm metadata"))?;
        let size: u64 = size.parse().map_err(|_| corrupt("bad size metadata"))?;
        let fx = Fixity::new(alg, &digest, size).map_err(|_| corrupt("bad digest metadata"))?;
        if let Some(len) = header(r, "content-length").and_then(|l| l.parse::<u64>().ok())
            && len != size
        {
            return Err(corrupt(&format!(
                "stored length {len} differs from the recorded size {size}"
            )));
        }
        Ok(fx)
    }
}

/// The write-once check before an upload: `Some(outcome)` when nothing is to be sent.
pub(crate) fn precheck(
    offer: &dyn StorageOffer,
    key: &ObjectKey,
    expected: &Fixity,
) -> Result<Option<PutOutcome>> {
    let existing = offer.head(key)?;
    write_once_check(offer, key, existing.as_ref().map(|m| &m.fixity), expected)
}

/// Resolves a `412 Precondition Failed` on a commit (someone committed the key meanwhile):
/// same fixity → already present, else conflict.
pub(crate) fn resolve_race(
    offer: &dyn StorageOffer,
    key: &ObjectKey,
    expected: &Fixity,
) -> Result<PutOutcome> {
    let existing = offer.head(key)?;
    write_once_check(offer, key, existing.as_ref().map(|m| &m.fixity), expected)?
        .ok_or_else(|| Error::new(ErrorKind::Conflict, format!("{key}: concurrent write")))
}

/// Reads a whole object of at most `limit` bytes into memory and checks it against the
/// declared fixity before anything is sent (a single upload commits as soon as its body
/// ends, so it must be verified first). Reads one byte more than `limit`, enough to see a
/// stream longer than declared without holding it all.
pub(crate) fn read_verified(
    offer: &str,
    key: &ObjectKey,
    data: &mut dyn Read,
    expected: &Fixity,
    limit: u64,
) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(usize::try_from(expected.size).unwrap_or(0).min(64 << 20));
    read_up_to(data, &mut buf, limit + 1)?;
    let mut h = Hasher::new(expected.algorithm);
    h.update(&buf);
    let size = h.len();
    check_written(offer, key, expected, &h.finalize_hex(), size)?;
    Ok(buf)
}

/// Uploads a large object part by part (each of `part_size` bytes, the last shorter, each
/// in memory in turn) through `upload(index, part)`, hashing the whole stream; stops
/// before uploading anything beyond the declared size, and checks the declared fixity at
/// the end. The caller commits (or, on error, discards) the parts.
pub(crate) fn upload_in_parts(
    offer: &str,
    key: &ObjectKey,
    data: &mut dyn Read,
    expected: &Fixity,
    part_size: u64,
    mut upload: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut h = Hasher::new(expected.algorithm);
    let mut part = Vec::with_capacity(usize::try_from(part_size).unwrap_or(64 << 20));
    let mut index = 0;
    loop {
        part.clear();
        read_up_to(data, &mut part, part_size)?;
        if part.is_empty() {
            break;
        }
        h.update(&part);
        if h.len() > expected.size {
            break; // longer than declared: refused below, before any commit
        }
        upload(index, &part)?;
        index += 1;
        if (part.len() as u64) < part_size {
            break;
        }
    }
    let size = h.len();
    check_written(offer, key, expected, &h.finalize_hex(), size)
}

/// The `Range` header of a ranged read (`None`: the whole object), or `Err(empty)` when
/// the range is empty (nothing to ask the server). Needs the recorded size: one `HEAD`.
pub(crate) fn range_header(
    offer: &dyn StorageOffer,
    key: &ObjectKey,
    range: Option<ByteRange>,
) -> Result<std::result::Result<Vec<(String, String)>, ()>> {
    let Some(rg) = range else {
        return Ok(Ok(Vec::new()));
    };
    let meta = offer.head(key)?.ok_or_else(|| not_found(offer.id(), key))?;
    let (start, len) = rg.resolve(meta.fixity.size)?;
    if len == 0 {
        return Ok(Err(()));
    }
    Ok(Ok(vec![(
        "range".to_string(),
        format!("bytes={start}-{}", start + len - 1),
    )]))
}

/// The body of a `GET` answer as a stream (no size limit).
pub(crate) fn body_reader(r: Response) -> Box<dyn Read + Send> {
    Box::new(r.into_body().into_with_config().limit(u64::MAX).reader())
}

/// `list` of an HTTP offer: the names stored under the offer's `prefix`, each `HEAD`ed
/// for its recorded fixity; names that are not vas keys, and objects whose metadata is
/// unreadable, are skipped (`damaged` reports them).
pub(crate) fn list_by_head(
    offer: &dyn StorageOffer,
    names: Vec<(String, u64)>,
    prefix: &str,
) -> Vec<ObjectMeta> {
    let mut out = Vec::new();
    for (name, _) in names {
        let Some(k) = name.strip_prefix(prefix) else {
            continue;
        };
        let Ok(key) = ObjectKey::new(k) else {
            continue;
        };
        if let Ok(Some(m)) = offer.head(&key) {
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// `damaged` of an HTTP offer: the stored names that are not vas keys or whose metadata
/// cannot be read, as `<where>/<name>: <why>`. An unreachable server is an error.
pub(crate) fn damaged_by_head(
    offer: &dyn StorageOffer,
    names: Vec<(String, u64)>,
    prefix: &str,
    place: &str,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (name, _) in names {
        let Some(k) = name.strip_prefix(prefix) else {
            continue;
        };
        let why = match ObjectKey::new(k) {
            Err(e) => e.message().to_string(),
            Ok(key) => match offer.head(&key) {
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Unavailable => return Err(e),
                Err(e) => e.message().to_string(),
            },
        };
        out.push(format!("{place}/{name}: {why}"));
    }
    Ok(out)
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
pub(crate) fn read_up_to(r: &mut dyn Read, buf: &mut Vec<u8>, limit: u64) -> Result<()> {
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

/// Percent-encoding of a URL path (`/` kept unless `encode_slash`) or query item, as both
/// SigV4 and Swift want it: unreserved characters (`A-Z a-z 0-9 - _ . ~`) kept, every other
/// byte `%XX` (upper-case hex).
pub(crate) fn percent_encode(s: &str, encode_slash: bool) -> String {
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

    #[test]
    fn encoding_and_statuses() {
        assert_eq!(percent_encode("a b/é~", false), "a%20b/%C3%A9~");
        assert_eq!(percent_encode("a/b", true), "a%2Fb");
        assert_eq!(status_kind(403), ErrorKind::Denied);
        assert_eq!(status_kind(412), ErrorKind::Conflict);
        assert_eq!(status_kind(416), ErrorKind::InvalidInput);
        assert_eq!(status_kind(500), ErrorKind::Unavailable);
    }

    #[test]
    fn parts_stop_at_the_declared_size() {
        let k = ObjectKey::new("k").unwrap();
        let data = vec![7u8; 2500];
        let fx = Fixity::of_bytes(DigestAlgorithm::Sha256, &data);
        let mut sizes = Vec::new();
        upload_in_parts("o", &k, &mut &data[..], &fx, 1000, |i, p| {
            sizes.push((i, p.len()));
            Ok(())
        })
        .unwrap();
        assert_eq!(sizes, vec![(0, 1000), (1, 1000), (2, 500)]);
        // Declared shorter than the stream: the excess part is never uploaded.
        let short = Fixity::of_bytes(DigestAlgorithm::Sha256, &data[..1500]);
        let mut n = 0;
        let e = upload_in_parts("o", &k, &mut &data[..], &short, 1000, |_, _| {
            n += 1;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Integrity);
        assert_eq!(n, 1);
    }

    #[test]
    fn transport_failures_are_retried_then_unavailable() {
        // Nothing listens on port 1: every attempt fails, the last error is reported.
        let c = Client::new("t");
        let t = std::time::Instant::now();
        let e = c
            .send("GET", "http://127.0.0.1:1/x", &[], None)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert!(
            e.message().contains("offer t: GET http://127.0.0.1:1/x"),
            "{e}"
        );
        assert!(
            t.elapsed() >= Duration::from_millis(1000),
            "two pauses: 200 + 800 ms"
        );
        // POST is not repeated.
        let t = std::time::Instant::now();
        assert!(
            c.send("POST", "http://127.0.0.1:1/x", &[], Some(b""))
                .is_err()
        );
        assert!(t.elapsed() < Duration::from_millis(200));
    }
}
