// Drives inkgraph's playground in headless Chromium (run ../check-playground-browser.sh):
//   1. loads BASE/ and waits for GraphiQL's editor;
//   2. types a query into the editor, runs it, and sees the answer in the result pane;
//   3. types a corpusChanged subscription, runs it, edits a post in CONTENT (the folder the
//      server watches) and sees the event in the result pane;
//   4. checks that nothing was requested from another host (the playground works offline).
// Usage: node check.mjs BASE CONTENT [SCREENSHOT.png]      (CHROMIUM: the browser binary)
import puppeteer from "puppeteer-core";
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, content, screenshot] = process.argv.slice(2);
if (!base || !content) {
  console.error("usage: node check.mjs BASE_URL CONTENT_DIR [SCREENSHOT.png]");
  process.exit(2);
}
const origin = new URL(base).origin;
// With --playground-assets pointing at another server (a CDN), its origin is allowed too, and
// the playground's script must come from there.
const assetsOrigin = process.env.ASSETS_ORIGIN ? new URL(process.env.ASSETS_ORIGIN).origin : null;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "inkgraph-chromium-"));
const STEP_MS = 30_000;

const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  defaultViewport: { width: 1280, height: 900 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
  ],
});

const requested = new Set();
const problems = [];
let failed = false;
function fail(message) {
  console.log(`  FAIL  ${message}`);
  failed = true;
}
function ok(message) {
  console.log(`  ok    ${message}`);
}

try {
  const page = await browser.newPage();
  page.on("request", (request) => requested.add(request.url()));
  page.on("workercreated", (worker) => requested.add(worker.url()));
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url().slice(0, 120)} (${request.failure()?.errorText})`),
  );
  // WebSockets are not page requests: watch them through the DevTools protocol.
  const cdp = await page.createCDPSession();
  await cdp.send("Network.enable");
  let subscribed = false;
  cdp.on("Network.webSocketCreated", ({ url }) => requested.add(url));
  cdp.on("Network.webSocketFrameSent", ({ response }) => {
    if (String(response?.payloadData).includes('"subscribe"')) subscribed = true;
  });

  await page.goto(`${base}`, { waitUntil: "networkidle0", timeout: STEP_MS });
  await page.waitForSelector(".graphiql-query-editor .monaco-editor .view-lines", { timeout: STEP_MS });
  ok("the playground loaded (GraphiQL's editor is on the page)");
  const explorer = await page.$('button[aria-label="Show GraphiQL Explorer"]');
  explorer ? ok("the explorer plugin is there") : fail("no GraphiQL Explorer button");

  // Monaco renders spaces as no-break spaces.
  const plain = (text) => text.replace(/\u00a0/g, " ");
  const editorText = async () =>
    plain(await page.$eval(".graphiql-query-editor .monaco-editor .view-lines", (el) => el.innerText));
  const resultText = async () =>
    plain(await page.$eval(".graphiql-response .monaco-editor .view-lines", (el) => el.innerText));
  async function typeQuery(text) {
    await page.click(".graphiql-query-editor .monaco-editor .view-lines");
    await page.keyboard.down("Control");
    await page.keyboard.press("KeyA");
    await page.keyboard.up("Control");
    await page.keyboard.press("Backspace");
    // Inserted as one text input (as a paste is): the editor does not auto-close brackets.
    await page.keyboard.sendCharacter(text);
  }
  async function resultContains(needles, timeout = STEP_MS) {
    await page.waitForFunction(
      (needles) => {
        const text = document.querySelector(".graphiql-response .monaco-editor .view-lines")?.innerText ?? "";
        return needles.every((needle) => text.includes(needle));
      },
      { timeout },
      needles,
    );
  }

  // A query, typed and run.
  const query = "{ site { title postCount } }";
  await typeQuery(query);
  const typed = await editorText();
  typed.includes(query) ? ok(`typed ${query}`) : fail(`the editor holds ${JSON.stringify(typed)}`);
  await page.click(".graphiql-execute-button");
  try {
    await resultContains(['"postCount"', '"title"']);
    const result = await resultText();
    /"postCount": \d+/.test(result)
      ? ok(`the result pane shows the answer: ${result.replace(/\s+/g, " ").trim()}`)
      : fail(`unexpected result: ${result}`);
  } catch {
    fail(`no answer in the result pane: ${JSON.stringify(await resultText().catch(() => ""))}`);
  }

  // A subscription, typed and run; then a post is edited until an event arrives.
  await typeQuery("subscription { corpusChanged { version updated } }");
  await page.click(".graphiql-execute-button");
  const posts = join(content, "blog", "_posts");
  const post = readdirSync(posts).find((name) => name.endsWith(".md"));
  const deadline = Date.now() + STEP_MS;
  let event = false;
  while (!event && Date.now() < deadline) {
    if (subscribed) appendFileSync(join(posts, post), `\nEdited by the playground check at ${Date.now()}.\n`);
    try {
      await resultContains(['"corpusChanged"', post], 2_000);
      event = true;
    } catch {
      // Not yet (the subscription may not have reached the server before the edit).
    }
  }
  if (event) {
    ok(`the subscription received corpusChanged for blog/_posts/${post}`);
  } else {
    fail(
      `no corpusChanged event in the result pane within ${STEP_MS / 1000} s (subscribe sent: ${subscribed}): ${JSON.stringify(
        await resultText().catch(() => ""),
      )}`,
    );
  }
  if (screenshot) await page.screenshot({ path: screenshot });

  // Offline: every request went to the server itself (or stayed in the page).
  const allowed = [origin, assetsOrigin].filter(Boolean);
  const elsewhere = [...requested].filter((url) => {
    if (url.startsWith("data:") || url.startsWith("blob:")) return false;
    const parsed = new URL(url);
    const asHttp = `${parsed.protocol === "ws:" ? "http:" : parsed.protocol === "wss:" ? "https:" : parsed.protocol}//${parsed.host}`;
    return !allowed.includes(asHttp);
  });
  elsewhere.length === 0
    ? ok(`all ${requested.size} requests went to ${allowed.join(" and ")} (or were data:/blob: URLs)`)
    : fail(`requests to other hosts: ${elsewhere.join(", ")}`);
  if (assetsOrigin) {
    const fromCdn = [...requested].filter((url) => url.startsWith(assetsOrigin));
    fromCdn.some((url) => url.includes("/playground.js")) && fromCdn.some((url) => url.includes("/playground.css"))
      ? ok(`the script and stylesheet came from ${assetsOrigin} (${fromCdn.length} requests seen by the page)`)
      : fail(`the playground's files did not come from ${assetsOrigin}: ${fromCdn.join(", ")}`);
  }
  // ERR_ABORTED is a request cancelled by the page itself: the editor restarts its GraphQL
  // worker once the schema arrives, which cancels the first worker's script load.
  const requestProblems = problems.filter((p) => !p.includes("favicon.ico") && !p.includes("net::ERR_ABORTED"));
  requestProblems.length === 0
    ? ok("no page errors or failed requests")
    : fail(requestProblems.join("; "));
} catch (error) {
  fail(`the check stopped: ${error.message}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
