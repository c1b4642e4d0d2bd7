"""Zhejiang-style adapter: flat field set, case then ratings, ratings in batches.

Field names follow the public Zhejiang interface (docs/UPSTREAM.md). Dialect, as
the simulated platform (simulator/province/) speaks it:

  POST {endpoint}/case          one case: areaCode deptCode taskCode taskName
                                projectNo proStatus userProp serviceTime dataSource
  POST {endpoint}/case/batch    {"data": [case, ...]} at most `batch_size`
  POST {endpoint}/assess/batch  {"data": [rating, ...]} at most `batch_size`
                                rating: projectNo taskCode pf satisfaction
                                evalDetail writingEvaluation assessTime
                                assessNumber userProp dataSource
  GET  {endpoint}/assess/query?projectNo=...
  header appKey: the hall's key from configuration.

Answers are {"code": "0"|..., "msg": ..., "data": ...}; per-item results in
a batch carry their own code. Codes: 0 accepted; 1003 duplicate (upstream
already holds (projectNo, assessNumber): success, keep its id); 1002 unknown
case (unknown_case: the relay registers the case again when the hub has it,
and dead-letters the rating when it does not); 1001 bad field, 1004 too
late, 1005 label not of the level (permanent, with upstream's msg).
"""

from hub.halltime import cst_format
from hub.upstream.base import NATIONAL_CASE_RULES, Adapter, Outcome, Province, assess_time, require
from hub.upstream.http import Http

OK, BAD_FIELD, UNKNOWN_CASE, DUPLICATE = "0", "1001", "1002", "1003"
TRANSIENT_CODES = ("5000", "5003")


def _outcome(code, msg, upstream_id):
    code = str(code)
    if code == OK:
        return Outcome.ok(upstream_id)
    if code == DUPLICATE:
        return Outcome.ok(upstream_id, duplicate=True)
    reason = "upstream code %s: %s" % (code, msg or "(no message)")
    if code == UNKNOWN_CASE:
        return Outcome.unknown_case(reason)
    if code in TRANSIENT_CODES:
        return Outcome.transient(reason)
    return Outcome.permanent(reason)


class ZhejiangAdapter(Adapter):
    name = "zhejiang"
    case_rules = NATIONAL_CASE_RULES   # its interface takes the national formats

    def __init__(self, cfg):
        self.province = Province(cfg)
        self.max_batch = int(cfg.get("batch_size", 50))
        self.http = Http(require(cfg, "endpoint", "upstream"), float(cfg.get("timeout_s", 10)),
                         {"appKey": str(require(cfg, "app_key", "upstream"))})

    def case_fields(self, case):
        p = self.province
        return {
            "areaCode": p.area_code,
            "deptCode": case.get("dept_code") or p.dept_code,
            "taskCode": case["task_code"],
            "taskName": case["task_name"],
            "projectNo": case["project_no"],
            "proStatus": 3,                       # 已办结: the hub learns of a case when it is finished
            "userProp": int(case.get("user_prop") or 1),
            "serviceTime": cst_format(case["service_time"]),
            "dataSource": p.data_source,
        }

    def rating_fields(self, r):
        p = self.province
        return {
            "projectNo": r["project_no"],
            "pf": p.channel_code(r["channel"]),
            "satisfaction": p.level(r["level"]),
            "evalDetail": ",".join(str(c) for c in r.get("labels") or ()),
            "writingEvaluation": p.writing(r),
            "assessTime": cst_format(assess_time(r)),
            "assessNumber": int(r.get("assess_number", 1)),
            "userProp": int(r.get("user_prop") or 1),
            "dataSource": p.data_source,
        }

    def register_case(self, case):
        reply = self.http.post_json("/case", self.case_fields(case))
        if reply.transient:
            return Outcome.transient(reply.transient)
        b = reply.body
        return _outcome(b.get("code"), b.get("msg"), (b.get("data") or {}).get("caseId"))

    def register_cases(self, cases):
        return self._batch("/case/batch", [self.case_fields(c) for c in cases], "caseId")

    def push_ratings(self, ratings):
        return self._batch("/assess/batch", [self.rating_fields(r) for r in ratings], "id")

    def _batch(self, path, items, id_key):
        reply = self.http.post_json(path, {"data": items})
        if reply.transient:
            return [Outcome.transient(reply.transient)] * len(items)
        b = reply.body
        results = b.get("data")
        if str(b.get("code")) != OK or not isinstance(results, list) or len(results) != len(items):
            # The batch as a whole was refused: one reason for all.
            out = _outcome(b.get("code"), b.get("msg"), None)
            if out.status == Outcome.OK:
                out = Outcome.transient("batch answer does not list one result per item")
            return [out] * len(items)
        return [_outcome(x.get("code"), x.get("msg"), x.get(id_key)) for x in results]

    def query(self, project_no):
        reply = self.http.get_json("/assess/query", {"projectNo": project_no})
        if reply.transient:
            return Outcome.transient(reply.transient)
        b = reply.body
        if str(b.get("code")) == UNKNOWN_CASE:
            return {"case": False, "ratings": {}}
        if str(b.get("code")) != OK:
            return _outcome(b.get("code"), b.get("msg"), None)
        d = b.get("data") or {}
        return {"case": True, "ratings": {int(a["assessNumber"]): a.get("id") for a in d.get("assess", ())}}

    def close(self):
        self.http.close()
