"""A simulated provincial 好差评 platform: an HTTP server speaking every dialect.

    platform = ProvincePlatform(area_code="330100", channels=range(1, 8))
    platform.start()                     # picks a free loopback port
    platform.url + "/zj/offlinereport.do"   # Zhejiang (form-encoded, HTTP Basic)
    platform.url + "/sd"                 # Shandong dialect endpoint
    platform.url + "/fj/get-token", "/fj/webservice/..."   # Fujian (token, SOAP)
    platform.faults.set(errors_5xx=10)   # or POST /_control/faults {...}
    platform.set_down(True)              # connections refused until False
    platform.ledger.all_ratings()        # or GET /_control/ledger

It validates like a strict platform (simulator/province/rules.py), holds
what it accepted in a ledger keyed the way real platforms key ratings
(projectNo, assessNumber), and answers a repeat with the id it already
gave. stdlib http.server is used on purpose: dropping a connection after
committing (a lost answer) needs control a framework hides.

A dialect is an object with `prefix` and `handle(method, path, body, query,
headers) -> (answer, wrote)`. A JSON dialect gets the parsed JSON body and
answers a dict (sent as UTF-8 JSON). A dialect with `raw = True` gets the
body's bytes and answers a simulator.province.wire.Answer: its own status,
content type and bytes (a form, XML, JSON in another charset).
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qsl

from simulator.province.faults import Faults
from simulator.province.fujian import Fujian
from simulator.province.ledger import Ledger
from simulator.province.rules import Rejected, Rules
from simulator.province.shandong import Shandong
from simulator.province.wire import Answer
from simulator.province.zhejiang import Zhejiang

MAX_BODY = 4 * 1024 * 1024


class ProvincePlatform:
    def __init__(self, area_code="330100", channels=range(1, 8), level_scale="satisfaction",
                 app_key="hall-key", app_words=None, sm4_key=None, max_batch=50,
                 ledger_path=":memory:", host="127.0.0.1", port=0, clock=time.time,
                 zj_users=None, zj_charset="utf-8", zj_data_source="133",
                 fj_apps=None, fj_token_ttl_s=7200, fj_data_source="135", real_name=False):
        self.rules = Rules(area_code, channels, level_scale)
        # The platform's own clock: a test of a simulated week moves it.
        self.clock = clock
        # Zhejiang: HTTP Basic users, the charset of its answers, its dataSource.
        self.zj_users = dict(zj_users or {"hall-user": "hall-pass"})
        self.zj_charset = zj_charset
        self.zj_data_source = zj_data_source
        # Fujian: the gateway's app_key -> appCode, token lifetime, dataSource.
        self.fj_apps = dict(fj_apps or {"fj-app-key": "fj-app-code"})
        self.fj_token_ttl_s = fj_token_ttl_s
        self.fj_tokens_issued = 0
        self.fj_data_source = fj_data_source
        # Real-name records: userName and the ID/credit code must be present.
        self.real_name = real_name
        self.ledger = Ledger(ledger_path)
        self.faults = Faults()
        self.app_key = app_key
        self.app_words = dict(app_words or {"pingjia-hall": "secret-word"})
        self.sm4_key = sm4_key
        self.max_batch = max_batch
        self.host, self.port = host, port
        self.dialects = [Zhejiang(self), Shandong(self), Fujian(self)]
        self._server = None
        self._thread = None
        self._lock = threading.Lock()

    @property
    def url(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        with self._lock:
            if self._server is not None:
                return self
            server = ThreadingHTTPServer((self.host, self.port), _handler(self))
            server.daemon_threads = True
            self.port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(target=server.serve_forever, name="province", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def set_down(self, down):
        """Down means connection refused, as when the platform's site is off."""
        self.faults.set(down=bool(down))
        if down:
            self.stop()
        else:
            self.start()

    def take_rating(self, d):
        """Validate and record one rating -> per-item result {code, msg[, id]}."""
        reason = self.faults.take_reject()
        if reason is not None:
            return {"code": "1009", "msg": reason}
        try:
            case = self.ledger.case(d.get("projectNo") if isinstance(d.get("projectNo"), str) else "")
            first = None
            if case is not None:
                first = next((r for r in self.ledger.ratings_of(d["projectNo"]) if r["assessNumber"] == 1), None)
            r = self.rules.rating(d, case, first)
        except Rejected as e:
            return {"code": e.code, "msg": e.msg}
        rid, created = self.ledger.add_rating(r["project_no"], r["number"], r["satisfaction"], r["labels"],
                                              r["assess_time"], r["pf"], d)
        return {"code": "0" if created else "1003", "msg": "成功" if created else "重复评价",
                "projectNo": r["project_no"], "assessNumber": r["number"], "id": rid}

    def dispatch(self, method, target, raw, headers):
        """-> (HTTP status, answer dict / Answer, wrote?)."""
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query))
        for dialect in self.dialects:
            if path.startswith(dialect.prefix + "/") and getattr(dialect, "raw", False):
                answer, wrote = dialect.handle(method, path[len(dialect.prefix):], raw, query, headers)
                if answer is not None:
                    return answer.status, answer, wrote
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"error": "body is not JSON"}, False
        if path == "/_control/faults":
            if method == "POST":
                try:
                    self.faults.set(**(body or {}))
                except (TypeError, ValueError) as e:
                    return 400, {"error": str(e)}, False
            return 200, self.faults.snapshot(), False
        if path == "/_control/ledger":
            return 200, {"counts": self.ledger.counts(), "ratings": self.ledger.all_ratings()}, False
        for dialect in self.dialects:
            if path.startswith(dialect.prefix + "/") and not getattr(dialect, "raw", False):
                answer, wrote = dialect.handle(method, path[len(dialect.prefix):], body, query, headers)
                if answer is not None:
                    return 200, answer, wrote
        return 404, {"error": "no such endpoint %s %s" % (method, path)}, False


def _handler(platform):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: the stdlib handler writes an answer's headers and body
        # in two sends; with Nagle's algorithm the second waits for the
        # client's delayed ACK, ~40 ms added to every answer (91 ms instead of
        # a configured 50). A real platform's server does not do that.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):  # quiet: tests read the ledger, not logs
            pass

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def _serve(self, method):
            n = int(self.headers.get("Content-Length") or 0)
            if n > MAX_BODY:
                return self._send(413, {"error": "body larger than %d bytes" % MAX_BODY})
            raw = self.rfile.read(n) if n else b""
            f = platform.faults
            if f.down and not self.path.startswith("/_control/"):
                # A kept-alive connection outlives the listener: drop it too.
                self.close_connection = True
                return
            if f.delay_s:
                time.sleep(f.delay_s)
            if not self.path.startswith("/_control/") and f.take_5xx():
                return self._send(503, {"error": "simulated outage"})
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer, wrote = platform.dispatch(method, self.path, raw, headers)
            if wrote and f.take_lost():
                # Committed, but the answer never reaches the hub.
                self.close_connection = True
                return
            self._send(status, answer)

        def _send(self, status, answer):
            if isinstance(answer, Answer):
                data, ctype = answer.data, answer.content_type
            else:
                data, ctype = json.dumps(answer, ensure_ascii=False).encode(), "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
