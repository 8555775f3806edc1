//! Golden tests: the whole generated output of each end-to-end case, snapshotted. A case
//! is a fixture workspace (recorded API responses) plus an overlay in `tests/cases/<name>/`.
//! Review changes with `cargo insta review`.

mod common;

use common::*;

fn case(name: &str, fixtures: &str) -> String {
    let snap = snapshot_from_fixtures(
        &root().join("tests/fixtures").join(fixtures).join("api"),
        None,
    );
    let text = std::fs::read_to_string(root().join("tests/cases").join(name).join("overlay.yaml"))
        .unwrap();
    let out = run(&snap, &text);
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
