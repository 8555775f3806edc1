//! `stageprint validate`.

use std::path::PathBuf;

use super::{Exit, Global, OutputFormat};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub files: Vec<PathBuf>,
    pub format: OutputFormat,
    pub against_snapshot: Option<PathBuf>,
}

pub fn run(_global: &Global, _options: Options) -> anyhow::Result<Exit> {
    anyhow::bail!("validate: not built yet")
}
