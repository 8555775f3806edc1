//! `report.md`: the report's summary, short enough for a pull-request comment whatever
//! the workspace's size (GitHub's limit is 65,536 characters). Each list shows its first
//! rows and says how many more `report-details.md` has; every cell is clipped. The full
//! tables are in `report-details.md`, all the data in `report.json`.

use serde::Serialize;

use super::report::{Report, Summary};

/// Rows each list of the summary shows.
const ROWS: usize = 15;
/// Characters a cell keeps.
const CELL: usize = 160;
/// GitHub's limit on a pull-request comment, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context<'a> {
    header: &'a str,
    environment: String,
    snapshot: String,
    overlay: String,
    summary: &'a Summary,
    not_copied: Clipped,
    endpoints: Clipped,
    production_named: Clipped,
    allowances: Clipped,
    manual_steps: Vec<(String, usize)>,
    findings: Clipped,
}

/// The first rows of a list and how many were left out.
#[derive(Debug, Serialize)]
struct Clipped {
    rows: Vec<String>,
    more: usize,
}

fn clipped(all: impl ExactSizeIterator<Item = String>) -> Clipped {
    let total = all.len();
    Clipped {
        rows: all.take(ROWS).collect(),
        more: total.saturating_sub(ROWS),
    }
}

/// At most [`CELL`] characters, the cut marked.
fn clip(s: &str) -> String {
    match s.char_indices().nth(CELL) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn code(s: &str) -> String {
    super::markdown_code(&clip(s))
}

fn cell(s: &str) -> String {
    super::markdown_cell(&clip(s))
}

pub fn context(report: &Report) -> Context<'_> {
    let owner = |kind: &str| {
        if kind == "service" {
            "service"
        } else {
            "env group"
        }
    };
    Context {
        header: &report.header,
        environment: cell(&report.environment),
        snapshot: code(&report.snapshot),
        overlay: code(&report.overlay),
        summary: &report.summary,
        not_copied: clipped(
            report
                .not_copied
                .iter()
                .map(|n| format!("{} {}: {}", n.kind, code(&n.name), cell(&n.reason))),
        ),
        endpoints: clipped(report.review.external_endpoints.iter().map(|g| {
            format!(
                "{}: {} value(s), first {} on {} {}",
                code(&g.domain),
                g.uses.len(),
                g.uses.first().map(|u| code(&u.key)).unwrap_or_default(),
                g.uses.first().map(|u| owner(u.kind)).unwrap_or_default(),
                g.uses.first().map(|u| code(&u.owner)).unwrap_or_default(),
            )
        })),
        production_named: clipped(report.review.production_named.iter().map(|u| {
            format!(
                "{} on {} {}: {}",
                code(&u.key),
                owner(u.kind),
                code(&u.owner),
                code(&u.value)
            )
        })),
        // Deliberate exceptions to production isolation: a reviewer must see every one.
        allowances: clipped(report.allowances.iter().map(|a| {
            format!(
                "{}: {} (used by {})",
                code(&a.target),
                cell(&a.reason),
                cell(&a.uses.join(", "))
            )
        })),
        manual_steps: report
            .manual_steps
            .iter()
            .map(|g| (cell(g.title), g.steps.len()))
            .collect(),
        findings: clipped(report.findings.iter().map(|f| {
            format!(
                "{}[{}] {}: {}",
                f.severity,
                cell(&f.rule),
                cell(&f.at),
                cell(&f.message)
            )
        })),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::report::{FindingRow, StepGroup};
    use super::super::review::{EndpointGroup, Review, ReviewRow};
    use super::*;
    use crate::overlay::{ManualStep, NotCopied, StepKind};

    /// A report of `n` of everything, every text long and full of Markdown syntax.
    fn huge(n: usize) -> Report {
        let long = |i: usize| format!("{i}|`<x>`{}", "y".repeat(5_000));
        let row = |i: usize| ReviewRow {
            kind: "service",
            owner: long(i),
            key: long(i),
            value: long(i),
        };
        let summary = Summary {
            resources_copied: n,
            resources_not_copied: n,
            env_vars: n,
            decided_by_rule: 0,
            decided_automatically: 0,
            defaulted: n,
            defaulted_secrets: 0,
            coverage_percent: "0.0".into(),
            external_integrations: n,
            production_named: n,
            added: 0,
            dispositions: BTreeMap::from([("carried".to_string(), n)]),
            changes: 0,
            manual_steps: n,
            warnings: n,
        };
        Report {
            header: "h".into(),
            environment: long(0),
            snapshot: long(0),
            overlay: long(0),
            summary,
            resources: Vec::new(),
            env_vars: Vec::new(),
            changes: Vec::new(),
            manual_steps: [StepKind::SecretFile, StepKind::Unexpressed]
                .into_iter()
                .map(|kind| StepGroup {
                    title: kind.title(),
                    steps: (0..n)
                        .map(|i| ManualStep {
                            kind,
                            resource: long(i),
                            what: long(i),
                            action: long(i),
                        })
                        .collect(),
                })
                .collect(),
            allowances: Vec::new(),
            not_copied: (0..n)
                .map(|i| NotCopied {
                    kind: "service",
                    name: long(i),
                    reason: long(i),
                })
                .collect(),
            review: Review {
                external_endpoints: (0..n)
                    .map(|i| EndpointGroup {
                        domain: long(i),
                        hosts: vec![long(i)],
                        uses: (0..3).map(row).collect(),
                    })
                    .collect(),
                production_named: (0..n).map(row).collect(),
            },
            findings: (0..n)
                .map(|i| FindingRow {
                    severity: "warning".into(),
                    rule: long(i),
                    at: long(i),
                    message: long(i),
                })
                .collect(),
        }
    }

    #[test]
    fn the_summary_fits_a_pull_request_comment_whatever_the_report_holds() {
        let report = huge(10_000);
        let text = super::super::render_template("report.md.j2", &context(&report)).unwrap();
        assert!(
            text.chars().count() < COMMENT_LIMIT,
            "{} characters",
            text.chars().count()
        );
        // Each list says how much more the details file has.
        assert_eq!(
            text.matches(&format!(
                "and {} more in `report-details.md`",
                10_000 - ROWS
            ))
            .count(),
            4,
            "{text}"
        );
        assert!(text.contains("| Secret files"), "{text}");
    }
}
