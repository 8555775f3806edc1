//! Validation and production-isolation figures at workspace scale: a production snapshot
//! and a staging Blueprint of N services (N = 1,000 and 10,000; or `BENCH_SERVICES=n`),
//! each service with ten env vars, one database and one Key Value per ten services.
//! Prints the median of five runs of each step (the isolation column includes indexing
//! production); asserts nothing about time.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stageprint::model::Snapshot;
use stageprint::secrets::Fingerprinter;
use stageprint::validate::{self, Document, isolation};

fn id(prefix: &str, i: usize) -> String {
    format!("{prefix}-d{i:019}")
}

fn production(n: usize, fp: &Fingerprinter) -> Snapshot {
    let services: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": id("srv", i), "name": format!("svc-{i}"), "kind": "web", "runtime": "node",
                "slug": format!("svc-{i}"), "autoDeployTrigger": "commit",
                "domains": [format!("svc-{i}.example.com")],
                "envVars": [
                    {"key": "SECRET", "secret": {"rule": "key name", "fingerprint": fp.fingerprint(&format!("prod-secret-{i}"))}},
                    {"key": "LOG_LEVEL", "value": "info"}
                ],
                "network": {"url": format!("https://svc-{i}.onrender.com"), "hosts": [format!("svc-{i}"), format!("svc-{i}.onrender.com")], "ports": [10000]}
            })
        })
        .collect();
    let databases: Vec<Value> = (0..n / 10)
        .map(|i| {
            json!({"id": id("dpg", i) + "-a", "name": format!("db-{i}"),
                "network": {"hosts": [id("dpg", i) + "-a", format!("{}-a.oregon-postgres.render.com", id("dpg", i))], "ports": [5432]}})
        })
        .collect();
    let key_values: Vec<Value> = (0..n / 10)
        .map(|i| json!({"id": id("red", i), "name": format!("kv-{i}"), "network": {"hosts": [id("red", i)], "ports": [6379]}}))
        .collect();
    let snapshot = json!({
        "version": 1, "workspace": {"id": "tea-bench"},
        "services": services, "databases": databases, "keyValues": key_values,
    });
    serde_json::from_value(snapshot).expect("a valid synthetic snapshot")
}

fn staging(n: usize) -> String {
    let services: Vec<Value> = (0..n)
        .map(|i| {
            let mut vars = vec![
                json!({"key": "DATABASE_URL", "fromDatabase": {"name": format!("staging-db-{}", i / 10), "property": "connectionString"}}),
                json!({"key": "REDIS_URL", "fromService": {"type": "keyvalue", "name": format!("staging-kv-{}", i / 10), "property": "connectionString"}}),
                json!({"key": "API_URL", "value": format!("https://staging-svc-{i}.example.com/v1?region=oregon&retries=3")}),
                json!({"key": "SECRET", "sync": false}),
                json!({"key": "JWT", "generateValue": true}),
            ];
            for k in 0..5 {
                vars.push(json!({"key": format!("SETTING_{k}"), "value": format!("value-{i}-{k}-with-some-length-to-scan")}));
            }
            // One service in a hundred leaks a production identity.
            if i % 100 == 0 {
                vars.push(json!({"key": "LEAK", "value": format!("postgres://u@{}-a.oregon-postgres.render.com/app", id("dpg", i / 10))}));
            }
            json!({
                "type": "web", "name": format!("staging-svc-{i}"), "runtime": "node", "plan": "starter",
                "buildCommand": "npm ci && npm run build", "startCommand": "node dist/server.js",
                "healthCheckPath": "/health", "domains": [format!("staging-svc-{i}.example.com")],
                "envVars": vars,
            })
        })
        .chain((0..n / 10).map(|i| json!({"type": "keyvalue", "name": format!("staging-kv-{i}"), "ipAllowList": []})))
        .collect();
    let databases: Vec<Value> = (0..n / 10)
        .map(|i| json!({"name": format!("staging-db-{i}"), "plan": "basic-1gb"}))
        .collect();
    stageprint::yaml::emit(&json!({"services": services, "databases": databases}))
}

fn median(mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut last = 0;
    for _ in 0..5 {
        let t = Instant::now();
        last = black_box(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[times.len() / 2], last)
}

fn main() {
    let sizes: Vec<usize> = match std::env::var("BENCH_SERVICES") {
        Ok(n) => vec![n.parse().expect("BENCH_SERVICES is a number")],
        Err(_) => vec![1_000, 10_000],
    };
    let fp = Fingerprinter::new(b"bench-key").unwrap();
    println!(
        "{:>8} {:>9} {:>10} {:>11} {:>10} {:>10} {:>9} {:>10}",
        "services",
        "yaml KiB",
        "parse",
        "schema+sem",
        "prod index",
        "isolation",
        "findings",
        "isolated"
    );
    let empty = Document::parse("services: []\n", Path::new("empty.yaml")).unwrap();
    for n in sizes {
        let prod = production(n, &fp);
        let text = staging(n);
        let file = Path::new("bench.yaml");
        let (parse, _) = median(|| {
            Document::parse(&text, file)
                .unwrap()
                .value
                .as_object()
                .map_or(0, |o| o.len())
        });
        let doc = Document::parse(&text, file).unwrap();
        let (validation, found) = median(|| {
            validate::validate_document(
                &doc,
                &validate::Options {
                    self_contained: true,
                },
            )
            .len()
        });
        // Against an empty Blueprint the check is the cost of indexing production.
        let (index, _) = median(|| {
            isolation::check(&empty.value, &empty.locations, &prod, &[], Some(&fp))
                .violations
                .len()
        });
        let (iso, violations) = median(|| {
            isolation::check(&doc.value, &doc.locations, &prod, &[], Some(&fp))
                .violations
                .len()
        });
        println!(
            "{:>8} {:>9} {:>8.1}ms {:>9.1}ms {:>8.1}ms {:>8.1}ms {:>9} {:>10}",
            n,
            text.len() / 1024,
            parse.as_secs_f64() * 1e3,
            validation.as_secs_f64() * 1e3,
            index.as_secs_f64() * 1e3,
            iso.as_secs_f64() * 1e3,
            found,
            violations
        );
    }
}
