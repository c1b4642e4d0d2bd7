"""Zhejiang: one form-encoded `offlinereport` POST carrying the case and its rating.

Modelled on the Ningbo client (yupomang/YFMAPLAST,
src/com/yondervision/yfmap/controller/WebHttpContorller.java, "办件中心-办件评价服务",
and common/mess/SimpleHttpMessageUtilZJW.java); docs/UPSTREAM.md says what is
known from it and what is assumed.

  POST {endpoint}   (the full offlinereport URL, e.g. .../zwztapi/offlinereport.do)
  Content-Type: application/x-www-form-urlencoded; charset=UTF-8
  Authorization: Basic base64(username:password)
  areaCode areaName deptCode taskCode taskHandleItem taskName subMatter
  projectNo proStatus proDepartCode proDepart proManager pf certkeyGOV
  userName userProp satisfaction evalDetail writingEvaluation assessTime
  assessNumber appStatus promiseTime acceptDate dataSource

Answer: JSON {"result", "resultmsg"}, bytes without a charset (the client
decodes them itself): read as UTF-8, else GB18030. There is no separate case
call, so register_case is a local check (hub/upstream/combined.py explains
how that fits the relay's case-then-rating order), and there is no query
call, so reconciliation cannot confirm anything for this dialect.
"""

import base64
import json
from urllib.parse import urlencode

from hub.halltime import cst_format
from hub.upstream.base import ConfigError, Outcome, Province, require
from hub.upstream.combined import COMMON_UPSTREAM_RULES, TEXT_RULE, CaseHold, CombinedAdapter, is_credit_code
from hub.upstream.http import Http

# Assumed (the public client does not show the platform's answers): the
# `result` values of an acceptance, and the message texts of a duplicate and
# of a busy platform. All three are configuration.
OK_RESULTS = ("0", "00", "200", "true", "success")
DUPLICATE_TEXTS = ("重复", "已评价", "已存在")
BUSY_TEXTS = ("繁忙", "稍后", "超时", "busy")
PRO_STATUS = (1, 2, 3)         # 1 待受理 (代办理), 2 已受理 (办理中), 3 已办结
PROMISE_KINDS = ("1", "2")     # promiseTime: 1 承诺件, 2 即办件
PERSONAL = ("userName", "certkeyGOV")

UPSTREAM_RULES = COMMON_UPSTREAM_RULES + tuple(
    ("upstream_case." + key, wire, TEXT_RULE, False) for key, wire in (
        ("area_name", "areaName"), ("org_name", "proDepart"), ("pro_depart_code", "proDepartCode"),
        ("pro_depart", "proDepart"), ("handle_item", "taskHandleItem"), ("sub_matter", "subMatter")))


def decode(raw):
    """The answer's bytes -> text: UTF-8 when they are, else GB18030 (the
    Ningbo proxy re-encodes answers in GB18030 and names no charset)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def _texts(cfg, key, default):
    v = cfg.get(key, default)
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and x for x in v):
        raise ConfigError("upstream.%s must be a list of texts, e.g. %r" % (key, list(default)))
    return tuple(v)


class ZhejiangAdapter(CombinedAdapter):
    name = "zhejiang"
    upstream_rules = UPSTREAM_RULES
    personal = PERSONAL

    def __init__(self, cfg):
        self.province = p = Province(cfg)
        if not is_credit_code(p.dept_code):
            raise ConfigError("upstream.dept_code must be the handling department's 18-character unified "
                              "social credit code (Zhejiang's deptCode), got %r" % p.dept_code)
        self.area_name = str(require(cfg, "area_name", "upstream"))
        self.data_source = str(cfg.get("data_source", "133"))
        if not (self.data_source.isdigit() and len(self.data_source) == 3):
            raise ConfigError("upstream.data_source must be Zhejiang's 3-digit dataSource code (133), got %r"
                              % self.data_source)
        self.pro_status = int(cfg.get("pro_status", 3))
        if self.pro_status not in PRO_STATUS:
            raise ConfigError("upstream.pro_status must be 1 待受理, 2 已受理 or 3 已办结, got %r" % self.pro_status)
        self.promise_kind = str(cfg.get("promise_kind", "2"))
        if self.promise_kind not in PROMISE_KINDS:
            raise ConfigError("upstream.promise_kind must be \"1\" (承诺件) or \"2\" (即办件), got %r"
                              % self.promise_kind)
        self.pro_depart_code = str(cfg.get("pro_depart_code", ""))
        self.pro_depart = str(require(cfg, "pro_depart", "upstream"))   # 受理部门名称
        self.sub_matter = str(cfg.get("sub_matter", ""))
        self.app_status = str(cfg.get("app_status", ""))
        self.ok_results = tuple(t.lower() for t in _texts(cfg, "ok_results", OK_RESULTS))
        self.duplicate_texts = _texts(cfg, "duplicate_texts", DUPLICATE_TEXTS)
        self.busy_texts = _texts(cfg, "busy_texts", BUSY_TEXTS)
        user = str(require(cfg, "username", "upstream"))
        password = str(require(cfg, "password", "upstream"))
        auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
        self.http = Http(require(cfg, "endpoint", "upstream"), float(cfg.get("timeout_s", 10)),
                         {"Authorization": auth})
        self.held = CaseHold(int(cfg.get("held_cases", 20000)))

    # ------------------------------------------------------------ fields
    def case_fields(self, case):
        p, up = self.province, case.get("upstream") or {}
        promise = "1" if (up.get("promise_days") or up.get("promise_time")) else self.promise_kind
        return {
            "areaCode": str(up.get("area_code") or p.area_code),
            "areaName": str(up.get("area_name") or self.area_name),
            "deptCode": str(up.get("org_code") or case.get("dept_code") or p.dept_code),
            "taskCode": case["task_code"],
            "taskHandleItem": str(up.get("handle_item") or ""),      # 浙江目前不传
            "taskName": case["task_name"],
            "subMatter": str(up.get("sub_matter") or self.sub_matter),
            "projectNo": case["project_no"],
            "proStatus": str(self.pro_status),
            "proDepartCode": str(up.get("pro_depart_code") or self.pro_depart_code),
            "proDepart": str(up.get("pro_depart") or up.get("org_name") or self.pro_depart),
            "proManager": str(up.get("manager") or case.get("staff_name") or ""),
            "appStatus": str(up.get("app_status") or self.app_status),
            "promiseTime": promise,
            "acceptDate": cst_format(min(int(up.get("accept_time") or case["service_time"]),
                                         int(case["service_time"]))),
            "dataSource": self.data_source,
        }

    def user_fields(self, case, rating):
        who = case.get("applicant") or {}
        kind = who.get("kind") or rating.get("user_prop") or case.get("user_prop") or 1
        return {"userProp": "1" if int(kind) == 1 else "2",   # Zhejiang: 1 个人, 2 法人
                "userName": str(who.get("name") or ""), "certkeyGOV": str(who.get("id_number") or "")}

    # ------------------------------------------------------------ calls
    def send(self, case, r, record):
        body = urlencode(record).encode("ascii")
        reply = self.http.send("POST", "", content=body, headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
        out = Outcome.transient(reply.transient) if reply.transient else self._outcome(reply)
        if out.status == Outcome.OK:
            out.upstream_id = "%s#%s" % (r["project_no"], int(r.get("assess_number", 1)))
        return out

    def _outcome(self, reply):
        raw = reply.body.content
        try:
            answer = json.loads(decode(raw))
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if reply.status in (401, 403):
                return Outcome.permanent("Zhejiang refused the credentials (HTTP %d): check upstream.username "
                                         "and upstream.password" % reply.status)
            return Outcome.transient("Zhejiang answered HTTP %d without {result, resultmsg}" % reply.status)
        result = str(answer.get("result", "")).strip()
        msg = str(answer.get("resultmsg") or "")
        if reply.status in (401, 403):
            return Outcome.permanent("Zhejiang refused the credentials (HTTP %d: %s): check upstream.username "
                                     "and upstream.password" % (reply.status, msg or result))
        if result.lower() in self.ok_results and reply.status == 200:
            return Outcome.ok()
        if any(t in msg for t in self.duplicate_texts):
            return Outcome.ok(duplicate=True)
        reason = "Zhejiang refused the rating (result %s): %s" % (result or "?", msg or "(no message)")
        if any(t in msg.lower() for t in self.busy_texts):
            return Outcome.transient(reason)
        return Outcome.permanent(reason)

    def query(self, project_no):
        # The public client has no query call: nothing upstream can be read
        # back, so reconciliation reports every rating as unanswered rather
        # than claim a match it has no evidence for.
        return Outcome.transient("the Zhejiang offlinereport interface has no query call: the platform cannot "
                                 "be asked what it holds; compare with the platform's own console")

    def close(self):
        self.http.close()
