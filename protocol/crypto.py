"""HMAC-SHA256 from hashlib.sha256 alone.

MicroPython ports ship hashlib.sha256 but not always `hmac`, so the terminal
and the hub both use this one implementation (RFC 2104).
"""

import hashlib

_BLOCK = 64


def sha256(data):
    return hashlib.sha256(data).digest()


def hmac_key(key):
    """key -> its two padded blocks (RFC 2104 K^ipad, K^opad), built once per
    key: a session MACs every packet with the same key, and on the hub the
    byte-by-byte XOR cost more than the two hashes."""
    if len(key) > _BLOCK:
        key = sha256(key)
    key = bytes(key) + bytes(_BLOCK - len(key))
    return bytes([b ^ 0x36 for b in key]), bytes([b ^ 0x5C for b in key])


def hmac_with(pads, msg, more=None):
    """HMAC-SHA256 of msg (followed by MORE, if given) under a key prepared by
    hmac_key; MORE saves joining two byte strings for one MAC."""
    inner = hashlib.sha256(pads[0])
    inner.update(msg)
    if more is not None:
        inner.update(more)
    outer = hashlib.sha256(pads[1])
    outer.update(inner.digest())
    return outer.digest()


def hmac_sha256(key, msg):
    return hmac_with(hmac_key(key), msg)


try:
    from hmac import compare_digest as _compare_digest   # CPython: in C
except ImportError:                                       # MicroPython
    _compare_digest = None


def equal(a, b):
    """Compare two byte strings in time that does not depend on where they differ."""
    if _compare_digest is not None:
        return _compare_digest(a, b)
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0


def parse_key(text):
    """A device key as written in configuration (64 hex digits) -> 32 bytes."""
    if type(text) is not str or len(text) != 64:
        raise ValueError("a device key must be 64 hex digits (32 bytes)")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError("a device key must be 64 hex digits (32 bytes)")
