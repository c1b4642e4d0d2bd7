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
It makes two console accounts (simulator/demo_parts.py DEMO_ACCOUNTS: admin and
manager, password DEMO_PASSWORD) and prints the console's address with them.
Each window has its own staff member for the demo's shift, signed in through
the API (POST /api/v1/windows/{w}/sign-in): the terminals' idle screens show
them, and invitations carry them. It prints every finished case and what each
citizen pressed, every few seconds the counts, and it writes each terminal's
screen to <data>/screens/<device>.png. At start it prints the line that points
the hall-IT commands at the demo's hub (PINGJIA_CONFIG=<data>/hub.toml).

Ctrl-C (SIGINT), SIGTERM or --duration stop it the same way: it prints a
summary (the hub's count and the platform's count must agree; cases never
rated, by state), then stops the hub, mosquitto and the simulated terminals
and platform. The hub and mosquitto run in sessions of their own, so that a
Ctrl-C at the terminal reaches the demo alone and they live until the summary.
"""

import os
import random
import shlex
import shutil
import signal
import time

import httpx

from hub.commands.invitations import STATE_ZH
from hub.services import invitation_states as states
from protocol.domain import LEVEL_NAMES
from simulator.demo_parts import DEMO_PASSWORD, REPO, Citizens, DemoHall
MATTERS = (
    ("330100001000", "个体工商户设立登记"),
    ("330100002000", "企业投资项目备案（基本建设类）"),
    ("330100003000", "居民身份证换领"),
    ("330100004000", "城乡居民基本养老保险参保登记"),
    ("330100005000", "建设工程规划许可证核发"),
)
# One staff member per window for the shift (more windows: numbered staff).
STAFF = (("A0101", "王芳"), ("A0102", "李明"), ("A0103", "张伟"), ("A0104", "陈静"), ("A0105", "刘洋"),
         ("A0106", "赵磊"))
SUMMARY_WAIT_S = 20        # for the platform to catch up at the end of a --duration run
SUMMARY_WAIT_STOPPING_S = 5  # after a signal: whoever sent it wants the demo gone soon


def register(sub):
    p = sub.add_parser("demo", help="start the whole system: hub, simulated terminals, simulated "
                                    "provincial platform (Ctrl-C or SIGTERM stops)")
    p.add_argument("--serial-terminals", type=int, default=3, help="terminals on pty serial lines (3)")
    p.add_argument("--mqtt-terminals", type=int, default=2, help="terminals over MQTT (2)")
    p.add_argument("--every", type=float, default=4.0, help="seconds between finished cases (4)")
    p.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)")
    p.add_argument("--data", default=os.path.join("var", "demo"), help="data directory, wiped at start")
    p.add_argument("--api-port", type=int, default=8700, help="hub API port (0: any free port)")
    p.add_argument("--seed", type=int, default=None)
    p.set_defaults(run=run)


class Stopped(Exception):
    """A signal asked the demo to stop: SIGTERM, or SIGINT (Ctrl-C)."""


class _Signals:
    """SIGTERM and SIGINT stop the demo alike. The first one raises Stopped in
    the main thread, out of whatever it waits on; from calm() on a signal only
    sets `hurry` (the summary stops waiting), so that stopping the hub and the
    broker is never cut short and leaves nothing running."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self):
        self.hurry = False
        self._old = {s: signal.signal(s, self._stop) for s in self.SIGNALS}

    def _stop(self, signum, frame):
        self.calm()
        raise Stopped(signal.Signals(signum).name)

    def _hurry(self, signum, frame):
        self.hurry = True

    def calm(self):
        for s in self.SIGNALS:
            signal.signal(s, self._hurry)

    def restore(self):
        for s, handler in self._old.items():
            signal.signal(s, handler)


def run(args):
    signals = _Signals()
    rnd = random.Random(args.seed)
    data = os.path.abspath(args.data)
    shutil.rmtree(data, ignore_errors=True)
    hall = DemoHall(data, args.serial_terminals, args.mqtt_terminals, args.api_port)
    hub = None
    try:
        try:
            hall.start()
            hub = hall.start_hub()
            _banner(hall, hub)
            failed = _loop(hall, hub, args, rnd)
            if failed:
                return failed
            wait_s = SUMMARY_WAIT_S
        except Stopped as e:
            print("demo: %s, stopping (正在停止)" % e, flush=True)
            wait_s = SUMMARY_WAIT_STOPPING_S
        signals.calm()
        return _summary(hall, hub, wait_s, signals)
    finally:
        signals.calm()
        hall.close()            # the hub too, even one still starting when the signal came
        signals.restore()
        print("demo: stopped: hub, broker, terminals and platform (已全部停止)", flush=True)


def cli_line(hall, command="terminals"):
    """The shell line that runs a hall-IT command on the demo's hub."""
    here = os.path.realpath(os.getcwd()) == os.path.realpath(REPO)
    launcher = "./pingjia" if here else shlex.quote(os.path.join(REPO, "pingjia"))
    return "PINGJIA_CONFIG=%s %s %s" % (shlex.quote(hall.config_path), launcher, command)


def _banner(hall, hub):
    print("pingjia demo is running (Ctrl-C or SIGTERM stops):")
    print("  console        %s/console/   (sign in: admin / %s, hall IT; or manager / %s, read "
          "only)" % (hall.api, DEMO_PASSWORD, DEMO_PASSWORD))
    print("  hub API        %s/docs   (token for the demo business system: %s)" % (hall.api, hall.token))
    print("  hall-IT CLI    %s" % cli_line(hall))
    print("  province       %s/_control/ledger" % hall.platform.url)
    print("  broker         mqtt://%s:%d" % (hall.broker.host, hall.broker.port))
    print("  terminals      %s" % ", ".join("%s (%s)" % (t.device_id, t.port or "MQTT")
                                            for t in hall.terminals))
    print("  screens        %s" % os.path.join(hall.data, "screens"))
    print("  hub log        %s" % os.path.join(hall.data, "hub.log"))
    print("  processes      hub pid %d, mosquitto pid %d" % (hub.pid, hall.broker.proc.pid), flush=True)


def _client(hall):
    return httpx.Client(base_url=hall.api, headers={"Authorization": "Bearer " + hall.token}, timeout=10)


def staff_of(i):
    """The staff member of the I-th window (from 0): one person per window."""
    if i < len(STAFF):
        return STAFF[i]
    return "A%04d" % (101 + i), "%s%d" % (STAFF[i % len(STAFF)][1], i // len(STAFF) + 1)


def sign_in(client, hall):
    """Each window's own staff member starts the shift there (签到)."""
    for i, window in enumerate(hall.windows):
        staff_id, staff_name = staff_of(i)
        r = client.post("/api/v1/windows/%s/sign-in" % window,
                        json={"staff_id": staff_id, "staff_name": staff_name})
        if r.status_code >= 400:
            print("  窗口 %-3s 签到 sign-in refused: %s" % (window, r.json().get("message")), flush=True)
        else:
            print("  窗口 %-3s 签到 %s %s" % (window, staff_id, staff_name), flush=True)


def _loop(hall, hub, args, rnd):
    client = _client(hall)
    citizens = Citizens(hall.terminals, rnd)
    started = time.monotonic()
    next_case, next_report, serial = started, started + 5, 0
    try:
        sign_in(client, hall)
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
            _print_presses(hall, citizens)
            if now >= next_report:
                _report(client, hall)
                next_report = now + 10
            time.sleep(0.1)
    finally:
        client.close()
    return None


def _finish_case(client, hall, rnd, serial):
    # No staff in the call: the hub puts in whoever is signed in at the window.
    window = rnd.choice(hall.windows)
    code, name = rnd.choice(MATTERS)
    body = {"window": window, "case_serial": "3301002026%010d" % serial, "matter_code": code,
            "matter_name": name, "applicant_kind": rnd.choice(("person", "person", "legal_person")),
            "timeout_s": 20}
    r = client.post("/api/v1/invitations", json=body)
    inv = r.json()
    if r.status_code >= 400:
        print("  business system: %s -> %s" % (body["case_serial"], inv.get("message")), flush=True)
    else:
        print("  窗口 %-3s 办结 %s %s（%s %s）" % (window, body["case_serial"], name, inv["staff_id"],
                                              inv["staff_name"]), flush=True)


def _print_presses(hall, citizens):
    """One line per citizen: what they pressed, or that they left without rating."""
    while citizens.pressed:
        device, level, label = citizens.pressed.pop(0)
        where = "  窗口 %-3s %s" % (hall.window_of.get(device, "?"), device)
        if level is None:
            print("%s 未评价，离开 (left without rating)" % where, flush=True)
        elif label:
            print("%s 评价 %s，原因：%s" % (where, LEVEL_NAMES[level], label), flush=True)
        else:
            print("%s 评价 %s" % (where, LEVEL_NAMES[level]), flush=True)


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


LIST_LIMIT = 1000          # the API's largest page of invitations


def _by_state(client):
    """{state: number of invitations in it} (LIST_LIMIT at most each)."""
    out = {}
    for state in states.ALL:
        r = client.get("/api/v1/invitations", params={"state": state, "limit": LIST_LIMIT})
        out[state] = len(r.json().get("items", ())) if r.status_code == 200 else 0
    return out


def _summary(hall, hub, wait_s, signals):
    if hub is None or hub.poll() is not None:
        print("summary: none: %s" % ("stopped before the hub answered" if hub is None else
                                     "the hub is not running (exit %s)" % hub.returncode), flush=True)
        return 1
    client = _client(hall)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            stored, backlog, held = _counts(client, hall)
            waiting = backlog.get("pending", 0) + backlog.get("sent", 0)
            if (waiting == 0 and stored == held["ratings"]) or time.monotonic() > deadline \
                    or signals.hurry:
                break
            time.sleep(0.5)
        counts = _by_state(client)
    finally:
        client.close()
    print("summary: %s ratings stored at the hub, %d held by the province, %d waiting, %d dead letters"
          % (stored, held["ratings"], waiting, backlog.get("rejected", 0)), flush=True)
    never = ["%s %d" % (STATE_ZH[s], n) for s, n in counts.items() if s != states.RATED and n]
    print("summary: %d cases finished (办结), %d rated; never rated 未评价: %s"
          % (sum(counts.values()), counts[states.RATED], ", ".join(never) or "none"), flush=True)
    return 0 if stored == held["ratings"] and waiting == 0 else 1
