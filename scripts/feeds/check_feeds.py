"""Reads every feed, the sitemap and robots.txt of a running inkgraph with real parsers.

Usage: python check_feeds.py BASE_URL PREVIEW_TOKEN ATOM_RNG

- feedparser (the parser most feed readers' authors test against) must read every Atom and
  RSS feed with no `bozo` flag, as the format it claims (atom10, rss20), with every entry
  carrying an id, a title, an absolute link and a published date (feedparser 6.0 reads no
  JSON Feed: JSON Feeds are checked against the 1.1 spec's required fields and types);
- every Atom feed must validate against RFC 4287's RELAX NG schema (lxml, i.e. libxml2's
  validator, the one `xmllint --relaxng` runs);
- the sitemap must be a sitemaps.org urlset of absolute URLs with W3C datetimes, and
  robots.txt must name it;
- feeds asked for with the preview token show more posts, and answers without it never do.

Feeds checked: the site's, one per tag, category and series, and filtered ones, each in the
three formats, with and without the preview token. Exits 1 naming every failure.
"""

import email.utils
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import feedparser
from lxml import etree

FORMATS = {"xml": "atom10", "rss": "rss20", "json": "json11"}
MEDIA_TYPES = {
    "xml": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

failures = []


def fail(what, message):
    failures.append(f"{what}: {message}")


def get(base, target, token=None):
    request = urllib.request.Request(urllib.parse.urljoin(base, target.lstrip("/")))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def graphql(base, query):
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(
        urllib.parse.urljoin(base, "graphql"),
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise SystemExit(f"GraphQL errors: {answer['errors']}")
    return answer["data"]


def segment(text):
    return urllib.parse.quote(text, safe="")


def check_feed(base, target, token, rng):
    """Checks one feed; returns its entries' ids (empty on failure)."""
    what = f"{target}{' (preview)' if token else ''}"
    status, headers, body = get(base, target, token)
    if status != 200:
        fail(what, f"status {status}: {body[:200]!r}")
        return []
    extension = target.split("?")[0].rsplit(".", 1)[1]
    content_type = headers.get("Content-Type", "")
    if not content_type.startswith(MEDIA_TYPES[extension]):
        fail(what, f"Content-Type {content_type!r}")
    if extension == "json":
        return check_json_feed(what, body)
    parsed = feedparser.parse(body, response_headers={"content-type": content_type})
    if parsed.bozo:
        fail(what, f"feedparser bozo: {parsed.bozo_exception!r}")
    if parsed.version != FORMATS[extension]:
        fail(what, f"feedparser reads it as {parsed.version!r}, not {FORMATS[extension]}")
    if not parsed.feed.get("title"):
        fail(what, "no feed title")
    if not parsed.entries:
        fail(what, "no entries")
    for entry in parsed.entries:
        for key in ("id", "title", "link"):
            if not entry.get(key):
                fail(what, f"an entry has no {key}: {entry.get('title')!r}")
        if not entry.get("link", "").startswith(("http://", "https://")):
            fail(what, f"entry link is not absolute: {entry.get('link')!r}")
        if not entry.get("published_parsed"):
            fail(what, f"entry {entry.get('title')!r} has no published date")
    if extension == "xml":
        document = etree.fromstring(body)
        if not rng.validate(document):
            fail(what, f"Atom RELAX NG: {rng.error_log.last_error}")
    if extension == "rss":
        channel = etree.fromstring(body).find("channel")
        for item in channel.findall("item"):
            pub = item.findtext("pubDate")
            if not pub or email.utils.parsedate_to_datetime(pub) is None:
                fail(what, f"pubDate {pub!r} is not RFC 822")
    return [entry.get("id") for entry in parsed.entries]


def rfc3339(value):
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except (AttributeError, ValueError):
        return False


def check_json_feed(what, body):
    """JSON Feed 1.1 by its spec's rules (feedparser 6.0 reads no JSON Feed)."""
    try:
        feed = json.loads(body)
    except ValueError as err:
        fail(what, f"not JSON: {err}")
        return []
    if feed.get("version") != "https://jsonfeed.org/version/1.1":
        fail(what, f"version {feed.get('version')!r}")
    if not isinstance(feed.get("title"), str) or not feed["title"]:
        fail(what, "no title")
    for key in ("home_page_url", "feed_url"):
        if not str(feed.get(key, "")).startswith(("http://", "https://")):
            fail(what, f"{key} {feed.get(key)!r} is not absolute")
    items = feed.get("items")
    if not isinstance(items, list) or not items:
        fail(what, "no items")
        return []
    ids = []
    for item in items:
        title = item.get("title")
        if not isinstance(item.get("id"), str) or not item["id"]:
            fail(what, f"item {title!r} has no string id")
        if not (item.get("content_html") or item.get("content_text")):
            fail(what, f"item {title!r} has neither content_html nor content_text")
        if not str(item.get("url", "")).startswith(("http://", "https://")):
            fail(what, f"item {title!r} url is not absolute")
        for key in ("date_published", "date_modified"):
            if key in item and not rfc3339(item[key]):
                fail(what, f"item {title!r} {key} {item[key]!r} is not RFC 3339")
        for author in item.get("authors", []):
            if not any(author.get(k) for k in ("name", "url", "avatar")):
                fail(what, f"item {title!r} has an empty author")
        if "tags" in item and not all(isinstance(t, str) for t in item["tags"]):
            fail(what, f"item {title!r} tags are not strings")
        ids.append(item.get("id"))
    return ids


def check_sitemap(base, public_slugs, hidden_slugs):
    status, headers, body = get(base, "/sitemap.xml")
    if status != 200:
        fail("/sitemap.xml", f"status {status}")
        return
    root = etree.fromstring(body)
    if root.tag != f"{SITEMAP_NS}urlset":
        fail("/sitemap.xml", f"root is {root.tag}, not a sitemaps.org urlset")
    locs = []
    for url in root.findall(f"{SITEMAP_NS}url"):
        loc = url.findtext(f"{SITEMAP_NS}loc") or ""
        if not loc.startswith(("http://", "https://")):
            fail("/sitemap.xml", f"loc {loc!r} is not absolute")
        lastmod = url.findtext(f"{SITEMAP_NS}lastmod")
        try:
            datetime.fromisoformat(lastmod)
        except (TypeError, ValueError):
            fail("/sitemap.xml", f"lastmod {lastmod!r} is not a W3C datetime")
        locs.append(loc)
    if len(locs) != len(public_slugs) + 1:
        fail("/sitemap.xml", f"{len(locs)} URLs for {len(public_slugs)} public posts")
    text = body.decode()
    for slug in hidden_slugs:
        if slug in text:
            fail("/sitemap.xml", f"hidden post {slug} listed")
    status, _, robots = get(base, "/robots.txt")
    if status != 200 or b"Sitemap: http" not in robots:
        fail("/robots.txt", f"status {status}, no absolute Sitemap line: {robots!r}")


def main():
    base, token, rng_path = sys.argv[1], sys.argv[2], sys.argv[3]
    rng = etree.RelaxNG(etree.parse(rng_path))
    site = graphql(
        base,
        "{ categories { name } series { series } tags(first: 100) { nodes { slug } }"
        " posts(first: 100) { nodes { slug } } }",
    )
    public_slugs = [p["slug"] for p in site["posts"]["nodes"]]
    scopes = ["/feed"]
    scopes += [f"/feed/by_tag/{segment(t['slug'])}" for t in site["tags"]["nodes"]]
    scopes += [f"/feed/{segment(c['name'])}" for c in site["categories"]]
    scopes += [f"/feed/by_series/{segment(s['series'])}" for s in site["series"]]
    checked = 0
    for scope in scopes:
        for extension in FORMATS:
            check_feed(base, f"{scope}.{extension}", None, rng)
            checked += 1
    filtered = ["/feed.xml?tags=rust", "/feed.rss?anyTags=rust,maps&year=2024",
                "/feed.json?series=BLG"]
    for target in filtered:
        check_feed(base, target, None, rng)
        checked += 1
    hidden_slugs = []
    for extension in FORMATS:
        public = set(check_feed(base, f"/feed.{extension}", None, rng))
        preview = set(check_feed(base, f"/feed.{extension}", token, rng))
        checked += 2
        if not preview - public:
            fail(f"/feed.{extension}", "the preview token shows no draft or future post")
    status, _, body = get(base, "/feed.json", token)
    if status == 200:
        preview_ids = {item["id"] for item in json.loads(body)["items"]}
        status, _, body = get(base, "/feed.json")
        public_ids = {item["id"] for item in json.loads(body)["items"]}
        hidden_slugs = [i.rstrip("/").rsplit("/", 1)[1] for i in preview_ids - public_ids]
    check_sitemap(base, public_slugs, hidden_slugs)
    if failures:
        print(f"FAILED: {len(failures)} problem(s) in {checked} feeds:")
        for failure in failures[:40]:
            print(f"  - {failure}")
        if len(failures) > 40:
            print(f"  … and {len(failures) - 40} more")
        sys.exit(1)
    print(f"ok: {checked} feeds: Atom and RSS read by feedparser {feedparser.__version__} with no "
          f"bozo flag, Atom valid against RFC 4287's RELAX NG schema, JSON Feed by the 1.1 "
          f"spec's rules; sitemap and robots.txt checked")


if __name__ == "__main__":
    main()
