"""Domain tables and the MQTT topic layout."""

import pytest

from protocol import domain, topics
from protocol.codec import encode, decode


def test_levels_convert_to_gbt_and_back_in_one_place():
    assert [domain.to_gbt(lv) for lv in (5, 4, 3, 2, 1)] == [1, 2, 3, 4, 5]
    assert all(domain.from_gbt(domain.to_gbt(lv)) == lv for lv in domain.LEVELS)
    with pytest.raises(ValueError):
        domain.to_gbt(0)


def test_bad_levels_are_the_last_two():
    assert [lv for lv in domain.LEVELS if domain.is_bad(lv)] == [2, 1]
    assert domain.LEVEL_NAMES[1] == "非常不满意"


def test_national_labels_are_eight_per_level_and_numbered_by_level():
    for level in domain.LEVELS:
        labels = domain.labels_for_level(domain.NATIONAL_LABELS, level)
        assert len(labels) == 8
        assert all(domain.label_level(code) == level for code, _ in labels)
    assert dict(domain.NATIONAL_LABELS)[214] == "服务态度生硬"


def test_the_national_label_set_travels_in_one_config_message():
    wire = encode({"t": "cfg", "mid": 1, "ver": 3, "ls": domain.national_label_set()})
    assert decode(wire)["ls"]["l"][0] == [510, "一窗受理一次办结"]
    assert len(wire) < 2048


def test_channel_tables():
    assert domain.CHANNELS_NATIONAL[5] == "政务大厅其他终端"
    assert domain.CHANNELS_ZHEJIANG[6] == "短信"


def test_topics_round_trip():
    t = topics.up("hall-1", "W12-A")
    assert t == "pingjia/hall-1/dev/W12-A/up"
    assert topics.parse(t) == ("hall-1", "W12-A", "up")
    assert topics.parse(topics.hub_state("hall-1")) == ("hall-1", None, "hub_state")
    assert topics.hub_subscriptions("hall-1")[0] == "pingjia/hall-1/dev/+/up"


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "w 1", "x" * 33])
def test_topic_segments_refuse_what_would_break_the_layout(bad):
    with pytest.raises(ValueError):
        topics.up("hall-1", bad)


def test_heartbeats_may_be_lost_ratings_may_not():
    assert topics.qos_for("hb") == 0
    assert topics.qos_for("rating") == 1 and topics.qos_for("inv") == 1
