"""A simulated week with the provincial platform off, terminals rating all along."""

import time

import pytest

from hub.upstream.pacing import Breaker
from hub.upstream.relay import Relay
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SM4, Hall, make

HOUR = 3600.0


class Clock:
    def __init__(self):
        self.t = time.time()

    def __call__(self):
        return self.t


# Not Shandong: its exactly-once behaviour is covered in test_relay.py; here
# its pure-Python SM3 verification on the simulated platform would make a
# week of calls cost most of a minute. Fujian's week goes by its 补报 call.
@pytest.mark.parametrize("adapter", ["zhejiang", "fujian"])
def test_week_long_outage_drains_and_ledger_agrees(tmp_path, adapter):
    clock = Clock()
    platform = ProvincePlatform(area_code="330100", sm4_key=SM4, clock=clock).start()
    db_path = str(tmp_path / "hub.db")
    hall = Hall(db_path)
    up = make(platform, adapter)
    if adapter == "fujian":     # its token's timestamp and its same-day rule read the hub's clock
        up.clock = up.tokens.clock = clock
    pushes = []
    push = up.push_ratings
    up.push_ratings = lambda ratings: pushes.append(len(ratings)) or push(ratings)   # counts the calls out
    relay = Relay(db_path, up, clock=clock, breaker=Breaker())  # production pacing
    try:
        platform.set_down(True)
        levels = [5, 4, 3, 2, 1]
        labels = {5: (517,), 4: (413,), 3: (), 2: (213, 214), 1: (115,)}
        for hour in range(7 * 24):
            for k in range(1):
                level = levels[(hour + k) % 5]
                inv = hall.case(now_ms=int(clock() * 1000))
                hall.rate(inv, level, labels[level] or (), now_ms=int(clock() * 1000) + 30_000)
            relay.run_once()
            clock.t += HOUR
        assert platform.ledger.counts()["ratings"] == 0
        asked = len(pushes)      # cases alone make no call in these dialects
        assert asked < 7 * 24 + 10, "a dead platform was called %d times in a week" % asked
        platform.set_down(False)
        for _ in range(400):
            clock.t += 60
            relay.run_once()
            st = hall.outbox_states()
            if not st.get("pending") and not st.get("sent"):
                break
        assert hall.outbox_states() == {"accepted": 2 * 7 * 24}
        ours = {(r["case_serial"], r["level"], r["labels"]) for r in hall.db.query(
            "SELECT case_serial, level, labels FROM ratings")}
        theirs = {(r["project_no"], r["satisfaction"], str(r["labels"]).replace(" ", ""))
                  for r in platform.ledger.all_ratings()}
        assert len(ours) == len(theirs) == 7 * 24
        assert ours == theirs
        assert all(r["attempts"] == 1 for r in platform.ledger.all_ratings())
    finally:
        platform.stop()
