"""Shared setup for relay tests and benches: a hub database with real cases and ratings.

Everything goes through the hub's own services (invitations.create,
journal.record_rating — the path the ingest takes), so what the relay reads
is what a running hub writes.
"""

import itertools
import json
import time

from hub.services import invitations, journal, terminals, windows
from hub.store import open_db
from hub.upstream import make_adapter

SM4 = "00112233445566778899aabbccddeeff"
SD_ORG = "11370800MB2855926Y"     # a handling department's unified social credit code (Jining)
# 18-character unified social credit codes whose check characters fit.
ZJ_DEPT = "91330100MA27XL0E1D"
FJ_DEPT = "11350300003610123Y"
_serial = itertools.count(1)


def adapter_config(platform, adapter):
    cfg = {"adapter": adapter, "area_code": "330100", "dept_code": "D01",
           "channels": {"terminal": 5, "qr": 3}, "timeout_s": 5}
    if adapter == "zhejiang":
        cfg.update(endpoint=platform.url + "/zj/offlinereport.do", username="hall-user", password="hall-pass",
                   dept_code=ZJ_DEPT, area_name="杭州市", pro_depart="杭州市市场监督管理局", data_source="133")
    elif adapter == "fujian":
        cfg.update(endpoint=platform.url + "/fj/webservice", token_url=platform.url + "/fj/get-token",
                   app_key="fj-app-key", app_code="fj-app-code", dept_code=FJ_DEPT,
                   dept_name="莆田市行政服务中心", data_source="135")
    elif adapter == "shandong":
        # The simulated platform's test key pair (its module constant, so a
        # relay in another process gets the same config); Jining's area and a
        # handling department's credit code. Cases made by Hall.case() carry
        # no applicant (the hub's relay hands none yet): the placeholders the
        # public client sends for unknown identity stand in.
        from simulator.province.shandong import PUBLIC_KEY
        cfg.update(endpoint=platform.url + "/sd", app_mark="pingjia-hall", app_word="secret-word",
                   sm2_public_key="04" + PUBLIC_KEY, area_code="370800", dept_code=SD_ORG,
                   applicant_placeholders=True)
    return cfg


def make(platform, adapter):
    return make_adapter(adapter_config(platform, adapter))


def held_fields(platform, serial):
    """The fields of the rating the simulated platform holds for a case serial, or None."""
    row = platform.ledger.db.execute("SELECT fields FROM ratings WHERE project_no = ?", (serial,)).fetchone()
    return json.loads(row[0]) if row else None


def push_words(platform, adapter, project_no, words, name):
    """A rating with open-ended `words` and a case whose names are `name`,
    straight through the adapter -> the fields the platform holds."""
    now = time.time()
    case = {"project_no": project_no, "task_code": "T001", "task_name": name, "service_time": now - 600,
            "staff_name": name, "user_prop": 1}
    r = {"uuid": "u", "project_no": project_no, "assess_number": 1, "level": 5, "labels": [], "text": words,
         "channel": "terminal", "rated_at": now - 60, "service_time": now - 600, "user_prop": 1}
    assert adapter.register_case(case).status == "ok"
    [out] = adapter.push_ratings([r])
    assert out.status == "ok", out
    return held_fields(platform, project_no)


class Hall:
    """One window with one terminal, rating cases through the hub's services."""

    def __init__(self, db_path, window="12", device="T012"):
        self.db = open_db(db_path)
        self.window, self.device = window, device
        if windows.get(self.db, window) is None:
            terminals.provision(self.db, device, window)
        self.seq = itertools.count(1)

    def case(self, now_ms=None):
        serial = "33010020261123%06d" % next(_serial)
        inv = invitations.create(self.db, self.window, serial, "T0001", "个体工商户设立登记",
                                 staff_id="S001", staff_name="王芳", now=now_ms)
        return inv

    def rate(self, inv, level=5, labels=(517,), eid=None, now_ms=None, other=False, cs=None, device=None):
        msg = {"t": "rating", "seq": next(self.seq), "eid": eid or inv["eid"], "cs": cs or inv["case_serial"],
               "lv": level, "lb": list(labels), "dp": 2400, "mt": 1000, "org": "live"}
        if other:
            msg["oth"] = True
        return journal.record_rating(self.db, device or self.device, msg, now=now_ms)

    def rated_cases(self, n, level=5, labels=(517,)):
        out = []
        for _ in range(n):
            inv = self.case()
            out.append((inv["case_serial"], self.rate(inv, level, labels)["rating_id"]))
        return out

    def outbox_states(self):
        return dict(self.db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
