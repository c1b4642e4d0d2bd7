"""What the simulated provincial platform holds: cases and ratings, in SQLite.

The ledger is the platform's truth, the thing a test compares with the hub's
database: one row per case, one row per (projectNo, assessNumber). The key
is the platform's idempotency key, so a retried push can never double a
rating here — which is what a strict real platform does, and what lets a
test tell a hub that retries correctly from one that invents or loses.
`attempts` counts every push of the same key (duplicates included), so a
test can also see how many times the hub asked.
"""

import json
import sqlite3
import threading
import time
import uuid

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    project_no TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    steps TEXT NOT NULL,           -- JSON list of service steps seen (Shandong 1, 2; Zhejiang [3])
    fields TEXT NOT NULL,          -- JSON of the last registration
    service_time INTEGER NOT NULL, -- epoch s
    registered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS ratings (
    project_no TEXT NOT NULL REFERENCES cases(project_no),
    assess_number INTEGER NOT NULL,
    id TEXT NOT NULL,
    satisfaction INTEGER NOT NULL,
    labels TEXT NOT NULL,
    assess_time INTEGER NOT NULL,
    pf INTEGER NOT NULL,
    fields TEXT NOT NULL,
    received_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (project_no, assess_number)
);
"""


class Ledger:
    def __init__(self, path=":memory:"):
        self._lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.executescript(SCHEMA)

    def register_case(self, project_no, step, fields, service_time):
        """-> (case id, created?)."""
        with self._lock:
            row = self.db.execute("SELECT id, steps FROM cases WHERE project_no=?", (project_no,)).fetchone()
            if row:
                steps = json.loads(row[1])
                if step not in steps:
                    steps.append(step)
                self.db.execute("UPDATE cases SET steps=?, fields=?, service_time=? WHERE project_no=?",
                                (json.dumps(steps), json.dumps(fields, ensure_ascii=False), service_time, project_no))
                return row[0], False
            cid = "C" + uuid.uuid4().hex[:16]
            self.db.execute("INSERT INTO cases VALUES (?,?,?,?,?,?)",
                            (project_no, cid, json.dumps([step]), json.dumps(fields, ensure_ascii=False),
                             service_time, time.time()))
            return cid, True

    def case(self, project_no):
        with self._lock:
            row = self.db.execute("SELECT id, steps, service_time FROM cases WHERE project_no=?",
                                  (project_no,)).fetchone()
        if not row:
            return None
        return {"id": row[0], "steps": json.loads(row[1]), "service_time": row[2]}

    def add_rating(self, project_no, number, satisfaction, labels, assess_time, pf, fields):
        """-> (rating id, created?). A repeat of the key only bumps attempts."""
        with self._lock:
            row = self.db.execute("SELECT id FROM ratings WHERE project_no=? AND assess_number=?",
                                  (project_no, number)).fetchone()
            if row:
                self.db.execute("UPDATE ratings SET attempts=attempts+1 WHERE project_no=? AND assess_number=?",
                                (project_no, number))
                return row[0], False
            rid = "R" + uuid.uuid4().hex[:16]
            self.db.execute("INSERT INTO ratings VALUES (?,?,?,?,?,?,?,?,?,1)",
                            (project_no, number, rid, satisfaction, json.dumps(labels), assess_time, pf,
                             json.dumps(fields, ensure_ascii=False), time.time()))
            return rid, True

    def ratings_of(self, project_no):
        with self._lock:
            rows = self.db.execute("SELECT assess_number, id, received_at FROM ratings WHERE project_no=?",
                                   (project_no,)).fetchall()
        return [{"assessNumber": n, "id": i, "received_at": t} for n, i, t in rows]

    def all_ratings(self):
        """Every rating held: [{project_no, assess_number, id, satisfaction, labels, assess_time, pf, attempts}]."""
        with self._lock:
            rows = self.db.execute(
                "SELECT project_no, assess_number, id, satisfaction, labels, assess_time, pf, attempts "
                "FROM ratings ORDER BY received_at").fetchall()
        keys = ("project_no", "assess_number", "id", "satisfaction", "labels", "assess_time", "pf", "attempts")
        out = []
        for r in rows:
            d = dict(zip(keys, r))
            d["labels"] = json.loads(d["labels"])
            out.append(d)
        return out

    def counts(self):
        with self._lock:
            c = self.db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
            r, a = self.db.execute("SELECT COUNT(*), COALESCE(SUM(attempts), 0) FROM ratings").fetchone()
        return {"cases": c, "ratings": r, "rating_pushes": a}
