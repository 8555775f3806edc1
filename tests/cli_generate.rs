//! `stageprint generate` from the command line: exit codes, messages, and that a failed
//! run leaves previous output untouched.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use common::{example_project, tree};

fn stageprint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("stageprint").unwrap();
    c.current_dir(dir);
    c
}

#[test]
fn check_passes_on_the_bundled_example() {
    let p = example_project();
    stageprint(p.path())
        .args(["generate", "--check"])
        .assert()
        .code(0);
}

#[test]
fn generate_reproduces_the_committed_files_byte_for_byte() {
    let p = example_project();
    let before = tree(&p.path().join("generated"));
    fs::remove_dir_all(p.path().join("generated/staging")).unwrap();
    stageprint(p.path()).arg("generate").assert().code(0);
    assert_eq!(tree(&p.path().join("generated")), before);
}

#[test]
fn check_reports_stale_missing_and_orphan_files_with_the_fix() {
    let p = example_project();
    let bp = p.path().join("generated/staging/render.yaml");
    let text = fs::read_to_string(&bp)
        .unwrap()
        .replace("numInstances: 2", "numInstances: 3");
    fs::write(&bp, text).unwrap();
    fs::remove_file(p.path().join("generated/staging/report.md")).unwrap();
    fs::write(
        p.path().join("generated/staging/env-groups/old-group.yaml"),
        "x: 1\n",
    )
    .unwrap();
    let out = stageprint(p.path())
        .args(["generate", "--check"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stdout.contains("stale: generated/staging/render.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-            numInstances: 3\n+            numInstances: 2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("missing: generated/staging/report.md"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("orphan (no longer generated): generated/staging/env-groups/old-group.yaml"),
        "{stdout}"
    );
    assert!(stderr.contains("run `stageprint generate`"), "{stderr}");
    // --check writes nothing.
    assert!(!p.path().join("generated/staging/report.md").exists());
}

#[test]
fn generate_removes_orphans_it_owns() {
    let p = example_project();
    let orphan = p.path().join("generated/staging/env-groups/old-group.yaml");
    fs::write(&orphan, "x: 1\n").unwrap();
    stageprint(p.path()).arg("generate").assert().code(0);
    assert!(!orphan.exists());
}

#[test]
fn a_bad_overlay_exits_1_with_its_location_and_touches_nothing() {
    let p = example_project();
    let before = tree(&p.path().join("generated"));
    let overlay = p.path().join("overlays/staging.yaml");
    let text = fs::read_to_string(&overlay)
        .unwrap()
        .replace("    set: debug", "    set: debug\n    sett: x");
    fs::write(&overlay, text).unwrap();
    let out = stageprint(p.path())
        .arg("generate")
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("overlays/staging.yaml:43:5: unknown key `sett` in `env[1]`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `set`?"), "{stderr}");
    assert_eq!(tree(&p.path().join("generated")), before);
}

#[test]
fn a_missing_snapshot_says_how_to_take_one() {
    let p = example_project();
    fs::remove_file(p.path().join("generated/production.snapshot.yaml")).unwrap();
    let out = stageprint(p.path())
        .arg("generate")
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("cannot read snapshot generated/production.snapshot.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("stageprint snapshot"), "{stderr}");
}

#[test]
fn strict_exits_2_and_writes_nothing() {
    let p = example_project();
    let before = tree(&p.path().join("generated"));
    let overlay = p.path().join("overlays/staging.yaml");
    let text = fs::read_to_string(&overlay).unwrap().replace("  - key: OPENAI_API_KEY\n    secret: an OpenAI project key scoped to staging, with a low monthly budget\n", "");
    fs::write(&overlay, text).unwrap();
    let out = stageprint(p.path())
        .args(["generate", "--strict"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("strict: secret `OPENAI_API_KEY` on service `insurance-navigator-api` has no rule deciding it"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(tree(&p.path().join("generated")), before);
    // Without --strict the default applies and generation succeeds.
    stageprint(p.path()).arg("generate").assert().code(0);
}

#[test]
fn out_and_overlay_override_the_config() {
    let p = example_project();
    let out_dir = p.path().join("elsewhere");
    stageprint(p.path())
        .args(["generate", "--env", "staging", "--out"])
        .arg(&out_dir)
        .assert()
        .code(0);
    assert!(out_dir.join("render.yaml").exists());
    let out = stageprint(p.path())
        .args(["generate", "--env", "prod"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("no environment `prod` in stageprint.yaml; it has: staging")
    );
}

#[test]
fn help_explains_with_examples() {
    let out = Command::cargo_bin("stageprint")
        .unwrap()
        .args(["generate", "--help"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Examples:") && text.contains("--check"),
        "{text}"
    );
    let out = Command::cargo_bin("stageprint")
        .unwrap()
        .arg("--help")
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("Exit codes: 0 clean; 2 findings")
    );
}
