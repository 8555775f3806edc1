//! `generate` on a synthetic production workspace: wall time and peak memory, and how
//! they grow from 1,000 to 10,000 services (linear means ~10×).
//!
//! `cargo bench --bench generate` prints the figures: the release `stageprint generate`
//! binary runs on a project of each size, and its wall time and peak resident memory are
//! measured from outside.

use std::path::Path;
use std::time::Instant;

use stageprint::model::*;

const VARS_PER_SERVICE: usize = 30;

fn synthetic(services: usize) -> Snapshot {
    let groups = (services / 20).max(1);
    let dbs = (services / 50).max(1);
    let mut snap = Snapshot {
        version: SNAPSHOT_VERSION,
        workspace: Workspace {
            id: "tea-bench".into(),
            name: None,
        },
        services: Vec::with_capacity(services),
        databases: Vec::new(),
        key_values: Vec::new(),
        env_groups: Vec::new(),
        projects: Vec::new(),
        registry_credentials: Vec::new(),
        blueprints: Vec::new(),
        skipped: Vec::new(),
    };
    for d in 0..dbs {
        snap.databases.push(Database {
            id: format!("dpg-bench{d:015}-a"),
            name: format!("db-{d}"),
            environment: None,
            database_name: Some(format!("db_{d}")),
            user: Some(format!("db_{d}_user")),
            plan: Some("basic-1gb".into()),
            api_plan: None,
            region: Some("oregon".into()),
            postgres_major_version: Some("16".into()),
            disk_size_gb: Some(15),
            storage_autoscaling_enabled: Some(true),
            high_availability: false,
            connection_pool: None,
            ip_allow_list: None,
            read_replicas: vec![],
            network: Network {
                url: None,
                hosts: vec![format!("dpg-bench{d:015}-a")],
                ports: vec![5432],
            },
            unexpressed: Unexpressed::default(),
        });
        snap.key_values.push(KeyValue {
            id: format!("red-bench{d:015}"),
            name: format!("kv-{d}"),
            environment: None,
            plan: Some("starter".into()),
            api_plan: None,
            region: Some("oregon".into()),
            maxmemory_policy: Some("allkeys-lru".into()),
            persistence_mode: None,
            ip_allow_list: vec![],
            network: Network {
                url: None,
                hosts: vec![format!("red-bench{d:015}")],
                ports: vec![6379],
            },
            unexpressed: Unexpressed::default(),
        });
    }
    for g in 0..groups {
        snap.env_groups.push(EnvGroup {
            id: format!("evg-bench{g:015}"),
            name: format!("group-{g}"),
            environment: None,
            env_vars: (0..10)
                .map(|i| EnvVar {
                    key: format!("SHARED_{i}"),
                    value: Some(format!("shared value {i}")),
                    secret: None,
                    refers_to: None,
                })
                .collect(),
            secret_files: vec![],
        });
    }
    for s in 0..services {
        let mut vars = Vec::with_capacity(VARS_PER_SERVICE);
        vars.push(EnvVar {
            key: "DATABASE_URL".into(),
            value: None,
            secret: Some(Secret {
                rule: "value has credentials inside a URL".into(),
                fingerprint: None,
            }),
            refers_to: Some(Reference {
                resource: ResourceKind::Database,
                name: format!("db-{}", s % dbs),
                property: "connectionString".into(),
                matched: Match::Exact,
            }),
        });
        vars.push(EnvVar {
            key: "REDIS_URL".into(),
            value: Some(format!("redis://red-bench{:015}:6379", s % dbs)),
            secret: None,
            refers_to: Some(Reference {
                resource: ResourceKind::KeyValue,
                name: format!("kv-{}", s % dbs),
                property: "connectionString".into(),
                matched: Match::Exact,
            }),
        });
        vars.push(EnvVar {
            key: "API_KEY".into(),
            value: None,
            secret: Some(Secret {
                rule: "key name `*_KEY`".into(),
                fingerprint: None,
            }),
            refers_to: None,
        });
        vars.push(EnvVar {
            key: "PUBLIC_URL".into(),
            value: Some(format!("https://svc{s}.prod.example.com/path")),
            secret: None,
            refers_to: None,
        });
        for i in vars.len()..VARS_PER_SERVICE {
            vars.push(EnvVar {
                key: format!("SETTING_{i:02}"),
                value: Some(format!("value-{s}-{i}")),
                secret: None,
                refers_to: None,
            });
        }
        let kind = if s % 3 == 0 {
            ServiceKind::Worker
        } else {
            ServiceKind::Web
        };
        snap.services.push(Service {
            slug: Some(format!("svc-{s}")),
            repo: Some("https://github.com/acme/monorepo".into()),
            branch: Some("main".into()),
            root_dir: Some(format!("apps/svc-{s}")),
            plan: Some("standard".into()),
            region: Some("oregon".into()),
            num_instances: Some(2),
            health_check_path: (kind == ServiceKind::Web).then(|| "/health".into()),
            build_command: Some("npm ci && npm run build".into()),
            start_command: Some("node dist/server.js".into()),
            max_shutdown_delay_seconds: Some(30),
            previews: Some("off".into()),
            domains: if kind == ServiceKind::Web {
                vec![format!("svc{s}.prod.example.com")]
            } else {
                vec![]
            },
            env_groups: vec![format!("group-{}", s % groups)],
            env_vars: vars,
            network: Network {
                url: Some(format!("https://svc-{s}.onrender.com")),
                hosts: vec![format!("svc-{s}")],
                ports: vec![10000],
            },
            ..Service::new(
                format!("srv-bench{s:015}"),
                format!("svc-{s}"),
                kind,
                "node",
            )
        });
    }
    snap.sort();
    snap
}

const OVERLAY: &str = "version: 1
rename:
  prefix: staging-
defaults:
  services:
    autoDeployTrigger: \"off\"
env:
  - key: \"*\"
    replace:
      prod.example.com: staging.example.com
  - key: SETTING_05
    set: staging
  - key: API_KEY
    secret: a staging key
";

/// A project directory with a synthetic production snapshot of `services` services.
fn project(services: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "stageprint-bench-{services}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(dir.join("overlays")).unwrap();
    std::fs::create_dir_all(dir.join("generated")).unwrap();
    std::fs::write(
        dir.join("generated/production.snapshot.yaml"),
        synthetic(services).to_yaml(),
    )
    .unwrap();
    std::fs::write(dir.join("overlays/staging.yaml"), OVERLAY).unwrap();
    std::fs::write(
        dir.join("stageprint.yaml"),
        "version: 1\nproduction:\n  owner: tea-bench\nenvironments:\n  staging:\n    overlay: overlays/staging.yaml\n    out: generated/staging\n",
    )
    .unwrap();
    dir
}

/// One measured run, in its own process so that the peak resident memory of its only
/// child, `stageprint generate`, is that run's alone.
fn child(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir.join("generated/staging"));
    let start = Instant::now();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_stageprint"))
        .arg("generate")
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let wall = start.elapsed();
    assert!(
        status.success(),
        "stageprint generate failed in {}",
        dir.display()
    );
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let out_bytes: u64 = walk(&dir.join("generated/staging"))
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    // ru_maxrss is in KiB on Linux.
    println!(
        "{:.3} {} {}",
        wall.as_secs_f64(),
        usage.ru_maxrss,
        out_bytes
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(Path::new(&args[i + 1]));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut results = Vec::new();
    println!(
        "stageprint generate on a synthetic production, {VARS_PER_SERVICE} env vars per service"
    );
    println!("(the release binary, writing every file; best of 3 runs, each its own process)");
    println!(
        "{:>8} {:>10} {:>10} {:>14} {:>12}",
        "services", "wall s", "peak MiB", "snapshot MiB", "output MiB"
    );
    for n in [1_000usize, 10_000] {
        let dir = project(n);
        let snapshot_bytes = std::fs::metadata(dir.join("generated/production.snapshot.yaml"))
            .unwrap()
            .len();
        let mut best: Option<(f64, u64, u64)> = None;
        for _ in 0..3 {
            let out = std::process::Command::new(&exe)
                .arg("--child")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8(out.stdout).unwrap();
            let f: Vec<&str> = line.split_whitespace().collect();
            let run: (f64, u64, u64) = (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            );
            if best.is_none_or(|b| run.0 < b.0) {
                best = Some(run);
            }
        }
        std::fs::remove_dir_all(&dir).ok();
        let (wall, peak, out_bytes) = best.unwrap();
        println!(
            "{n:>8} {wall:>10.3} {:>10.1} {:>14.1} {:>12.1}",
            peak as f64 / 1024.0,
            snapshot_bytes as f64 / 1048576.0,
            out_bytes as f64 / 1048576.0
        );
        results.push((n, wall, peak));
    }
    let (_, t1, m1) = results[0];
    let (_, t2, m2) = results[1];
    println!(
        "10,000 vs 1,000 services: time ×{:.1}, peak memory ×{:.1} (linear ≈ ×10)",
        t2 / t1,
        m2 as f64 / m1 as f64
    );
}
