"""Fujian: SOAP getSaveEvaluation for a rating, getEvaluationSupplement for the 补报.

Modelled on the Evecom client for Putian (linjunzhen/ptzhsp,
src/net/evecom/platform/evaluate/): a gateway token (hub/upstream/fujian_token.py)
in the SOAP header, the rating's XML SM4-encrypted under MD5(appCode)
(hub/upstream/fujian_crypto.py), an XML answer (hub/upstream/fujian_soap.py).
docs/UPSTREAM.md says what is known and what is assumed.

  POST {endpoint}/getSaveEvaluation        a rating of today (China time)
  POST {endpoint}/getEvaluationSupplement  补报: a rating of an earlier day

The platform takes ratings in real time, the same day; a rating the hub
could not send that day (an outage, a replayed dead letter, a week's
backlog) goes by the catch-up interface. The choice is by the rating's
assessTime against the hub's clock; if getSaveEvaluation still answers that
the rating is for 补报 (the day turned during the call), the hub sends it by
getEvaluationSupplement at once.

The rating travels with its case (no case call exists): register_case is a
local check (hub/upstream/combined.py).

Answer codes (ErrorConstant in the client): 200 成功 (keep evaluateUnid as
the platform's id); 3 重复值错误 (already held: success, with the
platform's evaluateUnid when it names it); 401 未登录 (renew the token once,
then retry later); 500 系统内部错误 (retry later); 400 请求参数有误,
403 请求资源不允许访问, 404 请求资源不存在 and the rest (refused for good,
with the platform's message and what hall IT should check).
"""

import time

from hub.halltime import cst_format
from hub.upstream.base import ConfigError, Outcome, Province, assess_time, require
from hub.upstream.combined import COMMON_UPSTREAM_RULES, TEXT_RULE, CaseHold, CombinedAdapter, is_credit_code
from hub.upstream.fujian_crypto import seal
from hub.upstream.fujian_soap import AnswerError, answer, envelope, record_xml
from hub.upstream.fujian_token import Tokens, TokenError
from hub.upstream.http import Http

SAVE, SUPPLEMENT = "getSaveEvaluation", "getEvaluationSupplement"
CST_S = 8 * 3600
OK, DUPLICATE, UNAUTHORIZED = "200", "3", "401"
TRANSIENT_CODES = ("500",)
WHAT = {"400": "请求参数有误 (a field the platform refuses)",
        "403": "请求资源不允许访问 (check upstream.app_key is allowed this service)",
        "404": "请求资源不存在 (check upstream.endpoint)"}
SUPPLEMENT_HINT = "补报"
PERSONAL = ("userName", "certKey")

UPSTREAM_RULES = COMMON_UPSTREAM_RULES + (
    ("upstream_case.org_name", "deptName", TEXT_RULE, False),
)


def cst_day(epoch_s):
    return int(epoch_s + CST_S) // 86400


class FujianAdapter(CombinedAdapter):
    name = "fujian"
    upstream_rules = UPSTREAM_RULES
    personal = PERSONAL

    def __init__(self, cfg, clock=time.time):
        self.province = p = Province(cfg)
        if not is_credit_code(p.dept_code):
            raise ConfigError("upstream.dept_code must be the handling department's 18-character unified "
                              "social credit code (Fujian's deptCode), got %r" % p.dept_code)
        self.dept_name = str(require(cfg, "dept_name", "upstream"))
        self.data_source = str(require(cfg, "data_source", "upstream"))
        if not (self.data_source.isdigit() and len(self.data_source) == 3):
            raise ConfigError("upstream.data_source must be Fujian's 3-digit dataSource code, got %r"
                              % self.data_source)
        self.app_code = str(require(cfg, "app_code", "upstream"))
        timeout = float(cfg.get("timeout_s", 10))
        self.clock = clock
        self.tokens = Tokens(str(require(cfg, "token_url", "upstream")), str(require(cfg, "app_key", "upstream")),
                             self.app_code, timeout, clock)
        self.http = Http(require(cfg, "endpoint", "upstream"), timeout)
        self.held = CaseHold(int(cfg.get("held_cases", 20000)))
        self.calls = {SAVE: 0, SUPPLEMENT: 0}

    # ------------------------------------------------------------ fields
    def case_fields(self, case):
        p, up = self.province, case.get("upstream") or {}
        return {
            "areaCode": str(up.get("area_code") or p.area_code),
            "deptCode": str(up.get("org_code") or case.get("dept_code") or p.dept_code),
            "deptName": str(up.get("org_name") or self.dept_name),
            "taskCode": case["task_code"],
            "taskName": case["task_name"],
            "projectNo": case["project_no"],
            "proStatus": "3",                     # 已办结: the hub learns of a case when it is finished
            "proManager": str(up.get("manager") or case.get("staff_name") or ""),
            "acceptDate": cst_format(min(int(up.get("accept_time") or case["service_time"]),
                                         int(case["service_time"]))),
            "dataSource": self.data_source,
        }

    def user_fields(self, case, rating):
        who = case.get("applicant") or {}
        return {"userProp": str(who.get("kind") or rating.get("user_prop") or case.get("user_prop") or 1),
                "userName": str(who.get("name") or ""), "certKey": str(who.get("id_number") or "")}

    def interface(self, rating):
        """Which call takes this rating: today's in real time, an earlier day's as 补报."""
        at = assess_time(rating, int(self.clock()))
        return SAVE if cst_day(at) >= cst_day(self.clock()) else SUPPLEMENT

    # ------------------------------------------------------------ calls
    def send(self, case, r, record):
        sealed = seal(self.app_code, record_xml(record))
        op = self.interface(r)
        out, msg = self._call(op, sealed)
        if op == SAVE and out.status == Outcome.PERMANENT and SUPPLEMENT_HINT in msg:
            out, _msg = self._call(SUPPLEMENT, sealed)
        return out

    def _call(self, op, sealed, renewed=False):
        """-> (Outcome, the platform's message)."""
        try:
            token = self.tokens.get()
        except TokenError as e:
            return (Outcome.transient(str(e)) if e.transient else Outcome.permanent(str(e))), ""
        self.calls[op] += 1
        reply = self.http.send("POST", "/" + op, content=envelope(op, token, sealed),
                               headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
        if reply.transient:
            return Outcome.transient(reply.transient), ""
        try:
            code, msg, unid = answer(reply.body.content)
        except AnswerError as e:
            return Outcome.transient("Fujian %s answered HTTP %d, %s" % (op, reply.status, e)), ""
        if code == UNAUTHORIZED:
            self.tokens.drop(token)
            if not renewed:
                return self._call(op, sealed, renewed=True)
            return Outcome.transient("Fujian %s refused a fresh token (401 %s)" % (op, msg)), msg
        if code == OK:
            return Outcome.ok(unid), msg
        if code == DUPLICATE or "重复" in msg:
            return Outcome.ok(unid, duplicate=True), msg
        reason = "Fujian %s refused the rating (code %s %s): %s" % (op, code, WHAT.get(code, ""), msg or "-")
        if code in TRANSIENT_CODES:
            return Outcome.transient(reason), msg
        return Outcome.permanent(reason), msg

    def query(self, project_no):
        # The public client has no query call either: reconciliation reports
        # ratings as unanswered instead of claiming matches without evidence.
        return Outcome.transient("the Fujian interface has no query call: the platform cannot be asked what "
                                 "it holds; compare the evaluateUnid the hub kept with the platform's console")

    def close(self):
        self.http.close()
        self.tokens.close()
