//! `stageprint secrets push` through the binary against the fake Render API: a dry run
//! writes nothing, `--apply` sets exactly the operator-provided keys, production targets
//! and unlisted keys are refused before anything is sent, a failed write is reported and a
//! rerun finishes, and no value ever shows in output.

mod support;

use serde_json::{Value, json};
use stageprint::commands::secrets::Wanted;
use support::fake_render::{Background, Settings, Workspace};
use support::push::*;

#[test]
fn the_bundled_example_has_operator_provided_keys_on_services_and_files() {
    let w = bundled_wanted();
    let api = w
        .iter()
        .find(|w| w.name == "insurance-navigator-staging-api")
        .expect("the api has operator-provided keys");
    assert!(api.keys.contains("STRIPE_SECRET_KEY"), "{w:#?}");
    assert!(
        w.iter()
            .flat_map(|w| &w.keys)
            .any(|k| k.starts_with("file:")),
        "secret files are pushed too: {w:#?}"
    );
}

#[test]
fn dry_run_writes_nothing_and_apply_sets_exactly_the_listed_keys() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let bg = Background::start(workspace(true), Settings::default());

    let (code, stdout, stderr) = push(&bg, project.path(), &file, false);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(bg.fake.writes().is_empty(), "{:?}", bg.fake.writes());
    assert!(stderr.contains("dry run: nothing was written"), "{stderr}");
    for w in &wanted {
        assert!(stdout.contains(&w.name), "{stdout}");
        for k in &w.keys {
            assert!(stdout.contains(k.as_str()), "{k} not listed:\n{stdout}");
        }
    }

    let (code, stdout, stderr) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let expected: usize = wanted.iter().map(|w| w.keys.len()).sum();
    let writes = bg.fake.writes();
    assert_eq!(writes.len(), expected, "{writes:#?}");
    assert!(writes.iter().all(|w| w.starts_with("PUT ")));
    assert!(
        writes
            .iter()
            .all(|w| !w.contains(PROD_API) && !w.contains(PROD_WORKER) && !w.contains(PROD_GROUP)),
        "nothing is written to production: {writes:#?}"
    );
    let ws = bg.fake.workspace();
    for w in &wanted {
        for k in &w.keys {
            assert_eq!(
                live(&ws, w.holder, id_of(&w.name), k),
                Some(canary(&w.name, k)),
                "{} {k}",
                w.name
            );
        }
    }
    // Production's values are what they were.
    assert_eq!(
        ws.env_vars[PROD_API],
        Workspace::from_dir(&support::insurance_navigator()).env_vars[PROD_API]
    );

    // A second run finds everything set and writes nothing.
    let (code, stdout, _) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 0);
    assert_eq!(bg.fake.writes().len(), expected);
    assert!(
        !stdout.contains("  set ") && !stdout.contains("  change "),
        "{stdout}"
    );
}

#[test]
fn a_key_the_report_does_not_list_refuses_the_whole_push_before_any_request() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    for extra in [
        json!({"LOG_LEVEL": "cnryLogLevelValue"}),
        json!({"insurance-navigator-staging-api": {"DATABASE_URL": "cnryDatabaseUrl"}}),
        json!({"insurance-navigator-api": {"STRIPE_SECRET_KEY": "cnryProdName"}}),
    ] {
        let file = secrets_file(project.path(), &wanted);
        let mut all: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            all[k] = v.clone();
        }
        std::fs::write(&file, serde_json::to_vec(&all).unwrap()).unwrap();
        let (code, _, stderr) = push(&bg, project.path(), &file, true);
        assert_eq!(code, 1, "{extra}: {stderr}");
        assert!(stderr.contains("nothing was sent"), "{stderr}");
        assert_eq!(bg.fake.counts().requests, 0, "{extra}: no request at all");
    }
}

#[test]
fn a_staging_name_that_resolves_to_production_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    // The staging name leads to a resource whose id, or whose address, is production's.
    for disguise in ["id", "url", "slug"] {
        let mut ws = workspace(true);
        let s = ws.services.iter_mut().find(|s| s["id"] == STG_API).unwrap();
        match disguise {
            "id" => s["id"] = json!(PROD_API),
            "url" => {
                s["serviceDetails"]["url"] = json!("https://insurance-navigator-api.onrender.com")
            }
            _ => s["slug"] = json!("insurance-navigator-api"),
        }
        let bg = Background::start(ws, Settings::default());
        let (code, _, stderr) = push(&bg, project.path(), &file, true);
        assert_eq!(code, 1, "{disguise}: {stderr}");
        assert!(stderr.contains("is production's"), "{disguise}: {stderr}");
        assert!(stderr.contains("nothing was sent"), "{disguise}: {stderr}");
        assert!(bg.fake.writes().is_empty(), "{disguise}");
    }
}

#[test]
fn a_failed_write_is_reported_and_a_rerun_finishes_the_job() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let bg = Background::start(workspace(true), Settings::default());
    let failing = format!("/v1/services/{STG_API}/env-vars/STRIPE_SECRET_KEY");
    bg.fake.faults().status_on.push((failing.clone(), 403));

    let (code, _, stderr) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("insurance-navigator-staging-api.STRIPE_SECRET_KEY"),
        "{stderr}"
    );
    assert!(stderr.contains("run the same command again"), "{stderr}");
    let total: usize = wanted.iter().map(|w| w.keys.len()).sum();
    let set_lines = stderr.lines().filter(|l| l.starts_with("set ")).count();
    assert_eq!(set_lines, total - 1, "{stderr}");

    bg.fake.faults().status_on.clear();
    let before = bg.fake.writes().len();
    let (code, stdout, stderr) = push(&bg, project.path(), &file, true);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let after = bg.fake.writes();
    assert_eq!(
        after.len() - before,
        1,
        "only the key left is written: {after:#?}"
    );
    assert!(after.last().unwrap().contains("STRIPE_SECRET_KEY"));
}

#[test]
fn a_resource_not_synced_yet_and_keys_missing_from_the_file_exit_2() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    // Only the api's keys, and no worker live.
    let api_only: Vec<Wanted> = wanted
        .iter()
        .filter(|w| w.name == "insurance-navigator-staging-api")
        .cloned()
        .collect();
    let file = secrets_file(project.path(), &api_only);
    let bg = Background::start(workspace(false), Settings::default());
    let (code, stdout, stderr) = push(&bg, project.path(), &file, false);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    if wanted
        .iter()
        .any(|w| w.name == "insurance-navigator-staging-worker")
    {
        assert!(stdout.contains("not found"), "{stdout}");
    }
    assert!(bg.fake.writes().is_empty());
}

#[test]
fn dotenv_from_standard_input_is_read_once_and_never_echoed() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    // Keys that more than one resource lists get the same value from a flat file.
    let mut text = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for w in &wanted {
        for k in &w.keys {
            if seen.insert(k.clone()) {
                text.push_str(&format!("{k}=\"{}\"\n", canary("any", k)));
            }
        }
    }
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"));
    let out = cmd
        .env("RENDER_API_KEY", bg.fake.key())
        .current_dir(project.path())
        .args([
            "secrets",
            "push",
            "--env",
            "staging",
            "--from",
            "-",
            "--apply",
            "--api-url",
        ])
        .arg(bg.fake.url())
        .write_stdin(text)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("cnry"), "{all}");
    let ws = bg.fake.workspace();
    for w in &wanted {
        for k in &w.keys {
            assert_eq!(
                live(&ws, w.holder, id_of(&w.name), k),
                Some(canary("any", k))
            );
        }
    }
}
