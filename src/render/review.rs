//! What a reviewer must decide that no rule decided: production values carried unchanged
//! that reach outside Render (an integration staging would share with production) or
//! that say they are production (`APP_ENV=prod`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::overlay::{Disposition, EnvRecord, Staging};
use crate::secrets::names_production;

/// Hosts that are Render's own: carrying them is the isolation check's business.
const RENDER_SUFFIXES: &[&str] = &["onrender.com", "render.com"];

/// Key words that say a bare value (without `scheme://`) is a host.
const HOST_KEY_WORDS: &[&str] = &[
    "HOST", "HOSTS", "HOSTNAME", "DOMAIN", "DOMAINS", "SERVER", "SERVERS", "ENDPOINT", "ADDR",
    "ADDRESS", "URL", "URLS", "URI", "ORIGIN", "ORIGINS", "BROKER", "DSN",
];

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// Carried values that point outside Render and outside staging's own domains, one
    /// group per integration (registrable domain).
    pub external_endpoints: Vec<EndpointGroup>,
    /// Carried values that name production; each counts as undecided.
    pub production_named: Vec<ReviewRow>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointGroup {
    /// `example.com`: the integration.
    pub domain: String,
    pub hosts: Vec<String>,
    pub uses: Vec<ReviewRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewRow {
    /// `service` or `envGroup`.
    pub kind: &'static str,
    /// The staging service or env group.
    pub owner: String,
    pub key: String,
    /// The host (endpoints) or the value (production names; never a secret: only
    /// carried values are listed).
    pub value: String,
}

/// A carried production value no rule decided.
fn carried(r: &EnvRecord) -> Option<&str> {
    (r.disposition == Disposition::Carried
        && !r.secret
        && !r.cause.as_ref().is_some_and(|c| c.is_rule()))
    .then_some(r.production_value.as_deref())
    .flatten()
}

/// A carried value that says it is production and that no rule decided: undecided, for
/// coverage and `--strict=all`.
pub fn names_production_undecided(r: &EnvRecord) -> bool {
    carried(r).is_some_and(|v| names_production(&r.key, v))
}

pub fn review(staging: &Staging) -> Review {
    let staging_domains: Vec<String> = staging
        .services
        .iter()
        .flat_map(|s| s.service.domains.iter())
        .map(|d| d.trim_start_matches("*.").to_ascii_lowercase())
        .collect();
    let mut groups: BTreeMap<String, EndpointGroup> = BTreeMap::new();
    let mut production_named = Vec::new();
    for r in &staging.env_records {
        let Some(value) = carried(r) else { continue };
        let row = |value: String| ReviewRow {
            kind: r.owner_kind,
            owner: r
                .staging_owner
                .clone()
                .unwrap_or_else(|| r.production_owner.clone()),
            key: r.key.clone(),
            value,
        };
        if names_production(&r.key, value) {
            production_named.push(row(value.trim().to_string()));
        }
        for host in external_hosts(&r.key, value) {
            let under =
                |s: &str| host == s || host.strip_suffix(s).is_some_and(|h| h.ends_with('.'));
            if RENDER_SUFFIXES.iter().any(|s| under(s)) || staging_domains.iter().any(|s| under(s))
            {
                continue;
            }
            let domain = registrable(&host);
            let g = groups
                .entry(domain.clone())
                .or_insert_with(|| EndpointGroup {
                    domain,
                    hosts: Vec::new(),
                    uses: Vec::new(),
                });
            if !g.hosts.contains(&host) {
                g.hosts.push(host.clone());
            }
            let use_row = row(host);
            if !g.uses.contains(&use_row) {
                g.uses.push(use_row);
            }
        }
    }
    let mut external_endpoints: Vec<EndpointGroup> = groups.into_values().collect();
    for g in &mut external_endpoints {
        g.hosts.sort();
        g.uses.sort();
    }
    production_named.sort();
    Review {
        external_endpoints,
        production_named,
    }
}

/// Hosts named in a value: the host of every `scheme://…`, and bare hostnames when the
/// key says the value is one (`SFTP_HOST`, `ALLOWED_ORIGINS`). Internal names without a
/// dot, IP addresses and e-mail addresses are not endpoints.
fn external_hosts(key: &str, value: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | ',' | ';' | '"' | '\'')
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        let host = authority.rsplit('@').next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("");
        push_host(&mut hosts, host);
        rest = &after[end..];
    }
    let upper = key.to_ascii_uppercase();
    let hinted = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| HOST_KEY_WORDS.contains(&w));
    if hinted && !value.contains("://") {
        for token in value.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';')) {
            if token.contains('@') {
                continue;
            }
            let host = token.split(['/', ':']).next().unwrap_or("");
            push_host(&mut hosts, host.trim_start_matches("*."));
        }
    }
    hosts
}

fn push_host(hosts: &mut Vec<String>, host: &str) {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let is_name = labels.len() >= 2
        && labels
            .last()
            .is_some_and(|t| t.len() >= 2 && t.bytes().all(|c| c.is_ascii_alphabetic()))
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));
    if is_name && !hosts.contains(&host) {
        hosts.push(host);
    }
}

/// The last two labels (three when the second-level label is a short public suffix such
/// as `co.uk`): one integration per registrable domain.
fn registrable(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let take = if n >= 3
        && labels[n - 1].len() == 2
        && matches!(
            labels[n - 2],
            "co" | "com" | "org" | "net" | "ac" | "gov" | "edu"
        ) {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_in_values() {
        assert_eq!(
            external_hosts("X", "https://user@hooks.example.com:8443/a?b=c"),
            vec!["hooks.example.com"]
        );
        assert_eq!(
            external_hosts("CORS_ORIGINS", "https://a.example,https://b.example/x"),
            vec!["a.example", "b.example"]
        );
        assert_eq!(
            external_hosts("SFTP_HOST", "sftp.partner.example:22"),
            vec!["sftp.partner.example"]
        );
        // Module paths and e-mail addresses are not hosts; internal names have no dot.
        assert!(external_hosts("DJANGO_SETTINGS_MODULE", "config.settings.production").is_empty());
        assert!(external_hosts("SUPPORT_EMAIL", "ops@example.com").is_empty());
        assert!(external_hosts("DISPATCH_HOST", "harbor-dispatch").is_empty());
        assert!(external_hosts("DISPATCH_URL", "http://harbor-dispatch:8080/v1").is_empty());
        assert!(external_hosts("PRIVATE_HOST", "10.0.0.5").is_empty());
    }

    #[test]
    fn one_group_per_registrable_domain() {
        assert_eq!(registrable("o1.ingest.us.sentry.io"), "sentry.io");
        assert_eq!(registrable("api.partner.co.uk"), "partner.co.uk");
        assert_eq!(registrable("example.com"), "example.com");
    }
}
