//! The HTTP client for the Render REST API: which base URLs it will send a key to, the
//! bearer authentication, one GET with its error mapping, and the layers around a GET —
//! a bound on requests in flight, rate-limit pacing ([`super::ratelimit`]) and retries
//! ([`super::retry`]). Listing every page of a list is [`super::paging`]'s job.
//!
//! Every error names the endpoint (method, path and query; never the key), the HTTP
//! status and Render's request id. No error, log line or `Debug` output carries the API
//! key or a response body: bodies can hold secrets, so a body that fails to decode is
//! described by where it failed, not by what it contained.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tracing::debug;

use super::ratelimit::{Pacer, RateHeaders, retry_after, unix_now};
use super::retry::{self, RetryPolicy};
use super::wire;

/// A Render API key. Its `Debug` is redacted and it is only ever placed in a header marked
/// sensitive.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key as read from the environment or a file (surrounding whitespace removed).
    pub fn new(text: &str) -> Result<ApiKey, &'static str> {
        let key = text.trim();
        if key.is_empty() {
            return Err("the API key is empty");
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                "the API key contains spaces or characters that cannot be sent in a header",
            );
        }
        Ok(ApiKey(key.to_string()))
    }

    fn header(&self) -> HeaderValue {
        let mut v =
            HeaderValue::from_str(&format!("Bearer {}", self.0)).expect("checked in ApiKey::new");
        v.set_sensitive(true);
        v
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Check a base URL: `https://`, or plain `http://` only to a loopback host, so the key is
/// never sent in clear over a network.
pub fn check_base_url(text: &str) -> Result<Url, String> {
    // Messages never quote the URL: it may carry a credential.
    let url = Url::parse(text).map_err(|e| format!("the API URL is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let host = url.host_str().unwrap_or("");
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = match bare.parse::<std::net::IpAddr>() {
                Ok(ip) => ip.is_loopback(),
                Err(_) => host.eq_ignore_ascii_case("localhost"),
            };
            if !loopback {
                return Err(format!(
                    "refusing to send the API key over plain http to {}: use https:// (plain http is allowed only to a loopback host such as 127.0.0.1)",
                    url.host_str().unwrap_or("(no host)")
                ));
            }
        }
        other => {
            return Err(format!(
                "unsupported URL scheme `{other}` in the API URL: use https://"
            ));
        }
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("the API URL must not carry credentials (`user:password@`), a query or a fragment; it is not shown here because it may hold a secret".into());
    }
    // The path is a version prefix (`/v1`): plain segments of letters, digits, `.`, `-`
    // and `_`, none of them an opaque run (a token in the path), no `;` parameters or
    // escapes that could hide a query.
    let path_ok = url.path().split('/').all(|segment| {
        segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            && crate::secrets::secret_shape(segment).is_none()
            && crate::secrets::Classifier::default()
                .classify("API_URL_PATH", segment)
                .is_none()
    });
    if !path_ok {
        return Err("the API URL's path may hold only plain segments such as `/v1` (no `;` parameters, escapes or tokens); it is not shown here because it may hold a secret".into());
    }
    Ok(url)
}

/// What went wrong with a request, as far as a caller needs to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401: the key is missing, wrong or revoked.
    Unauthorized,
    /// 403: the key's user may not read this resource.
    Forbidden,
    /// 404: the resource does not exist (or no longer does).
    NotFound,
    /// 429: over the rate limit.
    RateLimited,
    /// 5xx.
    Server,
    /// No complete response: connection refused or reset, timeout, truncated body.
    Transport,
    /// A complete response whose body is not JSON at all (a proxy page, garbage).
    Malformed,
    /// JSON of an unexpected shape, or another 4xx: retrying would not help.
    Unexpected,
    /// The server's paging cannot be followed (repeated cursor, page cap, missing cursor).
    Paging,
}

/// A failed request: which endpoint, what status, which Render request id, and why.
#[derive(Debug, Clone)]
pub struct RequestError {
    pub endpoint: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub kind: ErrorKind,
    pub message: String,
    /// The server's `Retry-After`, on 429.
    pub retry_after: Option<Duration>,
    /// How many attempts were made before giving up.
    pub attempts: u32,
}

impl RequestError {
    pub fn new(endpoint: &Endpoint, kind: ErrorKind, message: impl Into<String>) -> RequestError {
        RequestError {
            endpoint: endpoint.to_string(),
            status: None,
            request_id: None,
            kind,
            message: message.into(),
            retry_after: None,
            attempts: 1,
        }
    }

    fn with_response(mut self, status: StatusCode, request_id: Option<String>) -> RequestError {
        self.status = Some(status.as_u16());
        self.request_id = request_id;
        self
    }

    /// What to check, for errors a person must act on.
    fn hint(&self) -> Option<&'static str> {
        match self.kind {
            ErrorKind::Unauthorized => Some(
                "the API key was refused: check RENDER_API_KEY or the file given to --api-key-file (create a key in the Render Dashboard under Account Settings → API Keys)",
            ),
            ErrorKind::Forbidden => Some(
                "the key's user may not read this resource: check that the key belongs to a member of the workspace with access to it, and the workspace id (--owner or production.owner)",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.endpoint)?;
        match self.status {
            Some(s) => {
                let reason = StatusCode::from_u16(s)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("");
                write!(f, ": {s} {reason}")?;
            }
            None => write!(f, ": no response")?,
        }
        match &self.request_id {
            Some(id) => write!(f, " (request id {id})")?,
            None if self.status.is_some() => write!(f, " (no request id)")?,
            None => {}
        }
        write!(f, ": {}", self.message)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        if let Some(h) = self.hint() {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestError {}

/// A request's method, path under the base URL and query, shown as `GET /path?query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Endpoint {
    /// A GET of `path`.
    pub fn new(path: impl Into<String>) -> Endpoint {
        Endpoint {
            method: "GET",
            path: path.into(),
            query: Vec::new(),
        }
    }

    fn with_method(&self, method: &'static str) -> Endpoint {
        Endpoint {
            method,
            ..self.clone()
        }
    }

    pub fn query(mut self, key: &str, value: impl Into<String>) -> Endpoint {
        self.query.push((key.to_string(), value.into()));
        self
    }

    fn url(&self, base: &Url) -> Url {
        let mut url = base.clone();
        let path = format!("{}{}", base.path().trim_end_matches('/'), self.path);
        url.set_path(&path);
        if !self.query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &self.query {
                q.append_pair(k, v);
            }
        }
        url
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        for (i, (k, v)) in self.query.iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

/// Counters a progress display and the closing summary read while a snapshot runs.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    /// Responses with status 429.
    pub rate_limited: AtomicU64,
    /// Resources whose details are to be read, and those done.
    pub resources_total: AtomicU64,
    pub resources_done: AtomicU64,
    /// 0 listing, 1 reading details, 2 done.
    pub stage: AtomicU64,
}

impl Stats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Client settings, with defaults suited to Render's production API.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub base_url: String,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Share of the rate-limit budget left for other tools (0–0.9).
    pub headroom: f64,
    /// One attempt's time limit.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Give up on a list after this many pages.
    pub max_pages: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            base_url: crate::config::DEFAULT_API_URL.to_string(),
            concurrency: crate::config::DEFAULT_CONCURRENCY,
            headroom: crate::config::DEFAULT_HEADROOM,
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_pages: 1000,
        }
    }
}

/// The Render API client. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    auth: HeaderValue,
    permits: Semaphore,
    pacer: Pacer,
    /// Writes have a budget of their own, apart from the GET budget.
    write_pacer: Pacer,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_pages: usize,
    pub stats: Arc<Stats>,
}

impl Client {
    pub fn new(
        settings: &ClientSettings,
        key: &ApiKey,
        stats: Arc<Stats>,
    ) -> anyhow::Result<Client> {
        let base = check_base_url(&settings.base_url).map_err(anyhow::Error::msg)?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("stageprint/", env!("CARGO_PKG_VERSION"))),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            // The API never redirects; following one could carry the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(settings.request_timeout)
            .pool_max_idle_per_host(settings.concurrency.max(1))
            .build()?;
        Ok(Client {
            http,
            base,
            auth: key.header(),
            permits: Semaphore::new(settings.concurrency.clamp(1, 64)),
            pacer: Pacer::new(settings.headroom),
            write_pacer: Pacer::new(settings.headroom),
            retry: settings.retry.clone(),
            max_pages: settings.max_pages,
            stats,
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Time requests were held back by the rate limit, and how many were held.
    pub fn rate_limit_waits(&self) -> (Duration, u64) {
        self.pacer.waited()
    }

    /// GET and decode, retrying what may succeed on another attempt.
    pub async fn get<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
    ) -> Result<Fetched<T>, RequestError> {
        retry::with_retries(&self.retry, &self.stats, endpoint, |attempt| {
            self.request_once(endpoint, None, attempt)
        })
        .await
    }

    /// PUT a JSON body and decode the answer. A PUT sets a value, so sending it again
    /// after a failed attempt is safe and is retried like a GET. The body may hold secrets:
    /// it is never logged, and no error repeats it.
    pub async fn put<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        body: &serde_json::Value,
    ) -> Result<Fetched<T>, RequestError> {
        let bytes = serde_json::to_vec(body).expect("a JSON value serialises");
        let endpoint = &endpoint.with_method("PUT");
        retry::with_retries(&self.retry, &self.stats, endpoint, |attempt| {
            self.request_once(endpoint, Some(Payload::Json(&bytes)), attempt)
        })
        .await
    }

    /// POST a multipart form of text fields and one file, and decode the answer. Used for
    /// `POST /blueprints/validate`, which creates nothing, so it is retried like a GET.
    pub async fn post_form<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Result<Fetched<T>, RequestError> {
        let endpoint = &endpoint.with_method("POST");
        retry::with_retries(&self.retry, &self.stats, endpoint, |attempt| {
            self.request_once(endpoint, Some(Payload::Form { fields, file }), attempt)
        })
        .await
    }

    /// One attempt: a GET, or a write with its payload.
    async fn request_once<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        body: Option<Payload<'_>>,
        attempt: u32,
    ) -> Result<Fetched<T>, RequestError> {
        let body_sent = body;
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let pacer = if body.is_some() {
            &self.write_pacer
        } else {
            &self.pacer
        };
        let ticket = pacer.acquire().await;
        Stats::bump(&self.stats.requests);
        let started = Instant::now();
        let request = match body {
            None => self.http.get(endpoint.url(&self.base)),
            Some(Payload::Json(b)) => self
                .http
                .put(endpoint.url(&self.base))
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_vec()),
            Some(Payload::Form {
                fields,
                file: (name, file_name, bytes),
            }) => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(k.to_string(), v.to_string());
                }
                form = form.part(
                    name.to_string(),
                    reqwest::multipart::Part::bytes(bytes.to_vec())
                        .file_name(file_name.to_string()),
                );
                self.http.post(endpoint.url(&self.base)).multipart(form)
            }
        };
        let sent = request
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                drop(ticket);
                debug!(endpoint = %endpoint, attempt, error = %transport_message(&e), "no response");
                return Err(RequestError::new(
                    endpoint,
                    ErrorKind::Transport,
                    transport_message(&e),
                ));
            }
        };
        let status = response.status();
        let request_id = response
            .headers()
            .get("render-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let too_many = status == StatusCode::TOO_MANY_REQUESTS;
        let wait = retry_after(response.headers()).map(|w| w.min(self.retry.max_retry_after));
        ticket.response(
            RateHeaders::from_headers(response.headers(), unix_now()),
            too_many,
            wait,
        );
        if too_many {
            Stats::bump(&self.stats.rate_limited);
        }
        let body = read_body(response).await;
        debug!(
            endpoint = %endpoint,
            attempt,
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or("-"),
            ms = started.elapsed().as_millis() as u64,
            "response"
        );
        let body = body.map_err(|e| {
            let (kind, message) = match e {
                BodyError::TooLarge => (
                    ErrorKind::Unexpected,
                    format!(
                        "the body is larger than {} MiB, the limit for one response",
                        MAX_BODY_BYTES / (1024 * 1024)
                    ),
                ),
                BodyError::Transport(e) => (
                    ErrorKind::Transport,
                    format!("the body was cut short: {}", transport_message(&e)),
                ),
            };
            RequestError::new(endpoint, kind, message).with_response(status, request_id.clone())
        })?;
        if status.is_success() {
            return decode::<T>(&body)
                .map(|value| Fetched {
                    value,
                    request_id: request_id.clone(),
                })
                .map_err(|(kind, m)| {
                    RequestError::new(endpoint, kind, m).with_response(status, request_id)
                });
        }
        let kind = match status.as_u16() {
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Unexpected,
        };
        // The answer to a PUT may repeat the value it was sent, which may be a secret: its
        // message is never kept, so no log line or error can carry it.
        let message = match body_sent {
            Some(Payload::Json(_)) => {
                "the API refused the value; its message is not shown, as it may repeat the value"
                    .to_string()
            }
            _ => error_message(&body),
        };
        let mut e = RequestError::new(endpoint, kind, message).with_response(status, request_id);
        e.retry_after = wait;
        Err(e)
    }
}

/// What a write sends.
#[derive(Clone, Copy)]
enum Payload<'a> {
    /// A JSON body, PUT.
    Json(&'a [u8]),
    /// A multipart form, POST: text fields and one file (field name, file name, bytes).
    Form {
        fields: &'a [(&'a str, &'a str)],
        file: (&'a str, &'a str, &'a [u8]),
    },
}

/// The largest response body read. A page of Render's API holds at most 100 items and
/// is well under a megabyte; a larger body is a broken or hostile server.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Read a body, stopping at [`MAX_BODY_BYTES`] (JSON nesting is bounded by the decoder's
/// own recursion limit).
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

/// A decoded body and the request id of the response that carried it.
#[derive(Debug)]
pub struct Fetched<T> {
    pub value: T,
    pub request_id: Option<String>,
}

/// Decode a body, describing a failure by its position and JSON path only: serde's own
/// messages quote the offending value, which may be a secret.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, (ErrorKind, String)> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => (
                ErrorKind::Malformed,
                format!(
                    "the body is not valid JSON ({} bytes; broken at line {} column {})",
                    body.len(),
                    inner.line(),
                    inner.column()
                ),
            ),
            _ => (
                ErrorKind::Unexpected,
                format!(
                    "the response does not have the shape stageprint expects at `{path}`: {}",
                    redact_values(&inner.to_string())
                ),
            ),
        }
    })
}

/// A serde message with every quoted value blanked: serde quotes the offending value
/// (`invalid type: string "…", expected u32`), and it may be a secret. Field names after
/// `field` stay, as do the expectations, which come from our types.
fn redact_values(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut escaped = false;
                for d in chars.by_ref() {
                    match d {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
                out.push_str("\"…\"");
            }
            '`' => {
                let quoted: String = chars.by_ref().take_while(|&d| d != '`').collect();
                let keep = out.ends_with("field ");
                out.push('`');
                out.push_str(if keep { &quoted } else { "…" });
                out.push('`');
            }
            c => out.push(c),
        }
    }
    out
}

/// Render's error message from an error body (`{"message": …}`), without echoing bodies
/// that are not Render's JSON.
fn error_message(body: &[u8]) -> String {
    match serde_json::from_slice::<wire::ApiError>(body) {
        Ok(wire::ApiError {
            message: Some(m), ..
        }) if !m.trim().is_empty() => {
            let one_line: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
            one_line.chars().take(300).collect()
        }
        _ if body.is_empty() => "empty body".into(),
        _ => format!("the error body is not Render's JSON ({} bytes)", body.len()),
    }
}

/// A transport error's causes, without the URL (the endpoint is named separately).
fn transport_message(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".to_string());
    } else if e.is_connect() {
        parts.push("could not connect".to_string());
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push("request failed".into());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_that_would_leak_the_key_are_refused() {
        assert!(check_base_url("https://api.render.com/v1").is_ok());
        assert!(check_base_url("http://127.0.0.1:8787/v1").is_ok());
        assert!(check_base_url("http://[::1]:8787/v1").is_ok());
        assert!(check_base_url("http://localhost:8787/v1").is_ok());
        let e = check_base_url("http://api.render.com/v1").unwrap_err();
        assert!(e.contains("refusing"), "{e}");
        assert!(check_base_url("http://10.0.0.1/v1").is_err());
        assert!(check_base_url("ftp://api.render.com/v1").is_err());
        assert!(check_base_url("https://user:pw@api.render.com/v1").is_err());
        // Tokens hidden in the path: matrix parameters, an escaped query, an opaque segment.
        for hidden in [
            "http://127.0.0.1:8801/v1;token=cnryU6",
            "http://127.0.0.1:8801/v1%3Ftoken=cnryU5",
            "http://127.0.0.1:8801/cnryU3Zx8Kq2Lm9Np4Rt7/v1",
        ] {
            let e = check_base_url(hidden).unwrap_err();
            assert!(!e.contains("cnry"), "{e}");
        }
        assert!(check_base_url("https://proxy.example.com/render-api/v1").is_ok());
    }

    #[test]
    fn endpoints_keep_the_base_path_and_encode_the_query() {
        let base = Url::parse("https://api.render.com/v1").unwrap();
        let e = Endpoint::new("/services")
            .query("ownerId", "tea-x")
            .query("cursor", "a+b/c");
        assert_eq!(
            e.url(&base).as_str(),
            "https://api.render.com/v1/services?ownerId=tea-x&cursor=a%2Bb%2Fc"
        );
        assert_eq!(e.to_string(), "GET /services?ownerId=tea-x&cursor=a+b/c");
    }

    #[test]
    fn decode_errors_never_quote_values() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            n: u32,
            s: String,
        }
        let (kind, m) =
            decode::<Vec<T>>(br#"[{"n": "canary-secret-value", "s": "x"}]"#).unwrap_err();
        assert_eq!(kind, ErrorKind::Unexpected);
        assert_eq!(
            m,
            "the response does not have the shape stageprint expects at `[0].n`: invalid type: string \"…\", expected u32"
        );
        let (_, m) = decode::<Vec<T>>(br#"[{"n": -7, "s": "x"}]"#).unwrap_err();
        assert!(
            m.ends_with("invalid value: integer `…`, expected u32"),
            "{m}"
        );
        assert_eq!(
            redact_values(r#"invalid type: string "a\"b`c", expected u32 at line 1 column 9"#),
            r#"invalid type: string "…", expected u32"#
        );
        let (_, m) = decode::<Vec<T>>(br#"[{"n": 1}]"#).unwrap_err();
        assert!(m.contains("missing field `s`"), "{m}");
        let (kind, m) = decode::<Vec<T>>(br#"[{"n": 1, "s": "canary-secret"#).unwrap_err();
        assert_eq!(kind, ErrorKind::Malformed);
        assert!(!m.contains("canary"), "{m}");
    }

    #[test]
    fn error_bodies_give_rendes_message_only() {
        assert_eq!(
            error_message(br#"{"message":"not found: srv-x"}"#),
            "not found: srv-x"
        );
        assert_eq!(
            error_message(b"<html>oops</html>"),
            "the error body is not Render's JSON (17 bytes)"
        );
        assert_eq!(error_message(b""), "empty body");
    }

    #[test]
    fn keys_are_redacted_and_checked() {
        let k = ApiKey::new("  rnd_canary123\n").unwrap();
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
        assert!(k.header().is_sensitive());
        assert!(ApiKey::new("   ").is_err());
        assert!(ApiKey::new("a b").is_err());
    }

    #[test]
    fn errors_name_endpoint_status_and_request_id() {
        let ep = Endpoint::new("/services/srv-x/env-vars").query("limit", "100");
        let e = RequestError::new(&ep, ErrorKind::NotFound, "not found: srv-x")
            .with_response(StatusCode::NOT_FOUND, Some("req-123".into()));
        assert_eq!(
            e.to_string(),
            "GET /services/srv-x/env-vars?limit=100: 404 Not Found (request id req-123): not found: srv-x"
        );
    }
}
