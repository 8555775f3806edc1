//! A Blueprint sync, simulated on a fake workspace the way Render applies one: each
//! declared resource is created by name (or, when one of that name exists, adopted and
//! updated), env vars merge and are never deleted, `generateValue` is set only when the
//! key is new, `sync: false` keys stay unset, `fromDatabase`/`fromService` resolve to the
//! staging resource's own values, and `fromGroup` links the group.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{Value, json};

use super::Workspace;

fn hash(v: &str) -> String {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    let n = h.finish();
    // Render ids: a prefix and 20 lowercase letters and digits.
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..20)
        .map(|i| alphabet[((n >> (i * 3)) % 36) as usize] as char)
        .collect()
}

/// The API's spelling of a Blueprint plan (`pro plus` → `pro_plus`, `basic-1gb` →
/// `basic_1gb`).
fn api_plan(p: &str) -> String {
    p.replace([' ', '-'], "_")
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Apply `blueprint` (the YAML text) to `ws` for workspace `owner`.
pub fn sync(ws: &mut Workspace, blueprint: &str, owner: &str) {
    let doc = stageprint::validate::Document::parse(blueprint, std::path::Path::new("render.yaml"))
        .expect("a Blueprint that parses");
    let resources = stageprint::validate::blueprint::resources(&doc.value);
    use stageprint::validate::blueprint::Kind;
    // Databases and Key Values first: services' references resolve to them.
    for r in &resources {
        let Some(name) = r.name() else { continue };
        let v = r.value;
        match r.kind {
            Kind::Database => {
                let id = format!("dpg-{}-a", hash(name));
                let db = s(v, "databaseName").unwrap_or("app").to_string();
                let user = s(v, "user").unwrap_or("app").to_string();
                let body = json!({
                    "id": id, "name": name, "ownerId": owner, "owner": {"id": owner},
                    "plan": api_plan(s(v, "plan").unwrap_or("basic-256mb")),
                    "region": s(v, "region").unwrap_or("oregon"),
                    "version": s(v, "postgresMajorVersion").unwrap_or("16"),
                    "databaseName": db, "databaseUser": user,
                    "diskSizeGB": v.get("diskSizeGB").cloned().unwrap_or(Value::Null),
                    "diskAutoscalingEnabled": v.get("storageAutoscalingEnabled").cloned().unwrap_or(json!(false)),
                    "highAvailabilityEnabled": v.get("highAvailability").and_then(|h| h.get("enabled")).cloned().unwrap_or(json!(false)),
                    "connectionPool": s(v, "connectionPool").unwrap_or("none"),
                    "role": "primary", "status": "available", "suspended": "not_suspended",
                    "readReplicas": [], "ipAllowList": v.get("ipAllowList").cloned().unwrap_or(Value::Null),
                });
                let password = format!("stg{}", hash(&format!("pw{name}")));
                ws.postgres_connections.insert(
                    id.clone(),
                    json!({
                        "password": password,
                        "internalConnectionString": format!("postgresql://{user}:{password}@{id}/{db}"),
                        "externalConnectionString": format!("postgresql://{user}:{password}@{id}.oregon-postgres.render.com/{db}"),
                        "psqlCommand": format!("PGPASSWORD={password} psql -h {id}.oregon-postgres.render.com -U {user} {db}"),
                    }),
                );
                ws.postgres.retain(|p| p["name"] != name);
                ws.postgres_details.insert(id, body.clone());
                ws.postgres.push(body);
            }
            Kind::KeyValue => {
                let id = format!("red-{}", hash(name));
                let options = json!({
                    "maxmemoryPolicy": s(v, "maxmemoryPolicy").map(|p| p.replace('-', "_")),
                    "persistenceMode": s(v, "persistenceMode").map(|p| p.replace('-', "_")),
                });
                let body = json!({
                    "id": id, "name": name, "owner": {"id": owner},
                    "plan": api_plan(s(v, "plan").unwrap_or("starter")),
                    "region": s(v, "region").unwrap_or("oregon"),
                    "options": options, "ipAllowList": v.get("ipAllowList").cloned().unwrap_or(json!([])),
                    "status": "available", "version": "8.1.4",
                });
                ws.key_value_connections.insert(
                    id.clone(),
                    json!({"internalConnectionString": format!("redis://{id}:6379")}),
                );
                ws.key_values.retain(|k| k["name"] != name);
                ws.key_value_details.insert(id, body.clone());
                ws.key_values.push(body);
            }
            _ => {}
        }
    }
    let resolve = |ws: &Workspace, v: &Value| -> Option<String> {
        if let Some(d) = v.get("fromDatabase") {
            let pg = ws.postgres.iter().find(|p| p["name"] == d["name"])?;
            let id = pg["id"].as_str()?;
            let c = &ws.postgres_connections[id];
            return Some(match s(d, "property")? {
                "connectionString" | "connectionPoolString" => {
                    c["internalConnectionString"].as_str()?.to_string()
                }
                "host" => id.to_string(),
                "port" => "5432".into(),
                "user" => pg["databaseUser"].as_str()?.to_string(),
                "password" => c["password"].as_str()?.to_string(),
                "database" => pg["databaseName"].as_str()?.to_string(),
                _ => return None,
            });
        }
        let f = v.get("fromService")?;
        let name = s(f, "name")?;
        if matches!(s(f, "type"), Some("keyvalue" | "redis")) {
            let kv = ws.key_values.iter().find(|k| k["name"] == name)?;
            let id = kv["id"].as_str()?;
            return Some(match s(f, "property")? {
                "connectionString" => format!("redis://{id}:6379"),
                "host" => id.to_string(),
                "port" => "6379".into(),
                _ => return None,
            });
        }
        let svc = ws.services.iter().find(|x| x["name"] == name)?;
        let slug = svc["slug"].as_str()?.to_string();
        if let Some(key) = s(f, "envVarKey") {
            let id = svc["id"].as_str()?;
            return ws.env_vars.get(id)?.iter().find(|e| e["key"] == key)?["value"]
                .as_str()
                .map(str::to_string);
        }
        Some(match s(f, "property")? {
            "host" | "slug" => slug,
            "port" => "10000".into(),
            "hostport" => format!("{slug}:10000"),
            _ => return None,
        })
    };
    let merge = |list: &mut Vec<Value>, key: &str, value: Option<String>, generate: bool| {
        match list.iter_mut().find(|e| e["key"] == key) {
            // generateValue only fills a key that is new.
            Some(_) if generate => {}
            Some(e) => {
                if let Some(v) = value {
                    e["value"] = json!(v);
                }
            }
            None => {
                if let Some(v) = value {
                    list.push(json!({"key": key, "value": v}));
                }
            }
        }
    };
    // Twice, so that a reference to a service declared further down resolves.
    for _pass in 0..2 {
        for r in &resources {
            let Some(name) = r.name() else { continue };
            let v = r.value;
            match r.kind {
                Kind::EnvGroup => {
                    let existing = ws.env_groups.iter().find(|g| g["name"] == name).cloned();
                    let id = existing
                        .as_ref()
                        .and_then(|g| s(g, "id").map(str::to_string))
                        .unwrap_or_else(|| format!("evg-{}", hash(name)));
                    let mut detail = ws.env_group(&id).unwrap_or_else(|| {
                    json!({"id": id, "name": name, "ownerId": owner, "serviceLinks": [], "envVars": [], "secretFiles": []})
                });
                    let mut vars = detail["envVars"].as_array().cloned().unwrap_or_default();
                    for (_, e) in r.env_vars() {
                        let Some(key) = s(e, "key") else { continue };
                        let generate = e.get("generateValue").is_some();
                        let value = s(e, "value").map(str::to_string).or_else(|| {
                            generate.then(|| format!("gen{}", hash(&format!("{name}{key}"))))
                        });
                        merge(&mut vars, key, value, generate);
                    }
                    detail["envVars"] = json!(vars);
                    if existing.is_none() {
                        ws.env_groups.push(
                            json!({"id": id, "name": name, "ownerId": owner, "serviceLinks": []}),
                        );
                    }
                    ws.env_group_details.insert(id, detail);
                }
                Kind::Service => {
                    let t = s(v, "type").unwrap_or("web");
                    let runtime = s(v, "runtime").unwrap_or("node");
                    let api_type = match (t, runtime) {
                        ("web", "static") => "static_site",
                        ("web", _) => "web_service",
                        ("pserv", _) => "private_service",
                        ("worker", _) => "background_worker",
                        ("cron", _) => "cron_job",
                        (other, _) => other,
                    };
                    let id = ws
                        .services
                        .iter()
                        .find(|x| x["name"] == name)
                        .and_then(|x| s(x, "id").map(str::to_string))
                        .unwrap_or_else(|| format!("srv-{}", hash(name)));
                    let docker = matches!(runtime, "docker" | "image");
                    let env_specific = if docker {
                        json!({"dockerCommand": s(v, "dockerCommand").unwrap_or(""), "dockerContext": s(v, "dockerContext").unwrap_or(""), "dockerfilePath": s(v, "dockerfilePath").unwrap_or(""), "preDeployCommand": s(v, "preDeployCommand")})
                    } else {
                        json!({"buildCommand": s(v, "buildCommand").unwrap_or(""), "startCommand": s(v, "startCommand").unwrap_or(""), "preDeployCommand": s(v, "preDeployCommand")})
                    };
                    let details = if api_type == "static_site" {
                        json!({"buildCommand": s(v, "buildCommand").unwrap_or(""), "publishPath": s(v, "staticPublishPath").unwrap_or("public"), "url": format!("https://{name}.onrender.com"), "renderSubdomainPolicy": s(v, "renderSubdomainPolicy")})
                    } else {
                        let mut d = json!({
                            "runtime": runtime, "plan": api_plan(s(v, "plan").unwrap_or("starter")),
                            "region": s(v, "region").unwrap_or("oregon"),
                            "numInstances": v.get("numInstances").cloned().unwrap_or(json!(1)),
                            "envSpecificDetails": env_specific,
                            "healthCheckPath": s(v, "healthCheckPath").unwrap_or(""),
                            "maxShutdownDelaySeconds": v.get("maxShutdownDelaySeconds").cloned().unwrap_or(Value::Null),
                            "renderSubdomainPolicy": s(v, "renderSubdomainPolicy"),
                            "buildPlan": "starter",
                        });
                        if api_type == "cron_job" {
                            d["schedule"] = json!(s(v, "schedule").unwrap_or("0 * * * *"));
                        } else {
                            d["url"] = json!(format!("https://{name}.onrender.com"));
                            d["openPorts"] = json!([{"port": 10000, "protocol": "TCP"}]);
                        }
                        d
                    };
                    let body = json!({
                        "id": id, "name": name, "type": api_type, "ownerId": owner, "slug": name,
                        "repo": s(v, "repo"), "branch": s(v, "branch"), "rootDir": s(v, "rootDir").unwrap_or(""),
                        "autoDeploy": if s(v, "autoDeployTrigger") == Some("off") { "no" } else { "yes" },
                        "autoDeployTrigger": s(v, "autoDeployTrigger").unwrap_or("commit"),
                        "suspended": "not_suspended", "suspenders": [], "notifyOnFail": "default",
                        "serviceDetails": details,
                    });
                    ws.services.retain(|x| x["id"] != id);
                    ws.service_details.insert(id.clone(), body.clone());
                    ws.services.push(body);
                    let domains: Vec<Value> = v
                    .get("domains")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|d| json!({"id": format!("cdm-{}", hash(d)), "name": d, "domainType": "apex", "verificationStatus": "verified"}))
                    .collect();
                    ws.custom_domains.insert(id.clone(), domains);
                    let mut vars = ws.env_vars.get(&id).cloned().unwrap_or_default();
                    for (_, e) in r.env_vars() {
                        if let Some(g) = s(e, "fromGroup") {
                            let gid = ws
                                .env_groups
                                .iter()
                                .find(|x| x["name"] == g)
                                .and_then(|x| s(x, "id").map(str::to_string));
                            if let Some(gid) = gid {
                                let link = json!({"id": id, "name": name, "type": t});
                                for list in [
                                    ws.env_groups.iter_mut().find(|x| x["id"] == gid.as_str()),
                                    ws.env_group_details.get_mut(&gid),
                                ]
                                .into_iter()
                                .flatten()
                                {
                                    let links = list["serviceLinks"].as_array_mut();
                                    match links {
                                        Some(l) if !l.iter().any(|x| x["id"] == id.as_str()) => {
                                            l.push(link.clone())
                                        }
                                        Some(_) => {}
                                        None => list["serviceLinks"] = json!([link.clone()]),
                                    }
                                }
                            }
                            continue;
                        }
                        let Some(key) = s(e, "key") else { continue };
                        let generate = e.get("generateValue").is_some();
                        let value = s(e, "value")
                            .map(str::to_string)
                            .or_else(|| {
                                generate.then(|| format!("gen{}", hash(&format!("{name}{key}"))))
                            })
                            .or_else(|| resolve(ws, e));
                        merge(&mut vars, key, value, generate);
                    }
                    ws.env_vars.insert(id.clone(), vars);
                    ws.deploys.entry(id.clone()).or_insert_with(|| {
                    vec![json!({"id": format!("dep-{}", hash(name)), "status": "live",
                        "commit": {"id": "0123456789abcdef0123456789abcdef01234567"}, "trigger": "blueprint_sync"})]
                });
                    ws.secret_files.entry(id.clone()).or_default();
                    ws.headers.entry(id.clone()).or_default();
                    ws.routes.entry(id).or_default();
                }
                _ => {}
            }
        }
    }
}

/// What an operator does after a sync: give every `sync: false` key of the Blueprint's
/// services a value.
pub fn set_operator_values(ws: &mut Workspace, blueprint: &str) {
    let doc = stageprint::validate::Document::parse(blueprint, std::path::Path::new("render.yaml"))
        .expect("a Blueprint that parses");
    for r in stageprint::validate::blueprint::resources(&doc.value) {
        let Some(id) = ws
            .services
            .iter()
            .find(|x| Some(x["name"].as_str().unwrap_or_default()) == r.name())
            .and_then(|x| s(x, "id").map(str::to_string))
        else {
            continue;
        };
        let vars = ws.env_vars.entry(id).or_default();
        for (_, e) in r.env_vars() {
            if e.get("sync").and_then(Value::as_bool) == Some(false)
                && let Some(key) = s(e, "key")
                && !vars.iter().any(|x| x["key"] == key)
            {
                vars.push(json!({"key": key, "value": format!("set-by-operator-{}", hash(key))}));
            }
        }
    }
}
