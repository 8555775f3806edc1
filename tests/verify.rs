//! `stageprint verify` through the binary against the fake Render API after a simulated
//! sync: all checks pass once the operator has set the secrets; each kind of failure,
//! planted one at a time, is named with its service and check.

mod support;

use serde_json::json;
use support::fake_render::{Background, Settings, Workspace, sync};

const OWNER: &str = "tea-cr8k1hb6l47c73a0b1c0";
const API: &str = "insurance-navigator-staging-api";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Production, the bundled staging Blueprint synced, secrets set, and every staging web
/// service's URL on the fake's loopback port.
fn synced(port: u16, operator: bool) -> Workspace {
    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    let blueprint =
        std::fs::read_to_string(support::root().join("generated/staging/render.yaml")).unwrap();
    sync::sync(&mut ws, &blueprint, OWNER);
    if operator {
        sync::set_operator_values(&mut ws, &blueprint);
        // The report's secret files, as an operator (or secrets push) would add them.
        let snap = support::bundled_snapshot();
        let out = support::run(&snap, include_str!("../overlays/staging.yaml"));
        for s in &out.staging.services {
            let id = ws
                .services
                .iter()
                .find(|x| x["name"] == s.service.name.as_str())
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string();
            let files = ws.secret_files.entry(id).or_default();
            for f in &s.service.secret_files {
                files.push(json!({"name": f.name, "content": "x"}));
            }
        }
    }
    let ids: Vec<String> = ws
        .services
        .iter()
        .filter(|s| s["name"].as_str().is_some_and(|n| n.contains("-staging-")))
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    for list in [&mut ws.services] {
        for s in list
            .iter_mut()
            .filter(|s| ids.contains(&s["id"].as_str().unwrap().to_string()))
        {
            if s["serviceDetails"].get("url").is_some() {
                let name = s["name"].as_str().unwrap().to_string();
                s["serviceDetails"]["url"] = json!(format!("http://127.0.0.1:{port}/svc/{name}"));
            }
        }
    }
    for d in ws.service_details.values_mut() {
        if let Some(n) = d["name"].as_str().map(str::to_string)
            && n.contains("-staging-")
            && d["serviceDetails"].get("url").is_some()
        {
            d["serviceDetails"]["url"] = json!(format!("http://127.0.0.1:{port}/svc/{n}"));
        }
    }
    ws
}

/// Exit code, output, and how many health checks reached the services' own URLs.
fn verify(ws: Workspace, port: u16, plant: impl FnOnce(&Background)) -> (i32, String, usize) {
    let project = support::example_project();
    let bg = Background::start(
        ws,
        Settings {
            port,
            ..Settings::default()
        },
    );
    plant(&bg);
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", bg.fake.key())
        .current_dir(project.path())
        .args(["verify", "--api-url"])
        .arg(bg.fake.url())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(bg.fake.key()), "the API key was printed");
    assert!(!text.contains("set-by-operator"), "a value was printed");
    let health = bg
        .fake
        .served()
        .iter()
        .filter(|s| s.path.starts_with("/svc/"))
        .count();
    (out.status.code().unwrap(), text, health)
}

#[test]
fn a_synced_staging_with_its_secrets_set_passes_every_check() {
    let port = free_port();
    let (code, out, health) = verify(synced(port, true), port, |_| {});
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        health, 5,
        "five tries of the one web service's health check"
    );
    assert!(out.contains(&format!("ok   {API} deploy")), "{out}");
    assert!(out.contains(&format!("ok   {API} health")), "{out}");
    assert!(out.contains("median"), "{out}");
    assert!(out.contains(", 0 failed"), "{out}");
}

#[test]
fn each_kind_of_failure_is_named() {
    let port = free_port();
    // Secrets not set yet: right after a sync.
    let (code, out, _) = verify(synced(port, false), port, |_| {});
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("FAIL {API} env vars: unset")),
        "{out}"
    );

    let port = free_port();
    let (code, out, _) = verify(synced(port, true), port, |bg| {
        bg.fake.faults().health.push((API.into(), 503));
    });
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("FAIL {API} health")) && out.contains("503"),
        "{out}"
    );

    let port = free_port();
    let mut ws = synced(port, true);
    let id = ws.services.iter().find(|s| s["name"] == API).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    ws.deploys.insert(id.clone(), vec![json!({"id": "dep-failed0000000000000", "status": "build_failed", "commit": {"id": "abcdef1234567890"}})]);
    let (code, out, _) = verify(ws, port, |_| {});
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!(
            "FAIL {API} deploy: dep-failed0000000000000 build_failed, commit abcdef123456"
        )),
        "{out}"
    );

    let port = free_port();
    let mut ws = synced(port, true);
    ws.services.retain(|s| s["name"] != API);
    let (code, out, _) = verify(ws, port, |_| {});
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("FAIL {API} exists: not found")),
        "{out}"
    );
}

/// `--compare-production` times production's own health check (its URL in the snapshot)
/// beside staging's, as the baseline.
#[test]
fn production_is_timed_beside_staging_when_asked() {
    let port = free_port();
    let project = support::example_project();
    let snapshot = project.path().join("generated/production.snapshot.yaml");
    let text = std::fs::read_to_string(&snapshot).unwrap().replace(
        "https://insurance-navigator-api.onrender.com",
        &format!("http://127.0.0.1:{port}/svc/insurance-navigator-api"),
    );
    std::fs::write(&snapshot, text).unwrap();
    let bg = Background::start(
        synced(port, true),
        Settings {
            port,
            ..Settings::default()
        },
    );
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", bg.fake.key())
        .current_dir(project.path())
        .args(["verify", "--compare-production", "--api-url"])
        .arg(bg.fake.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.contains(&format!("{API} health")))
        .unwrap();
    assert!(
        line.contains("; production http://127.0.0.1:") && line.matches("median").count() == 2,
        "{line}"
    );
    let production_checks = bg
        .fake
        .served()
        .iter()
        .filter(|s| s.path.starts_with("/svc/insurance-navigator-api"))
        .count();
    assert_eq!(production_checks, 5);
}
