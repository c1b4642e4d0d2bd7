"""The loop every watch, housekeeping, rescan and checkpoint of the hub runs
on: it stops at once however long its period, a round that raises is logged
under the part's name and the next round still runs, a part's last words run
once after stop, and stop() waits for the round in progress."""

import logging
import threading
import time

from hub.periodic import Periodic


def wait_for(cond, timeout=5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.005)
    return False


def test_stop_is_prompt_and_nothing_ran_before_the_first_period():
    calls = []
    loop = Periodic("hub-test-slow", 60.0, lambda: calls.append(1)).start()
    t0 = time.monotonic()
    loop.stop()
    assert time.monotonic() - t0 < 1.0
    assert calls == []


def test_first_runs_at_once_then_every_period_on_a_thread_of_that_name():
    names = []
    loop = Periodic("hub-test-first", 60.0, lambda: names.append(threading.current_thread().name),
                    first=True).start()
    try:
        assert wait_for(lambda: names)
    finally:
        loop.stop()
    assert names == ["hub-test-first"]


def test_a_round_that_raises_is_logged_with_the_name_and_the_next_round_runs(caplog):
    rounds = []

    def tick():
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("disk on fire")

    log = logging.getLogger("hub.test.periodic")
    with caplog.at_level(logging.ERROR, logger="hub.test.periodic"):
        loop = Periodic("hub-test-flaky", 0.01, tick, log=log).start()
        try:
            assert wait_for(lambda: len(rounds) >= 3)
        finally:
            loop.stop()
    [record] = [r for r in caplog.records if r.name == "hub.test.periodic"]
    assert "hub-test-flaky failed" in record.getMessage()
    assert record.exc_info[1].args == ("disk on fire",)


def test_last_runs_once_after_stop_on_the_loop_thread():
    seen = []
    loop = Periodic("hub-test-last", 0.01, lambda: seen.append("round"),
                    last=lambda: seen.append(("last", threading.current_thread().name))).start()
    assert wait_for(lambda: "round" in seen)
    assert ("last", "hub-test-last") not in seen
    loop.stop()
    assert seen[-1] == ("last", "hub-test-last")
    assert seen.count(("last", "hub-test-last")) == 1


def test_stop_waits_for_the_round_in_progress():
    inside, release, finished = threading.Event(), threading.Event(), []

    def slow():
        inside.set()
        release.wait(5)
        finished.append(1)

    loop = Periodic("hub-test-busy", 0.01, slow).start()
    assert inside.wait(5)
    threading.Timer(0.2, release.set).start()
    loop.stop()
    assert finished == [1]
