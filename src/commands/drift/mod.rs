//! `stageprint drift`: the workspace is read once (in memory, never written) and compared
//! twice. Production against the committed `generated/production.snapshot.yaml`, resource
//! by resource, field by field and env var by env var (a secret's change shows only
//! through its keyed fingerprint); and each environment's staging resources against the
//! Blueprint generated for them (`staging.rs`). Secret values are never shown.

mod staging;

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::{Exit, Global, OutputFormat, generate};
use crate::config::Config;
use crate::model::identity::Production;
use crate::model::{self, ConvertOptions, EnvVar, Snapshot};
use crate::secrets::{Classifier, Fingerprinter};
use crate::snapshot::{self, Selection};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub format: OutputFormat,
    pub owner: Option<String>,
    pub api_key_file: Option<std::path::PathBuf>,
    pub api_url: Option<String>,
}

/// One difference between production now and the committed snapshot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// `service`, `database`, `key value`, `env group`.
    pub kind: &'static str,
    pub resource: String,
    /// `added`, `removed`, `renamed`, `changed`, `env var added`, ….
    pub what: String,
    /// The field or env var key, when the difference is inside a resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Before → after, for fields that are not secret; never an env var value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

pub fn run(global: &Global, options: Options) -> Result<Exit> {
    let config = Config::load(&global.config)?;
    let snapshot_path = config.snapshot_path();
    let committed = super::generate::load_snapshot(&snapshot_path)?;
    let owner = super::workspace_id(options.owner.as_deref(), &config)?;
    let client = super::api_client(
        &config,
        options.api_url.as_deref(),
        options.api_key_file.as_deref(),
        config.file.api.concurrency,
    )?;
    let selection = Selection::new(
        &config.file.production.include,
        &config.file.production.exclude,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // One read of the whole workspace serves both comparisons: production is what the
    // selection keeps, staging is what the Blueprints declare.
    let walked = runtime
        .block_on(snapshot::read_workspace(
            client.clone(),
            &owner,
            &Selection::default(),
            Duration::from_secs(config.file.api.deadline_seconds),
        ))
        .with_context(|| format!("reading workspace {owner} failed"))?;
    let classifier = Classifier::new(&config.file.secrets.rules());
    let fingerprinter = Fingerprinter::from_env();
    let (mut live, _) = model::normalise(
        &walked.raw,
        &ConvertOptions {
            classifier: &classifier,
            fingerprinter: fingerprinter.as_ref(),
        },
    );
    live.sort();
    let mut now = live.clone();
    super::snapshot::leave_out(&mut now, &selection);
    now.sort();
    let mut report = Report {
        snapshot: snapshot_path.display().to_string(),
        production: Vec::new(),
        staging: Vec::new(),
    };

    let production = Production::new(&committed);
    // Each environment's Blueprint; what they declare is staging, never production, even
    // in one workspace.
    let mut declared = std::collections::BTreeSet::new();
    let mut blueprints = Vec::new();
    for (name, env) in &config.file.environments {
        let path = config.resolve(&env.out).join("render.yaml");
        let text = crate::yaml::read_text(&path, crate::yaml::MAX_LARGE_INPUT)
            .with_context(|| {
                format!("cannot read the Blueprint of `{name}` at {}\n  hint: run `stageprint generate`", path.display())
            })??;
        let doc = crate::validate::Document::parse(&text, &path)?;
        declared.extend(
            crate::validate::blueprint::resources(&doc.value)
                .iter()
                .filter_map(|r| r.name().map(str::to_string)),
        );
        blueprints.push((name, env, path, doc));
    }
    super::leave_out_named(&mut now, &declared);
    report.production = compare(&committed, &now);
    for (name, env, path, doc) in blueprints {
        let (drifts, tally) = staging::compare(&doc.value, &live, &walked.raw, &production);
        // Section 3: the overlay applied to production as it is now, against live staging;
        // what it adds to section 2 is where staging and production part beyond the
        // decisions in the overlay.
        let mut now_for_env = now.clone();
        now_for_env.version = committed.version;
        let beyond = match generate::generate(
            &now_for_env,
            &snapshot_path,
            generate::Target {
                name: name.clone(),
                overlay: config.resolve(&env.overlay),
                out: config.resolve(&env.out),
            },
            crate::pipeline::Strict::Off,
        ) {
            Ok(g) => match g.files.iter().find(|f| f.path.ends_with("render.yaml")) {
                Some(f) => {
                    let fresh = crate::validate::Document::parse(&f.contents, &path)?;
                    let (all, _) = staging::compare(&fresh.value, &live, &walked.raw, &production);
                    all.into_iter().filter(|d| !drifts.contains(d)).collect()
                }
                None => Vec::new(),
            },
            Err(e) => vec![Drift {
                kind: "environment",
                resource: name.clone(),
                what: format!("the overlay no longer applies to production as it is now: {e}"),
                field: None,
                detail: None,
            }],
        };
        report.staging.push(Environment {
            name: name.clone(),
            blueprint: path.display().to_string(),
            drifts,
            beyond_overlay: beyond,
            tally,
        });
    }
    drop(walked);

    let out = match options.format {
        OutputFormat::Text => text(&report),
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).expect("drift serialises");
            s.push('\n');
            s
        }
        OutputFormat::Markdown => markdown(&report),
    };
    print!("{out}");
    let clean = report.production.is_empty() && report.staging.iter().all(|e| e.drifts.is_empty());
    Ok(if clean { Exit::Clean } else { Exit::Findings })
}

/// The whole drift report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub snapshot: String,
    /// Production now against the committed snapshot.
    pub production: Vec<Drift>,
    /// Each environment's staging resources against its Blueprint.
    pub staging: Vec<Environment>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub name: String,
    pub blueprint: String,
    pub drifts: Vec<Drift>,
    /// Live staging against the overlay applied to production now, less `drifts`.
    pub beyond_overlay: Vec<Drift>,
    pub tally: staging::Tally,
}

/// Every difference from `before` (the committed snapshot) to `now`, sorted.
pub fn compare(before: &Snapshot, now: &Snapshot) -> Vec<Drift> {
    let mut out = Vec::new();
    let sections = |s: &Snapshot| -> Vec<(&'static str, Vec<Value>)> {
        let v = serde_json::to_value(s).expect("a snapshot serialises");
        [
            ("service", "services"),
            ("database", "databases"),
            ("key value", "keyValues"),
            ("env group", "envGroups"),
        ]
        .into_iter()
        .map(|(kind, key)| (kind, v[key].as_array().cloned().unwrap_or_default()))
        .collect()
    };
    let env_of = |s: &Snapshot| -> BTreeMap<String, Vec<EnvVar>> {
        s.services
            .iter()
            .map(|x| (x.id.clone(), x.env_vars.clone()))
            .chain(
                s.env_groups
                    .iter()
                    .map(|g| (g.id.clone(), g.env_vars.clone())),
            )
            .collect()
    };
    let (env_before, env_now) = (env_of(before), env_of(now));
    for ((kind, old), (_, new)) in sections(before).into_iter().zip(sections(now)) {
        let by_id = |list: &[Value]| -> BTreeMap<String, Value> {
            list.iter()
                .map(|v| (v["id"].as_str().unwrap_or_default().to_string(), v.clone()))
                .collect()
        };
        let (old, new) = (by_id(&old), by_id(&new));
        let name = |v: &Value| v["name"].as_str().unwrap_or_default().to_string();
        let drift =
            |resource: String, what: &str, field: Option<String>, detail: Option<String>| Drift {
                kind,
                resource,
                what: what.to_string(),
                field,
                detail,
            };
        for (id, o) in &old {
            let Some(n) = new.get(id) else {
                out.push(drift(name(o), "removed", None, None));
                continue;
            };
            if name(o) != name(n) {
                out.push(drift(
                    name(n),
                    "renamed",
                    None,
                    Some(format!("{} → {}", name(o), name(n))),
                ));
            }
            let mut fields = Vec::new();
            diff_fields(o, n, "", &mut fields);
            for (field, detail) in fields {
                out.push(drift(name(n), "changed", Some(field), detail));
            }
            let empty = Vec::new();
            let vars = |m: &BTreeMap<String, Vec<EnvVar>>| m.get(id).unwrap_or(&empty).clone();
            for (what, key) in diff_env(&vars(&env_before), &vars(&env_now)) {
                out.push(drift(name(n), what, Some(key), None));
            }
        }
        for (id, n) in &new {
            if !old.contains_key(id) {
                out.push(drift(name(n), "added", None, None));
            }
        }
    }
    out.sort();
    out
}

/// Fields that differ, by JSON path, with before → after (the snapshot holds no secret
/// value, so what it holds can be shown). Env vars and secret files are compared apart.
fn diff_fields(a: &Value, b: &Value, path: &str, out: &mut Vec<(String, Option<String>)>) {
    const APART: &[&str] = &["envVars", "secretFiles", "name", "id"];
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                if path.is_empty() && APART.contains(&k.as_str()) {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff_fields(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &p,
                    out,
                );
            }
        }
        (x, y) if x != y => out.push((
            path.to_string(),
            Some(format!("{} → {}", shown(x), shown(y))),
        )),
        _ => {}
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Env vars added, removed or changed, by key. A secret's change is seen only when both
/// sides carry a keyed fingerprint; its value is never compared.
fn diff_env(before: &[EnvVar], now: &[EnvVar]) -> Vec<(&'static str, String)> {
    let map = |v: &[EnvVar]| -> BTreeMap<String, EnvVar> {
        v.iter().map(|e| (e.key.clone(), e.clone())).collect()
    };
    let (a, b) = (map(before), map(now));
    let mut out = Vec::new();
    for (k, old) in &a {
        match b.get(k) {
            None => out.push(("env var removed", k.clone())),
            Some(new) => {
                let changed = match (&old.secret, &new.secret) {
                    (Some(x), Some(y)) => match (&x.fingerprint, &y.fingerprint) {
                        (Some(f), Some(g)) => f != g,
                        _ => false,
                    },
                    (None, None) => old.value != new.value,
                    // Secret on one side only: the value changed shape.
                    _ => true,
                };
                if changed {
                    let what = if old.secret.is_some() || new.secret.is_some() {
                        "secret env var changed (fingerprint)"
                    } else {
                        "env var changed"
                    };
                    out.push((what, k.clone()));
                }
            }
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            out.push(("env var added", k.clone()));
        }
    }
    out
}

const FIX: &str =
    "stageprint snapshot && stageprint generate, then open a pull request with the result";

fn line(d: &Drift) -> String {
    let mut s = format!("  {} {}: {}", d.kind, d.resource, d.what);
    if let Some(f) = &d.field {
        s.push_str(&format!(" {f}"));
    }
    if let Some(x) = &d.detail {
        s.push_str(&format!(" ({x})"));
    }
    s.push('\n');
    s
}

fn tally_line(t: &staging::Tally) -> String {
    format!(
        "next sync: {} to create, {} to change, {} that cannot change; {} env vars left over, {} unset",
        t.create, t.change, t.cannot_change, t.env_left_over, t.env_unset
    )
}

fn text(r: &Report) -> String {
    let mut s = String::new();
    if r.production.is_empty() {
        s.push_str(&format!("production matches {}\n", r.snapshot));
    } else {
        s.push_str(&format!(
            "production has moved since {}: {} differences\n",
            r.snapshot,
            r.production.len()
        ));
        for d in &r.production {
            s.push_str(&line(d));
        }
        s.push_str(&format!("fix: {FIX}\n"));
    }
    for e in &r.staging {
        if e.drifts.is_empty() {
            s.push_str(&format!("{} matches {}\n", e.name, e.blueprint));
        } else {
            s.push_str(&format!(
                "{} differs from {}: {} differences\n",
                e.name,
                e.blueprint,
                e.drifts.len()
            ));
            for d in &e.drifts {
                s.push_str(&line(d));
            }
        }
        s.push_str(&format!("{}\n", tally_line(&e.tally)));
        if !e.beyond_overlay.is_empty() {
            s.push_str(&format!(
                "{} differs from production with its overlay applied, beyond its Blueprint: {} differences\n",
                e.name,
                e.beyond_overlay.len()
            ));
            for d in &e.beyond_overlay {
                s.push_str(&line(d));
            }
        }
    }
    s
}

fn markdown(r: &Report) -> String {
    let esc = |t: &str| t.replace('|', "\\|").replace('`', "'");
    let table = |drifts: &[Drift]| {
        let mut s = String::from(
            "| resource | kind | what | field | detail |\n| --- | --- | --- | --- | --- |\n",
        );
        for d in drifts {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                esc(&d.resource),
                d.kind,
                d.what,
                d.field.as_deref().map(esc).unwrap_or_default(),
                d.detail.as_deref().map(esc).unwrap_or_default()
            ));
        }
        s
    };
    let mut s = String::from("## Production drift\n\n");
    if r.production.is_empty() {
        s.push_str(&format!("Production matches `{}`.\n", r.snapshot));
    } else {
        s.push_str(&format!(
            "Production has moved since `{}`: {} differences.\n\n",
            r.snapshot,
            r.production.len()
        ));
        s.push_str(&table(&r.production));
        s.push_str(&format!("\nFix: `{FIX}`.\n"));
    }
    for e in &r.staging {
        s.push_str(&format!(
            "\n## Staging `{}` against `{}`\n\n",
            e.name, e.blueprint
        ));
        if e.drifts.is_empty() {
            s.push_str("Staging matches its Blueprint.\n");
        } else {
            s.push_str(&table(&e.drifts));
        }
        s.push_str(&format!("\n{}.\n", tally_line(&e.tally)));
        if !e.beyond_overlay.is_empty() {
            s.push_str(
                "\nBeyond its Blueprint, against production now with the overlay applied:\n\n",
            );
            s.push_str(&table(&e.beyond_overlay));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(text: &str) -> Snapshot {
        Snapshot::from_yaml(text, std::path::Path::new("s.yaml")).unwrap()
    }

    const BASE: &str = "version: 2\nworkspace: {id: tea-x}\nservices:\n  - id: srv-a\n    name: api\n    kind: web\n    runtime: node\n    autoDeployTrigger: commit\n    plan: starter\n    envVars:\n      - {key: LOG_LEVEL, value: info}\n      - {key: TOKEN, secret: {rule: r, fingerprint: 'hmac:1'}}\n      - {key: OTHER, secret: {rule: r}}\n";

    #[test]
    fn the_same_production_has_no_drift() {
        assert!(compare(&snap(BASE), &snap(BASE)).is_empty());
    }

    #[test]
    fn each_kind_of_change_is_named_without_secret_values() {
        let now = BASE
            .replace("plan: starter", "plan: standard")
            .replace("value: info", "value: debug")
            .replace("'hmac:1'", "'hmac:2'")
            .replace("name: api", "name: api-v2")
            + "  - id: srv-b\n    name: new\n    kind: worker\n    runtime: node\n    autoDeployTrigger: commit\n";
        let d = compare(&snap(BASE), &snap(&now));
        let lines: Vec<String> = d
            .iter()
            .map(|d| format!("{} {} {:?} {:?}", d.resource, d.what, d.field, d.detail))
            .collect();
        assert!(
            lines.contains(&"api-v2 renamed None Some(\"api → api-v2\")".to_string()),
            "{lines:#?}"
        );
        assert!(
            lines.contains(
                &"api-v2 changed Some(\"plan\") Some(\"starter → standard\")".to_string()
            ),
            "{lines:#?}"
        );
        assert!(lines.contains(&"api-v2 env var changed Some(\"LOG_LEVEL\") None".to_string()));
        assert!(lines.contains(
            &"api-v2 secret env var changed (fingerprint) Some(\"TOKEN\") None".to_string()
        ));
        assert!(lines.contains(&"new added None None".to_string()));
        assert!(
            !lines.iter().any(|l| l.contains("OTHER")),
            "no fingerprint, no verdict"
        );
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("debug") || l.contains("hmac"))
        );
        assert_eq!(d.len(), 5, "{lines:#?}");
    }
}
