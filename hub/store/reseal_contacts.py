"""Migration step 8: re-seal applicant contacts from the retired format 1 with AES-GCM.

Hubs run without the `cryptography` package sealed contacts with a home-made
cipher, format byte 1 (`01 | nonce 16 | ciphertext | tag 16`): keystream
blocks HMAC-SHA256(k_enc, nonce || 8-byte big-endian counter) XORed with the
plaintext, tag the first 16 bytes of HMAC-SHA256(k_mac, 01 || nonce || aad ||
ciphertext), k_enc = HMAC-SHA256(key, "contact enc"), k_mac =
HMAC-SHA256(key, "contact mac"), aad the invitation's eid. This module is the
only reader of that format left: it opens each such value once and seals it
again with hub.store.sealbox.

A value that does not authenticate (damaged, or contact.key was replaced) is
neither dropped nor fatal: its bytes stay as they were, the hub's log and the
audit table (action contact.unreadable, subject the eid) name the table and
row, and the hub starts. Rows already reported are skipped, so the step
changes nothing when it runs again.
"""

import hashlib
import hmac
import json
import logging
import os
import time

from hub.store import sealbox

log = logging.getLogger("hub.store")

TABLE, COLUMN = "invitations", "contact_enc"
ACTION = "contact.unreadable"
_NONCE = 16
_TAG = 16


class RetiredFormatError(ValueError):
    """A format 1 value that does not authenticate with the key."""


def open_retired_hmac_ctr(key, sealed, aad):
    """Format 1 bytes -> plaintext bytes. Raises RetiredFormatError."""
    if sealed[:1] != sealbox.RETIRED_FORMAT or len(sealed) < 1 + _NONCE + _TAG:
        raise RetiredFormatError("too short for format 1")
    nonce, ct, tag = sealed[1:1 + _NONCE], sealed[1 + _NONCE:-_TAG], sealed[-_TAG:]
    k_mac = hmac.new(key, b"contact mac", hashlib.sha256).digest()
    want = hmac.new(k_mac, sealbox.RETIRED_FORMAT + nonce + aad + ct, hashlib.sha256).digest()
    if not hmac.compare_digest(want[:_TAG], tag):
        raise RetiredFormatError("tag does not match: wrong key or damaged data")
    k_enc = hmac.new(key, b"contact enc", hashlib.sha256).digest()
    stream = bytearray()
    while len(stream) < len(ct):
        counter = (len(stream) // 32).to_bytes(8, "big")
        stream += hmac.new(k_enc, nonce + counter, hashlib.sha256).digest()
    return bytes(a ^ b for a, b in zip(ct, stream))


def _data_dir(conn):
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return os.path.dirname(os.path.abspath(file))
    raise RuntimeError("contacts in the retired format 1 but the database has no data "
                       "directory to hold contact.key")


def apply(conn):
    rows = conn.execute(
        "SELECT eid, contact_enc FROM invitations WHERE substr(contact_enc, 1, 1) = ? "
        "AND eid NOT IN (SELECT subject FROM audit WHERE action = ? AND subject IS NOT NULL)",
        (sealbox.RETIRED_FORMAT, ACTION)).fetchall()
    if not rows:
        return
    key = sealbox.load_key(_data_dir(conn))
    resealed = 0
    for eid, sealed in rows:
        aad = eid.encode()
        try:
            plain = open_retired_hmac_ctr(key, bytes(sealed), aad)
        except RetiredFormatError as e:
            log.warning("%s row eid=%s: %s in the retired format 1 does not open (%s); kept "
                        "as it was, it cannot be read", TABLE, eid, COLUMN, e)
            detail = {"table": TABLE, "column": COLUMN, "format": 1, "why": str(e)}
            conn.execute("INSERT INTO audit (at, actor, action, subject, detail) "
                         "VALUES (?, 'hub', ?, ?, ?)",
                         (int(time.time() * 1000), ACTION, eid, json.dumps(detail)))
            continue
        conn.execute("UPDATE invitations SET contact_enc = ? WHERE eid = ?",
                     (sealbox.seal(key, plain, aad), eid))
        resealed += 1
    log.info("re-sealed %d applicant contact(s) with AES-GCM; %d could not be opened",
             resealed, len(rows) - resealed)
