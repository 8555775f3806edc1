//! Blueprint validation end to end: the known-good and known-bad documents under
//! `tests/validate/` against their expected findings, and cross-checks of our schema
//! against Render's published one on those documents and on the real-world corpus.
//!
//! Set `STAGEPRINT_BLESS=1` to rewrite the `.expected` files after an intended change
//! (then read the diff).

use std::fs;
use std::path::{Path, PathBuf};

use stageprint::validate::schema::Schema;
use stageprint::validate::{self, Options, report};
use stageprint::yaml;

mod cross_check;
use cross_check::shared_dir;

fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = fs::read_dir("tests/validate")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    docs.sort();
    assert!(
        docs.len() >= 7,
        "the known-good and known-bad documents are missing"
    );
    docs
}

#[test]
fn documents_produce_their_expected_findings() {
    let bless = std::env::var("STAGEPRINT_BLESS").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for doc in documents() {
        let text = fs::read_to_string(&doc).unwrap();
        let findings = validate::validate_text(&text, &doc, &Options::default()).unwrap();
        let rendered = report::text(&findings, 1);
        let name = doc.file_name().unwrap().to_string_lossy().into_owned();
        let (errors, _) = validate::counts(&findings);
        if name.starts_with("good-") {
            assert_eq!(errors, 0, "{name} is meant to be valid:\n{rendered}");
        } else {
            assert!(errors > 0, "{name} is meant to be invalid");
        }
        assert!(
            !rendered.contains("CANARY"),
            "{name}: a value reached a finding:\n{rendered}"
        );
        let expected_path = doc.with_extension("expected");
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != rendered {
            if bless {
                fs::write(&expected_path, &rendered).unwrap();
            } else {
                stale.push(format!(
                    "{name}:\n{}",
                    stageprint::output::unified_diff(&expected, &rendered, &expected_path)
                ));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "findings differ (STAGEPRINT_BLESS=1 to accept):\n{}",
        stale.join("\n")
    );
}

#[test]
fn validation_is_deterministic() {
    for doc in documents() {
        let text = fs::read_to_string(&doc).unwrap();
        let a = validate::validate_text(&text, &doc, &Options::default()).unwrap();
        let b = validate::validate_text(&text, &doc, &Options::default()).unwrap();
        assert_eq!(report::json(&a), report::json(&b));
    }
}

struct Verdicts {
    render_rejects: Vec<String>,
    we_reject_more: Vec<String>,
}

/// Run both schemas over `files`: whenever Render's accepts a file, ours must too.
fn cross_check(files: &[PathBuf], render: &Schema) -> Verdicts {
    let mut v = Verdicts {
        render_rejects: Vec::new(),
        we_reject_more: Vec::new(),
    };
    for f in files {
        let text = fs::read_to_string(f).unwrap();
        let (doc, locations) = yaml::to_json(&text, f).unwrap_or_else(|e| panic!("{e}"));
        let ours = Schema::ours().findings(&doc, &locations);
        if render.is_valid(&doc) {
            if !ours.is_empty() {
                v.we_reject_more.push(report::text(&ours, 1));
            }
        } else {
            let why: Vec<String> = render
                .findings(&doc, &locations)
                .iter()
                .take(3)
                .map(|f| format!("    {}: {}", f.span.as_ref().unwrap(), f.message))
                .collect();
            v.render_rejects
                .push(format!("{}\n{}", f.display(), why.join("\n")));
        }
    }
    v
}

fn render_schema(shared: &Path) -> Schema {
    let text = fs::read_to_string(shared.join("render-blueprint-2026-09.schema.json")).unwrap();
    Schema::compile(&text).unwrap()
}

#[test]
fn our_schema_accepts_every_corpus_file_renders_schema_accepts() {
    let Some(shared) = shared_dir() else { return };
    let render = render_schema(&shared);
    let mut files: Vec<PathBuf> = fs::read_dir(shared.join("blueprint-corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let v = cross_check(&files, &render);
    println!(
        "corpus: {} files; Render's schema rejects {}:\n{}",
        files.len(),
        v.render_rejects.len(),
        v.render_rejects.join("\n")
    );
    assert!(
        v.we_reject_more.is_empty(),
        "our schema rejects files Render's accepts:\n{}",
        v.we_reject_more.join("\n")
    );
    // Corpus files Render's schema rejects must not all pass ours: we are strict where it is.
    let ours_rejects = files
        .iter()
        .filter(|f| {
            let text = fs::read_to_string(f).unwrap();
            let (doc, _) = yaml::to_json(&text, f).unwrap();
            !Schema::ours().is_valid(&doc)
        })
        .count();
    assert!(ours_rejects > 0 && ours_rejects <= v.render_rejects.len());
}

#[test]
fn our_schema_accepts_every_test_document_renders_schema_accepts() {
    let Some(shared) = shared_dir() else { return };
    let v = cross_check(&documents(), &render_schema(&shared));
    assert!(
        v.we_reject_more.is_empty(),
        "our schema rejects documents Render's accepts:\n{}",
        v.we_reject_more.join("\n")
    );
}

#[test]
fn our_schema_knows_the_fields_renders_schema_lacks() {
    let Some(shared) = shared_dir() else { return };
    let render = render_schema(&shared);
    let doc = Path::new("tests/validate/good-every-kind.yaml");
    let (value, _) = yaml::to_json(&fs::read_to_string(doc).unwrap(), doc).unwrap();
    assert!(Schema::ours().is_valid(&value));
    assert!(
        !render.is_valid(&value),
        "the document uses fields Render documents but its schema lacks"
    );
}

/// The plans Render's September 2026 schema lists for one resource kind.
fn render_plans(shared: &Path, definition: &str) -> Vec<String> {
    let text = fs::read_to_string(shared.join("render-blueprint-2026-09.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let plans: Vec<String> = schema["definitions"][definition]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{definition} lists its plans"))
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert!(!plans.is_empty());
    plans
}

/// What Render's September 2026 schema added, tried one change at a time on a document it
/// accepts: every plan of each resource kind's list, every value of each new field on each
/// kind that takes it, and each new reference. Whatever Render's schema accepts,
/// `stageprint validate` (schema and semantic rules) accepts too.
#[test]
fn validate_accepts_every_plan_and_new_field_renders_schema_accepts() {
    use serde_json::{Value, json};
    let Some(shared) = shared_dir() else { return };
    let render = render_schema(&shared);
    let base_path = Path::new("tests/validate/good-2026-09.yaml");
    let (base, _) = yaml::to_json(&fs::read_to_string(base_path).unwrap(), base_path).unwrap();
    assert!(
        render.is_valid(&base),
        "Render's schema accepts the base document"
    );

    let mut tries: Vec<(String, Value)> = Vec::new();
    let mut set = |what: String, pointer: &str, key: &str, value: Value| {
        let mut doc = base.clone();
        doc.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer} exists"))
            .as_object_mut()
            .unwrap()
            .insert(key.to_string(), value);
        tries.push((what, doc));
    };
    let services = base["services"].as_array().unwrap().clone();
    for (i, s) in services.iter().enumerate() {
        let at = format!("/services/{i}");
        let (t, runtime) = (s["type"].as_str().unwrap(), s["runtime"].as_str());
        let plans = match (t, runtime) {
            ("web", Some("static")) | ("workflow", _) => None,
            ("web" | "pserv" | "worker", _) => Some("serverPlan"),
            ("cron", _) => Some("cronPlan"),
            ("keyvalue" | "redis", _) => Some("keyValuePlan"),
            _ => None,
        };
        for plan in plans.map(|d| render_plans(&shared, d)).unwrap_or_default() {
            // Render's API refuses `free` for private services and workers, which its
            // schema does not say; stageprint's semantic rules do.
            if plan == "free" && matches!(t, "pserv" | "worker") {
                continue;
            }
            set(format!("{t} plan `{plan}`"), &at, "plan", json!(plan));
        }
        match (t, runtime) {
            ("web" | "pserv" | "worker", r) if r != Some("static") => {
                for mode in [
                    json!({"enabled": true}),
                    json!({"enabled": false, "uri": "https://example.com/m"}),
                ] {
                    set(
                        format!("{t} maintenanceMode {mode}"),
                        &at,
                        "maintenanceMode",
                        mode,
                    );
                }
            }
            _ => {}
        }
        if matches!(t, "cron") || runtime == Some("static") {
            set(
                format!("{t} preDeployCommand"),
                &at,
                "preDeployCommand",
                json!("./migrate"),
            );
        }
        if matches!(t, "keyvalue" | "redis") {
            for mode in ["journal-snapshot", "snapshot", "off"] {
                set(
                    format!("Key Value persistenceMode `{mode}`"),
                    &at,
                    "persistenceMode",
                    json!(mode),
                );
            }
        }
    }
    for plan in render_plans(&shared, "postgresPlan") {
        set(
            format!("Postgres plan `{plan}`"),
            "/databases/0",
            "plan",
            json!(plan),
        );
    }
    for pool in ["pgbouncer", "none"] {
        set(
            format!("Postgres connectionPool `{pool}`"),
            "/databases/0",
            "connectionPool",
            json!(pool),
        );
    }
    for (key, reference) in [
        (
            "fromDatabase",
            json!({"name": "main-db", "property": "connectionPoolString"}),
        ),
        (
            "fromService",
            json!({"type": "pserv", "name": "search", "property": "slug"}),
        ),
        (
            "fromService",
            json!({"type": "cron", "name": "nightly", "property": "slug"}),
        ),
        (
            "fromService",
            json!({"type": "workflow", "name": "pipelines", "property": "slug"}),
        ),
        (
            "fromService",
            json!({"type": "workflow", "name": "pipelines", "envVarKey": "TOKEN_NAME"}),
        ),
    ] {
        let var = json!([{ "key": "REFERENCE", key: reference }]);
        set(format!("{key} {reference}"), "/services/0", "envVars", var);
    }

    let mut accepted = 0;
    let mut failures = Vec::new();
    for (what, doc) in &tries {
        if !render.is_valid(doc) {
            continue;
        }
        accepted += 1;
        let text = serde_json::to_string_pretty(doc).unwrap();
        let findings = validate::validate_text(&text, base_path, &Options::default()).unwrap();
        if validate::counts(&findings).0 > 0 {
            failures.push(format!("{what}:\n{}", report::text(&findings, 1)));
        }
    }
    println!(
        "{} changes tried, {accepted} accepted by Render's schema",
        tries.len()
    );
    // Each change is one Render's schema accepts; a change it rejects means the test no
    // longer exercises what it says.
    assert_eq!(
        accepted,
        tries.len(),
        "Render's schema rejects a change meant to be valid"
    );
    assert!(
        failures.is_empty(),
        "Render's schema accepts, stageprint validate rejects:\n{}",
        failures.join("\n")
    );
}

/// Every document with one node changed: removed, or replaced by a value of another type
/// (or by a discriminator value such as `static` or `keyvalue`).
fn single_mutations(doc: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::{Value, json};
    let replacements = [
        Value::Null,
        json!(true),
        json!(7),
        json!("static"),
        json!("keyvalue"),
        json!("cron"),
        json!([]),
        json!({}),
    ];
    let mut pointers = Vec::new();
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                walk(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                )
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(x, format!("{at}/{i}"), out)),
            _ => {}
        }
    }
    walk(doc, String::new(), &mut pointers);
    let mut out = Vec::new();
    for p in pointers.iter().skip(1) {
        let (parent, last) = p.rsplit_once('/').unwrap();
        let mut removed = doc.clone();
        match removed.pointer_mut(parent).unwrap() {
            Value::Object(m) => {
                m.remove(&last.replace("~1", "/").replace("~0", "~"));
            }
            Value::Array(a) => {
                a.remove(last.parse().unwrap());
            }
            _ => unreachable!(),
        }
        out.push(removed);
        for r in &replacements {
            let mut changed = doc.clone();
            *changed.pointer_mut(p).unwrap() = r.clone();
            out.push(changed);
        }
    }
    out
}

#[test]
fn our_schema_accepts_every_single_mutation_renders_schema_accepts() {
    let Some(shared) = shared_dir() else { return };
    let render = render_schema(&shared);
    let mut files = documents();
    files.extend(
        fs::read_dir(shared.join("blueprint-corpus"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml")),
    );
    let (mut tried, mut render_accepts) = (0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        let (doc, _) = yaml::to_json(&text, f).unwrap();
        for m in single_mutations(&doc) {
            tried += 1;
            if render.is_valid(&m) {
                render_accepts += 1;
                if !Schema::ours().is_valid(&m) && failures.len() < 5 {
                    failures.push(format!(
                        "{}:\n{}",
                        f.display(),
                        serde_json::to_string_pretty(&m).unwrap()
                    ));
                }
            }
        }
    }
    println!("{tried} mutated documents, {render_accepts} accepted by Render's schema");
    assert!(render_accepts > 0);
    assert!(
        failures.is_empty(),
        "Render's schema accepts, ours rejects:\n{}",
        failures.join("\n")
    );
}
