"""Shandong's case rules at the API agree with its strict judge: an invitation
the platform would dead-letter (a taskHandleItem that does not fit the matter
code) is refused when it is offered, naming the field and what it takes."""

import itertools
import time

import pytest

from hub.errors import HubError
from hub.services import invitations
from hub.upstream import Outcome, make_adapter
from hub.upstream.shandong import ShandongAdapter
from simulator.province.server import ProvincePlatform
from tests.support.upstream import Hall, adapter_config

NOW = time.time()
_serial = itertools.count(1)
APPLICANT = {"name": "张三", "kind": 1, "id_type": "111", "id_number": "370802199001011234",
             "mobile": "13800000000"}
TASK31 = "11370800MB2855926Y4370117009000"          # a matter (taskCode), 31 characters
ITEM33 = TASK31 + "01"                               # one of its handling items, 33 characters

# (matter code, upstream_case.handle_item)
FITS = [(TASK31, ITEM33), (ITEM33, None), (ITEM33, ITEM33), (TASK31, None), ("T0001", None), (TASK31, "")]
MISFITS = [
    ("T0001", "11370100MB2847061X4370111001000"),     # a short hall code cannot carry an item
    (TASK31, TASK31),                                  # 31 characters: the matter, not an item
    (TASK31, "11370800MB2855926Y437011700900101"),     # 33 characters, another matter's
    (TASK31, ITEM33 + "0"),                            # 34 characters
    (ITEM33, TASK31 + "02"),                           # contradicts the 33-character matter code
]


def refusal(matter_code, handle_item):
    up = {"applicant": APPLICANT}
    if handle_item is not None:
        up["handle_item"] = handle_item
    return ShandongAdapter.case_refusal({"case_serial": "3708001", "matter_code": matter_code,
                                         "matter_name": "个体工商户设立登记", "upstream_case": up})


@pytest.mark.parametrize("matter_code, handle_item", MISFITS)
def test_a_handle_item_that_does_not_fit_the_matter_is_refused_naming_it(matter_code, handle_item):
    field, why = refusal(matter_code, handle_item)
    assert field == "upstream_case.handle_item"
    assert "taskHandleItem" in why and ("33 characters" in why or "matter code itself" in why)
    assert "张三" not in why and APPLICANT["mobile"] not in why


@pytest.mark.parametrize("matter_code, handle_item", FITS)
def test_a_handle_item_that_fits_or_none_is_taken(matter_code, handle_item):
    assert refusal(matter_code, handle_item) is None


def test_the_invitation_is_422_before_it_is_taken(tmp_path):
    hall = Hall(tmp_path / "hub.db")
    with pytest.raises(HubError) as e:
        invitations.create(hall.db, "12", "SD1", "T0001", "个体工商户设立登记", staff_id="S", staff_name="王",
                           upstream=ShandongAdapter.case_refusal,
                           upstream_case={"applicant": APPLICANT, "handle_item": "11370100MB2847061X4370111001000"})
    assert e.value.status == 422 and e.value.field == "upstream_case.handle_item"
    assert hall.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    invitations.create(hall.db, "12", "SD2", TASK31, "个体工商户设立登记", staff_id="S", staff_name="王",
                       upstream=ShandongAdapter.case_refusal,
                       upstream_case={"applicant": APPLICANT, "handle_item": ITEM33})


@pytest.fixture(scope="module")
def up():
    platform = ProvincePlatform().start()
    cfg = adapter_config(platform, "shandong")
    cfg["applicant_placeholders"] = False
    adapter = make_adapter(cfg)
    yield adapter
    adapter.close()
    platform.stop()


@pytest.mark.parametrize("matter_code, handle_item", FITS[:3] + MISFITS[:4])
def test_the_rule_agrees_with_the_platform(up, matter_code, handle_item):
    """What the API takes the platform takes; what it refuses the platform
    would refuse for good (a 33-character matter code is its own item, so a
    contradicting one is refused at the API and never reaches the platform)."""
    c = {"project_no": "370800%012d" % next(_serial), "task_code": matter_code, "task_name": "个体工商户设立登记",
         "user_prop": 1, "service_time": NOW - 600, "staff_name": "王芳", "applicant": dict(APPLICANT),
         "upstream": {"task_type": "01", "accept_time": int(NOW - 900), "area_code": "370811",
                      "handle_item": handle_item}}
    out = up.register_case(c)
    taken = refusal(matter_code, handle_item) is None
    assert (out.status == Outcome.OK) == taken, out.reason
    if not taken:
        assert out.status == Outcome.PERMANENT and "taskHandleItem" in out.reason
