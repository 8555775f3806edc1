//! `stageprint secrets push` under attack: API answers that repeat what they were sent,
//! malformed and oversized secrets files, live workspaces arranged so that a staging name
//! leads to production (links, domains, environments, ids, paging), and values that name
//! production. Each test states the promise it checks.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use stageprint::commands::secrets::{Holder, Wanted};
use support::fake_render::{Background, Settings};
use support::push::*;

const API: &str = "insurance-navigator-staging-api";

/// A JSON secrets file for every wanted key, with `overrides` (resource, key, value).
fn secrets_with(
    dir: &Path,
    wanted: &[Wanted],
    overrides: &[(&str, &str, &str)],
) -> std::path::PathBuf {
    let file = secrets_file(dir, wanted);
    let mut all: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for (r, k, v) in overrides {
        all[*r][*k] = json!(v);
    }
    std::fs::write(&file, serde_json::to_vec(&all).unwrap()).unwrap();
    file
}

fn no_leak(what: &str, needle: &str, out: &(i32, String, String)) {
    assert!(
        !out.1.contains(needle) && !out.2.contains(needle),
        "{what}: a value leaked (exit {}):\nSTDOUT:\n{}\nSTDERR:\n{}",
        out.0,
        out.1,
        out.2
    );
}

/// An API whose error for a write repeats the value (a 5xx that is retried, a 4xx; the
/// value as sent, JSON-escaped in the raw body, multi-line, long, short): the value is in
/// no log line (`-vv`) and no error.
#[test]
fn a_value_echoed_by_the_api_is_never_shown() {
    let long = format!("cnryLong{}", "x".repeat(400));
    let cases: [(&str, &str, u16, bool, &str); 5] = [
        (
            "a retried 5xx",
            "cnryRetriedSecretValue",
            500,
            false,
            "cnry",
        ),
        (
            "two lines",
            "cnryPemLine1\ncnryPemLine2",
            400,
            false,
            "cnryPemLine",
        ),
        ("the raw body", r#"cnryPa"ss\word"#, 422, true, "cnryPa"),
        ("a long value", &long, 400, false, "cnryLong"),
        ("a short value", "Zq9", 400, false, "invalid value: Zq9"),
    ];
    let wanted = bundled_wanted();
    for (what, secret, status, raw, needle) in cases {
        let project = support::example_project();
        let file = secrets_with(
            project.path(),
            &wanted,
            &[(API, "STRIPE_SECRET_KEY", secret)],
        );
        let bg = Background::start(workspace(true), Settings::default());
        let path = format!("/v1/services/{STG_API}/env-vars/STRIPE_SECRET_KEY");
        bg.fake.faults().echo_on.push((path, status, raw));
        let out = push(&bg, project.path(), &file, true);
        assert_eq!(out.0, 1, "{what}: a failed write exits 1");
        no_leak(what, needle, &out);
    }
}

fn push_dotenv(project: &Path, bg: &Background, text: &str) -> (i32, String, String) {
    let file = project.join("staging.env");
    std::fs::write(&file, text).unwrap();
    push(bg, project, &file, false)
}

/// A value's continuation line (an unquoted multi-line PEM or base64 blob) looks like
/// `KEY=value` split at its `=` padding: the error names the line, never its text.
#[test]
fn a_malformed_line_is_named_by_number_not_by_text() {
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    // Base64 with + and /: check_key refuses and prints it.
    let out = push_dotenv(
        project.path(),
        &bg,
        "STRIPE_SECRET_KEY=-----BEGIN PRIVATE KEY-----\ncnryMIIEvQIBADANBgkqhkiG9w0B+AQEFAAS/CBKcw==\n-----END PRIVATE KEY-----\n",
    );
    assert_eq!(out.0, 1);
    no_leak("continuation line with + and /", "cnryMIIE", &out);
}

#[test]
fn an_unlisted_key_that_looks_like_a_value_is_not_printed() {
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    // Base64 without + or /: passes check_key, then refused as an unlisted key, named.
    let out = push_dotenv(
        project.path(),
        &bg,
        "STRIPE_SECRET_KEY=-----BEGIN PRIVATE KEY-----\ncnryMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw==\n",
    );
    assert_eq!(out.0, 1);
    no_leak("continuation line without + or /", "cnryMIIE", &out);
}

/// A file over the 4 MiB limit is refused whole; no cut value is pushed.
#[test]
fn an_oversized_secrets_file_is_refused_not_cut() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    let mut text = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for w in &wanted {
        for k in &w.keys {
            if k != "STRIPE_SECRET_KEY" && seen.insert(k.clone()) {
                text.push_str(&format!("{k}=\"{}\"\n", canary("any", k)));
            }
        }
    }
    let big = 5 * 1024 * 1024;
    text.push_str("STRIPE_SECRET_KEY=");
    text.push_str(&"k".repeat(big));
    text.push('\n');
    let file = project.path().join("big.env");
    std::fs::write(&file, &text).unwrap();
    let out = push(&bg, project.path(), &file, true);
    let ws = bg.fake.workspace();
    let got = live(&ws, Holder::Service, STG_API, "STRIPE_SECRET_KEY").map(|v| v.len());
    assert!(
        out.0 != 0 || got == Some(big),
        "exit {} and STRIPE_SECRET_KEY was written with {got:?} bytes of {big}:\n{}",
        out.0,
        out.2
            .lines()
            .filter(|l| !l.contains("DEBUG"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A JSON file with the same key twice is refused, as a dotenv file is.
#[test]
fn a_json_key_given_twice_is_refused() {
    let r = stageprint::commands::secrets::parse_secrets(
        r#"{"STRIPE_SECRET_KEY": "sk_live_meant", "STRIPE_SECRET_KEY": "sk_test_typo"}"#,
        "s.json",
    );
    assert!(
        r.is_err(),
        "a duplicate key is accepted: {:?}",
        r.map(|p| p.everywhere.len())
    );
}

/// A staging name that leads to an id spelling production's id in a way a server might
/// decode (percent-encoding, dot segments, case) is refused.
#[test]
fn hostile_ids_spelling_production_are_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let enc: String = PROD_API
        .chars()
        .map(|c| format!("%{:02X}", c as u32))
        .collect();
    for id in [
        format!("{STG_API}/../{PROD_API}"),
        format!("{STG_API}/%2e%2e/{PROD_API}"),
        format!("%73{}", &PROD_API[1..]),
        enc.clone(),
        format!("{STG_API}/..%2F{enc}"),
        PROD_API.to_uppercase(),
        format!("{PROD_API}?x="),
        format!(" {PROD_API}"),
    ] {
        let mut ws = workspace(true);
        let s = ws.services.iter_mut().find(|s| s["id"] == STG_API).unwrap();
        s["id"] = json!(id);
        let bg = Background::start(ws, Settings::default());
        let out = push(&bg, project.path(), &file, true);
        let writes = bg.fake.writes();
        let reads: Vec<String> = bg
            .fake
            .served()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect();
        assert!(
            out.0 == 1 && writes.is_empty(),
            "id {id:?}: exit {}, writes {writes:#?}\nserved {reads:#?}\n{}",
            out.0,
            out.2
        );
    }
}

/// A staging env group linked to production's services (`serviceLinks`) is refused:
/// every variable set on it would reach production's running services.
#[test]
fn an_env_group_linked_to_production_services_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let mut ws = workspace(true);
    let g = ws
        .env_groups
        .iter_mut()
        .find(|g| g["id"] == STG_GROUP)
        .unwrap();
    // Only production's api linked, to make the point plain.
    g["serviceLinks"] = json!([{"id": PROD_API, "name": "insurance-navigator-api", "type": "web"}]);
    let bg = Background::start(ws, Settings::default());
    let out = push(&bg, project.path(), &file, true);
    let writes = bg.fake.writes();
    let to_group: Vec<&String> = writes.iter().filter(|w| w.contains(STG_GROUP)).collect();
    assert!(
        to_group.is_empty() && out.0 == 1,
        "exit {}; written to a group linked to {PROD_API}: {to_group:#?}\n{}",
        out.0,
        out.2
            .lines()
            .filter(|l| !l.contains("DEBUG"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A service with the staging name that lives in production's environment is refused.
#[test]
fn a_staging_name_in_productions_environment_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let prod_env = {
        let ws = workspace(true);
        ws.services.iter().find(|s| s["id"] == PROD_API).unwrap()["environmentId"].clone()
    };
    let mut ws = workspace(true);
    let s = ws.services.iter_mut().find(|s| s["id"] == STG_API).unwrap();
    s["environmentId"] = prod_env.clone();
    let bg = Background::start(ws, Settings::default());
    let out = push(&bg, project.path(), &file, true);
    let writes = bg.fake.writes();
    let to_api: Vec<&String> = writes.iter().filter(|w| w.contains(STG_API)).collect();
    assert!(
        to_api.is_empty(),
        "environmentId {prod_env}: exit {}, writes {to_api:#?}",
        out.0
    );
}

/// A single-quoted value followed by a comment (a common dotenv style) ends at its
/// closing quote; the lines after it stay their own keys.
#[test]
fn a_quoted_value_followed_by_a_comment_ends_at_its_quote() {
    let p = stageprint::commands::secrets::parse_secrets(
        "STRIPE_SECRET_KEY='sk_test_cnryA' # test mode\nOPENAI_API_KEY=cnryB\nSTRIPE_WEBHOOK_SECRET='whsec_cnryC'\n",
        "s.env",
    );
    let p = p.expect("parses");
    assert_eq!(
        p.everywhere.keys().collect::<Vec<_>>(),
        vec![
            "OPENAI_API_KEY",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET"
        ],
        "keys swallowed into STRIPE_SECRET_KEY: {:?}",
        p.everywhere
    );
}

/// End to end: no key's value is written into another variable.
#[test]
fn no_key_is_written_into_another_variable() {
    let project = support::example_project();
    let bg = Background::start(workspace(true), Settings::default());
    let file = project.path().join("staging.env");
    std::fs::write(
        &file,
        "STRIPE_SECRET_KEY='sk_test_cnryA' # test mode\nSTRIPE_WEBHOOK_SECRET=whsec_cnryC\nOPENAI_API_KEY='sk-cnryB'\n",
    )
    .unwrap();
    let out = push(&bg, project.path(), &file, true);
    let ws = bg.fake.workspace();
    let v = live(&ws, Holder::Service, STG_API, "STRIPE_SECRET_KEY");
    assert_eq!(
        v.as_deref(),
        Some("sk_test_cnryA"),
        "exit {}; STRIPE_SECRET_KEY now holds {v:?}",
        out.0
    );
}

/// Env groups come as one page without a cursor: a full page, which may hide a second
/// group of the staging name, refuses the push.
#[test]
fn a_full_env_group_page_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let mut ws = workspace(true);
    let mut stg = ws
        .env_groups
        .iter()
        .find(|g| g["id"] == STG_GROUP)
        .cloned()
        .unwrap();
    stg["serviceLinks"] = json!([]); // not b2's problem
    let mut filler = Vec::new();
    for i in 0..100 {
        let mut g = stg.clone();
        g["id"] = json!(format!("evg-filler{i:013}"));
        g["name"] = json!(format!("unrelated-group-{i}"));
        g["serviceLinks"] = json!([]);
        filler.push(g);
    }
    // The real staging group comes first, 100 others, then a second group with the same name.
    let mut dup = stg.clone();
    dup["id"] = json!("evg-duplicate00000000000");
    dup["serviceLinks"] = json!([]);
    ws.env_groups.retain(|g| g["id"] != STG_GROUP);
    ws.env_groups.insert(0, stg.clone());
    ws.env_groups.extend(filler);
    ws.env_groups.push(dup);
    let bg = Background::start(ws, Settings::default());
    bg.fake.faults().ignore_name_filter = true;
    let out = push(&bg, project.path(), &file, true);
    let writes = bg.fake.writes();
    let to_groups: Vec<&String> = writes
        .iter()
        .filter(|w| w.contains("/env-groups/"))
        .collect();
    assert!(
        out.0 == 1 && to_groups.is_empty(),
        "exit {}; the name matches 2 groups but push wrote {to_groups:#?}",
        out.0
    );
}

/// A staging-named service that serves production's custom domain (moved to it in the
/// dashboard) is refused: production's traffic reaches it.
#[test]
fn a_service_serving_a_production_domain_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let mut ws = workspace(true);
    let domains = ws
        .custom_domains
        .remove(PROD_API)
        .expect("production has custom domains");
    let names: Vec<String> = domains.iter().map(|d| d.to_string()).collect();
    ws.custom_domains.insert(STG_API.to_string(), domains);
    let bg = Background::start(ws, Settings::default());
    let out = push(&bg, project.path(), &file, true);
    let writes = bg.fake.writes();
    let to_api: Vec<&String> = writes.iter().filter(|w| w.contains(STG_API)).collect();
    assert!(
        out.0 == 1 && to_api.is_empty(),
        "exit {}; {STG_API} serves {names:?} and was written: {to_api:#?}",
        out.0
    );
}

/// A listed key given a value that names production (its Postgres host) is refused.
#[test]
fn a_value_naming_production_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let v = "postgres://app:cnryPw@dpg-d05lp1euk2gs73c9o9k0-a.oregon-postgres.render.com/app";
    let file = secrets_with(project.path(), &wanted, &[(API, "OPENAI_API_KEY", v)]);
    let bg = Background::start(workspace(true), Settings::default());
    let out = push(&bg, project.path(), &file, true);
    let ws = bg.fake.workspace();
    assert_ne!(
        live(&ws, Holder::Service, STG_API, "OPENAI_API_KEY").as_deref(),
        Some(v),
        "exit {}: a production address was pushed to staging",
        out.0
    );
}

/// An id from the API that is not a Render id (control characters that could forge
/// report lines) is refused, and never printed.
#[test]
fn an_id_that_is_not_a_render_id_is_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let mut ws = workspace(true);
    let s = ws.services.iter_mut().find(|s| s["id"] == STG_API).unwrap();
    s["id"] = json!("srv-s7a9ingapi000000000\u{1b}[2K\n  unchanged STRIPE_SECRET_KEY");
    let bg = Background::start(ws, Settings::default());
    let out = push(&bg, project.path(), &file, false);
    assert!(
        !out.1.contains('\u{1b}') && !out.2.contains('\u{1b}'),
        "exit {}: raw ESC/newline from an API id reached the terminal:\n{}\n{}",
        out.0,
        out.1.escape_debug(),
        out.2
            .lines()
            .filter(|l| !l.contains("DEBUG"))
            .collect::<Vec<_>>()
            .join("\n")
            .escape_debug()
    );
}

/// Promise 4: the documented log override at its loudest (dependencies at trace).
#[test]
fn trace_logs_of_dependencies_carry_no_value() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    let bg = Background::start(workspace(true), Settings::default());
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", bg.fake.key())
        .env("STAGEPRINT_LOG", "trace")
        .current_dir(project.path())
        .args([
            "secrets",
            "push",
            "--env",
            "staging",
            "--apply",
            "--api-url",
        ])
        .arg(bg.fake.url())
        .arg("--from")
        .arg(&file)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.len() > 1000, "trace produced little: {all}");
    assert!(
        !all.contains("cnry"),
        "{}",
        all.lines()
            .filter(|l| l.contains("cnry"))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(!all.contains(bg.fake.key()), "the API key is in trace logs");
}

/// Promise 3: production's address in other spellings on a staging-named service.
#[test]
fn production_address_spellings_are_refused() {
    let wanted = bundled_wanted();
    let project = support::example_project();
    let file = secrets_file(project.path(), &wanted);
    for url in [
        "https://INSURANCE-NAVIGATOR-API.onrender.com/",
        "http://insurance-navigator-api.onrender.com:443/x",
        "https://insurance-navigator-api.onrender.com.",
        "https://api.insurancenavigator.example",
        "https://%69nsurance-navigator-api.onrender.com",
    ] {
        let mut ws = workspace(true);
        let s = ws.services.iter_mut().find(|s| s["id"] == STG_API).unwrap();
        s["serviceDetails"]["url"] = json!(url);
        let bg = Background::start(ws, Settings::default());
        let out = push(&bg, project.path(), &file, true);
        assert!(
            out.0 == 1 && bg.fake.writes().is_empty(),
            "{url}: exit {}",
            out.0
        );
    }
}
