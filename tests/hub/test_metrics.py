"""GET /metrics in-process: the Prometheus text format parsed back with
prometheus_client's own parser, who may scrape, and the sample alert rules."""

import os
import shutil
import subprocess
import time

import pytest
import yaml

from hub.api.routers.metrics import check_access
from hub.errors import HubError
from hub.metrics import upstream_call
from tests.support.api import Api, make_config
from tests.support.prom import samples, value
from tests.support.rated import rate

pytestmark = pytest.mark.anyio
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALERTS = os.path.join(ROOT, "docs", "prometheus-alerts.yml")


async def test_a_scrape_reads_ratings_terminals_outbox_and_rectification(api):
    now = int(time.time() * 1000)
    for lv in (5, 1, 1):
        api.db_call(lambda db, lv=lv: rate(db, "12", lv, now, device="T-12"))
    with upstream_call("zhejiang"):
        pass
    r = await api.client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(r.text)
    assert value(found, "pingjia_ratings_stored_total", level="1", channel="5",
                 status="accepted") == 2
    assert value(found, "pingjia_ratings_stored_total") == 3
    assert value(found, "pingjia_terminals", online="false") == 1
    assert value(found, "pingjia_upstream_outbox", kind="rating", state="pending") == 3
    assert value(found, "pingjia_upstream_oldest_pending_age_seconds") >= 0
    assert value(found, "pingjia_rectifications", state="pending_check") == 2
    assert value(found, "pingjia_upstream_call_seconds_count", dialect="zhejiang") >= 1
    assert "pingjia_upstream_dead_letters" in found and "pingjia_rectifications_overdue" in found
    promtool = shutil.which("promtool")
    if promtool:       # its linter on the exposition (Debian's prometheus package brings it)
        done = subprocess.run([promtool, "check", "metrics"], input=r.text, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
    # counted on incrementally: a second scrape after one more rating
    api.db_call(lambda db: rate(db, "12", 4, now, device="T-12"))
    found = samples((await api.client.get("/metrics")).text)
    assert value(found, "pingjia_ratings_stored_total") == 4


def test_who_may_scrape(tmp_path):
    open_cfg = make_config(tmp_path)
    check_access(open_cfg, "127.0.0.1", None)
    check_access(open_cfg, "::1", None)
    with pytest.raises(HubError) as e:
        check_access(open_cfg, "10.1.2.3", None)
    assert e.value.status == 403 and "[metrics] token" in e.value.message
    (tmp_path / "t").mkdir()
    cfg = make_config(tmp_path / "t", '[metrics]\ntoken = "0123456789abcdef0123"\n')
    check_access(cfg, "10.1.2.3", "Bearer 0123456789abcdef0123")
    for header in (None, "Bearer wrong", "Basic 0123456789abcdef0123"):
        with pytest.raises(HubError) as e:
            check_access(cfg, "127.0.0.1", header)
        assert e.value.status == 401
    (tmp_path / "o").mkdir()
    off = make_config(tmp_path / "o", "[metrics]\nenabled = false\n")
    with pytest.raises(HubError) as e:
        check_access(off, "127.0.0.1", None)
    assert e.value.status == 404


async def test_the_api_token_does_not_open_metrics_from_elsewhere(tmp_path):
    api = Api(make_config(tmp_path, '[metrics]\ntoken = "0123456789abcdef0123"\n'))
    try:
        r = await api.client.get("/metrics")       # the API client's token is not the one
        assert r.status_code == 401 and r.json()["field"] == "Authorization"
        r = await api.client.get("/metrics", headers={
            "Authorization": "Bearer 0123456789abcdef0123"})
        assert r.status_code == 200 and "pingjia_writer_commit_seconds" in r.text
    finally:
        await api.aclose()


def test_the_sample_alert_rules_parse():
    with open(ALERTS, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    names = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert {"PingjiaUpstreamBacklogOld", "PingjiaDeadLetters", "PingjiaTerminalsOffline"} <= names
    for g in rules["groups"]:
        for r in g["rules"]:
            assert r["expr"].strip() and "pingjia_" in r["expr"]
    promtool = shutil.which("promtool")
    if promtool:       # Debian's prometheus package brings it
        done = subprocess.run([promtool, "check", "rules", ALERTS], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
