//! The offline pipeline for one environment, as one ordered function: snapshot + overlay
//! → staging model → files, checked. It reads and writes nothing itself: loading inputs
//! and writing (or comparing) outputs belong to the command that calls it.

use std::collections::BTreeMap;

use crate::model::Snapshot;
use crate::output::File;
use crate::overlay::{self, Overlay, Staging};
use crate::render::{self, Paths, Report};
use crate::yaml::InputError;

/// How strict to be about variables no rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strict {
    #[default]
    Off,
    /// Every secret must be decided by a rule (or rewired automatically).
    Secrets,
    /// Every variable must be.
    All,
}

#[derive(Debug)]
pub struct Outcome {
    pub files: Vec<File>,
    pub staging: Staging,
    pub report: Report,
    /// Findings that must stop the files from being written (exit 2).
    pub blocking: Vec<String>,
}

#[derive(Debug)]
pub enum Error {
    /// The overlay does not fit the snapshot: every problem, located in the overlay.
    Overlay(Vec<InputError>),
    Other(anyhow::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Overlay(errors) => f.write_str(&overlay::spec::join_errors(errors)),
            Error::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Other(e)
    }
}

pub fn run(
    snapshot: &Snapshot,
    overlay: &Overlay,
    environment: &str,
    paths: &Paths,
    strict: Strict,
) -> Result<Outcome, Error> {
    // 1. Apply the overlay: every problem with it is reported here, located in the file,
    //    before any output exists.
    let staging = overlay::apply(snapshot, overlay, environment).map_err(Error::Overlay)?;
    // 2. Strictness is judged on the model, where each variable's deciding rule is known.
    let blocking = strictness(&staging, strict);
    // 3. The report summarises the model; every file is rendered from the same model.
    let report = Report::build(
        &staging,
        &paths.snapshot_label,
        &paths.overlay_label,
        Vec::new(),
        &BTreeMap::new(),
    );
    let files = render::render(&staging, snapshot, paths, &report)?;
    Ok(Outcome {
        files,
        staging,
        report,
        blocking,
    })
}

fn strictness(staging: &Staging, strict: Strict) -> Vec<String> {
    if strict == Strict::Off {
        return Vec::new();
    }
    staging
        .env_records
        .iter()
        .filter(|r| r.is_default() && (strict == Strict::All || r.secret))
        .map(|r| {
            format!(
                "strict: {} `{}` on {} `{}` has no rule deciding it (default: {}); add an env rule for it in {}",
                if r.secret { "secret" } else { "variable" },
                r.key,
                if r.owner_kind == "service" { "service" } else { "env group" },
                r.production_owner,
                r.disposition.as_str(),
                staging.overlay_path.display()
            )
        })
        .collect()
}
