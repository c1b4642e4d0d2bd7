"""Attacks over serial: a hostile device on a line of its own, and a probe
on the real terminals' cables (tests/support/attack/serial_tap.py).

    serial = SerialAttacks(hall, counts, rnd)
    serial.round(target)          # spoofed hello, forged handshake, unknown id, replays
    serial.noise()                # a burst of garbage on every cable
    serial.hello_flood(n)
    serial.close()

The hostile device speaks the real link layer (protocol.arq through
tests/support/hub_peer.PtyLink) and the real handshake with a made-up key,
so what it sends reaches the hub's session layer: a hello with the target's
id (the target's live session on its own cable must survive it), a
completed-looking handshake with the wrong key, an unknown id. Replays are
frames the target itself sent, captured on its cable and sent again there:
the ARQ's and the seal's counters must drop them. Outcomes are the hub's
answers (nack codes, or none).
"""

import os
import queue

from protocol.errors import ProtocolError

from tests.support.hub_peer import PtyLink, Terminal
from tests.support.attack.mqtt_attacks import FORGED_PREFIX, forged_hello


class SerialAttacks:
    def __init__(self, hall, counts, rnd):
        self.hall = hall
        self.counts = counts
        self.rnd = rnd
        self._n = 0
        self.inbox = queue.Queue()
        self.link = PtyLink(hall.attacker_line, self.inbox.put)
        self.flip_every = 0

    def _terminal(self, device):
        t = Terminal(device, os.urandom(32), out=self.link.send)
        t.inbox = self.inbox
        return t

    def _answer(self, attack, t, forged):
        """Run one handshake attempt and count what the hub answered."""
        self.counts[attack]["sent"] += 1
        try:
            answer = t.forged_handshake(timeout=3) if forged else t.handshake(timeout=3)
        except (AssertionError, queue.Empty, RuntimeError):
            self.counts[attack]["no answer"] += 1
            return
        except ProtocolError as e:
            # A chal whose hub proof the impostor cannot check: it lacks the key.
            self.counts[attack]["chal it cannot check (%s)" % e.code] += 1
            return
        self.counts[attack]["%s %s" % (answer.get("t"), answer.get("code", ""))] += 1

    def round(self, target):
        self._n += 1
        # Drain what earlier attempts left: answers are matched by mid.
        while not self.inbox.empty():
            self.inbox.get_nowait()
        self._answer("serial.spoofed_hello", self._terminal(target), forged=False)
        self._answer("serial.forged_handshake", self._terminal(target), forged=True)
        self._answer("serial.unknown_device",
                     self._terminal("%sS%05d" % (FORGED_PREFIX, self._n)), forged=False)
        tap = self.hall.taps[target]
        self.counts["serial.replayed_frames"]["sent"] += tap.replay(self.rnd.randrange(1, 6))

    def noise(self, n=64):
        for tap in self.hall.taps.values():
            tap.garbage(self.rnd.randrange(8, n))
        self.counts["serial.noise_bursts"]["sent"] += len(self.hall.taps)

    def line_noise(self, flip_every):
        """Bit errors on every cable, both ways: one flipped bit per FLIP_EVERY bytes."""
        for tap in self.hall.taps.values():
            tap.flip_every = flip_every

    def hello_flood(self, n):
        for i in range(n):
            dev = "%sG%05d" % (FORGED_PREFIX, self._n * 1000 + i)
            try:
                self.link.send(forged_hello(dev))
            except RuntimeError:
                self.counts["flood.serial_hello"]["link queue full"] += 1
                break
            self.counts["flood.serial_hello"]["sent"] += 1

    def settle(self):
        for device, tap in self.hall.taps.items():
            for k, v in tap.counts.items():
                self.counts["serial line %s" % device][k] = v

    def close(self):
        self.link.stop()
