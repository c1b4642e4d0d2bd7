"""Opening the hub's SQLite database: pragmas, permissions, transactions.

Durability. The journal is WAL (readers never block the writer, and the
ingest's group commit appends to one file). `synchronous=FULL`, not NORMAL:
in WAL mode NORMAL does not fsync the WAL at each commit, so a power loss can
lose the last commits even though they returned. The hub acknowledges a
rating to the terminal only after its commit returns, and the terminal then
deletes it from its journal, so a commit that returned must survive power
loss: FULL fsyncs the WAL at every commit. The cost is paid once per batch
by the group-commit writer (hub/store/writer.py), not once per rating.

Protection. The data directory holds the database (device keys live in the
`terminals` table) and `contact.key` (the key that encrypts applicant
contacts). open_db creates the directory with mode 0700 and the database
file with 0600, so only the hub's user can read keys; SQLite creates the
-wal and -shm files with the database file's permissions.

Transactions. Connections use Python's default transaction handling, as
sqlite-utils requires. `tx(db)` opens `BEGIN IMMEDIATE` (taking the write
lock up front, so a read-then-write transaction cannot fail half way with
SQLITE_BUSY when another connection committed meanwhile) or, inside an open
transaction, a savepoint. Every service write goes through it, so a service
call is atomic alone and joins the caller's transaction when there is one.
"""

import contextlib
import os
import secrets
import sqlite3

import sqlite_utils

BUSY_TIMEOUT_MS = 10000


def open_db(path, migrate=True):
    """-> sqlite_utils.Database at `path`, pragmas set, migrations applied.

    The connection may be used from another thread than the one that opened
    it (the ingest's writer thread owns one), but by one thread at a time.
    `migrate=False` is for the migration tests only.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    if not os.path.exists(path):
        # Create the file with 0600 before SQLite opens it.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA busy_timeout=%d" % BUSY_TIMEOUT_MS)
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError("database %s cannot use WAL (journal_mode is %s); put the data "
                           "directory on a local disk" % (path, mode))
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    # Savepoints (hub.store.tx, the writer's guarded run) journal the pages
    # they touch: in memory, not in a temp file per statement journal.
    conn.execute("PRAGMA temp_store=MEMORY")
    if migrate:
        from hub.store.migrations import migrate as run_migrations
        run_migrations(db)
    return db


@contextlib.contextmanager
def tx(db):
    """Atomic block: BEGIN IMMEDIATE .. COMMIT, or a savepoint when nested."""
    conn = db.conn
    if conn.in_transaction:
        name = "sp_" + secrets.token_hex(6)
        conn.execute("SAVEPOINT " + name)
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT " + name)
                conn.execute("RELEASE SAVEPOINT " + name)
            raise
        conn.execute("RELEASE SAVEPOINT " + name)
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def db_path(db):
    """The file behind a Database (None for an in-memory one)."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list"):
        if name == "main":
            return file or None
    return None


def data_dir(db):
    path = db_path(db)
    if not path:
        raise RuntimeError("an in-memory database has no data directory")
    return os.path.dirname(os.path.abspath(path))


def pragma(db, name):
    return db.conn.execute("PRAGMA %s" % name).fetchone()[0]
