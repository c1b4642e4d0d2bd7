"""Open-ended text through Zhejiang's form encoding: what the citizen's words
are on the hub is what the platform holds, character for character."""

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hub.upstream import Outcome
from simulator.province.server import ProvincePlatform
from tests.support.upstream import make

NOW = time.time()
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
    no = "ZJT%07d" % next(_n)
    case = {"project_no": no, "task_code": "T001", "task_name": name[:200], "service_time": NOW - 600,
            "staff_name": name[:50], "user_prop": 1}
    r = {"uuid": "u", "project_no": no, "assess_number": 1, "level": 5, "labels": [], "text": words,
         "channel": "terminal", "rated_at": NOW - 60, "service_time": NOW - 600, "user_prop": 1}
    assert a.register_case(case).status == Outcome.OK
    [out] = a.push_ratings([r])
    assert out.status == Outcome.OK, out
    row = platform.ledger.db.execute("SELECT fields FROM ratings WHERE project_no = ?", (no,)).fetchone()
    held = json.loads(row[0])
    assert (held["writingEvaluation"], held["taskName"], held["proManager"]) == (words, name[:200], name[:50])
