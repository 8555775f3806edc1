//! The Blueprint's context: every field production sets, written out explicitly (Render's
//! sync resets undeclared fields on adopted resources) in the strict form the official
//! schema accepts, each overlay-caused difference carrying a comment.

use std::collections::HashMap;

use serde::Serialize;

use super::{MapBuilder, Node, Paths};
use crate::model::{GENERATED_HEADER, ServiceKind};
use crate::overlay::{
    Change, Staging, StagingDatabase, StagingEnvGroup, StagingKeyValue, StagingService, StagingVar,
    VarSource,
};

#[derive(Debug, Serialize)]
pub struct BlueprintContext {
    pub header: Vec<String>,
    pub previews: Option<Node>,
    pub services: Node,
    pub databases: Node,
    pub env_groups: Node,
    pub project: Option<ProjectContext>,
}

#[derive(Debug, Serialize)]
pub struct ProjectContext {
    pub name: String,
    pub environment: String,
    pub settings: Node,
    pub services: Node,
    pub databases: Node,
    pub env_groups: Node,
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
                c.cause.describe(),
                crate::yaml::comment_text(p)
            ),
            None => c.cause.describe(),
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
    let mut services: Vec<Node> = staging
        .services
        .iter()
        .map(|s| service(s, &comments))
        .collect();
    services.extend(staging.key_values.iter().map(|k| key_value(k, &comments)));
    let services = Node::list(services);
    let databases = Node::list(
        staging
            .databases
            .iter()
            .map(|d| database(d, &comments))
            .collect(),
    );
    let env_groups = Node::list(
        staging
            .env_groups
            .iter()
            .map(|g| env_group(g, &comments))
            .collect(),
    );

    let header = vec![
        format!("{GENERATED_HEADER} (regenerate with `stageprint generate`)"),
        format!(
            "Staging Blueprint for `{}`, from {} and {}.",
            staging.environment, paths.snapshot_label, paths.overlay_label
        ),
        "Comments name the overlay rule (or automatic step) behind each difference from production.".to_string(),
    ];
    let previews = staging.previews.as_ref().map(|p| {
        let mut m = MapBuilder::new();
        m.opt_str("generation", &p.generation);
        m.opt("expireAfterDays", p.expire_after_days.map(Node::int));
        m.build()
    });
    match &staging.placement {
        Some(pl) => {
            let mut settings = MapBuilder::new();
            if let Some(iso) = pl.network_isolation {
                let mut n = MapBuilder::new();
                n.field(
                    "isolation",
                    Node::str(if iso { "enabled" } else { "disabled" }),
                );
                settings.field("networking", n.build());
            }
            if let Some(prot) = pl.protection {
                let mut n = MapBuilder::new();
                n.field(
                    "protection",
                    Node::str(if prot { "enabled" } else { "disabled" }),
                );
                settings.field("permissions", n.build());
            }
            BlueprintContext {
                header,
                previews,
                services: Node::list(vec![]),
                databases: Node::list(vec![]),
                env_groups: Node::list(vec![]),
                project: Some(ProjectContext {
                    name: pl.project.clone(),
                    environment: pl.environment.clone(),
                    settings: settings.build(),
                    services,
                    databases,
                    env_groups,
                }),
            }
        }
        None => BlueprintContext {
            header,
            previews,
            services,
            databases,
            env_groups,
            project: None,
        },
    }
}

fn ip_list(list: &[crate::model::IpRule]) -> Node {
    Node::list(
        list.iter()
            .map(|r| {
                let mut m = MapBuilder::new();
                m.field("source", Node::str(r.source.clone()));
                m.opt_str("description", &r.description);
                m.build()
            })
            .collect(),
    )
}

fn creds(name: &str) -> Node {
    let mut inner = MapBuilder::new();
    inner.field("name", Node::str(name));
    let mut m = MapBuilder::new();
    m.field("fromRegistryCreds", inner.build());
    m.build()
}

fn service(s: &StagingService, comments: &Comments) -> Node {
    let svc = &s.service;
    let mut m = MapBuilder::new();
    m.field("type", Node::str(svc.kind.blueprint_type()));
    m.field("name", Node::str(svc.name.clone()));
    m.field("runtime", Node::str(svc.runtime.clone()));
    m.opt_str("repo", &svc.repo);
    m.opt_str("branch", &svc.branch);
    m.opt_str("rootDir", &svc.root_dir);
    if let Some(img) = &svc.image {
        let mut i = MapBuilder::new();
        i.field("url", Node::str(img.url.clone()));
        i.opt("creds", img.credential.as_deref().map(creds));
        m.field("image", i.build());
    }
    m.opt(
        "registryCredential",
        svc.registry_credential.as_deref().map(creds),
    );
    if svc.kind != ServiceKind::Static {
        m.opt_str("region", &svc.region);
        m.opt_str("plan", &svc.plan);
    }
    m.opt(
        "numInstances",
        svc.num_instances
            .filter(|_| svc.scaling.is_none() && svc.kind.is_server())
            .map(Node::int),
    );
    if let Some(sc) = &svc.scaling {
        let mut n = MapBuilder::new();
        n.field("minInstances", Node::int(sc.min_instances));
        n.field("maxInstances", Node::int(sc.max_instances));
        n.opt("targetCPUPercent", sc.target_cpu_percent.map(Node::int));
        n.opt(
            "targetMemoryPercent",
            sc.target_memory_percent.map(Node::int),
        );
        m.field("scaling", n.build());
    }
    m.opt_str("buildCommand", &svc.build_command);
    m.opt_str("startCommand", &svc.start_command);
    m.opt_str("preDeployCommand", &svc.pre_deploy_command);
    m.opt_str("dockerCommand", &svc.docker_command);
    m.opt_str("dockerContext", &svc.docker_context);
    m.opt_str("dockerfilePath", &svc.dockerfile_path);
    m.opt_str("schedule", &svc.schedule);
    m.opt_str("staticPublishPath", &svc.static_publish_path);
    m.opt_str("healthCheckPath", &svc.health_check_path);
    m.field(
        "autoDeployTrigger",
        Node::str(svc.auto_deploy_trigger.clone()),
    );
    if let Some(f) = &svc.build_filter {
        let mut n = MapBuilder::new();
        n.field("paths", Node::strs(f.paths.clone()));
        n.field("ignoredPaths", Node::strs(f.ignored_paths.clone()));
        m.field("buildFilter", n.build());
    }
    if let Some(d) = &svc.disk {
        let mut n = MapBuilder::new();
        n.field("name", Node::str(d.name.clone()));
        n.field("mountPath", Node::str(d.mount_path.clone()));
        n.opt("sizeGB", d.size_gb.map(Node::int));
        m.field("disk", n.build());
    }
    m.opt(
        "maxShutdownDelaySeconds",
        svc.max_shutdown_delay_seconds.map(Node::int),
    );
    if let Some(g) = &svc.previews {
        let mut n = MapBuilder::new();
        n.field("generation", Node::str(g.clone()));
        m.field("previews", n.build());
    }
    if matches!(svc.kind, ServiceKind::Web | ServiceKind::Static) {
        // Always written for web services and static sites: an empty list states that
        // staging claims no custom domain.
        m.field("domains", Node::strs(svc.domains.clone()));
    }
    m.opt_str("renderSubdomainPolicy", &svc.render_subdomain_policy);
    m.opt("ipAllowList", svc.ip_allow_list.as_deref().map(ip_list));
    if svc.kind == ServiceKind::Static {
        let headers = svc
            .headers
            .iter()
            .map(|h| {
                let mut n = MapBuilder::new();
                n.field("path", Node::str(h.path.clone()));
                n.field("name", Node::str(h.name.clone()));
                n.field("value", Node::str(h.value.clone()));
                n.build()
            })
            .collect();
        m.field("headers", Node::list(headers));
        let routes = svc
            .routes
            .iter()
            .map(|r| {
                let mut n = MapBuilder::new();
                n.field("type", Node::str(r.route_type.clone()));
                n.field("source", Node::str(r.source.clone()));
                n.field("destination", Node::str(r.destination.clone()));
                n.build()
            })
            .collect();
        m.field("routes", Node::list(routes));
    }
    let mut vars: Vec<Node> = s
        .env
        .iter()
        .map(|v| env_var(v, &svc.name, comments))
        .collect();
    for g in &s.groups {
        let mut n = MapBuilder::new();
        n.field("fromGroup", Node::str(g.clone()));
        vars.push(n.build());
    }
    m.field("envVars", Node::list(vars));
    for key in m.keys() {
        let c = comments.get(&svc.name, &key);
        m.comment(&key, c);
    }
    m.build()
}

fn env_var(v: &StagingVar, resource: &str, comments: &Comments) -> Node {
    let mut n = MapBuilder::new();
    n.field("key", Node::str(v.key.clone()));
    match &v.source {
        VarSource::Value(s) => {
            n.field("value", Node::str(s.clone()));
        }
        VarSource::Generate => {
            n.field("generateValue", Node::bool(true));
        }
        VarSource::Operator(_) => {
            n.field("sync", Node::bool(false));
        }
        VarSource::FromDatabase { name, property } => {
            let mut r = MapBuilder::new();
            r.field("name", Node::str(name.clone()));
            r.field("property", Node::str(property.clone()));
            n.field("fromDatabase", r.build());
        }
        VarSource::FromService {
            service_type,
            name,
            property,
            env_var_key,
        } => {
            let mut r = MapBuilder::new();
            r.field("type", Node::str(service_type.clone()));
            r.field("name", Node::str(name.clone()));
            r.opt_str("property", property);
            r.opt_str("envVarKey", env_var_key);
            n.field("fromService", r.build());
        }
    }
    n.comment("key", comments.get(resource, &format!("envVars.{}", v.key)));
    n.build()
}

fn key_value(k: &StagingKeyValue, comments: &Comments) -> Node {
    let kv = &k.key_value;
    let mut m = MapBuilder::new();
    m.field("type", Node::str("keyvalue"));
    m.field("name", Node::str(kv.name.clone()));
    m.opt_str("region", &kv.region);
    m.opt_str("plan", &kv.plan);
    m.opt_str("maxmemoryPolicy", &kv.maxmemory_policy);
    m.field("ipAllowList", ip_list(&kv.ip_allow_list));
    for key in m.keys() {
        let c = comments.get(&kv.name, &key);
        m.comment(&key, c);
    }
    m.build()
}

fn database(d: &StagingDatabase, comments: &Comments) -> Node {
    let db = &d.database;
    let mut m = MapBuilder::new();
    m.field("name", Node::str(db.name.clone()));
    m.opt_str("databaseName", &db.database_name);
    m.opt_str("user", &db.user);
    m.opt_str("region", &db.region);
    m.opt_str("plan", &db.plan);
    m.opt_str("postgresMajorVersion", &db.postgres_major_version);
    m.opt("diskSizeGB", db.disk_size_gb.map(Node::int));
    m.opt(
        "storageAutoscalingEnabled",
        db.storage_autoscaling_enabled.map(Node::bool),
    );
    let mut ha = MapBuilder::new();
    ha.field("enabled", Node::bool(db.high_availability));
    m.field("highAvailability", ha.build());
    m.opt("ipAllowList", db.ip_allow_list.as_deref().map(ip_list));
    let replicas = db
        .read_replicas
        .iter()
        .map(|r| {
            let mut n = MapBuilder::new();
            n.field("name", Node::str(r.name.clone()));
            n.build()
        })
        .collect();
    // Authoritative on sync: listing none states that staging has none.
    m.field("readReplicas", Node::list(replicas));
    for key in m.keys() {
        let c = comments.get(&db.name, &key);
        m.comment(&key, c);
    }
    m.build()
}

fn env_group(g: &StagingEnvGroup, comments: &Comments) -> Node {
    let mut m = MapBuilder::new();
    m.field("name", Node::str(g.name.clone()));
    let vars = g
        .env
        .iter()
        .map(|v| {
            let mut n = MapBuilder::new();
            n.field("key", Node::str(v.key.clone()));
            match &v.source {
                VarSource::Value(s) => n.field("value", Node::str(s.clone())),
                _ => n.field("generateValue", Node::bool(true)),
            };
            n.comment("key", comments.get(&g.name, &format!("envVars.{}", v.key)));
            n.build()
        })
        .collect();
    m.field("envVars", Node::list(vars));
    m.build()
}
