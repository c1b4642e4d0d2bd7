"""The Shandong dialect of the simulated platform: a strict, independent judge.

Written from the public facts (docs/UPSTREAM.md, Shandong), with its own
SM2 decryption (sm2_judge) and nothing of the hub. It holds its own SM2 private key;
the hall is given the public key. Every call is a JSON POST:

  {"txnBodyCom": {"appMark", "time" yyyyMMddHHmmss (UTC+8),
                  "sign": SM2(time + appMark + appWord),
                  "params": {"evaluate": [SM2(JSON record), ...]}},
   "txnCommCom": {}}       header C-Tenancy-Id

with SM2 ciphertext as upper-case hex 04 || C1 || C3 || C2. Answers have
two layers: {"C-Response-Desc": "success" | the gateway's refusal,
"C-Response-Body": {"success": "true" | "false", "message", ...}}.
A call is all or nothing: one bad record refuses the call, naming it.

  POST /sd/service    service records (serviceNumber 1, 2, 3 in order)
  POST /sd/evaluate   window ratings, keyed by (projectNo, serviceNumber)
  POST /sd/getnorm    the national label list (no records)
  POST /sd/services   what is held for {"projectNo"}

The ledger keys cases by the hall's serial (projectNo less the province
prefix, which is checked), so tests compare it with the hub's serial for
every dialect; window ratings go in as assessNumber 1.
"""

import calendar
import hmac
import json
import threading
import time

from simulator.province import sm2_judge

from simulator.province.shandong_norms import NORMS
from simulator.province.shandong_rules import BEIJING_S, DUPLICATE_RATING, Judge, Refused, RATED_STEP

# The example key pair of GB/T 32918.4 (a test key, never a real one).
PRIVATE_KEY = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
PUBLIC_KEY = ("09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
              "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13")
TENANCY_ID = "370000000000"
MAX_SKEW_S = 60            # an envelope time ahead of the platform's clock by more is refused
MAX_AGE_S = 600            # ... and one older than this (a replayed call)
MAX_RECORDS = 50


def sm2_decrypt(private_key, data):
    """C1 (64) || C3 (32) || C2 -> the text; C3 is checked (gmssl's own
    decrypt never compares it, so the judge has its own: sm2_judge)."""
    return sm2_judge.decrypt(private_key, data)


class GatewayRefusal(Exception):
    """Refused before the data is looked at: answered in C-Response-Desc."""


def of(platform):
    """The Shandong dialect object of a ProvincePlatform (for tests to configure)."""
    return next(d for d in platform.dialects if isinstance(d, Shandong))


def answer(ok, message="", **extra):
    body = {"success": "true" if ok else "false", "message": message or ("成功" if ok else "")}
    body.update(extra)
    return {"C-Response-Desc": "success", "C-Response-Code": "0", "C-Response-Body": body}


def gateway(desc):
    return {"C-Response-Desc": desc, "C-Response-Code": "1", "C-Response-Body": None}


class Shandong:
    prefix = "/sd"

    def __init__(self, platform, private_key=PRIVATE_KEY, app_words=None, tenancy_id=TENANCY_ID,
                 judge=None, clock=time.time):
        self.p = platform
        self.private_key = private_key
        self.app_words = dict(app_words or getattr(platform, "app_words", None) or {"pingjia-hall": "secret-word"})
        self.tenancy_id = tenancy_id
        self.judge = judge or Judge(channels=getattr(getattr(platform, "rules", None), "channels", range(1, 8)))
        self.clock = clock
        self.norms = list(NORMS)
        self.sm2_prefix = True
        self.rejecting = {}               # projectNo -> the reason the `reject` fault gives it
        self.calls = {"service": 0, "evaluate": 0, "getnorm": 0, "services": 0}
        self._lock = threading.Lock()     # a call's checks and writes are one step

    # ------------------------------------------------------------ crypto
    def decrypt(self, text, what):
        try:
            data = bytes.fromhex(text)
            if self.sm2_prefix:
                if data[:1] != b"\x04":
                    raise ValueError("no 04 prefix")
                data = data[1:]
            return sm2_decrypt(self.private_key, data).decode("utf-8")
        except (ValueError, TypeError, IndexError, UnicodeDecodeError, AttributeError):
            raise GatewayRefusal("%s 解密失败（应为平台公钥 SM2 加密的 04||C1||C3||C2 十六进制）" % what)

    def open(self, body, headers, records):
        """The envelope -> [record dicts] (None when RECORDS is False); GatewayRefusal when refused."""
        if headers.get("c-tenancy-id") != self.tenancy_id:
            raise GatewayRefusal("C-Tenancy-Id 租户标识不正确")
        env = body.get("txnBodyCom") if isinstance(body, dict) else None
        if not isinstance(env, dict) or not isinstance(body.get("txnCommCom"), dict):
            raise GatewayRefusal("报文应为 {txnBodyCom, txnCommCom}")
        for k in ("appMark", "time", "sign"):
            if not isinstance(env.get(k), str) or not env[k]:
                raise GatewayRefusal("txnBodyCom.%s 不能为空" % k)
        word = self.app_words.get(env["appMark"])
        if word is None:
            raise GatewayRefusal("appMark %s 未注册" % env["appMark"])
        try:
            t = calendar.timegm(time.strptime(env["time"], "%Y%m%d%H%M%S")) - BEIJING_S
        except ValueError:
            raise GatewayRefusal("time 格式应为 yyyyMMddHHmmss")
        now = self.clock()
        if t > now + MAX_SKEW_S:
            raise GatewayRefusal("time 请求时间晚于平台时钟")
        if t < now - MAX_AGE_S:
            raise GatewayRefusal("time 请求时间过早（超过 %d 秒）" % MAX_AGE_S)
        want = env["time"] + env["appMark"] + word
        if not hmac.compare_digest(self.decrypt(env["sign"], "sign").encode(), want.encode()):
            raise GatewayRefusal("sign 签名验证失败（应为 time + appMark + appWord 的 SM2 密文）")
        if not records:
            return None
        items = (env.get("params") or {}).get("evaluate") if isinstance(env.get("params"), dict) else None
        if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
            raise GatewayRefusal("params.evaluate 应为非空的密文数组")
        if len(items) > MAX_RECORDS:
            raise GatewayRefusal("params.evaluate 每次最多 %d 条" % MAX_RECORDS)
        out = []
        for i, x in enumerate(items):
            try:
                d = json.loads(self.decrypt(x, "evaluate[%d]" % i))
            except ValueError:
                raise GatewayRefusal("evaluate[%d] 不是 JSON" % i)
            if not isinstance(d, dict):
                raise GatewayRefusal("evaluate[%d] 应为 JSON 对象" % i)
            out.append(d)
        return out

    # ------------------------------------------------------------ calls
    def handle(self, method, path, body, query, headers):
        name = path.lstrip("/")
        if method != "POST" or name not in self.calls:
            return None, False
        self.calls[name] += 1
        try:
            records = self.open(body, headers, name != "getnorm")
        except GatewayRefusal as e:
            return gateway(str(e)), False
        if name == "getnorm":
            return answer(True, normList=[{"code": str(c), "name": n, "level": c // 100} for c, n in self.norms]), False
        with self._lock:
            return getattr(self, name)(records)

    def _each(self, records, check):
        """Check every record (all or nothing) -> (checked list, None) or (None, refusal answer)."""
        done = []
        for i, d in enumerate(records):
            try:
                done.append(check(d, done))
            except Refused as e:
                msg = e.msg if len(records) == 1 else "第 %d 条: %s" % (i + 1, e.msg)
                return None, answer(False, msg)
        return done, None

    def service(self, records):
        now = self.clock()

        def check(d, done):
            serial = self.judge.project(d) if isinstance(d.get("projectNo"), str) else ""
            case = self.p.ledger.case(serial)
            for s, step, at, _d in done:      # earlier records of the same call count
                if s == serial:
                    case = {"steps": (case["steps"] if case else []) + [step], "service_time": at, "id": None}
            return self.judge.service(d, case, now) + (d,)

        done, refusal = self._each(records, check)
        if refusal:
            return refusal, False
        ids = [self.p.ledger.register_case(s, step, d, at)[0] for s, step, at, d in done]
        return answer(True, id=ids[0] if len(ids) == 1 else None), True

    def evaluate(self, records):
        now = self.clock()
        reason = self.p.faults.take_reject()
        if reason is not None:
            # The `reject` fault refuses a rating, not a call: it sticks to the
            # first record until a call of that record alone has been refused.
            first = records[0].get("projectNo")
            self.rejecting[first if isinstance(first, str) else ""] = reason

        def check(d, done):
            key = d.get("projectNo") if isinstance(d.get("projectNo"), str) else ""
            if key in self.rejecting:
                raise Refused(self.rejecting.pop(key) if len(records) == 1 else self.rejecting[key])
            serial = self.judge.project(d) if isinstance(d.get("projectNo"), str) else ""
            case = self.p.ledger.case(serial)
            in_ledger = any(r["assessNumber"] == 1 for r in self.p.ledger.ratings_of(serial)) if case else False
            held = in_ledger or any(c["serial"] == serial for c in done)
            try:
                return dict(self.judge.rating(d, case, held, now), fields=d)
            except Refused as e:
                if e.msg == DUPLICATE_RATING and in_ledger:
                    self.p.ledger.add_rating(serial, 1, 0, [], 0, 0, d)   # held: counts the attempt only
                raise

        done, refusal = self._each(records, check)
        if refusal:
            return refusal, False
        ids = [self.p.ledger.add_rating(c["serial"], 1, c["satisfaction"], c["labels"], c["assess_time"],
                                        c["pf"], c["fields"])[0] for c in done]
        return answer(True, id=ids[0] if len(ids) == 1 else None), True

    def services(self, records):
        d = records[0]
        try:
            serial = self.judge.project(d)
        except Refused as e:
            return answer(False, e.msg), False
        case = self.p.ledger.case(serial)
        if case is None:
            return answer(False, "服务信息不存在: projectNo %s" % d.get("projectNo")), False
        rated = {r["assessNumber"]: r["id"] for r in self.p.ledger.ratings_of(serial)}
        return answer(True, serviceList=[
            {"projectNo": d["projectNo"], "serviceNumber": s, "evaluated": s == RATED_STEP and 1 in rated,
             "id": rated.get(1) if s == RATED_STEP else case["id"]} for s in sorted(case["steps"])]), False
