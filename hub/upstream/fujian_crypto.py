"""Fujian's gateway sign and body cipher (Evecom client, linjunzhen/ptzhsp,
src/net/evecom/platform/evaluate/utils/EvaluateCommonUtil.java).

- get-token sign: lower-case hex MD5 of appCode + the 13-digit millisecond
  timestamp sent with it (known from the client).
- The XML body is SM4-encrypted under the key MD5(appCode): the 16 bytes of
  that digest (known: the key; assumed: ECB with PKCS#7 padding and the
  ciphertext as lower-case hex, the common form of the provinces' SM4 tools).

SM4 comes from hub/upstream/gm.py (native OpenSSL when it has SM4, gmssl
otherwise); the simulated platform decrypts with its own gmssl code.
"""

import hashlib

from hub.upstream import gm

_BEST = gm.best()


def sign(app_code, timestamp_ms):
    return hashlib.md5((app_code + str(timestamp_ms)).encode("utf-8")).hexdigest()


def body_key(app_code):
    return hashlib.md5(app_code.encode("utf-8")).digest()


def seal(app_code, xml_text, impl=_BEST):
    return impl.sm4_ecb(body_key(app_code), xml_text.encode("utf-8"), True).hex()


def open_sealed(app_code, hex_text, impl=_BEST):
    """The hub never opens what it sends; tests use this to check both ways."""
    return impl.sm4_ecb(body_key(app_code), bytes.fromhex(hex_text), False).decode("utf-8")
