"""The national algorithms SM2 (GB/T 32918), SM3 (GB/T 32905) and SM4 (GB/T 32907), two implementations.

`openssl`: native code — hashlib's sm3, cryptography's SM4 and, for SM2,
Tongsuo (the OpenSSL fork of the national algorithms, `tongsuopy` wheels)
through its EVP_PKEY_encrypt/decrypt; about thirty times faster than pure
Python for SM2 (docs/PERFORMANCE.md, bench/sm2_bench.py). The hub uses it
when it works here. `gmssl`: the pure-Python gmssl package — the fallback,
and the implementation the simulated provincial platform decrypts and
verifies with, so what the hub seals is opened by code independent of the
code that sealed it.

SM2 ciphertext on the wire (docs/UPSTREAM.md, Shandong): C1 || C3 || C2 —
C1 the curve point as 04 || x || y (64 bytes after the 04 prefix), C3 the
SM3 digest (32 bytes), C2 the encrypted text — the layout of Bouncy Castle's
and hutool's SM2 (C1C3C2 is their default) that the Jining client uses,
written as upper-case hex. `mode` "C1C2C3" (the 2010 draft's order) and
`prefix` False (no 04) serve a platform that wants those instead.
Keys are hex: a public key is x || y (128 digits, a leading 04 is
accepted), a private key 64 digits.
"""

import hashlib

C1C3C2, C1C2C3 = "C1C3C2", "C1C2C3"
SM2_MODES = (C1C3C2, C1C2C3)
_POINT = 64          # x || y of C1, without the 04 prefix
_DIGEST = 32         # C3, SM3


class SM2KeyError(ValueError):
    """A key that is not an SM2 key in hex; the message says what is expected."""


def public_key_hex(key):
    """A configured public key -> 128 hex digits x || y (04 prefix dropped)."""
    k = str(key).strip().lower()
    if len(k) == 130 and k.startswith("04"):
        k = k[2:]
    try:
        bytes.fromhex(k)
    except ValueError:
        k = ""
    if len(k) != 128:
        raise SM2KeyError("an SM2 public key is 128 hex digits (x || y), or 130 with the 04 prefix")
    return k


def _reorder(raw, mode, to_wire):
    """C1C3C2 (our internal order) <-> the wire's order; raw has no 04 prefix."""
    if mode == C1C3C2:
        return raw
    c1 = raw[:_POINT]
    if to_wire:     # C1 C3 C2 -> C1 C2 C3
        return c1 + raw[_POINT + _DIGEST:] + raw[_POINT:_POINT + _DIGEST]
    return c1 + raw[-_DIGEST:] + raw[_POINT:-_DIGEST]


def to_wire(raw, mode=C1C3C2, prefix=True):
    """Raw C1C3C2 bytes (no 04) -> upper-case hex as the platform takes it."""
    body = _reorder(raw, mode, True)
    return ("04" if prefix else "") + body.hex().upper()


def from_wire(text, mode=C1C3C2, prefix=True):
    """The wire's hex -> raw C1C3C2 bytes (no 04); ValueError when malformed."""
    data = bytes.fromhex(text)
    if prefix:
        if not data or data[0] != 4:
            raise ValueError("SM2 ciphertext must start with the 04 point prefix")
        data = data[1:]
    if len(data) <= _POINT + _DIGEST:
        raise ValueError("SM2 ciphertext shorter than C1 and C3")
    return _reorder(data, mode, False)


class GmSSL:
    name = "gmssl"

    def sm3_hex(self, data):
        from gmssl import sm3, func
        return sm3.sm3_hash(func.bytes_to_list(data))

    def sm4_ecb(self, key, data, encrypt):
        from gmssl import sm4
        c = sm4.CryptSM4()
        c.set_key(key, sm4.SM4_ENCRYPT if encrypt else sm4.SM4_DECRYPT)
        return c.crypt_ecb(data)         # PKCS#7 padding added / removed

    # gmssl's constructor strips a "04" prefix with str.lstrip, which also
    # eats the leading 0s and 4s of an x that starts with them: the key is
    # set after construction instead.
    def sm2_encrypt(self, public_key, data):
        """-> raw C1C3C2 (no 04 prefix)."""
        from gmssl import sm2
        c = sm2.CryptSM2(private_key="", public_key="", mode=1)
        c.public_key = public_key_hex(public_key)
        while True:
            out = c.encrypt(data)
            if out is not None:     # None: the KDF gave all zeros for this k; the standard draws again
                return out

    def sm2_decrypt(self, private_key, raw):
        # gmssl's decrypt computes C3 but never compares it: decrypt here
        # with its primitives and check C3 = SM3(x2 || M || y2).
        from gmssl import sm2, sm3
        if len(raw) <= _POINT + _DIGEST:
            raise ValueError("SM2 ciphertext shorter than C1 and C3")
        c = sm2.CryptSM2(private_key=private_key, public_key="", mode=1)
        xy = c._kg(int(private_key, 16), raw[:_POINT].hex())
        c2 = raw[_POINT + _DIGEST:]
        t = bytes.fromhex(sm3.sm3_kdf(xy.encode("utf-8"), len(c2)))
        plain = bytes(a ^ b for a, b in zip(c2, t))
        digest = sm3.sm3_hash(list(bytes.fromhex(xy[:64]) + plain + bytes.fromhex(xy[64:])))
        if not any(t) or digest != raw[_POINT:_POINT + _DIGEST].hex():
            raise ValueError("SM2 decryption failed: C3 does not match")
        return plain


class OpenSSL:
    name = "openssl"

    def __init__(self):
        self._keys = {}

    def sm3_hex(self, data):
        return hashlib.new("sm3", data).hexdigest()

    def sm4_ecb(self, key, data, encrypt):
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        cipher = Cipher(algorithms.SM4(key), modes.ECB())
        if encrypt:
            p = padding.PKCS7(128).padder()
            e = cipher.encryptor()
            return e.update(p.update(data) + p.finalize()) + e.finalize()
        d = cipher.decryptor()
        u = padding.PKCS7(128).unpadder()
        return u.update(d.update(data) + d.finalize()) + u.finalize()

    # SM2 through Tongsuo's EVP interface. Tongsuo writes and reads the
    # GM/T 0009 DER form SEQUENCE {x, y, C3, C2}; _der/_undo_der turn it
    # into the raw C1C3C2 the wire carries.
    def _pkey(self, public_key=None, private_key=None):
        from tongsuopy.crypto.asymciphers import ec
        cache_key = (public_key, private_key)
        key = self._keys.get(cache_key)
        if key is None:
            if private_key is not None:
                key = ec.derive_private_key(int(private_key, 16), ec.SM2())
            else:
                k = public_key_hex(public_key)
                key = ec.EllipticCurvePublicNumbers(int(k[:64], 16), int(k[64:], 16), ec.SM2()).public_key()
            self._keys[cache_key] = key
        return key

    def _evp(self, key, data, encrypt):
        from tongsuopy.backends.tongsuo.backend import backend
        lib, ffi = backend._lib, backend._ffi
        ctx = lib.EVP_PKEY_CTX_new(key._evp_pkey, ffi.NULL)
        if ctx == ffi.NULL:
            raise ValueError("Tongsuo refused the SM2 key")
        try:
            init, call = ((lib.EVP_PKEY_encrypt_init, lib.EVP_PKEY_encrypt) if encrypt
                          else (lib.EVP_PKEY_decrypt_init, lib.EVP_PKEY_decrypt))
            n = ffi.new("size_t *")
            if init(ctx) != 1 or call(ctx, ffi.NULL, n, data, len(data)) != 1:
                raise ValueError("SM2 %s failed" % ("encryption" if encrypt else "decryption"))
            buf = ffi.new("unsigned char[]", n[0])
            if call(ctx, buf, n, data, len(data)) != 1:
                backend._consume_errors()
                raise ValueError("SM2 %s failed" % ("encryption" if encrypt else "decryption"))
            return bytes(ffi.buffer(buf, n[0]))
        finally:
            lib.EVP_PKEY_CTX_free(ctx)

    def sm2_encrypt(self, public_key, data):
        return _undo_der(self._evp(self._pkey(public_key=public_key), data, True))

    def sm2_decrypt(self, private_key, raw):
        return self._evp(self._pkey(private_key=private_key), _der(raw), False)


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + _der_len(len(b)) + b


def _der(raw):
    """Raw C1C3C2 -> DER SEQUENCE {INTEGER x, INTEGER y, OCTET STRING C3, OCTET STRING C2}."""
    x, y = raw[:32], raw[32:_POINT]
    c3, c2 = raw[_POINT:_POINT + _DIGEST], raw[_POINT + _DIGEST:]
    body = (_der_int(x) + _der_int(y) + b"\x04" + _der_len(len(c3)) + c3
            + b"\x04" + _der_len(len(c2)) + c2)
    return b"\x30" + _der_len(len(body)) + body


def _undo_der(d):
    parts, i = [], 2 if d[1] < 0x80 else 2 + (d[1] & 0x7f)
    while i < len(d):
        n = d[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(d[i:i + k], "big")
            i += k
        parts.append(d[i:i + n])
        i += n
    x, y, c3, c2 = parts
    return (int.from_bytes(x, "big").to_bytes(32, "big") + int.from_bytes(y, "big").to_bytes(32, "big")
            + c3 + c2)


def _openssl_works():
    try:
        impl = OpenSSL()
        impl.sm4_ecb(bytes(16), b"x", True)
        # A fixed test point (the generator G of the SM2 curve) proves Tongsuo loads.
        impl.sm2_encrypt("32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7"
                         "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0", b"x")
        return "sm3" in hashlib.algorithms_available
    except Exception:  # an OpenSSL or Tongsuo without the national algorithms
        return False


def best():
    return OpenSSL() if _openssl_works() else GmSSL()
