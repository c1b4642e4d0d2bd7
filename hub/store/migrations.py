"""Migrations of the schema and of stored data: numbered steps from the first
release on.

PRAGMA user_version holds the number of steps applied. migrate() runs the
missing steps in order, each in its own transaction together with the
user_version bump, so a crash leaves the database at a step boundary. Steps
are never edited once released: a change is a new step appended to STEPS.
"""

from hub.store import schema_config, schema_invitations, schema_outbox, schema_ratings
from hub.store import reseal_contacts, schema_indexes, schema_links, schema_terminals
from hub.store import schema_events, schema_problems, schema_rectification, schema_superseded
from hub.store import schema_console, schema_upstream_case


def _script(sql):
    def apply(conn):
        for stmt in sql.split(";\n"):  # statements end a line with ;
            if stmt.strip():
                conn.execute(stmt)
    return apply


def _config(conn):
    _script(schema_config.SQL)(conn)
    schema_config.seed(conn)


# (version after the step, what it does, function(conn))
STEPS = (
    (1, "windows, terminals, duty", _script(schema_terminals.SQL)),
    (2, "invitations", _script(schema_invitations.SQL)),
    (3, "ratings, timeouts", _script(schema_ratings.SQL)),
    (4, "outbox, audit", _script(schema_outbox.SQL)),
    (5, "config versions", _config),
    (6, "indexes for rating rules", _script(schema_indexes.SQL)),
    (7, "serial link boot counters", _script(schema_links.SQL)),
    (8, "contacts re-sealed with AES-GCM", reseal_contacts.apply),
    (9, "invitation state superseded (table rebuilt)", schema_superseded.apply),
    (10, "events, webhooks and their deliveries, idempotency keys", schema_events.apply),
    (11, "the last problem of every device id", _script(schema_problems.SQL)),
    (12, "rectification of bad reviews; indexes and columns for statistics",
     schema_rectification.apply),
    (13, "console accounts and sessions", _script(schema_console.SQL)),
    (14, "upstream identity of cases (applicant sealed), waiting outbox rows by id",
     _script(schema_upstream_case.SQL)),
)
LATEST = STEPS[-1][0]


def version(db):
    return db.conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(db, target=LATEST):
    """Apply the steps after the database's version up to `target`."""
    current = version(db)
    if current > LATEST:
        raise RuntimeError("database schema version %d is newer than this hub (%d); "
                           "run the newer hub or restore a matching backup" % (current, LATEST))
    conn = db.conn
    for number, _what, apply in STEPS:
        if current < number <= target:
            conn.execute("BEGIN IMMEDIATE")
            try:
                apply(conn)
                conn.execute("PRAGMA user_version=%d" % number)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    return version(db)
