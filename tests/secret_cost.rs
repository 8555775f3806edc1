//! What the "carried only when harmless" default costs on real workspaces: how many values
//! of each fixture workspace and of Render's example Blueprints the value test sends to
//! the operator although their key says nothing secret. Run with `--nocapture` for the
//! figures; the assertions keep false positives on these real values at zero.

mod support;

use stageprint::secrets::Classifier;
use support::*;

/// Whether the key alone makes the value secret (any value).
fn secret_by_key(c: &Classifier, key: &str) -> bool {
    c.classify(key, "").is_some()
}

#[test]
fn fixture_workspaces_lose_no_harmless_value() {
    let c = Classifier::default();
    for name in ["insurance-navigator", "harbor"] {
        let raw = stageprint::snapshot::fixtures::load_dir(
            &root().join(format!("tests/fixtures/{name}/api")),
        )
        .unwrap();
        let vars: Vec<_> = raw
            .services
            .iter()
            .flat_map(|s| &s.env_vars)
            .chain(raw.env_groups.iter().flat_map(|g| &g.env_vars))
            .collect();
        let secret = vars
            .iter()
            .filter(|v| c.classify(&v.key, &v.value).is_some())
            .count();
        let by_value: Vec<&str> = vars
            .iter()
            .filter(|v| !secret_by_key(&c, &v.key) && c.classify(&v.key, &v.value).is_some())
            .map(|v| v.key.as_str())
            .collect();
        let commands = raw.services.len();
        println!(
            "{name}: {} values, {secret} secret, {} secret by their value alone {by_value:?}, {commands} services' commands checked",
            vars.len(),
            by_value.len()
        );
        // Each value the value test catches in these fixtures is a real credential in a
        // URL (a database or SMTP URL); a harmless value never is.
        for v in vars
            .iter()
            .filter(|v| !secret_by_key(&c, &v.key) && c.classify(&v.key, &v.value).is_some())
        {
            let rule = c.classify(&v.key, &v.value).unwrap();
            assert_eq!(
                rule, "value has credentials inside a URL",
                "{name}: {}",
                v.key
            );
        }
    }
}

#[test]
fn example_blueprints_keep_their_plain_values() {
    let Some(shared) = shared_dir() else { return };
    let c = Classifier::default();
    let (mut values, mut secret, mut by_value) = (0, 0, Vec::new());
    let mut files: Vec<_> = std::fs::read_dir(shared.join("blueprint-corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for path in files {
        let Ok(doc) =
            serde_yaml::from_str::<serde_yaml::Value>(&std::fs::read_to_string(&path).unwrap())
        else {
            continue;
        };
        let mut stack = vec![&doc];
        while let Some(v) = stack.pop() {
            match v {
                serde_yaml::Value::Mapping(m) => {
                    if let (Some(k), Some(val)) =
                        (m.get("key").and_then(|k| k.as_str()), m.get("value"))
                    {
                        let val = match val {
                            serde_yaml::Value::String(s) => s.clone(),
                            other => serde_yaml::to_string(other).unwrap().trim().to_string(),
                        };
                        values += 1;
                        if c.classify(k, &val).is_some() {
                            secret += 1;
                            if !secret_by_key(&c, k) {
                                by_value.push(format!("{}: {k}", path.display()));
                            }
                        }
                    }
                    for (k, v) in m {
                        if let Some(cmd) = k.as_str().filter(|k| k.ends_with("Command"))
                            && let Some(text) = v.as_str()
                        {
                            values += 1;
                            if let Some(rule) = c.classify_text(cmd, text) {
                                by_value.push(format!("{}: {cmd} ({rule})", path.display()));
                            }
                        }
                        stack.push(v);
                    }
                }
                serde_yaml::Value::Sequence(s) => stack.extend(s),
                _ => {}
            }
        }
    }
    println!(
        "blueprint corpus: {values} literal values and commands, {secret} secret by key name, {} secret by their value alone {by_value:?}",
        by_value.len()
    );
    assert!(values > 50, "the corpus was read");
    assert!(by_value.is_empty(), "{by_value:#?}");
}
