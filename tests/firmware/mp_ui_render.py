"""Render every sample screen; importable on MicroPython and on CPython.

`render_samples(font_path)` draws each entry of screen_samples.SAMPLES and
returns one dict per screen: name, "mono" (sha256 of the 1-bit framebuffer),
"panel" (sha256 of the RGB565 bytes push() sends to the panel) and "drawn"
(the canvas's [x, y, text, w, h] records). tests/firmware/test_screens.py runs it
on both interpreters and requires identical results.
"""

import hashlib

try:
    from pjtools.screen_samples import SAMPLES  # MicroPython: simulator/tools at /lib/pjtools
except ImportError:
    from simulator.tools.screen_samples import SAMPLES

from firmware.ui.canvas import Canvas
from firmware.ui.font import Font
from firmware.ui import screens
from firmware.ui.panel import push, strip_buffer


def hexdigest(h):
    return "".join("%02x" % b for b in h.digest())


def setup(font_path):
    """(canvas, strip buffer) as a terminal would hold them for its whole life."""
    cv = Canvas(Font(font_path))
    return cv, strip_buffer(cv.width, 8)


def render_one(cv, strip, sample):
    name, screen, data, online = sample
    screens.show(cv, screen, data, online)
    h = hashlib.sha256()
    push(cv, lambda y, n, buf: h.update(buf), strip)
    return {"name": name, "mono": hexdigest(hashlib.sha256(cv.buf)), "panel": hexdigest(h),
            "drawn": [list(d) for d in cv.drawn]}


def render_samples(font_path):
    cv, strip = setup(font_path)
    return [render_one(cv, strip, s) for s in SAMPLES]
