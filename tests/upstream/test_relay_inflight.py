"""Several calls in flight: the order that matters is kept, and exactly once holds."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from hub import config
from hub.upstream import adapter_class, ADAPTERS, make_adapter
from hub.upstream.pacing import Breaker
from hub.upstream.relay import Relay
from simulator.mpy import REPO_ROOT
from simulator.province.server import ProvincePlatform
from tests.support.poll import wait
from tests.support.upstream import SM4, adapter_config
from tests.upstream.test_relay import drain


@pytest.fixture
def platform():
    p = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    yield p
    p.stop()


def adapter(platform, name, batch=4):
    cfg = adapter_config(platform, name)
    cfg["batch_size"] = batch          # small batches: several calls to overlap
    return make_adapter(cfg)


def relay_for(hall, platform, name, in_flight, **kw):
    kw.setdefault("base_s", 0.01)
    kw.setdefault("cap_s", 0.05)
    kw.setdefault("breaker", Breaker(threshold=3, probe_s=0.02, probe_cap_s=0.1))
    return Relay(hall.db_path, adapter(platform, name), in_flight=in_flight, **kw)


class Arrivals:
    """What the simulated platform wrote, in the order it wrote it, and how
    many requests it was answering at once (its ledger's write methods and
    its request dispatch, observed)."""

    def __init__(self, platform, delay_s=0.02):
        self.lock = threading.Lock()
        self.log = []
        self.now = self.peak = 0
        ledger = platform.ledger
        assert hasattr(ledger, "register_case") and hasattr(ledger, "add_rating")
        case, rating, dispatch = ledger.register_case, ledger.add_rating, platform.dispatch

        def register_case(project_no, step, *a, **kw):
            with self.lock:
                self.log.append(("case", project_no, step))
            return case(project_no, step, *a, **kw)

        def add_rating(project_no, number, *a, **kw):
            with self.lock:
                self.log.append(("rating", project_no, number))
            return rating(project_no, number, *a, **kw)

        def counted(*a, **kw):
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            try:
                if delay_s:
                    time.sleep(delay_s)    # the platform's own work: long enough to overlap
                return dispatch(*a, **kw)
            finally:
                with self.lock:
                    self.now -= 1
        ledger.register_case, ledger.add_rating, platform.dispatch = register_case, add_rating, counted

    def check_order(self):
        """No rating before its case's steps; steps and ratings of a case in order."""
        seen_steps, rated = {}, {}
        for kind, project_no, n in self.log:
            if kind == "case":
                # A step already held may come again (a repeat after a lost
                # answer, or a record that carries its case with the rating);
                # a step first seen after the rating may not.
                if project_no in rated and n in seen_steps.get(project_no, ()):
                    continue
                assert project_no not in rated, "case %s step %s after its rating" % (project_no, n)
                steps = seen_steps.setdefault(project_no, [])
                assert not steps or n >= steps[-1], "steps of %s out of order: %s then %s" % (project_no, steps, n)
                steps.append(n)
            else:
                assert project_no in seen_steps, "rating of %s arrived before its case" % project_no
                assert n >= rated.get(project_no, 0)
                rated[project_no] = n


@pytest.mark.parametrize("name", ADAPTERS)
def test_eight_in_flight_no_rating_before_its_case(hall, platform, name):
    arrivals = Arrivals(platform)
    cases = hall.rated_cases(40)
    relay = relay_for(hall, platform, name, in_flight=8)
    assert drain(relay, hall) == {"accepted": 80}
    arrivals.check_order()
    assert sorted(r["project_no"] for r in platform.ledger.all_ratings()) == sorted(s for s, _ in cases)
    assert arrivals.peak >= 4, "calls were not overlapped (at most %d at once)" % arrivals.peak


def test_thread_keeps_calls_in_flight_and_stops_cleanly(hall, platform):
    arrivals = Arrivals(platform)
    hall.rated_cases(60)
    relay = relay_for(hall, platform, "shandong", in_flight=8, poll_s=0.02).start()
    try:
        wait(lambda: hall.outbox_states() == {"accepted": 120}, 20, "the backlog drained")
    finally:
        relay.stop()
    arrivals.check_order()
    assert arrivals.peak >= 6


@pytest.mark.parametrize("name", ADAPTERS)
def test_lost_answers_with_calls_in_flight_do_not_double(hall, platform, name):
    relay = relay_for(hall, platform, name, in_flight=6)
    invs = [hall.case() for _ in range(24)]
    platform.faults.set(lose_after_commit=5)
    drain(relay, hall)
    platform.faults.set(lose_after_commit=5)
    cases = [(inv["case_serial"], hall.rate(inv)["rating_id"]) for inv in invs]
    assert drain(relay, hall) == {"accepted": 48}
    held = platform.ledger.all_ratings()
    assert sorted(r["project_no"] for r in held) == sorted(s for s, _ in cases)
    # A dialect whose cases travel with their ratings makes no case calls to lose.
    lost = 5 if adapter_class(name).cases_local else 10
    assert platform.faults.snapshot()["served"]["lost"] == lost


RELAY_PROCESS = """
import sys, time
from hub.app import configure_logging
from hub.upstream.relay import Relay
from hub.upstream.pacing import Breaker
from tests.support.upstream import adapter_config
from hub.upstream import make_adapter
configure_logging("debug")
class P: url = sys.argv[2]
cfg = adapter_config(P, sys.argv[3]); cfg["batch_size"] = 2
r = Relay(sys.argv[1], make_adapter(cfg), base_s=0.01, cap_s=0.05, in_flight=int(sys.argv[4]), poll_s=0.01,
          breaker=Breaker(threshold=50, probe_s=0.02, probe_cap_s=0.1)).start()
print("ready", flush=True)
time.sleep(3600)
"""


def kill_mid_drain(db_path, platform, name, until, in_flight=8, log=subprocess.DEVNULL):
    """A relay process draining with IN_FLIGHT calls, killed -9 once the
    platform holds UNTIL ratings (or after 20 s) -> ratings held then."""
    proc = subprocess.Popen([sys.executable, "-c", RELAY_PROCESS, db_path, platform.url, name, str(in_flight)],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        deadline = time.time() + 20
        while platform.ledger.counts()["ratings"] < until and time.time() < deadline:
            time.sleep(0.005)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    return platform.ledger.counts()["ratings"]


@pytest.mark.parametrize("name", ADAPTERS)
def test_kill_9_with_eight_in_flight_then_restart_exactly_once(hall, platform, name):
    cases = hall.rated_cases(60)
    platform.faults.set(delay_s=0.03)
    assert 0 < kill_mid_drain(hall.db_path, platform, name, 15) < 60
    cut_off = hall.outbox_states().get("sent", 0)
    assert cut_off > 0, "the kill should leave calls cut off mid-flight"
    platform.faults.set(delay_s=0)
    assert drain(relay_for(hall, platform, name, in_flight=8), hall) == {"accepted": 120}
    held = platform.ledger.all_ratings()
    assert sorted(r["project_no"] for r in held) == sorted(s for s, _ in cases)
    assert len({r["project_no"] for r in held}) == 60


@pytest.mark.parametrize("bad", [0, 65, "4", True, 2.5])
def test_in_flight_out_of_range_is_refused_by_name(tmp_path, bad):
    with pytest.raises(config.ConfigError) as e:
        config.from_mapping({"upstream": {"in_flight": bad}}, source="hub.toml", env={}, cwd=str(tmp_path))
    assert "upstream.in_flight" in str(e.value) and "1 to 64" in str(e.value)
    with pytest.raises(ValueError, match="in_flight"):
        Relay(str(tmp_path / "x.db"), None, in_flight=bad)


def test_in_flight_default_is_four(tmp_path):
    assert config.from_mapping({}, env={}, cwd=str(tmp_path)).upstream.in_flight == 4


def test_a_failed_round_leaves_nothing_stuck(hall, platform, monkeypatch):
    """The database refuses one settling (a disk error, say): the rows of those
    calls stay `sent` and go again; none of their cases stays marked busy."""
    cases = hall.rated_cases(12)
    relay = relay_for(hall, platform, "zhejiang", in_flight=4, poll_s=0.01)
    real, failed = relay._settle, []

    def settle_once_failing(done):
        if done and not failed:
            failed.append(len(done))
            raise OSError("disk I/O error")
        return real(done)
    monkeypatch.setattr(relay, "_settle", settle_once_failing)
    relay.start()
    try:
        wait(lambda: hall.outbox_states() == {"accepted": 24}, 15, "the backlog drained")
    finally:
        relay.stop()
    assert failed
    assert sorted(r["project_no"] for r in platform.ledger.all_ratings()) == sorted(s for s, _ in cases)


@pytest.mark.parametrize("name", [n for n in ADAPTERS if adapter_class(n).cases_local])
def test_a_case_that_makes_no_request_neither_waits_for_nor_spends_a_probe(hall, platform, name):
    """A dialect whose cases travel with their ratings registers them without a
    request. While the breaker is open such a case goes at once, and leaves the
    probe, and its pace, to a rating that can find the platform back: spent on
    cases, the probes of a hall that keeps finishing cases double away."""
    t = [time.time()]
    breaker = Breaker(threshold=1, probe_s=5.0)
    relay = relay_for(hall, platform, name, in_flight=4, clock=lambda: t[0], breaker=breaker)
    breaker.failure(t[0], "the platform is down")
    assert breaker.state == Breaker.OPEN and breaker.wait_s(t[0]) > 0
    pace, due = breaker.probe_s, breaker.next_probe
    hall.case()
    t[0] += 1                             # the case is due; the probe is not
    relay.run_once()
    assert hall.outbox_states() == {"accepted": 1}
    assert (breaker.probe_s, breaker.next_probe) == (pace, due)
