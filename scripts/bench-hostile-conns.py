#!/usr/bin/env python3
"""Hostile connections against a running `inkgraph serve` (issue #12, items 6 and 10).

    scripts/bench-hostile-conns.py BIN [--content DIR] [--nofile SOFT:HARD] [--half-open N]
                                       [--subscriptions N] [-- EXTRA SERVE FLAGS...]

Starts BIN (an inkgraph binary, e.g. target/release/inkgraph) on a loopback port, under
`prlimit --nofile=SOFT:HARD` when given, then:

1. slowloris: opens N half-open connections (partial headers), sends a normal request while
   they are open, and reports its answer and how many half-open connections the server
   closed within 15 s (and how long the first close took);
2. subscriptions: opens one WebSocket and sends N `subscribe` messages for `corpusChanged`,
   and reports the server's resident memory before and after, and how many were accepted.

Only the Python standard library is used. Prints one line per figure.
"""

import base64
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def start(binary, content, nofile, extra):
    command = [binary, "serve", "--listen", "127.0.0.1:0", "--config", "/dev/null",
               "--content", content] + extra
    if nofile:
        command = ["prlimit", f"--nofile={nofile}", "--"] + command
    env = {"RUST_LOG": "warn,inkgraph=info", "NO_COLOR": "1", "PATH": os.environ["PATH"]}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=env, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(r"serving http://([0-9.:]+)/", line)
        if match:
            host, port = match.group(1).rsplit(":", 1)
            return process, (host, int(port))
    process.kill()
    sys.exit("the server did not start")


def request(addr, path="/healthz", timeout=5.0):
    """A complete GET on a fresh connection: the status line, or the error."""
    try:
        with socket.create_connection(addr, timeout=timeout) as conn:
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data.split(b"\r\n", 1)[0].decode(errors="replace") or "(closed, no answer)"
    except OSError as err:
        return f"error: {err}"


def slowloris(addr, count):
    conns = []
    for _ in range(count):
        try:
            conn = socket.create_connection(addr, timeout=5)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            conns.append(conn)
        except OSError:
            break
    print(f"slowloris: {len(conns)} half-open connections opened")
    time.sleep(0.5)
    print(f"slowloris: normal request while they are open: {request(addr)}")
    started = time.time()
    first_close = None
    open_conns = list(conns)
    while open_conns and time.time() - started < 15:
        readable, _, _ = select.select(open_conns, [], [], 0.2)
        for conn in readable:
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if not data:
                open_conns.remove(conn)
                if first_close is None:
                    first_close = time.time() - started
    closed = len(conns) - len(open_conns)
    when = "never" if first_close is None else f"{first_close:.1f} s"
    print(f"slowloris: closed by the server within 15 s: {closed}/{len(conns)} (first after {when})")
    print(f"slowloris: normal request afterwards: {request(addr)}")
    for conn in conns:
        conn.close()


def ws_frame(text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    elif len(payload) < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def subscriptions(addr, pid, count):
    conn = socket.create_connection(addr, timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    conn.sendall((f"GET /graphql/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n")
                 .encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += conn.recv(4096)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        status = head.split(b"\r\n", 1)[0].decode()
        print(f"subscriptions: upgrade refused: {status}")
        return
    conn.sendall(ws_frame(json.dumps({"type": "connection_init", "payload": {}})))
    time.sleep(0.2)
    before = rss_kib(pid)
    query = "subscription { corpusChanged { version } }"
    batch = b""
    for i in range(count):
        batch += ws_frame(json.dumps({"id": str(i), "type": "subscribe", "payload": {"query": query}}))
        if len(batch) > 1 << 20:
            conn.sendall(batch)
            batch = b""
    conn.sendall(batch)
    # Drain what the server answers (errors for refused ones) while it settles.
    conn.setblocking(False)
    received = b""
    quiet_since = time.time()
    while time.time() - quiet_since < 2:
        try:
            chunk = conn.recv(1 << 20)
            if not chunk:
                break
            received += chunk
            quiet_since = time.time()
        except BlockingIOError:
            time.sleep(0.05)
    after = rss_kib(pid)
    refused = received.count(b"TOO_MANY_SUBSCRIPTIONS")
    print(f"subscriptions: {count} sent on one socket, {refused} refused with TOO_MANY_SUBSCRIPTIONS")
    print(f"subscriptions: server RSS {before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after"
          f" (+{(after - before) / 1024:.1f} MiB)")
    conn.close()


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    if not args:
        sys.exit(__doc__)
    binary = args[0]
    options = dict(zip(args[1::2], args[2::2]))
    content = options.get("--content", os.path.join(os.path.dirname(__file__), "..", "content"))
    process, addr = start(binary, content, options.get("--nofile"), extra)
    try:
        print(f"server {binary} on {addr[0]}:{addr[1]}, nofile {options.get('--nofile', 'as inherited')}")
        slowloris(addr, int(options.get("--half-open", "300")))
        # prlimit execs the server in place: the pid is the server's either way.
        subscriptions(addr, process.pid, int(options.get("--subscriptions", "50000")))
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    main()
