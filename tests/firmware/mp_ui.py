"""MicroPython: render every sample screen, print results and heap figures as JSON lines.

Mounts: firmware/ at /lib/firmware, protocol/ at /lib/protocol,
simulator/tools/ at /lib/pjtools; this directory holds mp_ui_render.py.
Usage: mp_ui.py FONT_PATH [--heap-only]
One line per screen (see mp_ui_render.py), then {"heap": {...}} in bytes:
  modules        code of the display layer once imported (source compiled on
                 the fly here; frozen or .mpy modules on the device cost less)
  resident       font (header, key table, block buffer) + canvas (9,600-byte
                 framebuffer, glyph buffers) + the 5,120-byte push strip
  invitation_alloc  everything allocated while drawing and pushing the
                 invitation screen, garbage included: an upper bound of the
                 peak above `resident` (no collection runs in between)
  retained       still allocated after the invitation, once collected
                 (the drawn-text record, the glyph index dict)
  invitation_us  time to draw and push the invitation (WebAssembly port)
gc.collect() only frees what the C stack no longer holds once control went
back to the host, hence the awaits before each collection.
"""

import asyncio
import gc
import json
import sys
import time


async def settle():
    await asyncio.sleep_ms(0)
    gc.collect()
    return gc.mem_alloc()


async def main(font_path, quiet):
    base = await settle()
    import firmware.ui.screens
    import firmware.ui.panel
    code = await settle() - base
    from tests.firmware import mp_ui_render  # the test's own helper and sample data: not counted
    base = await settle() - code
    cv, strip = mp_ui_render.setup(font_path)
    resident = await settle() - base - code
    heap = {"modules": code, "resident": resident}
    for sample in mp_ui_render.SAMPLES:
        before = await settle()
        t0 = time.ticks_us()
        got = mp_ui_render.render_one(cv, strip, sample)
        us = time.ticks_diff(time.ticks_us(), t0)
        alloc = gc.mem_alloc() - before
        if sample[0] == "invitation":
            heap["invitation_alloc"] = alloc
            heap["invitation_us"] = us  # draw + push (+ sha256 of the strips)
            heap["retained"] = await settle() - base - code - resident
        if not quiet:
            print(json.dumps(got))
    heap["total_after_invitation"] = heap["modules"] + heap["resident"] + heap["retained"]
    heap["peak_bound"] = heap["modules"] + heap["resident"] + heap["invitation_alloc"]
    heap["font_flash_reads"] = cv.font.misses
    print(json.dumps({"heap": heap}))


await main(sys.argv[1], "--heap-only" in sys.argv)
