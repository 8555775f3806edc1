//! `stageprint validate --remote`: ask Render whether it accepts a Blueprint
//! (`POST /blueprints/validate`), and make sure its first sync would create every staging
//! resource rather than adopt an existing one of the same name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result};

use crate::snapshot::client::{Client, Endpoint, RequestError};
use crate::snapshot::paging;
use crate::snapshot::wire;
use crate::validate::blueprint::{self, Kind};
use crate::validate::{Document, Finding, Severity};
use crate::yaml::{Pos, Span};

/// How to reach Render for `--remote`.
#[derive(Debug, Clone, Default)]
pub struct RemoteOptions {
    pub owner: Option<String>,
    pub api_key_file: Option<std::path::PathBuf>,
    pub api_url: Option<String>,
}

/// What Render said about the files: findings to merge with the local ones, and notes for
/// the operator.
pub struct Remote {
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

/// Validate each file with Render and check its plan for adoptions.
pub fn check(
    files: &[&Path],
    config: &crate::config::Config,
    options: &RemoteOptions,
) -> Result<Remote> {
    let owner = super::workspace_id(options.owner.as_deref(), config)?;
    let client = super::api_client(
        config,
        options.api_url.as_deref(),
        options.api_key_file.as_deref(),
        4,
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut out = Remote {
        findings: Vec::new(),
        notes: Vec::new(),
    };
    for file in files {
        let text = crate::yaml::read_text(file, crate::yaml::MAX_LARGE_INPUT)
            .with_context(|| format!("cannot read Blueprint {}", file.display()))??;
        runtime
            .block_on(check_one(&client, &owner, file, &text, &mut out))
            .map_err(|e| anyhow::anyhow!("validating {} with Render: {e}", file.display()))?;
    }
    Ok(out)
}

async fn check_one(
    client: &Client,
    owner: &str,
    file: &Path,
    text: &str,
    out: &mut Remote,
) -> Result<(), RequestError> {
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "render.yaml".into());
    let answer: wire::BlueprintValidation = client
        .post_form(
            &Endpoint::new("/blueprints/validate"),
            &[("ownerId", owner)],
            ("file", &file_name, text.as_bytes()),
        )
        .await?
        .value;
    let span = |line: Option<usize>, column: Option<usize>| {
        line.map(|line| Span {
            file: file.to_path_buf(),
            pos: Pos {
                line,
                column: column.unwrap_or(1),
            },
        })
    };
    if !answer.valid {
        if answer.errors.is_empty() {
            out.findings.push(Finding {
                severity: Severity::Error,
                rule: "render",
                path: String::new(),
                span: span(Some(1), Some(1)),
                message: "Render does not accept this Blueprint and gave no reason".into(),
                hint: None,
            });
        }
        for e in &answer.errors {
            out.findings.push(Finding {
                severity: Severity::Error,
                rule: "render",
                path: e.path.clone().unwrap_or_default(),
                span: span(e.line, e.column).or_else(|| span(Some(1), Some(1))),
                message: format!(
                    "Render: {}",
                    e.error.as_deref().unwrap_or("invalid (no message)")
                ),
                hint: None,
            });
        }
        return Ok(());
    }

    // Render's plan names the resources a sync would create; any other resource the file
    // declares would be updated, that is adopted if no Blueprint manages it yet.
    let Ok(doc) = Document::parse(text, file) else {
        return Ok(());
    };
    let plan = answer.plan.unwrap_or_default();
    let created: BTreeMap<Kind, BTreeSet<&str>> = [
        (Kind::Service, &plan.services),
        (Kind::KeyValue, &plan.key_value),
        (Kind::Database, &plan.databases),
        (Kind::EnvGroup, &plan.env_groups),
    ]
    .into_iter()
    .map(|(k, names)| (k, names.iter().map(String::as_str).collect()))
    .collect();
    let declared: Vec<(Kind, String, String)> = blueprint::resources(&doc.value)
        .into_iter()
        .filter_map(|r| Some((r.kind, r.name()?.to_string(), r.path.clone())))
        .collect();
    let not_created: Vec<&(Kind, String, String)> = declared
        .iter()
        .filter(|(k, name, _)| {
            // Render lists Key Values among services in some answers.
            let planned = created[k].contains(name.as_str())
                || (*k == Kind::KeyValue && created[&Kind::Service].contains(name.as_str()));
            !planned
        })
        .collect();
    if not_created.is_empty() {
        out.notes.push(format!(
            "{}: Render would create all {} resources. A new Blueprint's first sync waits for a person to approve it in the Render dashboard (Blueprints → the Blueprint → Sync).",
            file.display(),
            declared.len()
        ));
        return Ok(());
    }

    // Which Blueprint manages each name now; a resource managed by a Blueprint at this
    // file's path is a later sync of this same Blueprint.
    let mut managed: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    let listed: Vec<wire::Blueprint> =
        paging::list(client, Endpoint::new("/blueprints").query("ownerId", owner)).await?;
    for b in listed {
        let detail: wire::BlueprintDetail = client
            .get(&Endpoint::new(format!("/blueprints/{}", b.id)))
            .await?
            .value;
        for r in detail.resources {
            managed.insert(r.name, (detail.name.clone(), detail.path.clone()));
        }
    }
    let this_file = |path: &Option<String>| {
        path.as_deref()
            .map(|p| p.trim_start_matches("./"))
            .is_some_and(|p| !p.is_empty() && file.ends_with(p))
    };
    for (kind, name, path) in not_created {
        let finding = |message: String, hint: String| Finding {
            severity: Severity::Error,
            rule: "render/adopt",
            path: path.clone(),
            span: Some(doc.locations.span(path)),
            message,
            hint: Some(hint),
        };
        match managed.get(name) {
            Some((_, p)) if this_file(p) => {}
            Some((blueprint, p)) => out.findings.push(finding(
                format!(
                    "{} `{name}` is already managed by Blueprint `{blueprint}` ({}); a sync of this file would take it over",
                    kind.as_str(),
                    p.as_deref().unwrap_or("render.yaml")
                ),
                "give the staging resource a name no other resource has (overlay `rename`)".into(),
            )),
            None => {
                let existing = find_existing(client, owner, *kind, name).await?;
                out.findings.push(finding(
                    format!(
                        "Render would adopt the existing {} `{name}`{} instead of creating a staging one",
                        kind.as_str(),
                        existing.map(|id| format!(" ({id})")).unwrap_or_default()
                    ),
                    "give the staging resource a name no existing resource has (overlay `rename`), or delete the existing one if it is a leftover staging copy".into(),
                ));
            }
        }
    }
    Ok(())
}

/// The id of an existing resource of this kind and name in the workspace, if one is listed.
async fn find_existing(
    client: &Client,
    owner: &str,
    kind: Kind,
    name: &str,
) -> Result<Option<String>, RequestError> {
    let by_name = |path: &str| {
        Endpoint::new(path)
            .query("ownerId", owner)
            .query("name", name)
    };
    Ok(match kind {
        Kind::Service => paging::list::<wire::Service>(client, by_name("/services"))
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.id),
        Kind::Database => paging::list::<wire::Postgres>(client, by_name("/postgres"))
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.id),
        Kind::KeyValue => paging::list::<wire::KeyValue>(client, by_name("/key-value"))
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.id),
        Kind::EnvGroup => paging::unpaged::<wire::EnvGroup>(client, by_name("/env-groups"))
            .await?
            .items
            .into_iter()
            .find(|s| s.name == name)
            .map(|s| s.id),
    })
}
