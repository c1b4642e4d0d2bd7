"""Opening the signed envelope of the Shandong-style dialect, the platform's way.

    {"appMark": <the hall's app id>, "time": "yyyyMMddHHmmss" (UTC+8),
     "sign": SM3(appMark + appWord + time + data) as hex,
     "data": <the JSON text of the call>, or, when the platform has an SM4 key,
             SM4-ECB with PKCS#7 padding of that text as hex}

appWord is the shared secret and never travels. Written from the dialect's
public description with gmssl (pure Python SM3/SM4), not with the hub's
code: the platform is the independent judge of what the hub seals.
"""

import hmac
import json

from gmssl import func, sm3, sm4

BLOCK = 16


class EnvelopeError(ValueError):
    """An envelope the platform refuses; the message says which part."""


def sm3_hex(data):
    return sm3.sm3_hash(func.bytes_to_list(data))


def sm4_ecb_decrypt(key, data):
    """SM4-ECB decryption with strict PKCS#7 unpadding; ValueError when either fails."""
    if not data or len(data) % BLOCK:
        raise ValueError("ciphertext is not a whole number of 16-byte blocks")
    c = sm4.CryptSM4(padding_mode=None)   # gmssl's own unpadding accepts any last byte
    c.set_key(key, sm4.SM4_DECRYPT)
    plain = c.crypt_ecb(data)
    n = plain[-1]
    if not 1 <= n <= BLOCK or plain[-n:] != bytes([n]) * n:
        raise ValueError("bad PKCS#7 padding")
    return plain[:-n]


def _key(key_hex):
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        key = b""
    if len(key) != BLOCK:
        raise EnvelopeError("the platform's sm4_key must be 32 hex digits (16 bytes)")
    return key


def open_envelope(env, app_words, sm4_key=None):
    """-> (app_mark, payload dict). `app_words` maps appMark -> appWord."""
    if not isinstance(env, dict):
        raise EnvelopeError("request body must be a JSON object with appMark, time, sign, data")
    for k in ("appMark", "time", "sign", "data"):
        if not isinstance(env.get(k), str) or not env[k]:
            raise EnvelopeError("envelope field %s is missing or not a string" % k)
    word = app_words.get(env["appMark"])
    if word is None:
        raise EnvelopeError("unknown appMark %r" % env["appMark"])
    want = sm3_hex((env["appMark"] + word + env["time"] + env["data"]).encode("utf-8"))
    if not hmac.compare_digest(want, env["sign"].lower()):
        raise EnvelopeError("sign does not verify: SM3(appMark + appWord + time + data) differs")
    text = env["data"]
    if sm4_key:
        key = _key(sm4_key)
        try:
            text = sm4_ecb_decrypt(key, bytes.fromhex(text)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise EnvelopeError("data is not SM4-ECB hex under the configured key")
    try:
        payload = json.loads(text)
    except ValueError:
        raise EnvelopeError("data is not JSON")
    if not isinstance(payload, dict):
        raise EnvelopeError("data must be a JSON object")
    return env["appMark"], payload
