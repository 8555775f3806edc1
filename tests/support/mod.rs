//! Support shared by the integration tests: the fake Render API and paths.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod fake_render;

use std::path::PathBuf;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The recorded insurance-navigator responses.
pub fn insurance_navigator() -> PathBuf {
    repo().join("tests/fixtures/insurance-navigator/api")
}

/// `../shared`, the read-only reference data, when present. Cross-checks against it run
/// when it exists; in CI (`CI=true`) its absence is a failure, not a skip.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = repo().join("../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} is missing, and CI=true requires the cross-checks against it",
            dir.display()
        );
    }
    eprintln!("note: {} is missing; cross-check skipped", dir.display());
    None
}
