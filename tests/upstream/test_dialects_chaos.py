"""Done-when of the dialects (issue 13), for every dialect the hub has:
terminals rate all week while the platform is down, it comes back, answers
are lost after commit, the relay is killed with -9 mid-batch with calls in
flight, a new relay finishes — and the platform's ledger holds every rating
exactly once, after its case's steps, while the applicants' identities
never appear in clear in the hub's logs or database files."""

import logging
import os
import time

import pytest

from hub.services import invitations
from hub.upstream import ADAPTERS, make_adapter
from hub.upstream.pacing import Breaker
from hub.upstream.relay import Relay
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SM4, Hall, adapter_config
from tests.upstream.test_relay_inflight import Arrivals, kill_mid_drain

HOUR = 3600.0
WEEK_H = 7 * 24
EVERY_H = 2                      # one finished and rated case every two hours of the week
LEVELS = {5: (517,), 4: (413,), 3: (309,), 2: (213, 214), 1: (115,)}
ORG = "11370100MB28470613"       # a unified social credit code whose check character fits


def identity(i):
    """Distinctive personal values per case, easy to find in bytes."""
    return {"name": "测试申请人%03d号" % i, "kind": 1, "id_type": "111",
            "id_number": "3701021990%08d" % i, "mobile": "139%08d" % (77000000 + i)}


def upstream_case(i, t_s, area_code="330100"):
    return {"applicant": identity(i), "task_type": "01", "accept_time": t_s - 600, "promise_days": 5,
            "promise_time": t_s + 5 * 86400, "area_code": area_code, "area_name": "杭州市",
            "org_code": ORG, "org_name": "杭州市行政审批服务局", "handle_item": "330100000000000" + "%04d" % i,
            "sub_matter": "个体工商户设立登记", "pro_depart_code": "D01", "pro_depart": "行政审批服务局",
            "manager": "王芳", "project_type": "1", "app_status": "3"}


def case_codes(name, i, t_s, area_code):
    codes = upstream_case(i, t_s, area_code)
    if name == "shandong":
        # Shandong derives taskHandleItem from a 33-character matter code
        # (its first 31 are taskCode); this hall's short codes have none.
        del codes["handle_item"]
    return codes


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def personal_in(blob, people):
    return [v for p in people for k, v in p.items() if k not in ("kind", "id_type") and v.encode() in blob]


@pytest.mark.parametrize("name", ADAPTERS)
def test_week_down_lost_answers_kill_9_exactly_once(tmp_path, name, caplog):
    caplog.set_level(logging.DEBUG)
    platform = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    arrivals = Arrivals(platform, delay_s=0)
    db_path = str(tmp_path / "hub.db")
    hall = Hall(db_path)
    clock = Clock(time.time() - WEEK_H * HOUR - HOUR)     # the week ends now: no time ahead of the platform's
    cfg = adapter_config(platform, name)
    cfg["batch_size"] = 3
    relay = Relay(db_path, make_adapter(cfg), clock=clock, breaker=Breaker(), in_flight=4)
    people, serials = [], []
    log_path = tmp_path / "relay.log"
    try:
        platform.set_down(True)
        for hour in range(0, WEEK_H, EVERY_H):
            i = len(people)
            level = (5, 4, 3, 2, 1)[i % 5]
            t_ms = int(clock() * 1000)
            inv = invitations.create(hall.db, hall.window, "33010020261204%06d" % i, "T0001", "个体工商户设立登记",
                                     staff_id="S001", staff_name="王芳", upstream_case=case_codes(name, i, t_ms // 1000, cfg["area_code"]),
                                     now=t_ms)
            hall.rate(inv, level, LEVELS[level], now_ms=t_ms + 30_000)
            people.append(identity(i))
            serials.append(inv["case_serial"])
            relay.run_once()
            clock.t += EVERY_H * HOUR
        assert platform.ledger.counts()["ratings"] == 0
        assert relay.stats["calls"] < len(serials) + 20, "a dead platform was called %d times" % relay.stats["calls"]
        # Back, losing answers after commit, with a relay process killed -9 mid-batch.
        platform.set_down(False)
        platform.faults.set(lose_after_commit=6, delay_s=0.02)
        with open(log_path, "wb") as log_file:
            kill_mid_drain(db_path, platform, name, len(serials) // 3, log=log_file)
        assert 0 < platform.ledger.counts()["ratings"] < len(serials)
        platform.faults.set(delay_s=0)
        clock.t = time.time()
        relay = Relay(db_path, make_adapter(cfg), clock=time.time, base_s=0.01, cap_s=0.05,
                      breaker=Breaker(threshold=50, probe_s=0.02, probe_cap_s=0.1), in_flight=8)
        end = time.time() + 20
        while time.time() < end:
            relay.run_once()
            st = hall.outbox_states()
            if not st.get("pending") and not st.get("sent"):
                break
            time.sleep(0.01)
        assert hall.outbox_states() == {"accepted": 2 * len(serials)}
        held = platform.ledger.all_ratings()
        assert sorted(r["project_no"] for r in held) == sorted(serials)       # each once, none lost
        ours = {(r["case_serial"], r["level"]) for r in hall.db.query("SELECT case_serial, level FROM ratings")}
        assert ours == {(r["project_no"], r["satisfaction"]) for r in held}
        arrivals.check_order()
        # No personal value in clear: the relay's log, this process's log, the database files.
        hall.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        blob = log_path.read_bytes() + "\n".join(r.getMessage() for r in caplog.records).encode()
        for suffix in ("", "-wal"):
            if os.path.exists(db_path + suffix):
                blob += open(db_path + suffix, "rb").read()
        assert personal_in(blob, people) == []
    finally:
        platform.stop()
