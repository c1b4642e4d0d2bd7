"""A terminal updated over a journal that firmware 0.1.0 wrote, stepped with a
fake clock against the in-process hub side of mp_fw_session.py.

0.1.0 stored each event as the whole encoded message, seq and org="live"
included; this firmware stores the event's own fields (firmware/app/record.py).
The old records must still be replayed, each once, as 0.1.0 sent them, with
new records after them in the same journal. Runs unchanged on MicroPython
(entry: mp_fw_run.py FLASH old) and on CPython; both print the same lines
(tests/firmware/test_session_micropython.py).

    await main(flash_dir) -> one line per check, then a summary
"""

import os

from firmware.app.main import JOURNAL_FILE
from firmware.journal import Journal
from protocol.codec import decode, encode

from tests.firmware.mp_fw_session import Rig, check

# What firmware 0.1.0 left in its journal: each event as Terminal._record
# appended it then, the whole encoded message with seq and org="live".
OLD_EVENTS = (
    {"t": "rating", "eid": "o1", "cs": "CS-0101", "lv": 5, "lsv": 0, "dp": 2100},
    {"t": "rating", "eid": "o2", "cs": "CS-0102", "lv": 2, "lb": [207, 213], "lsv": 1,
     "dp": 5400, "ff": ["fast"], "dt": 1795000000000},
    {"t": "timeout", "eid": "o3", "cs": "CS-0103"},
)


def write_old_journal(flash):
    try:
        os.mkdir(flash)
    except OSError:
        pass
    j = Journal(flash + JOURNAL_FILE)
    bodies = {}
    for i in range(len(OLD_EVENTS)):
        msg = dict(OLD_EVENTS[i])
        seq = j.next_seq()
        msg["seq"] = seq
        msg["org"] = "live"
        msg["mt"] = 60000 + 1000 * i
        msg["bt"] = 1
        bodies[seq] = encode(msg, "up")
        j.append(seq, bodies[seq])
    j.close()
    return bodies


def _without_mid(msg):
    out = {}
    for k in msg:
        if k != "mid":
            out[k] = msg[k]
    return out


async def main(flash):
    """Firmware updated over a journal of the old form: each old record is
    replayed once, as the old firmware would have sent it, and new records
    follow it in the same journal."""
    bodies = write_old_journal(flash)
    r = Rig(flash, False)
    hub = r.hub
    hub.auto_ack = False
    check("old records kept over the update",
          r.term.journal.depth() == 3 and r.term.journal.next_seq() == 4)
    await r.until("old records replayed", lambda: len(hub.events) == 3)
    same = True
    for seq in bodies:
        want = decode(bodies[seq], "up")
        want["org"] = "replay"
        same = same and _without_mid(hub.events[seq]) == want
    check("old records sent as the old firmware sent them", same)
    hub.invite("n1")
    await r.until("invitation", r.shows("请您对本次服务进行评价"))
    await r.press(0, 1000)
    await r.until("new rating", lambda: 4 in hub.events)
    check("new rating follows the old ones",
          hub.events[4]["eid"] == "n1" and hub.events[4]["org"] == "live")
    hub.ack_all()
    await r.until("all acked", lambda: r.term.journal.depth() == 0)
    r.reboot()
    hub.auto_ack = True
    await r.until("online again", lambda: hub.online and r.term.link.online and hub.sessions == 2)
    await r.run(2000)
    check("each replayed exactly once",
          hub.deliveries == [(1, "replay"), (2, "replay"), (3, "replay"), (4, "live")])
    r.term.close()
    print("old_journal ok: %d events, %d deliveries, %d sessions"
          % (len(hub.events), len(hub.deliveries), hub.sessions))
