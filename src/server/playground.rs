//! The GraphiQL playground page. Its assets load from a configurable base URL (a public CDN
//! by default), so the playground can be self-hosted behind a firewall.

/// Default base URL of the playground's JavaScript and CSS (React 18 and GraphiQL 3 UMD
/// builds under `react@18/…`, `react-dom@18/…`, `graphiql@3/…`).
pub const DEFAULT_ASSETS_URL: &str = "https://unpkg.com";

const EXAMPLE_QUERY: &str = r#"# Welcome to inkgraph. Press the run button (or Ctrl-Enter).
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

/// The playground page, with asset URLs under `assets_url`.
pub fn playground_html(assets_url: &str) -> String {
    let base = crate::text::html::escape(assets_url.trim_end_matches('/'));
    let default_query = serde_json::to_string(EXAMPLE_QUERY).unwrap_or_else(|_| "\"\"".into());
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>inkgraph playground</title>
  <link rel="stylesheet" href="{base}/graphiql@3/graphiql.min.css">
  <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
  <div id="graphiql">Loading the playground from {base}…</div>
  <script crossorigin src="{base}/react@18/umd/react.production.min.js"></script>
  <script crossorigin src="{base}/react-dom@18/umd/react-dom.production.min.js"></script>
  <script crossorigin src="{base}/graphiql@3/graphiql.min.js"></script>
  <script>
    const endpoint = new URL("graphql", window.location.href);
    const socket = new URL("graphql/ws", window.location.href);
    socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";
    const fetcher = GraphiQL.createFetcher({{ url: endpoint.href, subscriptionUrl: socket.href }});
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{ fetcher, defaultQuery: {default_query}, defaultEditorToolsVisibility: true }})
    );
  </script>
</body>
</html>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_come_from_the_configured_base() {
        let html = playground_html("https://assets.internal/vendor/");
        assert!(html.contains(r#"src="https://assets.internal/vendor/graphiql@3/graphiql.min.js""#));
        assert!(!html.contains("unpkg.com"));
        let hostile = playground_html("\"><script>alert(1)</script>");
        assert!(!hostile.contains("<script>alert(1)"));
    }
}
