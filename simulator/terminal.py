"""Run the unchanged firmware on the simulated board under CPython, linked over a pty.

    term = SimTerminal("T0001", key, "/tmp/t1-flash")   # boots at once
    term.port                  # the hub opens this path with pyserial: a real tty
    term.press(0)              # button 0..4, left to right
    term.texts()               # the strings on screen now, in drawing order
    term.png("screen.png")     # what a citizen sees
    term.reboot()              # power cycle over the same flash directory
    term.unplug(); term.plug() # the serial cable
    term.advance(30000)        # the board's clock jumps 30 s
    term.close()

The firmware runs in its own asyncio event loop on a background thread, as
firmware.app.main.Terminal.run() - the same tasks as on the device. The
board's link is bridged to the master side of a pseudo-terminal
(os.openpty); the slave side is put in raw mode at once and stays open here,
so the hub can open, close and reopen the path like a USB-serial adapter.
Every method is safe to call from any thread: board changes are handed to
the firmware's loop.

The device's watchdog is kept too: a firmware whose program ended on an
exception, or whose ui or link task stopped (so the house task no longer
feeds machine.WDT), is reset WDT_MS after the last feed and boots again over
its flash, as the board would. `crashed`/`crashes` and `watchdog_resets`
tell the host, and the log names the terminal; without it a dead task left
a terminal on its last screen with its pty open, online for ever.
"""

import asyncio
import logging
import os
import threading
import time
import tty

from simulator.shims import install

install()                            # `framebuf` for CPython

from firmware.app.main import Terminal  # noqa: E402
from firmware.boards import Reset  # noqa: E402
from firmware.boards.sim import SimBoard  # noqa: E402

BRIDGE_MS = 2
WATCH_MS = 100
log = logging.getLogger("simulator.terminal")


class _Feeds:
    """Has the watchdog gone unfed for its timeout, in real time? Real time,
    because advance() moves the board's clock without time passing; and a
    check that itself ran late (the whole loop starved by the host) restarts
    the count, since a device's tasks would not have been starved with it."""

    def __init__(self):
        self._feeds = None
        self._since = self._checked = time.monotonic()

    def expired(self, wdt):
        now = time.monotonic()
        if wdt.feeds != self._feeds or now - self._checked > 1.0:
            self._feeds, self._since = wdt.feeds, now
        self._checked = now
        return (now - self._since) * 1000 > wdt.timeout_ms


class SimTerminal:
    def __init__(self, device_id, key, flash_dir, serial=True, start=True, mqtt=None):
        self.device_id = device_id
        self.key = key
        self.mqtt = mqtt           # (hall, host, port, user, password): a real broker, not the pty
        self.flash_dir = flash_dir
        self.board = None
        self.terminal = None
        self.crashed = None        # the exception that stopped the firmware, if any
        self.crashes = []          # every one, across the watchdog's resets
        self.watchdog_resets = 0
        self.boots = 0
        self._plugged = True
        self._offset = 0           # clock jumps survive a reboot
        self._task = None
        self.port = None
        if serial:
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)
            tty.setraw(self._master)
            os.set_blocking(self._master, False)
            self.port = os.ttyname(self._slave)
        else:
            self._master = self._slave = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="sim-" + device_id)
        self._thread.start()
        if start:
            self.boot()

    # -- running the firmware ----------------------------------------------------

    def _call(self, fn, *args):
        """Run fn(*args) in the firmware's loop thread; -> its result."""
        if threading.current_thread() is self._thread:
            return fn(*args)

        async def run():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def boot(self, keep_crash=False):
        def start():
            self.board = SimBoard(self.flash_dir, self.device_id, self.key, mqtt=self.mqtt)
            self.board.advance(self._offset)
            self.boots += 1
            if not keep_crash:
                self.crashed = None
            self.terminal = Terminal(self.board)
            self._task = self._loop.create_task(self._main(self.terminal))
        self._call(start)

    async def _main(self, terminal):
        """terminal.run() with the device's watchdog rule: a firmware whose
        tasks died (an exception ends the device's program) or stopped
        feeding the watchdog (the house task feeds it only while ui and link
        both run) is reset as machine.WDT would reset the board."""
        bridge = asyncio.ensure_future(self._bridge(terminal.board))
        run = asyncio.ensure_future(terminal.run())
        fed = _Feeds()
        try:
            while True:
                if run.done():
                    e = run.exception()
                    if isinstance(e, Reset):
                        self._loop.call_soon(self._restart_after_reset)
                        return
                    if self.crashed is None:    # the program ended: nothing runs, nothing feeds
                        self.crashed = e or RuntimeError("the firmware's tasks returned")
                        self.crashes.append(self.crashed)
                        log.error("simulated terminal %s: the firmware stopped: %r; the "
                                  "watchdog resets it", self.device_id, self.crashed)
                        terminal.stop()
                wdt = terminal.board.wdt
                if wdt is not None and fed.expired(wdt):
                    self.watchdog_resets += 1
                    log.error("simulated terminal %s: watchdog reset (not fed for %d ms)",
                              self.device_id, wdt.timeout_ms)
                    self._loop.call_soon(self._restart_after_reset)
                    return
                await asyncio.sleep(WATCH_MS / 1000)
        finally:
            for task in (run, bridge):
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - seen above
                    pass

    def _restart_after_reset(self):
        self._task = None
        self.terminal.close()
        self.boot(keep_crash=True)

    async def _bridge(self, board):
        while True:
            out = board.link.drain()
            if out and self._master is not None and self._plugged:
                try:
                    os.write(self._master, out)
                except (BlockingIOError, OSError):
                    pass                # the line is full or gone: bytes lost, as on a wire
            if self._master is not None:
                try:
                    data = os.read(self._master, 4096)
                except (BlockingIOError, OSError):
                    data = b""
                if data and self._plugged:
                    board.link.feed(data)
            await asyncio.sleep(BRIDGE_MS / 1000)

    def stop(self):
        """Power off: the firmware stops where it is (nothing is flushed for it)."""
        async def cancel():
            task, self._task = self._task, None
            if task is not None:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                self.terminal.close()
        asyncio.run_coroutine_threadsafe(cancel(), self._loop).result(10)

    def reboot(self):
        self.stop()
        self.boot()

    def close(self):
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(2)
        self._loop.close()
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)

    # -- the host's hands ----------------------------------------------------

    def press(self, button, hold_ms=80):
        self._call(self.board.buttons.press, button, hold_ms)

    def advance(self, ms):
        def adv():
            self._offset += ms
            self.board.advance(ms)
        self._call(adv)

    def unplug(self):
        self._plugged = False

    def plug(self):
        self._plugged = True

    # -- the host's eyes -------------------------------------------------------

    def texts(self):
        return self._call(lambda: [d[2] for d in self.board.display.drawn])

    def drawn(self):
        return self._call(lambda: list(self.board.display.drawn))

    @property
    def screen(self):
        return self._call(lambda: self.terminal.screen)

    @property
    def showing(self):
        """(screen, eid of the invitation it is about or None): a second
        invitation on the same screen kind is a new thing to see.

        Read from the caller's thread without waiting for the firmware's loop,
        as a citizen glances at a screen without stopping the terminal: with
        54 terminals drawing Chinese screens at once, a call into each loop
        waited seconds (attribute reads are atomic in CPython; the value may
        be a moment old, which a glance is too)."""
        terminal = self.terminal
        inv = terminal.flow.inv
        return terminal.screen, inv["eid"] if inv is not None else None

    def journal_depth(self):
        return self._call(lambda: self.terminal.journal.depth())

    def frame(self):
        """(1-bit frame bytes, (fg, bg, regions)) of the last frame shown."""
        return self._call(lambda: (self.board.display.frame, self.board.display.colours))

    def png(self, path, scale=1):
        """Write the last frame shown as a PNG file; -> path."""
        from simulator.screenshot import write_png
        buf, (fg, bg, regions) = self.frame()
        write_png(path, _Frame(buf, fg, bg, regions), scale)
        return path


class _Frame:
    """A shown frame as screenshot.py reads a canvas."""

    def __init__(self, buf, fg, bg, regions):
        self.width, self.height = 320, 240
        self.buf, self.fg, self.bg, self.regions = bytearray(buf), fg, bg, regions
