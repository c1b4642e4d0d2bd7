"""Encryption of the applicant contact an invitation may carry.

The contact (a phone number for reminders) is personal data: it is stored
only encrypted, decrypted only to send a reminder, and never logged or
returned by list endpoints. The key is 32 random bytes in `contact.key` in
the hub's data directory (mode 0600, created on first use).

Cipher. With the `cryptography` package installed (a project dependency),
AES-256-GCM (format byte 2). Without it, format 1, an encrypt-then-MAC AEAD
built from the standard library only:
keystream = HMAC-SHA256(k_enc, nonce || counter) blocks XORed with the
plaintext (HMAC-SHA256 as a PRF in counter mode), then a 128-bit tag
HMAC-SHA256(k_mac, format || nonce || aad || ciphertext); k_enc and k_mac are
derived from the file key with distinct labels, the nonce is 16 random
bytes. open() reads both formats, so rows sealed before `cryptography` was
installed stay readable (a format 2 row needs `cryptography`).
"""

import hashlib
import hmac
import os
import secrets

try:  # optional: a real AES-GCM when available
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:  # pragma: no cover - depends on the environment
    AESGCM = None

KEY_FILE = "contact.key"
_NONCE = 16
_TAG = 16


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


def _sub(key, label):
    return hmac.new(key, label, hashlib.sha256).digest()


def _stream(key, nonce, n):
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:n])


def seal(key, plaintext, aad=b""):
    """str/bytes -> sealed bytes (format byte, nonce, ciphertext, tag)."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode()
    if AESGCM is not None:
        nonce = secrets.token_bytes(12)
        return b"\x02" + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)
    nonce = secrets.token_bytes(_NONCE)
    ks = _stream(_sub(key, b"contact enc"), nonce, len(plaintext))
    ct = bytes(a ^ b for a, b in zip(plaintext, ks))
    tag = hmac.new(_sub(key, b"contact mac"), b"\x01" + nonce + aad + ct, hashlib.sha256).digest()
    return b"\x01" + nonce + ct + tag[:_TAG]


def open_sealed(key, sealed, aad=b""):
    """Sealed bytes -> plaintext str. Raises SealError."""
    sealed = bytes(sealed)
    if sealed[:1] == b"\x02":
        if AESGCM is None:
            raise SealError("value sealed with AES-GCM; install the cryptography package")
        try:
            return AESGCM(key).decrypt(sealed[1:13], sealed[13:], aad).decode()
        except Exception as e:
            raise SealError("sealed value does not open: %s" % type(e).__name__)
    if sealed[:1] != b"\x01" or len(sealed) < 1 + _NONCE + _TAG:
        raise SealError("not a sealed value")
    nonce, ct, tag = sealed[1:1 + _NONCE], sealed[1 + _NONCE:-_TAG], sealed[-_TAG:]
    want = hmac.new(_sub(key, b"contact mac"), b"\x01" + nonce + aad + ct, hashlib.sha256).digest()
    if not hmac.compare_digest(want[:_TAG], tag):
        raise SealError("sealed value does not open: wrong key or damaged data")
    ks = _stream(_sub(key, b"contact enc"), nonce, len(ct))
    return bytes(a ^ b for a, b in zip(ct, ks)).decode()
