//! `stageprint validate` from the outside: exit codes 0/1/2, what it prints, formats, the
//! default files from the config, and `--against-snapshot`.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn stageprint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("stageprint").unwrap();
    cmd.current_dir(dir)
        .env_remove("STAGEPRINT_FINGERPRINT_KEY");
    cmd
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

#[test]
fn a_valid_blueprint_exits_0() {
    let out = stageprint(repo())
        .args(["validate", "tests/validate/good-every-kind.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(stdout(&out), "0 errors, 0 warnings in 1 file\n");
}

#[test]
fn findings_exit_2_with_located_messages_and_no_values() {
    let out = stageprint(repo())
        .args(["validate", "tests/validate/bad-schema.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("tests/validate/bad-schema.yaml:5:5: error[schema] services[0].env: unknown key `env` in `services[0]`\n  hint: `env` is the old name of `runtime`"), "{text}");
    assert!(
        text.contains(
            "tests/validate/bad-schema.yaml:27:5: error[schema] databases[0].plan: `plan` cannot be `basic_256mb`"
        ),
        "{text}"
    );
    assert!(text.trim_end().ends_with("in 1 file"), "{text}");
    assert!(!text.contains("CANARY"), "{text}");
}

#[test]
fn warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("render.yaml");
    fs::write(
        &file,
        "services:\n  - type: redis\n    name: cache\n    ipAllowList: []\n",
    )
    .unwrap();
    let out = stageprint(dir.path())
        .args(["validate", "render.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains(
            "render.yaml:2:5: warning[deprecated] services[0].type: `type: redis` is deprecated"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn unreadable_or_unparsable_files_exit_1_naming_the_place() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.yaml"),
        "services:\n  - type: web\n    name: [unclosed\n",
    )
    .unwrap();
    fs::write(dir.path().join("dup.yaml"), "services: []\nservices: []\n").unwrap();
    let out = stageprint(dir.path())
        .args(["validate", "broken.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: broken.yaml:4:1: invalid YAML"),
        "{}",
        stderr(&out)
    );
    let out = stageprint(dir.path())
        .args(["validate", "dup.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("dup.yaml:2:1: duplicate key `services`"),
        "{}",
        stderr(&out)
    );
    let out = stageprint(dir.path())
        .args(["validate", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read Blueprint missing.yaml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_output_is_a_stable_array() {
    let out = stageprint(repo())
        .args([
            "validate",
            "--format",
            "json",
            "tests/validate/bad-fields-for-type.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &v.as_array().unwrap()[0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "file", "line", "column", "severity", "rule", "path", "message", "hint"
        ]
    );
    assert_eq!(first["file"], "tests/validate/bad-fields-for-type.yaml");
}

#[test]
fn markdown_output_is_a_table() {
    let out = stageprint(repo())
        .args([
            "validate",
            "--format",
            "markdown",
            "tests/validate/bad-plans-and-sizes.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.starts_with("## stageprint validate\n\n| | where | rule | finding |"),
        "{text}"
    );
}

#[test]
fn default_files_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("stageprint.yaml"),
        "version: 1\nproduction:\n  owner: tea-x\nenvironments:\n  staging:\n    overlay: overlays/staging.yaml\n    out: generated/staging\n",
    )
    .unwrap();
    let out = stageprint(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no Blueprint at generated/staging/render.yaml"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("run `stageprint generate`"));

    fs::create_dir_all(dir.path().join("generated/staging")).unwrap();
    fs::copy(
        repo().join("tests/validate/good-insurance-navigator-staging.yaml"),
        dir.path().join("generated/staging/render.yaml"),
    )
    .unwrap();
    let out = stageprint(dir.path()).arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn against_snapshot_refuses_production_identities() {
    let dir = tempfile::tempdir().unwrap();
    let staging =
        fs::read_to_string(repo().join("tests/validate/good-insurance-navigator-staging.yaml"))
            .unwrap();
    fs::write(dir.path().join("ok.yaml"), &staging).unwrap();
    let leaky = staging.replace(
        "value: https://api.staging.insurancenavigator.example\n",
        "value: https://api.insurancenavigator.example\n",
    );
    fs::write(dir.path().join("leaky.yaml"), leaky).unwrap();
    let snapshot = repo().join("generated/production.snapshot.yaml");
    let snapshot = snapshot.to_str().unwrap();

    let out = stageprint(dir.path())
        .args(["validate", "--against-snapshot", snapshot, "ok.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let out = stageprint(dir.path())
        .args(["validate", "--against-snapshot", snapshot, "leaky.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(
        text.contains("leaky.yaml:30:17: error[isolation/literal] projects[0].environments[0].services[0].envVars[1].value: service `insurance-navigator-staging-api`: env var `API_BASE_URL` contains custom domain `api.insurancenavigator.example` of production service `insurance-navigator-api`"),
        "{text}"
    );
    assert!(
        text.contains("replace: { api.insurancenavigator.example: <staging value> }"),
        "{text}"
    );

    let out = stageprint(dir.path())
        .args(["validate", "--against-snapshot", "nope.yaml", "ok.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read snapshot nope.yaml"));
}

#[test]
fn against_production_reads_the_snapshot_the_config_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir_all(d.join("generated/staging")).unwrap();
    fs::copy(
        repo().join("generated/production.snapshot.yaml"),
        d.join("generated/prod.yaml"),
    )
    .unwrap();
    // The snapshot path is quoted and commented, as valid YAML may write it.
    fs::write(
        d.join("stageprint.yaml"),
        "version: 1\nproduction:\n  owner: tea-x\nsnapshot: \"generated/prod.yaml\" # production\nenvironments:\n  staging:\n    overlay: overlays/staging.yaml\n    out: generated/staging\n",
    )
    .unwrap();
    let staging =
        fs::read_to_string(repo().join("tests/validate/good-insurance-navigator-staging.yaml"))
            .unwrap();
    let leaky = staging.replace(
        "value: https://api.staging.insurancenavigator.example\n",
        "value: https://api.insurancenavigator.example\n",
    );
    fs::write(d.join("generated/staging/render.yaml"), &staging).unwrap();
    let out = stageprint(d)
        .args(["validate", "--against-production"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    fs::write(d.join("generated/staging/render.yaml"), &leaky).unwrap();
    let out = stageprint(d)
        .args(["validate", "--against-production"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("error[isolation/literal]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    for args in [
        &["validate", "--no-such-flag"][..],
        &[
            "validate",
            "--against-production",
            "--against-snapshot",
            "x.yaml",
        ],
        &["no-such-command"],
    ] {
        let out = stageprint(repo()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("error:"), "{args:?}");
    }
    let out = stageprint(repo())
        .args(["validate", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("--against-production"));
}
