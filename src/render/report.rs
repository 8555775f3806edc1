//! The report (`report.md` and `report.json`, one context for both): the disposition of
//! every production env var, every difference from production with the overlay line that
//! caused it, and the manual steps the Blueprint cannot express.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{GENERATED_HEADER, ResourceKind};
use crate::overlay::{Cause, Disposition, ManualStep, NotCopied, Staging};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub header: String,
    pub environment: String,
    pub snapshot: String,
    pub overlay: String,
    pub summary: Summary,
    pub resources: Vec<ResourceRow>,
    pub env_vars: Vec<EnvOwner>,
    pub changes: Vec<ChangeRow>,
    pub manual_steps: Vec<StepGroup>,
    pub allowances: Vec<AllowanceRow>,
    pub not_copied: Vec<NotCopied>,
    /// Carried values a reviewer decides: external endpoints and values naming production.
    pub review: super::review::Review,
    pub findings: Vec<FindingRow>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub resources_copied: usize,
    pub resources_not_copied: usize,
    /// Production env vars of copied resources (added ones excluded).
    pub env_vars: usize,
    pub decided_by_rule: usize,
    pub decided_automatically: usize,
    /// No rule decided them; the safe default applied.
    pub defaulted: usize,
    pub defaulted_secrets: usize,
    /// Share of production env vars decided by a rule or automatically, one decimal.
    /// A carried value that names production counts as undecided.
    pub coverage_percent: String,
    /// Integrations (registrable domains) that carried values point at.
    pub external_integrations: usize,
    /// Carried values that name production (`APP_ENV=prod`), undecided.
    pub production_named: usize,
    pub added: usize,
    pub dispositions: BTreeMap<String, usize>,
    pub changes: usize,
    pub manual_steps: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRow {
    pub kind: &'static str,
    pub production: String,
    pub staging: String,
}

/// The variables of one service or env group.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvOwner {
    /// `service` or `envGroup`.
    pub kind: &'static str,
    pub production: String,
    pub staging: String,
    pub vars: Vec<EnvRow>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvRow {
    pub key: String,
    pub secret: bool,
    pub disposition: Disposition,
    /// `rule`, `automatic` or `default`.
    pub decided_by: &'static str,
    pub cause: String,
    /// What staging gets, in words; empty when carried unchanged (render.yaml has the value).
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRow {
    pub resource: String,
    pub field: String,
    pub production: Option<String>,
    pub cause: String,
    pub decided_by: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepGroup {
    pub title: &'static str,
    pub steps: Vec<ManualStep>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowanceRow {
    pub target: String,
    pub reason: String,
    pub at: String,
    pub uses: Vec<String>,
}

/// A validation or isolation finding that did not stop generation (warnings, allowed uses).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingRow {
    pub severity: String,
    pub rule: String,
    pub at: String,
    pub message: String,
}

fn decided_by(c: &Option<Cause>) -> &'static str {
    match c {
        Some(Cause::Rule { .. }) => "rule",
        Some(Cause::Automatic { .. }) => "automatic",
        None => "default",
    }
}

impl Report {
    pub fn build(
        staging: &Staging,
        snapshot_label: &str,
        overlay_label: &str,
        findings: Vec<FindingRow>,
        allowance_uses: &BTreeMap<String, Vec<String>>,
    ) -> Report {
        let mut resources = Vec::new();
        for s in &staging.services {
            resources.push(ResourceRow {
                kind: ResourceKind::Service.as_str(),
                production: s.production_name.clone(),
                staging: s.service.name.clone(),
            });
        }
        for d in &staging.databases {
            resources.push(ResourceRow {
                kind: ResourceKind::Database.as_str(),
                production: d.production_name.clone(),
                staging: d.database.name.clone(),
            });
        }
        for k in &staging.key_values {
            resources.push(ResourceRow {
                kind: ResourceKind::KeyValue.as_str(),
                production: k.production_name.clone(),
                staging: k.key_value.name.clone(),
            });
        }
        for g in &staging.env_groups {
            resources.push(ResourceRow {
                kind: ResourceKind::EnvGroup.as_str(),
                production: g.production_name.clone(),
                staging: g.name.clone(),
            });
        }
        resources.sort_by(|a, b| (a.kind, &a.production).cmp(&(b.kind, &b.production)));

        let mut env_vars: Vec<EnvOwner> = Vec::new();
        for r in &staging.env_records {
            let staging_owner = r.staging_owner.clone().unwrap_or_default();
            if env_vars
                .last()
                .is_none_or(|o| o.kind != r.owner_kind || o.production != r.production_owner)
            {
                env_vars.push(EnvOwner {
                    kind: r.owner_kind,
                    production: r.production_owner.clone(),
                    staging: staging_owner,
                    vars: Vec::new(),
                });
            }
            let row = EnvRow {
                key: r.key.clone(),
                secret: r.secret,
                disposition: r.disposition,
                decided_by: decided_by(&r.cause),
                cause: r
                    .cause
                    .as_ref()
                    .map(Cause::describe)
                    .unwrap_or_else(|| "default".into()),
                detail: if r.disposition == Disposition::Carried {
                    String::new()
                } else {
                    r.detail.clone()
                },
            };
            env_vars.last_mut().expect("pushed above").vars.push(row);
        }
        let all: Vec<&EnvRow> = env_vars.iter().flat_map(|o| &o.vars).collect();
        let production_vars: Vec<&EnvRow> = all
            .iter()
            .copied()
            .filter(|r| r.disposition != Disposition::Added)
            .collect();
        let count = |by: &str| {
            production_vars
                .iter()
                .filter(|r| r.decided_by == by)
                .count()
        };
        let (rule, automatic, default) = (count("rule"), count("automatic"), count("default"));
        // A value that says it is production is undecided even when a default rewrote it.
        let review = super::review::review(staging);
        let named_but_automatic = staging
            .env_records
            .iter()
            .filter(|r| !r.is_default() && super::review::names_production_undecided(r))
            .count();
        let coverage = if production_vars.is_empty() {
            "100.0".to_string()
        } else {
            format!(
                "{:.1}",
                100.0 * (rule + automatic).saturating_sub(named_but_automatic) as f64
                    / production_vars.len() as f64
            )
        };
        let mut dispositions = BTreeMap::new();
        for r in &all {
            *dispositions
                .entry(r.disposition.as_str().to_string())
                .or_insert(0) += 1;
        }

        let changes: Vec<ChangeRow> = staging
            .changes
            .iter()
            .map(|c| ChangeRow {
                resource: c.resource.clone(),
                field: c.field.clone(),
                production: c.production.clone(),
                cause: c.cause.describe(),
                decided_by: if c.cause.is_rule() {
                    "rule"
                } else {
                    "automatic"
                },
            })
            .collect();

        let mut groups: BTreeMap<_, Vec<ManualStep>> = BTreeMap::new();
        for s in &staging.manual_steps {
            groups.entry(s.kind).or_default().push(s.clone());
        }
        let manual_steps: Vec<StepGroup> = groups
            .into_iter()
            .map(|(k, steps)| StepGroup {
                title: k.title(),
                steps,
            })
            .collect();

        let allowances = staging
            .allowances
            .iter()
            .map(|a| AllowanceRow {
                target: a.target.clone(),
                reason: a.reason.clone(),
                at: a.span.to_string(),
                uses: allowance_uses.get(&a.target).cloned().unwrap_or_default(),
            })
            .collect();

        let summary = Summary {
            resources_copied: resources.len(),
            resources_not_copied: staging.not_copied.len(),
            env_vars: production_vars.len(),
            decided_by_rule: rule,
            decided_automatically: automatic,
            defaulted: default,
            defaulted_secrets: production_vars
                .iter()
                .filter(|r| r.decided_by == "default" && r.secret)
                .count(),
            coverage_percent: coverage,
            external_integrations: review.external_endpoints.len(),
            production_named: review.production_named.len(),
            added: all.len() - production_vars.len(),
            dispositions,
            changes: changes.len(),
            manual_steps: staging.manual_steps.len(),
            warnings: findings.len(),
        };
        Report {
            header: format!("{GENERATED_HEADER} (regenerate with `stageprint generate`)"),
            environment: staging.environment.clone(),
            snapshot: snapshot_label.to_string(),
            overlay: overlay_label.to_string(),
            summary,
            resources,
            env_vars,
            changes,
            manual_steps,
            allowances,
            not_copied: staging.not_copied.clone(),
            review,
            findings,
        }
    }
}
