"""The combined attack run: one job in which the hall works and is attacked
at once (bench/attack_run.py runs it for minutes, tests/system/test_attack_run.py
for ~40 s; both judge it with tests/support/attack/verdict.py).

    figures, violations = run(seconds=300, data="/tmp/attack", out=print)

What runs, all at the same time, from 127.0.0.1, for SECONDS:
  - the hall (tests/support/attack/hall.py): the simulated platform, mosquitto
    with per-terminal users, `pingjia hub`, real firmware terminals on
    serial cables (each with a wiretap) and over MQTT, rating throughout
    (tests/support/attack/business.py);
  - schemathesis over the live OpenAPI, new seeds each round (api_attacks.py);
  - forged and replayed packets on MQTT and serial, at the broker and at
    the hub (mqtt_attacks.py, serial_attacks.py), bit errors and noise
    bursts on every cable;
  - on a timeline (fractions of SECONDS): hello floods at 0.15 and 0.8, kill -9
    of the hub and a restart at 0.25, a mosquitto restart at 0.4, an API
    flood at 0.5, the platform down from 0.55 for 0.12, answers lost after
    the platform's commit from 0.75.
Then the attacks stop, the citizens finish the presses they began, the hub
drains its outbox, and the verdict is read.
"""

import collections
import os
import random
import shutil
import threading
import time
import warnings

import httpx
from hypothesis.errors import HypothesisDeprecationWarning

from tests.support.attack.api_attacks import ApiAttacks
from tests.support.attack.business import TIMEOUT_S, Business
from tests.support.attack.hall import AttackHall
from tests.support.attack.mqtt_attacks import MqttAttacks
from tests.support.attack.serial_attacks import SerialAttacks
from tests.support.attack.verdict import judge

FLIP_EVERY = 2000          # one flipped bit per 2000 bytes on every cable, both ways
CHAOS_GRACE_S = TIMEOUT_S + 15


class _Run:
    def __init__(self, seconds, data, out, seed):
        self.seconds = seconds
        self.out = out
        self.rnd = random.Random(seed)
        shutil.rmtree(data, ignore_errors=True)
        self.hall = AttackHall(os.path.abspath(data), n_serial=3, n_mqtt=2, seed=seed)
        self.counts = collections.defaultdict(collections.Counter)
        self.answers = collections.Counter()
        self.chaos_windows = []
        self.stop = threading.Event()
        self.threads = []

    def _loop(self, name, every_s, fn):
        """Run FN every EVERY_S until stop, in a thread; an attacker's own
        error is counted (and shown) rather than ending the run."""
        def body():
            while not self.stop.is_set():
                try:
                    fn()
                except Exception as e:  # noqa: BLE001 - see the docstring
                    self.counts["attacker errors"]["%s: %s" % (name, type(e).__name__)] += 1
                self.stop.wait(every_s)
        t = threading.Thread(target=body, name=name, daemon=True)
        t.start()
        self.threads.append(t)

    def _chaos(self, started):
        hall, d = self.hall, self.seconds

        def at(frac):
            self.stop.wait(max(0.0, started + frac * d - time.monotonic()))
            return not self.stop.is_set()

        def window(fn, what):
            a = time.monotonic()
            self.out("  chaos: %s" % what)
            fn()
            self.chaos_windows.append((a, time.monotonic() + CHAOS_GRACE_S))

        def kill_and_restart():
            hall.kill_hub()
            time.sleep(1)
            hall.start_hub()
        if at(0.15):
            self.mqtt.hello_flood(2000, self.mqtt_target)
            self.serial.hello_flood(200)
            self.out("  chaos: hello floods (2000 over MQTT, 200 over serial)")
        if at(0.25):
            window(kill_and_restart, "kill -9 of the hub, restarted")
        if at(0.40):
            window(lambda: hall.broker.restart(downtime=2), "mosquitto restarted (2 s down)")
        if at(0.50):
            self.out("  chaos: API flood")
            self.api.flood(max(3, 0.05 * d))
        if at(0.55):
            self.out("  chaos: the platform is down")
            hall.platform.set_down(True)
            self.stop.wait(0.12 * d)
            hall.platform.set_down(False)
            self.out("  chaos: the platform is back")
        if at(0.75):
            hall.platform.faults.set(lose_after_commit=3)
            self.out("  chaos: the platform loses its next 3 answers after committing")
        if at(0.80):
            self.mqtt.hello_flood(2000, self.mqtt_target)
            self.out("  chaos: hello flood (2000 over MQTT)")

    def _progress(self):
        w = len(self.hall.witness.ratings)
        held = self.hall.platform.ledger.counts()["ratings"]
        self.out("  -- %d ratings pressed, %d cases posted, platform holds %d, HTTP answers %d"
                 % (w, len(self.work.posted), held, sum(self.answers.values())))

    def _stored_all(self):
        from tests.support.attack.verdict import _rows
        db = os.path.join(self.hall.data, "hub.sqlite3")
        stored = set(_rows(db, "SELECT device_id, seq FROM ratings"))
        waiting = _rows(db, "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sent')")[0][0]
        return set(self.hall.witness.ratings) <= stored and waiting == 0

    def go(self):
        hall = self.hall
        hall.start()
        hall.start_hub()
        self.out("attack run: hub %s, broker %s:%d, platform %s, terminals %s"
                 % (hall.api, hall.broker.host, hall.broker.port, hall.platform.url,
                    ", ".join("%s (%s)" % (t.device_id, "serial" if t.port else "MQTT")
                              for t in hall.terminals)))
        client = httpx.Client(base_url=hall.api, headers={"Authorization": "Bearer " + hall.token},
                              timeout=5)
        self.work = Business(hall, client, self.rnd)
        self.serial_target, self.mqtt_target = hall.targets
        self.mqtt = MqttAttacks(hall, self.counts, self.rnd)
        self.serial = SerialAttacks(hall, self.counts, random.Random(self.rnd.random()))
        self.api = ApiAttacks(hall.api, hall.token, self.answers, random.Random(self.rnd.random()))
        try:
            self._attack_phase()
            self._drain_phase()
            self.mqtt.settle()
            self.serial.settle()
        finally:
            self.stop.set()
            self.mqtt.close()
            self.serial.close()
            client.close()
        with open(os.path.join(hall.data, "hub.log"), encoding="utf-8", errors="replace") as f:
            hub_log = f.read()
        ev = {"witness": hall.witness, "db_path": os.path.join(hall.data, "hub.sqlite3"),
              "platform": hall.platform, "business": self.work, "chaos_windows": self.chaos_windows,
              "targets": hall.targets, "answers": self.answers, "api": self.api,
              "counts": self.counts, "hall": hall, "hub_log": hub_log,
              # kill -9 and restart, broker restart: each one new connect of the hub
              "mqtt_chaos": len(self.chaos_windows)}
        return judge(ev)

    def _attack_phase(self):
        started = time.monotonic()
        self.serial.line_noise(FLIP_EVERY)
        self.api.start_schemathesis(self.stop)
        self._loop("mqtt-broker", 5.0, lambda: self.mqtt.broker_round(self.hall.targets))
        self._loop("mqtt-hub", 1.5, lambda: [self.mqtt.hub_round(t) for t in self.hall.targets])
        self._loop("mqtt-replay", 3.0, lambda: self.mqtt.replay(self.mqtt_target))
        self._loop("serial", 3.0, lambda: self.serial.round(self.serial_target))
        self._loop("serial-noise", 2.0, self.serial.noise)
        chaos = threading.Thread(target=self._chaos, args=(started,), name="chaos", daemon=True)
        chaos.start()
        next_report = started + 15
        while time.monotonic() - started < self.seconds:
            self.hall.watch()
            self.work.step()
            if time.monotonic() >= next_report:
                self._progress()
                next_report += 15
            time.sleep(0.1)
        self.stop.set()
        self.out("attack run: attacks stop; the citizens finish, the hub drains")
        chaos.join(120)
        for t in self.threads:
            t.join(30)
        self.api.join(120)
        self.serial.line_noise(0)
        self.hall.platform.set_down(False)
        self.hall.platform.faults.set(lose_after_commit=0)

    def _drain_phase(self, finish_s=8, drain_s=180):
        self.work.posting = False
        end = time.monotonic() + finish_s
        while time.monotonic() < end:
            self.hall.watch()
            self.work.step()
            time.sleep(0.1)
        end = time.monotonic() + drain_s
        while time.monotonic() < end and not self._stored_all():
            self.work.step()
            time.sleep(0.5)
        self._progress()


def run(seconds, data, out=print, seed=1):
    """-> (figures, violations) of one combined attack run of SECONDS."""
    # schemathesis draws while other threads of the run use their own
    # random.Random: hypothesis takes that for a strategy using `random`.
    warnings.filterwarnings("ignore", category=HypothesisDeprecationWarning)
    r = _Run(seconds, data, out, seed)
    try:
        return r.go()
    finally:
        r.hall.close()
