"""The terminal: wires board, flow, journal, screens and hub link; runs the loops.

    await main(board)          # forever; the device's /main.py calls this

Three asyncio tasks, none of which ever waits on I/O:
  ui    every UI_MS: button edges -> presses -> flow; flow timers; effects
        (journal appends, screens) carried out in order
  link  every LINK_MS: transport I/O, hub messages, journal delivery
  house every HOUSE_MS: heartbeat when due; the watchdog is fed only when
        ui and link both ran within HEALTHY_MS, so a task that died or
        hangs lets the watchdog reset the terminal.
Terminal.step(now) runs one round of all three synchronously, for hosts and
tests that drive the firmware step by step.

A rating is appended to the journal (durable on return) before the thanks
screen is drawn: effects run in order and the flow puts the record first.
If the journal is full even after compaction, the error screen is shown
instead of thanks (the citizen's press cannot be kept; staff must restore
the hub link), and the hub sees the journal depth in every heartbeat.
"""

import asyncio

from firmware.app import receipt, record
from firmware.app.buttons import Debouncer, PressGuard
from firmware.app.clock import Clock, next_boot_count
from firmware.app.config import Config
from firmware.app.flow import Flow, IDLE
from firmware.app.hub_link import HubLink
from firmware.app.ui import Ui
from firmware.app.uart_transport import UartTransport, random16
from firmware.journal import Journal, JournalFull
from protocol.catalogue import CAP_TIMEOUT_WHY

FW_VERSION = "0.1.0"
UI_MS = 20
LINK_MS = 10
HOUSE_MS = 100
HEALTHY_MS = 2000
WDT_MS = 8000
REBOOT_DELAY_MS = 500
JOURNAL_FILE = "/journal.bin"


def make_transport(board, device_id, boot):
    """MQTT when the board names a broker (board.mqtt = (hall, host, port[, user,
    password])), else UART. `boot` was written to flash already (next_boot_count),
    so the UART link's incarnation is new at every boot; 4 more random bytes
    are its boot nonce (link version 2)."""
    mq = getattr(board, "mqtt", None)
    if mq:
        from firmware.app.mqtt_transport import from_board
        return from_board(mq, device_id)
    return UartTransport(board.link, boot, random16(board.random_bytes), board.random_bytes(4))


class Terminal:
    def __init__(self, board, transport=None, journal_capacity=None):
        self.board = board
        fs = board.fs_root
        self.boot = next_boot_count(fs)
        self.clock = Clock(board.ticks_ms, self.boot)
        self.config = Config(fs)
        if journal_capacity is None:
            self.journal = Journal(fs + JOURNAL_FILE)
        else:
            self.journal = Journal(fs + JOURNAL_FILE, capacity_bytes=journal_capacity)
        self.guard = PressGuard(self.config.timeout("read_ms"))
        self.debounce = Debouncer(board.buttons.count, self.config.timeout("debounce_ms"))
        self.flow = Flow(self.config, self.guard)
        self.ui = Ui(board.display, self.config)
        dev, key = board.identity()
        if transport is None:
            transport = make_transport(board, dev, self.boot)
        self.transport = transport
        self.link = HubLink(dev, key, {"fw": FW_VERSION, "board": board.name,
                                       # the flow says why=sup on a supersede (app/flow.py)
                                       "caps": list(board.caps) + [CAP_TIMEOUT_WHY],
                                       "cv": self.config.ver},
                            self.journal, board.random_bytes)
        self.screen = IDLE
        self.beats = {"ui": 0, "link": 0}
        self.wdt = None
        self._hb_at = None
        self._reboot_at = None
        self._online = None
        self.stopped = False

    def start(self):
        now = self.board.ticks_ms()
        self.board.display.backlight(self.config.bri)
        self.transport.start(now)
        self._hb_at = now + self.config.timeout("hb")
        self._run(self.flow.redraw(now), now)

    def close(self):
        """Release the files (a host stopping a simulated terminal; the device never does)."""
        self.journal.close()
        self.ui.canvas.font.close()
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    # -- one round of each task -----------------------------------------------

    def step(self, now=None):
        now = self.board.ticks_ms() if now is None else now
        self.ui_step(now)
        self.link_step(now)
        self.house_step(now)

    def ui_step(self, now):
        for button, ms in self.debounce.presses(self.board.buttons.take_edges()):
            self._run(self.flow.press(button, ms), now)
        self._run(self.flow.tick(now), now)
        if self.link.online != self._online:
            self._online = self.link.online
            self._run(self.flow.redraw(now), now)
        self.beats["ui"] = now

    def link_step(self, now):
        packets, events = self.transport.poll(now)
        for ev in events:
            if ev == "up":
                self.link.transport_up(now)
            elif ev == "reset":
                self.link.transport_reset(now)
            elif ev == "down":
                self.link.transport_down()
        for p in packets:
            for msg in self.link.receive(p, now):
                self._hub_message(msg, now)
        self.link.poll(now)
        out = self.link.outbox
        while out and self.transport.send(out[0]):
            out.pop(0)
        self.beats["link"] = now

    def house_step(self, now):
        healthy = now - self.beats["ui"] < HEALTHY_MS and now - self.beats["link"] < HEALTHY_MS
        if healthy and self.wdt is not None:
            self.wdt.feed()
        if now >= self._hb_at:
            self._hb_at = now + self.config.timeout("hb")
            self.link.heartbeat(self.heartbeat_fields())
        if self._reboot_at is not None and now >= self._reboot_at:
            self.board.reset()

    def heartbeat_fields(self):
        hb = {"up": self.clock.mt() // 1000, "heap": self.board.free_heap(),
              "jd": self.journal.depth(), "lq": self.transport.quality(),
              "pr": self.board.printer.state(), "scr": self.flow.state,
              "ign": self.guard.ignored, "bt": self.boot}
        rssi = getattr(self.board, "rssi", None)    # boards on Wi-Fi
        v = rssi() if rssi is not None else None
        if v is not None:
            hb["rssi"] = max(-127, min(0, v))
        return hb

    # -- effects and hub messages ---------------------------------------------

    def _run(self, effects, now):
        for fx in effects:
            if fx[0] == "record":
                if not self._record(fx[1], now):
                    self.ui.show("error", {"what": "journal_full"}, self.link.online)
                    return
            else:
                self.screen = fx[1]
                self.ui.show(fx[1], fx[2], self.link.online)

    def _record(self, msg, now):
        seq = self.journal.next_seq()
        self.clock.stamp(msg)
        body = record.payload(msg, seq)
        try:
            self.journal.append(seq, body)
        except JournalFull:
            self.journal.compact()
            try:
                self.journal.append(seq, body)
            except JournalFull:
                return False
        self.link.recorded(now)
        return True

    def _hub_message(self, msg, now):
        t = msg["t"]
        mid = msg.get("mid")
        if t == "inv":
            to_ms = msg["to"] * 1000
            wall = self.clock.wall()
            if msg.get("dl") and wall is not None:
                to_ms = max(0, min(to_ms, msg["dl"] - wall))
            self._run(self.flow.invite(msg, now, to_ms), now)
        elif t == "cancel":
            self._run(self.flow.cancel(msg["eid"], now), now)
        elif t == "cfg":
            if self.config.apply(msg):
                self.link.set_info("cv", self.config.ver)
                self.board.display.backlight(self.config.bri)
                self.guard.read_ms = self.config.timeout("read_ms")
                self.debounce.debounce_ms = self.config.timeout("debounce_ms")
                self._run(self.flow.redraw(now), now)
        elif t == "time":
            self.clock.sync(msg["now"])
        elif t == "duty":
            self._run(self.flow.set_duty(msg, now), now)
        elif t == "print":
            st = self.board.printer.state()
            if st != "ok":
                self.link.answer(mid, "paper_out" if st == "paper_out" else "printer_error",
                                 "printer is %s" % st)
                return
            self.board.printer.write(receipt.receipt(msg))
        elif t == "reboot":
            self._reboot_at = now + REBOOT_DELAY_MS     # let the ack go out first
        if mid is not None:
            self.link.answer(mid)

    # -- tasks ---------------------------------------------------------------

    async def _every(self, ms, fn):
        while not self.stopped:
            fn(self.board.ticks_ms())
            await asyncio.sleep(ms / 1000)

    def stop(self):
        """End run() within one task period (a simulator's power switch)."""
        self.stopped = True

    async def run(self):
        self.start()
        self.wdt = self.board.watchdog(WDT_MS)
        await asyncio.gather(self._every(UI_MS, self.ui_step),
                             self._every(LINK_MS, self.link_step),
                             self._every(HOUSE_MS, self.house_step))


async def main(board):
    await Terminal(board).run()
