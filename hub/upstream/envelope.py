"""The signed envelope some provinces wrap every call in (appMark, time, sign).

  {"appMark": <hall's app id>, "time": "yyyyMMddHHmmss" (China Standard Time),
   "sign": SM3(appMark + appWord + time + data) as lowercase hex,
   "data": <the JSON text of the call>, or, when an SM4 key is configured,
           SM4-ECB(PKCS#7) of that JSON text as uppercase hex}

appWord is the shared secret and never travels. SM3/SM4 come from
hub/upstream/gm.py: the hub seals with the fastest implementation at hand.
The hub only seals; opening is the platform's side, and the simulated
platform does it with its own code and gmssl, so the two check each other.
"""

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
