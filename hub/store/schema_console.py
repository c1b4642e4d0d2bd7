"""Migration step: the hall console's accounts and sessions.

console_users: one row per person who signs in to the console (/console/),
made with `pingjia user add`. role is 'admin' (hall IT: may act) or
'manager' (reads only). password_hash is argon2id in the PHC string form
argon2-cffi writes ($argon2id$v=19$m=...,t=...,p=...$salt$hash): the
parameters travel with the hash, so stronger ones later need no migration.

console_sessions: the server side of a sign-in. The browser's cookie holds a
random token; only its SHA-256 is stored (a copy of the database opens no
session). csrf is the per-session token every form and state-changing call
carries back. last_seen drives the idle timeout, created_at the longest
life; both are epoch ms ([console] idle_timeout_min, session_max_h).
"""

SQL = """
CREATE TABLE console_users (
    name            TEXT PRIMARY KEY,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'manager')),
    password_hash   TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE TABLE console_sessions (
    token_sha256    TEXT PRIMARY KEY,
    name            TEXT NOT NULL REFERENCES console_users(name) ON DELETE CASCADE,
    csrf            TEXT NOT NULL,
    address         TEXT,
    created_at      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL
);
CREATE INDEX console_sessions_name ON console_sessions(name);
"""
