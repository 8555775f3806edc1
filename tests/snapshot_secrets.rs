//! Secrets never leave memory: canary values planted in every place the API returns
//! secrets (service env vars, env groups, secret files, Postgres and Key Value connection
//! info, a preview's values, a start and a pre-deploy command, the API key, the fingerprint
//! key) must appear in no file, no
//! stdout, no log line at `-vv`, and no error message — on success and on failure.

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::json;
use support::fake_render::{Background, Fault, Faults, Settings, Workspace};

const API_SERVICE: &str = "srv-d05lq8uuk2gs73c9ohe0";
const DATABASE: &str = "dpg-d05lp1euk2gs73c9o9k0-a";
const KEY_VALUE: &str = "red-d05lp3muk2gs73c9oa80";
const GROUP: &str = "evg-d05lr0muk2gs73c9oj30";
const MARK: &str = "CANARY";

/// The fixture workspace with a canary in each secret-bearing place.
fn planted() -> Workspace {
    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    ws.add_preview_of(API_SERVICE);
    let vars = ws.env_vars.get_mut(API_SERVICE).unwrap();
    vars.push(json!({"key": "PAYMENT_PROVIDER_KEY", "value": "sk_live_CANARY1serviceEnvVar000"}));
    vars.push(json!({"key": "INTERNAL_SIGNING_SECRET", "value": "CANARY2-signing-secret"}));
    vars.push(json!({"key": "WEBHOOK_AUTH", "value": "xoxb-CANARY3-slack-token"}));
    for v in vars.iter_mut().filter(|v| v["key"] == "DATABASE_URL") {
        v["value"] = json!(format!(
            "postgresql://insurance_navigator_user:CANARY4pgPassword0000@{DATABASE}/insurance_navigator"
        ));
    }
    ws.secret_files
        .get_mut(API_SERVICE)
        .unwrap()
        .push(json!({"name": "key.pem", "content": "-----BEGIN PRIVATE KEY-----\nCANARY5secretFile\n-----END PRIVATE KEY-----\n"}));
    let group = ws.env_group_details.get_mut(GROUP).unwrap();
    group["envVars"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "PARTNER_API_KEY", "value": "CANARY6groupValueAbcdefgh"}));
    group["secretFiles"] =
        json!([{"name": "gcp.json", "content": "{\"private_key\": \"CANARY7groupFile\"}"}]);
    // Commands cannot be `sync: false`: a secret in one is kept only as a redaction.
    let command = "node dist/server.js --token sk_live_CANARY12startCommand";
    for s in ws
        .services
        .iter_mut()
        .filter(|s| s["id"] == API_SERVICE)
        .chain(ws.service_details.get_mut(API_SERVICE))
    {
        let details = &mut s["serviceDetails"]["envSpecificDetails"];
        details["startCommand"] = json!(command);
        details["preDeployCommand"] =
            json!("curl -H 'Authorization: Bearer CANARY13x7Rb2Tz9Lm4Kp8' x");
    }
    let pg = ws.postgres_connections.get_mut(DATABASE).unwrap();
    for field in [
        "internalConnectionString",
        "externalConnectionString",
        "psqlCommand",
    ] {
        pg[field] = json!(
            pg[field]
                .as_str()
                .unwrap()
                .replace("fakepgpasswordNOTREAL0000000000x", "CANARY4pgPassword0000")
        );
    }
    pg["password"] = json!("CANARY4pgPassword0000");
    let kv = ws.key_value_connections.get_mut(KEY_VALUE).unwrap();
    for field in ["externalConnectionString", "cliCommand"] {
        kv[field] = json!(
            kv[field]
                .as_str()
                .unwrap()
                .replace("fakekvpasswordNOTREAL0000000000x", "CANARY8kvPassword0000")
        );
    }
    ws
}

const API_KEY: &str = "rnd_CANARY9apiKey000000000";

fn settings() -> Settings {
    Settings {
        api_key: API_KEY.into(),
        ..Settings::default()
    }
}

fn snapshot(bg: &Background, out: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .current_dir(support::root())
        .env_remove("STAGEPRINT_LOG")
        .env("RENDER_API_KEY", API_KEY)
        .env("STAGEPRINT_FINGERPRINT_KEY", "CANARY10fingerprintKey")
        .args(["-vv", "snapshot", "--api-url", &bg.fake.url(), "--out"])
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

/// Every canary is absent from every output.
fn assert_clean(output: &Output, files: &[&Path]) {
    let streams = [("stdout", &output.stdout), ("stderr", &output.stderr)];
    for (name, bytes) in streams {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(MARK), "a canary reached {name}:\n{text}");
        assert!(
            !text.contains("preview-canary-value"),
            "a preview value reached {name}"
        );
    }
    for f in files {
        if let Ok(text) = std::fs::read_to_string(f) {
            assert!(
                !text.contains(MARK),
                "a canary reached {}:\n{text}",
                f.display()
            );
        }
    }
}

#[test]
fn a_successful_snapshot_at_vv_leaks_nothing() {
    let bg = Background::start(planted(), settings());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.yaml");
    let output = snapshot(&bg, &out, &["--explain-secrets"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // The run did read the canaries, and logged at debug level with request ids.
    assert!(stderr.contains("request_id="), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    for key in [
        "PAYMENT_PROVIDER_KEY",
        "INTERNAL_SIGNING_SECRET",
        "WEBHOOK_AUTH",
        "PARTNER_API_KEY",
        "key.pem",
        "gcp.json",
    ] {
        assert!(
            text.contains(key),
            "{key} is in the snapshot (without its value)"
        );
    }
    assert!(text.contains("hmac-sha256:"), "fingerprints are recorded");
    assert!(
        text.contains("field: startCommand") && text.contains("field: preDeployCommand"),
        "the commands are recorded as redacted"
    );
    assert_clean(&output, &[&out]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn retried_faults_at_vv_leak_nothing() {
    let settings = Settings {
        faults: Faults {
            every: 2,
            kinds: vec![
                Fault::Garbage,
                Fault::Truncated,
                Fault::Status(502),
                Fault::Reset,
            ],
            ..Faults::default()
        },
        ..settings()
    };
    let bg = Background::start(planted(), settings);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.yaml");
    let output = snapshot(&bg, &out, &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("retrying"));
    assert_clean(&output, &[&out]);
}

#[test]
fn a_body_of_the_wrong_shape_fails_without_quoting_it() {
    let mut ws = planted();
    // A value where the API promises a number: serde would quote it in its message.
    ws.services[0]["serviceDetails"]["numInstances"] = json!("CANARY11wrongShape");
    let bg = Background::start(ws, settings());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.yaml");
    std::fs::write(&out, "previous\n").unwrap();
    let output = snapshot(&bg, &out, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("GET /services?ownerId="), "{stderr}");
    assert!(
        stderr.contains("does not have the shape stageprint expects"),
        "{stderr}"
    );
    assert!(
        stderr.contains("at `[0]`: service: serviceDetails of srv-d05lq8uuk2gs73c9ohe0 (web_service): invalid type: string \"…\", expected u32"),
        "the error says where and what, without the value: {stderr}"
    );
    assert_clean(&output, &[&out]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
}

#[test]
fn a_failure_after_secrets_were_read_leaks_nothing() {
    let mut settings = settings();
    // Everything but the Key Value's connection info succeeds.
    settings
        .faults
        .status_on
        .push((format!("/v1/key-value/{KEY_VALUE}/connection-info"), 403));
    let bg = Background::start(planted(), settings);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.yaml");
    let output = snapshot(&bg, &out, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("403 Forbidden (request id "), "{stderr}");
    assert_clean(&output, &[&out]);
    assert!(!out.exists());
}
