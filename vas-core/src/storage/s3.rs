//! [`S3Offer`]: an S3-compatible offer (cargo feature `s3`), synchronous, on `ureq` with a
//! hand-written AWS Signature V4 signer (HMAC-SHA-256 over `sha2`, no async runtime).
//!
//! - **Verified before commit.** S3 commits a single `PUT` as soon as it ends, so an object
//!   up to `multipart_threshold` is read and hashed in memory first and sent only if it
//!   matches the declared fixity, with its SHA-256 signed (`x-amz-content-sha256`): the
//!   server checks the payload too. Larger objects use a multipart upload, one part in
//!   memory at a time (each part's SHA-256 signed); on a digest or size mismatch the upload
//!   is aborted, so nothing becomes visible.
//! - **Recorded fixity.** The fixity goes into user metadata:
//!   `x-amz-meta-vas-algorithm`, `x-amz-meta-vas-digest`, `x-amz-meta-vas-size`.
//! - **Write-once.** A `HEAD` before the write, and `If-None-Match: *` on the commit (S3
//!   conditional writes) where the server supports it; a `412` is resolved like a
//!   concurrent writer: same fixity → already present, else conflict.
//! - Path-style (`endpoint/bucket/key`) or virtual-host (`bucket.endpoint/key`) addressing.
//! - `list` issues one `HEAD` per object to read the recorded fixity.
//! - `https://` endpoints need the cargo feature `s3-tls` (rustls); `s3` alone speaks plain
//!   `http://` (a local gateway, a cluster on a private network, tests).

use std::fmt::Write as _;
use std::io::{self, Read};

use sha2::Digest as _;

use crate::error::{Error, ErrorKind, Result};

use super::config::S3Config;
use super::http::{self, Client, FixityHeaders, Response};
use super::key::ObjectKey;
use super::offer::{
    ByteRange, Capabilities, Fixity, ObjectMeta, OfferStatus, PutOutcome, StorageOffer, not_found,
};

const FIXITY: FixityHeaders = FixityHeaders {
    algorithm: "x-amz-meta-vas-algorithm",
    digest: "x-amz-meta-vas-digest",
    size: "x-amz-meta-vas-size",
};
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const MIN_PART: u64 = 5 << 20;

/// Access keys for signing.
#[derive(Clone)]
pub struct Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// An S3-compatible offer.
///
/// ```no_run
/// use vas_core::storage::config::StorageConfig;
///
/// // With VAS_S3_ACCESS_KEY / VAS_S3_SECRET_KEY set and a server listening:
/// let cfg = StorageConfig::from_toml_str(r#"
///     [[offer]]
///     id = "s3-1"
///     kind = "s3"
///     endpoint = "http://127.0.0.1:8333"
///     bucket = "vas"
///     access_key_env = "VAS_S3_ACCESS_KEY"
///     secret_key_env = "VAS_S3_SECRET_KEY"
/// "#, ".").unwrap();
/// let offer = cfg.open_offer("s3-1").unwrap();
/// assert!(offer.status().unwrap().available);
/// ```
#[derive(Debug)]
pub struct S3Offer {
    cfg: S3Config,
    creds: Credentials,
    scheme: String,
    host: String, // host[:port] of the endpoint
    http: Client,
}

/// A signed request, ready to send (exposed for tests of the signer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Full URL.
    pub url: String,
    /// Headers to send, including `authorization`.
    pub headers: Vec<(String, String)>,
}

impl S3Offer {
    /// An offer from its configuration, reading the keys from the environment variables
    /// named there. Creates the bucket when `create_bucket` is set.
    pub fn from_config(cfg: &S3Config) -> Result<S3Offer> {
        let env = |name: &str| {
            std::env::var(name).map_err(|_| {
                Error::invalid(format!(
                    "offer {}: environment variable {name} is not set",
                    cfg.id
                ))
            })
        };
        let creds = Credentials {
            access_key: env(&cfg.access_key_env)?,
            secret_key: env(&cfg.secret_key_env)?,
        };
        S3Offer::new(cfg.clone(), creds)
    }

    /// An offer from explicit settings and credentials.
    pub fn new(cfg: S3Config, creds: Credentials) -> Result<S3Offer> {
        let (scheme, rest) = cfg.endpoint.split_once("://").ok_or_else(|| {
            Error::invalid(format!(
                "offer {}: endpoint must start with http://",
                cfg.id
            ))
        })?;
        if scheme != "http" && scheme != "https" {
            return Err(Error::invalid(format!(
                "offer {}: unsupported endpoint scheme {scheme:?}",
                cfg.id
            )));
        }
        if scheme == "https" && !cfg!(feature = "s3-tls") {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "offer {}: https endpoints need vas-core built with the cargo feature `s3-tls`",
                    cfg.id
                ),
            ));
        }
        let host = rest.trim_end_matches('/').to_string();
        if host.is_empty() || host.contains('/') {
            return Err(Error::invalid(format!(
                "offer {}: endpoint must be scheme://host[:port]",
                cfg.id
            )));
        }
        if cfg.bucket.is_empty()
            || !cfg
                .bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(Error::invalid(format!(
                "offer {}: invalid bucket name {:?}",
                cfg.id, cfg.bucket
            )));
        }
        if cfg.part_size < MIN_PART || cfg.multipart_threshold < MIN_PART {
            return Err(Error::invalid(format!(
                "offer {}: part_size and multipart_threshold must be at least 5 MiB",
                cfg.id
            )));
        }
        let offer = S3Offer {
            scheme: scheme.to_string(),
            host,
            creds,
            http: Client::new(&cfg.id),
            cfg,
        };
        if offer.cfg.create_bucket {
            offer.ensure_bucket()?;
        }
        Ok(offer)
    }

    fn ensure_bucket(&self) -> Result<()> {
        let r = self.send("HEAD", None, &[], &[], None)?;
        if r.status().as_u16() == 200 {
            return Ok(());
        }
        let mut r = self.send("PUT", None, &[], &[], Some(&[]))?;
        match r.status().as_u16() {
            200 | 409 => Ok(()),
            s => Err(self.http_error("create bucket", s, &mut r)),
        }
    }

    fn object_name(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.cfg.prefix, key.as_str())
    }

    /// Signs a request (AWS Signature V4, `s3` service) at `amz_date` (`YYYYMMDDTHHMMSSZ`).
    /// `object` is the unencoded object name (`None`: the bucket), `query` unencoded pairs,
    /// `payload_sha256` the hex SHA-256 of the body or `UNSIGNED-PAYLOAD`.
    pub fn sign(
        &self,
        method: &str,
        object: Option<&str>,
        query: &[(&str, &str)],
        extra_headers: &[(String, String)],
        payload_sha256: &str,
        amz_date: &str,
    ) -> SignedRequest {
        let (host, mut path) = if self.cfg.path_style {
            (self.host.clone(), format!("/{}", self.cfg.bucket))
        } else {
            (format!("{}.{}", self.cfg.bucket, self.host), String::new())
        };
        match object {
            Some(o) => {
                path.push('/');
                path.push_str(&uri_encode(o, false));
            }
            None if path.is_empty() => path.push('/'),
            None => {}
        }
        let mut q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
            .collect();
        q.sort();
        let canonical_query = q
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut headers: Vec<(String, String)> = extra_headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        headers.push(("host".into(), host.clone()));
        headers.push(("x-amz-content-sha256".into(), payload_sha256.into()));
        headers.push(("x-amz-date".into(), amz_date.into()));
        headers.sort();
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed_headers = headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let canonical_request = format!(
            "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_sha256}"
        );
        let date = &amz_date[..8.min(amz_date.len())];
        let scope = format!("{date}/{}/s3/aws4_request", self.cfg.region);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(sha2::Sha256::digest(canonical_request.as_bytes()))
        );
        let k_date = hmac_sha256(
            format!("AWS4{}", self.creds.secret_key).as_bytes(),
            date.as_bytes(),
        );
        let k_region = hmac_sha256(&k_date, self.cfg.region.as_bytes());
        let k_service = hmac_sha256(&k_region, b"s3");
        let k_signing = hmac_sha256(&k_service, b"aws4_request");
        let signature = hex::encode(hmac_sha256(&k_signing, string_to_sign.as_bytes()));
        headers.push((
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                self.creds.access_key
            ),
        ));
        let mut url = format!("{}://{host}{path}", self.scheme);
        if !canonical_query.is_empty() {
            url.push('?');
            url.push_str(&canonical_query);
        }
        SignedRequest { url, headers }
    }

    fn send(
        &self,
        method: &str,
        object: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Response> {
        let payload = match body {
            Some(b) if !b.is_empty() => hex::encode(sha2::Sha256::digest(b)),
            _ => EMPTY_SHA256.to_string(),
        };
        let now = time::OffsetDateTime::now_utc();
        let amz_date = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let signed = self.sign(method, object, query, headers, &payload, &amz_date);
        let headers: Vec<(String, String)> = signed
            .headers
            .into_iter()
            .filter(|(k, _)| k != "host")
            .collect();
        self.http.send(method, &signed.url, &headers, body)
    }

    fn http_error(&self, what: &str, status: u16, r: &mut Response) -> Error {
        let body = http::error_body(r);
        let code = xml_text(&body, "Code").unwrap_or_default();
        let kind = (status == 400 && (code == "BadDigest" || code == "XAmzContentSHA256Mismatch"))
            .then_some(ErrorKind::Integrity);
        let detail = format!("{code} {}", xml_text(&body, "Message").unwrap_or_default());
        self.http.status_error(what, status, kind, &detail)
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
            self.cfg.multipart_threshold,
        )?;
        let mut headers = FIXITY.to_headers(expected);
        headers.push(("if-none-match".into(), "*".into()));
        let name = self.object_name(key);
        let mut r = self.send("PUT", Some(&name), &[], &headers, Some(&buf))?;
        match r.status().as_u16() {
            200 => Ok(PutOutcome::Created),
            412 => http::resolve_race(self, key, expected),
            s => Err(self.http_error(&format!("PUT {key}"), s, &mut r)),
        }
    }

    fn put_multipart(
        &self,
        key: &ObjectKey,
        data: &mut dyn Read,
        expected: &Fixity,
    ) -> Result<PutOutcome> {
        let name = self.object_name(key);
        let mut r = self.send(
            "POST",
            Some(&name),
            &[("uploads", "")],
            &FIXITY.to_headers(expected),
            Some(&[]),
        )?;
        if r.status().as_u16() != 200 {
            let s = r.status().as_u16();
            return Err(self.http_error(&format!("create multipart upload of {key}"), s, &mut r));
        }
        let body = self.http.text("create multipart upload", &mut r, 1 << 20)?;
        let upload_id = xml_text(&body, "UploadId").ok_or_else(|| {
            Error::new(
                ErrorKind::Unavailable,
                format!("offer {}: no UploadId in answer", self.cfg.id),
            )
        })?;
        let res = self.upload_parts(key, &name, &upload_id, data, expected);
        match res {
            Ok(o) => Ok(o),
            Err(e) => {
                // Abort: nothing becomes visible.
                let _ = self.send(
                    "DELETE",
                    Some(&name),
                    &[("uploadId", &upload_id)],
                    &[],
                    None,
                );
                Err(e)
            }
        }
    }

    fn upload_parts(
        &self,
        key: &ObjectKey,
        name: &str,
        upload_id: &str,
        data: &mut dyn Read,
        expected: &Fixity,
    ) -> Result<PutOutcome> {
        let mut etags = Vec::new();
        http::upload_in_parts(
            &self.cfg.id,
            key,
            data,
            expected,
            self.cfg.part_size,
            |i, part| {
                let n = (i + 1).to_string();
                let mut r = self.send(
                    "PUT",
                    Some(name),
                    &[("partNumber", &n), ("uploadId", upload_id)],
                    &[],
                    Some(part),
                )?;
                if r.status().as_u16() != 200 {
                    let s = r.status().as_u16();
                    return Err(self.http_error(&format!("upload part {n} of {key}"), s, &mut r));
                }
                etags.push(http::header(&r, "etag").unwrap_or_default());
                Ok(())
            },
        )?;
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (i, e) in etags.iter().enumerate() {
            let _ = write!(
                xml,
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                i + 1,
                quick_xml::escape::escape(e.as_str())
            );
        }
        xml.push_str("</CompleteMultipartUpload>");
        let headers = vec![("if-none-match".to_string(), "*".to_string())];
        let mut r = self.send(
            "POST",
            Some(name),
            &[("uploadId", upload_id)],
            &headers,
            Some(xml.as_bytes()),
        )?;
        let status = r.status().as_u16();
        // S3 may answer 200 with an <Error> body.
        let body = r.body_mut().read_to_string().unwrap_or_default();
        match status {
            200 if !body.contains("<Error>") => Ok(PutOutcome::Created),
            412 => http::resolve_race(self, key, expected),
            s => Err(Error::new(
                if s == 200 {
                    ErrorKind::Unavailable
                } else {
                    ErrorKind::InvalidInput
                },
                format!(
                    "offer {}: complete multipart upload of {key}: HTTP {s} {}",
                    self.cfg.id,
                    xml_text(&body, "Message").unwrap_or_default()
                ),
            )),
        }
    }

    /// Every object name (with its stored size) under `prefix`, via ListObjectsV2.
    fn list_raw(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let full = format!("{}{prefix}", self.cfg.prefix);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q: Vec<(&str, &str)> = vec![("list-type", "2"), ("prefix", &full)];
            if let Some(t) = &token {
                q.push(("continuation-token", t));
            }
            let mut r = self.send("GET", None, &q, &[], None)?;
            if r.status().as_u16() != 200 {
                let s = r.status().as_u16();
                return Err(self.http_error("list objects", s, &mut r));
            }
            let body = self.http.text("list objects", &mut r, 256 << 20)?;
            let (items, next) = parse_list(&body)?;
            out.extend(items);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        Ok(out)
    }
}

impl StorageOffer for S3Offer {
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
        if expected.size <= self.cfg.multipart_threshold {
            self.put_single(key, data, expected)
        } else {
            self.put_multipart(key, data, expected)
        }
    }

    fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<Box<dyn Read + Send>> {
        let Ok(headers) = http::range_header(self, key, range)? else {
            return Ok(Box::new(io::empty()));
        };
        let name = self.object_name(key);
        let mut r = self.send("GET", Some(&name), &[], &headers, None)?;
        match r.status().as_u16() {
            200 | 206 => Ok(http::body_reader(r)),
            404 => Err(not_found(&self.cfg.id, key)),
            s => Err(self.http_error(&format!("GET {key}"), s, &mut r)),
        }
    }

    fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        let name = self.object_name(key);
        let mut r = self.send("HEAD", Some(&name), &[], &[], None)?;
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
        let r = self.send("HEAD", Some(&name), &[], &[], None)?;
        if r.status().as_u16() == 404 {
            return Ok(false);
        }
        let mut r = self.send("DELETE", Some(&name), &[], &[], None)?;
        match r.status().as_u16() {
            200 | 204 => Ok(true),
            404 => Ok(false),
            s => Err(self.http_error(&format!("DELETE {key}"), s, &mut r)),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let names = self.list_raw(prefix)?;
        Ok(http::list_by_head(self, names, &self.cfg.prefix))
    }

    fn damaged(&self) -> Result<Vec<String>> {
        let names = self.list_raw("")?;
        http::damaged_by_head(self, names, &self.cfg.prefix, &self.cfg.bucket)
    }

    fn status(&self) -> Result<OfferStatus> {
        let mut r = self.send("HEAD", None, &[], &[], None)?;
        if r.status().as_u16() != 200 {
            let s = r.status().as_u16();
            return Err(self.http_error("HEAD bucket", s, &mut r));
        }
        let objs = self.list_raw("")?;
        Ok(OfferStatus {
            available: true,
            used_bytes: Some(objs.iter().map(|(_, s)| s).sum()),
            free_bytes: None,
            object_count: Some(objs.len() as u64),
            detail: format!("{}/{}", self.cfg.endpoint, self.cfg.bucket),
        })
    }
}

/// HMAC-SHA-256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = if key.len() > 64 {
        sha2::Sha256::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    k.resize(64, 0);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let mut inner = sha2::Sha256::new();
    inner.update(&ipad);
    inner.update(msg);
    let mut outer = sha2::Sha256::new();
    outer.update(&opad);
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

/// SigV4 URI encoding: unreserved characters kept, `/` kept unless `encode_slash`,
/// everything else `%XX` (upper-case) byte by byte.
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    http::percent_encode(s, encode_slash)
}

/// The text of the first `<tag>…</tag>` of a small XML answer (unescaped).
fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(unescape(&xml[start..end]))
}

fn unescape(s: &str) -> String {
    quick_xml::escape::unescape(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

/// Parses a ListObjectsV2 answer: `(key, size)` items and the continuation token.
type Listing = (Vec<(String, u64)>, Option<String>);

fn parse_list(xml: &str) -> Result<Listing> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut items = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let (mut key, mut size) = (None::<String>, 0u64);
    let mut truncated = false;
    let mut next = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                path.push(e.local_name().into_inner().to_string());
            }
            Ok(Event::End(_)) => {
                if path.last().map(String::as_str) == Some("Contents")
                    && let Some(k) = key.take()
                {
                    items.push((k, size));
                    size = 0;
                }
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let raw = t.to_string();
                let text = unescape(&raw);
                let in_contents = path.len() >= 2 && path[path.len() - 2] == "Contents";
                match path.last().map(String::as_str) {
                    Some("Key") if in_contents => key = Some(key.unwrap_or_default() + &text),
                    Some("Size") if in_contents => size = text.trim().parse().unwrap_or(0),
                    Some("IsTruncated") => truncated = text.trim() == "true",
                    Some("NextContinuationToken") => next = Some(text),
                    _ => {}
                }
            }
            Ok(Event::GeneralRef(r)) => {
                // Entity references inside a key (e.g. &amp;).
                let name = r.to_string();
                let in_contents = path.len() >= 2 && path[path.len() - 2] == "Contents";
                if in_contents && path.last().map(String::as_str) == Some("Key") {
                    let s = unescape(&format!("&{name};"));
                    key = Some(key.unwrap_or_default() + &s);
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!("unreadable S3 listing: {e}"),
                ));
            }
        }
    }
    Ok((items, if truncated { next } else { None }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(path_style: bool) -> S3Offer {
        let cfg = S3Config {
            id: "s3".into(),
            endpoint: "http://s3.amazonaws.com".into(),
            bucket: "examplebucket".into(),
            region: "us-east-1".into(),
            access_key_env: String::new(),
            secret_key_env: String::new(),
            path_style,
            prefix: String::new(),
            multipart_threshold: 64 << 20,
            part_size: 64 << 20,
            create_bucket: false,
        };
        S3Offer::new(
            cfg,
            Credentials {
                access_key: "AKIAIOSFODNN7EXAMPLE".into(),
                secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            },
        )
        .unwrap()
    }

    /// The "GET Object" example of the AWS Signature V4 documentation for S3
    /// (virtual-host addressing, `Range: bytes=0-9`).
    #[test]
    fn sigv4_matches_the_aws_documented_example() {
        let o = offer(false);
        let s = o.sign(
            "GET",
            Some("test.txt"),
            &[],
            &[("Range".into(), "bytes=0-9".into())],
            EMPTY_SHA256,
            "20130524T000000Z",
        );
        assert_eq!(s.url, "http://examplebucket.s3.amazonaws.com/test.txt");
        let auth = &s
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn path_style_urls_and_encoding() {
        let o = offer(true);
        let s = o.sign(
            "GET",
            Some("a b/é+x"),
            &[],
            &[],
            EMPTY_SHA256,
            "20130524T000000Z",
        );
        assert_eq!(
            s.url,
            "http://s3.amazonaws.com/examplebucket/a%20b/%C3%A9%2Bx"
        );
        let s = o.sign(
            "GET",
            None,
            &[("prefix", "a/b"), ("list-type", "2")],
            &[],
            EMPTY_SHA256,
            "20130524T000000Z",
        );
        assert_eq!(
            s.url,
            "http://s3.amazonaws.com/examplebucket?list-type=2&prefix=a%2Fb"
        );
    }

    #[test]
    fn refuses_bad_settings() {
        let base = offer(true).cfg;
        let mk = |f: &dyn Fn(&mut S3Config)| {
            let mut c = base.clone();
            f(&mut c);
            S3Offer::new(c, offer(true).creds.clone()).map(|_| ())
        };
        assert!(mk(&|c| c.endpoint = "ftp://x".into()).is_err());
        assert!(mk(&|c| c.endpoint = "http://x/path".into()).is_err());
        assert!(mk(&|c| c.bucket = "Upper_Case".into()).is_err());
        assert!(mk(&|c| c.part_size = 1 << 20).is_err());
        let https = mk(&|c| c.endpoint = "https://s3.example".into());
        if cfg!(feature = "s3-tls") {
            assert!(https.is_ok());
        } else {
            assert_eq!(https.unwrap_err().kind(), ErrorKind::Unsupported);
        }
    }

    #[test]
    fn hmac_rfc4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn parses_listing() {
        let xml = "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b</Key><Size>3</Size></Contents><Contents><Key>c</Key><Size>10</Size></Contents><NextContinuationToken>tok</NextContinuationToken></ListBucketResult>";
        let (items, next) = parse_list(xml).unwrap();
        assert_eq!(items, vec![("a&b".to_string(), 3), ("c".to_string(), 10)]);
        assert_eq!(next.as_deref(), Some("tok"));
    }
}
