//! What generate writes never draws a warning from `validate`: a default or a carried
//! production field lands only where it means something, on every fixture workspace and
//! under overlays that set every service default.

mod support;

use stageprint::model::Snapshot;
use support::*;

/// An overlay that sets, for every service, each default a service can take.
const EVERY_DEFAULT: &str = "version: 1
rename: {suffix: -staging}
defaults:
  services:
    autoDeployTrigger: 'off'
    plan: starter
    region: oregon
    numInstances: 1
    maxShutdownDelaySeconds: 60
";

fn warnings(name: &str, snap: &Snapshot, overlay: &str) -> Vec<String> {
    let out = run(snap, overlay);
    assert!(out.blocking.is_empty(), "{name}: {:#?}", out.blocking);
    // The Blueprint as a user would validate it: the command's own reading of the file.
    let text = file(&out.files, "render.yaml");
    let mut found: Vec<String> = out
        .findings
        .iter()
        .filter(|f| !f.is_error())
        .map(|f| show(name, f))
        .collect();
    let (value, locations) =
        stageprint::yaml::to_json(text, std::path::Path::new("render.yaml")).unwrap();
    let doc = stageprint::validate::Document { value, locations };
    found.extend(
        stageprint::validate::validate_document(&doc, &stageprint::validate::Options::default())
            .iter()
            .map(|f| show(&format!("{name} (validate)"), f)),
    );
    found
}

fn show(name: &str, f: &stageprint::validate::Finding) -> String {
    format!(
        "{name}: {}[{}] at {}: {}",
        f.severity.as_str(),
        f.rule,
        f.path,
        f.message
    )
}

#[test]
fn generated_blueprints_draw_no_validator_warning() {
    let mut all = Vec::new();
    let minimal = "version: 1\nrename: {suffix: -staging}\n";
    for fixture in ["insurance-navigator", "harbor", "canary"] {
        let snap = snapshot_from_fixtures(
            &root().join("tests/fixtures").join(fixture).join("api"),
            None,
        );
        all.extend(warnings(
            &format!("{fixture}, minimal overlay"),
            &snap,
            minimal,
        ));
        all.extend(warnings(
            &format!("{fixture}, every default"),
            &snap,
            EVERY_DEFAULT,
        ));
        let case = root()
            .join("tests/cases")
            .join(fixture)
            .join("overlay.yaml");
        if let Ok(text) = std::fs::read_to_string(&case) {
            all.extend(warnings(
                &format!("{fixture}, its case overlay"),
                &snap,
                &text,
            ));
        }
    }
    all.extend(warnings(
        "insurance-navigator, the bundled overlay",
        &bundled_snapshot(),
        include_str!("../overlays/staging.yaml"),
    ));
    assert!(all.is_empty(), "{all:#?}");
}
