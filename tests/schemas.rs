//! The JSON Schemas in `schemas/` are derived from the Rust types that read those files;
//! these tests keep the committed copies current. Regenerate with
//! `STAGEPRINT_UPDATE_SCHEMAS=1 cargo test --test schemas`.

use std::path::Path;

fn check(file: &str, expected: String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    if std::env::var_os("STAGEPRINT_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "schemas/{file} is stale; regenerate it with STAGEPRINT_UPDATE_SCHEMAS=1 cargo test --test schemas"
    );
}

#[test]
fn overlay_schema_is_current() {
    check(
        "overlay.schema.json",
        stageprint::overlay::spec::json_schema(),
    );
}

#[test]
fn snapshot_schema_is_current() {
    check("snapshot.schema.json", stageprint::model::json_schema());
}

#[test]
fn config_schema_is_current() {
    check("config.schema.json", stageprint::config::json_schema());
}

fn validator(file: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

fn yaml_file(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

#[test]
fn bundled_files_validate_against_their_schemas() {
    for (schema, file) in [
        ("overlay.schema.json", "overlays/staging.yaml"),
        ("snapshot.schema.json", "generated/production.snapshot.yaml"),
        ("config.schema.json", "stageprint.yaml"),
    ] {
        let v = validator(schema);
        let doc = yaml_file(file);
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file} against {schema}: {errors:#?}");
    }
}

#[test]
fn schemas_reject_known_bad_documents() {
    let overlay = validator("overlay.schema.json");
    for bad in [
        serde_json::json!({"version": 1, "envv": []}),
        serde_json::json!({"version": 1, "env": [{"key": "A", "sett": "x"}]}),
        serde_json::json!({"version": 1, "defaults": {"services": {"autoDeployTrigger": "never"}}}),
        serde_json::json!({"env": []}),
    ] {
        assert!(!overlay.is_valid(&bad), "overlay schema accepted {bad}");
    }
    let snapshot = validator("snapshot.schema.json");
    assert!(!snapshot.is_valid(&serde_json::json!({"version": 1})));
    assert!(!snapshot.is_valid(&serde_json::json!({"version": 1, "workspace": {"id": "tea-x"}, "services": [{"name": "x"}]})));
}
