"""Pieces more than one board is made of: the methods alike on every real
MicroPython port, the printer's paper status, a clock that never wraps, and
the settings files a terminal is provisioned with.

No hardware module here: the reference board (esp32s3_ref.py) and the Unix
port's board (unix.py) hand these their own streams.
"""

import gc
import json
import os
import time

ASK_STATUS = b"\x10\x04\x04"    # ESC/POS DLE EOT 4: the paper sensor's status


class PortBoard:
    """The board interface's methods every board on a real MicroPython port
    implements alike (sim.py, for CPython too, has its own)."""

    def random_bytes(self, n):
        return os.urandom(n)

    def free_heap(self):
        return gc.mem_free()

    def collect(self):
        gc.collect()


class EscPosPrinter:
    """An ESC/POS printer on a byte stream (.read() -> bytes at once, .write(data)).

    state() reads the answer to the previous status question and asks again,
    so it never waits; the first question goes out at once, so the first
    heartbeat already has an answer."""

    def __init__(self, stream):
        self._stream = stream
        self._state = "offline"
        stream.write(ASK_STATUS)

    def write(self, data):
        self._stream.write(data)

    def state(self):
        r = self._stream.read()
        if r:
            self._state = "paper_out" if r[-1] & 0x60 else "ok"
        else:
            self._state = "offline"
        self._stream.write(ASK_STATUS)
        return self._state


class Ticks:
    """Monotonic ms from time.ticks_ms(), extended so the count never wraps
    (the board interface's ticks_ms); call it often enough (the app polls
    every few ms, far inside the 2**30 ms wrap)."""

    def __init__(self):
        self._last = time.ticks_ms()
        self._ticks = 0

    def __call__(self):
        raw = time.ticks_ms()
        self._ticks += time.ticks_diff(raw, self._last)
        self._last = raw
        return self._ticks


def read_json(path):
    """A provisioning file as a dict, or None if it is missing or not JSON."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def mqtt_settings(wifi):
    """The board's `mqtt` tuple (hall, broker, port, user, password) from a
    wifi.json dict, or None when it names no broker (the terminal is on UART)."""
    if not wifi or not wifi.get("broker"):
        return None
    return (wifi["hall"], wifi["broker"], wifi.get("port", 1883), wifi.get("mqtt_user"),
            wifi.get("mqtt_pw"))
