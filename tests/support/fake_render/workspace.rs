//! The data a fake Render API serves: every resource as the JSON object the real API
//! returns (unknown fields kept), without list envelopes or cursors (the server makes its
//! own). Loaded from a directory of recorded responses (the layout of
//! `stageprint::snapshot::fixtures`) or built by [`super::synth`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

#[derive(Debug, Clone, Default)]
pub struct Workspace {
    pub owners: Vec<Value>,
    /// Services as `GET /services` lists them.
    pub services: Vec<Value>,
    /// `GET /services/{id}` bodies where a recording exists; otherwise the listed object.
    pub service_details: BTreeMap<String, Value>,
    /// Per service id: `{key, value}`, `{name, content}`, custom domains, header and route rules.
    pub env_vars: BTreeMap<String, Vec<Value>>,
    pub secret_files: BTreeMap<String, Vec<Value>>,
    pub custom_domains: BTreeMap<String, Vec<Value>>,
    pub headers: BTreeMap<String, Vec<Value>>,
    pub routes: BTreeMap<String, Vec<Value>>,
    /// Env groups as `GET /env-groups` lists them (no variables).
    pub env_groups: Vec<Value>,
    /// `GET /env-groups/{id}` bodies (with `envVars` and `secretFiles`).
    pub env_group_details: BTreeMap<String, Value>,
    /// Postgres as listed: primaries and read replicas.
    pub postgres: Vec<Value>,
    pub postgres_details: BTreeMap<String, Value>,
    pub postgres_connections: BTreeMap<String, Value>,
    pub key_values: Vec<Value>,
    pub key_value_details: BTreeMap<String, Value>,
    pub key_value_connections: BTreeMap<String, Value>,
    pub projects: Vec<Value>,
    pub environments: Vec<Value>,
    pub registry_credentials: Vec<Value>,
    pub blueprints: Vec<Value>,
    pub blueprint_details: BTreeMap<String, Value>,
    /// Per service id: deploys, newest first.
    pub deploys: BTreeMap<String, Vec<Value>>,
}

fn read(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// `<stem>.json` and `<stem>-page-N.json` (in page order), list envelopes removed.
fn listed(dir: &Path, stem: &str, key: &str) -> Vec<Value> {
    let mut files: Vec<(u32, std::path::PathBuf)> = Vec::new();
    if dir.join(format!("{stem}.json")).exists() {
        files.push((0, dir.join(format!("{stem}.json"))));
    }
    let prefix = format!("{stem}-page-");
    for entry in std::fs::read_dir(dir).expect("fixture directory") {
        let name = entry
            .expect("directory entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(n) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".json"))
            .and_then(|n| n.parse().ok())
        {
            files.push((n, dir.join(&name)));
        }
    }
    files.sort();
    let mut out = Vec::new();
    for (_, path) in files {
        let Some(Value::Array(items)) = read(&path) else {
            continue;
        };
        for item in items {
            out.push(match item.get(key) {
                Some(inner) => inner.clone(),
                None => item,
            });
        }
    }
    out
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .expect("every resource has an id")
        .to_string()
}

impl Workspace {
    /// Load a directory of recorded responses.
    pub fn from_dir(dir: &Path) -> Workspace {
        assert!(dir.is_dir(), "{} is not a fixture directory", dir.display());
        let mut ws = Workspace {
            owners: listed(dir, "owners", "owner"),
            services: listed(dir, "services", "service"),
            env_groups: read(&dir.join("env-groups.json"))
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default(),
            postgres: listed(dir, "postgres", "postgres"),
            key_values: listed(dir, "key-value", "keyValue"),
            projects: listed(dir, "projects", "project"),
            environments: listed(dir, "environments", "environment"),
            registry_credentials: read(&dir.join("registry-credentials.json"))
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default(),
            blueprints: listed(dir, "blueprints", "blueprint"),
            ..Workspace::default()
        };
        for s in &ws.services {
            let id = id_of(s);
            if let Some(d) = read(&dir.join(format!("service-{id}.json"))) {
                ws.service_details.insert(id.clone(), d);
            }
            ws.env_vars
                .insert(id.clone(), listed(dir, &format!("env-vars-{id}"), "envVar"));
            ws.secret_files.insert(
                id.clone(),
                listed(dir, &format!("secret-files-{id}"), "secretFile"),
            );
            ws.custom_domains.insert(
                id.clone(),
                listed(dir, &format!("custom-domains-{id}"), "customDomain"),
            );
            ws.headers
                .insert(id.clone(), listed(dir, &format!("headers-{id}"), "header"));
            ws.routes
                .insert(id.clone(), listed(dir, &format!("routes-{id}"), "route"));
        }
        for g in &ws.env_groups {
            let id = id_of(g);
            if let Some(d) = read(&dir.join(format!("env-group-{id}.json"))) {
                ws.env_group_details.insert(id, d);
            }
        }
        for p in &ws.postgres {
            let id = id_of(p);
            if let Some(d) = read(&dir.join(format!("postgres-{id}.json"))) {
                ws.postgres_details.insert(id.clone(), d);
            }
            if let Some(c) = read(&dir.join(format!("postgres-connection-info-{id}.json"))) {
                ws.postgres_connections.insert(id, c);
            }
        }
        for k in &ws.key_values {
            let id = id_of(k);
            if let Some(d) = read(&dir.join(format!("key-value-{id}.json"))) {
                ws.key_value_details.insert(id.clone(), d);
            }
            if let Some(c) = read(&dir.join(format!("key-value-connection-info-{id}.json"))) {
                ws.key_value_connections.insert(id, c);
            }
        }
        for b in &ws.blueprints {
            let id = id_of(b);
            if let Some(d) = read(&dir.join(format!("blueprint-{id}.json"))) {
                ws.blueprint_details.insert(id, d);
            }
        }
        ws
    }

    pub fn service(&self, id: &str) -> Option<Value> {
        self.service_details
            .get(id)
            .cloned()
            .or_else(|| self.services.iter().find(|s| s["id"] == id).cloned())
    }

    pub fn env_group(&self, id: &str) -> Option<Value> {
        if let Some(d) = self.env_group_details.get(id) {
            return Some(d.clone());
        }
        let mut meta = self.env_groups.iter().find(|g| g["id"] == id)?.clone();
        meta["envVars"] = json!([]);
        meta["secretFiles"] = json!([]);
        Some(meta)
    }

    pub fn postgres(&self, id: &str) -> Option<Value> {
        self.postgres_details
            .get(id)
            .cloned()
            .or_else(|| self.postgres.iter().find(|p| p["id"] == id).cloned())
    }

    pub fn key_value(&self, id: &str) -> Option<Value> {
        self.key_value_details.get(id).cloned().or_else(|| {
            let mut k = self.key_values.iter().find(|k| k["id"] == id)?.clone();
            // The detail shape has no dashboardUrl.
            k.as_object_mut()?.remove("dashboardUrl");
            Some(k)
        })
    }

    pub fn blueprint(&self, id: &str) -> Option<Value> {
        self.blueprint_details.get(id).cloned().or_else(|| {
            let mut b = self.blueprints.iter().find(|b| b["id"] == id)?.clone();
            b["resources"] = json!([]);
            Some(b)
        })
    }

    /// Add a pull-request preview of service `id`, as `GET /services` lists it unless asked
    /// not to (`includePreviews=false`). Its values are canaries: none may reach a snapshot.
    pub fn add_preview_of(&mut self, id: &str) -> String {
        let parent = self.service(id).expect("the parent service exists");
        let mut preview = parent.clone();
        let preview_id = format!("{}p", &id[..id.len() - 1]);
        let name = format!("{}-pr-42", parent["name"].as_str().unwrap());
        preview["id"] = json!(preview_id);
        preview["name"] = json!(name);
        preview["slug"] = json!(name);
        preview["serviceDetails"]["parentServer"] = json!({"id": id, "name": parent["name"]});
        if preview["serviceDetails"].get("url").is_some() {
            preview["serviceDetails"]["url"] = json!(format!("https://{name}.onrender.com"));
        }
        self.services.push(preview);
        self.env_vars.insert(
            preview_id.clone(),
            vec![json!({"key": "PREVIEW_ONLY", "value": "preview-canary-value"})],
        );
        preview_id
    }

    /// Add a read replica of Postgres `id`: listed unless `includeReplicas=false`, and named
    /// in the primary's detail.
    pub fn add_replica_of(&mut self, id: &str) -> String {
        let primary = self.postgres(id).expect("the primary exists");
        let replica_id = format!("{}-b", id.trim_end_matches("-a"));
        let name = format!("{}-replica", primary["name"].as_str().unwrap());
        let mut replica = self
            .postgres
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone();
        replica["id"] = json!(replica_id);
        replica["name"] = json!(name);
        replica["role"] = json!("replica");
        replica["primaryPostgresID"] = json!(id);
        replica["dashboardUrl"] = json!(format!("https://dashboard.render.com/d/{replica_id}"));
        self.postgres.push(replica);
        let entry = json!({"id": replica_id, "name": name});
        for p in self.postgres.iter_mut().filter(|p| p["id"] == id) {
            p["readReplicas"]
                .as_array_mut()
                .unwrap()
                .push(entry.clone());
        }
        if let Some(d) = self.postgres_details.get_mut(id) {
            d["readReplicas"].as_array_mut().unwrap().push(entry);
        }
        replica_id
    }
}
