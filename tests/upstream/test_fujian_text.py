"""Fujian's sealed XML: what the hub seals the platform opens with its own
SM4 and XML parser, and open-ended text arrives character for character."""

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.upstream.fujian_crypto import seal
from hub.upstream.fujian_soap import record_xml
from hub.upstream.gm import GmSSL, OpenSSL
from simulator.province.sm4_judge import sm4_ecb_decrypt
from simulator.province.fujian import md5_hex
from simulator.province.server import ProvincePlatform
from tests.support.upstream import make, push_words

TEXT = st.text(st.one_of(st.sampled_from("&<>\"'&amp;]]><![CDATA[ \r\n\t中文评价😀👍🏽"),
                         st.characters(blacklist_categories=("Cs",))), max_size=120)
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@settings(max_examples=60, deadline=None)
@given(text=TEXT, app_code=st.text(min_size=1, max_size=40))
def test_the_platform_opens_what_the_hub_seals_with_either_sm4(text, app_code):
    xml = record_xml({"writingEvaluation": text})
    fast, ref = seal(app_code, xml, OpenSSL()), seal(app_code, xml, GmSSL())
    assert fast == ref
    assert sm4_ecb_decrypt(bytes.fromhex(md5_hex(app_code)), bytes.fromhex(fast)) == xml.encode("utf-8")


@pytest.fixture(scope="module")
def fujian():
    p = ProvincePlatform(area_code="330100").start()
    a = make(p, "fujian")
    yield p, a
    a.close()
    p.stop()


_n = iter(range(10**6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=TEXT, name=TEXT.filter(lambda t: t.strip() and not NOT_XML.search(t)))
def test_writing_and_names_arrive_unchanged(fujian, words, name):
    platform, a = fujian
    held = push_words(platform, a, "FJT%07d" % next(_n), words, name)
    # Characters XML cannot carry at all become U+FFFD; everything else is kept.
    assert held["writingEvaluation"] == NOT_XML.sub("\ufffd", words)
    assert (held["taskName"], held["proManager"]) == (name, name)
