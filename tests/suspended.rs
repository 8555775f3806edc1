//! Suspended production resources stay out of staging unless the overlay brings one in
//! with `select.includeSuspended`; what is left out is reported with the reason, and
//! anything that still refers to it is an error that says how to decide.

mod support;

use stageprint::model::Snapshot;
use stageprint::overlay::spec::join_errors;
use support::*;

const SNAPSHOT: &str = r#"
version: 1
workspace: {id: tea-cccccccccccccccccccc}
services:
  - id: srv-ccccccccccccccccccc1
    name: app-web
    kind: web
    runtime: node
    autoDeployTrigger: commit
    region: oregon
    numInstances: 1
    buildCommand: npm ci
    startCommand: npm start
    envVars:
      - {key: LOG_LEVEL, value: info}
      - {key: DATABASE_URL, secret: {rule: "value has credentials inside a URL"}, refersTo: {resource: database, name: app-db, property: connectionString, match: exact}}
    network: {url: "https://app-web.onrender.com", hosts: [app-web, app-web.onrender.com], ports: [10000]}
  - id: srv-ccccccccccccccccccc2
    name: app-batch
    kind: worker
    runtime: node
    autoDeployTrigger: commit
    region: oregon
    numInstances: 1
    buildCommand: npm ci
    startCommand: npm run batch
    envVars:
      - {key: QUEUE, value: batch}
    network: {hosts: [app-batch], ports: []}
    unexpressed: {suspended: true}
databases:
  - id: dpg-cccccccccccccccccccc-a
    name: app-db
    plan: basic-1gb
    region: oregon
    postgresMajorVersion: "16"
    highAvailability: false
    network: {hosts: [dpg-cccccccccccccccccccc-a], ports: [5432]}
  - id: dpg-cccccccccccccccccccd-a
    name: old-db
    plan: basic-1gb
    region: oregon
    postgresMajorVersion: "16"
    highAvailability: false
    network: {hosts: [dpg-cccccccccccccccccccd-a], ports: [5432]}
    unexpressed: {suspended: true}
keyValues: []
envGroups: []
projects: []
registryCredentials: []
blueprints: []
"#;

const BASE: &str = "version: 1\nrename:\n  suffix: -stg\n";

fn snap() -> Snapshot {
    Snapshot::from_yaml(SNAPSHOT, std::path::Path::new("suspended.yaml")).unwrap()
}

/// The same workspace where app-web also reads the suspended database.
fn snap_with_reference() -> Snapshot {
    let text = SNAPSHOT.replace(
        "      - {key: LOG_LEVEL, value: info}\n",
        "      - {key: LOG_LEVEL, value: info}\n      - {key: ARCHIVE_DB_URL, secret: {rule: \"value has credentials inside a URL\"}, refersTo: {resource: database, name: old-db, property: connectionString, match: exact}}\n",
    );
    Snapshot::from_yaml(&text, std::path::Path::new("suspended.yaml")).unwrap()
}

fn names(out: &stageprint::pipeline::Outcome) -> Vec<String> {
    let mut n: Vec<String> = out
        .staging
        .services
        .iter()
        .map(|s| s.service.name.clone())
        .chain(
            out.staging
                .databases
                .iter()
                .map(|d| d.database.name.clone()),
        )
        .collect();
    n.sort();
    n
}

fn not_copied(out: &stageprint::pipeline::Outcome) -> Vec<(String, String)> {
    out.staging
        .not_copied
        .iter()
        .map(|n| (n.name.clone(), n.reason.clone()))
        .collect()
}

fn errors(snapshot: &Snapshot, overlay_text: &str) -> String {
    let o = overlay(overlay_text);
    match stageprint::overlay::apply(snapshot, &o, "staging") {
        Ok(_) => panic!("expected an error for:\n{overlay_text}"),
        Err(e) => join_errors(&e),
    }
}

#[test]
fn suspended_resources_are_left_out_unless_brought_in() {
    // (overlay after BASE, copied resources, resources left out as suspended).
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("", &["app-db-stg", "app-web-stg"], &["app-batch", "old-db"]),
        (
            "select: {includeSuspended: [app-batch]}\n",
            &["app-batch-stg", "app-db-stg", "app-web-stg"],
            &["old-db"],
        ),
        (
            "select: {includeSuspended: [old-db]}\n",
            &["app-db-stg", "app-web-stg", "old-db-stg"],
            &["app-batch"],
        ),
        (
            "select: {includeSuspended: [\"*\"]}\n",
            &["app-batch-stg", "app-db-stg", "app-web-stg", "old-db-stg"],
            &[],
        ),
        (
            "select: {includeSuspended: [\"app-*\"]}\n",
            &["app-batch-stg", "app-db-stg", "app-web-stg"],
            &["old-db"],
        ),
        // exclude wins over includeSuspended, as it wins over include.
        (
            "select: {includeSuspended: [app-batch], exclude: [app-batch]}\n",
            &["app-db-stg", "app-web-stg"],
            &["old-db"],
        ),
        // include narrows first; includeSuspended does not widen it.
        (
            "select: {include: [\"app-*\"], includeSuspended: [old-db, app-batch]}\n",
            &["app-batch-stg", "app-db-stg", "app-web-stg"],
            &[],
        ),
    ];
    for (extra, copied, suspended) in cases {
        let out = run(&snap(), &format!("{BASE}{extra}"));
        assert!(out.blocking.is_empty(), "{extra}: {:#?}", out.blocking);
        assert_eq!(names(&out), *copied, "{extra}");
        let mut left: Vec<String> = not_copied(&out)
            .into_iter()
            .filter(|(_, why)| why.starts_with("suspended in production"))
            .map(|(n, _)| n)
            .collect();
        left.sort();
        assert_eq!(left, *suspended, "{extra}");
        let blueprint = file(&out.files, "render.yaml");
        for name in *suspended {
            assert!(
                !blueprint.contains(&format!("name: {name}-stg")),
                "{extra}: {blueprint}"
            );
        }
    }
}

#[test]
fn the_report_lists_what_was_left_out_and_why() {
    let out = run(&snap(), BASE);
    let md = file(&out.files, "report.md");
    assert!(
        md.contains("- service `app-batch`: suspended in production"),
        "{md}"
    );
    assert!(
        md.contains("- database `old-db`: suspended in production"),
        "{md}"
    );
    assert!(md.contains("select.includeSuspended: [old-db]"), "{md}");
    assert_eq!(out.report.summary.resources_not_copied, 2);
    let json = file(&out.files, "report.json");
    assert!(json.contains("suspended in production"), "{json}");
}

#[test]
fn a_reference_to_a_left_out_suspended_resource_must_be_decided() {
    let s = snap_with_reference();
    let e = errors(&s, BASE);
    assert!(
        e.contains("ARCHIVE_DB_URL on service `app-web` points at production database `old-db`, which is not copied"),
        "{e}"
    );
    assert!(e.contains("select.includeSuspended: [old-db]"), "{e}");
    // Either decision is accepted.
    let decided = run(
        &s,
        &format!("{BASE}env:\n  - {{key: ARCHIVE_DB_URL, secret: the archive database}}\n"),
    );
    assert!(decided.blocking.is_empty(), "{:#?}", decided.blocking);
    let copied = run(
        &s,
        &format!("{BASE}select: {{includeSuspended: [old-db]}}\n"),
    );
    let bp = blueprint(&copied);
    let web = service(&services(&bp), "app-web-stg").clone();
    assert_eq!(
        env_var(&web, "ARCHIVE_DB_URL")["fromDatabase"]["name"],
        "old-db-stg"
    );
}

#[test]
fn overlay_entries_for_a_left_out_suspended_resource_are_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "env:\n  - {key: X, on: [app-web], fromDatabase: {name: old-db, property: connectionString}}\n",
            "`old-db` is not copied to staging (it is suspended in production; copy it with select.includeSuspended: [old-db])",
        ),
        (
            "env:\n  - {key: QUEUE, on: [app-batch], set: other}\n",
            "`app-batch` is not copied to staging (it is suspended in production",
        ),
        (
            "resources:\n  app-batch: {numInstances: 1}\n",
            "`app-batch` is suspended in production and therefore not copied, so this does nothing",
        ),
        (
            "rename:\n  names: {old-db: archive-stg}\n",
            "`old-db` is suspended in production and therefore not copied",
        ),
        (
            "env:\n  - {key: QUEUE, set: other}\n",
            "it is on service `app-batch`, which is suspended in production and so not copied: copy it with select.includeSuspended: [app-batch]",
        ),
        (
            "select: {exclude: [app-web]}\nenv:\n  - {key: LOG_LEVEL, set: debug}\n",
            "it is on service `app-web`, which is not copied (see select)",
        ),
        (
            "select: {includeSuspended: [app-web]}\n",
            "`app-web` names no suspended production resource",
        ),
        (
            "select: {includeSuspended: [app-bach]}\n",
            "resource `app-bach` does not exist in production",
        ),
    ];
    for (extra, expected) in cases {
        let text = if extra.starts_with("rename:") {
            format!("version: 1\n{}  suffix: -stg\n", extra)
        } else {
            format!("{BASE}{extra}")
        };
        let e = errors(&snap(), &text);
        assert!(e.contains(expected), "{extra}: {e}");
        assert!(e.contains("overlay.yaml:"), "{extra}: located: {e}");
    }
}

/// Through the binary, on the bundled example with production's worker and database
/// suspended: the worker is left out and reported (exit 0); the database the API reads
/// must be decided (exit 1, located in the overlay, naming includeSuspended); bringing it
/// in copies it.
#[test]
fn generate_leaves_suspended_resources_out_and_says_how_to_bring_them_in() {
    use assert_cmd::Command;
    let dir = example_project();
    let d = dir.path();
    let snapshot = d.join("generated/production.snapshot.yaml");
    let text = std::fs::read_to_string(&snapshot).unwrap();
    let suspend = |text: &str, name: &str| {
        let mut s = Snapshot::from_yaml(text, &snapshot).unwrap();
        for svc in s.services.iter_mut().filter(|x| x.name == name) {
            svc.unexpressed.suspended = true;
        }
        for db in s.databases.iter_mut().filter(|x| x.name == name) {
            db.unexpressed.suspended = true;
        }
        s.to_yaml()
    };
    let overlay_path = d.join("overlays/staging.yaml");
    let overlay = std::fs::read_to_string(&overlay_path).unwrap();
    let run = || {
        Command::cargo_bin("stageprint")
            .unwrap()
            .current_dir(d)
            .args(["generate"])
            .output()
            .unwrap()
    };

    std::fs::write(&snapshot, suspend(&text, "insurance-navigator-worker")).unwrap();
    // The example's rules for the worker's variables now match nothing: the error says why.
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("which is suspended in production and so not copied: copy it with select.includeSuspended: [insurance-navigator-worker]"),
        "{stderr}"
    );
    std::fs::write(&overlay_path, "version: 1\nrename:\n  suffix: -staging\n").unwrap();
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let blueprint = std::fs::read_to_string(d.join("generated/staging/render.yaml")).unwrap();
    assert!(!blueprint.contains("worker"), "{blueprint}");
    let report = std::fs::read_to_string(d.join("generated/staging/report.md")).unwrap();
    assert!(
        report.contains("- service `insurance-navigator-worker`: suspended in production"),
        "{report}"
    );

    std::fs::write(
        &overlay_path,
        overlay.replacen(
            "version: 1\n",
            "version: 1\nselect:\n  includeSuspended: [insurance-navigator-worker]\n",
            1,
        ),
    )
    .unwrap();
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let blueprint = std::fs::read_to_string(d.join("generated/staging/render.yaml")).unwrap();
    assert!(blueprint.contains("worker"), "{blueprint}");

    std::fs::write(&overlay_path, &overlay).unwrap();
    std::fs::write(&snapshot, suspend(&text, "insurance-navigator-db")).unwrap();
    let before = std::fs::read(d.join("generated/staging/render.yaml")).unwrap();
    let out = run();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("overlays/staging.yaml:"), "{stderr}");
    assert!(
        stderr.contains(
            "points at production database `insurance-navigator-db`, which is not copied"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("select.includeSuspended: [insurance-navigator-db]"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(d.join("generated/staging/render.yaml")).unwrap(),
        before
    );
}
