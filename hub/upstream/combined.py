"""What the dialects whose one call carries a case and its rating together share.

Zhejiang's `offlinereport` and Fujian's `getSaveEvaluation` take the case's
fields in the same record as the rating; neither has a call that registers a
case alone. The relay still works case-then-rating (hub/upstream/relay.py):
a case row is settled before its ratings go. So for these dialects:

- register_case makes no call. It checks the case locally against what the
  platform requires (a refusal here is the platform's refusal, said before
  any rating waits on it) and holds the case in memory (CaseHold) for its
  rating. The case row is `accepted` with no upstream id: the platform holds
  nothing yet, and a case nobody rated is never sent (the hub never invents
  a rating; a default rating is the platform's business).
- push_ratings sends the combined record of the rating and its held case.
  A rating whose case this process does not hold (the hub restarted between
  the two, or the hold was full) answers `unknown_case`; the relay sees the
  case row accepted, registers it again (outbox.register_again) and the
  rating waits for it. That costs one pass, never a call upstream.

The held case may carry case["applicant"] (personal data the relay decrypted
for the call): it lives only in this process's memory, is never logged, and
is dropped as soon as the platform holds its rating (and with the process).

Also here: the check of an invitation's `upstream_case` codes against a
dialect's rules (the API answers 422 naming the field), and the unified
social credit code (GB 32100-2015) with its check character.
"""

import threading
import time
from collections import OrderedDict

from hub.halltime import cst_format
from hub.upstream.base import NATIONAL_CASE_RULES, Adapter, Outcome, assess_time

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_credit_code(v):
    """An 18-character unified social credit code whose last character checks."""
    if not isinstance(v, str) or len(v) != 18 or any(c not in CREDIT_CHARS for c in v):
        return False
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(v[:17], _CREDIT_WEIGHTS))
    return CREDIT_CHARS[(31 - total % 31) % 31] == v[17]


CREDIT_RULE = (is_credit_code, "an 18-character unified social credit code (GB 32100) whose check character fits")
AREA_RULE = (lambda v: isinstance(v, str) and v.isdigit() and len(v) in (6, 12), "6 or 12 digits")
TEXT_RULE = (lambda v: isinstance(v, str) and 0 < len(v.strip()) and len(v) <= 200, "1 to 200 characters")
EPOCH_RULE = (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 < v < 4102444800,
              "an epoch time in seconds")
KIND_RULE = (lambda v: v in (1, 2, 3, 4, 5, 6, 9), "1 to 6 or 9 (userProp)")
# What both dialects read from an invitation's upstream_case; each adds its own.
COMMON_UPSTREAM_RULES = (
    ("upstream_case.area_code", "areaCode", AREA_RULE, False),
    ("upstream_case.org_code", "deptCode", CREDIT_RULE, False),
    ("upstream_case.manager", "proManager", TEXT_RULE, False),
    ("upstream_case.accept_time", "acceptDate", EPOCH_RULE, False),
    ("upstream_case.applicant.name", "userName", TEXT_RULE, False),
    ("upstream_case.applicant.kind", "userProp", KIND_RULE, False),
)


def _at(fields, path):
    v = fields
    for part in path.split("."):
        if not isinstance(v, dict):
            return None
        v = v.get(part)
    return v


def upstream_refusal(dialect, fields, rules):
    """fields (with "upstream_case", possibly absent) against rules
    ((path, wire name, (test, takes), required)) -> None or (path, why)."""
    for path, wire, (test, takes), required in rules:
        value = _at(fields, path)
        if value in (None, ""):
            if required:
                return path, "%s is required by the %s platform (its %s)" % (path, dialect, wire)
            continue
        if not test(value):
            # Personal values are never echoed back: only the rule.
            shown = "" if ".applicant." in path else " %r" % (value,)
            return path, ("%s%s is refused by the %s platform: its %s takes %s"
                          % (path, shown, dialect, wire, takes))
    return None


class CaseHold:
    """Cases registered locally, waiting for their rating: project_no -> case.

    Bounded: the oldest goes first when full (its rating then answers
    unknown_case and the relay registers the case again)."""

    def __init__(self, limit=20000):
        self.limit = limit
        self._cases = OrderedDict()
        self._lock = threading.Lock()

    def put(self, case):
        with self._lock:
            self._cases[case["project_no"]] = case
            self._cases.move_to_end(case["project_no"])
            while len(self._cases) > self.limit:
                self._cases.popitem(last=False)

    def get(self, project_no):
        with self._lock:
            return self._cases.get(project_no)

    def settled(self, project_no, out):
        """Drop the case once the platform holds its rating. A refused rating
        keeps it: hall IT fixes the cause and replays, and the case is at hand."""
        if out.status == Outcome.OK:
            with self._lock:
                self._cases.pop(project_no, None)

    def __len__(self):
        return len(self._cases)


def not_held(project_no):
    return Outcome.unknown_case(
        "case %s is not held by this hub process (restarted since it was registered): "
        "register the case again, then its rating goes" % project_no)


class CombinedAdapter(Adapter):
    """Base of the dialects whose rating record carries its case.

    Subclasses set `upstream_rules` (checked on an invitation's
    upstream_case), `personal` (record fields never exported), `held`
    (a CaseHold), `province`, and define case_fields, user_fields and
    send(case, rating, record) -> Outcome."""

    case_rules = NATIONAL_CASE_RULES
    max_batch = 1                # one record per call in both public clients
    cases_local = True
    upstream_rules = ()
    personal = ()
    clock = staticmethod(time.time)

    @classmethod
    def case_refusal(cls, fields):
        return super().case_refusal(fields) or upstream_refusal(cls.name, fields, cls.upstream_rules)

    def rating_fields(self, r):
        p = self.province
        return {
            "pf": str(p.channel_code(r["channel"])),
            "satisfaction": str(p.level(r["level"])),
            "evalDetail": ",".join(str(c) for c in r.get("labels") or ()),
            "writingEvaluation": p.writing(r),
            "assessTime": cst_format(assess_time(r, int(self.clock()))),
            "assessNumber": str(int(r.get("assess_number", 1))),
        }

    def record(self, case, rating):
        """The platform's record of a rating and its case (personal fields included)."""
        out = self.case_fields(case)
        out.update(self.rating_fields(rating))
        out.update(self.user_fields(case, rating))
        return out

    def export_row(self, case, rating):
        row = self.record(case, rating)
        for k in self.personal:        # the monthly file never carries personal data
            row.pop(k, None)
        return row

    def register_case(self, case):
        refused = self.case_refusal({"case_serial": case.get("project_no"), "matter_code": case.get("task_code"),
                                     "matter_name": case.get("task_name")})
        if refused is not None:
            return Outcome.permanent(refused[1])
        try:
            self.case_fields(case)
        except (KeyError, TypeError, ValueError) as e:
            return Outcome.permanent("case %s cannot be sent to the %s platform: %s"
                                     % (case.get("project_no"), self.name, e))
        self.held.put(case)
        return Outcome.ok()

    def push_ratings(self, ratings):
        return [self._push(r) for r in ratings]

    def _push(self, r):
        # The relay may hand the case along (rating["case"]); else the held one.
        case = r.get("case") or self.held.get(r["project_no"])
        if case is None:
            return not_held(r["project_no"])
        out = self.send(case, r, self.record(case, r))
        self.held.settled(r["project_no"], out)
        return out
