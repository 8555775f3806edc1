//! The overlay pipeline: one short ordered function, each step a small unit.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::spec::{Overlay, Overrides};
use super::*;
use crate::model::identity::Production;
use crate::model::{self, ResourceKind, ServiceKind, Snapshot};
use crate::pattern::{Pattern, substitute};
use crate::yaml::{InputError, Locations};

/// Apply an overlay to a production snapshot. Every problem is returned at once, each
/// located in the overlay file.
pub fn apply(
    snapshot: &Snapshot,
    overlay: &Overlay,
    environment: &str,
) -> Result<Staging, Vec<InputError>> {
    let mut p = Problems {
        loc: &overlay.locations,
        errors: Vec::new(),
    };
    // Names the overlay mentions must exist before anything else is judged, or every later
    // step would report the same typo in a different way.
    check_named_resources(snapshot, overlay, &mut p);
    // Selection comes first: names, overrides and env rules only concern copied resources.
    let (copied, not_copied) = select(snapshot, overlay, &mut p);
    check_settings_for_suspended(snapshot, overlay, &copied, &mut p);
    // Renaming next: every later step refers to resources by their staging names.
    let mut names = rename(snapshot, &copied, overlay, &mut p);
    let renames = std::mem::take(&mut names.causes);
    // Field overrides: kind defaults first, then the resource's own (the resource wins).
    let mut changes = Vec::new();
    // Production's identities, to keep values that point at production out of staging.
    let production = Production::new(snapshot);
    let services = services(snapshot, &names, overlay, &production, &mut changes, &mut p);
    let databases = databases(snapshot, &names, overlay, &mut changes, &mut p);
    let key_values = key_values(snapshot, &names, overlay, &mut changes, &mut p);
    // Env vars last: their rewiring needs the final staging names of everything.
    let env = super::env::resolve(
        snapshot,
        overlay,
        &production,
        &names,
        &services,
        &mut changes,
        &mut p,
    );
    if !p.errors.is_empty() {
        p.errors
            .sort_by(|a, b| a.span.cmp(&b.span).then_with(|| a.message.cmp(&b.message)));
        p.errors.dedup();
        return Err(p.errors);
    }

    let file = overlay.locations.file().to_path_buf();
    let mut staging = Staging {
        environment: environment.to_string(),
        overlay_path: file.clone(),
        services: services
            .into_iter()
            .map(|(production_name, service)| {
                let (env, groups) = env
                    .service_vars
                    .get(&production_name)
                    .cloned()
                    .unwrap_or_default();
                StagingService {
                    production_name,
                    service,
                    env,
                    groups,
                }
            })
            .collect(),
        databases,
        key_values,
        env_groups: env.groups,
        placement: overlay.file.placement.as_ref().map(|pl| StagingPlacement {
            project: pl.project.clone(),
            environment: pl.environment.clone(),
            network_isolation: pl.network_isolation,
            protection: pl.protection,
        }),
        previews: overlay.file.previews.as_ref().map(|pv| RootPreviews {
            generation: pv.generation.map(|g| g.as_str().to_string()),
            expire_after_days: pv.expire_after_days,
        }),
        changes,
        env_records: env.records,
        manual_steps: env.steps,
        allowances: overlay.allowances(),
        not_copied,
        renames,
    };
    super::steps::add_manual_steps(snapshot, &mut staging);
    staging
        .services
        .sort_by(|a, b| a.service.name.cmp(&b.service.name));
    staging
        .databases
        .sort_by(|a, b| a.database.name.cmp(&b.database.name));
    staging
        .key_values
        .sort_by(|a, b| a.key_value.name.cmp(&b.key_value.name));
    staging.env_groups.sort_by(|a, b| a.name.cmp(&b.name));
    staging.changes.sort();
    staging.changes.dedup();
    staging.env_records.sort();
    staging.manual_steps.sort();
    staging.manual_steps.dedup();
    staging.not_copied.sort();
    Ok(staging)
}

fn kind_of(snapshot: &Snapshot, name: &str) -> Vec<ResourceKind> {
    snapshot
        .resource_names()
        .filter(|(_, n)| *n == name)
        .map(|(k, _)| k)
        .collect()
}

fn did_you_mean(snapshot: &Snapshot, name: &str) -> Option<String> {
    let names: Vec<String> = snapshot
        .resource_names()
        .map(|(_, n)| n.to_string())
        .collect();
    crate::yaml::suggest(name, &names).map(|s| format!("did you mean `{s}`?"))
}

fn unknown_name(snapshot: &Snapshot, p: &mut Problems, path: &str, name: &str, what: &str) {
    let hint = did_you_mean(snapshot, name).or_else(|| {
        Some("names are production names, as in generated/production.snapshot.yaml".into())
    });
    p.at(
        path,
        format!("{what} `{name}` does not exist in production"),
        hint,
    );
}

/// Every resource name the overlay mentions must name a production resource.
fn check_named_resources(snapshot: &Snapshot, overlay: &Overlay, p: &mut Problems) {
    let f = &overlay.file;
    for name in f.resources.keys() {
        if kind_of(snapshot, name).is_empty() {
            unknown_name(snapshot, p, &format!("resources.{name}"), name, "resource");
        }
    }
    for name in f.rename.names.keys() {
        if kind_of(snapshot, name).is_empty() {
            unknown_name(
                snapshot,
                p,
                &format!("rename.names.{name}"),
                name,
                "resource",
            );
        }
    }
    for (i, pat) in f.select.include_suspended.iter().enumerate() {
        let pattern = Pattern::new(pat);
        let path = format!("select.includeSuspended[{i}]");
        let matched: Vec<(ResourceKind, &str)> = snapshot
            .resource_names()
            .filter(|(_, n)| pattern.matches(n))
            .collect();
        if !matched.is_empty() && !matched.iter().any(|(k, n)| is_suspended(snapshot, *k, n)) {
            p.at(
                &path,
                format!(
                    "`{pat}` names no suspended production resource; includeSuspended only brings in suspended ones"
                ),
                Some("remove it: resources that are not suspended are copied by select.include".into()),
            );
        }
    }
    for (list, field) in [
        (&f.select.include, "select.include"),
        (&f.select.exclude, "select.exclude"),
        (&f.select.include_suspended, "select.includeSuspended"),
    ] {
        for (i, pat) in list.iter().enumerate() {
            let pattern = Pattern::new(pat);
            if !snapshot.resource_names().any(|(_, n)| pattern.matches(n)) {
                let what = if pattern.is_literal() {
                    "resource"
                } else {
                    "pattern"
                };
                if pattern.is_literal() {
                    unknown_name(snapshot, p, &format!("{field}[{i}]"), pat, what);
                } else {
                    p.at(
                        &format!("{field}[{i}]"),
                        format!("pattern `{pat}` matches no production resource"),
                        None,
                    );
                }
            }
        }
    }
    if let Some(pat) = &f.rename.pattern {
        let pattern = Pattern::new(&pat.from);
        if !snapshot.resource_names().any(|(_, n)| pattern.matches(n)) {
            p.at(
                "rename.pattern.from",
                format!("pattern `{}` matches no production resource", pat.from),
                None,
            );
        }
    }
}

fn select(
    snapshot: &Snapshot,
    overlay: &Overlay,
    _p: &mut Problems,
) -> (HashSet<(ResourceKind, String)>, Vec<NotCopied>) {
    let include: Vec<Pattern> = overlay
        .file
        .select
        .include
        .iter()
        .map(|s| Pattern::new(s))
        .collect();
    let exclude: Vec<Pattern> = overlay
        .file
        .select
        .exclude
        .iter()
        .map(|s| Pattern::new(s))
        .collect();
    let include_suspended: Vec<Pattern> = overlay
        .file
        .select
        .include_suspended
        .iter()
        .map(|s| Pattern::new(s))
        .collect();
    let mut copied = HashSet::new();
    let mut not_copied = Vec::new();
    for (kind, name) in snapshot.resource_names() {
        let included = include.is_empty() || include.iter().any(|p| p.matches(name));
        let excluded = exclude.iter().find(|p| p.matches(name));
        match (included, excluded) {
            // Suspended in production: copying it would start it in staging.
            (true, None)
                if is_suspended(snapshot, kind, name)
                    && !include_suspended.iter().any(|p| p.matches(name)) =>
            {
                not_copied.push(NotCopied {
                    kind: kind.as_str(),
                    name: name.to_string(),
                    reason: format!("suspended in production; in staging it would run and cost money (copy it with select.includeSuspended: [{name}])"),
                });
            }
            (true, None) => {
                copied.insert((kind, name.to_string()));
            }
            (_, Some(pat)) => not_copied.push(NotCopied {
                kind: kind.as_str(),
                name: name.to_string(),
                reason: format!("select.exclude `{pat}`"),
            }),
            (false, None) => not_copied.push(NotCopied {
                kind: kind.as_str(),
                name: name.to_string(),
                reason: "not matched by select.include".into(),
            }),
        }
    }
    // What the snapshot listed but could not model (a service type with no Blueprint
    // form, a preview instance) is reported with the reason, never dropped silently.
    not_copied.extend(snapshot.skipped.iter().map(|k| NotCopied {
        kind: k.kind.map_or("resource", ResourceKind::as_str),
        name: k.name.clone(),
        reason: k.reason.clone(),
    }));
    (copied, not_copied)
}

/// Overrides or a rename for a suspended resource that is left out would do nothing: the
/// author meant to copy it.
fn check_settings_for_suspended(
    snapshot: &Snapshot,
    overlay: &Overlay,
    copied: &HashSet<(ResourceKind, String)>,
    p: &mut Problems,
) {
    let f = &overlay.file;
    let left_out = |name: &str| {
        kind_of(snapshot, name)
            .into_iter()
            .any(|k| is_suspended(snapshot, k, name) && !copied.contains(&(k, name.to_string())))
    };
    let excluded = |name: &str| {
        f.select
            .exclude
            .iter()
            .any(|e| Pattern::new(e).matches(name))
    };
    for (section, keys) in [
        ("resources", f.resources.keys().collect::<Vec<_>>()),
        ("rename.names", f.rename.names.keys().collect()),
    ] {
        for name in keys {
            if left_out(name) && !excluded(name) {
                p.at(
                    &format!("{section}.{name}"),
                    format!("`{name}` is suspended in production and therefore not copied, so this does nothing"),
                    Some(format!("to copy it deliberately: select: {{ includeSuspended: [{name}] }}; otherwise remove this entry")),
                );
            }
        }
    }
}

fn rename(
    snapshot: &Snapshot,
    copied: &HashSet<(ResourceKind, String)>,
    overlay: &Overlay,
    p: &mut Problems,
) -> Names {
    let r = &overlay.file.rename;
    let mut names = Names {
        service_kinds: snapshot
            .services
            .iter()
            .map(|s| (s.name.clone(), s.kind))
            .collect(),
        ..Names::default()
    };
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let mut sorted: Vec<&(ResourceKind, String)> = copied.iter().collect();
    sorted.sort();
    for (kind, name) in sorted {
        let (staging, path) = if let Some(n) = r.names.get(name) {
            (n.clone(), format!("rename.names.{name}"))
        } else if let Some(caps) = r
            .pattern
            .as_ref()
            .and_then(|pat| Pattern::new(&pat.from).captures(name))
        {
            (
                substitute(&r.pattern.as_ref().unwrap().to, &caps),
                "rename.pattern".to_string(),
            )
        } else if r.prefix.is_some() || r.suffix.is_some() {
            (
                format!(
                    "{}{name}{}",
                    r.prefix.as_deref().unwrap_or(""),
                    r.suffix.as_deref().unwrap_or("")
                ),
                "rename".to_string(),
            )
        } else {
            (name.clone(), "rename".to_string())
        };
        names.causes.push(Change {
            resource: staging.clone(),
            field: "name".into(),
            production: Some(name.clone()),
            cause: if staging == *name {
                Cause::auto("no rename rule applies: the production name is kept")
            } else {
                Cause::rule(overlay.locations.span(&path), path.clone())
            },
        });
        // A staging name that is a production one is left to the Blueprint's isolation
        // check: like any way staging could touch production it is a finding (exit 2),
        // located at the rename rule recorded above.
        if let Some(other) = taken.insert(staging.clone(), name.clone()) {
            p.at(
                &path,
                format!("`{other}` and `{name}` would both be named `{staging}` in staging"),
                Some("give one of them an explicit name under rename.names".into()),
            );
        }
        if staging.trim().is_empty() {
            p.at(
                &path,
                format!("`{name}` would get an empty staging name"),
                None,
            );
        }
        names
            .map
            .entry(*kind)
            .or_default()
            .insert(name.clone(), staging);
    }
    names
}

/// Which override fields apply to which resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Service(
        ServiceKind,
        bool, /* docker-like */
        bool, /* image */
    ),
    Database,
    KeyValue,
}

fn applies(field: &str, t: Target) -> bool {
    use ServiceKind::*;
    match t {
        Target::Database => matches!(
            field,
            "plan"
                | "region"
                | "diskSizeGB"
                | "storageAutoscalingEnabled"
                | "highAvailability"
                | "readReplicas"
                | "ipAllowList"
                | "postgresMajorVersion"
                | "databaseName"
                | "user"
                | "connectionPool"
        ),
        Target::KeyValue => matches!(
            field,
            "plan" | "region" | "ipAllowList" | "maxmemoryPolicy" | "persistenceMode"
        ),
        Target::Service(kind, docker, image) => {
            let server = kind.is_server();
            match field {
                "plan" | "region" => kind != Static,
                "numInstances"
                | "scaling"
                | "disk"
                | "maxShutdownDelaySeconds"
                | "maintenanceMode" => server,
                // Every kind since Render's Blueprint schema of September 2026.
                "preDeployCommand" => true,
                "repo" | "branch" | "rootDir" | "buildFilter" | "autoDeployTrigger" => !image,
                "buildCommand" => !docker,
                "startCommand" => !docker && kind != Static,
                "dockerContext" | "dockerfilePath" => docker && !image,
                "dockerCommand" => docker,
                "image" => image,
                "healthCheckPath" => kind == Web,
                "domains" | "ipAllowList" => matches!(kind, Web | Static),
                "renderSubdomainPolicy" => matches!(kind, Web | Static),
                "previews" => kind != Cron,
                "schedule" => kind == Cron,
                "staticPublishPath" | "headers" | "routes" => kind == Static,
                _ => false,
            }
        }
    }
}

fn target_name(t: Target) -> String {
    match t {
        Target::Service(k, docker, image) => {
            let rt = if image {
                " (image)"
            } else if docker {
                " (docker)"
            } else {
                ""
            };
            format!("{} service{rt}", k.as_str())
        }
        Target::Database => "database".into(),
        Target::KeyValue => "key value".into(),
    }
}

/// The fields an `Overrides` sets, with their YAML names.
fn set_fields(o: &Overrides) -> Vec<&'static str> {
    let mut v = Vec::new();
    macro_rules! f {
        ($($field:ident => $name:literal),* $(,)?) => { $( if o.$field.is_some() { v.push($name); } )* };
    }
    f!(plan => "plan", region => "region", num_instances => "numInstances", scaling => "scaling", repo => "repo",
       branch => "branch", root_dir => "rootDir", auto_deploy_trigger => "autoDeployTrigger",
       build_command => "buildCommand", start_command => "startCommand", pre_deploy_command => "preDeployCommand",
       docker_command => "dockerCommand", docker_context => "dockerContext", dockerfile_path => "dockerfilePath",
       image => "image", health_check_path => "healthCheckPath", disk => "disk", domains => "domains",
       previews => "previews", max_shutdown_delay_seconds => "maxShutdownDelaySeconds", build_filter => "buildFilter",
       schedule => "schedule", static_publish_path => "staticPublishPath", headers => "headers", routes => "routes",
       render_subdomain_policy => "renderSubdomainPolicy", ip_allow_list => "ipAllowList", disk_size_gb => "diskSizeGB",
       storage_autoscaling_enabled => "storageAutoscalingEnabled", high_availability => "highAvailability",
       read_replicas => "readReplicas", postgres_major_version => "postgresMajorVersion", database_name => "databaseName",
       user => "user", maxmemory_policy => "maxmemoryPolicy", persistence_mode => "persistenceMode",
       connection_pool => "connectionPool", maintenance_mode => "maintenanceMode");
    v
}

/// Check that each field of `o` (at `path`) applies to `target`.
fn check_applicable(o: &Overrides, path: &str, target: Target, p: &mut Problems) -> bool {
    let mut ok = true;
    for field in set_fields(o) {
        if !applies(field, target) {
            p.at(
                &format!("{path}.{field}"),
                format!("`{field}` does not apply to a {}", target_name(target)),
                None,
            );
            ok = false;
        }
    }
    ok
}

/// A display form of a production value for comments and the report.
fn shown<T: serde::Serialize>(v: &T) -> Option<String> {
    fn text(v: serde_json::Value) -> String {
        use serde_json::Value;
        match v {
            Value::String(s) => s,
            Value::Array(items) if items.is_empty() => "none".into(),
            Value::Array(items) => {
                let sep = if items.iter().any(Value::is_object) {
                    "; "
                } else {
                    ", "
                };
                items.into_iter().map(text).collect::<Vec<_>>().join(sep)
            }
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| format!("{k} {}", text(v)))
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
    match serde_json::to_value(v).ok()? {
        serde_json::Value::Null => None,
        other => Some(text(other)),
    }
}

/// Applies override values and records each change with the overlay line that caused it.
struct Recorder<'a> {
    changes: &'a mut Vec<Change>,
    loc: &'a Locations,
    resource: String,
    /// Overlay path of the overrides (`resources.x`, `defaults.services`).
    label: String,
}

impl Recorder<'_> {
    fn set<T: PartialEq + Clone + serde::Serialize>(
        &mut self,
        field: &str,
        slot: &mut T,
        value: T,
    ) {
        if *slot != value {
            let path = format!("{}.{field}", self.label);
            self.changes.push(Change {
                resource: self.resource.clone(),
                field: field.to_string(),
                production: shown(slot),
                cause: Cause::rule(self.loc.span(&path), path),
            });
            *slot = value;
        }
    }
}

const REGIONS: &[&str] = &["oregon", "ohio", "virginia", "frankfurt", "singapore"];
const MAXMEMORY: &[&str] = &[
    "allkeys-lru",
    "volatile-lru",
    "allkeys-lfu",
    "volatile-lfu",
    "allkeys-random",
    "volatile-random",
    "volatile-ttl",
    "noeviction",
];

fn check_enum(p: &mut Problems, path: &str, value: &str, allowed: &[&str], what: &str) -> bool {
    if allowed.contains(&value) {
        return true;
    }
    let opts: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
    let hint = match crate::yaml::suggest(value, &opts) {
        Some(s) => format!("did you mean `{s}`? Allowed: {}", allowed.join(", ")),
        None => format!("allowed: {}", allowed.join(", ")),
    };
    p.at(path, format!("`{value}` is not a valid {what}"), Some(hint));
    false
}

/// Plans a new staging resource of this kind may use.
fn plans_for(t: Target) -> Vec<&'static str> {
    use model::PlanKind;
    match t {
        Target::Service(ServiceKind::Web, ..) => PlanKind::Web.plans(),
        Target::Service(ServiceKind::Cron, ..) => PlanKind::Cron.plans(),
        Target::Service(..) => PlanKind::PrivateOrWorker.plans(),
        // A new database cannot be created on a legacy plan.
        Target::Database => PlanKind::Postgres
            .plans()
            .into_iter()
            .filter(|p| !model::is_legacy_postgres_plan(p))
            .collect(),
        Target::KeyValue => PlanKind::KeyValue.plans(),
    }
}

/// The fields every resource kind shares.
struct Common<'a> {
    plan: &'a mut Option<String>,
    region: &'a mut Option<String>,
    ip: &'a mut Option<Vec<model::IpRule>>,
}

fn apply_common(
    o: &Overrides,
    target: Target,
    path: &str,
    rec: &mut Recorder,
    c: Common,
    p: &mut Problems,
) {
    let Common { plan, region, ip } = c;
    if let Some(v) = &o.plan
        && check_enum(
            p,
            &format!("{path}.plan"),
            v,
            &plans_for(target),
            &format!("plan for a {}", target_name(target)),
        )
    {
        rec.set("plan", plan, Some(v.clone()));
    }
    if let Some(v) = &o.region
        && check_enum(p, &format!("{path}.region"), v, REGIONS, "region")
    {
        rec.set("region", region, Some(v.clone()));
    }
    if let Some(list) = &o.ip_allow_list {
        let slot = ip;
        let rules: Vec<model::IpRule> = list
            .iter()
            .map(|r| model::IpRule {
                source: r.source.clone(),
                description: r.description.clone(),
            })
            .collect();
        rec.set("ipAllowList", slot, Some(rules));
    }
}

fn service_target(s: &model::Service) -> Target {
    Target::Service(
        s.kind,
        matches!(s.runtime.as_str(), "docker" | "image"),
        s.runtime == "image",
    )
}

fn services(
    snapshot: &Snapshot,
    names: &Names,
    overlay: &Overlay,
    production: &Production,
    changes: &mut Vec<Change>,
    p: &mut Problems,
) -> Vec<(String, model::Service)> {
    let f = &overlay.file;
    let defaults = &f.defaults.services;
    let default_fields = set_fields(defaults);
    let mut used_defaults: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::new();
    for prod in &snapshot.services {
        let Some(staging) = names.staging(ResourceKind::Service, &prod.name) else {
            continue;
        };
        // Variables and group links are decided apart (overlay::env); the copy keeps
        // neither, so they exist once.
        let mut s = model::Service {
            env_vars: Vec::new(),
            env_groups: Vec::new(),
            ..prod.clone()
        };
        s.name = staging.to_string();
        let target = service_target(prod);
        // Kind defaults apply where they make sense; a default that fits no service is reported below.
        let applicable: Overrides = only_applicable(defaults, target);
        for field in set_fields(&applicable) {
            used_defaults.insert(field);
        }
        let mut rec = Recorder {
            changes,
            loc: &overlay.locations,
            resource: s.name.clone(),
            label: "defaults.services".into(),
        };
        apply_service_overrides(
            &applicable,
            target,
            "defaults.services",
            &mut rec,
            &mut s,
            p,
        );
        if let Some(o) = f.resources.get(&prod.name) {
            let path = format!("resources.{}", prod.name);
            if check_applicable(o, &path, target, p) {
                let mut rec = Recorder {
                    changes,
                    loc: &overlay.locations,
                    resource: s.name.clone(),
                    label: path.clone(),
                };
                apply_service_overrides(o, target, &path, &mut rec, &mut s, p);
            }
        }
        resolve_service_plan(prod, &mut s, changes, p, overlay);
        if s.kind == ServiceKind::Web || s.kind == ServiceKind::Static {
            // Production custom domains never carry over: staging must not claim them.
            if !prod.domains.is_empty()
                && s.domains == prod.domains
                && f.resources
                    .get(&prod.name)
                    .is_none_or(|o| o.domains.is_none())
            {
                changes.push(Change {
                    resource: s.name.clone(),
                    field: "domains".into(),
                    production: shown(&prod.domains),
                    cause: Cause::auto("production custom domains are not copied; set resources.<name>.domains for staging ones"),
                });
                s.domains.clear();
            }
        }
        keep_production_out_of_rules(&mut s, prod, overlay, production, changes);
        out.push((prod.name.clone(), s));
    }
    for field in default_fields {
        if !used_defaults.contains(field) && !snapshot.services.is_empty() {
            p.at(
                &format!("defaults.services.{field}"),
                format!("`{field}` applies to none of the copied services"),
                None,
            );
        }
    }
    out
}

fn only_applicable(o: &Overrides, target: Target) -> Overrides {
    let mut v = serde_json::to_value(o).expect("overrides serialise");
    if let serde_json::Value::Object(map) = &mut v {
        map.retain(|k, val| !val.is_null() && applies(k, target));
    }
    serde_json::from_value(v).expect("a subset of overrides deserialises")
}

fn apply_service_overrides(
    o: &Overrides,
    target: Target,
    path: &str,
    rec: &mut Recorder,
    s: &mut model::Service,
    p: &mut Problems,
) {
    apply_common(
        o,
        target,
        path,
        rec,
        Common {
            plan: &mut s.plan,
            region: &mut s.region,
            ip: &mut s.ip_allow_list,
        },
        p,
    );
    if o.plan.is_some() {
        s.api_plan = None;
    }
    if let Some(n) = o.num_instances {
        rec.set("numInstances", &mut s.num_instances, Some(n));
        rec.set("scaling", &mut s.scaling, None);
    }
    if let Some(sc) = &o.scaling {
        if sc.min_instances > sc.max_instances {
            p.at(
                &format!("{path}.scaling"),
                "minInstances is greater than maxInstances",
                None,
            );
        }
        rec.set(
            "scaling",
            &mut s.scaling,
            Some(model::Scaling {
                min_instances: sc.min_instances,
                max_instances: sc.max_instances,
                target_cpu_percent: sc.target_cpu_percent,
                target_memory_percent: sc.target_memory_percent,
            }),
        );
        rec.set("numInstances", &mut s.num_instances, None);
    }
    macro_rules! opt_string {
        ($($field:ident => $name:literal),*) => { $( if let Some(v) = &o.$field { rec.set($name, &mut s.$field, Some(v.clone())); } )* };
    }
    opt_string!(repo => "repo", branch => "branch", root_dir => "rootDir", build_command => "buildCommand",
        start_command => "startCommand", pre_deploy_command => "preDeployCommand", docker_command => "dockerCommand",
        docker_context => "dockerContext", dockerfile_path => "dockerfilePath", health_check_path => "healthCheckPath",
        schedule => "schedule", static_publish_path => "staticPublishPath");
    if let Some(v) = o.auto_deploy_trigger {
        rec.set(
            "autoDeployTrigger",
            &mut s.auto_deploy_trigger,
            v.as_str().to_string(),
        );
    }
    if let Some(v) = &o.image {
        let creds = s.image.as_ref().and_then(|i| i.credential.clone());
        rec.set(
            "image",
            &mut s.image,
            Some(model::Image {
                url: v.clone(),
                credential: creds,
            }),
        );
    }
    if let Some(d) = &o.disk {
        rec.set(
            "disk",
            &mut s.disk,
            Some(model::Disk {
                name: d.name.clone(),
                mount_path: d.mount_path.clone(),
                size_gb: d.size_gb,
            }),
        );
    }
    if let Some(d) = &o.domains {
        let mut d = d.clone();
        d.sort();
        d.dedup();
        rec.set("domains", &mut s.domains, d);
    }
    if let Some(v) = o.previews {
        rec.set("previews", &mut s.previews, Some(v.as_str().to_string()));
    }
    if let Some(v) = o.max_shutdown_delay_seconds {
        if !(1..=300).contains(&v) {
            p.at(
                &format!("{path}.maxShutdownDelaySeconds"),
                "maxShutdownDelaySeconds must be between 1 and 300",
                None,
            );
        }
        rec.set(
            "maxShutdownDelaySeconds",
            &mut s.max_shutdown_delay_seconds,
            Some(v),
        );
    }
    if let Some(b) = &o.build_filter {
        rec.set(
            "buildFilter",
            &mut s.build_filter,
            Some(model::BuildFilter {
                paths: b.paths.clone(),
                ignored_paths: b.ignored_paths.clone(),
            }),
        );
    }
    if let Some(h) = &o.headers {
        let list = h
            .iter()
            .map(|h| model::Header {
                path: h.path.clone(),
                name: h.name.clone(),
                value: h.value.clone(),
            })
            .collect();
        rec.set("headers", &mut s.headers, list);
    }
    if let Some(r) = &o.routes {
        let list = r
            .iter()
            .map(|r| model::Route {
                route_type: match r.route_type {
                    spec::RouteType::Redirect => "redirect".into(),
                    spec::RouteType::Rewrite => "rewrite".into(),
                },
                source: r.source.clone(),
                destination: r.destination.clone(),
            })
            .collect();
        rec.set("routes", &mut s.routes, list);
    }
    if let Some(m) = &o.maintenance_mode {
        if let Some(u) = &m.uri
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            p.at(
                &format!("{path}.maintenanceMode.uri"),
                format!("`{u}` is not an absolute URL"),
                Some(
                    "write the page's full address, e.g. https://status.example.com/maintenance"
                        .into(),
                ),
            );
        }
        rec.set(
            "maintenanceMode",
            &mut s.maintenance_mode,
            Some(model::MaintenanceMode {
                enabled: m.enabled,
                uri: m.uri.clone().filter(|u| !u.is_empty()),
            }),
        );
    }
    if let Some(v) = o.render_subdomain_policy {
        let v = match v {
            spec::SubdomainPolicy::Enabled => "enabled",
            spec::SubdomainPolicy::Disabled => "disabled",
        };
        rec.set(
            "renderSubdomainPolicy",
            &mut s.render_subdomain_policy,
            Some(v.to_string()),
        );
    }
}

/// Static-site headers and routes, and a maintenance page, that name production (a custom
/// domain, a host) are not copied unless the overlay sets them: staging must not send its
/// visitors to production. Each one left out is reported with the override that brings it
/// back.
fn keep_production_out_of_rules(
    s: &mut model::Service,
    prod: &model::Service,
    overlay: &Overlay,
    production: &Production,
    changes: &mut Vec<Change>,
) {
    let allowed = overlay.allowed_targets();
    let overrides = overlay.file.resources.get(&prod.name);
    let names_production = |texts: &[&str]| -> Option<String> {
        texts.iter().find_map(|t| {
            production
                .matches(t)
                .iter()
                .map(|h| &production.needles[h.needle])
                .find(|n| {
                    !allowed.contains(&n.text)
                        && !allowed.contains(&n.owner.name.to_ascii_lowercase())
                })
                .map(|n| format!("{} `{}`", n.what, n.text))
        })
    };
    if overrides.is_none_or(|o| o.headers.is_none()) {
        let before = s.headers.clone();
        let mut why = Vec::new();
        s.headers
            .retain(|h| match names_production(&[&h.path, &h.name, &h.value]) {
                Some(w) => {
                    why.push(format!("{} on {} ({w})", h.name, h.path));
                    false
                }
                None => true,
            });
        if s.headers != before {
            changes.push(Change {
                resource: s.name.clone(),
                field: "headers".into(),
                production: shown(&before),
                cause: Cause::auto(format!(
                    "left out headers that name production: {}; set resources.{}.headers for staging ones",
                    why.join("; "),
                    prod.name
                )),
            });
        }
    }
    if s.maintenance_mode == prod.maintenance_mode
        && let Some(m) = &mut s.maintenance_mode
        && let Some(w) = m.uri.as_deref().and_then(|u| names_production(&[u]))
    {
        let before = m.clone();
        m.uri = None;
        changes.push(Change {
            resource: s.name.clone(),
            field: "maintenanceMode".into(),
            production: shown(&before),
            cause: Cause::auto(format!(
                "left out the maintenance page, which names production ({w}); set resources.{}.maintenanceMode for a staging one",
                prod.name
            )),
        });
    }
    if overrides.is_none_or(|o| o.routes.is_none()) {
        let before = s.routes.clone();
        let mut why = Vec::new();
        s.routes
            .retain(|r| match names_production(&[&r.source, &r.destination]) {
                Some(w) => {
                    why.push(format!("{} {} ({w})", r.route_type, r.source));
                    false
                }
                None => true,
            });
        if s.routes != before {
            changes.push(Change {
                resource: s.name.clone(),
                field: "routes".into(),
                production: shown(&before),
                cause: Cause::auto(format!(
                    "left out routes that name production: {}; set resources.{}.routes for staging ones",
                    why.join("; "),
                    prod.name
                )),
            });
        }
    }
}

/// A production plan with no Blueprint spelling is mapped to the nearest larger plan
/// (never smaller: staging must be able to run what production runs), and reported.
fn resolve_service_plan(
    prod: &model::Service,
    s: &mut model::Service,
    changes: &mut Vec<Change>,
    p: &mut Problems,
    overlay: &Overlay,
) {
    let Some(api) = s.api_plan.clone() else {
        return;
    };
    let mapped = match api.as_str() {
        "starter_plus" => Some("standard"),
        "standard_plus" => Some("pro"),
        "starter_legacy" => Some("starter"),
        "standard_legacy" => Some("standard"),
        "standard_plus_legacy" => Some("pro"),
        "pro_legacy" => Some("pro"),
        "pro_plus_legacy" => Some("pro plus"),
        _ => None,
    };
    match mapped {
        Some(m) => {
            changes.push(Change {
                resource: s.name.clone(),
                field: "plan".into(),
                production: Some(api.clone()),
                cause: Cause::auto(format!(
                    "production plan `{api}` has no Blueprint spelling; mapped to `{m}`"
                )),
            });
            s.plan = Some(m.to_string());
        }
        None => {
            let path = format!("resources.{}", prod.name);
            let at = if overlay.locations.key(&path).is_some() {
                path.clone()
            } else {
                String::new()
            };
            p.at(
                &at,
                format!(
                    "service `{}` runs on plan `{api}`, which has no Blueprint equivalent",
                    prod.name
                ),
                Some(format!(
                    "choose one: resources.{}.plan: standard (or another Blueprint plan)",
                    prod.name
                )),
            );
        }
    }
    s.api_plan = None;
}

fn databases(
    snapshot: &Snapshot,
    names: &Names,
    overlay: &Overlay,
    changes: &mut Vec<Change>,
    p: &mut Problems,
) -> Vec<StagingDatabase> {
    let f = &overlay.file;
    let mut out = Vec::new();
    for prod in &snapshot.databases {
        let Some(staging) = names.staging(ResourceKind::Database, &prod.name) else {
            continue;
        };
        let mut d = prod.clone();
        d.name = staging.to_string();
        // Replicas keep their relation to the renamed primary: `<staging>-<suffix>` when the
        // replica name starts with the primary's, otherwise the same rename rule as resources.
        d.read_replicas = prod
            .read_replicas
            .iter()
            .map(|r| model::ReadReplica {
                id: r.id.clone(),
                name: match r.name.strip_prefix(prod.name.as_str()) {
                    Some(rest) => format!("{staging}{rest}"),
                    None => format!("{staging}-{}", r.name),
                },
            })
            .collect();
        if d.read_replicas != prod.read_replicas {
            changes.push(Change {
                resource: d.name.clone(),
                field: "readReplicas".into(),
                production: shown(
                    &prod
                        .read_replicas
                        .iter()
                        .map(|r| r.name.clone())
                        .collect::<Vec<_>>(),
                ),
                cause: Cause::auto("replica names follow the staging database name"),
            });
        }
        for (path, o) in [
            (
                "defaults.databases".to_string(),
                Some(&f.defaults.databases),
            ),
            (
                format!("resources.{}", prod.name),
                f.resources.get(&prod.name),
            ),
        ] {
            let Some(o) = o else { continue };
            if !check_applicable(o, &path, Target::Database, p) {
                continue;
            }
            let mut rec = Recorder {
                changes,
                loc: &overlay.locations,
                resource: d.name.clone(),
                label: path.clone(),
            };
            apply_common(
                o,
                Target::Database,
                &path,
                &mut rec,
                Common {
                    plan: &mut d.plan,
                    region: &mut d.region,
                    ip: &mut d.ip_allow_list,
                },
                p,
            );
            if o.plan.is_some() {
                d.api_plan = None;
            }
            if let Some(v) = o.disk_size_gb {
                if v != 1 && v % 5 != 0 {
                    p.at(
                        &format!("{path}.diskSizeGB"),
                        "diskSizeGB must be 1 or a multiple of 5",
                        None,
                    );
                }
                rec.set("diskSizeGB", &mut d.disk_size_gb, Some(v));
            }
            if let Some(v) = o.storage_autoscaling_enabled {
                rec.set(
                    "storageAutoscalingEnabled",
                    &mut d.storage_autoscaling_enabled,
                    Some(v),
                );
            }
            if let Some(v) = o.high_availability {
                rec.set("highAvailability", &mut d.high_availability, v);
            }
            if let Some(list) = &o.read_replicas {
                let replicas: Vec<model::ReadReplica> = list
                    .iter()
                    .map(|n| model::ReadReplica {
                        id: String::new(),
                        name: n.clone(),
                    })
                    .collect();
                rec.set("readReplicas", &mut d.read_replicas, replicas);
            }
            macro_rules! opt_string {
                ($($field:ident => $name:literal),*) => { $( if let Some(v) = &o.$field { rec.set($name, &mut d.$field, Some(v.clone())); } )* };
            }
            opt_string!(postgres_major_version => "postgresMajorVersion", database_name => "databaseName", user => "user");
            if let Some(v) = o.connection_pool {
                rec.set(
                    "connectionPool",
                    &mut d.connection_pool,
                    Some(v.as_str().to_string()),
                );
                d.unexpressed.connection_pool = None;
            }
        }
        // A new staging database cannot be created on a legacy plan or a plan with no
        // Blueprint spelling: map to the current plan of the same size.
        let legacy = d
            .plan
            .as_deref()
            .filter(|pl| model::is_legacy_postgres_plan(pl))
            .map(str::to_string);
        if let Some(from) = legacy.or_else(|| d.api_plan.clone()) {
            let to = match from.as_str() {
                "starter" => Some("basic-256mb"),
                "standard" => Some("basic-1gb"),
                "pro" => Some("pro-4gb"),
                "pro plus" => Some("pro-8gb"),
                _ => None,
            };
            match to {
                Some(to) => {
                    changes.push(Change {
                        resource: d.name.clone(),
                        field: "plan".into(),
                        production: Some(from.clone()),
                        cause: Cause::auto(format!("legacy Postgres plan `{from}` cannot be used for a new database; mapped to `{to}`")),
                    });
                    d.plan = Some(to.to_string());
                }
                None => p.at(
                    &format!("resources.{}", prod.name),
                    format!("database `{}` runs on plan `{from}`, which has no Blueprint equivalent", prod.name),
                    Some(format!("choose one: resources.{}.plan: basic-1gb (or another current Postgres plan)", prod.name)),
                ),
            }
            d.api_plan = None;
        }
        // Postgres allows up to five replicas (Blueprint limit); checked by validation too.
        out.push(StagingDatabase {
            production_name: prod.name.clone(),
            database: d,
        });
    }
    out
}

fn key_values(
    snapshot: &Snapshot,
    names: &Names,
    overlay: &Overlay,
    changes: &mut Vec<Change>,
    p: &mut Problems,
) -> Vec<StagingKeyValue> {
    let f = &overlay.file;
    let mut out = Vec::new();
    for prod in &snapshot.key_values {
        let Some(staging) = names.staging(ResourceKind::KeyValue, &prod.name) else {
            continue;
        };
        let mut k = prod.clone();
        k.name = staging.to_string();
        for (path, o) in [
            (
                "defaults.keyValues".to_string(),
                Some(&f.defaults.key_values),
            ),
            (
                format!("resources.{}", prod.name),
                f.resources.get(&prod.name),
            ),
        ] {
            let Some(o) = o else { continue };
            if !check_applicable(o, &path, Target::KeyValue, p) {
                continue;
            }
            let mut rec = Recorder {
                changes,
                loc: &overlay.locations,
                resource: k.name.clone(),
                label: path.clone(),
            };
            let mut ip = Some(k.ip_allow_list.clone());
            apply_common(
                o,
                Target::KeyValue,
                &path,
                &mut rec,
                Common {
                    plan: &mut k.plan,
                    region: &mut k.region,
                    ip: &mut ip,
                },
                p,
            );
            k.ip_allow_list = ip.unwrap_or_default();
            if o.plan.is_some() {
                k.api_plan = None;
            }
            if let Some(v) = &o.maxmemory_policy
                && check_enum(
                    p,
                    &format!("{path}.maxmemoryPolicy"),
                    v,
                    MAXMEMORY,
                    "maxmemoryPolicy",
                )
            {
                rec.set("maxmemoryPolicy", &mut k.maxmemory_policy, Some(v.clone()));
            }
            if let Some(v) = o.persistence_mode {
                rec.set(
                    "persistenceMode",
                    &mut k.persistence_mode,
                    Some(v.as_str().to_string()),
                );
                k.unexpressed.persistence_mode = None;
            }
        }
        if let Some(api) = k.api_plan.take() {
            p.at(
                &format!("resources.{}", prod.name),
                format!(
                    "key value `{}` runs on plan `{api}`, which has no Blueprint equivalent",
                    prod.name
                ),
                Some(format!(
                    "choose one: resources.{}.plan: standard",
                    prod.name
                )),
            );
        }
        out.push(StagingKeyValue {
            production_name: prod.name.clone(),
            key_value: k,
        });
    }
    out
}
