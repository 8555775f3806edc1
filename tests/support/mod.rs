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

#[path = "../cross_check/mod.rs"]
mod cross_check;
#[allow(unused_imports)]
pub use cross_check::shared_dir;
