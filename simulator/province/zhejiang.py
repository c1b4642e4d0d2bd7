"""Zhejiang as the simulated platform speaks it: one form-encoded offlinereport.

    POST /zj/offlinereport.do   application/x-www-form-urlencoded; charset=UTF-8
    Authorization: Basic base64(user:password)
    -> {"result", "resultmsg"} as bytes in the platform's charset, named nowhere

The record carries the case and its rating (simulator/province/combined.py
checks both). Code tables: pf 1 PC, 2 mobile, 3 QR, 4 hall tablet, 5 other
hall terminal, 6 SMS, 7 system default; userProp 1 个人, 2 法人; proStatus
1 待受理, 2 已受理, 3 已办结; promiseTime 1 承诺件, 2 即办件; dataSource 133.
A repeat of (projectNo, assessNumber) is answered with a message saying it is
already rated; the platform has no query call.
"""

import base64
import binascii
import hmac
import json
from urllib.parse import parse_qs

from simulator.province import combined
from simulator.province.rules import BAD_FIELD, Rejected
from simulator.province.wire import Answer

FIELDS = frozenset((
    "areaCode", "areaName", "deptCode", "taskCode", "taskHandleItem", "taskName", "subMatter", "projectNo",
    "proStatus", "proDepartCode", "proDepart", "proManager", "pf", "certkeyGOV", "userName", "userProp",
    "satisfaction", "evalDetail", "writingEvaluation", "assessTime", "assessNumber", "appStatus",
    "promiseTime", "acceptDate", "dataSource"))
SPEC = {"fields": FIELDS, "user_props": {1, 2}, "channels": set(range(1, 8)), "cert_field": "certkeyGOV",
        "required_text": ("areaName", "proDepart", "proManager"),
        "optional_text": ("taskHandleItem", "subMatter", "proDepartCode", "appStatus")}
DUPLICATE_MSG = "该办件已评价，请勿重复提交"


class Zhejiang:
    prefix = "/zj"
    raw = True

    def __init__(self, platform):
        self.p = platform

    def answer(self, result, msg, status=200):
        data = json.dumps({"result": result, "resultmsg": msg}, ensure_ascii=False).encode(self.p.zj_charset)
        return Answer(data, "text/plain", status)

    def authorized(self, headers):
        kind, _, value = (headers.get("authorization") or "").partition(" ")
        if kind != "Basic":
            return False
        try:
            user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        want = self.p.zj_users.get(user)
        return want is not None and hmac.compare_digest(want, password)

    def handle(self, method, path, raw, query, headers):
        if method != "POST" or path != "/offlinereport.do":
            return None, False
        if not self.authorized(headers):
            return self.answer("401", "认证失败：用户名或密码错误", 401), False
        if not (headers.get("content-type") or "").startswith("application/x-www-form-urlencoded"):
            return self.answer("1", "请求必须是 application/x-www-form-urlencoded 表单"), False
        try:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw),
                            errors="strict")
            if any(len(v) != 1 for v in form.values()):
                raise Rejected(BAD_FIELD, "字段重复: %s" % ", ".join(k for k, v in form.items() if len(v) != 1))
            d = {k: v[0] for k, v in form.items()}
            if d.get("promiseTime", "") not in ("1", "2"):
                raise Rejected(BAD_FIELD, "promiseTime 必须是 1 (承诺件) 或 2 (即办件)")
        except (UnicodeDecodeError, ValueError):
            return self.answer("1", "表单不是 UTF-8 编码的 application/x-www-form-urlencoded"), False
        except Rejected as e:
            return self.answer("1", e.msg), False
        spec = dict(SPEC, data_source=self.p.zj_data_source, real_name=self.p.real_name)
        r = combined.take(self.p, d, spec)
        if "id" not in r:
            return self.answer("1", r["msg"]), False
        if not r["created"]:
            return self.answer("1", DUPLICATE_MSG), True
        return self.answer("0", "成功"), True
