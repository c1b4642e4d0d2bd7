"""The terminal on the MicroPython Unix port: real files, ptys and sockets.

    MICROPYPATH=.frozen:TREE micropython -X heapsize=160K -m firmware.boards.unix \\
        --flash DIR [--uart PTY] [--printer PTY]

TREE holds firmware/ and protocol/ (the repository, or both compiled to .mpy
with firmware/fonts/ beside them); `.frozen` keeps the port's own asyncio on
the path. `-X heapsize` really caps the heap: a budget that does not hold
ends in MemoryError, not in a sampled figure (docs/PERFORMANCE.md).

What stands for the hardware:
- flash: the directory DIR (journal, config, boot counter), and in it the
  files the reference board reads: identity.json ({"dev", "key"}) and,
  optionally, wifi.json ({"hall", "broker", "port", "mqtt_pw"[, "mqtt_user"]};
  "ssid"/"pw" are ignored: the host's network is up) to link over MQTT with
  the firmware's own client on a real socket instead of the UART;
- hub UART: the pty PTY (opened as a file, raw, with VMIN=0 and VTIME=0, so
  a read returns at once with what arrived: the port has no O_NONBLOCK);
- printer UART: another pty, ESC/POS out, the DLE EOT 4 paper status in
  (optional: without it the terminal has no printer);
- screen: the canvas's 1-bit framebuf, kept as shown (boards/sim.py's
  display) and written to DIR/screen.bin on request;
- buttons and the clock's test jumps: the control channel, lines on stdin
  (a pipe the host drives), answers on stdout as lines starting with "@":
      ID press B      button 0..4 pressed (down now, up 80 ms later)
      ID advance MS   the clock jumps MS ms ahead (a 30 s timeout at once)
      ID state        -> @ID {"screen", "texts", "frames", "fg", "bg",
                      "regions", "depth", "online", "boot", "heap", "free"};
                      the frame itself is in DIR/screen.bin
      ID quit         stop the terminal (a clean power-off)
  and once, when the first screen is drawn: @ready {"imports", "boot_ms"}
  (the heap after the imports, and ms since the interpreter started).
- watchdog: a software one; a process that stops feeding it exits with
  WDT_EXIT, and reset() exits with RESET_EXIT: the host starts it again,
  as the hardware would reboot.
"""

import asyncio
import gc
import json
import os
import select
import sys
import termios
import time

T0 = time.ticks_ms()    # the interpreter reached this board: boot_ms counts from here

from firmware.app.main import Terminal  # noqa: E402  (after T0: imports are part of boot)
from firmware.boards.parts import (  # noqa: E402
    EscPosPrinter, PortBoard, Ticks, mqtt_settings, read_json)
from firmware.boards.sim import SimButtons, SimDisplay  # noqa: E402

HUB_BAUD = 115200
PRN_BAUD = 9600
RESET_EXIT = 3
WDT_EXIT = 4
PUMP_MS = 10
FRAME_FILE = "/screen.bin"
_VTIME, _VMIN = 5, 6        # indexes into termios cc (Linux): the port exports neither name
_SPEEDS = {9600: termios.B9600, 115200: termios.B115200}


class TtyStream:
    """A UART that is a tty: raw bytes, reads that never wait."""

    def __init__(self, path, baud):
        self.baud = baud
        self._f = open(path, "r+b")
        fd = self._f.fileno()
        termios.setraw(fd)
        a = termios.tcgetattr(fd)
        a[4] = a[5] = _SPEEDS[baud]
        a[6][_VMIN] = 0
        a[6][_VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, a)
        self._buf = bytearray(512)
        while self._readinto():
            pass                # what waited in the line before this boot: a UART starts empty

    def _readinto(self):
        try:
            return self._f.readinto(self._buf) or 0
        except OSError:         # nobody at the far end: a loose cable reads nothing
            return 0

    def read(self):
        n = self._readinto()
        if not n:
            return b""
        out = bytes(self._buf[:n])
        while n == len(self._buf):
            n = self._readinto()
            out += self._buf[:n]
        return out

    def write(self, data):
        try:
            self._f.write(data)
        except OSError:
            pass                # bytes on a line nobody listens to are lost, as on a wire


class NoPrinter:
    def write(self, data):
        pass

    def state(self):
        return "none"


class UnixDisplay(SimDisplay):
    def dump(self, path):
        """Write the 1-bit frame last shown to PATH (from the canvas itself: no copy)."""
        if self._canvas is not None:
            with open(path, "wb") as f:
                f.write(self._canvas.buf)


class Watchdog:
    """Fed by the app; the control task ends the process when it starves (WDT_EXIT).
    Real milliseconds: the control channel's clock jumps must not starve it."""

    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.last = time.ticks_ms()

    def feed(self):
        self.last = time.ticks_ms()

    def starved(self):
        return time.ticks_diff(time.ticks_ms(), self.last) > self.timeout_ms


class UnixBoard(PortBoard):
    name = "unix"

    def __init__(self, flash, uart=None, printer=None):
        self.fs_root = flash.rstrip("/")
        try:
            os.mkdir(self.fs_root)
        except OSError:
            pass                # exists: a reboot over the same flash
        ident = read_json(self.fs_root + "/identity.json")
        if not ident:
            raise OSError("no %s/identity.json: write {\"dev\": ..., \"key\": <64 hex>} "
                          "(pingjia provision prints the key)" % self.fs_root)
        self._id = ident["dev"]
        self._key = bytes.fromhex(ident["key"])
        self._ticks = Ticks()
        self._offset = 0
        self.display = UnixDisplay()
        self.buttons = SimButtons(self.ticks_ms)
        self.mqtt = mqtt_settings(read_json(self.fs_root + "/wifi.json"))
        if uart is None and self.mqtt is None:
            raise OSError("give --uart PTY, or a wifi.json with a broker, to reach the hub")
        self.link = TtyStream(uart, HUB_BAUD) if uart else None
        self.printer = EscPosPrinter(TtyStream(printer, PRN_BAUD)) if printer else NoPrinter()
        caps = ["uart"] if uart else []
        if self.mqtt:
            caps.append("mqtt")
        if printer:
            caps.append("printer")
        self.caps = tuple(caps)
        self.wdt = None

    def identity(self):
        return self._id, self._key

    def ticks_ms(self):
        return self._ticks() + self._offset

    def watchdog(self, timeout_ms):
        self.wdt = Watchdog(timeout_ms)
        return self.wdt

    def reset(self):
        sys.exit(RESET_EXIT)

    # -- the control channel's side --
    def advance(self, ms):
        self._offset += ms


def _answer(tag, d):
    sys.stdout.write("@%s %s\n" % (tag, json.dumps(d)))


def _state(term, board):
    d = board.display
    d.dump(board.fs_root + FRAME_FILE)
    fg, bg, regions = d.colours or (0, 0, [])
    return {"frames": d.frames, "screen": term.screen, "texts": [x[2] for x in d.drawn],
            "fg": fg, "bg": bg, "regions": [list(r) for r in regions],
            "depth": term.journal.depth(), "online": term.link.online, "boot": term.boot,
            "heap": gc.mem_alloc(), "free": gc.mem_free()}


def _command(line, term, board):
    parts = line.split()
    if len(parts) < 2:
        return
    tag, op = parts[0], parts[1]
    if op == "press":
        board.buttons.press(int(parts[2]))
    elif op == "advance":
        board.advance(int(parts[2]))
    elif op == "quit":
        term.stop()
    elif op != "state":
        _answer(tag, {"error": "unknown command %r: press, advance, state or quit" % op})
        return
    _answer(tag, _state(term, board) if op == "state" else {})


async def control(term, board, imports):
    """The host's hands and eyes; also the watchdog's check."""
    p = select.poll()
    p.register(sys.stdin, select.POLLIN)
    ready = False
    while not term.stopped:
        if not ready and board.display.frames:
            ready = True
            _answer("ready", {"imports": imports, "boot_ms": time.ticks_diff(time.ticks_ms(), T0)})
        if p.poll(0):
            line = sys.stdin.readline()
            if not line:
                term.stop()     # the host is gone: power off rather than run orphaned
                break
            _command(line, term, board)
        if board.wdt is not None and board.wdt.starved():
            print("watchdog: the ui or link task stopped for %d ms: reset" % board.wdt.timeout_ms)
            sys.exit(WDT_EXIT)
        await asyncio.sleep_ms(PUMP_MS)


def _options(argv):
    opts = {"flash": None, "uart": None, "printer": None}
    i = 0
    while i < len(argv):
        key = argv[i][2:] if argv[i].startswith("--") else None
        if key not in opts or i + 1 >= len(argv):
            raise SystemExit("usage: micropython -m firmware.boards.unix --flash DIR "
                             "[--uart PTY] [--printer PTY] (got %r)" % argv[i])
        opts[key] = argv[i + 1]
        i += 2
    if opts["flash"] is None:
        raise SystemExit("--flash DIR is required (the terminal's flash: identity.json there)")
    return opts


async def run(board, imports):
    term = Terminal(board)
    try:
        await asyncio.gather(term.run(), control(term, board, imports))
    finally:
        term.close()


def main(argv):
    opts = _options(argv)
    if mqtt_settings(read_json(opts["flash"] + "/wifi.json")):
        import firmware.net.mqtt_client  # noqa: F401  (the client's code counts as imports)
    gc.collect()
    imports = gc.mem_alloc()
    board = UnixBoard(opts["flash"], opts["uart"], opts["printer"])
    asyncio.run(run(board, imports))


if __name__ == "__main__":
    main(sys.argv[1:])
