"""Screenshots of every console page for docs/console/, from a live demo hall.

    .venv/bin/python -m simulator.tools.console_screens [--out docs/console]

Starts a small hall (simulator/demo_parts.py DemoHall: platform, broker, three
terminals running the real firmware, the hub), signs staff in, has citizens
rate a few cases (one 非常不满意 with a reason, while the feed is open, and
one rating the platform refuses, so the upstream page has a dead letter),
then takes each page in headless Chromium (/usr/bin/chromium) at a desk
monitor's width, and the overview and the feed at a tablet's too.
"""

import argparse
import os
import time

import httpx
from playwright.sync_api import sync_playwright

from firmware.app.flow import IDLE, INVITE, LABELS
from simulator.demo_parts import DEMO_PASSWORD, REPO, DemoHall

DESK = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
# (console path, file) of the pages taken one after the other at the desk width
PAGES = (("/", "overview.png"), ("/terminals", "terminals.png"), ("/terminals/T0001", "terminal.png"),
         ("/upstream", "upstream.png"), ("/statistics", "statistics.png"),
         ("/rectifications", "rectifications.png"))


def _wait(t, screen, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and t.showing[0] != screen:
        time.sleep(0.05)


def _case(http, window, serial, matter, staff):
    http.post("/api/v1/invitations", json={
        "window": window, "case_serial": serial, "matter_code": "330100001000",
        "matter_name": matter, "staff_id": staff[0], "staff_name": staff[1],
        "applicant_kind": "person", "timeout_s": 120})


def _rate(t, button, label=False):
    _wait(t, INVITE)
    t.press(button)
    if label:
        _wait(t, LABELS)
        t.press(2)
        time.sleep(0.3)
        t.press(3)
    _wait(t, IDLE, 15)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "console"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import tempfile
    hall = DemoHall(tempfile.mkdtemp(prefix="console-shots-"), 2, 1, 0)
    try:
        hall.start()
        hall.start_hub()
        http = httpx.Client(base_url=hall.api, timeout=10,
                            headers={"Authorization": "Bearer " + hall.token})
        staff = [("A0101", "王芳"), ("A0102", "李明"), ("A0103", "张伟")]
        for w, s in zip(hall.windows, staff):
            http.post("/api/v1/windows/%s/sign-in" % w, json={"staff_id": s[0], "staff_name": s[1]})
        n = 0
        for rnd, buttons in enumerate(((0, 1, 0), (1, 0, 2))):
            for w, t, b, s in zip(hall.windows, hall.terminals, buttons, staff):
                n += 1
                _case(http, w, "SHOT-%04d" % n, "个体工商户设立登记", s)
                _rate(t, b)
        hall.platform.faults.set(reject=1, reject_reason="办件编号不符合编码规则（模拟）")
        n += 1
        _case(http, "3", "SHOT-%04d" % n, "居民身份证换领", staff[2])
        _rate(hall.terminals[2], 0)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            page = browser.new_page(viewport=DESK)
            page.goto(hall.api + "/console/login")
            page.screenshot(path=os.path.join(args.out, "login.png"))
            page.fill("input[name=name]", "admin")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/console/")
            page.goto(hall.api + "/console/feed")
            page.wait_for_function("() => document.getElementById('feed-state').textContent "
                                   "=== '已连接'")
            n += 1
            _case(http, "2", "SHOT-%04d" % n, "企业投资项目备案（基本建设类）", staff[1])
            _rate(hall.terminals[1], 4, label=True)
            page.locator("#alerts .alert-item").first.wait_for(timeout=10000)
            page.screenshot(path=os.path.join(args.out, "feed.png"), full_page=True)
            for path, name in PAGES:
                page.goto(hall.api + "/console" + path)
                page.screenshot(path=os.path.join(args.out, name), full_page=True)
            page.locator("a[href^='/console/rectifications/']").first.click()
            page.wait_for_load_state()
            page.screenshot(path=os.path.join(args.out, "rectification.png"), full_page=True)
            page.set_viewport_size(TABLET)
            page.goto(hall.api + "/console/")
            page.screenshot(path=os.path.join(args.out, "overview-tablet.png"), full_page=True)
            browser.close()
    finally:
        hall.close()
    print("screenshots in %s" % args.out)


if __name__ == "__main__":
    main()
