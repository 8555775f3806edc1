//! `stageprint validate --remote` through the binary against the fake Render API: Render's
//! verdict is merged with the local findings, and a staging resource that a first sync
//! would adopt instead of create is an error.

mod support;

use serde_json::json;
use support::fake_render::{Background, Fault, Settings, Workspace};

const STAGING_API: &str = "insurance-navigator-staging-api";

fn production() -> Workspace {
    Workspace::from_dir(&support::insurance_navigator())
}

fn validate(bg: &Background, project: &std::path::Path, extra: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", bg.fake.key())
        .current_dir(project)
        .args(["validate", "--remote", "--api-url"])
        .arg(bg.fake.url())
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stdout.contains(bg.fake.key()) && !stderr.contains(bg.fake.key()),
        "the API key was printed"
    );
    (out.status.code().unwrap(), stdout, stderr)
}

/// A service named like the staging api already in the workspace, and no Blueprint.
fn with_leftover(ws: &mut Workspace) -> String {
    let mut s = ws.services[0].clone();
    let id = "srv-l3ft0verst4g1ng0000".to_string();
    s["id"] = json!(id);
    s["name"] = json!(STAGING_API);
    ws.services.push(s);
    id
}

#[test]
fn a_blueprint_render_would_create_whole_passes_and_says_the_first_sync_needs_approval() {
    let project = support::example_project();
    let bg = Background::start(production(), Settings::default());
    let (code, stdout, stderr) = validate(&bg, project.path(), &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stderr.contains("waits for a person to approve"), "{stderr}");
    let posts: Vec<_> = bg
        .fake
        .served()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, "/v1/blueprints/validate");
}

#[test]
fn a_resource_the_sync_would_adopt_is_an_error_naming_it() {
    let project = support::example_project();
    let mut ws = production();
    let id = with_leftover(&mut ws);
    let bg = Background::start(ws, Settings::default());
    let (code, stdout, stderr) = validate(&bg, project.path(), &[]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("render/adopt"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains(STAGING_API) && line.contains(&id), "{line}");
    assert!(line.starts_with("generated/staging/render.yaml:"), "{line}");

    // The same in JSON, for tools.
    let (code, stdout, _) = validate(&bg, project.path(), &["--format", "json"]);
    assert_eq!(code, 2);
    let findings: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "render/adopt"),
        "{stdout}"
    );
}

#[test]
fn a_later_sync_of_the_same_blueprint_is_not_an_adoption_but_another_blueprint_is() {
    let project = support::example_project();
    for (path, ok) in [
        ("generated/staging/render.yaml", true),
        ("infra/other/render.yaml", false),
    ] {
        let mut ws = production();
        let id = with_leftover(&mut ws);
        ws.blueprints.push(json!({
            "id": "exs-b1uepr1nt000000000", "name": "staging", "status": "created",
            "autoSync": true, "repo": "https://github.com/acme/infra", "branch": "main",
            "path": path
        }));
        ws.blueprint_details.insert(
            "exs-b1uepr1nt000000000".into(),
            json!({
                "id": "exs-b1uepr1nt000000000", "name": "staging", "path": path,
                "resources": [{"id": id, "name": STAGING_API, "type": "web_service"}]
            }),
        );
        let bg = Background::start(ws, Settings::default());
        let (code, stdout, stderr) = validate(&bg, project.path(), &[]);
        if ok {
            assert_eq!(code, 0, "{path}: {stdout}\n{stderr}");
        } else {
            assert_eq!(code, 2, "{path}: {stdout}\n{stderr}");
            assert!(
                stdout.contains("already managed by Blueprint `staging`"),
                "{stdout}"
            );
        }
    }
}

#[test]
fn renders_errors_are_merged_with_their_line_and_column() {
    let project = support::example_project();
    let bg = Background::start(production(), Settings::default());
    bg.fake.faults().blueprint_errors = vec![json!({
        "path": "projects[0].environments[0].services[0].plan",
        "line": 22, "column": 19, "error": "invalid plan \"standard-xl\""
    })];
    let (code, stdout, stderr) = validate(&bg, project.path(), &[]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("generated/staging/render.yaml:22:19: error[render]"),
        "{stdout}"
    );
    assert!(stdout.contains("Render: invalid plan"), "{stdout}");
}

#[test]
fn a_flaky_api_gives_the_same_verdict_and_a_wrong_key_a_clear_error() {
    let project = support::example_project();
    let mut settings = Settings::default();
    settings.faults.every = 1;
    settings.faults.kinds = vec![Fault::Status(503), Fault::Reset];
    let bg = Background::start(production(), settings);
    let (code, stdout, stderr) = validate(&bg, project.path(), &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    let bg = Background::start(production(), Settings::default());
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", "rnd_wrongKeyCanary00000000000")
        .current_dir(project.path())
        .args(["validate", "--remote", "--api-url"])
        .arg(bg.fake.url())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/blueprints/validate"), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("wrongKeyCanary"), "{stderr}");
}
