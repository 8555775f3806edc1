//! Production identities: every name, id, host, private address, custom domain and
//! secret fingerprint of the production workspace, indexed once so that any text can be
//! searched for all of them in one pass (an Aho-Corasick automaton, case-insensitive,
//! after percent-decoding, at token boundaries). The overlay stage uses it to keep values
//! that point at production out of staging by default; validation uses it to refuse a
//! Blueprint that could touch production.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::{ResourceKind, Snapshot};

/// A production resource, by kind and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ProdRef {
    pub(crate) kind: ResourceKind,
    pub(crate) name: String,
}

impl ProdRef {
    pub(crate) fn describe(&self) -> String {
        format!("production {} `{}`", self.kind.as_str(), self.name)
    }
}

/// How a production identity must sit in a value to count as a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A generated id (`dpg-…`, `red-…`, `srv-…`): not inside a longer alphanumeric run.
    Id,
    /// A DNS name: not inside a longer host name.
    Host,
    /// A bare private host name (a slug): only as a whole host.
    Slug,
}

pub(crate) struct Needle {
    pub(crate) shape: Shape,
    /// `custom domain`, `host`, `id`, `private host`.
    pub(crate) what: &'static str,
    pub(crate) text: String,
    pub(crate) owner: ProdRef,
}

/// Production identities, indexed once.
pub(crate) struct Production {
    pub(crate) names: HashMap<String, ProdRef>,
    pub(crate) environments: HashSet<(String, String)>,
    pub(crate) domains: HashMap<String, ProdRef>,
    pub(crate) needles: Vec<Needle>,
    /// Needles already added (one per identity and resource).
    seen: HashSet<(String, ProdRef)>,
    matcher: Option<AhoCorasick>,
    /// Secret fingerprint → (holder, env var key or secret file name).
    pub(crate) fingerprints: HashMap<String, (ProdRef, String)>,
}

impl Production {
    pub(crate) fn new(s: &Snapshot) -> Production {
        let mut p = Production {
            names: HashMap::new(),
            environments: HashSet::new(),
            domains: HashMap::new(),
            needles: Vec::new(),
            seen: HashSet::new(),
            matcher: None,
            fingerprints: HashMap::new(),
        };
        for svc in &s.services {
            let owner = p.resource(ResourceKind::Service, &svc.name, &svc.id);
            if let Some(slug) = &svc.slug {
                p.needle(Shape::Slug, "private host", slug, &owner);
            }
            p.network(&svc.network, &svc.id, &owner);
            for d in &svc.domains {
                p.domains
                    .insert(d.trim_end_matches('.').to_ascii_lowercase(), owner.clone());
                p.needle(Shape::Host, "custom domain", d, &owner);
            }
            p.secrets(&svc.env_vars, &svc.secret_files, &owner);
        }
        for db in &s.databases {
            let owner = p.resource(ResourceKind::Database, &db.name, &db.id);
            for r in &db.read_replicas {
                p.resource(ResourceKind::Database, &r.name, &r.id);
            }
            p.network(&db.network, &db.id, &owner);
        }
        for kv in &s.key_values {
            let owner = p.resource(ResourceKind::KeyValue, &kv.name, &kv.id);
            p.network(&kv.network, &kv.id, &owner);
        }
        for g in &s.env_groups {
            let owner = p.resource(ResourceKind::EnvGroup, &g.name, &g.id);
            p.secrets(&g.env_vars, &g.secret_files, &owner);
        }
        for proj in &s.projects {
            for e in &proj.environments {
                p.environments
                    .insert((proj.name.to_ascii_lowercase(), e.name.to_ascii_lowercase()));
            }
        }
        if !p.needles.is_empty() {
            p.matcher = Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(p.needles.iter().map(|n| n.text.as_bytes()))
                    .expect("production identities form a valid automaton"),
            );
        }
        p
    }

    /// Register a resource by name and id.
    fn resource(&mut self, kind: ResourceKind, name: &str, id: &str) -> ProdRef {
        let owner = ProdRef {
            kind,
            name: name.to_string(),
        };
        self.names.insert(name.to_ascii_lowercase(), owner.clone());
        self.needle(Shape::Id, "id", id, &owner);
        owner
    }

    fn needle(&mut self, shape: Shape, what: &'static str, text: &str, owner: &ProdRef) {
        let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
        // Too short to be resource-specific (and an empty needle matches everywhere).
        if text.len() < 4 || !self.seen.insert((text.clone(), owner.clone())) {
            return;
        }
        self.needles.push(Needle {
            shape,
            what,
            text,
            owner: owner.clone(),
        });
    }

    /// Host names and the public URL's host; a dotless host other than the id is a slug.
    fn network(&mut self, n: &super::Network, id: &str, owner: &ProdRef) {
        for h in &n.hosts {
            if h.eq_ignore_ascii_case(id) {
                continue;
            } else if h.contains('.') {
                self.needle(Shape::Host, "host", h, owner);
            } else {
                self.needle(Shape::Slug, "private host", h, owner);
            }
        }
        if let Some(h) = n.url.as_deref().and_then(super::convert::url_host) {
            self.needle(Shape::Host, "host", &h, owner);
        }
    }

    /// Fingerprints of the resource's secret env vars and secret files.
    fn secrets(&mut self, vars: &[super::EnvVar], files: &[super::SecretFile], owner: &ProdRef) {
        let vars = vars
            .iter()
            .filter_map(|v| Some((v.secret.as_ref()?.fingerprint.as_ref()?, v.key.clone())));
        let files = files
            .iter()
            .filter_map(|f| Some((f.fingerprint.as_ref()?, format!("secret file {}", f.name))));
        for (fp, what) in vars.chain(files) {
            self.fingerprints
                .entry(fp.clone())
                .or_insert((owner.clone(), what));
        }
    }

    /// The allowance target names something in production.
    pub(crate) fn knows(&self, target: &str) -> bool {
        let t = target.trim().to_ascii_lowercase();
        self.names.contains_key(&t)
            || self.domains.contains_key(&t)
            || self.needles.iter().any(|n| n.text == t)
    }

    /// Production identities in `text`.
    pub(crate) fn matches(&self, text: &str) -> Vec<Hit> {
        let Some(ac) = &self.matcher else {
            return Vec::new();
        };
        let mut found: Vec<Hit> = Vec::new();
        let mut decoded: Option<String> = None;
        for round in 0..4 {
            let hay = decoded.as_deref().unwrap_or(text);
            let bytes = hay.as_bytes();
            for m in ac.find_overlapping_iter(bytes) {
                let i = m.pattern().as_usize();
                if accept(bytes, m.start(), m.end(), self.needles[i].shape) {
                    let case = &bytes[m.start()..m.end()] != self.needles[i].text.as_bytes();
                    match found.iter_mut().find(|h| h.needle == i) {
                        Some(h) => h.case &= case,
                        None => found.push(Hit {
                            needle: i,
                            decoded: round > 0,
                            case,
                        }),
                    }
                }
            }
            match percent_decode(hay) {
                Some(next) => decoded = Some(next),
                None => break,
            }
        }
        found
    }
}

/// A production identity found in a value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    /// Index into [`Production::needles`].
    pub(crate) needle: usize,
    /// Found only after percent-decoding.
    pub(crate) decoded: bool,
    /// Written in a different letter case (everywhere it was found).
    pub(crate) case: bool,
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// Whether a match of a needle with this shape at `start..end` stands on its own.
fn accept(hay: &[u8], start: usize, end: usize, shape: Shape) -> bool {
    let before = start.checked_sub(1).map(|i| hay[i]);
    let after = hay.get(end).copied();
    match shape {
        Shape::Id => {
            !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !after.is_some_and(|b| b.is_ascii_alphanumeric())
        }
        Shape::Host | Shape::Slug => {
            let left_ok = !before.is_some_and(is_host_byte);
            // A trailing dot ends a sentence or an absolute name; a dot and more labels make
            // a different host.
            let right_ok = match after {
                None => true,
                Some(b'.') => !hay.get(end + 1).is_some_and(|b| b.is_ascii_alphanumeric()),
                Some(b) => !(b.is_ascii_alphanumeric() || b == b'-'),
            };
            if !(left_ok && right_ok) {
                return false;
            }
            if shape == Shape::Host {
                return true;
            }
            let whole = start == 0 && end == hay.len();
            let after_scheme = hay[..start].ends_with(b"://") || before == Some(b'@');
            let with_port = after == Some(b':') && hay.get(end + 1).is_some_and(u8::is_ascii_digit);
            whole || after_scheme || with_port
        }
    }
}

/// Decode `%XX` escapes; `None` when there are none to decode.
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return None;
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                changed = true;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(hay: &str, needle: &str, shape: Shape) -> bool {
        let lower = hay.to_ascii_lowercase();
        let Some(start) = lower.find(needle) else {
            return false;
        };
        accept(hay.as_bytes(), start, start + needle.len(), shape)
    }

    #[test]
    fn host_boundaries() {
        let h = "api.example.com";
        assert!(m("https://api.example.com/v1", h, Shape::Host));
        assert!(m("API.EXAMPLE.COM", h, Shape::Host));
        assert!(m("see api.example.com.", h, Shape::Host));
        assert!(m("a,api.example.com;b", h, Shape::Host));
        assert!(!m("https://staging-api.example.com", h, Shape::Host));
        assert!(!m("https://x.api.example.com", h, Shape::Host));
        assert!(!m("https://api.example.com.evil.net", h, Shape::Host));
        assert!(!m("https://api.example.community", h, Shape::Host));
    }

    #[test]
    fn slugs_count_only_as_whole_hosts() {
        let s = "billing-api";
        assert!(m("billing-api", s, Shape::Slug));
        assert!(m("http://billing-api:10000/x", s, Shape::Slug));
        assert!(m("billing-api:8080", s, Shape::Slug));
        assert!(m("user@billing-api", s, Shape::Slug));
        assert!(!m("the billing-api service", s, Shape::Slug));
        assert!(!m("billing-api-staging:8080", s, Shape::Slug));
        assert!(!m("node billing-api.js", s, Shape::Slug));
    }

    #[test]
    fn ids_are_not_parts_of_longer_tokens() {
        let id = "dpg-abc123-a";
        assert!(m(
            "postgres://u@dpg-abc123-a.oregon-postgres.render.com/db",
            id,
            Shape::Id
        ));
        assert!(m("?host=dpg-abc123-a&x", id, Shape::Id));
        assert!(!m("dpg-abc123-ab", id, Shape::Id));
        assert!(!m("xdpg-abc123-a", id, Shape::Id));
    }

    #[test]
    fn percent_decoding_handles_repeats_and_junk() {
        assert_eq!(percent_decode("a%3Ab").as_deref(), Some("a:b"));
        assert_eq!(percent_decode("%252F").as_deref(), Some("%2F"));
        assert_eq!(percent_decode("100%"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }
}
