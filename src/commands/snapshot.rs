//! `stageprint snapshot`.

use std::path::PathBuf;

use super::{Exit, Global};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub owner: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub api_url: Option<String>,
    pub out: Option<PathBuf>,
    pub concurrency: Option<usize>,
    pub explain_secrets: bool,
}

pub fn run(_global: &Global, _options: Options) -> anyhow::Result<Exit> {
    anyhow::bail!("snapshot: not built yet")
}
