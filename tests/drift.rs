//! `stageprint drift` through the binary against the fake Render API: production as
//! recorded matches the committed snapshot; each kind of change, planted one at a time, is
//! named with its resource and field or key, and no value of a secret is printed.

mod support;

use serde_json::json;
use support::fake_render::{Background, Fault, Settings, Workspace, sync};

const WORKER: &str = "srv-d05lqa6uk2gs73c9ohn0";
const API: &str = "srv-d05lq8uuk2gs73c9ohe0";

const OWNER: &str = "tea-cr8k1hb6l47c73a0b1c0";

/// Production as recorded, with the bundled staging Blueprint synced into it.
fn production() -> Workspace {
    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    let blueprint =
        std::fs::read_to_string(support::root().join("generated/staging/render.yaml")).unwrap();
    sync::sync(&mut ws, &blueprint, OWNER);
    sync::set_operator_values(&mut ws, &blueprint);
    ws
}

#[test]
fn right_after_a_sync_the_operator_provided_keys_are_the_only_drift() {
    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    let blueprint =
        std::fs::read_to_string(support::root().join("generated/staging/render.yaml")).unwrap();
    sync::sync(&mut ws, &blueprint, OWNER);
    let (code, out) = drift(ws, "text");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("production matches"), "{out}");
    assert!(
        out.contains(
            "insurance-navigator-staging-api: operator-provided env var unset STRIPE_SECRET_KEY"
        ),
        "{out}"
    );
    assert!(out.contains("0 to create, 0 to change"), "{out}");
}

fn drift(ws: Workspace, format: &str) -> (i32, String) {
    drift_with(ws, format, Settings::default())
}

fn drift_with(ws: Workspace, format: &str, settings: Settings) -> (i32, String) {
    let project = support::example_project();
    let bg = Background::start(ws, settings);
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", bg.fake.key())
        .env_remove("STAGEPRINT_FINGERPRINT_KEY")
        .current_dir(project.path())
        .args(["drift", "--format", format, "--api-url"])
        .arg(bg.fake.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for secret in ["fakepgpassword", bg.fake.key(), "cnry"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} leaked:\n{stdout}\n{stderr}"
        );
    }
    // The committed snapshot is never rewritten by drift.
    assert_eq!(
        std::fs::read(project.path().join("generated/production.snapshot.yaml")).unwrap(),
        std::fs::read(support::root().join("generated/production.snapshot.yaml")).unwrap()
    );
    (out.status.code().unwrap(), format!("{stdout}{stderr}"))
}

#[test]
fn production_as_recorded_has_no_drift() {
    let (code, out) = drift(production(), "text");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("production matches"), "{out}");
}

#[test]
fn each_planted_change_is_named() {
    type Plant = fn(&mut Workspace);
    let cases: [(&str, Plant, &str); 5] = [
        (
            "a field",
            |ws| {
                // The list and the service's own path both say so, as on Render.
                for s in ws.services.iter_mut().filter(|s| s["id"] == WORKER) {
                    s["serviceDetails"]["plan"] = json!("pro");
                }
                if let Some(d) = ws.service_details.get_mut(WORKER) {
                    d["serviceDetails"]["plan"] = json!("pro");
                }
            },
            "insurance-navigator-worker: changed plan (standard → pro)",
        ),
        (
            "an env var added",
            |ws| {
                ws.env_vars
                    .get_mut(WORKER)
                    .unwrap()
                    .push(json!({"key": "FEATURE_X", "value": "on"}));
            },
            "insurance-navigator-worker: env var added FEATURE_X",
        ),
        (
            "an env var changed",
            |ws| {
                for v in ws.env_vars.get_mut(WORKER).unwrap() {
                    if v["key"] == "LOG_LEVEL" {
                        v["value"] = json!("debug");
                    }
                }
            },
            "insurance-navigator-worker: env var changed LOG_LEVEL",
        ),
        (
            "a secret rotated without a fingerprint key is not claimed",
            |ws| {
                for v in ws.env_vars.get_mut(WORKER).unwrap() {
                    if v["key"] == "DATABASE_URL" {
                        v["value"] = json!(
                            "postgresql://u:cnryRotatedPassw0rd1234@dpg-d05lp1euk2gs73c9o9k0-a/db"
                        );
                    }
                }
            },
            "",
        ),
        (
            "a service removed",
            |ws| {
                ws.services.retain(|s| s["id"] != API);
            },
            "insurance-navigator-api: removed",
        ),
    ];
    for (name, plant, want) in cases {
        let mut ws = production();
        plant(&mut ws);
        let (code, out) = drift(ws, "text");
        if want.is_empty() {
            assert_eq!(code, 0, "{name}: {out}");
            continue;
        }
        assert_eq!(code, 2, "{name}: {out}");
        assert!(out.contains(want), "{name}: {out}");
        assert!(out.contains("fix: stageprint snapshot && stageprint generate"));
    }
}

#[test]
fn markdown_and_json_say_the_same() {
    let mut ws = production();
    ws.env_vars
        .get_mut(WORKER)
        .unwrap()
        .push(json!({"key": "FEATURE_X", "value": "cnryValueNeverShown"}));
    let (code, md) = drift(ws.clone(), "markdown");
    assert_eq!(code, 2);
    assert!(
        md.contains("| `insurance-navigator-worker` | service | env var added | FEATURE_X |"),
        "{md}"
    );
    let (code, js) = drift(ws, "json");
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(
        js.lines()
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    )
    .unwrap_or_else(|e| panic!("{e}: {js}"));
    assert_eq!(v["production"][0]["field"], "FEATURE_X");
}

#[test]
fn each_kind_of_staging_drift_is_named() {
    type Plant = fn(&mut Workspace);
    let cases: [(&str, Plant, &str); 5] = [
        (
            "not synced",
            |ws| {
                ws.services
                    .retain(|s| s["name"] != "insurance-navigator-staging-worker")
            },
            "service insurance-navigator-staging-worker: declared but missing",
        ),
        (
            "a field changed by hand",
            |ws| {
                for s in ws
                    .services
                    .iter_mut()
                    .filter(|s| s["name"] == "insurance-navigator-staging-worker")
                {
                    s["serviceDetails"]["plan"] = json!("pro");
                }
            },
            "insurance-navigator-staging-worker: differs; the next sync sets it plan (Blueprint standard, live pro)",
        ),
        (
            "an env var left over",
            |ws| {
                let id = ws
                    .services
                    .iter()
                    .find(|s| s["name"] == "insurance-navigator-staging-worker")
                    .unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                ws.env_vars
                    .get_mut(&id)
                    .unwrap()
                    .push(json!({"key": "OLD_FLAG", "value": "1"}));
            },
            "insurance-navigator-staging-worker: env var on staging that the Blueprint does not declare (a sync never deletes it) OLD_FLAG",
        ),
        (
            "a reference pointing at production",
            |ws| {
                let id = ws
                    .services
                    .iter()
                    .find(|s| s["name"] == "insurance-navigator-staging-worker")
                    .unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                for v in ws.env_vars.get_mut(&id).unwrap() {
                    if v["key"] == "REDIS_URL" {
                        v["value"] = json!("redis://red-d05lp3muk2gs73c9oa80:6379");
                    }
                }
            },
            "insurance-navigator-staging-worker: env var points at PRODUCTION REDIS_URL",
        ),
        (
            "an env group unlinked",
            |ws| {
                for g in ws
                    .env_groups
                    .iter_mut()
                    .chain(ws.env_group_details.values_mut())
                {
                    if g["name"] == "insurance-navigator-staging-shared" {
                        g["serviceLinks"] = json!([]);
                    }
                }
            },
            "insurance-navigator-staging-api: env group not linked insurance-navigator-staging-shared",
        ),
    ];
    for (name, plant, want) in cases {
        let mut ws = production();
        plant(&mut ws);
        let (code, out) = drift(ws, "text");
        assert_eq!(code, 2, "{name}: {out}");
        assert!(out.contains(want), "{name}: {out}");
        assert!(out.contains("production matches"), "{name}: {out}");
    }
}

/// Production moved after the last generate: the overlay applied to production now would
/// give staging something the committed Blueprint does not, and drift says so.
#[test]
fn staging_behind_production_beyond_the_overlay_is_named() {
    let mut ws = production();
    ws.env_vars
        .get_mut(WORKER)
        .unwrap()
        .push(json!({"key": "FEATURE_X", "value": "on"}));
    let (code, out) = drift(ws, "text");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("insurance-navigator-worker: env var added FEATURE_X"),
        "{out}"
    );
    assert!(out.contains("beyond its Blueprint"), "{out}");
    assert!(
        out.contains("service insurance-navigator-staging-worker: env var missing FEATURE_X"),
        "{out}"
    );
}

/// 5xx answers, resets and 429s on the way give the same verdict; a wrong key is a clear
/// error (exit 1), never a drift.
#[test]
fn a_flaky_api_gives_the_same_verdict_and_a_wrong_key_exit_1() {
    let mut settings = Settings::default();
    settings.faults.every = 4;
    settings.faults.kinds = vec![Fault::Status(502), Fault::Reset, Fault::TooMany];
    let (code, out) = drift_with(production(), "text", settings);
    assert_eq!(code, 0, "{out}");

    let project = support::example_project();
    let bg = Background::start(production(), Settings::default());
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", "rnd_wrongKeyCanary00000000000")
        .current_dir(project.path())
        .args(["drift", "--api-url"])
        .arg(bg.fake.url())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("401") && !stderr.contains("wrongKeyCanary"),
        "{stderr}"
    );
}
