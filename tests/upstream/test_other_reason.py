"""A bad rating whose only reason is 其他 reaches the province with that reason.

The citizen pressed 不满意, then 其他: the hub stores `other` and no label.
The platform refuses a bad rating without evalDetail or writingEvaluation,
for good, so the hub must send the citizen's choice as writingEvaluation.
Judged by the simulated platform's own rules, in both dialects.
"""

import json

import pytest

from hub.upstream import make_adapter, outbox
from tests.support.upstream import adapter_config
from tests.upstream.test_relay import drain, platform, relay_for  # noqa: F401 (fixture)


def held_fields(platform, serial):
    row = platform.ledger.db.execute("SELECT fields FROM ratings WHERE project_no = ?", (serial,)).fetchone()
    return json.loads(row[0]) if row else None


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_bad_rating_with_only_other_is_accepted_with_its_reason(hall, platform, adapter):
    inv = hall.case()
    hall.rate(inv, level=2, labels=(), other=True)
    assert drain(relay_for(hall, platform, adapter), hall) == {"accepted": 2}
    assert outbox.dead_letters(hall.db) == []
    held = held_fields(platform, inv["case_serial"])
    assert str(held["satisfaction"]) == "2" and held["evalDetail"] == "" and held["writingEvaluation"] == "其他"


@pytest.mark.parametrize("adapter", ["zhejiang", "shandong"])
def test_other_with_labels_sends_both_and_the_configured_text(hall, platform, adapter):
    from hub.upstream.relay import Relay
    cfg = dict(adapter_config(platform, adapter), other_text="其他原因")
    inv = hall.case()
    hall.rate(inv, level=1, labels=(115,), other=True)
    relay = Relay(hall.db_path, make_adapter(cfg), base_s=0.01, cap_s=0.05)
    assert drain(relay, hall) == {"accepted": 2}
    held = held_fields(platform, inv["case_serial"])
    assert held["evalDetail"] == "115" and held["writingEvaluation"] == "其他原因"


def test_without_other_nothing_is_written(hall, platform):
    inv = hall.case()
    hall.rate(inv, level=2, labels=(214,))
    assert drain(relay_for(hall, platform, "zhejiang"), hall) == {"accepted": 2}
    assert held_fields(platform, inv["case_serial"])["writingEvaluation"] == ""


def test_an_empty_other_text_is_a_config_error(platform):
    from hub.upstream import ConfigError
    with pytest.raises(ConfigError, match="other_text"):
        make_adapter(dict(adapter_config(platform, "zhejiang"), other_text=" "))
