"""`pingjia hub --check`: what the hub would use, checked without touching it.

Safe beside a running hub on the same config: it opens no serial port, makes
no broker or upstream connection, and writes nothing (no directory, no file,
no row, no key). A hub that starts marks every terminal offline, takes the
broker session of its client id and the serial ports; a check that did the
same once left a live hall's terminals 离线 for minutes.

The database is read through SQLite's read-only modes. `mode=ro` still
creates the -wal and -shm files when they are missing, so it is used only
when both exist (a hub has it open, and readers then share them); otherwise
no one has the database open in WAL mode and `immutable=1` reads the file as
it lies, creating nothing.
"""

import os
import sqlite3

from hub.commands import OK, UNAVAILABLE, USAGE
from hub.commands.common import fail, width


def _data_dir(path):
    """-> (ok, words) for the data directory, without creating it."""
    if os.path.isdir(path):
        if os.access(path, os.W_OK | os.X_OK):
            return True, "存在，可写 exists, writable"
        return False, "存在但不可写 exists but is not writable by this user; fix its permissions"
    if os.path.exists(path):
        return False, "不是目录 exists but is not a directory; choose another hub.data_dir"
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK):
        return True, "尚不存在 does not exist yet; `pingjia hub` creates it (in %s)" % parent
    return False, ("无法创建 cannot be created: %s is not writable; choose a writable folder "
                   "(hub.data_dir, --data or $PINGJIA_DATA)" % parent)


def _read_only(db_path):
    if os.path.exists(db_path + "-wal") and os.path.exists(db_path + "-shm"):
        uri = "file:%s?mode=ro"
    else:
        uri = "file:%s?immutable=1"
    from urllib.parse import quote
    return sqlite3.connect(uri % quote(db_path), uri=True, timeout=5)


def _database(db_path):
    """-> (ok, words) for the database: absent, or its schema version."""
    from hub.store.migrations import LATEST, STEPS
    if not os.path.exists(db_path):
        return True, "尚不存在 not created yet; `pingjia hub` creates it (schema version %d)" % LATEST
    try:
        conn = _read_only(db_path)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as e:
        return False, "无法读取 cannot be read (%s); is it a pingjia database? restore a backup" % e
    if version > LATEST:
        return False, ("schema version %d is newer than this hub (%d); run the newer hub or "
                       "restore a matching backup" % (version, LATEST))
    if version < LATEST:
        pending = [what for number, what, _ in STEPS if number > version]
        return True, ("schema version %d of %d: %d migration(s) pending, applied when the hub "
                      "starts (%s)" % (version, LATEST, len(pending), "; ".join(pending)))
    return True, "schema version %d (current)" % version


def _tokens(path):
    from hub.services.tokens import TokenError, TokenStore
    try:
        n = len(TokenStore(path).clients())
    except TokenError as e:
        return False, str(e)
    if not n:
        return True, "%s: 无 none yet; create one with `pingjia token create CLIENT`" % path
    return True, "%s: %d client(s)" % (path, n)


def _upstream(cfg):
    """-> (ok, words): the adapter is built from the config (no call is made)."""
    from hub.upstream import ConfigError, make_adapter
    from hub.upstream.settings import adapter_settings
    try:
        settings = adapter_settings(cfg)
        if settings is None:
            return True, "off (adapter = \"none\"): ratings stay in the hub"
        adapter = make_adapter(settings)
    except ConfigError as e:
        return False, str(e)
    close = getattr(adapter, "close", None)
    if close is not None:
        close()
    return True, "%s %s (not contacted by --check)" % (cfg.upstream.adapter, cfg.upstream.url)


def run(cfg):
    """Print the settings and what is wrong -> exit code (0, 2 config, 4 data)."""
    data_ok, data_words = _data_dir(cfg.data_dir)
    db_ok, db_words = _database(cfg.db_path)
    tok_ok, tok_words = _tokens(cfg.tokens_path) if data_ok else (True, cfg.tokens_path)
    up_ok, up_words = _upstream(cfg)
    b = cfg.broker
    lines = [
        ("配置 config", cfg.source if cfg.source != "<defaults>" else
         "无 none (no --config, no $PINGJIA_CONFIG, no hub.toml in %s): defaults" % os.getcwd()),
        ("数据目录 data dir", "%s — %s" % (cfg.data_dir, data_words)),
        ("数据库 database", "%s — %s" % (cfg.db_path, db_words)),
        ("API tokens", tok_words),
        ("大厅 hall", "%s %s" % (cfg.hall.code, cfg.hall.name)),
        ("API", "http://%s:%d/docs (%s)" % (cfg.api.host, cfg.api.port,
                                            "on" if cfg.api.enabled else "off")),
        ("MQTT broker", "%s:%d, user %s, client id %s (%s; not contacted by --check)" % (
            b.host, b.port, b.username or "(none)", b.client_id or "per-hub, in the data dir",
            "on" if b.enabled else "off")),
        ("串口 serial", "%s (not opened by --check)" % (", ".join(cfg.serial_ports()) or "none found")),
        ("上报 upstream", up_words),
    ]
    for key, value in lines:
        print("%s%s %s" % (key, " " * (18 - width(key)), value))
    problems = [(what, words, code) for what, ok, words, code in (
        ("upstream", up_ok, up_words, USAGE), ("data dir", data_ok, data_words, UNAVAILABLE),
        ("database", db_ok, db_words, UNAVAILABLE), ("API tokens", tok_ok, tok_words, UNAVAILABLE))
        if not ok]
    for what, words, _code in problems:
        fail("hub --check", "%s: %s" % (what, words), None)
    if problems:
        return problems[0][2]
    print("检查通过 check passed: nothing was opened, connected or written")
    return OK
