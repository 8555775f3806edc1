//! One module per subcommand. Each takes plain options and returns an [`Exit`]; errors
//! (exit 1) propagate as `anyhow::Error` with context naming the file or endpoint.

pub mod generate;
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
