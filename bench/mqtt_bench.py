"""Hub MQTT throughput and ack latency, against the raw paho QoS 1 ceilings.

One mosquitto (simulator/broker.py: the shipped hub/data/mosquitto.conf on a
free loopback port). The server side always runs in this process with paho;
the terminals run in a subprocess (bench/mqtt_bench_fleet.py: T terminals,
each the firmware's asyncio MQTT client) so they do not share its GIL.

- one way (the ceiling of docs/PERFORMANCE.md): a paho publisher subprocess sends N
  QoS 1 messages as fast as it can, a paho subscriber here counts them.
- round-trip ceiling: a bare paho client answers every uplink on the
  terminal's down topic at QoS 1 — the hub's MQTT shape with no hub work.
- transport alone: hub.transports.mqtt_link.MqttLink with an ingest that
  sends each packet straight back (what the transport itself costs).
- hub: MqttLink + hub.ingest.Ingest (handshake, sealed packets, checks,
  group commit on SQLite WAL with synchronous=FULL, ack only after the
  commit), the fleet with real protocol sessions. The hub answers each
  terminal once per group commit (ack seq + more, PROTOCOL.md §3), the echo
  once per message: "answers/rating" shows both.
Each terminal keeps W ratings in flight and sends the next when its answer
arrives; ratings/s, and p50/p99 send -> answer latency at the terminal.
The three set-ups are measured in turns for --rounds rounds (this VM's speed
drifts); figures are the median round. Server CPU per message (this
process's CPU time / messages) is the steadier comparison. Last, the hub
at a fixed --rate ratings/s for --paced-seconds, for the latency goal (p99 <
20 ms): 30 s by default, 6,000 ratings, because on this VM a commit now and
then waits ~100 ms for the disk and delays the ~20 ratings that arrive
meanwhile; over 10 s that alone is 1 %, i.e. the p99.

Ratings carry an invitation id the hub never issued, so each is stored with
the fraud flag `no_case`: the storage path (checks, group commit, ack) is the
same as for an invited rating, and no invitation downlinks muddle the figures.

    .venv/bin/python bench/mqtt_bench.py [--terminals 50] [--raw 20000]
        [--seconds 10] [--window 8] [--rate 200] [--paced-seconds 30]
        [--rounds 3] [--json]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT]

import paho.mqtt.client as mqtt  # noqa: E402

from protocol import topics  # noqa: E402

HALL = "bench"
FLEET = os.path.join(ROOT, "bench", "mqtt_bench_fleet.py")
RAW_TOPIC = "bench/raw"
# The broker refuses anonymous clients (the shipped config): the bench's own
# clients and its subprocesses log in as one all-topics user, "user:password".
LOGIN_ENV = "PINGJIA_BENCH_MQTT_LOGIN"


def paho(client_id, clean_session=True):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                    clean_session=clean_session)
    user, _, password = os.environ[LOGIN_ENV].partition(":")
    c.username_pw_set(user, password)
    return c


# ---------------------------------------------------------------- raw publisher (subprocess)
def raw_publisher(host, port, n):
    c = paho("bench-raw-pub")
    c.max_inflight_messages_set(100)
    c.max_queued_messages_set(0)
    c.connect(host, port)
    c.loop_start()
    payload = b'{"t":"rating","seq":1,"eid":"bench","cs":"C1","lv":5,"dp":2500,"mt":1,"org":"live"}' \
              b"~0123abcd0123456789abcdef"
    infos = [c.publish(RAW_TOPIC, payload, qos=1) for _ in range(n)]
    for info in infos:
        info.wait_for_publish(60)
    c.disconnect()
    c.loop_stop()


def measure_ceiling(broker, n):
    got = [0, None, None]
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(client, userdata, msg):
        now = time.perf_counter()
        if got[1] is None:
            got[1] = now
        got[0] += 1
        got[2] = now
        if got[0] >= n:
            done.set()
    sub = paho("bench-raw-sub")
    sub.on_message = on_message
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_connect = lambda c, *a: c.subscribe(RAW_TOPIC, qos=1)
    sub.connect(broker.host, broker.port)
    sub.loop_start()
    subscribed.wait(10)
    subprocess.run([sys.executable, __file__, "--raw-publisher", broker.host, str(broker.port),
                    str(n)], check=True, timeout=300)
    done.wait(60)
    sub.disconnect()
    sub.loop_stop()
    return {"messages": got[0], "per_s": round((got[0] - 1) / (got[2] - got[1]), 1)}


# ---------------------------------------------------------------- fleet driver
class Fleet:
    """The fleet subprocess: `keys` maps device -> key hex (None: plain packets)."""

    def __init__(self, broker, keys, folder):
        keys_path = os.path.join(folder, "keys-%d.json" % len(os.listdir(folder)))
        with open(keys_path, "w") as f:
            json.dump(keys, f)
        self.proc = subprocess.Popen([sys.executable, FLEET, broker.host,
                                      str(broker.port), keys_path],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the fleet of simulated terminals did not get ready")

    def ask(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def sustained(self, seconds, window, what):
        print("bench: %s ..." % what, file=sys.stderr, flush=True)
        self.ask("max 2 %d" % window)                               # warm-up
        cpu0 = time.process_time()
        out = self.ask("max %g %d" % (seconds, window))
        out["server_cpu_ms_per_rating"] = round(
            (time.process_time() - cpu0) * 1000 / max(1, out["ratings"]), 3)
        return out

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


_runs = [0]


def run_tag(letter):
    """A fresh name per run: devices and servers of one run never meet the
    persistent sessions (and queued packets) of an earlier one."""
    _runs[0] += 1
    return "%s%d" % (letter, _runs[0])


def forget_session(broker, client_id):
    """End a server's persistent session after its run. Left behind, the
    broker keeps queueing every later run's uplinks for it (up to the shipped
    max_queued_messages, 100,000) and writes them all at each autosave: a
    0.4-1 s stall of the whole broker every 30 s in the runs that follow."""
    c = paho(client_id)
    c.connect(broker.host, broker.port)
    c.loop_start()
    c.disconnect()
    c.loop_stop()


def plain_keys(n, tag):
    return {"%s-%03d" % (tag, i): None for i in range(n)}


def echo_paho(broker, n_terms, seconds, window, folder):
    """Round-trip ceiling: a bare paho client answers each uplink on the down
    topic at QoS 1 — the hub's MQTT shape with no hub work at all."""
    subscribed = threading.Event()
    tag = run_tag("E")
    c = paho("bench-" + tag, clean_session=False)
    c.max_inflight_messages_set(200)
    c.on_subscribe = lambda *a: subscribed.set()
    c.on_connect = lambda cl, *a: cl.subscribe([(t, 1) for t in topics.hub_subscriptions(HALL)])

    def on_message(client, userdata, msg):
        if msg.topic.endswith("/up"):
            client.publish(msg.topic[:-2] + "down", msg.payload, qos=1)
    c.on_message = on_message
    c.connect(broker.host, broker.port)
    c.loop_start()
    subscribed.wait(10)
    try:
        return plain_fleet_run(broker, n_terms, seconds, window, folder, "bare paho echo", tag)
    finally:
        c.disconnect()
        c.loop_stop()
        forget_session(broker, "bench-" + tag)


def plain_fleet_run(broker, n_terms, seconds, window, folder, what, tag):
    fleet = Fleet(broker, plain_keys(n_terms, tag), folder)
    try:
        return fleet.sustained(seconds, window, what)
    finally:
        fleet.close()


class _EchoConn:
    def __init__(self, send):
        self.receive = send

    def close(self):
        pass


class EchoIngest:
    """Stands in for the ingest to time the transport alone: every packet
    goes straight back to its terminal."""

    def attach(self, transport, label, send):
        return _EchoConn(send)


def echo_transport(broker, n_terms, seconds, window, folder):
    from hub.transports.mqtt_link import MqttLink
    tag = run_tag("L")
    link = MqttLink(EchoIngest(), HALL, broker.host, broker.port, **broker.hub_login(HALL),
                    client_id="bench-" + tag)
    link.start()
    link.wait_connected(10)
    try:
        return plain_fleet_run(broker, n_terms, seconds, window, folder, "transport alone", tag)
    finally:
        link.stop()
        forget_session(broker, "bench-" + tag)


def hub_runs(broker, n_terms, seconds, window, rate, folder, paced_seconds=None):
    from hub.ingest import Ingest
    from hub.services import terminals
    from hub.store import open_db
    from hub.transports.mqtt_link import MqttLink
    path = os.path.join(folder, "hub.db")
    db = open_db(path)
    tag = run_tag("H")
    keys = {"%s-%03d" % (tag, i): terminals.provision(db, "%s-%03d" % (tag, i), "W%03d" % i)
            for i in range(n_terms)}
    ingest = Ingest(path, hall=HALL, flood_rate=1000, flood_burst=1000)
    ingest.start()
    link = MqttLink(ingest, HALL, broker.host, broker.port, **broker.hub_login(HALL),
                    client_id="bench-" + tag)
    link.start()
    link.wait_connected(10)
    fleet = None
    try:
        fleet = Fleet(broker, keys, folder)
        sustained = fleet.sustained(seconds, window, "hub")
        paced = (fleet.ask("paced %g %g" % (rate, paced_seconds or seconds)) if rate
                 else None)
    finally:
        if fleet is not None:
            fleet.close()
        link.stop()
        ingest.stop()
        forget_session(broker, "bench-" + tag)
    stored = db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0]
    errors = link.status()["errors"]
    db.conn.close()
    return {"sustained": sustained, "paced": paced, "stored": stored, "link_errors": errors,
            "writer": dict(ingest.writer.stats)}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--raw-publisher":
        return raw_publisher(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--terminals", type=int, default=50)
    ap.add_argument("--raw", type=int, default=20000, help="messages for the raw ceiling")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--window", type=int, default=8, help="ratings in flight per terminal")
    ap.add_argument("--rate", type=float, default=200, help="ratings/s of the paced run")
    ap.add_argument("--paced-seconds", type=float, default=30, help="length of the paced run")
    ap.add_argument("--rounds", type=int, default=3, help="turns of the three set-ups")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from simulator.broker import MosquittoBroker
    n, sec, win = args.terminals, args.seconds, args.window
    runs = {"echo": [], "transport": [], "hub": []}
    # This VM's speed drifts (other jobs share its 2 cores): the three set-ups
    # are measured in turns, and each figure is the median round.
    work = tempfile.mkdtemp(prefix="mqtt-bench-")

    def sub():
        return tempfile.mkdtemp(dir=work)
    # One user for the whole simulated fleet (hundreds of users would each
    # cost a broker reload): the broker must keep every client's own id.
    with MosquittoBroker(sub(), extra=["use_username_as_clientid false"]) as broker:
        login = broker.observer_login()
        os.environ[LOGIN_ENV] = "%s:%s" % (login["username"], login["password"])
        one_way = measure_ceiling(broker, args.raw)
        for r in range(args.rounds):
            last = r == args.rounds - 1
            runs["echo"].append(echo_paho(broker, n, sec, win, sub()))
            runs["transport"].append(echo_transport(broker, n, sec, win, sub()))
            hub = hub_runs(broker, n, sec, win, args.rate if last else None, sub(),
                           args.paced_seconds)
            runs["hub"].append(hub.pop("sustained"))
    shutil.rmtree(work, ignore_errors=True)
    med = {k: sorted(v, key=lambda x: x["per_s"])[len(v) // 2] for k, v in runs.items()}
    cpu = {k: statistics.median(x["server_cpu_ms_per_rating"] for x in v) for k, v in runs.items()}
    out = {"one_way": one_way, "median": med, "rounds": runs, **hub, "terminals": n,
           "ratio": round(med["hub"]["per_s"] / med["echo"]["per_s"], 3),
           "ratio_one_way": round(med["hub"]["per_s"] / one_way["per_s"], 3),
           "cpu_ratio": round(cpu["echo"] / cpu["hub"], 3)}
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print("raw paho QoS 1 publish -> mosquitto -> subscribe, one way: %.0f msg/s (%d messages)"
          % (one_way["per_s"], one_way["messages"]))
    print("%d terminals, %d in flight each; median of %d rounds (per round: /s)"
          % (n, win, args.rounds))
    for name, key in (("round-trip ceiling: bare paho echo", "echo"),
                      ("transport alone: MqttLink + echo ingest", "transport"),
                      ("hub: MqttLink + Ingest, ack after durable commit", "hub")):
        r = med[key]
        print("  %-49s %5.0f /s  p50 %6s ms  p99 %6s ms  server CPU %.3f ms each  "
              "answers/rating %.2f  (%s)"
              % (name, r["per_s"], r["p50_ms"], r["p99_ms"], cpu[key], r["answers_per_rating"],
                 " ".join("%.0f" % x["per_s"] for x in runs[key])))
        lost = sum(x["unanswered"] for x in runs[key])
        if lost or any(x["client_problems"] for x in runs[key]):
            print("    !! unanswered: %d; terminal client problems: %s"
                  % (lost, [x["client_problems"] for x in runs[key]]))
    print("ratio hub / round-trip ceiling: %.2f (goal >= 0.5); hub / one way: %.2f; "
          "by server CPU per message: %.2f" % (out["ratio"], out["ratio_one_way"], out["cpu_ratio"]))
    p = hub["paced"]
    print("paced %g ratings/s for %gs: p50 %s ms, p99 %s ms, max %s ms (goal p99 < 20 ms)"
          % (args.rate, args.paced_seconds, p["p50_ms"], p["p99_ms"], p["max_ms"]))
    print("last hub round: %d ratings stored; transport errors: %s; writer: %s"
          % (hub["stored"], hub["link_errors"] or "none", hub["writer"]))


if __name__ == "__main__":
    main()
