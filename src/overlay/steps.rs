//! Manual steps: what Render's Blueprint sync will not do, with the exact action.

use super::*;
use crate::model::Snapshot;

pub(super) fn add_manual_steps(snapshot: &Snapshot, staging: &mut Staging) {
    let mut steps = Vec::new();
    let step = |kind, resource: &str, what: String, action: String| ManualStep {
        kind,
        resource: resource.to_string(),
        what,
        action,
    };

    for s in &staging.services {
        let name = &s.service.name;
        let svc = &s.service;
        for f in &svc.secret_files {
            steps.push(step(
                StepKind::SecretFile,
                name,
                format!("secret file {} (mounted at /etc/secrets/{})", f.name, f.name),
                format!("Dashboard → {name} → Environment → Secret Files → add {}, or PUT /v1/services/{{serviceId}}/secret-files/{}", f.name, f.name),
            ));
        }
        let mut immutable = vec![
            format!("type {}", svc.kind.blueprint_type()),
            format!("runtime {}", svc.runtime),
        ];
        if let Some(r) = &svc.region {
            immutable.push(format!("region {r}"));
        }
        steps.push(step(
            StepKind::Immutable,
            name,
            immutable.join(", "),
            format!("if {name} already exists with different values, sync fails: delete it or choose another name"),
        ));
        match &svc.build_filter {
            Some(f) => steps.push(step(
                StepKind::ReplaceSemantics,
                name,
                format!(
                    "buildFilter ({} paths, {} ignored paths)",
                    f.paths.len(),
                    f.ignored_paths.len()
                ),
                "sync replaces the live build filter with exactly this one".into(),
            )),
            None => steps.push(step(
                StepKind::ReplaceSemantics,
                name,
                "no buildFilter".into(),
                "sync clears any build filter set on the live service".into(),
            )),
        }
        if let Some(b) = svc
            .branch
            .as_ref()
            .filter(|_| previews_build_pull_requests(staging.previews.as_ref(), svc))
        {
            steps.push(step(
                StepKind::Unexpressed,
                name,
                format!("branch {b} (not written: with previews on, a fixed branch makes previews build it instead of the pull request's)"),
                format!("sync this Blueprint from branch {b}, which the service then builds, or turn previews off to write the branch"),
            ));
        }
        if let Some(d) = &svc.disk {
            steps.push(step(
                StepKind::DiskGrowOnly,
                name,
                format!(
                    "disk {} at {} ({} GB)",
                    d.name,
                    d.mount_path,
                    d.size_gb
                        .map(|g| g.to_string())
                        .unwrap_or_else(|| "default 10".into())
                ),
                "a disk can grow but never shrink: lowering sizeGB later makes sync fail".into(),
            ));
        }
        let u = &svc.unexpressed;
        if svc.maintenance_mode.as_ref().is_some_and(|m| m.enabled)
            && !staging.changes.iter().any(|c| {
                &c.resource == name
                    && c.field == "maintenanceMode"
                    && !matches!(c.cause, Cause::Automatic { .. })
            })
        {
            steps.push(step(
                StepKind::MaintenanceOn,
                name,
                "production is in maintenance mode, so staging starts in it too".into(),
                format!(
                    "to serve staging, set resources.{}.maintenanceMode: {{enabled: false}} (or defaults.services.maintenanceMode); Dashboard → {name} → Settings → Maintenance Mode turns it off until the next sync",
                    s.production_name
                ),
            ));
        }
        if let Some(n) = &u.notify_on_fail {
            steps.push(step(
                StepKind::Unexpressed,
                name,
                format!("production notifies on failed deploys: {n}"),
                format!("Dashboard → {name} → Settings → Notifications"),
            ));
        }
        if let Some(b) = &u.build_plan {
            steps.push(step(
                StepKind::Unexpressed,
                name,
                format!("production build plan {b}"),
                format!("Dashboard → {name} → Settings → Build Plan"),
            ));
        }
        if let Some(c) = &u.cache_profile {
            steps.push(step(
                StepKind::Unexpressed,
                name,
                format!("production edge cache profile {c}"),
                format!("Dashboard → {name} → Settings → Edge Caching"),
            ));
        }
        if let Some(r) = &u.internal_routing {
            steps.push(step(
                StepKind::Unexpressed,
                name,
                format!("production internal routing {r}"),
                "set when creating the service (API only)".into(),
            ));
        }
        if !svc.routes.is_empty() || !svc.headers.is_empty() {
            steps.push(step(
                StepKind::ReplaceSemantics,
                name,
                format!("{} headers, {} routes", svc.headers.len(), svc.routes.len()),
                "sync adds these but keeps rules already on the live site; remove stale ones in Dashboard → Redirects/Rewrites and Headers".into(),
            ));
        }
    }
    for g in &staging.env_groups {
        for f in &g.secret_files {
            steps.push(step(
                StepKind::SecretFile,
                &g.name,
                format!("secret file {f} in env group {}", g.name),
                format!(
                    "Dashboard → Env Groups → {} → Secret Files → add {f}",
                    g.name
                ),
            ));
        }
    }
    for d in &staging.databases {
        let db = &d.database;
        let name = &db.name;
        let mut immutable = Vec::new();
        for (field, v) in [
            ("region", &db.region),
            ("databaseName", &db.database_name),
            ("user", &db.user),
            ("postgresMajorVersion", &db.postgres_major_version),
        ] {
            if let Some(v) = v {
                immutable.push(format!("{field} {v}"));
            }
        }
        steps.push(step(
            StepKind::Immutable,
            name,
            format!("name, {}", immutable.join(", ")),
            format!("if {name} already exists with different values, sync fails: these cannot change after creation"),
        ));
        steps.push(step(
            StepKind::ReplaceSemantics,
            name,
            format!(
                "readReplicas: {}",
                if db.read_replicas.is_empty() {
                    "none".to_string()
                } else {
                    db.read_replicas
                        .iter()
                        .map(|r| r.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            "the list is authoritative: sync destroys live replicas that are not listed".into(),
        ));
        if let Some(size) = db.disk_size_gb {
            steps.push(step(
                StepKind::DiskGrowOnly,
                name,
                format!("diskSizeGB {size}"),
                "storage can grow but never shrink".into(),
            ));
        }
        let u = &db.unexpressed;
        if let Some(pool) = &u.connection_pool {
            steps.push(step(
                StepKind::Unexpressed,
                name,
                format!(
                    "production connection pooling: {pool} (the Blueprint has no spelling for it)"
                ),
                format!("Dashboard → {name} → Connection Pooling"),
            ));
        }
        if !u.parameter_overrides.is_empty() {
            let keys: Vec<&str> = u.parameter_overrides.keys().map(String::as_str).collect();
            steps.push(step(
                StepKind::Unexpressed,
                name,
                format!("production parameter overrides: {}", keys.join(", ")),
                format!("PATCH /v1/postgres/{{postgresId}} with parameterOverrides, or Dashboard → {name}"),
            ));
        }
    }
    for k in &staging.key_values {
        let kv = &k.key_value;
        if let Some(r) = &kv.region {
            steps.push(step(
                StepKind::Immutable,
                &kv.name,
                format!("region {r}"),
                format!(
                    "if {} already exists in another region, sync fails",
                    kv.name
                ),
            ));
        }
        if let Some(mode) = &kv.unexpressed.persistence_mode {
            steps.push(step(
                StepKind::Unexpressed,
                &kv.name,
                format!("production persistence mode {mode}"),
                format!(
                    "Dashboard → {} → Persistence (the Blueprint has no spelling for this mode)",
                    kv.name
                ),
            ));
        }
    }
    for c in &staging.changes {
        if let Cause::Automatic { reason } = &c.cause
            && c.field == "plan"
        {
            steps.push(step(
                StepKind::PlanMapped,
                &c.resource,
                reason.clone(),
                "check the mapped plan fits staging, or set resources.<name>.plan".into(),
            ));
        }
    }
    for b in &snapshot.blueprints {
        for r in &b.resources {
            if staging.not_copied.iter().any(|n| &n.name == r) {
                continue;
            }
            steps.push(step(
                StepKind::ManagedElsewhere,
                r,
                format!("production resource {r} is managed by Blueprint {} ({})", b.name, b.path.as_deref().unwrap_or("render.yaml")),
                "make sure that Blueprint never lists the staging copy: a resource must be managed by one Blueprint".into(),
            ));
        }
    }
    for p in &snapshot.projects {
        for e in &p.environments {
            if e.ip_allow_list.as_ref().is_some_and(|l| !l.is_empty()) {
                steps.push(step(
                    StepKind::Unexpressed,
                    &format!("{}/{}", p.name, e.name),
                    "production environment has an inbound IP allow list".into(),
                    "Dashboard → project → environment → Settings, if staging should match".into(),
                ));
            }
        }
    }
    // The API version stageprint reads has no list of workflows or of shared build sources
    // (Blueprint `buildSources`), so a snapshot cannot see them.
    steps.push(step(
        StepKind::NotCopied,
        "workflows and build sources",
        "the Render API does not list workflows or shared build sources, so the snapshot has none".into(),
        "if production has any, add them to the staging Blueprint by hand (type: workflow, buildSources)".into(),
    ));
    staging.manual_steps.extend(steps);
}

/// Previews of `svc` build each pull request's branch (its own previews, or the
/// Blueprint's preview environments), so the Blueprint must not fix its `branch`.
pub(crate) fn previews_build_pull_requests(
    root: Option<&RootPreviews>,
    svc: &crate::model::Service,
) -> bool {
    let on = |g: Option<&str>| matches!(g, Some("manual" | "automatic"));
    on(root.and_then(|p| p.generation.as_deref()))
        || (svc.kind != crate::model::ServiceKind::Cron && on(svc.previews.as_deref()))
}
