"""Idempotency-Key: a retried POST after a lost answer gets the first answer again.

A client sends `Idempotency-Key: <1..64 printable ASCII>` with a POST.
The first call with a key runs and its answer (status and JSON body) is
stored under (client, key) together with the SHA-256 of the request body,
in the same transaction as what the call created: a crash cannot leave an
invitation without its key, nor a key without its invitation. A later call
with the same client, key and body gets that stored answer and creates
nothing; the same key with another body is refused (422, field
Idempotency-Key), because the client is reusing a key for a different
request. Only calls that created something are stored: a refused call
created nothing, and its retry is simply judged again.

Keys are kept KEEP_MS (24 h) at least; the ingest's housekeeping purges
older ones.
"""

import hashlib
import json

from hub.errors import HubError
from hub.services.common import now_ms

HEADER = "Idempotency-Key"
KEEP_MS = 24 * 3600 * 1000
MAX_LEN = 64


def check_key(value):
    """The header's value -> the key, or None when absent; HubError naming the header."""
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_LEN or not all(" " <= ch <= "~" for ch in value):
        raise HubError("bad_request", "%s must be 1 to %d printable ASCII characters (e.g. a "
                       "UUID, or the queue system's own call number), got %d characters"
                       % (HEADER, MAX_LEN, len(value)), 422, field=HEADER)
    return value


def digest(body):
    """SHA-256 of a request body given as JSON-able data, key order ignored."""
    canon = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def recall(db, client, key, body_sha256):
    """The stored (status, body) for this key, or None for a new key. HubError
    when the key was used with another body."""
    r = db.execute("SELECT body_sha256, status, answer FROM idempotency_keys "
                   "WHERE client = ? AND key = ?", (client or "", key)).fetchone()
    if r is None:
        return None
    if r[0] != body_sha256:
        raise HubError("idempotency_key_reused", "%s %r was already used by this client for a "
                       "different request body; send a new key for a new request, or the same "
                       "body to get the first answer again" % (HEADER, key), 422, field=HEADER)
    return r[1], json.loads(r[2])


def remember(db, client, key, body_sha256, status, answer, now=None):
    """Store the answer, inside the caller's transaction."""
    db.execute("INSERT INTO idempotency_keys (client, key, body_sha256, status, answer, "
               "created_at) VALUES (?, ?, ?, ?, ?, ?)",
               (client or "", key, body_sha256, int(status),
                json.dumps(answer, ensure_ascii=False), now_ms(now)))


def purge(db, now=None, keep_ms=KEEP_MS):
    """Forget keys older than KEEP_MS -> how many."""
    return db.execute("DELETE FROM idempotency_keys WHERE created_at < ?",
                      (now_ms(now) - keep_ms,)).rowcount
