"""Protocol figures measured inside one interpreter: MicroPython or CPython.

The same source runs on both, so the two columns of bench/protocol_bench.py
measure identical work. On MicroPython (the WebAssembly port) it is started by
simulator.mpy.run_micropython with protocol_mounts(); protocol_bench.py runs
it on CPython in-process, compiled with top-level await allowed. It uses
top-level `await` because the WebAssembly port only collects garbage when
control returns to the host (docs/FIRMWARE.md): `gc.collect()` alone frees
nothing there, so every heap sample is taken after `await settle()`.

    argv[1]  CPU-time budget per throughput figure, milliseconds (default 1000)

Output: `micropython.mem_info()` between MEMINFO-BEGIN / MEMINFO-END lines
(MicroPython only), then one line "BENCH " + JSON with every figure.
"""

import gc
import json
import sys
import time

import asyncio

from protocol import domain, framing
from protocol.catalogue import UP, DOWN
from protocol.codec import encode, decode
from protocol.session import HubHandshake, ReplayWindow, TerminalHandshake, open_plain

MICRO = sys.implementation.name == "micropython"

# Throughput is timed in CPU time of this process, not wall time: the
# machine is shared, and time spent descheduled is not this code's cost.
# Under Node, process.cpuUsage() (microseconds; one call costs ~0.3 ms, so it
# is read only around whole batches); on CPython, process_time.
try:
    import js

    def cpu_us():
        u = js.process.cpuUsage()
        return u.user + u.system
    CLOCK = "node process.cpuUsage"
except ImportError:
    if MICRO:  # a board: wall time is all there is
        def cpu_us():
            return time.ticks_ms() * 1000  # wraps after 12 days: fine for a bench
        CLOCK = "time.ticks_ms"
    else:
        def cpu_us():
            return time.process_time_ns() // 1000
        CLOCK = "time.process_time"

# Fixed inputs, so every run and both interpreters see the same bytes.
DEVICE_KEY = bytes(range(32))
DEVICE_NONCE = b"\x01\x02\x03\x04\x05\x06\x07\x08"
HUB_NONCE = b"\x11\x12\x13\x14\x15\x16\x17\x18"
TERMINAL_INC, HUB_INC = 0x3A51, 0x7C02       # link incarnations
EPOCH_MS = 1795397472345                     # 2026-11-23 09:31:12.345 +08:00
UPTIME_MS = 3 * 3600 * 1000 + 123456
STREAM_FRAMES = 32                           # frames per deframe+decode step
UART_CHUNK = 64                              # bytes per Deframer.feed, as a UART read

RATING_BAD = {"t": "rating", "seq": 1234, "eid": "E20261123000123",
              "cs": "330100202611230001234", "lv": 2, "lb": [213, 214], "lsv": 3,
              "dp": 2350, "mt": UPTIME_MS, "dt": EPOCH_MS, "bt": 7, "org": "live"}
RATING_GOOD = {"t": "rating", "seq": 1235, "eid": "E20261123000124",
               "cs": "330100202611230001235", "lv": 5, "lsv": 3,
               "dp": 1800, "mt": UPTIME_MS + 95000, "dt": EPOCH_MS + 95000, "bt": 7, "org": "live"}
LONG_MATTER = ("企业投资项目核准（含国家规定权限内的外商投资项目核准、"
               "境外投资项目核准及项目变更、延期和撤销）")
INVITATION = {"t": "inv", "mid": 4711, "eid": "E20261123000125", "win": "12",
              "cs": "330100202611230001236", "vis": 1, "mc": "11330000002482003X4000118010000",
              "mn": LONG_MATTER, "stf": "HZ0312", "stn": "王晓明", "to": 60,
              "dl": EPOCH_MS + 60000, "lsv": 3}
# The largest routine downlink: a config carrying the whole national label table.
CONFIG = {"t": "cfg", "mid": 4712, "ver": 3, "hall": "杭州市民中心", "win": "12",
          "ls": domain.national_label_set()}


def sessions():
    """-> (terminal Session, hub Session) after a real three-packet handshake."""
    term = TerminalHandshake("T-0012", DEVICE_KEY, DEVICE_NONCE,
                             {"fw": "1.0.0", "board": "esp32s3", "jd": 0})
    hello_packet = term.hello(1)
    hub = HubHandshake(open_plain(hello_packet, UP), hello_packet, DEVICE_KEY, HUB_NONCE)
    t_session, auth = term.accept(open_plain(hub.challenge, DOWN), 2)
    h_session, _auth_msg = hub.accept(auth)
    return t_session, h_session


def data_frame(packet, seq):
    return framing.build_frame(framing.DATA, TERMINAL_INC, HUB_INC, seq & 0xFF, 0, packet)


async def slice_rate(step, per_step, slice_us, batch_ms=100):
    """Messages per second of step() (which handles per_step messages) over one slice.

    Between batches of about batch_ms the heap is collected, untimed, as a
    terminal's event loop would: on the WebAssembly port nothing is freed
    until control returns to the host, and a heap left to fill up makes
    allocation ever slower.
    """
    steps, batch, spent = 0, 1, 0
    while spent < slice_us:
        await settle()
        t0 = cpu_us()
        for _ in range(batch):
            step()
        spent += cpu_us() - t0
        steps += batch
        # Grow the batch to about batch_ms, never past the end of the slice.
        left = min(slice_us - spent, batch_ms * 1000)
        batch = max(1, min(batch * 2, left * steps // max(spent, 1)))
    return steps * per_step * 1000000 // spent


async def rates(figures, budget_ms, rounds=5):
    """{name: best messages/s} for figures {name: (step, per_step)}.

    Each figure gets `rounds` slices of budget_ms / rounds, taken in turns so
    that every figure sees the same machine: this one's speed drifts by up to
    2x over seconds (a shared VM). The first round only warms up (V8 compiles
    the WebAssembly interpreter's hot code better after a while); of the
    others the best counts, as the slower ones measure the neighbours.
    """
    slice_us = budget_ms * 1000 // rounds
    best = {}
    for r in range(rounds):
        for name in figures:
            step, per_step = figures[name]
            got = await slice_rate(step, per_step, slice_us)
            if r:
                best[name] = max(best.get(name, 0), got)
    return best


async def throughput(t_session, h_session, budget_ms):
    msg = dict(RATING_BAD)
    counter = [0]

    def next_msg():
        counter[0] += 1
        msg["seq"] = 1234 + counter[0]
        return msg

    body = encode(RATING_BAD, UP)
    packet = t_session.seal(RATING_BAD)
    stream = b"".join(data_frame(t_session.seal(dict(RATING_BAD, seq=1234 + i)), i)
                      for i in range(STREAM_FRAMES))
    chunks = [stream[i:i + UART_CHUNK] for i in range(0, len(stream), UART_CHUNK)]
    payloads = [f.payload for f in framing.Deframer().feed(stream)]

    def deframe():
        d = framing.Deframer()
        n = 0
        for c in chunks:
            n += len(d.feed(c))
        return n

    # The same packets are opened again on every pass: a v2 receiver would
    # refuse them as replays, so each pass starts with a fresh replay window.
    def deframe_open():
        h_session.window = ReplayWindow()
        d = framing.Deframer()
        for c in chunks:
            for f in d.feed(c):
                h_session.open(f.payload)

    def open_all():
        h_session.window = ReplayWindow()
        for p in payloads:
            h_session.open(p)

    def decode_all():
        for _ in range(STREAM_FRAMES):
            decode(body, UP)

    assert deframe() == STREAM_FRAMES
    return await rates({
        "encode_seal_frame": (lambda: data_frame(t_session.seal(next_msg()), counter[0]), 1),
        "encode": (lambda: encode(next_msg(), UP), 1),
        "seal": (lambda: t_session.seal(next_msg()), 1),
        "frame": (lambda: data_frame(packet, 7), 1),
        "deframe_open": (deframe_open, STREAM_FRAMES),
        "deframe": (deframe, STREAM_FRAMES),
        "open": (open_all, STREAM_FRAMES),
        "decode": (decode_all, STREAM_FRAMES),
    }, budget_ms)


def wire_sizes(t_session, h_session):
    out = {}
    for name, msg, session, direction in (("rating_good", RATING_GOOD, t_session, UP),
                                          ("rating_bad", RATING_BAD, t_session, UP),
                                          ("invitation", INVITATION, h_session, DOWN),
                                          ("config", CONFIG, h_session, DOWN)):
        body = encode(msg, direction)
        packet = session.seal(msg)
        wire = data_frame(packet, 1)
        out[name] = {"body": len(body), "sealed": len(packet),
                     "frame": len(packet) + framing.MIN_FRAME, "wire": len(wire),
                     "wire_hex": wire.hex()}
    out["invitation"]["matter_chars"] = len(LONG_MATTER)
    out["config"]["labels"] = len(CONFIG["ls"]["l"])
    return out


async def settle():
    """Collect garbage for real (on the WebAssembly port: by yielding to the host)."""
    gc.collect()
    await asyncio.sleep(0)
    gc.collect()


def heap_now():
    return gc.mem_alloc() if MICRO else tracemalloc.get_traced_memory()[0]


async def decoding_heap(session, wire):
    """Heap cost of one packet on a ready Deframer + Session, after a warm-up."""
    d = framing.Deframer()
    session.open(d.feed(wire)[0].payload)
    session.window = ReplayWindow()      # the same packet again, measured: no replay
    await settle()
    base = heap_now()
    if not MICRO:
        tracemalloc.reset_peak()
    frames = d.feed(wire)
    fed = heap_now()
    msg = session.open(frames[0].payload)
    opened = heap_now()
    # No collection runs inside synchronous code on the WebAssembly port, so
    # the growth over the call is everything it allocated: a bound on its peak.
    peak = opened if MICRO else tracemalloc.get_traced_memory()[1]
    await settle()
    kept = heap_now()
    assert msg["t"] in ("rating", "inv", "cfg")
    return {"feed": fed - base, "open": opened - fed, "peak": peak - base, "kept": kept - base}


async def heap():
    """Heap use of the decoder: building it, and decoding one packet."""
    await settle()
    base = heap_now()
    d = framing.Deframer()
    await settle()
    with_deframer = heap_now()
    t_session, h_session = sessions()
    await settle()
    with_sessions = heap_now()
    out = {"deframer": with_deframer - base,
           "session": (with_sessions - with_deframer) // 2}   # two sessions were built
    rating_wire = data_frame(t_session.seal(RATING_BAD), 1)
    invitation_wire = data_frame(h_session.seal(INVITATION), 1)
    config_wire = data_frame(h_session.seal(CONFIG), 1)
    out["decode_rating_on_hub"] = await decoding_heap(h_session, rating_wire)
    out["decode_invitation_on_terminal"] = await decoding_heap(t_session, invitation_wire)
    out["decode_config_on_terminal"] = await decoding_heap(t_session, config_wire)
    await settle()
    out["in_use_after"] = heap_now()
    del d
    return out


budget = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
await settle()  # noqa: F704 (top-level await: see the docstring)
after_imports = gc.mem_alloc() if MICRO else None  # tracemalloc would miss the imports
if not MICRO:
    import tracemalloc
    tracemalloc.start()
t_sess, h_sess = sessions()
result = {"implementation": sys.implementation.name,
          "version": sys.version.split()[0] if not MICRO else ".".join(str(v) for v in sys.implementation.version[:3]),
          "heap_kind": "gc.mem_alloc" if MICRO else "tracemalloc", "clock": CLOCK,
          "sizes": wire_sizes(t_sess, h_sess)}
result["heap"] = await heap()  # noqa: F704
if MICRO:
    result["heap"]["after_imports"] = after_imports
if MICRO:
    import micropython
    print("MEMINFO-BEGIN")
    micropython.mem_info()
    print("MEMINFO-END")
else:
    tracemalloc.stop()
result["rates"] = await throughput(t_sess, h_sess, budget)
print("BENCH " + json.dumps(result))
