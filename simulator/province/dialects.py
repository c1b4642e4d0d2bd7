"""The Zhejiang dialect the simulated platform speaks (the wire description is
in the hub's adapter, hub/upstream/zhejiang.py; Shandong is in
simulator/province/shandong.py).

A handler takes the parsed request and returns (answer dict, wrote?) where
`wrote` says the ledger changed — the server uses it to lose answers after
commit. Rejections come back as answers, as a real platform's do.
"""

from simulator.province.rules import Rejected, BAD_FIELD, UNKNOWN_CASE


class Zhejiang:
    prefix = "/zj"

    def __init__(self, platform):
        self.p = platform

    def handle(self, method, path, body, query, headers):
        if headers.get("appkey") != self.p.app_key:
            return {"code": "1401", "msg": "appKey missing or wrong"}, False
        if method == "POST" and path == "/case":
            return self.case(body)
        if method == "POST" and path == "/case/batch":
            return self.batch(body, self.case_item)
        if method == "POST" and path == "/assess/batch":
            return self.batch(body, self.p.take_rating)
        if method == "GET" and path == "/assess/query":
            return self.query(query.get("projectNo", ""))
        return None, False

    def case_item(self, d):
        try:
            service_time = self.p.rules.case(d)
            if d.get("proStatus") not in (1, 2, 3):
                raise Rejected(BAD_FIELD, "proStatus must be 1, 2 or 3")
        except Rejected as e:
            return {"code": e.code, "msg": e.msg}
        cid, _created = self.p.ledger.register_case(d["projectNo"], d["proStatus"], d, service_time)
        return {"code": "0", "msg": "成功", "projectNo": d["projectNo"], "caseId": cid, "id": cid}

    def case(self, d):
        r = self.case_item(d if isinstance(d, dict) else {})
        if "caseId" not in r:
            return r, False
        return {"code": "0", "msg": "成功", "data": {"caseId": r["caseId"]}}, True

    def batch(self, body, take):
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return {"code": BAD_FIELD, "msg": "data must be a non-empty list"}, False
        if len(items) > self.p.max_batch:
            return {"code": BAD_FIELD, "msg": "at most %d items per batch" % self.p.max_batch}, False
        results, wrote = [], False
        for d in items:
            r = take(d if isinstance(d, dict) else {})
            if "id" in r:
                wrote = True
            results.append(r)
        return {"code": "0", "msg": "成功", "data": results}, wrote

    def query(self, project_no):
        if self.p.ledger.case(project_no) is None:
            return {"code": UNKNOWN_CASE, "msg": "projectNo %s is not registered" % project_no}, False
        return {"code": "0", "data": {"assess": self.p.ledger.ratings_of(project_no)}}, False
