// inkgraph's playground: GraphiQL with the explorer plugin, queries over HTTP at `endpoint`
// and subscriptions over graphql-ws at `subscriptionEndpoint`. The page that loads this
// script (src/server/playground.rs) passes its settings as JSON in
// <script id="inkgraph-playground" type="application/json">.
import React from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { explorerPlugin } from "@graphiql/plugin-explorer";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { createClient } from "graphql-ws";
import { parse } from "graphql";
import "graphiql/style.css";
import "@graphiql/plugin-explorer/style.css";

// The folder this script was loaded from: the editor's workers sit beside it.
const scriptUrl = document.currentScript ? document.currentScript.src : window.location.href;
const assetBase = new URL(".", scriptUrl);
// The page tags the script's URL with the bundle's version (`?v=…`); the workers get the same
// tag, so a browser never pairs a cached worker of one build with the script of another.
const versionTag = new URL(scriptUrl).search;

// Monaco runs language services in web workers. A worker script must come from the page's
// origin; when the assets are hosted elsewhere (--playground-assets), a same-origin blob
// loads them with importScripts.
function startWorker(file) {
  const url = new URL(file + versionTag, assetBase);
  if (url.origin === window.location.origin) {
    return new Worker(url);
  }
  const loader = new Blob([`importScripts(${JSON.stringify(url.href)});`], {
    type: "text/javascript",
  });
  return new Worker(URL.createObjectURL(loader));
}

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    switch (label) {
      case "json":
        return startWorker("json.worker.js");
      case "graphql":
        return startWorker("graphql.worker.js");
      default:
        return startWorker("editor.worker.js");
    }
  },
};

function settings() {
  const element = document.getElementById("inkgraph-playground");
  const defaults = { endpoint: "graphql", subscriptionEndpoint: "graphql/ws", defaultQuery: "" };
  try {
    return { ...defaults, ...JSON.parse(element ? element.textContent : "{}") };
  } catch {
    return defaults;
  }
}

const config = settings();
const endpoint = new URL(config.endpoint, window.location.href);
const socket = new URL(config.subscriptionEndpoint, window.location.href);
socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";

const transports = createGraphiQLFetcher({
  url: endpoint.href,
  // graphql-transport-ws; the socket opens on the first subscription.
  wsClient: createClient({ url: socket.href }),
});
// The fetcher sends subscriptions over the socket when it is given the document's AST.
// GraphiQL passes the AST of the editor's last parse, which can lag behind what was just
// typed (a subscription would then go over HTTP and be refused): parse the text sent.
function fetcher(params, options) {
  let documentAST = options && options.documentAST;
  try {
    documentAST = parse(params.query);
  } catch {
    // Not parseable: the server answers with the syntax error.
  }
  return transports(params, { ...options, documentAST });
}
const plugins = [explorerPlugin()];

createRoot(document.getElementById("graphiql")).render(
  <GraphiQL
    fetcher={fetcher}
    plugins={plugins}
    defaultQuery={config.defaultQuery}
    defaultEditorToolsVisibility={true}
  />,
);
