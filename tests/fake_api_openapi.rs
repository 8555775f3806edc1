//! The fake Render API is only as good as its likeness to the real one: every body it
//! serves during a snapshot (and its error bodies) must validate against Render's
//! published OpenAPI document, `../shared/render-openapi.json`.
//!
//! The schema for a body is found the way a reader of the document would: the path
//! template that matches the request, then the response for its status. `serviceDetails`
//! and `envSpecificDetails` are `oneOf`s whose branches overlap (a web service also
//! matches the private-service branch), so, as a client must, the branch is chosen by the
//! service's `type` and `runtime`. The document's known defects are tolerated explicitly
//! (see `render-openapi.SOURCE.md`): `postgresDetail.required` names a `project` that does
//! not exist, and real responses carry `null` where it promises arrays (Postgres
//! `ipAllowList`; Environment id lists). Fields newer than the document (such as
//! `autoDeployTrigger`) pass because it never forbids additional properties.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use stageprint::snapshot::{self, ApiKey, Client, ClientSettings, Selection, Stats};
use support::fake_render::{Budget, FakeRender, Served, Settings, Workspace, synth};

const API_SERVICE: &str = "srv-d05lq8uuk2gs73c9ohe0";
const DATABASE: &str = "dpg-d05lp1euk2gs73c9o9k0-a";

struct Document {
    doc: Value,
    templates: Vec<(String, Vec<String>)>,
    validators: HashMap<String, jsonschema::Validator>,
}

impl Document {
    fn load(path: &std::path::Path) -> Document {
        let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        tolerate_documented_defects(&mut doc);
        let templates = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|t| {
                (
                    t.clone(),
                    t.split('/')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                )
            })
            .collect();
        Document {
            doc,
            templates,
            validators: HashMap::new(),
        }
    }

    /// The path template a request path matches; literal segments win over parameters.
    fn template(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.templates
            .iter()
            .filter(|(_, t)| {
                t.len() == segments.len()
                    && t.iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .min_by_key(|(_, t)| t.iter().filter(|s| s.starts_with('{')).count())
            .map(|(name, _)| name.clone())
    }

    /// The JSON schema of the response to `GET template` with `status`.
    fn response_schema(&self, template: &str, status: u16) -> Value {
        let responses = &self.doc["paths"][template]["get"]["responses"];
        let mut response = responses
            .get(status.to_string())
            .unwrap_or_else(|| panic!("GET {template} declares no {status} response"))
            .clone();
        if let Some(r) = response.get("$ref").and_then(Value::as_str) {
            response = self.pointer(r).clone();
        }
        response["content"]["application/json"]["schema"].clone()
    }

    fn pointer(&self, reference: &str) -> &Value {
        let p = reference
            .trim_start_matches('#')
            .replace("%7B", "{")
            .replace("%7D", "}");
        self.doc
            .pointer(&p)
            .unwrap_or_else(|| panic!("unresolvable {reference}"))
    }

    /// Validate `instance` against `schema` (which may `$ref` anything in the document),
    /// with the `serviceDetails` / `envSpecificDetails` branches fixed by `variant`.
    fn validate(
        &mut self,
        schema: &Value,
        variant: Option<(&str, &str)>,
        instance: &Value,
    ) -> Vec<String> {
        let cache_key = format!("{schema}|{variant:?}");
        if !self.validators.contains_key(&cache_key) {
            let mut root = self.doc.clone();
            if let Some((service_type, runtime)) = variant {
                let branch = match service_type {
                    "web_service" => "webServiceDetails",
                    "private_service" => "privateServiceDetails",
                    "background_worker" => "backgroundWorkerDetails",
                    "cron_job" => "cronJobDetails",
                    "static_site" => "staticSiteDetails",
                    other => panic!("the fake served an unknown service type {other}"),
                };
                root["components"]["schemas"]["service"]["properties"]["serviceDetails"] =
                    json!({"$ref": format!("#/components/schemas/{branch}")});
                let env = if matches!(runtime, "docker" | "image") {
                    "dockerDetails"
                } else {
                    "nativeEnvironmentDetails"
                };
                root["components"]["schemas"]["envSpecificDetails"] =
                    json!({"$ref": format!("#/components/schemas/{env}")});
            }
            root["x-target"] = schema.clone();
            root["$ref"] = json!("#/x-target");
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .build(&root)
                .expect("the document compiles");
            self.validators.insert(cache_key.clone(), validator);
        }
        self.validators[&cache_key]
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }
}

/// Loosen exactly the defects `render-openapi.SOURCE.md` documents, nothing else.
fn tolerate_documented_defects(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    let required = schemas["postgresDetail"]["required"]
        .as_array_mut()
        .unwrap();
    required.retain(|r| r != "project");
    let nullable = |s: &mut Value, property: &str| {
        let p = &mut s["properties"][property];
        assert!(p.is_object(), "{property} is in the document");
        *p = json!({"anyOf": [p.clone(), {"type": "null"}]});
    };
    for schema in ["postgres", "postgresDetail"] {
        nullable(&mut schemas[schema], "ipAllowList");
    }
    for property in ["serviceIds", "databasesIds", "redisIds", "envGroupIds"] {
        nullable(&mut schemas["environment"], property);
    }
}

/// The type and runtime of the service a body (or list element) holds, if any.
fn service_variant(v: &Value) -> Option<(String, String)> {
    let s = v.get("service").unwrap_or(v);
    let t = s.get("type")?.as_str()?;
    s.get("serviceDetails")?;
    let runtime = s["serviceDetails"]["runtime"]
        .as_str()
        .unwrap_or("")
        .to_string();
    Some((t.to_string(), runtime))
}

fn check_all(doc: &mut Document, served: &[Served]) -> usize {
    let mut checked = 0;
    let mut failures = Vec::new();
    for s in served {
        let Some(body) = &s.body else { continue };
        let path = s.path.strip_prefix("/v1").expect("under /v1");
        let template = doc
            .template(path)
            .unwrap_or_else(|| panic!("the document has no path for {path}"));
        let schema = doc.response_schema(&template, s.status);
        let body: Value =
            serde_json::from_slice(body).unwrap_or_else(|e| panic!("{path}: not JSON: {e}"));
        // Lists are checked element by element, so each service gets its own branch.
        let (schema, instances): (Value, Vec<Value>) = {
            let resolved = match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => doc.pointer(r).clone(),
                None => schema.clone(),
            };
            match (&body, resolved.get("items")) {
                (Value::Array(items), Some(item_schema)) => (item_schema.clone(), items.clone()),
                _ => (schema, vec![body.clone()]),
            }
        };
        for instance in &instances {
            let variant = service_variant(instance);
            let errors = doc.validate(
                &schema,
                variant.as_ref().map(|(t, r)| (t.as_str(), r.as_str())),
                instance,
            );
            if !errors.is_empty() {
                failures.push(format!(
                    "GET {path}?{} ({}): {}",
                    s.query,
                    s.status,
                    errors.join("; ")
                ));
            }
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "bodies that do not match the OpenAPI document:\n{}",
        failures.join("\n")
    );
    checked
}

async fn snapshot_through(fake: &FakeRender, owner: &str) {
    let settings = ClientSettings {
        base_url: fake.url(),
        ..ClientSettings::default()
    };
    let client = Arc::new(
        Client::new(
            &settings,
            &ApiKey::new(fake.key()).unwrap(),
            Arc::new(Stats::default()),
        )
        .unwrap(),
    );
    snapshot::read_workspace(
        client,
        owner,
        &Selection::default(),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
}

/// A few requests a snapshot does not make, for the bodies they return: details, the
/// deprecated `/redis`, default paging, and each error status.
async fn extra_requests(fake: &FakeRender, ids: &[&str]) {
    let http = reqwest::Client::new();
    let get = |path: String, key: &str| {
        http.get(format!("{}{path}", fake.url()))
            .bearer_auth(key)
            .send()
    };
    for id in ids {
        get(format!("/services/{id}"), fake.key()).await.unwrap();
    }
    for path in [
        "/redis",
        "/services",
        "/postgres?includeReplicas=true",
        "/services/srv-d05lr9muk2gs73c9ok10",
        "/postgres?cursor=bogus",
    ] {
        get(path.to_string(), fake.key()).await.unwrap();
    }
    get("/owners".into(), "rnd_wrong").await.unwrap();
}

#[tokio::test]
async fn every_body_the_fake_serves_matches_renders_openapi_document() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let mut doc = Document::load(&shared.join("render-openapi.json"));
    let record = Settings {
        record_bodies: true,
        ..Settings::default()
    };

    let mut ws = Workspace::from_dir(&support::insurance_navigator());
    ws.add_preview_of(API_SERVICE);
    ws.add_replica_of(DATABASE);
    let fake = FakeRender::start(ws, record.clone()).await;
    snapshot_through(&fake, "tea-cr8k1hb6l47c73a0b1c0").await;
    extra_requests(&fake, &[API_SERVICE]).await;
    let served = fake.served();
    let statuses: Vec<u16> = served.iter().map(|s| s.status).collect();
    for status in [200, 400, 401, 404] {
        assert!(
            statuses.contains(&status),
            "a {status} body was served and checked"
        );
    }
    let checked = check_all(&mut doc, &served);
    assert_eq!(checked, served.len(), "every body was checked");

    // Every service type and runtime, static-site rules, registry credentials, Blueprints.
    let spec = synth::Spec {
        services: 12,
        ..synth::Spec::default()
    };
    let fake = FakeRender::start(synth::workspace(&spec), record.clone()).await;
    snapshot_through(&fake, synth::OWNER).await;
    let ids: Vec<String> = (0..6)
        .map(|i| {
            if i == 3 {
                synth::xid("crn", i)
            } else {
                synth::xid("srv", i)
            }
        })
        .collect();
    extra_requests(&fake, &ids.iter().map(String::as_str).collect::<Vec<_>>()).await;
    check_all(&mut doc, &fake.served());

    // A 429 body, over budget.
    let over = Settings {
        budget: Budget {
            limit: 1,
            window: Duration::from_secs(60),
            epoch_reset: false,
        },
        ..record
    };
    let fake = FakeRender::start(Workspace::from_dir(&support::insurance_navigator()), over).await;
    let http = reqwest::Client::new();
    for _ in 0..2 {
        http.get(format!("{}/owners", fake.url()))
            .bearer_auth(fake.key())
            .send()
            .await
            .unwrap();
    }
    let served = fake.served();
    assert_eq!(served.last().unwrap().status, 429);
    check_all(&mut doc, &served);
}

#[test]
fn overlapping_branches_are_why_the_variant_is_chosen_by_type() {
    let Some(shared) = support::shared_dir() else {
        return;
    };
    let mut doc = Document::load(&shared.join("render-openapi.json"));
    let ws = Workspace::from_dir(&support::insurance_navigator());
    let web = ws.service(API_SERVICE).unwrap();
    let schema = json!({"$ref": "#/components/schemas/service"});
    // Without choosing, a real web service matches more than one branch and fails `oneOf`.
    assert!(!doc.validate(&schema, None, &web).is_empty());
    assert!(
        doc.validate(&schema, Some(("web_service", "node")), &web)
            .is_empty()
    );
    // And choosing the wrong branch is caught.
    assert!(
        !doc.validate(&schema, Some(("cron_job", "node")), &web)
            .is_empty()
    );
}
