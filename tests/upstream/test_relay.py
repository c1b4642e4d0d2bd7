"""The outbox relay against the simulated platform: exactly once through every fault."""

import os
import signal
import subprocess
import sys
import time

import pytest

from hub.upstream import outbox
from hub.upstream.pacing import Breaker
from hub.upstream.relay import Relay
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SM4, adapter_config, make
from simulator.mpy import REPO_ROOT


@pytest.fixture
def platform():
    p = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    yield p
    p.stop()


def relay_for(hall, platform, adapter, **kw):
    kw.setdefault("base_s", 0.01)
    kw.setdefault("cap_s", 0.05)
    kw.setdefault("breaker", Breaker(threshold=3, probe_s=0.02, probe_cap_s=0.1))
    return Relay(hall.db_path, make(platform, adapter), **kw)


def drain(relay, hall, seconds=20):
    """Run passes until nothing waits (or time is up) -> outbox states."""
    end = time.time() + seconds
    while time.time() < end:
        relay.run_once()
        states = hall.outbox_states()
        if not states.get("pending") and not states.get("sent"):
            return states
        time.sleep(0.01)
    return hall.outbox_states()


def assert_ledger_matches(platform, cases):
    held = {r["project_no"]: r for r in platform.ledger.all_ratings()}
    assert sorted(held) == sorted(serial for serial, _rid in cases)
    for r in held.values():
        case = platform.ledger.case(r["project_no"])
        assert r["assess_time"] >= case["service_time"]


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_every_rating_arrives_once_after_its_case(hall, platform, adapter):
    cases = hall.rated_cases(30) + hall.rated_cases(5, level=1, labels=(115,))
    states = drain(relay_for(hall, platform, adapter), hall)
    assert states == {"accepted": 70}
    assert_ledger_matches(platform, cases)
    ids = {r["rating_id"]: r["upstream_id"] for r in hall.db.query(
        "SELECT o.ref AS rating_id, o.upstream_id FROM outbox o WHERE kind='rating'")}
    assert all(ids.values())


def test_zhejiang_calls_once_per_rating_and_never_for_a_case_alone(hall, platform):
    hall.rated_cases(60)
    hall.case()                                  # finished, never rated: nothing to report
    relay = relay_for(hall, platform, "zhejiang")
    assert drain(relay, hall) == {"accepted": 121}
    # offlinereport carries the case with its rating: one POST per rating.
    assert platform.faults.snapshot()["served"]["requests"] == 60
    assert platform.ledger.counts() == {"cases": 60, "ratings": 60, "rating_pushes": 60}


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_platform_down_while_terminals_rate_then_back(hall, platform, adapter):
    relay = relay_for(hall, platform, adapter)
    cases = hall.rated_cases(10)
    platform.set_down(True)
    for _ in range(5):
        cases += hall.rated_cases(4)
        relay.run_once()
        time.sleep(0.02)
    assert platform.ledger.counts()["ratings"] == 0
    assert relay.breaker.state == Breaker.OPEN
    platform.set_down(False)
    assert drain(relay, hall) == {"accepted": 60}
    assert_ledger_matches(platform, cases)


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_answers_lost_after_commit_do_not_double(hall, platform, adapter):
    relay = relay_for(hall, platform, adapter)
    invs = [hall.case() for _ in range(20)]
    platform.faults.set(lose_after_commit=3)       # case registrations' answers lost
    assert drain(relay, hall) == {"accepted": 20}
    platform.faults.set(lose_after_commit=3)       # rating pushes' answers lost
    cases = [(inv["case_serial"], hall.rate(inv)["rating_id"]) for inv in invs]
    assert drain(relay, hall) == {"accepted": 40}
    counts = platform.ledger.counts()
    assert counts["ratings"] == 20 and counts["rating_pushes"] > 20
    assert_ledger_matches(platform, cases)
    assert relay.stats["duplicates"] > 0


def test_storm_of_5xx_is_probed_not_hammered(hall, platform):
    hall.rated_cases(50)
    platform.faults.set(errors_5xx=10**6)
    relay = relay_for(hall, platform, "zhejiang", breaker=Breaker(threshold=3, probe_s=0.1, probe_cap_s=0.4))
    end = time.time() + 1.5
    while time.time() < end:
        relay.run_once()
        time.sleep(0.005)
    asked = platform.faults.snapshot()["served"]["5xx"]
    assert asked <= 12, "a dead platform got %d requests in 1.5 s" % asked
    platform.faults.set(errors_5xx=0)
    time.sleep(0.45)
    assert drain(relay, hall) == {"accepted": 100}


def test_permanent_rejection_is_dead_lettered_and_replays(hall, platform):
    cases = hall.rated_cases(3)
    platform.faults.set(reject=1, reject_reason="办件编号与事项不匹配")
    relay = relay_for(hall, platform, "shandong")
    states = drain(relay, hall)
    assert states == {"accepted": 5, "rejected": 1}
    [dead] = outbox.dead_letters(hall.db)
    assert dead["kind"] == "rating" and "办件编号与事项不匹配" in dead["last_error"]
    assert outbox.replay(hall.db, int(time.time() * 1000)) == 1
    assert drain(relay, hall) == {"accepted": 6}
    assert_ledger_matches(platform, cases)


def test_rating_without_invitation_is_never_forwarded(hall, platform):
    """The hub refuses it at the door (not_invited, kept for review): it never
    enters the outbox, so it is no dead letter for hall IT either."""
    inv = hall.case()
    hall.rate(inv, eid="e-never-issued")
    states = drain(relay_for(hall, platform, "zhejiang"), hall)
    assert states == {"accepted": 1}                         # the case alone
    assert outbox.dead_letters(hall.db) == []


RELAY_PROCESS = """
import sys, time
from hub.upstream.relay import Relay
from hub.upstream.pacing import Breaker
from tests.support.upstream import adapter_config
from hub.upstream import make_adapter
class P: url = sys.argv[2]
r = Relay(sys.argv[1], make_adapter(adapter_config(P, sys.argv[3])), base_s=0.01, cap_s=0.05,
          breaker=Breaker(threshold=3, probe_s=0.02, probe_cap_s=0.1), batch_rows=5)
print("ready", flush=True)
while True:
    r.run_once()
    time.sleep(0.001)
"""


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_kill_9_mid_relay_then_restart_still_exactly_once(hall, platform, adapter):
    cases = hall.rated_cases(40)
    platform.faults.set(delay_s=0.01)
    proc = subprocess.Popen([sys.executable, "-c", RELAY_PROCESS, hall.db_path, platform.url, adapter],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        deadline = time.time() + 20
        while platform.ledger.counts()["ratings"] < 10 and time.time() < deadline:
            time.sleep(0.01)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert 0 < platform.ledger.counts()["ratings"] < 40
    platform.faults.set(delay_s=0)
    assert drain(relay_for(hall, platform, adapter), hall) == {"accepted": 80}
    assert_ledger_matches(platform, cases)
