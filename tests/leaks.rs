//! Leak tests: a workspace with a unique canary (`cnry…`) in every secret position —
//! service and env-group variables, secret files, Postgres and Key Value connection info,
//! credentials inside URLs, a multi-line PEM — must not leak one into the snapshot, any
//! generated file, the report, any log line at `-vv`, any error message or any panic or
//! debug output.

mod support;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use support::*;

const CANARY: &str = "cnry";

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(CANARY),
        "a canary leaked into {what}:\n{text}"
    );
}

fn canary_dir() -> std::path::PathBuf {
    root().join("tests/fixtures/canary/api")
}

/// A project whose production snapshot is the canary workspace.
fn project(overlay: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("generated")).unwrap();
    fs::create_dir_all(d.join("overlays")).unwrap();
    let snap = snapshot_from_fixtures(&canary_dir(), Some(b"leak-test-key"));
    fs::write(d.join("generated/production.snapshot.yaml"), snap.to_yaml()).unwrap();
    fs::write(
        d.join("stageprint.yaml"),
        "version: 1\nproduction:\n  owner: tea-cug8b72uaosc738btprg\nenvironments:\n  staging:\n    overlay: overlays/staging.yaml\n    out: generated/staging\n",
    )
    .unwrap();
    fs::write(d.join("overlays/staging.yaml"), overlay).unwrap();
    dir
}

fn all_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push((
                    p.display().to_string(),
                    String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned(),
                ));
            }
        }
    }
    walk(dir, &mut out);
    out
}

fn stageprint(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("stageprint")
        .unwrap()
        .current_dir(dir)
        .env("STAGEPRINT_FINGERPRINT_KEY", "leak-test-key")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_fixture_really_holds_canaries() {
    let raw: String = fs::read_dir(canary_dir())
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(raw.matches(CANARY).count() >= 20);
    assert!(
        raw.contains("BEGIN") && raw.contains("PRIVATE KEY"),
        "a multi-line PEM is among them"
    );
}

#[test]
fn no_canary_in_the_snapshot_with_or_without_fingerprints() {
    assert_clean(
        "the snapshot",
        &snapshot_from_fixtures(&canary_dir(), None).to_yaml(),
    );
    assert_clean(
        "the fingerprinted snapshot",
        &snapshot_from_fixtures(&canary_dir(), Some(b"k")).to_yaml(),
    );
}

#[test]
fn no_canary_in_generated_files_logs_or_messages() {
    let overlays = [
        // Defaults only.
        "version: 1\nrename: {suffix: -staging}\n",
        // Every kind of rule touching secret variables.
        "version: 1\nrename: {suffix: -staging}\nenv:\n  - {key: \"*SECRET*\", secret: a staging secret}\n  - {key: \"*_KEY\", generate: true}\n  - {key: \"*PASSPHRASE*\", drop: not in staging}\n  - {key: \"*_URL\", on: [canary-worker], secret: a staging URL}\n  - {key: MAPS_CLIENT, set: maps-staging}\n",
    ];
    for overlay in overlays {
        let p = project(overlay);
        let out = stageprint(p.path(), &["-vv", "generate"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(p.path().join("generated/staging/report.md").is_file());
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean("generate's output at -vv", &log);
        for (name, text) in all_files(p.path()) {
            assert_clean(&name, &text);
        }
        for args in [
            &["-vv", "generate", "--check"][..],
            &["-vv", "generate", "--strict=all"][..],
            &[
                "-vv",
                "validate",
                "--against-snapshot",
                "generated/production.snapshot.yaml",
            ][..],
            &[
                "-vv",
                "validate",
                "--format",
                "json",
                "--against-snapshot",
                "generated/production.snapshot.yaml",
            ][..],
        ] {
            let out = stageprint(p.path(), args);
            assert_clean(
                &format!("stageprint {args:?}"),
                &String::from_utf8_lossy(&out.stdout),
            );
            assert_clean(
                &format!("stageprint {args:?}"),
                &String::from_utf8_lossy(&out.stderr),
            );
        }
    }
}

#[test]
fn no_canary_in_error_messages() {
    // Errors about secret variables: rules that match nothing near them, bad actions,
    // stale files, and a snapshot that does not parse.
    let p = project(
        "version: 1\nrename: {suffix: -staging}\nenv:\n  - {key: SESSION_SECRT, secret: x}\n  - {key: DATABASE_URL, set: 1, drop: y}\n",
    );
    let out = stageprint(p.path(), &["-vv", "generate"]);
    assert_eq!(out.status.code(), Some(1));
    assert_clean("overlay errors", &String::from_utf8_lossy(&out.stderr));

    let p = project("version: 1\nrename: {suffix: -staging}\n");
    assert_eq!(stageprint(p.path(), &["generate"]).status.code(), Some(0));
    let bp = p.path().join("generated/staging/render.yaml");
    let text = fs::read_to_string(&bp).unwrap();
    fs::write(
        &bp,
        text.replacen("sync: false", "value: cnry9999-typed-by-hand", 1),
    )
    .unwrap();
    let out = stageprint(p.path(), &["generate", "--check"]);
    assert_eq!(out.status.code(), Some(2));
    // The diff shows the file on disk (which a person edited), never a production secret.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("cnry0"), "{stdout}");

    let snapshot = p.path().join("generated/production.snapshot.yaml");
    let broken = fs::read_to_string(&snapshot)
        .unwrap()
        .replace("    secret:\n", "    secret: [\n");
    fs::write(&snapshot, broken).unwrap();
    let out = stageprint(p.path(), &["generate"]);
    assert_eq!(out.status.code(), Some(1));
    assert_clean(
        "snapshot parse errors",
        &String::from_utf8_lossy(&out.stderr),
    );
}

#[test]
fn no_canary_in_debug_output_of_what_holds_them() {
    let raw = stageprint::snapshot::fixtures::load_dir(&canary_dir()).unwrap();
    assert_clean("RawWorkspace Debug", &format!("{raw:?}"));
    for s in &raw.services {
        assert_clean("env var Debug", &format!("{:?}", s.env_vars));
        assert_clean("secret file Debug", &format!("{:?}", s.secret_files));
    }
    for p in &raw.postgres {
        assert_clean("connection info Debug", &format!("{:?}", p.connection));
    }
    for k in &raw.key_values {
        assert_clean("connection info Debug", &format!("{:?}", k.connection));
    }
    for g in &raw.env_groups {
        assert_clean("env group Debug", &format!("{g:?}"));
    }
    // A panic inside the pipeline would print these models; they hold no secret values.
    let snap = snapshot_from_fixtures(&canary_dir(), Some(b"k"));
    assert_clean("Snapshot Debug", &format!("{snap:?}"));
    let out = run(&snap, "version: 1\nrename: {suffix: -staging}\n");
    assert_clean("Staging Debug", &format!("{:?}", out.staging));
}

#[test]
fn no_canary_in_refusals_of_secret_looking_overlay_values() {
    for overlay in [
        // A set that adds a variable, one that replaces a value, a command, a header.
        "version: 1\nrename: {suffix: -staging}\nenv:\n  - {key: NEW_KEY, on: [canary-web], set: cnry0901Zx8Kq2Lm9Np4Rt7Vw3Yb6}\n",
        "version: 1\nrename: {suffix: -staging}\nenv:\n  - {key: LOG_LEVEL, set: \"https://hooks.slack.com/services/T0/B0/cnry0902abc\"}\n",
        "version: 1\nrename: {suffix: -staging}\nresources:\n  canary-web:\n    startCommand: \"node server.js --token cnry0903\"\n",
    ] {
        let p = project(overlay);
        let out = stageprint(p.path(), &["-vv", "generate"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("looks like a secret")
                || stderr.contains("looks like it holds a secret"),
            "{stderr}"
        );
        assert_clean("the refusal", &stderr);
        assert_clean("stdout", &String::from_utf8_lossy(&out.stdout));
        assert!(!p.path().join("generated/staging").exists());
    }
}
