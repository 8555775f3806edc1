//! Reading a Blueprint as data: where its resources are (root, `ungrouped`, a project, a
//! project's environment) and what kind each one is. Shared by the semantic and isolation
//! checks so that both see exactly the same resources at the same paths.

use std::fmt;

use serde_json::Value;

use crate::yaml::{child_index, child_key};

/// What a Blueprint entry creates on Render: the model's one resource kind (`services[]`
/// entries are services, or Key Values when `type: keyvalue`/`redis`).
pub use crate::model::ResourceKind as Kind;

/// Where in the Blueprint a resource is declared (displayed with its preposition:
/// `at the top level`, `in project `p``).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Top level: the resource keeps whatever environment it is in now.
    Root,
    /// `ungrouped`: the resource belongs to no environment.
    Ungrouped,
    /// `projects[].envVarGroups`: shared by the project's environments.
    Project(String),
    Environment {
        project: String,
        environment: String,
    },
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Root => f.write_str("at the top level"),
            Scope::Ungrouped => f.write_str("in `ungrouped`"),
            Scope::Project(p) => write!(f, "in project `{p}`"),
            Scope::Environment {
                project,
                environment,
            } => {
                write!(f, "in environment `{environment}` of project `{project}`")
            }
        }
    }
}

/// One resource entry of a Blueprint.
#[derive(Debug, Clone)]
pub struct Resource<'a> {
    pub kind: Kind,
    /// JSON path of the entry: `projects[0].environments[1].services[2]`.
    pub path: String,
    pub value: &'a Value,
    pub scope: Scope,
}

impl<'a> Resource<'a> {
    pub fn name(&self) -> Option<&'a str> {
        self.str("name")
    }

    pub fn field(&self, key: &str) -> Option<&'a Value> {
        self.value.get(key)
    }

    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.value.get(key).and_then(Value::as_str)
    }

    pub fn has(&self, key: &str) -> bool {
        self.value.get(key).is_some()
    }

    /// Path of one of the entry's fields.
    pub fn at(&self, key: &str) -> String {
        child_key(&self.path, key)
    }

    /// `service `api``, `database `db``, or the kind and path when it has no name.
    pub fn describe(&self) -> String {
        match self.name() {
            Some(n) => format!("{} `{n}`", self.kind.as_str()),
            None => format!("{} at `{}`", self.kind.as_str(), self.path),
        }
    }

    /// The entry's env vars with their paths (services and env groups).
    pub fn env_vars(&self) -> Vec<(String, &'a Value)> {
        let base = self.at("envVars");
        match self.field("envVars") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (child_index(&base, i), v))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Every resource of the Blueprint in document order.
pub fn resources(doc: &Value) -> Vec<Resource<'_>> {
    let mut out = Vec::new();
    collect(doc, "", &Scope::Root, &mut out);
    if let Some(u) = doc.get("ungrouped") {
        collect(u, "ungrouped", &Scope::Ungrouped, &mut out);
    }
    for (pi, project) in items(doc.get("projects")) {
        let ppath = child_index("projects", pi);
        let pname = project
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for (gi, group) in items(project.get("envVarGroups")) {
            out.push(Resource {
                kind: Kind::EnvGroup,
                path: child_index(&child_key(&ppath, "envVarGroups"), gi),
                value: group,
                scope: Scope::Project(pname.clone()),
            });
        }
        for (ei, env) in items(project.get("environments")) {
            let epath = child_index(&child_key(&ppath, "environments"), ei);
            let scope = Scope::Environment {
                project: pname.clone(),
                environment: env
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            };
            collect(env, &epath, &scope, &mut out);
        }
    }
    out
}

fn collect<'a>(container: &'a Value, base: &str, scope: &Scope, out: &mut Vec<Resource<'a>>) {
    for (i, s) in items(container.get("services")) {
        let kind = match s.get("type").and_then(Value::as_str) {
            Some("keyvalue" | "redis") => Kind::KeyValue,
            _ => Kind::Service,
        };
        out.push(Resource {
            kind,
            path: child_index(&child_key(base, "services"), i),
            value: s,
            scope: scope.clone(),
        });
    }
    for (list, kind) in [
        ("databases", Kind::Database),
        ("envVarGroups", Kind::EnvGroup),
    ] {
        for (i, value) in items(container.get(list)) {
            out.push(Resource {
                kind,
                path: child_index(&child_key(base, list), i),
                value,
                scope: scope.clone(),
            });
        }
    }
}

/// The items of a list, or nothing when the value is absent or not a list (the schema
/// reports the wrong shape).
pub fn items(v: Option<&Value>) -> impl Iterator<Item = (usize, &Value)> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_resources_in_every_scope() {
        let doc = json!({
            "services": [{"type": "web", "name": "a"}, {"type": "keyvalue", "name": "kv"}],
            "ungrouped": {"databases": [{"name": "db"}]},
            "projects": [{"name": "p", "envVarGroups": [{"name": "g"}],
                "environments": [{"name": "e", "services": [{"type": "worker", "name": "w"}]}]}]
        });
        let r = resources(&doc);
        let got: Vec<(Kind, &str, &str)> = r
            .iter()
            .map(|r| (r.kind, r.path.as_str(), r.name().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Kind::Service, "services[0]", "a"),
                (Kind::KeyValue, "services[1]", "kv"),
                (Kind::Database, "ungrouped.databases[0]", "db"),
                (Kind::EnvGroup, "projects[0].envVarGroups[0]", "g"),
                (
                    Kind::Service,
                    "projects[0].environments[0].services[0]",
                    "w"
                ),
            ]
        );
        assert_eq!(
            r[4].scope,
            Scope::Environment {
                project: "p".into(),
                environment: "e".into()
            }
        );
    }
}
