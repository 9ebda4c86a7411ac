//! The one place that calls the YAML parser (`serde_yaml`, i.e. the maintained `serde_yaml_ng`
//! fork). Everything else sees plain ordered key/value pairs of JSON values.
//!
//! YAML is normalised here so the rest of the crate never meets its traps: non-string keys
//! become strings, tags (`!ruby/sym x`) are dropped, and numbers keep their written text where
//! a caller asks for it (`title: 1.10` stays `1.10`, see [`raw_top_level_scalar`]).

use serde_json::{Map, Number, Value};

/// A YAML syntax or structure error, located relative to the start of the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line within the parsed text.
    pub line: Option<u32>,
    /// 1-based column.
    pub column: Option<u32>,
    pub message: String,
}

/// Parses a YAML document whose top level is a mapping. Empty or comment-only text is an
/// empty mapping. Key order is kept.
pub fn parse_mapping(text: &str) -> Result<Map<String, Value>, YamlError> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|err| {
        let location = err.location();
        YamlError {
            line: location.as_ref().map(|l| l.line() as u32),
            column: location.as_ref().map(|l| l.column() as u32),
            message: strip_location_suffix(&err.to_string()),
        }
    })?;
    match to_json(value) {
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

fn to_json(value: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    // NaN and infinities have no JSON form: keep their YAML spelling.
                    .unwrap_or_else(|| Value::String(n.to_string()))
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(mapping) => Value::Object(
            mapping
                .into_iter()
                .map(|(k, v)| (key_to_string(k), to_json(v)))
                .collect(),
        ),
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

fn key_to_string(key: serde_yaml::Value) -> String {
    match to_json(key) {
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
    fn raw_scalar_keeps_written_number_text() {
        let text = "title: 1.10 # a version\nother: 'q'\nnum:2\n";
        assert_eq!(raw_top_level_scalar(text, "title"), Some("1.10"));
        assert_eq!(raw_top_level_scalar(text, "other"), None);
        assert_eq!(raw_top_level_scalar(text, "num"), None);
        assert_eq!(raw_top_level_scalar(text, "missing"), None);
    }
}
