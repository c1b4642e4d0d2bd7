"""`pingjia rectify list|show|move` and `pingjia stats` as hall IT runs them."""

import time

import openpyxl

from hub.store import open_db
from tests.support.api import make_config, pingjia
from tests.support.rated import rate


def test_rectify_and_stats_commands(tmp_path):
    cfg = make_config(tmp_path)
    db = open_db(cfg.db_path)
    rate(db, "3", 1, int(time.time() * 1000), matter=("M1", "@SUM(A1)"))
    db.close()
    conf = ["--config", str(tmp_path / "hub.toml")]
    r = pingjia("rectify", "list", *conf)
    assert r.returncode == 0, r.stderr
    assert "待核实" in r.stdout and "未办结 1" in r.stdout
    r = pingjia("rectify", "move", "1", "rectifying", *conf)
    assert r.returncode == 1 and "pending_check" in r.stderr
    r = pingjia("rectify", "move", "1", "contacted", "--by", "王五", *conf)
    assert r.returncode == 0, r.stderr
    r = pingjia("rectify", "move", "1", "invalid", "--reason", "mistaken", *conf)
    assert r.returncode == 2 and "note" in r.stderr
    r = pingjia("rectify", "show", "1", *conf)
    assert r.returncode == 0 and "王五" in r.stdout and "contacted" in r.stdout
    assert pingjia("rectify", "show", "9", *conf).returncode == 3
    r = pingjia("stats", "--by", "matter", *conf)
    assert r.returncode == 0 and "M1" in r.stdout and "合计" in r.stdout, r.stderr
    out = tmp_path / "s.xlsx"
    r = pingjia("stats", "--by", "matter", "--xlsx", str(out), "--csv", str(tmp_path / "s.csv"),
                *conf)
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(out).active
    assert ws.cell(row=2, column=2).value == "'@SUM(A1)"
    assert "'@SUM(A1)" in (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    r = pingjia("stats", "--by", "nope", *conf)
    assert r.returncode == 2
