//! Name patterns: `*` matches any run of characters (including none), `?` one character;
//! everything else matches itself. Used for env var keys, resource names and secret rules.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    text: String,
    case_insensitive: bool,
    kind: Kind,
}

/// Most patterns are a literal or a lone `*`; they match without the general algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    Literal,
    Any,
    Glob(Vec<char>),
}

impl Pattern {
    pub fn new(text: &str) -> Self {
        Pattern::build(text, false)
    }

    /// A pattern that ignores ASCII case (secret rules: `*_token` matches `API_TOKEN`).
    pub fn case_insensitive(text: &str) -> Self {
        Pattern::build(text, true)
    }

    fn build(text: &str, case_insensitive: bool) -> Self {
        let kind = if !text.contains(['*', '?']) {
            Kind::Literal
        } else if text.chars().all(|c| c == '*') {
            Kind::Any
        } else if case_insensitive {
            Kind::Glob(text.to_ascii_lowercase().chars().collect())
        } else {
            Kind::Glob(text.chars().collect())
        };
        Pattern {
            text: text.to_string(),
            case_insensitive,
            kind,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern has no wildcard: it names exactly one thing.
    pub fn is_literal(&self) -> bool {
        self.kind == Kind::Literal
    }

    pub fn matches(&self, s: &str) -> bool {
        match &self.kind {
            Kind::Literal if self.case_insensitive => self.text.eq_ignore_ascii_case(s),
            Kind::Literal => self.text == s,
            Kind::Any => true,
            Kind::Glob(_) => self.captures(s).is_some(),
        }
    }

    /// Match `s`, returning what each wildcard matched, in order.
    pub fn captures(&self, s: &str) -> Option<Vec<String>> {
        let p = match &self.kind {
            Kind::Literal => return self.matches(s).then(Vec::new),
            Kind::Any => return Some(vec![s.to_string()]),
            Kind::Glob(p) => p,
        };
        let t: Vec<char> = if self.case_insensitive {
            s.to_ascii_lowercase().chars().collect()
        } else {
            s.chars().collect()
        };
        let orig: Vec<char> = s.chars().collect();
        let mut caps = Vec::new();
        if matches_from(p, &t, 0, 0, &orig, &mut caps) {
            Some(caps)
        } else {
            None
        }
    }
}

/// Backtracking match recording captures. Patterns are short and have few stars, so the
/// cost is bounded by pattern stars × text length in practice; a run of stars collapses.
fn matches_from(
    p: &[char],
    t: &[char],
    pi: usize,
    ti: usize,
    orig: &[char],
    caps: &mut Vec<String>,
) -> bool {
    if pi == p.len() {
        return ti == t.len();
    }
    match p[pi] {
        '*' => {
            let mut next = pi + 1;
            while next < p.len() && p[next] == '*' {
                next += 1;
            }
            for end in ti..=t.len() {
                let depth = caps.len();
                caps.push(orig[ti..end].iter().collect());
                if matches_from(p, t, next, end, orig, caps) {
                    return true;
                }
                caps.truncate(depth);
            }
            false
        }
        '?' => {
            if ti < t.len() {
                let depth = caps.len();
                caps.push(orig[ti].to_string());
                if matches_from(p, t, pi + 1, ti + 1, orig, caps) {
                    return true;
                }
                caps.truncate(depth);
            }
            false
        }
        c => ti < t.len() && t[ti] == c && matches_from(p, t, pi + 1, ti + 1, orig, caps),
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Replace each `*` in `template` with the next capture (a rename's target pattern).
pub fn substitute(template: &str, captures: &[String]) -> String {
    let mut out = String::new();
    let mut caps = captures.iter();
    for c in template.chars() {
        if c == '*' || c == '?' {
            if let Some(cap) = caps.next() {
                out.push_str(cap);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(Pattern::new("FEATURE_*").matches("FEATURE_FLAG_X"));
        assert!(Pattern::new("*").matches(""));
        assert!(!Pattern::new("FEATURE_*").matches("XFEATURE_"));
        assert!(Pattern::new("a?c").matches("abc"));
        assert!(Pattern::case_insensitive("*_token").matches("API_TOKEN"));
        assert!(!Pattern::new("*_token").matches("API_TOKEN"));
        assert!(Pattern::new("A").is_literal());
    }

    #[test]
    fn captures_feed_substitution() {
        let caps = Pattern::new("insurance-navigator-*")
            .captures("insurance-navigator-api")
            .unwrap();
        assert_eq!(
            substitute("insurance-navigator-staging-*", &caps),
            "insurance-navigator-staging-api"
        );
    }
}
