#!/usr/bin/env python3
"""Compare inkgraph's rendering of a Jekyll site with Jekyll's own build of it.

For each site folder given:

1. Stage a copy (without `_site`, `.git`, the site's `_plugins` and `_layouts`, `Gemfile`s;
   files over 1 MiB become empty placeholders so `{% link %}` still finds them) with a
   `_config.yml` that keeps the site's settings but drops `plugins`, `theme`,
   `remote_theme`, and points `layouts_dir` at one layout per layout name the site uses,
   each printing `{{ content }}` between two markers that name `page.path`.
2. Build it with `jekyll build` (TZ=UTC, as inkgraph reads dates without a site timezone).
   A file that stops the build (a plugin's Liquid tag, a date Jekyll refuses) is excluded
   and the build retried; the report lists those files.
3. Ask inkgraph (`inkgraph query`) for every post's `html`.
4. Compare each post both have, by source path: visible-text similarity (word tokens,
   difflib), heading ids, link targets, counts of code blocks, tables, images and
   footnotes, and Liquid/kramdown/wiki syntax (`{%`, `{{`, `{:`, `[[`) that inkgraph shows
   outside code where Jekyll does not.

Known dialect differences are normalised away before comparing (see DIALECT below and
docs/FIDELITY.md). Only the Python 3 standard library and Ruby (which Jekyll needs) are
used.
"""

import argparse
import difflib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

MARK_OPEN = "<!--inkgraph-compare:"
MARK_CLOSE = "<!--/inkgraph-compare-->"
MAX_COPY_BYTES = 1 << 20
SKIP_DIRS = {
    ".git", "_site", ".jekyll-cache", ".sass-cache", "node_modules", "vendor", ".bundle",
    "_plugins", "_layouts",
}
SKIP_FILES = {"Gemfile", "Gemfile.lock"}

# Known dialect differences, not counted (each is normalised away in `normalise`):
DIALECT = {
    "gfm-autolink": "GFM autolinks bare URLs (inkgraph links them, kramdown leaves text)",
    "one-row-table": "kramdown makes a one-row table of a line with a stray `|`",
    "escaped-at-amp": "kramdown keeps the backslash of `\\@` and `\\&`",
    "footnote-ids": "footnote ids: kramdown `fn:1`/`fnref:1`, inkgraph `fn-1`/`fnref-1`",
    "github-alerts": "GitHub alerts: kramdown shows `[!NOTE]` in a blockquote",
}

# Liquid tags Jekyll (and Liquid) know without plugins: any other tag in a post is a plugin's.
CORE_TAGS = {
    "assign", "capture", "endcapture", "case", "when", "endcase", "comment", "endcomment",
    "cycle", "decrement", "increment", "for", "endfor", "break", "continue", "if", "elsif",
    "else", "endif", "unless", "endunless", "ifchanged", "endifchanged", "raw", "endraw",
    "tablerow", "endtablerow", "include", "include_relative", "highlight", "endhighlight",
    "link", "post_url", "echo", "liquid", "render",
}

LAYOUT_RE = re.compile(r"""^\s*layout\s*:\s*["']?([\w./-]+)""", re.M)
TAG_RE = re.compile(r"\{%-?\s*(\w+)")
TEXT_EXTENSIONS = (".md", ".markdown", ".mkd", ".mdown", ".html", ".htm", ".yml", ".yaml")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- Staging and building with Jekyll ---------------------------------------------------------


def stage_site(site, stage):
    """Copies `site` into `stage` as described in the module docs; returns the layout names."""
    layouts = {"default"}
    for root, dirs, files in os.walk(site):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        rel_root = os.path.relpath(root, site)
        target_root = os.path.join(stage, rel_root) if rel_root != "." else stage
        os.makedirs(target_root, exist_ok=True)
        for name in files:
            if name in SKIP_FILES and rel_root == ".":
                continue
            source = os.path.join(root, name)
            target = os.path.join(target_root, name)
            if os.path.islink(source) or not os.path.isfile(source):
                continue
            if os.path.getsize(source) > MAX_COPY_BYTES:
                open(target, "wb").close()
                continue
            shutil.copyfile(source, target)
            if name.endswith(TEXT_EXTENSIONS):
                with open(source, encoding="utf-8", errors="replace") as f:
                    layouts.update(LAYOUT_RE.findall(f.read()))
    layout_dir = os.path.join(stage, "_inkgraph_compare", "layouts")
    os.makedirs(layout_dir, exist_ok=True)
    for name in layouts:
        name = name.strip("/")
        if not name or ".." in name:
            continue
        for stem in {name, os.path.splitext(name)[0]}:
            path = os.path.join(layout_dir, stem + ".html")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(MARK_OPEN + "{{ page.path }}-->\n{{ content }}\n" + MARK_CLOSE + "\n")
    return layouts


RUBY_CONFIG = r"""
require "yaml"
require "date"
source, target, excluded = ARGV[0], ARGV[1], ARGV[2..]
config = {}
if File.file?(source)
  text = File.read(source, encoding: "bom|utf-8")
  loaded = YAML.safe_load(text, permitted_classes: [Date, Time], aliases: true)
  config = loaded if loaded.is_a?(Hash)
end
plugins = Array(config["plugins"]) + Array(config["gems"])
config["theme"] = nil if config.key?("theme")
%w[plugins gems whitelist remote_theme].each { |k| config.delete(k) }
config["layouts_dir"] = "_inkgraph_compare/layouts"
config["plugins_dir"] = "_inkgraph_compare/no-plugins"
config["exclude"] = Array(config["exclude"]) + excluded
# Every file gets a layout that marks its content (a site's own layout defaults come later and
# win); without one Jekyll writes the bare content and the comparison would not find it.
config["defaults"] = [{ "scope" => { "path" => "" }, "values" => { "layout" => "default" } }] +
  Array(config["defaults"])
%w[future show_drafts unpublished incremental].each { |k| config[k] = false }
notes = plugins.map { |p| "site plugin left out: #{p}" }
kramdown = config["kramdown"].is_a?(Hash) ? config["kramdown"] : {}
engine = kramdown["math_engine"].to_s
unless ["", "mathjax", "nil", "null"].include?(engine)
  begin
    require "kramdown-math-#{engine}"
  rescue LoadError
    kramdown["math_engine"] = "mathjax"
    config["kramdown"] = kramdown
    notes << "math-engine-substituted: kramdown-math-#{engine} is not installed; math built with mathjax and compared without its delimiters"
  end
end
File.write(target, YAML.dump(config))
puts notes.to_json
"""


def write_config(site, stage, excluded):
    """Writes the staged `_config.yml`; returns notes on what was left out or replaced."""
    out = subprocess.run(
        ["ruby", "-rjson", "-e", RUBY_CONFIG, os.path.join(site, "_config.yml"),
         os.path.join(stage, "_config.yml"), *excluded],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise RuntimeError("could not rewrite _config.yml: " + out.stderr.strip())
    return json.loads(out.stdout or "[]")


def failing_file(output, stage, candidates):
    """The site file a failed Jekyll build names, if any."""
    for match in re.finditer(re.escape(stage.rstrip("/")) + r"/([^\s:'\"]+)", output):
        path = match.group(1).rstrip(".")
        if path in candidates:
            return path
    for match in re.finditer(r"(?:Document|file) '([^']+)'", output):
        path = match.group(1)
        if path in candidates:
            return path
    return None


def build_with_jekyll(jekyll, site, work):
    """Builds `site` with Jekyll; returns (html by source path, excluded files, notes)."""
    stage = os.path.join(work, "stage")
    out = os.path.join(work, "jekyll-out")
    stage_site(site, stage)
    candidates = set()
    for root, _, files in os.walk(stage):
        for name in files:
            candidates.add(os.path.relpath(os.path.join(root, name), stage))
    excluded = []
    env = dict(os.environ, TZ="UTC", JEKYLL_ENV="production", LANG="C.UTF-8")
    while True:
        notes = write_config(site, stage, excluded)
        shutil.rmtree(out, ignore_errors=True)
        run = subprocess.run(
            [jekyll, "build", "--quiet", "-s", stage, "-d", out],
            capture_output=True, text=True, env=env, check=False,
        )
        if run.returncode == 0:
            break
        output = run.stdout + run.stderr
        bad = failing_file(output, stage, candidates)
        if bad is None or bad in excluded or len(excluded) >= 50:
            raise RuntimeError("jekyll build failed:\n" + output[-4000:])
        log(f"   jekyll could not build {bad}; excluding it and building again")
        excluded.append(bad)
    pages = {}
    for root, _, files in os.walk(out):
        for name in files:
            if not name.endswith((".html", ".htm")) and "." in name:
                continue
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            start = 0
            while (i := text.find(MARK_OPEN, start)) >= 0:
                path_end = text.find("-->", i)
                end = text.find(MARK_CLOSE, path_end)
                if path_end < 0 or end < 0:
                    break
                path = text[i + len(MARK_OPEN):path_end]
                pages[path] = text[path_end + 4:end]
                start = end
    return pages, excluded, notes


# --- Asking inkgraph --------------------------------------------------------------------------

QUERY = """query($after: String) { posts(first: 20, after: $after) {
  pageInfo { hasNextPage endCursor } nodes { sourcePath permalink html } } }"""


def inkgraph_posts(inkgraph, site):
    posts, after = {}, None
    while True:
        run = subprocess.run(
            [inkgraph, "query", "--content", site, "--variables", json.dumps({"after": after}),
             QUERY],
            capture_output=True, text=True, check=False,
        )
        try:
            data = json.loads(run.stdout)["data"]["posts"]
        except (ValueError, KeyError, TypeError):
            raise RuntimeError("inkgraph query failed:\n" + run.stdout[-2000:] + run.stderr[-2000:])
        for node in data["nodes"]:
            posts[node["sourcePath"]] = node
        if not data["pageInfo"]["hasNextPage"]:
            return posts
        after = data["pageInfo"]["endCursor"]


# --- Reading rendered HTML --------------------------------------------------------------------

ALERT_RE = re.compile(r"\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]", re.I)


class Page(HTMLParser):
    """What the comparison needs from one post's HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.words = []  # visible text, in order
        self.prose = []  # visible text outside code
        self.ids = set()
        self.links = []  # (href, text)
        self.counts = {"code blocks": 0, "tables": 0, "images": 0, "footnotes": 0,
                       "links with target": 0, "elements with class": 0}
        self.one_row_tables = 0
        self._stack = []
        self._code = 0
        self._skip = 0
        self._link = None
        self._rows = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ("br", "img", "hr", "input", "meta", "link", "wbr", "source"):
            self._stack.append((tag, attrs))
        if tag in ("code", "pre"):
            self._code += 1
        if tag in ("script", "style") or (
            tag == "p" and "markdown-alert-title" in (attrs.get("class") or "")
        ):
            self._skip += 1
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and attrs.get("id"):
            self.ids.add(attrs["id"])
        # Attributes kramdown attribute lists set: `{:target="_blank"}`, `{: .class}` (only
        # on links and images, where both renderers write the author's own classes).
        if tag == "a" and attrs.get("target"):
            self.counts["links with target"] += 1
        if tag in ("a", "img") and attrs.get("class") and "footnote" not in attrs["class"] \
                and "reversefootnote" not in attrs["class"]:
            self.counts["elements with class"] += 1
        if tag == "a" and attrs.get("href") is not None:
            self._link = [attrs["href"], []]
        if tag == "pre":
            self.counts["code blocks"] += 1
        if tag == "table":
            self.counts["tables"] += 1
            self._rows.append(0)
        if tag == "tr" and self._rows:
            self._rows[-1] += 1
        if tag == "img":
            self.counts["images"] += 1
        if tag == "li" and re.match(r"fn[:-]", attrs.get("id") or ""):
            self.counts["footnotes"] += 1
        if tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
                   "blockquote", "pre", "br", "hr", "dt", "dd", "figcaption"):
            self.words.append("\n")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self._stack and self._stack[-1][0] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, attrs = self._stack.pop()
            if open_tag in ("code", "pre"):
                self._code -= 1
            if open_tag in ("script", "style") or (
                open_tag == "p" and "markdown-alert-title" in (attrs.get("class") or "")
            ):
                self._skip -= 1
            if open_tag == "a" and self._link is not None:
                self.links.append((self._link[0], " ".join("".join(self._link[1]).split())))
                self._link = None
            if open_tag == "table" and self._rows:
                if self._rows.pop() == 1:
                    self.one_row_tables += 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._skip:
            return
        self.words.append(data)
        if not self._code:
            self.prose.append(data)
        if self._link is not None:
            self._link[1].append(data)


def read_page(text, jekyll, math_substituted=False):
    page = Page()
    page.feed(text)
    page.close()
    visible = "".join(page.words).replace("\u00a0", " ")
    prose = "".join(page.prose)
    if jekyll:
        # Dialect: kramdown keeps the backslash of `\@` and `\&`; shows `[!NOTE]` markers.
        visible = re.sub(r"\\([@&])", r"\1", visible)
        visible = ALERT_RE.sub(" ", visible)
        if math_substituted:
            visible = re.sub(r"\\[()\[\]]", " ", visible)
        prose = ALERT_RE.sub(" ", prose)
    tokens = [t for t in visible.split() if t != "|"]
    return page, tokens, prose


def is_autolink(href, text):
    return text and href in (text, "http://" + text, "mailto:" + text)


def link_targets(page, drop_autolinks):
    targets = set()
    for href, text in page.links:
        if re.match(r"#fn(ref)?[:-]", href):
            continue  # Dialect: footnote id style.
        if drop_autolinks and is_autolink(href, text):
            continue  # Dialect: GFM autolinks of bare URLs.
        targets.add(href.strip())
    return targets


def leaks(prose):
    return {m: prose.count(m) for m in ("{%", "{{", "{:", "[[") if m in prose}


def first_differences(a, b, limit=3):
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        jekyll = " ".join(a[max(i1 - 3, 0):i2 + 1])[:160]
        ours = " ".join(b[max(j1 - 3, 0):j2 + 1])[:160]
        out.append(f"jekyll: {jekyll!r} / inkgraph: {ours!r}")
        if len(out) == limit:
            break
    return out


def compare_post(jekyll_html, ink_html, math_substituted):
    jp, jtokens, jprose = read_page(jekyll_html, jekyll=True, math_substituted=math_substituted)
    ip, itokens, iprose = read_page(ink_html, jekyll=False)
    ratio = difflib.SequenceMatcher(None, jtokens, itokens, autojunk=False).ratio()
    if not jtokens and not itokens:
        ratio = 1.0
    result = {"similarity": round(ratio, 4), "differences": []}
    # Jekyll shows `[[…]]` in prose where inkgraph made links: the site's wiki links come from
    # a plugin (or theme) the comparison build leaves out.
    if re.search(r"\[\[[^\]]+\]\]", jprose) and not re.search(r"\[\[[^\]]+\]\]", iprose):
        result["plugin"] = "wiki links (the site's wiki-link plugin is not in the Jekyll build)"
    if ratio < 1.0:
        result["text"] = first_differences(jtokens, itokens)
    jids, iids = jp.ids, ip.ids
    if jids != iids:
        result["differences"].append(
            f"heading ids: jekyll only {sorted(jids - iids)}, inkgraph only {sorted(iids - jids)}")
    jlinks = link_targets(jp, drop_autolinks=False)
    ilinks = link_targets(ip, drop_autolinks=True) | (
        link_targets(ip, drop_autolinks=False) & jlinks)
    if jlinks != ilinks:
        result["differences"].append(
            f"links: jekyll only {sorted(jlinks - ilinks)}, inkgraph only {sorted(ilinks - jlinks)}")
    jcounts = dict(jp.counts)
    jcounts["tables"] -= jp.one_row_tables  # Dialect: kramdown's one-row tables.
    for key, value in jcounts.items():
        ours = ip.counts[key] - (ip.one_row_tables if key == "tables" and jp.one_row_tables else 0)
        if value != ours:
            result["differences"].append(f"{key}: jekyll {value}, inkgraph {ours}")
    jleaks, ileaks = leaks(jprose), leaks(iprose)
    extra = {k: v - jleaks.get(k, 0) for k, v in ileaks.items() if v > jleaks.get(k, 0)}
    if extra:
        result["differences"].append(f"syntax shown outside code by inkgraph only: {extra}")
    return result


# --- Reporting --------------------------------------------------------------------------------


def plugin_tags(site, path):
    try:
        with open(os.path.join(site, path), encoding="utf-8", errors="replace") as f:
            body = f.read()
    except OSError:
        return []
    return sorted({t for t in TAG_RE.findall(body) if t not in CORE_TAGS})


def compare_site(site, jekyll, inkgraph, threshold):
    site = os.path.abspath(site)
    log(f"== {site}")
    with tempfile.TemporaryDirectory(prefix="inkgraph-compare-") as work:
        pages, excluded, notes = build_with_jekyll(jekyll, site, work)
    math_substituted = any(n.startswith("math-engine-substituted") for n in notes)
    posts = inkgraph_posts(inkgraph, site)
    rows = []
    for path in sorted(posts):
        row = {"path": path, "plugin_tags": plugin_tags(site, path)}
        if path not in pages:
            row["missing"] = "excluded from the Jekyll build" if path in excluded else "not built by Jekyll"
        else:
            row.update(compare_post(pages[path], posts[path]["html"], math_substituted))
        rows.append(row)
    only_jekyll = sorted(p for p in pages if p not in posts and "_posts/" in p)
    for row in rows:
        reasons = [row.pop("plugin")] if "plugin" in row else []
        if row["plugin_tags"]:
            reasons.append("Liquid tags of plugins: " + ", ".join(row["plugin_tags"]))
        row["plugin_affected"] = reasons
    compared = [r for r in rows if "similarity" in r]
    # Posts a plugin Jekyll lacks here changes are reported apart: their numbers say nothing
    # about inkgraph.
    clean = [r for r in compared if not r["plugin_affected"]]
    sims = [r["similarity"] for r in clean]
    summary = {
        "site": site,
        "posts_compared": len(clean),
        "plugin_affected": len(compared) - len(clean),
        "plugin_affected_mean_similarity": round(
            sum(r["similarity"] for r in compared if r["plugin_affected"])
            / max(1, len(compared) - len(clean)), 4),
        "mean_similarity": round(sum(sims) / len(sims), 4) if sims else None,
        "min_similarity": min(sims) if sims else None,
        "below_threshold": sum(1 for s in sims if s < threshold),
        "with_differences": sum(1 for r in clean if r["differences"]),
        "excluded_from_jekyll": excluded,
        "only_in_jekyll": only_jekyll,
        "notes": notes,
        "posts_using_plugin_tags": [r["path"] for r in rows if r["plugin_tags"]],
    }
    return summary, rows


def markdown_report(results, threshold):
    lines = [
        "| corpus | posts compared | mean similarity | min similarity | "
        f"below {threshold} | with other differences | affected by plugins Jekyll lacks "
        "(mean similarity) |",
        "|---|---|---|---|---|---|---|",
    ]
    for summary, _ in results:
        lines.append(
            f"| {summary['site']} | {summary['posts_compared']} | {summary['mean_similarity']} | "
            f"{summary['min_similarity']} | {summary['below_threshold']} | "
            f"{summary['with_differences']} | {summary['plugin_affected']} "
            f"({summary['plugin_affected_mean_similarity']}) |")
    for summary, rows in results:
        lines.append("")
        lines.append(f"### {summary['site']}")
        lines.extend(f"- {n}" for n in summary["notes"])
        affected = [r for r in rows if r.get("plugin_affected")]
        if affected:
            lines.append("- affected by plugins Jekyll lacks here (not counted above):")
            lines.extend(
                f"  - `{r['path']}` ({r.get('similarity')}): {'; '.join(r['plugin_affected'])}"
                for r in affected)
        for path in summary["excluded_from_jekyll"]:
            lines.append(f"- Jekyll could not build `{path}` (excluded)")
        for path in summary["only_in_jekyll"]:
            lines.append(f"- only Jekyll has `{path}`")
        for row in rows:
            if row.get("plugin_affected"):
                continue
            if "missing" in row:
                lines.append(f"- `{row['path']}`: {row['missing']}")
                continue
            notes = list(row["differences"])
            if row["similarity"] < threshold:
                notes.extend(row.get("text", []))
            if notes or row["similarity"] < threshold:
                lines.append(f"- `{row['path']}` similarity {row['similarity']}")
                lines.extend(f"  - {n}" for n in notes)
    lines.append("")
    lines.append("Not counted (dialect differences): " + "; ".join(DIALECT.values()) + ".")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sites", nargs="+", help="Jekyll site folders")
    parser.add_argument("--jekyll", default=shutil.which("jekyll") or "jekyll")
    parser.add_argument("--inkgraph", required=True, help="the inkgraph binary")
    parser.add_argument("--threshold", type=float, default=0.99)
    parser.add_argument("--json", help="also write the full results as JSON to this file")
    parser.add_argument("--fail-under", type=float,
                        help="exit 1 when a post's similarity is below this, or inkgraph alone "
                             "shows Liquid/kramdown/wiki syntax outside code")
    args = parser.parse_args()
    if shutil.which(args.jekyll) is None:
        print(f"SKIPPED: jekyll not found ({args.jekyll!r}); install Debian's `jekyll` package "
              "to run the comparison")
        return
    if shutil.which("ruby") is None:
        print("SKIPPED: ruby not found (Jekyll needs it; install Debian's `jekyll` package)")
        return
    results = [compare_site(s, args.jekyll, args.inkgraph, args.threshold) for s in args.sites]
    print(markdown_report(results, args.threshold))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([{"summary": s, "posts": r} for s, r in results], f, indent=1)
    if args.fail_under is not None:
        failing = [
            (s["site"], r["path"]) for s, rows in results for r in rows
            if "similarity" in r and not r.get("plugin_affected") and (
                r["similarity"] < args.fail_under
                or any(d.startswith("syntax shown") for d in r["differences"]))
        ]
        if failing:
            log(f"FAILED: {len(failing)} posts below {args.fail_under} or leaking syntax:")
            for site, path in failing:
                log(f"  {site}: {path}")
            sys.exit(1)


if __name__ == "__main__":
    main()
