"""`pingjia demo`: the whole system on one machine, on the embedded defaults.

Starts, in this order:
  - the simulated provincial 好差评 platform (Zhejiang dialect) on loopback;
  - a mosquitto broker on a free loopback port with the shipped hall config;
  - the hall hub (`pingjia hub`, its own process) with SQLite in the demo's data
    directory, its API on http://127.0.0.1:8700 (docs at /docs), forwarding to
    the simulated platform;
  - simulated terminals running the real firmware: some on pty serial lines,
    some over MQTT;
  - a window business system that finishes a case at a random window every few
    seconds (POST /api/v1/invitations), and citizens who read the screen and
    press a button — now and then a bad rating with a reason, now and then no
    press at all.
Every few seconds it prints what happened, and it writes each terminal's screen
to <data>/screens/<device>.png. Ctrl-C (or --duration) stops everything and
prints a summary in which the hub's count and the platform's count must agree.
"""

import os
import random
import shutil
import subprocess
import time

import httpx

from simulator.demo_parts import Citizens, DemoHall
MATTERS = (
    ("330100001000", "个体工商户设立登记"),
    ("330100002000", "企业投资项目备案（基本建设类）"),
    ("330100003000", "居民身份证换领"),
    ("330100004000", "城乡居民基本养老保险参保登记"),
    ("330100005000", "建设工程规划许可证核发"),
)
STAFF = (("A0101", "王芳"), ("A0102", "李明"), ("A0103", "张伟"), ("A0104", "陈静"), ("A0105", "刘洋"),
         ("A0106", "赵磊"))


def register(sub):
    p = sub.add_parser("demo", help="start the whole system: hub, simulated terminals, simulated "
                                    "provincial platform (Ctrl-C stops)")
    p.add_argument("--serial-terminals", type=int, default=3, help="terminals on pty serial lines (3)")
    p.add_argument("--mqtt-terminals", type=int, default=2, help="terminals over MQTT (2)")
    p.add_argument("--every", type=float, default=4.0, help="seconds between finished cases (4)")
    p.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    p.add_argument("--data", default=os.path.join("var", "demo"), help="data directory, wiped at start")
    p.add_argument("--api-port", type=int, default=8700, help="hub API port (0: any free port)")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(run=run)


def run(args):
    rnd = random.Random(args.seed)
    data = os.path.abspath(args.data)
    shutil.rmtree(data, ignore_errors=True)
    hall = DemoHall(data, args.serial_terminals, args.mqtt_terminals, args.api_port)
    hub = None
    try:
        hall.start()
        hub = hall.start_hub()
        _banner(hall)
        return _loop(hall, hub, args, rnd)
    except KeyboardInterrupt:
        return _summary(hall, hub)
    finally:
        if hub is not None and hub.poll() is None:
            hub.terminate()
            try:
                hub.wait(20)
            except subprocess.TimeoutExpired:
                hub.kill()
        hall.close()


def _banner(hall):
    print("pingjia demo is running (Ctrl-C stops):")
    print("  hub API        %s/docs   (token for the demo business system: %s)" % (hall.api, hall.token))
    print("  province       %s/_control/ledger" % hall.platform.url)
    print("  terminals      %s" % ", ".join("%s (%s)" % (t.device_id, t.port or "MQTT")
                                            for t in hall.terminals))
    print("  screens        %s" % os.path.join(hall.data, "screens"))
    print("  hub log        %s" % os.path.join(hall.data, "hub.log"), flush=True)


def _loop(hall, hub, args, rnd):
    client = httpx.Client(base_url=hall.api, headers={"Authorization": "Bearer " + hall.token}, timeout=10)
    citizens = Citizens(hall.terminals, rnd)
    started = time.monotonic()
    next_case, next_report, serial = started, started + 5, 0
    try:
        while True:
            now = time.monotonic()
            if args.duration and now - started >= args.duration:
                break
            if hub.poll() is not None:
                print("the hub stopped (exit %s); see %s" % (hub.returncode, os.path.join(hall.data, "hub.log")))
                return 1
            if now >= next_case:
                serial += 1
                _finish_case(client, hall, rnd, serial)
                next_case = now + args.every * rnd.uniform(0.6, 1.4)
            citizens.step()
            if now >= next_report:
                _report(client, hall)
                next_report = now + 10
            time.sleep(0.1)
    finally:
        client.close()
    return _summary(hall, hub)


def _finish_case(client, hall, rnd, serial):
    window = rnd.choice(hall.windows)
    code, name = rnd.choice(MATTERS)
    staff_id, staff_name = rnd.choice(STAFF)
    body = {"window": window, "case_serial": "3301002026%010d" % serial, "matter_code": code,
            "matter_name": name, "staff_id": staff_id, "staff_name": staff_name,
            "applicant_kind": rnd.choice(("person", "person", "legal_person")), "timeout_s": 20}
    r = client.post("/api/v1/invitations", json=body)
    if r.status_code >= 400:
        print("  business system: %s -> %s" % (body["case_serial"], r.json().get("message")), flush=True)
    else:
        print("  窗口 %-3s 办结 %s %s（%s %s）" % (window, body["case_serial"], name, staff_id, staff_name), flush=True)


def _counts(client, hall):
    r = client.get("/api/v1/ratings", params={"size": 1})
    stored = r.json().get("total", 0) if r.status_code == 200 else None
    b = client.get("/api/v1/upstream/backlog")
    backlog = b.json() if b.status_code == 200 else {}
    held = hall.platform.ledger.counts()
    return stored, backlog, held


def _report(client, hall):
    stored, backlog, held = _counts(client, hall)
    for t in hall.terminals:
        try:
            t.png(os.path.join(hall.data, "screens", t.device_id + ".png"))
        except Exception:  # a terminal mid-reboot has no frame yet; the next report has it
            pass
    print("  -- ratings stored at the hub: %s | outbox waiting: %s | province holds: %d cases, %d ratings"
          % (stored, backlog.get("pending", 0) + backlog.get("sent", 0), held["cases"], held["ratings"]),
          flush=True)


def _summary(hall, hub):
    if hub is None or hub.poll() is not None:
        return 1
    client = httpx.Client(base_url=hall.api, headers={"Authorization": "Bearer " + hall.token}, timeout=10)
    try:
        deadline = time.monotonic() + 20
        while True:
            stored, backlog, held = _counts(client, hall)
            waiting = backlog.get("pending", 0) + backlog.get("sent", 0)
            if (waiting == 0 and stored == held["ratings"]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        client.close()
    print("summary: %s ratings stored at the hub, %d held by the province, %d waiting, %d dead letters"
          % (stored, held["ratings"], waiting, backlog.get("rejected", 0)), flush=True)
    return 0 if stored == held["ratings"] and waiting == 0 else 1
