//! One file per env group: every key with its disposition, non-secret values, and for
//! secrets only where the operator must set them — never a value.

use serde::Serialize;

use super::{MapBuilder, Node, Paths};
use crate::model::GENERATED_HEADER;
use crate::overlay::{Disposition, EnvRecord, Staging, StagingEnvGroup};

#[derive(Debug, Serialize)]
struct Context {
    header: Vec<String>,
    body: Node,
}

/// `records` are the group's own env records.
pub fn render(
    g: &StagingEnvGroup,
    records: &[&EnvRecord],
    staging: &Staging,
    paths: &Paths,
) -> anyhow::Result<String> {
    let mut body = MapBuilder::new();
    body.field("name", Node::str(g.name.clone()));
    body.field("production", Node::str(g.production_name.clone()));
    body.field("linkedServices", Node::strs(g.linked_services.clone()));
    let mut keys = Vec::new();
    for r in records {
        let mut k = MapBuilder::new();
        k.field("key", Node::str(r.key.clone()));
        k.field("disposition", Node::str(r.disposition.as_str()));
        k.field("secret", Node::bool(r.secret));
        match r.disposition {
            Disposition::OperatorProvided => {
                k.field(
                    "setIn",
                    Node::str(format!(
                        "Dashboard → Env Groups → {} → Environment Variables → {}",
                        g.name, r.key
                    )),
                );
                k.field("note", Node::str(r.detail.clone()));
            }
            _ => {
                if let Some(v) = g.env.iter().find(|v| v.key == r.key)
                    && let crate::overlay::VarSource::Value(value) = &v.source
                {
                    k.field("value", Node::str(value.clone()));
                }
                if r.into_group.is_some() {
                    k.field(
                        "detail",
                        Node::str(format!("moved here from service `{}`", r.production_owner)),
                    );
                } else if !matches!(
                    r.disposition,
                    Disposition::Carried | Disposition::Replaced | Disposition::Added
                ) || r.secret
                {
                    k.field("detail", Node::str(r.detail.clone()));
                }
            }
        }
        k.field(
            "decidedBy",
            Node::str(
                r.cause
                    .as_ref()
                    .map(|c| c.name())
                    .unwrap_or_else(|| "default".into()),
            ),
        );
        keys.push(k.build());
    }
    body.field("envVars", Node::list(keys));
    let files: Vec<Node> = g
        .secret_files
        .iter()
        .map(|f| {
            let mut n = MapBuilder::new();
            n.field("name", Node::str(f.clone()));
            n.field(
                "setIn",
                Node::str(format!(
                    "Dashboard → Env Groups → {} → Secret Files → {f}",
                    g.name
                )),
            );
            n.build()
        })
        .collect();
    body.field("secretFiles", Node::list(files));
    let ctx = Context {
        header: vec![
            format!("{GENERATED_HEADER} (regenerate with `stageprint generate`)"),
            format!("Env group {} for `{}`, from {} and {}.", g.name, staging.environment, paths.snapshot_label, paths.overlay_label),
            "A reviewer's view of every key: the Blueprint (render.yaml) holds what Render applies; secrets".into(),
            "never appear here, only where the operator must set them.".into(),
        ],
        body: body.build(),
    };
    super::render_template("env-group.yaml.j2", &ctx)
}
