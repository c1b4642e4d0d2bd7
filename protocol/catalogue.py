"""Every message type, its direction and its fields, in wire order.

A field is (key, kind, required, a, b): see fields.py for what a and b mean
per kind. `t` (the type) and `mid` (message id) are common to all messages and
written first. A message that wants an answer carries `mid`; the answer (`ack`,
`nack`, `chal`) carries `re` equal to it. Journal events (`rating`, `timeout`)
are answered by `seq` instead, because a terminal may resend them in a later
session under a new `mid`.

Rule for what a peer does not know: unknown fields are ignored (and dropped
by the decoder); an unknown message type is answered with `nack` code
`unknown_type` when it carries a `mid` and otherwise ignored. Neither ends the
session, so old terminals and new hubs keep talking.
"""

from protocol import domain
from protocol.errors import BAD_LABEL, NEED_LABEL, MISSING
from protocol.fields import (
    INT, TEXT, TOKEN, NAME, HEX, BOOL, ENUM, INTS, TOKENS, TEXTS, OBJ, I31, I53,
    check_int, check_text, check_token, check_list, fail, write_value,
)

UP = "up"        # terminal -> hub
DOWN = "down"    # hub -> terminal
BOTH = "both"

ORIGINS = ("live", "replay")
# `timeout` why: the terminal closed the invitation because a newer `inv`
# replaced it on the screen (not because its time ran out). A token, not an
# enum, so that a later reason does not make older hubs refuse the event:
# they read any other value as a plain timeout.
WHY_SUPERSEDED = "sup"
# `hello` cap of a terminal that says why=sup on every supersede, so the hub
# knows that its timeouts without `why` are real ones (PROTOCOL.md, timeout).
CAP_TIMEOUT_WHY = "why"
PRINTER_STATES = ("ok", "paper_out", "offline", "none", "error")
HB_PERIOD_S = 30    # seconds between a terminal's heartbeats unless the hall's cfg sets tmo.hb
DUTY_STATES = ("on", "off", "pause")

MAX_LABELS_PER_RATING = 8
MAX_LABELS_IN_SET = 64
MAX_LABEL_TEXT = 24
# 64 labels of 24 characters would be about 5 KB, over a packet. The set's
# compact JSON is capped instead, so that a cfg with the label set, ver, hall,
# win and bri always fits in one sealed packet (2048 bytes, the worst case is
# checked in tests/protocol/test_codec.py); txt and tmo may need a cfg of their own.
# The national set (40 labels) is 1531 bytes. 1784 since protocol version 2
# (was 1792): its seal is 8 bytes longer.
MAX_LABEL_SET_BYTES = 1784
# Seqs one ack names besides its seq: 1 + 31 ten-digit seqs stay under 400
# bytes sealed, and a terminal's decoded list under 1 KB of heap.
MAX_MORE_ACKS = 31


def _label_set(field, v):
    for k in ("v", "l"):
        if k not in v:
            fail(field + "." + k, "the label set needs %s" % ("its version v" if k == "v" else
                 "its labels l, a list of [code, text]"), MISSING)
    check_int(field + ".v", v["v"], 0, I31)
    items = check_list(field + ".l", v["l"], MAX_LABELS_IN_SET)
    seen = set()
    for i in range(len(items)):
        f = "%s.l[%d]" % (field, i)
        pair = check_list(f, items[i], 2)
        if len(pair) != 2:
            fail(f, "must be [code, text]")
        code = check_int(f + "[0]", pair[0], domain.LABEL_CODE_MIN, domain.LABEL_CODE_MAX)
        check_text(f + "[1]", pair[1], 1, MAX_LABEL_TEXT)
        if code in seen:
            fail(f, "label code %d appears twice" % code)
        seen.add(code)
    out = {"v": v["v"], "l": items}
    size = _json_len(out)
    if size > MAX_LABEL_SET_BYTES:
        fail(field, "label set is %d bytes as JSON, the limit is %d: shorten the label texts "
             "or remove labels" % (size, MAX_LABEL_SET_BYTES))
    return out


def _json_len(v):
    parts = []
    write_value(v, parts)
    return len("".join(parts).encode())


def _text_map(field, v):
    if len(v) > 32:
        fail(field, "may hold at most 32 texts, got %d" % len(v))
    for k in v:
        check_token(field + " key", k, 1, 24)
        check_text(field + "." + k, v[k], 0, 120)
    return v


def _timeout_map(field, v):
    if len(v) > 16:
        fail(field, "may hold at most 16 timeouts, got %d" % len(v))
    for k in v:
        check_token(field + " key", k, 1, 24)
        check_int(field + "." + k, v[k], 0, 86400)
    return v


def _one_of_re_seq(m):
    if "re" not in m and "seq" not in m:
        fail("re", "an %s must name what it answers: give re (the message id) or seq (the journal sequence)" % m["t"], MISSING)


def _ack_rules(m):
    _one_of_re_seq(m)
    if "more" in m and "seq" not in m:
        fail("more", "an ack's more lists further journal seqs and needs seq", MISSING)


def acked_seqs(ack):
    """The journal seqs an `ack` message answers: seq, then more (none for an
    ack of a mid)."""
    if "seq" not in ack:
        return []
    return [ack["seq"]] + list(ack.get("more", ()))


def ack_messages(seqs):
    """Acks answering journal SEQS, 1 + MAX_MORE_ACKS seqs each, in order."""
    step = 1 + MAX_MORE_ACKS
    out = []
    for i in range(0, len(seqs), step):
        msg = {"t": "ack", "seq": seqs[i]}
        if len(seqs) > i + 1:
            msg["more"] = list(seqs[i + 1:i + step])
        out.append(msg)
    return out


def _rating_rules(m):
    level = m["lv"]
    for code in m.get("lb", ()):
        of = domain.label_level(code)
        if of != level:
            fail("lb", "label %d belongs to level %d, not to the rating's level %d (%s)"
                 % (code, of, level, domain.LEVEL_NAMES[level]), BAD_LABEL)
    if domain.is_bad(level) and not m.get("lb") and not m.get("oth"):
        fail("lb", "a %s rating needs at least one reason label or oth=true"
             % domain.LEVEL_NAMES[level], NEED_LABEL)


_JOURNAL = (
    ("seq", INT, True, 1, I31),      # per-device monotonic sequence; rating id = device id + seq
    ("eid", TOKEN, True, 1, 40),     # evaluation (invitation) id from the hub
    ("cs", TOKEN, True, 1, 64),      # case serial number (办件流水号)
)
_CLOCKS = (
    ("dt", INT, False, 0, I53),      # device wall time, epoch ms, only when synced
    ("mt", INT, True, 0, I53),       # device monotonic ms since boot
    ("bt", INT, False, 0, I31),      # boot counter: makes mt comparable
    ("org", ENUM, True, ORIGINS, None),
)

# type: (direction, fields, mid required, cross-field check or None)
MESSAGES = {
    "hello": (UP, (
        ("dev", NAME, True, 1, 32),     # device id
        ("fw", TOKEN, True, 1, 32),      # firmware version
        ("board", TOKEN, True, 1, 32),
        ("pv", INT, True, 1, 255),       # highest protocol version spoken
        ("caps", TOKENS, False, 16, 16),  # capabilities: uart mqtt printer qr ...
        ("jd", INT, True, 0, I31),       # journal depth: records not yet acked
        ("cv", INT, False, 0, I31),      # config version held
        ("dn", HEX, True, 16, None),     # device nonce, 8 random bytes
    ), True, None),
    "chal": (DOWN, (
        ("re", INT, True, 0, I31),
        ("dn", HEX, True, 16, None),     # the hello's nonce, echoed
        ("hn", HEX, True, 16, None),     # hub nonce, 8 random bytes
        ("hp", HEX, True, 32, None),     # hub proof
        ("pv", INT, True, 1, 255),       # version both will speak
    ), False, None),
    "auth": (UP, (
        ("hh", HEX, True, 16, None),     # hash of the hello packet
    ), True, None),
    "ack": (BOTH, (
        ("re", INT, False, 0, I31),
        ("seq", INT, False, 1, I31),
        ("dup", BOOL, False, None, None),  # already stored before: still done
        # Further journal seqs stored by the same commit: one ack per terminal
        # per group commit instead of one per record (a journal replay).
        ("more", INTS, False, MAX_MORE_ACKS, (1, I31)),
    ), False, _ack_rules),
    "nack": (BOTH, (
        ("re", INT, False, 0, I31),
        ("seq", INT, False, 1, I31),
        ("code", TOKEN, True, 1, 24),
        ("msg", TEXT, False, 0, 160),
        ("perm", BOOL, False, None, None),  # permanent: resending will not help
    ), False, _one_of_re_seq),
    "hb": (UP, (
        ("up", INT, True, 0, I31),       # uptime, seconds
        ("heap", INT, True, 0, I31),     # free heap, bytes
        ("jd", INT, True, 0, I31),
        ("lq", INT, False, 0, 100),      # link quality, percent
        ("rssi", INT, False, -127, 0),   # Wi-Fi RSSI, dBm
        ("pr", ENUM, False, PRINTER_STATES, None),
        ("scr", TOKEN, False, 1, 16),    # screen shown
        ("ign", INT, False, 0, I31),     # presses ignored (no invitation shown)
        ("bt", INT, False, 0, I31),
    ), False, None),
    "inv": (DOWN, (
        ("eid", TOKEN, True, 1, 40),
        ("win", NAME, True, 1, 16),     # window number
        ("cs", TOKEN, True, 1, 64),
        ("vis", INT, False, 1, 999),     # visit number of this case at this window
        ("mc", TOKEN, True, 1, 64),      # matter code (事项编码)
        ("mn", TEXT, True, 1, 120),      # matter name (事项名称)
        ("stf", TOKEN, True, 1, 32),     # staff id (工号)
        ("stn", TEXT, True, 1, 32),      # staff name
        ("to", INT, True, 5, 3600),      # seconds the terminal waits for a press
        ("dl", INT, False, 0, I53),      # absolute deadline, epoch ms
        ("lsv", INT, False, 0, I31),     # label-set version the rating must use
    ), True, None),
    "cancel": (DOWN, (
        ("eid", TOKEN, True, 1, 40),
        ("why", TEXT, False, 0, 64),
    ), True, None),
    "rating": (UP, _JOURNAL + (
        ("lv", INT, True, 1, 5),         # 5 非常满意 .. 1 非常不满意
        ("lb", INTS, False, MAX_LABELS_PER_RATING, (domain.LABEL_CODE_MIN, domain.LABEL_CODE_MAX)),
        ("oth", BOOL, False, None, None),  # explicit "other" reason
        ("lsv", INT, False, 0, I31),
        ("dp", INT, True, 0, I31),       # display-to-press, ms
        ("ff", TOKENS, False, 8, 16),    # fraud flags seen on the terminal
    ) + _CLOCKS, False, _rating_rules),
    "timeout": (UP, _JOURNAL + (
        ("why", TOKEN, False, 1, 8),     # why it closed without a rating; WHY_SUPERSEDED
    ) + _CLOCKS, False, None),
    "cfg": (DOWN, (
        ("ver", INT, True, 0, I31),
        ("hall", TEXT, False, 0, 32),
        ("win", NAME, False, 1, 16),
        ("ls", OBJ, False, _label_set, None),
        ("txt", OBJ, False, _text_map, None),
        ("tmo", OBJ, False, _timeout_map, None),
        ("bri", INT, False, 0, 100),
    ), True, None),
    "time": (DOWN, (
        ("now", INT, True, 0, I53),      # hub wall time, epoch ms
        ("tz", INT, False, -720, 840),   # offset from UTC, minutes
    ), False, None),
    "duty": (DOWN, (
        ("st", ENUM, True, DUTY_STATES, None),
        ("win", NAME, False, 1, 16),
        ("stf", TOKEN, False, 1, 32),
        ("stn", TEXT, False, 0, 32),
    ), True, None),
    "print": (DOWN, (
        ("eid", TOKEN, False, 1, 40),
        ("cs", TOKEN, False, 1, 64),
        ("title", TEXT, True, 1, 32),
        ("lines", TEXTS, False, 16, 32),
        ("qr", TEXT, False, 1, 300),     # URL encoded in the receipt's QR code
    ), True, None),
    "reboot": (DOWN, (
        ("why", TEXT, False, 0, 64),
    ), True, None),
}

COMMON = (
    ("t", TOKEN, True, 1, 16),
    ("mid", INT, False, 0, I31),
)


def field_spec(mtype, key):
    """-> (kind, a, b) of field KEY of message type MTYPE, so a peer that
    checks its own inputs against the wire's bounds takes them from here."""
    for k, kind, _required, a, b in MESSAGES[mtype][1]:
        if k == key:
            return kind, a, b
    raise KeyError("%s has no field %s" % (mtype, key))
