//! The overlay file a person writes (`overlays/staging.yaml`): its types, which are also
//! the source of `schemas/overlay.schema.json`, and the checks that need no snapshot.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::yaml::{self, InputError, Locations};

pub const OVERLAY_VERSION: u32 = 1;

/// A staging overlay: how the staging Blueprint differs from production.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "stageprint overlay", rename = "Overlay")]
pub struct OverlayFile {
    /// Overlay format version. Always 1.
    pub version: u32,
    /// Which production resources are copied. Default: all of them.
    #[serde(default)]
    pub select: Select,
    /// How copied resources are named. Every resource needs a name that differs from
    /// production: Render's Blueprint sync matches resources by name.
    #[serde(default)]
    pub rename: Rename,
    /// Put every copied resource in this project environment.
    #[serde(default)]
    pub placement: Option<PlacementSpec>,
    /// Preview environments for the whole Blueprint.
    #[serde(default)]
    pub previews: Option<RootPreviews>,
    /// Field overrides for every resource of a kind.
    #[serde(default)]
    pub defaults: Defaults,
    /// Field overrides for one resource, keyed by its production name.
    #[serde(default)]
    pub resources: BTreeMap<String, Overrides>,
    /// Environment variable rules. They apply in a fixed order of actions (set, replace,
    /// secret, generate, fromDatabase/fromService, group/ungroup, drop) whatever their
    /// order in the file; within one action, later rules win.
    #[serde(default)]
    pub env: Vec<EnvRule>,
    /// Deliberate exceptions to production isolation, each with a reason.
    #[serde(default)]
    pub allow: Vec<Allow>,
}

/// Resource selection by production name (`*` and `?` wildcards).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Select {
    /// Names or patterns to copy; all resources when empty.
    #[serde(default)]
    pub include: Vec<String>,
    /// Names or patterns to leave out (wins over `include`).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Suspended production resources to copy anyway, by name or pattern. A suspended
    /// resource is left out by default: in staging it would run and cost money.
    #[serde(default)]
    pub include_suspended: Vec<String>,
}

/// Naming rules, tried in this order: `names`, `pattern`, then `prefix`/`suffix`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rename {
    /// Explicit staging names, keyed by production name.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
    /// A pattern rename: `*` in `to` takes what `*` matched in `from`.
    #[serde(default)]
    pub pattern: Option<RenamePattern>,
    /// Prepended to every name no other rule renamed.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Appended to every name no other rule renamed.
    #[serde(default)]
    pub suffix: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenamePattern {
    /// Production name pattern, e.g. `insurance-navigator-*`.
    pub from: String,
    /// Staging name, e.g. `insurance-navigator-staging-*`.
    pub to: String,
}

/// Project environment for staging (`projects[].environments[]` in the Blueprint).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementSpec {
    pub project: String,
    pub environment: String,
    /// Block private-network traffic into and out of the environment.
    #[serde(default)]
    pub network_isolation: Option<bool>,
    /// Only admins may perform destructive actions.
    #[serde(default)]
    pub protection: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RootPreviews {
    #[serde(default)]
    pub generation: Option<PreviewGeneration>,
    /// Delete a preview environment after this many days without updates.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub expire_after_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PreviewGeneration {
    Off,
    Manual,
    Automatic,
}

impl PreviewGeneration {
    pub fn as_str(self) -> &'static str {
        match self {
            PreviewGeneration::Off => "off",
            PreviewGeneration::Manual => "manual",
            PreviewGeneration::Automatic => "automatic",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AutoDeployTrigger {
    Commit,
    ChecksPass,
    Off,
}

impl AutoDeployTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoDeployTrigger::Commit => "commit",
            AutoDeployTrigger::ChecksPass => "checksPass",
            AutoDeployTrigger::Off => "off",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// Overrides for every copied service (web, private, worker, cron, static).
    #[serde(default)]
    pub services: Overrides,
    /// Overrides for every copied Postgres database.
    #[serde(default)]
    pub databases: Overrides,
    /// Overrides for every copied Key Value instance.
    #[serde(default)]
    pub key_values: Overrides,
}

/// Blueprint fields to set on a resource. Only fields that apply to the resource's kind
/// are accepted; each one replaces the production value.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Overrides {
    /// Instance type, in Blueprint spelling (`starter`, `pro plus`, `basic-1gb`, …).
    #[serde(default)]
    pub plan: Option<String>,
    /// Region (services, databases, Key Value).
    #[serde(default)]
    pub region: Option<String>,
    /// Manual instance count; replaces autoscaling.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub num_instances: Option<u32>,
    /// Autoscaling; replaces the manual instance count.
    #[serde(default)]
    pub scaling: Option<ScalingSpec>,
    #[serde(default)]
    pub repo: Option<String>,
    #[serde(default)]
    pub branch: Option<String>,
    #[serde(default)]
    pub root_dir: Option<String>,
    #[serde(default)]
    pub auto_deploy_trigger: Option<AutoDeployTrigger>,
    #[serde(default)]
    pub build_command: Option<String>,
    #[serde(default)]
    pub start_command: Option<String>,
    #[serde(default)]
    pub pre_deploy_command: Option<String>,
    #[serde(default)]
    pub docker_command: Option<String>,
    #[serde(default)]
    pub docker_context: Option<String>,
    #[serde(default)]
    pub dockerfile_path: Option<String>,
    /// Image URL for `runtime: image` services.
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub health_check_path: Option<String>,
    #[serde(default)]
    pub disk: Option<DiskSpec>,
    /// Custom domains (web services and static sites); replaces production's list.
    #[serde(default)]
    pub domains: Option<Vec<String>>,
    /// Service PR previews.
    #[serde(default)]
    pub previews: Option<PreviewGeneration>,
    #[serde(default)]
    #[schemars(range(min = 1, max = 300))]
    pub max_shutdown_delay_seconds: Option<u32>,
    #[serde(default)]
    pub build_filter: Option<BuildFilterSpec>,
    /// Cron schedule.
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub static_publish_path: Option<String>,
    /// Static site response headers; replaces production's list.
    #[serde(default)]
    pub headers: Option<Vec<HeaderSpec>>,
    /// Static site redirects and rewrites; replaces production's list.
    #[serde(default)]
    pub routes: Option<Vec<RouteSpec>>,
    #[serde(default)]
    pub render_subdomain_policy: Option<SubdomainPolicy>,
    /// Inbound IP rules (web, static, databases, Key Value); replaces production's list.
    #[serde(default)]
    pub ip_allow_list: Option<Vec<IpRuleSpec>>,
    /// Postgres disk size in GB (1 or a multiple of 5).
    #[serde(default, rename = "diskSizeGB")]
    pub disk_size_gb: Option<u32>,
    #[serde(default)]
    pub storage_autoscaling_enabled: Option<bool>,
    #[serde(default)]
    pub high_availability: Option<bool>,
    /// Postgres read replica names; replaces production's list (renamed replicas otherwise).
    #[serde(default)]
    pub read_replicas: Option<Vec<String>>,
    #[serde(default)]
    pub postgres_major_version: Option<String>,
    #[serde(default)]
    pub database_name: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// Key Value eviction policy (`allkeys-lru`, `noeviction`, …).
    #[serde(default)]
    pub maxmemory_policy: Option<String>,
    /// Key Value persistence: how data is saved to disk.
    #[serde(default)]
    pub persistence_mode: Option<PersistenceMode>,
    /// Postgres connection pool in front of the database.
    #[serde(default)]
    pub connection_pool: Option<ConnectionPool>,
    /// Maintenance mode (web services, private services, workers). Production's is copied;
    /// `enabled: false` lets staging serve while production shows its maintenance page.
    #[serde(default)]
    pub maintenance_mode: Option<MaintenanceModeSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PersistenceMode {
    JournalSnapshot,
    Snapshot,
    Off,
}

impl PersistenceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PersistenceMode::JournalSnapshot => "journal-snapshot",
            PersistenceMode::Snapshot => "snapshot",
            PersistenceMode::Off => "off",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionPool {
    Pgbouncer,
    None,
}

impl ConnectionPool {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionPool::Pgbouncer => "pgbouncer",
            ConnectionPool::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceModeSpec {
    pub enabled: bool,
    /// An absolute URL for a custom maintenance page; without it, Render's default page.
    #[serde(default)]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScalingSpec {
    #[schemars(range(min = 1))]
    pub min_instances: u32,
    #[schemars(range(min = 1))]
    pub max_instances: u32,
    #[serde(default, rename = "targetCPUPercent")]
    #[schemars(range(min = 1, max = 90))]
    pub target_cpu_percent: Option<u32>,
    #[serde(default)]
    #[schemars(range(min = 1, max = 90))]
    pub target_memory_percent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DiskSpec {
    pub name: String,
    pub mount_path: String,
    #[serde(default, rename = "sizeGB")]
    pub size_gb: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuildFilterSpec {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub ignored_paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderSpec {
    pub path: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteSpec {
    #[serde(rename = "type")]
    pub route_type: RouteType,
    pub source: String,
    pub destination: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RouteType {
    Redirect,
    Rewrite,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SubdomainPolicy {
    Enabled,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpRuleSpec {
    /// CIDR block.
    pub source: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// One environment variable rule: a key (exact, or with `*`/`?`), optionally limited to
/// some resources with `on`, and exactly one action.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvRule {
    /// The variable key, or a pattern such as `FEATURE_FLAG_*`.
    pub key: String,
    /// Production names of the services or env groups this rule applies to (all when empty).
    #[serde(default)]
    pub on: Vec<String>,
    /// Set a literal value. With an exact key and `on`, adds the variable where production lacks it.
    #[serde(default)]
    pub set: Option<String>,
    /// Replace substrings of the value: `{production text: staging text}`, longest first.
    #[serde(default)]
    pub replace: Option<BTreeMap<String, String>>,
    /// Operator-provided secret (`sync: false`); the text tells the operator what to set.
    #[serde(default)]
    pub secret: Option<String>,
    /// Let Render generate a random value (`generateValue: true`).
    #[serde(default)]
    pub generate: Option<bool>,
    /// Point at a database (production name; the staging copy is used).
    #[serde(default)]
    pub from_database: Option<FromDatabaseSpec>,
    /// Point at a service or Key Value (production name; the staging copy is used).
    #[serde(default)]
    pub from_service: Option<FromServiceSpec>,
    /// Move the variable into this env group (production name).
    #[serde(default)]
    pub group: Option<String>,
    /// Move the variable out of its env group onto every service linked to the group.
    #[serde(default)]
    pub ungroup: Option<bool>,
    /// Leave the variable out of staging; the reason is required and reported.
    #[serde(default)]
    pub drop: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FromDatabaseSpec {
    pub name: String,
    pub property: DatabaseProperty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DatabaseProperty {
    ConnectionString,
    Host,
    Port,
    User,
    Password,
    Database,
}

impl DatabaseProperty {
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseProperty::ConnectionString => "connectionString",
            DatabaseProperty::Host => "host",
            DatabaseProperty::Port => "port",
            DatabaseProperty::User => "user",
            DatabaseProperty::Password => "password",
            DatabaseProperty::Database => "database",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FromServiceSpec {
    pub name: String,
    /// `host`, `port`, `hostport` or `connectionString` (Key Value).
    #[serde(default)]
    pub property: Option<String>,
    /// Copy another service's variable instead, e.g. `RENDER_EXTERNAL_URL`.
    #[serde(default)]
    pub env_var_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Allow {
    /// A production resource name, host or custom domain staging may reference; or the
    /// key of an env var whose `set` value only looks secret (by its key name or an opaque
    /// look; known token shapes and credentials are refused whatever).
    pub target: String,
    /// Why this is safe. Required; listed in the report.
    pub reason: String,
}

/// The actions a rule can take, in the order they apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Set,
    Replace,
    Secret,
    Generate,
    Rewire,
    Group,
    Drop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Set => "set",
            Action::Replace => "replace",
            Action::Secret => "secret",
            Action::Generate => "generate",
            Action::Rewire => "rewire",
            Action::Group => "group",
            Action::Drop => "drop",
        }
    }
}

impl EnvRule {
    /// Every action key present on the rule.
    pub fn actions(&self) -> Vec<(&'static str, Action)> {
        let mut a = Vec::new();
        if self.set.is_some() {
            a.push(("set", Action::Set));
        }
        if self.replace.is_some() {
            a.push(("replace", Action::Replace));
        }
        if self.secret.is_some() {
            a.push(("secret", Action::Secret));
        }
        if self.generate.is_some() {
            a.push(("generate", Action::Generate));
        }
        if self.from_database.is_some() {
            a.push(("fromDatabase", Action::Rewire));
        }
        if self.from_service.is_some() {
            a.push(("fromService", Action::Rewire));
        }
        if self.group.is_some() {
            a.push(("group", Action::Group));
        }
        if self.ungroup.is_some() {
            a.push(("ungroup", Action::Group));
        }
        if self.drop.is_some() {
            a.push(("drop", Action::Drop));
        }
        a
    }

    /// The rule's single action (checked when the overlay is loaded).
    pub fn action(&self) -> Action {
        self.actions()[0].1
    }
}

/// A parsed overlay with the positions of its nodes.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub file: OverlayFile,
    pub locations: Locations,
}

impl Overlay {
    pub fn load(path: &Path) -> anyhow::Result<Overlay> {
        let text = crate::yaml::read_text(path, crate::yaml::MAX_SMALL_INPUT)
            .map_err(|e| anyhow::anyhow!("cannot read overlay {}: {e}", path.display()))??;
        Overlay::parse(&text, path).map_err(|errors| anyhow::anyhow!(join_errors(&errors)))
    }

    /// Allowance targets, trimmed and lower-cased, for matching against identities.
    pub fn allowed_targets(&self) -> Vec<String> {
        self.file
            .allow
            .iter()
            .map(|a| a.target.trim().to_ascii_lowercase())
            .collect()
    }

    /// The isolation allowances, located in the overlay.
    pub fn allowances(&self) -> Vec<super::Allowance> {
        self.file
            .allow
            .iter()
            .enumerate()
            .map(|(i, a)| super::Allowance {
                target: a.target.clone(),
                reason: a.reason.clone(),
                span: self.locations.span(&format!("allow[{i}]")),
            })
            .collect()
    }

    /// Parse and check everything that needs no snapshot. All problems at once.
    pub fn parse(text: &str, path: &Path) -> Result<Overlay, Vec<InputError>> {
        let parsed = yaml::parse::<OverlayFile>(text, path).map_err(|e| vec![e])?;
        let overlay = Overlay {
            file: parsed.value,
            locations: parsed.locations,
        };
        let errors = overlay.check();
        if errors.is_empty() {
            Ok(overlay)
        } else {
            Err(errors)
        }
    }

    fn check(&self) -> Vec<InputError> {
        let f = &self.file;
        let loc = &self.locations;
        let mut errors = Vec::new();
        if f.version != OVERLAY_VERSION {
            errors.push(loc.error("version", format!("unsupported overlay version {} (this stageprint reads version {OVERLAY_VERSION})", f.version)));
        }
        for (i, rule) in f.env.iter().enumerate() {
            let path = format!("env[{i}]");
            if rule.key.trim().is_empty() {
                errors.push(loc.error(&format!("{path}.key"), "`key` is empty"));
            } else if !valid_key_pattern(&rule.key) {
                let mut e = loc.error(
                    &format!("{path}.key"),
                    format!("`{}` is not a valid env var key or pattern", rule.key),
                );
                e.hint = Some(
                    "keys are letters, digits, `_`, `-` and `.`; `*` and `?` are wildcards".into(),
                );
                errors.push(e);
            }
            match rule.actions().as_slice() {
                [] => {
                    let mut e =
                        loc.error(&path, format!("env rule for `{}` has no action", rule.key));
                    e.hint = Some("add one of: set, replace, secret, generate, fromDatabase, fromService, group, ungroup, drop".into());
                    errors.push(e);
                }
                [_] => {}
                many => {
                    let names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
                    let mut e = loc.error(
                        &format!("{path}.{}", names[1]),
                        format!(
                            "env rule for `{}` has several actions ({}); a rule has exactly one",
                            rule.key,
                            names.join(", ")
                        ),
                    );
                    e.hint = Some(
                        "split it into one rule per action; actions apply in a fixed order".into(),
                    );
                    errors.push(e);
                }
            }
            let blank = |field: &str, v: &Option<String>| {
                v.as_deref()
                    .is_some_and(|s| s.trim().is_empty())
                    .then(|| field.to_string())
            };
            for field in [
                blank("drop", &rule.drop),
                blank("secret", &rule.secret),
                blank("group", &rule.group),
            ]
            .into_iter()
            .flatten()
            {
                let msg = match field.as_str() {
                    "drop" => "a dropped variable needs a reason",
                    "secret" => "say what the operator must set (e.g. \"a Stripe test-mode key\")",
                    _ => "name the env group",
                };
                errors.push(loc.error(&format!("{path}.{field}"), msg));
            }
            if rule.generate == Some(false) || rule.ungroup == Some(false) {
                let field = if rule.generate == Some(false) {
                    "generate"
                } else {
                    "ungroup"
                };
                errors.push(loc.error(
                    &format!("{path}.{field}"),
                    format!("`{field}: false` does nothing; remove the rule"),
                ));
            }
            if let Some(r) = &rule.replace {
                if r.is_empty() {
                    errors.push(
                        loc.error(&format!("{path}.replace"), "`replace` has no substitutions"),
                    );
                }
                for from in r.keys().filter(|k| k.is_empty()) {
                    errors.push(loc.error(
                        &format!("{path}.replace.{from}"),
                        "cannot replace the empty string",
                    ));
                }
            }
            if let Some(s) = &rule.from_service
                && s.property.is_some() == s.env_var_key.is_some()
            {
                errors.push(loc.error(
                    &format!("{path}.fromService"),
                    "give exactly one of `property` or `envVarKey`",
                ));
            }
        }
        for (i, a) in f.allow.iter().enumerate() {
            if a.reason.trim().is_empty() {
                errors
                    .push(loc.error(&format!("allow[{i}].reason"), "an allowance needs a reason"));
            }
            if a.target.trim().is_empty() {
                errors
                    .push(loc.error(&format!("allow[{i}].target"), "an allowance needs a target"));
            }
        }
        let r = &f.rename;
        if let Some(p) = &r.pattern
            && p.from.matches('*').count() != p.to.matches('*').count()
        {
            errors.push(loc.error("rename.pattern.to", "`to` must have as many `*` as `from`"));
        }
        for (field, v) in [("prefix", &r.prefix), ("suffix", &r.suffix)] {
            if v.as_deref().is_some_and(str::is_empty) {
                errors.push(loc.error(&format!("rename.{field}"), format!("`{field}` is empty")));
            }
        }
        if let Some(p) = &f.placement {
            for (field, v) in [("project", &p.project), ("environment", &p.environment)] {
                if v.trim().is_empty() {
                    errors.push(
                        loc.error(&format!("placement.{field}"), format!("`{field}` is empty")),
                    );
                }
            }
        }
        errors.sort_by(|a, b| a.span.cmp(&b.span));
        errors
    }
}

fn valid_key_pattern(k: &str) -> bool {
    k.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*' | '?'))
}

pub fn join_errors(errors: &[InputError]) -> String {
    let mut s = errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    if errors.len() > 1 {
        s.push_str(&format!("\n{} problems in the overlay", errors.len()));
    }
    s
}

/// The JSON Schema of the overlay file, derived from these types.
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<OverlayFile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}
