//! The live snapshot end to end: the real client against the fake Render API on 127.0.0.1,
//! through the library and through the `stageprint` binary.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use stageprint::model::{self, ConvertOptions, Snapshot};
use stageprint::secrets::Classifier;
use stageprint::snapshot::{
    self, ApiKey, Client, ClientSettings, ErrorKind, RequestError, RetryPolicy, Selection, Stats,
    Walked,
};
use support::fake_render::{
    Background, Budget, FakeRender, Fault, Faults, Settings, Workspace, synth,
};

const OWNER: &str = "tea-cr8k1hb6l47c73a0b1c0";
const API_SERVICE: &str = "srv-d05lq8uuk2gs73c9ohe0";
const WORKER: &str = "srv-d05lqa6uk2gs73c9ohn0";
const DATABASE: &str = "dpg-d05lp1euk2gs73c9o9k0-a";

fn committed() -> String {
    std::fs::read_to_string(support::root().join("generated/production.snapshot.yaml")).unwrap()
}

/// The insurance-navigator recordings plus a preview instance, which the API lists unless
/// asked not to and which must never reach a production snapshot.
fn insurance_navigator() -> Workspace {
    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    ws.add_preview_of(API_SERVICE);
    ws
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(20),
        max_retry_after: Duration::from_millis(20),
        jitter: false,
    }
}

fn client_settings(fake: &FakeRender) -> ClientSettings {
    ClientSettings {
        base_url: fake.url(),
        concurrency: 8,
        headroom: 0.2,
        request_timeout: Duration::from_secs(10),
        retry: fast_retries(),
        max_pages: 1000,
    }
}

async fn walk(
    fake: &FakeRender,
    settings: ClientSettings,
    owner: &str,
) -> (anyhow::Result<Walked>, Arc<Client>) {
    let key = ApiKey::new(fake.key()).unwrap();
    let client = Arc::new(Client::new(&settings, &key, Arc::new(Stats::default())).unwrap());
    let walked = snapshot::read_workspace(
        client.clone(),
        owner,
        &Selection::default(),
        Duration::from_secs(60),
    )
    .await;
    (walked, client)
}

fn normalise(walked: &Walked) -> Snapshot {
    let classifier = Classifier::default();
    let options = ConvertOptions {
        classifier: &classifier,
        fingerprinter: None,
    };
    model::normalise(&walked.raw, &options).0
}

fn request_error(e: anyhow::Error) -> RequestError {
    e.downcast::<RequestError>().expect("a request error")
}

#[tokio::test]
async fn a_live_snapshot_equals_the_committed_one() {
    let fake = FakeRender::start(insurance_navigator(), Settings::default()).await;
    let (walked, client) = walk(&fake, client_settings(&fake), OWNER).await;
    let walked = walked.unwrap();
    assert_eq!(normalise(&walked).to_yaml(), committed());
    assert!(walked.notes.is_empty(), "{:?}", walked.notes);

    let served = fake.served();
    assert!(
        served
            .iter()
            .any(|s| s.path == "/v1/services" && s.query.contains("includePreviews=false")),
        "previews must be excluded by the request"
    );
    let lists = [
        "owners",
        "services",
        "env-vars",
        "secret-files",
        "custom-domains",
        "env-groups",
        "postgres",
        "key-value",
        "projects",
        "environments",
        "registrycredentials",
        "blueprints",
    ];
    for s in served
        .iter()
        .filter(|s| lists.contains(&s.path.rsplit('/').next().unwrap()))
    {
        assert!(
            s.query.contains("limit=100"),
            "{} without limit=100: {}",
            s.path,
            s.query
        );
    }
    assert!(
        !served.iter().any(|s| s.path.contains("ohep")),
        "nothing of the preview is read"
    );
    assert_eq!(
        client
            .stats
            .retries
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[tokio::test]
async fn faults_on_every_few_requests_change_nothing() {
    let settings = Settings {
        faults: Faults {
            every: 2,
            kinds: vec![
                Fault::Status(500),
                Fault::Reset,
                Fault::Garbage,
                Fault::TooMany,
                Fault::Truncated,
                Fault::Status(503),
            ],
            ..Faults::default()
        },
        ..Settings::default()
    };
    let fake = FakeRender::start(insurance_navigator(), settings).await;
    let (walked, client) = walk(&fake, client_settings(&fake), OWNER).await;
    assert_eq!(normalise(&walked.unwrap()).to_yaml(), committed());
    let injected = fake.counts().injected;
    assert!(
        injected >= 6,
        "every kind of fault was injected ({injected})"
    );
    assert_eq!(
        client
            .stats
            .retries
            .load(std::sync::atomic::Ordering::Relaxed),
        injected
    );
    assert!(
        client
            .stats
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
}

#[tokio::test]
async fn every_list_is_read_across_pages() {
    let spec = synth::Spec {
        services: 130,
        env_vars: 3,
        domains: 1,
        heavy: 2,
        heavy_env_vars: 150,
        heavy_domains: 120,
        mixed: false,
    };
    let fake = FakeRender::start(synth::workspace(&spec), Settings::default()).await;
    let (walked, _) = walk(&fake, client_settings(&fake), synth::OWNER).await;
    let snap = normalise(&walked.unwrap());
    assert_eq!(snap.services.len(), 130);
    for name in [synth::service_name(0), synth::service_name(1)] {
        let s = snap.service(&name).unwrap();
        assert_eq!((s.env_vars.len(), s.domains.len()), (150, 120), "{name}");
    }
    // The rest of the workspace came along: Blueprints with what they manage, projects
    // with their environments, registry credential names.
    assert_eq!(snap.blueprints.len(), 1);
    assert_eq!(snap.blueprints[0].resources, [synth::service_name(0)]);
    assert_eq!(snap.projects[0].environments[0].name, "production");
    assert_eq!(snap.registry_credentials, ["synth-registry"]);
    let s = snap.service(&synth::service_name(2)).unwrap();
    assert_eq!((s.env_vars.len(), s.domains.len()), (3, 1));

    let served = fake.served();
    let with_cursor = |path: &str| {
        served
            .iter()
            .filter(|s| s.path.ends_with(path) && s.query.contains("cursor="))
            .count()
    };
    assert_eq!(with_cursor("/v1/services"), 1, "130 services: two pages");
    assert_eq!(
        with_cursor(&format!("{}/env-vars", synth::xid("srv", 0))),
        1
    );
    assert_eq!(
        with_cursor(&format!("{}/custom-domains", synth::xid("srv", 1))),
        1
    );
    assert_eq!(
        with_cursor(&format!("{}/env-vars", synth::xid("srv", 2))),
        0,
        "a short page is the last"
    );
}

#[tokio::test]
async fn a_repeated_cursor_stops_the_snapshot() {
    let spec = synth::Spec {
        services: 150,
        env_vars: 1,
        ..synth::Spec::default()
    };
    let mut settings = Settings::default();
    settings.faults.repeat_cursor.insert("/services".into());
    let fake = FakeRender::start(synth::workspace(&spec), settings).await;
    let (walked, _) = walk(&fake, client_settings(&fake), synth::OWNER).await;
    let e = request_error(walked.unwrap_err());
    assert_eq!(e.kind, ErrorKind::Paging);
    assert!(e.to_string().starts_with("GET /services?ownerId="), "{e}");
    assert!(e.to_string().contains("cursor="), "{e}");
    assert!(e.message.contains("a second time"), "{e}");
    assert!(e.request_id.is_some());
}

#[tokio::test]
async fn the_page_cap_stops_the_snapshot() {
    let spec = synth::Spec {
        services: 250,
        env_vars: 1,
        ..synth::Spec::default()
    };
    let fake = FakeRender::start(synth::workspace(&spec), Settings::default()).await;
    let settings = ClientSettings {
        max_pages: 2,
        ..client_settings(&fake)
    };
    let (walked, _) = walk(&fake, settings, synth::OWNER).await;
    let e = request_error(walked.unwrap_err());
    assert_eq!(e.kind, ErrorKind::Paging);
    assert!(e.message.contains("longer than 2 pages"), "{e}");
}

#[tokio::test]
async fn a_resource_deleted_mid_snapshot_is_a_note() {
    let mut settings = Settings::default();
    settings.faults.vanished.insert(WORKER.into());
    let fake = FakeRender::start(insurance_navigator(), settings).await;
    let (walked, _) = walk(&fake, client_settings(&fake), OWNER).await;
    let walked = walked.unwrap();
    let snap = normalise(&walked);
    assert_eq!(
        snap.services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["insurance-navigator-api"]
    );
    let note = walked
        .notes
        .iter()
        .find(|n| n.contains("deleted while the snapshot ran"))
        .expect("a note");
    assert!(note.contains("insurance-navigator-worker"), "{note}");
    assert!(note.contains("404 Not Found (request id "), "{note}");
}

#[tokio::test]
async fn an_oversized_body_is_refused_without_being_read_whole() {
    let settings = Settings {
        faults: Faults {
            every: 1,
            kinds: vec![Fault::Huge],
            ..Faults::default()
        },
        ..Settings::default()
    };
    let fake = FakeRender::start(insurance_navigator(), settings).await;
    let (walked, _client) = walk(&fake, client_settings(&fake), OWNER).await;
    let e = request_error(walked.unwrap_err());
    assert_eq!(e.kind, ErrorKind::Unexpected);
    let text = e.to_string();
    assert!(
        text.contains("the body is larger than 32 MiB, the limit for one response"),
        "{text}"
    );
}

#[tokio::test]
async fn forbidden_stops_at_once_and_says_what_to_check() {
    let mut settings = Settings::default();
    settings
        .faults
        .status_on
        .push((format!("/v1/postgres/{DATABASE}/connection-info"), 403));
    let fake = FakeRender::start(insurance_navigator(), settings).await;
    let (walked, client) = walk(&fake, client_settings(&fake), OWNER).await;
    let e = request_error(walked.unwrap_err());
    assert_eq!(
        (e.kind, e.status, e.attempts),
        (ErrorKind::Forbidden, Some(403), 1)
    );
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "GET /postgres/{DATABASE}/connection-info: 403 Forbidden (request id "
        )),
        "{text}"
    );
    assert!(text.contains("hint:"), "{text}");
    assert_eq!(
        client
            .stats
            .retries
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
}

#[tokio::test]
async fn read_replicas_fold_into_their_primary() {
    let mut ws = insurance_navigator();
    let replica = ws.add_replica_of(DATABASE);
    let fake = FakeRender::start(ws, Settings::default()).await;
    let (walked, _) = walk(&fake, client_settings(&fake), OWNER).await;
    let snap = normalise(&walked.unwrap());
    assert_eq!(snap.databases.len(), 1);
    assert_eq!(
        snap.databases[0]
            .read_replicas
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        [replica.as_str()]
    );
    assert!(
        fake.served()
            .iter()
            .any(|s| s.path == "/v1/postgres" && s.query.contains("includeReplicas=false"))
    );
    assert!(
        !fake.served().iter().any(|s| s.path.contains(&replica)),
        "the replica's detail is not read"
    );
}

#[tokio::test]
async fn a_workspace_the_key_cannot_see_is_an_error() {
    let fake = FakeRender::start(insurance_navigator(), Settings::default()).await;
    let (walked, _) = walk(&fake, client_settings(&fake), "tea-d0000000000000000000").await;
    let e = walked.unwrap_err().to_string();
    assert!(
        e.contains("tea-d0000000000000000000 is not among the workspaces this API key can see"),
        "{e}"
    );
    assert!(
        e.contains("tea-cr8k1hb6l47c73a0b1c0 (Insurance Navigator)"),
        "{e}"
    );
    assert!(
        !fake.served().iter().any(|s| s.path.contains("/env-vars")),
        "no values are read"
    );
}

#[tokio::test]
async fn the_rate_limit_budget_is_respected_across_windows() {
    for epoch_reset in [false, true] {
        let settings = Settings {
            budget: Budget {
                limit: 30,
                window: Duration::from_secs(1),
                epoch_reset,
            },
            ..Settings::default()
        };
        let fake = FakeRender::start(synth::workspace(&synth::Spec::default()), settings).await;
        let (walked, client) = walk(&fake, client_settings(&fake), synth::OWNER).await;
        walked.unwrap();
        let counts = fake.counts();
        assert!(
            counts.requests > 30,
            "the snapshot needs several windows ({})",
            counts.requests
        );
        assert_eq!(
            counts.over_budget, 0,
            "no request went over budget (epoch reset: {epoch_reset})"
        );
        assert_eq!(
            client
                .stats
                .rate_limited
                .load(std::sync::atomic::Ordering::Relaxed),
            0
        );
    }
}

/// Over any span as long as the server's window, the snapshot's own requests never exceed
/// the limit less the headroom: a burst at the end of one window and another at the start
/// of the next must not add up, and another client spending the budget during the run
/// must not push the snapshot into 429s.
#[tokio::test]
async fn over_any_window_length_the_snapshot_keeps_to_its_share_while_another_client_spends() {
    let window = Duration::from_secs(2);
    let settings = Settings {
        budget: Budget {
            limit: 60,
            window,
            epoch_reset: false,
        },
        ..Settings::default()
    };
    let spec = synth::Spec {
        services: 40,
        ..synth::Spec::default()
    };
    let fake = Arc::new(FakeRender::start(synth::workspace(&spec), settings).await);
    let other = fake.clone();
    let spender = tokio::spawn(async move {
        // A sixth of every window, a little at a time.
        loop {
            other.spend(1);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    // Start late in the first window, so that the budget left in it and the next window's
    // fresh budget lie close together.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (walked, client) = walk(&fake, client_settings(&fake), synth::OWNER).await;
    spender.abort();
    walked.unwrap();
    let rate_limited = client
        .stats
        .rate_limited
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!((fake.counts().over_budget, rate_limited), (0, 0));
    let at: Vec<Duration> = fake.served().iter().map(|s| s.at).collect();
    assert!(
        at.len() > 96,
        "the snapshot spans several windows ({})",
        at.len()
    );
    // 60 less a headroom of 0.2 is 48; the server answers a little after the client
    // decides, so the span checked is the window less that jitter (generous on a loaded
    // machine; a double burst falls within one second).
    let span = window - Duration::from_millis(400);
    for (i, t) in at.iter().enumerate() {
        let within = at[i..].iter().take_while(|u| **u - *t < span).count();
        assert!(
            within <= 48,
            "{within} requests within {span:?} from request {i}"
        );
    }
}

#[tokio::test]
async fn a_budget_spent_by_another_tool_is_waited_out() {
    let settings = Settings {
        budget: Budget {
            limit: 10,
            window: Duration::from_secs(2),
            epoch_reset: false,
        },
        ..Settings::default()
    };
    let fake = FakeRender::start(insurance_navigator(), settings).await;
    // Another tool under the same user spends the whole window.
    let other = reqwest::Client::new();
    for _ in 0..10 {
        other
            .get(format!("{}/owners", fake.url()))
            .bearer_auth(fake.key())
            .send()
            .await
            .unwrap();
    }
    let settings = ClientSettings {
        retry: RetryPolicy {
            max_retry_after: Duration::from_secs(5),
            ..fast_retries()
        },
        ..client_settings(&fake)
    };
    let (walked, client) = walk(&fake, settings, OWNER).await;
    assert_eq!(normalise(&walked.unwrap()).to_yaml(), committed());
    assert!(
        client
            .stats
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 1
    );
    assert_eq!(
        fake.counts().over_budget,
        client
            .stats
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed)
    );
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_snapshot() {
    let settings = Settings {
        latency: Duration::from_millis(300),
        ..Settings::default()
    };
    let fake = FakeRender::start(insurance_navigator(), settings).await;
    let key = ApiKey::new(fake.key()).unwrap();
    let client =
        Arc::new(Client::new(&client_settings(&fake), &key, Arc::new(Stats::default())).unwrap());
    let e = snapshot::read_workspace(
        client,
        OWNER,
        &Selection::default(),
        Duration::from_millis(200),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("did not finish within"), "{e}");
}

// --- the binary -------------------------------------------------------------------------

fn stageprint() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"));
    cmd.env_remove("STAGEPRINT_FINGERPRINT_KEY")
        .env_remove("STAGEPRINT_LOG")
        .env_remove("RENDER_API_KEY")
        .current_dir(support::root());
    cmd
}

fn run(bg: &Background, out: &Path, key: &str, extra: &[&str]) -> std::process::Output {
    stageprint()
        .env("RENDER_API_KEY", key)
        .args(["snapshot", "--api-url", &bg.fake.url(), "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn the_binary_writes_the_committed_snapshot_and_leaves_it_untouched_when_unchanged() {
    let bg = Background::start(insurance_navigator(), Settings::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("production.snapshot.yaml");
    let first = run(&bg, &out, bg.fake.key(), &[]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(0), "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), committed());
    assert!(stderr.contains("written"), "{stderr}");
    let summary = stderr.lines().last().unwrap();
    assert!(summary.starts_with("snapshot: 6 resources, "), "{summary}");
    assert!(summary.contains(" requests, 0 retries, "), "{summary}");

    let modified = std::fs::metadata(&out).unwrap().modified().unwrap();
    let second = run(&bg, &out, bg.fake.key(), &[]);
    assert_eq!(second.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&second.stderr).contains("unchanged"));
    assert_eq!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary files left"
    );
}

#[test]
fn a_wrong_key_exits_1_with_a_clear_message_and_keeps_the_previous_snapshot() {
    let bg = Background::start(insurance_navigator(), Settings::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("production.snapshot.yaml");
    std::fs::write(&out, "# the previous snapshot\n").unwrap();
    let output = run(&bg, &out, "rnd_wrongKey000000000000", &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("401 Unauthorized (request id "), "{stderr}");
    assert!(stderr.contains("RENDER_API_KEY"), "{stderr}");
    assert!(stderr.contains("was not changed"), "{stderr}");
    assert!(
        !stderr.contains("rnd_wrongKey"),
        "the key is never printed: {stderr}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"# the previous snapshot\n");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_missing_key_and_plain_http_to_a_remote_host_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.yaml");
    let output = stageprint()
        .arg("snapshot")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no Render API key: set RENDER_API_KEY")
    );

    let output = stageprint()
        .env("RENDER_API_KEY", "rnd_secretKeyValue00000")
        .args(["snapshot", "--api-url", "http://api.render.com/v1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("refusing to send the API key over plain http to api.render.com"),
        "{stderr}"
    );
    assert!(!stderr.contains("rnd_secretKeyValue"));
    assert!(!out.exists());
}

#[test]
fn the_key_can_come_from_a_file_and_secrets_can_be_explained() {
    let bg = Background::start(insurance_navigator(), Settings::default());
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, format!("{}\n", bg.fake.key())).unwrap();
    let out = dir.path().join("s.yaml");
    let output = stageprint()
        .args([
            "snapshot",
            "--explain-secrets",
            "--concurrency",
            "2",
            "--api-url",
            &bg.fake.url(),
        ])
        .arg("--api-key-file")
        .arg(&key_file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("  service insurance-navigator-api\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("STRIPE_SECRET_KEY      value shape: Stripe live secret key"),
        "{stdout}"
    );
    assert!(
        stdout.contains("secret file .npmrc  secret file"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  env group insurance-navigator-shared\n    JWT_SECRET  key name `*SECRET*`"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("sk_live"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), committed());
}

#[test]
fn excluded_resources_are_listed_not_read_and_still_recognised() {
    let bg = Background::start(insurance_navigator(), Settings::default());
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(support::root().join("stageprint.yaml"))
        .unwrap()
        .replace(
            "  exclude: []",
            "  exclude: [insurance-navigator-worker, insurance-navigator-queue]",
        );
    std::fs::write(dir.path().join("stageprint.yaml"), config).unwrap();
    let out = dir.path().join("s.yaml");
    let output = stageprint()
        .env("RENDER_API_KEY", bg.fake.key())
        .arg("--config")
        .arg(dir.path().join("stageprint.yaml"))
        .args(["snapshot", "--api-url", &bg.fake.url(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let snap = Snapshot::from_yaml(&std::fs::read_to_string(&out).unwrap(), &out).unwrap();
    assert_eq!(snap.services.len(), 1);
    assert!(snap.key_values.is_empty());
    let skipped: Vec<(&str, &str)> = snap
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (
                "insurance-navigator-queue",
                "excluded by production.exclude `insurance-navigator-queue`"
            ),
            (
                "insurance-navigator-worker",
                "excluded by production.exclude `insurance-navigator-worker`"
            ),
        ]
    );
    let redis = snap.services[0]
        .env_vars
        .iter()
        .find(|v| v.key == "REDIS_URL")
        .unwrap();
    let r = redis
        .refers_to
        .as_ref()
        .expect("a value pointing at an excluded queue is still recognised");
    assert_eq!(r.name, "insurance-navigator-queue");
    let served = bg.fake.served();
    assert!(
        !served.iter().any(|s| s.path.contains(WORKER)),
        "nothing of the worker is read"
    );
    assert!(
        !served.iter().any(|s| s.path.starts_with("/v1/key-value/")),
        "no connection info of the queue"
    );
}

/// Runs the binary in a project directory; (exit code, stdout and stderr).
fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = stageprint().current_dir(dir).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn production_left_out_of_the_snapshot_is_still_refused_by_generate_and_validate() {
    let bg = Background::start(insurance_navigator(), Settings::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("overlays")).unwrap();
    std::fs::create_dir_all(d.join("generated")).unwrap();
    let config = std::fs::read_to_string(support::root().join("stageprint.yaml"))
        .unwrap()
        .replace(
            "  exclude: []",
            "  exclude: [insurance-navigator-api, insurance-navigator-queue]",
        );
    std::fs::write(d.join("stageprint.yaml"), config).unwrap();
    let output = stageprint()
        .current_dir(d)
        .env("RENDER_API_KEY", bg.fake.key())
        .args(["snapshot", "--api-url", &bg.fake.url()])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = d.join("generated/production.snapshot.yaml");
    let snap = Snapshot::from_yaml(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    let api = snap
        .skipped
        .iter()
        .find(|s| s.id == API_SERVICE)
        .expect("the excluded API is listed");
    assert_eq!(api.kind, Some(model::ResourceKind::Service));
    assert_eq!(api.slug.as_deref(), Some("insurance-navigator-api"));
    assert_eq!(
        api.network.url.as_deref(),
        Some("https://insurance-navigator-api.onrender.com")
    );
    assert_eq!(api.domains, ["api.insurancenavigator.example"]);
    let served = bg.fake.served();
    assert!(
        served
            .iter()
            .any(|s| s.path == format!("/v1/services/{API_SERVICE}/custom-domains")),
        "the excluded API's domain names are read"
    );
    assert!(
        !served.iter().any(|s| s.path.contains(API_SERVICE)
            && (s.path.ends_with("env-vars") || s.path.ends_with("secret-files"))),
        "none of its values are"
    );

    // The worker's queue is left out too: its REDIS_URL must be decided.
    let overlay = |rename: &str, env: &str| {
        std::fs::write(
            d.join("overlays/staging.yaml"),
            format!(
                "version: 1\nrename:\n  suffix: -staging\n{rename}env:\n  - {{key: REDIS_URL, on: [insurance-navigator-worker], drop: no queue in this staging}}\n{env}"
            ),
        )
        .unwrap();
    };
    overlay("", "");
    let (code, text) = run_in(d, &["generate"]);
    assert_eq!(code, Some(0), "{text}");

    // Taking the name of the excluded API: sync would adopt it.
    overlay(
        "  names: {insurance-navigator-worker: insurance-navigator-api}\n",
        "",
    );
    let (code, text) = run_in(d, &["generate"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("isolation/name"), "{text}");
    assert!(
        text.contains("production service `insurance-navigator-api`"),
        "{text}"
    );

    // Values that point at it: id, URL, private host, custom domain, in disguise too.
    for value in [
        API_SERVICE,
        "https://insurance-navigator-api.onrender.com/hooks",
        "http://insurance-navigator-api:10000/jobs",
        "host=insurance-navigator-api port=10000",
        "https://api.insurancenavigator.example/v1",
        "https://ａｐｉ．insurancenavigator．example/v1",
    ] {
        overlay(
            "",
            &format!(
                "  - {{key: LEAK, on: [insurance-navigator-worker], set: {}}}\n",
                serde_json::to_string(value).unwrap()
            ),
        );
        let (code, text) = run_in(d, &["generate"]);
        assert_eq!(code, Some(2), "{value}: {text}");
        assert!(
            text.contains("isolation/literal")
                && text.contains("of production service `insurance-navigator-api`"),
            "{value}: {text}"
        );
    }

    // The same Blueprint, edited by hand, is refused by validate.
    overlay("", "");
    let (code, text) = run_in(d, &["generate"]);
    assert_eq!(code, Some(0), "{text}");
    let blueprint = std::fs::read_to_string(d.join("generated/staging/render.yaml")).unwrap();
    let snapshot = "generated/production.snapshot.yaml";
    let (code, text) = run_in(
        d,
        &[
            "validate",
            "--against-snapshot",
            snapshot,
            "generated/staging/render.yaml",
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    let cases = [
        (
            "name: insurance-navigator-worker-staging",
            "name: insurance-navigator-api",
            "isolation/name",
        ),
        (
            "name: insurance-navigator-worker-staging",
            "name: insurance-navigator-worker-staging\n    preDeployCommand: curl https://api.insurancenavigator.example/ready",
            "isolation/literal",
        ),
        (
            "name: insurance-navigator-worker-staging",
            "name: insurance-navigator-worker-staging\n    preDeployCommand: curl http://insurance-navigator-api:10000/ready",
            "isolation/literal",
        ),
    ];
    for (from, to, rule) in cases {
        assert!(blueprint.contains(from), "{blueprint}");
        std::fs::write(d.join("edited.yaml"), blueprint.replacen(from, to, 1)).unwrap();
        let (code, text) = run_in(
            d,
            &["validate", "--against-snapshot", snapshot, "edited.yaml"],
        );
        assert_eq!(code, Some(2), "{to}: {text}");
        assert!(text.contains(rule), "{to}: {text}");
        assert!(text.contains("insurance-navigator-api"), "{to}: {text}");
    }
}

/// Staging synced into production's workspace (no `production.exclude`) is not recorded as
/// production: what the environments' Blueprints declare is left out of the snapshot.
#[test]
fn staging_in_the_same_workspace_is_not_recorded_as_production() {
    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    let blueprint =
        std::fs::read_to_string(support::root().join("generated/staging/render.yaml")).unwrap();
    support::fake_render::sync::sync(&mut ws, &blueprint, OWNER);
    let bg = Background::start(ws, Settings::default());
    let project = support::example_project();
    let out_path = project.path().join("generated/production.snapshot.yaml");
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .env("RENDER_API_KEY", bg.fake.key())
        .env_remove("STAGEPRINT_FINGERPRINT_KEY")
        .current_dir(project.path())
        .args(["snapshot", "--api-url"])
        .arg(bg.fake.url())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("left out 5 resources"), "{stderr}");
    assert_eq!(std::fs::read_to_string(out_path).unwrap(), committed());
}
