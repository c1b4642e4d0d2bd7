"""The rating flow, sans-IO: inputs with a time in, effects out.

    idle --inv--> invitation --level 5/4/3--> thanks --thanks tmo--> idle
                      |   +--level 2/1--> labels --done/other--> thanks
                      |                     |
                      +-- inv timeout ------+-- labels timeout --> timeout event, idle
    cancel (from the hub) at invitation or labels: idle, no event.

Every call returns a list of effects for the driver (app/main.py, Terminal._run), in order:
  ("record", msg)         a `rating` or `timeout` for the journal: fields
                          eid, cs (+ lv, lb, oth, lsv, dp, ff); the driver adds
                          the clocks (the link adds seq, org and mid at each
                          send: app/record.py). The driver appends it to the
                          journal before it carries out any later effect, so
                          a rating is on flash before the screen says thanks.
  ("screen", name, args)  draw screen `name` (idle, invitation, labels,
                          thanks) with the dict `args`.

Buttons: 0..4 left to right. On the invitation they are the levels
非常满意 (5) .. 非常不满意 (1); on the labels screen they are up, down,
toggle, done, other. One rating per invitation: once a level is taken the
level buttons are gone, and a finished or cancelled invitation's eid is
remembered, so the hub resending the same `inv` shows nothing again.

Rules chosen where the hall rules are silent:
- A new invitation while one is open (invitation or labels shown) closes
  the open one as a `timeout` event with why=sup ("superseded": the hub
  sees it for the old eid, then the ack of the new one, and records the old
  one as superseded, not timed out) and shows the new one. A level
  pressed but without reasons yet is not a rating (upstream refuses a bad
  rating without reasons), so nothing is invented from it.
- Labels not finished in time: a `timeout` event, as for no press at all;
  the hub may then print the QR receipt so the citizen can rate with
  reasons on a phone. No reason is ever invented, not even "other".
- `done` with nothing chosen does nothing but say so (hint "need_label");
  `other` finishes with oth=true plus whatever labels were chosen.
- A press older than the invitation on screen (its edge came before the
  invitation was drawn: the citizen pressed at what was there before, and
  the button edges of a round are read after the hub's messages of the
  round before) is ignored and counted like a press with nothing to rate.
  Taken as a level it would give a negative decision time, which no
  record may carry: the ui task would die on it.
- Cancel of the open invitation: idle at once, no event (the hub knows).
  Cancel after the rating was recorded: the rating stands (it is on flash
  and will be delivered); the thanks screen stays.
"""

from protocol import domain
from protocol.catalogue import MAX_LABELS_PER_RATING, WHY_SUPERSEDED

IDLE = "idle"
INVITE = "invitation"
LABELS = "labels"
THANKS = "thanks"

LEVEL_OF_BUTTON = (5, 4, 3, 2, 1)
UP, DOWN, TOGGLE, DONE, OTHER = 0, 1, 2, 3, 4
RECENT = 8          # finished invitation ids remembered against resends


def _ceil_s(ms):
    return (ms + 999) // 1000 if ms > 0 else 0


class Flow:
    def __init__(self, config, guard):
        self.config = config
        self.guard = guard
        self.state = IDLE
        self.inv = None
        self.shown = 0          # ms the invitation was drawn
        self.deadline = None    # ms the current screen times out
        self.level = None
        self.dp = 0
        self.ff = []
        self.items = []
        self.cursor = 0
        self.chosen = []
        self.hint = None
        self.duty = {"st": "on"}
        self._secs = None
        self._recent = []

    # -- inputs ----------------------------------------------------------

    def invite(self, inv, now, to_ms=None):
        eid = inv["eid"]
        if (self.inv is not None and self.inv["eid"] == eid and self.state != IDLE) \
                or eid in self._recent:
            return []           # the hub resent what we have: one rating per invitation
        fx = []
        if self.state in (INVITE, LABELS):
            fx.append(self._timeout_event(WHY_SUPERSEDED))
        self.inv = inv
        self.state = INVITE
        self.shown = now
        self.deadline = now + (to_ms if to_ms is not None else inv["to"] * 1000)
        self.level = None
        self._secs = None
        fx.append(self._invitation_screen(now))
        return fx

    def cancel(self, eid, now):
        if self.inv is None or self.inv["eid"] != eid or self.state not in (INVITE, LABELS):
            return []
        self._finish()
        return [self._idle_screen()]

    def set_duty(self, duty, now):
        self.duty = duty
        if self.state == IDLE:
            return [self._idle_screen()]
        return []

    def press(self, button, now):
        if self.state == INVITE and now >= self.shown:
            return self._level_press(LEVEL_OF_BUTTON[button], now)
        if self.state == LABELS:
            return self._label_press(button, now)
        self.guard.ignore()
        return []

    def tick(self, now):
        if self.deadline is None or self.state == IDLE:
            return []
        if now >= self.deadline:
            if self.state == THANKS:
                self.state = IDLE
                self.deadline = None
                return [self._idle_screen()]
            ev = self._timeout_event()
            return [ev, self._idle_screen()]
        if self.state == INVITE and _ceil_s(self.deadline - now) != self._secs:
            return [self._invitation_screen(now)]
        return []

    def redraw(self, now):
        """The effect that draws the current screen again (after a reboot of
        the display, a config change, a link status change)."""
        if self.state == INVITE:
            return [self._invitation_screen(now)]
        if self.state == LABELS:
            return [self._labels_screen()]
        if self.state == THANKS:
            return [("screen", THANKS, {"level": self.level})]
        return [self._idle_screen()]

    # -- steps -------------------------------------------------------------

    def _level_press(self, level, now):
        self.level = level
        self.dp = now - self.shown
        self.ff = self.guard.flags(self.shown, now)
        if domain.is_bad(level):
            self.state = LABELS
            self.items = self.config.labels_for(level)
            self.cursor = 0
            self.chosen = []
            self.hint = None
            self.deadline = now + self.config.timeout("labels")
            return [self._labels_screen()]
        return self._rated(now, [], False)

    def _label_press(self, button, now):
        self.deadline = now + self.config.timeout("labels")   # the citizen is still there
        self.hint = None
        n = len(self.items)
        if button == UP and n:
            self.cursor = (self.cursor - 1) % n
        elif button == DOWN and n:
            self.cursor = (self.cursor + 1) % n
        elif button == TOGGLE and n:
            code = self.items[self.cursor][0]
            if code in self.chosen:
                self.chosen.remove(code)
            elif len(self.chosen) < MAX_LABELS_PER_RATING:
                self.chosen.append(code)
            else:
                self.hint = "too_many"
        elif button == DONE:
            if self.chosen:
                return self._rated(now, self.chosen, False)
            self.hint = "need_label"
        elif button == OTHER:
            return self._rated(now, self.chosen, True)
        return [self._labels_screen()]

    def _rated(self, now, labels, other):
        inv = self.inv
        msg = {"t": "rating", "eid": inv["eid"], "cs": inv["cs"], "lv": self.level,
               "lsv": self.config.lsv, "dp": self.dp}
        if labels:
            msg["lb"] = list(labels)
        if other:
            msg["oth"] = True
        if self.ff:
            msg["ff"] = self.ff
        self._finish()
        self.state = THANKS
        self.deadline = now + self.config.timeout("thanks")
        return [("record", msg), ("screen", THANKS, {"level": msg["lv"]})]

    def _timeout_event(self, why=None):
        inv = self.inv
        self._finish()
        msg = {"t": "timeout", "eid": inv["eid"], "cs": inv["cs"]}
        if why is not None:
            msg["why"] = why
        return ("record", msg)

    def _finish(self):
        self._recent.append(self.inv["eid"])
        if len(self._recent) > RECENT:
            self._recent.pop(0)
        self.state = IDLE
        self.deadline = None

    # -- screens -----------------------------------------------------------

    def _invitation_screen(self, now):
        self._secs = _ceil_s(self.deadline - now)
        return ("screen", INVITE, {"inv": self.inv, "secs": self._secs})

    def _labels_screen(self):
        # The screen pages the list itself (rows differ in height), following the cursor.
        return ("screen", LABELS, {"level": self.level, "items": self.items,
                                   "cursor": self.cursor, "chosen": list(self.chosen),
                                   "hint": self.hint})

    def _idle_screen(self):
        return ("screen", IDLE, {"duty": self.duty})
