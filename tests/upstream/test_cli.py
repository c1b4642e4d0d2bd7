"""Hall IT's view of forwarding: `pingjia upstream ...` against a real data dir and platform."""

import csv
import subprocess
import sys
import time

import pytest

from hub.upstream.pacing import Breaker
from hub.upstream.relay import Relay
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SM4, Hall, make
from tests.upstream.test_case_rules import upstream_toml
from simulator.mpy import REPO_ROOT


@pytest.fixture
def setup(tmp_path, request):
    adapter = getattr(request, "param", "zhejiang")
    platform = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    data = tmp_path / "data"
    conf = tmp_path / "hub.toml"
    conf.write_text('[hub]\ndata_dir = "%s"\n\n%s' % (data, upstream_toml(platform, adapter)), encoding="utf-8")
    hall = Hall(data / "hub.sqlite3")
    hall.adapter = adapter
    yield platform, hall, str(conf), str(data / "hub.sqlite3")
    platform.stop()


def cli(conf, *args):
    p = subprocess.run([sys.executable, "-m", "hub.cli", "upstream", *args, "--config", conf],
                       cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def hall_day(later_s=0):
    """Today in the hall's zone (the config's default, +08:00), which the CLI reads."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + later_s + 8 * 3600))


def drain(db_path, platform, adapter="zhejiang"):
    relay = Relay(db_path, make(platform, adapter), base_s=0.01, cap_s=0.02,
                  breaker=Breaker(threshold=50, probe_s=0.01))
    for _ in range(20):
        if relay.run_once() == 0:
            break
    return relay


def test_dead_letter_shown_then_replayed(setup):
    platform, hall, conf, db_path = setup
    hall.rated_cases(3)
    platform.faults.set(reject=1, reject_reason="事项编码未在本省注册")
    drain(db_path, platform)
    rc, out = cli(conf, "dead")
    assert rc == 0 and "事项编码未在本省注册" in out and "replay" in out
    rc, out = cli(conf, "status")
    assert rc == 0 and "rejected" in out
    rc, out = cli(conf, "replay", "--all")
    assert rc == 0 and "1 dead letter" in out
    drain(db_path, platform)
    assert platform.ledger.counts()["ratings"] == 3
    rc, out = cli(conf, "replay", "--all")
    assert rc == 0 and "nothing to replay" in out


# Shandong: a dialect with a query call (Zhejiang and Fujian have none, and
# reconcile reports them unanswered: test_zhejiang_relay.py).
@pytest.mark.parametrize("setup", ["shandong"], indirect=True)
def test_reconcile_finds_what_upstream_lost(setup):
    platform, hall, conf, db_path = setup
    cases = hall.rated_cases(4)
    drain(db_path, platform, "shandong")
    day, tomorrow = hall_day(), hall_day(86400)
    rc, out = cli(conf, "reconcile", "--since", day, "--until", tomorrow)
    assert rc == 0 and "matched" in out
    lost = cases[0][0]
    platform.ledger.db.execute("DELETE FROM ratings WHERE project_no = ?", (lost,))
    rc, out = cli(conf, "reconcile", "--since", day, "--until", tomorrow)
    assert rc == 1 and "missing_upstream" in out and lost in out
    rc, out = cli(conf, "reconcile", "--since", tomorrow, "--until", day)
    assert rc == 2 and "--until" in out


def test_monthly_export_in_province_field_names(setup, tmp_path):
    platform, hall, conf, db_path = setup
    hall.rated_cases(5)
    drain(db_path, platform)
    path = tmp_path / "export.csv"
    rc, out = cli(conf, "export", "--month", hall_day()[:7], str(path))
    assert rc == 0 and "5 rating(s)" in out
    with open(path, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5
    assert {r["taskName"] for r in rows} == {"个体工商户设立登记"}
    assert {r["satisfaction"] for r in rows} == {"5"} and {r["pf"] for r in rows} == {"5"}
    rc, out = cli(conf, "export", "--month", "11/2026", str(path))
    assert rc == 2 and "2026-11" in out
