//! The GraphiQL playground: the page at `/` and the files it loads.
//!
//! The files (GraphiQL with the explorer plugin and the `graphql-ws` client, bundled by
//! `scripts/playground/build.sh` from the npm packages pinned in its `package-lock.json`) are
//! committed under `assets/playground/` and embedded in the binary, so the playground works
//! with no network. They are served at `/playground/FILE`; `assets/playground/SHA256SUMS`
//! lists their digests, and a test checks the embedded bytes against it.
//!
//! `--playground-assets URL` loads the same files from another server instead (a CDN): the
//! page then points its script and stylesheet there, and the script starts the editor's
//! workers through same-origin blobs.

use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Default base URL of the playground's files: `playground`, the binary's own copy, served
/// at `/playground/` (a relative URL is taken from the page's address, so a proxy may mount
/// inkgraph under a path).
pub const DEFAULT_ASSETS_URL: &str = "playground";

/// One file of the embedded playground.
#[derive(Debug, Clone, Copy)]
pub struct PlaygroundAsset {
    /// The file name, as served under `/playground/`.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        PlaygroundAsset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!("../../assets/playground/", $name)),
        }
    };
}

/// Every embedded playground file (the files of `assets/playground/` but `SHA256SUMS`).
pub const PLAYGROUND_ASSETS: &[PlaygroundAsset] = &[
    asset!("playground.js", "text/javascript; charset=utf-8"),
    asset!("playground.css", "text/css; charset=utf-8"),
    asset!("editor.worker.js", "text/javascript; charset=utf-8"),
    asset!("json.worker.js", "text/javascript; charset=utf-8"),
    asset!("graphql.worker.js", "text/javascript; charset=utf-8"),
    asset!("codicon.ttf", "font/ttf"),
    asset!("LICENSES.txt", "text/plain; charset=utf-8"),
];

/// `assets/playground/SHA256SUMS`: `sha256sum` lines for the files above.
pub const PLAYGROUND_SHA256SUMS: &str = include_str!("../../assets/playground/SHA256SUMS");

/// The embedded file called `name`, if any.
pub fn playground_asset(name: &str) -> Option<&'static PlaygroundAsset> {
    PLAYGROUND_ASSETS.iter().find(|asset| asset.name == name)
}

/// A short tag of the embedded bundle (the start of the SHA-256 of `SHA256SUMS`, so any file
/// changing changes it), added to the asset URLs (the script passes it on to the workers) so
/// browsers, which may cache the files for a year, never mix files of two builds.
fn bundle_tag() -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(PLAYGROUND_SHA256SUMS.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

const EXAMPLE_QUERY: &str = r#"# Welcome to inkgraph. Press the run button (or Ctrl-Enter).
# Lists are Relay connections: ask for `nodes { … }` (or `edges { node { … } }`).
{
  site { title postCount version }
  posts(first: 5) {
    totalCount
    nodes { title date permalink tags { name } serialNumber { value } }
    pageInfo { hasNextPage endCursor }
  }
  tagCloud(limit: 10) { name count level }
}
"#;

/// The playground page, loading its files from `assets_url` (`playground` for the embedded
/// copy, or the base URL of another server holding the same files).
pub fn playground_html(assets_url: &str) -> String {
    let base = crate::text::html::escape(assets_url.trim_end_matches('/'));
    let tag = bundle_tag();
    let settings = serde_json::json!({
        "endpoint": "graphql",
        "subscriptionEndpoint": "graphql/ws",
        "defaultQuery": EXAMPLE_QUERY,
    });
    // `<` escaped, so no string in the settings can close the script element.
    let settings = settings.to_string().replace('<', "\\u003c");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>inkgraph playground</title>
  <link rel="stylesheet" crossorigin href="{base}/playground.css?v={tag}">
  <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
  <div id="graphiql"><p id="inkgraph-loading" style="font: 16px sans-serif; padding: 1em">Loading the playground…</p></div>
  <noscript>The playground needs JavaScript. The API is at <code>/graphql</code>.</noscript>
  <script id="inkgraph-playground" type="application/json">{settings}</script>
  <script crossorigin src="{base}/playground.js?v={tag}" onerror="document.getElementById('inkgraph-loading').textContent = 'The playground could not load ' + this.src + ' (see --playground-assets). The API is at /graphql.'"></script>
</body>
</html>
"#
    )
}

/// `GET /playground/FILE`: an embedded playground file, cached for a year (its URL carries
/// the bundle's tag), or 404.
pub async fn asset(Path(name): Path<String>) -> Response {
    match playground_asset(&name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such playground file\n",
        )
            .into_response(),
    }
}

/// Whether a `GET /graphql` is a person who opened the URL in a browser: it accepts HTML and
/// names no query (nor a persisted one), so the GraphQL answer would be a bare 400.
pub fn is_browser_visit(headers: &HeaderMap, raw_query: Option<&str>) -> bool {
    let wants_html = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|accept| accept.to_ascii_lowercase().contains("text/html"));
    // Only a request that accepts HTML is read further (every GET of the API passes here).
    wants_html
        && !form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
            .any(|(key, _)| key == "query" || key == "extensions")
}

/// The answer to a browser visit of `/graphql`: a 400 page pointing to the playground.
pub fn browser_visit_page() -> Response {
    let mut response = (
        StatusCode::BAD_REQUEST,
        Html(
            r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>inkgraph: GraphQL endpoint</title></head>
<body style="font: 16px/1.5 sans-serif; max-width: 40em; margin: 2em auto">
  <h1>This is inkgraph's GraphQL endpoint</h1>
  <p>It answers GraphQL requests (<code>POST</code> with a JSON body, or <code>GET</code> with
  <code>?query=…</code>), not pages. To explore the API in your browser, open the
  <a href="./">playground</a>.</p>
  <pre>curl -s http://HOST/graphql -H 'content-type: application/json' \
  -d '{"query":"{ posts(first: 3) { nodes { title } } }"}'</pre>
</body>
</html>
"#,
        ),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// Answers a browser visit of `GET /graphql` with [`browser_visit_page`]; `None` for
/// everything else (the GraphQL handler answers it).
pub fn browser_visit(headers: &HeaderMap, raw: &RawQuery) -> Option<Response> {
    is_browser_visit(headers, raw.0.as_deref()).then(browser_visit_page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn assets_come_from_the_configured_base() {
        let html = playground_html("https://assets.internal/vendor/");
        assert!(html.contains(r#"src="https://assets.internal/vendor/playground.js?v="#));
        assert!(html.contains(r#"href="https://assets.internal/vendor/playground.css?v="#));
        assert!(!html.contains("unpkg.com"));
        let hostile = playground_html("\"><script>alert(1)</script>");
        assert!(!hostile.contains("<script>alert(1)"));
    }

    #[test]
    fn by_default_the_page_loads_the_embedded_copy() {
        let html = playground_html(DEFAULT_ASSETS_URL);
        assert!(
            html.contains(r#"src="playground/playground.js?v="#),
            "{html}"
        );
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(html.contains(r#""subscriptionEndpoint":"graphql/ws""#));
    }

    #[test]
    fn embedded_files_match_the_committed_checksums() {
        let mut listed = Vec::new();
        for line in PLAYGROUND_SHA256SUMS.lines() {
            let (digest, name) = line.split_once("  ").expect("`sha256sum` line");
            let asset = playground_asset(name)
                .unwrap_or_else(|| panic!("{name} is in SHA256SUMS but not embedded"));
            let actual = Sha256::digest(asset.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>();
            assert_eq!(
                actual, digest,
                "{name} differs from assets/playground/SHA256SUMS: rebuild with scripts/playground/build.sh"
            );
            listed.push(name);
        }
        for asset in PLAYGROUND_ASSETS {
            assert!(
                listed.contains(&asset.name),
                "{} is embedded but not in SHA256SUMS",
                asset.name
            );
        }
    }

    #[test]
    fn the_bundle_carries_graphiql_the_explorer_and_the_websocket_client() {
        let script = String::from_utf8_lossy(
            playground_asset("playground.js")
                .expect("playground.js")
                .bytes,
        );
        // Markers of the three parts the page relies on, kept by minification.
        assert!(script.contains("graphiql"), "GraphiQL missing");
        assert!(
            script.contains("graphiql-explorer"),
            "explorer plugin missing"
        );
        assert!(
            script.contains("graphql-transport-ws"),
            "graphql-ws client missing"
        );
        assert!(
            !script.contains("unpkg.com") && !script.contains("esm.sh/"),
            "the bundle must not load code from a CDN"
        );
    }

    #[test]
    fn a_browser_visit_is_an_html_get_without_a_query() {
        let mut html = HeaderMap::new();
        html.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        assert!(is_browser_visit(&html, None));
        assert!(is_browser_visit(&html, Some("")));
        assert!(!is_browser_visit(
            &html,
            Some("query=%7B+site+%7B+title+%7D+%7D")
        ));
        assert!(!is_browser_visit(&html, Some("extensions=%7B%7D")));
        assert!(!is_browser_visit(&HeaderMap::new(), None));
    }
}
