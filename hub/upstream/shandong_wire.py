"""The Shandong platform's wire: the sealed envelope and its two-layer answer.

As the public Jining client (Epoint, repo LouisCherry/tempproject134,
java/com/epoint/hcp/) speaks it; docs/UPSTREAM.md has the facts and what is
assumed. Every call is one JSON POST, header `C-Tenancy-Id`:

  {"txnBodyCom": {"appMark": <the hall's app id>,
                  "time": "yyyyMMddHHmmss" (China Standard Time),
                  "sign": SM2(time + appMark + appWord),
                  "params": {"evaluate": [SM2(JSON of one record), ...]}},
   "txnCommCom": {}}

SM2 is encryption with the province's public key (the platform decrypts
with its private key), written as hub/upstream/gm.py describes (upper-case
hex, 04 || C1 || C3 || C2 by default). appWord is the shared secret and
only travels inside the sign's ciphertext.

The answer has two layers: `C-Response-Desc` must be "success" (the
gateway took the call), then `C-Response-Body.success` is "true" or
"false" with a `message` (the platform took the data, or refused it). A
"success" whose body says "false" is a refusal. Duplicates are known only
by their message text (评价数据不可重复 for a rating, 已存在该条服务信息 for a
service record), and are success: the platform already holds it.
"""

import json
import time

from hub.halltime import cst_stamp
from hub.upstream import gm
from hub.upstream.base import Outcome

DUPLICATE_TEXTS = ("评价数据不可重复", "已存在该条服务信息")
# The platform has no service record the rating names (assumed wording:
# the public client never shows it; the simulated platform uses it).
UNKNOWN_SERVICE_TEXTS = ("服务信息不存在",)
BUSY_TEXTS = ("系统繁忙", "busy", "请稍后")


class Sealer:
    """Seals records for one hall: its appMark/appWord and the province's key."""

    def __init__(self, app_mark, app_word, public_key, mode=gm.C1C3C2, prefix=True, impl=None):
        self.app_mark, self.app_word = app_mark, app_word
        self.public_key = gm.public_key_hex(public_key)
        self.mode, self.prefix = mode, prefix
        self.impl = impl or gm.best()

    def encrypt(self, text):
        return gm.to_wire(self.impl.sm2_encrypt(self.public_key, text.encode("utf-8")), self.mode, self.prefix)

    def seal(self, records, epoch_s=None):
        """[record dict] -> the request body (a dict to send as JSON)."""
        t = cst_stamp(time.time() if epoch_s is None else epoch_s)
        body = {"appMark": self.app_mark, "time": t, "sign": self.encrypt(t + self.app_mark + self.app_word)}
        if records is not None:
            body["params"] = {"evaluate": [self.encrypt(json.dumps(r, ensure_ascii=False, separators=(",", ":")))
                                           for r in records]}
        return {"txnBodyCom": body, "txnCommCom": {}}


def response_body(answer):
    """C-Response-Body as a dict (the gateway may send it as JSON text) or {}."""
    body = answer.get("C-Response-Body")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            body = {"message": body}
    return body if isinstance(body, dict) else {}


def outcome(answer, what):
    """A parsed JSON answer -> Outcome. WHAT names the call for the reason
    ("service step 2 of case 37…", "rating of case 37…")."""
    desc = str(answer.get("C-Response-Desc") or "")
    body = response_body(answer)
    message = str(body.get("message") or "")
    said = message or desc
    if any(t in desc or t in message for t in DUPLICATE_TEXTS):
        return Outcome.ok(duplicate=True)
    if desc != "success":
        signed = "sign" in desc or "签名" in desc
        if not signed and ("time" in desc or "时间" in desc):
            # The envelope's time against the platform's clock: it heals when
            # the clocks agree again, so it is retried, saying what to fix.
            return Outcome.transient("Shandong gateway refused the %s: %s; to fix: the hub's clock is off, "
                                     "set NTP on the hub's host" % (what, desc))
        if not desc or any(t in desc for t in BUSY_TEXTS):
            return Outcome.transient("Shandong gateway did not take the %s: %s" % (what, desc or "(no C-Response-Desc)"))
        return Outcome.permanent(refusal(what, "gateway answered C-Response-Desc %r" % desc))
    flag = str(body.get("success", "")).lower()
    if flag == "true":
        return Outcome.ok(body.get("id"))
    if flag != "false":
        return Outcome.transient("Shandong platform's answer to the %s has no C-Response-Body.success" % what)
    if any(t in message for t in UNKNOWN_SERVICE_TEXTS):
        return Outcome.unknown_case("Shandong platform holds no service record for the %s (%s): the case's "
                                    "steps must be registered first" % (what, message))
    if any(t in message for t in BUSY_TEXTS):
        return Outcome.transient("Shandong platform busy: %s (%s)" % (message, what))
    return Outcome.permanent(refusal(what, said or "C-Response-Body.success is \"false\" without a message"))


# What hall IT can do about a refusal, by words of the platform's message.
_FIXES = (
    ("签名", "check [upstream.options] app_mark, app_word and sm2_public_key against the values the "
             "province issued to this hall"),
    ("sign", "check [upstream.options] app_mark, app_word and sm2_public_key against the values the "
             "province issued to this hall"),
    ("appMark", "check [upstream.options] app_mark"),
    ("C-Tenancy-Id", "check [upstream.options] tenancy_id (Shandong: 370000000000)"),
    ("解密", "check [upstream.options] sm2_public_key, sm2_mode and sm2_prefix against the province's"),
    ("time", "the hub's clock is off: set NTP on the hub's host"),
    ("orgcode", "the handling department's code: send upstream_case.org_code (18-character unified social "
                "credit code) or fix [upstream] dept_code"),
    ("areaCode", "send upstream_case.area_code (6 or 12 digits) or fix [upstream] area_code"),
    ("mobile", "the business system must send upstream_case.applicant.mobile"),
    ("userName", "the business system must send upstream_case.applicant.name"),
    ("certKey", "the business system must send upstream_case.applicant.id_number"),
    ("taskType", "send upstream_case.task_type (01 05 07 08 09 10 20 99) or fix [upstream.options] task_type"),
    ("dataSource", "fix [upstream.options] data_source (Shandong: 165)"),
    ("evalDetail", "a label does not belong to its level: compare the label set with `pingjia upstream labels`"),
)


def refusal(what, said):
    """The platform's refusal in hall IT's words: what it said and what to fix."""
    fix = next((f for key, f in _FIXES if key.lower() in said.lower()), None)
    text = "Shandong platform refused the %s: %s" % (what, said)
    return text + ("; to fix: " + fix if fix else "; fix the cause, then `pingjia upstream replay`")
