//! Serde types for the Render REST API v1 objects a snapshot reads.
//!
//! They mirror the API exactly: JSON names, envelopes and optionality as real responses
//! have them (every field the tool does not strictly need is an `Option`, unknown fields
//! are ignored, enum-like strings stay strings so a new value cannot break a snapshot).
//! `serviceDetails` and `envSpecificDetails` are untagged `oneOf`s whose shapes overlap in
//! the API document, so they are decoded by dispatching on `type`, then on `runtime`,
//! never by shape. Converting these into domain types is `model::convert`'s job.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// `[{cursor, <key>: T}]` list element. The element key differs by endpoint.
pub trait Listed: Sized {
    /// The JSON key holding the resource in a list element (`service`, `envVar`, …).
    const KEY: &'static str;
}

/// One element of a cursor-paginated list.
#[derive(Debug, Clone)]
pub struct WithCursor<T> {
    pub cursor: Option<String>,
    pub item: T,
}

impl<'de, T: Listed + serde::de::DeserializeOwned> Deserialize<'de> for WithCursor<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut obj = serde_json::Map::deserialize(d)?;
        let cursor = match obj.remove("cursor") {
            Some(Value::String(s)) => Some(s),
            Some(Value::Null) | None => None,
            Some(_) => return Err(D::Error::custom("`cursor` is not a string")),
        };
        let inner = obj
            .remove(T::KEY)
            .ok_or_else(|| D::Error::custom(format!("list element has no `{}`", T::KEY)))?;
        let item = serde_json::from_value(inner)
            .map_err(|e| D::Error::custom(format!("{}: {e}", T::KEY)))?;
        Ok(WithCursor { cursor, item })
    }
}

/// `{id, name}` summary used in several places.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct IdName {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(rename = "type", default)]
    pub owner_type: Option<String>,
}
impl Listed for Owner {
    const KEY: &'static str = "owner";
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BuildFilter {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub ignored_paths: Vec<String>,
}

/// `{cidrBlock, description}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CidrBlock {
    pub cidr_block: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RegistryCredentialSummary {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
}

/// A service as `GET /services/{id}` returns it (lists wrap it as `service`).
#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub name: String,
    /// `web_service`, `private_service`, `background_worker`, `cron_job`, `static_site`.
    pub service_type: String,
    pub owner_id: Option<String>,
    pub slug: Option<String>,
    pub repo: Option<String>,
    pub branch: Option<String>,
    pub root_dir: Option<String>,
    /// `yes` / `no`.
    pub auto_deploy: Option<String>,
    /// `commit` / `checksPass` / `off` (newer accounts only).
    pub auto_deploy_trigger: Option<String>,
    pub build_filter: Option<BuildFilter>,
    pub image_path: Option<String>,
    pub registry_credential: Option<RegistryCredentialSummary>,
    pub environment_id: Option<String>,
    pub notify_on_fail: Option<String>,
    pub suspended: Option<String>,
    pub suspenders: Vec<String>,
    pub dashboard_url: Option<String>,
    pub details: ServiceDetails,
}
impl Listed for Service {
    const KEY: &'static str = "service";
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceBody {
    id: String,
    name: String,
    #[serde(rename = "type")]
    service_type: String,
    #[serde(default)]
    owner_id: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    repo: Option<String>,
    #[serde(default)]
    branch: Option<String>,
    #[serde(default)]
    root_dir: Option<String>,
    #[serde(default)]
    auto_deploy: Option<String>,
    #[serde(default)]
    auto_deploy_trigger: Option<String>,
    #[serde(default)]
    build_filter: Option<BuildFilter>,
    #[serde(default)]
    image_path: Option<String>,
    #[serde(default)]
    registry_credential: Option<RegistryCredentialSummary>,
    #[serde(default)]
    environment_id: Option<String>,
    #[serde(default)]
    notify_on_fail: Option<String>,
    #[serde(default)]
    suspended: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    suspenders: Vec<String>,
    #[serde(default)]
    dashboard_url: Option<String>,
    service_details: Value,
}

impl<'de> Deserialize<'de> for Service {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = ServiceBody::deserialize(d)?;
        let details =
            ServiceDetails::decode(&raw.service_type, raw.service_details).map_err(|e| {
                D::Error::custom(format!(
                    "serviceDetails of {} ({}): {e}",
                    raw.id, raw.service_type
                ))
            })?;
        Ok(Service {
            id: raw.id,
            name: raw.name,
            service_type: raw.service_type,
            owner_id: raw.owner_id,
            slug: raw.slug,
            repo: raw.repo,
            branch: raw.branch,
            root_dir: raw.root_dir,
            auto_deploy: raw.auto_deploy,
            auto_deploy_trigger: raw.auto_deploy_trigger,
            build_filter: raw.build_filter,
            image_path: raw.image_path,
            registry_credential: raw.registry_credential,
            environment_id: raw.environment_id,
            notify_on_fail: raw.notify_on_fail,
            suspended: raw.suspended,
            suspenders: raw.suspenders,
            dashboard_url: raw.dashboard_url,
            details,
        })
    }
}

/// `serviceDetails`, chosen by the service's `type`.
#[derive(Debug, Clone)]
pub enum ServiceDetails {
    Web(ServerDetails),
    Private(ServerDetails),
    Worker(ServerDetails),
    Cron(CronDetails),
    Static(StaticDetails),
    /// A service type this version does not know; the snapshot reports and skips it.
    Other(Value),
}

impl ServiceDetails {
    fn decode(service_type: &str, v: Value) -> Result<Self, serde_json::Error> {
        Ok(match service_type {
            "web_service" => ServiceDetails::Web(ServerDetails::decode(v)?),
            "private_service" => ServiceDetails::Private(ServerDetails::decode(v)?),
            "background_worker" => ServiceDetails::Worker(ServerDetails::decode(v)?),
            "cron_job" => ServiceDetails::Cron(CronDetails::decode(v)?),
            "static_site" => ServiceDetails::Static(serde_json::from_value(v)?),
            _ => ServiceDetails::Other(v),
        })
    }
}

/// The fields web services, private services and background workers share. Fields
/// only one of them has (`healthCheckPath`, `url`, `maintenanceMode`, …) are `Option`s.
#[derive(Debug, Clone)]
pub struct ServerDetails {
    pub runtime: String,
    pub env_specific: EnvSpecificDetails,
    pub plan: Option<String>,
    pub region: Option<String>,
    pub num_instances: Option<u32>,
    pub build_plan: Option<String>,
    pub health_check_path: Option<String>,
    pub url: Option<String>,
    pub open_ports: Vec<ServerPort>,
    pub autoscaling: Option<Autoscaling>,
    pub disk: Option<Disk>,
    pub max_shutdown_delay_seconds: Option<u32>,
    pub previews: Option<Previews>,
    pub pull_request_previews_enabled: Option<String>,
    pub ssh_address: Option<String>,
    pub parent_server: Option<IdName>,
    pub maintenance_mode: Option<MaintenanceMode>,
    pub cache: Option<Cache>,
    pub render_subdomain_policy: Option<String>,
    pub ip_allow_list: Option<Vec<CidrBlock>>,
    pub internal_routing: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawServerDetails {
    #[serde(default)]
    runtime: Option<String>,
    #[serde(default)]
    env: Option<String>,
    #[serde(default)]
    env_specific_details: Option<Value>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    num_instances: Option<u32>,
    #[serde(default)]
    build_plan: Option<String>,
    #[serde(default)]
    health_check_path: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    open_ports: Vec<ServerPort>,
    #[serde(default)]
    autoscaling: Option<Autoscaling>,
    #[serde(default)]
    disk: Option<Disk>,
    #[serde(default)]
    max_shutdown_delay_seconds: Option<u32>,
    #[serde(default)]
    previews: Option<Previews>,
    #[serde(default)]
    pull_request_previews_enabled: Option<String>,
    #[serde(default)]
    ssh_address: Option<String>,
    #[serde(default)]
    parent_server: Option<IdName>,
    #[serde(default)]
    maintenance_mode: Option<MaintenanceMode>,
    #[serde(default)]
    cache: Option<Cache>,
    #[serde(default)]
    render_subdomain_policy: Option<String>,
    #[serde(default)]
    ip_allow_list: Option<Vec<CidrBlock>>,
    #[serde(default)]
    internal_routing: Option<String>,
}

/// `runtime`, or its deprecated copy `env` in older responses.
fn runtime_of(runtime: Option<String>, env: Option<String>) -> Result<String, serde_json::Error> {
    use serde::de::Error;
    runtime
        .or(env)
        .ok_or_else(|| serde_json::Error::custom("missing field `runtime`"))
}

impl ServerDetails {
    fn decode(v: Value) -> Result<Self, serde_json::Error> {
        let r: RawServerDetails = serde_json::from_value(v)?;
        let runtime = runtime_of(r.runtime, r.env)?;
        let env_specific = EnvSpecificDetails::decode(&runtime, r.env_specific_details)?;
        Ok(ServerDetails {
            runtime,
            env_specific,
            plan: r.plan,
            region: r.region,
            num_instances: r.num_instances,
            build_plan: r.build_plan,
            health_check_path: r.health_check_path,
            url: r.url,
            open_ports: r.open_ports,
            autoscaling: r.autoscaling,
            disk: r.disk,
            max_shutdown_delay_seconds: r.max_shutdown_delay_seconds,
            previews: r.previews,
            pull_request_previews_enabled: r.pull_request_previews_enabled,
            ssh_address: r.ssh_address,
            parent_server: r.parent_server,
            maintenance_mode: r.maintenance_mode,
            cache: r.cache,
            render_subdomain_policy: r.render_subdomain_policy,
            ip_allow_list: r.ip_allow_list,
            internal_routing: r.internal_routing,
        })
    }
}

#[derive(Debug, Clone)]
pub struct CronDetails {
    pub runtime: String,
    pub env_specific: EnvSpecificDetails,
    pub plan: Option<String>,
    pub region: Option<String>,
    pub schedule: String,
    pub build_plan: Option<String>,
    pub last_successful_run_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCronDetails {
    #[serde(default)]
    runtime: Option<String>,
    #[serde(default)]
    env: Option<String>,
    #[serde(default)]
    env_specific_details: Option<Value>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    region: Option<String>,
    schedule: String,
    #[serde(default)]
    build_plan: Option<String>,
    #[serde(default)]
    last_successful_run_at: Option<String>,
}

impl CronDetails {
    fn decode(v: Value) -> Result<Self, serde_json::Error> {
        let r: RawCronDetails = serde_json::from_value(v)?;
        let runtime = runtime_of(r.runtime, r.env)?;
        let env_specific = EnvSpecificDetails::decode(&runtime, r.env_specific_details)?;
        Ok(CronDetails {
            runtime,
            env_specific,
            plan: r.plan,
            region: r.region,
            schedule: r.schedule,
            build_plan: r.build_plan,
            last_successful_run_at: r.last_successful_run_at,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticDetails {
    #[serde(default)]
    pub build_command: Option<String>,
    #[serde(default)]
    pub publish_path: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub build_plan: Option<String>,
    #[serde(default)]
    pub previews: Option<Previews>,
    #[serde(default)]
    pub pull_request_previews_enabled: Option<String>,
    #[serde(default)]
    pub parent_server: Option<IdName>,
    #[serde(default)]
    pub render_subdomain_policy: Option<String>,
    #[serde(default)]
    pub ip_allow_list: Option<Vec<CidrBlock>>,
}

/// `envSpecificDetails`, chosen by `runtime`: `docker` and `image` have the Docker shape
/// (image services with empty strings), every other runtime the native shape.
#[derive(Debug, Clone)]
pub enum EnvSpecificDetails {
    Native(NativeDetails),
    Docker(DockerDetails),
}

impl EnvSpecificDetails {
    fn decode(runtime: &str, v: Option<Value>) -> Result<Self, serde_json::Error> {
        let v = v.unwrap_or_else(|| Value::Object(Default::default()));
        Ok(match runtime {
            "docker" | "image" => EnvSpecificDetails::Docker(serde_json::from_value(v)?),
            _ => EnvSpecificDetails::Native(serde_json::from_value(v)?),
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NativeDetails {
    #[serde(default)]
    pub build_command: Option<String>,
    #[serde(default)]
    pub start_command: Option<String>,
    #[serde(default)]
    pub pre_deploy_command: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DockerDetails {
    #[serde(default)]
    pub docker_command: Option<String>,
    #[serde(default)]
    pub docker_context: Option<String>,
    #[serde(default)]
    pub dockerfile_path: Option<String>,
    #[serde(default)]
    pub pre_deploy_command: Option<String>,
    #[serde(default)]
    pub registry_credential: Option<RegistryCredential>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServerPort {
    pub port: u16,
    #[serde(default)]
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    pub enabled: bool,
    pub min: u32,
    pub max: u32,
    #[serde(default)]
    pub criteria: Option<AutoscalingCriteria>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct AutoscalingCriteria {
    #[serde(default)]
    pub cpu: Option<AutoscalingCriterion>,
    #[serde(default)]
    pub memory: Option<AutoscalingCriterion>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct AutoscalingCriterion {
    pub enabled: bool,
    pub percentage: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Disk {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub mount_path: String,
    #[serde(rename = "sizeGB", default)]
    pub size_gb: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Previews {
    #[serde(default)]
    pub generation: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct MaintenanceMode {
    pub enabled: bool,
    #[serde(default)]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Cache {
    #[serde(default)]
    pub profile: Option<String>,
}

/// `{key, value}` from `/services/{id}/env-vars` (wrapped as `envVar`) and env groups.
/// `Debug` shows the key only.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct EnvVar {
    pub key: String,
    #[serde(default)]
    pub value: String,
}
impl Listed for EnvVar {
    const KEY: &'static str = "envVar";
}

/// `{name, content}` from `/services/{id}/secret-files` (wrapped as `secretFile`).
/// `Debug` shows the name only.
#[derive(Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct SecretFile {
    pub name: String,
    #[serde(default)]
    pub content: String,
}
impl std::fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EnvVar {{ key: {:?}, value: <redacted> }}", self.key)
    }
}

impl std::fmt::Debug for SecretFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretFile {{ name: {:?}, content: <redacted> }}",
            self.name
        )
    }
}

impl Listed for SecretFile {
    const KEY: &'static str = "secretFile";
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CustomDomain {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub domain_type: Option<String>,
    #[serde(default)]
    pub public_suffix: Option<String>,
    #[serde(default)]
    pub redirect_for_name: Option<String>,
    #[serde(default)]
    pub verification_status: Option<String>,
    #[serde(default)]
    pub server: Option<IdName>,
}
impl Listed for CustomDomain {
    const KEY: &'static str = "customDomain";
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Header {
    #[serde(default)]
    pub id: Option<String>,
    pub path: String,
    pub name: String,
    pub value: String,
}
impl Listed for Header {
    const KEY: &'static str = "header";
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Route {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub route_type: String,
    pub source: String,
    pub destination: String,
    #[serde(default)]
    pub priority: Option<i64>,
}
impl Listed for Route {
    const KEY: &'static str = "route";
}

/// An element of the bare array `GET /env-groups` returns.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EnvGroupMeta {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub service_links: Vec<ServiceLink>,
}

impl EnvGroupMeta {
    /// The group as listed, before (or instead of) reading its variables and files.
    pub fn without_values(&self) -> EnvGroup {
        EnvGroup {
            id: self.id.clone(),
            name: self.name.clone(),
            owner_id: self.owner_id.clone(),
            environment_id: self.environment_id.clone(),
            service_links: self.service_links.clone(),
            env_vars: Vec::new(),
            secret_files: Vec::new(),
        }
    }
}

/// `GET /env-groups/{id}`: the meta fields plus variables and files.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EnvGroup {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub service_links: Vec<ServiceLink>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub env_vars: Vec<EnvVar>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub secret_files: Vec<SecretFile>,
}

/// `{id, name, type}` where `type` is the short form (`web`, `pserv`, `worker`, `cron`, `static`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ServiceLink {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "type", default)]
    pub link_type: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReadReplica {
    pub id: String,
    pub name: String,
}

/// `GET /postgres` elements (wrapped as `postgres`) and `GET /postgres/{id}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Postgres {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub database_name: Option<String>,
    #[serde(default)]
    pub database_user: Option<String>,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub suspended: Option<String>,
    #[serde(default)]
    pub high_availability_enabled: Option<bool>,
    #[serde(rename = "diskSizeGB", default)]
    pub disk_size_gb: Option<u32>,
    #[serde(default)]
    pub disk_autoscaling_enabled: Option<bool>,
    #[serde(default)]
    pub connection_pool: Option<String>,
    /// Recorded as `null` although the schema says array.
    #[serde(default)]
    pub ip_allow_list: Option<Vec<CidrBlock>>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub read_replicas: Vec<ReadReplica>,
    #[serde(rename = "primaryPostgresID", default)]
    pub primary_postgres_id: Option<String>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub parameter_overrides: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub dashboard_url: Option<String>,
}
impl Listed for Postgres {
    const KEY: &'static str = "postgres";
}

/// `GET /postgres/{id}/connection-info`. Holds the password: kept in memory only.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PostgresConnectionInfo {
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub internal_connection_string: Option<String>,
    #[serde(default)]
    pub external_connection_string: Option<String>,
    #[serde(default)]
    pub psql_command: Option<String>,
    #[serde(default)]
    pub internal_connection_pool_string: Option<String>,
    #[serde(default)]
    pub external_connection_pool_string: Option<String>,
}

impl std::fmt::Debug for PostgresConnectionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresConnectionInfo { <redacted> }")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyValueOptions {
    #[serde(default)]
    pub maxmemory_policy: Option<String>,
    #[serde(default)]
    pub persistence_mode: Option<String>,
}

/// `GET /key-value` elements (wrapped as `keyValue`; `redis` on the deprecated endpoint)
/// and `GET /key-value/{id}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyValue {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub options: Option<KeyValueOptions>,
    #[serde(default)]
    pub ip_allow_list: Option<Vec<CidrBlock>>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub dashboard_url: Option<String>,
}
impl Listed for KeyValue {
    const KEY: &'static str = "keyValue";
}

/// `GET /key-value/{id}/connection-info`. Holds the password: kept in memory only.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyValueConnectionInfo {
    #[serde(default)]
    pub internal_connection_string: Option<String>,
    #[serde(default)]
    pub external_connection_string: Option<String>,
    #[serde(default, alias = "redisCLICommand")]
    pub cli_command: Option<String>,
}

impl std::fmt::Debug for KeyValueConnectionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyValueConnectionInfo { <redacted> }")
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub environment_ids: Vec<String>,
    #[serde(default)]
    pub owner: Option<Owner>,
}
impl Listed for Project {
    const KEY: &'static str = "project";
}

/// Empty id lists are recorded as `null`; they decode as empty.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    pub id: String,
    pub name: String,
    pub project_id: String,
    #[serde(default)]
    pub protected_status: Option<String>,
    #[serde(default)]
    pub network_isolation_enabled: Option<bool>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub service_ids: Vec<String>,
    /// Spelt `databasesIds` by the API.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub databases_ids: Vec<String>,
    /// Key Value ids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub redis_ids: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub env_group_ids: Vec<String>,
    #[serde(default)]
    pub ip_allow_list: Option<Vec<CidrBlock>>,
}
impl Listed for Environment {
    const KEY: &'static str = "environment";
}

/// `GET /registrycredentials` (bare array). Only the name is used.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RegistryCredential {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub registry: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Blueprint {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub auto_sync: Option<bool>,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}
impl Listed for Blueprint {
    const KEY: &'static str = "blueprint";
}

/// `GET /blueprints/{id}`: adds the resources it manages.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BlueprintDetail {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub resources: Vec<BlueprintResource>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct BlueprintResource {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub resource_type: Option<String>,
}

/// Render's error body: every field optional, sometimes not JSON at all.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct ApiError {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_details_dispatch_on_type_not_shape() {
        // A private service body also matches the worker shape; the type decides.
        let body = serde_json::json!({
            "id": "srv-1", "name": "p", "type": "private_service",
            "serviceDetails": {"runtime": "node", "env": "node", "plan": "starter", "region": "oregon",
                "numInstances": 1, "url": "p:10000", "openPorts": [{"port": 10000, "protocol": "TCP"}],
                "envSpecificDetails": {"buildCommand": "b", "startCommand": "s"}}
        });
        let s: Service = serde_json::from_value(body).unwrap();
        let ServiceDetails::Private(d) = s.details else {
            panic!("wrong variant")
        };
        assert_eq!(d.url.as_deref(), Some("p:10000"));
        assert!(matches!(d.env_specific, EnvSpecificDetails::Native(_)));
    }

    #[test]
    fn image_runtime_uses_docker_shape() {
        let body = serde_json::json!({
            "id": "srv-1", "name": "i", "type": "web_service", "imagePath": "docker.io/x:1",
            "serviceDetails": {"runtime": "image", "envSpecificDetails":
                {"dockerCommand": "", "dockerContext": "", "dockerfilePath": ""}}
        });
        let s: Service = serde_json::from_value(body).unwrap();
        let ServiceDetails::Web(d) = s.details else {
            panic!()
        };
        assert!(matches!(d.env_specific, EnvSpecificDetails::Docker(_)));
    }

    #[test]
    fn unknown_service_types_do_not_fail() {
        let body = serde_json::json!({"id": "wfl-1", "name": "w", "type": "workflow", "serviceDetails": {}});
        let s: Service = serde_json::from_value(body).unwrap();
        assert!(matches!(s.details, ServiceDetails::Other(_)));
    }

    #[test]
    fn connection_info_debug_is_redacted() {
        let info: PostgresConnectionInfo =
            serde_json::from_value(serde_json::json!({"password": "canary-pw"})).unwrap();
        assert!(!format!("{info:?}").contains("canary"));
    }
}

/// Everything a snapshot read from one workspace, as the API returned it. The live client
/// and the recorded-response loader both produce this; `model::normalise` is the one
/// conversion into domain types. It holds secrets in plaintext, so it never derives
/// `Serialize` and its `Debug` output is redacted.
#[derive(Clone, Default)]
pub struct RawWorkspace {
    pub owner: Option<Owner>,
    /// The workspace id the snapshot was taken from.
    pub owner_id: String,
    pub services: Vec<RawService>,
    pub env_groups: Vec<EnvGroup>,
    /// Primaries and replicas as listed; replicas are folded into their primary.
    pub postgres: Vec<RawPostgres>,
    pub key_values: Vec<RawKeyValue>,
    pub projects: Vec<Project>,
    pub environments: Vec<Environment>,
    pub registry_credentials: Vec<RegistryCredential>,
    pub blueprints: Vec<BlueprintDetail>,
}

impl std::fmt::Debug for RawWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawWorkspace")
            .field("owner_id", &self.owner_id)
            .field("services", &self.services.len())
            .field("env_groups", &self.env_groups.len())
            .field("postgres", &self.postgres.len())
            .field("key_values", &self.key_values.len())
            .finish_non_exhaustive()
    }
}

/// A service and what hangs off it.
#[derive(Clone)]
pub struct RawService {
    pub service: Service,
    pub env_vars: Vec<EnvVar>,
    pub secret_files: Vec<SecretFile>,
    pub custom_domains: Vec<CustomDomain>,
    pub headers: Vec<Header>,
    pub routes: Vec<Route>,
}

#[derive(Clone)]
pub struct RawPostgres {
    pub postgres: Postgres,
    pub connection: Option<PostgresConnectionInfo>,
}

#[derive(Clone)]
pub struct RawKeyValue {
    pub key_value: KeyValue,
    pub connection: Option<KeyValueConnectionInfo>,
}

/// `POST /blueprints/validate`: whether Render accepts a Blueprint, its errors, and what a
/// sync would create.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BlueprintValidation {
    #[serde(default)]
    pub valid: bool,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<BlueprintValidationError>,
    #[serde(default)]
    pub plan: Option<BlueprintPlan>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
pub struct BlueprintValidationError {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub line: Option<usize>,
    #[serde(default)]
    pub column: Option<usize>,
    #[serde(default)]
    pub error: Option<String>,
}

/// The names of the resources a sync would create, by kind.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct BlueprintPlan {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub services: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub databases: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub key_value: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub env_groups: Vec<String>,
    #[serde(default)]
    pub total_actions: Option<u64>,
}

/// `GET /services/{id}/deploys` elements (wrapped as `deploy`), newest first.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Deploy {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub commit: Option<DeployCommit>,
}
impl Listed for Deploy {
    const KEY: &'static str = "deploy";
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct DeployCommit {
    #[serde(default)]
    pub id: Option<String>,
}
