//! Synthetic workspaces of any size, shaped like real API bodies: N services with M env
//! vars each (some services "heavy", with more env vars and custom domains than one page
//! holds), optionally cycling through every service type and runtime, plus an env group,
//! a Postgres, a Key Value, a project with its environment, a registry credential and a
//! Blueprint, so every endpoint a snapshot reads has something to serve.

use serde_json::{Value, json};

use super::Workspace;

pub const OWNER: &str = "tea-d05s0000000000000000";
const ENVIRONMENT: &str = "evm-d05s00000000000000e0";
const PROJECT: &str = "prj-d05s00000000000000p0";
const POSTGRES: &str = "dpg-d05s00000000000000d0-a";
const KEY_VALUE: &str = "red-d05s00000000000000r0";
const ENV_GROUP: &str = "evg-d05s00000000000000g0";
const CREATED: &str = "2025-06-01T12:00:00.000000Z";

#[derive(Debug, Clone)]
pub struct Spec {
    pub services: usize,
    pub env_vars: usize,
    /// Custom domains per web service and static site.
    pub domains: usize,
    /// The first `heavy` services get `heavy_env_vars` env vars and `heavy_domains` domains.
    pub heavy: usize,
    pub heavy_env_vars: usize,
    pub heavy_domains: usize,
    /// Cycle through every service type and runtime instead of only Node web services.
    pub mixed: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            services: 10,
            env_vars: 5,
            domains: 1,
            heavy: 0,
            heavy_env_vars: 0,
            heavy_domains: 0,
            mixed: true,
        }
    }
}

/// A Render-style id: prefix, then 20 characters of `[0-9a-v]`.
pub fn xid(prefix: &str, n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
    let mut body = Vec::new();
    let mut n = n;
    for _ in 0..16 {
        body.push(DIGITS[n % 32]);
        n /= 32;
    }
    body.reverse();
    format!("{prefix}-d1s0{}", String::from_utf8(body).unwrap())
}

pub fn service_name(i: usize) -> String {
    format!("svc-{i:04}")
}

fn pg_password() -> &'static str {
    "synthPgPassw0rdNotReal0000000000"
}

fn kv_password() -> &'static str {
    "synthKvPassw0rdNotReal0000000000"
}

pub fn workspace(spec: &Spec) -> Workspace {
    let mut ws = Workspace {
        owners: vec![owner()],
        ..Workspace::default()
    };
    let mut service_ids = Vec::new();
    for i in 0..spec.services {
        let kind = if spec.mixed { i % 6 } else { 0 };
        let service = service(i, kind);
        let id = service["id"].as_str().unwrap().to_string();
        let heavy = i < spec.heavy;
        let vars = if heavy {
            spec.heavy_env_vars
        } else {
            spec.env_vars
        };
        ws.env_vars
            .insert(id.clone(), (0..vars).map(|k| env_var(i, k)).collect());
        if matches!(kind, 0 | 4 | 5) {
            let n = if heavy {
                spec.heavy_domains
            } else {
                spec.domains
            };
            ws.custom_domains
                .insert(id.clone(), (0..n).map(|k| domain(i, k)).collect());
        }
        if i % 10 == 0 {
            ws.secret_files.insert(
                id.clone(),
                vec![json!({"name": ".npmrc", "content": format!("//registry.npmjs.org/:_authToken=npm_SYNTH{i:06}\n")})],
            );
        }
        if kind == 4 {
            ws.headers.insert(
                id.clone(),
                vec![json!({"id": xid("hdr", i), "path": "/*", "name": "X-Frame-Options", "value": "DENY"})],
            );
            ws.routes.insert(
                id.clone(),
                vec![
                    json!({"id": xid("rdr", 2 * i), "type": "redirect", "source": "/old", "destination": "/new", "priority": 0}),
                    json!({"id": xid("rdr", 2 * i + 1), "type": "rewrite", "source": "/*", "destination": "/index.html", "priority": 1}),
                ],
            );
        }
        service_ids.push((id, service["name"].clone(), short_type(kind)));
        ws.services.push(service);
    }

    let links: Vec<Value> = service_ids
        .iter()
        .take(3)
        .map(|(id, name, t)| json!({"id": id, "name": name, "type": t}))
        .collect();
    let group_meta = json!({
        "id": ENV_GROUP, "name": "synth-shared", "ownerId": OWNER, "environmentId": ENVIRONMENT,
        "createdAt": CREATED, "updatedAt": CREATED, "serviceLinks": links,
    });
    let mut group = group_meta.clone();
    group["envVars"] = json!([
        {"key": "FEATURE_FLAG_SHARED", "value": "true"},
        {"key": "SENTRY_DSN", "value": "https://0000@o0.ingest.sentry.io/0"},
        {"key": "SESSION_SECRET", "value": "synthSessionSecretNotReal000000"},
    ]);
    group["secretFiles"] = json!([{"name": "service-account.json", "content": "{\"private_key\": \"synth-not-real\"}"}]);
    ws.env_groups.push(group_meta);
    ws.env_group_details.insert(ENV_GROUP.into(), group);

    let pg = json!({
        "id": POSTGRES, "name": "synth-db", "databaseName": "synth", "databaseUser": "synth_user",
        "plan": "basic_1gb", "region": "oregon", "version": "16", "role": "primary", "status": "available",
        "suspended": "not_suspended", "suspenders": [], "highAvailabilityEnabled": false, "diskSizeGB": 15,
        "ipAllowList": [], "readReplicas": [], "environmentId": ENVIRONMENT, "owner": owner(),
        "dashboardUrl": format!("https://dashboard.render.com/d/{POSTGRES}"),
        "createdAt": CREATED, "updatedAt": CREATED,
    });
    ws.postgres.push(pg);
    ws.postgres_connections.insert(
        POSTGRES.into(),
        json!({
            "password": pg_password(),
            "internalConnectionString": pg_internal(),
            "externalConnectionString": format!("postgresql://synth_user:{}@{POSTGRES}.oregon-postgres.render.com:5432/synth", pg_password()),
            "psqlCommand": format!("PGPASSWORD={} psql -h {POSTGRES}.oregon-postgres.render.com -U synth_user synth", pg_password()),
        }),
    );

    ws.key_values.push(json!({
        "id": KEY_VALUE, "name": "synth-queue", "plan": "starter", "region": "oregon", "status": "available",
        "version": "8.1.4", "options": {"maxmemoryPolicy": "noeviction", "persistenceMode": "off"},
        "ipAllowList": [], "environmentId": ENVIRONMENT, "owner": owner(),
        "dashboardUrl": format!("https://dashboard.render.com/r/{KEY_VALUE}"),
        "createdAt": CREATED, "updatedAt": CREATED,
    }));
    ws.key_value_connections.insert(
        KEY_VALUE.into(),
        json!({
            "internalConnectionString": format!("redis://{KEY_VALUE}:6379"),
            "externalConnectionString": format!("rediss://{KEY_VALUE}:{}@oregon-keyvalue.render.com:6379", kv_password()),
            "cliCommand": format!("REDISCLI_AUTH={} valkey-cli --user {KEY_VALUE} -h oregon-keyvalue.render.com -p 6379 --tls", kv_password()),
        }),
    );

    ws.projects.push(json!({
        "id": PROJECT, "name": "synth", "owner": owner(), "environmentIds": [ENVIRONMENT],
        "createdAt": CREATED, "updatedAt": CREATED,
    }));
    ws.environments.push(json!({
        "id": ENVIRONMENT, "name": "production", "projectId": PROJECT, "protectedStatus": "protected",
        "networkIsolationEnabled": true,
        "serviceIds": service_ids.iter().map(|(id, _, _)| id.clone()).collect::<Vec<_>>(),
        "databasesIds": [POSTGRES], "redisIds": [KEY_VALUE], "envGroupIds": [ENV_GROUP],
    }));
    ws.registry_credentials.push(json!({
        "id": "rgc-d05s00000000000000c0", "name": "synth-registry", "registry": "DOCKER",
        "username": "synth-bot", "updatedAt": CREATED,
    }));
    let blueprint = json!({
        "id": "exs-d05s00000000000000b0", "name": "synth-blueprint", "status": "in_sync", "autoSync": true,
        "repo": "https://github.com/example/synth", "branch": "main", "path": "render.yaml",
    });
    let mut detail = blueprint.clone();
    detail["resources"] = match service_ids.first() {
        Some((id, name, _)) => json!([{"id": id, "name": name, "type": "web_service"}]),
        None => json!([]),
    };
    ws.blueprint_details
        .insert("exs-d05s00000000000000b0".into(), detail);
    ws.blueprints.push(blueprint);
    ws
}

fn owner() -> Value {
    json!({"id": OWNER, "name": "Synthetic", "email": "platform@synth.example", "type": "team"})
}

fn pg_internal() -> String {
    format!("postgresql://synth_user:{}@{POSTGRES}/synth", pg_password())
}

fn short_type(kind: usize) -> &'static str {
    match kind {
        0 | 5 => "web",
        1 => "pserv",
        2 => "worker",
        3 => "cron",
        _ => "static",
    }
}

fn service(i: usize, kind: usize) -> Value {
    let id = if kind == 3 {
        xid("crn", i)
    } else {
        xid("srv", i)
    };
    let name = service_name(i);
    let (service_type, dashboard) = match kind {
        0 | 5 => ("web_service", "web"),
        1 => ("private_service", "pserv"),
        2 => ("background_worker", "worker"),
        3 => ("cron_job", "cron"),
        _ => ("static_site", "static"),
    };
    let native =
        |start: &str| json!({"buildCommand": "npm ci && npm run build", "startCommand": start});
    let server = |runtime: &str, esd: Value, url: Option<String>| {
        let mut d = json!({
            "env": runtime, "runtime": runtime, "envSpecificDetails": esd, "plan": "standard",
            "region": "oregon", "numInstances": 1, "buildPlan": "starter", "maxShutdownDelaySeconds": 30,
            "previews": {"generation": "off"}, "pullRequestPreviewsEnabled": "no",
            "sshAddress": format!("{id}@ssh.oregon.render.com"),
        });
        if let Some(url) = url {
            d["url"] = json!(url);
            d["openPorts"] = json!([{"port": 10000, "protocol": "TCP"}]);
        }
        d
    };
    let details = match kind {
        0 => {
            let mut d = server(
                "node",
                native("node dist/server.js"),
                Some(format!("https://{name}.onrender.com")),
            );
            d["healthCheckPath"] = json!("/health");
            d
        }
        1 => server(
            "python",
            native("gunicorn app:app"),
            Some(format!("{name}:10000")),
        ),
        2 => server(
            "docker",
            json!({"dockerCommand": "", "dockerContext": ".", "dockerfilePath": "./Dockerfile"}),
            None,
        ),
        3 => json!({
            "env": "ruby", "runtime": "ruby", "envSpecificDetails": native("bundle exec rake report"),
            "plan": "starter", "region": "oregon", "schedule": "*/15 * * * *", "buildPlan": "starter",
        }),
        4 => json!({
            "buildCommand": "npm ci && npm run build", "publishPath": "dist",
            "url": format!("https://{name}.onrender.com"), "buildPlan": "starter",
            "previews": {"generation": "off"}, "pullRequestPreviewsEnabled": "no",
        }),
        _ => {
            let mut d = server(
                "image",
                json!({"dockerCommand": "", "dockerContext": "", "dockerfilePath": ""}),
                Some(format!("https://{name}.onrender.com")),
            );
            d["healthCheckPath"] = json!("");
            d["autoscaling"] = json!({"enabled": true, "min": 1, "max": 3,
                "criteria": {"cpu": {"enabled": true, "percentage": 70}, "memory": {"enabled": false, "percentage": 80}}});
            d
        }
    };
    let mut s = json!({
        "id": id, "name": name, "type": service_type, "ownerId": OWNER, "slug": name,
        "repo": "https://github.com/example/synth", "branch": "main", "rootDir": "",
        "autoDeploy": "yes", "autoDeployTrigger": "commit", "environmentId": ENVIRONMENT,
        "notifyOnFail": "default", "suspended": "not_suspended", "suspenders": [],
        "createdAt": CREATED, "updatedAt": CREATED,
        "dashboardUrl": format!("https://dashboard.render.com/{dashboard}/{id}"),
        "serviceDetails": details,
    });
    if kind == 5 {
        let obj = s.as_object_mut().unwrap();
        obj.remove("repo");
        obj.remove("branch");
        obj.insert("imagePath".into(), json!("docker.io/library/nginx:1.27"));
        obj.insert(
            "registryCredential".into(),
            json!({"id": "rgc-d05s00000000000000c0", "name": "synth-registry"}),
        );
    }
    s
}

fn env_var(i: usize, k: usize) -> Value {
    let (key, value) = match k {
        0 => ("NODE_ENV".to_string(), "production".to_string()),
        1 => ("LOG_LEVEL".to_string(), "info".to_string()),
        2 => ("DATABASE_URL".to_string(), pg_internal()),
        3 => ("REDIS_URL".to_string(), format!("redis://{KEY_VALUE}:6379")),
        4 => (
            "API_TOKEN".to_string(),
            format!("tok_synthetic_{i:06}_not_real"),
        ),
        _ => (format!("SETTING_{k:03}"), format!("value-{i}-{k}")),
    };
    json!({"key": key, "value": value})
}

fn domain(i: usize, k: usize) -> Value {
    json!({
        "id": xid("cdm", i * 1000 + k), "name": format!("d{k}.{}.example.com", service_name(i)),
        "domainType": "subdomain", "publicSuffix": "example.com", "redirectForName": "",
        "verificationStatus": "verified", "createdAt": CREATED,
    })
}
