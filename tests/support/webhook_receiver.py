"""A webhook receiver on 127.0.0.1 inside the test process: records every
delivery (headers, body, whether its signature verifies) and answers what
the test asks for (`fail` decides per request: a status to answer instead
of 200, or None)."""

import http.server
import json
import threading
import time

from hub.webhooks import signing


class Receiver:
    def __init__(self, secret=None, fail=None, delay_s=0.0):
        self.secret = secret
        self.fail = fail or (lambda delivery: None)
        self.delay_s = delay_s
        self.got = []               # every request, failed ones included
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                d = {"path": self.path, "headers": dict(self.headers), "raw": body,
                     "body": json.loads(body), "at": time.time()}
                d["verified"] = receiver.secret is not None and signing.verify(
                    receiver.secret, self.headers.get(signing.TIMESTAMP), body,
                    self.headers.get(signing.SIGNATURE), now=time.time())
                status = receiver.fail(d)
                d["answered"] = status or 200
                with receiver._lock:
                    receiver.got.append(d)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                self.send_response(d["answered"])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def delivered(self):
        """Requests answered 2xx, in arrival order."""
        with self._lock:
            return [d for d in self.got if d["answered"] < 300]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
