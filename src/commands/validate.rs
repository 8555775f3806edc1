//! `stageprint validate [FILE...]`: schema and semantic checks of Blueprints and, with
//! `--against-snapshot`, production isolation. Every finding of every file is printed;
//! exit 2 when any is an error, 1 when a file cannot be read or parsed.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Exit, Global, OutputFormat};
use crate::config::Config;
use crate::model::Snapshot;
use crate::overlay::Overlay;
use crate::secrets::Fingerprinter;
use crate::validate::{self, Document, Finding, isolation, report};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub files: Vec<PathBuf>,
    pub format: OutputFormat,
    pub against_snapshot: Option<PathBuf>,
    /// Check isolation against the snapshot the config names.
    pub against_production: bool,
    /// Also ask Render (`POST /blueprints/validate`) and check its plan for adoptions.
    pub remote: Option<super::remote::RemoteOptions>,
}

pub fn run(global: &Global, options: Options) -> anyhow::Result<Exit> {
    let files = if options.files.is_empty() {
        default_files(&global.config)?
    } else {
        options.files
    };
    let snapshot = match (&options.against_snapshot, options.against_production) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => Some(Config::load(&global.config)?.snapshot_path()),
        (None, false) => None,
    };
    let production = match &snapshot {
        Some(path) => Some(load_snapshot(path)?),
        None => None,
    };
    let fingerprinter = Fingerprinter::from_env();
    // A file that is an environment's generated Blueprint is judged with that
    // environment's overlay allowances.
    let allowances = if production.is_some() {
        environment_allowances(&global.config)?
    } else {
        Vec::new()
    };

    let mut findings = Vec::new();
    for file in &files {
        let allowed = allowances
            .iter()
            .find(|(blueprint, _)| same_file(blueprint, file))
            .map(|(_, a)| a.as_slice())
            .unwrap_or_default();
        findings.extend(check_file(
            file,
            production.as_ref(),
            allowed,
            fingerprinter.as_ref(),
        )?);
    }
    if let Some(remote) = &options.remote {
        let config = Config::load(&global.config)?;
        let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let answer = super::remote::check(&paths, &config, remote)?;
        findings.extend(answer.findings);
        for note in answer.notes {
            eprintln!("note: {note}");
        }
    }
    validate::sort(&mut findings);

    let out = match options.format {
        OutputFormat::Text => report::text(&findings, files.len()),
        OutputFormat::Json => report::json(&findings),
        OutputFormat::Markdown => report::markdown(&findings, files.len()),
    };
    print!("{out}");
    let (errors, warnings) = validate::counts(&findings);
    tracing::info!(files = files.len(), errors, warnings, "validated");
    Ok(if errors > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// Every finding for one Blueprint file: schema, semantic and (given a snapshot) isolation.
pub fn check_file(
    file: &Path,
    production: Option<&Snapshot>,
    allowances: &[isolation::Allowance],
    fingerprinter: Option<&Fingerprinter>,
) -> anyhow::Result<Vec<Finding>> {
    let text = crate::yaml::read_text(file, crate::yaml::MAX_LARGE_INPUT)
        .with_context(|| format!("cannot read Blueprint {}", file.display()))??;
    let doc = Document::parse(&text, file)?;
    let mut findings = validate::validate_document(&doc, &validate::Options::default());
    if let Some(snapshot) = production {
        findings.extend(
            isolation::check(
                &doc.value,
                &doc.locations,
                snapshot,
                allowances,
                fingerprinter,
            )
            .findings(),
        );
    }
    Ok(findings)
}

/// Each environment's generated Blueprint path and its overlay's allowances, when a
/// config is there to say (validating files outside a project needs none).
fn environment_allowances(
    config: &Path,
) -> anyhow::Result<Vec<(PathBuf, Vec<isolation::Allowance>)>> {
    if !config.is_file() {
        return Ok(Vec::new());
    }
    let config = Config::load(config)?;
    let mut out = Vec::new();
    for e in config.file.environments.values() {
        let overlay_path = config.resolve(&e.overlay);
        if !overlay_path.is_file() {
            continue;
        }
        let overlay = Overlay::load(&overlay_path)?;
        out.push((
            config.resolve(&e.out).join("render.yaml"),
            overlay.allowances(),
        ));
    }
    Ok(out)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Each environment's `<out>/render.yaml` from the config.
fn default_files(config: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let config = Config::load(config)?;
    let files: Vec<PathBuf> = config
        .file
        .environments
        .values()
        .map(|e| config.resolve(&e.out).join("render.yaml"))
        .collect();
    for f in &files {
        if !f.is_file() {
            anyhow::bail!(
                "no Blueprint at {} (the `out` of an environment in {})\n  hint: run `stageprint generate`, or name the files to check: `stageprint validate FILE`",
                f.display(),
                config.path.display()
            );
        }
    }
    Ok(files)
}

fn load_snapshot(path: &Path) -> anyhow::Result<Snapshot> {
    let text = crate::yaml::read_text(path, crate::yaml::MAX_LARGE_INPUT)
        .with_context(|| format!("cannot read snapshot {}", path.display()))??;
    Ok(Snapshot::from_yaml(&text, path)?)
}
