//! Every secret shape, each with a unique canary (`cnry…`), planted in every position the
//! Render API returns — service env vars, env group vars, secret files, build, start,
//! pre-deploy and Docker commands, static-site headers, Postgres connection info — in the
//! harbor workspace (every resource type). A snapshot through the fake API at `-vv` and
//! `generate` at `-vv` must leave no canary in any file, stream, log line or error.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};
use support::fake_render::{Background, Settings, Workspace};

const CANARY: &str = "cnry";
const OWNER: &str = "tea-ccgopu0284us738686pg";
const API_KEY: &str = "rnd_testKeyForTheFakeApi000000";

/// Value shapes that are secret whatever key they sit under.
const SHAPES: &[&str] = &[
    "sk_live_cnry01Xq7Rb2Tz9Lm4Kp8",
    "Bearer sk_live_cnry02Xq7Rb2Tz9Lm4Kp8",
    "token ghp_cnry03Xq7Rb2Tz9Lm4Kp8Ab3Cd",
    "github_pat_11cnry04Xq7Rb2Tz9Lm4Kp8",
    "glpat-cnry05Xq7Rb2Tz9Lm4Kp8",
    "xoxb-1234-cnry06Xq7Rb2Tz9Lm4Kp8",
    "AKIACNRY07EXAMPLE7QZ",
    "AIzacnry08Xq7Rb2Tz9Lm4Kp8Ab3Cd5Ef7Gh9",
    "SG.cnry09Xq7Rb2Tz9Lm.4Kp8Ab3Cd5Ef7Gh9",
    "sk-proj-cnry10Xq7Rb2Tz9Lm4Kp8",
    "npm_cnry11Xq7Rb2Tz9Lm4Kp8Ab3Cd5Ef7Gh9",
    "rnd_cnry12Xq7Rb2Tz9Lm4Kp8",
    "whsec_cnry13Xq7Rb2Tz9Lm4Kp8",
    "shpat_cnry14Xq7Rb2Tz9Lm4Kp8",
    "hf_cnry15Xq7Rb2Tz9Lm4Kp8Ab3Cd",
    "-----BEGIN RSA PRIVATE KEY-----\ncnry16Xq7Rb2Tz9Lm4Kp8\n-----END RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbnJ5MTcifQ.cnry17Xq7Rb2Tz9Lm4Kp8",
    r#"{"auth":{"jwt":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.cnry18Xq7Rb2"}}"#,
    "Basic Y25yeTE5dXNlcjpwYXNzd29yZA==cnry19",
    "https://ghp_cnry20Xq7Rb2Tz9Lm4Kp8Ab@github.com/acme/app.git",
    "https://cnry21Xq7Rb2Tz9Lm4Kp8Ab3@github.com/acme/app.git",
    "postgres://app:cnry22/pa@ss@db.example.com:5432/app",
    "amqp://user:cnry23hunter2@mq.example.com/vhost",
    "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cnry24abcdefghijklmn",
    "https://discord.com/api/webhooks/123456789012345678/cnry25AbCdEf",
    "https://acme.webhook.office.com/webhookb2/1a2b/IncomingWebhook/cnry26",
    "https://hooks.zapier.com/hooks/catch/123456/cnry27/",
    "https://hooks.example.net/in/cnry28Xq7Rb2Tz9Lm4Kp8Ab3Cd",
    "https://b.s3.amazonaws.com/f.pdf?X-Amz-Algorithm=AWS4&X-Amz-Signature=cnry29",
    "https://acct.blob.core.windows.net/c/f?sv=2022&sig=cnry30%2Bdef",
    "https://api.example.com/v1?api_key=cnry31",
    "https://api.example.com/v1?access_token=cnry32&x=1",
    "https://maps.example.com/js?key=cnry33",
    "wss://stream.example.com/feed?token=cnry34",
    "/callback?signature=cnry35",
    "host=db.example.com port=5432 password=cnry36 dbname=app",
    r#"{"user":"app","password":"cnry37"}"#,
    r#"[{"name":"a","apiKey":"cnry38"}]"#,
    "cnry39AvPmamLYqoETjPfT8luXZipSxsMpXSXlw7cXlUAx4Qw=",
    "cnry409f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b8",
    "prefix:cnry41Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1",
    "a-9Fk2_cnry42Lq8Zr4-Pw7Yt3_Nx6Vb1-Hc5",
    "--password cnry43",
    "DB_PASSWORD=cnry44 ./start",
    r#"./run --config '{"db":{"password":"cnry45"}}'"#,
];

fn harbor() -> PathBuf {
    support::root().join("tests/fixtures/harbor/api")
}

fn set_commands(v: &mut Value, shape: &str) -> usize {
    let mut n = 0;
    match v {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if matches!(
                    k.as_str(),
                    "buildCommand" | "startCommand" | "preDeployCommand" | "dockerCommand"
                ) && v.is_string()
                {
                    *v = json!(shape);
                    n += 1;
                } else {
                    n += set_commands(v, shape);
                }
            }
        }
        Value::Array(a) => {
            for v in a {
                n += set_commands(v, shape);
            }
        }
        _ => {}
    }
    n
}

/// The harbor workspace with `shapes[0]` in every command and header, and every shape in
/// env vars, env groups, secret files and connection info.
fn planted(commands: &str) -> Workspace {
    let mut ws = Workspace::from_dir(&harbor());
    let mut n = 0;
    for s in &mut ws.services {
        n += set_commands(s, commands);
    }
    for d in ws.service_details.values_mut() {
        n += set_commands(d, commands);
    }
    assert!(n >= 6, "commands of several services: {n}");
    let mut headers = 0;
    for list in ws.headers.values_mut() {
        for h in list.iter_mut() {
            h["value"] = json!(commands);
            headers += 1;
        }
    }
    assert!(headers > 0);
    for (i, shape) in SHAPES.iter().enumerate() {
        for vars in ws.env_vars.values_mut() {
            vars.push(json!({"key": format!("PLANTED_{i}"), "value": shape}));
        }
        for files in ws.secret_files.values_mut() {
            files.push(json!({"name": format!("planted-{i}.txt"), "content": shape}));
        }
        for g in ws.env_group_details.values_mut() {
            g["envVars"]
                .as_array_mut()
                .unwrap()
                .push(json!({"key": format!("PLANTED_{i}"), "value": shape}));
        }
    }
    for c in ws.postgres_connections.values_mut() {
        c["password"] = json!("cnry99Xq7Rb2Tz9Lm4Kp8");
        for f in [
            "internalConnectionString",
            "externalConnectionString",
            "psqlCommand",
        ] {
            if let Some(s) = c[f].as_str() {
                c[f] =
                    json!(s.replace("FAKEharborPgNOTREAL4c1d9e7b02a6f3", "cnry99Xq7Rb2Tz9Lm4Kp8"));
            }
        }
    }
    ws
}

/// An overlay that sets every command field and the headers of every service that has
/// them, so that generate can proceed and its files can be searched.
fn deciding_overlay(ws: &Workspace) -> String {
    let mut text = String::from("version: 1\nrename: {suffix: -staging}\nresources:\n");
    for s in &ws.services {
        let id = s["id"].as_str().unwrap();
        let detail = ws.service_details.get(id).unwrap_or(s);
        let mut fields = std::collections::BTreeSet::new();
        collect_commands(detail, &mut fields);
        collect_commands(s, &mut fields);
        let has_headers = ws.headers.get(id).is_some_and(|h| !h.is_empty());
        if fields.is_empty() && !has_headers {
            continue;
        }
        text.push_str(&format!("  {}:\n", s["name"].as_str().unwrap()));
        for f in fields {
            text.push_str(&format!("    {f}: ./staging-{f}\n"));
        }
        if has_headers {
            text.push_str("    headers: []\n");
        }
    }
    text
}

fn collect_commands(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if matches!(
                    k.as_str(),
                    "buildCommand" | "startCommand" | "preDeployCommand" | "dockerCommand"
                ) && v.as_str().is_some_and(|s| !s.is_empty())
                {
                    out.insert(k.clone());
                } else {
                    collect_commands(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_commands(v, out)),
        _ => {}
    }
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("overlays")).unwrap();
    std::fs::write(
        dir.path().join("stageprint.yaml"),
        format!("version: 1\nproduction:\n  owner: {OWNER}\nenvironments:\n  staging:\n    overlay: overlays/staging.yaml\n    out: generated/staging\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("overlays/staging.yaml"),
        "version: 1\nrename: {suffix: -staging}\n",
    )
    .unwrap();
    dir
}

fn stageprint(dir: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .current_dir(dir)
        .env_remove("STAGEPRINT_LOG")
        .env("RENDER_API_KEY", API_KEY)
        .env("STAGEPRINT_FINGERPRINT_KEY", "shape-test-key")
        .args(args)
        .output()
        .unwrap()
}

/// Case-insensitive: an AWS key id carries its canary in capitals.
fn assert_clean(what: &str, text: &str) {
    if let Some(i) = text.to_ascii_lowercase().find(CANARY) {
        let start = text[..i].char_indices().rev().nth(80).map_or(0, |(j, _)| j);
        panic!(
            "a canary reached {what}: …{}…",
            &text[start..(i + 12).min(text.len())]
        );
    }
}

fn all_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
            ));
        }
    }
}

#[test]
fn the_table_is_large_and_each_canary_unique() {
    assert!(SHAPES.len() >= 40);
    for (i, s) in SHAPES.iter().enumerate() {
        let s = s.to_ascii_lowercase();
        assert!(s.contains(CANARY), "{s}");
        for (j, t) in SHAPES.iter().enumerate() {
            if i != j {
                let tag = &s[s.find(CANARY).unwrap()..][..6];
                assert!(!t.to_ascii_lowercase().contains(tag), "{tag} twice");
            }
        }
    }
}

#[test]
fn every_shape_in_every_position_leaks_nowhere() {
    // Each round puts one shape in every command and header (a command holds one value),
    // and all shapes in the positions that take many.
    for (round, commands) in SHAPES.iter().enumerate() {
        let bg = Background::start(
            planted(commands),
            Settings {
                api_key: API_KEY.into(),
                ..Settings::default()
            },
        );
        let p = project();
        let snap = p.path().join("generated/production.snapshot.yaml");
        let url = bg.fake.url();
        let out = stageprint(
            p.path(),
            &["-vv", "snapshot", "--api-url", &url, "--explain-secrets"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "round {round}: {stderr}");
        assert_clean("snapshot's stderr", &stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_clean("snapshot's stdout", &stdout);
        assert!(
            stdout.contains("startCommand  ")
                && stdout.contains("(not carried: the overlay must set it)"),
            "--explain-secrets lists the redacted commands: {stdout}"
        );
        let text = std::fs::read_to_string(&snap).unwrap();
        assert_clean("the snapshot", &text);
        assert!(
            text.contains("PLANTED_0"),
            "the planted keys are in the snapshot"
        );
        assert!(
            text.contains("field: startCommand") && text.contains("field: headers"),
            "round {round}: commands and headers are recorded as redacted"
        );

        // generate refuses to carry the redacted commands and headers, naming them.
        let out = stageprint(p.path(), &["-vv", "generate"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "round {round}: {stderr}");
        assert!(stderr.contains("holds a secret in production"), "{stderr}");
        assert_clean("generate's stderr", &stderr);
        assert_clean("generate's stdout", &String::from_utf8_lossy(&out.stdout));

        // With every command and header decided, generate writes its files: no canary in
        // any of them (env vars, env groups and secret files are all operator-provided).
        if round == 0 {
            let overlay = deciding_overlay(&planted(commands));
            std::fs::write(p.path().join("overlays/staging.yaml"), &overlay).unwrap();
            let out = stageprint(p.path(), &["-vv", "generate"]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{overlay}\n{stderr}");
            assert_clean("generate's stderr", &stderr);
            assert_clean("generate's stdout", &String::from_utf8_lossy(&out.stdout));
            let bp =
                std::fs::read_to_string(p.path().join("generated/staging/render.yaml")).unwrap();
            assert!(bp.contains("PLANTED_0") && bp.contains("./staging-startCommand"));
        }
        let mut files = Vec::new();
        all_files(p.path(), &mut files);
        for (name, text) in &files {
            assert_clean(name, text);
        }
    }
}
