//! One file per env group: every key with its disposition, non-secret values, and for
//! secrets only where the operator must set them — never a value. Written by the same
//! block emitter as the snapshot ([`crate::yaml::emit`]).

use serde_json::{Map, Value, json};

use super::Paths;
use crate::model::GENERATED_HEADER;
use crate::overlay::{Disposition, EnvRecord, Staging, StagingEnvGroup};

/// `records` are the group's own env records.
pub fn render(
    g: &StagingEnvGroup,
    records: &[&EnvRecord],
    staging: &Staging,
    paths: &Paths,
) -> String {
    let keys: Vec<Value> = records.iter().map(|r| key(g, r)).collect();
    let files: Vec<Value> = g
        .secret_files
        .iter()
        .map(|f| {
            json!({
                "name": f,
                "setIn": format!("Dashboard → Env Groups → {} → Secret Files → {f}", g.name),
            })
        })
        .collect();
    let body = json!({
        "name": g.name,
        "production": g.production_name,
        "linkedServices": g.linked_services,
        "envVars": keys,
        "secretFiles": files,
    });
    let header = [
        format!("{GENERATED_HEADER} (regenerate with `stageprint generate`)"),
        format!(
            "Env group {} for `{}`, from {} and {}.",
            g.name, staging.environment, paths.snapshot_label, paths.overlay_label
        ),
        "A reviewer's view of every key: the Blueprint (render.yaml) holds what Render applies; secrets".into(),
        "never appear here, only where the operator must set them.".into(),
    ];
    let mut out = String::new();
    for line in header {
        out.push_str("# ");
        out.push_str(&crate::yaml::comment_safe(&line));
        out.push('\n');
    }
    out.push_str(&crate::yaml::emit(&body));
    out
}

fn key(g: &StagingEnvGroup, r: &EnvRecord) -> Value {
    let mut k = Map::new();
    k.insert("key".into(), r.key.clone().into());
    k.insert("disposition".into(), r.disposition.as_str().into());
    k.insert("secret".into(), r.secret.into());
    match r.disposition {
        Disposition::OperatorProvided => {
            k.insert(
                "setIn".into(),
                format!(
                    "Dashboard → Env Groups → {} → Environment Variables → {}",
                    g.name, r.key
                )
                .into(),
            );
            k.insert("note".into(), r.detail.clone().into());
        }
        _ => {
            if let Some(v) = g.env.iter().find(|v| v.key == r.key)
                && let crate::overlay::VarSource::Value(value) = &v.source
            {
                k.insert("value".into(), value.clone().into());
            }
            if r.into_group.is_some() {
                k.insert(
                    "detail".into(),
                    format!("moved here from service `{}`", r.production_owner).into(),
                );
            } else if !matches!(
                r.disposition,
                Disposition::Carried | Disposition::Replaced | Disposition::Added
            ) || r.secret
            {
                k.insert("detail".into(), r.detail.clone().into());
            }
        }
    }
    k.insert(
        "decidedBy".into(),
        r.cause
            .as_ref()
            .map(|c| c.name())
            .unwrap_or_else(|| "default".into())
            .into(),
    );
    Value::Object(k)
}
