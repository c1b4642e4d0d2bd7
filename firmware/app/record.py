"""A rating or timeout event as the journal keeps it, and as the link sends it.

The journal keeps the event's own fields: t, eid, cs, the rating's fields
and the clocks, as compact JSON. What belongs to one send is not kept: seq
is the journal record's own number, org says whether this send is live or a
replay, and mid is per session; message() adds them at every send. So the
record is written once, checked once, and sent as it was written.

Journals written by firmware 0.1.0 hold the whole encoded message, seq and
org="live" included. message() reads those as well: their seq is the
record's own, and org and mid are set per send as for any record.
"""

import json

from protocol.catalogue import UP
from protocol.codec import check

SEND_FIELDS = ("seq", "org", "mid")


def payload(event, seq):
    """The flow's event with its clocks -> the bytes the journal keeps as record
    SEQ. Raises ProtocolError now for an event no send could carry, rather
    than keep on flash what the hub could never be given."""
    msg = dict(event)
    msg["seq"] = seq
    msg["org"] = "live"
    own = check(msg, UP)
    for k in SEND_FIELDS:
        if k in own:
            del own[k]
    return json.dumps(own, separators=(",", ":")).encode()


def message(payload, seq, org, mid):
    """Journal record SEQ -> the message dict to seal for one send."""
    msg = json.loads(payload)
    msg["seq"] = seq
    msg["org"] = org
    msg["mid"] = mid
    return msg
