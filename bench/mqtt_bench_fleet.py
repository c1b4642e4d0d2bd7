"""The fleet of simulated terminals for bench/mqtt_bench.py (run as its subprocess).

    python bench/mqtt_bench_fleet.py HOST PORT KEYS.json

KEYS.json maps device id -> key hex (a real protocol session: handshake,
sealed ratings, the hub's acks) or null (plain packets, for echo servers that
send each rating back). Each terminal is the firmware's asyncio MQTT client
(firmware/net). Prints "ready" once every terminal is connected (and
authenticated), then answers commands on stdin with one JSON line each:
  max SECONDS WINDOW   every terminal keeps WINDOW ratings in flight
  paced RATE SECONDS   RATE ratings/s in total, round robin over the terminals
  quit
Latency is send -> answer, measured here with perf_counter. answers_per_rating:
answer packets received per rating (the hub's one ack per commit names
several of a terminal's ratings; an echo answers each).
"""

import asyncio
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT]

from firmware.net.mqtt_client import MQTTClient  # noqa: E402
from protocol.catalogue import acked_seqs  # noqa: E402
from protocol.codec import encode  # noqa: E402
from protocol.session import TerminalHandshake, open_plain, split  # noqa: E402

HALL = "bench"
ANSWERS = [0]       # answer packets received (an ack may name several ratings)


class FleetTerminal:
    """A terminal's protocol session over the firmware MQTT client."""

    def __init__(self, dev, key, host, port, stats):
        self.dev = dev
        self.key = bytes.fromhex(key) if key else None   # None: plain packets, for echo runs
        self.stats = stats
        user, _, password = os.environ["PINGJIA_BENCH_MQTT_LOGIN"].partition(":")
        self.client = MQTTClient(HALL, dev, host, port, on_packet=self.on_packet,
                                 max_outbox=64, log=lambda *a: None, username=user,
                                 password=password)
        self.session = None
        self.ready = asyncio.Event()
        self.sent_at = {}
        self.seq = 0
        self.on_ack = None
        self._hs = None

    def send(self, msg):
        packet = self.session.seal(msg) if self.session else encode(msg, "up")
        if not self.client.send(packet, msg["t"]):
            raise RuntimeError("%s: MQTT outbox full" % self.dev)

    def hello(self):
        self._hs = TerminalHandshake(self.dev, self.key, os.urandom(8),
                                     {"fw": "bench", "board": "sim", "jd": 0})
        self.client.send(self._hs.hello(1), "hello")

    def on_packet(self, packet):
        if self.key is None:                # an echo server sent our rating back
            ANSWERS[0] += 1
            return self._acked(json.loads(packet)["seq"])
        if split(packet)[1] is None:
            msg = open_plain(packet, "down")
        else:
            msg = self.session.open(packet)
        t = msg["t"]
        if t == "chal":
            self.session, auth = self._hs.accept(msg, 2)
            self.client.send(auth, "auth")
        elif t == "ack" and msg.get("re") == 2:
            self.ready.set()
        elif t == "ack" and "seq" in msg:
            ANSWERS[0] += 1
            for seq in acked_seqs(msg):         # one ack per commit names several
                self._acked(seq)
        elif "mid" in msg:            # time, cfg: answered as firmware does
            self.send({"t": "ack", "re": msg["mid"]})

    def _acked(self, seq):
        at = self.sent_at.pop(seq, None)
        if at is not None:
            self.stats.append(time.perf_counter() - at)
            if self.on_ack is not None:
                self.on_ack(self)

    def rate(self):
        self.seq += 1
        self.sent_at[self.seq] = time.perf_counter()
        self.send({"t": "rating", "seq": self.seq, "eid": "bench-" + self.dev,
                   "cs": "%s-%d" % (self.dev, self.seq), "lv": 5, "dp": 2500,
                   "mt": self.seq * 1000, "bt": 1, "org": "live"})


async def fleet_main(host, port, keys_path):
    keys = json.load(open(keys_path))
    latencies = []
    terms = [FleetTerminal(d, k, host, port, latencies) for d, k in sorted(keys.items())]
    tasks = [asyncio.create_task(t.client.run()) for t in terms]
    while not all(t.client.connected for t in terms):
        await asyncio.sleep(0.01)
    for t in terms:
        if t.key is None:
            t.ready.set()
        else:
            t.hello()
    await asyncio.wait_for(asyncio.gather(*(t.ready.wait() for t in terms)), 60)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not line or line[0] == "quit":
            break
        latencies.clear()
        ANSWERS[0] = 0
        if line[0] == "max":
            cpu0 = time.process_time()
            result = await fleet_max(terms, latencies, float(line[1]), int(line[2]))
            result["fleet_cpu_ms_per_rating"] = round(
                (time.process_time() - cpu0) * 1000 / max(1, result["ratings"]), 3)
        else:
            result = await fleet_paced(terms, latencies, float(line[1]), float(line[2]))
        print(json.dumps(result), flush=True)
    for t in terms:
        await t.client.stop()
    await asyncio.gather(*tasks)


async def drain(terms, limit_s=30):
    """Wait for the answers still owed; give up after limit_s (they are
    reported as `unanswered`, a figure that must be 0)."""
    end = time.perf_counter() + limit_s
    while any(t.sent_at for t in terms) and time.perf_counter() < end:
        await asyncio.sleep(0.01)


def _summary(latencies, elapsed, ratings, terms):
    lat = sorted(latencies)

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None
    unanswered = sum(len(t.sent_at) for t in terms)
    for t in terms:
        t.sent_at.clear()
    problems = {}
    for t in terms:
        for k in ("callback_errors", "outbox_full", "link_losses"):
            if t.client.counters[k]:
                problems[k] = problems.get(k, 0) + t.client.counters[k]
    return {"ratings": ratings, "unanswered": unanswered, "client_problems": problems,
            "seconds": round(elapsed, 3),
            "per_s": round(ratings / elapsed, 1),
            "answers_per_rating": round(ANSWERS[0] / max(1, ratings), 3), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": round(lat[-1] * 1000, 2) if lat else None}


async def fleet_max(terms, latencies, seconds, window):
    end = time.perf_counter() + seconds

    def next_one(t):
        if time.perf_counter() < end:
            t.rate()
    for t in terms:
        t.on_ack = next_one
    t0 = time.perf_counter()
    for _ in range(window):
        for t in terms:
            t.rate()
    await drain(terms)
    elapsed = time.perf_counter() - t0
    for t in terms:
        t.on_ack = None
    return _summary(latencies, elapsed, len(latencies), terms)


async def fleet_paced(terms, latencies, rate, seconds):
    n = int(rate * seconds)
    t0 = time.perf_counter()
    for i in range(n):
        due = t0 + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        terms[i % len(terms)].rate()
    await drain(terms)
    return _summary(latencies, time.perf_counter() - t0, len(latencies), terms)


if __name__ == "__main__":
    asyncio.run(fleet_main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
