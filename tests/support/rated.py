"""Ratings stored the way a terminal's are (invitation, then the journal's
record_rating), for the statistics, rectification and metrics tests."""

import datetime

from hub.halltime import zone_of
from hub.services import invitations, journal, terminals, windows

_seq = {}


TZ = zone_of(480)       # China Standard Time, the hall's zone in these tests


def ms(y, m, d, hh=10):
    """Epoch ms of that hour, hall time."""
    return int(datetime.datetime(y, m, d, hh, tzinfo=TZ).timestamp() * 1000)


def rate(db, window, level, now, cs=None, device=None, staff=("S01", "张三"),
         matter=("M100", "营业执照办理"), labels=None, channel=5):
    """Invite and rate one case at WINDOW -> the journal's answer (rating_id ...).
    The window and its terminal (T-<window>) are made when missing."""
    device = device or "T-%s" % window
    if windows.get(db, window) is None or terminals.get(db, device) is None:
        if terminals.get(db, device) is None:
            terminals.provision(db, device, window, now=now)
    seq = _seq[device] = _seq.get(device, 0) + 1
    cs = cs or "CS-%s-%d-%d" % (window, now, seq)
    inv = invitations.create(db, window, cs, matter[0], matter[1], staff_id=staff[0],
                             staff_name=staff[1], channel=channel, now=now)
    if labels is None:
        labels = [{2: 214, 1: 115}[level]] if level in (2, 1) else []
    msg = {"t": "rating", "seq": seq + 100000 * len(_seq), "eid": inv["eid"], "cs": cs,
           "lv": level, "dp": 3000, "mt": 10_000 * seq, "org": "live", "lb": labels}
    return journal.record_rating(db, device, msg, now=now + 1000)
