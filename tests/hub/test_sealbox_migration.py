"""Upgrading a hub whose contacts were sealed with the retired format 1: the
store's open re-seals them with AES-GCM once, and names any it cannot open."""

import hashlib
import hmac
import json
import logging
import os
import secrets

import pytest

from hub.store import migrations, open_db, pragma, sealbox, tx

# Written by the earlier hub itself (its sealbox without `cryptography`), with
# key bytes 0..31 and the nonce bytes 100..115 substituted for random ones.
OLD_HUB_EID = "e0123456789abcdef0123"
OLD_HUB_CONTACT = "13800138000 李四"
OLD_HUB_SEALED = bytes.fromhex(
    "016465666768696a6b6c6d6e6f707172730b374bcb72661253eb9ba4b85ade340c858465b7a04d7f5ceedc"
    "4935c0849e92ef45")
KEY = bytes(range(32))


def seal_format_1(key, text, aad):
    """Format 1 from its documented layout: 01 | nonce | HMAC-CTR ciphertext | tag."""
    nonce = secrets.token_bytes(16)
    k_enc = hmac.new(key, b"contact enc", hashlib.sha256).digest()
    k_mac = hmac.new(key, b"contact mac", hashlib.sha256).digest()
    plain = text.encode()
    stream = b"".join(hmac.new(k_enc, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest()
                      for i in range(len(plain) // 32 + 1))
    ct = bytes(a ^ b for a, b in zip(plain, stream))
    return b"\x01" + nonce + ct + hmac.new(k_mac, b"\x01" + nonce + aad + ct,
                                          hashlib.sha256).digest()[:16]


def damaged(sealed):
    b = bytearray(sealed)
    b[20] ^= 1
    return bytes(b)


def hub_at_version_7(tmp_path, contacts):
    """A data directory as the earlier hub left it: contact.key and invitations."""
    (tmp_path / sealbox.KEY_FILE).write_bytes(KEY)
    os.chmod(tmp_path / sealbox.KEY_FILE, 0o600)
    path = tmp_path / "hub.sqlite3"
    db = open_db(path, migrate=False)
    assert migrations.migrate(db, target=7) == 7
    db.execute("INSERT INTO windows (window, name, created_at) VALUES ('A01', '一号窗口', 1)")
    for n, (eid, sealed) in enumerate(contacts.items()):
        db.execute(
            "INSERT INTO invitations (eid, window, case_serial, matter_code, matter_name, "
            "staff_id, staff_name, applicant_kind, contact_enc, state, timeout_s, created_at, "
            "deadline) VALUES (?, 'A01', ?, 'M1', '事项', 'S1', '王五', 1, ?, 'rated', 60, 1, 2)",
            (eid, "C%03d" % n, sealed))
    db.conn.commit()
    db.conn.close()
    return path


def contact(db, eid):
    """The applicant contact as the hub's key opens it (bound to its invitation)."""
    raw = db.execute("SELECT contact_enc FROM invitations WHERE eid = ?", (eid,)).fetchone()[0]
    return sealbox.open_sealed(KEY, raw, eid.encode())


def snapshot(db):
    return (db.execute("SELECT eid, contact_enc FROM invitations ORDER BY eid").fetchall(),
            db.execute("SELECT action, subject, detail FROM audit ORDER BY id").fetchall())


@pytest.fixture
def upgraded(tmp_path, caplog):
    good = {OLD_HUB_EID: OLD_HUB_CONTACT, "e-short": "1", "e-phone": "13912345678",
            "e-long": "广东省深圳市福田区福中三路市民中心 B 区 0755-88888888 转 1234 " * 3}
    sealed = {eid: seal_format_1(KEY, text, eid.encode()) for eid, text in good.items()}
    sealed[OLD_HUB_EID] = OLD_HUB_SEALED
    sealed["e-new"] = sealbox.seal(KEY, "13700000000", b"e-new")
    good["e-new"] = "13700000000"
    sealed["e-none"] = None
    bad = {"e-damaged": damaged(seal_format_1(KEY, "13600000000", b"e-damaged")),
           "e-otherkey": seal_format_1(bytes(32), "13500000000", b"e-otherkey"),
           "e-truncated": b"\x01" + bytes(20)}
    sealed.update(bad)
    path = hub_at_version_7(tmp_path, sealed)
    with caplog.at_level(logging.INFO, logger="hub.store"):
        db = open_db(path)                  # what the hub does at start
    logged = "\n".join(r.getMessage() for r in caplog.records)
    return db, path, good, sealed, bad, logged


def test_every_old_value_reads_back_equal_and_none_is_left(upgraded):
    db, _path, good, sealed, bad, _logged = upgraded
    assert pragma(db, "user_version") == migrations.LATEST
    for eid, text in good.items():
        assert contact(db, eid) == text
    rows = dict(db.execute("SELECT eid, contact_enc FROM invitations").fetchall())
    assert rows["e-none"] is None
    assert rows["e-new"] == sealed["e-new"]               # already AES-GCM: untouched
    old_format = {eid for eid, v in rows.items() if v is not None and v[:1] == b"\x01"}
    assert old_format == set(bad)
    for eid in good:
        assert rows[eid][:1] == b"\x02" and len(rows[eid]) == 1 + 12 + len(good[eid].encode()) + 16


def test_a_value_that_does_not_authenticate_is_reported_and_kept(upgraded):
    db, _path, _good, _sealed, bad, logged = upgraded
    reported = db.execute("SELECT subject, actor, detail FROM audit "
                          "WHERE action = 'contact.unreadable' ORDER BY subject").fetchall()
    assert [r[0] for r in reported] == sorted(bad)
    for _eid, actor, detail in reported:
        assert actor == "hub"
        assert json.loads(detail)["table"] == "invitations"
        assert json.loads(detail)["column"] == "contact_enc"
    for eid, value in bad.items():
        assert db.execute("SELECT contact_enc FROM invitations WHERE eid = ?",
                          (eid,)).fetchone()[0] == value           # not dropped
        assert "invitations row eid=%s" % eid in logged
        with pytest.raises(sealbox.SealError, match="retired format 1"):
            contact(db, eid)
    assert "re-sealed 4 applicant contact(s) with AES-GCM; 3 could not be opened" in logged
    for text in ("13800138000", "13600000000", "13500000000", "李四"):
        assert text not in logged                  # contacts are never logged


def test_running_again_changes_nothing(upgraded):
    db, path, _good, _sealed, _bad, _logged = upgraded
    before = snapshot(db)
    db.conn.close()
    db = open_db(path)
    assert snapshot(db) == before
    # Even the step itself run once more (a second connection racing the first
    # open) finds nothing left to do and reports nothing twice.
    step = next(apply for number, _what, apply in migrations.STEPS if number == 8)
    with tx(db):
        step(db.conn)
    assert snapshot(db) == before


def test_a_new_hub_seals_with_aes_gcm_and_needs_no_key_to_migrate(tmp_path):
    db = open_db(tmp_path / "hub.sqlite3")
    assert not (tmp_path / sealbox.KEY_FILE).exists()
    key = sealbox.load_key(str(tmp_path))
    assert sealbox.seal(key, "13800138000", b"e1")[:1] == b"\x02"
    assert pragma(db, "user_version") == migrations.LATEST
