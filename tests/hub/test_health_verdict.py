"""The verdict GET /api/v1/health gives over the hub's parts: ok only when
every part is ok or switched off, 503 only when the database is down, and a
part cannot report a state a monitor would not know."""

import pytest

from hub.health import Health


def verdict(**states):
    h = Health()
    for name, state in states.items():
        h.component(name).set(state, "%s is %s" % (name, state))
    status, parts, code = h.report()
    return status, code, sorted(parts)


def test_ok_and_disabled_parts_make_an_ok_hub():
    assert verdict(database="ok", ingest="ok", mqtt="disabled") == (
        "ok", 200, ["database", "ingest", "mqtt"])


def test_a_broker_outage_is_degraded_but_answers_200():
    assert verdict(database="ok", mqtt="down")[:2] == ("degraded", 200)


def test_a_part_still_starting_is_not_ok_yet():
    h = Health()
    h.component("database").set("ok")
    h.component("serial")
    status, parts, _code = h.report()
    assert status == "degraded" and parts["serial"]["state"] == "starting"


def test_a_database_down_answers_503():
    assert verdict(database="down", ingest="ok")[:2] == ("degraded", 503)


def test_a_state_outside_the_model_is_refused():
    with pytest.raises(ValueError, match="degraded"):
        Health().component("mqtt").set("broken")
