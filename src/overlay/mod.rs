//! The overlay stage: production snapshot + overlay → the staging model.
//!
//! The staging model holds every resource as it will be in the staging Blueprint, plus a
//! provenance side table (which overlay line caused each difference from production),
//! the disposition of every production env var, and the manual steps a Blueprint cannot
//! express. Rendering only formats it.

mod apply;
mod env;
mod secret_fields;
pub mod spec;
pub(crate) mod steps;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::model::{self, ResourceKind, ServiceKind, Snapshot};
use crate::yaml::{InputError, Locations, Span};

pub use apply::apply;
pub use spec::{Overlay, OverlayFile};

/// The staging environment, ready to render.
#[derive(Debug, Clone)]
pub struct Staging {
    /// The environment's name in `stageprint.yaml` (`staging`).
    pub environment: String,
    pub overlay_path: PathBuf,
    pub services: Vec<StagingService>,
    pub databases: Vec<StagingDatabase>,
    pub key_values: Vec<StagingKeyValue>,
    pub env_groups: Vec<StagingEnvGroup>,
    pub placement: Option<StagingPlacement>,
    pub previews: Option<RootPreviews>,
    /// Every field that differs from production, and why.
    pub changes: Vec<Change>,
    /// Every production env var (and every added one) and what became of it.
    pub env_records: Vec<EnvRecord>,
    pub manual_steps: Vec<ManualStep>,
    pub allowances: Vec<Allowance>,
    /// Production resources not copied, with the reason.
    pub not_copied: Vec<NotCopied>,
    /// What gave each resource its staging name (`field: name`), like `changes`.
    pub renames: Vec<Change>,
}

#[derive(Debug, Clone)]
pub struct StagingService {
    pub production_name: String,
    /// The production service with staging name and overrides applied. Its `env_vars`
    /// and `env_groups` are empty (see `env` and `groups`); `secret_files` are production's.
    pub service: model::Service,
    pub env: Vec<StagingVar>,
    /// Staging env group names to pull in with `fromGroup`.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct StagingDatabase {
    pub production_name: String,
    pub database: model::Database,
}

#[derive(Debug, Clone)]
pub struct StagingKeyValue {
    pub production_name: String,
    pub key_value: model::KeyValue,
}

#[derive(Debug, Clone)]
pub struct StagingEnvGroup {
    /// `None` for a group that exists only in staging (never: groups come from production).
    pub production_name: String,
    pub name: String,
    /// Variables a Blueprint group can hold: literal values and generated values.
    pub env: Vec<StagingVar>,
    /// Secrets the operator sets in the group after sync (`sync: false` is ignored in groups).
    pub operator_secrets: Vec<OperatorSecret>,
    pub secret_files: Vec<String>,
    /// Staging names of the services that pull it in.
    pub linked_services: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorSecret {
    pub key: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingVar {
    pub key: String,
    pub source: VarSource,
}

/// Where a staging variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarSource {
    Value(String),
    Generate,
    /// `sync: false`: the operator provides it. The note says what to set.
    Operator(Option<String>),
    FromDatabase {
        name: String,
        property: String,
    },
    FromService {
        service_type: String,
        name: String,
        property: Option<String>,
        env_var_key: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagingPlacement {
    pub project: String,
    pub environment: String,
    pub network_isolation: Option<bool>,
    pub protection: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootPreviews {
    pub generation: Option<String>,
    pub expire_after_days: Option<u32>,
}

/// Why a value differs from production.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// An overlay line.
    Rule { span: Span, label: String },
    /// Something stageprint does on its own (rewiring, renaming, plan mapping).
    Automatic { reason: String },
}

impl Cause {
    pub fn rule(span: Span, label: impl Into<String>) -> Cause {
        Cause::Rule {
            span,
            label: label.into(),
        }
    }
    pub fn auto(reason: impl Into<String>) -> Cause {
        Cause::Automatic {
            reason: reason.into(),
        }
    }
    /// Short text for comments and tables: `overlays/staging.yaml:12 env set` or `automatic: …`.
    pub fn describe(&self) -> String {
        match self {
            Cause::Rule { span, label } => format!("{span} {label}"),
            Cause::Automatic { reason } => format!("automatic: {reason}"),
        }
    }
    /// The rule's name without its position, for generated files: a line added to the
    /// overlay must not rewrite them (`env replace `*``, `defaults.services.plan`).
    pub fn name(&self) -> String {
        match self {
            Cause::Rule { label, .. } => label.clone(),
            Cause::Automatic { reason } => format!("automatic: {reason}"),
        }
    }
    pub fn is_rule(&self) -> bool {
        matches!(self, Cause::Rule { .. })
    }
}

/// One field of one staging resource that differs from production.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Staging resource name.
    pub resource: String,
    /// Blueprint field (`plan`, `domains`, `envVars.LOG_LEVEL`, …).
    pub field: String,
    /// Production value as shown to reviewers; `None` for secrets and unset fields.
    pub production: Option<String>,
    pub cause: Cause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Disposition {
    Carried,
    Rewired,
    Replaced,
    Generated,
    OperatorProvided,
    MovedToGroup,
    MovedToServices,
    Dropped,
    /// Not in production: the overlay added it.
    Added,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Carried => "carried",
            Disposition::Rewired => "rewired",
            Disposition::Replaced => "replaced",
            Disposition::Generated => "generated",
            Disposition::OperatorProvided => "operator-provided",
            Disposition::MovedToGroup => "moved to group",
            Disposition::MovedToServices => "moved to services",
            Disposition::Dropped => "dropped",
            Disposition::Added => "added",
        }
    }
}

/// What happened to one production env var (or one the overlay added).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvRecord {
    /// `service` or `envGroup`.
    pub owner_kind: &'static str,
    pub production_owner: String,
    pub key: String,
    pub staging_owner: Option<String>,
    pub secret: bool,
    pub disposition: Disposition,
    /// `None`: no rule decided it; the default applied.
    pub cause: Option<Cause>,
    /// What staging gets, in words (`value "debug"`, `fromDatabase x connectionString`, a reason).
    pub detail: String,
    /// Production value, for non-secrets.
    pub production_value: Option<String>,
    /// For a service variable moved into an env group: that group's production name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub into_group: Option<String>,
}

impl EnvRecord {
    pub fn is_default(&self) -> bool {
        self.cause.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Secret files: no Blueprint field.
    SecretFile,
    /// Secrets in env groups: `sync: false` is ignored there.
    GroupSecret,
    /// `sync: false` keys: prompted only when the Blueprint is first created.
    PromptedSecret,
    /// Dropped keys survive on an existing service: env vars merge on sync.
    DroppedKey,
    /// Fields that cannot change after creation.
    Immutable,
    /// Fields whose list replaces the live one on sync.
    ReplaceSemantics,
    /// Disk sizes can only grow.
    DiskGrowOnly,
    /// A production plan with no Blueprint spelling, mapped.
    PlanMapped,
    /// Production settings no Blueprint field can carry.
    Unexpressed,
    /// A production resource another Blueprint already manages.
    ManagedElsewhere,
    /// A value that only partly pointed at production.
    PartialRewire,
    /// Maintenance mode copied on from production.
    MaintenanceOn,
    /// Production resources the snapshot lists but does not copy, or cannot read.
    NotCopied,
}

impl StepKind {
    pub fn title(self) -> &'static str {
        match self {
            StepKind::SecretFile => "Secret files (no Blueprint field)",
            StepKind::GroupSecret => "Env group secrets (sync: false is ignored in groups)",
            StepKind::PromptedSecret => {
                "Operator-provided secrets (prompted only when the Blueprint is first created)"
            }
            StepKind::DroppedKey => {
                "Dropped keys that survive on an existing service (env vars merge on sync)"
            }
            StepKind::Immutable => "Immutable after creation",
            StepKind::ReplaceSemantics => "Lists that replace on sync",
            StepKind::DiskGrowOnly => "Disk sizes that can only grow",
            StepKind::PlanMapped => "Plans mapped to a Blueprint plan",
            StepKind::Unexpressed => "Production settings a Blueprint cannot express",
            StepKind::ManagedElsewhere => "Resources managed by another Blueprint",
            StepKind::PartialRewire => "Values that only partly pointed at production",
            StepKind::MaintenanceOn => "Maintenance mode copied on from production",
            StepKind::NotCopied => "Production resources not copied",
        }
    }
}

/// Something the operator must do or check because the Blueprint cannot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualStep {
    pub kind: StepKind,
    /// Staging resource name (or production name when not copied).
    pub resource: String,
    pub what: String,
    /// The exact action: a dashboard path or an API call.
    pub action: String,
}

/// A deliberate exception to production isolation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allowance {
    pub target: String,
    pub reason: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotCopied {
    pub kind: &'static str,
    pub name: String,
    pub reason: String,
}

/// Collects every problem instead of stopping at the first.
struct Problems<'a> {
    pub loc: &'a Locations,
    pub errors: Vec<InputError>,
}

impl Problems<'_> {
    pub fn at(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        let mut e = self.loc.error(path, message);
        e.hint = hint;
        self.errors.push(e);
    }
}

/// Names of the copied resources: production name → staging name, per kind.
#[derive(Debug, Default)]
struct Names {
    /// Kind → production name → staging name.
    pub map: HashMap<ResourceKind, HashMap<String, String>>,
    /// Production service name → its kind, for building references by name.
    pub service_kinds: HashMap<String, ServiceKind>,
    /// What gave each copied resource its staging name.
    pub causes: Vec<Change>,
}

impl Names {
    pub fn staging(&self, kind: ResourceKind, production: &str) -> Option<&str> {
        self.map.get(&kind)?.get(production).map(String::as_str)
    }
    pub fn service_kind(&self, production: &str) -> Option<ServiceKind> {
        self.service_kinds.get(production).copied()
    }

    pub fn is_copied(&self, kind: ResourceKind, production: &str) -> bool {
        self.staging(kind, production).is_some()
    }
}

/// Whether production has the resource suspended (services and databases can be).
fn is_suspended(snapshot: &Snapshot, kind: ResourceKind, name: &str) -> bool {
    match kind {
        ResourceKind::Service => snapshot
            .services
            .iter()
            .any(|s| s.name == name && s.unexpressed.suspended),
        ResourceKind::Database => snapshot
            .databases
            .iter()
            .any(|d| d.name == name && d.unexpressed.suspended),
        ResourceKind::KeyValue => snapshot
            .key_values
            .iter()
            .any(|k| k.name == name && k.unexpressed.suspended),
        ResourceKind::EnvGroup => false,
    }
}
