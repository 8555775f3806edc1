//! Production isolation: can this staging Blueprint touch a production resource?
//!
//! Render's sync matches resources by name and resolves references by name, and a literal
//! value can carry a production address that no reference shows. So a staging Blueprint
//! is refused when:
//!
//! - `isolation/name`: a staging service, Key Value, database (or read replica) or env
//!   group has the name of any production resource (sync would adopt it);
//! - `isolation/environment`: a staging project environment is a production one (sync
//!   would move staging resources into it);
//! - `isolation/reference`: a `fromDatabase`, `fromService` or `fromGroup` names a
//!   production resource;
//! - `isolation/literal`: a literal holds a production identity: a service, database, Key
//!   Value or env group id, a database or Key Value host, a service's `onrender.com` host,
//!   a private host (a slug as a whole host, with or without a port), or a custom domain;
//! - `isolation/domain`: a staging custom domain is a production one;
//! - `isolation/secret`: a literal env value has the keyed fingerprint of a production
//!   secret (a production key copied into staging).
//!
//! Literals are every string and number of a resource except names and structure:
//! `name`, env var `key`, the reference objects (checked above), `repo` and `branch`
//! (staging builds the same code), `type`, `runtime`, `plan`, `previewPlan`, `region`,
//! `registryCredential` and `image.creds` (credential names). That covers env values and
//! preview values (services and groups), commands, domains, image URLs, headers, routes,
//! health-check paths, disks and IP rules, and any field Render adds later.
//!
//! Production means every resource the snapshot lists, copied or not: resources left out
//! by `production.include` / `exclude`, previews and unknown service types keep their
//! names, ids, slugs, hosts, URLs and custom domains in the snapshot's `skipped` list.
//!
//! Matching is case-insensitive, on the text as written and then after each round of
//! decoding until nothing changes (at most 16 rounds): percent-encoding, JSON and
//! backslash escapes (`\u002e`, `\/`, `\.`), HTML character references (`&#46;`), and the
//! UTS-46 mapping IDNA applies to host names (full-width letters and full stops, the
//! ideographic full stop, soft hyphens and other ignorable code points, compatibility
//! forms). It finds identities anywhere in the value (a URL, a DSN, a query parameter such
//! as `?host=…`), with one Aho-Corasick automaton over every production identity so the
//! cost is linear in the size of the values. Only resource-specific identities are
//! matched, at token boundaries: `api.example.com` is not found inside
//! `staging-api.example.com`, `api.staging.example.com` or `api.example.com.evil`. A slug
//! counts only where a host stands: the whole value (quotes and whitespace aside), after
//! `//` or `@`, before `:port`, in a comma-separated list, or as the value of a host key
//! (`host=…` in a libpq string, `"host": "…"` in JSON).
//!
//! A production wildcard custom domain `*.example.com` covers exactly one label, as DNS
//! and TLS wildcards do: `api.example.com` (in a value, or as a staging custom domain,
//! which would take production's traffic) is production; `api.staging.example.com` and
//! the apex `example.com` are not. Give staging a subdomain one level deeper.
//!
//! An overlay allowance (a production resource name, host or domain with a reason) moves
//! the reference and literal findings it covers to [`Isolation::allowed`]; name,
//! environment and domain collisions cannot be allowed, since sync would then manage the
//! production resource. An allowance that covers nothing is itself a finding.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::blueprint::{self, Kind, Resource, items};
use super::{Finding, Severity};
use crate::model::identity::{Hit, ProdRef, Production};
use crate::model::{ResourceKind, Snapshot};
use crate::secrets::Fingerprinter;
use crate::yaml::{self, Locations, Span, child_index, child_key};

/// A deliberate exception from the overlay: a production resource name, host or domain
/// that staging may use, and why.
pub use crate::overlay::Allowance;

/// A finding an allowance covered: for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllowedUse {
    /// Index of the allowance in the list given to [`check`].
    pub allowance: usize,
    pub target: String,
    pub reason: String,
    /// The staging resource (`service `x``).
    pub resource: String,
    /// JSON path of the field in the Blueprint.
    pub path: String,
    pub span: Option<Span>,
    /// What was allowed (the finding's message).
    pub what: String,
}

/// The outcome of the isolation check.
#[derive(Debug, Clone, Default)]
pub struct Isolation {
    pub violations: Vec<Finding>,
    pub allowed: Vec<AllowedUse>,
    pub unused_allowances: Vec<Finding>,
}

impl Isolation {
    /// Violations and unused allowances together, sorted.
    pub fn findings(&self) -> Vec<Finding> {
        let mut all: Vec<Finding> = self
            .violations
            .iter()
            .chain(&self.unused_allowances)
            .cloned()
            .collect();
        super::sort(&mut all);
        all
    }

    pub fn has_errors(&self) -> bool {
        self.violations
            .iter()
            .chain(&self.unused_allowances)
            .any(Finding::is_error)
    }
}

/// Check a staging Blueprint against the production snapshot.
pub fn check(
    blueprint: &Value,
    locations: &Locations,
    production: &Snapshot,
    allowances: &[Allowance],
    fingerprinter: Option<&Fingerprinter>,
) -> Isolation {
    let prod = Production::new(production);
    let resources = blueprint::resources(blueprint);
    let mut c = Checker {
        loc: locations,
        prod: &prod,
        fingerprinter,
        found: Vec::new(),
    };
    c.environments(blueprint);
    for r in &resources {
        c.name(r);
        c.references(r);
        c.literals(r);
    }
    if fingerprinter.is_none() && !prod.fingerprints.is_empty() {
        c.found.push(Violation {
            finding: Finding::at(
                locations,
                Severity::Warning,
                "isolation/secret",
                "",
                "the snapshot has secret fingerprints but no fingerprint key is set: copied production secrets cannot be detected",
            )
            .hint(format!("set {} to the key the snapshot was taken with", crate::secrets::FINGERPRINT_KEY_ENV)),
            targets: Vec::new(),
            resource: String::new(),
        });
    }
    settle(c.found, allowances, &prod)
}

/// A finding and the allowance targets (lowercase) that may cover it.
struct Violation {
    finding: Finding,
    targets: Vec<String>,
    /// The staging resource it is about.
    resource: String,
}

fn settle(found: Vec<Violation>, allowances: &[Allowance], prod: &Production) -> Isolation {
    let mut out = Isolation::default();
    let mut used = vec![false; allowances.len()];
    let valid: Vec<bool> = allowances
        .iter()
        .map(|a| !a.reason.trim().is_empty())
        .collect();
    for v in found {
        let covering: Vec<usize> = (0..allowances.len())
            .filter(|&i| {
                valid[i]
                    && v.targets
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(allowances[i].target.trim()))
            })
            .collect();
        match covering.first() {
            Some(&first) if v.finding.is_error() => {
                for &i in &covering {
                    used[i] = true;
                }
                let a = &allowances[first];
                out.allowed.push(AllowedUse {
                    allowance: first,
                    target: a.target.clone(),
                    reason: a.reason.clone(),
                    resource: v.resource.clone(),
                    path: v.finding.path.clone(),
                    span: v.finding.span.clone(),
                    what: v.finding.message.clone(),
                });
            }
            _ => out.violations.push(v.finding),
        }
    }
    for (i, a) in allowances.iter().enumerate() {
        let finding = |message: String, hint: &str| Finding {
            severity: Severity::Error,
            rule: "isolation/allowance",
            path: "allow".into(),
            span: Some(a.span.clone()),
            message,
            hint: Some(hint.into()),
        };
        if !valid[i] {
            out.unused_allowances.push(finding(
                format!("the allowance for `{}` has no reason", a.target),
                "say why staging may use this production resource: `reason: \"…\"`",
            ));
        } else if !used[i] {
            let hint = if prod.knows(&a.target) {
                "nothing in the staging Blueprint uses it any more: remove the allowance"
            } else {
                "it is not a production resource name, host or domain in the snapshot: fix the target or remove the allowance"
            };
            out.unused_allowances.push(finding(
                format!("the allowance for `{}` covers nothing", a.target),
                hint,
            ));
        }
    }
    super::sort(&mut out.violations);
    out.allowed
        .sort_by(|a, b| (&a.span, &a.path, &a.what).cmp(&(&b.span, &b.path, &b.what)));
    super::sort(&mut out.unused_allowances);
    out
}

/// Keys whose values are names or structure, not literals (see the module docs).
const NOT_LITERAL: &[&str] = &[
    "name",
    "key",
    "repo",
    "branch",
    "fromDatabase",
    "fromService",
    "fromGroup",
    "envVarKey",
    "type",
    "runtime",
    "plan",
    "previewPlan",
    "region",
    "registryCredential",
    "creds",
];

struct Checker<'a> {
    loc: &'a Locations,
    prod: &'a Production,
    fingerprinter: Option<&'a Fingerprinter>,
    found: Vec<Violation>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        resource: String,
        rule: &'static str,
        path: &str,
        message: String,
        hint: String,
        targets: Vec<String>,
    ) {
        let finding = Finding::at(self.loc, Severity::Error, rule, path, message).hint(hint);
        self.found.push(Violation {
            finding,
            targets,
            resource,
        });
    }

    fn environments(&mut self, doc: &Value) {
        for (pi, p) in items(doc.get("projects")) {
            let Some(project) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            for (ei, e) in items(p.get("environments")) {
                let Some(env) = e.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if self
                    .prod
                    .environments
                    .contains(&(project.to_ascii_lowercase(), env.to_ascii_lowercase()))
                {
                    let path = child_key(
                        &child_index(&child_key(&child_index("projects", pi), "environments"), ei),
                        "name",
                    );
                    self.push(
                        format!("environment `{env}` of project `{project}`"),
                        "isolation/environment",
                        &path,
                        format!("environment `{env}` of project `{project}`: it is a production environment; sync would move staging resources into it"),
                        format!("place staging in its own environment: `placement: {{ project: {}, environment: staging }}`", yaml::quote(project)),
                        Vec::new(),
                    );
                }
            }
        }
    }

    fn name(&mut self, r: &Resource) {
        let mut names: Vec<(String, &str)> =
            r.name().map(|n| (r.at("name"), n)).into_iter().collect();
        if r.kind == Kind::Database {
            for (i, rep) in items(r.field("readReplicas")) {
                if let Some(n) = rep.get("name").and_then(Value::as_str) {
                    names.push((child_key(&child_index(&r.at("readReplicas"), i), "name"), n));
                }
            }
        }
        for (path, name) in names {
            if let Some(owner) = self.prod.names.get(&name.to_ascii_lowercase()) {
                let staging = format!("{name}-staging");
                self.push(
                    r.describe(),
                    "isolation/name",
                    &path,
                    format!(
                        "{}: `{name}` is the name of {}; Render's sync matches by name and would adopt and reconfigure it",
                        r.describe(),
                        owner.describe()
                    ),
                    format!(
                        "rename it in the overlay: `rename: {{ names: {{ {}: {} }} }}` (or a `rename.pattern`)",
                        yaml::quote(&owner.name),
                        yaml::quote(&staging)
                    ),
                    Vec::new(),
                );
            }
        }
    }

    fn references(&mut self, r: &Resource) {
        for (path, v) in r.env_vars() {
            let key = v.get("key").and_then(Value::as_str).unwrap_or("?");
            let (field, name, kinds, rewire): (&str, Option<&str>, &[ResourceKind], String) =
                if let Some(g) = v.get("fromGroup") {
                    (
                        "fromGroup",
                        g.as_str(),
                        &[ResourceKind::EnvGroup],
                        "link the staging env group instead".into(),
                    )
                } else if let Some(d) = v.get("fromDatabase") {
                    let property = d
                        .get("property")
                        .and_then(Value::as_str)
                        .unwrap_or("connectionString");
                    let rewire = format!(
                        "`env: [{{ key: {}, fromDatabase: {{ name: <staging database>, property: {property} }} }}]`",
                        yaml::quote(key)
                    );
                    (
                        "fromDatabase",
                        d.get("name").and_then(Value::as_str),
                        &[ResourceKind::Database],
                        rewire,
                    )
                } else if let Some(s) = v.get("fromService") {
                    let t = s.get("type").and_then(Value::as_str).unwrap_or("web");
                    let kinds: &[ResourceKind] = match t {
                        "keyvalue" | "redis" => &[ResourceKind::KeyValue],
                        "dpg" => &[ResourceKind::Database],
                        _ => &[ResourceKind::Service],
                    };
                    let rewire = format!(
                        "`env: [{{ key: {}, fromService: {{ type: {t}, name: <staging service>, … }} }}]`",
                        yaml::quote(key)
                    );
                    (
                        "fromService",
                        s.get("name").and_then(Value::as_str),
                        kinds,
                        rewire,
                    )
                } else {
                    continue;
                };
            let Some(name) = name else { continue };
            let Some(owner) = self
                .prod
                .names
                .get(&name.to_ascii_lowercase())
                .filter(|o| kinds.contains(&o.kind))
            else {
                continue;
            };
            let fpath = if field == "fromGroup" {
                child_key(&path, field)
            } else {
                child_key(&child_key(&path, field), "name")
            };
            let label = if field == "fromGroup" {
                format!("`fromGroup: {name}`")
            } else {
                format!("`{key}`")
            };
            self.push(
                r.describe(),
                "isolation/reference",
                &fpath,
                format!("{}: {label} takes `{field}` {}", r.describe(), owner.describe()),
                format!(
                    "include {} in the staging copy (`select.include`) so the rename reaches this reference, or rewire it: {rewire}; if sharing it is deliberate: `allow: [{{ target: {}, reason: \"…\" }}]`",
                    owner.name,
                    yaml::quote(&owner.name)
                ),
                vec![owner.name.to_ascii_lowercase()],
            );
        }
    }

    fn literals(&mut self, r: &Resource) {
        let mut literals = Vec::new();
        collect_literals(r.value, &r.path, &mut literals);
        let fingerprinting = self.fingerprinter.is_some() && !self.prod.fingerprints.is_empty();
        for (path, text) in literals {
            let hits = self.prod.matches(&text);
            let is_env_value = path.ends_with(".value") || path.ends_with(".previewValue");
            let is_domain = is_domain_field(r, &path);
            // Most values hold nothing of production: keep their cost to the scan. (A
            // staging wildcard domain can cover a production name it does not contain.)
            if hits.is_empty() && !(fingerprinting && is_env_value) && !is_domain {
                continue;
            }
            let env_key = env_key_of(r, &path);
            // A staging custom domain that is a production one: its own, unallowable rule.
            if is_domain {
                let domain = text.trim().trim_end_matches('.').to_lowercase();
                let owner = self.prod.domains.get(domain.as_str()).or_else(|| {
                    // One label under a production wildcard is served by production today,
                    // and a staging wildcard over a production name would serve it:
                    // either would take production's traffic.
                    self.prod
                        .wildcard_owner(&domain)
                        .or_else(|| self.prod.covered_by_wildcard(&domain))
                });
                if let Some(owner) = owner {
                    self.push(
                        r.describe(),
                        "isolation/domain",
                        &path,
                        format!("{}: custom domain `{}` belongs to {}", r.describe(), text.to_ascii_lowercase(), owner.describe()),
                        format!(
                            "give staging its own domain: `resources: {{ {}: {{ domains: [<staging domain>] }} }}`",
                            yaml::quote(&owner.name)
                        ),
                        Vec::new(),
                    );
                    continue;
                }
            }
            let field = match &env_key {
                Some(k) => format!("env var `{k}`"),
                None => format!("`{}`", relative(&r.path, &path)),
            };
            let mut value_targets: Vec<String> = Vec::new();
            // One finding per production resource the value points at.
            let mut by_owner: Vec<(ProdRef, Vec<Hit>)> = Vec::new();
            for m in hits {
                let owner = self.prod.needles[m.needle].owner.clone();
                match by_owner.iter_mut().find(|(o, _)| *o == owner) {
                    Some((_, ms)) => ms.push(m),
                    None => by_owner.push((owner, vec![m])),
                }
            }
            by_owner.sort_by(|a, b| a.0.cmp(&b.0));
            for (owner, ms) in by_owner {
                let mut targets: BTreeSet<String> = BTreeSet::new();
                targets.insert(owner.name.to_ascii_lowercase());
                let mut what: Vec<String> = Vec::new();
                for hit in &ms {
                    let n = &self.prod.needles[hit.needle];
                    targets.insert(n.text.clone());
                    let mut form = hit.layers.describe();
                    let shown = match &hit.host {
                        Some(host) => {
                            targets.insert(format!("*{}", n.text));
                            targets.insert(host.clone());
                            format!("`*{}` (covers `{host}`)", n.text)
                        }
                        None => format!("`{}`", n.text),
                    };
                    if hit.case && hit.host.is_none() {
                        form.push("in different letter case");
                    }
                    let form = if form.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", form.join(", "))
                    };
                    what.push(format!("{} {shown}{form}", n.what));
                }
                what.sort();
                what.dedup();
                let first = &self.prod.needles[ms[0].needle];
                let hint = literal_hint(
                    &owner,
                    &first.text,
                    env_key.as_deref(),
                    &relative(&r.path, &path),
                );
                value_targets.extend(targets.iter().cloned());
                self.push(
                    r.describe(),
                    "isolation/literal",
                    &path,
                    format!(
                        "{}: {field} contains {} of {}",
                        r.describe(),
                        what.join(" and "),
                        owner.describe()
                    ),
                    hint,
                    targets.into_iter().collect(),
                );
            }
            if env_key.is_some() && is_env_value {
                self.fingerprint(r, &path, &field, &text, value_targets);
            }
        }
    }

    fn fingerprint(
        &mut self,
        r: &Resource,
        path: &str,
        field: &str,
        text: &str,
        targets: Vec<String>,
    ) {
        let Some(fper) = self.fingerprinter else {
            return;
        };
        if self.prod.fingerprints.is_empty() || text.is_empty() {
            return;
        }
        let Some((owner, key)) = self.prod.fingerprints.get(&fper.fingerprint(text)) else {
            return;
        };
        let env_key = env_key_of(r, path).unwrap_or_default();
        let mut targets = targets;
        targets.sort();
        targets.dedup();
        self.push(
            r.describe(),
            "isolation/secret",
            path,
            format!("{}: {field} holds the value of secret `{key}` of {} (the fingerprints match)", r.describe(), owner.describe()),
            format!(
                "do not copy production secrets: `env: [{{ key: {}, secret: \"<where to get the staging value>\" }}]`, or `generate: true`",
                yaml::quote(&env_key)
            ),
            targets,
        );
    }
}

fn literal_hint(owner: &ProdRef, needle: &str, env_key: Option<&str>, field: &str) -> String {
    let allow = format!(
        "if sharing it is deliberate: `allow: [{{ target: {}, reason: \"…\" }}]`",
        yaml::quote(needle)
    );
    match env_key {
        Some(k) => {
            let k = yaml::quote(k);
            let rule = match owner.kind {
                ResourceKind::Database => format!(
                    "`env: [{{ key: {k}, fromDatabase: {{ name: <staging database>, property: connectionString }} }}]`"
                ),
                ResourceKind::KeyValue => format!(
                    "`env: [{{ key: {k}, fromService: {{ type: keyvalue, name: <staging key value>, property: connectionString }} }}]`"
                ),
                _ => format!(
                    "`env: [{{ key: {k}, replace: {{ {}: <staging value> }} }}]`",
                    yaml::quote(needle)
                ),
            };
            format!("add an overlay rule: {rule}; {allow}")
        }
        None => {
            let top = field.split(['.', '[']).next().unwrap_or(field);
            format!(
                "override it in the overlay: `resources: {{ <production name>: {{ {top}: … }} }}`; {allow}"
            )
        }
    }
}

/// Strings and numbers under `v` that are literals, with their paths.
fn collect_literals<'v>(v: &'v Value, path: &str, out: &mut Vec<(String, Cow<'v, str>)>) {
    match v {
        Value::String(s) => out.push((path.to_string(), Cow::Borrowed(s))),
        Value::Number(n) => out.push((path.to_string(), Cow::Owned(n.to_string()))),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_literals(x, &child_index(path, i), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                if !NOT_LITERAL.contains(&k.as_str()) {
                    collect_literals(x, &child_key(path, k), out);
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

/// `services[0].envVars[3].value` → `startCommand`-style path relative to the resource.
fn relative(base: &str, path: &str) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .trim_start_matches('.')
        .to_string()
}

/// The env var key when `path` is inside one of the resource's env vars.
fn env_key_of(r: &Resource, path: &str) -> Option<String> {
    let rel = relative(&r.path, path);
    let rest = rel.strip_prefix("envVars[")?;
    let i: usize = rest.split(']').next()?.parse().ok()?;
    r.field("envVars")?
        .get(i)?
        .get("key")?
        .as_str()
        .map(str::to_string)
}

fn is_domain_field(r: &Resource, path: &str) -> bool {
    let rel = relative(&r.path, path);
    rel == "domain" || (rel.starts_with("domains[") && !rel.contains('.'))
}
