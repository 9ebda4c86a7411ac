//! GraphQL-over-HTTP request parameters (`query`, `variables`, `operationName`,
//! `extensions`), read strictly from a GET query string or a POST JSON body.
//!
//! Strict because a client that sends `variables: "x"` or `query: 0` has a bug it should hear
//! about (400) rather than a guess; `null` is accepted for every optional parameter, as the
//! GraphQL-over-HTTP specification asks.

use serde_json::{Map, Value};

/// One GraphQL request as sent over HTTP, before its document is parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    /// The document. Absent only in an Apollo persisted-query request that sends the hash alone.
    pub query: Option<String>,
    /// Variable values.
    pub variables: Map<String, Value>,
    /// The operation to run when the document holds several.
    pub operation_name: Option<String>,
    /// Protocol extensions, such as Apollo's `persistedQuery`.
    pub extensions: Map<String, Value>,
}

/// A POST body: one request, or a batch (a JSON array of requests).
#[derive(Debug)]
pub enum PostBody {
    /// `{"query": …}`.
    Single(Params),
    /// `[{"query": …}, …]`.
    Batch(Vec<Params>),
}

/// Why the HTTP request does not hold a well-formed GraphQL request (always a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("the request body is not valid JSON: {0} (expected an object like {{\"query\": \"{{ site {{ title }} }}\"}})")]
    BodyNotJson(String),
    #[error("the request body is empty (expected a JSON object like {{\"query\": \"{{ site {{ title }} }}\"}})")]
    EmptyBody,
    #[error("the request body must be a JSON object (or an array of them for a batch), got {0}")]
    BodyNotObject(&'static str),
    #[error("a batch must hold at least one request, got an empty array")]
    EmptyBatch,
    #[error("item {index} of the batch must be a JSON object, got {found}")]
    BatchItemNotObject { index: usize, found: &'static str },
    #[error("the `query` parameter is missing (send the GraphQL document as `query`)")]
    MissingQuery,
    #[error("the `{name}` parameter must be {expected}, got {found}")]
    WrongType {
        name: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("the `{name}` parameter is not valid JSON: {detail}")]
    NotJson { name: &'static str, detail: String },
    #[error("the `{0}` parameter appears more than once in the query string")]
    Repeated(&'static str),
}

const QUERY: &str = "query";
const VARIABLES: &str = "variables";
const OPERATION_NAME: &str = "operationName";
const EXTENSIONS: &str = "extensions";

/// Reads a GET query string (`?query=…&variables={…}&operationName=…&extensions={…}`).
/// `variables` and `extensions` are URL-encoded JSON objects. Unknown parameters are ignored.
pub fn from_query_string(raw: &str) -> Result<Params, ParamsError> {
    let mut query = None;
    let mut variables = None;
    let mut operation_name = None;
    let mut extensions = None;
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let (name, slot) = match key.as_ref() {
            QUERY => (QUERY, &mut query),
            VARIABLES => (VARIABLES, &mut variables),
            OPERATION_NAME => (OPERATION_NAME, &mut operation_name),
            EXTENSIONS => (EXTENSIONS, &mut extensions),
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(ParamsError::Repeated(name));
        }
    }
    Ok(Params {
        query: query.filter(|q| !q.is_empty()),
        variables: json_object_param(VARIABLES, variables)?,
        operation_name: operation_name.filter(|name| !name.is_empty()),
        extensions: json_object_param(EXTENSIONS, extensions)?,
    })
}

/// A GET parameter holding a JSON object (or `null`, or nothing).
fn json_object_param(
    name: &'static str,
    text: Option<String>,
) -> Result<Map<String, Value>, ParamsError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(Map::new());
    };
    let value: Value = serde_json::from_str(&text).map_err(|err| ParamsError::NotJson {
        name,
        detail: err.to_string(),
    })?;
    object_or_null(name, value)
}

/// Reads a POST body: a JSON object, or a JSON array of objects (a batch).
pub fn from_json_body(body: &[u8]) -> Result<PostBody, ParamsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParamsError::EmptyBody);
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|err| ParamsError::BodyNotJson(err.to_string()))?;
    match value {
        Value::Object(map) => from_object(map).map(PostBody::Single),
        Value::Array(items) if items.is_empty() => Err(ParamsError::EmptyBatch),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Object(map) => from_object(map),
                other => Err(ParamsError::BatchItemNotObject {
                    index,
                    found: kind(&other),
                }),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(PostBody::Batch),
        other => Err(ParamsError::BodyNotObject(kind(&other))),
    }
}

fn from_object(mut map: Map<String, Value>) -> Result<Params, ParamsError> {
    let query = match map.remove(QUERY) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(other) => {
            return Err(ParamsError::WrongType {
                name: QUERY,
                expected: "a string holding a GraphQL document",
                found: kind(&other),
            })
        }
    };
    let operation_name = match map.remove(OPERATION_NAME) {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(other) => {
            return Err(ParamsError::WrongType {
                name: OPERATION_NAME,
                expected: "a string or null",
                found: kind(&other),
            })
        }
    };
    Ok(Params {
        query,
        variables: object_or_null(VARIABLES, map.remove(VARIABLES).unwrap_or(Value::Null))?,
        operation_name,
        extensions: object_or_null(EXTENSIONS, map.remove(EXTENSIONS).unwrap_or(Value::Null))?,
    })
}

fn object_or_null(name: &'static str, value: Value) -> Result<Map<String, Value>, ParamsError> {
    match value {
        Value::Null => Ok(Map::new()),
        Value::Object(map) => Ok(map),
        other => Err(ParamsError::WrongType {
            name,
            expected: "a JSON object or null",
            found: kind(&other),
        }),
    }
}

/// How a JSON value is named in error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_parameters_decode_and_nulls_are_absent() {
        let params = from_query_string(
            "query=%7B%20site%20%7B%20title%20%7D%20%7D&variables=%7B%22a%22%3A1%7D&operationName=&extensions=null&other=1",
        )
        .expect("valid");
        assert_eq!(params.query.as_deref(), Some("{ site { title } }"));
        assert_eq!(params.variables["a"], json!(1));
        assert_eq!(params.operation_name, None);
        assert!(params.extensions.is_empty());
    }

    #[test]
    fn get_parameters_refuse_repeats_and_non_objects() {
        assert_eq!(
            from_query_string("query=a&query=b"),
            Err(ParamsError::Repeated("query"))
        );
        assert!(matches!(
            from_query_string("query=a&variables=%5B1%5D"),
            Err(ParamsError::WrongType {
                name: "variables",
                ..
            })
        ));
        assert!(matches!(
            from_query_string("query=a&variables=%7B"),
            Err(ParamsError::NotJson {
                name: "variables",
                ..
            })
        ));
    }

    #[test]
    fn post_bodies_are_checked_parameter_by_parameter() {
        let body = |v: Value| from_json_body(v.to_string().as_bytes());
        assert!(matches!(
            body(
                json!({"query": "{ a }", "variables": null, "operationName": null, "extensions": null})
            ),
            Ok(PostBody::Single(_))
        ));
        for (bad, name) in [
            (json!({"query": 0}), "query"),
            (json!({"query": "{ a }", "variables": "x"}), "variables"),
            (
                json!({"query": "{ a }", "operationName": false}),
                "operationName",
            ),
            (json!({"query": "{ a }", "extensions": ["x"]}), "extensions"),
        ] {
            match body(bad) {
                Err(ParamsError::WrongType { name: found, .. }) => assert_eq!(found, name),
                other => panic!("expected a type error for {name}, got {other:?}"),
            }
        }
        assert!(matches!(
            body(json!([{"query": "{ a }"}, {"query": "{ b }"}])),
            Ok(PostBody::Batch(items)) if items.len() == 2
        ));
        assert_eq!(body(json!([])).err(), Some(ParamsError::EmptyBatch));
        assert_eq!(from_json_body(b"  ").err(), Some(ParamsError::EmptyBody));
        assert!(matches!(
            from_json_body(b"{\"query\": "),
            Err(ParamsError::BodyNotJson(_))
        ));
    }
}
