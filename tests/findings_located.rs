//! When generate refuses a Blueprint it writes nothing, so a finding must not point at a
//! line of `render.yaml`: it points at the cause (the overlay rule or override, file:line:
//! column; or the production resource and key whose value a default carried) with the
//! rendered path as context, and suggests the fix that matches the cause. Whatever put a
//! production value there, the outcome is the same: findings, exit 2.

mod support;

use std::path::Path;

use stageprint::model::Snapshot;
use stageprint::pipeline::{self, Options, Strict};
use stageprint::secrets::Fingerprinter;
use support::*;

const SNAPSHOT: &str = r#"
version: 1
workspace: {id: tea-dddddddddddddddddddd}
services:
  - id: srv-ddddddddddddddddddd1
    name: shop-web
    kind: web
    runtime: node
    autoDeployTrigger: commit
    plan: standard
    region: oregon
    numInstances: 1
    buildCommand: npm ci
    startCommand: npm start
    domains: [shop.acme.example]
    disk: {name: data, mountPath: /data, sizeGB: 10}
    envVars:
      - {key: LOG_LEVEL, value: info}
      - {key: SIGNING_KEY, secret: {rule: "key name `*_KEY`", fingerprint: "FP"}}
      - {key: CACHE_SEED, value: "a-value-that-is-also-a-production-secret"}
    network: {url: "https://shop-web.onrender.com", hosts: [shop-web, shop-web.onrender.com], ports: [10000]}
  - id: srv-ddddddddddddddddddd2
    name: shop-free
    kind: web
    runtime: node
    autoDeployTrigger: commit
    plan: free
    region: oregon
    numInstances: 1
    buildCommand: npm ci
    startCommand: npm start
    disk: {name: cache, mountPath: /cache, sizeGB: 1}
    envVars: []
    network: {hosts: [shop-free], ports: [10000]}
databases: []
keyValues: []
envGroups:
  - id: evg-dddddddddddddddddddd
    name: shop-shared
    envVars:
      - {key: FLAG, value: "on"}
projects: []
registryCredentials: []
blueprints: []
"#;

const BASE: &str = "version: 1\nrename:\n  suffix: -stg\n";
const KEY: &[u8] = b"fingerprint-key-for-located-findings";

fn snap() -> Snapshot {
    let fp = Fingerprinter::new(KEY).unwrap();
    let text = SNAPSHOT.replace(
        "fingerprint: \"FP\"",
        &format!(
            "fingerprint: \"{}\"",
            fp.fingerprint("a-value-that-is-also-a-production-secret")
        ),
    );
    Snapshot::from_yaml(&text, Path::new("snapshot.yaml")).unwrap()
}

fn blocking(snapshot: &Snapshot, overlay_text: &str) -> Vec<String> {
    let fp = Fingerprinter::new(KEY).unwrap();
    let o = overlay(overlay_text);
    pipeline::run(
        snapshot,
        &o,
        "staging",
        &paths(),
        Options {
            strict: Strict::Off,
            fingerprinter: Some(&fp),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .blocking
}

/// Line of `needle` in `text`, 1-based.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in:\n{text}"))
        + 1
}

#[test]
fn each_refused_value_points_at_its_cause() {
    // (overlay after BASE, the rule of the finding, where it must point, the rendered
    // path it names, and a piece of the fix it must suggest).
    struct Case {
        overlay: &'static str,
        rule: &'static str,
        /// `Some(text)`: the overlay line holding `text`; `None`: the snapshot.
        overlay_line: Option<&'static str>,
        at_snapshot: &'static str,
        path: &'static str,
        fix: &'static str,
    }
    let cases = [
        Case {
            overlay: "env:\n  - {key: LOG_LEVEL, set: \"https://shop.acme.example/x\"}\n",
            rule: "isolation/literal",
            overlay_line: Some("LOG_LEVEL"),
            at_snapshot: "",
            path: ".envVars[",
            fix: "change that `set` to a staging value",
        },
        Case {
            overlay: "env:\n  - {key: LOG_LEVEL, on: [shop-web], set: \"http://shop-free:10000\"}\n",
            rule: "isolation/literal",
            overlay_line: Some("LOG_LEVEL"),
            at_snapshot: "",
            path: ".envVars[",
            fix: "change that `set`",
        },
        // A value that points at production is exit 2 even when it also looks like a
        // secret: the same outcome as a production value a default carried.
        Case {
            overlay: "env:\n  - {key: LOG_LEVEL, set: \"https://hook:canary-pw-4bd1@shop-web.onrender.com/in\"}\n",
            rule: "isolation/literal",
            overlay_line: Some("LOG_LEVEL"),
            at_snapshot: "",
            path: ".envVars[",
            fix: "change that `set`",
        },
        Case {
            overlay: "env:\n  - {key: LOG_LEVEL, replace: {info: \"shop-web.onrender.com\"}}\n",
            rule: "isolation/literal",
            overlay_line: Some("replace"),
            at_snapshot: "",
            path: ".envVars[",
            fix: "change that `replace`",
        },
        Case {
            overlay: "env:\n  - {key: FLAG, on: [shop-shared], set: \"https://shop.acme.example\"}\n",
            rule: "isolation/literal",
            overlay_line: Some("FLAG"),
            at_snapshot: "",
            path: "envVarGroups[0].envVars[",
            fix: "change that `set`",
        },
        Case {
            overlay: "env:\n  - {key: ADDED, on: [shop-web], set: \"srv-ddddddddddddddddddd2\"}\n",
            rule: "isolation/literal",
            overlay_line: Some("ADDED"),
            at_snapshot: "",
            path: ".envVars[",
            fix: "change that `set`",
        },
        Case {
            overlay: "resources:\n  shop-web:\n    domains: [shop.acme.example]\n",
            rule: "isolation/domain",
            overlay_line: Some("domains"),
            at_snapshot: "",
            path: ".domains[0]",
            fix: "change `resources.shop-web.domains`",
        },
        Case {
            overlay: "defaults:\n  services:\n    domains: [shop.acme.example]\n",
            rule: "isolation/domain",
            overlay_line: Some("domains"),
            at_snapshot: "",
            path: ".domains[0]",
            fix: "change `defaults.services.domains`",
        },
        Case {
            overlay: "resources:\n  shop-web:\n    numInstances: 3\n",
            rule: "disk-scaling",
            overlay_line: Some("numInstances"),
            at_snapshot: "",
            path: ".numInstances",
            fix: "change `resources.shop-web.numInstances`",
        },
        Case {
            overlay: "resources:\n  shop-web:\n    startCommand: \"curl https://shop-web.onrender.com\"\n",
            rule: "isolation/literal",
            overlay_line: Some("startCommand"),
            at_snapshot: "",
            path: ".startCommand",
            fix: "change `resources.shop-web.startCommand`",
        },
        // Carried by a default from production: the snapshot resource and key.
        Case {
            overlay: "",
            rule: "plan",
            overlay_line: None,
            at_snapshot: "snapshot.yaml (service `shop-free`, `disk`)",
            path: ".disk",
            fix: "resources: { shop-free: { disk: … } }",
        },
        Case {
            overlay: "",
            rule: "isolation/secret",
            overlay_line: None,
            at_snapshot: "snapshot.yaml (service `shop-web`, env var `CACHE_SEED`)",
            path: ".envVars[",
            fix: "key: CACHE_SEED, on: [shop-web], secret:",
        },
    ];
    for c in cases {
        let text = format!("{BASE}{}", c.overlay);
        let b = blocking(&snap(), &text);
        let f = b
            .iter()
            .find(|f| f.contains(&format!("error[{}]", c.rule)))
            .unwrap_or_else(|| panic!("{}: no {} finding in {b:#?}", c.overlay, c.rule));
        let first = f.lines().next().unwrap();
        match c.overlay_line {
            Some(needle) => {
                let line = line_of(&text, needle);
                assert!(
                    first.starts_with(&format!("overlay.yaml:{line}:")),
                    "{}: {f}",
                    c.overlay
                );
            }
            None => assert!(first.starts_with(c.at_snapshot), "{}: {f}", c.overlay),
        }
        assert!(first.contains(c.path), "{}: {f}", c.overlay);
        assert!(f.contains("\n  cause: "), "{}: {f}", c.overlay);
        assert!(f.contains(c.fix), "{}: {f}", c.overlay);
        assert!(
            !f.contains("render.yaml"),
            "a refused Blueprint is never written: {f}"
        );
        for secret in ["a-value-that-is-also-a-production-secret", "canary-pw-4bd1"] {
            assert!(!b.iter().any(|f| f.contains(secret)), "{b:#?}");
        }
    }
}

#[test]
fn a_finding_already_in_the_overlay_keeps_its_place() {
    let text = format!("{BASE}allow:\n  - target: shop-free\n    reason: not needed\n");
    let b = blocking(&snap(), &text);
    let f = b
        .iter()
        .find(|f| f.contains("isolation/allowance"))
        .unwrap_or_else(|| panic!("{b:#?}"));
    assert!(
        f.starts_with(&format!("overlay.yaml:{}:", line_of(&text, "target"))),
        "{f}"
    );
}

/// Through the binary: the same production value is exit 2 whether a rule or the
/// default put it there, the message names the overlay line or the snapshot resource,
/// and it never names a line of the render.yaml that was not written.
#[test]
fn generate_exits_2_and_names_the_cause() {
    use assert_cmd::Command;
    let dir = example_project();
    let d = dir.path();
    let run = |overlay: &str| {
        std::fs::write(d.join("overlays/staging.yaml"), overlay).unwrap();
        Command::cargo_bin("stageprint")
            .unwrap()
            .current_dir(d)
            .args(["generate"])
            .output()
            .unwrap()
    };
    let before = std::fs::read(d.join("generated/staging/render.yaml")).unwrap();
    for (overlay, at) in [
        (
            "version: 1\nrename:\n  suffix: -staging\nenv:\n  - {key: PUBLIC_APP_URL, set: \"https://api.insurancenavigator.example/app\"}\n",
            "overlays/staging.yaml:5:5: error[isolation/literal]",
        ),
        (
            "version: 1\nrename:\n  suffix: -staging\nresources:\n  insurance-navigator-api:\n    domains: [api.insurancenavigator.example]\n",
            "overlays/staging.yaml:6:5: error[isolation/domain]",
        ),
        (
            "version: 1\nrename:\n  suffix: -staging\nenv:\n  - {key: API_BASE_URL, replace: {\"https://api.insurancenavigator.example\": \"https://insurance-navigator-api.onrender.com\"}}\n",
            "overlays/staging.yaml:5:5: error[isolation/literal]",
        ),
        (
            "version: 1\nrename:\n  suffix: -staging\nenv:\n  - {key: DATABASE_URL, set: \"postgres://app:canary-pw-77e2@dpg-d05lp1euk2gs73c9o9k0-a.oregon-postgres.render.com/app\"}\n",
            "overlays/staging.yaml:5:5: error[isolation/literal]",
        ),
        // A staging name that is a production one, located at the rename rule.
        (
            "version: 1\nrename:\n  names:\n    insurance-navigator-db: insurance-navigator-api\n  suffix: -staging\n",
            "overlays/staging.yaml:4:5: error[isolation/name]",
        ),
        // No rename at all: every resource keeps its production name.
        (
            "version: 1\n",
            "generated/production.snapshot.yaml (service `insurance-navigator-api`, `name`): error[isolation/name]",
        ),
    ] {
        let out = run(overlay);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{overlay}\n{stderr}");
        assert!(stderr.contains(at), "{overlay}\n{stderr}");
        assert!(stderr.contains("\n  cause: "), "{stderr}");
        assert!(!stderr.contains("render.yaml:"), "{stderr}");
        assert!(stderr.contains("nothing was written"), "{stderr}");
        assert!(!stderr.contains("canary-pw-77e2"), "{stderr}");
    }
    assert_eq!(
        std::fs::read(d.join("generated/staging/render.yaml")).unwrap(),
        before
    );
}

#[test]
fn a_secret_looking_set_that_an_allowance_lets_through_is_still_refused_as_a_secret() {
    // The allowance makes the production host legal, so the value would be written:
    // the overlay's secret refusal still applies.
    for (value, target) in [
        (
            "https://hook:canary-pw-4bd1@shop-web.onrender.com/in",
            "shop-web.onrender.com",
        ),
        (
            "https://hook:canary-pw-4bd1@shop-web.onrender.com/in",
            "shop-web",
        ),
        // Two identities of one resource: an allowance for either covers the value.
        (
            "https://hook:canary-pw-4bd1@shop-web.onrender.com/in?via=srv-ddddddddddddddddddd1",
            "shop-web.onrender.com",
        ),
    ] {
        let text = format!(
            "{BASE}env:\n  - {{key: LOG_LEVEL, set: \"{value}\"}}\nallow:\n  - target: {target}\n    reason: shared hook\n"
        );
        let e = stageprint::overlay::apply(&snap(), &overlay(&text), "staging").unwrap_err();
        let msg = stageprint::overlay::spec::join_errors(&e);
        assert!(
            msg.contains("looks like a secret"),
            "{value} {target}: {msg}"
        );
        assert!(!msg.contains("canary-pw-4bd1"), "{msg}");
    }
}

/// Every blocking kind goes through the same location: a schema finding about a field an
/// override set points at the override; strict findings name the overlay and the
/// production owner and key, never the rendered file.
#[test]
fn schema_and_strict_findings_point_at_their_cause_too() {
    use stageprint::validate::{Finding, Severity};
    let text = format!("{BASE}resources:\n  shop-web:\n    plan: pro\n");
    let o = overlay(&text);
    let out = pipeline::run(&snap(), &o, "staging", &paths(), Strict::Off.into()).unwrap();
    let bp = blueprint(&out);
    let i = services(&bp)
        .iter()
        .position(|s| s["name"] == "shop-web-stg")
        .unwrap();
    let rendered = Path::new("out/render.yaml");
    let finding = |path: String| Finding {
        severity: Severity::Error,
        rule: "schema",
        path,
        span: Some(stageprint::yaml::Span {
            file: rendered.to_path_buf(),
            pos: stageprint::yaml::Pos { line: 7, column: 5 },
        }),
        message: "not a plan".into(),
        hint: None,
    };
    let line = |f: &Finding| {
        stageprint::locate::blocking_line(
            f,
            &bp,
            rendered,
            &out.staging,
            &o.locations,
            "snapshot.yaml",
        )
    };
    let set = line(&finding(format!("services[{i}].plan")));
    assert!(
        set.starts_with(&format!("overlay.yaml:{}:", line_of(&text, "plan: pro"))),
        "{set}"
    );
    assert!(set.contains("change `resources.shop-web.plan`"), "{set}");
    let carried = line(&finding(format!("services[{i}].region")));
    assert!(
        carried.starts_with("snapshot.yaml (service `shop-web`, `region`)"),
        "{carried}"
    );
    assert!(
        carried.contains("resources: { shop-web: { region: … } }"),
        "{carried}"
    );
    for l in [&set, &carried] {
        assert!(!l.contains("render.yaml"), "{l}");
    }

    let strict = pipeline::run(&snap(), &o, "staging", &paths(), Strict::All.into())
        .unwrap()
        .blocking;
    let s = strict
        .iter()
        .find(|l| l.starts_with("strict:") && l.contains("on service `shop-web`"))
        .unwrap_or_else(|| panic!("{strict:#?}"));
    assert!(
        s.contains("on service `shop-web`") && s.contains("overlay.yaml"),
        "{s}"
    );
    assert!(
        !strict.iter().any(|l| l.contains("render.yaml")),
        "{strict:#?}"
    );
}

#[test]
fn a_secret_looking_set_that_a_replace_could_rewrite_is_still_refused_as_a_secret() {
    // The replace would take the production host out, and the credentials would be
    // written: the overlay's secret refusal still applies.
    let text = format!(
        "{BASE}env:\n  - {{key: LOG_LEVEL, set: \"https://hook:canary-pw-4bd1@shop-web.onrender.com/in\"}}\n  - {{key: \"*\", replace: {{shop-web.onrender.com: hooks.staging.example}}}}\n"
    );
    let e = stageprint::overlay::apply(&snap(), &overlay(&text), "staging").unwrap_err();
    let msg = stageprint::overlay::spec::join_errors(&e);
    assert!(msg.contains("looks like a secret"), "{msg}");
    assert!(!msg.contains("canary-pw-4bd1"), "{msg}");
}

/// A `replace` rule that cannot change a set value does not turn a production-pointing
/// value into a mere secret refusal: it stays an isolation finding (exit 2) at the `set`.
/// One that can change it leaves the secret refusal in charge (exit 1).
#[test]
fn only_a_replace_that_changes_the_value_defers_the_production_finding() {
    let value = "https://u:sk_live_cnryReplaceDefer000000000000@shop.acme.example/hook";
    let text = format!(
        "{BASE}env:\n  - {{key: \"*\", replace: {{\"on\": \"off\"}}}}\n  - {{key: LOG_LEVEL, on: [shop-web], set: \"{value}\"}}\n"
    );
    let found = blocking(&snap(), &text);
    assert!(!found.is_empty(), "an isolation finding");
    let all = found.join("\n");
    assert!(
        all.contains(&format!("overlay.yaml:{}:", line_of(&text, "set:"))),
        "{all}"
    );
    assert!(!all.contains("cnry"), "{all}");

    let text = format!(
        "{BASE}env:\n  - {{key: \"*\", replace: {{shop.acme.example: shop.staging.example}}}}\n  - {{key: LOG_LEVEL, on: [shop-web], set: \"{value}\"}}\n"
    );
    let o = overlay(&text);
    let err = pipeline::run(&snap(), &o, "staging", &paths(), Strict::Off.into())
        .expect_err("a secret refusal");
    let message = err.to_string();
    assert!(message.contains("looks like a secret"), "{message}");
    assert!(!message.contains("cnry"), "{message}");
}
