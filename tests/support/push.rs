//! A workspace with production and its staging copies, a secrets file for the bundled
//! example, and `stageprint secrets push` run against the fake API, for the push tests.

use std::path::Path;

use serde_json::{Value, json};
use stageprint::commands::secrets::{Holder, Wanted, wanted};

use super::fake_render::{Background, Workspace};

pub const PROD_API: &str = "srv-d05lq8uuk2gs73c9ohe0";
pub const PROD_WORKER: &str = "srv-d05lqa6uk2gs73c9ohn0";
pub const PROD_GROUP: &str = "evg-d05lr0muk2gs73c9oj30";
pub const STG_API: &str = "srv-s7a9ingapi000000000";
pub const STG_WORKER: &str = "srv-s7a9ingwrk000000000";
pub const STG_GROUP: &str = "evg-s7a9inggrp000000000";

/// The operator-provided keys of the bundled example, as generate computes them.
pub fn bundled_wanted() -> Vec<Wanted> {
    let snap = super::bundled_snapshot();
    let out = super::run(&snap, include_str!("../../overlays/staging.yaml"));
    wanted(&out.staging)
}

/// A canary value per resource and key: found anywhere in output, it is a leak.
pub fn canary(resource: &str, key: &str) -> String {
    let tag: String = format!("{resource}{key}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("cnry{tag}V4lue")
}

/// Production plus its staging copies (new ids, staging names and hosts), as after a sync.
pub fn workspace(with_worker: bool) -> Workspace {
    let mut ws = Workspace::from_dir(&super::insurance_navigator());
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
        c["environmentId"] = json!(STAGING_ENVIRONMENT);
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
    let mut group = copy(&group, STG_GROUP, "insurance-navigator-staging-shared");
    // The staging group is linked to the staging services, never to production's.
    let links: Vec<Value> = ws
        .services
        .iter()
        .filter(|s| s["id"] == STG_API || s["id"] == STG_WORKER)
        .map(|s| json!({"id": s["id"], "name": s["name"], "type": "web"}))
        .collect();
    group["serviceLinks"] = json!(links);
    ws.env_groups.push(group);
    // The staging environment of the same project.
    let mut env = ws.environments[0].clone();
    env["id"] = json!(STAGING_ENVIRONMENT);
    env["name"] = json!("staging");
    ws.environments.push(env);
    ws
}

/// The id of the staging environment the copies live in.
pub const STAGING_ENVIRONMENT: &str = "evm-s7a9ing00000000000";

pub fn id_of(name: &str) -> &'static str {
    match name {
        "insurance-navigator-staging-api" => STG_API,
        "insurance-navigator-staging-worker" => STG_WORKER,
        "insurance-navigator-staging-shared" => STG_GROUP,
        other => panic!("no staging id for {other}"),
    }
}

/// A JSON secrets file with a value for every wanted key, per resource.
pub fn secrets_file(dir: &Path, wanted: &[Wanted]) -> std::path::PathBuf {
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

pub fn push(bg: &Background, project: &Path, file: &Path, apply: bool) -> (i32, String, String) {
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
pub fn live(ws: &Workspace, holder: Holder, id: &str, key: &str) -> Option<String> {
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
