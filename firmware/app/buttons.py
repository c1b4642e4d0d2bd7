"""Buttons: raw edges -> debounced presses; what a press means for fraud checks.

Debounce. A press is a down edge of a button that is up, at least
debounce_ms after that button's last accepted press; the bounces of a worn
contact (down/up/down within a few ms) therefore make one press.

Fraud signals (docs/DOMAIN.md: flagged for review, never dropped):
  fast  a level pressed less than read_ms after the invitation was drawn:
        nobody reads a case that quickly (a staff member pressing for the
        citizen, or a button held down when the screen changed).
Presses while no invitation is on screen are ignored and counted (`hb.ign`),
so the hub can see a terminal being hammered.
"""


class Debouncer:
    def __init__(self, count, debounce_ms=30):
        self.debounce_ms = debounce_ms
        self._down = [False] * count
        self._last = [None] * count

    def presses(self, edges):
        """[(button, pressed, ms)] -> [(button, ms)] accepted presses, in order."""
        out = []
        for button, pressed, ms in edges:
            if not 0 <= button < len(self._down):
                continue
            if not pressed:
                self._down[button] = False
                continue
            last = self._last[button]
            was_down = self._down[button]
            self._down[button] = True
            if was_down or (last is not None and ms - last < self.debounce_ms):
                continue
            self._last[button] = ms
            out.append((button, ms))
        return out


class PressGuard:
    """Counts ignored presses and names the fraud flags of a level press."""

    def __init__(self, read_ms=600):
        self.read_ms = read_ms
        self.ignored = 0

    def ignore(self):
        self.ignored += 1

    def flags(self, shown_ms, press_ms):
        """-> list of fraud flag tokens for a level press."""
        if press_ms - shown_ms < self.read_ms:
            return ["fast"]
        return []
