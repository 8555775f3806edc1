//! The render stage: the staging model → file contents, through minijinja templates.
//!
//! Every decision (which fields, their values, their order, the comments) is made here in
//! Rust and handed to the templates as context structs; the templates only format. They are
//! embedded in the binary, loaded once, and use strict undefined variables. Every string
//! reaches the output through one filter, [`crate::yaml::quote`].

mod blueprint;
mod envgroup;
pub mod report;
pub mod review;
pub mod summary;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::output::File;
use crate::overlay::Staging;

pub use report::Report;

/// Every template, by name; `templates/` in the repository.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "render.yaml.j2",
        include_str!("../../templates/render.yaml.j2"),
    ),
    ("report.md.j2", include_str!("../../templates/report.md.j2")),
    (
        "report-details.md.j2",
        include_str!("../../templates/report-details.md.j2"),
    ),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("default delimiters are valid"),
        );
        // Output is YAML and Markdown, never HTML.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.add_filter("yaml", |s: String| crate::yaml::quote(&s));
        env.add_filter("comment", |s: String| crate::yaml::comment_safe(&s));
        env.add_filter("cell", |s: String| markdown_cell(&s));
        env.add_filter("code", |s: String| markdown_code(&s));
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("embedded templates parse");
        }
        env
    })
}

/// Render one template with a serialisable context.
pub fn render_template<C: Serialize>(name: &str, ctx: &C) -> anyhow::Result<String> {
    let template = environment().get_template(name)?;
    let mut text = template.render(minijinja::Value::from(minijinja::value::Serde(ctx)))?;
    // One trailing newline, LF only: templates may leave blank lines at the end.
    while text.ends_with("\n\n") {
        text.pop();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Where the files of one environment go, and how their headers name the inputs.
#[derive(Debug, Clone)]
pub struct Paths {
    pub out_dir: PathBuf,
    /// Shown in headers: relative paths as given, never absolute (output must not depend
    /// on the machine).
    pub snapshot_label: String,
    pub overlay_label: String,
}

/// A path for display in generated files: as given when relative, the file name otherwise.
pub fn label(path: &Path) -> String {
    if path.is_absolute() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        path.to_string_lossy().replace('\\', "/")
    }
}

/// Render every file of one environment. `blueprint` is the text [`blueprint_text`]
/// rendered (and validation checked); `report` carries the findings of validation.
pub fn render(
    staging: &Staging,
    blueprint: String,
    paths: &Paths,
    report: &Report,
) -> anyhow::Result<Vec<File>> {
    let mut files = Vec::new();
    files.push(File {
        path: paths.out_dir.join("render.yaml"),
        contents: blueprint,
    });
    let mut group_records: std::collections::HashMap<&str, Vec<&crate::overlay::EnvRecord>> =
        std::collections::HashMap::new();
    for r in &staging.env_records {
        // A group's own variables, and the service variables moved into it.
        let group = match (&r.into_group, r.owner_kind) {
            (Some(g), _) => g.as_str(),
            (None, "envGroup") => r.production_owner.as_str(),
            _ => continue,
        };
        group_records.entry(group).or_default().push(r);
    }
    for records in group_records.values_mut() {
        records.sort_by(|a, b| a.key.cmp(&b.key));
    }
    // Two groups whose names map to one file name (case, characters replaced by `_`)
    // would silently lose one file: refuse, naming both.
    let mut stems: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for g in &staging.env_groups {
        let stem = file_stem(&g.name);
        if let Some(other) = stems.insert(stem.to_lowercase(), g.name.as_str()) {
            anyhow::bail!(
                "env groups `{other}` and `{}` would both be written to env-groups/{stem}.yaml (file names keep only ASCII letters, digits, `-`, `_` and `.`, and ignore case)\n  hint: rename one of them in the overlay",
                g.name
            );
        }
    }
    for g in &staging.env_groups {
        let records = group_records
            .get(g.production_name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        files.push(File {
            path: paths
                .out_dir
                .join("env-groups")
                .join(format!("{}.yaml", file_stem(&g.name))),
            contents: envgroup::render(g, records, staging, paths),
        });
    }
    files.push(File {
        path: paths.out_dir.join("report.md"),
        contents: render_template("report.md.j2", &summary::context(report))?,
    });
    files.push(File {
        path: paths.out_dir.join("report-details.md"),
        contents: render_template("report-details.md.j2", report)?,
    });
    let mut json = report_json(report)?;
    json.push('\n');
    files.push(File {
        path: paths.out_dir.join("report.json"),
        contents: json,
    });
    Ok(files)
}

/// The Blueprint's text, rendered once: validation reads this text back, so what is
/// checked is what is written.
pub fn blueprint_text(staging: &Staging, paths: &Paths) -> anyhow::Result<String> {
    render_template("render.yaml.j2", &blueprint::context(staging, paths))
}

/// The report as JSON: indented down to the level of individual rows, each row on one
/// line, so a change to one variable is a one-line diff and the file stays small.
pub fn report_json(report: &Report) -> anyhow::Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, RowsFormatter::default());
    report.serialize(&mut ser)?;
    Ok(String::from_utf8(out)?)
}

/// Pretty-prints like `serde_json::to_string_pretty` above [`RowsFormatter::ROW_DEPTH`]
/// and compactly at and below it.
#[derive(Default)]
struct RowsFormatter {
    depth: usize,
    has_value: Vec<bool>,
}

impl RowsFormatter {
    const ROW_DEPTH: usize = 4;

    fn pretty(&self) -> bool {
        self.depth < Self::ROW_DEPTH
    }

    fn open<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value.push(false);
        w.write_all(bracket)
    }

    fn close<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        bracket: &[u8],
    ) -> std::io::Result<()> {
        self.depth -= 1;
        let had = self.has_value.pop().unwrap_or(false);
        if had && self.pretty() {
            w.write_all(b"\n")?;
            w.write_all(&b"  ".repeat(self.depth))?;
        }
        w.write_all(bracket)
    }

    fn element<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if let Some(h) = self.has_value.last_mut() {
            *h = true;
        }
        if !first {
            w.write_all(b",")?;
        }
        if self.depth <= Self::ROW_DEPTH {
            w.write_all(b"\n")?;
            w.write_all(&b"  ".repeat(self.depth))?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for RowsFormatter {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.element(w, first)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.element(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.pretty() { b": " } else { b":" })
    }
}

/// A safe file name for a resource name: path separators and dots at the start cannot
/// escape the output directory.
pub fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "_".into() } else { s }
}

fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => out.push_str(&crate::yaml::comment_safe(&c.to_string())),
            c => out.push(c),
        }
    }
    out
}

/// Inline code that stays inline code whatever backticks the text holds.
fn markdown_code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.is_empty() {
        " "
    } else {
        ""
    };
    markdown_cell(&format!("{fence}{pad}{s}{pad}{fence}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_loads() {
        for (name, _) in TEMPLATES {
            environment()
                .get_template(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
