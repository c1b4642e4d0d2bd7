"""The audit log: who did what, for hall IT. Never given applicant contacts."""

from hub.services.common import dumps, now_ms


def log(db, actor, action, subject=None, detail=None, now=None):
    db.execute("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
               (now_ms(now), actor, action, subject, dumps(detail or {})))


def recent(db, limit=100, action=None):
    sql = "SELECT * FROM audit"
    params = []
    if action:
        sql += " WHERE action = ?"
        params.append(action)
    sql += " ORDER BY id DESC LIMIT ?"
    params.append(int(limit))
    return list(db.query(sql, params))
