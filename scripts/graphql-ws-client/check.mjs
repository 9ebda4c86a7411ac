#!/usr/bin/env node
// Checks that standard GraphQL subscription clients receive inkgraph's `corpusChanged`
// events over WebSocket (issue #7), against a running `inkgraph serve --watch`:
//
//   1. graphql-ws (the npm client of the `graphql-transport-ws` subprotocol),
//   2. subscriptions-transport-ws (the classic client of the older `graphql-ws` subprotocol).
//
// For each client: ask `{ site { version } }` over HTTP, subscribe to `corpusChanged`
// selecting every field of CorpusChange, wait for the connection to be acknowledged, then
// append a line to one post's body and add a new post file in the served folder. Within
// EVENT_TIMEOUT_MS the events received must name the edited file in `updated` and the new
// one in `added`, carry a version different from the one before, and a follow-up HTTP query
// must answer the version of the last event.
//
//   node check.mjs HTTP_BASE_URL CONTENT_DIR
//
// HTTP_BASE_URL is what the server logged (`http://127.0.0.1:PORT/`); CONTENT_DIR is the
// folder it serves (a scratch copy: this script writes into it). Exits 0 and prints
// "graphql-ws OK" when every client passed, 1 otherwise. Driven by ../check-graphql-ws.sh.

import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import transportWs from 'subscriptions-transport-ws';
import WebSocket from 'ws';

const { SubscriptionClient } = transportWs;

/** How long the edits have to show up as `corpusChanged` events. */
const EVENT_TIMEOUT_MS = 10_000;
/** How long connecting (WebSocket upgrade + connection_ack) may take. */
const CONNECT_TIMEOUT_MS = 10_000;
/** After the acknowledgement, time for the server to start the subscription's stream: no
 * protocol acknowledges a single subscription, so this is the "short moment" to wait. */
const SETTLE_MS = 300;
/** The whole check, whatever happens. */
const OVERALL_TIMEOUT_MS = 60_000;

// Every field of CorpusChange (schema.graphql), with every field of Diagnostic.
const SUBSCRIPTION = `subscription CorpusChanged {
  corpusChanged {
    version
    added
    updated
    removed
    diagnostics {
      severity
      path
      line
      column
      message
    }
  }
}`;

class CheckFailure extends Error {}

function fail(message) {
  throw new CheckFailure(message);
}

const [base, contentDir] = process.argv.slice(2);
if (!base || !contentDir || base.startsWith('-')) {
  console.error('usage: node check.mjs HTTP_BASE_URL CONTENT_DIR   (e.g. http://127.0.0.1:8080/ /tmp/blog)');
  process.exit(2);
}
const httpUrl = new URL('graphql', base).href;
const wsUrl = new URL('graphql/ws', base).href.replace(/^http/, 'ws');

const watchdog = setTimeout(() => {
  console.error(`graphql-ws FAILED: the check did not finish within ${OVERALL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);

/** POSTs `query` to /graphql and answers `data`, failing on transport or GraphQL errors. */
async function httpQuery(query) {
  let response;
  try {
    response = await fetch(httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    fail(`POST ${httpUrl} failed: ${err.cause?.message ?? err.message}`);
  }
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    fail(`POST ${httpUrl} answered ${response.status} with non-JSON: ${text.slice(0, 300)}`);
  }
  if (!response.ok || body.errors?.length || !body.data) {
    fail(`POST ${httpUrl} ${JSON.stringify(query)} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return body.data;
}

/** Fails unless `event` has the shape of CorpusChange as selected. */
function checkShape(client, event) {
  const where = `${client}: corpusChanged event ${JSON.stringify(event)}`;
  if (typeof event?.version !== 'string' || event.version === '') {
    fail(`${where} has no version`);
  }
  for (const key of ['added', 'updated', 'removed']) {
    if (!Array.isArray(event[key]) || !event[key].every((path) => typeof path === 'string')) {
      fail(`${where}: ${key} is not a list of strings`);
    }
  }
  if (!Array.isArray(event.diagnostics)) {
    fail(`${where}: diagnostics is not a list`);
  }
  for (const d of event.diagnostics) {
    const intOrNull = (v) => v === null || Number.isInteger(v);
    if (
      !['ERROR', 'WARNING'].includes(d?.severity) ||
      typeof d.path !== 'string' ||
      !intOrNull(d.line) ||
      !intOrNull(d.column) ||
      typeof d.message !== 'string'
    ) {
      fail(`${where}: malformed diagnostic ${JSON.stringify(d)}`);
    }
  }
}

/** A `ws` WebSocket that remembers its instances, to report the negotiated subprotocol. */
function recordingWebSocket(sockets) {
  return class RecordingWebSocket extends WebSocket {
    constructor(...args) {
      super(...args);
      sockets.push(this);
    }
  };
}

/**
 * Subscribes with the graphql-ws client. Answers { connected, events, dispose, socket }:
 * `connected` resolves on connection_ack; `events` is an async queue of corpusChanged payloads
 * (or rejections on errors).
 */
function subscribeWithGraphqlWs(queue) {
  const sockets = [];
  let onConnected;
  let onConnectFailed;
  const connected = new Promise((resolve, reject) => {
    onConnected = resolve;
    onConnectFailed = reject;
  });
  const client = createClient({
    url: wsUrl,
    webSocketImpl: recordingWebSocket(sockets),
    lazy: true,
    retryAttempts: 0,
    connectionAckWaitTimeout: CONNECT_TIMEOUT_MS,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const why = `the WebSocket closed (code ${event?.code}, reason ${JSON.stringify(event?.reason ?? '')})`;
        onConnectFailed(new CheckFailure(why));
        queue.error(why);
      },
      error: (err) => {
        onConnectFailed(new CheckFailure(`connection error: ${describe(err)}`));
        queue.error(`connection error: ${describe(err)}`);
      },
    },
  });
  const unsubscribe = client.subscribe(
    { query: SUBSCRIPTION, operationName: 'CorpusChanged' },
    {
      next: (result) => queue.push(result),
      error: (err) => queue.error(`subscription error: ${describe(err)}`),
      complete: () => queue.error('the server completed the subscription'),
    },
  );
  return {
    connected,
    protocol: () => sockets.at(-1)?.protocol,
    dispose: async () => {
      queue.close();
      unsubscribe();
      await client.dispose();
    },
  };
}

/** The same with subscriptions-transport-ws (subprotocol `graphql-ws`). */
function subscribeWithTransportWs(queue) {
  const sockets = [];
  let onConnected;
  let onConnectFailed;
  const connected = new Promise((resolve, reject) => {
    onConnected = resolve;
    onConnectFailed = reject;
  });
  const client = new SubscriptionClient(
    wsUrl,
    {
      reconnect: false,
      lazy: false,
      minTimeout: CONNECT_TIMEOUT_MS,
      connectionCallback: (err) => {
        if (err) {
          onConnectFailed(new CheckFailure(`connection_error: ${describe(err)}`));
        }
      },
    },
    recordingWebSocket(sockets),
  );
  client.onConnected(() => onConnected());
  client.onDisconnected(() => {
    onConnectFailed(new CheckFailure('the WebSocket closed before connection_ack'));
    queue.error('the WebSocket closed');
  });
  client.onError((err) => {
    const why = `connection error: ${describe(err)}`;
    onConnectFailed(new CheckFailure(why));
    queue.error(why);
  });
  const subscription = client
    .request({ query: SUBSCRIPTION, operationName: 'CorpusChanged' })
    .subscribe({
      next: (result) => queue.push(result),
      error: (err) => queue.error(`subscription error: ${describe(err)}`),
      complete: () => queue.error('the server completed the subscription'),
    });
  return {
    connected,
    protocol: () => sockets.at(-1)?.protocol,
    dispose: async () => {
      queue.close();
      subscription.unsubscribe();
      client.close(true, true);
    },
  };
}

function describe(err) {
  if (err instanceof Error) {
    return err.message;
  }
  if (Array.isArray(err)) {
    return err.map(describe).join('; ');
  }
  if (err && typeof err === 'object' && 'code' in err && 'reason' in err) {
    return `WebSocket closed (code ${err.code}, reason ${JSON.stringify(err.reason)})`;
  }
  if (err && typeof err === 'object' && 'message' in err) {
    return String(err.message);
  }
  return JSON.stringify(err);
}

/** Results pushed by a client, taken one at a time with a deadline. */
class Queue {
  #items = [];
  #waiting = null;
  #error = null;
  #closed = false;

  push(result) {
    if (this.#closed) {
      return;
    }
    this.#items.push(result);
    this.#wake();
  }

  error(message) {
    if (this.#closed || this.#error) {
      return;
    }
    this.#error = message;
    this.#wake();
  }

  close() {
    this.#closed = true;
  }

  #wake() {
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.();
  }

  /** The next result, or null at `deadline` (ms since the epoch). Throws on a client error. */
  async next(deadline) {
    for (;;) {
      if (this.#items.length > 0) {
        return this.#items.shift();
      }
      if (this.#error) {
        fail(this.#error);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        return null;
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailure(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One client's check: subscribe, edit `edited` (append a line) and create `added` (paths
 * relative to the content root), and wait for events naming both.
 */
async function checkClient({ name, subprotocol, subscribe, edited, added }) {
  const queue = new Queue();
  const client = subscribe(queue);
  try {
    await withTimeout(client.connected, CONNECT_TIMEOUT_MS, `${name}: connecting to ${wsUrl}`);
    const protocol = client.protocol();
    if (protocol !== subprotocol) {
      fail(`${name}: the server chose subprotocol ${JSON.stringify(protocol)}, expected ${JSON.stringify(subprotocol)}`);
    }
    await sleep(SETTLE_MS);
    // Anything received so far comes from changes made before this check's edits.
    for (let early; (early = await queue.next(Date.now())); ) {
      console.log(`${name}: ignoring an event from before the edits: ${JSON.stringify(early)}`);
    }
    const before = (await httpQuery('{ site { version } }')).site.version;
    console.log(`${name}: connected to ${wsUrl} (subprotocol ${protocol}); version before: ${before}`);

    const editedAbs = join(contentDir, edited);
    const addedAbs = join(contentDir, added);
    if (!existsSync(editedAbs)) {
      fail(`${name}: ${editedAbs} does not exist (the server reported it as a post's sourcePath)`);
    }
    if (existsSync(addedAbs)) {
      fail(`${name}: ${addedAbs} exists already`);
    }
    const editedAt = Date.now();
    appendFileSync(editedAbs, `\nA line appended by the ${name} subscription check.\n`);
    writeFileSync(
      addedAbs,
      `---\ntitle: Added by the ${name} check\ndate: 2024-07-01\ntags: [ws-check]\n---\n\nA post added while a ${name} client listened.\n`,
    );
    console.log(`${name}: appended a line to ${edited}, added ${added}`);

    const deadline = editedAt + EVENT_TIMEOUT_MS;
    const seen = { updated: new Set(), added: new Set() };
    const events = [];
    let previous = before;
    while (!seen.updated.has(edited) || !seen.added.has(added)) {
      const result = await queue.next(deadline);
      if (result === null) {
        fail(
          `${name}: within ${EVENT_TIMEOUT_MS / 1000} s, expected corpusChanged events with ` +
            `updated ∋ ${edited} and added ∋ ${added}; received ${events.length}: ` +
            JSON.stringify(events),
        );
      }
      if (result.errors?.length) {
        fail(`${name}: the subscription answered errors: ${JSON.stringify(result.errors)}`);
      }
      const event = result.data?.corpusChanged;
      checkShape(name, event);
      events.push(event);
      console.log(
        `${name}: event after ${Date.now() - editedAt} ms: version ${event.version}, ` +
          `added ${JSON.stringify(event.added)}, updated ${JSON.stringify(event.updated)}, ` +
          `removed ${JSON.stringify(event.removed)}, ${event.diagnostics.length} diagnostics`,
      );
      if (event.version === previous) {
        fail(`${name}: the event's version ${event.version} is the version served before it`);
      }
      previous = event.version;
      for (const path of event.updated) seen.updated.add(path);
      for (const path of event.added) seen.added.add(path);
      // The edit and the new file may come in one event or in several (the watcher batches
      // what it sees); the new file may also show up again as updated (created, then
      // written), but it must have been reported as added at some point.
      if (event.removed.includes(edited) || event.removed.includes(added)) {
        fail(`${name}: the event reports an edited or added file as removed`);
      }
    }
    const last = events.at(-1).version;
    if (last === before) {
      fail(`${name}: the version did not change (${before})`);
    }
    const after = (await httpQuery('{ site { version } }')).site.version;
    if (after !== last) {
      fail(`${name}: after the event with version ${last}, { site { version } } over HTTP answers ${after}`);
    }
    console.log(`${name}: OK (${events.length} event(s) in ${Date.now() - editedAt} ms; HTTP now serves ${after})`);
  } finally {
    await client.dispose();
  }
}

async function main() {
  // Two posts the server loaded, to edit, and their folders for the new posts.
  const data = await httpQuery(
    '{ posts(first: 2, orderBy: {field: DATE, direction: ASC}) { nodes { sourcePath } } }',
  );
  const paths = data.posts.nodes.map((node) => node.sourcePath);
  if (paths.length < 2) {
    fail(`the served folder needs at least two posts, it has ${paths.length}`);
  }
  const folder = (path) => (dirname(path) === '.' ? '' : `${dirname(path)}/`);
  await checkClient({
    name: 'graphql-ws',
    subprotocol: 'graphql-transport-ws',
    subscribe: subscribeWithGraphqlWs,
    edited: paths[0],
    added: `${folder(paths[0])}2024-07-01-added-by-graphql-ws-check.md`,
  });
  await checkClient({
    name: 'subscriptions-transport-ws',
    subprotocol: 'graphql-ws',
    subscribe: subscribeWithTransportWs,
    edited: paths[1],
    added: `${folder(paths[1])}2024-07-02-added-by-subscriptions-transport-ws-check.md`,
  });
}

try {
  await main();
  clearTimeout(watchdog);
  console.log('graphql-ws OK: both clients received corpusChanged for an edited and an added post');
  process.exit(0);
} catch (err) {
  if (err instanceof CheckFailure) {
    console.error(`graphql-ws FAILED: ${err.message}`);
  } else {
    console.error('graphql-ws FAILED with an unexpected error:');
    console.error(err);
  }
  process.exit(1);
}
