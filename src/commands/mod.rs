//! One module per subcommand. Each takes plain options and returns an [`Exit`]; errors
//! (exit 1) propagate as `anyhow::Error` with context naming the file or endpoint.

pub mod generate;
pub mod secrets;
pub mod snapshot;
pub mod validate;

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
    if !(owner.starts_with("tea-") || owner.starts_with("usr-")) {
        anyhow::bail!("workspace id `{owner}` must start with `tea-` (team) or `usr-` (personal)");
    }
    Ok(owner)
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
