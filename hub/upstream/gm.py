"""The national algorithms SM3 (GB/T 32905) and SM4 (GB/T 32907), two implementations.

`openssl`: hashlib's sm3 and cryptography's SM4 — native code, about a
hundred times faster than pure Python; the hub uses it when the local
OpenSSL has them. `gmssl`: the pure-Python gmssl package — the fallback,
and the implementation the simulated provincial platform verifies with, so
the hub's envelopes are checked by an implementation independent of the
one that made them.
"""

import hashlib


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


class OpenSSL:
    name = "openssl"

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


def _openssl_works():
    try:
        OpenSSL().sm4_ecb(bytes(16), b"x", True)
        return "sm3" in hashlib.algorithms_available
    except Exception:  # an OpenSSL built without the national algorithms
        return False


def best():
    return OpenSSL() if _openssl_works() else GmSSL()
