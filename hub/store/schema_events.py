"""Migration step: the event log, webhook subscriptions and their delivery
queue, and the idempotency keys of POST /invitations.

events: one row per thing an integrator may want pushed, written by
triggers in the same transaction as the change itself, so no code path
that changes an invitation's state can forget to say so, and a commit that
happened always has its event (kill -9 included). `id` is the event id the
webhooks and GET /api/v1/events carry; AUTOINCREMENT so that an id is never
reused after the housekeeping purged old rows (a client resuming from
Last-Event-ID must never be handed a different event under an id it saw).
Ids grow in commit order: SQLite has one writer at a time and the id is
taken inside the writing transaction.

`invitation` is the invitation row as it was right after the change (its
raw columns as JSON), so every event shows the state it is about even when
it is delivered later; hub.services.events turns it into the API's form.

webhooks: per API client a URL, the HMAC secret (kept readable: the hub
must sign with it), the event types and the scope ('own': invitations that
client created; 'all': every invitation). `from_event`: events up to this
id happened before the subscription and are not delivered to it.

webhook_deliveries: the durable queue, one row per (event, client).
pending -> sending (committed before the HTTP call) -> delivered, or back
to pending with a later next_attempt_at, or failed (parked once
[webhooks] give_up_h passed since queued_at; `pingjia webhooks replay`
queues it again).

webhook_cursor: the last event id fanned out into webhook_deliveries.

idempotency_keys: the answer given to (client, Idempotency-Key), with the
SHA-256 of the request body it answered.
"""

TABLES = """
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    eid         TEXT,
    type        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    client      TEXT,
    window      TEXT,
    invitation  TEXT,
    reason      TEXT
);
CREATE INDEX events_at ON events(at);
CREATE TABLE webhooks (
    client      TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events      TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('own', 'all')),
    from_event  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER NOT NULL,
    client          TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    queued_at       INTEGER NOT NULL,       -- fanned out, or replayed: the give-up clock
    updated_at      INTEGER NOT NULL,
    UNIQUE (event_id, client)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE TABLE webhook_cursor (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    last_event  INTEGER NOT NULL
);
INSERT INTO webhook_cursor (one, last_event) VALUES (1, 0);
CREATE TABLE idempotency_keys (
    client      TEXT NOT NULL,
    key         TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    status      INTEGER NOT NULL,
    answer      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (client, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
"""

# The invitation's columns as JSON (what hub.services.events reads back);
# never contact_enc, only whether there is one.
_SNAPSHOT = """json_object('eid', {r}.eid, 'window', {r}.window, 'device_id', {r}.device_id,
    'case_serial', {r}.case_serial, 'visit', {r}.visit, 'matter_code', {r}.matter_code,
    'matter_name', {r}.matter_name, 'staff_id', {r}.staff_id, 'staff_name', {r}.staff_name,
    'applicant_kind', {r}.applicant_kind, 'channel', {r}.channel, 'client', {r}.client,
    'state', {r}.state, 'timeout_s', {r}.timeout_s, 'created_at', {r}.created_at,
    'sent_at', {r}.sent_at, 'shown_at', {r}.shown_at, 'closed_at', {r}.closed_at,
    'deadline', {r}.deadline, 'rating_id', {r}.rating_id, 'note', {r}.note,
    'has_contact', {r}.contact_enc IS NOT NULL)"""

# SQLite's own clock in epoch ms: the time the change is committed.
_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

def _triggers():
    new = _SNAPSHOT.format(r="NEW")
    joined = "CASE WHEN i.eid IS NULL THEN NULL ELSE %s END" % _SNAPSHOT.format(r="i")
    return (
        "DROP TRIGGER IF EXISTS events_invitation_created",
        "CREATE TRIGGER events_invitation_created AFTER INSERT ON invitations BEGIN "
        "INSERT INTO events (eid, type, at, client, window, invitation) "
        "VALUES (NEW.eid, 'invitation.created', %s, NEW.client, NEW.window, %s); END"
        % (_NOW_MS, new),
        "DROP TRIGGER IF EXISTS events_invitation_state",
        # Every state, including ones added after this step: the type is the state's name.
        "CREATE TRIGGER events_invitation_state AFTER UPDATE OF state ON invitations "
        "WHEN OLD.state IS NOT NEW.state BEGIN "
        "INSERT INTO events (eid, type, at, client, window, invitation) "
        "VALUES (NEW.eid, 'invitation.' || NEW.state, %s, NEW.client, NEW.window, %s); END"
        % (_NOW_MS, new),
        "DROP TRIGGER IF EXISTS events_rating_rejected",
        # A rating's outbox row becoming a dead letter: upstream refused it.
        "CREATE TRIGGER events_rating_rejected AFTER UPDATE OF state ON outbox "
        "WHEN NEW.kind = 'rating' AND NEW.state = 'rejected' AND OLD.state IS NOT 'rejected' "
        "BEGIN INSERT INTO events (eid, type, at, client, window, invitation, reason) "
        "SELECT r.eid, 'rating.rejected', %s, i.client, i.window, %s, NEW.last_error "
        "FROM (SELECT NEW.ref AS ref) AS x LEFT JOIN ratings r ON r.rating_id = x.ref "
        "LEFT JOIN invitations i ON i.eid = r.eid; END" % (_NOW_MS, joined),
    )


TRIGGERS = _triggers()


def create_triggers(conn):
    """(Re)create the event triggers. A migration that rebuilds `invitations`
    or `outbox` (CREATE new, copy, DROP old, RENAME) drops their triggers:
    such a step must call this again at its end (it is safe to run twice)."""
    for stmt in TRIGGERS:
        conn.execute(stmt)


def apply(conn):
    for stmt in TABLES.split(";\n"):
        if stmt.strip():
            conn.execute(stmt)
    create_triggers(conn)
