"""The hub's SQLite store: pragmas, file permissions, migrations from every
earlier schema version, and the contact seal."""

import os
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.store import SCHEMA_VERSION, open_db, pragma, tx
from hub.store import migrations, sealbox


def schema_of(db):
    return sorted(db.conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall())


def test_open_db_is_durable_wal_and_private(tmp_path):
    db = open_db(tmp_path / "data" / "hub.db")
    assert pragma(db, "journal_mode") == "wal"
    assert pragma(db, "synchronous") == 2          # FULL
    assert pragma(db, "foreign_keys") == 1
    assert pragma(db, "user_version") == SCHEMA_VERSION
    assert os.stat(tmp_path / "data").st_mode & 0o777 == 0o700
    assert os.stat(tmp_path / "data" / "hub.db").st_mode & 0o777 == 0o600


def test_empty_db_migrates_to_latest_and_reopen_is_a_no_op(tmp_path):
    path = tmp_path / "hub.db"
    db = open_db(path)
    fresh = schema_of(db)
    assert {"terminals", "windows", "duty", "invitations", "ratings", "timeouts",
            "outbox", "audit", "config_versions"} <= set(db.table_names())
    assert db["config_versions"].count == 1       # seeded once
    db.conn.close()
    db = open_db(path)
    assert schema_of(db) == fresh and db["config_versions"].count == 1


@pytest.mark.parametrize("start", range(0, SCHEMA_VERSION))
def test_db_at_every_earlier_version_migrates_with_its_data(tmp_path, start):
    path = tmp_path / "hub.db"
    db = open_db(path, migrate=False)
    assert migrations.migrate(db, target=start) == start
    if start >= 1:   # data written by an older hub survives the upgrade
        db.execute("INSERT INTO windows (window, name, created_at) VALUES ('A01', '一号窗口', 1)")
    db.conn.close()
    db = open_db(path)
    assert pragma(db, "user_version") == SCHEMA_VERSION
    reference = open_db(tmp_path / "ref.db")
    assert schema_of(db) == schema_of(reference)
    if start >= 1:
        assert db["windows"].get("A01")["name"] == "一号窗口"


def test_newer_database_is_refused_with_advice(tmp_path):
    db = open_db(tmp_path / "hub.db")
    db.conn.execute("PRAGMA user_version=%d" % (SCHEMA_VERSION + 1))
    with pytest.raises(RuntimeError, match="newer than this hub"):
        migrations.migrate(db)


def test_tx_rolls_back_and_nests(tmp_path):
    db = open_db(tmp_path / "hub.db")
    with pytest.raises(sqlite3.IntegrityError):
        with tx(db):
            db.execute("INSERT INTO windows VALUES ('A01', '', 1)")
            db.execute("INSERT INTO windows VALUES ('A01', '', 1)")
    assert db["windows"].count == 0
    with tx(db):
        db.execute("INSERT INTO windows VALUES ('A01', '', 1)")
        with pytest.raises(sqlite3.IntegrityError):
            with tx(db):
                db.execute("INSERT INTO windows VALUES ('A02', '', 1)")
                db.execute("INSERT INTO windows VALUES ('A01', '', 1)")
    assert [r["window"] for r in db["windows"].rows] == ["A01"]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60), aad=st.binary(max_size=20))
def test_seal_round_trip(tmp_path_factory, text, aad):
    key = sealbox.load_key(str(tmp_path_factory.getbasetemp()))
    sealed = sealbox.seal(key, text, aad)
    assert sealed[:1] == b"\x02"                   # AES-GCM, the only format written
    if len(text.encode()) >= 8:      # shorter ones may turn up in random bytes by chance
        assert text.encode() not in sealed
    assert sealbox.open_sealed(key, sealed, aad) == text


def test_seal_refuses_wrong_key_tamper_and_other_aad(tmp_path):
    key = sealbox.load_key(str(tmp_path))
    assert os.stat(tmp_path / sealbox.KEY_FILE).st_mode & 0o777 == 0o600
    assert sealbox.load_key(str(tmp_path)) == key
    sealed = sealbox.seal(key, "13800138000", b"e1")
    with pytest.raises(sealbox.SealError):
        sealbox.open_sealed(bytes(32), sealed, b"e1")
    with pytest.raises(sealbox.SealError):
        sealbox.open_sealed(key, sealed, b"e2")
    bad = bytearray(sealed)
    bad[20] ^= 1
    with pytest.raises(sealbox.SealError):
        sealbox.open_sealed(key, bytes(bad), b"e1")
