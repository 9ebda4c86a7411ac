//! The routes of the outputs other than GraphQL (`crate::outputs`): feeds, the sitemap and
//! `robots.txt`, the embed card and oEmbed. Paths are [`crate::site::endpoints`]'.
//!
//! Every answer is made the way GraphQL GETs are: from one served version, with a strong
//! ETag (`response_cache::RequestKey` over the audience's version and the request target),
//! `Last-Modified` (when the audience's version was loaded), `304` for `If-None-Match` or
//! `If-Modified-Since`, `Cache-Control` like GraphQL GETs (`--cache-max-age` for the public,
//! `private, no-store` for a preview), the shared in-memory response cache for public
//! answers, and the work (rendering posts) on the GraphQL gate's threads, with the same
//! timeout. A preview token (`Authorization: Bearer …`) shows drafts and future posts in the
//! feeds, the embed card and oEmbed; such answers are never cached. The sitemap and
//! `robots.txt` are the public's only.

use super::gate::RunError;
use super::graphql::{HttpError, CACHE_STATUS_HEADER};
use super::metrics::bump;
use super::response_cache::{if_none_match, CachedResponse, RequestKey};
use super::AppState;
use crate::api::PostFilter;
use crate::graph::{Audience, PostIdx};
use crate::outputs::{feeds, oembed, sitemap};
use crate::site::endpoints::{self, FeedFormat};
use crate::site::ServedSite;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The routes, for [`AppState::router`].
pub(super) fn routes() -> Router<AppState> {
    let site_feed = |format: FeedFormat| {
        move |state: State<AppState>, headers: HeaderMap, uri: Uri| {
            feed(state, headers, uri, format, Scope::Site)
        }
    };
    Router::new()
        .route("/feed.xml", get(site_feed(FeedFormat::Atom)))
        .route("/feed.rss", get(site_feed(FeedFormat::Rss)))
        .route("/feed.json", get(site_feed(FeedFormat::JsonFeed)))
        .route(
            "/feed/by_tag/{file}",
            get(
                |state: State<AppState>, headers: HeaderMap, uri: Uri, Path(file): Path<String>| {
                    scoped_feed(state, headers, uri, file, Scope::Tag)
                },
            ),
        )
        .route(
            "/feed/by_series/{file}",
            get(
                |state: State<AppState>, headers: HeaderMap, uri: Uri, Path(file): Path<String>| {
                    scoped_feed(state, headers, uri, file, Scope::Series)
                },
            ),
        )
        .route(
            "/feed/{file}",
            get(
                |state: State<AppState>, headers: HeaderMap, uri: Uri, Path(file): Path<String>| {
                    scoped_feed(state, headers, uri, file, Scope::Category)
                },
            ),
        )
        .route(endpoints::SITEMAP_PATH, get(sitemap_index))
        .route("/sitemap/{file}", get(sitemap_page))
        .route(endpoints::ROBOTS_PATH, get(robots))
        .route(endpoints::OEMBED_PATH, get(oembed_answer))
        .route("/embed/{slug}", get(embed))
}

/// What a feed route selects before its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Site,
    Tag(String),
    Category(String),
    Series(String),
}

/// An answer that is not the output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    NotFound(String),
    BadRequest(String),
    NotImplemented(String),
}

impl Refusal {
    fn into_response(self, state: &AppState) -> Response {
        let (status, message) = match self {
            Refusal::NotFound(m) => (StatusCode::NOT_FOUND, m),
            Refusal::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            Refusal::NotImplemented(m) => (StatusCode::NOT_IMPLEMENTED, m),
        };
        plain(state, status, message)
    }
}

/// A plain-text answer that is never cached.
fn plain(state: &AppState, status: StatusCode, message: String) -> Response {
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("{message}\n"),
    )
        .into_response();
    set_vary(state, response.headers_mut());
    response
}

/// How one output route answers.
struct Output<'a> {
    state: &'a AppState,
    headers: &'a HeaderMap,
    audience: Audience,
    /// Path and query string: with the version and audience, what the answer depends on.
    target: &'a str,
    content_type: &'static str,
    /// Headers of its own (the embed card's Content-Security-Policy).
    extra: &'static [(&'static str, &'static str)],
}

impl Output<'_> {
    /// Answers with what `build` makes of the served site: `304`, a cached answer, or `build`
    /// run on the gate's threads.
    async fn answer<F>(self, build: F) -> Response
    where
        F: FnOnce(&ServedSite, Audience) -> Result<String, Refusal> + Send + 'static,
    {
        let state = self.state;
        let limit = state.config().max_body_bytes;
        if self.target.len() > limit {
            return plain(
                state,
                StatusCode::URI_TOO_LONG,
                format!(
                    "the request target is {} bytes, over the limit of {limit} bytes (--max-body-bytes / INKGRAPH_MAX_BODY_BYTES)",
                    self.target.len()
                ),
            );
        }
        let served = state.current().load_full();
        let view = served.snapshot.view(self.audience);
        let version = view.version().to_string();
        let modified = last_modified(view.loaded_at());
        let key = RequestKey::for_output(&version, self.audience, self.target);
        let etag = key.etag();
        if self.is_not_modified(&etag, modified) {
            bump(&state.metrics().not_modified);
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            self.set_headers(response.headers_mut(), &etag, modified);
            return response;
        }
        let public = self.audience == Audience::Public;
        let cached = match public && state.caches_responses() {
            true => {
                let hit = state.responses().get(&key);
                bump(match hit {
                    Some(_) => &state.metrics().cache_hits,
                    None => &state.metrics().cache_misses,
                });
                Some(hit)
            }
            false => None,
        };
        let (body, cache_status) = match cached {
            Some(Some(hit)) => (hit.body.clone(), Some("hit")),
            lookup => {
                let body = match self.build(served, build).await {
                    Ok(body) => Bytes::from(body),
                    Err(response) => return response,
                };
                if lookup.is_some() {
                    state.responses().insert(
                        &version,
                        key,
                        CachedResponse::new(StatusCode::OK, body.clone()),
                    );
                }
                (body, lookup.map(|_| "miss"))
            }
        };
        let mut response = (StatusCode::OK, Body::from(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        self.set_headers(headers, &etag, modified);
        if let Some(status) = cache_status {
            headers.insert(
                HeaderName::from_static(CACHE_STATUS_HEADER),
                HeaderValue::from_static(status),
            );
        }
        response
    }

    /// Runs `build` through the gate within the timeout; the error is the answer to give.
    async fn build<F>(&self, served: Arc<ServedSite>, build: F) -> Result<String, Response>
    where
        F: FnOnce(&ServedSite, Audience) -> Result<String, Refusal> + Send + 'static,
    {
        let state = self.state;
        let Some(admission) = state.gate().admit() else {
            return Err(unavailable(
                state,
                HttpError::overloaded(state.config()).to_string(),
            ));
        };
        let deadline = tokio::time::Instant::now() + state.config().timeout;
        let audience = self.audience;
        match admission
            .run(deadline, move || build(&served, audience))
            .await
        {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(refusal)) => Err(refusal.into_response(state)),
            Err(RunError::Deadline) => {
                bump(&state.metrics().timeouts);
                Err(unavailable(
                    state,
                    HttpError::timeout(state.config()).to_string(),
                ))
            }
            Err(RunError::Panicked(_)) => Err(plain(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error while writing the answer".to_string(),
            )),
        }
    }

    /// `If-None-Match` names the ETag, or (without `If-None-Match`) `If-Modified-Since` is
    /// not before `Last-Modified`.
    fn is_not_modified(&self, etag: &str, modified: SystemTime) -> bool {
        if self.headers.contains_key(header::IF_NONE_MATCH) {
            return if_none_match(self.headers, etag);
        }
        self.headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| modified <= since)
    }

    fn set_headers(&self, headers: &mut HeaderMap, etag: &str, modified: SystemTime) {
        let cache_control = match self.audience {
            Audience::Preview => HeaderValue::from_static("private, no-store"),
            Audience::Public => self.state.public_cache_control().clone(),
        };
        headers.insert(header::CACHE_CONTROL, cache_control);
        if let Ok(etag) = HeaderValue::from_str(etag) {
            headers.insert(header::ETAG, etag);
        }
        if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
            headers.insert(header::LAST_MODIFIED, date);
        }
        for (name, value) in self.extra {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        set_vary(self.state, headers);
    }
}

/// `Last-Modified` of a version loaded at `loaded_at`, whole seconds (HTTP dates have no
/// fractions, so a date sent back compares equal).
fn last_modified(loaded_at: chrono::DateTime<chrono::Utc>) -> SystemTime {
    let seconds = u64::try_from(loaded_at.timestamp()).unwrap_or(0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// Answers vary with the preview token when there is one (compression adds
/// `Accept-Encoding`).
fn set_vary(state: &AppState, headers: &mut HeaderMap) {
    if state.preview().enabled() {
        headers.append(header::VARY, HeaderValue::from_static("authorization"));
    }
}

fn unavailable(state: &AppState, message: String) -> Response {
    let mut response = plain(state, StatusCode::SERVICE_UNAVAILABLE, message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The request target (path and query) as the client sent it.
fn target(uri: &Uri) -> &str {
    uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
}

/// The media type a feed is served as.
fn feed_content_type(format: FeedFormat) -> &'static str {
    match format {
        FeedFormat::Atom => "application/atom+xml; charset=utf-8",
        FeedFormat::Rss => "application/rss+xml; charset=utf-8",
        FeedFormat::JsonFeed => "application/feed+json; charset=utf-8",
    }
}

/// `/feed/by_tag/<name>.<ext>` and the like: the name and the format.
async fn scoped_feed(
    state: State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    file: String,
    scope: fn(String) -> Scope,
) -> Response {
    let parsed = file
        .rsplit_once('.')
        .and_then(|(name, ext)| Some((name, FeedFormat::from_extension(ext)?)))
        .filter(|(name, _)| !name.is_empty());
    match parsed {
        Some((name, format)) => feed(state, headers, uri, format, scope(name.to_string())).await,
        None => Refusal::NotFound(format!(
            "no feed at {}: feeds end in .xml (Atom), .rss (RSS 2.0) or .json (JSON Feed)",
            uri.path()
        ))
        .into_response(&state),
    }
}

/// Any feed: the route's scope, then the query string's filter.
async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    format: FeedFormat,
    scope: Scope,
) -> Response {
    let query = match feed_query(uri.query().unwrap_or("")) {
        Ok(query) => query,
        Err(message) => return Refusal::BadRequest(message).into_response(&state),
    };
    let audience = state.preview().audience(&headers);
    let path = target(&uri).to_string();
    let output = Output {
        state: &state,
        headers: &headers,
        audience,
        target: &path,
        content_type: feed_content_type(format),
        extra: &[],
    };
    let self_path = path.clone();
    output
        .answer(move |served, audience| {
            let view = served.snapshot.view(audience);
            let (scope_filter, scope_label) = scope_filter(&served.snapshot, audience, &scope)?;
            let invalid = |err: async_graphql::Error| {
                Refusal::BadRequest(format!("invalid filter: {}", err.message))
            };
            let scope_filter = scope_filter.compile(&served.snapshot).map_err(invalid)?;
            let query_filter = match &query {
                Some((filter, _)) => Some(filter.compile(&served.snapshot).map_err(invalid)?),
                None => None,
            };
            let keep_scope = scope_filter.keeps(view);
            let keep_query = query_filter.as_ref().map(|f| f.keeps(view));
            let limit = feeds::posts_limit(&served.snapshot.config);
            let posts: Vec<PostIdx> = view
                .index
                .newest_first()
                .iter()
                .copied()
                .filter(|idx| keep_scope(*idx) && keep_query.as_ref().is_none_or(|k| k(*idx)))
                .take(limit)
                .collect();
            let label = [scope_label, query.map(|(_, label)| label)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>();
            let request = feeds::FeedRequest {
                format,
                posts: &posts,
                label: (!label.is_empty()).then(|| label.join(", ")),
                path: self_path,
            };
            feeds::render_feed(served, audience, &request)
                .map_err(|err| Refusal::BadRequest(err.to_string()))
        })
        .await
}

/// The filter and title label of a feed route's scope; `NotFound` for a tag, category or
/// series that the audience sees no post of.
fn scope_filter(
    snapshot: &crate::graph::Snapshot,
    audience: Audience,
    scope: &Scope,
) -> Result<(PostFilter, Option<String>), Refusal> {
    let view = snapshot.view(audience);
    Ok(match scope {
        Scope::Site => (PostFilter::default(), None),
        Scope::Tag(name) => {
            let tag = view.tag_by_slug(name).ok_or_else(|| {
                Refusal::NotFound(format!("no tag `{name}` has posts, so it has no feed"))
            })?;
            let tag = view.tag(tag);
            (
                PostFilter {
                    tags: Some(vec![tag.slug.clone()]),
                    ..PostFilter::default()
                },
                Some(format!("tag {}", tag.name)),
            )
        }
        Scope::Category(name) => {
            let entry = view
                .index
                .categories
                .iter()
                .find(|c| c.name.to_lowercase() == name.trim().to_lowercase())
                .ok_or_else(|| {
                    Refusal::NotFound(format!("no category `{name}` has posts, so it has no feed"))
                })?;
            (
                PostFilter {
                    category: Some(entry.name.clone()),
                    ..PostFilter::default()
                },
                Some(format!("category {}", entry.name)),
            )
        }
        Scope::Series(code) => {
            let entry = view
                .index
                .series
                .iter()
                .find(|s| s.series.eq_ignore_ascii_case(code.trim()))
                .ok_or_else(|| {
                    Refusal::NotFound(format!("no series `{code}` has posts, so it has no feed"))
                })?;
            (
                PostFilter {
                    series: Some(entry.series.clone()),
                    ..PostFilter::default()
                },
                Some(format!("series {}", entry.series)),
            )
        }
    })
}

/// Query-string parameters of a feed: `PostFilter`'s fields by their GraphQL names.
const LIST_PARAMS: [&str; 3] = ["tags", "anyTags", "excludeTags"];
const TEXT_PARAMS: [&str; 5] = ["category", "series", "since", "until", "text"];
const INT_PARAMS: [&str; 2] = ["year", "month"];
const BOOL_PARAMS: [&str; 1] = ["hasSerialNumber"];
/// The whole `PostFilter` as JSON, for `or` and `not`.
const FILTER_PARAM: &str = "filter";

/// A feed's query string as a `PostFilter` and a label for the title (`tags=rust, series=BLG`);
/// `None` for no parameters. Lists repeat the parameter or separate with commas
/// (`tags=rust&tags=maps` = `tags=rust,maps`); `filter` takes a whole `PostFilter` as JSON
/// (with `or` and `not`), combined with the other parameters.
fn feed_query(raw: &str) -> Result<Option<(PostFilter, String)>, String> {
    let mut object = Map::new();
    let mut label = Vec::new();
    let mut lists: Vec<(&str, Vec<Value>)> = Vec::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        let key = key.as_ref();
        let value = value.trim().to_string();
        if key == FILTER_PARAM {
            let parsed: Value = serde_json::from_str(&value)
                .map_err(|err| format!("`filter` is not JSON: {err}"))?;
            let Value::Object(fields) = parsed else {
                return Err("`filter` must be a JSON object (a PostFilter)".to_string());
            };
            for (field, v) in fields {
                if object.insert(field.clone(), v).is_some() {
                    return Err(format!("`{field}` is given twice"));
                }
            }
            label.push(format!("filter={value}"));
            continue;
        }
        label.push(format!("{key}={value}"));
        if let Some(name) = LIST_PARAMS.iter().find(|n| **n == key) {
            let items = value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_string()));
            match lists.iter_mut().find(|(n, _)| n == name) {
                Some((_, list)) => list.extend(items),
                None => lists.push((name, items.collect())),
            }
            continue;
        }
        let typed = if TEXT_PARAMS.contains(&key) {
            Value::String(value)
        } else if INT_PARAMS.contains(&key) {
            let n: i64 = value
                .parse()
                .map_err(|_| format!("`{key}` must be a whole number, not `{value}`"))?;
            Value::from(n)
        } else if BOOL_PARAMS.contains(&key) {
            match value.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("`{key}` must be true or false, not `{value}`")),
            }
        } else {
            return Err(format!(
                "unknown parameter `{key}`; a feed takes PostFilter's fields: {}, and `filter` (a PostFilter as JSON)",
                LIST_PARAMS
                    .iter()
                    .chain(&TEXT_PARAMS)
                    .chain(&INT_PARAMS)
                    .chain(&BOOL_PARAMS)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if object.insert(key.to_string(), typed).is_some() {
            return Err(format!("`{key}` is given twice"));
        }
    }
    for (name, items) in lists {
        if object
            .insert(name.to_string(), Value::Array(items))
            .is_some()
        {
            return Err(format!("`{name}` is given twice"));
        }
    }
    if object.is_empty() {
        return Ok(None);
    }
    let value = async_graphql::Value::from_json(Value::Object(object))
        .map_err(|err| format!("invalid filter: {err}"))?;
    let filter = <PostFilter as async_graphql::InputType>::parse(Some(value)).map_err(|err| {
        format!(
            "invalid filter: {}",
            err.into_server_error(async_graphql::Pos::default()).message
        )
    })?;
    Ok(Some((filter, label.join(", "))))
}

/// `/sitemap.xml`: the public's sitemap, or its index.
async fn sitemap_index(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let output = Output {
        state: &state,
        headers: &headers,
        audience: Audience::Public,
        target: target(&uri),
        content_type: "application/xml; charset=utf-8",
        extra: &[],
    };
    output
        .answer(|served, _| Ok(sitemap::sitemap(served, sitemap::MAX_URLS_PER_SITEMAP)))
        .await
}

/// `/sitemap/<n>.xml`: a page of a split sitemap.
async fn sitemap_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(file): Path<String>,
) -> Response {
    let page = file
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok());
    let Some(page) = page else {
        return Refusal::NotFound(format!("no sitemap at {}", uri.path())).into_response(&state);
    };
    let output = Output {
        state: &state,
        headers: &headers,
        audience: Audience::Public,
        target: target(&uri),
        content_type: "application/xml; charset=utf-8",
        extra: &[],
    };
    output
        .answer(move |served, _| {
            sitemap::sitemap_page(served, page, sitemap::MAX_URLS_PER_SITEMAP).ok_or_else(|| {
                Refusal::NotFound(format!(
                    "no sitemap page {page}: the sitemap has {} page(s), and /sitemap.xml lists them when there is more than one",
                    sitemap::page_count(served, sitemap::MAX_URLS_PER_SITEMAP)
                ))
            })
        })
        .await
}

/// `/robots.txt`, naming the sitemap.
async fn robots(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let output = Output {
        state: &state,
        headers: &headers,
        audience: Audience::Public,
        target: target(&uri),
        content_type: "text/plain; charset=utf-8",
        extra: &[],
    };
    output
        .answer(|served, _| Ok(sitemap::robots_txt(served)))
        .await
}

/// `/oembed?url=<post URL>&format=json&maxwidth=&maxheight=`.
async fn oembed_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut url = None;
    let mut max = oembed::MaxSize::default();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let bound = |value: &str| {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    Refusal::BadRequest(format!("`{key}` must be a positive number of pixels"))
                })
        };
        let parsed = match key.as_ref() {
            "url" => {
                url = Some(value.into_owned());
                Ok(())
            }
            "format" if value == "json" => Ok(()),
            "format" => Err(Refusal::NotImplemented(format!(
                "format `{value}` is not supported; this provider answers format=json"
            ))),
            "maxwidth" => bound(&value).map(|n| max.width = Some(n)),
            "maxheight" => bound(&value).map(|n| max.height = Some(n)),
            // oEmbed lets providers take parameters of their own; unknown ones are ignored.
            _ => Ok(()),
        };
        if let Err(refusal) = parsed {
            return refusal.into_response(&state);
        }
    }
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        return Refusal::BadRequest("`url` is required: the URL of a post".to_string())
            .into_response(&state);
    };
    let audience = state.preview().audience(&headers);
    let cache_age = state.config().cache_max_age.as_secs();
    let output = Output {
        state: &state,
        headers: &headers,
        audience,
        target: target(&uri),
        content_type: "application/json; charset=utf-8",
        extra: &[],
    };
    output
        .answer(move |served, audience| {
            let idx = served
                .snapshot
                .view(audience)
                .post_by_url(&url)
                .ok_or_else(|| Refusal::NotFound(format!("no post at {url}")))?;
            serde_json::to_string(&oembed::oembed(served, idx, max, cache_age))
                .map_err(|err| Refusal::BadRequest(err.to_string()))
        })
        .await
}

/// The embed card's own rules: nothing but its inline styles and images may load, and it
/// may be framed anywhere.
const EMBED_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors *",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
];

/// `/embed/<slug>`: the embed card.
async fn embed(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(slug): Path<String>,
) -> Response {
    let audience = state.preview().audience(&headers);
    let output = Output {
        state: &state,
        headers: &headers,
        audience,
        target: target(&uri),
        content_type: "text/html; charset=utf-8",
        extra: EMBED_HEADERS,
    };
    output
        .answer(move |served, audience| {
            let idx = served
                .snapshot
                .view(audience)
                .post_by_slug(&slug)
                .ok_or_else(|| Refusal::NotFound(format!("no post `{slug}`")))?;
            Ok(oembed::embed_page(served, audience, idx))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_queries_are_post_filters() {
        assert!(feed_query("").expect("empty").is_none());
        let (filter, label) = feed_query("tags=rust,maps&tags=cli&series=BLG&year=2024")
            .expect("parses")
            .expect("a filter");
        assert_eq!(
            filter.tags,
            Some(vec!["rust".into(), "maps".into(), "cli".into()])
        );
        assert_eq!(filter.series.as_deref(), Some("BLG"));
        assert_eq!(filter.year, Some(2024));
        assert_eq!(label, "tags=rust,maps, tags=cli, series=BLG, year=2024");
        let (nested, _) = feed_query(&format!(
            "filter={}",
            form_urlencoded::byte_serialize(br#"{"not":{"tags":["rust"]}}"#).collect::<String>()
        ))
        .expect("parses")
        .expect("a filter");
        assert!(nested.not.is_some());
        for (bad, says) in [
            ("tag=rust", "unknown parameter `tag`"),
            ("year=soon", "`year` must be a whole number"),
            ("hasSerialNumber=maybe", "true or false"),
            ("series=A&series=B", "given twice"),
            ("filter=[1]", "JSON object"),
            ("since=yesterday", "invalid filter"),
        ] {
            let err = feed_query(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
