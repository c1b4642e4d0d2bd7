"""What the hub does with each sealed message from an authenticated terminal.

rating / timeout go to the group-commit writer; the ack (or the permanent
nack of a refused rating: not_invited, duplicate_visit, seq_conflict, see
services/journal.py) is sent from the writer's callback, that is only after
the commit that stored it returned. If storing fails the terminal gets nack
busy (not permanent) and sends the record again from its journal.

Problems seen on the way are noted for hall IT (services/problems.py): a
device time that cannot be right (clock_skew: a live record more than
MAX_SKEW_MS from the hub's time, or a rating the journal flagged `clock`),
a seq sent again with other content (seq_conflict), a heartbeat reporting
the printer in trouble (printer_fault).
"""

import logging

from hub.services import invitations, journal, problems, terminals
from protocol.errors import DUPLICATE_VISIT, NOT_INVITED, SEQ_CONFLICT, ProtocolError, UNKNOWN_TYPE

log = logging.getLogger("hub.ingest")

MAX_SKEW_MS = journal.MAX_SKEW_MS
REFUSALS = {
    NOT_INVITED: "this terminal was never sent that invitation (another window's case, or none "
                 "the hub issued); the rating is kept for review and not forwarded",
    DUPLICATE_VISIT: "一次一评: this visit already has a rating; this one is kept for review "
                     "and not counted",
    SEQ_CONFLICT: "the hub holds another rating under this seq; this one is kept for review "
                  "(audit) and not counted: the terminal's seq counter went back",
}
PRINTER_TROUBLE = {"paper_out": "out of paper: put in a new 58 mm roll",
                   "offline": "not answering: check its cable and power",
                   "error": "reports an error: open it, clear any jam, and power it again"}


def dispatch(conn, msg):
    handler = _HANDLERS.get(msg["t"])
    if handler is None:   # an up type this hub has no use for (e.g. a second auth)
        raise ProtocolError(UNKNOWN_TYPE, "%s is not expected inside a session" % msg["t"],
                            "t", msg["t"], msg.get("mid"))
    handler(conn, msg)


def _check_clock(conn, msg, now, flagged):
    """A live record is stamped moments ago: a device time far from now means
    the terminal's clock is wrong (replays are old by nature); no record of
    any origin is stamped in the future or before its invitation (FLAGGED:
    the journal's `clock`)."""
    dt = msg.get("dt")
    live = msg.get("org") == "live" and dt is not None and abs(dt - now) > MAX_SKEW_MS
    if not (live or flagged or journal.clock_wrong(dt, now)):
        return
    off = (dt - now) / 60000.0
    conn.ingest.problem(conn.device_id, problems.CLOCK_SKEW, "its clock is %.0f min %s the hub's "
                        "(record seq %d): device times of its ratings are wrong. It takes the hub's "
                        "time at every handshake: check the hub's own clock (NTP), then power the "
                        "terminal again" % (abs(off), "ahead of" if off > 0 else "behind",
                                            msg["seq"]), conn.via)


def _printer(conn, state, how):
    trouble = PRINTER_TROUBLE.get(state)
    if trouble is not None:
        conn.ingest.problem(conn.device_id, problems.PRINTER_FAULT, "its receipt printer is %s "
                            "(%s)" % (trouble, how), conn.via)


def _store(conn, msg, record, answer):
    """Have the writer run record(db, device, msg, now); answer(result, error)
    after its commit, but only while the session that sent the record is the
    connection's: after a reboot or another terminal taking the port, an
    answer could name a seq of someone else's journal. The terminal that sent
    it sends it again and gets an ack dup."""
    dev, now, session = conn.device_id, conn.ingest.now_ms(), conn.session

    def done(result, error):
        if error is None and not result["dup"]:
            _check_clock(conn, msg, now, "clock" in (result.get("flags") or ()))
            if result.get("refusal") == SEQ_CONFLICT:
                conn.ingest.problem(dev, problems.SEQ_CONFLICT, "it sent seq %d again with other "
                                    "content: its journal counter went back (flash wiped or "
                                    "restored?). Its new ratings are refused until the counter "
                                    "passes the hub's; the refused ones are in the audit log "
                                    "(rating.conflict)" % msg["seq"], conn.via)
        if conn.session is session:
            answer(result, error)

    conn.ingest.writer.submit(lambda db: record(db, dev, msg, now), done)


def on_rating(conn, msg):
    seq, mid = msg["seq"], msg.get("mid")    # an answer names both (PROTOCOL.md §3.1)

    def answer(result, error):
        if error is not None:
            conn.nack(mid, "busy", "the hub could not store the rating now; it will be "
                      "taken when sent again", seq=seq)
        elif result["refusal"] is not None:
            conn.nack(mid, result["refusal"], REFUSALS[result["refusal"]], seq=seq, perm=True)
        else:
            conn.ack(seq, result["dup"], mid)

    _store(conn, msg, journal.record_rating, answer)


def on_timeout(conn, msg):
    seq, mid = msg["seq"], msg.get("mid")

    def answer(result, error):
        if error is not None:
            conn.nack(mid, "busy", "the hub could not store the timeout now; send it again",
                      seq=seq)
        else:
            conn.ack(seq, result["dup"], mid)

    _store(conn, msg, journal.record_timeout, answer)


def on_heartbeat(conn, msg):
    dev, now = conn.device_id, conn.ingest.now_ms()
    conn.ingest.writer.submit(lambda db: terminals.on_heartbeat(db, dev, msg, now))
    _printer(conn, msg.get("pr"), "its heartbeat says %s" % msg.get("pr"))
    if "mid" in msg:
        conn.send_msg({"t": "ack", "re": msg["mid"]})


def on_ack(conn, msg):
    """The terminal took something we sent: an invitation is now shown, a
    configuration applied."""
    what = conn.downlink.answered(msg.get("re"))
    if what is None:
        return
    kind, ref = what
    dev, now = conn.device_id, conn.ingest.now_ms()
    if kind == "inv":
        conn.ingest.writer.submit(lambda db: invitations.mark_shown(db, ref, dev, now))
    elif kind == "cfg" and conn.downlink.cfg_acked(msg.get("re"), ref):
        conn.ingest.writer.submit(lambda db: terminals.set_config_applied(db, dev, ref))


def on_nack(conn, msg):
    """The terminal refused something we sent: counted, kept in the log."""
    what = conn.downlink.answered(msg.get("re")) if conn.session is not None else None
    conn.count("terminal_nack:%s" % msg["code"])
    log.warning("%r refused %s: %s %s", conn, what, msg["code"], msg.get("msg", ""))


_HANDLERS = {
    "rating": on_rating,
    "timeout": on_timeout,
    "hb": on_heartbeat,
    "ack": on_ack,
    "nack": on_nack,
}
