#!/usr/bin/env node
// Subscribes to `corpusChanged` with the graphql-ws client at WS_URL (e.g. through a proxy),
// then appends a line to FILE (a post in the folder the server watches) until an event
// arrives; prints the event and exits 0, or exits 1 after TIMEOUT_MS.
//
//   node subscribe-once.mjs ws://127.0.0.1:PORT/graphql/ws CONTENT/blog/_posts/x.md
//
// Used by ../nginx-replicas-test.sh to check that subscriptions pass through nginx.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, file] = process.argv.slice(2);
if (!url || !file) {
  console.error('usage: node subscribe-once.mjs WS_URL FILE_TO_EDIT');
  process.exit(2);
}
const TIMEOUT_MS = 20_000;

/** A WebSocket close or error event, in words. */
function describe(event) {
  const parts = [event?.type, event?.code, event?.reason, event?.message, event?.error?.message];
  return parts.filter((part) => part !== undefined && part !== '').join(' ') || String(event);
}

let connected = false;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  retryAttempts: 0,
  on: { connected: () => (connected = true) },
});
const event = new Promise((resolve, reject) => {
  client.subscribe(
    { query: 'subscription { corpusChanged { version added updated removed } }' },
    {
      next: ({ data, errors }) => (errors ? reject(new Error(JSON.stringify(errors))) : resolve(data)),
      error: (err) => reject(err instanceof Error ? err : new Error(describe(err))),
      complete: () => reject(new Error('the server completed the subscription')),
    },
  );
});
let done = false;
const editing = (async () => {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!done && Date.now() < deadline) {
    // Edit only once the socket is acknowledged (and the subscription had a moment to start).
    if (connected) appendFileSync(file, `\nEdited through the proxy at ${Date.now()}.\n`);
    await sleep(connected ? 1_500 : 100);
  }
})();
try {
  const data = await Promise.race([
    event,
    sleep(TIMEOUT_MS).then(() => {
      throw new Error(`no corpusChanged event within ${TIMEOUT_MS / 1000} s (connected: ${connected})`);
    }),
  ]);
  console.log(JSON.stringify(data));
  done = true;
  await editing;
  await client.dispose();
  process.exit(0);
} catch (err) {
  console.error(`subscription failed: ${err.message}`);
  process.exit(1);
}
