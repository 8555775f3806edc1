//! The offline pipeline on the bundled example and on hand-made snapshots.

mod support;

use stageprint::model::Snapshot;
use stageprint::pipeline::Strict;
use support::*;

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

const LATE_2026: &str = r#"
version: 2
workspace: {id: tea-eeeeeeeeeeeeeeeeeeee}
services:
  - id: srv-eeeeeeeeeeeeeeeeeee1
    name: api
    kind: web
    runtime: node
    autoDeployTrigger: commit
    plan: 2c-4g
    region: oregon
    buildCommand: npm ci
    startCommand: node server.js
    domains: [www.acme-prod.example]
    maintenanceMode: {enabled: true, uri: 'https://www.acme-prod.example/maintenance.html'}
    envVars:
      - key: POOLED_URL
        secret: {rule: 'value has credentials inside a URL'}
        refersTo: {resource: database, name: db, property: connectionPoolString, match: exact}
      - key: POOLED_EXTERNAL_URL
        secret: {rule: 'value has credentials inside a URL'}
        refersTo: {resource: database, name: db, property: externalConnectionPoolString, match: exact}
    network:
      hosts: [srv-eeeeeeeeeeeeeeeeeee1, www.acme-prod.example]
  - id: srv-eeeeeeeeeeeeeeeeeee2
    name: worker
    kind: worker
    runtime: node
    autoDeployTrigger: commit
    plan: 1c-2g
    region: oregon
    buildCommand: npm ci
    startCommand: node worker.js
    maintenanceMode: {enabled: true}
databases:
  - id: dpg-eeeeeeeeeeeeeeeeeeee-a
    name: db
    plan: 0.5c-1g
    region: oregon
    connectionPool: pgbouncer
    network:
      hosts: [dpg-eeeeeeeeeeeeeeeeeeee-a]
  - id: dpg-eeeeeeeeeeeeeeeeeeee-b
    name: old
    plan: pro plus
    region: oregon
keyValues:
  - id: red-eeeeeeeeeeeeeeeeeeee
    name: cache
    plan: 1g
    region: oregon
    persistenceMode: journal-snapshot
"#;

/// Render's fields of late 2026 go from the snapshot to the Blueprint, can be overridden,
/// and what would hurt staging (a maintenance page on production's domain, maintenance
/// mode left on) is left out or reported.
#[test]
fn late_2026_fields_are_carried_overridable_and_reported() {
    let snap = Snapshot::from_yaml(LATE_2026, std::path::Path::new("s.yaml")).unwrap();
    let out = run(&snap, "version: 1\nrename: {suffix: -stg}\n");
    assert!(out.blocking.is_empty(), "{:#?}", out.blocking);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    let bp = blueprint(&out);
    let svcs = services(&bp);
    let api = service(&svcs, "api-stg");
    assert_eq!(api["plan"], "2c-4g");
    // The page names production's domain: left out, maintenance mode kept.
    assert_eq!(api["maintenanceMode"], serde_json::json!({"enabled": true}));
    assert_eq!(
        env_var(api, "POOLED_URL")["fromDatabase"],
        serde_json::json!({"name": "db-stg", "property": "connectionPoolString"})
    );
    assert_eq!(
        env_var(api, "POOLED_EXTERNAL_URL")["fromDatabase"],
        serde_json::json!({"name": "db-stg", "property": "connectionPoolString"})
    );
    let worker = service(&svcs, "worker-stg");
    assert_eq!(
        worker["maintenanceMode"],
        serde_json::json!({"enabled": true})
    );
    let cache = service(&svcs, "cache-stg");
    assert_eq!(cache["plan"], "1g");
    assert_eq!(cache["persistenceMode"], "journal-snapshot");
    let dbs = bp["databases"].as_array().unwrap();
    let db = dbs.iter().find(|d| d["name"] == "db-stg").unwrap();
    assert_eq!(db["connectionPool"], "pgbouncer");
    assert_eq!(db["plan"], "0.5c-1g");
    // A legacy Postgres plan is mapped for the new staging database, and says so.
    let old = dbs.iter().find(|d| d["name"] == "old-stg").unwrap();
    assert_eq!(old["plan"], "pro-8gb");
    let steps = &out.staging.manual_steps;
    let step = |kind: &str, res: &str| {
        steps
            .iter()
            .any(|s| format!("{:?}", s.kind) == kind && s.resource == res)
    };
    assert!(step("PlanMapped", "old-stg"), "{steps:#?}");
    assert!(step("MaintenanceOn", "api-stg") && step("MaintenanceOn", "worker-stg"));
    assert!(
        out.staging
            .changes
            .iter()
            .any(|c| c.resource == "api-stg" && c.field == "maintenanceMode"),
        "the page left out is reported"
    );
    assert!(!steps.iter().any(|s| s.what.contains("persistence")));
    assert!(step("NotCopied", "workflows and build sources"));

    // The overlay decides each of them.
    let out = run(
        &snap,
        r#"version: 1
rename: {suffix: -stg}
defaults:
  services: {maintenanceMode: {enabled: false}}
  keyValues: {persistenceMode: "off", plan: 256mb}
resources:
  api: {maintenanceMode: {enabled: true, uri: 'https://status.example.org/staging'}, plan: 0.5c-512mb}
  db: {connectionPool: none, plan: 0.1c-256mb}
"#,
    );
    assert!(out.blocking.is_empty(), "{:#?}", out.blocking);
    let bp = blueprint(&out);
    let svcs = services(&bp);
    assert_eq!(
        service(&svcs, "api-stg")["maintenanceMode"],
        serde_json::json!({"enabled": true, "uri": "https://status.example.org/staging"})
    );
    assert_eq!(service(&svcs, "api-stg")["plan"], "0.5c-512mb");
    assert_eq!(
        service(&svcs, "worker-stg")["maintenanceMode"],
        serde_json::json!({"enabled": false})
    );
    assert_eq!(service(&svcs, "cache-stg")["persistenceMode"], "off");
    assert_eq!(service(&svcs, "cache-stg")["plan"], "256mb");
    let db = bp["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "db-stg")
        .unwrap();
    assert_eq!(db["connectionPool"], "none");
    assert_eq!(db["plan"], "0.1c-256mb");
    assert!(
        !out.staging
            .manual_steps
            .iter()
            .any(|s| format!("{:?}", s.kind) == "MaintenanceOn")
    );
    // The pooled string of a database without a pool is pointed out.
    assert!(
        out.findings
            .iter()
            .any(|f| f.message.contains("connectionPool: none")),
        "{:#?}",
        out.findings
    );
}

/// Overrides for the new fields are checked like every other: the wrong kind of resource,
/// a value outside the list, a page that is not a URL.
#[test]
fn late_2026_overrides_are_checked() {
    let snap = Snapshot::from_yaml(LATE_2026, std::path::Path::new("s.yaml")).unwrap();
    for (overlay, want) in [
        (
            "resources:\n  cache: {maintenanceMode: {enabled: false}}\n",
            "`maintenanceMode` does not apply to a key value",
        ),
        (
            "resources:\n  api: {connectionPool: pgbouncer}\n",
            "`connectionPool` does not apply",
        ),
        (
            "resources:\n  db: {persistenceMode: snapshot}\n",
            "`persistenceMode` does not apply to a database",
        ),
        (
            "resources:\n  cache: {persistenceMode: journal_snapshot}\n",
            "journal_snapshot",
        ),
        (
            "resources:\n  api: {maintenanceMode: {enabled: true, uri: /down.html}}\n",
            "is not an absolute URL",
        ),
    ] {
        let text = format!("version: 1\nrename: {{suffix: -stg}}\n{overlay}");
        let err = match stageprint::overlay::Overlay::parse(&text, std::path::Path::new("o.yaml")) {
            Err(e) => stageprint::overlay::spec::join_errors(&e),
            Ok(o) => {
                match stageprint::pipeline::run(&snap, &o, "staging", &paths(), Strict::Off.into())
                {
                    Ok(_) => panic!("accepted: {overlay}"),
                    Err(e) => e.to_string(),
                }
            }
        };
        assert!(err.contains(want), "{overlay}: {err}");
    }
}
