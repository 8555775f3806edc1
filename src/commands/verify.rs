//! `stageprint verify`: after a sync, does staging work? For each service an environment's
//! Blueprint declares: it exists and is not suspended, its latest deploy is live, a web
//! service answers its health check (status and latency over several tries: the
//! performance baseline), every declared env var key is there and every operator-provided
//! one has a value, env group links and secret files are in place. Reads only.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::generate::{self, Target};
use super::{Exit, Global, OutputFormat};
use crate::config::Config;
use crate::pipeline::Strict;
use crate::snapshot::client::{Client, Endpoint, RequestError, check_base_url};
use crate::snapshot::paging;
use crate::snapshot::wire;
use crate::validate::blueprint::{self, Kind};

/// Health-check tries per web service.
const TRIES: usize = 5;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub environment: Option<String>,
    pub format: OutputFormat,
    /// Poll until deploys settle, for at most this long.
    pub wait: Option<Duration>,
    /// Also time production's health checks, as the baseline beside staging's.
    pub compare_production: bool,
    pub owner: Option<String>,
    pub api_key_file: Option<std::path::PathBuf>,
    pub api_url: Option<String>,
}

/// One check of one service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub service: String,
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
}

pub fn run(global: &Global, options: Options) -> Result<Exit> {
    let config = Config::load(&global.config)?;
    let owner = super::workspace_id(options.owner.as_deref(), &config)?;
    let client = super::api_client(
        &config,
        options.api_url.as_deref(),
        options.api_key_file.as_deref(),
        4,
    )?;
    let snapshot_path = config.snapshot_path();
    let snapshot = generate::load_snapshot(&snapshot_path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut checks = Vec::new();
    for (name, env) in &config.file.environments {
        if options.environment.as_ref().is_some_and(|e| e != name) {
            continue;
        }
        let path = config.resolve(&env.out).join("render.yaml");
        let text = crate::yaml::read_text(&path, crate::yaml::MAX_LARGE_INPUT).with_context(
            || format!("cannot read the Blueprint of `{name}` at {}\n  hint: run `stageprint generate`", path.display()),
        )??;
        let doc = crate::validate::Document::parse(&text, &path)?;
        // Secret files are not in the Blueprint: the staging model says which to expect.
        let generated = generate::generate(
            &snapshot,
            &snapshot_path,
            Target {
                name: name.clone(),
                overlay: config.resolve(&env.overlay),
                out: config.resolve(&env.out),
            },
            Strict::Off,
        )?;
        // Production's health-check URL per staging service, from the snapshot.
        let baselines: Vec<(String, String)> = if options.compare_production {
            generated
                .staging
                .services
                .iter()
                .filter_map(|s| {
                    let prod = snapshot
                        .services
                        .iter()
                        .find(|p| p.name == s.production_name)?;
                    let url = prod.network.url.as_deref()?;
                    let path = prod.health_check_path.as_deref().unwrap_or("/");
                    Some((
                        s.service.name.clone(),
                        format!("{}{path}", url.trim_end_matches('/')),
                    ))
                })
                .collect()
        } else {
            Vec::new()
        };
        let files: Vec<(String, Vec<String>)> = generated
            .staging
            .services
            .iter()
            .map(|s| {
                (
                    s.service.name.clone(),
                    s.service
                        .secret_files
                        .iter()
                        .map(|f| f.name.clone())
                        .collect(),
                )
            })
            .collect();
        checks.extend(
            runtime
                .block_on(verify(
                    &client,
                    &owner,
                    &doc.value,
                    &files,
                    &baselines,
                    options.wait,
                ))
                .map_err(|e| anyhow::anyhow!("verifying `{name}`: {e}"))?,
        );
    }
    print!("{}", render(&checks, options.format));
    Ok(if checks.iter().all(|c| c.ok) {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

async fn verify(
    client: &Client,
    owner: &str,
    blueprint: &Value,
    secret_files: &[(String, Vec<String>)],
    baselines: &[(String, String)],
    wait: Option<Duration>,
) -> Result<Vec<Check>, RequestError> {
    let mut out = Vec::new();
    let health = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client builds");
    let groups: Vec<wire::EnvGroup> =
        paging::unpaged(client, Endpoint::new("/env-groups").query("ownerId", owner))
            .await?
            .items;
    for r in blueprint::resources(blueprint) {
        if r.kind != Kind::Service {
            continue;
        }
        let Some(name) = r.name() else { continue };
        let mut check = |check: &'static str, ok: bool, detail: String| {
            out.push(Check {
                service: name.to_string(),
                check,
                ok,
                detail,
            })
        };
        let listed: Vec<wire::Service> = paging::list(
            client,
            Endpoint::new("/services")
                .query("ownerId", owner)
                .query("name", name),
        )
        .await?;
        let Some(s) = listed.into_iter().find(|s| s.name == name) else {
            check(
                "exists",
                false,
                "not found (not synced yet, or the sync failed)".into(),
            );
            continue;
        };
        let suspended = s.suspended.as_deref() == Some("suspended");
        check(
            "exists",
            !suspended,
            if suspended {
                format!("{} is suspended", s.id)
            } else {
                s.id.clone()
            },
        );

        // The latest deploy, polled while it is in progress and there is time to wait.
        let started = Instant::now();
        let deploy = loop {
            let deploys: Vec<wire::Deploy> =
                paging::list(client, Endpoint::new(format!("/services/{}/deploys", s.id))).await?;
            let latest = deploys.into_iter().next();
            let settling = latest.as_ref().is_some_and(|d| {
                matches!(
                    d.status.as_deref(),
                    Some(
                        "created"
                            | "queued"
                            | "build_in_progress"
                            | "update_in_progress"
                            | "pre_deploy_in_progress"
                    )
                )
            });
            match wait {
                Some(w) if settling && started.elapsed() < w => {
                    eprintln!("{name}: deploy in progress, waiting…");
                    tokio::time::sleep(Duration::from_secs(5).min(w)).await;
                }
                _ => break latest,
            }
        };
        match deploy {
            None => check("deploy", false, "no deploy yet".into()),
            Some(d) => {
                let status = d.status.clone().unwrap_or_else(|| "unknown".into());
                let commit = d
                    .commit
                    .as_ref()
                    .and_then(|c| c.id.clone())
                    .map(|c| format!(", commit {}", &c[..c.len().min(12)]))
                    .unwrap_or_default();
                check(
                    "deploy",
                    status == "live",
                    format!("{} {status}{commit}", d.id),
                );
            }
        }

        // Health: the service's own URL, never with the API key.
        let url = match &s.details {
            wire::ServiceDetails::Web(d) => d.url.clone(),
            wire::ServiceDetails::Static(d) => d.url.clone(),
            _ => None,
        };
        if let Some(url) = url {
            let path = r.str("healthCheckPath").unwrap_or("/");
            let target = format!("{}{path}", url.trim_end_matches('/'));
            match check_base_url(&target) {
                Err(why) => check("health", false, format!("{target}: {why}")),
                Ok(u) => {
                    let (ok, mut detail) = probe(&health, u.as_str()).await;
                    if let Some((_, prod)) = baselines.iter().find(|(n, _)| n == name) {
                        let baseline = match check_base_url(prod) {
                            Ok(p) => probe(&health, p.as_str()).await.1,
                            Err(why) => why,
                        };
                        detail.push_str(&format!("; production {prod}: {baseline}"));
                    }
                    check("health", ok, format!("{target}: {detail}"));
                }
            }
        }

        // Env vars: every declared key present; operator-provided ones not empty.
        let live: Vec<wire::EnvVar> = paging::list(
            client,
            Endpoint::new(format!("/services/{}/env-vars", s.id)),
        )
        .await?;
        let mut missing = Vec::new();
        let mut unset = Vec::new();
        let mut declared_groups = Vec::new();
        for (_, v) in r.env_vars() {
            if let Some(g) = v.get("fromGroup").and_then(Value::as_str) {
                declared_groups.push(g.to_string());
                continue;
            }
            let Some(key) = v.get("key").and_then(Value::as_str) else {
                continue;
            };
            match live.iter().find(|e| e.key == key) {
                None if v.get("sync").and_then(Value::as_bool) == Some(false) => unset.push(key),
                None => missing.push(key),
                Some(e) if e.value.is_empty() => unset.push(key),
                Some(_) => {}
            }
        }
        check(
            "env vars",
            missing.is_empty() && unset.is_empty(),
            if missing.is_empty() && unset.is_empty() {
                format!("{} keys present", live.len())
            } else {
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    parts.push(format!("missing {}", missing.join(", ")));
                }
                if !unset.is_empty() {
                    parts.push(format!("unset {}", unset.join(", ")));
                }
                parts.join("; ")
            },
        );
        for g in declared_groups {
            let linked = groups
                .iter()
                .filter(|x| x.name == g)
                .any(|x| x.service_links.iter().any(|l| l.id == s.id));
            check(
                "env group",
                linked,
                format!("{g} {}", if linked { "linked" } else { "not linked" }),
            );
        }
        if let Some((_, expected)) = secret_files.iter().find(|(n, _)| n == name)
            && !expected.is_empty()
        {
            let files: Vec<wire::SecretFile> = paging::list(
                client,
                Endpoint::new(format!("/services/{}/secret-files", s.id)),
            )
            .await?;
            let have: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
            let absent: Vec<&str> = expected
                .iter()
                .map(String::as_str)
                .filter(|f| !have.contains(f))
                .collect();
            check(
                "secret files",
                absent.is_empty(),
                if absent.is_empty() {
                    format!("{} present", expected.len())
                } else {
                    format!("missing {}", absent.join(", "))
                },
            );
        }
        if let (Some(want), wire::ServiceDetails::Cron(d)) = (r.str("schedule"), &s.details) {
            check(
                "schedule",
                d.schedule == want,
                format!("live `{}`, Blueprint `{want}`", d.schedule),
            );
        }
    }
    Ok(out)
}

/// `TRIES` GETs of a health-check URL: ok when every answer is 2xx or 3xx; the detail has
/// the statuses and the median and 95th-percentile latency.
async fn probe(client: &reqwest::Client, url: &str) -> (bool, String) {
    let mut statuses = Vec::new();
    let mut times = Vec::new();
    for _ in 0..TRIES {
        let started = Instant::now();
        match client.get(url).send().await {
            Ok(r) => {
                times.push(started.elapsed());
                statuses.push(r.status().as_u16().to_string());
            }
            Err(e) => statuses.push(if e.is_timeout() {
                "timeout".into()
            } else {
                "no answer".into()
            }),
        }
    }
    let ok = statuses
        .iter()
        .all(|s| s.starts_with('2') || s.starts_with('3'));
    times.sort();
    let pct = |p: f64| {
        times
            .get(((times.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map(|d| format!("{} ms", d.as_millis()))
            .unwrap_or_else(|| "-".into())
    };
    let mut seen: Vec<String> = statuses.clone();
    seen.dedup();
    (
        ok,
        format!(
            "{} of {TRIES} tries answered {}; median {}, p95 {}",
            times.len(),
            seen.join("/"),
            pct(0.5),
            pct(0.95)
        ),
    )
}

fn render(checks: &[Check], format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(checks).expect("checks serialise");
            s.push('\n');
            s
        }
        OutputFormat::Text => {
            let mut s = String::new();
            for c in checks {
                s.push_str(&format!(
                    "{} {} {}: {}\n",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.service,
                    c.check,
                    c.detail
                ));
            }
            let failed = checks.iter().filter(|c| !c.ok).count();
            s.push_str(&format!("{} checks, {failed} failed\n", checks.len()));
            s
        }
        OutputFormat::Markdown => {
            let esc = |t: &str| t.replace('|', "\\|");
            let mut s = String::from(
                "## Staging verification\n\n| | service | check | detail |\n| --- | --- | --- | --- |\n",
            );
            for c in checks {
                s.push_str(&format!(
                    "| {} | `{}` | {} | {} |\n",
                    if c.ok { "✅" } else { "❌" },
                    esc(&c.service),
                    c.check,
                    esc(&c.detail)
                ));
            }
            s
        }
    }
}
