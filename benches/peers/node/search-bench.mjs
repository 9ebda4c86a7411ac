// MiniSearch over a Jekyll folder, in-process: the kind of in-memory search library static
// blogs ship, as issue #16's yardstick for inkgraph's search (scripts/search-vs-minisearch.sh
// runs both over the same posts and queries). Benchmark only, like the peer beside it.
//
//   node search-bench.mjs --content DIR --queries FILE [--seconds 3]
//
// Indexes every post of every `_posts` folder (gray-matter front matter): title (boost 6),
// tags (3), description (2) and the Markdown body, as inkgraph weighs them; searches with
// MiniSearch's defaults for a search box (every word must match, fuzzy 0.2, no prefix). Prints
// one line of JSON: posts, index_ms, heap_bytes (after the build), and queries (per_s,
// p50_us, p99_us, mean_hits) over FILE's queries (one a line) cycled for `--seconds`.
import fs from 'node:fs';
import path from 'node:path';
import matter from 'gray-matter';
import MiniSearch from 'minisearch';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const content = option('--content');
const queriesFile = option('--queries');
const seconds = Number(option('--seconds', '3'));
if (!content || !queriesFile) {
  process.stderr.write('usage: node search-bench.mjs --content DIR --queries FILE [--seconds N]\n');
  process.exit(2);
}

function postFiles(dir, inPosts, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === '_site') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) postFiles(full, inPosts || entry.name === '_posts', out);
    else if (inPosts && entry.isFile() && /\.(md|markdown)$/.test(entry.name)) out.push(full);
  }
  return out;
}

const words = (value) =>
  Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/\s+/) : [];

const started = process.hrtime.bigint();
const docs = [];
for (const file of postFiles(content, false, [])) {
  let parsed;
  try {
    parsed = matter(fs.readFileSync(file, 'utf8'));
  } catch {
    continue;
  }
  const data = parsed.data || {};
  docs.push({
    id: docs.length,
    title: data.title != null ? String(data.title) : path.basename(file),
    tags: [...words(data.tags), ...words(data.tag)].join(' '),
    description: data.description != null ? String(data.description) : '',
    body: parsed.content,
  });
}
const loaded = process.hrtime.bigint();
const search = new MiniSearch({
  fields: ['title', 'tags', 'description', 'body'],
  storeFields: [],
  searchOptions: { boost: { title: 6, tags: 3, description: 2 }, fuzzy: 0.2, combineWith: 'AND' },
});
search.addAll(docs);
const indexed = process.hrtime.bigint();
globalThis.gc?.();
const heap = process.memoryUsage().heapUsed;

const queries = fs.readFileSync(queriesFile, 'utf8').split('\n').filter((q) => q.trim());
const times = [];
let hits = 0;
const begin = process.hrtime.bigint();
const limit = BigInt(Math.round(seconds * 1e9));
for (let i = 0; process.hrtime.bigint() - begin < limit || i < queries.length; i++) {
  const t = process.hrtime.bigint();
  hits += search.search(queries[i % queries.length]).length;
  times.push(Number(process.hrtime.bigint() - t) / 1e3);
}
const elapsed = Number(process.hrtime.bigint() - begin) / 1e9;
times.sort((a, b) => a - b);
const at = (q) => times[Math.floor((times.length - 1) * q)];
const round = (x) => Math.round(x * 1000) / 1000;
console.log(
  JSON.stringify({
    posts: docs.length,
    read_ms: round(Number(loaded - started) / 1e6),
    index_ms: round(Number(indexed - loaded) / 1e6),
    heap_bytes: heap,
    queries: {
      distinct: queries.length,
      runs: times.length,
      per_s: round(times.length / elapsed),
      p50_us: round(at(0.5)),
      p99_us: round(at(0.99)),
      mean_hits: round(hits / times.length),
    },
  }),
);
