//! Walking one workspace through the API into a [`RawWorkspace`].
//!
//! First every list, concurrently: workspaces (to confirm the key sees this one),
//! services without preview instances, env groups, Postgres without read replicas, Key
//! Value, projects, registry credentials and Blueprints. Then, concurrently, what hangs off
//! each resource: a service's env vars, secret files, custom domains (web and static) and
//! headers and routes (static); each env group's variables; each database's and Key
//! Value's detail and connection info (kept in memory only, to recognise references);
//! each project's environments; each Blueprint's managed resources.
//!
//! A resource that answers 404 after it was listed was deleted while the snapshot ran:
//! it is left out with a note, not a failure. Any other error stops the walk.
//!
//! Selection (`production.include` / `exclude`): an excluded resource is still listed, so
//! its ids, host names and URL stay known and values that point at it are still
//! recognised as production. Its custom domains are read (names only); its env var
//! values, secret files and connection info are not. The command leaves it out of the
//! snapshot and lists its identities as skipped.

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context, bail};
use serde::de::DeserializeOwned;
use tokio::task::JoinSet;
use tracing::{debug, info};

use super::client::{Client, Endpoint, ErrorKind, RequestError, Stats};
use super::paging::{self, PAGE_LIMIT};
use super::wire::*;
use crate::pattern::Pattern;

/// Which resources are read in full, by name (`production.include` / `exclude`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

impl Selection {
    pub fn new(include: &[String], exclude: &[String]) -> Selection {
        Selection {
            include: include.iter().map(|p| Pattern::new(p)).collect(),
            exclude: exclude.iter().map(|p| Pattern::new(p)).collect(),
        }
    }

    /// Why the resource called `name` is left out, or `None` when it is read in full.
    /// Exclusion wins over inclusion.
    pub fn left_out(&self, name: &str) -> Option<String> {
        if let Some(p) = self.exclude.iter().find(|p| p.matches(name)) {
            return Some(format!("excluded by production.exclude `{p}`"));
        }
        if !self.include.is_empty() && !self.include.iter().any(|p| p.matches(name)) {
            return Some("not matched by production.include".into());
        }
        None
    }

    fn reads(&self, name: &str) -> bool {
        self.left_out(name).is_none()
    }
}

/// What a walk produced: the raw workspace and things worth telling the user (never values).
#[derive(Debug)]
pub struct Walked {
    pub raw: RawWorkspace,
    pub notes: Vec<String>,
}

/// Read the workspace `owner_id`.
pub async fn workspace(
    client: Arc<Client>,
    owner_id: &str,
    selection: &Selection,
) -> anyhow::Result<Walked> {
    let stats = client.stats.clone();
    let c = client.as_ref();
    let mut notes = Vec::new();
    let owned = |path: &str| Endpoint::new(path).query("ownerId", owner_id);

    let (
        owners,
        mut services,
        groups,
        mut postgres,
        mut key_values,
        mut projects,
        credentials,
        blueprints,
    ) = tokio::try_join!(
        paging::list::<Owner>(c, Endpoint::new("/owners")),
        paging::list::<Service>(c, owned("/services").query("includePreviews", "false")),
        paging::unpaged::<EnvGroupMeta>(c, owned("/env-groups")),
        paging::list::<Postgres>(c, owned("/postgres").query("includeReplicas", "false")),
        paging::list::<KeyValue>(c, owned("/key-value")),
        paging::list::<Project>(c, owned("/projects")),
        paging::unpaged::<RegistryCredential>(c, owned("/registrycredentials")),
        paging::list::<Blueprint>(c, owned("/blueprints")),
    )?;

    let Some(owner) = owners.iter().find(|o| o.id == owner_id).cloned() else {
        let seen: Vec<String> = owners
            .iter()
            .map(|o| format!("{} ({})", o.id, o.name.as_deref().unwrap_or("unnamed")))
            .collect();
        bail!(
            "workspace {owner_id} is not among the workspaces this API key can see ({})\n  hint: check --owner or production.owner in stageprint.yaml, or use a key of a member of that workspace",
            if seen.is_empty() {
                "none".to_string()
            } else {
                seen.join(", ")
            }
        );
    };

    // The API filters by ownerId; a resource of another workspace must never reach a
    // production snapshot even if a filter were ignored.
    let ours = |o: Option<&str>| o.is_none_or(|o| o == owner_id);
    services.retain(|s| ours(s.owner_id.as_deref()));
    let mut groups_meta = groups.items;
    groups_meta.retain(|g| ours(g.owner_id.as_deref()));
    postgres.retain(|p| ours(p.owner.as_ref().map(|o| o.id.as_str())));
    key_values.retain(|k| ours(k.owner.as_ref().map(|o| o.id.as_str())));
    projects.retain(|p| ours(p.owner.as_ref().map(|o| o.id.as_str())));

    if groups.full {
        notes.push(format!(
            "GET /env-groups returned a full page of {PAGE_LIMIT} groups and the API offers no way to read further: env groups beyond these may be missing"
        ));
    }
    if credentials.full {
        notes.push(format!(
            "GET /registrycredentials returned a full page of {PAGE_LIMIT} credentials and the API offers no way to read further: credential names beyond these may be missing"
        ));
    }

    services.retain(|s| match parent_of(s) {
        Some(parent) => {
            notes.push(format!(
                "left out preview instance {} ({}) of {parent}: previews are not production",
                s.name, s.id
            ));
            false
        }
        None => true,
    });
    for s in &services {
        if s.suspended.as_deref() == Some("suspended") {
            let by = if s.suspenders.is_empty() {
                "unknown".to_string()
            } else {
                s.suspenders.join(", ")
            };
            notes.push(format!(
                "service {} ({}) is suspended (by {by})",
                s.name, s.id
            ));
        }
    }
    // Replicas belong to their primary, whose detail lists them.
    postgres.retain(|p| {
        let replica = p.role.as_deref() == Some("replica") || p.primary_postgres_id.is_some();
        if replica {
            debug!(id = %p.id, "read replica left to its primary");
        }
        !replica
    });
    for p in &postgres {
        if p.suspended.as_deref() == Some("suspended") {
            notes.push(format!("database {} ({}) is suspended", p.name, p.id));
        }
    }

    info!(
        services = services.len(),
        env_groups = groups_meta.len(),
        databases = postgres.len(),
        key_values = key_values.len(),
        projects = projects.len(),
        blueprints = blueprints.len(),
        "listed workspace {owner_id}"
    );
    let total = services.len()
        + groups_meta.len()
        + postgres.len()
        + key_values.len()
        + projects.len()
        + blueprints.len();
    stats
        .resources_total
        .store(total as u64, std::sync::atomic::Ordering::Relaxed);
    stats.stage.store(1, std::sync::atomic::Ordering::Relaxed);

    // Each task reads one resource's details; a skipped resource counts as done at once.
    let mut tasks: JoinSet<Detail> = JoinSet::new();
    let mut spawn = |read: bool, task: std::pin::Pin<Box<dyn Future<Output = Detail> + Send>>| {
        let stats = stats.clone();
        if !read {
            Stats::bump(&stats.resources_done);
            return;
        }
        tasks.spawn(async move {
            let detail = task.await;
            Stats::bump(&stats.resources_done);
            detail
        });
    };
    for (i, s) in services.iter().enumerate() {
        let read = selection.reads(&s.name) && !matches!(s.details, ServiceDetails::Other(_));
        // A service left out still has custom domains that staging must not point at:
        // their names are read, nothing else.
        let domains_only = !read && has_domains(&s.details);
        let (client, s) = (client.clone(), s.clone());
        spawn(
            read || domains_only,
            Box::pin(async move {
                let parts = if read {
                    service_parts(&client, &s).await
                } else {
                    custom_domains(&client, &s).await
                };
                Detail::Service(i, parts)
            }),
        );
    }
    for (i, g) in groups_meta.iter().enumerate() {
        let (client, id) = (client.clone(), g.id.clone());
        spawn(
            selection.reads(&g.name),
            Box::pin(async move { Detail::EnvGroup(i, detail(&client, "/env-groups", &id).await) }),
        );
    }
    for (i, p) in postgres.iter().enumerate() {
        let (client, id) = (client.clone(), p.id.clone());
        spawn(
            selection.reads(&p.name),
            Box::pin(async move {
                let r = with_connection(&client, "/postgres", &id).await;
                Detail::Postgres(
                    i,
                    r.map(|(postgres, c)| {
                        Box::new(RawPostgres {
                            postgres,
                            connection: Some(c),
                        })
                    }),
                )
            }),
        );
    }
    for (i, k) in key_values.iter().enumerate() {
        let (client, id) = (client.clone(), k.id.clone());
        spawn(
            selection.reads(&k.name),
            Box::pin(async move {
                let r = with_connection(&client, "/key-value", &id).await;
                Detail::KeyValue(
                    i,
                    r.map(|(key_value, c)| {
                        Box::new(RawKeyValue {
                            key_value,
                            connection: Some(c),
                        })
                    }),
                )
            }),
        );
    }
    for (i, p) in projects.iter().enumerate() {
        let (client, id) = (client.clone(), p.id.clone());
        let environments = Endpoint::new("/environments").query("projectId", id);
        spawn(
            true,
            Box::pin(
                async move { Detail::Environments(i, paging::list(&client, environments).await) },
            ),
        );
    }
    for (i, b) in blueprints.iter().enumerate() {
        let (client, id) = (client.clone(), b.id.clone());
        spawn(
            true,
            Box::pin(
                async move { Detail::Blueprint(i, detail(&client, "/blueprints", &id).await) },
            ),
        );
    }

    let mut raw_services: Vec<Option<RawService>> = services
        .iter()
        .map(|s| {
            Some(RawService {
                service: s.clone(),
                env_vars: Vec::new(),
                secret_files: Vec::new(),
                custom_domains: Vec::new(),
                headers: Vec::new(),
                routes: Vec::new(),
            })
        })
        .collect();
    let mut env_groups: Vec<Option<EnvGroup>> = groups_meta
        .iter()
        .map(|m| Some(m.without_values()))
        .collect();
    let mut raw_postgres: Vec<Option<RawPostgres>> = postgres
        .iter()
        .map(|p| {
            Some(RawPostgres {
                postgres: p.clone(),
                connection: None,
            })
        })
        .collect();
    let mut raw_key_values: Vec<Option<RawKeyValue>> = key_values
        .iter()
        .map(|k| {
            Some(RawKeyValue {
                key_value: k.clone(),
                connection: None,
            })
        })
        .collect();
    // Every project and Blueprint is read; one still `None` afterwards was deleted.
    let mut environments: Vec<Option<Vec<Environment>>> = vec![None; projects.len()];
    let mut blueprint_details: Vec<Option<BlueprintDetail>> = vec![None; blueprints.len()];

    while let Some(joined) = tasks.join_next().await {
        let detail = joined.context("a snapshot task failed")?;
        // A 404 for something listed moments ago means it was deleted meanwhile.
        let mut gone = |kind: &str, name: &str, id: &str, e: RequestError| -> anyhow::Result<()> {
            if e.kind != ErrorKind::NotFound {
                return Err(e.into());
            }
            notes.push(format!(
                "{kind} {name} ({id}) was deleted while the snapshot ran ({e}); it is left out"
            ));
            Ok(())
        };
        match detail {
            Detail::Service(i, Ok(parts)) => {
                let r = raw_services[i].as_mut().expect("each service is read once");
                r.env_vars = parts.env_vars;
                r.secret_files = parts.secret_files;
                r.custom_domains = parts.custom_domains;
                r.headers = parts.headers;
                r.routes = parts.routes;
            }
            Detail::Service(i, Err(e)) => {
                gone("service", &services[i].name, &services[i].id, e)?;
                raw_services[i] = None;
            }
            Detail::EnvGroup(i, Ok(g)) => env_groups[i] = Some(g),
            Detail::EnvGroup(i, Err(e)) => {
                gone("env group", &groups_meta[i].name, &groups_meta[i].id, e)?;
                env_groups[i] = None;
            }
            Detail::Postgres(i, Ok(p)) => raw_postgres[i] = Some(*p),
            Detail::Postgres(i, Err(e)) => {
                gone("database", &postgres[i].name, &postgres[i].id, e)?;
                raw_postgres[i] = None;
            }
            Detail::KeyValue(i, Ok(k)) => raw_key_values[i] = Some(*k),
            Detail::KeyValue(i, Err(e)) => {
                gone("key value", &key_values[i].name, &key_values[i].id, e)?;
                raw_key_values[i] = None;
            }
            Detail::Environments(i, Ok(envs)) => environments[i] = Some(envs),
            Detail::Environments(i, Err(e)) => {
                gone("project", &projects[i].name, &projects[i].id, e)?
            }
            Detail::Blueprint(i, Ok(b)) => blueprint_details[i] = Some(b),
            Detail::Blueprint(i, Err(e)) => {
                gone("Blueprint", &blueprints[i].name, &blueprints[i].id, e)?
            }
        }
    }
    stats.stage.store(2, std::sync::atomic::Ordering::Relaxed);

    let kept_projects: Vec<Project> = projects
        .iter()
        .zip(&environments)
        .filter(|(_, e)| e.is_some())
        .map(|(p, _)| p.clone())
        .collect();
    let raw = RawWorkspace {
        owner: Some(owner),
        owner_id: owner_id.to_string(),
        services: raw_services.into_iter().flatten().collect(),
        env_groups: env_groups.into_iter().flatten().collect(),
        postgres: raw_postgres.into_iter().flatten().collect(),
        key_values: raw_key_values.into_iter().flatten().collect(),
        projects: kept_projects,
        environments: environments.into_iter().flatten().flatten().collect(),
        registry_credentials: credentials.items,
        blueprints: blueprint_details.into_iter().flatten().collect(),
    };
    Ok(Walked { raw, notes })
}

/// One resource's details, by its index in the list it came from.
enum Detail {
    Service(usize, Result<ServiceParts, RequestError>),
    EnvGroup(usize, Result<EnvGroup, RequestError>),
    Postgres(usize, Result<Box<RawPostgres>, RequestError>),
    KeyValue(usize, Result<Box<RawKeyValue>, RequestError>),
    Environments(usize, Result<Vec<Environment>, RequestError>),
    Blueprint(usize, Result<BlueprintDetail, RequestError>),
}

struct ServiceParts {
    env_vars: Vec<EnvVar>,
    secret_files: Vec<SecretFile>,
    custom_domains: Vec<CustomDomain>,
    headers: Vec<Header>,
    routes: Vec<Route>,
}

/// A service's lists, read concurrently. Custom domains exist on web services and static
/// sites; header and route rules on static sites only.
fn has_domains(d: &ServiceDetails) -> bool {
    matches!(d, ServiceDetails::Web(_) | ServiceDetails::Static(_))
}

/// Only the custom domains of a service that is left out.
async fn custom_domains(client: &Client, s: &Service) -> Result<ServiceParts, RequestError> {
    let id = path_id(&s.id, "/services")?;
    let at = Endpoint::new(format!("/services/{id}/custom-domains"));
    Ok(ServiceParts {
        env_vars: Vec::new(),
        secret_files: Vec::new(),
        custom_domains: paging::list::<CustomDomain>(client, at).await?,
        headers: Vec::new(),
        routes: Vec::new(),
    })
}

async fn service_parts(client: &Client, s: &Service) -> Result<ServiceParts, RequestError> {
    let id = path_id(&s.id, "/services")?;
    let at = |sub: &str| Endpoint::new(format!("/services/{id}/{sub}"));
    let has_domains = has_domains(&s.details);
    let is_static = matches!(s.details, ServiceDetails::Static(_));
    let (env_vars, secret_files, custom_domains, headers, routes) = tokio::try_join!(
        paging::list::<EnvVar>(client, at("env-vars")),
        paging::list::<SecretFile>(client, at("secret-files")),
        async {
            if has_domains {
                paging::list::<CustomDomain>(client, at("custom-domains")).await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if is_static {
                paging::list::<Header>(client, at("headers")).await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if is_static {
                paging::list::<Route>(client, at("routes")).await
            } else {
                Ok(Vec::new())
            }
        },
    )?;
    Ok(ServiceParts {
        env_vars,
        secret_files,
        custom_domains,
        headers,
        routes,
    })
}

/// `GET <list>/<id>`.
async fn detail<T: DeserializeOwned>(
    client: &Client,
    list: &str,
    id: &str,
) -> Result<T, RequestError> {
    let id = path_id(id, list)?;
    Ok(client
        .get(&Endpoint::new(format!("{list}/{id}")))
        .await?
        .value)
}

/// `GET <list>/<id>` and `GET <list>/<id>/connection-info`, concurrently.
async fn with_connection<D: DeserializeOwned, C: DeserializeOwned>(
    client: &Client,
    list: &str,
    id: &str,
) -> Result<(D, C), RequestError> {
    let id = path_id(id, list)?;
    let info = Endpoint::new(format!("{list}/{id}/connection-info"));
    let (d, c) = tokio::try_join!(detail::<D>(client, list, id), client.get::<C>(&info))?;
    Ok((d, c.value))
}

/// The preview's parent, when a service is a preview instance.
fn parent_of(s: &Service) -> Option<String> {
    let parent = match &s.details {
        ServiceDetails::Web(d) | ServiceDetails::Private(d) | ServiceDetails::Worker(d) => {
            d.parent_server.as_ref()
        }
        ServiceDetails::Static(d) => d.parent_server.as_ref(),
        _ => None,
    }?;
    Some(match (&parent.name, &parent.id) {
        (Some(n), _) => n.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => "another service".into(),
    })
}

/// Ids go into URL paths: accept only the characters Render's ids are made of.
fn path_id<'a>(id: &'a str, list: &str) -> Result<&'a str, RequestError> {
    if !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(RequestError::new(
            &Endpoint::new(list),
            ErrorKind::Unexpected,
            "the list holds an id that is not a Render id; refusing to build a request path from it",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusion_wins_over_inclusion() {
        let s = Selection::new(&["app-*".into()], &["app-legacy".into()]);
        assert_eq!(s.left_out("app-api"), None);
        assert_eq!(
            s.left_out("app-legacy").as_deref(),
            Some("excluded by production.exclude `app-legacy`")
        );
        assert_eq!(
            s.left_out("other").as_deref(),
            Some("not matched by production.include")
        );
        assert_eq!(Selection::default().left_out("anything"), None);
    }

    #[test]
    fn ids_that_could_escape_a_path_are_refused() {
        assert!(path_id("srv-d05lq8uuk2gs73c9ohe0", "/services").is_ok());
        assert!(path_id("dpg-d05lp1euk2gs73c9o9k0-a", "/postgres").is_ok());
        assert!(path_id("../owners", "/services").is_err());
        assert!(path_id("a/b", "/services").is_err());
        assert!(path_id("", "/services").is_err());
    }
}
