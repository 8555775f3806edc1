//! Hostile strings in every position a user value can occupy come back exactly after
//! render → parse, are never evaluated as template syntax, and cannot escape a comment.

mod support;

use proptest::prelude::*;
use stageprint::model::*;
use support::*;

fn service(name: String, kind: ServiceKind, runtime: &str) -> Service {
    Service {
        plan: Some("starter".into()),
        region: Some("oregon".into()),
        num_instances: Some(1),
        ..Service::new(format!("srv-{}", name.len()), name, kind, runtime)
    }
}

fn var(key: &str, value: &str) -> EnvVar {
    EnvVar {
        key: key.into(),
        value: Some(value.into()),
        secret: None,
        refers_to: None,
    }
}

/// A workspace with `s` in every position, and an overlay that touches some of them.
fn hostile(s: &str) -> (Snapshot, String) {
    let mut web = service(format!("w{s}"), ServiceKind::Web, "node");
    web.repo = Some(s.into());
    web.branch = Some(s.into());
    web.root_dir = Some(s.into());
    web.build_command = Some(s.into());
    web.start_command = Some(s.into());
    web.pre_deploy_command = Some(s.into());
    web.health_check_path = Some(s.into());
    web.disk = Some(Disk {
        name: s.into(),
        mount_path: s.into(),
        size_gb: Some(5),
    });
    web.env_groups = vec![format!("g{s}")];
    web.env_vars = vec![
        var("VALUE", s),
        var(&format!("K{s}"), "="),
        var("CHANGED", s),
    ];
    let mut site = service(format!("s{s}"), ServiceKind::Static, "static");
    site.plan = None;
    site.region = None;
    site.num_instances = None;
    site.build_command = Some(s.into());
    site.static_publish_path = Some(s.into());
    site.headers = vec![Header {
        path: s.into(),
        name: s.into(),
        value: s.into(),
    }];
    site.routes = vec![Route {
        route_type: "rewrite".into(),
        source: s.into(),
        destination: s.into(),
    }];
    let mut cron = service(format!("c{s}"), ServiceKind::Cron, "docker");
    cron.num_instances = None;
    cron.schedule = Some(s.into());
    cron.docker_command = Some(s.into());
    let mut snap = Snapshot {
        version: SNAPSHOT_VERSION,
        workspace: Workspace {
            id: "tea-x".into(),
            name: None,
        },
        services: vec![web, site, cron],
        databases: vec![Database {
            id: "dpg-x-a".into(),
            name: format!("d{s}"),
            environment: None,
            database_name: Some(s.into()),
            user: Some(s.into()),
            plan: Some("basic-1gb".into()),
            api_plan: None,
            region: Some("oregon".into()),
            postgres_major_version: Some("16".into()),
            disk_size_gb: None,
            storage_autoscaling_enabled: None,
            high_availability: false,
            connection_pool: None,
            ip_allow_list: Some(vec![IpRule {
                source: s.into(),
                description: Some(s.into()),
            }]),
            read_replicas: vec![],
            network: Network::default(),
            unexpressed: Unexpressed::default(),
        }],
        key_values: vec![KeyValue {
            id: "red-x".into(),
            name: format!("k{s}"),
            environment: None,
            plan: Some("starter".into()),
            api_plan: None,
            region: Some("oregon".into()),
            maxmemory_policy: None,
            persistence_mode: None,
            ip_allow_list: vec![],
            network: Network::default(),
            unexpressed: Unexpressed::default(),
        }],
        env_groups: vec![EnvGroup {
            id: "evg-x".into(),
            name: format!("g{s}"),
            environment: None,
            env_vars: vec![var("GROUPED", s)],
            secret_files: vec![],
        }],
        projects: vec![],
        registry_credentials: vec![],
        blueprints: vec![],
        skipped: vec![],
    };
    snap.sort();
    let q = stageprint::yaml::quote;
    let overlay = format!(
        // An explicit key (`? `): implicit keys are limited to 1024 characters.
        "version: 1\nrename: {{suffix: -stg}}\nresources:\n  ? {}\n  : domains: [{}]\nenv:\n  - key: CHANGED\n    set: x\n",
        q(&format!("w{s}")),
        q(s)
    );
    (snap, overlay)
}

fn check(s: &str) {
    let (snap, overlay) = hostile(s);
    let out = run(&snap, &overlay);
    let text = file(&out.files, "render.yaml");
    let bp: serde_json::Value =
        serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{e} for {s:?}\n{text}"));
    let svcs = services(&bp);
    let web = support::service(&svcs, &format!("w{s}-stg"));
    for field in [
        "repo",
        "branch",
        "rootDir",
        "buildCommand",
        "startCommand",
        "preDeployCommand",
        "healthCheckPath",
    ] {
        assert_eq!(web[field], s, "{field} of {s:?}\n{text}");
    }
    assert_eq!(web["disk"]["name"], s);
    assert_eq!(web["disk"]["mountPath"], s);
    assert_eq!(web["domains"][0], s);
    assert_eq!(env_var(web, "VALUE")["value"], s);
    assert_eq!(env_var(web, &format!("K{s}"))["value"], "=");
    assert_eq!(
        env_var(web, "CHANGED")["value"],
        "x",
        "a comment holding the production value leaked into YAML:\n{text}"
    );
    let site = support::service(&svcs, &format!("s{s}-stg"));
    assert_eq!(site["staticPublishPath"], s);
    assert_eq!(
        site["headers"][0],
        serde_json::json!({"path": s, "name": s, "value": s})
    );
    assert_eq!(
        site["routes"][0],
        serde_json::json!({"type": "rewrite", "source": s, "destination": s})
    );
    let cron = support::service(&svcs, &format!("c{s}-stg"));
    assert_eq!(cron["schedule"], s);
    assert_eq!(cron["dockerCommand"], s);
    support::service(&svcs, &format!("k{s}-stg"));
    let db = &bp["databases"][0];
    assert_eq!(db["name"], format!("d{s}-stg"));
    assert_eq!(db["databaseName"], s);
    assert_eq!(db["user"], s);
    assert_eq!(
        db["ipAllowList"][0],
        serde_json::json!({"source": s, "description": s})
    );
    let group = &bp["envVarGroups"][0];
    assert_eq!(group["name"], format!("g{s}-stg"));
    assert_eq!(group["envVars"][0]["value"], s);
    // The other generated files parse too and carry the values exactly.
    let env_file = out
        .files
        .iter()
        .find(|f| f.path.to_string_lossy().contains("env-groups"))
        .unwrap();
    let doc: serde_json::Value = serde_yaml::from_str(&env_file.contents)
        .unwrap_or_else(|e| panic!("{e}\n{}", env_file.contents));
    assert_eq!(doc["name"], format!("g{s}-stg"));
    let report: serde_json::Value = serde_json::from_str(file(&out.files, "report.json")).unwrap();
    let vars: Vec<&serde_json::Value> = report["envVars"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["vars"].as_array().unwrap())
        .collect();
    assert!(vars.iter().any(|r| r["key"] == format!("K{s}")));
}

/// The strings the issue lists, and their friends.
pub const HOSTILE: &[&str] = &[
    "",
    " ",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "0755",
    "0x1F",
    "1e3",
    "1_000",
    "12:30:00",
    "2001-12-14",
    ".inf",
    "-.inf",
    ".NaN",
    "a: b",
    "a:b",
    "x #y",
    "#x",
    "*alias",
    "&anchor",
    "!tag",
    "!!str",
    "%YAML 1.1",
    "@at",
    "`tick",
    "'single'",
    "\"double\"",
    "it's",
    "- item",
    "? key",
    "[1, 2]",
    "{a: 1}",
    "|",
    ">",
    "line\nbreak",
    "trailing\n",
    "\ttab",
    "cr\r\n",
    "nul-free \u{1} ctrl \u{1f}",
    "\u{85}nel",
    "\u{2028}ls\u{2029}ps",
    "\u{feff}bom",
    "ünïcödé ✓ 漢字 🚀",
    "{{ 7 * 7 }}",
    "{% if true %}x{% endif %}",
    "{# c #}",
    "${HOME}",
    "$(echo x)",
    "a\\b",
    "---",
    "...",
    "<<",
    "=",
    "  leading",
    "trailing  ",
    "= value",
    "/path/*",
    "\"",
    "'",
    "\\",
];

#[test]
fn hostile_values_round_trip_in_every_position() {
    for s in HOSTILE {
        check(s);
    }
    check(&"x".repeat(4096));
    check(&"ä'\"\n:#".repeat(700));
}

#[test]
fn template_syntax_in_values_is_never_evaluated() {
    let (snap, overlay) = hostile("{{ 7 * 7 }}{% for x in [1] %}X{% endfor %}");
    let out = run(&snap, &overlay);
    for f in &out.files {
        assert!(
            !f.contents.contains("49") || f.path.ends_with("report.json"),
            "{}",
            f.path.display()
        );
        assert!(!f.contents.contains("XX"), "{}", f.path.display());
    }
}

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        1 => prop::sample::select(vec!['\n', '\t', '\r', '\u{1}', '\u{1b}', '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}', '\u{2029}', '\u{feff}', 'é', '漢', '🚀', '\u{fffd}']),
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(hostile_char(), 0..40).prop_map(|v| v.into_iter().collect()),
        1 => (prop::sample::select(HOSTILE.to_vec()), prop::sample::select(HOSTILE.to_vec())).prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_round_trip_in_every_position(s in hostile_string()) {
        check(&s);
    }

    #[test]
    fn quoting_round_trips_any_string(s in hostile_string()) {
        let doc = format!("v: {}\n", stageprint::yaml::quote(&s));
        let back: std::collections::BTreeMap<String, String> = serde_yaml::from_str(&doc).unwrap();
        prop_assert_eq!(&back["v"], &s);
    }
}

/// YAML 1.1 readers (PyYAML here) read the same values as YAML 1.2 readers. Runs where
/// python3 with PyYAML is installed; `.ci/run` installs it and requires it.
#[test]
fn a_yaml_1_1_reader_agrees() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        support::cross_check::skip_missing_tool("python3 with PyYAML");
        return;
    }
    let mut doc = String::new();
    for (i, s) in HOSTILE.iter().enumerate() {
        doc.push_str(&format!("v{i}: {}\n", stageprint::yaml::quote(s)));
    }
    let parsed = pyyaml(&doc);
    for (i, s) in HOSTILE.iter().enumerate() {
        assert_eq!(
            parsed[format!("v{i}")],
            serde_json::Value::String(s.to_string()),
            "PyYAML read {s:?} differently"
        );
    }
    // The bundled Blueprint reads the same in both.
    let bp = std::fs::read_to_string(root().join("generated/staging/render.yaml")).unwrap();
    let py = pyyaml(&bp);
    let rs: serde_json::Value = serde_yaml::from_str(&bp).unwrap();
    assert_eq!(py, rs);
}

/// What PyYAML (a YAML 1.1 reader) reads from `text`, as JSON.
fn pyyaml(text: &str) -> serde_json::Value {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read()), ensure_ascii=False))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A generated credential: 24 to 48 characters in which upper-case letters, lower-case
/// letters and digits are mixed as a random generator mixes them (each group of three
/// holds one of each, in any order).
fn generated_token() -> impl Strategy<Value = String> {
    let upper = proptest::char::range('A', 'Z');
    let lower = proptest::char::range('a', 'z');
    let digit = proptest::char::range('0', '9');
    proptest::collection::vec((upper, lower, digit, 0usize..6), 8..16).prop_map(|groups| {
        let mut out = String::new();
        for (u, l, d, order) in groups {
            let g = match order {
                0 => [u, l, d],
                1 => [u, d, l],
                2 => [l, u, d],
                3 => [l, d, u],
                4 => [d, u, l],
                _ => [d, l, u],
            };
            out.extend(g);
        }
        out
    })
}

/// Words joined as identifiers, paths and hostnames are: never secret by their shape.
fn harmless_words() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(
            prop::sample::select(vec![
                "api",
                "billing",
                "worker",
                "insurance",
                "navigator",
                "claims",
                "exports",
                "production",
                "staging",
                "queue",
                "jobs",
                "reports",
                "Archive",
                "Service",
                "v2",
                "2024",
                "eu",
                "west",
                "primary",
                "replica",
                "cache",
                "static",
            ]),
            1..8,
        ),
        prop::sample::select(vec!["-", "_", ".", "/"]),
    )
        .prop_map(|(w, sep)| w.join(sep))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// The classifier takes any string without panicking, and its reason never repeats
    /// a run of the value.
    #[test]
    fn classification_of_any_string_names_a_rule_only(key in hostile_string(), value in hostile_string()) {
        let c = stageprint::secrets::Classifier::default();
        for why in [c.classify(&key, &value), c.classify_text(&key, &value)].into_iter().flatten() {
            for part in value.split(|ch: char| !ch.is_alphanumeric()).filter(|p| p.chars().count() >= 8) {
                prop_assert!(!why.contains(part), "{} repeats {}", why, part);
            }
        }
    }

    /// A generated credential is secret wherever it sits in an otherwise harmless value.
    #[test]
    fn a_generated_token_is_secret_in_any_position(
        token in generated_token(),
        words in harmless_words(),
        form in 0usize..7,
    ) {
        let value = match form {
            0 => token.clone(),
            1 => format!("https://{}.example.com/{words}/{token}", "hooks"),
            2 => format!("{{\"name\":\"{words}\",\"value\":\"{token}\"}}"),
            3 => format!("{words},{token}"),
            4 => format!("./bin/{words} --flag {token}"),
            5 => format!("{words}:{token}"),
            _ => format!("prefix {token} suffix"),
        };
        let c = stageprint::secrets::Classifier::default();
        prop_assert!(c.classify("PLAIN_SETTING", &value).is_some(), "{}", value);
        prop_assert!(c.classify_text("startCommand", &value).is_some(), "{}", value);
    }

    /// Identifiers, paths, hostnames and URLs made of words stay carried.
    #[test]
    fn words_stay_carried(words in harmless_words(), port in 1u16..65535) {
        let c = stageprint::secrets::Classifier::default();
        for value in [
            words.clone(),
            format!("https://{}.example.com:{port}/{words}", "api"),
            format!("{words},{words}"),
            format!("{{\"path\":\"/{words}\",\"port\":{port}}}"),
        ] {
            prop_assert!(c.classify("PLAIN_SETTING", &value).is_none(), "{}", value);
        }
    }
}

/// Isolation rules a one-service staging Blueprint with `value` in an env var breaks.
fn isolation_rules(value: &str) -> Vec<&'static str> {
    let text = format!(
        "services:\n  - type: web\n    name: hostile-staging\n    runtime: node\n    envVars:\n      - key: V\n        value: {}\n",
        stageprint::yaml::quote(value)
    );
    let doc = stageprint::validate::Document::parse(&text, std::path::Path::new("h.yaml")).unwrap();
    let iso = stageprint::validate::isolation::check(
        &doc.value,
        &doc.locations,
        &bundled_snapshot(),
        &[],
        None,
    );
    iso.violations.iter().map(|f| f.rule).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, .. ProptestConfig::default() })]

    /// Decoding hostile text (escapes, entities, percent signs, Unicode) never panics or
    /// invents production, and cannot hide a production host written beside it.
    #[test]
    fn isolation_survives_hostile_values(s in hostile_string()) {
        prop_assert!(isolation_rules(&s).is_empty());
        prop_assert_eq!(
            isolation_rules(&format!("{s} https://api.insurancenavigator.example/")),
            vec!["isolation/literal"]
        );
    }
}
