"""The hall at work during the attack: a window business system that
finishes a case at a window whenever its terminal is free (one citizen at a
window at a time, as in a hall), and the demo's citizens
(simulator/demo_parts.Citizens), who read the screen and press.

    work = Business(hall, client, rnd)
    work.step()                 # every ~0.1 s: post what is due, press what is due
    work.posted                 # {eid: {"window", "device", "at", "case_serial"}}
    work.shown                  # eids some terminal showed on its screen

`shown` is the terminals' side of "was this case cut off?": an invitation
posted to a terminal that never put it on its screen.
"""

import time

import httpx

from firmware.app.flow import INVITE, LABELS
from simulator.demo import MATTERS, sign_in
from simulator.demo_parts import Citizens

TIMEOUT_S = 20           # the invitation's own timeout on the terminal
GAP_S = (1.0, 4.0)       # between one citizen leaving and the next case there


class Business:
    def __init__(self, hall, client, rnd, prefix="3301002026"):
        self.hall = hall
        self.client = client
        self.rnd = rnd
        self.prefix = prefix
        self.citizens = Citizens(hall.terminals, rnd)
        self.device_of = {w: d for d, w in hall.window_of.items()}
        self.terminal_of = {t.device_id: t for t in hall.terminals}
        self.posted = {}
        self.shown = set()
        self.refused = {}            # code -> n: posts the hub refused
        self.unreachable = 0
        self._serial = 0
        self._next = {w: 0.0 for w in hall.windows}
        self._open = {}               # window -> eid it waits on
        self.signed_in = False
        self.posting = True

    def _free(self, window, now):
        eid = self._open.get(window)
        t = self.terminal_of[self.device_of[window]]
        try:
            screen, showing = t.showing
        except Exception:  # noqa: BLE001 - mid-reboot
            return False
        if showing is not None:
            self.shown.add(showing)
        if screen in (INVITE, LABELS):
            return False
        if eid is not None and eid not in self.shown and now - self.posted[eid]["at"] < TIMEOUT_S + 15:
            return False             # not shown yet: the terminal may be reconnecting
        return now >= self._next[window]

    def step(self):
        now = time.monotonic()
        for window in self.hall.windows:
            if self._free(window, now) and self.posting:
                self._post(window, now)
        self.citizens.step()
        self.citizens.pressed.clear()

    def _post(self, window, now):
        if not self.signed_in:
            try:
                sign_in(self.client, self.hall)
                self.signed_in = True
            except httpx.TransportError:
                self.unreachable += 1
                return
        self._serial += 1
        code, name = self.rnd.choice(MATTERS)
        body = {"window": window, "case_serial": "%s%010d" % (self.prefix, self._serial),
                "matter_code": code, "matter_name": name, "applicant_kind": "person",
                "timeout_s": TIMEOUT_S}
        self._next[window] = now + 1.0
        try:
            r = self.client.post("/api/v1/invitations", json=body)
        except httpx.TransportError:
            self.unreachable += 1
            return
        if r.status_code not in (201, 202):     # 202: stored, its terminal cannot show it now
            answer = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            code = "%d %s" % (r.status_code, answer.get("error", ""))
            self.refused[code] = self.refused.get(code, 0) + 1
            if code.endswith("not_on_duty"):
                self.signed_in = False       # someone signed the staff out: sign in again
            return
        eid = r.json()["id"]
        self.posted[eid] = {"window": window, "device": self.device_of[window], "at": now,
                            "case_serial": body["case_serial"]}
        self._open[window] = eid
        self._next[window] = now + self.rnd.uniform(*GAP_S)
