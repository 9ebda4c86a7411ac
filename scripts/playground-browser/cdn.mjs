// A stand-in CDN for the playground's files: serves DIR on a free loopback port with CORS
// headers (as a real CDN must, see README "The playground") and prints
// `listening on http://127.0.0.1:PORT/`. Used by ../check-playground-browser.sh.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, normalize } from "node:path";

const dir = process.argv[2];
const types = { ".js": "text/javascript", ".css": "text/css", ".ttf": "font/ttf", ".txt": "text/plain" };
const server = createServer(async (request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname)).replace(/^\/+/, "");
  if (path.includes("..")) {
    response.writeHead(400).end();
    return;
  }
  try {
    const body = await readFile(join(dir, path));
    const type = types[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";
    response.writeHead(200, { "content-type": type, "access-control-allow-origin": "*" });
    console.log(`served /${path}`);
    response.end(body);
  } catch {
    response.writeHead(404, { "access-control-allow-origin": "*" }).end();
  }
});
server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}/`));
