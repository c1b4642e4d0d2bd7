"""The two dialects the simulated platform speaks (the wire description is in
the hub's adapters, hub/upstream/zhejiang.py and hub/upstream/shandong.py).

A handler takes the parsed request and returns (answer dict, wrote?) where
`wrote` says the ledger changed — the server uses it to lose answers after
commit. Rejections come back as answers, as a real platform's do.
"""

from simulator.province.envelope import EnvelopeError, open_envelope
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


class Shandong:
    prefix = "/sd"

    def __init__(self, platform):
        self.p = platform

    def handle(self, method, path, body, query, headers):
        if method != "POST" or path not in ("/service/register", "/evaluation/push", "/evaluation/query"):
            return None, False
        try:
            _mark, d = open_envelope(body, self.p.app_words, self.p.sm4_key)
        except EnvelopeError as e:
            return {"custom": "fail", "msg": "envelope: %s" % e}, False
        if path == "/service/register":
            return self.register(d)
        if path == "/evaluation/push":
            r = self.p.take_rating(d)
            if "id" in r:
                return {"custom": "repeat" if r["code"] == "1003" else "success", "id": r["id"]}, True
            msg = r["msg"]
            if r["code"] == UNKNOWN_CASE:
                msg = "unknown service: " + msg
            return {"custom": "fail", "msg": msg}, False
        case = self.p.ledger.case(d.get("projectNo", ""))
        if case is None:
            return {"custom": "fail", "msg": "unknown service %s" % d.get("projectNo")}, False
        return {"custom": "success", "ratings": self.p.ledger.ratings_of(d["projectNo"])}, False

    def register(self, d):
        number = d.get("serviceNumber")
        try:
            if number not in (1, 2):
                raise Rejected(BAD_FIELD, "serviceNumber must be 1 (申请) or 2 (出证办结)")
            service_time = self.p.rules.case(d)
            case = self.p.ledger.case(d["projectNo"])
            if number == 2 and (case is None or 1 not in case["steps"]):
                raise Rejected(BAD_FIELD, "serviceNumber 2 before 1: register the application first")
        except Rejected as e:
            return {"custom": "fail", "msg": e.msg}, False
        cid, _created = self.p.ledger.register_case(d["projectNo"], number, d, service_time)
        return {"custom": "success", "id": cid}, True
