//! Render API bodies against the wire types, and the fixture workspaces against
//! normalisation.
//!
//! Three layers: every body (Render's recorded samples in `../shared`, and the project's
//! fixture directories) decodes into the wire type its file name names; the fixture
//! directories are internally consistent and shaped like the real API (ids, cursors,
//! timestamps, envelopes, cross references); and `load_dir` + `model::normalise` handle the
//! traps each directory's README lists. The canary workspace proves that no secret value
//! survives normalisation.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use stageprint::model::{self, ConvertOptions, Match, Reference, ResourceKind, Snapshot, Warning};
use stageprint::secrets::{Classifier, Fingerprinter};
use stageprint::snapshot::fixtures::{self, load_dir};
use stageprint::snapshot::wire::*;

const FIXTURES: [&str; 3] = ["insurance-navigator", "harbor", "canary"];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<name>/api`.
fn fixture_api(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name).join("api")
}

mod cross_check;
use cross_check::shared_dir;

/// The `.json` files of a directory, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no .json files", dir.display());
    files
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// Decoding by file name
// ---------------------------------------------------------------------------------------

/// `GET /redis` (deprecated) lists Key Value instances under `redis`.
#[derive(Deserialize)]
#[serde(transparent)]
struct Redis(#[allow(dead_code)] KeyValue);
impl Listed for Redis {
    const KEY: &'static str = "redis";
}

/// `POST /blueprints/validate`. A snapshot never reads it, so `wire` has no type for it;
/// this one mirrors Render's newer API schema strictly so the fixture bodies stay honest.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct BlueprintValidation {
    valid: bool,
    #[serde(default)]
    errors: Vec<ValidationError>,
    #[serde(default)]
    plan: Option<ValidationPlan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ValidationError {
    error: String,
    line: Option<u32>,
    column: Option<u32>,
    path: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct ValidationPlan {
    services: Option<Vec<String>>,
    databases: Option<Vec<String>>,
    key_value: Option<Vec<String>>,
    env_groups: Option<Vec<String>>,
    total_actions: Option<u32>,
}

fn as_type<T: DeserializeOwned>(text: &str) -> Result<(), String> {
    serde_json::from_str::<T>(text)
        .map(drop)
        .map_err(|e| e.to_string())
}

type Decoder = fn(&str) -> Result<(), String>;

fn decoder<T: DeserializeOwned>(type_name: &'static str) -> (&'static str, Decoder) {
    (type_name, as_type::<T>)
}

/// The wire type a body decodes into, chosen by the file-name conventions of
/// `snapshot::fixtures` (and the names of the recorded samples in `../shared`).
fn decoder_for(stem: &str) -> Option<(&'static str, Decoder)> {
    let prefixed = |p: &str| stem.starts_with(p);
    Some(match stem {
        "owners" => decoder::<Vec<WithCursor<Owner>>>("[{cursor, owner}]"),
        "env-groups" => decoder::<Vec<EnvGroupMeta>>("[EnvGroupMeta]"),
        "env-group" => decoder::<EnvGroup>("EnvGroup"),
        "postgres" => decoder::<Vec<WithCursor<Postgres>>>("[{cursor, postgres}]"),
        "key-value" => decoder::<Vec<WithCursor<KeyValue>>>("[{cursor, keyValue}]"),
        "redis" => decoder::<Vec<WithCursor<Redis>>>("[{cursor, redis}]"),
        "projects" => decoder::<Vec<WithCursor<Project>>>("[{cursor, project}]"),
        "environments" => decoder::<Vec<WithCursor<Environment>>>("[{cursor, environment}]"),
        "environment" => decoder::<Environment>("Environment"),
        "registry-credentials" => decoder::<Vec<RegistryCredential>>("[RegistryCredential]"),
        "blueprints" => decoder::<Vec<WithCursor<Blueprint>>>("[{blueprint, cursor}]"),
        _ if stem == "services" || prefixed("services-") => {
            decoder::<Vec<WithCursor<Service>>>("[{cursor, service}]")
        }
        _ if prefixed("service-") => decoder::<Service>("Service"),
        _ if prefixed("env-vars-") => decoder::<Vec<WithCursor<EnvVar>>>("[{envVar, cursor}]"),
        _ if prefixed("secret-files-") => {
            decoder::<Vec<WithCursor<SecretFile>>>("[{secretFile, cursor}]")
        }
        _ if prefixed("custom-domains-") => {
            decoder::<Vec<WithCursor<CustomDomain>>>("[{cursor, customDomain}]")
        }
        _ if prefixed("headers-") => decoder::<Vec<WithCursor<Header>>>("[{header, cursor}]"),
        _ if prefixed("routes-") => decoder::<Vec<WithCursor<Route>>>("[{route, cursor}]"),
        _ if prefixed("env-group-") => decoder::<EnvGroup>("EnvGroup"),
        _ if prefixed("postgres-connection-info-") => {
            decoder::<PostgresConnectionInfo>("PostgresConnectionInfo")
        }
        _ if prefixed("postgres-") => decoder::<Postgres>("Postgres"),
        _ if prefixed("key-value-connection-info-") => {
            decoder::<KeyValueConnectionInfo>("KeyValueConnectionInfo")
        }
        _ if prefixed("key-value-") => decoder::<KeyValue>("KeyValue"),
        _ if prefixed("blueprint-validate-") => {
            decoder::<BlueprintValidation>("blueprint validation")
        }
        _ if prefixed("blueprint-") => decoder::<BlueprintDetail>("BlueprintDetail"),
        _ if prefixed("error-") => decoder::<ApiError>("ApiError"),
        _ => return None,
    })
}

/// Decode every `.json` body in `dir`, reporting every failure at once.
fn decode_all(dir: &Path) {
    let mut failures = Vec::new();
    let files = json_files(dir);
    for path in &files {
        let name = file_name(path);
        let stem = name.strip_suffix(".json").unwrap();
        let Some((type_name, decode)) = decoder_for(stem) else {
            failures.push(format!(
                "{}: no wire type is known for this file name",
                path.display()
            ));
            continue;
        };
        let text = fs::read_to_string(path).unwrap();
        if let Err(e) = decode(&text) {
            failures.push(format!("{} as {type_name}: {e}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "bodies that do not decode:\n{}",
        failures.join("\n")
    );
}

#[test]
fn recorded_samples_decode() {
    let Some(shared) = shared_dir() else { return };
    decode_all(&shared.join("render-api-samples"));
}

#[test]
fn shared_insurance_navigator_bodies_decode() {
    let Some(shared) = shared_dir() else { return };
    decode_all(&shared.join("reference/fixtures/insurance-navigator"));
}

#[test]
fn project_fixture_bodies_decode() {
    for name in FIXTURES {
        decode_all(&fixture_api(name));
    }
}

#[test]
fn insurance_navigator_copy_is_current() {
    let Some(shared) = shared_dir() else { return };
    let source = shared.join("reference/fixtures/insurance-navigator");
    let copy = fixture_api("insurance-navigator");
    let names = |dir: &Path| {
        json_files(dir)
            .iter()
            .map(|p| file_name(p).to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&source),
        names(&copy),
        "the copy in tests/fixtures lists different files"
    );
    for path in json_files(&source) {
        let copied = copy.join(file_name(&path));
        assert_eq!(
            fs::read(&path).unwrap(),
            fs::read(&copied).unwrap(),
            "{} differs from {}",
            copied.display(),
            path.display()
        );
    }
}

/// A recorded service dispatches on `type` then `runtime`, as the API requires.
#[test]
fn recorded_samples_dispatch_on_type_and_runtime() {
    let Some(shared) = shared_dir() else { return };
    let samples = shared.join("render-api-samples");
    let service = |name: &str| -> Service {
        serde_json::from_str(&fs::read_to_string(samples.join(name)).unwrap()).unwrap()
    };
    let image = service("service-web-image-autoscaling.json");
    let ServiceDetails::Web(d) = &image.details else {
        panic!("image web service is not Web")
    };
    assert!(matches!(d.env_specific, EnvSpecificDetails::Docker(_)));
    assert!(d.autoscaling.as_ref().is_some_and(|a| a.enabled));
    let private = service("service-private-node.json");
    let ServiceDetails::Private(d) = &private.details else {
        panic!("private service is not Private")
    };
    assert_eq!(d.url.as_deref(), Some("some-name:10000"));
    assert!(matches!(d.env_specific, EnvSpecificDetails::Native(_)));
    let worker = service("service-worker-docker.json");
    assert!(
        matches!(&worker.details, ServiceDetails::Worker(d) if matches!(d.env_specific, EnvSpecificDetails::Docker(_)))
    );

    let env: Environment =
        serde_json::from_value(read_json(&samples.join("environment.json"))).unwrap();
    assert!(env.service_ids.is_empty() && env.redis_ids.is_empty() && env.env_group_ids.is_empty());
    let pg: Postgres =
        serde_json::from_value(read_json(&samples.join("postgres-detail.json"))).unwrap();
    assert_eq!(pg.ip_allow_list, None);
    assert_eq!(pg.read_replicas.len(), 1);
}

// ---------------------------------------------------------------------------------------
// The fixtures are shaped like the real API
// ---------------------------------------------------------------------------------------

/// Every node of a JSON document with its path (`[0].service.serviceDetails.url`).
fn nodes(v: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    walk(x, format!("{path}.{k}"), out);
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    walk(x, format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
        out.push((path, v));
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

fn last_key(path: &str) -> &str {
    let tail = path.rsplit('.').next().unwrap_or("");
    tail.split('[').next().unwrap_or("")
}

const ID_PREFIXES: &[&str] = &[
    "tea", "usr", "srv", "crn", "dpg", "red", "evg", "evm", "prj", "dsk", "cdm", "hdr", "rdr",
    "dep", "exs", "exe", "egs", "rgc",
];

/// `<prefix>-` + an xid body: 20 chars of `[0-9a-v]`, the last one `0` or `g` (96 bits in 100);
/// Postgres ids end in `-a`, replicas `-b`.
fn id_problem(id: &str) -> Option<String> {
    let Some((prefix, rest)) = id.split_once('-') else {
        return Some("no prefix".into());
    };
    if !ID_PREFIXES.contains(&prefix) {
        return Some(format!("unknown prefix `{prefix}`"));
    }
    let body = if prefix == "dpg" {
        match rest.strip_suffix("-a").or_else(|| rest.strip_suffix("-b")) {
            Some(b) => b,
            None => return Some("Postgres id without `-a`/`-b`".into()),
        }
    } else {
        rest
    };
    let ok = body.len() == 20
        && body
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'v').contains(&c))
        && matches!(body.as_bytes()[19], b'0' | b'g');
    (!ok).then(|| "body is not an xid (20 chars of [0-9a-v] ending in 0 or g)".into())
}

fn timestamp_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |mut r: std::ops::Range<usize>| r.all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    let frame = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && s.ends_with('Z');
    if !frame {
        return false;
    }
    let fraction = &s[19..s.len() - 1];
    // Go trims trailing zeros: one to six fractional digits, or none at all.
    fraction.is_empty()
        || (fraction.starts_with('.')
            && (2..=7).contains(&fraction.len())
            && fraction[1..].bytes().all(|c| c.is_ascii_digit()))
}

/// Observed cursors: 24 bytes as unpadded base64url, 32 characters.
fn cursor_ok(c: &str) -> bool {
    c.len() == 32
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The element key of each cursor-paginated list, by file-name stem.
fn list_key(stem: &str) -> Option<&'static str> {
    let prefixed = |p: &str| stem.starts_with(p);
    Some(match stem {
        "owners" => "owner",
        "postgres" => "postgres",
        "key-value" => "keyValue",
        "redis" => "redis",
        "projects" => "project",
        "environments" => "environment",
        "blueprints" => "blueprint",
        _ if stem == "services" || prefixed("services-") => "service",
        _ if prefixed("env-vars-") => "envVar",
        _ if prefixed("secret-files-") => "secretFile",
        _ if prefixed("custom-domains-") => "customDomain",
        _ if prefixed("headers-") => "header",
        _ if prefixed("routes-") => "route",
        _ => return None,
    })
}

#[test]
fn fixtures_look_like_the_real_api() {
    let mut problems = Vec::new();
    for name in FIXTURES {
        let mut cursors: BTreeMap<String, String> = BTreeMap::new();
        for path in json_files(&fixture_api(name)) {
            let file = format!("{name}/{}", file_name(&path));
            let stem = file_name(&path).strip_suffix(".json").unwrap().to_string();
            let doc = read_json(&path);
            if let Some(key) = list_key(&stem) {
                let Value::Array(items) = &doc else {
                    problems.push(format!("{file}: a list endpoint body is not an array"));
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    let keys: BTreeSet<&str> = item
                        .as_object()
                        .map(|o| o.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    if keys != BTreeSet::from(["cursor", key]) {
                        problems.push(format!(
                            "{file}[{i}]: envelope keys {keys:?}, expected cursor and {key}"
                        ));
                    }
                    match item.get("cursor").and_then(Value::as_str) {
                        Some(c) if cursor_ok(c) => {
                            if let Some(first) =
                                cursors.insert(c.to_string(), format!("{file}[{i}]"))
                            {
                                problems.push(format!("{file}[{i}]: cursor repeats {first}"));
                            }
                        }
                        _ => problems.push(format!(
                            "{file}[{i}]: cursor is not 32 base64url characters"
                        )),
                    }
                }
            }
            for (p, v) in nodes(&doc) {
                let key = last_key(&p);
                let Some(s) = v.as_str() else { continue };
                let is_id = key == "id"
                    || key.ends_with("Id")
                    || key == "primaryPostgresID"
                    || (key.ends_with("Ids") && p.ends_with(']'));
                if let Some(why) = is_id.then(|| id_problem(s)).flatten() {
                    problems.push(format!("{file} {p} = {s}: {why}"));
                }
                if matches!(
                    key,
                    "createdAt" | "updatedAt" | "lastSync" | "lastSuccessfulRunAt" | "expiresAt"
                ) && !timestamp_ok(s)
                {
                    problems.push(format!(
                        "{file} {p} = {s}: not an RFC 3339 UTC time with microseconds"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Property names Render's newer schema has that the 2025 OpenAPI copy lacks (see
/// `render-api.md`, "cli only"), and the Blueprint validation response.
const NEWER_SCHEMA_KEYS: &[&str] = &[
    "autoDeployTrigger",
    "diskAutoscalingEnabled",
    "parameterOverrides",
    "persistenceMode",
    "internalRouting",
    "internalConnectionPoolString",
    "externalConnectionPoolString",
    "artifactSourceId",
    "valid",
    "errors",
    "error",
    "line",
    "column",
    "services",
    "databases",
    "envGroups",
    "totalActions",
];

/// A misspelt field would decode silently (unknown fields are ignored), so every key the
/// fixtures use must be a property name Render's API documents.
#[test]
fn fixture_keys_are_api_property_names() {
    let Some(shared) = shared_dir() else { return };
    let spec = read_json(&shared.join("render-openapi.json"));
    let mut known: BTreeSet<String> = NEWER_SCHEMA_KEYS.iter().map(|s| s.to_string()).collect();
    for (_, v) in nodes(&spec) {
        if let Some(props) = v.get("properties").and_then(Value::as_object) {
            known.extend(props.keys().cloned());
        }
    }
    let mut unknown = BTreeSet::new();
    for name in FIXTURES {
        for path in json_files(&fixture_api(name)) {
            for (p, v) in nodes(&read_json(&path)) {
                let Value::Object(map) = v else { continue };
                // Map keys of parameter overrides are Postgres settings, not API fields.
                if last_key(&p) == "parameterOverrides" {
                    continue;
                }
                for k in map.keys().filter(|k| !known.contains(*k)) {
                    unknown.insert(format!("{name}/{} {p}.{k}", file_name(&path)));
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "keys the API does not document:\n{}",
        unknown.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Each fixture README names every body in its directory (the request → file table).
#[test]
fn fixture_readmes_map_every_file() {
    for name in FIXTURES {
        let readme_path = manifest_dir()
            .join("tests/fixtures")
            .join(name)
            .join("README.md");
        let readme = fs::read_to_string(&readme_path)
            .unwrap_or_else(|e| panic!("{}: {e}", readme_path.display()));
        let missing: Vec<String> = json_files(&fixture_api(name))
            .iter()
            .map(|p| file_name(p).to_string())
            .filter(|f| !readme.contains(&format!("`{f}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "{} does not map {missing:?}",
            readme_path.display()
        );
    }
}

/// The references between bodies hold, as they would in one real workspace.
#[test]
fn fixtures_are_internally_consistent() {
    let mut problems = Vec::new();
    for name in FIXTURES {
        consistency(name, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn consistency(name: &str, problems: &mut Vec<String>) {
    let dir = fixture_api(name);
    let mut p = |msg: String| problems.push(format!("{name}: {msg}"));
    let load = |stem: &str| -> Option<Value> {
        let path = dir.join(format!("{stem}.json"));
        path.exists().then(|| read_json(&path))
    };
    let listed = |stem: &str, key: &str| -> Vec<Value> {
        let mut out = Vec::new();
        for page in fixtures::paged::<Value>(&dir, stem).unwrap() {
            out.push(page[key].clone());
        }
        out
    };

    let services = listed("services", "service");
    let previews = load("services-previews")
        .map(|v| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|e| e["service"].clone())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let by_id: BTreeMap<String, &Value> = services
        .iter()
        .chain(&previews)
        .map(|s| (s["id"].as_str().unwrap().to_string(), s))
        .collect();
    let short = |t: &str| match t {
        "web_service" => "web",
        "private_service" => "pserv",
        "background_worker" => "worker",
        "cron_job" => "cron",
        "static_site" => "static",
        _ => "?",
    };
    let dashboard = |t: &str| match t {
        "web_service" => "web",
        "private_service" => "pserv",
        "background_worker" => "worker",
        "cron_job" => "cron",
        _ => "static",
    };

    for s in services.iter().chain(&previews) {
        let id = s["id"].as_str().unwrap();
        let t = s["type"].as_str().unwrap();
        if (t == "cron_job") != id.starts_with("crn-") {
            p(format!("{id}: a {t} with that id prefix"));
        }
        if s["dashboardUrl"].as_str()
            != Some(&format!(
                "https://dashboard.render.com/{}/{id}",
                dashboard(t)
            ))
        {
            p(format!("{id}: dashboardUrl does not match its type and id"));
        }
        if let Some(detail) = load(&format!("service-{id}"))
            && &detail != s
        {
            p(format!("service-{id}.json differs from its list element"));
        }
        if let Some(parent) = s["serviceDetails"].get("parentServer") {
            let pid = parent["id"].as_str().unwrap_or("");
            match by_id.get(pid) {
                Some(ps)
                    if ps["name"] == parent["name"]
                        && ps["serviceDetails"].get("parentServer").is_none() => {}
                _ => p(format!(
                    "{id}: parentServer {pid} is not a listed, non-preview service"
                )),
            }
        }
        let url = s["serviceDetails"]["url"].as_str();
        let slug = s["slug"].as_str().unwrap_or("");
        match t {
            "web_service" | "static_site"
                if url != Some(&format!("https://{slug}.onrender.com")) =>
            {
                p(format!("{id}: url is not https://<slug>.onrender.com"))
            }
            "private_service" => {
                let port = s["serviceDetails"]["openPorts"][0]["port"]
                    .as_u64()
                    .unwrap_or(0);
                if url != Some(&format!("{slug}:{port}")) {
                    p(format!("{id}: private url is not <slug>:<port>"));
                }
            }
            _ => {}
        }
    }

    // Per-service bodies name a listed service.
    for path in json_files(&dir) {
        let f = file_name(&path);
        for prefix in [
            "env-vars-",
            "secret-files-",
            "custom-domains-",
            "headers-",
            "routes-",
            "service-",
        ] {
            if let Some(rest) = f.strip_prefix(prefix) {
                let id = rest.trim_end_matches(".json");
                let id = id.split("-page-").next().unwrap();
                if !by_id.contains_key(id) {
                    p(format!("{f} names no listed service"));
                }
            }
        }
    }

    // Env groups: list and detail agree; links name listed services with short types.
    let metas = load("env-groups")
        .map(|v| v.as_array().unwrap().clone())
        .unwrap_or_default();
    let mut group_env = BTreeMap::new();
    for m in &metas {
        let id = m["id"].as_str().unwrap();
        group_env.insert(id.to_string(), m.get("environmentId").cloned());
        match load(&format!("env-group-{id}")) {
            None => p(format!("env group {id} has no env-group-{id}.json")),
            Some(mut detail) => {
                let obj = detail.as_object_mut().unwrap();
                if obj.remove("envVars").is_none() || obj.remove("secretFiles").is_none() {
                    p(format!("env-group-{id}.json lacks envVars or secretFiles"));
                }
                if &detail != m {
                    p(format!(
                        "env-group-{id}.json differs from its env-groups.json entry"
                    ));
                }
            }
        }
        for link in m["serviceLinks"].as_array().unwrap() {
            let sid = link["id"].as_str().unwrap();
            match by_id.get(sid) {
                Some(s)
                    if s["name"] == link["name"]
                        && link["type"].as_str() == Some(short(s["type"].as_str().unwrap())) => {}
                _ => p(format!(
                    "env group {id}: link {sid} does not match a listed service"
                )),
            }
        }
    }

    // Postgres: list and detail agree; replicas and primaries point at each other.
    let pgs = listed("postgres", "postgres");
    for pg in &pgs {
        let id = pg["id"].as_str().unwrap();
        let primary = pg["role"] == "primary";
        if primary != id.ends_with("-a") {
            p(format!("{id}: role {} with that id suffix", pg["role"]));
        }
        if let Some(detail) = load(&format!("postgres-{id}")) {
            for (k, v) in pg.as_object().unwrap() {
                if detail.get(k) != Some(v) {
                    p(format!(
                        "postgres-{id}.json disagrees with its list element on {k}"
                    ));
                }
            }
        }
        if primary {
            if load(&format!("postgres-connection-info-{id}")).is_none() {
                p(format!("primary {id} has no connection-info body"));
            }
            for r in pg["readReplicas"].as_array().unwrap() {
                let rid = r["id"].as_str().unwrap();
                match pgs.iter().find(|x| x["id"] == rid) {
                    Some(x) if x["primaryPostgresID"] == id && x["name"] == r["name"] => {}
                    _ => p(format!(
                        "{id}: replica {rid} is not listed (includeReplicas defaults to true)"
                    )),
                }
            }
        } else if !pgs.iter().any(|x| x["id"] == pg["primaryPostgresID"]) {
            p(format!("replica {id}: primary not listed"));
        }
    }

    // Key Value: the detail is the list element without dashboardUrl.
    let kvs = listed("key-value", "keyValue");
    for kv in &kvs {
        let id = kv["id"].as_str().unwrap();
        let mut expected = kv.clone();
        expected.as_object_mut().unwrap().remove("dashboardUrl");
        match load(&format!("key-value-{id}")) {
            Some(detail) if detail == expected => {}
            Some(_) => p(format!(
                "key-value-{id}.json is not its list element without dashboardUrl"
            )),
            None => p(format!("key value {id} has no detail body")),
        }
        if load(&format!("key-value-connection-info-{id}")).is_none() {
            p(format!("key value {id} has no connection-info body"));
        }
    }
    if let Some(redis) = load("redis") {
        let items: Vec<&Value> = redis
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["redis"])
            .collect();
        if items != kvs.iter().collect::<Vec<_>>() {
            p("redis.json lists different instances from key-value.json".into());
        }
    }

    // Environments: id lists and environmentId agree both ways.
    let mut members: BTreeMap<String, String> = BTreeMap::new();
    let projects = listed("projects", "project");
    for e in listed("environments", "environment") {
        let eid = e["id"].as_str().unwrap();
        if !projects.iter().any(|pr| {
            pr["id"] == e["projectId"]
                && pr["environmentIds"].as_array().unwrap().contains(&e["id"])
        }) {
            p(format!("environment {eid}: its project does not list it"));
        }
        for list in ["serviceIds", "databasesIds", "redisIds", "envGroupIds"] {
            for rid in e[list].as_array().into_iter().flatten() {
                members.insert(rid.as_str().unwrap().to_string(), eid.to_string());
            }
        }
    }
    let placed = services
        .iter()
        .chain(&pgs)
        .chain(&kvs)
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r.get("environmentId").cloned(),
            )
        })
        .chain(group_env);
    for (rid, env) in placed {
        let env = env.as_ref().and_then(Value::as_str).map(str::to_string);
        if members.get(&rid) != env.as_ref() {
            p(format!(
                "{rid}: environmentId {env:?} but environment lists {:?}",
                members.get(&rid)
            ));
        }
    }

    // Registry credentials named by services exist; blueprints have details naming real resources.
    let creds: Vec<Value> = load("registry-credentials")
        .map(|v| v.as_array().unwrap().clone())
        .unwrap_or_default();
    for s in &services {
        let mut named = vec![s.get("registryCredential")];
        named.push(s["serviceDetails"]["envSpecificDetails"].get("registryCredential"));
        for c in named.into_iter().flatten() {
            if !creds
                .iter()
                .any(|x| x["id"] == c["id"] && x["name"] == c["name"])
            {
                p(format!(
                    "{}: registry credential {} is not in registry-credentials.json",
                    s["id"], c["name"]
                ));
            }
        }
    }
    for b in listed("blueprints", "blueprint") {
        let id = b["id"].as_str().unwrap();
        let Some(detail) = load(&format!("blueprint-{id}")) else {
            p(format!("blueprint {id} has no detail body"));
            continue;
        };
        for r in detail["resources"].as_array().unwrap() {
            let known = by_id.contains_key(r["id"].as_str().unwrap())
                || pgs.iter().chain(&kvs).any(|x| x["id"] == r["id"])
                || metas.iter().any(|x| x["id"] == r["id"]);
            if !known {
                p(format!(
                    "blueprint {id}: resource {} does not exist",
                    r["id"]
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Normalisation of the fixture workspaces
// ---------------------------------------------------------------------------------------

fn normalise_with(
    raw: &RawWorkspace,
    fingerprinter: Option<&Fingerprinter>,
) -> (Snapshot, Vec<Warning>) {
    let classifier = Classifier::default();
    model::normalise(
        raw,
        &ConvertOptions {
            classifier: &classifier,
            fingerprinter,
        },
    )
}

fn normalise_dir(name: &str) -> (RawWorkspace, Snapshot, Vec<Warning>) {
    let dir = fixture_api(name);
    let raw = load_dir(&dir).unwrap_or_else(|e| panic!("load_dir({}): {e:#}", dir.display()));
    let (snapshot, warnings) = normalise_with(&raw, None);
    (raw, snapshot, warnings)
}

/// Reverse every list the API returns: normalisation must not depend on API order.
fn reversed(raw: &RawWorkspace) -> RawWorkspace {
    let mut r = raw.clone();
    r.services.reverse();
    for s in &mut r.services {
        s.env_vars.reverse();
        s.secret_files.reverse();
        s.custom_domains.reverse();
        s.headers.reverse();
        s.routes.reverse();
    }
    r.env_groups.reverse();
    for g in &mut r.env_groups {
        g.env_vars.reverse();
        g.service_links.reverse();
    }
    r.postgres.reverse();
    r.key_values.reverse();
    r.projects.reverse();
    r.environments.reverse();
    r.registry_credentials.reverse();
    r.blueprints.reverse();
    r
}

#[test]
fn fixture_workspaces_normalise_deterministically_and_round_trip() {
    for name in FIXTURES {
        let (raw, snapshot, _) = normalise_dir(name);
        let text = snapshot.to_yaml();
        let (again, _) = normalise_with(&reversed(&raw), None);
        assert_eq!(
            text,
            again.to_yaml(),
            "{name}: API order changed the snapshot"
        );
        let read = Snapshot::from_yaml(&text, Path::new("snapshot.yaml"))
            .unwrap_or_else(|e| panic!("{name}: the snapshot does not read back: {e}"));
        assert_eq!(read, snapshot, "{name}: the snapshot does not round-trip");
    }
}

#[test]
fn insurance_navigator_normalises_to_the_committed_snapshot() {
    let (_, snapshot, warnings) = normalise_dir("insurance-navigator");
    assert!(warnings.is_empty(), "{warnings:?}");
    let committed =
        fs::read_to_string(manifest_dir().join("generated/production.snapshot.yaml")).unwrap();
    assert_eq!(
        snapshot.to_yaml(),
        committed,
        "generated/production.snapshot.yaml is stale"
    );
}

fn service<'a>(s: &'a Snapshot, name: &str) -> &'a model::Service {
    s.service(name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

fn var<'a>(vars: &'a [model::EnvVar], key: &str) -> &'a model::EnvVar {
    vars.iter()
        .find(|v| v.key == key)
        .unwrap_or_else(|| panic!("no env var {key}"))
}

fn refers(resource: ResourceKind, name: &str, property: &str, matched: Match) -> Option<Reference> {
    Some(Reference {
        resource,
        name: name.into(),
        property: property.into(),
        matched,
    })
}

#[test]
fn harbor_previews_are_not_loaded() {
    let dir = fixture_api("harbor");
    let raw = load_dir(&dir).unwrap();
    let previews: Vec<WithCursor<Service>> = fixtures::optional(&dir, "services-previews")
        .unwrap()
        .unwrap();
    assert_eq!(previews.len(), 2);
    for p in &previews {
        assert!(
            raw.services.iter().all(|s| s.service.id != p.item.id),
            "{} was loaded",
            p.item.name
        );
    }
    assert_eq!(raw.services.len(), 8);
}

/// A live client that forgot `includePreviews=false` would hand normalisation the preview
/// instances too; they must not become production services or reference targets.
#[test]
fn harbor_previews_listed_by_mistake_are_skipped() {
    let dir = fixture_api("harbor");
    let mut raw = load_dir(&dir).unwrap();
    let (expected, _) = normalise_with(&raw, None);
    let previews: Vec<WithCursor<Service>> = fixtures::optional(&dir, "services-previews")
        .unwrap()
        .unwrap();
    for p in previews {
        let id = p.item.id.clone();
        raw.services.push(RawService {
            env_vars: fixtures::paged::<WithCursor<EnvVar>>(&dir, &format!("env-vars-{id}"))
                .unwrap()
                .into_iter()
                .map(|w| w.item)
                .collect(),
            secret_files: Vec::new(),
            custom_domains: Vec::new(),
            headers: Vec::new(),
            routes: Vec::new(),
            service: p.item,
        });
    }
    let (snapshot, warnings) = normalise_with(&raw, None);
    let names = |s: &Snapshot| {
        s.services
            .iter()
            .map(|x| x.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&snapshot), names(&expected));
    assert_eq!(snapshot.services, expected.services);
    let skipped: Vec<(&str, &str)> = snapshot
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("harbor-api-pr-412", "preview instance of harbor-api"),
            ("harbor-web-pr-87", "preview instance of harbor-web")
        ]
    );
    assert_eq!(warnings.len(), 2, "{warnings:?}");
}

#[test]
fn harbor_traps_normalise_correctly() {
    let (raw, s, warnings) = normalise_dir("harbor");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(s.workspace.id, raw.owner_id);
    assert_eq!(s.workspace.name.as_deref(), Some("Harborline Freight"));

    let kinds: BTreeMap<&str, &str> = s
        .services
        .iter()
        .map(|x| (x.name.as_str(), x.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("harbor-api", "web"),
            ("harbor-dispatch", "pserv"),
            ("harbor-edi-bridge", "worker"),
            ("harbor-nightly-invoices", "cron"),
            ("harbor-partner-portal", "web"),
            ("harbor-tracking", "web"),
            ("harbor-web", "static"),
            ("harbor-worker", "worker"),
        ])
    );
    assert!(s.skipped.is_empty());

    // The read replica is folded into its primary, not a database of its own.
    assert_eq!(s.databases.len(), 1);
    let db = &s.databases[0];
    assert_eq!(db.name, "harbor-db");
    assert_eq!(
        db.read_replicas
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["harbor-db-replica"]
    );
    assert!(db.high_availability);
    assert_eq!(db.plan.as_deref(), Some("pro-8gb"));
    assert_eq!(db.ip_allow_list.as_ref().map(Vec::len), Some(2));
    assert_eq!(
        db.unexpressed
            .parameter_overrides
            .get("max_connections")
            .map(String::as_str),
        Some("400")
    );
    // The replica's host is production too: isolation checks match literals against it.
    assert!(db.network.hosts.contains(&db.read_replicas[0].id));

    let kv = &s.key_values[0];
    assert_eq!(
        (kv.name.as_str(), kv.maxmemory_policy.as_deref()),
        ("harbor-cache", Some("allkeys-lru"))
    );
    assert_eq!(kv.ip_allow_list.len(), 2);
    assert_eq!(kv.persistence_mode.as_deref(), Some("off"));
    assert_eq!(kv.unexpressed.persistence_mode, None);

    // Static site: routes in priority order, headers kept, the www redirect domain dropped.
    let web = service(&s, "harbor-web");
    let sources: Vec<&str> = web.routes.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(sources, ["/quote-old", "/careers", "/api/*", "/*"]);
    assert_eq!(web.headers.len(), 5);
    assert_eq!(web.domains, ["harborline.example"]);
    assert_eq!(web.static_publish_path.as_deref(), Some("dist"));
    assert_eq!(web.region, None);

    // Image-backed web service with CPU-only autoscaling and a registry credential.
    let tracking = service(&s, "harbor-tracking");
    assert_eq!(tracking.runtime, "image");
    let image = tracking.image.as_ref().expect("image");
    assert_eq!(
        (image.url.as_str(), image.credential.as_deref()),
        (
            "ghcr.io/harborline/tracking:2026.07.3",
            Some("harborline-ghcr")
        )
    );
    let scaling = tracking.scaling.as_ref().expect("scaling");
    assert_eq!((scaling.min_instances, scaling.max_instances), (2, 8));
    assert_eq!(
        (scaling.target_cpu_percent, scaling.target_memory_percent),
        (Some(65), None)
    );
    assert_eq!(tracking.num_instances, None);
    assert_eq!(tracking.repo, None);

    // Docker private service with a disk, reachable at host:port.
    let dispatch = service(&s, "harbor-dispatch");
    let disk = dispatch.disk.as_ref().expect("disk");
    assert_eq!(
        (disk.name.as_str(), disk.mount_path.as_str(), disk.size_gb),
        ("dispatch-state", "/var/lib/dispatch", Some(20))
    );
    assert_eq!(
        dispatch.registry_credential.as_deref(),
        Some("harborline-dockerhub")
    );
    assert_eq!(dispatch.docker_command, None);
    assert_eq!(dispatch.network.hosts, ["harbor-dispatch"]);
    assert_eq!(dispatch.network.ports, [8080]);

    // Maintenance mode is carried; an unsupported plan is kept as apiPlan; autoscaling
    // that is present but disabled leaves the manual instance count.
    let portal = service(&s, "harbor-partner-portal");
    let mm = portal.maintenance_mode.as_ref().expect("maintenance mode");
    assert!(mm.enabled);
    assert_eq!(
        mm.uri.as_deref(),
        Some("https://status.harborline.example/partner-portal")
    );
    assert_eq!(
        (portal.plan.as_deref(), portal.api_plan.as_deref()),
        (None, Some("starter_plus"))
    );
    assert_eq!(
        (portal.num_instances, portal.scaling.as_ref()),
        (Some(1), None)
    );
    let worker = service(&s, "harbor-worker");
    assert_eq!(
        (worker.plan.as_deref(), worker.api_plan.as_deref()),
        (None, Some("standard_legacy"))
    );

    // Older-style body: `autoDeploy: no`, no trigger, no environment, legacy previews field.
    let edi = service(&s, "harbor-edi-bridge");
    assert_eq!(edi.auto_deploy_trigger, "off");
    assert_eq!(edi.environment, None);
    assert_eq!(edi.previews.as_deref(), Some("off"));
    assert_eq!(service(&s, "harbor-api").auto_deploy_trigger, "checksPass");
    let cron = service(&s, "harbor-nightly-invoices");
    assert_eq!(cron.schedule.as_deref(), Some("15 2 * * *"));
    assert!(cron.id.starts_with("crn-"));

    // Env groups: links across service types, placement, secret files.
    assert_eq!(service(&s, "harbor-web").env_groups, ["harbor-shared"]);
    assert_eq!(cron.env_groups, ["harbor-shared"]);
    assert_eq!(dispatch.env_groups, ["harbor-certs", "harbor-shared"]);
    let groups: BTreeMap<&str, &model::EnvGroup> =
        s.env_groups.iter().map(|g| (g.name.as_str(), g)).collect();
    assert_eq!(
        groups["harbor-shared"]
            .environment
            .as_ref()
            .map(|p| p.environment.as_str()),
        Some("production")
    );
    assert_eq!(groups["harbor-certs"].environment, None);
    assert_eq!(groups["harbor-certs"].secret_files.len(), 2);
    assert!(
        s.services
            .iter()
            .all(|x| !x.env_groups.iter().any(|g| g == "harbor-archive"))
    );

    // Projects: production plus an empty environment whose id lists are null.
    let envs: Vec<(&str, bool, bool)> = s.projects[0]
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.protected, e.network_isolation))
        .collect();
    assert_eq!(
        envs,
        [("production", true, true), ("sandbox", false, false)]
    );
    assert_eq!(
        s.registry_credentials,
        ["harborline-dockerhub", "harborline-ghcr"]
    );
    assert_eq!(s.blueprints[0].resources, ["harbor-web"]);

    // Values that point at production resources (custom domains are not Render resources).
    let api = service(&s, "harbor-api");
    let pg_ref = |prop: &str, m| refers(ResourceKind::Database, "harbor-db", prop, m);
    let kv_ref = |m| {
        refers(
            ResourceKind::KeyValue,
            "harbor-cache",
            "connectionString",
            m,
        )
    };
    let dispatch_ref = |prop: &str, m| refers(ResourceKind::Service, "harbor-dispatch", prop, m);
    let tracking_ref = || {
        let url = "envVarKey:RENDER_EXTERNAL_URL";
        refers(ResourceKind::Service, "harbor-tracking", url, Match::Exact)
    };
    let expected = [
        (
            api,
            "DATABASE_URL",
            pg_ref("connectionString", Match::Exact),
        ),
        // The external connection string, with `?sslmode=require` appended.
        (
            edi,
            "DATABASE_URL",
            pg_ref("externalConnectionString", Match::Contains),
        ),
        (worker, "PGHOST", pg_ref("host", Match::Exact)),
        (worker, "PGPORT", pg_ref("port", Match::Exact)),
        (worker, "PGUSER", pg_ref("user", Match::Exact)),
        (worker, "PGDATABASE", pg_ref("database", Match::Exact)),
        (worker, "PGPASSWORD", pg_ref("password", Match::Exact)),
        (api, "REDIS_URL", kv_ref(Match::Exact)),
        (worker, "CELERY_BROKER_URL", kv_ref(Match::Contains)),
        (api, "DISPATCH_ADDR", dispatch_ref("hostport", Match::Exact)),
        (
            worker,
            "DISPATCH_URL",
            dispatch_ref("hostport", Match::Contains),
        ),
        (worker, "DISPATCH_HOST", dispatch_ref("host", Match::Exact)),
        (api, "TRACKING_BASE_URL", tracking_ref()),
        (web, "VITE_TRACKING_URL", tracking_ref()),
        (api, "PUBLIC_SITE_URL", None),
    ];
    for (svc, key, reference) in expected {
        assert_eq!(
            var(&svc.env_vars, key).refers_to,
            reference,
            "{}: {key}",
            svc.name
        );
    }

    // Secrets are classified; YAML-1.1 lookalikes and empty values stay strings.
    for (svc, key) in [
        (api, "DATABASE_URL"),
        (api, "STRIPE_SECRET_KEY"),
        (worker, "PGPASSWORD"),
        (cron, "SMTP_URL"),
        (cron, "REPORTING_DATABASE_URL"),
    ] {
        let v = var(&svc.env_vars, key);
        assert!(
            v.is_secret() && v.value.is_none(),
            "{}: {key} is not secret",
            svc.name
        );
    }
    assert_eq!(
        var(&api.env_vars, "ENABLE_BETA_QUOTES").value.as_deref(),
        Some("off")
    );
    assert_eq!(
        var(&api.env_vars, "SHIPMENT_REF_PREFIX").value.as_deref(),
        Some("0x1F")
    );
    assert_eq!(
        var(&api.env_vars, "MAINTENANCE_BANNER").value.as_deref(),
        Some("")
    );
    assert_eq!(
        var(&worker.env_vars, "PGHOST").value.as_deref(),
        Some(db.id.as_str())
    );
}

// ---------------------------------------------------------------------------------------
// Canaries: no secret value survives normalisation
// ---------------------------------------------------------------------------------------

const CANARY: &str = "cnry";

fn contains_canary(s: &str) -> bool {
    s.to_ascii_lowercase().contains(CANARY)
}

/// `cnryNNNN` tokens in a text.
fn canary_tokens(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(CANARY) {
        let tail = &rest[i + CANARY.len()..];
        let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() == 4 {
            out.insert(format!("{CANARY}{digits}"));
        }
        rest = tail;
    }
    out
}

/// Where the API returns secrets in plaintext, by file and JSON path.
fn secret_position(file: &str, path: &str) -> bool {
    file.starts_with("postgres-connection-info-")
        || file.starts_with("key-value-connection-info-")
        || path.ends_with(".envVar.value")
        || path.ends_with(".secretFile.content")
        || (path.starts_with(".envVars[") && path.ends_with("].value"))
        || (path.starts_with(".secretFiles[") && path.ends_with("].content"))
}

#[test]
fn canaries_sit_only_in_secret_positions_and_all_are_listed() {
    let dir = fixture_api("canary");
    let mut found = BTreeSet::new();
    let mut misplaced = Vec::new();
    for path in json_files(&dir) {
        let file = file_name(&path).to_string();
        found.extend(canary_tokens(&fs::read_to_string(&path).unwrap()));
        for (p, v) in nodes(&read_json(&path)) {
            let Some(s) = v.as_str() else { continue };
            if contains_canary(&p) || (contains_canary(s) && !secret_position(&file, &p)) {
                misplaced.push(format!("{file} {p}"));
            }
        }
    }
    assert!(
        misplaced.is_empty(),
        "canaries outside secret positions: {misplaced:?}"
    );
    let readme =
        fs::read_to_string(manifest_dir().join("tests/fixtures/canary/README.md")).unwrap();
    assert_eq!(
        canary_tokens(&readme),
        found,
        "README.md and the fixtures list different canaries"
    );
    assert!(found.len() >= 20, "only {} canaries", found.len());

    // Every secret file and connection-info secret carries one (a password-less internal
    // Key Value URL is not secret).
    let raw = load_dir(&dir).unwrap();
    for rs in &raw.services {
        for f in &rs.secret_files {
            assert!(
                contains_canary(&f.content),
                "{}: secret file {} has no canary",
                rs.service.name,
                f.name
            );
        }
    }
    for g in &raw.env_groups {
        for f in &g.secret_files {
            assert!(
                contains_canary(&f.content),
                "{}: secret file {} has no canary",
                g.name,
                f.name
            );
        }
    }
    for rp in &raw.postgres {
        let c = rp.connection.as_ref().expect("Postgres connection info");
        for s in [
            &c.password,
            &c.internal_connection_string,
            &c.external_connection_string,
            &c.psql_command,
        ] {
            assert!(
                s.as_deref().is_some_and(contains_canary),
                "{}: connection info without a canary",
                rp.postgres.name
            );
        }
    }
    for rk in &raw.key_values {
        let c = rk.connection.as_ref().expect("Key Value connection info");
        for s in [&c.external_connection_string, &c.cli_command] {
            assert!(
                s.as_deref().is_some_and(contains_canary),
                "{}: connection info without a canary",
                rk.key_value.name
            );
        }
    }
}

#[test]
fn every_canary_holding_var_is_classified_secret() {
    let (raw, snapshot, _) = normalise_dir("canary");
    let mut checked = 0;
    let mut wrong = Vec::new();
    let mut check = |owner: &str, raw_vars: &[EnvVar], vars: &[model::EnvVar]| {
        for rv in raw_vars {
            let v = var(vars, &rv.key);
            if contains_canary(&rv.value) != v.is_secret() {
                wrong.push(format!("{owner}.{} (secret: {})", rv.key, v.is_secret()));
            }
            checked += 1;
        }
    };
    for rs in &raw.services {
        check(
            &rs.service.name,
            &rs.env_vars,
            &service(&snapshot, &rs.service.name).env_vars,
        );
    }
    for g in &raw.env_groups {
        let group = snapshot
            .env_groups
            .iter()
            .find(|x| x.name == g.name)
            .unwrap();
        check(&g.name, &g.env_vars, &group.env_vars);
    }
    assert!(
        wrong.is_empty(),
        "secret iff the value holds a canary, but: {wrong:?}"
    );
    assert!(checked >= 25, "only {checked} vars checked");
}

#[test]
fn no_canary_survives_normalisation() {
    let (raw, plain, plain_warnings) = normalise_dir("canary");
    let fp = Fingerprinter::new(b"canary-test-key").unwrap();
    let (fingerprinted, fp_warnings) = normalise_with(&raw, Some(&fp));
    assert!(
        fingerprinted
            .env_groups
            .iter()
            .flat_map(|g| &g.secret_files)
            .all(|f| f.fingerprint.is_some())
    );

    let mut outputs = vec![
        ("snapshot YAML", plain.to_yaml()),
        ("fingerprinted snapshot YAML", fingerprinted.to_yaml()),
        ("snapshot Debug", format!("{plain:?} {fingerprinted:?}")),
        ("warnings", format!("{plain_warnings:?} {fp_warnings:?}")),
        ("raw workspace Debug", format!("{raw:?} {:?}", raw.owner)),
        (
            "snapshot JSON",
            serde_json::to_string(&fingerprinted).unwrap(),
        ),
    ];
    for rs in &raw.services {
        outputs.push((
            "wire Debug",
            format!("{:?} {:?} {:?}", rs.service, rs.env_vars, rs.secret_files),
        ));
    }
    for g in &raw.env_groups {
        outputs.push(("env group Debug", format!("{g:?}")));
    }
    for rp in &raw.postgres {
        outputs.push((
            "Postgres Debug",
            format!("{:?} {:?}", rp.postgres, rp.connection),
        ));
    }
    for rk in &raw.key_values {
        outputs.push((
            "Key Value Debug",
            format!("{:?} {:?}", rk.key_value, rk.connection),
        ));
    }
    for (what, text) in outputs {
        assert!(!contains_canary(&text), "a canary leaked into the {what}");
    }
}

/// A body cut off inside a secret must fail to load without quoting it.
#[test]
fn load_errors_do_not_quote_secrets() {
    let source = fixture_api("canary");
    let tmp = tempfile::tempdir().unwrap();
    let mut truncated = 0;
    for path in json_files(&source) {
        let text = fs::read_to_string(&path).unwrap();
        let target = tmp.path().join(file_name(&path));
        // Cut every body that holds a canary just after its first one.
        match text.find(CANARY) {
            Some(i) => {
                fs::write(&target, &text[..i + CANARY.len() + 6]).unwrap();
                truncated += 1;
            }
            None => fs::write(&target, &text).unwrap(),
        }
    }
    assert!(truncated >= 8);
    let err = load_dir(tmp.path()).expect_err("truncated bodies must not load");
    let shown = format!("{err:#} {err:?}");
    assert!(shown.contains(".json"), "the error names no file: {shown}");
    assert!(!contains_canary(&shown), "the load error quotes a secret");
}
