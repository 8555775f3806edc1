//! The validate stage: everything that judges a Blueprint, as findings collected all at
//! once rather than the first error.
//!
//! - [`schema`]: our JSON Schema (`schemas/render-blueprint.schema.json`, embedded), with
//!   errors worded by us so that no value from the file reaches a message.
//! - [`semantic`]: what a schema cannot say: unique names, references that resolve, fields
//!   valid for the type and runtime, plans per resource kind, disks vs scaling, cron syntax.
//! - [`isolation`]: whether a staging Blueprint can touch the production resources of a
//!   snapshot.
//! - [`report`]: findings as text, JSON or Markdown.
//!
//! A finding carries the JSON path of what it is about and the line and column that path
//! starts at. Its message and hint may quote structure (names, types, plans, paths,
//! production hosts from the snapshot) but never a value an env var, header or command
//! holds: those may be secrets.

pub mod blueprint;
pub mod cron;
pub mod isolation;
pub mod report;
pub mod schema;
pub mod semantic;

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::yaml::{self, InputError, Locations, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One thing wrong (or doubtful) with a Blueprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable rule id (`schema`, `duplicate-name`, `isolation/reference`, …).
    pub rule: &'static str,
    /// JSON path of the node it is about: `services[0].envVars[2].value`.
    pub path: String,
    pub span: Option<Span>,
    pub message: String,
    pub hint: Option<String>,
}

impl Finding {
    /// A finding about `path`, located through `locations`.
    pub fn at(
        locations: &Locations,
        severity: Severity,
        rule: &'static str,
        path: &str,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            rule,
            path: path.to_string(),
            span: Some(locations.span(path)),
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// How strict the checks are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Every `fromDatabase`/`fromService`/`fromGroup` must name a resource in this
    /// Blueprint (the generate pipeline asks for this). Otherwise an unresolved reference
    /// is a warning, since Render lets it point at a resource that already exists.
    pub self_contained: bool,
}

/// A Blueprint read as data, with the positions of its nodes.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    pub locations: Locations,
}

impl Document {
    /// Parse a Blueprint. Fails only when the text is not YAML (or has duplicate keys);
    /// everything else is a finding.
    pub fn parse(text: &str, file: &Path) -> Result<Document, InputError> {
        let (value, locations) = yaml::to_json(text, file)?;
        Ok(Document { value, locations })
    }
}

/// Schema and semantic checks of a Blueprint's text, sorted by position.
pub fn validate_text(text: &str, file: &Path, opts: &Options) -> Result<Vec<Finding>, InputError> {
    let doc = Document::parse(text, file)?;
    Ok(validate_document(&doc, opts))
}

/// Schema and semantic checks of a parsed Blueprint, sorted by position.
pub fn validate_document(doc: &Document, opts: &Options) -> Vec<Finding> {
    let mut findings = schema::check(&doc.value, &doc.locations);
    // Where the schema already rejects a key, a semantic finding about it says it again.
    let rejected: Vec<String> = findings
        .iter()
        .filter(|f| f.message.starts_with("unknown key"))
        .map(|f| f.path.clone())
        .collect();
    findings.extend(
        semantic::check(&doc.value, &doc.locations, opts)
            .into_iter()
            .filter(|f| !rejected.contains(&f.path)),
    );
    sort(&mut findings);
    findings
}

/// Order findings by file and position, then severity and rule, and drop exact repeats.
pub fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (&a.span, a.severity, a.rule, &a.path, &a.message)
            .cmp(&(&b.span, b.severity, b.rule, &b.path, &b.message))
    });
    findings.dedup();
}

/// How many errors and warnings.
pub fn counts(findings: &[Finding]) -> (usize, usize) {
    let errors = findings.iter().filter(|f| f.is_error()).count();
    (errors, findings.len() - errors)
}

/// `a`, `b`, `c` — a list of names for a message.
pub(crate) fn ticks<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|i| format!("`{}`", i.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
