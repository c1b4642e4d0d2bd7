"""The case's upstream identity: checked at the API, sealed at rest, sent only upstream, purged."""

import copy
import io
import json
import logging
import sqlite3
import time

import pytest

from hub import halltime
from hub.commands import export_csv
from hub.errors import HubError
from hub.services import invitations, upstream_case, webhooks
from hub.store import data_dir, open_db, sealbox
from hub.upstream import outbox, reconcile
from hub.upstream.base import Adapter, Outcome
from hub.upstream.relay import Relay
from hub.webhooks.dispatcher import Dispatcher
from simulator.province.server import ProvincePlatform
from tests.support.api import Api, make_config
from tests.support.poll import wait
from tests.support.upstream import SM4, Hall, make
from tests.support.webhook_receiver import Receiver

NAME, ID_NUMBER, MOBILE = "欧阳测试娜", "370102199001011234", "13912345678"
PERSONAL = (NAME, ID_NUMBER, MOBILE)
APPLICANT = {"name": NAME, "kind": 1, "id_type": "111", "id_number": ID_NUMBER, "mobile": MOBILE}
CODES = {"task_type": "01", "accept_time": 1_760_000_000, "promise_days": 5,
         "promise_time": 1_760_400_000, "area_code": "370102", "area_name": "历下区",
         "org_code": "11370100MB28470613", "org_name": "济南市历下区行政审批服务局",
         "handle_item": "11370100MB2847061X4370111001000", "manager": "窗口一"}
BODY = {"window": "12", "case_serial": "SD20261204000001", "matter_code": "T0001",
        "matter_name": "个体工商户设立登记", "staff_id": "S001", "staff_name": "王芳",
        "upstream_case": dict(CODES, applicant=APPLICANT)}
UPSTREAM_TOML = ('[upstream]\nadapter = "zhejiang"\nurl = "%s"\narea_code = "330100"\n'
                 'dept_code = "D01"\n[upstream.options]\napp_key = "hall-key"\n')

pytestmark = pytest.mark.anyio


def leaks(blob):
    """Which personal values are in BLOB (bytes or str), as UTF-8 or JSON-escaped."""
    if isinstance(blob, str):
        blob = blob.encode()
    found = []
    for v in PERSONAL:
        forms = (v.encode(), json.dumps(v).strip('"').encode())
        if any(f in blob for f in forms):
            found.append(v)
    return found


class Recording(Adapter):
    """The adapter interface as the relay calls it: what it was handed."""
    name, max_batch = "recording", 10

    def __init__(self):
        self.cases, self.ratings = [], []

    def register_cases(self, cases):
        self.cases += copy.deepcopy(cases)
        return [Outcome.ok("C%d" % i) for i, _ in enumerate(cases)]

    def push_ratings(self, ratings):
        self.ratings += copy.deepcopy(ratings)
        return [Outcome.ok("R%d" % i) for i, _ in enumerate(ratings)]


@pytest.fixture
def platform():
    p = ProvincePlatform(area_code="330100", sm4_key=SM4).start()
    yield p
    p.stop()


def files_of(cfg):
    out = b""
    for suffix in ("", "-wal", "-shm"):
        try:
            with open(cfg.db_path + suffix, "rb") as f:
                out += f.read()
        except FileNotFoundError:
            pass
    return out


async def test_identity_is_sealed_forwarded_and_never_shown(tmp_path, platform, caplog):
    caplog.set_level(logging.DEBUG)
    cfg = make_config(tmp_path, UPSTREAM_TOML % (platform.url + "/zj"))
    api = Api(cfg)
    rx = Receiver()
    try:
        hall = Hall(cfg.db_path)
        _s, rx.secret = webhooks.set_subscription(hall.db, "queue-system", rx.url)
        r = await api.client.post("/api/v1/invitations", json=BODY)
        assert r.status_code in (201, 202), r.text
        inv = r.json()
        assert not leaks(r.text)
        # What the terminal gets: the `inv` message carries none of it.
        assert not leaks(json.dumps(invitations.message(invitations.get(hall.db, inv["id"]), 1),
                                    ensure_ascii=False))
        hall.rate({"eid": inv["id"], "case_serial": BODY["case_serial"]})
        # What the relay hands the adapter: the applicant, opened for the call, and the codes.
        rec = Recording()
        Relay(cfg.db_path, rec, in_flight=2).run_once()
        [case] = rec.cases
        assert case["applicant"] == APPLICANT
        assert case["upstream"]["org_code"] == CODES["org_code"]
        assert case["upstream"]["accept_time"] <= case["service_time"] <= time.time()
        assert case["user_prop"] == 1
        # ... and a rating carries its case's applicant along (a rating record
        # may name the applicant: Shandong's `name`), in memory only.
        assert rec.ratings and all(r["applicant"] == APPLICANT for r in rec.ratings)
        # Every read of the API, the CSV exports, the webhook payloads, the logs, the files.
        texts = []
        for path in ("/api/v1/invitations", "/api/v1/invitations/" + inv["id"], "/api/v1/ratings",
                     "/api/v1/upstream/backlog", "/api/v1/upstream/dead", "/api/v1/terminals",
                     "/api/v1/health"):
            got = await api.client.get(path)
            assert got.status_code == 200, (path, got.text)
            texts.append(got.text)
        out = io.StringIO()
        export_csv.write(hall.db, {}, out, halltime.zone(cfg))
        texts.append(out.getvalue())
        month = tmp_path / "month.csv"
        reconcile.export_month(hall.db, make(platform, "zhejiang"), 0, int(time.time() * 1000) + 1, str(month))
        texts.append(month.read_text(encoding="utf-8-sig"))
        d = Dispatcher(cfg.db_path, halltime.zone(cfg), ["127.0.0.0/8"], timeout_s=2).start()
        try:
            wait(lambda: len(rx.got) >= 2, 10, "webhook deliveries")
        finally:
            d.stop()
        texts += [g["raw"].decode() for g in rx.got]
        texts += [rec.getMessage() for rec in caplog.records]
        for t in texts:
            assert not leaks(t), t[:300]
        hall.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert not leaks(files_of(cfg))
        # ... but it is there, sealed to its invitation.
        sealed = hall.db.execute("SELECT applicant_enc FROM upstream_cases WHERE eid=?", (inv["id"],)).fetchone()[0]
        key = sealbox.load_key(data_dir(hall.db))
        assert json.loads(sealbox.open_sealed(key, sealed, outbox.applicant_aad(inv["id"]))) == APPLICANT
        with pytest.raises(sealbox.SealError):
            sealbox.open_sealed(key, sealed, inv["id"].encode())     # a contact's binding does not open it
    finally:
        rx.close()
        await api.aclose()


@pytest.mark.parametrize("change, field", [
    ({"applicant": dict(APPLICANT, mobile="139-abc")}, "upstream_case.applicant.mobile"),
    ({"applicant": dict(APPLICANT, kind=10)}, "upstream_case.applicant.kind"),
    ({"applicant": dict(APPLICANT, id_number="3701 0219")}, "upstream_case.applicant.id_number"),
    ({"applicant": {"kind": 1}}, "upstream_case.applicant.name"),
    ({"applicant": dict(APPLICANT, nickname="x")}, "upstream_case.applicant.nickname"),
    ({"task_type": "02"}, "upstream_case.task_type"),
    ({"area_code": "37010"}, "upstream_case.area_code"),
    ({"org_code": "11370100MB2847061"}, "upstream_case.org_code"),
    ({"accept_time": 1_760_000_000_000}, "upstream_case.accept_time"),
    ({"accept_time": 1_760_000_000, "promise_time": 1_750_000_000}, "upstream_case"),
    ({"colour": "red"}, "upstream_case.colour"),
])
async def test_bad_upstream_case_is_422_naming_the_field(tmp_path, change, field):
    cfg = make_config(tmp_path)
    api = Api(cfg)
    try:
        Hall(cfg.db_path)
        body = dict(BODY, upstream_case=dict(dict(CODES, applicant=APPLICANT), **change))
        r = await api.client.post("/api/v1/invitations", json=body)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field
        assert not leaks(r.json()["message"])
    finally:
        await api.aclose()


async def test_applicant_kind_follows_user_prop_and_contradiction_is_422(tmp_path):
    cfg = make_config(tmp_path)
    api = Api(cfg)
    try:
        Hall(cfg.db_path)
        org = dict(APPLICANT, kind=2)
        r = await api.client.post("/api/v1/invitations", json=dict(BODY, upstream_case={"applicant": org}))
        assert r.status_code in (201, 202) and r.json()["applicant_kind"] == "legal_person"
        r = await api.client.post("/api/v1/invitations", json=dict(
            BODY, case_serial="SD2", applicant_kind="person", upstream_case={"applicant": org}))
        assert r.status_code == 422 and r.json()["field"] == "applicant_kind"
    finally:
        await api.aclose()


def test_dialect_rule_sees_upstream_case_and_never_echoes_a_personal_value(tmp_path):
    hall = Hall(tmp_path / "hub.db")
    seen = []

    def rule(fields):
        seen.append(fields)
        mobile = fields["upstream_case"].get("applicant", {}).get("mobile")
        if mobile and len(mobile) != 11:
            return "upstream_case.applicant.mobile", "mobile %s is not 11 digits" % mobile
        return None
    with pytest.raises(HubError) as e:
        invitations.create(hall.db, "12", "C1", "T0001", "事项", staff_id="S", staff_name="王",
                           upstream=rule, upstream_case={"applicant": dict(APPLICANT, mobile="1391234")})
    assert e.value.field == "upstream_case.applicant.mobile" and e.value.status == 422
    assert "1391234" not in e.value.message
    invitations.create(hall.db, "12", "C1", "T0001", "事项", staff_id="S", staff_name="王",
                       upstream=rule, upstream_case=dict(CODES, applicant=APPLICANT))
    assert seen[-1]["upstream_case"]["org_code"] == CODES["org_code"]
    invitations.create(hall.db, "12", "C2", "T0001", "事项", staff_id="S", staff_name="王", upstream=rule)
    assert seen[-1]["upstream_case"] == {}


async def test_forwarding_off_keeps_no_applicant(tmp_path):
    cfg = make_config(tmp_path)          # [upstream] adapter = "none"
    api = Api(cfg)
    try:
        hall = Hall(cfg.db_path)
        r = await api.client.post("/api/v1/invitations", json=BODY)
        assert r.status_code in (201, 202)
        row = hall.db.execute("SELECT applicant_enc, codes FROM upstream_cases").fetchone()
        assert row[0] is None and json.loads(row[1])["org_code"] == CODES["org_code"]
    finally:
        await api.aclose()


def settle_all(db, state="accepted", when=None):
    db.execute("UPDATE outbox SET state = ?, updated_at = COALESCE(?, updated_at)", (state, when))
    db.conn.commit()


def held(db):
    return {r[0] for r in db.execute("SELECT eid FROM upstream_cases WHERE applicant_enc IS NOT NULL")}


def test_purge_rules(tmp_path):
    hall = Hall(tmp_path / "hub.db")
    db = hall.db
    day = upstream_case.DAY_MS

    def case(serial):
        return invitations.create(db, "12", serial, "T0001", "事项", staff_id="S", staff_name="王",
                                  upstream_case={"applicant": APPLICANT})["eid"]
    rated, cancelled, waiting, queued = case("A"), case("B"), case("C"), case("D")
    hall.rate({"eid": rated, "case_serial": "A"})
    invitations.cancel(db, cancelled)
    hall.rate({"eid": waiting, "case_serial": "C"})
    assert held(db) == {rated, cancelled, waiting, queued}
    now = int(time.time() * 1000) + 1
    # Nothing is done upstream yet: nothing goes.
    assert upstream_case.purge_due(db, now, 60, 180) == 0
    # The platform holds all: the cancelled one goes at once, the rated ones after the retention.
    settle_all(db, "accepted", now)
    db.execute("UPDATE outbox SET state='sent' WHERE kind='rating' AND ref=(SELECT rating_id FROM "
               "invitations WHERE eid=?)", (waiting,))
    db.conn.commit()
    assert upstream_case.purge_due(db, now, 60, 180) == 1
    assert held(db) == {rated, waiting, queued}
    assert upstream_case.purge_due(db, now + 59 * day, 60, 180) == 0
    assert upstream_case.purge_due(db, now + 60 * day, 60, 180) == 1
    assert held(db) == {waiting, queued}
    # Whatever the platform said, nothing outlives the maximum.
    assert upstream_case.purge_due(db, now + 180 * day, 60, 180) == 2
    assert held(db) == set()
    assert db.execute("SELECT COUNT(*) FROM upstream_cases WHERE purged_at IS NOT NULL").fetchone()[0] == 4
    # The codes stay: they are no personal data.
    assert db.execute("SELECT COUNT(*) FROM upstream_cases WHERE codes = '{}'").fetchone()[0] == 4


def test_purge_job_logs_a_count_only(tmp_path, caplog):
    from hub.app_parts import ApplicantPurge
    cfg = make_config(tmp_path, "[privacy]\napplicant_retention_days = 0\n")
    hall = Hall(cfg.db_path)
    eid = invitations.create(hall.db, "12", "A", "T0001", "事项", staff_id="S", staff_name="王",
                             upstream_case={"applicant": APPLICANT})["eid"]
    hall.rate({"eid": eid, "case_serial": "A"})
    settle_all(hall.db)
    caplog.set_level(logging.INFO)
    assert ApplicantPurge(cfg, clock=lambda: time.time() + 1).run() == 1
    [line] = [r.getMessage() for r in caplog.records if "applicant" in r.getMessage()]
    assert "1 case" in line and not leaks(line) and eid not in line
    assert held(hall.db) == set()


@pytest.mark.parametrize("text, key", [
    ("[privacy]\napplicant_retention_days = -1\n", "privacy.applicant_retention_days"),
    ("[privacy]\napplicant_retention_days = \"60\"\n", "privacy.applicant_retention_days"),
    ("[privacy]\napplicant_max_days = 0\n", "privacy.applicant_max_days"),
    ("[privacy]\napplicant_retention_days = 90\napplicant_max_days = 30\n", "privacy.applicant_max_days"),
])
def test_bad_privacy_values_name_the_key(tmp_path, text, key):
    from hub import config
    with pytest.raises(config.ConfigError) as e:
        make_config(tmp_path, text)
    assert key in str(e.value)


def test_sealed_applicant_that_does_not_open_goes_without_it(tmp_path, caplog):
    hall = Hall(tmp_path / "hub.db")
    eid = invitations.create(hall.db, "12", "A", "T0001", "事项", staff_id="S", staff_name="王",
                             upstream_case={"applicant": APPLICANT})["eid"]
    other = invitations.create(hall.db, "12", "B", "T0001", "事项", staff_id="S", staff_name="王",
                               upstream_case={"applicant": APPLICANT})["eid"]
    # A value moved to another row does not open there (the aad binds it).
    hall.db.execute("UPDATE upstream_cases SET applicant_enc = (SELECT applicant_enc FROM upstream_cases "
                    "WHERE eid = ?) WHERE eid = ?", (other, eid))
    hall.db.conn.commit()
    key = sealbox.load_key(data_dir(hall.db))
    caplog.set_level(logging.WARNING)
    assert outbox.case_payload(hall.db, eid, key)["applicant"] is None
    assert outbox.case_payload(hall.db, other, key)["applicant"] == APPLICANT
    assert outbox.case_payload(hall.db, other)["applicant"] is None        # no key: never opened
    assert not any(leaks(r.getMessage()) for r in caplog.records)


def test_old_database_gains_the_table(tmp_path):
    path = str(tmp_path / "old.db")
    db = open_db(path, migrate=False)
    from hub.store import migrations
    migrations.migrate(db, 11)
    db.close()
    db = open_db(path)
    assert db.execute("SELECT COUNT(*) FROM upstream_cases").fetchone()[0] == 0
    assert "outbox_waiting" in db.execute("EXPLAIN QUERY PLAN SELECT id FROM outbox INDEXED BY outbox_waiting "
                                          "WHERE state IN ('pending','sent') ORDER BY id LIMIT 5").fetchall()[0][3]
    assert isinstance(db.conn, sqlite3.Connection)


class Quoting(Recording):
    """A platform that quotes what it refused, personal values included."""

    def register_cases(self, cases):
        return [Outcome.ok("C")] * len(cases)

    def push_ratings(self, ratings):
        return [Outcome.permanent("手机号 %s 与姓名 %s 不符" % (MOBILE, NAME))] * len(ratings)


def test_a_refusal_quoting_the_applicant_is_kept_without_it(tmp_path):
    hall = Hall(tmp_path / "hub.db")
    inv = invitations.create(hall.db, "12", "A", "T0001", "事项", staff_id="S", staff_name="王",
                             upstream_case={"applicant": APPLICANT})
    hall.rate(inv)
    Relay(str(tmp_path / "hub.db"), Quoting(), in_flight=2).run_once()
    [dead] = outbox.dead_letters(hall.db)
    assert "省平台拒收此评价" in dead["last_error"] and "pingjia upstream replay" in dead["last_error"]
    assert "不符" in dead["last_error"] and not leaks(dead["last_error"])
