//! Run the fake Render API by hand, for demos and manual testing:
//!
//! ```sh
//! cargo run --example fake-render-api -- --fixtures tests/fixtures/insurance-navigator/api --port 8787
//! RENDER_API_KEY=rnd_fakeKeyForTests0000000000 \
//!   cargo run -- snapshot --api-url http://127.0.0.1:8787/v1 --out /tmp/production.snapshot.yaml
//! ```
//!
//! `--synthetic N` serves a generated workspace of N services instead; `--latency-ms`,
//! `--limit`/`--window-seconds` and `--fault-every` make it slow, stingy or flaky.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[allow(dead_code)]
#[path = "../tests/support/fake_render/mod.rs"]
mod fake_render;

use fake_render::{Budget, FakeRender, Fault, Faults, Settings, Workspace, synth};

#[derive(Debug, Parser)]
#[command(about = "A fake Render REST API v1 on 127.0.0.1 serving recorded or synthetic responses")]
struct Args {
    /// A directory of recorded responses (the layout of tests/fixtures/*/api).
    #[arg(long, value_name = "DIR", conflicts_with = "synthetic")]
    fixtures: Option<PathBuf>,
    /// Serve a generated workspace of this many services instead.
    #[arg(long, value_name = "N")]
    synthetic: Option<usize>,
    /// Env vars per synthetic service.
    #[arg(long, default_value_t = 25)]
    env_vars: usize,
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// The API key clients must send.
    #[arg(long, default_value = "rnd_fakeKeyForTests0000000000")]
    key: String,
    /// Added to every response.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// GET budget per window (Render: 400 a minute).
    #[arg(long, default_value_t = 400)]
    limit: u64,
    #[arg(long, default_value_t = 60)]
    window_seconds: u64,
    /// Send Ratelimit-Reset as a Unix time instead of seconds until the reset.
    #[arg(long)]
    epoch_reset: bool,
    /// Break every n-th request (5xx, reset, truncated, garbage, 429 in turn).
    #[arg(long, default_value_t = 0)]
    fault_every: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let ws = match (&args.fixtures, args.synthetic) {
        (Some(dir), _) => Workspace::from_dir(dir),
        (None, Some(n)) => synth::workspace(&synth::Spec {
            services: n,
            env_vars: args.env_vars,
            ..synth::Spec::default()
        }),
        (None, None) => {
            eprintln!("pass --fixtures DIR or --synthetic N");
            std::process::exit(2);
        }
    };
    let owner = ws
        .owners
        .first()
        .and_then(|o| o["id"].as_str())
        .unwrap_or("(none)")
        .to_string();
    let settings = Settings {
        api_key: args.key.clone(),
        latency: Duration::from_millis(args.latency_ms),
        budget: Budget {
            limit: args.limit,
            window: Duration::from_secs(args.window_seconds.max(1)),
            epoch_reset: args.epoch_reset,
        },
        faults: Faults {
            every: args.fault_every,
            kinds: vec![
                Fault::Status(503),
                Fault::Reset,
                Fault::Truncated,
                Fault::Garbage,
                Fault::TooMany,
            ],
            ..Faults::default()
        },
        record_bodies: false,
        port: args.port,
    };
    let fake = FakeRender::start(ws, settings).await;
    println!("fake Render API on {} (workspace {owner})", fake.url());
    println!(
        "try: RENDER_API_KEY={} stageprint snapshot --owner {owner} --api-url {} --out /tmp/production.snapshot.yaml",
        args.key,
        fake.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    let c = fake.counts();
    println!(
        "served {} requests ({} over budget, {} faults injected, at most {} at once)",
        c.requests, c.over_budget, c.injected, c.max_in_flight
    );
}
