"""Encryption of the applicant contact an invitation may carry.

The contact (a phone number for reminders) is personal data: it is stored
only encrypted, decrypted only to send a reminder, and never logged or
returned by list endpoints. The key is 32 random bytes in `contact.key` in
the hub's data directory (mode 0600, created on first use).

Cipher: AES-256-GCM from the `cryptography` package, nothing else. A sealed
value is format byte 2, a 12-byte random nonce, then ciphertext and 16-byte
tag; the aad binds it to its row. Format byte 1 was an earlier hub's
home-made cipher; migration step 8 (hub/store/reseal_contacts.py) re-sealed
those values, and open_sealed() only recognises one left behind.
"""

import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "contact.key"
FORMAT = b"\x02"
RETIRED_FORMAT = b"\x01"
_NONCE = 12


class SealError(ValueError):
    """A sealed value that does not open: wrong key or damaged data."""


def load_key(folder):
    """The data directory's contact key; created (0600) if missing."""
    path = os.path.join(folder, KEY_FILE)
    try:
        with open(path, "rb") as f:
            key = f.read()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
    if len(key) != 32:
        raise SealError("%s must hold 32 bytes; restore it from backup or delete it "
                        "(stored contacts then cannot be read)" % path)
    return key


def seal(key, plaintext, aad=b""):
    """str/bytes -> sealed bytes (format byte, nonce, ciphertext and tag)."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode()
    nonce = secrets.token_bytes(_NONCE)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key, sealed, aad=b""):
    """Sealed bytes -> plaintext str. Raises SealError."""
    sealed = bytes(sealed)
    if sealed[:1] == RETIRED_FORMAT:
        # Step 8 left it because it did not authenticate; the audit log names it.
        raise SealError("value in the retired format 1 that the upgrade could not re-seal "
                        "(audit action contact.unreadable)")
    if sealed[:1] != FORMAT:
        raise SealError("not a sealed value")
    try:
        return AESGCM(key).decrypt(sealed[1:1 + _NONCE], sealed[1 + _NONCE:], aad).decode()
    except Exception as e:
        raise SealError("sealed value does not open: %s" % type(e).__name__)
