"""Dead letters and backlog through the API, as hall IT's tools see them."""

import pytest

from hub.upstream.pacing import Breaker
from hub.upstream.relay import Relay
from simulator.province.server import ProvincePlatform
from tests.support.api import Api, make_config
from tests.support.upstream import Hall, make

pytestmark = pytest.mark.anyio


async def test_dead_letter_visible_and_replayed_through_api(tmp_path):
    cfg = make_config(tmp_path)
    platform = ProvincePlatform(area_code="330100").start()
    api = Api(cfg)
    try:
        hall = Hall(cfg.db_path)
        hall.rated_cases(2)
        platform.faults.set(reject=1, reject_reason="评价渠道编码不在本省代码表")
        relay = Relay(cfg.db_path, make(platform, "zhejiang"), base_s=0.01, cap_s=0.02,
                      breaker=Breaker(threshold=50))
        relay.run_once()
        r = await api.client.get("/api/v1/upstream/backlog")
        assert r.status_code == 200 and r.json()["rejected"] == 1 and r.json()["accepted"] == 3
        r = await api.client.get("/api/v1/upstream/dead")
        [dead] = r.json()["items"]
        assert "评价渠道编码不在本省代码表" in dead["last_error"] and dead["kind"] == "rating"
        r = await api.client.post("/api/v1/upstream/dead/replay", json={})
        assert r.status_code == 422 and "ids" in r.json()["message"]
        r = await api.client.post("/api/v1/upstream/dead/replay", json={"ids": [dead["id"]]})
        assert r.json() == {"replayed": 1}
        relay.run_once()
        assert platform.ledger.counts()["ratings"] == 2
        r = await api.client.get("/api/v1/upstream/dead", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401
    finally:
        await api.aclose()
        platform.stop()
