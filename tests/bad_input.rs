//! Malformed overlays, configs and snapshots: each gives exit 1, a message naming the
//! file, line and column, and leaves every generated file as it was.

mod support;

use std::fs;

use assert_cmd::Command;
use support::{copy_dir, example_project, root, tree};

const MIN: &str = "version: 1\nrename:\n  suffix: -staging\n";

/// (file to replace, its new contents, expected `file:line:col`, expected message part)
const CASES: &[(&str, &str, &str, &str)] = &[
    // Overlays: syntax.
    (
        "overlays/staging.yaml",
        "",
        "overlays/staging.yaml:1:1",
        "the file is empty",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: \"-staging\n",
        "overlays/staging.yaml:3:11",
        "invalid YAML: while scanning a quoted scalar",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n\tsuffix: -staging\n",
        "overlays/staging.yaml:3:2",
        "invalid YAML: tabs disallowed",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nrename:\n  prefix: s-\n",
        "overlays/staging.yaml:4:1",
        "duplicate key `rename`",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nenv: [\n",
        "overlays/staging.yaml:3:1",
        "invalid YAML",
    ),
    // Overlays: shape.
    (
        "overlays/staging.yaml",
        "version: 1\nrenames:\n  suffix: -staging\n",
        "overlays/staging.yaml:2:1",
        "unknown key `renames` at the top level",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  sufix: -staging\n",
        "overlays/staging.yaml:3:3",
        "unknown key `sufix` in `rename`",
    ),
    (
        "overlays/staging.yaml",
        "version: one\nrename:\n  suffix: -staging\n",
        "overlays/staging.yaml:1:10",
        "wrong type at `version`",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  key: A\n",
        "overlays/staging.yaml:5:3",
        "wrong type at `env`",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: LOG_LEVEL\n    sett: debug\n",
        "overlays/staging.yaml:6:5",
        "unknown key `sett` in `env[0]`",
    ),
    (
        "overlays/staging.yaml",
        "version: 2\nrename:\n  suffix: -staging\n",
        "overlays/staging.yaml:1:1",
        "unsupported overlay version 2",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\ndefaults:\n  services:\n    autoDeployTrigger: never\n",
        "overlays/staging.yaml:6:24",
        "unknown value `never`",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: LOG_LEVEL\n    set: debug\n    drop: noisy\n",
        "overlays/staging.yaml:7:5",
        "has several actions (set, drop)",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: LOG_LEVEL\n",
        "overlays/staging.yaml:5:5",
        "has no action",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: LOG_LEVEL\n    drop: \"\"\n",
        "overlays/staging.yaml:6:5",
        "a dropped variable needs a reason",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: STRIPE_SECRET_KEY\n    secret: \" \"\n",
        "overlays/staging.yaml:6:5",
        "say what the operator must set",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: \"LOG LEVEL\"\n    set: debug\n",
        "overlays/staging.yaml:5:5",
        "is not a valid env var key or pattern",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  pattern:\n    from: insurance-*\n    to: staging\n",
        "overlays/staging.yaml:5:5",
        "`to` must have as many `*` as `from`",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nallow:\n  - target: insurance-navigator-db\n    reason: \"\"\n",
        "overlays/staging.yaml:6:5",
        "an allowance needs a reason",
    ),
    // Overlays: meaning.
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: LOG_LEVLE\n    set: debug\n",
        "overlays/staging.yaml:5:5",
        "env rule `LOG_LEVLE` matches no variable",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: LOG_LEVEL\n    on: [insurance-navigator-wroker]\n    set: debug\n",
        "overlays/staging.yaml:6:10",
        "`insurance-navigator-wroker` is not a production service or env group",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nresources:\n  insurance-navigator-apj:\n    plan: pro\n",
        "overlays/staging.yaml:5:3",
        "resource `insurance-navigator-apj` does not exist in production",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nresources:\n  insurance-navigator-worker:\n    healthCheckPath: /health\n",
        "overlays/staging.yaml:6:5",
        "`healthCheckPath` does not apply to a worker service",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nresources:\n  insurance-navigator-api:\n    plan: pro-plus\n",
        "overlays/staging.yaml:6:5",
        "`pro-plus` is not a valid plan for a web service",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nresources:\n  insurance-navigator-db:\n    region: oregan\n",
        "overlays/staging.yaml:6:5",
        "`oregan` is not a valid region",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nresources:\n  insurance-navigator-db:\n    diskSizeGB: 7\n",
        "overlays/staging.yaml:6:5",
        "diskSizeGB must be 1 or a multiple of 5",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nresources:\n  insurance-navigator-api:\n    maxShutdownDelaySeconds: 0\n",
        "overlays/staging.yaml:6:5",
        "maxShutdownDelaySeconds must be between 1 and 300",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nselect:\n  include: [insurance-navigator-apii]\n",
        "overlays/staging.yaml:5:13",
        "resource `insurance-navigator-apii` does not exist in production",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: DATABASE_URL\n    fromDatabase: {name: insurance-navigator-dv, property: connectionString}\n",
        "overlays/staging.yaml:6:20",
        "`insurance-navigator-dv` is not a production database",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: REDIS_URL\n    fromService: {name: insurance-navigator-queue, property: hostport}\n",
        "overlays/staging.yaml:6:52",
        "`hostport` is not a property of a key value",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: LOG_LEVEL\n    group: insurance-navigator-shred\n",
        "overlays/staging.yaml:6:5",
        "`insurance-navigator-shred` is not a production env group",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nenv:\n  - key: STRIPE_SECRET_KEY\n    set: sk_live_0123456789abcdef\n",
        "overlays/staging.yaml:6:5",
        "looks like a secret",
    ),
    (
        "overlays/staging.yaml",
        "version: 1\nrename:\n  suffix: -staging\nselect:\n  exclude: [insurance-navigator-db]\n",
        "overlays/staging.yaml:5:13",
        "DATABASE_URL on service `insurance-navigator-api` points at production database `insurance-navigator-db`, which is not copied",
    ),
    // Configs.
    (
        "stageprint.yaml",
        "version: 1\nproduction:\n  owner: tea-cr8k1hb6l47c73a0b1c0\nenviroments:\n  staging: {overlay: overlays/staging.yaml, out: generated/staging}\n",
        "stageprint.yaml:4:1",
        "unknown key `enviroments` at the top level",
    ),
    (
        "stageprint.yaml",
        "version: 1\nproduction:\n  owner: srv-cr8k1hb6l47c73a0b1c0\nenvironments:\n  staging: {overlay: overlays/staging.yaml, out: generated/staging}\n",
        "stageprint.yaml:3:3",
        "must start with `tea-`",
    ),
    (
        "stageprint.yaml",
        "version: 1\nproduction:\n  owner: tea-x\n",
        "stageprint.yaml:1:1",
        "missing required key `environments`",
    ),
    (
        "stageprint.yaml",
        "version: 1\nproduction:\n  owner: tea-x\napi:\n  concurrency: 0\nenvironments:\n  staging: {overlay: overlays/staging.yaml, out: generated/staging}\n",
        "stageprint.yaml:5:3",
        "concurrency must be between 1 and 64",
    ),
    (
        "stageprint.yaml",
        "version: 1\nproduction: [owner\n",
        "stageprint.yaml:3:1",
        "invalid YAML",
    ),
    (
        "stageprint.yaml",
        "version: 1\nproduction:\n  owner: tea-x\nenvironments:\n  staging: {overlay: overlays/staging.yaml, output: generated/staging}\n",
        "stageprint.yaml:5:45",
        "unknown key `output` in `environments.staging`",
    ),
    // Snapshots.
    (
        "generated/production.snapshot.yaml",
        "version: 3\nworkspace: {id: tea-x}\n",
        "generated/production.snapshot.yaml:1:1",
        "snapshot format version 3 is newer than this stageprint understands",
    ),
    (
        "generated/production.snapshot.yaml",
        "version: 1\nworkspace: {id: tea-x}\nservices:\n  - id: srv-x\n    name: x\n    kind: web\n    runtime: node\n    autoDeployTrigger: commit\n    plann: starter\n",
        "generated/production.snapshot.yaml:9:5",
        "unknown key `plann` in `services[0]`",
    ),
    (
        "generated/production.snapshot.yaml",
        "version: 1\nworkspace: {id: tea-x}\nservices:\n  - id: srv-x\n    name: x\n    kind: web\n    runtime: node\n    autoDeployTrigger: commit\n    numInstances: two\n",
        "generated/production.snapshot.yaml:9:19",
        "wrong type at `services[0].numInstances`",
    ),
    (
        "generated/production.snapshot.yaml",
        "version: 1\nworkspace: {id: tea-x}\nservices:\n  - id: srv-x\n    kind: web\n",
        "generated/production.snapshot.yaml:4:5",
        "missing required key `name`",
    ),
    (
        "generated/production.snapshot.yaml",
        "version: 1\nworkspace: {id: tea-x}\nservices:\n  - id: srv-x\n    name: \"x\n",
        "generated/production.snapshot.yaml:5:11",
        "invalid YAML: while scanning a quoted scalar",
    ),
    (
        "generated/production.snapshot.yaml",
        "version: 1\nworkspace: {id: tea-x}\nservices:\n  - id: srv-x\n    name: x\n    kind: website\n    runtime: node\n    autoDeployTrigger: commit\n",
        "generated/production.snapshot.yaml:6:11",
        "unknown value `website`",
    ),
];

#[test]
fn every_bad_input_is_located_and_loses_nothing() {
    assert!(CASES.len() >= 30);
    let mut failures = Vec::new();
    for (i, (file, contents, at, message)) in CASES.iter().enumerate() {
        let dir = example_project();
        fs::write(dir.path().join(file), contents).unwrap();
        let before = tree(&dir.path().join("generated"));
        let out = Command::cargo_bin("stageprint")
            .unwrap()
            .current_dir(dir.path())
            .arg("generate")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ok = out.status.code() == Some(1)
            && stderr.contains(&format!("{at}: "))
            && stderr.contains(message);
        if !ok {
            failures.push(format!(
                "case {i} ({file}): exit {:?}, wanted `{at}: …{message}…`, got:\n{stderr}",
                out.status.code()
            ));
        }
        assert_eq!(
            tree(&dir.path().join("generated")),
            before,
            "case {i} touched generated/"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn minimal_overlay_works() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("generated"), &dir.path().join("generated"));
    fs::create_dir_all(dir.path().join("overlays")).unwrap();
    fs::write(dir.path().join("overlays/staging.yaml"), MIN).unwrap();
    fs::copy(
        root().join("stageprint.yaml"),
        dir.path().join("stageprint.yaml"),
    )
    .unwrap();
    Command::cargo_bin("stageprint")
        .unwrap()
        .current_dir(dir.path())
        .arg("generate")
        .assert()
        .code(0);
}

/// Run `generate` with `file` replaced by `contents`: exit 1, the location and message on
/// stderr, no canary echoed, and generated/ untouched.
fn located(file: &str, contents: &[u8], at: &str, message: &str) -> Option<String> {
    let dir = example_project();
    fs::write(dir.path().join(file), contents).unwrap();
    let before = tree(&dir.path().join("generated"));
    let started = std::time::Instant::now();
    let out = Command::cargo_bin("stageprint")
        .unwrap()
        .current_dir(dir.path())
        .arg("generate")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        tree(&dir.path().join("generated")),
        before,
        "{file} ({message}) touched generated/"
    );
    let ok = out.status.code() == Some(1)
        && stderr.contains(&format!("{at}: "))
        && stderr.contains(message)
        && !stderr.contains("CANARY")
        && stderr.len() < 4096
        && elapsed < std::time::Duration::from_secs(20);
    (!ok).then(|| {
        format!(
            "{file}: exit {:?} after {elapsed:?}, wanted `{at}: …{message}…`, got:\n{}",
            out.status.code(),
            &stderr[..stderr.len().min(2000)]
        )
    })
}

fn nested(prefix: &str, open: &str, close: &str, n: usize) -> Vec<u8> {
    format!("{prefix}{}{}\n", open.repeat(n), close.repeat(n)).into_bytes()
}

const NESTING: &str = "nesting deeper than 100 levels, the limit for any input";
const OVERLAY_HEAD: &str = "version: 1\nrename:\n  suffix: -staging\nx: ";

#[test]
fn bombs_are_refused_with_the_limit_and_a_location() {
    let snapshot = fs::read_to_string(root().join("generated/production.snapshot.yaml")).unwrap();
    let lines = snapshot.lines().count();
    let block = |head: &str, n: usize| -> Vec<u8> {
        let mut s = head.to_string();
        for i in 0..n {
            s.push_str(&" ".repeat(i));
            s.push_str("-\n");
        }
        s.into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, String, &str)> = vec![
        // 30,000 nested flow sequences (60 KB) in each input.
        (
            "overlays/staging.yaml",
            nested(OVERLAY_HEAD, "[", "]", 30_000),
            "overlays/staging.yaml:4:259".into(),
            NESTING,
        ),
        (
            "generated/production.snapshot.yaml",
            nested("", "[", "]", 30_000),
            "generated/production.snapshot.yaml:1:256".into(),
            NESTING,
        ),
        (
            "stageprint.yaml",
            nested("version: 1\nproduction: ", "[", "]", 30_000),
            "stageprint.yaml:2:268".into(),
            NESTING,
        ),
        // Appended to a valid snapshot.
        (
            "generated/production.snapshot.yaml",
            nested(&format!("{snapshot}deep: "), "[", "]", 30_000),
            format!("generated/production.snapshot.yaml:{}:262", lines + 1),
            NESTING,
        ),
        // Flow mappings, and block nesting by indentation: stopped at our own limit.
        (
            "overlays/staging.yaml",
            nested(OVERLAY_HEAD, "{a: ", "}", 30_000),
            "overlays/staging.yaml:4:400".into(),
            NESTING,
        ),
        (
            "generated/production.snapshot.yaml",
            block("", 3_000),
            "generated/production.snapshot.yaml:101:101".into(),
            NESTING,
        ),
        (
            "overlays/staging.yaml",
            block("version: 1\nx:\n", 3_000),
            "overlays/staging.yaml:102:100".into(),
            NESTING,
        ),
        // Larger than the size limit for a hand-written input.
        (
            "overlays/staging.yaml",
            format!("{OVERLAY_HEAD}{}\n", "a".repeat(17 * 1024 * 1024)).into_bytes(),
            "overlays/staging.yaml:4:16777179".into(),
            "larger than 16 MiB, the size limit for this input",
        ),
        // Not UTF-8: the first bad byte, wherever it is.
        (
            "overlays/staging.yaml",
            b"version: 1\nrename:\n  suffix: -st\xc3ging\n".to_vec(),
            "overlays/staging.yaml:3:14".into(),
            "not UTF-8: byte 0xC3",
        ),
        (
            "overlays/staging.yaml",
            b"version: 1\nrename:\n  suffix: \"\xc3\xa9\xc3\xa9\xff\"\n".to_vec(),
            "overlays/staging.yaml:3:14".into(),
            "not UTF-8: byte 0xFF",
        ),
        (
            "overlays/staging.yaml",
            b"version: 1\nrename:\n  suffix: -staging\n\xed\xa0\x80\n".to_vec(),
            "overlays/staging.yaml:4:1".into(),
            "not UTF-8: byte 0xED",
        ),
        (
            "stageprint.yaml",
            b"\xfe\xff\x00v".to_vec(),
            "stageprint.yaml:1:1".into(),
            "not UTF-8: byte 0xFE",
        ),
        (
            "generated/production.snapshot.yaml",
            b"owner:\n  id: tea-x\n  name: \"\xe9t\xe9\"\n".to_vec(),
            "generated/production.snapshot.yaml:3:10".into(),
            "not UTF-8: byte 0xE9",
        ),
        // A UTF-8 byte-order mark is fine; the error after it is still located.
        (
            "overlays/staging.yaml",
            b"\xef\xbb\xbfversion: 1\nrenames: {}\n".to_vec(),
            "overlays/staging.yaml:2:1".into(),
            "unknown key `renames`",
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(file, contents, at, message)| located(file, contents, at, message))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_api_url_carrying_credentials_is_refused_without_echoing_them() {
    let config = fs::read_to_string(root().join("stageprint.yaml")).unwrap();
    let line = config
        .lines()
        .position(|l| l.contains("url: https://api.render.com/v1"))
        .unwrap()
        + 1;
    let at = format!("stageprint.yaml:{line}:8");
    for (url, message) in [
        (
            "https://user:CANARYpw@api.render.com/v1",
            "must not carry credentials",
        ),
        (
            "https://CANARYtoken@api.render.com/v1",
            "must not carry credentials",
        ),
        (
            "https://:CANARY@api.render.com/v1",
            "must not carry credentials",
        ),
        (
            "https://api.render.com/v1?token=CANARY",
            "must not carry credentials",
        ),
        (
            "https://api.render.com/v1?api_key=CANARY&x=1",
            "must not carry credentials",
        ),
        (
            "https://api.render.com/v1#CANARY",
            "must not carry credentials",
        ),
        (
            "https://us er:CANARY@api.render.com/v1",
            "must not carry credentials",
        ),
        ("https://[CANARY/v1", "the API URL is not a URL"),
        (
            "ftp://CANARY:x@api.render.com/v1",
            "unsupported URL scheme `ftp`",
        ),
        (
            "http://CANARY:x@example.com/v1",
            "refusing to send the API key over plain http",
        ),
    ] {
        let text = config.replace("https://api.render.com/v1", url);
        if let Some(f) = located("stageprint.yaml", text.as_bytes(), &at, message) {
            panic!("{url}: {f}");
        }
    }
}

#[test]
fn a_blueprint_alias_bomb_is_refused_by_validate() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        s.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 9].join(", ")
        ));
    }
    fs::write(dir.path().join("render.yaml"), s).unwrap();
    let started = std::time::Instant::now();
    let out = Command::cargo_bin("stageprint")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", "render.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("render.yaml:"), "{stderr}");
    assert!(
        stderr.contains("the limit on `*alias` expansion"),
        "{stderr}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn deep_nesting_is_refused_in_linear_time() {
    // Four times the nesting of the reported crash stays well under a second or two
    // (libyaml alone takes time growing with the square of it).
    let snapshot = fs::read_to_string(root().join("generated/production.snapshot.yaml")).unwrap();
    let at = format!(
        "generated/production.snapshot.yaml:{}:262",
        snapshot.lines().count() + 1
    );
    let mut times = Vec::new();
    for n in [30_000, 120_000] {
        let text = nested(&format!("{snapshot}deep: "), "[", "]", n);
        let started = std::time::Instant::now();
        let failure = located("generated/production.snapshot.yaml", &text, &at, NESTING);
        assert!(failure.is_none(), "{failure:?}");
        times.push(started.elapsed());
    }
    assert!(times[1] < std::time::Duration::from_secs(5), "{times:?}");
}
