"""Time sync: the `time` message the hub sends after every handshake.

The terminal stamps ratings with its monotonic clock always, and with wall
time (`dt`) only once synced; the hub keeps both (docs/DOMAIN.md, "Times": never send a
rating time earlier than the service time, so the hub needs a trustworthy
wall clock for every rating).
"""

from hub.halltime import CST_OFFSET_MINUTES
from hub.services.common import now_ms


def time_message(now=None, tz_minutes=CST_OFFSET_MINUTES):
    return {"t": "time", "now": now_ms(now), "tz": tz_minutes}
