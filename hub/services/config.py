"""Versioned terminal configuration: label set, texts, timeouts, brightness.

Every push makes a new complete version (copying what it does not change
from the newest one), so a terminal that reports `cv` older than current()
simply gets the newest version in one `cfg` message. The label set is
checked by the wire's own rules (protocol.catalogue), plus: every code's
first digit is its level, and each bad level (2, 1) keeps at least one
label, because a bad rating needs a reason.

One version may need more than one `cfg` on the wire: the label set is
capped (protocol.catalogue.MAX_LABEL_SET_BYTES) so that it always fits one
sealed packet with the small fields, but texts and timeouts can push a cfg
over 2048 bytes. parts() then moves the field the encoder names as the
largest (too_large, e.field) into a cfg of its own with the same `ver`, as
PROTOCOL.md (cfg) says; a terminal applies the fields each cfg carries.
push() refuses a version that cannot be sent that way even with the longest
hall name and window number, naming the field to shorten.
"""

from hub.errors import HubError
from hub.services import audit
from hub.services.common import dumps, loads, now_ms, row
from hub.store import tx
from protocol import MAX_PACKET, domain
from protocol.catalogue import DOWN, field_spec
from protocol.codec import encode, too_large
from protocol.errors import TOO_LARGE, ProtocolError
from protocol.fields import I31
from protocol.session import SEAL_LEN

# Wire keys of a cfg and the names hall IT uses for them (API fields, CLI options).
HUB_FIELDS = {"ls": "labels", "txt": "texts", "tmo": "timeouts", "bri": "brightness",
              "hall": "hall", "win": "window", "ver": "version"}
# Fields that may travel in a cfg of their own.
SPLITTABLE = ("ls", "txt", "tmo")
# The largest hall name (32 characters of 3 UTF-8 bytes) and window number
# (16 characters) a cfg may carry: push() checks with these and the largest
# mid (I31), so every terminal of any hall can be sent the version.
WORST_HALL = "\u5385" * 32
WORST_WINDOW = "W" * 16


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


def hall_shown(hall):
    """The `hall` a cfg carries, the name terminals show on their idle screen:
    `[hall] name` (the code only when the name is empty; the code is an MQTT
    topic level, not something citizens read), cut to the wire's bound so a
    long name cannot make every cfg unsendable. HALL: the config's [hall]."""
    name = (hall.name or "").strip() or hall.code
    return name[:field_spec("cfg", "hall")[2]]


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


def _fit(msg):
    """Raise too_large (naming the largest field) if MSG sealed would exceed
    one packet: the test Session.seal makes, without a session."""
    body = encode(msg, DOWN)
    if len(body) + SEAL_LEN > MAX_PACKET:
        raise too_large(msg, "sealed cfg would be %d bytes" % (len(body) + SEAL_LEN), MAX_PACKET)


def parts(cfg, hall=None, window=None):
    """-> the cfg messages (without mid) that carry configuration CFG: one
    when it fits a sealed packet, else the largest field split off into a
    cfg of the same ver, again until each fits. Raises ProtocolError (a bad
    field, or too_large when a field cannot fit even alone)."""
    todo, done = [message(cfg, I31, hall, window)], []
    while todo:
        m = todo.pop(0)
        try:
            _fit(m)
        except ProtocolError as e:
            rest = [k for k in SPLITTABLE if k in m]
            if e.code != TOO_LARGE or e.field not in rest or len(rest) < 2:
                raise
            alone = {"t": "cfg", "mid": I31, "ver": m["ver"], e.field: m.pop(e.field)}
            todo[:0] = [m, alone]
            continue
        del m["mid"]
        done.append(m)
    return done


def refusal(e):
    """A ProtocolError about a configuration -> the HubError hall IT sees,
    naming the field by its hub name (labels, texts, timeouts, ...)."""
    key = (e.field or "").split(".")[0]
    field = HUB_FIELDS.get(key, key or None)
    if e.code == TOO_LARGE:
        return HubError("bad_request", "configuration refused: %s is too large to send to a "
                        "terminal (%s); shorten it" % (field, e.detail), field=field)
    return HubError("bad_request", "configuration refused: %s (%s)" % (e.detail, e.field),
                    field=field)


def _check_labels(labels):
    if not isinstance(labels, list):
        raise HubError("bad_request", "labels must be a list of [code, text] pairs", field="labels")
    levels = set()
    for pair in labels:
        code = pair[0] if isinstance(pair, (list, tuple)) and pair else None
        level = domain.label_level(code)
        if level is None:
            raise HubError("bad_label", "label %r: a code is three digits whose first digit is its "
                           "level (1..5), e.g. 214" % (pair,), field="labels")
        levels.add(level)
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
            parts(new, WORST_HALL, WORST_WINDOW)
        except ProtocolError as e:
            raise refusal(e) from None
        db.execute("INSERT INTO config_versions (version, label_set, texts, timeouts, brightness, "
                   "note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (ver, dumps(label_set), dumps(new["texts"]), dumps(new["timeouts"]),
                    new["brightness"], note or "", now_ms(now)))
        audit.log(db, actor, "config.push", str(ver), {"note": note}, now)
    return current(db)


def label_set_version(db):
    return current(db)["label_set"]["v"]
