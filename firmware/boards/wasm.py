"""The simulated board inside the MicroPython WebAssembly port, driven by Node.

simulator/micropython/terminal.mjs registers the JS module `simhost` and
runs `await firmware.boards.wasm.run(flash, device_id, key_hex)`. The board
is boards/sim.py with the host's clock and random source; `pump` is the
bridge task that moves what crosses the boundary, as strings (JS integers
are cut to 32 bits, bytes travel as hex):

  simhost.ticks()      -> ms (float), the host's monotonic clock incl. jumps
  simhost.random(n)    -> n random bytes, hex
  simhost.rx()         -> bytes the serial line brought, hex ("" if none)
  simhost.tx(hex)      bytes for the serial line
  simhost.presses()    -> buttons pressed since the last call, "0,3" ("" if none)
  simhost.alive()      -> false once the host cut the power: run() returns
  simhost.status(json) what the host may ask for: screen, texts, colours,
                       journal depth, online, boot; the 1-bit frame itself is
                       written to FRAME_FILE (fastest way out, docs/FIRMWARE.md)
"""

import asyncio
import json

import simhost

from firmware.app.main import Terminal
from firmware.boards.sim import SimBoard

FRAME_FILE = "/screen.bin"
PUMP_MS = 5


def _random(n):
    return bytes.fromhex(simhost.random(n))


def _ticks():
    return int(simhost.ticks())


class WasmBoard(SimBoard):
    def __init__(self, fs_root, device_id, key):
        SimBoard.__init__(self, fs_root, device_id, key, random_bytes=_random, clock=_ticks)


def _publish(term, board):
    d = board.display
    with open(FRAME_FILE, "wb") as f:
        f.write(d.frame)
    fg, bg, regions = d.colours
    simhost.status(json.dumps({
        "frames": d.frames, "screen": term.screen, "texts": [x[2] for x in d.drawn],
        "fg": fg, "bg": bg, "regions": [list(r) for r in regions],
        "depth": term.journal.depth(), "online": term.link.online, "boot": term.boot}))


async def pump(term, board):
    shown = -1
    depth = -1
    while simhost.alive():
        rx = simhost.rx()
        if rx:
            board.link.feed(bytes.fromhex(rx))
        tx = board.link.drain()
        if tx:
            simhost.tx(tx.hex())
        p = simhost.presses()
        if p:
            for b in p.split(","):
                board.buttons.press(int(b))
        if board.display.frames != shown or term.journal.depth() != depth:
            shown = board.display.frames
            depth = term.journal.depth()
            _publish(term, board)
        await asyncio.sleep(PUMP_MS / 1000)
    term.stop()


async def run(fs_root, device_id, key_hex):
    board = WasmBoard(fs_root, device_id, bytes.fromhex(key_hex))
    term = Terminal(board)
    await asyncio.gather(term.run(), pump(term, board))
    term.close()
