"""The one interface every provincial 好差评 platform adapter implements.

There is no national push interface: each province has its own field set,
code tables, signature and flow (docs/UPSTREAM.md). The relay (hub/upstream/relay.py)
only speaks this interface; configuration picks the adapter and gives it the
province's codes, endpoints and keys. Nothing province-specific lives in code
outside the adapter modules.

What the relay hands an adapter (plain dicts, hub-side names):

  case   = {"project_no", "task_code", "task_name", "dept_code" (optional:
            the province's default otherwise), "user_prop" (1 person,
            2 legal person), "service_time" (epoch seconds: when the case was
            finished), "window", "staff_id", "staff_name"}
  rating = {"uuid", "project_no", "assess_number" (1 first, 2 follow-up),
            "level" (5 非常满意 .. 1 非常不满意, our internal scale),
            "labels" [int], "other" (bool: the citizen pressed 其他),
            "text" (str, may be ""), "channel" (protocol.domain
            CHANNEL_TERMINAL "terminal" or CHANNEL_QR "qr"), "rated_at" (epoch seconds),
            "service_time" (epoch seconds), "user_prop"}

  The case also carries, both None/{} on cases that have none:
    case["applicant"] None or the applicant's PERSONAL data, decrypted only
            in the relay's memory for the call: {"name", "kind" (userProp
            1..9), "id_type" (userPageType), "id_number" (certKey /
            certKeyGOV), "mobile"}, any of the last three may be absent.
            Never log it and never put it in an Outcome's reason.
    case["upstream"] the case's non-personal codes the business system sent
            (task_type, accept_time, promise_days, promise_time, area_code,
            area_name, org_code, org_name, handle_item, sub_matter,
            pro_depart_code, pro_depart, manager, project_type, app_status),
            only those it sent.
  Every time in a case or rating has been through upstream_time() with the
  relay's clock before the adapter sees it (docs/UPSTREAM.md, "Times").

The relay keeps several calls in flight ([upstream] in_flight), from a pool
of threads sharing ONE adapter instance: an adapter must be safe to call
from several threads at once (httpx.Client is; guard any cache with a lock).
The relay never has two calls of the same projectNo in flight, and sends a
case's ratings only after its registration was accepted.

Every call returns an Outcome per item, never raises for an upstream
answer: `ok` (upstream holds it; `upstream_id` kept when upstream returns
one; `duplicate` when upstream already had it, which is success too),
`transient` (network, timeout, 5xx, "busy": retry later, forever), or
`permanent` (upstream rejected the content: dead-letter with `reason`), or
`unknown_case` (upstream has no case of the rating's projectNo: the relay
decides from what the hub registered whether that is final).
Only a bug or a bad configuration raises (ConfigError), and that names the
key to fix.
"""

import re
import time

from protocol import domain

LEVEL_SCALES = ("satisfaction", "gbt")
# What a citizen's 其他 means upstream: the text of the terminal's button,
# unless the province wants its own words ([upstream.options] other_text).
OTHER_TEXT = "其他"
MAX_WRITING = 500      # writingEvaluation's bound in the national interface


class ConfigError(ValueError):
    """The province's configuration is missing or wrong; names the key."""


class Outcome:
    __slots__ = ("status", "reason", "upstream_id", "duplicate")

    OK = "ok"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNKNOWN_CASE = "unknown_case"

    def __init__(self, status, reason="", upstream_id=None, duplicate=False):
        self.status = status
        self.reason = reason
        self.upstream_id = upstream_id
        self.duplicate = duplicate

    @classmethod
    def ok(cls, upstream_id=None, duplicate=False):
        return cls(cls.OK, "", upstream_id, duplicate)

    @classmethod
    def transient(cls, reason):
        return cls(cls.TRANSIENT, reason)

    @classmethod
    def permanent(cls, reason):
        return cls(cls.PERMANENT, reason)

    @classmethod
    def unknown_case(cls, reason):
        return cls(cls.UNKNOWN_CASE, reason)

    def __repr__(self):
        return "Outcome(%s, %r, %r%s)" % (self.status, self.reason, self.upstream_id,
                                          ", duplicate" if self.duplicate else "")


def upstream_time(t, not_before=None, now_s=None):
    """The one rule for every event time sent upstream (epoch seconds): never
    ahead of now (NOW_S; the clock when None), never before NOT_BEFORE.

    The platforms refuse times ahead of their clock (the public Shandong
    client backdates for that reason), and a rating before its case's
    service time. A terminal whose clock was not yet synced, a business
    system whose clock runs ahead, or skew between systems, can put a time
    in the future; the hub's clock is the latest truthful value. When both
    bounds cannot hold (NOT_BEFORE is itself ahead of now), NOT_BEFORE wins:
    the order of events is what a platform checks against its own records.
    """
    now_s = int(time.time()) if now_s is None else int(now_s)
    t = min(int(t), now_s)
    return t if not_before is None else max(t, int(not_before))


def assess_time(rating, now_s=None):
    """The rating time to send: never ahead of now (NOW_S, epoch seconds;
    the clock when None), never earlier than the service time (docs/UPSTREAM.md).

    A terminal whose clock was not yet synced, or skew between systems, can
    put a rating before the case's finish or in the future; upstream then
    rejects it or files it wrongly (a year 287396 is no time at all). The
    service time is the earliest truthful value, now the latest.
    """
    return upstream_time(rating["rated_at"], rating["service_time"], now_s)


def case_times(case, now_s=None):
    """The case with every event time it carries through upstream_time():
    the service time (when it was finished) never ahead of now, the accept
    time (case["upstream"]["accept_time"], from the business system) never
    after the service time. promise_time is a deadline, not an event: it may
    lie ahead, and is only kept from preceding the accept time. -> a new dict."""
    out = dict(case)
    out["service_time"] = upstream_time(case["service_time"], None, now_s)
    codes = dict(case.get("upstream") or {})
    if codes.get("accept_time") is not None:
        codes["accept_time"] = upstream_time(codes["accept_time"], None, out["service_time"])
        if codes.get("promise_time") is not None:
            codes["promise_time"] = max(int(codes["promise_time"]), codes["accept_time"])
    out["upstream"] = codes
    return out


def rating_times(rating, now_s=None):
    """The rating with its time through the rule (assess_time) -> a new dict."""
    out = dict(rating)
    out["rated_at"] = assess_time(rating, now_s)
    return out


# The national interface's formats of the fields an invitation gives a case
# (docs/UPSTREAM.md, "What a platform accepts"): codes are 1 to 64 letters,
# digits and _ . -; names 1 to 200 characters, not blank.
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
CODE_RULE = (lambda v: bool(_CODE.match(v)), "1 to 64 letters, digits and _ . -")
NAME_RULE = (lambda v: 0 < len(v.strip()) and len(v) <= 200, "1 to 200 characters, not blank")
NATIONAL_CASE_RULES = (
    ("case_serial", "projectNo", CODE_RULE),
    ("matter_code", "taskCode", CODE_RULE),
    ("matter_name", "taskName", NAME_RULE),
)


def require(cfg, key, where):
    v = cfg.get(key)
    if v in (None, ""):
        raise ConfigError("%s: missing %s — set it in the [upstream] section of the hub config" % (where, key))
    return v


class Province:
    """The province's code tables and defaults, read once from configuration."""

    def __init__(self, cfg, where="upstream"):
        self.area_code = str(require(cfg, "area_code", where))
        self.dept_code = str(require(cfg, "dept_code", where))
        self.data_source = str(cfg.get("data_source", "pingjia"))
        self.level_scale = cfg.get("level_scale", "satisfaction")
        if self.level_scale not in LEVEL_SCALES:
            raise ConfigError("%s.level_scale must be one of %s, got %r" % (where, LEVEL_SCALES, self.level_scale))
        channels = cfg.get("channels") or {}
        if not isinstance(channels, dict) or not channels:
            raise ConfigError("%s.channels: give the province's channel code table, e.g. {terminal = 5, qr = 3}" % where)
        self.other_text = cfg.get("other_text", OTHER_TEXT)
        if not isinstance(self.other_text, str) or not self.other_text.strip() \
                or len(self.other_text) > MAX_WRITING:
            raise ConfigError("%s.other_text must be the non-empty text (at most %d characters) sent as the "
                              "reason of a rating whose citizen pressed 其他, e.g. %r, got %r"
                              % (where, MAX_WRITING, OTHER_TEXT, self.other_text))
        self.channels = {}
        for name, code in channels.items():
            if not isinstance(code, int) or code < 1:
                raise ConfigError("%s.channels.%s must be a positive integer code, got %r" % (where, name, code))
            self.channels[name] = code

    def channel_code(self, channel):
        code = self.channels.get(channel)
        if code is None:
            raise ConfigError("upstream.channels has no code for channel %r; add it to the province's table" % channel)
        return code

    def writing(self, rating):
        """writingEvaluation: the citizen's own words, else the 其他 they pressed.

        A bad rating whose only reason is 其他 has no label, and the platform
        refuses a bad rating with neither evalDetail nor writingEvaluation,
        for good: the choice the citizen made must travel as text."""
        text = rating.get("text") or ""
        if not text and rating.get("other"):
            return self.other_text
        return text

    def level(self, level):
        """Our level (5 best) -> the province's `satisfaction` value."""
        return domain.to_gbt(level) if self.level_scale == "gbt" else level


class Adapter:
    """Base of all adapters. Subclasses set `name` and `max_batch`."""

    name = "base"
    max_batch = 1
    case_rules = ()   # (hub field, the platform's field, (test, what it takes))
    # True when register_case makes no request (the case travels with its
    # rating): the relay then keeps such answers out of the circuit breaker.
    cases_local = False

    @classmethod
    def case_refusal(cls, fields):
        """What this platform would refuse in an invitation's fields (hub names:
        case_serial, matter_code, matter_name, and "upstream_case": the dict
        the API took, possibly empty) -> None, or (field, why) to answer
        before the case is taken and then refused upstream for good. A
        field of upstream_case is named as the API shows it, e.g.
        "upstream_case.applicant.mobile"; never quote a personal value."""
        for field, wire, (test, takes) in cls.case_rules:
            value = fields.get(field)
            if not isinstance(value, str) or not test(value):
                return field, ("%s %r is refused by the %s platform: its %s takes %s"
                               % (field, value, cls.name, wire, takes))
        return None

    def register_case(self, case):
        """Register or update a case upstream. -> Outcome."""
        raise NotImplementedError

    def register_cases(self, cases):
        """Several cases, at most max_batch -> [Outcome]; one call each unless
        the dialect has a batch form."""
        return [self.register_case(c) for c in cases]

    def push_ratings(self, ratings):
        """Push first ratings (assess_number 1) or follow-ups (2), at most
        max_batch, all of registered cases. -> [Outcome] in the same order."""
        raise NotImplementedError

    def query(self, project_no):
        """What upstream holds for a case: {"case": bool, "ratings": {assess_number: upstream_id}}
        or an Outcome when the question could not be answered."""
        raise NotImplementedError

    def export_row(self, case, rating):
        """One line of the monthly batch-upload file: the case's and the rating's
        fields under the province's own names (subclasses define case_fields and
        rating_fields)."""
        row = dict(self.case_fields(case))
        row.update(self.rating_fields(rating))
        return row

    def close(self):
        pass
