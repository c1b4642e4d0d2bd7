"""Open-ended text through Zhejiang's form encoding: what the citizen's words
are on the hub is what the platform holds, character for character."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from simulator.province.server import ProvincePlatform
from tests.support.upstream import make, push_words

TEXT = st.text(st.one_of(st.sampled_from("&<>\"'=+%#;?/\\ \r\n\t中文评价😀👍🏽"),
                         st.characters(blacklist_categories=("Cs",))), max_size=120)


@pytest.fixture(scope="module")
def zhejiang():
    p = ProvincePlatform(area_code="330100").start()
    a = make(p, "zhejiang")
    yield p, a
    a.close()
    p.stop()


_n = iter(range(10**6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=TEXT, name=TEXT.filter(lambda t: t.strip()))
def test_writing_and_names_arrive_unchanged(zhejiang, words, name):
    platform, a = zhejiang
    held = push_words(platform, a, "ZJT%07d" % next(_n), words, name)
    assert (held["writingEvaluation"], held["taskName"], held["proManager"]) == (words, name, name)
