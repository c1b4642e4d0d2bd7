"""Sample data for every screen: the PNG snapshots and the cross-interpreter test.

Plain data only, importable on MicroPython too (tests/firmware/mp_ui.py
renders the same samples there). Each entry: (name, screen, data, online).
"""

from protocol.domain import NATIONAL_LABELS


def level_labels(level):
    """The national reason labels of LEVEL, as the hub pushes them: [(code, text)]."""
    return [(code, text) for code, text in NATIONAL_LABELS if code // 100 == level]


_STAFF = {"staff_id": "A1024", "staff_name": "王晓明"}
# The longest case serial the protocol allows (`inv` field `cs`: 64 characters),
# as a hall's system might build it: credit code, matter, date, number, visit.
LONGEST_SERIAL = "11330100MB1234567X-330100001000-20261204-000123-0001-A0101-09876"


def _with_staff(d):
    out = dict(_STAFF)
    out.update(d)
    return out


SAMPLES = (
    ("idle", "idle", _with_staff({"hall": "深圳市福田区政务服务中心", "window": "12",
                                  "online": True}), True),
    ("idle_offline", "idle", _with_staff({"hall": "深圳市福田区政务服务中心", "window": "12",
                                          "online": False}), False),
    ("idle_no_staff", "idle", {"hall": "深圳市福田区政务服务中心", "window": "12",
                               "online": True}, True),
    ("invitation", "invitation", _with_staff({"matter": "企业投资项目备案（基本建设类）",
                                              "serial": "44030420241123000157",
                                              "seconds": 30}), True),
    ("invitation_long_name", "invitation", {
        "matter": "建设工程消防验收备案及抽查（含特殊建设工程消防设计审查、"
                  "消防验收合并办理）Fire Safety Acceptance",
        "serial": "SZ-FT-2024-11-23-000157-0001-0002", "staff_id": "A1024",
        "staff_name": "欧阳娜娜", "seconds": 9}, False),
    ("invitation_longest_serial", "invitation", _with_staff({
        "matter": "城乡居民基本养老保险参保登记", "serial": LONGEST_SERIAL, "seconds": 27}), True),
    ("labels_unsatisfied", "labels", {"level": 2, "labels": level_labels(2), "cursor": 1,
                                      "checked": [208, 213]}, True),
    ("labels_very_unsatisfied_page2", "labels", {"level": 1, "labels": level_labels(1),
                                                 "cursor": 6, "checked": [],
                                                 "hint": "need_label"}, True),
    ("thanks", "thanks", {"level": 4}, True),
    ("paused", "paused", {"window": "12", "until": "14:00"}, True),
    ("error", "error", {"message": "打印机缺纸", "code": "E-PRN-02"}, False),
)
