"""Times at the API edge: epoch ms inside the hub, ISO 8601 with the hall's offset outside."""

import datetime

from hub.errors import HubError


def tz_of(cfg):
    return datetime.timezone(datetime.timedelta(minutes=cfg.hall.tz_offset_minutes))


def iso(ms, tz):
    """Epoch milliseconds -> '2024-06-11T10:15:00.000+08:00' (None stays None)."""
    if ms is None:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="milliseconds")


def parse(text, field, tz):
    """ISO 8601 (date, or date and time, with or without offset: the hall's
    local time when none) or epoch milliseconds -> epoch ms."""
    if text is None:
        return None
    raw = text.strip()
    if raw.isdigit():
        return int(raw)
    try:
        dt = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HubError("bad_request", "%s %r is not a time; write 2024-06-11, "
                       "2024-06-11T08:30:00+08:00 or epoch milliseconds" % (field, text),
                       422, field=field) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return int(dt.timestamp() * 1000)
