//! `generate` on a synthetic production workspace: wall time and peak memory, and how
//! they grow from 1,000 to 10,000 services (linear means ~10×).
//!
//! `cargo bench --bench generate` prints the figures. Each size runs in a fresh child
//! process so its peak resident memory (VmHWM) is its own.

use std::path::Path;
use std::time::Instant;

use stageprint::model::*;
use stageprint::overlay::Overlay;
use stageprint::pipeline::{self, Strict};
use stageprint::render::Paths;

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
        snap.services.push(Service {
            id: format!("srv-bench{s:015}"),
            name: format!("svc-{s}"),
            kind: if s % 3 == 0 {
                ServiceKind::Worker
            } else {
                ServiceKind::Web
            },
            runtime: "node".into(),
            slug: Some(format!("svc-{s}")),
            environment: None,
            repo: Some("https://github.com/acme/monorepo".into()),
            branch: Some("main".into()),
            root_dir: Some(format!("apps/svc-{s}")),
            image: None,
            registry_credential: None,
            auto_deploy_trigger: "commit".into(),
            build_filter: None,
            plan: Some("standard".into()),
            api_plan: None,
            region: Some("oregon".into()),
            num_instances: Some(2),
            scaling: None,
            disk: None,
            health_check_path: if s % 3 == 0 {
                None
            } else {
                Some("/health".into())
            },
            build_command: Some("npm ci && npm run build".into()),
            start_command: Some("node dist/server.js".into()),
            pre_deploy_command: None,
            docker_command: None,
            docker_context: None,
            dockerfile_path: None,
            schedule: None,
            static_publish_path: None,
            max_shutdown_delay_seconds: Some(30),
            previews: Some("off".into()),
            ip_allow_list: None,
            render_subdomain_policy: None,
            domains: if s % 3 == 0 {
                vec![]
            } else {
                vec![format!("svc{s}.prod.example.com")]
            },
            headers: vec![],
            routes: vec![],
            env_groups: vec![format!("group-{}", s % groups)],
            env_vars: vars,
            secret_files: vec![],
            network: Network {
                url: Some(format!("https://svc-{s}.onrender.com")),
                hosts: vec![format!("svc-{s}")],
                ports: vec![10000],
            },
            unexpressed: Unexpressed::default(),
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

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().unwrap())
        .unwrap_or(1000);
    let snap = synthetic(n);
    let t = Instant::now();
    let text = snap.to_yaml();
    println!("to_yaml {:?}", t.elapsed());
    let t = Instant::now();
    let snap = Snapshot::from_yaml(&text, Path::new("s.yaml")).unwrap();
    println!("from_yaml {:?}", t.elapsed());
    let overlay = Overlay::parse(OVERLAY, Path::new("overlay.yaml")).unwrap();
    let t = Instant::now();
    let staging = stageprint::overlay::apply(&snap, &overlay, "staging").unwrap();
    println!("apply {:?}", t.elapsed());
    let paths = Paths {
        out_dir: "out".into(),
        snapshot_label: "s".into(),
        overlay_label: "o".into(),
    };
    let t = Instant::now();
    let report = stageprint::render::Report::build(&staging, "s", "o", vec![], &Default::default());
    println!("report build {:?}", t.elapsed());
    let t = Instant::now();
    let bp = stageprint::render::blueprint_text(&staging, &paths).unwrap();
    println!("blueprint {:?} {} bytes", t.elapsed(), bp.len());
    let t = Instant::now();
    let md = stageprint::render::render_template("report.md.j2", &report).unwrap();
    println!("report.md {:?} {} bytes", t.elapsed(), md.len());
    let t = Instant::now();
    let js = serde_json::to_string_pretty(&report).unwrap();
    println!("report.json {:?} {} bytes", t.elapsed(), js.len());
    let t = Instant::now();
    let files = stageprint::render::render(&staging, &snap, &paths, &report).unwrap();
    println!("render all {:?} {} files", t.elapsed(), files.len());
    let _ = pipeline::run;
    let _ = Strict::Off;
}
