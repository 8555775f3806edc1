//! A fake Render REST API v1 on 127.0.0.1, serving a [`Workspace`] the way the real API
//! does: list envelopes with cursors it makes itself (`limit` 1–100, default 20; the
//! cursor of an element continues after it), bare arrays from `/env-groups` and
//! `/registrycredentials`, `includePreviews` and `includeReplicas` defaulting to true,
//! `ownerId` filters, `Ratelimit-Limit/Remaining/Reset` and `Render-Request-Id` on every
//! response, 429 with `Retry-After` once a window's budget is spent, 401 for a wrong key,
//! and 404 bodies `{"message":"not found: <id>"}`.
//!
//! Faults are switchable while it runs: latency, 5xx, connection resets, truncated and
//! garbage bodies and 429s on every n-th request; a list that repeats its cursors;
//! resources deleted after they were listed; a fixed status for chosen paths.
//!
//! Used by the integration tests (`mod support;`), the benchmark, and by hand through
//! `cargo run --example fake-render-api`.

pub mod http;
pub mod sync;
pub mod synth;
pub mod workspace;

use std::collections::{BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use http::{Delivery, Reply, Request};
pub use workspace::Workspace;

/// The GET budget: `limit` requests per fixed `window`, windows counted from start-up.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub limit: u64,
    pub window: Duration,
    /// Send `Ratelimit-Reset` as a Unix time (as Render documents) instead of seconds
    /// until the reset (as Render sends).
    pub epoch_reset: bool,
}

impl Budget {
    /// Render's production GET budget.
    pub fn render() -> Budget {
        Budget {
            limit: 400,
            window: Duration::from_secs(60),
            epoch_reset: false,
        }
    }

    /// So large that tests never meet it.
    pub fn unlimited() -> Budget {
        Budget {
            limit: 1_000_000,
            window: Duration::from_secs(60),
            epoch_reset: false,
        }
    }
}

/// A broken answer, injected on every n-th request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// This status with a JSON error body.
    Status(u16),
    /// Close the connection with a reset instead of answering.
    Reset,
    /// A 200 whose body stops halfway through its announced length.
    Truncated,
    /// A 200 whose body is not JSON.
    Garbage,
    /// A 429 with `Retry-After: 1`, whatever the budget says.
    TooMany,
    /// A 200 whose valid JSON body is larger than any real page (34 MB).
    Huge,
}

#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Inject on every n-th request (0: never). A request that was just broken is answered
    /// properly when it is repeated, so a client that retries always gets through.
    pub every: u64,
    /// Cycled through, one per injection.
    pub kinds: Vec<Fault>,
    /// List paths (`/services`) whose later pages repeat the first page and its cursors.
    pub repeat_cursor: BTreeSet<String>,
    /// Ids still listed but answering 404 on their own paths: deleted after listing.
    pub vanished: BTreeSet<String>,
    /// Requests whose path starts with this answer with this status.
    pub status_on: Vec<(String, u16)>,
    /// Only paths starting with one of these get injected faults (all when empty).
    pub only_under: Vec<String>,
    /// Errors `POST /blueprints/validate` answers with (`valid: false`) whatever it is sent.
    pub blueprint_errors: Vec<Value>,
    /// Writes whose path starts with this answer with this status and a message that
    /// repeats what was sent: the raw body when `true`, else the decoded value.
    pub echo_on: Vec<(String, u16, bool)>,
    /// List endpoints ignore `?name=`, as a buggy or older API might.
    pub ignore_name_filter: bool,
    /// Health checks: `GET /svc/<service name>/…` (outside `/v1`, where a test points a
    /// service's URL) answers 200 unless the service is listed here with another status.
    pub health: Vec<(String, u16)>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub api_key: String,
    pub latency: Duration,
    pub budget: Budget,
    pub faults: Faults,
    /// Keep every body served (for the OpenAPI cross-check).
    pub record_bodies: bool,
    /// 0: any free port.
    pub port: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_key: "rnd_fakeKeyForTests0000000000".into(),
            latency: Duration::ZERO,
            budget: Budget::unlimited(),
            faults: Faults::default(),
            record_bodies: false,
            port: 0,
        }
    }
}

/// One request as served.
#[derive(Debug, Clone)]
pub struct Served {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub delivery: Delivery,
    /// The body, when recording and delivered whole.
    pub body: Option<Vec<u8>>,
    /// When it was answered, from the server's start.
    pub at: Duration,
}

/// Counters of what the server saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    /// 429s because the window's budget was spent (not injected ones).
    pub over_budget: u64,
    pub injected: u64,
    pub max_in_flight: u64,
}

struct Shared {
    /// Written to by PUTs, so that a later GET sees what was set.
    ws: Mutex<Workspace>,
    key: String,
    latency: Duration,
    budget: Budget,
    record: bool,
    started: Instant,
    faults: Mutex<Faults>,
    window: Mutex<(u64, u64)>,
    just_broken: Mutex<HashSet<String>>,
    log: Mutex<Vec<Served>>,
    requests: AtomicU64,
    over_budget: AtomicU64,
    injected: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

/// A running fake API. Stops when dropped.
pub struct FakeRender {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeRender {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeRender {
    /// Bind 127.0.0.1 and serve on the current tokio runtime.
    pub async fn start(ws: Workspace, settings: Settings) -> FakeRender {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", settings.port))
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            ws: Mutex::new(ws),
            key: settings.api_key,
            latency: settings.latency,
            budget: settings.budget,
            record: settings.record_bodies,
            started: Instant::now(),
            faults: Mutex::new(settings.faults),
            window: Mutex::new((0, 0)),
            just_broken: Mutex::new(HashSet::new()),
            log: Mutex::new(Vec::new()),
            requests: AtomicU64::new(0),
            over_budget: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
        });
        let s = shared.clone();
        let task = tokio::spawn(http::serve(listener, move |req| {
            let s = s.clone();
            async move { handle(&s, req).await }
        }));
        FakeRender { addr, shared, task }
    }

    /// The base URL to give a client: `http://127.0.0.1:<port>/v1`.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn key(&self) -> &str {
        &self.shared.key
    }

    /// Change faults while serving.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.shared.faults.lock().unwrap()
    }

    /// Another client of the same user spends `n` requests of the current window's budget.
    pub fn spend(&self, n: u64) {
        let mut w = self.shared.current_window();
        w.1 = (w.1 + n).min(self.shared.budget.limit);
    }

    /// The workspace as it is now, with every PUT applied.
    pub fn workspace(&self) -> Workspace {
        self.shared.ws.lock().unwrap().clone()
    }

    /// Requests that were not GETs, as `METHOD path`.
    pub fn writes(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.method != "GET")
            .map(|s| format!("{} {} {}", s.method, s.path, s.status))
            .collect()
    }

    pub fn served(&self) -> Vec<Served> {
        self.shared.log.lock().unwrap().clone()
    }

    pub fn counts(&self) -> Counts {
        let s = &self.shared;
        Counts {
            requests: s.requests.load(Ordering::Relaxed),
            over_budget: s.over_budget.load(Ordering::Relaxed),
            injected: s.injected.load(Ordering::Relaxed),
            max_in_flight: s.max_in_flight.load(Ordering::Relaxed),
        }
    }
}

/// A fake API on a runtime of its own, for tests that run the CLI binary as a process.
pub struct Background {
    pub fake: FakeRender,
    /// Serves the fake until dropped (after `fake`, which stops it).
    pub runtime: tokio::runtime::Runtime,
}

impl Background {
    pub fn start(ws: Workspace, settings: Settings) -> Background {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fake = runtime.block_on(FakeRender::start(ws, settings));
        Background { fake, runtime }
    }
}

struct InFlight<'a>(&'a Shared);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Shared {
    /// The budget counter, moved on to the window we are in: (window index, requests used).
    fn current_window(&self) -> MutexGuard<'_, (u64, u64)> {
        let mut w = self.window.lock().unwrap();
        let index = (self.started.elapsed().as_nanos() / self.budget.window.as_nanos()) as u64;
        if w.0 != index {
            *w = (index, 0);
        }
        w
    }
}

async fn handle(s: &Shared, req: Request) -> Reply {
    let n = s.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let now_in = s.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    s.max_in_flight.fetch_max(now_in, Ordering::Relaxed);
    let _guard = InFlight(s);
    if !s.latency.is_zero() {
        tokio::time::sleep(s.latency).await;
    }

    let request_id = request_id(n);
    let mut reply = answer(s, &req, n);
    reply.headers.push(("render-request-id".into(), request_id));
    reply.headers.push((
        "content-type".into(),
        "application/json; charset=utf-8".into(),
    ));
    let body = (s.record && reply.delivery == Delivery::Whole).then(|| reply.body.clone());
    s.log.lock().unwrap().push(Served {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        status: reply.status,
        delivery: reply.delivery,
        body,
        at: s.started.elapsed(),
    });
    reply
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: serde_json::to_vec(body).unwrap(),
        delivery: Delivery::Whole,
    }
}

fn error(status: u16, message: &str) -> Reply {
    json_reply(status, &json!({ "message": message }))
}

fn answer(s: &Shared, req: &Request, n: u64) -> Reply {
    // A staging service's own URL, for health checks: no key, no budget.
    if let Some(rest) = req.path.strip_prefix("/svc/") {
        let name = rest.split('/').next().unwrap_or_default();
        let status = s
            .faults
            .lock()
            .unwrap()
            .health
            .iter()
            .find(|(n, _)| n == name)
            .map_or(200, |(_, st)| *st);
        return json_reply(status, &json!({ "service": name }));
    }
    if !matches!(req.method.as_str(), "GET" | "PUT" | "POST") {
        return error(405, "method not allowed");
    }
    let expected = format!("Bearer {}", s.key);
    if req.header("authorization") != Some(expected.as_str()) {
        let mut r = error(401, "unauthorized");
        rate_headers(s, &mut r, false);
        return r;
    }
    // Count GETs against the window's budget (writes have a budget of their own, which
    // this fake does not limit); a spent budget answers 429 uncounted.
    let admitted = req.method != "GET" || {
        let mut w = s.current_window();
        if w.1 < s.budget.limit {
            w.1 += 1;
            true
        } else {
            false
        }
    };
    if !admitted {
        s.over_budget.fetch_add(1, Ordering::Relaxed);
        let mut r = error(429, "rate limit exceeded");
        rate_headers(s, &mut r, true);
        return r;
    }

    let faults = s.faults.lock().unwrap().clone();
    let key = format!("{}?{}", req.path, req.query);
    let mut reply = if let Some(fault) = injected(s, &faults, req, n, &key) {
        s.injected.fetch_add(1, Ordering::Relaxed);
        match fault {
            Fault::Status(code) => error(code, "internal error"),
            Fault::TooMany => {
                let mut r = error(429, "rate limit exceeded");
                r.headers.push(("retry-after".into(), "1".into()));
                r
            }
            Fault::Reset => Reply {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
                delivery: Delivery::Reset,
            },
            Fault::Truncated => {
                let mut r = route(s, &faults, req);
                r.delivery = Delivery::Truncated;
                r
            }
            Fault::Huge => Reply {
                status: 200,
                headers: Vec::new(),
                body: {
                    let mut b = b"[".to_vec();
                    b.extend(b"0,".repeat(17 * 1024 * 1024));
                    b.extend(b"0]");
                    b
                },
                delivery: Delivery::Whole,
            },
            Fault::Garbage => Reply {
                status: 200,
                headers: Vec::new(),
                body: b"<html><body>502 Bad Gateway</body></html>".to_vec(),
                delivery: Delivery::Whole,
            },
        }
    } else if let Some((_, code, raw)) = faults
        .echo_on
        .iter()
        .find(|(p, _, _)| req.method == "PUT" && req.path.starts_with(p.as_str()))
    {
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let val = v["value"]
            .as_str()
            .or(v["content"].as_str())
            .unwrap_or("")
            .to_string();
        if *raw {
            error(*code, &format!("invalid request body: {body}"))
        } else {
            error(*code, &format!("invalid value: {val}"))
        }
    } else if let Some((_, code)) = faults
        .status_on
        .iter()
        .find(|(p, _)| req.path.starts_with(p.as_str()))
    {
        error(*code, "forbidden")
    } else {
        route(s, &faults, req)
    };
    rate_headers(s, &mut reply, false);
    reply
}

/// The fault for request `n`, if it gets one.
fn injected(s: &Shared, faults: &Faults, req: &Request, n: u64, key: &str) -> Option<Fault> {
    let mut broken = s.just_broken.lock().unwrap();
    let eligible = faults.every > 0
        && !faults.kinds.is_empty()
        && n.is_multiple_of(faults.every)
        && (faults.only_under.is_empty()
            || faults
                .only_under
                .iter()
                .any(|p| req.path.starts_with(p.as_str())));
    if !eligible || broken.remove(key) {
        return None;
    }
    broken.insert(key.to_string());
    let i = ((n / faults.every - 1) % faults.kinds.len() as u64) as usize;
    Some(faults.kinds[i])
}

fn rate_headers(s: &Shared, reply: &mut Reply, over: bool) {
    let elapsed = s.started.elapsed();
    let window = s.budget.window;
    let index = (elapsed.as_nanos() / window.as_nanos()) as u64;
    let ends = window * (index as u32 + 1);
    let left = ends.saturating_sub(elapsed);
    let used = {
        let w = s.window.lock().unwrap();
        if w.0 == index { w.1 } else { 0 }
    };
    let reset = if s.budget.epoch_reset {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        (now + left).as_secs()
    } else {
        left.as_secs()
    };
    reply
        .headers
        .push(("ratelimit-limit".into(), s.budget.limit.to_string()));
    reply.headers.push((
        "ratelimit-remaining".into(),
        s.budget.limit.saturating_sub(used).to_string(),
    ));
    reply
        .headers
        .push(("ratelimit-reset".into(), reset.to_string()));
    if over {
        reply.headers.push((
            "retry-after".into(),
            left.as_secs_f64().ceil().max(1.0).to_string(),
        ));
    }
}

/// Request ids look like Render's: opaque, unique per response.
fn request_id(n: u64) -> String {
    let h = hash(&("request", n));
    format!(
        "{:08x}-{:04x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        n & 0xffff,
        h & 0xffff_ffff_ffff
    )
}

fn hash<T: Hash>(v: &T) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

const CURSOR_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The cursor after element `i` of list `list`: 32 base64url-looking characters.
fn cursor(list: &str, i: usize) -> String {
    let mut out = String::with_capacity(32);
    for part in 0..4u8 {
        let mut h = hash(&(list, i, part));
        for _ in 0..8 {
            out.push(CURSOR_ALPHABET[(h & 63) as usize] as char);
            h >>= 6;
        }
    }
    out
}

/// `limit` and `cursor` applied to a list: the page's elements, each wrapped with its cursor.
fn page(
    list: &str,
    items: &[Value],
    wrap: &str,
    cursor_first: bool,
    req: &Request,
    repeat: bool,
) -> Reply {
    let limit = match req.param("limit") {
        None => 20,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return error(400, "limit must be an integer between 1 and 100"),
        },
    };
    let start = match req.param("cursor") {
        None => 0,
        Some(_) if repeat => 0,
        Some(c) => match (0..items.len()).find(|&i| cursor(list, i) == c) {
            Some(i) => i + 1,
            None => return error(400, "invalid cursor"),
        },
    };
    let elements: Vec<Value> = items
        .iter()
        .enumerate()
        .skip(start)
        .take(limit)
        .map(|(i, v)| {
            let mut m = serde_json::Map::new();
            if cursor_first {
                m.insert("cursor".into(), json!(cursor(list, i)));
                m.insert(wrap.into(), v.clone());
            } else {
                m.insert(wrap.into(), v.clone());
                m.insert("cursor".into(), json!(cursor(list, i)));
            }
            Value::Object(m)
        })
        .collect();
    json_reply(200, &Value::Array(elements))
}

/// A bare array (no cursors) cut to `limit`.
fn bare(items: Vec<Value>, req: &Request) -> Reply {
    let limit = match req.param("limit") {
        None => 20,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return error(400, "limit must be an integer between 1 and 100"),
        },
    };
    json_reply(200, &Value::Array(items.into_iter().take(limit).collect()))
}

/// `?name=a,b` (comma-separated, as the API takes arrays) contains `value`.
fn filter_allows(req: &Request, name: &str, value: Option<&str>) -> bool {
    match req.param(name) {
        None => true,
        Some(list) => value.is_some_and(|v| list.split(',').any(|x| x == v)),
    }
}

fn flag(req: &Request, name: &str, default: bool) -> bool {
    match req.param(name).as_deref() {
        Some("false") => false,
        Some("true") => true,
        _ => default,
    }
}

fn not_found(id: &str) -> Reply {
    error(404, &format!("not found: {id}"))
}

fn route(s: &Shared, faults: &Faults, req: &Request) -> Reply {
    if req.method == "PUT" {
        return write(&mut s.ws.lock().unwrap(), req);
    }
    if req.method == "POST" {
        let errors = s.faults.lock().unwrap().blueprint_errors.clone();
        return if !errors.is_empty() && req.path == "/v1/blueprints/validate" {
            json_reply(200, &json!({"valid": false, "errors": errors}))
        } else if req.path == "/v1/blueprints/validate" {
            validate_blueprint(&s.ws.lock().unwrap(), req)
        } else {
            error(405, "method not allowed")
        };
    }
    let ws = &*s.ws.lock().unwrap();
    let Some(path) = req.path.strip_prefix("/v1") else {
        return error(404, "not found");
    };
    let segments: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let repeat = faults.repeat_cursor.contains(path);
    let gone = |id: &str| faults.vanished.contains(id);
    let owner_ok = |v: &Value| {
        filter_allows(
            req,
            "ownerId",
            v["ownerId"].as_str().or(v["owner"]["id"].as_str()),
        )
    };
    match segments.as_slice() {
        ["owners"] => page("owners", &ws.owners, "owner", true, req, repeat),
        ["services"] => {
            let previews = flag(req, "includePreviews", true);
            let items: Vec<Value> = ws
                .services
                .iter()
                .filter(|v| owner_ok(v))
                .filter(|v| filter_allows(req, "name", v["name"].as_str()))
                .filter(|v| filter_allows(req, "type", v["type"].as_str()))
                .filter(|v| previews || v["serviceDetails"].get("parentServer").is_none())
                .cloned()
                .collect();
            page("services", &items, "service", true, req, repeat)
        }
        ["services", id] if !gone(id) => ws
            .service(id)
            .map(|v| json_reply(200, &v))
            .unwrap_or_else(|| not_found(id)),
        ["services", id, sub] if !gone(id) && ws.service(id).is_some() => {
            let (lists, wrap, cursor_first) = match *sub {
                "deploys" => (&ws.deploys, "deploy", true),
                "env-vars" => (&ws.env_vars, "envVar", false),
                "secret-files" => (&ws.secret_files, "secretFile", false),
                "custom-domains" => (&ws.custom_domains, "customDomain", true),
                "headers" => (&ws.headers, "header", false),
                "routes" => (&ws.routes, "route", false),
                _ => return error(404, "not found"),
            };
            let items = lists.get(*id).cloned().unwrap_or_default();
            page(
                &format!("{sub}:{id}"),
                &items,
                wrap,
                cursor_first,
                req,
                repeat,
            )
        }
        ["env-groups"] => bare(
            ws.env_groups
                .iter()
                .filter(|v| owner_ok(v))
                .filter(|v| {
                    faults.ignore_name_filter || filter_allows(req, "name", v["name"].as_str())
                })
                .cloned()
                .collect(),
            req,
        ),
        ["env-groups", id] if !gone(id) => ws
            .env_group(id)
            .map(|v| json_reply(200, &v))
            .unwrap_or_else(|| not_found(id)),
        ["postgres"] => {
            let replicas = flag(req, "includeReplicas", true);
            let items: Vec<Value> = ws
                .postgres
                .iter()
                .filter(|v| owner_ok(v))
                .filter(|v| replicas || v["role"] != "replica")
                .cloned()
                .collect();
            page("postgres", &items, "postgres", true, req, repeat)
        }
        ["postgres", id] if !gone(id) => ws
            .postgres(id)
            .map(|v| json_reply(200, &v))
            .unwrap_or_else(|| not_found(id)),
        ["postgres", id, "connection-info"] if !gone(id) => {
            match ws.postgres_connections.get(*id) {
                Some(v) => json_reply(200, v),
                None => not_found(id),
            }
        }
        ["key-value"] | ["redis"] => {
            let wrap = if segments[0] == "redis" {
                "redis"
            } else {
                "keyValue"
            };
            let items: Vec<Value> = ws
                .key_values
                .iter()
                .filter(|v| owner_ok(v))
                .cloned()
                .collect();
            page(segments[0], &items, wrap, true, req, repeat)
        }
        ["key-value", id] if !gone(id) => ws
            .key_value(id)
            .map(|v| json_reply(200, &v))
            .unwrap_or_else(|| not_found(id)),
        ["key-value", id, "connection-info"] if !gone(id) => {
            match ws.key_value_connections.get(*id) {
                Some(v) => json_reply(200, v),
                None => not_found(id),
            }
        }
        ["projects"] => {
            let items: Vec<Value> = ws
                .projects
                .iter()
                .filter(|v| owner_ok(v))
                .cloned()
                .collect();
            page("projects", &items, "project", true, req, repeat)
        }
        ["environments"] => {
            let Some(project) = req.param("projectId") else {
                return error(400, "projectId is required");
            };
            let items: Vec<Value> = ws
                .environments
                .iter()
                .filter(|e| project.split(',').any(|p| e["projectId"] == p))
                .cloned()
                .collect();
            page(
                &format!("environments:{project}"),
                &items,
                "environment",
                true,
                req,
                repeat,
            )
        }
        ["projects", id] => match ws.projects.iter().find(|p| p["id"] == *id) {
            Some(p) => json_reply(200, p),
            None => not_found(id),
        },
        ["environments", id] => match ws.environments.iter().find(|e| e["id"] == *id) {
            Some(e) => json_reply(200, e),
            None => not_found(id),
        },
        ["registrycredentials"] => bare(ws.registry_credentials.clone(), req),
        ["blueprints"] => page(
            "blueprints",
            &ws.blueprints,
            "blueprint",
            false,
            req,
            repeat,
        ),
        ["blueprints", id] if !gone(id) => ws
            .blueprint(id)
            .map(|v| json_reply(200, &v))
            .unwrap_or_else(|| not_found(id)),
        [_, id, ..] => not_found(id),
        _ => error(404, "not found"),
    }
}

/// A PUT of an env var (`{value}`) or a secret file (`{content}`) on a service or an env
/// group: set in the workspace, answered as Render does.
fn write(ws: &mut Workspace, req: &Request) -> Reply {
    let Some(path) = req.path.strip_prefix("/v1") else {
        return error(404, "not found");
    };
    let segments: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return error(400, "invalid JSON body");
    };
    let (field, name_field, list_key) = match segments.as_slice() {
        [_, _, "env-vars", _] => ("value", "key", "envVars"),
        [_, _, "secret-files", _] => ("content", "name", "secretFiles"),
        _ => return error(405, "method not allowed"),
    };
    let Some(value) = body[field].as_str() else {
        return error(400, &format!("{field} is required"));
    };
    let (kind, id, name) = (segments[0], segments[1], segments[3]);
    let entry = json!({ name_field: name, field: value });
    let upsert = |list: &mut Vec<Value>| match list.iter_mut().find(|v| v[name_field] == name) {
        Some(v) => *v = entry.clone(),
        None => list.push(entry.clone()),
    };
    match kind {
        "services" if ws.service(id).is_some() => {
            let lists = if list_key == "envVars" {
                &mut ws.env_vars
            } else {
                &mut ws.secret_files
            };
            upsert(lists.entry(id.to_string()).or_default());
        }
        "env-groups" => {
            let Some(mut detail) = ws.env_group(id) else {
                return not_found(id);
            };
            let mut list = detail[list_key].as_array().cloned().unwrap_or_default();
            upsert(&mut list);
            detail[list_key] = Value::Array(list);
            ws.env_group_details.insert(id.to_string(), detail);
        }
        _ => return not_found(id),
    }
    json_reply(
        if list_key == "secretFiles" && kind == "services" {
            201
        } else {
            200
        },
        &entry,
    )
}

/// The parts of a multipart body by field name.
fn form_fields(req: &Request) -> Option<std::collections::BTreeMap<String, Vec<u8>>> {
    let boundary = req
        .header("content-type")?
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"')
        .to_string();
    let delimiter = format!("--{boundary}").into_bytes();
    let body = &req.body;
    let mut starts = Vec::new();
    let mut i = 0;
    while i + delimiter.len() <= body.len() {
        if body[i..].starts_with(&delimiter) {
            starts.push(i);
            i += delimiter.len();
        } else {
            i += 1;
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for w in starts.windows(2) {
        let part = &body[w[0] + delimiter.len()..w[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let head_end = part.windows(4).position(|x| x == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..head_end]);
        let name = head
            .split(';')
            .find_map(|p| p.trim().strip_prefix("name="))?
            .split(['\r', '\n'])
            .next()?
            .trim_matches('"')
            .to_string();
        let content = &part[head_end + 4..];
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        out.insert(name, content.to_vec());
    }
    Some(out)
}

/// `POST /blueprints/validate` as Render answers it: invalid YAML is an error with line and
/// column; otherwise `valid`, and a plan naming the declared resources that do not exist
/// yet (those that do would be updated, so Render leaves them out of the plan).
fn validate_blueprint(ws: &Workspace, req: &Request) -> Reply {
    let Some(fields) = form_fields(req) else {
        return error(400, "expected multipart/form-data with ownerId and file");
    };
    let (Some(owner), Some(file)) = (fields.get("ownerId"), fields.get("file")) else {
        return error(400, "ownerId and file are required");
    };
    if owner.is_empty() {
        return error(400, "ownerId is required");
    }
    let text = String::from_utf8_lossy(file);
    let doc =
        match stageprint::validate::Document::parse(&text, std::path::Path::new("render.yaml")) {
            Ok(d) => d,
            Err(e) => {
                return json_reply(
                    200,
                    &json!({"valid": false, "errors": [{
                        "path": "", "line": e.span.pos.line, "column": e.span.pos.column,
                        "error": "could not parse the Blueprint"
                    }]}),
                );
            }
        };
    let exists = |list: &[Value], name: &str| list.iter().any(|v| v["name"] == name);
    let mut plan = json!({"services": [], "databases": [], "keyValue": [], "envGroups": []});
    let mut total = 0;
    for r in stageprint::validate::blueprint::resources(&doc.value) {
        let Some(name) = r.name() else { continue };
        let (list, existing): (&str, &[Value]) = match r.kind {
            stageprint::validate::blueprint::Kind::Service => ("services", &ws.services),
            stageprint::validate::blueprint::Kind::KeyValue => ("keyValue", &ws.key_values),
            stageprint::validate::blueprint::Kind::Database => ("databases", &ws.postgres),
            stageprint::validate::blueprint::Kind::EnvGroup => ("envGroups", &ws.env_groups),
        };
        if !exists(existing, name) {
            plan[list].as_array_mut().unwrap().push(json!(name));
            total += 1;
        }
    }
    plan["totalActions"] = json!(total);
    json_reply(200, &json!({"valid": true, "plan": plan}))
}
