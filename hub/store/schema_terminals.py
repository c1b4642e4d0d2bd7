"""Migration step 1: windows, terminals, staff duty.

terminals.key_hex is the per-device key (64 hex digits) the hub checks the
handshake with; it must be readable by the hub, so it is stored as is and
protected by the data directory's permissions (0700, database 0600: see
db.py). caps and errors are JSON text. Times are epoch milliseconds.
"""

SQL = """
CREATE TABLE windows (
    window      TEXT PRIMARY KEY,          -- window number as the hall names it
    name        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE TABLE terminals (
    device_id       TEXT PRIMARY KEY,
    key_hex         TEXT NOT NULL,
    window          TEXT REFERENCES windows(window),
    firmware        TEXT,
    board           TEXT,
    caps            TEXT NOT NULL DEFAULT '[]',
    provisioned_at  INTEGER NOT NULL,
    last_seen       INTEGER,
    online          INTEGER NOT NULL DEFAULT 0,
    transport       TEXT,                  -- serial / mqtt, with the port or client
    journal_depth   INTEGER,
    free_heap       INTEGER,
    link_quality    INTEGER,
    rssi            INTEGER,
    printer_state   TEXT,
    uptime_s        INTEGER,
    boot_counter    INTEGER,
    config_version  INTEGER,               -- config version the terminal applied
    errors          TEXT NOT NULL DEFAULT '{}'  -- error code -> count
);
CREATE INDEX terminals_window ON terminals(window);
CREATE TABLE duty (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    window          TEXT NOT NULL REFERENCES windows(window),
    staff_id        TEXT NOT NULL,
    staff_name      TEXT NOT NULL,
    signed_in_at    INTEGER NOT NULL,
    signed_out_at   INTEGER
);
-- One staff member on duty per window at a time, history keeps the rest.
CREATE UNIQUE INDEX duty_current ON duty(window) WHERE signed_out_at IS NULL;
"""
