//! The Blueprint's context: every field production sets, written out explicitly (Render's
//! sync resets undeclared fields on adopted resources) in the strict form the official
//! schema accepts, each difference from production carrying a comment that names its cause.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Paths;
use crate::model::{self, GENERATED_HEADER, ServiceKind};
use crate::overlay::{
    Change, Staging, StagingDatabase, StagingEnvGroup, StagingKeyValue, StagingService, VarSource,
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlueprintContext {
    header: Vec<String>,
    previews: Option<Previews>,
    /// Resources outside any project environment.
    root: Resources,
    project: Option<Project>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Previews {
    generation: Option<String>,
    expire_after_days: Option<u32>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Resources {
    services: Vec<Service>,
    databases: Vec<Database>,
    env_var_groups: Vec<Group>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    name: String,
    environment: String,
    isolation: Option<&'static str>,
    protection: Option<&'static str>,
    resources: Resources,
}

/// Comment per Blueprint field; every field is present so templates can test any of them.
type Notes = BTreeMap<&'static str, Option<String>>;

const SERVICE_FIELDS: &[&str] = &[
    "repo",
    "branch",
    "rootDir",
    "image",
    "region",
    "plan",
    "numInstances",
    "scaling",
    "autoDeployTrigger",
    "buildFilter",
    "disk",
    "maxShutdownDelaySeconds",
    "maintenanceMode",
    "previews",
    "domains",
    "renderSubdomainPolicy",
    "ipAllowList",
    "headers",
    "routes",
    "maxmemoryPolicy",
    "persistenceMode",
];
const DATABASE_FIELDS: &[&str] = &["highAvailability", "ipAllowList", "readReplicas"];

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Service {
    #[serde(rename = "type")]
    service_type: &'static str,
    name: String,
    runtime: Option<String>,
    repo: Option<String>,
    branch: Option<String>,
    root_dir: Option<String>,
    image: Option<Image>,
    registry_credential: Option<String>,
    region: Option<String>,
    plan: Option<String>,
    num_instances: Option<u32>,
    scaling: Option<Scaling>,
    /// Commands and paths, in Blueprint order: (field, value, comment).
    commands: Vec<Scalar>,
    auto_deploy_trigger: Option<String>,
    build_filter: Option<model::BuildFilter>,
    disk: Option<Disk>,
    max_shutdown_delay_seconds: Option<u32>,
    maintenance_mode: Option<Maintenance>,
    previews: Option<String>,
    domains: Option<Vec<String>>,
    render_subdomain_policy: Option<String>,
    ip_allow_list: Option<Vec<IpRule>>,
    headers: Option<Vec<model::Header>>,
    routes: Option<Vec<model::Route>>,
    env_vars: Option<Vec<EnvVar>>,
    maxmemory_policy: Option<String>,
    persistence_mode: Option<String>,
    notes: Notes,
}

// Template context copies of model types: every field present (`none` when absent), so
// strict undefined-variable checking never trips on an optional field.
#[derive(Debug, Serialize)]
struct Maintenance {
    enabled: bool,
    uri: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Scaling {
    min_instances: u32,
    max_instances: u32,
    #[serde(rename = "targetCPUPercent")]
    target_cpu_percent: Option<u32>,
    target_memory_percent: Option<u32>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Disk {
    name: String,
    mount_path: String,
    #[serde(rename = "sizeGB")]
    size_gb: Option<u32>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IpRule {
    source: String,
    description: Option<String>,
}

fn ip_rules(list: &[model::IpRule]) -> Vec<IpRule> {
    list.iter()
        .map(|r| IpRule {
            source: r.source.clone(),
            description: r.description.clone(),
        })
        .collect()
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Image {
    url: String,
    creds: Option<String>,
}

/// A `key: value` line whose key is a Blueprint field name chosen here.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Scalar {
    key: &'static str,
    value: String,
    /// Strings are quoted by the template; numbers and booleans are written as they are.
    quote: bool,
    note: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvVar {
    key: Option<String>,
    value: Option<String>,
    generate_value: bool,
    from_database: Option<FromDatabase>,
    from_service: Option<FromService>,
    from_group: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Serialize)]
struct FromDatabase {
    name: String,
    property: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct FromService {
    #[serde(rename = "type")]
    service_type: String,
    name: String,
    property: Option<String>,
    env_var_key: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Database {
    name: String,
    fields: Vec<Scalar>,
    high_availability: bool,
    ip_allow_list: Option<Vec<IpRule>>,
    read_replicas: Vec<String>,
    notes: Notes,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    name: String,
    env_vars: Vec<EnvVar>,
}

/// Comments for changed fields, keyed by (staging resource, field).
struct Comments<'a> {
    by_field: HashMap<(&'a str, &'a str), &'a Change>,
}

impl Comments<'_> {
    fn get(&self, resource: &str, field: &str) -> Option<String> {
        let c = self.by_field.get(&(resource, field))?;
        Some(match &c.production {
            Some(p) => format!(
                "{}; production: {}",
                c.cause.name(),
                crate::yaml::comment_text(p)
            ),
            None => c.cause.name(),
        })
    }

    fn notes(&self, resource: &str, fields: &[&'static str]) -> Notes {
        fields.iter().map(|f| (*f, self.get(resource, f))).collect()
    }

    fn scalar(
        &self,
        resource: &str,
        key: &'static str,
        value: Option<String>,
        quote: bool,
    ) -> Option<Scalar> {
        value.map(|value| Scalar {
            key,
            value,
            quote,
            note: self.get(resource, key),
        })
    }
}

pub fn context(staging: &Staging, paths: &Paths) -> BlueprintContext {
    let comments = Comments {
        by_field: staging
            .changes
            .iter()
            .map(|c| ((c.resource.as_str(), c.field.as_str()), c))
            .collect(),
    };
    let mut resources = Resources::default();
    resources.services.extend(
        staging
            .services
            .iter()
            .map(|s| service(s, staging, &comments)),
    );
    resources
        .services
        .extend(staging.key_values.iter().map(|k| key_value(k, &comments)));
    resources
        .databases
        .extend(staging.databases.iter().map(|d| database(d, &comments)));
    resources
        .env_var_groups
        .extend(staging.env_groups.iter().map(|g| group(g, &comments)));

    let header = vec![
        format!("{GENERATED_HEADER} (regenerate with `stageprint generate`)"),
        format!("Staging Blueprint for `{}`, from {} and {}.", staging.environment, paths.snapshot_label, paths.overlay_label),
        "Comments name the overlay rule (or automatic step) behind each difference from production.".to_string(),
    ];
    // An empty `previews:` would read as null; an overlay that sets neither field says nothing.
    let previews = staging
        .previews
        .as_ref()
        .filter(|p| p.generation.is_some() || p.expire_after_days.is_some())
        .map(|p| Previews {
            generation: p.generation.clone(),
            expire_after_days: p.expire_after_days,
        });
    let enabled = |b: bool| if b { "enabled" } else { "disabled" };
    match &staging.placement {
        Some(pl) => BlueprintContext {
            header,
            previews,
            root: Resources::default(),
            project: Some(Project {
                name: pl.project.clone(),
                environment: pl.environment.clone(),
                isolation: pl.network_isolation.map(enabled),
                protection: pl.protection.map(enabled),
                resources,
            }),
        },
        None => BlueprintContext {
            header,
            previews,
            root: resources,
            project: None,
        },
    }
}

fn service(s: &StagingService, staging: &Staging, comments: &Comments) -> Service {
    let svc = &s.service;
    let name = svc.name.as_str();
    let server = svc.kind.is_server();
    let web_like = matches!(svc.kind, ServiceKind::Web | ServiceKind::Static);
    let is_static = svc.kind == ServiceKind::Static;
    let commands = [
        ("buildCommand", &svc.build_command),
        ("startCommand", &svc.start_command),
        // Every kind has a pre-deploy step since Render's schema of September 2026.
        ("preDeployCommand", &svc.pre_deploy_command),
        ("dockerCommand", &svc.docker_command),
        ("dockerContext", &svc.docker_context),
        ("dockerfilePath", &svc.dockerfile_path),
        ("schedule", &svc.schedule),
        ("staticPublishPath", &svc.static_publish_path),
        ("healthCheckPath", &svc.health_check_path),
    ]
    .into_iter()
    .filter_map(|(k, v)| comments.scalar(name, k, v.clone(), true))
    .collect();
    let mut env_vars: Vec<EnvVar> = s
        .env
        .iter()
        .map(|v| {
            let mut e = EnvVar {
                key: Some(v.key.clone()),
                note: comments.get(name, &format!("envVars.{}", v.key)),
                ..EnvVar::default()
            };
            match &v.source {
                VarSource::Value(x) => e.value = Some(x.clone()),
                VarSource::Generate => e.generate_value = true,
                VarSource::Operator(_) => {}
                VarSource::FromDatabase { name, property } => {
                    e.from_database = Some(FromDatabase {
                        name: name.clone(),
                        property: property.clone(),
                    })
                }
                VarSource::FromService {
                    service_type,
                    name,
                    property,
                    env_var_key,
                } => {
                    e.from_service = Some(FromService {
                        service_type: service_type.clone(),
                        name: name.clone(),
                        property: property.clone(),
                        env_var_key: env_var_key.clone(),
                    })
                }
            }
            e
        })
        .collect();
    env_vars.extend(s.groups.iter().map(|g| EnvVar {
        from_group: Some(g.clone()),
        ..EnvVar::default()
    }));
    Service {
        service_type: svc.kind.blueprint_type(),
        name: svc.name.clone(),
        runtime: Some(svc.runtime.clone()),
        repo: svc.repo.clone(),
        // Previews build the pull request's branch only when none is fixed; steps.rs
        // names the branch the Blueprint must then be synced from.
        branch: svc.branch.clone().filter(|_| {
            !crate::overlay::steps::previews_build_pull_requests(staging.previews.as_ref(), svc)
        }),
        root_dir: svc.root_dir.clone(),
        image: svc.image.as_ref().map(|i| Image {
            url: i.url.clone(),
            creds: i.credential.clone(),
        }),
        registry_credential: svc.registry_credential.clone(),
        region: svc.region.clone().filter(|_| !is_static),
        plan: svc.plan.clone().filter(|_| !is_static),
        num_instances: svc
            .num_instances
            .filter(|_| server && svc.scaling.is_none()),
        scaling: svc.scaling.as_ref().filter(|_| server).map(|sc| Scaling {
            min_instances: sc.min_instances,
            max_instances: sc.max_instances,
            target_cpu_percent: sc.target_cpu_percent,
            target_memory_percent: sc.target_memory_percent,
        }),
        commands,
        // An image service deploys when told to: the trigger means nothing there.
        auto_deploy_trigger: Some(svc.auto_deploy_trigger.clone())
            .filter(|_| svc.runtime != "image"),
        build_filter: svc.build_filter.clone(),
        disk: svc.disk.as_ref().filter(|_| server).map(|d| Disk {
            name: d.name.clone(),
            mount_path: d.mount_path.clone(),
            size_gb: d.size_gb,
        }),
        max_shutdown_delay_seconds: svc.max_shutdown_delay_seconds.filter(|_| server),
        maintenance_mode: svc
            .maintenance_mode
            .as_ref()
            .filter(|_| server)
            .map(|m| Maintenance {
                enabled: m.enabled,
                uri: m.uri.clone(),
            }),
        // Services take `manual` or `automatic`; leaving the field out turns previews off.
        previews: svc
            .previews
            .clone()
            .filter(|g| svc.kind != ServiceKind::Cron && g != "off"),
        // Always written for web services and static sites: an empty list states that
        // staging claims no custom domain.
        domains: web_like.then(|| svc.domains.clone()),
        // Web services and, since Render's schema of September 2026, static sites.
        render_subdomain_policy: svc.render_subdomain_policy.clone().filter(|_| web_like),
        ip_allow_list: svc
            .ip_allow_list
            .as_deref()
            .filter(|_| web_like)
            .map(ip_rules),
        headers: is_static.then(|| svc.headers.clone()),
        routes: is_static.then(|| svc.routes.clone()),
        env_vars: Some(env_vars),
        maxmemory_policy: None,
        persistence_mode: None,
        notes: comments.notes(name, SERVICE_FIELDS),
    }
}

fn key_value(k: &StagingKeyValue, comments: &Comments) -> Service {
    let kv = &k.key_value;
    Service {
        service_type: "keyvalue",
        name: kv.name.clone(),
        runtime: None,
        repo: None,
        branch: None,
        root_dir: None,
        image: None,
        registry_credential: None,
        region: kv.region.clone(),
        plan: kv.plan.clone(),
        num_instances: None,
        scaling: None,
        commands: Vec::new(),
        auto_deploy_trigger: None,
        build_filter: None,
        disk: None,
        max_shutdown_delay_seconds: None,
        maintenance_mode: None,
        previews: None,
        domains: None,
        render_subdomain_policy: None,
        // Required for Key Value: an empty list means reachable on the private network only.
        ip_allow_list: Some(ip_rules(&kv.ip_allow_list)),
        headers: None,
        routes: None,
        env_vars: None,
        maxmemory_policy: kv.maxmemory_policy.clone(),
        persistence_mode: kv.persistence_mode.clone(),
        notes: comments.notes(&kv.name, SERVICE_FIELDS),
    }
}

fn database(d: &StagingDatabase, comments: &Comments) -> Database {
    let db = &d.database;
    let name = db.name.as_str();
    let fields = [
        comments.scalar(name, "databaseName", db.database_name.clone(), true),
        comments.scalar(name, "user", db.user.clone(), true),
        comments.scalar(name, "region", db.region.clone(), true),
        comments.scalar(name, "plan", db.plan.clone(), true),
        comments.scalar(
            name,
            "postgresMajorVersion",
            db.postgres_major_version.clone(),
            true,
        ),
        comments.scalar(
            name,
            "diskSizeGB",
            db.disk_size_gb.map(|g| g.to_string()),
            false,
        ),
        comments.scalar(
            name,
            "storageAutoscalingEnabled",
            db.storage_autoscaling_enabled.map(|b| b.to_string()),
            false,
        ),
        comments.scalar(name, "connectionPool", db.connection_pool.clone(), true),
    ]
    .into_iter()
    .flatten()
    .collect();
    Database {
        name: db.name.clone(),
        fields,
        high_availability: db.high_availability,
        ip_allow_list: db.ip_allow_list.as_deref().map(ip_rules),
        // Authoritative on sync: listing none states that staging has none.
        read_replicas: db.read_replicas.iter().map(|r| r.name.clone()).collect(),
        notes: comments.notes(name, DATABASE_FIELDS),
    }
}

fn group(g: &StagingEnvGroup, comments: &Comments) -> Group {
    Group {
        name: g.name.clone(),
        env_vars: g
            .env
            .iter()
            .map(|v| EnvVar {
                key: Some(v.key.clone()),
                value: match &v.source {
                    VarSource::Value(x) => Some(x.clone()),
                    _ => None,
                },
                generate_value: matches!(v.source, VarSource::Generate),
                note: comments.get(&g.name, &format!("envVars.{}", v.key)),
                ..EnvVar::default()
            })
            .collect(),
    }
}
