"""Migration step: the last problem of every device id the hub has heard.

One row per device id as the wire named it, provisioned or not (an unknown
device, a terminal whose key is wrong), or per serial line before a device
spoke on it ("serial:/dev/ttyUSB0"): what went wrong last, when, and a
sentence hall IT can act on (hub/services/problems.py). Rows of ids not in
the registry are bounded: services.problems.prune keeps the newest few
hundred, so made-up ids cannot grow the database.
"""

SQL = """
CREATE TABLE device_problems (
    device_id   TEXT PRIMARY KEY,          -- as the wire named it, or transport:line
    code        TEXT NOT NULL,             -- auth_failed, unknown_device, no_heartbeat, ...
    detail      TEXT NOT NULL,             -- what happened and what to do, for hall IT
    via         TEXT,                      -- transport:line it came over
    first_at    INTEGER NOT NULL,          -- epoch ms: this code began (repeats keep it)
    at          INTEGER NOT NULL,          -- epoch ms of the last occurrence
    count       INTEGER NOT NULL DEFAULT 1 -- occurrences since first_at
);
CREATE INDEX device_problems_at ON device_problems (at);
"""
