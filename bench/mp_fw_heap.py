# MicroPython side of bench/fw_session_bench.py: heap of the firmware through a
# whole session (see that file). Top-level await: run by simulator/micropython/run.mjs.
#
#     mp_fw_heap.py [PHASE]   live data is sampled at steps where step % 50 == PHASE
#
# Prints "heap NAME=BYTES" lines, "worst BYTES step N screen S" for the five
# terminal steps that allocated most, "screenmax S BYTES" (the most a step that
# left screen S shown allocated), "qstr pool: ..." before and after the
# session (micropython.qstr_info()) and "press_ms".
import asyncio
import gc
import sys

import micropython

PHASE = int(sys.argv[1]) if len(sys.argv) > 1 else 0
EVERY = 50          # steps between live samples (0.5 s of terminal time)


async def settle():
    await asyncio.sleep(0)      # the wasm port frees memory only after a yield to the host
    gc.collect()
    return gc.mem_alloc()


async def sample(name):
    print("heap %s=%d" % (name, await settle()))


await sample("start")  # noqa
import protocol.codec, protocol.session, protocol.arq  # noqa: E401,F401,E402
await sample("protocol")  # noqa
import simulator.terminal_hubcore  # noqa: F401,E402
await sample("hubcode")  # noqa
from tests.firmware import mp_fw_session  # noqa: E402
await sample("code")  # noqa
hub = simulator.terminal_hubcore.HubCore({"T1": bytes(32)}, mp_fw_session.Rng(5).bytes, 0)
await sample("hubcore")  # noqa
hub = None


class HeapRig(mp_fw_session.Rig):
    """The session's rig with the bench's own sampling (replaces the rig's).

    Step allocation: gc.mem_alloc() right before and right after the
    terminal's step (Terminal.step: its ui, link and house tasks, the
    transport's reads and writes included), with automatic collection off
    for the whole run, so the difference is exactly what that step
    allocated, garbage included. The in-interpreter hub side runs outside
    that window (it is not on the device); "rig" figures include it.

    Live data: every EVERY steps, at a fixed phase, after a yield to the
    host and gc.collect(). Never at every step: each yield leaves port-side
    references that hold memory of their own.
    """

    def __init__(self, *a, **k):
        self.worst = []         # (bytes, step, screen) of the terminal's biggest steps
        self.rig_alloc = 0      # the most one whole rig step allocated (hub side included)
        self.by_screen = {}     # screen shown after the step -> the most one such step allocated
        RIGS.append(self)
        super().__init__(*a, **k)

    async def step(self):
        self.t += mp_fw_session.STEP_MS
        t0 = mp_fw_session._real_ms()
        a0 = gc.mem_alloc()
        self.term.step(self.t)
        a1 = gc.mem_alloc()
        self.last_step_ms = mp_fw_session._real_ms() - t0
        self.hub.feed(self.board.link.drain(), self.t)
        out = self.hub.outgoing()
        if out:
            self.board.link.feed(out)
        a2 = gc.mem_alloc()
        self.steps += 1
        self._note(a1 - a0, a2 - a0)
        if self.steps % EVERY == PHASE:
            live = await settle()
            if live > self.peak_live:
                self.peak_live = live

    def _note(self, term, rig):
        if rig > self.rig_alloc:
            self.rig_alloc = rig
        if term > self.step_alloc:
            self.step_alloc = term
        screen = self.term.screen
        if term > self.by_screen.get(screen, 0):
            self.by_screen[screen] = term
        w = self.worst
        if len(w) < 5 or term > w[-1][0]:
            w.append((term, self.steps, screen))
            w.sort(key=lambda x: -x[0])
            del w[5:]


RIGS = []
mp_fw_session.Rig = HeapRig
micropython.qstr_info()
gc.disable()    # from here on only the explicit collections run: no collection inside a step
await mp_fw_session.main("/flash", True)  # noqa
micropython.qstr_info()
r = RIGS[0]
print("heap live_peak=%d term_step=%d rig_step=%d" % (r.peak_live, r.step_alloc, r.rig_alloc))
for term, step, screen in r.worst:
    print("worst %d step %d screen %s" % (term, step, screen))
for screen in sorted(r.by_screen):
    print("screenmax %s %d" % (screen, r.by_screen[screen]))
