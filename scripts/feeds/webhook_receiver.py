"""A webhook receiver on the loopback address that verifies every delivery with the
`standardwebhooks` package (the Standard Webhooks reference library) and appends what it
received to a JSON-lines file.

Usage: python webhook_receiver.py SECRET OUT_FILE PORT_FILE

Writes the port it listens on to PORT_FILE. Each line of OUT_FILE is
{"verified": bool, "error": str|null, "id": str, "payload": object|null}. Answers 204 to
verified deliveries and 400 to others.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


def main():
    secret, out_path, port_path = sys.argv[1], sys.argv[2], sys.argv[3]
    webhook = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            record = {"id": headers.get("webhook-id"), "verified": False, "error": None,
                      "payload": None}
            try:
                record["payload"] = webhook.verify(body, headers)
                record["verified"] = True
            except Exception as err:  # any failure to verify is reported, not raised
                record["error"] = repr(err)
            with open(out_path, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            self.send_response(204 if record["verified"] else 400)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_path, "w", encoding="utf-8") as port_file:
        port_file.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
