//! `stageprint secrets push` through the binary against the fake Render API: a dry run
//! writes nothing, `--apply` sets exactly the operator-provided keys, production targets
//! and unlisted keys are refused before anything is sent, a failed write is reported and a
//! rerun finishes, and no value ever shows in output.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use stageprint::commands::secrets::{Holder, Wanted, wanted};
use support::fake_render::{Background, Settings, Workspace};

const PROD_API: &str = "srv-d05lq8uuk2gs73c9ohe0";
const PROD_WORKER: &str = "srv-d05lqa6uk2gs73c9ohn0";
const PROD_GROUP: &str = "evg-d05lr0muk2gs73c9oj30";
const STG_API: &str = "srv-s7a9ingapi000000000";
const STG_WORKER: &str = "srv-s7a9ingwrk000000000";
const STG_GROUP: &str = "evg-s7a9inggrp000000000";

/// The operator-provided keys of the bundled example, as generate computes them.
fn bundled_wanted() -> Vec<Wanted> {
    let snap = support::bundled_snapshot();
    let out = support::run(&snap, include_str!("../overlays/staging.yaml"));
    wanted(&out.staging)
}

/// A canary value per resource and key: found anywhere in output, it is a leak.
fn canary(resource: &str, key: &str) -> String {
    let tag: String = format!("{resource}{key}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("cnry{tag}V4lue")
}

/// Production plus its staging copies (new ids, staging names and hosts), as after a sync.
fn workspace(with_worker: bool) -> Workspace {
    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    let copy = |v: &Value, id: &str, name: &str| {
        let mut c = v.clone();
        c["id"] = json!(id);
        c["name"] = json!(name);
        if c.get("slug").is_some() {
            c["slug"] = json!(name);
        }
        if c["serviceDetails"].get("url").is_some() {
            c["serviceDetails"]["url"] = json!(format!("https://{name}.onrender.com"));
        }
        c["environmentId"] = json!("evm-s7a9ing00000000000");
        c
    };
    let service =
        |ws: &Workspace, id: &str| ws.services.iter().find(|s| s["id"] == id).cloned().unwrap();
    let mut add = vec![(PROD_API, STG_API, "insurance-navigator-staging-api")];
    if with_worker {
        add.push((
            PROD_WORKER,
            STG_WORKER,
            "insurance-navigator-staging-worker",
        ));
    }
    for (prod, id, name) in add {
        let s = copy(&service(&ws, prod), id, name);
        ws.services.push(s);
    }
    let group = ws
        .env_groups
        .iter()
        .find(|g| g["id"] == PROD_GROUP)
        .cloned()
        .unwrap();
    ws.env_groups.push(copy(
        &group,
        STG_GROUP,
        "insurance-navigator-staging-shared",
    ));
    ws
}

fn id_of(name: &str) -> &'static str {
    match name {
        "insurance-navigator-staging-api" => STG_API,
        "insurance-navigator-staging-worker" => STG_WORKER,
        "insurance-navigator-staging-shared" => STG_GROUP,
        other => panic!("no staging id for {other}"),
    }
}

/// A JSON secrets file with a value for every wanted key, per resource.
fn secrets_file(dir: &Path, wanted: &[Wanted]) -> std::path::PathBuf {
    let mut obj = serde_json::Map::new();
    for w in wanted {
        let keys: serde_json::Map<String, Value> = w
            .keys
            .iter()
            .map(|k| (k.clone(), json!(canary(&w.name, k))))
            .collect();
        obj.insert(w.name.clone(), Value::Object(keys));
    }
    let path = dir.join("staging.secrets.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&obj).unwrap()).unwrap();
    path
}

fn push(bg: &Background, project: &Path, file: &Path, apply: bool) -> (i32, String, String) {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"));
    cmd.env_remove("STAGEPRINT_FINGERPRINT_KEY")
        .env("RENDER_API_KEY", bg.fake.key())
        .current_dir(project)
        .args(["-vv", "secrets", "push", "--env", "staging", "--api-url"])
        .arg(bg.fake.url())
        .arg("--from")
        .arg(file);
    if apply {
        cmd.arg("--apply");
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stdout.contains("cnry") && !stderr.contains("cnry"),
        "a value leaked:\n{stdout}\n{stderr}"
    );
    (out.status.code().unwrap(), stdout, stderr)
}

/// The value the live resource holds now for a key (`file:NAME` for a secret file).
fn live(ws: &Workspace, holder: Holder, id: &str, key: &str) -> Option<String> {
    let (list, field, name_field) = match (holder, key.strip_prefix("file:")) {
        (Holder::Service, Some(_)) => (
            ws.secret_files.get(id).cloned().unwrap_or_default(),
            "content",
            "name",
        ),
        (Holder::Service, None) => (
            ws.env_vars.get(id).cloned().unwrap_or_default(),
            "value",
            "key",
        ),
        (Holder::EnvGroup, f) => {
            let g = ws.env_group(id).unwrap();
            let list = if f.is_some() {
                &g["secretFiles"]
            } else {
                &g["envVars"]
            };
            (
                list.as_array().cloned().unwrap_or_default(),
                if f.is_some() { "content" } else { "value" },
                if f.is_some() { "name" } else { "key" },
            )
        }
    };
    let name = key.strip_prefix("file:").unwrap_or(key);
    list.iter()
        .find(|v| v[name_field] == name)
        .and_then(|v| v[field].as_str().map(str::to_string))
}

#[test]
fn the_bundled_example_has_operator_provided_keys_on_services_and_files() {
    let w = bundled_wanted();
    let api = w
        .iter()
        .find(|w| w.name == "insurance-navigator-staging-api")
        .expect("the api has operator-provided keys");
    assert!(api.keys.contains("STRIPE_SECRET_KEY"), "{w:#?}");
    assert!(
        w.iter()
            .flat_map(|w| &w.keys)
            .any(|k| k.starts_with("file:")),
        "secret files are pushed too: {w:#?}"
    );
}

#[test]
fn dry_run_writes_nothing_and_apply_sets_exactly_the_listed_keys() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let bg = Background::start(workspace(true), Settings::default());

    let (code, stdout, stderr) = push(&bg, project.path(), &file, false);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(bg.fake.writes().is_empty(), "{:?}", bg.fake.writes());
    assert!(stderr.contains("dry run: nothing was written"), "{stderr}");
    for w in &wanted {
        assert!(stdout.contains(&w.name), "{stdout}");
        for k in &w.keys {
            assert!(stdout.contains(k.as_str()), "{k} not listed:\n{stdout}");
        }
    }

    let (code, stdout, stderr) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let expected: usize = wanted.iter().map(|w| w.keys.len()).sum();
    let writes = bg.fake.writes();
    assert_eq!(writes.len(), expected, "{writes:#?}");
    assert!(writes.iter().all(|w| w.starts_with("PUT ")));
    assert!(
        writes
            .iter()
            .all(|w| !w.contains(PROD_API) && !w.contains(PROD_WORKER) && !w.contains(PROD_GROUP)),
        "nothing is written to production: {writes:#?}"
    );
    let ws = bg.fake.workspace();
    for w in &wanted {
        for k in &w.keys {
            assert_eq!(
                live(&ws, w.holder, id_of(&w.name), k),
                Some(canary(&w.name, k)),
                "{} {k}",
                w.name
            );
        }
    }
    // Production's values are what they were.
    assert_eq!(
        ws.env_vars[PROD_API],
        Workspace::from_dir(&support::insurance_navigator()).env_vars[PROD_API]
    );

    // A second run finds everything set and writes nothing.
    let (code, stdout, _) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 0);
    assert_eq!(bg.fake.writes().len(), expected);
    assert!(
        !stdout.contains("  set ") && !stdout.contains("  change "),
        "{stdout}"
    );
}

#[test]
fn a_key_the_report_does_not_list_refuses_the_whole_push_before_any_request() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    for extra in [
        json!({"LOG_LEVEL": "cnryLogLevelValue"}),
        json!({"insurance-navigator-staging-api": {"DATABASE_URL": "cnryDatabaseUrl"}}),
        json!({"insurance-navigator-api": {"STRIPE_SECRET_KEY": "cnryProdName"}}),
    ] {
        let file = secrets_file(project.path(), &wanted);
        let mut all: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            all[k] = v.clone();
        }
        std::fs::write(&file, serde_json::to_vec(&all).unwrap()).unwrap();
        let (code, _, stderr) = push(&bg, project.path(), &file, true);
        assert_eq!(code, 1, "{extra}: {stderr}");
        assert!(stderr.contains("nothing was sent"), "{stderr}");
        assert_eq!(bg.fake.counts().requests, 0, "{extra}: no request at all");
    }
}

#[test]
fn a_staging_name_that_resolves_to_production_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    // The staging name leads to a resource whose id, or whose address, is production's.
    for disguise in ["id", "url", "slug"] {
        let mut ws = workspace(true);
        let s = ws.services.iter_mut().find(|s| s["id"] == STG_API).unwrap();
        match disguise {
            "id" => s["id"] = json!(PROD_API),
            "url" => {
                s["serviceDetails"]["url"] = json!("https://insurance-navigator-api.onrender.com")
            }
            _ => s["slug"] = json!("insurance-navigator-api"),
        }
        let bg = Background::start(ws, Settings::default());
        let (code, _, stderr) = push(&bg, project.path(), &file, true);
        assert_eq!(code, 1, "{disguise}: {stderr}");
        assert!(stderr.contains("is production's"), "{disguise}: {stderr}");
        assert!(stderr.contains("nothing was sent"), "{disguise}: {stderr}");
        assert!(bg.fake.writes().is_empty(), "{disguise}");
    }
}

#[test]
fn a_failed_write_is_reported_and_a_rerun_finishes_the_job() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let bg = Background::start(workspace(true), Settings::default());
    let failing = format!("/v1/services/{STG_API}/env-vars/STRIPE_SECRET_KEY");
    bg.fake.faults().status_on.push((failing.clone(), 403));

    let (code, _, stderr) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("insurance-navigator-staging-api.STRIPE_SECRET_KEY"),
        "{stderr}"
    );
    assert!(stderr.contains("run the same command again"), "{stderr}");
    let total: usize = wanted.iter().map(|w| w.keys.len()).sum();
    let set_lines = stderr.lines().filter(|l| l.starts_with("set ")).count();
    assert_eq!(set_lines, total - 1, "{stderr}");

    bg.fake.faults().status_on.clear();
    let before = bg.fake.writes().len();
    let (code, stdout, stderr) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let after = bg.fake.writes();
    assert_eq!(
        after.len() - before,
        1,
        "only the key left is written: {after:#?}"
    );
    assert!(after.last().unwrap().contains("STRIPE_SECRET_KEY"));
}

#[test]
fn a_resource_not_synced_yet_and_keys_missing_from_the_file_exit_2() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    // Only the api's keys, and no worker live.
    let api_only: Vec<Wanted> = wanted
        .iter()
        .filter(|w| w.name == "insurance-navigator-staging-api")
        .cloned()
        .collect();
    let file = secrets_file(project.path(), &api_only);
    let bg = Background::start(workspace(false), Settings::default());
    let (code, stdout, stderr) = push(&bg, project.path(), &file, false);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    if wanted
        .iter()
        .any(|w| w.name == "insurance-navigator-staging-worker")
    {
        assert!(stdout.contains("not found"), "{stdout}");
    }
    assert!(bg.fake.writes().is_empty());
}

#[test]
fn dotenv_from_standard_input_is_read_once_and_never_echoed() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    // Keys that more than one resource lists get the same value from a flat file.
    let mut text = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for w in &wanted {
        for k in &w.keys {
            if seen.insert(k.clone()) {
                text.push_str(&format!("{k}=\"{}\"\n", canary("any", k)));
            }
        }
    }
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"));
    let out = cmd
        .env("RENDER_API_KEY", bg.fake.key())
        .current_dir(project.path())
        .args([
            "secrets",
            "push",
            "--env",
            "staging",
            "--from",
            "-",
            "--apply",
            "--api-url",
        ])
        .arg(bg.fake.url())
        .write_stdin(text)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("cnry"), "{all}");
    let ws = bg.fake.workspace();
    for w in &wanted {
        for k in &w.keys {
            assert_eq!(
                live(&ws, w.holder, id_of(&w.name), k),
                Some(canary("any", k))
            );
        }
    }
}
