"""The one definition of what travels between a rating terminal and the hall hub.

Sans-IO: every module here turns bytes and times into events and bytes, and
never opens a socket, sleeps or starts a thread. The same source files run on
CPython (hub, simulator) and on MicroPython (terminal firmware), so nothing in
this package may import a CPython-only module. PROTOCOL.md is the
specification; vectors.json holds the test vectors.
"""

# Version of the message layer carried in `hello.pv`. Minor additions (new
# optional fields, new message types) keep this number: receivers ignore what
# they do not know. A change that old peers would misread increments it.
# 2: the seal carries a packet counter, so a replayed packet is refused (§5.5).
PROTOCOL_VERSION = 2
# The oldest version this code still speaks (1: old terminals are still served).
PROTOCOL_VERSION_MIN = 1

# Largest packet (message body plus seal) on any transport. Bounded because a
# terminal keeps at least one whole packet in RAM.
MAX_PACKET = 2048
