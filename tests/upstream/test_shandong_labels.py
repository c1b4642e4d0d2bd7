"""`pingjia upstream labels`: the Shandong platform's getnorm list against the hub's label set."""

import pytest

from hub.services import config
from hub.store import open_db
from simulator.province import shandong as sd
from simulator.province.server import ProvincePlatform
from tests.support.upstream import SD_ORG, Hall
from tests.upstream.test_cli import cli


@pytest.fixture
def setup(tmp_path):
    platform = ProvincePlatform().start()
    data = tmp_path / "data"
    conf = tmp_path / "hub.toml"
    conf.write_text(
        '[hub]\ndata_dir = "%s"\n\n[upstream]\nadapter = "shandong"\nurl = "%s/sd"\narea_code = "370800"\n'
        'dept_code = "%s"\n\n[upstream.options]\napp_mark = "pingjia-hall"\napp_word = "secret-word"\n'
        'sm2_public_key = "%s"\n' % (data, platform.url, SD_ORG, sd.PUBLIC_KEY), encoding="utf-8")
    Hall(data / "hub.sqlite3")
    yield platform, str(conf), str(data / "hub.sqlite3")
    platform.stop()


def test_the_difference_is_shown_and_applied_only_when_asked(setup):
    platform, conf, db_path = setup
    norms = dict(sd.of(platform).norms)
    norms[517] = "服务热情高效"                      # the platform renamed one label
    sd.of(platform).norms = sorted(norms.items())
    before = config.current(open_db(db_path))["version"]
    code, out = cli(conf, "labels")
    assert code == 0 and "517" in out and "服务热情高效" in out and "--apply" in out, out
    assert config.current(open_db(db_path))["version"] == before
    code, out = cli(conf, "labels", "--apply")
    assert code == 0 and "新配置版本" in out, out
    cur = config.current(open_db(db_path))
    assert cur["version"] == before + 1 and [517, "服务热情高效"] in cur["label_set"]["l"]
    code, out = cli(conf, "labels")
    assert code == 0 and "标签一致" in out, out


def test_a_platform_that_cannot_be_asked_is_said_so(setup):
    platform, conf, _db = setup
    platform.set_down(True)
    code, out = cli(conf, "labels")
    assert code != 0 and "could not be fetched" in out
