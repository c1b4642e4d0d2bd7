"""Webhook subscriptions (one per API client) and their durable delivery queue.

A subscription: the client's URL (http or https, on an address the hall
allows: [webhooks] allow), its HMAC secret (made here, shown once), the
event types it wants (hub/services/events.py TYPES) and its scope: 'own'
(invitations this client created) or 'all'. The delivery thread
(hub/webhooks/dispatcher.py) fans events out into webhook_deliveries
(fan_out), sends what is due (due, mark_sending, settle) and parks what
kept failing (give_up); hall IT lists and replays them from the CLI.
"""

import ipaddress
import json
import secrets
import socket
import urllib.parse

from hub.errors import HubError
from hub.services import events
from hub.services.common import and_equal, now_ms, row
from hub.store import tx

SCOPES = ("own", "all")
SECRET_PREFIX = "whsec_"
STATES = ("pending", "sending", "delivered", "failed")


# -- the receiver's address -----------------------------------------------------

def _addresses(host, port):
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as e:
        raise HubError("bad_request", "url: host %r cannot be resolved (%s)" % (host, e),
                       422, field="url")
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url, allow):
    """URL must be http(s) to a host whose every address is inside one of the
    networks ALLOW lists (CIDR strings) -> URL; HubError naming `url`."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HubError("bad_request", "url %r: give an http:// or https:// URL, e.g. "
                       "http://10.1.2.3:8080/pingjia" % (url,), 422, field="url")
    if parts.username or parts.password:
        raise HubError("bad_request", "url: no user or password in the URL; the signature "
                       "header authenticates the hub", 422, field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise HubError("bad_request", "url %r: the port is not a number from 1 to 65535"
                       % (url,), 422, field="url")
    nets = [ipaddress.ip_network(n, strict=False) for n in allow]
    for addr in _addresses(parts.hostname, port):
        if not any(addr.version == n.version and addr in n for n in nets):
            raise HubError("bad_request", "url: %s (%s) is not on a network the hall allows "
                           "for webhooks (%s); add its network to [webhooks] allow in the "
                           "config" % (parts.hostname, addr, ", ".join(allow) or "none"),
                           422, field="url")
    return url


# -- subscriptions --------------------------------------------------------------

def _sub(r):
    if r is None:
        return None
    out = dict(r)
    out["events"] = tuple(json.loads(r["events"]))
    return out


def get(db, client):
    return _sub(row(db, "SELECT * FROM webhooks WHERE client = ?", (client,)))


def subscriptions(db):
    return [_sub(r) for r in db.query("SELECT * FROM webhooks ORDER BY client")]


def set_subscription(db, client, url, types=None, scope="own", new_secret=False, now=None):
    """Create or change CLIENT's webhook -> (subscription, secret or None when kept).
    Events committed before a new subscription are not delivered to it."""
    if scope not in SCOPES:
        raise HubError("bad_request", "scope must be own or all, got %r" % (scope,),
                       field="scope")
    types = tuple(types) if types else events.TYPES
    t = now_ms(now)
    with tx(db):
        old = get(db, client)
        secret = None
        if old is None or new_secret:
            secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        if old is None:
            db.execute("INSERT INTO webhooks (client, url, secret, events, scope, from_event, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (client, url, secret, json.dumps(types), scope, events.last_id(db), t, t))
        else:
            db.execute("UPDATE webhooks SET url = ?, secret = COALESCE(?, secret), events = ?, "
                       "scope = ?, updated_at = ? WHERE client = ?",
                       (url, secret, json.dumps(types), scope, t, client))
    return get(db, client), secret


def remove(db, client):
    """Delete CLIENT's webhook and its undelivered deliveries -> how many were dropped."""
    with tx(db):
        if get(db, client) is None:
            raise HubError("not_found", "client %r has no webhook; `pingjia webhooks list` "
                           "shows them" % (client,), 404, field="client")
        cur = db.execute("DELETE FROM webhook_deliveries WHERE client = ? AND state != "
                         "'delivered'", (client,))
        db.execute("DELETE FROM webhooks WHERE client = ?", (client,))
    return cur.rowcount


def counts(db):
    """{client: {state: n}} over the queue."""
    out = {}
    for client, state, n in db.execute("SELECT client, state, COUNT(*) FROM webhook_deliveries "
                                       "GROUP BY client, state"):
        out.setdefault(client, dict.fromkeys(STATES, 0))[state] = n
    return out


# -- the queue --------------------------------------------------------------------

def fan_out(db, now=None, limit=500):
    """Queue the events after the cursor for every subscription that wants
    them, and move the cursor, in one transaction -> how many events were read."""
    t = now_ms(now)
    with tx(db):
        last = db.execute("SELECT last_event FROM webhook_cursor").fetchone()[0]
        evs = db.execute("SELECT id, type, client FROM events WHERE id > ? ORDER BY id LIMIT ?",
                         (last, limit)).fetchall()
        if not evs:
            return 0
        subs = subscriptions(db)
        rows = [(eid, s["client"], t, t, t) for eid, etype, owner in evs for s in subs
                if eid > s["from_event"] and etype in s["events"]
                and (s["scope"] == "all" or owner == s["client"])]
        db.conn.executemany("INSERT OR IGNORE INTO webhook_deliveries (event_id, client, "
                            "next_attempt_at, queued_at, updated_at) VALUES (?, ?, ?, ?, ?)", rows)
        db.execute("UPDATE webhook_cursor SET last_event = ?", (evs[-1][0],))
    return len(evs)


def due(db, now=None, limit=100):
    """Deliveries to try now, oldest first, with their subscription's url and
    secret. `sending` ones are due too: an attempt cut off by a crash is repeated."""
    return list(db.query(
        "SELECT d.id, d.event_id, d.client, d.attempts, d.queued_at, w.url, w.secret "
        "FROM webhook_deliveries d JOIN webhooks w ON w.client = d.client "
        "WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= ? "
        "ORDER BY d.id LIMIT ?", (now_ms(now), int(limit))))


def mark_sending(db, ids, now=None):
    t = now_ms(now)
    with tx(db):
        db.conn.executemany("UPDATE webhook_deliveries SET state = 'sending', attempts = "
                            "attempts + 1, updated_at = ? WHERE id = ?", [(t, i) for i in ids])


def settle(db, delivery_id, state, next_attempt_at, status, error, now=None):
    with tx(db):
        db.execute("UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, "
                   "last_status = ?, last_error = ?, updated_at = ? WHERE id = ?",
                   (state, next_attempt_at, status, error, now_ms(now), delivery_id))


def give_up(db, max_age_ms, now=None):
    """Park as failed what has waited longer than MAX_AGE_MS -> how many."""
    t = now_ms(now)
    with tx(db):
        # A row never tried (its client's receiver was failing on earlier ones) says so.
        cur = db.execute("UPDATE webhook_deliveries SET state = 'failed', updated_at = ?, "
                         "last_error = COALESCE(last_error, 'not sent: the receiver was failing "
                         "on earlier deliveries') "
                         "WHERE state IN ('pending', 'sending') AND queued_at < ?",
                         (t, t - max_age_ms))
    return cur.rowcount


def deliveries(db, client=None, state=None, limit=100):
    """Newest first, with the event's type and invitation."""
    sql = ("SELECT d.id, d.event_id, d.client, d.state, d.attempts, d.next_attempt_at, "
           "d.last_status, d.last_error, d.queued_at, d.updated_at, e.type, e.eid "
           "FROM webhook_deliveries d LEFT JOIN events e ON e.id = d.event_id WHERE 1=1")
    more, params = and_equal((("d.client", client), ("d.state", state)))
    sql += more + " ORDER BY d.id DESC LIMIT ?"
    return list(db.query(sql, params + [int(limit)]))


def replay(db, ids=None, now=None):
    """Failed deliveries (all, or the given ids, failed or delivered) queued
    again, due now -> how many."""
    t = now_ms(now)
    sql = ("UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, "
           "queued_at = ?, updated_at = ? WHERE ")
    with tx(db):
        if ids is None:
            return db.execute(sql + "state = 'failed'", (t, t, t)).rowcount
        n = 0
        for i in ids:
            n += db.execute(sql + "id = ? AND state IN ('failed', 'delivered')",
                            (t, t, t, i)).rowcount
        return n
