"""Every screen of the terminal, one function each: canvas + plain data in, pixels out.

Screens know nothing of the network or the rating flow: the application
passes dicts of values (below) and shows the result with panel.push. Every
text a citizen or hall staff reads is Simplified Chinese (theme.py). Text
that cannot fit wraps, then ends with an ellipsis; nothing is drawn outside
the 320x240 screen, and the title bar's right corner stays free for the
offline badge (`offline_marker`, drawn over any screen when the hub link is
down; `show` does it for you).

    idle        hall, window, staff_id, staff_name, online (bool)
    invitation  matter, serial, staff_id, staff_name, seconds,
                names (optional {level: name}, default protocol.domain's);
                the serial is drawn whole (two lines for the protocol's
                longest, 64 characters), the matter name in the rows left
    labels      level (2 or 1), labels [(code, text), ...], cursor (index into
                labels), checked (codes), other (bool), hint (optional:
                "need_label" or "too_many", shown instead of the count),
                lsv (optional: label set version, for the page cache), names
                (optional)
    thanks      level (optional: the level just given), names (optional)
    paused      window (optional), until (optional "14:00"), message (optional)
    error       message, code
"""

from protocol.domain import LEVELS, LEVEL_NAMES
from firmware.ui import theme as t
from firmware.ui import widgets as w
from firmware.ui.canvas import CENTER, RIGHT

_BODY_X = t.MARGIN
_VALUE_X = 64
_VALUE_W = t.WIDTH - _VALUE_X - t.MARGIN


def _s(value):
    """Any value as one line of display text ('' for None): data comes from the hub as is."""
    if value is None:
        return ""
    return str(value).replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _names(d):
    return d.get("names") or LEVEL_NAMES


def idle(cv, d):
    cv.clear(t.INK, t.WHITE)
    w.title_bar(cv, _s(d.get("hall")))
    window = _s(d.get("window"))
    if window:
        cv.text_in(t.T_WINDOW % window, 0, 40, t.WIDTH, scale=2, align=CENTER)
    cv.fb.rect(32, 88, 256, 96, 1)
    name = _s(d.get("staff_name"))
    if name or d.get("staff_id"):
        cv.text_in(t.T_ON_DUTY, 40, 98, 240, align=CENTER)
        cv.text_in(name, 40, 120, 240, scale=2, align=CENTER)
        cv.text_in("%s %s" % (t.T_STAFF_ID, _s(d.get("staff_id"))), 40, 160, 240, align=CENTER)
    else:
        cv.text_in(t.T_NO_STAFF, 40, 120, 240, scale=2, align=CENTER)
    cv.text_in(t.T_IDLE_HINT, t.MARGIN, 192, t.WIDTH - 2 * t.MARGIN, align=CENTER)
    up = bool(d.get("online"))
    cv.region(0, 214, t.WIDTH, t.HEIGHT - 214, t.WHITE, t.GREEN if up else t.BADGE)
    cv.text_in(t.T_LINK_UP if up else t.T_LINK_DOWN, t.MARGIN, 219,
               t.WIDTH - 2 * t.MARGIN, align=CENTER)


# Invitation body: rows of text between the title bar and the tiles (y 124).
# Up to four rows keep a roomy 22-px pitch; five (a three-line matter name,
# or a serial on two lines) close up to 18 px and start higher.
_INV_ROWS = 5
_INV_ROOMY = (36, 22)
_INV_TIGHT = (32, 18)
_SERIAL_MARKS = ("-", "_", "/", ".", ":")     # where a serial's parts meet


def _serial_break(cv, serial):
    """Characters of SERIAL on its first line (all of it when it fits): as
    many as fit beside the label, or up to the last separator among them
    when the rest then fits a whole line, so that a part is not split."""
    first = cv.fitting(serial, _VALUE_W)
    if first >= len(serial):
        return first
    sep = -1
    for mark in _SERIAL_MARKS:      # str.rfind: no character of SERIAL made a str
        sep = max(sep, serial.rfind(mark, 0, first))
    if sep >= first // 2 and cv.width_of(serial) - cv.width_of(serial[:sep + 1]) \
            <= t.WIDTH - 2 * t.MARGIN:
        return sep + 1
    return first


def invitation(cv, d):
    cv.clear(t.INK, t.WHITE)
    seconds = d.get("seconds")
    w.title_bar(cv, t.T_INVITE, t.T_SECONDS % seconds if seconds is not None else "")
    # The serial is drawn whole: its tail tells cases apart (a 64-character
    # serial, the protocol's longest, is 512 px). What does not fit beside
    # its label goes on a second line across the whole body width. The
    # matter name takes the rows left, wrapping before it is cut.
    serial = _s(d.get("serial"))
    first = _serial_break(cv, serial)
    serial_rows = 1 if first >= len(serial) else 2
    matter = _s(d.get("matter"))
    matter_rows = min(cv.line_count(matter, _VALUE_W), _INV_ROWS - 1 - serial_rows)
    y, step = _INV_ROOMY if matter_rows + serial_rows + 1 <= 4 else _INV_TIGHT
    cv.text(t.T_MATTER, _BODY_X, y)
    y += step * cv.text_box(matter, _VALUE_X, y, _VALUE_W, matter_rows, gap=step - 16)
    cv.text(t.T_SERIAL, _BODY_X, y)
    if serial_rows == 1:
        cv.text(serial, _VALUE_X, y)
    else:
        cv.text(serial[:first], _VALUE_X, y)
        y += step
        rest = serial[first:]
        # Under the first part when it fits there, else from the left margin.
        x = _VALUE_X if cv.width_of(rest) <= _VALUE_W else _BODY_X
        cv.text_in(rest, x, y, t.WIDTH - x - t.MARGIN)
    y += step
    cv.text(t.T_STAFF_ID, _BODY_X, y)
    cv.text_in(_s(d.get("staff_id")), _VALUE_X, y, 104)
    cv.text(t.T_STAFF_NAME, 176, y)
    cv.text_in(_s(d.get("staff_name")), 216, y, t.WIDTH - 216 - t.MARGIN)
    names = _names(d)
    top = 124
    for i, level in enumerate(LEVELS):
        x, tw = w.tile(cv, i, top, t.HEIGHT - top, t.WHITE, t.LEVEL_COLOURS[level])
        w.face(cv, x + tw // 2, top + 30, 21, level)
        w.tile_label(cv, names[level], x, top + 58, tw)
        w.arrow_down(cv, x + tw // 2, t.HEIGHT - 13)


# Reason list geometry: rows between the title bar and the status line.
_LIST_TOP = 32
_LIST_BOTTOM = 190
_BOX_X = 12
_TEXT_X = 36
_TEXT_W = t.WIDTH - _TEXT_X - 12
_ROW_PAD = 5


def _row_height(lines):
    return 2 * _ROW_PAD + lines * 16 + (lines - 1) * 4


def _layout(cv, labels, level=None, lsv=None):
    """The page layout of LABELS: (lines, starts), kept in cv.memo per level.

    lines[i] is label i's row in lines of text (1 or 2); starts holds the
    index of each page's first label (pages fill the list area top to
    bottom). Wrapping every label to measure it is the costly part, so it is
    done once, the first time a level's labels are shown; later redraws (a
    button press each) reuse it. Kept: a bytearray and a short list of ints
    per level, and the label list it was made from, to check a hit: the same
    label set version (lsv) with equal labels. A new label set from the hub
    replaces the entry.
    """
    key = ("labels", level)
    hit = cv.memo.get(key)
    if hit is not None and hit[0] == lsv and (hit[1] is labels or hit[1] == labels):
        hit[1] = labels
        return hit[2], hit[3]
    lines = bytearray(len(labels))
    starts = [0]
    room = _LIST_BOTTOM - _LIST_TOP
    used = 0
    for i in range(len(labels)):
        n = min(2, cv.line_count(_s(labels[i][1]), _TEXT_W))
        lines[i] = n
        h = _row_height(n)
        if i and used + h > room:
            starts.append(i)
            used = 0
        used += h
    cv.memo[key] = [lsv, labels, lines, starts]
    return lines, starts


def label_pages(cv, labels, level=None, lsv=None):
    """Indices of LABELS on each page, filling the list area top to bottom."""
    lines, starts = _layout(cv, labels, level, lsv)
    ends = starts[1:] + [len(labels)]
    return [list(range(a, b)) for a, b in zip(starts, ends)]


def labels(cv, d):
    cv.clear(t.INK, t.WHITE)
    items = d.get("labels") or []
    cursor = d.get("cursor") or 0
    checked = d.get("checked") or ()
    level = d.get("level")
    lines, starts = _layout(cv, items, level, d.get("lsv"))
    page_no = 0
    if 0 <= cursor < len(items):
        while page_no + 1 < len(starts) and starts[page_no + 1] <= cursor:
            page_no += 1
    pages = len(starts)
    w.title_bar(cv, t.T_REASONS % _names(d).get(level, ""),
                "%d/%d" % (page_no + 1, pages) if pages > 1 else "")
    y = _LIST_TOP
    end = starts[page_no + 1] if page_no + 1 < pages else len(items)
    for i in range(starts[page_no], end):
        code, text = items[i]
        h = _row_height(lines[i])
        if i == cursor:
            cv.region(0, y, t.WIDTH, h, t.WHITE, t.NAVY)
        cv.text("\u2611" if code in checked else "\u2610", _BOX_X, y + _ROW_PAD)
        cv.text_box(_s(text), _TEXT_X, y + _ROW_PAD, _TEXT_W, 2)
        y += h
    cv.text_in(_label_status(d, items, checked), t.MARGIN, 193, t.WIDTH - 2 * t.MARGIN)
    top = 212
    for i, role in enumerate(d.get("roles") or t.LABEL_ROLES):
        x, tw = w.tile(cv, i, top, t.HEIGHT - top, t.WHITE, t.NAVY)
        cv.text_in(role, x, top + 6, tw, align=CENTER)


def _label_status(d, items, checked):
    """The line under the list: a hint the flow raised, or what is chosen so far."""
    count = 0
    for code, _ in items:
        if code in checked:
            count += 1
    hint = t.LABEL_HINTS.get(d.get("hint"))
    if hint:
        return hint % count if "%d" in hint else hint
    if d.get("other"):
        return t.T_SELECTED_OTHER % count
    if count:
        return t.T_SELECTED % count
    return t.T_REASON_HINT


def thanks(cv, d):
    cv.clear(t.WHITE, t.GREEN)
    w.check_circle(cv, 160, 84, 40)
    cv.text_in(t.T_THANKS, 0, 140, t.WIDTH, scale=2, align=CENTER)
    level = d.get("level")
    if level in LEVELS:
        cv.text_in(t.T_YOUR_RATING % _names(d)[level], 0, 190, t.WIDTH, align=CENTER)


def paused(cv, d):
    cv.clear(t.WHITE, t.SLATE)
    window = _s(d.get("window"))
    if window:
        cv.text_in(t.T_WINDOW % window, t.MARGIN, t.BAR_TEXT_Y, t.BAR_TEXT_W)
    fb = cv.fb
    fb.ellipse(160, 78, 36, 36, 1, True)
    fb.fill_rect(146, 60, 9, 37, 0)
    fb.fill_rect(165, 60, 9, 37, 0)
    cv.text_in(t.T_PAUSED, 0, 126, t.WIDTH, scale=2, align=CENTER)
    cv.text_box(_s(d.get("message")) or t.T_PAUSED_HINT, t.MARGIN, 172,
                t.WIDTH - 2 * t.MARGIN, 1, align=CENTER)
    until = _s(d.get("until"))
    if until:
        cv.text_in(t.T_RESUME % until, t.MARGIN, 196, t.WIDTH - 2 * t.MARGIN, align=CENTER)


def error(cv, d):
    cv.clear(t.INK, t.WHITE)
    w.title_bar(cv, t.T_ERROR, colour=t.RED)
    cv.region(128, 40, 64, 64, t.RED, t.WHITE)
    w.warning_sign(cv, 160, 72, 28)
    message = _s(d.get("message"))
    body_w = t.WIDTH - 2 * t.MARGIN
    if cv.width_of(message, 2) <= body_w:
        cv.text_in(message, t.MARGIN, 116, body_w, scale=2, align=CENTER)
    else:
        cv.text_box(message, t.MARGIN, 112, body_w, 2, align=CENTER)
    cv.text_in(t.T_ERROR_CODE % _s(d.get("code")), t.MARGIN, 164, body_w, align=CENTER)
    cv.text_in(t.T_ERROR_HINT, t.MARGIN, 196, body_w, align=CENTER)


def offline_marker(cv):
    """Mark the hub link as down on whatever screen CV shows."""
    w.offline_badge(cv)


SCREENS = {
    "idle": idle,
    "invitation": invitation,
    "labels": labels,
    "thanks": thanks,
    "paused": paused,
    "error": error,
}


def show(cv, name, data, online=True):
    """Draw screen NAME with DATA, plus the offline marker when the link is down."""
    screen = SCREENS.get(name)
    if screen is None:
        raise ValueError("unknown screen %r (known: %s)" % (name, ", ".join(sorted(SCREENS))))
    screen(cv, data)
    if not online:
        offline_marker(cv)
