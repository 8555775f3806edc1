//! The offline pipeline on the bundled example and on hand-made snapshots.

mod common;

use common::*;
use stageprint::model::Snapshot;

#[test]
fn bundled_snapshot_is_what_normalisation_yields() {
    let snap = snapshot_from_fixtures(&root().join("tests/fixtures/insurance-navigator/api"), None);
    let committed =
        std::fs::read_to_string(root().join("generated/production.snapshot.yaml")).unwrap();
    assert!(
        snap.to_yaml() == committed,
        "generated/production.snapshot.yaml differs from the normalised fixtures"
    );
}

#[test]
fn snapshot_file_round_trips() {
    let snap = bundled_snapshot();
    let text = snap.to_yaml();
    let back = Snapshot::from_yaml(&text, std::path::Path::new("s.yaml")).unwrap();
    assert_eq!(back, snap);
}

const INSURANCE_OVERLAY: &str = include_str!("../overlays/staging.yaml");

#[test]
fn bundled_example_meets_the_staging_spec() {
    let out = run(&bundled_snapshot(), INSURANCE_OVERLAY);
    let bp = blueprint(&out);
    let svcs = services(&bp);
    let api = service(&svcs, "insurance-navigator-staging-api");
    let worker = service(&svcs, "insurance-navigator-staging-worker");
    // Identical build, runtime, health check, region, plan and instance counts.
    assert_eq!(api["runtime"], "node");
    assert_eq!(api["buildCommand"], "npm ci && npm run build");
    assert_eq!(api["startCommand"], "node dist/server.js");
    assert_eq!(api["preDeployCommand"], "npm run db:migrate");
    assert_eq!(api["healthCheckPath"], "/health");
    assert_eq!(api["region"], "oregon");
    assert_eq!(api["plan"], "standard");
    assert_eq!(api["numInstances"], 2);
    assert_eq!(worker["numInstances"], 1);
    assert_eq!(worker["maxShutdownDelaySeconds"], 60);
    // Auto-deploy off, staging domain.
    assert_eq!(api["autoDeployTrigger"], "off");
    assert_eq!(worker["autoDeployTrigger"], "off");
    assert_eq!(
        api["domains"],
        serde_json::json!(["api.staging.insurancenavigator.example"])
    );
    // Staging database and queue.
    assert_eq!(
        env_var(api, "DATABASE_URL")["fromDatabase"]["name"],
        "insurance-navigator-staging-db"
    );
    assert_eq!(
        env_var(worker, "REDIS_URL")["fromService"]["name"],
        "insurance-navigator-staging-queue"
    );
    assert_eq!(
        env_var(worker, "REDIS_URL")["fromService"]["type"],
        "keyvalue"
    );
    // Staging endpoints, operator-provided test keys, logging.
    assert_eq!(
        env_var(api, "API_BASE_URL")["value"],
        "https://api.staging.insurancenavigator.example"
    );
    assert_eq!(env_var(api, "STRIPE_SECRET_KEY")["sync"], false);
    assert_eq!(env_var(api, "OPENAI_API_KEY")["sync"], false);
    assert_eq!(env_var(worker, "LOG_LEVEL")["value"], "debug");
    assert!(
        api["envVars"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["fromGroup"] == "insurance-navigator-staging-shared")
    );
    // Placed in its own project environment, network-isolated.
    let env = &bp["projects"][0]["environments"][0];
    assert_eq!(env["name"], "staging");
    assert_eq!(env["networking"]["isolation"], "enabled");
}

#[test]
fn every_production_env_var_has_one_disposition() {
    let snap = bundled_snapshot();
    let out = run(&snap, INSURANCE_OVERLAY);
    let mut expected: Vec<(String, String)> = Vec::new();
    for s in &snap.services {
        expected.extend(s.env_vars.iter().map(|v| (s.name.clone(), v.key.clone())));
    }
    for g in &snap.env_groups {
        expected.extend(g.env_vars.iter().map(|v| (g.name.clone(), v.key.clone())));
    }
    expected.sort();
    let mut got: Vec<(String, String)> = out
        .staging
        .env_records
        .iter()
        .filter(|r| r.disposition != stageprint::overlay::Disposition::Added)
        .map(|r| (r.production_owner.clone(), r.key.clone()))
        .collect();
    got.sort();
    assert_eq!(got, expected);
}

/// Shuffle every list of a snapshot deterministically (a fixed-seed LCG).
fn shuffled(mut snap: Snapshot, seed: u64) -> Snapshot {
    fn shuffle<T>(v: &mut [T], state: &mut u64) {
        for i in (1..v.len()).rev() {
            *state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let j = (*state >> 33) as usize % (i + 1);
            v.swap(i, j);
        }
    }
    let mut st = seed;
    shuffle(&mut snap.services, &mut st);
    for s in &mut snap.services {
        shuffle(&mut s.env_vars, &mut st);
        shuffle(&mut s.env_groups, &mut st);
        shuffle(&mut s.domains, &mut st);
        shuffle(&mut s.secret_files, &mut st);
    }
    shuffle(&mut snap.databases, &mut st);
    shuffle(&mut snap.key_values, &mut st);
    shuffle(&mut snap.env_groups, &mut st);
    for g in &mut snap.env_groups {
        shuffle(&mut g.env_vars, &mut st);
    }
    snap
}

#[test]
fn output_is_deterministic_whatever_the_input_order() {
    let snap = bundled_snapshot();
    let reference = concat(&run(&snap, INSURANCE_OVERLAY).files);
    for seed in 1..8 {
        let again = concat(&run(&shuffled(snap.clone(), seed), INSURANCE_OVERLAY).files);
        assert!(again == reference, "seed {seed} changed the output");
    }
}

#[test]
fn generated_files_are_lf_with_one_trailing_newline_and_a_header() {
    let out = run(&bundled_snapshot(), INSURANCE_OVERLAY);
    for f in &out.files {
        assert!(!f.contents.contains('\r'), "{}", f.path.display());
        assert!(
            f.contents.ends_with('\n') && !f.contents.ends_with("\n\n"),
            "{}",
            f.path.display()
        );
        if !f.path.ends_with("report.json") {
            assert!(
                f.contents
                    .lines()
                    .next()
                    .unwrap()
                    .contains("@generated by stageprint"),
                "{}",
                f.path.display()
            );
        }
    }
}

#[test]
fn minimal_overlay_is_enough() {
    let out = run(
        &bundled_snapshot(),
        "version: 1\nrename:\n  suffix: -staging\n",
    );
    let bp = blueprint(&out);
    let svcs = services(&bp);
    let api = service(&svcs, "insurance-navigator-api-staging");
    // Production's custom domain is never claimed by staging.
    assert_eq!(api["domains"], serde_json::json!([]));
    assert_eq!(
        env_var(api, "DATABASE_URL")["fromDatabase"]["name"],
        "insurance-navigator-db-staging"
    );
    // Secrets default to operator-provided.
    assert_eq!(env_var(api, "STRIPE_SECRET_KEY")["sync"], false);
    assert_eq!(out.report.summary.defaulted_secrets, 6);
}

/// A cron job's pre-deploy command is a Blueprint field since Render's
/// schema of September 2026: carried, not left as a manual step.
#[test]
fn a_cron_jobs_pre_deploy_command_is_carried() {
    let snap = Snapshot::from_yaml(
        r#"
version: 1
workspace: {id: tea-eeeeeeeeeeeeeeeeeeee}
services:
  - id: crn-eeeeeeeeeeeeeeeeeee1
    name: nightly
    kind: cron
    runtime: node
    autoDeployTrigger: commit
    plan: starter
    region: oregon
    schedule: "0 3 * * *"
    buildCommand: npm ci
    startCommand: node nightly.js
    preDeployCommand: node migrate.js
"#,
        std::path::Path::new("s.yaml"),
    )
    .unwrap();
    let out = run(&snap, "version: 1\nrename: {suffix: -stg}\n");
    let bp = blueprint(&out);
    let svcs = services(&bp);
    let cron = service(&svcs, "nightly-stg");
    assert_eq!(cron["preDeployCommand"], "node migrate.js");
    assert!(
        !out.staging
            .manual_steps
            .iter()
            .any(|s| s.what.contains("pre-deploy")),
        "{:#?}",
        out.staging.manual_steps
    );
}
