"""A rating's device time is the terminal's to say, and it can say anything the
wire allows (0..2⁵³−1, PROTOCOL.md §3.2). A skewed one is stored as sent with the
hub flag `clock` and a clock_skew problem for hall IT; upstream gets a time between
the case's service time and now; and no integer in a time column can make a read
fail: the API, the CLI export and the upstream payload all answer.

Real parts: a protocol terminal on the ingest, SQLite, the API in-process, the CLI
as a subprocess."""

import csv
import io
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub import halltime
from hub.commands import export_csv
from hub.services import invitations, journal, ratings, terminals
from hub.upstream import outbox
from hub.upstream.base import assess_time
from tests.hub.test_problems import cli, hub  # noqa: F401  (the fixture: ingest + API)
from tests.support.hub_peer import Terminal, committed
from tests.support.poll import wait

pytestmark = pytest.mark.anyio

I53 = 2 ** 53 - 1
I64 = st.integers(-2 ** 63, 2 ** 63 - 1)
MIN = 60 * 1000


def year_now():
    return time.strftime("%Y", time.gmtime(time.time() + 8 * 3600))


async def answers_200(api, eid, rid):
    for path in ("/api/v1/invitations", "/api/v1/invitations/" + eid, "/api/v1/ratings",
                 "/api/v1/ratings?order=asc&flagged=true", "/api/v1/ratings/" + rid):
        r = await api.client.get(path)
        assert r.status_code == 200, (path, r.text)
    return r.json()


def upstream_time(db, rid):
    """The assessTime an adapter writes for the rating (epoch s, and its text)."""
    _eid, payload = outbox.rating_payload(db, rid)
    at = assess_time(payload)
    return payload, at, halltime.cst_format(at)


@pytest.mark.parametrize("dt, why", [(I53, "ahead"), (0, "absurd"), ("before", "before")])
async def test_a_skewed_device_time_is_flagged_kept_and_never_sent_upstream(hub, dt, why):
    api, ingest = hub
    key = api.db_call(terminals.rekey, "T1")
    inv = api.db_call(invitations.create, "1", "C1", "M1", "事项", staff_id="S1",
                      staff_name="张三")
    ingest.notify()
    t = Terminal.direct(ingest, "T1", key)
    assert t.handshake()["t"] == "ack"
    if dt == "before":                 # an hour before the invitation was made
        dt = ingest.now_ms() - 60 * MIN
    seq = t.rating(inv["eid"], "C1", dt=dt, org="replay")
    assert t.answer_for(seq) == {"t": "ack", "seq": seq}
    (stored, flags), = committed(ingest.db_path, "SELECT device_time, fraud_hub FROM ratings")
    assert stored == dt and "clock" in flags                  # kept as sent, for review
    got = await answers_200(api, inv["eid"], "T1:%d" % seq)
    assert "clock" in got["fraud_flags"]
    wait(lambda: (api.db_call(terminals.get, "T1")["problem"] or {}).get("code") == "clock_skew",
         5, "clock_skew problem")
    payload, at, text = api.db_call(upstream_time, "T1:%d" % seq)
    assert payload["service_time"] <= at <= time.time() + 1 and text.startswith(year_now())
    rows = list(csv.DictReader(io.StringIO(cli(api, "export-csv", "-"))))
    assert [r["评价编号"] for r in rows] == ["T1:%d" % seq]


def test_a_sane_device_time_is_no_clock_flag(tmp_path):
    from hub.store import open_db
    db = open_db(str(tmp_path / "hub.db"))
    terminals.provision(db, "T1", "A01")
    now = int(time.time() * 1000)
    inv = invitations.create(db, "A01", "C1", "M1", "事项", staff_id="S1", staff_name="张三",
                             now=now - 10_000)
    msg = {"t": "rating", "seq": 1, "eid": inv["eid"], "cs": "C1", "lv": 5, "dp": 3000,
           "mt": 1, "org": "live", "dt": now + 60_000}             # a minute ahead: drift
    assert "clock" not in journal.record_rating(db, "T1", msg, now=now)["flags"]
    # The press stamped after the hub received it goes upstream at the receive time.
    payload = outbox.rating_payload(db, "T1:1")[1]
    assert payload["rated_at"] == now // 1000


def seed(db):
    inv = invitations.create(db, "12", "CS-1", "M1", "事项", staff_id="S1", staff_name="张三")
    rid = journal.record_rating(db, "T-12", {
        "t": "rating", "seq": 1, "eid": inv["eid"], "cs": "CS-1", "lv": 2, "lb": [213],
        "dp": 3000, "mt": 1, "org": "live"})["rating_id"]
    return inv["eid"], rid


def overwrite(db, rid, eid, dt, received, dp, closed):
    """Integers straight into the columns, as an old hub or a hand-edited file left them."""
    db.execute("UPDATE ratings SET device_time = ?, received_at = ?, display_press_ms = ? "
               "WHERE rating_id = ?", (dt, received, dp, rid))
    db.execute("UPDATE invitations SET closed_at = ?, shown_at = ? WHERE eid = ?",
               (closed, closed, eid))


def export(db, tz):
    out = io.StringIO()
    return export_csv.write(db, ratings.Filters(), out, tz), out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dt=I64, received=I64, dp=I64, closed=I64)
async def test_any_integer_in_a_time_column_reads(api, dt, received, dp, closed):
    if not hasattr(api, "seeded"):
        api.seeded = api.db_call(seed)
    eid, rid = api.seeded
    api.db_call(overwrite, rid, eid, dt, received, dp, closed)
    got = await answers_200(api, eid, rid)
    assert got["id"] == rid and got["display_to_press_ms"] == dp
    n, text = api.db_call(export, halltime.zone(api.cfg))
    assert n == 1 and rid in text
    payload, at, _text = api.db_call(upstream_time, rid)
    assert payload["service_time"] <= at <= time.time() + 1


@pytest.mark.parametrize("dt", [2 ** 63 - 1, -2 ** 63, I53])
async def test_the_cli_export_completes_whatever_is_stored(api, tmp_path, dt):
    eid, rid = api.db_call(seed)
    api.db_call(overwrite, rid, eid, dt, dt, dt, dt)
    from tests.support.api import pingjia
    r = pingjia("export-csv", str(tmp_path / "out.csv"), "--config", str(tmp_path / "hub.toml"))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(tmp_path / "out.csv", encoding="utf-8-sig")))
    assert [row["评价编号"] for row in rows] == [rid]
