//! Reading front-matter values the way bloggers write them: `yes`/`no` booleans, numbers where
//! text is expected, `false` where a URL is expected, tags as a list or a space-separated string.

use serde_json::Value;

/// Text from a scalar: strings trimmed (empty → `None`); numbers and booleans as written
/// (`raw` is the scalar's written text when the caller has it, so `1.10` stays `1.10`).
pub fn text(value: &Value, raw: Option<&str>) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => raw.map_or_else(|| n.to_string(), str::to_string),
        Value::Bool(b) => raw.map_or_else(|| b.to_string(), str::to_string),
        Value::Null | Value::Array(_) | Value::Object(_) => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A boolean as YAML 1.1 (Jekyll's parser) reads it: `true/false`, `yes/no`, `on/off`, `y/n`.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" => Some(true),
            "false" | "no" | "n" | "off" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}

/// A URL or path: `false`, `'false'`, `null` and empty values mean "none".
pub fn url(value: &Value) -> Option<String> {
    let Value::String(s) = value else {
        return None;
    };
    let s = s.trim();
    let is_none = s.is_empty() || ["false", "null", "nil", "none", "~"].contains(&s);
    (!is_none).then(|| s.to_string())
}

/// Tags or categories: a list (items kept whole, numbers as text) or a space-separated string.
pub fn word_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
        Value::Number(_) | Value::Bool(_) => text(value, None).into_iter().collect(),
        Value::Array(items) => items
            .iter()
            .flat_map(|item| match item {
                Value::Array(_) => word_list(item),
                other => text(other, None).into_iter().collect(),
            })
            .collect(),
        Value::Null | Value::Object(_) => Vec::new(),
    }
}

/// A list of strings from a string or a list of strings (e.g. `redirect_from`).
pub fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(|v| text(v, None)).collect(),
        other => text(other, None).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_accepts_numbers_and_rejects_empty() {
        assert_eq!(text(&json!(1984), None).as_deref(), Some("1984"));
        assert_eq!(text(&json!(1.1), Some("1.10")).as_deref(), Some("1.10"));
        assert_eq!(text(&json!("  "), None), None);
        assert_eq!(text(&Value::Null, None), None);
    }

    #[test]
    fn yaml_1_1_booleans() {
        assert_eq!(boolean(&json!("yes")), Some(true));
        assert_eq!(boolean(&json!("No")), Some(false));
        assert_eq!(boolean(&json!(true)), Some(true));
        assert_eq!(boolean(&json!("maybe")), None);
    }

    #[test]
    fn false_is_no_url() {
        assert_eq!(url(&json!(false)), None);
        assert_eq!(url(&json!("false")), None);
        assert_eq!(url(&json!(" ")), None);
        assert_eq!(url(&json!("/a.png")).as_deref(), Some("/a.png"));
    }

    #[test]
    fn tag_forms() {
        assert_eq!(
            word_list(&json!("maps interfaces notation")),
            ["maps", "interfaces", "notation"]
        );
        assert_eq!(word_list(&json!(["rust", 2024])), ["rust", "2024"]);
        assert_eq!(
            word_list(&json!(["personal-blog visualization", null])),
            ["personal-blog visualization"]
        );
        assert!(word_list(&Value::Null).is_empty());
    }
}
