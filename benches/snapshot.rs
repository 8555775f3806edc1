//! How fast and how politely `stageprint snapshot` reads a large workspace.
//!
//! Synthetic workspaces of web services with 25 env vars each are served by the fake
//! Render API with 50 ms latency, in a child process (so the peak memory printed is the
//! client's alone). Each scenario prints wall time, requests, retries, 429s, and a lower
//! bound on the wall time of any client that keeps the same headroom: the largest of
//! (requests − budget usable at the start) ÷ usable rate; the same requests counted in
//! whole windows (the budget is counted in fixed windows, so they wait for each new window
//! to open, the last one plus one latency, less the time the server's window clock may have
//! run before the client started); the critical path of latency; and requests × latency ÷
//! concurrency. The usable budget and rate are the limit less the headroom the client
//! leaves for other tools; efficiency is that bound over the wall time.
//!
//! - `fits` and `fits, unlimited`: 14 services under Render's real budget (400 a minute)
//!   and under an unlimited one. The requests fit in the budget left, so the limited run
//!   should take no longer than the unlimited one (goal ≤ 1.3×).
//! - `paced`: 200 services under a GET budget of 1,200 a minute, counted in 6-second
//!   windows of 120 so the run crosses several windows: the snapshot is bound by the
//!   rate limit.
//! - `concurrent` and `one at a time`: 200 services under a budget of 15,000 a minute, so
//!   the concurrent client is bound by the rate limit while a client sending one request
//!   at a time is bound by latency (20 requests a second at 50 ms). With 1,200 a minute
//!   both would be rate-bound at 16 a second and no concurrency could make a difference.
//!
//! Run with `cargo bench --bench snapshot`. Goals: efficiency ≥ 0.9, no 429 from a full
//! budget, concurrent ≥ 8× faster than one at a time, `fits` within 1.3× of unlimited.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stageprint::model::{self, ConvertOptions};
use stageprint::secrets::Classifier;
use stageprint::snapshot::{self, ApiKey, Client, ClientSettings, Selection, Stats, Summary};

#[allow(dead_code)]
#[path = "../tests/support/fake_render/mod.rs"]
mod fake_render;

const SERVICES: usize = 200;
/// The small workspace whose requests fit in Render's budget.
const SMALL: usize = 14;
const ENV_VARS: usize = 25;
const LATENCY: Duration = Duration::from_millis(50);
const HEADROOM: f64 = 0.2;
const PAGE: usize = 100;

#[derive(Debug, Clone, Copy)]
struct Budget {
    limit: u64,
    window: Duration,
}

impl Budget {
    /// Requests a second the client may use, after the headroom.
    fn usable_rate(self) -> f64 {
        self.limit as f64 * (1.0 - HEADROOM) / self.window.as_secs_f64()
    }

    /// Requests the client may send at once from a fresh window, after the headroom.
    fn usable_at_start(self) -> f64 {
        (self.limit as f64 * (1.0 - HEADROOM)).floor()
    }

    fn per_minute(self) -> f64 {
        self.limit as f64 * 60.0 / self.window.as_secs_f64()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve(&args);
        return;
    }
    println!(
        "snapshot benchmark: web services × {ENV_VARS} env vars, {} ms latency, headroom {HEADROOM}",
        LATENCY.as_millis()
    );
    let paced = Budget {
        limit: 120,
        window: Duration::from_secs(6),
    };
    let generous = Budget {
        limit: 15_000,
        window: Duration::from_secs(60),
    };
    let render = Budget {
        limit: 400,
        window: Duration::from_secs(60),
    };
    let unlimited = Budget {
        limit: 1_000_000,
        window: Duration::from_secs(60),
    };
    let fits = scenario("fits", render, 8, SMALL);
    let fits_free = scenario("fits, unlimited", unlimited, 8, SMALL);
    let a = scenario("paced", paced, 8, SERVICES);
    let b = scenario("concurrent", generous, 16, SERVICES);
    let c = scenario("one at a time", generous, 1, SERVICES);
    println!(
        "{SMALL} services under 400/min take {:.2}× the time of an unlimited budget (goal ≤ 1.3×)",
        fits.wall.as_secs_f64() / fits_free.wall.as_secs_f64()
    );
    println!(
        "speedup of concurrent over one at a time: {:.1}× (goal ≥ 8×)",
        c.wall.as_secs_f64() / b.wall.as_secs_f64()
    );
    for (name, r) in [("paced", &a), ("concurrent", &b)] {
        println!(
            "{name}: efficiency {:.2} (goal ≥ 0.9), {} 429s (goal 0)",
            r.efficiency, r.rate_limited
        );
    }
    println!("peak memory of the client process: {}", peak_memory());
}

struct Outcome {
    wall: Duration,
    efficiency: f64,
    rate_limited: u64,
}

fn scenario(name: &str, budget: Budget, concurrency: usize, services: usize) -> Outcome {
    // The fake API counts windows from its start-up, which lies between these two instants.
    let spawned = Instant::now();
    let (mut child, url) = spawn_server(budget, services);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings = ClientSettings {
        base_url: url,
        concurrency,
        headroom: HEADROOM,
        ..ClientSettings::default()
    };
    let key = ApiKey::new(KEY).unwrap();
    let client = Arc::new(Client::new(&settings, &key, Arc::new(Stats::default())).unwrap());
    let started = Instant::now();
    let walked = runtime
        .block_on(snapshot::read_workspace(
            client.clone(),
            fake_render::synth::OWNER,
            &Selection::default(),
            Duration::from_secs(600),
        ))
        .expect("the snapshot succeeds");
    let wall = started.elapsed();
    let classifier = Classifier::default();
    let (snap, _) = model::normalise(
        &walked.raw,
        &ConvertOptions {
            classifier: &classifier,
            fingerprinter: None,
        },
    );
    assert_eq!(snap.services.len(), services);
    assert!(snap.services.iter().all(|s| s.env_vars.len() == ENV_VARS));
    drop(child.stdin.take());
    let _ = child.wait();

    let summary = Summary::of(&client, wall);
    // The longest chain of requests that depend on each other: the service list's pages,
    // then a service's env var pages.
    let chain = (services / PAGE + 1) + (ENV_VARS / PAGE + 1);
    let critical = LATENCY * chain as u32;
    let beyond_start = (summary.requests as f64 - budget.usable_at_start()).max(0.0);
    let by_rate = Duration::from_secs_f64(beyond_start / budget.usable_rate());
    // Budgets are counted in fixed windows: requests beyond the start's budget wait for
    // whole new windows, the last of which opens no earlier than its start less the time
    // the server's clock may have run before ours.
    let windows = (beyond_start / budget.usable_at_start()).ceil() as u32;
    let by_windows = (budget.window * windows + LATENCY).saturating_sub(started - spawned);
    // With a bound on requests in flight, the latency of all requests shared among them.
    let by_concurrency = LATENCY * summary.requests as u32 / concurrency as u32;
    let bound = by_rate.max(by_windows).max(critical).max(by_concurrency);
    let efficiency = bound.as_secs_f64() / wall.as_secs_f64();
    println!(
        "{name:>15}: {services} services, budget {:.0}/min ({} per {} s), concurrency {concurrency:>2}: {:6.2} s wall, {} requests, {} retries, {} 429s; lower bound {:.2} s (requests beyond the {:.0} usable at the start ÷ {:.1}/s = {:.2} s, or in whole windows {:.2} s, critical path {:.2} s, latency ÷ concurrency {:.2} s): efficiency {:.2}",
        budget.per_minute(),
        budget.limit,
        budget.window.as_secs(),
        wall.as_secs_f64(),
        summary.requests,
        summary.retries,
        summary.rate_limited,
        bound.as_secs_f64(),
        budget.usable_at_start(),
        budget.usable_rate(),
        by_rate.as_secs_f64(),
        by_windows.as_secs_f64(),
        critical.as_secs_f64(),
        by_concurrency.as_secs_f64(),
        efficiency,
    );
    Outcome {
        wall,
        efficiency,
        rate_limited: summary.rate_limited,
    }
}

const KEY: &str = "rnd_benchKey000000000000";

/// Start this executable as the fake API in a child process; returns it and its URL.
fn spawn_server(budget: Budget, services: usize) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--serve",
            &budget.limit.to_string(),
            &budget.window.as_secs().to_string(),
            &services.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the fake API");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_string())
}

/// Child mode: serve the synthetic workspace until the parent closes stdin.
fn serve(args: &[String]) {
    let at = args.iter().position(|a| a == "--serve").unwrap();
    let limit: u64 = args[at + 1].parse().unwrap();
    let window: u64 = args[at + 2].parse().unwrap();
    let services: usize = args[at + 3].parse().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let ws = fake_render::synth::workspace(&fake_render::synth::Spec {
            services,
            env_vars: ENV_VARS,
            domains: 1,
            mixed: false,
            ..fake_render::synth::Spec::default()
        });
        let settings = fake_render::Settings {
            api_key: KEY.into(),
            latency: LATENCY,
            budget: fake_render::Budget {
                limit,
                window: Duration::from_secs(window),
                epoch_reset: false,
            },
            ..fake_render::Settings::default()
        };
        let fake = fake_render::FakeRender::start(ws, settings).await;
        println!("{}", fake.url());
        std::io::stdout().flush().unwrap();
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {}
        })
        .await
        .unwrap();
    });
}

/// `VmHWM` (peak resident set) of this process, from /proc.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".into())
}
