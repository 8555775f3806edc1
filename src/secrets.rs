//! Secret classification and keyed fingerprints.
//!
//! Classification happens once, at ingestion (when API values become domain values):
//! after it, a secret exists only as the name of the rule that classified it and an
//! optional HMAC-SHA256 fingerprint. Rules come from `stageprint.yaml` plus defaults:
//! key names, known token shapes, credentials inside URLs, and any value that has a long
//! opaque run of characters no harmless shape explains.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::pattern::Pattern;

/// The environment variable that holds the fingerprint key.
pub const FINGERPRINT_KEY_ENV: &str = "STAGEPRINT_FINGERPRINT_KEY";

/// Key-name patterns that mark a value secret by default (case-insensitive).
pub const DEFAULT_SECRET_KEYS: &[&str] = &[
    "*SECRET*",
    "*TOKEN*",
    "*_KEY",
    "*_KEYS",
    "KEY",
    "*APIKEY*",
    "*API_KEY*",
    "*PASSWORD*",
    "*PASSWD*",
    "*_PWD",
    "*PASSPHRASE*",
    "*DSN*",
    "*CREDENTIAL*",
    "*PRIVATE_KEY*",
    "*_SALT",
    "*SIGNING*",
    "*ENCRYPTION*",
    "*COOKIE_SECRET*",
];

/// Words of an `_`-separated key name that mark it secret (compared whole, so `AUTHOR`
/// and `AUTHORITY` are not `AUTH`). `KEY`/`KEYS` count only as the last word
/// (`GEOCODER_KEY`, not `KEY_PREFIX`).
const SECRET_KEY_WORDS: &[&str] = &[
    "PASS",
    "PWD",
    "AUTH",
    "AUTHORIZATION",
    "BEARER",
    "PRIVATE",
    "SALT",
    "PEPPER",
    "HMAC",
    "SIGNING",
    "SIGNATURE",
    "SIG",
    "WEBHOOK",
    "WEBHOOKS",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "JWT",
    "OTP",
    "SAS",
    "LICENSE",
    "SESSION",
];

/// Last words that make a key with one of the words above (but `WEBHOOK`: there the URL
/// is the secret) a setting rather than a credential (`AUTH_URL`, `PRIVATE_NETWORK_HOST`,
/// `SESSION_TTL`, `JWT_ISSUER`). The value is still checked for its shape.
const SETTING_WORDS: &[&str] = &[
    "URL",
    "URI",
    "URLS",
    "HOST",
    "HOSTS",
    "DOMAIN",
    "DOMAINS",
    "PORT",
    "ENABLED",
    "DISABLED",
    "ENABLE",
    "DISABLE",
    "MODE",
    "TYPE",
    "PROVIDER",
    "PROVIDERS",
    "METHOD",
    "METHODS",
    "ISSUER",
    "AUDIENCE",
    "REALM",
    "SCOPE",
    "SCOPES",
    "PATH",
    "ENDPOINT",
    "CALLBACK",
    "REDIRECT",
    "TIMEOUT",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "AGE",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "ALGORITHM",
    "ALG",
    "NAME",
    "ID",
    "VERSION",
    "LEVEL",
    "STRATEGY",
    "BACKEND",
    "STORE",
    "DRIVER",
    "REQUIRED",
    "FILE",
    "DIR",
    "NETWORK",
    "REGISTRY",
    "EMAIL",
    "USER",
    "USERNAME",
    "LOGIN",
    "SERVER",
    "SERVICE",
    "CLIENT",
    "TENANT",
    "CLUSTER",
    "SUBNET",
];

/// Value prefixes of well-known credentials, each with the shortest credible tail.
const TOKEN_PREFIXES: &[(&str, usize, &str)] = &[
    ("sk_live_", 4, "Stripe live secret key"),
    ("sk_test_", 4, "Stripe test secret key"),
    ("rk_live_", 4, "Stripe restricted key"),
    ("rk_test_", 4, "Stripe restricted key"),
    ("pk_live_", 8, "Stripe live publishable key"),
    ("whsec_", 4, "webhook signing secret"),
    ("ghp_", 4, "GitHub token"),
    ("gho_", 4, "GitHub token"),
    ("ghu_", 4, "GitHub token"),
    ("ghs_", 4, "GitHub token"),
    ("ghr_", 4, "GitHub token"),
    ("github_pat_", 4, "GitHub token"),
    ("glpat-", 4, "GitLab token"),
    ("gldt-", 8, "GitLab token"),
    ("npm_", 20, "npm token"),
    ("pypi-", 20, "PyPI token"),
    ("sk-ant-", 8, "Anthropic API key"),
    ("sk-proj-", 8, "OpenAI API key"),
    ("sk-", 16, "API secret key"),
    ("AIza", 30, "Google API key"),
    ("ya29.", 16, "Google OAuth token"),
    ("SG.", 16, "SendGrid key"),
    ("xoxa-", 4, "Slack token"),
    ("xoxb-", 4, "Slack token"),
    ("xoxp-", 4, "Slack token"),
    ("xoxr-", 4, "Slack token"),
    ("xoxs-", 4, "Slack token"),
    ("xoxe-", 4, "Slack token"),
    ("xapp-", 4, "Slack token"),
    ("shpat_", 16, "Shopify token"),
    ("shpss_", 16, "Shopify token"),
    ("shppa_", 16, "Shopify token"),
    ("dop_v1_", 16, "DigitalOcean token"),
    ("hf_", 20, "Hugging Face token"),
    ("rnd_", 16, "Render API key"),
    ("lin_api_", 16, "Linear API key"),
    ("glsa_", 16, "Grafana token"),
    ("sq0atp-", 16, "Square token"),
    ("sq0csp-", 16, "Square token"),
    ("key-", 28, "Mailgun key"),
    ("dapi", 28, "Databricks token"),
    ("AKIA", 16, "AWS access key id"),
    ("ASIA", 16, "AWS access key id"),
    ("-----BEGIN", 1, "PEM block"),
];

/// Hosts whose URLs are credentials in themselves (whoever has one can post).
const WEBHOOK_HOSTS: &[&str] = &[
    "hooks.slack.com",
    "discord.com",
    "discordapp.com",
    "webhook.office.com",
    "outlook.office.com",
    "hooks.zapier.com",
    "maker.ifttt.com",
    "chat.googleapis.com",
    "api.telegram.org",
    "events.pagerduty.com",
    "hooks.glip.com",
];

/// Query parameter names that carry a credential (compared lower-case; any name that is
/// secret by the key-name rules counts too).
const CREDENTIAL_PARAMS: &[&str] = &[
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "key",
    "apikey",
    "api_key",
    "api-key",
    "secret",
    "client_secret",
    "password",
    "pass",
    "pwd",
    "code",
    "private_token",
    "jwt",
    "se",
];

/// Rules a user adds in `stageprint.yaml`.
#[derive(Debug, Clone, Default)]
pub struct SecretRules {
    /// Key patterns that are always secret.
    pub secret_keys: Vec<String>,
    /// Key patterns that are never secret by name or by an opaque value (known token
    /// shapes and credentials inside URLs still are: they cannot be a false positive worth
    /// leaking).
    pub not_secret_keys: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Classifier {
    user_secret: Vec<Pattern>,
    user_plain: Vec<Pattern>,
    default_secret: Vec<Pattern>,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new(&SecretRules::default())
    }
}

impl Classifier {
    pub fn new(rules: &SecretRules) -> Self {
        Classifier {
            user_secret: rules
                .secret_keys
                .iter()
                .map(|p| Pattern::case_insensitive(p))
                .collect(),
            user_plain: rules
                .not_secret_keys
                .iter()
                .map(|p| Pattern::case_insensitive(p))
                .collect(),
            default_secret: DEFAULT_SECRET_KEYS
                .iter()
                .map(|p| Pattern::case_insensitive(p))
                .collect(),
        }
    }

    /// Why `value` under `key` is a secret, or `None` when it is not. The reason names a
    /// rule, never any part of the value.
    ///
    /// Order: the user's secret keys; then shapes that are secret whatever the key says
    /// (known tokens, credentials in a URL or a query string, named credentials inside
    /// the value, webhook URLs); then the user's `notSecretKeys`; then key names; then
    /// the value's shape: it is carried only when every long run of characters in it is
    /// recognisably harmless, and secret when one is opaque.
    pub fn classify(&self, key: &str, value: &str) -> Option<String> {
        if let Some(p) = self.user_secret.iter().find(|p| p.matches(key)) {
            return Some(format!("config secret key `{p}`"));
        }
        if let Some(why) = secret_shape(value) {
            return Some(why);
        }
        if self.user_plain.iter().any(|p| p.matches(key)) {
            return None;
        }
        if let Some(p) = self.default_secret.iter().find(|p| p.matches(key)) {
            return Some(format!("key name `{p}`"));
        }
        if let Some(word) = secret_key_word(key) {
            return Some(format!("key name word `{word}`"));
        }
        opaque_value(value).map(str::to_string)
    }

    /// Why a value that has no key of its own (a command, or a header value under its
    /// header name) is a secret, or `None`.
    pub fn classify_text(&self, name: &str, value: &str) -> Option<String> {
        if let Some(why) = secret_shape(value) {
            return Some(why);
        }
        // A header named like a credential holds one, unless its value is a setting
        // (`Access-Control-Allow-Credentials: true`).
        if let Some(word) = secret_key_word(name)
            && !is_trivial(value.trim())
        {
            return Some(format!("name word `{word}`"));
        }
        opaque_value(value).map(str::to_string)
    }

    /// Classification of a secret file: always secret (the API returns file contents in
    /// plaintext and there is no Blueprint field for them).
    pub fn file_rule() -> String {
        "secret file".into()
    }
}

/// Why a value is a secret by its shape alone, whatever its key: a known token format,
/// credentials inside a URL, a credential query parameter, a named credential inside the
/// value (`password=…`, `--token …`, a JSON field), a webhook URL. Such a value must never
/// be written into a generated file.
pub fn secret_shape(value: &str) -> Option<String> {
    let why = token_shape(value)
        .or_else(|| url_credentials(value))
        .or_else(|| named_credential(value))?;
    Some(if why == "credentials inside a URL" {
        // The name this rule has always had in snapshots.
        "value has credentials inside a URL".to_string()
    } else {
        format!("value shape: {why}")
    })
}

/// `*_KEY`-style words of a key name (`_`, `-`, `.` and camelCase separate words).
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// The word of a key name that marks it secret, if any.
fn secret_key_word(key: &str) -> Option<&'static str> {
    let words = key_words(key);
    let last = words.last()?;
    for w in &words {
        for s in SECRET_KEY_WORDS {
            if w == s {
                let setting = !matches!(*s, "WEBHOOK" | "WEBHOOKS")
                    && words.len() > 1
                    && SETTING_WORDS.contains(&last.as_str());
                if !setting {
                    return Some(s);
                }
            }
        }
        for s in [
            "SECRET",
            "TOKEN",
            "PASSWORD",
            "PASSWD",
            "APIKEY",
            "PASSPHRASE",
        ] {
            if w.contains(s) {
                return Some(s);
            }
        }
    }
    if last == "KEY" || last == "KEYS" {
        return Some("KEY");
    }
    None
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// A known credential format anywhere in the value (at a word start).
fn token_shape(value: &str) -> Option<&'static str> {
    let b = value.as_bytes();
    for i in 0..b.len() {
        if !value.is_char_boundary(i)
            || i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
        {
            continue;
        }
        let rest = &value[i..];
        for (prefix, min_tail, what) in TOKEN_PREFIXES {
            if !rest.starts_with(prefix) {
                continue;
            }
            let tail = &rest.as_bytes()[prefix.len()..];
            let ok = match *prefix {
                "-----BEGIN" => true,
                "AKIA" | "ASIA" => {
                    tail.len() >= 16
                        && tail[..16]
                            .iter()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                }
                _ => {
                    tail.iter()
                        .take_while(|c| is_token_char(**c) || **c == b'.')
                        .count()
                        >= *min_tail
                }
            };
            if ok {
                return Some(what);
            }
        }
        if rest.starts_with("eyJ") && looks_like_jwt(rest) {
            return Some("JSON Web Token");
        }
    }
    if value.contains("PRIVATE KEY") {
        return Some("PEM private key");
    }
    // A credential after `Bearer`/`Basic`/`token` that has no known format.
    (0..b.len())
        .filter(|&i| {
            value.is_char_boundary(i)
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        })
        .find_map(|i| auth_scheme(&value[i..]))
}

fn looks_like_jwt(v: &str) -> bool {
    let run: &str = &v[..v
        .bytes()
        .take_while(|c| is_token_char(*c) || *c == b'.')
        .count()];
    let parts: Vec<&str> = run.split('.').collect();
    parts.len() >= 3 && parts[0].len() >= 10 && parts[1].len() >= 2
}

/// `Bearer …`, `Basic …`, `token …` followed by a credential.
fn auth_scheme(rest: &str) -> Option<&'static str> {
    for scheme in ["bearer", "basic", "token", "digest"] {
        let Some(head) = rest.get(..scheme.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(scheme) {
            continue;
        }
        let after = &rest[scheme.len()..];
        let trimmed = after.trim_start_matches([' ', '\t']);
        if trimmed.len() == after.len() {
            continue;
        }
        let run = &trimmed[..trimmed
            .bytes()
            .take_while(|c| is_token_char(*c) || matches!(c, b'.' | b'+' | b'/' | b'=' | b'~'))
            .count()];
        if run.starts_with('$') || run.len() < 12 {
            continue;
        }
        let letters_one_case = run.bytes().all(|c| c.is_ascii_lowercase())
            || run.bytes().all(|c| c.is_ascii_uppercase());
        if !letters_one_case {
            return Some("credential after an authorization scheme");
        }
    }
    None
}

/// `scheme://user:password@host…`, `scheme://token@host…`, a credential query parameter
/// or a webhook URL, anywhere in the value.
fn url_credentials(value: &str) -> Option<&'static str> {
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(after.len());
        let url = &after[..end];
        // The userinfo ends at the last `@` of the URL, so a password may hold `/`, `@`,
        // `?`, `#`, `,` or `;`; a `/` in the user part means the `@` is in a path or query.
        if let Some(at) = url.rfind('@') {
            let userinfo = &url[..at];
            match userinfo.split_once(':') {
                Some((user, pw)) if !user.contains(['/', '?', '#']) => {
                    // `host:8080/path@…` is a port and a path, not a password; digits
                    // right before the `@` are one.
                    let port = pw.bytes().take_while(u8::is_ascii_digit).count();
                    let is_port = port > 0 && port < pw.len() && pw.as_bytes()[port] == b'/';
                    if !pw.is_empty() && !is_port {
                        return Some("credentials inside a URL");
                    }
                }
                Some(_) => {}
                None => {
                    if !userinfo.contains(['/', '?', '#'])
                        && (token_shape(userinfo).is_some() || opaque_run(userinfo))
                    {
                        return Some("token as the user of a URL");
                    }
                }
            }
        }
        let before_query = url.find(['?', '#']).unwrap_or(url.len());
        let head = &url[..before_query];
        let head = &head[..head.find([',', ';']).unwrap_or(head.len())];
        let authority_end = match head.rfind('@') {
            Some(at) => at + 1 + head[at + 1..].find('/').unwrap_or(head.len() - at - 1),
            None => head.find('/').unwrap_or(head.len()),
        };
        let authority = &head[..authority_end.min(head.len())];
        let host = authority
            .rsplit('@')
            .next()
            .unwrap_or("")
            .split(':')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let path = &head[authority_end.min(head.len())..];
        if WEBHOOK_HOSTS
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")))
            && path.trim_matches('/').len() > 1
        {
            return Some("webhook URL");
        }
        // A fragment carries tokens too (`#access_token=…`, OAuth's implicit flow).
        if let Some(hash) = url.find('#')
            && credential_query(&url[hash + 1..])
        {
            return Some("credential in a URL fragment");
        }
        if url[before_query..].starts_with('?') {
            let query = &url[before_query + 1..];
            let query = &query[..query.find('#').unwrap_or(query.len())];
            if credential_query(query) {
                return Some("credential in a URL query string");
            }
        }
        rest = after;
    }
    // Query strings without a scheme (`/path?token=…`).
    if let Some(q) = value.find('?')
        && credential_query(&value[q + 1..])
    {
        return Some("credential in a URL query string");
    }
    None
}

fn credential_query(query: &str) -> bool {
    query.split(['&', ';']).any(|pair| {
        let Some((name, v)) = pair.split_once('=') else {
            return false;
        };
        let lower = name.to_ascii_lowercase();
        let v = v.split_whitespace().next().unwrap_or("");
        !v.is_empty()
            && !is_reference(v)
            && !is_trivial(v)
            && (CREDENTIAL_PARAMS.contains(&lower.as_str()) || secret_key_word(name).is_some())
    })
}

/// A value no credential is: a setting word (`--auth none`, `…-Credentials: true`) or a
/// number of fewer than six digits (`?pass=2`, a page number).
fn is_trivial(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "none"
            | "null"
            | "nil"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "enabled"
            | "disabled"
            | "required"
            | "optional"
            | "auto"
            | "default"
    ) || (v.len() < 6 && v.bytes().all(|c| c.is_ascii_digit()))
}

/// `$VAR`, `${VAR}`, `{{ … }}`: the value comes from elsewhere.
fn is_reference(v: &str) -> bool {
    let v = v.trim_matches(['"', '\'']);
    v.starts_with('$') || v.starts_with("{{") || v.starts_with("%(")
}

/// A credential named inside the value: `password=…` (libpq, `.env` lines, commands),
/// `--token=…`/`--token …` (commands), or a JSON field with a secret name.
fn named_credential(value: &str) -> Option<&'static str> {
    let t = value.trim();
    if (t.starts_with('{') || t.starts_with('['))
        && t.len() > 1
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(t)
    {
        return json_credential(&json, 0).then_some("credential field inside JSON");
    }
    if json_fragment_credential(value) {
        return Some("credential field inside JSON");
    }
    if assigned_credential(value) {
        return Some("named credential inside the value");
    }
    let words: Vec<&str> = value.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let w = w.trim_matches(['"', '\'', '(', ')', ';', ',']);
        let (name, v) = match w.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (w, None),
        };
        let is_option = name.starts_with("--");
        let bare = name.trim_start_matches('-');
        if bare.is_empty()
            || !bare
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
            || !is_secret_name(&bare.replace('-', "_"))
        {
            continue;
        }
        let v = match v {
            Some(v) => Some(v),
            None if is_option => words.get(i + 1).copied().filter(|n| !n.starts_with('-')),
            None => None,
        };
        if let Some(v) = v {
            let v = v.trim_matches(['"', '\'']);
            if !v.is_empty() && !is_reference(v) && !v.starts_with('/') && !is_trivial(v) {
                return Some("named credential inside the value");
            }
        }
    }
    None
}

/// A secret name given a value in any of the usual notations: `password = x`,
/// `password: x` (YAML, INI, a header line), `Pwd=x;` and `AccountKey=x;` (connection
/// strings), `&password=x` (a form body), `'password' => 'x'`, `<password>x</password>`,
/// `--requirepass x`, and `curl -u user:password`.
fn assigned_credential(value: &str) -> bool {
    const EXTRA_NAMES: &[&str] = &[
        "pwd",
        "pass",
        "requirepass",
        "accountkey",
        "sharedaccesskey",
    ];
    let b = value.as_bytes();
    let is_name_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    let mut i = 0;
    while i < b.len() {
        if !is_name_byte(b[i]) || (i > 0 && is_name_byte(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_name_byte(b[i]) {
            i += 1;
        }
        let raw = &value[start..i];
        let name = raw.trim_start_matches('-');
        let secret_name = name.len() >= 3
            && (is_secret_name(&name.replace('-', "_"))
                || EXTRA_NAMES.contains(&name.to_ascii_lowercase().as_str()));
        // `curl -u user:password`: the user and password of an HTTP client.
        if raw == "-u" || raw == "--user" {
            let rest = value[i..].trim_start();
            let word = rest.split_whitespace().next().unwrap_or("");
            if let Some((_, pw)) = word.split_once(':')
                && !pw.is_empty()
                && !pw.bytes().all(|c| c.is_ascii_digit())
                && !is_reference(pw)
            {
                return true;
            }
            continue;
        }
        if !secret_name {
            continue;
        }
        // The separator: `=`, `=>`, `:` (not `://`), `>` after `<name`, or a space after
        // a `--option`.
        let mut j = i;
        let skip = |j: &mut usize| {
            while *j < b.len() && matches!(b[*j], b' ' | b'\t' | b'"' | b'\'') {
                *j += 1;
            }
        };
        skip(&mut j);
        let at = |c: u8| j < b.len() && b[j] == c;
        let one_byte = at(b'=')
            || (at(b':') && !value[j..].starts_with("://"))
            || (at(b'>') && start > 0 && b[start - 1] == b'<');
        let separated = if value[j..].starts_with("=>") {
            j += 2;
            true
        } else if one_byte {
            j += 1;
            true
        } else {
            raw.starts_with("--") && j > i
        };
        if !separated {
            continue;
        }
        skip(&mut j);
        let end = value[j..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ';' | '&' | '<' | ','))
            .map_or(value.len(), |e| j + e);
        let v = &value[j..end];
        if v.len() >= 4 && !is_reference(v) && !is_trivial(v) && !v.starts_with('/') {
            return true;
        }
    }
    false
}

/// `"password": "…"` inside a larger text (a command, a value that is not JSON as a
/// whole): a quoted secret name, a colon, a quoted non-empty string.
fn json_fragment_credential(value: &str) -> bool {
    let mut rest = value;
    while let Some(colon) = rest.find(':') {
        let before = rest[..colon].trim_end();
        let after = rest[colon + 1..].trim_start();
        rest = &rest[colon + 1..];
        let Some(name) = before
            .strip_suffix('"')
            .and_then(|b| b.rfind('"').map(|q| &b[q + 1..]))
        else {
            continue;
        };
        let Some(v) = after.strip_prefix('"') else {
            continue;
        };
        let v = &v[..v.find('"').unwrap_or(v.len())];
        if !v.is_empty() && !is_reference(v) && is_secret_name(name) {
            return true;
        }
    }
    false
}

/// A name (an option, a query parameter, a JSON field) that the default key rules make
/// secret.
fn is_secret_name(name: &str) -> bool {
    static DEFAULT: std::sync::LazyLock<Vec<Pattern>> = std::sync::LazyLock::new(|| {
        DEFAULT_SECRET_KEYS
            .iter()
            .map(|p| Pattern::case_insensitive(p))
            .collect()
    });
    secret_key_word(name).is_some() || DEFAULT.iter().any(|p| p.matches(name))
}

fn json_credential(v: &serde_json::Value, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    match v {
        serde_json::Value::Object(m) => m.iter().any(|(k, v)| {
            // A secret name over anything but an empty, trivial or referenced value: a
            // string, a long number, a list or an object holding one.
            let named = is_secret_name(k)
                && match v {
                    serde_json::Value::String(s) => {
                        !s.is_empty() && !is_reference(s) && !is_trivial(s)
                    }
                    serde_json::Value::Number(n) => n.to_string().len() >= 6,
                    serde_json::Value::Array(a) => !a.is_empty(),
                    serde_json::Value::Object(o) => !o.is_empty(),
                    _ => false,
                };
            named || json_credential(v, depth + 1)
        }),
        // JSON inside a JSON string.
        serde_json::Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str::<serde_json::Value>(s)
                .is_ok_and(|inner| json_credential(&inner, depth + 1))
        }
        serde_json::Value::Array(a) => a.iter().any(|v| json_credential(v, depth + 1)),
        _ => false,
    }
}

/// Spans that are long and random yet public by construction: content hashes in a
/// Content-Security-Policy or Subresource Integrity value, image digests.
fn strip_public_hashes(value: &str) -> std::borrow::Cow<'_, str> {
    const MARKS: &[&str] = &[
        "sha256-", "sha384-", "sha512-", "sha256:", "sha1:", "sha512:",
    ];
    if !MARKS.iter().any(|m| value.contains(m)) {
        return value.into();
    }
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    let b = value.as_bytes();
    'outer: while i < b.len() {
        for m in MARKS {
            if value[i..].starts_with(m) {
                out.push(' ');
                i += m.len();
                while i < b.len() && (is_token_char(b[i]) || matches!(b[i], b'+' | b'/' | b'=')) {
                    i += 1;
                }
                continue 'outer;
            }
        }
        let c = value[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out.into()
}

/// Why a value is secret by its shape: a long opaque run of characters that no harmless
/// shape explains. Harmless: numbers, words and identifiers (`snake_case`, `kebab-case`,
/// `camelCase`, dotted module paths), versions, paths, cron expressions, hostnames, UUIDs,
/// Render resource ids, public content hashes; URLs and JSON are judged part by part.
fn opaque_value(value: &str) -> Option<&'static str> {
    let decoded = percent_decode(value);
    let v = strip_public_hashes(&decoded);
    let in_url = v.contains("://");
    for token in v.split(|c: char| {
        !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '~' | '%'))
    }) {
        if token.len() < 16 || is_hostname(token) {
            continue;
        }
        if token.split('.').any(opaque_run) {
            return Some(if in_url {
                "opaque segment in a URL"
            } else {
                "opaque value"
            });
        }
    }
    // Punctuation cuts a generated password (`hT7#kP2!qW9$zL4@mN`) into runs too short
    // for the test above; judged whole, it switches between letters, digits and symbols
    // as no word, path, date or setting does.
    if v.split_whitespace().any(password_like) {
        return Some("opaque value with punctuation");
    }
    None
}

/// `$NAME` (upper case, digits, `_`) and `${…}` taken out of a token.
fn strip_shell_references(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('{') => {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
            }
            Some(d) if d.is_ascii_uppercase() || *d == '_' => {
                while chars
                    .peek()
                    .is_some_and(|d| d.is_ascii_uppercase() || d.is_ascii_digit() || *d == '_')
                {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// A whitespace-separated token that looks generated: 12 or more characters mixing at
/// least three of lower case, upper case, digits and symbols, with a symbol other than
/// the separators of names and paths, at least four letters (dates, times, addresses
/// and versions have fewer), and a change of kind at two characters in five or more.
/// URLs, JSON and references (`$VAR`) are judged by their own rules.
fn password_like(token: &str) -> bool {
    let t = token.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
    // Shell references (`$PORT`, `${HOME}`) are names, not characters of a secret.
    let t = &strip_shell_references(t);
    if t.chars().count() < 12
        || t.len() > 512
        || !t.is_ascii()
        || t.contains("://")
        || t.starts_with(['$', '{', '[', '<'])
        || t.contains("${")
    {
        return false;
    }
    // A list of names or settings (`v2-api,v2-worker`, `region=us-east-1;tier=Gold2`)
    // is not one generated string.
    if t.contains([',', ';'])
        && t.split([',', ';']).all(|part| {
            part.bytes().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'=' | b':' | b'/')
            })
        })
    {
        return false;
    }
    let b = t.as_bytes();
    let kind = |c: u8| match c {
        b'a'..=b'z' => 1,
        b'A'..=b'Z' => 2,
        b'0'..=b'9' => 3,
        _ => 4,
    };
    let has = |k| b.iter().any(|c| kind(*c) == k);
    let kinds = (1..=4).filter(|k| has(*k)).count();
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let symbol = b
        .iter()
        .any(|c| kind(*c) == 4 && !matches!(c, b'-' | b'_' | b'.' | b'/'));
    if kinds < 3 || letters < 4 || !symbol {
        return false;
    }
    let changes = b
        .windows(2)
        .filter(|w| kind(w[0]) != kind(w[1]) && !(kind(w[0]) == 2 && kind(w[1]) == 1))
        .count();
    changes * 5 >= b.len() * 2
}

/// `%XX` sequences decoded (a bounded number of rounds, for nested encodings), so an
/// encoded separator does not glue words into one long run.
fn percent_decode(value: &str) -> String {
    let mut cur = value.to_string();
    for _ in 0..4 {
        if !cur.contains('%') {
            break;
        }
        let b = cur.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if b[i] == b'%'
                && i + 2 < b.len()
                && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
            {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            out.push(b[i]);
            i += 1;
        }
        let next = String::from_utf8_lossy(&out).into_owned();
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

/// `api.example.com`, `o123.ingest.sentry.io`: dot-separated labels ending in a word.
fn is_hostname(token: &str) -> bool {
    let labels: Vec<&str> = token.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && (2..=24).contains(&tld.len())
        && tld.bytes().all(|c| c.is_ascii_alphabetic())
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
        })
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// `srv-…`, `dpg-…-a`: Render resource ids and the internal hosts named after them.
fn is_render_id(s: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "srv", "dpg", "red", "evg", "crn", "tea", "usr", "prj", "evm", "own", "dep", "rdc", "exs",
        "bgw", "job", "evt", "mnt", "snp",
    ];
    let mut parts = s.split('-');
    let (Some(p), Some(id)) = (parts.next(), parts.next()) else {
        return false;
    };
    let tail_ok = match (parts.next(), parts.next()) {
        (None, _) => true,
        (Some(t), None) => t.len() == 1 && t.bytes().all(|c| c.is_ascii_alphabetic()),
        _ => false,
    };
    PREFIXES.contains(&p)
        && id.len() == 20
        && id
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && tail_ok
}

/// One run of `[A-Za-z0-9_+~%-]` is opaque when it is long and changes between
/// lower case, upper case and digits too often for words and numbers (a camelCase
/// identifier changes once per word; generated keys about every other character).
fn opaque_run(run: &str) -> bool {
    let run = run.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let alnum = run.bytes().filter(u8::is_ascii_alphanumeric).count();
    if alnum < 16 || is_uuid(run) || is_render_id(run) {
        return false;
    }
    if run
        .bytes()
        .all(|c| c.is_ascii_digit() || !c.is_ascii_alphanumeric())
    {
        return false;
    }
    let class = |c: u8| {
        if c.is_ascii_lowercase() {
            1
        } else if c.is_ascii_uppercase() {
            2
        } else if c.is_ascii_digit() {
            3
        } else {
            0
        }
    };
    let b = run.as_bytes();
    let mut changes = 0;
    for w in b.windows(2) {
        let (x, y) = (class(w[0]), class(w[1]));
        if x == 0 || y == 0 {
            if matches!(w[0], b'+' | b'%') || matches!(w[1], b'+' | b'%') {
                changes += 1;
            }
            continue;
        }
        if x != y && !(x == 2 && y == 1) {
            changes += 1;
        }
    }
    if changes * 4 >= alnum {
        return true;
    }
    // Long runs of letters alone: no word is that long.
    run.split(['_', '-', '+', '~', '%'])
        .any(|seg| seg.len() >= 32 && seg.bytes().all(|c| c.is_ascii_alphabetic()))
}

/// A carried value that says it is production (`APP_ENV=prod`,
/// `SENTRY_ENVIRONMENT=production`). `NODE_ENV` is left aside: it selects a build mode.
pub fn names_production(key: &str, value: &str) -> bool {
    if key.eq_ignore_ascii_case("NODE_ENV") {
        return false;
    }
    let v = value.trim().to_ascii_lowercase();
    let words = key_words(key);
    let env_like = words.iter().any(|w| {
        matches!(
            w.as_str(),
            "ENV" | "ENVIRONMENT" | "STAGE" | "TIER" | "MODE" | "DEPLOYMENT"
        )
    });
    matches!(v.as_str(), "production" | "prod" | "prd") || (env_like && v == "live")
}

/// HMAC-SHA256 fingerprints keyed by the user's secret (never plain hashes, which would
/// let anyone confirm a guessed secret).
#[derive(Clone)]
pub struct Fingerprinter {
    key: Vec<u8>,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { <key redacted> }")
    }
}

impl Fingerprinter {
    pub fn new(key: &[u8]) -> Option<Self> {
        if key.is_empty() {
            None
        } else {
            Some(Fingerprinter { key: key.to_vec() })
        }
    }

    /// From `STAGEPRINT_FINGERPRINT_KEY`, when set and non-empty.
    pub fn from_env() -> Option<Self> {
        std::env::var_os(FINGERPRINT_KEY_ENV).and_then(|k| Fingerprinter::new(k.as_encoded_bytes()))
    }

    pub fn fingerprint(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for b in bytes.iter() {
            hex.push_str(&format!("{b:02x}"));
        }
        format!("hmac-sha256:{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> Classifier {
        Classifier::default()
    }

    #[test]
    fn key_names() {
        assert!(c().classify("STRIPE_SECRET_KEY", "x").is_some());
        assert!(c().classify("GITHUB_TOKEN", "x").is_some());
        assert!(c().classify("DB_PASSWORD", "x").is_some());
        assert!(
            c().classify("SENTRY_DSN", "https://0@o0.ingest.sentry.io/0")
                .is_some()
        );
        assert!(c().classify("LOG_LEVEL", "info").is_none());
        assert!(c().classify("NODE_ENV", "production").is_none());
    }

    #[test]
    fn token_shapes_and_urls() {
        assert!(c().classify("X", "sk_live_abcdef").is_some());
        assert!(c().classify("X", "xoxb-123-456").is_some());
        assert!(c().classify("X", "AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(c().classify("X", "postgresql://u:pw@h/db").is_some());
        assert!(c().classify("X", "redis://red-abc:6379").is_none());
        assert!(c().classify("X", "https://api.example.com/v2").is_none());
        assert!(
            c().classify("X", "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END")
                .is_some()
        );
    }

    #[test]
    fn entropy_catches_generated_values_not_names() {
        assert!(
            c().classify(
                "INSTANCE_ID",
                "AvPmamLYqoETjPfT8luXZipSxsMpXSXlw7cXlUAx4Qw="
            )
            .is_some()
        );
        assert!(
            c().classify("BUCKET", "insurance-navigator-claims-exports-prod")
                .is_none()
        );
        assert!(c().classify("V", "20.18.0").is_none());
    }

    #[test]
    fn user_rules_win() {
        let cl = Classifier::new(&SecretRules {
            secret_keys: vec!["QUEUE_*".into()],
            not_secret_keys: vec!["PUBLIC_*".into()],
        });
        assert_eq!(
            cl.classify("QUEUE_NAME", "jobs").as_deref(),
            Some("config secret key `QUEUE_*`")
        );
        assert!(cl.classify("PUBLIC_KEY", "abc").is_none());
        // A token shape stays secret whatever the key says.
        assert!(cl.classify("PUBLIC_KEY", "sk_live_123456").is_some());
    }

    /// Secret shapes and the rule that must classify each (`None` for the key: a key
    /// that says nothing).
    const SECRET_SHAPES: &[(&str, &str, &str)] = &[
        (
            "X",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "Stripe live secret key",
        ),
        (
            "X",
            "Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "Stripe live secret key",
        ),
        (
            "X",
            "token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "GitHub token",
        ),
        (
            "X",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "GitHub token",
        ),
        ("X", "glpat-xXyYzZ0123456789abcd", "GitLab token"),
        (
            "X",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "Slack token",
        ),
        ("X", "AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("X", "arn=ASIAY34FZKBOKMUTVV7A", "AWS access key id"),
        (
            "X",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
            "Google API key",
        ),
        (
            "X",
            "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",
            "SendGrid key",
        ),
        ("X", "sk-proj-abcDEF123ghiJKL456mnoPQR789", "OpenAI API key"),
        (
            "X",
            "sk-ant-api03-abcDEF123ghiJKL456mnoPQR789",
            "Anthropic API key",
        ),
        ("X", "npm_abcdefghijklmnopqrstuvwxyz0123456789", "npm token"),
        ("X", "rnd_AbCdEf0123456789GhIjKl", "Render API key"),
        (
            "X",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "webhook signing secret",
        ),
        (
            "X",
            "shpat_0123456789abcdef0123456789abcdef",
            "Shopify token",
        ),
        (
            "X",
            "hf_abcdefghijklmnopqrstuvwxyzABCDEF",
            "Hugging Face token",
        ),
        (
            "X",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END",
            "PEM block",
        ),
        (
            "X",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "JSON Web Token",
        ),
        (
            "X",
            r#"{"auth":{"jwt":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF123"}}"#,
            "JSON Web Token",
        ),
        (
            "X",
            "Bearer 8f14e45fceea167a5a36dedd4bea2543",
            "authorization scheme",
        ),
        (
            "X",
            "Basic dXNlcjpwYXNzd29yZDEyMw==",
            "authorization scheme",
        ),
        (
            "X",
            "https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/app.git",
            "GitHub token",
        ),
        (
            "X",
            "https://8f14e45fceea167a5a36dedd4bea2543@github.com/acme/app.git",
            "token as the user of a URL",
        ),
        (
            "X",
            "postgres://app:pa/ss@w0rd@db.example.com:5432/app",
            "credentials inside a URL",
        ),
        (
            "X",
            "amqp://user:hunter2@mq.example.com/vhost",
            "credentials inside a URL",
        ),
        (
            "X",
            "https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx",
            "webhook URL",
        ),
        (
            "X",
            "https://discord.com/api/webhooks/123456789012345678/AbCdEf",
            "webhook URL",
        ),
        (
            "X",
            "https://acme.webhook.office.com/webhookb2/1a2b/IncomingWebhook/3c4d",
            "webhook URL",
        ),
        (
            "X",
            "https://hooks.zapier.com/hooks/catch/123456/abcdef1/",
            "webhook URL",
        ),
        (
            "X",
            "https://hooks.example.net/in/Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1",
            "opaque segment in a URL",
        ),
        (
            "X",
            "https://bucket.s3.amazonaws.com/f.pdf?X-Amz-Algorithm=AWS4&X-Amz-Signature=abc",
            "query string",
        ),
        (
            "X",
            "https://acct.blob.core.windows.net/c/f?sv=2022&sig=abc%2Bdef",
            "query string",
        ),
        (
            "X",
            "https://api.example.com/v1?api_key=abc123",
            "query string",
        ),
        (
            "X",
            "https://api.example.com/v1?access_token=abc123&x=1",
            "query string",
        ),
        (
            "X",
            "https://maps.example.com/js?key=abc123",
            "query string",
        ),
        (
            "X",
            "wss://stream.example.com/feed?token=abc123",
            "query string",
        ),
        ("X", "/callback?signature=abc123", "query string"),
        (
            "X",
            "host=db.example.com port=5432 password=hunter2 dbname=app",
            "named credential",
        ),
        (
            "X",
            r#"{"user":"app","password":"hunter2"}"#,
            "credential field inside JSON",
        ),
        (
            "X",
            r#"[{"name":"a","apiKey":"abc"}]"#,
            "credential field inside JSON",
        ),
        (
            "X",
            "AvPmamLYqoETjPfT8luXZipSxsMpXSXlw7cXlUAx4Qw=",
            "opaque value",
        ),
        (
            "X",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "opaque value",
        ),
        ("X", "prefix:Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1", "opaque value"),
        ("X", "a-9Fk2_Lq8Zr4-Pw7Yt3_Nx6Vb1-Hc5", "opaque value"),
        ("X", "qwertzuiopasdfghjklyxcvbnmqwertzu", "opaque value"),
        ("DB_PASS", "hunter2", "key name word `PASS`"),
        ("SMTP_PASSWD", "hunter2", "key name `*PASSWD*`"),
        ("SLACK_WEBHOOK", "x", "key name word `WEBHOOK`"),
        ("GCP_CREDENTIALS", "{}", "key name `*CREDENTIAL*`"),
        ("APNS_PRIVATE_SIGNER", "ABC123", "key name word `PRIVATE`"),
        ("BASIC_AUTH", "admin:admin", "key name word `AUTH`"),
        ("HTTP_AUTHORIZATION", "x", "key name word `AUTHORIZATION`"),
        ("COOKIE_SIGNING", "x", "key name `*SIGNING*`"),
        ("PASSWORD_SALT", "x", "key name `*PASSWORD*`"),
        ("BCRYPT_SALT", "x", "key name `*_SALT`"),
        ("hmacSecret", "x", "key name `*SECRET*`"),
        ("sessionSecret", "x", "key name `*SECRET*`"),
        ("LICENSE", "x", "key name word `LICENSE`"),
        // Generated passwords whose punctuation cuts them into short runs.
        (
            "DB_PW",
            "hT7#kP2!qW9$zL4@mN",
            "opaque value with punctuation",
        ),
        (
            "X_ARGS",
            "--sftp-pw 'hT7#kP2!qW9$zL4@mNx1'",
            "opaque value with punctuation",
        ),
        (
            "APP_SEED",
            "cnryB2:Zx8Kq2Lm9Np4:Rt7Vw3Yb6Cd1",
            "opaque value with punctuation",
        ),
        (
            "DJANGO",
            "k9#x!2m@q$7w^e&r*t(y)u-i_o=p+a1s2d3f4g5",
            "opaque value with punctuation",
        ),
        // A secret name given a value in other notations.
        (
            "LIBPQ2",
            "host=db.example.com user=app password = s3cretpw",
            "named credential",
        ),
        (
            "INI",
            "[db]\npassword: s3cretpw\nhost: x",
            "named credential",
        ),
        ("TOML", "password = \"s3cretpw\"", "named credential"),
        ("XML", "<password>s3cretpw</password>", "named credential"),
        ("HEADER_LINE", "X-Api-Key: s3cretpwabc", "named credential"),
        ("KV2", "Server=db;Uid=app;Pwd=s3cretpw;", "named credential"),
        (
            "AZURE",
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=s3cretpw==;EndpointSuffix=core.windows.net",
            "named credential",
        ),
        (
            "FORM",
            "username=app&password=s3cretpwXyZ",
            "named credential",
        ),
        ("REDIS_ARGS", "--requirepass s3cretpw", "named credential"),
        (
            "CURL",
            "curl -u admin:s3cretpw https://x.example.com",
            "named credential",
        ),
        ("RUBY", "{'password' => 's3cretpw'}", "named credential"),
        (
            "JSON_NUMBER",
            "{\"password\": 12345678}",
            "credential field inside JSON",
        ),
        (
            "JSON_IN_JSON",
            "{\"cfg\":\"{\\\"password\\\":\\\"s3cretpw\\\"}\"}",
            "credential field inside JSON",
        ),
        // Credentials in a URL whose password holds `?`, `#`, `,`, `;` or only digits.
        (
            "CACHE",
            "redis://default:Zx8Kq2?Rt7Vw3@cache.example.com:6379",
            "credentials inside a URL",
        ),
        (
            "MQ",
            "amqp://app:Zx8Kq2,Rt7Vw3@mq.example.com/vhost",
            "credentials inside a URL",
        ),
        (
            "MONGO",
            "mongodb+srv://app:Zx8Kq2;Rt7Vw3@cluster0.example.net/db",
            "credentials inside a URL",
        ),
        (
            "API",
            "https://app:hT7#kP2@api.example.com/",
            "credentials inside a URL",
        ),
        (
            "REDIS",
            "redis://default:123456@red.example.com:6379",
            "credentials inside a URL",
        ),
        (
            "CALLBACK",
            "https://app.example.com/cb#access_token=abc123def456",
            "credential in a URL fragment",
        ),
    ];

    #[test]
    fn secret_shapes_table() {
        assert!(SECRET_SHAPES.len() >= 40);
        let cl = c();
        let wrong: Vec<String> = SECRET_SHAPES
            .iter()
            .filter_map(|(key, value, want)| {
                let got = cl.classify(key, value);
                (!got.as_deref().is_some_and(|g| g.contains(want)))
                    .then(|| format!("{key}={value}: want `{want}`, got {got:?}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        for (key, value, _) in SECRET_SHAPES {
            let got = cl.classify(key, value).unwrap();
            // The reason is a rule name: no run of the value beyond a short word.
            for part in value.split(|c: char| !c.is_ascii_alphanumeric()) {
                assert!(
                    part.len() < 8 || !got.contains(part),
                    "{got} repeats `{part}`"
                );
            }
        }
    }

    /// Real non-secret values (the fixture workspaces and Render's example Blueprints)
    /// that must stay carried.
    const HARMLESS: &[(&str, &str)] = &[
        ("STARTED_AT", "2024-01-01T00:00:00Z"),
        ("RUN_AS", "docker run -u 1000:1000 app"),
        ("PAGE_URL", "https://docs.example.com/page?pass=2"),
        ("START", "code-server --bind-addr 0.0.0.0:10000 --auth none"),
        ("PLACEMENT", "region=us-east-1,tier=Gold2,zone=b"),
        ("WORKERS", "v2-api,v2-worker;Reports-3"),
        ("HSTS", "max-age=31536000; includeSubDomains; preload"),
        ("CONTENT_TYPE", "text/html;charset=UTF-8"),
        (
            "START",
            "gunicorn app.wsgi:application --bind 0.0.0.0:$PORT --workers 2",
        ),
        ("NPM_SCOPE", "https://registry.npmjs.org/@acme/pkg"),
        (
            "NOTIFY",
            "https://example.com:8443/path?email=ops@example.com",
        ),
        ("ALERT_EMAIL", "ops+alerts@Example.com"),
        ("ADVERTISE_ROUTES", "10.0.0.0/8"),
        ("ALLOWED_REPOS", "DevinBristol/DevinSwarm"),
        ("ARTIFACT_BLOB_THRESHOLD_BYTES", "5000000"),
        ("DB_DRIVER", "postgresql+psycopg"),
        ("DEPLOY_ENV", "PRODUCTION"),
        ("DEV_MODE", "False"),
        ("DJANGO_ALLOWED_HOSTS", "django-web.onrender.com"),
        ("DJANGO_SETTINGS_MODULE", "config.settings.production"),
        (
            "DYNAMIC_CONFIG_FILE_PATH",
            "/etc/temporal/dynamicconfig_es.yaml",
        ),
        ("ES_JAVA_OPTS", "-Xms100m -Xmx100m"),
        ("METIVTA_META_ENVIRONMENT", "production"),
        (
            "NEXT_PUBLIC_API_URL",
            "https://trender-dashboard.onrender.com",
        ),
        ("OPENDAL_FS_ROOT", "/app/api/storage"),
        ("PYTHON_VERSION", "3.11.5"),
        ("TAILSCALE_VERSION", "1.64.0"),
        ("VITE_APP_TITLE", "Hikma Health"),
        ("VITE_SENTRY_PROJECT", "hikma-health-production"),
        (
            "cluster.routing.allocation.disk.watermark.flood_stage",
            "128mb",
        ),
        ("discovery.type", "single-node"),
        ("API_BASE_URL", "https://api.harborline.example"),
        ("ARCHIVE_BUCKET", "harborline-archive-2023"),
        (
            "CELERY_BROKER_URL",
            "redis://red-cn116jhp11pc738688mg:6379/1",
        ),
        (
            "CLAIMS_EXPORT_BUCKET",
            "insurance-navigator-claims-exports-prod",
        ),
        (
            "CORS_ORIGINS",
            "https://harborline.example,https://www.harborline.example,https://partners.harborline.example",
        ),
        ("DISPATCH_ADDR", "harbor-dispatch:8080"),
        ("DISPATCH_URL", "http://harbor-dispatch:8080/v1"),
        ("EDI_PARTNER_ID", "HARBORLINE01"),
        ("JWT_ISSUER", "https://api.insurancenavigator.example"),
        ("OTEL_SERVICE_NAME", "harbor-tracking"),
        ("PARTNER_MTLS_CERT_PATH", "/etc/secrets/partner-mtls.pem"),
        ("PGHOST", "dpg-cn11508obd0s738688f0-a"),
        (
            "QUOTE_PROVIDER_API_BASE_URL",
            "https://sandbox.quotes-partner.example/v2",
        ),
        ("REDIS_URL", "redis://red-d05lp3muk2gs73c9oa80:6379"),
        ("SFTP_HOST", "sftp.edi-partner.example"),
        ("SHIPMENT_REF_PREFIX", "0x1F"),
        ("SUPPORT_EMAIL", "support@harborline.example"),
        ("TRACKING_BASE_URL", "https://harbor-tracking.onrender.com"),
        ("SCHEDULE", "*/15 * * * *"),
        ("TENANT_ID", "550e8400-e29b-41d4-a716-446655440000"),
        (
            "IAM_ROLE",
            "arn:aws:iam::123456789012:role/AmazonS3FullAccessRole",
        ),
        (
            "IMAGE",
            "ghcr.io/acme/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
        (
            "CSP",
            "script-src 'self' 'sha256-B2yPHKaXnvFWtRChIbabYmUBFZdVfKKXHbWtWidDVF8='",
        ),
        (
            "FEATURES",
            r#"{"beta":true,"maxItems":20,"theme":"darkBlueSteel"}"#,
        ),
        ("AUTH_URL", "https://auth.example.com/login"),
        ("AUTH_PROVIDER", "google"),
        ("AUTHOR", "Jane Doe"),
        ("AUTHORITY", "https://login.microsoftonline.com/common"),
        ("PRIVATE_NETWORK_HOST", "10.0.0.5"),
        (
            "START",
            "gunicorn config.wsgi:application --bind 0.0.0.0:$PORT --workers 2",
        ),
        (
            "START2",
            "uv run celery -A api.workers.celery_app.celery_app worker --loglevel=info",
        ),
        ("SERVICE_ACCOUNT", "myServiceAccountName2024"),
        (
            "DEEP_LINK",
            "https://app.example.com/docs/getting-started/installation-guide",
        ),
        ("DB_PASS_FILE", "/etc/secrets/db-password"),
    ];

    #[test]
    fn harmless_values_stay_carried() {
        let cl = c();
        let wrong: Vec<String> = HARMLESS
            .iter()
            .filter_map(|(key, value)| {
                cl.classify(key, value)
                    .map(|r| format!("{key}={value}: {r}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn not_secret_keys_override_names_and_opacity_not_shapes() {
        let cl = Classifier::new(&SecretRules {
            secret_keys: vec![],
            not_secret_keys: vec!["BUILD_HASH".into(), "PUBLIC_*".into()],
        });
        assert!(
            cl.classify("BUILD_HASH", "9f86d081884c7d659a2feaa0c55ad015")
                .is_none()
        );
        assert!(cl.classify("PUBLIC_AUTH", "x").is_none());
        for (_, value, _) in SECRET_SHAPES.iter().take(40) {
            let opaque_only = opaque_value(value).is_some() && secret_shape(value).is_none();
            assert_eq!(
                cl.classify("PUBLIC_X", value).is_some(),
                !opaque_only,
                "{value}"
            );
        }
    }

    #[test]
    fn commands_and_headers() {
        let cl = c();
        assert!(
            cl.classify_text("startCommand", "npm run start:service")
                .is_none()
        );
        assert!(
            cl.classify_text(
                "buildCommand",
                "pip install -r requirements.txt && python manage.py collectstatic --no-input"
            )
            .is_none()
        );
        for cmd in [
            "API_TOKEN=abc123 npm start",
            "./run --password hunter2",
            "./run --api-key=abc",
            "curl -H 'Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543' https://x.example",
            "pip install git+https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/a/b",
            "./seed Zx8Kq2Lm9Np4Rt7Vw3Yb6Cd1",
            r#"./run --config '{"db":{"password":"hunter2"}}'"#,
        ] {
            assert!(cl.classify_text("startCommand", cmd).is_some(), "{cmd}");
        }
        assert!(
            cl.classify_text("startCommand", "./run --password $DB_PASSWORD")
                .is_none()
        );
        assert!(cl.classify_text("Authorization", "Basic abc").is_some());
        assert!(
            cl.classify_text("Cache-Control", "public, max-age=31536000")
                .is_none()
        );
    }

    #[test]
    fn production_names() {
        assert!(names_production("APP_ENV", "prod"));
        assert!(names_production("SENTRY_ENVIRONMENT", "production"));
        assert!(names_production("DD_ENV", " Production "));
        assert!(names_production("PAYMENT_MODE", "live"));
        assert!(!names_production("NODE_ENV", "production"));
        assert!(!names_production("LOG_LEVEL", "info"));
        assert!(!names_production("STATUS", "live"));
    }

    /// A header or option named like a credential whose value is a setting word holds
    /// none; one with a real value does.
    #[test]
    fn credential_names_with_setting_values() {
        let cl = c();
        assert_eq!(
            cl.classify_text("Access-Control-Allow-Credentials", "true"),
            None
        );
        assert!(cl.classify_text("X-Api-Key", "k9Qm2Lp7Xw4Rt8Zv").is_some());
        assert_eq!(cl.classify_text("startCommand", "app --auth none"), None);
        assert!(
            cl.classify_text("startCommand", "app --auth hunter2isnotok")
                .is_some()
        );
    }

    #[test]
    fn fingerprints_are_keyed_and_stable() {
        let a = Fingerprinter::new(b"k1").unwrap();
        let b = Fingerprinter::new(b"k2").unwrap();
        assert_eq!(a.fingerprint("v"), a.fingerprint("v"));
        assert_ne!(a.fingerprint("v"), b.fingerprint("v"));
        assert!(a.fingerprint("v").starts_with("hmac-sha256:"));
        assert!(!format!("{a:?}").contains("k1"));
    }
}
