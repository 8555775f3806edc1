//! `stageprint generate [--check]`.

use std::path::PathBuf;

use super::{Exit, Global};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strict {
    #[default]
    Off,
    Secrets,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub environment: Option<String>,
    pub snapshot: Option<PathBuf>,
    pub overlay: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub check: bool,
    pub strict: Strict,
}

pub fn run(_global: &Global, _options: Options) -> anyhow::Result<Exit> {
    anyhow::bail!("generate: not built yet")
}
