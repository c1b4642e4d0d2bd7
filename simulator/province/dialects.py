"""The Shandong dialect of the simulated platform (the wire description is in
the hub's adapter, hub/upstream/shandong.py). Zhejiang and Fujian have their
own modules (simulator/province/zhejiang.py, fujian.py).

A handler takes the parsed request and returns (answer dict, wrote?) where
`wrote` says the ledger changed — the server uses it to lose answers after
commit. Rejections come back as answers, as a real platform's do.
"""

from simulator.province.envelope import EnvelopeError, open_envelope
from simulator.province.rules import Rejected, BAD_FIELD, UNKNOWN_CASE


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
