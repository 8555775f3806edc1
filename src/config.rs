//! `stageprint.yaml`: the project configuration a person writes.
//!
//! It names the production workspace and which resources to read, the secret
//! classification rules, API client settings, and the environments to generate (each an
//! overlay and an output directory). Paths are relative to the config file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::secrets::SecretRules;
use crate::yaml::{self, InputError, Locations};

pub const DEFAULT_CONFIG: &str = "stageprint.yaml";
pub const CONFIG_VERSION: u32 = 1;

/// `stageprint.yaml`: the production workspace, secret rules, API settings and the
/// environments to generate.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "stageprint configuration", rename = "Config")]
pub struct ConfigFile {
    pub version: u32,
    pub production: Production,
    /// Where the production snapshot is written and read.
    #[serde(default = "default_snapshot")]
    pub snapshot: PathBuf,
    #[serde(default)]
    pub secrets: Secrets,
    #[serde(default)]
    pub api: Api,
    /// Environments to generate, by name (`staging`).
    pub environments: BTreeMap<String, EnvironmentConfig>,
}

fn default_snapshot() -> PathBuf {
    PathBuf::from("generated/production.snapshot.yaml")
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Production {
    /// The workspace (owner) id: `tea-…` or `usr-…`.
    pub owner: String,
    /// Resource name patterns to read (all when empty).
    #[serde(default)]
    pub include: Vec<String>,
    /// Resource name patterns to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Secrets {
    /// Env var key patterns that are always secret (in addition to the defaults).
    #[serde(default)]
    pub secret_keys: Vec<String>,
    /// Env var key patterns that are never secret by name or by an opaque value. Known
    /// token shapes, credentials inside URLs and query strings, webhook URLs and named
    /// credentials stay secret regardless.
    #[serde(default)]
    pub not_secret_keys: Vec<String>,
}

impl Secrets {
    pub fn rules(&self) -> SecretRules {
        SecretRules {
            secret_keys: self.secret_keys.clone(),
            not_secret_keys: self.not_secret_keys.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Api {
    /// Base URL of the Render API.
    #[serde(default = "default_api_url")]
    pub url: String,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Share of the rate-limit budget to leave for other tools using the same key (0–0.9).
    #[serde(default = "default_headroom")]
    pub headroom: f64,
    /// Give up on the whole snapshot after this many seconds.
    #[serde(default = "default_deadline")]
    pub deadline_seconds: u64,
}

impl Default for Api {
    fn default() -> Self {
        Api {
            url: default_api_url(),
            concurrency: default_concurrency(),
            headroom: default_headroom(),
            deadline_seconds: default_deadline(),
        }
    }
}

pub const DEFAULT_API_URL: &str = "https://api.render.com/v1";
/// Requests in flight at once unless the config or `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The concurrency the config and `--concurrency` may ask for.
pub const CONCURRENCY_RANGE: std::ops::RangeInclusive<usize> = 1..=64;
/// Share of the rate-limit budget left for other tools unless the config says otherwise.
pub const DEFAULT_HEADROOM: f64 = 0.2;

/// Whether `owner` has the form of a Render workspace id: `tea-…` (team) or `usr-…`
/// (personal).
pub fn is_owner_id(owner: &str) -> bool {
    owner.starts_with("tea-") || owner.starts_with("usr-")
}

fn default_api_url() -> String {
    DEFAULT_API_URL.to_string()
}
fn default_concurrency() -> usize {
    DEFAULT_CONCURRENCY
}
fn default_headroom() -> f64 {
    DEFAULT_HEADROOM
}
fn default_deadline() -> u64 {
    600
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub overlay: PathBuf,
    pub out: PathBuf,
}

/// The JSON Schema of `stageprint.yaml`, derived from these types.
pub fn json_schema() -> String {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<ConfigFile>();
    let mut text = serde_json::to_string_pretty(&schema).expect("schema serialises");
    text.push('\n');
    text
}

/// A loaded config with its paths resolved against the config file's directory.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub file: ConfigFile,
    pub locations: Locations,
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = yaml::read_text(path, yaml::MAX_SMALL_INPUT).map_err(|e| {
            anyhow::anyhow!(
                "cannot read config {}: {e}\n  hint: run stageprint from the directory holding stageprint.yaml, or pass --config PATH",
                path.display()
            )
        })??;
        Ok(Config::parse(&text, path)?)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, InputError> {
        let parsed = yaml::parse::<ConfigFile>(text, path)?;
        let config = Config {
            path: path.to_path_buf(),
            file: parsed.value,
            locations: parsed.locations,
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), InputError> {
        if self.file.version != CONFIG_VERSION {
            return Err(self.locations.error(
                "version",
                format!("unsupported config version {} (this stageprint reads version {CONFIG_VERSION})", self.file.version),
            ));
        }
        let owner = &self.file.production.owner;
        if !is_owner_id(owner) {
            let mut e = self.locations.error(
                "production.owner",
                "the workspace id must start with `tea-` (team) or `usr-` (personal)",
            );
            e.hint = Some("find it in the dashboard URL or with `GET /v1/owners`".into());
            return Err(e);
        }
        let api = &self.file.api;
        if !CONCURRENCY_RANGE.contains(&api.concurrency) {
            return Err(self.locations.error(
                "api.concurrency",
                format!(
                    "concurrency must be between {} and {}",
                    CONCURRENCY_RANGE.start(),
                    CONCURRENCY_RANGE.end()
                ),
            ));
        }
        if !(0.0..=0.9).contains(&api.headroom) {
            return Err(self
                .locations
                .error("api.headroom", "headroom must be between 0 and 0.9"));
        }
        if let Err(problem) = crate::snapshot::client::check_base_url(&api.url) {
            let mut e = InputError {
                span: self.locations.value_span("api.url"),
                message: problem,
                hint: None,
            };
            e.hint = Some(format!(
                "give the API key with RENDER_API_KEY or --api-key-file, never in the URL; the default is {DEFAULT_API_URL}"
            ));
            return Err(e);
        }
        if self.file.environments.is_empty() {
            return Err(self
                .locations
                .error("environments", "name at least one environment to generate"));
        }
        Ok(())
    }

    /// The directory paths in the config are relative to.
    pub fn base_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    pub fn resolve(&self, p: &Path) -> PathBuf {
        let base = self.base_dir();
        if p.is_absolute() || base == Path::new(".") {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.resolve(&self.file.snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "version: 1\nproduction:\n  owner: tea-x\nenvironments:\n  staging:\n    overlay: overlays/staging.yaml\n    out: generated/staging\n";

    #[test]
    fn parses_with_defaults() {
        let c = Config::parse(GOOD, Path::new("stageprint.yaml")).unwrap();
        assert_eq!(c.file.api.url, DEFAULT_API_URL);
        assert_eq!(
            c.snapshot_path(),
            PathBuf::from("generated/production.snapshot.yaml")
        );
    }

    #[test]
    fn rejects_bad_owner_with_location() {
        let text = GOOD.replace("tea-x", "srv-x");
        let e = Config::parse(&text, Path::new("stageprint.yaml")).unwrap_err();
        assert_eq!(e.span.to_string(), "stageprint.yaml:3:3");
    }

    #[test]
    fn owner_ids_and_concurrency_are_checked_in_one_place() {
        // (owner, accepted)
        for (owner, ok) in [
            ("tea-x", true),
            ("usr-abc", true),
            ("srv-x", false),
            ("TEA-x", false),
            ("tea", false),
            ("", false),
        ] {
            assert_eq!(is_owner_id(owner), ok, "{owner:?}");
        }
        // (concurrency, accepted by the config)
        for (n, ok) in [
            (0, false),
            (1, true),
            (DEFAULT_CONCURRENCY, true),
            (64, true),
            (65, false),
        ] {
            let text = format!("{GOOD}api:\n  concurrency: {n}\n");
            let parsed = Config::parse(&text, Path::new("stageprint.yaml"));
            assert_eq!(parsed.is_ok(), ok, "concurrency {n}");
            if let Err(e) = parsed {
                assert_eq!(e.message, "concurrency must be between 1 and 64");
            }
        }
        let c = Config::parse(GOOD, Path::new("stageprint.yaml")).unwrap();
        assert_eq!(c.file.api.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(c.file.api.headroom, DEFAULT_HEADROOM);
        let client = crate::snapshot::client::ClientSettings::default();
        assert_eq!(
            (client.concurrency, client.headroom),
            (DEFAULT_CONCURRENCY, DEFAULT_HEADROOM)
        );
    }
}
