"""SM4 as the simulated Fujian platform opens the hub's bodies: gmssl's
SM4-ECB with a strict PKCS#7 check of its own (gmssl's unpadding takes any
last byte), so a wrongly padded body is refused as a real platform would."""

from gmssl import sm4

BLOCK = 16


def sm4_ecb_decrypt(key, data):
    """SM4-ECB decryption with strict PKCS#7 unpadding; ValueError when either fails."""
    if not data or len(data) % BLOCK:
        raise ValueError("ciphertext is not a whole number of 16-byte blocks")
    c = sm4.CryptSM4(padding_mode=None)
    c.set_key(key, sm4.SM4_DECRYPT)
    plain = c.crypt_ecb(data)
    n = plain[-1]
    if not 1 <= n <= BLOCK or plain[-n:] != bytes([n]) * n:
        raise ValueError("bad PKCS#7 padding")
    return plain[:-n]
