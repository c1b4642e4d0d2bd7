"""Time as the hall's people and peers read it; epoch milliseconds inside the hub.

Two zones, kept apart on purpose:

- the hall's zone, `[hall] tz_offset_minutes` in the config (China Standard
  Time, +08:00, unless a hall abroad says otherwise). The API writes times
  as ISO 8601 with that offset and reads any offset (a time without one is
  hall time); the CLI prints and reads hall time, with the offset shown.
- China Standard Time (UTC+8, no daylight saving) for the provincial
  好差评 platforms' own formats, 'yyyy-MM-dd HH:mm:ss' and 'yyyyMMddHHmmss':
  that is what their interface specifications define, whatever the hall's
  configured zone, so the adapters' strings never follow the config.
"""

import calendar
import datetime
import re
import time

from hub.errors import HubError

CST_OFFSET_MINUTES = 8 * 60
_CST_OFFSET_S = CST_OFFSET_MINUTES * 60
# The range [hall] tz_offset_minutes accepts: every zone in use on Earth.
OFFSET_MIN, OFFSET_MAX = -12 * 60, 14 * 60

# The last millisecond of the year 9999, the most a datetime holds: the
# largest time the API reads as epoch ms.
EPOCH_MS_MAX = 253402300799999
TEXT_MAX = 64       # the longest time text the API reads

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_MS = datetime.timedelta(milliseconds=1)
# "2024-06-11 08:00:05 +08:00", as the CLI prints it: fromisoformat wants no space.
_SPACED_OFFSET = re.compile(r"\s+(Z|[+-]\d\d(:?\d\d)?)$")


# -- the hall's zone ---------------------------------------------------------------

def offset_minutes(cfg):
    return cfg.hall.tz_offset_minutes


def zone(cfg):
    return zone_of(offset_minutes(cfg))


def zone_of(minutes):
    return datetime.timezone(datetime.timedelta(minutes=minutes))


def _to_datetime(ms, tz):
    """-> aware datetime, or None when MS lies outside the years 1..9999 a
    datetime holds (a terminal's clock can say anything; its device time is
    stored as sent, and no read of it may fail)."""
    # Integer arithmetic: fromtimestamp(ms / 1000) goes through a float.
    try:
        return (_EPOCH + int(ms) * _MS).astimezone(tz)
    except OverflowError:
        return None


def _to_ms(dt):
    return (dt - _EPOCH) // _MS


# -- output --------------------------------------------------------------------------

def iso(ms, tz):
    """Epoch ms -> '2024-06-11T10:15:00.000+08:00' (None stays None, and so does
    a time no calendar date holds): the API's form."""
    dt = None if ms is None else _to_datetime(ms, tz)
    return None if dt is None else dt.isoformat(timespec="milliseconds")


def show(ms, tz):
    """Epoch ms -> '2024-06-11 10:15:00 +08:00' ('' for none): the CLI's form, which
    the CLI also reads back; '' too for a time no calendar date holds)."""
    dt = None if ms is None else _to_datetime(ms, tz)
    if dt is None:
        return ""
    return dt.strftime("%Y-%m-%d %H:%M:%S ") + offset_text(tz)


def offset_text(tz):
    """'+08:00'."""
    return _EPOCH.astimezone(tz).isoformat()[-6:]


# -- input ---------------------------------------------------------------------------

def _read(raw, tz):
    try:
        dt = datetime.datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1", raw))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return _to_ms(dt)


def parse(text, field, tz):
    """The API's time input -> epoch ms (None stays None): epoch milliseconds, or
    ISO 8601 (a date, or date and time, with any offset; without one, hall time)."""
    if text is None:
        return None
    raw = text.strip()
    if raw.isascii() and raw.isdigit():     # str.isdigit() alone takes '²' and '٣'
        if len(raw) > len(str(EPOCH_MS_MAX)) or int(raw) > EPOCH_MS_MAX:
            raise HubError("bad_request", "%s %s: epoch milliseconds go up to %d (the year "
                           "9999); write a time such as 2024-06-11T08:30:00+08:00"
                           % (field, raw[:20] + ("…" if len(raw) > 20 else ""), EPOCH_MS_MAX),
                           422, field=field)
        return int(raw)
    # A time is short; a long text is none (and _SPACED_OFFSET is quadratic in spaces).
    ms = _read(raw, tz) if len(raw) <= TEXT_MAX else None
    if ms is None:
        raise HubError("bad_request", "%s %r is not a time; write 2024-06-11, "
                       "2024-06-11T08:30:00+08:00 or epoch milliseconds" % (field, text[:40]),
                       422, field=field)
    return ms


def parse_cli(text, option, tz):
    """A CLI option's time -> epoch ms: '2024-06-11', '2024-06-11 08:30[:00]' in the
    hall's zone, or with an offset ('2024-06-11 08:30 +00:00'). No epoch ms here:
    a date typed as 20240611 must not mean 1970."""
    ms = None if text.strip().isdigit() else _read(text.strip(), tz)
    if ms is None:
        raise HubError("bad_request", "%s %r: write a date as 2024-06-11 or 2024-06-11 08:30 "
                       "(hall time, %s), or add an offset: 2024-06-11 08:30 +00:00"
                       % (option, text, offset_text(tz)), 400, field=option)
    return ms


# -- the provincial platforms' China Standard Time -----------------------------------

def cst_format(epoch_s):
    """Epoch seconds -> 'yyyy-MM-dd HH:mm:ss' in China Standard Time."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(epoch_s) + _CST_OFFSET_S))


def cst_parse(text):
    """'yyyy-MM-dd HH:mm:ss' (China Standard Time) -> epoch seconds; ValueError names
    the format."""
    try:
        t = time.strptime(text, "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        raise ValueError("time %r is not 'yyyy-MM-dd HH:mm:ss'" % (text,))
    return calendar.timegm(t) - _CST_OFFSET_S


def cst_stamp(epoch_s):
    """Epoch seconds -> 'yyyyMMddHHmmss' in China Standard Time (signed envelopes)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(int(epoch_s) + _CST_OFFSET_S))
