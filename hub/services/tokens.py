"""API client tokens: one per client system, stored hashed in a JSON file.

A token is 32 random bytes (urlsafe base64), shown once when created
(`pingjia token create CLIENT`) and stored only as its SHA-256 — a plain
fast hash is enough because the token is random, not a password anyone
chose. The file lives in the data directory, owner-only (0600), and is
replaced atomically so a crash never leaves half a file.

File layout: {"clients": {"queue-system": {"sha256": "...", "created": 1700000000}}}
"""

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time

CLIENT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TOKEN_PREFIX = "pj_"


class TokenError(ValueError):
    """A token file or client name the hub cannot use; str() says what to do."""


def _digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """Reads the token file when it changes; thread-safe."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp = None
        self._clients = {}

    # -- reading ---------------------------------------------------------------

    def _load(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._clients = None, {}
            return
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
            clients = data["clients"]
            for name, entry in clients.items():
                if not isinstance(entry.get("sha256"), str):
                    raise KeyError(name)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise TokenError("%s: token file is damaged (%s); move it away and create "
                             "tokens again with `pingjia token create CLIENT`"
                             % (self.path, e)) from None
        self._stamp, self._clients = stamp, clients

    def clients(self):
        """{name: {"created": epoch seconds}} — never the hashes."""
        with self._lock:
            self._load()
            return {n: {"created": e.get("created")} for n, e in self._clients.items()}

    def check(self, token):
        """The client name this token belongs to, or None."""
        if not token:
            return None
        digest = _digest(token)
        with self._lock:
            self._load()
            found = None
            # Compare against every entry in constant time per entry.
            for name, entry in self._clients.items():
                if hmac.compare_digest(entry["sha256"], digest):
                    found = name
            return found

    # -- writing ---------------------------------------------------------------

    def create(self, client, replace=False):
        """A new token for `client` (returned once, stored hashed)."""
        if not isinstance(client, str) or not CLIENT_NAME.match(client):
            raise TokenError("client name %r: use 1 to 64 letters, digits, _ - or ., "
                             "e.g. queue-system" % (client,))
        with self._lock:
            self._load()
            if client in self._clients and not replace:
                raise TokenError("client %r already has a token; use --replace to issue a "
                                 "new one (the old one stops working)" % client)
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            clients = dict(self._clients)
            clients[client] = {"sha256": _digest(token), "created": int(time.time())}
            self._write(clients)
            return token

    def revoke(self, client):
        with self._lock:
            self._load()
            if client not in self._clients:
                raise TokenError("no token for client %r; `pingjia token list` shows the "
                                 "clients" % client)
            clients = dict(self._clients)
            del clients[client]
            self._write(clients)

    def _write(self, clients):
        folder = os.path.dirname(self.path) or "."
        os.makedirs(folder, mode=0o700, exist_ok=True)
        tmp = "%s.%d.tmp" % (self.path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"clients": clients}, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        self._stamp = None
        self._clients = clients
