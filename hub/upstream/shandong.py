"""Shandong-style adapter: register the service, then the rating, in a signed envelope.

Dialect, as the simulated platform (simulator/province/) speaks it;
every request body is an envelope (hub/upstream/envelope.py):

  POST {endpoint}/service/register  data: serviceNumber (1 申请, 2 出证办结)
        projectNo taskCode taskName deptCode areaCode userProp serviceTime
  POST {endpoint}/evaluation/push   data: projectNo assessNumber satisfaction
        evalDetail writingEvaluation assessTime pf userProp
  POST {endpoint}/evaluation/query  data: projectNo

Answers: {"custom": "success" | "fail" | "repeat", "msg": ..., "id": ...}.
A rating is sent only after the service registration answered success
(upstream refuses a rating for a service it does not know). "repeat" means
upstream already holds it: success, keep its id. "fail" with a msg starting
"busy" or "系统繁忙" is transient, one starting "unknown service" is
unknown_case (the relay decides); any other "fail" is a permanent rejection.
One rating per call (max_batch = 1).
"""

from hub.halltime import cst_format
from hub.upstream.base import NATIONAL_CASE_RULES, Adapter, Outcome, Province, assess_time, require
from hub.upstream.envelope import seal
from hub.upstream.http import Http

SERVICE_APPLIED, SERVICE_FINISHED = 1, 2
BUSY_PREFIXES = ("busy", "系统繁忙")
UNKNOWN_SERVICE = "unknown service"


def _outcome(body):
    custom = body.get("custom")
    msg = body.get("msg") or ""
    if custom == "success":
        return Outcome.ok(body.get("id"))
    if custom == "repeat":
        return Outcome.ok(body.get("id"), duplicate=True)
    reason = "upstream %s: %s" % (custom, msg or "(no message)")
    if custom == "fail" and msg.startswith(UNKNOWN_SERVICE):
        return Outcome.unknown_case(reason)
    if custom == "fail" and not msg.startswith(BUSY_PREFIXES):
        return Outcome.permanent(reason)
    return Outcome.transient(reason)


class ShandongAdapter(Adapter):
    name = "shandong"
    case_rules = NATIONAL_CASE_RULES   # its interface takes the national formats
    max_batch = 1

    def __init__(self, cfg):
        self.province = Province(cfg)
        self.app_mark = str(require(cfg, "app_mark", "upstream"))
        self.app_word = str(require(cfg, "app_word", "upstream"))
        self.sm4_key = cfg.get("sm4_key") or None
        self.http = Http(require(cfg, "endpoint", "upstream"), float(cfg.get("timeout_s", 10)))

    def _call(self, path, data):
        reply = self.http.post_json(path, seal(self.app_mark, self.app_word, data, self.sm4_key))
        if reply.transient:
            return None, Outcome.transient(reply.transient)
        return reply.body, _outcome(reply.body)

    def service_fields(self, case, number):
        p = self.province
        return {
            "serviceNumber": number,
            "projectNo": case["project_no"],
            "taskCode": case["task_code"],
            "taskName": case["task_name"],
            "deptCode": case.get("dept_code") or p.dept_code,
            "areaCode": p.area_code,
            "userProp": int(case.get("user_prop") or 1),
            "serviceTime": cst_format(case["service_time"]),
        }

    def case_fields(self, case):
        return self.service_fields(case, SERVICE_FINISHED)

    def rating_fields(self, r):
        p = self.province
        return {
            "projectNo": r["project_no"],
            "assessNumber": int(r.get("assess_number", 1)),
            "satisfaction": p.level(r["level"]),
            "evalDetail": ",".join(str(c) for c in r.get("labels") or ()),
            "writingEvaluation": p.writing(r),
            "assessTime": cst_format(assess_time(r)),
            "pf": p.channel_code(r["channel"]),
            "userProp": int(r.get("user_prop") or 1),
        }

    def register_case(self, case):
        # Both steps, each idempotent upstream: the hub hears of a case only
        # when it is finished, and the platform wants the application first.
        for number in (SERVICE_APPLIED, SERVICE_FINISHED):
            _body, out = self._call("/service/register", self.service_fields(case, number))
            if out.status != Outcome.OK:
                return out
        return out

    def push_ratings(self, ratings):
        return [self._call("/evaluation/push", self.rating_fields(r))[1] for r in ratings]

    def query(self, project_no):
        body, out = self._call("/evaluation/query", {"projectNo": project_no})
        if body is None:
            return out
        if out.status == Outcome.UNKNOWN_CASE:
            return {"case": False, "ratings": {}}
        if out.status != Outcome.OK:
            return out
        return {"case": True, "ratings": {int(a["assessNumber"]): a.get("id") for a in body.get("ratings", ())}}

    def close(self):
        self.http.close()
