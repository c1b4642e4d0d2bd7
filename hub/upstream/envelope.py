"""The signed envelope some provinces wrap every call in (appMark, time, sign).

  {"appMark": <hall's app id>, "time": "yyyyMMddHHmmss" (China Standard Time),
   "sign": SM3(appMark + appWord + time + data) as lowercase hex,
   "data": <the JSON text of the call>, or, when an SM4 key is configured,
           SM4-ECB(PKCS#7) of that JSON text as uppercase hex}

appWord is the shared secret and never travels. SM3/SM4 come from
hub/upstream/gm.py: the hub seals with the fastest implementation at hand,
the simulated platform opens with gmssl, so the two check each other. The
rules of the envelope are written once, here.
"""

import hmac
import json
import time

from hub.halltime import cst_stamp
from hub.upstream import gm

_BEST = gm.best()


class EnvelopeError(ValueError):
    """An envelope that cannot be opened; the message says which part."""


def _key(key_hex):
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        raise EnvelopeError("sm4_key must be 32 hex digits (16 bytes)")
    if len(key) != 16:
        raise EnvelopeError("sm4_key must be 32 hex digits (16 bytes), got %d bytes" % len(key))
    return key


def stamp(epoch_s=None):
    return cst_stamp(time.time() if epoch_s is None else epoch_s)


def seal(app_mark, app_word, payload, sm4_key=None, epoch_s=None, impl=_BEST):
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if sm4_key:
        text = impl.sm4_ecb(_key(sm4_key), text.encode("utf-8"), True).hex().upper()
    t = stamp(epoch_s)
    sign = impl.sm3_hex((app_mark + app_word + t + text).encode("utf-8"))
    return {"appMark": app_mark, "time": t, "sign": sign, "data": text}


def open_envelope(env, app_words, sm4_key=None, impl=_BEST):
    """-> (app_mark, payload dict). `app_words` maps appMark -> appWord."""
    if not isinstance(env, dict):
        raise EnvelopeError("request body must be a JSON object with appMark, time, sign, data")
    for k in ("appMark", "time", "sign", "data"):
        if not isinstance(env.get(k), str) or not env[k]:
            raise EnvelopeError("envelope field %s is missing or not a string" % k)
    word = app_words.get(env["appMark"])
    if word is None:
        raise EnvelopeError("unknown appMark %r" % env["appMark"])
    want = impl.sm3_hex((env["appMark"] + word + env["time"] + env["data"]).encode("utf-8"))
    if not hmac.compare_digest(want, env["sign"].lower()):
        raise EnvelopeError("sign does not verify: SM3(appMark + appWord + time + data) differs")
    text = env["data"]
    if sm4_key:
        try:
            text = impl.sm4_ecb(_key(sm4_key), bytes.fromhex(text), False).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise EnvelopeError("data is not SM4-ECB hex under the configured key")
    try:
        payload = json.loads(text)
    except ValueError:
        raise EnvelopeError("data is not JSON")
    if not isinstance(payload, dict):
        raise EnvelopeError("data must be a JSON object")
    return env["appMark"], payload
