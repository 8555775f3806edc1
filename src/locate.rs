//! A finding about the staging Blueprint that generate refuses, traced back to its cause.
//!
//! The refused Blueprint is never written, so a line in it means nothing to the reader (the
//! file on disk, if any, is the previous one). Each blocking finding is instead located at
//! what put the offending value there: the overlay line of the rule or override (from the
//! provenance side tables: env records, `changes`, renames), or the production resource
//! and key whose value a default carried. The rendered JSON path stays as context, and
//! the hint suggests the fix that matches the cause.

use std::collections::HashMap;

use serde_json::Value;

use crate::overlay::{Cause, Change, Disposition, EnvRecord, Staging};
use crate::validate::Finding;
use crate::yaml::Locations;

/// What the Blueprint's resources were in production: staging name → (kind, production name).
struct Origins<'a> {
    by_staging: HashMap<&'a str, (&'static str, &'a str)>,
}

impl<'a> Origins<'a> {
    fn new(staging: &'a Staging) -> Origins<'a> {
        let mut by_staging = HashMap::new();
        for s in &staging.services {
            by_staging.insert(
                s.service.name.as_str(),
                ("service", s.production_name.as_str()),
            );
        }
        for d in &staging.databases {
            by_staging.insert(
                d.database.name.as_str(),
                ("database", d.production_name.as_str()),
            );
        }
        for k in &staging.key_values {
            by_staging.insert(
                k.key_value.name.as_str(),
                ("key value", k.production_name.as_str()),
            );
        }
        for g in &staging.env_groups {
            by_staging.insert(g.name.as_str(), ("env group", g.production_name.as_str()));
        }
        Origins { by_staging }
    }
}

/// One step of a JSON path: a key or an index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(Step::Key(rest[..i].to_string()));
            }
            rest = &rest[i..];
            while let Some(r) = rest.strip_prefix('[') {
                let Some(end) = r.find(']') else { break };
                if let Ok(n) = r[..end].parse() {
                    out.push(Step::Index(n));
                }
                rest = &r[end + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Step::Key(rest.to_string()));
        }
    }
    out
}

fn at<'v>(v: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    steps.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
    })
}

fn render_path(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Where a finding's cause is, and what fixes it.
struct Located {
    /// `overlay.yaml:12:5` or `snapshot.yaml (service `api`, env var `X`)`.
    at: String,
    cause: String,
    hint: Option<String>,
}

/// Format one blocking finding, located at its cause. A finding located in another file
/// (an allowance in the overlay) is already located there and is formatted as it is.
pub fn blocking_line(
    f: &Finding,
    blueprint: &Value,
    rendered: &std::path::Path,
    staging: &Staging,
    overlay: &Locations,
    snapshot_label: &str,
) -> String {
    if f.span.as_ref().is_some_and(|s| s.file != rendered) {
        return crate::validate::report::line(f);
    }
    let origins = Origins::new(staging);
    let l = locate(f, blueprint, staging, &origins, overlay, snapshot_label);
    let mut out = format!(
        "{}: {}[{}] {}: {}",
        l.at,
        f.severity.as_str(),
        f.rule,
        if f.path.is_empty() {
            "(Blueprint)"
        } else {
            &f.path
        },
        f.message
    );
    out.push_str(&format!("\n  cause: {}", l.cause));
    if let Some(h) = l.hint.or_else(|| f.hint.clone()) {
        out.push_str(&format!("\n  hint: {h}"));
    }
    out
}

/// The part of an isolation hint that offers an allowance, kept whatever the cause.
fn allow_part(hint: Option<&str>) -> String {
    hint.and_then(|h| h.find("if sharing it is deliberate").map(|i| &h[i..]))
        .map(|a| format!("; {a}"))
        .unwrap_or_default()
}

fn locate(
    f: &Finding,
    blueprint: &Value,
    staging: &Staging,
    origins: &Origins,
    overlay: &Locations,
    snapshot_label: &str,
) -> Located {
    let path = steps(&f.path);
    // The innermost resource the path is in: `…services[3]`, `…databases[0]`, `…envVarGroups[1]`.
    let resource_end = path.windows(2).rposition(|w| {
        matches!((&w[0], &w[1]), (Step::Key(k), Step::Index(_)) if k == "services" || k == "databases" || k == "envVarGroups")
    });
    let Some(end) = resource_end.map(|i| i + 2) else {
        // Outside any resource: the project environment comes from `placement`.
        if f.path.starts_with("projects") {
            let span = overlay.span("placement");
            return Located {
                at: span.to_string(),
                cause: format!("`placement` at {span}"),
                hint: f.hint.clone(),
            };
        }
        return Located {
            at: overlay.file().display().to_string(),
            cause: "the Blueprint as the overlay shapes it".into(),
            hint: f.hint.clone(),
        };
    };
    let name = at(blueprint, &path[..end])
        .and_then(|r| r.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (kind, production) = origins
        .by_staging
        .get(name)
        .copied()
        .unwrap_or(("resource", name));
    let rest = &path[end..];
    match rest {
        // A reference (`fromDatabase`, `fromService`, `fromGroup`) names a production
        // resource when that resource kept its production name: the cause is its name.
        [Step::Key(k), Step::Index(_), Step::Key(r), ..]
            if k == "envVars"
                && ["fromDatabase", "fromService", "fromGroup"].contains(&r.as_str()) =>
        {
            let reference = [&path[..end], &rest[..3]].concat();
            let target = at(blueprint, &reference)
                .and_then(|v| v.get("name").or(Some(v)))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let (kind, production) = origins
                .by_staging
                .get(target)
                .copied()
                .unwrap_or(("resource", target));
            field_cause(
                f,
                find(&staging.renames, target, "name"),
                kind,
                production,
                "name",
                snapshot_label,
            )
        }
        [Step::Key(k), Step::Index(_), ..] if k == "envVars" => {
            let var = [&path[..end], &rest[..2]].concat();
            let key = at(blueprint, &var)
                .and_then(|v| v.get("key"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = at(blueprint, &var)
                .and_then(|v| v.get("value"))
                .and_then(Value::as_str);
            env_var(
                f,
                staging,
                name,
                kind,
                production,
                key,
                value,
                snapshot_label,
            )
        }
        [Step::Key(field), ..] => {
            let field = field.as_str();
            let change = if field == "name" {
                find(&staging.renames, name, field)
            } else {
                find(&staging.changes, name, field)
            };
            // An override equal to production's value records no change, yet it is what
            // keeps the value: find it in the overlay.
            let set_by_overlay = || {
                let defaults = match kind {
                    "service" => "defaults.services",
                    "database" => "defaults.databases",
                    "key value" => "defaults.keyValues",
                    _ => return None,
                };
                [
                    format!("resources.{production}.{field}"),
                    format!("{defaults}.{field}"),
                ]
                .into_iter()
                .find(|p| overlay.key(p).is_some())
                .map(|p| Change {
                    resource: name.to_string(),
                    field: field.to_string(),
                    production: None,
                    cause: Cause::rule(overlay.span(&p), p),
                })
            };
            let owned;
            let change = match change {
                Some(c) => Some(c),
                None => {
                    owned = set_by_overlay();
                    owned.as_ref()
                }
            };
            field_cause(f, change, kind, production, field, snapshot_label)
        }
        [] | [Step::Index(_), ..] => Located {
            at: format!("{snapshot_label} ({kind} `{production}`)"),
            cause: format!(
                "production {kind} `{production}`, copied as `{name}` ({})",
                render_path(&path[..end])
            ),
            hint: f.hint.clone(),
        },
    }
}

fn find<'c>(changes: &'c [Change], resource: &str, field: &str) -> Option<&'c Change> {
    changes
        .iter()
        .find(|c| c.resource == resource && c.field == field)
}

fn field_cause(
    f: &Finding,
    change: Option<&Change>,
    kind: &str,
    production: &str,
    field: &str,
    snapshot_label: &str,
) -> Located {
    let allow = allow_part(f.hint.as_deref());
    match change.map(|c| &c.cause) {
        Some(Cause::Rule { span, label }) => {
            let fix = if field == "name" {
                format!(
                    "change the rename rule `{label}` so that the staging name is not a production one"
                )
            } else {
                format!("change `{label}` to a staging value")
            };
            Located {
                at: span.to_string(),
                cause: format!("the overlay's `{label}` sets `{field}` of {kind} `{production}`"),
                hint: Some(format!("{fix}{allow}")),
            }
        }
        Some(Cause::Automatic { reason }) => Located {
            at: format!("{snapshot_label} ({kind} `{production}`, `{field}`)"),
            cause: format!("`{field}` of production {kind} `{production}`: {reason}"),
            hint: Some(override_hint(f, kind, production, field)),
        },
        None => Located {
            at: format!("{snapshot_label} ({kind} `{production}`, `{field}`)"),
            cause: format!(
                "`{field}` of production {kind} `{production}`, carried unchanged (no override sets it)"
            ),
            hint: Some(override_hint(f, kind, production, field)),
        },
    }
}

fn override_hint(f: &Finding, kind: &str, production: &str, field: &str) -> String {
    let over = if field == "name" {
        format!(
            "give it a staging name: `rename: {{ names: {{ {production}: <staging name> }} }}` (or a rename.pattern or suffix)"
        )
    } else if kind == "env group" {
        format!("decide it with an env rule on `{production}`")
    } else {
        format!("override it in the overlay: `resources: {{ {production}: {{ {field}: … }} }}`")
    };
    match &f.hint {
        Some(h) if field != "name" => format!("{over}; {h}"),
        _ => over,
    }
}

#[allow(clippy::too_many_arguments)]
fn env_var(
    f: &Finding,
    staging: &Staging,
    owner: &str,
    kind: &str,
    production: &str,
    key: &str,
    value: Option<&str>,
    snapshot_label: &str,
) -> Located {
    // The record for this variable: on this owner, else one moved here from a group or
    // service (its record names the place it came from).
    let on_owner = |r: &&EnvRecord| r.staging_owner.as_deref() == Some(owner) && r.key == key;
    let moved = |r: &&EnvRecord| {
        r.key == key
            && matches!(
                r.disposition,
                Disposition::MovedToGroup | Disposition::MovedToServices
            )
    };
    let record = staging
        .env_records
        .iter()
        .filter(|r| !matches!(r.disposition, Disposition::Dropped))
        .find(on_owner)
        .or_else(|| staging.env_records.iter().find(moved));
    let allow = allow_part(f.hint.as_deref());
    let Some(r) = record else {
        return Located {
            at: format!("{snapshot_label} ({kind} `{production}`, env var `{key}`)"),
            cause: format!("env var `{key}` of {kind} `{production}`"),
            hint: f.hint.clone(),
        };
    };
    let owner_kind = if r.owner_kind == "service" {
        "service"
    } else {
        "env group"
    };
    // A rule put the value there when it added the variable or the value is not
    // production's.
    let carried = r.disposition != Disposition::Added
        && r.production_value.is_some()
        && r.production_value.as_deref() == value;
    match (&r.cause, carried) {
        (Some(Cause::Rule { span, label }), false) => {
            let what = label.split('`').next().unwrap_or(label).trim();
            let fix = match what {
                "env set" => format!(
                    "change that `set` to a staging value, or decide `{key}` another way (`secret`, `fromDatabase`, `fromService`)"
                ),
                "env replace" => {
                    "change that `replace` so that it yields a staging value".to_string()
                }
                _ => "change that rule".to_string(),
            };
            Located {
                at: span.to_string(),
                cause: format!(
                    "the overlay rule {label} put this value in `{key}` (production {owner_kind} `{}`)",
                    r.production_owner
                ),
                hint: Some(format!("{fix}{allow}")),
            }
        }
        (cause, _) => {
            let how = match cause {
                None => {
                    "carried by the default for a non-secret value (no rule decides it)".to_string()
                }
                Some(Cause::Automatic { reason }) => format!("carried automatically ({reason})"),
                Some(Cause::Rule { span, label }) => {
                    format!("production's value, kept by the overlay rule {label} at {span}")
                }
            };
            Located {
                at: format!(
                    "{snapshot_label} ({owner_kind} `{}`, env var `{key}`)",
                    r.production_owner
                ),
                cause: format!(
                    "the production value of `{key}` on {owner_kind} `{}`, {how}",
                    r.production_owner
                ),
                hint: f.hint.clone().map(|h| {
                    format!("{h}; or make it operator-provided: `env: [{{ key: {key}, on: [{}], secret: \"…\" }}]`", r.production_owner)
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_steps() {
        assert_eq!(
            steps("projects[0].environments[1].services[2].envVars[3].value"),
            vec![
                Step::Key("projects".into()),
                Step::Index(0),
                Step::Key("environments".into()),
                Step::Index(1),
                Step::Key("services".into()),
                Step::Index(2),
                Step::Key("envVars".into()),
                Step::Index(3),
                Step::Key("value".into()),
            ]
        );
        assert_eq!(
            render_path(&steps("services[2].domains[0]")),
            "services[2].domains[0]"
        );
        assert_eq!(steps(""), vec![]);
    }

    #[test]
    fn the_allowance_part_of_a_hint_is_kept() {
        assert_eq!(
            allow_part(Some("add a rule; if sharing it is deliberate: `allow: x`")),
            "; if sharing it is deliberate: `allow: x`"
        );
        assert_eq!(allow_part(Some("nothing")), "");
        assert_eq!(allow_part(None), "");
    }
}
