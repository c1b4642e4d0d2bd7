"""The simulated platform's own SM2 decryption opens what the hub (Tongsuo)
and gmssl encrypt, and refuses what was altered."""

import os

from gmssl import sm2
from hypothesis import given, settings, strategies as st

from hub.upstream import gm
from simulator.province import shandong, sm2_judge


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=600))
def test_what_the_hub_encrypts_the_judge_decrypts(data):
    raw = gm.best().sm2_encrypt(shandong.PUBLIC_KEY, data)
    assert sm2_judge.decrypt(shandong.PRIVATE_KEY, raw) == data


def test_what_gmssl_encrypts_the_judge_decrypts():
    c = sm2.CryptSM2(private_key="", public_key=shandong.PUBLIC_KEY, mode=1)
    for n in (1, 31, 32, 33, 500):
        data = os.urandom(n)
        raw = None
        while raw is None:          # gmssl's encrypt sometimes returns None
            raw = c.encrypt(data)
        assert sm2_judge.decrypt(shandong.PRIVATE_KEY, raw) == data


@settings(max_examples=25, deadline=None)
@given(st.binary(min_size=1, max_size=200), st.data())
def test_an_altered_ciphertext_is_refused(data, draw):
    raw = bytearray(gm.best().sm2_encrypt(shandong.PUBLIC_KEY, data))
    i = draw.draw(st.integers(0, len(raw) - 1))
    raw[i] ^= draw.draw(st.integers(1, 255))
    try:
        out = sm2_judge.decrypt(shandong.PRIVATE_KEY, bytes(raw))
    except ValueError:
        return
    raise AssertionError("an altered ciphertext decrypted to %r" % out)


def test_the_judge_multiplies_like_the_curve_says():
    # n * G is the point at infinity; (n - 1) * G is -G
    x, y = sm2_judge.multiply(sm2_judge.N - 1, sm2_judge.G)
    assert (x, (-y) % sm2_judge.P) == sm2_judge.G
    assert sm2_judge.on_curve(x, y)
