//! Every byte of YAML that stageprint reads or writes passes through this module, so the
//! parser and emitter behind it can be swapped without touching the pipeline.
//!
//! Reading: [`parse`] deserialises a typed value (serde_yaml, YAML 1.2) and keeps a
//! [`Locations`] index (an event pass with yaml-rust2) so that any later finding about a
//! path such as `env[3].match` can name the file, line and column it came from.
//!
//! Writing: [`quote`] is the one filter every generated string goes through; it emits a
//! scalar that YAML 1.1 and YAML 1.2 readers both read back as exactly the same string.
//! [`emit`] writes a JSON value as block YAML using the same filter.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A place in a file: `path/to/file.yaml:12:5`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Span {
    pub file: PathBuf,
    pub pos: Pos,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.pos)
    }
}

/// A problem with an input file, located to the line and column. Its message never
/// contains a value from the file, only key names and paths, so secrets cannot leak
/// through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// Where each node of a YAML document starts, keyed by its path (`a.b[2].c`).
#[derive(Debug, Clone, Default)]
pub struct Locations {
    file: PathBuf,
    nodes: OnceLock<HashMap<String, NodePos>>,
    /// The text to index on first use, for documents read with [`to_json_deferred`].
    source: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy)]
struct NodePos {
    /// Where the mapping key naming this node starts (absent for sequence items and the root).
    key: Option<Pos>,
    /// Where the node's value starts.
    value: Pos,
}

impl Locations {
    pub fn file(&self) -> &Path {
        &self.file
    }

    fn nodes(&self) -> &HashMap<String, NodePos> {
        self.nodes.get_or_init(|| {
            let text = self.source.as_deref().unwrap_or_default();
            build_index(text).map(|i| i.nodes).unwrap_or_default()
        })
    }

    /// The position of the key that names `path`, or of its value when it has no key.
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.nodes().get(path).map(|n| n.key.unwrap_or(n.value))
    }

    /// The position of the value at `path`.
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.nodes().get(path).map(|n| n.value)
    }

    /// The span of `path`, or of its nearest ancestor that exists, or of the file start.
    pub fn span(&self, path: &str) -> Span {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.key(&p) {
                return Span {
                    file: self.file.clone(),
                    pos,
                };
            }
            match parent_path(&p) {
                Some(parent) => p = parent,
                None => {
                    return Span {
                        file: self.file.clone(),
                        pos: Pos { line: 1, column: 1 },
                    };
                }
            }
        }
    }

    /// The span of the value at `path` (falling back like [`Locations::span`]).
    pub fn value_span(&self, path: &str) -> Span {
        match self.value(path) {
            Some(pos) => Span {
                file: self.file.clone(),
                pos,
            },
            None => self.span(path),
        }
    }

    /// An error located at `path`.
    pub fn error(&self, path: &str, message: impl Into<String>) -> InputError {
        InputError {
            span: self.span(path),
            message: message.into(),
            hint: None,
        }
    }
}

/// The parent of a path: `a.b[2]` → `a.b`, `a.b` → `a`, `a` → `` (root), root → none.
pub fn parent_path(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']')
        && let Some(i) = path.rfind('[')
    {
        return Some(path[..i].to_string());
    }
    match path.rfind('.') {
        Some(i) => Some(path[..i].to_string()),
        None => Some(String::new()),
    }
}

/// Join a key onto a path.
pub fn child_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Join a sequence index onto a path.
pub fn child_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

fn marker_pos(m: &Marker) -> Pos {
    Pos {
        line: m.line(),
        column: m.col() + 1,
    }
}

enum Frame {
    Map {
        path: String,
        /// The key just read, waiting for its value.
        pending_key: Option<(String, Pos)>,
        seen: HashMap<String, Pos>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

struct Indexer {
    nodes: HashMap<String, NodePos>,
    stack: Vec<Frame>,
    duplicate: Option<(String, Pos, Pos)>,
    non_string_key: Option<Pos>,
    /// Where nesting first went deeper than [`MAX_DEPTH`]; nothing after it is indexed.
    too_deep: Option<Pos>,
}

/// The deepest nesting of sequences and mappings any input may have. stageprint's inputs
/// are a few levels deep (a Blueprint about six, a snapshot about ten); the limit stops
/// hostile or broken files before any parser recurses that deep.
pub const MAX_DEPTH: usize = 100;

/// The largest config or overlay stageprint reads.
pub const MAX_SMALL_INPUT: u64 = 16 * 1024 * 1024;

/// The largest snapshot or Blueprint stageprint reads: the bundled snapshot holds about
/// 1.3 KB per resource, so 10,000 services with their env vars stay far below it.
pub const MAX_LARGE_INPUT: u64 = 256 * 1024 * 1024;

/// The position of byte `offset` of `bytes` (columns count characters).
fn pos_at(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    Pos { line, column }
}

/// Check raw input bytes: at most `limit` bytes, and UTF-8. Errors name the first byte
/// past the limit or the first invalid byte.
pub fn text_from_bytes(bytes: Vec<u8>, file: &Path, limit: u64) -> Result<String, InputError> {
    if bytes.len() as u64 > limit {
        return Err(InputError {
            span: Span {
                file: file.to_path_buf(),
                pos: pos_at(&bytes, limit as usize),
            },
            message: format!(
                "the file is larger than {} MiB, the size limit for this input",
                limit / (1024 * 1024)
            ),
            hint: Some("check that this is the file you meant; inputs this large are not written by hand or by stageprint".into()),
        });
    }
    // A byte-order mark is not content (editors on Windows write one).
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        InputError {
            span: Span {
                file: file.to_path_buf(),
                pos: pos_at(&bytes, offset),
            },
            message: format!(
                "the file is not UTF-8: byte 0x{:02X} at offset {offset} is not valid here",
                bytes[offset]
            ),
            hint: Some("save the file as UTF-8".into()),
        }
    })
}

/// Read an input file as text, bounded by `limit` bytes. The outer error is the file
/// system's (missing, unreadable); the inner one is located (too large, not UTF-8).
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<Result<String, InputError>> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(text_from_bytes(bytes, path, limit))
}

impl Indexer {
    /// Claim the path for a node starting at `pos`; returns it, or None if this node is a key.
    fn place(&mut self, pos: Pos, scalar: Option<&str>) -> Option<String> {
        match self.stack.last_mut() {
            None => {
                self.nodes.insert(
                    String::new(),
                    NodePos {
                        key: None,
                        value: pos,
                    },
                );
                Some(String::new())
            }
            Some(Frame::Seq { path, next }) => {
                let p = child_index(path, *next);
                *next += 1;
                self.nodes.insert(
                    p.clone(),
                    NodePos {
                        key: None,
                        value: pos,
                    },
                );
                Some(p)
            }
            Some(Frame::Map {
                path,
                pending_key,
                seen,
            }) => match pending_key.take() {
                None => {
                    // A block mapping's start event comes at its first `:`; the mapping
                    // really starts at its first key.
                    if seen.is_empty()
                        && let Some(node) = self.nodes.get_mut(path.as_str())
                        && pos < node.value
                    {
                        node.value = pos;
                    }
                    match scalar {
                        Some(k) => {
                            if let Some(first) = seen.get(k) {
                                if self.duplicate.is_none() {
                                    self.duplicate = Some((k.to_string(), *first, pos));
                                }
                            } else {
                                seen.insert(k.to_string(), pos);
                            }
                            *pending_key = Some((k.to_string(), pos));
                        }
                        None => {
                            if self.non_string_key.is_none() {
                                self.non_string_key = Some(pos);
                            }
                            *pending_key = Some((String::from("?"), pos));
                        }
                    }
                    None
                }
                Some((k, kpos)) => {
                    let p = child_key(path, &k);
                    self.nodes.insert(
                        p.clone(),
                        NodePos {
                            key: Some(kpos),
                            value: pos,
                        },
                    );
                    Some(p)
                }
            },
        }
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.too_deep.is_some() {
            return;
        }
        let pos = marker_pos(&mark);
        if matches!(ev, Event::SequenceStart(..) | Event::MappingStart(..))
            && self.stack.len() >= MAX_DEPTH
        {
            self.too_deep = Some(pos);
            return;
        }
        match ev {
            Event::Scalar(value, ..) => {
                self.place(pos, Some(&value));
            }
            Event::Alias(_) => {
                self.place(pos, None);
            }
            Event::SequenceStart(..) => {
                // A collection used as a mapping key is not valid config; index it anyway.
                let path = self.place(pos, None).unwrap_or_else(|| "?".into());
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingStart(..) => {
                let path = self.place(pos, None).unwrap_or_else(|| "?".into());
                self.stack.push(Frame::Map {
                    path,
                    pending_key: None,
                    seen: HashMap::new(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

fn build_index(text: &str) -> Result<Indexer, yaml_rust2::scanner::ScanError> {
    let (indexer, result) = build_index_checked(text);
    result.map(|()| indexer)
}

fn build_index_checked(text: &str) -> (Indexer, Result<(), yaml_rust2::scanner::ScanError>) {
    let mut indexer = Indexer {
        nodes: HashMap::new(),
        stack: Vec::new(),
        duplicate: None,
        non_string_key: None,
        too_deep: None,
    };
    let result = Parser::new_from_str(text).load(&mut indexer, false);
    (indexer, result)
}

/// Index a document: every node's path and position. Fails on YAML syntax errors and on
/// duplicate keys, with their position.
pub fn index(text: &str, file: &Path) -> Result<Locations, InputError> {
    let (indexer, result) = build_index_checked(text);
    let too_deep = |pos: Pos| {
        InputError {
        span: Span {
            file: file.to_path_buf(),
            pos,
        },
        message: format!("nesting deeper than {MAX_DEPTH} levels, the limit for any input"),
        hint: Some(
            "stageprint's inputs nest a few levels deep; look for unbalanced `[` or `{`, or a generated file gone wrong".into(),
        ),
    }
    };
    if let Some(pos) = indexer.too_deep {
        return Err(too_deep(pos));
    }
    let indexer = result.map(|()| indexer).map_err(|e| {
        // The scanner stops flow collections (`[[[…`) nested too deep on its own, ahead
        // of the events that count depth.
        if e.info().contains("recursion limit") {
            return too_deep(marker_pos(e.marker()));
        }
        InputError {
            span: Span {
                file: file.to_path_buf(),
                pos: marker_pos(e.marker()),
            },
            message: format!("invalid YAML: {}", e.info()),
            hint: Some("check the indentation and quoting on and just before this line".into()),
        }
    })?;
    if let Some((key, first, again)) = indexer.duplicate {
        return Err(InputError {
            span: Span {
                file: file.to_path_buf(),
                pos: again,
            },
            message: format!(
                "duplicate key `{key}` (first defined at line {})",
                first.line
            ),
            hint: Some("each key may appear once in a mapping; merge the two entries".into()),
        });
    }
    Ok(Locations {
        file: file.to_path_buf(),
        nodes: OnceLock::from(indexer.nodes),
        source: None,
    })
}

/// A typed document and the positions of its nodes.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub value: T,
    pub locations: Locations,
}

/// Parse `text` (read from `file`) into `T`. Errors name the file, line and column; an
/// unknown key names the key and suggests the closest known one.
pub fn parse<T: DeserializeOwned>(text: &str, file: &Path) -> Result<Parsed<T>, InputError> {
    let locations = index(text, file)?;
    let value = from_str_located(text, &locations)?;
    Ok(Parsed { value, locations })
}

/// Before text goes to serde_yaml unindexed: libyaml's time grows with the square of flow
/// nesting (`[[[…`), so a text whose brackets might nest deeper than [`MAX_DEPTH`] is
/// indexed first, which stops it with a located error. The count ignores quoting, so it
/// may index a harmless text too; that costs time, never a wrong answer.
fn guard_flow_depth(text: &str, file: &Path) -> Result<(), InputError> {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    index(text, file)?;
                    return Ok(());
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parse without keeping the index (large machine-written files): the fast path has no
/// path tracking; only a failure is parsed again to locate and explain it.
pub fn parse_unindexed<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T, InputError> {
    guard_flow_depth(text, file)?;
    match serde_yaml::from_str::<T>(text) {
        Ok(v) => Ok(v),
        Err(_) => {
            let locations = index(text, file)?;
            from_str_located(text, &locations)
        }
    }
}

fn deserialize<T: DeserializeOwned>(
    text: &str,
) -> Result<T, serde_path_to_error::Error<serde_yaml::Error>> {
    let de = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de)
}

fn from_str_located<T: DeserializeOwned>(
    text: &str,
    locations: &Locations,
) -> Result<T, InputError> {
    if text.trim().is_empty() {
        return Err(InputError {
            span: Span {
                file: locations.file.clone(),
                pos: Pos { line: 1, column: 1 },
            },
            message: "the file is empty".into(),
            hint: None,
        });
    }
    deserialize::<T>(text).map_err(|e| {
        let path = path_string(e.path());
        let inner = e.inner();
        let raw = inner.to_string();
        let message = strip_location(&raw);
        let pos = inner
            .location()
            .map(|l| Pos {
                line: l.line(),
                column: l.column(),
            })
            .or_else(|| locations.key(&path))
            .unwrap_or_else(|| locations.span(&path).pos);
        let (message, hint) = explain(&message, &path);
        InputError {
            span: Span {
                file: locations.file.clone(),
                pos,
            },
            message,
            hint,
        }
    })
}

fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out = child_index(&out, *index),
            Segment::Map { key } => out = child_key(&out, key),
            Segment::Enum { variant } => out = child_key(&out, variant),
            Segment::Unknown => {}
        }
    }
    out
}

fn strip_location(msg: &str) -> String {
    // serde_yaml appends " at line L column C"; the span carries that already. It may
    // also prefix the path, which we print ourselves.
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    let msg = match msg.split_once(": ") {
        Some((head, tail)) if !head.contains(' ') => tail,
        _ => msg,
    };
    msg.to_string()
}

/// Turn serde's messages into ours, with a suggestion for near misses. serde's wording
/// for unknown fields and variants is stable: "unknown field `x`, expected one of `a`, `b`".
fn explain(message: &str, path: &str) -> (String, Option<String>) {
    let at = if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    };
    for (prefix, noun) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((name, expected)) = rest.split_once('`')
        {
            let options = backticked(expected);
            let context = parent_path(path)
                .map(|p| child_key(&p, ""))
                .unwrap_or_default();
            let context = context.trim_end_matches('.');
            let place = if noun == "key" && !context.is_empty() {
                format!(" in `{context}`")
            } else if noun == "key" {
                " at the top level".to_string()
            } else {
                at.clone()
            };
            let hint = match suggest(name, &options) {
                Some(best) => Some(format!(
                    "did you mean `{best}`? Allowed: {}",
                    list(&options)
                )),
                None if options.is_empty() => Some("no keys are allowed here".into()),
                None => Some(format!("allowed: {}", list(&options))),
            };
            return (format!("unknown {noun} `{name}`{place}"), hint);
        }
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some((name, _)) = rest.split_once('`')
    {
        return (format!("missing required key `{name}`{at}"), None);
    }
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        // serde includes the offending value in these messages; a secret could be that
        // value, so say only what was expected.
        let expected = message
            .rsplit_once(", expected ")
            .map(|(_, e)| e.to_string())
            .unwrap_or_else(|| "a different type".into());
        return (format!("wrong type{at}: expected {expected}"), None);
    }
    if message.starts_with("repetition limit exceeded") {
        return (
            format!("aliases expand to too many nodes{at} (the limit on `*alias` expansion)"),
            Some("an alias (`*name`) repeats the node its anchor (`&name`) marks; nested aliases multiply, so write such values out".into()),
        );
    }
    if message.starts_with("recursion limit exceeded") {
        return (
            format!("nesting deeper than {MAX_DEPTH} levels, the limit for any input"),
            None,
        );
    }
    (format!("{message}{at}"), None)
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, p)| p.to_string())
        .collect()
}

fn list(options: &[String]) -> String {
    options
        .iter()
        .map(|o| format!("`{o}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest candidate to `name` by edit distance, if it is close enough to be a typo.
pub fn suggest<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(2))
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c.as_str())
}

impl Locations {
    /// Positions in `text`, indexed only if one is asked for.
    pub fn deferred(text: &str, file: &Path) -> Locations {
        Locations {
            file: file.to_path_buf(),
            nodes: OnceLock::new(),
            source: Some(Arc::from(text)),
        }
    }
}

/// Parse YAML that stageprint itself wrote into a JSON value. Its positions are indexed
/// only if something asks for one (a finding to locate), since such text rarely has any.
pub fn to_json_deferred(text: &str, file: &Path) -> Result<(Value, Locations), InputError> {
    guard_flow_depth(text, file)?;
    match serde_yaml::from_str::<Value>(text) {
        Ok(value) => Ok((value, Locations::deferred(text, file))),
        Err(_) => to_json(text, file),
    }
}

/// Parse any YAML into a JSON value (for schema validation of arbitrary Blueprints).
pub fn to_json(text: &str, file: &Path) -> Result<(Value, Locations), InputError> {
    let locations = index(text, file)?;
    let value: Value = from_str_located(text, &locations)?;
    Ok((value, locations))
}

/// Quote a string as a YAML scalar that YAML 1.1 and 1.2 readers both read back exactly.
///
/// Plain when the text is unambiguous in both versions; single-quoted when it only needs
/// protecting from being read as another type or as syntax; double-quoted with escapes
/// when it holds characters that single quotes cannot carry (line breaks, control
/// characters, byte-order marks, Unicode line separators).
pub fn quote(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    if s.chars().all(is_single_quotable) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double_quote(s)
}

fn is_single_quotable(c: char) -> bool {
    // Printable, no line breaks: a single-quoted scalar has no escapes, and a line break
    // inside it would be folded into a space.
    !(c.is_control()
        || matches!(
            c,
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
        || is_noncharacter(c))
}

fn is_noncharacter(c: char) -> bool {
    let u = c as u32;
    (0xfdd0..=0xfdef).contains(&u) || (u & 0xfffe) == 0xfffe
}

/// Words YAML 1.1 or 1.2 read as booleans or null (compared case-insensitively).
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Starting with a letter or `/` rules out numbers, timestamps, `.inf`, indicators
    // (`-`, `*`, `&`, `!`, `?`, `|`, `>`, `%`, `@`, quotes, `[`, `{`, `#`).
    if !(first.is_ascii_alphabetic() || first == '/') {
        return false;
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return false;
    }
    // No spaces, `:`, `#` or flow indicators anywhere: no chance of a key or comment.
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '+' | '@' | '='))
}

fn double_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if !is_single_quotable(c) => {
                let u = c as u32;
                if u <= 0xff {
                    out.push_str(&format!("\\x{u:02X}"));
                } else if u <= 0xffff {
                    out.push_str(&format!("\\u{u:04X}"));
                } else {
                    out.push_str(&format!("\\U{u:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Quote a string for use inside a YAML comment: one line, never breaking out of the
/// comment, never evaluated by anything.
pub fn comment_text(s: &str) -> String {
    double_quote(s)
}

/// Make free text safe to place after `#`: line breaks and control characters escaped,
/// so nothing after the comment marker can become YAML.
pub fn comment_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_single_quotable(c) {
            out.push(c);
        } else {
            let quoted = double_quote(&c.to_string());
            out.push_str(&quoted[1..quoted.len() - 1]);
        }
    }
    out
}

/// Emit a JSON value as a block YAML document (keys in the value's order, one trailing
/// newline). Strings go through [`quote`]; numbers and booleans are written as-is.
pub fn emit(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => emit_map(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => emit_seq(items, 0, &mut out),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(o) if o.is_empty() => "{}".into(),
        _ => unreachable!("collections are emitted as blocks"),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => false,
    }
}

fn emit_map(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (i, (k, v)) in map.iter().enumerate() {
        // The first key of a map inside a sequence item shares the `- ` line.
        if !(i == 0 && out.ends_with("- ")) {
            out.push_str(&pad);
        }
        out.push_str(&quote(k));
        out.push(':');
        if is_block(v) {
            out.push('\n');
            match v {
                Value::Object(m) => emit_map(m, indent + 2, out),
                Value::Array(a) => emit_seq(a, indent + 2, out),
                _ => unreachable!(),
            }
        } else {
            out.push(' ');
            out.push_str(&inline(v));
            out.push('\n');
        }
    }
}

fn emit_seq(items: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        out.push_str(&pad);
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => emit_map(m, indent + 2, out),
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                emit_seq(a, indent + 2, out);
            }
            other => {
                out.push_str(&inline(other));
                out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_are_located_by_line_and_character() {
        let f = Path::new("f.yaml");
        let e = text_from_bytes(b"a: 1\nb: \xc3\xa9\xc3\xa9\xff\n".to_vec(), f, 100).unwrap_err();
        assert_eq!(e.span.to_string(), "f.yaml:2:6");
        assert!(e.message.contains("0xFF"), "{}", e.message);
        // A sequence cut short is located at its first byte.
        let e = text_from_bytes(b"\xe2\x82".to_vec(), f, 100).unwrap_err();
        assert_eq!(e.span.to_string(), "f.yaml:1:1");
        let e = text_from_bytes(b"abc\ndef\n".to_vec(), f, 6).unwrap_err();
        assert_eq!(e.span.to_string(), "f.yaml:2:3");
        assert!(e.message.contains("size limit"), "{}", e.message);
        assert_eq!(
            text_from_bytes(b"\xef\xbb\xbfa: 1\n".to_vec(), f, 100).unwrap(),
            "a: 1\n"
        );
    }

    #[test]
    fn nesting_is_limited_in_every_form() {
        let f = Path::new("f.yaml");
        let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(index(&at_limit, f).is_ok());
        for n in [MAX_DEPTH + 1, 2 * MAX_DEPTH] {
            let cases: [(bool, String); 4] = [
                (true, format!("{}{}", "[".repeat(n), "]".repeat(n))),
                (true, format!("{}{}", "{a: ".repeat(n), "}".repeat(n))),
                (
                    false,
                    (0..n).map(|i| format!("{}-\n", " ".repeat(i))).collect(),
                ),
                (
                    false,
                    (0..n).map(|i| format!("{}k:\n", " ".repeat(i))).collect(),
                ),
            ];
            for (flow, text) in cases {
                let e = index(&text, f).unwrap_err();
                assert!(e.message.contains("nesting deeper than"), "{}", e.message);
                // Unindexed reads stop block nesting at the parser's own limit, a little
                // above ours.
                if !flow && n == MAX_DEPTH + 1 {
                    continue;
                }
                let e = parse_unindexed::<Value>(&text, f).unwrap_err();
                assert!(e.message.contains("nesting deeper than"), "{}", e.message);
                let e = to_json_deferred(&text, f).unwrap_err();
                assert!(e.message.contains("nesting deeper than"), "{}", e.message);
            }
        }
    }

    use serde::Deserialize;

    fn rt(s: &str) -> String {
        let doc = format!("v: {}\n", quote(s));
        let v: HashMap<String, String> = serde_yaml::from_str(&doc).unwrap();
        v["v"].clone()
    }

    #[test]
    fn quoting_round_trips_hostile_strings() {
        for s in [
            "off",
            "On",
            "YES",
            "n",
            "null",
            "~",
            "0755",
            "1e3",
            "1_000",
            "12:30",
            "2001-12-14",
            ".inf",
            "a: b",
            "x #y",
            " lead",
            "trail ",
            "-x",
            "*x",
            "&a",
            "!tag",
            "'q'",
            "\"d\"",
            "multi\nline",
            "tab\there",
            "",
            "{{ x }}",
            "{% if %}",
            "ünïcødé",
            "\u{2028}",
            "\u{85}",
            "\u{feff}x",
            "\r\n",
            "a\\b",
            "- item",
            "[1]",
            "{a: 1}",
            "? k",
            "| x",
            "> x",
            "%YAML",
            "@x",
            "`x",
            "=",
            "<<",
        ] {
            assert_eq!(rt(s), s, "round trip of {s:?} via {}", quote(s));
        }
    }

    #[test]
    fn quoting_is_plain_only_for_boring_words() {
        assert_eq!(quote("insurance-navigator-api"), "insurance-navigator-api");
        assert_eq!(quote("/health"), "/health");
        assert_eq!(quote("off"), "'off'");
        assert_eq!(quote("16"), "'16'");
        assert_eq!(quote("pro plus"), "'pro plus'");
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Rule {
        key: String,
        set: Option<String>,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        version: u32,
        rules: Vec<Rule>,
    }

    #[test]
    fn unknown_key_names_file_line_column_and_suggests() {
        let err = parse::<Doc>(
            "version: 1\nrules:\n  - key: A\n    sett: x\n",
            Path::new("o.yaml"),
        )
        .unwrap_err();
        assert_eq!(err.span.to_string(), "o.yaml:4:5");
        assert_eq!(err.message, "unknown key `sett` in `rules[0]`");
        assert!(err.hint.unwrap().starts_with("did you mean `set`?"));
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_are_located() {
        let err =
            parse::<Doc>("version: 1\nversion: 2\nrules: []\n", Path::new("o.yaml")).unwrap_err();
        assert_eq!(err.span.pos, Pos { line: 2, column: 1 });
        assert!(err.message.contains("duplicate key `version`"));
        let err = parse::<Doc>("version: 1\nrules: [\n", Path::new("o.yaml")).unwrap_err();
        assert_eq!(err.span.pos.line, 3);
        assert!(err.message.starts_with("invalid YAML"));
    }

    #[test]
    fn wrong_types_do_not_echo_values() {
        let err = parse::<Doc>(
            "version: 1\nrules:\n  - key: A\n    set: [sk_live_canary]\n",
            Path::new("o.yaml"),
        )
        .unwrap_err();
        assert!(!err.to_string().contains("canary"), "{err}");
        assert_eq!(err.span.pos.line, 4);
    }

    #[test]
    fn locations_cover_nested_paths() {
        let loc = index(
            "a:\n  b:\n    - x: 1\n      y: [2, 3]\n",
            Path::new("f.yaml"),
        )
        .unwrap();
        assert_eq!(loc.key("a.b[0].y"), Some(Pos { line: 4, column: 7 }));
        assert_eq!(
            loc.value("a.b[0].y[1]"),
            Some(Pos {
                line: 4,
                column: 14
            })
        );
        assert_eq!(loc.span("a.b[0].missing").pos, Pos { line: 3, column: 7 });
    }

    #[test]
    fn emit_round_trips_through_the_parser() {
        let v = serde_json::json!({
            "version": 1,
            "list": [{"a": "off", "b": [1, 2], "c": {}}, "x\ny", []],
            "empty": "",
            "nested": {"deep": {"k": true}},
        });
        let text = emit(&v);
        let back: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }
}
