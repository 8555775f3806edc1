//! The offline pipeline for one environment, as one ordered function: snapshot + overlay
//! → staging model → files, checked. It reads and writes nothing itself: loading inputs
//! and writing (or comparing) outputs belong to the command that calls it.

use std::collections::BTreeMap;

use crate::model::Snapshot;
use crate::output::File;
use crate::overlay::{self, Overlay, Staging};
use crate::render::report::FindingRow;
use crate::render::{self, Paths, Report};
use crate::secrets::Fingerprinter;
use crate::validate::{self, Finding, isolation};
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

/// What the pipeline needs besides its inputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    pub strict: Strict,
    /// The key production's secret fingerprints were taken with, to catch a copied secret.
    pub fingerprinter: Option<&'a Fingerprinter>,
}

#[derive(Debug)]
pub struct Outcome {
    pub files: Vec<File>,
    pub staging: Staging,
    pub report: Report,
    /// Findings that must stop the files from being written (exit 2), formatted.
    pub blocking: Vec<String>,
    /// Every validation and isolation finding, errors and warnings.
    pub findings: Vec<Finding>,
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
    options: Options,
) -> Result<Outcome, Error> {
    // 1. Apply the overlay: every problem with it is reported here, located in the file,
    //    before any output exists.
    let staging = overlay::apply(snapshot, overlay, environment).map_err(Error::Overlay)?;
    // 2. Render the Blueprint once and check the text as Render and a reviewer would
    //    read it: parsed back, then the schema and semantic rules and production
    //    isolation against the snapshot. What is checked is the bytes that are written.
    let blueprint = render::blueprint_text(&staging, paths)?;
    let blueprint_path = paths.out_dir.join("render.yaml");
    let (value, locations) = crate::yaml::to_json_deferred(&blueprint, &blueprint_path)
        .map_err(|e| anyhow::anyhow!("the rendered Blueprint does not read back: {e}"))?;
    let doc = validate::Document { value, locations };
    // The two checks read the same data independently: run them side by side.
    let (mut findings, isolation) = std::thread::scope(|scope| {
        let isolation = scope.spawn(|| {
            isolation::check(
                &doc.value,
                &doc.locations,
                snapshot,
                &staging.allowances,
                options.fingerprinter,
            )
        });
        let findings = validate::validate_document(
            &doc,
            &validate::Options {
                self_contained: true,
            },
        );
        (
            findings,
            isolation
                .join()
                .expect("the isolation check does not panic"),
        )
    });
    findings.extend(isolation.findings());
    validate::sort(&mut findings);
    // 3. A refused Blueprint is never written: each blocking finding points at its cause
    //    (the overlay line, or the production value a default carried), not at a line of
    //    an unwritten file. Strictness is judged on the model, where each variable's
    //    deciding rule is known.
    let mut blocking: Vec<String> = findings
        .iter()
        .filter(|f| f.is_error())
        .map(|f| {
            crate::locate::blocking_line(
                f,
                &doc.value,
                &blueprint_path,
                &staging,
                &overlay.locations,
                &paths.snapshot_label,
            )
        })
        .collect();
    drop(doc);
    blocking.extend(strictness(&staging, options.strict));
    // 4. The report summarises the model and the checks; every file comes from the same model.
    let warnings: Vec<FindingRow> = findings
        .iter()
        .filter(|f| !f.is_error())
        .map(|f| FindingRow {
            severity: f.severity.as_str().to_string(),
            rule: f.rule.to_string(),
            at: f
                .span
                .as_ref()
                .map(|s| s.pos.to_string())
                .unwrap_or_default(),
            message: f.message.clone(),
        })
        .collect();
    let mut uses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for u in &isolation.allowed {
        uses.entry(u.target.clone())
            .or_default()
            .push(format!("{} `{}`", u.resource, u.path));
    }
    let report = Report::build(
        &staging,
        &paths.snapshot_label,
        &paths.overlay_label,
        warnings,
        &uses,
    );
    let files = render::render(&staging, blueprint, paths, &report)?;
    Ok(Outcome {
        files,
        staging,
        report,
        blocking,
        findings,
    })
}

fn strictness(staging: &Staging, strict: Strict) -> Vec<String> {
    if strict == Strict::Off {
        return Vec::new();
    }
    staging
        .env_records
        .iter()
        .filter(|r| {
            (r.is_default() || crate::render::review::names_production_undecided(r))
                && (strict == Strict::All || r.secret)
        })
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

impl From<Strict> for Options<'_> {
    fn from(strict: Strict) -> Self {
        Options {
            strict,
            fingerprinter: None,
        }
    }
}
