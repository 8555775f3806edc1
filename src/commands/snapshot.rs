//! `stageprint snapshot`: read production through the Render API, normalise it (secrets
//! classified and reduced to rules and fingerprints), leave out what the config excludes,
//! and write the snapshot atomically. Nothing is written until every request has
//! succeeded, so a failed or interrupted run leaves the previous snapshot as it was.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

use super::{Exit, Global};
use crate::config::Config;
use crate::model::{self, ConvertOptions, Skipped, Snapshot};
use crate::output::{self, Written};
use crate::secrets::{Classifier, Fingerprinter};
use crate::snapshot::{self, ApiKey, Client, ClientSettings, Selection, Stats, Summary};

/// The environment variable holding the Render API key.
pub const API_KEY_ENV: &str = "RENDER_API_KEY";

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub owner: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub api_url: Option<String>,
    pub out: Option<PathBuf>,
    pub concurrency: Option<usize>,
    pub explain_secrets: bool,
}

pub fn run(global: &Global, options: Options) -> anyhow::Result<Exit> {
    let config = Config::load(&global.config)?;
    let api = &config.file.api;
    let owner = super::workspace_id(options.owner.as_deref(), &config)?;
    let concurrency = options.concurrency.unwrap_or(api.concurrency);
    if !crate::config::CONCURRENCY_RANGE.contains(&concurrency) {
        bail!(
            "--concurrency must be between {} and {} (got {concurrency})",
            crate::config::CONCURRENCY_RANGE.start(),
            crate::config::CONCURRENCY_RANGE.end()
        );
    }
    let key = api_key(options.api_key_file.as_deref())?;
    let settings = ClientSettings {
        base_url: options.api_url.clone().unwrap_or_else(|| api.url.clone()),
        concurrency,
        headroom: api.headroom,
        ..ClientSettings::default()
    };
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| config.snapshot_path());
    // Checked before any request: the snapshot must not land among generated files (the
    // next generate would refuse the folder) or on the config.
    let out_abs = super::generate::absolute(&out);
    for (name, env) in &config.file.environments {
        if out_abs.starts_with(super::generate::absolute(&config.resolve(&env.out))) {
            bail!(
                "refusing to write the snapshot to {}: it lies in the output folder of environment `{name}`\n  hint: keep the snapshot beside the environments' folders, such as generated/production.snapshot.yaml",
                out.display()
            );
        }
    }
    if out_abs == super::generate::absolute(&config.path) {
        bail!(
            "refusing to write the snapshot over the config {}",
            config.path.display()
        );
    }
    let selection = Selection::new(
        &config.file.production.include,
        &config.file.production.exclude,
    );

    let client = Arc::new(
        Client::new(&settings, &key, Arc::new(Stats::default()))
            .context("setting up the API client (check `api.url` in the config or --api-url)")?,
    );
    drop(key);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let started = Instant::now();
    let walked = runtime
        .block_on(async {
            let progress = Progress::start(client.clone(), started, global.verbose);
            let walked = snapshot::read_workspace(
                client.clone(),
                &owner,
                &selection,
                Duration::from_secs(api.deadline_seconds),
            )
            .await;
            progress.stop().await;
            walked
        })
        .with_context(|| {
            format!(
                "snapshot of workspace {owner} from {} failed; {} was not changed",
                client.base_url(),
                out.display()
            )
        })?;

    let classifier = Classifier::new(&config.file.secrets.rules());
    let fingerprinter = Fingerprinter::from_env();
    let (mut snap, warnings) = model::normalise(
        &walked.raw,
        &ConvertOptions {
            classifier: &classifier,
            fingerprinter: fingerprinter.as_ref(),
        },
    );
    leave_out(&mut snap, &selection);
    // Staging may share production's workspace: what the environments' Blueprints declare
    // is staging, and a snapshot that recorded it would make staging a copy of itself.
    let staging = super::declared_by_blueprints(&config)?;
    let left_out = super::leave_out_named(&mut snap, &staging);
    if left_out > 0 {
        eprintln!(
            "note: left out {left_out} resources that the environments' Blueprints declare (staging, not production)"
        );
    }
    for note in walked
        .notes
        .iter()
        .map(String::as_str)
        .chain(warnings.iter().map(|w| w.0.as_str()))
    {
        eprintln!("warning: {note}");
    }
    drop(walked);

    let written = output::write_atomic(&out, snap.to_yaml().as_bytes())?;
    if options.explain_secrets {
        print!("{}", explain_secrets(&snap));
    }
    let what = match written {
        Written::Created => "written",
        Written::Updated => "updated",
        Written::Unchanged => "unchanged",
    };
    eprintln!("{} {what}", out.display());
    eprintln!("snapshot: {}", Summary::of(&client, started.elapsed()));
    Ok(Exit::Clean)
}

/// The key from `--api-key-file`, else from `RENDER_API_KEY`. Messages name where the key
/// came from, never the key.
pub(crate) fn api_key(file: Option<&Path>) -> anyhow::Result<ApiKey> {
    let (text, source) = match file {
        Some(p) => (
            std::fs::read_to_string(p)
                .with_context(|| format!("reading the API key from {}", p.display()))?,
            p.display().to_string(),
        ),
        None => match std::env::var(API_KEY_ENV) {
            Ok(k) => (k, API_KEY_ENV.to_string()),
            Err(_) => bail!(
                "no Render API key: set {API_KEY_ENV} or pass --api-key-file PATH\n  hint: create a key in the Render Dashboard under Account Settings → API Keys"
            ),
        },
    };
    ApiKey::new(&text).map_err(|m| anyhow!("{m} (from {source})"))
}

/// Move resources the config leaves out into `skipped`. They were listed, so values
/// pointing at them are still recognised as production (`refersTo` names them), and
/// `skipped` keeps their identities (id, name, slug, hosts, URL, custom domains) so that
/// isolation still refuses staging names and values that point at them; they are just
/// not copied.
pub(crate) fn leave_out(snap: &mut Snapshot, selection: &Selection) {
    fn take<T>(
        items: &mut Vec<T>,
        skipped: &mut Vec<Skipped>,
        selection: &Selection,
        name: impl Fn(&T) -> &str,
        identity: impl Fn(&T, String) -> Skipped,
    ) {
        items.retain(|item| match selection.left_out(name(item)) {
            Some(reason) => {
                skipped.push(identity(item, reason));
                false
            }
            None => true,
        });
    }
    take(
        &mut snap.services,
        &mut snap.skipped,
        selection,
        |s| &s.name,
        Skipped::service,
    );
    take(
        &mut snap.databases,
        &mut snap.skipped,
        selection,
        |d| &d.name,
        Skipped::database,
    );
    take(
        &mut snap.key_values,
        &mut snap.skipped,
        selection,
        |k| &k.name,
        Skipped::key_value,
    );
    take(
        &mut snap.env_groups,
        &mut snap.skipped,
        selection,
        |g| &g.name,
        Skipped::env_group,
    );
    snap.sort();
}

/// Which env var keys, secret files, commands and headers were classified secret, and by
/// which rule.
pub fn explain_secrets(snap: &Snapshot) -> String {
    let mut out =
        String::from("Classified secret (keys and rules only; values are never shown):\n");
    let mut any = false;
    let mut section = |out: &mut String,
                       title: String,
                       vars: &[model::EnvVar],
                       files: &[model::SecretFile],
                       redacted: &[model::Redacted]| {
        let secret: Vec<&model::EnvVar> = vars.iter().filter(|v| v.is_secret()).collect();
        if secret.is_empty() && files.is_empty() && redacted.is_empty() {
            return;
        }
        any = true;
        let _ = writeln!(out, "  {title}");
        let width = secret.iter().map(|v| v.key.len()).max().unwrap_or(0);
        for v in secret {
            let rule = v
                .secret
                .as_ref()
                .map(|s| s.rule.as_str())
                .unwrap_or_default();
            let _ = writeln!(out, "    {:width$}  {rule}", v.key);
        }
        for f in files {
            let _ = writeln!(
                out,
                "    secret file {}  {}",
                f.name,
                Classifier::file_rule()
            );
        }
        for r in redacted {
            let what = match &r.header {
                Some(h) => format!("header {h}"),
                None => r.field.clone(),
            };
            let _ = writeln!(
                out,
                "    {what}  {} (not carried: the overlay must set it)",
                r.rule
            );
        }
    };
    for s in &snap.services {
        section(
            &mut out,
            format!("service {}", s.name),
            &s.env_vars,
            &s.secret_files,
            &s.redacted,
        );
    }
    for g in &snap.env_groups {
        section(
            &mut out,
            format!("env group {}", g.name),
            &g.env_vars,
            &g.secret_files,
            &[],
        );
    }
    if !any {
        out.push_str("  nothing\n");
    }
    out
}

/// Progress on stderr while the snapshot runs: a bar on a terminal, plain lines otherwise
/// (and when `-v` logs would interleave with a bar).
struct Progress {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    fn start(client: Arc<Client>, started: Instant, verbose: u8) -> Progress {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let bar = (std::io::stderr().is_terminal() && verbose == 0).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {pos}/{len} resources",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        let task = tokio::spawn(async move {
            let stats = client.stats.clone();
            let mut last_stage = u64::MAX;
            let mut last_line = Instant::now();
            let tick = if bar.is_some() {
                Duration::from_millis(100)
            } else {
                Duration::from_millis(250)
            };
            loop {
                let stage = Stats::get(&stats.stage);
                let (waited, _) = client.rate_limit_waits();
                let (done, total) = (
                    Stats::get(&stats.resources_done),
                    Stats::get(&stats.resources_total),
                );
                let requests = Stats::get(&stats.requests);
                match &bar {
                    Some(bar) => {
                        bar.set_length(total);
                        bar.set_position(done);
                        bar.set_message(format!(
                            "{} · {requests} requests · {:.1} s rate-limit wait",
                            if stage == 0 { "listing" } else { "reading" },
                            waited.as_secs_f64()
                        ));
                        bar.tick();
                    }
                    None => {
                        if stage != last_stage {
                            match stage {
                                0 => eprintln!("snapshot: listing the workspace's resources"),
                                1 => {
                                    eprintln!("snapshot: reading the details of {total} resources")
                                }
                                _ => {}
                            }
                            last_stage = stage;
                            last_line = Instant::now();
                        } else if last_line.elapsed() >= Duration::from_secs(5) {
                            eprintln!(
                                "snapshot: {done}/{total} resources, {requests} requests, {:.1} s waiting on the rate limit, {:.0} s",
                                waited.as_secs_f64(),
                                started.elapsed().as_secs_f64()
                            );
                            last_line = Instant::now();
                        }
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(tick) => {}
                    _ = &mut stopped => break,
                }
            }
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
        });
        Progress { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = "version: 1
workspace:
  id: tea-x
services:
  - id: srv-a
    name: app-api
    kind: web
    runtime: node
    autoDeployTrigger: commit
    envVars:
      - key: LOG_LEVEL
        value: info
      - key: STRIPE_SECRET_KEY
        secret:
          rule: 'value shape: Stripe live secret key'
    secretFiles:
      - name: .npmrc
  - id: srv-b
    name: app-legacy
    kind: worker
    runtime: node
    autoDeployTrigger: commit
databases:
  - id: dpg-a
    name: app-db
    highAvailability: false
";

    fn snap() -> Snapshot {
        Snapshot::from_yaml(SNAPSHOT, Path::new("s.yaml")).unwrap()
    }

    #[test]
    fn excluded_resources_move_to_skipped() {
        let mut s = snap();
        leave_out(
            &mut s,
            &Selection::new(&[], &["*-legacy".into(), "app-db".into()]),
        );
        assert_eq!(
            s.services
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["app-api"]
        );
        assert!(s.databases.is_empty());
        let skipped: Vec<(&str, &str)> = s
            .skipped
            .iter()
            .map(|k| (k.id.as_str(), k.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("dpg-a", "excluded by production.exclude `app-db`"),
                ("srv-b", "excluded by production.exclude `*-legacy`")
            ]
        );
    }

    #[test]
    fn skipped_resources_keep_identities_and_no_values() {
        let mut s = snap();
        s.services[0].slug = Some("app-api".into());
        s.services[0].domains = vec!["api.example.com".into(), "*.example.org".into()];
        s.services[0].network.url = Some("https://app-api.onrender.com".into());
        leave_out(&mut s, &Selection::new(&["app-db".into()], &[]));
        let api = s.skipped.iter().find(|k| k.id == "srv-a").unwrap();
        assert_eq!(api.kind, Some(model::ResourceKind::Service));
        assert_eq!(api.slug.as_deref(), Some("app-api"));
        assert_eq!(api.domains, ["*.example.org", "api.example.com"]);
        assert_eq!(
            api.network.url.as_deref(),
            Some("https://app-api.onrender.com")
        );
        let text = s.to_yaml();
        assert!(
            !text.contains("LOG_LEVEL") && !text.contains("npmrc"),
            "{text}"
        );
        let back = Snapshot::from_yaml(&text, Path::new("s.yaml")).unwrap();
        assert_eq!(back.skipped, s.skipped);
    }

    #[test]
    fn explain_lists_keys_and_rules() {
        let text = explain_secrets(&snap());
        assert!(
            text.contains(
                "  service app-api\n    STRIPE_SECRET_KEY  value shape: Stripe live secret key\n"
            ),
            "{text}"
        );
        assert!(text.contains("secret file .npmrc  secret file"), "{text}");
        assert!(!text.contains("LOG_LEVEL"), "{text}");
    }
}
