//! Semantic checks: what Render rejects (or silently ignores) although a JSON Schema lets
//! it through. Each check is a function over the resources of the Blueprint; all of them
//! run, and every finding is kept.
//!
//! Sources: `blueprint-spec.md` and `api-to-blueprint.md` (Render's docs, skills and
//! schema, where they disagree the stricter reading is a warning, not an error).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::Value;

use super::blueprint::{self, Kind, Resource, Scope, items};
use super::cron::{self, CronError};
use super::schema::printable_key;
use super::{Finding, Options, Severity, ticks};
use crate::model::{
    BLUEPRINT_SIZED_PLANS, POSTGRES_COMPUTE_PLANS, PlanKind, is_legacy_postgres_plan,
};
use crate::yaml::{Locations, child_index, child_key, suggest};

/// Native runtimes build with `buildCommand` and start with `startCommand`.
const NATIVE_RUNTIMES: &[&str] = &["node", "python", "go", "ruby", "rust", "elixir"];
const DATABASE_PROPERTIES: &[&str] = &[
    "connectionString",
    "connectionPoolString",
    "host",
    "port",
    "user",
    "password",
    "database",
];
const MAX_READ_REPLICAS: usize = 5;

/// Run every semantic check.
pub fn check(doc: &Value, locations: &Locations, opts: &Options) -> Vec<Finding> {
    let resources = blueprint::resources(doc);
    let mut c = Checker {
        loc: locations,
        opts,
        out: Vec::new(),
        previews_on: root_previews_on(doc),
    };
    c.root(doc, &resources);
    c.projects(doc);
    c.names(&resources);
    let index = Index::new(&resources);
    for r in &resources {
        match r.kind {
            Kind::Service => c.service(r),
            Kind::KeyValue => c.key_value(r),
            Kind::Database => c.database(r),
            Kind::EnvGroup => c.env_group(r),
        }
        c.env_vars(r, &index);
    }
    c.out
}

struct Checker<'a> {
    loc: &'a Locations,
    opts: &'a Options,
    out: Vec<Finding>,
    /// Root preview environments are on: a hard-coded `branch` would break them.
    previews_on: bool,
}

fn root_previews_on(doc: &Value) -> bool {
    let generation = doc.pointer("/previews/generation").and_then(Value::as_str);
    matches!(generation, Some("manual" | "automatic"))
        || doc.get("previewsEnabled") == Some(&Value::Bool(true))
}

impl Checker<'_> {
    fn error(
        &mut self,
        rule: &'static str,
        path: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.push(Severity::Error, rule, path, message)
    }

    fn warn(&mut self, rule: &'static str, path: &str, message: impl Into<String>) -> &mut Finding {
        self.push(Severity::Warning, rule, path, message)
    }

    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        path: &str,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.out
            .push(Finding::at(self.loc, severity, rule, path, message));
        self.out.last_mut().expect("just pushed")
    }

    /// Keys the schema leaves open (Render's schema has no `additionalProperties: false`
    /// there): an unknown one is a typo Render would drop or reject.
    fn known_keys(&mut self, path: &str, v: &Value, known: &[&str], what: &str) {
        let Some(map) = v.as_object() else { return };
        let known_owned: Vec<String> = known.iter().map(|k| k.to_string()).collect();
        for k in map.keys() {
            if !known.contains(&k.as_str()) {
                let hint = match suggest(k, &known_owned) {
                    Some(best) => format!("did you mean `{best}`? Allowed: {}", ticks(known)),
                    None => format!("allowed: {}", ticks(known)),
                };
                self.error(
                    "unknown-key",
                    &child_key(path, k),
                    format!("{} is not a field of {what}", printable_key(k)),
                )
                .hint = Some(hint);
            }
        }
    }

    fn root(&mut self, doc: &Value, resources: &[Resource]) {
        if !doc.is_object() {
            return; // the schema says so
        }
        if resources.is_empty() {
            self.warn(
                "empty",
                "",
                "the Blueprint defines no services, databases or env groups",
            );
        }
        for (key, new) in [
            ("previewsEnabled", "previews.generation"),
            ("previewsExpireAfterDays", "previews.expireAfterDays"),
        ] {
            if doc.get(key).is_some() {
                self.warn("deprecated", key, format!("`{key}` is deprecated"))
                    .hint = Some(format!("use `{new}`"));
            }
        }
    }

    fn projects(&mut self, doc: &Value) {
        let mut projects: BTreeMap<&str, String> = BTreeMap::new();
        for (pi, p) in items(doc.get("projects")) {
            let ppath = child_index("projects", pi);
            if let Some(name) = p.get("name").and_then(Value::as_str) {
                if let Some(first) = projects.get(name) {
                    let line = self.line(first);
                    self.error(
                        "duplicate-name",
                        &child_key(&ppath, "name"),
                        format!("project `{name}` is defined twice (first at line {line})"),
                    );
                } else {
                    projects.insert(name, child_key(&ppath, "name"));
                }
            }
            let envs = p.get("environments").and_then(Value::as_array);
            if envs.is_some_and(Vec::is_empty) {
                self.error(
                    "empty",
                    &child_key(&ppath, "environments"),
                    "a project needs at least one environment",
                );
            }
            let mut names: BTreeMap<&str, String> = BTreeMap::new();
            for (ei, e) in items(p.get("environments")) {
                let epath = child_index(&child_key(&ppath, "environments"), ei);
                let Some(name) = e.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(first) = names.get(name) {
                    let line = self.line(first);
                    self.error(
                        "duplicate-name",
                        &child_key(&epath, "name"),
                        format!("environment `{name}` is defined twice in project `{}` (first at line {line})", p["name"].as_str().unwrap_or("?")),
                    );
                } else {
                    names.insert(name, child_key(&epath, "name"));
                }
            }
        }
    }

    fn line(&self, path: &str) -> usize {
        self.loc.span(path).pos.line
    }

    /// Names are unique per namespace: services (with Key Value), databases (with read
    /// replicas, which `fromDatabase` can name), env groups. Render matches resources by
    /// name, so a repeat in one scope (or between the top level and an environment) makes
    /// two entries fight over one resource. In two different environments Render's docs
    /// allow it while its schema text does not: a warning.
    fn names(&mut self, resources: &[Resource]) {
        let mut seen: BTreeMap<(&'static str, &str), Vec<(Scope, String)>> = BTreeMap::new();
        for r in resources {
            if !r.value.is_object() {
                continue;
            }
            let ns = namespace(r.kind);
            let Some(name) = r.name() else { continue };
            let mut entries = vec![(name, r.at("name"))];
            if r.kind == Kind::Database {
                for (i, rep) in items(r.field("readReplicas")) {
                    if let Some(n) = rep.get("name").and_then(Value::as_str) {
                        entries
                            .push((n, child_key(&child_index(&r.at("readReplicas"), i), "name")));
                    }
                }
            }
            for (name, path) in entries {
                if name.trim().is_empty() {
                    self.error("empty", &path, "a name cannot be empty");
                    continue;
                }
                let earlier = seen.entry((ns, name)).or_default();
                if let Some((scope, first)) =
                    earlier.iter().find(|(s, _)| clashes(s, &r.scope)).cloned()
                {
                    let line = self.line(&first);
                    self.error(
                        "duplicate-name",
                        &path,
                        format!("{ns} name `{name}` is used twice (first at line {line}, {scope})"),
                    )
                    .hint =
                        Some("Render matches resources by name: give each one its own name".into());
                } else if let Some((scope, first)) = earlier.first().cloned() {
                    let line = self.line(&first);
                    self.warn(
                        "duplicate-name",
                        &path,
                        format!("{ns} name `{name}` is also used {scope} (line {line})"),
                    )
                    .hint = Some("Render's docs allow one name in two environments, its schema says names are unique in a Blueprint".into());
                }
                earlier.push((r.scope.clone(), path));
            }
        }
    }

    fn service(&mut self, r: &Resource) {
        let Some(t) = r.str("type") else { return };
        let runtime = r.str("runtime");
        if t == "web" && runtime.is_none() {
            self.warn(
                "missing-field",
                &r.path,
                format!(
                    "{} has no `runtime`: Render reads it as a static site",
                    r.describe()
                ),
            )
            .hint = Some("write `runtime: static`, or the runtime the service needs".into());
        }
        // A web service without a runtime is a static site, unless a shared build source
        // says how it is built.
        let is_static = t == "web"
            && (runtime == Some("static") || (runtime.is_none() && !r.has("buildSource")));
        let native = runtime.is_some_and(|rt| NATIVE_RUNTIMES.contains(&rt));
        let what = if is_static {
            "a static site".to_string()
        } else {
            format!("a {t} service")
        };

        self.open_shapes(r);
        if is_static {
            for key in [
                "plan",
                "region",
                "numInstances",
                "scaling",
                "disk",
                "healthCheckPath",
                "startCommand",
                "dockerCommand",
                "dockerfilePath",
                "dockerContext",
                "registryCredential",
                "image",
                "maxShutdownDelaySeconds",
                "initialDeployHook",
                "previewPlan",
            ] {
                if r.has(key) {
                    self.error(
                        "field-not-for-type",
                        &r.at(key),
                        format!("`{key}` does not apply to {what}"),
                    );
                }
            }
            for key in ["plan", "numInstances"] {
                if r.field("previews").and_then(|p| p.get(key)).is_some() {
                    self.error(
                        "field-not-for-type",
                        &child_key(&r.at("previews"), key),
                        format!("`previews.{key}` does not apply to {what}"),
                    );
                }
            }
            if !r.has("staticPublishPath") {
                self.error(
                    "missing-field",
                    &r.path,
                    format!("{} needs `staticPublishPath`", r.describe()),
                )
                .hint = Some("the directory the build writes the site to, e.g. `./dist`".into());
            }
        } else {
            if r.has("healthCheckPath") && t != "web" {
                self.error(
                    "field-not-for-type",
                    &r.at("healthCheckPath"),
                    format!("`healthCheckPath` applies to web services only, not to {what}"),
                );
            }
            for key in ["domains", "domain", "renderSubdomainPolicy"] {
                if r.has(key) && t != "web" {
                    self.error(
                        "field-not-for-type",
                        &r.at(key),
                        format!(
                            "`{key}` applies to web services and static sites only, not to {what}"
                        ),
                    );
                }
            }
            if r.has("ipAllowList") && t != "web" {
                self.warn("field-not-for-type", &r.at("ipAllowList"), format!("`ipAllowList` is documented for web services and static sites, not for {what}"));
            }
            self.runtime_fields(r, runtime, native);
            self.service_plan(r, t);
            self.scaling(r);
        }
        if r.has("domain") {
            self.warn("deprecated", &r.at("domain"), "`domain` is deprecated")
                .hint = Some("use `domains: [...]`".into());
        }
        self.deploy_fields(r, runtime);
        if t == "cron"
            && let Some(s) = r.str("schedule")
        {
            match cron::check(s) {
                Ok(()) => {}
                Err(CronError::Macro) => {
                    self.warn(
                        "cron-schedule",
                        &r.at("schedule"),
                        "schedule macros such as `@daily` are not documented for Render",
                    )
                    .hint = Some(
                        "write five fields, e.g. `0 0 * * *` for daily at midnight UTC".into(),
                    );
                }
                Err(CronError::Invalid(why)) => {
                    self.error(
                        "cron-schedule",
                        &r.at("schedule"),
                        format!("invalid cron schedule: {why}"),
                    );
                }
            }
        }
    }

    /// Objects Render's schema leaves open or untyped.
    fn open_shapes(&mut self, r: &Resource) {
        for (list, known, what) in [
            ("headers", &["path", "name", "value"][..], "a header rule"),
            (
                "routes",
                &["type", "source", "destination"][..],
                "a route rule",
            ),
        ] {
            for (i, item) in items(r.field(list)) {
                self.known_keys(&child_index(&r.at(list), i), item, known, what);
            }
        }
        if let Some(f) = r.field("buildFilter") {
            self.known_keys(
                &r.at("buildFilter"),
                f,
                &["paths", "ignoredPaths"],
                "`buildFilter`",
            );
        }
        let image_creds = r
            .field("image")
            .and_then(|i| i.get("creds"))
            .map(|c| (child_key(&r.at("image"), "creds"), c));
        for (path, creds) in r
            .field("registryCredential")
            .map(|c| (r.at("registryCredential"), c))
            .into_iter()
            .chain(image_creds)
        {
            if !creds.is_object() {
                self.error(
                    "shape",
                    &path,
                    "a registry credential is `{ fromRegistryCreds: { name: <credential name> } }`",
                );
            }
        }
    }

    /// Commands and build sources that depend on the runtime.
    fn runtime_fields(&mut self, r: &Resource, runtime: Option<&str>, native: bool) {
        let Some(rt) = runtime else { return };
        let t = r.str("type").unwrap_or("");
        let on = format!("runtime `{rt}`");
        if r.has("startCommand") && matches!(rt, "docker" | "image") {
            self.error(
                "field-not-for-runtime",
                &r.at("startCommand"),
                format!("`startCommand` does not apply to {on}"),
            )
            .hint = Some(
                "Docker and image services start with `dockerCommand` (default: the image's CMD)"
                    .into(),
            );
        }
        if r.has("dockerCommand") && !matches!(rt, "docker" | "image") {
            self.error(
                "field-not-for-runtime",
                &r.at("dockerCommand"),
                format!("`dockerCommand` applies to docker and image runtimes only, not to {on}"),
            )
            .hint = Some("native runtimes start with `startCommand`".into());
        }
        for key in ["dockerfilePath", "dockerContext", "registryCredential"] {
            if r.has(key) && rt != "docker" {
                let extra = if rt == "image" && key == "registryCredential" {
                    " (an image service uses `image.creds`)"
                } else {
                    ""
                };
                self.error(
                    "field-not-for-runtime",
                    &r.at(key),
                    format!("`{key}` applies to the docker runtime only, not to {on}{extra}"),
                );
            }
        }
        if rt == "image" {
            if !r.has("image") {
                self.error(
                    "missing-field",
                    &r.path,
                    format!("{} has runtime `image` but no `image`", r.describe()),
                )
                .hint = Some("add `image: { url: registry/name:tag }`".into());
            }
            if r.has("buildCommand") {
                self.error(
                    "field-not-for-runtime",
                    &r.at("buildCommand"),
                    "an image service pulls a prebuilt image: `buildCommand` is not run",
                );
            }
            for key in ["repo", "branch", "rootDir", "buildFilter"] {
                if r.has(key) {
                    self.warn(
                        "field-not-for-runtime",
                        &r.at(key),
                        format!("an image service is not built from a repo: `{key}` has no effect"),
                    );
                }
            }
        } else if r.has("image") {
            self.error(
                "field-not-for-runtime",
                &r.at("image"),
                format!("`image` applies to runtime `image` only, not to {on}"),
            );
        }
        if rt == "docker" && r.has("buildCommand") {
            self.error(
                "field-not-for-runtime",
                &r.at("buildCommand"),
                "a docker service builds from its Dockerfile: `buildCommand` is not run",
            )
            .hint = Some("put build steps in the Dockerfile".into());
        }
        if native {
            let needed: &[&str] = if t == "workflow" {
                &["buildCommand"]
            } else {
                &["buildCommand", "startCommand"]
            };
            for key in needed {
                if !r.has(key) {
                    self.error(
                        "missing-command",
                        &r.path,
                        format!("{} has runtime `{rt}` but no `{key}`", r.describe()),
                    )
                    .hint = Some(format!(
                        "native runtimes need `{key}`; Render has no default for a new service"
                    ));
                }
            }
        }
    }

    fn service_plan(&mut self, r: &Resource, t: &str) {
        let allowed: Vec<&str> = match t {
            "web" | "workflow" => PlanKind::Web.plans(),
            "pserv" | "worker" => PlanKind::PrivateOrWorker.plans(),
            "cron" => PlanKind::Cron.plans(),
            _ => return,
        };
        let what = format!("a {t} service");
        let previews_plan = r.field("previews").and_then(|p| p.get("plan"));
        for (path, plan) in [
            (r.at("plan"), r.field("plan")),
            (r.at("previewPlan"), r.field("previewPlan")),
            (child_key(&r.at("previews"), "plan"), previews_plan),
        ] {
            let Some(plan) = plan.and_then(Value::as_str) else {
                continue;
            };
            if !allowed.contains(&plan) && is_known_plan(plan) {
                let why = if plan == "free" {
                    format!("there is no free instance type for {what}")
                } else if PlanKind::Postgres.accepts(plan) && !PlanKind::Web.accepts(plan) {
                    format!("`{plan}` is a Postgres instance type")
                } else if PlanKind::KeyValue.accepts(plan) && !PlanKind::Web.accepts(plan) {
                    format!("`{plan}` is a Key Value instance type")
                } else {
                    format!("{what} cannot use plan `{plan}`")
                };
                self.error("plan", &path, why).hint =
                    Some(format!("{what} takes {}", plan_ranges(&allowed)));
            }
        }
        if r.has("previewPlan") {
            self.warn(
                "deprecated",
                &r.at("previewPlan"),
                "`previewPlan` is deprecated on services",
            )
            .hint = Some("use `previews.plan`".into());
        }
        if r.str("plan") == Some("free") {
            if r.has("disk") {
                self.error(
                    "plan",
                    &r.at("disk"),
                    "a disk needs a paid instance type; this service is on `free`",
                );
            }
            if r.has("preDeployCommand") {
                self.warn(
                    "plan",
                    &r.at("preDeployCommand"),
                    "a pre-deploy command is not available on the `free` instance type",
                );
            }
        }
    }

    fn scaling(&mut self, r: &Resource) {
        let scaling = r.field("scaling");
        let instances = r.field("numInstances").and_then(Value::as_u64);
        if r.has("disk") {
            if let Some(n) = instances.filter(|n| *n > 1) {
                self.error(
                    "disk-scaling",
                    &r.at("numInstances"),
                    format!("a service with a disk runs one instance; `numInstances` is {n}"),
                )
                .hint = Some("remove the disk or set `numInstances: 1`".into());
            }
            if scaling.is_some() {
                self.error(
                    "disk-scaling",
                    &r.at("scaling"),
                    "a service with a disk cannot autoscale",
                )
                .hint = Some("remove `scaling` or the disk".into());
            }
        }
        let Some(s) = scaling else { return };
        let path = r.at("scaling");
        self.known_keys(
            &path,
            s,
            &[
                "minInstances",
                "maxInstances",
                "targetCPUPercent",
                "targetMemoryPercent",
            ],
            "`scaling`",
        );
        let min = s.get("minInstances").and_then(Value::as_u64);
        let max = s.get("maxInstances").and_then(Value::as_u64);
        for (key, v) in [("minInstances", min), ("maxInstances", max)] {
            if v.is_none() && s.get(key).is_none() {
                self.error("scaling", &path, format!("`scaling` needs `{key}`"));
            }
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            self.error(
                "scaling",
                &child_key(&path, "minInstances"),
                format!("`minInstances` ({lo}) is greater than `maxInstances` ({hi})"),
            );
        }
        if s.get("targetCPUPercent").is_none() && s.get("targetMemoryPercent").is_none() {
            self.warn("scaling", &path, "autoscaling without `targetCPUPercent` or `targetMemoryPercent` has nothing to scale on");
        }
        if instances.is_some() {
            self.warn(
                "scaling",
                &r.at("numInstances"),
                "`numInstances` is ignored while autoscaling is on",
            );
        }
    }

    fn deploy_fields(&mut self, r: &Resource, runtime: Option<&str>) {
        if r.has("autoDeploy") {
            let hint = if r.has("autoDeployTrigger") {
                "`autoDeployTrigger` wins; remove `autoDeploy`"
            } else {
                "use `autoDeployTrigger: commit` or `'off'`"
            };
            self.warn(
                "deprecated",
                &r.at("autoDeploy"),
                "`autoDeploy` is deprecated",
            )
            .hint = Some(hint.into());
        }
        if r.has("pullRequestPreviewsEnabled") {
            self.warn(
                "deprecated",
                &r.at("pullRequestPreviewsEnabled"),
                "`pullRequestPreviewsEnabled` is deprecated",
            )
            .hint = Some("use `previews.generation`".into());
        }
        if runtime == Some("image") && r.has("autoDeployTrigger") {
            self.warn(
                "field-not-for-runtime",
                &r.at("autoDeployTrigger"),
                "`autoDeployTrigger` has no effect on an image service",
            );
        }
        let generation = r
            .field("previews")
            .and_then(|p| p.get("generation"))
            .and_then(Value::as_str);
        if generation == Some("off") {
            self.warn("previews", &child_key(&r.at("previews"), "generation"), "services take `manual` or `automatic` previews; omit `previews.generation` to turn them off");
        }
        let service_previews = matches!(generation, Some("manual" | "automatic"))
            || r.field("pullRequestPreviewsEnabled") == Some(&Value::Bool(true));
        if r.has("branch") && (self.previews_on || service_previews) {
            self.warn(
                "previews",
                &r.at("branch"),
                "a fixed `branch` makes previews build that branch instead of the pull request's",
            )
            .hint = Some("remove `branch` when previews are on".into());
        }
    }

    fn key_value(&mut self, r: &Resource) {
        if r.str("type") == Some("redis") {
            self.warn("deprecated", &r.at("type"), "`type: redis` is deprecated")
                .hint = Some("use `type: keyvalue`".into());
        }
        for key in ["plan", "previewPlan"] {
            if let Some(plan) = r
                .str(key)
                .filter(|p| is_known_plan(p) && !PlanKind::KeyValue.accepts(p))
            {
                self.error(
                    "plan",
                    &r.at(key),
                    format!("a Key Value cannot use plan `{plan}`"),
                )
                .hint = Some(format!(
                    "Key Value takes {}",
                    plan_ranges(&PlanKind::KeyValue.plans())
                ));
            }
        }
        self.ip_allow_list(r);
    }

    fn database(&mut self, r: &Resource) {
        let plan = r.str("plan");
        let family = |p: &str| {
            if is_legacy_postgres_plan(p) {
                Some("legacy")
            } else if p == "free"
                || BLUEPRINT_SIZED_PLANS.contains(&p)
                || POSTGRES_COMPUTE_PLANS.contains(&p)
            {
                Some("current")
            } else {
                None
            }
        };
        for key in ["plan", "previewPlan"] {
            if let Some(p) = r
                .str(key)
                .filter(|p| is_known_plan(p) && family(p).is_none())
            {
                self.error("plan", &r.at(key), format!("`{p}` is not a Postgres instance type"))
                    .hint = Some("Postgres takes `free`, `basic-256mb`…`basic-4gb`, `pro-4gb`…`pro-512gb`, `accelerated-16gb`…`accelerated-1024gb`, `0.1c-256mb`…`128c-1024g`".into());
            }
        }
        if let Some(p) = plan.filter(|p| is_legacy_postgres_plan(p)) {
            self.warn("plan", &r.at("plan"), format!("`{p}` is a legacy Postgres instance type: no new database can be created on it"))
                .hint = Some("choose a current type such as `basic-1gb` or `pro-4gb` (moving from legacy is one-way)".into());
        }
        if let (Some(p), Some(pp)) = (plan, r.str("previewPlan"))
            && let (Some(a), Some(b)) = (family(p), family(pp))
            && a != b
        {
            self.error(
                "plan",
                &r.at("previewPlan"),
                format!("`previewPlan` `{pp}` is a {b} instance type but `plan` `{p}` is {a}"),
            )
            .hint = Some(
                "a preview database must use the same family (current or legacy) as the database"
                    .into(),
            );
        }
        for key in ["diskSizeGB", "previewDiskSizeGB"] {
            let Some(size) = r.field(key).and_then(Value::as_u64) else {
                continue;
            };
            if size != 1 && size % 5 != 0 {
                self.error(
                    "disk-size",
                    &r.at(key),
                    format!("`{key}` is {size}: it must be 1 or a multiple of 5"),
                );
            }
            if plan.is_some_and(is_legacy_postgres_plan) {
                self.error(
                    "disk-size",
                    &r.at(key),
                    format!("`{key}` cannot be set on a legacy instance type"),
                );
            }
        }
        if let Some(replicas) = r.field("readReplicas").and_then(Value::as_array) {
            if replicas.len() > MAX_READ_REPLICAS {
                self.error(
                    "read-replicas",
                    &r.at("readReplicas"),
                    format!(
                        "{} read replicas; Render allows at most {MAX_READ_REPLICAS}",
                        replicas.len()
                    ),
                );
            }
            for (i, rep) in replicas.iter().enumerate() {
                if rep.get("name").is_none() {
                    self.error(
                        "read-replicas",
                        &child_index(&r.at("readReplicas"), i),
                        "a read replica needs a `name`",
                    );
                }
            }
        }
        if r.field("highAvailability").and_then(|h| h.get("enabled")) == Some(&Value::Bool(true)) {
            let path = r.at("highAvailability");
            match plan {
                Some(p) if p.starts_with("pro-") || p.starts_with("accelerated-") => {}
                Some(p) => {
                    self.error(
                        "high-availability",
                        &path,
                        format!(
                            "high availability needs a Pro or Accelerated instance type, not `{p}`"
                        ),
                    );
                }
                None => {
                    self.warn("high-availability", &path, "high availability needs a Pro or Accelerated instance type; `plan` is not set");
                }
            }
            let version = r
                .str("postgresMajorVersion")
                .and_then(|v| v.parse::<u32>().ok());
            if let Some(v) = version.filter(|v| *v < 13) {
                self.error(
                    "high-availability",
                    &path,
                    format!("high availability needs PostgreSQL 13 or newer, not {v}"),
                );
            }
        }
        self.ip_allow_list(r);
    }

    fn ip_allow_list(&mut self, r: &Resource) {
        for (i, rule) in items(r.field("ipAllowList")) {
            let path = child_index(&r.at("ipAllowList"), i);
            self.known_keys(
                &path,
                rule,
                &["source", "description"],
                "an `ipAllowList` entry",
            );
            if let Some(src) = rule.get("source").and_then(Value::as_str)
                && !is_cidr(src)
            {
                self.error(
                    "ip-allow-list",
                    &child_key(&path, "source"),
                    format!("`{src}` is not an IP address or CIDR block"),
                );
            }
        }
    }

    fn env_group(&mut self, r: &Resource) {
        if !r.value.is_object() {
            self.error(
                "shape",
                &r.path,
                "an env group must be a mapping with `name` and `envVars`",
            );
        }
        for (path, v) in r.env_vars() {
            if v.get("sync") == Some(&Value::Bool(false)) {
                self.warn("env-group-var", &child_key(&path, "sync"), format!("{}: Render ignores `sync: false` inside an env group", env_label(v, r)))
                    .hint = Some("set the value by hand after the sync, or move the variable to the services that need it".into());
            }
        }
    }

    /// Env vars of a service or env group: one source each, unique keys, references that
    /// resolve to the right kind of resource.
    fn env_vars(&mut self, r: &Resource, index: &Index) {
        let mut keys: BTreeMap<&str, String> = BTreeMap::new();
        let mut groups: BTreeSet<&str> = BTreeSet::new();
        for (path, v) in r.env_vars() {
            if !v.is_object() {
                continue; // the schema says so
            }
            if let Some(k) = v.get("key").and_then(Value::as_str) {
                if k.is_empty() {
                    self.error(
                        "env-var",
                        &child_key(&path, "key"),
                        "an env var key cannot be empty",
                    );
                } else if let Some(first) = keys.get(k) {
                    let line = self.line(first);
                    self.error(
                        "duplicate-key",
                        &child_key(&path, "key"),
                        format!(
                            "`{k}` is set twice in {} (first at line {line})",
                            r.describe()
                        ),
                    );
                } else {
                    keys.insert(k, child_key(&path, "key"));
                }
            }
            if let Some(g) = v.get("fromGroup").and_then(Value::as_str) {
                if !groups.insert(g) {
                    self.warn(
                        "duplicate-key",
                        &child_key(&path, "fromGroup"),
                        format!("env group `{g}` is linked twice to {}", r.describe()),
                    );
                }
                self.reference(r, &child_key(&path, "fromGroup"), Target::Group, g, index);
                continue;
            }
            if let Some(db) = v.get("fromDatabase") {
                self.database_reference(r, &path, db, index);
                continue;
            }
            if let Some(svc) = v.get("fromService") {
                self.service_reference(r, &path, svc, index);
                continue;
            }
            self.literal(r, &path, v);
        }
    }

    fn literal(&mut self, r: &Resource, path: &str, v: &Value) {
        let label = env_label(v, r);
        let has_value = v.get("value").is_some();
        let generated = v.get("generateValue") == Some(&Value::Bool(true));
        let prompted = v.get("sync") == Some(&Value::Bool(false));
        let in_group = r.kind == Kind::EnvGroup;
        let sources = [has_value, generated, prompted && !in_group]
            .iter()
            .filter(|x| **x)
            .count();
        if sources == 0 && !(in_group && prompted) {
            self.error("env-var", path, format!("{label} has no value"))
                .hint = Some(if in_group { "give it `value:` or `generateValue: true`" } else { "give it `value:`, `generateValue: true`, or `sync: false` for a secret set by hand" }.into());
        } else if sources > 1 {
            self.error(
                "env-var",
                path,
                format!(
                    "{label} has more than one of `value`, `generateValue: true`, `sync: false`"
                ),
            )
            .hint = Some("keep one: Render would use one and ignore the others".into());
        }
        if v.get("generateValue") == Some(&Value::Bool(false)) {
            self.warn(
                "env-var",
                &child_key(path, "generateValue"),
                format!("{label}: `generateValue: false` does nothing"),
            );
        }
        if v.get("sync") == Some(&Value::Bool(true)) {
            self.warn(
                "env-var",
                &child_key(path, "sync"),
                format!("{label}: `sync: true` is the default and does nothing"),
            );
        }
    }

    fn database_reference(&mut self, r: &Resource, path: &str, db: &Value, index: &Index) {
        let rpath = child_key(path, "fromDatabase");
        self.known_keys(&rpath, db, &["name", "property"], "`fromDatabase`");
        if let Some(p) = db.get("property").and_then(Value::as_str)
            && !DATABASE_PROPERTIES.contains(&p)
        {
            self.error(
                "reference",
                &child_key(&rpath, "property"),
                format!("`{p}` is not a database property"),
            )
            .hint = Some(format!("use one of {}", ticks(DATABASE_PROPERTIES)));
        }
        if let Some(name) = db.get("name").and_then(Value::as_str) {
            self.reference(r, &child_key(&rpath, "name"), Target::Database, name, index);
            if db.get("property").and_then(Value::as_str) == Some("connectionPoolString")
                && index.unpooled.contains(name)
            {
                self.warn(
                    "reference",
                    &child_key(&rpath, "property"),
                    format!("database `{name}` is declared with `connectionPool: none`, so it has no pooled connection string"),
                )
                .hint = Some("set `connectionPool: pgbouncer` on the database, or use `property: connectionString`".into());
            }
        }
    }

    fn service_reference(&mut self, r: &Resource, path: &str, svc: &Value, index: &Index) {
        let rpath = child_key(path, "fromService");
        self.known_keys(
            &rpath,
            svc,
            &["type", "name", "property", "envVarKey"],
            "`fromService`",
        );
        let Some(t) = svc.get("type").and_then(Value::as_str) else {
            return;
        };
        let property = svc.get("property").and_then(Value::as_str);
        match (property, svc.get("envVarKey")) {
            (None, None) => {
                self.error(
                    "reference",
                    &rpath,
                    "`fromService` needs `property` or `envVarKey`",
                );
            }
            (Some(_), Some(_)) => {
                self.error(
                    "reference",
                    &rpath,
                    "`fromService` takes `property` or `envVarKey`, not both",
                );
            }
            (Some(p), None) => {
                // Every service has a slug (Render, September 2026); only web services,
                // private services and Key Values have a network address.
                let allowed: &[&str] = match t {
                    "web" | "pserv" => &["host", "port", "hostport", "slug"],
                    "keyvalue" | "redis" => &["host", "port", "connectionString"],
                    "dpg" => DATABASE_PROPERTIES,
                    _ => &["slug"],
                };
                if !allowed.contains(&p) {
                    let hint = if allowed == ["slug"] {
                        format!(
                            "a `{t}` service has no network address to reference; use `slug` or `envVarKey`"
                        )
                    } else {
                        format!("a `{t}` reference takes {}", ticks(allowed))
                    };
                    self.error(
                        "reference",
                        &child_key(&rpath, "property"),
                        format!("`{p}` is not a property of a `{t}` service"),
                    )
                    .hint = Some(hint);
                }
            }
            (None, Some(_)) => {}
        }
        if let Some(name) = svc.get("name").and_then(Value::as_str) {
            let target = if t == "dpg" {
                Target::Database
            } else {
                Target::Service(t)
            };
            self.reference(r, &child_key(&rpath, "name"), target, name, index);
        }
    }

    fn reference(&mut self, r: &Resource, path: &str, target: Target, name: &str, index: &Index) {
        let found: Vec<&Entry> = index.find(target, name);
        if found.is_empty() {
            // A service of another type by that name is a mistake whatever the workspace holds.
            if let Target::Service(t) = target
                && let Some(other) = index.services.get(name).and_then(|v| v.first())
            {
                self.error(
                    "reference",
                    path,
                    format!(
                        "`{name}` is a {} in this Blueprint, not a `{t}` service",
                        other.what
                    ),
                )
                .hint = Some(format!("set `type: {}`", other.reference_type));
                return;
            }
            let what = target.describe();
            let message = format!("{what} `{name}` is not defined in this Blueprint");
            if self.opts.self_contained {
                self.error("unresolved-reference", path, message).hint = Some(format!(
                    "define {} in this Blueprint, or reference one that is",
                    with_article(&what)
                ));
            } else {
                self.warn("unresolved-reference", path, message).hint = Some(format!(
                    "Render resolves it only if {} with that name already exists in the workspace",
                    with_article(&what)
                ));
            }
            return;
        }
        if !found.iter().any(|e| reachable(&r.scope, &e.scope)) {
            self.warn("reference-scope", path, format!("{} `{name}` is defined only {}; references resolve within the same environment", target.describe(), found[0].scope));
        }
    }
}

fn env_label(v: &Value, r: &Resource) -> String {
    match v.get("key").and_then(Value::as_str) {
        Some(k) => format!("`{k}` in {}", r.describe()),
        None => format!("an env var in {}", r.describe()),
    }
}

fn namespace(kind: Kind) -> &'static str {
    match kind {
        Kind::Service | Kind::KeyValue => "service",
        Kind::Database => "database",
        Kind::EnvGroup => "env group",
    }
}

/// Two declarations in these scopes would both claim one resource.
fn clashes(a: &Scope, b: &Scope) -> bool {
    match (a, b) {
        (Scope::Root | Scope::Ungrouped, _) | (_, Scope::Root | Scope::Ungrouped) => true,
        (Scope::Environment { project: p, .. }, Scope::Project(q))
        | (Scope::Project(q), Scope::Environment { project: p, .. }) => p == q,
        (a, b) => a == b,
    }
}

/// A reference from `from` can resolve to a resource declared in `to`.
fn reachable(from: &Scope, to: &Scope) -> bool {
    match from {
        Scope::Environment { project, .. } => match to {
            Scope::Root | Scope::Ungrouped => true,
            Scope::Project(p) => p == project,
            other => other == from,
        },
        _ => true,
    }
}

fn is_known_plan(p: &str) -> bool {
    PlanKind::is_known(p)
}

/// A plan list for a hint: the named plans one by one, each run of sized plans as its
/// first and last (`0.5c-512mb`…`12c-96g`).
fn plan_ranges(plans: &[&str]) -> String {
    let sized = |p: &str| p.starts_with(|c: char| c.is_ascii_digit()) || p.contains('-');
    let mut parts: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, parts: &mut Vec<String>| match run.as_slice() {
        [] => {}
        [one] => parts.push(format!("`{one}`")),
        [first, .., last] => parts.push(format!("`{first}`…`{last}`")),
    };
    for p in plans {
        if sized(p) {
            run.push(p);
        } else {
            flush(&mut run, &mut parts);
            run.clear();
            parts.push(format!("`{p}`"));
        }
    }
    flush(&mut run, &mut parts);
    parts.join(", ")
}

fn is_cidr(s: &str) -> bool {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return false;
    };
    match prefix {
        None => true,
        Some(p) => p
            .parse::<u8>()
            .is_ok_and(|n| n <= if ip.is_ipv4() { 32 } else { 128 }),
    }
}

fn with_article(noun: &str) -> String {
    let vowel = noun
        .trim_start_matches('`')
        .starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// What a reference asks for.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Database,
    Group,
    /// A `fromService.type`.
    Service(&'a str),
}

impl Target<'_> {
    fn describe(&self) -> String {
        match self {
            Target::Database => "database".into(),
            Target::Group => "env group".into(),
            Target::Service("keyvalue" | "redis") => "Key Value".into(),
            Target::Service(t) => format!("`{t}` service"),
        }
    }
}

struct Entry {
    scope: Scope,
    /// `fromService.type` values that name it.
    types: Vec<&'static str>,
    /// For messages: `worker`, `static site`, `Key Value`.
    what: String,
    /// The `fromService.type` to suggest.
    reference_type: &'static str,
}

/// Names declared in the Blueprint, per namespace.
struct Index {
    services: BTreeMap<String, Vec<Entry>>,
    databases: BTreeMap<String, Vec<Entry>>,
    groups: BTreeMap<String, Vec<Entry>>,
    /// Databases (and their replicas) declared with `connectionPool: none`.
    unpooled: BTreeSet<String>,
}

impl Index {
    fn new(resources: &[Resource]) -> Index {
        let mut idx = Index {
            services: BTreeMap::new(),
            databases: BTreeMap::new(),
            groups: BTreeMap::new(),
            unpooled: BTreeSet::new(),
        };
        let plain = |scope: &Scope| Entry {
            scope: scope.clone(),
            types: Vec::new(),
            what: String::new(),
            reference_type: "",
        };
        for r in resources {
            let Some(name) = r.name() else { continue };
            match r.kind {
                Kind::Database => {
                    let unpooled = r.str("connectionPool") == Some("none");
                    if unpooled {
                        idx.unpooled.insert(name.to_string());
                    }
                    idx.databases
                        .entry(name.to_string())
                        .or_default()
                        .push(plain(&r.scope));
                    for (_, rep) in items(r.field("readReplicas")) {
                        if let Some(n) = rep.get("name").and_then(Value::as_str) {
                            idx.databases
                                .entry(n.to_string())
                                .or_default()
                                .push(plain(&r.scope));
                            if unpooled {
                                idx.unpooled.insert(n.to_string());
                            }
                        }
                    }
                }
                Kind::EnvGroup => idx
                    .groups
                    .entry(name.to_string())
                    .or_default()
                    .push(plain(&r.scope)),
                Kind::KeyValue => idx
                    .services
                    .entry(name.to_string())
                    .or_default()
                    .push(Entry {
                        scope: r.scope.clone(),
                        types: vec!["keyvalue", "redis"],
                        what: "Key Value".into(),
                        reference_type: "keyvalue",
                    }),
                Kind::Service => {
                    let t = r.str("type").unwrap_or("");
                    let is_static = t == "web"
                        && (r.str("runtime") == Some("static")
                            || (r.str("runtime").is_none() && !r.has("buildSource")));
                    let (types, what, reference_type): (Vec<&'static str>, String, &'static str) =
                        match t {
                            "web" if is_static => {
                                (vec!["web", "static"], "static site".into(), "web")
                            }
                            "web" => (vec!["web"], "web service".into(), "web"),
                            "pserv" => (vec!["pserv"], "private service".into(), "pserv"),
                            "worker" => (vec!["worker"], "background worker".into(), "worker"),
                            "cron" => (vec!["cron"], "cron job".into(), "cron"),
                            "workflow" => (vec!["workflow"], "workflow".into(), "workflow"),
                            other => (vec![], format!("`{other}` service"), "web"),
                        };
                    idx.services
                        .entry(name.to_string())
                        .or_default()
                        .push(Entry {
                            scope: r.scope.clone(),
                            types,
                            what,
                            reference_type,
                        });
                }
            }
        }
        idx
    }

    fn find(&self, target: Target, name: &str) -> Vec<&Entry> {
        match target {
            Target::Database => self
                .databases
                .get(name)
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
            Target::Group => self
                .groups
                .get(name)
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
            Target::Service(t) => self
                .services
                .get(name)
                .map(|v| v.iter().filter(|e| e.types.contains(&t)).collect())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(text: &str, self_contained: bool) -> Vec<(Severity, &'static str, String)> {
        let (v, l) = crate::yaml::to_json(text, Path::new("r.yaml")).unwrap();
        let mut f = check(&v, &l, &Options { self_contained });
        super::super::sort(&mut f);
        f.into_iter()
            .map(|f| (f.severity, f.rule, f.path))
            .collect()
    }

    #[test]
    fn unresolved_references_depend_on_self_containment() {
        let doc = "services:\n  - type: worker\n    name: w\n    runtime: node\n    buildCommand: b\n    startCommand: s\n    envVars:\n      - key: DB\n        fromDatabase: {name: nope, property: connectionString}\n";
        assert_eq!(
            run(doc, false),
            vec![(
                Severity::Warning,
                "unresolved-reference",
                "services[0].envVars[0].fromDatabase.name".into()
            )]
        );
        assert_eq!(
            run(doc, true),
            vec![(
                Severity::Error,
                "unresolved-reference",
                "services[0].envVars[0].fromDatabase.name".into()
            )]
        );
    }

    #[test]
    fn read_replicas_are_referable() {
        let doc = "databases:\n  - name: db\n    readReplicas: [{name: db-ro}]\nservices:\n  - type: worker\n    name: w\n    runtime: docker\n    envVars:\n      - key: DB\n        fromDatabase: {name: db-ro, property: host}\n";
        assert_eq!(run(doc, true), vec![]);
    }

    #[test]
    fn scopes_decide_whether_a_repeated_name_is_an_error() {
        let env =
            |e: &str| format!("      - name: {e}\n        databases:\n          - name: db\n");
        let doc = format!(
            "projects:\n  - name: p\n    environments:\n{}{}",
            env("a"),
            env("b")
        );
        assert_eq!(
            run(&doc, true),
            vec![(
                Severity::Warning,
                "duplicate-name",
                "projects[0].environments[1].databases[0].name".into()
            )]
        );
        let doc = format!(
            "databases:\n  - name: db\nprojects:\n  - name: p\n    environments:\n{}",
            env("a")
        );
        assert_eq!(
            run(&doc, true),
            vec![(
                Severity::Error,
                "duplicate-name",
                "projects[0].environments[0].databases[0].name".into()
            )]
        );
    }

    #[test]
    fn cidr_syntax() {
        assert!(is_cidr("10.0.0.0/8"));
        assert!(is_cidr("203.0.113.7"));
        assert!(is_cidr("2001:db8::/32"));
        assert!(!is_cidr("10.0.0.0/33"));
        assert!(!is_cidr("example.com"));
    }
}
