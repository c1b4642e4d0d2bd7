"""Press-to-browser latency of the console's bad-review alert.

    .venv/bin/python bench/console_alert_bench.py [--serial 4] [--mqtt 16]
        [--browsers 5] [--rounds 5]

A live hall (simulator/demo_parts.py DemoHall: simulated platform, mosquitto,
terminals running the real firmware on pty serial lines and over MQTT,
`pingjia hub` in its own process) and B headless Chromium pages (Debian's
/usr/bin/chromium through Playwright) signed in to the console's live feed.
Each round invites every window, then a citizen at every window presses
非常不满意 with a reason, all at about the same time (one thread per
terminal). The time of the press that makes the rating (time.time() just
before it) is paired with the time each browser's alert box appeared
(Date.now() in a MutationObserver, same machine clock), per window and
round, and split at the hub's commit time (ratings.received_at): press ->
stored is the terminal, its link and the hub's writer; stored -> browser is
the console (event log, stream, page). Prints count, median, p95, p99 and
max over every (rating, browser) pair. The goal is a p99 under 2 s.
--stagger S spreads the presses of a round over S seconds (0: all windows
press within the same moment, the worst case).
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from firmware.app.flow import INVITE, LABELS  # noqa: E402
from hub.services import users  # noqa: E402
from hub.store import open_db  # noqa: E402
from simulator.demo_parts import DemoHall  # noqa: E402

PASSWORD = "bench-password-1"
OBSERVE = """() => { window.__alerts = [];
  new MutationObserver((records) => { for (const r of records) for (const n of r.addedNodes)
    if (n.classList && n.classList.contains('alert-item'))
      window.__alerts.push([n.dataset.window, Date.now()]); })
  .observe(document.getElementById('alerts'), {childList: true}); }"""


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def wait_screen(t, screen, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if t.showing[0] == screen:
            return True
        time.sleep(0.01)
    return False


def citizen(t, presses, window, errors, delay_s):
    try:
        time.sleep(delay_s)
        if not wait_screen(t, INVITE, 60):
            raise RuntimeError("%s never showed the invitation" % t.device_id)
        t.press(4)
        if not wait_screen(t, LABELS, 30):
            raise RuntimeError("%s never showed the reasons" % t.device_id)
        t.press(2)
        time.sleep(0.3)
        presses[window] = time.time()
        t.press(3)
    except Exception as e:       # a terminal that failed: reported, the others measured
        errors.append("%s: %s" % (t.device_id, e))


class StreamReader(threading.Thread):
    """The feed's stream read by plain Python (no browser): when each rating's
    event arrived, by window, to split the hub's part from the browsers'."""

    def __init__(self, base):
        super().__init__(daemon=True)
        self.client = httpx.Client(base_url=base, timeout=None)
        r = self.client.post("/console/login", data={"name": "bench", "password": PASSWORD})
        assert r.status_code == 303, r.text
        self.arrived = []           # (window, epoch s)

    def run(self):
        try:
            with self.client.stream("GET", "/console/feed/stream") as r:
                for line in r.iter_lines():
                    if line.startswith("data: {") and '"window"' in line:
                        self.arrived.append((json.loads(line[6:])["window"], time.time()))
        except httpx.HTTPError:     # the hub stopped at the end of the bench
            pass

    def take(self):
        out, self.arrived = self.arrived, []
        return out


def _stored(hall, rnd):
    """window -> when the hub committed its rating of round RND (epoch s)."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(hall.data, "hub.sqlite3"), uri=True,
                         timeout=10)
    try:
        return {cs.split("-", 1)[1]: at / 1000.0 for cs, at in db.execute(
            "SELECT case_serial, received_at FROM ratings WHERE case_serial LIKE ?",
            ("B%d-%%" % rnd,))}
    finally:
        db.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serial", type=int, default=4)
    ap.add_argument("--mqtt", type=int, default=16)
    ap.add_argument("--browsers", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--stagger", type=float, default=0.0,
                    help="citizens press within this many seconds of each other (0: all at once)")
    args = ap.parse_args()
    hall = DemoHall(tempfile.mkdtemp(prefix="console-bench-"), args.serial, args.mqtt, 0)
    samples, errors, lost = [], [], 0
    to_store, to_browser = [], []       # the same, split at the hub's commit
    to_stream = []                      # stored -> a plain Python reader of the stream
    try:
        hall.start()
        db = open_db(os.path.join(hall.data, "hub.sqlite3"))
        users.add(db, "bench", "manager", PASSWORD)
        db.close()
        hall.start_hub()
        http = httpx.Client(base_url=hall.api, timeout=30,
                            headers={"Authorization": "Bearer " + hall.token})
        reader = StreamReader(hall.api)
        reader.start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            pages = []
            for _ in range(args.browsers):
                page = browser.new_context().new_page()
                page.goto(hall.api + "/console/login?next=/console/feed")
                page.fill("input[name=name]", "bench")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url("**/console/feed")
                page.wait_for_function(
                    "() => document.getElementById('feed-state').textContent === '已连接'")
                pages.append(page)
            for rnd in range(args.rounds):
                for page in pages:
                    page.evaluate(OBSERVE)
                for i, window in enumerate(hall.windows):
                    r = http.post("/api/v1/invitations", json={
                        "window": window, "case_serial": "B%d-%s" % (rnd, window),
                        "matter_code": "330100001000", "matter_name": "个体工商户设立登记",
                        "staff_id": "A%04d" % i, "staff_name": "王芳", "applicant_kind": "person",
                        "timeout_s": 300})
                    assert r.status_code in (201, 202), r.text
                presses = {}
                rng = random.Random(rnd)
                threads = [threading.Thread(target=citizen, args=(
                    t, presses, hall.window_of[t.device_id], errors, rng.uniform(0, args.stagger)))
                    for t in hall.terminals]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join()
                time.sleep(3)                         # the slowest alert, with margin
                stored_at = _stored(hall, rnd)
                streamed = {}
                for window, at in reader.take():
                    streamed.setdefault(window, at)
                for window, at in streamed.items():
                    if window in stored_at:
                        to_stream.append(at - stored_at[window])
                for page in pages:
                    seen = {}
                    for window, at in page.evaluate("window.__alerts"):
                        seen.setdefault(window, at / 1000.0)
                    for window, pressed in presses.items():
                        if window in seen:
                            samples.append(seen[window] - pressed)
                            if window in stored_at:
                                to_store.append(stored_at[window] - pressed)
                                to_browser.append(seen[window] - stored_at[window])
                        else:
                            lost += 1
                for t in hall.terminals:              # back to idle before the next round
                    wait_screen(t, "idle", 15)
                time.sleep(1)
            browser.close()
    finally:
        hall.close()
    n = len(hall.terminals)
    print("console alert, press -> browser: %d terminals (%d serial, %d MQTT), %d browsers, "
          "%d rounds" % (n, args.serial, args.mqtt, args.browsers, args.rounds))
    if samples:
        print("  %d alerts seen: median %.3f s, p95 %.3f s, p99 %.3f s, max %.3f s"
              % (len(samples), statistics.median(samples), pct(samples, 95), pct(samples, 99),
                 max(samples)))
    if to_store:
        print("  press -> stored at the hub: median %.3f s, p99 %.3f s; stored -> browser: "
              "median %.3f s, p99 %.3f s" % (statistics.median(to_store), pct(to_store, 99),
                                            statistics.median(to_browser), pct(to_browser, 99)))
    if to_stream:
        print("  stored -> the stream read by Python (no browser): median %.3f s, p99 %.3f s"
              % (statistics.median(to_stream), pct(to_stream, 99)))
    print("  not seen within 3 s: %d; terminal errors: %d %s" % (lost, len(errors), errors[:3]))


if __name__ == "__main__":
    main()
