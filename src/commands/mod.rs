//! One module per subcommand. Each takes plain options and returns an [`Exit`]; errors
//! (exit 1) propagate as `anyhow::Error` with context naming the file or endpoint.

pub mod drift;
pub mod generate;
pub mod remote;
pub mod secrets;
pub mod snapshot;
pub mod validate;
pub mod verify;

use std::path::PathBuf;

/// How a command that did its job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0: nothing to report.
    Clean,
    /// Exit 2: findings (stale output, invalid Blueprint, isolation violation).
    Findings,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 2,
        }
    }
}

/// The workspace id a command works in: the one given, else production's from the config.
pub fn workspace_id(given: Option<&str>, config: &crate::config::Config) -> anyhow::Result<String> {
    let owner = given.unwrap_or(&config.file.production.owner).to_string();
    if !crate::config::is_owner_id(&owner) {
        anyhow::bail!("workspace id `{owner}` must start with `tea-` (team) or `usr-` (personal)");
    }
    Ok(owner)
}

/// An API client for a command that talks to Render: the key from `--api-key-file` or
/// `RENDER_API_KEY` (dropped once the client holds it), the URL from `--api-url` or the
/// config.
pub fn api_client(
    config: &crate::config::Config,
    api_url: Option<&str>,
    api_key_file: Option<&std::path::Path>,
    concurrency: usize,
) -> anyhow::Result<std::sync::Arc<crate::snapshot::client::Client>> {
    use crate::snapshot::client::{Client, ClientSettings, Stats};
    use anyhow::Context;
    let key = snapshot::api_key(api_key_file)?;
    let settings = ClientSettings {
        base_url: api_url.map_or_else(|| config.file.api.url.clone(), str::to_string),
        concurrency,
        headroom: config.file.api.headroom,
        ..ClientSettings::default()
    };
    let client = Client::new(&settings, &key, std::sync::Arc::new(Stats::default()))
        .context("setting up the API client (check `api.url` in the config or --api-url)")?;
    Ok(std::sync::Arc::new(client))
}

/// The names every environment's generated Blueprint declares (environments not
/// generated yet declare nothing): staging resources, never production's.
pub fn declared_by_blueprints(
    config: &crate::config::Config,
) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let mut names = std::collections::BTreeSet::new();
    for env in config.file.environments.values() {
        let path = config.resolve(&env.out).join("render.yaml");
        if !path.is_file() {
            continue;
        }
        let text = crate::yaml::read_text(&path, crate::yaml::MAX_LARGE_INPUT)??;
        let doc = crate::validate::Document::parse(&text, &path)?;
        names.extend(
            crate::validate::blueprint::resources(&doc.value)
                .iter()
                .filter_map(|r| r.name().map(str::to_string)),
        );
    }
    Ok(names)
}

/// `s` without the resources named in `names`; returns how many were taken out.
pub fn leave_out_named(
    s: &mut crate::model::Snapshot,
    names: &std::collections::BTreeSet<String>,
) -> usize {
    let before = s.services.len() + s.databases.len() + s.key_values.len() + s.env_groups.len();
    s.services.retain(|x| !names.contains(&x.name));
    s.databases.retain(|x| !names.contains(&x.name));
    s.key_values.retain(|x| !names.contains(&x.name));
    s.env_groups.retain(|x| !names.contains(&x.name));
    before - (s.services.len() + s.databases.len() + s.key_values.len() + s.env_groups.len())
}

/// Options every command shares.
#[derive(Debug, Clone)]
pub struct Global {
    pub config: PathBuf,
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    Markdown,
}
