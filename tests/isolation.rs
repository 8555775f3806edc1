//! Production isolation against the committed insurance-navigator snapshot: one failing
//! case per rule (disguised forms included), the fingerprint rule, and allowances.

use std::path::Path;

use stageprint::model::Snapshot;
use stageprint::secrets::Fingerprinter;
use stageprint::validate::isolation::{self, Allowance, Isolation};
use stageprint::validate::{Document, report};
use stageprint::yaml::{Pos, Span};

const CANARY: &str = "sk_live_CANARY51xQz0123456789abcdef";

fn production() -> Snapshot {
    let path = Path::new("generated/production.snapshot.yaml");
    Snapshot::from_yaml(&std::fs::read_to_string(path).unwrap(), path).unwrap()
}

fn staging() -> String {
    std::fs::read_to_string("tests/validate/good-insurance-navigator-staging.yaml").unwrap()
}

fn run_with(
    text: &str,
    prod: &Snapshot,
    allowances: &[Allowance],
    fp: Option<&Fingerprinter>,
) -> Isolation {
    let doc = Document::parse(text, Path::new("staging.yaml")).unwrap();
    isolation::check(&doc.value, &doc.locations, prod, allowances, fp)
}

fn run(text: &str) -> Isolation {
    run_with(text, &production(), &[], None)
}

/// (rule, path) of each violation.
fn rules(iso: &Isolation) -> Vec<(&'static str, String)> {
    iso.violations
        .iter()
        .map(|f| (f.rule, f.path.clone()))
        .collect()
}

/// The staging Blueprint with one env var added to the API service (first env var slot).
fn with_api_var(key: &str, value: &str) -> String {
    staging().replacen(
        "              - key: API_BASE_URL\n",
        &format!("              - key: {key}\n                value: {}\n              - key: API_BASE_URL\n", stageprint::yaml::quote(value)),
        1,
    )
}

const API_VAR: &str = "projects[0].environments[0].services[0].envVars[1].value";

fn allowance(target: &str, reason: &str) -> Allowance {
    Allowance {
        target: target.into(),
        reason: reason.into(),
        span: Span {
            file: "overlays/staging.yaml".into(),
            pos: Pos {
                line: 40,
                column: 5,
            },
        },
    }
}

#[test]
fn the_generated_style_staging_blueprint_is_isolated() {
    let iso = run(&staging());
    assert!(iso.violations.is_empty(), "{:#?}", iso.violations);
    assert!(iso.allowed.is_empty() && iso.unused_allowances.is_empty());
}

#[test]
fn production_names_are_refused_for_every_kind() {
    let text = staging()
        .replace(
            "name: insurance-navigator-staging-api",
            "name: insurance-navigator-api",
        )
        .replace(
            "name: insurance-navigator-staging-queue\n            plan",
            "name: Insurance-Navigator-Queue\n            plan",
        )
        .replace(
            "  - name: insurance-navigator-staging-db\n",
            "  - name: insurance-navigator-db\n",
        )
        .replace(
            "  - name: insurance-navigator-staging-shared\n",
            "  - name: insurance-navigator-shared\n",
        );
    let iso = run(&text);
    let names: Vec<_> = iso
        .violations
        .iter()
        .filter(|f| f.rule == "isolation/name")
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "projects[0].environments[0].services[0].name",
            "projects[0].environments[0].services[2].name",
            "projects[0].environments[0].databases[0].name",
            "projects[0].environments[0].envVarGroups[0].name",
        ],
        "{:#?}",
        iso.violations
    );
    let api = &iso
        .violations
        .iter()
        .find(|f| f.rule == "isolation/name")
        .unwrap();
    assert!(
        api.message
            .contains("production service `insurance-navigator-api`"),
        "{}",
        api.message
    );
    assert!(
        api.hint
            .as_deref()
            .unwrap()
            .contains("rename: { names: { insurance-navigator-api:")
    );
    assert_eq!(api.span.as_ref().unwrap().pos.line, 12);
}

#[test]
fn a_production_environment_is_refused() {
    let text = staging().replace("      - name: staging\n", "      - name: production\n");
    assert_eq!(
        rules(&run(&text)),
        vec![(
            "isolation/environment",
            "projects[0].environments[0].name".to_string()
        )]
    );
}

#[test]
fn references_to_production_resources_are_refused() {
    let text = staging()
        .replace("name: insurance-navigator-staging-db\n                  property", "name: insurance-navigator-db\n                  property")
        .replace("name: insurance-navigator-staging-queue\n                  property", "name: insurance-navigator-queue\n                  property")
        .replace("              - fromGroup: insurance-navigator-staging-shared\n              - key: API_BASE_URL", "              - fromGroup: insurance-navigator-shared\n              - key: API_BASE_URL")
        .replace("name: insurance-navigator-staging-api\n                  envVarKey", "name: insurance-navigator-api\n                  envVarKey");
    let iso = run(&text);
    let s = "projects[0].environments[0].services";
    assert_eq!(
        rules(&iso),
        vec![
            (
                "isolation/reference",
                format!("{s}[0].envVars[0].fromGroup")
            ),
            (
                "isolation/reference",
                format!("{s}[0].envVars[3].fromDatabase.name")
            ),
            (
                "isolation/reference",
                format!("{s}[0].envVars[8].fromService.name")
            ),
            (
                "isolation/reference",
                format!("{s}[1].envVars[1].fromService.name")
            ),
        ]
    );
    let db = &iso.violations[1];
    assert!(
        db.message.contains(
            "`DATABASE_URL` takes `fromDatabase` production database `insurance-navigator-db`"
        ),
        "{}",
        db.message
    );
    assert!(
        db.hint
            .as_deref()
            .unwrap()
            .contains("allow: [{ target: insurance-navigator-db")
    );
}

#[test]
fn literal_production_identities_are_found_in_every_disguise() {
    let cases = [
        (
            "plain Key Value id",
            "redis://red-d05lp3muk2gs73c9oa80:6379",
            "id `red-d05lp3muk2gs73c9oa80`",
        ),
        (
            "percent-encoded domain",
            "https%3A%2F%2Fapi.insurancenavigator.example%2Fv1",
            "custom domain `api.insurancenavigator.example` (percent-encoded)",
        ),
        (
            "double-encoded",
            "https%253A%252F%252Fapi.insurancenavigator.example",
            "(percent-encoded)",
        ),
        (
            "upper case",
            "HTTPS://INSURANCE-NAVIGATOR-API.ONRENDER.COM/hooks",
            "host `insurance-navigator-api.onrender.com` (in different letter case)",
        ),
        (
            "embedded in a larger URL",
            "https://proxy.example/fetch?target=https://api.insurancenavigator.example/v1&x=1",
            "custom domain `api.insurancenavigator.example`",
        ),
        (
            "DSN with the host in a query parameter",
            "postgresql:///insurance?host=dpg-d05lp1euk2gs73c9o9k0-a.oregon-postgres.render.com&sslmode=require",
            "of production database `insurance-navigator-db`",
        ),
        (
            "private host and port",
            "http://insurance-navigator-api:10000/internal",
            "private host `insurance-navigator-api`",
        ),
        (
            "bare private host",
            "insurance-navigator-api",
            "private host",
        ),
        (
            "database id in a connection string with credentials",
            "postgres://u:CANARY%40pw@dpg-d05lp1euk2gs73c9o9k0-a/db",
            "id `dpg-d05lp1euk2gs73c9o9k0-a`",
        ),
        (
            "service id",
            "srv-d05lq8uuk2gs73c9ohe0",
            "id `srv-d05lq8uuk2gs73c9ohe0`",
        ),
    ];
    for (what, value, expect) in cases {
        let iso = run(&with_api_var("LEAK", value));
        assert_eq!(
            rules(&iso),
            vec![("isolation/literal", API_VAR.to_string())],
            "{what}: {:#?}",
            iso.violations
        );
        let f = &iso.violations[0];
        assert!(f.message.contains(expect), "{what}: {}", f.message);
        assert!(!format!("{f:?}").contains("CANARY"), "{what}: {f:?}");
        assert!(
            f.message
                .starts_with("service `insurance-navigator-staging-api`: env var `LEAK` contains"),
            "{what}: {}",
            f.message
        );
        assert!(
            f.hint.as_deref().unwrap().contains("key: LEAK"),
            "{what}: {:?}",
            f.hint
        );
    }
}

#[test]
fn look_alikes_are_not_production() {
    for value in [
        "https://insurance-navigator-staging-api.onrender.com",
        "https://api.staging.insurancenavigator.example",
        "https://staging-api.insurancenavigator.example",
        "https://api.insurancenavigator.example.staging.test",
        "node insurance-navigator-api.js",
        "insurance-navigator-api-v2:8080",
        "redis://red-d05lp3muk2gs73c9oa80x:6379",
    ] {
        let iso = run(&with_api_var("LOOKALIKE", value));
        assert!(iso.violations.is_empty(), "{value}: {:#?}", iso.violations);
    }
}

#[test]
fn literals_outside_env_vars_are_checked_too() {
    let text = staging()
        .replace(
            "startCommand: node dist/server.js",
            "startCommand: DATABASE_HOST=dpg-d05lp1euk2gs73c9o9k0-a node dist/server.js",
        )
        .replace(
            "healthCheckPath: /health",
            "healthCheckPath: /health?upstream=insurance-navigator-api.onrender.com",
        );
    let iso = run(&text);
    let s = "projects[0].environments[0].services[0]";
    assert_eq!(
        rules(&iso),
        vec![
            ("isolation/literal", format!("{s}.healthCheckPath")),
            ("isolation/literal", format!("{s}.startCommand"))
        ]
    );
    assert!(
        iso.violations[1]
            .message
            .contains("`startCommand` contains id")
    );
    assert!(
        iso.violations[1]
            .hint
            .as_deref()
            .unwrap()
            .contains("resources: { <production name>: { startCommand")
    );
}

#[test]
fn a_production_custom_domain_is_refused_once() {
    let text = staging().replace(
        "- api.staging.insurancenavigator.example\n",
        "- API.insurancenavigator.example\n",
    );
    let iso = run(&text);
    assert_eq!(
        rules(&iso),
        vec![(
            "isolation/domain",
            "projects[0].environments[0].services[0].domains[0]".to_string()
        )]
    );
    assert!(
        iso.violations[0]
            .message
            .contains("belongs to production service `insurance-navigator-api`")
    );
}

fn fingerprinted(fp: &Fingerprinter) -> Snapshot {
    let mut prod = production();
    let api = prod
        .services
        .iter_mut()
        .find(|s| s.name == "insurance-navigator-api")
        .unwrap();
    let var = api
        .env_vars
        .iter_mut()
        .find(|v| v.key == "STRIPE_SECRET_KEY")
        .unwrap();
    var.secret.as_mut().unwrap().fingerprint = Some(fp.fingerprint(CANARY));
    prod
}

#[test]
fn a_copied_production_secret_is_found_by_fingerprint_without_leaking_it() {
    let fp = Fingerprinter::new(b"test-fingerprint-key").unwrap();
    let prod = fingerprinted(&fp);
    let text = with_api_var("PAYMENTS_KEY", CANARY);
    let iso = run_with(&text, &prod, &[], Some(&fp));
    assert_eq!(rules(&iso), vec![("isolation/secret", API_VAR.to_string())]);
    let f = &iso.violations[0];
    assert!(f.message.contains("holds the value of secret `STRIPE_SECRET_KEY` of production service `insurance-navigator-api`"), "{}", f.message);
    let shown =
        report::text(&iso.findings(), 1) + &report::json(&iso.findings()) + &format!("{iso:?}");
    assert!(!shown.contains("CANARY"), "{shown}");

    // Another key, or no key at all: nothing matches, and the missing key is said.
    let other = Fingerprinter::new(b"another-key").unwrap();
    assert!(
        run_with(&text, &prod, &[], Some(&other))
            .violations
            .is_empty()
    );
    let without = run_with(&text, &prod, &[], None);
    assert_eq!(without.violations.len(), 1);
    assert_eq!(
        without.violations[0].severity,
        stageprint::validate::Severity::Warning
    );
    assert!(!without.has_errors());
}

#[test]
fn allowances_cover_what_they_name_and_unused_ones_are_findings() {
    let text = staging().replace(
        "name: insurance-navigator-staging-db\n                  property",
        "name: insurance-navigator-db\n                  property",
    );
    let text = text.replacen(
        "              - key: API_BASE_URL\n",
        "              - key: ANALYTICS_URL\n                value: postgres://ro@dpg-d05lp1euk2gs73c9o9k0-a.oregon-postgres.render.com/insurance\n              - key: API_BASE_URL\n",
        1,
    );
    let allow = [
        allowance(
            "insurance-navigator-db",
            "shared read-only analytics replica",
        ),
        allowance("analytics-readonly-db", "left over"),
        allowance("insurance-navigator-queue", "  "),
    ];
    let iso = run_with(&text, &production(), &allow, None);
    assert!(iso.violations.is_empty(), "{:#?}", iso.violations);
    let allowed: Vec<(&str, usize)> = iso
        .allowed
        .iter()
        .map(|a| (a.path.as_str(), a.allowance))
        .collect();
    assert_eq!(
        allowed,
        vec![
            (
                "projects[0].environments[0].services[0].envVars[1].value",
                0
            ),
            (
                "projects[0].environments[0].services[0].envVars[4].fromDatabase.name",
                0
            ),
        ]
    );
    assert_eq!(iso.allowed[0].reason, "shared read-only analytics replica");
    assert_eq!(
        iso.allowed[0].resource,
        "service `insurance-navigator-staging-api`"
    );
    let unused: Vec<&str> = iso
        .unused_allowances
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        unused,
        vec![
            "the allowance for `analytics-readonly-db` covers nothing",
            "the allowance for `insurance-navigator-queue` has no reason"
        ]
    );
    assert_eq!(
        iso.unused_allowances[0].span.as_ref().unwrap().to_string(),
        "overlays/staging.yaml:40:5"
    );
    assert!(
        iso.unused_allowances[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("not a production resource")
    );
    assert!(iso.has_errors());
}

#[test]
fn name_collisions_cannot_be_allowed() {
    let text = staging().replacen(
        "name: insurance-navigator-staging-api",
        "name: insurance-navigator-api",
        1,
    );
    let iso = run_with(
        &text,
        &production(),
        &[allowance("insurance-navigator-api", "please")],
        None,
    );
    assert_eq!(iso.violations.len(), 1);
    assert_eq!(iso.violations[0].rule, "isolation/name");
    assert_eq!(iso.unused_allowances.len(), 1);
}

#[test]
fn an_allowance_by_host_covers_the_literal() {
    let text = with_api_var(
        "PARTNER_API",
        "https://api.insurancenavigator.example/partner",
    );
    let iso = run_with(
        &text,
        &production(),
        &[allowance(
            "API.insurancenavigator.example",
            "partner sandbox calls production read-only",
        )],
        None,
    );
    assert!(
        iso.violations.is_empty() && iso.unused_allowances.is_empty(),
        "{iso:#?}"
    );
    assert_eq!(iso.allowed.len(), 1);
}

#[test]
fn hosts_in_disguise_are_production() {
    let deep = {
        let mut v = "https://api.insurancenavigator.example/v1".to_string();
        for _ in 0..8 {
            v = v.replace('%', "%25").replace('.', "%2E");
        }
        v
    };
    let cases = [
        (
            "full-width letters and full stops",
            "https://ａｐｉ．insurancenavigator．ｅｘａｍｐｌｅ/v1".to_string(),
            "custom domain `api.insurancenavigator.example`",
        ),
        (
            "ideographic full stops",
            "api\u{3002}insurancenavigator\u{ff61}example".into(),
            "in look-alike Unicode characters",
        ),
        (
            "soft hyphen",
            "https://insurance-navi\u{ad}gator-api.onrender.com".into(),
            "host `insurance-navigator-api.onrender.com`",
        ),
        (
            "zero-width space",
            "https://api.insurance\u{200b}navigator.example".into(),
            "custom domain",
        ),
        (
            "compatibility forms",
            "https://ⓐⓟⓘ.insurancenavigator.example".into(),
            "custom domain",
        ),
        (
            "JSON unicode escapes",
            r"api\u002einsurancenavigator\u002eexample".into(),
            "(escaped)",
        ),
        (
            "JSON escaped slashes",
            r#"{"u":"https:\/\/insurance-navigator-api:10000\/x"}"#.into(),
            "private host `insurance-navigator-api`",
        ),
        (
            "regular expression",
            r"^https://api\.insurancenavigator\.example/".into(),
            "custom domain",
        ),
        (
            "HTML character references",
            "api&#46;insurancenavigator&#x2E;example".into(),
            "as HTML character references",
        ),
        (
            "percent-encoding eight levels deep",
            deep,
            "(percent-encoded)",
        ),
        (
            "libpq key-value string",
            "host=insurance-navigator-api port=10000 dbname=app".into(),
            "private host",
        ),
        (
            "JSON host field",
            r#"{"host": "insurance-navigator-api", "port": 10000}"#.into(),
            "private host",
        ),
        (
            "comma-separated hosts",
            "cache-a,insurance-navigator-api,cache-b".into(),
            "private host",
        ),
        (
            "host:port list",
            "cache-a:6379, insurance-navigator-api:10000".into(),
            "private host",
        ),
        (
            "network-path reference",
            "//insurance-navigator-api/internal".into(),
            "private host",
        ),
        (
            "surrounding whitespace",
            "  insurance-navigator-api\t".into(),
            "private host",
        ),
    ];
    for (what, value, expect) in cases {
        let iso = run(&with_api_var("LEAK", &value));
        assert_eq!(
            rules(&iso),
            vec![("isolation/literal", API_VAR.to_string())],
            "{what}: {:#?}",
            iso.violations
        );
        let f = &iso.violations[0];
        assert!(f.message.contains(expect), "{what}: {}", f.message);
    }
}

#[test]
fn disguises_that_spell_a_different_host_are_not_production() {
    for value in [
        "https://ａｐｉ．staging．insurancenavigator．ｅｘａｍｐｌｅ",
        r"api\u002estaging.insurancenavigator.example",
        "host=insurance-navigator-staging-api port=10000",
        r#"{"name": "insurance-navigator-api"}"#,
        "the insurance-navigator-api service",
        "a &amp; b",
        r"C:\\builds\\insurance",
    ] {
        let iso = run(&with_api_var("LOOKALIKE", value));
        assert!(iso.violations.is_empty(), "{value}: {:#?}", iso.violations);
    }
}

/// The committed snapshot, with a wildcard custom domain on the API.
fn with_wildcard() -> Snapshot {
    let mut prod = production();
    let api = prod
        .services
        .iter_mut()
        .find(|s| s.name == "insurance-navigator-api")
        .unwrap();
    api.domains.push("*.shop.insurancenavigator.example".into());
    prod
}

#[test]
fn a_wildcard_production_domain_covers_one_label() {
    let prod = with_wildcard();
    for value in [
        "https://eu.shop.insurancenavigator.example/v1",
        "https://ＥＵ．shop.insurancenavigator.example",
        "*.shop.insurancenavigator.example",
    ] {
        let iso = run_with(&with_api_var("LEAK", value), &prod, &[], None);
        assert_eq!(
            rules(&iso),
            vec![("isolation/literal", API_VAR.to_string())],
            "{value}: {:#?}",
            iso.violations
        );
        assert!(
            iso.violations[0]
                .message
                .contains("wildcard custom domain `*.shop.insurancenavigator.example` (covers"),
            "{}",
            iso.violations[0].message
        );
    }
    // A staging subdomain one level deeper, and the apex, are not covered.
    for value in [
        "https://eu.staging.shop.insurancenavigator.example",
        "https://shop.insurancenavigator.example",
        "https://eu.shop.insurancenavigator.example.test",
    ] {
        let iso = run_with(&with_api_var("OK", value), &prod, &[], None);
        assert!(iso.violations.is_empty(), "{value}: {:#?}", iso.violations);
    }
    // Claiming a name the wildcard serves would take production's traffic.
    let text = staging().replace(
        "- api.staging.insurancenavigator.example\n",
        "- eu.shop.insurancenavigator.example\n",
    );
    let iso = run_with(&text, &prod, &[], None);
    assert_eq!(
        rules(&iso),
        vec![(
            "isolation/domain",
            "projects[0].environments[0].services[0].domains[0]".to_string()
        )]
    );
    // An allowance by the wildcard covers a value under it.
    let iso = run_with(
        &with_api_var("SHARED", "https://eu.shop.insurancenavigator.example"),
        &prod,
        &[allowance("*.shop.insurancenavigator.example", "shared CDN")],
        None,
    );
    assert!(
        iso.violations.is_empty() && iso.unused_allowances.is_empty(),
        "{iso:#?}"
    );
    assert_eq!(iso.allowed.len(), 1);
}

/// A staging wildcard custom domain over a production name would serve that name:
/// refused. One over a staging subdomain, or a parent production does not use, is not.
#[test]
fn a_staging_wildcard_domain_over_a_production_name_is_refused() {
    let prod = production();
    let domain_of = |d: &str| {
        staging().replace(
            "- api.staging.insurancenavigator.example\n",
            &format!("- '{d}'\n"),
        )
    };
    let iso = run_with(&domain_of("*.insurancenavigator.example"), &prod, &[], None);
    assert_eq!(
        rules(&iso),
        vec![(
            "isolation/domain",
            "projects[0].environments[0].services[0].domains[0]".to_string()
        )],
        "{:#?}",
        iso.violations
    );
    for ok in ["*.staging.insurancenavigator.example", "*.example"] {
        let iso = run_with(&domain_of(ok), &prod, &[], None);
        assert!(iso.violations.is_empty(), "{ok}: {:#?}", iso.violations);
    }
}

/// The committed snapshot with a resource that was left out of the copy.
fn with_excluded() -> Snapshot {
    let mut prod = production();
    let mut legacy = stageprint::model::Skipped::new(
        "srv-legacy0000000000000",
        "insurance-navigator-legacy",
        "excluded by production.exclude `*-legacy`",
    );
    legacy.kind = Some(stageprint::model::ResourceKind::Service);
    legacy.slug = Some("insurance-navigator-legacy".into());
    legacy.network.url = Some("https://insurance-navigator-legacy.onrender.com".into());
    legacy.network.hosts = vec!["insurance-navigator-legacy.onrender.com".into()];
    legacy.domains = vec!["legacy.insurancenavigator.example".into()];
    prod.skipped.push(legacy);
    prod
}

#[test]
fn resources_left_out_of_the_copy_are_still_production() {
    let prod = with_excluded();
    let text = staging().replacen(
        "name: insurance-navigator-staging-api",
        "name: insurance-navigator-legacy",
        1,
    );
    let iso = run_with(&text, &prod, &[], None);
    assert_eq!(iso.violations.len(), 1, "{:#?}", iso.violations);
    assert_eq!(iso.violations[0].rule, "isolation/name");
    assert!(
        iso.violations[0]
            .message
            .contains("production service `insurance-navigator-legacy`"),
        "{}",
        iso.violations[0].message
    );
    for value in [
        "srv-legacy0000000000000",
        "https://insurance-navigator-legacy.onrender.com/v1",
        "http://insurance-navigator-legacy:10000",
        "https://legacy.insurancenavigator.example",
    ] {
        let iso = run_with(&with_api_var("LEAK", value), &prod, &[], None);
        assert_eq!(
            rules(&iso),
            vec![("isolation/literal", API_VAR.to_string())],
            "{value}: {:#?}",
            iso.violations
        );
        assert!(
            iso.violations[0]
                .message
                .contains("of production service `insurance-navigator-legacy`"),
            "{}",
            iso.violations[0].message
        );
    }
}

#[test]
fn every_corpus_blueprint_is_isolated_from_the_fixture_workspaces() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/blueprint-corpus");
    if !dir.is_dir() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "{} is missing",
            dir.display()
        );
        return;
    }
    let prods = [production(), with_wildcard(), with_excluded()];
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut checked = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let Ok(doc) = Document::parse(&text, f) else {
            continue;
        };
        for prod in &prods {
            let iso = isolation::check(&doc.value, &doc.locations, prod, &[], None);
            assert!(
                iso.violations.is_empty(),
                "{}: {:#?}",
                f.display(),
                iso.violations
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} corpus files parsed");
}

/// One layer of disguise over a whole value.
fn disguise(layer: u8, s: &str) -> String {
    match layer {
        0 => s.replace('%', "%25").replace('.', "%2E"),
        1 => s.replace('\\', "\\u005c").replace('.', "\\u002e"),
        2 => s.replace('&', "&amp;").replace('.', "&#46;"),
        3 => s
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' => {
                    char::from_u32(c as u32 - 0x21 + 0xff01).unwrap()
                }
                c => c,
            })
            .collect(),
        _ => s.chars().flat_map(|c| [c, '\u{ad}']).collect(),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, .. Default::default() })]

    /// Any stack of up to six disguises (percent, JSON escapes, HTML references,
    /// full-width forms, soft hyphens) still spells the production host.
    #[test]
    fn stacked_disguises_are_seen_through(layers in proptest::collection::vec(0u8..5, 0..6)) {
        let mut value = "https://api.insurancenavigator.example/v1".to_string();
        for l in &layers {
            value = disguise(*l, &value);
        }
        let iso = run(&with_api_var("LEAK", &value));
        proptest::prop_assert_eq!(
            rules(&iso),
            vec![("isolation/literal", API_VAR.to_string())],
            "{:?}: {}", layers, value
        );
    }
}
