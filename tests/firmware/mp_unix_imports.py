# On the MicroPython Unix port: the heap the firmware's code holds, group by group,
# in the order the terminal imports it. Prints "imports GROUP=BYTES" (gc.mem_alloc()
# after gc.collect(), cumulative), "imports total=BYTES" and the word size. Run by
# tests/firmware/test_unix_port_heap.py and bench/unix_port_heap.py with the tree
# as .mpy files (tests.support.unix_port.compile_tree).
import gc
import sys


def mark(name):
    gc.collect()
    print("imports %s=%d" % (name, gc.mem_alloc()))


mark("start")
import protocol.catalogue, protocol.codec, protocol.crypto, protocol.domain  # noqa: E401,F401,E402
mark("protocol_messages")
import protocol.session, protocol.arq, protocol.framing, protocol.cobs  # noqa: E401,F401,E402
mark("protocol_link")
import firmware.journal  # noqa: F401,E402
mark("journal")
import firmware.ui.screens, firmware.app.ui  # noqa: E401,F401,E402
mark("ui")
import firmware.app.flow, firmware.app.hub_link, firmware.app.main  # noqa: E401,F401,E402
mark("app")
import firmware.boards.unix  # noqa: F401,E402
mark("board")
import firmware.net.mqtt_client  # noqa: F401,E402
mark("mqtt_client")
gc.collect()
print("imports total=%d" % gc.mem_alloc())
print("word %d-bit (a pointer is %d bytes)" % ((64, 8) if sys.maxsize > 2 ** 32 else (32, 4)))
