//! Editing a post file's front matter the way its author would: the lines of keys an edit
//! does not touch keep their bytes (comments, quoting, order, blank lines, line endings), a
//! changed key is rewritten where it stands, a new key is appended after the last one, and a
//! removed key's lines go. Values are written as YAML that reads back as exactly the value
//! asked for, in YAML 1.2 (inkgraph) and 1.1 (Jekyll) alike: strings that would read as
//! something else (`yes`, `no`, `1.10`, `2025-08-07`, `~`), or that start with an indicator
//! (`@`, `*`, `-`, `?`, quotes, …) or hold `: `/` #` are quoted; multi-line strings become
//! literal blocks (`|`).
//!
//! Every result is checked before it is returned: its front matter is parsed again and must
//! equal the original front matter with exactly the edits applied, else the edit is refused
//! ([`EditError`]) rather than written.

use crate::corpus::front_matter::{split, UnclosedFrontMatter};
use crate::corpus::yaml::parse_mapping;
use serde_json::{Map, Value};

/// One change to a front matter.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Sets a key (rewriting its lines where it stands, or appending it).
    Set(String, Value),
    /// Removes a key and its lines.
    Remove(String),
    /// Adds one item to a list-valued key (a string value becomes a list of two; a missing
    /// key a list of one). A block list gets one more `- item` line.
    Append(String, Value),
}

impl Edit {
    fn key(&self) -> &str {
        match self {
            Edit::Set(key, _) | Edit::Remove(key) | Edit::Append(key, _) => key,
        }
    }
}

/// Why a front matter cannot be edited safely; nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The file's front matter does not parse (or opens and never closes).
    #[error("the front matter is not valid YAML ({0}); fix the file first")]
    Invalid(String),
    /// A key name that cannot be written (empty, or with a line break).
    #[error("`{0}` cannot be a front-matter key: keys must be non-empty and on one line")]
    BadKey(String),
    /// The file's own layout defeats an edit that keeps its bytes (anchors shared between
    /// keys, complex keys): the edit would change other keys.
    #[error("changing `{0}` would change other keys of this front matter (it shares YAML anchors or uses complex keys); edit the file by hand")]
    Entangled(String),
}

/// A front matter line's quoting, kept when a scalar is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Any,
    Single,
    Double,
}

/// How a list was written, kept when it is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListStyle {
    /// `[a, b]` (also the default for short lists of scalars).
    Flow,
    /// `- a` lines, the dash this many columns in.
    Block(usize),
}

/// One top-level key's lines (or the lines before the first key).
#[derive(Debug, Clone)]
struct Segment {
    /// The key, as parsed (`None` for the lines before the first key).
    key: Option<String>,
    /// The key as written, up to its colon.
    raw_key: String,
    /// The key's lines, each with its line ending.
    content: String,
    /// Blank lines and unindented comments after them, kept whatever happens to the key.
    trivia: String,
}

/// Applies `edits` (in order) to the front matter of `text`, and replaces the body with
/// `body` when given. Returns the new file text; see the module docs for what is kept.
pub fn edit_file(text: &str, edits: &[Edit], body: Option<&str>) -> Result<String, EditError> {
    let (bom, text) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let parts = split(text).map_err(|UnclosedFrontMatter| {
        EditError::Invalid("it opens with `---` and never closes".into())
    })?;
    let (opening, yaml, closing, old_body) = match parts.yaml {
        Some(yaml) => {
            let yaml_start = yaml.as_ptr() as usize - text.as_ptr() as usize;
            let yaml_end = yaml_start + yaml.len();
            let body_start = text.len() - parts.body.len();
            (
                &text[..yaml_start],
                yaml,
                &text[yaml_end..body_start],
                parts.body,
            )
        }
        None => ("---\n", "", "---\n", text),
    };
    let newline = match opening.ends_with("\r\n") {
        true => "\r\n",
        false => "\n",
    };
    let original = parse_mapping(yaml).map_err(|err| EditError::Invalid(err.message))?;
    let mut segments = segment(yaml);
    let mut expected = original.clone();
    for edit in edits {
        let key = edit.key();
        if key.is_empty() || key.contains(['\n', '\r']) {
            return Err(EditError::BadKey(key.to_string()));
        }
        apply_to_map(&mut expected, edit);
        apply_to_segments(&mut segments, edit, &expected, newline);
    }
    let mut new_yaml: String = segments
        .iter()
        .map(|s| format!("{}{}", s.content, s.trivia))
        .collect();
    if !new_yaml.is_empty() && !new_yaml.ends_with('\n') {
        new_yaml.push_str(newline);
    }
    let reparsed = parse_mapping(&new_yaml).map_err(|_| entangled(edits))?;
    if reparsed != expected || !reparsed.keys().eq(expected.keys()) {
        return Err(entangled(edits));
    }
    let body = body.unwrap_or(old_body);
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(bom);
    out.push_str(opening);
    out.push_str(&new_yaml);
    out.push_str(closing);
    if !closing.ends_with('\n') && !body.is_empty() {
        out.push_str(newline);
    }
    out.push_str(body);
    Ok(out)
}

/// The parsed front matter of a file's text (empty when it has none).
pub fn front_matter_of(text: &str) -> Result<Map<String, Value>, EditError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parts = split(text).map_err(|UnclosedFrontMatter| {
        EditError::Invalid("it opens with `---` and never closes".into())
    })?;
    parse_mapping(parts.yaml.unwrap_or("")).map_err(|err| EditError::Invalid(err.message))
}

fn entangled(edits: &[Edit]) -> EditError {
    let keys: Vec<&str> = edits.iter().map(Edit::key).collect();
    EditError::Entangled(keys.join("`, `"))
}

/// What the front matter must parse to after `edit`.
fn apply_to_map(map: &mut Map<String, Value>, edit: &Edit) {
    match edit {
        Edit::Set(key, value) => {
            map.insert(key.clone(), value.clone());
        }
        Edit::Remove(key) => {
            map.shift_remove(key);
        }
        Edit::Append(key, item) => {
            let list = match map.get(key) {
                Some(Value::Array(items)) => {
                    let mut items = items.clone();
                    items.push(item.clone());
                    items
                }
                Some(Value::Null) | None => vec![item.clone()],
                Some(other) => vec![other.clone(), item.clone()],
            };
            map.insert(key.clone(), Value::Array(list));
        }
    }
}

/// Rewrites the segments for `edit`; `expected` is the whole front matter after it.
fn apply_to_segments(
    segments: &mut Vec<Segment>,
    edit: &Edit,
    expected: &Map<String, Value>,
    newline: &str,
) {
    let key = edit.key();
    let positions: Vec<usize> = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.key.as_deref() == Some(key))
        .map(|(i, _)| i)
        .collect();
    // A repeated key reads as its last value: the first place is rewritten, the others go.
    let remove_repeats = |segments: &mut Vec<Segment>, keep: Option<usize>| {
        for &i in positions.iter().rev() {
            if Some(i) != keep {
                segments[i].content.clear();
                segments[i].key = None;
            }
        }
    };
    match edit {
        Edit::Remove(_) => remove_repeats(segments, None),
        Edit::Append(_, item) if positions.len() == 1 => {
            let segment = &mut segments[positions[0]];
            match append_line(segment, item, newline) {
                Some(line) => segment.content.push_str(&line),
                None => {
                    let value = expected.get(key).cloned().unwrap_or(Value::Null);
                    rewrite(segment, &value, newline);
                }
            }
        }
        Edit::Set(_, _) | Edit::Append(_, _) => {
            let value = expected.get(key).cloned().unwrap_or(Value::Null);
            match positions.first() {
                Some(&first) => {
                    remove_repeats(segments, Some(first));
                    rewrite(&mut segments[first], &value, newline);
                }
                None => {
                    let mut segment = Segment {
                        key: Some(key.to_string()),
                        raw_key: key_text(key),
                        content: String::new(),
                        trivia: String::new(),
                    };
                    rewrite(&mut segment, &value, newline);
                    // After everything, with a line break before it if the text lacked one.
                    if let Some(last) = segments.last_mut() {
                        let tail = match last.trivia.is_empty() {
                            true => &mut last.content,
                            false => &mut last.trivia,
                        };
                        if !tail.is_empty() && !tail.ends_with('\n') {
                            tail.push_str(newline);
                        }
                    }
                    segments.push(segment);
                }
            }
        }
    }
}

/// The line that adds `item` to a block list segment, when the segment is one.
fn append_line(segment: &Segment, item: &Value, newline: &str) -> Option<String> {
    let ListStyle::Block(indent) = list_style(&segment.content)? else {
        return None;
    };
    let inline = match item {
        Value::Array(_) | Value::Object(_) => return None,
        scalar => inline_scalar(scalar, Context::Block, Quote::Any)?,
    };
    let mut line = String::new();
    if !segment.content.ends_with('\n') {
        line.push_str(newline);
    }
    line.push_str(&" ".repeat(indent));
    line.push_str("- ");
    line.push_str(&inline);
    line.push_str(newline);
    Some(line)
}

/// Replaces a segment's lines by `key: value` written afresh, keeping the key's spelling and
/// the quoting or list style of the old value.
fn rewrite(segment: &mut Segment, value: &Value, newline: &str) {
    let quote = old_quote(&segment.content);
    let list = list_style(&segment.content);
    let emitted = emit(value, 0, quote, list);
    let mut content = format!("{}:{}{newline}", segment.raw_key, emitted.head);
    for line in &emitted.lines {
        content.push_str(line);
        content.push_str(newline);
    }
    segment.content = content;
}

/// The quoting of a segment's scalar value (after `key:` on its first line).
fn old_quote(content: &str) -> Quote {
    let first = content.lines().next().unwrap_or("");
    let value = key_end(first).map_or("", |end| first[end..].trim_start_matches(':'));
    match value.trim_start().chars().next() {
        Some('\'') => Quote::Single,
        Some('"') => Quote::Double,
        _ => Quote::Any,
    }
}

/// How a segment's list value is written, if it is one.
fn list_style(content: &str) -> Option<ListStyle> {
    let mut lines = content.lines();
    let first = lines.next()?;
    let value = first[key_end(first)?..].trim_start_matches(':').trim();
    if value.starts_with('[') {
        return Some(ListStyle::Flow);
    }
    if !value.is_empty() && !value.starts_with('#') {
        return None;
    }
    let second = lines.find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))?;
    let trimmed = second.trim_start_matches(' ');
    (trimmed == "-" || trimmed.starts_with("- ") || trimmed.starts_with("-\t"))
        .then(|| ListStyle::Block(second.len() - trimmed.len()))
}

/// Cuts a front matter into segments: each top-level key's lines, its trailing blank lines
/// and unindented comments apart.
fn segment(yaml: &str) -> Vec<Segment> {
    let mut segments = vec![Segment {
        key: None,
        raw_key: String::new(),
        content: String::new(),
        trivia: String::new(),
    }];
    let mut pending = String::new();
    for line in yaml.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare.trim().is_empty() || bare.starts_with('#') {
            pending.push_str(line);
            continue;
        }
        let key = top_level_key(bare);
        let current = segments.last_mut().expect("never empty");
        match key {
            Some((key, raw_key)) => {
                current.trivia.push_str(&pending);
                pending.clear();
                segments.push(Segment {
                    key: Some(key),
                    raw_key,
                    content: line.to_string(),
                    trivia: String::new(),
                });
            }
            None => {
                current.content.push_str(&pending);
                pending.clear();
                current.content.push_str(line);
            }
        }
    }
    if let Some(last) = segments.last_mut() {
        last.trivia.push_str(&pending);
    }
    segments
}

/// Where the key of a `key: value` line ends (the offset of its `:`), for an unindented
/// line that starts a key.
fn key_end(line: &str) -> Option<usize> {
    let first = line.chars().next()?;
    if matches!(first, ' ' | '\t' | '#' | '?' | '[' | '{' | '%' | '|' | '>')
        || line == "-"
        || line.starts_with("- ")
        || line.starts_with("-\t")
    {
        return None;
    }
    let bytes = line.as_bytes();
    let mut i = 0;
    if first == '"' || first == '\'' {
        let quote = bytes[0];
        i = 1;
        loop {
            match bytes.get(i) {
                None => return None,
                Some(b'\\') if quote == b'"' => i += 2,
                Some(&b) if b == quote => {
                    if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                }
                Some(_) => i += 1,
            }
        }
        let rest = &line[i..];
        let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let colon = i + spaces;
        return (bytes.get(colon) == Some(&b':')
            && bytes
                .get(colon + 1)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r')))
        .then_some(colon);
    }
    while i < bytes.len() {
        if bytes[i] == b':'
            && bytes
                .get(i + 1)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r'))
        {
            return Some(i);
        }
        if bytes[i] == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\t') {
            return None;
        }
        i += 1;
    }
    None
}

/// The key (as parsed) and its text as written, of a line that starts a top-level key.
fn top_level_key(line: &str) -> Option<(String, String)> {
    let end = key_end(line)?;
    let raw = line[..end].trim_end_matches([' ', '\t']);
    if raw.is_empty() {
        return None;
    }
    if is_plain_key(raw) {
        return Some((raw.to_string(), raw.to_string()));
    }
    let parsed = parse_mapping(&format!("{raw}: ~\n")).ok()?;
    let mut keys = parsed.keys();
    match (keys.next(), keys.next()) {
        (Some(key), None) => Some((key.clone(), raw.to_string())),
        _ => None,
    }
}

/// A key that reads as itself when written plainly in YAML 1.1 and 1.2.
fn is_plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !reads_as_non_string(key)
}

/// How to write a new key.
fn key_text(key: &str) -> String {
    match is_plain_key(key) {
        true => key.to_string(),
        false => double_quoted(key),
    }
}

/// A value written after `key:`: what follows the colon on its line, and the lines after.
struct Emitted {
    head: String,
    lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// A block value (after `key: ` or `- `).
    Block,
    /// Inside `[…]`.
    Flow,
}

/// Flow lists longer than this (written) become block lists.
const FLOW_WIDTH: usize = 80;

/// Writes `value` as the value of a key whose line is indented `indent` columns.
fn emit(value: &Value, indent: usize, quote: Quote, list: Option<ListStyle>) -> Emitted {
    let child = indent + 2;
    match value {
        Value::Array(items) if items.is_empty() => inline(" []"),
        Value::Object(map) if map.is_empty() => inline(" {}"),
        Value::Array(items) => {
            let flow = match list {
                Some(ListStyle::Block(_)) => None,
                _ => flow_list(items).filter(|f| f.len() <= FLOW_WIDTH),
            };
            if let Some(flow) = flow {
                return inline(&format!(" {flow}"));
            }
            let dash = match list {
                Some(ListStyle::Block(dash)) if indent == 0 => dash,
                _ => indent,
            };
            let mut lines = Vec::new();
            for item in items {
                // A mapping's keys line up after `- ` (emit indents them past `indent`).
                let at = match item {
                    Value::Object(_) => dash,
                    _ => dash + 2,
                };
                let inner = emit(item, at, Quote::Any, None);
                match (inner.head.is_empty(), item) {
                    // A mapping: its first line goes on the dash's line.
                    (true, Value::Object(_)) => {
                        let mut inner_lines = inner.lines.into_iter();
                        let first = inner_lines.next().unwrap_or_default();
                        lines.push(format!("{}- {}", " ".repeat(dash), first.trim_start()));
                        lines.extend(inner_lines);
                    }
                    (true, _) => {
                        lines.push(format!("{}-", " ".repeat(dash)));
                        lines.extend(inner.lines);
                    }
                    (false, _) => {
                        lines.push(format!("{}-{}", " ".repeat(dash), inner.head));
                        lines.extend(inner.lines);
                    }
                }
            }
            Emitted {
                head: String::new(),
                lines,
            }
        }
        Value::Object(map) => {
            let mut lines = Vec::new();
            for (key, value) in map {
                let inner = emit(value, child, Quote::Any, None);
                lines.push(format!(
                    "{}{}:{}",
                    " ".repeat(child),
                    key_text(key),
                    inner.head
                ));
                lines.extend(inner.lines);
            }
            Emitted {
                head: String::new(),
                lines,
            }
        }
        Value::String(s) if s.contains('\n') => match literal_block(s, child) {
            Some((header, lines)) => Emitted {
                head: format!(" {header}"),
                lines,
            },
            None => inline(&format!(" {}", double_quoted(s))),
        },
        scalar => {
            let text = inline_scalar(scalar, Context::Block, quote)
                .unwrap_or_else(|| serde_json::to_string(scalar).unwrap_or_default());
            inline(&format!(" {text}"))
        }
    }
}

fn inline(head: &str) -> Emitted {
    Emitted {
        head: head.to_string(),
        lines: Vec::new(),
    }
}

/// `[a, b]` when every item is a one-line scalar.
fn flow_list(items: &[Value]) -> Option<String> {
    let written: Option<Vec<String>> = items
        .iter()
        .map(|item| match item {
            Value::Array(_) | Value::Object(_) => None,
            Value::String(s) if s.contains('\n') => None,
            scalar => inline_scalar(scalar, Context::Flow, Quote::Any),
        })
        .collect();
    Some(format!("[{}]", written?.join(", ")))
}

/// A scalar on one line: plain when that reads back as the same value, else quoted (in the
/// old value's quoting when that can hold it).
fn inline_scalar(value: &Value, context: Context, quote: Quote) -> Option<String> {
    match value {
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(quoted_or_plain(s, context, quote)),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn quoted_or_plain(s: &str, context: Context, quote: Quote) -> String {
    let single_ok = !s.chars().any(needs_escape);
    match quote {
        Quote::Double => return double_quoted(s),
        Quote::Single if single_ok => return single_quoted(s),
        _ => {}
    }
    if quote == Quote::Any && is_plain_safe(s, context) && reads_back(s, context) {
        return s.to_string();
    }
    match single_ok {
        true => single_quoted(s),
        false => double_quoted(s),
    }
}

/// Characters only a double-quoted scalar can carry (as escapes).
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Whether `s` may be written without quotes: no indicator at its start, nothing that
/// starts a comment or a mapping inside, and nothing YAML 1.1 or 1.2 reads as another type.
fn is_plain_safe(s: &str, context: Context) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.starts_with([' ', '\t'])
        || s.ends_with([' ', '\t', ':'])
        || s.contains(": ")
        || s.contains(":\t")
        || s.contains(" #")
        || s.contains("\t#")
        || s.chars().any(|c| needs_escape(c) || c == '\t')
        || (context == Context::Flow && s.contains([',', '[', ']', '{', '}']))
        || s == "="
        || s == "<<"
    {
        return false;
    }
    !reads_as_non_string(s)
}

/// Whether YAML 1.1 (Jekyll's Psych) or 1.2 reads `s`, written plainly, as a boolean, null,
/// number or timestamp.
fn reads_as_non_string(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "y" | "yes" | "n" | "no" | "true" | "false" | "on" | "off" | "null" | "~" | ""
    ) {
        return true;
    }
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, ".inf" | ".nan" | "inf" | "nan" | "infinity") {
        return true;
    }
    let digits_and = |extra: &str| {
        unsigned
            .chars()
            .all(|c| c.is_ascii_digit() || extra.contains(c))
    };
    let starts_numeric = unsigned
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    // Integers, floats, sexagesimal (1:30), octal/hex/binary, with `_` separators.
    if starts_numeric && digits_and("._:e+-") {
        return true;
    }
    if (unsigned.starts_with("0x") || unsigned.starts_with("0o") || unsigned.starts_with("0b"))
        && unsigned[2..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '_')
    {
        return true;
    }
    // Timestamps: YYYY-M-D, with or without a time.
    let date: Vec<&str> = s.splitn(3, '-').collect();
    if date.len() == 3
        && date[0].len() == 4
        && date[0].chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&date[1].len())
        && date[1].chars().all(|c| c.is_ascii_digit())
        && date[2].chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        return true;
    }
    false
}

/// Whether `s` written plainly parses back to the string `s` (in a block value or a list).
fn reads_back(s: &str, context: Context) -> bool {
    let text = match context {
        Context::Block => format!("k: {s}\n"),
        Context::Flow => format!("k: [{s}]\n"),
    };
    let Ok(map) = parse_mapping(&text) else {
        return false;
    };
    let expected = Value::String(s.to_string());
    match (context, map.get("k")) {
        (Context::Block, Some(v)) => *v == expected,
        (Context::Flow, Some(Value::Array(items))) => items.len() == 1 && items[0] == expected,
        _ => false,
    }
}

fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A double-quoted scalar, with every character that needs it escaped.
pub(crate) fn double_quoted(s: &str) -> String {
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
            c if needs_escape(c) => {
                let code = c as u32;
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else {
                    out.push_str(&format!("\\u{code:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line string as a literal block (`|`, `|-` or `|+`) indented `indent` columns,
/// when one can hold it exactly.
fn literal_block(s: &str, indent: usize) -> Option<(String, Vec<String>)> {
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    if content.trim().is_empty()
        || content.starts_with([' ', '\t'])
        || s.chars().any(|c| needs_escape(c) && c != '\n')
    {
        return None;
    }
    let header = match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    let pad = " ".repeat(indent.max(1));
    let mut lines: Vec<String> = content
        .split('\n')
        .map(|line| match line.is_empty() {
            true => String::new(),
            false => format!("{pad}{line}"),
        })
        .collect();
    lines.extend(std::iter::repeat_n(
        String::new(),
        trailing.saturating_sub(1),
    ));
    // Checked, as plain scalars are: it must read back as `s`.
    let text = format!("k: {header}\n{}\n", lines.join("\n"));
    let reads = parse_mapping(&text)
        .ok()
        .is_some_and(|map| map.get("k") == Some(&Value::String(s.to_string())));
    reads.then(|| (header.to_string(), lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(key: &str, value: Value) -> Edit {
        Edit::Set(key.into(), value)
    }

    const POST: &str = "---\nlayout: Post\n# written by hand\ndate: '2025-08-07 02:54:48 +0000'\ntitle: \"Old: title\"\ntags:\n- tools\n- vim\nredirect_from:\n- \"/old\"\n\n---\nBody\n";

    #[test]
    fn untouched_lines_keep_their_bytes() {
        let out = edit_file(POST, &[set("title", json!("New title"))], None).expect("edit");
        assert_eq!(out, POST.replace("\"Old: title\"", "\"New title\""));
        let out = edit_file(POST, &[set("toc", json!(true))], None).expect("edit");
        assert_eq!(out, POST.replace("\n\n---", "\n\ntoc: true\n---"));
        let out = edit_file(POST, &[Edit::Remove("tags".into())], None).expect("edit");
        assert_eq!(out, POST.replace("tags:\n- tools\n- vim\n", ""));
        let out = edit_file(
            POST,
            &[Edit::Append("redirect_from".into(), json!("/x/"))],
            None,
        )
        .expect("edit");
        assert_eq!(out, POST.replace("- \"/old\"\n", "- \"/old\"\n- /x/\n"));
        let out = edit_file(POST, &[set("tags", json!(["a", "b: c"]))], None).expect("edit");
        assert_eq!(out, POST.replace("- tools\n- vim\n", "- a\n- 'b: c'\n"));
        let out = edit_file(POST, &[], Some("New body\n")).expect("edit");
        assert_eq!(out, POST.replace("Body\n", "New body\n"));
    }

    #[test]
    fn values_are_quoted_where_yaml_would_misread_them() {
        for (value, written) in [
            ("yes", "'yes'"),
            ("No", "'No'"),
            ("1.10", "'1.10'"),
            ("@handle", "'@handle'"),
            ("*star", "'*star'"),
            ("- dash", "'- dash'"),
            ("a: b", "'a: b'"),
            ("it's", "it's"),
            ("'quoted'", "'''quoted'''"),
            ("x #y", "'x #y'"),
            ("2025-08-07", "'2025-08-07'"),
            ("~", "'~'"),
            ("tab\there", "'tab\there'"),
            ("bell\u{7}", "\"bell\\x07\""),
            ("plain words", "plain words"),
        ] {
            let out = edit_file("---\n---\n", &[set("k", json!(value))], None).expect(value);
            assert_eq!(out, format!("---\nk: {written}\n---\n"), "{value}");
            assert_eq!(front_matter_of(&out).expect("parses")["k"], json!(value));
        }
        let out = edit_file(
            "---\n---\n",
            &[set("d", json!("line one\nline two\n"))],
            None,
        )
        .expect("multi-line");
        assert_eq!(out, "---\nd: |\n  line one\n  line two\n---\n");
    }

    #[test]
    fn files_without_front_matter_get_one_and_crlf_is_kept() {
        let out = edit_file("Just text\n", &[set("title", json!("T"))], None).expect("edit");
        assert_eq!(out, "---\ntitle: T\n---\nJust text\n");
        let out =
            edit_file("---\r\na: 1\r\n---\r\nx\r\n", &[set("b", json!(2))], None).expect("edit");
        assert_eq!(out, "---\r\na: 1\r\nb: 2\r\n---\r\nx\r\n");
    }

    #[test]
    fn shared_anchors_are_refused_not_broken() {
        let text = "---\na: &x shared\nb: *x\n---\n";
        let err = edit_file(text, &[set("a", json!("other"))], None).expect_err("entangled");
        assert!(matches!(err, EditError::Entangled(_)), "{err}");
        assert!(edit_file(text, &[set("c", json!(1))], None).is_ok());
    }

    #[test]
    fn a_list_of_mappings_lines_up_its_keys() {
        // An image gallery: mappings of several keys in a block list (found by the
        // property test: the second key was indented past the first and did not parse).
        let gallery = json!([{"src": "/a.png", "alt": "A: first"}, {"src": "/b.png"}, "x"]);
        let out = edit_file(POST, &[set("gallery", gallery.clone())], None).expect("edit");
        assert!(
            out.contains("gallery:\n- src: /a.png\n  alt: 'A: first'\n- src: /b.png\n- x\n"),
            "{out}"
        );
        assert_eq!(front_matter_of(&out).expect("parses")["gallery"], gallery);
    }
}
