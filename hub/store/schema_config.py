"""Migration step 5: versioned terminal configuration.

Each row is one complete configuration (label set, texts, timeouts); a
terminal that reports an older `cv` in its hello gets the newest row. The
step seeds version 1 with the national label set (protocol.domain).
"""

import json
import time

from protocol import domain

SQL = """
CREATE TABLE config_versions (
    version     INTEGER PRIMARY KEY,
    label_set   TEXT NOT NULL,             -- wire form of cfg.ls
    texts       TEXT NOT NULL DEFAULT '{}',
    timeouts    TEXT NOT NULL DEFAULT '{}',
    brightness  INTEGER,
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
"""

# Defaults a terminal gets with configuration version 1. Texts are what a
# citizen reads, so Simplified Chinese.
DEFAULT_TEXTS = {"welcome": "欢迎评价", "thanks": "感谢您的评价", "reason": "请选择不满意的原因"}
DEFAULT_TIMEOUTS = {"rate": 60, "reason": 30, "thanks": 5}


def seed(conn):
    conn.execute(
        "INSERT INTO config_versions (version, label_set, texts, timeouts, note, created_at) "
        "VALUES (1, ?, ?, ?, ?, ?)",
        (json.dumps(domain.national_label_set(), ensure_ascii=False),
         json.dumps(DEFAULT_TEXTS, ensure_ascii=False), json.dumps(DEFAULT_TIMEOUTS),
         "national label set", int(time.time() * 1000)))
