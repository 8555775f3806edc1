//! Reading a directory of recorded Render API response bodies into a [`RawWorkspace`].
//!
//! File names follow the request they answer (see `examples/insurance-navigator/api/README.md`):
//! `services.json` or `services-page-N.json`, `env-vars-<serviceId>[-page-N].json`,
//! `secret-files-<id>.json`, `custom-domains-<id>.json`, `headers-<id>.json`,
//! `routes-<id>.json`, `env-groups.json`, `env-group-<id>.json`, `postgres.json`,
//! `postgres-<id>.json`, `postgres-connection-info-<id>.json`, `key-value.json`,
//! `key-value-<id>.json`, `key-value-connection-info-<id>.json`, `projects.json`,
//! `environments.json`, `registry-credentials.json`, `blueprints.json`,
//! `blueprint-<id>.json`, `owners.json`. A missing per-resource file means an empty list.
//! The fake Render API serves the same directories, and tests normalise them offline.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::de::DeserializeOwned;

use super::wire::*;

/// Read every recorded response in `dir`.
pub fn load_dir(dir: &Path) -> Result<RawWorkspace> {
    if !dir.is_dir() {
        bail!(
            "{} is not a directory of recorded API responses",
            dir.display()
        );
    }
    let owners: Vec<WithCursor<Owner>> = optional(dir, "owners")?.unwrap_or_default();
    let owner = owners.into_iter().next().map(|o| o.item);

    let services: Vec<Service> = paged::<WithCursor<Service>>(dir, "services")?
        .into_iter()
        .map(|w| w.item)
        .collect();
    let owner_id = owner
        .as_ref()
        .map(|o| o.id.clone())
        .or_else(|| services.iter().find_map(|s| s.owner_id.clone()))
        .unwrap_or_default();

    let mut raw_services = Vec::new();
    for service in services {
        let id = service.id.clone();
        raw_services.push(RawService {
            env_vars: items(paged(dir, &format!("env-vars-{id}"))?),
            secret_files: items(paged(dir, &format!("secret-files-{id}"))?),
            custom_domains: items(paged(dir, &format!("custom-domains-{id}"))?),
            headers: items(paged(dir, &format!("headers-{id}"))?),
            routes: items(paged(dir, &format!("routes-{id}"))?),
            service,
        });
    }

    let metas: Vec<EnvGroupMeta> = optional(dir, "env-groups")?.unwrap_or_default();
    let mut env_groups = Vec::new();
    for m in metas {
        let group: EnvGroup =
            optional(dir, &format!("env-group-{}", m.id))?.unwrap_or_else(|| m.without_values());
        env_groups.push(group);
    }

    let mut postgres = Vec::new();
    for p in items::<Postgres>(paged(dir, "postgres")?) {
        let detail: Postgres = optional(dir, &format!("postgres-{}", p.id))?.unwrap_or(p);
        let connection = optional(dir, &format!("postgres-connection-info-{}", detail.id))?;
        postgres.push(RawPostgres {
            postgres: detail,
            connection,
        });
    }

    let mut key_values = Vec::new();
    for k in items::<KeyValue>(paged(dir, "key-value")?) {
        let detail: KeyValue = optional(dir, &format!("key-value-{}", k.id))?.unwrap_or(k);
        let connection = optional(dir, &format!("key-value-connection-info-{}", detail.id))?;
        key_values.push(RawKeyValue {
            key_value: detail,
            connection,
        });
    }

    let projects: Vec<Project> = items(paged(dir, "projects")?);
    let environments: Vec<Environment> = items(paged(dir, "environments")?);
    let registry_credentials: Vec<RegistryCredential> =
        optional(dir, "registry-credentials")?.unwrap_or_default();

    let mut blueprints = Vec::new();
    for b in items::<Blueprint>(paged(dir, "blueprints")?) {
        let detail: BlueprintDetail =
            optional(dir, &format!("blueprint-{}", b.id))?.unwrap_or(BlueprintDetail {
                id: b.id,
                name: b.name,
                repo: b.repo,
                branch: b.branch,
                path: b.path,
                resources: Vec::new(),
            });
        blueprints.push(detail);
    }

    Ok(RawWorkspace {
        owner,
        owner_id,
        services: raw_services,
        env_groups,
        postgres,
        key_values,
        projects,
        environments,
        registry_credentials,
        blueprints,
    })
}

fn items<T>(list: Vec<WithCursor<T>>) -> Vec<T> {
    list.into_iter().map(|w| w.item).collect()
}

fn read<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("decoding {}", path.display()))
}

/// `<stem>.json` if it exists.
pub fn optional<T: DeserializeOwned>(dir: &Path, stem: &str) -> Result<Option<T>> {
    let path = dir.join(format!("{stem}.json"));
    if path.exists() {
        read(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// `<stem>.json` followed by `<stem>-page-N.json` in page order, concatenated.
pub fn paged<T: DeserializeOwned>(dir: &Path, stem: &str) -> Result<Vec<T>> {
    let mut out: Vec<T> = optional::<Vec<T>>(dir, stem)?.unwrap_or_default();
    for (_, path) in page_files(dir, stem)? {
        out.extend(read::<Vec<T>>(&path)?);
    }
    Ok(out)
}

fn page_files(dir: &Path, stem: &str) -> Result<Vec<(u32, PathBuf)>> {
    let prefix = format!("{stem}-page-");
    let mut pages = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(n) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".json"))
            && let Ok(n) = n.parse::<u32>()
        {
            pages.push((n, entry.path()));
        }
    }
    pages.sort();
    Ok(pages)
}
