//! Content negotiation: which media type a response is written in (from `Accept`), and
//! whether a POST body is JSON (from `Content-Type`).

use axum::http::{header, HeaderMap};

/// The two media types a GraphQL response can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `application/graphql-response+json`: status codes tell request errors (400) from
    /// results (200).
    GraphQLResponseJson,
    /// `application/json`: the traditional type; well-formed requests get 200 even when the
    /// document does not validate.
    Json,
}

impl MediaType {
    /// The `Content-Type` header value for this media type.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::GraphQLResponseJson => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        }
    }

    /// A short name for cache keys and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::GraphQLResponseJson => "application/graphql-response+json",
            MediaType::Json => "application/json",
        }
    }
}

/// The client's `Accept` header rules out both media types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAcceptable(pub String);

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// Chooses the response's media type from the `Accept` header.
///
/// No header, an empty one or `*/*` give `application/json` (what older clients expect); the
/// higher `q` wins; on a tie, an explicitly named `application/graphql-response+json` wins.
/// Unparseable parts are ignored rather than refused.
pub fn negotiate(headers: &HeaderMap) -> Result<MediaType, NotAcceptable> {
    let accept: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if accept.iter().all(|value| value.trim().is_empty()) {
        return Ok(MediaType::Json);
    }
    // (quality, specificity) of the most specific range matching each candidate.
    let mut graphql = (0.0f32, 0u8, false);
    let mut json = (0.0f32, 0u8, false);
    for range in accept.iter().flat_map(|value| value.split(',')) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, q)| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        for (candidate, best) in [(GRAPHQL_RESPONSE_JSON, &mut graphql), (JSON, &mut json)] {
            let specificity = if media == candidate {
                3
            } else if media == "application/*" {
                2
            } else if media == "*/*" {
                1
            } else {
                continue;
            };
            if specificity > best.1 {
                *best = (quality, specificity, specificity == 3);
            }
        }
    }
    match (graphql.0 > 0.0, json.0 > 0.0) {
        (false, false) => Err(NotAcceptable(accept.join(", "))),
        (true, false) => Ok(MediaType::GraphQLResponseJson),
        (false, true) => Ok(MediaType::Json),
        (true, true) if graphql.0 > json.0 => Ok(MediaType::GraphQLResponseJson),
        (true, true) if json.0 > graphql.0 => Ok(MediaType::Json),
        (true, true) if graphql.2 => Ok(MediaType::GraphQLResponseJson),
        (true, true) => Ok(MediaType::Json),
    }
}

/// What is wrong with a POST body's `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadContentType {
    /// No `Content-Type` header.
    Missing,
    /// Not `application/json`, or JSON in a charset other than UTF-8.
    Unsupported(String),
}

/// Accepts `application/json` (optionally `; charset=utf-8`) POST bodies only.
pub fn check_json_content_type(headers: &HeaderMap) -> Result<(), BadContentType> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(BadContentType::Missing);
    };
    let text = value.to_str().map_err(|_| {
        BadContentType::Unsupported(String::from_utf8_lossy(value.as_bytes()).into())
    })?;
    let mut parts = text.split(';');
    let media = parts.next().unwrap_or("").trim();
    let utf8 = parts
        .filter_map(|p| p.split_once('='))
        .all(|(name, value)| {
            !name.trim().eq_ignore_ascii_case("charset")
                || value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        });
    if media.eq_ignore_ascii_case(JSON) && utf8 {
        Ok(())
    } else {
        Err(BadContentType::Unsupported(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> Result<MediaType, NotAcceptable> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        negotiate(&headers)
    }

    #[test]
    fn accept_picks_the_preferred_type() {
        use MediaType::*;
        assert_eq!(negotiate(&HeaderMap::new()), Ok(Json));
        assert_eq!(accept("*/*"), Ok(Json));
        assert_eq!(accept("application/json"), Ok(Json));
        assert_eq!(accept(GRAPHQL_RESPONSE_JSON), Ok(GraphQLResponseJson));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Ok(GraphQLResponseJson)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Ok(Json)
        );
        assert_eq!(accept("text/html, */*;q=0.1"), Ok(Json));
        assert_eq!(accept("application/json;q=0, */*"), Ok(GraphQLResponseJson));
        assert!(accept("text/html").is_err());
    }

    #[test]
    fn only_utf8_json_bodies_are_accepted() {
        let check = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(value).expect("header"),
            );
            check_json_content_type(&headers)
        };
        assert_eq!(check("application/json"), Ok(()));
        assert_eq!(check("Application/JSON; charset=UTF-8"), Ok(()));
        assert!(check("application/json; charset=latin1").is_err());
        assert!(check("text/plain").is_err());
        assert_eq!(
            check_json_content_type(&HeaderMap::new()),
            Err(BadContentType::Missing)
        );
    }
}
