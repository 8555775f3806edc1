//! The one conversion from API wire types into the domain model.
//!
//! It classifies secrets (their values go no further than this function), recognises
//! values that point at production resources (using connection info, which exists only in
//! memory here), translates API vocabulary into Blueprint vocabulary, resolves ids into
//! names and placements, and sorts. Both the live snapshot and recorded responses go
//! through it, so the committed snapshot is exactly what normalisation yields.

use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::*;
use crate::secrets::{Classifier, Fingerprinter};
use crate::snapshot::wire;

pub struct ConvertOptions<'a> {
    pub classifier: &'a Classifier,
    pub fingerprinter: Option<&'a Fingerprinter>,
}

/// Something normalisation noticed but could carry on from. Never holds a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning(pub String);

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalise a raw workspace into a sorted snapshot.
pub fn normalise(raw: &wire::RawWorkspace, opts: &ConvertOptions) -> (Snapshot, Vec<Warning>) {
    let mut warnings = Vec::new();
    let placements = placements(raw);
    let recogniser = Recogniser::new(raw);
    let vars = |vars: &[wire::EnvVar]| -> Vec<EnvVar> {
        vars.iter().map(|v| env_var(v, opts, &recogniser)).collect()
    };

    let mut snapshot = Snapshot {
        version: SNAPSHOT_VERSION,
        workspace: Workspace {
            id: raw.owner_id.clone(),
            name: raw.owner.as_ref().and_then(|o| o.name.clone()),
        },
        services: Vec::new(),
        databases: Vec::new(),
        key_values: Vec::new(),
        env_groups: Vec::new(),
        projects: Vec::new(),
        registry_credentials: raw
            .registry_credentials
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        blueprints: Vec::new(),
        skipped: Vec::new(),
    };

    // Env group links are listed on the group; the domain keeps them on the service.
    let mut links: HashMap<&str, Vec<String>> = HashMap::new();
    for g in &raw.env_groups {
        for l in &g.service_links {
            links.entry(l.id.as_str()).or_default().push(g.name.clone());
        }
    }

    for rs in &raw.services {
        let s = &rs.service;
        match service(
            rs,
            placements
                .get(s.environment_id.as_deref().unwrap_or(""))
                .cloned(),
        ) {
            Ok(mut svc) => {
                svc.env_vars = vars(&rs.env_vars);
                svc.secret_files = secret_files(&rs.secret_files, opts);
                redact(&mut svc, opts, &recogniser);
                for r in &svc.redacted {
                    let what = match &r.header {
                        Some(h) => format!("header {h}"),
                        None => format!("`{}`", r.field),
                    };
                    warnings.push(Warning(format!(
                        "service {}: {what} holds a secret ({}); the snapshot keeps no value for it, and generate needs the overlay to set it (move the secret into an env var)",
                        svc.name, r.rule
                    )));
                }
                svc.env_groups = links.get(s.id.as_str()).cloned().unwrap_or_default();
                snapshot.services.push(svc);
            }
            Err(reason) => {
                warnings.push(Warning(format!(
                    "skipped service {} ({}): {reason}",
                    s.name, s.id
                )));
                snapshot.skipped.push(skipped_service(rs, reason));
            }
        }
    }

    for g in &raw.env_groups {
        snapshot.env_groups.push(EnvGroup {
            id: g.id.clone(),
            name: g.name.clone(),
            environment: g
                .environment_id
                .as_deref()
                .and_then(|e| placements.get(e).cloned()),
            env_vars: vars(&g.env_vars),
            secret_files: secret_files(&g.secret_files, opts),
        });
    }

    for rp in &raw.postgres {
        let p = &rp.postgres;
        if p.role.as_deref() == Some("replica") || p.primary_postgres_id.is_some() {
            // Replicas are listed alongside primaries; they belong to their primary.
            continue;
        }
        let mut db = database(
            rp,
            placements
                .get(p.environment_id.as_deref().unwrap_or(""))
                .cloned(),
        );
        if db.plan.is_none() {
            warnings.push(Warning(format!(
                "database {}: plan {} has no Blueprint spelling",
                p.name,
                db.api_plan.as_deref().unwrap_or("(none)")
            )));
        }
        db.network = postgres_network(rp);
        snapshot.databases.push(db);
    }

    for rk in &raw.key_values {
        let k = &rk.key_value;
        let options = k.options.clone().unwrap_or(wire::KeyValueOptions {
            maxmemory_policy: None,
            persistence_mode: None,
        });
        let (plan, api_plan) = split_plan(k.plan.as_deref(), |p| PlanKind::KeyValue.from_api(p));
        // The API writes `journal_snapshot`, the Blueprint `journal-snapshot`; a mode the
        // Blueprint has no spelling for stays a manual step.
        let persistence = options.persistence_mode.as_deref().map(|m| {
            let b = m.replace('_', "-");
            if PERSISTENCE_MODES.contains(&b.as_str()) {
                Ok(b)
            } else {
                Err(m.to_string())
            }
        });
        snapshot.key_values.push(KeyValue {
            id: k.id.clone(),
            name: k.name.clone(),
            environment: k
                .environment_id
                .as_deref()
                .and_then(|e| placements.get(e).cloned()),
            plan,
            api_plan,
            region: k.region.clone(),
            maxmemory_policy: options.maxmemory_policy.map(|p| p.replace('_', "-")),
            persistence_mode: persistence.clone().and_then(Result::ok),
            ip_allow_list: ip_rules(k.ip_allow_list.as_deref().unwrap_or_default()),
            network: key_value_network(rk),
            unexpressed: Unexpressed {
                persistence_mode: persistence.and_then(Result::err),
                version: k.version.clone(),
                ..Default::default()
            },
        });
    }

    let mut envs_by_project: BTreeMap<&str, Vec<Environment>> = BTreeMap::new();
    for e in &raw.environments {
        envs_by_project
            .entry(e.project_id.as_str())
            .or_default()
            .push(Environment {
                id: e.id.clone(),
                name: e.name.clone(),
                network_isolation: e.network_isolation_enabled.unwrap_or(false),
                protected: e.protected_status.as_deref() == Some("protected"),
                ip_allow_list: e.ip_allow_list.as_deref().map(ip_rules),
            });
    }
    for p in &raw.projects {
        snapshot.projects.push(Project {
            id: p.id.clone(),
            name: p.name.clone(),
            environments: envs_by_project.remove(p.id.as_str()).unwrap_or_default(),
        });
    }

    for b in &raw.blueprints {
        snapshot.blueprints.push(Blueprint {
            id: b.id.clone(),
            name: b.name.clone(),
            repo: b.repo.clone(),
            branch: b.branch.clone(),
            path: b.path.clone(),
            resources: b.resources.iter().map(|r| r.name.clone()).collect(),
        });
    }

    snapshot.sort();
    warnings.sort();
    (snapshot, warnings)
}

/// Environment id → (project name, environment name).
fn placements(raw: &wire::RawWorkspace) -> HashMap<String, Placement> {
    let projects: HashMap<&str, &str> = raw
        .projects
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    raw.environments
        .iter()
        .map(|e| {
            let project = projects
                .get(e.project_id.as_str())
                .copied()
                .unwrap_or(e.project_id.as_str());
            (
                e.id.clone(),
                Placement {
                    project: project.to_string(),
                    environment: e.name.clone(),
                },
            )
        })
        .collect()
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref().filter(|v| !v.is_empty()).cloned()
}

fn split_plan(
    api: Option<&str>,
    map: impl Fn(&str) -> Option<String>,
) -> (Option<String>, Option<String>) {
    match api {
        None => (None, None),
        Some(p) => match map(p) {
            Some(b) => (Some(b), None),
            None => (None, Some(p.to_string())),
        },
    }
}

fn ip_rules(list: &[wire::CidrBlock]) -> Vec<IpRule> {
    let mut v: Vec<IpRule> = list
        .iter()
        .map(|c| IpRule {
            source: c.cidr_block.clone(),
            description: c.description.clone().filter(|d| !d.is_empty()),
        })
        .collect();
    v.sort();
    v
}

fn auto_deploy(s: &wire::Service) -> String {
    match (s.auto_deploy_trigger.as_deref(), s.auto_deploy.as_deref()) {
        (Some(t), _) => t.to_string(),
        (None, Some("no")) => "off".into(),
        _ => "commit".into(),
    }
}

fn previews(p: &Option<wire::Previews>, legacy: &Option<String>) -> Option<String> {
    match (
        p.as_ref().and_then(|p| p.generation.clone()),
        legacy.as_deref(),
    ) {
        (Some(g), _) => Some(g),
        (None, Some("yes")) => Some("automatic".into()),
        (None, Some("no")) => Some("off".into()),
        _ => None,
    }
}

fn service(rs: &wire::RawService, environment: Option<Placement>) -> Result<Service, String> {
    let s = &rs.service;
    let kind = match s.service_type.as_str() {
        "web_service" => ServiceKind::Web,
        "private_service" => ServiceKind::Pserv,
        "background_worker" => ServiceKind::Worker,
        "cron_job" => ServiceKind::Cron,
        "static_site" => ServiceKind::Static,
        other => {
            return Err(format!(
                "service type `{other}` has no Blueprint equivalent in this version"
            ));
        }
    };
    if let Some(parent) = preview_parent(s) {
        // `GET /services` lists preview instances unless asked not to; they come and go
        // with pull requests and are not production.
        let parent = parent
            .name
            .as_deref()
            .or(parent.id.as_deref())
            .unwrap_or("another service");
        return Err(format!("preview instance of {parent}"));
    }
    let mut out = Service {
        slug: s.slug.clone(),
        environment,
        repo: non_empty(&s.repo),
        branch: non_empty(&s.branch),
        root_dir: non_empty(&s.root_dir),
        auto_deploy_trigger: auto_deploy(s),
        build_filter: s.build_filter.as_ref().map(|f| BuildFilter {
            paths: f.paths.clone(),
            ignored_paths: f.ignored_paths.clone(),
        }),
        domains: rs
            .custom_domains
            .iter()
            // Render re-creates the www ↔ apex redirect itself.
            .filter(|d| d.redirect_for_name.as_deref().unwrap_or("").is_empty())
            .map(|d| d.name.clone())
            .collect(),
        headers: rs
            .headers
            .iter()
            .map(|h| Header {
                path: h.path.clone(),
                name: h.name.clone(),
                value: h.value.clone(),
            })
            .collect(),
        routes: {
            let mut r: Vec<&wire::Route> = rs.routes.iter().collect();
            r.sort_by_key(|r| r.priority.unwrap_or(i64::MAX));
            r.iter()
                .map(|r| Route {
                    route_type: r.route_type.clone(),
                    source: r.source.clone(),
                    destination: r.destination.clone(),
                })
                .collect()
        },
        unexpressed: Unexpressed {
            notify_on_fail: s.notify_on_fail.clone().filter(|n| n != "default"),
            suspended: s.suspended.as_deref() == Some("suspended"),
            ..Default::default()
        },
        ..Service::new(s.id.clone(), s.name.clone(), kind, "static")
    };

    let plan = |out: &mut Service, api: &Option<String>| {
        let (p, a) = split_plan(api.as_deref(), |p| {
            PlanKind::of_service(kind).and_then(|k| k.from_api(p))
        });
        out.plan = p;
        out.api_plan = a;
    };
    let env_specific = |out: &mut Service, e: &wire::EnvSpecificDetails| match e {
        wire::EnvSpecificDetails::Native(n) => {
            out.build_command = n.build_command.clone();
            out.start_command = n.start_command.clone();
            out.pre_deploy_command = non_empty(&n.pre_deploy_command);
        }
        wire::EnvSpecificDetails::Docker(d) => {
            out.docker_command = non_empty(&d.docker_command);
            out.docker_context = non_empty(&d.docker_context);
            out.dockerfile_path = non_empty(&d.dockerfile_path);
            out.pre_deploy_command = non_empty(&d.pre_deploy_command);
            if let Some(c) = &d.registry_credential {
                out.registry_credential = Some(c.name.clone());
            }
        }
    };

    match &s.details {
        wire::ServiceDetails::Web(d)
        | wire::ServiceDetails::Private(d)
        | wire::ServiceDetails::Worker(d) => {
            out.runtime = d.runtime.clone();
            plan(&mut out, &d.plan);
            out.region = d.region.clone();
            env_specific(&mut out, &d.env_specific);
            match &d.autoscaling {
                Some(a) if a.enabled => {
                    let crit = a.criteria.as_ref();
                    let pct = |c: Option<&wire::AutoscalingCriterion>| {
                        c.filter(|c| c.enabled).map(|c| c.percentage)
                    };
                    out.scaling = Some(Scaling {
                        min_instances: a.min,
                        max_instances: a.max,
                        target_cpu_percent: pct(crit.and_then(|c| c.cpu.as_ref())),
                        target_memory_percent: pct(crit.and_then(|c| c.memory.as_ref())),
                    });
                }
                _ => out.num_instances = d.num_instances,
            }
            out.disk = d.disk.as_ref().map(|d| Disk {
                name: d.name.clone(),
                mount_path: d.mount_path.clone(),
                size_gb: d.size_gb,
            });
            if kind == ServiceKind::Web {
                out.health_check_path = non_empty(&d.health_check_path);
                out.render_subdomain_policy = d.render_subdomain_policy.clone();
                out.ip_allow_list = d.ip_allow_list.as_deref().map(ip_rules);
            }
            out.max_shutdown_delay_seconds = d.max_shutdown_delay_seconds;
            out.previews = previews(&d.previews, &d.pull_request_previews_enabled);
            out.unexpressed.build_plan = d.build_plan.clone().filter(|p| p != "starter");
            out.maintenance_mode = d
                .maintenance_mode
                .as_ref()
                .map(|m| MaintenanceMode {
                    enabled: m.enabled,
                    uri: non_empty(&m.uri),
                })
                .filter(|m| m.enabled || m.uri.is_some());
            out.unexpressed.cache_profile = d.cache.as_ref().and_then(|c| c.profile.clone());
            out.unexpressed.internal_routing = d.internal_routing.clone();
            out.network = server_network(s, d);
        }
        wire::ServiceDetails::Cron(d) => {
            out.runtime = d.runtime.clone();
            plan(&mut out, &d.plan);
            out.region = d.region.clone();
            out.schedule = Some(d.schedule.clone());
            env_specific(&mut out, &d.env_specific);
            out.unexpressed.build_plan = d.build_plan.clone().filter(|p| p != "starter");
        }
        wire::ServiceDetails::Static(d) => {
            out.build_command = d.build_command.clone();
            out.static_publish_path = d.publish_path.clone();
            out.previews = previews(&d.previews, &d.pull_request_previews_enabled);
            out.render_subdomain_policy = d.render_subdomain_policy.clone();
            out.ip_allow_list = d.ip_allow_list.as_deref().map(ip_rules);
            out.unexpressed.build_plan = d.build_plan.clone().filter(|p| p != "starter");
            out.network.url = d.url.clone();
            if let Some(h) = d.url.as_deref().and_then(url_host) {
                out.network.hosts.push(h);
            }
        }
        wire::ServiceDetails::Other(_) => unreachable!("unknown types are rejected above"),
    }

    if out.runtime == "image" {
        out.image = s
            .image_path
            .clone()
            .filter(|p| !p.is_empty())
            .map(|url| Image {
                url,
                credential: s.registry_credential.as_ref().map(|c| c.name.clone()),
            });
    } else if out.registry_credential.is_none() {
        out.registry_credential = s.registry_credential.as_ref().map(|c| c.name.clone());
    }
    Ok(out)
}

/// The identities of a service that is not modelled (an unknown type, a preview
/// instance): id, name, slug, URL, hosts and custom domains, never values.
fn skipped_service(rs: &wire::RawService, reason: String) -> Skipped {
    let s = &rs.service;
    let network = match &s.details {
        wire::ServiceDetails::Web(d)
        | wire::ServiceDetails::Private(d)
        | wire::ServiceDetails::Worker(d) => server_network(s, d),
        wire::ServiceDetails::Static(d) => Network {
            url: d.url.clone(),
            hosts: d.url.as_deref().and_then(url_host).into_iter().collect(),
            ports: Vec::new(),
        },
        wire::ServiceDetails::Cron(_) => Network::default(),
        // A type this version does not know: its `url`, if it has one, is still its own.
        wire::ServiceDetails::Other(v) => {
            let url = v.get("url").and_then(serde_json::Value::as_str);
            Network {
                url: url.filter(|u| u.contains("://")).map(str::to_string),
                hosts: url.and_then(url_host).into_iter().collect(),
                ports: Vec::new(),
            }
        }
    };
    Skipped {
        kind: Some(ResourceKind::Service),
        slug: s.slug.clone(),
        network,
        domains: rs.custom_domains.iter().map(|d| d.name.clone()).collect(),
        ..Skipped::new(&s.id, &s.name, reason)
    }
}

/// The service a preview instance was created from (`serviceDetails.parentServer`).
fn preview_parent(s: &wire::Service) -> Option<&wire::IdName> {
    match &s.details {
        wire::ServiceDetails::Web(d)
        | wire::ServiceDetails::Private(d)
        | wire::ServiceDetails::Worker(d) => d.parent_server.as_ref(),
        wire::ServiceDetails::Static(d) => d.parent_server.as_ref(),
        wire::ServiceDetails::Cron(_) | wire::ServiceDetails::Other(_) => None,
    }
}

/// Public URL, host names and private ports of a web service, private service or worker.
fn server_network(s: &wire::Service, d: &wire::ServerDetails) -> Network {
    let mut n = Network::default();
    let url = d.url.as_deref().unwrap_or("");
    if url.contains("://") {
        n.url = Some(url.to_string());
        if let Some(h) = url_host(url) {
            n.hosts.push(h);
        }
    } else if let Some((host, port)) = url.rsplit_once(':') {
        // Private services report `host:port`.
        n.hosts.push(host.to_string());
        if let Ok(p) = port.parse() {
            n.ports.push(p);
        }
    }
    if let Some(slug) = &s.slug
        && !d.open_ports.is_empty()
    {
        n.hosts.push(slug.clone());
    }
    n.ports.extend(d.open_ports.iter().map(|p| p.port));
    n
}

/// Host of a URL, without userinfo or port.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let host = match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    (!host.is_empty()).then(|| host.to_string())
}

/// The password of a URL's userinfo (or the whole userinfo when it has no `:`, as Key
/// Value URLs put the password there).
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    Some(
        userinfo
            .split_once(':')
            .map_or(userinfo, |(_, p)| p)
            .to_string(),
    )
}

fn url_port(url: &str) -> Option<u16> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    host.rsplit_once(':')?.1.parse().ok()
}

fn database(rp: &wire::RawPostgres, environment: Option<Placement>) -> Database {
    let p = &rp.postgres;
    let (plan, api_plan) = split_plan(p.plan.as_deref(), |p| PlanKind::Postgres.from_api(p));
    Database {
        id: p.id.clone(),
        name: p.name.clone(),
        environment,
        database_name: p.database_name.clone(),
        user: p.database_user.clone(),
        plan,
        api_plan,
        region: p.region.clone(),
        postgres_major_version: p.version.clone(),
        disk_size_gb: p.disk_size_gb,
        storage_autoscaling_enabled: p.disk_autoscaling_enabled,
        high_availability: p.high_availability_enabled.unwrap_or(false),
        ip_allow_list: p.ip_allow_list.as_deref().map(ip_rules),
        read_replicas: p
            .read_replicas
            .iter()
            .map(|r| ReadReplica {
                id: r.id.clone(),
                name: r.name.clone(),
            })
            .collect(),
        network: Network::default(),
        // `none` is what a database without pooling says; only a pool is worth writing.
        connection_pool: p.connection_pool.clone().filter(|c| c == "pgbouncer"),
        unexpressed: Unexpressed {
            connection_pool: p
                .connection_pool
                .clone()
                .filter(|c| !CONNECTION_POOLS.contains(&c.as_str())),
            parameter_overrides: p.parameter_overrides.clone().unwrap_or_default(),
            suspended: p.suspended.as_deref() == Some("suspended"),
            ..Default::default()
        },
    }
}

fn postgres_network(rp: &wire::RawPostgres) -> Network {
    let c = rp.connection.as_ref();
    let strings = c.map(|c| [&c.internal_connection_string, &c.external_connection_string]);
    let replicas = rp.postgres.read_replicas.iter().map(|r| r.id.clone());
    network(
        &rp.postgres.id,
        replicas,
        strings.into_iter().flatten().flatten(),
    )
}

fn key_value_network(rk: &wire::RawKeyValue) -> Network {
    let c = rk.connection.as_ref();
    let strings = c.map(|c| [&c.internal_connection_string, &c.external_connection_string]);
    network(
        &rk.key_value.id,
        std::iter::empty(),
        strings.into_iter().flatten().flatten(),
    )
}

/// A database's or Key Value's hosts and ports, from its id, its replicas' ids and its
/// connection strings. External hosts can be regional and shared
/// (`oregon-keyvalue.render.com`): only hosts naming this instance identify it.
fn network<'a>(
    id: &str,
    extra_hosts: impl Iterator<Item = String>,
    strings: impl Iterator<Item = &'a String>,
) -> Network {
    let mut n = Network::default();
    n.hosts.push(id.to_string());
    n.hosts.extend(extra_hosts);
    for s in strings {
        if let Some(h) = url_host(s).filter(|h| h.contains(id)) {
            n.hosts.push(h);
        }
        n.ports.extend(url_port(s));
    }
    n.hosts.sort();
    n.hosts.dedup();
    n.ports.sort();
    n.ports.dedup();
    n
}

fn secret_files(files: &[wire::SecretFile], opts: &ConvertOptions) -> Vec<SecretFile> {
    files
        .iter()
        .map(|f| SecretFile {
            name: f.name.clone(),
            fingerprint: opts.fingerprinter.map(|fp| fp.fingerprint(&f.content)),
        })
        .collect()
}

/// Commands and static-site header values cannot be `sync: false`: a secret in one is
/// taken out here (the field left empty, the rule and a fingerprint kept in `redacted`),
/// and staging must set the field itself.
fn redact(svc: &mut Service, opts: &ConvertOptions, recogniser: &Recogniser) {
    // Free text with no `sync: false`: classified as an env var would be, and never
    // carried when it holds a production connection password.
    let classify = |name: &str, value: &str| {
        opts.classifier
            .classify_text(name, value)
            .or_else(|| recogniser.holds_credential(value))
    };
    let mut redacted = Vec::new();
    let image_url = svc.image.as_mut().map(|i| &mut i.url);
    let mut fields: Vec<(&str, &mut Option<String>)> = vec![
        ("buildCommand", &mut svc.build_command),
        ("startCommand", &mut svc.start_command),
        ("preDeployCommand", &mut svc.pre_deploy_command),
        ("dockerCommand", &mut svc.docker_command),
        ("repo", &mut svc.repo),
    ];
    for (field, value) in fields.iter_mut() {
        let Some(v) = value.as_deref() else { continue };
        if let Some(rule) = classify(field, v) {
            redacted.push(Redacted {
                field: field.to_string(),
                header: None,
                rule,
                fingerprint: opts.fingerprinter.map(|fp| fp.fingerprint(v)),
            });
            **value = None;
        }
    }
    if let Some(url) = image_url
        && let Some(rule) = classify("image", url)
    {
        redacted.push(Redacted {
            field: "image".to_string(),
            header: None,
            rule,
            fingerprint: opts.fingerprinter.map(|fp| fp.fingerprint(url)),
        });
        svc.image = None;
    }
    let mut header = 0;
    svc.headers.retain(|h| {
        header += 1;
        let path_secret = classify("path", &h.path);
        let Some(rule) = classify(&h.name, &h.value).or_else(|| path_secret.clone()) else {
            return true;
        };
        // A path that holds the secret is not repeated: the header is named by position.
        let at = match path_secret {
            Some(_) => format!("#{header}"),
            None => format!("on {}", h.path),
        };
        redacted.push(Redacted {
            field: "headers".to_string(),
            header: Some(format!("{} {at}", h.name)),
            rule,
            fingerprint: opts.fingerprinter.map(|fp| fp.fingerprint(&h.value)),
        });
        false
    });
    let mut route = 0;
    svc.routes.retain(|r| {
        route += 1;
        let Some(rule) =
            classify(&r.route_type, &r.destination).or_else(|| classify(&r.route_type, &r.source))
        else {
            return true;
        };
        // Named by position only: the source may be the secret.
        redacted.push(Redacted {
            field: "routes".to_string(),
            header: Some(format!("{} route #{route}", r.route_type)),
            rule,
            fingerprint: opts
                .fingerprinter
                .map(|fp| fp.fingerprint(&format!("{} {}", r.source, r.destination))),
        });
        false
    });
    svc.redacted = redacted;
}

fn env_var(v: &wire::EnvVar, opts: &ConvertOptions, recogniser: &Recogniser) -> EnvVar {
    let refers_to = recogniser.recognise(&v.key, &v.value);
    let rule = opts
        .classifier
        .classify(&v.key, &v.value)
        .or_else(|| recogniser.holds_credential(&v.value));
    match rule {
        Some(rule) => EnvVar {
            key: v.key.clone(),
            value: None,
            secret: Some(Secret {
                rule,
                fingerprint: opts.fingerprinter.map(|fp| fp.fingerprint(&v.value)),
            }),
            refers_to,
        },
        None => EnvVar {
            key: v.key.clone(),
            value: Some(v.value.clone()),
            secret: None,
            refers_to,
        },
    }
}

#[derive(Clone)]
struct Target {
    resource: ResourceKind,
    name: String,
    property: String,
}

/// Recognises values that point at a production resource: exact matches of connection
/// strings, hosts, URLs and passwords (from connection info held in memory), and values
/// that contain a resource-specific host or id (one automaton pass, so the cost does not
/// grow with the number of resources per value).
struct Recogniser {
    exact: HashMap<String, Target>,
    /// Values that need a key-name hint (`*PORT*`, `*USER*`, `*DATABASE*`): too common alone.
    hinted: HashMap<String, Vec<(Target, &'static [&'static str])>>,
    contains: Option<AhoCorasick>,
    contains_targets: Vec<Target>,
    /// Passwords from production connection info: a value holding one is secret, whatever
    /// its key or shape.
    credentials: Option<AhoCorasick>,
}

const PORT_HINT: &[&str] = &["PORT"];
const USER_HINT: &[&str] = &["USER"];
const DB_NAME_HINT: &[&str] = &["DB", "DATABASE", "NAME"];

impl Recogniser {
    fn new(raw: &wire::RawWorkspace) -> Self {
        let mut exact = HashMap::new();
        let mut hinted: HashMap<String, Vec<(Target, &'static [&'static str])>> = HashMap::new();
        let mut needles = Vec::new();
        let mut contains_targets = Vec::new();
        let t = |resource, name: &str, property: &str| Target {
            resource,
            name: name.to_string(),
            property: property.to_string(),
        };

        for rp in &raw.postgres {
            let p = &rp.postgres;
            if p.role.as_deref() == Some("replica") {
                continue;
            }
            let db = |prop: &str| t(ResourceKind::Database, &p.name, prop);
            if let Some(c) = &rp.connection {
                // A Blueprint reference gives only the internal connection string and host;
                // the external and pooled forms are recorded as such so that the overlay
                // stage can decide what staging gets.
                for (s, string_property, host_property) in [
                    (&c.internal_connection_string, "connectionString", "host"),
                    (
                        &c.external_connection_string,
                        "externalConnectionString",
                        "externalHost",
                    ),
                    (
                        &c.internal_connection_pool_string,
                        "connectionPoolString",
                        "host",
                    ),
                    (
                        &c.external_connection_pool_string,
                        "externalConnectionPoolString",
                        "externalHost",
                    ),
                ] {
                    let Some(s) = s else { continue };
                    exact.insert(s.clone(), db(string_property));
                    if let Some(h) = url_host(s) {
                        if host_property == "externalHost" && h != p.id {
                            needles.push(h.clone());
                            contains_targets.push(db(string_property));
                        }
                        exact.entry(h).or_insert_with(|| db(host_property));
                    }
                    if let Some(port) = url_port(s) {
                        hinted
                            .entry(port.to_string())
                            .or_default()
                            .push((db("port"), PORT_HINT));
                    }
                }
                if let Some(pw) = c.password.as_ref().filter(|p| p.len() >= 8) {
                    exact.insert(pw.clone(), db("password"));
                }
            }
            if let Some(u) = &p.database_user {
                hinted
                    .entry(u.clone())
                    .or_default()
                    .push((db("user"), USER_HINT));
            }
            if let Some(d) = &p.database_name {
                hinted
                    .entry(d.clone())
                    .or_default()
                    .push((db("database"), DB_NAME_HINT));
            }
            exact.insert(p.id.clone(), db("host"));
            needles.push(p.id.clone());
            contains_targets.push(db("connectionString"));
        }

        for rk in &raw.key_values {
            let k = &rk.key_value;
            let kv = |prop: &str| t(ResourceKind::KeyValue, &k.name, prop);
            if let Some(c) = &rk.connection {
                for (s, property) in [
                    (&c.internal_connection_string, "connectionString"),
                    (&c.external_connection_string, "externalConnectionString"),
                ] {
                    let Some(s) = s else { continue };
                    exact.insert(s.clone(), kv(property));
                    if let Some(port) = url_port(s) {
                        hinted
                            .entry(port.to_string())
                            .or_default()
                            .push((kv("port"), PORT_HINT));
                    }
                }
            }
            exact.insert(k.id.clone(), kv("host"));
            needles.push(k.id.clone());
            contains_targets.push(kv("connectionString"));
        }

        // Previews are left out of the snapshot, so nothing may refer to them.
        for rs in raw
            .services
            .iter()
            .filter(|rs| preview_parent(&rs.service).is_none())
        {
            let s = &rs.service;
            let svc = |prop: &str| t(ResourceKind::Service, &s.name, prop);
            let (url, ports) = match &s.details {
                wire::ServiceDetails::Web(d)
                | wire::ServiceDetails::Private(d)
                | wire::ServiceDetails::Worker(d) => (
                    d.url.clone(),
                    d.open_ports.iter().map(|p| p.port).collect::<Vec<_>>(),
                ),
                wire::ServiceDetails::Static(d) => (d.url.clone(), Vec::new()),
                _ => (None, Vec::new()),
            };
            if let Some(url) = url.filter(|u| u.contains("://")) {
                exact.insert(url.clone(), svc("envVarKey:RENDER_EXTERNAL_URL"));
                exact.insert(format!("{url}/"), svc("envVarKey:RENDER_EXTERNAL_URL"));
                if let Some(h) = url_host(&url) {
                    exact.insert(h.clone(), svc("envVarKey:RENDER_EXTERNAL_HOSTNAME"));
                    needles.push(h);
                    contains_targets.push(svc("envVarKey:RENDER_EXTERNAL_URL"));
                }
            }
            if let Some(slug) = &s.slug {
                for port in &ports {
                    let hp = format!("{slug}:{port}");
                    exact.insert(hp.clone(), svc("hostport"));
                    needles.push(hp);
                    contains_targets.push(svc("hostport"));
                }
                if !ports.is_empty() {
                    hinted
                        .entry(slug.clone())
                        .or_default()
                        .push((svc("host"), &["HOST"]));
                }
            }
        }

        let credentials = credential_matcher(raw);
        let contains = (!needles.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&needles)
                .expect("needles are plain strings")
        });
        Recogniser {
            exact,
            hinted,
            contains,
            contains_targets,
            credentials,
        }
    }

    /// The rule that makes a value holding a production connection password secret.
    fn holds_credential(&self, value: &str) -> Option<String> {
        self.credentials
            .as_ref()?
            .is_match(value)
            .then(|| "holds a production connection password".to_string())
    }

    fn recognise(&self, key: &str, value: &str) -> Option<Reference> {
        let reference = |t: &Target, matched| Reference {
            resource: t.resource,
            name: t.name.clone(),
            property: t.property.clone(),
            matched,
        };
        if value.is_empty() {
            return None;
        }
        if let Some(t) = self.exact.get(value) {
            return Some(reference(t, Match::Exact));
        }
        if let Some(candidates) = self.hinted.get(value) {
            let upper = key.to_ascii_uppercase();
            let fitting: Vec<&Target> = candidates
                .iter()
                .filter(|(_, hints)| hints.iter().any(|h| upper.contains(h)))
                .map(|(t, _)| t)
                .collect();
            if let [only] = fitting.as_slice() {
                return Some(reference(only, Match::Exact));
            }
        }
        let ac = self.contains.as_ref()?;
        let m = ac.find(value)?;
        let t = &self.contains_targets[m.pattern().as_usize()];
        let mut r = reference(t, Match::Contains);
        if r.resource != ResourceKind::Service {
            // A URL with the resource's scheme is a connection string with extras;
            // anything else carries the host.
            let lower = value.to_ascii_lowercase();
            let is_url = match r.resource {
                ResourceKind::Database => lower.starts_with("postgres"),
                _ => lower.starts_with("redis"),
            };
            let external = r.property.starts_with("external")
                // Key Value's external URL names the instance only as its user, over TLS.
                || (r.resource == ResourceKind::KeyValue && lower.starts_with("rediss://"));
            r.property = match (is_url, external) {
                (true, false) => "connectionString",
                (true, true) => "externalConnectionString",
                (false, false) => "host",
                (false, true) => "externalHost",
            }
            .into();
        }
        Some(r)
    }
}

/// One automaton over every password in production connection info (Postgres's own and
/// the userinfo of every connection string), so that a value holding one anywhere is
/// secret. Short ones are left out: they would match ordinary text, and Render's are long.
fn credential_matcher(raw: &wire::RawWorkspace) -> Option<AhoCorasick> {
    let mut secrets: Vec<String> = Vec::new();
    let from_url = |s: &Option<String>, out: &mut Vec<String>| {
        out.extend(s.as_deref().and_then(url_password));
    };
    for rp in &raw.postgres {
        if let Some(c) = &rp.connection {
            secrets.extend(c.password.clone());
            for s in [
                &c.internal_connection_string,
                &c.external_connection_string,
                &c.internal_connection_pool_string,
                &c.external_connection_pool_string,
            ] {
                from_url(s, &mut secrets);
            }
        }
    }
    for rk in &raw.key_values {
        if let Some(c) = &rk.connection {
            for s in [&c.internal_connection_string, &c.external_connection_string] {
                from_url(s, &mut secrets);
            }
        }
    }
    secrets.retain(|p| p.chars().count() >= 8);
    secrets.sort();
    secrets.dedup();
    (!secrets.is_empty()).then(|| AhoCorasick::new(&secrets).expect("passwords are plain strings"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        assert_eq!(
            url_host("postgresql://u:p@dpg-x-a.oregon-postgres.render.com:5432/db").as_deref(),
            Some("dpg-x-a.oregon-postgres.render.com")
        );
        assert_eq!(
            url_port("redis://red-x:6379")
                .map(|p| p.to_string())
                .as_deref(),
            Some("6379")
        );
        assert_eq!(
            url_host("https://a.onrender.com").as_deref(),
            Some("a.onrender.com")
        );
        assert_eq!(url_host("not a url"), None);
    }

    /// The snapshot of `raw` with the default secret rules and no fingerprint key.
    fn normalised(raw: &wire::RawWorkspace) -> (Snapshot, Vec<Warning>) {
        let classifier = Classifier::default();
        normalise(
            raw,
            &ConvertOptions {
                classifier: &classifier,
                fingerprinter: None,
            },
        )
    }

    fn raw_service(body: serde_json::Value, env_vars: &[(&str, &str)]) -> wire::RawService {
        wire::RawService {
            service: serde_json::from_value(body).expect("a service body"),
            env_vars: env_vars
                .iter()
                .map(|(k, v)| wire::EnvVar {
                    key: k.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            secret_files: Vec::new(),
            custom_domains: Vec::new(),
            headers: Vec::new(),
            routes: Vec::new(),
        }
    }

    fn web(id: &str, name: &str, parent: Option<(&str, &str)>) -> serde_json::Value {
        let mut details = serde_json::json!({
            "runtime": "node", "plan": "starter", "region": "oregon", "numInstances": 1,
            "url": format!("https://{name}.onrender.com"), "openPorts": [{"port": 10000, "protocol": "TCP"}],
            "envSpecificDetails": {"buildCommand": "npm ci", "startCommand": "node server.js"}
        });
        if let Some((pid, pname)) = parent {
            details["parentServer"] = serde_json::json!({"id": pid, "name": pname});
        }
        serde_json::json!({"id": id, "name": name, "type": "web_service", "slug": name, "serviceDetails": details})
    }

    /// A production connection password is secret wherever it turns up, and free text
    /// that cannot be `sync: false` (commands, repository and image URLs, headers,
    /// routes) is never carried when it holds a secret.
    #[test]
    fn connection_passwords_and_secrets_in_free_text_are_never_carried() {
        let password = "cnryPgPassw0rdLongEnough";
        let postgres: wire::Postgres = serde_json::from_value(serde_json::json!({
            "id": "dpg-d0000000000000000000-a", "name": "db", "plan": "basic_1gb",
            "region": "oregon", "version": "16", "databaseName": "app", "databaseUser": "app"
        }))
        .unwrap();
        let connection: wire::PostgresConnectionInfo = serde_json::from_value(serde_json::json!({
            "password": password,
            "internalConnectionString": format!("postgresql://app:{password}@dpg-d0000000000000000000-a/app"),
        }))
        .unwrap();
        let mut web = web("srv-web", "api", None);
        web["repo"] = serde_json::json!(
            "https://x-access-token:ghs_cnryRepoToken000000000000000000@github.com/acme/api"
        );
        let mut svc = raw_service(
            web,
            &[
                ("LOG_LEVEL", password),
                (
                    "PG_HINT",
                    &format!("user=app password={password} sslmode=require"),
                ),
                ("NOTE", "hello world"),
            ],
        );
        svc.service.image_path = None;
        svc.routes = vec![wire::Route {
            id: None,
            route_type: "redirect".into(),
            source: "/docs".into(),
            destination: "https://docs.example.com/?sig=cnrySignature0000000000000000000".into(),
            priority: Some(1),
        }];
        let raw = wire::RawWorkspace {
            owner_id: "tea-x".into(),
            services: vec![svc],
            postgres: vec![wire::RawPostgres {
                postgres,
                connection: Some(connection),
            }],
            ..Default::default()
        };
        let (snapshot, _) = normalised(&raw);
        let api = &snapshot.services[0];
        let secret = |k: &str| {
            api.env_vars
                .iter()
                .find(|v| v.key == k)
                .is_some_and(|v| v.value.is_none() && v.secret.is_some())
        };
        assert!(secret("LOG_LEVEL") && secret("PG_HINT"));
        assert!(!secret("NOTE"));
        assert_eq!(api.repo, None);
        assert!(api.routes.is_empty());
        let fields: Vec<&str> = api.redacted.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, ["repo", "routes"]);
        let text = snapshot.to_yaml();
        assert!(!text.contains("cnry"), "{text}");
    }

    /// Render's plans and fields of late 2026, as the API spells them: compute-plan ids,
    /// Key Value sizes and persistence, Postgres pooling, maintenance mode. Each is carried
    /// in Blueprint spelling; what has none is kept as the API gave it.
    #[test]
    fn current_plans_and_fields_are_read_in_blueprint_spelling() {
        let mut api = web("srv-api", "api", None);
        api["serviceDetails"]["plan"] = "1c_2g".into();
        api["serviceDetails"]["maintenanceMode"] =
            serde_json::json!({"enabled": true, "uri": "https://status.example.org/down"});
        let mut quiet = web("srv-quiet", "quiet", None);
        quiet["serviceDetails"]["plan"] = "PRO_PLUS".into();
        quiet["serviceDetails"]["maintenanceMode"] =
            serde_json::json!({"enabled": false, "uri": ""});
        let mut odd = web("srv-odd", "odd", None);
        odd["serviceDetails"]["plan"] = "starter_plus".into();
        let workflow = serde_json::json!({"id": "wfl-1", "name": "jobs", "type": "workflow", "serviceDetails": {}});
        let pg = |id: &str, name: &str, plan: &str, pool: &str| -> wire::RawPostgres {
            wire::RawPostgres {
                postgres: serde_json::from_value(serde_json::json!({
                    "id": id, "name": name, "plan": plan, "region": "oregon", "version": "17",
                    "connectionPool": pool
                }))
                .unwrap(),
                connection: None,
            }
        };
        let kv = |id: &str, name: &str, plan: &str, mode: &str| wire::RawKeyValue {
            key_value: serde_json::from_value(serde_json::json!({
                "id": id, "name": name, "plan": plan, "region": "oregon",
                "options": {"maxmemoryPolicy": "allkeys_lru", "persistenceMode": mode}
            }))
            .unwrap(),
            connection: None,
        };
        let raw = wire::RawWorkspace {
            owner_id: "tea-x".into(),
            services: vec![
                raw_service(api, &[]),
                raw_service(quiet, &[]),
                raw_service(odd, &[]),
                raw_service(workflow, &[]),
            ],
            postgres: vec![
                pg("dpg-a", "small", "0.1c_256mb", "pgbouncer"),
                pg("dpg-b", "legacy", "pro_plus", "none"),
                pg("dpg-c", "sized", "basic_1gb", "odyssey"),
                pg("dpg-d", "custom", "custom", "pgbouncer"),
            ],
            key_values: vec![
                kv("red-a", "cache", "256mb", "journal_snapshot"),
                kv("red-b", "queue", "pro_plus", "snapshot"),
                kv("red-c", "odd", "custom", "aof_always"),
            ],
            ..Default::default()
        };
        let (snapshot, warnings) = normalised(&raw);
        let svc = |n: &str| snapshot.services.iter().find(|s| s.name == n).unwrap();
        assert_eq!(svc("api").plan.as_deref(), Some("1c-2g"));
        assert_eq!(
            svc("api").maintenance_mode,
            Some(MaintenanceMode {
                enabled: true,
                uri: Some("https://status.example.org/down".into())
            })
        );
        assert_eq!(svc("quiet").plan.as_deref(), Some("pro plus"));
        assert_eq!(svc("quiet").maintenance_mode, None);
        assert_eq!(
            (svc("odd").plan.as_deref(), svc("odd").api_plan.as_deref()),
            (None, Some("starter_plus"))
        );
        assert_eq!(snapshot.skipped.len(), 1, "{:?}", snapshot.skipped);
        assert!(snapshot.skipped[0].reason.contains("workflow"));
        assert!(warnings.iter().any(|w| w.0.contains("jobs")));
        let db = |n: &str| snapshot.databases.iter().find(|d| d.name == n).unwrap();
        assert_eq!(db("small").plan.as_deref(), Some("0.1c-256mb"));
        assert_eq!(db("small").connection_pool.as_deref(), Some("pgbouncer"));
        // A legacy plan keeps its own spelling; the overlay stage decides what staging gets.
        assert_eq!(db("legacy").plan.as_deref(), Some("pro plus"));
        assert_eq!(db("legacy").connection_pool, None);
        assert_eq!(db("sized").plan.as_deref(), Some("basic-1gb"));
        assert_eq!(db("sized").connection_pool, None);
        assert_eq!(
            db("sized").unexpressed.connection_pool.as_deref(),
            Some("odyssey")
        );
        assert_eq!(
            (
                db("custom").plan.as_deref(),
                db("custom").api_plan.as_deref()
            ),
            (None, Some("custom"))
        );
        let k = |n: &str| snapshot.key_values.iter().find(|k| k.name == n).unwrap();
        assert_eq!(k("cache").plan.as_deref(), Some("256mb"));
        assert_eq!(
            k("cache").persistence_mode.as_deref(),
            Some("journal-snapshot")
        );
        assert_eq!(k("cache").maxmemory_policy.as_deref(), Some("allkeys-lru"));
        assert_eq!(k("queue").plan.as_deref(), Some("pro plus"));
        assert_eq!(k("queue").persistence_mode.as_deref(), Some("snapshot"));
        assert_eq!(k("odd").api_plan.as_deref(), Some("custom"));
        assert_eq!(k("odd").persistence_mode, None);
        assert_eq!(
            k("odd").unexpressed.persistence_mode.as_deref(),
            Some("aof_always")
        );
    }

    #[test]
    fn preview_instances_are_skipped_and_never_referenced() {
        let raw = wire::RawWorkspace {
            owner_id: "tea-x".into(),
            services: vec![
                raw_service(
                    web("srv-parent", "api", None),
                    &[("PREVIEW_URL", "https://api-pr-7.onrender.com")],
                ),
                raw_service(
                    web("srv-preview", "api-pr-7", Some(("srv-parent", "api"))),
                    &[],
                ),
            ],
            ..Default::default()
        };
        let (snapshot, warnings) = normalised(&raw);
        let names: Vec<&str> = snapshot.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["api"]);
        assert_eq!(snapshot.skipped.len(), 1);
        assert_eq!(snapshot.skipped[0].id, "srv-preview");
        assert_eq!(snapshot.skipped[0].reason, "preview instance of api");
        // Its identities stay, for isolation: staging must not point at it either.
        assert_eq!(snapshot.skipped[0].kind, Some(ResourceKind::Service));
        assert_eq!(snapshot.skipped[0].slug.as_deref(), Some("api-pr-7"));
        assert_eq!(
            snapshot.skipped[0].network.url.as_deref(),
            Some("https://api-pr-7.onrender.com")
        );
        assert!(
            snapshot.skipped[0]
                .network
                .hosts
                .contains(&"api-pr-7.onrender.com".to_string())
        );
        assert!(warnings.iter().any(|w| w.0.contains("api-pr-7")));
        // The preview is not in the snapshot, so a value holding its URL must not name it.
        assert_eq!(snapshot.services[0].env_vars[0].refers_to, None);
    }
}
