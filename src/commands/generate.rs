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
    check_out_dirs(&config, &targets, &snapshot_path)?;
    let snapshot = load_snapshot(&snapshot_path)?;

    // Everything is rendered and checked before anything is written: a failure in any
    // environment leaves every previous output untouched.
    let mut generated = Vec::new();
    for target in targets {
        generated.push(generate_in(
            &snapshot,
            &snapshot_path,
            target,
            options.strict,
            Some(&config.base_dir()),
        )?);
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
    // Every environment's folder in one transaction: all are written or none.
    let folders: Vec<(&[output::File], &Path)> = generated
        .iter()
        .map(|g| (g.files.as_slice(), g.target.out.as_path()))
        .collect();
    let all_written = output::write_folders(&folders, &mut |_| Ok(()))?;
    for (g, written) in generated.iter().zip(all_written) {
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

fn check(generated: &[Generated]) -> Result<Exit> {
    let mut stale = false;
    for g in generated {
        let report = output::check(&g.files, &g.target.out)?;
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
    let text =
        crate::yaml::read_text(path, crate::yaml::MAX_LARGE_INPUT).with_context(|| {
            format!(
                "cannot read snapshot {}\n  hint: take one with `stageprint snapshot`",
                path.display()
            )
        })??;
    Ok(Snapshot::from_yaml(&text, path)?)
}

/// Load the overlay and run the pipeline for one environment, up to (not including) writing.
pub fn generate(
    snapshot: &Snapshot,
    snapshot_path: &Path,
    target: Target,
    strict: Strict,
) -> Result<Generated> {
    generate_in(snapshot, snapshot_path, target, strict, None)
}

/// [`generate`], with the inputs' labels spelt relative to `base` (the config's folder)
/// when they lie inside it, so output does not depend on the working folder.
fn generate_in(
    snapshot: &Snapshot,
    snapshot_path: &Path,
    target: Target,
    strict: Strict,
    base: Option<&Path>,
) -> Result<Generated> {
    // The overlay's name shows up in the output (headers, the report's positions): name
    // the file relative to the config's folder, so the output is the same from any
    // working folder and however `--config` or `--overlay` is spelt.
    let overlay = match base.and_then(|b| relative_label(b, &target.overlay)) {
        Some(shown) => {
            let text = crate::yaml::read_text(&target.overlay, crate::yaml::MAX_SMALL_INPUT)
                .with_context(|| format!("cannot read overlay {}", target.overlay.display()))??;
            Overlay::parse(&text, Path::new(&shown))
                .map_err(|errors| anyhow::anyhow!(crate::overlay::spec::join_errors(&errors)))?
        }
        None => Overlay::load(&target.overlay)?,
    };
    let label = |p: &Path| match base.and_then(|b| relative_label(b, p)) {
        Some(l) => l,
        None => render::label(p),
    };
    let paths = Paths {
        out_dir: target.out.clone(),
        snapshot_label: label(snapshot_path),
        overlay_label: label(&target.overlay),
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

/// `path` relative to `base` with `/` separators (`..` segments when it lies outside),
/// the same however either is spelt.
fn relative_label(base: &Path, path: &Path) -> Option<String> {
    let rel = pathdiff::diff_paths(absolute(path), absolute(base))?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// An absolute spelling of `path` that does not depend on how it was written: relative to
/// the working folder, `.` and `..` resolved, links resolved as far as the path exists
/// (a folder not yet created is appended to its nearest existing ancestor).
pub fn absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut lexical = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other.as_os_str()),
        }
    }
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut out = canonical;
            for r in rest.iter().rev() {
                out.push(r);
            }
            return out;
        }
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return lexical,
        }
    }
}

/// Refuse output folders that would overwrite or remove something else: a folder holding
/// an input (snapshot, overlay, config), the project folder or a repository root, and two
/// environments writing to the same folder or one inside the other (however spelt).
fn check_out_dirs(config: &Config, targets: &[Target], snapshot_path: &Path) -> Result<()> {
    let config_dir = absolute(&config.base_dir());
    let mut inputs: Vec<(&str, &Path, PathBuf)> = vec![
        ("the config", &config.path, absolute(&config.path)),
        ("the snapshot", snapshot_path, absolute(snapshot_path)),
    ];
    for t in targets {
        inputs.push(("an overlay", &t.overlay, absolute(&t.overlay)));
    }
    // Every environment's folder, with the chosen one as this run will write it.
    let mut outs: Vec<(String, PathBuf)> = Vec::new();
    for (name, e) in &config.file.environments {
        let out = match targets.iter().find(|t| &t.name == name) {
            Some(t) => t.out.clone(),
            None => config.resolve(&e.out),
        };
        outs.push((name.clone(), out));
    }
    let hint = "give each environment a folder of its own, such as `generated/<environment>`, with `out` in stageprint.yaml or --out";
    for t in targets {
        let out = absolute(&t.out);
        let shown = t.out.display();
        if config_dir.starts_with(&out) {
            bail!(
                "refusing to write environment `{}` to {shown}: it is the project folder (it holds {}) or contains it\n  hint: {hint}",
                t.name,
                config.path.display()
            );
        }
        if out.join(".git").exists() {
            bail!(
                "refusing to write environment `{}` to {shown}: it is the root of a repository\n  hint: {hint}",
                t.name
            );
        }
        for (what, shown_input, input) in &inputs {
            if input.starts_with(&out) {
                bail!(
                    "refusing to write environment `{}` to {shown}: it contains {what} ({})\n  hint: {hint}",
                    t.name,
                    shown_input.display()
                );
            }
        }
    }
    for (i, (a, a_out)) in outs.iter().enumerate() {
        for (b, b_out) in &outs[i + 1..] {
            let (x, y) = (absolute(a_out), absolute(b_out));
            if x == y {
                bail!(
                    "environments `{a}` and `{b}` both write to the same folder ({} and {})\n  hint: {hint}",
                    a_out.display(),
                    b_out.display()
                );
            }
            if x.starts_with(&y) || y.starts_with(&x) {
                let (inner, outer) = if x.starts_with(&y) { (a, b) } else { (b, a) };
                bail!(
                    "the output folder of environment `{inner}` lies inside that of `{outer}` ({} and {})\n  hint: {hint}",
                    a_out.display(),
                    b_out.display()
                );
            }
        }
    }
    Ok(())
}
