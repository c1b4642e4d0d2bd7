"""hub.halltime: the hall's zone for the API and the CLI, China Standard Time for the
provincial platforms, and what each accepts as input."""

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub import config, halltime
from hub.errors import HubError

T0 = 1718064005000          # 2024-06-11 08:00:05 +08:00 = 00:00:05 UTC
CST = halltime.zone_of(480)

offsets = st.integers(halltime.OFFSET_MIN, halltime.OFFSET_MAX)
instants = st.integers(0, 4102444800000)         # 1970 .. 2100, in ms


@given(offsets, instants)
def test_api_form_reads_back_as_the_same_instant(minutes, ms):
    tz = halltime.zone_of(minutes)
    text = halltime.iso(ms, tz)
    assert halltime.parse(text, "since", tz) == ms
    # The offset written wins over the zone the reader assumes.
    assert halltime.parse(text, "since", CST) == ms


@given(offsets, instants)
def test_cli_form_reads_back_to_the_second(minutes, ms):
    tz = halltime.zone_of(minutes)
    assert halltime.parse_cli(halltime.show(ms, tz), "--since", tz) == ms - ms % 1000
    assert halltime.parse_cli(halltime.show(ms, tz), "--since", CST) == ms - ms % 1000


@given(st.integers(0, 4102444800))
def test_platform_form_reads_back(epoch_s):
    assert halltime.cst_parse(halltime.cst_format(epoch_s)) == epoch_s


def test_written_forms():
    assert halltime.iso(T0, CST) == "2024-06-11T08:00:05.000+08:00"
    assert halltime.iso(T0, halltime.zone_of(-210)) == "2024-06-10T20:30:05.000-03:30"
    assert halltime.show(T0, CST) == "2024-06-11 08:00:05 +08:00"
    assert halltime.show(T0, halltime.zone_of(0)) == "2024-06-11 00:00:05 +00:00"
    assert halltime.iso(None, CST) is None and halltime.show(None, CST) == ""


def test_platform_strings_are_china_standard_time_whatever_the_host(monkeypatch):
    monkeypatch.setenv("TZ", "EST+5")
    time.tzset()
    try:
        assert halltime.cst_format(T0 // 1000) == "2024-06-11 08:00:05"
        assert halltime.cst_stamp(T0 // 1000) == "20240611080005"
        assert halltime.cst_parse("2024-06-11 08:00:05") == T0 // 1000
    finally:
        monkeypatch.undo()
        time.tzset()
    with pytest.raises(ValueError, match="yyyy-MM-dd HH:mm:ss"):
        halltime.cst_parse("2024-06-11T08:00:05")


def test_api_input_without_offset_is_hall_time():
    day = T0 - 8 * 3600 * 1000 - 5000          # 2024-06-11 00:00 +08:00
    assert halltime.parse("2024-06-11", "since", CST) == day
    assert halltime.parse("2024-06-11T08:00:05", "since", CST) == T0
    assert halltime.parse("2024-06-11 08:00:05", "since", CST) == T0
    assert halltime.parse("2024-06-11T08:00:05", "since", halltime.zone_of(0)) == T0 + 8 * 3600 * 1000


def test_api_input_with_offset_or_epoch_ms():
    assert halltime.parse("2024-06-11T00:00:05Z", "since", CST) == T0
    assert halltime.parse("2024-06-11T02:00:05+02:00", "since", CST) == T0
    assert halltime.parse(" %d " % T0, "since", CST) == T0
    assert halltime.parse(None, "since", CST) is None


def test_cli_input_in_hall_time_unless_an_offset_is_given():
    tz = halltime.zone_of(330)                 # +05:30
    assert halltime.parse_cli("2024-06-11 05:30:05", "--since", tz) == T0
    assert halltime.parse_cli("2024-06-11 05:30", "--since", tz) == T0 - 5000
    assert halltime.parse_cli("2024-06-11T05:30:05", "--since", tz) == T0
    assert halltime.parse_cli("2024-06-11 00:00:05 +00:00", "--since", tz) == T0
    assert halltime.parse_cli("2024-06-11 00:00:05Z", "--since", tz) == T0
    assert halltime.parse_cli("2024-06-11", "--since", tz) == T0 - 5000 - 5 * 3600 * 1000 - 30 * 60 * 1000


def test_api_input_errors_name_the_field():
    with pytest.raises(HubError) as e:
        halltime.parse("tomorrow", "until", CST)
    assert e.value.field == "until" and e.value.status == 422
    assert "until 'tomorrow'" in e.value.message and "2024-06-11" in e.value.message


@pytest.mark.parametrize("text", ["tomorrow", "20240611", "2024-13-01", "11/06/2024", ""])
def test_cli_input_errors_name_the_option_and_the_zone(text):
    with pytest.raises(HubError) as e:
        halltime.parse_cli(text, "--since", CST)
    assert e.value.field == "--since"
    assert "--since %r" % text in e.value.message
    assert "2024-06-11 08:30" in e.value.message and "+08:00" in e.value.message


def test_the_hall_zone_comes_from_the_config(tmp_path):
    assert halltime.offset_minutes(config.load(None, env={}, cwd=str(tmp_path))) == 480
    path = tmp_path / "hub.toml"
    path.write_text("[hall]\ntz_offset_minutes = 330\n", encoding="utf-8")
    cfg = config.load(str(path), env={})
    assert halltime.show(T0, halltime.zone(cfg)) == "2024-06-11 05:30:05 +05:30"
    path.write_text("[hall]\ntz_offset_minutes = 900\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="tz_offset_minutes"):
        config.load(str(path), env={})
