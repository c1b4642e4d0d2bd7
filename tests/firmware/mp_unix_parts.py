# On the MicroPython Unix port: the live heap each part of a running terminal holds.
#   micropython mp_unix_parts.py FLASH_DIR
# Builds the parts in the order Terminal.__init__ does (firmware/app/main.py), on
# the simulated board, measuring gc.mem_alloc() after gc.collect() around each,
# then the whole Terminal after start() (first screen drawn). Prints
# "part NAME=BYTES" and "part terminal=BYTES". Used by bench/unix_port_heap.py.
import gc
import sys

from firmware.app.config import Config
from firmware.app.main import Terminal
from firmware.app.ui import Ui
from firmware.app.hub_link import HubLink
from firmware.app.uart_transport import UartTransport
from firmware.app.flow import Flow
from firmware.app.buttons import PressGuard
from firmware.boards.sim import SimBoard
from firmware.journal import Journal

FLASH = sys.argv[1]


def live():
    gc.collect()
    return gc.mem_alloc()


keep = []


def part(name, make):
    a = live()
    keep.append(make())
    print("part %s=%d" % (name, live() - a))
    return keep[-1]


board = part("board", lambda: SimBoard(FLASH, "T1", bytes(32)))
config = part("config", lambda: Config(board.fs_root))
journal = part("journal", lambda: Journal(board.fs_root + "/journal.bin"))
part("flow", lambda: Flow(config, PressGuard(600)))
part("ui (canvas, font cache)", lambda: Ui(board.display, config))
part("hub_link", lambda: HubLink("T1", bytes(32), {"fw": "x"}, journal, board.random_bytes))
part("uart transport (ARQ link)", lambda: UartTransport(board.link, 1, 7))
keep = []
journal.close()
gc.collect()
base = live()
term = Terminal(board)
term.start()
print("part terminal=%d" % (live() - base))
term.close()
