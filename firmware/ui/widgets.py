"""Pieces several screens share: title bar, button tiles, faces, offline badge.

Each takes a Canvas and draws in framebuffer colour 1 over colour 0; the
colour regions it declares decide what those look like on the panel.
"""

from firmware.ui import theme as t
from firmware.ui.canvas import CENTER, RIGHT


def title_bar(cv, title, right="", colour=t.NAVY):
    """Top bar: TITLE on the left, RIGHT (e.g. a countdown) right-aligned before
    the badge corner, which stays empty for offline_badge."""
    cv.region(0, 0, t.WIDTH, t.BAR_H, t.WHITE, colour)
    right_w = cv.width_of(right) if right else 0
    room = t.BAR_TEXT_W - (right_w + t.MARGIN if right else 0)
    cv.text_in(title, t.MARGIN, t.BAR_TEXT_Y, room)
    if right:
        cv.text_in(right, t.MARGIN, t.BAR_TEXT_Y, t.BAR_TEXT_W, align=RIGHT)


def offline_badge(cv):
    """The small 离线 badge in the top-right corner, over whatever screen is shown."""
    x = t.WIDTH - t.BADGE_W
    cv.fb.fill_rect(x, 0, t.BADGE_W, t.BAR_H, 0)
    cv.region(x, 0, t.BADGE_W, t.BAR_H, t.WHITE, t.BADGE)
    cv.text_in(t.T_OFFLINE, x, t.BAR_TEXT_Y, t.BADGE_W, align=CENTER)


def tile(cv, i, y, h, fg, bg):
    """Button tile I (0 = leftmost) from Y to Y+H: its colour, with white seams."""
    x = i * t.TILE_W
    cv.region(x, y, t.TILE_W, h, fg, bg)
    cv.fb.fill_rect(x, y, t.TILE_GAP, h, 1)
    cv.fb.fill_rect(x + t.TILE_W - t.TILE_GAP, y, t.TILE_GAP, h, 1)
    return x + t.TILE_GAP, t.TILE_W - 2 * t.TILE_GAP


def tile_label(cv, text, x, y, w, max_lines=2):
    """Bold text centred in a tile; a long name goes on two lines, split after
    two characters when both halves fit (非常/满意, 基本/满意, 非常/不满意)."""
    step = cv.line_height(1, 2)
    if cv.width_of(text) + 1 <= w:
        _bold_centred(cv, text, x, w, y + (max_lines - 1) * step // 2)
    elif cv.width_of(text[:2]) + 1 <= w and cv.width_of(text[2:]) + 1 <= w:
        top = y + (max_lines - 2) * step // 2
        _bold_centred(cv, text[:2], x, w, top)
        _bold_centred(cv, text[2:], x, w, top + step)
    else:
        lines = cv.wrap(text, w - 1)
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = cv.fit(lines[-1] + "\u2026", w - 1)
        top = y + (max_lines - len(lines)) * step // 2
        for k in range(len(lines)):
            _bold_centred(cv, lines[k], x, w, top + k * step)


def _bold_centred(cv, line, x, w, y):
    cv.bold(line, x + (w - cv.width_of(line) - 1) // 2, y)


def face(cv, cx, cy, r, level):
    """A filled face for LEVEL (5 broad smile ... 1 deep frown), features cut out in 0."""
    fb = cv.fb
    fb.ellipse(cx, cy, r, r, 1, True)
    eye_dx, eye_y, eye_r = r * 2 // 5, cy - r // 4, max(2, r // 8)
    fb.ellipse(cx - eye_dx, eye_y, eye_r, eye_r + 1, 0, True)
    fb.ellipse(cx + eye_dx, eye_y, eye_r, eye_r + 1, 0, True)
    mw = r // 2
    # Mouth: quadrant mask 12 = lower half (smile), 3 = upper half (frown).
    if level == 3:
        fb.fill_rect(cx - mw, cy + r // 3, 2 * mw + 1, 3, 0)
        return
    depth = r // 3 if level in (5, 1) else r // 6
    if level >= 4:
        my, mask = cy + r // 8, 12
    else:
        my, mask = cy + r // 3 + depth, 3
    for k in range(3):  # three nested arcs: a thick mouth
        fb.ellipse(cx, my + (k if mask == 12 else -k), mw, depth, 0, False, mask)
    if level == 5:
        fb.ellipse(cx, my, mw, depth, 0, True, mask)


def check_circle(cv, cx, cy, r):
    """A filled circle with a check mark cut out: the thanks screen's symbol."""
    fb = cv.fb
    fb.ellipse(cx, cy, r, r, 1, True)
    for k in range(-3, 4):  # a thick stroke: seven parallel lines
        fb.line(cx - r // 2, cy + k, cx - r // 8, cy + r * 3 // 8 + k, 0)
        fb.line(cx - r // 8, cy + r * 3 // 8 + k, cx + r // 2, cy - r * 3 // 8 + k, 0)


def warning_sign(cv, cx, cy, r):
    """A filled circle with an exclamation mark cut out (error screen)."""
    fb = cv.fb
    fb.ellipse(cx, cy, r, r, 1, True)
    w = max(3, r // 5)
    fb.fill_rect(cx - w // 2, cy - r * 3 // 5, w, r * 3 // 4, 0)
    fb.fill_rect(cx - w // 2, cy + r * 2 // 5 - w // 2, w, w, 0)


def arrow_down(cv, cx, y):
    """A small filled triangle pointing down at the button under the tile (13 x 7 px)."""
    for k in range(7):
        cv.fb.hline(cx - 6 + k, y + k, 13 - 2 * k, 1)
