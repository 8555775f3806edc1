//! JSON Schema validation of a Blueprint against `schemas/render-blueprint.schema.json`
//! (embedded in the binary), turned into findings worded by us.
//!
//! The validator's own messages quote the offending value (`"sk_live_…" is not of type
//! "number"`), and a value may be a secret, so messages are rebuilt from the error kind:
//! they name the path, the expected shape and, for structural fields only (plans, types,
//! regions, numbers of instances), the value that was given.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::{Finding, Severity, ticks};
use crate::yaml::{Locations, child_index, child_key, suggest};

/// Our Blueprint schema, as shipped in `schemas/`.
pub const BLUEPRINT_SCHEMA: &str = include_str!("../../schemas/render-blueprint.schema.json");

/// A compiled schema and the JSON it was compiled from (to name allowed keys in hints).
pub struct Schema {
    json: Value,
    validator: Validator,
}

static OURS: LazyLock<Schema> = LazyLock::new(|| {
    Schema::compile(BLUEPRINT_SCHEMA).expect("the embedded Blueprint schema compiles")
});

impl Schema {
    /// The embedded Blueprint schema.
    pub fn ours() -> &'static Schema {
        &OURS
    }

    /// Compile a draft 2020-12 schema from its text.
    pub fn compile(text: &str) -> Result<Schema, String> {
        let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let validator =
            jsonschema::draft202012::new(&json).map_err(|e| format!("not a valid schema: {e}"))?;
        Ok(Schema { json, validator })
    }

    pub fn is_valid(&self, doc: &Value) -> bool {
        self.validator.is_valid(doc)
    }

    /// Every schema error in `doc`, as findings with rule `schema`.
    pub fn findings(&self, doc: &Value, locations: &Locations) -> Vec<Finding> {
        let mut out = Vec::new();
        for e in self.validator.iter_errors(doc) {
            self.translate(&e, locations, &mut out);
        }
        // A wrong type says it all: drop the enum or const complaint about the same value.
        let mistyped: Vec<String> = out
            .iter()
            .filter(|f| f.message.starts_with("wrong type"))
            .map(|f| f.path.clone())
            .collect();
        out.retain(|f| {
            f.message.starts_with("wrong type")
                || !mistyped.contains(&f.path)
                || f.message.starts_with("unknown key")
        });
        out
    }

    fn translate(&self, e: &ValidationError<'_>, locations: &Locations, out: &mut Vec<Finding>) {
        let path = instance_path(e);
        let finding = |path: &str, message: String, hint: Option<String>| Finding {
            severity: Severity::Error,
            rule: "schema",
            path: path.to_string(),
            span: Some(locations.span(path)),
            message,
            hint,
        };
        let key = last_key(&path);
        let at = if path.is_empty() {
            "at the top level".to_string()
        } else {
            format!("at `{path}`")
        };
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                let allowed = self.allowed_keys(e);
                // A known key is "unevaluated" only because something inside it failed,
                // which has its own error.
                for k in unexpected.iter().filter(|k| !allowed.contains(k)) {
                    let kp = child_key(&path, k);
                    let shown = printable_key(k);
                    let place = if path.is_empty() {
                        "at the top level".to_string()
                    } else {
                        format!("in `{path}`")
                    };
                    let hint = key_hint(k, &allowed);
                    out.push(finding(&kp, format!("unknown key {shown} {place}"), hint));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or("?");
                let hint = match name {
                    "ipAllowList" => Some("a Key Value needs `ipAllowList`; `[]` allows internal connections only".into()),
                    "runtime" => Some("set `runtime:` (node, python, go, ruby, rust, elixir, docker, image, or static)".into()),
                    "envVars" => Some("an env group needs `envVars:`, a list (it may be empty: `[]`)".into()),
                    _ => None,
                };
                out.push(finding(
                    &path,
                    format!("missing required key `{name}` {at}"),
                    hint,
                ));
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => article(t.as_str()),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| article(t.as_str()))
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                let hint = type_hint(key, e.instance());
                out.push(finding(
                    &path,
                    format!("wrong type {at}: expected {expected}"),
                    hint,
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let opts: Vec<String> = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|o| {
                                o.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| o.to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let given = structural_value(key, e.instance());
                let allowed = if opts.len() > 12 {
                    format!("it is not one of the {} allowed values", opts.len())
                } else {
                    format!("expected one of {}", ticks(&opts))
                };
                let message = match &given {
                    Some(v) => format!("`{key}` cannot be {v}; {allowed}"),
                    None => format!("value {at} is not allowed; {allowed}"),
                };
                let hint = e
                    .instance()
                    .as_str()
                    .filter(|_| given.is_some())
                    .and_then(|s| near_option(s, &opts))
                    .map(|best| format!("did you mean `{best}`?"))
                    .or_else(|| enum_hint(key));
                out.push(finding(&path, message, hint));
            }
            ValidationErrorKind::Constant { expected_value } => {
                let expected = expected_value
                    .as_str()
                    .map(|s| format!("`{s}`"))
                    .unwrap_or_else(|| expected_value.to_string());
                out.push(finding(
                    &path,
                    format!("value {at} must be {expected}"),
                    None,
                ));
            }
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => {
                let given = structural_value(key, e.instance())
                    .map(|v| format!(" (it is {v})"))
                    .unwrap_or_default();
                out.push(finding(
                    &path,
                    format!("value {at} must be at least {limit}{given}"),
                    None,
                ));
            }
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => {
                let given = structural_value(key, e.instance())
                    .map(|v| format!(" (it is {v})"))
                    .unwrap_or_default();
                out.push(finding(
                    &path,
                    format!("value {at} must be at most {limit}{given}"),
                    None,
                ));
            }
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                // Every branch a plain type mismatch: say which types would do.
                let types: Option<Vec<String>> = context
                    .iter()
                    .map(|branch| match branch.as_slice() {
                        [only] => match only.kind() {
                            ValidationErrorKind::Type {
                                kind: TypeKind::Single(t),
                            } => Some(article(t.as_str())),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect();
                match types {
                    Some(types) if !types.is_empty() => {
                        let hint = type_hint(key, e.instance());
                        out.push(finding(
                            &path,
                            format!("wrong type {at}: expected {}", types.join(" or ")),
                            hint,
                        ));
                    }
                    // Otherwise report the branch that came closest: one whose `type` matched,
                    // with the fewest errors.
                    _ => match context.iter().filter(|b| !b.is_empty()).min_by_key(|b| {
                        (b.iter().any(|e| is_discriminator_miss(e, &path)), b.len())
                    }) {
                        Some(branch) => {
                            for inner in branch {
                                self.translate(inner, locations, out);
                            }
                        }
                        None => out.push(finding(
                            &path,
                            format!("value {at} does not match any allowed shape"),
                            None,
                        )),
                    },
                }
            }
            _ => {
                // Kinds our schema does not use; the masked form never quotes the value.
                out.push(finding(
                    &path,
                    format!("{} ({at})", e.masked_with("the value")),
                    None,
                ));
            }
        }
    }

    /// Keys the schema object that raised an additional/unevaluated-properties error allows.
    fn allowed_keys(&self, e: &ValidationError<'_>) -> Vec<String> {
        let segments: Vec<String> = e
            .evaluation_path()
            .iter()
            .map(|s| match s {
                LocationSegment::Property(p) => p.to_string(),
                LocationSegment::Index(i) => i.to_string(),
            })
            .collect();
        // The last segment is the keyword itself; its parent is the object schema.
        let Some((_, parent)) = segments.split_last() else {
            return Vec::new();
        };
        let mut node = &self.json;
        for seg in parent {
            node = match (seg.as_str(), node) {
                ("$ref", n) => match n
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| self.resolve(r))
                {
                    Some(t) => t,
                    None => return Vec::new(),
                },
                (s, Value::Array(a)) => match s.parse::<usize>().ok().and_then(|i| a.get(i)) {
                    Some(t) => t,
                    None => return Vec::new(),
                },
                (s, n) => match n.get(s) {
                    Some(t) => t,
                    None => return Vec::new(),
                },
            };
        }
        let mut keys = Vec::new();
        self.collect_keys(node, &mut keys, 0);
        keys.sort();
        keys.dedup();
        keys
    }

    fn collect_keys(&self, node: &Value, keys: &mut Vec<String>, depth: usize) {
        if depth > 8 {
            return;
        }
        if let Some(r) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| self.resolve(r))
        {
            self.collect_keys(r, keys, depth + 1);
        }
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            keys.extend(props.keys().cloned());
        }
        for sub in node
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.collect_keys(sub, keys, depth + 1);
        }
    }

    fn resolve(&self, reference: &str) -> Option<&Value> {
        self.json.pointer(reference.strip_prefix('#')?)
    }
}

/// Schema findings against our embedded schema.
pub fn check(doc: &Value, locations: &Locations) -> Vec<Finding> {
    Schema::ours().findings(doc, locations)
}

/// An error saying that `type` (of the object at `path`) is not this branch's type.
fn is_discriminator_miss(e: &ValidationError<'_>, path: &str) -> bool {
    matches!(
        e.kind(),
        ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. }
    ) && instance_path(e) == child_key(path, "type")
}

fn instance_path(e: &ValidationError<'_>) -> String {
    let mut out = String::new();
    for seg in e.instance_path().iter() {
        match seg {
            LocationSegment::Property(p) => out = child_key(&out, &p),
            LocationSegment::Index(i) => out = child_index(&out, i),
        }
    }
    out
}

/// The last key of a path (`services[0].plan` → `plan`; `a.b[2]` → `b`).
fn last_key(path: &str) -> &str {
    let trimmed = path.trim_end_matches(|c: char| c == ']' || c.is_ascii_digit() || c == '[');
    trimmed.rsplit('.').next().unwrap_or("")
}

/// Fields whose values are structure, not data: safe to quote in a message.
const STRUCTURAL: &[&str] = &[
    "type",
    "runtime",
    "env",
    "plan",
    "previewPlan",
    "region",
    "maxmemoryPolicy",
    "persistenceMode",
    "autoDeployTrigger",
    "generation",
    "isolation",
    "protection",
    "renderSubdomainPolicy",
    "postgresMajorVersion",
    "version",
    "numInstances",
    "minInstances",
    "maxInstances",
    "targetCPUPercent",
    "targetMemoryPercent",
    "sizeGB",
    "diskSizeGB",
    "previewDiskSizeGB",
    "maxShutdownDelaySeconds",
    "expireAfterDays",
    "previewsExpireAfterDays",
];

/// The value, quoted, when the field is structural and the value short and scalar.
pub(crate) fn structural_value(key: &str, v: &Value) -> Option<String> {
    if !STRUCTURAL.contains(&key) {
        return None;
    }
    match v {
        Value::String(s) if s.chars().count() <= 40 && !s.chars().any(char::is_control) => {
            Some(format!("`{s}`"))
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A key as it may appear in a message: keys are structure, but an absurd one is not
/// repeated verbatim.
pub(crate) fn printable_key(k: &str) -> String {
    if !k.is_empty()
        && k.len() <= 64
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        format!("`{k}`")
    } else {
        "(a key that is not a Blueprint field)".to_string()
    }
}

fn key_hint(k: &str, allowed: &[String]) -> Option<String> {
    match k {
        "env" => return Some("`env` is the old name of `runtime`; Render's schema rejects it: write `runtime:`".into()),
        "envVarGroups" => return Some("env groups are declared at the top level, in `ungrouped`, in a project, or in an environment".into()),
        _ => {}
    }
    if allowed.is_empty() {
        return None;
    }
    match suggest(k, allowed) {
        Some(best) => Some(format!(
            "did you mean `{best}`? Allowed here: {}",
            ticks(allowed)
        )),
        None => Some(format!("allowed here: {}", ticks(allowed))),
    }
}

fn type_hint(key: &str, v: &Value) -> Option<String> {
    match (key, v) {
        ("value" | "previewValue", Value::Bool(b)) => Some(format!(
            "Render's schema takes a string or number here, not a boolean: quote it (`\"{b}\"`)"
        )),
        ("postgresMajorVersion", Value::Number(n)) => {
            Some(format!("quote it: `postgresMajorVersion: \"{n}\"`"))
        }
        ("envVars", Value::Null) => Some("write `envVars: []` for an empty list".into()),
        _ => None,
    }
}

fn enum_hint(key: &str) -> Option<String> {
    match key {
        "plan" | "previewPlan" => Some(
            "plans are lowercase, two-word plans take a space (`pro plus`), sized plans a hyphen (`basic-256mb`)".into(),
        ),
        "postgresMajorVersion" => Some("write the version as a quoted string: `\"16\"`".into()),
        _ => None,
    }
}

/// A close option: same letters ignoring case and `_`/`-`/space, else edit distance.
fn near_option<'a>(given: &str, options: &'a [String]) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '-', ' '], "");
    options
        .iter()
        .find(|o| norm(o) == norm(given))
        .map(String::as_str)
        .or_else(|| suggest(given, options))
}

fn article(t: &str) -> String {
    match t {
        "array" => "a list".into(),
        "object" => "a mapping".into(),
        "integer" => "an integer".into(),
        other => format!("a {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn errors(text: &str) -> Vec<Finding> {
        let (v, l) = crate::yaml::to_json(text, Path::new("r.yaml")).unwrap();
        check(&v, &l)
    }

    #[test]
    fn the_embedded_schema_is_a_valid_2020_12_schema() {
        let json: Value = serde_json::from_str(BLUEPRINT_SCHEMA).unwrap();
        jsonschema::meta::validate(&json).unwrap();
        assert_eq!(
            json["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }

    #[test]
    fn unknown_keys_are_located_and_suggested() {
        let f = errors(
            "services:\n  - type: web\n    name: a\n    runtime: node\n    startComand: x\n",
        );
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].path, "services[0].startComand");
        assert_eq!(f[0].span.as_ref().unwrap().pos.line, 5);
        assert!(
            f[0].hint
                .as_deref()
                .unwrap()
                .starts_with("did you mean `startCommand`?"),
            "{f:#?}"
        );
    }

    #[test]
    fn env_instead_of_runtime_is_rejected_with_a_hint() {
        let f = errors("services:\n  - type: worker\n    name: a\n    env: node\n");
        let rules: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert!(
            rules.iter().any(|m| m.contains("unknown key `env`")),
            "{rules:?}"
        );
        assert!(
            rules
                .iter()
                .any(|m| m.contains("missing required key `runtime`")),
            "{rules:?}"
        );
    }

    #[test]
    fn plan_spelling_is_exact_and_suggested() {
        let f = errors("databases:\n  - name: db\n    plan: basic_256mb\n");
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].message.contains("`plan` cannot be `basic_256mb`"));
        assert_eq!(f[0].hint.as_deref(), Some("did you mean `basic-256mb`?"));
    }

    #[test]
    fn boolean_and_list_values_never_echo_the_value() {
        let f = errors(
            "services:\n  - type: worker\n    name: a\n    runtime: node\n    envVars:\n      - key: A\n        value: true\n      - key: B\n        value: [sk_live_CANARY123]\n",
        );
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f[0].hint.as_deref().unwrap().contains("quote it"));
        for x in &f {
            assert!(!format!("{x:?}").contains("CANARY"), "{x:?}");
        }
    }

    #[test]
    fn workflow_persistence_mode_and_env_var_metadata_are_current() {
        let f = errors(
            "services:\n  - type: workflow\n    name: wf\n    runtime: python\n    buildCommand: pip install .\n  - type: keyvalue\n    name: kv\n    ipAllowList: []\n    persistenceMode: journal-snapshot\n    envVars: []\n",
        );
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].path, "services[1].envVars");
    }
}
