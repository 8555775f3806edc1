//! Production identities: every name, id, host, private address, custom domain and
//! secret fingerprint of the production workspace, indexed once so that any text can be
//! searched for all of them in one pass (an Aho-Corasick automaton, case-insensitive, at
//! token boundaries). Resources the snapshot lists but does not copy (`skipped`) count
//! too. A value is searched as written and then once per decoding layer until nothing
//! changes (at most [`MAX_ROUNDS`]): percent-encoding, JSON and backslash escapes, HTML
//! character references, and the UTS-46 mapping that IDNA applies to host names
//! (full-width forms, ideographic full stops, ignorable code points, compatibility forms). The overlay stage uses it to keep values
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
    /// A wildcard custom domain `*.example.com`, indexed as `.example.com`: a host of
    /// exactly one more label (`api.example.com`, not `api.staging.example.com`).
    Wildcard,
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
        for k in &s.skipped {
            let kind = k.kind.unwrap_or_else(|| kind_of_id(&k.id));
            let owner = p.resource(kind, &k.name, &k.id);
            for r in &k.read_replicas {
                p.resource(ResourceKind::Database, &r.name, &r.id);
            }
            if let Some(slug) = &k.slug {
                p.needle(Shape::Slug, "private host", slug, &owner);
            }
            p.network(&k.network, &k.id, &owner);
            for d in &k.domains {
                p.domain(d, &owner);
            }
        }
        for svc in &s.services {
            let owner = p.resource(ResourceKind::Service, &svc.name, &svc.id);
            if let Some(slug) = &svc.slug {
                p.needle(Shape::Slug, "private host", slug, &owner);
            }
            p.network(&svc.network, &svc.id, &owner);
            for d in &svc.domains {
                p.domain(d, &owner);
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

    /// A custom domain: exact (`api.example.com`) or wildcard (`*.example.com`), in
    /// every spelling a value could use (as stored, ASCII `xn--` form, Unicode form).
    fn domain(&mut self, d: &str, owner: &ProdRef) {
        let d = d.trim().trim_end_matches('.');
        self.domains.insert(d.to_lowercase(), owner.clone());
        for form in spellings(d) {
            match form.strip_prefix("*.") {
                Some(parent) => self.needle(
                    Shape::Wildcard,
                    "wildcard custom domain",
                    &format!(".{parent}"),
                    owner,
                ),
                None => self.needle(Shape::Host, "custom domain", &form, owner),
            }
        }
    }

    fn needle(&mut self, shape: Shape, what: &'static str, text: &str, owner: &ProdRef) {
        let text = text.trim().trim_end_matches('.').to_lowercase();
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
                for form in spellings(h) {
                    self.needle(Shape::Host, "host", &form, owner);
                }
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
        let t = target.trim().to_lowercase();
        self.names.contains_key(&t)
            || self.domains.contains_key(&t)
            || self.needles.iter().any(|n| n.text == t)
    }

    /// The production resource whose wildcard custom domain covers `host`, if any.
    pub(crate) fn wildcard_owner(&self, host: &str) -> Option<&ProdRef> {
        let host = host.trim().trim_end_matches('.').to_lowercase();
        let (_, parent) = host.split_once('.')?;
        self.domains.get(&format!("*.{parent}"))
    }

    /// The production resource with a custom domain that the wildcard `domain`
    /// (`*.example.com`) would cover: one label under its parent.
    pub(crate) fn covered_by_wildcard(&self, domain: &str) -> Option<&ProdRef> {
        let parent = domain.trim().trim_end_matches('.').to_lowercase();
        let parent = parent.strip_prefix("*.")?;
        self.domains
            .iter()
            .filter(|(d, _)| !d.starts_with("*."))
            .filter(|(d, _)| d.split_once('.').is_some_and(|(_, p)| p == parent))
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, owner)| owner)
    }

    /// Production identities in `text`: as written, then after each decoding round.
    pub(crate) fn matches(&self, text: &str) -> Vec<Hit> {
        let Some(ac) = &self.matcher else {
            return Vec::new();
        };
        let mut found: Vec<Hit> = Vec::new();
        let mut decoded: Option<String> = None;
        let mut layers = Layers::default();
        for _ in 0..=MAX_ROUNDS {
            let hay = decoded.as_deref().unwrap_or(text);
            let bytes = hay.as_bytes();
            for m in ac.find_overlapping_iter(bytes) {
                let i = m.pattern().as_usize();
                let shape = self.needles[i].shape;
                if !accept(bytes, m.start(), m.end(), shape) {
                    continue;
                }
                let host = (shape == Shape::Wildcard)
                    .then(|| hay[label_start(bytes, m.start())..m.end()].to_lowercase());
                let case = &bytes[m.start()..m.end()] != self.needles[i].text.as_bytes();
                match found.iter_mut().find(|h| h.needle == i && h.host == host) {
                    Some(h) => h.case &= case,
                    None => found.push(Hit {
                        needle: i,
                        layers,
                        case,
                        host,
                    }),
                }
            }
            match decode_once(hay, &mut layers) {
                Some(next) => decoded = Some(next),
                None => break,
            }
        }
        found
    }
}

/// How many decoding rounds a value gets at most: nesting deeper than this is not a
/// spelling anyone writes by accident.
pub(crate) const MAX_ROUNDS: usize = 16;

/// The decoding layers a value went through before a match was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Layers {
    pub(crate) percent: bool,
    pub(crate) escape: bool,
    pub(crate) entity: bool,
    pub(crate) unicode: bool,
}

impl Layers {
    /// `percent-encoded, escaped`: for messages.
    pub(crate) fn describe(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.percent {
            out.push("percent-encoded");
        }
        if self.escape {
            out.push("escaped");
        }
        if self.entity {
            out.push("as HTML character references");
        }
        if self.unicode {
            out.push("in look-alike Unicode characters");
        }
        out
    }
}

/// A resource kind from a Render id prefix, for snapshots that did not record it.
fn kind_of_id(id: &str) -> ResourceKind {
    match id.split('-').next().unwrap_or("") {
        "dpg" => ResourceKind::Database,
        "red" => ResourceKind::KeyValue,
        "evg" => ResourceKind::EnvGroup,
        _ => ResourceKind::Service,
    }
}

/// A host name as stored, in IDNA ASCII (`xn--…`) form and in Unicode form.
fn spellings(host: &str) -> Vec<String> {
    let mut out = vec![host.to_lowercase()];
    if let Ok(ascii) = idna::domain_to_ascii(host) {
        out.push(ascii);
    }
    let (unicode, _) = idna::domain_to_unicode(host);
    out.push(unicode);
    out.sort();
    out.dedup();
    out
}

/// A production identity found in a value.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// Index into [`Production::needles`].
    pub(crate) needle: usize,
    /// Which decodings were applied before it was found.
    pub(crate) layers: Layers,
    /// Written in a different letter case (everywhere it was found).
    pub(crate) case: bool,
    /// For a wildcard custom domain: the host it covers (`api.example.com`).
    pub(crate) host: Option<String>,
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*'
}

/// Start of the one label in front of a wildcard match at `start` (the match begins
/// with its dot).
fn label_start(hay: &[u8], start: usize) -> usize {
    let mut i = start;
    while i > 0 && is_label_byte(hay[i - 1]) {
        i -= 1;
    }
    i
}

/// Whether a match of a needle with this shape at `start..end` stands on its own.
pub(crate) fn accept(hay: &[u8], start: usize, end: usize, shape: Shape) -> bool {
    let before = start.checked_sub(1).map(|i| hay[i]);
    let after = hay.get(end).copied();
    // A trailing dot ends a sentence or an absolute name; a dot and more labels make a
    // different host.
    let right_ok = match after {
        None => true,
        Some(b'.') => !hay.get(end + 1).is_some_and(|b| b.is_ascii_alphanumeric()),
        Some(b) => !(b.is_ascii_alphanumeric() || b == b'-'),
    };
    match shape {
        Shape::Id => {
            !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !after.is_some_and(|b| b.is_ascii_alphanumeric())
        }
        Shape::Host => right_ok && !before.is_some_and(is_host_byte),
        Shape::Wildcard => {
            // Exactly one label in front: `api.example.com`, or `*.example.com` itself.
            let label = label_start(hay, start);
            right_ok
                && label < start
                && !label
                    .checked_sub(1)
                    .is_some_and(|i| is_host_byte(hay[i]) || hay[i] == b'_')
        }
        Shape::Slug => {
            right_ok && !before.is_some_and(is_host_byte) && slug_context(hay, start, end)
        }
    }
}

/// A slug is a common word (`api`, `billing`), so it counts only where a host stands:
/// the whole value (quotes and whitespace aside), after `//` or `@`, before `:port`, as
/// an element of a comma-separated list, or as the value of a host key (`host=…` in a
/// libpq string, `"host": "…"` in JSON, `PGHOST=…`).
fn slug_context(hay: &[u8], start: usize, end: usize) -> bool {
    let quote_or_space = |b: &u8| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'';
    let pre = trim_end(&hay[..start], quote_or_space);
    let post = trim_start(&hay[end..], quote_or_space);
    if pre.is_empty() && post.is_empty() {
        return true;
    }
    let with_port = post.first() == Some(&b':') && post.get(1).is_some_and(u8::is_ascii_digit);
    if with_port || pre.ends_with(b"//") || pre.ends_with(b"@") {
        return true;
    }
    // An element of a list of names (`a-api,b-api`), not a clause of a sentence
    // (`notes for billing-api, v2`): every element is one word.
    if (pre.ends_with(b",") || post.first() == Some(&b','))
        && hay.split(|b| *b == b',').all(|part| {
            !trim_start(trim_end(part, quote_or_space), quote_or_space)
                .iter()
                .any(u8::is_ascii_whitespace)
        })
    {
        return true;
    }
    // A quoted element of a list (`["billing-api"]`, TOML `hosts = ['billing-api']`).
    let quote = |i: Option<usize>| {
        i.and_then(|i| hay.get(i))
            .filter(|b| matches!(b, b'"' | b'\''))
    };
    if let (Some(q1), Some(q2)) = (quote(start.checked_sub(1)), quote(Some(end)))
        && q1 == q2
        && matches!(pre.last(), Some(b'[' | b','))
    {
        return true;
    }
    // A YAML list item on a line of its own (`  - billing-api`).
    let line = &hay[hay[..start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1)..start];
    let rest_of_line = &hay[end..hay[end..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(hay.len(), |i| end + i)];
    if trim_start(line, u8::is_ascii_whitespace) == b"- "
        && trim_start(rest_of_line, u8::is_ascii_whitespace).is_empty()
    {
        return true;
    }
    match pre.last() {
        Some(b'=' | b':') => {
            let key = trim_end(&pre[..pre.len() - 1], quote_or_space);
            let word_start = key
                .iter()
                .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
                .map_or(0, |i| i + 1);
            let word = key[word_start..].to_ascii_lowercase();
            [
                "host",
                "hostname",
                "hostaddr",
                "hosts",
                "server",
                "address",
                "addr",
                "url",
                "uri",
                "endpoint",
                "upstream",
                "upstreams",
                "backend",
                "origin",
                "peer",
                "peers",
            ]
            .iter()
            .any(|k| word.ends_with(k.as_bytes()))
        }
        _ => false,
    }
}

fn trim_end(b: &[u8], f: impl Fn(&u8) -> bool) -> &[u8] {
    let n = b.iter().rposition(|c| !f(c)).map_or(0, |i| i + 1);
    &b[..n]
}

fn trim_start(b: &[u8], f: impl Fn(&u8) -> bool) -> &[u8] {
    let n = b.iter().position(|c| !f(c)).unwrap_or(b.len());
    &b[n..]
}

/// One decoding round over every layer a value may hide a host behind; `None` when the
/// value does not change. The layers, in order: `%XX` escapes; JSON and backslash escapes
/// (`\u002e`, `\x2e`, `\/`, `\.`, `\n`); HTML character references (`&#46;`, `&#x2e;`,
/// `&period;`, `&amp;`); then, for non-ASCII text, the UTS-46 mapping (which also folds
/// letter case).
fn decode_once(s: &str, layers: &mut Layers) -> Option<String> {
    let mut cur: Option<String> = None;
    if let Some(next) = percent_decode(cur.as_deref().unwrap_or(s)) {
        layers.percent = true;
        cur = Some(next);
    }
    if let Some(next) = unescape(cur.as_deref().unwrap_or(s)) {
        layers.escape = true;
        cur = Some(next);
    }
    if let Some(next) = html_decode(cur.as_deref().unwrap_or(s)) {
        layers.entity = true;
        cur = Some(next);
    }
    if let Some(next) = uts46_map(cur.as_deref().unwrap_or(s)) {
        layers.unicode = true;
        cur = Some(next);
    }
    cur.filter(|c| c != s)
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
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            changed = true;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Decode backslash escapes: JSON (`\uXXXX`, `\/`, `\n`…), `\xXX`, and a backslash in
/// front of any ASCII punctuation (`api\.example\.com` in a regular expression or a
/// shell word). `None` when there are none.
fn unescape(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut i = 0;
    let hex_at = |from: usize, n: usize| -> Option<u32> {
        let digits: String = chars.get(from..from + n)?.iter().collect();
        if digits.len() != n || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(&digits, 16).ok()
    };
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let next = chars[i + 1];
            let decoded: Option<(char, usize)> = match next {
                'u' => hex_at(i + 2, 4).and_then(char::from_u32).map(|c| (c, 6)),
                'x' => hex_at(i + 2, 2).and_then(char::from_u32).map(|c| (c, 4)),
                'n' => Some(('\n', 2)),
                't' => Some(('\t', 2)),
                'r' => Some(('\r', 2)),
                'b' | 'f' => Some((' ', 2)),
                c if c.is_ascii_punctuation() => Some((c, 2)),
                _ => None,
            };
            if let Some((c, n)) = decoded {
                out.push(c);
                i += n;
                changed = true;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    changed.then_some(out)
}

/// Decode HTML character references: numeric (`&#46;`, `&#x2E;`) and the named ones that
/// spell URL punctuation. `None` when there are none.
fn html_decode(s: &str) -> Option<String> {
    if !s.contains('&') {
        return None;
    }
    const NAMED: &[(&str, char)] = &[
        ("period", '.'),
        ("sol", '/'),
        ("colon", ':'),
        ("commat", '@'),
        ("amp", '&'),
        ("quot", '"'),
        ("apos", '\''),
        ("lt", '<'),
        ("gt", '>'),
        ("hyphen", '-'),
        ("dash", '-'),
        ("num", '#'),
        ("percnt", '%'),
        ("quest", '?'),
        ("equals", '='),
        ("comma", ','),
        ("bsol", '\\'),
        ("nbsp", ' '),
    ];
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let body_len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(tail.len());
        let body = &tail[..body_len];
        let decoded = if let Some(num) = body.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(h) => u32::from_str_radix(h, 16).ok(),
                None => num.parse().ok(),
            };
            n.and_then(char::from_u32)
        } else {
            NAMED
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(body))
                .map(|(_, c)| *c)
        };
        match decoded {
            Some(c) => {
                out.push(c);
                changed = true;
                let used = body_len + usize::from(tail[body_len..].starts_with(';'));
                rest = &tail[used..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The UTS-46 mapping step of IDNA (what browsers and resolvers do to a host name before
/// looking it up): full-width and compatibility forms to their plain letters, the
/// ideographic full stops to `.`, default-ignorable code points (soft hyphen, zero-width
/// characters, variation selectors) removed, letters to lower case. `None` for ASCII text,
/// which the automaton already matches case-insensitively.
fn uts46_map(s: &str) -> Option<String> {
    if s.is_ascii() {
        return None;
    }
    let mapper = icu_normalizer::uts46::Uts46MapperBorrowed::new();
    let mut out = String::with_capacity(s.len());
    // Ideographic and full-width full stops are label separators in UTS-46 (they are
    // mapped by the processing step, before the table).
    let dots = s.chars().map(|c| {
        if matches!(c, '\u{3002}' | '\u{ff0e}' | '\u{ff61}') {
            '.'
        } else {
            c
        }
    });
    // UTS-46 keeps the joiners (ZWJ, ZWNJ) that some scripts need; no host here does, and
    // every other default-ignorable code point is invisible too.
    let ignorable =
        icu_properties::CodePointSetData::new::<icu_properties::props::DefaultIgnorableCodePoint>();
    out.extend(
        mapper
            .map_normalize(dots)
            .filter(|c| !ignorable.contains(*c)),
    );
    (out != s).then_some(out)
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
        assert!(m("[\"billing-api\"]", s, Shape::Slug));
        assert!(m("{\"upstream\": \"billing-api\"}", s, Shape::Slug));
        assert!(!m("{\"name\": \"billing-api\"}", s, Shape::Slug));
        assert!(m("hosts = ['billing-api']", s, Shape::Slug));
        assert!(m("hosts:\n  - billing-api\n", s, Shape::Slug));
        assert!(m("billing-api,worker-api", s, Shape::Slug));
        assert!(!m("release notes for billing-api, v2", s, Shape::Slug));
        assert!(!m(
            "Talks to billing-api, the queue, and the rest",
            s,
            Shape::Slug
        ));
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

    const SNAPSHOT: &str = "version: 1
workspace: {id: tea-x}
services:
  - id: srv-d05lq8uuk2gs73c9ohe0
    name: billing-api
    slug: billing-api
    kind: pserv
    runtime: node
    autoDeployTrigger: commit
    network: {hosts: [billing-api], ports: [10000]}
  - id: srv-d05lqa6uk2gs73c9ohn0
    name: web
    kind: web
    runtime: node
    autoDeployTrigger: commit
    network: {url: 'https://web-x1.onrender.com', hosts: [web-x1.onrender.com]}
    domains: [app.example.com, '*.shop.example.org', 'bücher.example.net']
skipped:
  - id: srv-excluded0000000000
    name: legacy-admin
    reason: excluded by production.exclude `legacy-*`
    kind: service
    slug: legacy-admin
    network: {url: 'https://legacy-admin.onrender.com', hosts: [legacy-admin.onrender.com]}
    domains: [admin.example.com, '*.tenants.example.com']
  - id: dpg-old0000000000000000-a
    name: old-db
    reason: not matched by production.include
";

    fn prod() -> Production {
        let s = Snapshot::from_yaml(SNAPSHOT, std::path::Path::new("s.yaml")).unwrap();
        Production::new(&s)
    }

    fn owners(p: &Production, value: &str) -> Vec<String> {
        let mut o: Vec<String> = p
            .matches(value)
            .iter()
            .map(|h| p.needles[h.needle].owner.name.clone())
            .collect();
        o.sort();
        o.dedup();
        o
    }

    #[track_caller]
    fn table(rows: &[(&str, Option<&str>)]) {
        let p = prod();
        let mut wrong = Vec::new();
        for (value, owner) in rows {
            let got = owners(&p, value);
            let want: Vec<String> = owner.iter().map(|o| o.to_string()).collect();
            if got != want {
                wrong.push(format!("{value:?}: expected {want:?}, got {got:?}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn resources_that_are_not_copied_are_still_production() {
        let p = prod();
        assert_eq!(p.names["legacy-admin"].kind, ResourceKind::Service);
        assert_eq!(p.names["old-db"].kind, ResourceKind::Database);
        assert!(p.domains.contains_key("admin.example.com"));
        table(&[
            ("srv-excluded0000000000", Some("legacy-admin")),
            (
                "https://legacy-admin.onrender.com/api",
                Some("legacy-admin"),
            ),
            ("http://legacy-admin:8080", Some("legacy-admin")),
            ("https://admin.example.com/login", Some("legacy-admin")),
            (
                "postgres://u@dpg-old0000000000000000-a.oregon-postgres.render.com/db",
                Some("old-db"),
            ),
            ("acme.tenants.example.com", Some("legacy-admin")),
            ("the legacy-admin page", None),
        ]);
    }

    #[test]
    fn unicode_look_alikes_are_the_same_host() {
        table(&[
            // Full-width letters and full stop.
            ("https://ａｐｐ．ｅｘａｍｐｌｅ．ｃｏｍ/", Some("web")),
            // Ideographic and half-width ideographic full stops.
            ("app\u{3002}example\u{3002}com", Some("web")),
            ("app\u{ff61}example\u{ff61}com", Some("web")),
            // Default-ignorable code points inside the host.
            ("https://app.exam\u{ad}ple.com", Some("web")),
            ("https://app.exam\u{200b}ple.com", Some("web")),
            ("https://a\u{200d}pp.example.com", Some("web")),
            ("https://app.example.com\u{fe0f}/x", Some("web")),
            ("https://\u{2060}app.example\u{feff}.com", Some("web")),
            // Compatibility forms: circled letters, mathematical letters, ligatures.
            ("https://ⓐⓟⓟ.example.com", Some("web")),
            ("https://app.𝐞𝐱𝐚𝐦𝐩𝐥𝐞.com", Some("web")),
            ("https://web-x1.onrender.ｃｏｍ", Some("web")),
            // Upper-case full-width letters fold too.
            ("ＡＰＰ.EXAMPLE.COM", Some("web")),
            // An internationalised domain in either spelling.
            ("https://bücher.example.net/", Some("web")),
            ("https://xn--bcher-kva.example.net/", Some("web")),
            ("https://BÜCHER.example.net/", Some("web")),
            // Still a different host.
            ("https://ａｐｐ-staging．ｅｘａｍｐｌｅ．ｃｏｍ", None),
            ("https://api.staging.example.com", None),
        ]);
    }

    #[test]
    fn escape_layers_are_decoded() {
        table(&[
            (r#"{"url":"https:\/\/app.example.com\/x"}"#, Some("web")),
            (r"app\u002eexample\u002ecom", Some("web")),
            (r"\u0061pp.example.com", Some("web")),
            (r"\u0041PP.EXAMPLE.COM", Some("web")),
            (r"app\x2eexample\x2ecom", Some("web")),
            (r"^https://app\.example\.com/", Some("web")),
            (r"line\napp.example.com", Some("web")),
            ("app&#46;example&#46;com", Some("web")),
            ("app&#x2E;example&#x2e;com", Some("web")),
            ("app&period;example&period;com", Some("web")),
            (
                "https:&sol;&sol;billing-api&colon;10000",
                Some("billing-api"),
            ),
            // Layers inside layers.
            (r"app%5Cu002eexample.com", Some("web")),
            ("app&amp;#46;example.com", Some("web")),
            (r"srv\u002dd05lq8uuk2gs73c9ohe0", Some("billing-api")),
            // Escapes that spell nothing of production.
            (r"C:\\tmp\\app", None),
            ("a &amp; b &lt;c&gt;", None),
        ]);
    }

    #[test]
    fn percent_encoding_is_decoded_to_a_fixed_point() {
        let mut v = "app.example.com".to_string();
        for _ in 0..10 {
            v = v.replace('%', "%25").replace('.', "%2E");
        }
        table(&[(v.as_str(), Some("web"))]);
        // Far deeper than anyone writes by accident: bounded, and not a match.
        let mut deep = "app.example.com".to_string();
        for _ in 0..(MAX_ROUNDS + 4) {
            deep = deep.replace('%', "%25").replace('.', "%2E");
        }
        table(&[(deep.as_str(), None)]);
    }

    #[test]
    fn private_hosts_in_other_forms() {
        table(&[
            ("host=billing-api port=10000 dbname=x", Some("billing-api")),
            ("user=u host=billing-api", Some("billing-api")),
            ("hostaddr = 'billing-api' port=1", Some("billing-api")),
            (
                r#"{"host": "billing-api", "port": 10000}"#,
                Some("billing-api"),
            ),
            (r#"{"hostname":"billing-api"}"#, Some("billing-api")),
            ("PGHOST=billing-api", Some("billing-api")),
            ("cache-1,billing-api,cache-2", Some("billing-api")),
            ("billing-api, other", Some("billing-api")),
            ("cache-1:6379,billing-api:10000", Some("billing-api")),
            ("//billing-api/path", Some("billing-api")),
            ("  billing-api  ", Some("billing-api")),
            ("\"billing-api\"", Some("billing-api")),
            ("tcp://billing-api", Some("billing-api")),
            // A word, not a host.
            ("see billing-api docs", None),
            ("name=billing-api", None),
            ("billing-api-staging:10000", None),
            ("node billing-api.js", None),
            ("host=billing-api-staging", None),
        ]);
    }

    #[test]
    fn wildcard_domains_cover_one_label() {
        table(&[
            ("https://eu.shop.example.org/cart", Some("web")),
            ("EU.SHOP.EXAMPLE.ORG", Some("web")),
            ("*.shop.example.org", Some("web")),
            ("https://ｅｕ.shop.example.org", Some("web")),
            // Deeper staging subdomains, the apex and look-alike parents are not covered.
            ("https://eu.staging.shop.example.org", None),
            ("https://shop.example.org", None),
            ("https://eu.shop.example.org.evil.net", None),
            ("https://eu.myshop.example.org", None),
        ]);
        let p = prod();
        assert_eq!(
            p.wildcard_owner("eu.shop.example.org")
                .map(|o| o.name.as_str()),
            Some("web")
        );
        assert!(p.wildcard_owner("eu.staging.shop.example.org").is_none());
        assert!(p.wildcard_owner("shop.example.org").is_none());
    }

    #[test]
    fn decoding_layers_are_reported() {
        let p = prod();
        let hits = p.matches("app%2Eexample&#46;com");
        assert_eq!(hits.len(), 1);
        assert!(hits[0].layers.percent && hits[0].layers.entity);
        let hits = p.matches("app.example.com");
        assert_eq!(hits[0].layers, Layers::default());
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
