"""Fujian as the simulated platform speaks it: gateway token, SOAP, SM4-sealed XML.

    GET  /fj/get-token?app_key=&timestamp=<13-digit ms>&sign=md5(appCode + timestamp)
         -> {"access_token", "expires_in", "refresh_token", "re_expires_in"}
    POST /fj/webservice/getSaveEvaluation        a rating of today (Beijing time)
    POST /fj/webservice/getEvaluationSupplement  补报: a rating of an earlier day
         SOAP header {http://linewell.com/ws/}Authorization = "Basic <token>",
         body <op><xmlStr>hex SM4-ECB(MD5(appCode)) of the rating's XML</xmlStr></op>
         -> SOAP answer whose <return> is XML <code>200</code><data><evaluateUnid>

Its own MD5 check, token expiry, gmssl SM4 and stdlib XML parsing: nothing
of the hub's. Codes: 200 成功, 3 重复值错误 (with the held evaluateUnid),
400 请求参数有误, 401 未登录 (token missing, unknown or expired).
"""

import hashlib
import hmac
import json
import secrets
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from simulator.province import combined
from simulator.province.sm4_judge import sm4_ecb_decrypt
from simulator.province.wire import Answer

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WS = "http://linewell.com/ws/"
SAVE, SUPPLEMENT = "getSaveEvaluation", "getEvaluationSupplement"
CST_S = 8 * 3600
CLOCK_SKEW_S = 300
FIELDS = frozenset((
    "areaCode", "deptCode", "deptName", "taskCode", "taskName", "projectNo", "proStatus", "proManager", "pf",
    "satisfaction", "evalDetail", "writingEvaluation", "assessTime", "assessNumber", "userProp", "userName",
    "certKey", "acceptDate", "dataSource"))
SPEC = {"fields": FIELDS, "user_props": {1, 2, 3, 4, 5, 6, 9}, "channels": set(range(1, 8)),
        "cert_field": "certKey", "required_text": ("deptName", "proManager"), "optional_text": ()}


def md5_hex(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def day(epoch_s):
    return int(epoch_s + CST_S) // 86400


class Fujian:
    prefix = "/fj"
    raw = True

    def __init__(self, platform):
        self.p = platform
        self.tokens = {}          # token -> (app_key, expires at)

    # ---------------------------------------------------------------- token
    def token(self, query):
        def refuse(msg):
            return Answer(json.dumps({"code": 401, "message": msg}, ensure_ascii=False).encode(),
                          "application/json;charset=UTF-8", 401), False
        key, ts, sign = query.get("app_key", ""), query.get("timestamp", ""), query.get("sign", "")
        code = self.p.fj_apps.get(key)
        if code is None:
            return refuse("app_key 不存在")
        if not (ts.isdigit() and len(ts) == 13):
            return refuse("timestamp 必须是13位毫秒时间戳")
        if abs(int(ts) / 1000 - self.p.clock()) > CLOCK_SKEW_S:
            return refuse("timestamp 与网关时间相差超过 %d 秒" % CLOCK_SKEW_S)
        if not hmac.compare_digest(md5_hex(code + ts), sign):
            return refuse("sign 校验失败: 应为 md5(appCode + timestamp) 的小写十六进制")
        token = secrets.token_hex(16)
        ttl = self.p.fj_token_ttl_s
        self.tokens[token] = (key, self.p.clock() + ttl)
        self.p.fj_tokens_issued += 1
        body = {"access_token": token, "expires_in": ttl, "refresh_token": secrets.token_hex(16),
                "re_expires_in": ttl * 2}
        return Answer(json.dumps(body).encode(), "application/json;charset=UTF-8"), False

    # ---------------------------------------------------------------- SOAP
    def answer(self, op, code, msg, unid=None):
        inner = "<result><code>%s</code><msg>%s</msg>%s</result>" % (
            code, escape(msg), "<data><evaluateUnid>%s</evaluateUnid></data>" % unid if unid else "")
        data = ('<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="%s"><soap:Body>'
                '<ns:%sResponse xmlns:ns="%s"><return>%s</return></ns:%sResponse></soap:Body></soap:Envelope>'
                % (SOAP, op, WS, escape(inner), op))
        return Answer(data.encode("utf-8"), "text/xml; charset=utf-8")

    def handle(self, method, path, raw, query, headers):
        if method == "GET" and path == "/get-token":
            return self.token(query)
        op = path[len("/webservice/"):] if path.startswith("/webservice/") else None
        if method != "POST" or op not in (SAVE, SUPPLEMENT):
            return None, False
        try:
            env = ET.fromstring(raw)
        except ET.ParseError:
            return self.answer(op, 400, "请求不是 SOAP XML"), False
        auth = (env.findtext("{%s}Header/{%s}Authorization" % (SOAP, WS)) or "").strip()
        kind, _, token = auth.partition(" ")
        held = self.tokens.get(token)
        if kind != "Basic" or held is None:
            return self.answer(op, 401, "未登录: 缺少或未知的令牌"), False
        if self.p.clock() >= held[1]:
            return self.answer(op, 401, "未登录: 令牌已过期"), False
        call = env.find("{%s}Body/{%s}%s" % (SOAP, WS, op))
        sealed = (call.findtext("xmlStr") if call is not None else None) or ""
        try:
            plain = sm4_ecb_decrypt(bytes.fromhex(md5_hex(self.p.fj_apps[held[0]])), bytes.fromhex(sealed))
            record = ET.fromstring(plain)
        except (ValueError, ET.ParseError):
            return self.answer(op, 400, "请求参数有误: xmlStr 不是以 MD5(appCode) 为密钥的 SM4 密文 XML"), False
        if record.tag != "evaluation" or any(len(e) for e in record):
            return self.answer(op, 400, "请求参数有误: 评价 XML 的根元素必须是 evaluation，字段为文本"), False
        d = {e.tag: e.text or "" for e in record}
        if len(d) != len(record):
            return self.answer(op, 400, "请求参数有误: 字段重复"), False
        try:
            at = combined.when(d, "assessTime")
        except combined.Rejected as e:
            return self.answer(op, 400, "请求参数有误: " + e.msg), False
        today = day(self.p.clock())
        if op == SAVE and day(at) < today:
            return self.answer(op, 400, "评价时间不是当日，请通过补报接口 getEvaluationSupplement 上报"), False
        if op == SUPPLEMENT and day(at) >= today:
            return self.answer(op, 400, "当日评价请通过 getSaveEvaluation 实时上报，补报仅用于往日评价"), False
        spec = dict(SPEC, data_source=self.p.fj_data_source, real_name=self.p.real_name)
        r = combined.take(self.p, d, spec, {"_interface": op})
        if "id" not in r:
            return self.answer(op, 400, "请求参数有误: " + r["msg"]), False
        if not r["created"]:
            return self.answer(op, 3, "重复值错误", r["id"]), True
        return self.answer(op, 200, "成功", r["id"]), True
