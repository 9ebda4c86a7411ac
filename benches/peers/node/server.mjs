#!/usr/bin/env node
// Benchmark-only Node.js peer for inkgraph's load comparison (issue #8): a GraphQL server over a
// Jekyll folder written the way a Node engineer would write it for production, with
// graphql-yoga, gray-matter and markdown-it. See README.md beside this file.
//
//   node server.mjs --content DIR [--port 0] [--host 127.0.0.1] [--workers 1|N|auto]
//                   [--response-cache] [--prerender]
//
// Prints exactly one line, `listening on http://HOST:PORT`, once every worker is ready.

import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

// graphql-js (and some of yoga) runs extra development checks on every value unless
// NODE_ENV=production, which is read when the modules load: default it before importing them.
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
const [
  { createInMemoryAPQStore, useAPQ },
  { useResponseCache },
  { GraphQLError },
  { createSchema, createYoga },
  { default: matter },
  { default: hljs },
  { default: yaml },
  { default: MarkdownIt },
  { default: anchor },
  { default: footnote },
  { default: taskLists },
] = await Promise.all([
  import('@graphql-yoga/plugin-apq'),
  import('@graphql-yoga/plugin-response-cache'),
  import('graphql'),
  import('graphql-yoga'),
  import('gray-matter'),
  import('highlight.js'),
  import('js-yaml'),
  import('markdown-it'),
  import('markdown-it-anchor'),
  import('markdown-it-footnote'),
  import('markdown-it-task-lists'),
]);

// ---------------------------------------------------------------------------------------------
// Command line

function usage(message) {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write(
    'usage: node server.mjs --content DIR [--port N] [--host ADDR] [--workers N|auto] [--response-cache] [--prerender]\n',
  );
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      content: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      workers: { type: 'string', default: '1' },
      'response-cache': { type: 'boolean', default: false },
      prerender: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }));
} catch (err) {
  usage(err.message);
}
if (options.help) usage();
if (!options.content) usage('--content DIR is required');
const contentRoot = path.resolve(options.content);
const port = Number(options.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad --port ${options.port}`);
const workers = options.workers === 'auto' ? os.availableParallelism() : Number(options.workers);
if (!Number.isInteger(workers) || workers < 1) usage(`bad --workers ${options.workers}`);

// ---------------------------------------------------------------------------------------------
// Loading

/** Front matter with YAML's core schema, so dates stay strings and keep their offsets. */
const matterOptions = {
  engines: { yaml: (text) => yaml.load(text, { schema: yaml.CORE_SCHEMA }) ?? {} },
};

const POST_FILE = /^(\d{4})-(\d{2})-(\d{2})-(.+)\.(?:md|markdown)$/i;
const SKIP_DIRS = new Set(['_site', 'node_modules', 'vendor', '_drafts', '.git']);

/** `_config.yml` `exclude` entries (`scratch/`, `notes-to-self.md`, simple `*` globs) as a test. */
function excluder(entries) {
  const patterns = entries
    .map((e) => String(e).trim().replace(/^\.\//, '').replace(/\/+$/, ''))
    .filter(Boolean)
    .map((e) => new RegExp('^' + e.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '(?:/|$)'));
  return (rel) => patterns.some((re) => re.test(rel));
}

/** Every post file under `root`: files of `_posts` folders at any depth. */
function findPostFiles(root, excluded) {
  const found = [];
  const walk = (dir, segments, inPosts, categories) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (excluded([...segments, entry.name].join('/'))) continue;
      if (entry.isDirectory()) {
        if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
        if (entry.name === '_posts') {
          if (!inPosts) walk(full, [...segments, entry.name], true, segments.slice());
        } else {
          walk(full, [...segments, entry.name], inPosts, categories);
        }
      } else if (inPosts && entry.isFile() && POST_FILE.test(entry.name)) {
        found.push({ full, rel: [...segments, entry.name].join('/'), categories });
      }
    }
  };
  walk(root, [], false, []);
  return found;
}

/** `_config.yml` values the peer uses: permalink, url, baseurl, title, description, exclude, timezone. */
function readConfig(root) {
  let config = {};
  try {
    config = yaml.load(fs.readFileSync(path.join(root, '_config.yml'), 'utf8'), { schema: yaml.CORE_SCHEMA }) ?? {};
  } catch {
    config = {};
  }
  const text = (v) => (v == null || typeof v === 'object' ? null : String(v));
  return {
    permalink: text(config.permalink) ?? 'date',
    url: (text(config.url) ?? '').replace(/\/+$/, ''),
    baseurl: (text(config.baseurl) ?? '').replace(/\/+$/, ''),
    title: text(config.title),
    description: text(config.description),
    exclude: Array.isArray(config.exclude) ? config.exclude : [],
    timezone: text(config.timezone),
  };
}

const DATE_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** A formatter that gives wall-clock parts in the IANA zone `name` (null when unknown). */
function zoneClock(name) {
  if (!name) return null;
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    process.stderr.write(`warning: unknown timezone \`${name}\` in _config.yml; dates without an offset are read as UTC\n`);
    return null;
  }
}

/** The zone's offset from UTC, in minutes, at the instant `ms`. */
function offsetAt(clock, ms) {
  const p = {};
  for (const { type, value } of clock.formatToParts(new Date(ms))) p[type] = value;
  const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
}

/**
 * A front-matter date (`2025-08-07 02:54:48 +0000`, `2011-05-25`, `2018-11-15T21:20:56.211Z`,
 * ...) as { ms, iso, local } where iso is RFC 3339 with the written offset (else the site zone's,
 * else UTC), as inkgraph's DateTime prints it, and local's UTC fields are the wall clock in the
 * site's zone (UTC when none), which permalinks use. Null when unreadable.
 */
function parseDate(text, clock) {
  const m = DATE_RE.exec(String(text).trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const nanos = Number((frac + '000000000').slice(0, 9));
  const wall = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const check = new Date(wall);
  if (check.getUTCDate() !== +d || check.getUTCMonth() !== +mo - 1 || +h > 23 || +mi > 59 || +s > 60) return null;
  let offsetMin = 0;
  if (zone && zone !== 'Z' && zone !== 'UTC') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  } else if (!zone && clock) {
    // A wall-clock time in the site's zone. Around a change of offset: a time that occurs twice
    // takes the earlier instant, a skipped time the offset before the change (as chrono does).
    const before = offsetAt(clock, wall - 86_400_000);
    const after = offsetAt(clock, wall + 86_400_000);
    const fits = [before, after].filter((o) => offsetAt(clock, wall - o * 60_000) === o);
    offsetMin = fits.length ? Math.max(...fits) : before;
  }
  const ms = wall - offsetMin * 60_000 + Math.floor(nanos / 1e6);
  // chrono prints fractions as 3, 6 or 9 digits, and none when zero.
  let fraction = '';
  if (nanos !== 0) {
    const nine = pad(nanos, 9);
    fraction = '.' + (nanos % 1e6 === 0 ? nine.slice(0, 3) : nanos % 1e3 === 0 ? nine.slice(0, 6) : nine);
  }
  const abs = Math.abs(offsetMin);
  const offset = `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  const iso = `${y}-${pad(+mo)}-${pad(+d)}T${pad(+h)}:${pad(+mi)}:${pad(+s)}${fraction}${offset}`;
  return { ms, iso, local: new Date(clock ? ms + offsetAt(clock, ms) * 60_000 : ms) };
}

/** A word list from a string (split on whitespace), a number, or a (nested) list. */
function wordList(value) {
  if (value == null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => (Array.isArray(v) ? wordList(v) : v == null || typeof v === 'object' ? [] : [String(v).trim()]));
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (typeof value === 'object') return [];
  return [String(value)];
}

function dedupCaseInsensitive(items) {
  const seen = new Set();
  return items.filter((item) => {
    const key = item.toLowerCase();
    if (!item || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Tag slug: lower case, whitespace runs as `-` (as inkgraph). */
const tagSlug = (name) => String(name).split(/\s+/).filter(Boolean).join('-').toLowerCase();

const titleize = (slug) =>
  slug
    .split(/[-_ ]/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');

/** Jekyll's default slugify. */
const slugify = (text) =>
  text
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
/** Jekyll's "pretty" slugify with case kept, used for `:title`. */
const slugifyPretty = (text) => text.replace(/[^\p{L}\p{N}._~!$&'()+,;=@]+/gu, '-').replace(/^-+|-+$/g, '');

const STYLES = {
  date: '/:categories/:year/:month/:day/:title:output_ext',
  pretty: '/:categories/:year/:month/:day/:title/',
  ordinal: '/:categories/:year/:y_day/:title:output_ext',
  none: '/:categories/:title:output_ext',
};

/** Expands a Jekyll permalink style or template (common placeholders). */
function expandPermalink(template, { categories, slug, local }) {
  const t = STYLES[template.trim()] ?? template.trim();
  const yDay = Math.floor((local - Date.UTC(local.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  const values = {
    year: pad(local.getUTCFullYear(), 4),
    short_year: pad(local.getUTCFullYear() % 100),
    month: pad(local.getUTCMonth() + 1),
    i_month: String(local.getUTCMonth() + 1),
    day: pad(local.getUTCDate()),
    i_day: String(local.getUTCDate()),
    y_day: pad(yDay, 3),
    hour: pad(local.getUTCHours()),
    minute: pad(local.getUTCMinutes()),
    second: pad(local.getUTCSeconds()),
    title: slugifyPretty(slug),
    slug: slugify(slug),
    name: slugify(slug),
    categories: [...new Set(categories.map((c) => c.toLowerCase()))].join('/'),
    output_ext: '.html',
  };
  // A placeholder name runs to the next character that is not alphanumeric or `_`; unknown
  // names (a literal colon) are kept.
  const out = t.replace(/:([A-Za-z0-9_]+)/g, (whole, name) => (name in values ? values[name] : whole));
  return ('/' + out).replace(/\/{2,}/g, '/');
}

/** `/blog/x/`, `/blog/x.html`, `blog/x/index.html` → `/blog/x`. */
function permalinkKey(p) {
  let s = p.trim();
  if (s.endsWith('index.html')) s = s.slice(0, -'index.html'.length);
  if (s.endsWith('.html')) s = s.slice(0, -'.html'.length);
  return '/' + s.replace(/^\/+|\/+$/g, '');
}

// Link targets in a Markdown body: inline links, reference definitions, raw HTML hrefs and
// {% post_url %}. Matched with regular expressions, not a Markdown parse (so a link-shaped text in
// a code block counts too).
const INLINE_LINK = /\]\(\s*<?([^)\s>]+)/g;
const REF_DEF = /\n {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*<?([^\s>]+)/g;
const HREF = /href\s*=\s*["']([^"']+)["']/gi;
const POST_URL = /\{%-?\s*post_url\s+([^\s%]+)\s*-?%\}/g;

function linkTargets(body) {
  const out = [];
  const scan = (re, text, key) => {
    re.lastIndex = 0;
    for (let m; (m = re.exec(text)); ) out.push({ [key]: m[1] });
  };
  scan(INLINE_LINK, body, 'href');
  if (body.includes(']:')) scan(REF_DEF, '\n' + body, 'href');
  if (body.includes('href')) scan(HREF, body, 'href');
  if (body.includes('post_url')) scan(POST_URL, body, 'postUrl');
  return out;
}

function loadCorpus(root) {
  const started = process.hrtime.bigint();
  const config = readConfig(root);
  const clock = zoneClock(config.timezone);
  const now = Date.now();
  const docs = [];
  for (const file of findPostFiles(root, excluder(config.exclude))) {
    const name = path.basename(file.full);
    const [, fy, fm, fd, rest] = POST_FILE.exec(name);
    let parsed;
    try {
      parsed = matter(fs.readFileSync(file.full, 'utf8'), matterOptions);
    } catch (err) {
      process.stderr.write(`warning: ${file.rel}: bad front matter (${err.message}); skipped\n`);
      continue;
    }
    const data = parsed.data && typeof parsed.data === 'object' ? parsed.data : {};
    if (data.published === false || data.published === 'false') continue;
    const date =
      (data.date != null && parseDate(data.date, clock)) || parseDate(`${fy}-${fm}-${fd}`, clock);
    if (!date || date.ms > now) continue; // unreadable, or in the future (hidden as by Jekyll)
    const slugWritten = data.slug != null && String(data.slug).trim() ? String(data.slug).trim() : rest;
    const categories = dedupCaseInsensitive([...file.categories, ...wordList(data.categories), ...wordList(data.category)]);
    const tagNames = dedupCaseInsensitive([...wordList(data.tags), ...wordList(data.tag)]);
    docs.push({
      sourcePath: file.rel,
      data,
      body: parsed.content,
      date,
      slug: slugWritten,
      categories,
      tagNames,
      title: data.title != null && typeof data.title !== 'object' ? String(data.title) : titleize(slugWritten),
    });
  }

  // Oldest first (then path) keeps a contested slug; later ones get -2, -3, ... (permalinks keep
  // the slug as written, as in inkgraph).
  docs.sort((a, b) => a.date.ms - b.date.ms || cmp(a.sourcePath, b.sourcePath));
  const taken = new Set();
  for (const doc of docs) {
    doc.writtenSlug = doc.slug;
    let slug = doc.slug;
    for (let n = 2; taken.has(slug); n++) slug = `${doc.slug}-${n}`;
    taken.add(slug);
    doc.slug = slug;
  }

  // Tags: one per slug, named by the most frequent spelling (ties: alphabetically first).
  const spellings = new Map();
  for (const doc of docs) {
    for (const name of doc.tagNames) {
      const slug = tagSlug(name);
      if (!slug) continue;
      let names = spellings.get(slug);
      if (!names) spellings.set(slug, (names = new Map()));
      names.set(name, (names.get(name) ?? 0) + 1);
    }
  }
  const tagBySlug = new Map();
  for (const [slug, names] of [...spellings].sort((a, b) => cmp(a[0], b[0]))) {
    let best = null;
    for (const [name, count] of names) {
      if (!best || count > best[1] || (count === best[1] && name < best[0])) best = [name, count];
    }
    tagBySlug.set(slug, { id: Buffer.from(`tag:${slug}`).toString('base64url'), slug, name: best[0], postCount: 0, posts: [], idf: 0 });
  }

  // Posts, newest first (ties: slug descending — the exact reverse of ascending date, slug).
  const posts = docs.map((doc) => {
    const template = doc.data.permalink != null && typeof doc.data.permalink !== 'object' ? String(doc.data.permalink) : config.permalink;
    const tags = [];
    for (const name of doc.tagNames) {
      const tag = tagBySlug.get(tagSlug(name));
      if (tag && !tags.includes(tag)) tags.push(tag);
    }
    return {
      idx: 0,
      id: Buffer.from(`post:${doc.sourcePath}`).toString('base64url'),
      slug: doc.slug,
      title: doc.title,
      titleKey: doc.title.toLowerCase(),
      date: doc.date.iso,
      ms: doc.date.ms,
      permalink: expandPermalink(template, { categories: doc.categories, slug: doc.writtenSlug, local: doc.date.local }),
      sourcePath: doc.sourcePath,
      categories: doc.categories,
      tags,
      description: doc.data.description != null && typeof doc.data.description !== 'object' ? String(doc.data.description) : null,
      markdown: doc.body,
      neighbours: new Set(),
      renderedHtml: null,
      relatedCache: null,
    };
  });
  posts.sort((a, b) => b.ms - a.ms || cmp(b.slug, a.slug));
  posts.forEach((p, i) => (p.idx = i));

  const postBySlug = new Map(posts.map((p) => [p.slug, p]));
  const postByPath = new Map(posts.map((p) => [p.sourcePath, p]));
  const postByPermalink = new Map();
  for (let i = posts.length - 1; i >= 0; i--) {
    const key = permalinkKey(posts[i].permalink);
    if (!postByPermalink.has(key)) postByPermalink.set(key, posts[i]);
  }
  const postByFileStem = new Map(posts.map((p) => [path.basename(p.sourcePath).replace(/\.(md|markdown)$/i, ''), p]));

  // Per-tag post lists (newest first), counts and rarity weights.
  for (const post of posts) for (const tag of post.tags) tag.posts.push(post);
  const tags = [...tagBySlug.values()].filter((t) => t.posts.length > 0);
  const visible = Math.max(posts.length, 1);
  for (const tag of tags) {
    tag.postCount = tag.posts.length;
    tag.idf = Math.log(visible / tag.postCount) + 1;
  }
  const tagsByCount = tags.slice().sort((a, b) => b.postCount - a.postCount || cmp(a.name.toLowerCase(), b.name.toLowerCase()));

  // Orders, each with a rank per post so filtered subsets sort without comparing keys.
  const byDateDesc = posts;
  const byTitleAsc = posts
    .slice()
    .sort((a, b) => cmp(a.titleKey, b.titleKey) || a.ms - b.ms || cmp(a.slug, b.slug));
  const rank = { DATE: new Int32Array(posts.length), TITLE: new Int32Array(posts.length) };
  // DATE rank ascending = oldest first, so rank order matches the ASC direction for both.
  byDateDesc.forEach((p, i) => (rank.DATE[p.idx] = posts.length - 1 - i));
  byTitleAsc.forEach((p, i) => (rank.TITLE[p.idx] = i));
  const orders = {
    'DATE:DESC': byDateDesc,
    'DATE:ASC': byDateDesc.slice().reverse(),
    'TITLE:ASC': byTitleAsc,
    'TITLE:DESC': byTitleAsc.slice().reverse(),
  };

  // The link graph: a link either way makes two posts neighbours.
  const siteUrl = config.url + config.baseurl;
  for (const post of posts) {
    for (const target of linkTargets(post.markdown)) {
      let other = null;
      if (target.postUrl) {
        other = postByFileStem.get(target.postUrl.replace(/^.*\//, '').replace(/\.(md|markdown)$/i, ''));
      } else {
        let href = target.href.replace(/[?#].*$/, '');
        if (siteUrl && href.startsWith(siteUrl)) href = href.slice(siteUrl.length) || '/';
        else if (config.url && href.startsWith(config.url)) href = href.slice(config.url.length) || '/';
        if (!href.startsWith('/') || href.startsWith('//')) continue;
        if (config.baseurl && href.startsWith(config.baseurl + '/')) href = href.slice(config.baseurl.length);
        other = postByPermalink.get(permalinkKey(href));
      }
      if (other && other !== post) {
        post.neighbours.add(other.idx);
        other.neighbours.add(post.idx);
      }
    }
  }

  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    config,
    posts,
    postBySlug,
    postByPath,
    postByPermalink,
    tagBySlug,
    tags,
    tagsByCount,
    orders,
    rank,
    elapsedMs,
  };
}

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Rendering: markdown-it with raw HTML, linkify, typographer, footnotes, GFM task lists, heading ids (GitHub-style,
// like inkgraph's) and highlight.js for fenced code with a known language.

const md = new MarkdownIt({
  html: true,
  linkify: true,
  typographer: true,
  highlight(code, lang) {
    const language = lang ? lang.trim().split(/\s+/)[0].toLowerCase() : '';
    if (language && hljs.getLanguage(language)) {
      try {
        const value = hljs.highlight(code, { language, ignoreIllegals: true }).value;
        return `<pre><code class="hljs language-${md.utils.escapeHtml(language)}">${value}</code></pre>\n`;
      } catch {
        // fall through to markdown-it's escaping
      }
    }
    return '';
  },
})
  .use(footnote)
  .use(taskLists)
  .use(anchor, {
    tabIndex: false,
    slugify: (text) =>
      text
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
  });

function htmlOf(post) {
  if (post.renderedHtml === null) post.renderedHtml = md.render(post.markdown);
  return post.renderedHtml;
}

// ---------------------------------------------------------------------------------------------
// Queries over the loaded corpus.

const RELATED_LINK_BONUS = 2.0;
const RELATED_DATE_WEIGHT = 0.5;
const MAX_RELATED = 100;
const MAX_PAGE_SIZE = 100;

function makeApi(corpus) {
  const { posts, tagBySlug, tagsByCount, orders, rank } = corpus;
  const scores = new Float64Array(posts.length);

  /** Related posts, best first, computed once per post and kept. */
  function related(post) {
    if (post.relatedCache) return post.relatedCache;
    const touched = [];
    const touch = (idx, weight) => {
      if (scores[idx] === 0) touched.push(idx);
      scores[idx] += Math.max(weight, Number.MIN_VALUE);
    };
    for (const tag of post.tags) for (const other of tag.posts) if (other !== post) touch(other.idx, tag.idf);
    for (const idx of post.neighbours) if (idx !== post.idx) touch(idx, 0);
    const list = touched.map((idx) => {
      const other = posts[idx];
      const linked = post.neighbours.has(idx);
      const days = Math.trunc(Math.abs(post.ms - other.ms) / 1000) / 86_400;
      const score = scores[idx] + (linked ? RELATED_LINK_BONUS : 0) + RELATED_DATE_WEIGHT * Math.exp(-days / 365);
      scores[idx] = 0;
      return new RelatedPost(post, other, score, linked);
    });
    list.sort((a, b) => b.score - a.score || b.post.ms - a.post.ms || cmp(a.post.slug, b.post.slug));
    if (list.length > MAX_RELATED) list.length = MAX_RELATED;
    post.relatedCache = list;
    return list;
  }

  /** The tags a filter names, by slug or name; undefined entries for unknown tags. */
  const tagsOf = (names) => names.map((n) => tagBySlug.get(tagSlug(n)));

  // Filtered, ordered post lists, kept per (filter, order) — bounded.
  const filteredCache = new Map();
  const FILTERED_CACHE_MAX = 1000;

  function orderKey(orderBy) {
    const field = orderBy?.field ?? 'DATE';
    const direction = orderBy?.direction ?? 'DESC';
    if (!(field in rank)) throw new GraphQLError(`ordering by ${field} is not implemented by the Node.js peer`);
    return { key: `${field}:${direction}`, field, direction };
  }

  function filteredPosts(filter, orderBy) {
    const order = orderKey(orderBy);
    const base = orders[order.key];
    if (!filter || Object.keys(filter).every((k) => filter[k] == null)) return base;
    const cacheKey = order.key + '\u0000' + JSON.stringify(filter);
    const hit = filteredCache.get(cacheKey);
    if (hit) return hit;

    const all = filter.tags ? tagsOf(filter.tags) : [];
    const any = filter.anyTags ? tagsOf(filter.anyTags).filter(Boolean) : null;
    const none = filter.excludeTags ? tagsOf(filter.excludeTags).filter(Boolean) : [];
    const category = filter.category?.toLowerCase();
    let result;
    if (all.some((t) => !t) || (any && any.length === 0)) {
      result = [];
    } else {
      // Start from the smallest candidate set, then check the rest per post.
      let candidates = base;
      const seeds = all.length ? all : any && any.length === 1 ? any : [];
      if (seeds.length) candidates = seeds.reduce((s, t) => (t.posts.length < s.posts.length ? t : s)).posts;
      result = candidates.filter(
        (p) =>
          all.every((t) => p.tags.includes(t)) &&
          (!any || any.some((t) => p.tags.includes(t))) &&
          !none.some((t) => p.tags.includes(t)) &&
          (category === undefined || p.categories.some((c) => c.toLowerCase() === category)),
      );
      if (candidates !== base) {
        const r = rank[order.field];
        result.sort(order.direction === 'ASC' ? (a, b) => r[a.idx] - r[b.idx] : (a, b) => r[b.idx] - r[a.idx]);
      }
    }
    if (filteredCache.size >= FILTERED_CACHE_MAX) filteredCache.delete(filteredCache.keys().next().value);
    filteredCache.set(cacheKey, result);
    return result;
  }

  function connection(list, { first, after, last, before }) {
    if (last != null || before != null) throw new GraphQLError('`last`/`before` are not implemented by the Node.js peer');
    if (first != null && first < 0) throw new GraphQLError('`first` must not be negative');
    if (first != null && first > MAX_PAGE_SIZE)
      throw new GraphQLError(`\`first\` is ${first}, but at most ${MAX_PAGE_SIZE} items can be requested per page`);
    let start = 0;
    if (after != null) {
      const offset = decodeCursor(after);
      if (offset === null) throw new GraphQLError('`after` is not a cursor of this list');
      start = offset + 1;
    }
    const end = Math.min(list.length, start + (first ?? 20));
    return new Connection(list, start, end);
  }

  const cloudCache = new Map();
  function tagCloud({ limit = 50, minCount = 1, levels = 5, filter }) {
    if (levels < 1) throw new GraphQLError(`\`levels\` is ${levels}, but must be at least 1`);
    if (limit < 0) throw new GraphQLError(`\`limit\` is ${limit}, but must not be negative`);
    const key = `${limit}:${minCount}:${levels}:${filter ? JSON.stringify(filter) : ''}`;
    const hit = cloudCache.get(key);
    if (hit) return hit;
    let counts;
    if (!filter) {
      counts = tagsByCount.map((t) => [t, t.postCount]);
    } else {
      const perTag = new Map();
      for (const p of filteredPosts(filter, null)) for (const t of p.tags) perTag.set(t, (perTag.get(t) ?? 0) + 1);
      counts = [...perTag].sort((a, b) => b[1] - a[1] || cmp(a[0].name.toLowerCase(), b[0].name.toLowerCase()));
    }
    const floor = Math.max(minCount, 1);
    counts = counts.filter(([, n]) => n >= floor).slice(0, limit);
    const max = counts.length ? Math.max(...counts.map(([, n]) => n)) : 1;
    const min = counts.length ? Math.min(...counts.map(([, n]) => n)) : 1;
    const span = Math.log(max) - Math.log(min);
    const entries = counts.map(([tag, count]) => ({
      tag,
      name: tag.name,
      slug: tag.slug,
      count,
      weight: count / max,
      level: max <= min ? levels : 1 + Math.round(((Math.log(count) - Math.log(min)) / span) * (levels - 1)),
    }));
    if (cloudCache.size >= 1000) cloudCache.delete(cloudCache.keys().next().value);
    cloudCache.set(key, entries);
    return entries;
  }

  return { related, filteredPosts, connection, tagCloud };
}

const encodeCursor = (offset) => Buffer.from(`o:${offset}`).toString('base64url');
function decodeCursor(cursor) {
  const m = /^o:(\d+)$/.exec(Buffer.from(String(cursor), 'base64url').toString());
  return m ? Number(m[1]) : null;
}

class Connection {
  constructor(list, start, end) {
    this.list = list;
    this.start = start;
    this.end = end;
    this.totalCount = list.length;
    this.nodes = list.slice(start, end);
  }
  get edges() {
    return this.nodes.map((node, i) => ({ cursor: encodeCursor(this.start + i), node }));
  }
  get pageInfo() {
    const empty = this.end <= this.start;
    return {
      hasNextPage: this.end < this.list.length,
      hasPreviousPage: this.start > 0,
      startCursor: empty ? null : encodeCursor(this.start),
      endCursor: empty ? null : encodeCursor(this.end - 1),
    };
  }
}

class RelatedPost {
  constructor(of, post, score, linked) {
    this.of = of;
    this.post = post;
    this.score = score;
    this.linked = linked;
  }
  get sharedTags() {
    return this.of.tags.filter((t) => this.post.tags.includes(t));
  }
}

// ---------------------------------------------------------------------------------------------
// Schema: a subset of inkgraph's, with the same names and types.

const typeDefs = /* GraphQL */ `
  """
  RFC 3339 date-time with offset.
  """
  scalar DateTime

  enum OrderDirection {
    ASC
    DESC
  }
  enum PostOrderField {
    DATE
    TITLE
  }
  input PostOrder {
    field: PostOrderField!
    direction: OrderDirection!
  }
  input PostFilter {
    tags: [String!]
    anyTags: [String!]
    excludeTags: [String!]
    category: String
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
  type PostEdge {
    cursor: String!
    node: Post!
  }
  type PostConnection {
    edges: [PostEdge!]!
    nodes: [Post!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Tag {
    id: ID!
    slug: String!
    name: String!
    postCount: Int!
    posts(first: Int, after: String, last: Int, before: String, orderBy: PostOrder): PostConnection!
  }

  type RelatedPost {
    post: Post!
    score: Float!
    sharedTags: [Tag!]!
    linked: Boolean!
  }

  type Post {
    id: ID!
    slug: String!
    title: String!
    date: DateTime!
    permalink: String!
    sourcePath: String!
    categories: [String!]!
    tags: [Tag!]!
    description: String
    markdown: String!
    html(sanitize: Boolean = false): String!
    related(first: Int = 5): [RelatedPost!]!
  }

  type TagCloudEntry {
    tag: Tag!
    name: String!
    slug: String!
    count: Int!
    weight: Float!
    level: Int!
  }

  type Site {
    title: String
    description: String
    url: String
    postCount: Int!
    tagCount: Int!
  }

  type Query {
    site: Site!
    post(slug: String, id: ID, path: String, url: String): Post
    posts(first: Int, after: String, last: Int, before: String, filter: PostFilter, orderBy: PostOrder): PostConnection!
    tag(slug: String!): Tag
    tagCloud(limit: Int = 50, minCount: Int = 1, levels: Int = 5, filter: PostFilter): [TagCloudEntry!]!
  }
`;

function makeResolvers(corpus, api) {
  const { config, posts, postBySlug, postByPath, postByPermalink, tagBySlug, tags } = corpus;
  const postById = new Map(posts.map((p) => [p.id, p]));
  const site = {
    title: config.title,
    description: config.description,
    url: config.url ? config.url + config.baseurl : null,
    postCount: posts.length,
    tagCount: tags.length,
  };
  return {
    Query: {
      site: () => site,
      post(_root, { slug, id, path: sourcePath, url }) {
        const given = [slug, id, sourcePath, url].filter((v) => v != null);
        if (given.length !== 1) throw new GraphQLError('give exactly one of `slug`, `id`, `path` or `url`');
        if (slug != null) return postBySlug.get(slug) ?? null;
        if (id != null) return postById.get(id) ?? null;
        if (sourcePath != null) return postByPath.get(sourcePath) ?? null;
        let u = url;
        const siteUrl = config.url + config.baseurl;
        if (siteUrl && u.startsWith(siteUrl)) u = u.slice(siteUrl.length);
        return postByPermalink.get(permalinkKey(u)) ?? null;
      },
      posts: (_root, args) => api.connection(api.filteredPosts(args.filter, args.orderBy), args),
      tag: (_root, { slug }) => {
        const tag = tagBySlug.get(tagSlug(slug));
        return tag && tag.postCount > 0 ? tag : null;
      },
      tagCloud: (_root, args) => api.tagCloud(args),
    },
    Tag: {
      posts: (tag, args) => api.connection(api.filteredPosts({ tags: [tag.slug] }, args.orderBy), args),
    },
    Post: {
      html(post, { sanitize }) {
        if (sanitize) throw new GraphQLError('`sanitize: true` is not implemented by the Node.js peer');
        return htmlOf(post);
      },
      related: (post, { first = 5 }) => {
        first ??= 5;
        if (first < 0) throw new GraphQLError('`first` must not be negative');
        const list = api.related(post);
        return first >= list.length ? list : list.slice(0, first);
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Persisted queries (APQ). The plugin's default store keeps a query only 36 s after it was
// registered; this one keeps up to 10,000 queries with no expiry. With several workers, a
// registration is copied to every worker (through the primary) before the registering request
// is answered, so a GET by hash works on whichever worker the connection lands on.

function createAPQStore() {
  const local = createInMemoryAPQStore({ max: 10_000, ttl: 0 });
  if (!cluster.isWorker) return local;
  const synced = new Set();
  const pending = new Map();
  let seq = 0;
  process.on('message', (message) => {
    if (message?.type === 'apq-set') {
      local.set(message.hash, message.query);
      synced.add(message.hash);
      process.send({ type: 'apq-ack', id: message.id });
    } else if (message?.type === 'apq-done') {
      pending.get(message.id)?.();
      pending.delete(message.id);
    }
  });
  return {
    get: (hash) => local.get(hash),
    set(hash, query) {
      local.set(hash, query);
      if (synced.has(hash)) return undefined;
      const id = `${process.pid}:${++seq}`;
      return new Promise((resolve) => {
        pending.set(id, () => {
          synced.add(hash);
          resolve();
        });
        process.send({ type: 'apq-register', id, hash, query });
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Server

function startWorker() {
  const corpus = loadCorpus(contentRoot);
  if (options.prerender) for (const post of corpus.posts) htmlOf(post);
  const api = makeApi(corpus);
  const schema = createSchema({ typeDefs, resolvers: makeResolvers(corpus, api) });

  const plugins = [useAPQ({ store: createAPQStore() })];
  if (options['response-cache']) {
    // Whole responses per (document, variables, operation), with ETag / If-None-Match → 304.
    // The corpus never changes while the peer runs, so entries never expire.
    plugins.push(useResponseCache({ session: () => null, ttl: Infinity }));
  }

  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: false,
    landingPage: false,
    logging: false,
    maskedErrors: true,
    multipart: false,
    plugins,
  });

  const server = http.createServer((req, res) => {
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '3' });
      res.end(req.method === 'HEAD' ? undefined : 'ok\n');
      return;
    }
    yoga(req, res);
  });

  server.on('error', (err) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, options.host, () => {
    const bound = server.address().port;
    if (process.env.PEER_VERBOSE) {
      const mem = Math.round(process.memoryUsage().rss / 1048576);
      process.stderr.write(
        `loaded ${corpus.posts.length} posts, ${corpus.tags.length} tags in ${corpus.elapsedMs.toFixed(0)} ms; rss ${mem} MiB\n`,
      );
    }
    if (cluster.isWorker) process.send({ type: 'listening', port: bound });
    else process.stdout.write(`listening on http://${options.host}:${bound}\n`);
  });

  const stop = () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  if (!cluster.isWorker) {
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster: with --workers N > 1 the primary forks N workers that share one listening socket
// (node:cluster hands every worker the same port, even for port 0) and prints the ready line
// once all of them listen.

if (workers > 1 && cluster.isPrimary) {
  let ready = 0;
  let boundPort = null;
  let shuttingDown = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  const apqWaits = new Map();
  cluster.on('message', (worker, message) => {
    if (message?.type === 'apq-register') {
      const others = Object.values(cluster.workers).filter((w) => w && w !== worker && w.isConnected());
      if (others.length === 0) return void worker.send({ type: 'apq-done', id: message.id });
      apqWaits.set(message.id, { origin: worker, remaining: others.length });
      for (const w of others) w.send({ type: 'apq-set', id: message.id, hash: message.hash, query: message.query });
      return;
    }
    if (message?.type === 'apq-ack') {
      const wait = apqWaits.get(message.id);
      if (wait && --wait.remaining === 0) {
        apqWaits.delete(message.id);
        wait.origin.send({ type: 'apq-done', id: message.id });
      }
      return;
    }
    if (message?.type !== 'listening') return;
    if (boundPort !== null && boundPort !== message.port) {
      process.stderr.write(`error: workers bound different ports (${boundPort}, ${message.port})\n`);
      process.exit(1);
    }
    boundPort = message.port;
    if (++ready === workers) process.stdout.write(`listening on http://${options.host}:${boundPort}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return;
    process.stderr.write(`error: worker ${worker.process.pid} exited (${signal ?? code})\n`);
    shuttingDown = true;
    for (const w of Object.values(cluster.workers)) w?.process.kill('SIGTERM');
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      const alive = Object.values(cluster.workers).filter(Boolean);
      let left = alive.length;
      if (left === 0) process.exit(0);
      cluster.on('exit', () => --left === 0 && process.exit(0));
      for (const w of alive) w.process.kill('SIGTERM');
      setTimeout(() => process.exit(0), 2000).unref();
    });
  }
} else {
  startWorker();
}
