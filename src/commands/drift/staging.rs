//! Staging live against the Blueprint generated for it: every resource the Blueprint
//! declares, the fields it sets, and every env var: literal values, generated values,
//! references (whose live value must never name production), operator-provided keys, env
//! group links; and the env vars staging has that the Blueprint does not declare (a sync
//! merges and never deletes them). Values are compared in memory and never shown.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Drift;
use crate::model::Snapshot;
use crate::model::identity::Production;
use crate::snapshot::wire::RawWorkspace;
use crate::validate::blueprint::{self, Kind};

/// Fields compared on each kind, as the Blueprint and the snapshot both spell them. The
/// second list cannot change after creation: a difference needs the resource recreated.
const SERVICE_FIELDS: &[&str] = &[
    "plan",
    "numInstances",
    "repo",
    "branch",
    "rootDir",
    "buildCommand",
    "startCommand",
    "preDeployCommand",
    "dockerCommand",
    "dockerContext",
    "dockerfilePath",
    "healthCheckPath",
    "autoDeployTrigger",
    "schedule",
    "staticPublishPath",
    "maxShutdownDelaySeconds",
    "renderSubdomainPolicy",
    "domains",
];
const DATABASE_FIELDS: &[&str] = &[
    "plan",
    "diskSizeGB",
    "postgresMajorVersion",
    "databaseName",
    "user",
    "connectionPool",
];
const KEY_VALUE_FIELDS: &[&str] = &["plan", "maxmemoryPolicy", "persistenceMode"];
const IMMUTABLE: &[&str] = &["region", "runtime"];

/// What the next sync would do, counted like a plan.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub create: usize,
    pub change: usize,
    pub cannot_change: usize,
    pub env_left_over: usize,
    pub env_unset: usize,
}

/// Compare the Blueprint (as data) with staging as read (`live` normalised, `raw` for the
/// values, in memory only). `production` names what staging must never point at.
pub fn compare(
    blueprint: &Value,
    live: &Snapshot,
    raw: &RawWorkspace,
    production: &Production,
) -> (Vec<Drift>, Tally) {
    let mut out = Vec::new();
    let mut tally = Tally::default();
    let live_json = serde_json::to_value(live).expect("a snapshot serialises");
    let find = |list: &str, name: &str| -> Option<Value> {
        live_json[list]
            .as_array()?
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
    };
    let group_ids: BTreeMap<&str, &str> = raw
        .env_groups
        .iter()
        .map(|g| (g.name.as_str(), g.id.as_str()))
        .collect();
    for r in blueprint::resources(blueprint) {
        let Some(name) = r.name() else { continue };
        let (kind, list, fields) = match r.kind {
            Kind::Service => ("service", "services", SERVICE_FIELDS),
            Kind::Database => ("database", "databases", DATABASE_FIELDS),
            Kind::KeyValue => ("key value", "keyValues", KEY_VALUE_FIELDS),
            Kind::EnvGroup => ("env group", "envGroups", &[][..]),
        };
        let drift = |what: &str, field: Option<&str>, detail: Option<String>| Drift {
            kind,
            resource: name.to_string(),
            what: what.to_string(),
            field: field.map(str::to_string),
            detail,
        };
        let Some(l) = find(list, name) else {
            out.push(drift(
                "declared but missing (not synced yet, or the sync failed)",
                None,
                None,
            ));
            tally.create += 1;
            continue;
        };
        let mut changed = false;
        for f in fields.iter().chain(IMMUTABLE) {
            let Some(want) = r.field(f) else { continue };
            let have = l.get(*f).unwrap_or(&Value::Null);
            if !same(want, have) {
                let immutable = IMMUTABLE.contains(f);
                out.push(drift(
                    if immutable {
                        "differs and cannot change (recreate the resource)"
                    } else {
                        "differs; the next sync sets it"
                    },
                    Some(f),
                    Some(format!("Blueprint {}, live {}", shown(want), shown(have))),
                ));
                if immutable {
                    tally.cannot_change += 1;
                } else {
                    changed = true;
                }
            }
        }
        if r.kind == Kind::Database
            && let Some(ha) = r.field("highAvailability").and_then(|h| h.get("enabled"))
            && Some(ha) != l.get("highAvailability")
        {
            out.push(drift(
                "differs; the next sync sets it",
                Some("highAvailability"),
                Some(format!(
                    "Blueprint {ha}, live {}",
                    shown(&l["highAvailability"])
                )),
            ));
            changed = true;
        }
        if changed {
            tally.change += 1;
        }
        if matches!(r.kind, Kind::Service | Kind::EnvGroup) {
            let id = l["id"].as_str().unwrap_or_default();
            let values: BTreeMap<&str, &str> = match r.kind {
                Kind::Service => raw
                    .services
                    .iter()
                    .find(|s| s.service.id == id)
                    .map(|s| {
                        s.env_vars
                            .iter()
                            .map(|v| (v.key.as_str(), v.value.as_str()))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => raw
                    .env_groups
                    .iter()
                    .find(|g| g.id == id)
                    .map(|g| {
                        g.env_vars
                            .iter()
                            .map(|v| (v.key.as_str(), v.value.as_str()))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let mut declared = BTreeSet::new();
            for (_, v) in r.env_vars() {
                if let Some(g) = v.get("fromGroup").and_then(Value::as_str) {
                    let linked = group_ids.get(g).is_some_and(|gid| {
                        raw.env_groups
                            .iter()
                            .find(|x| x.id == *gid)
                            .is_some_and(|x| x.service_links.iter().any(|s| s.id == id))
                    });
                    if !linked {
                        out.push(drift("env group not linked", Some(g), None));
                    }
                    continue;
                }
                let Some(key) = v.get("key").and_then(Value::as_str) else {
                    continue;
                };
                declared.insert(key);
                let have = values.get(key).copied();
                let problem = if let Some(want) = v.get("value") {
                    match have {
                        None => Some("env var missing"),
                        Some(h) if h != shown(want) => Some("env var differs from the Blueprint"),
                        _ => None,
                    }
                } else if v.get("sync").and_then(Value::as_bool) == Some(false) {
                    match have {
                        None | Some("") => {
                            tally.env_unset += 1;
                            Some("operator-provided env var unset")
                        }
                        _ => None,
                    }
                } else {
                    // generateValue, fromDatabase, fromService: present, and never production.
                    match have {
                        None | Some("") => Some("env var missing"),
                        Some(h) if !production.matches(h).is_empty() => {
                            Some("env var points at PRODUCTION")
                        }
                        _ => None,
                    }
                };
                if let Some(p) = problem {
                    out.push(drift(p, Some(key), None));
                }
            }
            // Keys that come from linked groups are the groups' business.
            for key in values.keys() {
                if !declared.contains(key) && r.kind == Kind::Service {
                    out.push(drift(
                        "env var on staging that the Blueprint does not declare (a sync never deletes it)",
                        Some(key),
                        None,
                    ));
                    tally.env_left_over += 1;
                }
            }
        }
    }
    out.sort();
    (out, tally)
}

/// Whether a Blueprint value and a live one agree: numbers and strings compare by text,
/// lists as sets.
fn same(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Array(a), Value::Array(b)) => {
            let set = |l: &Vec<Value>| l.iter().map(shown).collect::<BTreeSet<_>>();
            set(a) == set(b)
        }
        (Value::Array(a), Value::Null) => a.is_empty(),
        _ => shown(want) == shown(have),
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
