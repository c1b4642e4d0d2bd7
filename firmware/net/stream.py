"""The one place firmware/net touches the network: a byte stream over TCP.

`open_stream(host, port)` -> Stream, using asyncio streams (CPython, and
MicroPython ports with sockets: ESP32, Unix). A board without them (the
WebAssembly port has no sockets) gives the MQTT client its own opener with
the same shape: an `async (host, port) -> object` whose result has
`async read(n)` (b"" at end of stream), `write(data)` (never blocks: it
buffers), `async drain()` and `close()`.
"""

import asyncio


class Stream:
    def __init__(self, reader, writer):
        self._r = reader
        self._w = writer

    async def read(self, n):
        return await self._r.read(n)

    def write(self, data):
        self._w.write(data)

    async def drain(self):
        await self._w.drain()

    def close(self):
        """Close at once, without a goodbye: the broker then sends our last will."""
        try:
            self._w.close()
        except OSError:
            pass


async def open_stream(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    return Stream(reader, writer)
