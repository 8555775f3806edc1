//! Bounded fuzzing (runs in CI): mutated overlays and snapshots, and random structured
//! overlays, through parsing and the whole generate path. Nothing may panic; every
//! failure must be a located error.

mod support;

use std::path::Path;

use proptest::prelude::*;
use stageprint::model::Snapshot;
use stageprint::overlay::Overlay;
use stageprint::pipeline::{self, Strict};
use support::*;

const OVERLAY: &str = include_str!("../overlays/staging.yaml");
const SNAPSHOT: &str = include_str!("../generated/production.snapshot.yaml");

/// Edits that keep text mostly YAML-shaped, so the fuzzer gets past the parser often.
#[derive(Debug, Clone)]
enum Edit {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Insert(usize, String),
    Truncate(usize),
    ReplaceToken(usize, String),
}

fn fragment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " ",
        "-",
        "- ",
        ": ",
        "#",
        "*",
        "&a",
        "!!str",
        "[",
        "]",
        "{",
        "}",
        "'",
        "\"",
        "\t",
        "\n",
        "~",
        "null",
        "yes",
        "off",
        "0755",
        "1e3",
        "key: A",
        "set: x",
        "drop: r",
        "on: [x]",
        "version: 1",
        "env:",
        "  - key: \"*\"",
        "resources:",
        "  insurance-navigator-api:",
        "    plan: pro",
        "rename:",
        "  suffix: -s",
        "select:",
        "  exclude: [\"*\"]",
        "fromDatabase: {name: insurance-navigator-db, property: host}",
        "group: insurance-navigator-shared",
        "ungroup: true",
        "{{ x }}",
        "\u{2028}",
        "é",
        "services:",
        "refersTo: {resource: database, name: x, property: host, match: exact}",
    ])
    .prop_map(str::to_string)
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0usize..200).prop_map(Edit::DeleteLine),
        (0usize..200).prop_map(Edit::DuplicateLine),
        (0usize..200, 0usize..200).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (0usize..200, fragment()).prop_map(|(a, f)| Edit::Insert(a, f)),
        (0usize..20000).prop_map(Edit::Truncate),
        (0usize..2000, fragment()).prop_map(|(a, f)| Edit::ReplaceToken(a, f)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        let n = lines.len().max(1);
        match e {
            Edit::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            Edit::DuplicateLine(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            Edit::Insert(i, f) => lines.insert(i % (lines.len() + 1), f.clone()),
            Edit::Truncate(at) => {
                let joined = lines.join("\n");
                let mut cut = (*at).min(joined.len());
                while !joined.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = joined[..cut].lines().map(str::to_string).collect();
            }
            Edit::ReplaceToken(i, f) if !lines.is_empty() => {
                let idx = i % n;
                let words: Vec<&str> = lines[idx].split(' ').collect();
                let w = i % words.len().max(1);
                let mut words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
                if let Some(slot) = words.get_mut(w) {
                    *slot = f.clone();
                }
                lines[idx] = words.join(" ");
            }
            _ => {}
        }
    }
    lines.join("\n") + "\n"
}

fn snapshot() -> Snapshot {
    Snapshot::from_yaml(SNAPSHOT, Path::new("snapshot.yaml")).unwrap()
}

/// Run the whole path; any error must carry a location or a message, never a panic.
fn generate(snap: &Snapshot, overlay_text: &str) {
    match Overlay::parse(overlay_text, Path::new("overlay.yaml")) {
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in errors {
                assert!(e.span.pos.line >= 1 && e.span.pos.column >= 1, "{e}");
            }
        }
        Ok(o) => {
            if let Ok(out) = pipeline::run(snap, &o, "staging", &paths(), Strict::All.into()) {
                // What is produced must parse.
                serde_yaml::from_str::<serde_json::Value>(file(&out.files, "render.yaml")).unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn mutated_overlays_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        generate(&snapshot(), &apply(OVERLAY, &edits));
    }

    #[test]
    fn mutated_snapshots_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(SNAPSHOT, &edits);
        match Snapshot::from_yaml(&text, Path::new("snapshot.yaml")) {
            Ok(snap) => generate(&snap, OVERLAY),
            Err(e) => prop_assert!(e.span.pos.line >= 1),
        }
    }

    #[test]
    fn random_overlays_never_panic(rules in prop::collection::vec(rule(), 0..12), excluded in prop::collection::vec(name(), 0..2)) {
        let mut text = String::from("version: 1\nrename:\n  suffix: -stg\n");
        if !excluded.is_empty() {
            text.push_str(&format!("select:\n  exclude: [{}]\n", excluded.join(", ")));
        }
        text.push_str("env:\n");
        for r in rules {
            text.push_str(&r);
        }
        generate(&snapshot(), &text);
    }
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "insurance-navigator-api",
        "insurance-navigator-worker",
        "insurance-navigator-db",
        "insurance-navigator-queue",
        "insurance-navigator-shared",
        "nope",
    ])
    .prop_map(str::to_string)
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "\"*\"",
        "LOG_LEVEL",
        "DATABASE_URL",
        "REDIS_URL",
        "JWT_SECRET",
        "SENTRY_DSN",
        "FEATURE_*",
        "NEW_KEY",
        "STRIPE_SECRET_KEY",
        "API_BASE_URL",
    ])
    .prop_map(str::to_string)
}

fn rule() -> impl Strategy<Value = String> {
    let action = prop_oneof![
        Just("set: \"v\"".to_string()),
        Just("replace: {insurancenavigator.example: staging.example}".to_string()),
        Just("secret: \"note\"".to_string()),
        Just("generate: true".to_string()),
        name().prop_map(|n| format!("fromDatabase: {{name: {n}, property: connectionString}}")),
        name().prop_map(|n| format!("fromService: {{name: {n}, property: hostport}}")),
        name().prop_map(|n| format!("group: {n}")),
        Just("ungroup: true".to_string()),
        Just("drop: \"reason\"".to_string()),
    ];
    (key(), prop::collection::vec(name(), 0..2), action).prop_map(|(k, on, a)| {
        let on = if on.is_empty() {
            String::new()
        } else {
            format!("    on: [{}]\n", on.join(", "))
        };
        format!("  - key: {k}\n{on}    {a}\n")
    })
}
