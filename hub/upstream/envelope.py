"""The signed envelope some provinces wrap every call in (appMark, time, sign).

  {"appMark": <hall's app id>, "time": "yyyyMMddHHmmss" (UTC+8),
   "sign": SM3(appMark + appWord + time + data) as lowercase hex,
   "data": <the JSON text of the call>, or, when an SM4 key is configured,
           SM4-ECB(PKCS#7) of that JSON text as uppercase hex}

appWord is the shared secret and never travels. SM3/SM4 come from gmssl
(the national algorithms GB/T 32905 and GB/T 32907). The simulated platform
opens envelopes with the same rules, so they are written once, here.
"""

import hmac
import json
import time

from gmssl import sm3, sm4, func

from hub.upstream.base import SHANGHAI_OFFSET_S


class EnvelopeError(ValueError):
    """An envelope that cannot be opened; the message says which part."""


def sm3_hex(text):
    return sm3.sm3_hash(func.bytes_to_list(text.encode("utf-8")))


def _sm4(key_hex, mode):
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        raise EnvelopeError("sm4_key must be 32 hex digits (16 bytes)")
    if len(key) != 16:
        raise EnvelopeError("sm4_key must be 32 hex digits (16 bytes), got %d bytes" % len(key))
    c = sm4.CryptSM4()
    c.set_key(key, mode)
    return c


def stamp(epoch_s=None):
    t = time.time() if epoch_s is None else epoch_s
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(int(t) + SHANGHAI_OFFSET_S))


def seal(app_mark, app_word, payload, sm4_key=None, epoch_s=None):
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if sm4_key:
        text = _sm4(sm4_key, sm4.SM4_ENCRYPT).crypt_ecb(text.encode("utf-8")).hex().upper()
    t = stamp(epoch_s)
    return {"appMark": app_mark, "time": t, "sign": sm3_hex(app_mark + app_word + t + text), "data": text}


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
    want = sm3_hex(env["appMark"] + word + env["time"] + env["data"])
    if not hmac.compare_digest(want, env["sign"].lower()):
        raise EnvelopeError("sign does not verify: SM3(appMark + appWord + time + data) differs")
    text = env["data"]
    if sm4_key:
        try:
            text = _sm4(sm4_key, sm4.SM4_DECRYPT).crypt_ecb(bytes.fromhex(text)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise EnvelopeError("data is not SM4-ECB hex under the configured key")
    try:
        payload = json.loads(text)
    except ValueError:
        raise EnvelopeError("data is not JSON")
    if not isinstance(payload, dict):
        raise EnvelopeError("data must be a JSON object")
    return env["appMark"], payload
