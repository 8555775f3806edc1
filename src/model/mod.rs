//! The domain model: a production workspace in our words, normalised and sorted.
//!
//! This is what `generated/production.snapshot.yaml` holds. It carries everything a
//! Blueprint can express, in Blueprint vocabulary (`pserv`, `pro plus`, `allkeys-lru`),
//! plus what a Blueprint cannot express (secret files, maintenance mode, plans without a
//! Blueprint spelling, connection pooling) so the report can name it. Secret values are
//! never here: a secret carries the rule that classified it and, when a fingerprint key
//! is configured, a keyed fingerprint. Non-secret network identities (hosts, ports, ids)
//! are kept so later stages can recognise production in staging values.

pub mod convert;
pub mod identity;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use convert::{ConvertOptions, Warning, normalise};

/// The JSON Schema of the snapshot file, derived from these types.
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<Snapshot>();
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}

/// The snapshot format version this build writes.
pub const SNAPSHOT_VERSION: u32 = 2;

/// The oldest snapshot format version this build still reads (and upgrades on reading).
pub const OLDEST_SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// Format version; a newer file than this build understands is refused.
    pub version: u32,
    pub workspace: Workspace,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub databases: Vec<Database>,
    #[serde(default)]
    pub key_values: Vec<KeyValue>,
    #[serde(default)]
    pub env_groups: Vec<EnvGroup>,
    #[serde(default)]
    pub projects: Vec<Project>,
    /// Names of the registry credentials in the workspace (credentials are referenced by name).
    #[serde(default)]
    pub registry_credentials: Vec<String>,
    /// Blueprints that already manage resources in this workspace.
    #[serde(default)]
    pub blueprints: Vec<Blueprint>,
    /// Resources read but not modelled (unknown service types, suspended previews, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workspace {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    Web,
    Pserv,
    Worker,
    Cron,
    Static,
}

impl ServiceKind {
    /// The Blueprint `type` (static sites are `web` with `runtime: static`).
    pub fn blueprint_type(self) -> &'static str {
        match self {
            ServiceKind::Web | ServiceKind::Static => "web",
            ServiceKind::Pserv => "pserv",
            ServiceKind::Worker => "worker",
            ServiceKind::Cron => "cron",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Web => "web",
            ServiceKind::Pserv => "pserv",
            ServiceKind::Worker => "worker",
            ServiceKind::Cron => "cron",
            ServiceKind::Static => "static",
        }
    }

    /// Web, private service or worker: the kinds with instances, disks and scaling.
    pub fn is_server(self) -> bool {
        matches!(
            self,
            ServiceKind::Web | ServiceKind::Pserv | ServiceKind::Worker
        )
    }
}

/// Where a resource lives: a project's environment, by name.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Placement {
    pub project: String,
    pub environment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub kind: ServiceKind,
    /// Blueprint runtime: `node`, `python`, …, `docker`, `image`, or `static`.
    pub runtime: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Registry credential (by name) for pulling private base images in a Docker build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_credential: Option<String>,
    /// `commit`, `checksPass` or `off`.
    pub auto_deploy_trigger: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_filter: Option<BuildFilter>,
    /// Blueprint plan spelling; absent for static sites and for API plans with no
    /// Blueprint spelling (then `apiPlan` says which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_instances: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Scaling>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<Disk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_deploy_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_publish_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_shutdown_delay_seconds: Option<u32>,
    /// Web services, private services and workers; written when it is on or names a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_mode: Option<MaintenanceMode>,
    /// Service PR previews: `off`, `manual` or `automatic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previews: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allow_list: Option<Vec<IpRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_subdomain_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// In priority order (the API's `priority`); a Blueprint has only list order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Env groups linked to this service, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_vars: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_files: Vec<SecretFile>,
    /// Commands and header values whose production value was classified secret: the
    /// field is left empty above and only the rule (and a keyed fingerprint) is kept here.
    /// Staging cannot carry them; the overlay must set the field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redacted: Vec<Redacted>,
    /// How other services and the internet reach it.
    #[serde(default, skip_serializing_if = "Network::is_empty")]
    pub network: Network,
    /// Settings a Blueprint cannot express.
    #[serde(default, skip_serializing_if = "Unexpressed::is_empty")]
    pub unexpressed: Unexpressed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildFilter {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub ignored_paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scaling {
    pub min_instances: u32,
    pub max_instances: u32,
    #[serde(
        default,
        rename = "targetCPUPercent",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_cpu_percent: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_memory_percent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Disk {
    pub name: String,
    pub mount_path: String,
    #[serde(default, rename = "sizeGB", skip_serializing_if = "Option::is_none")]
    pub size_gb: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpRule {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    pub path: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Route {
    #[serde(rename = "type")]
    pub route_type: String,
    pub source: String,
    pub destination: String,
}

/// An environment variable. A secret has no value: only the rule that classified it and,
/// when a fingerprint key is configured, a keyed fingerprint of the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// The production resource the value points at, recognised at snapshot time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<Reference>,
}

impl EnvVar {
    pub fn is_secret(&self) -> bool {
        self.secret.is_some()
    }
}

/// A service field whose production value was a secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redacted {
    /// The Blueprint field: `buildCommand`, `startCommand`, `preDeployCommand`,
    /// `dockerCommand`, `repo`, `image`, `headers` or `routes`.
    pub field: String,
    /// For `headers` and `routes`: which one (a header's name and path, a route's type and
    /// source; the value is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Why the value was classified secret (a rule name, never the value).
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secret {
    /// Why the value was classified secret (a rule name, never the value).
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    Service,
    Database,
    KeyValue,
    EnvGroup,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Service => "service",
            ResourceKind::Database => "database",
            ResourceKind::KeyValue => "key value",
            ResourceKind::EnvGroup => "env group",
        }
    }
}

/// A production resource an env var value points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reference {
    pub resource: ResourceKind,
    /// Production name of the resource.
    pub name: String,
    /// Blueprint property: `connectionString`, `host`, `port`, `hostport`, `user`,
    /// `password`, `database`, or `envVarKey:RENDER_EXTERNAL_URL`-style service keys.
    pub property: String,
    /// `exact` when the value is the property itself; `contains` when the value wraps it
    /// (a query string, a path, a scheme): only the bare property can be referenced.
    #[serde(rename = "match")]
    pub matched: Match,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    Exact,
    Contains,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretFile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// Non-secret network identities of a resource.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Network {
    /// Public URL (`https://<slug>.onrender.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Host names that reach only this resource (internal and external).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
}

impl Network {
    pub fn is_empty(&self) -> bool {
        self.url.is_none() && self.hosts.is_empty() && self.ports.is_empty()
    }
}

/// Settings production has that no Blueprint field can carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Unexpressed {
    /// Read from snapshots of format version 1 only; moved to `Service::maintenance_mode`.
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub maintenance_mode: Option<MaintenanceMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_on_fail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_routing: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
    /// A connection pool type the Blueprint has no spelling for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_pool: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameter_overrides: BTreeMap<String, String>,
    /// A Key Value persistence mode the Blueprint has no spelling for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Unexpressed {
    pub fn is_empty(&self) -> bool {
        self == &Unexpressed::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceMode {
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Database {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres_major_version: Option<String>,
    #[serde(
        default,
        rename = "diskSizeGB",
        skip_serializing_if = "Option::is_none"
    )]
    pub disk_size_gb: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_autoscaling_enabled: Option<bool>,
    #[serde(default)]
    pub high_availability: bool,
    /// `pgbouncer` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_pool: Option<String>,
    /// `None`: the API returned no list (allow all with credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allow_list: Option<Vec<IpRule>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_replicas: Vec<ReadReplica>,
    #[serde(default, skip_serializing_if = "Network::is_empty")]
    pub network: Network,
    #[serde(default, skip_serializing_if = "Unexpressed::is_empty")]
    pub unexpressed: Unexpressed,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadReplica {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyValue {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxmemory_policy: Option<String>,
    /// `journal-snapshot`, `snapshot` or `off`, in Blueprint spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistence_mode: Option<String>,
    #[serde(default)]
    pub ip_allow_list: Vec<IpRule>,
    #[serde(default, skip_serializing_if = "Network::is_empty")]
    pub network: Network,
    #[serde(default, skip_serializing_if = "Unexpressed::is_empty")]
    pub unexpressed: Unexpressed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvGroup {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Placement>,
    #[serde(default)]
    pub env_vars: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_files: Vec<SecretFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub environments: Vec<Environment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Environment {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub network_isolation: bool,
    #[serde(default)]
    pub protected: bool,
    /// Environment-level inbound IP rules (no Blueprint field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allow_list: Option<Vec<IpRule>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Blueprint {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Names of the resources it manages.
    #[serde(default)]
    pub resources: Vec<String>,
}

/// A production resource that is not copied (left out by `production.include` /
/// `exclude`, an unknown service type, a preview instance). Only its identities are kept,
/// never values: staging must still not take its name or point at it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Skipped {
    pub id: String,
    pub name: String,
    pub reason: String,
    /// What kind of resource it is (absent in snapshots taken before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ResourceKind>,
    /// Private host name of a service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(default, skip_serializing_if = "Network::is_empty")]
    pub network: Network,
    /// Custom domains, including wildcards (`*.example.com`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_replicas: Vec<ReadReplica>,
}

impl Skipped {
    /// A resource known only by id and name.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> Skipped {
        Skipped {
            id: id.into(),
            name: name.into(),
            reason: reason.into(),
            kind: None,
            slug: None,
            network: Network::default(),
            domains: Vec::new(),
            read_replicas: Vec::new(),
        }
    }

    /// The identities of a service that is not copied.
    pub fn service(s: &Service, reason: impl Into<String>) -> Skipped {
        Skipped {
            kind: Some(ResourceKind::Service),
            slug: s.slug.clone(),
            network: s.network.clone(),
            domains: s.domains.clone(),
            ..Skipped::new(&s.id, &s.name, reason)
        }
    }

    pub fn database(d: &Database, reason: impl Into<String>) -> Skipped {
        Skipped {
            kind: Some(ResourceKind::Database),
            network: d.network.clone(),
            read_replicas: d.read_replicas.clone(),
            ..Skipped::new(&d.id, &d.name, reason)
        }
    }

    pub fn key_value(k: &KeyValue, reason: impl Into<String>) -> Skipped {
        Skipped {
            kind: Some(ResourceKind::KeyValue),
            network: k.network.clone(),
            ..Skipped::new(&k.id, &k.name, reason)
        }
    }

    pub fn env_group(g: &EnvGroup, reason: impl Into<String>) -> Skipped {
        Skipped {
            kind: Some(ResourceKind::EnvGroup),
            ..Skipped::new(&g.id, &g.name, reason)
        }
    }
}

impl Service {
    /// A service with only its identity set: no source, commands, plan, variables or
    /// network, and `commit` deploys. Callers fill in what they know.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        kind: ServiceKind,
        runtime: impl Into<String>,
    ) -> Service {
        Service {
            id: id.into(),
            name: name.into(),
            kind,
            runtime: runtime.into(),
            slug: None,
            environment: None,
            repo: None,
            branch: None,
            root_dir: None,
            image: None,
            registry_credential: None,
            auto_deploy_trigger: "commit".into(),
            build_filter: None,
            plan: None,
            api_plan: None,
            region: None,
            num_instances: None,
            scaling: None,
            disk: None,
            health_check_path: None,
            build_command: None,
            start_command: None,
            pre_deploy_command: None,
            docker_command: None,
            docker_context: None,
            dockerfile_path: None,
            schedule: None,
            static_publish_path: None,
            max_shutdown_delay_seconds: None,
            maintenance_mode: None,
            previews: None,
            ip_allow_list: None,
            render_subdomain_policy: None,
            domains: Vec::new(),
            headers: Vec::new(),
            routes: Vec::new(),
            env_groups: Vec::new(),
            env_vars: Vec::new(),
            secret_files: Vec::new(),
            redacted: Vec::new(),
            network: Network::default(),
            unexpressed: Unexpressed::default(),
        }
    }
}

impl Snapshot {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Every production resource name, with its kind.
    pub fn resource_names(&self) -> impl Iterator<Item = (ResourceKind, &str)> {
        self.services
            .iter()
            .map(|s| (ResourceKind::Service, s.name.as_str()))
            .chain(
                self.databases
                    .iter()
                    .map(|d| (ResourceKind::Database, d.name.as_str())),
            )
            .chain(
                self.key_values
                    .iter()
                    .map(|k| (ResourceKind::KeyValue, k.name.as_str())),
            )
            .chain(
                self.env_groups
                    .iter()
                    .map(|g| (ResourceKind::EnvGroup, g.name.as_str())),
            )
    }

    /// Sort everything that reaches output; API order is not a contract.
    pub fn sort(&mut self) {
        self.services
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for s in &mut self.services {
            s.env_vars.sort_by(|a, b| a.key.cmp(&b.key));
            s.secret_files.sort_by(|a, b| a.name.cmp(&b.name));
            s.env_groups.sort();
            s.env_groups.dedup();
            s.domains.sort();
            s.domains.dedup();
            s.headers.sort();
            s.network.hosts.sort();
            s.network.hosts.dedup();
            s.network.ports.sort();
            s.network.ports.dedup();
        }
        self.databases
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for d in &mut self.databases {
            d.read_replicas.sort_by(|a, b| a.name.cmp(&b.name));
            d.network.hosts.sort();
            d.network.hosts.dedup();
            if let Some(list) = &mut d.ip_allow_list {
                list.sort();
            }
        }
        self.key_values
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for k in &mut self.key_values {
            k.ip_allow_list.sort();
            k.network.hosts.sort();
            k.network.hosts.dedup();
        }
        self.env_groups
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for g in &mut self.env_groups {
            g.env_vars.sort_by(|a, b| a.key.cmp(&b.key));
            g.secret_files.sort_by(|a, b| a.name.cmp(&b.name));
        }
        self.projects
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for p in &mut self.projects {
            p.environments
                .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        }
        self.registry_credentials.sort();
        self.registry_credentials.dedup();
        self.blueprints
            .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for b in &mut self.blueprints {
            b.resources.sort();
        }
        for k in &mut self.skipped {
            k.network.hosts.sort();
            k.network.hosts.dedup();
            k.domains.sort();
            k.domains.dedup();
            k.read_replicas
                .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        }
        self.skipped.sort();
    }
}

/// Key Value persistence modes, in Blueprint spelling.
pub const PERSISTENCE_MODES: &[&str] = &["journal-snapshot", "snapshot", "off"];

/// Postgres connection pool types.
pub const CONNECTION_POOLS: &[&str] = &["pgbouncer", "none"];

/// Postgres plans of the legacy family: no new database can be created on them.
pub fn is_legacy_postgres_plan(plan: &str) -> bool {
    matches!(plan, "starter" | "standard" | "pro" | "pro plus")
}

/// Sized Postgres plans in Blueprint spelling.
pub const BLUEPRINT_SIZED_PLANS: &[&str] = &[
    "basic-256mb",
    "basic-1gb",
    "basic-4gb",
    "pro-4gb",
    "pro-8gb",
    "pro-16gb",
    "pro-32gb",
    "pro-64gb",
    "pro-128gb",
    "pro-192gb",
    "pro-256gb",
    "pro-384gb",
    "pro-512gb",
    "accelerated-16gb",
    "accelerated-32gb",
    "accelerated-64gb",
    "accelerated-128gb",
    "accelerated-256gb",
    "accelerated-384gb",
    "accelerated-512gb",
    "accelerated-768gb",
    "accelerated-1024gb",
];

/// Compute plans a Blueprint accepts, smallest first: the named instance types, which
/// Render still accepts beside the compute plans of September 2026.
pub const BLUEPRINT_SERVICE_PLANS: &[&str] = &[
    "free",
    "starter",
    "standard",
    "pro",
    "pro plus",
    "pro max",
    "pro ultra",
];

/// Compute plans (CPU and memory) of web services, private services and workers.
pub const SERVICE_COMPUTE_PLANS: &[&str] = &[
    "0.5c-512mb",
    "1c-2g",
    "2c-4g",
    "2c-8g",
    "2c-16g",
    "4c-8g",
    "4c-16g",
    "4c-32g",
    "8c-16g",
    "8c-32g",
    "8c-64g",
    "12c-24g",
    "12c-48g",
    "12c-96g",
];

/// Compute plans of cron jobs: the service ones up to 8 CPUs.
const CRON_COMPUTE_PLANS: &[&str] = SERVICE_COMPUTE_PLANS.split_at(11).0;

/// Compute plans of Postgres.
pub const POSTGRES_COMPUTE_PLANS: &[&str] = &[
    "0.1c-256mb",
    "0.5c-1g",
    "1c-2g",
    "1c-4g",
    "2c-4g",
    "2c-8g",
    "2c-16g",
    "4c-16g",
    "4c-32g",
    "8c-32g",
    "8c-64g",
    "16c-64g",
    "16c-128g",
    "32c-128g",
    "32c-256g",
    "48c-192g",
    "48c-384g",
    "64c-256g",
    "64c-512g",
    "96c-384g",
    "96c-768g",
    "128c-512g",
    "128c-1024g",
];

/// Memory sizes of Key Value.
pub const KEY_VALUE_SIZED_PLANS: &[&str] = &["256mb", "1g", "5g", "10g", "20g", "40g"];

/// What a plan is for: each kind of resource has its own list of plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    Web,
    /// Private services and workers: as web, without `free`.
    PrivateOrWorker,
    Cron,
    Postgres,
    KeyValue,
}

impl PlanKind {
    /// Every plan a Blueprint accepts for this kind, in Blueprint spelling (Render's
    /// Blueprint schema of September 2026, per resource).
    pub fn plans(self) -> Vec<&'static str> {
        let named = BLUEPRINT_SERVICE_PLANS;
        let mut v: Vec<&'static str> = match self {
            PlanKind::Web => [named, SERVICE_COMPUTE_PLANS].concat(),
            PlanKind::PrivateOrWorker => [&named[1..], SERVICE_COMPUTE_PLANS].concat(),
            PlanKind::Cron => [&named[1..5], CRON_COMPUTE_PLANS].concat(),
            PlanKind::Postgres => [
                &["free", "starter", "standard", "pro", "pro plus"][..],
                BLUEPRINT_SIZED_PLANS,
                POSTGRES_COMPUTE_PLANS,
            ]
            .concat(),
            PlanKind::KeyValue => [named, KEY_VALUE_SIZED_PLANS].concat(),
        };
        v.dedup();
        v
    }

    /// The Blueprint spelling of a plan id as the API returns it, if this kind's list has
    /// one. The API writes `pro_plus`, `basic_256mb` or `1c_2g` where the Blueprint writes
    /// `pro plus`, `basic-256mb` or `1c-2g`; ids already in Blueprint spelling pass as they
    /// are. An id the list does not know (`custom`, `starter_plus`, a future plan) has none.
    pub fn from_api(self, api: &str) -> Option<String> {
        let id = api.trim().to_ascii_lowercase();
        [
            id.clone(),
            id.replace('_', "-"),
            id.replace(['_', '-'], " "),
        ]
        .into_iter()
        .find(|c| self.accepts(c))
    }

    /// The kind of plan list a service of this kind uses; static sites have no plan.
    pub fn of_service(kind: ServiceKind) -> Option<PlanKind> {
        match kind {
            ServiceKind::Web => Some(PlanKind::Web),
            ServiceKind::Pserv | ServiceKind::Worker => Some(PlanKind::PrivateOrWorker),
            ServiceKind::Cron => Some(PlanKind::Cron),
            ServiceKind::Static => None,
        }
    }

    /// Whether `plan` is on this kind's list.
    pub fn accepts(self, plan: &str) -> bool {
        self.plans().contains(&plan)
    }

    /// Whether `plan` is a plan of any kind of resource.
    pub fn is_known(plan: &str) -> bool {
        [
            PlanKind::Web,
            PlanKind::Cron,
            PlanKind::Postgres,
            PlanKind::KeyValue,
        ]
        .iter()
        .any(|k| k.accepts(plan))
    }
}

/// The marker on the first line of every generated file.
pub const GENERATED_HEADER: &str = "@generated by stageprint — do not edit";

impl Snapshot {
    /// The snapshot file's text: a header, then the snapshot as block YAML.
    pub fn to_yaml(&self) -> String {
        let value = serde_json::to_value(self).expect("the snapshot serialises");
        let mut out = String::new();
        out.push_str("# ");
        out.push_str(GENERATED_HEADER);
        out.push_str(" (regenerate with `stageprint snapshot`)\n");
        out.push_str("# Production, normalised and sorted. Secret values are never stored: a secret keeps the\n");
        out.push_str("# rule that classified it and, when STAGEPRINT_FINGERPRINT_KEY is set, a keyed fingerprint.\n");
        out.push_str(&crate::yaml::emit(&value));
        out
    }

    /// Read a snapshot file. A file written by a newer stageprint is refused with the
    /// version it has; errors name the file, line and column.
    pub fn from_yaml(
        text: &str,
        file: &std::path::Path,
    ) -> Result<Snapshot, crate::yaml::InputError> {
        // One parse on the happy path; the version is looked at separately only to explain
        // a failure (a newer format may not parse at all) or to refuse a mismatch.
        let parsed = crate::yaml::parse_unindexed::<Snapshot>(text, file);
        let version = top_level_version(text);
        let known = |v: u64| {
            (u64::from(OLDEST_SNAPSHOT_VERSION)..=u64::from(SNAPSHOT_VERSION)).contains(&v)
        };
        if version.is_some_and(|v| !known(v))
            || matches!(parsed, Ok(ref s) if !known(u64::from(s.version)))
        {
            let locations = crate::yaml::index(text, file)?;
            let mut e = match version {
                Some(n) if n > u64::from(SNAPSHOT_VERSION) => locations.error(
                    "version",
                    format!("snapshot format version {n} is newer than this stageprint understands (version {SNAPSHOT_VERSION})"),
                ),
                _ => locations.error("version", format!("unsupported snapshot format version (expected {SNAPSHOT_VERSION})")),
            };
            e.hint = Some("take the snapshot again with this stageprint: `stageprint snapshot`, or upgrade stageprint".into());
            return Err(e);
        }
        let mut snapshot = parsed?;
        snapshot.upgrade();
        snapshot.sort();
        Ok(snapshot)
    }

    /// Bring a snapshot of an older format to this one. Version 1 kept maintenance mode,
    /// connection pooling and Key Value persistence under `unexpressed`, from before a
    /// Blueprint could hold them.
    fn upgrade(&mut self) {
        if self.version == 1 {
            for s in &mut self.services {
                if let Some(m) = s.unexpressed.maintenance_mode.take() {
                    s.maintenance_mode = Some(m);
                }
            }
            for d in &mut self.databases {
                match d.unexpressed.connection_pool.take() {
                    Some(c) if CONNECTION_POOLS.contains(&c.as_str()) => {
                        d.connection_pool = Some(c).filter(|c| c != "none");
                    }
                    other => d.unexpressed.connection_pool = other,
                }
            }
            for k in &mut self.key_values {
                if let Some(m) = k.unexpressed.persistence_mode.take() {
                    let b = m.replace('_', "-");
                    if PERSISTENCE_MODES.contains(&b.as_str()) {
                        k.persistence_mode = Some(b);
                    } else {
                        k.unexpressed.persistence_mode = Some(m);
                    }
                }
            }
        }
        self.version = SNAPSHOT_VERSION;
    }
}

/// The value of a top-level `version:` line, without parsing the document.
fn top_level_version(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("version:"))
        .and_then(|v| v.split('#').next())
        .and_then(|v| {
            v.trim()
                .trim_matches(|c| c == '\'' || c == '"')
                .parse()
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_plan_ids_take_their_blueprint_spelling_per_kind() {
        let table: &[(PlanKind, &str, Option<&str>)] = &[
            (PlanKind::Web, "starter", Some("starter")),
            (PlanKind::Web, "pro_plus", Some("pro plus")),
            (PlanKind::Web, "pro_ultra", Some("pro ultra")),
            (PlanKind::Web, "1c_2g", Some("1c-2g")),
            (PlanKind::Web, "0.5c_512mb", Some("0.5c-512mb")),
            (PlanKind::Web, "12c-96g", Some("12c-96g")),
            (PlanKind::Web, "Standard", Some("standard")),
            (PlanKind::Web, "starter_plus", None),
            (PlanKind::Web, "custom", None),
            (PlanKind::Web, "basic_256mb", None),
            (PlanKind::PrivateOrWorker, "free", None),
            (PlanKind::Cron, "12c_96g", None),
            (PlanKind::Cron, "8c_64g", Some("8c-64g")),
            (PlanKind::Postgres, "basic_256mb", Some("basic-256mb")),
            (
                PlanKind::Postgres,
                "accelerated_1024gb",
                Some("accelerated-1024gb"),
            ),
            (PlanKind::Postgres, "0.1c_256mb", Some("0.1c-256mb")),
            (PlanKind::Postgres, "pro_plus", Some("pro plus")),
            (PlanKind::Postgres, "pro_max", None),
            (PlanKind::Postgres, "custom", None),
            (PlanKind::KeyValue, "256mb", Some("256mb")),
            (PlanKind::KeyValue, "pro_plus", Some("pro plus")),
            (PlanKind::KeyValue, "1c_2g", None),
        ];
        for (kind, api, want) in table {
            assert_eq!(kind.from_api(api).as_deref(), *want, "{kind:?} {api}");
        }
    }

    /// Version 1 snapshots kept settings under `unexpressed` that a Blueprint now holds;
    /// reading one moves them to their fields.
    #[test]
    fn version_1_snapshots_are_upgraded_on_reading() {
        let text = "version: 1\nworkspace: {id: tea-x}\nservices:\n  - id: srv-a\n    name: a\n    kind: web\n    runtime: node\n    autoDeployTrigger: commit\n    unexpressed:\n      maintenanceMode: {enabled: true}\ndatabases:\n  - id: dpg-a\n    name: db\n    unexpressed:\n      connectionPool: pgbouncer\nkeyValues:\n  - id: red-a\n    name: kv\n    unexpressed:\n      persistenceMode: journal_snapshot\n";
        let s = Snapshot::from_yaml(text, std::path::Path::new("s.yaml")).unwrap();
        assert_eq!(s.version, SNAPSHOT_VERSION);
        assert_eq!(
            s.services[0].maintenance_mode,
            Some(MaintenanceMode {
                enabled: true,
                uri: None
            })
        );
        assert!(s.services[0].unexpressed.is_empty());
        assert_eq!(s.databases[0].connection_pool.as_deref(), Some("pgbouncer"));
        assert!(s.databases[0].unexpressed.is_empty());
        assert_eq!(
            s.key_values[0].persistence_mode.as_deref(),
            Some("journal-snapshot")
        );
        assert!(s.key_values[0].unexpressed.is_empty());
        let again = Snapshot::from_yaml(&s.to_yaml(), std::path::Path::new("s.yaml")).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn each_resource_kind_has_its_own_plans() {
        let table: &[(PlanKind, &str, bool)] = &[
            (PlanKind::Web, "free", true),
            (PlanKind::Web, "1c-2g", true),
            (PlanKind::Web, "12c-96g", true),
            (PlanKind::Web, "0.1c-256mb", false),
            (PlanKind::Web, "256mb", false),
            (PlanKind::PrivateOrWorker, "free", false),
            (PlanKind::PrivateOrWorker, "pro ultra", true),
            (PlanKind::PrivateOrWorker, "0.5c-512mb", true),
            (PlanKind::Cron, "starter", true),
            (PlanKind::Cron, "pro max", false),
            (PlanKind::Cron, "8c-64g", true),
            (PlanKind::Cron, "12c-24g", false),
            (PlanKind::Postgres, "pro plus", true),
            (PlanKind::Postgres, "basic-256mb", true),
            (PlanKind::Postgres, "0.1c-256mb", true),
            (PlanKind::Postgres, "128c-1024g", true),
            (PlanKind::Postgres, "12c-96g", false),
            (PlanKind::Postgres, "pro max", false),
            (PlanKind::KeyValue, "pro ultra", true),
            (PlanKind::KeyValue, "40g", true),
            (PlanKind::KeyValue, "1c-2g", false),
        ];
        for (kind, plan, ok) in table {
            assert_eq!(kind.accepts(plan), *ok, "{kind:?} {plan}");
        }
        assert!(PlanKind::is_known("0.1c-256mb"));
        assert!(!PlanKind::is_known("1c-3g"));
    }
}
