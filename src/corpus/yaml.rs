//! The one place that calls the YAML parser (`serde_yaml`, i.e. the maintained `serde_yaml_ng`
//! fork). Everything else sees plain ordered key/value pairs of JSON values.
//!
//! YAML is normalised here so the rest of the crate never meets its traps: non-string keys
//! become strings, tags (`!ruby/sym x`) are dropped, and numbers keep their written text where
//! a caller asks for it (`title: 1.10` stays `1.10`, see [`raw_top_level_scalar`]).

use serde::de::{
    Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A YAML syntax or structure error, located relative to the start of the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line within the parsed text.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    pub message: String,
}

/// How deep `[…]` and `{…}` collections may nest. The parser refuses more than 128 levels
/// of nesting of any kind anyway, but only after reading all of it, in time quadratic in the
/// depth (200 KB of `[` took 23 s), so deeper flow nesting is refused before parsing.
pub const MAX_FLOW_NESTING: usize = 128;

/// Parses a YAML document whose top level is a mapping. Empty or comment-only text is an
/// empty mapping. Key order is kept.
pub fn parse_mapping(text: &str) -> Result<Map<String, Value>, YamlError> {
    if let Some((line, column)) = flow_nesting_beyond(text, MAX_FLOW_NESTING) {
        return Err(YamlError {
            line: Some(line),
            column: Some(column),
            message: format!(
                "`[…]`/`{{…}}` collections nest more than {MAX_FLOW_NESTING} levels deep; flatten the value"
            ),
        });
    }
    let Node(value) = serde_yaml::from_str(text).map_err(|err| {
        let location = err.location();
        YamlError {
            line: location.as_ref().map(|l| l.line() as u32),
            column: location.as_ref().map(|l| l.column() as u32),
            message: strip_location_suffix(&err.to_string()),
        }
    })?;
    match value {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map),
        other => Err(YamlError {
            line: Some(1),
            column: Some(1),
            message: format!(
                "expected `key: value` pairs, found a {}",
                json_kind_name(&other)
            ),
        }),
    }
}

/// Where (1-based line and column) `[`/`{` collections first nest deeper than `limit`, found
/// by a linear scan that follows YAML's lexical rules closely enough to tell a collection's
/// `[` from one inside a plain scalar (`title: a [b`), a quoted scalar, a comment or a block
/// scalar (`|`, `>`).
fn flow_nesting_beyond(text: &str, limit: usize) -> Option<(u32, u32)> {
    let mut depth = 0usize;
    // Inside a quoted scalar (which may span lines): its quote character.
    let mut quote: Option<u8> = None;
    // Inside a block scalar: the indentation of the line that opened it.
    let mut block_scalar: Option<usize> = None;
    // Whether a node may start here (where `[`, `{`, quotes, `|` and `>` mean something).
    let mut expecting = true;
    for (number, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|b| **b == b' ').count();
        if let Some(opened_at) = block_scalar {
            if indent == bytes.len() || indent > opened_at {
                continue;
            }
            block_scalar = None;
        }
        if depth == 0 && quote.is_none() {
            expecting = true;
        }
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if let Some(q) = quote {
                match c {
                    b'\\' if q == b'"' => i += 1,
                    b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
                    _ if c == q => {
                        quote = None;
                        expecting = false;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            let spaced_after = bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t');
            match c {
                b' ' | b'\t' => {}
                b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => break,
                b'"' | b'\'' if expecting => quote = Some(c),
                b'[' | b'{' if expecting => {
                    depth += 1;
                    if depth > limit {
                        return Some((number as u32 + 1, i as u32 + 1));
                    }
                }
                b']' | b'}' if depth > 0 => {
                    depth -= 1;
                    expecting = false;
                }
                b',' if depth > 0 => expecting = true,
                b':' if spaced_after || depth > 0 => expecting = true,
                b'-' | b'?' if expecting && spaced_after => {}
                b'|' | b'>' if expecting && depth == 0 => {
                    block_scalar = Some(indent);
                    break;
                }
                b'&' | b'!' if expecting => {
                    // An anchor or a tag: the node follows it.
                    while i + 1 < bytes.len() && !matches!(bytes[i + 1], b' ' | b'\t') {
                        i += 1;
                    }
                }
                _ => expecting = false,
            }
            i += 1;
        }
    }
    None
}

/// serde_yaml appends " at line X column Y" to messages; the diagnostic carries the position
/// (mapped to the file's line) separately, so drop it from the text.
fn strip_location_suffix(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn json_kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// A YAML node read straight into JSON, normalised on the way (see the module docs).
/// Integers too big for 64 bits (`title: 123456789012345678901234567890`) become their
/// digits as a string, as Jekyll prints them, instead of failing the whole file.
struct Node(Value);

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor).map(Node)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }

    fn visit_i128<E>(self, i: i128) -> Result<Value, E> {
        Ok(match i64::try_from(i) {
            Ok(small) => Value::Number(small.into()),
            Err(_) => Value::String(i.to_string()),
        })
    }

    fn visit_u128<E>(self, u: u128) -> Result<Value, E> {
        Ok(match u64::try_from(u) {
            Ok(small) => Value::Number(small.into()),
            Err(_) => Value::String(u.to_string()),
        })
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        // NaN and infinities have no JSON form: keep their YAML spelling.
        Ok(Number::from_f64(f).map_or_else(
            || {
                Value::String(
                    match (f.is_nan(), f.is_sign_negative()) {
                        (true, _) => ".nan",
                        (false, true) => "-.inf",
                        (false, false) => ".inf",
                    }
                    .to_string(),
                )
            },
            Value::Number,
        ))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Node::deserialize(deserializer).map(|Node(v)| v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Node(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some((Node(key), Node(value))) = map.next_entry()? {
            object.insert(key_to_string(key), value);
        }
        Ok(Value::Object(object))
    }

    /// A tagged node (`!ruby/sym x`): the tag is dropped.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (_tag, contents): (String, _) = data.variant()?;
        contents.newtype_variant::<Node>().map(|Node(v)| v)
    }
}

fn key_to_string(key: Value) -> String {
    match key {
        Value::String(s) => s,
        Value::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// The written text of a top-level plain scalar, e.g. `1.10` for `title: 1.10`, which the
/// generic value would have turned into the number 1.1. Returns `None` for quoted, block or
/// multi-line values (the parsed value is exact for those).
pub fn raw_top_level_scalar<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.trim_start_matches([' ', '\t']);
        let value = rest.strip_prefix(':')?;
        if !value.is_empty() && !value.starts_with([' ', '\t']) {
            return None;
        }
        let value = match value.find(" #") {
            Some(i) => &value[..i],
            None => value,
        }
        .trim();
        (!value.is_empty() && !value.starts_with(['"', '\'', '|', '>', '[', '{', '&', '*']))
            .then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_key_order_and_normalises_values() {
        let map = parse_mapping("b: 1\na: [x, 2]\nc:\n1: one\nd: !ruby/sym x\n").expect("valid");
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["b", "a", "c", "1", "d"]);
        assert_eq!(map["a"], json!(["x", 2]));
        assert_eq!(map["c"], Value::Null);
        assert_eq!(map["d"], json!("x"));
    }

    #[test]
    fn huge_integers_keep_their_digits_as_text() {
        let map = parse_mapping(
            "title: 123456789012345678901234567890\nneg: -123456789012345678901234567890\nsmall: 7\nbig: 18446744073709551615\nf: .inf\nn: .nan\n",
        )
        .expect("valid");
        assert_eq!(map["title"], json!("123456789012345678901234567890"));
        assert_eq!(map["neg"], json!("-123456789012345678901234567890"));
        assert_eq!(map["small"], json!(7));
        assert_eq!(map["big"], json!(18446744073709551615u64));
        assert_eq!(map["f"], json!(".inf"));
        assert_eq!(map["n"], json!(".nan"));
    }

    #[test]
    fn jekyll_dates_and_yes_no_stay_strings() {
        let map = parse_mapping("date: 2025-08-07 02:54:48 +0000\nd2: 2011-05-25\ntoc: yes\n")
            .expect("valid");
        assert_eq!(map["date"], json!("2025-08-07 02:54:48 +0000"));
        assert_eq!(map["d2"], json!("2011-05-25"));
        assert_eq!(map["toc"], json!("yes"));
    }

    #[test]
    fn errors_carry_one_based_positions() {
        let err = parse_mapping("title: ok\ntags: [a, b\n").expect_err("invalid");
        assert!(err.line.is_some_and(|l| l >= 2), "{err:?}");
        assert!(!err.message.contains(" at line "));
        let not_map = parse_mapping("- a\n- b\n").expect_err("a list is not a mapping");
        assert!(not_map.message.contains("list"));
        assert!(parse_mapping("").expect("empty").is_empty());
        assert!(parse_mapping("# only a comment\n")
            .expect("empty")
            .is_empty());
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let deep = format!(
            "title: x\nx: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let err = parse_mapping(&deep).expect_err("too deep");
        assert_eq!((err.line, err.column), (Some(2), Some(132)));
        assert!(
            err.message.contains("nest more than 128"),
            "{}",
            err.message
        );
        let maps = format!("x: {}1{}\n", "{a: ".repeat(200), "}".repeat(200));
        assert!(parse_mapping(&maps).is_err());
        // Up to the limit it parses; brackets in scalars, quotes, comments and block
        // scalars are not collections.
        let ok = format!("x: {}1{}\n", "[".repeat(100), "]".repeat(100));
        assert!(parse_mapping(&ok).is_ok());
        let brackets = "[".repeat(300);
        let text = format!(
            "title: a {brackets}\nq: \"{brackets}\"\ns: '{brackets}'\nc: 1 # {brackets}\nb: |\n  {brackets}\n  more\nt: [x, '{brackets}', \"]\"]\n"
        );
        let map = parse_mapping(&text).expect("parses");
        assert_eq!(map["title"], json!(format!("a {brackets}")));
        assert_eq!(map["t"], json!(["x", brackets, "]"]));
    }

    #[test]
    fn raw_scalar_keeps_written_number_text() {
        let text = "title: 1.10 # a version\nother: 'q'\nnum:2\n";
        assert_eq!(raw_top_level_scalar(text, "title"), Some("1.10"));
        assert_eq!(raw_top_level_scalar(text, "other"), None);
        assert_eq!(raw_top_level_scalar(text, "num"), None);
        assert_eq!(raw_top_level_scalar(text, "missing"), None);
    }
}
