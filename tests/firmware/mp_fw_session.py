"""The whole firmware, stepped with a fake clock, against an in-process hub side.

Runs unchanged on MicroPython (the WebAssembly port) and on CPython (with the
framebuf shim): the board is firmware/boards/sim.py, the hub side is
simulator/terminal_hubcore.py (protocol package only), the bytes between them
are the real link frames. On MicroPython mp_fw_run.py is the script (it
awaits main at top level). Clock and random bytes are deterministic, so both
interpreters must print the very same lines (tests/firmware/test_session_micropython.py).

    await main(flash_dir, heap=False) -> prints one line per check, then a summary;
    with heap=True also "heap ..." lines: gc.mem_alloc() sampled between task
    steps (after gc.collect(): live data; before it: live + one step's garbage).
"""

import gc
import time

try:
    import asyncio
except ImportError:
    import uasyncio as asyncio

from firmware.app.main import Terminal
from firmware.boards.sim import SimBoard
from simulator.terminal_hubcore import HubCore

KEY = bytes(range(32))
STEP_MS = 10
COLLECT_EVERY = 50      # heap mode: steps between collections (0.5 s of terminal time)


def _real_ms():
    if hasattr(time, "ticks_us"):
        return time.ticks_us() / 1000
    return time.perf_counter() * 1000


class Rng:
    """xorshift32: the same bytes on both interpreters."""

    def __init__(self, seed):
        self.s = seed

    def bytes(self, n):
        out = bytearray(n)
        for i in range(n):
            x = self.s
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            self.s = x
            out[i] = x & 0xFF
        return bytes(out)


class Rig:
    def __init__(self, flash, heap, journal_capacity=None):
        self.t = 1000
        self.journal_capacity = journal_capacity
        self.flash = flash
        self.heap = heap
        self.peak_live = 0
        self.peak_raw = 0
        self.steps = 0
        self.prev_raw = None
        self.step_alloc = 0     # most bytes one step allocated (its garbage included)
        self.press_ms = []      # real time of the step that took a press and drew the next screen
        self.rng = Rng(12345)
        self.hub = HubCore({"T1": KEY}, Rng(999).bytes, self.t)
        self.boot()

    def clock(self):
        return self.t

    def boot(self):
        self.board = SimBoard(self.flash, "T1", KEY, random_bytes=self.rng.bytes, clock=self.clock)
        self.term = Terminal(self.board, journal_capacity=self.journal_capacity)
        self.term.start()

    def reboot(self):
        self.term.close()
        self.boot()

    async def step(self):
        self.t += STEP_MS
        t0 = _real_ms()
        self.term.step(self.t)
        self.last_step_ms = _real_ms() - t0
        data = self.board.link.drain()
        self.hub.feed(data, self.t)
        out = self.hub.outgoing()
        if out:
            self.board.link.feed(out)
        if self.heap:
            self.steps += 1
            raw = gc.mem_alloc()
            if raw > self.peak_raw:
                self.peak_raw = raw
            if self.prev_raw is not None and raw - self.prev_raw > self.step_alloc:
                self.step_alloc = raw - self.prev_raw
            self.prev_raw = raw
            if self.steps % COLLECT_EVERY == 0:
                # On the WebAssembly port gc.collect() frees only once control
                # went back to the host (see docs/PERFORMANCE.md): yield to it first. Not
                # at every step: each yield leaves port-side references behind
                # that hold memory of their own.
                await asyncio.sleep(0)
                gc.collect()
                live = gc.mem_alloc()
                self.prev_raw = live
                if live > self.peak_live:
                    self.peak_live = live

    async def run(self, ms):
        for _ in range(ms // STEP_MS):
            await self.step()

    async def until(self, what, cond, limit_ms=20000):
        for _ in range(limit_ms // STEP_MS):
            if cond():
                return
            await self.step()
        raise AssertionError("not within %d ms: %s" % (limit_ms, what))

    def texts(self):
        return [d[2] for d in self.board.display.drawn]

    def shows(self, *texts):
        def cond():
            on = self.texts()
            for t in texts:
                if t not in on:
                    return False
            return True
        return cond

    async def press(self, button, after_ms=300):
        await self.run(after_ms)
        frames = self.board.display.frames
        self.board.buttons.press(button)
        await self.step()
        if self.board.display.frames != frames:
            self.press_ms.append(self.last_step_ms)
        await self.run(100)


def check(name, ok):
    if not ok:
        raise AssertionError("check failed: " + name)
    print("check", name, "ok")


async def main(flash, heap=False):
    r = Rig(flash, heap)
    hub = r.hub
    if heap:
        await asyncio.sleep(0)
        gc.collect()
        print("heap booted=%d" % gc.mem_alloc())
    await r.until("online", lambda: hub.online and r.term.link.online)
    await r.until("idle online", r.shows("评价系统连接正常"))
    check("hello carries the journal depth", hub.hellos[0]["jd"] == 0 and hub.hellos[0]["board"] == "sim")

    hub.auto_ack = False
    hub.invite("e1", cs="2024-000123", mn="个体工商户设立登记")
    await r.until("invitation", r.shows("请您对本次服务进行评价", "个体工商户设立登记", "2024-000123"))
    print("screen", " | ".join(r.texts()))
    await r.press(1, 2000)
    await r.until("thanks", r.shows("谢谢您的评价"))
    await r.until("delivered", lambda: 1 in hub.events)
    e = hub.events[1]
    check("rating delivered live", e["lv"] == 4 and e["org"] == "live" and e["dp"] >= 2000)
    check("kept until acked", r.term.journal.depth() == 1)
    hub.ack_all()
    await r.until("acked", lambda: r.term.journal.depth() == 0)
    check("journal empty after ack", True)
    hub.auto_ack = True

    await r.run(4000)
    hub.invite("e2")
    await r.until("invitation 2", r.shows("请您对本次服务进行评价"))
    await r.press(4, 1500)
    await r.until("labels", r.shows("请选择非常不满意的原因"))
    print("screen", " | ".join(r.texts()))
    await r.press(1)
    await r.press(2)
    await r.press(3)
    await r.until("bad rating", lambda: 2 in hub.events)
    check("bad rating with a label", hub.events[2]["lb"] == [109] and hub.events[2]["lv"] == 1)

    await r.run(4000)
    hub.invite("e3", to=5)
    await r.until("invitation 3", r.shows("5秒"))
    await r.run(5100)
    await r.until("timeout", lambda: 3 in hub.events)
    check("timeout reported", hub.events[3]["t"] == "timeout" and hub.events[3]["eid"] == "e3")

    mid = hub.invite("e4")
    await r.until("invitation 4", r.shows("请您对本次服务进行评价"))
    cmid = hub.send({"t": "cancel", "eid": "e4"})
    await r.until("cancelled", r.shows("暂无当班人员"))
    await r.until("cancel acked", lambda: cmid in hub.acks)
    check("cancel leaves no event", 4 not in hub.events and mid in hub.acks)

    hub.auto_ack = False
    hub.invite("e5")
    await r.until("invitation 5", r.shows("请您对本次服务进行评价"))
    await r.press(0, 1000)
    await r.until("delivered 5", lambda: 4 in hub.events)
    check("owed before reboot", r.term.journal.depth() == 1)
    if heap:
        print("heap session_peak_live=%d session_peak_raw=%d step_alloc=%d"
              % (r.peak_live, r.peak_raw, r.step_alloc))
    r.reboot()
    check("journal survives reboot", r.term.journal.depth() == 1 and r.term.boot == 2)
    hub.auto_ack = True
    await r.until("replayed and acked", lambda: r.term.journal.depth() == 0)
    seqs = [d[0] for d in hub.deliveries]
    check("replayed once after reboot", seqs.count(4) == 2 and hub.deliveries[-1] == (4, "replay"))
    check("stored once", sorted(hub.events) == [1, 2, 3, 4])
    r.term.close()
    print("mp_fw_session ok: %d events, %d deliveries, %d sessions"
          % (len(hub.events), len(hub.deliveries), hub.sessions))
    if heap:
        print("heap peak_live=%d peak_raw=%d (the whole run, reboot included)" % (r.peak_live, r.peak_raw))
        print("press_ms %s" % " ".join("%.2f" % x for x in r.press_ms))

