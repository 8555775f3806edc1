//! Secret classification and keyed fingerprints.
//!
//! Classification happens once, at ingestion (when API values become domain values):
//! after it, a secret exists only as the name of the rule that classified it and an
//! optional HMAC-SHA256 fingerprint. Rules come from `stageprint.yaml` plus defaults:
//! key names, known token shapes, credentials inside URLs, and high-entropy values.

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

/// Value prefixes of well-known credentials.
const TOKEN_PREFIXES: &[(&str, &str)] = &[
    ("sk_live_", "Stripe live secret key"),
    ("sk_test_", "Stripe test secret key"),
    ("rk_live_", "Stripe restricted key"),
    ("rk_test_", "Stripe restricted key"),
    ("whsec_", "webhook signing secret"),
    ("ghp_", "GitHub token"),
    ("gho_", "GitHub token"),
    ("ghu_", "GitHub token"),
    ("ghs_", "GitHub token"),
    ("ghr_", "GitHub token"),
    ("github_pat_", "GitHub token"),
    ("glpat-", "GitLab token"),
    ("npm_", "npm token"),
    ("sk-", "API secret key"),
    ("AIza", "Google API key"),
    ("SG.", "SendGrid key"),
    ("xoxa-", "Slack token"),
    ("xoxb-", "Slack token"),
    ("xoxp-", "Slack token"),
    ("xoxr-", "Slack token"),
    ("xoxs-", "Slack token"),
    ("xapp-", "Slack token"),
    ("-----BEGIN", "PEM block"),
];

/// Rules a user adds in `stageprint.yaml`.
#[derive(Debug, Clone, Default)]
pub struct SecretRules {
    /// Key patterns that are always secret.
    pub secret_keys: Vec<String>,
    /// Key patterns that are never secret by name or entropy (token shapes and
    /// credentials in URLs still are: they cannot be a false positive worth leaking).
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
    pub fn classify(&self, key: &str, value: &str) -> Option<String> {
        if let Some(p) = self.user_secret.iter().find(|p| p.matches(key)) {
            return Some(format!("config secret key `{p}`"));
        }
        if let Some(why) = token_shape(value) {
            return Some(format!("value shape: {why}"));
        }
        if url_has_credentials(value) {
            return Some("value has credentials inside a URL".into());
        }
        if self.user_plain.iter().any(|p| p.matches(key)) {
            return None;
        }
        if let Some(p) = self.default_secret.iter().find(|p| p.matches(key)) {
            return Some(format!("key name `{p}`"));
        }
        if high_entropy(value) {
            return Some("high-entropy value".into());
        }
        None
    }

    /// Classification of a secret file: always secret (the API returns file contents in
    /// plaintext and there is no Blueprint field for them).
    pub fn file_rule() -> String {
        "secret file".into()
    }
}

/// Why a value is a secret by its shape alone (a known token format or credentials inside
/// a URL), whatever its key: such a value must never be written into a generated file.
pub fn secret_shape(value: &str) -> Option<String> {
    if let Some(why) = token_shape(value) {
        return Some(format!("value shape: {why}"));
    }
    url_has_credentials(value).then(|| "value has credentials inside a URL".to_string())
}

fn token_shape(value: &str) -> Option<&'static str> {
    let v = value.trim_start();
    for (prefix, what) in TOKEN_PREFIXES {
        if v.starts_with(prefix) && v.len() > prefix.len() + 3 {
            return Some(what);
        }
    }
    if is_aws_access_key(v) {
        return Some("AWS access key id");
    }
    if looks_like_jwt(v) {
        return Some("JSON Web Token");
    }
    if v.contains("PRIVATE KEY-----") {
        return Some("PEM private key");
    }
    None
}

fn is_aws_access_key(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 20
        && (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && b[..20]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && (b.len() == 20 || !b[20].is_ascii_alphanumeric())
}

fn looks_like_jwt(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        })
}

/// `scheme://user:password@host…` with a non-empty password, anywhere in the value.
pub fn url_has_credentials(value: &str) -> bool {
    let mut rest = value;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let authority_end = after
            .find(['/', '?', '#', ' ', ',', ';'])
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some((_, pw)) = userinfo.split_once(':') {
                if !pw.is_empty() {
                    return true;
                }
            }
        }
        rest = after;
    }
    false
}

/// Long, unbroken, random-looking strings: generated keys and tokens.
fn high_entropy(value: &str) -> bool {
    let v = value.trim();
    if v.len() < 20 || v.len() > 4096 || v.chars().any(char::is_whitespace) || v.contains("://") {
        return false;
    }
    let has_lower = v.bytes().any(|c| c.is_ascii_lowercase());
    let has_upper = v.bytes().any(|c| c.is_ascii_uppercase());
    let has_digit = v.bytes().any(|c| c.is_ascii_digit());
    let classes = [has_lower, has_upper, has_digit]
        .iter()
        .filter(|x| **x)
        .count();
    if classes < 2 {
        return false;
    }
    // Identifiers and paths (`insurance-navigator-claims-exports-prod`) are long but made of
    // words; random strings have few separators relative to their length.
    let separators = v
        .bytes()
        .filter(|c| matches!(c, b'-' | b'_' | b'.' | b'/' | b',' | b':'))
        .count();
    if separators * 6 > v.len() {
        return false;
    }
    shannon_bits(v) >= 4.0
}

fn shannon_bits(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
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
