"""The simulated board: every part is a plain object the host drives and reads.

Runs on CPython and on MicroPython (the WebAssembly port), inside the same
process as the firmware. The host (simulator/terminal.py, a test, or the
MicroPython-side bridge of simulator/micropython/terminal.mjs) holds the
board and uses the host-side methods marked below; the firmware uses only
the board interface (boards/__init__.py).

Time is the host's: ticks_ms() is a real monotonic clock plus an offset the
host moves forward with advance(ms), so a test can jump over a 30 s timeout
without waiting for it. The firmware polls the board, it never sleeps on a
deadline, so a jump takes effect at its next poll.
"""

import gc
import os
import time

from firmware.boards import Reset

WIDTH = 320
HEIGHT = 240
BUTTONS = 5


def _real_ms():
    if hasattr(time, "ticks_ms"):
        return time.ticks_ms()          # wraps after 2**30 ms: 12 days of simulation
    return int(time.monotonic() * 1000)


def _default_random(n):
    try:
        return os.urandom(n)
    except (AttributeError, NotImplementedError, OSError):
        import random
        return bytes([random.getrandbits(8) for _ in range(n)])


class SimDisplay:
    """Keeps a reference to the canvas last shown (no copy: what the panel
    would hold is the canvas as it was at show(), and the firmware only
    draws again right before its next show(), in the same task)."""

    def __init__(self):
        self.width = WIDTH
        self.height = HEIGHT
        self.frames = 0         # host: how many frames were pushed
        self.brightness = 100
        self._canvas = None

    def show(self, canvas):
        self._canvas = canvas
        self.frames += 1

    def backlight(self, percent):
        self.brightness = percent

    # -- host side --
    @property
    def frame(self):
        """Bytes of the last 1-bit frame shown (None before the first)."""
        return bytes(self._canvas.buf) if self._canvas else None

    @property
    def colours(self):
        """(fg, bg, regions) of that frame."""
        c = self._canvas
        return (c.fg, c.bg, list(c.regions)) if c else None

    @property
    def drawn(self):
        """Its strings: [(x, y, text, w, h)]."""
        return list(self._canvas.drawn) if self._canvas else []


class SimButtons:
    def __init__(self, clock):
        self.count = BUTTONS
        self._clock = clock
        self._edges = []

    def take_edges(self):
        e = self._edges
        self._edges = []
        return e

    # -- host side --
    def press(self, button, hold_ms=80, bounce=0):
        """A finger on button 0..4: down now, up after hold_ms; `bounce`
        extra down/up pairs within the first 5 ms, as a worn contact gives."""
        if not 0 <= button < self.count:
            raise ValueError("button must be 0..%d" % (self.count - 1))
        now = self._clock()
        self._edges.append((button, True, now))
        for i in range(bounce):
            self._edges.append((button, False, now + 1 + 2 * i))
            self._edges.append((button, True, now + 2 + 2 * i))
        self._edges.append((button, False, now + hold_ms))


class SimStream:
    """Byte stream: the firmware reads what the host fed, the host drains what it wrote.

    `baud` is the line speed the firmware assumes (the reference board's hub
    UART); a pty carries the bytes at any speed, so nothing here paces them."""

    def __init__(self, baud=115200):
        self.baud = baud
        self._rx = bytearray()
        self._tx = bytearray()

    def read(self):
        if not self._rx:
            return b""
        d = bytes(self._rx)
        self._rx = bytearray()
        return d

    def write(self, data):
        self._tx += data

    # -- host side --
    def feed(self, data):
        self._rx += data

    def drain(self):
        d = bytes(self._tx)
        self._tx = bytearray()
        return d


class SimPrinter:
    def __init__(self):
        self.data = bytearray()  # host: every ESC/POS byte printed
        self.status = "ok"       # host: set "paper_out" etc.

    def write(self, data):
        self.data += data

    def state(self):
        return self.status


class SimWatchdog:
    def __init__(self, board, timeout_ms):
        self._board = board
        self.timeout_ms = timeout_ms
        self.feeds = 0
        self.last_feed = board.ticks_ms()

    def feed(self):
        self.feeds += 1
        self.last_feed = self._board.ticks_ms()

    # -- host side --
    def expired(self):
        """True if a real watchdog would have reset the board by now."""
        return self._board.ticks_ms() - self.last_feed > self.timeout_ms


class SimBoard:
    name = "sim"
    caps = ("uart", "printer")

    def __init__(self, fs_root, device_id, key, random_bytes=None, clock=None, mqtt=None):
        self.fs_root = fs_root.rstrip("/")
        try:
            os.mkdir(self.fs_root)
        except OSError:
            pass                 # exists already: a reboot over the same flash
        self._id = device_id
        if isinstance(key, str):
            key = bytes.fromhex(key)   # as `pingjia provision` prints it
        if len(key) < 16:
            raise ValueError("device key of %s must be at least 16 bytes (32 hex digits), got %d"
                             % (device_id, len(key)))
        self._key = key
        self._random = random_bytes or _default_random
        self._clock = clock or _real_ms
        self._offset = 0
        self.display = SimDisplay()
        self.buttons = SimButtons(self.ticks_ms)
        self.link = SimStream()
        self.printer = SimPrinter()
        self.mqtt = mqtt         # (hall, host, port[, user, password]): MQTT, not the stream
        self.wdt = None          # host: the SimWatchdog once the firmware made it
        self.resets = 0          # host: reset() calls

    def identity(self):
        return self._id, self._key

    def ticks_ms(self):
        return self._clock() + self._offset

    def random_bytes(self, n):
        return self._random(n)

    def free_heap(self):
        f = getattr(gc, "mem_free", None)
        return f() if f else 0

    def collect(self):
        gc.collect()

    def watchdog(self, timeout_ms):
        self.wdt = SimWatchdog(self, timeout_ms)
        return self.wdt

    def reset(self):
        self.resets += 1
        raise Reset("reset requested")

    # -- host side --
    def advance(self, ms):
        """Move the board's clock forward by ms (timeouts fire at the next poll)."""
        self._offset += ms
