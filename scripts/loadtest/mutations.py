#!/usr/bin/env python3
"""The mutation mix's writer for scripts/loadtest.sh (issue #20 item 8).

    mutations.py BASE RATE SECONDS

Sends `updatePost` mutations (a new title) to BASE/graphql at RATE per second for SECONDS,
with the editor token from $INKGRAPH_EDITOR_TOKEN, over one keep-alive connection, cycling
through the 20 newest posts (their ids and revisions are read first; each answer's revision
is used for that post's next change). Sends are scheduled at fixed times; one that is late
because the previous mutation had not answered yet is sent at once (the achieved rate is
reported: mutations over the time from the start to the last send, at least SECONDS). After
each answer, a public request (no token, through the response cache) asks for the post's
title until it shows the new one.

Prints one machine-readable line at the end:

    MIX mutations errors rate_per_s latency_p50_ms latency_p99_ms visible_p50_ms visible_p99_ms

latency: from sending the mutation to its answer (the server swaps in the new version before
answering); visible: from sending it to the first public answer with the new title. A failed
mutation, or a title not visible within 10 s, counts as an error (and is printed as ERROR on
standard error). Only the standard library is used.
"""

import http.client
import json
import os
import sys
import time
import urllib.parse


def percentile(values, p):
    """The p-th percentile (nearest rank) of values, 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


class Client:
    """One keep-alive HTTP connection to the server, reopened after a failure."""

    def __init__(self, base):
        parsed = urllib.parse.urlsplit(base)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """Returns (status, parsed JSON body or None)."""
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    return 0, None
                continue
            try:
                return response.status, json.loads(raw)
            except ValueError:
                return response.status, None
        return 0, None


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: mutations.py BASE RATE SECONDS")
    base, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    token = os.environ.get("INKGRAPH_EDITOR_TOKEN", "")
    if len(token) < 16:
        sys.exit("INKGRAPH_EDITOR_TOKEN is not set (at least 16 characters)")
    writer = Client(base)
    reader = Client(base)
    auth = {"content-type": "application/json", "authorization": "Bearer " + token}

    status, answer = writer.request(
        "POST",
        "/graphql",
        json.dumps({"query": "{ posts(first: 20) { nodes { id slug revision } } }"}),
        auth,
    )
    nodes = ((answer or {}).get("data") or {}).get("posts", {}).get("nodes") or []
    posts = [n for n in nodes if n.get("id") and n.get("slug") and n.get("revision")]
    if status != 200 or not posts:
        sys.exit(f"cannot list posts to change (status {status}): {str(answer)[:300]}")

    mutation = (
        "mutation Edit($id: ID!, $rev: String!, $title: String!) "
        "{ updatePost(id: $id, ifRevision: $rev, input: {title: $title}) { revision } }"
    )
    read = "query Title($slug: String!) { post(slug: $slug) { title } }"
    latencies, visible = [], []
    errors = 0
    sent = 0
    started = time.monotonic()
    salt = int(time.time())
    last_send = started
    while True:
        due = started + sent / rate
        now = time.monotonic()
        if due - started >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        last_send = time.monotonic()
        post = posts[sent % len(posts)]
        title = f"Load test edit {salt}-{sent} of {post['slug']}"
        sent += 1
        begin = time.monotonic()
        status, answer = writer.request(
            "POST",
            "/graphql",
            json.dumps(
                {
                    "query": mutation,
                    "variables": {"id": post["id"], "rev": post["revision"], "title": title},
                }
            ),
            auth,
        )
        answered = time.monotonic()
        payload = ((answer or {}).get("data") or {}).get("updatePost") or {}
        if status != 200 or (answer or {}).get("errors") or not payload.get("revision"):
            errors += 1
            print(f"ERROR mutation (status {status}): {str(answer)[:300]}", file=sys.stderr)
            continue
        post["revision"] = payload["revision"]
        latencies.append((answered - begin) * 1000)
        path = "/graphql?" + urllib.parse.urlencode(
            {"query": read, "variables": json.dumps({"slug": post["slug"]})}
        )
        seen = None
        while time.monotonic() - begin < 10:
            status, answer = reader.request("GET", path)
            got = (((answer or {}).get("data") or {}).get("post") or {}).get("title")
            if status == 200 and got == title:
                seen = time.monotonic()
                break
            time.sleep(0.005)
        if seen is None:
            errors += 1
            print(f"ERROR {post['slug']}: the new title was not served within 10 s", file=sys.stderr)
            continue
        visible.append((seen - begin) * 1000)
    # The rate achieved over the sending time (at least SECONDS): a slow answer delays the
    # sends after it.
    elapsed = max(last_send - started + 1 / rate, seconds)
    print(
        "MIX %d %d %.2f %.1f %.1f %.1f %.1f"
        % (
            sent,
            errors,
            sent / elapsed,
            percentile(latencies, 50),
            percentile(latencies, 99),
            percentile(visible, 50),
            percentile(visible, 99),
        )
    )


if __name__ == "__main__":
    main()
