"""Every CLI command prints and reads times in the hall's configured zone, never the
host's: run as a subprocess with TZ set to a zone other than the hall's."""

import csv
import io
import os
import subprocess
import sys

import pytest

from hub import config
from hub.services import invitations, journal, terminals
from hub.store import open_db
from hub.upstream import outbox

T0 = 1718064005000          # 2024-06-11 08:00:05 +08:00 = 00:00:05 UTC
MIN = 60 * 1000


def seed(tmp_path, tz_minutes):
    """A hall whose one rating was received at T0: terminal provisioned an hour
    before, the rated invitation created 5 s before, another queued a minute after,
    and the rating's upstream push rejected two minutes after."""
    (tmp_path / "hub.toml").write_text(
        '[hub]\ndata_dir = "data"\n[hall]\ncode = "t"\ntz_offset_minutes = %d\n' % tz_minutes,
        encoding="utf-8")
    cfg = config.load(str(tmp_path / "hub.toml"), env={})
    config.ensure_data_dir(cfg)
    db = open_db(cfg.db_path)
    terminals.provision(db, "T-1", "5", now=T0 - 60 * MIN)
    inv = invitations.create(db, "5", "CS-1", "M1", "事项", "A1", "李明", now=T0 - 5000)
    rid = journal.record_rating(db, "T-1", {
        "t": "rating", "seq": 1, "eid": inv["eid"], "cs": "CS-1", "lv": 5, "lb": [517],
        "dp": 3000, "mt": 10000, "org": "live"}, now=T0)["rating_id"]
    invitations.create(db, "5", "CS-2", "M1", "事项", "A1", "李明", now=T0 + MIN)
    (box_id,) = db.execute("SELECT id FROM outbox WHERE kind = 'rating'").fetchone()
    outbox.settle(db, [(box_id, "rejected", T0, "事项编码未在本省注册", None)], T0 + 2 * MIN)
    db.close()
    return rid


def cli(tmp_path, host_tz, *args):
    env = dict(os.environ, TZ=host_tz)
    env.pop("PINGJIA_CONFIG", None)
    env.pop("PINGJIA_DATA", None)
    r = subprocess.run([sys.executable, "-m", "hub.cli", *args], cwd=str(tmp_path), env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


# (hall offset, host TZ, T0 as the hall writes it, --since just before / just after T0)
HALLS = [
    (480, "UTC0", "2024-06-11 %s +08:00", "2024-06-11 08:00", "2024-06-11 08:00:06"),
    (330, "CST-8", "2024-06-11 %s +05:30", "2024-06-11 05:30", "2024-06-11 05:30:06"),
]
CLOCK = {480: ("07:00:05", "08:00:00", "08:00:05", "08:01:05", "08:02:05"),
         330: ("04:30:05", "05:30:00", "05:30:05", "05:31:05", "05:32:05")}
ISO = {480: "2024-06-11T08:00:05.000+08:00", 330: "2024-06-11T05:30:05.000+05:30"}


@pytest.mark.parametrize("minutes, host_tz, form, before, after", HALLS)
def test_commands_print_hall_time_not_host_time(tmp_path, minutes, host_tz, form, before, after):
    rid = seed(tmp_path, minutes)
    provisioned, created, rated, queued, rejected = (form % c for c in CLOCK[minutes])
    assert provisioned in cli(tmp_path, host_tz, "terminals", "show", "T-1")
    listed = cli(tmp_path, host_tz, "invitations")
    assert created in listed and rated in listed and queued in listed
    assert rated in cli(tmp_path, host_tz, "ratings")
    assert queued in cli(tmp_path, host_tz, "backlog")
    assert rejected in cli(tmp_path, host_tz, "upstream", "dead")
    rows = list(csv.DictReader(io.StringIO(cli(tmp_path, host_tz, "export-csv", "-"))))
    assert rows[0]["评价编号"] == rid
    assert rows[0]["评价时间"] == ISO[minutes]


@pytest.mark.parametrize("minutes, host_tz, form, before, after", HALLS)
def test_since_and_until_are_read_in_hall_time(tmp_path, minutes, host_tz, form, before, after):
    rid = seed(tmp_path, minutes)
    assert rid in cli(tmp_path, host_tz, "ratings", "--since", before)
    assert rid not in cli(tmp_path, host_tz, "ratings", "--since", after)
    assert rid not in cli(tmp_path, host_tz, "ratings", "--until", before)
    assert rid in cli(tmp_path, host_tz, "ratings", "--since", "2024-06-11", "--until", "2024-06-12")
    assert rid in cli(tmp_path, host_tz, "export-csv", "--since", before, "-")
    assert rid not in cli(tmp_path, host_tz, "export-csv", "--since", after, "-")
    # An explicit offset is taken as written: T0 is 00:00:05 UTC.
    assert rid in cli(tmp_path, host_tz, "ratings", "--since", "2024-06-11 00:00:05 +00:00")
    assert rid not in cli(tmp_path, host_tz, "ratings", "--since", "2024-06-11 00:00:06 +00:00")
    # What the CLI prints, it reads back.
    shown = form % CLOCK[minutes][2]
    assert rid in cli(tmp_path, host_tz, "ratings", "--since", shown)
