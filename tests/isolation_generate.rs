//! Production isolation as `generate` enforces it: refused before anything is written,
//! each finding naming the staging resource, the field, the production resource and the
//! rule to add; deliberate exceptions only through allowances with a reason.

mod support;

use std::path::Path;

use stageprint::model::Snapshot;
use stageprint::overlay::Overlay;
use stageprint::pipeline::{self, Options, Strict};
use stageprint::secrets::Fingerprinter;
use support::*;

const BASE: &str = "version: 1\nrename:\n  suffix: -staging\n";

fn outcome(overlay_text: &str) -> pipeline::Outcome {
    let o = Overlay::parse(overlay_text, Path::new("overlay.yaml")).unwrap();
    pipeline::run(
        &bundled_snapshot(),
        &o,
        "staging",
        &paths(),
        Strict::Off.into(),
    )
    .unwrap()
}

fn blocking(overlay_text: &str) -> Vec<String> {
    outcome(overlay_text).blocking
}

#[test]
fn a_rule_that_writes_a_production_domain_is_refused_with_the_fix() {
    let b = blocking(&format!(
        "{BASE}env:\n  - {{key: PUBLIC_APP_URL, set: \"https://API.insurancenavigator.example/app\"}}\n"
    ));
    let f = b
        .iter()
        .find(|f| f.contains("PUBLIC_APP_URL"))
        .expect("a finding for PUBLIC_APP_URL");
    // The Blueprint is refused and never written: the finding names the `set` line.
    assert!(f.starts_with("overlay.yaml:5:"), "{f}");
    assert!(!f.contains("render.yaml"), "{f}");
    assert!(f.contains("services[0].envVars["), "{f}");
    assert!(f.contains("error[isolation/literal]"), "{f}");
    assert!(
        f.contains("service `insurance-navigator-api-staging`"),
        "{f}"
    );
    assert!(
        f.contains("production service `insurance-navigator-api`"),
        "{f}"
    );
    assert!(
        f.contains("hint: change that `set` to a staging value"),
        "{f}"
    );
}

#[test]
fn disguised_production_hosts_are_found() {
    for value in [
        "postgres://reader@DPG-D05LP1EUK2GS73C9O9K0-A.oregon-postgres.render.com/db",
        "https://proxy.example/?upstream=dpg-d05lp1euk2gs73c9o9k0-a%2Eoregon-postgres.render.com",
        "https%3A%2F%2Finsurance-navigator-api.onrender.com%2Fhook",
        "amqp://x@relay.example/?host=red-d05lp3muk2gs73c9oa80",
        "http://insurance-navigator-worker:10000/jobs",
    ] {
        let b = blocking(&format!(
            "{BASE}env:\n  - {{key: PUBLIC_APP_URL, set: \"{value}\"}}\n"
        ));
        assert!(
            b.iter()
                .any(|f| f.contains("isolation/literal") && f.contains("PUBLIC_APP_URL")),
            "{value}: {b:#?}"
        );
    }
}

#[test]
fn a_production_custom_domain_cannot_be_claimed() {
    let b = blocking(&format!(
        "{BASE}resources:\n  insurance-navigator-api:\n    domains: [api.insurancenavigator.example]\n"
    ));
    assert!(b.iter().any(|f| f.contains("isolation/domain")), "{b:#?}");
}

#[test]
fn an_excluded_resource_needs_a_decision_and_then_passes() {
    // References to production are never written: an excluded database's users must be
    // decided (here: operator-provided), and then nothing points at production.
    let text = format!(
        "{BASE}select:\n  exclude: [insurance-navigator-db]\nenv:\n  - {{key: DATABASE_URL, secret: \"x\"}}\n"
    );
    let out = outcome(&text);
    assert!(out.blocking.is_empty(), "{:#?}", out.blocking);
}

#[test]
fn the_staging_environment_cannot_be_productions() {
    let b = blocking(&format!(
        "{BASE}placement: {{project: insurance-navigator, environment: production}}\n"
    ));
    assert!(
        b.iter().any(|f| f.contains("isolation/environment")),
        "{b:#?}"
    );
}

#[test]
fn allowances_let_a_deliberate_exception_through_and_are_reported() {
    let text = format!(
        "{BASE}env:\n  - {{key: PUBLIC_APP_URL, set: \"https://api.insurancenavigator.example/status\"}}\nallow:\n  - target: api.insurancenavigator.example\n    reason: the status page is read-only and shared\n"
    );
    let out = outcome(&text);
    assert!(out.blocking.is_empty(), "{:#?}", out.blocking);
    let a = &out.report.allowances[0];
    assert_eq!(a.target, "api.insurancenavigator.example");
    assert!(!a.uses.is_empty(), "{a:?}");
    let md = file(&out.files, "report.md");
    assert!(
        md.contains("## Isolation allowances")
            && md.contains("the status page is read-only and shared"),
        "{md}"
    );
}

#[test]
fn an_allowance_that_covers_nothing_is_an_error() {
    let b = blocking(&format!(
        "{BASE}allow:\n  - target: insurance-navigator-db\n    reason: not needed\n"
    ));
    assert!(b.iter().any(|f| f.contains("covers nothing")), "{b:#?}");
}

#[test]
fn a_copied_production_secret_is_caught_by_its_fingerprint() {
    let key = b"fingerprint-key-for-tests";
    let snap: Snapshot = snapshot_from_fixtures(
        &root().join("tests/fixtures/insurance-navigator/api"),
        Some(key),
    );
    // The production JWT secret's value, typed into the overlay (it has no token shape).
    let value = "FAKE-jwt-signing-secret-not-for-production-use-000000";
    // The overlay's own secret check would refuse it by its key name first; an allowance
    // lets it through so that the fingerprint check below is what stops it.
    let text = format!(
        "{BASE}env:\n  - {{key: JWT_SECRET, set: \"{value}\"}}\nallow:\n  - {{target: JWT_SECRET, reason: test}}\n"
    );
    let o = Overlay::parse(&text, Path::new("overlay.yaml")).unwrap();
    let fp = Fingerprinter::new(key).unwrap();
    let out = pipeline::run(
        &snap,
        &o,
        "staging",
        &paths(),
        Options {
            strict: Strict::Off,
            fingerprinter: Some(&fp),
        },
    )
    .unwrap();
    let f = out
        .blocking
        .iter()
        .find(|f| f.contains("isolation/secret"))
        .unwrap_or_else(|| panic!("{:#?}", out.blocking));
    assert!(
        !f.contains(value),
        "the finding must not quote the secret: {f}"
    );
    assert!(!concat(&out.files).contains(value) || !out.blocking.is_empty());
}

#[test]
fn defaults_keep_production_out_without_any_rule() {
    // The minimal overlay: values naming production's custom domain become operator-provided.
    let out = outcome(BASE);
    assert!(out.blocking.is_empty(), "{:#?}", out.blocking);
    let bp = blueprint(&out);
    let api = service(&services(&bp), "insurance-navigator-api-staging").clone();
    assert_eq!(env_var(&api, "API_BASE_URL")["sync"], false);
    let text = file(&out.files, "render.yaml");
    assert!(
        !text
            .to_ascii_lowercase()
            .contains("value: 'https://api.insurancenavigator.example"),
        "{text}"
    );
}

#[test]
fn validate_against_the_snapshot_uses_the_environments_allowances() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("generated")).unwrap();
    std::fs::create_dir_all(d.join("overlays")).unwrap();
    std::fs::copy(
        root().join("generated/production.snapshot.yaml"),
        d.join("generated/production.snapshot.yaml"),
    )
    .unwrap();
    std::fs::copy(root().join("stageprint.yaml"), d.join("stageprint.yaml")).unwrap();
    let overlay = format!(
        "{BASE}env:\n  - {{key: PUBLIC_APP_URL, set: \"https://api.insurancenavigator.example/status\"}}\nallow:\n  - target: api.insurancenavigator.example\n    reason: the status page is read-only and shared\n"
    );
    std::fs::write(d.join("overlays/staging.yaml"), &overlay).unwrap();
    let run = |args: &[&str]| {
        Command::cargo_bin("stageprint")
            .unwrap()
            .current_dir(d)
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&["generate"]).status.code(), Some(0));
    let ok = run(&[
        "validate",
        "--against-snapshot",
        "generated/production.snapshot.yaml",
    ]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // Without the allowance the same Blueprint is refused.
    std::fs::write(
        d.join("overlays/staging.yaml"),
        overlay.split("allow:").next().unwrap(),
    )
    .unwrap();
    let refused = run(&[
        "validate",
        "--against-snapshot",
        "generated/production.snapshot.yaml",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("isolation/literal"));
}
