//! Golden tests: the whole generated output of each end-to-end case, snapshotted. A case
//! is a fixture workspace (recorded API responses) plus an overlay in `tests/cases/<name>/`.
//! Review changes with `cargo insta review`.

mod support;

use support::*;

fn case(name: &str, fixtures: &str) -> String {
    let snap = snapshot_from_fixtures(
        &root().join("tests/fixtures").join(fixtures).join("api"),
        None,
    );
    let text = std::fs::read_to_string(root().join("tests/cases").join(name).join("overlay.yaml"))
        .unwrap();
    let out = run(&snap, &text);
    assert!(out.blocking.is_empty(), "{name}: {:#?}", out.blocking);
    let mut all = format!("===== production.snapshot.yaml =====\n{}", snap.to_yaml());
    all.push_str(&concat(&out.files));
    all
}

#[test]
fn harbor() {
    insta::assert_snapshot!("harbor", case("harbor", "harbor"));
}

#[test]
fn insurance_navigator() {
    // The bundled example, from its recorded responses through the bundled overlay.
    let snap = snapshot_from_fixtures(&root().join("tests/fixtures/insurance-navigator/api"), None);
    let out = run(&snap, include_str!("../overlays/staging.yaml"));
    insta::assert_snapshot!("insurance_navigator", concat(&out.files));
}

/// Every Blueprint stageprint generates validates against Render's published schema as
/// served in September 2026 (`../shared/render-blueprint-2026-09.schema.json`, the
/// reference), as well as ours. (The April 2026 copy lacks fields production now has,
/// such as Key Value `persistenceMode`, so it is no longer a bar.)
#[test]
fn generated_blueprints_validate_against_renders_published_schema() {
    let Some(shared) = shared_dir() else { return };
    let file = "render-blueprint-2026-09.schema.json";
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shared.join(file)).unwrap()).unwrap();
    let render = jsonschema::draft202012::new(&schema).unwrap();
    generated_blueprints_validate_against(&render, file);
}

fn generated_blueprints_validate_against(render: &jsonschema::Validator, file: &str) {
    let ours = stageprint::validate::schema::Schema::ours();
    let harbor = snapshot_from_fixtures(&root().join("tests/fixtures/harbor/api"), None);
    let insurance = bundled_snapshot();
    let harbor_overlay =
        std::fs::read_to_string(root().join("tests/cases/harbor/overlay.yaml")).unwrap();
    let cases = [
        (
            "insurance-navigator",
            &insurance,
            include_str!("../overlays/staging.yaml").to_string(),
        ),
        (
            "insurance-navigator, minimal overlay",
            &insurance,
            "version: 1\nrename: {suffix: -staging}\n".to_string(),
        ),
        ("harbor", &harbor, harbor_overlay),
        (
            "harbor, minimal overlay",
            &harbor,
            "version: 1\nrename: {suffix: -staging}\n".to_string(),
        ),
    ];
    for (name, snap, overlay) in cases {
        let out = run(snap, &overlay);
        assert!(out.blocking.is_empty(), "{name}: {:#?}", out.blocking);
        let bp = blueprint(&out);
        let errors: Vec<String> = render
            .iter_errors(&bp)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name} fails Render's schema ({file}): {errors:#?}"
        );
        assert!(ours.is_valid(&bp), "{name} fails our schema");
    }
    // The committed bundled output, byte for byte what a user syncs.
    let committed: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root().join("generated/staging/render.yaml")).unwrap(),
    )
    .unwrap();
    assert!(
        render.is_valid(&committed),
        "the committed Blueprint fails {file}"
    );
}
