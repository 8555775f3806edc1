//! Where the cross-checks against `../shared` (Render's Blueprint schema and OpenAPI
//! document, recorded API samples, the Blueprint corpus) find their data, and whether their
//! absence is a failure.
//!
//! They run whenever `../shared` is present. A fresh clone (a GitHub runner, with
//! `CI=true` and no `../shared`) skips them; `STAGEPRINT_REQUIRE_CROSS_CHECKS=1`, which
//! `.ci/run` sets, turns a missing `../shared` or a missing cross-check tool into a failure.

#![allow(dead_code)]

use std::path::PathBuf;

/// The variable that makes the cross-checks required.
pub const REQUIRE_VAR: &str = "STAGEPRINT_REQUIRE_CROSS_CHECKS";

/// Whether the cross-checks must run (fail rather than skip).
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `../shared`, when present; `None` (with a note) when absent and not required.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !required(),
        "{} is missing, and {REQUIRE_VAR}=1 requires the cross-checks against it",
        dir.display()
    );
    eprintln!("note: {} is missing; cross-check skipped", dir.display());
    None
}

/// Whether a cross-check whose tool (`what`) is unavailable may be skipped; panics when the
/// cross-checks are required.
pub fn skip_missing_tool(what: &str) {
    assert!(
        !required(),
        "{REQUIRE_VAR}=1 requires {what} for a cross-check"
    );
    eprintln!("note: {what} not found; cross-check skipped");
}
