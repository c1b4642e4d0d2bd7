"""SM2 decryption for the simulated Shandong platform (GB/T 32918.4), on
Python integers.

The judge must not share code with the hub (which uses Tongsuo), and gmssl's
own point arithmetic works on hex strings: about 30 decryptions a second,
which made every Shandong test wait on the judge. Jacobian coordinates on
plain integers do the same work about ten times faster. SM3 comes from
OpenSSL through hashlib when it has it, else from gmssl.
"""

import hashlib

from gmssl import sm3 as _gmssl_sm3

P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
G = (0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
     0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0)


def _sm3(data):
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:      # an OpenSSL built without SM3
        return bytes.fromhex(_gmssl_sm3.sm3_hash(list(data)))


def _double(pt):
    x, y, z = pt
    if not y:
        return (0, 1, 0)
    zz = z * z % P
    m = 3 * (x - zz) * (x + zz) % P          # a = -3
    yy = y * y % P
    s = 4 * x * yy % P
    x3 = (m * m - 2 * s) % P
    return (x3, (m * (s - x3) - 8 * yy * yy) % P, 2 * y * z % P)


def _add(pt, q):
    """Jacobian pt + affine q."""
    x1, y1, z1 = pt
    if not z1:
        return (q[0], q[1], 1)
    zz = z1 * z1 % P
    u2 = q[0] * zz % P
    s2 = q[1] * zz * z1 % P
    h = (u2 - x1) % P
    r = (s2 - y1) % P
    if not h:
        return _double(pt) if not r else (0, 1, 0)
    hh = h * h % P
    hhh = h * hh % P
    v = x1 * hh % P
    x3 = (r * r - hhh - 2 * v) % P
    return (x3, (r * (v - x3) - y1 * hhh) % P, z1 * h % P)


def multiply(k, q):
    """k * q for an affine point q -> affine (x, y)."""
    acc = (0, 1, 0)
    for bit in bin(k)[2:]:
        acc = _double(acc)
        if bit == "1":
            acc = _add(acc, q)
    x, y, z = acc
    if not z:
        raise ValueError("point at infinity")
    zi = pow(z, P - 2, P)
    zi2 = zi * zi % P
    return (x * zi2 % P, y * zi2 * zi % P)


def on_curve(x, y):
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def _kdf(z, klen):
    out = b""
    counter = 1
    while len(out) < klen:
        out += _sm3(z + counter.to_bytes(4, "big"))
        counter += 1
    return out[:klen]


def decrypt(private_key_hex, data):
    """C1 (x||y, 64 bytes) || C3 (32) || C2 -> the plain text; ValueError when
    C1 is off the curve, the key stream is all zero, or C3 does not match."""
    if len(data) <= 96:
        raise ValueError("too short")
    x1, y1 = int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big")
    if not on_curve(x1, y1):
        raise ValueError("C1 is not a point of the curve")
    x2, y2 = multiply(int(private_key_hex, 16), (x1, y1))
    xb, yb = x2.to_bytes(32, "big"), y2.to_bytes(32, "big")
    c2 = data[96:]
    mask = _kdf(xb + yb, len(c2))
    if not any(mask):
        raise ValueError("key stream is zero")
    plain = bytes(a ^ b for a, b in zip(c2, mask))
    if _sm3(xb + plain + yb) != data[64:96]:
        raise ValueError("C3 does not match")
    return plain
