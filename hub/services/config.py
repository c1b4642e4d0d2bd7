"""Versioned terminal configuration: label set, texts, timeouts, brightness.

Every push makes a new complete version (copying what it does not change
from the newest one), so a terminal that reports `cv` older than current()
simply gets the newest version in one `cfg` message. The label set is
checked by the wire's own rules (protocol.catalogue), plus: every code's
first digit is its level, and each bad level (2, 1) keeps at least one
label, because a bad rating needs a reason.
"""

from hub.errors import HubError
from hub.services import audit
from hub.services.common import dumps, loads, now_ms, row
from hub.store import tx
from protocol import domain
from protocol.codec import check
from protocol.errors import ProtocolError


def _decode(r):
    return {"version": r["version"], "label_set": loads(r["label_set"]),
            "texts": loads(r["texts"], {}), "timeouts": loads(r["timeouts"], {}),
            "brightness": r["brightness"], "note": r["note"], "created_at": r["created_at"]}


def current(db):
    return _decode(row(db, "SELECT * FROM config_versions ORDER BY version DESC LIMIT 1"))


def get(db, version):
    r = row(db, "SELECT * FROM config_versions WHERE version = ?", (version,))
    if r is None:
        raise HubError("not_found", "configuration version %r does not exist; list versions "
                       "with: pingjia config list" % (version,), field="version")
    return _decode(r)


def versions(db):
    return [_decode(r) for r in db.query("SELECT * FROM config_versions ORDER BY version")]


def message(cfg, mid, hall=None, window=None):
    """The `cfg` message carrying configuration `cfg` (a current() dict)."""
    m = {"t": "cfg", "mid": mid, "ver": cfg["version"], "ls": cfg["label_set"],
         "txt": cfg["texts"], "tmo": cfg["timeouts"]}
    if hall:
        m["hall"] = hall
    if window:
        m["win"] = window
    if cfg.get("brightness") is not None:
        m["bri"] = cfg["brightness"]
    return m


def _check_labels(labels):
    if not isinstance(labels, list):
        raise HubError("bad_request", "labels must be a list of [code, text] pairs", field="labels")
    levels = set()
    for pair in labels:
        code = pair[0] if isinstance(pair, (list, tuple)) and pair else None
        if domain.label_level(code) is None:
            raise HubError("bad_label", "label %r: a code is three digits whose first digit is its "
                           "level (1..5), e.g. 214" % (pair,), field="labels")
        levels.add(code // 100)
    for level in domain.BAD_LEVELS:
        if level not in levels:
            raise HubError("need_label", "the label set has no label for level %d (%s); a bad "
                           "rating needs a reason, so keep at least one"
                           % (level, domain.LEVEL_NAMES[level]), field="labels")


def push(db, labels=None, texts=None, timeouts=None, brightness=None, note="",
         actor="cli", now=None):
    """Make a new version from the newest one with the given parts replaced -> it.

    The ingest sends it to every online terminal on notify() and to the others
    when they next connect.
    """
    with tx(db):
        cur = current(db)
        ver = cur["version"] + 1
        label_set = cur["label_set"]
        if labels is not None:
            _check_labels(labels)
            label_set = {"v": ver, "l": [[int(c), t] for c, t in labels]}
        new = {"version": ver, "label_set": label_set,
               "texts": cur["texts"] if texts is None else texts,
               "timeouts": cur["timeouts"] if timeouts is None else timeouts,
               "brightness": cur["brightness"] if brightness is None else brightness}
        try:
            check(message(new, 1), "down")
        except ProtocolError as e:
            raise HubError("bad_request", "configuration refused: %s" % e.detail,
                           field=(e.field or "").split(".")[0] or None)
        db.execute("INSERT INTO config_versions (version, label_set, texts, timeouts, brightness, "
                   "note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (ver, dumps(label_set), dumps(new["texts"]), dumps(new["timeouts"]),
                    new["brightness"], note or "", now_ms(now)))
        audit.log(db, actor, "config.push", str(ver), {"note": note}, now)
    return current(db)


def label_set_version(db):
    return current(db)["label_set"]["v"]
