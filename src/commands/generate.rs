//! `stageprint generate [--check]`: snapshot + overlay → Blueprint, env groups and report,
//! validated; then written, or compared with what is on disk.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{Exit, Global};
use crate::config::Config;
use crate::model::Snapshot;
use crate::output;
use crate::overlay::{Overlay, Staging};
use crate::pipeline;
use crate::render::{self, Paths, Report};
use crate::secrets::Fingerprinter;

pub use crate::pipeline::Strict;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub environment: Option<String>,
    pub snapshot: Option<PathBuf>,
    pub overlay: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub check: bool,
    pub strict: Strict,
}

/// One environment to generate.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub overlay: PathBuf,
    pub out: PathBuf,
}

/// The files of one environment, rendered and checked but not yet written.
#[derive(Debug)]
pub struct Generated {
    pub target: Target,
    pub files: Vec<output::File>,
    pub staging: Staging,
    pub report: Report,
    /// Findings that stop generation (exit 2): invalid Blueprint, isolation violations, strictness.
    pub blocking: Vec<String>,
}

pub fn run(global: &Global, options: Options) -> Result<Exit> {
    let config = Config::load(&global.config)?;
    let targets = targets(&config, &options)?;
    let snapshot_path = options
        .snapshot
        .clone()
        .unwrap_or_else(|| config.snapshot_path());
    let snapshot = load_snapshot(&snapshot_path)?;

    // Everything is rendered and checked before anything is written: a failure in any
    // environment leaves every previous output untouched.
    let mut generated = Vec::new();
    for target in targets {
        generated.push(generate(&snapshot, &snapshot_path, target, options.strict)?);
    }
    let blocking: Vec<&String> = generated.iter().flat_map(|g| &g.blocking).collect();
    if !blocking.is_empty() {
        for b in &blocking {
            eprintln!("{b}");
        }
        eprintln!("error: {} finding(s); nothing was written", blocking.len());
        return Ok(Exit::Findings);
    }

    if options.check {
        return check(&generated);
    }
    for g in &generated {
        let written = output::write_all(&g.files, &owned_dirs(&g.target.out))?;
        let changed = written
            .iter()
            .filter(|(_, w)| *w != output::Written::Unchanged)
            .count();
        let s = &g.report.summary;
        eprintln!(
            "{}: {} files in {} ({} changed); {} env vars, {}% decided by a rule or automatically, {} manual steps",
            g.target.name,
            written.len(),
            g.target.out.display(),
            changed,
            s.env_vars,
            s.coverage_percent,
            s.manual_steps
        );
    }
    Ok(Exit::Clean)
}

fn owned_dirs(out: &Path) -> Vec<PathBuf> {
    vec![out.to_path_buf(), out.join("env-groups")]
}

fn check(generated: &[Generated]) -> Result<Exit> {
    let mut stale = false;
    for g in generated {
        let report = output::check(&g.files, &owned_dirs(&g.target.out))?;
        for (path, diff) in &report.stale {
            println!("stale: {}", path.display());
            print!("{diff}");
        }
        for path in &report.missing {
            println!("missing: {}", path.display());
        }
        for path in &report.orphans {
            println!("orphan (no longer generated): {}", path.display());
        }
        stale |= !report.is_clean();
    }
    if stale {
        eprintln!(
            "error: generated files are out of date; run `stageprint generate` and commit the result"
        );
        Ok(Exit::Findings)
    } else {
        eprintln!("generated files are up to date");
        Ok(Exit::Clean)
    }
}

fn targets(config: &Config, options: &Options) -> Result<Vec<Target>> {
    let envs = &config.file.environments;
    let chosen: Vec<(&String, _)> = match &options.environment {
        Some(name) => match envs.get_key_value(name) {
            Some(e) => vec![e],
            None => bail!(
                "no environment `{name}` in {}; it has: {}",
                config.path.display(),
                envs.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        },
        None => envs.iter().collect(),
    };
    if chosen.len() > 1 && (options.overlay.is_some() || options.out.is_some()) {
        bail!(
            "--overlay and --out need a single environment; add --env (one of: {})",
            envs.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(chosen
        .into_iter()
        .map(|(name, e)| Target {
            name: name.clone(),
            overlay: options
                .overlay
                .clone()
                .unwrap_or_else(|| config.resolve(&e.overlay)),
            out: options
                .out
                .clone()
                .unwrap_or_else(|| config.resolve(&e.out)),
        })
        .collect())
}

pub fn load_snapshot(path: &Path) -> Result<Snapshot> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read snapshot {}\n  hint: take one with `stageprint snapshot`",
            path.display()
        )
    })?;
    Ok(Snapshot::from_yaml(&text, path)?)
}

/// Load the overlay and run the pipeline for one environment, up to (not including) writing.
pub fn generate(
    snapshot: &Snapshot,
    snapshot_path: &Path,
    target: Target,
    strict: Strict,
) -> Result<Generated> {
    let overlay = Overlay::load(&target.overlay)?;
    let paths = Paths {
        out_dir: target.out.clone(),
        snapshot_label: render::label(snapshot_path),
        overlay_label: render::label(&target.overlay),
    };
    let fingerprinter = Fingerprinter::from_env();
    let options = pipeline::Options {
        strict,
        fingerprinter: fingerprinter.as_ref(),
    };
    let outcome = pipeline::run(snapshot, &overlay, &target.name, &paths, options)?;
    Ok(Generated {
        target,
        files: outcome.files,
        staging: outcome.staging,
        report: outcome.report,
        blocking: outcome.blocking,
    })
}
