//! `stageprint secrets push`: set the values the report lists as operator-provided on the
//! live staging resources. The one command that writes to Render, so it is built to be
//! safe to run: a dry run unless `--apply`; only keys the report lists; never a resource
//! that belongs to production; values read once, held in memory, never printed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::generate::{self, Target};
use super::{Exit, Global};
use crate::config::Config;
use crate::model::identity::Production;
use crate::overlay::{Staging, VarSource};
use crate::pipeline::Strict;
use crate::snapshot::client::{Client, Endpoint, RequestError};
use crate::snapshot::paging;
use crate::snapshot::wire;

/// The largest secrets file read: far above any real set of secrets.
const MAX_SECRETS_FILE: u64 = 4 * 1024 * 1024;

/// Names asked for in one list request.
const NAMES_PER_REQUEST: usize = 20;

#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    pub environment: Option<String>,
    /// The secrets file; `-` for standard input.
    pub from: PathBuf,
    pub apply: bool,
    /// The workspace staging lives in; the production workspace when absent.
    pub owner: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub api_url: Option<String>,
}

/// A value from the secrets file. Never printed: its `Debug` says only how long it is.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<secret, {} bytes>", self.0.len())
    }
}

/// What the secrets file provides: values for every resource that lists the key, and
/// values for one resource (JSON only). A secret file is the key `file:NAME`.
#[derive(Debug, Default)]
pub struct Provided {
    pub everywhere: BTreeMap<String, SecretValue>,
    pub per_resource: BTreeMap<String, BTreeMap<String, SecretValue>>,
}

impl Provided {
    fn value(&self, resource: &str, key: &str) -> Option<&SecretValue> {
        self.per_resource
            .get(resource)
            .and_then(|m| m.get(key))
            .or_else(|| self.everywhere.get(key))
    }

    fn values(&self) -> impl Iterator<Item = &SecretValue> {
        self.everywhere
            .values()
            .chain(self.per_resource.values().flat_map(|m| m.values()))
    }
}

/// Read a secrets file: JSON when it starts with `{`, dotenv otherwise. Errors name the
/// file and line, never a value.
pub fn parse_secrets(text: &str, file: &str) -> Result<Provided> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        parse_json(text, file)
    } else {
        parse_dotenv(text, file)
    }
}

fn parse_json(text: &str, file: &str) -> Result<Provided> {
    use serde_json::Value;
    // serde_json keeps the last of two equal keys; a secrets file with one key twice is a
    // mistake to refuse, not to resolve silently.
    let value: Value = serde_json::from_str::<NoDuplicates>(text)
        .map(|d| d.0)
        .map_err(|e| {
            anyhow::anyhow!(
                "{file}:{}:{}: not valid JSON (expected an object of KEY: \"value\")",
                e.line(),
                e.column()
            )
        })?;
    let Value::Object(map) = value else {
        bail!("{file}: expected a JSON object of KEY: \"value\"");
    };
    let mut out = Provided::default();
    for (k, v) in map {
        match v {
            Value::String(v) => {
                check_key(&k, file)?;
                out.everywhere.insert(k, SecretValue(v));
            }
            Value::Object(inner) => {
                check_key(&k, file)?;
                let mut m = BTreeMap::new();
                for (ik, iv) in inner {
                    check_key(&ik, file)?;
                    let Value::String(s) = iv else {
                        bail!(
                            "{file}: {} must be a string",
                            shown_key(&format!("{k}.{ik}"))
                        );
                    };
                    m.insert(ik, SecretValue(s));
                }
                out.per_resource.insert(k, m);
            }
            _ => bail!(
                "{file}: {} must be a string, or an object of keys for the staging resource of that name",
                shown_key(&k)
            ),
        }
    }
    Ok(out)
}

/// dotenv: `KEY=value`, `export KEY=value`, `#` comments, single quotes taken literally,
/// double quotes with `\n`, `\"` and `\\` escapes, a ` # comment` after a value. No `$VAR`
/// expansion: a secret may hold a `$`, and expanding it (as common dotenv readers do) would
/// change the value silently. Errors name the line, never its text: a malformed line may
/// be part of a secret.
fn parse_dotenv(text: &str, file: &str) -> Result<Provided> {
    let mut out = Provided::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let at = i + 1;
        let line = lines[i].trim_start();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, rest)) = line.split_once('=') else {
            bail!("{file}:{at}: expected KEY=value (a value on several lines must be quoted)");
        };
        let key = key.trim().to_string();
        check_key(&key, file).with_context(|| format!("{file}:{at}"))?;
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => {
                // The value runs to the closing quote, over as many lines as it takes;
                // after it only a comment may follow.
                let mut acc = rest[1..].to_string();
                loop {
                    let end = if q == '\'' {
                        acc.find('\'')
                    } else {
                        closing_double_quote(&acc)
                    };
                    if let Some(end) = end {
                        let after = acc[end + 1..].trim();
                        if !(after.is_empty() || after.starts_with('#')) {
                            bail!(
                                "{file}:{at}: only a `# comment` may follow the closing quote of {key}"
                            );
                        }
                        acc.truncate(end);
                        break if q == '"' { unescape(&acc) } else { acc };
                    }
                    let Some(next) = lines.get(i) else {
                        bail!("{file}:{at}: the quoted value of {key} never ends");
                    };
                    i += 1;
                    acc.push('\n');
                    acc.push_str(next);
                }
            }
            _ => {
                // Unquoted: up to a ` #` comment, trimmed.
                let v = match rest.find(" #") {
                    Some(at) => &rest[..at],
                    None => rest,
                };
                v.trim_end().to_string()
            }
        };
        if out
            .everywhere
            .insert(key.clone(), SecretValue(value))
            .is_some()
        {
            bail!("{file}:{at}: {key} is given twice");
        }
    }
    Ok(out)
}

/// The byte offset of the first unescaped `"`.
fn closing_double_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn check_key(key: &str, file: &str) -> Result<()> {
    let name = key.strip_prefix("file:").unwrap_or(key);
    let ok = !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        bail!(
            "{file}: a key is not an env var key (letters, digits, `_`, `-`, `.`) or `file:NAME` (not shown: it may be part of a value)"
        );
    }
    Ok(())
}

/// A key from the secrets file, for a message: itself when it reads like a name, else a
/// description. A file written the wrong way round, or a line of a value taken for a key,
/// must not print secret material.
fn shown_key(key: &str) -> String {
    let classifier = crate::secrets::Classifier::default();
    let name = key.strip_prefix("file:").unwrap_or(key);
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    // Names are written in one case (`STRIPE_SECRET_KEY`, `api-staging`); a run that
    // switches case is more likely base64 than a name.
    let one_case = !name.chars().any(|c| c.is_ascii_lowercase())
        || !name.chars().any(|c| c.is_ascii_uppercase());
    if plain && one_case && name.len() <= 64 && classifier.classify("NAME", name).is_none() {
        format!("`{key}`")
    } else {
        "a key that looks like a value (not shown)".to_string()
    }
}

/// A JSON value whose objects refuse a key given twice.
struct NoDuplicates(serde_json::Value);

impl<'de> serde::Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = NoDuplicates;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<NoDuplicates, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(k) = m.next_key::<String>()? {
                    let v: NoDuplicates = m.next_value()?;
                    if out.insert(k.clone(), v.0).is_some() {
                        return Err(serde::de::Error::custom(format!(
                            "{} is given twice",
                            shown_key(&k)
                        )));
                    }
                }
                Ok(NoDuplicates(serde_json::Value::Object(out)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<NoDuplicates, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = a.next_element::<NoDuplicates>()? {
                    out.push(v.0);
                }
                Ok(NoDuplicates(serde_json::Value::Array(out)))
            }
            fn visit_str<E>(self, v: &str) -> Result<NoDuplicates, E> {
                Ok(NoDuplicates(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<NoDuplicates, E> {
                Ok(NoDuplicates(v.into()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<NoDuplicates, E> {
                Ok(NoDuplicates(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<NoDuplicates, E> {
                Ok(NoDuplicates(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<NoDuplicates, E> {
                Ok(NoDuplicates(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<NoDuplicates, E> {
                Ok(NoDuplicates(serde_json::json!(v)))
            }
            fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
                Ok(NoDuplicates(serde_json::Value::Null))
            }
        }
        d.deserialize_any(V)
    }
}

/// Which live resource a key goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holder {
    Service,
    EnvGroup,
}

impl Holder {
    fn as_str(self) -> &'static str {
        match self {
            Holder::Service => "service",
            Holder::EnvGroup => "env group",
        }
    }

    fn base(self) -> &'static str {
        match self {
            Holder::Service => "/services",
            Holder::EnvGroup => "/env-groups",
        }
    }
}

/// The operator-provided keys of one staging resource, as the report lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub holder: Holder,
    pub name: String,
    /// Env var keys, and `file:NAME` for secret files.
    pub keys: BTreeSet<String>,
}

/// Every operator-provided key of the staging environment, per resource.
pub fn wanted(staging: &Staging) -> Vec<Wanted> {
    let mut out = Vec::new();
    for s in &staging.services {
        let mut keys: BTreeSet<String> = s
            .env
            .iter()
            .filter(|v| matches!(v.source, VarSource::Operator(_)))
            .map(|v| v.key.clone())
            .collect();
        keys.extend(
            s.service
                .secret_files
                .iter()
                .map(|f| format!("file:{}", f.name)),
        );
        if !keys.is_empty() {
            out.push(Wanted {
                holder: Holder::Service,
                name: s.service.name.clone(),
                keys,
            });
        }
    }
    for g in &staging.env_groups {
        let mut keys: BTreeSet<String> = g.operator_secrets.iter().map(|o| o.key.clone()).collect();
        keys.extend(g.secret_files.iter().map(|f| format!("file:{f}")));
        if !keys.is_empty() {
            out.push(Wanted {
                holder: Holder::EnvGroup,
                name: g.name.clone(),
                keys,
            });
        }
    }
    out
}

/// Keys and resource names in the file that the report does not list: refused, all at once.
pub fn unlisted(provided: &Provided, wanted: &[Wanted]) -> Vec<String> {
    let all: BTreeSet<&str> = wanted
        .iter()
        .flat_map(|w| w.keys.iter().map(String::as_str))
        .collect();
    let mut out: Vec<String> = provided
        .everywhere
        .keys()
        .filter(|k| !all.contains(k.as_str()))
        .map(|k| format!("{} (listed on no staging resource)", shown_key(k)))
        .collect();
    for (resource, keys) in &provided.per_resource {
        match wanted.iter().find(|w| &w.name == resource) {
            None => out.push(format!(
                "{} (not a staging resource with operator-provided keys)",
                shown_key(resource)
            )),
            Some(w) => out.extend(
                keys.keys()
                    .filter(|k| !w.keys.contains(*k))
                    .map(|k| format!("{} (not listed on {resource})", shown_key(k))),
            ),
        }
    }
    out
}

/// What a push would do with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// Not set on the live resource yet.
    Set,
    /// Set to another value.
    Change,
    /// Already this value.
    Same,
    /// The file has no value for it.
    Missing,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Set => "set",
            Action::Change => "change",
            Action::Same => "unchanged",
            Action::Missing => "missing from the file",
        }
    }
}

/// A live resource found by name: its id, and the identities checked against production.
struct Candidate {
    id: String,
    identities: Vec<String>,
    environment: Option<String>,
}

/// What a push does on one staging resource: the live resource (if found) and each key.
struct Step<'a> {
    wanted: &'a Wanted,
    live: Option<Live>,
    actions: Vec<(String, Action)>,
}

/// A staging resource found live, with its current values (in memory only).
struct Live {
    id: String,
    env: BTreeMap<String, String>,
    files: BTreeMap<String, String>,
    /// Custom domains of a service; ids and names of the services linked to a group.
    identities: Vec<String>,
}

pub fn push(global: &Global, options: PushOptions) -> Result<Exit> {
    let config = Config::load(&global.config)?;
    let envs = &config.file.environments;
    let (env_name, env) = match &options.environment {
        Some(name) => envs.get_key_value(name).with_context(|| {
            format!(
                "no environment `{name}` in {}; it has: {}",
                config.path.display(),
                envs.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?,
        None if envs.len() == 1 => envs.iter().next().expect("one environment"),
        None => bail!(
            "--env is needed: {} has several environments ({})",
            config.path.display(),
            envs.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    };

    // The file is read once, before anything else can fail halfway.
    let label = options.from.display().to_string();
    let text = read_secrets(&options.from)?;
    let provided = parse_secrets(&text, &label)?;
    drop(text);

    let snapshot_path = config.snapshot_path();
    let snapshot = generate::load_snapshot(&snapshot_path)?;
    let generated = generate::generate(
        &snapshot,
        &snapshot_path,
        Target {
            name: env_name.clone(),
            overlay: config.resolve(&env.overlay),
            out: config.resolve(&env.out),
        },
        Strict::Off,
    )?;
    let wanted = wanted(&generated.staging);
    let production = Production::new(&snapshot);
    let mut refused = unlisted(&provided, &wanted);
    refused.extend(production_values(&provided, &production));
    if !refused.is_empty() {
        bail!(
            "refusing {label}: nothing was sent:\n  {}\n  hint: keep a file per environment with only the keys `stageprint generate` lists under operator-provided secrets and secret files, each with a staging value",
            refused.join("\n  ")
        );
    }
    if wanted.is_empty() {
        eprintln!("`{env_name}` has no operator-provided keys: nothing to push");
        return Ok(Exit::Clean);
    }

    let owner = super::workspace_id(options.owner.as_deref(), &config)?;
    let client = super::api_client(
        &config,
        options.api_url.as_deref(),
        options.api_key_file.as_deref(),
        1,
    )?;
    let scrub = Scrubber::new(&provided);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(
        &client,
        &owner,
        &wanted,
        &provided,
        &production,
        &scrub,
        options.apply,
    ))
}

fn read_secrets(path: &Path) -> Result<String> {
    let mut text = String::new();
    let limit = MAX_SECRETS_FILE + 1;
    if path == Path::new("-") {
        std::io::stdin()
            .take(limit)
            .read_to_string(&mut text)
            .context("reading secrets from standard input")?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("cannot read secrets file {}", path.display()))?
            .take(limit)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read secrets file {}", path.display()))?;
    }
    if text.len() as u64 > MAX_SECRETS_FILE {
        bail!(
            "{} is larger than {} MiB, the limit for a secrets file; nothing was sent",
            path.display(),
            MAX_SECRETS_FILE / (1024 * 1024)
        );
    }
    Ok(text)
}

/// Takes every provided value out of a message before it is shown: an API error may echo
/// what it was sent.
struct Scrubber {
    values: Vec<String>,
}

impl Scrubber {
    fn new(p: &Provided) -> Scrubber {
        let mut values: Vec<String> = Vec::new();
        for v in p.values().map(|v| v.0.as_str()).filter(|v| v.len() >= 4) {
            // As given, JSON-escaped (an echoed request body), and with its whitespace
            // collapsed (an error message folded onto one line).
            let escaped = serde_json::to_string(v).expect("a string serialises");
            let collapsed = v.split_whitespace().collect::<Vec<_>>().join(" ");
            values.extend([
                v.to_string(),
                escaped[1..escaped.len() - 1].to_string(),
                collapsed,
            ]);
        }
        // Longest first, so that a value containing another is removed whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        values.retain(|v| v.len() >= 4);
        Scrubber { values }
    }

    fn clean(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "[redacted]");
            }
        }
        out
    }
}

async fn run(
    client: &Client,
    owner: &str,
    wanted: &[Wanted],
    provided: &Provided,
    production: &Production,
    scrub: &Scrubber,
    apply: bool,
) -> Result<Exit> {
    let err = |e: RequestError| anyhow::anyhow!(scrub.clean(&e.to_string()));
    // Find each staging resource by its exact name, and refuse the whole push if one of
    // them is production's.
    let mut found: BTreeMap<(Holder, String), Vec<Candidate>> = BTreeMap::new();
    for holder in [Holder::Service, Holder::EnvGroup] {
        let names: Vec<&str> = wanted
            .iter()
            .filter(|w| w.holder == holder)
            .map(|w| w.name.as_str())
            .collect();
        for chunk in names.chunks(NAMES_PER_REQUEST) {
            let endpoint = Endpoint::new(holder.base())
                .query("ownerId", owner)
                .query("name", chunk.join(","));
            let listed: Vec<(String, Candidate)> = match holder {
                Holder::Service => {
                    let services: Vec<wire::Service> =
                        paging::list(client, endpoint.clone()).await.map_err(err)?;
                    services
                        .into_iter()
                        .map(|s| {
                            let mut identities = vec![s.id.clone(), s.name.clone()];
                            identities.extend(s.slug.clone());
                            identities.extend(match &s.details {
                                wire::ServiceDetails::Web(d)
                                | wire::ServiceDetails::Private(d)
                                | wire::ServiceDetails::Worker(d) => d.url.clone(),
                                wire::ServiceDetails::Static(d) => d.url.clone(),
                                _ => None,
                            });
                            let c = Candidate {
                                id: s.id,
                                identities,
                                environment: s.environment_id,
                            };
                            (s.name, c)
                        })
                        .collect()
                }
                Holder::EnvGroup => {
                    let page = paging::unpaged::<wire::EnvGroup>(client, endpoint.clone())
                        .await
                        .map_err(err)?;
                    if page.full {
                        // The API has no cursor for env groups: a full page may hide a
                        // second group of the same name.
                        anyhow::bail!(
                            "refusing to push: the env group list for {} came back full, so a second group of the same name could go unseen; nothing was sent",
                            chunk.join(", ")
                        );
                    }
                    page.items
                        .into_iter()
                        .map(|g| {
                            let c = Candidate {
                                id: g.id.clone(),
                                identities: vec![g.id, g.name.clone()],
                                environment: g.environment_id,
                            };
                            (g.name, c)
                        })
                        .collect()
                }
            };
            for (name, c) in listed {
                if chunk.contains(&name.as_str()) {
                    found.entry((holder, name)).or_default().push(c);
                }
            }
        }
    }
    let mut refused = Vec::new();
    let mut environments = BTreeMap::new();
    for ((holder, name), matches) in &found {
        for c in matches {
            if !is_render_id(&c.id) {
                refused.push(format!(
                    "{} `{name}`: the API gave an id that is not a Render id",
                    holder.as_str()
                ));
                continue;
            }
            if let Some(env) = &c.environment
                && let Some(why) =
                    production_environment(client, production, env, &mut environments)
                        .await
                        .map_err(err)?
            {
                refused.push(format!(
                    "{} `{name}` ({}) lives in {why}",
                    holder.as_str(),
                    c.id
                ));
            }
            if let Some(why) = production_identity(production, &c.identities) {
                refused.push(format!(
                    "{} `{name}` ({}) is production's: {why}",
                    holder.as_str(),
                    c.id
                ));
            }
        }
        if matches.len() > 1 {
            refused.push(format!(
                "{} `{name}` names {} resources in {owner}; cannot tell which is staging's",
                holder.as_str(),
                matches.len()
            ));
        }
    }
    if !refused.is_empty() {
        bail!(
            "refusing to push: nothing was sent\n  {}",
            refused.join("\n  ")
        );
    }

    // Read what each resource has now, and decide per key.
    let mut plan: Vec<Step> = Vec::new();
    for w in wanted {
        let Some(c) = found
            .get(&(w.holder, w.name.clone()))
            .and_then(|m| m.first())
        else {
            plan.push(Step {
                wanted: w,
                live: None,
                actions: Vec::new(),
            });
            continue;
        };
        let live = read_live(client, w.holder, &c.id).await.map_err(err)?;
        if let Some(why) = production_identity(production, &live.identities) {
            refused.push(format!(
                "{} `{}` ({}) is tied to production: {why}",
                w.holder.as_str(),
                w.name,
                c.id
            ));
        }
        let actions = w
            .keys
            .iter()
            .map(|k| {
                let current = match k.strip_prefix("file:") {
                    Some(f) => live.files.get(f),
                    None => live.env.get(k),
                };
                let action = match (provided.value(&w.name, k), current) {
                    (None, _) => Action::Missing,
                    (Some(v), Some(c)) if &v.0 == c => Action::Same,
                    (Some(_), Some(_)) => Action::Change,
                    (Some(_), None) => Action::Set,
                };
                (k.clone(), action)
            })
            .collect();
        plan.push(Step {
            wanted: w,
            live: Some(live),
            actions,
        });
    }

    if !refused.is_empty() {
        bail!(
            "refusing to push: nothing was sent\n  {}",
            refused.join("\n  ")
        );
    }

    let mut missing = 0usize;
    let mut absent = 0usize;
    let mut to_write = 0usize;
    for Step {
        wanted: w,
        live,
        actions,
    } in &plan
    {
        match live {
            None => {
                absent += 1;
                println!(
                    "{} {}: not found in {owner} (not synced yet?); {} keys not pushed",
                    w.holder.as_str(),
                    w.name,
                    w.keys.len()
                );
            }
            Some(l) => {
                println!("{} {} ({}):", w.holder.as_str(), w.name, l.id);
                for (k, a) in actions {
                    println!("  {:<9} {k}", a.as_str());
                    match a {
                        Action::Set | Action::Change => to_write += 1,
                        Action::Missing => missing += 1,
                        Action::Same => {}
                    }
                }
            }
        }
    }

    if !apply {
        eprintln!(
            "dry run: nothing was written; {to_write} keys to set or change, {missing} missing from the file, {absent} resources not found. Run again with --apply to write."
        );
        return Ok(if missing + absent > 0 {
            Exit::Findings
        } else {
            Exit::Clean
        });
    }

    let mut written = Vec::new();
    let mut failed = Vec::new();
    for Step {
        wanted: w,
        live,
        actions,
    } in &plan
    {
        let Some(l) = live else { continue };
        for (k, a) in actions {
            if !matches!(a, Action::Set | Action::Change) {
                continue;
            }
            let value = &provided
                .value(&w.name, k)
                .expect("a key to write has a value")
                .0;
            let (endpoint, body) = match k.strip_prefix("file:") {
                Some(f) => (
                    Endpoint::new(format!("{}/{}/secret-files/{f}", w.holder.base(), l.id)),
                    serde_json::json!({ "content": value }),
                ),
                None => (
                    Endpoint::new(format!("{}/{}/env-vars/{k}", w.holder.base(), l.id)),
                    serde_json::json!({ "value": value }),
                ),
            };
            match client.put::<serde_json::Value>(&endpoint, &body).await {
                Ok(_) => {
                    eprintln!("set {}.{k}", w.name);
                    written.push(format!("{}.{k}", w.name));
                }
                Err(e) => failed.push(format!("{}.{k}: {}", w.name, scrub.clean(&e.to_string()))),
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} keys were set; these were not:\n  {}\n  hint: run the same command again: keys already set are left alone",
            written.len(),
            written.len() + failed.len(),
            failed.join("\n  ")
        );
    }
    eprintln!(
        "pushed {} keys; {missing} missing from the file, {absent} resources not found",
        written.len()
    );
    Ok(if missing + absent > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// A Render id: a short prefix, a dash, then letters, digits and dashes.
fn is_render_id(id: &str) -> bool {
    id.len() <= 64
        && id.split_once('-').is_some_and(|(p, rest)| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_lowercase())
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Values in the file that name a production resource: refused, by key.
fn production_values(provided: &Provided, production: &Production) -> Vec<String> {
    let mut out = Vec::new();
    let all = provided
        .everywhere
        .iter()
        .map(|(k, v)| (k.clone(), v))
        .chain(
            provided
                .per_resource
                .iter()
                .flat_map(|(r, m)| m.iter().map(move |(k, v)| (format!("{r}.{k}"), v))),
        );
    for (key, value) in all {
        if let Some(hit) = production.matches(&value.0).first() {
            let n = &production.needles[hit.needle];
            out.push(format!(
                "the value for {} names {} `{}` of {}: staging must not point at production",
                shown_key(&key),
                n.what,
                n.text,
                n.owner.describe()
            ));
        }
    }
    out
}

/// Whether environment `id` is one of production's (by project and environment name),
/// asking the API once per environment.
async fn production_environment(
    client: &Client,
    production: &Production,
    id: &str,
    cache: &mut BTreeMap<String, Option<String>>,
) -> Result<Option<String>, RequestError> {
    if let Some(known) = cache.get(id) {
        return Ok(known.clone());
    }
    let env: wire::Environment = client
        .get(&Endpoint::new(format!("/environments/{id}")))
        .await?
        .value;
    let project: wire::Project = client
        .get(&Endpoint::new(format!("/projects/{}", env.project_id)))
        .await?
        .value;
    let verdict = production
        .environments
        .contains(&(
            project.name.to_ascii_lowercase(),
            env.name.to_ascii_lowercase(),
        ))
        .then(|| {
            format!(
                "production's environment `{}` of project `{}`",
                env.name, project.name
            )
        });
    cache.insert(id.to_string(), verdict.clone());
    Ok(verdict)
}

/// Why a live resource counts as production's, if it does: its id, name, slug or address
/// is one the production snapshot holds.
fn production_identity(production: &Production, identities: &[String]) -> Option<String> {
    identities.iter().find_map(|t| {
        if let Some(r) = production.names.get(&t.to_ascii_lowercase()) {
            return Some(format!("`{t}` is the name of {}", r.describe()));
        }
        production
            .matches(t)
            .first()
            .map(|m| &production.needles[m.needle])
            .map(|n| format!("{} `{}` of {}", n.what, n.text, n.owner.describe()))
    })
}

async fn read_live(client: &Client, holder: Holder, id: &str) -> Result<Live, RequestError> {
    match holder {
        Holder::Service => {
            let env: Vec<wire::EnvVar> =
                paging::list(client, Endpoint::new(format!("/services/{id}/env-vars"))).await?;
            let files: Vec<wire::SecretFile> = paging::list(
                client,
                Endpoint::new(format!("/services/{id}/secret-files")),
            )
            .await?;
            let domains: Vec<wire::CustomDomain> = paging::list(
                client,
                Endpoint::new(format!("/services/{id}/custom-domains")),
            )
            .await?;
            Ok(Live {
                id: id.to_string(),
                env: env.into_iter().map(|v| (v.key, v.value)).collect(),
                files: files.into_iter().map(|f| (f.name, f.content)).collect(),
                identities: domains.into_iter().map(|d| d.name).collect(),
            })
        }
        Holder::EnvGroup => {
            let g: wire::EnvGroup = client
                .get(&Endpoint::new(format!("/env-groups/{id}")))
                .await?
                .value;
            Ok(Live {
                id: id.to_string(),
                env: g.env_vars.into_iter().map(|v| (v.key, v.value)).collect(),
                files: g
                    .secret_files
                    .into_iter()
                    .map(|f| (f.name, f.content))
                    .collect(),
                // A value set on a group reaches every service linked to it.
                identities: g
                    .service_links
                    .into_iter()
                    .flat_map(|l| [Some(l.id), l.name])
                    .flatten()
                    .collect(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_reads_the_common_forms_without_expanding() {
        let text = "# comment\n\nexport A=plain value # trailing\nB='single $HOME #x'\nC=\"line1\\nline2 \\\"q\\\"\"\nD=\"multi\nline\"\nfile:cert.pem='-----BEGIN-----\nabc\n-----END-----'\nE=\n";
        let p = parse_secrets(text, "s.env").unwrap();
        let get = |k: &str| p.everywhere.get(k).map(|v| v.0.as_str());
        assert_eq!(get("A"), Some("plain value"));
        assert_eq!(get("B"), Some("single $HOME #x"));
        assert_eq!(get("C"), Some("line1\nline2 \"q\""));
        assert_eq!(get("D"), Some("multi\nline"));
        assert_eq!(
            get("file:cert.pem"),
            Some("-----BEGIN-----\nabc\n-----END-----")
        );
        assert_eq!(get("E"), Some(""));
    }

    #[test]
    fn bad_files_are_refused_without_showing_values() {
        for (text, want) in [
            ("A=1\nA=2\n", "s.env:2: A is given twice"),
            ("just words\n", "s.env:1: expected KEY=value"),
            ("B=\"cnryUnterminated\n", "never ends"),
            ("bad key=cnry\n", "is not an env var key"),
            ("{\"A\": 1}", "must be a string"),
            ("{\"A\": \"cnry\",}", "not valid JSON"),
        ] {
            let e = format!("{:#}", parse_secrets(text, "s.env").unwrap_err());
            assert!(e.contains(want), "{text}: {e}");
            assert!(!e.contains("cnry"), "{e}");
        }
    }

    #[test]
    fn json_gives_values_everywhere_or_per_resource() {
        let p = parse_secrets(
            r#"{"A": "all", "api-staging": {"A": "api only", "file:key.pem": "pem"}}"#,
            "s.json",
        )
        .unwrap();
        assert_eq!(p.value("api-staging", "A").unwrap().0, "api only");
        assert_eq!(p.value("worker-staging", "A").unwrap().0, "all");
        assert_eq!(p.value("api-staging", "file:key.pem").unwrap().0, "pem");
        assert!(!format!("{p:?}").contains("api only"));
    }

    #[test]
    fn keys_the_report_does_not_list_are_named() {
        let wanted = vec![Wanted {
            holder: Holder::Service,
            name: "api-staging".into(),
            keys: ["A".to_string(), "file:k".to_string()].into(),
        }];
        let p = parse_secrets(
            r#"{"A": "x", "Z": "y", "api-staging": {"B": "z"}, "db": {"A": "w"}}"#,
            "s.json",
        )
        .unwrap();
        let refused = unlisted(&p, &wanted);
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(refused[0].contains("`Z`"));
        assert!(
            refused
                .iter()
                .any(|r| r.contains("`B` (not listed on api-staging)"))
        );
        assert!(refused.iter().any(|r| r.contains("`db`")));
    }

    #[test]
    fn the_scrubber_takes_values_out_of_messages() {
        let p = parse_secrets("A=cnrySecretValue\nB=cnrySecret\n", "s.env").unwrap();
        let s = Scrubber::new(&p);
        assert_eq!(
            s.clean("invalid value cnrySecretValue and cnrySecret"),
            "invalid value [redacted] and [redacted]"
        );
    }
}
