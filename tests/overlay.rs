//! Overlay transforms, table by table: a small production snapshot, an overlay, and what
//! staging must look like — or the located error the overlay must produce.

mod support;

use stageprint::model::Snapshot;
use stageprint::overlay::{Disposition, StepKind};
use stageprint::pipeline::{self, Strict};
use support::*;

const SNAPSHOT: &str = r#"
version: 1
workspace: {id: tea-aaaaaaaaaaaaaaaaaaaa}
services:
  - id: srv-aaaaaaaaaaaaaaaaaaa1
    name: shop-web
    kind: web
    runtime: node
    slug: shop-web
    repo: https://github.com/acme/shop
    branch: main
    autoDeployTrigger: commit
    plan: standard
    region: oregon
    numInstances: 2
    healthCheckPath: /healthz
    buildCommand: npm ci
    startCommand: npm start
    domains: [shop.acme.example]
    envGroups: [shop-shared]
    envVars:
      - {key: API_URL, value: "https://api.acme.example/v1"}
      - {key: ACME_HOST, value: "acme.example"}
      - {key: DATABASE_URL, secret: {rule: "value has credentials inside a URL"}, refersTo: {resource: database, name: shop-db, property: connectionString, match: exact}}
      - {key: LOG_LEVEL, value: info}
      - {key: PEER, value: shop-worker}
      - {key: STRIPE_KEY, secret: {rule: "key name `*_KEY`"}}
      - {key: WORKER_URL, value: "http://shop-worker:10000", refersTo: {resource: service, name: shop-worker, property: hostport, match: contains}}
    network: {url: "https://shop-web.onrender.com", hosts: [shop-web, shop-web.onrender.com], ports: [10000]}
  - id: srv-aaaaaaaaaaaaaaaaaaa2
    name: shop-worker
    kind: pserv
    runtime: docker
    slug: shop-worker
    autoDeployTrigger: commit
    apiPlan: starter_plus
    region: oregon
    numInstances: 1
    dockerContext: .
    dockerfilePath: ./Dockerfile
    envGroups: [shop-shared]
    envVars:
      - {key: LOG_LEVEL, value: info}
      - {key: QUEUE, value: jobs}
    network: {hosts: [shop-worker], ports: [10000]}
databases:
  - id: dpg-aaaaaaaaaaaaaaaaaaaa-a
    name: shop-db
    plan: standard
    region: oregon
    postgresMajorVersion: "15"
    highAvailability: false
    network: {hosts: [dpg-aaaaaaaaaaaaaaaaaaaa-a], ports: [5432]}
keyValues: []
envGroups:
  - id: evg-aaaaaaaaaaaaaaaaaaaa
    name: shop-shared
    envVars:
      - {key: FLAG_X, value: "false"}
      - {key: DB_IN_GROUP, secret: {rule: "value has credentials inside a URL"}, refersTo: {resource: database, name: shop-db, property: connectionString, match: exact}}
      - {key: SESSION_SECRET, secret: {rule: "key name `*SECRET*`"}}
projects: []
registryCredentials: []
blueprints: []
"#;

fn snap() -> Snapshot {
    Snapshot::from_yaml(SNAPSHOT, std::path::Path::new("small.yaml")).unwrap()
}

const BASE: &str =
    "version: 1\nrename: {suffix: -stg}\nresources:\n  shop-worker: {plan: standard}\n";

fn ok(extra: &str) -> pipeline::Outcome {
    run(&snap(), &format!("{BASE}{extra}"))
}

/// The overlay's errors as `line:col message` strings.
fn errors(overlay_text: &str) -> Vec<String> {
    let o = match stageprint::overlay::Overlay::parse(
        overlay_text,
        std::path::Path::new("overlay.yaml"),
    ) {
        Ok(o) => o,
        Err(errs) => {
            return errs
                .iter()
                .map(|e| format!("{} {}", e.span.pos, e.message))
                .collect();
        }
    };
    match pipeline::run(&snap(), &o, "staging", &paths(), Strict::Off.into()) {
        Ok(_) => panic!("expected errors for:\n{overlay_text}"),
        Err(pipeline::Error::Overlay(errs)) => errs
            .iter()
            .map(|e| format!("{} {}", e.span.pos, e.message))
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

fn has(errors: &[String], needle: &str) -> bool {
    errors.iter().any(|e| e.contains(needle))
}

#[test]
fn renames_follow_names_then_pattern_then_suffix() {
    let out = run(
        &snap(),
        "version: 1\nrename:\n  names: {shop-db: shopdb-staging}\n  pattern: {from: shop-*, to: stg-shop-*}\n  suffix: -x\nresources:\n  shop-worker: {plan: standard}\n",
    );
    let bp = blueprint(&out);
    let svcs = services(&bp);
    service(&svcs, "stg-shop-web");
    assert_eq!(bp["databases"][0]["name"], "shopdb-staging");
    assert_eq!(bp["envVarGroups"][0]["name"], "stg-shop-shared");
    // Renames reach references and literal values naming a resource.
    let web = service(&svcs, "stg-shop-web");
    assert_eq!(
        env_var(web, "DATABASE_URL")["fromDatabase"]["name"],
        "shopdb-staging"
    );
    assert_eq!(env_var(web, "PEER")["value"], "stg-shop-worker");
    assert_eq!(
        env_var(web, "WORKER_URL")["fromService"]["name"],
        "stg-shop-worker"
    );
    assert_eq!(
        env_var(web, "WORKER_URL")["fromService"]["property"],
        "hostport"
    );
}

#[test]
fn a_staging_name_equal_to_a_production_name_is_refused() {
    // Staging touching production is a finding of the Blueprint check (exit 2), located
    // at the rename rule that gave the name, or at the resource when no rule renamed it.
    let b = run(
        &snap(),
        "version: 1\nrename:\n  names: {shop-db: shop-web}\n  suffix: -stg\n",
    )
    .blocking;
    assert!(
        b.iter().any(|f| f.starts_with(
            "overlay.yaml:3:11: error[isolation/name] databases[0].name: database `shop-web`: `shop-web` is the name of production service `shop-web`"
        ) && f.contains("hint: change the rename rule `rename.names.shop-db`")),
        "{b:?}"
    );
    let b = run(&snap(), "version: 1\n").blocking;
    for name in ["shop-web", "shop-worker", "shop-db", "shop-shared"] {
        assert!(
            b.iter().any(|f| f.contains("error[isolation/name]")
                && f.contains(&format!("`{name}` is the name of production"))
                && f.contains("no rename rule applies: the production name is kept")
                && f.contains(&format!(
                    "rename: {{ names: {{ {name}: <staging name> }} }}"
                ))),
            "{name}: {b:?}"
        );
    }
    let e = errors(
        "version: 1\nrename:\n  names: {shop-db: same, shop-web: same}\n  suffix: -s\nresources:\n  shop-worker: {plan: standard}\n",
    );
    assert!(has(&e, "would both be named `same`"), "{e:?}");
}

#[test]
fn unknown_names_are_errors_with_suggestions() {
    let e = errors(&format!("{BASE}  shop-wbe: {{plan: pro}}\n"));
    assert!(
        has(&e, "5:3 resource `shop-wbe` does not exist in production"),
        "{e:?}"
    );
    let e = errors(&format!(
        "{BASE}env:\n  - {{key: LOG_LEVEL, on: [shop-wrker], set: debug}}\n"
    ));
    assert!(
        has(&e, "`shop-wrker` is not a production service or env group"),
        "{e:?}"
    );
    let e = errors(&format!("{BASE}select:\n  exclude: [nope-*]\n"));
    assert!(
        has(&e, "pattern `nope-*` matches no production resource"),
        "{e:?}"
    );
}

#[test]
fn rules_that_match_nothing_are_errors() {
    let e = errors(&format!("{BASE}env:\n  - key: LOG_LEVLE\n    set: debug\n"));
    assert!(
        has(&e, "6:5 env rule `LOG_LEVLE` matches no variable"),
        "{e:?}"
    );
    let e = errors(&format!(
        "{BASE}env:\n  - key: \"*\"\n    replace: {{nowhere.example: x}}\n"
    ));
    assert!(has(&e, "replace rule for `*` changed no value"), "{e:?}");
}

#[test]
fn rules_apply_in_action_order_whatever_the_file_order() {
    let out = ok("env:\n  - {key: LOG_LEVEL, drop: \"noisy\"}\n  - {key: LOG_LEVEL, set: debug}\n");
    let bp = blueprint(&out);
    let web = service(&services(&bp), "shop-web-stg").clone();
    assert!(
        web["envVars"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["key"] != "LOG_LEVEL")
    );
    let rec = out
        .staging
        .env_records
        .iter()
        .find(|r| r.key == "LOG_LEVEL" && r.production_owner == "shop-web")
        .unwrap();
    assert_eq!(rec.disposition, Disposition::Dropped);
    assert!(
        out.staging
            .manual_steps
            .iter()
            .any(|s| s.kind == StepKind::DroppedKey && s.what.starts_with("LOG_LEVEL"))
    );
}

#[test]
fn replace_is_longest_first_and_never_cascades() {
    let out = ok(
        "env:\n  - key: \"*\"\n    replace:\n      acme.example: staging.acme.example\n      api.acme.example: api-staging.acme.example\n",
    );
    let bp = blueprint(&out);
    let web = service(&services(&bp), "shop-web-stg").clone();
    assert_eq!(
        env_var(&web, "API_URL")["value"],
        "https://api-staging.acme.example/v1"
    );
    assert_eq!(env_var(&web, "ACME_HOST")["value"], "staging.acme.example");
}

#[test]
fn secrets_generation_and_rewiring() {
    let out = ok(concat!(
        "env:\n",
        "  - {key: STRIPE_KEY, secret: \"a test-mode key\"}\n",
        "  - {key: SESSION_SECRET, generate: true}\n",
        "  - {key: QUEUE, on: [shop-worker], fromService: {name: shop-web, property: hostport}}\n",
    ));
    let bp = blueprint(&out);
    let svcs = services(&bp);
    let web = service(&svcs, "shop-web-stg");
    assert_eq!(env_var(web, "STRIPE_KEY")["sync"], false);
    let worker = service(&svcs, "shop-worker-stg");
    assert_eq!(
        env_var(worker, "QUEUE")["fromService"],
        serde_json::json!({"type": "web", "name": "shop-web-stg", "property": "hostport"})
    );
    let group = &bp["envVarGroups"][0];
    assert!(
        group["envVars"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "SESSION_SECRET" && v["generateValue"] == true)
    );
}

#[test]
fn group_references_move_onto_the_services() {
    let out = ok("");
    let bp = blueprint(&out);
    let svcs = services(&bp);
    for name in ["shop-web-stg", "shop-worker-stg"] {
        assert_eq!(
            env_var(service(&svcs, name), "DB_IN_GROUP")["fromDatabase"]["name"],
            "shop-db-stg"
        );
    }
    let group = &bp["envVarGroups"][0];
    assert!(
        group["envVars"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["key"] != "DB_IN_GROUP")
    );
    // A group secret is left for the operator, with the exact place to set it.
    assert!(
        out.staging
            .manual_steps
            .iter()
            .any(|s| s.kind == StepKind::GroupSecret && s.what.starts_with("SESSION_SECRET"))
    );
}

#[test]
fn variables_move_into_and_out_of_groups() {
    let out =
        ok("env:\n  - {key: LOG_LEVEL, group: shop-shared}\n  - {key: FLAG_X, ungroup: true}\n");
    let bp = blueprint(&out);
    let group = &bp["envVarGroups"][0];
    assert!(
        group["envVars"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["key"] == "LOG_LEVEL" && v["value"] == "info")
    );
    let svcs = services(&bp);
    assert_eq!(
        env_var(service(&svcs, "shop-worker-stg"), "FLAG_X")["value"],
        "false"
    );
    // Conflicting values cannot both move into one group.
    let e = errors(&format!(
        "{BASE}env:\n  - {{key: LOG_LEVEL, on: [shop-web], set: debug}}\n  - {{key: LOG_LEVEL, group: shop-shared}}\n"
    ));
    assert!(has(&e, "moves into env group `shop-shared`"), "{e:?}");
}

#[test]
fn setting_a_secret_looking_value_is_refused() {
    let e = errors(&format!(
        "{BASE}env:\n  - {{key: STRIPE_KEY, set: sk_live_abcdefgh}}\n"
    ));
    assert!(
        has(
            &e,
            "6:23 the value set for `STRIPE_KEY` looks like a secret"
        ),
        "{e:?}"
    );
}

#[test]
fn overrides_must_fit_the_resource() {
    let e = errors(
        "version: 1\nrename: {suffix: -stg}\nresources:\n  shop-worker:\n    plan: standard\n    healthCheckPath: /x\n  shop-db:\n    plan: basic-1g\n",
    );
    assert!(
        has(
            &e,
            "6:5 `healthCheckPath` does not apply to a pserv service (docker)"
        ),
        "{e:?}"
    );
    assert!(
        has(&e, "8:5 `basic-1g` is not a valid plan for a database"),
        "{e:?}"
    );
}

#[test]
fn plans_without_a_blueprint_spelling_are_mapped_and_reported() {
    let out = run(&snap(), "version: 1\nrename: {suffix: -stg}\n");
    let bp = blueprint(&out);
    assert_eq!(
        service(&services(&bp), "shop-worker-stg")["plan"],
        "standard"
    );
    // Legacy Postgres `standard` cannot be used for a new database.
    assert_eq!(bp["databases"][0]["plan"], "basic-1gb");
    let mapped: Vec<_> = out
        .staging
        .manual_steps
        .iter()
        .filter(|s| s.kind == StepKind::PlanMapped)
        .collect();
    assert_eq!(mapped.len(), 2, "{mapped:?}");
}

#[test]
fn excluding_a_referenced_resource_is_an_error_unless_decided() {
    let e = errors(&format!("{BASE}select:\n  exclude: [shop-db]\n"));
    assert!(
        has(
            &e,
            "DATABASE_URL on service `shop-web` points at production database `shop-db`, which is not copied"
        ),
        "{e:?}"
    );
    let out = ok(
        "select:\n  exclude: [shop-db]\nenv:\n  - {key: DATABASE_URL, secret: \"a staging database URL\"}\n  - {key: DB_IN_GROUP, drop: \"not needed\"}\n",
    );
    assert!(out.staging.not_copied.iter().any(|n| n.name == "shop-db"));
}

#[test]
fn scaling_replaces_instance_counts() {
    let out =
        ok("  shop-web:\n    scaling: {minInstances: 1, maxInstances: 3, targetCPUPercent: 70}\n");
    let bp = blueprint(&out);
    let web = service(&services(&bp), "shop-web-stg").clone();
    assert!(web.get("numInstances").is_none());
    assert_eq!(web["scaling"]["maxInstances"], 3);
}

#[test]
fn strict_mode_names_undecided_secrets() {
    let o = overlay(BASE);
    let out = pipeline::run(&snap(), &o, "staging", &paths(), Strict::Secrets.into()).unwrap();
    assert_eq!(out.blocking.len(), 2, "{:?}", out.blocking);
    assert!(out.blocking.iter().any(|b| b.contains("`STRIPE_KEY`")));
    let all = pipeline::run(&snap(), &o, "staging", &paths(), Strict::All.into()).unwrap();
    assert!(all.blocking.len() > out.blocking.len());
}

#[test]
fn changed_values_carry_comments_naming_the_rule_never_secrets() {
    let out =
        ok("env:\n  - {key: LOG_LEVEL, set: debug}\n  - {key: STRIPE_KEY, secret: \"test key\"}\n");
    let text = file(&out.files, "render.yaml");
    assert!(
        text.contains("- key: LOG_LEVEL  # env set `LOG_LEVEL`; production: \"info\""),
        "{text}"
    );
    assert!(
        text.contains("- key: STRIPE_KEY  # env secret `STRIPE_KEY`\n"),
        "{text}"
    );
    // Positions belong to the report: a line added to the overlay rewrites no comment.
    assert!(!text.contains("overlay.yaml:"), "{text}");
    assert!(file(&out.files, "report-details.md").contains("overlay.yaml:6:5"));
}
