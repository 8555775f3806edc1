//! Secrets and production values a reviewer must decide: commands and headers that held a
//! secret in production, overlay `set` values that look secret (added or replacing), and
//! carried values that reach external integrations or name production.

mod support;

use std::path::Path;

use stageprint::model::{Redacted, Snapshot};
use stageprint::overlay::Overlay;
use stageprint::pipeline::{self, Strict};
use support::*;

const BASE: &str = "version: 1\nrename:\n  suffix: -staging\n";

fn apply_errors(snapshot: &Snapshot, text: &str) -> String {
    let o = Overlay::parse(text, Path::new("overlay.yaml")).unwrap();
    match pipeline::run(snapshot, &o, "staging", &paths(), Strict::Off.into()) {
        Ok(out) => panic!(
            "expected a refusal, got files; blocking: {:#?}",
            out.blocking
        ),
        Err(e) => e.to_string(),
    }
}

fn with_redacted_start_command() -> Snapshot {
    let mut snap = bundled_snapshot();
    let api = snap
        .services
        .iter_mut()
        .find(|s| s.name == "insurance-navigator-api")
        .unwrap();
    api.start_command = None;
    api.redacted.push(Redacted {
        field: "startCommand".into(),
        header: None,
        rule: "value shape: GitHub token".into(),
        fingerprint: None,
    });
    snap
}

#[test]
fn a_command_that_held_a_secret_is_refused_naming_service_and_field() {
    let err = apply_errors(&with_redacted_start_command(), BASE);
    assert!(
        err.contains("`startCommand` of service `insurance-navigator-api`"),
        "{err}"
    );
    assert!(err.contains("value shape: GitHub token"), "{err}");
    assert!(err.contains("sync: false"), "{err}");
    assert!(err.contains("env var"), "{err}");
    assert!(
        err.contains("resources.insurance-navigator-api.startCommand"),
        "{err}"
    );
}

#[test]
fn an_overlay_command_lets_generate_proceed_and_is_what_staging_runs() {
    let out = run(
        &with_redacted_start_command(),
        &format!(
            "{BASE}resources:\n  insurance-navigator-api:\n    startCommand: node server.js --token $API_TOKEN\n"
        ),
    );
    let bp = blueprint(&out);
    let api = service(&services(&bp), "insurance-navigator-api-staging").clone();
    assert_eq!(api["startCommand"], "node server.js --token $API_TOKEN");
}

#[test]
fn a_command_the_overlay_sets_is_classified_too() {
    let err = apply_errors(
        &bundled_snapshot(),
        &format!(
            "{BASE}resources:\n  insurance-navigator-api:\n    startCommand: \"curl -H 'Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543' x\"\n"
        ),
    );
    assert!(err.contains("overlay.yaml:6:5"), "{err}");
    assert!(err.contains("looks like it holds a secret"), "{err}");
    assert!(!err.contains("8f14e45fceea167a5a36dedd4bea2543"), "{err}");
}

#[test]
fn a_header_that_held_a_secret_is_refused_until_the_overlay_sets_headers() {
    let mut snap = bundled_snapshot();
    let api = snap
        .services
        .iter_mut()
        .find(|s| s.name == "insurance-navigator-api")
        .unwrap();
    api.redacted.push(Redacted {
        field: "headers".into(),
        header: Some("X-Api-Key on /*".into()),
        rule: "name word `KEY`".into(),
        fingerprint: None,
    });
    let err = apply_errors(&snap, BASE);
    assert!(
        err.contains("header X-Api-Key on /* of service `insurance-navigator-api`"),
        "{err}"
    );
    assert!(
        err.contains("resources.insurance-navigator-api.headers"),
        "{err}"
    );
}

#[test]
fn a_set_that_adds_a_variable_passes_the_same_test_as_one_that_replaces() {
    for (key, on) in [
        ("NEW_VALUE", "on: [insurance-navigator-api], "),
        ("LOG_LEVEL", ""),
    ] {
        let err = apply_errors(
            &bundled_snapshot(),
            &format!("{BASE}env:\n  - {{key: {key}, {on}set: \"Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1\"}}\n"),
        );
        assert!(err.contains("overlay.yaml:5"), "{err}");
        assert!(
            err.contains(&format!(
                "the value set for `{key}` looks like a secret (opaque value)"
            )),
            "{err}"
        );
        assert!(err.contains("secret:"), "{err}");
        assert!(err.contains(&format!("allow: [{{target: {key}")), "{err}");
        assert!(!err.contains("Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1"), "{err}");
        // By key name alone, added or replacing.
    }
    let err = apply_errors(
        &bundled_snapshot(),
        &format!(
            "{BASE}env:\n  - {{key: PARTNER_WEBHOOK, on: [insurance-navigator-api], set: \"x\"}}\n"
        ),
    );
    assert!(err.contains("key name word `WEBHOOK`"), "{err}");
}

#[test]
fn an_allowance_with_a_reason_accepts_an_opaque_set_value_but_never_a_token() {
    let out = run(
        &bundled_snapshot(),
        &format!(
            "{BASE}env:\n  - {{key: BUILD_ID, on: [insurance-navigator-api], set: \"Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1\"}}\nallow:\n  - {{target: BUILD_ID, reason: a public build id}}\n"
        ),
    );
    let bp = blueprint(&out);
    let api = service(&services(&bp), "insurance-navigator-api-staging").clone();
    assert_eq!(
        env_var(&api, "BUILD_ID")["value"],
        "Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1"
    );
    let err = apply_errors(
        &bundled_snapshot(),
        &format!(
            "{BASE}env:\n  - {{key: BUILD_ID, on: [insurance-navigator-api], set: \"ghp_16C7e42F292c6912E7710c838347Ae178B4a\"}}\nallow:\n  - {{target: BUILD_ID, reason: no}}\n"
        ),
    );
    assert!(err.contains("GitHub token"), "{err}");
    assert!(!err.contains("allow: ["), "{err}");
}

#[test]
fn carried_values_naming_production_are_listed_and_undecided() {
    let snap = snapshot_from_fixtures(&root().join("tests/fixtures/harbor/api"), None);
    let out = run(&snap, BASE);
    let report: serde_json::Value = serde_json::from_str(file(&out.files, "report.json")).unwrap();
    let named: Vec<&str> = report["review"]["productionNamed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    for key in ["APP_ENV", "RAILS_ENV"] {
        assert!(named.contains(&key), "{key} in {named:?}");
    }
    let bundled = run(&bundled_snapshot(), BASE);
    let bundled: serde_json::Value =
        serde_json::from_str(file(&bundled.files, "report.json")).unwrap();
    assert!(
        bundled["review"]["productionNamed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == "SENTRY_ENVIRONMENT" && r["value"] == "production"),
        "SENTRY_ENVIRONMENT carried from an env group is listed: {}",
        bundled["review"]
    );
    assert!(!named.contains(&"NODE_ENV"), "{named:?}");
    let domains: Vec<&str> = report["review"]["externalEndpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["domain"].as_str().unwrap())
        .collect();
    assert!(domains.contains(&"edi-partner.example"), "{domains:?}");
    assert!(
        !domains.iter().any(|d| d.contains("onrender.com")),
        "{domains:?}"
    );
    let md = file(&out.files, "report.md");
    assert!(
        md.contains("## External endpoints carried unchanged"),
        "{md}"
    );

    let o = Overlay::parse(BASE, Path::new("overlay.yaml")).unwrap();
    let strict = pipeline::run(&snap, &o, "staging", &paths(), Strict::All.into()).unwrap();
    assert!(
        strict.blocking.iter().any(|b| b.contains("`APP_ENV`")),
        "{:#?}",
        strict.blocking
    );
    // A rule that decides it takes it off the list.
    let out = run(
        &snap,
        &format!("{BASE}env:\n  - {{key: APP_ENV, set: staging}}\n"),
    );
    let report: serde_json::Value = serde_json::from_str(file(&out.files, "report.json")).unwrap();
    assert!(
        !report["review"]["productionNamed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == "APP_ENV")
    );
}

#[test]
fn hosts_under_staging_domains_are_not_external() {
    let domains = |overlay: &str| -> Vec<String> {
        let out = run(&bundled_snapshot(), overlay);
        let report: serde_json::Value =
            serde_json::from_str(file(&out.files, "report.json")).unwrap();
        report["review"]["externalEndpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["domain"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(domains(BASE).contains(&"quotes-partner.example".to_string()));
    let own = domains(&format!(
        "{BASE}resources:\n  insurance-navigator-api:\n    domains: [quotes-partner.example]\n"
    ));
    assert!(
        !own.contains(&"quotes-partner.example".to_string()),
        "{own:?}"
    );
}

/// A `replace` that writes a token or credentials into a value is refused like a `set`
/// that does, without quoting either.
#[test]
fn a_replace_that_writes_a_secret_is_refused() {
    let snapshot = bundled_snapshot();
    for replace in [
        "{\"https://\": \"https://admin:cnryOV2pwLong@\"}",
        "{\"/v2\": \"/v2?token=ghp_cnryOV3abcdefghijklmnopqrstuvwxyz0123\"}",
    ] {
        let text = format!(
            "version: 1\nrename: {{suffix: -staging}}\nenv:\n  - {{key: QUOTE_PROVIDER_API_BASE_URL, replace: {replace}}}\n"
        );
        let o = overlay(&text);
        let err = stageprint::pipeline::run(
            &snapshot,
            &o,
            "staging",
            &paths(),
            stageprint::pipeline::Strict::Off.into(),
        )
        .expect_err("refused");
        let message = err.to_string();
        assert!(
            message.contains(
                "the value this replace gives `QUOTE_PROVIDER_API_BASE_URL` looks like a secret"
            ),
            "{message}"
        );
        assert!(message.contains("overlay.yaml:4:"), "{message}");
        assert!(!message.contains("cnry"), "{message}");
    }
}
