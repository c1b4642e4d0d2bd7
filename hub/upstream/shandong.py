"""Shandong adapter: a case's service records step by step, then the window rating.

The dialect of the public Jining client (docs/UPSTREAM.md, Shandong; the
envelope and answers are hub/upstream/shandong_wire.py, the case's fields
and rules hub/upstream/shandong_case.py):

  POST {url}{service_path}  evaluate: service records, one per case and step
                            (serviceNumber 1, 2, 3 in that order, each its
                            own call so the platform sees them in order;
                            several cases' same step share a call)
  POST {url}{rating_path}   evaluate: window ratings {taskType, projectNo,
                            satisfaction, pf, name, evalDetail,
                            writingEvaluation, assessTime, serviceNumber}
  POST {url}{norm_path}     the national label list (getnorm), no records
  POST {url}{query_path}    the services the platform holds for a projectNo

A call carrying several records is answered once: when that answer is a
refusal, the records are sent again one by one, so each gets its own
outcome (a record the platform had already taken answers "duplicate").
Self-built matters (taskCode containing 00000000) are never forwarded.
"""

import json

from hub.halltime import cst_format
from hub.upstream import gm
from hub.upstream.base import (NATIONAL_CASE_RULES, Adapter, ConfigError, Outcome, Province, assess_time,
                               require)
from hub.upstream.http import Http
from hub.upstream.shandong_case import (PLACEHOLDERS, RATED_STEP, STEPS, area12, self_built, split_matter,
                                        upstream_refusal)
from hub.upstream.shandong_wire import Sealer, outcome, response_body

DEFAULTS = {"tenancy_id": "370000000000", "project_prefix": "37", "data_source": "165",
            "service_path": "/service", "rating_path": "/evaluate", "norm_path": "/getnorm",
            "query_path": "/services", "task_type": "99", "project_type": "1", "pro_channel": "2",
            "org_name": ""}


class ShandongAdapter(Adapter):
    name = "shandong"
    case_rules = NATIONAL_CASE_RULES

    @classmethod
    def case_refusal(cls, fields):
        out = super().case_refusal(fields)
        if out is None and "upstream_case" in fields:
            out = upstream_refusal(fields.get("upstream_case") or {}, fields.get("matter_code"))
        return out

    def __init__(self, cfg):
        self.province = Province(cfg)
        opt = dict(DEFAULTS)
        opt.update({k: cfg[k] for k in DEFAULTS if cfg.get(k) not in (None, "")})
        if "data_source" not in cfg or cfg.get("data_source") in (None, ""):
            self.province.data_source = DEFAULTS["data_source"]
        self.opt = opt
        mode = cfg.get("sm2_mode", gm.C1C3C2)
        if mode not in gm.SM2_MODES:
            raise ConfigError("upstream.sm2_mode must be one of %s, got %r" % (gm.SM2_MODES, mode))
        try:
            self.sealer = Sealer(str(require(cfg, "app_mark", "upstream")), str(require(cfg, "app_word", "upstream")),
                                 require(cfg, "sm2_public_key", "upstream"), mode, bool(cfg.get("sm2_prefix", True)))
        except gm.SM2KeyError as e:
            raise ConfigError("upstream.sm2_public_key: %s (the province's SM2 public key)" % e) from None
        self.max_batch = max(1, int(cfg.get("batch_size", 20)))
        self.placeholders = bool(cfg.get("applicant_placeholders", False))
        self.http = Http(require(cfg, "endpoint", "upstream"), float(cfg.get("timeout_s", 10)),
                         {"C-Tenancy-Id": str(opt["tenancy_id"])})

    # ------------------------------------------------------------ fields
    def project_no(self, serial):
        return self.opt["project_prefix"] + serial

    def _applicant(self, case):
        a = case.get("applicant")
        if a:
            return a
        return PLACEHOLDERS if self.placeholders else None

    def service_fields(self, case, number, name, now_s=None):
        """One step's service record. Needs the applicant (see _applicant)."""
        p, up = self.province, case.get("upstream") or {}
        a = self._applicant(case) or {}
        area = area12(str(up.get("area_code") or p.area_code))
        task_code, handle_item = split_matter(case["task_code"], up.get("handle_item"))
        credit = up.get("org_code") or p.dept_code
        org_name = up.get("org_name") or self.opt["org_name"] or credit
        kind = int(a.get("kind") or case.get("user_prop") or 1)
        promise_days = int(up.get("promise_days") or 0)
        finished = assess_time({"rated_at": case["service_time"], "service_time": 0}, now_s)
        accepted = min(int(up.get("accept_time") or finished), finished)
        rec = {
            "serviceNumber": number, "serviceName": name, "proStatus": number,
            "projectNo": self.project_no(case["project_no"]), "projectName": case["task_name"],
            "taskCode": task_code, "taskName": case["task_name"], "taskType": up.get("task_type") or self.opt["task_type"],
            "areaCode": area, "orgcode": "%s_%s" % (area, credit), "orgName": org_name,
            "deptCode": credit, "proDepart": org_name,
            "userProp": kind, "userName": a.get("name"), "userPageType": a.get("id_type") or PLACEHOLDERS["id_type"],
            "mobile": a.get("mobile"), "creditType": a.get("id_type") or PLACEHOLDERS["id_type"],
            "creditNum": a.get("id_number"),
            # serviceTime of step 1 and 2: the acceptance; step 3: the finish.
            "serviceTime": cst_format(finished if number == RATED_STEP else accepted),
            "acceptDate": cst_format(accepted),
            "projectType": str(up.get("project_type") or self.opt["project_type"]),
            "promiseTime": "1" if promise_days == 0 else "2", "promiseDay": str(promise_days),
            "promiseType": "1", "anticipateDay": str(promise_days), "anticipateType": "1",
            "proChannel": str(self.opt["pro_channel"]), "dataSource": p.data_source,
            "proManager": up.get("manager") or case.get("staff_name") or "",
        }
        rec["certKey" if kind == 1 else "certKeyGOV"] = a.get("id_number")
        if handle_item:
            rec["taskHandleItem"] = handle_item
        if number == RATED_STEP:
            rec["resultDate"] = rec["serviceTime"]
        for key in ("sub_matter", "pro_depart_code"):
            if up.get(key):
                rec["subMatter" if key == "sub_matter" else "proDepartCode"] = up[key]
        return rec

    def case_fields(self, case):
        # The export file carries the finished step's record, without identity.
        rec = self.service_fields(dict(case, applicant=None), RATED_STEP, STEPS[-1][1])
        for k in ("userName", "mobile", "creditNum", "certKey", "certKeyGOV"):
            rec.pop(k, None)
        return rec

    def rating_fields(self, r, now_s=None):
        p = self.province
        a = r.get("applicant") or (PLACEHOLDERS if self.placeholders else {})
        return {"taskType": r.get("task_type") or self.opt["task_type"],
                "projectNo": self.project_no(r["project_no"]),
                "satisfaction": p.level(r["level"]), "pf": p.channel_code(r["channel"]),
                "name": a.get("name") or "",
                "evalDetail": ",".join(str(c) for c in r.get("labels") or ()),
                "writingEvaluation": p.writing(r),
                "assessTime": cst_format(assess_time(r, now_s)), "serviceNumber": RATED_STEP}

    # ------------------------------------------------------------ calls
    def _post(self, path, records, what):
        reply = self.http.post_json(self.opt[path], self.sealer.seal(records))
        if reply.transient:
            return None, Outcome.transient(reply.transient)
        return reply.body, outcome(reply.body, what)

    def _send(self, path, records, whats):
        """Records in one call; on a refusal of several, one call each -> [Outcome]."""
        if not records:
            return []
        _b, out = self._post(path, records, whats[0] if len(records) == 1 else "%d records" % len(records))
        # A duplicate named in a call of several may be one record's: the
        # others were not taken (the call is all or nothing), so ask each.
        if len(records) == 1 or out.status == Outcome.TRANSIENT or (out.status == Outcome.OK and not out.duplicate):
            return [out] * len(records)
        return [self._post(path, [r], w)[1] for r, w in zip(records, whats)]

    def _not_forwarded(self, case):
        if self_built(split_matter(case["task_code"])[0]):
            return Outcome.permanent(
                "case %s is of a self-built matter (自建事项: matter code %s contains 00000000): the Shandong "
                "platform takes only matters of the provincial catalogue, so the hub does not forward it or "
                "its ratings; nothing to fix unless the matter code is wrong" % (case["project_no"], case["task_code"]))
        if self._applicant(case) is None:
            return Outcome.permanent(
                "case %s has no applicant identity: the Shandong platform is real-name and refuses a service "
                "record without userName, certKey and mobile; the business system must send "
                "upstream_case.applicant with the invitation (or set [upstream.options] "
                "applicant_placeholders = true for cases made before it did)" % case["project_no"])
        return None

    def register_case(self, case):
        return self.register_cases([case])[0]

    def register_cases(self, cases):
        outs = [self._not_forwarded(c) for c in cases]
        live = [i for i, o in enumerate(outs) if o is None]
        for number, name in STEPS:          # every case's step 1, then 2, then 3
            if not live:
                break
            recs = [self.service_fields(cases[i], number, name) for i in live]
            whats = ["service step %d of case %s" % (number, cases[i]["project_no"]) for i in live]
            still = []
            for i, out in zip(live, self._send("service_path", recs, whats)):
                if out.status == Outcome.UNKNOWN_CASE:      # not a rating: nothing to look up
                    out = Outcome.permanent(out.reason)
                if out.status == Outcome.OK:
                    still.append(i)
                    if number == STEPS[-1][0]:
                        outs[i] = _keyed(out, self.key(cases[i]["project_no"]))
                else:
                    outs[i] = out
            live = still
        return outs

    def key(self, serial, step=RATED_STEP):
        """The platform's key of a service record or window rating, kept as
        upstream's id: its answers carry none (a duplicate is known only by
        words), and (projectNo, serviceNumber) is what it holds them by."""
        return "%s/%d" % (self.project_no(serial), step)

    def push_ratings(self, ratings):
        outs = self._send("rating_path", [self.rating_fields(r) for r in ratings],
                          ["rating of case %s" % r["project_no"] for r in ratings])
        return [_keyed(o, self.key(r["project_no"])) for o, r in zip(outs, ratings)]

    def query(self, project_no):
        body, out = self._post("query_path", [{"mark": "0", "projectNo": self.project_no(project_no)}],
                               "query of case %s" % project_no)
        if body is None or out.status not in (Outcome.OK, Outcome.UNKNOWN_CASE):
            return out
        if out.status == Outcome.UNKNOWN_CASE:
            return {"case": False, "ratings": {}}
        services = response_body(body).get("serviceList") or []
        rated = [s for s in services if isinstance(s, dict) and s.get("evaluated")]
        return {"case": bool(services), "ratings": {1: self.key(project_no)} if rated else {}}

    def labels(self):
        """The national label list the platform serves (getnorm) -> [(code, text)] or an Outcome."""
        body, out = self._post("norm_path", None, "label list (getnorm)")
        if body is None or out.status != Outcome.OK:
            return out
        items = response_body(body).get("normList")
        if not isinstance(items, list):
            return Outcome.transient("the getnorm answer has no normList")
        try:
            return sorted((int(n["code"]), str(n["name"])) for n in items)
        except (KeyError, TypeError, ValueError):
            return Outcome.transient("the getnorm answer's normList is not [{code, name}]: %s"
                                     % json.dumps(items, ensure_ascii=False)[:200])

    def close(self):
        self.http.close()


def _keyed(out, key):
    if out.status != Outcome.OK:
        return out
    return Outcome.ok(key, out.duplicate)
