"""Console sessions: the server side of a sign-in (table console_sessions).

The browser holds a random token (the cookie, 32 bytes); the table holds its
SHA-256, the account, the session's CSRF token, and two times: created_at
bounds its whole life (session_max_h), last_seen its idle time
(idle_timeout_min). A session past either is gone: lookup() says so and
the next sign-in's purge() deletes it. Sign-out deletes the row at once, so the cookie
opens nothing afterwards even if it was copied.

last_seen is written at most once every TOUCH_MS per session, so a page
that polls costs a write a minute, not one per request.
"""

import hashlib
import secrets

from hub.services import audit
from hub.services.common import now_ms, row
from hub.store import tx

TOUCH_MS = 60 * 1000


def digest(token):
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create(db, name, address=None, idle_ms=None, max_ms=None, now=None):
    """A new session of account NAME -> (cookie token, csrf token). With the
    limits given, sessions past them are deleted first (so the table holds
    about as many rows as people signed in)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    t = now_ms(now)
    with tx(db):
        if idle_ms is not None:
            purge(db, idle_ms, max_ms, t)
        db.execute("INSERT INTO console_sessions (token_sha256, name, csrf, address, created_at, "
                   "last_seen) VALUES (?, ?, ?, ?, ?, ?)", (digest(token), name, csrf, address, t, t))
        audit.log(db, "console:" + name, "console.sign_in", name, {"address": address}, t)
    return token, csrf


def lookup(db, token, idle_ms, max_ms, now=None):
    """The live session of cookie TOKEN with its account's role, or None
    (unknown, signed out, idle too long, or too old)."""
    if not token or len(token) > 128:
        return None
    s = row(db, "SELECT s.*, u.role FROM console_sessions s JOIN console_users u "
                "ON u.name = s.name WHERE s.token_sha256 = ?", (digest(token),))
    t = now_ms(now)
    if s is None or t - s["last_seen"] > idle_ms or t - s["created_at"] > max_ms:
        return None
    return s


def due_touch(session, now=None):
    return now_ms(now) - session["last_seen"] >= TOUCH_MS


def touch(db, token_sha256, now=None):
    db.execute("UPDATE console_sessions SET last_seen = ? WHERE token_sha256 = ?",
               (now_ms(now), token_sha256))


def end(db, token_sha256, name, now=None):
    with tx(db):
        db.execute("DELETE FROM console_sessions WHERE token_sha256 = ?", (token_sha256,))
        audit.log(db, "console:" + name, "console.sign_out", name, None, now)


def purge(db, idle_ms, max_ms, now=None):
    """Delete sessions past their idle time or their whole life -> how many."""
    t = now_ms(now)
    return db.execute("DELETE FROM console_sessions WHERE last_seen < ? OR created_at < ?",
                      (t - idle_ms, t - max_ms)).rowcount
