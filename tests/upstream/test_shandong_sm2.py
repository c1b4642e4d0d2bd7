"""SM2 both ways: the hub's native implementation (Tongsuo) and pure-Python
gmssl (the simulated platform's) open each other's ciphertexts, in the
wire's layouts (C1C3C2 / C1C2C3, with and without the 04 prefix)."""

import pytest
from gmssl import sm2
from hypothesis import given, settings, strategies as st

from hub.upstream import gm

FAST, REF = gm.OpenSSL(), gm.GmSSL()
G = sm2.default_ecc_table["g"]


def keypair(d):
    sk = "%064x" % d
    return sk, sm2.CryptSM2(private_key=sk, public_key="")._kg(d, G)


N = int(sm2.default_ecc_table["n"], 16)
KEYS = st.integers(min_value=1, max_value=N - 2).map(keypair)


def test_the_hub_uses_the_native_implementation():
    assert gm.best().name == "openssl"


@settings(max_examples=25, deadline=None)
@given(key=KEYS, data=st.binary(min_size=1, max_size=600), mode=st.sampled_from(gm.SM2_MODES),
       prefix=st.booleans())
def test_what_one_encrypts_the_other_decrypts(key, data, mode, prefix):
    sk, pk = key
    for enc, dec in ((FAST, REF), (REF, FAST)):
        wire = gm.to_wire(enc.sm2_encrypt(pk, data), mode, prefix)
        assert wire == wire.upper() and wire.startswith("04") == prefix or not prefix
        assert dec.sm2_decrypt(sk, gm.from_wire(wire, mode, prefix)) == data


@settings(max_examples=10, deadline=None)
@given(key=KEYS, data=st.binary(min_size=1, max_size=100))
def test_the_two_orders_are_not_interchangeable(key, data):
    """C1C2C3 read as C1C3C2 fails the digest check: the order is configuration, not a guess."""
    sk, pk = key
    wire = gm.to_wire(FAST.sm2_encrypt(pk, data), gm.C1C2C3)
    for impl in (FAST, REF):
        with pytest.raises(ValueError):
            impl.sm2_decrypt(sk, gm.from_wire(wire, gm.C1C3C2))


def test_a_public_key_whose_x_starts_with_04_survives():
    """gmssl's own constructor strips '04' with lstrip (and so leading 0s and
    4s of x): the hub sets the key after construction."""
    d = 1
    while True:
        sk, pk = keypair(d)
        if pk.startswith("04"):
            break
        d += 1
    for enc, dec in ((REF, FAST), (FAST, REF)):
        assert dec.sm2_decrypt(sk, enc.sm2_encrypt(pk, b"abc")) == b"abc"
    assert gm.public_key_hex("04" + pk) == pk and gm.public_key_hex(pk.upper()) == pk


@pytest.mark.parametrize("bad", ["", "04", "zz" * 64, "00" * 63])
def test_a_malformed_public_key_is_refused_saying_what_it_takes(bad):
    with pytest.raises(gm.SM2KeyError, match="128 hex digits"):
        gm.public_key_hex(bad)


def test_tampered_or_truncated_ciphertext_is_refused():
    sk, pk = keypair(12345)
    raw = FAST.sm2_encrypt(pk, b"hello")
    flipped = raw[:-1] + bytes([raw[-1] ^ 1])
    for impl in (FAST, REF):
        with pytest.raises(ValueError):
            impl.sm2_decrypt(sk, flipped)
    with pytest.raises(ValueError):
        gm.from_wire(gm.to_wire(raw)[:150])
    with pytest.raises(ValueError, match="04"):
        gm.from_wire(gm.to_wire(raw, prefix=False), prefix=True)
