"""A tiny HTTP endpoint for simulated terminals (`pingjia sim --http PORT`), on loopback.

    GET  /                      -> {"T0001": {"port": "/dev/pts/7"}, ...}
    GET  /T0001/screen          -> {"texts": [...], "depth": 0}
    GET  /T0001/screen.png      -> the screen as PNG (?scale=2 for a bigger one)
    POST /T0001/press/2         -> press button 2 (0..4, left to right)
    POST /T0001/advance/30000   -> the terminal's clock jumps 30 s
    POST /T0001/reboot          -> power cycle over the same flash
Answers are JSON (errors too: {"error": "..."} with 404 or 400).
"""

import json
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def serve(terms, port, host="127.0.0.1"):
    """Start serving TERMS ({device: terminal}) in a thread; -> the server."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, code, body, ctype="application/json"):
            if ctype == "application/json":
                body = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self):
            url = urlparse(self.path)
            parts = [p for p in url.path.split("/") if p]
            if not parts:
                return None, [], url
            if parts[0] not in terms:
                self._send(404, {"error": "no terminal %r; terminals: %s"
                                 % (parts[0], ", ".join(sorted(terms)))})
                return False, None, url
            return terms[parts[0]], parts[1:], url

        def do_GET(self):
            t, rest, url = self._route()
            if t is False:
                return
            if t is None:
                return self._send(200, {d: {"port": x.port} for d, x in terms.items()})
            if rest == ["screen"]:
                return self._send(200, {"texts": t.texts(), "depth": t.journal_depth()})
            if rest == ["screen.png"]:
                scale = int(parse_qs(url.query).get("scale", ["1"])[0])
                fd, path = tempfile.mkstemp(suffix=".png")
                os.close(fd)
                try:
                    t.png(path, max(1, min(4, scale)))
                    with open(path, "rb") as f:
                        return self._send(200, f.read(), "image/png")
                finally:
                    os.remove(path)
            self._send(404, {"error": "GET /DEVICE/screen or /DEVICE/screen.png"})

        def do_POST(self):
            t, rest, _url = self._route()
            if t is False:
                return
            try:
                if t is not None and len(rest) == 2 and rest[0] == "press":
                    b = int(rest[1])
                    if not 0 <= b <= 4:
                        raise ValueError("button must be 0..4")
                    t.press(b)
                elif t is not None and len(rest) == 2 and rest[0] == "advance":
                    t.advance(int(rest[1]))
                elif t is not None and rest == ["reboot"]:
                    t.reboot()
                else:
                    return self._send(404, {"error": "POST /DEVICE/press/N, /DEVICE/advance/MS "
                                                     "or /DEVICE/reboot"})
            except ValueError as e:
                return self._send(400, {"error": str(e)})
            self._send(200, {"ok": True})

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
