//! Findings as text (one `file:line:col: severity[rule] json.path: message` line each, hints
//! indented below, then a count), JSON (a stable array of objects) or Markdown (a table
//! for pull-request comments).

use serde::Serialize;

use super::{Finding, counts};

/// Plain text for a terminal.
pub fn text(findings: &[Finding], files: usize) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&line(f));
        out.push('\n');
    }
    out.push_str(&summary(findings, files));
    out.push('\n');
    out
}

/// One finding: `file:line:col: severity[rule] json.path: message`, and its hint below.
pub fn line(f: &Finding) -> String {
    let at = match &f.span {
        Some(s) => format!("{s}: "),
        None => String::new(),
    };
    let path = if f.path.is_empty() {
        String::new()
    } else {
        format!(" {}", f.path)
    };
    let mut out = format!(
        "{at}{}[{}]{path}: {}",
        f.severity.as_str(),
        f.rule,
        f.message
    );
    if let Some(h) = &f.hint {
        out.push_str(&format!("\n  hint: {h}"));
    }
    out
}

/// `2 errors, 1 warning in 1 file`.
pub fn summary(findings: &[Finding], files: usize) -> String {
    let (e, w) = counts(findings);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {} in {}",
        plural(e, "error"),
        plural(w, "warning"),
        plural(files, "file")
    )
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    severity: &'static str,
    rule: &'static str,
    path: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

/// A JSON array of findings; keys and order are stable.
pub fn json(findings: &[Finding]) -> String {
    let rows: Vec<JsonFinding> = findings
        .iter()
        .map(|f| JsonFinding {
            file: f.span.as_ref().map(|s| s.file.display().to_string()),
            line: f.span.as_ref().map(|s| s.pos.line),
            column: f.span.as_ref().map(|s| s.pos.column),
            severity: f.severity.as_str(),
            rule: f.rule,
            path: &f.path,
            message: &f.message,
            hint: f.hint.as_deref(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&rows).expect("findings serialise");
    s.push('\n');
    s
}

/// A Markdown table, for a pull-request comment.
pub fn markdown(findings: &[Finding], files: usize) -> String {
    let mut out = String::from("## stageprint validate\n\n");
    if findings.is_empty() {
        out.push_str(&format!("No findings: {}.\n", summary(findings, files)));
        return out;
    }
    out.push_str("| | where | rule | finding |\n| --- | --- | --- | --- |\n");
    for f in findings {
        let icon = if f.is_error() { "error" } else { "warning" };
        let at = f.span.as_ref().map(|s| s.to_string()).unwrap_or_default();
        let mut text = cell(&f.message);
        if let Some(h) = &f.hint {
            text.push_str("<br>hint: ");
            text.push_str(&cell(h));
        }
        out.push_str(&format!(
            "| {icon} | `{}` | `{}` | {text} |\n",
            cell(&at),
            f.rule
        ));
    }
    out.push_str(&format!("\n{}.\n", summary(findings, files)));
    out
}

/// Text safe inside a table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Severity;
    use crate::yaml::{Pos, Span};

    fn finding() -> Finding {
        Finding {
            severity: Severity::Error,
            rule: "plan",
            path: "services[0].plan".into(),
            span: Some(Span {
                file: "r.yaml".into(),
                pos: Pos { line: 4, column: 5 },
            }),
            message: "a | b".into(),
            hint: Some("h".into()),
        }
    }

    #[test]
    fn formats() {
        assert_eq!(
            text(&[finding()], 1),
            "r.yaml:4:5: error[plan] services[0].plan: a | b\n  hint: h\n1 error, 0 warnings in 1 file\n"
        );
        let j: serde_json::Value = serde_json::from_str(&json(&[finding()])).unwrap();
        assert_eq!(j[0]["line"], 4);
        assert_eq!(j[0]["rule"], "plan");
        assert!(
            markdown(&[finding()], 1)
                .contains("| error | `r.yaml:4:5` | `plan` | a \\| b<br>hint: h |")
        );
    }
}
