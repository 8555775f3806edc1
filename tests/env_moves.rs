//! Moving a variable between a service and an env group decides where it lives, never
//! what it holds: whatever disposition and protection the variable had before the move
//! (operator-provided secret, production value kept out, generated, rewired, carried)
//! it keeps after it, in either direction.

mod support;

use stageprint::model::Snapshot;
use stageprint::overlay::{Disposition, Staging, VarSource};
use support::*;

const SNAPSHOT: &str = r#"
version: 1
workspace: {id: tea-bbbbbbbbbbbbbbbbbbbb}
services:
  - id: srv-bbbbbbbbbbbbbbbbbbb1
    name: app-web
    kind: web
    runtime: node
    autoDeployTrigger: commit
    region: oregon
    numInstances: 1
    buildCommand: npm ci
    startCommand: npm start
    envGroups: [app-other, app-shared]
    envVars:
      - {key: S_PLAIN, value: "info"}
      - {key: S_PROD_DOMAIN, value: "https://www.app.example/callback"}
      - {key: S_PROD_HOST, value: "http://app-worker:10000/jobs"}
      - {key: S_SECRET, secret: {rule: "key name `*SECRET*`"}}
      - {key: S_SECRET_URL, secret: {rule: "value has credentials inside a URL"}}
    domains: [www.app.example]
    network: {url: "https://app-web.onrender.com", hosts: [app-web, app-web.onrender.com], ports: [10000]}
  - id: srv-bbbbbbbbbbbbbbbbbbb2
    name: app-worker
    kind: pserv
    runtime: node
    autoDeployTrigger: commit
    region: oregon
    numInstances: 1
    buildCommand: npm ci
    startCommand: npm start
    envGroups: [app-shared]
    envVars:
      - {key: W_PLAIN, value: "jobs"}
    network: {hosts: [app-worker], ports: [10000]}
databases: []
keyValues: []
projects: []
registryCredentials: []
blueprints: []
envGroups:
  - id: evg-bbbbbbbbbbbbbbbbbbbb
    name: app-shared
    envVars:
      - {key: G_PLAIN, value: "false"}
      - {key: G_PROD_DOMAIN, value: "https://www.app.example/"}
      - {key: G_PROD_ID, value: "srv-bbbbbbbbbbbbbbbbbbb1"}
      - {key: G_SECRET, secret: {rule: "key name `*SECRET*`"}}
      - {key: G_TOKEN, secret: {rule: "token shape"}}
  - id: evg-bbbbbbbbbbbbbbbbbbb2
    name: app-other
    envVars:
      - {key: O_PLAIN, value: "1"}
"#;

const BASE: &str = "version: 1\nrename:\n  suffix: -stg\n";

fn snap() -> Snapshot {
    Snapshot::from_yaml(SNAPSHOT, std::path::Path::new("moves.yaml")).unwrap()
}

/// What a variable holds in staging, wherever it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Form {
    Value(String),
    Operator,
    Generate,
    Reference,
}

fn form(s: &VarSource) -> Form {
    match s {
        VarSource::Value(v) => Form::Value(v.clone()),
        VarSource::Operator(_) => Form::Operator,
        VarSource::Generate => Form::Generate,
        VarSource::FromDatabase { .. } | VarSource::FromService { .. } => Form::Reference,
    }
}

fn in_service(st: &Staging, service: &str, key: &str) -> Option<Form> {
    st.services
        .iter()
        .find(|s| s.service.name == service)?
        .env
        .iter()
        .find(|v| v.key == key)
        .map(|v| form(&v.source))
}

fn in_group(st: &Staging, group: &str, key: &str) -> Option<Form> {
    let g = st.env_groups.iter().find(|g| g.name == group)?;
    if let Some(v) = g.env.iter().find(|v| v.key == key) {
        return Some(form(&v.source));
    }
    g.operator_secrets
        .iter()
        .any(|s| s.key == key)
        .then_some(Form::Operator)
}

#[test]
fn ungroup_keeps_what_the_variable_held_in_its_group() {
    // (key, extra rules, what the group holds before the move).
    let cases: &[(&str, &str, Form)] = &[
        ("G_PLAIN", "", Form::Value("false".into())),
        ("G_PROD_DOMAIN", "", Form::Operator),
        ("G_PROD_ID", "", Form::Operator),
        ("G_SECRET", "", Form::Operator),
        ("G_TOKEN", "", Form::Operator),
        (
            "G_SECRET",
            "  - {key: G_SECRET, generate: true}\n",
            Form::Generate,
        ),
        (
            "G_PROD_DOMAIN",
            "  - {key: G_PROD_DOMAIN, replace: {www.app.example: www.staging.app.example}}\n",
            Form::Value("https://www.staging.app.example/".into()),
        ),
    ];
    for (key, rules, before) in cases {
        let grouped = run(&snap(), &format!("{BASE}env:\n{rules}")).staging;
        let grouped = if rules.is_empty() {
            run(&snap(), BASE).staging
        } else {
            grouped
        };
        assert_eq!(
            in_group(&grouped, "app-shared-stg", key).as_ref(),
            Some(before),
            "{key} in the group, before any move"
        );
        let moved = run(
            &snap(),
            &format!("{BASE}env:\n{rules}  - {{key: {key}, ungroup: true}}\n"),
        )
        .staging;
        for service in ["app-web-stg", "app-worker-stg"] {
            assert_eq!(
                in_service(&moved, service, key).as_ref(),
                Some(before),
                "{key} moved onto {service} with rules {rules:?}"
            );
        }
        assert_eq!(in_group(&moved, "app-shared-stg", key), None, "{key}");
        let record = moved
            .env_records
            .iter()
            .find(|r| r.key == *key && r.production_owner == "app-shared")
            .unwrap();
        assert_eq!(record.disposition, Disposition::MovedToServices, "{key}");
        assert!(record.cause.is_some(), "{key}: the move rule decided it");
    }
}

#[test]
fn group_keeps_what_the_variable_held_on_its_service() {
    let cases: &[(&str, &str, Form)] = &[
        ("S_PLAIN", "", Form::Value("info".into())),
        ("S_PROD_DOMAIN", "", Form::Operator),
        (
            "S_PROD_HOST",
            "",
            Form::Value("http://app-worker-stg:10000/jobs".into()),
        ),
        ("S_SECRET", "", Form::Operator),
        ("S_SECRET_URL", "", Form::Operator),
        (
            "S_SECRET",
            "  - {key: S_SECRET, generate: true}\n",
            Form::Generate,
        ),
        (
            "S_PLAIN",
            "  - {key: S_PLAIN, on: [app-web], set: debug}\n",
            Form::Value("debug".into()),
        ),
    ];
    for (key, rules, before) in cases {
        let stays = run(&snap(), &format!("{BASE}env:\n{rules}")).staging;
        let stays = if rules.is_empty() {
            run(&snap(), BASE).staging
        } else {
            stays
        };
        // S_PROD_HOST names the worker's private host: automatic rewiring keeps it a
        // reference on the service, which a group cannot hold.
        if in_service(&stays, "app-web-stg", key) == Some(Form::Reference) {
            continue;
        }
        assert_eq!(
            in_service(&stays, "app-web-stg", key).as_ref(),
            Some(before),
            "{key} on the service, before any move"
        );
        for group in ["app-shared", "app-other"] {
            let moved = run(
                &snap(),
                &format!("{BASE}env:\n{rules}  - {{key: {key}, on: [app-web], group: {group}}}\n"),
            )
            .staging;
            assert_eq!(
                in_group(&moved, &format!("{group}-stg"), key).as_ref(),
                Some(before),
                "{key} moved into {group} with rules {rules:?}"
            );
            assert_eq!(in_service(&moved, "app-web-stg", key), None, "{key}");
        }
    }
}

#[test]
fn a_production_value_never_reaches_the_blueprint_through_a_move() {
    for overlay in [
        format!("{BASE}env:\n  - {{key: G_PROD_DOMAIN, ungroup: true}}\n"),
        format!("{BASE}env:\n  - {{key: G_PROD_ID, ungroup: true}}\n"),
        format!("{BASE}env:\n  - {{key: S_PROD_DOMAIN, on: [app-web], group: app-other}}\n"),
        format!("{BASE}env:\n  - {{key: 'G_*', ungroup: true}}\n"),
    ] {
        let out = run(&snap(), &overlay);
        assert!(out.blocking.is_empty(), "{overlay}: {:#?}", out.blocking);
        let text = concat(&out.files);
        let blueprint = file(&out.files, "render.yaml");
        for production in ["www.app.example/", "srv-bbbbbbbbbbbbbbbbbbb1"] {
            assert!(
                !blueprint.contains(&format!("value: {production}"))
                    && !blueprint.contains(&format!("value: https://{production}")),
                "{overlay}: {blueprint}"
            );
        }
        assert!(text.contains("sync: false"), "{overlay}: {blueprint}");
    }
}

#[test]
fn a_move_into_a_group_that_holds_the_key_with_another_value_is_an_error() {
    let o = overlay(&format!(
        "{BASE}env:\n  - {{key: O_PLAIN, on: [app-web], set: \"2\"}}\n  - {{key: O_PLAIN, on: [app-web], group: app-other}}\n"
    ));
    let e = stageprint::overlay::apply(&snap(), &o, "staging").unwrap_err();
    let text = stageprint::overlay::spec::join_errors(&e);
    assert!(
        text.contains("`O_PLAIN` moves into env group `app-other`"),
        "{text}"
    );
}

/// A move must not lose the variable: into a group the service does not link, or out of a
/// group no copied service links, is an error located at the rule.
#[test]
fn a_move_that_would_lose_the_variable_is_an_error() {
    let cases = [
        (
            "  - {key: W_PLAIN, on: [app-worker], group: app-other}\n",
            "`W_PLAIN` moves from service `app-worker` into env group `app-other`, which `app-worker` does not link",
        ),
        (
            "  - {key: O_PLAIN, ungroup: true}\n",
            "`O_PLAIN` moves out of env group `app-other` onto the services that link it, but no copied service links `app-other`",
        ),
    ];
    for (i, (rule, message)) in cases.iter().enumerate() {
        // The second case: only app-web links app-other, and app-web is left out.
        let select = if i == 1 {
            "select:\n  exclude: [app-web]\n"
        } else {
            ""
        };
        let overlay_text = format!("{BASE}{select}env:\n{rule}");
        let text = match stageprint::overlay::apply(&snap(), &overlay(&overlay_text), "staging") {
            Ok(_) => panic!("{rule}: the move was accepted"),
            Err(errors) => stageprint::overlay::spec::join_errors(&errors),
        };
        assert!(text.contains(message), "{rule}:\n{text}");
        assert!(text.contains("overlay.yaml:"), "{text}");
    }
}

/// A variable moved into a group is listed in that group's file (with its value and where
/// it came from) and keeps its overlay comment in the Blueprint.
#[test]
fn a_variable_moved_into_a_group_is_in_the_group_file_with_its_provenance() {
    let out = run(
        &snap(),
        &format!(
            "{BASE}env:\n  - {{key: S_PLAIN, on: [app-web], set: warn}}\n  - {{key: S_PLAIN, on: [app-web], group: app-shared}}\n"
        ),
    );
    let file = |suffix: &str| {
        out.files
            .iter()
            .find(|f| f.path.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix}"))
            .contents
            .clone()
    };
    let group = file("env-groups/app-shared-stg.yaml");
    let at = group
        .find("- key: S_PLAIN")
        .expect("the moved key is listed");
    let entry = &group[at..group[at..].find("\n  - ").map_or(group.len(), |e| at + e)];
    assert!(entry.contains("value: warn"), "{entry}");
    assert!(
        entry.contains("moved here from service `app-web`"),
        "{entry}"
    );
    let blueprint = file("render.yaml");
    let line = blueprint
        .lines()
        .find(|l| l.contains("- key: S_PLAIN"))
        .expect("in the Blueprint");
    // Generated files name the rule; its line and column are in the report only.
    assert!(line.contains("# env set `S_PLAIN`"), "{line}");
    assert!(!line.contains("overlay.yaml:"), "{line}");
}
