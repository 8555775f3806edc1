//! Support shared by the integration tests: paths, the offline pipeline on fixtures, the
//! example project, and the fake Render API.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod fake_render;
pub mod push;

use std::path::{Path, PathBuf};

use stageprint::model::{ConvertOptions, Snapshot, normalise};
use stageprint::output::File;
use stageprint::overlay::Overlay;
use stageprint::pipeline::{self, Outcome, Strict};
use stageprint::render::Paths;
use stageprint::secrets::{Classifier, Fingerprinter};

#[path = "../cross_check/mod.rs"]
pub mod cross_check;
#[allow(unused_imports)]
pub use cross_check::shared_dir;

/// The repository's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The recorded insurance-navigator responses.
pub fn insurance_navigator() -> PathBuf {
    root().join("tests/fixtures/insurance-navigator/api")
}

/// Normalise a directory of recorded API responses with the default secret rules.
pub fn snapshot_from_fixtures(dir: &Path, key: Option<&[u8]>) -> Snapshot {
    let raw = stageprint::snapshot::fixtures::load_dir(dir).unwrap();
    let classifier = Classifier::default();
    let fp = key.and_then(Fingerprinter::new);
    normalise(
        &raw,
        &ConvertOptions {
            classifier: &classifier,
            fingerprinter: fp.as_ref(),
        },
    )
    .0
}

pub fn bundled_snapshot() -> Snapshot {
    let path = root().join("generated/production.snapshot.yaml");
    Snapshot::from_yaml(
        &std::fs::read_to_string(&path).unwrap(),
        Path::new("generated/production.snapshot.yaml"),
    )
    .unwrap()
}

pub fn overlay(text: &str) -> Overlay {
    Overlay::parse(text, Path::new("overlay.yaml"))
        .unwrap_or_else(|e| panic!("{}", stageprint::overlay::spec::join_errors(&e)))
}

pub fn paths() -> Paths {
    Paths {
        out_dir: PathBuf::from("out"),
        snapshot_label: "snapshot.yaml".into(),
        overlay_label: "overlay.yaml".into(),
    }
}

pub fn run(snapshot: &Snapshot, overlay_text: &str) -> Outcome {
    pipeline::run(
        snapshot,
        &overlay(overlay_text),
        "staging",
        &paths(),
        Strict::Off.into(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

pub fn file<'a>(files: &'a [File], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path.ends_with(name))
        .unwrap_or_else(|| panic!("no {name}"))
        .contents
}

/// The rendered Blueprint parsed back.
pub fn blueprint(outcome: &Outcome) -> serde_json::Value {
    serde_yaml::from_str(file(&outcome.files, "render.yaml")).unwrap()
}

/// All services of a Blueprint, at the root or in project environments.
pub fn services(bp: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = bp["services"].as_array().cloned().unwrap_or_default();
    for p in bp["projects"].as_array().into_iter().flatten() {
        for e in p["environments"].as_array().into_iter().flatten() {
            out.extend(e["services"].as_array().cloned().unwrap_or_default());
        }
    }
    out
}

pub fn service<'a>(list: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    list.iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name}"))
}

pub fn env_var<'a>(svc: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    svc["envVars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == key)
        .unwrap_or_else(|| panic!("no {key}"))
}

/// Every file's path and bytes, for whole-output comparisons.
pub fn concat(files: &[File]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("===== {} =====\n{}", f.path.display(), f.contents));
    }
    out
}

/// Every file under `dir` with its bytes, sorted: for "nothing was touched" checks.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push((
                    p.strip_prefix(base).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A copy of the bundled example project (config, overlay, generated files) in a
/// temporary directory.
pub fn example_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("generated"), &dir.path().join("generated"));
    copy_dir(&root().join("overlays"), &dir.path().join("overlays"));
    std::fs::copy(
        root().join("stageprint.yaml"),
        dir.path().join("stageprint.yaml"),
    )
    .unwrap();
    dir
}
