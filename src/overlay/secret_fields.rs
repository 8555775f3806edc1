//! Secrets in fields that cannot be `sync: false`: commands, the repository and image
//! URLs, static-site headers and routes.
//!
//! The snapshot holds such a field only as a redaction (the rule and a fingerprint). A
//! staging service that would inherit it is refused, located where the overlay fixes it;
//! a command or header value the overlay itself sets must pass the same classifier.

use super::Problems;
use super::spec::{Overlay, Overrides};
use crate::model::{self, Snapshot};
use crate::secrets::Classifier;

const HOW_TO_MOVE: &str = "move the value into an env var (an env rule with `secret:`, set in the Render dashboard) and refer to it as `$VAR`";

/// Every redacted production field of a copied service must be set by the overlay, and no
/// command or header value the overlay sets may be a secret.
pub(super) fn check(
    snapshot: &Snapshot,
    overlay: &Overlay,
    services: &[(String, model::Service)],
    p: &mut Problems,
) {
    for (production_name, staging) in services {
        let Some(prod) = snapshot
            .services
            .iter()
            .find(|s| &s.name == production_name)
        else {
            continue;
        };
        let own = overlay.file.resources.get(production_name);
        let base = if own.is_some() {
            format!("resources.{production_name}")
        } else {
            "select.include".to_string()
        };
        for r in &prod.redacted {
            let set_here = |f: fn(&Overrides) -> bool| {
                [own, Some(&overlay.file.defaults.services)]
                    .into_iter()
                    .flatten()
                    .any(f)
            };
            let overridden = match r.field.as_str() {
                "headers" => set_here(|o| o.headers.is_some()),
                "routes" => set_here(|o| o.routes.is_some()),
                "repo" => staging.repo.is_some(),
                "image" => staging.image.is_some(),
                "buildCommand" => staging.build_command.is_some(),
                "startCommand" => staging.start_command.is_some(),
                "preDeployCommand" => staging.pre_deploy_command.is_some(),
                "dockerCommand" => staging.docker_command.is_some(),
                _ => false,
            };
            if overridden {
                continue;
            }
            let (what, fix) = if r.field == "routes" {
                (
                    format!(
                        "route {} of service `{production_name}`",
                        r.header.as_deref().unwrap_or("")
                    ),
                    format!(
                        "set `resources.{production_name}.routes` in this overlay to staging's routes"
                    ),
                )
            } else if r.field == "repo" || r.field == "image" {
                (
                    format!("`{}` of service `{production_name}`", r.field),
                    format!(
                        "give the registry or git host the credentials instead of the URL (a registry credential, Render's GitHub or GitLab access), and set `resources.{production_name}.{}` in this overlay to the URL without them",
                        r.field
                    ),
                )
            } else if r.field == "headers" {
                (
                    format!(
                        "header {} of service `{production_name}`",
                        r.header.as_deref().unwrap_or("")
                    ),
                    format!(
                        "{HOW_TO_MOVE} on the server that sends it, or set `resources.{production_name}.headers` in this overlay to staging's headers"
                    ),
                )
            } else {
                (
                    format!("`{}` of service `{production_name}`", r.field),
                    format!(
                        "{HOW_TO_MOVE}; then set `resources.{production_name}.{}` in this overlay to the command without it",
                        r.field
                    ),
                )
            };
            p.at(
                &base,
                format!(
                    "{what} holds a secret in production ({}); a Blueprint cannot keep it out of render.yaml (it cannot be `sync: false`), so it is not carried",
                    r.rule
                ),
                Some(fix),
            );
        }
    }
    let classifier = Classifier::default();
    let mut overrides: Vec<(String, &Overrides)> = overlay
        .file
        .resources
        .iter()
        .map(|(name, o)| (format!("resources.{name}"), o))
        .collect();
    overrides.push(("defaults.services".into(), &overlay.file.defaults.services));
    for (path, o) in overrides {
        for (field, name, value) in [
            ("buildCommand", "buildCommand", &o.build_command),
            ("startCommand", "startCommand", &o.start_command),
            (
                "preDeployCommand",
                "preDeployCommand",
                &o.pre_deploy_command,
            ),
            ("dockerCommand", "dockerCommand", &o.docker_command),
            ("repo", "repo", &o.repo),
            ("image", "image", &o.image),
        ] {
            let Some(v) = value else { continue };
            if let Some(why) = classifier.classify_text(name, v) {
                p.at(
                    &format!("{path}.{field}"),
                    format!("this command looks like it holds a secret ({why}); it would be committed in render.yaml"),
                    Some(HOW_TO_MOVE.to_string()),
                );
            }
        }
        for (i, r) in o.routes.iter().flatten().enumerate() {
            for (field, value) in [("destination", &r.destination), ("source", &r.source)] {
                if let Some(why) = classifier.classify_text("route", value) {
                    p.at(
                        &format!("{path}.routes[{i}].{field}"),
                        format!("this route looks like it holds a secret ({why}); it would be committed in render.yaml"),
                        Some("keep credentials out of redirect and rewrite targets".to_string()),
                    );
                }
            }
        }
        for (i, h) in o.headers.iter().flatten().enumerate() {
            if let Some(why) = classifier.classify_text(&h.name, &h.value) {
                p.at(
                    &format!("{path}.headers[{i}].value"),
                    format!("this header value looks like a secret ({why}); it would be committed in render.yaml"),
                    Some("headers cannot be `sync: false`: send it from the server, with the value in an env var".to_string()),
                );
            }
        }
    }
}
