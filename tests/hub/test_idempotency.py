"""Idempotency-Key on POST /api/v1/invitations: a retry after a lost answer
gets the first answer again and creates nothing; the key with another body
is refused naming the header; old keys are purged."""

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.services import idempotency
from tests.hub.test_api_invitations import INV, assert_error

pytestmark = pytest.mark.anyio


def count(api, sql):
    conn = sqlite3.connect(api.cfg.db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


async def test_same_key_same_body_gets_the_same_answer_and_creates_nothing(api):
    first = await api.client.post("/api/v1/invitations", json=INV,
                                  headers={"Idempotency-Key": "call-0001"})
    assert first.status_code == 202, first.text          # T-12 is offline: 202 with warning
    again = await api.client.post("/api/v1/invitations", json=dict(reversed(list(INV.items()))),
                                  headers={"Idempotency-Key": "call-0001"})
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert count(api, "SELECT COUNT(*) FROM invitations") == 1
    # Without the key the retry is what it always was: 一次一评 refuses it.
    plain = await api.client.post("/api/v1/invitations", json=INV)
    assert_error(plain, 409, "duplicate_visit")


async def test_same_key_other_body_is_422_naming_the_header(api):
    r = await api.client.post("/api/v1/invitations", json=INV, headers={"Idempotency-Key": "k1"})
    assert r.status_code in (201, 202)
    other = dict(INV, case_serial="SZ-OTHER")
    r = await api.client.post("/api/v1/invitations", json=other, headers={"Idempotency-Key": "k1"})
    assert_error(r, 422, "idempotency_key_reused", field="Idempotency-Key",
                 words=["Idempotency-Key", "different request body"])
    assert count(api, "SELECT COUNT(*) FROM invitations") == 1


async def test_keys_belong_to_their_client(api):
    token = api.tokens.create("dashboard")
    a = await api.client.post("/api/v1/invitations", json=INV, headers={"Idempotency-Key": "k"})
    b = await api.client.post("/api/v1/invitations", json=dict(INV, visit=2),
                              headers={"Idempotency-Key": "k", "Authorization": "Bearer " + token})
    assert b.status_code in (201, 202) and b.json()["id"] != a.json()["id"]


async def test_a_refused_call_is_not_remembered(api):
    r = await api.client.post("/api/v1/invitations", json=dict(INV, window="99"),
                              headers={"Idempotency-Key": "k2"})
    assert_error(r, 404, "unknown_window")
    r = await api.client.post("/api/v1/invitations", json=INV, headers={"Idempotency-Key": "k2"})
    assert r.status_code in (201, 202), r.text


@pytest.mark.parametrize("key", ["", "x" * 65, "ключ", "a\tb"])
async def test_bad_keys_are_422_naming_the_header(api, key):
    r = await api.client.post("/api/v1/invitations", json=INV,
                              headers={"Idempotency-Key": key.encode("utf-8")})
    assert_error(r, 422, "bad_request", field="Idempotency-Key", words=["printable ASCII"])
    assert count(api, "SELECT COUNT(*) FROM invitations") == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1, max_size=64))
def test_every_printable_ascii_key_of_1_to_64_is_accepted(key):
    assert idempotency.check_key(key) == key


def test_keys_are_purged_after_a_day(tmp_path):
    from hub.store import open_db
    db = open_db(str(tmp_path / "hub.sqlite3"))
    idempotency.remember(db, "c", "old", "d", 201, {"id": "e1"}, now=1_000)
    idempotency.remember(db, "c", "new", "d", 201, {"id": "e2"}, now=idempotency.KEEP_MS)
    assert idempotency.purge(db, now=idempotency.KEEP_MS + 2_000) == 1
    assert idempotency.recall(db, "c", "new", "d") == (201, {"id": "e2"})
    assert idempotency.recall(db, "c", "old", "d") is None
